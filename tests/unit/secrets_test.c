/*
 * Passwords are wiped: after loading a PKCS#12 file and encrypted PKCS#8 keys
 * (PEM and DER), with the password given and with the password asked for
 * through the callback, no block freed through OpenSSL's allocator still
 * holds it. That covers certpick's own buffers (cp_secret_new) and the copies
 * OpenSSL makes on certpick's behalf. A control case proves the watch sees an
 * unwiped block.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "certpick/openssl.h"
#include "testutil.h"
#include "internal.h"

static const char secret[] = "Kx7-unlikely-Passphrase-41q";

struct files {
	unsigned char *p12, *pem, *der, *cert;
	size_t p12_len, pem_len, der_len, cert_len;
};

static unsigned char *
bio_bytes(BIO *b, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	unsigned char *out = malloc((size_t)n);

	assert_non_null(out);
	memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	return out;
}

/* A self-signed certificate and its key, as .p12 and encrypted PKCS#8 (16 iterations). */
static void
make_files(struct files *f)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_ALGOR *pbe =
	    PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 16, NULL, 0, NULL, NID_hmacWithSHA256);
	PKCS8_PRIV_KEY_INFO *p8inf;
	X509_SIG *sig;
	PKCS12 *p12;
	BIO *b;
	unsigned char *der = NULL;
	int len;

	assert_non_null(pkey);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"secrets", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
	p12 =
	    PKCS12_create(secret, "k", pkey, x, NULL, NID_aes_256_cbc, NID_aes_256_cbc, 16, 16, 0);
	assert_non_null(p12);
	assert_true((len = i2d_PKCS12(p12, &der)) > 0);
	f->p12 = malloc((size_t)len);
	memcpy(f->p12, der, (size_t)len);
	f->p12_len = (size_t)len;
	OPENSSL_free(der);
	der = NULL;

	p8inf = EVP_PKEY2PKCS8(pkey);
	sig = PKCS8_set0_pbe(secret, (int)strlen(secret), p8inf, pbe);
	assert_non_null(sig);
	assert_true((len = i2d_X509_SIG(sig, &der)) > 0);
	f->der = malloc((size_t)len);
	memcpy(f->der, der, (size_t)len);
	f->der_len = (size_t)len;
	b = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio_PKCS8(b, sig) > 0);
	assert_true(PEM_write_bio_X509(b, x) > 0);
	f->pem = bio_bytes(b, &f->pem_len);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	assert_true(i2d_X509_bio(b, x) > 0);
	f->cert = bio_bytes(b, &f->cert_len);
	BIO_free(b);
	OPENSSL_free(der);
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static int
give_secret(void *arg, const char *what, char *buf, size_t size)
{
	int *calls = arg;

	(void)what;
	(*calls)++;
	assert_true(size > sizeof(secret));
	memcpy(buf, secret, sizeof(secret));
	return (int)strlen(secret);
}

/* Load bytes (and a DER certificate for a lone key) with the password given or asked. */
static void
load(const unsigned char *data, size_t len, const struct files *cert, bool ask, const char *what)
{
	struct certpick_error err = { 0 };
	int calls = 0;
	struct certpick_load_options opts = { .password = ask ? NULL : secret };
	struct certpick_candset *set = certpick_candset_new(&err);

	if (ask) {
		opts.password_cb = give_secret;
		opts.password_arg = &calls;
	}
	assert_non_null(set);
	if (cert != NULL)
		assert_ok(certpick_candset_add_memory(set, cert->cert, cert->cert_len, "cert.der",
			      CERTPICK_FORMAT_DER, &opts, &err),
		    &err);
	assert_ok(certpick_candset_add_memory(set, data, len, what, CERTPICK_FORMAT_AUTO, &opts,
		      &err),
	    &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_candset_count(set), 1);
	assert_non_null(certpick_candidate_get0_pkey(certpick_candset_get(set, 0)));
	assert_int_equal(calls, ask ? 1 : 0);
	certpick_candset_free(set);
}

static void
control(void **state)
{
	char *p;

	(void)state;
	tu_secret_watch(secret);
	p = OPENSSL_malloc(64);
	memcpy(p, secret, sizeof(secret));
	OPENSSL_free(p); /* not wiped: seen */
	assert_int_equal(tu_secret_hits(), 1);
	p = OPENSSL_malloc(64);
	memcpy(p, secret, sizeof(secret));
	OPENSSL_clear_free(p, 64); /* wiped: not seen */
	p = cp_secret_new();
	memcpy(p, secret, sizeof(secret));
	cp_secret_free(p);
	assert_int_equal(tu_secret_hits(), 1);
	tu_secret_watch(NULL);
}

static void
wiped_after_loading(void **state)
{
	struct files f;

	(void)state;
	make_files(&f);
	tu_secret_watch(secret);
	for (int ask = 0; ask < 2; ask++) {
		load(f.p12, f.p12_len, NULL, ask, "secret.p12");
		load(f.pem, f.pem_len, NULL, ask, "secret.pem");
		load(f.der, f.der_len, &f, ask, "secret-key.der");
	}
	assert_int_equal(tu_secret_hits(), 0);
	tu_secret_watch(NULL);
	free(f.p12);
	free(f.pem);
	free(f.der);
	free(f.cert);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control),
		cmocka_unit_test(wiped_after_loading),
	};

	tu_allocfail_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
