/*
 * certreq.c: names of code points, lifecycle, and the request-level
 * findings (each one fires, and does not fire just below its threshold).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

static void
names(void **state)
{
	uint16_t s;
	uint8_t t;
	enum certpick_phase p;

	(void)state;
	assert_string_equal(certpick_sigalg_name(0x0403), "ecdsa_secp256r1_sha256");
	assert_string_equal(certpick_sigalg_name(0x0804), "rsa_pss_rsae_sha256");
	assert_string_equal(certpick_sigalg_name(0x0807), "ed25519");
	assert_string_equal(certpick_sigalg_name(0x0201), "rsa_pkcs1_sha1");
	assert_string_equal(certpick_sigalg_name(0x0301), "rsa_pkcs1_sha224");
	assert_null(certpick_sigalg_name(0xfefe));
	assert_int_equal(certpick_sigalg_from_name("rsa_pss_pss_sha512", &s), 0);
	assert_int_equal(s, 0x080b);
	assert_int_equal(certpick_sigalg_from_name("no_such", &s), -1);
	assert_int_equal(certpick_sigalg_from_name(NULL, &s), -1);
	assert_string_equal(certpick_cert_type_name(1), "rsa_sign");
	assert_string_equal(certpick_cert_type_name(64), "ecdsa_sign");
	assert_null(certpick_cert_type_name(200));
	assert_int_equal(certpick_cert_type_from_name("dss_sign", &t), 0);
	assert_int_equal(t, 2);
	assert_int_equal(certpick_cert_type_from_name("x", &t), -1);
	assert_string_equal(certpick_extension_name(47), "certificate_authorities");
	assert_string_equal(certpick_extension_name(48), "oid_filters");
	assert_string_equal(certpick_extension_name(50), "signature_algorithms_cert");
	assert_string_equal(certpick_extension_name(5), "status_request");
	assert_null(certpick_extension_name(0xfafa));
	assert_string_equal(certpick_phase_name(CERTPICK_PHASE_INITIAL), "initial");
	assert_string_equal(certpick_phase_name(CERTPICK_PHASE_RENEGOTIATION), "renegotiation");
	assert_string_equal(certpick_phase_name(CERTPICK_PHASE_POST_HANDSHAKE), "post_handshake");
	assert_int_equal(certpick_phase_from_name("post_handshake", &p), 0);
	assert_int_equal(p, CERTPICK_PHASE_POST_HANDSHAKE);
	assert_int_equal(certpick_phase_from_name("later", &p), -1);
	certpick_certreq_free(NULL);
}

/* A TLS 1.2 body: rsa_sign, the given sigalgs, and names given as raw DER blobs. */
struct builder {
	uint8_t *p;
	size_t n;
};

static void
put(struct builder *b, const void *data, size_t len)
{
	b->p = realloc(b->p, b->n + len);
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void
put16(struct builder *b, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 2);
}

/* n names of name_len filler bytes (not valid DER unless filler is a real name) */
static struct certpick_certreq *
tls12_with_names(size_t n, size_t name_len, const uint8_t *name, struct certpick_error *err)
{
	struct builder b = { 0 };
	struct certpick_certreq *req;
	uint8_t *filler = calloc(1, name_len);

	if (name != NULL)
		memcpy(filler, name, name_len);
	else
		memset(filler, 0xab, name_len);
	put(&b, "\x01\x01\x00\x02\x04\x01", 6);
	put16(&b, n * (2 + name_len));
	for (size_t i = 0; i < n; i++) {
		put16(&b, name_len);
		put(&b, filler, name_len);
	}
	req = certpick_certreq_parse(CERTPICK_TLS12, CERTPICK_PHASE_INITIAL, b.p, b.n, err);
	free(b.p);
	free(filler);
	return req;
}

struct size_row {
	size_t body;		     /* raw_len wanted */
	enum certpick_reason reason; /* fires at body, not at body - 1 */
};

static const struct size_row size_rows[] = {
	{ /* Java and Windows: 32768 */ 32769, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS },
	{ /* Go: 65536 */ 65537, CERTPICK_REASON_CR_TOO_LARGE_GO },
	{ /* OpenSSL and Chrome: 102400 */ 102401, CERTPICK_REASON_CR_TOO_LARGE_OPENSSL },
	{ /* NSS 131071, GnuTLS 131072 */ 131072, CERTPICK_REASON_CR_TOO_LARGE_NSS },
};

/* one name of the length that makes the body exactly `body` bytes (8 bytes of frame + 2) */
static struct certpick_certreq *
tls12_of_size(size_t body, size_t *n_names, struct certpick_error *err)
{
	/* 6 fixed + 2 list length; names of 1000 bytes + 2 each, the last one adjusted */
	size_t left = body - 8, full = left / 1002, rest = left % 1002;
	struct builder b = { 0 };
	struct certpick_certreq *req;
	uint8_t filler[1000];

	memset(filler, 0xab, sizeof(filler));
	if (rest > 0 && rest < 3) {
		full--;
		rest += 1002;
	}
	put(&b, "\x01\x01\x00\x02\x04\x01", 6);
	put16(&b, left);
	for (size_t i = 0; i < full; i++) {
		put16(&b, 1000);
		put(&b, filler, 1000);
	}
	if (rest > 0) {
		uint8_t *last = calloc(1, rest - 2);

		put16(&b, rest - 2);
		put(&b, last, rest - 2);
		free(last);
	}
	*n_names = full + (rest > 0);
	req = certpick_certreq_parse(CERTPICK_TLS12, CERTPICK_PHASE_INITIAL, b.p, b.n, err);
	free(b.p);
	return req;
}

/*
 * A TLS 1.2 request tops out at 65543 bytes (the CA list is <0..2^16-1>), so
 * the first two limits are tested on parsed messages and all four on sizes
 * alone (what the probe reports for a request too big to parse).
 */
static void
size_limits(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(size_rows) / sizeof(size_rows[0]); i++) {
		for (size_t d = 0; d < 2; d++) {
			struct certpick_findings f = { 0 };

			assert_int_equal(cp_certreq_size_findings(size_rows[i].body - d, &f), 0);
			assert_int_equal(certpick_findings_has(&f, size_rows[i].reason), d == 0);
			assert_int_equal(f.n, i + 1 - d);
			certpick_findings_release(&f);
		}
	}
	for (size_t i = 0; i < 2; i++) {
		for (size_t d = 0; d < 2; d++) {
			struct certpick_error err;
			size_t n;
			struct certpick_certreq *req =
			    tls12_of_size(size_rows[i].body - d, &n, &err);

			if (req == NULL)
				fail_msg("%zu: %s", size_rows[i].body - d, err.message);
			assert_int_equal(req->raw_len, size_rows[i].body - d);
			assert_int_equal(req->n_ca_names, n);
			assert_int_equal(certpick_findings_has(&req->findings, size_rows[i].reason),
			    d == 0);
			assert_true(certpick_findings_has(&req->findings,
			    CERTPICK_REASON_CR_IIS_TRUNCATION));
			certpick_certreq_free(req);
		}
	}
}

/* the CA list over 16384 bytes: IIS would truncate; at 16384 it would not */
static void
iis_truncation(void **state)
{
	struct certpick_error err;
	struct certpick_certreq *req;

	(void)state;
	/* 16 names of 1022 + 2 bytes = 16384 */
	req = tls12_with_names(16, 1022, NULL, &err);
	assert_non_null(req);
	assert_false(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_IIS_TRUNCATION));
	assert_true(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_MALFORMED_DN));
	certpick_certreq_free(req);
	req = tls12_with_names(16, 1023, NULL, &err);
	assert_non_null(req);
	assert_true(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_IIS_TRUNCATION));
	assert_false(
	    certpick_findings_has(&req->findings, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS));
	certpick_certreq_free(req);
}

static const uint8_t cn_test[] = { 0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x0c, 0x04, 0x74, 0x65, 0x73, 0x74 };

static void
duplicates(void **state)
{
	struct certpick_error err;
	struct certpick_certreq *req;
	const struct certpick_finding *f = NULL;

	(void)state;
	req = tls12_with_names(3, sizeof(cn_test), cn_test, &err);
	assert_non_null(req);
	assert_true(req->ca_names[0].valid);
	assert_string_equal(req->ca_names[0].rfc4514, "CN=test");
	for (size_t i = 0; i < req->findings.n; i++)
		if (req->findings.v[i].reason == CERTPICK_REASON_CR_DUPLICATE_NAMES)
			f = &req->findings.v[i];
	if (f == NULL || f->detail == NULL)
		fail_msg("no cr-duplicate-names detail");
	else
		assert_non_null(strstr(f->detail, "2 duplicates; first: CN=test"));
	assert_false(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_MALFORMED_DN));
	certpick_certreq_free(req);
	/* one name: no duplicate */
	req = tls12_with_names(1, sizeof(cn_test), cn_test, &err);
	assert_non_null(req);
	assert_int_equal(req->findings.n, 0);
	certpick_certreq_free(req);
}

/* 10,000 empty names (30 00): parsed, duplicates found by hash, not pairwise */
static void
ten_thousand_names(void **state)
{
	struct certpick_error err;
	struct certpick_certreq *req;
	static const uint8_t empty_name[] = { 0x30, 0x00 };

	(void)state;
	req = tls12_with_names(10000, sizeof(empty_name), empty_name, &err);
	if (req == NULL)
		fail_msg("%s", err.message);
	assert_int_equal(req->n_ca_names, 10000);
	assert_true(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_DUPLICATE_NAMES));
	assert_true(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_IIS_TRUNCATION));
	assert_true(
	    certpick_findings_has(&req->findings, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS));
	certpick_certreq_free(req);
}

struct lint_row {
	uint16_t version;
	enum certpick_phase phase;
	const char *hex;
	enum certpick_reason want;
	bool fires;
};

static const struct lint_row lint_rows[] = {
	{ /* TLS 1.3 without signature_algorithms */
	    CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, "00 0000", CERTPICK_REASON_CR_MALFORMED, true },
	{ /* TLS 1.3 with signature_algorithms: not malformed */
	    CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, "00 0008 000d000400020403",
	    CERTPICK_REASON_CR_MALFORMED, false },
	{ /* a context at the handshake */
	    CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, "01 aa 0008 000d000400020403",
	    CERTPICK_REASON_CR_MALFORMED, true },
	{ /* no context after the handshake */
	    CERTPICK_TLS13, CERTPICK_PHASE_POST_HANDSHAKE, "00 0008 000d000400020403",
	    CERTPICK_REASON_CR_MALFORMED, true },
	{ /* a context after the handshake: fine */
	    CERTPICK_TLS13, CERTPICK_PHASE_POST_HANDSHAKE, "01 aa 0008 000d000400020403",
	    CERTPICK_REASON_CR_MALFORMED, false },
	{ /* TLS 1.3 with no certificate_authorities: no names */
	    CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, "00 0008 000d000400020403",
	    CERTPICK_REASON_CR_NO_CA_NAMES, true },
	{ /* TLS 1.3 empty extension 47 */
	    CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, "00 000e 000d000400020403 002f00020000",
	    CERTPICK_REASON_CR_EMPTY_CA_EXTENSION, true },
	{ /* TLS 1.3 empty extension 47 is not also "no names" */
	    CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, "00 000e 000d000400020403 002f00020000",
	    CERTPICK_REASON_CR_NO_CA_NAMES, false },
	{ /* TLS 1.2 empty list: no names */
	    CERTPICK_TLS12, CERTPICK_PHASE_INITIAL, "0101 00020401 0000",
	    CERTPICK_REASON_CR_NO_CA_NAMES, true },
	{ /* only SHA-1 and MD5 signatures */
	    CERTPICK_TLS12, CERTPICK_PHASE_INITIAL, "0101 0004 02010101 0000",
	    CERTPICK_REASON_CR_SIGALGS_LEGACY_ONLY, true },
	{ /* SHA-1 and SHA-256: not legacy only */
	    CERTPICK_TLS12, CERTPICK_PHASE_INITIAL, "0101 0004 02010401 0000",
	    CERTPICK_REASON_CR_SIGALGS_LEGACY_ONLY, false },
	{ /* an empty oid_filters extension still counts */
	    CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, "00 000e 000d000400020403 003000020000",
	    CERTPICK_REASON_CR_OID_FILTERS, true },
	{ /* a name that is not DER */
	    CERTPICK_TLS12, CERTPICK_PHASE_INITIAL, "0101 00020401 0005 0003 010203",
	    CERTPICK_REASON_CR_MALFORMED_DN, true },
	{ /* a valid name */
	    CERTPICK_TLS12, CERTPICK_PHASE_INITIAL,
	    "0101 00020401 0013 0011 300f310d300b06035504030c0474657374",
	    CERTPICK_REASON_CR_MALFORMED_DN, false },
};

static void
lint_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lint_rows) / sizeof(lint_rows[0]); i++) {
		const struct lint_row *r = &lint_rows[i];
		struct certpick_error err;
		size_t len;
		uint8_t *body = tu_unhex(r->hex, &len);
		struct certpick_certreq *req =
		    certpick_certreq_parse(r->version, r->phase, body, len, &err);

		free(body);
		if (req == NULL)
			fail_msg("row %zu: %s", i, err.message);
		if (certpick_findings_has(&req->findings, r->want) != r->fires)
			fail_msg("row %zu: %s %s", i, certpick_reason_id(r->want),
			    r->fires ? "did not fire" : "fired");
		certpick_certreq_free(req);
	}
}

/*
 * The one limits table: each client's exact limit, grouped under its reason;
 * a reason fires at the smallest limit of its clients (NSS's 0x1ffff, one
 * byte before GnuTLS), and serve's wording of the same findings.
 */
static void
limits_table(void **state)
{
	static const struct {
		enum cp_cr_limit_id id;
		size_t limit;
		enum certpick_reason reason;
	} want[] = {
		{ CP_CR_LIMIT_JAVA, 32768, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS },
		{ CP_CR_LIMIT_SCHANNEL, 0x8000, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS },
		{ CP_CR_LIMIT_GO, 65536, CERTPICK_REASON_CR_TOO_LARGE_GO },
		{ CP_CR_LIMIT_OPENSSL, 102400, CERTPICK_REASON_CR_TOO_LARGE_OPENSSL },
		{ CP_CR_LIMIT_BORINGSSL, 102400, CERTPICK_REASON_CR_TOO_LARGE_OPENSSL },
		{ CP_CR_LIMIT_NSS, 0x1ffff, CERTPICK_REASON_CR_TOO_LARGE_NSS },
		{ CP_CR_LIMIT_GNUTLS, 131072, CERTPICK_REASON_CR_TOO_LARGE_NSS },
	};
	struct certpick_findings f = { 0 };

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), CP_CR_LIMIT_N);
	for (size_t i = 0; i < CP_CR_LIMIT_N; i++) {
		assert_int_equal(cp_cr_limits[want[i].id].limit, want[i].limit);
		assert_int_equal(cp_cr_limits[want[i].id].reason, want[i].reason);
		assert_non_null(cp_cr_limits[want[i].id].clients);
		assert_non_null(cp_cr_limits[want[i].id].source);
	}
	/* GnuTLS's own limit adds no finding of its own: one per reason */
	assert_int_equal(cp_certreq_size_findings(131073, &f), 0);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.v[3].detail, "131073 bytes, limit 131071");
	certpick_findings_release(&f);
	/* serve's warnings: the message size, the clients and the KiB they read */
	assert_int_equal(cp_certreq_size_warnings(131072, 16385, &f), 0);
	assert_int_equal(f.n, 5);
	assert_int_equal(f.v[0].reason, CERTPICK_REASON_CR_IIS_TRUNCATION);
	assert_string_equal(f.v[0].detail, "CA list of 16385 bytes, IIS sends at most 16384");
	assert_string_equal(f.v[1].detail,
	    "CertificateRequest of 131076 bytes; Java and Windows: 32 KiB");
	assert_string_equal(f.v[2].detail, "CertificateRequest of 131076 bytes; Go: 64 KiB");
	assert_string_equal(f.v[3].detail,
	    "CertificateRequest of 131076 bytes; OpenSSL and Chrome: 100 KiB");
	assert_string_equal(f.v[4].detail,
	    "CertificateRequest of 131076 bytes; NSS and GnuTLS: 128 KiB");
	certpick_findings_release(&f);
	/* negatives: at each limit exactly, and a CA list of exactly 16384, nothing */
	assert_int_equal(cp_certreq_size_warnings(32768, 16384, &f), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(cp_certreq_size_findings(32768, &f), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(cp_certreq_size_findings(0, &f), 0);
	assert_int_equal(f.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(size_limits),
		cmocka_unit_test(iis_truncation),
		cmocka_unit_test(duplicates),
		cmocka_unit_test(ten_thousand_names),
		cmocka_unit_test(lint_table),
		cmocka_unit_test(limits_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
