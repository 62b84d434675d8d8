/* pki.c: the test-PKI generator, read back with the candidate loader and OpenSSL. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "testutil.h"
#include "internal.h"

#define NOW 1893456000L /* 2030-01-01T00:00:00Z */

static const struct certpick_pki_spec specs[] = {
	{ /* an EC root */
	    .name = "root",
	    .subject = "CN=Test Root,O=certpick",
	    .ca = true,
	    .pathlen = -1,
	    .ku = "keyCertSign,cRLSign" },
	{ /* an RSA intermediate with pathlen 0 */
	    .name = "int",
	    .issuer = "root",
	    .key = CERTPICK_PKI_RSA,
	    .ca = true,
	    .pathlen = 0,
	    .ku = "keyCertSign,cRLSign" },
	{ /* a good client leaf, also as .p12 */
	    .name = "alice",
	    .issuer = "int",
	    .ku = "digitalSignature",
	    .eku = "clientAuth",
	    .pkcs12 = true },
	{ /* Ed25519 leaf, expired, with SAN */
	    .name = "ed",
	    .issuer = "root",
	    .key = CERTPICK_PKI_ED25519,
	    .ku = "digitalSignature",
	    .eku = "clientAuth,serverAuth",
	    .san = "DNS:localhost",
	    .not_before = -20 * 86400L,
	    .not_after = -10 * 86400L },
	{ /* SHA-1, RSA 1024: the weak one */
	    .name = "weak",
	    .issuer = "int",
	    .key = CERTPICK_PKI_RSA,
	    .bits = 1024,
	    .md = "sha1",
	    .eku = "clientAuth" },
	{ /* a .pfx as openssl -keyex -CSP writes it */
	    .name = "bad-pfx",
	    .issuer = "int",
	    .ku = "digitalSignature",
	    .eku = "clientAuth",
	    .pkcs12 = true,
	    .p12_keyspec = CERTPICK_PKI_KEYSPEC_EXCHANGE,
	    .p12_csp = "Microsoft Enhanced Cryptographic Provider v1.0" },
	{ /* P-384 self-signed end entity */
	    .name = "self",
	    .bits = 384,
	    .ku = "digitalSignature",
	    .eku = "clientAuth" },
};

static void
generate_and_read_back(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_pki *pki = certpick_pki_new(NOW, &err);
	struct certpick_candset *set = NULL;
	struct certpick_load_options opts = { .password = "pw" };
	char *dir = tu_tmpdir();
	char path[4096];
	X509 *x;
	struct stat st;

	(void)state;
	assert_non_null(pki);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		assert_ok(certpick_pki_add(pki, &specs[i], &err), &err);
	assert_ok(certpick_pki_write(pki, dir, "pw", &err), &err);

	/* the intermediate verifies under the root; alice under the intermediate */
	assert_int_equal(X509_verify(certpick_pki_get0_x509(pki, "int"),
			     certpick_pki_get0_pkey(pki, "root")),
	    1);
	assert_int_equal(X509_verify(certpick_pki_get0_x509(pki, "alice"),
			     X509_get0_pubkey(certpick_pki_get0_x509(pki, "int"))),
	    1);
	assert_null(certpick_pki_get0_x509(pki, "nobody"));
	/* extensions as asked */
	x = certpick_pki_get0_x509(pki, "alice");
	assert_true(X509_get_extension_flags(x) & EXFLAG_KUSAGE);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	assert_false(X509_check_ca(x));
	x = certpick_pki_get0_x509(pki, "int");
	assert_int_equal(X509_get_pathlen(x), 0);
	assert_true(X509_check_ca(x));
	x = certpick_pki_get0_x509(pki, "weak");
	assert_int_equal(X509_get_signature_nid(x), NID_sha1WithRSAEncryption);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 1024);
	assert_false(X509_get_extension_flags(x) & EXFLAG_KUSAGE);
	/* validity relative to the injected now */
	x = certpick_pki_get0_x509(pki, "ed");
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), NOW - 10 * 86400L), 0);
	x = certpick_pki_get0_x509(pki, "alice");
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), NOW - 86400L), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), NOW + 365 * 86400L), 0);
	x = certpick_pki_get0_x509(pki, "self");
	assert_true(X509_get_extension_flags(x) & EXFLAG_SS);

	/* files: keys private, chain files hold the intermediates */
	snprintf(path, sizeof(path), "%s/alice.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	set = certpick_candset_new(&err);
	snprintf(path, sizeof(path), "%s/alice-chain.pem", dir);
	assert_ok(certpick_candset_add_path(set, path, &opts, &err), &err);
	snprintf(path, sizeof(path), "%s/alice.p12", dir);
	assert_ok(certpick_candset_add_path(set, path, &opts, &err), &err);
	snprintf(path, sizeof(path), "%s/bad-pfx.p12", dir);
	assert_ok(certpick_candset_add_path(set, path, &opts, &err), &err);
	snprintf(path, sizeof(path), "%s/alice.key", dir);
	assert_ok(certpick_candset_add_path(set, path, &opts, &err), &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_candset_count(set), 3);
	/* alice-chain.pem: leaf + int, key paired from alice.key */
	const struct certpick_candidate *c = certpick_candset_get(set, 0);
	assert_int_equal(sk_X509_num(certpick_candidate_get0_chain(c)), 1);
	assert_int_equal(certpick_candidate_key_store(c), CERTPICK_KEY_FILE);
	/* alice.p12 */
	c = certpick_candset_get(set, 1);
	assert_int_equal(certpick_candidate_key_store(c), CERTPICK_KEY_PKCS12);
	assert_int_equal(sk_X509_num(certpick_candidate_get0_chain(c)), 1);
	assert_int_equal(certpick_candidate_pfx_keyspec(c), 0);
	assert_null(certpick_candidate_pfx_csp(c));
	/* bad-pfx.p12: both Microsoft attributes */
	c = certpick_candset_get(set, 2);
	assert_int_equal(certpick_candidate_pfx_keyspec(c), CERTPICK_PKI_KEYSPEC_EXCHANGE);
	assert_string_equal(certpick_candidate_pfx_csp(c),
	    "Microsoft Enhanced Cryptographic Provider v1.0");
	certpick_candset_free(set);
	certpick_pki_free(pki);
	tu_rmtree(dir);
	free(dir);
}

struct bad_case {
	struct certpick_pki_spec spec;
	enum certpick_errc want;
};

static const struct bad_case bad_cases[] = {
	{ /* issuer not made yet */
	    .spec = { .name = "x", .issuer = "nobody" },
	    .want = CERTPICK_ERR_USAGE },
	{ /* the same name twice */
	    .spec = { .name = "root" },
	    .want = CERTPICK_ERR_USAGE },
	{ /* no name */
	    .spec = { .name = NULL },
	    .want = CERTPICK_ERR_USAGE },
	{ /* a name that is a path */
	    .spec = { .name = "../x" },
	    .want = CERTPICK_ERR_USAGE },
	{ /* unknown key usage word */
	    .spec = { .name = "x", .ku = "digitalSignatur" },
	    .want = CERTPICK_ERR_USAGE },
	{ /* unknown digest */
	    .spec = { .name = "x", .md = "sha999" },
	    .want = CERTPICK_ERR_USAGE },
	{ /* EC curve size not offered */
	    .spec = { .name = "x", .bits = 521 },
	    .want = CERTPICK_ERR_USAGE },
	{ /* RSA size out of range */
	    .spec = { .name = "x", .key = CERTPICK_PKI_RSA, .bits = 100 },
	    .want = CERTPICK_ERR_USAGE },
	{ /* bad subject */
	    .spec = { .name = "x", .subject = "no equals sign" },
	    .want = CERTPICK_ERR_PARSE },
};

static void
bad_specs(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_pki *pki = certpick_pki_new(NOW, &err);
	struct certpick_pki_spec root = { .name = "root", .ca = true, .pathlen = -1 };

	(void)state;
	assert_ok(certpick_pki_add(pki, &root, &err), &err);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (certpick_pki_add(pki, &bad_cases[i].spec, &err) != -1)
			fail_msg("case %zu was accepted", i);
		if (err.code != bad_cases[i].want && !(i == 8 && err.code != CERTPICK_OK))
			fail_msg("case %zu: %s: %s", i, certpick_errc_name(err.code), err.message);
	}
	assert_int_equal(certpick_pki_write(pki, "/nonexistent/dir", "", &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	certpick_pki_free(pki);
	certpick_pki_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generate_and_read_back),
		cmocka_unit_test(bad_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
