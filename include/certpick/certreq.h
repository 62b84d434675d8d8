/*
 * What a server asked for: one CertificateRequest message.
 *
 * TLS 1.2 (RFC 5246 7.4.4): certificate_types, supported_signature_algorithms,
 * certificate_authorities. TLS 1.3 (RFC 8446 4.3.2): certificate_request_context
 * and extensions (signature_algorithms, signature_algorithms_cert,
 * certificate_authorities, oid_filters, status_request, unknown ones kept raw).
 *
 * A connection can carry several requests: at the handshake ("initial"),
 * after an HTTP request by TLS 1.2 renegotiation ("renegotiation"), or by TLS
 * 1.3 post-handshake authentication ("post_handshake").
 *
 * Lifecycle: certpick_certreq_parse() returns a heap object; everything it
 * points to is owned by it; certpick_certreq_free() releases all of it.
 * The parser is pure (no I/O, no SSL objects) and is fuzzed.
 */
#ifndef CERTPICK_CERTREQ_H
#define CERTPICK_CERTREQ_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certpick/dn.h"
#include "certpick/error.h"
#include "certpick/reason.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTPICK_TLS12 0x0303
#define CERTPICK_TLS13 0x0304
/*
 * OpenSSL's name of a protocol version ("TLSv1.3", "TLSv1.2", "TLSv1.1",
 * "TLSv1"), the words of the JSON output; NULL for any other value.
 * Borrowed: static.
 */
CERTPICK_API const char *certpick_tls_version_name(uint16_t version);

/* TLS extension code points the model names */
#define CERTPICK_EXT_STATUS_REQUEST 5
#define CERTPICK_EXT_SIGNATURE_ALGORITHMS 13
#define CERTPICK_EXT_CERTIFICATE_AUTHORITIES 47
#define CERTPICK_EXT_OID_FILTERS 48
#define CERTPICK_EXT_SIGNATURE_ALGORITHMS_CERT 50

enum certpick_phase {
	CERTPICK_PHASE_INITIAL = 0,
	CERTPICK_PHASE_RENEGOTIATION,
	CERTPICK_PHASE_POST_HANDSHAKE,
};

/* "initial", "renegotiation", "post_handshake". Borrowed: static. */
CERTPICK_API const char *certpick_phase_name(enum certpick_phase p);
/* Reverse of certpick_phase_name(); -1 when unknown, else 0 and *out. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_phase_from_name(const char *name,
    enum certpick_phase *out);

struct certpick_cr_extension {
	uint16_t type;
	const uint8_t *data; /* borrowed from the certreq's raw copy */
	size_t len;
};

struct certpick_oid_filter {
	char *oid;	       /* dotted text; owned */
	const uint8_t *values; /* DER of the values, borrowed from raw */
	size_t values_len;
};

/* What the server asked for. Everything it points to is owned by the certreq. */
struct certpick_certreq {
	enum certpick_phase phase;
	uint16_t tls_version; /* CERTPICK_TLS12, CERTPICK_TLS13 */

	const uint8_t *context; /* TLS 1.3 certificate_request_context */
	size_t context_len;

	size_t n_cert_types; /* TLS 1.2 only */
	uint8_t *cert_types; /* ClientCertificateType values */

	size_t n_sigalgs; /* SignatureScheme code points */
	uint16_t *sigalgs;
	bool has_sigalgs_cert; /* TLS 1.3 signature_algorithms_cert */
	size_t n_sigalgs_cert;
	uint16_t *sigalgs_cert;

	bool has_ca_extension; /* TLS 1.3: extension 47 present (even empty) */
	size_t n_ca_names;     /* certificate_authorities; may be 0 */
	struct certpick_dn *ca_names;

	size_t n_oid_filters; /* TLS 1.3 oid_filters */
	struct certpick_oid_filter *oid_filters;

	size_t n_extensions; /* TLS 1.3: every extension, in order */
	struct certpick_cr_extension *extensions;

	uint8_t *raw; /* the message body as received */
	size_t raw_len;
	size_t size; /* handshake message size incl. 4-byte header */

	struct certpick_findings findings; /* what is wrong with the message */
};

/*
 * Parse a CertificateRequest handshake message body (without the 4-byte
 * handshake header) for the given TLS version. Copied: the caller may free
 * body after the call. Returns NULL and sets err (CERTPICK_ERR_PARSE) when the
 * message is malformed; lesser problems (a name that is not valid DER, an
 * empty certificate_authorities extension, duplicates, sizes over client
 * limits) are findings in the result.
 * Caller owns the result; free it with certpick_certreq_free().
 */
CERTPICK_API CERTPICK_MUST_CHECK struct certpick_certreq *
certpick_certreq_parse(uint16_t tls_version, enum certpick_phase phase, const uint8_t *body,
    size_t body_len, struct certpick_error *err);

/* NULL is a no-op. */
CERTPICK_API void certpick_certreq_free(struct certpick_certreq *req);

/*
 * The fields of a request given by hand (select --ca-names) or read back from
 * JSON without its raw bytes. Zero means default: no cert_types means
 * rsa_sign + ecdsa_sign (TLS 1.2), no sigalgs means the list OpenSSL 3 servers
 * send. Names are encoded as DER in certificate_authorities (TLS 1.3: the
 * extension only when there is a name, unless ca_extension_empty is set).
 */
struct certpick_certreq_fields {
	uint16_t tls_version; /* 0: CERTPICK_TLS12 */
	enum certpick_phase phase;
	const uint8_t *cert_types;
	size_t n_cert_types;
	const uint16_t *sigalgs;
	size_t n_sigalgs;
	const uint16_t *sigalgs_cert; /* TLS 1.3; sent when n_sigalgs_cert > 0 */
	size_t n_sigalgs_cert;
	const struct certpick_dn *ca_names;
	size_t n_ca_names;
	bool ca_extension_empty; /* TLS 1.3: send extension 47 even with no name */
	const uint8_t *context;	 /* TLS 1.3 certificate_request_context */
	size_t context_len;
};

/*
 * Encode the fields as the message a server would send, then parse it, so a
 * built request has raw bytes and findings like a captured one. Copied: the
 * caller may free the fields after the call. Fails (CERTPICK_ERR_USAGE) when
 * a vector would exceed its TLS length limit.
 * Caller owns the result; free it with certpick_certreq_free().
 */
CERTPICK_API CERTPICK_MUST_CHECK struct certpick_certreq *
certpick_certreq_build(const struct certpick_certreq_fields *fields, struct certpick_error *err);

/*
 * Several requests, as a probe saves them (`certpick probe --save FILE`,
 * `--json`): one connection can carry an initial request and a later one.
 * Everything it points to is owned by the list.
 */
struct certpick_certreq_list {
	size_t n;
	struct certpick_certreq **v;
};

/* Free every request and the array; the struct is left empty. NULL is a no-op. */
CERTPICK_API void certpick_certreq_list_release(struct certpick_certreq_list *list);

/*
 * Read requests back from probe JSON (docs/cli/probe.md): a probe object
 * {"schema":1, ..., "requests":[...]}, JSON Lines of such objects (--targets),
 * a bare request object, or an array of request objects. Each request is
 * rebuilt from its "raw" hex when present, else from its fields
 * (certpick_certreq_build). Targets that carry an "error" and no requests are
 * skipped. Copied: the caller may free text after the call. Fills *out
 * (caller-allocated, released with certpick_certreq_list_release()); on
 * failure *out is empty and err says where (CERTPICK_ERR_PARSE).
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_certreq_list_from_json(const char *text, size_t len,
    struct certpick_certreq_list *out, struct certpick_error *err);

/* The same from a file ("-" is not special). Copied: path. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_certreq_list_load_json(const char *path,
    struct certpick_certreq_list *out, struct certpick_error *err);

/*
 * IANA name of a SignatureScheme ("ecdsa_secp256r1_sha256"); NULL if unknown.
 * TLS 1.2 (hash, signature) pairs the registry leaves unnamed or _RESERVED
 * are named <signature>_<hash> ("dsa_sha256", "rsa_pkcs1_sha224").
 * Borrowed: static.
 */
CERTPICK_API const char *certpick_sigalg_name(uint16_t scheme);
/* Reverse lookup; -1 when unknown. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_sigalg_from_name(const char *name, uint16_t *out);
/* Name of a TLS 1.2 ClientCertificateType ("rsa_sign"); NULL if unknown. */
CERTPICK_API const char *certpick_cert_type_name(uint8_t type);
/* Reverse lookup; -1 when unknown. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_cert_type_from_name(const char *name, uint8_t *out);
/* Name of a TLS extension ("certificate_authorities"); NULL if unknown. */
CERTPICK_API const char *certpick_extension_name(uint16_t type);

#ifdef __cplusplus
}
#endif
#endif
