/* json.c: the JSON shapes the CLI and serve's page share. */
#include <string.h>

#include <jansson.h>

#include "certpick/json.h"
#include "testutil.h"
#include "internal.h"

static char *
dump(json_t *j)
{
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	json_decref(j);
	assert_non_null(s);
	return s;
}

/* what jansson refuses (json_string() NULL) becomes a string it accepts, nothing dropped */
static void
text_never_null_for_bad_utf8(void **state)
{
	json_t *j;

	(void)state;
	assert_null(json_string("caf\xe9"));
	assert_non_null(j = certpick_json_text("caf\xe9"));
	assert_string_equal(json_string_value(j), "caf\\xe9");
	json_decref(j);
	assert_non_null(j = certpick_json_text(NULL));
	assert_true(json_is_null(j));
	json_decref(j);
}

/* a DN: its text, its DER and the SHA-256 of the DER, in hex, in that order */
static void
dn_shape(void **state)
{
	struct certpick_dn dn = { 0 };
	struct certpick_dn empty = { 0 };
	char *s;

	(void)state;
	assert_int_equal(certpick_dn_init_rfc4514(&dn, "CN=a", NULL), 0);
	s = dump(certpick_json_dn(&dn));
	assert_true(strncmp(s,
			"{\"rfc4514\":\"CN=a\",\"der\":\"300c310a300806035504030c0161\","
			"\"sha256\":\"",
			62) == 0);
	free(s);
	/* no text form: null, not a missing key */
	s = dump(certpick_json_dn(&empty));
	assert_true(strncmp(s, "{\"rfc4514\":null,\"der\":\"\",", 25) == 0);
	free(s);
	certpick_dn_release(&dn);
}

/* a finding: the reason list's words, the detail only when there is one */
static void
finding_shapes(void **state)
{
	struct certpick_finding f[2] = {
		{ .reason = CERTPICK_REASON_EXPIRED, .severity = CERTPICK_SEV_ERROR },
		{ .reason = CERTPICK_REASON_EXPIRED,
		    .severity = CERTPICK_SEV_ERROR,
		    .detail = (char *)"caf\xe9" },
	};
	struct certpick_findings fs = { .v = f, .n = 2 };
	json_t *a = certpick_json_findings(&fs);

	(void)state;
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "id")),
	    certpick_reason_id(CERTPICK_REASON_EXPIRED));
	assert_null(json_object_get(json_array_get(a, 0), "detail"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "detail")),
	    "caf\\xe9");
	json_decref(a);
	a = certpick_json_findings(NULL);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

static void
error_shape(void **state)
{
	struct certpick_error err = { 0 };
	char *s;

	(void)state;
	cp_error_set(&err, CERTPICK_ERR_IO, "cannot open '%s'", "x");
	s = dump(certpick_json_error(&err));
	assert_string_equal(s, "{\"code\":\"io\",\"message\":\"cannot open 'x'\",\"detail\":\"\"}");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_never_null_for_bad_utf8),
		cmocka_unit_test(dn_shape),
		cmocka_unit_test(finding_shapes),
		cmocka_unit_test(error_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
