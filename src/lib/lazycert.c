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
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
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

/*
 * One DER element at *p within end, of the class, tag and form wanted: its
 * content (and *p past it), or false.
 */
static bool
der_elem(const unsigned char **p, const unsigned char *end, int want_cls, int want_tag,
    bool constructed, const unsigned char **content, size_t *len)
{
	const unsigned char *q = *p;
	long l = 0;
	int tag = 0, cls = 0, r;

	if (q >= end)
		return false;
	r = ASN1_get_object(&q, &l, &tag, &cls, (long)(end - q));
	if ((r & 0x80) != 0 || r != (constructed ? V_ASN1_CONSTRUCTED : 0) || cls != want_cls ||
	    tag != want_tag || l < 0 || l > end - q)
		return false;
	*content = q;
	*len = (size_t)l;
	*p = q + l;
	return true;
}

/* A universal element (SEQUENCE, INTEGER, ...). */
static bool
der_next(const unsigned char **p, const unsigned char *end, int want_tag, bool constructed,
    const unsigned char **content, size_t *len)
{
	return der_elem(p, end, V_ASN1_UNIVERSAL, want_tag, constructed, content, len);
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

/* A context-specific constructed [tag] (EXPLICIT). */
static bool
der_ctx(const unsigned char **p, const unsigned char *end, int want_tag,
    const unsigned char **content, size_t *len)
{
	return der_elem(p, end, V_ASN1_CONTEXT_SPECIFIC, want_tag, true, content, len);
}

/* Whether the next element is a context-specific [tag]. */
static bool
next_is_ctx(const unsigned char *p, const unsigned char *end, int tag)
{
	return p < end && (*p & 0xc0) == 0x80 && (*p & 0x1f) == tag;
}

/* INTEGERs one after the other, each positive: n, e, then `more` others. */
static int
read_rsa_private(const unsigned char *p, size_t len, struct cp_spki *out)
{
	const unsigned char *end = p + len, *seq, *v, *ints[2];
	size_t seq_len, v_len, lens[2];

	if (!der_next(&p, end, V_ASN1_SEQUENCE, true, &seq, &seq_len) || p != end)
		return -1;
	p = seq;
	end = seq + seq_len;
	/* version 0: two primes (1, several primes, is left to OpenSSL) */
	if (!der_next(&p, end, V_ASN1_INTEGER, false, &v, &v_len) || v_len != 1 || v[0] != 0)
		return -1;
	for (int i = 0; i < 8; i++) {
		if (!der_next(&p, end, V_ASN1_INTEGER, false, &v, &v_len) || v_len == 0 ||
		    (v[0] & 0x80) != 0)
			return -1;
		if (i < 2)
			ints[i] = v, lens[i] = v_len;
	}
	if (p != end)
		return -1;
	while (lens[0] > 0 && ints[0][0] == 0)
		ints[0]++, lens[0]--;
	while (lens[1] > 0 && ints[1][0] == 0)
		ints[1]++, lens[1]--;
	if (lens[0] == 0 || lens[1] == 0)
		return -1;
	*out = (struct cp_spki){ .type = EVP_PKEY_RSA,
		.pub = ints[0],
		.pub_len = lens[0],
		.exp = ints[1],
		.exp_len = lens[1],
		.bits = bit_length(ints[0], lens[0]) };
	return 0;
}

/* An OID's NID (DER with its header), or NID_undef. */
static int
oid_nid(const unsigned char *p, size_t len)
{
	const unsigned char *q = p;
	ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &q, (long)len);
	int nid = o != NULL && q == p + len ? OBJ_obj2nid(o) : NID_undef;

	ASN1_OBJECT_free(o);
	ERR_clear_error();
	return nid;
}

/*
 * ECPrivateKey: version 1, the private key, [0] the curve (needed when the
 * PKCS#8 wrapper does not name it, else the same), [1] the public point
 * (needed: without it only decoding computes the point).
 */
static int
read_ec_private(const unsigned char *p, size_t len, int curve, struct cp_spki *out)
{
	const unsigned char *end = p + len, *seq, *v, *c;
	size_t seq_len, v_len, c_len;
	int inner;

	if (!der_next(&p, end, V_ASN1_SEQUENCE, true, &seq, &seq_len) || p != end)
		return -1;
	p = seq;
	end = seq + seq_len;
	if (!der_next(&p, end, V_ASN1_INTEGER, false, &v, &v_len) || v_len != 1 || v[0] != 1 ||
	    !der_next(&p, end, V_ASN1_OCTET_STRING, false, &v, &v_len) || v_len == 0)
		return -1;
	if (next_is_ctx(p, end, 0)) {
		if (!der_ctx(&p, end, 0, &c, &c_len) || (inner = oid_nid(c, c_len)) == NID_undef ||
		    (curve != NID_undef && inner != curve))
			return -1;
		curve = inner;
	}
	if (curve == NID_undef || !der_ctx(&p, end, 1, &c, &c_len) || p != end)
		return -1;
	end = c + c_len;
	if (!der_next(&c, end, V_ASN1_BIT_STRING, false, &v, &v_len) || c != end || v_len < 2 ||
	    v[0] != 0)
		return -1;
	return read_ec(curve, v + 1, v_len - 1, out);
}

/* PrivateKeyInfo: version, algorithm, the key, then [0] attributes and [1] a public key. */
static int
read_pkcs8(const unsigned char *p, size_t len, struct cp_spki *out)
{
	const unsigned char *end = p + len, *seq, *v, *alg, *a_end, *oid;
	size_t seq_len, v_len, alg_len, oid_len;
	int nid, curve = NID_undef;

	if (!der_next(&p, end, V_ASN1_SEQUENCE, true, &seq, &seq_len) || p != end)
		return -1;
	p = seq;
	end = seq + seq_len;
	if (!der_next(&p, end, V_ASN1_INTEGER, false, &v, &v_len) || v_len != 1 || v[0] > 1 ||
	    !der_next(&p, end, V_ASN1_SEQUENCE, true, &alg, &alg_len))
		return -1;
	a_end = alg + alg_len;
	oid = alg;
	if (!der_next(&alg, a_end, V_ASN1_OBJECT, false, &v, &v_len))
		return -1;
	oid_len = (size_t)(alg - oid);
	if ((nid = oid_nid(oid, oid_len)) == NID_rsaEncryption) {
		/* parameters NULL or absent */
		if (alg != a_end &&
		    (!der_next(&alg, a_end, V_ASN1_NULL, false, &v, &v_len) || v_len != 0 ||
			alg != a_end))
			return -1;
	} else if (nid == NID_X9_62_id_ecPublicKey) {
		const unsigned char *c = alg;
		if (!der_next(&alg, a_end, V_ASN1_OBJECT, false, &v, &v_len) || alg != a_end ||
		    (curve = oid_nid(c, (size_t)(alg - c))) == NID_undef)
			return -1;
	} else {
		return -1;
	}
	if (!der_next(&p, end, V_ASN1_OCTET_STRING, false, &v, &v_len))
		return -1;
	/* [0] attributes, [1] publicKey (v2): read past, not needed */
	for (int tag = 0; tag < 2; tag++)
		if (next_is_ctx(p, end, tag)) {
			const unsigned char *q = p;
			long l = 0;
			int t = 0, cls = 0;
			int r = ASN1_get_object(&q, &l, &t, &cls, (long)(end - q));
			if ((r & 0x80) != 0 || (r & 1) != 0 || l < 0 || l > end - q)
				return -1;
			p = q + l;
		}
	if (p != end)
		return -1;
	return nid == NID_rsaEncryption ? read_rsa_private(v, v_len, out) :
					  read_ec_private(v, v_len, curve, out);
}

/* see internal.h */
int
cp_key_pub_read(const unsigned char *der, size_t len, enum cp_key_form form, struct cp_spki *out)
{
	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0)
		return -1;
	switch (form) {
	case CP_KEY_PKCS8: return read_pkcs8(der, len, out);
	case CP_KEY_RSA: return read_rsa_private(der, len, out);
	case CP_KEY_EC: return read_ec_private(der, len, NID_undef, out);
	default: return -1;
	}
}

/* see internal.h */
struct cp_keypub *
cp_keypub_new(const struct cp_spki *s)
{
	struct cp_keypub *k = cp_malloc(sizeof(*k) + s->pub_len + s->exp_len);

	if (k == NULL)
		return NULL;
	k->s = *s;
	memcpy(k->v, s->pub, s->pub_len);
	k->s.pub = k->v;
	if (s->exp_len > 0)
		memcpy(k->v + s->pub_len, s->exp, s->exp_len);
	k->s.exp = s->exp_len > 0 ? k->v + s->pub_len : NULL;
	return k;
}

/* see internal.h */
EVP_PKEY *
cp_keypub_pkey(const struct cp_spki *s)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	bool ok;

	if (bld == NULL)
		goto out;
	if (s->type == EVP_PKEY_RSA)
		ok = (n = BN_bin2bn(s->pub, (int)s->pub_len, NULL)) != NULL &&
		    (e = BN_bin2bn(s->exp, (int)s->exp_len, NULL)) != NULL &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	else
		ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
			 OBJ_nid2sn(s->curve), 0) &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, s->pub,
			s->pub_len);
	if (!ok || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, s->type == EVP_PKEY_RSA ? "RSA" : "EC",
		 NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return pkey;
}
