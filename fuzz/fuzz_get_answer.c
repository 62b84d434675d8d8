/*
 * Target functions: cp_get_answer (get.c: head/body split, chunked decoding),
 * after cp_http_parse (probe_http.c), on the bytes a server answers `get` with;
 * cp_chunk_feed (get.c: the incremental chunk walk get's read loop feeds).
 * Input: the whole answer as read (the read ended: final). The walk fed the
 * answer in two pieces (split at the first byte's value) must decode what
 * one call does.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "certpick/get.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
split_differs(const char *b, size_t len, size_t cut)
{
	struct cp_chunk_walk w1 = { 0 }, w2 = { 0 };
	unsigned char *o1 = malloc(len + 1), *o2 = malloc(len + 1);
	size_t n1, n2;
	bool differs = false;

	if (o1 != NULL && o2 != NULL) {
		n1 = cp_chunk_feed(&w1, b, len, o1);
		n2 = cp_chunk_feed(&w2, b, cut, o2);
		n2 += cp_chunk_feed(&w2, b + cut, len - cut, o2 + n2);
		differs = n1 != n2 || n1 > len || w1.state != w2.state || memcmp(o1, o2, n1) != 0;
	}
	free(o1);
	free(o2);
	return differs;
}

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
	if (size > 0 && split_differs(buf, size, data[0] % size))
		abort();
out:
	free(buf);
	certpick_get_result_free(res);
	return 0;
}
