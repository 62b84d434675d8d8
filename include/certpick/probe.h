/*
 * Probe: connect to a TLS server, capture every CertificateRequest of the
 * connection, and find out whether a client certificate is required.
 *
 * One probe is one or more TLS connections to one target:
 *  1. without a certificate: handshake, then `GET path` over HTTP/1.1, read
 *     until the HTTP answer, a fatal alert, EOF, a reset or the timeout. A
 *     TLS 1.2 HelloRequest is followed (renegotiation) and TLS 1.3
 *     post-handshake authentication is offered, so requests made only for a
 *     path are seen too. Waiting for the answer (never trusting the
 *     handshake's return) makes TLS 1.3 results the same on every run.
 *  2. with `cert_file`/`key_file`: the same again presenting that
 *     certificate, to report whether the server accepts it.
 *  3. when a request came only after the HTTP request: a handshake offering
 *     ALPN h2, to see whether browsers would be on HTTP/2 there.
 * Every phase (resolve, connect, handshake, each read) is bounded by
 * timeout_ms; a request is accepted up to max_cert_list bytes.
 *
 * Requests are captured as raw bytes (OpenSSL's message callback) and
 * parsed with certpick_certreq_parse(). Many targets run concurrently on one
 * event loop (libevent, non-blocking OpenSSL): certpick_probe_run_many().
 *
 * Lifecycle: certpick_probe_run() returns a heap result that owns everything
 * it points to; certpick_probe_result_free() releases it. A failed probe is
 * still a result: result->error says why (network, TLS) and client_auth is
 * CERTPICK_CLIENT_AUTH_UNKNOWN.
 */
#ifndef CERTPICK_PROBE_H
#define CERTPICK_PROBE_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certpick/certreq.h"
#include "certpick/error.h"
#include "certpick/reason.h"

#ifdef __cplusplus
extern "C" {
#endif

enum certpick_client_auth {
	CERTPICK_CLIENT_AUTH_UNKNOWN = 0, /* no answer, or one that does not tell */
	CERTPICK_CLIENT_AUTH_NONE,	  /* no CertificateRequest, the server answered */
	CERTPICK_CLIENT_AUTH_OPTIONAL,	  /* requested; the server answered without one */
	CERTPICK_CLIENT_AUTH_REQUIRED,	  /* requested and refused without one */
};

/* "unknown", "none", "optional", "required". Borrowed: static. */
CERTPICK_API const char *certpick_client_auth_name(enum certpick_client_auth a);

/* How a connection ended: what decided client_auth. */
enum certpick_probe_end {
	CERTPICK_PROBE_END_NONE = 0, /* not run */
	CERTPICK_PROBE_END_HTTP,     /* an HTTP answer */
	CERTPICK_PROBE_END_ALERT,    /* a fatal alert from the server */
	CERTPICK_PROBE_END_CLOSED,   /* EOF (or close_notify) without an answer */
	CERTPICK_PROBE_END_RESET,    /* connection reset without an answer */
	CERTPICK_PROBE_END_TIMEOUT,  /* nothing within timeout_ms */
	CERTPICK_PROBE_END_NOT_HTTP, /* bytes that are not an HTTP answer */
	CERTPICK_PROBE_END_ERROR,    /* could not connect or handshake (see error) */
	CERTPICK_PROBE_END_SERVICE,  /* a non-HTTP service's verdict (attempt.service) */
};

/* "http", "alert", "closed", "reset", "timeout", "not_http", "error", "service", "none". */
CERTPICK_API const char *certpick_probe_end_name(enum certpick_probe_end e);

/* RFC name of a TLS alert ("certificate_required"); NULL if unknown. Borrowed. */
CERTPICK_API const char *certpick_alert_name(int description);

/* An HTTP/1.x answer, as far as it was read. */
struct certpick_probe_http {
	int status;   /* 0: none */
	char *reason; /* status line text, owned; may be NULL */
	char *title;  /* <title> of the body, whitespace collapsed; owned; may be NULL */
	char *server; /* Server: header; owned; may be NULL */
	/* the page says a certificate is missing (nginx 400 "No required SSL
	 * certificate was sent", Apache 403 "Cannot perform Post-Handshake
	 * Authentication", IIS 403.7, IIS 500 0x80070032) */
	bool cert_required_page;
	/* the page says a certificate was refused (nginx "The SSL certificate error",
	 * IIS 403.16/403.17/403.13) */
	bool cert_error_page;
};

/*
 * What a non-HTTP service said on one connection (smtp://, ldap://, tls://,
 * ...: the scheme's protocol layer reads it). outcome UNKNOWN and every
 * string NULL for https:// and when the conversation ended before a verdict.
 */
enum certpick_service_outcome {
	CERTPICK_SERVICE_UNKNOWN = 0,	 /* no verdict (https, or the talk ended early) */
	CERTPICK_SERVICE_ACCEPTED,	 /* authenticated / relayed / bound */
	CERTPICK_SERVICE_REFUSED,	 /* the service refused (code and text say why) */
	CERTPICK_SERVICE_NOT_OFFERED,	 /* certificate authentication not offered (no EXTERNAL) */
	CERTPICK_SERVICE_NO_TLS,	 /* STARTTLS not offered or refused */
	CERTPICK_SERVICE_HANDSHAKE_ONLY, /* tls://: nothing is asked after the handshake */
};

/* "unknown", "accepted", "refused", "not_offered", "no_tls", "handshake_only". Borrowed. */
CERTPICK_API const char *certpick_service_outcome_name(enum certpick_service_outcome o);

struct certpick_probe_service {
	enum certpick_service_outcome outcome;
	int code;	      /* the server's code: SMTP 250/535, LDAP resultCode; -1 none */
	char *text;	      /* the deciding answer in the server's words, one line; owned; NULL */
	char *identity;	      /* as whom (LDAP whoami "dn:...", authzid); owned; NULL */
	char *capabilities;   /* after TLS, space-separated ("AUTH=EXTERNAL ..."); owned; NULL */
	char *banner;	      /* the greeting before TLS; owned; NULL */
	bool offers_external; /* SASL EXTERNAL (or the equivalent) advertised after TLS */
	bool sent_auth;	      /* the client asked to be authenticated by its certificate */
};

/* One TLS connection of a probe. */
struct certpick_probe_attempt {
	bool ran;
	bool certificate_sent; /* a non-empty Certificate went out */
	bool handshake_done;
	bool request_sent;    /* the HTTP request was written */
	uint16_t tls_version; /* negotiated; 0 if none */
	char *cipher;	      /* IANA/OpenSSL name; owned; may be NULL */
	char *alpn;	      /* selected protocol; owned; may be NULL */
	enum certpick_probe_end end;
	int alert;		  /* alert description from the server (the first one
					 * but close_notify, or a fatal one after a warning); -1 none */
	bool alert_after_request; /* it came after the HTTP request */
	struct certpick_probe_http http;
	struct certpick_error error;	       /* when end == CERTPICK_PROBE_END_ERROR */
	double ms;			       /* wall time of this connection */
	struct certpick_probe_service service; /* non-HTTP schemes: the service's verdict */
	bool alert_fatal;		       /* alert was fatal (else a warning) */
};

/* One CertificateRequest as seen on the wire. */
struct certpick_probe_request {
	enum certpick_phase phase;
	uint16_t tls_version;
	size_t size;		      /* handshake message incl. its 4-byte header */
	struct certpick_certreq *req; /* owned; NULL when it did not parse */
	char *parse_error;	      /* why req is NULL; owned */
};

struct certpick_probe_result {
	char *target;		  /* as given; owned */
	char *host, *port, *path; /* owned */
	char *servername;	  /* SNI and Host header; owned; NULL: none */
	char *address;		  /* the address dialed, "127.0.0.1:8443"; owned */

	enum certpick_client_auth client_auth;
	enum certpick_probe_end evidence; /* what decided it (without_cert.end) */
	char *evidence_text;		  /* one sentence for people; owned */

	struct certpick_probe_attempt without_cert; /* the probe proper */
	struct certpick_probe_attempt with_cert;    /* ran when a certificate was given */
	bool cert_accepted;			    /* with_cert got an HTTP answer below 400 */
	int alpn_h2; /* -1 not checked, 0 no, 1 the server selects h2 */

	size_t n_requests; /* every request of without_cert, in order */
	struct certpick_probe_request *requests;

	struct certpick_findings findings; /* connection level: per path, renegotiation, ... */
	struct certpick_error error;	   /* code != CERTPICK_OK: failed before an answer */
	double ms;			   /* wall time of the whole probe */
	char *scheme;	/* "https" (also for a bare host), "tls", "smtp", ...; owned */
	char *protocol; /* the layer's name ("smtp" for smtp:// and smtps://);
					 * NULL for https */
};

/* Caller-owned free. NULL is a no-op. */
CERTPICK_API void certpick_probe_result_free(struct certpick_probe_result *res);

enum certpick_probe_flags {
	CERTPICK_PROBE_TLS12_ONLY = 1 << 0,
	CERTPICK_PROBE_TLS13_ONLY = 1 << 1,
	CERTPICK_PROBE_IPV4 = 1 << 2,	     /* -4 */
	CERTPICK_PROBE_IPV6 = 1 << 3,	     /* -6 */
	CERTPICK_PROBE_NO_H2_CHECK = 1 << 4, /* skip step 3 */
};

/*
 * Options; zero means default. Copied: strings may be freed after the call
 * returns (not while it runs).
 */
struct certpick_probe_options {
	const char *servername;	  /* SNI and Host; default: the target's host
					 * (no SNI for an IP address) */
	const char *connect_to;	  /* dial "addr[:port]" instead; keep SNI and Host */
	const char *path;	  /* default: the URL's path, else "/" */
	int timeout_ms;		  /* per phase; default 10000 */
	unsigned flags;		  /* enum certpick_probe_flags */
	size_t max_cert_list;	  /* largest request accepted; default 4 MiB */
	const char *cert_file;	  /* certificate (and chain) to present: any source
					 * select takes (PEM, DER, PKCS#12, PKCS#11 URI) */
	const char *key_file;	  /* its private key; default: in cert_file */
	const char *key_password; /* for an encrypted key or .p12, or the token's
					 * PIN; wiped by the caller */
	void (*trace)(void *arg, const char *line); /* -v lines; may be NULL */
	void *trace_arg;
	/* ALPN protocols to offer on non-HTTP targets, comma-separated ("h2",
	 * "h2,http/1.1"); NULL: none. https:// targets always offer http/1.1. */
	const char *alpn;
	const char *mail_from; /* smtp: check the relay MAIL FROM / RCPT TO; NULL: skip */
	const char *rcpt_to;
	/* postgres://, mysql://, mqtt(s)://: the service's password for the URL's user,
	 * sent (over TLS) only when the server asks for one: PostgreSQL cleartext, MD5 or
	 * SCRAM-SHA-256, MySQL mysql_native_password / caching_sha2_password, MQTT CONNECT.
	 * Never in a result, a trace or JSON. NULL: none. Wiped by the caller. */
	const char *service_password;
};

/*
 * Split "host", "host:port", "[v6]:port", "https://host[:port]/path" or
 * "SCHEME://[user@]host[:port][/path]" for a scheme certpick speaks (tls,
 * and the protocol layers: smtp, ldap, ...) into parts (default port 443,
 * or the scheme's; path NULL when none; a user name is dropped). Owned by the caller: free()
 * each. -1 and err (CERTPICK_ERR_USAGE) when it is not a target.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_probe_target_parse(const char *target, char **host,
    char **port, char **path, struct certpick_error *err);

/*
 * Probe one target. Returns 0 and *out even when the probe failed on the
 * network (see (*out)->error); -1 only when it could not start (bad target
 * or options, no memory, a certificate or key that does not load), with err.
 * Caller owns *out; free it with certpick_probe_result_free().
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_probe_run(const char *target,
    const struct certpick_probe_options *opts, struct certpick_probe_result **out,
    struct certpick_error *err);

/* Called once per target as it completes; the callee owns res. */
typedef void (*certpick_probe_done_fn)(void *arg, size_t index, struct certpick_probe_result *res);

/*
 * Probe many targets, `concurrency` at a time (0: 16), on one event loop.
 * `done` is called for each target in completion order, with its index in
 * targets[]. A target that fails is a result with error set, never an abort.
 * Returns -1 only when nothing could start (options, certificate, memory).
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_probe_run_many(const char *const *targets, size_t n,
    unsigned concurrency, const struct certpick_probe_options *opts, certpick_probe_done_fn done,
    void *done_arg, struct certpick_error *err);

#ifdef __cplusplus
}
#endif
#endif
