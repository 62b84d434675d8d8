/*
 * The test-PKI generator: keys, certificates with the extensions asked for,
 * PEM and PKCS#12 files. Uses only the OpenSSL 3 EVP/X509 APIs; never reads
 * the clock (validity is relative to the `now` given).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "certpick/pki.h"
#include "internal.h"

#define MAX_ENTITIES 256
#define DAY 86400L

struct entity {
	char *name;
	X509 *x509;
	EVP_PKEY *pkey;
	size_t issuer; /* index, or SIZE_MAX when self-signed */
	bool pkcs12;
	unsigned keyspec;
	char *csp;
};

struct certpick_pki {
	time_t now;
	struct entity *v;
	size_t n;
};

/* see certpick/pki.h */
struct certpick_pki *
certpick_pki_new(time_t now, struct certpick_error *err)
{
	struct certpick_pki *pki;

	if ((pki = cp_calloc(1, sizeof(*pki))) == NULL) {
		cp_error_nomem(err);
		return NULL;
	}
	pki->now = now;
	return pki;
}

/* see certpick/pki.h */
void
certpick_pki_free(struct certpick_pki *pki)
{
	if (pki == NULL)
		return;
	for (size_t i = 0; i < pki->n; i++) {
		free(pki->v[i].name);
		X509_free(pki->v[i].x509);
		EVP_PKEY_free(pki->v[i].pkey);
		free(pki->v[i].csp);
	}
	free(pki->v);
	free(pki);
}

static const struct entity *
find(const struct certpick_pki *pki, const char *name, size_t *idx)
{
	for (size_t i = 0; name != NULL && i < pki->n; i++) {
		if (strcmp(pki->v[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &pki->v[i];
		}
	}
	return NULL;
}

/* see certpick/openssl.h */
X509 *
certpick_pki_get0_x509(const struct certpick_pki *pki, const char *name)
{
	const struct entity *e = find(pki, name, NULL);

	return e != NULL ? e->x509 : NULL;
}

/* see certpick/openssl.h */
EVP_PKEY *
certpick_pki_get0_pkey(const struct certpick_pki *pki, const char *name)
{
	const struct entity *e = find(pki, name, NULL);

	return e != NULL ? e->pkey : NULL;
}

static EVP_PKEY *
make_key(const struct certpick_pki_spec *s, struct certpick_error *err)
{
	EVP_PKEY *k = NULL;

	switch (s->key) {
	case CERTPICK_PKI_EC:
		if (s->bits != 0 && s->bits != 256 && s->bits != 384) {
			cp_error_set(err, CERTPICK_ERR_USAGE, "EC keys are 256 or 384 bits, not %d",
			    s->bits);
			return NULL;
		}
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", s->bits == 384 ? "P-384" : "P-256");
		break;
	case CERTPICK_PKI_RSA:
		if (s->bits != 0 && (s->bits < 512 || s->bits > 8192)) {
			cp_error_set(err, CERTPICK_ERR_USAGE, "RSA keys are 512..8192 bits, not %d",
			    s->bits);
			return NULL;
		}
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)(s->bits ? s->bits : 2048));
		break;
	case CERTPICK_PKI_ED25519: k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	default:
		cp_error_set(err, CERTPICK_ERR_USAGE, "unknown key type %d", (int)s->key);
		return NULL;
	}
	if (k == NULL)
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot generate a key for '%s'",
		    s->name);
	return k;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct certpick_error *err)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return cp_error_set_ossl(err, CERTPICK_ERR_USAGE, "bad %s value '%s'",
		    OBJ_nid2sn(nid), value);
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok)
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot add %s",
		    OBJ_nid2sn(nid));
	return 0;
}

static int add_extensions_ctx(X509 *x, X509 *issuer, const struct certpick_pki_spec *s,
    X509V3_CTX *cp, char *bc, size_t bcsize, char *buf, size_t bufsize, struct certpick_error *err);

static int
add_extensions(X509 *x, X509 *issuer, const struct certpick_pki_spec *s, struct certpick_error *err)
{
	X509V3_CTX ctx;
	char bc[64], buf[512];
	CONF *conf = NCONF_new(NULL); /* empty: certificatePolicies wants a database */
	int ret;

	if (conf == NULL)
		return cp_error_nomem(err);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, conf);
	ret = add_extensions_ctx(x, issuer, s, &ctx, bc, sizeof(bc), buf, sizeof(buf), err);
	NCONF_free(conf);
	return ret;
}

static int
add_extensions_ctx(X509 *x, X509 *issuer, const struct certpick_pki_spec *s, X509V3_CTX *cp,
    char *bc, size_t bcsize, char *buf, size_t bufsize, struct certpick_error *err)
{
	X509V3_CTX ctx = *cp;

	if (s->ca && s->pathlen >= 0)
		snprintf(bc, bcsize, "critical,CA:TRUE,pathlen:%d", s->pathlen);
	else
		snprintf(bc, bcsize, s->ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (add_ext(x, &ctx, NID_basic_constraints, bc, err) != 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash", err) != 0)
		return -1;
	if (issuer != x && add_ext(x, &ctx, NID_authority_key_identifier, "keyid", err) != 0)
		return -1;
	if (s->ku != NULL) {
		snprintf(buf, bufsize, "critical,%s", s->ku);
		if (add_ext(x, &ctx, NID_key_usage, buf, err) != 0)
			return -1;
	}
	if (s->eku != NULL && add_ext(x, &ctx, NID_ext_key_usage, s->eku, err) != 0)
		return -1;
	if (s->san != NULL && add_ext(x, &ctx, NID_subject_alt_name, s->san, err) != 0)
		return -1;
	if (s->policies != NULL &&
	    add_ext(x, &ctx, NID_certificate_policies, s->policies, err) != 0)
		return -1;
	if (s->policy_constraints != NULL &&
	    add_ext(x, &ctx, NID_policy_constraints, s->policy_constraints, err) != 0)
		return -1;
	return 0;
}

static const EVP_MD *
pick_md(const struct certpick_pki_spec *s, EVP_PKEY *signer, struct certpick_error *err)
{
	const EVP_MD *md;

	if (EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519)
		return NULL;
	if ((md = EVP_get_digestbyname(s->md != NULL ? s->md : "sha256")) == NULL)
		cp_error_set(err, CERTPICK_ERR_USAGE, "unknown digest '%s'", s->md);
	return md;
}

static X509 *
make_cert(const struct certpick_pki *pki, const struct certpick_pki_spec *s, EVP_PKEY *key,
    const struct entity *issuer, struct certpick_error *err)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	char *subj = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	EVP_PKEY *signer = issuer != NULL ? issuer->pkey : key;
	const EVP_MD *md = NULL;
	long nb = s->not_before, na = s->not_after;
	X509 *ret = NULL;

	if (nb == 0 && na == 0) {
		nb = -DAY;
		na = 365 * DAY;
	}
	if (s->subject == NULL && (subj = cp_asprintf("CN=%s,O=certpick test", s->name)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if ((name = cp_name_parse_rfc4514(s->subject != NULL ? s->subject : subj, err)) == NULL)
		goto out;
	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "no random bytes");
		goto out;
	}
	serial[0] &= 0x7f;
	serial[0] |= 0x10;
	if ((x = X509_new()) == NULL || (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3) || !X509_set_serialNumber(x, sn) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer->x509) : name) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, nb, &(time_t){ pki->now }) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, na, &(time_t){ pki->now }) == NULL ||
	    !X509_set_pubkey(x, key)) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot fill the certificate '%s'",
		    s->name);
		goto out;
	}
	if (add_extensions(x, issuer != NULL ? issuer->x509 : x, s, err) != 0)
		goto out;
	md = pick_md(s, signer, err);
	if (md == NULL && EVP_PKEY_get_base_id(signer) != EVP_PKEY_ED25519)
		goto out;
	if (X509_sign(x, signer, md) <= 0) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot sign the certificate '%s'",
		    s->name);
		goto out;
	}
	ret = x;
	x = NULL;
out:
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	free(subj);
	return ret;
}

/* see certpick/pki.h */
int
certpick_pki_add(struct certpick_pki *pki, const struct certpick_pki_spec *s,
    struct certpick_error *err)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	const struct entity *issuer = NULL;
	size_t issuer_idx = SIZE_MAX;
	struct entity *e;
	int ret = -1;

	if (pki == NULL || s == NULL || s->name == NULL || s->name[0] == '\0' ||
	    strchr(s->name, '/') != NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid entity name");
	if (find(pki, s->name, NULL) != NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "entity '%s' exists already", s->name);
	if (pki->n >= MAX_ENTITIES)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "too many entities");
	if (s->issuer != NULL && (issuer = find(pki, s->issuer, &issuer_idx)) == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "unknown issuer '%s' for '%s'",
		    s->issuer, s->name);
	if ((key = make_key(s, err)) == NULL)
		goto out;
	if ((x = make_cert(pki, s, key, issuer, err)) == NULL)
		goto out;
	if ((e = cp_array_push(&pki->v, &pki->n, sizeof(*e))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if ((e->name = cp_strdup(s->name)) == NULL ||
	    (s->p12_csp != NULL && (e->csp = cp_strdup(s->p12_csp)) == NULL)) {
		free(e->name);
		pki->n--;
		cp_error_nomem(err);
		goto out;
	}
	e->x509 = x;
	e->pkey = key;
	e->issuer = issuer_idx;
	e->pkcs12 = s->pkcs12;
	e->keyspec = s->p12_keyspec;
	x = NULL;
	key = NULL;
	ret = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

static int
write_bio(BIO *b, const char *dir, const char *name, const char *suffix, int mode,
    struct certpick_error *err)
{
	char *path = NULL;
	char *data;
	long len = BIO_get_mem_data(b, &data);
	int fd = -1, ret = -1;

	if ((path = cp_asprintf("%s/%s%s", dir, name, suffix)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot write '%s'", path);
		goto out;
	}
	if (len > 0 && write(fd, data, (size_t)len) != (ssize_t)len) {
		cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot write '%s'", path);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0 && close(fd) != 0 && ret == 0)
		ret = cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot write '%s'", path);
	free(path);
	return ret;
}

/* The issuers of e below the root, nearest first. */
static int
push_issuers(const struct certpick_pki *pki, const struct entity *e, STACK_OF(X509) *sk)
{
	size_t guard = 0;

	while (e->issuer != SIZE_MAX && guard++ < MAX_ENTITIES) {
		e = &pki->v[e->issuer];
		if (e->issuer == SIZE_MAX)
			break;
		if (sk_X509_push(sk, e->x509) <= 0)
			return -1;
	}
	return 0;
}

static int
write_p12(const struct certpick_pki *pki, const struct entity *e, const char *dir,
    const char *password, struct certpick_error *err)
{
	STACK_OF(X509) *ca = NULL;
	EVP_PKEY *key = NULL;
	PKCS12 *p12 = NULL;
	BIO *b = NULL;
	int ret = -1;

	if ((ca = sk_X509_new_null()) == NULL || push_issuers(pki, e, ca) != 0 ||
	    (b = BIO_new(BIO_s_mem())) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	/* attributes go on a copy so the entity's key stays as it was */
	if ((key = EVP_PKEY_dup(e->pkey)) == NULL) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot copy a key");
		goto out;
	}
	if (e->csp != NULL &&
	    !EVP_PKEY_add1_attr_by_NID(key, NID_ms_csp_name, MBSTRING_ASC,
		(const unsigned char *)e->csp, -1)) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot add the CSP name");
		goto out;
	}
	if ((p12 = PKCS12_create(password, e->name, key, e->x509, ca, 0, 0, 0, 0,
		 (int)e->keyspec)) == NULL ||
	    i2d_PKCS12_bio(b, p12) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot make '%s.p12'", e->name);
		goto out;
	}
	ret = write_bio(b, dir, e->name, ".p12", 0600, err);
out:
	BIO_free(b);
	PKCS12_free(p12);
	EVP_PKEY_free(key);
	sk_X509_free(ca);
	return ret;
}

static int
write_entity(const struct certpick_pki *pki, const struct entity *e, const char *dir,
    const char *password, struct certpick_error *err)
{
	STACK_OF(X509) *ca = NULL;
	BIO *b = NULL;
	int ret = -1;

	if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(b, e->x509)) {
		cp_error_nomem(err);
		goto out;
	}
	if (write_bio(b, dir, e->name, ".pem", 0644, err) != 0)
		goto out;
	if ((ca = sk_X509_new_null()) == NULL || push_issuers(pki, e, ca) != 0) {
		cp_error_nomem(err);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(ca); i++) {
		if (!PEM_write_bio_X509(b, sk_X509_value(ca, i))) {
			cp_error_nomem(err);
			goto out;
		}
	}
	if (write_bio(b, dir, e->name, "-chain.pem", 0644, err) != 0)
		goto out;
	BIO_free(b);
	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PrivateKey(b, e->pkey, NULL, NULL, 0, NULL, NULL)) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot encode the key of '%s'",
		    e->name);
		goto out;
	}
	if (write_bio(b, dir, e->name, ".key", 0600, err) != 0)
		goto out;
	if (e->pkcs12 && write_p12(pki, e, dir, password != NULL ? password : "", err) != 0)
		goto out;
	ret = 0;
out:
	sk_X509_free(ca);
	BIO_free(b);
	return ret;
}

/* see certpick/pki.h */
int
certpick_pki_write(const struct certpick_pki *pki, const char *dir, const char *password,
    struct certpick_error *err)
{
	if (pki == NULL || dir == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	for (size_t i = 0; i < pki->n; i++)
		if (write_entity(pki, &pki->v[i], dir, password, err) != 0)
			return -1;
	return 0;
}
