/*
 * outtext.c: the one escaping for terminals and logs, the one conversion for
 * JSON (json.c puts it into jansson).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

struct esc_case {
	const char *what;
	const char *in;
	size_t len; /* 0: strlen(in) */
	unsigned flags;
	const char *want;
};

static const struct esc_case esc_cases[] = {
	{ "printable ASCII and valid UTF-8 are copied", "CN=caf\xc3\xa9 \xe2\x82\xac", 0, 0,
	    "CN=caf\xc3\xa9 \xe2\x82\xac" },
	{ "ESC of an OSC title sequence and BEL", "\x1b]0;PWNED\x07", 0, 0, "\\x1b]0;PWNED\\x07" },
	{ "a newline cannot forge a log line", "/x\n2031 \"GET /secure\" 200", 0, 0,
	    "/x\\x0a2031 \"GET /secure\" 200" },
	{ "CR, TAB and DEL", "a\rb\tc\x7f", 0, 0, "a\\x0db\\x09c\\x7f" },
	{ "NUL inside the given length", "a\0b", 3, 0, "a\\x00b" },
	{ "C1 CSI as UTF-8 (U+009B)",
	    "x\xc2\x9b"
	    "31m",
	    0, 0, "x\\u009b31m" },
	{ "C1 NEL and APC", "\xc2\x85\xc2\x9f", 0, 0, "\\u0085\\u009f" },
	{ "a raw 0x9b byte (not UTF-8) is a byte escape",
	    "x\x9b"
	    "2J",
	    0, 0, "x\\x9b2J" },
	{ "bidi override U+202E", "alice\xe2\x80\xaegnp.exe", 0, 0, "alice\\u202egnp.exe" },
	{ "bidi isolates, marks and the Arabic letter mark",
	    "\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 0, 0,
	    "\\u2066\\u2069\\u200e\\u200f\\u061c" },
	{ "line and paragraph separators",
	    "a\xe2\x80\xa8"
	    "b\xe2\x80\xa9",
	    0, 0, "a\\u2028b\\u2029" },
	{ "Latin-1 byte in a file name", "caf\xe9.pem", 0, 0, "caf\\xe9.pem" },
	{ "overlong '/' is not UTF-8", "\xc0\xaf", 0, 0, "\\xc0\\xaf" },
	{ "encoded surrogate is not UTF-8", "\xed\xa0\x80", 0, 0, "\\xed\\xa0\\x80" },
	{ "above U+10FFFF is not UTF-8", "\xf4\x90\x80\x80", 0, 0, "\\xf4\\x90\\x80\\x80" },
	{ "a sequence cut short", "ab\xe2\x80", 0, 0, "ab\\xe2\\x80" },
	{ "U+10FFFF and U+2067 neighbours are kept", "\xf4\x8f\xbf\xbf\xe2\x81\xaa", 0, 0,
	    "\xf4\x8f\xbf\xbf\xe2\x81\xaa" },
	{ "escaped text escapes to itself", "\\x1b\\u202e", 0, 0, "\\x1b\\u202e" },
	{ "fold: whitespace runs become one space, trimmed", " \r\n a \t\n b\n", 0,
	    CERTPICK_TEXT_FOLD, "a b" },
	{ "fold: other controls are still escaped", "a\x1b[2J\nb", 0, CERTPICK_TEXT_FOLD,
	    "a\\x1b[2J b" },
	{ "quoted: a quote cannot end a log field early", "/y\" 200 cert=\"CN=admin", 0,
	    CERTPICK_TEXT_QUOTED, "/y\\x22 200 cert=\\x22CN=admin" },
	{ "quoted: a backslash always starts an escape", "a\\x1b\x1b", 0, CERTPICK_TEXT_QUOTED,
	    "a\\x5cx1b\\x1b" },
	{ "without quoted, quotes and backslashes are text", "\"\\", 0, 0, "\"\\" },
	{ "empty", "", 0, 0, "" },
};

static void
escape_table(void **state)
{
	char buf[256];
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		const struct esc_case *c = &esc_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		size_t n = certpick_text_escape(buf, sizeof(buf), c->in, len, c->flags);

		if (strcmp(buf, c->want) != 0 || n != strlen(c->want) ||
		    certpick_text_escape(NULL, 0, c->in, len, c->flags) != n) {
			print_error("%s: got \"%s\" (%zu), want \"%s\"\n", c->what, buf, n,
			    c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* a short buffer keeps whole escapes only, stays NUL-terminated, and reports the full length */
static void
escape_truncates_between_units(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(certpick_text_escape(buf, sizeof(buf),
			     "ab\x1b"
			     "cd",
			     5, 0),
	    8);
	assert_string_equal(buf, "ab\\x1bc");
	assert_int_equal(certpick_text_escape(buf, 6,
			     "ab\x1b"
			     "cd",
			     5, 0),
	    8);
	assert_string_equal(buf, "ab"); /* "\x1b" does not fit after "ab": not cut in half */
	assert_int_equal(certpick_text_escape(buf, 5, "\xe2\x82\xac\xe2\x82\xac", 6, 0), 6);
	assert_string_equal(buf, "\xe2\x82\xac"); /* UTF-8 never split */
	assert_int_equal(certpick_text_escape(buf, 1, "abc", 3, 0), 3);
	assert_string_equal(buf, "");
}

/* the bound of the header: 4 bytes out per byte in, reached by bytes that are not UTF-8 */
static void
escape_bound(void **state)
{
	static const char in[] = "\xff\xfe\x80\x1b";
	char buf[CERTPICK_TEXT_MAX(sizeof(in) - 1)];

	(void)state;
	assert_int_equal(certpick_text_escape(buf, sizeof(buf), in, sizeof(in) - 1, 0),
	    sizeof(buf) - 1);
	assert_string_equal(buf, "\\xff\\xfe\\x80\\x1b");
}

struct utf8_case {
	const char *what;
	const char *in;
	size_t len;
	const char *want;
};

static const struct utf8_case utf8_cases[] = {
	{ "valid UTF-8, controls and bidi are left to JSON", "a\x1b\xe2\x80\xae\xc3\xa9", 0,
	    "a\x1b\xe2\x80\xae\xc3\xa9" },
	{ "a Latin-1 file name keeps its byte as text", "caf\xe9.pem", 0, "caf\\xe9.pem" },
	{ "a 0xff in a request path", "/secure\xff", 0, "/secure\\xff" },
	{ "NUL would end a C string: escaped", "a\0b", 3, "a\\x00b" },
	{ "overlong and surrogate", "\xc0\x80\xed\xbf\xbf", 0, "\\xc0\\x80\\xed\\xbf\\xbf" },
};

static void
utf8_table(void **state)
{
	char buf[128];
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		size_t n = certpick_text_utf8(buf, sizeof(buf), c->in, len);

		if (strcmp(buf, c->want) != 0 || n != strlen(c->want)) {
			print_error("%s: got \"%s\", want \"%s\"\n", c->what, buf, c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* the one list of escaped code points */
static void
control_list(void **state)
{
	static const uint32_t esc[] = { 0, 0x1b, 0x1f, 0x7f, 0x80, 0x9b, 0x9f, 0x61c, 0x200e,
		0x200f, 0x2028, 0x2029, 0x202a, 0x202e, 0x2066, 0x2069 };
	static const uint32_t keep[] = { 0x20, 0x7e, 0xa0, 0xe9, 0x61b, 0x200d, 0x2010, 0x202f,
		0x2065, 0x206a, 0xfeff, 0x10ffff };

	(void)state;
	for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++)
		assert_true(cp_text_is_control(esc[i]));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_false(cp_text_is_control(keep[i]));
}

/* F12: names keep RFC 4514 syntax, with C1, bidi and stray bytes as hex pairs */
static void
dn_text_escapes_controls(void **state)
{
	char *s;

	(void)state;
	assert_non_null(s = cp_dn_text("CN=alice\xe2\x80\xaegnp.exe,O=\xc2\x9b"
				       "31m\xff",
			    27));
	assert_string_equal(s, "CN=alice\\E2\\80\\AEgnp.exe,O=\\C2\\9B31m\\FF");
	free(s);
	assert_non_null(s = cp_dn_text("CN=caf\xc3\xa9", 8));
	assert_string_equal(s, "CN=caf\xc3\xa9");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_table),
		cmocka_unit_test(escape_truncates_between_units),
		cmocka_unit_test(escape_bound),
		cmocka_unit_test(utf8_table),
		cmocka_unit_test(control_list),
		cmocka_unit_test(dn_text_escapes_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
