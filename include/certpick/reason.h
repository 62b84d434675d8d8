/*
 * Findings and reasons: the tool worked, and the answer is "no" (or "note").
 *
 * Every finding certpick reports (check), every reason a client filters a
 * certificate (select), every remark on a server's CertificateRequest
 * (probe) and every refusal of `serve` comes from the one list below. Each
 * entry has a stable kebab-case id (API: never renamed, never reused), a
 * default severity, one sentence and a fix. Text and JSON both render from
 * this table; nothing else in certpick invents a reason string.
 *
 * Adding a reason: add one X() row in the section of its module, with a
 * sentence (lowercase start, no trailing period) and a concrete hint (the
 * command or setting to change), and a test that makes it fire.
 *
 * Lifecycle of a findings list: zero-initialize a struct certpick_findings,
 * add to it (library-internal), release with certpick_findings_release().
 */
#ifndef CERTPICK_REASON_H
#define CERTPICK_REASON_H

#include "certpick/defs.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum certpick_severity {
	CERTPICK_SEV_INFO = 0,
	CERTPICK_SEV_WARNING = 1,
	CERTPICK_SEV_ERROR = 2,
};

/* X(NAME, "id", severity, "sentence", "hint") */
#define CERTPICK_REASONS(X)                                                              \
	/* ---- check: the certificate and its key ---- */                               \
	X(NO_PRIVATE_KEY, "no-private-key", ERROR,                                      \
	  "no private key was found for this certificate",                              \
	  "give the key file too (another PATH, or the same folder), or export the .pfx " \
	  "with its private key (certmgr: Export, 'Yes, export the private key')")      \
	X(KEY_MISMATCH, "key-mismatch", ERROR,                                          \
	  "the private key in the same file does not match the certificate",            \
	  "compare 'openssl x509 -noout -pubkey -in CERT' with "                        \
	  "'openssl pkey -pubout -in KEY' and pair the right files")                    \
	X(KU_NO_DIGITAL_SIGNATURE, "ku-no-digital-signature", ERROR,                    \
	  "keyUsage is present but lacks digitalSignature, so the key may not sign "    \
	  "the TLS handshake",                                                          \
	  "reissue with keyUsage = critical, digitalSignature (Windows template: "      \
	  "Request Handling > Purpose 'Signature' or 'Signature and encryption')")      \
	X(EKU_NO_CLIENT_AUTH, "eku-no-client-auth", ERROR,                              \
	  "extendedKeyUsage is present but lacks clientAuth (1.3.6.1.5.5.7.3.2)",       \
	  "reissue with extendedKeyUsage = clientAuth (Windows template: "              \
	  "Application Policies 'Client Authentication')")                              \
	X(EKU_ANY_ONLY, "eku-any-only", WARNING,                                        \
	  "extendedKeyUsage holds only anyExtendedKeyUsage: Java and Chrome on macOS "  \
	  "accept it, NSS, Firefox and Chrome on Linux refuse it",                      \
	  "reissue with extendedKeyUsage = clientAuth")                                 \
	X(EXPIRED, "expired", ERROR, "the certificate has expired (notAfter is past)",  \
	  "renew the certificate; most clients hide expired ones and servers refuse "   \
	  "them (IIS 403.17)")                                                          \
	X(NOT_YET_VALID, "not-yet-valid", ERROR,                                        \
	  "the certificate is not valid yet (notBefore is in the future)",              \
	  "check the clock of this machine and of the CA, or wait until notBefore")     \
	X(EXPIRES_SOON, "expires-soon", WARNING,                                        \
	  "the certificate expires within 30 days", "renew it before it expires")       \
	X(CHAIN_INCOMPLETE, "chain-incomplete", ERROR,                                  \
	  "the issuer of a certificate in the chain was not found",                     \
	  "add the missing intermediate to the .pfx or chain file "                     \
	  "(openssl pkcs12 -export -chain -CAfile INTERMEDIATES.pem ...)")              \
	X(UNTRUSTED_ROOT, "untrusted-root", WARNING,                                    \
	  "the chain ends at a root that is not in the trust store",                    \
	  "check that the server trusts this root, or give it with --trust")            \
	X(CHAIN_INVALID, "chain-invalid", ERROR,                                        \
	  "the chain does not verify", "see the detail; reissue from a valid CA")       \
	X(CHAIN_POLICY, "chain-policy", WARNING,                                        \
	  "the chain fails RFC 5280 certificate-policy processing: Windows and NSS may "\
	  "refuse it; OpenSSL servers accept it unless they require policies",          \
	  "reissue so that every CA's certificatePolicies and policyConstraints allow " \
	  "the leaf's policy (or anyPolicy)")                                           \
	X(CHAIN_NOT_CLIENT_AUTH, "chain-not-client-auth", ERROR,                        \
	  "a CA in the chain restricts extendedKeyUsage and does not allow clientAuth", \
	  "issue the certificate from a CA whose EKU allows clientAuth")                \
	X(WEAK_SIGNATURE, "weak-signature", ERROR,                                      \
	  "the certificate is signed with a weak hash (MD5 or SHA-1)",                  \
	  "reissue with SHA-256 or better (openssl req/x509 -sha256)")                  \
	X(WEAK_KEY, "weak-key", ERROR, "the key is too small",                          \
	  "generate a new key: RSA 2048 bits or more, or ECDSA P-256")                  \
	X(CA_CERT_AS_CLIENT, "ca-cert-as-client", ERROR,                                \
	  "this is a CA certificate (basicConstraints CA:TRUE), not a client "          \
	  "certificate",                                                                \
	  "use the end-entity certificate issued by this CA, not the CA itself")        \
	X(SELF_SIGNED, "self-signed", WARNING, "the certificate is self-signed",        \
	  "servers accept it only if it is pinned in their trust store; prefer a "      \
	  "certificate issued by the CA the server trusts")                             \
	X(PFX_KEYSPEC_EXCHANGE, "pfx-keyspec-exchange", WARNING,                        \
	  "the .pfx marks the key AT_KEYEXCHANGE (Microsoft key-usage bag attribute "   \
	  "0x10), so Windows may refuse it where a signing key is required",            \
	  "re-export without -keyex: openssl pkcs12 -export -keysig ..., or import "    \
	  "with certutil -importPFX -csp \"Microsoft Software Key Storage Provider\"")  \
	X(PFX_LEGACY_CSP, "pfx-legacy-csp", ERROR,                                      \
	  "the .pfx names a legacy CryptoAPI CSP, which cannot sign with SHA-2 "        \
	  "RSA-PSS, so TLS 1.3 client authentication fails on Windows",                 \
	  "re-export without -CSP (or with the Microsoft Software Key Storage "         \
	  "Provider) so Windows stores the key in CNG")                                 \
	X(SAN_MISSING, "no-subject-identity", INFO,                                     \
	  "the certificate has neither a subject CN nor a subjectAltName",              \
	  "servers that map certificates to accounts need a UPN, email or CN")          \
	X(KEY_UNSUPPORTED_BY_SOME, "key-type-limited", INFO,                            \
	  "Ed25519/Ed448 client keys are not supported by Windows, Chrome or Java",     \
	  "use ECDSA P-256 or RSA 2048 for broad client support")                       \
	X(REVOKED, "revoked", ERROR, "the certificate is revoked by a CRL given",       \
	  "request a new certificate from the CA")                                      \
	X(CRL_NOT_CHECKED, "crl-not-checked", INFO,                                     \
	  "CRLs were given, but none from the certificate's issuer: its revocation "    \
	  "was not checked",                                                            \
	  "give the issuing CA's CRL too (the URL in its CRL Distribution Points)")      \
	/* ---- probe: the server's CertificateRequest ---- */                           \
	X(CR_EMPTY_CA_EXTENSION, "cr-empty-certificate-authorities", WARNING,           \
	  "the TLS 1.3 certificate_authorities extension is empty, which RFC 8446 "     \
	  "forbids; GnuTLS clients abort the handshake",                                \
	  "omit the extension when there are no names (OpenSSL: do not use "            \
	  "-no_ca_names / SSL_OP_DISABLE_TLSEXT_CA_NAMES with TLS 1.3)")                \
	X(CR_TOO_LARGE_JAVA_WINDOWS, "cr-too-large-java-windows", ERROR,                \
	  "the CertificateRequest is larger than 32 KiB: Java and Windows clients "     \
	  "fail the handshake",                                                         \
	  "send fewer CA names (nginx ssl_client_certificate with only the issuing "    \
	  "CAs; ssl_trusted_certificate for the rest)")                                 \
	X(CR_TOO_LARGE_GO, "cr-too-large-go", ERROR,                                    \
	  "the CertificateRequest is larger than 64 KiB: Go clients fail",              \
	  "send fewer CA names")                                                        \
	X(CR_TOO_LARGE_OPENSSL, "cr-too-large-openssl-chrome", ERROR,                   \
	  "the CertificateRequest is larger than 100 KiB: OpenSSL (curl, Python) and "  \
	  "Chrome clients fail",                                                        \
	  "send fewer CA names")                                                        \
	X(CR_TOO_LARGE_NSS, "cr-too-large-nss-gnutls", ERROR,                           \
	  "the CertificateRequest is larger than 128 KiB: NSS (Firefox) and GnuTLS "    \
	  "clients fail",                                                               \
	  "send fewer CA names")                                                        \
	X(CR_IIS_TRUNCATION, "cr-iis-truncation", WARNING,                              \
	  "the CA list is over 16 KB: IIS would truncate it silently (event 36885), "   \
	  "which can hide the right issuer",                                            \
	  "keep the ClientAuthIssuer store small or set SendTrustedIssuerList=0")       \
	X(CR_DUPLICATE_NAMES, "cr-duplicate-names", WARNING,                            \
	  "the CA list names the same CA more than once",                               \
	  "remove duplicates from the CA file the server advertises")                   \
	X(CR_OID_FILTERS, "cr-oid-filters", INFO,                                       \
	  "the request carries oid_filters, which no known client honours",             \
	  "do not rely on oid_filters to steer client certificate choice")              \
	X(CR_PER_PATH_TLS13, "cr-per-path-tls13", WARNING,                              \
	  "the certificate is requested only after the HTTP request, by TLS 1.3 "       \
	  "post-handshake authentication: Chrome and Edge do not support it and "       \
	  "Firefox only with a preference",                                             \
	  "request the certificate at the handshake (Apache: SSLVerifyClient at "       \
	  "the virtual host; IIS: clientcertnegotiation=enable)")                       \
	X(CR_PER_PATH_HTTP2, "cr-per-path-http2", ERROR,                                \
	  "the certificate is requested after the HTTP request on a connection that "   \
	  "negotiated HTTP/2: browsers fail with HTTP_1_1_REQUIRED",                    \
	  "request the certificate at the handshake, or disable HTTP/2 for this host")  \
	X(CR_RENEGOTIATION, "cr-renegotiation", INFO,                                   \
	  "the certificate is requested only after the HTTP request, by TLS 1.2 "       \
	  "renegotiation (as IIS and Apache per-directory do)",                         \
	  "clients must allow renegotiation (Go: Renegotiation = "                      \
	  "tls.RenegotiateOnceAsClient)")                                               \
	X(CR_NO_CA_NAMES, "cr-no-ca-names", INFO,                                       \
	  "the server names no CA: clients offer every client certificate they have, "  \
	  "and GnuTLS with several credentials sends none",                             \
	  "advertise the issuing CAs (nginx ssl_client_certificate, Apache "            \
	  "SSLCADNRequestFile, IIS SendTrustedIssuerList=1)")                           \
	X(CR_MALFORMED, "cr-malformed", ERROR,                                          \
	  "the CertificateRequest is malformed", "report it to the server vendor")      \
	X(CR_MALFORMED_DN, "cr-malformed-dn", WARNING,                                  \
	  "a CA name in the request is not a valid DER DistinguishedName",              \
	  "fix the CA certificate whose subject the server advertises")                 \
	X(CR_SIGALGS_LEGACY_ONLY, "cr-sigalgs-legacy-only", WARNING,                    \
	  "the server accepts only SHA-1 or MD5 client signatures",                     \
	  "enable SHA-256 signature schemes on the server")                             \
	/* ---- select: why a client filters a candidate ---- */                         \
	X(SEL_ISSUER_NOT_LISTED, "issuer-not-accepted", ERROR,                          \
	  "no certificate in the chain was issued by a CA the server named",            \
	  "use a certificate from one of the CAs the server lists, or add that CA "     \
	  "to the server's list")                                                       \
	X(SEL_CA_MATCH_ENCODING_ONLY, "ca-match-encoding-only", ERROR,                  \
	  "the issuer matches a listed CA only after normalization (string type or "    \
	  "case differ), and this client compares bytes",                               \
	  "make the server advertise the CA certificate itself, not a re-typed name")   \
	X(SEL_NO_COMMON_SIGALG, "no-common-sigalg", ERROR,                              \
	  "the key cannot make any signature the server offered", "use a key type "     \
	  "the server accepts, or enable more signature schemes on the server")         \
	X(SEL_KEYTYPE_NOT_IN_CERT_TYPES, "keytype-not-in-cert-types", ERROR,            \
	  "the key type is not among the TLS 1.2 certificate_types the server listed",  \
	  "use an RSA or ECDSA key as the server requests")                             \
	X(SEL_KEY_ALG_UNSUPPORTED, "key-alg-unsupported-by-client", ERROR,              \
	  "this client cannot use this key algorithm for client authentication",        \
	  "use an RSA or ECDSA P-256 key")                                              \
	X(SEL_NOT_FIRST, "not-first-match", INFO,                                       \
	  "another qualifying certificate comes first for this client",                 \
	  "remove the other certificate or reorder the configuration")                  \
	X(SEL_DUPLICATE_SUPERSEDED, "duplicate-superseded", INFO,                       \
	  "a newer certificate with the same subject supersedes this one",              \
	  "delete the old certificate from the store")                                  \
	X(SEL_CR_TOO_LARGE_FOR_CLIENT, "cr-too-large-for-client", ERROR,                \
	  "the server's CertificateRequest exceeds this client's size limit",           \
	  "send fewer CA names")                                                        \
	X(SEL_NO_CREDENTIAL_EMPTY_LIST, "gnutls-empty-list-several", ERROR,             \
	  "GnuTLS sends no certificate when the server names no CA and several "        \
	  "credentials are configured",                                                 \
	  "configure one credential, or make the server advertise CA names")            \
	X(SEL_AUTOSELECT_NO_MATCH, "autoselect-no-match", INFO,                         \
	  "no auto-selection policy matches this site; the client shows a picker",      \
	  "Chrome: AutoSelectCertificateForUrls; Firefox: security.default_personal_cert") \
	X(SEL_ORDER_UNPREDICTABLE, "order-unpredictable", WARNING,                      \
	  "several certificates qualify equally and the client's choice among them is " \
	  "not defined (Java SunX509: HashMap order; Chrome, NSS, Windows: equal dates)", \
	  "keep one qualifying certificate (Java: one per key type, or the PKIX key "   \
	  "manager, ssl.KeyManagerFactory.algorithm=PKIX)")                             \
	/* ---- serve: why a client was refused ---- */                                  \
	X(SRV_NO_CERT, "no-client-certificate", ERROR,                                  \
	  "the client sent no certificate (IIS 403.7)",                                 \
	  "install a client certificate issued by a CA the server lists, and check "    \
	  "with 'certpick select' why the client did not send one")                     \
	X(SRV_UNTRUSTED, "untrusted-issuer", ERROR,                                     \
	  "the certificate chain does not lead to a CA this server trusts (IIS 403.16)",\
	  "use a certificate issued by one of the CAs the server names")                \
	X(SRV_INVALID, "certificate-invalid", ERROR,                                    \
	  "the certificate failed verification (IIS 403.16)",                           \
	  "see the detail; reissue the certificate")                                    \
	X(SRV_PHA_NOT_OFFERED, "pha-not-offered", ERROR,                                \
	  "this path asks for a certificate after the request by TLS 1.3 "              \
	  "post-handshake authentication, and the client did not offer it "             \
	  "(no post_handshake_auth extension; Apache: AH10158)",                        \
	  "connect with TLS 1.2 (renegotiation), use a client that offers PHA "         \
	  "(curl, Python, openssl s_client -enable_pha), or ask at the handshake")      \
	X(SRV_RENEGOTIATION_UNAVAILABLE, "renegotiation-unavailable", ERROR,            \
	  "this path asks for a certificate by TLS 1.2 renegotiation, and the client "  \
	  "does not support secure renegotiation (RFC 5746)",                           \
	  "use a client that allows renegotiation (Go: tls.RenegotiateOnceAsClient), "  \
	  "or ask for the certificate at the handshake")                                \
	X(SRV_CRL_UNAVAILABLE, "crl-unavailable", ERROR,                                \
	  "revocation could not be checked: no valid CRL for an issuer in the chain "   \
	  "(IIS 403.16; nginx: unable to get certificate CRL)",                         \
	  "give the server the CRL of every issuing CA (--crl), or renew the expired CRL") \
	/* ---- select: when the client is asked, and the outcome (appended last: the \
	 * enum numbers of the rows above stay as they were) ---- */                     \
	X(SEL_NEVER_ASKED_PHA, "never-asked-pha", ERROR,                                \
	  "the server asks only after the HTTP request, by TLS 1.3 post-handshake "     \
	  "authentication, and this client does not offer post_handshake_auth: it is "  \
	  "never asked, and the server answers as to a client without a certificate "   \
	  "(IIS-style 403.7; Apache 403 with AH10158 in its error log)",                \
	  "ask for the certificate at the handshake (Apache: SSLVerifyClient outside "  \
	  "<Location>; nginx: ssl_verify_client; IIS: clientcertnegotiation=enable), "  \
	  "or let this site use TLS 1.2 (renegotiation), or turn PHA on in the client " \
	  "where it has a setting (the detail names it)")                              \
	X(SEL_NEVER_ASKED_RENEGOTIATION, "never-asked-renegotiation", ERROR,            \
	  "the server asks only after the HTTP request, by TLS 1.2 renegotiation, and " \
	  "this client does not act on the HelloRequest: it is never asked, and the "   \
	  "connection waits until one side times out",                                  \
	  "ask for the certificate at the handshake, or make the application "          \
	  "handshake again (GnuTLS: call gnutls_handshake() on GNUTLS_E_REHANDSHAKE)")  \
	X(SEL_RENEGOTIATION_REFUSED, "renegotiation-refused", ERROR,                    \
	  "the server asks only after the HTTP request, by TLS 1.2 renegotiation, and " \
	  "this client refuses to renegotiate: it ends the connection without an answer", \
	  "ask for the certificate at the handshake, or allow renegotiation in the "    \
	  "client (Go: tls.Config{Renegotiation: tls.RenegotiateOnceAsClient})")        \
	X(SEL_OUTCOME_SENDS, "outcome-sends", INFO,                                     \
	  "the client sends this certificate when the server asks",                     \
	  "nothing to change on the client; if the server still refuses, run "          \
	  "'certpick check --trust SERVER-CA.pem' on the certificate")                  \
	X(SEL_OUTCOME_SENDS_THEN_FAILS, "outcome-sends-then-fails", ERROR,              \
	  "the client sends this certificate, and then the handshake fails",            \
	  "see the reason given with it (usually the key cannot sign with any scheme "  \
	  "the server offered, or the key does not match the certificate)")            \
	X(SEL_OUTCOME_SENDS_NOTHING, "outcome-sends-nothing", ERROR,                    \
	  "the client answers the request without a certificate",                       \
	  "see why each candidate is filtered, and fix the one that should be sent")    \
	X(SEL_OUTCOME_PICKER, "outcome-picker", INFO,                                   \
	  "the client shows a certificate picker: the user's choice (or an "            \
	  "auto-selection setting) decides what is sent",                               \
	  "pick the certificate shown as chosen, or set the client's auto-selection")   \
	X(SEL_OUTCOME_FAILS_CONNECTION, "outcome-fails-connection", ERROR,              \
	  "the client ends the connection instead of answering the request",            \
	  "see the reason given with it")                                               \
	X(SEL_CHAIN_SIGALG_NOT_OFFERED, "chain-sigalg-not-offered", ERROR,              \
	  "a certificate of the configured chain is signed with an algorithm outside "  \
	  "the server's signature_algorithms(_cert), and this client skips such chains", \
	  "have the certificate issued by a CA that signs with a scheme the server "    \
	  "offers (for example ECDSA with SHA-256)")                                    \
	/* ---- serve (appended last, see above) ---- */                                \
	X(SRV_TRUST_INTERMEDIATE_ONLY, "trust-intermediate-only", ERROR,                \
	  "the server trusts only an intermediate: the chain reaches a CA of its "      \
	  "trust store that is not a root, and it does not accept a chain that ends "   \
	  "below a root (no partial chain, like IIS, nginx and Apache) (IIS 403.16)",   \
	  "add the root CA above it to the server's trust store (--trust); the client " \
	  "certificate is not at fault")                                               \
	/* ---- probe: what a database or broker said (appended last) ---- */          \
	X(SVC_PG_CERT_REQUIRED, "pg-certificate-required", ERROR,                      \
	  "PostgreSQL requires a client certificate for this user and database "        \
	  "(a pg_hba.conf hostssl line with the cert method or clientcert=)",           \
	  "present a certificate from a CA in the server's ssl_ca_file, with its "      \
	  "intermediates in the same file (libpq sends what sslcert holds)")            \
	X(SVC_PG_CERT_USER_MISMATCH, "pg-certificate-user-mismatch", ERROR,            \
	  "PostgreSQL accepted the certificate in TLS, but its CN is not the database " \
	  "user (pg_hba.conf cert method)",                                             \
	  "connect as the user named by the certificate's CN, or map the CN with "      \
	  "map= in pg_hba.conf and a pg_ident.conf line")                               \
	X(SVC_PG_PASSWORD_METHOD, "pg-password-method", WARNING,                        \
	  "pg_hba.conf chose a password method for this connection: the certificate "   \
	  "alone does not log in (clientcert= only adds a certificate check)",          \
	  "use a hostssl line with the cert method for certificate logins, or give "    \
	  "the password the usual way")                                                 \
	X(SVC_PG_NO_HBA_ENTRY, "pg-no-hba-entry", ERROR,                                \
	  "no pg_hba.conf line matches this connection (address, user, database, SSL)", \
	  "add a hostssl line for this user and address (then SELECT "                  \
	  "pg_reload_conf())")                                                          \
	X(SVC_MYSQL_ACCESS_DENIED, "mysql-access-denied", ERROR,                        \
	  "MySQL/MariaDB denied the login: an unmet REQUIRE X509/SUBJECT/ISSUER and a " \
	  "wrong or missing password get the same error 1045",                          \
	  "SHOW CREATE USER shows the account's REQUIRE clause; compare it with the "   \
	  "certificate's subject and issuer (/O=.../CN=... form); the server's error "  \
	  "log says which (log_warnings >= 4)")                                         \
	X(SVC_MQTT_NOT_AUTHORIZED, "mqtt-not-authorized", ERROR,                        \
	  "the MQTT broker refused the connection (bad user name or password, or not "  \
	  "authorized)",                                                                \
	  "with use_identity_as_username the certificate's CN is the user name: the "   \
	  "broker's password file or ACL must know it; allow_anonymous false refuses a " \
	  "client that gives no user")                                                  \
	X(PRB_REFUSED_UNKNOWN_CA, "cert-refused-unknown-ca", ERROR,                     \
	  "the server refused the certificate sent with alert unknown_ca: it cannot "   \
	  "link it to a CA it trusts (usually the issuing CA certificates were not "    \
	  "sent along, or the certificate is from another CA)",                         \
	  "send the chain: the certificate, then its issuing CA certificates, in one "  \
	  "file (cat cert.pem issuing.pem > chain.pem); or have the server trust its "  \
	  "issuer")                                                                     \
	X(PRB_REFUSED_EXPIRED, "cert-refused-expired", ERROR,                           \
	  "the server refused the certificate sent with alert certificate_expired "     \
	  "(expired, or not yet valid)",                                                \
	  "renew the certificate (certpick check shows its dates)")                     \
	X(PRB_REFUSED_UNSUPPORTED, "cert-refused-unsupported", ERROR,                   \
	  "the server refused the certificate sent with alert unsupported_certificate:" \
	  " not usable for client authentication (extendedKeyUsage without "           \
	  "clientAuth, keyUsage without digitalSignature)",                             \
	  "use a certificate issued for client authentication (certpick check shows "   \
	  "its key usages)")                                                            \
	X(PRB_REFUSED_OTHER, "cert-refused", ERROR,                                     \
	  "the server refused the certificate sent with a fatal alert",                 \
	  "see the alert; certpick check FILE --trust CA shows what a verifier says "   \
	  "about the certificate")                                                      \
	X(SVC_NO_TLS, "service-no-tls", ERROR,                                          \
	  "the service does not offer TLS on this port (no STARTTLS, SSLRequest "       \
	  "refused, no CLIENT_SSL)",                                                    \
	  "enable TLS on the server (PostgreSQL ssl = on, MariaDB ssl_cert/ssl_key), "  \
	  "or use the port of its TLS listener")                                         \
	/* ---- probe: service passwords (appended last) ---- */                        \
	X(SVC_PG_PASSWORD_FAILED, "pg-password-failed", ERROR,                          \
	  "PostgreSQL refused the password given (28P01 password authentication "      \
	  "failed); with clientcert=verify-full it says the same when the "             \
	  "certificate's CN is not the user (its log says \"CN mismatch\")",            \
	  "check the password (ALTER ROLE ... PASSWORD); with clientcert=verify-full, " \
	  "connect as the certificate's CN or map it (map= and pg_ident.conf)")         \
	X(SVC_PG_VERIFY_FULL_CN, "pg-verify-full-cn-mismatch", ERROR,                  \
	  "the password was right (the server proved it in SCRAM), yet PostgreSQL "     \
	  "refused with \"password authentication failed\": the pg_hba line has "      \
	  "clientcert=verify-full and the certificate's CN is not the user",            \
	  "connect as the user the certificate's CN names, map the CN (map= and a "    \
	  "pg_ident.conf line), or use clientcert=verify-ca")                          \
	X(SVC_MYSQL_CERT_REQUIREMENT, "mysql-certificate-requirement", ERROR,           \
	  "MySQL accepted the password (caching_sha2_password fast authentication) "    \
	  "and then denied the login (1045): the account's REQUIRE "                   \
	  "X509/SUBJECT/ISSUER is not met by the certificate sent",                     \
	  "SHOW CREATE USER shows the REQUIRE clause; compare it with the "            \
	  "certificate's subject and issuer (/O=.../CN=... form)")                      \
	X(SVC_MYSQL_NO_CERT, "mysql-denied-without-certificate", ERROR,                 \
	  "MySQL/MariaDB denied a login made without a client certificate (1045): an "  \
	  "account with REQUIRE X509/SUBJECT/ISSUER refuses it so (a wrong or missing " \
	  "password gets the same error)",                                             \
	  "present the certificate the account requires (SHOW CREATE USER), with the " \
	  "password if it has one")                                                    \
	X(SVC_MYSQL_PLUGIN_UNSUPPORTED, "mysql-auth-plugin-unsupported", WARNING,       \
	  "the account authenticates with a plugin certpick cannot answer with the "    \
	  "password given (MariaDB client_ed25519, ...): certpick sent an empty "       \
	  "answer, so the server's denial says nothing about the certificate",          \
	  "check the login with the mariadb client; certpick answers "                 \
	  "mysql_native_password and caching_sha2_password")                           \
	X(SVC_MQTT_BAD_CREDENTIALS, "mqtt-bad-user-or-password", ERROR,                 \
	  "the MQTT broker refused the user name or password (CONNACK 4, MQTT 5 "       \
	  "0x86)",                                                                      \
	  "check the password file entry (mosquitto_passwd) for the user sent; with "  \
	  "use_identity_as_username the certificate's CN is the user")                 \
	X(SVC_REFUSED_NEVER_ASKED, "service-refused-never-asked", ERROR,                \
	  "the service refused the client, and the server never asked for a "          \
	  "certificate (no CertificateRequest): a TLS client sends one only when "      \
	  "asked, so no client can present one here",                                   \
	  "make the server ask: Postfix smtpd_tls_ask_ccert = yes, Dovecot "           \
	  "ssl_verify_client_cert = yes, slapd TLSVerifyClient allow, vsftpd "          \
	  "require_cert=YES, PostgreSQL ssl_ca_file, MariaDB ssl_ca, mosquitto "        \
	  "require_certificate true (each with the CA that issues the clients)")

#define CERTPICK_REASON_ENUM_(name, id, sev, text, hint) CERTPICK_REASON_##name,
enum certpick_reason {
	CERTPICK_REASONS(CERTPICK_REASON_ENUM_)
	CERTPICK_REASON__COUNT
};
#undef CERTPICK_REASON_ENUM_

/* Stable kebab-case id ("eku-no-client-auth"). Borrowed: static. NULL if unknown. */
CERTPICK_API const char *certpick_reason_id(enum certpick_reason r);
/* One sentence. Borrowed: static. */
CERTPICK_API const char *certpick_reason_text(enum certpick_reason r);
/* The fix. Borrowed: static. */
CERTPICK_API const char *certpick_reason_hint(enum certpick_reason r);
CERTPICK_API enum certpick_severity certpick_reason_severity(enum certpick_reason r);
/* "error", "warning", "info". Borrowed: static. */
CERTPICK_API const char *certpick_severity_name(enum certpick_severity s);
/* Look an id up; returns -1 when unknown, else 0 and *out. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_reason_from_id(const char *id,
    enum certpick_reason *out);

/*
 * One finding: a reason plus what made it fire. `detail` says the specifics
 * ("notAfter 2024-01-01T00:00:00Z", "missing issuer CN=Int A1"); it may be
 * NULL. Owned by the list it is in.
 */
struct certpick_finding {
	enum certpick_reason reason;
	enum certpick_severity severity; /* usually the reason's default */
	char *detail;
};

struct certpick_findings {
	size_t n;
	struct certpick_finding *v;
};

/* Free every detail and the array; the struct is left empty. NULL is a no-op. */
CERTPICK_API void certpick_findings_release(struct certpick_findings *f);
/* Highest severity present; CERTPICK_SEV_INFO when empty. */
CERTPICK_API enum certpick_severity certpick_findings_max(const struct certpick_findings *f);
/* Whether a reason is present. */
CERTPICK_API int certpick_findings_has(const struct certpick_findings *f, enum certpick_reason r);
/* Sort most severe first, stable within a severity. */
CERTPICK_API void certpick_findings_sort(struct certpick_findings *f);

#ifdef __cplusplus
}
#endif
#endif
