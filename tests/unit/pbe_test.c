/* pbe.c: key derivations that ask for too much are refused before OpenSSL runs them. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "testutil.h"
#include "internal.h"

#define HUGE_ITER 2000000000

static void
assert_refused(int rc, const struct certpick_error *err, const char *want)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err->code, CERTPICK_ERR_PARSE);
	if (strstr(err->detail, want) == NULL)
		fail_msg("detail '%s' lacks '%s'", err->detail, want);
}

/*
 * PBES2 with scrypt parameters OpenSSL's own constructor would refuse: made
 * with small ones, then rewritten.
 */
static X509_ALGOR *
scrypt_alg(uint64_t n, uint64_t r, uint64_t p)
{
	X509_ALGOR *a = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL, 1024, 8, 1);
	PBE2PARAM *pbe2;
	SCRYPT_PARAMS *sp;

	assert_non_null(a);
	pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), a->parameter);
	assert_non_null(pbe2);
	sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter);
	assert_non_null(sp);
	ASN1_INTEGER_set_uint64(sp->costParameter, n);
	ASN1_INTEGER_set_uint64(sp->blockSize, r);
	ASN1_INTEGER_set_uint64(sp->parallelizationParameter, p);
	ASN1_TYPE_free(pbe2->keyfunc->parameter);
	pbe2->keyfunc->parameter = NULL;
	assert_non_null(
	    ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), sp, &pbe2->keyfunc->parameter));
	ASN1_TYPE_free(a->parameter);
	a->parameter = NULL;
	assert_non_null(ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBE2PARAM), pbe2, &a->parameter));
	SCRYPT_PARAMS_free(sp);
	PBE2PARAM_free(pbe2);
	return a;
}

/* Each algorithm form: PKCS#12 PBE, PBES2+PBKDF2, PBES2+scrypt, none. */
static void
algorithms(void **state)
{
	struct certpick_error err = { 0 };
	X509_ALGOR *a;

	(void)state;
	a = PKCS5_pbe_set(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 2048, NULL, 0);
	assert_int_equal(cp_pbe_check(a, 0, "x.p12", &err), 0);
	assert_refused(cp_pbe_check(a, 1000, "x.p12", &err), &err, "2048 iterations");
	assert_non_null(strstr(err.message, "x.p12"));
	X509_ALGOR_free(a);

	a = PKCS5_pbe_set(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, HUGE_ITER, NULL, 0);
	assert_refused(cp_pbe_check(a, 0, "x.p12", &err), &err,
	    "2000000000 iterations; certpick stops at 10000000");
	X509_ALGOR_free(a);

	a = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), HUGE_ITER, NULL, 0, NULL, NID_hmacWithSHA256);
	assert_refused(cp_pbe_check(a, 0, "k.der", &err), &err, "PBKDF2 asks for 2000000000");
	X509_ALGOR_free(a);
	a = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 600000, NULL, 0, NULL, NID_hmacWithSHA256);
	assert_int_equal(cp_pbe_check(a, 0, "k.der", &err), 0);
	X509_ALGOR_free(a);

	/* scrypt: N=2^20, r=8 is 1 GiB; p=1000 is hours; the usual N=2^14, r=8, p=1 passes */
	a = scrypt_alg(1 << 20, 8, 1);
	assert_refused(cp_pbe_check(a, 0, "k.der", &err), &err, "scrypt asks for N=1048576");
	X509_ALGOR_free(a);
	a = scrypt_alg(1 << 14, 8, 1000);
	assert_refused(cp_pbe_check(a, 0, "k.der", &err), &err, "p=1000");
	X509_ALGOR_free(a);
	a = scrypt_alg(1 << 14, 8, 1);
	assert_int_equal(cp_pbe_check(a, 0, "k.der", &err), 0);
	X509_ALGOR_free(a);

	/* no parameters at all: nothing to derive, OpenSSL refuses it itself */
	a = X509_ALGOR_new();
	X509_ALGOR_set0(a, OBJ_nid2obj(NID_pbes2), V_ASN1_UNDEF, NULL);
	assert_int_equal(cp_pbe_check(a, 0, "k.der", &err), 0);
	X509_ALGOR_free(a);
	assert_int_equal(cp_pbe_check(NULL, 0, "k.der", &err), 0);
}

static int
load(const uint8_t *data, size_t len, enum certpick_format format, const char *password,
    unsigned long max_iter, struct certpick_error *err)
{
	struct certpick_load_options opts = { .password = password,
		.max_pbe_iterations = max_iter };
	struct certpick_candset *set = certpick_candset_new(err);
	int rc;

	assert_non_null(set);
	rc = certpick_candset_add_memory(set, data, len, "mem", format, &opts, err);
	certpick_candset_free(set);
	return rc;
}

static int
load_file(const char *name, const char *password, unsigned long max_iter,
    struct certpick_error *err)
{
	uint8_t *data;
	size_t len;
	int rc;

	assert_ok(cp_read_file(tu_data(name), &data, &len, err), err);
	rc = load(data, len, CERTPICK_FORMAT_AUTO, password, max_iter, err);
	free(data);
	return rc;
}

/* The repository's files (2,048 iterations) load, and are refused under a lower limit. */
static void
files(void **state)
{
	struct certpick_error err = { 0 };

	(void)state;
	assert_ok(load_file("candidate/leaf.p12", "test", 0, &err), &err);
	assert_refused(load_file("candidate/leaf.p12", "test", 1000, &err), &err,
	    "the PKCS#12 MAC asks for 2048 iterations");
	assert_refused(load_file("candidate/leaf-enc.key", "test", 1000, &err), &err,
	    "PBKDF2 asks for 2048 iterations");
	assert_refused(load_file("candidate/leaf-enc-key.der", "test", 1000, &err), &err,
	    "PBKDF2 asks for 2048 iterations");
}

/*
 * A .pfx whose MAC asks for two billion iterations (hours of work for
 * OpenSSL) is refused at once; so is one without a MAC whose encrypted parts
 * ask for too much (each part reported, nothing loaded).
 */
static void
hostile_pkcs12(void **state)
{
	struct certpick_error err = { 0 };
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	PKCS12 *p12;
	const ASN1_INTEGER *iter = NULL;
	unsigned char *der = NULL;
	int len;

	(void)state;
	assert_non_null(pkey);
	X509_set_pubkey(x, pkey);
	X509_sign(x, pkey, EVP_sha256());
	p12 = PKCS12_create("test", "k", pkey, x, NULL, 0, 0, 2, 2, 0); /* 1 is left out */
	assert_non_null(p12);
	PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
	assert_non_null(iter);
	ASN1_INTEGER_set((ASN1_INTEGER *)iter, HUGE_ITER);
	assert_true((len = i2d_PKCS12(p12, &der)) > 0);
	assert_refused(load(der, (size_t)len, CERTPICK_FORMAT_AUTO, "test", 0, &err), &err,
	    "the PKCS#12 MAC asks for 2000000000 iterations");
	OPENSSL_free(der);
	der = NULL;
	PKCS12_free(p12);

	/* no MAC (mac_iter -1), parts at 2,048 iterations, limit 1,000 */
	p12 = PKCS12_create("test", "k", pkey, x, NULL, 0, 0, 2048, -1, 0);
	assert_non_null(p12);
	assert_true((len = i2d_PKCS12(p12, &der)) > 0);
	assert_int_equal(load(der, (size_t)len, CERTPICK_FORMAT_PKCS12, "test", 0, &err), 0);
	assert_refused(load(der, (size_t)len, CERTPICK_FORMAT_PKCS12, "test", 1000, &err), &err,
	    "asks for 2048 iterations");
	OPENSSL_free(der);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

/*
 * One budget per file (F7): derivations each under the limit are refused
 * once together they pass it, and a refusal leaves the budget as it was.
 */
static void
budget_per_file(void **state)
{
	struct certpick_error err = { 0 };
	struct cp_pbe_budget b;
	X509_ALGOR *a4000 = PKCS5_pbe_set(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 4000, NULL, 0);
	X509_ALGOR *a2000 =
	    PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 2000, NULL, 0, NULL, NID_hmacWithSHA256);
	X509_ALGOR *s = scrypt_alg(1UL << 15, 8, 32); /* 2^23 mixes: half the scrypt budget */

	(void)state;
	cp_pbe_budget_init(&b, 10000);
	assert_int_equal(cp_pbe_charge(&b, a4000, "x.p12", &err), 0);
	assert_int_equal(cp_pbe_charge(&b, a4000, "x.p12", &err), 0);
	assert_refused(cp_pbe_charge(&b, a4000, "x.p12", &err), &err,
	    "ask for more than 10000 iterations; certpick stops at 10000 per file");
	assert_int_equal(b.left, 2000);
	assert_int_equal(cp_pbe_charge(&b, a2000, "x.p12", &err), 0);
	assert_refused(cp_pbe_charge(&b, a2000, "x.p12", &err), &err, "per file");
	/* nothing is free: a NULL or parameterless algorithm costs nothing and passes */
	assert_int_equal(cp_pbe_charge(&b, NULL, "x.p12", &err), 0);
	/* scrypt work adds up per file too */
	cp_pbe_budget_init(&b, 0);
	assert_non_null(s);
	assert_int_equal(cp_pbe_charge(&b, s, "k.der", &err), 0);
	assert_int_equal(cp_pbe_charge(&b, s, "k.der", &err), 0);
	assert_refused(cp_pbe_charge(&b, s, "k.der", &err), &err, "scrypt derivations");
	X509_ALGOR_free(a4000);
	X509_ALGOR_free(a2000);
	X509_ALGOR_free(s);
}

/*
 * A .pfx whose MAC and bags are each under the limit but together over it is
 * refused before any derivation, with the per-file message.
 */
static void
pkcs12_mac_and_bags_share_one_budget(void **state)
{
	struct certpick_error err = { 0 };
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	PKCS12 *p12;
	unsigned char *der = NULL;
	int len;

	(void)state;
	assert_non_null(pkey);
	X509_set_pubkey(x, pkey);
	X509_sign(x, pkey, EVP_sha256());
	/* key bag 600, certificate part 600, MAC 600: 1,800 in all */
	p12 = PKCS12_create("test", "k", pkey, x, NULL, 0, 0, 600, 600, 0);
	assert_non_null(p12);
	assert_true((len = i2d_PKCS12(p12, &der)) > 0);
	assert_int_equal(load(der, (size_t)len, CERTPICK_FORMAT_PKCS12, "test", 2000, &err), 0);
	assert_refused(load(der, (size_t)len, CERTPICK_FORMAT_PKCS12, "test", 1500, &err), &err,
	    "certpick stops at 1500 per file");
	assert_int_equal(load(der, (size_t)len, CERTPICK_FORMAT_PKCS12, "test", 1800, &err), 0);
	assert_int_equal(load(der, (size_t)len, CERTPICK_FORMAT_PKCS12, "test", 1799, &err), -1);
	assert_string_equal(err.detail,
	    "its key derivations (the MAC and every encrypted part "
	    "and key together) ask for more than 1799 iterations; certpick stops at 1799 per file");
	OPENSSL_free(der);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(algorithms),
		cmocka_unit_test(files),
		cmocka_unit_test(hostile_pkcs12),
		cmocka_unit_test(budget_per_file),
		cmocka_unit_test(pkcs12_mac_and_bags_share_one_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
