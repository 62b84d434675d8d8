/*
 * get: one HTTPS request with a chosen client certificate (certpick/get.h),
 * on the client engine's event loop (probe_engine.c, cp_probe_run_once()):
 * non-blocking sockets and OpenSSL under libevent, a timer per phase
 * (connect, handshake, request, answer), so a peer that drips bytes,
 * renegotiates or asks again and again cannot stretch a phase. OpenSSL
 * follows a TLS 1.2 renegotiation or a TLS 1.3 post-handshake
 * CertificateRequest inside SSL_read, at most GET_MAX_ASKS times. Requests
 * and alerts are captured by the engine's one message callback (client.c);
 * the answer is read incrementally (answer_feed: header end, then
 * Content-Length or the chunk walk) and parsed once by the probe's HTTP
 * reader. Other schemes (tls://, ...) are one connection of their protocol
 * layer on the same engine. Never prints; the private key stays inside the
 * candidate set (or its token).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "client.h"
#include "certpick/get.h"
#include "certpick/openssl.h"

#define DEFAULT_MAX_RESPONSE (16u << 20)
#define GET_MAX_HEADER 65536 /* status line and headers, as probe's CP_HTTP_MAX */
#define GET_MAX_ASKS 4	     /* renegotiations + post-handshake requests answered */

struct get_ctx {
	struct certpick_get_result *res;
	const struct certpick_get_options *o;
};

/* Where reading the answer stands; each read feeds only the new bytes. */
struct answer_reader {
	size_t scanned;		  /* the header end was looked for up to here */
	size_t hlen;		  /* status line and headers; 0 until they end */
	long long content_length; /* -1: none */
	bool chunked;
	struct cp_chunk_walk walk; /* over buf[hlen..walked) */
	size_t walked;
};

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* see certpick/get.h */
void
certpick_get_result_free(struct certpick_get_result *res)
{
	if (res == NULL)
		return;
	free(res->address);
	free(res->cipher);
	for (size_t i = 0; i < res->n_requests; i++) {
		certpick_certreq_free(res->requests[i].req);
		free(res->requests[i].parse_error);
	}
	free(res->requests);
	free(res->reason);
	free(res->head);
	free(res->body);
	cp_http_release(&res->http);
	free(res->protocol);
	cp_probe_service_release(&res->service);
	free(res);
}

static SSL_CTX *
make_ctx(const struct certpick_get_options *o, struct certpick_error *err)
{
	SSL_CTX *ctx = cp_client_ctx_new(o->flags, 0, false, err);
	struct stat st;

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (o->insecure)
		return ctx;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (o->trust_path == NULL) {
		if (SSL_CTX_set_default_verify_paths(ctx) != 1)
			goto fail_trust;
	} else if (stat(o->trust_path, &st) != 0) {
		cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot read '%s'", o->trust_path);
		goto fail;
	} else if (SSL_CTX_load_verify_locations(ctx, S_ISDIR(st.st_mode) ? NULL : o->trust_path,
		       S_ISDIR(st.st_mode) ? o->trust_path : NULL) != 1) {
		goto fail_trust;
	}
	return ctx;
fail_trust:
	cp_error_set_ossl(err, CERTPICK_ERR_IO, "cannot load the trust store '%s'",
	    o->trust_path ? o->trust_path : "(system)");
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static bool
has_header(const struct certpick_get_options *o, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < o->n_headers; i++)
		if (strncasecmp(o->headers[i], name, n) == 0 && o->headers[i][n] == ':')
			return true;
	return false;
}

static char *
build_request(const struct certpick_get_options *o, const char *path, const char *host_hdr,
    size_t *len)
{
	const char *method = o->method ? o->method : o->body ? "POST" : "GET";
	char *head = cp_asprintf("%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host_hdr), *t;

	if (head != NULL && !has_header(o, "User-Agent")) {
		t = cp_asprintf("%sUser-Agent: certpick/%s\r\n", head, CERTPICK_VERSION);
		free(head);
		head = t;
	}
	if (head != NULL && !has_header(o, "Accept")) {
		/* JSON first: certpick serve (and API servers) then say why in "advice" */
		t = cp_asprintf("%sAccept: application/json, */*;q=0.8\r\n", head);
		free(head);
		head = t;
	}
	for (size_t i = 0; head != NULL && i < o->n_headers; i++) {
		t = cp_asprintf("%s%s\r\n", head, o->headers[i]);
		free(head);
		head = t;
	}
	if (head != NULL && (o->body != NULL || (o->method && strcmp(o->method, "POST") == 0))) {
		t = cp_asprintf("%sContent-Length: %zu\r\n", head, o->body_len);
		free(head);
		head = t;
	}
	if (head != NULL) {
		t = cp_asprintf("%sConnection: close\r\n\r\n", head);
		free(head);
		head = t;
	}
	if (head == NULL)
		return NULL;
	*len = strlen(head);
	if (o->body_len > 0) {
		if ((t = cp_realloc(head, *len + o->body_len + 1)) == NULL) {
			free(head);
			return NULL;
		}
		head = t;
		memcpy(head + *len, o->body, o->body_len);
		*len += o->body_len;
		head[*len] = '\0';
	}
	return head;
}

/* "Transfer-Encoding: ... chunked" among the header lines of head[0..len). */
static bool
is_chunked(const char *head, size_t len)
{
	size_t vlen;
	const char *v = cp_http_header(head, len, "Transfer-Encoding", &vlen);

	for (size_t i = 0; v != NULL && i + 7 <= vlen; i++)
		if (strncasecmp(v + i, "chunked", 7) == 0)
			return true;
	return false;
}

static int
hex_value(int c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	    c >= 'a' && c <= 'f'    ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F'    ? c - 'A' + 10 :
				      -1;
}

/* One byte of a chunk-size line, a chunk's CRLF or a trailer line. */
static void
chunk_step(struct cp_chunk_walk *w, int c)
{
	switch (w->state) {
	case CP_CHUNK_SIZE:
		if (hex_value(c) >= 0 && w->digits < 16) {
			w->left = w->left * 16 + (uint64_t)hex_value(c);
			w->digits++;
		} else if (w->digits == 0 || hex_value(c) >= 0) {
			w->state = CP_CHUNK_BAD;
		} else {
			w->state = CP_CHUNK_EXT;
			chunk_step(w, c);
		}
		break;
	case CP_CHUNK_EXT:
		if (c == '\n')
			w->state = w->left > 0 ? CP_CHUNK_DATA : CP_CHUNK_TRAILER_START;
		break;
	case CP_CHUNK_DATA_END:
		if (c == '\r')
			break;
		w->state = CP_CHUNK_SIZE;
		w->digits = 0;
		w->left = 0;
		if (c != '\n')
			chunk_step(w, c);
		break;
	case CP_CHUNK_TRAILER_START:
		w->state = c == '\n' ? CP_CHUNK_DONE :
		    c == '\r'	     ? CP_CHUNK_TRAILER_START :
				       CP_CHUNK_TRAILER;
		break;
	case CP_CHUNK_TRAILER:
		if (c == '\n')
			w->state = CP_CHUNK_TRAILER_START;
		break;
	default: break;
	}
}

/* see internal.h */
size_t
cp_chunk_feed(struct cp_chunk_walk *w, const char *b, size_t len, unsigned char *out)
{
	size_t at = 0, n_out = 0;

	while (at < len && w->state != CP_CHUNK_DONE && w->state != CP_CHUNK_BAD) {
		if (w->state != CP_CHUNK_DATA) {
			chunk_step(w, (unsigned char)b[at++]);
			continue;
		}
		size_t n = w->left < len - at ? (size_t)w->left : len - at;
		if (out != NULL)
			memcpy(out + n_out, b + at, n);
		n_out += n;
		at += n;
		if ((w->left -= n) == 0)
			w->state = CP_CHUNK_DATA_END;
	}
	return n_out;
}

/* see internal.h */
int
cp_get_answer(struct certpick_get_result *res, const char *buf, size_t len)
{
	size_t hlen = len;

	for (size_t i = 0; i + 3 < len; i++) {
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			hlen = i + 4;
			break;
		}
	}
	free(res->head);
	free(res->reason);
	free(res->body);
	res->reason = NULL;
	res->body = NULL;
	res->body_len = 0;
	if ((res->head = cp_malloc(hlen + 1)) == NULL)
		return -1;
	memcpy(res->head, buf, hlen);
	res->head[hlen] = '\0';
	res->status = res->http.status;
	if (res->http.reason != NULL && (res->reason = cp_strdup(res->http.reason)) == NULL)
		return -1;
	if ((res->body = cp_malloc(len - hlen + 1)) == NULL)
		return -1;
	if (is_chunked(buf, hlen)) {
		struct cp_chunk_walk w = { 0 };

		res->body_len = cp_chunk_feed(&w, buf + hlen, len - hlen, res->body);
	} else {
		memcpy(res->body, buf + hlen, len - hlen);
		res->body_len = len - hlen;
	}
	res->body[res->body_len] = '\0';
	return 0;
}

/* Look for the blank line that ends the head in the bytes not searched yet. */
static void
find_head_end(struct answer_reader *r, const char *buf, size_t len)
{
	for (size_t i = r->scanned; i < len && r->hlen == 0; i++) {
		if (buf[i] == '\n' &&
		    ((i >= 1 && buf[i - 1] == '\n') ||
			(i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n')))
			r->hlen = i + 1;
	}
	r->scanned = len;
}

static void
read_head(struct answer_reader *r, const char *buf)
{
	size_t vlen;
	const char *v = cp_http_header(buf, r->hlen, "Content-Length", &vlen);

	r->content_length = -1;
	if (v != NULL) {
		r->content_length = 0;
		for (size_t i = 0;
		     i < vlen && v[i] >= '0' && v[i] <= '9' && r->content_length < (1LL << 30); i++)
			r->content_length = r->content_length * 10 + (v[i] - '0');
	}
	r->chunked = is_chunked(buf, r->hlen);
	r->walked = r->hlen;
}

/*
 * The answer read so far is buf[0..len); only the bytes after the last call
 * are looked at. 1: complete; 0: more to come (or until EOF); -1: not HTTP;
 * -2: the head is longer than GET_MAX_HEADER.
 */
static int
answer_feed(struct answer_reader *r, const char *buf, size_t len)
{
	if (strncmp(buf, "HTTP/", len < 5 ? len : 5) != 0)
		return -1;
	if (r->hlen == 0) {
		find_head_end(r, buf, len);
		if (r->hlen == 0)
			return len > GET_MAX_HEADER ? -2 : 0;
		read_head(r, buf);
	}
	if (r->content_length >= 0)
		return len - r->hlen >= (size_t)r->content_length;
	if (!r->chunked)
		return 0; /* until EOF: we sent Connection: close */
	(void)cp_chunk_feed(&r->walk, buf + r->walked, len - r->walked, NULL);
	r->walked = len;
	return r->walk.state == CP_CHUNK_DONE;
}

/* The engine's attempt becomes get's result (the strings and requests move). */
static void
from_attempt(struct certpick_get_result *g, struct certpick_probe_result *p,
    struct certpick_probe_attempt *a, bool verified)
{
	g->address = p->address;
	p->address = NULL;
	g->protocol = p->protocol;
	p->protocol = NULL;
	g->tls_version = a->handshake_done ? a->tls_version : 0;
	g->cipher = a->cipher;
	a->cipher = NULL;
	g->server_verified = verified && a->handshake_done;
	g->certificate_sent = a->certificate_sent;
	g->alert = a->alert;
	g->alert_fatal = a->alert_fatal;
	g->alert_after_request = a->alert_after_request;
	g->service = a->service;
	a->service = (struct certpick_probe_service){ .code = -1 };
	g->requests = p->requests;
	g->n_requests = p->n_requests;
	p->requests = NULL;
	p->n_requests = 0;
	g->ms = a->ms;
	g->end = a->end;
	g->error = a->error;
	if (g->protocol != NULL && a->end != CERTPICK_PROBE_END_SERVICE &&
	    g->error.code == CERTPICK_OK)
		cp_error_set(&g->error, CERTPICK_ERR_NETWORK,
		    "no %s verdict: the connection ended (%s)",
		    g->protocol != NULL ? g->protocol : "service", certpick_probe_end_name(a->end));
}

/*
 * The one place get's options become the engine's: the probe options, the
 * context (verification, trust) and the chosen identity. Then one connection
 * (once says whether an HTTP request goes with it), whose attempt becomes
 * get's result; *pp keeps the rest of the probe's result for the caller.
 */
static int
connect_once(struct get_ctx *g, const char *url, const struct certpick_candset *set,
    const struct certpick_candidate *chosen, const struct certpick_sel_candidate *sel,
    struct cp_probe_once *once, struct certpick_probe_result **pp, struct certpick_error *err)
{
	const struct certpick_get_options *o = g->o;
	const struct certpick_probe_options po = { .servername = o->servername,
		.connect_to = o->connect_to,
		.flags = o->flags,
		.timeout_ms = o->timeout_ms,
		.trace = o->trace,
		.trace_arg = o->trace_arg,
		.mail_from = o->mail_from,
		.rcpt_to = o->rcpt_to,
		.service_password = o->service_password };
	struct cp_identity id = { 0 };
	int ret = -1;

	if ((once->ctx = make_ctx(o, err)) == NULL)
		goto out;
	if (chosen != NULL) {
		if (cp_identity_from_candidate(&id, set, chosen, sel, o->token_login, err) != 0)
			goto out;
		once->id = &id;
	}
	if (cp_probe_run_once(url, &po, once, pp, err) != 0)
		goto out;
	from_attempt(g->res, *pp, chosen != NULL ? &(*pp)->with_cert : &(*pp)->without_cert,
	    !o->insecure);
	ret = 0;
out:
	SSL_CTX_free(once->ctx);
	once->ctx = NULL;
	once->id = NULL;
	cp_identity_release(&id); /* after the connection that signed with it */
	return ret;
}

/* A non-HTTP scheme: one connection of its protocol layer, asking for the service's verdict. */
static int
run_layer(struct get_ctx *g, const char *url, const struct certpick_candset *set,
    const struct certpick_candidate *chosen, const struct certpick_sel_candidate *sel,
    struct certpick_error *err)
{
	struct cp_probe_once once = { 0 };
	struct certpick_probe_result *p = NULL;
	int ret = connect_once(g, url, set, chosen, sel, &once, &p, err);

	certpick_probe_result_free(p);
	return ret;
}

static int
feed_answer(void *arg, const char *buf, size_t len)
{
	return answer_feed(arg, buf, len);
}

/* The answer the engine read becomes status, head, body (or the reason there is none). */
static int
take_answer(struct certpick_get_result *res, const struct cp_probe_once *once,
    enum certpick_probe_end end, const struct cp_trace *tr)
{
	int pr = 0;

	res->request_sent = once->request_sent;
	res->truncated = once->truncated;
	if (once->answer_ended && once->answer_len > 0 &&
	    (pr = cp_http_parse(once->answer, once->answer_len, true, &res->http)) == -2)
		return -1;
	if ((end == CERTPICK_PROBE_END_NOT_HTTP || pr == -1) && res->error.code == CERTPICK_OK)
		cp_error_set(&res->error, CERTPICK_ERR_NETWORK, "the answer is not HTTP");
	if (pr != 1)
		return 0;
	if (cp_get_answer(res, once->answer, once->answer_len) != 0)
		return -1;
	certpick_error_clear(&res->error);
	cp_client_trace(tr, "answer: HTTP %d (%zu bytes)", res->status, once->answer_len);
	return 0;
}

/*
 * https: the request on the probe's event-driven engine (one connection,
 * get's context and identity, a libevent timer per phase), the answer read
 * incrementally (answer_feed) and parsed once.
 */
static int
run(struct get_ctx *g, const char *url, const struct certpick_candset *set,
    const struct certpick_candidate *chosen, const struct certpick_sel_candidate *sel,
    struct certpick_error *err)
{
	const struct certpick_get_options *o = g->o;
	struct answer_reader reader = { 0 };
	struct cp_probe_once once = { .feed = feed_answer,
		.feed_arg = &reader,
		.max_response = o->max_response ? o->max_response : DEFAULT_MAX_RESPONSE,
		.head_max = GET_MAX_HEADER,
		.max_asks = GET_MAX_ASKS,
		.no_pha = o->no_pha,
		.no_renegotiation = o->no_renegotiation };
	struct cp_trace tr = { .fn = o->trace, .arg = o->trace_arg, .prefix = url };
	struct certpick_probe_result *p = NULL;
	char *host = NULL, *port = NULL, *path = NULL, *host_hdr = NULL, *req = NULL;
	const char *name;
	int ret = -1;

	if (strncasecmp(url, "https://", 8) != 0) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "not an https:// URL: '%s'", url);
		goto out;
	}
	if (certpick_probe_target_parse(url, &host, &port, &path, err) != 0)
		goto out;
	name = o->servername ? o->servername : host;
	host_hdr = strcmp(port, "443") == 0 ? cp_strdup(name) :
	    strchr(name, ':') != NULL	    ? cp_asprintf("[%s]:%s", name, port) :
					      cp_asprintf("%s:%s", name, port);
	if (host_hdr == NULL ||
	    (req = build_request(o, path ? path : "/", host_hdr, &once.req_len)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	once.req = req;
	if (connect_once(g, url, set, chosen, sel, &once, &p, err) != 0)
		goto out;
	if (take_answer(g->res, &once, g->res->end, &tr) != 0) {
		cp_error_nomem(err);
		goto out;
	}
	ret = 0;
out:
	certpick_probe_result_free(p);
	free(once.answer);
	free(host);
	free(port);
	free(path);
	free(host_hdr);
	free(req);
	return ret;
}

/* see certpick/get.h */
int
certpick_get_run(const char *url, const struct certpick_candset *set,
    const struct certpick_candidate *chosen, const struct certpick_sel_candidate *sel,
    const struct certpick_get_options *opts, struct certpick_get_result **out,
    struct certpick_error *err)
{
	static const struct certpick_get_options none = { 0 };
	struct get_ctx g = { .o = opts ? opts : &none };
	struct timespec t0;
	struct cp_target t;
	int rc;

	*out = NULL;
	if (chosen != NULL && set == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "a candidate needs its set");
	if (cp_target_parse(url, &t, err) != 0)
		return -1;
	if ((g.res = cp_calloc(1, sizeof(*g.res))) == NULL) {
		cp_target_release(&t);
		return cp_error_nomem(err);
	}
	g.res->alert = -1;
	g.res->service.code = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = t.layer != NULL ? run_layer(&g, url, set, chosen, sel, err) :
			       run(&g, url, set, chosen, sel, err);
	cp_target_release(&t);
	if (rc != 0) {
		certpick_get_result_free(g.res);
		return -1;
	}
	g.res->ms = ms_since(&t0);
	*out = g.res;
	return 0;
}
