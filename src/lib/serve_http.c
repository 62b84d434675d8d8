/*
 * serve: HTTP/1.1 requests, parsed with the packaged http_parser (never by
 * hand), with caps on header and body size; request-target normalization for
 * path matching; Accept negotiation. Pure: no I/O, no TLS. Fuzzed by
 * fuzz/fuzz_serve_request.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

static struct cp_http_req *
req_of(http_parser *p)
{
	return p->data;
}

/*
 * Stop the parser with an error. Not 1: from on_headers_complete http_parser
 * reads 1 as "no body" (and 2 as "upgrade") and goes on to
 * on_message_complete, which would turn the error into a finished request
 * and parse the declared body as the next one. Any other value is an error
 * from every callback.
 */
static int
fail(struct cp_http_req *r, int status)
{
	r->state = CP_HTTP_ERROR;
	r->error_status = status;
	return -1;
}

/* Headers count against one cap: request line, names, values. */
static int
count_header(struct cp_http_req *r, size_t len)
{
	r->header_bytes += len;
	if (r->header_bytes > r->max_header)
		return fail(r, 431);
	return 0;
}

static int
on_message_begin(http_parser *p)
{
	req_of(p)->started = true;
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct cp_http_req *r = req_of(p);
	char *grown;

	if (count_header(r, len) != 0)
		return -1;
	if ((grown = cp_realloc(r->url, r->url_len + len + 1)) == NULL)
		return fail(r, 500);
	memcpy(grown + r->url_len, at, len);
	r->url = grown;
	r->url_len += len;
	r->url[r->url_len] = '\0';
	return 0;
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct cp_http_req *r = req_of(p);

	if (count_header(r, len) != 0)
		return -1;
	if (r->field_done) {
		r->field_len = 0;
		r->field_done = false;
		r->field_is_accept = false;
	}
	/* a name longer than the buffer cannot be "accept": keep a marker byte */
	for (size_t i = 0; i < len; i++) {
		if (r->field_len < sizeof(r->field) - 1)
			r->field[r->field_len++] = (char)tolower((unsigned char)at[i]);
		else
			r->field[sizeof(r->field) - 2] = '#';
	}
	r->field[r->field_len] = '\0';
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct cp_http_req *r = req_of(p);
	char *grown;

	if (count_header(r, len) != 0)
		return -1;
	if (!r->field_done) {
		r->field_done = true;
		r->field_is_accept = strcmp(r->field, "accept") == 0;
		/* RFC 9110 5.3: a repeated field is the same as a comma-joined list */
		if (r->field_is_accept && r->accept_len > 0 &&
		    r->accept_len < CP_SERVE_MAX_ACCEPT) {
			r->accept[r->accept_len++] = ',';
			r->accept[r->accept_len] = '\0';
		}
	}
	if (!r->field_is_accept)
		return 0;
	if (r->accept_len + len > CP_SERVE_MAX_ACCEPT)
		len = CP_SERVE_MAX_ACCEPT - r->accept_len;
	if (r->accept == NULL && (r->accept = cp_malloc(CP_SERVE_MAX_ACCEPT + 2)) == NULL)
		return fail(r, 500);
	if ((grown = r->accept) != NULL && len > 0) {
		memcpy(grown + r->accept_len, at, len);
		r->accept_len += len;
	}
	r->accept[r->accept_len] = '\0';
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	struct cp_http_req *r = req_of(p);
	const char *m = http_method_str((enum http_method)p->method);

	snprintf(r->method, sizeof(r->method), "%s", m);
	if (p->method == HTTP_CONNECT)
		return fail(r, 501);
	if (p->http_major != 1)
		return fail(r, 505);
	if (p->content_length != (uint64_t)-1 && p->content_length > r->max_body)
		return fail(r, 413);
	if (r->url == NULL)
		return fail(r, 400);
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct cp_http_req *r = req_of(p);

	(void)at;
	r->body_bytes += len;
	if (r->body_bytes > r->max_body)
		return fail(r, 413);
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct cp_http_req *r = req_of(p);

	r->state = CP_HTTP_DONE;
	r->keep_alive = http_should_keep_alive(p) != 0;
	/* stop here: pipelined bytes wait until this request is answered */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
cp_http_req_init(struct cp_http_req *r, size_t max_header, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	r->max_header = max_header ? max_header : CP_SERVE_MAX_HEADER;
	r->max_body = max_body ? max_body : CP_SERVE_MAX_BODY;
	http_parser_init(&r->parser, HTTP_REQUEST);
	r->parser.data = r;
}

void
cp_http_req_release(struct cp_http_req *r)
{
	free(r->url);
	free(r->accept);
	r->url = NULL;
	r->accept = NULL;
	r->url_len = r->accept_len = 0;
}

void
cp_http_req_reset(struct cp_http_req *r)
{
	size_t mh = r->max_header, mb = r->max_body;

	cp_http_req_release(r);
	cp_http_req_init(r, mh, mb);
}

size_t
cp_http_req_feed(struct cp_http_req *r, const char *data, size_t len)
{
	size_t used;

	if (r->state != CP_HTTP_MORE || len == 0)
		return 0;
	used = http_parser_execute(&r->parser, &settings, data, len);
	if (r->state == CP_HTTP_DONE) {
		/* the byte that completed the message was consumed */
		return used;
	}
	if (r->state == CP_HTTP_MORE && HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) {
		r->state = CP_HTTP_ERROR;
		r->error_status = HTTP_PARSER_ERRNO(&r->parser) == HPE_HEADER_OVERFLOW ? 431 : 400;
	}
	return used;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* see serve_internal.h */
char *
cp_http_path_normalize(const char *target, size_t len)
{
	struct http_parser_url u;
	const char *p;
	size_t plen;
	char *dec = NULL, *out = NULL;
	size_t n = 0, o = 0;

	if (len == 0 || target[0] == '*')
		return NULL;
	http_parser_url_init(&u);
	if (http_parser_parse_url(target, len, 0, &u) != 0)
		return NULL;
	if (u.field_set & (1 << UF_PATH)) {
		p = target + u.field_data[UF_PATH].off;
		plen = u.field_data[UF_PATH].len;
	} else {
		p = "/";
		plen = 1;
	}
	if ((dec = cp_malloc(plen + 2)) == NULL || (out = cp_malloc(plen + 2)) == NULL)
		goto fail;
	for (size_t i = 0; i < plen; i++) {
		char c = p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= plen)
				goto fail;
			if ((hi = hexval(p[i + 1])) < 0 || (lo = hexval(p[i + 2])) < 0)
				goto fail;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			goto fail;
		dec[n++] = c;
	}
	dec[n] = '\0';
	if (n == 0 || dec[0] != '/')
		goto fail;
	/* RFC 3986 5.2.4 remove_dot_segments, plus folding of empty segments */
	out[o++] = '/';
	for (size_t i = 0; i < n;) {
		size_t s, e;

		while (i < n && dec[i] == '/')
			i++;
		s = i;
		while (i < n && dec[i] != '/')
			i++;
		e = i;
		if (e == s || (e - s == 1 && dec[s] == '.'))
			continue;
		if (e - s == 2 && dec[s] == '.' && dec[s + 1] == '.') {
			if (o > 1) {
				o--;
				while (o > 1 && out[o - 1] != '/')
					o--;
			}
			continue;
		}
		if (o > 1 && out[o - 1] != '/')
			out[o++] = '/';
		memcpy(out + o, dec + s, e - s);
		o += e - s;
	}
	/* keep a trailing slash: "/secure/" stays distinct for the page, not for matching */
	if (n > 1 && dec[n - 1] == '/' && out[o - 1] != '/')
		out[o++] = '/';
	out[o] = '\0';
	free(dec);
	return out;
fail:
	free(dec);
	free(out);
	return NULL;
}

/* see serve_internal.h */
bool
cp_http_path_covered(const char *prefix, const char *path)
{
	size_t pl;

	if (prefix == NULL || path == NULL)
		return false;
	pl = strlen(prefix);
	while (pl > 1 && prefix[pl - 1] == '/')
		pl--;
	if (pl == 1 && prefix[0] == '/')
		return path[0] == '/';
	if (strncmp(prefix, path, pl) != 0)
		return false;
	return path[pl] == '\0' || path[pl] == '/';
}

/* q value of one media range's parameters ("; q=0.5"); 1000 = 1.0 */
static int
qvalue(const char *params, const char *end)
{
	const char *p = params;

	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			int q = 0, scale = 1000;

			p += 2;
			if (p < end && *p == '1')
				return 1000;
			if (p >= end || *p != '0')
				return 0;
			p++;
			if (p < end && *p == '.') {
				p++;
				for (int k = 0; k < 3 && p < end && isdigit((unsigned char)*p);
				     k++, p++) {
					scale /= 10;
					q += (*p - '0') * scale;
				}
			}
			return q;
		}
		while (p < end && *p != ';')
			p++;
	}
	return 1000;
}

static bool
range_is(const char *s, const char *e, const char *what)
{
	size_t n = strlen(what);

	return (size_t)(e - s) == n && strncasecmp(s, what, n) == 0;
}

/* see serve_internal.h */
bool
cp_http_wants_json(const char *accept)
{
	int q_json = -1, q_html = -1, q_app_any = -1, q_text_any = -1;

	if (accept == NULL)
		return false;
	for (const char *p = accept; *p != '\0';) {
		const char *item = p, *end, *type_end;
		int q;

		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		if (*p == ',')
			p++;
		while (item < end && (*item == ' ' || *item == '\t'))
			item++;
		type_end = item;
		while (type_end < end && *type_end != ';' && *type_end != ' ' && *type_end != '\t')
			type_end++;
		q = qvalue(type_end, end);
		if (range_is(item, type_end, "application/json"))
			q_json = q > q_json ? q : q_json;
		else if (range_is(item, type_end, "text/html"))
			q_html = q > q_html ? q : q_html;
		else if (range_is(item, type_end, "application/*"))
			q_app_any = q > q_app_any ? q : q_app_any;
		else if (range_is(item, type_end, "text/*"))
			q_text_any = q > q_text_any ? q : q_text_any;
	}
	if (q_json < 0)
		q_json = q_app_any;
	if (q_html < 0)
		q_html = q_text_any;
	return q_json > 0 && q_json > q_html;
}
