/*
 * xmpp:// client-to-server (RFC 6120, 5222): open the stream (to= the
 * server name), read <stream:features>, <starttls/>, <proceed/> or
 * <failure/>, a new stream after TLS, the SASL <mechanisms>, then
 * <auth mechanism='EXTERNAL'> (XEP-0178; "=" or the base64 authzid) and
 * <success/> or <failure><reason/></failure> (the reason's name is the
 * text; any other answer is a refusal named by its element). The stream is closed with </stream:stream>. Pure (proto.h).
 *
 * A small XML tokenizer of its own: elements, attributes quoted with ' or ",
 * self-closing tags, text, names compared as written ("stream:features", no
 * namespace resolution). RFC 6120 11.1 restricts XMPP's XML: no comments,
 * processing instructions (but the XML declaration), DTDs or entities other
 * than the five predefined and character references; the tokenizer refuses
 * them. It caps depth, names, attributes, tags and text; the engine caps
 * what is pending. The layer consumes the declaration, the stream header and
 * whole top-level elements only.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "proto.h"

#define XML_MAX_DEPTH 16
#define XML_MAX_NAME 256
#define XML_MAX_ATTRS 32
#define XML_MAX_TAG CP_PROTO_MAX_LINE /* one tag or one text run */
#define XML_MAX_TOKENS 4096	      /* of one top-level element */

enum xml_kind {
	XML_DECL = 1, /* <?xml ...?> */
	XML_OPEN,
	XML_EMPTY, /* <a/> */
	XML_CLOSE,
	XML_TEXT,
};

struct xml_token {
	enum xml_kind kind;
	const uint8_t *name;
	size_t name_len;
	size_t len; /* bytes of the token */
};

static bool
name_start(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	    c >= 0x80;
}

static bool
name_char(uint8_t c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool
xml_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
eq(const uint8_t *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* s[0] == '&': a predefined entity or a character reference, else -1 */
static int
reference(const uint8_t *s, size_t n, size_t *adv)
{
	static const char *const named[] = { "lt", "gt", "amp", "apos", "quot" };
	size_t end, i;

	for (end = 1; end < n && end < 12 && s[end] != ';'; end++)
		;
	if (end == n)
		return 0;
	if (s[end] != ';' || end == 1)
		return -1;
	*adv = end + 1;
	for (i = 0; i < CP_NELEM(named); i++)
		if (eq(s + 1, end - 1, named[i]))
			return 1;
	if (s[1] != '#' || end < 3)
		return -1;
	for (i = s[2] == 'x' ? 3 : 2; i < end; i++) {
		uint8_t c = s[i];

		if (!((c >= '0' && c <= '9') ||
			(s[2] == 'x' && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))))
			return -1;
	}
	return i > (s[2] == 'x' ? 3u : 2u) ? 1 : -1;
}

/* character data up to '<' (or the end: 0): NUL and unknown entities refused */
static int
scan_chars(const uint8_t *p, size_t len, size_t *i, uint8_t stop)
{
	while (*i < len) {
		size_t adv = 1;
		int rc = 1;

		if (p[*i] == stop)
			return 1;
		if (p[*i] == '\0' || (stop != '<' && p[*i] == '<'))
			return -1;
		if (p[*i] == '&' && (rc = reference(p + *i, len - *i, &adv)) <= 0)
			return rc;
		*i += adv;
	}
	return 0;
}

static int
scan_name(const uint8_t *p, size_t len, size_t *i)
{
	size_t start = *i;

	if (*i >= len)
		return 0;
	if (!name_start(p[*i]))
		return -1;
	while (*i < len && name_char(p[*i]))
		if (++*i - start > XML_MAX_NAME)
			return -1;
	return *i < len ? 1 : 0;
}

static void
skip_space(const uint8_t *p, size_t len, size_t *i)
{
	while (*i < len && xml_space(p[*i]))
		(*i)++;
}

/* name='value' pairs, then '>' or '/>' */
static int
scan_attrs(const uint8_t *p, size_t len, size_t *i, struct xml_token *t)
{
	int rc;

	for (unsigned n = 0;; n++) {
		size_t before = *i;

		skip_space(p, len, i);
		if (*i + 1 < len && p[*i] == '/' && p[*i + 1] == '>') {
			t->kind = XML_EMPTY;
			*i += 2;
			return 1;
		}
		if (*i < len && p[*i] == '>') {
			t->kind = XML_OPEN;
			*i += 1;
			return 1;
		}
		if (*i + 1 >= len)
			return 0;
		if (n >= XML_MAX_ATTRS || *i == before) /* attributes need a space first */
			return -1;
		if ((rc = scan_name(p, len, i)) <= 0)
			return rc;
		skip_space(p, len, i);
		if (*i >= len)
			return 0;
		if (p[(*i)++] != '=')
			return -1;
		skip_space(p, len, i);
		if (*i >= len)
			return 0;
		if (p[*i] != '\'' && p[*i] != '"')
			return -1;
		(*i)++;
		if ((rc = scan_chars(p, len, i, p[*i - 1])) <= 0)
			return rc;
		(*i)++;
	}
}

static int
scan_tag(const uint8_t *p, size_t len, struct xml_token *t)
{
	size_t i = 1;
	int rc;

	if (len < 2)
		return 0;
	if (p[1] == '!') /* comment, CDATA, DOCTYPE: RFC 6120 11.1 */
		return -1;
	if (p[1] == '?') { /* only the XML declaration */
		for (i = 2; i + 1 < len; i++)
			if (p[i] == '?' && p[i + 1] == '>')
				break;
		if (i + 1 >= len)
			return 0;
		if (len < 6 || memcmp(p, "<?xml", 5) != 0 || !xml_space(p[5]))
			return -1;
		t->kind = XML_DECL;
		t->len = i + 2;
		return 1;
	}
	if (p[1] == '/')
		i = 2;
	t->name = p + i;
	if ((rc = scan_name(p, len, &i)) <= 0)
		return rc;
	t->name_len = (size_t)(p + i - t->name);
	if (p[1] == '/') {
		skip_space(p, len, &i);
		if (i >= len)
			return 0;
		if (p[i] != '>')
			return -1;
		t->kind = XML_CLOSE;
		t->len = i + 1;
		return 1;
	}
	if ((rc = scan_attrs(p, len, &i, t)) <= 0)
		return rc;
	t->len = i;
	return 1;
}

/* one token at in[0..len): 1, 0 (more bytes needed) or -1 */
static int
xml_next(const uint8_t *in, size_t len, struct xml_token *t)
{
	size_t cap = len < XML_MAX_TAG ? len : XML_MAX_TAG, i = 0;
	int rc;

	*t = (struct xml_token){ 0 };
	if (len == 0)
		return 0;
	if (in[0] == '<')
		rc = scan_tag(in, cap, t);
	else if ((rc = scan_chars(in, cap, &i, '<')) == 1) {
		t->kind = XML_TEXT;
		t->len = i;
	}
	return rc == 0 && cap < len ? -1 : rc;
}

/* what the layer learns from one top-level unit */
struct xml_unit {
	enum {
		U_DECL = 1,
		U_STREAM,
		U_STREAM_END,
		U_SPACE,
		U_ELEMENT
	} kind;
	const uint8_t *name, *child, *text;
	size_t name_len, child_len, text_len;
	size_t len;
	bool starttls, required, external;
	struct cp_buf caps; /* feature names and SASL=<mechanism> */
};

struct walk {
	const uint8_t *names[XML_MAX_DEPTH + 1];
	size_t lens[XML_MAX_DEPTH + 1];
	unsigned depth;
};

static bool
parent_is(const struct walk *w, unsigned d, const char *lit)
{
	return d <= w->depth && eq(w->names[d], w->lens[d], lit);
}

/* an element start at depth w->depth + 1 inside the top element */
static void
on_start(struct xml_unit *u, const struct walk *w, const struct xml_token *t)
{
	unsigned d = w->depth + 1;

	if (d == 2 && u->child == NULL) {
		u->child = t->name;
		u->child_len = t->name_len;
	}
	if (d == 2 && eq(t->name, t->name_len, "starttls"))
		u->starttls = true;
	if (d == 3 && parent_is(w, 2, "starttls") && eq(t->name, t->name_len, "required"))
		u->required = true;
	if (d == 2 && !eq(t->name, t->name_len, "mechanisms"))
		cp_proto_word(&u->caps, (const char *)t->name, t->name_len);
}

static void
on_text(struct xml_unit *u, const struct walk *w, const uint8_t *s, size_t n)
{
	if (w->depth == 3 && parent_is(w, 2, "mechanisms") && parent_is(w, 3, "mechanism")) {
		while (n > 0 && xml_space(*s)) {
			s++;
			n--;
		}
		while (n > 0 && xml_space(s[n - 1]))
			n--;
		struct cp_buf word = { 0 };

		cp_buf_printf(&word, "SASL=%.*s", (int)n, (const char *)s);
		if (!word.nomem)
			cp_proto_word(&u->caps, word.p, word.len);
		cp_buf_free(&word);
		u->external |= eq(s, n, "EXTERNAL");
	}
	if (w->depth == 2 && parent_is(w, 2, "text") && u->text == NULL) {
		u->text = s;
		u->text_len = n;
	}
}

/* the tokens of one element whose start tag t opens at in[0] */
static int
walk_element(const uint8_t *in, size_t len, const struct xml_token *t, struct xml_unit *u)
{
	struct walk w = { .names = { NULL, t->name }, .lens = { 0, t->name_len }, .depth = 1 };
	size_t off = t->len;

	for (unsigned n = 0; w.depth > 0; n++) {
		struct xml_token k;
		int rc = xml_next(in + off, len - off, &k);

		if (rc <= 0)
			return rc;
		if (n >= XML_MAX_TOKENS || k.kind == XML_DECL)
			return -1;
		if (k.kind == XML_TEXT)
			on_text(u, &w, in + off, k.len);
		if (k.kind == XML_OPEN || k.kind == XML_EMPTY)
			on_start(u, &w, &k);
		if (k.kind == XML_OPEN) {
			if (w.depth >= XML_MAX_DEPTH)
				return -1;
			w.depth++;
			w.names[w.depth] = k.name;
			w.lens[w.depth] = k.name_len;
		}
		if (k.kind == XML_CLOSE) {
			if (k.name_len != w.lens[w.depth] ||
			    memcmp(k.name, w.names[w.depth], k.name_len))
				return -1;
			w.depth--;
		}
		off += k.len;
	}
	u->len = off;
	return 1;
}

static bool
all_space(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!xml_space(s[i]))
			return false;
	return true;
}

/* the next unit at in[0]: 1, 0 (more bytes needed), -1 (not XMPP) */
static int
read_unit(const uint8_t *in, size_t len, bool in_stream, struct xml_unit *u)
{
	struct xml_token t;
	int rc = xml_next(in, len, &t);

	if (rc <= 0)
		return rc;
	u->len = t.len;
	u->name = t.name;
	u->name_len = t.name_len;
	if (t.kind == XML_TEXT && all_space(in, t.len))
		u->kind = U_SPACE;
	else if (!in_stream && t.kind == XML_DECL)
		u->kind = U_DECL;
	else if (!in_stream && t.kind == XML_OPEN && eq(t.name, t.name_len, "stream:stream"))
		u->kind = U_STREAM;
	else if (in_stream && t.kind == XML_CLOSE && eq(t.name, t.name_len, "stream:stream"))
		u->kind = U_STREAM_END;
	else if (in_stream && t.kind == XML_EMPTY)
		u->kind = U_ELEMENT;
	else if (in_stream && t.kind == XML_OPEN) {
		u->kind = U_ELEMENT;
		return walk_element(in, len, &t, u);
	} else
		return -1;
	return 1;
}

enum xmpp_phase {
	XMPP_OPEN = 0, /* say the stream header */
	XMPP_HEADER,   /* its answer: declaration, stream header */
	XMPP_FEATURES,
	XMPP_PROCEED,
	XMPP_HANDSHAKE,
	XMPP_AUTH,
	XMPP_CLOSED,
};

static const char *const waiting_for[] = {
	[XMPP_OPEN] = "the stream",
	[XMPP_HEADER] = "the stream header",
	[XMPP_FEATURES] = "the stream features",
	[XMPP_PROCEED] = "the STARTTLS answer",
	[XMPP_HANDSHAKE] = "the handshake",
	[XMPP_AUTH] = "the SASL EXTERNAL answer",
	[XMPP_CLOSED] = "the end",
};

struct xmpp {
	struct cp_proto_params p; /* copied at init; its strings stay borrowed */
	enum xmpp_phase phase;
	bool tls;
	unsigned challenges;
};

#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"

static void
xmpp_init(void *vs, const struct cp_proto_params *p)
{
	struct xmpp *st = vs;

	st->p = *p;
}

static const char *
domain(const struct xmpp *st)
{
	return st->p.servername != NULL ? st->p.servername : st->p.host != NULL ? st->p.host : "";
}

static void
escaped(struct cp_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': cp_buf_str(out, "&amp;"); break;
		case '<': cp_buf_str(out, "&lt;"); break;
		case '>': cp_buf_str(out, "&gt;"); break;
		case '\'': cp_buf_str(out, "&apos;"); break;
		case '"': cp_buf_str(out, "&quot;"); break;
		default: cp_buf_add(out, s, 1); break;
		}
	}
}

static enum cp_proto_act
say(struct xmpp *st, enum xmpp_phase next, struct cp_buf *out, const char *s)
{
	cp_buf_str(out, s);
	st->phase = next;
	return CP_PROTO_WRITE;
}

static enum cp_proto_act
open_stream(struct xmpp *st, struct cp_buf *out)
{
	cp_buf_str(out,
	    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' to='");
	escaped(out, domain(st));
	return say(st, XMPP_HEADER, out, "' version='1.0'>");
}

static enum cp_proto_act
close_stream(struct xmpp *st, struct cp_buf *out)
{
	return say(st, XMPP_CLOSED, out, "</stream:stream>");
}

static void
verdict(struct cp_proto_verdict *v, enum cp_proto_outcome o, const char *text, size_t n)
{
	v->outcome = o;
	v->code = -1;
	cp_proto_set(&v->text, text, n);
}

/* "not-authorized: the text", the predefined entities decoded */
static void
reason(struct cp_proto_verdict *v, enum cp_proto_outcome o, const struct xml_unit *u)
{
	static const char *const ent[][2] = {
		{ "&lt;", "<" },
		{ "&gt;", ">" },
		{ "&amp;", "&" },
		{ "&apos;", "'" },
		{ "&quot;", "\"" },
	};
	struct cp_buf t = { 0 };

	cp_buf_add(&t, u->child != NULL ? u->child : u->name,
	    u->child != NULL ? u->child_len : u->name_len);
	if (u->text != NULL && u->text_len > 0)
		cp_buf_str(&t, ": ");
	for (size_t i = 0; u->text != NULL && i < u->text_len; i++) {
		size_t e = 0;

		while (e < CP_NELEM(ent) &&
		    (u->text_len - i < strlen(ent[e][0]) ||
			memcmp(u->text + i, ent[e][0], strlen(ent[e][0])) != 0))
			e++;
		cp_buf_str(&t, e < CP_NELEM(ent) ? ent[e][1] : "");
		if (e < CP_NELEM(ent))
			i += strlen(ent[e][0]) - 1;
		else
			cp_buf_add(&t, u->text + i, 1);
	}
	verdict(v, o, t.nomem ? "" : t.p, t.nomem ? 0 : t.len);
	cp_buf_free(&t);
}

static enum cp_proto_act
authenticate(struct xmpp *st, struct cp_buf *out, struct cp_proto_verdict *v)
{
	static const char *const none = "SASL EXTERNAL not offered";

	if (!v->offers_external) { /* tried without a certificate too: the refusal is the answer */
		verdict(v, CP_PROTO_NOT_OFFERED, none, strlen(none));
		return close_stream(st, out);
	}
	v->sent_auth = true;
	cp_buf_str(out, "<auth xmlns='" NS_SASL "' mechanism='EXTERNAL'>");
	cp_proto_sasl_ir(out, st->p.user);
	return say(st, XMPP_AUTH, out, "</auth>");
}

static enum cp_proto_act
features(struct xmpp *st, struct xml_unit *u, struct cp_buf *out, struct cp_proto_verdict *v)
{
	static const char *const no_tls = "STARTTLS not offered";

	free(v->capabilities);
	v->capabilities = cp_buf_release(&u->caps);
	if (!st->tls && u->starttls)
		return say(st, XMPP_PROCEED, out, "<starttls xmlns='" NS_TLS "'/>");
	if (!st->tls) {
		verdict(v, CP_PROTO_NO_TLS, no_tls, strlen(no_tls));
		return close_stream(st, out);
	}
	v->offers_external = u->external;
	return authenticate(st, out, v);
}

static enum cp_proto_act
on_element(struct xmpp *st, struct xml_unit *u, struct cp_buf *out, struct cp_proto_verdict *v)
{
	if (eq(u->name, u->name_len, "stream:error")) { /* RFC 6120 4.9: then the stream ends */
		reason(v, CP_PROTO_REFUSED, u);
		return CP_PROTO_DONE;
	}
	if (st->phase == XMPP_FEATURES && eq(u->name, u->name_len, "stream:features"))
		return features(st, u, out, v);
	if (st->phase == XMPP_PROCEED && eq(u->name, u->name_len, "proceed")) {
		st->phase = XMPP_HANDSHAKE;
		return CP_PROTO_STARTTLS;
	}
	if (st->phase == XMPP_PROCEED && eq(u->name, u->name_len, "failure")) {
		reason(v, CP_PROTO_NO_TLS, u); /* RFC 6120 5.4.2.2: the server closes */
		return CP_PROTO_DONE;
	}
	if (st->phase == XMPP_AUTH && eq(u->name, u->name_len, "challenge"))
		return say(st, XMPP_AUTH, out,
		    st->challenges++ == 0 ? "<response xmlns='" NS_SASL "'>=</response>" :
					    "<abort xmlns='" NS_SASL "'/>");
	if (st->phase == XMPP_AUTH && eq(u->name, u->name_len, "success")) {
		verdict(v, CP_PROTO_ACCEPTED, "success", 7);
		if (st->p.user != NULL && st->p.user[0] != '\0')
			cp_proto_set(&v->identity, st->p.user, strlen(st->p.user));
		return close_stream(st, out);
	}
	if (st->phase == XMPP_AUTH && eq(u->name, u->name_len, "failure")) {
		reason(v, CP_PROTO_REFUSED, u); /* RFC 6120 6.5 */
		return close_stream(st, out);
	}
	if (st->phase == XMPP_AUTH) {
		/* not <success/>: no authentication, in the server's word (Prosody 0.12
		 * answers an expired certificate with <false/>, its condition's name) */
		reason(v, CP_PROTO_REFUSED, u);
		return close_stream(st, out);
	}
	return cp_proto_fail(v, "unexpected <%.*s> (waiting for %s)",
	    (int)(u->name_len > 64 ? 64 : u->name_len), (const char *)u->name,
	    waiting_for[st->phase]);
}

static enum cp_proto_act
on_unit(struct xmpp *st, struct xml_unit *u, struct cp_buf *out, struct cp_proto_verdict *v)
{
	switch (u->kind) {
	case U_SPACE:
	case U_DECL: return CP_PROTO_READ;
	case U_STREAM:
		if (!st->tls || v->banner == NULL)
			cp_proto_set(&v->banner, u->name - 1, u->len);
		st->phase = XMPP_FEATURES;
		return CP_PROTO_READ;
	case U_STREAM_END:
		if (v->outcome == CP_PROTO_UNKNOWN)
			return cp_proto_closed(v, 0, waiting_for[st->phase]);
		return CP_PROTO_DONE;
	case U_ELEMENT: return on_element(st, u, out, v);
	default: return cp_proto_fail(v, "not an XMPP stream");
	}
}

static enum cp_proto_act
xmpp_step(void *vs, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct xmpp *st = vs;
	enum cp_proto_act act = CP_PROTO_READ;
	int rc = 0;

	*used = 0;
	if (cp_proto_unsafe(st->p.user) || cp_proto_unsafe(domain(st)))
		return cp_proto_fail(v, "the user or server name holds a control character");
	if (st->phase == XMPP_CLOSED)
		return CP_PROTO_DONE;
	if (st->phase == XMPP_HANDSHAKE && !tls_up)
		return cp_proto_fail(v, "called before the TLS handshake");
	if (st->phase == XMPP_OPEN || st->phase == XMPP_HANDSHAKE) {
		st->tls = tls_up;
		return open_stream(st, out);
	}
	while (act == CP_PROTO_READ) {
		struct xml_unit u = { 0 };

		rc = read_unit(in + *used, len - *used, st->phase != XMPP_HEADER, &u);
		if (rc == 1) {
			act = on_unit(st, &u, out, v);
			*used += u.len;
		}
		cp_buf_free(&u.caps);
		if (rc != 1)
			break;
	}
	if (act != CP_PROTO_READ)
		return act;
	if (rc < 0)
		return cp_proto_fail(v, "malformed or refused XML (waiting for %s)",
		    waiting_for[st->phase]);
	if (!eof)
		return CP_PROTO_READ;
	return cp_proto_closed(v, len - *used, waiting_for[st->phase]);
}

const struct cp_proto_ops cp_proto_xmpp = {
	.name = "xmpp",
	.scheme = "xmpp",
	.default_port = "5222",
	.implicit_tls = false,
	.state_size = sizeof(struct xmpp),
	.init = xmpp_init,
	.step = xmpp_step,
	.clear = NULL,
};
