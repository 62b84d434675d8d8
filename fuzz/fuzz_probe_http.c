/*
 * Target functions: cp_http_parse, cp_http_release (probe_http.c), which read
 * the bytes a probed server answers with.
 * Input: first byte: bit 0 = final (EOF reached); the rest is the answer,
 * parsed whole and also cut at every 64th byte as the engine reads it.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certpick_probe_http h = { 0 };
	char *buf;

	if (size < 1 || size - 1 > CP_HTTP_MAX)
		return 0;
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	for (size_t k = 64; k < size - 1; k += 64)
		if (cp_http_parse(buf, k, false, &h) != 0)
			break;
	cp_http_release(&h);
	if (cp_http_parse(buf, size - 1, data[0] & 1, &h) == 1 && (h.status < 0 || h.status > 999))
		abort();
	cp_http_release(&h);
	free(buf);
	return 0;
}
