/*
 * probe_engine.c driving a protocol layer (proto.h): a fake STARTTLS
 * protocol ("test://") against a server thread on loopback. The engine's
 * contract is what is tested: the banner and the verdict reach the result,
 * bytes left over at STARTTLS end the connection, the pending-bytes cap, the
 * deadline of the plaintext phase, and client_auth read from the verdict.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "testutil.h"
#include "tls_fixture.h"
#include "internal.h"
#include "proto.h"

/* ---- the fake protocol: "220 banner", STARTTLS, then HELLO -> "NNN text" ---- */

struct fake {
	int stage;
	bool have_cert;
};

static void
fake_init(void *st, const struct cp_proto_params *p)
{
	((struct fake *)st)->have_cert = p->have_cert;
}

/* one LF-terminated line: its length without CR LF, or 0 when not whole */
static size_t
line(const uint8_t *in, size_t len, size_t *used)
{
	const uint8_t *nl = memchr(in, '\n', len);
	size_t n;

	if (nl == NULL)
		return 0;
	*used = (size_t)(nl - in) + 1;
	n = (size_t)(nl - in);
	return n > 0 && in[n - 1] == '\r' ? n - 1 : n;
}

static enum cp_proto_act
fake_step(void *st, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	struct fake *f = st;
	size_t n = 0;

	*used = 0;
	if (f->stage == 1 && tls_up) {
		cp_buf_str(out, "HELLO\r\n");
		f->stage = 2;
		return CP_PROTO_WRITE;
	}
	if (len == 0 || (n = line(in, len, used)) == 0) {
		if (eof) {
			v->text = strdup("closed");
			return CP_PROTO_FAIL;
		}
		return CP_PROTO_READ;
	}
	switch (f->stage) {
	case 0:
		v->banner = strndup((const char *)in, n);
		cp_buf_str(out, "STARTTLS\r\n");
		f->stage = 1;
		return CP_PROTO_WRITE;
	case 1: return CP_PROTO_STARTTLS;
	default:
		v->code = atoi((const char *)in);
		v->text = strndup((const char *)in + 4, n > 4 ? n - 4 : 0);
		v->sent_auth = f->have_cert;
		v->outcome = v->code == 250 ? CP_PROTO_ACCEPTED : CP_PROTO_REFUSED;
		return CP_PROTO_DONE;
	}
}

static const struct cp_proto_ops fake_ops = {
	.name = "fake",
	.scheme = "test",
	.default_port = "1",
	.state_size = sizeof(struct fake),
	.init = fake_init,
	.step = fake_step,
};

/* ---- the server ---- */

enum mode {
	M_REFUSE,
	M_INJECT,
	M_HUGE,
	M_SILENT
};

struct server {
	int lfd, port;
	enum mode mode;
	SSL_CTX *ctx;
	pthread_t thread;
};

/* read until LF (or the peer closes) */
static void
read_line(int fd)
{
	char ch;

	while (recv(fd, &ch, 1, 0) == 1 && ch != '\n')
		;
}

static void
serve_tls(struct server *s, int fd)
{
	SSL *ssl = SSL_new(s->ctx);
	char buf[256];

	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1 && SSL_read(ssl, buf, sizeof(buf)) > 0) {
		static const char no[] = "535 no certificate, no relay\r\n";

		SSL_write(ssl, no, sizeof(no) - 1);
		(void)SSL_read(ssl, buf, sizeof(buf)); /* the client's close_notify */
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
}

static void *
serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	switch (s->mode) {
	case M_HUGE: {
		char *big = malloc(70000);

		memset(big, 'a', 70000);
		tf_send_all(fd, big, 70000);
		free(big);
		tf_drain(fd);
		break;
	}
	case M_SILENT: tf_drain(fd); break;
	case M_INJECT:
		tf_send_all(fd, "220 hi\r\n", 8);
		read_line(fd);
		tf_send_all(fd, "220 go\r\nEVIL\r\n", 14);
		tf_drain(fd);
		break;
	case M_REFUSE:
	default:
		tf_send_all(fd, "220 hi\r\n", 8);
		read_line(fd);
		tf_send_all(fd, "220 go\r\n", 8);
		serve_tls(s, fd);
		break;
	}
	close(fd);
	return NULL;
}

static void
server_start(struct server *s, enum mode mode)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = tf_self_signed(key, "localhost", 1);

	s->mode = mode;
	s->ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_max_proto_version(s->ctx, TLS1_2_VERSION);
	SSL_CTX_use_certificate(s->ctx, cert);
	SSL_CTX_use_PrivateKey(s->ctx, key);
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL); /* asks, does not require */
	X509_free(cert);
	EVP_PKEY_free(key);
	s->lfd = tf_listen_loopback(&s->port);
	pthread_create(&s->thread, NULL, serve, s);
}

static struct certpick_probe_result *
probe(struct server *s, int timeout_ms)
{
	struct certpick_probe_options o = { .timeout_ms = timeout_ms };
	struct certpick_probe_result *r = NULL;
	struct certpick_error err;
	char target[64];

	snprintf(target, sizeof(target), "test://127.0.0.1:%d", s->port);
	assert_ok(certpick_probe_run(target, &o, &r, &err), &err);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
	return r;
}

/* asked, not required in TLS; the service refused without a certificate: optional */
static void
refused_after_starttls(void **state)
{
	struct server s;
	struct certpick_probe_result *r;

	(void)state;
	server_start(&s, M_REFUSE);
	r = probe(&s, 5000);
	assert_string_equal(r->scheme, "test");
	assert_string_equal(r->protocol, "fake");
	assert_null(r->path);
	assert_int_equal(r->evidence, CERTPICK_PROBE_END_SERVICE);
	assert_int_equal(r->client_auth, CERTPICK_CLIENT_AUTH_OPTIONAL);
	assert_int_equal(r->n_requests, 1);
	assert_int_equal(r->without_cert.service.outcome, CERTPICK_SERVICE_REFUSED);
	assert_int_equal(r->without_cert.service.code, 535);
	assert_string_equal(r->without_cert.service.text, "no certificate, no relay");
	assert_string_equal(r->without_cert.service.banner, "220 hi");
	assert_false(r->without_cert.service.sent_auth);
	assert_true(r->without_cert.handshake_done);
	assert_non_null(strstr(r->evidence_text, "refused the client without a certificate"));
	assert_int_equal(r->error.code, CERTPICK_OK);
	certpick_probe_result_free(r);
}

/* "220 go\r\nEVIL\r\n": the bytes after the STARTTLS answer never reach TLS */
static void
bytes_after_starttls(void **state)
{
	struct server s;
	struct certpick_probe_result *r;

	(void)state;
	server_start(&s, M_INJECT);
	r = probe(&s, 5000);
	assert_int_equal(r->evidence, CERTPICK_PROBE_END_ERROR);
	assert_int_equal(r->client_auth, CERTPICK_CLIENT_AUTH_UNKNOWN);
	assert_false(r->without_cert.handshake_done);
	assert_non_null(strstr(r->error.message, "after its STARTTLS answer"));
	certpick_probe_result_free(r);
}

/* 70000 bytes without a line end: the pending cap ends it */
static void
reply_too_long(void **state)
{
	struct server s;
	struct certpick_probe_result *r;

	(void)state;
	server_start(&s, M_HUGE);
	r = probe(&s, 5000);
	assert_int_equal(r->evidence, CERTPICK_PROBE_END_ERROR);
	assert_non_null(strstr(r->error.message, "reply too long"));
	certpick_probe_result_free(r);
}

/* a server that never greets: the plaintext phase has its deadline */
static void
silent_before_tls(void **state)
{
	struct server s;
	struct certpick_probe_result *r;

	(void)state;
	server_start(&s, M_SILENT);
	r = probe(&s, 300);
	assert_int_equal(r->evidence, CERTPICK_PROBE_END_TIMEOUT);
	assert_int_equal(r->client_auth, CERTPICK_CLIENT_AUTH_UNKNOWN);
	assert_non_null(strstr(r->error.message, "before TLS"));
	certpick_probe_result_free(r);
}

static void
unknown_scheme_and_alpn(void **state)
{
	struct certpick_probe_options bad = { .alpn = "h2,,x" };
	struct certpick_probe_result *r = NULL;
	struct certpick_error err;

	(void)state;
	assert_int_equal(certpick_probe_run("gopher://h", &bad, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_int_equal(certpick_probe_run("tls://127.0.0.1:1", &bad, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_non_null(strstr(err.message, "ALPN"));
	assert_null(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused_after_starttls),
		cmocka_unit_test(bytes_after_starttls),
		cmocka_unit_test(reply_too_long),
		cmocka_unit_test(silent_before_tls),
		cmocka_unit_test(unknown_scheme_and_alpn),
	};

	cp_target_test_layer = &fake_ops;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
