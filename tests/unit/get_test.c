/*
 * get.c: the answer split (head, de-chunked body), bad inputs, and whole
 * requests against certpick_serve running on a thread on loopback: a
 * certificate asked only for a path (TLS 1.3 post-handshake, TLS 1.2
 * renegotiation) is answered with the chosen candidate and its chain.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "testutil.h"
#include "internal.h"
#include "certpick/get.h"
#include "certpick/openssl.h"

struct answer_case {
	const char *what;
	const char *raw;
	int want_parse; /* cp_http_parse(final) */
	int want_status;
	const char *want_body;
	size_t want_head_len;
};

static const struct answer_case answer_cases[] = {
	{ /* Content-Length body */
	    .what = "plain",
	    .raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	    .want_parse = 1,
	    .want_status = 200,
	    .want_body = "hello",
	    .want_head_len = 38 },
	{ /* chunked, with a chunk extension, decoded */
	    .what = "chunked",
	    .raw = "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n"
		   "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n",
	    .want_parse = 1,
	    .want_status = 403,
	    .want_body = "hello world",
	    .want_head_len = 54 },
	{ /* a chunk longer than what came: keep what came, no overread */
	    .what = "chunk truncated",
	    .raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
		   "ffffffffffffffff\r\nab",
	    .want_parse = 1,
	    .want_status = 200,
	    .want_body = "ab",
	    .want_head_len = 47 },
	{ /* a chunk size that is not hex ends the body */
	    .what = "chunk junk",
	    .raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		   "zz\r\nab\r\n0\r\n\r\n",
	    .want_parse = 1,
	    .want_status = 200,
	    .want_body = "",
	    .want_head_len = 47 },
	{ /* no blank line: all of it is the head, the body is empty */
	    .what = "head only",
	    .raw = "HTTP/1.1 204 No Content\r\nServer: x",
	    .want_parse = 1,
	    .want_status = 204,
	    .want_body = "",
	    .want_head_len = 34 },
	{ /* not HTTP at all: the parser refuses, nothing is split */
	    .what = "not http",
	    .raw = "SSH-2.0-OpenSSH\r\n",
	    .want_parse = -1 },
};

static void
test_answer_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(answer_cases) / sizeof(answer_cases[0]); i++) {
		const struct answer_case *c = &answer_cases[i];
		struct certpick_get_result *res = calloc(1, sizeof(*res));
		size_t len = strlen(c->raw);

		assert_non_null(res);
		int pr = cp_http_parse(c->raw, len, true, &res->http);
		if (pr != c->want_parse)
			fail_msg("%s: parse %d, want %d", c->what, pr, c->want_parse);
		if (pr == 1) {
			assert_int_equal(cp_get_answer(res, c->raw, len), 0);
			assert_int_equal(res->status, c->want_status);
			assert_string_equal((char *)res->body, c->want_body);
			assert_int_equal(res->body_len, strlen(c->want_body));
			assert_int_equal(strlen(res->head), c->want_head_len);
		}
		certpick_get_result_free(res);
	}
}

static void
test_bad_inputs(void **state)
{
	struct certpick_error err;
	struct certpick_get_result *res = NULL;
	struct certpick_candset *set;
	(void)state;

	/* not https */
	assert_int_equal(certpick_get_run("http://localhost/", NULL, NULL, NULL, NULL, &res, &err),
	    -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_null(res);
	/* not a target */
	assert_int_equal(certpick_get_run("https://[::1/", NULL, NULL, NULL, NULL, &res, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	/* a candidate without its set */
	set = certpick_candset_new(&err);
	assert_non_null(set);
	assert_ok(certpick_candset_add_path(set, tu_data("candidate/leaf.pem"), NULL, &err), &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_get_run("https://127.0.0.1:1/", NULL,
			     certpick_candset_get(set, 0), NULL, NULL, &res, &err),
	    -1);
	/* a candidate without a key cannot be sent */
	assert_int_equal(certpick_get_run("https://127.0.0.1:1/", set, certpick_candset_get(set, 0),
			     NULL, NULL, &res, &err),
	    -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_non_null(strstr(err.detail[0] ? err.detail : err.message, "no private key"));
	certpick_candset_free(set);
	certpick_get_result_free(NULL);
}

static void
test_refused(void **state)
{
	struct certpick_get_options o = { .timeout_ms = 2000, .insecure = true };
	struct certpick_error err;
	struct certpick_get_result *res = NULL;
	(void)state;

	/* port 1 on loopback: nothing listens; a result, not a failure to start */
	assert_ok(certpick_get_run("https://127.0.0.1:1/", NULL, NULL, NULL, &o, &res, &err), &err);
	assert_int_equal(res->error.code, CERTPICK_ERR_NETWORK);
	assert_int_equal(res->status, 0);
	certpick_get_result_free(res);
}

/*
 * F4: the chunk walk fed one byte at a time (as a server sending 1-byte TLS
 * records would make get read) decodes what one call over the whole body
 * does, and ends exactly at the last-chunk's blank line. Each byte is
 * stepped over once: the walk never looks back, so its work is linear.
 */
static void
test_chunk_walk_any_split(void **state)
{
	static const struct {
		const char *what, *body, *want;
		enum cp_chunk_state want_state;
	} cases[] = {
		{ "chunks and a trailer", "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
		    "hello world", CP_CHUNK_DONE },
		{ "bare LF", "3\nabc\n0\n\n", "abc", CP_CHUNK_DONE },
		{ "upper-case hex, not ended", "A\r\n0123456789\r\n", "0123456789", CP_CHUNK_SIZE },
		{ "a size that is not hex", "zz\r\nab\r\n0\r\n\r\n", "", CP_CHUNK_BAD },
		{ "17 hex digits", "11111111111111111\r\n", "", CP_CHUNK_BAD },
		{ "the final CRLF missing", "1\r\nx\r\n0\r\n", "x", CP_CHUNK_TRAILER_START },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].body), n_whole, n_bytes = 0;
		unsigned char whole[64], bytes[64];
		struct cp_chunk_walk w1 = { 0 }, w2 = { 0 };

		n_whole = cp_chunk_feed(&w1, cases[i].body, len, whole);
		for (size_t k = 0; k < len; k++)
			n_bytes += cp_chunk_feed(&w2, cases[i].body + k, 1, bytes + n_bytes);
		if (n_whole != strlen(cases[i].want) ||
		    memcmp(whole, cases[i].want, n_whole) != 0 || n_bytes != n_whole ||
		    memcmp(bytes, whole, n_whole) != 0 || w1.state != cases[i].want_state ||
		    w2.state != w1.state)
			fail_msg("%s: %zu/%zu bytes, state %d/%d", cases[i].what, n_whole, n_bytes,
			    (int)w1.state, (int)w2.state);
	}
}

/* 2.5 M one-byte chunks fed in 16 KiB reads: decoded in one pass (F4). */
static void
test_chunk_walk_many_small(void **state)
{
	size_t n = 2500000, len = n * 6 + 5, got = 0;
	char *body = malloc(len);
	unsigned char *out = malloc(n);
	struct cp_chunk_walk w = { 0 };
	(void)state;

	assert_non_null(body);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		memcpy(body + i * 6, "1\r\nx\r\n", 6);
	memcpy(body + n * 6, "0\r\n\r\n", 5);
	for (size_t at = 0; at < len; at += 16384)
		got += cp_chunk_feed(&w, body + at, len - at < 16384 ? len - at : 16384, out + got);
	assert_int_equal(got, n);
	assert_int_equal(w.state, CP_CHUNK_DONE);
	free(body);
	free(out);
}

/* A PKI and certpick serve (per path /secure) on a thread. */
struct live {
	char *dir;
	struct event_base *base;
	struct certpick_serve *srv;
	pthread_t thread;
	int pipefd[2];
	struct event *wake;
	char url[96];
};

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	char c;

	(void)what;
	(void)!read(fd, &c, 1);
	certpick_serve_stop(arg);
}

static void *
loop(void *arg)
{
	struct live *l = arg;
	struct certpick_error err;

	(void)!certpick_serve_run(l->srv, &err);
	return NULL;
}

static void
live_start(struct live *l, int tls)
{
	static const struct certpick_pki_spec specs[] = {
		{ .name = "root", .ca = true, .pathlen = -1, .ku = "keyCertSign" },
		{ .name = "int", .issuer = "root", .ca = true, .pathlen = 0, .ku = "keyCertSign" },
		{ .name = "server",
		    .issuer = "root",
		    .ku = "digitalSignature",
		    .eku = "serverAuth",
		    .san = "DNS:localhost,IP:127.0.0.1" },
		{ .name = "alice", .issuer = "int", .ku = "digitalSignature", .eku = "clientAuth" },
	};
	static const char *const listen[] = { "127.0.0.1:0" };
	static const char *const require[] = { "/secure" };
	struct certpick_error err;
	struct certpick_pki *pki = certpick_pki_new(time(NULL), &err);
	char cert[512], key[512], root[512];

	assert_non_null(pki);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		assert_ok(certpick_pki_add(pki, &specs[i], &err), &err);
	l->dir = tu_tmpdir();
	assert_ok(certpick_pki_write(pki, l->dir, "", &err), &err);
	certpick_pki_free(pki);
	snprintf(cert, sizeof(cert), "%s/server.pem", l->dir);
	snprintf(key, sizeof(key), "%s/server.key", l->dir);
	snprintf(root, sizeof(root), "%s/root.pem", l->dir);
	struct certpick_serve_options o = { .listen = listen,
		.n_listen = 1,
		.cert_file = cert,
		.key_file = key,
		.trust_path = root,
		.auth = CERTPICK_SERVE_AUTH_NONE,
		.require_paths = require,
		.n_require = 1,
		.tls_version = tls };
	assert_non_null(l->base = event_base_new());
	o.base = l->base;
	l->srv = certpick_serve_new(&o, &err);
	if (l->srv == NULL)
		fail_msg("serve: %s: %s", err.message, err.detail);
	assert_int_equal(pipe(l->pipefd), 0);
	assert_non_null(l->wake = event_new(l->base, l->pipefd[0], EV_READ, on_wake, l->srv));
	assert_int_equal(event_add(l->wake, NULL), 0);
	snprintf(l->url, sizeof(l->url), "https://%s/secure",
	    certpick_serve_listen_addr(l->srv, 0));
	assert_int_equal(pthread_create(&l->thread, NULL, loop, l), 0);
}

static void
live_stop(struct live *l)
{
	(void)!write(l->pipefd[1], "x", 1);
	pthread_join(l->thread, NULL);
	event_free(l->wake);
	certpick_serve_free(l->srv);
	event_base_free(l->base);
	close(l->pipefd[0]);
	close(l->pipefd[1]);
	tu_rmtree(l->dir);
	free(l->dir);
}

static void
run_live(int tls, enum certpick_phase want_phase)
{
	struct live l = { 0 };
	struct certpick_error err;
	struct certpick_get_result *res = NULL;
	struct certpick_candset *set;
	char path[512];
	char root[512];

	live_start(&l, tls);
	snprintf(root, sizeof(root), "%s/root.pem", l.dir);
	struct certpick_get_options o = { .trust_path = root, .timeout_ms = 5000 };

	/* without a certificate: 403, the request for the path was seen */
	assert_ok(certpick_get_run(l.url, NULL, NULL, NULL, &o, &res, &err), &err);
	if (res->error.code != CERTPICK_OK)
		fail_msg("get: %s: %s", res->error.message, res->error.detail);
	assert_int_equal(res->status, 403);
	assert_true(res->server_verified);
	assert_false(res->certificate_sent);
	assert_int_equal(res->n_requests, 1);
	assert_int_equal(res->requests[0].phase, want_phase);
	certpick_get_result_free(res);

	/* alice with the chain found in the folder (the candidate's own chain) */
	assert_non_null(set = certpick_candset_new(&err));
	snprintf(path, sizeof(path), "%s/alice-chain.pem", l.dir);
	assert_ok(certpick_candset_add_path(set, path, NULL, &err), &err);
	snprintf(path, sizeof(path), "%s/alice.key", l.dir);
	assert_ok(certpick_candset_add_path(set, path, NULL, &err), &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_ok(certpick_get_run(l.url, set, certpick_candset_get(set, 0), NULL, &o, &res, &err),
	    &err);
	assert_int_equal(res->status, 200);
	assert_true(res->certificate_sent);
	assert_true(res->request_sent);
	assert_int_equal(res->tls_version, tls);
	assert_non_null(res->head);
	assert_true(res->body_len > 0);
	certpick_get_result_free(res);

	/* like a client that offers no PHA / refuses renegotiation: never asked,
	 * nothing sent, no 200 (TLS 1.3: the server answers 403.7) */
	o.no_pha = o.no_renegotiation = true;
	assert_ok(certpick_get_run(l.url, set, certpick_candset_get(set, 0), NULL, &o, &res, &err),
	    &err);
	assert_false(res->certificate_sent);
	assert_int_equal(res->n_requests, 0);
	assert_int_not_equal(res->status, 200);
	if (tls == CERTPICK_TLS13)
		assert_int_equal(res->status, 403);
	certpick_get_result_free(res);
	certpick_candset_free(set);
	live_stop(&l);
}

static void
test_live_tls13_pha(void **state)
{
	(void)state;
	run_live(CERTPICK_TLS13, CERTPICK_PHASE_POST_HANDSHAKE);
}

static void
test_live_tls12_reneg(void **state)
{
	(void)state;
	run_live(CERTPICK_TLS12, CERTPICK_PHASE_RENEGOTIATION);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_cases),
		cmocka_unit_test(test_chunk_walk_any_split),
		cmocka_unit_test(test_chunk_walk_many_small),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_live_tls13_pha),
		cmocka_unit_test(test_live_tls12_reneg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
