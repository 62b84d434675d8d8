/* The library's one growable buffer (buf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "internal.h"

static bool
grow(struct cp_buf *b, size_t more)
{
	size_t need, cap;
	char *p;

	if (b->nomem)
		return false;
	if (more > SIZE_MAX - b->len - 1 || (b->max != 0 && b->len + more > b->max)) {
		b->nomem = true;
		return false;
	}
	need = b->len + more + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = cp_realloc(b->p, cap)) == NULL) {
		b->nomem = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
cp_buf_add(struct cp_buf *b, const void *data, size_t len)
{
	if (!grow(b, len))
		return;
	if (len > 0)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
cp_buf_str(struct cp_buf *b, const char *s)
{
	cp_buf_add(b, s, strlen(s));
}

void
cp_buf_u8(struct cp_buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	cp_buf_add(b, &x, 1);
}

void
cp_buf_u16(struct cp_buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	cp_buf_add(b, x, 2);
}

void
cp_buf_u32(struct cp_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	cp_buf_add(b, x, 4);
}

void
cp_buf_vprintf(struct cp_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	if (b->nomem)
		return;
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0) {
		b->nomem = true;
		return;
	}
	if (!grow(b, (size_t)n))
		return;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
cp_buf_printf(struct cp_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cp_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
cp_buf_consume(struct cp_buf *b, size_t n)
{
	if (b->p == NULL)
		return;
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	b->p[b->len] = '\0';
}

void
cp_buf_reset(struct cp_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

char *
cp_buf_release(struct cp_buf *b)
{
	char *p = NULL;

	if (!b->nomem && grow(b, 0)) {
		p = b->p;
		p[b->len] = '\0';
	} else
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->nomem = false;
	return p;
}

void
cp_buf_free(struct cp_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->nomem = false;
}
