/* probe_http.c: HTTP answers as servers send them, partial reads, and non-HTTP bytes. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

struct row {
	const char *in;
	bool final;
	int want_rc;
	int status;
	const char *reason, *title, *server;
	bool required, refused;
};

static const struct row rows[] = {
	{ /* nginx ssl_verify_client on, no certificate */
	    "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
	    "Content-Length: 60\r\nConnection: close\r\n\r\n"
	    "<html>\r\n<head><title>400 No required SSL certificate was sent</title>",
	    false, 1, 400, "Bad Request", "400 No required SSL certificate was sent",
	    "nginx/1.22.1", true, false },
	{ /* nginx, a refused certificate */
	    "HTTP/1.1 400 Bad Request\r\nContent-Length: 50\r\n\r\n"
	    "<html><head><title>400 The SSL certificate error</title>",
	    false, 1, 400, "Bad Request", "400 The SSL certificate error", NULL, false, true },
	{ /* Apache, TLS 1.3 client without post_handshake_auth */
	    "HTTP/1.1 403 Forbidden\r\nContent-Length: 80\r\n\r\n<title>403 Forbidden</title>\n"
	    "<p>Reason: Cannot perform Post-Handshake Authentication.<br /></p>",
	    false, 1, 403, "Forbidden", "403 Forbidden", NULL, true, false },
	{ /* IIS 403.7 */
	    "HTTP/1.1 403 Forbidden\r\nServer: Microsoft-IIS/10.0\r\nContent-Length: 40\r\n\r\n"
	    "<title>403 - Forbidden: Access is denied.</title> 403.7",
	    false, 1, 403, "Forbidden", "403 - Forbidden: Access is denied.", "Microsoft-IIS/10.0",
	    true, false },
	{ /* IIS over TLS 1.3 asking per path */
	    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 25\r\n\r\nError Code 0x80070032 ...",
	    false, 1, 500, "Internal Server Error", NULL, NULL, true, false },
	{ /* IIS 403.16 */
	    "HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\n403.16 xyz", false, 1, 403,
	    "Forbidden", NULL, NULL, false, true },
	{ /* headers only so far */ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", false, 0, 0, NULL,
	    NULL, NULL, false, false },
	{ /* a body still coming */ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", false, 0, 0,
	    NULL, NULL, NULL, false, false },
	{ /* the same at EOF */ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", true, 1, 200,
	    "OK", NULL, NULL, false, false },
	{ /* no length: complete only at EOF */ "HTTP/1.0 200 ok\r\n\r\n<TITLE>  a\n  b </TITLE>",
	    false, 0, 0, NULL, NULL, NULL, false, false },
	{ /* ... and at EOF, title collapsed */ "HTTP/1.0 200 ok\r\n\r\n<TITLE>  a\n  b </TITLE>",
	    true, 1, 200, "ok", "a b", NULL, false, false },
	{ /* chunked, complete */
	    "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	    false, 1, 404, "Not Found", NULL, NULL, false, false },
	{ /* bare LF line ends */ "HTTP/1.1 204 No Content\nContent-Length: 0\n\n", false, 1, 204,
	    "No Content", NULL, NULL, false, false },
	{ /* no reason phrase */ "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, 1, 200, NULL,
	    NULL, NULL, false, false },
	{ /* an unterminated title */ "HTTP/1.1 200 OK\r\n\r\n<title>abc", true, 1, 200, "OK",
	    "abc", NULL, false, false },
	{ /* F12: DEL, C1 CSI, ESC and a bidi override in reason, title and Server are escaped, not dropped or kept */
	    "HTTP/1.1 403 Forbid\x7f\xc2\x9b"
	    "2J\r\nServer: x\x1b[31m\xe2\x80\xae\xff\r\nContent-Length: 0\r\n\r\n"
	    "<title>a\x1b]0;t\x07\n b</title>",
	    true, 1, 403, "Forbid\\x7f\\u009b2J", "a\\x1b]0;t\\x07 b", "x\\x1b[31m\\u202e\\xff",
	    false, false },
	{ /* a prefix of HTTP/ */ "HTT", false, 0, 0, NULL, NULL, NULL, false, false },
	{ /* not HTTP */ "SSH-2.0-OpenSSH\r\n", false, -1, 0, NULL, NULL, NULL, false, false },
	{ /* not HTTP, short */ "hi", false, -1, 0, NULL, NULL, NULL, false, false },
	{ /* a bad status */ "HTTP/1.1 2x0 OK\r\n\r\n", false, -1, 0, NULL, NULL, NULL, false,
	    false },
	{ /* a status line cut short at EOF */ "HTTP/1.1 20", true, -1, 0, NULL, NULL, NULL, false,
	    false },
};

static void
table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct certpick_probe_http h = { 0 };
		size_t len = strlen(r->in);
		char *copy = malloc(len + 1);
		int rc;

		/* exactly len bytes, so ASan sees any over-read */
		memcpy(copy, r->in, len);
		rc = cp_http_parse(copy, len, r->final, &h);
		if (rc != r->want_rc)
			fail_msg("row %zu: rc %d, want %d", i, rc, r->want_rc);
		if (rc == 1) {
			assert_int_equal(h.status, r->status);
			if (r->reason == NULL)
				assert_null(h.reason);
			else
				assert_string_equal(h.reason, r->reason);
			if (r->title == NULL)
				assert_null(h.title);
			else
				assert_string_equal(h.title, r->title);
			if (r->server != NULL)
				assert_string_equal(h.server, r->server);
			assert_int_equal(h.cert_required_page, r->required);
			assert_int_equal(h.cert_error_page, r->refused);
		}
		cp_http_release(&h);
		free(copy);
	}
}

/* the same answer read in every possible split gives the same result */
static void
every_split(void **state)
{
	static const char in[] =
	    "HTTP/1.1 400 Bad Request\r\nContent-Length: 52\r\n\r\n"
	    "<html><head><title>400 No required SSL certificate was sent</title>";
	size_t len = strlen(in);

	(void)state;
	for (size_t k = 1; k <= len; k++) {
		struct certpick_probe_http h = { 0 };
		int rc = cp_http_parse(in, k, false, &h);

		if (k < 48 + 52 && k < len)
			assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			assert_int_equal(h.status, 400);
		}
		cp_http_release(&h);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(every_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
