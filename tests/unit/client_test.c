/*
 * client.c: the --connect-to forms, addresses, the alert policy of the one
 * message callback, and the identity loader (a PEM pair, a PKCS#12, a wrong
 * password, a key that does not match).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "testutil.h"
#include "tls_fixture.h"
#include "internal.h"
#include "client.h"

struct ct_row {
	const char *in, *host, *port; /* host NULL: refused */
};

static const struct ct_row ct_rows[] = {
	{ "10.0.0.1", "10.0.0.1", "443" },
	{ "10.0.0.1:8443", "10.0.0.1", "8443" },
	{ "name.example:1", "name.example", "1" },
	{ "[::1]:9443", "::1", "9443" },
	{ "[::1]", "::1", "443" },
	{ "::1", "::1", "443" }, /* a bare IPv6 address */
	{ "h:0", "h", "0" },
	{ "h:65536", NULL, NULL },
	{ "h:x", NULL, NULL },
	{ "h:", NULL, NULL },
	{ ":1", NULL, NULL },
	{ "[::1", NULL, NULL },
	{ "[::1]x", NULL, NULL },
	{ "[]:1", NULL, NULL },
	{ "a b:1", NULL, NULL },
};

static void
connect_to_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ct_rows) / sizeof(ct_rows[0]); i++) {
		const struct ct_row *r = &ct_rows[i];
		struct certpick_error err;
		char *h, *p;
		int rc = cp_client_connect_to(r->in, "443", &h, &p, &err);

		if (r->host == NULL) {
			if (rc != -1)
				fail_msg("'%s' accepted", r->in);
			assert_int_equal(err.code, CERTPICK_ERR_USAGE);
			assert_null(h);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s': %s", r->in, err.message);
		assert_string_equal(h, r->host);
		assert_string_equal(p, r->port);
		free(h);
		free(p);
	}
}

static void
addresses(void **state)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(8443) };
	char out[80];

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
	inet_pton(AF_INET6, "::1", &a6.sin6_addr);
	cp_client_format_address((struct sockaddr *)&a4, out, sizeof(out));
	assert_string_equal(out, "127.0.0.1:443");
	cp_client_format_address((struct sockaddr *)&a6, out, sizeof(out));
	assert_string_equal(out, "[::1]:8443");
	assert_true(cp_client_is_ip("::1"));
	assert_true(cp_client_is_ip("10.1.2.3"));
	assert_false(cp_client_is_ip("localhost"));
}

/* The alert policy, through the callback OpenSSL would call. */
static void
alert_policy(void **state)
{
	SSL_CTX *ctx = cp_client_ctx_new(0, 0, true, NULL);
	SSL *ssl = SSL_new(ctx);
	struct cp_capture cap = { .alert = -1 };
	void (*cb)(int, int, int, const void *, size_t, SSL *, void *) = cp_client_msg_cb;
	static const unsigned char close_notify[2] = { 1, 0 }, warn[2] = { 1, 90 },
				   fatal[2] = { 2, 116 }, fatal2[2] = { 2, 40 };

	(void)state;
	cp_client_capture(ssl, &cap);
	cb(0, TLS1_2_VERSION, SSL3_RT_ALERT, close_notify, 2, ssl, &cap);
	assert_true(cap.close_notify);
	assert_int_equal(cap.alert, -1);
	cb(0, TLS1_2_VERSION, SSL3_RT_ALERT, warn, 2, ssl, &cap);
	assert_int_equal(cap.alert, 90); /* a warning is recorded */
	assert_false(cap.alert_fatal);
	cap.request_sent = true;
	cb(0, TLS1_2_VERSION, SSL3_RT_ALERT, fatal, 2, ssl, &cap);
	assert_int_equal(cap.alert, 116); /* a fatal one replaces it */
	assert_true(cap.alert_fatal);
	assert_true(cap.alert_after_request);
	cb(0, TLS1_2_VERSION, SSL3_RT_ALERT, fatal2, 2, ssl, &cap);
	assert_int_equal(cap.alert, 116); /* the first fatal one stays */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

struct files {
	char dir[64], cert[96], key[96], p12[96], other_key[96];
};

static void
write_files(struct files *f)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *x = tf_self_signed(key, "client", 7);
	PKCS12 *p12;
	FILE *fp;

	strcpy(f->dir, "/tmp/cp-client-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cert, sizeof(f->cert), "%s/c.pem", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/k.pem", f->dir);
	snprintf(f->p12, sizeof(f->p12), "%s/c.p12", f->dir);
	snprintf(f->other_key, sizeof(f->other_key), "%s/o.pem", f->dir);
	assert_non_null(fp = fopen(f->cert, "w"));
	PEM_write_X509(fp, x);
	fclose(fp);
	assert_non_null(fp = fopen(f->key, "w"));
	PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	assert_non_null(fp = fopen(f->other_key, "w"));
	PEM_write_PrivateKey(fp, other, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	p12 = PKCS12_create("pw", "client", key, x, NULL, 0, 0, 0, 0, 0);
	assert_non_null(p12);
	assert_non_null(fp = fopen(f->p12, "wb"));
	i2d_PKCS12_fp(fp, p12);
	fclose(fp);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void
remove_files(const struct files *f)
{
	unlink(f->cert);
	unlink(f->key);
	unlink(f->p12);
	unlink(f->other_key);
	rmdir(f->dir);
}

static void
identity_sources(void **state)
{
	struct files f;
	struct cp_identity id;
	struct certpick_error err;
	SSL_CTX *ctx = cp_client_ctx_new(0, 0, false, NULL);
	SSL *ssl = SSL_new(ctx);

	(void)state;
	write_files(&f);
	assert_ok(cp_identity_load(&id, f.cert, f.key, NULL, &err), &err);
	assert_ok(cp_identity_use(ssl, &id, &err), &err);
	cp_identity_release(&id);
	assert_ok(cp_identity_load(&id, f.p12, NULL, "pw", &err), &err);
	assert_non_null(id.key);
	assert_null(id.tok);
	cp_identity_release(&id);
	assert_int_equal(cp_identity_load(&id, f.p12, NULL, "wrong", &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PASSWORD);
	assert_int_equal(cp_identity_load(&id, f.cert, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.message, "private key"));
	assert_int_equal(cp_identity_load(&id, f.cert, f.other_key, NULL, &err), -1);
	assert_null(id.cert);
	remove_files(&f);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(connect_to_forms),
		cmocka_unit_test(addresses),
		cmocka_unit_test(alert_policy),
		cmocka_unit_test(identity_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
