/*
 * Target functions: certpick_text_escape (outtext.c), cp_dn_text (dn.c).
 * Input: first byte picks the flags and a short buffer size; the rest is
 * text from outside. Checks the promises of certpick/outtext.h: no raw
 * control, C1 or bidi code point, valid UTF-8 (as jansson, an independent
 * decoder, sees it), the length bound, the snprintf-like length, a cut
 * result that is a prefix of the whole, folding, quoting, and that escaping
 * escaped text changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certpick/certpick.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No C0 control, DEL, C1 or bidi control / separator, in bytes, without decoding. */
static void
check_clean(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i], c1 = i + 1 < n ? s[i + 1] : 0;
		unsigned char c2 = i + 2 < n ? s[i + 2] : 0;

		if (c < 0x20 || c == 0x7f)
			abort();
		if (c == 0xc2 && c1 >= 0x80 && c1 <= 0x9f)
			abort();
		if (c == 0xd8 && c1 == 0x9c)
			abort();
		if (c == 0xe2 && c1 == 0x80 &&
		    (c2 == 0x8e || c2 == 0x8f || (c2 >= 0xa8 && c2 <= 0xae)))
			abort();
		if (c == 0xe2 && c1 == 0x81 && c2 >= 0xa6 && c2 <= 0xa9)
			abort();
	}
}

static void
check_utf8(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);

	if (j == NULL)
		abort();
	json_decref(j);
}

static void
check_flags(const char *s, size_t n, unsigned flags, bool whole)
{
	if (flags & CERTPICK_TEXT_QUOTED) {
		for (size_t i = 0; i < n; i++)
			if (s[i] == '"' ||
			    (s[i] == '\\' && (i + 1 >= n || (s[i + 1] != 'x' && s[i + 1] != 'u'))))
				abort();
	}
	if ((flags & CERTPICK_TEXT_FOLD) && n > 0) {
		if (s[0] == ' ' || (whole && s[n - 1] == ' ') || strstr(s, "  ") != NULL)
			abort();
	}
}

static void
check_dn_text(const char *in, size_t len)
{
	char *d = cp_dn_text(in, len);

	if (d == NULL)
		return;
	check_clean((const unsigned char *)d, strlen(d));
	check_utf8(d, strlen(d));
	free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	unsigned flags;
	size_t len, n, small, n2;
	char *out, *cut, *again;

	if (size < 1)
		return 0;
	flags = data[0] & 3;
	small = data[0] >> 2;
	len = size - 1;
	if ((out = malloc(CERTPICK_TEXT_MAX(len))) == NULL || (cut = malloc(small + 1)) == NULL) {
		free(out);
		return 0;
	}
	n = certpick_text_escape(out, CERTPICK_TEXT_MAX(len), in, len, flags);
	if (n > 4 * len || n != strlen(out) || certpick_text_escape(NULL, 0, in, len, flags) != n)
		abort();
	check_clean((const unsigned char *)out, n);
	check_utf8(out, n);
	check_flags(out, n, flags, true);
	/* a short buffer: the same length, a NUL-terminated prefix of the whole */
	if (certpick_text_escape(cut, small + 1, in, len, flags) != n || strlen(cut) > small ||
	    strncmp(cut, out, strlen(cut)) != 0 || (n <= small && strcmp(cut, out) != 0))
		abort();
	check_utf8(cut, strlen(cut));
	/* escaping escaped text changes nothing (not for QUOTED: it escapes '\') */
	if (!(flags & CERTPICK_TEXT_QUOTED) && (again = malloc(CERTPICK_TEXT_MAX(n))) != NULL) {
		n2 = certpick_text_escape(again, CERTPICK_TEXT_MAX(n), out, n, flags);
		if (n2 != n || memcmp(again, out, n) != 0)
			abort();
		free(again);
	}
	check_dn_text(in, len);
	free(cut);
	free(out);
	return 0;
}
