/*
 * imap:// (RFC 9051/3501, STARTTLS per RFC 8314) and imaps:// (993): the
 * greeting, CAPABILITY (skipped where the greeting's [CAPABILITY ...] code
 * already says it), STARTTLS, CAPABILITY again after TLS, then
 * AUTHENTICATE EXTERNAL (RFC 4422 appendix A) with the SASL-IR initial
 * response (RFC 4959) when advertised, else answering the continuation;
 * the tagged OK/NO/BAD is the verdict. LOGOUT at the end. Pure (proto.h).
 *
 * IMAP does not say as whom a client logged in; the identity is the
 * authorization identity the layer sent (the URL's user), if any.
 * Literals ({n}) are not read: no response to these commands carries one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

enum imap_phase {
	IMAP_GREETING = 0,
	IMAP_CAPA,
	IMAP_STARTTLS,
	IMAP_HANDSHAKE,
	IMAP_CAPA_TLS,
	IMAP_AUTH,
	IMAP_LOGOUT,
};

static const char *const waiting_for[] = {
	[IMAP_GREETING] = "the greeting",
	[IMAP_CAPA] = "the CAPABILITY response",
	[IMAP_STARTTLS] = "the STARTTLS response",
	[IMAP_HANDSHAKE] = "the handshake",
	[IMAP_CAPA_TLS] = "the CAPABILITY response after TLS",
	[IMAP_AUTH] = "the AUTHENTICATE response",
	[IMAP_LOGOUT] = "the LOGOUT response",
};

struct imap {
	struct cp_proto_params p; /* copied at init; its strings stay borrowed */
	enum imap_phase phase;
	bool tls;
	bool have_caps, starttls, external, sasl_ir;
	unsigned tag;	/* of the command in flight: "a<tag>" */
	unsigned lines; /* untagged lines of the command in flight */
	unsigned challenges;
};

static void
imap_init(void *vs, const struct cp_proto_params *p)
{
	struct imap *st = vs;

	st->p = *p;
}

static bool
word_is(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

/* "IMAP4rev1 STARTTLS AUTH=EXTERNAL SASL-IR": the list, and what it offers */
static void
read_caps(struct imap *st, const char *s, size_t n, struct cp_proto_verdict *v)
{
	struct cp_buf caps = { 0 };

	st->have_caps = true;
	st->starttls = st->external = st->sasl_ir = false;
	for (size_t i = 0, k; i < n; i = k + 1) {
		for (k = i; k < n && s[k] != ' '; k++)
			;
		cp_proto_word(&caps, s + i, k - i);
		st->starttls |= word_is(s + i, k - i, "STARTTLS");
		st->external |= word_is(s + i, k - i, "AUTH=EXTERNAL");
		st->sasl_ir |= word_is(s + i, k - i, "SASL-IR");
	}
	free(v->capabilities);
	v->capabilities = cp_buf_release(&caps);
	v->offers_external = st->external && st->tls;
}

/* "OK [CAPABILITY a b] text": the response code's list, if it is one */
static void
code_caps(struct imap *st, const char *s, size_t n, struct cp_proto_verdict *v)
{
	static const char key[] = "[CAPABILITY ";
	size_t k = sizeof(key) - 1, end;

	if (n < k || strncasecmp(s, key, k) != 0)
		return;
	for (end = k; end < n && s[end] != ']'; end++)
		;
	if (end < n)
		read_caps(st, s + k, end - k, v);
}

static enum cp_proto_act
say(struct imap *st, enum imap_phase next, struct cp_buf *out, const char *cmd, const char *arg)
{
	cp_buf_printf(out, "a%u %s%s\r\n", ++st->tag, cmd, arg != NULL ? arg : "");
	st->phase = next;
	st->lines = 0;
	return CP_PROTO_WRITE;
}

static void
verdict(struct cp_proto_verdict *v, enum cp_proto_outcome o, const char *text, size_t n)
{
	v->outcome = o;
	v->code = -1;
	cp_proto_set(&v->text, text, n);
}

static enum cp_proto_act
logout(struct imap *st, struct cp_buf *out)
{
	return say(st, IMAP_LOGOUT, out, "LOGOUT", NULL);
}

static enum cp_proto_act
authenticate(struct imap *st, struct cp_buf *out, struct cp_proto_verdict *v)
{
	static const char *const none = "certificate authentication (AUTH=EXTERNAL) not offered";
	struct cp_buf ir = { 0 };
	enum cp_proto_act act;

	if (!st->external) {
		verdict(v, CP_PROTO_NOT_OFFERED, none, strlen(none));
		return logout(st, out);
	}
	/* tried without a certificate too: the refusal is what such a client sees */
	v->sent_auth = true;
	if (!st->sasl_ir)
		return say(st, IMAP_AUTH, out, "AUTHENTICATE EXTERNAL", NULL);
	cp_buf_str(&ir, " ");
	cp_proto_sasl_ir(&ir, st->p.user);
	act = say(st, IMAP_AUTH, out, "AUTHENTICATE EXTERNAL", ir.nomem ? " =" : ir.p);
	cp_buf_free(&ir);
	return act;
}

/* after the greeting or a CAPABILITY: what to ask next */
static enum cp_proto_act
next(struct imap *st, struct cp_buf *out, struct cp_proto_verdict *v)
{
	static const char *const no_tls = "STARTTLS not offered";

	if (st->tls && st->have_caps)
		return authenticate(st, out, v);
	if (st->tls)
		return say(st, IMAP_CAPA_TLS, out, "CAPABILITY", NULL);
	if (st->have_caps && st->starttls)
		return say(st, IMAP_STARTTLS, out, "STARTTLS", NULL);
	if (!st->have_caps)
		return say(st, IMAP_CAPA, out, "CAPABILITY", NULL);
	verdict(v, CP_PROTO_NO_TLS, no_tls, strlen(no_tls));
	return logout(st, out);
}

static enum cp_proto_act
greeting(struct imap *st, const char *l, size_t n, struct cp_buf *out, struct cp_proto_verdict *v)
{
	static const char *const preauth = "PREAUTH: already authenticated, STARTTLS not allowed";

	if (n < 4 || strncmp(l, "* ", 2) != 0)
		return cp_proto_fail(v, "not an IMAP greeting");
	cp_proto_set(&v->banner, l + 2, n - 2);
	if (n >= 5 && strncasecmp(l + 2, "OK ", 3) == 0) {
		code_caps(st, l + 5, n - 5, v);
		return next(st, out, v);
	}
	if (n >= 4 && strncasecmp(l + 2, "BYE", 3) == 0) {
		verdict(v, CP_PROTO_REFUSED, l + 2, n - 2);
		return CP_PROTO_DONE;
	}
	if (n >= 9 && strncasecmp(l + 2, "PREAUTH", 7) == 0) {
		/* RFC 9051 7.1.4: authenticated already; over implicit TLS, by the certificate */
		if (st->tls)
			verdict(v, CP_PROTO_ACCEPTED, l + 2, n - 2);
		else
			verdict(v, CP_PROTO_NO_TLS, preauth, strlen(preauth));
		return logout(st, out);
	}
	return cp_proto_fail(v, "not an IMAP greeting");
}

/* the tagged completion "OK ...", "NO ...", "BAD ..." of the command in flight */
static enum cp_proto_act
tagged(struct imap *st, const char *s, size_t n, struct cp_buf *out, struct cp_proto_verdict *v)
{
	bool ok = n >= 2 && strncasecmp(s, "OK", 2) == 0 && (n == 2 || s[2] == ' ');

	switch (st->phase) {
	case IMAP_CAPA:
	case IMAP_CAPA_TLS:
		if (!ok)
			return cp_proto_fail(v, "CAPABILITY refused: %.*s",
			    (int)(n > 200 ? 200 : n), s);
		if (!st->have_caps)
			read_caps(st, "", 0, v);
		return next(st, out, v);
	case IMAP_STARTTLS:
		if (ok) {
			st->phase = IMAP_HANDSHAKE;
			return CP_PROTO_STARTTLS;
		}
		verdict(v, CP_PROTO_NO_TLS, s, n);
		return logout(st, out);
	case IMAP_AUTH:
		verdict(v, ok ? CP_PROTO_ACCEPTED : CP_PROTO_REFUSED, s, n);
		if (ok && st->p.user != NULL)
			cp_proto_set(&v->identity, st->p.user, strlen(st->p.user));
		return logout(st, out);
	case IMAP_LOGOUT:
	case IMAP_GREETING:
	case IMAP_HANDSHAKE:
	default: return CP_PROTO_DONE;
	}
}

static enum cp_proto_act
continuation(struct imap *st, struct cp_buf *out, struct cp_proto_verdict *v)
{
	if (st->phase != IMAP_AUTH)
		return cp_proto_fail(v, "unexpected continuation (waiting for %s)",
		    waiting_for[st->phase]);
	if (st->challenges++ == 0) {
		if (st->p.user != NULL && st->p.user[0] != '\0')
			cp_proto_sasl_ir(out, st->p.user);
	} else {
		cp_buf_str(out, "*"); /* RFC 9051 6.2.2: cancel */
	}
	cp_buf_str(out, "\r\n");
	return CP_PROTO_WRITE;
}

/* one line of a response: untagged, continuation or the tagged completion */
static enum cp_proto_act
on_line(struct imap *st, const char *l, size_t n, struct cp_buf *out, struct cp_proto_verdict *v)
{
	char tag[16];
	int tn = snprintf(tag, sizeof(tag), "a%u ", st->tag);

	if (st->phase == IMAP_GREETING)
		return greeting(st, l, n, out, v);
	if (n >= 2 && strncmp(l, "* ", 2) == 0) {
		if (++st->lines > CP_PROTO_MAX_LINES)
			return cp_proto_fail(v, "too many untagged lines (waiting for %s)",
			    waiting_for[st->phase]);
		if (n >= 13 && strncasecmp(l + 2, "CAPABILITY ", 11) == 0 && st->phase != IMAP_AUTH)
			read_caps(st, l + 13, n - 13, v);
		return CP_PROTO_READ;
	}
	if (n >= 1 && l[0] == '+')
		return continuation(st, out, v);
	if (n >= (size_t)tn && strncasecmp(l, tag, (size_t)tn) == 0)
		return tagged(st, l + tn, n - (size_t)tn, out, v);
	if (st->phase == IMAP_LOGOUT)
		return CP_PROTO_DONE;
	return cp_proto_fail(v, "a response with a wrong tag (waiting for %s)",
	    waiting_for[st->phase]);
}

static enum cp_proto_act
imap_step(void *vs, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct imap *st = vs;
	enum cp_proto_act act = CP_PROTO_READ;
	size_t n, u;
	int rc = 0;

	*used = 0;
	if (cp_proto_unsafe(st->p.user))
		return cp_proto_fail(v, "the user holds a control character");
	if (st->phase == IMAP_HANDSHAKE) {
		if (!tls_up)
			return cp_proto_fail(v, "called before the TLS handshake");
		st->tls = true;
		st->have_caps = false; /* RFC 9051 6.2.1: discard what was said before TLS */
		return next(st, out, v);
	}
	if (st->phase == IMAP_GREETING)
		st->tls = tls_up;
	while (act == CP_PROTO_READ && (rc = cp_proto_line(in + *used, len - *used, &n, &u)) == 1) {
		act = on_line(st, (const char *)in + *used, n, out, v);
		*used += u;
	}
	if (act != CP_PROTO_READ)
		return act;
	if (rc < 0 && st->phase == IMAP_LOGOUT)
		return CP_PROTO_DONE;
	if (rc < 0)
		return cp_proto_fail(v, "a line too long or holding a NUL (waiting for %s)",
		    waiting_for[st->phase]);
	if (!eof || st->phase == IMAP_LOGOUT)
		return eof ? CP_PROTO_DONE : CP_PROTO_READ;
	return cp_proto_closed(v, len - *used, waiting_for[st->phase]);
}

CP_PROTO_OPS(cp_proto_imap, "imap", "imap", "143", false, imap, NULL);
CP_PROTO_OPS(cp_proto_imaps, "imap", "imaps", "993", true, imap, NULL);
