/*
 * Parsing one file's bytes into certificates and private keys: PEM (any mix
 * of certificates and keys: PKCS#8, encrypted PKCS#8, traditional and
 * traditional-encrypted), DER (certificate, key, encrypted PKCS#8) and
 * PKCS#12 (with the Microsoft key-usage and CSP-name attributes).
 * Pure apart from OpenSSL: no file I/O (file.c reads the files), no pairing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "internal.h"

#define MAX_FILE_SIZE (64L * 1024 * 1024)
#define MAX_BAG_DEPTH 4
#define MAX_OBJECTS 10000
#define MAX_P12_BAGS (2 * MAX_OBJECTS) /* a certificate and a key bag per object */
#define KEYSPEC_MASK 0xffu

void
cp_loaded_release(struct cp_loaded *l)
{
	if (l == NULL)
		return;
	sk_X509_pop_free(l->certs, X509_free);
	for (size_t i = 0; i < l->nkeys; i++) {
		EVP_PKEY_free(l->keys[i].pkey);
		free(l->keys[i].pub);
		free(l->keys[i].csp);
	}
	free(l->keys);
	memset(l, 0, sizeof(*l));
}

/* Takes pkey or pub (one of them) only when it returns 0. */
static int
add_key(struct cp_loaded *l, EVP_PKEY *pkey, struct cp_keypub *pub, unsigned keyspec,
    const char *csp, struct certpick_error *err)
{
	struct cp_loaded_key *k;

	if (l->nkeys >= MAX_OBJECTS)
		return cp_error_set(err, CERTPICK_ERR_PARSE, "too many keys");
	if ((k = cp_array_push_cap(&l->keys, &l->nkeys, &l->keys_cap, sizeof(*k))) == NULL)
		return cp_error_nomem(err);
	if (csp != NULL && (k->csp = cp_strdup(csp)) == NULL) {
		l->nkeys--;
		return cp_error_nomem(err);
	}
	k->pkey = pkey;
	k->pub = pub;
	k->keyspec = keyspec;
	return 0;
}

/* see internal.h */
int
cp_loaded_join(struct cp_loaded *into, struct cp_loaded *from)
{
	int n = sk_X509_num(from->certs);

	if ((size_t)sk_X509_num(into->certs) + (size_t)n > MAX_OBJECTS ||
	    into->nkeys + from->nkeys > MAX_OBJECTS)
		return -1;
	for (int i = 0; i < n; i++) {
		if (sk_X509_push(into->certs, sk_X509_value(from->certs, 0)) <= 0)
			return -1;
		(void)sk_X509_shift(from->certs);
	}
	for (size_t k = 0; k < from->nkeys; k++) {
		struct cp_loaded_key *to =
		    cp_array_push_cap(&into->keys, &into->nkeys, &into->keys_cap, sizeof(*to));
		if (to == NULL)
			return -1;
		*to = from->keys[k];
		memset(&from->keys[k], 0, sizeof(from->keys[k]));
	}
	return 0;
}

/* Takes x509 in every case. */
static int
add_cert(struct cp_loaded *l, X509 *x509, struct certpick_error *err)
{
	if (sk_X509_num(l->certs) >= MAX_OBJECTS) {
		X509_free(x509);
		return cp_error_set(err, CERTPICK_ERR_PARSE, "too many certificates");
	}
	if (sk_X509_push(l->certs, x509) <= 0) {
		X509_free(x509);
		return cp_error_nomem(err);
	}
	return 0;
}

/* Remember the first thing that went wrong in a file that is otherwise usable. */
static void
note_partial(struct cp_loaded *l, const struct certpick_error *e)
{
	if (l->partial.code == CERTPICK_OK)
		l->partial = *e;
}

struct pw_ctx {
	const struct certpick_load_options *opts;
	const char *what;
	int tries; /* 0: opts->password; 1: callback */
	bool used; /* a password was asked for */
	bool none; /* nothing to give */
};

static int
pem_pw_cb(char *buf, int size, int rwflag, void *arg)
{
	struct pw_ctx *c = arg;
	int n = -1;

	(void)rwflag;
	c->used = true;
	if (size <= 0)
		return -1;
	if (c->tries == 0 && c->opts != NULL && c->opts->password != NULL) {
		size_t len = strlen(c->opts->password);
		if (len >= (size_t)size)
			return -1;
		memcpy(buf, c->opts->password, len);
		return (int)len;
	}
	if (c->opts != NULL && c->opts->password_cb != NULL)
		n = c->opts->password_cb(c->opts->password_arg, c->what, buf, (size_t)size);
	if (n < 0)
		c->none = true;
	return n < 0 ? -1 : n;
}

static bool
have_password(const struct certpick_load_options *opts)
{
	return opts != NULL && opts->password != NULL;
}

static bool
have_callback(const struct certpick_load_options *opts)
{
	return opts != NULL && opts->password_cb != NULL;
}

/* The hint after a failed decryption, for people. */
static unsigned long
max_iter(const struct certpick_load_options *opts)
{
	return opts != NULL ? opts->max_pbe_iterations : 0;
}

static void
set_key_error(struct certpick_error *e, const char *source, const struct pw_ctx *c)
{
	cp_error_set_ossl(e, c->used ? CERTPICK_ERR_PASSWORD : CERTPICK_ERR_PARSE,
	    "cannot load private key from '%s'", source);
	if (c->used && c->none)
		cp_error_detail(e, "the key is encrypted and no password was given");
	else if (c->used)
		cp_error_detail(e, "bad decrypt (wrong password?)");
}

static int sig_check(const X509_SIG *sig, struct cp_pbe_budget *budget, const char *source,
    struct certpick_error *err);

/* An "ENCRYPTED PRIVATE KEY" block's derivation cost; malformed ones fail later. */
static int
pem_pkcs8_check(const unsigned char *data, long dlen, struct cp_pbe_budget *budget,
    const char *source, struct certpick_error *err)
{
	const unsigned char *p = data;
	X509_SIG *sig;
	int ret;

	if ((sig = d2i_X509_SIG(NULL, &p, dlen)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	ret = sig_check(sig, budget, source, err);
	X509_SIG_free(sig);
	return ret;
}

/*
 * Unencrypted key blocks share one DER decoder (struct cp_key_decoder):
 * within a file, and across the files of a candidate set, which would
 * otherwise pay its set-up per key.
 */
static bool
is_plain_key_block(const char *name, const char *header)
{
	return (header == NULL || header[0] == '\0') && strcmp(name, PEM_STRING_PKCS8) != 0;
}

/* A PrivateKeyInfo or traditional key, DER; NULL with the OpenSSL error queued. */
static EVP_PKEY *
decode_plain_key(struct cp_key_decoder *kd, const unsigned char *data, long dlen)
{
	const unsigned char *p = data;
	size_t left = (size_t)dlen;
	EVP_PKEY *pkey;

	if (kd->ctx == NULL &&
	    (kd->ctx = OSSL_DECODER_CTX_new_for_pkey(&kd->out, "DER", NULL, NULL, EVP_PKEY_KEYPAIR,
		 NULL, NULL)) == NULL)
		return NULL;
	kd->out = NULL;
	if (!OSSL_DECODER_from_data(kd->ctx, &p, &left)) {
		EVP_PKEY_free(kd->out);
		kd->out = NULL;
		return NULL;
	}
	pkey = kd->out;
	kd->out = NULL;
	return pkey;
}

/* see internal.h */
void
cp_key_decoder_release(struct cp_key_decoder *kd)
{
	if (kd == NULL)
		return;
	OSSL_DECODER_CTX_free(kd->ctx);
	EVP_PKEY_free(kd->out);
	kd->ctx = NULL;
	kd->out = NULL;
}

/*
 * A PEM private key block: plain ones through the file's shared decoder,
 * encrypted ones written back as PEM so OpenSSL handles every form.
 */
static int
load_pem_key(const char *name, const char *header, const unsigned char *data, long dlen,
    const char *source, const struct certpick_load_options *opts, struct cp_key_decoder *kd,
    struct cp_pbe_budget *budget, EVP_PKEY **out, struct certpick_error *err)
{
	BIO *mem = NULL;
	EVP_PKEY *pkey = NULL;
	struct pw_ctx c = { .opts = opts, .what = source };
	int ret = -1;

	*out = NULL;
	ERR_clear_error();
	if (is_plain_key_block(name, header)) {
		if ((pkey = decode_plain_key(kd, data, dlen)) == NULL) {
			set_key_error(err, source, &c);
			goto out;
		}
		*out = pkey;
		ret = 0;
		goto out;
	}
	for (c.tries = have_password(opts) ? 0 : 1; c.tries < 2; c.tries++) {
		/* each attempt derives again: charge it */
		if (strcmp(name, PEM_STRING_PKCS8) == 0 &&
		    pem_pkcs8_check(data, dlen, budget, source, err) != 0)
			goto out;
		BIO_free(mem);
		if ((mem = BIO_new(BIO_s_mem())) == NULL ||
		    PEM_write_bio(mem, name, header, data, dlen) <= 0) {
			cp_error_set_ossl(err, CERTPICK_ERR_NOMEM, "out of memory");
			goto out;
		}
		c.used = c.none = false;
		ERR_clear_error();
		if ((pkey = PEM_read_bio_PrivateKey_ex(mem, NULL, pem_pw_cb, &c, NULL, NULL)) !=
		    NULL)
			break;
		if (!c.used || c.none || !have_callback(opts))
			break;
	}
	if (pkey == NULL) {
		set_key_error(err, source, &c);
		goto out;
	}
	*out = pkey;
	ret = 0;
out:
	BIO_free(mem);
	return ret;
}

static bool
is_cert_label(const char *name)
{
	return strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0 ||
	    strcmp(name, PEM_STRING_X509_TRUSTED) == 0;
}

static bool
is_key_label(const char *name)
{
	size_t n = strlen(name);

	return n >= 11 && strcmp(name + n - 11, "PRIVATE KEY") == 0;
}

/* How far a file's objects are decoded (lazy_public_keys; release_keys). */
struct parse_mode {
	bool lazy_certs; /* certificates: cp_x509_d2i_lazy() */
	bool pair_only;	 /* plain RSA and EC keys: their public half */
};

/* A certificate block: its public key left encoded when lazy (cp_x509_d2i_lazy). */
static X509 *
pem_cert(const char *name, const unsigned char *data, long dlen, bool lazy)
{
	const unsigned char *p = data;

	if (strcmp(name, PEM_STRING_X509_TRUSTED) == 0)
		return d2i_X509_AUX(NULL, &p, dlen);
	return lazy ? cp_x509_d2i_lazy(&p, dlen) : d2i_X509(NULL, &p, dlen);
}

/*
 * A plain RSA or EC key block read only as far as pairing needs (its public
 * half, cp_key_pub_read), or NULL: decode it.
 */
static struct cp_keypub *
pem_key_pub(const char *name, const char *header, const unsigned char *data, long dlen)
{
	struct cp_spki s;
	enum cp_key_form form;

	if (!is_plain_key_block(name, header))
		return NULL;
	if (strcmp(name, PEM_STRING_PKCS8INF) == 0)
		form = CP_KEY_PKCS8;
	else if (strcmp(name, PEM_STRING_RSA) == 0)
		form = CP_KEY_RSA;
	else if (strcmp(name, PEM_STRING_ECPRIVATEKEY) == 0)
		form = CP_KEY_EC;
	else
		return NULL;
	if (cp_key_pub_read(data, (size_t)dlen, form, &s) != 0)
		return NULL;
	return cp_keypub_new(&s);
}

static int
parse_pem(const uint8_t *bytes, size_t len, const char *source,
    const struct certpick_load_options *opts, struct cp_pbe_budget *budget,
    struct cp_key_decoder *kd, struct parse_mode mode, struct cp_loaded *l,
    struct certpick_error *err)
{
	BIO *in = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	struct certpick_error e;
	int blocks = 0, ret = -1;

	if (len > (size_t)MAX_FILE_SIZE || (in = BIO_new_mem_buf(bytes, (int)len)) == NULL) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
		goto out;
	}
	for (;;) {
		ERR_clear_error();
		if (PEM_read_bio(in, &name, &header, &data, &dlen) != 1) {
			unsigned long code = ERR_peek_last_error();
			if (ERR_GET_LIB(code) == ERR_LIB_PEM &&
			    ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
				ERR_clear_error();
				break;
			}
			cp_error_set_ossl(&e, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
			cp_error_detail(&e,
			    "truncated or malformed PEM block after %d good block%s", blocks,
			    blocks == 1 ? "" : "s");
			note_partial(l, &e);
			break;
		}
		blocks++;
		if (is_cert_label(name)) {
			X509 *x = pem_cert(name, data, dlen, mode.lazy_certs);
			if (x == NULL) {
				cp_error_set_ossl(&e, CERTPICK_ERR_PARSE,
				    "cannot read certificate %d of '%s'", blocks, source);
				note_partial(l, &e);
			} else if (add_cert(l, x, err) != 0) {
				goto out;
			}
		} else if (is_key_label(name)) {
			struct cp_keypub *pub =
			    mode.pair_only ? pem_key_pub(name, header, data, dlen) : NULL;
			EVP_PKEY *pkey = NULL;
			if (pub == NULL &&
			    load_pem_key(name, header, data, dlen, source, opts, kd, budget, &pkey,
				&e) != 0)
				note_partial(l, &e);
			else if (add_key(l, pkey, pub, 0, NULL, err) != 0) {
				EVP_PKEY_free(pkey);
				free(pub);
				goto out;
			}
		}
		/* other blocks (CSR, CRL, PUBLIC KEY, parameters) are not ours */
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)dlen);
		name = header = NULL;
		data = NULL;
	}
	if (sk_X509_num(l->certs) == 0 && l->nkeys == 0) {
		if (l->partial.code != CERTPICK_OK) {
			*err = l->partial;
			memset(&l->partial, 0, sizeof(l->partial));
		} else {
			cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
			cp_error_detail(err, "no certificate or private key in it");
		}
		goto out;
	}
	ret = 0;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_clear_free(data, (size_t)dlen);
	BIO_free(in);
	return ret;
}

/* Microsoft attributes, in the bag or in the PKCS#8 PrivateKeyInfo (openssl -keyex). */
static void
read_ms_attrs(const STACK_OF(X509_ATTRIBUTE) *attrs, unsigned *keyspec, char **csp)
{
	for (int i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++) {
		X509_ATTRIBUTE *a = sk_X509_ATTRIBUTE_value(attrs, i);
		int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));
		ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, 0);

		if (t == NULL)
			continue;
		if (nid == NID_key_usage && t->type == V_ASN1_BIT_STRING &&
		    t->value.bit_string->length > 0) {
			*keyspec = t->value.bit_string->data[0] & KEYSPEC_MASK;
		} else if (nid == NID_ms_csp_name && *csp == NULL &&
		    (t->type == V_ASN1_BMPSTRING || t->type == V_ASN1_UTF8STRING ||
			t->type == V_ASN1_IA5STRING || t->type == V_ASN1_PRINTABLESTRING)) {
			unsigned char *utf8 = NULL;
			int n = ASN1_STRING_to_UTF8(&utf8, t->value.asn1_string);
			if (n >= 0) {
				*csp = cp_malloc((size_t)n + 1);
				if (*csp != NULL) {
					memcpy(*csp, utf8, (size_t)n);
					(*csp)[n] = '\0';
				}
			}
			OPENSSL_free(utf8);
		}
	}
}

struct p12_walk {
	const char *source;
	struct cp_pbe_budget *budget;
	const char *pass;
	int passlen;
	struct cp_loaded *l;
};

static int walk_bags(struct p12_walk *w, const STACK_OF(PKCS12_SAFEBAG) *bags, int depth,
    struct certpick_error *err);

static int
walk_key_bag(struct p12_walk *w, const PKCS12_SAFEBAG *bag, struct certpick_error *err)
{
	PKCS8_PRIV_KEY_INFO *owned = NULL;
	const PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *pkey = NULL;
	unsigned keyspec = 0;
	char *csp = NULL;
	struct certpick_error e;
	int ret = -1;

	if (PKCS12_SAFEBAG_get_nid(bag) == NID_keyBag) {
		p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
	} else {
		const X509_SIG *sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
		const X509_ALGOR *alg = NULL;

		X509_SIG_get0(sig, &alg, NULL);
		if (cp_pbe_charge(w->budget, alg, w->source, &e) != 0) {
			note_partial(w->l, &e);
			ret = 0;
			goto out;
		}
		p8 = owned = PKCS8_decrypt(sig, w->pass, w->passlen);
	}
	if (p8 == NULL || (pkey = EVP_PKCS82PKEY(p8)) == NULL) {
		cp_error_set_ossl(&e, CERTPICK_ERR_PARSE, "cannot read the private key in '%s'",
		    w->source);
		note_partial(w->l, &e);
		ret = 0;
		goto out;
	}
	read_ms_attrs(PKCS8_pkey_get0_attrs(p8), &keyspec, &csp);
	read_ms_attrs(PKCS12_SAFEBAG_get0_attrs(bag), &keyspec, &csp);
	if (add_key(w->l, pkey, NULL, keyspec, csp, err) != 0)
		goto out;
	pkey = NULL;
	ret = 0;
out:
	free(csp);
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(owned);
	return ret;
}

static int
walk_bags(struct p12_walk *w, const STACK_OF(PKCS12_SAFEBAG) *bags, int depth,
    struct certpick_error *err)
{
	struct certpick_error e;

	if (depth > MAX_BAG_DEPTH)
		return 0;
	for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);
		X509 *x;

		switch (PKCS12_SAFEBAG_get_nid(bag)) {
		case NID_keyBag:
		case NID_pkcs8ShroudedKeyBag:
			if (walk_key_bag(w, bag, err) != 0)
				return -1;
			break;
		case NID_certBag:
			if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate)
				break;
			if ((x = PKCS12_SAFEBAG_get1_cert(bag)) == NULL) {
				cp_error_set_ossl(&e, CERTPICK_ERR_PARSE,
				    "cannot read a certificate in '%s'", w->source);
				note_partial(w->l, &e);
				break;
			}
			if (add_cert(w->l, x, err) != 0)
				return -1;
			break;
		case NID_safeContentsBag:
			if (walk_bags(w, PKCS12_SAFEBAG_get0_safes(bag), depth + 1, err) != 0)
				return -1;
			break;
		default: break;
		}
	}
	return 0;
}

/* 1 when pass opens the MAC, 0 when not, -1 (err set) when the budget is spent. */
static int
try_mac(PKCS12 *p12, const char *pass, int passlen, struct cp_pbe_budget *budget,
    const char *source, struct certpick_error *err)
{
	if (cp_pbe_charge_mac(budget, p12, source, err) != 0)
		return -1;
	return PKCS12_verify_mac(p12, pass, passlen) ? 1 : 0;
}

static int
use_password(const char *pass, int passlen, const char **out, int *outlen)
{
	*out = pass;
	*outlen = passlen;
	return 0;
}

/* Find the password: the one given, else empty or absent, else the callback. */
static int
p12_password(PKCS12 *p12, const char *source, const struct certpick_load_options *opts,
    struct cp_pbe_budget *budget, char *buf, size_t size, const char **pass, int *passlen,
    struct certpick_error *err)
{
	int n, r;

	if (!PKCS12_mac_present(p12)) {
		const char *p = have_password(opts) ? opts->password : "";
		return use_password(p, (int)strlen(p), pass, passlen);
	}
	if (have_password(opts)) {
		n = (int)strlen(opts->password);
		if ((r = try_mac(p12, opts->password, n, budget, source, err)) != 0)
			return r < 0 ? -1 : use_password(opts->password, n, pass, passlen);
	} else {
		if ((r = try_mac(p12, "", 0, budget, source, err)) != 0)
			return r < 0 ? -1 : use_password("", 0, pass, passlen);
		if ((r = try_mac(p12, NULL, 0, budget, source, err)) != 0)
			return r < 0 ? -1 : use_password(NULL, 0, pass, passlen);
	}
	if (have_callback(opts) &&
	    (n = opts->password_cb(opts->password_arg, source, buf, size)) >= 0 &&
	    (size_t)n < size) {
		buf[n] = '\0';
		if ((r = try_mac(p12, buf, n, budget, source, err)) != 0)
			return r < 0 ? -1 : use_password(buf, n, pass, passlen);
	}
	ERR_clear_error();
	cp_error_set(err, CERTPICK_ERR_PASSWORD, "cannot read '%s'", source);
	cp_error_detail(err,
	    have_password(opts) || have_callback(opts) ?
		"mac verify failure (wrong password?)" :
		"mac verify failure (the file needs a password and none was given)");
	return -1;
}

/* The encrypted part's derivation cost (its algorithm is inside PKCS#7). */
static int
p12_encdata_check(const PKCS7 *p7, const struct p12_walk *w, struct certpick_error *err)
{
	const PKCS7_ENCRYPT *enc = p7->d.encrypted;

	if (enc == NULL || enc->enc_data == NULL)
		return 0; /* PKCS12_unpack_p7encdata refuses it */
	return cp_pbe_charge(w->budget, enc->enc_data->algorithm, w->source, err);
}

/*
 * What a walk of bags will cost, before any of it is derived: every
 * shrouded key bag is charged to b (a copy of the file's budget) and every
 * bag counted, nested safeContents included. Bags inside encrypted parts
 * are charged when their part is opened.
 */
static int
bags_cost(const STACK_OF(PKCS12_SAFEBAG) *bags, int depth, struct cp_pbe_budget *b, size_t *nbags,
    const char *source, struct certpick_error *err)
{
	if (depth > MAX_BAG_DEPTH)
		return 0;
	for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);
		const X509_ALGOR *alg = NULL;

		if (++*nbags > MAX_P12_BAGS) {
			cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
			cp_error_detail(err, "it holds more than %d bags", MAX_P12_BAGS);
			return -1;
		}
		switch (PKCS12_SAFEBAG_get_nid(bag)) {
		case NID_pkcs8ShroudedKeyBag:
			X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
			if (cp_pbe_charge(b, alg, source, err) != 0)
				return -1;
			break;
		case NID_safeContentsBag:
			if (bags_cost(PKCS12_SAFEBAG_get0_safes(bag), depth + 1, b, nbags, source,
				err) != 0)
				return -1;
			break;
		default: break;
		}
	}
	return 0;
}

/*
 * Refuse, before deriving anything, a file whose MAC, encrypted parts and
 * visible shrouded keys together ask for more than the budget, or that holds
 * too many bags.
 */
static int
p12_cost(const PKCS12 *p12, const STACK_OF(PKCS7) *safes, const struct cp_pbe_budget *budget,
    const char *source, struct certpick_error *err)
{
	struct cp_pbe_budget b = *budget;
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	size_t nbags = 0;
	int ret = -1;

	if (cp_pbe_charge_mac(&b, p12, source, err) != 0)
		goto out;
	for (int i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		const PKCS7_ENCRYPT *enc;

		switch (OBJ_obj2nid(p7->type)) {
		case NID_pkcs7_encrypted:
			enc = p7->d.encrypted;
			if (enc != NULL && enc->enc_data != NULL &&
			    cp_pbe_charge(&b, enc->enc_data->algorithm, source, err) != 0)
				goto out;
			break;
		case NID_pkcs7_data:
			if ((bags = PKCS12_unpack_p7data(p7)) == NULL)
				break; /* reported by the walk */
			if (bags_cost(bags, 0, &b, &nbags, source, err) != 0)
				goto out;
			sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
			bags = NULL;
			break;
		default: break;
		}
	}
	ret = 0;
out:
	ERR_clear_error();
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	return ret;
}

static int
parse_p12(PKCS12 *p12, const char *source, const struct certpick_load_options *opts,
    struct cp_pbe_budget *budget, struct cp_loaded *l, struct certpick_error *err)
{
	STACK_OF(PKCS7) *safes = NULL;
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	char *buf = NULL;
	struct p12_walk w = { .source = source, .l = l, .budget = budget };
	struct certpick_error e;
	int ret = -1;

	if ((buf = cp_secret_new()) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if ((safes = PKCS12_unpack_authsafes(p12)) == NULL) {
		cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
		goto out;
	}
	if (p12_cost(p12, safes, budget, source, err) != 0 ||
	    p12_password(p12, source, opts, budget, buf, CP_SECRET_MAX, &w.pass, &w.passlen, err) !=
		0)
		goto out;
	for (int i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		int nid = OBJ_obj2nid(p7->type);

		if (nid == NID_pkcs7_data)
			bags = PKCS12_unpack_p7data(p7);
		else if (nid == NID_pkcs7_encrypted && p12_encdata_check(p7, &w, &e) != 0) {
			note_partial(l, &e);
			continue;
		} else if (nid == NID_pkcs7_encrypted)
			bags = PKCS12_unpack_p7encdata(p7, w.pass, w.passlen);
		else
			continue;
		if (bags == NULL) {
			cp_error_set_ossl(&e, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
			cp_error_detail(&e, "cannot decrypt part %d (wrong password?)", i + 1);
			note_partial(l, &e);
			continue;
		}
		if (walk_bags(&w, bags, 0, err) != 0)
			goto out;
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		bags = NULL;
	}
	if (sk_X509_num(l->certs) == 0 && l->nkeys == 0) {
		if (l->partial.code != CERTPICK_OK) {
			*err = l->partial;
			memset(&l->partial, 0, sizeof(l->partial));
		} else {
			cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
			cp_error_detail(err, "the PKCS#12 file holds no certificate or key");
		}
		goto out;
	}
	ret = 0;
out:
	cp_secret_free(buf);
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	return ret;
}

static int
sig_check(const X509_SIG *sig, struct cp_pbe_budget *budget, const char *source,
    struct certpick_error *err)
{
	const X509_ALGOR *alg = NULL;

	X509_SIG_get0(sig, &alg, NULL);
	return cp_pbe_charge(budget, alg, source, err);
}

/* Decrypt with the password the callback gives; NULL (err set only on ENOMEM) if none. */
static PKCS8_PRIV_KEY_INFO *
decrypt_asking(const X509_SIG *sig, const char *source, const struct certpick_load_options *opts,
    struct certpick_error *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	char *buf;
	int n;

	if ((buf = cp_secret_new()) == NULL) {
		cp_error_nomem(err);
		return NULL;
	}
	n = opts->password_cb(opts->password_arg, source, buf, CP_SECRET_MAX);
	if (n >= 0 && n < CP_SECRET_MAX)
		p8 = PKCS8_decrypt(sig, buf, n);
	cp_secret_free(buf);
	return p8;
}

/* An encrypted DER PKCS#8 key. */
static EVP_PKEY *
der_encrypted_key(const uint8_t *data, size_t len, const char *source,
    const struct certpick_load_options *opts, struct cp_pbe_budget *budget,
    struct certpick_error *err)
{
	const unsigned char *p = data;
	X509_SIG *sig = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;

	if ((sig = d2i_X509_SIG(NULL, &p, (long)len)) == NULL || p != data + len) {
		X509_SIG_free(sig);
		return NULL;
	}
	if (sig_check(sig, budget, source, err) != 0) {
		X509_SIG_free(sig);
		return NULL;
	}
	if (have_password(opts)) {
		p8 = PKCS8_decrypt(sig, opts->password, (int)strlen(opts->password));
		/* asking derives again */
		if (p8 == NULL && have_callback(opts) && sig_check(sig, budget, source, err) != 0) {
			X509_SIG_free(sig);
			return NULL;
		}
	}
	if (p8 == NULL && have_callback(opts) &&
	    (p8 = decrypt_asking(sig, source, opts, err)) == NULL &&
	    err->code == CERTPICK_ERR_NOMEM) {
		X509_SIG_free(sig);
		return NULL;
	}
	if (p8 == NULL) {
		cp_error_set(err, CERTPICK_ERR_PASSWORD, "cannot load private key from '%s'",
		    source);
		cp_error_detail(err,
		    have_password(opts) || have_callback(opts) ?
			"bad decrypt (wrong password?)" :
			"the key is encrypted and no password was given");
		ERR_clear_error();
	} else if ((pkey = EVP_PKCS82PKEY(p8)) == NULL) {
		cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot load private key from '%s'",
		    source);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(sig);
	return pkey;
}

/*
 * Every DER private key form (PKCS#8, RSA, EC, DSA) is a SEQUENCE starting
 * with an INTEGER version. Asking OpenSSL's decoders only then saves their
 * setup (about a millisecond) for every certificate or junk file.
 */
static bool
looks_like_key_der(const uint8_t *data, size_t len)
{
	size_t hdr;

	if (len < 4 || data[0] != 0x30)
		return false;
	hdr = data[1] < 0x80 ? 2 : 2 + (size_t)(data[1] & 0x7f);
	return hdr < len && data[hdr] == 0x02;
}

static int
parse_der(const uint8_t *data, size_t len, const char *source,
    const struct certpick_load_options *opts, bool lazy, struct cp_pbe_budget *budget,
    struct cp_loaded *l, struct certpick_error *err)
{
	const unsigned char *p;
	X509 *x;
	EVP_PKEY *pkey;

	p = data;
	if ((x = lazy ? cp_x509_d2i_lazy(&p, (long)len) : d2i_X509(NULL, &p, (long)len)) != NULL) {
		l->format = CERTPICK_FORMAT_DER;
		return add_cert(l, x, err);
	}
	p = data;
	ERR_clear_error();
	if (looks_like_key_der(data, len) &&
	    (pkey = d2i_AutoPrivateKey(NULL, &p, (long)len)) != NULL) {
		l->format = CERTPICK_FORMAT_DER;
		if (add_key(l, pkey, NULL, 0, NULL, err) != 0) {
			EVP_PKEY_free(pkey);
			return -1;
		}
		return 0;
	}
	ERR_clear_error();
	err->code = CERTPICK_OK;
	if ((pkey = der_encrypted_key(data, len, source, opts, budget, err)) != NULL) {
		l->format = CERTPICK_FORMAT_DER;
		if (add_key(l, pkey, NULL, 0, NULL, err) != 0) {
			EVP_PKEY_free(pkey);
			return -1;
		}
		return 0;
	}
	if (err->code != CERTPICK_OK)
		return -1;
	cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
	cp_error_detail(err, "not a certificate, private key or PKCS#12 file");
	return -1;
}

static bool
looks_pem(const uint8_t *data, size_t len)
{
	return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

int
cp_load_parse(const uint8_t *data, size_t len, const char *source, enum certpick_format format,
    const struct certpick_load_options *opts, struct cp_loaded *out, struct certpick_error *err)
{
	return cp_load_parse_shared(data, len, source, format, opts, NULL, out, err);
}

/* see internal.h */
int
cp_load_parse_shared(const uint8_t *data, size_t len, const char *source,
    enum certpick_format format, const struct certpick_load_options *opts,
    struct cp_key_decoder *shared, struct cp_loaded *out, struct certpick_error *err)
{
	struct cp_key_decoder own = { 0 };
	struct cp_key_decoder *kd = shared != NULL ? shared : &own;
	bool lazy = kd->lazy_certs || (opts != NULL && opts->lazy_public_keys);
	struct parse_mode mode = { .lazy_certs = lazy,
		.pair_only = kd->pair_only || (opts != NULL && opts->release_keys) };
	struct certpick_error local;
	struct cp_pbe_budget budget;
	PKCS12 *p12 = NULL;
	const unsigned char *p;
	int ret = -1;

	if (err == NULL)
		err = &local;
	cp_pbe_budget_init(&budget, max_iter(opts));
	memset(out, 0, sizeof(*out));
	if ((out->certs = sk_X509_new_null()) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (len == 0) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
		cp_error_detail(err, "the file is empty");
		goto out;
	}
	if (len > (size_t)MAX_FILE_SIZE) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
		cp_error_detail(err, "larger than 64 MiB");
		goto out;
	}
	if (format == CERTPICK_FORMAT_PEM ||
	    (format == CERTPICK_FORMAT_AUTO && looks_pem(data, len))) {
		out->format = CERTPICK_FORMAT_PEM;
		ret = parse_pem(data, len, source, opts, &budget, kd, mode, out, err);
		goto out;
	}
	if (format == CERTPICK_FORMAT_PKCS12 || format == CERTPICK_FORMAT_AUTO) {
		p = data;
		ERR_clear_error();
		if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) != NULL) {
			out->format = CERTPICK_FORMAT_PKCS12;
			ret = parse_p12(p12, source, opts, &budget, out, err);
			goto out;
		}
		if (format == CERTPICK_FORMAT_PKCS12) {
			cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
			cp_error_detail(err, "not a PKCS#12 file");
			goto out;
		}
	}
	ret = parse_der(data, len, source, opts, lazy, &budget, out, err);
out:
	ERR_clear_error();
	PKCS12_free(p12);
	cp_key_decoder_release(&own);
	if (ret != 0)
		cp_loaded_release(out);
	return ret;
}
