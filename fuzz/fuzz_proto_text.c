/*
 * Target functions: cp_proto_line, cp_proto_reply, cp_proto_cap_line,
 * cp_proto_set (proto_text.c): the line and SMTP/FTP reply readers every text
 * layer uses, on arbitrary bytes. Checks: a whole reply is found again, with
 * the same code and length, in every longer input that starts with it, and
 * never in a shorter one (0: more bytes needed); lines and replies stay in
 * bounds; a failed or incomplete read leaves the text as it was; verdict
 * strings are one line.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const uint8_t *data, size_t size)
{
	struct cp_buf t = { 0 }, t2 = { 0 };
	size_t used = 0, used2 = 0, cut;
	int code = 0, code2 = 0, rc, rc2;

	cp_buf_str(&t, "x");
	rc = cp_proto_reply(data, size, &code, &t, &used);
	if ((rc == 1 && (used == 0 || used > size || code < 0 || code > 999)) ||
	    (rc != 1 && strcmp(t.p, "x") != 0))
		abort();
	if (rc == 1) {
		cut = size > 0 ? data[0] % (size + 1) : 0;
		rc2 = cp_proto_reply(data, cut, &code2, &t2, &used2);
		if (cut >= used && (rc2 != 1 || code2 != code || used2 != used))
			abort();
		if (cut < used && rc2 == 1)
			abort();
	}
	cp_buf_free(&t);
	cp_buf_free(&t2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_buf caps = { 0 };
	char *s = NULL;
	size_t n = 0, u = 0;
	bool external = false;
	int rc = cp_proto_line(data, size, &n, &u);

	if (rc == 1 &&
	    (u > size || n > u || n > CP_PROTO_MAX_LINE || memchr(data, '\0', n) != NULL))
		abort();
	if (rc == 1) {
		cp_proto_cap_line(&caps, (const char *)data, n, "AUTH", &external);
		if (caps.p != NULL && strpbrk(caps.p, "\r\n") != NULL)
			abort();
	}
	check_reply(data, size);
	cp_proto_set(&s, data, size);
	if (s != NULL && (strlen(s) > size || strpbrk(s, "\r\n") != NULL))
		abort();
	free(s);
	cp_buf_free(&caps);
	return 0;
}
