/*
 * check against third-party path-validation corpora (tests/data/corpora:
 * x509-limbo client, core and path-building cases, BoringSSL chain cases with
 * client-auth purposes, NIST PKITS), next to OpenSSL's own X509_verify_cert
 * with purpose sslclient on the same inputs.
 *
 * Asserts: (1) check agrees with the expected result at least as often as
 * OpenSSL does; (2) every case where check diverges is listed, with check's
 * verdict and the reason, in tests/data/corpora/expectations.txt, and every
 * listed case still diverges (the file never goes stale).
 * "check accepts" means: no error-severity finding (no-private-key aside: the
 * corpora carry no keys) and no untrusted-root, eku-any-only or chain-policy
 * warning. Also measured: path building alone on the BetterTLS path-building
 * cases (check's chain_ok against X509_verify_cert without a purpose), which
 * must agree at least as often as OpenSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "testutil.h"

/*
 * OpenSSL 3.0's X509_policy_check() leaks a policy-cache entry when an
 * intermediate has a non-critical policyConstraints (limbo case below), inside
 * libcrypto. Not ours: LSan ignores that one verification and nothing else.
 */
#define OPENSSL_LEAKS_ON "rfc5280::pc::ica-noncritical-pc"
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#endif
#ifdef TU_ASAN
#include <sanitizer/lsan_interface.h>
#define LSAN_OFF(cond)                    \
	do {                              \
		if (cond)                 \
			__lsan_disable(); \
	} while (0)
#define LSAN_ON(cond)                    \
	do {                             \
		if (cond)                \
			__lsan_enable(); \
	} while (0)
#else
#define LSAN_OFF(cond) ((void)(cond))
#define LSAN_ON(cond) ((void)(cond))
#endif

struct expectation {
	char *key; /* "suite\tid" */
	bool ours; /* check's verdict the file records */
	bool seen;
};

static X509 **certs;
static size_t ncerts;

static X509 *
decode_cert(const char *b64)
{
	size_t len = strlen(b64);
	unsigned char *der = malloc(len);
	const unsigned char *p = der;
	int n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len);
	X509 *x;

	assert_true(n > 0);
	while (len > 0 && b64[len - 1] == '=') { /* DecodeBlock counts padding as zeros */
		n--;
		len--;
	}
	x = d2i_X509(NULL, &p, n);
	free(der);
	return x;
}

static STACK_OF(X509) *
stack_of(json_t *indexes)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t i;
	json_t *v;

	json_array_foreach(indexes, i, v)
	{
		size_t k = (size_t)json_integer_value(v);
		if (k < ncerts && certs[k] != NULL)
			sk_X509_push(sk, certs[k]);
	}
	return sk;
}

/* The findings of the last case, for the divergence lines. */
static char last_findings[1024];

/* check's chain verdict alone (chain_ok) for the last case */
static bool last_chain_ok;

static bool
ours_accepts(X509 *leaf, STACK_OF(X509) *inter, STACK_OF(X509) *trusted, time_t now)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	struct certpick_trust *t = certpick_trust_new(&err);
	struct certpick_check_options opts = { .now = now, .trust = t };
	struct certpick_check_result r = { 0 };
	bool ok = true;

	for (int i = 0; i < sk_X509_num(trusted); i++)
		assert_ok(certpick_trust_add_x509(t, sk_X509_value(trusted, i), &err), &err);
	assert_ok(certpick_candset_add_x509(set, leaf, NULL, inter, "corpus", CERTPICK_KEY_NONE,
		      &err),
	    &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_ok(certpick_check_run(set, certpick_candset_get(set, 0), &opts, &r, &err), &err);
	last_chain_ok = r.chain_ok;
	last_findings[0] = '\0';
	for (size_t i = 0; i < r.findings.n; i++) {
		enum certpick_reason reason = r.findings.v[i].reason;
		size_t len = strlen(last_findings);
		snprintf(last_findings + len, sizeof(last_findings) - len, "%s%s%s%s",
		    len ? " " : "", certpick_reason_id(reason), r.findings.v[i].detail ? ": " : "",
		    r.findings.v[i].detail ? r.findings.v[i].detail : "");
		if (reason == CERTPICK_REASON_NO_PRIVATE_KEY)
			continue;
		/* NSS, Firefox, Chrome on Linux and webpki refuse anyEKU alone */
		/* and RFC 5280 path validation fails on certificate policies */
		if (r.findings.v[i].severity == CERTPICK_SEV_ERROR ||
		    reason == CERTPICK_REASON_UNTRUSTED_ROOT ||
		    reason == CERTPICK_REASON_EKU_ANY_ONLY ||
		    reason == CERTPICK_REASON_CHAIN_POLICY)
			ok = false;
	}
	certpick_check_result_release(&r);
	certpick_trust_free(t);
	certpick_candset_free(set);
	return ok;
}

/* purpose: X509_PURPOSE_SSL_CLIENT, or 0 to judge the chain alone */
static bool
openssl_accepts(X509 *leaf, STACK_OF(X509) *inter, STACK_OF(X509) *trusted, time_t now, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok;

	for (int i = 0; i < sk_X509_num(trusted); i++)
		X509_STORE_add_cert(store, sk_X509_value(trusted, i));
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, inter), 1);
	X509_STORE_CTX_set_time(ctx, 0, now);
	if (purpose != 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* expectations.txt: "suite<TAB>id<TAB>accept|reject<TAB>why"; '#' comments. */
static struct expectation *
read_expectations(size_t *n)
{
	FILE *fp = fopen(tu_data("corpora/expectations.txt"), "r");
	struct expectation *v = NULL;
	char line[2048];

	*n = 0;
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *suite = line, *id, *verdict = NULL, *why = NULL;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if ((id = strchr(suite, '\t')) == NULL ||
		    (verdict = strchr(id + 1, '\t')) == NULL ||
		    (why = strchr(verdict + 1, '\t')) == NULL || strlen(why) < 3)
			fail_msg("expectations.txt: malformed line: %s", line);
		*verdict++ = '\0';
		*why = '\0';
		v = realloc(v, (*n + 1) * sizeof(*v));
		v[*n].key = strdup(suite);
		v[*n].key[id - suite] = '\t';
		v[*n].ours = strcmp(verdict, "accept") == 0;
		v[*n].seen = false;
		(*n)++;
	}
	fclose(fp);
	return v;
}

static void
corpora(void **state)
{
	json_error_t jerr;
	json_t *root = json_load_file(tu_data("corpora/cases.json"), 0, &jerr);
	json_t *list, *c, *v;
	size_t i, nexp, total = 0, ours_agree = 0, ossl_agree = 0, bad = 0;
	size_t pb_total = 0, pb_ours = 0, pb_ossl = 0;
	struct expectation *exp;

	(void)state;
	if (root == NULL)
		fail_msg("cases.json: %s", jerr.text);
	list = json_object_get(root, "certs");
	ncerts = json_array_size(list);
	certs = calloc(ncerts, sizeof(*certs));
	json_array_foreach(list, i, v) certs[i] = decode_cert(json_string_value(v));
	exp = read_expectations(&nexp);
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *suite = json_string_value(json_object_get(c, "suite"));
		const char *id = json_string_value(json_object_get(c, "id"));
		size_t li = (size_t)json_integer_value(json_object_get(c, "leaf"));
		time_t now = (time_t)json_integer_value(json_object_get(c, "time"));
		bool expect = json_is_true(json_object_get(c, "expect"));
		STACK_OF(X509) *inter, *trusted;
		bool ours, ossl;
		char key[1024];

		if (li >= ncerts || certs[li] == NULL)
			continue; /* a leaf OpenSSL cannot parse: nothing to compare */
		inter = stack_of(json_object_get(c, "intermediates"));
		trusted = stack_of(json_object_get(c, "trusted"));
		bool known_leak = strcmp(id, OPENSSL_LEAKS_ON) == 0;
		LSAN_OFF(known_leak);
		ours = ours_accepts(certs[li], inter, trusted, now);
		LSAN_ON(known_leak);
		ossl = openssl_accepts(certs[li], inter, trusted, now, X509_PURPOSE_SSL_CLIENT);
		if (strcmp(suite, "limbo-pathbuilding") == 0) {
			/* path building alone: the leaves are server certificates */
			pb_total++;
			pb_ours += last_chain_ok == expect;
			pb_ossl += openssl_accepts(certs[li], inter, trusted, now, 0) == expect;
		}
		sk_X509_free(inter);
		sk_X509_free(trusted);
		total++;
		ours_agree += ours == expect;
		ossl_agree += ossl == expect;
		snprintf(key, sizeof(key), "%s\t%s", suite, id);
		struct expectation *e = NULL;
		for (size_t k = 0; k < nexp && e == NULL; k++)
			if (strcmp(exp[k].key, key) == 0)
				e = &exp[k];
		if (e != NULL)
			e->seen = true;
		if (ours != expect && (e == NULL || e->ours != ours)) {
			printf(
			    "# unlisted divergence: %s\t%s\t%s\t(openssl %s, expected %s) [%s]\n",
			    suite, id, ours ? "accept" : "reject", ossl ? "accept" : "reject",
			    expect ? "accept" : "reject", last_findings);
			bad++;
		} else if (ours == expect && e != NULL) {
			printf("# stale expectation (check now agrees): %s\n", key);
			bad++;
		}
	}
	for (size_t k = 0; k < nexp; k++) {
		if (!exp[k].seen) {
			printf("# expectation names no case: %s\n", exp[k].key);
			bad++;
		}
		free(exp[k].key);
	}
	free(exp);
	printf("# corpora: %zu cases; check agrees on %zu, OpenSSL X509_verify_cert (sslclient) "
	       "on %zu\n",
	    total, ours_agree, ossl_agree);
	printf("# path building alone (limbo-pathbuilding, %zu cases, leaf EKU aside): check's "
	       "chosen path agrees on %zu, OpenSSL X509_verify_cert (no purpose) on %zu\n",
	    pb_total, pb_ours, pb_ossl);
	for (i = 0; i < ncerts; i++)
		X509_free(certs[i]);
	free(certs);
	json_decref(root);
	assert_true(total > 500);
	assert_true(ours_agree >= ossl_agree);
	assert_true(pb_ours >= pb_ossl);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpora),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
