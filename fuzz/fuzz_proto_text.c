/*
 * Target functions: cp_proto_line, cp_proto_reply, cp_proto_cap_line,
 * cp_proto_set (proto_text.c): the line and SMTP/FTP reply readers every text
 * layer uses, on arbitrary bytes. Checks: a whole reply is found again, with
 * the same code and length, in every longer input that starts with it, and
 * never in a shorter one (0: more bytes needed); lines and replies stay in
 * bounds; a failed or incomplete read leaves the text as it was; a reply
 * handed over a few bytes at a time with a cursor reads as without one;
 * verdict strings are one line.
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
	rc = cp_proto_reply(data, size, NULL, &code, &t, &used);
	if ((rc == 1 && (used == 0 || used > size || code < 0 || code > 999)) ||
	    (rc != 1 && strcmp(t.p, "x") != 0))
		abort();
	if (rc == 1) {
		cut = size > 0 ? data[0] % (size + 1) : 0;
		rc2 = cp_proto_reply(data, cut, NULL, &code2, &t2, &used2);
		if (cut >= used && (rc2 != 1 || code2 != code || used2 != used))
			abort();
		if (cut < used && rc2 == 1)
			abort();
	}
	cp_buf_free(&t);
	cp_buf_free(&t2);
}

/* the same bytes handed over a few at a time with a cursor: at each length the
 * answer a call without one gives, and at the end the same as all at once */
static void
check_dripped(const uint8_t *data, size_t size)
{
	struct cp_proto_scan scan = { 0 };
	size_t step = size > 0 ? data[size - 1] % 7 + 1 : 1, used = 0, used2 = 0;
	int rc = 0, rc2, code = 0, code2 = 0;

	for (size_t n = 0; rc == 0; n = n + step < size ? n + step : size) {
		rc = cp_proto_reply(data, n, &scan, &code, NULL, &used);
		rc2 = cp_proto_reply(data, n, NULL, &code2, NULL, &used2);
		if (rc != rc2 || (rc == 1 && (code != code2 || used != used2)) ||
		    (rc != 0 && scan.off != 0) || scan.off > n)
			abort();
		if (n == size)
			break;
	}
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
	check_dripped(data, size);
	cp_proto_set(&s, data, size);
	if (s != NULL && (strlen(s) > size || strpbrk(s, "\r\n") != NULL))
		abort();
	free(s);
	cp_buf_free(&caps);
	return 0;
}
