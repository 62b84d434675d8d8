/*
 * One captured frame -> one TCP segment: link layer (Ethernet with VLAN
 * tags, Linux cooked v1/v2, BSD/OpenBSD loopback, raw IP), IPv4 (options,
 * fragments reported), IPv6 (extension headers walked, fragments reported),
 * TCP. Pure: no I/O, no allocation; the result borrows from the frame.
 */
#include <string.h>

#include "capture_int.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_VLAN_9100 0x9100
#define MAX_VLAN_TAGS 4

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool
cp_frame_link_supported(int linktype)
{
	switch (linktype) {
	case CP_LINK_NULL:
	case CP_LINK_EN10MB:
	case CP_LINK_RAW:
	case CP_LINK_RAW_BSD:
	case CP_LINK_RAW_LT:
	case CP_LINK_LOOP:
	case CP_LINK_SLL:
	case CP_LINK_IPV4:
	case CP_LINK_IPV6:
	case CP_LINK_SLL2: return true;
	default: return false;
	}
}

const char *
cp_frame_rc_name(enum cp_frame_rc rc)
{
	switch (rc) {
	case CP_FRAME_TCP: return "tcp";
	case CP_FRAME_OTHER: return "other";
	case CP_FRAME_FRAGMENT: return "ip-fragment";
	case CP_FRAME_TRUNCATED: return "truncated-headers";
	case CP_FRAME_MALFORMED: return "malformed";
	default: return "?";
	}
}

static enum cp_frame_rc
decode_tcp(const uint8_t *p, size_t held, size_t wire, struct cp_tcp_seg *out)
{
	if (wire < 20)
		return CP_FRAME_MALFORMED;
	if (held < 20)
		return CP_FRAME_TRUNCATED;
	size_t off = (size_t)(p[12] >> 4) * 4;
	if (off < 20 || off > wire)
		return CP_FRAME_MALFORMED;
	if (off > held)
		return CP_FRAME_TRUNCATED;
	out->sport = be16(p);
	out->dport = be16(p + 2);
	out->seq = be32(p + 4);
	out->ack = be32(p + 8);
	out->flags = p[13];
	out->payload = p + off;
	out->payload_len = held - off;
	out->wire_len = wire - off;
	return CP_FRAME_TCP;
}

static enum cp_frame_rc
decode_ipv4(const uint8_t *p, size_t n, struct cp_tcp_seg *out)
{
	if (n < 20)
		return CP_FRAME_TRUNCATED;
	if (p[0] >> 4 != 4)
		return CP_FRAME_MALFORMED;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	size_t total = be16(p + 2);
	/* TSO captures can carry 0 as the total length: take the frame's */
	if (total == 0)
		total = n;
	if (ihl < 20 || total < ihl)
		return CP_FRAME_MALFORMED;
	if (ihl > n)
		return CP_FRAME_TRUNCATED;
	if ((be16(p + 6) & 0x3fff) != 0) /* MF set or offset nonzero */
		return CP_FRAME_FRAGMENT;
	out->af = 4;
	memcpy(out->src, p + 12, 4);
	memcpy(out->dst, p + 16, 4);
	if (p[9] != 6)
		return CP_FRAME_OTHER;
	/* bytes past `total` are link padding; fewer than `total` were cut by snaplen */
	size_t held = n < total ? n : total;
	return decode_tcp(p + ihl, held - ihl, total - ihl, out);
}

static enum cp_frame_rc
decode_ipv6(const uint8_t *p, size_t n, struct cp_tcp_seg *out)
{
	if (n < 40)
		return CP_FRAME_TRUNCATED;
	if (p[0] >> 4 != 6)
		return CP_FRAME_MALFORMED;
	size_t total = 40 + (size_t)be16(p + 4);
	if (total == 40 && p[6] != 59) /* jumbogram or TSO: the frame's length */
		total = n;
	out->af = 6;
	memcpy(out->src, p + 8, 16);
	memcpy(out->dst, p + 24, 16);
	uint8_t next = p[6];
	size_t off = 40;
	for (int i = 0; i < 8; i++) {
		switch (next) {
		case 6: {
			size_t held = n < total ? n : total;
			if (off > held)
				return CP_FRAME_TRUNCATED;
			return decode_tcp(p + off, held - off, total - off, out);
		}
		case 0:
		case 43:
		case 60: { /* hop-by-hop, routing, destination options */
			if (off + 8 > n)
				return CP_FRAME_TRUNCATED;
			size_t len = ((size_t)p[off + 1] + 1) * 8;
			next = p[off];
			if (off + len > total)
				return CP_FRAME_MALFORMED;
			off += len;
			break;
		}
		case 44: return CP_FRAME_FRAGMENT;
		default: return CP_FRAME_OTHER;
		}
	}
	return CP_FRAME_OTHER;
}

static enum cp_frame_rc
decode_ethertype(uint16_t type, const uint8_t *p, size_t n, struct cp_tcp_seg *out)
{
	switch (type) {
	case ETH_IPV4: return decode_ipv4(p, n, out);
	case ETH_IPV6: return decode_ipv6(p, n, out);
	default: return CP_FRAME_OTHER;
	}
}

static enum cp_frame_rc
decode_ethernet(const uint8_t *p, size_t n, struct cp_tcp_seg *out)
{
	if (n < 14)
		return CP_FRAME_TRUNCATED;
	uint16_t type = be16(p + 12);
	size_t off = 14;
	for (int i = 0;
	     i < MAX_VLAN_TAGS && (type == ETH_VLAN || type == ETH_QINQ || type == ETH_VLAN_9100);
	     i++) {
		if (off + 4 > n)
			return CP_FRAME_TRUNCATED;
		type = be16(p + off + 2);
		off += 4;
	}
	return decode_ethertype(type, p + off, n - off, out);
}

/* The first nibble of the IP header says which version (raw IP links). */
static enum cp_frame_rc
decode_raw(const uint8_t *p, size_t n, struct cp_tcp_seg *out)
{
	if (n < 1)
		return CP_FRAME_TRUNCATED;
	switch (p[0] >> 4) {
	case 4: return decode_ipv4(p, n, out);
	case 6: return decode_ipv6(p, n, out);
	default: return CP_FRAME_OTHER;
	}
}

/* BSD loopback: AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 by OS. */
static enum cp_frame_rc
decode_null(const uint8_t *p, size_t n, bool network_order, struct cp_tcp_seg *out)
{
	if (n < 4)
		return CP_FRAME_TRUNCATED;
	uint32_t fam = network_order ?
	    be32(p) :
	    (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	/* a big-endian writer's host order */
	if (!network_order && fam > 0xffff)
		fam = be32(p);
	switch (fam) {
	case 2: return decode_ipv4(p + 4, n - 4, out);
	case 10:
	case 24:
	case 28:
	case 30: return decode_ipv6(p + 4, n - 4, out);
	default: return CP_FRAME_OTHER;
	}
}

enum cp_frame_rc
cp_frame_decode(int linktype, const uint8_t *frame, size_t caplen, struct cp_tcp_seg *out)
{
	memset(out, 0, sizeof(*out));
	switch (linktype) {
	case CP_LINK_EN10MB: return decode_ethernet(frame, caplen, out);
	case CP_LINK_SLL: /* 16 bytes, protocol at 14 */
		if (caplen < 16)
			return CP_FRAME_TRUNCATED;
		return decode_ethertype(be16(frame + 14), frame + 16, caplen - 16, out);
	case CP_LINK_SLL2: /* 20 bytes, protocol at 0 */
		if (caplen < 20)
			return CP_FRAME_TRUNCATED;
		return decode_ethertype(be16(frame), frame + 20, caplen - 20, out);
	case CP_LINK_NULL: return decode_null(frame, caplen, false, out);
	case CP_LINK_LOOP: return decode_null(frame, caplen, true, out);
	case CP_LINK_RAW:
	case CP_LINK_RAW_BSD:
	case CP_LINK_RAW_LT: return decode_raw(frame, caplen, out);
	case CP_LINK_IPV4: return decode_ipv4(frame, caplen, out);
	case CP_LINK_IPV6: return decode_ipv6(frame, caplen, out);
	default: return CP_FRAME_OTHER;
	}
}
