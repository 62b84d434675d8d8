/*
 * serve*.c: verdicts from verification results (403.x), CA-name selection by
 * trusted purpose, page rendering, request parsing, path and Accept rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "certpick/pki.h"
#include "certpick/trust.h"
#include "testutil.h"
#include "serve_internal.h"

/* serve's CertificateRequest size for the names of a stack */
static size_t
stack_certreq_size(STACK_OF(X509_NAME) *st)
{
	struct certpick_dn v[64];
	struct certpick_findings f = { 0 };
	size_t n = (size_t)sk_X509_NAME_num(st), size = 0;

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *der;
		size_t len;

		assert_int_equal(X509_NAME_get0_der(sk_X509_NAME_value(st, (int)i), &der, &len), 1);
		assert_int_equal(certpick_dn_init_der(&v[i], der, len, NULL), 0);
	}
	assert_int_equal(cp_serve_certreq_size(v, n, &size, &f), 0);
	for (size_t i = 0; i < n; i++)
		certpick_dn_release(&v[i]);
	certpick_findings_release(&f);
	return size;
}

#define NOERR        \
	{            \
		0, 0 \
	}

struct verdict_case {
	const char *what;
	bool have_cert;
	bool have_crl;
	struct {
		int code, depth;
	} errs[4];
	size_t n;
	const char *want_sub; /* NULL: accepted */
	enum certpick_reason want_reason;
	enum certpick_serve_rule failed_rule; /* CERTPICK_SERVE_RULE__COUNT: none */
};

static const struct verdict_case verdict_cases[] = {
	{ /* nothing arrived: IIS 403.7 */
	    .what = "no cert",
	    .have_cert = false,
	    .want_sub = "403.7",
	    .want_reason = CERTPICK_REASON_SRV_NO_CERT,
	    .failed_rule = CERTPICK_SERVE_RULE_PRESENTED },
	{ /* a clean verification: accepted, nothing failed */
	    .what = "valid",
	    .have_cert = true,
	    .want_sub = NULL,
	    .failed_rule = CERTPICK_SERVE_RULE__COUNT },
	{ /* issuer not in the store: 403.16 untrusted */
	    .what = "untrusted",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_SRV_UNTRUSTED,
	    .failed_rule = CERTPICK_SERVE_RULE_TRUSTED },
	{ /* self-signed leaf: untrusted too */
	    .what = "self-signed",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_SRV_UNTRUSTED,
	    .failed_rule = CERTPICK_SERVE_RULE_TRUSTED },
	{ /* notAfter past: 403.17 */
	    .what = "expired",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_CERT_HAS_EXPIRED, 0 } },
	    .n = 1,
	    .want_sub = "403.17",
	    .want_reason = CERTPICK_REASON_EXPIRED,
	    .failed_rule = CERTPICK_SERVE_RULE_VALIDITY },
	{ /* notBefore future: 403.17 too */
	    .what = "not yet valid",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_CERT_NOT_YET_VALID, 0 } },
	    .n = 1,
	    .want_sub = "403.17",
	    .want_reason = CERTPICK_REASON_NOT_YET_VALID,
	    .failed_rule = CERTPICK_SERVE_RULE_VALIDITY },
	{ /* on the CRL: 403.13 */
	    .what = "revoked",
	    .have_cert = true,
	    .have_crl = true,
	    .errs = { { X509_V_ERR_CERT_REVOKED, 0 } },
	    .n = 1,
	    .want_sub = "403.13",
	    .want_reason = CERTPICK_REASON_REVOKED,
	    .failed_rule = CERTPICK_SERVE_RULE_NOT_REVOKED },
	{ /* F6: an intermediate on its issuer's CRL: 403.13 too */
	    .what = "revoked CA",
	    .have_cert = true,
	    .have_crl = true,
	    .errs = { { X509_V_ERR_CERT_REVOKED, 1 } },
	    .n = 1,
	    .want_sub = "403.13",
	    .want_reason = CERTPICK_REASON_REVOKED,
	    .failed_rule = CERTPICK_SERVE_RULE_NOT_REVOKED },
	{ /* EKU serverAuth only on the leaf */
	    .what = "eku leaf",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_INVALID_PURPOSE, 0 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_EKU_NO_CLIENT_AUTH,
	    .failed_rule = CERTPICK_SERVE_RULE_PURPOSE },
	{ /* EKU restriction on a CA */
	    .what = "eku ca",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_INVALID_PURPOSE, 1 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_CHAIN_NOT_CLIENT_AUTH,
	    .failed_rule = CERTPICK_SERVE_RULE_PURPOSE },
	{ /* no CRL for the issuer (nginx: unable to get certificate CRL) */
	    .what = "crl missing",
	    .have_cert = true,
	    .have_crl = true,
	    .errs = { { X509_V_ERR_UNABLE_TO_GET_CRL, 0 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_SRV_CRL_UNAVAILABLE,
	    .failed_rule = CERTPICK_SERVE_RULE_NOT_REVOKED },
	{ /* untrusted wins over expired: nothing else matters if untrusted */
	    .what = "untrusted+expired",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_CERT_HAS_EXPIRED, 0 },
		{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, 1 } },
	    .n = 2,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_SRV_UNTRUSTED,
	    .failed_rule = CERTPICK_SERVE_RULE_TRUSTED },
	{ /* revoked wins over expired */
	    .what = "expired+revoked",
	    .have_cert = true,
	    .have_crl = true,
	    .errs = { { X509_V_ERR_CERT_HAS_EXPIRED, 0 }, { X509_V_ERR_CERT_REVOKED, 0 } },
	    .n = 2,
	    .want_sub = "403.13",
	    .want_reason = CERTPICK_REASON_REVOKED,
	    .failed_rule = CERTPICK_SERVE_RULE_VALIDITY },
	{ /* F14: an issuer that is not a CA ranks before the purpose error it also gives */
	    .what = "non-CA issuer",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_INVALID_PURPOSE, 1 }, { X509_V_ERR_INVALID_CA, 1 },
		{ X509_V_ERR_KEYUSAGE_NO_CERTSIGN, 1 } },
	    .n = 3,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_CHAIN_INVALID,
	    .failed_rule = CERTPICK_SERVE_RULE_WELL_FORMED },
	{ /* F14: keyUsage without digitalSignature is said as such */
	    .what = "ku leaf",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE, 0 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE,
	    .failed_rule = CERTPICK_SERVE_RULE_PURPOSE },
	{ /* a chain deeper than the server verifies: that, not "untrusted" */
	    .what = "too long",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 9 },
		{ X509_V_ERR_CERT_CHAIN_TOO_LONG, 9 } },
	    .n = 2,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_SRV_INVALID,
	    .failed_rule = CERTPICK_SERVE_RULE_WELL_FORMED },
	{ /* negative: an unknown code is still a refusal, never a 200 */
	    .what = "unknown code",
	    .have_cert = true,
	    .errs = { { 9999, 0 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_SRV_INVALID,
	    .failed_rule = CERTPICK_SERVE_RULE_WELL_FORMED },
	{ /* negative: bad signature is invalid, not untrusted */
	    .what = "bad signature",
	    .have_cert = true,
	    .errs = { { X509_V_ERR_CERT_SIGNATURE_FAILURE, 0 } },
	    .n = 1,
	    .want_sub = "403.16",
	    .want_reason = CERTPICK_REASON_SRV_INVALID,
	    .failed_rule = CERTPICK_SERVE_RULE_WELL_FORMED },
};

static void
verdict_mapping(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++) {
		const struct verdict_case *c = &verdict_cases[i];
		struct cp_verify_log log = { 0 };
		struct cp_verdict v;

		for (size_t k = 0; k < c->n; k++)
			cp_verify_log_add(&log, c->errs[k].code, c->errs[k].depth, NULL);
		cp_serve_verdict(c->have_cert, &log, c->have_crl, &v);
		if (c->want_sub == NULL) {
			assert_null(v.substatus);
			assert_false(v.has_reason);
		} else {
			if (v.substatus == NULL || strcmp(v.substatus, c->want_sub) != 0)
				fail_msg("%s: substatus %s, want %s", c->what,
				    v.substatus ? v.substatus : "(null)", c->want_sub);
			assert_true(v.has_reason);
			if (v.reason != c->want_reason)
				fail_msg("%s: reason %s, want %s", c->what,
				    certpick_reason_id(v.reason),
				    certpick_reason_id(c->want_reason));
		}
		for (int r = 0; r < CERTPICK_SERVE_RULE__COUNT; r++) {
			if ((enum certpick_serve_rule)r == c->failed_rule)
				assert_int_equal(v.rules[r], CERTPICK_SERVE_RULE_FAIL);
			else if (!c->have_cert && r != CERTPICK_SERVE_RULE_PRESENTED)
				assert_int_equal(v.rules[r], CERTPICK_SERVE_RULE_SKIPPED);
		}
		if (!c->have_crl && c->have_cert)
			assert_int_equal(v.rules[CERTPICK_SERVE_RULE_NOT_REVOKED],
			    CERTPICK_SERVE_RULE_SKIPPED);
		cp_verify_log_clear(&log);
	}
}

/* the log keeps each (code, depth) once and at most CP_SERVE_MAX_VERIFY_ERRORS */
static void
verify_log_bounds(void **state)
{
	struct cp_verify_log log = { 0 };

	(void)state;
	cp_verify_log_add(&log, X509_V_ERR_CERT_HAS_EXPIRED, 0, NULL);
	cp_verify_log_add(&log, X509_V_ERR_CERT_HAS_EXPIRED, 0, NULL);
	assert_int_equal(log.n, 1);
	for (int i = 0; i < 20; i++)
		cp_verify_log_add(&log, X509_V_ERR_CERT_HAS_EXPIRED, i + 1, NULL);
	assert_int_equal(log.n, CP_SERVE_MAX_VERIFY_ERRORS);
	cp_verify_log_clear(&log);
	assert_int_equal(log.n, 0);
}

static X509 *
make_ca(const char *cn, int trust_nid, int reject_nid)
{
	struct certpick_pki *pki = cp_serve_identity_new(time(NULL), NULL);
	X509 *x;
	X509_NAME *name;

	assert_non_null(pki);
	x = certpick_pki_get0_x509(pki, CP_SERVE_IDENTITY);
	assert_non_null(x);
	assert_int_equal(X509_up_ref(x), 1);
	certpick_pki_free(pki);
	name = X509_NAME_new();
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_NAME_free(name);
	if (trust_nid != NID_undef)
		X509_add1_trust_object(x, OBJ_nid2obj(trust_nid));
	if (reject_nid != NID_undef)
		X509_add1_reject_object(x, OBJ_nid2obj(reject_nid));
	return x;
}

static void
write_aux(const char *path, X509 *x)
{
	BIO *b = BIO_new_file(path, "w");

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509_AUX(b, x), 1);
	BIO_free(b);
}

struct purpose_case {
	const char *file; /* directory entries are read in name order */
	const char *cn;
	int trust, reject;
	bool want_named;
};

static const struct purpose_case purpose_cases[] = {
	{ /* plain CERTIFICATE, no aux: all purposes */
	    "1-plain.pem", "Plain", NID_undef, NID_undef, true },
	{ /* TRUSTED CERTIFICATE for clientAuth */
	    "2-client.pem", "Client", NID_client_auth, NID_undef, true },
	{ /* trusted for serverAuth only: not named */
	    "3-server.pem", "Server", NID_server_auth, NID_undef, false },
	{ /* clientAuth explicitly rejected: not named */
	    "4-rejected.pem", "Rejected", NID_undef, NID_client_auth, false },
	{ /* anyExtendedKeyUsage trust covers clientAuth */
	    "5-any.pem", "Any", NID_anyExtendedKeyUsage, NID_undef, true },
	{ /* trusted for both, but clientAuth rejected: reject wins */
	    "6-both.pem", "Both", NID_client_auth, NID_client_auth, false },
};

static void
ca_names_by_purpose(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct certpick_trust *trust = certpick_trust_new(NULL);
	STACK_OF(X509) *certs;
	STACK_OF(X509_NAME) *names, *all;
	struct certpick_error err = { 0 };
	size_t n = sizeof(purpose_cases) / sizeof(purpose_cases[0]);
	int k = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		X509 *x =
		    make_ca(purpose_cases[i].cn, purpose_cases[i].trust, purpose_cases[i].reject);

		snprintf(path, sizeof(path), "%s/%s", dir, purpose_cases[i].file);
		write_aux(path, x);
		assert_int_equal(cp_serve_trusted_for_client_auth(x), purpose_cases[i].want_named);
		X509_free(x);
	}
	/* serve reads its trust store through the trust module, in name order */
	assert_ok(certpick_trust_add_path(trust, dir, &err), &err);
	certs = certpick_trust_get0_certs(trust);
	assert_int_equal(sk_X509_num(certs), (int)n);
	assert_non_null(names = cp_serve_ca_names_by_purpose(certs, &err));
	for (size_t i = 0; i < n; i++) {
		char cn[64];

		if (!purpose_cases[i].want_named)
			continue;
		X509_NAME_get_text_by_NID(sk_X509_NAME_value(names, k++), NID_commonName, cn,
		    sizeof(cn));
		assert_string_equal(cn, purpose_cases[i].cn);
	}
	assert_int_equal(sk_X509_NAME_num(names), k);
	assert_non_null(all = cp_serve_ca_names_all(certs, &err));
	assert_int_equal(sk_X509_NAME_num(all), (int)n);
	assert_true(stack_certreq_size(all) > stack_certreq_size(names));
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	sk_X509_NAME_pop_free(all, X509_NAME_free);
	certpick_trust_free(trust);
	tu_rmtree(dir);
	free(dir);
}

/*
 * negatives of --ca-names, read as a trust store is but named for what it
 * is: missing path, an empty folder, a file with no certificate
 */
static void
load_certs_errors(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct certpick_trust *t = certpick_trust_new(NULL);
	struct certpick_error err = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(t);
	assert_int_equal(cp_trust_add_path_as(t, "/nonexistent/x.pem", "CA names file", &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	assert_string_equal(err.message, "cannot read CA names file '/nonexistent/x.pem'");
	assert_int_equal(cp_trust_add_path_as(t, dir, "CA names file", &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PARSE);
	snprintf(path, sizeof(path), "%s/junk.pem", dir);
	f = fopen(path, "w");
	fputs("not a certificate\n", f);
	fclose(f);
	assert_int_equal(cp_trust_add_path_as(t, path, "CA names file", &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PARSE);
	assert_string_equal(err.detail, "no certificate in it");
	assert_int_equal(certpick_trust_count(t), 0);
	certpick_trust_free(t);
	tu_rmtree(dir);
	free(dir);
}

static void
fill_dn(struct certpick_dn *dn, const char *text)
{
	assert_int_equal(certpick_dn_init_rfc4514(dn, text, NULL), 0);
}

/*
 * Names whose DER makes serve's TLS 1.2 request body exactly `body` bytes:
 * 48 bytes of frame (3 types, 20 schemes, the lengths), then names of at most
 * 1000 bytes with their 2-byte lengths. Not valid DER: sizes are all that count.
 */
static size_t
names_of_body(size_t body, struct certpick_dn *v, size_t max)
{
	static uint8_t filler[1000];
	size_t left = body - 48, n = 0;

	memset(filler, 0x31, sizeof(filler));
	while (left > 0) {
		size_t len = left - 2 > sizeof(filler) ? sizeof(filler) : left - 2;

		/* never leave a remainder too short for a name */
		if (left - 2 - len > 0 && left - 2 - len < 3)
			len -= 3;
		assert_true(n < max);
		assert_int_equal(certpick_dn_init_der(&v[n++], filler, len, NULL), 0);
		left -= 2 + len;
	}
	return n;
}

/*
 * The size serve reports is the codec's: the same as the message the encoder
 * writes, and the findings come from the one limits table, at the body limit
 * (a body of exactly the limit passes, one byte more fails).
 */
static void
size_findings(void **state)
{
	static const struct {
		size_t body;
		size_t want_n;
		enum certpick_reason last;
	} rows[] = {
		{ 200, 0, 0 }, /* small: nothing */
		/* the CA list is 16384 bytes at body 16384 + 48: IIS sends that */
		{ 16384 + 48, 0, 0 },
		{ 16384 + 49, 1, CERTPICK_REASON_CR_IIS_TRUNCATION }, /* one byte over */
		{ 32768, 1, CERTPICK_REASON_CR_IIS_TRUNCATION },      /* Java and Windows read it */
		{ 32769, 2, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS },
		{ 65536, 2, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS },
		{ 65537, 3, CERTPICK_REASON_CR_TOO_LARGE_GO },
		{ 102400, 3, CERTPICK_REASON_CR_TOO_LARGE_GO },
		{ 102401, 4, CERTPICK_REASON_CR_TOO_LARGE_OPENSSL },
		/* NSS reads 0x1ffff, GnuTLS one more: the finding is NSS's */
		{ 131071, 4, CERTPICK_REASON_CR_TOO_LARGE_OPENSSL },
		{ 131072, 5, CERTPICK_REASON_CR_TOO_LARGE_NSS },
	};
	static struct certpick_dn names[200];
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct certpick_findings f = { 0 };
		size_t n = names_of_body(rows[i].body, names, 200), size = 0;

		assert_int_equal(cp_serve_certreq_size(names, n, &size, &f), 0);
		if (size != rows[i].body + 4 || f.n != rows[i].want_n ||
		    (f.n > 0 && f.v[f.n - 1].reason != rows[i].last)) {
			print_error("row %zu: body %zu: size %zu, %zu findings\n", i, rows[i].body,
			    size, f.n);
			failed++;
		}
		certpick_findings_release(&f);
		for (size_t k = 0; k < n; k++)
			certpick_dn_release(&names[k]);
	}
	assert_int_equal(failed, 0);
}

/* below 64 KiB of names the size is that of the message the codec builds */
static void
size_is_the_encoders(void **state)
{
	static const uint8_t types[] = { 1, 2, 64 };
	static const uint16_t schemes[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
		0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302,
		0x0402, 0x0502, 0x0602 };
	struct certpick_dn names[3];
	struct certpick_findings f = { 0 };
	struct certpick_error err = { 0 };
	struct certpick_certreq_fields fields = { .tls_version = CERTPICK_TLS12,
		.cert_types = types,
		.n_cert_types = 3,
		.sigalgs = schemes,
		.n_sigalgs = 20,
		.ca_names = names };
	struct certpick_certreq *req;
	size_t size = 0;

	(void)state;
	fill_dn(&names[0], "CN=Root A,O=Example");
	fill_dn(&names[1], "CN=Root B");
	fill_dn(&names[2], "CN=Intermediate C,OU=Clients,O=Example,C=DE");
	for (size_t n = 0; n <= 3; n++) {
		fields.n_ca_names = n;
		assert_int_equal(cp_serve_certreq_size(names, n, &size, &f), 0);
		assert_int_equal(f.n, 0);
		assert_non_null(req = certpick_certreq_build(&fields, &err));
		assert_int_equal(size, req->size);
		certpick_certreq_free(req);
	}
	for (size_t k = 0; k < 3; k++)
		certpick_dn_release(&names[k]);
}

/* HTML escapes what a certificate may carry; JSON follows the contract */
static void
page_rendering(void **state)
{
	struct certpick_serve_report r = { 0 };
	struct certpick_dn names[1];
	struct certpick_serve_cert chain[1];
	char *html, *js;
	json_t *o;
	json_error_t jerr;

	(void)state;
	memset(chain, 0, sizeof(chain));
	fill_dn(&names[0], "CN=Root A,O=Example");
	fill_dn(&chain[0].subject, "CN=<script>alert(1)</script>,O=x&y");
	fill_dn(&chain[0].issuer, "CN=Root \"C\"");
	snprintf(chain[0].sha256, sizeof(chain[0].sha256), "%064d", 0);
	snprintf(r.peer, sizeof(r.peer), "127.0.0.1:1");
	snprintf(r.method, sizeof(r.method), "GET");
	r.path = strdup("/a<b>");
	r.tls_version = "TLSv1.3";
	r.protected_path = true;
	r.status = 403;
	r.substatus = "403.16";
	r.has_reason = true;
	r.reason = CERTPICK_REASON_SRV_UNTRUSTED;
	r.chain = chain;
	r.n_chain = 1;
	r.ca_names = names;
	r.n_ca_names = 1;
	r.asked = CERTPICK_SERVE_ASKED_HANDSHAKE;
	r.rules[CERTPICK_SERVE_RULE_TRUSTED] = CERTPICK_SERVE_RULE_FAIL;
	r.advice = strdup("issued by 'CN=Root \"C\"' <b>");
	assert_int_equal(cp_findings_add(&r.findings, CERTPICK_REASON_SRV_UNTRUSTED, "x<y"), 0);

	assert_non_null(html = certpick_serve_report_html(&r));
	assert_non_null(strstr(html,
	    "<title>403.16 Forbidden: client certificate untrusted or "
	    "invalid</title>"));
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "\\&lt;script\\&gt;"));
	assert_non_null(strstr(html, "x&amp;y"));
	assert_non_null(strstr(html, "/a&lt;b&gt;"));
	assert_non_null(strstr(html, "x&lt;y"));
	assert_non_null(strstr(html, "<code>CN=Root A,O=Example</code>"));
	assert_non_null(strstr(html, "<li class=\"fail\"><b>fail</b> <code>chain-trusted</code>"));

	assert_non_null(js = certpick_serve_report_json(&r));
	assert_non_null(o = json_loads(js, 0, &jerr));
	assert_int_equal(json_integer_value(json_object_get(o, "schema")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "status")), 403);
	assert_string_equal(json_string_value(json_object_get(o, "substatus")), "403.16");
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "untrusted-issuer");
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(json_object_get(o,
								    "client_certificate"),
						    "subject"),
				    "rfc4514")),
	    chain[0].subject.rfc4514);
	assert_int_equal(json_array_size(
			     json_object_get(json_object_get(o, "client_certificate"), "chain")),
	    1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(json_object_get(o, "findings"), 0),
				    "id")),
	    "untrusted-issuer");
	assert_string_equal(json_string_value(
				json_object_get(json_object_get(o, "asked_for"), "when")),
	    "initial");
	assert_int_equal(json_array_size(
			     json_object_get(json_object_get(o, "asked_for"), "ca_names")),
	    1);
	json_decref(o);
	free(js);
	free(html);

	/* no certificate: client_certificate is null; a 200 page has its own title */
	r.n_chain = 0;
	r.status = 200;
	r.substatus = NULL;
	r.has_reason = false;
	assert_non_null(js = certpick_serve_report_json(&r));
	assert_non_null(o = json_loads(js, 0, &jerr));
	assert_true(json_is_null(json_object_get(o, "client_certificate")));
	assert_true(json_is_null(json_object_get(o, "substatus")));
	json_decref(o);
	free(js);
	assert_non_null(html = certpick_serve_report_html(&r));
	assert_non_null(strstr(html, "<title>200 OK</title>"));
	free(html);

	r.chain = NULL;
	r.ca_names = NULL;
	certpick_serve_report_release(&r);
	certpick_dn_release(&names[0]);
	certpick_dn_release(&chain[0].subject);
	certpick_dn_release(&chain[0].issuer);
}

/* the advice names the issuer the server does not trust and what it asked for */
static void
report_fill_advice(void **state)
{
	struct certpick_serve_report r = { 0 };
	struct cp_verify_log log = { 0 };
	struct certpick_dn names[2];
	X509 *leaf;

	(void)state;
	fill_dn(&names[0], "CN=Root A");
	fill_dn(&names[1], "CN=Root B");
	leaf = make_ca("leaf", NID_undef, NID_undef);
	r.ca_names = names;
	r.n_ca_names = 2;
	r.protected_path = true;
	r.asked = CERTPICK_SERVE_ASKED_HANDSHAKE;
	cp_verify_log_add(&log, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0, leaf);
	assert_int_equal(cp_serve_report_fill(&r, leaf, NULL, &log, false), 0);
	assert_string_equal(r.substatus, "403.16");
	if (strstr(r.advice, "Your certificate 'CN=leaf' was issued by 'CN=leaf'") == NULL)
		fail_msg("advice: %s", r.advice);
	assert_non_null(strstr(r.advice,
	    "Your certificate 'CN=leaf' was issued by 'CN=leaf', "
	    "which this server does not trust; it asked for a certificate issued by "
	    "'CN=Root A' or 'CN=Root B'"));
	assert_int_equal(r.n_chain, 1);
	assert_int_equal(r.findings.n, 1);
	certpick_serve_report_release(&r);

	/* nothing sent on a protected path: 403.7 with the names asked for */
	memset(&r, 0, sizeof(r));
	r.ca_names = names;
	r.n_ca_names = 2;
	r.protected_path = true;
	r.asked = CERTPICK_SERVE_ASKED_POST_HANDSHAKE;
	assert_int_equal(cp_serve_report_fill(&r, NULL, NULL, NULL, false), 0);
	assert_string_equal(r.substatus, "403.7");
	assert_non_null(strstr(r.advice, "by TLS 1.3 post-handshake authentication"));
	certpick_serve_report_release(&r);

	/* not protected, nothing asked: no substatus, no reason */
	memset(&r, 0, sizeof(r));
	r.n_ca_names = 0;
	assert_int_equal(cp_serve_report_fill(&r, NULL, NULL, NULL, false), 0);
	assert_null(r.substatus);
	assert_false(r.has_reason);
	assert_non_null(strstr(r.advice, "names no CA"));
	certpick_serve_report_release(&r);

	cp_verify_log_clear(&log);
	X509_free(leaf);
	certpick_dn_release(&names[0]);
	certpick_dn_release(&names[1]);
}

/* A copy of x with its keyUsage replaced by ku (parsed afresh: no cached flags). */
static X509 *
with_ku(X509 *x, const char *ku)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *copy;
	int len;

	X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_key_usage, -1)));
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_true((len = i2d_X509(x, &der)) > 0);
	p = der;
	copy = d2i_X509(NULL, &p, len);
	OPENSSL_free(der);
	assert_non_null(copy);
	return copy;
}

/*
 * F14: the first sentence names the real cause: a keyUsage that forbids
 * signing (OpenSSL says "unsuitable purpose" for it too), and a trust store
 * that holds only an intermediate.
 */
static void
report_fill_diagnoses(void **state)
{
	struct certpick_serve_report r = { 0 };
	struct cp_verify_log log = { 0 };
	struct cp_verify_error *e;
	X509 *base, *leaf, *mid;

	(void)state;
	base = make_ca("kuenc", NID_undef, NID_undef);
	leaf = with_ku(base, "critical,keyEncipherment");
	r.protected_path = true;
	r.asked = CERTPICK_SERVE_ASKED_HANDSHAKE;
	cp_verify_log_add(&log, X509_V_ERR_INVALID_PURPOSE, 0, leaf);
	assert_int_equal(cp_serve_report_fill(&r, leaf, NULL, &log, false), 0);
	assert_string_equal(r.substatus, "403.16");
	if (r.reason != CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE ||
	    strstr(r.advice, "keyUsage") == NULL)
		fail_msg("reason %s, advice: %s", certpick_reason_id(r.reason), r.advice);
	assert_null(strstr(r.advice, "extendedKeyUsage"));
	certpick_serve_report_release(&r);
	cp_verify_log_clear(&log);

	/* the issuer of the chain's top is missing, and that top is a trusted intermediate */
	memset(&r, 0, sizeof(r));
	r.protected_path = true;
	mid = make_ca("Int", NID_undef, NID_undef);
	e = cp_verify_log_add(&log, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, 1, mid);
	assert_non_null(e);
	e->anchor_not_root = true;
	assert_int_equal(cp_serve_report_fill(&r, base, NULL, &log, false), 0);
	if (r.reason != CERTPICK_REASON_SRV_TRUST_INTERMEDIATE_ONLY ||
	    strstr(r.advice, "trusts only an intermediate") == NULL ||
	    strstr(r.advice, "'CN=Int'") == NULL)
		fail_msg("reason %s, advice: %s", certpick_reason_id(r.reason), r.advice);
	assert_string_equal(r.substatus, "403.16");
	certpick_serve_report_release(&r);
	cp_verify_log_clear(&log);
	X509_free(mid);
	X509_free(leaf);
	X509_free(base);
}

/* F11: a long chain is shown capped, and says how many were left out */
static void
report_chain_capped(void **state)
{
	struct certpick_serve_report r = { 0 };
	struct cp_verify_log log = { 0 };
	STACK_OF(X509) *sent = sk_X509_new_null();
	X509 *leaf = make_ca("leaf", NID_undef, NID_undef);

	(void)state;
	for (int i = 0; i < 32; i++)
		assert_true(sk_X509_push(sent, make_ca("ca", NID_undef, NID_undef)) > 0);
	r.protected_path = true;
	cp_verify_log_add(&log, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0, leaf);
	assert_int_equal(cp_serve_report_fill(&r, leaf, sent, &log, false), 0);
	assert_int_equal(r.n_chain, CP_SERVE_CHAIN_SHOWN);
	assert_int_equal(r.n_chain_omitted, 33 - CP_SERVE_CHAIN_SHOWN);
	certpick_serve_report_release(&r);

	/* a short chain is shown whole */
	memset(&r, 0, sizeof(r));
	while (sk_X509_num(sent) > 1)
		X509_free(sk_X509_pop(sent));
	assert_int_equal(cp_serve_report_fill(&r, leaf, sent, &log, false), 0);
	assert_int_equal(r.n_chain, 2);
	assert_int_equal(r.n_chain_omitted, 0);
	certpick_serve_report_release(&r);
	cp_verify_log_clear(&log);
	sk_X509_pop_free(sent, X509_free);
	X509_free(leaf);
}

static void
feed_all(struct cp_http_req *r, const char *s, bool bytewise)
{
	size_t len = strlen(s), off = 0;

	while (off < len && r->state == CP_HTTP_MORE)
		off += cp_http_req_feed(r, s + off, bytewise ? 1 : len - off);
}

static void
http_requests(void **state)
{
	struct cp_http_req r;
	const char *pipelined = "GET /a HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n"
				"Accept: application/json\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	size_t used;
	char big[20100];

	(void)state;
	/* one byte at a time, repeated Accept joined */
	cp_http_req_init(&r, 0, 0);
	feed_all(&r,
	    "POST /p?q HTTP/1.1\r\nHost: x\r\naccept: application/json\r\n"
	    "Content-Length: 3\r\n\r\nabc",
	    true);
	assert_int_equal(r.state, CP_HTTP_DONE);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.url, "/p?q");
	assert_string_equal(r.accept, "application/json");
	assert_true(r.keep_alive);
	cp_http_req_release(&r);

	/* pipelined: stops after the first request */
	cp_http_req_init(&r, 0, 0);
	used = cp_http_req_feed(&r, pipelined, strlen(pipelined));
	assert_int_equal(r.state, CP_HTTP_DONE);
	assert_string_equal(pipelined + used, "GET /b HTTP/1.1\r\n\r\n");
	assert_string_equal(r.accept, "text/html,application/json");
	cp_http_req_reset(&r);
	feed_all(&r, pipelined + used, false);
	assert_int_equal(r.state, CP_HTTP_DONE);
	assert_string_equal(r.url, "/b");
	cp_http_req_release(&r);

	/* negative: headers over the cap give 431 */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	cp_http_req_init(&r, 0, 0);
	feed_all(&r, big, false);
	assert_int_equal(r.state, CP_HTTP_ERROR);
	assert_int_equal(r.error_status, 431);
	cp_http_req_release(&r);

	/* negative: body over the cap gives 413 before reading it */
	cp_http_req_init(&r, 0, 100);
	feed_all(&r, "POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", false);
	assert_int_equal(r.error_status, 413);
	cp_http_req_release(&r);

	/* negative: chunked body over the cap */
	cp_http_req_init(&r, 0, 4);
	feed_all(&r, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
	    false);
	assert_int_equal(r.error_status, 413);
	cp_http_req_release(&r);

	/* negative: garbage, CONNECT, HTTP/2 preface */
	cp_http_req_init(&r, 0, 0);
	feed_all(&r, "\x16\x03\x01garbage\r\n\r\n", false);
	assert_int_equal(r.error_status, 400);
	cp_http_req_release(&r);
	cp_http_req_init(&r, 0, 0);
	feed_all(&r, "CONNECT host:443 HTTP/1.1\r\n\r\n", false);
	assert_int_equal(r.error_status, 501);
	cp_http_req_release(&r);
	cp_http_req_init(&r, 0, 0);
	feed_all(&r, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false);
	assert_int_equal(r.state, CP_HTTP_ERROR);
	cp_http_req_release(&r);

	/* HTTP/1.0 without keep-alive closes */
	cp_http_req_init(&r, 0, 0);
	feed_all(&r, "GET / HTTP/1.0\r\n\r\n", false);
	assert_int_equal(r.state, CP_HTTP_DONE);
	assert_false(r.keep_alive);
	cp_http_req_release(&r);
}

/*
 * F20: an error decided in on_headers_complete (413 by Content-Length, 505,
 * 501) ends the request as an error: the declared body is never read as the
 * next request, and the state says ERROR, not DONE.
 */
static void
http_header_errors(void **state)
{
	static const struct {
		const char *req;
		int status;
	} rows[] = {
		{ "POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n"
		  "GET /smuggled HTTP/1.1\r\n\r\n",
		    413 },
		{ "GET /h2 HTTP/2.0\r\n\r\n", 505 },
		{ "GET /h3 HTTP/3.0\r\n\r\n", 505 },
		{ "GET / HTTP/0.9\r\n\r\n", 505 },
		{ "CONNECT host:443 HTTP/1.1\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n", 501 },
	};
	struct cp_http_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = strlen(rows[i].req), used;

		cp_http_req_init(&r, 0, 100);
		used = cp_http_req_feed(&r, rows[i].req, len);
		if (r.state != CP_HTTP_ERROR || r.error_status != rows[i].status)
			fail_msg("row %zu: state %d status %d, want ERROR %d", i, (int)r.state,
			    r.error_status, rows[i].status);
		/* nothing more is taken: the connection answers and closes */
		assert_int_equal(cp_http_req_feed(&r, rows[i].req + used, len - used), 0);
		assert_int_equal(r.state, CP_HTTP_ERROR);
		cp_http_req_release(&r);
	}
}

static void
path_rules(void **state)
{
	static const struct {
		const char *target, *want; /* want NULL: refused */
	} norm[] = {
		{ "/", "/" },
		{ "/secure", "/secure" },
		{ "/secure/", "/secure/" },
		{ "//secure//x", "/secure/x" },
		{ "/a/../secure", "/secure" },
		{ "/../../secure", "/secure" }, /* cannot climb above the root */
		{ "/%73ecure/./x?q=/../y#f", "/secure/x" },
		{ "/secure/%2e%2e/public", "/public" },
		{ "http://host:8443/secure?x", "/secure" }, /* absolute form */
		{ "*", NULL },				    /* OPTIONS * */
		{ "/bad%zz", NULL },			    /* bad escape */
		{ "/bad%4", NULL },			    /* truncated escape */
		{ "/nul%00byte", NULL },		    /* NUL */
		{ "", NULL },
	};
	static const struct {
		const char *prefix, *path;
		bool want;
	} cover[] = {
		{ "/secure", "/secure", true },
		{ "/secure", "/secure/", true },
		{ "/secure", "/secure/x/y", true },
		{ "/secure/", "/secure", true },
		{ "/secure", "/securex", false }, /* whole segments only */
		{ "/secure", "/", false },
		{ "/", "/anything", true },
		{ "/a/b", "/a", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		char *p = cp_http_path_normalize(norm[i].target, strlen(norm[i].target));

		if (norm[i].want == NULL) {
			if (p != NULL)
				fail_msg("'%s' gave '%s', want refusal", norm[i].target, p);
		} else {
			if (p == NULL || strcmp(p, norm[i].want) != 0)
				fail_msg("'%s' gave '%s', want '%s'", norm[i].target,
				    p ? p : "(null)", norm[i].want);
		}
		free(p);
	}
	for (size_t i = 0; i < sizeof(cover) / sizeof(cover[0]); i++)
		if (cp_http_path_covered(cover[i].prefix, cover[i].path) != cover[i].want)
			fail_msg("'%s' covers '%s': want %d", cover[i].prefix, cover[i].path,
			    cover[i].want);
	assert_false(cp_http_path_covered(NULL, "/"));
}

static void
accept_rules(void **state)
{
	static const struct {
		const char *accept;
		bool json;
	} rows[] = {
		{ "application/json", true }, { "Application/JSON", true },
		{ "application/json;q=0.9, text/html;q=0.8", true },
		{ "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false },
		{ "*/*", false },			  /* curl default: HTML */
		{ "text/html, application/json", false }, /* a tie goes to HTML */
		{ "application/json;q=0", false },	  /* refused explicitly */
		{ "application/*", true }, { "application/*;q=0.5, text/*;q=0.4", true },
		{ "text/plain", false }, { "", false }, { ";;;,,,q=", false }, /* junk */
		{ "application/json;q=abc", false },			       /* bad q: 0 */
	};

	(void)state;
	assert_false(cp_http_wants_json(NULL));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (cp_http_wants_json(rows[i].accept) != rows[i].json)
			fail_msg("'%s': want json=%d", rows[i].accept, rows[i].json);
}

/* names, and the server refusing bad options before it binds anything */
static void
names_and_options(void **state)
{
	struct certpick_serve_options o = { 0 };
	struct certpick_error err = { 0 };
	const char *bad_listen[] = { "::1:80" };
	const char *bad_require[] = { "nope" };
	enum certpick_serve_auth a;

	(void)state;
	assert_int_equal(certpick_serve_auth_from_name("optional", &a), 0);
	assert_int_equal(a, CERTPICK_SERVE_AUTH_OPTIONAL);
	assert_int_equal(certpick_serve_auth_from_name("maybe", &a), -1);
	assert_int_equal(certpick_serve_auth_from_name(NULL, &a), -1);
	assert_string_equal(certpick_serve_asked_name(CERTPICK_SERVE_ASKED_POST_HANDSHAKE),
	    "post_handshake");
	assert_string_equal(certpick_serve_rule_id(CERTPICK_SERVE_RULE_TRUSTED), "chain-trusted");
	assert_null(certpick_serve_rule_id(CERTPICK_SERVE_RULE__COUNT));
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_SRV_PHA_NOT_OFFERED),
	    "pha-not-offered");
	assert_string_equal(certpick_reason_id(CERTPICK_REASON_SRV_CRL_UNAVAILABLE),
	    "crl-unavailable");

	o.listen = bad_listen;
	o.n_listen = 1;
	assert_null(certpick_serve_new(&o, &err));
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	o.n_listen = 0;
	o.trust_path = "/nonexistent/trust.pem";
	assert_null(certpick_serve_new(&o, &err));
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	o.trust_path = NULL;
	o.tls_version = 0x0301;
	assert_null(certpick_serve_new(&o, &err));
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	o.tls_version = 0;
	o.require_paths = bad_require;
	o.n_require = 1;
	assert_null(certpick_serve_new(&o, &err));
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
}

/* a server on an ephemeral port starts, names no CA, and stops */
static void
start_and_stop(void **state)
{
	const char *listen[] = { "127.0.0.1:0" };
	struct certpick_serve_options o = { .listen = listen,
		.n_listen = 1,
		.auth = CERTPICK_SERVE_AUTH_REQUIRE };
	struct certpick_error err = { 0 };
	struct certpick_serve *srv;
	size_t n = 99;

	(void)state;
	assert_non_null(srv = certpick_serve_new(&o, &err));
	assert_non_null(certpick_serve_listen_addr(srv, 0));
	assert_null(certpick_serve_listen_addr(srv, 1));
	assert_true(strncmp(certpick_serve_listen_addr(srv, 0), "127.0.0.1:", 10) == 0);
	assert_true(certpick_serve_identity_generated(srv));
	assert_int_equal(strlen(certpick_serve_identity_sha256(srv)), 64);
	(void)certpick_serve_ca_names(srv, &n);
	assert_int_equal(n, 0);
	assert_true(
	    certpick_findings_has(certpick_serve_findings(srv), CERTPICK_REASON_CR_NO_CA_NAMES));
	assert_int_equal(certpick_serve_connections(srv), 0);
	certpick_serve_stop(srv);
	assert_ok(certpick_serve_run(srv, &err), &err);
	certpick_serve_free(srv);
	certpick_serve_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verdict_mapping),
		cmocka_unit_test(verify_log_bounds),
		cmocka_unit_test(ca_names_by_purpose),
		cmocka_unit_test(load_certs_errors),
		cmocka_unit_test(size_findings),
		cmocka_unit_test(size_is_the_encoders),
		cmocka_unit_test(page_rendering),
		cmocka_unit_test(report_fill_advice),
		cmocka_unit_test(report_fill_diagnoses),
		cmocka_unit_test(report_chain_capped),
		cmocka_unit_test(http_requests),
		cmocka_unit_test(http_header_errors),
		cmocka_unit_test(path_rules),
		cmocka_unit_test(accept_rules),
		cmocka_unit_test(names_and_options),
		cmocka_unit_test(start_and_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
