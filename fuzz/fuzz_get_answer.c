/*
 * Target functions: cp_get_answer (get.c: head/body split, chunked decoding),
 * after cp_http_parse (probe_http.c), on the bytes a server answers `get` with.
 * Input: the whole answer as read (the read ended: final).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "certpick/get.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certpick_get_result *res = calloc(1, sizeof(*res));
	char *buf = malloc(size + 1);

	if (res == NULL || buf == NULL || size > CP_HTTP_MAX)
		goto out;
	memcpy(buf, data, size);
	if (cp_http_parse(buf, size, true, &res->http) == 1 && cp_get_answer(res, buf, size) == 0) {
		if (res->body_len > size || res->body[res->body_len] != '\0' ||
		    strlen(res->head) > size)
			abort();
	}
out:
	free(buf);
	certpick_get_result_free(res);
	return 0;
}
