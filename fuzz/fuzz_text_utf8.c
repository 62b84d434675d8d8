/*
 * Target functions: certpick_text_utf8 (outtext.c), certpick_json_text (json.c).
 * Input: text from outside for JSON. Checks that jansson (an independent
 * UTF-8 decoder) accepts every result, so no key or element can be lost; the
 * length bound; that no NUL is left; that valid UTF-8 without NUL is kept
 * byte for byte; and that a cut result is a prefix of the whole.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certpick/certpick.h"
#include "certpick/json.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_plain_utf8(const char *s, size_t n)
{
	json_t *j;

	if (memchr(s, '\0', n) != NULL || (j = json_stringn(s, n)) == NULL)
		return false;
	json_decref(j);
	return true;
}

static void
check_json_text(const char *in, size_t len)
{
	char *z = malloc(len + 1);
	json_t *j;

	if (z == NULL)
		return;
	memcpy(z, in, len);
	z[len] = '\0';
	if ((j = certpick_json_text(z)) == NULL || !json_is_string(j))
		abort();
	json_decref(j);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t n, small = size > 0 ? data[0] : 0;
	char *out, *cut;

	if ((out = malloc(CERTPICK_TEXT_MAX(size))) == NULL || (cut = malloc(small + 1)) == NULL) {
		free(out);
		return 0;
	}
	n = certpick_text_utf8(out, CERTPICK_TEXT_MAX(size), in, size);
	if (n > 4 * size || n != strlen(out) || certpick_text_utf8(NULL, 0, in, size) != n)
		abort();
	if (!is_plain_utf8(out, n))
		abort();
	if (is_plain_utf8(in, size) && (n != size || memcmp(out, in, size) != 0))
		abort();
	if (certpick_text_utf8(cut, small + 1, in, size) != n || strlen(cut) > small ||
	    strncmp(cut, out, strlen(cut)) != 0 || !is_plain_utf8(cut, strlen(cut)))
		abort();
	check_json_text(in, size);
	free(cut);
	free(out);
	return 0;
}
