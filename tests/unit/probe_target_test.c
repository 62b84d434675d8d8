/* probe_target.c: the target forms, and what is not a target. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

struct row {
	const char *in;
	const char *host, *port, *path; /* host NULL: an error */
};

static const struct row rows[] = {
	{ /* a name */ "example.net", "example.net", "443", NULL },
	{ /* a name and port */ "example.net:8443", "example.net", "8443", NULL },
	{ /* IPv4 */ "127.0.0.1:1", "127.0.0.1", "1", NULL },
	{ /* IPv6 in brackets */ "[::1]:9443", "::1", "9443", NULL },
	{ /* IPv6 without port */ "[2001:db8::1]", "2001:db8::1", "443", NULL },
	{ /* a URL */ "https://h.example/secure/x?y=1", "h.example", "443", "/secure/x?y=1" },
	{ /* a URL with port, scheme in capitals */ "HTTPS://h:9444/", "h", "9444", "/" },
	{ /* a URL without path */ "https://[::1]:8443", "::1", "8443", NULL },
	{ /* tls:// with a port */ "tls://h.example:9093", "h.example", "9093", NULL },
	{ /* tls:// takes the layer's default port, any case */ "TLS://h", "h", "443", NULL },
	{ /* a user name is the layer's, not the host's */ "tls://u@h:1", "h", "1", NULL },
	{ /* a path on another scheme */ "tls://h:1/x", "h", "1", "/x" },
	{ /* an unknown scheme */ "gopher://h/", NULL, NULL, NULL },
	{ /* an empty user */ "tls://@h:1", NULL, NULL, NULL },
	{ /* empty */ "", NULL, NULL, NULL },
	{ /* another scheme */ "http://h/", NULL, NULL, NULL },
	{ /* a path without a URL */ "h/secure", NULL, NULL, NULL },
	{ /* port 0 */ "h:0", NULL, NULL, NULL },
	{ /* port too big */ "h:65536", NULL, NULL, NULL },
	{ /* port not a number */ "h:https", NULL, NULL, NULL },
	{ /* empty port */ "h:", NULL, NULL, NULL },
	{ /* no host */ ":443", NULL, NULL, NULL },
	{ /* bare IPv6 is ambiguous */ "::1:443", NULL, NULL, NULL },
	{ /* unclosed bracket */ "[::1:443", NULL, NULL, NULL },
	{ /* junk after the bracket */ "[::1]x", NULL, NULL, NULL },
	{ /* userinfo */ "https://u@h/", NULL, NULL, NULL },
	{ /* a space */ "a b:1", NULL, NULL, NULL },
};

static void
table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct certpick_error err;
		char *h, *p, *path;
		int rc = certpick_probe_target_parse(r->in, &h, &p, &path, &err);

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
		if (r->path == NULL)
			assert_null(path);
		else
			assert_string_equal(path, r->path);
		free(h);
		free(p);
		free(path);
	}
}

static void
null_target(void **state)
{
	struct certpick_error err;
	char *h, *p, *path;

	(void)state;
	assert_int_equal(certpick_probe_target_parse(NULL, &h, &p, &path, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(null_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
