/*
 * Text from outside, made safe for terminals, logs and JSON (certpick/outtext.h).
 * Pure: no allocation and no state. The library's way into jansson is
 * certpick_json_text() (json.c).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "certpick/outtext.h"
#include "internal.h"

/* Where a result goes: what fits is written, len counts the whole result. */
struct out {
	char *dst;
	size_t size;
	size_t written;
	size_t len;
	bool full;
	bool space; /* CERTPICK_TEXT_FOLD: a space is due before the next unit */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (!o->full && o->written + n < o->size) {
		memcpy(o->dst + o->written, s, n);
		o->written += n;
	} else {
		o->full = true; /* never a later, shorter unit: the result stays a prefix */
	}
	o->len += n;
}

/* "\xNN" for a byte, "\uNNNN" for a code point up to U+FFFF. */
static void
put_escape(struct out *o, char kind, uint32_t v)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', kind };
	size_t n = kind == 'x' ? 4 : 6;

	for (size_t i = n; i > 2; i--, v >>= 4)
		e[i - 1] = hex[v & 0xf];
	put(o, e, n);
}

static size_t
finish(struct out *o)
{
	if (o->size > 0)
		o->dst[o->written] = '\0';
	return o->len;
}

/* see internal.h */
size_t
cp_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, v = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, v = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* see internal.h */
bool
cp_text_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static bool
is_fold_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r');
}

/* see certpick/outtext.h */
size_t
certpick_text_escape(char *dst, size_t size, const char *src, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)src;
	struct out o = { .dst = dst, .size = size };

	for (size_t i = 0, n; i < len; i += n) {
		uint32_t cp;

		if ((n = cp_utf8_next(s + i, len - i, &cp)) == 0) {
			n = 1; /* a byte that is not UTF-8: "\xNN" below */
			cp = s[i];
		} else if ((flags & CERTPICK_TEXT_FOLD) && is_fold_space(cp)) {
			o.space = o.len > 0;
			continue;
		}
		if (o.space)
			put(&o, " ", 1);
		o.space = false;
		if (n == 1 &&
		    (cp >= 0x80 || cp_text_is_control(cp) ||
			((flags & CERTPICK_TEXT_QUOTED) && (cp == '"' || cp == '\\'))))
			put_escape(&o, 'x', cp);
		else if (cp_text_is_control(cp))
			put_escape(&o, 'u', cp);
		else
			put(&o, src + i, n);
	}
	return finish(&o);
}

/* see certpick/outtext.h */
size_t
certpick_text_utf8(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	struct out o = { .dst = dst, .size = size };

	for (size_t i = 0, n; i < len; i += n) {
		uint32_t cp;

		if ((n = cp_utf8_next(s + i, len - i, &cp)) == 0 || cp == 0) {
			put_escape(&o, 'x', s[i]);
			n = 1;
		} else {
			put(&o, src + i, n);
		}
	}
	return finish(&o);
}
