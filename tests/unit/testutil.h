/* Shared helpers for the cmocka unit tests. */
#ifndef CERTPICK_TESTUTIL_H
#define CERTPICK_TESTUTIL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "certpick/certpick.h"

/* Assert that a call returned 0, printing err.message otherwise. */
#define assert_ok(call, errp)                                                                  \
	do {                                                                                   \
		if ((call) != 0)                                                               \
			fail_msg("%s failed: %s: %s", #call, (errp)->message, (errp)->detail); \
	} while (0)

/* Decode hex ("0a0b..", spaces allowed) into a new buffer; *len set. free(). */
uint8_t *tu_unhex(const char *hex, size_t *len);
/* Path under tests/data (CERTPICK_TEST_DATA). Static buffer. */
const char *tu_data(const char *name);
/* A fresh temporary directory; removed by tu_rmtree(). Caller frees the string. */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);

/*
 * Allocation-failure testing (curl's torture mode): route OpenSSL's
 * allocations through certpick's fail-Nth counter. Call tu_allocfail_install()
 * first thing in main(), before anything allocates through OpenSSL.
 * tu_alloc_loop() runs op with the 1st, 2nd, ... allocation failing until op
 * completes without hitting the failure; op must return 0 on success and -1
 * on failure and release everything it made either way (LeakSanitizer in the
 * ASan build proves it). Returns the number of allocations op needs.
 */
void tu_allocfail_install(void);
unsigned long tu_alloc_loop(int (*op)(void *arg), void *arg);
/* The same, failing the 1st, (1+step)th, (1+2*step)th, ... allocation. */
unsigned long tu_alloc_loop_step(int (*op)(void *arg), void *arg, unsigned long step);
/* Whether OpenSSL's allocations count (and fail) too; on by default. */
void tu_allocfail_count_openssl(bool on);

/*
 * Secrets: after tu_secret_watch(s), every block OpenSSL's allocator frees
 * (certpick's password buffers included: cp_secret_new) is searched for s
 * before it goes; tu_secret_hits() counts those that still held it, i.e.
 * were not wiped. Needs tu_allocfail_install(). NULL stops watching.
 */
void tu_secret_watch(const char *secret);
unsigned long tu_secret_hits(void);

#endif
