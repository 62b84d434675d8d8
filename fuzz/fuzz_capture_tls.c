/*
 * Target functions: cp_tls_rec_feed, cp_tls_rec_gap, cp_tls_hs_feed
 * (capture_tls.c): TLS records from a byte stream cut anywhere, handshake
 * messages over several records and several in one; cp_hello_parse_client,
 * cp_hello_parse_server, cp_cert_msg_parse on every message; cp_keylog_parse
 * on the same bytes as text.
 * Input: the first byte gives the chunk size the stream is fed in (1..256);
 * bit 7 of the second byte asks for a gap in the middle; the rest is a
 * stream of TLS records.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_message(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
	struct cp_hello h;
	struct cp_slice certs[8];
	size_t nc = 0;
	(void)arg;
	switch (type) {
	case 1:
		(void)cp_hello_parse_client(b, n, &h);
		if (h.has_sni && strlen(h.sni) >= sizeof(h.sni))
			abort();
		break;
	case 2: (void)cp_hello_parse_server(b, n, &h); break;
	case 11:
		if (cp_cert_msg_parse(CERTPICK_TLS12, b, n, certs, 8, &nc) == 0)
			for (size_t i = 0; i < nc; i++)
				if (certs[i].p < b || certs[i].p + certs[i].n > b + n)
					abort();
		(void)cp_cert_msg_parse(CERTPICK_TLS13, b, n, certs, 8, &nc);
		break;
	default: break;
	}
	return 0;
}

static int
on_record(void *arg, uint8_t type, uint16_t version, const uint8_t *p, size_t n)
{
	struct cp_tls_hs *hs = arg;
	(void)version;
	if (n > CP_TLS_MAX_RECORD)
		abort();
	if (type == 22)
		cp_tls_hs_feed(hs, p, n);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_tls_hs hs;
	struct cp_tls_rec rec;
	struct cp_keylog kl;
	if (size < 2)
		return 0;
	memset(&hs, 0, sizeof(hs));
	memset(&rec, 0, sizeof(rec));
	memset(&kl, 0, sizeof(kl));
	hs.max_msg = 1 << 16;
	hs.cb = (struct cp_tls_hs_cb){ .message = on_message };
	rec.cb = (struct cp_tls_rec_cb){ .record = on_record, .arg = &hs };
	size_t chunk = (size_t)data[0] + 1;
	bool gap = data[1] & 0x80;
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	for (size_t off = 0; off < n; off += chunk) {
		if (gap && off >= n / 2 && off < n / 2 + chunk)
			cp_tls_rec_gap(&rec, 1);
		cp_tls_rec_feed(&rec, p + off, n - off < chunk ? n - off : chunk);
	}
	(void)cp_tls_hs_pending(&hs);
	cp_tls_rec_release(&rec);
	cp_tls_hs_release(&hs);
	(void)cp_keylog_parse(&kl, (const char *)p, n);
	for (size_t i = 0; i < kl.n; i++)
		if (cp_keylog_find(&kl, kl.v[i].client_random, kl.v[i].label) == NULL)
			abort();
	cp_keylog_release(&kl);
	return 0;
}
