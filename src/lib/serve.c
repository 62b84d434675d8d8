/*
 * serve: the event loop side. Listeners, connections, non-blocking OpenSSL
 * on raw libevent events (one event per connection, re-armed for what the
 * SSL object wants, with the current phase's deadline as its timeout), the
 * per-path certificate request (TLS 1.2 renegotiation, TLS 1.3 PHA), and the
 * answer. Memory per connection is bounded: the request caps live in
 * serve_http.c, read bytes go through one buffer shared by the loop, and
 * SSL_MODE_RELEASE_BUFFERS drops idle record buffers.
 * The caller must ignore SIGPIPE (the CLI does): OpenSSL writes with write(2).
 */
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "certpick/pki.h"
#include "certpick/trust.h"
#include "serve_internal.h"

#define DEFAULT_LISTEN "127.0.0.1:8443"
#define STOP_GRACE_MS 5000
#define READ_CHUNK 16384

enum conn_state {
	CS_HANDSHAKE = 0,
	CS_REQUEST, /* waiting for or reading a request */
	CS_AUTH,    /* per-path renegotiation or PHA in flight */
	CS_WRITE,   /* sending the answer */
	CS_DEAD,    /* could not answer: conn_drive closes it */
};

struct conn {
	struct certpick_serve *srv;
	struct conn *prev, *next;
	int fd;
	SSL *ssl;
	struct event *ev;
	struct timespec deadline;
	enum conn_state state;
	struct cp_http_req req;
	char *pending; /* bytes read past the current request */
	size_t pending_len;
	char *out;
	size_t out_len, out_off;
	bool keep_alive;
	bool first_request_done;
	bool auth_sent;	    /* PHA: the CertificateRequest went out */
	bool pha_finished;  /* PHA: the client's Finished arrived */
	char *auth_path;    /* the request waiting for the certificate */
	short armed;	    /* EV_READ or EV_WRITE the event waits for; 0 none */
	bool wait_readable; /* wait for bytes before the next SSL_read */
	enum certpick_serve_asked asked;
	struct cp_verify_log vlog;
	size_t chain_sent; /* certificates the client sent, before trim_peer_chain */
	char peer[64];
};

struct listener {
	struct evconnlistener *lev;
	char addr[80];
};

struct certpick_serve {
	struct event_base *base;
	bool own_base;
	SSL_CTX *ctx;
	bool have_crl;
	bool crl_check_all;
	enum certpick_serve_auth auth;
	char **require;
	size_t n_require;
	bool fail_handshake;
	unsigned max_conns;
	unsigned hs_ms, hdr_ms, idle_ms;
	size_t max_header, max_body;
	certpick_serve_log_fn log;
	void *log_arg;
	certpick_serve_trace_fn trace;
	void *trace_arg;

	struct certpick_dn *ca_names;
	size_t n_ca_names;
	size_t certreq_size;
	struct certpick_findings findings;
	char fingerprint[65];
	bool generated;

	struct listener *listeners;
	size_t n_listeners;
	bool paused;
	struct event *resume_ev;
	struct event *stop_ev;
	bool stopping;

	struct conn *conns;
	size_t n_conns;
	char rbuf[READ_CHUNK];
};

static void conn_drive(struct conn *c);
static void conn_close(struct conn *c);

static void CERTPICK_PRINTF(2, 3) trace(struct certpick_serve *srv, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	if (srv->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	srv->trace(srv->trace_arg, line);
}

static void
now_plus(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void
conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		trace(c->srv, "%s: timeout in %s", c->peer,
		    c->state == CS_HANDSHAKE   ? "handshake" :
			c->state == CS_REQUEST ? (c->req.started ? "request" : "idle wait") :
			c->state == CS_AUTH    ? "certificate request" :
						 "write");
		conn_close(c);
		return;
	}
	conn_drive(c);
}

/*
 * Wait for `what` until the phase's deadline. The event is persistent: while
 * the wanted direction stays the same, only its timeout is updated (no
 * epoll_ctl); the remaining time is recomputed each time, so a client that
 * trickles bytes cannot extend the deadline.
 */
static void
conn_arm(struct conn *c, short what)
{
	struct timespec now;
	struct timeval tv;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
	    (c->deadline.tv_nsec - now.tv_nsec) / 1000000L;
	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	if (c->armed != what) {
		event_del(c->ev);
		event_assign(c->ev, c->srv->base, c->fd, what | EV_PERSIST, conn_event, c);
		c->armed = what;
	}
	event_add(c->ev, &tv);
}

static void
listeners_set(struct certpick_serve *srv, bool on)
{
	for (size_t i = 0; i < srv->n_listeners; i++) {
		if (srv->listeners[i].lev == NULL)
			continue;
		if (on)
			evconnlistener_enable(srv->listeners[i].lev);
		else
			evconnlistener_disable(srv->listeners[i].lev);
	}
	srv->paused = !on;
}

static void
conn_close(struct conn *c)
{
	struct certpick_serve *srv = c->srv;

	if (c->ssl != NULL) {
		/* one non-blocking close_notify; no wait for the peer's */
		if (c->state != CS_HANDSHAKE && SSL_is_init_finished(c->ssl))
			(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	ERR_clear_error();
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	cp_http_req_release(&c->req);
	cp_verify_log_clear(&c->vlog);
	free(c->pending);
	free(c->out);
	free(c->auth_path);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
	srv->n_conns--;
	if (srv->stopping) {
		if (srv->n_conns == 0)
			event_base_loopexit(srv->base, NULL);
	} else if (srv->paused && srv->n_conns < srv->max_conns) {
		listeners_set(srv, true);
	}
}

/*
 * With --crl every certificate of the path is checked (CRL_CHECK_ALL), as
 * check --crl does; a CA whose issuer has no CRL among those given is let
 * through unless --crl-all asked for every one. The leaf always needs one.
 */
static bool
crl_missing_allowed(const struct certpick_serve *srv, int code, int depth)
{
	return !srv->crl_check_all && depth > 0 && cp_crl_unavailable(code);
}

/*
 * The issuer of x was not found, and x is itself in the trust store but not
 * a root: the store holds an intermediate without its root, and (no partial
 * chain, as IIS, nginx and Apache) the chain cannot end there.
 */
static bool
is_trusted_intermediate(X509_STORE_CTX *xs, int code, X509 *x)
{
	STACK_OF(X509_OBJECT) *objs;

	if (x == NULL ||
	    (code != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT &&
		code != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) ||
	    (X509_get_extension_flags(x) & EXFLAG_SS) != 0)
		return false;
	objs = X509_STORE_get0_objects(X509_STORE_CTX_get0_store(xs));
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *t = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (t != NULL && X509_cmp(t, x) == 0)
			return true;
	}
	return false;
}

/* The verify callback accepts everything and records why it would not have. */
static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct conn *c = ssl ? SSL_get_app_data(ssl) : NULL;

	if (c == NULL)
		return ok;
	c->vlog.ran = true;
	if (!ok &&
	    crl_missing_allowed(c->srv, X509_STORE_CTX_get_error(xs),
		X509_STORE_CTX_get_error_depth(xs)))
		return 1;
	if (!ok) {
		X509 *x = X509_STORE_CTX_get_current_cert(xs);
		int code = X509_STORE_CTX_get_error(xs);
		struct cp_verify_error *e =
		    cp_verify_log_add(&c->vlog, code, X509_STORE_CTX_get_error_depth(xs), x);

		if (e != NULL && is_trusted_intermediate(xs, code, x))
			e->anchor_not_root = true;
	}
	return c->srv->fail_handshake ? ok : 1;
}

/*
 * A client may send up to OpenSSL's 100 KiB of certificates, and OpenSSL
 * keeps them all, parsed, for the life of the connection: the stack verified
 * here becomes the session's peer chain (33 certificates with long names:
 * ~600 KiB). Keep only what a report can show (CP_SERVE_CHAIN_SHOWN) and
 * remember how many came, for chain_omitted. The verification has run: the
 * chain it built (SSL_get0_verified_chain) is at most CP_SERVE_VERIFY_DEPTH
 * deep and holds its own references.
 */
static void
trim_peer_chain(struct conn *c, X509_STORE_CTX *xs)
{
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(xs);

	c->chain_sent = sent != NULL ? (size_t)sk_X509_num(sent) : 0;
	while (sent != NULL && sk_X509_num(sent) > CP_SERVE_CHAIN_SHOWN)
		X509_free(sk_X509_pop(sent));
}

/*
 * Run the verification ourselves so that nothing it does can fail the
 * handshake: X509_verify_cert() can stop with an internal error (-1) when the
 * callback lets an untrusted chain go on to CRL checks with no issuer key.
 * No deeper than CP_SERVE_VERIFY_DEPTH (a longer chain is "too long"), so
 * that the chain OpenSSL builds and keeps stays small too.
 */
static int
app_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	int rc;

	X509_STORE_CTX_set_depth(xs, CP_SERVE_VERIFY_DEPTH);
	rc = X509_verify_cert(xs);
	(void)arg;
	if (rc <= 0 && c != NULL && c->vlog.n == 0) {
		int e = X509_STORE_CTX_get_error(xs);

		cp_verify_log_add(&c->vlog, e == X509_V_OK ? X509_V_ERR_UNSPECIFIED : e,
		    X509_STORE_CTX_get_error_depth(xs), X509_STORE_CTX_get0_cert(xs));
	}
	ERR_clear_error();
	if (c != NULL)
		trim_peer_chain(c, xs);
	if (c == NULL || c->srv->fail_handshake)
		return rc > 0;
	return 1;
}

/* PHA: the client's Finished ends its answer to our CertificateRequest. */
static void
msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct conn *c = SSL_get_app_data(ssl);

	(void)version;
	(void)arg;
	if (c != NULL && !write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
	    ((const unsigned char *)buf)[0] == SSL3_MT_FINISHED)
		c->pha_finished = true;
}

static bool
path_protected(const struct certpick_serve *srv, const char *path)
{
	if (srv->auth == CERTPICK_SERVE_AUTH_REQUIRE)
		return true;
	for (size_t i = 0; i < srv->n_require; i++)
		if (cp_http_path_covered(srv->require[i], path))
			return true;
	return false;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Queue the answer; the connection goes to CS_WRITE. */
static int
conn_answer(struct conn *c, int status, const char *ctype, const char *body,
    const struct certpick_serve_report *r, bool head)
{
	size_t blen = body ? strlen(body) : 0;
	char extra[256] = "";
	char *hdr;

	if (r != NULL && r->substatus != NULL && status == 403)
		snprintf(extra, sizeof(extra), "X-Certpick-Substatus: %s\r\n", r->substatus);
	if (r != NULL && r->has_reason) {
		size_t l = strlen(extra);

		snprintf(extra + l, sizeof(extra) - l, "X-Certpick-Reason: %s\r\n",
		    certpick_reason_id(r->reason));
	}
	hdr = cp_asprintf(
	    "HTTP/1.1 %d %s\r\nServer: certpick\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%sConnection: %s\r\n\r\n",
	    status, status_text(status), ctype, blen, extra,
	    c->keep_alive ? "keep-alive" : "close");
	if (hdr == NULL)
		return -1;
	free(c->out);
	c->out_len = strlen(hdr) + (head ? 0 : blen);
	if ((c->out = cp_malloc(c->out_len + 1)) == NULL) {
		free(hdr);
		return -1;
	}
	memcpy(c->out, hdr, strlen(hdr));
	if (!head && blen > 0)
		memcpy(c->out + strlen(hdr), body, blen);
	free(hdr);
	c->out_off = 0;
	c->state = CS_WRITE;
	return 0;
}

static void
report_base(struct conn *c, struct certpick_serve_report *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->peer, sizeof(r->peer), "%s", c->peer);
	r->time = time(NULL);
	r->tls_version = SSL_get_version(c->ssl);
	r->asked = c->asked;
	r->ca_names = c->srv->ca_names;
	r->n_ca_names = c->srv->n_ca_names;
}

static void
log_report(struct certpick_serve *srv, const struct certpick_serve_report *r)
{
	if (srv->log != NULL)
		srv->log(srv->log_arg, r);
}

/* A request the parser refused: short text answer, then close. */
static void
conn_answer_error(struct conn *c, int status)
{
	struct certpick_serve_report r;
	char body[128];

	report_base(c, &r);
	snprintf(r.method, sizeof(r.method), "%s", c->req.method);
	r.status = status;
	snprintf(body, sizeof(body), "%d %s\n", status, status_text(status));
	c->keep_alive = false;
	if (conn_answer(c, status, "text/plain; charset=utf-8", body, NULL, false) != 0) {
		c->state = CS_DEAD;
		return;
	}
	log_report(c->srv, &r);
}

/* Build the report for the current request and queue the answer. */
static void
conn_answer_report(struct conn *c, char *path, bool protected_path, enum certpick_reason override)
{
	struct certpick_serve *srv = c->srv;
	struct certpick_serve_report r;
	X509 *leaf = NULL;
	STACK_OF(X509) *sent = NULL;
	char *body = NULL;
	bool head = strcmp(c->req.method, "HEAD") == 0;
	int status;

	report_base(c, &r);
	snprintf(r.method, sizeof(r.method), "%s", c->req.method);
	r.path = path;
	r.protected_path = protected_path;
	r.json = cp_http_wants_json(c->req.accept);
	if (c->asked != CERTPICK_SERVE_ASKED_NEVER) {
		leaf = SSL_get0_peer_certificate(c->ssl);
		sent = SSL_get_peer_cert_chain(c->ssl);
	}
	if (override != CERTPICK_REASON__COUNT) {
		r.rules[CERTPICK_SERVE_RULE_PRESENTED] = CERTPICK_SERVE_RULE_FAIL;
		r.has_reason = true;
		r.reason = override;
		r.substatus = "403.7";
		r.advice = cp_asprintf("No client certificate could be asked for: %s. %s.",
		    certpick_reason_text(override), certpick_reason_hint(override));
		if (r.advice == NULL || cp_findings_add(&r.findings, override, NULL) != 0)
			goto fail;
	} else if (cp_serve_report_fill(&r, leaf, sent, &c->vlog, srv->have_crl) != 0) {
		goto fail;
	}
	if (leaf != NULL && c->chain_sent > r.n_chain)
		r.n_chain_omitted = c->chain_sent - r.n_chain;
	status = protected_path && r.substatus != NULL ? 403 : 200;
	r.status = status;
	body = r.json ? certpick_serve_report_json(&r) : certpick_serve_report_html(&r);
	if (body == NULL)
		goto fail;
	if (r.json) {
		/* a JSON body ends with a newline, like every certpick --json */
		char *nl = cp_asprintf("%s\n", body);

		free(body);
		if ((body = nl) == NULL)
			goto fail;
	}
	if (conn_answer(c, status, r.json ? "application/json" : "text/html; charset=utf-8", body,
		&r, head) != 0)
		goto fail;
	log_report(srv, &r);
	free(body);
	certpick_serve_report_release(&r);
	return;
fail:
	free(body);
	certpick_serve_report_release(&r);
	c->keep_alive = false;
	conn_answer_error(c, 500);
}

/* Ask for the certificate now: TLS 1.2 renegotiation or TLS 1.3 PHA. */
static void
conn_start_auth(struct conn *c, char *path)
{
	int mode = SSL_VERIFY_PEER | (c->srv->fail_handshake ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);

	cp_verify_log_clear(&c->vlog);
	now_plus(&c->deadline, c->srv->hs_ms);
	if (SSL_version(c->ssl) >= TLS1_3_VERSION) {
		SSL_set_verify(c->ssl, mode, verify_cb);
		if (SSL_verify_client_post_handshake(c->ssl) != 1) {
			ERR_clear_error();
			trace(c->srv, "%s: %s: client did not offer post-handshake auth", c->peer,
			    path);
			conn_answer_report(c, path, true, CERTPICK_REASON_SRV_PHA_NOT_OFFERED);
			return;
		}
		SSL_set_msg_callback(c->ssl, msg_cb);
		c->asked = CERTPICK_SERVE_ASKED_POST_HANDSHAKE;
		c->auth_sent = false;
		c->pha_finished = false;
	} else {
		if (!SSL_get_secure_renegotiation_support(c->ssl)) {
			conn_answer_report(c, path, true,
			    CERTPICK_REASON_SRV_RENEGOTIATION_UNAVAILABLE);
			return;
		}
		SSL_set_verify(c->ssl, mode, verify_cb);
		if (SSL_renegotiate(c->ssl) != 1) {
			ERR_clear_error();
			conn_answer_report(c, path, true,
			    CERTPICK_REASON_SRV_RENEGOTIATION_UNAVAILABLE);
			return;
		}
		c->asked = CERTPICK_SERVE_ASKED_RENEGOTIATION;
		c->auth_sent = false;
	}
	trace(c->srv, "%s: %s: asking for a certificate by %s", c->peer, path,
	    certpick_serve_asked_name(c->asked));
	free(c->auth_path);
	c->auth_path = path;
	c->state = CS_AUTH;
}

static void
conn_request_done(struct conn *c)
{
	char *path = cp_http_path_normalize(c->req.url, c->req.url_len);
	bool prot;

	c->keep_alive = c->req.keep_alive && !c->srv->stopping;
	if (path == NULL) {
		conn_answer_error(c, 400);
		return;
	}
	prot = path_protected(c->srv, path);
	if (prot && c->asked == CERTPICK_SERVE_ASKED_NEVER) {
		conn_start_auth(c, path);
		return;
	}
	conn_answer_report(c, path, prot, CERTPICK_REASON__COUNT);
}

static int
pending_append(struct conn *c, const char *p, size_t n)
{
	char *grown;

	if (n == 0)
		return 0;
	if (c->pending_len + n > c->srv->max_header + c->srv->max_body)
		return -1;
	if ((grown = cp_realloc(c->pending, c->pending_len + n)) == NULL)
		return -1;
	memcpy(grown + c->pending_len, p, n);
	c->pending = grown;
	c->pending_len += n;
	return 0;
}

/* Feed bytes to the parser; keep what belongs to the next request. */
static int
conn_feed(struct conn *c, const char *p, size_t n)
{
	size_t used;

	if (!c->req.started && n > 0)
		now_plus(&c->deadline, c->srv->hdr_ms);
	used = cp_http_req_feed(&c->req, p, n);
	if (c->req.state == CP_HTTP_DONE && used < n)
		return pending_append(c, p + used, n - used);
	return 0;
}

static void
conn_handshake_failed(struct conn *c)
{
	unsigned long e = ERR_peek_error();
	bool no_cert = ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
	struct certpick_serve_report r;
	X509 *leaf = NULL;

	trace(c->srv, "%s: handshake failed: %s", c->peer,
	    e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?" :
		"connection closed");
	if (!c->srv->fail_handshake || (!no_cert && c->vlog.n == 0))
		return;
	for (size_t i = 0; i < c->vlog.n && leaf == NULL; i++)
		if (c->vlog.v[i].depth == 0)
			leaf = c->vlog.v[i].cert;
	if (leaf == NULL && c->vlog.n > 0)
		leaf = c->vlog.v[0].cert;
	report_base(c, &r);
	r.protected_path = true;
	r.status = 0;
	if (cp_serve_report_fill(&r, no_cert ? NULL : leaf, NULL, &c->vlog, c->srv->have_crl) == 0)
		log_report(c->srv, &r);
	certpick_serve_report_release(&r);
}

/* SSL said no progress: wait for what it wants, or close on a real error. */
static void
conn_blocked(struct conn *c, int rc)
{
	int e = SSL_get_error(c->ssl, rc);

	if (e == SSL_ERROR_WANT_READ) {
		conn_arm(c, EV_READ);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		conn_arm(c, EV_WRITE);
		return;
	}
	if (c->state == CS_HANDSHAKE)
		conn_handshake_failed(c);
	else if (e != SSL_ERROR_ZERO_RETURN)
		trace(c->srv, "%s: connection error: %s", c->peer,
		    ERR_peek_error() ? ERR_reason_error_string(ERR_peek_error()) : "closed");
	conn_close(c);
}

static bool
auth_complete(struct conn *c)
{
	if (!c->auth_sent)
		return false;
	if (c->asked == CERTPICK_SERVE_ASKED_RENEGOTIATION)
		return SSL_renegotiate_pending(c->ssl) == 0;
	return c->pha_finished && SSL_is_init_finished(c->ssl);
}

static void
conn_after_write(struct conn *c)
{
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (!c->keep_alive || c->srv->stopping) {
		conn_close(c);
		return;
	}
	cp_http_req_reset(&c->req);
	c->state = CS_REQUEST;
	c->wait_readable = c->pending_len == 0;
	c->first_request_done = true;
	now_plus(&c->deadline, c->pending_len > 0 ? c->srv->hdr_ms : c->srv->idle_ms);
	conn_drive(c);
}

static void
conn_drive(struct conn *c)
{
	for (;;) {
		int n;

		switch (c->state) {
		case CS_HANDSHAKE:
			if ((n = SSL_do_handshake(c->ssl)) != 1) {
				conn_blocked(c, n);
				return;
			}
			c->asked = c->srv->auth == CERTPICK_SERVE_AUTH_NONE ?
			    CERTPICK_SERVE_ASKED_NEVER :
			    CERTPICK_SERVE_ASKED_HANDSHAKE;
			c->state = CS_REQUEST;
			c->wait_readable = true;
			now_plus(&c->deadline, c->srv->hdr_ms);
			break;
		case CS_REQUEST:
			if (c->req.state == CP_HTTP_DONE) {
				conn_request_done(c);
				break;
			}
			if (c->req.state == CP_HTTP_ERROR) {
				conn_answer_error(c, c->req.error_status);
				break;
			}
			if (c->pending_len > 0) {
				char *p = c->pending;
				size_t len = c->pending_len;

				c->pending = NULL;
				c->pending_len = 0;
				if (conn_feed(c, p, len) != 0) {
					free(p);
					conn_close(c);
					return;
				}
				free(p);
				break;
			}
			/*
			 * An idle connection waits for bytes before SSL_read: a read
			 * that finds nothing would set up a record buffer for nothing.
			 */
			if (c->wait_readable && !SSL_has_pending(c->ssl)) {
				c->wait_readable = false;
				conn_arm(c, EV_READ);
				return;
			}
			if ((n = SSL_read(c->ssl, c->srv->rbuf, sizeof(c->srv->rbuf))) <= 0) {
				conn_blocked(c, n);
				return;
			}
			if (conn_feed(c, c->srv->rbuf, (size_t)n) != 0) {
				conn_close(c);
				return;
			}
			break;
		case CS_AUTH:
			if (!c->auth_sent) {
				if ((n = SSL_do_handshake(c->ssl)) != 1) {
					conn_blocked(c, n);
					return;
				}
				c->auth_sent = true;
			}
			if (auth_complete(c)) {
				char *path = c->auth_path;

				c->auth_path = NULL;
				SSL_set_msg_callback(c->ssl, NULL);
				conn_answer_report(c, path, true, CERTPICK_REASON__COUNT);
				break;
			}
			if ((n = SSL_read(c->ssl, c->srv->rbuf, sizeof(c->srv->rbuf))) <= 0) {
				if (auth_complete(c))
					break;
				conn_blocked(c, n);
				return;
			}
			/* a pipelined request: keep it for later */
			if (pending_append(c, c->srv->rbuf, (size_t)n) != 0) {
				conn_close(c);
				return;
			}
			break;
		case CS_WRITE:
			if (c->out_off == c->out_len) {
				conn_after_write(c);
				return;
			}
			if ((n = SSL_write(c->ssl, c->out + c->out_off,
				 (int)(c->out_len - c->out_off))) <= 0) {
				conn_blocked(c, n);
				return;
			}
			c->out_off += (size_t)n;
			break;
		default: conn_close(c); return;
		}
	}
}

static void
peer_name(const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
		NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct certpick_serve *srv = arg;
	struct conn *c;
	int one = 1;

	(void)lev;
	if (srv->stopping || srv->n_conns >= srv->max_conns) {
		close(fd);
		if (!srv->stopping)
			listeners_set(srv, false);
		return;
	}
	if ((c = cp_calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer_name(sa, (socklen_t)salen, c->peer, sizeof(c->peer));
	cp_http_req_init(&c->req, srv->max_header, srv->max_body);
	if ((c->ssl = SSL_new(srv->ctx)) == NULL || !SSL_set_fd(c->ssl, fd) ||
	    (c->ev = event_new(srv->base, -1, 0, conn_event, c)) == NULL) {
		ERR_clear_error();
		SSL_free(c->ssl);
		if (c->ev != NULL)
			event_free(c->ev);
		close(fd);
		free(c);
		return;
	}
	SSL_set_app_data(c->ssl, c);
	SSL_set_accept_state(c->ssl);
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_conns++;
	if (srv->n_conns >= srv->max_conns)
		listeners_set(srv, false);
	now_plus(&c->deadline, srv->hs_ms);
	c->state = CS_HANDSHAKE;
	conn_arm(c, EV_READ);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct certpick_serve *srv = arg;

	(void)fd;
	(void)what;
	if (!srv->stopping && srv->n_conns < srv->max_conns)
		listeners_set(srv, true);
}

/* accept() failed (EMFILE, ENFILE, ENOBUFS): back off instead of spinning. */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct certpick_serve *srv = arg;
	struct timeval tv = { 0, 100000 };

	(void)lev;
	trace(srv, "accept: %s", strerror(errno));
	listeners_set(srv, false);
	event_add(srv->resume_ev, &tv);
}

static int
parse_listen(const char *spec, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':' || (size_t)(end - spec - 1) >= hsize)
			return -1;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		colon = end + 1;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL || (size_t)(colon - spec) >= hsize ||
		    colon == spec)
			return -1;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		if (strchr(host, ':') != NULL)
			return -1; /* IPv6 needs brackets */
	}
	if (colon[1] == '\0' || strlen(colon + 1) >= psize ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

static int
add_listener(struct certpick_serve *srv, const char *spec, struct certpick_error *err)
{
	char host[256], port[16];
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct listener *l;
	int fd = -1, one = 1, rc, ret = -1;

	if (parse_listen(spec, host, sizeof(host), port, sizeof(port)) != 0)
		return cp_error_set(err, CERTPICK_ERR_USAGE,
		    "bad listen address '%s' (want ADDR:PORT or [V6ADDR]:PORT)", spec);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return cp_error_set(err, CERTPICK_ERR_NETWORK, "cannot resolve '%s': %s", spec,
		    gai_strerror(rc));
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		cp_error_set_errno(err, CERTPICK_ERR_NETWORK, errno, "cannot listen on '%s'", spec);
		goto out;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		cp_error_set_errno(err, CERTPICK_ERR_NETWORK, errno, "cannot listen on '%s'", spec);
		goto out;
	}
	if ((l = cp_array_push(&srv->listeners, &srv->n_listeners, sizeof(*l))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		peer_name((struct sockaddr *)&ss, sslen, l->addr, sizeof(l->addr));
	if ((l->lev = evconnlistener_new(srv->base, accept_cb, srv,
		 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd)) == NULL) {
		srv->n_listeners--;
		cp_error_set(err, CERTPICK_ERR_INTERNAL, "cannot watch '%s'", spec);
		goto out;
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return ret;
}

static int
setup_identity(struct certpick_serve *srv, const struct certpick_serve_options *o,
    struct certpick_error *err)
{
	struct certpick_pki *pki = NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int ret = -1;

	if (o->cert_file != NULL) {
		const char *key = o->key_file ? o->key_file : o->cert_file;

		/* OpenSSL opens them by name: refuse a FIFO or device before it blocks */
		if (certpick_file_check(o->cert_file, 0, err) != 0 ||
		    certpick_file_check(key, 0, err) != 0)
			return -1;
		if (SSL_CTX_use_certificate_chain_file(srv->ctx, o->cert_file) != 1)
			return cp_error_set_ossl(err, CERTPICK_ERR_IO,
			    "cannot load server certificate '%s'", o->cert_file);
		if (SSL_CTX_use_PrivateKey_file(srv->ctx, key, SSL_FILETYPE_PEM) != 1)
			return cp_error_set_ossl(err, CERTPICK_ERR_IO,
			    "cannot load server key '%s'", key);
		if (SSL_CTX_check_private_key(srv->ctx) != 1)
			return cp_error_set_ossl(err, CERTPICK_ERR_IO,
			    "server key '%s' does not match '%s'", key, o->cert_file);
	} else {
		if ((pki = cp_serve_identity_new(time(NULL), err)) == NULL)
			goto out;
		if (SSL_CTX_use_certificate(srv->ctx,
			certpick_pki_get0_x509(pki, CP_SERVE_IDENTITY)) != 1 ||
		    SSL_CTX_use_PrivateKey(srv->ctx,
			certpick_pki_get0_pkey(pki, CP_SERVE_IDENTITY)) != 1) {
			cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL,
			    "cannot use throwaway identity");
			goto out;
		}
		srv->generated = true;
	}
	if (X509_digest(SSL_CTX_get0_certificate(srv->ctx), EVP_sha256(), md, &mdlen) != 1)
		goto out;
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(srv->fingerprint + 2 * i, 3, "%02x", md[i]);
	ret = 0;
out:
	certpick_pki_free(pki);
	return ret;
}

/* The names to send: none, those of --ca-names, or the trust store's by purpose. */
static STACK_OF(X509_NAME) *
names_to_send(const struct certpick_serve_options *o, const struct certpick_trust *trust,
    struct certpick_error *err)
{
	struct certpick_trust *named = NULL;
	STACK_OF(X509_NAME) *names = NULL;

	if (o->no_ca_names) {
		if ((names = sk_X509_NAME_new_null()) == NULL)
			cp_error_nomem(err);
		return names;
	}
	if (o->ca_names_path == NULL)
		return cp_serve_ca_names_by_purpose(certpick_trust_get0_certs(trust), err);
	if ((named = certpick_trust_new(err)) == NULL)
		return NULL;
	if (cp_trust_add_path_as(named, o->ca_names_path, "CA names file", err) == 0)
		names = cp_serve_ca_names_all(certpick_trust_get0_certs(named), err);
	certpick_trust_free(named);
	return names;
}

/* The trust store (--trust, --crl) and the CA names, from the trust module. */
static int
setup_trust(struct certpick_serve *srv, const struct certpick_serve_options *o,
    struct certpick_error *err)
{
	struct certpick_trust *trust = NULL;
	STACK_OF(X509_NAME) *names = NULL;
	X509_STORE *store = NULL;
	int ret = -1;

	if ((trust = certpick_trust_new(err)) == NULL)
		goto out;
	if (o->trust_path != NULL && certpick_trust_add_path(trust, o->trust_path, err) != 0)
		goto out;
	if (o->crl_file != NULL) {
		if (certpick_trust_add_crl_path(trust, o->crl_file, err) != 0)
			goto out;
		srv->have_crl = true;
		srv->crl_check_all = o->crl_check_all;
	}
	if ((store = cp_trust_store_new(trust, err)) == NULL)
		goto out;
	if ((names = names_to_send(o, trust, err)) == NULL)
		goto out;
	if ((srv->ca_names = cp_calloc((size_t)sk_X509_NAME_num(names) + 1,
		 sizeof(*srv->ca_names))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	for (int i = 0; i < sk_X509_NAME_num(names); i++) {
		unsigned char *der = NULL;
		int len = i2d_X509_NAME(sk_X509_NAME_value(names, i), &der);

		if (len < 0 ||
		    certpick_dn_init_der(&srv->ca_names[i], der, (size_t)len, err) != 0) {
			OPENSSL_free(der);
			goto out;
		}
		OPENSSL_free(der);
		srv->n_ca_names++;
	}
	if (cp_serve_certreq_size(srv->ca_names, srv->n_ca_names, &srv->certreq_size,
		&srv->findings) != 0) {
		cp_error_nomem(err);
		goto out;
	}
	if (srv->n_ca_names == 0 && (o->auth != CERTPICK_SERVE_AUTH_NONE || o->n_require > 0) &&
	    cp_findings_add(&srv->findings, CERTPICK_REASON_CR_NO_CA_NAMES, NULL) != 0) {
		cp_error_nomem(err);
		goto out;
	}
	/* RFC 8446 4.2.4: an empty list is not sent as an empty extension; OpenSSL omits it */
	SSL_CTX_set_client_CA_list(srv->ctx, names);
	names = NULL;
	SSL_CTX_set_cert_store(srv->ctx, store);
	store = NULL;
	ret = 0;
out:
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	certpick_trust_free(trust);
	X509_STORE_free(store);
	return ret;
}

/* ALPN: HTTP/1.1 only (per-path requests cannot work over HTTP/2, RFC 8740) */
static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
    unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel = NULL;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int
setup_ctx(struct certpick_serve *srv, const struct certpick_serve_options *o,
    struct certpick_error *err)
{
	int mode = SSL_VERIFY_NONE;

	if ((srv->ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot make a TLS context");
	if (o->tls_version != 0 && o->tls_version != CERTPICK_TLS12 &&
	    o->tls_version != CERTPICK_TLS13)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "bad TLS version 0x%04x",
		    (unsigned)o->tls_version);
	SSL_CTX_set_min_proto_version(srv->ctx, o->tls_version ? o->tls_version : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(srv->ctx, o->tls_version ? o->tls_version : 0);
	/*
	 * No session reuse at all: a resumed session skips the verify callback,
	 * and every connection must be judged on what it sends.
	 */
	SSL_CTX_set_session_cache_mode(srv->ctx, SSL_SESS_CACHE_OFF);
	/*
	 * IGNORE_UNEXPECTED_EOF: a client that leaves without close_notify (a
	 * browser's spare connection, an idle keep-alive one) is gone, as nginx
	 * treats it; OpenSSL 3 would otherwise answer it with a decode_error
	 * alert, in clear text before the handshake, and every capture of serve
	 * would show an alert no server of a real deployment sends.
	 */
	SSL_CTX_set_options(srv->ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_num_tickets(srv->ctx, 0);
	/*
	 * NO_AUTO_CHAIN: send exactly the chain in --cert, as nginx and Apache do,
	 * instead of rebuilding it from the client trust store on every handshake.
	 */
	SSL_CTX_set_mode(srv->ctx,
	    SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_NO_AUTO_CHAIN);
	if (o->auth != CERTPICK_SERVE_AUTH_NONE)
		mode = SSL_VERIFY_PEER;
	if (o->auth == CERTPICK_SERVE_AUTH_REQUIRE && o->fail_handshake)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(srv->ctx, mode, verify_cb);
	SSL_CTX_set_cert_verify_callback(srv->ctx, app_verify_cb, NULL);
	SSL_CTX_set_alpn_select_cb(srv->ctx, alpn_cb, NULL);
	if (setup_identity(srv, o, err) != 0 || setup_trust(srv, o, err) != 0)
		return -1;
	return 0;
}

/* Why a --require value cannot name a path; NULL when it can. */
static const char *
require_problem(const char *value)
{
	if (value[0] != '/')
		return "it must start with '/'";
	if (strpbrk(value, "?#") != NULL)
		return "a query or fragment is never part of the path compared";
	return NULL;
}

/*
 * Keep one --require value in the form request paths are compared in
 * (cp_http_path_normalize: percent-decoded, dot segments resolved, slashes
 * folded), so that "/a%20b", "//secure" or "/./secure" protect what they
 * name. A value that is not a plain path is refused, never kept verbatim to
 * protect nothing.
 */
static int
require_add(struct certpick_serve *srv, const char *value, struct certpick_error *err)
{
	const char *problem = require_problem(value);
	char **slot;
	char *norm = NULL;

	if (problem == NULL && (norm = cp_http_path_normalize(value, strlen(value))) == NULL)
		problem = "a bad percent escape or %00 (or out of memory)";
	if (problem != NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "--require '%s' is not a path: %s",
		    value, problem);
	if ((slot = cp_array_push(&srv->require, &srv->n_require, sizeof(char *))) == NULL) {
		free(norm);
		return cp_error_nomem(err);
	}
	*slot = norm;
	return 0;
}

/* see certpick/serve.h */
struct certpick_serve *
certpick_serve_new(const struct certpick_serve_options *o, struct certpick_error *err)
{
	struct certpick_serve *srv = NULL;

	if ((srv = cp_calloc(1, sizeof(*srv))) == NULL) {
		cp_error_nomem(err);
		return NULL;
	}
	srv->auth = o->auth;
	srv->fail_handshake = o->fail_handshake;
	srv->max_conns = o->max_connections ? o->max_connections : 1024;
	srv->hs_ms = o->handshake_timeout_ms ? o->handshake_timeout_ms : 10000;
	srv->hdr_ms = o->header_timeout_ms ? o->header_timeout_ms : 10000;
	srv->idle_ms = o->idle_timeout_ms ? o->idle_timeout_ms : 60000;
	srv->max_header = o->max_header_bytes ? o->max_header_bytes : CP_SERVE_MAX_HEADER;
	srv->max_body = o->max_body_bytes ? o->max_body_bytes : CP_SERVE_MAX_BODY;
	srv->log = o->log;
	srv->log_arg = o->log_arg;
	srv->trace = o->trace;
	srv->trace_arg = o->trace_arg;
	for (size_t i = 0; i < o->n_require; i++)
		if (require_add(srv, o->require_paths[i], err) != 0)
			goto fail;
	if (setup_ctx(srv, o, err) != 0)
		goto fail;
	if (o->base != NULL) {
		srv->base = o->base;
	} else {
		if ((srv->base = event_base_new()) == NULL) {
			cp_error_set(err, CERTPICK_ERR_INTERNAL, "cannot make an event loop");
			goto fail;
		}
		srv->own_base = true;
	}
	if ((srv->resume_ev = evtimer_new(srv->base, resume_cb, srv)) == NULL) {
		cp_error_nomem(err);
		goto fail;
	}
	if (o->n_listen == 0) {
		if (add_listener(srv, DEFAULT_LISTEN, err) != 0)
			goto fail;
	}
	for (size_t i = 0; i < o->n_listen; i++)
		if (add_listener(srv, o->listen[i], err) != 0)
			goto fail;
	return srv;
fail:
	certpick_serve_free(srv);
	return NULL;
}

static void
stop_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct certpick_serve *srv = arg;

	(void)fd;
	(void)what;
	event_base_loopexit(srv->base, NULL);
}

/* see certpick/serve.h */
void
certpick_serve_stop(struct certpick_serve *srv)
{
	struct timeval tv = { STOP_GRACE_MS / 1000, (STOP_GRACE_MS % 1000) * 1000 };
	struct conn *c, *next;

	if (srv == NULL || srv->stopping)
		return;
	srv->stopping = true;
	trace(srv, "stopping: %zu connection(s) open", srv->n_conns);
	for (size_t i = 0; i < srv->n_listeners; i++) {
		if (srv->listeners[i].lev != NULL)
			evconnlistener_free(srv->listeners[i].lev);
		srv->listeners[i].lev = NULL;
	}
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		c->keep_alive = false;
		if (c->state == CS_HANDSHAKE ||
		    (c->state == CS_REQUEST && !c->req.started && c->pending_len == 0))
			conn_close(c);
	}
	if (srv->n_conns == 0) {
		event_base_loopexit(srv->base, NULL);
		return;
	}
	if ((srv->stop_ev = evtimer_new(srv->base, stop_timeout_cb, srv)) == NULL ||
	    evtimer_add(srv->stop_ev, &tv) != 0)
		event_base_loopexit(srv->base, NULL);
}

/* see certpick/serve.h */
int
certpick_serve_run(struct certpick_serve *srv, struct certpick_error *err)
{
	if (event_base_dispatch(srv->base) < 0)
		return cp_error_set(err, CERTPICK_ERR_INTERNAL, "event loop failed");
	return 0;
}

/* see certpick/serve.h */
void
certpick_serve_free(struct certpick_serve *srv)
{
	if (srv == NULL)
		return;
	srv->stopping = true;
	while (srv->conns != NULL)
		conn_close(srv->conns);
	for (size_t i = 0; i < srv->n_listeners; i++)
		if (srv->listeners[i].lev != NULL)
			evconnlistener_free(srv->listeners[i].lev);
	free(srv->listeners);
	if (srv->resume_ev != NULL)
		event_free(srv->resume_ev);
	if (srv->stop_ev != NULL)
		event_free(srv->stop_ev);
	for (size_t i = 0; i < srv->n_require; i++)
		free(srv->require[i]);
	free(srv->require);
	for (size_t i = 0; i < srv->n_ca_names; i++)
		certpick_dn_release(&srv->ca_names[i]);
	free(srv->ca_names);
	certpick_findings_release(&srv->findings);
	SSL_CTX_free(srv->ctx);
	if (srv->own_base && srv->base != NULL)
		event_base_free(srv->base);
	free(srv);
}

/* see certpick/serve.h */
const struct certpick_dn *
certpick_serve_ca_names(const struct certpick_serve *srv, size_t *n)
{
	*n = srv->n_ca_names;
	return srv->ca_names;
}

/* see certpick/serve.h */
size_t
certpick_serve_certreq_size(const struct certpick_serve *srv)
{
	return srv->certreq_size;
}

/* see certpick/serve.h */
const struct certpick_findings *
certpick_serve_findings(const struct certpick_serve *srv)
{
	return &srv->findings;
}

/* see certpick/serve.h */
const char *
certpick_serve_identity_sha256(const struct certpick_serve *srv)
{
	return srv->fingerprint;
}

/* see certpick/serve.h */
bool
certpick_serve_identity_generated(const struct certpick_serve *srv)
{
	return srv->generated;
}

/* see certpick/serve.h */
const char *
certpick_serve_listen_addr(const struct certpick_serve *srv, size_t i)
{
	return i < srv->n_listeners ? srv->listeners[i].addr : NULL;
}

/* see certpick/serve.h */
size_t
certpick_serve_connections(const struct certpick_serve *srv)
{
	return srv->n_conns;
}
