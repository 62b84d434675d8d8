/*
 * probe_engine.c against an in-process OpenSSL server on loopback (a thread
 * that asks for a certificate), a closed port, a silent listener, several
 * targets at once, and options that must be refused before anything starts.
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

struct server {
	int lfd;
	int port;
	SSL_CTX *ctx;
	int accepts;
	pthread_t thread;
};

static void *
serve(void *arg)
{
	struct server *s = arg;

	for (int i = 0; i < s->accepts; i++) {
		int fd = accept(s->lfd, NULL, NULL);
		SSL *ssl;
		char buf[1024];

		if (fd < 0)
			break;
		ssl = SSL_new(s->ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1 && SSL_read(ssl, buf, sizeof(buf)) > 0) {
			static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

			SSL_write(ssl, ok, sizeof(ok) - 1);
			SSL_shutdown(ssl);
		}
		SSL_free(ssl);
		close(fd);
	}
	return NULL;
}

/* A TLS 1.2 server that names "CN=Unit CA"; `require`: fail without a certificate. */
static void
server_start(struct server *s, bool require, int accepts)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = tf_self_signed(key, "localhost", 1);
	STACK_OF(X509_NAME) *cas = sk_X509_NAME_new_null();
	X509_NAME *ca = X509_NAME_new();

	X509_NAME_add_entry_by_txt(ca, "CN", MBSTRING_UTF8, (const unsigned char *)"Unit CA", -1,
	    -1, 0);
	sk_X509_NAME_push(cas, ca);
	s->ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_max_proto_version(s->ctx, TLS1_2_VERSION);
	SSL_CTX_use_certificate(s->ctx, cert);
	SSL_CTX_use_PrivateKey(s->ctx, key);
	SSL_CTX_set_client_CA_list(s->ctx, cas);
	SSL_CTX_set_verify(s->ctx,
	    SSL_VERIFY_PEER | (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	X509_free(cert);
	EVP_PKEY_free(key);
	s->accepts = accepts;
	s->lfd = tf_listen_loopback(&s->port);
	pthread_create(&s->thread, NULL, serve, s);
}

static void
server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
}

static void
required_tls12(void **state)
{
	struct server s;
	struct certpick_probe_options o = { .timeout_ms = 5000 };
	struct certpick_probe_result *r;
	struct certpick_error err;
	char target[64];

	(void)state;
	server_start(&s, true, 1);
	snprintf(target, sizeof(target), "127.0.0.1:%d", s.port);
	assert_ok(certpick_probe_run(target, &o, &r, &err), &err);
	server_stop(&s);
	assert_int_equal(r->client_auth, CERTPICK_CLIENT_AUTH_REQUIRED);
	assert_int_equal(r->evidence, CERTPICK_PROBE_END_ALERT);
	assert_int_equal(r->without_cert.alert, 40);
	assert_false(r->without_cert.certificate_sent);
	assert_int_equal(r->n_requests, 1);
	assert_int_equal(r->requests[0].phase, CERTPICK_PHASE_INITIAL);
	assert_int_equal(r->requests[0].req->n_ca_names, 1);
	assert_string_equal(r->requests[0].req->ca_names[0].rfc4514, "CN=Unit CA");
	assert_null(r->servername); /* no SNI for an address */
	assert_string_equal(r->path, "/");
	assert_int_equal(r->error.code, CERTPICK_OK);
	certpick_probe_result_free(r);
}

static void
optional_with_path(void **state)
{
	struct server s;
	struct certpick_probe_options o = { .timeout_ms = 5000, .servername = "unit.test" };
	struct certpick_probe_result *r;
	struct certpick_error err;
	char target[64];

	(void)state;
	server_start(&s, false, 1);
	snprintf(target, sizeof(target), "https://127.0.0.1:%d/a/b", s.port);
	assert_ok(certpick_probe_run(target, &o, &r, &err), &err);
	server_stop(&s);
	assert_int_equal(r->client_auth, CERTPICK_CLIENT_AUTH_OPTIONAL);
	assert_int_equal(r->without_cert.http.status, 200);
	assert_string_equal(r->path, "/a/b");
	assert_string_equal(r->servername, "unit.test");
	assert_int_equal(r->without_cert.tls_version, 0x0303);
	certpick_probe_result_free(r);
}

static void
closed_port(void **state)
{
	int port, fd = tf_listen_loopback(&port);
	struct certpick_probe_options o = { .timeout_ms = 2000 };
	struct certpick_probe_result *r;
	struct certpick_error err;
	char target[64];

	(void)state;
	close(fd);
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	assert_ok(certpick_probe_run(target, &o, &r, &err), &err);
	assert_int_equal(r->client_auth, CERTPICK_CLIENT_AUTH_UNKNOWN);
	assert_int_equal(r->error.code, CERTPICK_ERR_NETWORK);
	assert_non_null(strstr(r->error.message, "cannot connect"));
	certpick_probe_result_free(r);
}

/* a listener that never speaks: the handshake phase times out */
static void
silent_listener(void **state)
{
	int port, fd = tf_listen_loopback(&port);
	struct certpick_probe_options o = { .timeout_ms = 200 };
	struct certpick_probe_result *r;
	struct certpick_error err;
	char target[64];

	(void)state;
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	assert_ok(certpick_probe_run(target, &o, &r, &err), &err);
	close(fd);
	assert_int_equal(r->client_auth, CERTPICK_CLIENT_AUTH_UNKNOWN);
	assert_int_equal(r->evidence, CERTPICK_PROBE_END_TIMEOUT);
	assert_non_null(strstr(r->error.message, "timed out"));
	certpick_probe_result_free(r);
}

struct collected {
	size_t n;
	bool seen[3];
	enum certpick_client_auth auth[3];
};

static void
collect(void *arg, size_t index, struct certpick_probe_result *r)
{
	struct collected *c = arg;

	c->n++;
	c->seen[index] = true;
	c->auth[index] = r->client_auth;
	certpick_probe_result_free(r);
}

static void
many(void **state)
{
	struct server s;
	int port, fd = tf_listen_loopback(&port);
	char t0[64], t1[64];
	const char *targets[3] = { t0, t1, "not a target:x" };
	struct certpick_probe_options o = { .timeout_ms = 3000 };
	struct collected c = { 0 };
	struct certpick_error err;

	(void)state;
	close(fd);
	server_start(&s, true, 1);
	snprintf(t0, sizeof(t0), "127.0.0.1:%d", s.port);
	snprintf(t1, sizeof(t1), "127.0.0.1:%d", port);
	assert_ok(certpick_probe_run_many(targets, 3, 2, &o, collect, &c, &err), &err);
	server_stop(&s);
	assert_int_equal(c.n, 3);
	assert_true(c.seen[0] && c.seen[1] && c.seen[2]);
	assert_int_equal(c.auth[0], CERTPICK_CLIENT_AUTH_REQUIRED);
	assert_int_equal(c.auth[1], CERTPICK_CLIENT_AUTH_UNKNOWN);
	assert_int_equal(c.auth[2], CERTPICK_CLIENT_AUTH_UNKNOWN);
}

static void
refused_options(void **state)
{
	struct certpick_probe_result *r;
	struct certpick_error err;
	struct certpick_probe_options both = { .flags = CERTPICK_PROBE_TLS12_ONLY |
		    CERTPICK_PROBE_TLS13_ONLY };
	struct certpick_probe_options nocert = { .cert_file = "/nonexistent/cert.pem" };
	struct certpick_probe_options keyonly = { .key_file = "k.pem" };

	(void)state;
	assert_int_equal(certpick_probe_run("127.0.0.1:1", &both, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_int_equal(certpick_probe_run("127.0.0.1:1", &nocert, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	assert_non_null(strstr(err.message, "/nonexistent/cert.pem"));
	assert_int_equal(certpick_probe_run("127.0.0.1:1", &keyonly, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_int_equal(certpick_probe_run("gopher://x", &keyonly, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_null(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(required_tls12),
		cmocka_unit_test(optional_with_path),
		cmocka_unit_test(closed_port),
		cmocka_unit_test(silent_listener),
		cmocka_unit_test(many),
		cmocka_unit_test(refused_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
