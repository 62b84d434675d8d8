/*
 * lazycert.c: certificates parsed without their public key (cp_x509_d2i_lazy),
 * the decoded copy (cp_x509_full), the key's facts read from its encoding
 * (cp_spki_read), and pairing through a lazily loaded candidate set, each
 * against what OpenSSL's own decoding says.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "testutil.h"
#include "internal.h"

static EVP_PKEY *
gen(const char *alg, const char *group, int bits)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx;

	if (strcmp(alg, "RSA-PSS") == 0) {
		assert_non_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL));
		assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits), 1);
		assert_int_equal(EVP_PKEY_generate(ctx, &k), 1);
		EVP_PKEY_CTX_free(ctx);
	} else if (group != NULL)
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg, group);
	else if (bits > 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg, (size_t)bits);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	assert_non_null(k);
	return k;
}

/* A certificate for pub, self-issued (CN=name), signed by signer. */
static X509 *
make_cert(EVP_PKEY *pub, EVP_PKEY *signer, const char *name)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	bool ed = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519;

	assert_non_null(x);
	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
			     (const unsigned char *)name, -1, -1, 0),
	    1);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, pub), 1);
	assert_true(X509_sign(x, signer, ed ? NULL : EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

/* DER of x, parsed again lazily. */
static X509 *
lazy_copy(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_X509(x, &der);
	X509 *y;

	assert_true(len > 0);
	p = der;
	y = cp_x509_d2i_lazy(&p, len);
	assert_non_null(y);
	assert_ptr_equal(p, der + len);
	OPENSSL_free(der);
	return y;
}

struct spki_case {
	const char *alg, *group;
	int bits;
	bool readable; /* cp_spki_read() reads it */
};

static const struct spki_case spki_cases[] = {
	{ "RSA", NULL, 2048, true }, { "RSA", NULL, 1024, true }, { "EC", "P-256", 0, true },
	{ "EC", "P-384", 0, true }, { "EC", "P-521", 0, true },
	{ "EC", "secp256k1", 0, false },  /* other curves: decoded */
	{ "ED25519", NULL, 0, false },	  /* other types: decoded */
	{ "RSA-PSS", NULL, 2048, false }, /* RSA-PSS keys: decoded */
};

/* The facts read from the encoding are those of the decoded key; a lazy copy decodes to it. */
static void
spki_matches_decoding(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spki_cases) / sizeof(spki_cases[0]); i++) {
		const struct spki_case *t = &spki_cases[i];
		EVP_PKEY *k = gen(t->alg, t->group, t->bits);
		X509 *x = make_cert(k, k, "spki"), *lazy = lazy_copy(x);
		struct cp_spki s;
		int rc = cp_spki_read(lazy, &s);

		ERR_set_mark();
		assert_null(X509_get0_pubkey(lazy)); /* lazy: not decoded */
		ERR_pop_to_mark();
		if (rc != (t->readable ? 0 : -1))
			fail_msg("case %zu (%s %s): cp_spki_read %d", i, t->alg,
			    t->group ? t->group : "", rc);
		if (t->readable) {
			assert_int_equal(s.type, EVP_PKEY_get_base_id(k));
			assert_int_equal(s.bits, EVP_PKEY_get_bits(k));
			assert_non_null(s.pub);
		}
		/* the decoded key of the lazy copy is the key */
		assert_non_null(cp_x509_pubkey(lazy));
		assert_int_equal(EVP_PKEY_eq(cp_x509_pubkey(lazy), k), 1);
		/* reading the full certificate gives the same facts */
		{
			struct cp_spki f;
			assert_int_equal(cp_spki_read(x, &f), rc);
			if (rc == 0) {
				assert_int_equal(f.bits, s.bits);
				assert_int_equal(f.pub_len, s.pub_len);
				assert_memory_equal(f.pub, s.pub, s.pub_len);
			}
		}
		X509_free(lazy);
		X509_free(x);
		EVP_PKEY_free(k);
	}
}

/* cp_x509_full(): itself when decoded; else one copy, made once, the same certificate. */
static void
full_copy_is_made_once(void **state)
{
	EVP_PKEY *k = gen("EC", "P-256", 0);
	X509 *x = make_cert(k, k, "full"), *lazy = lazy_copy(x), *f, *dup;

	(void)state;
	assert_ptr_equal(cp_x509_full(x), x);
	assert_ptr_equal(cp_x509_pubkey(x), X509_get0_pubkey(x));
	f = cp_x509_full(lazy);
	assert_non_null(f);
	assert_ptr_not_equal(f, lazy);
	assert_ptr_equal(cp_x509_full(lazy), f);
	assert_int_equal(X509_cmp(f, x), 0);
	assert_int_equal(X509_verify(f, k), 1);
	/* X509_dup() of a lazy certificate with its copy: no shared copy (ASan: no double free) */
	dup = X509_dup(lazy);
	assert_non_null(dup);
	assert_non_null(cp_x509_full(dup));
	assert_ptr_not_equal(cp_x509_full(dup), f);
	X509_free(dup);
	/* a link checked with a lazy issuer is the link OpenSSL sees with a decoded one */
	assert_int_equal(cp_x509_check_issued(lazy, x), X509_check_issued(x, x));
	assert_int_equal(cp_x509_check_issued(lazy, lazy), X509_V_OK);
	X509_free(lazy);
	X509_free(x);
	EVP_PKEY_free(k);
	assert_null(cp_x509_full(NULL));
	assert_null(cp_x509_pubkey(NULL));
}

/* Not certificates: the same errors as d2i_X509(). */
static void
lazy_parse_rejects_junk(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	const unsigned char *p = junk;

	(void)state;
	assert_null(cp_x509_d2i_lazy(&p, sizeof(junk)));
	assert_int_not_equal(ERR_peek_error(), 0);
	ERR_clear_error();
	p = junk;
	assert_null(cp_x509_d2i_lazy(&p, 0));
	ERR_clear_error();
}

/* How a test writes a private key: PKCS#8, the traditional form, without its public point. */
enum key_pem {
	KEY_PKCS8,
	KEY_TRADITIONAL,
	KEY_NO_PUBLIC
};

static char *
pem_of(X509 *x, EVP_PKEY *k, enum key_pem form)
{
	BIO *b = BIO_new(BIO_s_mem());
	EVP_PKEY *nopub = NULL;
	char *data, *out;
	long n;

	assert_non_null(b);
	if (x != NULL)
		assert_int_equal(PEM_write_bio_X509(b, x), 1);
	if (k != NULL && form == KEY_NO_PUBLIC) {
		assert_non_null(nopub = EVP_PKEY_dup(k));
		assert_int_equal(EVP_PKEY_set_int_param(nopub, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC,
				     0),
		    1);
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, nopub, NULL, NULL, 0, NULL,
				     NULL),
		    1);
	} else if (k != NULL && form == KEY_TRADITIONAL) {
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL,
				     NULL),
		    1);
	} else if (k != NULL) {
		assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	}
	EVP_PKEY_free(nopub);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

/*
 * Whether a set pairs x and k (one file, as a user has it), loaded with
 * lazy_public_keys (mode bit 1) and release_keys (mode bit 2: keys read
 * only as far as pairing needs).
 */
static bool
pairs_as(X509 *x, EVP_PKEY *k, int mode, enum key_pem form)
{
	bool lazy = (mode & 1) != 0;
	struct certpick_load_options o = { .lazy_public_keys = lazy,
		.release_keys = (mode & 2) != 0 };
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	char *pem = pem_of(x, k, form);
	const struct certpick_candidate *c;
	bool paired;

	assert_non_null(set);
	assert_ok(certpick_candset_add_memory(set, pem, strlen(pem), "mem.pem",
		      CERTPICK_FORMAT_AUTO, &o, &err),
	    &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_candset_count(set), 1);
	c = certpick_candset_get(set, 0);
	paired = certpick_candidate_key_store(c) == CERTPICK_KEY_FILE &&
	    !certpick_candidate_has_key_mismatch(c);
	assert_int_equal(paired, !certpick_candidate_has_key_mismatch(c));
	/* the key's facts whichever way the certificate was parsed */
	ERR_set_mark();
	assert_int_equal(lazy, X509_get0_pubkey(certpick_candidate_get0_x509(c)) == NULL);
	ERR_pop_to_mark();
	assert_int_equal(certpick_candidate_key_bits(c), EVP_PKEY_get_bits(X509_get0_pubkey(x)));
	free(pem);
	certpick_candset_free(set);
	return paired;
}

static bool
pairs(X509 *x, EVP_PKEY *k, int mode)
{
	bool p = pairs_as(x, k, mode, KEY_PKCS8);

	/* the traditional forms ("RSA PRIVATE KEY", "EC PRIVATE KEY") answer the same */
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA || EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
		assert_int_equal(pairs_as(x, k, mode, KEY_TRADITIONAL), p);
	return p;
}

/* An RSA key whose modulus is k's and whose exponent is e. */
static EVP_PKEY *
rsa_with_exponent(EVP_PKEY *k, unsigned long e)
{
	BIGNUM *n = NULL, *bne = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *out = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_set_word(bne, e), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bne), 1);
	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(bne);
	return out;
}

/*
 * Pairing by the encodings gives OpenSSL's answer (EVP_PKEY_eq), lazy or
 * not: the same key pairs, another does not, the same modulus with another
 * exponent does not, and a compressed point (the encodings differ) pairs
 * after decoding.
 */
static void
pairing_by_encoding(void **state)
{
	EVP_PKEY *rsa = gen("RSA", NULL, 2048), *rsa2 = gen("RSA", NULL, 2048);
	EVP_PKEY *ec = gen("EC", "P-256", 0), *ec2 = gen("EC", "P-256", 0);
	EVP_PKEY *ec384 = gen("EC", "P-384", 0), *ed = gen("ED25519", NULL, 0);
	EVP_PKEY *rsa_e3 = rsa_with_exponent(rsa, 3), *ec_c = EVP_PKEY_dup(ec);
	X509 *x;

	(void)state;
	for (int lazy = 0; lazy < 4; lazy++) {
		x = make_cert(rsa, rsa, "rsa");
		assert_true(pairs(x, rsa, lazy));
		assert_false(pairs(x, rsa2, lazy));
		assert_false(pairs(x, ec, lazy));
		X509_free(x);
		x = make_cert(rsa_e3, rsa, "rsa-e3");
		assert_false(pairs(x, rsa, lazy));
		X509_free(x);
		x = make_cert(ec, ec, "ec");
		assert_true(pairs(x, ec, lazy));
		assert_false(pairs(x, ec2, lazy));
		assert_false(pairs(x, ec384, lazy));
		X509_free(x);
		/* the certificate's point compressed, the key's not */
		assert_int_equal(EVP_PKEY_set_utf8_string_param(ec_c,
				     OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
		    1);
		x = make_cert(ec_c, ec, "ec-compressed");
		assert_true(pairs(x, ec, lazy));
		assert_false(pairs(x, ec2, lazy));
		X509_free(x);
		x = make_cert(ed, ed, "ed25519");
		assert_true(pairs(x, ed, lazy));
		X509_free(x);
		/* an EC key written without its point: decoded to pair */
		x = make_cert(ec, ec, "ec-nopub");
		assert_true(pairs_as(x, ec, lazy, KEY_NO_PUBLIC));
		assert_false(pairs_as(x, ec2, lazy, KEY_NO_PUBLIC));
		X509_free(x);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(rsa_e3);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec2);
	EVP_PKEY_free(ec_c);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(ed);
}

/* Encodings cp_spki_read() refuses: the key is decoded instead (or is unusable). */
static void
spki_refuses_odd_encodings(void **state)
{
	EVP_PKEY *k = gen("RSA", NULL, 1024);
	X509 *x = make_cert(k, k, "odd");
	ASN1_BIT_STRING *bits = (ASN1_BIT_STRING *)X509_get0_pubkey_bitstr(x);
	const unsigned char *data = ASN1_STRING_get0_data(bits);
	int len = ASN1_STRING_length(bits);
	unsigned char *copy = malloc((size_t)len);
	struct cp_spki s;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, data, (size_t)len);
	assert_int_equal(cp_spki_read(x, &s), 0);
	/* trailing byte after RSAPublicKey */
	{
		unsigned char *more = malloc((size_t)len + 1);
		memcpy(more, copy, (size_t)len);
		more[len] = 0;
		assert_int_equal(ASN1_BIT_STRING_set(bits, more, len + 1), 1);
		assert_int_equal(cp_spki_read(x, &s), -1);
		free(more);
	}
	/* truncated */
	assert_int_equal(ASN1_BIT_STRING_set(bits, copy, len - 1), 1);
	assert_int_equal(cp_spki_read(x, &s), -1);
	/* empty */
	assert_int_equal(ASN1_BIT_STRING_set(bits, copy, 0), 1);
	assert_int_equal(cp_spki_read(x, &s), -1);
	free(copy);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* k's private key DER in a form, with the form cp_key_pub_read() is told. */
static unsigned char *
key_der(EVP_PKEY *k, bool traditional, long *len, enum cp_key_form *form)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;

	assert_non_null(b);
	if (traditional)
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL,
				     NULL),
		    1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(PEM_read_bio(b, &name, &header, &data, len), 1);
	*form = strcmp(name, "PRIVATE KEY") == 0 ? CP_KEY_PKCS8 :
	    strcmp(name, "RSA PRIVATE KEY") == 0 ? CP_KEY_RSA :
						   CP_KEY_EC;
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(b);
	return data;
}

/*
 * A private key's public half from its DER: the key itself (EVP_PKEY_eq of
 * cp_keypub_pkey), pointing into the DER; broken or other DER refused.
 */
static void
key_pub_read_forms(void **state)
{
	const char *algs[][2] = { { "RSA", NULL }, { "EC", "P-256" }, { "EC", "P-384" },
		{ "EC", "P-521" } };

	(void)state;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		EVP_PKEY *k = gen(algs[i][0], algs[i][1], 2048);

		for (int trad = 0; trad < 2; trad++) {
			enum cp_key_form form;
			long len = 0;
			unsigned char *der = key_der(k, trad, &len, &form);
			struct cp_spki s;
			struct cp_keypub *kp;
			EVP_PKEY *made;

			assert_int_equal(form == CP_KEY_PKCS8, !trad);
			assert_int_equal(cp_key_pub_read(der, (size_t)len, form, &s), 0);
			assert_int_equal(s.bits, EVP_PKEY_get_bits(k));
			assert_true(s.pub >= der && s.pub + s.pub_len <= der + len);
			assert_non_null(kp = cp_keypub_new(&s));
			assert_non_null(made = cp_keypub_pkey(&kp->s));
			assert_int_equal(EVP_PKEY_eq(made, k), 1);
			/* cut anywhere, or with a byte more: refused */
			for (long cut = 0; cut < len; cut += 7)
				assert_int_equal(cp_key_pub_read(der, (size_t)cut, form, &s), -1);
			{
				unsigned char *more = malloc((size_t)len + 1);
				memcpy(more, der, (size_t)len);
				more[len] = 0;
				assert_int_equal(cp_key_pub_read(more, (size_t)len + 1, form, &s),
				    -1);
				free(more);
			}
			/* told the wrong form: refused */
			assert_int_equal(cp_key_pub_read(der, (size_t)len,
					     form == CP_KEY_PKCS8 ? CP_KEY_EC : CP_KEY_PKCS8, &s),
			    -1);
			EVP_PKEY_free(made);
			free(kp);
			OPENSSL_clear_free(der, (size_t)len);
		}
		EVP_PKEY_free(k);
	}
	{
		struct cp_spki s;
		assert_int_equal(cp_key_pub_read(NULL, 0, CP_KEY_PKCS8, &s), -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spki_matches_decoding),
		cmocka_unit_test(full_copy_is_made_once),
		cmocka_unit_test(lazy_parse_rejects_junk),
		cmocka_unit_test(pairing_by_encoding),
		cmocka_unit_test(spki_refuses_odd_encodings),
		cmocka_unit_test(key_pub_read_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
