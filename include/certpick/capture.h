/*
 * Explain client-certificate authentication from a packet capture.
 *
 * certpick_capture_run() reads a pcap or pcapng file (libpcap), reassembles
 * every TCP connection, follows the TLS record layer and, with an NSS key
 * log (SSLKEYLOGFILE), decrypts TLS 1.3 and TLS 1.2 records, and tells per
 * connection what the client offered (ClientHello), every CertificateRequest
 * (parsed by certpick_certreq_parse(), the probe parser, with its phase and
 * findings), what the client answered (its chain, judged against the
 * request), the CertificateVerify scheme, every alert in order, the first
 * HTTP request line and status when decrypted, and a verdict with a fix.
 * What could not be seen (no key, an unsupported suite, a gap in the
 * capture) is said, never guessed.
 *
 * The file is read once, streaming; memory is bounded by the options (bytes
 * held out of order per direction and in total, connections).
 *
 * Lifecycle: zero-initialize a struct certpick_capture_result, run, read,
 * certpick_capture_result_release().
 */
#ifndef CERTPICK_CAPTURE_H
#define CERTPICK_CAPTURE_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certpick/certreq.h"
#include "certpick/dn.h"
#include "certpick/error.h"
#include "certpick/reason.h"
#include "certpick/trust.h"

#ifdef __cplusplus
extern "C" {
#endif

struct certpick_capture_options {
	const char *keylog_path;   /* NSS key log; NULL: none. Copied. */
	const char *filter_host;   /* an IPv4/IPv6 literal; NULL: every host */
	unsigned filter_port;	   /* 0: every port */
	size_t max_stream_pending; /* bytes held out of order per direction; 0: 1 MiB */
	size_t max_total_pending;  /* ... for the whole capture; 0: 64 MiB */
	size_t max_connections;	   /* 0: 10000; later ones are counted, not followed */
	/*
	 * When set, each chain a client sent is also judged by certpick_check_run()
	 * against this trust store at the time it was captured (check.h findings,
	 * except those about the private key, which a capture never holds).
	 */
	const struct certpick_trust *trust;
};

struct certpick_capture_alert {
	bool from_client;
	bool encrypted;	       /* seen as an encrypted record: level and code unknown */
	uint8_t level;	       /* 1 warning, 2 fatal */
	uint8_t description;   /* certpick_alert_name() */
	size_t after_requests; /* how many CertificateRequests came before it */
	double time;	       /* seconds since the epoch (capture clock) */
};

struct certpick_capture_cert {
	char sha256[65]; /* hex of the DER */
	struct certpick_dn subject, issuer;
	time_t not_before, not_after;
	char key_type[16]; /* "RSA", "EC", "Ed25519", ... or "" */
	bool parsed;	   /* false: not a certificate OpenSSL reads */
};

/* The client's Certificate (and CertificateVerify) after a request. */
struct certpick_capture_answer {
	size_t request; /* index in conn->requests; SIZE_MAX: none before */
	size_t n_certs; /* 0: an empty Certificate */
	struct certpick_capture_cert *certs;
	bool has_verify;
	uint16_t verify_scheme;		   /* SignatureScheme of CertificateVerify */
	struct certpick_findings findings; /* judged against the request, at capture time */
	bool checked;			   /* options.trust was given: chain_ok is meaningful */
	bool chain_ok;			   /* the chain verifies to the trust store */
	double time;
};

struct certpick_capture_conn {
	char client[64], server[64]; /* "ADDR:PORT" ("[v6]:port") */
	double first_time;
	bool client_seen_syn; /* false: the capture started mid-connection */
	uint16_t version;     /* negotiated (0: no ServerHello seen) */
	uint16_t cipher;
	bool has_client_hello;
	bool has_sni;
	char sni[256];
	bool pha_offered; /* post_handshake_auth in the ClientHello */
	size_t n_sigalgs; /* ClientHello signature_algorithms */
	uint16_t *sigalgs;
	size_t n_handshakes; /* ClientHellos: > 1 is a renegotiation */
	size_t n_requests;
	struct certpick_certreq **requests;
	double *request_times;
	size_t n_answers;
	struct certpick_capture_answer *answers;
	size_t n_alerts;
	struct certpick_capture_alert *alerts;
	char *http_request; /* first request line, decrypted; NULL */
	int http_status;    /* first response status; 0 */
	char *http_reason;
	bool keys_found; /* the key log had this connection */
	uint64_t records_decrypted, records_undecrypted;
	size_t n_notes; /* what could not be seen, and why */
	char **notes;
	char *verdict;
	char *fix; /* NULL when nothing needs fixing */
};

struct certpick_capture_result {
	int linktype;
	uint64_t packets, tcp_segments, frames_skipped, fragments, truncated_frames;
	uint64_t connections_dropped; /* opened (SYN) over max_connections */
	size_t keylog_entries, keylog_bad_lines;
	size_t n_conns; /* only connections that carried TLS */
	struct certpick_capture_conn *conns;
};

/*
 * Read path and fill out (zero-initialized). Returns -1 and sets err when
 * the file cannot be read (CERTPICK_ERR_IO), is not a capture or is cut
 * inside a packet record (CERTPICK_ERR_PARSE: the connections seen before
 * are kept in out), or the key log cannot be read.
 * Caller owns what out points to; free it with certpick_capture_result_release().
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_capture_run(const char *path,
    const struct certpick_capture_options *opts, struct certpick_capture_result *out,
    struct certpick_error *err);

/* Free what r owns and zero it. NULL is a no-op. */
CERTPICK_API void certpick_capture_result_release(struct certpick_capture_result *r);

/* "TLS_AES_128_GCM_SHA256" for the suites capture decrypts; NULL otherwise. Borrowed: static. */
CERTPICK_API const char *certpick_capture_suite_name(uint16_t cipher);

#ifdef __cplusplus
}
#endif
#endif
