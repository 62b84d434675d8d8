/*
 * The client profiles: data only. Each row is one client's selection rules in
 * the order it applies them, with where each rule comes from (tags as in
 * docs/cli/select.md: [S] source read, [D] vendor
 * docs, [I] issue/blog, [X] inferred, to be tested; [T] run here against
 * `certpick serve --require PATH`, see docs/cli/select.md "When the client is
 * asked"). Adding a client is adding a row here and its tests in
 * tests/unit/profiles_test.c.
 */
#include <string.h>

#include "select_int.h"

#define END { .check = CP_CHK_END }

/* renegotiation is an HTTP/1.1 affair: RFC 7540 9.2.1 forbids it over h2 */
#define H1 "HTTP/1.1 only (RFC 7540 9.2.1: not over h2)"
/* PHA: RFC 8740 forbids it over h2 */
#define H1_PHA "HTTP/1.1 only (RFC 8740: not over h2)"
#define ASKED(src) { .reach = CERTPICK_REACH_ASKED, .alpn = H1, .source = src }

/* OpenSSL-based clients (s_client, curl, Python): one configured certificate,
 * the 102400-byte max_cert_list, and tls_choose_sigalg deciding after the pick */
#define OSSL_KEY_ALGS (CP_KA_RSA | CP_KA_RSA_PSS | CP_KA_EC_ANY | CP_KA_ED25519 | \
	CP_KA_ED448 | CP_KA_DSA)
#define OSSL_CHECKS(size_src, configured_src, key_src, sigalg_src) { \
	{ .check = CP_CHK_SIZE, .source = size_src }, \
	{ .check = CP_CHK_CONFIGURED, .source = configured_src }, \
	{ .check = CP_CHK_PRIVATE_KEY, .source = key_src }, \
	{ .check = CP_CHK_SIGALG, .effect = CP_FX_AFTER, .key_algs = OSSL_KEY_ALGS, \
	  .source = sigalg_src }, \
	END }
#define OSSL_PICK .order = CP_ORDER_CONFIG, .picker = CP_PICKER_NONE, .cr_limit = CP_CR_LIMIT_OPENSSL

const struct certpick_profile cp_profiles[] = {
	{
	    /* Schannel / CryptoAPI applications: what "Windows" meant before
	     * chrome-win existed, and what IIS admins mean by it (IE, WinINet and
	     * the applications that select by CertSelectCertificateChains). */
	    .name = "windows",
	    .summary = "Windows Schannel applications: IE / WinINet, WinHTTP and "
		"CertSelectCertificateChains callers (Chrome, Edge: chrome-win)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[D] Schannel MessageLimitClient 0x8000" },
		{ .check = CP_CHK_PRIVATE_KEY,
		  .source = "[D] CERT_SELECT_HAS_PRIVATE_KEY / CERT_KEY_PROV_INFO_PROP_ID" },
		{ .check = CP_CHK_VALIDITY,
		  .source = "[D] CertSelectCertificateChains: expired rejected unless "
			"CERT_SELECT_ALLOW_EXPIRED; not yet valid rejected [X]" },
		{ .check = CP_CHK_KEY_USAGE, .source = "[D] KB 890326: digitalSignature when KU "
			"is present (CERT_SELECT_BY_KEY_USAGE)" },
		{ .check = CP_CHK_EKU, .eku = CP_EKU_CLIENT,
		  .source = "[D] KB 890326, CERT_SELECT_BY_ENHKEY_USAGE clientAuth; "
			"anyExtendedKeyUsage handling [X]" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_EXACT, .walk = CP_WALK_STORE_PATHS,
		  .source = "[D] CERT_SELECT_BY_ISSUER_NAME, evaluated on the chain: any chain "
			"element; byte comparison [X]" },
		{ .check = CP_CHK_SIGALG, .effect = CP_FX_AFTER,
		  .key_algs = CP_KA_RSA | CP_KA_EC_NIST,
		  .source = "[X] Schannel signs with RSA or ECDSA NIST keys only" },
		END },
	    /* [D] CertSelectCertificateChains: smart card first, later notAfter,
	     * more recently issued, shorter chain; newest per subject kept */
	    .order = CP_ORDER_WINDOWS,
	    .picker = CP_PICKER_IE,
	    .dedupe = true,
	    .cr_limit = CP_CR_LIMIT_SCHANNEL,
	    .picker_note = "IE / WinINet: 'Don't prompt for client certificate selection when "
		"only one certificate exists' (Local intranet zone default)",
	    .renegotiation = ASKED("[I] IIS/HTTP.sys asks by renegotiation by default and "
		"IE and Schannel applications (WinINet, WinHTTP) answer it"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.source = "[X] no PHA support documented for Schannel clients; [I] HTTP.sys "
		    "does no PHA (IIS Support Blog)" },
	},
	{
	    .name = "chrome",
	    .summary = "Chrome / Chromium on Linux (NSS store ~/.pki/nssdb)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] BoringSSL max_cert_list 100 KiB" },
		{ .check = CP_CHK_PRIVATE_KEY,
		  .source = "[S] CERT_FindUserCertsByUsage: user certificates only" },
		{ .check = CP_CHK_KEY_USAGE, .source = "[S] NSS certUsageSSLClient (certdb.c)" },
		{ .check = CP_CHK_EKU, .eku = CP_EKU_CLIENT,
		  .source = "[S] NSS cert_ComputeCertType: anyEKU not mapped" },
		{ .check = CP_CHK_VALIDITY, .source = "[S] client_cert_matcher.cc" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_EXACT, .walk = CP_WALK_STORE_FIRST,
		  .source = "[S] client_cert_matcher.cc: byte-exact issuer walk, first issuer "
			"found, depth 20" },
		{ .check = CP_CHK_SIGALG, .effect = CP_FX_AFTER,
		  .key_algs = CP_KA_RSA | CP_KA_EC_NIST,
		  .source = "[S] not a filter: ERR_SSL_CLIENT_AUTH_NO_COMMON_ALGORITHMS after the "
			"choice" },
		END },
	    .order = CP_ORDER_CHROME,
	    .picker = CP_PICKER_CHROME,
	    .cr_limit = CP_CR_LIMIT_BORINGSSL,
	    .picker_note = "policy AutoSelectCertificateForUrls "
		"{\"pattern\":\"https://HOST\",\"filter\":{}}",
	    .renegotiation = ASKED("[T] Chromium 156 answers a HelloRequest over HTTP/1.1; [S] "
		"ssl_client_socket_impl.cc renego_allowed_for_protos: HTTP/1.1 only"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.source = "[T] Chromium 156: server logs pha-not-offered, 403.7; [S] BoringSSL "
		    "has no client PHA" },
	},
	{
	    .name = "chrome-mac",
	    .summary = "Chrome on macOS (keychain identities)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] BoringSSL max_cert_list 100 KiB" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] keychain identities" },
		{ .check = CP_CHK_VALIDITY, .source = "[S] client_cert_store_mac.cc" },
		{ .check = CP_CHK_KEY_USAGE, .source = "[S] SupportsSSLClientAuth" },
		{ .check = CP_CHK_EKU, .eku = CP_EKU_CLIENT_OR_ANY,
		  .source = "[S] SupportsSSLClientAuth: clientAuth or anyEKU" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_NORMALIZED,
		  .walk = CP_WALK_STORE_PATHS,
		  .source = "[S] IsIssuedByEncoded (RFC 5280 normalized) / keychain chain" },
		{ .check = CP_CHK_SIGALG, .effect = CP_FX_AFTER,
		  .key_algs = CP_KA_RSA | CP_KA_EC_NIST,
		  .source = "[S] not a filter (as on Linux)" },
		END },
	    .order = CP_ORDER_CHROME,
	    .picker = CP_PICKER_CHROME,
	    .dedupe = true,
	    .cr_limit = CP_CR_LIMIT_BORINGSSL,
	    .picker_note = "policy AutoSelectCertificateForUrls (a preferred identity "
		"for the host comes first)",
	    .renegotiation = ASKED("[S] same network stack as on Linux: HTTP/1.1 only"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.source = "[S] BoringSSL has no client PHA (as on Linux, [T] there)" },
	},
	{
	    /* Chromium on Windows (Chrome, Edge, Brave): the Windows MY store read
	     * by net/ssl/client_cert_store_win.cc, BoringSSL on the wire. */
	    .name = "chrome-win",
	    .summary = "Chrome / Edge on Windows (Chromium: Windows user store, BoringSSL)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] BoringSSL max_cert_list 100 KiB (not "
			"Schannel's 32 KiB)" },
		{ .check = CP_CHK_PRIVATE_KEY,
		  .source = "[S] client_cert_store_win.cc ClientCertFindCallback: "
			"CERT_KEY_PROV_INFO_PROP_ID (or a CNG key)" },
		{ .check = CP_CHK_VALIDITY,
		  .source = "[S] ClientCertFindCallback: CertVerifyTimeValidity (expired and "
			"not yet valid)" },
		{ .check = CP_CHK_KEY_USAGE,
		  .source = "[S] ClientCertFindCallback: digitalSignature when KU is present" },
		{ .check = CP_CHK_EKU, .eku = CP_EKU_CLIENT,
		  .source = "[S] CertFindChainInStore pszUsageIdentifier = clientAuth; "
			"anyExtendedKeyUsage handling by crypt32 [X]" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_EXACT, .walk = CP_WALK_STORE_PATHS,
		  .source = "[S] CertFindChainInStore(CERT_CHAIN_FIND_BY_ISSUER, cache only); "
			"[D] any chain element; byte comparison [X]" },
		{ .check = CP_CHK_SIGALG, .effect = CP_FX_AFTER,
		  .key_algs = CP_KA_RSA | CP_KA_EC_NIST,
		  .source = "[S] not a filter (BoringSSL, as on Linux): "
			"ERR_SSL_CLIENT_AUTH_NO_COMMON_ALGORITHMS after the choice; RSA/ECDSA "
			"platform keys [X]" },
		END },
	    /* [S] client_cert_identity.cc ClientCertIdentitySorter (valid, later
	     * notAfter, later notBefore, shorter chain); no de-duplication in
	     * client_cert_store_win.cc */
	    .order = CP_ORDER_CHROME,
	    .picker = CP_PICKER_CHROME,
	    .cr_limit = CP_CR_LIMIT_BORINGSSL,
	    .picker_note = "policy AutoSelectCertificateForUrls "
		"{\"pattern\":\"https://HOST\",\"filter\":{}} (Chrome and Edge alike)",
	    .renegotiation = ASKED("[S] same network stack as on Linux ([T] there): "
		"renego_allowed_for_protos, HTTP/1.1 only"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.source = "[S] BoringSSL has no client PHA: Chromium never offers "
		    "post_handshake_auth ([T] on Linux)" },
	},
	{
	    .name = "firefox",
	    .summary = "Firefox (NSS + mozilla::pkix, 'Ask Every Time' / 'Select Automatically')",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] NSS MAX_HANDSHAKE_MSG_LEN 0x1ffff" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] FindClientCertificatesWithPrivateKeys" },
		{ .check = CP_CHK_KEY_USAGE, .source = "[S] CERT_FilterCertListByUsage" },
		{ .check = CP_CHK_EKU, .eku = CP_EKU_CLIENT,
		  .source = "[S] CERT_FilterCertListByUsage: anyEKU not mapped" },
		{ .check = CP_CHK_VALIDITY, .source = "[X] mozpkix CheckIssuerIndependentProperties" },
		{ .check = CP_CHK_KEY_ALG, .key_algs = CP_KA_RSA | CP_KA_EC_NIST,
		  .source = "[X] mozpkix: RSA, ECDSA P-256/384/521 only" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_EXACT, .walk = CP_WALK_STORE_PATHS,
		  .subject_too = true,
		  .source = "[S] ClientAuthCertNonverifyingTrustDomain: issuer or subject "
			"DER-equal to a CA name" },
		{ .check = CP_CHK_SIGALG, .effect = CP_FX_AFTER,
		  .key_algs = CP_KA_RSA | CP_KA_EC_NIST,
		  .source = "[S] shown anyway; NSS then sends an empty Certificate" },
		END },
	    .order = CP_ORDER_FIREFOX,	/* [T] Firefox ESR 153, 18 scenarios */
	    .picker = CP_PICKER_FIREFOX,
	    .cr_limit = CP_CR_LIMIT_NSS,
	    .picker_note = "security.default_personal_cert = \"Select Automatically\"",
	    .renegotiation = ASKED("[S] NSS REQUIRES_XTN renegotiation, enabled in Firefox"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.setting = "about:config security.tls.enable_post_handshake_auth = true offers "
		    "it, but Firefox ESR 153 then answers by timing: with no certificate while "
		    "its choice is pending, with the 'Select Automatically' one when it is ready "
		    "or on a retry: ask at the handshake",
		.source = "[T] Firefox ESR 153: never asked by default; with the pref it is "
		    "asked: idle, 6 of 6 page loads one request, no certificate (403.7); at "
		    "load 6-9, 5 of 6 loads retried (403.7, 403.7, then 200 with the automatic "
		    "pick) and 1 of 6 sent the pick at once (test_select_differential.py phase "
		    "test); nsNSSComponent.cpp" },
	},
	{
	    .name = "nss",
	    .summary = "NSS_GetClientAuthData, automatic mode (tstclnt without -n, NSS apps)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] NSS MAX_HANDSHAKE_MSG_LEN 0x1ffff" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] CERT_FindUserCertsByUsage" },
		{ .check = CP_CHK_KEY_USAGE, .source = "[S] certUsageSSLClient" },
		{ .check = CP_CHK_EKU, .eku = CP_EKU_CLIENT, .source = "[S] cert_ComputeCertType" },
		{ .check = CP_CHK_VALIDITY, .source = "[S] validOnly = (nickname == NULL)" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_STRING, .walk = CP_WALK_STORE_PATHS,
		  .source = "[S] CERT_FilterCertListByCANames: issuer string, whole-chain walk" },
		{ .check = CP_CHK_SIGALG, .key_algs = CP_KA_RSA | CP_KA_EC_ANY,
		  .source = "[S] ssl_FilterClientCertListBySSLSocket: the scheme must be "
			"enabled, and the default list (ssl3con.c defaultSignatureSchemes) has "
			"no rsa_pss_pss_*: [T] NSS 3.87 tstclnt sends nothing with an "
			"id-RSASSA-PSS key, the next certificate when there is one" },
		END },
	    .order = CP_ORDER_NSS,
	    .picker = CP_PICKER_NONE,
	    .cr_limit = CP_CR_LIMIT_NSS,
	    .renegotiation = ASKED("[T] tstclnt (NSS 3.87) renegotiates and sends the "
		"certificate"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.setting = "SSL_OptionSet(SSL_ENABLE_POST_HANDSHAKE_AUTH) (tstclnt -E, which "
		    "needs -n NICKNAME)",
		.source = "[T] tstclnt without -n: pha-not-offered, 403.7; tstclnt -n NICK -E: "
		    "200" },
	},
	{
	    .name = "java",
	    .summary = "Java JSSE, SunX509 key manager (the JDK default)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] jdk.tls.maxHandshakeMessageSize 32768" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] PrivateKeyEntry only" },
		{ .check = CP_CHK_SIGALG, .ec_by_family = true,
		  .key_algs = CP_KA_RSA | CP_KA_RSA_PSS | CP_KA_EC_ANY | CP_KA_ED25519 |
			CP_KA_ED448 | CP_KA_DSA,
		  .source = "[S] T12/T13CertificateRequestConsumer: one key type per offered "
			"scheme; TLS 1.3 \"EC\" for any curve: [T] OpenJDK 17.0.15 sends a P-384 "
			"key to a server offering only ecdsa_secp256r1_sha256, then 'No supported "
			"CertificateVerify signature algorithm for EC key' (internal_error)" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_NORMALIZED, .walk = CP_WALK_CONFIGURED,
		  .source = "[S] SunX509KeyManagerImpl: issuer of any configured chain "
			"certificate (X500Principal)" },
END },
	    .after_fail_sends = true,
	    .order = CP_ORDER_JAVA,
	    .picker = CP_PICKER_NONE,
	    .unpredictable_order = true,
	    .cr_limit = CP_CR_LIMIT_JAVA,
	    .renegotiation = ASKED("[T] OpenJDK 17 (SunX509) renegotiates and sends the "
		"certificate"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.source = "[T] OpenJDK 17: pha-not-offered, 403.7; [S] JSSE has no client PHA" },
	},
	{
	    .name = "java-pkix",
	    .summary = "Java JSSE, PKIX / NewSunX509 key manager (X509KeyManagerImpl)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] jdk.tls.maxHandshakeMessageSize 32768" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] PrivateKeyEntry only" },
		{ .check = CP_CHK_SIGALG, .ec_by_family = true,
		  .key_algs = CP_KA_RSA | CP_KA_RSA_PSS | CP_KA_EC_ANY | CP_KA_ED25519 |
			CP_KA_ED448 | CP_KA_DSA,
		  .source = "[S] one key type per offered scheme (TLS 1.3: \"EC\" for any "
			"curve, then the CertificateVerify fails [T], as SunX509)" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_NORMALIZED, .walk = CP_WALK_CONFIGURED,
		  .source = "[S] X509KeyManagerImpl.getAliases" },
		{ .check = CP_CHK_CHAIN_SIGALG,
		  .source = "[S] X509KeyManagerImpl.getAliases: conformsToAlgorithmConstraints "
			"with the peer's signature schemes; [T] OpenJDK 17.0.15 sends nothing "
			"with an EC key certified by sha256WithRSAEncryption to a server "
			"offering only ecdsa_secp256r1_sha256 (SunX509 sends it)" },
		{ .check = CP_CHK_EKU, .effect = CP_FX_RANK, .rank = 3, .eku = CP_EKU_CLIENT_OR_ANY,
		  .source = "[S] CheckType.CLIENT: EXTENSION_MISMATCH ranks last" },
		{ .check = CP_CHK_KEY_USAGE, .effect = CP_FX_RANK, .rank = 3,
		  .source = "[S] CheckType.CLIENT: digitalSignature (not for EdDSA/RSASSA-PSS)" },
		{ .check = CP_CHK_VALIDITY, .effect = CP_FX_RANK, .rank = 2,
		  .source = "[S] CheckResult.EXPIRED: sent if nothing better" },
END },
	    .after_fail_sends = true,
	    .order = CP_ORDER_JAVA,
	    .picker = CP_PICKER_NONE,
	    /* [S] openjdk X509KeyManagerImpl.chooseAlias/getAliases (JDK-8262186);
	     * [T] OpenJDK 17.0.15 against openssl s_server (ECDSA schemes first):
	     * [erin-expired, carol] -> carol, [carol, ed25519] -> carol,
	     * [ed25519, p256] -> p256; against a Go server (rsa_pss_rsae first):
	     * [ed25519, p256] -> ed25519 (the first entry, OK) */
	    .java_pkix_one_call = true,
	    .cr_limit = CP_CR_LIMIT_JAVA,
	    .renegotiation = ASKED("[T] OpenJDK 17 (PKIX) renegotiates and sends the "
		"certificate"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.source = "[T] OpenJDK 17: pha-not-offered, 403.7; [S] JSSE has no client PHA" },
	},
	{
	    .name = "go",
	    .summary = "Go crypto/tls with several Config.Certificates",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] conn.go maxHandshake 65536" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] tls.Certificate needs its key" },
		{ .check = CP_CHK_SIGALG, .cert_types_restrict_sigalgs = true,
		  .key_algs = CP_KA_RSA | CP_KA_EC_NIST | CP_KA_ED25519,
		  .source = "[S] SupportsCertificate -> selectSignatureScheme; TLS 1.2 "
			"schemes filtered by certificate_types" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_EXACT, .walk = CP_WALK_CONFIGURED,
		  .source = "[S] SupportsCertificate: bytes.Equal(cert.RawIssuer, ca) over "
			"the configured chain" },
		END },
	    .order = CP_ORDER_CONFIG,
	    .picker = CP_PICKER_NONE,
	    .cr_limit = CP_CR_LIMIT_GO,
	    .renegotiation = { .reach = CERTPICK_REACH_FAILS, .alpn = H1,
		.setting = "tls.Config{Renegotiation: tls.RenegotiateOnceAsClient}",
		.source = "[T] Go: 'local error: tls: no renegotiation', no answer; [S] "
		    "conn.go handleRenegotiation, RenegotiateNever by default" },
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.source = "[T] Go: pha-not-offered, 403.7; [S] crypto/tls has no PHA "
		    "(golang/go#40521)" },
	},
	{
	    .name = "gnutls",
	    .summary = "GnuTLS with several credentials (no retrieve callback)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[S] MAX_HANDSHAKE_PACKET_SIZE 128 KiB" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] a credential is a cert + key" },
		{ .check = CP_CHK_KEY_USAGE, .source = "[S] find_x509_client_cert: leaf KU" },
		{ .check = CP_CHK_CERT_TYPES, .ec_by_family = true,
		  .key_algs = CP_KA_RSA | CP_KA_EC_ANY | CP_KA_DSA,
		  .source = "[S] TLS 1.2 pk algos from certificate_types; TLS 1.3 from "
			"signature_algorithms, ECDSA without its curve "
			"(tls13/certificate_request.c); [T] GnuTLS 3.7.9 takes a P-384 key "
			"first in line when only ecdsa_secp256r1_sha256 is offered, then "
			"sends an empty Certificate; an id-RSASSA-PSS key first in line for a "
			"server without rsa_pss_pss_* (Go): the same" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_EXACT, .walk = CP_WALK_CONFIGURED,
		  .source = "[S] _gnutls_check_if_cert_in_list-like byte compare of issuer DNs "
			"in server order" },
		{ .check = CP_CHK_SIGALG, .effect = CP_FX_AFTER,
		  .key_algs = CP_KA_RSA | CP_KA_RSA_PSS | CP_KA_EC_ANY | CP_KA_ED25519 |
			CP_KA_ED448,
		  .source = "[S] TLS 1.3: no sign algorithm -> deselected, empty Certificate" },
		END },
	    .order = CP_ORDER_GNUTLS,
	    .picker = CP_PICKER_NONE,
	    .gnutls_empty_list = true,
	    .cr_limit = CP_CR_LIMIT_GNUTLS,
	    .renegotiation = { .reach = CERTPICK_REACH_IGNORED, .alpn = H1,
		.setting = "the application calls gnutls_handshake() again on "
		    "GNUTLS_E_REHANDSHAKE",
		.source = "[T] GnuTLS 3.7 application reading with gnutls_record_recv(): no "
		    "new handshake, no answer until its timeout; [S] the library leaves it to "
		    "the application" },
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.setting = "gnutls_init(..., GNUTLS_CLIENT | GNUTLS_POST_HANDSHAKE_AUTH)",
		.source = "[T] default flags: pha-not-offered, 403.7; [S] lib/tls13/"
		    "post_handshake.c" },
	},
	{
	    .name = "openssl",
	    .summary = "OpenSSL 3 applications (s_client -cert, SSL_CTX_use_certificate): one "
		"configured certificate",
	    .checks = OSSL_CHECKS("[S] max_cert_list 102400",
		"[S] one certificate per key slot (SSL_CTX_use_certificate); curl --cert, "
		"load_cert_chain()",
		"[S] ssl3_check_client_certificate",
		"[S] tls_choose_sigalg fails -> empty Certificate"),
	    OSSL_PICK,
	    .renegotiation = ASKED("[T] openssl s_client 3.0 and curl renegotiate and send "
		"the certificate"),
	    .post_handshake = { .reach = CERTPICK_REACH_NOT_OFFERED, .alpn = H1_PHA,
		.setting = "SSL_CTX_set_post_handshake_auth(ctx, 1) (openssl s_client "
		    "-enable_pha; curl and Python requests/http.client turn it on: see "
		    "the curl and python clients)",
		.source = "[T] s_client without -enable_pha: pha-not-offered, 403.7; with it "
		    "the certificate is sent" },
	},
	{
	    .name = "curl",
	    .summary = "curl with the OpenSSL backend (--cert/--key): one configured "
		"certificate, offers TLS 1.3 post-handshake auth",
	    .checks = OSSL_CHECKS("[S] OpenSSL max_cert_list 102400",
		"[S] lib/vtls/openssl.c: --cert loads one certificate "
		"(SSL_CTX_use_certificate_chain_file) and its chain",
		"[S] --key, or the key in the --cert file",
		"[S] OpenSSL tls_choose_sigalg fails -> empty Certificate"),
	    OSSL_PICK,
	    .renegotiation = ASKED("[T] curl 7.88.1 (OpenSSL 3.0) renegotiates and sends the "
		"certificate"),
	    .post_handshake = { .reach = CERTPICK_REACH_ASKED, .alpn = H1_PHA,
		.source = "[T] curl 7.88.1: 200 on a PHA path; [S] lib/vtls/openssl.c "
		    "SSL_CTX_set_post_handshake_auth(ctx, 1)" },
	},
	{
	    .name = "python",
	    .summary = "Python ssl / http.client / requests (OpenSSL): one certificate "
		"(load_cert_chain)",
	    .checks = OSSL_CHECKS("[S] OpenSSL max_cert_list 102400",
		"[S] SSLContext.load_cert_chain(): one certificate and its chain",
		"[S] load_cert_chain(certfile, keyfile)",
		"[S] OpenSSL tls_choose_sigalg fails -> empty Certificate"),
	    OSSL_PICK,
	    .renegotiation = ASKED("[T] Python 3.11 ssl, http.client and requests renegotiate "
		"and send the certificate"),
	    .post_handshake = { .reach = CERTPICK_REACH_ASKED, .alpn = H1_PHA,
		.setting = "an application's own ssl.SSLContext (urllib.request or "
		    "http.client with context=) does not offer it: set "
		    "context.post_handshake_auth = True",
		.source = "[T] Python 3.11.7: requests 2.34 (urllib3 2.7 sets it) and "
		    "http.client with cert_file: 200; http.client with an application "
		    "SSLContext: pha-not-offered, 403.7; [S] http/client.py" },
	},
	{
	    .name = "dotnet",
	    .summary = ".NET SslStream with ClientCertificates (no selection callback)",
	    .checks = {
		{ .check = CP_CHK_SIZE, .source = "[D] Schannel MessageLimitClient 0x8000 "
			"(Windows) [X for Linux]" },
		{ .check = CP_CHK_ISSUER, .match = CP_MATCH_STRING, .walk = CP_WALK_STORE_PATHS,
		  .source = "[S] SelectClientCertificate: X509Chain.Build, element .Issuer "
			"string equal to an issuer string" },
		{ .check = CP_CHK_PRIVATE_KEY, .source = "[S] FindCertificateWithPrivateKey" },
		END },
	    .order = CP_ORDER_CONFIG,
	    .picker = CP_PICKER_NONE,
	    .cr_limit = CP_CR_LIMIT_SCHANNEL,
	    .renegotiation = ASKED("[X] SslStream answers renegotiation on Windows and Linux"),
	    .post_handshake = { .reach = CERTPICK_REACH_ASKED, .alpn = H1_PHA,
		.source = "[S] dotnet/runtime Interop.OpenSsl.cs (Linux): "
		    "SslSetPostHandshakeAuth(1) when ClientCertificates or a selection callback "
		    "is set; [X] Windows (Schannel): not known, not run here" },
	},
};

const size_t cp_n_profiles = CP_NELEM(cp_profiles);

/* see certpick/select.h */
size_t
certpick_profile_count(void)
{
	return cp_n_profiles;
}

/* see certpick/select.h */
const struct certpick_profile *
certpick_profile_get(size_t i)
{
	return i < cp_n_profiles ? &cp_profiles[i] : NULL;
}

/* see certpick/select.h */
const struct certpick_profile *
certpick_profile_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < cp_n_profiles; i++)
		if (strcmp(cp_profiles[i].name, name) == 0)
			return &cp_profiles[i];
	return NULL;
}

/* see certpick/select.h */
const char *
certpick_profile_name(const struct certpick_profile *p)
{
	return p->name;
}

/* see certpick/select.h */
const char *
certpick_profile_summary(const struct certpick_profile *p)
{
	return p->summary;
}

/* see certpick/select.h */
bool
certpick_profile_has_picker(const struct certpick_profile *p)
{
	return p->picker != CP_PICKER_NONE;
}
