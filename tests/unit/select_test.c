/*
 * select.c / select_cert.c: the engine. Issuer walks (configured chain,
 * first issuer, all paths, cross-signed), name matching modes, the CA-name
 * index, ordering, pickers, the chain to send, and every reason id select
 * uses (each made to fire, and a negative case next to it).
 */
#include <stdlib.h>
#include <string.h>

#include "select_fixture.h"

static size_t
idx_of(const struct certpick_selection *s, const char *cn)
{
	char want[128];

	snprintf(want, sizeof(want), "CN=%s,O=certpick-test", cn);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].subject, want) == 0)
			return i;
	fail_msg("no candidate %s", want);
	return 0;
}

/* The detail of a check in candidate i's trace ("" when absent). */
static const char *
detail(const struct certpick_selection *s, size_t i, const char *check)
{
	for (size_t k = 0; k < s->v[i].n_trace; k++)
		if (strcmp(s->v[i].trace[k].check, check) == 0)
			return s->v[i].trace[k].detail;
	fail_msg("no check %s", check);
	return "";
}

/* empty CA list: Go takes the first; GnuTLS with two credentials sends nothing */
static void
empty_list(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	assert_int_equal(s->auto_choice, 0);
	assert_false(s->prompt);
	assert_int_equal(s->v[0].verdict, CERTPICK_VERDICT_CHOSEN);
	assert_int_equal(s->v[1].verdict, CERTPICK_VERDICT_ELIGIBLE);
	assert_true(fx_has(s, 1, CERTPICK_REASON_SEL_NOT_FIRST));
	assert_false(fx_has(s, 0, CERTPICK_REASON_SEL_NOT_FIRST));
	s = fx_select(&r, "gnutls");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_NO_CREDENTIAL_EMPTY_LIST));
	assert_true(
	    certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_NO_CREDENTIAL_EMPTY_LIST));
	fx_end(&r);
	/* negative: one credential -> GnuTLS sends it */
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	s = fx_select(&r, "gnutls");
	assert_int_equal(s->chosen, 0);
	assert_false(fx_has(s, 0, CERTPICK_REASON_SEL_NO_CREDENTIAL_EMPTY_LIST));
	fx_end(&r);
}

/* root listed; intermediate configured (Go matches) or only in the store (Chrome walks) */
static void
configured_vs_store_walk(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	assert_int_equal(s->v[0].n_chain, 2);
	assert_non_null(strstr(detail(s, 0, "issuer"), "listed, byte-exact match"));
	fx_end(&r);

	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.alice, true, NULL, NULL);
	fx_store(&r, fx.intA);
	fx_store(&r, fx.rootA);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_ISSUER_NOT_LISTED));
	s = fx_select(&r, "nss");
	assert_int_equal(s->chosen, 0);
	/* chain to send: alice + intA, not the root */
	assert_int_equal(s->v[0].n_chain, 2);
	assert_string_equal(s->v[0].chain[1].subject,
	    "CN=certpick Test Intermediate A,O=certpick-test");
	assert_string_equal(s->v[0].matched_ca, "CN=certpick Test Root A,O=certpick-test");
	s = fx_select(&r, "chrome");
	assert_true(s->prompt);
	assert_int_equal(s->chosen, -1);
	assert_int_equal(s->auto_choice, 0);
	assert_non_null(strstr(detail(s, 0, "issuer"),
	    "CN=certpick Test Intermediate A,O=certpick-test (not listed) -> "
	    "CN=certpick Test Root A,O=certpick-test: listed"));
	fx_end(&r);
}

/* the intermediate is missing everywhere: the walk stops */
static void
intermediate_missing(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.alice, true, NULL, NULL);
	s = fx_select(&r, "chrome");
	assert_false(s->prompt);
	assert_int_equal(s->auto_choice, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_ISSUER_NOT_LISTED));
	assert_non_null(strstr(detail(s, 0, "issuer"), "issuer not found in the store"));
	fx_end(&r);
}

/* only the intermediate is listed: the leaf alone is sent */
static void
only_intermediate_listed(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.intA);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	fx_store(&r, fx.rootA);
	s = fx_select(&r, "nss");
	assert_int_equal(s->chosen, 0);
	assert_int_equal(s->v[0].n_chain, 1);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	fx_end(&r);
}

/* cross-signed intermediate: the path through rootB is taken when only rootB is listed */
static void
cross_signed_path(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;
	unsigned char md[32];
	unsigned len;
	char hex[65];

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootB);
	fx_cand(&r, fx.alice, true, NULL, NULL);
	fx_store(&r, fx.intA); /* first found: by rootA (not listed) */
	fx_store(&r, fx.intA_byB);
	fx_store(&r, fx.rootA);
	fx_store(&r, fx.rootB);
	s = fx_select(&r, "nss");
	assert_int_equal(s->chosen, 0);
	assert_int_equal(s->v[0].n_chain, 2);
	X509_digest(fx.intA_byB, EVP_sha256(), md, &len);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(s->v[0].chain[1].sha256, hex);
	assert_string_equal(s->v[0].matched_ca, "CN=certpick Test Root B,O=certpick-test");
	/* Chrome takes the first issuer found and does not search: no match */
	s = fx_select(&r, "chrome");
	assert_int_equal(s->auto_choice, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_ISSUER_NOT_LISTED));
	fx_end(&r);
}

/* a CA name encoded as PrintableString: byte-exact clients miss, others match */
static void
encoding_only(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca_printable(&r, "certpick Test Root B");
	fx_cand(&r, fx.carol, true, NULL, NULL);
	fx_store(&r, fx.rootB);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_CA_MATCH_ENCODING_ONLY));
	assert_false(fx_has(s, 0, CERTPICK_REASON_SEL_ISSUER_NOT_LISTED));
	s = fx_select(&r, "java");
	assert_int_equal(s->chosen, 0);
	assert_non_null(strstr(detail(s, 0, "issuer"), "normalized match"));
	s = fx_select(&r, "nss"); /* string comparison ignores the string type */
	assert_int_equal(s->chosen, 0);
	assert_false(fx_has(s, 0, CERTPICK_REASON_SEL_CA_MATCH_ENCODING_ONLY));
	fx_end(&r);
}

/* validity: Chrome filters expired / not yet valid; Go ignores dates; PKIX ranks */
static void
validity(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.erin, true, NULL, NULL);
	fx_cand(&r, fx.frank, true, NULL, NULL);
	fx_cand(&r, fx.noeku, true, NULL, NULL);
	s = fx_select(&r, "chrome");
	assert_true(fx_has(s, 0, CERTPICK_REASON_EXPIRED));
	assert_true(fx_has(s, 1, CERTPICK_REASON_NOT_YET_VALID));
	assert_false(fx_has(s, 2, CERTPICK_REASON_EXPIRED));
	assert_int_equal(s->auto_choice, 2);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	assert_false(fx_has(s, 0, CERTPICK_REASON_EXPIRED));
	s = fx_select(&r, "java-pkix"); /* a valid one exists: it wins */
	assert_int_equal(s->chosen, 2);
	assert_int_equal(s->v[0].verdict, CERTPICK_VERDICT_ELIGIBLE);
	assert_true(fx_has(s, 0, CERTPICK_REASON_EXPIRED));
	fx_end(&r);
	/* PKIX sends the expired one when nothing better exists */
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.erin, true, NULL, NULL);
	s = fx_select(&r, "java-pkix");
	assert_int_equal(s->chosen, 0);
	fx_end(&r);
}

/* KU / EKU rules */
static void
usages(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;
	size_t bob, any, enc, noku, noeku;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.bob, true, NULL, NULL);
	fx_cand(&r, fx.anyeku, true, NULL, NULL);
	fx_cand(&r, fx.kuenc, true, NULL, NULL);
	fx_cand(&r, fx.noku, true, NULL, NULL);
	fx_cand(&r, fx.noeku, true, NULL, NULL);
	s = fx_select(&r, "nss");
	bob = idx_of(s, "bob-serveronly");
	any = idx_of(s, "anyeku");
	enc = idx_of(s, "kuenc");
	noku = idx_of(s, "noku");
	noeku = idx_of(s, "noeku");
	assert_true(fx_has(s, bob, CERTPICK_REASON_EKU_NO_CLIENT_AUTH));
	assert_true(fx_has(s, any, CERTPICK_REASON_EKU_ANY_ONLY));
	assert_false(fx_has(s, any, CERTPICK_REASON_EKU_NO_CLIENT_AUTH));
	assert_true(fx_has(s, enc, CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE));
	assert_int_equal(s->v[noku].verdict, CERTPICK_VERDICT_CHOSEN);
	assert_int_equal(s->v[noeku].verdict, CERTPICK_VERDICT_ELIGIBLE);
	assert_false(fx_has(s, noeku, CERTPICK_REASON_EKU_NO_CLIENT_AUTH));
	assert_false(fx_has(s, noku, CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE));
	s = fx_select(&r, "chrome-mac"); /* anyEKU accepted */
	assert_false(fx_has(s, any, CERTPICK_REASON_EKU_ANY_ONLY));
	assert_int_not_equal(s->v[any].verdict, CERTPICK_VERDICT_FILTERED);
	s = fx_select(&r, "go"); /* no usage checks at all */
	assert_int_equal(s->chosen, bob);
	fx_end(&r);
}

/* no private key */
static void
no_key(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.noeku, false, NULL, NULL);
	fx_cand(&r, fx.noku, true, NULL, NULL);
	s = fx_select(&r, "go");
	assert_true(fx_has(s, 0, CERTPICK_REASON_NO_PRIVATE_KEY));
	assert_false(fx_has(s, 1, CERTPICK_REASON_NO_PRIVATE_KEY));
	assert_int_equal(s->chosen, 1);
	fx_end(&r);
}

/* key algorithms and signature schemes */
static void
key_types_and_sigalgs(void **state)
{
	static const uint16_t ecdsa_only[] = { 0x0403 };
	static const uint16_t rsa_only[] = { 0x0804, 0x0401 };
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.dave, true, NULL, NULL);	 /* Ed25519 */
	fx_cand(&r, fx.carol, true, NULL, NULL); /* RSA */
	s = fx_select(&r, "firefox");
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_KEY_ALG_UNSUPPORTED));
	assert_false(fx_has(s, 1, CERTPICK_REASON_SEL_KEY_ALG_UNSUPPORTED));
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	/* the server offers only ECDSA: Go skips both (Ed25519 and RSA cannot) */
	fx_sigalgs(&r, ecdsa_only, 1);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_NO_COMMON_SIGALG));
	assert_true(fx_has(s, 1, CERTPICK_REASON_SEL_NO_COMMON_SIGALG));
	/* OpenSSL checks after its one choice: nothing sent */
	s = fx_select(&r, "openssl");
	assert_int_equal(s->chosen, -1);
	assert_true(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_NO_COMMON_SIGALG));
	fx_sigalgs(&r, rsa_only, 2);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 1);
	assert_false(fx_has(s, 1, CERTPICK_REASON_SEL_NO_COMMON_SIGALG));
	fx_end(&r);
	/* TLS 1.3: ECDSA scheme must match the curve */
	fx_begin(&r, CERTPICK_TLS13);
	fx_sigalgs(&r, ecdsa_only, 1);
	fx_cand(&r, fx.p384leaf, true, NULL, NULL);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_NO_COMMON_SIGALG));
	fx_end(&r);
	/* TLS 1.2: any curve */
	fx_begin(&r, CERTPICK_TLS12);
	fx_sigalgs(&r, ecdsa_only, 1);
	fx_cand(&r, fx.p384leaf, true, NULL, NULL);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	fx_end(&r);
}

/* TLS 1.2 certificate_types: GnuTLS keeps only listed key types */
static void
cert_types(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS12);
	r.req.n_cert_types = 1; /* rsa_sign only */
	fx_ca(&r, fx.intA);
	fx_ca(&r, fx.rootB);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = fx_select(&r, "gnutls");
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_KEYTYPE_NOT_IN_CERT_TYPES));
	assert_false(fx_has(s, 1, CERTPICK_REASON_SEL_KEYTYPE_NOT_IN_CERT_TYPES));
	assert_int_equal(s->chosen, 1);
	/* Go: the EC key has no scheme left once rsa_sign only is listed */
	s = fx_select(&r, "go");
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_NO_COMMON_SIGALG));
	assert_int_equal(s->chosen, 1);
	fx_end(&r);
}

/* GnuTLS walks the server's CA list in order: the CA listed first wins */
static void
gnutls_server_order(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootB);
	fx_ca(&r, fx.intA);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = fx_select(&r, "gnutls");
	assert_int_equal(s->chosen, 1);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	fx_end(&r);
}

/* the request is too large for Java (32 KiB) but not for Go */
static void
request_size(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	r.req.size = 40000;
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	s = fx_select(&r, "java");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_CR_TOO_LARGE_FOR_CLIENT));
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	assert_false(fx_has(s, 0, CERTPICK_REASON_SEL_CR_TOO_LARGE_FOR_CLIENT));
	fx_end(&r);
}

/* ordering: Chrome takes the later notAfter; config order for Go */
static void
ordering(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.alice, true, fx.intA, NULL); /* notAfter +300 */
	fx_cand(&r, fx.carol, true, NULL, NULL);    /* notAfter +400 */
	s = fx_select(&r, "chrome");
	assert_int_equal(s->auto_choice, 1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_NOT_FIRST));
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	fx_end(&r);
}

/* Windows keeps only the newest certificate per subject */
static void
duplicates(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.alice_old, true, fx.intA, NULL);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = fx_select(&r, "windows");
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_DUPLICATE_SUPERSEDED));
	assert_false(fx_has(s, 1, CERTPICK_REASON_SEL_DUPLICATE_SUPERSEDED));
	assert_int_equal(s->v[0].verdict, CERTPICK_VERDICT_FILTERED);
	s = fx_select(&r, "chrome"); /* Chrome on Linux does not dedupe */
	assert_false(fx_has(s, 0, CERTPICK_REASON_SEL_DUPLICATE_SUPERSEDED));
	s = fx_select(&r, "chrome-win"); /* nor on Windows [S] */
	assert_false(fx_has(s, 0, CERTPICK_REASON_SEL_DUPLICATE_SUPERSEDED));
	assert_int_equal(s->v[0].verdict, CERTPICK_VERDICT_CHOSEN);
	fx_end(&r);
}

/* SunX509 iterates a HashMap: two EC keys -> unpredictable; PKIX is ordered */
static void
java_order(void **state)
{
	static const uint16_t rsa_first[] = { 0x0804, 0x0403 };
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.noeku, true, NULL, NULL);
	fx_cand(&r, fx.noku, true, NULL, NULL);
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = fx_select(&r, "java");
	assert_true(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE));
	s = fx_select(&r, "java-pkix");
	assert_false(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE));
	assert_int_equal(s->chosen, 0);
	/* EC offered first: both take the EC key (PKIX: an OK entry of the first
	 * key type returns at once) [T OpenJDK 17.0.15, openssl s_server] */
	{
		struct fx_run r2;

		fx_begin(&r2, CERTPICK_TLS13);
		fx_cand(&r2, fx.dave, true, NULL, NULL);
		fx_cand(&r2, fx.noeku, true, NULL, NULL);
		assert_int_equal(fx_select(&r2, "java")->chosen, 1);
		assert_int_equal(fx_select(&r2, "java-pkix")->chosen, 1);
		fx_end(&r2);
	}
	/* PKIX, JDK-8262186: the first entry if OK, whatever its key type; else
	 * (CheckResult, key index): an OK RSA key beats an expired EC key */
	{
		struct fx_run r3;

		fx_begin(&r3, CERTPICK_TLS13);
		fx_cand(&r3, fx.carol, true, NULL, NULL);
		fx_cand(&r3, fx.dave, true, NULL, NULL);
		assert_int_equal(fx_select(&r3, "java-pkix")->chosen, 0);
		fx_end(&r3);
		fx_begin(&r3, CERTPICK_TLS13);
		fx_cand(&r3, fx.erin, true, NULL, NULL);
		fx_cand(&r3, fx.carol, true, NULL, NULL);
		assert_int_equal(fx_select(&r3, "java-pkix")->chosen, 1);
		fx_end(&r3);
	}
	/* the server lists RSA schemes first: the RSA key is asked for first */
	fx_sigalgs(&r, rsa_first, 2);
	s = fx_select(&r, "java");
	assert_int_equal(s->chosen, 2);
	assert_false(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE));
	fx_end(&r);
}

/* Java PKIX skips a chain signed outside the server's schemes; SunX509 does not */
static void
java_pkix_chain_sigalg(void **state)
{
	static const uint16_t ecdsa_only[] = { 0x0403 };
	X509 *rootR = fx_cert("rootR", NULL, fx.rsa, NULL, FX_CA, -10, 3000);
	X509 *ecbyrsa = fx_cert("ecbyrsa", rootR, fx.ec, fx.rsa, FX_GOOD, -10, 300);
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_sigalgs(&r, ecdsa_only, 1);
	fx_cand(&r, ecbyrsa, true, NULL, NULL);
	s = fx_select(&r, "java-pkix");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_CHAIN_SIGALG_NOT_OFFERED));
	s = fx_select(&r, "java");
	assert_int_equal(s->chosen, 0);
	s = fx_select(&r, "go");
	assert_int_equal(s->chosen, 0);
	fx_end(&r);
	/* an ECDSA-signed chain passes */
	fx_begin(&r, CERTPICK_TLS13);
	fx_sigalgs(&r, ecdsa_only, 1);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	assert_int_equal(fx_select(&r, "java-pkix")->chosen, 0);
	fx_end(&r);
	X509_free(ecbyrsa);
	X509_free(rootR);
}

/* GnuTLS, TLS 1.3: an ECDSA scheme admits an EC key of any curve; a P-384 key
 * first in line is chosen, then dropped: nothing is sent [T GnuTLS 3.7.9] */
static void
gnutls_ec_by_family(void **state)
{
	static const uint16_t ecdsa_only[] = { 0x0403 };
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_sigalgs(&r, ecdsa_only, 1);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.p384leaf, true, NULL, NULL);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	s = fx_select(&r, "gnutls");
	assert_int_equal(s->chosen, -1);
	assert_true(fx_has(s, 0, CERTPICK_REASON_SEL_NO_COMMON_SIGALG));
	assert_int_equal(fx_select(&r, "go")->chosen, 1);
	fx_end(&r);
	fx_begin(&r, CERTPICK_TLS13);
	fx_sigalgs(&r, ecdsa_only, 1);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	fx_cand(&r, fx.p384leaf, true, NULL, NULL);
	assert_int_equal(fx_select(&r, "gnutls")->chosen, 0);
	fx_end(&r);
}

/* NSS: equal notBefore, different notAfter: the database's order decides, not
 * notAfter [T tstclnt NSS 3.87, both import orders]; Chrome takes the later
 * notAfter */
static void
nss_tie_order(void **state)
{
	X509 *shortx = fx_cert("nbshort", fx.rootA, fx.ec, fx.kA, FX_GOOD, -10, 100);
	X509 *longx = fx_cert("nblong", fx.rootA, fx.ec, fx.kA, FX_GOOD, -10, 400);
	X509 *order[2][2] = { { shortx, longx }, { longx, shortx } };
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	for (int i = 0; i < 2; i++) {
		fx_begin(&r, CERTPICK_TLS13);
		fx_cand(&r, order[i][0], true, NULL, NULL);
		fx_cand(&r, order[i][1], true, NULL, NULL);
		s = fx_select(&r, "nss");
		assert_int_equal(s->chosen, 0);
		assert_false(
		    certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE));
		assert_int_equal(fx_select(&r, "chrome")->auto_choice, i == 0 ? 1 : 0);
		fx_end(&r);
	}
	X509_free(shortx);
	X509_free(longx);
}

/* equal dates: Chrome's sort cannot tell them apart, certpick says so */
static void
sort_ties(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.noeku, true, NULL, NULL);
	fx_cand(&r, fx.noku, true, NULL, NULL);
	s = fx_select(&r, "chrome");
	assert_true(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE));
	s = fx_select(&r, "go"); /* configuration order is defined */
	assert_false(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE));
	fx_cand(&r, fx.carol, true, NULL, NULL); /* a later notAfter wins outright */
	s = fx_select(&r, "chrome");
	assert_false(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE));
	assert_int_equal(s->auto_choice, 2);
	fx_end(&r);
}

/* pickers: Chrome prompts and auto-selects; IE auto-sends only a single one */
static void
pickers(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	s = fx_select(&r, "windows");
	assert_true(s->prompt);
	assert_int_equal(s->chosen, -1);
	assert_int_equal(s->auto_choice, 0);
	assert_true(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_AUTOSELECT_NO_MATCH));
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = fx_select(&r, "windows");
	assert_true(s->prompt);
	assert_int_equal(s->auto_choice, -1);
	s = fx_select(&r, "firefox");
	assert_true(s->prompt);
	assert_int_equal(s->auto_choice, 0);
	s = fx_select(&r, "go");
	assert_false(certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_AUTOSELECT_NO_MATCH));
	fx_end(&r);
}

/*
 * windows (Schannel / IE) against chrome-win (Chrome, Edge on Windows): one
 * row per rule that differs and is not a row of profiles_test.c. Candidates:
 * carol (RSA, notAfter +400 d) then alice (EC, +300 d, on a smart card when
 * card is set); no CA names.
 */
static const struct win_row {
	int line;
	const char *profile;
	size_t size;	  /* the CertificateRequest's size; 0: small */
	bool card;	  /* alice's key is on a PKCS#11 token */
	bool one;	  /* only carol */
	long auto_choice; /* what goes out without a click (-1: nothing) */
	long not_first;	  /* the candidate that carries sel-not-first, -1: none */
	bool too_large;	  /* carol carries sel-cr-too-large-for-client */
} win_rows[] = {
#define W(...)                        \
	{                             \
		__LINE__, __VA_ARGS__ \
	}
	/* size: Schannel MessageLimitClient 32 KiB [D] against BoringSSL 100 KiB [S] */
	/* 40000 bytes: over Schannel's limit, the handshake fails */
	W("windows", 40000, false, true, -1, -1, true),
	/* 40000 bytes: BoringSSL reads it, carol goes out */
	W("chrome-win", 40000, false, true, 0, -1, false),
	/* exactly 32 KiB: still within MessageLimitClient */
	W("windows", 32768, false, true, 0, -1, false),
	/* the limit is on the body: a 32772-byte message carries 32768, still read */
	W("windows", 32772, false, true, 0, -1, false),
	/* one byte more of body: over the limit, as probe's cr-too-large-java-windows */
	W("windows", 32773, false, true, -1, -1, true),
	/* a body one byte over 100 KiB: too large for BoringSSL too */
	W("chrome-win", 102405, false, true, -1, -1, true),
	/* a body of exactly 100 KiB: read */
	W("chrome-win", 102404, false, true, 0, -1, false),
	/* order: CertSelect puts the smart card first [D]; the Chrome sorter never
	 * looks at the key store, later notAfter first [S] */
	/* alice on a card goes before carol despite the earlier notAfter */
	W("windows", 0, true, false, -1, 0, false),
	/* the card does not count: carol (+400 d) first and auto-selected */
	W("chrome-win", 0, true, false, 0, 1, false),
	/* no card: later notAfter first, and IE prompts for two */
	W("windows", 0, false, false, -1, 1, false),
	/* no card: the same order, AutoSelect sends the first */
	W("chrome-win", 0, false, false, 0, 1, false),
	/* picker: IE sends alone only when one qualifies [I]; AutoSelect the first [S] */
	/* one qualifies: with IE's "don't prompt" setting it goes out unasked */
	W("windows", 0, false, true, 0, -1, false),
	/* one qualifies: the picker, or AutoSelectCertificateForUrls sends it */
	W("chrome-win", 0, false, true, 0, -1, false),
#undef W
};

static void
windows_split(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(win_rows) / sizeof(win_rows[0]); i++) {
		const struct win_row *w = &win_rows[i];
		struct fx_run r;
		struct certpick_selection *s;
		bool ok;

		fx_begin(&r, CERTPICK_TLS13);
		r.req.size = w->size;
		fx_cand(&r, fx.carol, true, NULL, NULL);
		if (!w->one) {
			struct cp_selcand *a = fx_cand(&r, fx.alice, true, fx.intA, NULL);

			if (w->card)
				a->key_store = CERTPICK_KEY_PKCS11;
		}
		s = fx_select(&r, w->profile);
		ok = s->prompt && s->chosen == -1 && s->auto_choice == w->auto_choice &&
		    fx_has(s, 0, CERTPICK_REASON_SEL_CR_TOO_LARGE_FOR_CLIENT) == w->too_large &&
		    (w->one ||
			fx_has(s, 0, CERTPICK_REASON_SEL_NOT_FIRST) == (w->not_first == 0)) &&
		    (w->one || fx_has(s, 1, CERTPICK_REASON_SEL_NOT_FIRST) == (w->not_first == 1));
		if (w->too_large)
			ok = s->auto_choice == -1 &&
			    fx_has(s, 0, CERTPICK_REASON_SEL_CR_TOO_LARGE_FOR_CLIENT);
		if (!ok) {
			print_error("select_test.c:%d %s: prompt %d auto %ld\n", w->line,
			    w->profile, s->prompt, s->auto_choice);
			failed++;
		}
		fx_end(&r);
	}
	assert_int_equal(failed, 0);
}

/* OpenSSL: exactly one configured certificate, sent whatever the CA list says */
static void
openssl_single(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootB);
	fx_cand(&r, fx.mallory, true, NULL, NULL);
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = fx_select(&r, "openssl");
	assert_int_equal(s->chosen, 0);
	assert_true(fx_has(s, 1, CERTPICK_REASON_SEL_NOT_FIRST));
	assert_int_equal(s->v[1].verdict, CERTPICK_VERDICT_FILTERED);
	fx_end(&r);
}

/* Firefox: a listed subject is an anchor; nonRepudiation goes last */
static void
firefox_rules(void **state)
{
	struct fx_run r;
	struct certpick_selection *s;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.noeku); /* the leaf's own subject */
	fx_cand(&r, fx.noeku, true, NULL, NULL);
	s = fx_select(&r, "firefox");
	assert_int_equal(s->auto_choice, 0);
	s = fx_select(&r, "nss");
	assert_int_equal(s->chosen, -1);
	fx_end(&r);
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.nrleaf, true, NULL, NULL);
	fx_cand(&r, fx.noeku, true, NULL, NULL);
	s = fx_select(&r, "firefox");
	assert_int_equal(s->auto_choice, 1);
	fx_end(&r);
}

/* the store index: many certificates with the same subject chain in insertion order */
static void
store_index(void **state)
{
	struct cp_selstore st = { 0 };
	struct certpick_error err = { 0 };
	const struct cp_selcert *a, *b, *again;
	size_t it;

	(void)state;
	assert_ok(cp_selstore_add(&st, fx.intA, &a, &err), &err);
	for (int i = 0; i < 100; i++) { /* force several rehashes */
		X509 *x = fx_cert("filler", fx.rootA, fx.ec, fx.kA, FX_GOOD, -1, 1);
		const struct cp_selcert *f;

		assert_ok(cp_selstore_add(&st, x, &f, &err), &err);
		X509_free(x);
	}
	assert_ok(cp_selstore_add(&st, fx.intA_byB, &b, &err), &err);
	assert_ok(cp_selstore_add(&st, fx.intA, &again, &err), &err);
	assert_ptr_equal(a, again); /* deduplicated */
	it = cp_selstore_first(&st, &a->subject);
	assert_ptr_equal(CP_SELSTORE_GET(&st, it), a);
	it = cp_selstore_next(&st, it, &a->subject);
	assert_ptr_equal(CP_SELSTORE_GET(&st, it), b);
	assert_int_equal(cp_selstore_next(&st, it, &a->subject), 0);
	assert_int_equal(st.n, 102);
	cp_selstore_release(&st);
}

/* facts: key algorithm names, KU/EKU extraction */
static void
cert_facts(void **state)
{
	struct cp_selcert *c = NULL;
	struct certpick_error err = { 0 };

	(void)state;
	assert_ok(cp_selcert_new(fx.bob, &c, &err), &err);
	assert_true(c->has_ku);
	assert_true(c->has_eku);
	assert_false(c->eku_client);
	assert_string_equal(c->eku_text, "serverAuth");
	assert_int_equal(c->keyalg, CP_KA_EC_P256);
	cp_selcert_free(c);
	assert_ok(cp_selcert_new(fx.dave, &c, &err), &err);
	assert_int_equal(c->keyalg, CP_KA_ED25519);
	assert_string_equal(cp_keyalg_name(c->keyalg), "Ed25519");
	cp_selcert_free(c);
	assert_ok(cp_selcert_new(fx.p384leaf, &c, &err), &err);
	assert_int_equal(c->keyalg, CP_KA_EC_P384);
	cp_selcert_free(c);
	assert_string_equal(certpick_verdict_name(CERTPICK_VERDICT_ELIGIBLE), "eligible");
}

/* misuse is an error, not a crash */
static void
misuse(void **state)
{
	struct certpick_selection *s = NULL;
	struct certpick_error err = { 0 };

	(void)state;
	assert_int_equal(cp_select_run_facts(NULL, NULL, 0, NULL, NULL, NULL, &s, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_null(s);
	certpick_selection_free(NULL);
}

static int
alloc_op(void *arg)
{
	struct fx_run *r = arg;
	struct certpick_selection *s = NULL;
	struct certpick_select_options o = { .now = FX_NOW };
	int ret;

	ret = cp_select_run_facts(certpick_profile_find("chrome"), r->cands, r->n, &r->store,
	    &r->req, &o, &s, NULL);
	certpick_selection_free(s);
	return ret;
}

/* every allocation in the engine can fail cleanly */
static void
allocation_failures(void **state)
{
	struct fx_run r;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.alice, true, NULL, NULL);
	fx_cand(&r, fx.erin, true, NULL, NULL);
	fx_store(&r, fx.intA);
	assert_true(tu_alloc_loop(alloc_op, &r) > 5);
	fx_end(&r);
}

/* ---- when the client is asked, and the outcome ---- */

#define PH_INI CERTPICK_PHASE_INITIAL
#define PH_REN CERTPICK_PHASE_RENEGOTIATION
#define PH_PHA CERTPICK_PHASE_POST_HANDSHAKE
#define RE(x) CERTPICK_REACH_##x
#define OC(x) CERTPICK_OUTCOME_##x
#define RN(x) CERTPICK_REASON_##x

/* One good candidate (alice + intA configured, Root A listed), per profile and phase. */
static const struct phase_row {
	int line;
	const char *profile;
	enum certpick_phase phase;
	enum certpick_reach reach;
	enum certpick_outcome outcome;
	enum certpick_reason why;
} phase_rows[] = {
#define P(...)                        \
	{                             \
		__LINE__, __VA_ARGS__ \
	}
	/* at the handshake every client is asked */
	P("go", PH_INI, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("chrome", PH_INI, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("windows", PH_INI, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("chrome-win", PH_INI, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("openssl", PH_INI, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	/* TLS 1.2 renegotiation [T]: Go fails the connection, a GnuTLS application
	 * that does not handshake again is never asked, the others answer */
	P("go", PH_REN, RE(FAILS), OC(FAILS_CONNECTION), RN(SEL_RENEGOTIATION_REFUSED)),
	P("gnutls", PH_REN, RE(IGNORED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_RENEGOTIATION)),
	P("chrome", PH_REN, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("chrome-mac", PH_REN, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("windows", PH_REN, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("chrome-win", PH_REN, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("firefox", PH_REN, RE(ASKED), OC(PICKER), RN(SEL_OUTCOME_PICKER)),
	P("nss", PH_REN, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("java", PH_REN, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("java-pkix", PH_REN, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("openssl", PH_REN, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("dotnet", PH_REN, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	/* TLS 1.3 post-handshake auth [T]: only clients that offer it are asked */
	P("go", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("gnutls", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("chrome", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("chrome-mac", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("windows", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("chrome-win", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("firefox", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("nss", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("java", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("java-pkix", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("openssl", PH_PHA, RE(NOT_OFFERED), OC(NEVER_ASKED), RN(SEL_NEVER_ASKED_PHA)),
	P("dotnet", PH_PHA, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("curl", PH_PHA, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("python", PH_PHA, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("curl", PH_REN, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
	P("python", PH_REN, RE(ASKED), OC(SENDS), RN(SEL_OUTCOME_SENDS)),
#undef P
};

static struct certpick_selection *
phase_select(struct fx_run *r, const char *profile, const char *answer)
{
	struct certpick_error err = { 0 };
	struct certpick_select_options o = { .now = FX_NOW, .server_answer = answer };

	certpick_selection_free(r->sel);
	r->sel = NULL;
	assert_ok(cp_select_run_facts(certpick_profile_find(profile), r->cands, r->n, &r->store,
		      &r->req, &o, &r->sel, &err),
	    &err);
	return r->sel;
}

/* One row; on a mismatch says which row and which expectation. */
#define PCHECK(cond)                                                                         \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			print_error("select_test.c:%d %s %s: %s\n", row->line, row->profile, \
			    certpick_phase_name(row->phase), #cond);                         \
			ok = false;                                                          \
			goto out;                                                            \
		}                                                                            \
	} while (0)

static bool
phase_row_ok(const struct phase_row *row)
{
	bool reached = row->reach == CERTPICK_REACH_ASKED, ok = true;
	struct certpick_selection *s;
	struct fx_run r;

	fx_begin(&r, row->phase == PH_REN ? CERTPICK_TLS12 : CERTPICK_TLS13);
	r.req.phase = row->phase;
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	s = phase_select(&r, row->profile, reached ? NULL : "HTTP 403 (403.7)");
	PCHECK(s->phase == row->phase);
	PCHECK(s->reach == row->reach);
	PCHECK(s->outcome == row->outcome);
	PCHECK(s->outcome_reason == row->why);
	/* what it would send if asked is known either way */
	PCHECK(s->if_asked == 0);
	if (reached) {
		PCHECK((s->chosen >= 0 ? s->chosen : s->auto_choice) == 0);
		PCHECK(s->v[0].verdict == CERTPICK_VERDICT_CHOSEN);
		PCHECK(!certpick_findings_has(&s->findings, row->why));
		goto out;
	}
	/* nothing goes out, no picker, and the reason comes first */
	PCHECK(s->chosen == -1 && s->auto_choice == -1 && !s->prompt);
	PCHECK(s->v[0].verdict == CERTPICK_VERDICT_ELIGIBLE);
	PCHECK(fx_has(s, 0, row->why));
	PCHECK(s->findings.n > 0 && s->findings.v[0].reason == row->why);
	/* the probe's answer is the one a client without PHA gets; a refused or
	 * ignored renegotiation gets no HTTP answer */
	PCHECK((strstr(s->findings.v[0].detail, "HTTP 403 (403.7)") != NULL) ==
	    (row->reach == CERTPICK_REACH_NOT_OFFERED));
	PCHECK(!certpick_findings_has(&s->findings, CERTPICK_REASON_SEL_AUTOSELECT_NO_MATCH));
	PCHECK(strstr(s->note, "if it were asked") != NULL);
	PCHECK(strncmp(s->note,
		   row->reach == CERTPICK_REACH_FAILS ? "fails the connection" : "never asked",
		   11) == 0);
out:
	fx_end(&r);
	return ok;
}
#undef PCHECK

static void
phases(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(phase_rows) / sizeof(phase_rows[0]); i++)
		failed += !phase_row_ok(&phase_rows[i]);
	assert_int_equal(failed, 0);
}

/* every profile states both later phases with a source; settings where they exist */
static void
phase_data(void **state)
{
	(void)state;
	for (size_t i = 0; i < certpick_profile_count(); i++) {
		const struct certpick_profile *p = certpick_profile_get(i);

		for (int ph = PH_INI; ph <= PH_PHA; ph++) {
			const struct certpick_phase_support *ps =
			    certpick_profile_phase(p, (enum certpick_phase)ph);

			assert_non_null(ps);
			assert_non_null(ps->source);
			assert_true(strlen(ps->source) > 10);
			if (ph != PH_INI)
				assert_non_null(ps->alpn);
		}
	}
	assert_int_equal(certpick_profile_phase(certpick_profile_find("go"), PH_INI)->reach,
	    CERTPICK_REACH_ASKED);
	assert_non_null(certpick_profile_phase(certpick_profile_find("go"), PH_REN)->setting);
	assert_non_null(certpick_profile_phase(certpick_profile_find("firefox"), PH_PHA)->setting);
	assert_null(certpick_profile_phase(certpick_profile_find("chrome"), PH_PHA)->setting);
	assert_null(certpick_profile_phase(NULL, PH_INI));
	assert_null(certpick_profile_phase(certpick_profile_find("go"), (enum certpick_phase)7));
	assert_string_equal(certpick_reach_name(CERTPICK_REACH_NOT_OFFERED), "not-offered");
	assert_string_equal(certpick_reach_name(CERTPICK_REACH_FAILS), "fails");
	assert_string_equal(certpick_outcome_name(CERTPICK_OUTCOME_NEVER_ASKED), "never-asked");
	assert_string_equal(certpick_outcome_name(CERTPICK_OUTCOME_SENDS_THEN_FAILS),
	    "sends-then-fails");
	/* ids are API */
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_SEL_NEVER_ASKED_PHA),
	    "never-asked-pha");
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_SEL_RENEGOTIATION_REFUSED),
	    "renegotiation-refused");
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_SEL_NEVER_ASKED_RENEGOTIATION),
	    "never-asked-renegotiation");
}

/* the outcome of a client that is asked: sends, sends nothing, picker */
static void
outcomes(void **state)
{
	struct certpick_selection *s;
	struct fx_run r;

	(void)state;
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootB);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	s = phase_select(&r, "go", NULL);
	assert_int_equal(s->outcome, CERTPICK_OUTCOME_SENDS_NOTHING);
	assert_int_equal(s->outcome_reason, CERTPICK_REASON_SEL_OUTCOME_SENDS_NOTHING);
	assert_int_equal(s->if_asked, -1);
	s = phase_select(&r, "chrome", NULL);
	/* nothing qualifies: no picker either */
	assert_int_equal(s->outcome, CERTPICK_OUTCOME_SENDS_NOTHING);
	fx_end(&r);
	/* a picker without auto-selection (IE: two qualify) */
	fx_begin(&r, CERTPICK_TLS13);
	fx_cand(&r, fx.alice, true, fx.intA, NULL);
	fx_cand(&r, fx.carol, true, NULL, NULL);
	s = phase_select(&r, "windows", NULL);
	assert_int_equal(s->outcome, CERTPICK_OUTCOME_PICKER);
	assert_int_equal(s->auto_choice, -1);
	assert_int_equal(s->if_asked, -1);
	fx_end(&r);
}

/* [T] OpenJDK 17.0.15: in TLS 1.3 Java picks an EC key by key type, sends it,
 * then finds no CertificateVerify scheme for its curve and aborts; Go and
 * OpenSSL-style clients filter (or send nothing) instead */
static void
sends_then_fails(void **state)
{
	static const uint16_t p256_only[] = { 0x0403 };
	struct certpick_selection *s;
	struct fx_run r;

	(void)state;
	for (int tls13 = 0; tls13 <= 1; tls13++) {
		fx_begin(&r, tls13 ? CERTPICK_TLS13 : CERTPICK_TLS12);
		fx_sigalgs(&r, p256_only, 1);
		fx_ca(&r, fx.rootA);
		fx_cand(&r, fx.p384leaf, true, NULL, NULL);
		fx_cand(&r, fx.alice, true, fx.intA, NULL);
		for (int k = 0; k < 2; k++) {
			s = phase_select(&r, k ? "java-pkix" : "java", NULL);
			assert_int_equal(s->chosen, 0);
			assert_int_equal(s->v[0].verdict, CERTPICK_VERDICT_CHOSEN);
			assert_int_equal(s->outcome,
			    tls13 ? CERTPICK_OUTCOME_SENDS_THEN_FAILS : CERTPICK_OUTCOME_SENDS);
			assert_int_equal(s->outcome_reason,
			    tls13 ? CERTPICK_REASON_SEL_OUTCOME_SENDS_THEN_FAILS :
				    CERTPICK_REASON_SEL_OUTCOME_SENDS);
			assert_int_equal(certpick_findings_has(&s->findings,
					     CERTPICK_REASON_SEL_NO_COMMON_SIGALG) != 0,
			    tls13);
			if (tls13)
				assert_non_null(strstr(s->note, "then the handshake fails"));
		}
		s = phase_select(&r, "go", NULL);
		assert_int_equal(s->chosen, tls13 ? 1 : 0);
		assert_int_equal(s->outcome, CERTPICK_OUTCOME_SENDS);
		fx_end(&r);
	}
	/* the curve offered: Java sends it and the handshake goes on */
	fx_begin(&r, CERTPICK_TLS13);
	fx_ca(&r, fx.rootA);
	fx_cand(&r, fx.p384leaf, true, NULL, NULL);
	s = phase_select(&r, "java", NULL);
	assert_int_equal(s->outcome, CERTPICK_OUTCOME_SENDS);
	fx_end(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_list),
		cmocka_unit_test(configured_vs_store_walk),
		cmocka_unit_test(intermediate_missing),
		cmocka_unit_test(only_intermediate_listed),
		cmocka_unit_test(cross_signed_path),
		cmocka_unit_test(encoding_only),
		cmocka_unit_test(validity),
		cmocka_unit_test(usages),
		cmocka_unit_test(no_key),
		cmocka_unit_test(key_types_and_sigalgs),
		cmocka_unit_test(cert_types),
		cmocka_unit_test(gnutls_server_order),
		cmocka_unit_test(request_size),
		cmocka_unit_test(ordering),
		cmocka_unit_test(duplicates),
		cmocka_unit_test(java_order),
		cmocka_unit_test(java_pkix_chain_sigalg),
		cmocka_unit_test(gnutls_ec_by_family),
		cmocka_unit_test(nss_tie_order),
		cmocka_unit_test(sort_ties),
		cmocka_unit_test(pickers),
		cmocka_unit_test(windows_split),
		cmocka_unit_test(openssl_single),
		cmocka_unit_test(firefox_rules),
		cmocka_unit_test(store_index),
		cmocka_unit_test(cert_facts),
		cmocka_unit_test(misuse),
		cmocka_unit_test(allocation_failures),
		cmocka_unit_test(phases),
		cmocka_unit_test(phase_data),
		cmocka_unit_test(outcomes),
		cmocka_unit_test(sends_then_fails),
	};

	tu_allocfail_install();
	return cmocka_run_group_tests(tests, fx_setup, NULL);
}
