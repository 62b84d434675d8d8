/* hashidx.c: the multimap under the pool, pairing and folder-walk indexes. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* Every value added under a key comes back, once each; other keys give none. */
static void
values_per_key(void **state)
{
	struct cp_hashidx h = { 0 };
	size_t pos = 0, v, seen = 0;

	(void)state;
	assert_false(cp_hashidx_next(&h, 7, &pos, &v)); /* empty */
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(cp_hashidx_add(&h, i % 10, i), 0);
	for (pos = 0; cp_hashidx_next(&h, 3, &pos, &v);) {
		assert_int_equal(v % 10, 3);
		seen++;
	}
	assert_int_equal(seen, 100);
	pos = 0;
	assert_false(cp_hashidx_next(&h, 10, &pos, &v));
	assert_int_equal(h.n, 1000);
	cp_hashidx_release(&h);
	assert_null(h.v);
	cp_hashidx_release(NULL);
}

/*
 * The cost stays linear: n distinct keys step over about n occupied slots
 * in all, not n^2 (the pool de-duplication used to compare each certificate
 * with every one before it), and each is found again.
 */
static void
lookups_are_constant(void **state)
{
	struct cp_hashidx h = { 0 };
	const size_t n = 100000;

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cp_hashidx_add(&h, cp_hash_bytes(&i, sizeof(i)), i), 0);
	for (size_t i = 0; i < n; i++) {
		size_t pos = 0, v;
		assert_true(cp_hashidx_next(&h, cp_hash_bytes(&i, sizeof(i)), &pos, &v));
		assert_int_equal(v, i);
	}
	if (h.probes > 4 * n)
		fail_msg("%llu probes for %zu lookups", h.probes, n);
	cp_hashidx_release(&h);
}

static void
hash_bytes(void **state)
{
	(void)state;
	assert_true(cp_hash_bytes("a", 1) != cp_hash_bytes("b", 1));
	assert_true(cp_hash_bytes("", 0) == 0xcbf29ce484222325ULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_per_key),
		cmocka_unit_test(lookups_are_constant),
		cmocka_unit_test(hash_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
