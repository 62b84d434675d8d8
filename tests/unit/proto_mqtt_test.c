/* proto_mqtt.c: CONNECT, the broker's CONNACK, DISCONNECT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"
#include "proto_drive.h"

extern const struct cp_proto_ops cp_proto_mqtts, cp_proto_mqtt;

static void
accepted_311(void **state)
{
	static const struct cp_proto_params p = { .host = "broker", .user = "alice" };
	static const uint8_t want[] = { 0x10, 33, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x82, 0, 30, 0, 14,
		'c', 'e', 'r', 't', 'p', 'i', 'c', 'k', '-', 'p', 'r', 'o', 'b', 'e', 0, 5, 'a',
		'l', 'i', 'c', 'e' };
	struct run r = { 0 };

	(void)state;
	for (size_t chunk = 1; chunk <= 4; chunk++) {
		pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x20\x02\x00\x00", 4, chunk, &r);
		assert_int_equal(r.last, CP_PROTO_DONE);
		assert_int_equal(r.wrote_tls.len, sizeof(want) + 2);
		assert_memory_equal(r.wrote_tls.p, want, sizeof(want));
		assert_memory_equal(r.wrote_tls.p + sizeof(want), "\xe0\x00", 2);
		assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
		assert_int_equal(r.v.code, 0);
		assert_string_equal(r.v.text, "CONNACK 0: Connection Accepted");
		assert_string_equal(r.v.identity, "alice");
		pd_free(&r);
	}
}

static void
refused_codes(void **state)
{
	static const struct cp_proto_params p = { .host = "broker" };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x20\x02\x00\x05", 4, 1, &r);
	assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
	assert_int_equal(r.v.code, 5);
	assert_string_equal(r.v.text,
	    "CONNACK 5: not authorized [certpick sent no user and no password]");
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MQTT_NOT_AUTHORIZED);
	assert_null(r.v.identity);
	/* no user flag, no DISCONNECT after a refusal */
	assert_int_equal((uint8_t)r.wrote_tls.p[9], 0x02);
	assert_int_equal(r.wrote_tls.len, 2 + (uint8_t)r.wrote_tls.p[1]);
	pd_free(&r);
	pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x20\x02\x00\x09", 4, 1, &r);
	assert_string_equal(r.v.text, "CONNACK 9: unknown return code");
	assert_false(r.v.has_reason);
	pd_free(&r);
}

/* MQTT 5 ("/5"): protocol level 5, empty properties; reason code and reason string. */
static void
mqtt5_reason_string(void **state)
{
	static const struct cp_proto_params p = { .host = "broker", .path = "/5" };
	static const uint8_t connack[] = { 0x20, 17, 0x00, 0x87, 14, 0x21, 0x00, 0x0a, 0x1f, 0, 8,
		'n', 'o', ' ', 'c', 'e', 'r', 't', '!' };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_mqtts, &p, NULL, 0, connack, sizeof(connack), 3, &r);
	assert_int_equal(r.wrote_tls.p[8], 5);
	assert_int_equal(r.wrote_tls.p[12], 0); /* property length */
	assert_int_equal(r.v.outcome, CP_PROTO_REFUSED);
	assert_int_equal(r.v.code, 0x87);
	assert_string_equal(r.v.text,
	    "CONNACK 135: Not authorized (no cert!) [certpick sent no user and no password]");
	pd_free(&r);
}

/* mqtt:// stays in the clear: no STARTTLS ever. */
static void
plain_baseline(void **state)
{
	static const struct cp_proto_params p = { .host = "broker" };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_mqtt, &p, "\x20\x02\x00\x00", 4, NULL, 0, 1, &r);
	assert_int_equal(r.last, CP_PROTO_DONE);
	assert_false(r.started_tls);
	assert_int_equal(r.v.outcome, CP_PROTO_ACCEPTED);
	pd_free(&r);
	assert_string_equal(cp_proto_find("mqtt")->default_port, "1883");
	assert_true(cp_proto_find("mqtts")->implicit_tls);
}

/* A password: in the CONNECT after the user; the two refusals told apart. */
static void
passwords(void **state)
{
	static const struct cp_proto_params pu = { .host = "b", .user = "alice", .password = "pw" };
	static const struct cp_proto_params p3 = { .host = "b", .password = "pw" };
	static const struct cp_proto_params p5 = { .host = "b", .path = "5", .password = "pw" };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_mqtts, &pu, NULL, 0, "\x20\x02\x00\x04", 4, 1, &r);
	assert_int_equal((uint8_t)r.wrote_tls.p[9], 0xc2);
	assert_int_equal(r.wrote_tls.len, 2 + (uint8_t)r.wrote_tls.p[1]);
	assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 11,
	    "\0\x05"
	    "alice\0\x02pw",
	    11);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MQTT_BAD_CREDENTIALS);
	assert_string_equal(r.v.text,
	    "CONNACK 4: bad user name or password [certpick sent user alice and a password]");
	pd_free(&r);
	/* 3.1.1: no user given, the empty one (a password needs the user flag) */
	pd_run(&cp_proto_mqtts, &p3, NULL, 0, "\x20\x02\x00\x05", 4, 1, &r);
	assert_int_equal((uint8_t)r.wrote_tls.p[9], 0xc2);
	assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 6, "\0\0\0\x02pw", 6);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MQTT_NOT_AUTHORIZED);
	pd_free(&r);
	/* MQTT 5: the password alone; 0x86 */
	pd_run(&cp_proto_mqtts, &p5, NULL, 0, "\x20\x03\x00\x86\x00", 5, 1, &r);
	assert_int_equal((uint8_t)r.wrote_tls.p[9], 0x42);
	assert_memory_equal(r.wrote_tls.p + r.wrote_tls.len - 4, "\0\x02pw", 4);
	assert_int_equal(r.v.reason, CERTPICK_REASON_SVC_MQTT_BAD_CREDENTIALS);
	pd_free(&r);
}

static void
hostile_brokers(void **state)
{
	static const struct cp_proto_params p = { .host = "broker" };
	struct run r = { 0 };

	(void)state;
	pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x30\x02\x00\x00", 4, 1, &r); /* PUBLISH first */
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x20\xff\xff\xff\xff", 5, 1, &r); /* 5-byte length */
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x20\xff\xff\x7f", 4, 1, &r); /* 2 MiB CONNACK */
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(strstr(r.v.text, "impossible length"));
	pd_free(&r);
	pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x20\x01\x00", 3, 1, &r);
	assert_int_equal(r.last, CP_PROTO_FAIL);
	pd_free(&r);
	pd_run(&cp_proto_mqtts, &p, NULL, 0, "\x20\x02\x00", 3, 1, &r); /* then EOF */
	assert_int_equal(r.last, CP_PROTO_FAIL);
	assert_non_null(strstr(r.v.text, "closed"));
	pd_free(&r);
	/* MQTT 5 properties that lie about their length are ignored, not read past */
	{
		static const struct cp_proto_params p5 = { .host = "b", .path = "5" };
		static const uint8_t bad[] = { 0x20, 6, 0x00, 0x87, 100, 0x1f, 0, 200 };

		pd_run(&cp_proto_mqtts, &p5, NULL, 0, bad, sizeof(bad), 1, &r);
		assert_string_equal(r.v.text,
		    "CONNACK 135: Not authorized [certpick sent no user and no password]");
		pd_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_311),
		cmocka_unit_test(refused_codes),
		cmocka_unit_test(mqtt5_reason_string),
		cmocka_unit_test(plain_baseline),
		cmocka_unit_test(hostile_brokers),
		cmocka_unit_test(passwords),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
