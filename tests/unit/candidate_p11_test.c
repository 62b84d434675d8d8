/*
 * candidate_p11.c: PKCS#11 tokens as a source, and their keys for get. URI
 * and module errors here; a SoftHSM2 token end to end in
 * tests/integration/test_select.py and test_get.py (the token signs).
 */
#include <string.h>

#include "testutil.h"
#include "internal.h"

static void
bad_uris(void **state)
{
	static const struct {
		const char *uri;
		int code;
		const char *msg;
	} rows[] = {
		/* not a pkcs11: URI at all */
		{ "file:///x", CERTPICK_ERR_USAGE, "not a PKCS#11 URI" },
		/* an attribute without a value */
		{ "pkcs11:token", CERTPICK_ERR_USAGE, "has no value" },
		/* broken percent-encoding */
		{ "pkcs11:token=%zz;module-path=/x.so", CERTPICK_ERR_USAGE, "percent-encoding" },
		{ "pkcs11:token=%4", CERTPICK_ERR_USAGE, "percent-encoding" },
		/* no module to load */
		{ "pkcs11:token=card", CERTPICK_ERR_USAGE, "names no module" },
		/* a module that is not there */
		{ "pkcs11:module-path=/nonexistent/lib.so", CERTPICK_ERR_IO,
		    "cannot load PKCS#11 module" },
		/* percent-decoded module path, still missing */
		{ "pkcs11:token=a%20b?module-path=%2Fnonexistent%2Flib.so", CERTPICK_ERR_IO,
		    "'/nonexistent/lib.so'" },
	};
	struct certpick_error err;
	struct certpick_candset *set = certpick_candset_new(&err);

	(void)state;
	assert_non_null(set);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		certpick_error_clear(&err);
		assert_int_equal(certpick_candset_add_pkcs11(set, rows[i].uri, NULL, &err), -1);
		if ((int)err.code != rows[i].code || strstr(err.message, rows[i].msg) == NULL)
			fail_msg("%s: got %d '%s'", rows[i].uri, err.code, err.message);
		/* get opens a token's key through the same code; k poisoned: must come back NULL */
		struct cp_p11_key *k = (struct cp_p11_key *)&err;

		certpick_error_clear(&err);
		assert_int_equal(cp_p11_key_open(rows[i].uri, NULL, &k, &err), -1);
		assert_null(k);
		if ((int)err.code != rows[i].code || strstr(err.message, rows[i].msg) == NULL)
			fail_msg("key %s: got %d '%s'", rows[i].uri, err.code, err.message);
	}
	assert_null(cp_p11_key_pkey(NULL));
	cp_p11_key_close(NULL);
	assert_int_equal(certpick_candset_add_pkcs11(NULL, "pkcs11:", NULL, &err), -1);
	certpick_candset_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_uris),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
