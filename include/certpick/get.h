/*
 * get: one HTTPS request made with a chosen client certificate, the way a
 * client would send it: connect, handshake, send the request, follow a TLS
 * 1.2 renegotiation or a TLS 1.3 post-handshake request for the certificate
 * (the server asks only for some paths), and read the answer within bounds.
 *
 * What the server asked during the connection (every CertificateRequest),
 * whether a certificate went out, and any fatal alert are recorded, so a
 * refusal can be explained next to the probe and the selection trace.
 *
 * Lifecycle: certpick_get_run() returns a heap result that owns everything
 * it points to; certpick_get_result_free() releases it. A request that fails
 * on the network or in TLS is still a result: result->error says why.
 * Blocking for the caller: one connection, each phase (connect, handshake,
 * sending the request, reading the whole answer, renegotiations and
 * post-handshake requests included) must end within timeout_ms on a
 * monotonic clock, whatever the peer's pacing; at most 4 renegotiations or
 * post-handshake CertificateRequests are answered; the answer's status line
 * and headers may take at most 64 KiB.
 */
#ifndef CERTPICK_GET_H
#define CERTPICK_GET_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certpick/candidate.h"
#include "certpick/error.h"
#include "certpick/probe.h"
#include "certpick/select.h"

#ifdef __cplusplus
extern "C" {
#endif

struct certpick_get_options {
	const char *method;	    /* default "GET", or "POST" with a body */
	const char *const *headers; /* "Name: value" lines added to the request */
	size_t n_headers;
	const void *body; /* borrowed; may be NULL */
	size_t body_len;
	const char *servername; /* SNI and Host; default: the URL's host */
	const char *connect_to; /* dial "addr[:port]" instead; keep SNI and Host */
	unsigned flags;		/* CERTPICK_PROBE_TLS12_ONLY / _TLS13_ONLY / _IPV4 / _IPV6 */
	int timeout_ms;		/* deadline of each phase; default 10000 */
	const char *trust_path; /* FILE|DIR of CAs for the server; NULL: the system's */
	bool insecure;		/* do not verify the server */
	size_t max_response;	/* largest answer read (headers + body); default 16 MiB */
	/* The PIN (password or password_cb) for a chosen key on a PKCS#11 token; may be NULL */
	const struct certpick_load_options *token_login;
	void (*trace)(void *arg, const char *line); /* -v lines; may be NULL */
	void *trace_arg;
	/* Behave like a client that does not offer TLS 1.3 post-handshake auth
	 * (no post_handshake_auth extension) / refuses TLS 1.2 renegotiation
	 * (SSL_OP_NO_RENEGOTIATION). Default: offer and accept both. */
	bool no_pha;
	bool no_renegotiation;
	/* the service's password (probe.h's service_password); NULL: none. Wiped by the caller. */
	const char *service_password;
	/* smtp://, smtps://: ask the relay for MAIL FROM / RCPT TO with the
	 * certificate (probe.h's options of the same names); NULL: skip */
	const char *mail_from;
	const char *rcpt_to;
};

struct certpick_get_result {
	char *address;	       /* "127.0.0.1:8443"; owned; NULL before connect */
	uint16_t tls_version;  /* negotiated; 0 if none */
	char *cipher;	       /* owned; may be NULL */
	bool server_verified;  /* the server's chain verified (false with insecure) */
	bool certificate_sent; /* a non-empty Certificate went out */
	bool request_sent;     /* the whole HTTP request was written */
	int alert;	       /* alert description from the server (the first one
					 * but close_notify, or a fatal one after a warning); -1 none */
	bool alert_after_request;
	size_t n_requests; /* every CertificateRequest, in order */
	struct certpick_probe_request *requests;
	int status;	     /* HTTP status; 0: no answer */
	char *reason;	     /* status text; owned; may be NULL */
	char *head;	     /* status line and headers as received; owned; may be NULL */
	unsigned char *body; /* owned; NUL-terminated after body_len; may be NULL */
	size_t body_len;
	bool truncated;			 /* the answer went over max_response */
	struct certpick_probe_http http; /* title, Server, certificate pages (probe.h) */
	struct certpick_error error;	 /* code != CERTPICK_OK: no (complete) answer */
	double ms;
	bool alert_fatal; /* alert was fatal (else a warning) */
	/* another scheme than https (tls://, smtp://, ...): the layer's name and
	 * the service's verdict with the certificate (probe.h); NULL / UNKNOWN
	 * for https, where status and http say it */
	char *protocol;
	struct certpick_probe_service service;
	/* how the connection ended: CERTPICK_PROBE_END_HTTP, _SERVICE, _ALERT,
	 * _CLOSED (without an answer), ... (probe.h) */
	enum certpick_probe_end end;
};

/* NULL is a no-op. */
CERTPICK_API void certpick_get_result_free(struct certpick_get_result *res);

/*
 * Request url ("https://host[:port]/path", or another scheme the probe
 * speaks: then one connection on the probe's engine, its protocol layer
 * asking for the service's verdict, in result->service) presenting candidate `chosen` of
 * set (NULL: no certificate) with the chain `sel` says to send (sel may be
 * NULL: the candidate's own chain). The candidate's key must be in a file
 * or a PKCS#12 (CERTPICK_KEY_FILE / _PKCS12). Returns 0 and *out even when
 * the request failed on the network (see (*out)->error); -1 only when it
 * could not start (bad URL or options, a key that cannot be used, no
 * memory), with err. Caller owns *out: certpick_get_result_free().
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_get_run(const char *url,
    const struct certpick_candset *set, const struct certpick_candidate *chosen,
    const struct certpick_sel_candidate *sel, const struct certpick_get_options *opts,
    struct certpick_get_result **out, struct certpick_error *err);

#ifdef __cplusplus
}
#endif
#endif
