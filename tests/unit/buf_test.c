/* buf.c: the library's one growable buffer. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"
#include "buf.h"

static void
appends_and_terminates(void **state)
{
	struct cp_buf b = { 0 };
	char *s;

	(void)state;
	cp_buf_str(&b, "EHLO ");
	cp_buf_printf(&b, "%s %d", "x", 42);
	cp_buf_u8(&b, '!');
	assert_int_equal(b.len, 10);
	assert_string_equal(b.p, "EHLO x 42!");
	cp_buf_consume(&b, 5);
	assert_string_equal(b.p, "x 42!");
	cp_buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	cp_buf_u16(&b, 0x0102);
	cp_buf_u32(&b, 0x03040506);
	assert_memory_equal(b.p, "\x01\x02\x03\x04\x05\x06", 6);
	s = cp_buf_release(&b);
	assert_non_null(s);
	assert_null(b.p);
	free(s);
	/* an empty buffer releases an empty string */
	s = cp_buf_release(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

/* Past max nothing more is stored and release says so. */
static void
cap_sets_nomem(void **state)
{
	struct cp_buf b = { .max = 8 };

	(void)state;
	cp_buf_str(&b, "12345678");
	assert_false(b.nomem);
	cp_buf_str(&b, "9");
	assert_true(b.nomem);
	assert_int_equal(b.len, 8);
	cp_buf_printf(&b, "%d", 1);
	assert_int_equal(b.len, 8);
	assert_null(cp_buf_release(&b));
	assert_false(b.nomem);
	cp_buf_free(&b);
}

static void
grows_large(void **state)
{
	struct cp_buf b = { 0 };

	(void)state;
	for (int i = 0; i < 100000; i++)
		cp_buf_printf(&b, "%05d", i % 100000);
	assert_int_equal(b.len, 500000);
	assert_memory_equal(b.p + 499995, "99999", 5);
	cp_buf_reset(&b);
	assert_int_equal(b.len, 0);
	cp_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appends_and_terminates),
		cmocka_unit_test(cap_sets_nomem),
		cmocka_unit_test(grows_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
