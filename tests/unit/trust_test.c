/* trust.c: loading trust stores, building every path (cross-signed alternatives). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certpick/openssl.h"
#include "testutil.h"
#include "internal.h"

struct path_case {
	const char *sources[4]; /* candidate set, under tests/data */
	const char *trust[3];	/* trust store files, under tests/data */
	size_t want_paths;
	enum certpick_path_end want_end[4];
	size_t want_len[4];
	const char *want_missing; /* rfc4514 of the missing issuer of path 0 */
	const char *want_via;	  /* subject of v[1] of path 0 */
};

static const struct path_case path_cases[] = {
	{ /* cross-signed intermediate, only rootX trusted: the rootX path first, the
	   * rootY one is incomplete (rootY is nowhere) */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints.pem" },
	    .trust = { "cross/rootX.pem" },
	    .want_paths = 2,
	    .want_end = { CERTPICK_PATH_TRUSTED, CERTPICK_PATH_INCOMPLETE },
	    .want_len = { 3, 2 } },
	{ /* only rootY trusted: found although int-by-x comes first in the pool */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints.pem" },
	    .trust = { "cross/rootY.pem" },
	    .want_paths = 2,
	    .want_end = { CERTPICK_PATH_TRUSTED, CERTPICK_PATH_INCOMPLETE },
	    .want_len = { 3, 2 } },
	{ /* both roots trusted: two trusted paths */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints.pem" },
	    .trust = { "cross/rootX.pem", "cross/rootY.pem" },
	    .want_paths = 2,
	    .want_end = { CERTPICK_PATH_TRUSTED, CERTPICK_PATH_TRUSTED },
	    .want_len = { 3, 3 } },
	{ /* three cross-certificates (one expired) and both roots: three trusted paths */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints-expired-first.pem",
		"cross/int-by-x.pem" },
	    .trust = { "cross/rootX.pem", "cross/rootY.pem" },
	    .want_paths = 3,
	    .want_end = { CERTPICK_PATH_TRUSTED, CERTPICK_PATH_TRUSTED, CERTPICK_PATH_TRUSTED },
	    .want_len = { 3, 3, 3 } },
	{ /* nothing trusted, roots in the pool: both paths end at untrusted roots */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints.pem", "cross/rootX.pem",
		"cross/rootY.pem" },
	    .want_paths = 2,
	    .want_end = { CERTPICK_PATH_UNTRUSTED_ROOT, CERTPICK_PATH_UNTRUSTED_ROOT },
	    .want_len = { 3, 3 } },
	{ /* the intermediate is missing: incomplete, naming it */
	    .sources = { "cross/leaf-with-key.pem" },
	    .trust = { "cross/rootX.pem" },
	    .want_paths = 1,
	    .want_end = { CERTPICK_PATH_INCOMPLETE },
	    .want_len = { 1 },
	    .want_missing = "CN=Fixture cross int,O=certpick fixtures" },
	{ /* leaf, intermediate and root given in the check set, root trusted */
	    .sources = { "check/good-chain-key.pem" },
	    .trust = { "check/root.pem" },
	    .want_paths = 1,
	    .want_end = { CERTPICK_PATH_TRUSTED },
	    .want_len = { 3 },
	    .want_via = "CN=Fixture int,O=certpick fixtures" },
	{ /* self-signed end entity, not trusted */
	    .sources = { "check/selfsigned-with-key.pem" },
	    .want_paths = 1,
	    .want_end = { CERTPICK_PATH_UNTRUSTED_ROOT },
	    .want_len = { 1 } },
	{ /* self-signed end entity, pinned in the trust store */
	    .sources = { "check/selfsigned-with-key.pem" },
	    .trust = { "check/selfsigned.pem" },
	    .want_paths = 1,
	    .want_end = { CERTPICK_PATH_TRUSTED },
	    .want_len = { 1 } },
	{ /* issued by a root that is trusted but the leaf was issued by another (rogue) */
	    .sources = { "check/untrusted-with-key.pem", "check/rogue.pem" },
	    .trust = { "check/root.pem" },
	    .want_paths = 1,
	    .want_end = { CERTPICK_PATH_UNTRUSTED_ROOT },
	    .want_len = { 2 } },
};

static void
paths_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *t = &path_cases[i];
		struct certpick_error err = { 0 };
		struct certpick_candset *set = certpick_candset_new(&err);
		struct certpick_trust *tr = certpick_trust_new(&err);
		struct certpick_paths paths = { 0 };

		for (int k = 0; k < 4 && t->sources[k] != NULL; k++) {
			char p[4096];
			snprintf(p, sizeof(p), "%s", tu_data(t->sources[k]));
			assert_ok(certpick_candset_add_path(set, p, NULL, &err), &err);
		}
		for (int k = 0; k < 3 && t->trust[k] != NULL; k++)
			assert_ok(certpick_trust_add_path(tr, tu_data(t->trust[k]), &err), &err);
		assert_ok(certpick_candset_finish(set, &err), &err);
		assert_ok(certpick_trust_build_paths(tr, set, certpick_candset_get(set, 0), &paths,
			      &err),
		    &err);
		if (paths.n != t->want_paths)
			fail_msg("case %zu: %zu paths", i, paths.n);
		for (size_t k = 0; k < paths.n; k++) {
			if (paths.v[k].end != t->want_end[k] || paths.v[k].n != t->want_len[k])
				fail_msg("case %zu path %zu: %s, %zu certificates", i, k,
				    certpick_path_end_name(paths.v[k].end), paths.v[k].n);
			assert_int_equal(sk_X509_num(certpick_path_get0_x509s(&paths.v[k])),
			    paths.v[k].n);
			assert_int_equal(strlen(paths.v[k].v[0].sha256), 64);
			assert_int_equal(paths.v[k].v[paths.v[k].n - 1].trusted,
			    paths.v[k].end == CERTPICK_PATH_TRUSTED);
		}
		if (t->want_missing != NULL)
			assert_string_equal(paths.v[0].missing.rfc4514, t->want_missing);
		else
			assert_null(paths.v[0].missing.der);
		if (t->want_via != NULL)
			assert_string_equal(paths.v[0].v[1].subject.rfc4514, t->want_via);
		certpick_paths_release(&paths);
		certpick_paths_release(&paths); /* twice is harmless */
		certpick_trust_free(tr);
		certpick_candset_free(set);
	}
}

static void
trust_loading(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_trust *t = certpick_trust_new(&err);
	struct stat st;

	(void)state;
	/* a folder: every certificate once, keys skipped */
	assert_ok(certpick_trust_add_path(t, tu_data("cross"), &err), &err);
	assert_int_equal(certpick_trust_count(t), 6); /* rootX rootY 3 ints leaf */
	/* the same again adds nothing */
	assert_ok(certpick_trust_add_path(t, tu_data("cross/ints.pem"), &err), &err);
	assert_int_equal(certpick_trust_count(t), 6);
	/* DER */
	assert_ok(certpick_trust_add_path(t, tu_data("candidate/leaf.der"), &err), &err);
	assert_int_equal(certpick_trust_count(t), 7);
	/* a key file holds no certificate */
	assert_int_equal(certpick_trust_add_path(t, tu_data("cross/leaf.key"), &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PARSE);
	assert_int_equal(certpick_trust_add_path(t, tu_data("candidate/junk.bin"), &err), -1);
	assert_int_equal(certpick_trust_add_path(t, tu_data("no/such/file"), &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	assert_int_equal(certpick_trust_add_x509(t, NULL, &err), -1);
	certpick_trust_free(t);
	/* the system store, where the machine has one */
	if (stat(CERTPICK_TRUST_SYSTEM_DIR, &st) == 0) {
		t = certpick_trust_new(&err);
		assert_ok(certpick_trust_add_default(t, &err), &err);
		assert_true(certpick_trust_count(t) > 10);
		certpick_trust_free(t);
	}
	certpick_trust_free(NULL);
}

/* No trust at all (NULL) and a bare X509 through the bridge. */
static void
bridge_without_trust(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	struct certpick_paths paths = { 0 };

	(void)state;
	assert_ok(certpick_candset_add_path(set, tu_data("cross/leaf.pem"), NULL, &err), &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_ok(certpick_trust_build_paths_x509(NULL,
		      certpick_candidate_get0_x509(certpick_candset_get(set, 0)), NULL, &paths,
		      &err),
	    &err);
	assert_int_equal(paths.n, 1);
	assert_int_equal(paths.v[0].end, CERTPICK_PATH_INCOMPLETE);
	certpick_paths_release(&paths);
	assert_int_equal(certpick_trust_build_paths_x509(NULL, NULL, NULL, &paths, &err), -1);
	assert_string_equal(certpick_path_end_name(CERTPICK_PATH_UNTRUSTED_ROOT), "untrusted-root");
	certpick_candset_free(set);
}

/* CRLs: PEM bundles (other blocks skipped), DER, and every way a file is not one. */
static void
crl_loading(void **state)
{
	static const struct {
		const char *file;
		int want_rc;
		size_t want_n;
		const char *msg;
	} cases[] = {
		{ "crl/three-crls.pem", 0, 3, NULL },
		{ "crl/reasons-idp.der", 0, 1, NULL },
		{ "crl/cert-then-crl.pem", 0, 1, NULL },
		/* a good CRL, then a broken one: none is kept */
		{ "crl/truncated.pem", -1, 0, "cannot read CRL 2 of" },
		{ "candidate/leaf.pem", -1, 0, "no CRL in" },
		{ "candidate/leaf.der", -1, 0, "no CRL in" },
		{ "candidate/empty.pem", -1, 0, "no CRL in" },
		{ "no/such/file", -1, 0, "cannot open" },
	};
	struct certpick_error err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct certpick_trust *t = certpick_trust_new(&err);

		certpick_error_clear(&err);
		if (certpick_trust_add_crl_path(t, tu_data(cases[i].file), &err) !=
			cases[i].want_rc ||
		    certpick_trust_crl_count(t) != cases[i].want_n ||
		    (cases[i].msg != NULL && strstr(err.message, cases[i].msg) == NULL))
			fail_msg("%s: %zu CRLs, '%s'", cases[i].file, certpick_trust_crl_count(t),
			    err.message);
		assert_int_equal(certpick_trust_count(t), 0);
		certpick_trust_free(t);
	}
	assert_int_equal(certpick_trust_crl_count(NULL), 0);
	/* files add up; a bad one after good ones leaves those as they were */
	{
		struct certpick_trust *t = certpick_trust_new(&err);

		assert_ok(certpick_trust_add_crl_path(t, tu_data("crl/three-crls.pem"), &err),
		    &err);
		assert_ok(certpick_trust_add_crl_path(t, tu_data("crl/reasons-idp.der"), &err),
		    &err);
		assert_int_equal(certpick_trust_add_crl_path(t, tu_data("crl/truncated.pem"), &err),
		    -1);
		assert_int_equal(certpick_trust_crl_count(t), 4);
		certpick_trust_free(t);
	}
}

static void
allocation_failures(void **state)
{
	(void)state;
	for (unsigned long n = 1; n < 150; n++) {
		struct certpick_error err = { 0 };
		struct certpick_candset *set = NULL;
		struct certpick_trust *t = NULL;
		struct certpick_paths paths = { 0 };

		cp_mem_fail_after(n);
		if ((set = certpick_candset_new(&err)) != NULL &&
		    (t = certpick_trust_new(&err)) != NULL &&
		    certpick_candset_add_path(set, tu_data("cross/leaf.pem"), NULL, &err) == 0 &&
		    certpick_candset_add_path(set, tu_data("cross/ints.pem"), NULL, &err) == 0 &&
		    certpick_trust_add_path(t, tu_data("cross/rootX.pem"), &err) == 0 &&
		    certpick_candset_finish(set, &err) == 0)
			(void)!certpick_trust_build_paths(t, set, certpick_candset_get(set, 0),
			    &paths, &err);
		cp_mem_fail_after(0);
		certpick_paths_release(&paths);
		certpick_trust_free(t);
		certpick_candset_free(set);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths_table),
		cmocka_unit_test(trust_loading),
		cmocka_unit_test(bridge_without_trust),
		cmocka_unit_test(crl_loading),
		cmocka_unit_test(allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
