/*
 * Inside `certpick capture`: the pure layers between a capture file and the
 * connection story (capture.c). Each is a function of the bytes it is given,
 * with no I/O and no clock, bounded in memory, and fuzzed:
 *   capture_frame.c  one link-layer frame -> one TCP segment (fuzz_capture_frame)
 *   capture_tcp.c    segments of one direction -> in-order bytes + gaps (fuzz_capture_tcp)
 *   capture_tls.c    bytes -> TLS records -> handshake messages (fuzz_capture_tls)
 * Never installed.
 */
#ifndef CERTPICK_CAPTURE_INT_H
#define CERTPICK_CAPTURE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "internal.h"

/* Link types, as pcap_datalink() returns them (DLT_*) and LINKTYPE_* values. */
#define CP_LINK_NULL 0	   /* BSD loopback: 4-byte host-order family */
#define CP_LINK_EN10MB 1   /* Ethernet */
#define CP_LINK_RAW 12	   /* DLT_RAW on Linux */
#define CP_LINK_RAW_BSD 14 /* DLT_RAW on OpenBSD */
#define CP_LINK_RAW_LT 101 /* LINKTYPE_RAW */
#define CP_LINK_LOOP 108   /* OpenBSD loopback: 4-byte network-order family */
#define CP_LINK_SLL 113	   /* Linux cooked v1 */
#define CP_LINK_IPV4 228
#define CP_LINK_IPV6 229
#define CP_LINK_SLL2 276 /* Linux cooked v2 */

/* Whether the link type is one cp_frame_decode() reads. */
bool cp_frame_link_supported(int linktype);

enum cp_frame_rc {
	CP_FRAME_TCP = 0,   /* *out holds a TCP segment */
	CP_FRAME_OTHER,	    /* well-formed, but not TCP over IPv4/IPv6 (ARP, UDP, ...) */
	CP_FRAME_FRAGMENT,  /* an IP fragment: not reassembled, reported */
	CP_FRAME_TRUNCATED, /* the headers themselves were cut by the snap length */
	CP_FRAME_MALFORMED, /* headers that contradict themselves */
};

/*
 * One TCP segment as a frame carries it. payload borrows from the frame.
 * payload_len is what the capture holds; wire_len what the IP header says
 * was sent (larger when the snap length cut the packet).
 */
struct cp_tcp_seg {
	uint8_t af;		  /* 4 or 6 */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags; /* CP_TCP_* */
	const uint8_t *payload;
	size_t payload_len;
	size_t wire_len;
};
#define CP_TCP_FIN 0x01
#define CP_TCP_SYN 0x02
#define CP_TCP_RST 0x04
#define CP_TCP_ACK 0x10

/* Decode frame (caplen bytes held) of the link type. Pure; *out borrows from frame. */
enum cp_frame_rc cp_frame_decode(int linktype, const uint8_t *frame, size_t caplen,
    struct cp_tcp_seg *out);
const char *cp_frame_rc_name(enum cp_frame_rc rc);

/*
 * Memory shared by every stream of one capture: each byte held out of order
 * is charged here and to its stream. A zeroed budget has no limit.
 */
struct cp_mem_budget {
	size_t used;
	size_t limit; /* 0: unlimited */
};

/*
 * One direction of a TCP connection. Segments go in in capture order; bytes
 * come out in sequence order through `data`, and every hole through `gap`
 * (with its size and why), never guessed over. Segments ahead of the next
 * expected byte are held (copied) up to max_pending bytes for the stream (and
 * the budget); beyond that the earliest hole is declared a gap.
 */
enum cp_gap_why {
	CP_GAP_LOST = 0, /* never captured (or the hold limit forced it) */
	CP_GAP_SNAPLEN,	 /* captured, but cut by the snap length */
	CP_GAP_MEMORY,	 /* the memory cap forced it */
};
struct cp_tcp_dir_cb {
	void (*data)(void *arg, const uint8_t *p, size_t n);
	void (*gap)(void *arg, uint64_t n, enum cp_gap_why why);
	void *arg;
};
struct cp_tcp_pend {
	uint32_t seq;
	uint8_t *data;
	size_t len;
	size_t wire_len;	  /* > len: snaplen-cut */
	struct cp_tcp_pend *next; /* sorted by seq */
};
struct cp_tcp_dir {
	bool started;  /* next_seq is known */
	bool syn_seen; /* started at a SYN (not mid-stream) */
	bool fin_seen;
	uint32_t next_seq; /* next byte to deliver */
	struct cp_tcp_pend *pend;
	size_t pend_bytes;
	size_t max_pending;	      /* 0: 1 MiB */
	struct cp_mem_budget *budget; /* may be NULL */
	struct cp_tcp_dir_cb cb;
	/* counters */
	uint64_t delivered, gap_bytes, retransmitted, overlaps, overlap_conflicts;
	uint64_t segments, gaps;
};
/* Feed one segment. 0; -1 only when out of memory (the segment is then a gap). */
int cp_tcp_dir_add(struct cp_tcp_dir *d, const struct cp_tcp_seg *s);
/* End of capture: everything held goes out, holes as gaps. */
void cp_tcp_dir_flush(struct cp_tcp_dir *d);
/* Free what is held (no callbacks). */
void cp_tcp_dir_release(struct cp_tcp_dir *d);

/*
 * TLS record layer of one direction: bytes in, whole records out. After a
 * gap or a byte stream that is not TLS, the direction stops (`lost` says why)
 * rather than guess where the next record begins.
 */
#define CP_TLS_MAX_RECORD (16384 + 2048)
struct cp_tls_rec_cb {
	/* return -1 to stop this direction */
	int (*record)(void *arg, uint8_t type, uint16_t version, const uint8_t *p, size_t n);
	void *arg;
};
struct cp_tls_rec {
	uint8_t hdr[5];
	size_t hdr_len;
	uint8_t *body; /* grown to the largest record seen */
	size_t body_len, body_want, body_cap;
	const char *lost; /* NULL while in sync */
	uint64_t records;
	struct cp_tls_rec_cb cb;
};
void cp_tls_rec_feed(struct cp_tls_rec *r, const uint8_t *p, size_t n);
void cp_tls_rec_gap(struct cp_tls_rec *r, uint64_t n);
/* Free the record buffer (it is allocated again if more bytes come). */
void cp_tls_rec_release(struct cp_tls_rec *r);

/*
 * Handshake messages from handshake-record plaintext: a message may span
 * records, a record may hold several messages. Messages over max_msg bytes
 * (0: 1 MiB) stop the direction.
 */
struct cp_tls_hs_cb {
	int (*message)(void *arg, uint8_t type, const uint8_t *body, size_t n);
	void *arg;
};
struct cp_tls_hs {
	struct cp_buf buf;
	size_t max_msg;
	const char *lost;
	uint64_t messages;
	struct cp_tls_hs_cb cb;
};
void cp_tls_hs_feed(struct cp_tls_hs *h, const uint8_t *p, size_t n);
/* Whether a message is partly buffered (a record boundary inside a message). */
bool cp_tls_hs_pending(const struct cp_tls_hs *h);
void cp_tls_hs_release(struct cp_tls_hs *h);

/* ClientHello / ServerHello fields the story needs (pure parse of a body). */
struct cp_hello {
	uint16_t legacy_version;
	uint8_t random[32];
	uint16_t version; /* from supported_versions when present */
	uint16_t cipher;  /* ServerHello */
	bool is_hrr;
	char sni[256];
	bool has_sni;
	bool pha; /* post_handshake_auth offered */
	uint16_t sigalgs[128];
	size_t n_sigalgs;
	bool has_sigalgs;
	bool renegotiation_info;
	bool encrypt_then_mac; /* ServerHello: RFC 7366 */
};
int cp_hello_parse_client(const uint8_t *p, size_t n, struct cp_hello *out);
int cp_hello_parse_server(const uint8_t *p, size_t n, struct cp_hello *out);

/*
 * A Certificate message body (TLS 1.2 or 1.3): each certificate's DER as a
 * borrowed slice. At most max certs; -1 when malformed.
 */
struct cp_slice {
	const uint8_t *p;
	size_t n;
};
int cp_cert_msg_parse(uint16_t version, const uint8_t *p, size_t n, struct cp_slice *certs,
    size_t max, size_t *n_certs);

/*
 * Key log (NSS format): labels and secrets by client_random. Pure parse of
 * the file's text; unknown labels and malformed lines are counted, not fatal.
 */
struct cp_keylog_entry {
	uint8_t client_random[32];
	uint8_t label; /* CP_KL_* */
	uint8_t secret[64];
	size_t secret_len;
};
enum {
	CP_KL_CLIENT_RANDOM = 0, /* TLS 1.2 master secret (48 bytes) */
	CP_KL_CLIENT_HS,
	CP_KL_SERVER_HS,
	CP_KL_CLIENT_AP0,
	CP_KL_SERVER_AP0,
	CP_KL_N,
};
struct cp_keylog {
	struct cp_keylog_entry *v;
	size_t n, cap;
	size_t bad_lines;
	struct cp_hashidx idx; /* client_random -> entries (internal.h) */
};
int cp_keylog_parse(struct cp_keylog *kl, const char *text, size_t len);
const struct cp_keylog_entry *cp_keylog_find(const struct cp_keylog *kl,
    const uint8_t client_random[32], int label);
void cp_keylog_release(struct cp_keylog *kl);

/*
 * Record protection of one direction (capture_crypt.c, OpenSSL EVP): TLS 1.3
 * from a traffic secret, TLS 1.2 from the master secret. Decrypt one record
 * in place: 0 and the plaintext (and the inner content type in 1.3), or -1.
 */
struct cp_crypt {
	int kind; /* 0 none, 13: TLS 1.3, 12: TLS 1.2 */
	uint16_t cipher;
	int mode;		       /* CP_CRYPT_GCM, _CHACHA, _CBC */
	const char *cipher_name;       /* OpenSSL name */
	struct evp_cipher_st *evp;     /* fetched once at init; freed by cp_crypt_release */
	struct evp_cipher_ctx_st *ctx; /* kept for every record; freed by cp_crypt_release */
	bool keyed;		       /* AEAD: ctx holds the key, each record sets its nonce */
	const char *mac_md;	       /* CBC HMAC digest */
	uint8_t key[32], iv[16], mac_key[48];
	size_t key_len, iv_len, mac_len;
	bool etm; /* TLS 1.2 CBC with encrypt_then_mac */
	uint64_t seq;
	uint64_t failures;
};
enum {
	CP_CRYPT_GCM = 1,
	CP_CRYPT_CHACHA,
	CP_CRYPT_CBC
};
const char *cp_crypt_suite_name(uint16_t cipher);
int cp_crypt_init13(struct cp_crypt *c, uint16_t cipher, const uint8_t *secret, size_t len);
int cp_crypt_init12(struct cp_crypt *c, uint16_t cipher, bool etm, const uint8_t master[48],
    const uint8_t client_random[32], const uint8_t server_random[32], bool client);
int cp_crypt_open(struct cp_crypt *c, uint8_t type, uint16_t version, uint8_t *rec, size_t n,
    uint8_t *out_type, size_t *out_len, const uint8_t **out_p);
void cp_crypt_release(struct cp_crypt *c);

/*
 * capture_conn.c: the story of one TCP connection, fed segment by segment
 * in capture order. Owns its reassembly state; the story it fills is
 * handed out by cp_cap_conn_finish().
 */
#include "certpick/capture.h"

struct cp_cap_conn;
struct cp_cap_env {
	const struct cp_keylog *keylog;
	struct cp_mem_budget *budget;
	size_t max_stream_pending;
	const struct certpick_trust *trust;
};
struct cp_cap_conn *cp_cap_conn_new(const struct cp_tcp_seg *first, const struct cp_cap_env *env);
/* Whether s belongs to c (either direction). */
bool cp_cap_conn_match(const struct cp_cap_conn *c, const struct cp_tcp_seg *s);
/* A FIN was seen: a SYN on the same ports starts a new connection. */
bool cp_cap_conn_closed(const struct cp_cap_conn *c);
void cp_cap_conn_add(struct cp_cap_conn *c, const struct cp_tcp_seg *s, double time);
/* Flush, compute the verdict, move the story into *out (zeroed first); false if no TLS seen. */
bool cp_cap_conn_finish(struct cp_cap_conn *c, struct certpick_capture_conn *out);
void cp_cap_conn_free(struct cp_cap_conn *c);
/* The key of a connection (both directions give the same). */
uint64_t cp_cap_conn_key(const struct cp_tcp_seg *s);
void cp_capture_conn_release(struct certpick_capture_conn *c);
#endif
