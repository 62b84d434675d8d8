/*
 * capture_frame.c, capture_tcp.c, capture_tls.c, capture_crypt.c and the
 * file layer of capture.c, with crafted inputs: every link type, VLAN tags,
 * IPv6 extension headers, fragments and truncated headers; TCP out of order,
 * retransmitted, overlapping (agreeing and not), mid-stream, snaplen-cut and
 * over the caps; TLS records cut anywhere, messages over records and several
 * in one; key log lines; record decryption; hostile and truncated files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "testutil.h"
#include "internal.h"
#include "capture_int.h"

/* IPv4 + TCP (20 + 20) carrying payload, total length as given (0: exact). */
static size_t
ipv4_tcp_n(uint8_t *p, uint32_t seq, uint8_t flags, const char *payload, size_t plen,
    size_t total_override)
{
	size_t total = 40 + plen;
	memset(p, 0, 40);
	p[0] = 0x45;
	size_t t = total_override ? total_override : total;
	p[2] = (uint8_t)(t >> 8);
	p[3] = (uint8_t)t;
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	p[20] = 0x30; /* sport 12345 */
	p[21] = 0x39;
	p[22] = 0x01; /* dport 443 */
	p[23] = 0xbb;
	p[24] = (uint8_t)(seq >> 24);
	p[25] = (uint8_t)(seq >> 16);
	p[26] = (uint8_t)(seq >> 8);
	p[27] = (uint8_t)seq;
	p[32] = 0x50;
	p[33] = flags;
	memcpy(p + 40, payload, plen);
	return total;
}

static size_t
ipv4_tcp(uint8_t *p, uint32_t seq, uint8_t flags, const char *payload, size_t total_override)
{
	return ipv4_tcp_n(p, seq, flags, payload, strlen(payload), total_override);
}

static void
frame_link_types(void **state)
{
	uint8_t f[256], ip[128];
	struct cp_tcp_seg s;
	(void)state;
	size_t n = ipv4_tcp(ip, 1000, CP_TCP_ACK, "hello", 0);

	/* Ethernet with two VLAN tags (802.1ad outer, 802.1Q inner) */
	memset(f, 0, 14);
	f[12] = 0x88;
	f[13] = 0xa8;
	memcpy(f + 14, "\x00\x01\x81\x00", 4);
	memcpy(f + 18, "\x00\x02\x08\x00", 4);
	memcpy(f + 22, ip, n);
	assert_int_equal(cp_frame_decode(CP_LINK_EN10MB, f, 22 + n, &s), CP_FRAME_TCP);
	assert_int_equal(s.af, 4);
	assert_int_equal(s.sport, 12345);
	assert_int_equal(s.dport, 443);
	assert_int_equal(s.seq, 1000);
	assert_int_equal(s.payload_len, 5);
	assert_memory_equal(s.payload, "hello", 5);

	/* Ethernet padding after the IP packet is not payload */
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	memcpy(f + 14, ip, n);
	assert_int_equal(cp_frame_decode(CP_LINK_EN10MB, f, 14 + n + 6, &s), CP_FRAME_TCP);
	assert_int_equal(s.payload_len, 5);

	/* Linux cooked v1 (protocol at 14) and v2 (protocol at 0) */
	memset(f, 0, sizeof(f));
	f[14] = 0x08;
	memcpy(f + 16, ip, n);
	assert_int_equal(cp_frame_decode(CP_LINK_SLL, f, 16 + n, &s), CP_FRAME_TCP);
	memset(f, 0, sizeof(f));
	f[0] = 0x08;
	memcpy(f + 20, ip, n);
	assert_int_equal(cp_frame_decode(CP_LINK_SLL2, f, 20 + n, &s), CP_FRAME_TCP);

	/* BSD loopback: family 2 in host (little-endian) order; OpenBSD: network order */
	memcpy(f, "\x02\x00\x00\x00", 4);
	memcpy(f + 4, ip, n);
	assert_int_equal(cp_frame_decode(CP_LINK_NULL, f, 4 + n, &s), CP_FRAME_TCP);
	memcpy(f, "\x00\x00\x00\x02", 4);
	assert_int_equal(cp_frame_decode(CP_LINK_LOOP, f, 4 + n, &s), CP_FRAME_TCP);

	/* raw IP, three spellings */
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, ip, n, &s), CP_FRAME_TCP);
	assert_int_equal(cp_frame_decode(CP_LINK_RAW_LT, ip, n, &s), CP_FRAME_TCP);
	assert_int_equal(cp_frame_decode(CP_LINK_IPV4, ip, n, &s), CP_FRAME_TCP);

	/* an unknown link type and a non-IP ethertype (ARP) are "other" */
	assert_int_equal(cp_frame_decode(147, ip, n, &s), CP_FRAME_OTHER);
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[13] = 0x06;
	assert_int_equal(cp_frame_decode(CP_LINK_EN10MB, f, 60, &s), CP_FRAME_OTHER);
	assert_false(cp_frame_link_supported(147));
	assert_true(cp_frame_link_supported(CP_LINK_SLL2));
}

static void
frame_ipv6_and_hostile(void **state)
{
	uint8_t p[200], ip[128];
	struct cp_tcp_seg s;
	(void)state;
	/* IPv6 with a hop-by-hop header (8 bytes) before TCP */
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	p[5] = 8 + 20 + 3; /* payload length */
	p[6] = 0;	   /* next: hop-by-hop */
	p[23] = 1;	   /* src ::1 */
	p[39] = 1;
	p[40] = 6; /* hop-by-hop: next TCP, length 0 (8 bytes) */
	p[48 + 12] = 0x50;
	memcpy(p + 68, "abc", 3);
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, p, 71, &s), CP_FRAME_TCP);
	assert_int_equal(s.af, 6);
	assert_int_equal(s.payload_len, 3);
	assert_int_equal(s.src[15], 1);
	/* a fragment header is reported, never reassembled */
	p[40] = 44;
	p[6] = 44;
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, p, 71, &s), CP_FRAME_FRAGMENT);
	/* an extension header longer than the packet */
	p[6] = 0;
	p[40] = 6;
	p[41] = 200;
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, p, 71, &s), CP_FRAME_MALFORMED);

	size_t n = ipv4_tcp(ip, 1, CP_TCP_ACK, "xyz", 0);
	/* IPv4 fragment (MF set) */
	ip[6] = 0x20;
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, ip, n, &s), CP_FRAME_FRAGMENT);
	ip[6] = 0;
	/* headers cut by the snap length */
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, ip, 30, &s), CP_FRAME_TRUNCATED);
	assert_int_equal(cp_frame_decode(CP_LINK_EN10MB, ip, 10, &s), CP_FRAME_TRUNCATED);
	/* payload cut by the snap length: held < wire */
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, ip, 41, &s), CP_FRAME_TCP);
	assert_int_equal(s.payload_len, 1);
	assert_int_equal(s.wire_len, 3);
	/* IHL below 20 and a TCP data offset past the packet */
	ip[0] = 0x44;
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, ip, n, &s), CP_FRAME_MALFORMED);
	ip[0] = 0x45;
	ip[32] = 0xf0;
	assert_int_equal(cp_frame_decode(CP_LINK_RAW, ip, n, &s), CP_FRAME_MALFORMED);
	assert_string_equal(cp_frame_rc_name(CP_FRAME_FRAGMENT), "ip-fragment");
}

struct collect {
	char data[4096];
	size_t len;
	uint64_t gaps[8];
	enum cp_gap_why why[8];
	size_t n_gaps;
};

static void
col_data(void *arg, const uint8_t *p, size_t n)
{
	struct collect *c = arg;
	assert_true(c->len + n < sizeof(c->data));
	memcpy(c->data + c->len, p, n);
	c->len += n;
	c->data[c->len] = '\0';
}

static void
col_gap(void *arg, uint64_t n, enum cp_gap_why why)
{
	struct collect *c = arg;
	if (c->n_gaps < 8) {
		c->gaps[c->n_gaps] = n;
		c->why[c->n_gaps++] = why;
	}
	/* a gap shows in the text as '#' per byte, to compare orders */
	for (uint64_t i = 0; i < n && c->len + 1 < sizeof(c->data); i++)
		c->data[c->len++] = '#';
	c->data[c->len] = '\0';
}

static void
seg(struct cp_tcp_dir *d, uint32_t seq, uint8_t flags, const char *p, size_t cut)
{
	struct cp_tcp_seg s = { .seq = seq, .flags = flags, .payload = (const uint8_t *)p };
	s.wire_len = strlen(p);
	s.payload_len = s.wire_len - cut;
	assert_int_equal(cp_tcp_dir_add(d, &s), 0);
}

static void
dir_init(struct cp_tcp_dir *d, struct collect *c, struct cp_mem_budget *b, size_t max)
{
	memset(d, 0, sizeof(*d));
	memset(c, 0, sizeof(*c));
	d->cb = (struct cp_tcp_dir_cb){ .data = col_data, .gap = col_gap, .arg = c };
	d->budget = b;
	d->max_pending = max;
}

static void
tcp_reassembly(void **state)
{
	struct cp_tcp_dir d;
	struct collect c;
	struct cp_mem_budget b = { 0 };
	(void)state;

	/* SYN, then out of order, a retransmission and an agreeing overlap */
	dir_init(&d, &c, &b, 0);
	seg(&d, 99, CP_TCP_SYN, "", 0);
	seg(&d, 106, CP_TCP_ACK, "world", 0);
	seg(&d, 100, CP_TCP_ACK, "hello ", 0);
	seg(&d, 100, CP_TCP_ACK, "hello ", 0); /* retransmitted */
	seg(&d, 104, CP_TCP_ACK, "o wor", 0);  /* overlaps both */
	seg(&d, 111, CP_TCP_ACK | CP_TCP_FIN, "!", 0);
	cp_tcp_dir_flush(&d);
	assert_string_equal(c.data, "hello world!");
	assert_true(d.syn_seen);
	assert_true(d.fin_seen);
	assert_int_equal(d.retransmitted, 2);
	assert_int_equal(d.overlap_conflicts, 0);
	assert_int_equal(d.gaps, 0);
	assert_int_equal(b.used, 0);
	cp_tcp_dir_release(&d);

	/* two held copies that disagree: counted, the first wins */
	dir_init(&d, &c, &b, 0);
	seg(&d, 0, CP_TCP_SYN, "", 0);
	seg(&d, 5, CP_TCP_ACK, "AAAA", 0);
	seg(&d, 7, CP_TCP_ACK, "BBBB", 0);
	seg(&d, 1, CP_TCP_ACK, "xxxx", 0);
	cp_tcp_dir_flush(&d);
	assert_string_equal(c.data, "xxxxAAAABB");
	assert_int_equal(d.overlap_conflicts, 1);
	cp_tcp_dir_release(&d);

	/* mid-stream start, a hole never filled, a snaplen-cut segment */
	dir_init(&d, &c, &b, 0);
	seg(&d, 5000, CP_TCP_ACK, "abc", 0);
	seg(&d, 5006, CP_TCP_ACK, "ghi", 0);
	seg(&d, 5009, CP_TCP_ACK, "jklmn", 3); /* 2 held of 5 */
	seg(&d, 5014, CP_TCP_ACK, "op", 0);
	cp_tcp_dir_flush(&d);
	assert_false(d.syn_seen);
	assert_string_equal(c.data, "abc###ghijk###op");
	assert_int_equal(c.n_gaps, 2);
	assert_int_equal(c.why[0], CP_GAP_LOST);
	assert_int_equal(c.why[1], CP_GAP_SNAPLEN);
	cp_tcp_dir_release(&d);

	/* sequence numbers across the 2^32 wrap */
	dir_init(&d, &c, &b, 0);
	seg(&d, 0xfffffffdu, CP_TCP_SYN, "", 0);
	seg(&d, 0x00000001u, CP_TCP_ACK, "cd", 0);
	seg(&d, 0xfffffffeu, CP_TCP_ACK, "ab", 0);
	seg(&d, 0x00000000u, CP_TCP_ACK, "X", 0);
	cp_tcp_dir_flush(&d);
	assert_string_equal(c.data, "abXcd");
	cp_tcp_dir_release(&d);
}

static void
tcp_caps(void **state)
{
	struct cp_tcp_dir d;
	struct collect c;
	struct cp_mem_budget b = { .limit = 8 };
	(void)state;

	/* the per-direction cap (6 bytes) forces the first hole to be declared */
	dir_init(&d, &c, NULL, 6);
	seg(&d, 0, CP_TCP_SYN, "", 0);
	seg(&d, 4, CP_TCP_ACK, "dddd", 0);
	seg(&d, 10, CP_TCP_ACK, "jjjj", 0); /* over 6: give up on 1..3 */
	assert_string_equal(c.data, "###dddd");
	assert_int_equal(d.pend_bytes, 4);
	cp_tcp_dir_flush(&d);
	assert_string_equal(c.data, "###dddd##jjjj");
	cp_tcp_dir_release(&d);

	/* the shared budget (8 bytes) is charged and given back */
	struct cp_tcp_dir d2;
	struct collect c2;
	dir_init(&d, &c, &b, 0);
	dir_init(&d2, &c2, &b, 0);
	seg(&d, 0, CP_TCP_SYN, "", 0);
	seg(&d2, 0, CP_TCP_SYN, "", 0);
	seg(&d, 5, CP_TCP_ACK, "12345", 0);
	assert_int_equal(b.used, 5);
	seg(&d2, 5, CP_TCP_ACK, "abcde", 0); /* 10 > 8: d2 declares a gap */
	assert_int_equal(b.used, 5);
	assert_int_equal(c2.why[0], CP_GAP_MEMORY);
	assert_string_equal(c2.data, "####abcde");
	seg(&d, 1, CP_TCP_ACK, "abcd", 0);
	assert_int_equal(b.used, 0);
	assert_string_equal(c.data, "abcd12345");
	cp_tcp_dir_release(&d);
	cp_tcp_dir_release(&d2);
}

struct msgs {
	uint8_t types[16];
	size_t lens[16];
	size_t n;
	size_t records;
	struct cp_tls_hs *hs;
};

static int
on_msg(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
	struct msgs *m = arg;
	(void)b;
	if (m->n < 16) {
		m->types[m->n] = type;
		m->lens[m->n++] = n;
	}
	return 0;
}

static int
on_rec(void *arg, uint8_t type, uint16_t version, const uint8_t *p, size_t n)
{
	struct msgs *m = arg;
	assert_int_equal(version, 0x0303);
	m->records++;
	if (type == 22)
		cp_tls_hs_feed(m->hs, p, n);
	return 0;
}

static void
tls_records_and_messages(void **state)
{
	struct cp_tls_rec rec;
	struct cp_tls_hs hs;
	struct msgs m;
	(void)state;
	memset(&rec, 0, sizeof(rec));
	memset(&hs, 0, sizeof(hs));
	memset(&m, 0, sizeof(m));
	m.hs = &hs;
	hs.cb = (struct cp_tls_hs_cb){ .message = on_msg, .arg = &m };
	rec.cb = (struct cp_tls_rec_cb){ .record = on_rec, .arg = &m };
	/*
	 * record 1: a whole message (type 2, 3 bytes) and the first 2 bytes of
	 * the next header; record 2: the rest of a 6-byte message (type 11) and
	 * an empty one (type 14)
	 */
	static const uint8_t stream[] = {
		0x16,
		0x03,
		0x03,
		0x00,
		0x09,
		0x02,
		0x00,
		0x00,
		0x03,
		'a',
		'b',
		'c',
		0x0b,
		0x00,
		0x16,
		0x03,
		0x03,
		0x00,
		0x0c,
		0x00,
		0x06,
		'1',
		'2',
		'3',
		'4',
		'5',
		'6',
		0x0e,
		0x00,
		0x00,
		0x00,
	};
	/* fed one byte at a time: records cut anywhere */
	for (size_t i = 0; i < sizeof(stream); i++)
		cp_tls_rec_feed(&rec, stream + i, 1);
	assert_null(rec.lost);
	assert_int_equal(m.records, 2);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.types[0], 2);
	assert_int_equal(m.lens[0], 3);
	assert_int_equal(m.types[1], 11);
	assert_int_equal(m.lens[1], 6);
	assert_int_equal(m.types[2], 14);
	assert_false(cp_tls_hs_pending(&hs));
	/* a gap stops the direction rather than guess the next record */
	cp_tls_rec_gap(&rec, 10);
	assert_non_null(rec.lost);
	cp_tls_rec_feed(&rec, stream, sizeof(stream));
	assert_int_equal(m.records, 2);
	cp_tls_rec_release(&rec);
	cp_tls_hs_release(&hs);

	/* not TLS (an HTTP request), and a record over 2^14 + 2048 */
	memset(&rec, 0, sizeof(rec));
	cp_tls_rec_feed(&rec, (const uint8_t *)"GET / HTTP/1.1\r\n", 16);
	assert_non_null(rec.lost);
	cp_tls_rec_release(&rec);
	memset(&rec, 0, sizeof(rec));
	cp_tls_rec_feed(&rec, (const uint8_t *)"\x17\x03\x03\x48\x01", 5);
	assert_non_null(rec.lost);
	cp_tls_rec_release(&rec);

	/* freed inside a record (the connection closed): later bytes are not read */
	memset(&rec, 0, sizeof(rec));
	cp_tls_rec_feed(&rec,
	    (const uint8_t *)"\x17\x03\x03\x00\x10"
			     "abc",
	    8);
	cp_tls_rec_release(&rec);
	assert_non_null(rec.lost);
	cp_tls_rec_feed(&rec, (const uint8_t *)"defghijklmnop", 13);
	cp_tls_rec_release(&rec);

	/* a handshake message over the size limit */
	memset(&hs, 0, sizeof(hs));
	hs.max_msg = 100;
	cp_tls_hs_feed(&hs, (const uint8_t *)"\x0b\x00\x01\x00", 4);
	assert_non_null(hs.lost);
	cp_tls_hs_release(&hs);
}

static void
hellos_and_certificates(void **state)
{
	struct cp_hello h;
	size_t len;
	(void)state;
	/* ClientHello: version, random, empty session id, one suite, null compression,
	 * extensions: server_name "a.example", signature_algorithms [0x0403, 0x0804],
	 * post_handshake_auth, supported_versions [0x0304] */
	uint8_t *ch = tu_unhex("0303"
			       "1111111111111111111111111111111111111111111111111111111111111111"
			       "00"
			       "00021301"
			       "0100"
			       "0027"
			       "0000000e000c000009612e6578616d706c65"
			       "000d0006000404030804"
			       "00310000"
			       "002b0003020304",
	    &len);
	assert_int_equal(cp_hello_parse_client(ch, len, &h), 0);
	assert_true(h.has_sni);
	assert_string_equal(h.sni, "a.example");
	assert_true(h.pha);
	assert_int_equal(h.n_sigalgs, 2);
	assert_int_equal(h.sigalgs[1], 0x0804);
	assert_int_equal(h.version, 0x0304);
	assert_int_equal(h.random[0], 0x11);
	/* every truncation fails cleanly or parses a prefix, never reads past */
	for (size_t i = 0; i < len; i++) {
		uint8_t *cut = malloc(i ? i : 1);
		memcpy(cut, ch, i);
		(void)cp_hello_parse_client(cut, i, &h);
		free(cut);
	}
	free(ch);

	/* TLS 1.3 Certificate: context "", one entry of 3 bytes with no extensions */
	struct cp_slice certs[4];
	size_t nc = 0;
	uint8_t *cm = tu_unhex("00"
			       "000008"
			       "000003616263"
			       "0000",
	    &len);
	assert_int_equal(cp_cert_msg_parse(CERTPICK_TLS13, cm, len, certs, 4, &nc), 0);
	assert_int_equal(nc, 1);
	assert_int_equal(certs[0].n, 3);
	assert_memory_equal(certs[0].p, "abc", 3);
	assert_int_equal(cp_cert_msg_parse(CERTPICK_TLS12, cm, len, certs, 4, &nc), -1);
	free(cm);
	/* the empty Certificate of TLS 1.2 */
	assert_int_equal(cp_cert_msg_parse(CERTPICK_TLS12, (const uint8_t *)"\0\0\0", 3, certs, 4,
			     &nc),
	    0);
	assert_int_equal(nc, 0);
}

static void
keylog_lines(void **state)
{
	struct cp_keylog kl = { 0 };
	uint8_t cr[32];
	(void)state;
	memset(cr, 0xab, 32);
	char text[1024];
	char crh[65], sec[97];
	for (int i = 0; i < 32; i++)
		snprintf(crh + 2 * i, 3, "ab");
	for (int i = 0; i < 48; i++)
		snprintf(sec + 2 * i, 3, "%02x", i);
	snprintf(text, sizeof(text),
	    "# comment\nCLIENT_RANDOM %s %s\r\n"
	    "SERVER_HANDSHAKE_TRAFFIC_SECRET %s %.64s\n"
	    "EXPORTER_SECRET %s %.64s\nCLIENT_RANDOM zz %s\ngarbage\n\n"
	    "SERVER_HANDSHAKE_TRAFFIC_SECRET %s %.64s",
	    crh, sec, crh, sec, crh, sec, sec, crh, sec + 2);
	assert_int_equal(cp_keylog_parse(&kl, text, strlen(text)), 0);
	assert_int_equal(kl.n, 3);
	/* EXPORTER_SECRET: a label certpick does not use, skipped, not bad */
	assert_int_equal(kl.bad_lines, 2);
	const struct cp_keylog_entry *e = cp_keylog_find(&kl, cr, CP_KL_CLIENT_RANDOM);
	assert_non_null(e);
	assert_int_equal(e->secret_len, 48);
	assert_int_equal(e->secret[47], 47);
	/* the last line for a label wins */
	e = cp_keylog_find(&kl, cr, CP_KL_SERVER_HS);
	assert_non_null(e);
	assert_int_equal(e->secret[0], 1);
	cr[0] = 0;
	assert_null(cp_keylog_find(&kl, cr, CP_KL_CLIENT_RANDOM));
	cp_keylog_release(&kl);
}

/* TLS 1.3: seal a record with the key and IV cp_crypt_init13 derived, open it. */
static void
crypt_tls13_roundtrip(void **state)
{
	struct cp_crypt c;
	uint8_t secret[32], rec[64], tag[16];
	int len = 0;
	(void)state;
	memset(secret, 7, sizeof(secret));
	assert_int_equal(cp_crypt_init13(&c, 0x1301, secret, 32), 0);
	assert_int_equal(c.key_len, 16);
	/* inner plaintext: an alert (2 bytes) + content type 21 + 2 bytes padding */
	uint8_t inner[5] = { 2, 116, 21, 0, 0 };
	uint8_t aad[5] = { 23, 3, 3, 0, 5 + 16 };
	uint8_t nonce[12];
	memcpy(nonce, c.iv, 12);
	nonce[11] ^= 1; /* sequence number 1 */
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, c.key, nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &len, aad, 5), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, rec, &len, inner, 5), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, rec + len, &len), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(ctx);
	memcpy(rec + 5, tag, 16);
	uint8_t copy[64];
	memcpy(copy, rec, 21);
	uint8_t type = 0;
	size_t out_len = 0;
	const uint8_t *out = NULL;
	/* at sequence 0 the nonce is wrong: the tag fails */
	assert_int_equal(cp_crypt_open(&c, 23, 0x0303, copy, 21, &type, &out_len, &out), -1);
	assert_int_equal(c.failures, 1);
	c.seq = 1;
	assert_int_equal(cp_crypt_open(&c, 23, 0x0303, rec, 21, &type, &out_len, &out), 0);
	assert_int_equal(type, 21);
	assert_int_equal(out_len, 2);
	assert_int_equal(out[1], 116);
	assert_int_equal(c.seq, 2);
	cp_crypt_release(&c);
	assert_int_equal(cp_crypt_init13(&c, 0x1305, secret, 32), -1); /* CCM_8: not supported */
	assert_string_equal(cp_crypt_suite_name(0xc02f), "ECDHE-RSA-AES128-GCM-SHA256");
}

static char *
write_file(const char *dir, const char *name, const void *p, size_t n)
{
	size_t n_path = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n_path);
	snprintf(path, n_path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fwrite(p, 1, n, fp);
	fclose(fp);
	return path;
}

/* pcap global header (microseconds, little-endian) for a link type */
static size_t
pcap_header(uint8_t *p, uint32_t link)
{
	static const uint8_t h[20] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0 };
	memcpy(p, h, 20);
	for (int i = 0; i < 4; i++)
		p[20 + i] = (uint8_t)(link >> (8 * i));
	return 24;
}

static size_t
pcap_record(uint8_t *p, const uint8_t *frame, uint32_t caplen, uint32_t len)
{
	memset(p, 0, 16);
	for (int i = 0; i < 4; i++) {
		p[8 + i] = (uint8_t)(caplen >> (8 * i));
		p[12 + i] = (uint8_t)(len >> (8 * i));
	}
	memcpy(p + 16, frame, caplen);
	return 16 + caplen;
}

static void
hostile_files(void **state)
{
	struct certpick_capture_result r;
	struct certpick_error err;
	struct certpick_capture_options o = { 0 };
	uint8_t buf[4096], ip[128];
	(void)state;
	char *dir = tu_tmpdir();

	/* not a capture */
	char *p = write_file(dir, "junk", "hello world, not a pcap", 23);
	memset(&r, 0, sizeof(r));
	assert_int_equal(certpick_capture_run(p, &o, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PARSE);
	certpick_capture_result_release(&r);
	free(p);
	/* empty, and missing */
	p = write_file(dir, "empty", "", 0);
	assert_int_equal(certpick_capture_run(p, &o, &r, &err), -1);
	free(p);
	assert_int_equal(certpick_capture_run("/nonexistent/x.pcap", &o, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);

	/* a link type certpick does not read */
	size_t n = pcap_header(buf, 147);
	p = write_file(dir, "user0", buf, n);
	assert_int_equal(certpick_capture_run(p, &o, &r, &err), -1);
	assert_non_null(strstr(err.message, "link type 147"));
	free(p);

	/* raw IP: a TLS handshake record start, then a packet cut inside its record */
	n = pcap_header(buf, 101);
	size_t fl = ipv4_tcp_n(ip, 1, CP_TCP_ACK, "\x16\x03\x01\x00\x04\x01\x00\x00\x10", 9, 0);
	n += pcap_record(buf + n, ip, (uint32_t)fl, (uint32_t)fl);
	p = write_file(dir, "ok", buf, n);
	memset(&r, 0, sizeof(r));
	assert_int_equal(certpick_capture_run(p, &o, &r, &err), 0);
	assert_int_equal(r.packets, 1);
	assert_int_equal(r.n_conns, 1);
	assert_int_equal(r.conns[0].n_notes >= 1, 1); /* mid-stream, message cut */
	assert_non_null(r.conns[0].verdict);
	certpick_capture_result_release(&r);
	free(p);
	/* the same file cut inside the packet record */
	p = write_file(dir, "cut", buf, n - 10);
	memset(&r, 0, sizeof(r));
	assert_int_equal(certpick_capture_run(p, &o, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PARSE);
	certpick_capture_result_release(&r);
	free(p);
	/* a record whose caplen claims more than the snap length allows */
	n = pcap_header(buf, 101);
	n += pcap_record(buf + n, ip, 40, 40);
	buf[24 + 8] = 0xff;
	buf[24 + 9] = 0xff;
	buf[24 + 10] = 0xff;
	buf[24 + 11] = 0x7f;
	p = write_file(dir, "huge", buf, n);
	memset(&r, 0, sizeof(r));
	assert_int_equal(certpick_capture_run(p, &o, &r, &err), -1);
	certpick_capture_result_release(&r);
	free(p);
	/* a key log that is missing */
	o.keylog_path = "/nonexistent/keys.log";
	assert_int_equal(certpick_capture_run("/nonexistent/x.pcap", &o, &r, &err), -1);
	assert_non_null(strstr(err.message, "key log"));
	o.keylog_path = NULL;
	/* a --filter host that is not an address */
	o.filter_host = "example.com";
	assert_int_equal(certpick_capture_run("/nonexistent/x.pcap", &o, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_link_types),
		cmocka_unit_test(frame_ipv6_and_hostile),
		cmocka_unit_test(tcp_reassembly),
		cmocka_unit_test(tcp_caps),
		cmocka_unit_test(tls_records_and_messages),
		cmocka_unit_test(hellos_and_certificates),
		cmocka_unit_test(keylog_lines),
		cmocka_unit_test(crypt_tls13_roundtrip),
		cmocka_unit_test(hostile_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
