/*
 * TLS as a capture shows it, before any key: the record layer of one
 * direction (bytes -> records), handshake messages (records -> messages),
 * the ClientHello/ServerHello fields the story needs, Certificate messages
 * and the NSS key log. Pure: no I/O; allocation only into the given state.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"
#include "internal.h"

#define DEFAULT_MAX_MSG (1u << 20)

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t
be24(const uint8_t *p)
{
	return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

static bool
record_header_ok(const uint8_t h[5], const char **why)
{
	if (h[0] < 20 || h[0] > 24) {
		*why = "not a TLS record (content type)";
		return false;
	}
	if (h[1] != 3 || h[2] > 4) {
		*why = "not a TLS record (version)";
		return false;
	}
	if (be16(h + 3) > CP_TLS_MAX_RECORD) {
		*why = "record longer than TLS allows";
		return false;
	}
	return true;
}

static void
record_done(struct cp_tls_rec *r)
{
	r->records++;
	r->hdr_len = 0;
	if (r->cb.record &&
	    r->cb.record(r->cb.arg, r->hdr[0], be16(r->hdr + 1), r->body, r->body_len) < 0 &&
	    r->lost == NULL)
		r->lost = "stopped";
	r->body_len = 0;
}

void
cp_tls_rec_feed(struct cp_tls_rec *r, const uint8_t *p, size_t n)
{
	while (n > 0 && r->lost == NULL) {
		if (r->hdr_len < 5) {
			size_t k = 5 - r->hdr_len < n ? 5 - r->hdr_len : n;
			memcpy(r->hdr + r->hdr_len, p, k);
			r->hdr_len += k;
			p += k;
			n -= k;
			if (r->hdr_len < 5)
				return;
			if (!record_header_ok(r->hdr, &r->lost))
				return;
			r->body_want = be16(r->hdr + 3);
			r->body_len = 0;
			if (r->body_want > r->body_cap) {
				uint8_t *nb = realloc(r->body, r->body_want);
				if (nb == NULL) {
					r->lost = "out of memory";
					return;
				}
				r->body = nb;
				r->body_cap = r->body_want;
			}
		}
		size_t k = r->body_want - r->body_len < n ? r->body_want - r->body_len : n;
		if (k > 0) /* an empty record has no buffer yet */
			memcpy(r->body + r->body_len, p, k);
		r->body_len += k;
		p += k;
		n -= k;
		if (r->body_len == r->body_want)
			record_done(r);
	}
}

void
cp_tls_rec_gap(struct cp_tls_rec *r, uint64_t n)
{
	(void)n;
	if (r->lost == NULL)
		r->lost = "bytes missing from the capture (TCP gap)";
}

void
cp_tls_rec_release(struct cp_tls_rec *r)
{
	if ((r->hdr_len > 0 || r->body_len > 0) && r->lost == NULL)
		r->lost = "the connection closed inside a record";
	free(r->body);
	r->body = NULL;
	r->body_cap = r->body_len = r->body_want = r->hdr_len = 0;
}

void
cp_tls_hs_feed(struct cp_tls_hs *h, const uint8_t *p, size_t n)
{
	size_t max = h->max_msg ? h->max_msg : DEFAULT_MAX_MSG;
	if (h->lost)
		return;
	cp_buf_add(&h->buf, p, n);
	if (h->buf.nomem) {
		h->lost = "out of memory";
		return;
	}
	size_t off = 0;
	while (h->buf.len - off >= 4 && h->lost == NULL) {
		const uint8_t *m = (const uint8_t *)h->buf.p + off;
		size_t len = be24(m + 1);
		if (len > max) {
			h->lost = "handshake message over the size limit";
			break;
		}
		if (h->buf.len - off - 4 < len)
			break;
		h->messages++;
		if (h->cb.message && h->cb.message(h->cb.arg, m[0], m + 4, len) < 0)
			h->lost = "stopped";
		off += 4 + len;
	}
	cp_buf_consume(&h->buf, off);
}

bool
cp_tls_hs_pending(const struct cp_tls_hs *h)
{
	return h->buf.len > 0;
}

void
cp_tls_hs_release(struct cp_tls_hs *h)
{
	cp_buf_free(&h->buf);
}

/* A bounds-checked reader: every take fails once past the end. */
struct rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};

static const uint8_t *
take(struct rd *r, size_t k)
{
	if (r->bad || r->n < k) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += k;
	r->n -= k;
	return p;
}

static size_t
take_len(struct rd *r, int bytes)
{
	const uint8_t *p = take(r, (size_t)bytes);
	if (p == NULL)
		return 0;
	return bytes == 1 ? p[0] : bytes == 2 ? be16(p) : be24(p);
}

/* A sub-reader over the next len-prefixed vector. */
static struct rd
take_vec(struct rd *r, int bytes)
{
	size_t len = take_len(r, bytes);
	struct rd s = { .p = take(r, len), .n = len, .bad = r->bad };
	if (s.p == NULL)
		s.n = 0;
	return s;
}

static void
ext_sni(struct rd e, struct cp_hello *out)
{
	struct rd list = take_vec(&e, 2);
	while (list.n > 0 && !list.bad) {
		const uint8_t *type = take(&list, 1);
		struct rd name = take_vec(&list, 2);
		if (type == NULL || name.bad || *type != 0)
			continue;
		size_t k = name.n < sizeof(out->sni) - 1 ? name.n : sizeof(out->sni) - 1;
		memcpy(out->sni, name.p, k);
		out->sni[k] = '\0';
		out->has_sni = true;
		return;
	}
}

static void
ext_sigalgs(struct rd e, struct cp_hello *out)
{
	struct rd list = take_vec(&e, 2);
	out->has_sigalgs = true;
	while (list.n >= 2 && !list.bad) {
		const uint8_t *v = take(&list, 2);
		if (out->n_sigalgs < sizeof(out->sigalgs) / sizeof(out->sigalgs[0]))
			out->sigalgs[out->n_sigalgs++] = be16(v);
	}
}

static void
ext_versions_client(struct rd e, struct cp_hello *out)
{
	struct rd list = take_vec(&e, 1);
	while (list.n >= 2 && !list.bad) {
		uint16_t v = be16(take(&list, 2));
		if (v == 0x0304)
			out->version = v;
	}
}

static void
hello_extensions(struct rd *r, bool client, struct cp_hello *out)
{
	if (r->n == 0)
		return;
	struct rd exts = take_vec(r, 2);
	while (exts.n >= 4 && !exts.bad) {
		uint16_t type = (uint16_t)take_len(&exts, 2);
		struct rd e = take_vec(&exts, 2);
		if (e.bad)
			break;
		switch (type) {
		case 0:
			if (client)
				ext_sni(e, out);
			break;
		case 13:
			if (client)
				ext_sigalgs(e, out);
			break;
		case 43:
			if (client)
				ext_versions_client(e, out);
			else if (e.n == 2)
				out->version = be16(e.p);
			break;
		case 49: out->pha = true; break;
		case 22: out->encrypt_then_mac = true; break;
		case 0xff01: out->renegotiation_info = true; break;
		default: break;
		}
	}
	if (exts.bad)
		r->bad = true;
}

static const uint8_t hrr_random[32] = {
	0xcf,
	0x21,
	0xad,
	0x74,
	0xe5,
	0x9a,
	0x61,
	0x11,
	0xbe,
	0x1d,
	0x8c,
	0x02,
	0x1e,
	0x65,
	0xb8,
	0x91,
	0xc2,
	0xa2,
	0x11,
	0x16,
	0x7a,
	0xbb,
	0x8c,
	0x5e,
	0x07,
	0x9e,
	0x09,
	0xe2,
	0xc8,
	0xa8,
	0x33,
	0x9c,
};

static int
hello_parse(const uint8_t *p, size_t n, bool client, struct cp_hello *out)
{
	struct rd r = { .p = p, .n = n };
	memset(out, 0, sizeof(*out));
	out->legacy_version = (uint16_t)take_len(&r, 2);
	const uint8_t *rnd = take(&r, 32);
	if (rnd)
		memcpy(out->random, rnd, 32);
	(void)take_vec(&r, 1); /* session id */
	if (client) {
		(void)take_vec(&r, 2); /* cipher suites */
		(void)take_vec(&r, 1); /* compression methods */
	} else {
		out->cipher = (uint16_t)take_len(&r, 2);
		(void)take(&r, 1); /* compression method */
	}
	if (r.bad)
		return -1;
	out->version = out->legacy_version;
	hello_extensions(&r, client, out);
	if (!client && memcmp(out->random, hrr_random, 32) == 0)
		out->is_hrr = true;
	return r.bad ? -1 : 0;
}

int
cp_hello_parse_client(const uint8_t *p, size_t n, struct cp_hello *out)
{
	return hello_parse(p, n, true, out);
}

int
cp_hello_parse_server(const uint8_t *p, size_t n, struct cp_hello *out)
{
	return hello_parse(p, n, false, out);
}

int
cp_cert_msg_parse(uint16_t version, const uint8_t *p, size_t n, struct cp_slice *certs, size_t max,
    size_t *n_certs)
{
	struct rd r = { .p = p, .n = n };
	*n_certs = 0;
	if (version == 0x0304)
		(void)take_vec(&r, 1); /* certificate_request_context */
	struct rd list = take_vec(&r, 3);
	if (r.bad || r.n != 0)
		return -1;
	while (list.n > 0 && !list.bad) {
		struct rd der = take_vec(&list, 3);
		if (version == 0x0304)
			(void)take_vec(&list, 2); /* CertificateEntry extensions */
		if (list.bad || der.bad)
			return -1;
		if (*n_certs < max) {
			certs[*n_certs].p = der.p;
			certs[*n_certs].n = der.n;
			(*n_certs)++;
		}
	}
	return list.bad ? -1 : 0;
}

static const struct {
	const char *name;
	int label;
} kl_labels[] = {
	{ "CLIENT_RANDOM", CP_KL_CLIENT_RANDOM },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", CP_KL_CLIENT_HS },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", CP_KL_SERVER_HS },
	{ "CLIENT_TRAFFIC_SECRET_0", CP_KL_CLIENT_AP0 },
	{ "SERVER_TRAFFIC_SECRET_0", CP_KL_SERVER_AP0 },
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
unhex(const char *s, size_t len, uint8_t *out, size_t max, size_t *n)
{
	if (len % 2 || len / 2 > max)
		return false;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return true;
}

/* NSS key log labels of secrets certpick does not use: skipped, not bad */
static const char *const kl_unused[] = {
	"EXPORTER_SECRET",
	"EARLY_EXPORTER_SECRET",
	"CLIENT_EARLY_TRAFFIC_SECRET",
	"ECH_SECRET",
	"ECH_CONFIG",
};

static bool
label_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

/*
 * "LABEL <64 hex client_random> <hex secret>": 1 and *e filled; 0 for a line
 * of a label certpick does not use (kl_unused); -1 when not such a line.
 */
static int
keylog_line(const char *s, size_t len, struct cp_keylog_entry *e)
{
	const char *sp1 = memchr(s, ' ', len);
	if (sp1 == NULL)
		return -1;
	size_t lab = (size_t)(sp1 - s);
	e->label = 0xff;
	for (size_t i = 0; i < CP_NELEM(kl_labels); i++)
		if (label_is(s, lab, kl_labels[i].name))
			e->label = (uint8_t)kl_labels[i].label;
	for (size_t i = 0; i < CP_NELEM(kl_unused); i++)
		if (label_is(s, lab, kl_unused[i]))
			return 0;
	if (e->label == 0xff)
		return -1;
	const char *cr = sp1 + 1;
	size_t rest = len - lab - 1;
	const char *sp2 = memchr(cr, ' ', rest);
	size_t n = 0;
	if (sp2 == NULL || !unhex(cr, (size_t)(sp2 - cr), e->client_random, 32, &n) || n != 32)
		return -1;
	const char *sec = sp2 + 1;
	size_t sec_len = len - (size_t)(sec - s);
	while (sec_len > 0 && (sec[sec_len - 1] == '\r' || sec[sec_len - 1] == ' '))
		sec_len--;
	return unhex(sec, sec_len, e->secret, sizeof(e->secret), &e->secret_len) &&
		e->secret_len >= 32 ?
	    1 :
	    -1;
}

int
cp_keylog_parse(struct cp_keylog *kl, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct cp_keylog_entry e;
		memset(&e, 0, sizeof(e));
		if (end > i && text[i] != '#') {
			int rc = keylog_line(text + i, end - i, &e);
			if (rc < 0) {
				kl->bad_lines++;
			} else if (rc > 0) {
				if (kl->n == kl->cap) {
					size_t cap = kl->cap ? kl->cap * 2 : 16;
					void *v = realloc(kl->v, cap * sizeof(*kl->v));
					if (v == NULL)
						return -1;
					kl->v = v;
					kl->cap = cap;
				}
				if (cp_hashidx_add(&kl->idx, cp_hash_bytes(e.client_random, 32),
					kl->n) < 0)
					return -1;
				kl->v[kl->n++] = e;
			}
		}
		i = end + 1;
	}
	return 0;
}

const struct cp_keylog_entry *
cp_keylog_find(const struct cp_keylog *kl, const uint8_t client_random[32], int label)
{
	/* the last line wins, as in Wireshark */
	const struct cp_keylog_entry *best = NULL;
	size_t pos = 0, i;
	while (cp_hashidx_next(&kl->idx, cp_hash_bytes(client_random, 32), &pos, &i)) {
		const struct cp_keylog_entry *e = &kl->v[i];
		if (e->label == label && memcmp(e->client_random, client_random, 32) == 0 &&
		    (best == NULL || e > best))
			best = e;
	}
	return best;
}

void
cp_keylog_release(struct cp_keylog *kl)
{
	if (kl->v)
		memset(kl->v, 0, kl->cap * sizeof(*kl->v));
	free(kl->v);
	cp_hashidx_release(&kl->idx);
	memset(kl, 0, sizeof(*kl));
}
