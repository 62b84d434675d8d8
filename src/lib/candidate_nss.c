/*
 * NSS databases as a candidate source (Firefox profiles, ~/.pki/nssdb of
 * Chromium on Linux): opened read-only in an NSS context of its own, user
 * certificates (those with a private key in the database) become candidates
 * with their key left in NSS, CA certificates go to the pool for issuer walks.
 * Enumeration order is PK11_ListCerts' (newest first; select.c counts on it),
 * read from the token's objects directly (add_objects). Never prints.
 */
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "internal.h"
#include "certpick/openssl.h"

#if CERTPICK_HAVE_NSS
#include <cert.h>
#include <nss.h>
#include <keyhi.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>

struct pw_ctx {
	const struct certpick_load_options *opts;
	const char *dir;
	int asked;
	bool gave_up;
};

/* PK11PasswordFunc: the given password first, then the callback, once each. */
static char *
nss_password(PK11SlotInfo *slot, PRBool retry, void *arg)
{
	struct pw_ctx *pc = arg;
	char *buf, *s;
	int n;

	(void)slot;
	if (pc == NULL || pc->opts == NULL)
		return NULL;
	if (!retry && pc->asked == 0 && pc->opts->password != NULL) {
		pc->asked++;
		return PORT_Strdup(pc->opts->password);
	}
	if (pc->opts->password_cb == NULL || pc->asked >= 2) {
		pc->gave_up = true;
		return NULL;
	}
	pc->asked = 2;
	if ((buf = cp_secret_new()) == NULL ||
	    (n = pc->opts->password_cb(pc->opts->password_arg, pc->dir, buf, CP_SECRET_MAX)) < 0) {
		cp_secret_free(buf);
		pc->gave_up = true;
		return NULL;
	}
	buf[n < CP_SECRET_MAX ? n : CP_SECRET_MAX - 1] = '\0';
	s = PORT_Strdup(buf); /* NSS wipes and frees it */
	cp_secret_free(buf);
	return s;
}

static const char *
nss_error(void)
{
	const char *s = PR_ErrorToString(PR_GetError(), PR_LANGUAGE_I_DEFAULT);

	return s != NULL ? s : "unknown NSS error";
}

/* Configuration directory with its database prefix: "sql:DIR" or "dbm:DIR". */
static char *
config_dir(const char *dir)
{
	struct stat st;
	char *probe;
	bool sql;

	if (strncmp(dir, "sql:", 4) == 0 || strncmp(dir, "dbm:", 4) == 0)
		return cp_strdup(dir);
	if ((probe = cp_asprintf("%s/cert8.db", dir)) == NULL)
		return NULL;
	sql = stat(probe, &st) != 0; /* cert9.db, or nothing (NSS reports it) */
	free(probe);
	return cp_asprintf("%s:%s", sql ? "sql" : "dbm", dir);
}

/* One certificate of the database, DER, under its nickname (CKA_LABEL). */
static int
add_cert(struct certpick_candset *set, const SECItem *der, const SECItem *label, bool user,
    const char *dir, bool lazy, struct certpick_error *err)
{
	const struct certpick_load_options ca_opts = { .lazy_public_keys = lazy };
	const unsigned char *p = der->data;
	X509 *x = NULL;
	char *source = NULL;
	int ret = -1;

	x = lazy ? cp_x509_d2i_lazy(&p, (long)der->len) : d2i_X509(NULL, &p, (long)der->len);
	if (x == NULL) {
		ret = 0; /* NSS holds it, OpenSSL cannot parse it: not usable here */
		goto out;
	}
	source = label->len > 0 ?
	    cp_asprintf("nssdb:%s:%.*s", dir, (int)label->len, (const char *)label->data) :
	    cp_asprintf("nssdb:%s:(no nickname)", dir);
	if (source == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (user) {
		ret = certpick_candset_add_x509(set, x, NULL, NULL, source, CERTPICK_KEY_NSS, err);
		goto out;
	}
	/* a CA certificate without a key: the set keeps it in the pool only */
	ret = certpick_candset_add_memory(set, der->data, der->len, source, CERTPICK_FORMAT_DER,
	    &ca_opts, err);
out:
	free(source);
	X509_free(x);
	return ret;
}

/*
 * The CKA_IDs of the slot's private keys: a certificate with one of them is
 * a user's certificate (the test NSS itself makes for its "u" trust flag).
 */
struct key_ids {
	SECItem *v;
	size_t n, cap;
	struct cp_hashidx h;
};

static void
key_ids_release(struct key_ids *k)
{
	for (size_t i = 0; i < k->n; i++)
		SECITEM_FreeItem(&k->v[i], PR_FALSE);
	free(k->v);
	cp_hashidx_release(&k->h);
}

static int
key_ids_read(PK11SlotInfo *slot, struct key_ids *k, struct certpick_error *err)
{
	PK11GenericObject *all = PK11_FindGenericObjects(slot, CKO_PRIVATE_KEY);
	int ret = 0;

	for (PK11GenericObject *o = all; o != NULL; o = PK11_GetNextGenericObject(o)) {
		SECItem id = { 0 }, *slotp;

		if (PK11_ReadRawAttribute(PK11_TypeGeneric, o, CKA_ID, &id) != SECSuccess)
			continue;
		if ((slotp = cp_array_push_cap(&k->v, &k->n, &k->cap, sizeof(*slotp))) == NULL) {
			SECITEM_FreeItem(&id, PR_FALSE);
			ret = cp_error_nomem(err);
			break;
		}
		*slotp = id;
		if (cp_hashidx_add(&k->h, cp_hash_bytes(id.data, id.len), k->n - 1) != 0) {
			ret = cp_error_nomem(err);
			break;
		}
	}
	if (all != NULL)
		PK11_DestroyGenericObjects(all);
	return ret;
}

static bool
key_ids_has(const struct key_ids *k, const SECItem *id)
{
	size_t pos = 0, i;

	while (cp_hashidx_next(&k->h, cp_hash_bytes(id->data, id->len), &pos, &i))
		if (SECITEM_ItemsAreEqual(&k->v[i], id))
			return true;
	return false;
}

/* Whether NSS counts a certificate without a key as a CA's (its trust flags too). */
static bool
nss_is_ca(SECItem *der)
{
	CERTCertificate *c = CERT_FindCertByDERCert(CERT_GetDefaultCertDB(), der);
	bool ca = c != NULL && CERT_IsCACert(c, NULL);

	if (c != NULL)
		CERT_DestroyCertificate(c);
	return ca;
}

/* One certificate object: a candidate (a key has its CKA_ID), the pool (a CA), or nothing. */
static int
add_object(struct certpick_candset *set, PK11GenericObject *o, const struct key_ids *keys,
    const char *dir, bool lazy, struct certpick_error *err)
{
	/* the three in one read: each read is a query of NSS's SQLite database */
	CK_ATTRIBUTE t[] = { { CKA_VALUE, NULL, 0 }, { CKA_LABEL, NULL, 0 }, { CKA_ID, NULL, 0 } };
	SECItem it[CP_NELEM(t)] = { { 0 } };
	PLArenaPool *arena = PORT_NewArena(2048);
	bool user, all;
	int ret = 0;

	if (arena == NULL)
		return cp_error_nomem(err);
	all = PK11_ReadRawAttributes(arena, PK11_TypeGeneric, o, t, CP_NELEM(t)) == SECSuccess;
	for (size_t i = 0; i < CP_NELEM(t); i++) {
		/* one missing (a certificate without a label): each alone */
		if (all) {
			it[i].data = t[i].pValue;
			it[i].len = (unsigned)t[i].ulValueLen;
		} else if (PK11_ReadRawAttribute(PK11_TypeGeneric, o, t[i].type, &it[i]) ==
		    SECSuccess) {
			SECItem *kept = SECITEM_ArenaDupItem(arena, &it[i]);

			SECITEM_FreeItem(&it[i], PR_FALSE);
			it[i] = kept != NULL ? *kept : (SECItem){ 0 };
		}
	}
	user = it[2].len > 0 && key_ids_has(keys, &it[2]);
	if (it[0].len > 0 && (user || nss_is_ca(&it[0])))
		ret = add_cert(set, &it[0], &it[1], user, dir, lazy, err);
	PORT_FreeArena(arena, PR_FALSE);
	return ret;
}

/*
 * Every certificate object of the slot, in the order PK11_ListCerts() gives
 * (the reverse of the token's), without it: PK11_ListCerts() puts each
 * certificate in a collection that compares it with every one before it,
 * which took 40 s of CPU for 10,000 identities.
 */
static int
add_objects(struct certpick_candset *set, PK11SlotInfo *slot, const struct key_ids *keys,
    const char *dir, bool lazy, struct certpick_error *err)
{
	PK11GenericObject *all = PK11_FindGenericObjects(slot, CKO_CERTIFICATE);
	PK11GenericObject **v = NULL, **at;
	size_t n = 0, cap = 0;
	int ret = 0;

	for (PK11GenericObject *o = all; o != NULL; o = PK11_GetNextGenericObject(o)) {
		if ((at = cp_array_push_cap(&v, &n, &cap, sizeof(*v))) == NULL) {
			ret = cp_error_nomem(err);
			goto out;
		}
		*at = o;
	}
	while (n > 0 && ret == 0)
		ret = add_object(set, v[--n], keys, dir, lazy, err);
out:
	free(v);
	if (all != NULL)
		PK11_DestroyGenericObjects(all);
	return ret;
}

/* see certpick/candidate.h */
int
certpick_candset_add_nssdb(struct certpick_candset *set, const char *dir,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	NSSInitContext *ctx = NULL;
	NSSInitParameters params;
	struct key_ids keys = { 0 };
	PK11SlotInfo *slot = NULL;
	struct pw_ctx pc = { .opts = opts, .dir = dir };
	char *cfg = NULL;
	const char *plain;
	int ret = -1;

	if (set == NULL || dir == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	plain = strncmp(dir, "sql:", 4) == 0 || strncmp(dir, "dbm:", 4) == 0 ? dir + 4 : dir;
	if ((cfg = config_dir(dir)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	memset(&params, 0, sizeof(params));
	params.length = sizeof(params);
	/* read-only, no builtin roots, no user modules from pkcs11.txt */
	ctx = NSS_InitContext(cfg, "", "", "", &params,
	    NSS_INIT_READONLY | NSS_INIT_NOROOTINIT | NSS_INIT_NOMODDB | NSS_INIT_OPTIMIZESPACE);
	if (ctx == NULL) {
		cp_error_set(err, CERTPICK_ERR_IO, "cannot open NSS database '%s'", plain);
		cp_error_detail(err,
		    "%s (is it an NSS database, readable, and not locked by a "
		    "running browser?)",
		    nss_error());
		goto out;
	}
	PK11_SetPasswordFunc(nss_password);
	if ((slot = PK11_GetInternalKeySlot()) == NULL) {
		cp_error_set(err, CERTPICK_ERR_IO, "cannot open NSS database '%s'", plain);
		cp_error_detail(err, "%s", nss_error());
		goto out;
	}
	if (PK11_NeedLogin(slot) && !PK11_IsLoggedIn(slot, &pc) &&
	    PK11_Authenticate(slot, PR_TRUE, &pc) != SECSuccess) {
		if (pc.gave_up && pc.asked == 0) {
			cp_error_set(err, CERTPICK_ERR_PASSWORD,
			    "NSS database '%s' needs its password", plain);
			cp_error_detail(err, "give it with --password-env or --password-file");
		} else {
			cp_error_set(err, CERTPICK_ERR_PASSWORD, "cannot unlock NSS database '%s'",
			    plain);
			cp_error_detail(err, "%s (wrong password?)", nss_error());
		}
		goto out;
	}
	if (key_ids_read(slot, &keys, err) != 0 ||
	    add_objects(set, slot, &keys, plain, opts != NULL && opts->lazy_public_keys, err) != 0)
		goto out;
	ret = 0;
out:
	key_ids_release(&keys);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	if (ctx != NULL)
		NSS_ShutdownContext(ctx);
	free(cfg);
	return ret;
}

#else

/* see certpick/candidate.h */
int
certpick_candset_add_nssdb(struct certpick_candset *set, const char *dir,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	(void)set;
	(void)opts;
	return cp_error_set(err, CERTPICK_ERR_USAGE,
	    "cannot read NSS database '%s': this "
	    "certpick was built without NSS (meson -Dnss=enabled)",
	    dir);
}

#endif
