/*
 * get: one HTTPS request with a chosen client certificate (certpick/get.h).
 * Blocking sockets with a timeout on every phase; OpenSSL follows a TLS 1.2
 * renegotiation or a TLS 1.3 post-handshake CertificateRequest inside
 * SSL_read. Requests are captured and parsed as the probe does
 * (cp_probe_add_request), the answer is parsed by the probe's HTTP reader.
 * Never prints; the private key stays inside the candidate set.
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "certpick/get.h"
#include "certpick/openssl.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESPONSE (16u << 20)

struct get_ctx {
	struct certpick_get_result *res;
	struct certpick_probe_result cap;	/* requests are captured here, then moved */
	const struct certpick_get_options *o;
	bool handshake_done;
};

static void CERTPICK_PRINTF(2, 3)
trace(const struct get_ctx *g, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (g->o->trace == NULL)
		return;
	va_start(ap, fmt);
	line = cp_vasprintf(fmt, ap);
	va_end(ap);
	if (line != NULL)
		g->o->trace(g->o->trace_arg, line);
	free(line);
}

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
	free(res);
}

static void
msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
    void *arg)
{
	struct get_ctx *g = arg;
	const uint8_t *m = buf;
	bool tls13 = SSL_version(ssl) == TLS1_3_VERSION;

	(void)version;
	if (content_type == SSL3_RT_ALERT && !write_p && len == 2) {
		if (m[0] == 2 && g->res->alert < 0) {
			g->res->alert = m[1];
			g->res->alert_after_request = g->res->request_sent;
			trace(g, "alert %d (%s) from the server", m[1],
			    certpick_alert_name(m[1]) ? certpick_alert_name(m[1]) : "?");
		}
		return;
	}
	if (content_type != SSL3_RT_HANDSHAKE || len < 4)
		return;
	if (write_p) {
		if (m[0] == SSL3_MT_CERTIFICATE) {
			g->res->certificate_sent = !cp_certificate_msg_is_empty(m, len, tls13);
			trace(g, "Certificate sent (%s)", g->res->certificate_sent ? "with a "
			    "certificate" : "empty");
		}
		return;
	}
	if (m[0] == SSL3_MT_HELLO_REQUEST)
		trace(g, "HelloRequest: the server renegotiates");
	if (m[0] != SSL3_MT_CERTIFICATE_REQUEST)
		return;
	enum certpick_phase phase = !g->handshake_done ? CERTPICK_PHASE_INITIAL :
	    tls13 ? CERTPICK_PHASE_POST_HANDSHAKE : CERTPICK_PHASE_RENEGOTIATION;

	trace(g, "CertificateRequest (%s, %zu bytes)", certpick_phase_name(phase), len);
	/* a failure here is ENOMEM: the request is then missing from the result */
	(void)cp_probe_add_request(&g->cap, tls13 ? CERTPICK_TLS13 : CERTPICK_TLS12, phase, m, len);
}

static int
set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		return -1;
	return 0;
}

/* Connect to one address within ms; the socket, or -1 with errno. */
static int
connect_one(const struct addrinfo *ai, int ms)
{
	struct pollfd p;
	int fd, flags, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		p.fd = fd;
		p.events = POLLOUT;
		int n = poll(&p, 1, ms);
		if (n == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, flags) != 0 || set_timeouts(fd, ms) != 0)
		goto fail;
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

static void
format_address(const struct sockaddr *sa, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(out, size, "[%s]:%u", host, port);
		return;
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
	inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
	port = ntohs(s4->sin_port);
	snprintf(out, size, "%s:%u", host, port);
}

/* "addr[:port]", "[v6]:port" */
static int
split_connect_to(const char *s, const char *def_port, char **host, char **port,
    struct certpick_error *err)
{
	const char *colon;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL)
			return cp_error_set(err, CERTPICK_ERR_USAGE, "bad --connect-to '%s'", s);
		*host = cp_asprintf("%.*s", (int)(end - s - 1), s + 1);
		*port = cp_strdup(end[1] == ':' ? end + 2 : def_port);
	} else if ((colon = strrchr(s, ':')) != NULL && strchr(s, ':') == colon) {
		*host = cp_asprintf("%.*s", (int)(colon - s), s);
		*port = cp_strdup(colon + 1);
	} else {
		*host = cp_strdup(s);
		*port = cp_strdup(def_port);
	}
	if (*host == NULL || *port == NULL)
		return cp_error_nomem(err);
	return 0;
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
		format_address(a->ai_addr, addr, sizeof(addr));
		trace(g, "connecting to %s", addr);
		if ((fd = connect_one(a, g->o->timeout_ms > 0 ? g->o->timeout_ms :
		    DEFAULT_TIMEOUT_MS)) < 0)
			last = errno;
		else
			g->res->address = cp_strdup(addr);
	}
	freeaddrinfo(ai);
	if (fd < 0)
		cp_error_set_errno(err, CERTPICK_ERR_NETWORK, last, "cannot connect to '%s' port %s",
		    host, port);
	return fd;
}

static bool
is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static SSL_CTX *
make_ctx(const struct certpick_get_options *o, struct certpick_error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct stat st;

	if (ctx == NULL) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, (o->flags & CERTPICK_PROBE_TLS13_ONLY) ?
	    TLS1_3_VERSION : TLS1_2_VERSION);
	if (o->flags & CERTPICK_PROBE_TLS12_ONLY)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	/* the selection decided what is sent; OpenSSL must not refuse a weak client key */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (o->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
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

/*
 * The candidate's private key: in memory, or opened on its PKCS#11 token
 * (*tok then owns it until the connection is gone). NULL with err set.
 */
static EVP_PKEY *
identity_key(const struct certpick_candidate *c, const struct certpick_get_options *o,
    struct cp_p11_key **tok, struct certpick_error *err)
{
	EVP_PKEY *key = certpick_candidate_get0_pkey(c);
	enum certpick_key_store store = certpick_candidate_key_store(c);

	if (key != NULL)
		return key;
	if (store == CERTPICK_KEY_PKCS11 && cp_candidate_key_uri(c) != NULL) {
		if (cp_p11_key_open(cp_candidate_key_uri(c), o->token_login, tok, err) != 0)
			return NULL;
		return cp_p11_key_pkey(*tok);
	}
	cp_error_set(err, CERTPICK_ERR_USAGE, "cannot use '%s': %s", certpick_candidate_source(c),
	    store == CERTPICK_KEY_NONE ? "no private key found" :
	    store == CERTPICK_KEY_NSS ? "its key is in an NSS database (use a file or .p12 for get)" :
	    "its key is in a store get cannot open (use a file or .p12)");
	return NULL;
}

/* The candidate's certificate, key and the chain the selection says to send. */
static int
use_identity(SSL *ssl, const struct certpick_candset *set, const struct certpick_candidate *c,
    const struct certpick_sel_candidate *sel, const struct certpick_get_options *o,
    struct cp_p11_key **tok, struct certpick_error *err)
{
	EVP_PKEY *key;
	STACK_OF(X509) *pool = certpick_candset_get0_pool(set);
	STACK_OF(X509) *own = certpick_candidate_get0_chain(c);

	if ((key = identity_key(c, o, tok, err)) == NULL)
		return -1;
	/* a token's key has no public half to compare: the token signs, the server checks */
	if (SSL_use_certificate(ssl, certpick_candidate_get0_x509(c)) != 1 ||
	    SSL_use_PrivateKey(ssl, key) != 1 || (*tok == NULL && SSL_check_private_key(ssl) != 1))
		return cp_error_set_ossl(err, CERTPICK_ERR_USAGE, "cannot use the key of '%s'",
		    certpick_candidate_source(c));
	if (sel == NULL) {
		for (int i = 0; i < sk_X509_num(own); i++)
			if (SSL_add1_chain_cert(ssl, sk_X509_value(own, i)) != 1)
				return cp_error_nomem(err);
		return 0;
	}
	for (size_t k = 1; k < sel->n_chain; k++) {
		X509 *found = NULL;
		char hex[65];

		for (int i = 0; i < sk_X509_num(own) && found == NULL; i++)
			if (cp_x509_sha256_hex(sk_X509_value(own, i), hex, err) == 0 &&
			    strcmp(hex, sel->chain[k].sha256) == 0)
				found = sk_X509_value(own, i);
		for (int i = 0; i < sk_X509_num(pool) && found == NULL; i++)
			if (cp_x509_sha256_hex(sk_X509_value(pool, i), hex, err) == 0 &&
			    strcmp(hex, sel->chain[k].sha256) == 0)
				found = sk_X509_value(pool, i);
		if (found == NULL)
			return cp_error_set(err, CERTPICK_ERR_INTERNAL,
			    "chain certificate '%s' not found in the sources", sel->chain[k].subject);
		if (SSL_add1_chain_cert(ssl, found) != 1)
			return cp_error_nomem(err);
	}
	return 0;
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
		t = cp_asprintf("%sAccept: */*\r\n", head);
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

	if (res->alert >= 0) {
		cp_error_set(&res->error, CERTPICK_ERR_TLS, "the server ended the connection %s "
		    "with alert %d (%s)", what, res->alert, certpick_alert_name(res->alert) ?
		    certpick_alert_name(res->alert) : "?");
		ERR_clear_error();
	} else if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		cp_error_set(&res->error, CERTPICK_ERR_NETWORK, "timed out %s", what);
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

/* "Transfer-Encoding: ... chunked" among the header lines of head[0..len). */
static bool
is_chunked(const char *head, size_t len)
{
	static const char name[] = "transfer-encoding:";
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);

		if (n > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
			for (size_t i = sizeof(name) - 1; i + 7 <= n; i++)
				if (strncasecmp(p + i, "chunked", 7) == 0)
					return true;
		}
		p += n + 1;
	}
	return false;
}

/* RFC 9112 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF; bounded, lenient. */
static size_t
dechunk(const char *b, size_t blen, unsigned char *out)
{
	size_t at = 0, n_out = 0;

	while (at < blen) {
		size_t n = 0, i = at;
		int digits = 0;

		for (; i < blen && digits < 15; i++, digits++) {
			int c = (unsigned char)b[i], v = c >= '0' && c <= '9' ? c - '0' :
			    c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (v < 0)
				break;
			n = n * 16 + (size_t)v;
		}
		const char *nl = memchr(b + i, '\n', blen - i);
		if (digits == 0 || nl == NULL || n == 0)
			break;
		size_t data = (size_t)(nl + 1 - b);
		if (n > blen - data)
			n = blen - data;	/* truncated answer: keep what came */
		memcpy(out + n_out, b + data, n);
		n_out += n;
		at = data + n;
		if (at < blen && b[at] == '\r')
			at++;
		if (at < blen && b[at] == '\n')
			at++;
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
		res->body_len = dechunk(buf + hlen, len - hlen, res->body);
	} else {
		memcpy(res->body, buf + hlen, len - hlen);
		res->body_len = len - hlen;
	}
	res->body[res->body_len] = '\0';
	return 0;
}

static int
exchange(struct get_ctx *g, SSL *ssl, const char *req, size_t req_len)
{
	struct certpick_get_result *res = g->res;
	size_t max = g->o->max_response ? g->o->max_response : DEFAULT_MAX_RESPONSE;
	size_t len = 0, cap = 0, w;
	char *buf = NULL;
	int rc, pr = 0, ret = -1;

	if ((rc = SSL_write_ex(ssl, req, req_len, &w)) != 1) {
		tls_failed(g, ssl, rc, "while sending the request");
		return 0;
	}
	res->request_sent = true;
	trace(g, "request sent (%zu bytes)", req_len);
	for (;;) {
		size_t got;

		if (len + 16384 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 32768;
			char *t;

			if ((t = cp_realloc(buf, ncap)) == NULL)
				goto out;
			buf = t;
			cap = ncap;
		}
		size_t want = cap - len - 1 < max + 1 - len ? cap - len - 1 : max + 1 - len;
		rc = SSL_read_ex(ssl, buf + len, want, &got);
		if (rc == 1) {
			len += got;
			if (len > max) {
				res->truncated = true;
				len = max;
				pr = cp_http_parse(buf, len, true, &res->http);
				break;
			}
			if ((pr = cp_http_parse(buf, len, false, &res->http)) != 0)
				break;
			continue;
		}
		int e = SSL_get_error(ssl, rc);
		if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
		    errno == 0 && len > 0)) {
			ERR_clear_error();
			pr = len > 0 ? cp_http_parse(buf, len, true, &res->http) : 0;
			if (len == 0)
				cp_error_set(&res->error, CERTPICK_ERR_NETWORK, "the server closed the "
				    "connection without an answer");
			break;
		}
		if (len > 0 && res->alert < 0)
			pr = cp_http_parse(buf, len, true, &res->http);
		if (pr != 1)
			tls_failed(g, ssl, rc, "while waiting for the answer");
		break;
	}
	if (pr == -2)
		goto out;
	if (pr == -1 && res->error.code == CERTPICK_OK)
		cp_error_set(&res->error, CERTPICK_ERR_NETWORK, "the answer is not HTTP");
	if (pr == 1 && cp_get_answer(res, buf, len) != 0)
		goto out;
	if (pr == 1) {
		certpick_error_clear(&res->error);
		trace(g, "answer: HTTP %d (%zu bytes)", res->status, len);
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
	struct cp_p11_key *tok = NULL;
	size_t req_len = 0;
	int fd = -1, rc, ret = -1;

	if (strncmp(url, "https://", 8) != 0) {
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
	if (chosen != NULL && use_identity(ssl, set, chosen, sel, o, &tok, err) != 0)
		goto out;
	if (!o->no_pha)
		SSL_set_post_handshake_auth(ssl, 1);
	if (o->no_renegotiation)
		SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
	SSL_set_msg_callback(ssl, msg_cb);
	SSL_set_msg_callback_arg(ssl, g);
	if (!is_ip(name) && SSL_set_tlsext_host_name(ssl, name) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_USAGE, "bad server name '%s'", name);
		goto out;
	}
	if (!o->insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

		if ((is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(vp, name) :
		    SSL_set1_host(ssl, name)) != 1) {
			cp_error_set_ossl(err, CERTPICK_ERR_USAGE, "bad server name '%s'", name);
			goto out;
		}
	}
	ret = 0;	/* from here on, failures are results */
	if (o->connect_to != NULL) {
		if (split_connect_to(o->connect_to, port, &dhost, &dport, err) != 0) {
			ret = -1;
			goto out;
		}
	}
	if ((fd = dial(g, dhost ? dhost : host, dport ? dport : port, &g->res->error)) < 0)
		goto out;
	if (SSL_set_fd(ssl, fd) != 1) {
		cp_error_set_ossl(&g->res->error, CERTPICK_ERR_INTERNAL, "cannot attach the socket");
		goto out;
	}
	if ((rc = SSL_connect(ssl)) != 1) {
		tls_failed(g, ssl, rc, "during the handshake");
		goto out;
	}
	g->handshake_done = true;
	g->res->tls_version = (uint16_t)SSL_version(ssl);
	g->res->cipher = cp_strdup(SSL_get_cipher_name(ssl));
	g->res->server_verified = !o->insecure && SSL_get_verify_result(ssl) == X509_V_OK;
	trace(g, "handshake done: %s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
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
	cp_p11_key_close(tok);	/* after the connection that signed with it */
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

	*out = NULL;
	if (chosen != NULL && set == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "a candidate needs its set");
	if ((g.res = cp_calloc(1, sizeof(*g.res))) == NULL)
		return cp_error_nomem(err);
	g.res->alert = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (run(&g, url, set, chosen, sel, err) != 0) {
		for (size_t i = 0; i < g.cap.n_requests; i++) {
			certpick_certreq_free(g.cap.requests[i].req);
			free(g.cap.requests[i].parse_error);
		}
		free(g.cap.requests);
		certpick_get_result_free(g.res);
		return -1;
	}
	g.res->requests = g.cap.requests;
	g.res->n_requests = g.cap.n_requests;
	g.res->ms = ms_since(&t0);
	*out = g.res;
	return 0;
}
