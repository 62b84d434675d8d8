/*
 * A GnuTLS client with several certificate credentials and no retrieve
 * callback, for certpick's differential test: GnuTLS picks the certificate
 * itself (_gnutls_select_client_cert / find_x509_client_cert).
 * usage: gnutls_client HOST PORT tls1.2|tls1.3 CHAIN.pem KEY.pem [CHAIN.pem KEY.pem ...]
 * Prints the answer of `openssl s_server -www` (it shows the client certificate).
 * Built at test time: cc gnutls_client.c -o gnutls_client $(pkg-config --cflags --libs gnutls)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

int
main(int argc, char **argv)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	struct sockaddr_in sa = { 0 };
	struct timeval tv = { .tv_sec = 10 };
	char buf[4096], req[512];
	int fd, rc, req_len;
	ssize_t n;

	if (argc < 4 || (argc - 4) % 2 != 0) {
		fprintf(stderr, "usage: gnutls_client HOST PORT tls1.2|tls1.3 [CHAIN KEY]...\n");
		return 2;
	}
	gnutls_global_init();
	gnutls_certificate_allocate_credentials(&cred);
	for (int i = 4; i + 1 < argc; i += 2) {
		rc = gnutls_certificate_set_x509_key_file2(cred, argv[i], argv[i + 1],
		    GNUTLS_X509_FMT_PEM, NULL, 0);
		if (rc < 0) {
			fprintf(stderr, "load %s: %s\n", argv[i], gnutls_strerror(rc));
			return 1;
		}
	}
	gnutls_init(&s, GNUTLS_CLIENT);
	rc = gnutls_priority_set_direct(s, strcmp(argv[3], "tls1.2") == 0 ?
	    "NORMAL:-VERS-ALL:+VERS-TLS1.2" : "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	if (rc < 0) {
		fprintf(stderr, "priority: %s\n", gnutls_strerror(rc));
		return 1;
	}
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("connect");
		return 1;
	}
	gnutls_transport_set_int(s, fd);
	do {
		rc = gnutls_handshake(s);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		fprintf(stderr, "handshake: %s\n", gnutls_strerror(rc));
		return 1;
	}
	req_len = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n",
	    getenv("SELCLIENT_PATH") != NULL ? getenv("SELCLIENT_PATH") : "/");
	gnutls_record_send(s, req, (size_t)req_len);
	while ((n = gnutls_record_recv(s, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (gnutls_error_is_fatal((int)n)) {
				fprintf(stderr, "recv: %s\n", gnutls_strerror((int)n));
				break;
			}
			continue;
		}
		fwrite(buf, 1, (size_t)n, stdout);
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
	close(fd);
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	gnutls_global_deinit();
	return 0;
}
