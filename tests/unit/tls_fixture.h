/*
 * Shared by the unit tests that need a TLS peer or a certificate made on the
 * spot (client_test.c, probe_engine_test.c, probe_engine_layer_test.c): a
 * self-signed certificate, a loopback listener on an ephemeral port, and the
 * blocking socket helpers a server thread uses. Header-only (static): each runner links testutil.c
 * alone, and not every runner needs OpenSSL's server side or sockets.
 */
#ifndef CERTPICK_TLS_FIXTURE_H
#define CERTPICK_TLS_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "testutil.h"

/* A certificate for key, CN=cn, valid from an hour ago for two hours; caller frees. */
static inline X509 *
tf_self_signed(EVP_PKEY *key, const char *cn, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

/* A listening socket on 127.0.0.1, its port in *port; the caller closes it. */
static inline int
tf_listen_loopback(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Write all of s[0..n) (until the peer goes away). */
static inline void
tf_send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Read and drop until the peer closes. */
static inline void
tf_drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

#endif
