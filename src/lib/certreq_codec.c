/*
 * The CertificateRequest codec: the one module that knows the wire format
 * (RFC 5246 7.4.4, RFC 8446 4.3.2), both ways, as s2n keeps a message's send
 * and recv in one file. Parse: bytes -> struct certpick_certreq; build:
 * fields -> bytes -> the same parse; size: what the encoder would write.
 * Pure: no I/O, no OpenSSL SSL objects, no allocation except into the result.
 * Fuzzed by fuzz/fuzz_certreq_parse.c and fuzz_certreq_json.c. Every length is
 * checked against what is left before it is used; a message that a conforming
 * client would reject with decode_error is an error, lesser problems are
 * findings (certreq.c, which never calls back into this file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "internal.h"

struct rd {
	const uint8_t *p;
	size_t left;
};

static int
rd_u8(struct rd *r, size_t *v)
{
	if (r->left < 1)
		return -1;
	*v = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

static int
rd_u16(struct rd *r, size_t *v)
{
	if (r->left < 2)
		return -1;
	*v = (size_t)r->p[0] << 8 | r->p[1];
	r->p += 2;
	r->left -= 2;
	return 0;
}

/* A sub-reader over the next n bytes. */
static int
rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (r->left < n)
		return -1;
	sub->p = r->p;
	sub->left = n;
	r->p += n;
	r->left -= n;
	return 0;
}

static int
malformed(struct certpick_error *err, const char *what)
{
	return cp_error_set(err, CERTPICK_ERR_PARSE, "malformed CertificateRequest: %s", what);
}

/* SignatureScheme supported_signature_algorithms<2..2^16-2> */
static int
parse_sigalgs(struct rd *r, uint16_t **out, size_t *n_out, const char *what,
    struct certpick_error *err)
{
	struct rd v;
	size_t len;

	if (rd_u16(r, &len) != 0 || rd_sub(r, len, &v) != 0)
		return cp_error_set(err, CERTPICK_ERR_PARSE,
		    "malformed CertificateRequest: %s length runs past the end", what);
	if (len < 2 || len % 2 != 0)
		return cp_error_set(err, CERTPICK_ERR_PARSE,
		    "malformed CertificateRequest: %s length %zu is not even and at least 2", what,
		    len);
	if ((*out = cp_calloc(len / 2, sizeof(**out))) == NULL)
		return cp_error_nomem(err);
	for (size_t i = 0; i < len / 2; i++)
		(*out)[i] = (uint16_t)(v.p[2 * i] << 8 | v.p[2 * i + 1]);
	*n_out = len / 2;
	return 0;
}

/*
 * DistinguishedName certificate_authorities<0..2^16-1>, each <1..2^16-1>.
 * The vector's own length has been read by the caller into `v`.
 */
static int
parse_ca_names(struct rd *v, struct certpick_certreq *req, struct certpick_error *err)
{
	size_t count = 0;
	struct rd scan = *v;

	/* count first, so 10,000 names cost one allocation */
	while (scan.left > 0) {
		size_t len;
		struct rd dn;

		if (rd_u16(&scan, &len) != 0 || rd_sub(&scan, len, &dn) != 0)
			return malformed(err,
			    "a DistinguishedName runs past the end of certificate_authorities");
		if (len == 0)
			return malformed(err, "a DistinguishedName is empty");
		count++;
	}
	if (count == 0)
		return 0;
	if ((req->ca_names = cp_calloc(count, sizeof(*req->ca_names))) == NULL)
		return cp_error_nomem(err);
	while (v->left > 0) {
		size_t len = 0;
		struct rd dn = { NULL, 0 };

		(void)rd_u16(v, &len);
		(void)rd_sub(v, len, &dn);
		if (certpick_dn_init_der(&req->ca_names[req->n_ca_names], dn.p, dn.left, err) != 0)
			return -1;
		req->n_ca_names++;
	}
	return 0;
}

/* Dotted text of a DER OBJECT IDENTIFIER's content octets; NULL when invalid. */
static char *
oid_to_text(const uint8_t *p, size_t len)
{
	/* a k-byte subidentifier has at most 3k digits: 4 bytes of text per byte is enough */
	size_t cap = len * 4 + 16, n = 0;
	char *s;
	int first = 1;
	uint64_t v = 0;

	if (len == 0 || (p[len - 1] & 0x80) != 0 || (s = cp_malloc(cap)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		/* X.690 8.19.2: no leading 0x80 in a subidentifier */
		if (v == 0 && p[i] == 0x80)
			goto bad;
		if (v > (UINT64_MAX >> 7))
			goto bad;
		v = v << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;

			n += (size_t)snprintf(s + n, cap - n, "%u.%llu", a,
			    (unsigned long long)(v - 40u * a));
			first = 0;
		} else {
			n += (size_t)snprintf(s + n, cap - n, ".%llu", (unsigned long long)v);
		}
		v = 0;
	}
	return s;
bad:
	free(s);
	return NULL;
}

/* OIDFilter filters<0..2^16-1>: oid<1..2^8-1>, values<0..2^16-1> */
static int
parse_oid_filters(struct rd *r, struct certpick_certreq *req, struct certpick_error *err)
{
	struct rd v;
	size_t len;

	if (rd_u16(r, &len) != 0 || rd_sub(r, len, &v) != 0 || r->left != 0)
		return malformed(err, "oid_filters length does not match its extension");
	while (v.left > 0) {
		struct rd oid, vals;
		struct certpick_oid_filter *f;
		size_t olen, vlen;

		if (rd_u8(&v, &olen) != 0 || olen == 0 || rd_sub(&v, olen, &oid) != 0)
			return malformed(err, "an oid_filters OID is empty or runs past the end");
		if (rd_u16(&v, &vlen) != 0 || rd_sub(&v, vlen, &vals) != 0)
			return malformed(err, "oid_filters values run past the end");
		if ((f = cp_array_push(&req->oid_filters, &req->n_oid_filters, sizeof(*f))) == NULL)
			return cp_error_nomem(err);
		if ((f->oid = oid_to_text(oid.p, oid.left)) == NULL)
			return malformed(err,
			    "an oid_filters OID is not a valid DER OBJECT IDENTIFIER");
		f->values = vals.p;
		f->values_len = vals.left;
	}
	return 0;
}

/* RFC 5246 7.4.4 */
static int
parse_tls12(struct rd *r, struct certpick_certreq *req, struct certpick_error *err)
{
	struct rd types, cas;
	size_t len;

	if (rd_u8(r, &len) != 0 || rd_sub(r, len, &types) != 0)
		return malformed(err, "certificate_types runs past the end");
	if (len == 0)
		return malformed(err, "certificate_types is empty");
	if ((req->cert_types = cp_malloc(len)) == NULL)
		return cp_error_nomem(err);
	memcpy(req->cert_types, types.p, len);
	req->n_cert_types = len;
	if (parse_sigalgs(r, &req->sigalgs, &req->n_sigalgs, "supported_signature_algorithms",
		err) != 0)
		return -1;
	if (rd_u16(r, &len) != 0 || rd_sub(r, len, &cas) != 0)
		return malformed(err, "certificate_authorities runs past the end");
	if (r->left != 0)
		return malformed(err, "trailing bytes after certificate_authorities");
	return parse_ca_names(&cas, req, err);
}

static int
parse_tls13_extension(struct certpick_certreq *req, const struct certpick_cr_extension *x,
    struct certpick_error *err)
{
	struct rd r = { x->data, x->len }, v;
	size_t len;

	switch (x->type) {
	case CERTPICK_EXT_SIGNATURE_ALGORITHMS:
		if (parse_sigalgs(&r, &req->sigalgs, &req->n_sigalgs, "signature_algorithms",
			err) != 0)
			return -1;
		break;
	case CERTPICK_EXT_SIGNATURE_ALGORITHMS_CERT:
		if (parse_sigalgs(&r, &req->sigalgs_cert, &req->n_sigalgs_cert,
			"signature_algorithms_cert", err) != 0)
			return -1;
		req->has_sigalgs_cert = true;
		break;
	case CERTPICK_EXT_CERTIFICATE_AUTHORITIES:
		/* authorities<3..2^16-1>; an empty one is a finding (OpenSSL sends it) */
		if (rd_u16(&r, &len) != 0 || rd_sub(&r, len, &v) != 0)
			return malformed(err, "certificate_authorities runs past its extension");
		req->has_ca_extension = true;
		if (parse_ca_names(&v, req, err) != 0)
			return -1;
		break;
	case CERTPICK_EXT_OID_FILTERS: return parse_oid_filters(&r, req, err);
	default:
		/* status_request (empty in a CR, RFC 8446 4.4.2.1) and unknown ones: raw */
		return 0;
	}
	if (r.left != 0)
		return cp_error_set(err, CERTPICK_ERR_PARSE,
		    "malformed CertificateRequest: trailing bytes in extension %u", x->type);
	return 0;
}

/* RFC 8446 4.3.2 */
static int
parse_tls13(struct rd *r, struct certpick_certreq *req, struct certpick_error *err)
{
	struct rd ctx, exts, scan;
	size_t len, count = 0;

	if (rd_u8(r, &len) != 0 || rd_sub(r, len, &ctx) != 0)
		return malformed(err, "certificate_request_context runs past the end");
	req->context = ctx.p;
	req->context_len = ctx.left;
	if (rd_u16(r, &len) != 0 || rd_sub(r, len, &exts) != 0)
		return malformed(err, "extensions run past the end");
	if (r->left != 0)
		return malformed(err, "trailing bytes after extensions");
	scan = exts;
	while (scan.left > 0) {
		size_t type;
		struct rd data;

		if (rd_u16(&scan, &type) != 0 || rd_u16(&scan, &len) != 0 ||
		    rd_sub(&scan, len, &data) != 0)
			return malformed(err, "an extension runs past the end");
		count++;
	}
	if (count > 0 && (req->extensions = cp_calloc(count, sizeof(*req->extensions))) == NULL)
		return cp_error_nomem(err);
	while (exts.left > 0) {
		struct certpick_cr_extension *x = &req->extensions[req->n_extensions];
		size_t type = 0;
		struct rd data = { NULL, 0 };

		(void)rd_u16(&exts, &type);
		(void)rd_u16(&exts, &len);
		(void)rd_sub(&exts, len, &data);
		x->type = (uint16_t)type;
		x->data = data.p;
		x->len = data.left;
		req->n_extensions++;
		/* RFC 8446 4.2: no duplicate extension types; OpenSSL aborts on one */
		for (size_t i = 0; i + 1 < req->n_extensions; i++)
			if (req->extensions[i].type == x->type)
				return cp_error_set(err, CERTPICK_ERR_PARSE,
				    "malformed CertificateRequest: extension %u appears twice",
				    x->type);
		if (parse_tls13_extension(req, x, err) != 0)
			return -1;
	}
	return 0;
}

/* see certpick/certreq.h */
struct certpick_certreq *
certpick_certreq_parse(uint16_t tls_version, enum certpick_phase phase, const uint8_t *body,
    size_t body_len, struct certpick_error *err)
{
	struct certpick_certreq *req = NULL, *ret = NULL;
	struct rd r;

	if (tls_version != CERTPICK_TLS12 && tls_version != CERTPICK_TLS13) {
		cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot parse a CertificateRequest of version 0x%04x", tls_version);
		goto out;
	}
	if ((req = cp_calloc(1, sizeof(*req))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	req->phase = phase;
	req->tls_version = tls_version;
	if ((req->raw = cp_malloc(body_len)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (body_len > 0)
		memcpy(req->raw, body, body_len);
	req->raw_len = body_len;
	req->size = body_len + 4;
	/* every borrowed pointer below points into req->raw */
	r.p = req->raw;
	r.left = body_len;
	if ((tls_version == CERTPICK_TLS12 ? parse_tls12(&r, req, err) :
					     parse_tls13(&r, req, err)) != 0)
		goto out;
	if (cp_certreq_lint(req, err) != 0)
		goto out;
	ret = req;
	req = NULL;
out:
	certpick_certreq_free(req);
	return ret;
}

/* What OpenSSL 3 servers send by default (SHA-224 left out). */
static const uint16_t default_sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
	0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601 };
static const uint8_t default_cert_types[] = { 1, 64 };

/*
 * The writer: the library's buffer (buf.h), or with count_only no storage
 * at all, only a count, so that the size of a request comes from the same
 * code that writes it, including one whose CA list is too long to encode
 * (the size limits of clients go past 64 KiB).
 */
struct wbuf {
	struct cp_buf out; /* unused with count_only */
	size_t n;	   /* bytes written (or counted) */
	bool count_only;
};

static void
wput(struct wbuf *b, const void *data, size_t len)
{
	if (!b->count_only)
		cp_buf_add(&b->out, data, len);
	b->n += len;
}

static void
wput8(struct wbuf *b, size_t v)
{
	uint8_t x = (uint8_t)v;

	wput(b, &x, 1);
}

static void
wput16(struct wbuf *b, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wput(b, x, 2);
}

/* Reserve a 2-byte length at the current position; returns its offset. */
static size_t
wopen16(struct wbuf *b)
{
	size_t at = b->n;

	wput16(b, 0);
	return at;
}

/* Fill in a length reserved by wopen16(); -1 when it does not fit in 16 bits. */
static int
wclose16(struct wbuf *b, size_t at)
{
	size_t len = b->n - at - 2;

	if (len > 0xffff)
		return -1;
	if (b->count_only || b->out.nomem)
		return 0;
	b->out.p[at] = (char)(uint8_t)(len >> 8);
	b->out.p[at + 1] = (char)(uint8_t)len;
	return 0;
}

static void
wsigalgs(struct wbuf *b, const uint16_t *v, size_t n)
{
	wput16(b, 2 * n);
	for (size_t i = 0; i < n; i++)
		wput16(b, v[i]);
}

static void
wnames(struct wbuf *b, const struct certpick_dn *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		wput16(b, v[i].der_len);
		wput(b, v[i].der, v[i].der_len);
	}
}

/*
 * The body of the request the fields describe, into b. *too_long is set when
 * a 16-bit vector overflows (b then holds a body no peer could read, but its
 * size is still what the names add up to).
 */
static void
encode(const struct certpick_certreq_fields *f, struct wbuf *b, bool *too_long)
{
	uint16_t version = f->tls_version ? f->tls_version : CERTPICK_TLS12;
	const uint16_t *schemes = f->n_sigalgs ? f->sigalgs : default_sigalgs;
	size_t n_sigalgs = f->n_sigalgs ? f->n_sigalgs : sizeof(default_sigalgs) / 2;
	bool bad = false;
	size_t at;

	if (version == CERTPICK_TLS12) {
		const uint8_t *types = f->n_cert_types ? f->cert_types : default_cert_types;
		size_t n_types = f->n_cert_types ? f->n_cert_types : sizeof(default_cert_types);

		wput8(b, n_types);
		wput(b, types, n_types);
		wsigalgs(b, schemes, n_sigalgs);
		at = wopen16(b);
		wnames(b, f->ca_names, f->n_ca_names);
		bad = wclose16(b, at) != 0;
	} else {
		size_t ext_at;

		wput8(b, f->context_len);
		wput(b, f->context, f->context_len);
		ext_at = wopen16(b);
		wput16(b, CERTPICK_EXT_SIGNATURE_ALGORITHMS);
		wput16(b, 2 + 2 * n_sigalgs);
		wsigalgs(b, schemes, n_sigalgs);
		if (f->n_sigalgs_cert > 0) {
			wput16(b, CERTPICK_EXT_SIGNATURE_ALGORITHMS_CERT);
			wput16(b, 2 + 2 * f->n_sigalgs_cert);
			wsigalgs(b, f->sigalgs_cert, f->n_sigalgs_cert);
		}
		if (f->n_ca_names > 0 || f->ca_extension_empty) {
			size_t list_at;

			wput16(b, CERTPICK_EXT_CERTIFICATE_AUTHORITIES);
			at = wopen16(b);
			list_at = wopen16(b);
			wnames(b, f->ca_names, f->n_ca_names);
			bad = wclose16(b, list_at) != 0;
			bad = wclose16(b, at) != 0 || bad;
		}
		bad = wclose16(b, ext_at) != 0 || bad;
	}
	*too_long = bad;
}

/* see internal.h */
size_t
cp_certreq_encoded_len(const struct certpick_certreq_fields *f)
{
	struct wbuf b = { .count_only = true };
	bool too_long;

	encode(f, &b, &too_long);
	return b.n;
}

/* see certpick/certreq.h */
struct certpick_certreq *
certpick_certreq_build(const struct certpick_certreq_fields *f, struct certpick_error *err)
{
	struct wbuf b = { 0 };
	struct certpick_certreq *ret = NULL;
	uint16_t version = f->tls_version ? f->tls_version : CERTPICK_TLS12;
	size_t n_sigalgs = f->n_sigalgs ? f->n_sigalgs : sizeof(default_sigalgs) / 2;
	size_t bad = 0;
	bool too_long = false;

	if (n_sigalgs > 0x7ffe || f->n_sigalgs_cert > 0x7ffe || f->context_len > 255 ||
	    f->n_cert_types > 255) {
		cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot build a CertificateRequest: a list is too long");
		goto out;
	}
	for (size_t i = 0; i < f->n_ca_names; i++)
		if (f->ca_names[i].der_len == 0 || f->ca_names[i].der_len > 0xffff)
			bad++;
	if (bad > 0) {
		cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot build a CertificateRequest: a name is empty or too long");
		goto out;
	}
	encode(f, &b, &too_long);
	if (b.out.nomem) {
		cp_error_nomem(err);
		goto out;
	}
	if (too_long) {
		cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot build a CertificateRequest: the CA names exceed 65535 bytes");
		goto out;
	}
	ret = certpick_certreq_parse(version, f->phase, (const uint8_t *)b.out.p, b.out.len, err);
out:
	cp_buf_free(&b.out);
	return ret;
}

/*
 * A Certificate handshake message (type 11, with its 4-byte header) that we
 * sent: true when its certificate_list is empty (RFC 5246 7.4.6, RFC 8446
 * 4.4.2), i.e. the client declined to authenticate. Pure.
 */
bool
cp_certificate_msg_is_empty(const uint8_t *m, size_t len, bool tls13)
{
	size_t at = 4;

	if (tls13) {
		if (len < 5)
			return true;
		at += 1 + m[4]; /* certificate_request_context */
	}
	return len < at + 3 || (m[at] | m[at + 1] | m[at + 2]) == 0;
}
