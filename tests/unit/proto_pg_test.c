/* proto_pg.c: PostgreSQL's SSLRequest, startup and the server's verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"
#include "proto_drive.h"

extern const struct cp_proto_ops cp_proto_postgres;

static const size_t chunks[] = { 1, 3, 7, 4096 };

/* A backend message: type, length, body. */
static void
msg(struct cp_buf *b, char type, const void *body, size_t len)
{
	cp_buf_u8(b, (uint8_t)type);
	cp_buf_u32(b, (uint32_t)(len + 4));
	cp_buf_add(b, body, len);
}

static void
auth(struct cp_buf *b, uint32_t code)
{
	uint8_t x[4] = { (uint8_t)(code >> 24), (uint8_t)(code >> 16), (uint8_t)(code >> 8),
		(uint8_t)code };

	msg(b, 'R', x, 4);
}

static void
error_response(struct cp_buf *b, const char *code, const char *text)
{
	struct cp_buf f = { 0 };

	cp_buf_add(&f, "SFATAL", 7);
	cp_buf_add(&f, "VFATAL", 7);
	cp_buf_u8(&f, 'C');
	cp_buf_add(&f, code, strlen(code) + 1);
	cp_buf_u8(&f, 'M');
	cp_buf_add(&f, text, strlen(text) + 1);
	cp_buf_u8(&f, 0);
	msg(b, 'E', f.p, f.len);
	cp_buf_free(&f);
}

static void
ready_sequence(struct cp_buf *b)
{
	msg(b, 'S', "server_version\00016.4", 20);
	msg(b, 'K', "\0\0\0\1\0\0\0\2", 8);
	msg(b, 'Z', "I", 1);
}

static const struct cp_proto_params alice = { .host = "db", .user = "alice", .path = "/app" };

/* SSLRequest, then the startup message with user, database and application_name. */
static void
accepted_by_certificate(void **state)
{
	struct cp_buf tls = { 0 };
	struct run r = { 0 };

	(void)state;
	auth(&tls, 0);
	ready_sequence(&tls);
	for (size_t i = 0; i < CP_NELEM(chunks); i++) {
		pd_run(&cp_proto_postgres, &alice, "S", 1, tls.p, tls.len, chunks[i], &r);
		assert_int_equal(r.last, CP_PROTO_DONE);
		assert_true(r.started_tls);
		assert_int_equal(r.leftover_at_starttls, 0);
		assert_int_equal(r.wrote_clear.len, 8);
		assert_memory_equal(r.wrote_clear.p, "\0\0\0\x08\x04\xd2\x16\x2f", 8);
		assert_non_null(
		    memmem(r.wrote_tls.p, r.wrote_tls.len, "user\0alice\0database\0app\0", 24));
		/* Terminate at the end */
		assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 5, "X\0\0\0\x04", 5);
		assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
		assert_string_equal(r.v.identity, "alice");
		assert_false(r.v.has_reason);
		pd_free(&r);
	}
	cp_buf_free(&tls);
}

/* The two refusals users see most, word for word with their SQLSTATE. */
static void
refused_with_sqlstate(void **state)
{
	static const char *const texts[] = {
		"connection requires a valid client certificate",
		"certificate authentication failed for user \"alice\"",
		("no pg_hba.conf entry for host \"127.0.0.1\", user \"alice\", database \"app\", "
		 "SSL encryption"),
	};
	static const enum certpick_reason reasons[] = {
		CERTPICK_REASON_SVC_PG_CERT_REQUIRED,
		CERTPICK_REASON_SVC_PG_CERT_USER_MISMATCH,
		CERTPICK_REASON_SVC_PG_NO_HBA_ENTRY,
	};
	struct run r = { 0 };

	(void)state;
	for (size_t i = 0; i < CP_NELEM(texts); i++) {
		struct cp_buf tls = { 0 };
		char want[256];

		error_response(&tls, "28000", texts[i]);
		pd_run(&cp_proto_postgres, &alice, "S", 1, tls.p, tls.len, 5, &r);
		assert_int_equal(r.last, CP_PROTO_DONE);
		assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
		snprintf(want, sizeof(want), "FATAL 28000: %s", texts[i]);
		assert_string_equal(r.v.text, want);
		assert_true(r.v.has_reason);
		assert_int_equal(r.v.reason, reasons[i]);
		pd_free(&r);
		cp_buf_free(&tls);
	}
}

/* SCRAM asked: TLS was fine, but pg_hba chose a password method. Nothing is sent. */
static void
password_method_is_not_certificate(void **state)
{
	struct cp_buf tls = { 0 };
	struct run r = { 0 };

	(void)state;
	auth(&tls, 10);
	pd_run(&cp_proto_postgres, &alice, "S", 1, tls.p, tls.len, 2, &r);
	assert_int_equal(r.last, CP_PROTO_DONE);
	assert_int_equal(r.v.outcome, CP_PROTO_NOT_OFFERED);
	assert_int_equal(r.v.code, 10);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_PG_PASSWORD_METHOD);
	assert_non_null(strstr(r.v.text, "SASL (SCRAM)"));
	/* startup + Terminate only: no password message ('p') */
	assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 5, "X\0\0\0\x04", 5);
	assert_int_equal(r.wrote_tls.len, (size_t)(uint8_t)r.wrote_tls.p[3] + 5);
	pd_free(&r);
	cp_buf_free(&tls);
}

static void
no_tls_on_server(void **state)
{
	struct cp_buf e = { 0 };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_postgres, &alice, "N", 1, NULL, 0, 1, &r);
	assert_int_equal(r.last, CP_PROTO_DONE);
	assert_false(r.started_tls);
	assert_int_equal(r.v.outcome, CP_PROTO_NO_TLS);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_NO_TLS);
	pd_free(&r);
	error_response(&e, "0A000", "unsupported frontend protocol 1234.5679");
	pd_run(&cp_proto_postgres, &alice, e.p, e.len, NULL, 0, 3, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_NO_TLS);
	assert_non_null(strstr(r.v.text, "0A000"));
	pd_free(&r);
	cp_buf_free(&e);
}

/* CVE-2021-23222: bytes after the 'S' are left for the engine to refuse. */
static void
bytes_after_s_are_not_consumed(void **state)
{
	struct cp_buf tls = { 0 };
	struct run r = { 0 };

	(void)state;
	auth(&tls, 0);
	pd_run(&cp_proto_postgres, &alice, "SR\0\0\0\x08\0\0\0\0", 10, tls.p, tls.len, 4096, &r);
	assert_true(r.started_tls);
	assert_int_equal(r.leftover_at_starttls, 9);
	pd_free(&r);
	cp_buf_free(&tls);
}

/* Hostile servers: a huge length, garbage, an endless notice stream, EOF. */
static void
hostile_answers_fail_cleanly(void **state)
{
	struct cp_buf tls = { 0 };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_postgres, &alice, "X", 1, NULL, 0, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(r.v.text);
	pd_free(&r);
	/* a message claiming 1 GiB */
	pd_run(&cp_proto_postgres, &alice, "S", 1, "R\x40\0\0\0", 5, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(strstr(r.v.text, "impossible length"));
	pd_free(&r);
	/* a length below 4 */
	pd_run(&cp_proto_postgres, &alice, "S", 1, "R\0\0\0\x02", 5, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	/* notices only, then EOF: no verdict (cp_proto_closed) */
	for (int i = 0; i < 100; i++)
		msg(&tls, 'N', "SNOTICE\0\0", 9);
	pd_run(&cp_proto_postgres, &alice, "S", 1, tls.p, tls.len, 7, &r);
	assert_int_equal(r.last, CP_PROTO_DONE);
	assert_int_equal(r.v.outcome, CP_PROTO_UNKNOWN);
	assert_non_null(strstr(r.v.text, "closed the connection before the verdict"));
	pd_free(&r);
	/* EOF in the middle of a message */
	pd_run(&cp_proto_postgres, &alice, "S", 1, "R\0\0\0\x08\0", 6, 7, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(strstr(r.v.text, "in the middle of"));
	pd_free(&r);
	/* an unexpected message type */
	cp_buf_reset(&tls);
	msg(&tls, 'D', "x", 1);
	pd_run(&cp_proto_postgres, &alice, "S", 1, tls.p, tls.len, 7, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	/* an ErrorResponse without terminators */
	cp_buf_reset(&tls);
	msg(&tls, 'E', "SFATAL", 6);
	pd_run(&cp_proto_postgres, &alice, "S", 1, tls.p, tls.len, 7, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
	assert_string_equal(r.v.text, "ERROR ?????: (no message)");
	pd_free(&r);
	cp_buf_free(&tls);
}

/* With a password given (params->password): the answers to each password method. */
#define NONCE "certpickNonce0123456789AB"
#define SRV_NONCE NONCE "srvPart+/xyz"
#define SFIRST "r=" SRV_NONCE ",s=c2FsdHNhbHRzYWx0,i=4096"
/* computed independently (Python hashlib.pbkdf2_hmac / hmac) */
#define CFINAL "c=biws,r=" SRV_NONCE ",p=Mip32cJcg1npkYSfFHYXuVhHVFZv1jijBweHNRcLI6Q="
#define SFINAL "v=pUyfRfBeUn7u91cj81J8YA+RZRPj4kMfCwK3IcGy/QA="

static const struct cp_proto_params alice_pw = { .host = "db",
	.user = "alice",
	.path = "/app",
	.password = "secret",
	.nonce = NONCE };

static void
auth_data(struct cp_buf *b, uint32_t code, const void *data, size_t len)
{
	struct cp_buf x = { 0 };

	cp_buf_u32(&x, code);
	cp_buf_add(&x, data, len);
	msg(b, 'R', x.p, x.len);
	cp_buf_free(&x);
}

/* The client's messages after the startup message, as one byte string. */
static bool
wrote_after_startup(const struct run *r, const void *want, size_t len)
{
	size_t startup = (size_t)(uint8_t)r->wrote_tls.p[2] << 8 | (uint8_t)r->wrote_tls.p[3];

	return r->wrote_tls.len >= startup + len &&
	    memcmp(r->wrote_tls.p + startup, want, len) == 0;
}

static void
password_cleartext_and_md5(void **state)
{
	static const char clear_pw[] = "p\0\0\0\x0bsecret\0X\0\0\0\x04";
	static const char md5_pw[] = "p\0\0\0\x28md598a0412b9c31436fc53776e863350083\0X\0\0\0\x04";
	struct cp_buf tls = { 0 };
	struct run r = { 0 };

	(void)state;
	for (size_t i = 0; i < CP_NELEM(chunks); i++) {
		cp_buf_reset(&tls);
		auth(&tls, 3);
		auth(&tls, 0);
		ready_sequence(&tls);
		pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, chunks[i], &r);
		assert_int_equal(r.last, CP_PROTO_DONE);
		assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
		assert_string_equal(r.v.text, "AuthenticationOk (with the password given)");
		assert_true(wrote_after_startup(&r, clear_pw, sizeof(clear_pw) - 1));
		pd_free(&r);
		cp_buf_reset(&tls);
		auth_data(&tls, 5, "\1\2\3\4", 4);
		auth(&tls, 0);
		ready_sequence(&tls);
		pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, chunks[i], &r);
		assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
		assert_true(wrote_after_startup(&r, md5_pw, sizeof(md5_pw) - 1));
		assert_null(memmem(r.wrote_tls.p, r.wrote_tls.len, "secret", 6));
		pd_free(&r);
	}
	/* the wrong MD5 password: 28P01 */
	cp_buf_reset(&tls);
	auth_data(&tls, 5, "\1\2\3\4", 4);
	error_response(&tls, "28P01", "password authentication failed for user \"alice\"");
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 3, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_PG_PASSWORD_FAILED);
	assert_null(strstr(r.v.text, "secret"));
	pd_free(&r);
	/* the certificate method: the password is never sent */
	cp_buf_reset(&tls);
	auth(&tls, 0);
	ready_sequence(&tls);
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 3, &r);
	assert_string_equal(r.v.text, "AuthenticationOk");
	assert_null(memmem(r.wrote_tls.p, r.wrote_tls.len, "secret", 6));
	pd_free(&r);
	cp_buf_free(&tls);
}

/* SCRAM-SHA-256 as PostgreSQL speaks it: mechanisms, server-first, server-final. */
static void
password_scram(void **state)
{
	static const char mechs[] = "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0";
	static const char initial[] = "p\0\0\0\x37SCRAM-SHA-256\0\0\0\0\x21n,,n=,r=" NONCE;
	struct cp_buf tls = { 0 }, want = { 0 };
	struct run r = { 0 };

	(void)state;
	cp_buf_add(&want, initial, sizeof(initial) - 1);
	cp_buf_u8(&want, 'p');
	cp_buf_u32(&want, 4 + sizeof(CFINAL) - 1);
	cp_buf_str(&want, CFINAL);
	cp_buf_add(&want, "X\0\0\0\x04", 5);
	for (size_t i = 0; i < CP_NELEM(chunks); i++) {
		cp_buf_reset(&tls);
		auth_data(&tls, 10, mechs, sizeof(mechs));
		auth_data(&tls, 11, SFIRST, sizeof(SFIRST) - 1);
		auth_data(&tls, 12, SFINAL, sizeof(SFINAL) - 1);
		auth(&tls, 0);
		ready_sequence(&tls);
		pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, chunks[i], &r);
		assert_int_equal(r.last, CP_PROTO_DONE);
		assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
		assert_true(wrote_after_startup(&r, want.p, want.len));
		pd_free(&r);
	}
	/* the right password, then 28P01: verify-full refused the certificate's CN */
	cp_buf_reset(&tls);
	auth_data(&tls, 10, mechs, sizeof(mechs));
	auth_data(&tls, 11, SFIRST, sizeof(SFIRST) - 1);
	auth_data(&tls, 12, SFINAL, sizeof(SFINAL) - 1);
	error_response(&tls, "28P01", "password authentication failed for user \"alice\"");
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 5, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_PG_VERIFY_FULL_CN);
	pd_free(&r);
	/* the wrong password: no server-final, 28P01 */
	cp_buf_reset(&tls);
	auth_data(&tls, 10, mechs, sizeof(mechs));
	auth_data(&tls, 11, SFIRST, sizeof(SFIRST) - 1);
	error_response(&tls, "28P01", "password authentication failed for user \"alice\"");
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 5, &r);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_PG_PASSWORD_FAILED);
	pd_free(&r);
	/* a server whose signature does not verify; AuthenticationOk without it */
	cp_buf_reset(&tls);
	auth_data(&tls, 10, mechs, sizeof(mechs));
	auth_data(&tls, 11, SFIRST, sizeof(SFIRST) - 1);
	auth_data(&tls, 12, "v=AAAAfRfBeUn7u91cj81J8YA+RZRPj4kMfCwK3IcGy/QA=", 46);
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 5, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(strstr(r.v.text, "signature does not verify"));
	pd_free(&r);
	cp_buf_reset(&tls);
	auth_data(&tls, 10, mechs, sizeof(mechs));
	auth_data(&tls, 11, SFIRST, sizeof(SFIRST) - 1);
	auth(&tls, 0);
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 5, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	/* only channel binding offered: said, nothing sent */
	cp_buf_reset(&tls);
	auth_data(&tls, 10, "SCRAM-SHA-256-PLUS\0", 20);
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 5, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_NOT_OFFERED);
	assert_non_null(strstr(r.v.text, "SCRAM-SHA-256 only"));
	pd_free(&r);
	/* SASL messages out of order, a server asking again and again */
	cp_buf_reset(&tls);
	auth_data(&tls, 11, SFIRST, sizeof(SFIRST) - 1);
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 5, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	cp_buf_reset(&tls);
	auth(&tls, 3);
	auth(&tls, 3);
	pd_run(&cp_proto_postgres, &alice_pw, "S", 1, tls.p, tls.len, 5, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	cp_buf_free(&tls);
	cp_buf_free(&want);
}

/* The default user and no database; the scheme registry finds both names. */
static void
defaults_and_registry(void **state)
{
	struct cp_proto_params p = { .host = "db" };
	struct cp_buf tls = { 0 };
	struct run r = { 0 };

	(void)state;
	auth(&tls, 0);
	ready_sequence(&tls);
	pd_run(&cp_proto_postgres, &p, "S", 1, tls.p, tls.len, 4096, &r);
	assert_non_null(memmem(r.wrote_tls.p, r.wrote_tls.len, "user\0postgres\0", 14));
	assert_null(memmem(r.wrote_tls.p, r.wrote_tls.len, "database", 8));
	pd_free(&r);
	cp_buf_free(&tls);
	assert_ptr_equal(cp_proto_find("postgres"), &cp_proto_postgres);
	assert_non_null(cp_proto_find("PostgreSQL"));
	assert_string_equal(cp_proto_find("postgresql")->default_port, "5432");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_by_certificate),
		cmocka_unit_test(refused_with_sqlstate),
		cmocka_unit_test(password_method_is_not_certificate),
		cmocka_unit_test(no_tls_on_server),
		cmocka_unit_test(bytes_after_s_are_not_consumed),
		cmocka_unit_test(hostile_answers_fail_cleanly),
		cmocka_unit_test(defaults_and_registry),
		cmocka_unit_test(password_cleartext_and_md5),
		cmocka_unit_test(password_scram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
