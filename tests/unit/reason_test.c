/* reason.c: the one list of reasons and findings lists. */
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* every id is kebab-case, unique, and has a sentence and a hint */
static void
ids_are_unique_and_kebab(void **state)
{
	(void)state;
	for (int i = 0; i < CERTPICK_REASON__COUNT; i++) {
		const char *id = certpick_reason_id((enum certpick_reason)i);
		enum certpick_reason back;

		assert_non_null(id);
		for (const char *p = id; *p; p++)
			assert_true(
			    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
		assert_int_equal(certpick_reason_from_id(id, &back), 0);
		assert_int_equal(back, i);
		assert_true(strlen(certpick_reason_text((enum certpick_reason)i)) > 10);
		assert_true(strlen(certpick_reason_hint((enum certpick_reason)i)) > 5);
	}
}

static void
unknown_ids(void **state)
{
	enum certpick_reason r;

	(void)state;
	assert_int_equal(certpick_reason_from_id("no-such-reason", &r), -1);
	assert_int_equal(certpick_reason_from_id(NULL, &r), -1);
	assert_null(certpick_reason_id(CERTPICK_REASON__COUNT));
}

/* ids are API: these must never change */
static void
stable_ids(void **state)
{
	(void)state;
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_NO_PRIVATE_KEY), "no-private-key");
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_EKU_NO_CLIENT_AUTH),
	    "eku-no-client-auth");
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE),
	    "ku-no-digital-signature");
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_PFX_LEGACY_CSP), "pfx-legacy-csp");
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_SEL_ISSUER_NOT_LISTED),
	    "issuer-not-accepted");
}

static void
findings_sort_and_max(void **state)
{
	struct certpick_findings f = { 0 };

	(void)state;
	assert_int_equal(certpick_findings_max(&f), CERTPICK_SEV_INFO);
	assert_int_equal(cp_findings_add(&f, CERTPICK_REASON_SELF_SIGNED, NULL), 0);
	assert_int_equal(cp_findings_add(&f, CERTPICK_REASON_EXPIRED, "notAfter %d", 2020), 0);
	assert_int_equal(cp_findings_add(&f, CERTPICK_REASON_KEY_UNSUPPORTED_BY_SOME, NULL), 0);
	certpick_findings_sort(&f);
	assert_int_equal(f.v[0].reason, CERTPICK_REASON_EXPIRED);
	assert_string_equal(f.v[0].detail, "notAfter 2020");
	assert_int_equal(f.v[1].reason, CERTPICK_REASON_SELF_SIGNED);
	assert_int_equal(certpick_findings_max(&f), CERTPICK_SEV_ERROR);
	assert_true(certpick_findings_has(&f, CERTPICK_REASON_SELF_SIGNED));
	assert_false(certpick_findings_has(&f, CERTPICK_REASON_REVOKED));
	certpick_findings_release(&f);
	assert_int_equal(f.n, 0);
	certpick_findings_release(NULL);
}

/* allocation failure while adding leaves the list as it was */
static void
findings_add_nomem(void **state)
{
	struct certpick_findings f = { 0 };

	(void)state;
	cp_mem_fail_after(1);
	assert_int_equal(cp_findings_add(&f, CERTPICK_REASON_EXPIRED, "x"), -1);
	assert_int_equal(f.n, 0);
	cp_mem_fail_after(2);
	assert_int_equal(cp_findings_add(&f, CERTPICK_REASON_EXPIRED, "x"), -1);
	assert_int_equal(f.n, 0);
	cp_mem_fail_after(0);
	certpick_findings_release(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_are_unique_and_kebab),
		cmocka_unit_test(unknown_ids),
		cmocka_unit_test(stable_ids),
		cmocka_unit_test(findings_sort_and_max),
		cmocka_unit_test(findings_add_nomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
