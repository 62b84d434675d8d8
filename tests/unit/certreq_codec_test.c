/*
 * certreq_codec.c: the encoder (built requests, and the length it counts
 * without storing), and for the parser real captures (openssl s_server 3.0, gnutls-serv 3.7,
 * captured with `openssl s_client -msg`, 4-byte handshake header removed),
 * hand-made bodies for what no server we can start sends (oid_filters,
 * unknown extensions), and negative cases: every truncation, lengths that
 * overflow, zero-length vectors where RFC 5246/8446 forbid them.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* s_server -Verify 2 -CAfile ca-roots-AB.pem: names Root A and Root B */
static const char sserv12[] =
    "030102400028040305030603080708080809080a080b080408050806040105010601030303010302"
    "04020502060200760039303731163014060355040a0c0d636572747069636b2d74657374311d301b"
    "06035504030c14636572747069636b205465737420526f6f7420410039303731163014060355040a"
    "0c0d636572747069636b2d74657374311d301b06035504030c14636572747069636b205465737420"
    "526f6f742042";
/* the same in TLS 1.3 */
static const char sserv13[] =
    "0000a2000d00220020040305030603080708080809080a080b080408050806040105010601030303"
    "01002f007800760039303731163014060355040a0c0d636572747069636b2d74657374311d301b06"
    "035504030c14636572747069636b205465737420526f6f7420410039303731163014060355040a0c"
    "0d636572747069636b2d74657374311d301b06035504030c14636572747069636b20546573742052"
    "6f6f742042";
/* s_server -no_ca_names -client_sigalgs ECDSA+SHA256:ed25519, TLS 1.2 */
static const char nonames12[] = "01400004040308070000";
/* the same in TLS 1.3: an empty certificate_authorities extension (00 00) */
static const char nonames13[] = "000010000d0006000404030807002f00020000";
/* gnutls-serv --require-client-cert: names A and B */
static const char gnutls12[] =
    "0201400020040108090804040308070501080a0805050308080601080b0806060302010203007600"
    "39303731163014060355040a0c0d636572747069636b2d74657374311d301b06035504030c146365"
    "72747069636b205465737420526f6f7420410039303731163014060355040a0c0d63657274706963"
    "6b2d74657374311d301b06035504030c14636572747069636b205465737420526f6f742042";
/* the same in TLS 1.3, with an empty status_request extension */
static const char gnutls13[] =
    "0000a6000d00220020040108090804040308070501080a0805050308080601080b08060603020102"
    "03002f007800760039303731163014060355040a0c0d636572747069636b2d74657374311d301b06"
    "035504030c14636572747069636b205465737420526f6f7420410039303731163014060355040a0c"
    "0d636572747069636b2d74657374311d301b06035504030c14636572747069636b20546573742052"
    "6f6f74204200050000";

#define ROOT_A "CN=certpick Test Root A,O=certpick-test"
#define ROOT_B "CN=certpick Test Root B,O=certpick-test"

struct capture {
	const char *name;
	uint16_t version;
	const char *hex;
	size_t n_cert_types, n_sigalgs, n_ca_names, n_extensions;
	uint16_t first_sigalg;
	uint8_t first_cert_type;
	bool has_ca_extension;
	enum certpick_reason want_finding; /* CERTPICK_REASON__COUNT: none checked */
};

static const struct capture captures[] = {
	{ /* s_server TLS 1.2: rsa_sign, dss_sign, ecdsa_sign; 20 sigalgs; A, B */
	    .name = "sserv12",
	    .version = CERTPICK_TLS12,
	    .hex = sserv12,
	    .n_cert_types = 3,
	    .n_sigalgs = 20,
	    .n_ca_names = 2,
	    .first_sigalg = 0x0403,
	    .first_cert_type = 1,
	    .want_finding = CERTPICK_REASON__COUNT },
	{ /* s_server TLS 1.3: signature_algorithms + certificate_authorities */
	    .name = "sserv13",
	    .version = CERTPICK_TLS13,
	    .hex = sserv13,
	    .n_sigalgs = 16,
	    .n_ca_names = 2,
	    .n_extensions = 2,
	    .first_sigalg = 0x0403,
	    .has_ca_extension = true,
	    .want_finding = CERTPICK_REASON__COUNT },
	{ /* -client_sigalgs narrows certificate_types to ecdsa_sign; no names */
	    .name = "nonames12",
	    .version = CERTPICK_TLS12,
	    .hex = nonames12,
	    .n_cert_types = 1,
	    .n_sigalgs = 2,
	    .first_sigalg = 0x0403,
	    .first_cert_type = 64,
	    .want_finding = CERTPICK_REASON_CR_NO_CA_NAMES },
	{ /* TLS 1.3 -no_ca_names: extension 47 present and empty */
	    .name = "nonames13",
	    .version = CERTPICK_TLS13,
	    .hex = nonames13,
	    .n_sigalgs = 2,
	    .n_extensions = 2,
	    .first_sigalg = 0x0403,
	    .has_ca_extension = true,
	    .want_finding = CERTPICK_REASON_CR_EMPTY_CA_EXTENSION },
	{ /* gnutls-serv TLS 1.2: rsa_sign, ecdsa_sign */
	    .name = "gnutls12",
	    .version = CERTPICK_TLS12,
	    .hex = gnutls12,
	    .n_cert_types = 2,
	    .n_sigalgs = 16,
	    .n_ca_names = 2,
	    .first_sigalg = 0x0401,
	    .first_cert_type = 1,
	    .want_finding = CERTPICK_REASON__COUNT },
	{ /* gnutls-serv TLS 1.3: a third extension, status_request, empty */
	    .name = "gnutls13",
	    .version = CERTPICK_TLS13,
	    .hex = gnutls13,
	    .n_sigalgs = 16,
	    .n_ca_names = 2,
	    .n_extensions = 3,
	    .first_sigalg = 0x0401,
	    .has_ca_extension = true,
	    .want_finding = CERTPICK_REASON__COUNT },
};

static struct certpick_certreq *
parse_hex(uint16_t version, enum certpick_phase phase, const char *hex, struct certpick_error *err)
{
	size_t len;
	uint8_t *body = tu_unhex(hex, &len);
	struct certpick_certreq *req = certpick_certreq_parse(version, phase, body, len, err);

	free(body);
	return req;
}

static void
real_captures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *c = &captures[i];
		struct certpick_error err;
		struct certpick_certreq *req =
		    parse_hex(c->version, CERTPICK_PHASE_INITIAL, c->hex, &err);

		if (req == NULL)
			fail_msg("%s: %s", c->name, err.message);
		assert_int_equal(req->tls_version, c->version);
		assert_int_equal(req->phase, CERTPICK_PHASE_INITIAL);
		assert_int_equal(req->n_cert_types, c->n_cert_types);
		assert_int_equal(req->n_sigalgs, c->n_sigalgs);
		assert_int_equal(req->n_ca_names, c->n_ca_names);
		assert_int_equal(req->n_extensions, c->n_extensions);
		assert_int_equal(req->has_ca_extension, c->has_ca_extension);
		assert_int_equal(req->sigalgs[0], c->first_sigalg);
		assert_int_equal(req->size, req->raw_len + 4);
		assert_int_equal(req->context_len, 0);
		assert_false(req->has_sigalgs_cert);
		if (c->n_cert_types > 0)
			assert_int_equal(req->cert_types[0], c->first_cert_type);
		if (c->n_ca_names == 2) {
			assert_true(req->ca_names[0].valid);
			assert_string_equal(req->ca_names[0].rfc4514, ROOT_A);
			assert_string_equal(req->ca_names[1].rfc4514, ROOT_B);
		}
		if (c->want_finding != CERTPICK_REASON__COUNT)
			assert_true(certpick_findings_has(&req->findings, c->want_finding));
		else
			assert_int_equal(req->findings.n, 0);
		certpick_certreq_free(req);
	}
}

/* gnutls13's third extension is status_request, kept raw and empty */
static void
status_request_kept_raw(void **state)
{
	struct certpick_error err;
	struct certpick_certreq *req =
	    parse_hex(CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, gnutls13, &err);

	(void)state;
	assert_non_null(req);
	assert_int_equal(req->extensions[2].type, CERTPICK_EXT_STATUS_REQUEST);
	assert_int_equal(req->extensions[2].len, 0);
	assert_int_equal(req->extensions[0].type, CERTPICK_EXT_SIGNATURE_ALGORITHMS);
	assert_int_equal(req->extensions[1].type, CERTPICK_EXT_CERTIFICATE_AUTHORITIES);
	assert_int_equal(req->extensions[1].len, 0x78);
	certpick_certreq_free(req);
}

/* Every proper prefix of a real capture is malformed, and so is one byte more. */
static void
truncated_at_every_byte(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		size_t len;
		uint8_t *body = tu_unhex(captures[i].hex, &len);
		uint8_t *longer = malloc(len + 1);

		for (size_t k = 0; k < len; k++) {
			struct certpick_error err;
			uint8_t *copy = malloc(k + 1);
			struct certpick_certreq *req;

			/* a copy of exactly k bytes, so ASan sees any over-read */
			memcpy(copy, body, k);
			req = certpick_certreq_parse(captures[i].version, CERTPICK_PHASE_INITIAL,
			    copy, k, &err);
			if (req != NULL)
				fail_msg("%s: prefix of %zu bytes parsed", captures[i].name, k);
			assert_int_equal(err.code, CERTPICK_ERR_PARSE);
			free(copy);
		}
		memcpy(longer, body, len);
		longer[len] = 0;
		{
			struct certpick_error err;
			struct certpick_certreq *req = certpick_certreq_parse(captures[i].version,
			    CERTPICK_PHASE_INITIAL, longer, len + 1, &err);

			assert_null(req);
			assert_int_equal(err.code, CERTPICK_ERR_PARSE);
		}
		free(longer);
		free(body);
	}
}

struct bad {
	uint16_t version;
	const char *hex;
};

static const struct bad bad_bodies[] = {
	{ /* TLS 1.2: empty body */ CERTPICK_TLS12, "" },
	{ /* certificate_types<1..2^8-1> is empty */ CERTPICK_TLS12, "00 0002 0401 0000" },
	{ /* certificate_types longer than the message */ CERTPICK_TLS12, "05 0102" },
	{ /* supported_signature_algorithms is empty */ CERTPICK_TLS12, "0101 0000 0000" },
	{ /* supported_signature_algorithms has an odd length */ CERTPICK_TLS12,
	    "0101 0003 040105 0000" },
	{ /* supported_signature_algorithms length overflows */ CERTPICK_TLS12,
	    "0101 ffff 0401 0000" },
	{ /* certificate_authorities is missing */ CERTPICK_TLS12, "0101 00020401" },
	{ /* certificate_authorities length overflows */ CERTPICK_TLS12, "0101 00020401 ffff" },
	{ /* a DistinguishedName length overflows its list */ CERTPICK_TLS12,
	    "0101 00020401 0004 0010 3000" },
	{ /* a DistinguishedName<1..2^16-1> is empty */ CERTPICK_TLS12, "0101 00020401 0002 0000" },
	{ /* half a DistinguishedName length */ CERTPICK_TLS12, "0101 00020401 0001 00" },
	{ /* a trailing byte */ CERTPICK_TLS12, "0101 00020401 0000 00" },
	{ /* TLS 1.3: empty body */ CERTPICK_TLS13, "" },
	{ /* certificate_request_context overflows */ CERTPICK_TLS13, "05 00" },
	{ /* extensions are missing */ CERTPICK_TLS13, "00" },
	{ /* extensions length overflows */ CERTPICK_TLS13, "00 0010 000d" },
	{ /* an extension's data overflows */ CERTPICK_TLS13, "00 0004 000d 0010" },
	{ /* half an extension header */ CERTPICK_TLS13, "00 0003 000d 00" },
	{ /* signature_algorithms is empty */ CERTPICK_TLS13, "00 0006 000d 0002 0000" },
	{ /* signature_algorithms has an odd length */ CERTPICK_TLS13,
	    "00 0007 000d 0003 0001 04" },
	{ /* bytes after signature_algorithms inside its extension */ CERTPICK_TLS13,
	    "00 000a 000d 0006 0002 0403 0000" },
	{ /* signature_algorithms_cert is empty */ CERTPICK_TLS13, "00 0006 0032 0002 0000" },
	{ /* the same extension twice */ CERTPICK_TLS13,
	    "00 0010 000d000400020403 000d000400020403" },
	{ /* certificate_authorities overflows its extension */ CERTPICK_TLS13,
	    "00 0006 002f 0002 0010" },
	{ /* certificate_authorities with no length at all */ CERTPICK_TLS13, "00 0004 002f 0000" },
	{ /* a DistinguishedName in certificate_authorities is empty */ CERTPICK_TLS13,
	    "00 0008 002f 0004 0002 0000" },
	{ /* an oid_filters OID<1..2^8-1> is empty */ CERTPICK_TLS13,
	    "00 0009 0030 0005 0003 00 0000" },
	{ /* an oid_filters OID ends inside a subidentifier */ CERTPICK_TLS13,
	    "00 000a 0030 0006 0004 01 81 0000" },
	{ /* an oid_filters OID has a leading 0x80 */ CERTPICK_TLS13,
	    "00 000b 0030 0007 0005 02 802a 0000" },
	{ /* oid_filters values overflow */ CERTPICK_TLS13, "00 000a 0030 0006 0004 01 2a 0010" },
	{ /* a byte after the oid_filters vector */ CERTPICK_TLS13,
	    "00 000b 0030 0007 0004012a0000 00" },
	{ /* a byte after the extensions */ CERTPICK_TLS13, "00 0000 00" },
};

static void
malformed_bodies(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
		struct certpick_error err;
		struct certpick_certreq *req = parse_hex(bad_bodies[i].version,
		    CERTPICK_PHASE_INITIAL, bad_bodies[i].hex, &err);

		if (req != NULL)
			fail_msg("row %zu (%s) parsed", i, bad_bodies[i].hex);
		assert_int_equal(err.code, CERTPICK_ERR_PARSE);
		assert_non_null(strstr(err.message, "malformed CertificateRequest"));
	}
}

static void
unsupported_version(void **state)
{
	struct certpick_error err;
	uint8_t body[] = { 1, 1, 0, 2, 4, 1, 0, 0 };

	(void)state;
	assert_null(
	    certpick_certreq_parse(0x0302, CERTPICK_PHASE_INITIAL, body, sizeof(body), &err));
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
}

/* oid_filters (2.5.29.37 = SEQUENCE { clientAuth }), signature_algorithms, and 0xfafa */
static void
oid_filters_and_unknown(void **state)
{
	struct certpick_error err;
	struct certpick_certreq *req = parse_hex(CERTPICK_TLS13, CERTPICK_PHASE_POST_HANDSHAKE,
	    "04 01020304 0026 000d000400020403 00300014 0012 03551d25 000c 300a06082b06010505070302"
	    " fafa0002abcd",
	    &err);

	(void)state;
	if (req == NULL)
		fail_msg("%s", err.message);
	assert_int_equal(req->context_len, 4);
	assert_int_equal(req->context[3], 4);
	assert_int_equal(req->n_extensions, 3);
	assert_int_equal(req->n_oid_filters, 1);
	assert_string_equal(req->oid_filters[0].oid, "2.5.29.37");
	assert_int_equal(req->oid_filters[0].values_len, 12);
	assert_int_equal(req->oid_filters[0].values[0], 0x30);
	assert_int_equal(req->extensions[2].type, 0xfafa);
	assert_int_equal(req->extensions[2].len, 2);
	assert_int_equal(req->extensions[2].data[1], 0xcd);
	assert_int_equal(req->n_sigalgs, 1);
	assert_false(req->has_ca_extension);
	assert_true(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_OID_FILTERS));
	assert_false(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_MALFORMED));
	certpick_certreq_free(req);
}

/* multi-byte subidentifiers and the 2.x first arc */
static void
oid_text(void **state)
{
	struct certpick_error err;
	/* 1.2.840.113549.1.1.1 and 2.999.3 */
	struct certpick_certreq *req = parse_hex(CERTPICK_TLS13, CERTPICK_PHASE_INITIAL,
	    "00 0025 000d000400020403 00300019 0017 09 2a864886f70d010101 0000 03 883703 0005"
	    " 04036f6e65",
	    &err);

	(void)state;
	if (req == NULL)
		fail_msg("%s", err.message);
	assert_int_equal(req->n_oid_filters, 2);
	assert_string_equal(req->oid_filters[0].oid, "1.2.840.113549.1.1.1");
	assert_string_equal(req->oid_filters[1].oid, "2.999.3");
	certpick_certreq_free(req);
}

static void
signature_algorithms_cert(void **state)
{
	struct certpick_error err;
	struct certpick_certreq *req = parse_hex(CERTPICK_TLS13, CERTPICK_PHASE_INITIAL,
	    "00 0012 000d000400020403 0032000600040401 0807", &err);

	(void)state;
	if (req == NULL)
		fail_msg("%s", err.message);
	assert_true(req->has_sigalgs_cert);
	assert_int_equal(req->n_sigalgs_cert, 2);
	assert_int_equal(req->sigalgs_cert[1], 0x0807);
	certpick_certreq_free(req);
}

/* every allocation failure returns NULL with CERTPICK_ERR_NOMEM and leaks nothing */
static void
allocation_failures(void **state)
{
	(void)state;
	for (unsigned long n = 1; n < 200; n++) {
		struct certpick_error err;
		struct certpick_certreq *req;

		cp_mem_fail_after(n);
		req = parse_hex(CERTPICK_TLS13, CERTPICK_PHASE_INITIAL, gnutls13, &err);
		cp_mem_fail_after(0);
		if (req != NULL) {
			certpick_certreq_free(req);
			return;
		}
		assert_int_equal(err.code, CERTPICK_ERR_NOMEM);
	}
	fail_msg("parse never succeeded");
}

/* built requests parse like captured ones; defaults fill what is not given */
static void
build(void **state)
{
	struct certpick_error err;
	struct certpick_dn names[2];
	struct certpick_certreq_fields f = { 0 };
	struct certpick_certreq *req;
	static const uint8_t big[70000];

	(void)state;
	assert_ok(certpick_dn_init_rfc4514(&names[0], "CN=Root A,O=x", &err), &err);
	assert_ok(certpick_dn_init_rfc4514(&names[1], "CN=Root B,O=x", &err), &err);
	req = certpick_certreq_build(&f, &err);
	assert_non_null(req);
	assert_int_equal(req->tls_version, CERTPICK_TLS12);
	assert_int_equal(req->n_cert_types, 2);
	assert_int_equal(req->n_sigalgs, 14);
	assert_true(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_NO_CA_NAMES));
	certpick_certreq_free(req);
	f.tls_version = CERTPICK_TLS13;
	f.ca_names = names;
	f.n_ca_names = 2;
	req = certpick_certreq_build(&f, &err);
	assert_non_null(req);
	assert_true(req->has_ca_extension);
	assert_int_equal(req->n_ca_names, 2);
	assert_string_equal(req->ca_names[1].rfc4514, "CN=Root B,O=x");
	assert_int_equal(req->findings.n, 0);
	certpick_certreq_free(req);
	/* an empty extension 47 on purpose */
	f.n_ca_names = 0;
	f.ca_extension_empty = true;
	req = certpick_certreq_build(&f, &err);
	assert_non_null(req);
	assert_true(certpick_findings_has(&req->findings, CERTPICK_REASON_CR_EMPTY_CA_EXTENSION));
	certpick_certreq_free(req);
	/* names over 65535 bytes cannot be encoded */
	certpick_dn_release(&names[1]);
	assert_ok(certpick_dn_init_der(&names[1], big, 60000, &err), &err);
	f.n_ca_names = 2;
	f.ca_names = names;
	f.tls_version = CERTPICK_TLS12;
	certpick_dn_release(&names[0]);
	names[0] = names[1]; /* the same big name twice: 2 x 60002 bytes */
	assert_null(certpick_certreq_build(&f, &err));
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	/* a name too long for its own length field */
	f.n_ca_names = 1;
	memset(&names[0], 0, sizeof(names[0]));
	assert_ok(certpick_dn_init_der(&names[0], big, sizeof(big), &err), &err);
	assert_null(certpick_certreq_build(&f, &err));
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	certpick_dn_release(&names[0]);
	certpick_dn_release(&names[1]);
}

/*
 * The encoder's count is the built message's body, TLS 1.2 and 1.3, and it
 * still counts where the encoder must refuse (CA list over 65535 bytes).
 */
static void
encoded_len(void **state)
{
	static const uint8_t big[40000];
	static const uint8_t ctx[32];
	static const uint16_t cert_schemes[] = { 0x0804, 0x0403 };
	struct certpick_error err = { 0 };
	struct certpick_dn names[3];
	struct certpick_certreq_fields f = { 0 };
	struct certpick_certreq *req;

	(void)state;
	assert_ok(certpick_dn_init_rfc4514(&names[0], "CN=Root A,O=x", &err), &err);
	assert_ok(certpick_dn_init_rfc4514(&names[1], "CN=Root B,O=x", &err), &err);
	assert_ok(certpick_dn_init_der(&names[2], big, sizeof(big), &err), &err);
	f.ca_names = names;
	for (int v = 0; v < 2; v++) {
		f.tls_version = v == 0 ? CERTPICK_TLS12 : CERTPICK_TLS13;
		f.phase = v == 0 ? CERTPICK_PHASE_INITIAL : CERTPICK_PHASE_POST_HANDSHAKE;
		f.context = v == 0 ? NULL : ctx;
		f.context_len = v == 0 ? 0 : sizeof(ctx);
		f.sigalgs_cert = v == 0 ? NULL : cert_schemes;
		f.n_sigalgs_cert = v == 0 ? 0 : 2;
		for (size_t n = 0; n <= 2; n++) {
			f.n_ca_names = n;
			f.ca_extension_empty = v == 1 && n == 0;
			assert_non_null(req = certpick_certreq_build(&f, &err));
			assert_int_equal(cp_certreq_encoded_len(&f), req->raw_len);
			assert_int_equal(req->size, req->raw_len + 4);
			certpick_certreq_free(req);
		}
	}
	/* two 40000-byte names: no TLS 1.2 message can carry them, the count goes on */
	certpick_dn_release(&names[1]);
	names[1] = names[2]; /* the same name twice; released once, as names[2] */
	f = (struct certpick_certreq_fields){ .tls_version = CERTPICK_TLS12,
		.ca_names = &names[1],
		.n_ca_names = 2 };
	assert_null(certpick_certreq_build(&f, &err));
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	/* 1 + 2 types, 2 + 28 schemes, 2 + 2 x (2 + 40000) names */
	assert_int_equal(cp_certreq_encoded_len(&f), 3 + 30 + 2 + 2 * 40002);
	certpick_dn_release(&names[0]);
	certpick_dn_release(&names[2]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_captures),
		cmocka_unit_test(status_request_kept_raw),
		cmocka_unit_test(truncated_at_every_byte),
		cmocka_unit_test(malformed_bodies),
		cmocka_unit_test(unsupported_version),
		cmocka_unit_test(oid_filters_and_unknown),
		cmocka_unit_test(oid_text),
		cmocka_unit_test(signature_algorithms_cert),
		cmocka_unit_test(allocation_failures),
		cmocka_unit_test(build),
		cmocka_unit_test(encoded_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
