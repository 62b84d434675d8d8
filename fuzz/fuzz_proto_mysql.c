/*
 * Target: the mysql:// protocol layer (src/lib/proto_mysql.c), driven as the
 * engine drives it (tests/unit/proto_drive.h) by arbitrary server bytes.
 * Input: byte 0 picks the chunk size, byte 1 the split between the bytes
 * before TLS and after it, byte 2 the parameters; the rest is the server.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tests/unit/proto_drive.h"

extern const struct cp_proto_ops cp_proto_mysql;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_proto_params p = { .host = "h", .servername = "h" };
	struct pd_run r;
	size_t split;

	if (size < 3)
		return 0;
	if (data[2] & 1)
		p.user = "alice";
	if (data[2] & 2)
		p.path = (data[2] & 4) ? "/5" : "/db";
	split = (size - 3) * data[1] / 255;
	pd_run(&cp_proto_mysql, &p, data + 3, split, data + 3 + split, size - 3 - split,
	    (size_t)data[0] % 16 + 1, &r);
	if (r.last == CP_PROTO_FAIL && r.v.text == NULL)
		abort();	/* every failure says why */
	if (r.last == CP_PROTO_DONE && r.v.outcome == CP_PROTO_UNKNOWN)
		abort();	/* every DONE carries a verdict */
	pd_free(&r);
	return 0;
}
