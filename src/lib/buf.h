/*
 * One growable byte/text buffer for the whole library (cp_buf). Every
 * function is a no-op once `nomem` is set, so a writer appends freely and
 * checks once at the end. The bytes are always NUL-terminated (not counted
 * in len) so text can be handed on as a string. Ownership: the buffer owns
 * `p`; cp_buf_release() returns it to the caller (who frees it with free()),
 * cp_buf_free() drops it. A zeroed struct is an empty buffer.
 */
#ifndef CERTPICK_BUF_H
#define CERTPICK_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certpick/defs.h"

struct cp_buf {
	char *p;
	size_t len, cap;
	size_t max; /* 0: no cap; else appending past max sets nomem */
	bool nomem; /* out of memory or over max: everything after is dropped */
};

void cp_buf_add(struct cp_buf *b, const void *data, size_t len);
void cp_buf_str(struct cp_buf *b, const char *s);
void cp_buf_u8(struct cp_buf *b, unsigned v);
void cp_buf_u16(struct cp_buf *b, unsigned v); /* big-endian */
void cp_buf_u32(struct cp_buf *b, uint32_t v); /* big-endian */
void cp_buf_printf(struct cp_buf *b, const char *fmt, ...) CERTPICK_PRINTF(2, 3);
void cp_buf_vprintf(struct cp_buf *b, const char *fmt, va_list ap) CERTPICK_PRINTF(2, 0);
/* Drop the first n bytes (a consumed prefix). */
void cp_buf_consume(struct cp_buf *b, size_t n);
void cp_buf_reset(struct cp_buf *b); /* len = 0, keeps the memory and the cap */
/* The bytes, NUL-terminated, now the caller's (free()); NULL when nomem. Leaves b empty. */
char *cp_buf_release(struct cp_buf *b);
void cp_buf_free(struct cp_buf *b);

#endif
