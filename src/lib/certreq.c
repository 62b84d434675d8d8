/*
 * The CertificateRequest model: lifecycle, IANA names of code points, and
 * the findings computed from a parsed request (sizes against each client's
 * limit, duplicates, empty or malformed lists). No I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* see certpick/certreq.h */
const char *
certpick_phase_name(enum certpick_phase p)
{
	switch (p) {
	case CERTPICK_PHASE_INITIAL: return "initial";
	case CERTPICK_PHASE_RENEGOTIATION: return "renegotiation";
	case CERTPICK_PHASE_POST_HANDSHAKE: return "post_handshake";
	default: return "unknown";
	}
}

/* see certpick/certreq.h */
int
certpick_phase_from_name(const char *name, enum certpick_phase *out)
{
	static const enum certpick_phase all[] = { CERTPICK_PHASE_INITIAL,
		CERTPICK_PHASE_RENEGOTIATION, CERTPICK_PHASE_POST_HANDSHAKE };

	for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, certpick_phase_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

/* see certpick/certreq.h */
void
certpick_certreq_free(struct certpick_certreq *req)
{
	if (req == NULL)
		return;
	free(req->cert_types);
	free(req->sigalgs);
	free(req->sigalgs_cert);
	for (size_t i = 0; i < req->n_ca_names; i++)
		certpick_dn_release(&req->ca_names[i]);
	free(req->ca_names);
	for (size_t i = 0; i < req->n_oid_filters; i++)
		free(req->oid_filters[i].oid);
	free(req->oid_filters);
	free(req->extensions);
	free(req->raw);
	certpick_findings_release(&req->findings);
	free(req);
}

struct code_name {
	uint16_t code;
	const char *name;
};

/*
 * IANA TLS SignatureScheme registry. TLS 1.2 (hash, signature) pairs that the
 * registry leaves unnamed or marks _RESERVED (MD5, SHA-224, DSA) are named
 * the same way: <signature>_<hash>.
 */
static const struct code_name sigalgs[] = {
	{ 0x0101, "rsa_pkcs1_md5" },
	{ 0x0102, "dsa_md5" },
	{ 0x0103, "ecdsa_md5" },
	{ 0x0201, "rsa_pkcs1_sha1" },
	{ 0x0202, "dsa_sha1" },
	{ 0x0203, "ecdsa_sha1" },
	{ 0x0301, "rsa_pkcs1_sha224" },
	{ 0x0302, "dsa_sha224" },
	{ 0x0303, "ecdsa_sha224" },
	{ 0x0401, "rsa_pkcs1_sha256" },
	{ 0x0402, "dsa_sha256" },
	{ 0x0403, "ecdsa_secp256r1_sha256" },
	{ 0x0420, "rsa_pkcs1_sha256_legacy" },
	{ 0x0501, "rsa_pkcs1_sha384" },
	{ 0x0502, "dsa_sha384" },
	{ 0x0503, "ecdsa_secp384r1_sha384" },
	{ 0x0520, "rsa_pkcs1_sha384_legacy" },
	{ 0x0601, "rsa_pkcs1_sha512" },
	{ 0x0602, "dsa_sha512" },
	{ 0x0603, "ecdsa_secp521r1_sha512" },
	{ 0x0620, "rsa_pkcs1_sha512_legacy" },
	{ 0x0704, "eccsi_sha256" },
	{ 0x0705, "iso_ibs1" },
	{ 0x0706, "iso_ibs2" },
	{ 0x0707, "iso_chinese_ibs" },
	{ 0x0708, "sm2sig_sm3" },
	{ 0x0709, "gostr34102012_256a" },
	{ 0x070a, "gostr34102012_256b" },
	{ 0x070b, "gostr34102012_256c" },
	{ 0x070c, "gostr34102012_256d" },
	{ 0x070d, "gostr34102012_512a" },
	{ 0x070e, "gostr34102012_512b" },
	{ 0x070f, "gostr34102012_512c" },
	{ 0x0804, "rsa_pss_rsae_sha256" },
	{ 0x0805, "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512" },
	{ 0x0807, "ed25519" },
	{ 0x0808, "ed448" },
	{ 0x0809, "rsa_pss_pss_sha256" },
	{ 0x080a, "rsa_pss_pss_sha384" },
	{ 0x080b, "rsa_pss_pss_sha512" },
	{ 0x081a, "ecdsa_brainpoolP256r1tls13_sha256" },
	{ 0x081b, "ecdsa_brainpoolP384r1tls13_sha384" },
	{ 0x081c, "ecdsa_brainpoolP512r1tls13_sha512" },
	{ 0x0904, "mldsa44" },
	{ 0x0905, "mldsa65" },
	{ 0x0906, "mldsa87" },
};

/* IANA TLS ClientCertificateType Identifiers */
static const struct code_name cert_types[] = {
	{ 1, "rsa_sign" },
	{ 2, "dss_sign" },
	{ 3, "rsa_fixed_dh" },
	{ 4, "dss_fixed_dh" },
	{ 5, "rsa_ephemeral_dh_RESERVED" },
	{ 6, "dss_ephemeral_dh_RESERVED" },
	{ 20, "fortezza_dms_RESERVED" },
	{ 64, "ecdsa_sign" },
	{ 65, "rsa_fixed_ecdh" },
	{ 66, "ecdsa_fixed_ecdh" },
	{ 67, "gost_sign256" },
	{ 68, "gost_sign512" },
};

/* IANA TLS ExtensionType Values */
static const struct code_name extensions[] = {
	{ 0, "server_name" },
	{ 1, "max_fragment_length" },
	{ 2, "client_certificate_url" },
	{ 3, "trusted_ca_keys" },
	{ 4, "truncated_hmac" },
	{ 5, "status_request" },
	{ 6, "user_mapping" },
	{ 7, "client_authz" },
	{ 8, "server_authz" },
	{ 9, "cert_type" },
	{ 10, "supported_groups" },
	{ 11, "ec_point_formats" },
	{ 12, "srp" },
	{ 13, "signature_algorithms" },
	{ 14, "use_srtp" },
	{ 15, "heartbeat" },
	{ 16, "application_layer_protocol_negotiation" },
	{ 17, "status_request_v2" },
	{ 18, "signed_certificate_timestamp" },
	{ 19, "client_certificate_type" },
	{ 20, "server_certificate_type" },
	{ 21, "padding" },
	{ 22, "encrypt_then_mac" },
	{ 23, "extended_master_secret" },
	{ 24, "token_binding" },
	{ 25, "cached_info" },
	{ 27, "compress_certificate" },
	{ 28, "record_size_limit" },
	{ 35, "session_ticket" },
	{ 41, "pre_shared_key" },
	{ 42, "early_data" },
	{ 43, "supported_versions" },
	{ 44, "cookie" },
	{ 45, "psk_key_exchange_modes" },
	{ 47, "certificate_authorities" },
	{ 48, "oid_filters" },
	{ 49, "post_handshake_auth" },
	{ 50, "signature_algorithms_cert" },
	{ 51, "key_share" },
	{ 52, "transparency_info" },
	{ 57, "quic_transport_parameters" },
	{ 65037, "encrypted_client_hello" },
	{ 65281, "renegotiation_info" },
};

static const char *
lookup(const struct code_name *t, size_t n, uint16_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

/* see certpick/certreq.h */
const char *
certpick_sigalg_name(uint16_t scheme)
{
	return lookup(sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]), scheme);
}

/* see certpick/certreq.h */
int
certpick_sigalg_from_name(const char *name, uint16_t *out)
{
	for (size_t i = 0; name != NULL && i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		if (strcmp(sigalgs[i].name, name) == 0) {
			*out = sigalgs[i].code;
			return 0;
		}
	return -1;
}

/* see certpick/certreq.h */
const char *
certpick_cert_type_name(uint8_t type)
{
	return lookup(cert_types, sizeof(cert_types) / sizeof(cert_types[0]), type);
}

/* see certpick/certreq.h */
int
certpick_cert_type_from_name(const char *name, uint8_t *out)
{
	for (size_t i = 0; name != NULL && i < sizeof(cert_types) / sizeof(cert_types[0]); i++)
		if (strcmp(cert_types[i].name, name) == 0) {
			*out = (uint8_t)cert_types[i].code;
			return 0;
		}
	return -1;
}

/* see certpick/certreq.h */
const char *
certpick_extension_name(uint16_t type)
{
	return lookup(extensions, sizeof(extensions) / sizeof(extensions[0]), type);
}

/* TLS 1.2 (hash, signature) pairs with MD5 (1) or SHA-1 (2) */
static bool
sigalg_is_legacy(uint16_t s)
{
	unsigned hash = s >> 8, sig = s & 0xff;

	return (hash == 1 || hash == 2) && sig >= 1 && sig <= 3;
}

static int
cmp_dn_ptr(const void *a, const void *b)
{
	const struct certpick_dn *x = *(const struct certpick_dn *const *)a;
	const struct certpick_dn *y = *(const struct certpick_dn *const *)b;
	int c = memcmp(x->sha256, y->sha256, sizeof(x->sha256));

	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

static int
lint_duplicates(struct certpick_certreq *req, struct certpick_error *err)
{
	const struct certpick_dn **v = NULL;
	size_t dups = 0;
	const struct certpick_dn *first = NULL;
	int ret = -1;

	if (req->n_ca_names < 2)
		return 0;
	if ((v = cp_calloc(req->n_ca_names, sizeof(*v))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < req->n_ca_names; i++)
		v[i] = &req->ca_names[i];
	/* sort by hash: duplicates become neighbours, O(n log n) for 10,000 names */
	qsort(v, req->n_ca_names, sizeof(*v), cmp_dn_ptr);
	for (size_t i = 1; i < req->n_ca_names; i++)
		if (certpick_dn_equal_exact(v[i - 1], v[i])) {
			if (first == NULL || v[i - 1] < first)
				first = v[i - 1];
			dups++;
		}
	if (dups > 0) {
		char hash[17];

		certpick_dn_short_hash(first, hash, 8);
		if (cp_findings_add(&req->findings, CERTPICK_REASON_CR_DUPLICATE_NAMES,
		    "%zu duplicate%s; first: %s [%s]", dups, dups == 1 ? "" : "s",
		    first->rfc4514 == NULL ? "(not valid DER)" : first->rfc4514[0] == '\0' ?
		    "(empty name)" : first->rfc4514, hash) != 0) {
			cp_error_nomem(err);
			goto out;
		}
	}
	ret = 0;
out:
	free(v);
	return ret;
}

struct size_limit {
	enum certpick_reason reason;
	size_t limit;
};

/* the clients' CertificateRequest limits (docs/cli/probe.md "Findings");
 * compared with the handshake message body */
static const struct size_limit size_limits[] = {
	{ CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS, 32768 },
	{ CERTPICK_REASON_CR_TOO_LARGE_GO, 65536 },
	{ CERTPICK_REASON_CR_TOO_LARGE_OPENSSL, 102400 },
	{ CERTPICK_REASON_CR_TOO_LARGE_NSS, 131071 },
};

/* Encoded size of the CA list as sent: the names with their 2-byte lengths. */
static size_t
ca_list_bytes(const struct certpick_certreq *req)
{
	size_t n = 0;

	for (size_t i = 0; i < req->n_ca_names; i++)
		n += 2 + req->ca_names[i].der_len;
	return n;
}

#define ADD(...)                                                                   \
	do {                                                                       \
		if (cp_findings_add(&req->findings, __VA_ARGS__) != 0)             \
			return cp_error_nomem(err);                                \
	} while (0)

/* see internal.h */
int
cp_certreq_size_findings(size_t body_len, struct certpick_findings *f)
{
	for (size_t i = 0; i < sizeof(size_limits) / sizeof(size_limits[0]); i++)
		if (body_len > size_limits[i].limit &&
		    cp_findings_add(f, size_limits[i].reason, "%zu bytes, limit %zu", body_len,
		    size_limits[i].limit) != 0)
			return -1;
	return 0;
}

/* see internal.h */
int
cp_certreq_lint(struct certpick_certreq *req, struct certpick_error *err)
{
	size_t invalid = 0, first_invalid = 0, list;
	bool legacy_only = req->n_sigalgs > 0;

	/* a well-formed request tops out near 64 KiB; bigger ones reach here unparsed */
	if (cp_certreq_size_findings(req->raw_len, &req->findings) != 0)
		return cp_error_nomem(err);
	if ((list = ca_list_bytes(req)) > 16384)
		ADD(CERTPICK_REASON_CR_IIS_TRUNCATION, "CA list of %zu bytes, IIS sends at most 16384",
		    list);
	if (req->tls_version == CERTPICK_TLS13 && req->has_ca_extension && req->n_ca_names == 0)
		ADD(CERTPICK_REASON_CR_EMPTY_CA_EXTENSION, NULL);
	else if (req->n_ca_names == 0)
		ADD(CERTPICK_REASON_CR_NO_CA_NAMES, NULL);
	for (size_t i = 0; i < req->n_ca_names; i++)
		if (!req->ca_names[i].valid && invalid++ == 0)
			first_invalid = i;
	if (invalid > 0)
		ADD(CERTPICK_REASON_CR_MALFORMED_DN, "%zu of %zu names; first is #%zu", invalid,
		    req->n_ca_names, first_invalid + 1);
	if (lint_duplicates(req, err) != 0)
		return -1;
	if (req->n_oid_filters > 0 || (req->tls_version == CERTPICK_TLS13 &&
	    cp_certreq_find_extension(req, CERTPICK_EXT_OID_FILTERS) != NULL))
		ADD(CERTPICK_REASON_CR_OID_FILTERS, "%zu filter%s", req->n_oid_filters,
		    req->n_oid_filters == 1 ? "" : "s");
	if (req->tls_version == CERTPICK_TLS13) {
		/* RFC 8446 4.3.2: signature_algorithms MUST be specified */
		if (cp_certreq_find_extension(req, CERTPICK_EXT_SIGNATURE_ALGORITHMS) == NULL)
			ADD(CERTPICK_REASON_CR_MALFORMED, "no signature_algorithms extension");
		/* 4.3.2: the context is empty at the handshake, unique after it */
		if (req->phase == CERTPICK_PHASE_INITIAL && req->context_len != 0)
			ADD(CERTPICK_REASON_CR_MALFORMED,
			    "certificate_request_context is not empty in the handshake");
		if (req->phase == CERTPICK_PHASE_POST_HANDSHAKE && req->context_len == 0)
			ADD(CERTPICK_REASON_CR_MALFORMED,
			    "certificate_request_context is empty after the handshake");
	}
	for (size_t i = 0; i < req->n_sigalgs; i++)
		if (!sigalg_is_legacy(req->sigalgs[i]))
			legacy_only = false;
	if (legacy_only)
		ADD(CERTPICK_REASON_CR_SIGALGS_LEGACY_ONLY, NULL);
	certpick_findings_sort(&req->findings);
	return 0;
}

/* see internal.h */
const struct certpick_cr_extension *
cp_certreq_find_extension(const struct certpick_certreq *req, uint16_t type)
{
	for (size_t i = 0; i < req->n_extensions; i++)
		if (req->extensions[i].type == type)
			return &req->extensions[i];
	return NULL;
}

/* What OpenSSL 3 servers send by default (SHA-224 left out). */
static const uint16_t default_sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809,
	0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601 };
static const uint8_t default_cert_types[] = { 1, 64 };

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	bool nomem;
};

static void
wput(struct wbuf *b, const void *data, size_t len)
{
	if (b->nomem)
		return;
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *g;

		while (cap < b->n + len)
			cap *= 2;
		if ((g = cp_realloc(b->p, cap)) == NULL) {
			b->nomem = true;
			return;
		}
		b->p = g;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void
wput8(struct wbuf *b, size_t v)
{
	uint8_t x = (uint8_t)v;

	wput(b, &x, 1);
}

static void
wput16(struct wbuf *b, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wput(b, x, 2);
}

/* Reserve a 2-byte length at the current position; returns its offset. */
static size_t
wopen16(struct wbuf *b)
{
	size_t at = b->n;

	wput16(b, 0);
	return at;
}

/* Fill in a length reserved by wopen16(); -1 when it does not fit in 16 bits. */
static int
wclose16(struct wbuf *b, size_t at)
{
	size_t len;

	if (b->nomem)
		return 0;
	len = b->n - at - 2;
	if (len > 0xffff)
		return -1;
	b->p[at] = (uint8_t)(len >> 8);
	b->p[at + 1] = (uint8_t)len;
	return 0;
}

static void
wsigalgs(struct wbuf *b, const uint16_t *v, size_t n)
{
	wput16(b, 2 * n);
	for (size_t i = 0; i < n; i++)
		wput16(b, v[i]);
}

static void
wnames(struct wbuf *b, const struct certpick_dn *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		wput16(b, v[i].der_len);
		wput(b, v[i].der, v[i].der_len);
	}
}

/* see certpick/certreq.h */
struct certpick_certreq *
certpick_certreq_build(const struct certpick_certreq_fields *f, struct certpick_error *err)
{
	struct wbuf b = { 0 };
	struct certpick_certreq *ret = NULL;
	uint16_t version = f->tls_version ? f->tls_version : CERTPICK_TLS12;
	const uint16_t *schemes = f->n_sigalgs ? f->sigalgs : default_sigalgs;
	size_t n_sigalgs = f->n_sigalgs ? f->n_sigalgs : sizeof(default_sigalgs) / 2;
	size_t at, ext_at, bad = 0;

	if (n_sigalgs > 0x7ffe || f->n_sigalgs_cert > 0x7ffe || f->context_len > 255 ||
	    f->n_cert_types > 255) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "cannot build a CertificateRequest: a list is too long");
		goto out;
	}
	for (size_t i = 0; i < f->n_ca_names; i++)
		if (f->ca_names[i].der_len == 0 || f->ca_names[i].der_len > 0xffff)
			bad++;
	if (bad > 0) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "cannot build a CertificateRequest: a name is empty or too long");
		goto out;
	}
	if (version == CERTPICK_TLS12) {
		const uint8_t *types = f->n_cert_types ? f->cert_types : default_cert_types;
		size_t n_types = f->n_cert_types ? f->n_cert_types : sizeof(default_cert_types);

		wput8(&b, n_types);
		wput(&b, types, n_types);
		wsigalgs(&b, schemes, n_sigalgs);
		at = wopen16(&b);
		wnames(&b, f->ca_names, f->n_ca_names);
		bad = wclose16(&b, at) != 0;
	} else {
		wput8(&b, f->context_len);
		wput(&b, f->context, f->context_len);
		ext_at = wopen16(&b);
		wput16(&b, CERTPICK_EXT_SIGNATURE_ALGORITHMS);
		wput16(&b, 2 + 2 * n_sigalgs);
		wsigalgs(&b, schemes, n_sigalgs);
		if (f->n_sigalgs_cert > 0) {
			wput16(&b, CERTPICK_EXT_SIGNATURE_ALGORITHMS_CERT);
			wput16(&b, 2 + 2 * f->n_sigalgs_cert);
			wsigalgs(&b, f->sigalgs_cert, f->n_sigalgs_cert);
		}
		if (f->n_ca_names > 0 || f->ca_extension_empty) {
			wput16(&b, CERTPICK_EXT_CERTIFICATE_AUTHORITIES);
			at = wopen16(&b);
			size_t list_at = wopen16(&b);

			wnames(&b, f->ca_names, f->n_ca_names);
			bad = wclose16(&b, list_at) != 0 || wclose16(&b, at) != 0;
		}
		bad = bad || wclose16(&b, ext_at) != 0;
	}
	if (b.nomem) {
		cp_error_nomem(err);
		goto out;
	}
	if (bad) {
		cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot build a CertificateRequest: the CA names exceed 65535 bytes");
		goto out;
	}
	ret = certpick_certreq_parse(version, f->phase, b.p, b.n, err);
out:
	free(b.p);
	return ret;
}

/* see certpick/certreq.h */
void
certpick_certreq_list_release(struct certpick_certreq_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->n; i++)
		certpick_certreq_free(list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}
