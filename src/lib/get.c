/*
 * get: one HTTPS request with a chosen client certificate (certpick/get.h).
 * A non-blocking socket and non-blocking OpenSSL, waited on with poll()
 * against one monotonic deadline per phase (connect, handshake, request,
 * answer), as the probe engine does: a peer that drips bytes, renegotiates
 * or asks again and again cannot stretch a phase. OpenSSL follows a TLS 1.2
 * renegotiation or a TLS 1.3 post-handshake CertificateRequest inside
 * SSL_read, at most GET_MAX_ASKS times. Requests are captured and parsed as
 * the probe does (cp_probe_add_request); the answer is read incrementally
 * (header end, then Content-Length or the chunk walk), and parsed once by
 * the probe's HTTP reader. Never prints; the private key stays inside the
 * candidate set.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "client.h"
#include "certpick/get.h"
#include "certpick/openssl.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESPONSE (16u << 20)
#define GET_MAX_HEADER 65536	/* status line and headers, as probe's CP_HTTP_MAX */
#define GET_MAX_ASKS 4		/* renegotiations + post-handshake requests answered */

struct get_ctx {
	struct certpick_get_result *res;
	struct certpick_probe_result cap;	/* requests are captured here, then moved */
	const struct certpick_get_options *o;
	bool handshake_done;
	struct cp_capture mc;		/* the message callback's record (client.h) */
	struct cp_trace tr;
	int fd;
	struct timespec deadline;	/* of the current phase */
};

/* Where reading the answer stands; each read feeds only the new bytes. */
struct answer_reader {
	size_t scanned;			/* the header end was looked for up to here */
	size_t hlen;			/* status line and headers; 0 until they end */
	long long content_length;	/* -1: none */
	bool chunked;
	struct cp_chunk_walk walk;	/* over buf[hlen..walked) */
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

/* A phase starts: it must end within the timeout from now. */
static void
phase_start(struct get_ctx *g)
{
	int ms = g->o->timeout_ms > 0 ? g->o->timeout_ms : DEFAULT_TIMEOUT_MS;

	clock_gettime(CLOCK_MONOTONIC, &g->deadline);
	g->deadline.tv_sec += ms / 1000;
	g->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (g->deadline.tv_nsec >= 1000000000L) {
		g->deadline.tv_sec++;
		g->deadline.tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left in the phase, rounded up; 0 when it is over. */
static int
phase_left_ms(const struct get_ctx *g)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(g->deadline.tv_sec - now.tv_sec) * 1e3 +
	    (double)(g->deadline.tv_nsec - now.tv_nsec) / 1e6;
	return ms <= 0 ? 0 : (int)ms + 1;
}

/* Wait for fd to be ready for events until the phase's deadline: 1 ready, 0 timed out, -1 errno. */
static int
wait_fd(const struct get_ctx *g, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n, left;

	do {
		if ((left = phase_left_ms(g)) == 0)
			return 0;
		n = poll(&p, 1, left);
	} while (n == 0 || (n < 0 && errno == EINTR));
	return n < 0 ? -1 : 1;
}

/* Connect to one address before the phase's deadline; the socket (non-blocking), or -1 with errno. */
static int
connect_one(const struct get_ctx *g, const struct addrinfo *ai)
{
	int fd, flags, n, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		if ((n = wait_fd(g, fd, POLLOUT)) == 0)
			errno = ETIMEDOUT;
		if (n <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

static int
dial(struct get_ctx *g, const char *host, const char *port, struct certpick_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int fd = -1, rc, last = 0;
	char addr[80];

	if (g->o->flags & CERTPICK_PROBE_IPV4)
		hints.ai_family = AF_INET;
	else if (g->o->flags & CERTPICK_PROBE_IPV6)
		hints.ai_family = AF_INET6;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		cp_error_set(err, CERTPICK_ERR_NETWORK, "cannot resolve '%s'", host);
		cp_error_detail(err, "%s", gai_strerror(rc));
		return -1;
	}
	for (const struct addrinfo *a = ai; a != NULL && fd < 0; a = a->ai_next) {
		cp_client_format_address(a->ai_addr, addr, sizeof(addr));
		cp_client_trace(&g->tr, "connecting to %s", addr);
		if ((fd = connect_one(g, a)) < 0)
			last = errno;
		else
			g->res->address = cp_strdup(addr);
	}
	freeaddrinfo(ai);
	if (fd < 0 && last == ETIMEDOUT)
		cp_error_set(err, CERTPICK_ERR_NETWORK, "timed out while connecting to '%s' port %s",
		    host, port);
	else if (fd < 0)
		cp_error_set_errno(err, CERTPICK_ERR_NETWORK, last, "cannot connect to '%s' port %s",
		    host, port);
	return fd;
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

/* Why an SSL call failed, into res->error. */
static void
tls_failed(struct get_ctx *g, SSL *ssl, int rc, const char *what)
{
	struct certpick_get_result *res = g->res;
	int e = SSL_get_error(ssl, rc);
	long vr = SSL_get_verify_result(ssl);

	if (g->mc.alert >= 0 && g->mc.alert_fatal) {
		cp_error_set(&res->error, CERTPICK_ERR_TLS, "the server ended the connection %s "
		    "with alert %d (%s)", what, g->mc.alert, certpick_alert_name(g->mc.alert) ?
		    certpick_alert_name(g->mc.alert) : "?");
		ERR_clear_error();
	} else if (e == SSL_ERROR_SSL && vr != X509_V_OK && !res->server_verified &&
	    !g->handshake_done && !g->o->insecure) {
		cp_error_set(&res->error, CERTPICK_ERR_TLS, "cannot verify the server's certificate");
		cp_error_detail(&res->error, "%s (use --trust FILE for its CA, or -k)",
		    X509_verify_cert_error_string(vr));
		ERR_clear_error();
	} else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		cp_error_set_errno(&res->error, CERTPICK_ERR_NETWORK, errno ? errno : ECONNRESET,
		    "connection lost %s", what);
	} else {
		cp_error_set_ossl(&res->error, CERTPICK_ERR_TLS, "TLS failed %s", what);
	}
}

/*
 * An SSL call on the non-blocking socket returned rc: wait for what it wants
 * until the phase's deadline. 1: call it again; 0: the exchange is over,
 * res->error says why (`what` names the phase).
 */
static int
tls_wait(struct get_ctx *g, SSL *ssl, int rc, const char *what)
{
	int e = SSL_get_error(ssl, rc), n;

	if (g->mc.asks > GET_MAX_ASKS) {
		cp_error_set(&g->res->error, CERTPICK_ERR_TLS, "refused to answer the server %s: "
		    "it asked for a certificate again after the handshake more than %d times",
		    what, GET_MAX_ASKS);
		cp_error_detail(&g->res->error, "%u renegotiations or post-handshake "
		    "CertificateRequests", g->mc.asks);
		ERR_clear_error();
		return 0;
	}
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
		tls_failed(g, ssl, rc, what);
		return 0;
	}
	if ((n = wait_fd(g, g->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) > 0)
		return 1;
	if (n == 0)
		cp_error_set(&g->res->error, CERTPICK_ERR_NETWORK, "timed out %s (%g s per phase)",
		    what, (g->o->timeout_ms > 0 ? g->o->timeout_ms : DEFAULT_TIMEOUT_MS) / 1000.0);
	else
		cp_error_set_errno(&g->res->error, CERTPICK_ERR_NETWORK, errno, "connection lost %s",
		    what);
	ERR_clear_error();
	return 0;
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
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
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
		w->state = c == '\n' ? CP_CHUNK_DONE : c == '\r' ? CP_CHUNK_TRAILER_START :
		    CP_CHUNK_TRAILER;
		break;
	case CP_CHUNK_TRAILER:
		if (c == '\n')
			w->state = CP_CHUNK_TRAILER_START;
		break;
	default:
		break;
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
		if (buf[i] == '\n' && ((i >= 1 && buf[i - 1] == '\n') ||
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
		for (size_t i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' &&
		    r->content_length < (1LL << 30); i++)
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
		return 0;	/* until EOF: we sent Connection: close */
	(void)cp_chunk_feed(&r->walk, buf + r->walked, len - r->walked, NULL);
	r->walked = len;
	return r->walk.state == CP_CHUNK_DONE;
}

/* Write the whole request before the phase's deadline. 0, or -1 with res->error set. */
static int
send_request(struct get_ctx *g, SSL *ssl, const char *req, size_t req_len)
{
	size_t w;
	int rc;

	phase_start(g);
	while ((rc = SSL_write_ex(ssl, req, req_len, &w)) != 1)
		if (tls_wait(g, ssl, rc, "while sending the request") == 0)
			return -1;
	g->res->request_sent = true;
	g->mc.request_sent = true;
	cp_client_trace(&g->tr, "request sent (%zu bytes)", req_len);
	return 0;
}

/*
 * Read the answer into *buf (*len bytes) before the phase's deadline.
 * Returns 1 the answer ended (complete, EOF, or the cap), 0 it did not
 * (res->error set), -1 not HTTP, -2 no memory.
 */
static int
read_answer(struct get_ctx *g, SSL *ssl, char **buf, size_t *len)
{
	struct certpick_get_result *res = g->res;
	struct answer_reader r = { 0 };
	size_t max = g->o->max_response ? g->o->max_response : DEFAULT_MAX_RESPONSE, cap = 0;
	int rc, fr = 0;

	phase_start(g);
	for (;;) {
		size_t got;

		if (*len + 16384 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 32768;
			char *t;

			if ((t = cp_realloc(*buf, ncap)) == NULL)
				return -2;
			*buf = t;
			cap = ncap;
		}
		size_t want = cap - *len - 1 < max + 1 - *len ? cap - *len - 1 : max + 1 - *len;
		errno = 0;
		if ((rc = SSL_read_ex(ssl, *buf + *len, want, &got)) == 1) {
			*len += got;
			if (*len > max) {
				res->truncated = true;
				*len = max;
				return 1;
			}
			if ((fr = answer_feed(&r, *buf, *len)) != 0)
				break;
			continue;
		}
		int e = SSL_get_error(ssl, rc);
		if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
		    errno == 0 && *len > 0)) {
			ERR_clear_error();
			if (*len > 0)
				return 1;
			cp_error_set(&res->error, CERTPICK_ERR_NETWORK, "the server closed the "
			    "connection without an answer");
			return 0;
		}
		bool waited = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
		if (tls_wait(g, ssl, rc, "while waiting for the answer") == 1)
			continue;
		/* an answer cut short by a failed connection (no alert, no timeout) still counts */
		return !waited && g->mc.asks <= GET_MAX_ASKS && *len > 0 &&
		    !(g->mc.alert >= 0 && g->mc.alert_fatal);
	}
	if (fr == -2)
		cp_error_set(&res->error, CERTPICK_ERR_NETWORK, "the answer's status line and "
		    "headers are longer than %d bytes", GET_MAX_HEADER);
	return fr == -2 ? 0 : fr;
}

static int
exchange(struct get_ctx *g, SSL *ssl, const char *req, size_t req_len)
{
	struct certpick_get_result *res = g->res;
	size_t len = 0;
	char *buf = NULL;
	int rr, pr = 0, ret = -1;

	if (send_request(g, ssl, req, req_len) != 0)
		return 0;
	if ((rr = read_answer(g, ssl, &buf, &len)) == -2)
		goto out;
	if (rr == 1 && (pr = cp_http_parse(buf, len, true, &res->http)) == -2)
		goto out;
	if ((rr == -1 || pr == -1) && res->error.code == CERTPICK_OK)
		cp_error_set(&res->error, CERTPICK_ERR_NETWORK, "the answer is not HTTP");
	if (pr == 1 && cp_get_answer(res, buf, len) != 0)
		goto out;
	if (pr == 1) {
		certpick_error_clear(&res->error);
		cp_client_trace(&g->tr, "answer: HTTP %d (%zu bytes)", res->status, len);
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static int
run(struct get_ctx *g, const char *url, const struct certpick_candset *set,
    const struct certpick_candidate *chosen, const struct certpick_sel_candidate *sel,
    struct certpick_error *err)
{
	const struct certpick_get_options *o = g->o;
	char *host = NULL, *port = NULL, *path = NULL, *dhost = NULL, *dport = NULL;
	char *host_hdr = NULL, *req = NULL;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	struct cp_identity id = { 0 };
	size_t req_len = 0;
	int fd = -1, rc, ret = -1;

	if (strncasecmp(url, "https://", 8) != 0) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "not an https:// URL: '%s'", url);
		goto out;
	}
	if (certpick_probe_target_parse(url, &host, &port, &path, err) != 0)
		goto out;
	const char *name = o->servername ? o->servername : host;
	host_hdr = strcmp(port, "443") == 0 ? cp_strdup(name) :
	    strchr(name, ':') != NULL ? cp_asprintf("[%s]:%s", name, port) :
	    cp_asprintf("%s:%s", name, port);
	if (host_hdr == NULL || (req = build_request(o, path ? path : "/", host_hdr,
	    &req_len)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if ((ctx = make_ctx(o, err)) == NULL || (ssl = SSL_new(ctx)) == NULL) {
		if (ctx != NULL)
			cp_error_set_ossl(err, CERTPICK_ERR_NOMEM, "cannot create a TLS connection");
		goto out;
	}
	if (chosen != NULL && (cp_identity_from_candidate(&id, set, chosen, sel, o->token_login,
	    err) != 0 || cp_identity_use(ssl, &id, err) != 0))
		goto out;
	if (!o->no_pha)
		SSL_set_post_handshake_auth(ssl, 1);
	if (o->no_renegotiation)
		SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
	cp_client_capture(ssl, &g->mc);
	if (!cp_client_is_ip(name) && SSL_set_tlsext_host_name(ssl, name) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_USAGE, "bad server name '%s'", name);
		goto out;
	}
	if (!o->insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

		if ((cp_client_is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(vp, name) :
		    SSL_set1_host(ssl, name)) != 1) {
			cp_error_set_ossl(err, CERTPICK_ERR_USAGE, "bad server name '%s'", name);
			goto out;
		}
	}
	ret = 0;	/* from here on, failures are results */
	if (o->connect_to != NULL) {
		if (cp_client_connect_to(o->connect_to, port, &dhost, &dport, err) != 0) {
			ret = -1;
			goto out;
		}
	}
	phase_start(g);
	if ((fd = dial(g, dhost ? dhost : host, dport ? dport : port, &g->res->error)) < 0)
		goto out;
	g->fd = fd;
	if (SSL_set_fd(ssl, fd) != 1) {
		cp_error_set_ossl(&g->res->error, CERTPICK_ERR_INTERNAL, "cannot attach the socket");
		goto out;
	}
	phase_start(g);
	while ((rc = SSL_connect(ssl)) != 1)
		if (tls_wait(g, ssl, rc, "during the handshake") == 0)
			goto out;
	g->handshake_done = true;
	g->mc.handshake_done = true;
	g->res->tls_version = (uint16_t)SSL_version(ssl);
	g->res->cipher = cp_strdup(SSL_get_cipher_name(ssl));
	g->res->server_verified = !o->insecure && SSL_get_verify_result(ssl) == X509_V_OK;
	cp_client_trace(&g->tr, "handshake done: %s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	if (exchange(g, ssl, req, req_len) != 0) {
		cp_error_nomem(err);
		ret = -1;
	}
out:
	if (ssl != NULL) {
		if (fd >= 0 && g->res->error.code == CERTPICK_OK && g->handshake_done)
			(void)SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	cp_identity_release(&id);	/* after the connection that signed with it */
	ERR_clear_error();
	free(host);
	free(port);
	free(path);
	free(dhost);
	free(dport);
	free(host_hdr);
	free(req);
	return ret;
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
	if (a->end == CERTPICK_PROBE_END_SERVICE)
		return;
	g->error = a->error;
	if (g->error.code == CERTPICK_OK)
		cp_error_set(&g->error, CERTPICK_ERR_NETWORK, "no %s verdict: the connection ended (%s)",
		    g->protocol != NULL ? g->protocol : "service", certpick_probe_end_name(a->end));
}

/*
 * A non-HTTP scheme: one connection on the probe's event-driven engine, with
 * get's context (verification, trust) and the chosen identity.
 */
static int
run_layer(struct get_ctx *g, const char *url, const struct certpick_candset *set,
    const struct certpick_candidate *chosen, const struct certpick_sel_candidate *sel,
    struct certpick_error *err)
{
	const struct certpick_get_options *o = g->o;
	struct certpick_probe_options po = { .servername = o->servername,
		.connect_to = o->connect_to, .flags = o->flags, .timeout_ms = o->timeout_ms,
		.trace = o->trace, .trace_arg = o->trace_arg };
	struct cp_identity id = { 0 };
	struct cp_probe_once once = { 0 };
	struct certpick_probe_result *p = NULL;
	int ret = -1;

	if ((once.ctx = make_ctx(o, err)) == NULL)
		goto out;
	if (chosen != NULL) {
		if (cp_identity_from_candidate(&id, set, chosen, sel, o->token_login, err) != 0)
			goto out;
		once.id = &id;
	}
	if (cp_probe_run_once(url, &po, &once, &p, err) != 0)
		goto out;
	from_attempt(g->res, p, chosen != NULL ? &p->with_cert : &p->without_cert, !o->insecure);
	ret = 0;
out:
	certpick_probe_result_free(p);
	SSL_CTX_free(once.ctx);
	cp_identity_release(&id);	/* after the connection that signed with it */
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
	bool layer;

	*out = NULL;
	if (chosen != NULL && set == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "a candidate needs its set");
	if ((g.res = cp_calloc(1, sizeof(*g.res))) == NULL)
		return cp_error_nomem(err);
	g.res->alert = -1;
	g.res->service.code = -1;
	g.mc = (struct cp_capture){ .res = &g.cap, .trace = &g.tr, .alert = -1 };
	g.tr = (struct cp_trace){ .fn = g.o->trace, .arg = g.o->trace_arg };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cp_target_parse(url, &t, err) != 0) {
		certpick_get_result_free(g.res);
		return -1;
	}
	layer = t.layer != NULL;
	cp_target_release(&t);
	if (layer) {
		if (run_layer(&g, url, set, chosen, sel, err) != 0) {
			certpick_get_result_free(g.res);
			return -1;
		}
		*out = g.res;
		return 0;
	}
	if (run(&g, url, set, chosen, sel, err) != 0) {
		for (size_t i = 0; i < g.cap.n_requests; i++) {
			certpick_certreq_free(g.cap.requests[i].req);
			free(g.cap.requests[i].parse_error);
		}
		free(g.cap.requests);
		certpick_get_result_free(g.res);
		return -1;
	}
	g.res->alert = g.mc.alert;
	g.res->alert_fatal = g.mc.alert_fatal;
	g.res->alert_after_request = g.mc.alert_after_request;
	g.res->certificate_sent = g.mc.certificate_sent;
	g.res->requests = g.cap.requests;
	g.res->n_requests = g.cap.n_requests;
	g.res->ms = ms_since(&t0);
	*out = g.res;
	return 0;
}
