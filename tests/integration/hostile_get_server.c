/*
 * A hostile HTTPS server for `certpick get` (tests/integration/test_get.py).
 * Usage: hostile_get_server MODE CERT KEY. Listens on 127.0.0.1, an
 * ephemeral port printed on stdout. The first connection (get's probe step)
 * is answered normally; every later one (get's request) meets MODE, paced by
 * this server's own clock and kept up until the server is killed:
 *   drip              one header byte every 0.5 s, the header never ends
 *   drip-body         Content-Length: 100000, one body byte every 0.5 s
 *   continue-forever  "HTTP/1.1 100 Continue" every 10 ms
 *   reneg-loop        TLS 1.2: renegotiate with a CertificateRequest, again and again
 *   pha-loop          TLS 1.3: post-handshake CertificateRequest, again and again
 *   hs-stall          a handshake record header for 16 KiB, then one byte a second
 *   huge-headers      8 KiB header lines, never a blank line
 *   chunked-big       a complete 15 MB chunked answer of 1-byte chunks, then close
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static void
pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
accept_any(int preverify, X509_STORE_CTX *x)
{
	(void)preverify;
	(void)x;
	return 1;
}

/* Read the request head (blocking), so the hostility is in the answer. */
static int
read_request(SSL *ssl)
{
	char buf[4096];
	size_t len = 0, got;

	while (len < sizeof(buf) - 1 && SSL_read_ex(ssl, buf + len, sizeof(buf) - 1 - len, &got)) {
		len += got;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

static int
put(SSL *ssl, const char *s, size_t n)
{
	size_t w;

	return SSL_write_ex(ssl, s, n, &w) == 1 ? 0 : -1;
}

static void
drip(SSL *ssl, const char *head)
{
	if (head != NULL && put(ssl, head, strlen(head)) != 0)
		return;
	for (;;) {
		if (put(ssl, "a", 1) != 0)
			return;
		pause_ms(500);
	}
}

static void
continue_forever(SSL *ssl)
{
	static const char c[] = "HTTP/1.1 100 Continue\r\n\r\n";

	while (put(ssl, c, sizeof(c) - 1) == 0)
		pause_ms(10);
}

static void
huge_headers(SSL *ssl)
{
	static char line[8192 + 16];

	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Big: ", 7);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	if (put(ssl, "HTTP/1.1 200 OK\r\n", 17) != 0)
		return;
	while (put(ssl, line, sizeof(line)) == 0)
		;
}

static void
chunked_big(SSL *ssl)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	static char block[6 * 10000];

	for (size_t i = 0; i < sizeof(block); i += 6)
		memcpy(block + i, "1\r\nx\r\n", 6);
	if (put(ssl, head, sizeof(head) - 1) != 0)
		return;
	for (int i = 0; i < 250; i++)	/* 2.5 M chunks, 15 MB */
		if (put(ssl, block, sizeof(block)) != 0)
			return;
	(void)put(ssl, "0\r\n\r\n", 5);
	(void)SSL_shutdown(ssl);
}

/* Ask for a certificate again as soon as the previous request was answered. */
static void
ask_loop(SSL *ssl, int fd, int tls13)
{
	char buf[256];
	size_t got;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		int started = tls13 ? SSL_verify_client_post_handshake(ssl) == 1 :
		    !SSL_renegotiate_pending(ssl) && SSL_renegotiate(ssl) == 1;

		ERR_clear_error();
		if (started)
			(void)SSL_do_handshake(ssl);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) < 0)
			return;
		if (SSL_read_ex(ssl, buf, sizeof(buf), &got) != 1) {
			int e = SSL_get_error(ssl, 0);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				return;
			ERR_clear_error();
		}
		if ((p.revents & (POLLHUP | POLLERR)) != 0)
			return;
	}
}

static void
hs_stall(int fd)
{
	char buf[4096];
	static const unsigned char header[] = { 0x16, 0x03, 0x03, 0x40, 0x00 };

	if (read(fd, buf, sizeof(buf)) <= 0 || write(fd, header, sizeof(header)) < 0)
		return;
	while (write(fd, "\x02", 1) == 1)
		pause_ms(1000);
}

static void
hostile(SSL_CTX *ctx, int fd, const char *mode)
{
	SSL *ssl;

	if (strcmp(mode, "hs-stall") == 0) {
		hs_stall(fd);
		return;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1 ||
	    read_request(ssl) != 0)
		goto out;
	if (strcmp(mode, "drip") == 0)
		drip(ssl, "HTTP/1.1 200 OK\r\nX-Drip: ");
	else if (strcmp(mode, "drip-body") == 0)
		drip(ssl, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
	else if (strcmp(mode, "continue-forever") == 0)
		continue_forever(ssl);
	else if (strcmp(mode, "huge-headers") == 0)
		huge_headers(ssl);
	else if (strcmp(mode, "chunked-big") == 0)
		chunked_big(ssl);
	else if (strcmp(mode, "reneg-loop") == 0 || strcmp(mode, "pha-loop") == 0)
		ask_loop(ssl, fd, strcmp(mode, "pha-loop") == 0);
out:
	SSL_free(ssl);
}

static void
answer_ok(SSL_CTX *ctx, int fd)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	SSL *ssl = SSL_new(ctx);

	if (ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1 &&
	    read_request(ssl) == 0 && put(ssl, ok, sizeof(ok) - 1) == 0)
		(void)SSL_shutdown(ssl);
	SSL_free(ssl);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	SSL_CTX *ctx;
	int ls, one = 1;

	if (argc != 4)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1)
		return 1;
	if (strcmp(argv[1], "reneg-loop") == 0)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (strcmp(argv[1], "pha-loop") == 0)
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 8) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) != 0)
		return 1;
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (int n = 0;; n++) {
		int fd = accept(ls, NULL, NULL);

		if (fd < 0)
			continue;
		if (n == 0) {
			answer_ok(ctx, fd);
		} else {
			/* ask for a certificate on the hostile connection only */
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
			hostile(ctx, fd, argv[1]);
		}
		close(fd);
	}
}
