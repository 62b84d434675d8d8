/*
 * Candidate sets: which certificates a user could present, with the key and
 * chain found for each, in source order. Owns every X509 and EVP_PKEY it
 * holds; parsing of bytes is in candidate_load.c. Never prints; warnings go
 * to the caller's callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "internal.h"

#define MAX_DIR_DEPTH 16
#define MAX_CHAIN 32	 /* certificates of its source found with one candidate */
#define PAIR_SCAN_MAX 16 /* keys compared one by one when no index entry matches */
#define RUN_MAX 1024	 /* files parsed together (candidate_batch.c) */
#define RUN_PARALLEL_MIN 64

struct certpick_candidate {
	char *source;
	X509 *x509;
	EVP_PKEY *pkey;	       /* NULL when none, in NSS / PKCS#11, or released */
	bool keyed;	       /* a private key in a file paired (pkey, or released) */
	STACK_OF(X509) *chain; /* the other certificates of the same source */
	struct certpick_dn subject;
	struct certpick_dn issuer;
	char sha256[65];
	unsigned char *der;
	size_t der_len;
	time_t not_before;
	time_t not_after;
	enum certpick_key_store store;
	char *key_source;
	char *mismatch_source; /* a key in this source does not match */
	bool from_pkcs12;
	unsigned keyspec;
	char *csp;
	bool latent;   /* CA certificate: a candidate only if a key pairs */
	char *key_uri; /* PKCS#11 key (token and CKA_ID); NULL otherwise */
};

struct loose_key {
	EVP_PKEY *pkey;
	struct cp_keypub *pub; /* instead of pkey: read only as far as pairing needs */
	char *source;
	enum certpick_key_store store;
	bool release; /* its source's opts->release_keys */
};

/*
 * The pool is indexed by DER digest (de-duplication) and by subject (issuer
 * lookup for path building), so neither compares a certificate with every
 * other one: loading and checking n certificates stays linear.
 */
struct certpick_candset {
	struct certpick_candidate **v;
	size_t n, cap;
	STACK_OF(X509) *pool;
	struct cp_hashidx pool_by_der;	   /* der_key() -> pool index */
	struct cp_hashidx pool_by_subject; /* name_key(subject) -> pool index */
	struct loose_key *keys;
	size_t nkeys, keys_cap;
	struct cp_key_decoder kd; /* shared by every file loaded */
	bool finished;
};

static void
candidate_free(struct certpick_candidate *c)
{
	if (c == NULL)
		return;
	free(c->source);
	X509_free(c->x509);
	EVP_PKEY_free(c->pkey);
	sk_X509_pop_free(c->chain, X509_free);
	certpick_dn_release(&c->subject);
	certpick_dn_release(&c->issuer);
	OPENSSL_free(c->der);
	free(c->key_source);
	free(c->mismatch_source);
	free(c->csp);
	free(c->key_uri);
	free(c);
}

/* see certpick/candidate.h */
struct certpick_candset *
certpick_candset_new(struct certpick_error *err)
{
	struct certpick_candset *set;

	if ((set = cp_calloc(1, sizeof(*set))) == NULL) {
		cp_error_nomem(err);
		return NULL;
	}
	if ((set->pool = sk_X509_new_null()) == NULL) {
		free(set);
		cp_error_nomem(err);
		return NULL;
	}
	return set;
}

/* see certpick/candidate.h */
void
certpick_candset_free(struct certpick_candset *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		candidate_free(set->v[i]);
	free(set->v);
	for (size_t i = 0; i < set->nkeys; i++) {
		EVP_PKEY_free(set->keys[i].pkey);
		free(set->keys[i].pub);
		free(set->keys[i].source);
	}
	free(set->keys);
	sk_X509_pop_free(set->pool, X509_free);
	cp_hashidx_release(&set->pool_by_der);
	cp_hashidx_release(&set->pool_by_subject);
	cp_key_decoder_release(&set->kd);
	free(set);
}

/* see certpick/candidate.h */
const char *
certpick_key_store_name(enum certpick_key_store s)
{
	switch (s) {
	case CERTPICK_KEY_NONE: return "none";
	case CERTPICK_KEY_FILE: return "file";
	case CERTPICK_KEY_PKCS12: return "pkcs12";
	case CERTPICK_KEY_NSS: return "nss";
	case CERTPICK_KEY_PKCS11: return "pkcs11";
	default: return "none";
	}
}

static bool
is_ca(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
}

/* A certificate's key in a DER index: its SHA-1, which OpenSSL keeps with it. */
static uint64_t
der_key(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	uint64_t k = 0;

	if (X509_digest(x, EVP_sha1(), md, &len) == 1 && len >= sizeof(k))
		memcpy(&k, md, sizeof(k));
	ERR_clear_error();
	return k;
}

/* A name's key in a subject index: OpenSSL's hash of its canonical form (as X509_NAME_cmp). */
static uint64_t
name_key(const X509_NAME *name)
{
	int ok = 0;
	unsigned long h = X509_NAME_hash_ex(name, NULL, NULL, &ok);

	ERR_clear_error();
	return ok ? (uint64_t)h : 0;
}

/* The pool's certificate at an index entry; NULL for an entry left by a failed add. */
static X509 *
pool_at(const struct certpick_candset *set, size_t i)
{
	return i < (size_t)sk_X509_num(set->pool) ? sk_X509_value(set->pool, (int)i) : NULL;
}

static bool
pool_has(const struct certpick_candset *set, X509 *x, uint64_t key)
{
	size_t pos = 0, i;
	X509 *y;

	while (cp_hashidx_next(&set->pool_by_der, key, &pos, &i))
		if ((y = pool_at(set, i)) != NULL && X509_cmp(y, x) == 0)
			return true;
	return false;
}

/*
 * Entries are added before the certificate: one left by a failure is
 * harmless, every lookup confirms the certificate it finds (pool_at).
 */
static int
pool_add(struct certpick_candset *set, X509 *x, struct certpick_error *err)
{
	uint64_t key = der_key(x);
	size_t i = (size_t)sk_X509_num(set->pool);

	if (pool_has(set, x, key))
		return 0;
	if (cp_hashidx_add(&set->pool_by_der, key, i) != 0 ||
	    cp_hashidx_add(&set->pool_by_subject, name_key(X509_get_subject_name(x)), i) != 0)
		return cp_error_nomem(err);
	if (!X509_up_ref(x))
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL,
		    "cannot reference a certificate");
	if (sk_X509_push(set->pool, x) <= 0) {
		X509_free(x);
		return cp_error_nomem(err);
	}
	return 0;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* see internal.h */
size_t
cp_candset_pool_by_subject(const struct certpick_candset *set, const X509_NAME *name, size_t *idx,
    size_t max)
{
	size_t pos = 0, i, n = 0, found = 0;
	X509 *y;

	if (set == NULL)
		return 0;
	while (cp_hashidx_next(&set->pool_by_subject, name_key(name), &pos, &i)) {
		if ((y = pool_at(set, i)) == NULL ||
		    X509_NAME_cmp(X509_get_subject_name(y), name) != 0)
			continue;
		found++;
		if (n < max)
			idx[n++] = i;
	}
	/* pool order, so that paths are found in the order their issuers were loaded */
	qsort(idx, n, sizeof(*idx), cmp_size);
	return found;
}

static int
fill_identity(struct certpick_candidate *c, struct certpick_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	unsigned char *der = NULL;
	int len, ok;
	long long t;

	if ((len = i2d_X509(c->x509, &der)) <= 0)
		return cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot encode a certificate");
	c->der = der;
	c->der_len = (size_t)len;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, cp_md_sha256(), NULL) != 1)
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot hash a certificate");
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(c->sha256 + 2 * i, 3, "%02x", md[i]);
	if (cp_dn_from_name(&c->subject, X509_get_subject_name(c->x509), err) != 0 ||
	    cp_dn_from_name(&c->issuer, X509_get_issuer_name(c->x509), err) != 0)
		return -1;
	t = cp_asn1_time_to_unix(X509_get0_notBefore(c->x509), &ok);
	c->not_before = (time_t)t;
	t = cp_asn1_time_to_unix(X509_get0_notAfter(c->x509), &ok);
	c->not_after = (time_t)t;
	return 0;
}

/*
 * A new candidate for x (reference taken) with the other certificates of
 * its source as chain. Appended to the set.
 */
static struct certpick_candidate *
candidate_add(struct certpick_candset *set, X509 *x, const STACK_OF(X509) *peers,
    const char *source, struct certpick_error *err)
{
	struct certpick_candidate *c = NULL, **slot;

	if ((c = cp_calloc(1, sizeof(*c))) == NULL || (c->source = cp_strdup(source)) == NULL ||
	    (c->chain = sk_X509_new_null()) == NULL) {
		cp_error_nomem(err);
		goto fail;
	}
	if (!X509_up_ref(x)) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot reference a certificate");
		goto fail;
	}
	c->x509 = x;
	for (int i = 0; i < sk_X509_num(peers); i++) {
		X509 *y = sk_X509_value(peers, i);
		if (y == x || X509_cmp(y, x) == 0)
			continue;
		if (!X509_up_ref(y) || sk_X509_push(c->chain, y) <= 0) {
			cp_error_nomem(err);
			goto fail;
		}
	}
	if (fill_identity(c, err) != 0)
		goto fail;
	if ((slot = cp_array_push_cap(&set->v, &set->n, &set->cap, sizeof(*slot))) == NULL) {
		cp_error_nomem(err);
		goto fail;
	}
	*slot = c;
	return c;
fail:
	candidate_free(c);
	return NULL;
}

/*
 * A private key as pairing sees it: decoded, or its public half only
 * (struct cp_keypub, when the source is read lazily and keys released).
 */
struct key_ref {
	EVP_PKEY *pkey;
	const struct cp_spki *pub;
};

/*
 * release: the key paired, but the candidate keeps no reference
 * (release_keys; a key known by its public half is never kept).
 */
static int
set_key(struct certpick_candidate *c, struct key_ref k, bool release, enum certpick_key_store store,
    const char *key_source, struct certpick_error *err)
{
	EVP_PKEY *pkey = k.pkey;

	if (release || k.pub != NULL) {
		c->keyed = pkey != NULL || k.pub != NULL;
		pkey = NULL;
	}
	if (pkey != NULL && !EVP_PKEY_up_ref(pkey))
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot reference a key");
	c->pkey = pkey;
	c->keyed |= pkey != NULL;
	c->store = store;
	if (key_source != NULL && (c->key_source = cp_strdup(key_source)) == NULL)
		return cp_error_nomem(err);
	return 0;
}

/* Drop candidates added after `mark`, leaving the set as it was. */
static void
rollback(struct certpick_candset *set, size_t mark)
{
	while (set->n > mark)
		candidate_free(set->v[--set->n]);
}

/*
 * Keys of a source no certificate took: with certificates in the source, the
 * first certificate without a key (in order, each once) is the one the key
 * was meant for, a mismatch; in a key-only source, a loose key for finish().
 */
static int
mark_unpaired_keys(struct certpick_candset *set, struct cp_loaded *l, const bool *used,
    size_t first, const char *source, enum certpick_key_store store, bool release,
    struct certpick_error *err)
{
	int ncerts = sk_X509_num(l->certs);
	size_t at = first;

	for (size_t k = 0; k < l->nkeys; k++) {
		if (used[k])
			continue;
		if (ncerts > 0) {
			/* the first certificate without a key is the one the key was meant for */
			for (; at < set->n; at++) {
				struct certpick_candidate *c = set->v[at];
				if (c->keyed || c->mismatch_source != NULL)
					continue;
				if ((c->mismatch_source = cp_strdup(source)) == NULL) {
					cp_error_nomem(err);
					return -1;
				}
				c->latent = false;
				break;
			}
			continue;
		}
		struct loose_key *lk =
		    cp_array_push_cap(&set->keys, &set->nkeys, &set->keys_cap, sizeof(*lk));
		if (lk == NULL || (lk->source = cp_strdup(source)) == NULL) {
			if (lk != NULL)
				set->nkeys--;
			cp_error_nomem(err);
			return -1;
		}
		lk->pkey = l->keys[k].pkey;
		lk->pub = l->keys[k].pub;
		lk->store = store;
		lk->release = release;
		l->keys[k].pkey = NULL;
		l->keys[k].pub = NULL;
	}
	return 0;
}

/*
 * A private key's public half as cp_spki_read() reads a certificate's: the
 * EC point and curve, or the RSA modulus and exponent, as parameters of the
 * key. Encoding the key's SubjectPublicKeyInfo instead would set up an
 * OpenSSL 3 encoder per key, and decoding the certificate's a decoder.
 * False for other keys and encodings. buf holds what out points to.
 */
#define PUB_MAX 2048 /* a 16,384-bit modulus */

struct pub_buf {
	unsigned char v[PUB_MAX];
	unsigned char e[PUB_MAX];
};

static bool
pub_half(EVP_PKEY *pkey, struct cp_spki *out, struct pub_buf *buf)
{
	char group[64];
	size_t len = 0;
	BIGNUM *n = NULL, *e = NULL;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
			sizeof(group), &len) != 1 ||
		    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
			buf->v, sizeof(buf->v), &len) != 1 ||
		    len == 0)
			break;
		*out = (struct cp_spki){ .type = EVP_PKEY_EC,
			.curve = OBJ_txt2nid(group),
			.pub = buf->v,
			.pub_len = len };
		ok = true;
		break;
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1 || BN_is_zero(n) ||
		    BN_is_zero(e) || BN_num_bytes(n) > PUB_MAX || BN_num_bytes(e) > PUB_MAX)
			break;
		*out = (struct cp_spki){ .type = EVP_PKEY_RSA,
			.pub = buf->v,
			.pub_len = (size_t)BN_bn2bin(n, buf->v),
			.exp = buf->e,
			.exp_len = (size_t)BN_bn2bin(e, buf->e) };
		ok = true;
		break;
	default: break;
	}
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return ok;
}

static bool
same_bytes(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * Whether x's key is the key whose public half is k from the encodings
 * alone: 1 yes, 0 no, -1 they do not tell (other key types, a compressed
 * point).
 */
static int
spki_compare(X509 *x, const struct cp_spki *k)
{
	struct cp_spki c;

	if (cp_spki_read(x, &c) != 0 || c.type != k->type)
		return -1;
	if (c.type == EVP_PKEY_RSA)
		return same_bytes(c.pub, c.pub_len, k->pub, k->pub_len) &&
		    same_bytes(c.exp, c.exp_len, k->exp, k->exp_len);
	if (c.curve != k->curve)
		return 0;
	if (same_bytes(c.pub, c.pub_len, k->pub, k->pub_len))
		return 1;
	return c.pub[0] == 4 && k->pub[0] == 4 ? 0 : -1;
}

/* x's key is k's public half; keys are decoded only when the encodings do not tell. */
static bool
key_matches(X509 *x, struct key_ref k)
{
	struct pub_buf buf;
	struct cp_spki half;
	EVP_PKEY *pub, *made = NULL;
	bool eq;
	int r = -1;

	if (k.pub != NULL)
		r = spki_compare(x, k.pub);
	else if (k.pkey != NULL && pub_half(k.pkey, &half, &buf))
		r = spki_compare(x, &half);
	else if (k.pkey == NULL)
		return false;
	if (r >= 0)
		return r == 1;
	if (k.pkey == NULL && (made = cp_keypub_pkey(k.pub)) == NULL)
		return false;
	pub = cp_x509_pubkey(x);
	eq = pub != NULL && EVP_PKEY_eq(pub, made != NULL ? made : k.pkey) == 1;
	EVP_PKEY_free(made);
	ERR_clear_error();
	return eq;
}

/*
 * A public key's key in an index: a hash of the EC point or the RSA modulus
 * (pub_half(), cp_spki_read()), else of the EC point in the certificate's
 * bits or of the SubjectPublicKeyInfo DER. A certificate and a key of the
 * same type get the same key; a miss is caught by key_index_find()'s scan in
 * small sources.
 */
static uint64_t
spki_key_of_pkey(struct key_ref ref)
{
	EVP_PKEY *pkey = ref.pkey;
	struct pub_buf buf;
	struct cp_spki k;
	unsigned char *der = NULL;
	int len;
	uint64_t h;

	if (ref.pub != NULL)
		return cp_hash_bytes(ref.pub->pub, ref.pub->pub_len);
	if (pub_half(pkey, &k, &buf))
		return cp_hash_bytes(k.pub, k.pub_len);
	len = i2d_PUBKEY(pkey, &der);
	h = len > 0 ? cp_hash_bytes(der, (size_t)len) : 0;
	OPENSSL_free(der);
	ERR_clear_error();
	return h;
}

static uint64_t
spki_key_of_cert(X509 *x)
{
	struct cp_spki c;
	unsigned char *der = NULL;
	const ASN1_OBJECT *alg = NULL;
	const ASN1_BIT_STRING *bits;
	int len;
	uint64_t h;

	if (cp_spki_read(x, &c) == 0)
		return cp_hash_bytes(c.pub, c.pub_len);
	if (X509_PUBKEY_get0_param((ASN1_OBJECT **)&alg, NULL, NULL, NULL,
		X509_get_X509_PUBKEY(x)) == 1 &&
	    OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey &&
	    (bits = X509_get0_pubkey_bitstr(x)) != NULL)
		return cp_hash_bytes(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits));
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	h = len > 0 ? cp_hash_bytes(der, (size_t)len) : 0;
	OPENSSL_free(der);
	ERR_clear_error();
	return h;
}

/* Keys indexed by public key, so pairing n certificates with n keys is linear. */
struct key_index {
	struct cp_hashidx h;
	size_t n;
};

typedef struct key_ref (*key_at_fn)(const void *keys, size_t k);

static bool
has_key(struct key_ref k)
{
	return k.pkey != NULL || k.pub != NULL;
}

static int
key_index_build(struct key_index *ki, const void *keys, size_t n, key_at_fn at)
{
	memset(ki, 0, sizeof(*ki));
	ki->n = n;
	for (size_t k = 0; k < n; k++)
		if (has_key(at(keys, k)) &&
		    cp_hashidx_add(&ki->h, spki_key_of_pkey(at(keys, k)), k) != 0)
			return -1;
	return 0;
}

/*
 * The first key (in source order) that matches x, or SIZE_MAX. Keys whose encoding differs from the certificate's (the index
 * misses them) are still found by comparing one by one in small sources.
 */
static size_t
key_index_find(const struct key_index *ki, X509 *x, const void *keys, key_at_fn at)
{
	size_t pos = 0, k, best = SIZE_MAX;

	while (cp_hashidx_next(&ki->h, spki_key_of_cert(x), &pos, &k))
		if (k < best && key_matches(x, at(keys, k)))
			best = k;
	for (k = 0; best == SIZE_MAX && ki->n <= PAIR_SCAN_MAX && k < ki->n; k++)
		if (key_matches(x, at(keys, k)))
			best = k;
	return best;
}

static struct key_ref
loaded_key_at(const void *keys, size_t k)
{
	const struct cp_loaded_key *v = keys;

	return (struct key_ref){ v[k].pkey, v[k].pub != NULL ? &v[k].pub->s : NULL };
}

static struct key_ref
loose_key_at(const void *keys, size_t k)
{
	const struct loose_key *v = keys;

	return (struct key_ref){ v[k].pkey, v[k].pub != NULL ? &v[k].pub->s : NULL };
}

/*
 * The certificates of x's source that can be in its path: its issuer, that
 * one's issuer, ... by name through the source's subject index, at most
 * MAX_CHAIN, in source order. A source of n certificates thus gives each
 * candidate a short chain, not the n - 1 others (n^2 in all).
 */
static int
source_chain(const STACK_OF(X509) *certs, const struct cp_hashidx *by_subject, int xi,
    STACK_OF(X509) *out)
{
	size_t seen[MAX_CHAIN + 1], n = 1;

	seen[0] = (size_t)xi;
	for (size_t k = 0; k < n && n <= MAX_CHAIN; k++) {
		X509 *c = sk_X509_value(certs, (int)seen[k]);
		const X509_NAME *issuer = X509_get_issuer_name(c);
		size_t pos = 0, j;

		if (X509_NAME_cmp(X509_get_subject_name(c), issuer) == 0)
			continue; /* self-issued: the top */
		while (n <= MAX_CHAIN && cp_hashidx_next(by_subject, name_key(issuer), &pos, &j)) {
			X509 *y = sk_X509_value(certs, (int)j);
			bool dup = false;

			for (size_t m = 0; m < n && !dup; m++)
				dup = seen[m] == j ||
				    X509_cmp(sk_X509_value(certs, (int)seen[m]), y) == 0;
			if (!dup && X509_NAME_cmp(X509_get_subject_name(y), issuer) == 0)
				seen[n++] = j;
		}
	}
	qsort(seen + 1, n - 1, sizeof(seen[0]), cmp_size);
	for (size_t k = 1; k < n; k++)
		if (sk_X509_push(out, sk_X509_value(certs, (int)seen[k])) <= 0)
			return -1;
	return 0;
}

/* One source's indexes: its certificates by subject and by DER, its keys by public key. */
struct source_index {
	struct cp_hashidx by_subject;
	struct cp_hashidx by_der; /* certificates made candidates so far */
	struct key_index keys;
	STACK_OF(X509) *chain; /* scratch: one candidate's chain */
};

static int
source_index_build(struct source_index *si, const struct cp_loaded *l)
{
	memset(si, 0, sizeof(*si));
	if ((si->chain = sk_X509_new_null()) == NULL)
		return -1;
	for (int i = 0; i < sk_X509_num(l->certs); i++)
		if (cp_hashidx_add(&si->by_subject,
			name_key(X509_get_subject_name(sk_X509_value(l->certs, i))),
			(size_t)i) != 0)
			return -1;
	return key_index_build(&si->keys, l->keys, l->nkeys, loaded_key_at);
}

static void
source_index_release(struct source_index *si)
{
	cp_hashidx_release(&si->by_subject);
	cp_hashidx_release(&si->by_der);
	cp_hashidx_release(&si->keys.h);
	sk_X509_free(si->chain);
}

/* Whether x was made a candidate already from this source; else remembers it. */
static int
seen_in_source(struct source_index *si, const STACK_OF(X509) *certs, int i, bool *dup)
{
	X509 *x = sk_X509_value(certs, i);
	uint64_t key = der_key(x);
	size_t pos = 0, j;

	*dup = false;
	while (!*dup && cp_hashidx_next(&si->by_der, key, &pos, &j))
		*dup = X509_cmp(sk_X509_value(certs, (int)j), x) == 0;
	return *dup ? 0 : cp_hashidx_add(&si->by_der, key, (size_t)i);
}

/*
 * Turn what one source held into candidates: certificates paired with the
 * keys of the same source; keys that match none are a mismatch when the
 * source has a certificate, else loose keys for finish().
 */
static int
add_loaded(struct certpick_candset *set, struct cp_loaded *l, const char *source, bool release,
    struct certpick_error *err)
{
	enum certpick_key_store store =
	    l->format == CERTPICK_FORMAT_PKCS12 ? CERTPICK_KEY_PKCS12 : CERTPICK_KEY_FILE;
	size_t mark = set->n, first;
	int ncerts = sk_X509_num(l->certs);
	bool *used = NULL;
	struct source_index si;
	int ret = -1;

	if (source_index_build(&si, l) != 0 ||
	    (used = cp_calloc(l->nkeys, sizeof(*used))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	for (int i = 0; i < ncerts; i++)
		if (pool_add(set, sk_X509_value(l->certs, i), err) != 0)
			goto out;
	first = set->n;
	for (int i = 0; i < ncerts; i++) {
		X509 *x = sk_X509_value(l->certs, i);
		struct certpick_candidate *c;
		size_t k;
		bool dup;

		if (seen_in_source(&si, l->certs, i, &dup) != 0) {
			cp_error_nomem(err);
			goto out;
		}
		if (dup)
			continue;
		sk_X509_zero(si.chain);
		if (source_chain(l->certs, &si.by_subject, i, si.chain) != 0) {
			cp_error_nomem(err);
			goto out;
		}
		if ((c = candidate_add(set, x, si.chain, source, err)) == NULL)
			goto out;
		c->from_pkcs12 = store == CERTPICK_KEY_PKCS12;
		if ((k = key_index_find(&si.keys, x, l->keys, loaded_key_at)) != SIZE_MAX) {
			if (set_key(c, loaded_key_at(l->keys, k), release, store, source, err) != 0)
				goto out;
			c->keyspec = l->keys[k].keyspec;
			if (l->keys[k].csp != NULL &&
			    (c->csp = cp_strdup(l->keys[k].csp)) == NULL) {
				cp_error_nomem(err);
				goto out;
			}
			used[k] = true;
		}
		c->latent = !c->keyed && is_ca(x);
	}
	if (mark_unpaired_keys(set, l, used, first, source, store, release, err) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		rollback(set, mark);
	source_index_release(&si);
	free(used);
	return ret;
}

static void
warn(const struct certpick_load_options *opts, const struct certpick_error *e)
{
	if (opts != NULL && opts->warn != NULL)
		opts->warn(opts->warn_arg, e);
}

/* What one file held, parsed, into the set; its partial warning after. */
static int
add_parsed(struct certpick_candset *set, struct cp_loaded *l, const char *source,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	if (add_loaded(set, l, source, opts != NULL && opts->release_keys, err) != 0)
		return -1;
	if (l->partial.code != CERTPICK_OK)
		warn(opts, &l->partial);
	return 0;
}

/* see certpick/candidate.h */
int
certpick_candset_add_memory(struct certpick_candset *set, const void *data, size_t len,
    const char *source, enum certpick_format format, const struct certpick_load_options *opts,
    struct certpick_error *err)
{
	struct cp_loaded l;
	int ret = -1;

	if (set == NULL || (data == NULL && len > 0) || source == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	if (set->finished)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "the candidate set is finished");
	/* a large PEM file on every core when it parses cleanly; else here, whole */
	if (!cp_parse_split(data, len, source, format, opts, &l) &&
	    cp_load_parse_shared(data, len, source, format, opts, &set->kd, &l, err) != 0)
		return -1;
	ret = add_parsed(set, &l, source, opts, err);
	cp_loaded_release(&l);
	return ret;
}

static void
file_done(const struct certpick_load_options *opts)
{
	if (opts != NULL && opts->file_done != NULL)
		opts->file_done(opts->file_done_arg);
}

static int
add_file(struct certpick_candset *set, const char *path, const struct certpick_load_options *opts,
    struct certpick_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	if (cp_read_file(path, &data, &len, err) != 0)
		return -1;
	ret = certpick_candset_add_memory(set, data, len, path, CERTPICK_FORMAT_AUTO, opts, err);
	cp_freezero(data, len + 1);
	file_done(opts);
	return ret;
}

/* A file of a batch (candidate_batch.c), as add_file() would have added it. */
static int
add_batch_file(struct certpick_candset *set, struct cp_parsed_file *f,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	int ret = -1;

	switch (f->state) {
	case CP_PARSED_READ_FAILED: *err = f->err; return -1;
	case CP_PARSED_DEFERRED:
		ret = certpick_candset_add_memory(set, f->data, f->len, f->path,
		    CERTPICK_FORMAT_AUTO, opts, err);
		break;
	case CP_PARSED_DONE:
		if (f->ret != 0)
			*err = f->err;
		else
			ret = add_parsed(set, &f->l, f->path, opts, err);
		break;
	default: break;
	}
	file_done(opts);
	return ret;
}

/* Files a folder walk reads; anything else in a folder is not ours. */
static bool
wanted_in_folder(const char *name)
{
	static const char *const ext[] = { "pem", "crt", "cer", "cert", "der", "key", "p12", "pfx",
		"p8", "pk8", "pkcs12" };
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return false;
	for (size_t i = 0; i < CP_NELEM(ext); i++)
		if (strcasecmp(dot + 1, ext[i]) == 0)
			return true;
	return false;
}

/*
 * One folder walk: the folders read so far, by (device, inode), so that a
 * link back to a folder already read (two symlinks to "." would otherwise
 * make 2^17 visits) is read once and named in a warning.
 */
struct folder_walk {
	struct certpick_candset *set;
	const struct certpick_load_options *opts;
	struct cp_hashidx seen; /* (dev, ino) key -> index in v */
	struct seen_folder {
		dev_t dev;
		ino_t ino;
		char *path;
	} * v;
	size_t n;
	/* regular files met and not added yet, in walk order; paths owned */
	struct cp_parsed_file *run;
	size_t nrun;
	struct cp_key_decoder *kd; /* one per parsing thread, nkd of them */
	size_t nkd;
};

static uint64_t
folder_key(const struct stat *st)
{
	return (uint64_t)st->st_ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)st->st_dev;
}

/* The path under which this folder was read, or NULL when it is new. */
static const char *
folder_seen(struct folder_walk *w, const struct stat *st)
{
	size_t pos = 0, i;

	while (cp_hashidx_next(&w->seen, folder_key(st), &pos, &i))
		if (w->v[i].dev == st->st_dev && w->v[i].ino == st->st_ino)
			return w->v[i].path;
	return NULL;
}

static int
folder_remember(struct folder_walk *w, const char *path, const struct stat *st,
    struct certpick_error *err)
{
	struct seen_folder *f;

	if ((f = cp_array_push(&w->v, &w->n, sizeof(*f))) == NULL)
		return cp_error_nomem(err);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	if ((f->path = cp_strdup(path)) == NULL ||
	    cp_hashidx_add(&w->seen, folder_key(st), w->n - 1) != 0) {
		free(f->path);
		w->n--;
		return cp_error_nomem(err);
	}
	return 0;
}

static void
run_release(struct folder_walk *w)
{
	for (size_t i = 0; i < w->nrun; i++) {
		cp_parsed_file_release(&w->run[i]);
		free((char *)w->run[i].path);
	}
	w->nrun = 0;
}

static void
folder_walk_release(struct folder_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].path);
	free(w->v);
	cp_hashidx_release(&w->seen);
	run_release(w);
	free(w->run);
	for (size_t i = 0; i < w->nkd; i++)
		cp_key_decoder_release(&w->kd[i]);
	free(w->kd);
}

/*
 * Whether this run of files is parsed on every core: not for a few files
 * (threads would cost more than they save), and not while a test counts
 * allocations (cp_mem_fail_after), which must happen in one order.
 */
static bool
run_in_parallel(struct folder_walk *w)
{
	size_t n;

	if (w->nrun < RUN_PARALLEL_MIN || cp_mem_fail_pending() != 0)
		return false;
	if (w->kd == NULL) {
		if ((n = cp_parse_threads()) < 2 || (w->kd = cp_calloc(n, sizeof(*w->kd))) == NULL)
			return false;
		w->nkd = n;
		for (size_t i = 0; i < n; i++) {
			w->kd[i].lazy_certs = w->opts != NULL && w->opts->lazy_public_keys;
			w->kd[i].pair_only = w->opts != NULL && w->opts->release_keys;
		}
	}
	return true;
}

/* Add the files of the run in walk order; -1 only when out of memory. */
static int
run_flush(struct folder_walk *w, struct certpick_error *err)
{
	struct cp_parse_batch *b =
	    run_in_parallel(w) ? cp_parse_start(w->run, w->nrun, w->kd, w->nkd) : NULL;
	struct certpick_error e;
	int ret = 0, r;

	for (size_t i = 0; i < w->nrun; i++) {
		memset(&e, 0, sizeof(e));
		if (b != NULL)
			cp_parse_wait(b, i);
		r = b != NULL ? add_batch_file(w->set, &w->run[i], w->opts, &e) :
				add_file(w->set, w->run[i].path, w->opts, &e);
		if (r == 0)
			continue;
		if (e.code == CERTPICK_ERR_NOMEM) {
			*err = e;
			ret = -1;
			break;
		}
		warn(w->opts, &e);
	}
	cp_parse_end(b);
	run_release(w);
	return ret;
}

/* A regular file met in the walk: into the run (path taken), added when it is full. */
static int
run_push(struct folder_walk *w, char *path, struct certpick_error *err)
{
	if (w->run == NULL && (w->run = cp_calloc(RUN_MAX, sizeof(*w->run))) == NULL) {
		free(path);
		return cp_error_nomem(err);
	}
	memset(&w->run[w->nrun], 0, sizeof(w->run[0]));
	w->run[w->nrun++].path = path;
	return w->nrun == RUN_MAX ? run_flush(w, err) : 0;
}

static int read_folder(struct folder_walk *w, const char *dir, int depth,
    struct certpick_error *err);

/* A folder met in a walk: read it unless it was read already (a loop) or is too deep. */
static int
visit_folder(struct folder_walk *w, const char *path, const struct stat *st, int depth,
    struct certpick_error *err)
{
	const char *first = folder_seen(w, st);
	struct certpick_error e = { 0 };

	if (first != NULL) {
		cp_error_set(&e, CERTPICK_ERR_IO, "skipped folder '%s'", path);
		cp_error_detail(&e, "a loop: it is '%s', read already", first);
		warn(w->opts, &e);
		return 0;
	}
	if (depth > MAX_DIR_DEPTH) {
		cp_error_set(&e, CERTPICK_ERR_IO, "cannot read folder '%s'", path);
		cp_error_detail(&e, "nested more than %d deep", MAX_DIR_DEPTH);
		warn(w->opts, &e);
		return 0;
	}
	if (folder_remember(w, path, st, err) != 0)
		return -1;
	return read_folder(w, path, depth, err);
}

static int
read_folder(struct folder_walk *w, const char *dir, int depth, struct certpick_error *err)
{
	char **names = NULL;
	size_t n = 0;
	struct certpick_error e;
	int ret = -1;

	if (cp_dir_names(dir, &names, &n, err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char *path = cp_asprintf("%s%s%s", dir,
		    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		struct stat st;
		int r = 0, stat_errno;

		if (path == NULL) {
			cp_error_nomem(err);
			goto out;
		}
		memset(&e, 0, sizeof(e));
		stat_errno = stat(path, &st) == 0 ? 0 : errno;
		if (stat_errno == 0 && S_ISREG(st.st_mode) && wanted_in_folder(names[i])) {
			if (run_push(w, path, err) != 0)
				goto out;
			continue;
		}
		/* what follows may warn or add: the files before it go first */
		if ((stat_errno != 0 || S_ISDIR(st.st_mode)) && run_flush(w, err) != 0) {
			free(path);
			goto out;
		}
		if (stat_errno != 0) {
			cp_error_set_errno(&e, CERTPICK_ERR_IO, stat_errno, "cannot read '%s'",
			    path);
			warn(w->opts, &e);
		} else if (S_ISDIR(st.st_mode)) {
			r = visit_folder(w, path, &st, depth + 1, &e);
		}
		free(path);
		if (r != 0) {
			if (e.code == CERTPICK_ERR_NOMEM) {
				*err = e;
				goto out;
			}
			warn(w->opts, &e);
		}
	}
	ret = run_flush(w, err);
out:
	cp_dir_names_free(names, n);
	return ret;
}

static int
add_dir(struct certpick_candset *set, const char *dir, const struct stat *st,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	struct folder_walk w = { .set = set, .opts = opts };
	int ret = -1;

	if (folder_remember(&w, dir, st, err) != 0)
		goto out;
	ret = read_folder(&w, dir, 0, err);
out:
	folder_walk_release(&w);
	return ret;
}

/* see certpick/candidate.h */
int
certpick_candset_add_path(struct certpick_candset *set, const char *path,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	struct stat st;

	if (set == NULL || path == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	if (set->finished)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "the candidate set is finished");
	if (stat(path, &st) != 0)
		return cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot read '%s'", path);
	if (S_ISDIR(st.st_mode))
		return add_dir(set, path, &st, opts, err);
	return add_file(set, path, opts, err);
}

/* see certpick/openssl.h */
int
certpick_candset_add_x509(struct certpick_candset *set, X509 *leaf, EVP_PKEY *key,
    STACK_OF(X509) *extra, const char *source, enum certpick_key_store store,
    struct certpick_error *err)
{
	struct certpick_candidate *c;
	size_t mark;

	if (set == NULL || leaf == NULL || source == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	if (set->finished)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "the candidate set is finished");
	mark = set->n;
	if (pool_add(set, leaf, err) != 0)
		return -1;
	for (int i = 0; i < sk_X509_num(extra); i++)
		if (pool_add(set, sk_X509_value(extra, i), err) != 0)
			return -1;
	if ((c = candidate_add(set, leaf, extra, source, err)) == NULL)
		return -1;
	if (key != NULL && !key_matches(leaf, (struct key_ref){ key, NULL })) {
		if ((c->mismatch_source = cp_strdup(source)) == NULL)
			goto fail;
		c->store = CERTPICK_KEY_NONE;
		return 0;
	}
	if (set_key(c, (struct key_ref){ key, NULL }, false,
		key != NULL || store != CERTPICK_KEY_NONE ? store : CERTPICK_KEY_NONE,
		key != NULL || store != CERTPICK_KEY_NONE ? source : NULL, err) != 0)
		goto fail;
	c->from_pkcs12 = store == CERTPICK_KEY_PKCS12;
	return 0;
fail:
	rollback(set, mark);
	return cp_error_nomem(err);
}

/* see internal.h */
int
cp_candset_set_last_key_uri(struct certpick_candset *set, const char *uri,
    struct certpick_error *err)
{
	struct certpick_candidate *c;

	if (set == NULL || set->n == 0)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	c = set->v[set->n - 1];
	free(c->key_uri);
	if ((c->key_uri = cp_strdup(uri)) == NULL)
		return cp_error_nomem(err);
	return 0;
}

/* see internal.h */
const char *
cp_candidate_key_uri(const struct certpick_candidate *c)
{
	return c != NULL ? c->key_uri : NULL;
}

/* see certpick/candidate.h */
int
certpick_candset_finish(struct certpick_candset *set, struct certpick_error *err)
{
	struct key_index ki;
	size_t keep = 0, k;

	if (set == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	if (set->finished)
		return 0;
	if (key_index_build(&ki, set->keys, set->nkeys, loose_key_at) != 0) {
		cp_hashidx_release(&ki.h);
		return cp_error_nomem(err);
	}
	for (size_t i = 0; i < set->n; i++) {
		struct certpick_candidate *c = set->v[i];
		if (c->keyed || c->store != CERTPICK_KEY_NONE || c->mismatch_source != NULL)
			continue;
		if ((k = key_index_find(&ki, c->x509, set->keys, loose_key_at)) == SIZE_MAX)
			continue;
		if (set_key(c, loose_key_at(set->keys, k), set->keys[k].release, set->keys[k].store,
			set->keys[k].source, err) != 0) {
			cp_hashidx_release(&ki.h);
			return -1;
		}
		c->latent = false;
	}
	cp_hashidx_release(&ki.h);
	for (size_t j = 0; j < set->nkeys; j++) {
		if (set->keys[j].release) {
			EVP_PKEY_free(set->keys[j].pkey);
			free(set->keys[j].pub);
			set->keys[j].pkey = NULL;
			set->keys[j].pub = NULL;
		}
	}
	for (size_t i = 0; i < set->n; i++) {
		if (set->v[i]->latent)
			candidate_free(set->v[i]);
		else
			set->v[keep++] = set->v[i];
	}
	set->n = keep;
	set->finished = true;
	return 0;
}

/* see certpick/candidate.h */
size_t
certpick_candset_count(const struct certpick_candset *set)
{
	return set == NULL ? 0 : set->n;
}

/* see certpick/candidate.h */
size_t
certpick_candset_pool_count(const struct certpick_candset *set)
{
	return set == NULL ? 0 : (size_t)sk_X509_num(set->pool);
}

/* see certpick/candidate.h */
const struct certpick_candidate *
certpick_candset_get(const struct certpick_candset *set, size_t i)
{
	return set == NULL || i >= set->n ? NULL : set->v[i];
}

/* see certpick/openssl.h */
STACK_OF(X509) *
certpick_candset_get0_pool(const struct certpick_candset *set)
{
	return set->pool;
}

/* see certpick/candidate.h */
const char *
certpick_candidate_source(const struct certpick_candidate *c)
{
	return c->source;
}

const struct certpick_dn *
certpick_candidate_subject(const struct certpick_candidate *c)
{
	return &c->subject;
}

const struct certpick_dn *
certpick_candidate_issuer(const struct certpick_candidate *c)
{
	return &c->issuer;
}

const char *
certpick_candidate_sha256(const struct certpick_candidate *c)
{
	return c->sha256;
}

time_t
certpick_candidate_not_before(const struct certpick_candidate *c)
{
	return c->not_before;
}

time_t
certpick_candidate_not_after(const struct certpick_candidate *c)
{
	return c->not_after;
}

enum certpick_key_store
certpick_candidate_key_store(const struct certpick_candidate *c)
{
	return c->store;
}

const char *
certpick_candidate_key_source(const struct certpick_candidate *c)
{
	return c->key_source;
}

bool
certpick_candidate_has_key_mismatch(const struct certpick_candidate *c)
{
	return c->mismatch_source != NULL;
}

const char *
certpick_candidate_key_mismatch_source(const struct certpick_candidate *c)
{
	return c->mismatch_source;
}

const char *
certpick_candidate_key_type(const struct certpick_candidate *c)
{
	EVP_PKEY *pub = cp_x509_pubkey(c->x509);

	ERR_clear_error();
	if (pub == NULL)
		return "other";
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA: return "rsa";
	case EVP_PKEY_RSA_PSS: return "rsa-pss";
	case EVP_PKEY_EC: return "ec";
	case EVP_PKEY_ED25519: return "ed25519";
	case EVP_PKEY_ED448: return "ed448";
	case EVP_PKEY_DSA: return "dsa";
	default: return "other";
	}
}

int
certpick_candidate_key_bits(const struct certpick_candidate *c)
{
	EVP_PKEY *pub = cp_x509_pubkey(c->x509);
	int bits = pub != NULL ? EVP_PKEY_get_bits(pub) : 0;

	ERR_clear_error();
	return bits > 0 ? bits : 0;
}

bool
certpick_candidate_from_pkcs12(const struct certpick_candidate *c)
{
	return c->from_pkcs12;
}

unsigned
certpick_candidate_pfx_keyspec(const struct certpick_candidate *c)
{
	return c->keyspec;
}

const char *
certpick_candidate_pfx_csp(const struct certpick_candidate *c)
{
	return c->csp;
}

const unsigned char *
certpick_candidate_der(const struct certpick_candidate *c, size_t *len)
{
	*len = c->der_len;
	return c->der;
}

/* see certpick/openssl.h */
X509 *
certpick_candidate_get0_x509(const struct certpick_candidate *c)
{
	return c->x509;
}

EVP_PKEY *
certpick_candidate_get0_pkey(const struct certpick_candidate *c)
{
	return c->pkey;
}

STACK_OF(X509) *
certpick_candidate_get0_chain(const struct certpick_candidate *c)
{
	return c->chain;
}
