/*
 * serve: from what the verify callback recorded to a verdict (IIS substatus,
 * reason, rules) and a report (the chain received, findings, advice in plain
 * words). No I/O; OpenSSL only to read certificates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "serve_internal.h"

static const struct {
	const char *id;
	const char *text;
} rule_rows[CERTPICK_SERVE_RULE__COUNT] = {
	[CERTPICK_SERVE_RULE_PRESENTED] = { "certificate-presented",
	    "the client sent a certificate" },
	[CERTPICK_SERVE_RULE_TRUSTED] = { "chain-trusted",
	    "the chain leads to a CA this server trusts" },
	[CERTPICK_SERVE_RULE_VALIDITY] = { "within-validity",
	    "every certificate of the chain is within its validity period" },
	[CERTPICK_SERVE_RULE_NOT_REVOKED] = { "not-revoked",
	    "the certificate is not on a CRL this server has (--crl)" },
	[CERTPICK_SERVE_RULE_PURPOSE] = { "client-auth-purpose",
	    "the certificate and its CAs allow client authentication (keyUsage, "
	    "extendedKeyUsage)" },
	[CERTPICK_SERVE_RULE_WELL_FORMED] = { "chain-valid",
	    "signatures, basic constraints and the other RFC 5280 checks pass" },
};

/* see certpick/serve.h */
const char *
certpick_serve_rule_id(enum certpick_serve_rule r)
{
	return (unsigned)r < CERTPICK_SERVE_RULE__COUNT ? rule_rows[r].id : NULL;
}

/* see certpick/serve.h */
const char *
certpick_serve_rule_text(enum certpick_serve_rule r)
{
	return (unsigned)r < CERTPICK_SERVE_RULE__COUNT ? rule_rows[r].text : "unknown rule";
}

/* see certpick/serve.h */
const char *
certpick_serve_rule_state_name(enum certpick_serve_rule_state s)
{
	switch (s) {
	case CERTPICK_SERVE_RULE_PASS: return "pass";
	case CERTPICK_SERVE_RULE_FAIL: return "fail";
	case CERTPICK_SERVE_RULE_SKIPPED: return "skipped";
	default: return "skipped";
	}
}

/* see certpick/serve.h */
const char *
certpick_serve_auth_name(enum certpick_serve_auth a)
{
	switch (a) {
	case CERTPICK_SERVE_AUTH_NONE: return "none";
	case CERTPICK_SERVE_AUTH_OPTIONAL: return "optional";
	case CERTPICK_SERVE_AUTH_REQUIRE: return "require";
	default: return "none";
	}
}

/* see certpick/serve.h */
int
certpick_serve_auth_from_name(const char *name, enum certpick_serve_auth *out)
{
	static const enum certpick_serve_auth all[] = { CERTPICK_SERVE_AUTH_NONE,
		CERTPICK_SERVE_AUTH_OPTIONAL, CERTPICK_SERVE_AUTH_REQUIRE };

	for (size_t i = 0; name != NULL && i < CP_NELEM(all); i++) {
		if (strcmp(name, certpick_serve_auth_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

/* see certpick/serve.h */
const char *
certpick_serve_asked_name(enum certpick_serve_asked a)
{
	switch (a) {
	case CERTPICK_SERVE_ASKED_NEVER: return "never";
	case CERTPICK_SERVE_ASKED_HANDSHAKE: return "initial";
	case CERTPICK_SERVE_ASKED_RENEGOTIATION: return "renegotiation";
	case CERTPICK_SERVE_ASKED_POST_HANDSHAKE: return "post_handshake";
	default: return "never";
	}
}

struct cp_verify_error *
cp_verify_log_add(struct cp_verify_log *log, int code, int depth, X509 *cert)
{
	struct cp_verify_error *e;

	for (size_t i = 0; i < log->n; i++)
		if (log->v[i].code == code && log->v[i].depth == depth)
			return NULL;
	if (log->n >= CP_SERVE_MAX_VERIFY_ERRORS)
		return NULL;
	if (cert != NULL && !X509_up_ref(cert))
		cert = NULL;
	e = &log->v[log->n++];
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->depth = depth;
	e->cert = cert;
	return e;
}

void
cp_verify_log_clear(struct cp_verify_log *log)
{
	for (size_t i = 0; i < log->n; i++)
		X509_free(log->v[i].cert);
	memset(log, 0, sizeof(*log));
}

enum error_class {
	EC_TOO_LONG = 0, /* deeper than CP_SERVE_VERIFY_DEPTH: nothing above was looked at */
	EC_UNTRUSTED,	 /* most telling first: nothing else matters if untrusted */
	EC_REVOKED,
	EC_VALIDITY,
	EC_CA, /* an issuer that is no CA: OpenSSL then fails its purpose too */
	EC_PURPOSE,
	EC_CRL,
	EC_OTHER,
};

static enum error_class
classify(int code)
{
	switch (code) {
	case X509_V_ERR_CERT_CHAIN_TOO_LONG: return EC_TOO_LONG;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED: return EC_UNTRUSTED;
	case X509_V_ERR_CERT_REVOKED: return EC_REVOKED;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD: return EC_VALIDITY;
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED: return EC_CA;
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE: return EC_PURPOSE;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN: return EC_CRL;
	default: return EC_OTHER;
	}
}

/* see serve_internal.h */
enum certpick_reason
cp_serve_reason_for(int code, int depth)
{
	switch (classify(code)) {
	case EC_TOO_LONG: return CERTPICK_REASON_SRV_INVALID;
	case EC_UNTRUSTED: return CERTPICK_REASON_SRV_UNTRUSTED;
	case EC_REVOKED: return CERTPICK_REASON_REVOKED;
	case EC_VALIDITY:
		return code == X509_V_ERR_CERT_NOT_YET_VALID ||
			code == X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD ?
		    CERTPICK_REASON_NOT_YET_VALID :
		    CERTPICK_REASON_EXPIRED;
	case EC_CA: return CERTPICK_REASON_CHAIN_INVALID;
	case EC_PURPOSE:
		if (code == X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE)
			return CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE;
		return depth == 0 ? CERTPICK_REASON_EKU_NO_CLIENT_AUTH :
				    CERTPICK_REASON_CHAIN_NOT_CLIENT_AUTH;
	case EC_CRL: return CERTPICK_REASON_SRV_CRL_UNAVAILABLE;
	case EC_OTHER:
	default: return CERTPICK_REASON_SRV_INVALID;
	}
}

/*
 * OpenSSL's client purpose wants keyUsage (if present) to allow
 * digitalSignature or keyAgreement, and reports both that and the EKU as
 * "unsuitable purpose".
 */
static bool
ku_forbids_signing(X509 *x)
{
	uint32_t ku = X509_get_key_usage(x);

	return ku != UINT32_MAX && (ku & (KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT)) == 0;
}

/* see serve_internal.h */
enum certpick_reason
cp_serve_reason_of(const struct cp_verify_error *e)
{
	enum certpick_reason r = cp_serve_reason_for(e->code, e->depth);

	if (r == CERTPICK_REASON_SRV_UNTRUSTED && e->anchor_not_root)
		return CERTPICK_REASON_SRV_TRUST_INTERMEDIATE_ONLY;
	if (r == CERTPICK_REASON_EKU_NO_CLIENT_AUTH && e->cert != NULL &&
	    ku_forbids_signing(e->cert))
		return CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE;
	return r;
}

static const char *
substatus_for(enum certpick_reason r)
{
	switch (r) {
	case CERTPICK_REASON_SRV_NO_CERT:
	case CERTPICK_REASON_SRV_PHA_NOT_OFFERED:
	case CERTPICK_REASON_SRV_RENEGOTIATION_UNAVAILABLE: return "403.7";
	case CERTPICK_REASON_REVOKED: return "403.13";
	case CERTPICK_REASON_EXPIRED:
	case CERTPICK_REASON_NOT_YET_VALID: return "403.17";
	default: return "403.16";
	}
}

/* see serve_internal.h */
void
cp_serve_verdict(bool have_cert, const struct cp_verify_log *log, bool have_crl,
    struct cp_verdict *out)
{
	bool fails[EC_OTHER + 1] = { false };
	int best = -1;
	size_t best_i = 0;

	memset(out, 0, sizeof(*out));
	if (!have_cert) {
		out->substatus = substatus_for(CERTPICK_REASON_SRV_NO_CERT);
		out->has_reason = true;
		out->reason = CERTPICK_REASON_SRV_NO_CERT;
		out->rules[CERTPICK_SERVE_RULE_PRESENTED] = CERTPICK_SERVE_RULE_FAIL;
		return;
	}
	for (size_t i = 0; log != NULL && i < log->n; i++) {
		enum error_class c = classify(log->v[i].code);

		fails[c] = true;
		if (best < 0 || (int)c < best) {
			best = (int)c;
			best_i = i;
		}
	}
	out->rules[CERTPICK_SERVE_RULE_PRESENTED] = CERTPICK_SERVE_RULE_PASS;
#define STATE(c) (fails[c] ? CERTPICK_SERVE_RULE_FAIL : CERTPICK_SERVE_RULE_PASS)
	out->rules[CERTPICK_SERVE_RULE_TRUSTED] = STATE(EC_UNTRUSTED);
	out->rules[CERTPICK_SERVE_RULE_VALIDITY] = STATE(EC_VALIDITY);
	out->rules[CERTPICK_SERVE_RULE_PURPOSE] = STATE(EC_PURPOSE);
	out->rules[CERTPICK_SERVE_RULE_WELL_FORMED] =
	    fails[EC_OTHER] || fails[EC_CA] || fails[EC_TOO_LONG] ? CERTPICK_SERVE_RULE_FAIL :
								    CERTPICK_SERVE_RULE_PASS;
	out->rules[CERTPICK_SERVE_RULE_NOT_REVOKED] = !have_crl ? CERTPICK_SERVE_RULE_SKIPPED :
	    (fails[EC_REVOKED] || fails[EC_CRL])		? CERTPICK_SERVE_RULE_FAIL :
								  CERTPICK_SERVE_RULE_PASS;
#undef STATE
	if (best < 0)
		return;
	out->has_reason = true;
	out->reason = cp_serve_reason_of(&log->v[best_i]);
	out->substatus = substatus_for(out->reason);
}

static char *
name_text(const X509_NAME *name)
{
	struct certpick_dn dn;
	unsigned char *der = NULL;
	int len = i2d_X509_NAME(name, &der);
	char *s = NULL;

	if (len < 0)
		return cp_strdup("?");
	if (certpick_dn_init_der(&dn, der, (size_t)len, NULL) == 0) {
		s = cp_strdup(dn.rfc4514 != NULL ? dn.rfc4514 : "?");
		certpick_dn_release(&dn);
	}
	OPENSSL_free(der);
	return s;
}

static int
dn_of(struct certpick_dn *dn, const X509_NAME *name)
{
	unsigned char *der = NULL;
	int len = i2d_X509_NAME(name, &der), ret;

	if (len < 0)
		return -1;
	ret = certpick_dn_init_der(dn, der, (size_t)len, NULL);
	OPENSSL_free(der);
	return ret;
}

static int
cert_fill(struct certpick_serve_cert *c, X509 *x)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);

	if (dn_of(&c->subject, X509_get_subject_name(x)) != 0 ||
	    dn_of(&c->issuer, X509_get_issuer_name(x)) != 0)
		return -1;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return -1;
	for (unsigned i = 0; i < 32; i++)
		snprintf(c->sha256 + 2 * i, 3, "%02x", md[i]);
	for (int i = 0; sn != NULL && i < sn->length && 2 * i + 2 < (int)sizeof(c->serial); i++)
		snprintf(c->serial + 2 * i, 3, "%02x", sn->data[i]);
	c->not_before = cp_asn1_time(X509_get0_notBefore(x));
	c->not_after = cp_asn1_time(X509_get0_notAfter(x));
	return 0;
}

static void
sb_asked_for(struct cp_buf *b, const struct certpick_serve_report *r)
{
	size_t shown = r->n_ca_names < 10 ? r->n_ca_names : 10;

	if (r->n_ca_names == 0) {
		cp_buf_printf(b,
		    "this server names no CA (like IIS with SendTrustedIssuerList=0), so "
		    "clients may offer any client certificate they have");
		return;
	}
	cp_buf_printf(b, "it asked for a certificate issued by ");
	for (size_t i = 0; i < shown; i++)
		cp_buf_printf(b, "%s'%s'",
		    i == 0					 ? "" :
			i + 1 == shown && shown == r->n_ca_names ? " or " :
								   ", ",
		    r->ca_names[i].rfc4514 ? r->ca_names[i].rfc4514 : "?");
	if (shown < r->n_ca_names)
		cp_buf_printf(b, " and %zu more", r->n_ca_names - shown);
}

static const char *
when_text(enum certpick_serve_asked a)
{
	switch (a) {
	case CERTPICK_SERVE_ASKED_HANDSHAKE: return "at the TLS handshake";
	case CERTPICK_SERVE_ASKED_RENEGOTIATION:
		return "after your request, by TLS 1.2 renegotiation";
	case CERTPICK_SERVE_ASKED_POST_HANDSHAKE:
		return "after your request, by TLS 1.3 post-handshake authentication";
	case CERTPICK_SERVE_ASKED_NEVER:
	default: return "never";
	}
}

static int
add_finding(struct certpick_findings *f, const struct cp_verify_error *e)
{
	enum certpick_reason r = cp_serve_reason_of(e);
	char *subj = e->cert ? name_text(X509_get_subject_name(e->cert)) : NULL;
	char *iss = e->cert ? name_text(X509_get_issuer_name(e->cert)) : NULL;
	char tb[32];
	int ret;

	switch (r) {
	case CERTPICK_REASON_SRV_UNTRUSTED:
	case CERTPICK_REASON_SRV_TRUST_INTERMEDIATE_ONLY:
		ret =
		    cp_findings_add(f, r, "'%s' was issued by '%s', which is not trusted here (%s)",
			subj ? subj : "?", iss ? iss : "?", X509_verify_cert_error_string(e->code));
		break;
	case CERTPICK_REASON_EXPIRED:
		ret = cp_findings_add(f, r, "'%s' expired at %s", subj ? subj : "?",
		    cp_iso8601(e->cert ? cp_asn1_time(X509_get0_notAfter(e->cert)) : 0, tb,
			sizeof(tb)));
		break;
	case CERTPICK_REASON_NOT_YET_VALID:
		ret = cp_findings_add(f, r, "'%s' is not valid before %s", subj ? subj : "?",
		    cp_iso8601(e->cert ? cp_asn1_time(X509_get0_notBefore(e->cert)) : 0, tb,
			sizeof(tb)));
		break;
	default:
		ret = cp_findings_add(f, r, "%s at depth %d ('%s')",
		    X509_verify_cert_error_string(e->code), e->depth, subj ? subj : "?");
		break;
	}
	free(subj);
	free(iss);
	return ret;
}

static void
advice_invalid(struct cp_buf *b, const struct cp_verify_error *e, const char *subj)
{
	if (e == NULL || classify(e->code) != EC_TOO_LONG) {
		cp_buf_printf(b, "Your certificate '%s' was refused: %s. %s", subj,
		    certpick_reason_text(CERTPICK_REASON_SRV_INVALID),
		    certpick_reason_hint(CERTPICK_REASON_SRV_INVALID));
		return;
	}
	cp_buf_printf(b,
	    "The chain of your certificate '%s' is deeper than this server verifies (%d CA "
	    "certificates below the trusted one at most), so it was not followed to a CA this "
	    "server trusts. Use a certificate from a shorter chain.",
	    subj, CP_SERVE_VERIFY_DEPTH);
}

static void
advice_intermediate_only(struct cp_buf *b, const struct cp_verify_error *e, const char *subj)
{
	char *ca = e && e->cert ? name_text(X509_get_subject_name(e->cert)) : NULL;
	char *root = e && e->cert ? name_text(X509_get_issuer_name(e->cert)) : NULL;

	cp_buf_printf(b,
	    "This server trusts only an intermediate: your certificate '%s' leads to "
	    "'%s', which is in its trust store, but the root above it ('%s') is not, and the "
	    "server does not accept a chain that ends below a root. Your certificate is not at "
	    "fault: the server's trust store needs that root.",
	    subj, ca ? ca : "?", root ? root : "?");
	free(ca);
	free(root);
}

static void
advice_chain_invalid(struct cp_buf *b, const struct cp_verify_error *e, const char *subj)
{
	char *ca;

	if (e == NULL || e->cert == NULL || classify(e->code) != EC_CA) {
		cp_buf_printf(b, "Your certificate '%s' was refused: %s. %s", subj,
		    certpick_reason_text(CERTPICK_REASON_CHAIN_INVALID),
		    certpick_reason_hint(CERTPICK_REASON_CHAIN_INVALID));
		return;
	}
	ca = name_text(X509_get_subject_name(e->cert));
	cp_buf_printf(b,
	    "'%s' signed a certificate of your chain but may not act as a CA (%s: it "
	    "needs basicConstraints CA:TRUE and keyUsage keyCertSign). Your certificate '%s' "
	    "must be issued by a real CA.",
	    ca ? ca : "?", X509_verify_cert_error_string(e->code), subj);
	free(ca);
}

static void
advice_revoked(struct cp_buf *b, const struct certpick_serve_report *r,
    const struct cp_verify_error *main_err, const char *subj)
{
	char *ca;

	if (main_err == NULL || main_err->depth == 0 || main_err->cert == NULL) {
		cp_buf_printf(b,
		    "Your certificate '%s' (serial %s) was revoked by its CA. Request a new "
		    "one.",
		    subj, r->n_chain > 0 ? r->chain[0].serial : "?");
		return;
	}
	ca = name_text(X509_get_subject_name(main_err->cert));
	cp_buf_printf(b,
	    "The CA certificate '%s' in the chain of your certificate '%s' was revoked by "
	    "its issuer, so nothing it issued is accepted. Request a certificate from a CA that "
	    "is not revoked.",
	    ca ? ca : "?", subj);
	free(ca);
}

static void
advice_refused(struct cp_buf *b, const struct certpick_serve_report *r,
    const struct cp_verify_error *main_err, enum certpick_reason reason)
{
	const char *subj =
	    r->n_chain > 0 && r->chain[0].subject.rfc4514 ? r->chain[0].subject.rfc4514 : "?";
	char *iss = NULL;
	char tb[32];

	switch (reason) {
	case CERTPICK_REASON_SRV_UNTRUSTED:
		iss = main_err && main_err->cert ? name_text(X509_get_issuer_name(main_err->cert)) :
						   NULL;
		cp_buf_printf(b,
		    "Your certificate '%s' was issued by '%s', which this server does not "
		    "trust; ",
		    subj, iss ? iss : "?");
		sb_asked_for(b, r);
		cp_buf_printf(b,
		    ". Use a certificate from one of those CAs, and send its intermediate "
		    "certificates with it.");
		break;
	case CERTPICK_REASON_EXPIRED:
		cp_buf_printf(b, "Your certificate '%s' expired at %s. Renew it.", subj,
		    cp_iso8601(main_err && main_err->cert ?
			    cp_asn1_time(X509_get0_notAfter(main_err->cert)) :
			    0,
			tb, sizeof(tb)));
		break;
	case CERTPICK_REASON_NOT_YET_VALID:
		cp_buf_printf(b,
		    "Your certificate '%s' is not valid before %s. Check the clocks of this "
		    "machine and of the CA, or wait.",
		    subj,
		    cp_iso8601(main_err && main_err->cert ?
			    cp_asn1_time(X509_get0_notBefore(main_err->cert)) :
			    0,
			tb, sizeof(tb)));
		break;
	case CERTPICK_REASON_REVOKED: advice_revoked(b, r, main_err, subj); break;
	case CERTPICK_REASON_SRV_TRUST_INTERMEDIATE_ONLY:
		advice_intermediate_only(b, main_err, subj);
		break;
	case CERTPICK_REASON_CHAIN_INVALID: advice_chain_invalid(b, main_err, subj); break;
	case CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE:
		cp_buf_printf(b,
		    "Your certificate '%s' may not sign the TLS handshake: its keyUsage "
		    "lacks digitalSignature. Use a certificate issued with keyUsage "
		    "digitalSignature.",
		    subj);
		break;
	case CERTPICK_REASON_EKU_NO_CLIENT_AUTH:
		cp_buf_printf(b,
		    "Your certificate '%s' does not allow client authentication: its "
		    "extendedKeyUsage lacks clientAuth. Use a certificate issued for client "
		    "authentication.",
		    subj);
		break;
	case CERTPICK_REASON_SRV_INVALID: advice_invalid(b, main_err, subj); break;
	default:
		cp_buf_printf(b, "Your certificate '%s' was refused: %s. %s", subj,
		    certpick_reason_text(reason), certpick_reason_hint(reason));
		break;
	}
	free(iss);
}

/*
 * How many certificates of the chain a report shows: the leaf, then the
 * next ones while within CP_SERVE_CHAIN_SHOWN and CP_SERVE_CHAIN_SHOWN_BYTES.
 */
static size_t
chain_shown(STACK_OF(X509) *sent)
{
	size_t n = 1, bytes = 0;

	for (int i = 0; i < sk_X509_num(sent) && n < CP_SERVE_CHAIN_SHOWN; i++, n++) {
		int len = i2d_X509(sk_X509_value(sent, i), NULL);

		if (len <= 0 || bytes + (size_t)len > CP_SERVE_CHAIN_SHOWN_BYTES)
			break;
		bytes += (size_t)len;
	}
	return n;
}

/* r->chain from the leaf and what came with it, capped (chain_shown). */
static int
chain_fill(struct certpick_serve_report *r, X509 *leaf, STACK_OF(X509) *sent)
{
	size_t n = chain_shown(sent), total = 1 + (size_t)(sent != NULL ? sk_X509_num(sent) : 0);

	if ((r->chain = cp_calloc(n, sizeof(*r->chain))) == NULL)
		return -1;
	r->n_chain = n;
	r->n_chain_omitted = total - n;
	if (cert_fill(&r->chain[0], leaf) != 0)
		return -1;
	for (size_t i = 1; i < n; i++)
		if (cert_fill(&r->chain[i], sk_X509_value(sent, (int)i - 1)) != 0)
			return -1;
	return 0;
}

/* see serve_internal.h */
int
cp_serve_report_fill(struct certpick_serve_report *r, X509 *leaf, STACK_OF(X509) *sent,
    const struct cp_verify_log *log, bool have_crl)
{
	struct cp_verdict v;
	struct cp_buf b = { 0 };
	const struct cp_verify_error *main_err = NULL;

	if (leaf != NULL && chain_fill(r, leaf, sent) != 0)
		return -1;
	cp_serve_verdict(leaf != NULL, log, have_crl, &v);
	memcpy(r->rules, v.rules, sizeof(r->rules));
	if (!r->protected_path && leaf == NULL) {
		r->rules[CERTPICK_SERVE_RULE_PRESENTED] = CERTPICK_SERVE_RULE_SKIPPED;
		cp_buf_printf(&b, "This path is not protected, and no certificate was %s. ",
		    r->asked == CERTPICK_SERVE_ASKED_NEVER ? "asked for" : "sent");
		cp_buf_printf(&b, "Protected paths ask %s; ",
		    when_text(r->asked == CERTPICK_SERVE_ASKED_NEVER ?
			    CERTPICK_SERVE_ASKED_RENEGOTIATION :
			    r->asked));
		sb_asked_for(&b, r);
		cp_buf_printf(&b, ".");
	} else if (leaf == NULL) {
		if (cp_findings_add(&r->findings, CERTPICK_REASON_SRV_NO_CERT, "asked %s",
			when_text(r->asked)) != 0)
			return -1;
		cp_buf_printf(&b, "No client certificate arrived. This server asked %s; ",
		    when_text(r->asked));
		sb_asked_for(&b, r);
		cp_buf_printf(&b,
		    ". Install a client certificate (with its private key) issued by one of "
		    "them, and check with 'certpick select' why your client sent none.");
	} else {
		for (size_t i = 0; log != NULL && i < log->n; i++) {
			if (add_finding(&r->findings, &log->v[i]) != 0)
				return -1;
			if (v.has_reason && main_err == NULL &&
			    cp_serve_reason_of(&log->v[i]) == v.reason)
				main_err = &log->v[i];
		}
		certpick_findings_sort(&r->findings);
		if (v.has_reason)
			advice_refused(&b, r, main_err, v.reason);
		else
			cp_buf_printf(&b,
			    "Your certificate '%s' was accepted: it verified to a CA this "
			    "server trusts.",
			    r->chain[0].subject.rfc4514 ? r->chain[0].subject.rfc4514 : "?");
	}
	if (b.nomem) {
		cp_buf_free(&b);
		return -1;
	}
	r->advice = b.len > 0 ? cp_buf_release(&b) : NULL;
	cp_buf_free(&b);
	r->has_reason = v.has_reason && (r->protected_path || leaf != NULL);
	r->reason = v.reason;
	r->substatus = r->protected_path ? v.substatus : NULL;
	return 0;
}

/* see certpick/serve.h */
void
certpick_serve_report_release(struct certpick_serve_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_chain; i++) {
		certpick_dn_release(&r->chain[i].subject);
		certpick_dn_release(&r->chain[i].issuer);
	}
	free(r->chain);
	r->n_chain_omitted = 0;
	free(r->path);
	free(r->advice);
	certpick_findings_release(&r->findings);
	r->chain = NULL;
	r->n_chain = 0;
	r->path = NULL;
	r->advice = NULL;
}
