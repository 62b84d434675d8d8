#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "testutil.h"
#include "internal.h"

uint8_t *
tu_unhex(const char *hex, size_t *len)
{
	uint8_t *out = malloc(strlen(hex) / 2 + 1);
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p; p++) {
		int v;

		if (isspace((unsigned char)*p))
			continue;
		v = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	*len = n;
	return out;
}

const char *
tu_data(const char *name)
{
	static char buf[4096];
	const char *root = getenv("CERTPICK_TEST_DATA");

	snprintf(buf, sizeof(buf), "%s/%s", root ? root : "tests/data", name);
	return buf;
}

char *
tu_tmpdir(void)
{
	char tmpl[] = "/tmp/certpick-unit-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return NULL;
	return strdup(tmpl);
}

void
tu_rmtree(const char *dir)
{
	char cmd[4200];

	if (dir == NULL || strncmp(dir, "/tmp/certpick-unit-", 19) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static const char *watched;
static size_t watched_len;
static unsigned long watched_hits;

/* Count a block about to be freed that still holds the watched secret. */
static void
scan_block(void *p)
{
	if (watched == NULL || p == NULL)
		return;
	if (memmem(p, malloc_usable_size(p), watched, watched_len) != NULL)
		watched_hits++;
}

void
tu_secret_watch(const char *secret)
{
	watched = secret;
	watched_len = secret != NULL ? strlen(secret) : 0;
	watched_hits = 0;
}

unsigned long
tu_secret_hits(void)
{
	return watched_hits;
}

static bool count_openssl = true;

void
tu_allocfail_count_openssl(bool on)
{
	count_openssl = on;
}

static void *
hook_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (count_openssl && cp_mem_should_fail())
		return NULL;
	return malloc(n == 0 ? 1 : n);
}

static void *
hook_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (count_openssl && cp_mem_should_fail())
		return NULL;
	scan_block(p); /* realloc may move the block and free the old copy unwiped */
	return realloc(p, n == 0 ? 1 : n);
}

static void
hook_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	scan_block(p);
	free(p);
}

void
tu_allocfail_install(void)
{
	if (!CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free))
		fail_msg("CRYPTO_set_mem_functions: OpenSSL allocated before the hook");
}

unsigned long
tu_alloc_loop(int (*op)(void *arg), void *arg)
{
	return tu_alloc_loop_step(op, arg, 1);
}

unsigned long
tu_alloc_loop_step(int (*op)(void *arg), void *arg, unsigned long step)
{
	for (unsigned long n = 1; n < 1000000; n += step) {
		int rc;

		cp_mem_fail_after(n);
		rc = op(arg);
		if (cp_mem_fail_pending() != 0) {
			/* the failure was never reached: op ran to completion */
			cp_mem_fail_after(0);
			if (rc != 0)
				fail_msg("op failed without an injected failure (n=%lu)", n);
			return n - 1;
		}
		cp_mem_fail_after(0);
		/* the Nth allocation failed: op may succeed only if it tolerated it */
		(void)rc;
	}
	fail_msg("op never completed");
	return 0;
}
