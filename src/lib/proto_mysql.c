/*
 * mysql://[user@]host[:port][/database] (MySQL and MariaDB): the server
 * speaks first; TLS starts after the client's SSLRequest; then the login
 * (proto.h's contract; pure).
 *
 *   server: Handshake v10 (version, capabilities, scramble, auth plugin) or
 *           an ERR packet (too many connections, host blocked)
 *   client: SSLRequest (seq 1)               -- when CLIENT_SSL is offered
 *   -- TLS --
 *   client: HandshakeResponse41 (seq 2): user, the auth response,
 *           database, the server's plugin name. The auth response is empty
 *           unless a password is given (params->password): then the
 *           mysql_native_password (SHA-1) or caching_sha2_password (SHA-256)
 *           scramble of the server's nonce
 *   server: OK (accepted), ERR (1045 access denied: the REQUIRE
 *           X509/SUBJECT/ISSUER requirement, or the password: the same words;
 *           the verdict adds what certpick sent), AuthSwitchRequest (another
 *           plugin and nonce: answered for mysql_native_password,
 *           caching_sha2_password and mysql_clear_password, else empty: a
 *           plugin certpick cannot answer, such as client_ed25519, is said so
 *           rather than read as a refusal), AuthMoreData (caching_sha2: 3 =
 *           fast auth OK, the password was right; 4 = full auth: the password
 *           in clear, only ever over TLS, which this layer always is)
 *   client: COM_QUIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"
#include "proto.h"

#define MY_MAX_PACKET ((size_t)32 << 10) /* greeting and login replies are small */
#define MY_DEFAULT_USER "root"

/* Capability flags (include/mysql_com.h names). */
#define CLIENT_LONG_PASSWORD 0x00000001u
#define CLIENT_LONG_FLAG 0x00000004u
#define CLIENT_CONNECT_WITH_DB 0x00000008u
#define CLIENT_PROTOCOL_41 0x00000200u
#define CLIENT_SSL 0x00000800u
#define CLIENT_TRANSACTIONS 0x00002000u
#define CLIENT_SECURE_CONNECTION 0x00008000u
#define CLIENT_PLUGIN_AUTH 0x00080000u

#define MY_CHARSET_UTF8MB4 45

enum my_state {
	MY_READ_GREETING = 0,
	MY_SEND_RESPONSE, /* after the handshake */
	MY_READ_LOGIN,
	MY_STARTTLS, /* the SSLRequest went out: the ClientHello follows at once */
	MY_DONE,
};

struct my {
	enum my_state st;
	const char *user, *database, *password;
	bool have_cert;
	uint32_t server_caps;
	uint8_t seq; /* the next sequence number the client sends */
	char plugin[64];
	uint8_t scramble[20]; /* the server's nonce (greeting, or the auth switch) */
	unsigned switches;    /* auth switches answered, bounded */
	bool sent_password;   /* a non-empty auth response went out */
	bool unsupported;     /* a password was given for a plugin certpick cannot answer */
	bool proven;	      /* caching_sha2 fast auth: the server took the password */
};

static void
my_init(void *state, const struct cp_proto_params *p)
{
	struct my *s = state;

	s->st = MY_READ_GREETING;
	s->user = p->user != NULL && p->user[0] != '\0' ? p->user : MY_DEFAULT_USER;
	s->database = p->path != NULL && p->path[0] == '/' ? p->path + 1 : p->path;
	if (s->database != NULL && s->database[0] == '\0')
		s->database = NULL;
	s->password = p->password != NULL && p->password[0] != '\0' ? p->password : NULL;
	s->have_cert = p->have_cert;
}

static void
my_clear(void *state)
{
	struct my *s = state;

	OPENSSL_cleanse(s->scramble, sizeof(s->scramble));
}

static enum cp_proto_act
fail(struct cp_proto_verdict *v, const char *what)
{
	return cp_proto_fail(v, "%s", what);
}

static uint32_t
le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static void
put_le32(struct cp_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	cp_buf_add(b, x, 4);
}

/*
 * One packet at in[0..len): 1 with its payload, sequence and *used; 0 when
 * not whole yet; -1 when larger than the cap (a 16 MiB greeting is hostile).
 */
static int
packet(const uint8_t *in, size_t len, const uint8_t **body, size_t *body_len, uint8_t *seq,
    size_t *used)
{
	size_t n;

	if (len < 4)
		return 0;
	n = (size_t)in[0] | (size_t)in[1] << 8 | (size_t)in[2] << 16;
	if (n > MY_MAX_PACKET)
		return -1;
	if (len - 4 < n)
		return 0;
	*body = in + 4;
	*body_len = n;
	*seq = in[3];
	*used = 4 + n;
	return 1;
}

/* Begin a client packet: 3-byte length filled in by end_packet(). */
static size_t
begin_packet(struct my *s, struct cp_buf *out)
{
	size_t at = out->len;

	cp_buf_u8(out, 0);
	cp_buf_u8(out, 0);
	cp_buf_u8(out, 0);
	cp_buf_u8(out, s->seq++);
	return at;
}

static void
end_packet(struct cp_buf *out, size_t at)
{
	size_t n;

	if (out->nomem)
		return;
	n = out->len - at - 4;
	out->p[at] = (char)n;
	out->p[at + 1] = (char)(n >> 8);
	out->p[at + 2] = (char)(n >> 16);
}

/* An ERR packet (0xff, code, ['#' sqlstate], message) as the verdict text. */
static char *
err_text(const uint8_t *b, size_t len, int *code)
{
	size_t i = 3;
	char state[6] = "HY000";

	*code = len >= 3 ? (int)le16(b + 1) : -1;
	if (len >= 9 && b[3] == '#') {
		memcpy(state, b + 4, 5);
		i = 9;
	}
	for (size_t k = 0; k < 5; k++)
		if (state[k] < 0x20 || state[k] > 0x7e)
			state[k] = '?';
	if (i > len)
		i = len;
	return cp_asprintf("ERROR %d (%s): %.*s", *code, state, (int)(len - i),
	    (const char *)b + i);
}

/* What certpick sent, beside the server's "(using password: YES|NO)". */
static char *
sent_text(const struct my *s, char *server_words)
{
	char *t;

	if (server_words == NULL || s->st == MY_READ_GREETING)
		return server_words;
	t = cp_asprintf("%s [certpick sent %s and %s%s%s]", server_words,
	    s->have_cert ? "a certificate" : "no certificate",
	    s->sent_password	    ? "the password given" :
		s->password != NULL ? "no password (the plugin's answer is not known to certpick)" :
				      "no password",
	    s->plugin[0] != '\0' ? ", plugin " : "", s->plugin);
	free(server_words);
	return t;
}

static enum cp_proto_act
server_error(struct my *s, const uint8_t *b, size_t len, struct cp_proto_verdict *v)
{
	enum my_state was = s->st;

	v->outcome = CP_PROTO_REFUSED;
	if (cp_proto_take(&v->text, sent_text(s, err_text(b, len, &v->code))) != 0)
		return fail(v, "out of memory");
	s->st = MY_DONE;				/* the server closes after an ERR */
	if (v->code != 1045 || was == MY_READ_GREETING) /* ER_ACCESS_DENIED_ERROR */
		return CP_PROTO_DONE;
	if (s->unsupported)
		cp_proto_reason(v, CERTPICK_REASON_SVC_MYSQL_PLUGIN_UNSUPPORTED);
	else if (s->proven)
		cp_proto_reason(v, CERTPICK_REASON_SVC_MYSQL_CERT_REQUIREMENT);
	else if (!s->have_cert)
		cp_proto_reason(v, CERTPICK_REASON_SVC_MYSQL_NO_CERT);
	else
		cp_proto_reason(v, CERTPICK_REASON_SVC_MYSQL_ACCESS_DENIED);
	return CP_PROTO_DONE;
}

/* Handshake v10: server version (the banner), capabilities, plugin name. */
static enum cp_proto_act
greeting(struct my *s, const uint8_t *b, size_t len, struct cp_buf *out, struct cp_proto_verdict *v)
{
	const uint8_t *nul;
	size_t i;

	if (len >= 1 && b[0] == 0xff) {
		enum cp_proto_act a = server_error(s, b, len, v);

		if (a == CP_PROTO_DONE) {
			v->outcome = CP_PROTO_NO_TLS;
			v->has_reason = false;
		}
		return a;
	}
	if (len < 1 || b[0] != 10 || (nul = memchr(b + 1, 0, len - 1)) == NULL)
		return fail(v, "not a MySQL/MariaDB greeting (protocol 10)");
	cp_proto_set(&v->banner, b + 1, (size_t)(nul - b - 1));
	i = (size_t)(nul - b) + 1;
	/* connection id 4, scramble part 1 8, filler 1, caps low 2 */
	if (len - i < 4 + 8 + 1 + 2)
		return fail(v, "a MySQL greeting too short for its capabilities");
	memcpy(s->scramble, b + i + 4, 8);
	s->server_caps = le16(b + i + 13);
	i += 15;
	/* charset 1, status 2, caps high 2, scramble length 1, reserved 10, scramble part 2, plugin */
	if (len - i >= 1 + 2 + 2) {
		s->server_caps |= le16(b + i + 3) << 16;
		i += 5;
		if (len - i >= 11) {
			size_t part2 = b[i] > 8 ? (size_t)b[i] - 8 : 13;

			if (part2 < 13)
				part2 = 13;
			i += 11;
			if (len - i >= 12)
				memcpy(s->scramble + 8, b + i, 12);
			if (len - i > part2 && (s->server_caps & CLIENT_PLUGIN_AUTH)) {
				size_t n = len - i - part2;
				const uint8_t *z = memchr(b + i + part2, 0, n);

				if (z != NULL)
					n = (size_t)(z - (b + i + part2));
				if (n >= sizeof(s->plugin))
					n = sizeof(s->plugin) - 1;
				memcpy(s->plugin, b + i + part2, n);
				s->plugin[n] = '\0';
			}
		}
	}
	if (!(s->server_caps & CLIENT_SSL)) {
		s->st = MY_DONE;
		v->outcome = CP_PROTO_NO_TLS;
		cp_proto_reason(v, CERTPICK_REASON_SVC_NO_TLS);
		free(v->text);
		v->text = cp_strdup("the server does not offer TLS (no CLIENT_SSL in its greeting: "
				    "have_ssl = DISABLED)");
		return v->text != NULL ? CP_PROTO_DONE : fail(v, "out of memory");
	}
	s->seq = 1;
	size_t at = begin_packet(s, out);

	put_le32(out,
	    CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_SSL |
		CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
		(s->database != NULL ? CLIENT_CONNECT_WITH_DB : 0));
	put_le32(out, 1u << 24); /* max packet */
	cp_buf_u8(out, MY_CHARSET_UTF8MB4);
	for (int k = 0; k < 23; k++)
		cp_buf_u8(out, 0);
	end_packet(out, at);
	s->st = MY_STARTTLS;
	return CP_PROTO_WRITE;
}

/*
 * The auth response for s->plugin and s->scramble: the scramble of the
 * password for the plugins certpick answers, else nothing (no password, or
 * a plugin it does not speak: s->unsupported). lenenc: prefixed by its
 * length (HandshakeResponse41 with CLIENT_SECURE_CONNECTION).
 */
static void
auth_response(struct my *s, bool lenenc, struct cp_buf *out)
{
	uint8_t r[32];
	size_t n = 0;

	if (s->password != NULL && strcmp(s->plugin, "mysql_native_password") == 0 &&
	    cp_auth_mysql_native(s->password, s->scramble, r) == 0)
		n = 20;
	else if (s->password != NULL && strcmp(s->plugin, "caching_sha2_password") == 0 &&
	    cp_auth_mysql_sha2(s->password, s->scramble, r) == 0)
		n = 32;
	else if (s->password != NULL && strcmp(s->plugin, "mysql_clear_password") == 0 &&
	    (!lenenc || strlen(s->password) < 250)) {
		/* over TLS only: this layer never logs in before the handshake */
		if (lenenc) /* a one-byte length (no CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) */
			cp_buf_u8(out, (unsigned)strlen(s->password) + 1);
		cp_buf_add(out, s->password, strlen(s->password) + 1);
		s->sent_password = true;
		return;
	} else if (s->password != NULL)
		s->unsupported = true;
	if (lenenc)
		cp_buf_u8(out, (unsigned)n);
	cp_buf_add(out, r, n);
	s->sent_password = s->sent_password || n > 0;
	OPENSSL_cleanse(r, sizeof(r));
}

static void
handshake_response(struct my *s, struct cp_buf *out)
{
	size_t at = begin_packet(s, out);

	put_le32(out,
	    CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_SSL |
		CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
		(s->database != NULL ? CLIENT_CONNECT_WITH_DB : 0));
	put_le32(out, 1u << 24);
	cp_buf_u8(out, MY_CHARSET_UTF8MB4);
	for (int k = 0; k < 23; k++)
		cp_buf_u8(out, 0);
	cp_buf_str(out, s->user);
	cp_buf_u8(out, 0);
	if (s->plugin[0] == '\0')
		memcpy(s->plugin, "mysql_native_password", sizeof("mysql_native_password"));
	auth_response(s, true, out);
	if (s->database != NULL) {
		cp_buf_str(out, s->database);
		cp_buf_u8(out, 0);
	}
	cp_buf_str(out, s->plugin);
	cp_buf_u8(out, 0);
	end_packet(out, at);
}

static enum cp_proto_act
accepted(struct my *s, struct cp_buf *out, struct cp_proto_verdict *v)
{
	size_t at;

	v->outcome = CP_PROTO_ACCEPTED;
	v->code = 0;
	if (cp_proto_take(&v->identity, cp_strdup(s->user)) != 0 ||
	    cp_proto_take(&v->text, cp_strdup("OK")) != 0)
		return fail(v, "out of memory");
	s->seq = 0;
	at = begin_packet(s, out);
	cp_buf_u8(out, 0x01); /* COM_QUIT */
	end_packet(out, at);
	s->st = MY_DONE;
	return CP_PROTO_WRITE;
}

/* The next packet of the login exchange: the auth response, or the clear password. */
static enum cp_proto_act
answer(struct my *s, uint8_t seq, bool clear, struct cp_buf *out, struct cp_proto_verdict *v)
{
	size_t at;

	if (++s->switches > 4)
		return fail(v, "the server keeps switching authentication methods");
	s->seq = (uint8_t)(seq + 1);
	at = begin_packet(s, out);
	if (clear && s->password != NULL) { /* caching_sha2 full auth, over TLS */
		cp_buf_add(out, s->password, strlen(s->password) + 1);
		s->sent_password = true;
	} else if (clear) {
		cp_buf_u8(out, 0);
	} else {
		auth_response(s, false, out);
	}
	end_packet(out, at);
	return CP_PROTO_WRITE;
}

/* AuthSwitchRequest: plugin name NUL, the new nonce (20 bytes, maybe NUL-terminated). */
static enum cp_proto_act
auth_switch(struct my *s, const uint8_t *b, size_t len, uint8_t seq, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	const uint8_t *z = memchr(b + 1, 0, len - 1);
	size_t n = z != NULL ? (size_t)(z - b - 1) : len - 1;

	if (n >= sizeof(s->plugin))
		n = sizeof(s->plugin) - 1;
	memcpy(s->plugin, b + 1, n);
	s->plugin[n] = '\0';
	if (z != NULL && (size_t)(b + len - (z + 1)) >= 20)
		memcpy(s->scramble, z + 1, 20);
	else if (s->password != NULL && strcmp(s->plugin, "mysql_clear_password") != 0)
		return fail(v, "an auth switch without the 20-byte nonce");
	return answer(s, seq, false, out, v);
}

static enum cp_proto_act
login_packet(struct my *s, const uint8_t *b, size_t len, uint8_t seq, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	if (len == 0)
		return fail(v, "an empty MySQL packet during login");
	switch (b[0]) {
	case 0x00: return accepted(s, out, v);
	case 0xff: return server_error(s, b, len, v);
	case 0xfe: return auth_switch(s, b, len, seq, out, v);
	case 0x01:				/* AuthMoreData */
		if (len >= 2 && b[1] == 0x03) { /* caching_sha2 fast auth: the password was right */
			s->proven = s->sent_password;
			return CP_PROTO_READ;
		}
		if (len >= 2 && b[1] == 0x04) /* full auth: the password in clear, over TLS */
			return answer(s, seq, true, out, v);
		return fail(v, "AuthMoreData certpick does not answer (an RSA public key?)");
	default: return fail(v, "an unexpected MySQL packet during login");
	}
}

static enum cp_proto_act
my_step(void *state, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct my *s = state;
	enum cp_proto_act act = CP_PROTO_READ;
	const uint8_t *body;
	size_t blen, one;
	uint8_t seq;
	int r;

	*used = 0;
	switch (s->st) {
	case MY_READ_GREETING:
	case MY_READ_LOGIN:
		while (act == CP_PROTO_READ && s->st != MY_DONE) {
			r = packet(in + *used, len - *used, &body, &blen, &seq, &one);
			if (r < 0)
				return fail(v,
				    "a MySQL packet larger than 32 KiB during the login");
			if (r == 0)
				break;
			*used += one;
			act = s->st == MY_READ_GREETING ? greeting(s, body, blen, out, v) :
							  login_packet(s, body, blen, seq, out, v);
		}
		break;
	case MY_SEND_RESPONSE:
		if (!tls_up)
			return fail(v, "mysql: login before TLS");
		handshake_response(s, out);
		s->st = MY_READ_LOGIN;
		return CP_PROTO_WRITE;
	case MY_STARTTLS: s->st = MY_SEND_RESPONSE; return CP_PROTO_STARTTLS;
	case MY_DONE:
		return v->outcome == CP_PROTO_UNKNOWN ? fail(v, "mysql: no verdict") :
							CP_PROTO_DONE;
	}
	if (act == CP_PROTO_READ && eof)
		return v->outcome != CP_PROTO_UNKNOWN ?
		    CP_PROTO_DONE :
		    cp_proto_closed(v, len - *used,
			s->st == MY_READ_GREETING ? "its greeting" : "the verdict on the login");
	return act;
}

const struct cp_proto_ops cp_proto_mysql = {
	.name = "mysql",
	.scheme = "mysql",
	.default_port = "3306",
	.implicit_tls = false,
	.state_size = sizeof(struct my),
	.init = my_init,
	.step = my_step,
	.clear = my_clear,
};

const struct cp_proto_ops cp_proto_mariadb = {
	.name = "mysql",
	.scheme = "mariadb",
	.default_port = "3306",
	.implicit_tls = false,
	.state_size = sizeof(struct my),
	.init = my_init,
	.step = my_step,
	.clear = my_clear,
};
