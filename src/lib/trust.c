/*
 * Trust stores and path building: a depth-first search over every issuer
 * that links by name and key identifier (X509_check_issued; a keyUsage
 * without keyCertSign is left to verification to report),
 * so a cross-signed intermediate yields one path per signer. Bounded in
 * depth, paths and steps, so crafted pools cannot make it run long.
 * No signature checks here: check.c verifies the paths it is given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "internal.h"

#define MAX_DEPTH 12
#define MAX_PATHS 16
#define MAX_STEPS 2000
#define MAX_ISSUERS 64 /* pool certificates tried as the issuer of one certificate */

struct certpick_trust {
	STACK_OF(X509) *certs;
	STACK_OF(X509_CRL) *crls;
};

/* see certpick/trust.h */
struct certpick_trust *
certpick_trust_new(struct certpick_error *err)
{
	struct certpick_trust *t;

	if ((t = cp_calloc(1, sizeof(*t))) == NULL || (t->certs = sk_X509_new_null()) == NULL ||
	    (t->crls = sk_X509_CRL_new_null()) == NULL) {
		if (t != NULL)
			sk_X509_free(t->certs);
		free(t);
		cp_error_nomem(err);
		return NULL;
	}
	return t;
}

/* see certpick/trust.h */
void
certpick_trust_free(struct certpick_trust *t)
{
	if (t == NULL)
		return;
	sk_X509_pop_free(t->certs, X509_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t);
}

/* see certpick/trust.h */
size_t
certpick_trust_count(const struct certpick_trust *t)
{
	return t == NULL ? 0 : (size_t)sk_X509_num(t->certs);
}

/* see certpick/openssl.h */
STACK_OF(X509) *
certpick_trust_get0_certs(const struct certpick_trust *t)
{
	return t->certs;
}

/* see certpick/trust.h */
int
certpick_trust_add_crl_path(struct certpick_trust *t, const char *path, struct certpick_error *err)
{
	STACK_OF(X509_CRL) *crls;
	int n, ret = -1;

	/* all of the file or nothing: a CRL bundle broken halfway adds none */
	if ((crls = sk_X509_CRL_new_null()) == NULL)
		return cp_error_nomem(err);
	if (cp_crls_load(path, crls, err) != 0)
		goto out;
	n = sk_X509_CRL_num(crls);
	if (!sk_X509_CRL_reserve(t->crls, sk_X509_CRL_num(t->crls) + n)) {
		cp_error_nomem(err);
		goto out;
	}
	while (sk_X509_CRL_num(crls) > 0) /* cannot fail: reserved */
		(void)sk_X509_CRL_push(t->crls, sk_X509_CRL_shift(crls));
	ret = 0;
out:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return ret;
}

/* see certpick/trust.h */
size_t
certpick_trust_crl_count(const struct certpick_trust *t)
{
	return t == NULL ? 0 : (size_t)sk_X509_CRL_num(t->crls);
}

/* see certpick/openssl.h */
STACK_OF(X509_CRL) *
certpick_trust_get0_crls(const struct certpick_trust *t)
{
	return t->crls;
}

/* see certpick/openssl.h */
int
certpick_trust_add_x509(struct certpick_trust *t, X509 *x, struct certpick_error *err)
{
	if (t == NULL || x == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	for (int i = 0; i < sk_X509_num(t->certs); i++)
		if (X509_cmp(sk_X509_value(t->certs, i), x) == 0)
			return 0;
	if (!X509_up_ref(x))
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL,
		    "cannot reference a certificate");
	if (sk_X509_push(t->certs, x) <= 0) {
		X509_free(x);
		return cp_error_nomem(err);
	}
	return 0;
}

/* Every certificate of a PEM bundle or one DER certificate; returns how many, or -1. */
static int
add_bytes(struct certpick_trust *t, const uint8_t *data, size_t len, struct certpick_error *err)
{
	BIO *in = NULL;
	X509 *x = NULL;
	int n = 0;

	if (len > 0 && memmem(data, len, "-----BEGIN ", 11) != NULL) {
		if ((in = BIO_new_mem_buf(data, (int)len)) == NULL)
			return cp_error_nomem(err);
		while ((x = PEM_read_bio_X509_AUX(in, NULL, NULL, NULL)) != NULL) {
			if (certpick_trust_add_x509(t, x, err) != 0) {
				n = -1;
				break;
			}
			X509_free(x);
			x = NULL;
			n++;
		}
		X509_free(x);
		BIO_free(in);
	} else {
		const unsigned char *p = data;
		if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
			n = certpick_trust_add_x509(t, x, err) == 0 ? 1 : -1;
			X509_free(x);
		}
	}
	ERR_clear_error();
	return n;
}

static int
add_file(struct certpick_trust *t, const char *path, struct certpick_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int n;

	if (cp_read_file(path, &data, &len, err) != 0)
		return -1;
	n = add_bytes(t, data, len, err);
	cp_freezero(data, len + 1);
	return n;
}

/* The files of a folder in name order (so what is read is the same on every run). */
static int
add_dir(struct certpick_trust *t, const char *dir, struct certpick_error *err)
{
	char **names = NULL;
	size_t n = 0;
	int total = 0;

	if (cp_dir_names(dir, &names, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct certpick_error e = { 0 };
		struct stat st;
		char *path;
		int k;

		if ((path = cp_asprintf("%s/%s", dir, names[i])) == NULL) {
			total = cp_error_nomem(err);
			break;
		}
		k = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? add_file(t, path, &e) : 0;
		free(path);
		if (k < 0 && e.code == CERTPICK_ERR_NOMEM) {
			*err = e;
			total = -1;
			break;
		}
		total += k > 0 ? k : 0;
	}
	cp_dir_names_free(names, n);
	return total;
}

/* see internal.h */
int
cp_trust_add_path_as(struct certpick_trust *t, const char *path, const char *what,
    struct certpick_error *err)
{
	struct stat st;
	int n;

	if (t == NULL || path == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	if (stat(path, &st) != 0)
		return cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot read %s '%s'", what,
		    path);
	n = S_ISDIR(st.st_mode) ? add_dir(t, path, err) : add_file(t, path, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read %s '%s'", what, path);
		cp_error_detail(err, "no certificate in it");
		return -1;
	}
	return 0;
}

/* see certpick/trust.h */
int
certpick_trust_add_path(struct certpick_trust *t, const char *path, struct certpick_error *err)
{
	return cp_trust_add_path_as(t, path, "trust store", err);
}

/* see internal.h */
X509_STORE *
cp_trust_store_new(const struct certpick_trust *t, struct certpick_error *err)
{
	X509_STORE *store;

	if ((store = X509_STORE_new()) == NULL) {
		cp_error_nomem(err);
		return NULL;
	}
	for (int i = 0; i < sk_X509_num(t->certs); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(t->certs, i)))
			goto nomem;
	}
	for (int i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		if (!X509_STORE_add_crl(store, sk_X509_CRL_value(t->crls, i)))
			goto nomem;
	}
	/* with CRLs, revocation is checked along the whole path, as check does */
	if (sk_X509_CRL_num(t->crls) > 0)
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return store;
nomem:
	X509_STORE_free(store);
	cp_error_nomem(err);
	return NULL;
}

/* see certpick/trust.h */
int
certpick_trust_add_default(struct certpick_trust *t, struct certpick_error *err)
{
	const char *file = X509_get_default_cert_file();
	struct stat st;

	if (file != NULL && stat(file, &st) == 0 && S_ISREG(st.st_mode))
		return certpick_trust_add_path(t, file, err);
	return certpick_trust_add_path(t, CERTPICK_TRUST_SYSTEM_DIR, err);
}

/* see certpick/trust.h */
const char *
certpick_path_end_name(enum certpick_path_end e)
{
	switch (e) {
	case CERTPICK_PATH_TRUSTED: return "trusted";
	case CERTPICK_PATH_UNTRUSTED_ROOT: return "untrusted-root";
	case CERTPICK_PATH_INCOMPLETE: return "incomplete";
	default: return "incomplete";
	}
}

static void
path_release(struct certpick_path *p)
{
	for (size_t i = 0; i < p->n; i++) {
		certpick_dn_release(&p->v[i].subject);
		certpick_dn_release(&p->v[i].issuer);
	}
	free(p->v);
	certpick_dn_release(&p->missing);
	sk_X509_pop_free(p->x509s, X509_free);
	memset(p, 0, sizeof(*p));
}

/* see certpick/trust.h */
void
certpick_paths_release(struct certpick_paths *paths)
{
	if (paths == NULL)
		return;
	for (size_t i = 0; i < paths->n; i++)
		path_release(&paths->v[i]);
	free(paths->v);
	memset(paths, 0, sizeof(*paths));
}

/* see certpick/openssl.h */
STACK_OF(X509) *
certpick_path_get0_x509s(const struct certpick_path *p)
{
	return p->x509s;
}

/*
 * Untrusted issuers come from a stack, or (a candidate set's pool) from the
 * candidate's own chain and then the pool's subject index, so that a step
 * looks only at the certificates named as its issuer, not the whole pool.
 */
struct builder {
	const STACK_OF(X509) *trusted;
	const STACK_OF(X509) *untrusted;
	const struct certpick_candset *set; /* NULL: untrusted is the whole pool */
	X509 *stack[MAX_DEPTH];
	size_t depth;
	unsigned steps;
	struct certpick_paths *out;
	struct certpick_error *err;
};

/* The same certificate, or the same subject with the same key (a re-issued root). */
static bool
same_entity(X509 *a, X509 *b)
{
	EVP_PKEY *ka, *kb;
	bool eq;

	if (a == b || X509_cmp(a, b) == 0)
		return true;
	if (X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) != 0)
		return false;
	ka = cp_x509_pubkey(a);
	kb = cp_x509_pubkey(b);
	eq = ka != NULL && kb != NULL && EVP_PKEY_eq(ka, kb) == 1;
	ERR_clear_error();
	return eq;
}

static bool
is_trusted(const struct builder *b, X509 *x)
{
	for (int i = 0; i < sk_X509_num(b->trusted); i++)
		if (same_entity(sk_X509_value(b->trusted, i), x))
			return true;
	return false;
}

static bool
on_stack(const struct builder *b, X509 *x)
{
	for (size_t i = 0; i < b->depth; i++)
		if (same_entity(b->stack[i], x))
			return true;
	return false;
}

/* EXFLAG_SS compares the signature's algorithm with the key's: decoded */
static bool
self_signed(X509 *x)
{
	X509 *full = cp_x509_full(x);

	return (X509_get_extension_flags(full != NULL ? full : x) & EXFLAG_SS) != 0;
}

static int
emit(struct builder *b, enum certpick_path_end end)
{
	struct certpick_path *p;
	X509 *top = b->stack[b->depth - 1];

	if (b->out->n >= MAX_PATHS) {
		b->out->truncated = true;
		return 0;
	}
	if ((p = cp_array_push(&b->out->v, &b->out->n, sizeof(*p))) == NULL)
		return cp_error_nomem(b->err);
	p->end = end;
	if ((p->v = cp_calloc(b->depth, sizeof(*p->v))) == NULL ||
	    (p->x509s = sk_X509_new_null()) == NULL)
		return cp_error_nomem(b->err);
	for (size_t i = 0; i < b->depth; i++) {
		X509 *x = b->stack[i];
		struct certpick_path_cert *pc = &p->v[i];

		p->n = i + 1;
		if (cp_dn_from_name(&pc->subject, X509_get_subject_name(x), b->err) != 0 ||
		    cp_dn_from_name(&pc->issuer, X509_get_issuer_name(x), b->err) != 0 ||
		    cp_x509_sha256_hex(x, pc->sha256, b->err) != 0)
			return -1;
		pc->self_signed = self_signed(x);
		pc->trusted = is_trusted(b, x);
		if (!X509_up_ref(x))
			return cp_error_set_ossl(b->err, CERTPICK_ERR_INTERNAL, "cannot reference");
		if (sk_X509_push(p->x509s, x) <= 0) {
			X509_free(x);
			return cp_error_nomem(b->err);
		}
	}
	if (end == CERTPICK_PATH_INCOMPLETE &&
	    cp_dn_from_name(&p->missing, X509_get_issuer_name(top), b->err) != 0)
		return -1;
	return 0;
}

/*
 * y issued c: names and key identifiers link. An issuer whose keyUsage lacks
 * keyCertSign still links, so that verification says what is wrong with it
 * (INVALID_CA, KEYUSAGE_NO_CERTSIGN: chain-invalid, as serve says) instead of
 * the path ending "incomplete" at an issuer the user did give.
 */
static bool
links_as_issuer(X509 *y, X509 *c)
{
	int rc = cp_x509_check_issued(y, c);

	return rc == X509_V_OK || rc == X509_V_ERR_KEYUSAGE_NO_CERTSIGN;
}

static int walk(struct builder *b);

/* Follow y as the issuer of the top of the stack, if it is one. */
static int
try_issuer(struct builder *b, X509 *y, bool untrusted, int *found)
{
	X509 *c = b->stack[b->depth - 1];
	int r;

	if (X509_NAME_cmp(X509_get_subject_name(y), X509_get_issuer_name(c)) != 0)
		return 0;
	if (on_stack(b, y))
		return 0;
	if (untrusted && is_trusted(b, y))
		return 0; /* met already among the trusted */
	if (!links_as_issuer(y, c))
		return 0;
	(*found)++;
	if (b->depth >= MAX_DEPTH || b->out->n >= MAX_PATHS) {
		b->out->truncated = true;
		return 0;
	}
	b->stack[b->depth++] = y;
	r = walk(b);
	b->depth--;
	return r;
}

static int
try_issuers(struct builder *b, const STACK_OF(X509) *from, int *found)
{
	for (int i = 0; i < sk_X509_num(from); i++)
		if (try_issuer(b, sk_X509_value(from, i), from != b->trusted, found) != 0)
			return -1;
	return 0;
}

static bool
in_stack(const STACK_OF(X509) *st, X509 *x)
{
	for (int i = 0; i < sk_X509_num(st); i++)
		if (X509_cmp(sk_X509_value(st, i), x) == 0)
			return true;
	return false;
}

/* The candidate's own chain first, then the pool's certificates named as the issuer. */
static int
try_pool_issuers(struct builder *b, int *found)
{
	X509 *c = b->stack[b->depth - 1];
	STACK_OF(X509) *pool = certpick_candset_get0_pool(b->set);
	size_t idx[MAX_ISSUERS], n;

	if (try_issuers(b, b->untrusted, found) != 0)
		return -1;
	n = cp_candset_pool_by_subject(b->set, X509_get_issuer_name(c), idx, MAX_ISSUERS);
	if (n > MAX_ISSUERS) {
		b->out->truncated = true;
		n = MAX_ISSUERS;
	}
	for (size_t i = 0; i < n; i++) {
		X509 *y = sk_X509_value(pool, (int)idx[i]);

		if (!in_stack(b->untrusted, y) && try_issuer(b, y, true, found) != 0)
			return -1;
	}
	return 0;
}

static int
walk(struct builder *b)
{
	X509 *c = b->stack[b->depth - 1];
	int found = 0;

	if (++b->steps > MAX_STEPS) {
		b->out->truncated = true;
		return 0;
	}
	if (is_trusted(b, c))
		return emit(b, CERTPICK_PATH_TRUSTED);
	if (try_issuers(b, b->trusted, &found) != 0)
		return -1;
	if (b->set != NULL ? try_pool_issuers(b, &found) : try_issuers(b, b->untrusted, &found))
		return -1;
	if (self_signed(c))
		return emit(b, CERTPICK_PATH_UNTRUSTED_ROOT);
	if (found == 0)
		return emit(b, CERTPICK_PATH_INCOMPLETE);
	return 0;
}

static int
cmp_path(const void *pa, const void *pb)
{
	const struct certpick_path *a = pa, *b = pb;

	if (a->end != b->end)
		return (int)a->end - (int)b->end;
	return (a->n > b->n) - (a->n < b->n);
}

static int
build_paths(const struct certpick_trust *t, X509 *leaf, const STACK_OF(X509) *untrusted,
    const struct certpick_candset *set, struct certpick_paths *out, struct certpick_error *err)
{
	STACK_OF(X509) *none = NULL;
	struct builder b = { 0 };
	int ret = -1;

	if (leaf == NULL || out == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	memset(out, 0, sizeof(*out));
	if ((none = sk_X509_new_null()) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	b.trusted = t != NULL ? t->certs : none;
	b.untrusted = untrusted != NULL ? untrusted : none;
	b.set = set;
	b.out = out;
	b.err = err;
	b.stack[b.depth++] = leaf;
	if (walk(&b) != 0)
		goto out;
	/* a stable order: insertion sort keeps discovery order within a rank */
	for (size_t i = 1; i < out->n; i++) {
		struct certpick_path tmp = out->v[i];
		size_t j = i;
		while (j > 0 && cmp_path(&out->v[j - 1], &tmp) > 0) {
			out->v[j] = out->v[j - 1];
			j--;
		}
		out->v[j] = tmp;
	}
	ret = 0;
out:
	if (ret != 0)
		certpick_paths_release(out);
	sk_X509_free(none);
	return ret;
}

/* see certpick/openssl.h */
int
certpick_trust_build_paths_x509(const struct certpick_trust *t, X509 *leaf,
    STACK_OF(X509) *untrusted, struct certpick_paths *out, struct certpick_error *err)
{
	return build_paths(t, leaf, untrusted, NULL, out, err);
}

/* see certpick/trust.h */
int
certpick_trust_build_paths(const struct certpick_trust *t, const struct certpick_candset *set,
    const struct certpick_candidate *c, struct certpick_paths *out, struct certpick_error *err)
{
	if (c == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	/* the certificates found with the candidate come first, then the rest of the pool */
	return build_paths(t, certpick_candidate_get0_x509(c), certpick_candidate_get0_chain(c),
	    set, out, err);
}
