/*
 * Certificates parsed without their public key, the decoded copy made when a
 * key is used, and a key's facts read from its encoding (see internal.h).
 * Never prints; no state but a library context and an ex_data index, made
 * once.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

/*
 * Certificates parsed without their key. The public key of a certificate
 * parsed in a library context that has only the null provider finds no
 * decoder, so it stays encoded (X509_get0_pubkey() NULL), and no decoder
 * is set up; the certificate itself (names, extensions, digests) lives in
 * the default context as d2i_X509()'s does. The full copy cp_x509_full()
 * makes hangs on the lazy one's ex_data.
 */
static pthread_once_t lazy_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *lazy_ctx; /* NULL when it could not be made: parse fully */
static int full_idx = -1;

static void
full_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	X509_free(ptr);
}

/* X509_dup() of a lazy certificate: the copy makes its own */
static int
full_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx, long argl,
    void *argp)
{
	(void)to, (void)from, (void)idx, (void)argl, (void)argp;
	*from_d = NULL;
	return 1;
}

static void
lazy_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	full_idx = X509_get_ex_new_index(0, NULL, NULL, full_dup, full_free);
	if (ctx != NULL && full_idx >= 0 && OSSL_PROVIDER_load(ctx, "null") != NULL)
		lazy_ctx = ctx;
	else
		OSSL_LIB_CTX_free(ctx);
	ERR_clear_error();
}

/* see internal.h */
X509 *
cp_x509_d2i_lazy(const unsigned char **in, long len)
{
	X509 *x;

	if (pthread_once(&lazy_once, lazy_init) != 0 || lazy_ctx == NULL)
		return d2i_X509(NULL, in, len);
	ERR_set_mark();
	x = (X509 *)ASN1_item_d2i_ex(NULL, in, len, ASN1_ITEM_rptr(X509), lazy_ctx, NULL);
	/* the key's "decode error" is expected; a parse error stays queued */
	if (x != NULL)
		ERR_pop_to_mark();
	else
		ERR_clear_last_mark();
	return x;
}

static bool
has_pubkey(const X509 *x)
{
	EVP_PKEY *k;

	ERR_set_mark();
	k = X509_get0_pubkey(x);
	ERR_pop_to_mark();
	return k != NULL;
}

/* see internal.h */
X509 *
cp_x509_full(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *full = NULL;
	int len;

	if (x == NULL || has_pubkey(x))
		return x;
	if (pthread_once(&lazy_once, lazy_init) != 0 || full_idx < 0)
		return x;
	if ((full = X509_get_ex_data(x, full_idx)) != NULL)
		return full;
	if ((len = i2d_X509(x, &der)) <= 0)
		goto out;
	p = der;
	if ((full = d2i_X509(NULL, &p, len)) != NULL && X509_set_ex_data(x, full_idx, full) != 1) {
		X509_free(full);
		full = NULL;
	}
out:
	OPENSSL_free(der);
	return full;
}

/* see internal.h */
EVP_PKEY *
cp_x509_pubkey(X509 *x)
{
	X509 *full = cp_x509_full(x);
	EVP_PKEY *k;

	ERR_set_mark();
	k = full != NULL ? X509_get0_pubkey(full) : NULL;
	ERR_pop_to_mark();
	return k;
}

/* see internal.h */
int
cp_x509_check_issued(X509 *issuer, X509 *subject)
{
	X509 *full = cp_x509_full(issuer);

	return X509_check_issued(full != NULL ? full : issuer, subject);
}

/* One DER header at *p within end: its content, or false. */
static bool
der_next(const unsigned char **p, const unsigned char *end, int want_tag, bool constructed,
    const unsigned char **content, size_t *len)
{
	const unsigned char *q = *p;
	long l = 0;
	int tag = 0, cls = 0, r;

	if (q >= end)
		return false;
	r = ASN1_get_object(&q, &l, &tag, &cls, (long)(end - q));
	if ((r & 0x80) != 0 || r != (constructed ? V_ASN1_CONSTRUCTED : 0) ||
	    cls != V_ASN1_UNIVERSAL || tag != want_tag || l < 0 || l > end - q)
		return false;
	*content = q;
	*len = (size_t)l;
	*p = q + l;
	return true;
}

static int
bit_length(const unsigned char *v, size_t len)
{
	int b = 0;

	for (unsigned c = v[0]; c != 0; c >>= 1)
		b++;
	return (int)((len - 1) * 8) + b;
}

/* RSAPublicKey: SEQUENCE { modulus, publicExponent }, both positive, nothing after. */
static int
read_rsa(const unsigned char *p, size_t len, struct cp_spki *out)
{
	const unsigned char *end = p + len, *seq, *n, *e;
	size_t seq_len, n_len, e_len;

	if (!der_next(&p, end, V_ASN1_SEQUENCE, true, &seq, &seq_len) || p != end)
		return -1;
	p = seq;
	end = seq + seq_len;
	if (!der_next(&p, end, V_ASN1_INTEGER, false, &n, &n_len) ||
	    !der_next(&p, end, V_ASN1_INTEGER, false, &e, &e_len) || p != end || n_len == 0 ||
	    e_len == 0 || (n[0] & 0x80) != 0 || (e[0] & 0x80) != 0)
		return -1;
	while (n_len > 0 && n[0] == 0)
		n++, n_len--;
	while (e_len > 0 && e[0] == 0)
		e++, e_len--;
	if (n_len == 0 || e_len == 0)
		return -1;
	out->type = EVP_PKEY_RSA;
	out->pub = n;
	out->pub_len = n_len;
	out->exp = e;
	out->exp_len = e_len;
	out->bits = bit_length(n, n_len);
	return 0;
}

/*
 * An EC point of a named prime curve: its encoded length is checked; whether
 * it is on the curve only decoding tells (a certificate whose key pairs with
 * a private key's point has a good one).
 */
static int
read_ec(int curve, const unsigned char *p, size_t len, struct cp_spki *out)
{
	size_t field;

	switch (curve) {
	case NID_X9_62_prime256v1: field = 32, out->bits = 256; break;
	case NID_secp384r1: field = 48, out->bits = 384; break;
	case NID_secp521r1: field = 66, out->bits = 521; break;
	default: return -1;
	}
	if (!(len == 1 + 2 * field && p[0] == 4) && !(len == 1 + field && (p[0] == 2 || p[0] == 3)))
		return -1;
	out->type = EVP_PKEY_EC;
	out->curve = curve;
	out->pub = p;
	out->pub_len = len;
	return 0;
}

/* see internal.h */
int
cp_spki_read(const X509 *x, struct cp_spki *out)
{
	X509_PUBKEY *pk = X509_get_X509_PUBKEY(x);
	ASN1_OBJECT *alg = NULL;
	const X509_ALGOR *algor = NULL;
	const ASN1_OBJECT *param_obj;
	const void *pval = NULL;
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
	int ptype = V_ASN1_UNDEF;
	const unsigned char *data;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (pk == NULL || bits == NULL ||
	    X509_PUBKEY_get0_param(&alg, NULL, NULL, (X509_ALGOR **)&algor, pk) != 1)
		return -1;
	if ((bits->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 && (bits->flags & 7) != 0)
		return -1;
	data = ASN1_STRING_get0_data(bits);
	len = (size_t)ASN1_STRING_length(bits);
	if (data == NULL || len == 0)
		return -1;
	X509_ALGOR_get0(NULL, &ptype, &pval, algor);
	switch (OBJ_obj2nid(alg)) {
	case NID_rsaEncryption:
		if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
			return -1;
		return read_rsa(data, len, out);
	case NID_X9_62_id_ecPublicKey:
		if (ptype != V_ASN1_OBJECT || (param_obj = pval) == NULL)
			return -1;
		return read_ec(OBJ_obj2nid(param_obj), data, len, out);
	default: return -1;
	}
}
