/*
 * profiles.c: one row per documented rule of each client profile (the rules
 * and sources are in profiles.c and docs/cli/select.md). Profiles that
 * cannot run here (windows, chrome-mac, chrome-win, dotnet) are covered rule by rule;
 * the others are also checked against the real clients by
 * tests/integration/test_select_differential.py.
 */
#include <stdlib.h>
#include <string.h>

#include "select_fixture.h"

enum ca_list {
	CA_NONE,  /* no certificate_authorities */
	CA_ROOTS, /* Root A and Root B, as the servers name them */
	CA_ROOT_A,
	CA_INT_A,	/* only the intermediate */
	CA_PRINTABLE_B, /* Root B re-encoded as PrintableString */
	CA_LEAF,	/* the leaf's own subject */
};

enum chain {
	CH_CONFIGURED, /* the intermediate is configured with the leaf */
	CH_STORE,      /* the intermediate is only in the store */
	CH_MISSING,    /* the intermediate is nowhere */
};

struct row {
	int line;
	const char *profile;
	X509 **leaf;
	bool no_key;
	X509 **second; /* another candidate after the target, or NULL */
	X509 **first;  /* another candidate before the target, or NULL */
	enum ca_list ca;
	enum chain chain;
	bool tls12;
	enum certpick_verdict want;
	int why;     /* 1 + a reason the target (or the selection) must carry; 0: none */
	int why_not; /* 1 + a reason it must not carry; 0: none */
	bool sent;   /* the target is what goes out (chosen, or auto_choice with a picker) */
	bool prompt;
};

#define R(...)                                \
	{                                     \
		.line = __LINE__, __VA_ARGS__ \
	}
#define F CERTPICK_VERDICT_FILTERED
#define E CERTPICK_VERDICT_ELIGIBLE
#define C CERTPICK_VERDICT_CHOSEN
#define RS(x) (CERTPICK_REASON_##x + 1)

static const struct row rows[] = {
	/* ---- windows: Schannel / IE / WinINet, CertSelectCertificateChains, IE picker ---- */
	/* [D] a private key is required (CERT_KEY_PROV_INFO) */
	R(.profile = "windows", .leaf = &fx.noeku, .no_key = true, .ca = CA_NONE, .want = F,
	    .why = RS(NO_PRIVATE_KEY)),
	/* [D] expired certificates are rejected by default */
	R(.profile = "windows", .leaf = &fx.erin, .ca = CA_ROOTS, .want = F, .why = RS(EXPIRED)),
	/* [S] CertVerifyTimeValidity: not yet valid is rejected too */
	R(.profile = "windows", .leaf = &fx.frank, .ca = CA_ROOTS, .want = F,
	    .why = RS(NOT_YET_VALID)),
	/* [D] KB 890326: KU present without digitalSignature is hidden */
	R(.profile = "windows", .leaf = &fx.kuenc, .ca = CA_ROOTS, .want = F,
	    .why = RS(KU_NO_DIGITAL_SIGNATURE)),
	/* [D] no KU: all usages */
	R(.profile = "windows", .leaf = &fx.noku, .ca = CA_ROOTS, .want = C, .sent = true,
	    .prompt = true, .why_not = RS(KU_NO_DIGITAL_SIGNATURE)),
	/* [D] EKU present without clientAuth is hidden */
	R(.profile = "windows", .leaf = &fx.bob, .ca = CA_ROOTS, .want = F,
	    .why = RS(EKU_NO_CLIENT_AUTH)),
	/* [X] anyExtendedKeyUsage alone is not clientAuth for CertFindChainInStore */
	R(.profile = "windows", .leaf = &fx.anyeku, .ca = CA_ROOTS, .want = F,
	    .why = RS(EKU_ANY_ONLY)),
	/* [D] no EKU: all usages */
	R(.profile = "windows", .leaf = &fx.noeku, .ca = CA_ROOTS, .want = C, .sent = true,
	    .prompt = true),
	/* [D] the issuer may be any element of the built chain (root listed, int in a store) */
	R(.profile = "windows", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_STORE, .want = C,
	    .sent = true, .prompt = true),
	/* [D] no chain element issued by a listed CA */
	R(.profile = "windows", .leaf = &fx.mallory, .ca = CA_ROOTS, .want = F,
	    .why = RS(SEL_ISSUER_NOT_LISTED)),
	/* [X] issuer names are compared as encoded: a re-typed name does not match */
	R(.profile = "windows", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = F,
	    .why = RS(SEL_CA_MATCH_ENCODING_ONLY)),
	/* [D] duplicates collapsed: only the newest per subject is kept */
	R(.profile = "windows", .leaf = &fx.alice_old, .second = &fx.alice, .ca = CA_NONE,
	    .chain = CH_CONFIGURED, .want = F, .prompt = true, .why = RS(SEL_DUPLICATE_SUPERSEDED)),
	/* [I] IE prompts when two qualify ("only one" auto-send does not apply) */
	R(.profile = "windows", .leaf = &fx.noeku, .second = &fx.carol, .ca = CA_ROOTS, .want = E,
	    .prompt = true, .why = RS(SEL_NOT_FIRST)),
	/* [X] Schannel cannot sign with Ed25519: shown, then the handshake sends nothing */
	R(.profile = "windows", .leaf = &fx.dave, .ca = CA_ROOTS, .want = E, .prompt = true,
	    .why = RS(SEL_KEY_ALG_UNSUPPORTED)),

	/* [D] CertSelect order, IE picker: two qualify (carol +400 d sorts first), none sent */
	R(.profile = "windows", .leaf = &fx.carol, .second = &fx.noeku, .ca = CA_ROOTS, .want = E,
	    .prompt = true, .why_not = RS(SEL_NOT_FIRST)),

	/* ---- chrome-win: Chrome / Edge on Windows (rules that differ from windows first) ---- */
	/* [S] no de-duplication, Chrome sorter: the older alice (notAfter +500) is kept and first */
	R(.profile = "chrome-win", .leaf = &fx.alice_old, .second = &fx.alice, .ca = CA_NONE,
	    .chain = CH_CONFIGURED, .want = C, .sent = true, .prompt = true,
	    .why_not = RS(SEL_DUPLICATE_SUPERSEDED)),
	/* [S] ... and the newer one is listed second, not superseded */
	R(.profile = "chrome-win", .leaf = &fx.alice, .first = &fx.alice_old, .ca = CA_NONE,
	    .chain = CH_CONFIGURED, .want = E, .prompt = true, .why = RS(SEL_NOT_FIRST),
	    .why_not = RS(SEL_DUPLICATE_SUPERSEDED)),
	/* [S] AutoSelectCertificateForUrls sends the first of several matches (IE would not) */
	R(.profile = "chrome-win", .leaf = &fx.carol, .second = &fx.noeku, .ca = CA_ROOTS,
	    .want = C, .sent = true, .prompt = true),
	R(.profile = "chrome-win", .leaf = &fx.noeku, .second = &fx.carol, .ca = CA_ROOTS,
	    .want = E, .prompt = true, .why = RS(SEL_NOT_FIRST)),
	/* [S] the rules it shares with windows (ClientCertFindCallback, CertFindChainInStore) */
	R(.profile = "chrome-win", .leaf = &fx.noeku, .no_key = true, .ca = CA_NONE, .want = F,
	    .why = RS(NO_PRIVATE_KEY)),
	R(.profile = "chrome-win", .leaf = &fx.erin, .ca = CA_ROOTS, .want = F, .why = RS(EXPIRED)),
	R(.profile = "chrome-win", .leaf = &fx.frank, .ca = CA_ROOTS, .want = F,
	    .why = RS(NOT_YET_VALID)),
	R(.profile = "chrome-win", .leaf = &fx.kuenc, .ca = CA_ROOTS, .want = F,
	    .why = RS(KU_NO_DIGITAL_SIGNATURE)),
	R(.profile = "chrome-win", .leaf = &fx.noku, .ca = CA_ROOTS, .want = C, .sent = true,
	    .prompt = true, .why_not = RS(KU_NO_DIGITAL_SIGNATURE)),
	R(.profile = "chrome-win", .leaf = &fx.bob, .ca = CA_ROOTS, .want = F,
	    .why = RS(EKU_NO_CLIENT_AUTH)),
	/* [X] anyEKU alone: crypt32's clientAuth usage check, as windows (chrome-mac accepts it) */
	R(.profile = "chrome-win", .leaf = &fx.anyeku, .ca = CA_ROOTS, .want = F,
	    .why = RS(EKU_ANY_ONLY)),
	R(.profile = "chrome-win", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_STORE, .want = C,
	    .sent = true, .prompt = true),
	R(.profile = "chrome-win", .leaf = &fx.mallory, .ca = CA_ROOTS, .want = F,
	    .why = RS(SEL_ISSUER_NOT_LISTED)),
	/* [X] byte comparison, as windows (chrome-mac normalizes) */
	R(.profile = "chrome-win", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = F,
	    .why = RS(SEL_CA_MATCH_ENCODING_ONLY)),
	/* [S] not a filter: Ed25519 is shown, then BoringSSL fails (as chrome) */
	R(.profile = "chrome-win", .leaf = &fx.dave, .ca = CA_ROOTS, .want = E, .prompt = true,
	    .why = RS(SEL_KEY_ALG_UNSUPPORTED)),

	/* ---- chrome-mac: keychain identities ---- */
	/* [S] SupportsSSLClientAuth accepts anyEKU */
	R(.profile = "chrome-mac", .leaf = &fx.anyeku, .ca = CA_ROOTS, .want = C, .sent = true,
	    .prompt = true, .why_not = RS(EKU_ANY_ONLY)),
	/* [S] EKU without clientAuth or anyEKU is skipped */
	R(.profile = "chrome-mac", .leaf = &fx.bob, .ca = CA_ROOTS, .want = F,
	    .why = RS(EKU_NO_CLIENT_AUTH)),
	/* [S] expired skipped */
	R(.profile = "chrome-mac", .leaf = &fx.erin, .ca = CA_ROOTS, .want = F, .why = RS(EXPIRED)),
	/* [S] KU digitalSignature required when KU present */
	R(.profile = "chrome-mac", .leaf = &fx.kuenc, .ca = CA_ROOTS, .want = F,
	    .why = RS(KU_NO_DIGITAL_SIGNATURE)),
	/* [S] IsIssuedByEncoded normalizes names: a PrintableString CA name matches */
	R(.profile = "chrome-mac", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = C, .sent = true,
	    .prompt = true),
	/* [S] the keychain builds the chain: the intermediate in the keychain suffices */
	R(.profile = "chrome-mac", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_STORE, .want = C,
	    .sent = true, .prompt = true),
	/* [S] dedupe: the older of two identities with one subject goes */
	R(.profile = "chrome-mac", .leaf = &fx.alice_old, .second = &fx.alice, .ca = CA_NONE,
	    .chain = CH_CONFIGURED, .want = F, .prompt = true, .why = RS(SEL_DUPLICATE_SUPERSEDED)),
	/* [S] sort: later notAfter first (carol +400 days before alice +300) */
	R(.profile = "chrome-mac", .leaf = &fx.alice, .second = &fx.carol, .ca = CA_NONE,
	    .chain = CH_CONFIGURED, .want = E, .prompt = true, .why = RS(SEL_NOT_FIRST)),

	/* ---- dotnet: SslStream ClientCertificates ---- */
	/* [S] no expiry check */
	R(.profile = "dotnet", .leaf = &fx.erin, .ca = CA_ROOTS, .want = C, .sent = true,
	    .why_not = RS(EXPIRED)),
	/* [S] no KU / EKU check */
	R(.profile = "dotnet", .leaf = &fx.kuenc, .ca = CA_ROOTS, .want = C, .sent = true),
	R(.profile = "dotnet", .leaf = &fx.bob, .ca = CA_ROOTS, .want = C, .sent = true),
	/* [S] X509Chain.Build uses the stores: the intermediate need not be configured */
	R(.profile = "dotnet", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_STORE, .want = C,
	    .sent = true),
	/* [S] issuer strings are compared: a re-typed name renders the same */
	R(.profile = "dotnet", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = C, .sent = true),
	/* [S] no chain element's issuer is listed */
	R(.profile = "dotnet", .leaf = &fx.mallory, .ca = CA_ROOTS, .want = F,
	    .why = RS(SEL_ISSUER_NOT_LISTED)),
	/* [S] FindCertificateWithPrivateKey: no key, skipped */
	R(.profile = "dotnet", .leaf = &fx.noeku, .no_key = true, .ca = CA_ROOTS, .want = F,
	    .why = RS(NO_PRIVATE_KEY)),
	/* [S] the first match in collection order wins */
	R(.profile = "dotnet", .leaf = &fx.carol, .first = &fx.noeku, .ca = CA_ROOTS, .want = E,
	    .why = RS(SEL_NOT_FIRST)),

	/* ---- chrome (Linux, NSS) ---- */
	/* [S] anyEKU is not clientAuth for NSS */
	R(.profile = "chrome", .leaf = &fx.anyeku, .ca = CA_ROOTS, .want = F,
	    .why = RS(EKU_ANY_ONLY)),
	/* [S] byte-exact issuer walk: a re-typed CA name misses */
	R(.profile = "chrome", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = F,
	    .why = RS(SEL_CA_MATCH_ENCODING_ONLY)),
	/* [S] the walk goes through the NSS store */
	R(.profile = "chrome", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_STORE, .want = C,
	    .sent = true, .prompt = true),
	/* [S] the walk stops when an issuer is missing */
	R(.profile = "chrome", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_MISSING, .want = F,
	    .why = RS(SEL_ISSUER_NOT_LISTED)),
	/* [S] Ed25519: not filtered, but the handshake fails after the choice */
	R(.profile = "chrome", .leaf = &fx.dave, .ca = CA_ROOTS, .want = E, .prompt = true,
	    .why = RS(SEL_KEY_ALG_UNSUPPORTED)),

	/* ---- firefox ---- */
	/* [S] a listed subject is an anchor (only Firefox) */
	R(.profile = "firefox", .leaf = &fx.noeku, .ca = CA_LEAF, .want = C, .sent = true,
	    .prompt = true),
	/* [X] mozpkix: Ed25519 keys are filtered */
	R(.profile = "firefox", .leaf = &fx.dave, .ca = CA_ROOTS, .want = F,
	    .why = RS(SEL_KEY_ALG_UNSUPPORTED)),

	/* ---- nss (NSS_GetClientAuthData, automatic) ---- */
	/* [S] validOnly in automatic mode */
	R(.profile = "nss", .leaf = &fx.frank, .ca = CA_ROOTS, .want = F, .why = RS(NOT_YET_VALID)),
	/* [S] the issuer string matches a re-typed name */
	R(.profile = "nss", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = C, .sent = true),
	/* [S] the subject of the leaf itself listed is not a match */
	R(.profile = "nss", .leaf = &fx.noeku, .ca = CA_LEAF, .want = F,
	    .why = RS(SEL_ISSUER_NOT_LISTED)),

	/* ---- java (SunX509) ---- */
	/* [S] no validity, KU or EKU checks */
	R(.profile = "java", .leaf = &fx.erin, .ca = CA_ROOTS, .want = C, .sent = true),
	R(.profile = "java", .leaf = &fx.bob, .ca = CA_ROOTS, .want = C, .sent = true),
	/* [S] only the configured chain: the intermediate in a store does not help */
	R(.profile = "java", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_STORE, .want = F,
	    .why = RS(SEL_ISSUER_NOT_LISTED)),
	/* [S] X500Principal equality: a re-typed name matches */
	R(.profile = "java", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = C, .sent = true),

	/* ---- java-pkix ---- */
	/* [S] EXTENSION_MISMATCH ranks below a good one */
	R(.profile = "java-pkix", .leaf = &fx.bob, .second = &fx.noeku, .ca = CA_ROOTS, .want = E,
	    .why = RS(EKU_NO_CLIENT_AUTH)),
	/* [S] anyEKU is accepted */
	R(.profile = "java-pkix", .leaf = &fx.anyeku, .ca = CA_ROOTS, .want = C, .sent = true,
	    .why_not = RS(EKU_ANY_ONLY)),
	/* [S] alone, an EXTENSION_MISMATCH one is still sent */
	R(.profile = "java-pkix", .leaf = &fx.kuenc, .ca = CA_ROOTS, .want = C, .sent = true,
	    .why = RS(KU_NO_DIGITAL_SIGNATURE)),

	/* ---- go ---- */
	/* [S] configured chain only, byte-exact */
	R(.profile = "go", .leaf = &fx.alice, .ca = CA_ROOT_A, .chain = CH_CONFIGURED, .want = C,
	    .sent = true),
	R(.profile = "go", .leaf = &fx.carol, .ca = CA_PRINTABLE_B, .want = F,
	    .why = RS(SEL_CA_MATCH_ENCODING_ONLY)),
	/* [S] no expiry / usage checks */
	R(.profile = "go", .leaf = &fx.kuenc, .ca = CA_ROOTS, .want = C, .sent = true),

	/* ---- gnutls ---- */
	/* [S] KU digitalSignature required */
	R(.profile = "gnutls", .leaf = &fx.kuenc, .ca = CA_ROOTS, .want = F,
	    .why = RS(KU_NO_DIGITAL_SIGNATURE)),
	/* [S] no expiry check */
	R(.profile = "gnutls", .leaf = &fx.erin, .ca = CA_ROOTS, .want = C, .sent = true),
	/* [S] TLS 1.2: Ed25519 is not among the certificate_types key types */
	R(.profile = "gnutls", .leaf = &fx.dave, .ca = CA_ROOTS, .tls12 = true, .want = F,
	    .why = RS(SEL_KEYTYPE_NOT_IN_CERT_TYPES)),
	/* [S] TLS 1.3: Ed25519 allowed by the ed25519 scheme */
	R(.profile = "gnutls", .leaf = &fx.dave, .ca = CA_ROOTS, .want = C, .sent = true),

	/* ---- openssl ---- */
	/* [S] sent whatever the CA list says */
	R(.profile = "openssl", .leaf = &fx.mallory, .ca = CA_ROOTS, .want = C, .sent = true),
	/* [S] sent expired */
	R(.profile = "openssl", .leaf = &fx.erin, .ca = CA_ROOTS, .want = C, .sent = true),
	/* [S] only one certificate is configured */
	R(.profile = "openssl", .leaf = &fx.carol, .first = &fx.noeku, .ca = CA_ROOTS, .want = F,
	    .why = RS(SEL_NOT_FIRST)),
	/* ---- curl and python: OpenSSL with one configured certificate (as openssl) ---- */
	R(.profile = "curl", .leaf = &fx.mallory, .ca = CA_ROOTS, .want = C, .sent = true),
	R(.profile = "curl", .leaf = &fx.erin, .ca = CA_ROOTS, .want = C, .sent = true),
	R(.profile = "curl", .leaf = &fx.carol, .first = &fx.noeku, .ca = CA_ROOTS, .want = F,
	    .why = RS(SEL_NOT_FIRST)),
	R(.profile = "python", .leaf = &fx.mallory, .ca = CA_ROOTS, .want = C, .sent = true),
	R(.profile = "python", .leaf = &fx.erin, .ca = CA_ROOTS, .want = C, .sent = true),
	R(.profile = "python", .leaf = &fx.carol, .first = &fx.noeku, .ca = CA_ROOTS, .want = F,
	    .why = RS(SEL_NOT_FIRST)),
};

static int
run_row(const struct row *w)
{
	struct fx_run r;
	struct certpick_selection *s;
	size_t t;
	long sent;

	fx_begin(&r, w->tls12 ? CERTPICK_TLS12 : CERTPICK_TLS13);
	switch (w->ca) {
	case CA_ROOTS:
		fx_ca(&r, fx.rootA);
		fx_ca(&r, fx.rootB);
		break;
	case CA_ROOT_A: fx_ca(&r, fx.rootA); break;
	case CA_INT_A: fx_ca(&r, fx.intA); break;
	case CA_PRINTABLE_B: fx_ca_printable(&r, "certpick Test Root B"); break;
	case CA_LEAF: fx_ca(&r, *w->leaf); break;
	case CA_NONE:
	default: break;
	}
	if (w->first != NULL)
		fx_cand(&r, *w->first, true, NULL, NULL);
	t = r.n;
	{
		bool by_int = X509_NAME_cmp(X509_get_issuer_name(*w->leaf),
				  X509_get_subject_name(fx.intA)) == 0;

		fx_cand(&r, *w->leaf, !w->no_key,
		    by_int && w->chain == CH_CONFIGURED ? fx.intA : NULL, NULL);
	}
	if (w->second != NULL)
		fx_cand(&r, *w->second, true, fx.intA, NULL);
	if (w->chain == CH_STORE)
		fx_store(&r, fx.intA);
	if (w->chain != CH_MISSING) {
		fx_store(&r, fx.rootA);
		fx_store(&r, fx.rootB);
	}
	s = fx_select(&r, w->profile);
	sent = s->chosen >= 0 ? s->chosen : s->auto_choice;
	if (s->v[t].verdict != w->want || (sent == (long)t) != w->sent || s->prompt != w->prompt ||
	    (w->why > 0 && !fx_has(s, t, (enum certpick_reason)(w->why - 1))) ||
	    (w->why_not > 0 && fx_has(s, t, (enum certpick_reason)(w->why_not - 1)))) {
		print_error("profiles_test.c:%d %s: verdict %s sent %ld prompt %d reasons:",
		    w->line, w->profile, certpick_verdict_name(s->v[t].verdict), sent, s->prompt);
		for (size_t i = 0; i < s->v[t].reasons.n; i++)
			print_error(" %s", certpick_reason_id(s->v[t].reasons.v[i].reason));
		print_error("\n");
		fx_end(&r);
		return 1;
	}
	fx_end(&r);
	return 0;
}

static void
table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		failed += run_row(&rows[i]);
	assert_int_equal(failed, 0);
}

/* every profile: a name, a summary, checks that end, a known order, a size cap */
static void
profiles_well_formed(void **state)
{
	(void)state;
	assert_int_equal(certpick_profile_count(), 14);
	for (size_t i = 0; i < certpick_profile_count(); i++) {
		const struct certpick_profile *p = certpick_profile_get(i);
		size_t k = 0;

		assert_ptr_equal(certpick_profile_find(certpick_profile_name(p)), p);
		assert_true(strlen(certpick_profile_summary(p)) > 10);
		while (p->checks[k].check != CP_CHK_END) {
			assert_non_null(p->checks[k].source);
			k++;
			assert_true(k < CP_MAX_CHECKS);
		}
		assert_true(p->cr_limit < CP_CR_LIMIT_N);
		if (certpick_profile_has_picker(p))
			assert_non_null(p->picker_note);
	}
	assert_null(certpick_profile_find("netscape"));
	assert_null(certpick_profile_find(NULL));
	assert_null(certpick_profile_get(certpick_profile_count()));
	assert_true(certpick_profile_has_picker(certpick_profile_find("chrome")));
	assert_false(certpick_profile_has_picker(certpick_profile_find("go")));
}

/* each client reads the table's limit for it, with its exact value as before */
static void
size_limits(void **state)
{
	static const struct {
		const char *profile;
		size_t limit;
	} want[] = {
		{ "windows", 0x8000 },			 /* Schannel MessageLimitClient */
		{ "dotnet", 0x8000 },			 /* SslStream on Schannel */
		{ "java", 32768 },			 /* jdk.tls.maxHandshakeMessageSize */
		{ "java-pkix", 32768 }, { "go", 65536 }, /* crypto/tls maxHandshake */
		{ "chrome", 102400 },			 /* BoringSSL max_cert_list */
		{ "chrome-mac", 102400 }, { "chrome-win", 102400 },
		{ "openssl", 102400 }, /* SSL_MAX_CERT_LIST_DEFAULT */
		{ "curl", 102400 }, { "python", 102400 },
		{ "firefox", 0x1ffff }, /* NSS MAX_HANDSHAKE_MSG_LEN */
		{ "nss", 0x1ffff },
		{ "gnutls", 131072 }, /* MAX_HANDSHAKE_PACKET_SIZE: one byte more */
	};
	int failed = 0;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), certpick_profile_count());
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct certpick_profile *p = certpick_profile_find(want[i].profile);

		assert_non_null(p);
		if (cp_cr_limits[p->cr_limit].limit != want[i].limit) {
			print_error("%s: limit %zu, want %zu\n", want[i].profile,
			    cp_cr_limits[p->cr_limit].limit, want[i].limit);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* the default request lists: TLS 1.3 never offers PKCS#1 v1.5 only */
static void
default_sigalgs(void **state)
{
	size_t n13, n12;
	const uint16_t *s13 = certpick_select_default_sigalgs(CERTPICK_TLS13, &n13);
	const uint16_t *s12 = certpick_select_default_sigalgs(CERTPICK_TLS12, &n12);

	(void)state;
	assert_true(n13 > 5 && n12 > n13);
	assert_int_equal(s13[0], 0x0403);
	assert_int_equal(s12[0], 0x0403);
	for (size_t i = 0; i < n13;
	     i++) { /* TLS 1.2's list begins with TLS 1.3's; no SHA-1 or SHA-224 in 1.3 */
		assert_int_equal(s13[i], s12[i]);
		assert_true(s13[i] >> 8 != 0x02 && s13[i] >> 8 != 0x03);
	}
	for (size_t i = n13; i < n12; i++) /* the rest is TLS 1.2 only */
		assert_true(s12[i] >> 8 == 0x02 || s12[i] >> 8 == 0x03 || (s12[i] & 0xff) == 0x02);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(profiles_well_formed),
		cmocka_unit_test(default_sigalgs),
		cmocka_unit_test(size_limits),
	};

	return cmocka_run_group_tests(tests, fx_setup, NULL);
}
