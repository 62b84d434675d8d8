/*
 * NSS databases as a candidate source (Firefox profiles, ~/.pki/nssdb of
 * Chromium on Linux): opened read-only in an NSS context of its own, user
 * certificates (those with a private key in the database) become candidates
 * with their key left in NSS, CA certificates go to the pool for issuer walks.
 * Enumeration order is kept. Never prints.
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

static X509 *
to_x509(const CERTCertificate *c)
{
	const unsigned char *p = c->derCert.data;

	return d2i_X509(NULL, &p, (long)c->derCert.len);
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

static int
add_cert(struct certpick_candset *set, CERTCertificate *c, bool user, const char *dir,
    struct certpick_error *err)
{
	X509 *x = NULL;
	unsigned char *der = NULL;
	char *source = NULL;
	int len, ret = -1;

	if ((x = to_x509(c)) == NULL) {
		ret = 0; /* NSS holds it, OpenSSL cannot parse it: not usable here */
		goto out;
	}
	source = cp_asprintf("nssdb:%s:%s", dir, c->nickname ? c->nickname : "(no nickname)");
	if (source == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (user) {
		ret = certpick_candset_add_x509(set, x, NULL, NULL, source, CERTPICK_KEY_NSS, err);
		goto out;
	}
	/* a CA certificate without a key: the set keeps it in the pool only */
	if ((len = i2d_X509(x, &der)) <= 0) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot encode a certificate");
		goto out;
	}
	ret = certpick_candset_add_memory(set, der, (size_t)len, source, CERTPICK_FORMAT_DER, NULL,
	    err);
out:
	OPENSSL_free(der);
	free(source);
	X509_free(x);
	return ret;
}

/* see certpick/candidate.h */
int
certpick_candset_add_nssdb(struct certpick_candset *set, const char *dir,
    const struct certpick_load_options *opts, struct certpick_error *err)
{
	NSSInitContext *ctx = NULL;
	NSSInitParameters params;
	CERTCertList *all = NULL;
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
	if ((all = PK11_ListCerts(PK11CertListAll, &pc)) == NULL) {
		cp_error_set(err, CERTPICK_ERR_IO, "cannot list NSS database '%s'", plain);
		cp_error_detail(err, "%s", nss_error());
		goto out;
	}
	for (CERTCertListNode *n = CERT_LIST_HEAD(all); !CERT_LIST_END(n, all);
	     n = CERT_LIST_NEXT(n)) {
		bool user = CERT_IsUserCert(n->cert);
		SECKEYPrivateKey *key = NULL;

		if (!user && (key = PK11_FindKeyByAnyCert(n->cert, &pc)) != NULL)
			user = true; /* a key is there though the trust flags do not say so */
		if (key != NULL)
			SECKEY_DestroyPrivateKey(key);
		if (!user && !CERT_IsCACert(n->cert, NULL))
			continue; /* someone else's certificate: not a candidate */
		if (add_cert(set, n->cert, user, plain, err) != 0)
			goto out;
	}
	ret = 0;
out:
	CERT_DestroyCertList(all);
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
