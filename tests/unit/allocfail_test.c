/*
 * Allocation failures along the main paths, end to end through the public
 * API: loading sources (PEM, key, PKCS#12 with a password), check, parsing a
 * captured CertificateRequest and probe JSON, and select for every client
 * profile. Each op runs with the 1st, 2nd, ... allocation failing (certpick's
 * allocator and OpenSSL's, tu_alloc_loop); it must return an error, never
 * crash, and leak nothing (LeakSanitizer in the ASan build of make check).
 * The per-module tests (dn_test, select_test, ...) do the same for their
 * internals; this file covers the paths the commands take.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certpick/select.h"
#include "testutil.h"
#include "internal.h"

#define T2030 1893456000L /* inside every fixture's validity */

static uint8_t *
slurp(const char *name, size_t *len)
{
	FILE *f = fopen(tu_data(name), "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The sources a user passes to check and select. */
static const char *const sources[] = {
	"check/good-chain-key.pem", /* leaf, key and intermediate in one PEM */
	"candidate/leaf.p12",	    /* PKCS#12, password "test" */
	"candidate/leaf-enc.key",   /* an encrypted PEM key, paired by public key */
	"candidate/leaf.pem",
	"candidate/int.pem",
};

static int
load_set(const char *const *paths, size_t n, struct certpick_candset **out)
{
	struct certpick_load_options o = { .password = "test" };
	struct certpick_error err = { 0 };
	struct certpick_candset *set;

	*out = NULL;
	if ((set = certpick_candset_new(&err)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (certpick_candset_add_path(set, tu_data(paths[i]), &o, &err) != 0)
			goto fail;
	if (certpick_candset_finish(set, &err) != 0)
		goto fail;
	*out = set;
	return 0;
fail:
	certpick_candset_free(set);
	return -1;
}

static struct certpick_candset *
whole_set(void)
{
	struct certpick_candset *set;

	assert_int_equal(load_set(sources, sizeof(sources) / sizeof(sources[0]), &set), 0);
	assert_true(certpick_candset_count(set) >= 2);
	return set;
}

/* one source: a file a user passes to check or select */
static int
load_op(void *arg)
{
	const char *const *path = arg;
	struct certpick_candset *set;

	if (load_set(path, 1, &set) != 0)
		return -1;
	certpick_candset_free(set);
	return 0;
}

/* certpick check --trust FILE: the trust store */
static int
trust_op(void *arg)
{
	struct certpick_error err = { 0 };
	struct certpick_trust *trust;
	int ret;

	(void)arg;
	if ((trust = certpick_trust_new(&err)) == NULL)
		return -1;
	ret = certpick_trust_add_path(trust, tu_data("check/root.pem"), &err);
	certpick_trust_free(trust);
	return ret;
}

/* certpick check: judge one candidate against the pool and the trust store */
struct check_arg {
	const struct certpick_candset *set;
	const struct certpick_candidate *c;
	const struct certpick_trust *trust;
};

static int
check_op(void *arg)
{
	const struct check_arg *a = arg;
	struct certpick_error err = { 0 };
	struct certpick_check_options o = { .now = T2030, .trust = a->trust };
	struct certpick_check_result r = { 0 };
	int rc = certpick_check_run(a->set, a->c, &o, &r, &err);

	certpick_check_result_release(&r);
	return rc;
}

/* probe: the captured message bytes of s_server (TLS 1.2 and 1.3) */
struct raw {
	uint8_t *bytes;
	size_t len;
};

static int
parse_op(void *arg)
{
	const struct raw *raw = arg;
	struct certpick_error err = { 0 };
	struct certpick_certreq *req;

	/* first byte: the fuzz target's selector (bit 0: TLS 1.3) */
	req = certpick_certreq_parse((raw->bytes[0] & 1) ? CERTPICK_TLS13 : CERTPICK_TLS12,
	    CERTPICK_PHASE_INITIAL, raw->bytes + 1, raw->len - 1, &err);
	if (req == NULL)
		return -1;
	certpick_certreq_free(req);
	return 0;
}

static int
json_op(void *arg)
{
	const struct raw *raw = arg;
	struct certpick_error err = { 0 };
	struct certpick_certreq_list l;

	if (certpick_certreq_list_from_json((const char *)raw->bytes, raw->len, &l, &err) != 0) {
		if (l.n != 0 || l.v != NULL)
			fail_msg("a failed read leaves the list empty");
		return -1;
	}
	certpick_certreq_list_release(&l);
	return 0;
}

/* certpick select --request saved.json --client X, for every X */
struct select_arg {
	const struct certpick_certreq *req;
	const struct certpick_candset *set;
	const struct certpick_profile *profile;
};

static int
select_op(void *arg)
{
	const struct select_arg *a = arg;
	struct certpick_error err = { 0 };
	struct certpick_select_options o = { .now = T2030 };
	struct certpick_selection *s = NULL;
	int ret;

	ret = certpick_select_run(a->profile, a->set, a->req, &o, &s, &err);
	certpick_selection_free(s);
	return ret;
}

/*
 * Every N for each kind of file. Decrypting a PKCS#12 or an encrypted key
 * takes 12,000-26,000 allocations (OpenSSL's decoders and PBKDF2), so
 * every N over those is quadratic: they fail each of certpick's own
 * allocations (OpenSSL's not counted), then every 97th allocation unless
 * CERTPICK_ALLOCFAIL_FULL=1 or CERTPICK_ALLOCFAIL_STEP=N (run by hand;
 * docs/fuzzing.md).
 */
static void
load_paths(void **state)
{
	static const char *const plain[] = {
		"candidate/leaf.pem", /* PEM certificate */
		"candidate/leaf.der", /* DER certificate */
		"candidate/leaf.key", /* PEM key alone (kept loose) */
	};
	static const char *const encrypted[] = {
		"candidate/leaf.p12",	  /* PKCS#12, password "test" */
		"candidate/leaf-enc.key", /* PKCS#8 encrypted PEM key */
	};
	const char *full = getenv("CERTPICK_ALLOCFAIL_FULL");
	const char *step_env = getenv("CERTPICK_ALLOCFAIL_STEP");
	unsigned long step = full != NULL && strcmp(full, "1") == 0 ? 1 : 97;

	if (step_env != NULL && strtoul(step_env, NULL, 10) > 0)
		step = strtoul(step_env, NULL, 10);

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		assert_true(tu_alloc_loop(load_op, (void *)&plain[i]) > 20);
	for (size_t i = 0; i < sizeof(encrypted) / sizeof(encrypted[0]); i++) {
		/* every one of certpick's own allocations, then every step-th of all */
		tu_allocfail_count_openssl(false);
		assert_true(tu_alloc_loop(load_op, (void *)&encrypted[i]) > 3);
		tu_allocfail_count_openssl(true);
		assert_true(tu_alloc_loop_step(load_op, (void *)&encrypted[i], step) > 20);
	}
}

static int
crl_op(void *arg)
{
	struct certpick_error err = { 0 };
	struct certpick_trust *t;
	int ret = -1;

	(void)arg;
	if ((t = certpick_trust_new(&err)) != NULL &&
	    certpick_trust_add_crl_path(t, tu_data("crl/three-crls.pem"), &err) == 0 &&
	    certpick_trust_add_crl_path(t, tu_data("crl/reasons-idp.der"), &err) == 0)
		ret = 0;
	certpick_trust_free(t);
	return ret;
}

static void
crl_paths(void **state)
{
	(void)state;
	assert_true(tu_alloc_loop(crl_op, NULL) > 20);
}

static void
check_paths(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = whole_set();
	struct certpick_trust *trust = certpick_trust_new(&err);
	struct check_arg a = { .set = set };

	(void)state;
	assert_true(tu_alloc_loop(trust_op, NULL) > 20);
	assert_non_null(trust);
	assert_ok(certpick_trust_add_path(trust, tu_data("check/root.pem"), &err), &err);
	assert_ok(certpick_trust_add_path(trust, tu_data("candidate/root.pem"), &err), &err);
	/* CRLs of other CAs: revocation checking runs, finds none that applies */
	assert_ok(certpick_trust_add_crl_path(trust, tu_data("crl/three-crls.pem"), &err), &err);
	a.trust = trust;
	for (size_t i = 0; i < certpick_candset_count(set); i++) {
		a.c = certpick_candset_get(set, i);
		assert_true(tu_alloc_loop(check_op, &a) > 5);
	}
	certpick_trust_free(trust);
	certpick_candset_free(set);
}

static void
certreq_parse_paths(void **state)
{
	static const char *const seeds[] = {
		"../../fuzz/corpus/certreq_parse/sserv12", /* TLS 1.2 with CA names */
		"../../fuzz/corpus/certreq_parse/sserv13", /* TLS 1.3 extensions */
		"../../fuzz/corpus/certreq_parse/oid_filters_pha",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct raw raw;

		raw.bytes = slurp(seeds[i], &raw.len);
		assert_true(tu_alloc_loop(parse_op, &raw) > 3);
		free(raw.bytes);
	}
}

static void
certreq_json_paths(void **state)
{
	static const char *const seeds[] = {
		"../../fuzz/corpus/certreq_json/probe13",  /* a saved probe, raw hex */
		"../../fuzz/corpus/certreq_json/fields12", /* fields only: rebuilt */
		"../../fuzz/corpus/certreq_json/lines",	   /* JSON Lines (--targets) */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct raw raw;

		raw.bytes = slurp(seeds[i], &raw.len);
		assert_true(tu_alloc_loop(json_op, &raw) > 3);
		free(raw.bytes);
	}
}

static void
select_paths(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_certreq_list l = { 0 };
	struct raw raw;
	struct select_arg a;

	(void)state;
	raw.bytes = slurp("../../fuzz/corpus/certreq_json/probe13", &raw.len);
	assert_ok(certpick_certreq_list_from_json((const char *)raw.bytes, raw.len, &l, &err),
	    &err);
	a.req = l.v[0];
	a.set = whole_set();
	for (size_t i = 0; i < certpick_profile_count(); i++) {
		a.profile = certpick_profile_get(i);
		assert_true(tu_alloc_loop(select_op, &a) > 5);
	}
	certpick_candset_free((struct certpick_candset *)a.set);
	certpick_certreq_list_release(&l);
	free(raw.bytes);
}

/*
 * OpenSSL initializes itself once (error strings, providers, the default
 * library context) and a failure there sticks for the process: run every op
 * once without failures first so the loop exercises certpick's paths.
 */
static int
warm_up(void **state)
{
	struct certpick_candset *set;

	(void)state;
	assert_int_equal(load_set(sources, sizeof(sources) / sizeof(sources[0]), &set), 0);
	certpick_candset_free(set);
	assert_int_equal(trust_op(NULL), 0);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_paths),
		cmocka_unit_test(check_paths),
		cmocka_unit_test(crl_paths),
		cmocka_unit_test(certreq_parse_paths),
		cmocka_unit_test(certreq_json_paths),
		cmocka_unit_test(select_paths),
	};

	tu_allocfail_install();
	return cmocka_run_group_tests(tests, warm_up, NULL);
}
