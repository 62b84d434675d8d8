/* check.c and check_rules.c: every rule, firing and not firing, at an injected "now". */
#include <stdlib.h>
#include <string.h>

#include "certpick/openssl.h"
#include "testutil.h"
#include "internal.h"

#define T2030 1893456000L /* 2030-01-01T00:00:00Z: inside every fixture's validity */
#define R(x) CERTPICK_REASON_##x
#define END (-1)

struct check_case {
	const char *sources[4]; /* under tests/data */
	const char *trust[2];	/* under tests/data */
	const char *password;
	long now;		 /* 0: T2030 */
	int want[6];		 /* reasons that must be present, END-terminated */
	bool clean;		 /* no finding other than those in want */
	const char *want_detail; /* substring of the detail of want[0] */
};

static const struct check_case cases[] = {
	{ /* good leaf with its intermediate, root trusted: nothing to say */
	    .sources = { "check/good-chain-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { END },
	    .clean = true },
	{ /* the same with the intermediate in another file of the set */
	    .sources = { "check/good-with-key.pem", "check/int.pem" },
	    .trust = { "check/root.pem" },
	    .want = { END },
	    .clean = true },
	{ /* intermediate missing: chain-incomplete names it */
	    .sources = { "check/good-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(CHAIN_INCOMPLETE), END },
	    .clean = true,
	    .want_detail = "missing issuer: CN=Fixture int,O=certpick fixtures" },
	{ /* certificate without its key */
	    .sources = { "check/good.pem", "check/int.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(NO_PRIVATE_KEY), END },
	    .clean = true },
	{ /* certificate and a key of another certificate in one file */
	    .sources = { "candidate/leaf-mismatch.pem", "candidate/int.pem" },
	    .trust = { "candidate/root.pem" },
	    .want = { R(KEY_MISMATCH), END },
	    .clean = true,
	    .want_detail = "belongs to another certificate" },
	{ /* keyUsage keyEncipherment only */
	    .sources = { "check/kuenc-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(KU_NO_DIGITAL_SIGNATURE), END },
	    .clean = true,
	    .want_detail = "keyUsage: keyEncipherment" },
	{ /* no keyUsage at all is fine */
	    .sources = { "check/noku-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { END },
	    .clean = true },
	{ /* EKU serverAuth only */
	    .sources = { "check/serveronly-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(EKU_NO_CLIENT_AUTH), END },
	    .clean = true,
	    .want_detail = "extendedKeyUsage: serverAuth" },
	{ /* EKU anyExtendedKeyUsage only */
	    .sources = { "check/anyeku-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(EKU_ANY_ONLY), END },
	    .clean = true },
	{ /* clientAuth plus anyExtendedKeyUsage is fine */
	    .sources = { "check/client-any-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { END },
	    .clean = true },
	{ /* no EKU at all is fine */
	    .sources = { "check/noeku-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { END },
	    .clean = true },
	{ /* expired in 2021 */
	    .sources = { "check/expired-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(EXPIRED), END },
	    .clean = true,
	    .want_detail = "notAfter 2021-01-01T00:00:00Z" },
	{ /* the same certificate judged in 2020-06: valid */
	    .sources = { "check/expired-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .now = 1591000000L,
	    .want = { END },
	    .clean = true },
	{ /* valid from 2099 */
	    .sources = { "check/future-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(NOT_YET_VALID), END },
	    .clean = true,
	    .want_detail = "notBefore 2099" },
	{ /* good, judged two weeks before it ends */
	    .sources = { "check/good-chain-key.pem" },
	    .trust = { "check/root.pem" },
	    .now = 2207779200L,
	    .want = { R(EXPIRES_SOON), END },
	    .clean = true },
	{ /* issued by a root that is not trusted */
	    .sources = { "check/untrusted-with-key.pem", "check/rogue.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(UNTRUSTED_ROOT), END },
	    .clean = true,
	    .want_detail = "root: CN=Fixture rogue" },
	{ /* ... and without that root anywhere: incomplete */
	    .sources = { "check/untrusted-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(CHAIN_INCOMPLETE), END },
	    .clean = true },
	{ /* SHA-1 signature */
	    .sources = { "check/sha1-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(WEAK_SIGNATURE), END },
	    .clean = true,
	    .want_detail = "ecdsa-with-SHA1" },
	{ /* RSA 1024 */
	    .sources = { "check/rsa1024-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(WEAK_KEY), END },
	    .clean = true,
	    .want_detail = "RSA 1024 bits" },
	{ /* RSA 2048 is fine */
	    .sources = { "check/good-rsa-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { END },
	    .clean = true },
	{ /* a CA certificate with its key used as client certificate */
	    .sources = { "check/ca-as-client-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(CA_CERT_AS_CLIENT), END },
	    .clean = true },
	{ /* self-signed end entity, not trusted */
	    .sources = { "check/selfsigned-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(SELF_SIGNED), R(UNTRUSTED_ROOT), END },
	    .clean = true },
	{ /* self-signed end entity, pinned: only the self-signed note */
	    .sources = { "check/selfsigned-with-key.pem" },
	    .trust = { "check/selfsigned.pem" },
	    .want = { R(SELF_SIGNED), END },
	    .clean = true },
	{ /* .pfx made with openssl pkcs12 -export -keyex */
	    .sources = { "check/keyex.p12" },
	    .trust = { "check/root.pem" },
	    .password = "test",
	    .want = { R(PFX_KEYSPEC_EXCHANGE), END },
	    .clean = true },
	{ /* -keysig is fine */
	    .sources = { "candidate/leaf-keysig.p12", "candidate/int.pem" },
	    .trust = { "candidate/root.pem" },
	    .password = "test",
	    .want = { END },
	    .clean = true },
	{ /* -CSP "Microsoft Enhanced Cryptographic Provider v1.0" */
	    .sources = { "check/csp.p12" },
	    .trust = { "check/root.pem" },
	    .password = "test",
	    .want = { R(PFX_LEGACY_CSP), END },
	    .clean = true,
	    .want_detail = "Microsoft Enhanced Cryptographic Provider v1.0" },
	{ /* the AES CSP does SHA-2 but still not PSS: legacy too */
	    .sources = { "check/csp-aes.p12" },
	    .trust = { "check/root.pem" },
	    .password = "test",
	    .want = { R(PFX_LEGACY_CSP), END },
	    .clean = true,
	    .want_detail = "no RSA-PSS" },
	{ /* a CNG key storage provider is fine */
	    .sources = { "check/csp-ksp.p12" },
	    .trust = { "check/root.pem" },
	    .password = "test",
	    .want = { END },
	    .clean = true },
	{ /* Ed25519: fine, with a note that some clients cannot use it */
	    .sources = { "check/good-ed25519-with-key.pem" },
	    .trust = { "check/root.pem" },
	    .want = { R(KEY_UNSUPPORTED_BY_SOME), END },
	    .clean = true },
	{ /* cross-signed: only the expired cross-certificate leads to rootX */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints-expired-first.pem" },
	    .trust = { "cross/rootX.pem" },
	    .want = { R(CHAIN_INVALID), END },
	    .clean = false,
	    .want_detail = "certificate has expired" },
	{ /* cross-signed: the expired path is tried first, the good one is chosen */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints-expired-first.pem",
		"cross/int-by-x.pem" },
	    .trust = { "cross/rootX.pem" },
	    .want = { END },
	    .clean = true },
	{ /* cross-signed: rootY trusted, its path is found although rootX's comes first */
	    .sources = { "cross/leaf-with-key.pem", "cross/ints-expired-first.pem" },
	    .trust = { "cross/rootY.pem" },
	    .want = { END },
	    .clean = true },
};

static void
load_set(struct certpick_candset *set, const char *const *sources, const char *password)
{
	struct certpick_error err = { 0 };
	struct certpick_load_options opts = { .password = password };

	for (int k = 0; k < 4 && sources[k] != NULL; k++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s", tu_data(sources[k]));
		assert_ok(certpick_candset_add_path(set, p, &opts, &err), &err);
	}
	assert_ok(certpick_candset_finish(set, &err), &err);
}

static void
describe(const struct certpick_findings *f, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->n && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%s(%s) ",
		    certpick_reason_id(f->v[i].reason), f->v[i].detail ? f->v[i].detail : "");
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static void
rules_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct check_case *t = &cases[i];
		struct certpick_error err = { 0 };
		struct certpick_candset *set = certpick_candset_new(&err);
		struct certpick_trust *tr = certpick_trust_new(&err);
		struct certpick_check_options opts = { .now = t->now ? t->now : T2030,
			.trust = tr };
		struct certpick_check_result r = { 0 };
		char got[2048];
		size_t nwant = 0;

		load_set(set, t->sources, t->password);
		for (int k = 0; k < 2 && t->trust[k] != NULL; k++)
			assert_ok(certpick_trust_add_path(tr, tu_data(t->trust[k]), &err), &err);
		assert_ok(certpick_check_run(set, certpick_candset_get(set, 0), &opts, &r, &err),
		    &err);
		describe(&r.findings, got, sizeof(got));
		for (; t->want[nwant] != END; nwant++)
			if (!certpick_findings_has(&r.findings,
				(enum certpick_reason)t->want[nwant]))
				fail_msg("case %zu (%s): no %s; got %s", i, t->sources[0],
				    certpick_reason_id((enum certpick_reason)t->want[nwant]), got);
		if (t->clean && r.findings.n != nwant)
			fail_msg("case %zu (%s): extra findings: %s", i, t->sources[0], got);
		if (t->want_detail != NULL) {
			const char *d = NULL;
			for (size_t k = 0; k < r.findings.n; k++)
				if ((int)r.findings.v[k].reason == t->want[0])
					d = r.findings.v[k].detail;
			if (d == NULL || strstr(d, t->want_detail) == NULL)
				fail_msg("case %zu: detail %s lacks '%s'", i, d ? d : "(none)",
				    t->want_detail);
		}
		/* the chain is fine unless a chain reason is expected */
		bool want_ok = true;
		for (size_t k = 0; k < nwant; k++)
			want_ok = want_ok && t->want[k] != R(CHAIN_INCOMPLETE) &&
			    t->want[k] != R(UNTRUSTED_ROOT) && t->want[k] != R(CHAIN_INVALID);
		if (r.chain_ok != want_ok)
			fail_msg("case %zu (%s): chain_ok %d; %s", i, t->sources[0], r.chain_ok,
			    got);
		/* most severe first */
		for (size_t k = 1; k < r.findings.n; k++)
			assert_true(r.findings.v[k - 1].severity >= r.findings.v[k].severity);
		assert_non_null(certpick_check_result_path(&r));
		certpick_check_result_release(&r);
		certpick_trust_free(tr);
		certpick_candset_free(set);
	}
}

/* Rules that need CAs the openssl CLI fixtures do not have: made with the generator. */
static void
generated_chains(void **state)
{
	static const struct certpick_pki_spec specs[] = {
		{ .name = "root", .ca = true, .pathlen = -1, .ku = "keyCertSign,cRLSign" },
		{ .name = "int-server",
		    .issuer = "root",
		    .ca = true,
		    .pathlen = -1,
		    .ku = "keyCertSign",
		    .eku = "serverAuth" },
		{ .name = "leaf-a",
		    .issuer = "int-server",
		    .ku = "digitalSignature",
		    .eku = "clientAuth" },
		{ .name = "int0", .issuer = "root", .ca = true, .pathlen = 0, .ku = "keyCertSign" },
		{ .name = "int1",
		    .issuer = "int0",
		    .ca = true,
		    .pathlen = -1,
		    .ku = "keyCertSign" },
		{ .name = "leaf-b",
		    .issuer = "int1",
		    .ku = "digitalSignature",
		    .eku = "clientAuth" },
		{ .name = "leaf-c", .issuer = "root", .subject = "O=no common name" },
		{ .name = "int-sha1",
		    .issuer = "root",
		    .ca = true,
		    .pathlen = -1,
		    .ku = "keyCertSign",
		    .md = "sha1" },
		{ .name = "leaf-d", .issuer = "int-sha1", .eku = "clientAuth" },
		{ .name = "int-policy",
		    .issuer = "root",
		    .ca = true,
		    .pathlen = -1,
		    .ku = "keyCertSign",
		    .policies = "1.3.6.1.4.1.99999.1",
		    .policy_constraints = "requireExplicitPolicy:0" },
		{ .name = "leaf-e", .issuer = "int-policy", .eku = "clientAuth" },
		{ .name = "leaf-f",
		    .issuer = "int-policy",
		    .eku = "clientAuth",
		    .policies = "1.3.6.1.4.1.99999.1" },
	};
	static const struct {
		const char *leaf;
		const char *via[2];
		enum certpick_reason want;
		const char *detail;
		bool absent; /* want must NOT be reported */
	} rows[] = {
		{ /* a CA whose EKU does not allow clientAuth */
		    "leaf-a", { "int-server" }, R(CHAIN_NOT_CLIENT_AUTH), "CN=int-server", false },
		{ /* pathlen 0 exceeded */
		    "leaf-b", { "int1", "int0" }, R(CHAIN_INVALID), "path length", false },
		{ /* neither CN nor subjectAltName */
		    "leaf-c", { NULL }, R(SAN_MISSING), NULL, false },
		{ /* an intermediate signed with SHA-1 */
		    "leaf-d", { "int-sha1" }, R(WEAK_SIGNATURE), "CN=int-sha1", false },
		{ /* a CA requires an explicit policy; the leaf asserts none */
		    "leaf-e", { "int-policy" }, R(CHAIN_POLICY), "no explicit policy", false },
		{ /* ... and the leaf that asserts it passes */
		    "leaf-f", { "int-policy" }, R(CHAIN_POLICY), NULL, true },
		{ /* a plain chain has no policy problem */
		    "leaf-a", { "int-server" }, R(CHAIN_POLICY), NULL, true },
	};
	struct certpick_error err = { 0 };
	struct certpick_pki *pki = certpick_pki_new(T2030, &err);

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		assert_ok(certpick_pki_add(pki, &specs[i], &err), &err);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct certpick_candset *set = certpick_candset_new(&err);
		struct certpick_trust *tr = certpick_trust_new(&err);
		STACK_OF(X509) *extra = sk_X509_new_null();
		struct certpick_check_options opts = { .now = T2030, .trust = tr };
		struct certpick_check_result r = { 0 };
		char got[2048];

		for (int k = 0; k < 2 && rows[i].via[k] != NULL; k++)
			sk_X509_push(extra, certpick_pki_get0_x509(pki, rows[i].via[k]));
		assert_ok(certpick_candset_add_x509(set, certpick_pki_get0_x509(pki, rows[i].leaf),
			      certpick_pki_get0_pkey(pki, rows[i].leaf), extra, "gen",
			      CERTPICK_KEY_FILE, &err),
		    &err);
		assert_ok(certpick_candset_finish(set, &err), &err);
		assert_ok(certpick_trust_add_x509(tr, certpick_pki_get0_x509(pki, "root"), &err),
		    &err);
		assert_ok(certpick_check_run(set, certpick_candset_get(set, 0), &opts, &r, &err),
		    &err);
		describe(&r.findings, got, sizeof(got));
		if (certpick_findings_has(&r.findings, rows[i].want) == rows[i].absent)
			fail_msg("row %zu: %s %s; got %s", i, certpick_reason_id(rows[i].want),
			    rows[i].absent ? "present" : "absent", got);
		if (rows[i].detail != NULL && strstr(got, rows[i].detail) == NULL)
			fail_msg("row %zu: '%s' not in %s", i, rows[i].detail, got);
		certpick_check_result_release(&r);
		sk_X509_free(extra);
		certpick_trust_free(tr);
		certpick_candset_free(set);
	}
	certpick_pki_free(pki);
}

static void
csp_names(void **state)
{
	(void)state;
	assert_true(certpick_check_csp_is_legacy("Microsoft Strong Cryptographic Provider"));
	assert_true(certpick_check_csp_is_legacy("microsoft base cryptographic provider v1.0"));
	assert_true(
	    certpick_check_csp_is_legacy("Microsoft Enhanced RSA and AES Cryptographic Provider"));
	assert_false(certpick_check_csp_is_legacy("Microsoft Software Key Storage Provider"));
	assert_false(certpick_check_csp_is_legacy("Microsoft Platform Crypto Provider"));
	assert_false(certpick_check_csp_is_legacy(""));
	assert_false(certpick_check_csp_is_legacy(NULL));
}

static void
misuse_and_allocation(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_check_options opts = { .now = T2030 };
	struct certpick_check_result r = { 0 };
	static const char *const src[] = { "check/good-chain-key.pem", NULL };

	(void)state;
	assert_int_equal(certpick_check_run(NULL, NULL, &opts, &r, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	for (unsigned long n = 1; n < 120; n++) {
		struct certpick_candset *set = certpick_candset_new(&err);
		load_set(set, src, NULL);
		cp_mem_fail_after(n);
		(void)!certpick_check_run(set, certpick_candset_get(set, 0), &opts, &r, &err);
		cp_mem_fail_after(0);
		certpick_check_result_release(&r);
		certpick_candset_free(set);
	}
	certpick_check_result_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules_table),
		cmocka_unit_test(generated_chains),
		cmocka_unit_test(csp_names),
		cmocka_unit_test(misuse_and_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
