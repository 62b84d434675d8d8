/*
 * serve internals shared by serve*.c, the unit tests and the fuzz target:
 * request parsing (serve_http.c: pure, no I/O), CA names, request size and
 * throwaway identity (serve_trust.c), verdicts from verification results
 * (serve_verdict.c).
 * Never installed.
 */
#ifndef CERTPICK_SERVE_INTERNAL_H
#define CERTPICK_SERVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <http_parser.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "internal.h"

#define CP_SERVE_MAX_HEADER 16384
#define CP_SERVE_MAX_BODY 65536
#define CP_SERVE_MAX_ACCEPT 1024

/* serve_http.c: one HTTP/1.1 request, fed in pieces. */
enum cp_http_state {
	CP_HTTP_MORE = 0, /* need more bytes */
	CP_HTTP_DONE,	  /* a whole request (headers and body) arrived */
	CP_HTTP_ERROR,	  /* error_status says which answer (400, 413, 431, 501) */
};

struct cp_http_req {
	http_parser parser;
	enum cp_http_state state;
	int error_status;
	size_t max_header, max_body;
	size_t header_bytes; /* request line + headers so far */
	size_t body_bytes;
	bool started; /* at least one byte of this request arrived */
	bool keep_alive;
	char method[16];
	char *url; /* owned, NUL-terminated */
	size_t url_len;
	char *accept; /* owned; the Accept header (joined when repeated) */
	size_t accept_len;
	char field[16]; /* the current header name, lowercased, truncated */
	size_t field_len;
	bool field_done; /* the current name is complete (value bytes follow) */
	bool field_is_accept;
};

void cp_http_req_init(struct cp_http_req *r, size_t max_header, size_t max_body);
/* Free what r holds and make it ready for the next request. */
void cp_http_req_reset(struct cp_http_req *r);
void cp_http_req_release(struct cp_http_req *r);
/*
 * Feed bytes; returns how many were used. Stops after a whole request
 * (state DONE: the rest belongs to the next, pipelined, request) or on an
 * error (state ERROR).
 */
size_t cp_http_req_feed(struct cp_http_req *r, const char *data, size_t len);

/*
 * The path of a request target (origin or absolute form), percent-decoded,
 * with "." and ".." segments resolved and repeated slashes folded, so that
 * "/a/../secure", "//secure" and "/%73ecure" all give "/secure". Query and
 * fragment dropped. Caller owns the result; free(). NULL when the target is
 * not a path ("*", CONNECT authority, bad escapes, NUL bytes).
 */
char *cp_http_path_normalize(const char *target, size_t len);
/* Whether path is prefix or below it, by whole segments ("/a" covers "/a/b", not "/ab"). */
bool cp_http_path_covered(const char *prefix, const char *path);
/*
 * Whether the answer should be JSON: the Accept header ranks application/json
 * (or application/ANY) with q > 0 above text/html; NULL or ANY/ANY gives HTML.
 */
bool cp_http_wants_json(const char *accept);

/* serve_trust.c: the CA names to send, the request size, the throwaway identity. */
/*
 * Whether a trusted certificate may anchor client authentication: OpenSSL
 * trusted-certificate purposes ("TRUSTED CERTIFICATE" aux): no aux at all =
 * every purpose; else clientAuth (or anyExtendedKeyUsage) must be trusted and
 * not rejected.
 */
bool cp_serve_trusted_for_client_auth(X509 *x);
/* The subjects of the certificates trusted for client auth, de-duplicated, in order. */
STACK_OF(X509_NAME) *cp_serve_ca_names_by_purpose(STACK_OF(X509) *certs,
    struct certpick_error *err);
/* Subjects of every certificate in certs, de-duplicated, in order. */
STACK_OF(X509_NAME) *cp_serve_ca_names_all(STACK_OF(X509) *certs, struct certpick_error *err);
/*
 * The TLS 1.2 CertificateRequest serve sends with these names, as the codec
 * encodes it (certificate types and signature schemes as OpenSSL 3 sends
 * them): the message size, 4-byte header included, into *size, and its size
 * findings (cr-iis-truncation, cr-too-large-*) into f. -1 on ENOMEM.
 */
int cp_serve_certreq_size(const struct certpick_dn *names, size_t n, size_t *size,
    struct certpick_findings *f);
/*
 * A throwaway P-256 identity for localhost, 127.0.0.1 and ::1, valid from an
 * hour before now for 30 days, made by the PKI generator (pki.h): the entity
 * CP_SERVE_IDENTITY (certpick_pki_get0_x509/_pkey, openssl.h). Caller owns
 * the result; free it with certpick_pki_free().
 */
#define CP_SERVE_IDENTITY "localhost"
struct certpick_pki;
struct certpick_pki *cp_serve_identity_new(time_t now, struct certpick_error *err);

/* serve_verdict.c: what the verify callback recorded, and the verdict. */
#define CP_SERVE_CHAIN_SHOWN 10		 /* certificates of the chain in a report, at most */
#define CP_SERVE_CHAIN_SHOWN_BYTES 16384 /* DER of those after the leaf, at most */
/* CA certificates between the leaf and the trust anchor, at most (OpenSSL: 100) */
#define CP_SERVE_VERIFY_DEPTH 8
#define CP_SERVE_MAX_VERIFY_ERRORS 8
struct cp_verify_error {
	int code; /* X509_V_ERR_* */
	int depth;
	X509 *cert; /* the certificate it is about; owned reference; may be NULL */
	/*
	 * cert's issuer was not found, and cert is a CA of the trust store that
	 * is not a root: the server trusts only an intermediate.
	 */
	bool anchor_not_root;
};

struct cp_verify_log {
	size_t n;
	struct cp_verify_error v[CP_SERVE_MAX_VERIFY_ERRORS];
	bool ran; /* the callback ran (a certificate arrived and was verified) */
};

/*
 * Record one error (de-duplicated by code and depth). Takes a reference on
 * cert. Returns the entry (borrowed: valid until the log is cleared), NULL
 * when it was already there or the log is full.
 */
struct cp_verify_error *cp_verify_log_add(struct cp_verify_log *log, int code, int depth,
    X509 *cert);
void cp_verify_log_clear(struct cp_verify_log *log);

/*
 * The verdict: substatus ("403.7", ...; NULL when accepted), the main reason,
 * and the rules' states. Pure mapping, no allocation.
 */
struct cp_verdict {
	const char *substatus;
	bool has_reason;
	enum certpick_reason reason;
	enum certpick_serve_rule_state rules[CERTPICK_SERVE_RULE__COUNT];
};
void cp_serve_verdict(bool have_cert, const struct cp_verify_log *log, bool have_crl,
    struct cp_verdict *out);
/* The reason one X509_V_ERR code maps to (depth tells leaf from CA). */
enum certpick_reason cp_serve_reason_for(int code, int depth);
/*
 * The reason of one recorded error, looking at its certificate too: an
 * "unsuitable purpose" leaf whose keyUsage forbids signing is
 * ku-no-digital-signature, a trusted intermediate without its root is
 * trust-intermediate-only.
 */
enum certpick_reason cp_serve_reason_of(const struct cp_verify_error *e);
/* Fill r->chain, findings and advice from the connection's certificates. */
int cp_serve_report_fill(struct certpick_serve_report *r, X509 *leaf, STACK_OF(X509) *sent,
    const struct cp_verify_log *log, bool have_crl);

#endif
