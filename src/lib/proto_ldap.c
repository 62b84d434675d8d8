/*
 * ldap:// (StartTLS extended operation, RFC 4511 4.14) and ldaps:// (636):
 * a SASL EXTERNAL bind (RFC 4513 5.2.1.2, RFC 4422 appendix A), then
 * "Who am I?" (RFC 4532) for the authorization identity, then unbind.
 * A minimal BER reader and writer for exactly these LDAPMessages: the
 * reader takes definite lengths only (up to what the engine keeps pending),
 * single-byte tags, the tags each response may hold and nothing else.
 * Pure (proto.h).
 *
 * The verdict: bind resultCode 0 accepted (identity from Who am I?), 7
 * authMethodNotSupported not offered, any other code refused with its
 * RFC 4511 name and the server's diagnosticMessage; a StartTLS answered
 * with a non-zero code (protocolError 2, unavailable 52, ...) is NO_TLS.
 * LDAP advertises SASL mechanisms only in the root DSE, which is not read:
 * offers_external is inferred from the bind (true unless code 7).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "proto.h"

#define OID_STARTTLS "1.3.6.1.4.1.1466.20037"
#define OID_WHOAMI "1.3.6.1.4.1.4203.1.11.3"
#define LDAP_MAX_MESSAGE (CP_PROTO_MAX_PENDING - 6)

enum ber_tag {
	BER_INTEGER = 0x02,
	BER_OCTETS = 0x04,
	BER_ENUM = 0x0a,
	BER_SEQUENCE = 0x30,
	LDAP_BIND_REQUEST = 0x60,
	LDAP_BIND_RESPONSE = 0x61,
	LDAP_UNBIND = 0x42,
	LDAP_EXT_REQUEST = 0x77,
	LDAP_EXT_RESPONSE = 0x78,
	LDAP_CONTROLS = 0xa0,
	LDAP_SASL = 0xa3,
	LDAP_REFERRAL = 0xa3,
	LDAP_SASL_CREDS = 0x87,
	LDAP_EXT_NAME = 0x80,
	LDAP_RESP_NAME = 0x8a,
	LDAP_RESP_VALUE = 0x8b,
};

enum ldap_phase {
	LDAP_START = 0,
	LDAP_STARTTLS,
	LDAP_HANDSHAKE,
	LDAP_BIND,
	LDAP_WHOAMI,
	LDAP_UNBOUND,
};

static const char *const waiting_for[] = {
	[LDAP_START] = "the first request",
	[LDAP_STARTTLS] = "the StartTLS response",
	[LDAP_HANDSHAKE] = "the handshake",
	[LDAP_BIND] = "the bind response",
	[LDAP_WHOAMI] = "the Who am I? response",
	[LDAP_UNBOUND] = "the end",
};

struct ldap {
	struct cp_proto_params p; /* copied at init; its strings stay borrowed */
	enum ldap_phase phase;
	int msgid; /* of the request in flight */
};

/* an LDAPResult, as read (pointers into the input) */
struct ldap_result {
	int msgid;
	unsigned op;
	int code;
	const uint8_t *diag, *value;
	size_t diag_len, value_len;
	bool has_value;
};

static void
ldap_init(void *vs, const struct cp_proto_params *p)
{
	struct ldap *st = vs;

	st->p = *p;
}

static void
ber_tlv(struct cp_buf *b, unsigned tag, const void *val, size_t n)
{
	cp_buf_u8(b, tag);
	if (n < 0x80) {
		cp_buf_u8(b, (unsigned)n);
	} else if (n <= 0xffff) {
		cp_buf_u8(b, 0x82);
		cp_buf_u16(b, (unsigned)n);
	} else {
		cp_buf_u8(b, 0x84);
		cp_buf_u32(b, (uint32_t)n);
	}
	cp_buf_add(b, val, n);
}

/* LDAPMessage { messageID, protocolOp } around an op's encoded content */
static void
message(struct cp_buf *out, int id, unsigned op, const struct cp_buf *content)
{
	struct cp_buf m = { 0 };
	uint8_t idv = (uint8_t)id;

	ber_tlv(&m, BER_INTEGER, &idv, 1);
	ber_tlv(&m, op, content->p, content->len);
	if (content->nomem)
		m.nomem = true;
	ber_tlv(out, BER_SEQUENCE, m.p, m.len);
	if (m.nomem)
		out->nomem = true;
	cp_buf_free(&m);
}

static enum cp_proto_act
send_op(struct ldap *st, enum ldap_phase next, struct cp_buf *out, unsigned op,
    struct cp_buf *content)
{
	message(out, ++st->msgid, op, content);
	cp_buf_free(content);
	st->phase = next;
	return CP_PROTO_WRITE;
}

static enum cp_proto_act
extended(struct ldap *st, enum ldap_phase next, struct cp_buf *out, const char *oid)
{
	struct cp_buf c = { 0 };

	ber_tlv(&c, LDAP_EXT_NAME, oid, strlen(oid));
	return send_op(st, next, out, LDAP_EXT_REQUEST, &c);
}

/* RFC 4513 5.2.1.2: an authzid "dn:..." or "u:..."; a bare user is either */
static void
authzid(struct cp_buf *b, const char *user)
{
	if (strncmp(user, "dn:", 3) != 0 && strncmp(user, "u:", 2) != 0)
		cp_buf_str(b, strchr(user, '=') != NULL ? "dn:" : "u:");
	cp_buf_str(b, user);
}

static enum cp_proto_act
sasl_bind(struct ldap *st, struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct cp_buf sasl = { 0 }, c = { 0 }, id = { 0 };
	uint8_t version = 3;

	ber_tlv(&sasl, BER_OCTETS, "EXTERNAL", 8);
	/* credentials always, empty without an authzid: slapd (Cyrus SASL) answers a bind
	 * without them with saslBindInProgress and waits for a second step */
	if (st->p.user != NULL && st->p.user[0] != '\0')
		authzid(&id, st->p.user);
	ber_tlv(&sasl, BER_OCTETS, id.p != NULL ? id.p : "", id.len);
	ber_tlv(&c, BER_INTEGER, &version, 1);
	ber_tlv(&c, BER_OCTETS, "", 0);
	ber_tlv(&c, LDAP_SASL, sasl.p, sasl.len);
	c.nomem |= sasl.nomem || id.nomem;
	cp_buf_free(&sasl);
	cp_buf_free(&id);
	v->sent_auth = true;
	return send_op(st, LDAP_BIND, out, LDAP_BIND_REQUEST, &c);
}

static enum cp_proto_act
unbind(struct ldap *st, struct cp_buf *out)
{
	struct cp_buf c = { 0 };

	return send_op(st, LDAP_UNBOUND, out, LDAP_UNBIND, &c);
}

/*
 * One TLV at in[0..len): 1 with its tag, value and whole length; 0 when
 * more bytes are needed; -1 for what this reader refuses (multi-byte tag,
 * indefinite or over-long length, a length past the cap).
 */
static int
ber_next(const uint8_t *in, size_t len, unsigned *tag, const uint8_t **val, size_t *vlen,
    size_t *total)
{
	size_t n = 0, hdr = 2;

	if (len < 2)
		return 0;
	if ((in[0] & 0x1f) == 0x1f || in[1] == 0x80 || in[1] > 0x84)
		return -1;
	if (in[1] < 0x80) {
		n = in[1];
	} else {
		hdr += in[1] & 0x7f;
		if (len < hdr)
			return 0;
		for (size_t i = 2; i < hdr; i++)
			n = n << 8 | in[i];
	}
	if (n > LDAP_MAX_MESSAGE)
		return -1;
	if (len - hdr < n)
		return 0;
	*tag = in[0];
	*val = in + hdr;
	*vlen = n;
	*total = hdr + n;
	return 1;
}

/* a TLV that must be whole inside its parent: 1 or -1 */
static int
ber_take(const uint8_t **p, size_t *len, unsigned want, const uint8_t **val, size_t *vlen)
{
	unsigned tag;
	size_t total;

	if (ber_next(*p, *len, &tag, val, vlen, &total) != 1 || (want != 0 && tag != want))
		return -1;
	*p += total;
	*len -= total;
	return 1;
}

/* INTEGER / ENUMERATED 0..2^31-1 */
static int
ber_int(const uint8_t *v, size_t n, int *out)
{
	int x = 0;

	if (n == 0 || n > 4 || (v[0] & 0x80) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		x = x << 8 | v[i];
	*out = x;
	return 1;
}

/* protocolOp: LDAPResult (RFC 4511 4.1.9) and the optional fields of its op */
static int
read_result(const uint8_t *p, size_t len, struct ldap_result *r)
{
	const uint8_t *val;
	size_t vlen;

	if (ber_take(&p, &len, BER_ENUM, &val, &vlen) < 0 || ber_int(val, vlen, &r->code) < 0 ||
	    ber_take(&p, &len, BER_OCTETS, &val, &vlen) < 0 ||
	    ber_take(&p, &len, BER_OCTETS, &r->diag, &r->diag_len) < 0)
		return -1;
	while (len > 0) {
		unsigned tag = p[0];

		if (ber_take(&p, &len, 0, &val, &vlen) < 0)
			return -1;
		if (tag == LDAP_REFERRAL ||
		    (tag == LDAP_SASL_CREDS && r->op == LDAP_BIND_RESPONSE) ||
		    (tag == LDAP_RESP_NAME && r->op == LDAP_EXT_RESPONSE))
			continue;
		if (tag != LDAP_RESP_VALUE || r->op != LDAP_EXT_RESPONSE || r->has_value)
			return -1;
		r->value = val;
		r->value_len = vlen;
		r->has_value = true;
	}
	return 1;
}

/* one LDAPMessage: 1 (*used its length), 0 incomplete, -1 malformed */
static int
read_message(const uint8_t *in, size_t len, struct ldap_result *r, size_t *used)
{
	const uint8_t *p, *val;
	size_t plen, vlen;
	unsigned tag;
	int rc = len > 0 && in[0] != BER_SEQUENCE ? -1 : ber_next(in, len, &tag, &p, &plen, used);

	if (rc != 1)
		return rc;
	if (tag != BER_SEQUENCE || ber_take(&p, &plen, BER_INTEGER, &val, &vlen) < 0 ||
	    ber_int(val, vlen, &r->msgid) < 0 || plen == 0)
		return -1;
	r->op = p[0];
	if ((r->op != LDAP_BIND_RESPONSE && r->op != LDAP_EXT_RESPONSE) ||
	    ber_take(&p, &plen, 0, &val, &vlen) < 0 || read_result(val, vlen, r) < 0)
		return -1;
	if (plen > 0 && ber_take(&p, &plen, LDAP_CONTROLS, &val, &vlen) < 0)
		return -1;
	return plen == 0 ? 1 : -1;
}

static const char *
result_name(int code)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ 0, "success" },
		{ 1, "operationsError" },
		{ 2, "protocolError" },
		{ 3, "timeLimitExceeded" },
		{ 4, "sizeLimitExceeded" },
		{ 7, "authMethodNotSupported" },
		{ 8, "strongerAuthRequired" },
		{ 10, "referral" },
		{ 11, "adminLimitExceeded" },
		{ 12, "unavailableCriticalExtension" },
		{ 13, "confidentialityRequired" },
		{ 14, "saslBindInProgress" },
		{ 32, "noSuchObject" },
		{ 34, "invalidDNSyntax" },
		{ 48, "inappropriateAuthentication" },
		{ 49, "invalidCredentials" },
		{ 50, "insufficientAccessRights" },
		{ 51, "busy" },
		{ 52, "unavailable" },
		{ 53, "unwillingToPerform" },
		{ 80, "other" },
	};

	for (size_t i = 0; i < CP_NELEM(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}

/* "invalidCredentials: SASL(-13): ..." : the code's name, then the server's words */
static void
verdict(struct cp_proto_verdict *v, enum cp_proto_outcome o, const struct ldap_result *r,
    const char *prefix)
{
	const char *name = result_name(r->code);
	struct cp_buf t = { 0 };

	v->outcome = o;
	v->code = r->code;
	cp_buf_str(&t, prefix);
	if (name != NULL)
		cp_buf_str(&t, name);
	else
		cp_buf_printf(&t, "resultCode %d", r->code);
	if (r->diag_len > 0) {
		cp_buf_str(&t, ": ");
		cp_buf_add(&t, r->diag, r->diag_len);
	}
	cp_proto_set(&v->text, t.nomem ? "" : t.p, t.nomem ? 0 : t.len);
	cp_buf_free(&t);
}

static enum cp_proto_act
on_result(struct ldap *st, const struct ldap_result *r, struct cp_buf *out,
    struct cp_proto_verdict *v)
{
	switch (st->phase) {
	case LDAP_STARTTLS:
		if (r->code == 0) {
			st->phase = LDAP_HANDSHAKE;
			return CP_PROTO_STARTTLS;
		}
		verdict(v, CP_PROTO_NO_TLS, r, "StartTLS: ");
		return unbind(st, out);
	case LDAP_BIND:
		v->offers_external = r->code != 7;
		if (r->code != 0) {
			verdict(v, r->code == 7 ? CP_PROTO_NOT_OFFERED : CP_PROTO_REFUSED, r, "");
			return unbind(st, out);
		}
		verdict(v, CP_PROTO_ACCEPTED, r, "");
		return extended(st, LDAP_WHOAMI, out, OID_WHOAMI);
	case LDAP_WHOAMI: /* RFC 4532 2.2: the authzId, empty when anonymous */
		if (r->code == 0 && r->value_len > 0)
			cp_proto_set(&v->identity, r->value, r->value_len);
		return unbind(st, out);
	case LDAP_START:
	case LDAP_HANDSHAKE:
	case LDAP_UNBOUND:
	default: return CP_PROTO_DONE;
	}
}

/* what to say first: StartTLS before TLS, the bind after it */
static enum cp_proto_act
speak(struct ldap *st, bool tls_up, struct cp_buf *out, struct cp_proto_verdict *v)
{
	if (!tls_up)
		return extended(st, LDAP_STARTTLS, out, OID_STARTTLS);
	return sasl_bind(st, out, v); /* without a certificate too: the refusal is the answer */
}

static enum cp_proto_act
ldap_step(void *vs, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct ldap *st = vs;
	struct ldap_result r = { 0 };
	int rc;

	*used = 0;
	if (cp_proto_unsafe(st->p.user))
		return cp_proto_fail(v, "the user holds a control character");
	if (st->phase == LDAP_UNBOUND)
		return CP_PROTO_DONE;
	if (st->phase == LDAP_START || st->phase == LDAP_HANDSHAKE) {
		if (st->phase == LDAP_HANDSHAKE && !tls_up)
			return cp_proto_fail(v, "called before the TLS handshake");
		return speak(st, tls_up, out, v);
	}
	rc = read_message(in, len, &r, used);
	if (rc == 0 && !eof) {
		*used = 0;
		return CP_PROTO_READ;
	}
	if (rc == 0)
		return cp_proto_closed(v, len, waiting_for[st->phase]);
	if (rc < 0)
		return cp_proto_fail(v, "malformed LDAP message (waiting for %s)",
		    waiting_for[st->phase]);
	if (r.msgid == 0) {		      /* RFC 4511 4.4.1 Notice of Disconnection */
		if (st->phase != LDAP_WHOAMI) /* else the bind's verdict stands */
			verdict(v, CP_PROTO_UNKNOWN, &r, "the server disconnected: ");
		return CP_PROTO_DONE;
	}
	if (r.msgid != st->msgid)
		return cp_proto_fail(v, "a response to another request (messageID %d)", r.msgid);
	if (r.op != (st->phase == LDAP_BIND ? LDAP_BIND_RESPONSE : LDAP_EXT_RESPONSE))
		return cp_proto_fail(v, "an unexpected response (tag 0x%02x)", r.op);
	return on_result(st, &r, out, v);
}

CP_PROTO_OPS(cp_proto_ldap, "ldap", "ldap", "389", false, ldap, NULL);
CP_PROTO_OPS(cp_proto_ldaps, "ldap", "ldaps", "636", true, ldap, NULL);
