/*
 * The client-certificate story of one captured TCP connection: TCP
 * reassembly per direction -> TLS records (decrypted with the key log when
 * it has this connection) -> handshake messages, alerts, the first HTTP
 * lines. Requests are parsed by certpick_certreq_parse() (the probe parser).
 * No I/O; OpenSSL only to read the client's certificates and to decrypt.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "capture_int.h"
#include "internal.h"

#define MAX_CHAIN 16
#define MAX_NOTES 32
#define MAX_ALERTS 64
#define MAX_REQUESTS 16
#define MAX_ANSWERS 16

struct side {
	struct cp_cap_conn *conn;
	int idx; /* 0: A (first sender), 1: B */
	struct cp_tcp_dir tcp;
	struct cp_tls_rec rec;
	struct cp_tls_hs hs;
	struct cp_crypt crypt;
	bool protected_; /* records from here on are encrypted */
	bool no_key_noted;
	bool finished_seen;
	uint64_t records; /* records that are, or could be, handshake (not decrypted) */
};

struct cp_cap_conn {
	uint8_t af;
	uint8_t addr[2][16];
	uint16_t port[2];
	int client; /* index of the client side; -1 unknown */
	struct side side[2];
	const struct cp_cap_env *env;
	double now;
	bool tls_seen;
	uint8_t client_random[32], server_random[32];
	bool have_client_random, have_server_random;
	bool etm;
	bool hs_done;			    /* the client's Finished of the first handshake */
	bool reset;			    /* an RST was seen */
	size_t alerts_at_status;	    /* alerts seen before the HTTP status line */
	uint64_t client_records_at_request; /* the client's records before the last request */
	struct certpick_capture_conn story;
};

static void note(struct cp_cap_conn *c, const char *fmt, ...) CERTPICK_PRINTF(2, 3);

static void
note(struct cp_cap_conn *c, const char *fmt, ...)
{
	struct certpick_capture_conn *s = &c->story;
	char buf[512];
	va_list ap;
	if (s->n_notes >= MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < s->n_notes; i++)
		if (strcmp(s->notes[i], buf) == 0)
			return;
	char **v = realloc(s->notes, (s->n_notes + 1) * sizeof(*v));
	if (v == NULL)
		return;
	s->notes = v;
	if ((v[s->n_notes] = strdup(buf)) != NULL)
		s->n_notes++;
}

static bool
is_client(const struct side *sd)
{
	return sd->conn->client == sd->idx;
}

static const char *
who(const struct side *sd)
{
	return is_client(sd) ? "client" : "server";
}

uint64_t
cp_cap_conn_key(const struct cp_tcp_seg *s)
{
	uint8_t k[2 * 18];
	const uint8_t *a = s->src, *b = s->dst;
	uint16_t pa = s->sport, pb = s->dport;
	/* order the two ends so both directions give the same key */
	int cmp = memcmp(a, b, 16);
	if (cmp > 0 || (cmp == 0 && pa > pb)) {
		a = s->dst;
		b = s->src;
		pa = s->dport;
		pb = s->sport;
	}
	memcpy(k, a, 16);
	k[16] = (uint8_t)(pa >> 8);
	k[17] = (uint8_t)pa;
	memcpy(k + 18, b, 16);
	k[34] = (uint8_t)(pb >> 8);
	k[35] = (uint8_t)pb;
	return cp_hash_bytes(k, sizeof(k));
}

bool
cp_cap_conn_match(const struct cp_cap_conn *c, const struct cp_tcp_seg *s)
{
	if (s->af != c->af)
		return false;
	for (int i = 0; i < 2; i++)
		if (memcmp(s->src, c->addr[i], 16) == 0 && s->sport == c->port[i] &&
		    memcmp(s->dst, c->addr[1 - i], 16) == 0 && s->dport == c->port[1 - i])
			return true;
	return false;
}

static void
endpoint(const struct cp_cap_conn *c, int i, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(c->af == 4 ? AF_INET : AF_INET6, c->addr[i], a, sizeof(a));
	snprintf(out, n, c->af == 4 ? "%s:%u" : "[%s]:%u", a, (unsigned)c->port[i]);
}

/* Alerts are two bytes each; an encrypted one shows only that it was sent. */
static void
add_alert(struct side *sd, const uint8_t *p, size_t n, bool encrypted)
{
	struct certpick_capture_conn *s = &sd->conn->story;
	for (size_t off = 0; off < n || (encrypted && off == 0); off += 2) {
		if (s->n_alerts >= MAX_ALERTS)
			return;
		void *v = realloc(s->alerts, (s->n_alerts + 1) * sizeof(*s->alerts));
		if (v == NULL)
			return;
		s->alerts = v;
		struct certpick_capture_alert *a = &s->alerts[s->n_alerts++];
		memset(a, 0, sizeof(*a));
		a->from_client = is_client(sd);
		a->encrypted = encrypted;
		a->after_requests = s->n_requests;
		a->time = sd->conn->now;
		if (!encrypted && off + 1 < n) {
			a->level = p[off];
			a->description = p[off + 1];
		}
		if (encrypted)
			return;
	}
}

static char *
line_copy(const uint8_t *p, size_t n)
{
	size_t k = 0;
	while (k < n && k < 200 && p[k] != '\r' && p[k] != '\n')
		k++;
	char *s = malloc(k + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < k; i++)
		s[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	s[k] = '\0';
	return s;
}

/* The first request line and the first status line of decrypted HTTP/1.x. */
static void
app_data(struct side *sd, const uint8_t *p, size_t n)
{
	struct certpick_capture_conn *s = &sd->conn->story;
	if (is_client(sd)) {
		if (s->http_request == NULL && n > 4 && memchr(p, ' ', n < 16 ? n : 16) &&
		    p[0] >= 'A' && p[0] <= 'Z')
			s->http_request = line_copy(p, n);
		return;
	}
	if (s->http_status != 0 || n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
		return;
	int st = 0;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return;
		st = st * 10 + (p[i] - '0');
	}
	s->http_status = st;
	sd->conn->alerts_at_status = s->n_alerts;
	s->http_reason = line_copy(p + (n > 13 ? 13 : 12), n - (n > 13 ? 13 : 12));
}

static void
on_client_hello(struct side *sd, const uint8_t *b, size_t n)
{
	struct cp_cap_conn *c = sd->conn;
	struct certpick_capture_conn *s = &c->story;
	struct cp_hello h;
	if (c->client < 0 || !is_client(sd))
		c->client = sd->idx;
	if (cp_hello_parse_client(b, n, &h) < 0) {
		note(c, "a ClientHello that does not parse");
		return;
	}
	s->n_handshakes++;
	if (s->n_handshakes > 1 && memcmp(h.random, c->client_random, 32) == 0)
		s->n_handshakes--; /* the second ClientHello after a HelloRetryRequest */
	memcpy(c->client_random, h.random, 32);
	c->have_client_random = true;
	if (s->has_client_hello)
		return;
	s->has_client_hello = true;
	s->has_sni = h.has_sni;
	memcpy(s->sni, h.sni, sizeof(s->sni));
	s->pha_offered = h.pha;
	if (h.n_sigalgs && (s->sigalgs = malloc(h.n_sigalgs * sizeof(uint16_t))) != NULL) {
		memcpy(s->sigalgs, h.sigalgs, h.n_sigalgs * sizeof(uint16_t));
		s->n_sigalgs = h.n_sigalgs;
	}
}

static const struct cp_keylog_entry *
key(const struct cp_cap_conn *c, int label)
{
	if (c->env->keylog == NULL || !c->have_client_random)
		return NULL;
	return cp_keylog_find(c->env->keylog, c->client_random, label);
}

/* Switch a TLS 1.3 direction to the secret of label; note why when it cannot. */
static void
keys13(struct side *sd, int label, const char *what)
{
	struct cp_cap_conn *c = sd->conn;
	const struct cp_keylog_entry *e = key(c, label);
	cp_crypt_release(&sd->crypt);
	sd->protected_ = true;
	if (e == NULL) {
		if (!sd->no_key_noted)
			note(c, "TLS 1.3 %s records not decrypted: %s", who(sd),
			    c->env->keylog ? "the key log has no secret for this connection" :
					     "no key log given");
		sd->no_key_noted = true;
		return;
	}
	c->story.keys_found = true;
	if (cp_crypt_init13(&sd->crypt, c->story.cipher, e->secret, e->secret_len) < 0)
		note(c, "%s %s records not decrypted: cipher suite 0x%04x is not supported",
		    who(sd), what, c->story.cipher);
}

static void
on_server_hello(struct side *sd, const uint8_t *b, size_t n)
{
	struct cp_cap_conn *c = sd->conn;
	struct cp_hello h;
	if (c->client < 0)
		c->client = 1 - sd->idx;
	if (cp_hello_parse_server(b, n, &h) < 0) {
		note(c, "a ServerHello that does not parse");
		return;
	}
	if (h.is_hrr)
		return;
	c->story.version = h.version;
	c->story.cipher = h.cipher;
	c->etm = h.encrypt_then_mac;
	memcpy(c->server_random, h.random, 32);
	c->have_server_random = true;
	if (h.version != CERTPICK_TLS13)
		return;
	struct side *cl = &c->side[c->client], *sv = &c->side[1 - c->client];
	keys13(sv, CP_KL_SERVER_HS, "handshake");
	keys13(cl, CP_KL_CLIENT_HS, "handshake");
}

static enum certpick_phase
request_phase(const struct cp_cap_conn *c)
{
	if (c->story.version == CERTPICK_TLS13)
		return c->hs_done ? CERTPICK_PHASE_POST_HANDSHAKE : CERTPICK_PHASE_INITIAL;
	return c->story.n_handshakes > 1 ? CERTPICK_PHASE_RENEGOTIATION : CERTPICK_PHASE_INITIAL;
}

static void
on_request(struct side *sd, const uint8_t *b, size_t n)
{
	struct cp_cap_conn *c = sd->conn;
	struct certpick_capture_conn *s = &c->story;
	struct certpick_error err;
	uint16_t v = s->version == CERTPICK_TLS13 ? CERTPICK_TLS13 : CERTPICK_TLS12;
	if (s->n_requests >= MAX_REQUESTS)
		return;
	struct certpick_certreq *r = certpick_certreq_parse(v, request_phase(c), b, n, &err);
	if (r == NULL) {
		note(c, "a CertificateRequest that does not parse: %s", err.message);
		return;
	}
	struct certpick_certreq **rv = realloc(s->requests, (s->n_requests + 1) * sizeof(*rv));
	double *tv = rv ? realloc(s->request_times, (s->n_requests + 1) * sizeof(*tv)) : NULL;
	if (rv)
		s->requests = rv;
	if (tv == NULL) {
		certpick_certreq_free(r);
		return;
	}
	s->request_times = tv;
	tv[s->n_requests] = c->now;
	rv[s->n_requests++] = r;
	c->client_records_at_request = c->side[1 - sd->idx].records;
}

static int
cert_read(const struct cp_slice *der, struct certpick_capture_cert *out)
{
	const unsigned char *p = der->p;
	X509 *x = d2i_X509(NULL, &p, (long)der->n);
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(der->p, der->n, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out->sha256 + 2 * i, 3, "%02x", md[i]);
	if (x == NULL)
		return 0;
	unsigned char *dn = NULL;
	int len = i2d_X509_NAME(X509_get_subject_name(x), &dn);
	if (len > 0 && certpick_dn_init_der(&out->subject, dn, (size_t)len, NULL) < 0)
		memset(&out->subject, 0, sizeof(out->subject));
	OPENSSL_free(dn);
	dn = NULL;
	len = i2d_X509_NAME(X509_get_issuer_name(x), &dn);
	if (len > 0 && certpick_dn_init_der(&out->issuer, dn, (size_t)len, NULL) < 0)
		memset(&out->issuer, 0, sizeof(out->issuer));
	OPENSSL_free(dn);
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
		out->not_before = timegm(&tm);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		out->not_after = timegm(&tm);
	EVP_PKEY *k = X509_get0_pubkey(x);
	const char *t = k ? EVP_PKEY_get0_type_name(k) : NULL;
	if (t)
		snprintf(out->key_type, sizeof(out->key_type), "%s", t);
	out->parsed = true;
	X509_free(x);
	return 0;
}

static bool
sigalg_fits_key(uint16_t s, const char *key)
{
	uint8_t sig = (uint8_t)s;
	if (strcmp(key, "RSA") == 0)
		return sig == 0x01 || (s >= 0x0804 && s <= 0x0806);
	if (strcmp(key, "RSA-PSS") == 0)
		return s >= 0x0809 && s <= 0x080b;
	if (strcmp(key, "EC") == 0)
		return (s >> 8) != 0x08 && sig == 0x03;
	if (strcmp(key, "ED25519") == 0 || strcmp(key, "Ed25519") == 0)
		return s == 0x0807;
	if (strcmp(key, "ED448") == 0 || strcmp(key, "Ed448") == 0)
		return s == 0x0808;
	return false;
}

static bool
issuer_listed(const struct certpick_certreq *r, const struct certpick_capture_answer *a)
{
	for (size_t i = 0; i < a->n_certs; i++)
		for (size_t j = 0; j < r->n_ca_names; j++)
			if (certpick_dn_equal_normalized(&a->certs[i].issuer, &r->ca_names[j]) ||
			    certpick_dn_equal_normalized(&a->certs[i].subject, &r->ca_names[j]))
				return true;
	return false;
}

/* The check findings of the chain against the request it answers, at capture time. */
static void
judge(struct certpick_capture_answer *a, const struct certpick_certreq *r, double now)
{
	const struct certpick_capture_cert *leaf = &a->certs[0];
	const char *subj = leaf->subject.rfc4514 ? leaf->subject.rfc4514 : "?";
	if (r && r->n_ca_names > 0 && !issuer_listed(r, a))
		(void)cp_findings_add(&a->findings, CERTPICK_REASON_SEL_ISSUER_NOT_LISTED,
		    "'%s' (issued by '%s'): no certificate of the chain is by one of the %zu CAs "
		    "the server named",
		    subj, leaf->issuer.rfc4514 ? leaf->issuer.rfc4514 : "?", r->n_ca_names);
	for (size_t i = 0; i < a->n_certs; i++) {
		const struct certpick_capture_cert *x = &a->certs[i];
		const char *xs = x->subject.rfc4514 ? x->subject.rfc4514 : "?";
		if (!x->parsed)
			continue;
		if ((double)x->not_after < now)
			(void)cp_findings_add(&a->findings, CERTPICK_REASON_EXPIRED,
			    "'%s' expired before the capture", xs);
		else if ((double)x->not_before > now)
			(void)cp_findings_add(&a->findings, CERTPICK_REASON_NOT_YET_VALID,
			    "'%s' was not yet valid at the capture", xs);
	}
	if (r == NULL || r->n_sigalgs == 0 || !leaf->parsed || leaf->key_type[0] == '\0')
		return;
	for (size_t i = 0; i < r->n_sigalgs; i++)
		if (sigalg_fits_key(r->sigalgs[i], leaf->key_type))
			return;
	(void)cp_findings_add(&a->findings, CERTPICK_REASON_SEL_NO_COMMON_SIGALG,
	    "the %s key of '%s' can make none of the %zu signature algorithms the server offered",
	    leaf->key_type, subj, r->n_sigalgs);
}

static bool
check_keeps(enum certpick_reason r)
{
	switch (r) {
	case CERTPICK_REASON_NO_PRIVATE_KEY:
	case CERTPICK_REASON_KEY_MISMATCH:
	case CERTPICK_REASON_PFX_KEYSPEC_EXCHANGE:
	case CERTPICK_REASON_PFX_LEGACY_CSP:
	case CERTPICK_REASON_EXPIRED: /* judge() already says it */
	case CERTPICK_REASON_NOT_YET_VALID: return false;
	default: return true;
	}
}

/* certpick_check_run() on the leaf, the chain as the pool, at capture time. */
static void
check_chain(struct certpick_capture_answer *a, const struct cp_slice *certs, size_t nc,
    const struct certpick_trust *trust, double now)
{
	struct certpick_candset *set = certpick_candset_new(NULL);
	struct certpick_check_result res;
	memset(&res, 0, sizeof(res));
	if (set == NULL)
		return;
	for (size_t i = 0; i < nc; i++) {
		char src[32];
		snprintf(src, sizeof(src), "capture[%zu]", i);
		if (certpick_candset_add_memory(set, certs[i].p, certs[i].n, src,
			CERTPICK_FORMAT_DER, NULL, NULL) < 0)
			continue;
	}
	if (certpick_candset_finish(set, NULL) < 0)
		goto out;
	for (size_t i = 0; i < certpick_candset_count(set); i++) {
		const struct certpick_candidate *c = certpick_candset_get(set, i);
		if (strcmp(certpick_candidate_sha256(c), a->certs[0].sha256) != 0)
			continue;
		struct certpick_check_options o = { .now = (time_t)now, .trust = trust };
		if (certpick_check_run(set, c, &o, &res, NULL) < 0)
			goto out;
		a->checked = true;
		a->chain_ok = res.chain_ok;
		for (size_t j = 0; j < res.findings.n; j++)
			if (check_keeps(res.findings.v[j].reason))
				(void)cp_findings_add_sev(&a->findings, res.findings.v[j].reason,
				    res.findings.v[j].severity, "%s",
				    res.findings.v[j].detail ?
					res.findings.v[j].detail :
					certpick_reason_text(res.findings.v[j].reason));
		break;
	}
out:
	certpick_check_result_release(&res);
	certpick_candset_free(set);
}

static void
on_client_certificate(struct side *sd, const uint8_t *b, size_t n)
{
	struct cp_cap_conn *c = sd->conn;
	struct certpick_capture_conn *s = &c->story;
	struct cp_slice certs[MAX_CHAIN];
	size_t nc = 0;
	uint16_t v = s->version == CERTPICK_TLS13 ? CERTPICK_TLS13 : CERTPICK_TLS12;
	if (s->n_answers >= MAX_ANSWERS)
		return;
	if (cp_cert_msg_parse(v, b, n, certs, MAX_CHAIN, &nc) < 0) {
		note(c, "the client's Certificate message does not parse");
		return;
	}
	void *av = realloc(s->answers, (s->n_answers + 1) * sizeof(*s->answers));
	if (av == NULL)
		return;
	s->answers = av;
	struct certpick_capture_answer *a = &s->answers[s->n_answers];
	memset(a, 0, sizeof(*a));
	a->request = s->n_requests ? s->n_requests - 1 : SIZE_MAX;
	a->time = c->now;
	if (nc > 0 && (a->certs = calloc(nc, sizeof(*a->certs))) == NULL)
		return;
	s->n_answers++;
	a->n_certs = nc;
	for (size_t i = 0; i < nc; i++)
		(void)cert_read(&certs[i], &a->certs[i]);
	if (nc > 0)
		judge(a, s->n_requests ? s->requests[s->n_requests - 1] : NULL, c->now);
	if (nc > 0 && c->env->trust)
		check_chain(a, certs, nc, c->env->trust, c->now);
	certpick_findings_sort(&a->findings);
}

static void
on_finished(struct side *sd)
{
	struct cp_cap_conn *c = sd->conn;
	if (c->story.version != CERTPICK_TLS13) {
		if (is_client(sd))
			c->hs_done = true;
		return;
	}
	if (c->hs_done)
		return; /* a post-handshake Finished: keys stay */
	if (is_client(sd)) {
		keys13(sd, CP_KL_CLIENT_AP0, "application");
		c->hs_done = true;
	} else {
		keys13(sd, CP_KL_SERVER_AP0, "application");
	}
}

static int
on_message(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
	struct side *sd = arg;
	struct cp_cap_conn *c = sd->conn;
	switch (type) {
	case 1: on_client_hello(sd, b, n); break;
	case 2: on_server_hello(sd, b, n); break;
	case 11:
		if (c->client >= 0 && is_client(sd))
			on_client_certificate(sd, b, n);
		break;
	case 13:
		if (c->client >= 0 && !is_client(sd))
			on_request(sd, b, n);
		break;
	case 15:
		if (c->client >= 0 && is_client(sd) && n >= 2 && c->story.n_answers > 0) {
			struct certpick_capture_answer *a =
			    &c->story.answers[c->story.n_answers - 1];
			a->has_verify = true;
			a->verify_scheme = (uint16_t)(b[0] << 8 | b[1]);
		}
		break;
	case 20:
		if (c->client >= 0)
			on_finished(sd);
		break;
	case 24:
		note(c, "a KeyUpdate from the %s: its later records are not decrypted", who(sd));
		cp_crypt_release(&sd->crypt);
		break;
	default: break;
	}
	return 0;
}

/* TLS 1.2 ChangeCipherSpec: this direction's records are protected from here. */
static void
change_cipher_spec(struct side *sd)
{
	struct cp_cap_conn *c = sd->conn;
	if (c->story.version == CERTPICK_TLS13 || c->client < 0)
		return;
	cp_crypt_release(&sd->crypt);
	sd->protected_ = true;
	const struct cp_keylog_entry *e = key(c, CP_KL_CLIENT_RANDOM);
	if (e == NULL || e->secret_len != 48 || !c->have_server_random) {
		note(c, "TLS 1.2 %s records after ChangeCipherSpec not decrypted: %s", who(sd),
		    c->env->keylog ? "the key log has no CLIENT_RANDOM for this connection" :
				     "no key log given");
		return;
	}
	c->story.keys_found = true;
	if (cp_crypt_init12(&sd->crypt, c->story.cipher, c->etm, e->secret, c->client_random,
		c->server_random, is_client(sd)) < 0)
		note(c, "TLS 1.2 records not decrypted: cipher suite 0x%04x is not supported",
		    c->story.cipher);
}

static void
plain_record(struct side *sd, uint8_t type, const uint8_t *p, size_t n)
{
	switch (type) {
	case 20: change_cipher_spec(sd); break;
	case 21: add_alert(sd, p, n, false); break;
	case 22:
		cp_tls_hs_feed(&sd->hs, p, n);
		if (sd->hs.lost)
			note(sd->conn, "%s handshake messages: %s", who(sd), sd->hs.lost);
		break;
	case 23: app_data(sd, p, n); break;
	default: break;
	}
}

static int
on_record(void *arg, uint8_t type, uint16_t version, const uint8_t *p, size_t n)
{
	struct side *sd = arg;
	struct cp_cap_conn *c = sd->conn;
	c->tls_seen = true;
	if (type != 21 && (type == 22 || (sd->protected_ && sd->crypt.kind == 0)))
		sd->records++;
	if (c->client < 0 && type == 22 && n > 0)
		c->client = p[0] == 1 ? sd->idx : p[0] == 2 ? 1 - sd->idx : -1;
	if (!sd->protected_ || (c->story.version == CERTPICK_TLS13 && type == 20)) {
		plain_record(sd, type, p, n);
		return 0;
	}
	if (sd->crypt.kind == 0) {
		c->story.records_undecrypted++;
		if (type == 21)
			add_alert(sd, p, n, true);
		return 0;
	}
	uint8_t inner = 0;
	size_t len = 0;
	const uint8_t *plain = NULL;
	/* rec.body is ours to overwrite: decrypt in place */
	if (cp_crypt_open(&sd->crypt, type, version, (uint8_t *)p, n, &inner, &len, &plain) < 0) {
		c->story.records_undecrypted++;
		sd->records++; /* it could have been the answer */
		note(c, "a %s record failed to decrypt (wrong key, or a record missing before it)",
		    who(sd));
		cp_crypt_release(&sd->crypt);
		if (type == 21)
			add_alert(sd, p, n, true);
		return 0;
	}
	c->story.records_decrypted++;
	if (inner == 22)
		sd->records++;
	plain_record(sd, inner, plain, len);
	return 0;
}

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	struct side *sd = arg;
	cp_tls_rec_feed(&sd->rec, p, n);
}

static void
on_gap(void *arg, uint64_t n, enum cp_gap_why why)
{
	struct side *sd = arg;
	static const char *const whys[] = { "not captured", "cut by the snap length",
		"dropped by the memory limit" };
	const char *w = (size_t)why < 3 ? whys[why] : "?";
	note(sd->conn,
	    "%llu bytes of the %s stream are missing (%s); its TLS records after "
	    "that are not read",
	    (unsigned long long)n, sd->conn->client < 0 ? "?" : who(sd), w);
	cp_tls_rec_gap(&sd->rec, n);
}

struct cp_cap_conn *
cp_cap_conn_new(const struct cp_tcp_seg *first, const struct cp_cap_env *env)
{
	struct cp_cap_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->af = first->af;
	memcpy(c->addr[0], first->src, 16);
	memcpy(c->addr[1], first->dst, 16);
	c->port[0] = first->sport;
	c->port[1] = first->dport;
	c->env = env;
	c->client = -1;
	if ((first->flags & (CP_TCP_SYN | CP_TCP_ACK)) == CP_TCP_SYN)
		c->client = 0;
	else if ((first->flags & (CP_TCP_SYN | CP_TCP_ACK)) == (CP_TCP_SYN | CP_TCP_ACK))
		c->client = 1;
	c->story.client_seen_syn = (first->flags & CP_TCP_SYN) != 0;
	for (int i = 0; i < 2; i++) {
		struct side *sd = &c->side[i];
		sd->conn = c;
		sd->idx = i;
		sd->tcp.budget = env->budget;
		sd->tcp.max_pending = env->max_stream_pending;
		sd->tcp.cb = (struct cp_tcp_dir_cb){ .data = on_data, .gap = on_gap, .arg = sd };
		sd->rec.cb = (struct cp_tls_rec_cb){ .record = on_record, .arg = sd };
		sd->hs.cb = (struct cp_tls_hs_cb){ .message = on_message, .arg = sd };
	}
	return c;
}

/*
 * The connection is over: what is held out of order goes out now, and the
 * reassembly buffers are freed, so that memory follows the open connections.
 */
static void
drop_buffers(struct cp_cap_conn *c)
{
	for (int i = 0; i < 2; i++) {
		cp_tcp_dir_flush(&c->side[i].tcp);
		cp_tls_rec_release(&c->side[i].rec);
		if (!cp_tls_hs_pending(&c->side[i].hs))
			cp_tls_hs_release(&c->side[i].hs);
	}
}

bool
cp_cap_conn_closed(const struct cp_cap_conn *c)
{
	return c->reset || c->side[0].tcp.fin_seen || c->side[1].tcp.fin_seen;
}

void
cp_cap_conn_add(struct cp_cap_conn *c, const struct cp_tcp_seg *s, double time)
{
	int i = (memcmp(s->src, c->addr[0], 16) == 0 && s->sport == c->port[0]) ? 0 : 1;
	c->now = time;
	if (c->story.first_time == 0)
		c->story.first_time = time;
	(void)cp_tcp_dir_add(&c->side[i].tcp, s);
	if (s->flags & CP_TCP_RST)
		c->reset = true;
	if (c->reset || (c->side[0].tcp.fin_seen && c->side[1].tcp.fin_seen))
		drop_buffers(c);
	if (c->side[i].rec.lost && strcmp(c->side[i].rec.lost, "stopped") != 0 &&
	    strstr(c->side[i].rec.lost, "gap") == NULL && c->tls_seen)
		note(c, "the %s stream stops being TLS: %s", who(&c->side[i]), c->side[i].rec.lost);
}

static char *dupf(const char *fmt, ...) CERTPICK_PRINTF(1, 2);

static char *
dupf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return strdup(buf);
}

static const struct certpick_capture_alert *
first_alert_after(const struct certpick_capture_conn *s, size_t req, bool from_client)
{
	for (size_t i = 0; i < s->n_alerts; i++)
		if (s->alerts[i].after_requests > req && s->alerts[i].from_client == from_client)
			return &s->alerts[i];
	return NULL;
}

static void
alert_words(const struct certpick_capture_alert *a, char *out, size_t n)
{
	if (a->encrypted) {
		snprintf(out, n, "an encrypted alert (its code is not seen)");
		return;
	}
	const char *name = certpick_alert_name(a->description);
	snprintf(out, n, "alert %s (%u)", name ? name : "?", (unsigned)a->description);
}

/*
 * An HTTP status a server gives a certificate it does not accept: 403 (IIS
 * 403.7/403.16, Apache, certpick serve), 400 and 495/496 (nginx).
 */
static bool
refusal_status(int status)
{
	return status == 400 || status == 401 || status == 403 || status == 495 || status == 496;
}

/* One line of what happened, and one of what to do. */
static void
verdict(struct cp_cap_conn *c)
{
	struct certpick_capture_conn *s = &c->story;
	bool hidden =
	    c->side[0].no_key_noted || c->side[1].no_key_noted || s->records_undecrypted > 0;
	char http[520] = "";
	if (s->http_status)
		snprintf(http, sizeof(http), "; HTTP %d %s", s->http_status,
		    s->http_reason ? s->http_reason : "");
	if (!s->has_client_hello && s->n_requests == 0 && s->n_answers == 0) {
		s->verdict = dupf(c->story.client_seen_syn ?
			"no ClientHello: the client sent no TLS "
			"handshake" :
			"no ClientHello: the capture starts after the handshake");
		s->fix = c->story.client_seen_syn ? NULL :
						    dupf("capture from before the client "
							 "connects");
		return;
	}
	if (s->n_requests == 0) {
		if (s->version == CERTPICK_TLS13 &&
		    c->side[c->client < 0 ? 1 : 1 - c->client].crypt.kind == 0 && hidden) {
			s->verdict =
			    dupf("TLS 1.3 and not decrypted: whether the server asked for a "
				 "client certificate cannot be seen");
			s->fix =
			    dupf("capture again with the client's key log (SSLKEYLOGFILE) and pass "
				 "it with --keylog");
		} else if (hidden) {
			s->verdict = dupf(
			    "no CertificateRequest in what could be read (encrypted "
			    "records were not decrypted: a later request would be among them)%s",
			    http);
			s->fix = dupf(
			    "pass the client's key log with --keylog to see the encrypted part");
		} else {
			s->verdict =
			    dupf("the server never asked for a client certificate%s", http);
			s->fix =
			    dupf("make the server request one (nginx ssl_verify_client, Apache "
				 "SSLVerifyClient, IIS SslNegotiateCert)%s",
				s->version == CERTPICK_TLS13 && !s->pha_offered ?
				    "; for a per-path request in TLS 1.3 the client must "
				    "offer post_handshake_auth, which this one did not" :
				    "");
		}
		return;
	}
	size_t ri = s->n_requests - 1;
	const struct certpick_certreq *r = s->requests[ri];
	const struct certpick_capture_answer *a = NULL;
	for (size_t i = 0; i < s->n_answers; i++)
		if (s->answers[i].request == ri)
			a = &s->answers[i];
	char asked[360], what[600], end[200] = "";
	char after[160] = "";
	if (r->phase != CERTPICK_PHASE_INITIAL && s->http_request)
		snprintf(after, sizeof(after), " after '%.120s'", s->http_request);
	snprintf(asked, sizeof(asked), "the server asked%s (%s, %s) naming %zu CA%s", after,
	    certpick_phase_name(r->phase), r->tls_version == CERTPICK_TLS13 ? "TLS 1.3" : "TLS 1.2",
	    r->n_ca_names, r->n_ca_names == 1 ? "" : "s");
	const struct certpick_capture_alert *sa = first_alert_after(s, ri, false);
	const struct certpick_capture_alert *ca = first_alert_after(s, ri, true);
	const struct certpick_capture_alert *al = NULL;
	if (sa && !(sa->level == 1 && sa->description == 0))
		al = sa;
	else if (ca && !(ca->level == 1 && ca->description == 0))
		al = ca;
	else
		sa = NULL;
	/* an alert after the server's HTTP answer closes the connection: no refusal */
	bool late = al && s->http_status && (size_t)(al - s->alerts) >= c->alerts_at_status;
	if (al) {
		char w[100];
		alert_words(al, w, sizeof(w));
		snprintf(end, sizeof(end), "; the %s then sent %s", al == sa ? "server" : "client",
		    w);
	}
	if (late) {
		/* the answer first, then the closing alert */
		char tail[sizeof(http)];
		snprintf(tail, sizeof(tail), "%s%s after it", http, end);
		snprintf(http, sizeof(http), "%s", tail);
		end[0] = '\0';
		sa = NULL;
	}
	if (a == NULL) {
		/* no handshake record from the client after the request: no key can hide that */
		bool silent =
		    c->client >= 0 && c->side[c->client].records == c->client_records_at_request;
		snprintf(what, sizeof(what), "%s",
		    silent     ? "the client did not answer (no Certificate)" :
			hidden ? "the client's answer is encrypted and was not decrypted" :
				 "the client sent no Certificate");
		s->verdict = dupf("%s; %s%s%s", asked, what, end, http);
		s->fix = dupf(!silent && hidden ?
			"pass the client's key log with --keylog" :
			"see the client's log: it gave up before answering (Chromium and "
			"Firefox close the connection to choose a certificate, then repeat "
			"the request on a new one: see the next connection)");
		return;
	}
	if (a->n_certs == 0) {
		s->verdict =
		    dupf("%s; the client answered with an empty Certificate%s%s", asked, end, http);
		s->fix = r->n_ca_names ?
		    dupf(
			"give the client a certificate (with its key) issued "
			"by one of the %zu CAs the server named; save the request with --save and run "
			"certpick select --request on the client's certificates",
			r->n_ca_names) :
		    dupf("give the client a certificate (with its key) the server trusts");
		return;
	}
	const struct certpick_capture_cert *leaf = &a->certs[0];
	snprintf(what, sizeof(what), "the client sent '%s' (sha256 %.16s...)",
	    leaf->subject.rfc4514 ? leaf->subject.rfc4514 : "?", leaf->sha256);
	if (a->findings.n > 0) {
		s->verdict = dupf("%s; %s, but %s%s%s", asked, what,
		    a->findings.v[0].detail ? a->findings.v[0].detail :
					      certpick_reason_text(a->findings.v[0].reason),
		    end, http);
		const char *h = certpick_reason_hint(a->findings.v[0].reason);
		s->fix = dupf("%s", h ? h : "use a certificate that fits the request");
		return;
	}
	if ((end[0] && sa) || refusal_status(s->http_status)) {
		s->verdict = dupf("%s; %s, which fits the request%s: the server refused it%s",
		    asked, what, end, http);
		s->fix =
		    dupf("check the server's side: the chain must verify to a CA it trusts, "
			 "with clientAuth and no revocation (certpick check on the certificate)");
		return;
	}
	s->verdict = dupf("%s; %s, which fits the request%s%s", asked, what, end, http);
	s->fix = NULL;
}

bool
cp_cap_conn_finish(struct cp_cap_conn *c, struct certpick_capture_conn *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 2; i++)
		cp_tcp_dir_flush(&c->side[i].tcp);
	if (!c->tls_seen)
		return false;
	if (c->client < 0)
		c->client = c->port[0] > c->port[1] ? 0 : 1;
	endpoint(c, c->client, c->story.client, sizeof(c->story.client));
	endpoint(c, 1 - c->client, c->story.server, sizeof(c->story.server));
	if (!c->story.client_seen_syn)
		note(c, "the capture starts after the connection opened");
	for (int i = 0; i < 2; i++)
		if (cp_tls_hs_pending(&c->side[i].hs) && c->side[i].hs.lost == NULL)
			note(c, "the capture ends inside a %s handshake message", who(&c->side[i]));
	verdict(c);
	*out = c->story;
	memset(&c->story, 0, sizeof(c->story));
	return true;
}

void
cp_cap_conn_free(struct cp_cap_conn *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		cp_tcp_dir_release(&c->side[i].tcp);
		cp_tls_rec_release(&c->side[i].rec);
		cp_tls_hs_release(&c->side[i].hs);
		cp_crypt_release(&c->side[i].crypt);
	}
	cp_capture_conn_release(&c->story);
	free(c);
}

void
cp_capture_conn_release(struct certpick_capture_conn *s)
{
	free(s->sigalgs);
	for (size_t i = 0; i < s->n_requests; i++)
		certpick_certreq_free(s->requests[i]);
	free(s->requests);
	free(s->request_times);
	for (size_t i = 0; i < s->n_answers; i++) {
		for (size_t j = 0; j < s->answers[i].n_certs; j++) {
			certpick_dn_release(&s->answers[i].certs[j].subject);
			certpick_dn_release(&s->answers[i].certs[j].issuer);
		}
		free(s->answers[i].certs);
		certpick_findings_release(&s->answers[i].findings);
	}
	free(s->answers);
	free(s->alerts);
	free(s->http_request);
	free(s->http_reason);
	for (size_t i = 0; i < s->n_notes; i++)
		free(s->notes[i]);
	free(s->notes);
	free(s->verdict);
	free(s->fix);
	memset(s, 0, sizeof(*s));
}
