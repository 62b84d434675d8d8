/*
 * The engine's side of proto.h, for the fuzz_proto_<name> targets: drive one
 * layer's init + step with the fuzzer's bytes as the server's, the way
 * probe_engine.c does, and abort on a broken contract.
 *
 * Input: byte 0 picks the parameters (certificate, user, relay addresses, a
 * service password with 0x80) and which of the two schemes (STARTTLS or
 * implicit TLS); byte 1 the chunk size
 * (0: each turn whole); then the server's turns separated by PROTO_FUZZ_SEP,
 * each handed over only when the layer asks to read; after the last, EOF.
 * Checks: *used <= len; WRITE writes something; STARTTLS only before TLS
 * (bytes pending then end the run, as the engine's error does); READ at EOF
 * never; the run ends within a bounded number of steps; the verdict's
 * strings are one line each.
 */
#ifndef CERTPICK_PROTO_FUZZ_H
#define CERTPICK_PROTO_FUZZ_H

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "proto.h"

#define PROTO_FUZZ_SEP "|~|"
#define PROTO_FUZZ_MAX_STEPS 200000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
proto_fuzz_one_line(const char *s)
{
	if (s != NULL && strpbrk(s, "\r\n") != NULL)
		abort();
}

static const uint8_t *
proto_fuzz_turn(const uint8_t *p, const uint8_t *end, size_t *n)
{
	const uint8_t *sep = memmem(p, (size_t)(end - p), PROTO_FUZZ_SEP, 3);

	*n = (size_t)((sep != NULL ? sep : end) - p);
	return sep != NULL ? sep + 3 : end;
}

static void
proto_fuzz_params(uint8_t b, struct cp_proto_params *p)
{
	static const char *const users[] = { NULL, "alice", "cn=alice,dc=example,dc=org", "" };

	*p = (struct cp_proto_params){ .host = "127.0.0.1", .servername = "example.org" };
	p->have_cert = (b & 1) != 0;
	p->user = users[(b >> 2) & 3];
	if (b & 0x20) /* a path: LDAP base DN, database name, MQTT "5" (MQTT 5) */
		p->path = (b & 0x40) ? "5" : "dc=example,dc=org";
	if (b & 0x10) {
		p->mail_from = "a@example.org";
		p->rcpt_to = "b@example.net";
	}
	if (b & 0x80) { /* a service password: PostgreSQL/MySQL/MQTT password and SCRAM states */
		p->password = "secret";
		p->nonce = "fuzzNonce0123456789abcdef";
	}
}

static int
proto_fuzz(const char *scheme, const char *implicit_scheme, const uint8_t *data, size_t size)
{
	const struct cp_proto_ops *ops;
	struct cp_proto_params params;
	struct cp_proto_verdict v = { .code = -1 };
	struct cp_buf in = { 0 }, out = { 0 };
	const uint8_t *p, *end = data + size, *turn = NULL;
	size_t chunk, left = 0;
	bool tls, eof = false;
	void *st = NULL;

	if (size < 2)
		return 0;
	ops = cp_proto_find((data[0] & 2) && implicit_scheme != NULL ? implicit_scheme : scheme);
	if (ops == NULL || (st = calloc(1, ops->state_size + 1)) == NULL)
		abort();
	proto_fuzz_params(data[0], &params);
	chunk = data[1];
	p = data + 2;
	tls = ops->implicit_tls;
	ops->init(st, &params);
	for (unsigned steps = 0;; steps++) {
		uint8_t *copy = malloc(in.len + 1);
		size_t used = (size_t)-1;
		enum cp_proto_act act;

		if (steps > PROTO_FUZZ_MAX_STEPS || copy == NULL)
			abort();
		memcpy(copy, in.p != NULL ? in.p : "", in.len);
		act = ops->step(st, tls, eof, copy, in.len, &used, &out, &v);
		free(copy);
		if (used > in.len)
			abort();
		cp_buf_consume(&in, used);
		if (act == CP_PROTO_DONE || act == CP_PROTO_FAIL)
			break;
		if (act == CP_PROTO_WRITE) {
			if (out.len == 0 && !out.nomem)
				abort();
			cp_buf_reset(&out);
			continue;
		}
		if (act == CP_PROTO_STARTTLS) {
			if (tls)
				abort();
			if (in.len > 0) /* the engine ends the connection */
				break;
			tls = true;
			continue;
		}
		if (act != CP_PROTO_READ || eof)
			abort();
		if (in.len > CP_PROTO_MAX_PENDING) /* the engine: "reply too long" */
			break;
		if (left == 0 && p < end) {
			turn = p;
			p = proto_fuzz_turn(p, end, &left);
		}
		if (left == 0) {
			eof = true;
			continue;
		}
		size_t n = chunk == 0 || chunk > left ? left : chunk;

		cp_buf_add(&in, turn, n);
		turn += n;
		left -= n;
	}
	proto_fuzz_one_line(v.text);
	proto_fuzz_one_line(v.banner);
	proto_fuzz_one_line(v.capabilities);
	proto_fuzz_one_line(v.identity);
	if (ops->clear != NULL)
		ops->clear(st);
	free(st);
	cp_proto_verdict_clear(&v);
	cp_buf_free(&in);
	cp_buf_free(&out);
	return 0;
}

#endif
