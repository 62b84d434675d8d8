/*
 * The CertificateRequest model: lifecycle, IANA names of code points, the
 * table of clients' size limits, and the findings computed from a parsed
 * request (sizes against each client's limit, duplicates, empty or malformed
 * lists). No I/O, and nothing of the wire format: that is certreq_codec.c,
 * which calls this file, never the other way round.
 */
#include <stdint.h>
#include <stdio.h>
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
const char *
certpick_tls_version_name(uint16_t version)
{
	switch (version) {
	case CERTPICK_TLS13: return "TLSv1.3";
	case CERTPICK_TLS12: return "TLSv1.2";
	case 0x0302: return "TLSv1.1";
	case 0x0301: return "TLSv1";
	default: return NULL;
	}
}

/* see certpick/certreq.h */
int
certpick_phase_from_name(const char *name, enum certpick_phase *out)
{
	static const enum certpick_phase all[] = { CERTPICK_PHASE_INITIAL,
		CERTPICK_PHASE_RENEGOTIATION, CERTPICK_PHASE_POST_HANDSHAKE };

	for (size_t i = 0; name != NULL && i < CP_NELEM(all); i++)
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
	return lookup(sigalgs, CP_NELEM(sigalgs), scheme);
}

/* see certpick/certreq.h */
int
certpick_sigalg_from_name(const char *name, uint16_t *out)
{
	for (size_t i = 0; name != NULL && i < CP_NELEM(sigalgs); i++)
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
	return lookup(cert_types, CP_NELEM(cert_types), type);
}

/* see certpick/certreq.h */
int
certpick_cert_type_from_name(const char *name, uint8_t *out)
{
	for (size_t i = 0; name != NULL && i < CP_NELEM(cert_types); i++)
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
	return lookup(extensions, CP_NELEM(extensions), type);
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
			first->rfc4514 == NULL	      ? "(not valid DER)" :
			    first->rfc4514[0] == '\0' ? "(empty name)" :
							first->rfc4514,
			hash) != 0) {
			cp_error_nomem(err);
			goto out;
		}
	}
	ret = 0;
out:
	free(v);
	return ret;
}

/* see internal.h; each row names the client setting or source constant it comes from */
const struct cp_cr_limit cp_cr_limits[CP_CR_LIMIT_N] = {
	[CP_CR_LIMIT_JAVA] = { "Java", 32768, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS,
	    "jdk.tls.maxHandshakeMessageSize 32768" },
	[CP_CR_LIMIT_SCHANNEL] = { "Windows", 0x8000, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS,
	    "Schannel MessageLimitClient 0x8000" },
	[CP_CR_LIMIT_GO] = { "Go", 65536, CERTPICK_REASON_CR_TOO_LARGE_GO,
	    "crypto/tls conn.go maxHandshake 65536" },
	[CP_CR_LIMIT_OPENSSL] = { "OpenSSL", 102400, CERTPICK_REASON_CR_TOO_LARGE_OPENSSL,
	    "SSL_MAX_CERT_LIST_DEFAULT 1024*100" },
	[CP_CR_LIMIT_BORINGSSL] = { "Chrome", 102400, CERTPICK_REASON_CR_TOO_LARGE_OPENSSL,
	    "BoringSSL max_cert_list 100 KiB" },
	/* 0x1ffff, not 128 KiB: NSS fails one byte before GnuTLS */
	[CP_CR_LIMIT_NSS] = { "NSS", 0x1ffff, CERTPICK_REASON_CR_TOO_LARGE_NSS,
	    "ssl3con.c MAX_HANDSHAKE_MSG_LEN 0x1ffff" },
	[CP_CR_LIMIT_GNUTLS] = { "GnuTLS", 131072, CERTPICK_REASON_CR_TOO_LARGE_NSS,
	    "gnutls_int.h MAX_HANDSHAKE_PACKET_SIZE 128 KiB" },
};

/*
 * A reason's threshold: the smallest limit among its clients, and the
 * clients ("Java and Windows"); false when this row's reason came earlier.
 */
static bool
reason_limit(size_t row, size_t *limit, char *clients, size_t size)
{
	enum certpick_reason r = cp_cr_limits[row].reason;
	size_t n = 0;

	for (size_t i = 0; i < row; i++)
		if (cp_cr_limits[i].reason == r)
			return false;
	*limit = SIZE_MAX;
	clients[0] = '\0';
	for (size_t i = row; i < CP_CR_LIMIT_N; i++) {
		if (cp_cr_limits[i].reason != r)
			continue;
		if (cp_cr_limits[i].limit < *limit)
			*limit = cp_cr_limits[i].limit;
		if (n < size)
			n += (size_t)snprintf(clients + n, size - n, "%s%s", n > 0 ? " and " : "",
			    cp_cr_limits[i].clients);
	}
	return true;
}

/* Encoded size of the CA list as sent: the names with their 2-byte lengths. */
static size_t
ca_list_bytes(const struct certpick_certreq *req)
{
	size_t n = 0;

	for (size_t i = 0; i < req->n_ca_names; i++)
		n += 2 + req->ca_names[i].der_len;
	return n;
}

/* see internal.h */
int
cp_certreq_size_findings(size_t body_len, struct certpick_findings *f)
{
	for (size_t i = 0; i < CP_CR_LIMIT_N; i++) {
		size_t limit;
		char clients[64];

		if (reason_limit(i, &limit, clients, sizeof(clients)) && body_len > limit &&
		    cp_findings_add(f, cp_cr_limits[i].reason, "%zu bytes, limit %zu", body_len,
			limit) != 0)
			return -1;
	}
	return 0;
}

/* see internal.h */
int
cp_certreq_size_warnings(size_t body_len, size_t ca_list, struct certpick_findings *f)
{
	if (ca_list > CP_IIS_CA_LIST_MAX &&
	    cp_findings_add(f, CERTPICK_REASON_CR_IIS_TRUNCATION,
		"CA list of %zu bytes, IIS sends at most %d", ca_list, CP_IIS_CA_LIST_MAX) != 0)
		return -1;
	for (size_t i = 0; i < CP_CR_LIMIT_N; i++) {
		size_t limit;
		char clients[64];

		/* KiB rounded up: NSS's 0x1ffff reads as the 128 KiB it nearly is */
		if (reason_limit(i, &limit, clients, sizeof(clients)) && body_len > limit &&
		    cp_findings_add(f, cp_cr_limits[i].reason,
			"CertificateRequest of %zu bytes; %s: %zu KiB", body_len + 4, clients,
			(limit + 1023) / 1024) != 0)
			return -1;
	}
	return 0;
}

#define ADD(...)                                                       \
	do {                                                           \
		if (cp_findings_add(&req->findings, __VA_ARGS__) != 0) \
			return cp_error_nomem(err);                    \
	} while (0)

/* see internal.h */
int
cp_certreq_lint(struct certpick_certreq *req, struct certpick_error *err)
{
	size_t invalid = 0, first_invalid = 0, list;
	bool legacy_only = req->n_sigalgs > 0;

	/* a well-formed request tops out near 64 KiB; bigger ones reach here unparsed */
	if (cp_certreq_size_findings(req->raw_len, &req->findings) != 0)
		return cp_error_nomem(err);
	if ((list = ca_list_bytes(req)) > CP_IIS_CA_LIST_MAX)
		ADD(CERTPICK_REASON_CR_IIS_TRUNCATION, "CA list of %zu bytes, IIS sends at most %d",
		    list, CP_IIS_CA_LIST_MAX);
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
	if (req->n_oid_filters > 0 ||
	    (req->tls_version == CERTPICK_TLS13 &&
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
