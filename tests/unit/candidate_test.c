/* candidate.c and candidate_load.c: every format, pairing, mismatch, junk, passwords, folders. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "testutil.h"
#include "internal.h"

struct warnings {
	int n;
	struct certpick_error last;
};

static void
count_warning(void *arg, const struct certpick_error *e)
{
	struct warnings *w = arg;

	w->n++;
	w->last = *e;
}

struct load_case {
	const char *paths[4]; /* under tests/data/candidate */
	const char *password;
	int want_rc; /* of the first add_path that fails, else 0 */
	enum certpick_errc want_errc;
	size_t want_count;
	enum certpick_key_store want_store; /* of candidate 0 */
	bool want_mismatch;
	unsigned want_keyspec;
	const char *want_csp;
	int want_chain; /* certificates found with candidate 0 */
	int want_warnings;
	const char *want_detail; /* substring of the error or last warning detail */
};

static const struct load_case load_cases[] = {
	{ /* PEM certificate alone: a candidate without key */
	    .paths = { "leaf.pem" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_NONE },
	{ /* PEM certificate + PKCS#8 key file: paired by public key */
	    .paths = { "leaf.pem", "leaf-pkcs8.key" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* traditional "EC PRIVATE KEY" form */
	    .paths = { "leaf.pem", "leaf-trad.key" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* encrypted PKCS#8 with the right password */
	    .paths = { "leaf.pem", "leaf-enc.key" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* traditional encrypted (Proc-Type: 4,ENCRYPTED) with the right password */
	    .paths = { "leaf.pem", "leaf-trad-enc.key" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* encrypted key, wrong password: the key file cannot be used */
	    .paths = { "leaf.pem", "leaf-enc.key" },
	    .password = "nope",
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PASSWORD,
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_NONE,
	    .want_detail = "wrong password" },
	{ /* encrypted key, no password at all */
	    .paths = { "leaf.pem", "leaf-enc.key" },
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PASSWORD,
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_NONE,
	    .want_detail = "no password" },
	{ /* DER certificate and DER key */
	    .paths = { "leaf.der", "leaf-key.der" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* DER encrypted PKCS#8 key */
	    .paths = { "leaf.der", "leaf-enc-key.der" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* certificate and key in one PEM file */
	    .paths = { "leaf-with-key.pem" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* leaf + intermediate: one candidate, the CA goes to its chain and the pool */
	    .paths = { "leaf-chain.pem" },
	    .want_count = 1,
	    .want_chain = 1 },
	{ /* a CA certificate alone is not a candidate */
	    .paths = { "root.pem" },
	    .want_count = 0 },
	{ /* a CA certificate with its key is one (ca-cert-as-client is check's business) */
	    .paths = { "root.pem", "root.key" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* cert + a key of another certificate in one file: reported, not split */
	    .paths = { "leaf-mismatch.pem" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_NONE,
	    .want_mismatch = true },
	{ /* the mismatching key is not paired with its real certificate elsewhere */
	    .paths = { "leaf-mismatch.pem", "other.pem" },
	    .want_count = 2,
	    .want_store = CERTPICK_KEY_NONE,
	    .want_mismatch = true },
	{ /* PKCS#12 with chain, right password */
	    .paths = { "leaf.p12" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_PKCS12,
	    .want_chain = 1 },
	{ /* PKCS#12 with an empty password, none given */
	    .paths = { "leaf-nopass.p12" },
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_PKCS12 },
	{ /* PKCS#12, wrong password: the MAC says so */
	    .paths = { "leaf.p12" },
	    .password = "nope",
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PASSWORD,
	    .want_detail = "mac verify failure (wrong password?)" },
	{ /* PKCS#12, no password given */
	    .paths = { "leaf.p12" },
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PASSWORD,
	    .want_detail = "none was given" },
	{ /* openssl pkcs12 -export -keyex: KEY_EX in the key's attributes */
	    .paths = { "leaf-keyex.p12" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_PKCS12,
	    .want_keyspec = 0x10 },
	{ /* openssl pkcs12 -export -keysig: KEY_SIG */
	    .paths = { "leaf-keysig.p12" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_PKCS12,
	    .want_keyspec = 0x80 },
	{ /* openssl pkcs12 -export -CSP NAME */
	    .paths = { "leaf-csp.p12" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_PKCS12,
	    .want_csp = "Microsoft Enhanced Cryptographic Provider v1.0" },
	{ /* PKCS#12 without key, paired with a loose key file */
	    .paths = { "leaf-nokey.p12", "leaf.key" },
	    .password = "test",
	    .want_count = 1,
	    .want_store = CERTPICK_KEY_FILE },
	{ /* truncated PEM with nothing complete in it */
	    .paths = { "truncated.pem" },
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PARSE,
	    .want_detail = "truncated or malformed" },
	{ /* random bytes */
	    .paths = { "junk.bin" },
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PARSE,
	    .want_detail = "not a certificate" },
	{ /* text that is no PEM */
	    .paths = { "junk.txt" },
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PARSE },
	{ /* empty file */
	    .paths = { "empty.pem" },
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_PARSE,
	    .want_detail = "empty" },
	{ /* missing file */
	    .paths = { "no-such-file.pem" },
	    .want_rc = -1,
	    .want_errc = CERTPICK_ERR_IO },
	{ /* folder: cert and key in two files pair; junk warns once; notes.txt ignored;
	   * sub/other.crt is a candidate without key, sub/int.pem only pool */
	    .paths = { "dir" },
	    .want_count = 2,
	    .want_store = CERTPICK_KEY_FILE,
	    .want_warnings = 1,
	    .want_detail = "not a certificate" },
};

/*
 * Every case four times: as is, with the public keys parsed lazily
 * (lazy_public_keys), with the keys released (check's way: keys read only as
 * far as pairing needs), and both (select's way). The same answers each time.
 */
static void
load_table(void **state)
{
	const size_t n = sizeof(load_cases) / sizeof(load_cases[0]);

	(void)state;
	for (size_t i = 0; i < 4 * n; i++) {
		bool lazy = (i / n) % 2 == 1, release = i >= 2 * n;
		const struct load_case *t = &load_cases[i % n];
		struct certpick_error err = { 0 }, first = { 0 };
		struct warnings w = { 0 };
		struct certpick_load_options opts = { .password = t->password,
			.warn = count_warning,
			.warn_arg = &w,
			.lazy_public_keys = lazy,
			.release_keys = release };
		struct certpick_candset *set = certpick_candset_new(&err);
		int rc = 0;

		assert_non_null(set);
		for (int k = 0; k < 4 && t->paths[k] != NULL; k++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s", tu_data("candidate/"));
			strncat(path, t->paths[k], sizeof(path) - strlen(path) - 1);
			if (certpick_candset_add_path(set, path, &opts, &err) != 0 && rc == 0) {
				rc = -1;
				first = err;
			}
		}
		assert_ok(certpick_candset_finish(set, &err), &err);
		if (rc != t->want_rc || certpick_candset_count(set) != t->want_count ||
		    w.n != t->want_warnings)
			fail_msg("case %zu (%s): rc %d count %zu warnings %d: %s: %s", i,
			    t->paths[0], rc, certpick_candset_count(set), w.n, first.message,
			    first.detail);
		if (t->want_rc != 0)
			assert_int_equal(first.code, t->want_errc);
		if (t->want_detail != NULL) {
			const char *d = t->want_rc != 0 ? first.detail : w.last.detail;
			if (strstr(d, t->want_detail) == NULL)
				fail_msg("case %zu: detail '%s' lacks '%s'", i, d, t->want_detail);
		}
		if (t->want_count > 0) {
			const struct certpick_candidate *c = certpick_candset_get(set, 0);
			if (certpick_candidate_key_store(c) != t->want_store)
				fail_msg("case %zu (%s): store %s", i, t->paths[0],
				    certpick_key_store_name(certpick_candidate_key_store(c)));
			assert_int_equal(certpick_candidate_has_key_mismatch(c), t->want_mismatch);
			assert_int_equal(certpick_candidate_pfx_keyspec(c), t->want_keyspec);
			if (t->want_csp != NULL)
				assert_string_equal(certpick_candidate_pfx_csp(c), t->want_csp);
			else
				assert_null(certpick_candidate_pfx_csp(c));
			assert_int_equal(sk_X509_num(certpick_candidate_get0_chain(c)),
			    t->want_chain);
			assert_int_equal(strlen(certpick_candidate_sha256(c)), 64);
			assert_non_null(certpick_candidate_subject(c)->rfc4514);
			assert_int_equal(certpick_candidate_get0_pkey(c) != NULL,
			    !release &&
				(t->want_store == CERTPICK_KEY_FILE ||
				    t->want_store == CERTPICK_KEY_PKCS12));
			assert_string_not_equal(certpick_candidate_key_type(c), "other");
			assert_true(certpick_candidate_key_bits(c) >= 256);
		}
		certpick_candset_free(set);
	}
}

static X509 *
read_cert(const char *name)
{
	FILE *fp = fopen(tu_data(name), "r");
	X509 *x;

	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *
read_key(const char *name)
{
	FILE *fp = fopen(tu_data(name), "r");
	EVP_PKEY *k;

	assert_non_null(fp);
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(k);
	return k;
}

static void
identity_fields(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	const struct certpick_candidate *c;
	size_t len;

	(void)state;
	assert_ok(certpick_candset_add_path(set, tu_data("candidate/leaf-with-key.pem"), NULL,
		      &err),
	    &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	c = certpick_candset_get(set, 0);
	assert_string_equal(certpick_candidate_subject(c)->rfc4514, "CN=leaf,O=certpick fixtures");
	assert_string_equal(certpick_candidate_issuer(c)->rfc4514,
	    "CN=Fixture int,O=certpick fixtures");
	assert_int_equal(certpick_candidate_not_before(c), 1577836800); /* 2020-01-01 */
	assert_int_equal(certpick_candidate_not_after(c), 2208988800);	/* 2040-01-01 */
	assert_string_equal(certpick_candidate_key_type(c), "ec");
	assert_int_equal(certpick_candidate_key_bits(c), 256);
	assert_non_null(certpick_candidate_der(c, &len));
	assert_true(len > 100);
	assert_string_equal(certpick_candidate_key_source(c),
	    tu_data("candidate/leaf-with-key.pem"));
	assert_null(certpick_candset_get(set, 1));
	certpick_candset_free(set);
}

/* The bridge constructor the NSS/PKCS#11 sources use. */
static void
add_x509_bridge(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	X509 *leaf = read_cert("candidate/leaf.pem"), *in = read_cert("candidate/int.pem");
	X509 *root = read_cert("candidate/root.pem");
	EVP_PKEY *key = read_key("candidate/leaf.key"), *other = read_key("candidate/other.key");
	STACK_OF(X509) *extra = sk_X509_new_null();
	const struct certpick_candidate *c;

	(void)state;
	sk_X509_push(extra, in);
	/* key given and matching */
	assert_ok(certpick_candset_add_x509(set, leaf, key, extra, "test:1", CERTPICK_KEY_FILE,
		      &err),
	    &err);
	/* key lives in a token: no EVP_PKEY, store says where */
	assert_ok(certpick_candset_add_x509(set, leaf, NULL, NULL, "nss:db:leaf", CERTPICK_KEY_NSS,
		      &err),
	    &err);
	/* a key that does not match */
	assert_ok(certpick_candset_add_x509(set, leaf, other, NULL, "test:3", CERTPICK_KEY_FILE,
		      &err),
	    &err);
	/* a CA given explicitly is kept as a candidate */
	assert_ok(certpick_candset_add_x509(set, root, NULL, NULL, "test:4", CERTPICK_KEY_NONE,
		      &err),
	    &err);
	/* misuse */
	assert_int_equal(certpick_candset_add_x509(set, NULL, NULL, NULL, "x", CERTPICK_KEY_NONE,
			     &err),
	    -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_candset_count(set), 4);
	c = certpick_candset_get(set, 0);
	assert_ptr_equal(certpick_candidate_get0_pkey(c), key);
	assert_int_equal(sk_X509_num(certpick_candidate_get0_chain(c)), 1);
	assert_string_equal(certpick_candidate_source(c), "test:1");
	c = certpick_candset_get(set, 1);
	assert_null(certpick_candidate_get0_pkey(c));
	assert_int_equal(certpick_candidate_key_store(c), CERTPICK_KEY_NSS);
	c = certpick_candset_get(set, 2);
	assert_true(certpick_candidate_has_key_mismatch(c));
	assert_null(certpick_candidate_get0_pkey(c));
	assert_int_equal(certpick_candidate_key_store(c), CERTPICK_KEY_NONE);
	assert_int_equal(certpick_candset_pool_count(set), 3);
	assert_int_equal(sk_X509_num(certpick_candset_get0_pool(set)), 3);
	/* finished sets take no more */
	assert_int_equal(certpick_candset_add_x509(set, leaf, NULL, NULL, "late", CERTPICK_KEY_NONE,
			     &err),
	    -1);
	sk_X509_free(extra);
	X509_free(leaf);
	X509_free(in);
	X509_free(root);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	certpick_candset_free(set);
}

static int
give_password(void *arg, const char *what, char *buf, size_t size)
{
	int *calls = arg;

	(void)what;
	(*calls)++;
	snprintf(buf, size, "test");
	return 4;
}

/* The prompt is asked when no password or a wrong one is given. */
static void
password_callback(void **state)
{
	static const char *const files[] = { "candidate/leaf.p12", "candidate/leaf-enc.key",
		"candidate/leaf-enc-key.der" };
	struct certpick_error err = { 0 };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		int calls = 0;
		struct certpick_load_options opts = { .password = i == 1 ? "wrong" : NULL,
			.password_cb = give_password,
			.password_arg = &calls };
		struct certpick_candset *set = certpick_candset_new(&err);

		assert_ok(certpick_candset_add_path(set, tu_data("candidate/leaf.pem"), &opts,
			      &err),
		    &err);
		assert_ok(certpick_candset_add_path(set, tu_data(files[i]), &opts, &err), &err);
		assert_ok(certpick_candset_finish(set, &err), &err);
		/* the .p12 is its own candidate; the key files pair with leaf.pem */
		size_t last = certpick_candset_count(set) - 1;
		if (calls != 1 ||
		    certpick_candidate_get0_pkey(certpick_candset_get(set, last)) == NULL)
			fail_msg("%s: %d calls", files[i], calls);
		certpick_candset_free(set);
	}
}

/* add_memory with a forced format, and partial files warn but load. */
static void
memory_and_partial(void **state)
{
	struct certpick_error err = { 0 };
	struct warnings w = { 0 };
	struct certpick_load_options opts = { .warn = count_warning, .warn_arg = &w };
	struct certpick_candset *set = certpick_candset_new(&err);
	uint8_t *data;
	size_t len;
	char *two;

	(void)state;
	assert_ok(cp_read_file(tu_data("candidate/leaf.der"), &data, &len, &err), &err);
	/* DER read as PEM: nothing there */
	assert_int_equal(certpick_candset_add_memory(set, data, len, "mem.der", CERTPICK_FORMAT_PEM,
			     &opts, &err),
	    -1);
	/* DER read as PKCS#12: refused */
	assert_int_equal(certpick_candset_add_memory(set, data, len, "mem.der",
			     CERTPICK_FORMAT_PKCS12, &opts, &err),
	    -1);
	assert_ok(certpick_candset_add_memory(set, data, len, "mem.der", CERTPICK_FORMAT_DER, &opts,
		      &err),
	    &err);
	free(data);
	/* a good certificate then a broken block: warning, certificate kept */
	assert_ok(cp_read_file(tu_data("candidate/other.pem"), &data, &len, &err), &err);
	two = cp_asprintf("%s-----BEGIN CERTIFICATE-----\nMIIB\n", (char *)data);
	assert_ok(certpick_candset_add_memory(set, two, strlen(two), "two.pem",
		      CERTPICK_FORMAT_AUTO, &opts, &err),
	    &err);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.last.detail, "after 1 good block"));
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_candset_count(set), 2);
	free(two);
	free(data);
	certpick_candset_free(set);
}

static char *
read_text(const char *name)
{
	struct certpick_error err = { 0 };
	uint8_t *data;
	size_t len;
	char *s;

	assert_ok(cp_read_file(tu_data(name), &data, &len, &err), &err);
	s = cp_asprintf("%.*s", (int)len, (const char *)data);
	free(data);
	return s;
}

/*
 * One PEM bundle with several plain keys (they share one decoder), a
 * traditional one, and a broken key block between them: every good key is
 * paired, the broken one is a warning.
 */
static void
key_bundle(void **state)
{
	static const char *const parts[] = { "candidate/leaf.pem", "candidate/other.pem",
		"candidate/root.pem", "candidate/other.key", "candidate/root.key",
		"candidate/leaf-trad.key" };
	struct certpick_error err = { 0 };
	struct warnings w = { 0 };
	struct certpick_load_options opts = { .warn = count_warning, .warn_arg = &w };
	struct certpick_candset *set = certpick_candset_new(&err);
	char *bundle = cp_asprintf("%s", ""), *t;

	(void)state;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *part = read_text(parts[i]);
		t = cp_asprintf("%s%s%s", bundle, part,
		    i == 3 ? "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n" :
			     "");
		free(part);
		free(bundle);
		bundle = t;
	}
	assert_ok(certpick_candset_add_memory(set, bundle, strlen(bundle), "bundle.pem",
		      CERTPICK_FORMAT_AUTO, &opts, &err),
	    &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.last.message, "cannot load private key from 'bundle.pem'"));
	assert_int_equal(certpick_candset_count(set), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct certpick_candidate *c = certpick_candset_get(set, i);
		if (certpick_candidate_get0_pkey(c) == NULL)
			fail_msg("candidate %zu has no key", i);
	}
	free(bundle);
	certpick_candset_free(set);
}

static X509 *
make_cert(const char *cn, const char *issuer_cn, EVP_PKEY *pub, EVP_PKEY *signer, long serial)
{
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();

	assert_non_null(x);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)issuer_cn, -1,
	    -1, 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, iss);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pub);
	if (pub == signer) {
		BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
		bc->ca = 1;
		assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0), 1);
		BASIC_CONSTRAINTS_free(bc);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	return x;
}

/*
 * One bundle of n certificates and their n keys (in reverse order) and the
 * CA that issued them (F8, issue 16): every certificate pairs with its own
 * key through the public-key index, and each candidate's chain is its
 * issuer, not the n - 1 other certificates of the file (n^2 before).
 */
static void
large_bundle_is_linear(void **state)
{
	enum {
		N = 300
	};
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	EVP_PKEY *cakey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *keys[N];
	BIO *mem = BIO_new(BIO_s_mem());
	X509 *ca = make_cert("bundle CA", "bundle CA", cakey, cakey, 1);
	char *data;
	long len;

	(void)state;
	assert_non_null(set);
	assert_true(PEM_write_bio_X509(mem, ca));
	for (int i = 0; i < N; i++) {
		char cn[32];
		X509 *x;

		snprintf(cn, sizeof(cn), "leaf %d", i);
		keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		x = make_cert(cn, "bundle CA", keys[i], cakey, i + 2);
		assert_true(PEM_write_bio_X509(mem, x));
		X509_free(x);
	}
	for (int i = N - 1; i >= 0; i--)
		assert_true(PEM_write_bio_PrivateKey(mem, keys[i], NULL, NULL, 0, NULL, NULL));
	len = BIO_get_mem_data(mem, &data);
	assert_ok(certpick_candset_add_memory(set, data, (size_t)len, "bundle.pem",
		      CERTPICK_FORMAT_PEM, NULL, &err),
	    &err);
	/* the same bundle again: nothing new in the pool */
	assert_ok(certpick_candset_add_memory(set, data, (size_t)len, "again.pem",
		      CERTPICK_FORMAT_PEM, NULL, &err),
	    &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_candset_count(set), 2 * N); /* the CA has no key: dropped */
	assert_int_equal(certpick_candset_pool_count(set), N + 1);
	for (size_t i = 0; i < 2 * N; i++) {
		const struct certpick_candidate *c = certpick_candset_get(set, i);
		STACK_OF(X509) *chain = certpick_candidate_get0_chain(c);

		assert_non_null(certpick_candidate_get0_pkey(c));
		assert_int_equal(EVP_PKEY_eq(certpick_candidate_get0_pkey(c), keys[i % N]), 1);
		if (sk_X509_num(chain) != 1)
			fail_msg("candidate %zu: chain of %d", i, sk_X509_num(chain));
		assert_int_equal(X509_cmp(sk_X509_value(chain, 0), ca), 0);
	}
	for (int i = 0; i < N; i++)
		EVP_PKEY_free(keys[i]);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	BIO_free(mem);
	certpick_candset_free(set);
}

/*
 * A large PEM file is parsed on every core (cp_parse_split) only when it
 * parses cleanly: with a malformed block in the middle, the answer is the
 * whole file's (the blocks before it, one warning counting them), lazily
 * read or not.
 */
static void
large_bundle_with_a_bad_block(void **state)
{
	enum {
		N = 400,
		BAD = 250
	};
	EVP_PKEY *cakey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *mem = BIO_new(BIO_s_mem());
	char *data, want[64];
	long len;

	(void)state;
	for (int i = 0; i < N; i++) {
		char cn[32];
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		X509 *x;

		snprintf(cn, sizeof(cn), "leaf %d", i);
		x = make_cert(cn, "bundle CA", k, cakey, i + 2);
		if (i == BAD)
			assert_true(BIO_puts(mem,
					"-----BEGIN CERTIFICATE-----\nnot base64!\n"
					"-----END CERTIFICATE-----\n") > 0);
		assert_true(PEM_write_bio_X509(mem, x));
		assert_true(PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL));
		X509_free(x);
		EVP_PKEY_free(k);
	}
	len = BIO_get_mem_data(mem, &data);
	assert_true(len > 256 * 1024);
	snprintf(want, sizeof(want), "after %d good blocks", 2 * BAD);
	for (int mode = 0; mode < 4; mode++) {
		struct certpick_error err = { 0 };
		struct warnings w = { 0 };
		struct certpick_load_options o = { .warn = count_warning,
			.warn_arg = &w,
			.lazy_public_keys = (mode & 1) != 0,
			.release_keys = (mode & 2) != 0 };
		struct certpick_candset *set = certpick_candset_new(&err);

		assert_non_null(set);
		assert_ok(certpick_candset_add_memory(set, data, (size_t)len, "bundle.pem",
			      CERTPICK_FORMAT_AUTO, &o, &err),
		    &err);
		assert_ok(certpick_candset_finish(set, &err), &err);
		assert_int_equal(certpick_candset_count(set), BAD);
		assert_int_equal(w.n, 1);
		if (strstr(w.last.detail, want) == NULL)
			fail_msg("mode %d: '%s' lacks '%s'", mode, w.last.detail, want);
		for (size_t i = 0; i < BAD; i++)
			assert_int_equal(certpick_candidate_key_store(certpick_candset_get(set, i)),
			    CERTPICK_KEY_FILE);
		certpick_candset_free(set);
	}
	EVP_PKEY_free(cakey);
	BIO_free(mem);
}

static void
count_file(void *arg)
{
	(*(int *)arg)++;
}

/*
 * A folder of identity files (issue 16): every file shares the set's key
 * decoder, EC keys of two curves pair by their point and RSA keys by their
 * SubjectPublicKeyInfo, 17 keys in one file (past the one-by-one scan) pair
 * through the index, and file_done is called once per file read.
 */
static void
identity_files_share_one_decoder(void **state)
{
	enum {
		N = 24,
		BIG = 17
	};
	static const char *const kinds[][2] = { { "EC", "P-256" }, { "EC", "P-384" },
		{ "RSA", NULL } };
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	EVP_PKEY *keys[N + BIG];
	char dir[] = "/tmp/candidate_test.XXXXXX", path[600];
	int files = 0;
	struct certpick_load_options opts = { .file_done = count_file, .file_done_arg = &files };
	BIO *big;

	(void)state;
	assert_non_null(set);
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < N + BIG; i++) {
		const char *const *k = kinds[i < N ? i % 3 : 0];
		keys[i] = k[1] != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, k[0], k[1]) :
					 EVP_PKEY_Q_keygen(NULL, NULL, k[0], (size_t)2048);
		assert_non_null(keys[i]);
	}
	for (int i = 0; i < N; i++) {
		char cn[32];
		X509 *x;
		BIO *f;

		snprintf(cn, sizeof(cn), "id %02d", i);
		snprintf(path, sizeof(path), "%s/id%02d.pem", dir, i);
		x = make_cert(cn, "some CA", keys[i], keys[i == 0 ? 1 : 0], i + 1);
		assert_non_null(f = BIO_new_file(path, "w"));
		assert_true(PEM_write_bio_X509(f, x));
		assert_true(PEM_write_bio_PrivateKey(f, keys[i], NULL, NULL, 0, NULL, NULL));
		BIO_free(f);
		X509_free(x);
	}
	snprintf(path, sizeof(path), "%s/zz-big.pem", dir);
	assert_non_null(big = BIO_new_file(path, "w"));
	for (int i = N; i < N + BIG; i++) {
		X509 *x = make_cert("big", "some CA", keys[i], keys[0], i + 1);
		assert_true(PEM_write_bio_X509(big, x));
		X509_free(x);
	}
	for (int i = N + BIG - 1; i >= N; i--)
		assert_true(PEM_write_bio_PrivateKey(big, keys[i], NULL, NULL, 0, NULL, NULL));
	BIO_free(big);
	assert_ok(certpick_candset_add_path(set, dir, &opts, &err), &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(files, N + 1);
	assert_int_equal(certpick_candset_count(set), N + BIG);
	for (size_t i = 0; i < N + BIG; i++) {
		const EVP_PKEY *pk = certpick_candidate_get0_pkey(certpick_candset_get(set, i));
		if (pk == NULL || EVP_PKEY_eq(pk, keys[i]) != 1)
			fail_msg("candidate %zu: not paired with its own key", i);
	}
	for (int i = 0; i < N + BIG; i++)
		EVP_PKEY_free(keys[i]);
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "%s/id%02d.pem", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/zz-big.pem", dir);
	unlink(path);
	rmdir(dir);
	certpick_candset_free(set);
}

/*
 * release_keys: the same candidates, key stores and key files, paired within
 * a file, across files (finish) and for a CA whose key makes it a candidate,
 * and a mismatch still found; only the EVP_PKEY is gone.
 */
static void
release_keys_pairs_then_lets_go(void **state)
{
	static const char *const files[] = { "candidate/leaf-with-key.pem", "candidate/other.pem",
		"candidate/other.key", "candidate/root.pem", "candidate/root.key",
		"candidate/leaf-mismatch.pem" };
	struct certpick_candset *sets[2];

	(void)state;
	for (int r = 0; r < 2; r++) {
		struct certpick_error err = { 0 };
		struct certpick_load_options opts = { .release_keys = r == 1 };

		assert_non_null(sets[r] = certpick_candset_new(&err));
		for (size_t i = 0; i < CP_NELEM(files); i++)
			assert_ok(certpick_candset_add_path(sets[r], tu_data(files[i]), &opts,
				      &err),
			    &err);
		assert_ok(certpick_candset_finish(sets[r], &err), &err);
	}
	assert_int_equal(certpick_candset_count(sets[1]), certpick_candset_count(sets[0]));
	for (size_t i = 0; i < certpick_candset_count(sets[0]); i++) {
		const struct certpick_candidate *a = certpick_candset_get(sets[0], i);
		const struct certpick_candidate *b = certpick_candset_get(sets[1], i);
		const char *ka = certpick_candidate_key_source(a),
			   *kb = certpick_candidate_key_source(b);

		assert_string_equal(certpick_candidate_sha256(b), certpick_candidate_sha256(a));
		assert_int_equal(certpick_candidate_key_store(b), certpick_candidate_key_store(a));
		assert_string_equal(kb ? kb : "-", ka ? ka : "-");
		assert_int_equal(certpick_candidate_has_key_mismatch(b),
		    certpick_candidate_has_key_mismatch(a));
		assert_null(certpick_candidate_get0_pkey(b));
		assert_true((certpick_candidate_get0_pkey(a) != NULL) ==
		    (certpick_candidate_key_store(a) == CERTPICK_KEY_FILE));
	}
	certpick_candset_free(sets[0]);
	certpick_candset_free(sets[1]);
}

/* What a folder load gave: the candidates and the warnings, in order, as text. */
struct folder_log {
	char text[64 * 1024];
	size_t len;
	int files;
};

static void
log_line(struct folder_log *g, const char *a, const char *b)
{
	int n = snprintf(g->text + g->len, sizeof(g->text) - g->len, "%s %s\n", a, b);

	assert_true(n > 0 && (size_t)n < sizeof(g->text) - g->len);
	g->len += (size_t)n;
}

static void
log_warning(void *arg, const struct certpick_error *e)
{
	log_line(arg, e->message, e->detail);
}

static void
log_file(void *arg)
{
	((struct folder_log *)arg)->files++;
}

static void
load_folder_logged(const char *dir, bool serial, struct folder_log *g)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	struct certpick_load_options opts = { .password = "test",
		.warn = log_warning,
		.warn_arg = g,
		.file_done = log_file,
		.file_done_arg = g };

	assert_non_null(set);
	memset(g, 0, sizeof(*g));
	/* a pending (never reached) allocation failure keeps the walk on one thread */
	cp_mem_fail_after(serial ? (unsigned long)-1 : 0);
	assert_ok(certpick_candset_add_path(set, dir, &opts, &err), &err);
	cp_mem_fail_after(0);
	assert_ok(certpick_candset_finish(set, &err), &err);
	for (size_t i = 0; i < certpick_candset_count(set); i++) {
		const struct certpick_candidate *c = certpick_candset_get(set, i);
		const char *ks = certpick_candidate_key_source(c);

		log_line(g, certpick_candidate_source(c), certpick_candidate_sha256(c));
		log_line(g, certpick_key_store_name(certpick_candidate_key_store(c)),
		    ks != NULL ? ks : "-");
	}
	certpick_candset_free(set);
}

static void
copy_fixture(const char *name, const char *to)
{
	struct certpick_error err = { 0 };
	uint8_t *data = NULL;
	size_t len = 0;
	FILE *f;

	assert_ok(cp_read_file(tu_data(name), &data, &len, &err), &err);
	assert_non_null(f = fopen(to, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	cp_freezero(data, len + 1);
}

/*
 * A folder large enough to be parsed on every core (candidate_batch.c)
 * gives the same candidates, keys, warnings and files read, in the same
 * order, as one thread: plain PEM parsed by the threads, encrypted keys and
 * PKCS#12 (the password) left to the caller's thread, a broken file, a file
 * not ours and a subfolder in the middle of the run.
 */
static void
folder_on_every_core_as_on_one(void **state)
{
	static const char *const mix[] = { "candidate/leaf-with-key.pem",
		"candidate/leaf-chain.pem", "candidate/other.pem", "candidate/leaf-enc.key",
		"candidate/truncated.pem", "candidate/leaf.p12", "candidate/other.key",
		"candidate/leaf-trad.key", "candidate/empty.pem", "candidate/int.pem" };
	enum {
		N = 150
	};
	char dir[] = "/tmp/candidate_test.XXXXXX", path[600];
	static struct folder_log one, all;
	const char *ext;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < N; i++) {
		ext = strrchr(mix[i % CP_NELEM(mix)], '.');
		snprintf(path, sizeof(path), "%s/f%03d%s", dir, i, ext);
		copy_fixture(mix[i % CP_NELEM(mix)], path);
	}
	snprintf(path, sizeof(path), "%s/f070-sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/f070-sub/a.pem", dir);
	copy_fixture("candidate/root.pem", path);
	snprintf(path, sizeof(path), "%s/f071.txt", dir);
	copy_fixture("candidate/junk.txt", path);
	load_folder_logged(dir, true, &one);
	load_folder_logged(dir, false, &all);
	assert_int_equal(one.files, N + 1);
	assert_int_equal(all.files, one.files);
	assert_string_equal(all.text, one.text);
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "%s/f%03d%s", dir, i,
		    strrchr(mix[i % CP_NELEM(mix)], '.'));
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/f070-sub/a.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/f070-sub", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/f071.txt", dir);
	unlink(path);
	rmdir(dir);
}

/* Every allocation failure returns an error and leaks nothing (ASan build). */
static void
allocation_failures(void **state)
{
	(void)state;
	for (unsigned long n = 1; n < 200; n++) {
		struct certpick_error err = { 0 };
		struct certpick_load_options opts = { .password = "test" };
		struct certpick_candset *set;

		cp_mem_fail_after(n);
		if ((set = certpick_candset_new(&err)) != NULL) {
			(void)!certpick_candset_add_path(set, tu_data("candidate/leaf.p12"), &opts,
			    &err);
			(void)!certpick_candset_add_path(set, tu_data("candidate/dir"), &opts,
			    &err);
			(void)!certpick_candset_finish(set, &err);
		}
		cp_mem_fail_after(0);
		certpick_candset_free(set);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_table),
		cmocka_unit_test(identity_fields),
		cmocka_unit_test(add_x509_bridge),
		cmocka_unit_test(password_callback),
		cmocka_unit_test(memory_and_partial),
		cmocka_unit_test(key_bundle),
		cmocka_unit_test(large_bundle_is_linear),
		cmocka_unit_test(large_bundle_with_a_bad_block),
		cmocka_unit_test(identity_files_share_one_decoder),
		cmocka_unit_test(folder_on_every_core_as_on_one),
		cmocka_unit_test(release_keys_pairs_then_lets_go),
		cmocka_unit_test(allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
