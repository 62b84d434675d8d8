/*
 * Text that came from outside (a peer, a certificate, a file name, a request
 * line), made safe for the two places certpick writes it: terminals and logs,
 * and JSON.
 *
 * One rule for terminals and logs, certpick_text_escape(): every byte or code
 * point that can move the cursor, start a terminal sequence, end a log line
 * or reorder what is displayed is written visibly as an escape, never dropped:
 *   - C0 controls U+0000-U+001F (newlines included) and DEL: \xNN ("\x1b");
 *   - C1 controls U+0080-U+009F written as UTF-8: \u0080-\u009f;
 *   - bidi controls U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069
 *     and the line/paragraph separators U+2028, U+2029: \uNNNN ("\u202e");
 *   - each byte that is not part of valid UTF-8 (overlong forms, surrogates,
 *     code points above U+10FFFF included): \xNN ("\xff", also raw 0x9b).
 * Everything else, printable ASCII and valid UTF-8, is copied. A backslash is
 * copied too: the result cannot control a terminal or split a log line, but
 * the text "\x1b" may have been sent as such. Escaping escaped text changes
 * nothing.
 *
 * One conversion for JSON, certpick_text_utf8(): valid UTF-8 is copied; each
 * byte that is not part of valid UTF-8, and NUL, is written as the text \xNN,
 * so that jansson accepts the string and no byte is lost silently. JSON's own
 * escaping then handles the controls.
 *
 * Both are pure: no allocation, no state, output bounded by the caller's
 * buffer. Like snprintf they return the length of the whole result (without
 * the NUL); when that is >= size the result was cut, after the last whole
 * escape or UTF-8 sequence that fits, and dst is still NUL-terminated. The
 * whole result is never longer than 4 * len bytes (CERTPICK_TEXT_MAX(len)).
 */
#ifndef CERTPICK_OUTTEXT_H
#define CERTPICK_OUTTEXT_H

#include "certpick/defs.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest result for len input bytes, the NUL included. */
#define CERTPICK_TEXT_MAX(len) (4 * (size_t)(len) + 1)

enum certpick_text_flags {
	/*
	 * Runs of spaces and C0 whitespace (HT, LF, VT, FF, CR) become one
	 * space, and leading and trailing ones are removed: for one-line text
	 * such as an HTTP reason or a page's advice. Other controls are still
	 * escaped.
	 */
	CERTPICK_TEXT_FOLD = 1 << 0,
	/*
	 * For a field between double quotes, as in an access log line: '"'
	 * and '\\' are escaped too (\x22, \x5c), so the field cannot end
	 * early and every backslash in the result starts an escape.
	 */
	CERTPICK_TEXT_QUOTED = 1 << 1,
};

/*
 * Escape len bytes at src for a terminal or a log line into dst (size bytes,
 * the NUL included; dst may be NULL when size is 0, to learn the length).
 * flags: enum certpick_text_flags. Returns the length of the whole result.
 */
CERTPICK_API size_t certpick_text_escape(char *dst, size_t size, const char *src, size_t len,
    unsigned flags);

/*
 * Convert len bytes at src to valid UTF-8 without NUL for JSON into dst
 * (size bytes, the NUL included; dst may be NULL when size is 0). Returns the
 * length of the whole result.
 */
CERTPICK_API size_t certpick_text_utf8(char *dst, size_t size, const char *src, size_t len);

#ifdef __cplusplus
}
#endif
#endif
