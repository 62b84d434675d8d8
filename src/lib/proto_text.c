/*
 * What the text protocols share (proto.h): one line, one SMTP/FTP-style
 * reply, and the small helpers every layer uses to fill its verdict. Pure:
 * no I/O; allocation only into the caller's buffers and verdict strings.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

/* see proto.h */
int
cp_proto_line(const uint8_t *in, size_t len, size_t *line_len, size_t *used)
{
	/* the text, an optional CR and the LF; memchr: a server dripping a long
	 * reply byte by byte makes the caller rescan it on every read */
	size_t scan = len < CP_PROTO_MAX_LINE + 2 ? len : CP_PROTO_MAX_LINE + 2;
	const uint8_t *lf = memchr(in, '\n', scan);
	size_t i = lf != NULL ? (size_t)(lf - in) : scan;

	if (memchr(in, '\0', i) != NULL)
		return -1;
	if (lf == NULL)
		return scan < len || len >= CP_PROTO_MAX_LINE + 2 ? -1 : 0;
	*used = i + 1;
	*line_len = i > 0 && in[i - 1] == '\r' ? i - 1 : i;
	return *line_len > CP_PROTO_MAX_LINE ? -1 : 1;
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* "ddd" then ' ', '-' or the end of the line: the code, else -1 */
static int
line_code(const uint8_t *l, size_t n, bool *more)
{
	if (n < 3 || !is_digit(l[0]) || !is_digit(l[1]) || !is_digit(l[2]))
		return -1;
	if (n > 3 && l[3] != ' ' && l[3] != '-')
		return -1;
	*more = n > 3 && l[3] == '-';
	return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

static void
add_text(struct cp_buf *text, size_t mark, const uint8_t *s, size_t n)
{
	if (text == NULL)
		return;
	if (text->len > mark)
		cp_buf_add(text, " ", 1);
	cp_buf_add(text, s, n);
}

/*
 * RFC 5321 4.2.1: every line carries the code, '-' on all but the last.
 * RFC 959 4.2: an FTP server may send lines without a code between the first
 * and the last ("211-Features:\r\n MDTM\r\n211 End"); they are text. A line
 * that starts like a reply ("ddd " or "ddd-") with another code is malformed.
 */
static int
reply_walk(const uint8_t *in, size_t len, int *code, struct cp_buf *text, size_t mark, size_t *used,
    struct cp_proto_scan *at)
{
	size_t off = at->off;
	int first = at->first;

	for (unsigned lines = at->lines; lines < CP_PROTO_MAX_LINES; lines++) {
		size_t n, u;
		int rc = cp_proto_line(in + off, len - off, &n, &u), c;
		const uint8_t *l = in + off;
		bool more = false;

		if (rc == 0)
			*at = (struct cp_proto_scan){ .off = off, .first = first, .lines = lines };
		if (rc <= 0)
			return rc;
		off += u;
		c = line_code(l, n, &more);
		if (first < 0 && c < 0)
			return -1;
		if (first >= 0 && c < 0) { /* RFC 959 text line, often indented */
			while (n > 0 && (*l == ' ' || *l == '\t')) {
				l++;
				n--;
			}
			add_text(text, mark, l, n);
			continue;
		}
		if (first >= 0 && c != first)
			return -1;
		first = c;
		add_text(text, mark, l + (n > 4 ? 4 : n), n > 4 ? n - 4 : 0);
		if (!more) {
			*code = c;
			*used = off;
			return 1;
		}
	}
	return -1;
}

/* see proto.h */
int
cp_proto_reply(const uint8_t *in, size_t len, struct cp_proto_scan *scan, int *code,
    struct cp_buf *text, size_t *used)
{
	size_t mark = text != NULL ? text->len : 0;
	struct cp_proto_scan from = { .first = -1 }, start = { .first = -1 };
	int rc;

	if (scan != NULL && scan->off > 0 && scan->off <= len)
		from = *scan;
	/* whether the reply is whole first (from where the last call stopped),
	 * the text only then, from its start */
	rc = reply_walk(in, len, code, NULL, mark, used, &from);
	if (rc == 1 && text != NULL)
		rc = reply_walk(in, len, code, text, mark, used, &start);
	if (scan != NULL)
		*scan = rc == 0 ? from : (struct cp_proto_scan){ 0 };
	if (rc != 1 && text != NULL && text->len > mark) {
		text->len = mark;
		text->p[mark] = '\0';
	}
	return rc;
}

/* see proto.h */
void
cp_proto_set(char **field, const void *s, size_t len)
{
	char *p = cp_malloc(len + 1);

	free(*field);
	*field = p;
	if (p == NULL)
		return;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\t' || p[i] == '\0')
			p[i] = ' ';
}

/* see proto.h */
int
cp_proto_take(char **field, char *s)
{
	if (s == NULL) {
		free(*field);
		*field = NULL;
		return -1;
	}
	cp_proto_set(field, s, strlen(s));
	free(s);
	return *field != NULL ? 0 : -1;
}

/* see proto.h */
enum cp_proto_act
cp_proto_fail(struct cp_proto_verdict *v, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = cp_vasprintf(fmt, ap);
	va_end(ap);
	if (s != NULL) /* the server's words may be in it: one line */
		cp_proto_set(&v->text, s, strlen(s));
	free(s);
	return CP_PROTO_FAIL;
}

/* see proto.h */
void
cp_proto_sasl_ir(struct cp_buf *out, const char *s)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = s != NULL ? strlen(s) : 0;
	const uint8_t *p = (const uint8_t *)s;

	if (n == 0) {
		cp_buf_add(out, "=", 1);
		return;
	}
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;
		char q[4];

		w |= i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0;
		w |= i + 2 < n ? p[i + 2] : 0;
		q[0] = b64[(w >> 18) & 63];
		q[1] = b64[(w >> 12) & 63];
		q[2] = i + 1 < n ? b64[(w >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[w & 63] : '=';
		cp_buf_add(out, q, 4);
	}
}

/* see proto.h */
void
cp_proto_word(struct cp_buf *list, const char *word, size_t len)
{
	if (len == 0)
		return;
	if (list->len > 0)
		cp_buf_add(list, " ", 1);
	for (size_t i = 0; i < len; i++) /* one line: controls become '?' */
		cp_buf_add(list, (unsigned char)word[i] < 0x20 ? "?" : &word[i], 1);
}

/* see proto.h */
bool
cp_proto_unsafe(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* see proto.h */
enum cp_proto_act
cp_proto_closed(struct cp_proto_verdict *v, size_t pending, const char *what)
{
	if (pending > 0)
		return cp_proto_fail(v, "the server closed the connection in the middle of %s",
		    what);
	v->outcome = CP_PROTO_UNKNOWN;
	v->code = -1;
	free(v->text);
	v->text = cp_asprintf("the server closed the connection before %s", what);
	return CP_PROTO_DONE;
}

/* see proto.h */
size_t
cp_proto_cap_line(struct cp_buf *caps, const char *l, size_t n, const char *sasl_kw, bool *external)
{
	struct cp_buf w = { 0 };
	size_t k = 0, i, kw = strlen(sasl_kw);

	while (k < n && l[k] != ' ' && l[k] != '=')
		k++;
	if (k != kw || strncasecmp(l, sasl_kw, kw) != 0) {
		cp_buf_add(&w, l, k);
		for (i = k; i < n; i++)
			cp_buf_add(&w, i == k ? "=" : (l[i] == ' ' ? "," : &l[i]), 1);
		if (!w.nomem)
			cp_proto_word(caps, w.p, w.len);
		cp_buf_free(&w);
		return k;
	}
	for (i = k + 1; i < n; i = k + 1) {
		for (k = i; k < n && l[k] != ' '; k++)
			;
		if (k == i)
			continue;
		cp_buf_reset(&w);
		cp_buf_printf(&w, "%s=%.*s", sasl_kw, (int)(k - i), l + i);
		if (!w.nomem)
			cp_proto_word(caps, w.p, w.len);
		if (k - i == 8 && strncasecmp(l + i, "EXTERNAL", 8) == 0)
			*external = true;
	}
	cp_buf_free(&w);
	return kw;
}
