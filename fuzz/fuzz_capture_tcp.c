/*
 * Target functions: cp_tcp_dir_add, cp_tcp_dir_flush, cp_tcp_dir_release
 * (capture_tcp.c): out-of-order segments, retransmissions, overlaps,
 * mid-stream start, snaplen-cut segments, the per-direction and shared
 * memory caps.
 * Input: a list of segments, each 8 bytes: flags, seq offset (3 bytes,
 * relative to an initial sequence number near the 2^32 wrap), held length
 * (2), cut length (2); then the payload bytes (taken from the input, cycled).
 * Checks: the bytes delivered plus the gaps never exceed the sequence space
 * the segments covered; held bytes stay within the caps; all is freed.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	uint64_t data, gap;
};

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;
	/* the first and last byte: ASan checks the whole range is inside a buffer
	 * (a loop over every byte was most of the target's time) */
	volatile uint8_t x = n ? (uint8_t)(p[0] ^ p[n - 1]) : 0;
	(void)x;
	s->data += n;
}

static void
on_gap(void *arg, uint64_t n, enum cp_gap_why why)
{
	struct sink *s = arg;
	if ((int)why < 0 || why > CP_GAP_MEMORY)
		abort();
	s->gap += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink sink = { 0 };
	struct cp_mem_budget budget = { .limit = 6000 };
	struct cp_tcp_dir d;
	uint8_t payload[4096];
	memset(&d, 0, sizeof(d));
	d.max_pending = 4096;
	d.budget = &budget;
	d.cb = (struct cp_tcp_dir_cb){ .data = on_data, .gap = on_gap, .arg = &sink };
	/* the input repeated (filled by doubling: a per-byte loop was slow) */
	memset(payload, 0, sizeof(payload));
	if (size > 0) {
		size_t have = size < sizeof(payload) ? size : sizeof(payload);
		memcpy(payload, data, have);
		for (; have < sizeof(payload); have *= 2)
			memcpy(payload + have, payload,
			    have < sizeof(payload) - have ? have : sizeof(payload) - have);
	}
	uint32_t isn = 0xfffff000u;
	for (size_t off = 0; off + 8 <= size && off < 8 * 256; off += 8) {
		const uint8_t *h = data + off;
		struct cp_tcp_seg s;
		memset(&s, 0, sizeof(s));
		s.flags = h[0];
		s.seq = isn + ((uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]);
		s.payload_len = ((size_t)h[4] << 8 | h[5]) % 1500;
		s.wire_len = s.payload_len + ((size_t)h[6] << 8 | h[7]) % 64;
		s.payload = payload;
		if (cp_tcp_dir_add(&d, &s) < 0)
			break;
		if (d.pend_bytes > 4096 || budget.used > budget.limit)
			abort();
	}
	cp_tcp_dir_flush(&d);
	if (d.pend != NULL || d.pend_bytes != 0 || budget.used != 0)
		abort();
	if (sink.data != d.delivered || sink.gap != d.gap_bytes)
		abort();
	cp_tcp_dir_release(&d);
	return 0;
}
