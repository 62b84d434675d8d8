/*
 * The probe's network side: one libevent loop, non-blocking sockets and
 * non-blocking OpenSSL, evdns for names. Each target is a job that runs up
 * to three connections one after another (probe.h); `concurrency` jobs run
 * at once. Every phase has a timer; every buffer has a cap. The raw
 * CertificateRequest bytes come from the message callback and go to the
 * pure parser; nothing here interprets them.
 *
 * A connection to a non-HTTP scheme is driven by its protocol layer
 * (proto.h): connect, the layer's plaintext exchange (ST_PLAIN) up to
 * STARTTLS (none for implicit TLS), the handshake, the layer's exchange over
 * TLS (ST_APP) up to its verdict, then close_notify and a short wait for a
 * late alert (ST_CLOSING: TLS 1.3 refuses a missing certificate after the
 * client's Finished). Each exchange the layer starts re-arms the phase timer.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "internal.h"
#include "client.h"
#include "proto.h"

#define DEFAULT_TIMEOUT_MS 10000
#define CLOSE_WAIT_MS 2000 /* ST_CLOSING: a late alert comes within a round trip */
#define DEFAULT_MAX_CERT_LIST ((size_t)4 << 20)

struct engine;
struct job;

enum conn_kind {
	CONN_WITHOUT_CERT = 0, /* the probe proper: requests captured */
	CONN_WITH_CERT,	       /* the same presenting --cert */
	CONN_H2,	       /* handshake offering h2 only */
};

enum conn_state {
	ST_CONNECTING,
	ST_PLAIN, /* the layer's exchange before TLS */
	ST_HANDSHAKE,
	ST_WRITING,   /* https: the request */
	ST_READING,   /* https: the answer */
	ST_APP,	      /* the layer's exchange over TLS */
	ST_CLOSING,   /* the layer's verdict is in: close_notify, a late alert */
	ST_REQ_WRITE, /* get: its request */
	ST_REQ_READ,  /* get: its answer */
};

struct conn {
	struct job *job;
	enum conn_kind kind;
	enum conn_state state;
	struct certpick_probe_attempt *at;
	evutil_socket_t fd;
	SSL *ssl;
	struct event *ev_read, *ev_write, *timer;
	struct timespec start;
	bool handshake_done;
	bool reset, eof, write_failed;
	char *req;
	size_t req_len, req_off;
	char *resp;
	size_t resp_len, resp_cap; /* resp_cap: get's growing buffer */
	/* non-HTTP schemes: the layer, its state and verdict, its buffers */
	const struct cp_proto_ops *layer;
	void *lst;
	struct cp_proto_verdict verdict;
	struct cp_proto_params params; /* what init() was given: borrowed by the layer */
	struct cp_buf in, out;	       /* unconsumed server bytes; bytes still to send */
	char nonce[33];		       /* params.nonce: fresh per connection */
	bool peer_eof;		       /* the layer was told of EOF */
	struct cp_capture cap;	       /* requests, alerts, the Certificate sent */
};

struct job {
	struct engine *eng;
	size_t index;
	struct certpick_probe_result *res;
	char *dial_host, *dial_port;	  /* what to resolve and connect to */
	const struct cp_proto_ops *layer; /* NULL: https */
	char *user;			  /* from the URL, for the layer */
	struct cp_proto_params params;
	struct cp_trace tr; /* prefixed with the target */
	struct evutil_addrinfo *ai, *ai_next;
	struct evdns_getaddrinfo_request *dns_req;
	struct event *dns_timer;
	struct conn *conn;
	enum conn_kind next_kind;
	struct timespec start;
	struct certpick_error last_connect_error;
	struct certpick_probe_attempt h2_attempt;
	bool retry_address;  /* the connection did not connect: next address */
	bool connect_failed; /* no address connected */
};

struct engine {
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *ctx;
	struct cp_identity id;	       /* --cert, loaded once */
	const struct cp_identity *idp; /* presented on CONN_WITH_CERT: &id, or get's; NULL */
	struct cp_probe_once *once;    /* get: one connection (client.h); NULL: probe */
	BIO_METHOD *bio_method;
	unsigned char alpn[256]; /* --alpn in wire format; alpn_len 0: none */
	size_t alpn_len;
	const struct certpick_probe_options *opts;
	int timeout_ms;
	const char *const *targets;
	size_t n, next, active;
	unsigned concurrency;
	certpick_probe_done_fn done;
	void *done_arg;
	bool filling;
};

_Static_assert((int)CERTPICK_SERVICE_HANDSHAKE_ONLY == (int)CP_PROTO_HANDSHAKE_ONLY &&
	(int)CERTPICK_SERVICE_NO_TLS == (int)CP_PROTO_NO_TLS &&
	(int)CERTPICK_SERVICE_NOT_OFFERED == (int)CP_PROTO_NOT_OFFERED &&
	(int)CERTPICK_SERVICE_REFUSED == (int)CP_PROTO_REFUSED &&
	(int)CERTPICK_SERVICE_ACCEPTED == (int)CP_PROTO_ACCEPTED &&
	(int)CERTPICK_SERVICE_UNKNOWN == (int)CP_PROTO_UNKNOWN,
    "outcomes map one to one");

static void conn_step(struct conn *c);
static void layer_run(struct conn *c);
static void step_closing(struct conn *c);
static void job_next(struct job *j);
static void engine_fill(struct engine *e);

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * A BIO over the non-blocking socket. Writes use MSG_NOSIGNAL, and a write
 * to a peer that already closed is swallowed: the server's alert is then
 * still read from the socket, so a TLS 1.3 "certificate required" never
 * depends on who was faster (RFC 8446 4.4.2.4: the server sends
 * certificate_required and closes, often before the client's write lands).
 */
static int
bio_write_ex(BIO *b, const char *data, size_t len, size_t *written)
{
	struct conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (c->write_failed) {
		*written = len;
		return 1;
	}
	n = send(c->fd, data, len, MSG_NOSIGNAL);
	if (n >= 0) {
		*written = (size_t)n;
		return 1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		BIO_set_retry_write(b);
		return 0;
	}
	if (errno == EPIPE || errno == ECONNRESET) {
		c->write_failed = true;
		*written = len;
		return 1;
	}
	return 0;
}

static int
bio_read_ex(BIO *b, char *data, size_t len, size_t *got)
{
	struct conn *c = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = recv(c->fd, data, len, 0);
	if (n > 0) {
		*got = (size_t)n;
		return 1;
	}
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		BIO_set_retry_read(b);
		return 0;
	}
	if (errno == ECONNRESET)
		c->reset = true;
	else
		c->eof = true;
	return 0;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH: return 1;
	default: return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	if (c->timer != NULL)
		event_free(c->timer);
	SSL_free(c->ssl);
	if (c->fd >= 0)
		evutil_closesocket(c->fd);
	free(c->req);
	free(c->resp);
	if (c->lst != NULL && c->layer->clear != NULL)
		c->layer->clear(c->lst);
	free(c->lst);
	cp_proto_verdict_clear(&c->verdict);
	cp_buf_free(&c->in);
	if (c->out.p != NULL) /* it may have held a password */
		OPENSSL_cleanse(c->out.p, c->out.cap);
	cp_buf_free(&c->out);
	free(c);
}

/* The layer's verdict becomes the attempt's (the strings move). */
static void
verdict_move(struct conn *c)
{
	struct certpick_probe_service *s = &c->at->service;
	struct cp_proto_verdict *v = &c->verdict;

	if (c->layer == NULL)
		return;
	/* a finding the verdict brings (pg-certificate-required, ...), with the server's words */
	if (v->has_reason &&
	    cp_findings_add(&c->job->res->findings, v->reason, "%s%s",
		c->kind == CONN_WITH_CERT ? "with the certificate: " : "without a certificate: ",
		v->text != NULL ? v->text : "") != 0)
		cp_client_trace(&c->job->tr, "out of memory recording a finding");
	cp_probe_service_release(s);
	s->outcome = (enum certpick_service_outcome)v->outcome;
	s->code = v->code;
	s->text = v->text;
	s->identity = v->identity;
	s->capabilities = v->capabilities;
	s->banner = v->banner;
	s->offers_external = v->offers_external;
	s->sent_auth = v->sent_auth;
	*v = (struct cp_proto_verdict){ .code = -1 };
}

/* End this connection; the job moves on. Never touch c afterwards. */
static void
conn_end(struct conn *c, enum certpick_probe_end end)
{
	struct job *j = c->job;

	c->at->end = end;
	c->at->handshake_done = c->handshake_done;
	c->at->ms = ms_since(&c->start);
	c->at->alert = c->cap.alert;
	c->at->alert_fatal = c->cap.alert_fatal;
	c->at->alert_after_request = c->cap.alert_after_request;
	c->at->certificate_sent = c->cap.certificate_sent;
	verdict_move(c);
	cp_client_trace(&j->tr, "connection ends: %s", certpick_probe_end_name(end));
	j->conn = NULL;
	conn_free(c);
	job_next(j);
}

static void CERTPICK_PRINTF(4, 5) conn_fail(struct conn *c, enum certpick_probe_end end,
    enum certpick_errc code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cp_error_set(&c->at->error, code, "%s", msg);
	conn_end(c, end);
}

static void
arm_timer(struct conn *c)
{
	struct timeval tv = { c->job->eng->timeout_ms / 1000,
		(c->job->eng->timeout_ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	const char *phase = c->state == ST_CONNECTING ? "connecting" :
	    c->state == ST_PLAIN		      ? "before TLS, waiting for the server" :
	    c->state == ST_HANDSHAKE		      ? "in the TLS handshake" :
							"waiting for the answer";
	char msg[128];

	(void)fd;
	(void)what;
	if (c->state == ST_REQ_WRITE || c->state == ST_REQ_READ ||
	    (c->state == ST_HANDSHAKE && c->job->eng->once != NULL &&
		c->job->eng->once->req != NULL)) {
		/* get's words (docs/cli/get.md) */
		conn_fail(c, CERTPICK_PROBE_END_TIMEOUT, CERTPICK_ERR_NETWORK,
		    "timed out %s (%g s per phase)",
		    c->state == ST_HANDSHAKE	 ? "during the handshake" :
			c->state == ST_REQ_WRITE ? "while sending the request" :
						   "while waiting for the answer",
		    c->job->eng->timeout_ms / 1000.0);
		return;
	}
	if (c->state == ST_CLOSING) {
		/* the verdict is in; the server just kept the connection open */
		conn_end(c, CERTPICK_PROBE_END_SERVICE);
		return;
	}
	snprintf(msg, sizeof(msg), "timed out after %d ms %s", c->job->eng->timeout_ms, phase);
	if (c->state == ST_CONNECTING) {
		struct job *j = c->job;

		cp_error_set(&j->last_connect_error, CERTPICK_ERR_NETWORK,
		    "cannot connect to '%s': %s", j->res->address ? j->res->address : "?", msg);
		j->retry_address = true;
		j->conn = NULL;
		conn_free(c);
		job_next(j);
		return;
	}
	conn_fail(c, CERTPICK_PROBE_END_TIMEOUT, CERTPICK_ERR_NETWORK, "%s", msg);
}

static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_step(arg);
}

/* Wait for what OpenSSL wants; false when it wants something else (an error). */
static bool
wait_for(struct conn *c, int ssl_err)
{
	if (ssl_err == SSL_ERROR_WANT_READ) {
		event_add(c->ev_read, NULL);
		return true;
	}
	if (ssl_err == SSL_ERROR_WANT_WRITE) {
		event_add(c->ev_write, NULL);
		return true;
	}
	return false;
}

static int
alpn_set(SSL *ssl, bool h2)
{
	static const unsigned char h1[] = "\x08http/1.1";
	static const unsigned char both[] = "\x02h2\x08http/1.1";

	return h2 ? SSL_set_alpn_protos(ssl, both, sizeof(both) - 1) :
		    SSL_set_alpn_protos(ssl, h1, sizeof(h1) - 1);
}

/* With a verifying context (get's), the server's name is checked too. */
static int
verify_host(SSL *ssl, const char *name)
{
	if (!(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER))
		return 0;
	if (cp_client_is_ip(name))
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 ? 0 : -1;
	return SSL_set1_host(ssl, name) == 1 ? 0 : -1;
}

static int
conn_tls_setup(struct conn *c)
{
	struct job *j = c->job;
	const char *sni = j->res->servername;
	BIO *bio;

	if ((c->ssl = SSL_new(j->eng->ctx)) == NULL)
		return -1;
	if (c->kind == CONN_WITH_CERT && cp_identity_use(c->ssl, j->eng->idp, &c->at->error) != 0)
		return -1;
	if (verify_host(c->ssl, sni != NULL ? sni : j->res->host) != 0)
		return -1;
	if ((bio = BIO_new(j->eng->bio_method)) == NULL)
		return -1;
	BIO_set_data(bio, c);
	SSL_set_bio(c->ssl, bio, bio);
	cp_client_capture(c->ssl, &c->cap);
	/* offered so that per-path requests in TLS 1.3 are seen (Apache <Location>) */
	if (j->eng->once == NULL || !j->eng->once->no_pha)
		SSL_set_post_handshake_auth(c->ssl, 1);
	if (j->eng->once != NULL && j->eng->once->no_renegotiation)
		SSL_set_options(c->ssl, SSL_OP_NO_RENEGOTIATION);
	if (sni != NULL && !cp_client_is_ip(sni) && SSL_set_tlsext_host_name(c->ssl, sni) != 1)
		return -1;
	if (c->layer != NULL) {
		if (j->eng->alpn_len > 0 &&
		    SSL_set_alpn_protos(c->ssl, j->eng->alpn, (unsigned)j->eng->alpn_len) != 0)
			return -1;
	} else if ((j->eng->once == NULL || j->eng->once->req == NULL) &&
	    alpn_set(c->ssl, c->kind == CONN_H2) != 0) {
		return -1;
	}
	SSL_set_connect_state(c->ssl);
	return 0;
}

static int
build_request(struct conn *c)
{
	const struct certpick_probe_result *r = c->job->res;
	const char *host = r->servername != NULL ? r->servername : r->host;
	bool v6 = strchr(host, ':') != NULL;
	bool default_port = strcmp(r->port, "443") == 0;

	c->req = cp_asprintf("GET %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: certpick/%s\r\n"
			     "Accept: */*\r\nConnection: close\r\n\r\n",
	    r->path, v6 ? "[" : "", host, v6 ? "]" : "", default_port ? "" : ":",
	    default_port ? "" : r->port, CERTPICK_VERSION);
	if (c->req == NULL)
		return -1;
	c->req_len = strlen(c->req);
	return 0;
}

static void
after_handshake(struct conn *c)
{
	const unsigned char *alpn;
	unsigned alpn_len;
	const char *cipher = SSL_get_cipher_name(c->ssl);

	c->handshake_done = true;
	c->cap.handshake_done = true;
	c->at->handshake_done = true;
	c->at->tls_version = (uint16_t)SSL_version(c->ssl);
	if (cipher != NULL)
		c->at->cipher = cp_strdup(cipher);
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
	if (alpn_len > 0 && (c->at->alpn = cp_malloc(alpn_len + 1)) != NULL) {
		memcpy(c->at->alpn, alpn, alpn_len);
		c->at->alpn[alpn_len] = '\0';
	}
	cp_client_trace(&c->job->tr, "handshake done: %s %s%s%s", SSL_get_version(c->ssl),
	    cipher ? cipher : "?", c->at->alpn ? " alpn " : "", c->at->alpn ? c->at->alpn : "");
}

/* The connection failed inside TLS: classify by what was seen. */
static void
tls_failed(struct conn *c, int ssl_err)
{
	char detail[200] = "";
	unsigned long e = ERR_peek_error();

	if (e != 0)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	if (c->cap.alert >= 0) {
		conn_end(c, CERTPICK_PROBE_END_ALERT);
		return;
	}
	if (!c->handshake_done && (SSL_get_verify_mode(c->ssl) & SSL_VERIFY_PEER) &&
	    SSL_get_verify_result(c->ssl) != X509_V_OK) {
		/* get's verifying context: say so */
		cp_error_set(&c->at->error, CERTPICK_ERR_TLS,
		    "cannot verify the server's certificate");
		cp_error_detail(&c->at->error, "%s (use --trust FILE for its CA, or -k)",
		    X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
		conn_end(c, CERTPICK_PROBE_END_ERROR);
		return;
	}
	if (c->reset) {
		conn_fail(c, CERTPICK_PROBE_END_RESET, CERTPICK_ERR_NETWORK, "connection reset %s",
		    c->handshake_done ? "after the request" : "in the TLS handshake");
		return;
	}
	if (c->eof || c->cap.close_notify || ssl_err == SSL_ERROR_ZERO_RETURN) {
		conn_fail(c, CERTPICK_PROBE_END_CLOSED, CERTPICK_ERR_NETWORK,
		    "the server closed the connection %s",
		    c->handshake_done ? "after the request" : "in the TLS handshake");
		return;
	}
	conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_TLS, "TLS handshake failed: %s",
	    detail[0] ? detail : "unknown error");
}

static void
finish_http(struct conn *c, bool final)
{
	int rc;

	if (c->resp_len == 0) {
		tls_failed(c, SSL_ERROR_ZERO_RETURN);
		return;
	}
	rc = cp_http_parse(c->resp, c->resp_len, final, &c->at->http);
	if (rc == 1) {
		cp_client_trace(&c->job->tr, "HTTP %d", c->at->http.status);
		conn_end(c, CERTPICK_PROBE_END_HTTP);
	} else if (rc == -1) {
		conn_end(c, CERTPICK_PROBE_END_NOT_HTTP);
	} else if (rc == -2) {
		conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_NOMEM, "%s", "out of memory");
	} else if (final) {
		conn_end(c, CERTPICK_PROBE_END_NOT_HTTP);
	} else {
		event_add(c->ev_read, NULL);
	}
}

static void
step_read(struct conn *c)
{
	for (;;) {
		size_t got = 0;
		int ret, err;

		if (c->resp == NULL && (c->resp = cp_malloc(CP_HTTP_MAX)) == NULL) {
			conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_NOMEM, "%s",
			    "out of memory");
			return;
		}
		if (c->resp_len == CP_HTTP_MAX) {
			finish_http(c, true);
			return;
		}
		ret = SSL_read_ex(c->ssl, c->resp + c->resp_len, CP_HTTP_MAX - c->resp_len, &got);
		if (ret == 1) {
			int rc;

			c->resp_len += got;
			rc = cp_http_parse(c->resp, c->resp_len, false, &c->at->http);
			if (rc != 0) {
				finish_http(c, false);
				return;
			}
			continue;
		}
		err = SSL_get_error(c->ssl, ret);
		if (wait_for(c, err))
			return;
		if (c->cap.alert >= 0) {
			ERR_clear_error();
			conn_end(c, CERTPICK_PROBE_END_ALERT);
			return;
		}
		if (c->resp_len > 0 &&
		    (c->eof || c->cap.close_notify || err == SSL_ERROR_ZERO_RETURN || c->reset)) {
			ERR_clear_error();
			finish_http(c, true);
			return;
		}
		tls_failed(c, err);
		return;
	}
}

static void
step_write(struct conn *c)
{
	while (c->req_off < c->req_len) {
		size_t n = 0;
		int ret = SSL_write_ex(c->ssl, c->req + c->req_off, c->req_len - c->req_off, &n);

		if (ret == 1) {
			c->req_off += n;
			continue;
		}
		int err = SSL_get_error(c->ssl, ret);

		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			wait_for(c, err);
			return;
		}
		/* an alert or close may already be waiting: read it */
		ERR_clear_error();
		break;
	}
	c->at->request_sent = true;
	c->cap.request_sent = true;
	c->state = ST_READING;
	step_read(c);
}

/* get: more renegotiations / post-handshake requests than a client answers. */
static bool
too_many_asks(struct conn *c, const char *what)
{
	const struct cp_probe_once *o = c->job->eng->once;

	if (c->cap.asks <= o->max_asks)
		return false;
	ERR_clear_error();
	cp_error_set(&c->at->error, CERTPICK_ERR_TLS,
	    "refused to answer the server %s: it asked for "
	    "a certificate again after the handshake more than %u times",
	    what, o->max_asks);
	cp_error_detail(&c->at->error, "%u renegotiations or post-handshake CertificateRequests",
	    c->cap.asks);
	conn_end(c, CERTPICK_PROBE_END_ERROR);
	return true;
}

/* get: the answer ended (complete, EOF, the cap): hand it over. */
static void
req_done(struct conn *c, enum certpick_probe_end end)
{
	struct cp_probe_once *o = c->job->eng->once;

	o->answer = c->resp;
	o->answer_len = c->resp_len;
	o->answer_ended = end == CERTPICK_PROBE_END_HTTP;
	c->resp = NULL;
	conn_end(c, end);
}

/* get: read the answer, feeding only what came since the last read. */
static void
req_read(struct conn *c)
{
	struct cp_probe_once *o = c->job->eng->once;

	for (;;) {
		size_t got = 0, want;
		int ret, err, fr;

		if (c->resp_len + 16384 + 1 > c->resp_cap) {
			size_t ncap = c->resp_cap ? c->resp_cap * 2 : 32768;
			char *t = cp_realloc(c->resp, ncap);

			if (t == NULL) {
				conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_NOMEM, "%s",
				    "out of memory");
				return;
			}
			c->resp = t;
			c->resp_cap = ncap;
		}
		want = c->resp_cap - c->resp_len - 1;
		if (want > o->max_response + 1 - c->resp_len)
			want = o->max_response + 1 - c->resp_len;
		errno = 0;
		ret = SSL_read_ex(c->ssl, c->resp + c->resp_len, want, &got);
		if (too_many_asks(c, "while waiting for the answer"))
			return;
		if (ret == 1) {
			c->resp_len += got;
			if (c->resp_len > o->max_response) {
				o->truncated = true;
				c->resp_len = o->max_response;
				req_done(c, CERTPICK_PROBE_END_HTTP);
				return;
			}
			if ((fr = o->feed(o->feed_arg, c->resp, c->resp_len)) == 0)
				continue;
			if (fr == -2) {
				conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_NETWORK,
				    "the answer's status "
				    "line and headers are longer than %zu bytes",
				    o->head_max);
				return;
			}
			req_done(c,
			    fr == 1 ? CERTPICK_PROBE_END_HTTP : CERTPICK_PROBE_END_NOT_HTTP);
			return;
		}
		err = SSL_get_error(c->ssl, ret);
		if (wait_for(c, err))
			return;
		if (c->cap.alert >= 0 && c->cap.alert_fatal) {
			ERR_clear_error();
			conn_end(c, CERTPICK_PROBE_END_ALERT);
			return;
		}
		if (c->resp_len > 0) {
			/* EOF, or an answer cut short by a failed connection: it still counts */
			ERR_clear_error();
			req_done(c, CERTPICK_PROBE_END_HTTP);
			return;
		}
		if (err == SSL_ERROR_ZERO_RETURN || c->eof || c->cap.close_notify) {
			ERR_clear_error();
			conn_fail(c, CERTPICK_PROBE_END_CLOSED, CERTPICK_ERR_NETWORK, "%s",
			    "the server closed the connection without an answer");
			return;
		}
		tls_failed(c, err);
		return;
	}
}

/* get: write its request (a new phase: the read gets its own deadline after it). */
static void
req_write(struct conn *c)
{
	struct cp_probe_once *o = c->job->eng->once;

	while (c->req_off < o->req_len) {
		size_t n = 0;
		int ret = SSL_write_ex(c->ssl, o->req + c->req_off, o->req_len - c->req_off, &n),
		    err;

		if (too_many_asks(c, "while sending the request"))
			return;
		if (ret == 1) {
			c->req_off += n;
			continue;
		}
		err = SSL_get_error(c->ssl, ret);
		if (wait_for(c, err))
			return;
		/* an alert or close may already be waiting: read it */
		ERR_clear_error();
		break;
	}
	if (c->req_off == o->req_len) {
		o->request_sent = true;
		c->at->request_sent = true;
		c->cap.request_sent = true;
		cp_client_trace(&c->job->tr, "request sent (%zu bytes)", o->req_len);
	}
	evtimer_del(c->timer);
	arm_timer(c);
	c->state = ST_REQ_READ;
	req_read(c);
}

static void
step_handshake(struct conn *c)
{
	int ret = SSL_do_handshake(c->ssl), err;

	if (ret == 1) {
		after_handshake(c);
		if (c->kind == CONN_H2) {
			c->job->res->alpn_h2 =
			    c->at->alpn != NULL && strcmp(c->at->alpn, "h2") == 0;
			conn_end(c, CERTPICK_PROBE_END_NONE);
			return;
		}
		if (c->layer != NULL) {
			/* the layer speaks first over TLS, with empty input (proto.h) */
			evtimer_del(c->timer);
			arm_timer(c);
			c->state = ST_APP;
			layer_run(c);
			return;
		}
		if (c->job->eng->once != NULL && c->job->eng->once->req != NULL) {
			evtimer_del(c->timer);
			arm_timer(c);
			c->state = ST_REQ_WRITE;
			req_write(c);
			return;
		}
		if (build_request(c) != 0) {
			conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_NOMEM, "%s",
			    "out of memory");
			return;
		}
		/* the read phase gets its own timeout */
		evtimer_del(c->timer);
		arm_timer(c);
		c->state = ST_WRITING;
		cp_client_trace(&c->job->tr, "GET %s", c->job->res->path);
		step_write(c);
		return;
	}
	err = SSL_get_error(c->ssl, ret);
	if (wait_for(c, err))
		return;
	tls_failed(c, err);
}

/* Set up TLS on the connected socket and start the handshake. */
static void
start_tls(struct conn *c)
{
	if (conn_tls_setup(c) != 0) {
		conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_NOMEM, "%s",
		    "cannot set up TLS");
		return;
	}
	c->state = ST_HANDSHAKE;
	step_handshake(c);
}

enum io_rc {
	IO_DONE = 0, /* wrote everything / read some bytes */
	IO_WAIT,     /* an event is armed: return to the loop */
	IO_EOF,	     /* the server closed (or reset: c->reset) */
	IO_ENDED,    /* the connection ended (conn_end ran): never touch c again */
};

/* Send c->out (plaintext before TLS, records after). A dead peer drops it: the read says why. */
static enum io_rc
layer_flush(struct conn *c)
{
	while (c->out.len > 0) {
		size_t n = 0;

		if (c->ssl == NULL) {
			ssize_t w = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);

			if (w >= 0) {
				n = (size_t)w;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				event_add(c->ev_write, NULL);
				return IO_WAIT;
			} else {
				n = c->out.len;
			}
		} else if (SSL_write_ex(c->ssl, c->out.p, c->out.len, &n) != 1) {
			int err = SSL_get_error(c->ssl, 0);

			if (wait_for(c, err))
				return IO_WAIT;
			ERR_clear_error();
			n = c->out.len;
		}
		cp_buf_consume(&c->out, n);
	}
	if (c->out.p != NULL) /* a password the layer wrote is not kept once sent */
		OPENSSL_cleanse(c->out.p, c->out.cap);
	return IO_DONE;
}

/* Read what the server sent into c->in, up to CP_PROTO_MAX_PENDING (+1 to see it pass). */
static enum io_rc
layer_read(struct conn *c)
{
	uint8_t tmp[16384];
	size_t room = CP_PROTO_MAX_PENDING + 1 - c->in.len, got = 0;

	if (room > sizeof(tmp))
		room = sizeof(tmp);
	if (c->ssl == NULL) {
		ssize_t n = recv(c->fd, tmp, room, 0);

		if (n > 0) {
			got = (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			event_add(c->ev_read, NULL);
			return IO_WAIT;
		} else {
			c->reset = n < 0 && errno == ECONNRESET;
			return IO_EOF;
		}
	} else if (SSL_read_ex(c->ssl, tmp, room, &got) != 1) {
		int err = SSL_get_error(c->ssl, 0);

		if (wait_for(c, err))
			return IO_WAIT;
		if (c->cap.alert >= 0) {
			ERR_clear_error();
			conn_end(c, CERTPICK_PROBE_END_ALERT);
			return IO_ENDED;
		}
		if (c->eof || c->cap.close_notify || c->reset || err == SSL_ERROR_ZERO_RETURN) {
			ERR_clear_error();
			return IO_EOF;
		}
		tls_failed(c, err);
		return IO_ENDED;
	}
	cp_buf_add(&c->in, tmp, got);
	return IO_DONE;
}

/* The layer said STARTTLS: nothing may be left over (CVE-2011-0411 class). */
static void
layer_starttls(struct conn *c)
{
	if (c->ssl != NULL) {
		conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_PARSE,
		    "the %s layer asked for STARTTLS over TLS", c->layer->name);
		return;
	}
	if (c->in.len > 0) {
		conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_PARSE,
		    "the server sent %zu byte%s after its STARTTLS answer, before TLS "
		    "(refused: command injection)",
		    c->in.len, c->in.len == 1 ? "" : "s");
		return;
	}
	cp_client_trace(&c->job->tr, "STARTTLS");
	evtimer_del(c->timer);
	arm_timer(c);
	start_tls(c);
}

/* The layer's verdict is in: over TLS, close politely and wait briefly for a late alert. */
static void
layer_done(struct conn *c)
{
	struct timeval tv = { CLOSE_WAIT_MS / 1000, (CLOSE_WAIT_MS % 1000) * 1000 };

	cp_client_trace(&c->job->tr, "%s verdict: %s", c->layer->name,
	    certpick_service_outcome_name((enum certpick_service_outcome)c->verdict.outcome));
	if (c->ssl == NULL || c->peer_eof || c->write_failed) {
		conn_end(c, CERTPICK_PROBE_END_SERVICE);
		return;
	}
	if (c->job->eng->timeout_ms < CLOSE_WAIT_MS)
		tv = (struct timeval){ c->job->eng->timeout_ms / 1000,
			(c->job->eng->timeout_ms % 1000) * 1000 };
	evtimer_del(c->timer);
	evtimer_add(c->timer, &tv);
	c->state = ST_CLOSING;
	(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
	step_closing(c);
}

/* ST_CLOSING: read until EOF, close_notify or an alert; data is dropped. */
static void
step_closing(struct conn *c)
{
	for (;;) {
		uint8_t tmp[4096];
		size_t got = 0;
		int err;

		if (SSL_read_ex(c->ssl, tmp, sizeof(tmp), &got) == 1)
			continue;
		err = SSL_get_error(c->ssl, 0);
		if (wait_for(c, err))
			return;
		ERR_clear_error();
		/* a fatal alert after the verdict (TLS 1.3 certificate_required) decides */
		conn_end(c,
		    c->cap.alert >= 0 ? CERTPICK_PROBE_END_ALERT : CERTPICK_PROBE_END_SERVICE);
		return;
	}
}

/*
 * The server closed (or reset) before the layer had a verdict: like an
 * https connection cut off without an answer (asked + cut off = refused).
 */
static void
layer_eof(struct conn *c)
{
	const char *when = c->ssl == NULL ? "before TLS" : "after the handshake";

	if (c->cap.alert >= 0) {
		conn_end(c, CERTPICK_PROBE_END_ALERT);
		return;
	}
	if (c->reset) {
		conn_fail(c, CERTPICK_PROBE_END_RESET, CERTPICK_ERR_NETWORK, "connection reset %s",
		    when);
		return;
	}
	conn_fail(c, CERTPICK_PROBE_END_CLOSED, CERTPICK_ERR_NETWORK,
	    "the server closed the connection %s without a %s verdict%s%s", when, c->layer->name,
	    c->verdict.text != NULL ? ": " : "", c->verdict.text != NULL ? c->verdict.text : "");
}

/*
 * Drive the layer (proto.h's contract): feed it what is pending, send what
 * it asks, read when it waits, until STARTTLS, a verdict, or a failure.
 */
static void
layer_run(struct conn *c)
{
	for (;;) {
		enum io_rc io = layer_flush(c);
		enum cp_proto_act act;
		size_t used = 0;

		if (io == IO_WAIT)
			return;
		/* never NULL, even before the first byte: layers do arithmetic on it */
		act = c->layer->step(c->lst, c->ssl != NULL, c->peer_eof,
		    c->in.p != NULL ? (const uint8_t *)c->in.p : (const uint8_t *)"", c->in.len,
		    &used, &c->out, &c->verdict);
		cp_buf_consume(&c->in, used <= c->in.len ? used : c->in.len);
		if (c->out.nomem || c->in.nomem) {
			conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_NOMEM, "%s",
			    "out of memory");
			return;
		}
		if (c->peer_eof &&
		    (act != CP_PROTO_DONE || c->verdict.outcome == CP_PROTO_UNKNOWN)) {
			layer_eof(c);
			return;
		}
		switch (act) {
		case CP_PROTO_WRITE:
			/* a new exchange: a new deadline */
			evtimer_del(c->timer);
			arm_timer(c);
			continue;
		case CP_PROTO_STARTTLS: layer_starttls(c); return;
		case CP_PROTO_DONE: layer_done(c); return;
		case CP_PROTO_FAIL:
			if (c->cap.alert >= 0) {
				conn_end(c, CERTPICK_PROBE_END_ALERT);
				return;
			}
			conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_PARSE, "%s: %s",
			    c->layer->name,
			    c->verdict.text != NULL ? c->verdict.text :
						      "the server broke the protocol");
			return;
		case CP_PROTO_READ:
		default: break;
		}
		if (c->in.len > CP_PROTO_MAX_PENDING) {
			conn_fail(c, CERTPICK_PROBE_END_ERROR, CERTPICK_ERR_PARSE,
			    "%s: reply too long (over %zu bytes without an answer)", c->layer->name,
			    CP_PROTO_MAX_PENDING);
			return;
		}
		io = layer_read(c);
		if (io == IO_WAIT || io == IO_ENDED)
			return;
		if (io == IO_EOF)
			c->peer_eof = true;
	}
}

static void
step_connect(struct conn *c)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		soerr = errno;
	if (soerr != 0) {
		struct job *j = c->job;

		cp_error_set_errno(&j->last_connect_error, CERTPICK_ERR_NETWORK, soerr,
		    "cannot connect to '%s'", j->res->address ? j->res->address : "?");
		cp_client_trace(&j->tr, "connect failed: %s", strerror(soerr));
		/* try the next address with the same attempt */
		j->retry_address = true;
		j->conn = NULL;
		evtimer_del(c->timer);
		conn_free(c);
		job_next(j);
		return;
	}
	cp_client_trace(&c->job->tr, "connected to %s", c->job->res->address);
	evtimer_del(c->timer);
	arm_timer(c);
	if (c->layer != NULL && !c->layer->implicit_tls) {
		c->state = ST_PLAIN;
		layer_run(c);
		return;
	}
	start_tls(c);
}

static void
conn_step(struct conn *c)
{
	switch (c->state) {
	case ST_CONNECTING: step_connect(c); break;
	case ST_HANDSHAKE: step_handshake(c); break;
	case ST_WRITING: step_write(c); break;
	case ST_READING: step_read(c); break;
	case ST_PLAIN:
	case ST_APP: layer_run(c); break;
	case ST_CLOSING: step_closing(c); break;
	case ST_REQ_WRITE: req_write(c); break;
	case ST_REQ_READ: req_read(c); break;
	default: break;
	}
}

/* The layer's state for a new connection (proto.h: zeroed, then init()). */
static int
layer_init(struct conn *c)
{
	struct job *j = c->job;
	unsigned char raw[18];

	c->layer = j->layer;
	if ((c->lst = cp_calloc(1, c->layer->state_size > 0 ? c->layer->state_size : 1)) == NULL)
		return -1;
	c->params = j->params; /* a layer may keep the pointer: it lives as long as c */
	c->params.have_cert = c->kind == CONN_WITH_CERT;
	if (RAND_bytes(raw, sizeof(raw)) == 1) { /* SCRAM's client nonce, 24 characters */
		EVP_EncodeBlock((unsigned char *)c->nonce, raw, sizeof(raw));
		c->params.nonce = c->nonce;
	}
	c->layer->init(c->lst, &c->params);
	return 0;
}

/* Start a connection of kind j->next_kind to the next address; false when none is left. */
static bool
conn_start(struct job *j, struct certpick_probe_attempt *at)
{
	struct conn *c;
	struct evutil_addrinfo *ai = j->ai_next;
	char addr[80];

	if (ai == NULL)
		return false;
	j->ai_next = ai->ai_next;
	if ((c = cp_calloc(1, sizeof(*c))) == NULL)
		return false;
	c->job = j;
	c->kind = j->next_kind;
	c->at = at;
	c->fd = -1;
	c->state = ST_CONNECTING;
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	at->ran = true;
	at->alert = -1;
	c->cap = (struct cp_capture){ .res = c->kind == CONN_WITHOUT_CERT || j->eng->once != NULL ?
		    j->res :
		    NULL,
		.trace = &j->tr,
		.alert = -1 };
	c->verdict.code = -1;
	if (j->layer != NULL && c->kind != CONN_H2 && layer_init(c) != 0) {
		cp_error_set(&j->last_connect_error, CERTPICK_ERR_NOMEM, "out of memory");
		conn_free(c);
		return false;
	}
	cp_client_format_address(ai->ai_addr, addr, sizeof(addr));
	free(j->res->address);
	j->res->address = cp_strdup(addr);
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	c->ev_read = event_new(j->eng->base, c->fd, EV_READ, on_io, c);
	c->ev_write = event_new(j->eng->base, c->fd, EV_WRITE, on_io, c);
	c->timer = evtimer_new(j->eng->base, on_timeout, c);
	if (c->fd < 0 || c->ev_read == NULL || c->ev_write == NULL || c->timer == NULL) {
		cp_error_set_errno(&j->last_connect_error, CERTPICK_ERR_NETWORK, errno,
		    "cannot create a socket for '%s'", addr);
		conn_free(c);
		return conn_start(j, at);
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	j->conn = c;
	cp_client_trace(&j->tr, "connecting to %s", addr);
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		int e = errno;

		cp_error_set_errno(&j->last_connect_error, CERTPICK_ERR_NETWORK, e,
		    "cannot connect to '%s'", addr);
		j->conn = NULL;
		conn_free(c);
		return conn_start(j, at);
	}
	arm_timer(c);
	event_add(c->ev_write, NULL);
	return true;
}

static void
job_free(struct job *j)
{
	if (j->dns_timer != NULL)
		event_free(j->dns_timer);
	if (j->ai != NULL)
		evutil_freeaddrinfo(j->ai);
	cp_http_release(&j->h2_attempt.http);
	free(j->h2_attempt.cipher);
	free(j->h2_attempt.alpn);
	free(j->dial_host);
	free(j->dial_port);
	free(j->user);
	free(j);
}

static void
job_done(struct job *j)
{
	struct engine *e = j->eng;
	struct certpick_probe_result *res = j->res;
	size_t index = j->index;

	res->ms = ms_since(&j->start);
	if (cp_probe_decide(res) != 0 && res->error.code == CERTPICK_OK)
		cp_error_nomem(&res->error);
	e->active--;
	job_free(j);
	e->done(e->done_arg, index, res);
	if (!e->filling)
		engine_fill(e);
}

static struct certpick_probe_attempt *
attempt_for(struct job *j, enum conn_kind k)
{
	switch (k) {
	case CONN_WITHOUT_CERT: return &j->res->without_cert;
	case CONN_WITH_CERT: return &j->res->with_cert;
	case CONN_H2:
	default:
		/* the h2 check keeps no attempt of its own: a throwaway one */
		return &j->h2_attempt;
	}
}

static bool
need_h2(struct job *j)
{
	const struct certpick_probe_result *r = j->res;

	if ((j->eng->opts->flags & CERTPICK_PROBE_NO_H2_CHECK) || r->alpn_h2 >= 0 ||
	    j->layer != NULL)
		return false;
	for (size_t i = 0; i < r->n_requests; i++)
		if (r->requests[i].phase != CERTPICK_PHASE_INITIAL)
			return true;
	return false;
}

/* The job's first connection: without a certificate, except get's with one. */
static enum conn_kind
first_kind(const struct job *j)
{
	return j->eng->once != NULL && j->eng->idp != NULL ? CONN_WITH_CERT : CONN_WITHOUT_CERT;
}

/* A connection ended (or did not connect): start the next one or finish. */
static void
job_next(struct job *j)
{
	struct certpick_probe_attempt *at = attempt_for(j, j->next_kind);

	if (j->retry_address) {
		j->retry_address = false;
		if (conn_start(j, at))
			return;
		at->end = CERTPICK_PROBE_END_ERROR;
		at->error = j->last_connect_error;
		if (j->next_kind == first_kind(j)) {
			j->connect_failed = true;
			job_done(j);
			return;
		}
	}
	if (j->eng->once != NULL) {
		/* get: one connection */
		job_done(j);
		return;
	}
	cp_http_release(&j->h2_attempt.http);
	free(j->h2_attempt.cipher);
	free(j->h2_attempt.alpn);
	memset(&j->h2_attempt, 0, sizeof(j->h2_attempt));
	if (j->next_kind == CONN_WITHOUT_CERT && j->eng->idp != NULL)
		j->next_kind = CONN_WITH_CERT;
	else if (j->next_kind != CONN_H2 && need_h2(j))
		j->next_kind = CONN_H2;
	else {
		job_done(j);
		return;
	}
	j->ai_next = j->ai;
	if (!conn_start(j, attempt_for(j, j->next_kind))) {
		attempt_for(j, j->next_kind)->end = CERTPICK_PROBE_END_ERROR;
		attempt_for(j, j->next_kind)->error = j->last_connect_error;
		j->next_kind = CONN_H2; /* nothing after a connection that cannot start */
		job_done(j);
	}
}

static void
dns_continue(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	struct certpick_probe_attempt *at = attempt_for(j, first_kind(j));

	(void)fd;
	(void)what;
	if (j->ai == NULL) {
		if (j->last_connect_error.code == CERTPICK_OK)
			cp_error_set(&j->last_connect_error, CERTPICK_ERR_NETWORK,
			    "cannot resolve '%s': no %saddress", j->dial_host,
			    (j->eng->opts->flags & CERTPICK_PROBE_IPV4)	    ? "IPv4 " :
				(j->eng->opts->flags & CERTPICK_PROBE_IPV6) ? "IPv6 " :
									      "");
		at->end = CERTPICK_PROBE_END_ERROR;
		at->alert = -1;
		at->error = j->last_connect_error;
		j->connect_failed = true;
		job_done(j);
		return;
	}
	j->ai_next = j->ai;
	j->next_kind = first_kind(j);
	if (!conn_start(j, at)) {
		at->end = CERTPICK_PROBE_END_ERROR;
		at->error = j->last_connect_error;
		j->connect_failed = true;
		job_done(j);
	}
}

/* Continue outside the resolver's callback, which may run inside evdns_getaddrinfo(). */
static void
defer(struct job *j)
{
	struct timeval zero = { 0, 0 };

	if (event_base_once(j->eng->base, -1, EV_TIMEOUT, dns_continue, j, &zero) != 0)
		dns_continue(-1, 0, j);
}

static void
dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct job *j = arg;

	j->dns_req = NULL;
	if (j->dns_timer != NULL)
		evtimer_del(j->dns_timer);
	if (result != 0) {
		cp_error_set(&j->last_connect_error, CERTPICK_ERR_NETWORK,
		    "cannot resolve '%s': %s", j->dial_host,
		    result == EVUTIL_EAI_CANCEL ? "timed out" : evutil_gai_strerror(result));
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
	} else {
		j->ai = ai;
	}
	defer(j);
}

static void
dns_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	if (j->dns_req != NULL)
		evdns_getaddrinfo_cancel(j->dns_req);
}

static int
job_setup(struct job *j, const char *target, struct certpick_error *err)
{
	const struct certpick_probe_options *o = j->eng->opts;
	struct certpick_probe_result *r = j->res;
	struct cp_target t;
	char *path = NULL;
	bool url_path;

	if ((r->target = cp_strdup(target)) == NULL)
		return cp_error_nomem(err);
	if (cp_target_parse(target, &t, err) != 0)
		return -1;
	r->host = t.host;
	r->port = t.port;
	path = t.path;
	url_path = path != NULL && path[1] != '\0';
	j->user = t.user;
	j->layer = t.layer;
	if ((r->scheme = cp_strdup(t.layer != NULL ? t.layer->scheme : "https")) == NULL ||
	    (t.layer != NULL && (r->protocol = cp_strdup(t.layer->name)) == NULL)) {
		free(path);
		return cp_error_nomem(err);
	}
	r->path = o->path != NULL ? cp_strdup(o->path) : path != NULL ? path : cp_strdup("/");
	if (o->path != NULL || path == NULL)
		free(path);
	/* no SNI for an address (RFC 6066 3), unless asked for */
	if (o->servername != NULL || !cp_client_is_ip(r->host)) {
		if ((r->servername = cp_strdup(o->servername != NULL ? o->servername : r->host)) ==
		    NULL)
			return cp_error_nomem(err);
	}
	if (r->path == NULL)
		return cp_error_nomem(err);
	if (r->path[0] != '/' || strpbrk(r->path, " \r\n") != NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE,
		    "bad path '%s': it must start with '/' and have no spaces", r->path);
	if (j->layer != NULL && !url_path && o->path == NULL) {
		/* nothing to ask for: no path */
		free(r->path);
		r->path = NULL;
	}
	j->params = (struct cp_proto_params){ .host = r->host,
		.servername = r->servername != NULL ? r->servername : r->host,
		.user = j->user,
		/* the layer's path is the URL's without its '/': an LDAP base DN */
		.path = r->path != NULL && j->layer != NULL ? r->path + 1 : NULL,
		.mail_from = o->mail_from,
		.rcpt_to = o->rcpt_to,
		.password = o->service_password };
	if (o->connect_to != NULL)
		return cp_client_connect_to(o->connect_to, r->port, &j->dial_host, &j->dial_port,
		    err);
	j->dial_host = cp_strdup(r->host);
	j->dial_port = cp_strdup(r->port);
	return j->dial_host && j->dial_port ? 0 : cp_error_nomem(err);
}

static void
job_start(struct engine *e, size_t index)
{
	struct job *j = cp_calloc(1, sizeof(*j));
	struct certpick_probe_result *res = cp_calloc(1, sizeof(*res));
	struct evutil_addrinfo hints;
	struct timeval tv = { e->timeout_ms / 1000, (e->timeout_ms % 1000) * 1000 };

	if (j == NULL || res == NULL) {
		/* report the target as failed rather than lose it */
		free(j);
		if (res != NULL) {
			cp_error_nomem(&res->error);
			e->done(e->done_arg, index, res);
		}
		return;
	}
	e->active++;
	j->eng = e;
	j->index = index;
	j->res = res;
	j->tr = (struct cp_trace){ .fn = e->opts->trace,
		.arg = e->opts->trace_arg,
		.prefix = e->targets[index] };
	res->alpn_h2 = -1;
	res->without_cert.alert = -1;
	res->with_cert.alert = -1;
	res->without_cert.service.code = -1;
	res->with_cert.service.code = -1;
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	if (job_setup(j, e->targets[index], &res->error) != 0) {
		res->without_cert.error = res->error;
		job_done(j);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = (e->opts->flags & CERTPICK_PROBE_IPV4) ? AF_INET :
	    (e->opts->flags & CERTPICK_PROBE_IPV6)		 ? AF_INET6 :
								   AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
	/* an address needs no resolver */
	if (evutil_getaddrinfo(j->dial_host, j->dial_port, &hints, &j->ai) == 0) {
		defer(j);
		return;
	}
	j->ai = NULL;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_ADDRCONFIG;
	if (e->dns == NULL) {
		cp_error_set(&j->last_connect_error, CERTPICK_ERR_NETWORK,
		    "cannot resolve '%s': no resolver", j->dial_host);
		defer(j);
		return;
	}
	if ((j->dns_timer = evtimer_new(e->base, dns_timeout, j)) != NULL)
		evtimer_add(j->dns_timer, &tv);
	cp_client_trace(&j->tr, "resolving %s", j->dial_host);
	j->dns_req = evdns_getaddrinfo(e->dns, j->dial_host, j->dial_port, &hints, dns_cb, j);
}

static void
engine_fill(struct engine *e)
{
	e->filling = true;
	while (e->active < e->concurrency && e->next < e->n)
		job_start(e, e->next++);
	e->filling = false;
	if (e->active == 0 && e->next == e->n)
		event_base_loopbreak(e->base);
}

/* "h2,http/1.1" into ALPN wire format. */
static int
alpn_parse(struct engine *e, const char *list, struct certpick_error *err)
{
	const char *p = list;

	e->alpn_len = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == 0 || n > 255 || e->alpn_len + 1 + n > sizeof(e->alpn))
			return cp_error_set(err, CERTPICK_ERR_USAGE,
			    "bad ALPN list '%s' (names of 1 to 255 "
			    "bytes, separated by commas)",
			    list);
		e->alpn[e->alpn_len++] = (unsigned char)n;
		memcpy(e->alpn + e->alpn_len, p, n);
		e->alpn_len += n;
		p += n;
		if (*p == ',' && *++p == '\0')
			return cp_error_set(err, CERTPICK_ERR_USAGE, "bad ALPN list '%s'", list);
	}
	return 0;
}

static int
engine_run(const char *const *targets, size_t n, unsigned concurrency,
    const struct certpick_probe_options *opts, struct cp_probe_once *once,
    certpick_probe_done_fn done, void *done_arg, struct certpick_error *err)
{
	struct engine e = { 0 };
	int ret = -1;

	e.once = once;
	e.opts = opts;
	e.targets = targets;
	e.n = n;
	e.concurrency = concurrency ? concurrency : 16;
	e.done = done;
	e.done_arg = done_arg;
	e.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	if ((opts->flags & CERTPICK_PROBE_TLS12_ONLY) &&
	    (opts->flags & CERTPICK_PROBE_TLS13_ONLY)) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "choose TLS 1.2 or TLS 1.3, not both");
		goto out;
	}
	if (opts->key_file != NULL && opts->cert_file == NULL) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "a key needs a certificate");
		goto out;
	}
	if (opts->alpn != NULL && alpn_parse(&e, opts->alpn, err) != 0)
		goto out;
	if (once != NULL && once->ctx != NULL) {
		if (SSL_CTX_up_ref(once->ctx) != 1)
			goto out;
		e.ctx = once->ctx;
	} else if ((e.ctx = cp_client_ctx_new(opts->flags,
			opts->max_cert_list ? opts->max_cert_list : DEFAULT_MAX_CERT_LIST, true,
			err)) == NULL) {
		goto out;
	}
	/* PEM/DER/PKCS#12/PKCS#11 through the candidate loaders, with their PBKDF guard */
	if (once != NULL) {
		e.idp = once->id;
	} else if (opts->cert_file != NULL) {
		if (cp_identity_load(&e.id, opts->cert_file, opts->key_file, opts->key_password,
			err) != 0)
			goto out;
		e.idp = &e.id;
	}
	if ((e.bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
		 "certpick socket")) == NULL ||
	    BIO_meth_set_write_ex(e.bio_method, bio_write_ex) != 1 ||
	    BIO_meth_set_read_ex(e.bio_method, bio_read_ex) != 1 ||
	    BIO_meth_set_ctrl(e.bio_method, bio_ctrl) != 1 ||
	    BIO_meth_set_create(e.bio_method, bio_create) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot create a BIO method");
		goto out;
	}
	if ((e.base = event_base_new()) == NULL) {
		cp_error_set(err, CERTPICK_ERR_INTERNAL, "cannot create an event loop");
		goto out;
	}
	e.dns = evdns_base_new(e.base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (e.dns == NULL &&
	    (e.dns = evdns_base_new(e.base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)) != NULL)
		(void)evdns_base_load_hosts(e.dns, NULL);
	if (n > 0) {
		engine_fill(&e);
		if (e.active > 0)
			event_base_dispatch(e.base);
	}
	ret = 0;
out:
	if (e.dns != NULL)
		evdns_base_free(e.dns, 0);
	if (e.base != NULL)
		event_base_free(e.base);
	BIO_meth_free(e.bio_method);
	SSL_CTX_free(e.ctx);
	cp_identity_release(&e.id);
	ERR_clear_error();
	return ret;
}

/* see certpick/probe.h */
int
certpick_probe_run_many(const char *const *targets, size_t n, unsigned concurrency,
    const struct certpick_probe_options *opts, certpick_probe_done_fn done, void *done_arg,
    struct certpick_error *err)
{
	return engine_run(targets, n, concurrency, opts, NULL, done, done_arg, err);
}

static void
keep_one(void *arg, size_t index, struct certpick_probe_result *res)
{
	(void)index;
	*(struct certpick_probe_result **)arg = res;
}

/* see certpick/probe.h */
int
certpick_probe_run(const char *target, const struct certpick_probe_options *opts,
    struct certpick_probe_result **out, struct certpick_error *err)
{
	struct certpick_probe_result *res = NULL;
	const char *targets[1] = { target };
	char *h = NULL, *p = NULL, *path = NULL;

	*out = NULL;
	/* a bad target is a usage error here, not a failed probe */
	if (certpick_probe_target_parse(target, &h, &p, &path, err) != 0)
		return -1;
	free(h);
	free(p);
	free(path);
	if (certpick_probe_run_many(targets, 1, 1, opts, keep_one, &res, err) != 0)
		return -1;
	if (res == NULL)
		return cp_error_set(err, CERTPICK_ERR_INTERNAL,
		    "the probe of '%s' produced no result", target);
	*out = res;
	return 0;
}

/* see client.h */
int
cp_probe_run_once(const char *target, const struct certpick_probe_options *opts,
    struct cp_probe_once *once, struct certpick_probe_result **out, struct certpick_error *err)
{
	struct certpick_probe_result *res = NULL;
	const char *targets[1] = { target };
	struct cp_target t;

	*out = NULL;
	if (cp_target_parse(target, &t, err) != 0)
		return -1;
	cp_target_release(&t);
	if (engine_run(targets, 1, 1, opts, once, keep_one, &res, err) != 0)
		return -1;
	if (res == NULL)
		return cp_error_set(err, CERTPICK_ERR_INTERNAL,
		    "the connection to '%s' produced no result", target);
	*out = res;
	return 0;
}
