/*
 * PKCS#11 tokens (smart cards, SoftHSM) as a candidate source, through
 * libp11's PKCS11_* API (not its ENGINE). The URI (RFC 7512) names the module
 * (module-path) and optionally the token (token, serial, manufacturer,
 * model) and objects (object = label, id). Certificates become candidates in
 * token order; a certificate whose private key (same CKA_ID) is on the token
 * has its key there. The PIN comes from opts (never from the URI's
 * pin-value, which would sit in shell history). Never prints.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "internal.h"
#include "certpick/openssl.h"

#if CERTPICK_HAVE_PKCS11
/*
 * libp11.h declares its ENGINE-era method getters with types that
 * OPENSSL_NO_DEPRECATED hides; declare them opaque (never used here).
 */
typedef struct rsa_meth_st RSA_METHOD;
typedef struct ec_key_method_st EC_KEY_METHOD;
#include <libp11.h>

struct p11_uri {
	char *module, *token, *serial, *manufacturer, *model, *object;
	uint8_t *id;
	size_t id_len;
};

static void
uri_release(struct p11_uri *u)
{
	free(u->module);
	free(u->token);
	free(u->serial);
	free(u->manufacturer);
	free(u->model);
	free(u->object);
	free(u->id);
	memset(u, 0, sizeof(*u));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [s, s+n) into a new buffer; *len excludes the added NUL. */
static uint8_t *
pct_decode(const char *s, size_t n, size_t *len)
{
	uint8_t *out = cp_malloc(n + 1);
	size_t k = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= n)
				goto bad;
			if ((h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0)
				goto bad;
			out[k++] = (uint8_t)(h * 16 + l);
			i += 2;
		} else {
			out[k++] = (uint8_t)s[i];
		}
	}
	out[k] = '\0';
	*len = k;
	return out;
bad:
	free(out);
	return NULL;
}

/* Parse uri; messages quote shown (the URI with its PIN hidden). */
static int
uri_parse(const char *uri, const char *shown, struct p11_uri *u, struct certpick_error *err)
{
	const char *p;

	memset(u, 0, sizeof(*u));
	if (strncmp(uri, "pkcs11:", 7) != 0)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "not a PKCS#11 URI: '%s'", shown);
	p = uri + 7;
	while (*p != '\0') {
		size_t n = strcspn(p, ";?&"), klen, vlen;
		const char *eq = memchr(p, '=', n);
		char **slot = NULL;
		uint8_t *v;

		if (n == 0) {
			p++;
			continue;
		}
		if (eq == NULL) {
			uri_release(u);
			return cp_error_set(err, CERTPICK_ERR_USAGE,
			    "bad PKCS#11 URI '%s': an "
			    "attribute has no value",
			    shown);
		}
		klen = (size_t)(eq - p);
		if ((v = pct_decode(eq + 1, n - klen - 1, &vlen)) == NULL) {
			uri_release(u);
			return cp_error_set(err, CERTPICK_ERR_USAGE,
			    "bad PKCS#11 URI '%s': bad "
			    "percent-encoding",
			    shown);
		}
#define KEY(name) (klen == strlen(name) && strncmp(p, name, klen) == 0)
		if (KEY("module-path"))
			slot = &u->module;
		else if (KEY("token"))
			slot = &u->token;
		else if (KEY("serial"))
			slot = &u->serial;
		else if (KEY("manufacturer"))
			slot = &u->manufacturer;
		else if (KEY("model"))
			slot = &u->model;
		else if (KEY("object"))
			slot = &u->object;
#undef KEY
		if (slot != NULL) {
			free(*slot);
			*slot = (char *)v;
		} else if (klen == 2 && strncmp(p, "id", 2) == 0) {
			free(u->id);
			u->id = v;
			u->id_len = vlen;
		} else {
			free(v); /* type, library-*, slot-*, pin-*: not used to select */
		}
		p += n;
	}
	return 0;
}

/* see internal.h */
int
cp_p11_uri_check(const char *uri, struct certpick_error *err)
{
	struct p11_uri u;
	char *shown;
	int ret;

	if ((shown = cp_p11_uri_redact(uri)) == NULL)
		return cp_error_nomem(err);
	ret = uri_parse(uri, shown, &u, err);
	if (ret == 0)
		uri_release(&u);
	free(shown);
	return ret;
}

static bool
field_ok(const char *want, const char *have)
{
	size_t n;

	if (want == NULL)
		return true;
	if (have == NULL)
		return false;
	/* token fields are blank-padded */
	n = strlen(have);
	while (n > 0 && have[n - 1] == ' ')
		n--;
	return strlen(want) == n && strncmp(want, have, n) == 0;
}

static int
login(PKCS11_SLOT *slot, const char *uri, const struct certpick_load_options *opts, bool *logged_in,
    struct certpick_error *err)
{
	char *buf = NULL;
	const char *pin = opts != NULL ? opts->password : NULL;
	int n, rc;

	*logged_in = false;
	if (pin == NULL && opts != NULL && opts->password_cb != NULL) {
		if ((buf = cp_secret_new()) == NULL)
			return cp_error_nomem(err);
		n = opts->password_cb(opts->password_arg, slot->token->label, buf, CP_SECRET_MAX);
		if (n >= 0) {
			buf[n < CP_SECRET_MAX ? n : CP_SECRET_MAX - 1] = '\0';
			pin = buf;
		}
	}
	if (pin == NULL) {
		cp_secret_free(buf);
		return 0; /* public objects only: keys stay invisible */
	}
	rc = PKCS11_login(slot, 0, pin);
	cp_secret_free(buf);
	if (rc != 0) {
		cp_error_set(err, CERTPICK_ERR_PASSWORD, "cannot log in to PKCS#11 token '%s'",
		    slot->token->label);
		cp_error_detail(err, "wrong PIN? (%s)", uri);
		ERR_clear_error();
		return -1;
	}
	*logged_in = true;
	return 0;
}

static bool
key_for(PKCS11_KEY *keys, unsigned nkeys, const PKCS11_CERT *c)
{
	for (unsigned i = 0; i < nkeys; i++)
		if (keys[i].isPrivate && keys[i].id_len == c->id_len && c->id_len > 0 &&
		    memcmp(keys[i].id, c->id, c->id_len) == 0)
			return true;
	return false;
}

/* An open module and the token a URI names; token_close() releases it. */
struct p11_token {
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned nslots;
	bool loaded;
	PKCS11_SLOT *slot; /* borrowed from slots */
	bool logged_in;
};

static void
token_close(struct p11_token *t)
{
	if (t->slots != NULL)
		PKCS11_release_all_slots(t->ctx, t->slots, t->nslots);
	if (t->ctx != NULL) {
		if (t->loaded)
			PKCS11_CTX_unload(t->ctx);
		PKCS11_CTX_free(t->ctx);
	}
	memset(t, 0, sizeof(*t));
}

/* Load u's module, find the token it names and log in when opts give a PIN. */
static int
token_open(const struct p11_uri *u, const char *shown, const struct certpick_load_options *opts,
    struct p11_token *t, struct certpick_error *err)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (u->module == NULL) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "PKCS#11 URI '%s' names no module", shown);
		cp_error_detail(err,
		    "add ;module-path=/usr/lib/softhsm/libsofthsm2.so (or the "
		    "card's module)");
		return -1;
	}
	if (stat(u->module, &st) != 0)
		return cp_error_set_errno(err, CERTPICK_ERR_IO, errno,
		    "cannot load PKCS#11 module '%s'", u->module);
	if ((t->ctx = PKCS11_CTX_new()) == NULL || PKCS11_CTX_load(t->ctx, u->module) != 0) {
		cp_error_set_ossl(err, CERTPICK_ERR_IO, "cannot load PKCS#11 module '%s'",
		    u->module);
		goto fail;
	}
	t->loaded = true;
	if (PKCS11_enumerate_slots(t->ctx, &t->slots, &t->nslots) != 0) {
		t->slots = NULL;
		cp_error_set_ossl(err, CERTPICK_ERR_IO, "cannot list the slots of '%s'", u->module);
		goto fail;
	}
	for (unsigned i = 0; i < t->nslots && t->slot == NULL; i++) {
		PKCS11_TOKEN *tok = t->slots[i].token;

		if (tok != NULL && tok->initialized && field_ok(u->token, tok->label) &&
		    field_ok(u->serial, tok->serialnr) &&
		    field_ok(u->manufacturer, tok->manufacturer) && field_ok(u->model, tok->model))
			t->slot = &t->slots[i];
	}
	if (t->slot == NULL) {
		cp_error_set(err, CERTPICK_ERR_IO, "no PKCS#11 token matches '%s'", shown);
		goto fail;
	}
	if (t->slot->token->loginRequired && login(t->slot, shown, opts, &t->logged_in, err) != 0)
		goto fail;
	return 0;
fail:
	token_close(t);
	return -1;
}

/* The URI of one key: the source's URI (PIN hidden) and the object's CKA_ID. */
static char *
key_uri(const char *shown, const unsigned char *id, size_t id_len)
{
	size_t n = strlen(shown);
	char *out;

	if (id_len > 1024 || (out = cp_malloc(n + 4 + 3 * id_len + 1)) == NULL)
		return NULL;
	memcpy(out, shown, n);
	memcpy(out + n, ";id=", 4);
	n += 4;
	for (size_t i = 0; i < id_len; i++)
		n += (size_t)snprintf(out + n, 4, "%%%02X", id[i]);
	out[n] = '\0';
	return out;
}

/* Each certificate of the token (filtered by the URI) as a candidate. */
static int
add_token_certs(struct certpick_candset *set, const struct p11_uri *u, const char *shown,
    const struct p11_token *t, struct certpick_error *err)
{
	PKCS11_TOKEN *tok = t->slot->token;
	PKCS11_CERT *certs = NULL;
	PKCS11_KEY *keys = NULL;
	unsigned ncerts = 0, nkeys = 0;

	if (PKCS11_enumerate_certs(tok, &certs, &ncerts) != 0)
		return cp_error_set_ossl(err, CERTPICK_ERR_IO,
		    "cannot list certificates on token "
		    "'%s'",
		    tok->label);
	if (PKCS11_enumerate_keys(tok, &keys, &nkeys) != 0) {
		keys = NULL;
		nkeys = 0;
	}
	for (unsigned i = 0; i < ncerts; i++) {
		const PKCS11_CERT *c = &certs[i];
		bool has_key = key_for(keys, nkeys, c);
		char *source, *kuri = NULL;
		int rc;

		if (c->x509 == NULL ||
		    (u->object != NULL && (c->label == NULL || strcmp(u->object, c->label) != 0)) ||
		    (u->id != NULL &&
			(c->id_len != u->id_len || memcmp(c->id, u->id, u->id_len) != 0)))
			continue;
		source =
		    cp_asprintf("pkcs11:%s:%s", tok->label, c->label ? c->label : "(no label)");
		if (source == NULL ||
		    (has_key && (kuri = key_uri(shown, c->id, c->id_len)) == NULL)) {
			free(source);
			return cp_error_nomem(err);
		}
		rc = certpick_candset_add_x509(set, c->x509, NULL, NULL, source,
		    has_key ? CERTPICK_KEY_PKCS11 : CERTPICK_KEY_NONE, err);
		if (rc == 0 && kuri != NULL)
			rc = cp_candset_set_last_key_uri(set, kuri, err);
		free(source);
		free(kuri);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* see certpick/candidate.h */
int
certpick_candset_add_pkcs11(struct certpick_candset *set, const char *uri,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	struct p11_uri u;
	struct p11_token t = { 0 };
	char *shown;
	int ret = -1;

	if (set == NULL || uri == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	/* a pin-value in the URI is never echoed: messages quote shown */
	if ((shown = cp_p11_uri_redact(uri)) == NULL)
		return cp_error_nomem(err);
	if (uri_parse(uri, shown, &u, err) != 0) {
		free(shown);
		return -1;
	}
	if (token_open(&u, shown, opts, &t, err) != 0 ||
	    add_token_certs(set, &u, shown, &t, err) != 0)
		goto out;
	if (!t.logged_in && t.slot->token->loginRequired && opts != NULL && opts->warn) {
		struct certpick_error w = { 0 };

		cp_error_set(&w, CERTPICK_ERR_PASSWORD, "not logged in to PKCS#11 token '%s'",
		    t.slot->token->label);
		cp_error_detail(&w,
		    "private keys are invisible without the PIN "
		    "(--pin-env VAR or --pin-file FILE)");
		opts->warn(opts->warn_arg, &w);
	}
	ret = 0;
out:
	ERR_clear_error();
	token_close(&t);
	uri_release(&u);
	free(shown);
	return ret;
}

struct cp_p11_key {
	struct p11_token t;
	EVP_PKEY *pkey; /* signs on the token; freed before the module */
};

/* see internal.h */
int
cp_p11_key_open(const char *uri, const struct certpick_load_options *opts, struct cp_p11_key **out,
    struct certpick_error *err)
{
	struct cp_p11_key *k = NULL;
	struct p11_uri u;
	PKCS11_KEY *keys = NULL;
	unsigned nkeys = 0;
	int ret = -1;

	*out = NULL;
	if (uri_parse(uri, uri, &u, err) != 0)
		return -1;
	if ((k = cp_calloc(1, sizeof(*k))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (token_open(&u, uri, opts, &k->t, err) != 0)
		goto out;
	if (!k->t.logged_in && k->t.slot->token->loginRequired) {
		cp_error_set(err, CERTPICK_ERR_PASSWORD, "cannot use the key on PKCS#11 token '%s'",
		    k->t.slot->token->label);
		cp_error_detail(err, "not logged in: give the PIN (--pin-env VAR or --pin-file F)");
		goto out;
	}
	if (PKCS11_enumerate_keys(k->t.slot->token, &keys, &nkeys) != 0)
		nkeys = 0;
	for (unsigned i = 0; i < nkeys && k->pkey == NULL; i++)
		if (keys[i].isPrivate && u.id != NULL && keys[i].id_len == u.id_len &&
		    memcmp(keys[i].id, u.id, u.id_len) == 0)
			k->pkey = PKCS11_get_private_key(&keys[i]);
	if (k->pkey == NULL) {
		cp_error_set_ossl(err, CERTPICK_ERR_IO, "cannot use the key on PKCS#11 token '%s'",
		    k->t.slot->token->label);
		goto out;
	}
	*out = k;
	k = NULL;
	ret = 0;
out:
	ERR_clear_error();
	cp_p11_key_close(k);
	uri_release(&u);
	return ret;
}

/* see internal.h */
EVP_PKEY *
cp_p11_key_pkey(const struct cp_p11_key *k)
{
	return k != NULL ? k->pkey : NULL;
}

/* see internal.h */
void
cp_p11_key_close(struct cp_p11_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	token_close(&k->t);
	free(k);
}

#else

/* see certpick/candidate.h */
int
certpick_candset_add_pkcs11(struct certpick_candset *set, const char *uri,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	char *shown = cp_p11_uri_redact(uri);

	(void)set;
	(void)opts;
	cp_error_set(err, CERTPICK_ERR_USAGE,
	    "cannot read PKCS#11 token '%s': this "
	    "certpick was built without libp11 (meson -Dpkcs11=enabled)",
	    shown ? shown : "");
	free(shown);
	return -1;
}

/* see internal.h */
int
cp_p11_uri_check(const char *uri, struct certpick_error *err)
{
	(void)uri;
	return cp_error_set(err, CERTPICK_ERR_USAGE, "built without libp11");
}

/* see internal.h */
int
cp_p11_key_open(const char *uri, const struct certpick_load_options *opts, struct cp_p11_key **out,
    struct certpick_error *err)
{
	(void)uri;
	(void)opts;
	*out = NULL;
	return cp_error_set(err, CERTPICK_ERR_USAGE, "built without libp11");
}

/* see internal.h */
EVP_PKEY *
cp_p11_key_pkey(const struct cp_p11_key *k)
{
	(void)k;
	return NULL;
}

/* see internal.h */
void
cp_p11_key_close(struct cp_p11_key *k)
{
	(void)k;
}

#endif

/* see internal.h */
char *
cp_p11_uri_redact(const char *uri)
{
	size_t len = uri != NULL ? strlen(uri) : 0;
	char *out, *o;
	const char *p = uri;

	/* each "pin-value=X..." (11+ bytes) becomes 13 bytes: 2 * len is room */
	if (len > ((size_t)-1 - 16) / 2 || (out = cp_malloc(2 * len + 16)) == NULL)
		return NULL;
	o = out;
	if (p != NULL && strncmp(p, "pkcs11:", 7) == 0) {
		memcpy(o, p, 7);
		o += 7;
		p += 7;
	}
	/* copy attribute by attribute; the value of pin-value becomes "***" */
	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ";?&");

		if (n > 10 && strncmp(p, "pin-value=", 10) == 0) {
			memcpy(o, "pin-value=***", 13);
			o += 13;
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
		if (*p != '\0')
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}
