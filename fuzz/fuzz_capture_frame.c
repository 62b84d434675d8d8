/*
 * Target functions: cp_frame_decode (capture_frame.c): link layer (Ethernet
 * with VLAN tags, Linux cooked v1/v2, loopback, raw IP), IPv4, IPv6
 * extension headers, TCP.
 * Input: the first byte picks the link type; the rest is one frame.
 * Checks: a decoded segment's payload lies inside the frame, and what is
 * held never exceeds what the headers say was sent.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = { CP_LINK_NULL, CP_LINK_EN10MB, CP_LINK_RAW, CP_LINK_RAW_BSD,
	CP_LINK_RAW_LT, CP_LINK_LOOP, CP_LINK_SLL, CP_LINK_IPV4, CP_LINK_IPV6, CP_LINK_SLL2, 147 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_tcp_seg s;
	if (size < 1)
		return 0;
	int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	/* a copy of exactly the frame, so ASan sees any read past it */
	uint8_t *frame = malloc(size - 1 ? size - 1 : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 1, size - 1);
	if (cp_frame_decode(link, frame, size - 1, &s) == CP_FRAME_TCP) {
		if (s.payload < frame || s.payload + s.payload_len > frame + size - 1)
			abort();
		if (s.payload_len > s.wire_len)
			abort();
		volatile uint8_t sink = 0;
		for (size_t i = 0; i < s.payload_len; i++)
			sink ^= s.payload[i];
		(void)sink;
	}
	(void)cp_frame_rc_name(cp_frame_decode(link, frame, size - 1, &s));
	free(frame);
	return 0;
}
