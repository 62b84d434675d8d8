/*
 * ftp:// (RFC 959, AUTH TLS per RFC 4217) and ftps:// (990, implicit): the
 * greeting, AUTH TLS (234), then PBSZ 0 and PROT P (their answers do not
 * matter: no data channel is opened) and USER: 230 logged in by the
 * certificate, 331/332 the certificate did not log in (a password is asked),
 * 530 and other errors refused. QUIT at the end. Whether the control
 * channel required the certificate is the engine's judgement (the handshake);
 * this layer gives the login verdict. Pure (proto.h).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "proto.h"

#define FTP_MAX_PRELIMINARY 8 /* "120 service ready in nnn minutes" before 220 */

enum ftp_phase {
	FTP_GREETING = 0,
	FTP_AUTH_TLS,
	FTP_HANDSHAKE,
	FTP_PBSZ,
	FTP_PROT,
	FTP_USER,
	FTP_QUIT,
};

static const char *const waiting_for[] = {
	[FTP_GREETING] = "the greeting",
	[FTP_AUTH_TLS] = "the AUTH TLS reply",
	[FTP_HANDSHAKE] = "the handshake",
	[FTP_PBSZ] = "the PBSZ reply",
	[FTP_PROT] = "the PROT reply",
	[FTP_USER] = "the USER reply",
	[FTP_QUIT] = "the QUIT reply",
};

struct ftp {
	struct cp_proto_params p; /* copied at init; its strings stay borrowed */
	enum ftp_phase phase;
	bool tls;
	unsigned preliminary;
	struct cp_proto_scan scan; /* of the reply being read */
};

static void
ftp_init(void *vs, const struct cp_proto_params *p)
{
	struct ftp *st = vs;

	st->p = *p;
}

static enum cp_proto_act
say(struct ftp *st, enum ftp_phase next, struct cp_buf *out, const char *cmd, const char *arg)
{
	cp_buf_str(out, cmd);
	if (arg != NULL)
		cp_buf_str(out, arg);
	cp_buf_str(out, "\r\n");
	st->phase = next;
	return CP_PROTO_WRITE;
}

static enum cp_proto_act
quit(struct ftp *st, struct cp_buf *out)
{
	return say(st, FTP_QUIT, out, "QUIT", NULL);
}

static void
verdict(struct cp_proto_verdict *v, enum cp_proto_outcome o, int code, const char *text)
{
	v->outcome = o;
	v->code = code;
	cp_proto_set(&v->text, text, strlen(text));
}

static const char *
user(const struct ftp *st)
{
	return st->p.user != NULL && st->p.user[0] != '\0' ? st->p.user : "anonymous";
}

static enum cp_proto_act
on_reply(struct ftp *st, int code, const char *text, struct cp_buf *out, struct cp_proto_verdict *v)
{
	switch (st->phase) {
	case FTP_GREETING:
		if (code / 100 == 1 && ++st->preliminary <= FTP_MAX_PRELIMINARY)
			return CP_PROTO_READ;
		cp_proto_set(&v->banner, text, strlen(text));
		if (code != 220) { /* 421 service not available */
			verdict(v, CP_PROTO_REFUSED, code, text);
			return quit(st, out);
		}
		if (st->tls)
			return say(st, FTP_PBSZ, out, "PBSZ 0", NULL);
		return say(st, FTP_AUTH_TLS, out, "AUTH TLS", NULL);
	case FTP_AUTH_TLS:
		if (code == 234) {
			st->phase = FTP_HANDSHAKE;
			return CP_PROTO_STARTTLS;
		}
		verdict(v, CP_PROTO_NO_TLS, code, text); /* 500/502/504/534/431 */
		return quit(st, out);
	case FTP_PBSZ: return say(st, FTP_PROT, out, "PROT P", NULL);
	case FTP_PROT:
		v->sent_auth = st->p.have_cert;
		return say(st, FTP_USER, out, "USER ", user(st));
	case FTP_USER:
		if (code == 230)
			verdict(v, CP_PROTO_ACCEPTED, code, text);
		else if (code == 331 || code == 332)
			verdict(v, CP_PROTO_NOT_OFFERED, code, text);
		else
			verdict(v, CP_PROTO_REFUSED, code, text);
		if (code == 230)
			cp_proto_set(&v->identity, user(st), strlen(user(st)));
		return quit(st, out);
	case FTP_QUIT:
	case FTP_HANDSHAKE:
	default: return CP_PROTO_DONE;
	}
}

static enum cp_proto_act
ftp_step(void *vs, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct ftp *st = vs;
	enum cp_proto_act act = CP_PROTO_READ;
	struct cp_buf text = { 0 };
	size_t u;
	int code, rc = 0;

	*used = 0;
	if (cp_proto_unsafe(st->p.user))
		return cp_proto_fail(v, "the user holds a control character");
	if (st->phase == FTP_HANDSHAKE) {
		if (!tls_up)
			return cp_proto_fail(v, "called before the TLS handshake");
		st->tls = true;
		return say(st, FTP_PBSZ, out, "PBSZ 0", NULL);
	}
	if (st->phase == FTP_GREETING)
		st->tls = tls_up;
	while (act == CP_PROTO_READ &&
	    (rc = cp_proto_reply(in + *used, len - *used, &st->scan, &code, &text, &u)) == 1) {
		*used += u;
		act = on_reply(st, code, text.p != NULL && !text.nomem ? text.p : "", out, v);
		cp_buf_reset(&text);
	}
	cp_buf_free(&text);
	if (act != CP_PROTO_READ)
		return act;
	if (st->phase == FTP_QUIT && (rc < 0 || eof))
		return CP_PROTO_DONE;
	if (rc < 0)
		return cp_proto_fail(v, "malformed FTP reply (waiting for %s)",
		    waiting_for[st->phase]);
	if (!eof)
		return CP_PROTO_READ;
	return cp_proto_closed(v, len - *used, waiting_for[st->phase]);
}

CP_PROTO_OPS(cp_proto_ftp, "ftp", "ftp", "21", false, ftp, NULL);
CP_PROTO_OPS(cp_proto_ftps, "ftp", "ftps", "990", true, ftp, NULL);
