/*
 * Target functions: cp_http_req_feed (http_parser callbacks, header and body
 * caps, pipelining), cp_http_path_normalize, cp_http_path_covered,
 * cp_http_wants_json (serve_http.c).
 * Input: first byte picks the chunk size the bytes are fed in (1..256) and
 * the caps; the rest is what a client sends after the TLS handshake.
 */
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_request(const struct cp_http_req *r)
{
	char *path;

	if (r->state != CP_HTTP_DONE)
		return;
	(void)cp_http_wants_json(r->accept);
	if ((path = cp_http_path_normalize(r->url, r->url_len)) == NULL)
		return;
	/* a normalized path is absolute, has no dot segments and no "//" */
	if (path[0] != '/' || strstr(path, "//") != NULL || strstr(path, "/../") != NULL ||
	    strstr(path, "/./") != NULL)
		abort();
	(void)cp_http_path_covered("/secure", path);
	(void)cp_http_path_covered("/", path);
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_http_req r;
	size_t chunk, off = 0, max_header, max_body;
	const char *p = (const char *)data + 1;
	size_t len;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] & 0xff) + 1;
	max_header = data[0] & 0x80 ? 512 : 0;
	max_body = data[0] & 0x40 ? 16 : 0;
	len = size - 1;
	cp_http_req_init(&r, max_header, max_body);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t used = cp_http_req_feed(&r, p + off, n);

		if (used > n)
			abort();
		if (r.state == CP_HTTP_ERROR)
			break;
		if (r.state == CP_HTTP_DONE) {
			one_request(&r);
			if (!r.keep_alive)
				break;
			cp_http_req_reset(&r);
		} else if (used < n) {
			break;
		}
		if (r.header_bytes > r.max_header)
			abort();
		off += used;
		if (used == 0 && r.state == CP_HTTP_MORE)
			break;
	}
	cp_http_req_release(&r);
	return 0;
}
