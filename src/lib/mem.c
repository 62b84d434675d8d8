/*
 * The library's allocator. Every cp_* allocation can be made to fail on
 * purpose (cp_mem_fail_after) so tests can prove that each failure path
 * returns an error and leaks nothing. Not thread-safe by design: the
 * counter is a test hook only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

static unsigned long fail_countdown;

void
cp_mem_fail_after(unsigned long n)
{
	fail_countdown = n;
}

int
cp_mem_should_fail(void)
{
	if (fail_countdown == 0)
		return 0;
	return --fail_countdown == 0;
}

unsigned long
cp_mem_fail_pending(void)
{
	return fail_countdown;
}

#define should_fail cp_mem_should_fail

void *
cp_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n == 0 ? 1 : n);
}

void *
cp_calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *
cp_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n == 0 ? 1 : n);
}

void *
cp_array_push(void *array_p, size_t *n, size_t elem_size)
{
	void **arr = array_p;
	unsigned char *grown;

	if (*n > (size_t)-1 / elem_size - 1)
		return NULL;
	grown = cp_realloc(*arr, (*n + 1) * elem_size);
	if (grown == NULL)
		return NULL;
	*arr = grown;
	memset(grown + *n * elem_size, 0, elem_size);
	return grown + (*n)++ * elem_size;
}

void *
cp_array_push_cap(void *array_p, size_t *n, size_t *cap, size_t elem_size)
{
	void **arr = array_p;
	unsigned char *grown;
	size_t want;

	if (*n >= *cap) {
		if (*cap > (size_t)-1 / 2 / elem_size)
			return NULL;
		want = *cap < 8 ? 8 : 2 * *cap;
		if ((grown = cp_realloc(*arr, want * elem_size)) == NULL)
			return NULL;
		*arr = grown;
		*cap = want;
	}
	grown = *arr;
	memset(grown + *n * elem_size, 0, elem_size);
	return grown + (*n)++ * elem_size;
}

char *
cp_strdup(const char *s)
{
	size_t len;
	char *d;

	if (s == NULL)
		return NULL;
	len = strlen(s) + 1;
	if ((d = cp_malloc(len)) != NULL)
		memcpy(d, s, len);
	return d;
}

char *
cp_vasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	int len;
	char *s;

	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (len < 0 || (s = cp_malloc((size_t)len + 1)) == NULL)
		return NULL;
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	return s;
}

char *
cp_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = cp_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
cp_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

char *
cp_secret_new(void)
{
	return OPENSSL_zalloc(CP_SECRET_MAX);
}

void
cp_secret_free(char *s)
{
	OPENSSL_clear_free(s, CP_SECRET_MAX);
}
