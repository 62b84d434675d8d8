/* proto_mysql.c: greeting, SSLRequest, login and the server's verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"
#include "proto_drive.h"

extern const struct cp_proto_ops cp_proto_mysql;

static void
packet(struct cp_buf *b, uint8_t seq, const void *body, size_t len)
{
	cp_buf_u8(b, (uint8_t)len);
	cp_buf_u8(b, (uint8_t)(len >> 8));
	cp_buf_u8(b, (uint8_t)(len >> 16));
	cp_buf_u8(b, seq);
	cp_buf_add(b, body, len);
}

/* A MariaDB 10.11 greeting; caps_low without 0x0800 means no TLS. */
static void
greeting(struct cp_buf *b, unsigned caps_low, const char *plugin)
{
	struct cp_buf g = { 0 };
	static const char version[] = "5.5.5-10.11.6-MariaDB-0+deb12u1";

	cp_buf_u8(&g, 10);
	cp_buf_add(&g, version, sizeof(version));
	cp_buf_add(&g, "\x07\0\0\0", 4); /* connection id */
	cp_buf_add(&g, "abcdefgh", 8);	 /* scramble 1 */
	cp_buf_u8(&g, 0);
	cp_buf_u8(&g, caps_low & 0xff);
	cp_buf_u8(&g, caps_low >> 8);
	cp_buf_u8(&g, 0x2d);	       /* charset */
	cp_buf_add(&g, "\x02\0", 2);   /* status */
	cp_buf_add(&g, "\xff\x81", 2); /* caps high: PLUGIN_AUTH (0x0008 << 16) set */
	cp_buf_u8(&g, 21);
	cp_buf_add(&g, "\0\0\0\0\0\0\0\0\0\0", 10);
	cp_buf_add(&g, "ijklmnopqrst\0", 13); /* scramble 2 */
	cp_buf_add(&g, plugin, strlen(plugin) + 1);
	packet(b, 0, g.p, g.len);
	cp_buf_free(&g);
}

static void
err(struct cp_buf *b, uint8_t seq, unsigned code, const char *text)
{
	struct cp_buf e = { 0 };

	cp_buf_u8(&e, 0xff);
	cp_buf_u8(&e, code & 0xff);
	cp_buf_u8(&e, code >> 8);
	cp_buf_add(&e, "#28000", 6);
	cp_buf_str(&e, text);
	packet(b, seq, e.p, e.len);
	cp_buf_free(&e);
}

static const struct cp_proto_params alice = { .host = "db", .user = "alice" };
static const struct cp_proto_params alice_cert = { .host = "db",
	.user = "alice",
	.have_cert = true };
static const struct cp_proto_params alice_pw = { .host = "db",
	.user = "alice",
	.have_cert = true,
	.password = "secret" };
static const char ok_body[] = "\0\0\0\x02\0\0\0";

/* SSLRequest (seq 1, CLIENT_SSL), then the login (seq 2) with an empty password. */
static void
accepted_require_x509(void **state)
{
	struct cp_buf clear = { 0 }, tls = { 0 };
	struct run r = { 0 };
	static const size_t chunks[] = { 1, 2, 5, 4096 };

	(void)state;
	greeting(&clear, 0xfffe, "mysql_native_password");
	packet(&tls, 3, ok_body, 7);
	for (size_t i = 0; i < CP_NELEM(chunks); i++) {
		pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, tls.p, tls.len, chunks[i], &r);
		assert_int_equal(r.last, CP_PROTO_DONE);
		assert_true(r.started_tls);
		assert_int_equal(r.leftover_at_starttls, 0);
		assert_string_equal(r.v.banner, "5.5.5-10.11.6-MariaDB-0+deb12u1");
		/* the SSLRequest: 32 bytes, seq 1, CLIENT_SSL set */
		assert_int_equal(r.wrote_clear.len, 36);
		assert_int_equal((uint8_t)r.wrote_clear.p[0], 32);
		assert_int_equal(r.wrote_clear.p[3], 1);
		assert_true((uint8_t)r.wrote_clear.p[5] & 0x08);
		/* the login: seq 2, user, an empty auth response, the plugin name */
		assert_int_equal(r.wrote_tls.p[3], 2);
		assert_non_null(
		    memmem(r.wrote_tls.p, r.wrote_tls.len, "alice\0\0mysql_native_password\0", 29));
		/* then COM_QUIT */
		assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 5, "\x01\0\0\0\x01", 5);
		assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
		assert_string_equal(r.v.identity, "alice");
		pd_free(&r);
	}
	cp_buf_free(&clear);
	cp_buf_free(&tls);
}

/* 1045 is reported as the server says it, with "using password: NO". */
static void
access_denied(void **state)
{
	struct cp_buf clear = { 0 }, tls = { 0 };
	struct run r = { 0 };

	(void)state;
	greeting(&clear, 0xfffe, "mysql_native_password");
	err(&tls, 3, 1045, "Access denied for user 'alice'@'localhost' (using password: NO)");
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, tls.p, tls.len, 3, &r);
	assert_int_equal(r.last, CP_PROTO_DONE);
	assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
	assert_int_equal(r.v.code, 1045);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MYSQL_NO_CERT);
	assert_string_equal(r.v.text,
	    "ERROR 1045 (28000): Access denied for user 'alice'@'localhost' "
	    "(using password: NO) [certpick sent no certificate and no password, plugin "
	    "mysql_native_password]");
	pd_free(&r);
	/* with a certificate: the server's words cannot tell REQUIRE from the password */
	pd_run(&cp_proto_mysql, &alice_cert, clear.p, clear.len, tls.p, tls.len, 3, &r);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MYSQL_ACCESS_DENIED);
	assert_non_null(strstr(r.v.text, "[certpick sent a certificate and no password"));
	pd_free(&r);
	cp_buf_free(&clear);
	cp_buf_free(&tls);
}

/* MariaDB's ed25519 and MySQL's caching_sha2 full authentication: empty answers, then the verdict. */
static void
plugins_get_empty_answers(void **state)
{
	struct cp_buf clear = { 0 }, tls = { 0 };
	struct run r = { 0 };
	uint8_t sw[48] = { 0xfe };

	(void)state;
	memcpy(sw + 1, "client_ed25519", 15);
	greeting(&clear, 0xfffe, "mysql_native_password");
	packet(&tls, 3, sw, sizeof(sw));
	err(&tls, 5, 1045, "Access denied for user 'alice'@'localhost' (using password: NO)");
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, tls.p, tls.len, 1, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
	/* the answer to the switch: an empty packet with seq 4 */
	assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 4, "\0\0\0\x04", 4);
	pd_free(&r);

	cp_buf_reset(&clear);
	cp_buf_reset(&tls);
	greeting(&clear, 0xfffe, "caching_sha2_password");
	packet(&tls, 3, "\x01\x04", 2);
	packet(&tls, 5, ok_body, 7);
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, tls.p, tls.len, 4096, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
	assert_non_null(memmem(r.wrote_tls.p, r.wrote_tls.len, "\x01\0\0\x04\0", 5));
	pd_free(&r);

	cp_buf_reset(&tls);
	packet(&tls, 3, "\x01\x03", 2); /* fast auth success, then OK */
	packet(&tls, 4, ok_body, 7);
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, tls.p, tls.len, 4096, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
	pd_free(&r);

	/* a server that switches forever is cut off */
	cp_buf_reset(&tls);
	for (int i = 0; i < 10; i++)
		packet(&tls, (uint8_t)(3 + 2 * i), sw, sizeof(sw));
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, tls.p, tls.len, 4096, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	cp_buf_free(&clear);
	cp_buf_free(&tls);
}

/* hashlib: SHA1("secret") ^ SHA1(scramble + SHA1(SHA1("secret"))), scramble "abcd...qrst" */
#define NATIVE "\x88\x17\xc5\x0f\xa7\x79\xda\xef\x01\x0e\xe7\x57\x78\x25\xb0\x84\x7d\xf9\x84\x2e"
#define SHA2                                                                                       \
	"\xc7\x6e\x28\x98\x61\x2a\x4c\xf0\x42\xc7\x7f\xa8\xc4\x70\x2c\x4c\x64\xc0\xc2\xc5\x57\xc5" \
	"\x3c\x4d\x75\x59\x5a\xaa\x6a\xba\xe8\x09"
/* the same for the auth switch's scramble "ABCD...QRST" */
#define NATIVE2 "\x28\x44\x15\x90\x67\x42\x85\xe7\xd0\x3c\xae\x7a\xf2\x37\x50\x47\x97\xf7\x0e\x91"

/* A password given: each plugin's answer, and what the verdict then says. */
static void
passwords(void **state)
{
	struct cp_buf clear = { 0 }, tls = { 0 };
	struct run r = { 0 };
	uint8_t sw[1 + 22 + 21] = { 0xfe };

	(void)state;
	greeting(&clear, 0xfffe, "mysql_native_password");
	packet(&tls, 3, ok_body, 7);
	pd_run(&cp_proto_mysql, &alice_pw, clear.p, clear.len, tls.p, tls.len, 2, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
	assert_non_null(memmem(r.wrote_tls.p, r.wrote_tls.len,
	    "alice\0\x14" NATIVE "mysql_native_password\0", 6 + 1 + 20 + 22));
	pd_free(&r);
	/* caching_sha2: the scramble, then full authentication: the password over TLS */
	cp_buf_reset(&clear);
	cp_buf_reset(&tls);
	greeting(&clear, 0xfffe, "caching_sha2_password");
	packet(&tls, 3, "\x01\x04", 2);
	packet(&tls, 5, ok_body, 7);
	pd_run(&cp_proto_mysql, &alice_pw, clear.p, clear.len, tls.p, tls.len, 1, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
	assert_non_null(memmem(r.wrote_tls.p, r.wrote_tls.len, "alice\0\x20" SHA2, 6 + 1 + 32));
	assert_non_null(memmem(r.wrote_tls.p, r.wrote_tls.len, "\x07\0\0\x04secret\0", 11));
	pd_free(&r);
	/* fast auth success (the password was right), then 1045: the REQUIRE clause */
	cp_buf_reset(&tls);
	packet(&tls, 3, "\x01\x03", 2);
	err(&tls, 4, 1045, "Access denied for user 'alice'@'localhost' (using password: YES)");
	pd_run(&cp_proto_mysql, &alice_pw, clear.p, clear.len, tls.p, tls.len, 3, &r);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MYSQL_CERT_REQUIREMENT);
	assert_non_null(strstr(r.v.text, "[certpick sent a certificate and the password given"));
	assert_null(strstr(r.v.text, "secret"));
	pd_free(&r);
	/* the auth switch to mysql_native_password with a new scramble */
	memcpy(sw + 1, "mysql_native_password", 22);
	memcpy(sw + 23, "ABCDEFGHIJKLMNOPQRST", 21);
	cp_buf_reset(&tls);
	packet(&tls, 3, sw, sizeof(sw));
	err(&tls, 5, 1045, "Access denied for user 'alice'@'localhost' (using password: YES)");
	pd_run(&cp_proto_mysql, &alice_pw, clear.p, clear.len, tls.p, tls.len, 7, &r);
	assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 24, "\x14\0\0\x04" NATIVE2, 24);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MYSQL_ACCESS_DENIED);
	pd_free(&r);
	/* MariaDB's client_ed25519: certpick cannot answer; it says so, not "denied" */
	memset(sw, 0, sizeof(sw));
	sw[0] = 0xfe;
	memcpy(sw + 1, "client_ed25519", 15);
	memcpy(sw + 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 28);
	cp_buf_reset(&tls);
	packet(&tls, 3, sw, sizeof(sw));
	err(&tls, 5, 1045, "Access denied for user 'alice'@'localhost' (using password: NO)");
	pd_run(&cp_proto_mysql, &alice_pw, clear.p, clear.len, tls.p, tls.len, 7, &r);
	assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 4, "\0\0\0\x04", 4);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MYSQL_PLUGIN_UNSUPPORTED);
	pd_free(&r);
	/* an auth switch without its nonce, AuthMoreData certpick does not answer */
	cp_buf_reset(&tls);
	packet(&tls, 3, "\xfemysql_native_password\0abc", 26);
	pd_run(&cp_proto_mysql, &alice_pw, clear.p, clear.len, tls.p, tls.len, 7, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	cp_buf_reset(&tls);
	packet(&tls, 3, "\x01-----BEGIN PUBLIC KEY", 23);
	pd_run(&cp_proto_mysql, &alice_pw, clear.p, clear.len, tls.p, tls.len, 7, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	cp_buf_free(&clear);
	cp_buf_free(&tls);
}

static void
no_tls_and_early_errors(void **state)
{
	struct cp_buf clear = { 0 };
	struct run r = { 0 };

	(void)state;
	greeting(&clear, 0xf7fe, "mysql_native_password"); /* no CLIENT_SSL */
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, NULL, 0, 4096, &r);
	assert_int_equal(r.last, CP_PROTO_DONE);
	assert_false(r.started_tls);
	assert_int_equal(r.v.outcome, CP_PROTO_NO_TLS);
	assert_int_equal(r.wrote_clear.len, 0); /* nothing was sent in the clear */
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_NO_TLS);
	pd_free(&r);
	cp_buf_reset(&clear);
	err(&clear, 0, 1129, "Host '127.0.0.1' is blocked because of many connection errors");
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, NULL, 0, 4096, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_NO_TLS);
	assert_int_equal(r.v.code, 1129);
	assert_false(r.v.has_reason);
	pd_free(&r);
	cp_buf_free(&clear);
}

/* A 16 MiB greeting, garbage, a short greeting, EOF: clean failures, bounded. */
static void
hostile_servers(void **state)
{
	struct cp_buf clear = { 0 };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_mysql, &alice, "\xff\xff\xff\0", 4, NULL, 0, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(strstr(r.v.text, "larger than"));
	pd_free(&r);
	pd_run(&cp_proto_mysql, &alice, "\x03\0\0\0\x09xy", 7, NULL, 0, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	packet(&clear, 0,
	    "\x0a"
	    "8.0\0\1\2",
	    7); /* too short */
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, NULL, 0, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	pd_run(&cp_proto_mysql, &alice, "\x10\0\0", 3, NULL, 0, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(strstr(r.v.text, "closed"));
	pd_free(&r);
	/* bytes pipelined after the greeting stay for the engine to refuse */
	cp_buf_reset(&clear);
	greeting(&clear, 0xfffe, "mysql_native_password");
	cp_buf_add(&clear, "\x07\0\0\x02\0\0\0\x02\0\0\0", 11);
	pd_run(&cp_proto_mysql, &alice, clear.p, clear.len, NULL, 0, 4096, &r);
	assert_int_equal(r.leftover_at_starttls, 11);
	pd_free(&r);
	cp_buf_free(&clear);
	assert_string_equal(cp_proto_find("mariadb")->default_port, "3306");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_require_x509),
		cmocka_unit_test(access_denied),
		cmocka_unit_test(plugins_get_empty_answers),
		cmocka_unit_test(no_tls_and_early_errors),
		cmocka_unit_test(hostile_servers),
		cmocka_unit_test(passwords),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
