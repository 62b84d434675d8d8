/*
 * The client engine's shared plumbing, used by probe (probe_engine.c) and
 * get (get.c): one SSL_CTX set-up, one message callback with one alert
 * policy, one identity (certificate, key, chain) loaded through the
 * library's candidate loading, one --connect-to parser, one address
 * formatter, one trace. Nothing here prints or blocks.
 */
#ifndef CERTPICK_CLIENT_H
#define CERTPICK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "certpick/candidate.h"
#include "certpick/error.h"
#include "certpick/probe.h"
#include "certpick/select.h"

struct sockaddr;
struct cp_p11_key;

/* -v lines: "prefix: text" (no prefix when NULL); fn NULL: silent. Borrowed. */
struct cp_trace {
	void (*fn)(void *arg, const char *line);
	void *arg;
	const char *prefix;
};

void cp_client_trace(const struct cp_trace *t, const char *fmt, ...) CERTPICK_PRINTF(2, 3);

/* "127.0.0.1:443", "[::1]:443" into out. */
void cp_client_format_address(const struct sockaddr *sa, char *out, size_t size);

/* s is an IPv4 or IPv6 address (no SNI for it, RFC 6066 3). */
bool cp_client_is_ip(const char *s);

/*
 * --connect-to "addr[:port]", "[v6]:port", "[v6]" or a bare IPv6 address;
 * the port defaults to def_port. Caller frees *host and *port. -1 and err
 * (CERTPICK_ERR_USAGE) when it is not one.
 */
int cp_client_connect_to(const char *s, const char *def_port, char **host, char **port,
    struct certpick_error *err);

/*
 * One TLS client context: TLS 1.2 and 1.3 (flags: CERTPICK_PROBE_TLS12_ONLY /
 * _TLS13_ONLY), security level 0 (the selection, not OpenSSL, decides what
 * is sent), no tickets, no session cache, no verification (get adds its
 * own), requests up to max_cert_list bytes (0: OpenSSL's default).
 * `diagnostic` (probe): every cipher suite, legacy renegotiation, so any
 * server shows its request. Caller frees. NULL and err.
 */
SSL_CTX *cp_client_ctx_new(unsigned flags, size_t max_cert_list, bool diagnostic,
    struct certpick_error *err);

/*
 * What OpenSSL's message callback saw on one connection. The engine sets
 * handshake_done and request_sent as it goes; the callback fills the rest.
 * Alert policy: every alert but close_notify is recorded, the first one,
 * unless a fatal one follows a warning (the fatal one is kept); alert_fatal
 * says which. close_notify sets close_notify.
 */
struct cp_capture {
	struct certpick_probe_result *res; /* requests recorded here; NULL: not kept */
	const struct cp_trace *trace;
	bool handshake_done;
	bool request_sent;
	bool certificate_sent; /* the last Certificate out was not empty */
	bool close_notify;
	int alert; /* -1: none */
	bool alert_fatal;
	bool alert_after_request;
	unsigned asks; /* HelloRequests and post-handshake CertificateRequests */
};

/* Attach the callback with cap as its argument (cap must outlive ssl's use). */
void cp_client_capture(SSL *ssl, struct cp_capture *cap);
/* The callback itself (SSL_set_msg_callback's type; arg: a struct cp_capture). */
void cp_client_msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
    SSL *ssl, void *arg);

/* A certificate to present, with its key and the chain to send. */
struct cp_identity {
	X509 *cert;    /* references held */
	EVP_PKEY *key; /* a reference; or borrowed from tok */
	STACK_OF(X509) *chain;
	struct cp_p11_key *tok; /* the token holding key; NULL: key in memory */
	char *source;		/* for messages; owned */
};

/*
 * From candidate c of set: its key (in memory, or opened on its PKCS#11 token
 * with token_login's PIN) and the chain sel says to send (sel NULL: the
 * candidate's own). Release with cp_identity_release().
 */
int cp_identity_from_candidate(struct cp_identity *id, const struct certpick_candset *set,
    const struct certpick_candidate *c, const struct certpick_sel_candidate *sel,
    const struct certpick_load_options *token_login, struct certpick_error *err);

/*
 * From a source `select` takes (PEM/DER/PKCS#12 file, PKCS#11 URI) and an
 * optional separate key file, through the candidate loaders (encrypted keys
 * with the PBKDF iteration guard): the first certificate with a private key.
 */
int cp_identity_load(struct cp_identity *id, const char *cert_src, const char *key_src,
    const char *password, struct certpick_error *err);

/* Present id on ssl (certificate, key, chain). */
int cp_identity_use(SSL *ssl, const struct cp_identity *id, struct certpick_error *err);

void cp_identity_release(struct cp_identity *id);

/*
 * get on the engine (probe_engine.c): one connection to target, presenting
 * id (NULL: none) with the caller's ctx (verification and trust; NULL: the
 * probe's diagnostic context). The attempt is with_cert when id is given,
 * else without_cert; every CertificateRequest is in the result. Both
 * borrowed for the call. Otherwise as certpick_probe_run().
 */
struct cp_probe_once {
	SSL_CTX *ctx;
	const struct cp_identity *id;
	/*
	 * https (get's request): req is written after the handshake instead of
	 * the probe's GET, and the answer is read into `answer` (the engine's
	 * buffer, handed over: the caller frees it) up to max_response bytes,
	 * each read passed to feed() with everything so far: 1 complete, 0 more
	 * (or until EOF), -1 not HTTP, -2 the head is too long (head_max).
	 * At most max_asks renegotiations / post-handshake requests are answered.
	 */
	const char *req;
	size_t req_len;
	int (*feed)(void *arg, const char *buf, size_t len);
	void *feed_arg;
	size_t max_response, head_max;
	unsigned max_asks;
	bool no_pha, no_renegotiation;
	char *answer;	   /* out */
	size_t answer_len; /* out */
	bool truncated;	   /* out: the answer went over max_response */
	bool request_sent; /* out */
	bool answer_ended; /* out: complete, EOF, or the cap */
};
int cp_probe_run_once(const char *target, const struct certpick_probe_options *opts,
    struct cp_probe_once *once, struct certpick_probe_result **out, struct certpick_error *err);

#endif
