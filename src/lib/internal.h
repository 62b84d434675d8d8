/*
 * Library-internal declarations (the cp_* tier). Never installed.
 * Nothing in src/lib prints, exits or reads the environment.
 */
#ifndef CERTPICK_INTERNAL_H
#define CERTPICK_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "certpick/certpick.h"

#define CP_STR_(x) #x
#define CP_STR(x) CP_STR_(x)
#define CP_WHERE (__FILE__ ":" CP_STR(__LINE__))

/* error.c: all return -1 so that `return cp_error_set(...)` reads well. */
int cp_error_set_(struct certpick_error *err, const char *where, enum certpick_errc code,
    const char *fmt, ...) CERTPICK_PRINTF(4, 5);
int cp_error_set_errno_(struct certpick_error *err, const char *where, enum certpick_errc code,
    int sys_errno, const char *fmt, ...) CERTPICK_PRINTF(5, 6);
/* Drains the OpenSSL error queue into err->detail (and clears the queue). */
int cp_error_set_ossl_(struct certpick_error *err, const char *where, enum certpick_errc code,
    const char *fmt, ...) CERTPICK_PRINTF(4, 5);
/* Append "detail" text (replaces any previous detail). */
void cp_error_detail(struct certpick_error *err, const char *fmt, ...) CERTPICK_PRINTF(2, 3);
int cp_error_nomem_(struct certpick_error *err, const char *where);

#define cp_error_set(err, code, ...) cp_error_set_((err), CP_WHERE, (code), __VA_ARGS__)
#define cp_error_set_errno(err, code, e, ...) \
	cp_error_set_errno_((err), CP_WHERE, (code), (e), __VA_ARGS__)
#define cp_error_set_ossl(err, code, ...) cp_error_set_ossl_((err), CP_WHERE, (code), __VA_ARGS__)
#define cp_error_nomem(err) cp_error_nomem_((err), CP_WHERE)

/* reason.c: add a finding with the reason's default severity; detail may be NULL. */
int cp_findings_add(struct certpick_findings *f, enum certpick_reason r, const char *fmt, ...)
    CERTPICK_PRINTF(3, 4);
int cp_findings_add_sev(struct certpick_findings *f, enum certpick_reason r,
    enum certpick_severity sev, const char *fmt, ...) CERTPICK_PRINTF(4, 5);

/* dn_parse.c: RFC 4514 text -> X509_NAME (UTF8String values). Caller frees. */
struct X509_name_st;
struct X509_name_st *cp_name_parse_rfc4514(const char *text, struct certpick_error *err);

/* mem.c: the library's allocator (fault-injectable in tests). */
void *cp_malloc(size_t n);
void *cp_calloc(size_t n, size_t size);
void *cp_realloc(void *p, size_t n);
/* Grows *array of *n elements by one zeroed element; returns it or NULL. */
void *cp_array_push(void *array_p, size_t *n, size_t elem_size);
char *cp_strdup(const char *s);
char *cp_asprintf(const char *fmt, ...) CERTPICK_PRINTF(1, 2);
char *cp_vasprintf(const char *fmt, va_list ap) CERTPICK_PRINTF(1, 0);
/* Wipe then free. NULL is a no-op. */
void cp_freezero(void *p, size_t n);
/* Test hook: fail the Nth cp_* allocation from now (0 disables). */
void cp_mem_fail_after(unsigned long n);
/* Test hook: count one allocation; true when it must fail (shared with OpenSSL hooks). */
int cp_mem_should_fail(void);
/* Test hook: allocations left before the injected failure (0: none pending). */
unsigned long cp_mem_fail_pending(void);

#endif
