/*
 * Target functions: cp_cap_conn_new, cp_cap_conn_add, cp_cap_conn_finish,
 * cp_cap_conn_free (capture_conn.c) and through them the whole story of one
 * connection on hostile bytes: TCP reassembly, the record layer, handshake
 * messages, ClientHello/ServerHello, certpick_certreq_parse on every
 * CertificateRequest, the client's Certificate (d2i_X509 on each entry),
 * alerts, HTTP lines, the key-log lookups and the verdict.
 * Input: a list of segments: one byte (bit 0: from the server; bits 1-3: SYN,
 * FIN, RST), two bytes of length, then that many payload bytes. Sequence
 * numbers follow the bytes sent, so the fuzzer works on the TLS bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "capture_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp_keylog kl;
	static bool kl_init;
	struct cp_mem_budget budget = { .limit = 1 << 20 };
	struct cp_cap_env env = { .budget = &budget, .max_stream_pending = 1 << 16 };
	struct certpick_capture_conn story;
	uint32_t seq[2] = { 1000, 5000 };
	if (!kl_init) {
		/* secrets for a client_random of 32 zero bytes: the lookups hit */
		static const char text[] =
		    "CLIENT_RANDOM 0000000000000000000000000000000000000000000000000000000000000000 "
		    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		    "202122232425262728292a2b2c2d2e2f\n"
		    "CLIENT_HANDSHAKE_TRAFFIC_SECRET 0000000000000000000000000000000000000000000000000000000000000000 "
		    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
		    "SERVER_HANDSHAKE_TRAFFIC_SECRET 0000000000000000000000000000000000000000000000000000000000000000 "
		    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
		(void)cp_keylog_parse(&kl, text, sizeof(text) - 1);
		kl_init = true;
	}
	env.keylog = &kl;
	struct cp_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.af = 4;
	memcpy(s.src, "\x7f\x00\x00\x01", 4);
	memcpy(s.dst, "\x7f\x00\x00\x01", 4);
	s.sport = 40000;
	s.dport = 443;
	s.flags = CP_TCP_SYN;
	struct cp_cap_conn *c = cp_cap_conn_new(&s, &env);
	if (c == NULL)
		return 0;
	cp_cap_conn_add(c, &s, 1.0);
	size_t off = 0;
	for (int n = 0; off + 3 <= size && n < 512; n++) {
		uint8_t h = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		int dir = h & 1;
		memset(&s, 0, sizeof(s));
		s.af = 4;
		memcpy(s.src, "\x7f\x00\x00\x01", 4);
		memcpy(s.dst, "\x7f\x00\x00\x01", 4);
		s.sport = dir ? 443 : 40000;
		s.dport = dir ? 40000 : 443;
		s.flags = (uint8_t)(CP_TCP_ACK | ((h & 2) ? CP_TCP_SYN : 0) |
		    ((h & 4) ? CP_TCP_FIN : 0) | ((h & 8) ? CP_TCP_RST : 0));
		s.seq = seq[dir];
		s.payload = data + off;
		s.payload_len = len;
		s.wire_len = len + ((h & 0x10) ? 7 : 0); /* bit 4: snaplen-cut */
		seq[dir] += (uint32_t)s.wire_len + ((s.flags & CP_TCP_SYN) ? 1 : 0);
		cp_cap_conn_add(c, &s, 1.0 + n);
		off += len;
	}
	if (cp_cap_conn_finish(c, &story)) {
		if (story.verdict == NULL && story.n_notes == 0 && story.n_requests == 0)
			(void)0;
		for (size_t i = 0; i < story.n_answers; i++)
			if (story.answers[i].request != SIZE_MAX &&
			    story.answers[i].request >= story.n_requests)
				abort();
		cp_capture_conn_release(&story);
	}
	cp_cap_conn_free(c);
	if (budget.used != 0)
		abort();
	/* a failed d2i_X509 or decryption leaves error data in the thread's queue:
	 * cleared, or libFuzzer runs a leak scan after nearly every input */
	ERR_clear_error();
	return 0;
}
