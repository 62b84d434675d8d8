/*
 * mqtts://[user@]host[:port] (TLS first, 8883) and mqtt:// (no TLS at all,
 * 1883: the plain-text baseline): CONNECT, then the broker's CONNACK
 * (proto.h's contract; pure). MQTT 3.1.1 by default; a path of "/5" sends an
 * MQTT 5 CONNECT, whose CONNACK carries a reason code and may carry a
 * reason string. Then DISCONNECT.
 *
 * A password given (params->password) goes in the CONNECT with the user
 * (MQTT 3.1.1 wants a user name with a password: the empty one when none
 * is given); CONNACK 4 / 0x86 (bad user name or password) and 5 / 0x87
 * (not authorized) are told apart.
 *
 * With mosquitto's `require_certificate true` a client without a
 * certificate never gets this far (the handshake fails); with
 * `use_identity_as_username true` the broker takes the user name from the
 * certificate and ignores the one sent, which the CONNACK does not say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"
#include "proto.h"

#define MQTT_CLIENT_ID "certpick-probe"
#define MQTT_KEEPALIVE 30
#define MQTT_MAX_CONNACK ((size_t)16 << 10)

enum mqtt_state {
	MQ_SEND_CONNECT = 0,
	MQ_READ_CONNACK,
	MQ_DONE,
};

struct mqtt {
	enum mqtt_state st;
	const char *user, *password;
	unsigned version; /* 4: 3.1.1, 5: MQTT 5 */
};

static void
mqtt_init(void *state, const struct cp_proto_params *p)
{
	struct mqtt *s = state;

	s->st = MQ_SEND_CONNECT;
	s->user = p->user != NULL && p->user[0] != '\0' ? p->user : NULL;
	s->password = p->password;
	s->version =
	    p->path != NULL && (strcmp(p->path, "/5") == 0 || strcmp(p->path, "5") == 0) ? 5 : 4;
}

static enum cp_proto_act
fail(struct cp_proto_verdict *v, const char *what)
{
	return cp_proto_fail(v, "%s", what);
}

static void
put_varint(struct cp_buf *b, size_t n)
{
	do {
		uint8_t x = (uint8_t)(n % 128);

		n /= 128;
		cp_buf_u8(b, n > 0 ? x | 0x80 : x);
	} while (n > 0);
}

static void
put_str(struct cp_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > 0xffff)
		n = 0xffff;
	cp_buf_u16(b, (unsigned)n);
	cp_buf_add(b, s, n);
}

static void
put_connect(const struct mqtt *s, struct cp_buf *out)
{
	struct cp_buf body = { 0 };
	/* MQTT 3.1.1 3.1.2.9: a password needs the user name flag */
	const char *user = s->user != NULL	   ? s->user :
	    s->password != NULL && s->version == 4 ? "" :
						     NULL;

	put_str(&body, "MQTT");
	cp_buf_u8(&body, s->version);
	cp_buf_u8(&body, 0x02 | (user != NULL ? 0x80 : 0) | (s->password != NULL ? 0x40 : 0));
	cp_buf_u16(&body, MQTT_KEEPALIVE);
	if (s->version == 5)
		cp_buf_u8(&body, 0); /* no properties */
	put_str(&body, MQTT_CLIENT_ID);
	if (user != NULL)
		put_str(&body, user);
	if (s->password != NULL)
		put_str(&body, s->password);
	if (body.nomem) {
		out->nomem = true;
	} else {
		cp_buf_u8(out, 0x10);
		put_varint(out, body.len);
		cp_buf_add(out, body.p, body.len);
	}
	if (body.p != NULL)
		OPENSSL_cleanse(body.p, body.cap);
	cp_buf_free(&body);
}

/* Remaining length (1-4 bytes): 1 with *n and *hdr; 0 incomplete; -1 malformed. */
static int
varint(const uint8_t *in, size_t len, size_t *n, size_t *hdr)
{
	size_t v = 0, mul = 1;

	for (size_t i = 0; i < 4; i++) {
		if (i >= len)
			return 0;
		v += (size_t)(in[i] & 0x7f) * mul;
		if (!(in[i] & 0x80)) {
			*n = v;
			*hdr = i + 1;
			return 1;
		}
		mul *= 128;
	}
	return -1;
}

static const char *
v3_code_name(unsigned rc)
{
	static const char *const names[] = {
		"Connection Accepted",
		"unacceptable protocol version",
		"identifier rejected",
		"server unavailable",
		"bad user name or password",
		"not authorized",
	};

	return rc < CP_NELEM(names) ? names[rc] : "unknown return code";
}

static const char *
v5_code_name(unsigned rc)
{
	switch (rc) {
	case 0x00: return "Success";
	case 0x80: return "Unspecified error";
	case 0x81: return "Malformed Packet";
	case 0x82: return "Protocol Error";
	case 0x83: return "Implementation specific error";
	case 0x84: return "Unsupported Protocol Version";
	case 0x85: return "Client Identifier not valid";
	case 0x86: return "Bad User Name or Password";
	case 0x87: return "Not authorized";
	case 0x88: return "Server unavailable";
	case 0x89: return "Server busy";
	case 0x8a: return "Banned";
	case 0x8c: return "Bad authentication method";
	case 0x95: return "Packet too large";
	case 0x97: return "Quota exceeded";
	case 0x99: return "Payload format invalid";
	case 0x9a: return "Retain not supported";
	case 0x9b: return "QoS not supported";
	case 0x9c: return "Use another server";
	case 0x9d: return "Server moved";
	case 0x9f: return "Connection rate exceeded";
	default: return "unknown reason code";
	}
}

/* An MQTT 5 CONNACK's Reason String property (0x1f), if any, into *rs. */
static void
v5_reason_string(const uint8_t *p, size_t len, const uint8_t **rs, size_t *rs_len)
{
	size_t plen, hdr, i;

	*rs = NULL;
	if (varint(p, len, &plen, &hdr) != 1 || plen > len - hdr)
		return;
	p += hdr;
	for (i = 0; i < plen;) {
		uint8_t id = p[i++];
		size_t n;

		if (id == 0x1f && plen - i >= 2) {
			n = (size_t)p[i] << 8 | p[i + 1];
			if (n <= plen - i - 2) {
				*rs = p + i + 2;
				*rs_len = n;
			}
			return;
		}
		/* only skip what can be sized without a full property table */
		if (id == 0x11 || id == 0x27) /* four-byte integers */
			n = 4;
		else if (id == 0x21 || id == 0x22 || id == 0x13) /* two-byte */
			n = 2;
		else if (id == 0x24 || id == 0x25 || id == 0x28 || id == 0x29 || id == 0x2a)
			n = 1;
		else if ((id == 0x12 || id == 0x1a || id == 0x1c || id == 0x15) && plen - i >= 2)
			n = 2 + ((size_t)p[i] << 8 | p[i + 1]);
		else
			return;
		if (n > plen - i)
			return;
		i += n;
	}
}

static enum cp_proto_act
connack(struct mqtt *s, const uint8_t *b, size_t len, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	unsigned rc;
	const uint8_t *rs = NULL;
	size_t rs_len = 0;

	if (len < 2)
		return fail(v, "a CONNACK shorter than 2 bytes");
	rc = b[1];
	if (s->version == 5 && len > 2)
		v5_reason_string(b + 2, len - 2, &rs, &rs_len);
	v->code = (int)rc;
	if (cp_proto_take(&v->text,
		rs != NULL ? cp_asprintf("CONNACK %u: %s (%.*s)", rc,
				 s->version == 5 ? v5_code_name(rc) : v3_code_name(rc), (int)rs_len,
				 (const char *)rs) :
			     cp_asprintf("CONNACK %u: %s", rc,
				 s->version == 5 ? v5_code_name(rc) : v3_code_name(rc))) != 0)
		return fail(v, "out of memory");
	s->st = MQ_DONE;
	if (rc != 0) {
		v->outcome = CP_PROTO_REFUSED;
		if ((rc == 4 || rc == 5 || rc == 0x86 || rc == 0x87) &&
		    cp_proto_take(&v->text,
			cp_asprintf("%s [certpick sent %s%s%s]", v->text,
			    s->user != NULL ? "user " : "no user", s->user != NULL ? s->user : "",
			    s->password != NULL ? " and a password" : " and no password")) != 0)
			return fail(v, "out of memory");
		if (rc == 4 || rc == 0x86)
			cp_proto_reason(v, CERTPICK_REASON_SVC_MQTT_BAD_CREDENTIALS);
		else if (rc == 5 || rc == 0x87)
			cp_proto_reason(v, CERTPICK_REASON_SVC_MQTT_NOT_AUTHORIZED);
		return CP_PROTO_DONE; /* the broker closes after a refusal */
	}
	v->outcome = CP_PROTO_ACCEPTED;
	if (s->user != NULL) {
		if (cp_proto_take(&v->identity, cp_strdup(s->user)) != 0)
			return fail(v, "out of memory");
	}
	cp_buf_u8(out, 0xe0); /* DISCONNECT */
	cp_buf_u8(out, 0x00);
	return CP_PROTO_WRITE;
}

static enum cp_proto_act
mqtt_step(void *state, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct mqtt *s = state;
	size_t n, hdr;
	int r;

	(void)tls_up; /* mqtts: always up; mqtt: never */
	*used = 0;
	switch (s->st) {
	case MQ_SEND_CONNECT:
		put_connect(s, out);
		s->st = MQ_READ_CONNACK;
		return CP_PROTO_WRITE;
	case MQ_READ_CONNACK:
		if (len >= 1 && in[0] != 0x20)
			return fail(v, "the broker's first packet is not a CONNACK");
		r = len >= 1 ? varint(in + 1, len - 1, &n, &hdr) : 0;
		if (r < 0 || (r == 1 && n > MQTT_MAX_CONNACK))
			return fail(v, "a CONNACK with an impossible length");
		if (r == 0 || len - 1 - hdr < n)
			return eof ? fail(v, "the broker closed the connection before a CONNACK") :
				     CP_PROTO_READ;
		*used = 1 + hdr + n;
		return connack(s, in + 1 + hdr, n, out, v);
	case MQ_DONE: break;
	}
	return v->outcome == CP_PROTO_UNKNOWN ? fail(v, "mqtt: no verdict") : CP_PROTO_DONE;
}

const struct cp_proto_ops cp_proto_mqtts = {
	.name = "mqtt",
	.scheme = "mqtts",
	.default_port = "8883",
	.implicit_tls = true,
	.state_size = sizeof(struct mqtt),
	.init = mqtt_init,
	.step = mqtt_step,
	.clear = NULL,
};

/*
 * mqtt:// never starts TLS: the engine runs the conversation in the clear
 * (a baseline: does the broker answer at all, and what without TLS).
 */
const struct cp_proto_ops cp_proto_mqtt = {
	.name = "mqtt",
	.scheme = "mqtt",
	.default_port = "1883",
	.implicit_tls = false,
	.state_size = sizeof(struct mqtt),
	.init = mqtt_init,
	.step = mqtt_step,
	.clear = NULL,
};
