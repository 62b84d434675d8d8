/*
 * In-memory test PKI for the selection tests (select_test.c, profiles_test.c):
 * certificates made with OpenSSL in the test process, fed to the engine as
 * facts (cp_select_run_facts), so the engine is tested without loaders.
 * Header-only (static functions): included by each test runner.
 */
#ifndef CERTPICK_SELECT_FIXTURE_H
#define CERTPICK_SELECT_FIXTURE_H

#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "select_int.h"

enum {
	FX_KU_DS = 1 << 0,  /* keyUsage digitalSignature */
	FX_KU_ENC = 1 << 1, /* keyUsage keyEncipherment only */
	FX_KU_NR = 1 << 2,  /* keyUsage digitalSignature, nonRepudiation */
	FX_EKU_CLIENT = 1 << 3,
	FX_EKU_SERVER = 1 << 4,
	FX_EKU_ANY = 1 << 5,
	FX_CA = 1 << 6,
	FX_PRINTABLE = 1 << 7, /* subject as PrintableString (default UTF8String) */
};

#define FX_GOOD (FX_KU_DS | FX_EKU_CLIENT)
#define FX_UNUSED __attribute__((unused))
#define FX_DAY 86400L
/* "now" for every test: 2030-01-01 */
#define FX_NOW ((time_t)1893456000)

static X509_NAME *
fx_name(const char *o, const char *cn, bool printable)
{
	X509_NAME *n = X509_NAME_new();
	int type = printable ? V_ASN1_PRINTABLESTRING : MBSTRING_UTF8;

	X509_NAME_add_entry_by_txt(n, "O", type, (const unsigned char *)o, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", type, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

static EVP_PKEY *
fx_key(const char *kind)
{
	if (strcmp(kind, "rsa") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(kind, "ed25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (strcmp(kind, "p384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void
fx_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static long fx_serial = 1;

/*
 * A certificate for CN=cn, O=certpick-test, issued by issuer (NULL:
 * self-signed), valid from now+from days to now+to days.
 */
static X509 *
fx_cert(const char *cn, X509 *issuer, EVP_PKEY *key, EVP_PKEY *ikey, unsigned flags, long from,
    long to)
{
	X509 *x = X509_new();
	X509_NAME *subj = fx_name("certpick-test", cn, (flags & FX_PRINTABLE) != 0);

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), fx_serial++);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subj);
	X509_NAME_free(subj);
	ASN1_TIME_set(X509_getm_notBefore(x), FX_NOW + from * FX_DAY);
	ASN1_TIME_set(X509_getm_notAfter(x), FX_NOW + to * FX_DAY);
	X509_set_pubkey(x, key);
	if (flags & FX_CA) {
		fx_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		fx_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
		fx_ext(x, issuer, NID_subject_key_identifier, "hash");
	} else {
		fx_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
	}
	if (issuer != NULL)
		fx_ext(x, issuer, NID_authority_key_identifier, "keyid");
	if (flags & FX_KU_DS)
		fx_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	if (flags & FX_KU_NR)
		fx_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	if (flags & FX_KU_ENC)
		fx_ext(x, issuer, NID_key_usage, "critical,keyEncipherment");
	if (flags & FX_EKU_CLIENT)
		fx_ext(x, issuer, NID_ext_key_usage, "clientAuth");
	if (flags & FX_EKU_SERVER)
		fx_ext(x, issuer, NID_ext_key_usage, "serverAuth");
	if (flags & FX_EKU_ANY)
		fx_ext(x, issuer, NID_ext_key_usage, "anyExtendedKeyUsage");
	assert_true(
	    X509_sign(x, ikey ? ikey : key,
		EVP_PKEY_get_base_id(ikey ? ikey : key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) >
	    0);
	return x;
}

/* The shared PKI, built once per runner (keys are slow). */
struct fx_pki {
	EVP_PKEY *ec, *rsa, *ed, *p384, *kA, *kB, *kC, *kI;
	X509 *rootA, *rootB, *rootC, *intA, *intA_byB;
	X509 *alice; /* good, EC, by intA */
	X509 *carol; /* good, RSA, by rootB */
	X509 *dave;  /* good, Ed25519, by rootA */
	X509 *erin;  /* expired, by rootA */
	X509 *frank; /* not yet valid, by rootA */
	X509 *bob;   /* EKU serverAuth only */
	X509 *noeku, *anyeku, *kuenc, *noku;
	X509 *mallory;	 /* by rootC */
	X509 *alice_old; /* same subject as alice, older, by intA */
	X509 *p384leaf;	 /* P-384, by rootA */
	X509 *nrleaf;	 /* KU digitalSignature+nonRepudiation, by rootA */
};

static struct fx_pki fx;

static int
fx_setup(void **state)
{
	(void)state;
	if (fx.ec != NULL)
		return 0;
	fx.ec = fx_key("ec");
	fx.rsa = fx_key("rsa");
	fx.ed = fx_key("ed25519");
	fx.p384 = fx_key("p384");
	fx.kA = fx_key("ec");
	fx.kB = fx_key("ec");
	fx.kC = fx_key("ec");
	fx.kI = fx_key("ec");
	fx.rootA = fx_cert("certpick Test Root A", NULL, fx.kA, NULL, FX_CA, -3650, 3650);
	fx.rootB = fx_cert("certpick Test Root B", NULL, fx.kB, NULL, FX_CA, -3650, 3650);
	fx.rootC = fx_cert("certpick Test Root C", NULL, fx.kC, NULL, FX_CA, -3650, 3650);
	fx.intA =
	    fx_cert("certpick Test Intermediate A", fx.rootA, fx.kI, fx.kA, FX_CA, -3650, 3650);
	/* cross-signed: same subject and key as intA, issued by rootB */
	fx.intA_byB =
	    fx_cert("certpick Test Intermediate A", fx.rootB, fx.kI, fx.kB, FX_CA, -3650, 3650);
	fx.alice = fx_cert("alice", fx.intA, fx.ec, fx.kI, FX_GOOD, -10, 300);
	fx.carol = fx_cert("carol", fx.rootB, fx.rsa, fx.kB, FX_GOOD, -10, 400);
	fx.dave = fx_cert("dave", fx.rootA, fx.ed, fx.kA, FX_GOOD, -10, 300);
	fx.erin = fx_cert("erin-expired", fx.rootA, fx.ec, fx.kA, FX_GOOD, -400, -10);
	fx.frank = fx_cert("frank-future", fx.rootA, fx.ec, fx.kA, FX_GOOD, 10, 400);
	fx.bob =
	    fx_cert("bob-serveronly", fx.rootA, fx.ec, fx.kA, FX_KU_DS | FX_EKU_SERVER, -10, 300);
	fx.noeku = fx_cert("noeku", fx.rootA, fx.ec, fx.kA, FX_KU_DS, -10, 300);
	fx.anyeku = fx_cert("anyeku", fx.rootA, fx.ec, fx.kA, FX_KU_DS | FX_EKU_ANY, -10, 300);
	fx.kuenc = fx_cert("kuenc", fx.rootA, fx.rsa, fx.kA, FX_KU_ENC | FX_EKU_CLIENT, -10, 300);
	fx.noku = fx_cert("noku", fx.rootA, fx.ec, fx.kA, FX_EKU_CLIENT, -10, 300);
	fx.mallory = fx_cert("mallory", fx.rootC, fx.ec, fx.kC, FX_GOOD, -10, 300);
	fx.alice_old = fx_cert("alice", fx.intA, fx.ec, fx.kI, FX_GOOD, -100, 500);
	fx.p384leaf = fx_cert("p384", fx.rootA, fx.p384, fx.kA, FX_GOOD, -10, 300);
	fx.nrleaf = fx_cert("nonrep", fx.rootA, fx.ec, fx.kA, FX_KU_NR | FX_EKU_CLIENT, -10, 300);
	return 0;
}

/* One selection problem: candidates, the store, the request. */
struct fx_run {
	struct cp_selstore store;
	struct cp_selcand cands[16];
	const struct cp_selcert *chains[16][4];
	size_t n;
	struct certpick_certreq req;
	struct certpick_dn names[8];
	uint16_t sigalgs[32];
	uint8_t cert_types[4];
	struct certpick_selection *sel;
};

static void
fx_begin(struct fx_run *r, uint16_t version)
{
	const uint16_t *def;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->req.tls_version = version;
	def = certpick_select_default_sigalgs(version, &n);
	memcpy(r->sigalgs, def, n * sizeof(*def));
	r->req.sigalgs = r->sigalgs;
	r->req.n_sigalgs = n;
	r->req.ca_names = r->names;
	if (version < CERTPICK_TLS13) {
		r->cert_types[0] = 1;
		r->cert_types[1] = 64;
		r->req.cert_types = r->cert_types;
		r->req.n_cert_types = 2;
	}
}

/* Add a candidate: leaf (+ up to 3 configured chain certificates, NULL-ended). */
static struct cp_selcand *
fx_cand(struct fx_run *r, X509 *leaf, bool key, X509 *c1, X509 *c2)
{
	struct cp_selcand *c = &r->cands[r->n];
	struct certpick_error err = { 0 };

	c->index = r->n;
	c->source = "test";
	c->has_key = key;
	c->key_store = key ? CERTPICK_KEY_FILE : CERTPICK_KEY_NONE;
	assert_ok(cp_selstore_add(&r->store, leaf, &c->leaf, &err), &err);
	c->chain = r->chains[r->n];
	if (c1 != NULL)
		assert_ok(cp_selstore_add(&r->store, c1, &r->chains[r->n][c->n_chain++], &err),
		    &err);
	if (c2 != NULL)
		assert_ok(cp_selstore_add(&r->store, c2, &r->chains[r->n][c->n_chain++], &err),
		    &err);
	r->n++;
	return c;
}

/* Put a certificate in the store only (NSS db, keychain, Windows CA stores). */
FX_UNUSED static void
fx_store(struct fx_run *r, X509 *x)
{
	struct certpick_error err = { 0 };
	const struct cp_selcert *ignored;

	assert_ok(cp_selstore_add(&r->store, x, &ignored, &err), &err);
}

/* The server names the subject of ca. */
FX_UNUSED static void
fx_ca(struct fx_run *r, X509 *ca)
{
	const unsigned char *der;
	size_t len;
	struct certpick_error err = { 0 };

	assert_int_equal(X509_NAME_get0_der(X509_get_subject_name(ca), &der, &len), 1);
	assert_ok(certpick_dn_init_der(&r->names[r->req.n_ca_names++], der, len, &err), &err);
}

/* The server names cn re-encoded as PrintableString. */
FX_UNUSED static void
fx_ca_printable(struct fx_run *r, const char *cn)
{
	X509_NAME *n = fx_name("certpick-test", cn, true);
	const unsigned char *der;
	size_t len;
	struct certpick_error err = { 0 };

	assert_int_equal(X509_NAME_get0_der(n, &der, &len), 1);
	assert_ok(certpick_dn_init_der(&r->names[r->req.n_ca_names++], der, len, &err), &err);
	X509_NAME_free(n);
}

FX_UNUSED static void
fx_sigalgs(struct fx_run *r, const uint16_t *s, size_t n)
{
	memcpy(r->sigalgs, s, n * sizeof(*s));
	r->req.n_sigalgs = n;
}

static struct certpick_selection *
fx_select(struct fx_run *r, const char *profile)
{
	struct certpick_error err = { 0 };
	struct certpick_select_options o = { .now = FX_NOW };
	const struct certpick_profile *p = certpick_profile_find(profile);

	assert_non_null(p);
	certpick_selection_free(r->sel);
	r->sel = NULL;
	assert_ok(cp_select_run_facts(p, r->cands, r->n, &r->store, &r->req, &o, &r->sel, &err),
	    &err);
	return r->sel;
}

static void
fx_end(struct fx_run *r)
{
	certpick_selection_free(r->sel);
	for (size_t i = 0; i < r->req.n_ca_names; i++)
		certpick_dn_release(&r->names[i]);
	cp_selstore_release(&r->store);
}

/* Whether candidate i has reason id among its reasons. */
FX_UNUSED static bool
fx_has(const struct certpick_selection *s, size_t i, enum certpick_reason why)
{
	return certpick_findings_has(&s->v[i].reasons, why) != 0;
}

#endif
