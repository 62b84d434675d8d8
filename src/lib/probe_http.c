/*
 * The HTTP/1.x answer a probe reads after its request: status, reason,
 * Server, the body's <title>, and whether the page is one of the known
 * "certificate required" / "certificate refused" pages. Pure, bounded input
 * (the engine reads at most CP_HTTP_MAX bytes).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *
find_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/*
 * One line of text from the server, for terminals, logs and JSON: whitespace
 * runs folded to one space and controls escaped (certpick_text_escape), at
 * most 200 bytes.
 */
static char *
collapse(const char *s, size_t n)
{
	char *d = cp_malloc(201);

	if (d != NULL)
		(void)certpick_text_escape(d, 201, s, n, CERTPICK_TEXT_FOLD);
	return d;
}

/* see internal.h */
const char *
cp_http_header(const char *hdrs, size_t len, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	for (const char *p = hdrs; p < hdrs + len;) {
		const char *eol = memchr(p, '\n', (size_t)(hdrs + len - p));
		size_t l = (size_t)((eol != NULL ? eol : hdrs + len) - p);

		if (l > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (v < p + l && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(p + l - v);
			while (*vlen > 0 && (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return NULL;
}

static void
classify(struct certpick_probe_http *h, const char *body, size_t blen)
{
	const char *t = h->title != NULL ? h->title : "";

	/* nginx: 400 "No required SSL certificate was sent" (error 496) */
	if (h->status == 400 && strstr(t, "No required SSL certificate was sent") != NULL)
		h->cert_required_page = true;
	/* Apache, TLS 1.3 client without post_handshake_auth */
	if (h->status == 403 && find_ci(body, blen, "Cannot perform Post-Handshake Authentication"))
		h->cert_required_page = true;
	/* IIS 403.7 "Client certificate required" */
	if (h->status == 403 &&
	    (find_ci(body, blen, "403.7") != NULL ||
		find_ci(body, blen, "Client certificate required") != NULL))
		h->cert_required_page = true;
	/* IIS over TLS 1.3 asking per path: 500 with ERROR_NOT_SUPPORTED */
	if (h->status == 500 && find_ci(body, blen, "0x80070032") != NULL)
		h->cert_required_page = true;
	/* nginx 400 "The SSL certificate error" (495); IIS 403.13/.16/.17 */
	if ((h->status == 400 && strstr(t, "The SSL certificate error") != NULL) ||
	    (h->status == 403 &&
		(find_ci(body, blen, "403.16") != NULL || find_ci(body, blen, "403.17") != NULL ||
		    find_ci(body, blen, "403.13") != NULL)))
		h->cert_error_page = true;
}

/* see internal.h */
int
cp_http_parse(const char *buf, size_t len, bool final, struct certpick_probe_http *h)
{
	const char *hdr_end, *sp, *eol, *v, *body, *t, *te;
	size_t hdr_len, blen, vlen;
	long content_length = -1;
	bool chunked = false, complete;

	if (len >= 5 && strncmp(buf, "HTTP/", 5) != 0)
		return -1;
	if (len < 5 && strncmp(buf, "HTTP/", len) != 0)
		return -1;
	if ((hdr_end = find_ci(buf, len, "\r\n\r\n")) != NULL)
		hdr_len = (size_t)(hdr_end - buf) + 4;
	else if ((hdr_end = find_ci(buf, len, "\n\n")) != NULL)
		hdr_len = (size_t)(hdr_end - buf) + 2;
	else if (!final)
		return 0;
	else
		hdr_len = len;
	/* "HTTP/1.1 400 Bad Request" */
	eol = memchr(buf, '\n', hdr_len);
	sp = memchr(buf, ' ', eol != NULL ? (size_t)(eol - buf) : hdr_len);
	if (sp == NULL || sp + 4 > buf + hdr_len || !isdigit((unsigned char)sp[1]) ||
	    !isdigit((unsigned char)sp[2]) || !isdigit((unsigned char)sp[3]))
		return final || eol != NULL ? -1 : 0;
	h->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
	free(h->reason);
	h->reason = NULL;
	if (sp + 4 < buf + hdr_len && sp[4] == ' ') {
		const char *r = sp + 5, *re = eol != NULL ? eol : buf + hdr_len;

		if ((h->reason = collapse(r, (size_t)(re - r))) == NULL)
			return -2;
	}
	if ((v = cp_http_header(buf, hdr_len, "Content-Length", &vlen)) != NULL) {
		content_length = 0;
		for (size_t i = 0;
		     i < vlen && isdigit((unsigned char)v[i]) && content_length < (1L << 30); i++)
			content_length = content_length * 10 + (v[i] - '0');
	}
	if ((v = cp_http_header(buf, hdr_len, "Transfer-Encoding", &vlen)) != NULL &&
	    find_ci(v, vlen, "chunked") != NULL)
		chunked = true;
	free(h->server);
	h->server = NULL;
	if ((v = cp_http_header(buf, hdr_len, "Server", &vlen)) != NULL &&
	    (h->server = collapse(v, vlen)) == NULL)
		return -2;
	body = buf + hdr_len;
	blen = len - hdr_len;
	if (content_length >= 0)
		complete = blen >= (size_t)content_length;
	else if (chunked)
		complete = find_ci(body, blen, "\r\n0\r\n\r\n") != NULL ||
		    (blen >= 5 && strncmp(body, "0\r\n\r\n", 5) == 0);
	else
		complete = false; /* until EOF: we sent Connection: close */
	if (!complete && !final)
		return 0;
	free(h->title);
	h->title = NULL;
	if ((t = find_ci(body, blen, "<title>")) != NULL) {
		t += 7;
		te = find_ci(t, (size_t)(body + blen - t), "</title>");
		if ((h->title = collapse(t,
			 te != NULL ? (size_t)(te - t) : (size_t)(body + blen - t))) == NULL)
			return -2;
	}
	classify(h, body, blen);
	return 1;
}

/* see internal.h */
void
cp_http_release(struct certpick_probe_http *h)
{
	free(h->reason);
	free(h->title);
	free(h->server);
	memset(h, 0, sizeof(*h));
}
