/*
 * postgres://[user@]host[:port][/database]: PostgreSQL's own way into TLS
 * (protocol 3.0, "SSLRequest"), then the startup message, and the server's
 * verdict on it (proto.h's contract; pure).
 *
 *   client: SSLRequest (8 bytes: length 8, code 80877103)
 *   server: one byte: 'S' (go on with TLS), 'N' (no TLS here), or an
 *           ErrorResponse from a server older than 7.0 / refusing early
 *   -- TLS --
 *   client: StartupMessage (protocol 3.0, user, database, application_name)
 *   server: AuthenticationOk ... ReadyForQuery: accepted ("cert" method:
 *           the certificate was the login); an authentication request
 *           (password, MD5, SASL): TLS accepted the certificate (or did not
 *           ask), but the pg_hba line wants a password; ErrorResponse:
 *           refused, with SQLSTATE and the server's message
 *   client: with a password given (params->password) only: the answer to
 *           AuthenticationCleartextPassword (3), AuthenticationMD5Password
 *           (5), or SASL SCRAM-SHA-256 (10, 11, 12: RFC 5802/7677, no
 *           channel binding; the server's signature is checked: a server
 *           that proves it knows the password and then refuses with 28P01
 *           is refusing the certificate's CN, clientcert=verify-full)
 *   client: Terminate
 *
 * Only the one byte after the SSLRequest is consumed before TLS: bytes that
 * follow it are the CVE-2021-23222 injection and the engine refuses them.
 * No password is sent unless one is given, and then only over TLS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"
#include "proto.h"

#define PG_SSLREQUEST_CODE 80877103u
#define PG_PROTOCOL_3_0 196608u
#define PG_MAX_MESSAGE ((size_t)32 << 10) /* startup replies are small */
#define PG_DEFAULT_USER "postgres"
#define PG_MAX_AUTH_ROUNDS 6 /* authentication requests answered */

enum pg_state {
	PG_SEND_SSLREQUEST = 0,
	PG_READ_SSL_ANSWER,
	PG_SEND_STARTUP,
	PG_READ_AUTH,
	PG_READ_UNTIL_READY, /* accepted: the rest of the start-up, to ReadyForQuery */
	PG_DONE,
};

struct pg {
	enum pg_state st;
	const char *user, *database, *password;
	struct cp_scram scram;
	unsigned rounds;      /* authentication requests answered */
	uint32_t sasl;	      /* 10 once SASLInitialResponse went out, 11 after SASLResponse */
	bool sent_password;   /* a password (or its proof) went out */
	bool password_proven; /* SCRAM: the server proved it knows the password */
};

static void
pg_init(void *state, const struct cp_proto_params *p)
{
	struct pg *s = state;

	s->st = PG_SEND_SSLREQUEST;
	s->user = p->user != NULL && p->user[0] != '\0' ? p->user : PG_DEFAULT_USER;
	s->database = p->path != NULL && p->path[0] == '/' ? p->path + 1 : p->path;
	if (s->database != NULL && s->database[0] == '\0')
		s->database = NULL;
	s->password = p->password;
	cp_scram_init(&s->scram, "", p->nonce);
}

static void
pg_clear(void *state)
{
	struct pg *s = state;

	cp_scram_wipe(&s->scram);
}

static enum cp_proto_act
fail(struct cp_proto_verdict *v, const char *what)
{
	return cp_proto_fail(v, "%s", what);
}

static void
put_startup(struct pg *s, struct cp_buf *out)
{
	size_t at = out->len;

	cp_buf_u32(out, 0); /* length, filled in below */
	cp_buf_u32(out, PG_PROTOCOL_3_0);
	cp_buf_str(out, "user");
	cp_buf_u8(out, 0);
	cp_buf_str(out, s->user);
	cp_buf_u8(out, 0);
	if (s->database != NULL) {
		cp_buf_str(out, "database");
		cp_buf_u8(out, 0);
		cp_buf_str(out, s->database);
		cp_buf_u8(out, 0);
	}
	cp_buf_str(out, "application_name");
	cp_buf_u8(out, 0);
	cp_buf_str(out, "certpick");
	cp_buf_u8(out, 0);
	cp_buf_u8(out, 0);
	if (!out->nomem) {
		uint32_t n = (uint32_t)(out->len - at);

		out->p[at] = (char)(n >> 24);
		out->p[at + 1] = (char)(n >> 16);
		out->p[at + 2] = (char)(n >> 8);
		out->p[at + 3] = (char)n;
	}
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * One backend message at in[0..len): 1 with its type, body and *used; 0
 * when not whole yet; -1 when its length is impossible or over the cap.
 */
static int
message(const uint8_t *in, size_t len, uint8_t *type, const uint8_t **body, size_t *body_len,
    size_t *used)
{
	uint32_t n;

	if (len < 5)
		return 0;
	n = be32(in + 1);
	if (n < 4 || n - 4 > PG_MAX_MESSAGE)
		return -1;
	if (len - 5 < n - 4)
		return 0;
	*type = in[0];
	*body = in + 5;
	*body_len = n - 4;
	*used = 5 + (size_t)(n - 4);
	return 1;
}

/*
 * An ErrorResponse's fields into "SEVERITY SQLSTATE: message (detail; hint)".
 * Fields are a type byte and a NUL-terminated string, ended by a 0 byte.
 */
static char *
error_text(const uint8_t *b, size_t len)
{
	const char *sev = NULL, *code = NULL, *msg = NULL, *detail = NULL, *hint = NULL;
	struct cp_buf t = { 0 };
	size_t i = 0;

	while (i < len && b[i] != 0) {
		uint8_t f = b[i++];
		const char *val = (const char *)b + i;
		const uint8_t *nul = memchr(b + i, 0, len - i);

		if (nul == NULL)
			break;
		i = (size_t)(nul - b) + 1;
		if (f == 'V' || (f == 'S' && sev == NULL))
			sev = val;
		else if (f == 'C')
			code = val;
		else if (f == 'M')
			msg = val;
		else if (f == 'D')
			detail = val;
		else if (f == 'H')
			hint = val;
	}
	cp_buf_printf(&t, "%s %s: %s", sev ? sev : "ERROR", code ? code : "?????",
	    msg ? msg : "(no message)");
	if (detail != NULL)
		cp_buf_printf(&t, " (%s)", detail);
	if (hint != NULL)
		cp_buf_printf(&t, " [hint: %s]", hint);
	return cp_buf_release(&t);
}

/* The name of an authentication request (the method pg_hba chose). */
static const char *
auth_name(uint32_t code)
{
	switch (code) {
	case 2: return "Kerberos V5";
	case 3: return "a cleartext password";
	case 5: return "an MD5 password";
	case 7: return "GSSAPI";
	case 9: return "SSPI";
	case 10: return "SASL (SCRAM)";
	default: return "an unknown method";
	}
}

/* A FATAL ErrorResponse: the verdict; the server closes after it (no Terminate). */
static enum cp_proto_act
refused(struct pg *s, const uint8_t *body, size_t len, struct cp_proto_verdict *v)
{
	s->st = PG_DONE;
	v->outcome = CP_PROTO_REFUSED;
	if (cp_proto_take(&v->text, error_text(body, len)) != 0)
		return fail(v, "out of memory");
	if (strstr(v->text, "requires a valid client certificate") != NULL)
		cp_proto_reason(v, CERTPICK_REASON_SVC_PG_CERT_REQUIRED);
	else if (strstr(v->text, "certificate authentication failed for user") != NULL)
		cp_proto_reason(v, CERTPICK_REASON_SVC_PG_CERT_USER_MISMATCH);
	else if (strstr(v->text, "no pg_hba.conf entry") != NULL)
		cp_proto_reason(v, CERTPICK_REASON_SVC_PG_NO_HBA_ENTRY);
	else if (strstr(v->text, " 28P01:") != NULL && s->password_proven)
		cp_proto_reason(v, CERTPICK_REASON_SVC_PG_VERIFY_FULL_CN);
	else if (strstr(v->text, " 28P01:") != NULL)
		cp_proto_reason(v, CERTPICK_REASON_SVC_PG_PASSWORD_FAILED);
	return CP_PROTO_DONE;
}

static enum cp_proto_act
read_ssl_answer(struct pg *s, const uint8_t *in, size_t len, size_t *used,
    struct cp_proto_verdict *v)
{
	if (len < 1)
		return CP_PROTO_READ;
	if (in[0] == 'S') {
		*used = 1;
		s->st = PG_SEND_STARTUP;
		return CP_PROTO_STARTTLS;
	}
	if (in[0] == 'N') {
		*used = 1;
		v->outcome = CP_PROTO_NO_TLS;
		cp_proto_reason(v, CERTPICK_REASON_SVC_NO_TLS);
		free(v->text);
		v->text = cp_strdup("the server answered 'N' to SSLRequest: no TLS on this server "
				    "(ssl = off in postgresql.conf)");
		s->st = PG_DONE;
		return v->text != NULL ? CP_PROTO_DONE : fail(v, "out of memory");
	}
	if (in[0] == 'E') {
		const uint8_t *body;
		size_t blen;
		uint8_t type;
		int r = message(in, len, &type, &body, &blen, used);

		if (r == 0)
			return CP_PROTO_READ;
		if (r < 0)
			return fail(v, "an ErrorResponse to SSLRequest with an impossible length");
		v->outcome = CP_PROTO_NO_TLS;
		cp_proto_reason(v, CERTPICK_REASON_SVC_NO_TLS);
		s->st = PG_DONE;
		return cp_proto_take(&v->text, error_text(body, blen)) == 0 ?
		    CP_PROTO_DONE :
		    fail(v, "out of memory");
	}
	return fail(v, "not a PostgreSQL answer to SSLRequest (expected 'S' or 'N')");
}

/* A PasswordMessage / SASL response: 'p', length, then the parts (the last one may be secret). */
static void
put_p(struct cp_buf *out, const void *a, size_t alen, const void *b, size_t blen)
{
	cp_buf_u8(out, 'p');
	cp_buf_u32(out, (uint32_t)(4 + alen + blen));
	cp_buf_add(out, a, alen);
	cp_buf_add(out, b, blen); /* one append: the buffer never grows with it inside */
}

/* A password method pg_hba chose, and no password to answer it with (or none that fits). */
static enum cp_proto_act
password_wanted(struct pg *s, uint32_t code, const char *why, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	v->outcome = CP_PROTO_NOT_OFFERED;
	cp_proto_reason(v, CERTPICK_REASON_SVC_PG_PASSWORD_METHOD);
	v->code = (int)(code > 1000 ? 1000 : code);
	if (cp_proto_take(&v->text,
		cp_asprintf(
		    "the server asks for %s: certificate "
		    "authentication is not what pg_hba.conf chose for user \"%s\" on this connection%s",
		    auth_name(code), s->user, why)) != 0)
		return fail(v, "out of memory");
	cp_buf_u8(out, 'X');
	cp_buf_u32(out, 4);
	s->st = PG_DONE;
	return CP_PROTO_WRITE;
}

/* AuthenticationSASL: the mechanisms, each NUL-terminated, then an empty name. */
static enum cp_proto_act
sasl_start(struct pg *s, const uint8_t *b, size_t len, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	static const char mech[] = "SCRAM-SHA-256";
	bool scram = false;
	struct cp_buf first = { 0 };

	for (size_t i = 0; i < len && b[i] != 0;) {
		const uint8_t *nul = memchr(b + i, 0, len - i);
		size_t n = nul != NULL ? (size_t)(nul - (b + i)) : len - i;

		scram = scram || (n == sizeof(mech) - 1 && memcmp(b + i, mech, n) == 0);
		i += n + 1;
	}
	if (!scram || s->scram.nonce[0] == '\0')
		return password_wanted(s, 10,
		    " (with no mechanism certpick speaks: it speaks SCRAM-SHA-256 only)", out, v);
	cp_buf_str(&first, "n,,");
	cp_buf_str(&first, s->scram.first_bare);
	cp_buf_u8(out, 'p');
	cp_buf_u32(out, (uint32_t)(4 + sizeof(mech) + 4 + first.len));
	cp_buf_add(out, mech, sizeof(mech));
	cp_buf_u32(out, (uint32_t)first.len);
	cp_buf_add(out, first.p, first.len);
	cp_buf_free(&first);
	s->sasl = 10;
	return CP_PROTO_WRITE;
}

/* AuthenticationSASLContinue (11) and AuthenticationSASLFinal (12). */
static enum cp_proto_act
sasl_next(struct pg *s, uint32_t code, const uint8_t *b, size_t len, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	struct cp_buf fin = { 0 };
	const char *why;

	if (code == 11 && s->sasl == 10) {
		if ((why = cp_scram_final(&s->scram, s->password, (const char *)b, len, &fin)) !=
		    NULL) {
			cp_buf_free(&fin);
			return cp_proto_fail(v, "%s", why);
		}
		if (!fin.nomem)
			put_p(out, "", 0, fin.p, fin.len);
		else
			out->nomem = true; /* the engine ends the connection: out of memory */
		if (fin.p != NULL)
			OPENSSL_cleanse(fin.p, fin.cap);
		cp_buf_free(&fin);
		s->sasl = 11;
		s->sent_password = true;
		return CP_PROTO_WRITE;
	}
	if (code == 12 && s->sasl == 11) {
		if (cp_scram_verify(&s->scram, (const char *)b, len) != 0)
			return fail(v,
			    "the server's SCRAM signature does not verify: it does not "
			    "know the password (another server in the middle?)");
		s->password_proven = true;
		s->sasl = 12;
		return CP_PROTO_READ;
	}
	return fail(v, "a SASL message out of order");
}

/* An authentication request (code != 0): answered with the password given, or the verdict. */
static enum cp_proto_act
auth_request(struct pg *s, uint32_t code, const uint8_t *b, size_t len, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	char md5[36];

	if (++s->rounds > PG_MAX_AUTH_ROUNDS)
		return fail(v, "the server keeps asking for authentication");
	if (code == 11 || code == 12)
		return s->password != NULL ? sasl_next(s, code, b, len, out, v) :
					     fail(v, "a SASL message out of order");
	if (s->password == NULL || (code != 3 && code != 5 && code != 10))
		return password_wanted(s, code, "", out, v);
	if (s->sent_password || s->sasl != 0)
		return fail(v, "the server asks for a password twice");
	if (code == 10)
		return sasl_start(s, b, len, out, v);
	s->sent_password = true;
	if (code == 3) {
		put_p(out, "", 0, s->password, strlen(s->password) + 1);
		return CP_PROTO_WRITE;
	}
	if (len < 4)
		return fail(v, "an MD5 password request without its salt");
	if (cp_auth_pg_md5(s->user, s->password, b, md5) != 0)
		return fail(v, "MD5 is not available (OpenSSL's default provider)");
	put_p(out, "", 0, md5, sizeof(md5));
	OPENSSL_cleanse(md5, sizeof(md5));
	return CP_PROTO_WRITE;
}

/* One message while waiting for the verdict on the startup message. */
static enum cp_proto_act
read_auth(struct pg *s, uint8_t type, const uint8_t *body, size_t len, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	uint32_t code;

	if (type == 'E')
		return refused(s, body, len, v);
	if (type == 'N' || type == 'v') /* NoticeResponse, NegotiateProtocolVersion */
		return CP_PROTO_READ;
	if (type != 'R' || len < 4)
		return fail(v, "an unexpected message while waiting for authentication");
	code = be32(body);
	if (code != 0)
		return auth_request(s, code, body + 4, len - 4, out, v);
	if (s->sasl == 11)
		return fail(v, "AuthenticationOk before the server's SCRAM signature");
	s->st = PG_READ_UNTIL_READY;
	v->outcome = CP_PROTO_ACCEPTED;
	if (cp_proto_take(&v->identity, cp_strdup(s->user)) != 0 ||
	    cp_proto_take(&v->text,
		cp_strdup(s->sent_password ? "AuthenticationOk (with the password given)" :
					     "AuthenticationOk")) != 0)
		return fail(v, "out of memory");
	return CP_PROTO_READ;
}

static enum cp_proto_act
read_until_ready(struct pg *s, uint8_t type, const uint8_t *body, size_t len, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	if (type == 'E')
		return refused(s, body, len, v);
	if (type != 'Z') /* ParameterStatus, BackendKeyData, notices */
		return CP_PROTO_READ;
	cp_buf_u8(out, 'X');
	cp_buf_u32(out, 4);
	s->st = PG_DONE;
	return CP_PROTO_WRITE;
}

static enum cp_proto_act
pg_step(void *state, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct pg *s = state;
	const uint8_t *body;
	size_t blen, one;
	uint8_t type;
	enum cp_proto_act act = CP_PROTO_READ;

	*used = 0;
	switch (s->st) {
	case PG_SEND_SSLREQUEST:
		if (tls_up)
			return fail(v, "postgres: TLS before the SSLRequest");
		cp_buf_u32(out, 8);
		cp_buf_u32(out, PG_SSLREQUEST_CODE);
		s->st = PG_READ_SSL_ANSWER;
		return CP_PROTO_WRITE;
	case PG_READ_SSL_ANSWER: act = read_ssl_answer(s, in, len, used, v); break;
	case PG_SEND_STARTUP:
		if (!tls_up)
			return fail(v, "postgres: startup before TLS");
		put_startup(s, out);
		s->st = PG_READ_AUTH;
		return CP_PROTO_WRITE;
	case PG_READ_AUTH:
	case PG_READ_UNTIL_READY:
		while (act == CP_PROTO_READ && s->st != PG_DONE) {
			int r = message(in + *used, len - *used, &type, &body, &blen, &one);

			if (r < 0)
				return fail(v, "a PostgreSQL message with an impossible length");
			if (r == 0)
				break;
			*used += one;
			act = s->st == PG_READ_AUTH ? read_auth(s, type, body, blen, out, v) :
						      read_until_ready(s, type, body, blen, out, v);
		}
		break;
	case PG_DONE:
		return v->outcome == CP_PROTO_UNKNOWN ? fail(v, "postgres: no verdict") :
							CP_PROTO_DONE;
	}
	if (act == CP_PROTO_READ && eof)
		return s->st == PG_DONE || v->outcome != CP_PROTO_UNKNOWN ?
		    CP_PROTO_DONE :
		    cp_proto_closed(v, len - *used,
			s->st == PG_READ_SSL_ANSWER ? "the answer to SSLRequest" :
						      "the verdict on the startup message");
	return act;
}

const struct cp_proto_ops cp_proto_postgres = {
	.name = "postgres",
	.scheme = "postgres",
	.default_port = "5432",
	.implicit_tls = false,
	.state_size = sizeof(struct pg),
	.init = pg_init,
	.step = pg_step,
	.clear = pg_clear,
};

const struct cp_proto_ops cp_proto_postgresql = {
	.name = "postgres",
	.scheme = "postgresql",
	.default_port = "5432",
	.implicit_tls = false,
	.state_size = sizeof(struct pg),
	.init = pg_init,
	.step = pg_step,
	.clear = pg_clear,
};
