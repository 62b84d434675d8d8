/*
 * serve: a diagnostic mTLS HTTPS server that asks for a client certificate
 * the way IIS, nginx or Apache would, and says in the page the client gets
 * what arrived and why it was refused.
 *
 * The handshake never fails for a missing or bad client certificate (unless
 * fail_handshake is set): the verify callback accepts, records every
 * verification error, and the HTTP answer explains. A protected path (every
 * path with CERTPICK_SERVE_AUTH_REQUIRE, else the require_paths) never gets
 * 200 without a certificate that verified. Refusals carry the IIS substatus:
 * 403.7 no certificate, 403.13 revoked, 403.16 untrusted or invalid, 403.17
 * expired or not yet valid.
 *
 * Lifecycle: certpick_serve_new() loads the identity, trust store, CA names
 * and CRLs, and binds the listeners; certpick_serve_run() runs the event loop
 * until certpick_serve_stop() (from a signal event or a log callback) has
 * drained the connections; certpick_serve_free() releases everything.
 * The library never prints: one report per request goes to opts->log.
 * Single-threaded: every function must be called from the loop's thread.
 */
#ifndef CERTPICK_SERVE_H
#define CERTPICK_SERVE_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "certpick/certreq.h"
#include "certpick/dn.h"
#include "certpick/error.h"
#include "certpick/reason.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct certpick_serve;

enum certpick_serve_auth {
	CERTPICK_SERVE_AUTH_NONE = 0, /* no request at the handshake */
	CERTPICK_SERVE_AUTH_OPTIONAL, /* request at the handshake, do not require */
	CERTPICK_SERVE_AUTH_REQUIRE,  /* request at the handshake; every path protected */
};

/* "none", "optional", "require". Borrowed: static. */
CERTPICK_API const char *certpick_serve_auth_name(enum certpick_serve_auth a);
/* Reverse lookup; -1 when unknown. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_serve_auth_from_name(const char *name,
    enum certpick_serve_auth *out);

/* One rule the client certificate is held to; the 200 page lists each. */
enum certpick_serve_rule {
	CERTPICK_SERVE_RULE_PRESENTED = 0, /* a certificate arrived */
	CERTPICK_SERVE_RULE_TRUSTED,	   /* the chain leads to a trusted CA */
	CERTPICK_SERVE_RULE_VALIDITY,	   /* within notBefore..notAfter */
	CERTPICK_SERVE_RULE_NOT_REVOKED,   /* not on a CRL given (skipped without --crl) */
	CERTPICK_SERVE_RULE_PURPOSE,	   /* EKU allows clientAuth, in the leaf and CAs */
	CERTPICK_SERVE_RULE_WELL_FORMED,   /* signatures, constraints, other checks */
	CERTPICK_SERVE_RULE__COUNT
};

enum certpick_serve_rule_state {
	CERTPICK_SERVE_RULE_SKIPPED = 0,
	CERTPICK_SERVE_RULE_PASS,
	CERTPICK_SERVE_RULE_FAIL,
};

/* Stable id ("chain-trusted") and sentence of a rule. Borrowed: static. */
CERTPICK_API const char *certpick_serve_rule_id(enum certpick_serve_rule r);
CERTPICK_API const char *certpick_serve_rule_text(enum certpick_serve_rule r);
/* "skipped", "pass", "fail". Borrowed: static. */
CERTPICK_API const char *certpick_serve_rule_state_name(enum certpick_serve_rule_state s);

/* One certificate the client sent, leaf first. */
struct certpick_serve_cert {
	struct certpick_dn subject; /* owned */
	struct certpick_dn issuer;  /* owned */
	char sha256[65];	    /* lowercase hex of the DER */
	char serial[80];	    /* hex */
	time_t not_before;
	time_t not_after;
};

/* When the server asked for the certificate on this connection. */
enum certpick_serve_asked {
	CERTPICK_SERVE_ASKED_NEVER = 0,	     /* not asked (unprotected path, auth none) */
	CERTPICK_SERVE_ASKED_HANDSHAKE,	     /* CertificateRequest in the handshake */
	CERTPICK_SERVE_ASKED_RENEGOTIATION,  /* TLS 1.2, after the request */
	CERTPICK_SERVE_ASKED_POST_HANDSHAKE, /* TLS 1.3 PHA, after the request */
};

/* "never", "initial", "renegotiation", "post_handshake". Borrowed: static. */
CERTPICK_API const char *certpick_serve_asked_name(enum certpick_serve_asked a);

/*
 * What happened to one request (or to one handshake that failed on purpose,
 * with fail_handshake: then status is 0). Everything it points to is owned
 * by it, except ca_names (borrowed from the server, valid until it is freed).
 */
struct certpick_serve_report {
	char peer[64]; /* "127.0.0.1:51234", "[::1]:51234" */
	time_t time;
	char method[16];	 /* "GET"; empty for a failed handshake */
	char *path;		 /* normalized path, owned; NULL for a failed handshake */
	const char *tls_version; /* "TLSv1.3"; static */
	bool protected_path;	 /* a verified certificate is needed here */
	bool json;		 /* answered in JSON (Accept: application/json) */
	enum certpick_serve_asked asked;
	int status;	       /* HTTP status sent; 0 = handshake failed */
	const char *substatus; /* "403.7", "403.13", "403.16", "403.17" or NULL; static */
	bool has_reason;
	enum certpick_reason reason; /* the main reason, when has_reason */
	/*
	 * Certificates the client sent, leaf first: at most the first 10, and
	 * those after the leaf only while they total 16 KiB of DER, so that a
	 * long or bloated chain cannot make every answer large.
	 */
	size_t n_chain;
	struct certpick_serve_cert *chain;
	size_t n_chain_omitted; /* certificates sent but not in chain */
	enum certpick_serve_rule_state rules[CERTPICK_SERVE_RULE__COUNT];
	struct certpick_findings findings; /* why it was refused (or notes, on 200) */
	char *advice;			   /* what the client should change; owned; may be NULL */
	size_t n_ca_names;		   /* the names this server sent */
	const struct certpick_dn *ca_names;
};

/* Release what a report points to (not the struct). NULL is a no-op. */
CERTPICK_API void certpick_serve_report_release(struct certpick_serve_report *r);

/*
 * The report as one JSON object (docs/json.md shapes: schema 1, DNs as
 * {rfc4514, der, sha256}, findings as {id, severity, message, hint[, detail]}):
 * the same text is the JSON answer's body and a --json-log line. Compact, no
 * newline. Caller owns the result; free(). NULL on allocation failure.
 */
CERTPICK_API CERTPICK_MUST_CHECK char *certpick_serve_report_json(
    const struct certpick_serve_report *r);
/* The HTML page for browsers. Caller owns the result; free(). */
CERTPICK_API CERTPICK_MUST_CHECK char *certpick_serve_report_html(
    const struct certpick_serve_report *r);

/* Receives one report per request; borrowed for the call only. */
typedef void (*certpick_serve_log_fn)(void *arg, const struct certpick_serve_report *r);
typedef void (*certpick_serve_trace_fn)(void *arg, const char *line);

struct certpick_serve_options {
	const char *const *listen; /* "127.0.0.1:8443", "[::1]:8443"; NULL = 127.0.0.1:8443 */
	size_t n_listen;
	const char *cert_file;	   /* server identity (PEM chain); NULL = throwaway */
	const char *key_file;	   /* NULL = in cert_file */
	const char *trust_path;	   /* FILE|DIR: roots and intermediates to verify clients */
	const char *ca_names_path; /* FILE|DIR: names to send; NULL = from trust_path by purpose */
	bool no_ca_names;	   /* send an empty list (TLS 1.3: no extension) */
	enum certpick_serve_auth auth;
	const char *const *require_paths; /* per-path request: renegotiation / PHA */
	size_t n_require;
	/*
	 * PEM or DER CRLs. Every certificate of the path whose issuer has a CRL
	 * here is checked (a revoked intermediate refuses what it issued); the
	 * leaf must have one (else crl-unavailable); a CA without one is not
	 * checked unless crl_check_all.
	 */
	const char *crl_file;
	bool crl_check_all;	       /* a CA without a CRL here is crl-unavailable too */
	int tls_version;	       /* 0 = 1.2 and 1.3; CERTPICK_TLS12 or CERTPICK_TLS13 only */
	bool fail_handshake;	       /* fail the handshake instead of answering 403 */
	unsigned max_connections;      /* 0 = 1024 */
	unsigned handshake_timeout_ms; /* 0 = 10000 */
	unsigned header_timeout_ms;    /* whole request, from its first byte; 0 = 10000 */
	unsigned idle_timeout_ms;      /* keep-alive wait between requests; 0 = 60000 */
	size_t max_header_bytes;       /* 0 = 16384 */
	size_t max_body_bytes;	       /* 0 = 65536 */
	struct event_base *base;       /* the caller's loop; NULL = the server makes one */
	certpick_serve_log_fn log;     /* may be NULL */
	void *log_arg;
	certpick_serve_trace_fn trace; /* may be NULL */
	void *trace_arg;
};

/*
 * Load everything and bind the listeners. Paths are read during the call.
 * Returns NULL and sets err when an input cannot be used (CERTPICK_ERR_IO,
 * _PARSE) or a listener cannot be bound (CERTPICK_ERR_NETWORK).
 * Caller owns the result; free it with certpick_serve_free().
 */
CERTPICK_API CERTPICK_MUST_CHECK struct certpick_serve *
certpick_serve_new(const struct certpick_serve_options *opts, struct certpick_error *err);

/* Run until stopped and drained. -1 and err on a loop failure. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_serve_run(struct certpick_serve *srv,
    struct certpick_error *err);

/*
 * Graceful stop: close the listeners and idle connections, let requests in
 * flight finish (at most 5 s), then certpick_serve_run() returns. Safe to
 * call more than once, and from callbacks running in the loop.
 */
CERTPICK_API void certpick_serve_stop(struct certpick_serve *srv);

/* NULL is a no-op. */
CERTPICK_API void certpick_serve_free(struct certpick_serve *srv);

/* The CA names sent in each CertificateRequest. Borrowed: valid until free. */
CERTPICK_API const struct certpick_dn *certpick_serve_ca_names(const struct certpick_serve *srv,
    size_t *n);
/* Size of the TLS 1.2 CertificateRequest carrying those names (header included). */
CERTPICK_API size_t certpick_serve_certreq_size(const struct certpick_serve *srv);
/* Startup notes: CA list over client limits (cr-too-large-*), no names. Borrowed. */
CERTPICK_API const struct certpick_findings *certpick_serve_findings(
    const struct certpick_serve *srv);
/* Lowercase hex SHA-256 of the server certificate. Borrowed. */
CERTPICK_API const char *certpick_serve_identity_sha256(const struct certpick_serve *srv);
/* Whether the identity is a throwaway one made at start. */
CERTPICK_API bool certpick_serve_identity_generated(const struct certpick_serve *srv);
/* Bound addresses, "127.0.0.1:8443". Borrowed; NULL when i is out of range. */
CERTPICK_API const char *certpick_serve_listen_addr(const struct certpick_serve *srv, size_t i);
/* Connections open right now. */
CERTPICK_API size_t certpick_serve_connections(const struct certpick_serve *srv);

#ifdef __cplusplus
}
#endif
#endif
