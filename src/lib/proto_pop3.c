/*
 * pop3:// (RFC 1939, CAPA per RFC 2449, STLS per RFC 2595) and pop3s://
 * (995): the greeting, CAPA, STLS, CAPA again after TLS, then
 * AUTH EXTERNAL with the initial response (RFC 5034: "=" when empty, else
 * the base64 authorization identity); +OK / -ERR is the verdict. QUIT at the
 * end. A server without CAPA is still asked STLS (RFC 2595 predates CAPA's
 * use). Pure (proto.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

enum pop3_phase {
	POP3_GREETING = 0,
	POP3_CAPA,	/* +OK or -ERR */
	POP3_CAPA_LIST, /* the lines up to "." */
	POP3_STLS,
	POP3_HANDSHAKE,
	POP3_AUTH,
	POP3_QUIT,
};

static const char *const waiting_for[] = {
	[POP3_GREETING] = "the greeting",
	[POP3_CAPA] = "the CAPA response",
	[POP3_CAPA_LIST] = "the end of the CAPA list",
	[POP3_STLS] = "the STLS response",
	[POP3_HANDSHAKE] = "the handshake",
	[POP3_AUTH] = "the AUTH EXTERNAL response",
	[POP3_QUIT] = "the QUIT response",
};

struct pop3 {
	struct cp_proto_params p; /* copied at init; its strings stay borrowed */
	enum pop3_phase phase;
	bool tls;
	bool capa_ok, stls, external;
	struct cp_buf caps; /* the CAPA list being read */
	unsigned lines;
	unsigned challenges;
};

static void
pop3_init(void *vs, const struct cp_proto_params *p)
{
	struct pop3 *st = vs;

	st->p = *p;
}

static void
pop3_clear(void *vs)
{
	struct pop3 *st = vs;

	cp_buf_free(&st->caps);
}

static enum cp_proto_act
say(struct pop3 *st, enum pop3_phase next, struct cp_buf *out, const char *cmd)
{
	cp_buf_str(out, cmd);
	cp_buf_str(out, "\r\n");
	st->phase = next;
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
quit(struct pop3 *st, struct cp_buf *out)
{
	return say(st, POP3_QUIT, out, "QUIT");
}

static enum cp_proto_act
authenticate(struct pop3 *st, struct cp_buf *out, struct cp_proto_verdict *v)
{
	static const char *const none = "certificate authentication (SASL EXTERNAL) not offered";

	if (!st->external) { /* tried without a certificate too: the refusal is the answer */
		verdict(v, CP_PROTO_NOT_OFFERED, none, strlen(none));
		return quit(st, out);
	}
	v->sent_auth = true;
	cp_buf_str(out, "AUTH EXTERNAL ");
	cp_proto_sasl_ir(out, st->p.user);
	return say(st, POP3_AUTH, out, "");
}

/* after the CAPA list (or its -ERR): STLS before TLS, AUTH after it */
static enum cp_proto_act
next(struct pop3 *st, struct cp_buf *out, struct cp_proto_verdict *v)
{
	static const char *const no_tls = "STLS not offered";

	if (st->tls)
		return authenticate(st, out, v);
	if (!st->capa_ok || st->stls)
		return say(st, POP3_STLS, out, "STLS");
	verdict(v, CP_PROTO_NO_TLS, no_tls, strlen(no_tls));
	return quit(st, out);
}

static bool
is_ok(const char *l, size_t n)
{
	return n >= 3 && strncmp(l, "+OK", 3) == 0 && (n == 3 || l[3] == ' ');
}

static bool
is_err(const char *l, size_t n)
{
	return n >= 4 && strncmp(l, "-ERR", 4) == 0 && (n == 4 || l[4] == ' ');
}

/* one line of the CAPA list; "." ends it (RFC 1939 3: a leading "." is doubled) */
static enum cp_proto_act
capa_line(struct pop3 *st, const char *l, size_t n, struct cp_buf *out, struct cp_proto_verdict *v)
{
	bool external = false;

	if (n == 1 && l[0] == '.') {
		free(v->capabilities);
		v->capabilities = cp_buf_release(&st->caps);
		st->capa_ok = true;
		st->external = st->external && st->tls;
		v->offers_external = st->external;
		return next(st, out, v);
	}
	if (++st->lines > CP_PROTO_MAX_LINES)
		return cp_proto_fail(v, "a CAPA list of more than %d lines", CP_PROTO_MAX_LINES);
	if (n > 0 && l[0] == '.') {
		l++;
		n--;
	}
	if (cp_proto_cap_line(&st->caps, l, n, "SASL", &external) == 4 &&
	    strncasecmp(l, "STLS", 4) == 0)
		st->stls = true;
	st->external |= external;
	return CP_PROTO_READ;
}

static enum cp_proto_act
on_line(struct pop3 *st, const char *l, size_t n, struct cp_buf *out, struct cp_proto_verdict *v)
{
	switch (st->phase) {
	case POP3_GREETING:
		cp_proto_set(&v->banner, l, n);
		if (!is_ok(l, n)) {
			verdict(v, CP_PROTO_REFUSED, l, n);
			return quit(st, out);
		}
		return say(st, POP3_CAPA, out, "CAPA");
	case POP3_CAPA:
		if (is_err(l, n)) /* no CAPA: nothing advertised */
			return next(st, out, v);
		if (!is_ok(l, n))
			return cp_proto_fail(v, "not a POP3 response (waiting for %s)",
			    waiting_for[st->phase]);
		cp_buf_reset(&st->caps);
		st->lines = 0;
		st->stls = st->external = false;
		st->phase = POP3_CAPA_LIST;
		return CP_PROTO_READ;
	case POP3_CAPA_LIST: return capa_line(st, l, n, out, v);
	case POP3_STLS:
		if (is_ok(l, n)) {
			st->phase = POP3_HANDSHAKE;
			return CP_PROTO_STARTTLS;
		}
		verdict(v, CP_PROTO_NO_TLS, l, n);
		return quit(st, out);
	case POP3_AUTH:
		if (n >= 1 && l[0] == '+' && !is_ok(l, n)) /* "+ " challenge; then cancel */
			return say(st, POP3_AUTH, out, st->challenges++ == 0 ? "" : "*");
		verdict(v, is_ok(l, n) ? CP_PROTO_ACCEPTED : CP_PROTO_REFUSED, l, n);
		if (is_ok(l, n) && st->p.user != NULL)
			cp_proto_set(&v->identity, st->p.user, strlen(st->p.user));
		return quit(st, out);
	case POP3_QUIT:
	case POP3_HANDSHAKE:
	default: return CP_PROTO_DONE;
	}
}

static enum cp_proto_act
pop3_step(void *vs, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct pop3 *st = vs;
	enum cp_proto_act act = CP_PROTO_READ;
	size_t n, u;
	int rc = 0;

	*used = 0;
	if (cp_proto_unsafe(st->p.user))
		return cp_proto_fail(v, "the user holds a control character");
	if (st->phase == POP3_HANDSHAKE) {
		if (!tls_up)
			return cp_proto_fail(v, "called before the TLS handshake");
		st->tls = true;
		st->capa_ok = st->stls = st->external = false;
		return say(st, POP3_CAPA, out, "CAPA");
	}
	if (st->phase == POP3_GREETING)
		st->tls = tls_up;
	while (act == CP_PROTO_READ && (rc = cp_proto_line(in + *used, len - *used, &n, &u)) == 1) {
		act = on_line(st, (const char *)in + *used, n, out, v);
		*used += u;
	}
	if (act != CP_PROTO_READ)
		return act;
	if (st->phase == POP3_QUIT && (rc < 0 || eof))
		return CP_PROTO_DONE;
	if (rc < 0)
		return cp_proto_fail(v, "a line too long or holding a NUL (waiting for %s)",
		    waiting_for[st->phase]);
	if (!eof)
		return CP_PROTO_READ;
	return cp_proto_closed(v, len - *used, waiting_for[st->phase]);
}

CP_PROTO_OPS(cp_proto_pop3, "pop3", "pop3", "110", false, pop3, pop3_clear);
CP_PROTO_OPS(cp_proto_pop3s, "pop3", "pop3s", "995", true, pop3, pop3_clear);
