/*
 * smtp:// (RFC 5321 + RFC 3207 STARTTLS) and smtps:// (RFC 8314 implicit
 * TLS): greeting, EHLO, STARTTLS, EHLO again, then the question asked with
 * the certificate: with --mail-from/--rcpt-to, whether the server relays
 * (Postfix permit_tls_clientcerts relays by fingerprint without AUTH), else
 * AUTH EXTERNAL (RFC 4954) when offered and a certificate is presented.
 * QUIT at the end. Pure state machine (proto.h): no I/O.
 *
 * No HELO fallback: STARTTLS and AUTH are EHLO extensions, so a server that
 * refuses EHLO can give neither; its refusal is the verdict (NO_TLS before
 * TLS, REFUSED after it).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

#define SMTP_HELO_NAME "certpick.invalid"

enum smtp_phase {
	SMTP_GREETING = 0,
	SMTP_EHLO,
	SMTP_STARTTLS,
	SMTP_HANDSHAKE, /* STARTTLS returned; next call has tls_up */
	SMTP_EHLO_TLS,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_AUTH,
	SMTP_QUIT,
};

static const char *const waiting_for[] = {
	[SMTP_GREETING] = "the greeting",
	[SMTP_EHLO] = "the EHLO reply",
	[SMTP_STARTTLS] = "the STARTTLS reply",
	[SMTP_HANDSHAKE] = "the handshake",
	[SMTP_EHLO_TLS] = "the EHLO reply after TLS",
	[SMTP_MAIL] = "the MAIL FROM reply",
	[SMTP_RCPT] = "the RCPT TO reply",
	[SMTP_AUTH] = "the AUTH EXTERNAL reply",
	[SMTP_QUIT] = "the QUIT reply",
};

struct smtp {
	struct cp_proto_params p; /* copied at init; its strings stay borrowed */
	enum smtp_phase phase;
	bool tls;		   /* the EHLO being read is the one after TLS */
	bool starttls;		   /* STARTTLS in the EHLO reply */
	unsigned challenges;	   /* 334 answered during AUTH */
	struct cp_proto_scan scan; /* of the reply being read */
};

struct reply {
	int code;
	const char *text;
	const uint8_t *raw; /* the whole reply as received */
	size_t raw_len;
};

static void
smtp_init(void *vs, const struct cp_proto_params *p)
{
	struct smtp *st = vs;

	st->p = *p;
}

/* RFC 5321 4.1.1.1: the first line greets, each further line is one extension */
static void
read_ehlo(struct smtp *st, const struct reply *r, struct cp_proto_verdict *v)
{
	struct cp_buf caps = { 0 };
	size_t off = 0, n, u;
	bool first = true, external = false;

	st->starttls = false;
	while (cp_proto_line(r->raw + off, r->raw_len - off, &n, &u) == 1) {
		if (!first && n > 4) {
			const char *l = (const char *)r->raw + off + 4;

			if (cp_proto_cap_line(&caps, l, n - 4, "AUTH", &external) == 8 &&
			    strncasecmp(l, "STARTTLS", 8) == 0)
				st->starttls = true;
		}
		first = false;
		off += u;
	}
	free(v->capabilities);
	v->capabilities = cp_buf_release(&caps);
	v->offers_external = external && st->tls;
}

static void
verdict(struct cp_proto_verdict *v, enum cp_proto_outcome o, const struct reply *r,
    const char *text)
{
	v->outcome = o;
	v->code = r != NULL ? r->code : -1;
	text = text != NULL ? text : r->text;
	cp_proto_set(&v->text, text, strlen(text));
}

static enum cp_proto_act
say(struct smtp *st, enum smtp_phase next, struct cp_buf *out, const char *cmd, const char *arg)
{
	cp_buf_str(out, cmd);
	if (arg != NULL)
		cp_buf_str(out, arg);
	cp_buf_str(out, "\r\n");
	st->phase = next;
	return CP_PROTO_WRITE;
}

static enum cp_proto_act
quit(struct smtp *st, struct cp_buf *out)
{
	return say(st, SMTP_QUIT, out, "QUIT", NULL);
}

/* MAIL FROM:<a>: the user's address in angle brackets unless already in them */
static enum cp_proto_act
say_path(struct smtp *st, enum smtp_phase next, struct cp_buf *out, const char *cmd, const char *a)
{
	bool bracketed = a[0] == '<';

	cp_buf_str(out, cmd);
	cp_buf_str(out, bracketed ? "" : "<");
	cp_buf_str(out, a);
	cp_buf_str(out, bracketed ? "\r\n" : ">\r\n");
	st->phase = next;
	return CP_PROTO_WRITE;
}

static enum cp_proto_act
after_tls_ehlo(struct smtp *st, const struct reply *r, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	struct cp_buf ir = { 0 };
	enum cp_proto_act act;

	if (r->code != 250) {
		verdict(v, CP_PROTO_REFUSED, r, NULL);
		return quit(st, out);
	}
	read_ehlo(st, r, v);
	if (st->p.mail_from != NULL && st->p.rcpt_to != NULL)
		return say_path(st, SMTP_MAIL, out, "MAIL FROM:", st->p.mail_from);
	if (v->offers_external) { /* without a certificate too: the refusal is the answer */
		cp_proto_sasl_ir(&ir, st->p.user);
		v->sent_auth = true;
		act = say(st, SMTP_AUTH, out, "AUTH EXTERNAL ", ir.nomem ? "=" : ir.p);
		cp_buf_free(&ir);
		return act;
	}
	verdict(v, CP_PROTO_NOT_OFFERED, r, "AUTH EXTERNAL not offered");
	return quit(st, out);
}

static enum cp_proto_act
on_reply(struct smtp *st, const struct reply *r, struct cp_buf *out, struct cp_proto_verdict *v)
{
	switch (st->phase) {
	case SMTP_GREETING:
		cp_proto_set(&v->banner, r->text, strlen(r->text));
		if (r->code != 220) { /* 554: no SMTP service here; 421 busy */
			verdict(v, CP_PROTO_REFUSED, r, NULL);
			return quit(st, out);
		}
		return say(st, st->tls ? SMTP_EHLO_TLS : SMTP_EHLO, out, "EHLO " SMTP_HELO_NAME,
		    NULL);
	case SMTP_EHLO:
		if (r->code == 250)
			read_ehlo(st, r, v);
		if (r->code == 250 && st->starttls)
			return say(st, SMTP_STARTTLS, out, "STARTTLS", NULL);
		verdict(v, CP_PROTO_NO_TLS, r, r->code == 250 ? "STARTTLS not offered" : NULL);
		return quit(st, out);
	case SMTP_STARTTLS:
		if (r->code == 220) {
			st->phase = SMTP_HANDSHAKE;
			return CP_PROTO_STARTTLS;
		}
		verdict(v, CP_PROTO_NO_TLS, r, NULL); /* 454 TLS not available, 5xx */
		return quit(st, out);
	case SMTP_EHLO_TLS: return after_tls_ehlo(st, r, out, v);
	case SMTP_MAIL:
		if (r->code == 250)
			return say_path(st, SMTP_RCPT, out, "RCPT TO:", st->p.rcpt_to);
		verdict(v, CP_PROTO_REFUSED, r, NULL);
		return quit(st, out);
	case SMTP_RCPT: /* 250/251: relays for this certificate; 454/554 relay denied */
		verdict(v, r->code / 100 == 2 ? CP_PROTO_ACCEPTED : CP_PROTO_REFUSED, r, NULL);
		return quit(st, out);
	case SMTP_AUTH:
		if (r->code == 334 && st->challenges++ == 0) /* EXTERNAL has nothing more to say */
			return say(st, SMTP_AUTH, out, "", NULL);
		if (r->code == 334)
			return say(st, SMTP_AUTH, out, "*", NULL); /* RFC 4954 4: cancel */
		verdict(v, r->code == 235 ? CP_PROTO_ACCEPTED : CP_PROTO_REFUSED, r, NULL);
		if (r->code == 235 && st->p.user != NULL)
			cp_proto_set(&v->identity, st->p.user, strlen(st->p.user));
		return quit(st, out);
	case SMTP_QUIT:
	case SMTP_HANDSHAKE:
	default: return CP_PROTO_DONE;
	}
}

static enum cp_proto_act
smtp_step(void *vs, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct smtp *st = vs;
	struct cp_buf text = { 0 };
	struct reply r = { .raw = in };
	enum cp_proto_act act;
	int rc;

	*used = 0;
	if (cp_proto_unsafe(st->p.mail_from) || cp_proto_unsafe(st->p.rcpt_to) ||
	    cp_proto_unsafe(st->p.user))
		return cp_proto_fail(v, "a mail address or user holds a control character");
	if (st->phase == SMTP_HANDSHAKE) {
		if (!tls_up)
			return cp_proto_fail(v, "called before the TLS handshake");
		st->tls = true;
		return say(st, SMTP_EHLO_TLS, out, "EHLO " SMTP_HELO_NAME, NULL);
	}
	if (st->phase == SMTP_GREETING)
		st->tls = tls_up;
	rc = cp_proto_reply(in, len, &st->scan, &r.code, &text, &r.raw_len);
	if (rc == 1) {
		*used = r.raw_len;
		r.text = text.p != NULL && !text.nomem ? text.p : "";
		act = on_reply(st, &r, out, v);
	} else if (st->phase == SMTP_QUIT && (rc < 0 || eof)) {
		act = CP_PROTO_DONE;
	} else if (rc < 0) {
		act = cp_proto_fail(v, "malformed SMTP reply (waiting for %s)",
		    waiting_for[st->phase]);
	} else {
		act = eof ? cp_proto_closed(v, len, waiting_for[st->phase]) : CP_PROTO_READ;
	}
	cp_buf_free(&text);
	return act;
}

CP_PROTO_OPS(cp_proto_smtp, "smtp", "smtp", "25", false, smtp, NULL);
CP_PROTO_OPS(cp_proto_smtps, "smtp", "smtps", "465", true, smtp, NULL);
