/*
 * check: run the leaf rules (check_rules.c), build every chain path, verify
 * each with OpenSSL at the given time and pick the first that verifies.
 * Findings only; never prints. OpenSSL verification errors on the leaf
 * itself (validity, purpose) are left to the leaf rules so each problem is
 * reported once, with its own id.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "certpick/check.h"
#include "certpick/openssl.h"
#include "check_rules.h"
#include "internal.h"

#define MAX_VERIFY_ERRORS 8

struct verify_error {
	int code;
	int depth;
	X509 *cert; /* borrowed from the path */
};

struct verify_result {
	struct verify_error v[MAX_VERIFY_ERRORS];
	int n;
	bool leaf_crl_missing; /* CRLs were given, none from the leaf's issuer */
};

/*
 * Collect every error, keep verifying: we want all problems, not the first.
 * With CRLs, OpenSSL wants one for every certificate; the user gives those
 * they have. A missing one is not an error: only the leaf's is said (info).
 */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_result *r;
	int code;

	if (ok)
		return 1;
	r = X509_STORE_CTX_get_app_data(ctx);
	code = X509_STORE_CTX_get_error(ctx);
	if (r != NULL && cp_crl_unavailable(code)) {
		if (X509_STORE_CTX_get_error_depth(ctx) == 0)
			r->leaf_crl_missing = true;
		return 1;
	}
	if (r != NULL && r->n < MAX_VERIFY_ERRORS) {
		r->v[r->n].code = code;
		r->v[r->n].depth = X509_STORE_CTX_get_error_depth(ctx);
		r->v[r->n].cert = X509_STORE_CTX_get_current_cert(ctx);
		r->n++;
	}
	return 1;
}

/* Errors on the leaf that the leaf rules report under their own ids. */
static bool
leaf_rule_covers(int code)
{
	switch (code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
	case X509_V_ERR_INVALID_CA: /* a CA certificate used as the leaf */ return true;
	default: return false;
	}
}

/* Errors that only say where the path ends: the path builder reports those. */
static bool
path_end_error(int code)
{
	switch (code) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return true;
	default: return false;
	}
}

/* The CRLs into store; with them, revocation is checked along the whole path. */
static int
add_crls(X509_STORE *store, X509_STORE_CTX *ctx, const struct certpick_trust *t)
{
	STACK_OF(X509_CRL) *crls = t != NULL ? certpick_trust_get0_crls(t) : NULL;

	for (int i = 0; i < sk_X509_CRL_num(crls); i++)
		if (!X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i)))
			return -1;
	if (sk_X509_CRL_num(crls) > 0)
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

/*
 * Verify one path exactly: its top is the only trust anchor (partial chains
 * allowed, so an incomplete or untrusted path is still judged for
 * everything else), its middle the only untrusted certificates; the trust's
 * CRLs, if any, are checked.
 */
static int
verify_path(const struct certpick_path *p, const struct certpick_check_options *opts,
    struct verify_result *r, struct certpick_error *err)
{
	STACK_OF(X509) *xs = certpick_path_get0_x509s(p), *mid = NULL;
	STACK_OF(ASN1_OBJECT) *policies = NULL;
	const ASN1_OBJECT *any;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	int n = sk_X509_num(xs), ret = -1;

	memset(r, 0, sizeof(*r));
	if ((store = X509_STORE_new()) == NULL || (ctx = X509_STORE_CTX_new()) == NULL ||
	    (mid = sk_X509_new_null()) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	/* the paths' certificates with their keys decoded (lazy_public_keys loads) */
	for (int i = 1; i < n - 1; i++) {
		X509 *y = cp_x509_full(sk_X509_value(xs, i));

		if (y == NULL || sk_X509_push(mid, y) <= 0) {
			cp_error_nomem(err);
			goto out;
		}
	}
	if (!X509_STORE_add_cert(store, cp_x509_full(sk_X509_value(xs, n - 1))) ||
	    !X509_STORE_CTX_init(ctx, store, cp_x509_full(sk_X509_value(xs, 0)), mid)) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot set up verification");
		goto out;
	}
	/* RFC 5280 6.1 policy processing with the default inputs (anyPolicy), as NSS and
	 * Windows do */
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_POLICY_CHECK);
	if (add_crls(store, ctx, opts->trust) != 0) {
		cp_error_nomem(err);
		goto out;
	}
	/*
	 * RFC 5280 6.1.1 (c): the user-initial-policy-set is anyPolicy. OpenSSL takes an
	 * empty set literally and then fails every chain that requires an explicit policy.
	 */
	if ((any = OBJ_nid2obj(NID_any_policy)) == NULL ||
	    (policies = sk_ASN1_OBJECT_new_null()) == NULL ||
	    sk_ASN1_OBJECT_push(policies, OBJ_dup(any)) <= 0 ||
	    !X509_VERIFY_PARAM_set1_policies(X509_STORE_CTX_get0_param(ctx), policies)) {
		cp_error_nomem(err);
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, opts->now);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	X509_STORE_CTX_set_app_data(ctx, r);
	if (X509_verify_cert(ctx) < 0 && r->n == 0) {
		r->v[0].code = X509_STORE_CTX_get_error(ctx);
		r->v[0].depth = 0;
		r->v[0].cert = sk_X509_value(xs, 0);
		r->n = 1;
	}
	ret = 0;
out:
	ERR_clear_error();
	sk_ASN1_OBJECT_pop_free(policies, ASN1_OBJECT_free);
	sk_X509_free(mid);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ret;
}

/* The errors a path has that no other rule reports. */
static int
path_problems(const struct verify_result *r)
{
	int n = 0;

	for (int i = 0; i < r->n; i++) {
		if (path_end_error(r->v[i].code))
			continue;
		if (r->v[i].depth == 0 && leaf_rule_covers(r->v[i].code))
			continue;
		n++;
	}
	return n;
}

/* RFC 4514 string of a name ("?" when it cannot be parsed); NULL on ENOMEM. */
static char *
dn_string(const X509_NAME *name)
{
	struct certpick_dn dn;
	char *s;

	if (name == NULL || cp_dn_from_name(&dn, name, NULL) != 0)
		return cp_strdup("?");
	s = cp_strdup(dn.rfc4514 != NULL ? dn.rfc4514 : "?");
	certpick_dn_release(&dn);
	return s;
}

static char *
name_of(X509 *x)
{
	return dn_string(x != NULL ? X509_get_subject_name(x) : NULL);
}

static int
report_path(const struct certpick_path *p, const struct verify_result *r,
    struct certpick_findings *f, struct certpick_error *err)
{
	STACK_OF(X509) *xs = certpick_path_get0_x509s(p);
	X509 *top = sk_X509_value(xs, sk_X509_num(xs) - 1);
	char *who = NULL;
	int ret = -1;

	switch (p->end) {
	case CERTPICK_PATH_INCOMPLETE:
		if (cp_findings_add(f, CERTPICK_REASON_CHAIN_INCOMPLETE, "missing issuer: %s",
			p->missing.rfc4514 != NULL ? p->missing.rfc4514 : "(unparsable name)") != 0)
			goto nomem;
		break;
	case CERTPICK_PATH_UNTRUSTED_ROOT:
		if ((who = name_of(top)) == NULL ||
		    cp_findings_add(f, CERTPICK_REASON_UNTRUSTED_ROOT, "root: %s", who) != 0)
			goto nomem;
		break;
	case CERTPICK_PATH_TRUSTED:
	default: break;
	}
	for (int i = 0; i < r->n; i++) {
		const struct verify_error *e = &r->v[i];
		enum certpick_reason reason = CERTPICK_REASON_CHAIN_INVALID;

		if (path_end_error(e->code) || (e->depth == 0 && leaf_rule_covers(e->code)))
			continue;
		if (e->code == X509_V_ERR_INVALID_PURPOSE)
			reason = CERTPICK_REASON_CHAIN_NOT_CLIENT_AUTH;
		if (e->code == X509_V_ERR_NO_EXPLICIT_POLICY ||
		    e->code == X509_V_ERR_INVALID_POLICY_EXTENSION)
			reason = CERTPICK_REASON_CHAIN_POLICY;
		if (e->code == X509_V_ERR_CERT_REVOKED)
			reason = CERTPICK_REASON_REVOKED;
		free(who);
		if ((who = e->cert != NULL ? name_of(e->cert) : cp_strdup("policy processing")) ==
			NULL ||
		    cp_findings_add(f, reason, "%s: %s", who,
			X509_verify_cert_error_string(e->code)) != 0)
			goto nomem;
	}
	if (r->leaf_crl_missing) {
		free(who);
		if ((who = dn_string(X509_get_issuer_name(sk_X509_value(xs, 0)))) == NULL ||
		    cp_findings_add(f, CERTPICK_REASON_CRL_NOT_CHECKED, "no CRL given from %s",
			who) != 0)
			goto nomem;
	}
	ret = 0;
	goto out;
nomem:
	cp_error_nomem(err);
out:
	free(who);
	return ret;
}

/* see certpick/check.h */
int
certpick_check_run(const struct certpick_candset *set, const struct certpick_candidate *c,
    const struct certpick_check_options *opts, struct certpick_check_result *out,
    struct certpick_error *err)
{
	struct verify_result r, chosen_r;
	size_t best = SIZE_MAX;
	int ret = -1;

	if (c == NULL || opts == NULL || out == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "invalid argument");
	memset(out, 0, sizeof(*out));
	memset(&chosen_r, 0, sizeof(chosen_r));
	if (cp_check_leaf(c, opts, &out->findings, err) != 0)
		goto out;
	if (certpick_trust_build_paths(opts->trust, set, c, &out->paths, err) != 0)
		goto out;
	/* the first path, in rank order, that verifies; else the first path */
	for (size_t i = 0; i < out->paths.n; i++) {
		if (verify_path(&out->paths.v[i], opts, &r, err) != 0)
			goto out;
		if (i == 0)
			chosen_r = r;
		if (out->paths.v[i].end == CERTPICK_PATH_TRUSTED && path_problems(&r) == 0) {
			best = i;
			chosen_r = r;
			break;
		}
	}
	out->chosen = best != SIZE_MAX ? best : 0;
	out->chain_ok = best != SIZE_MAX;
	if (out->paths.n > 0) {
		const struct certpick_path *p = &out->paths.v[out->chosen];
		if (report_path(p, &chosen_r, &out->findings, err) != 0 ||
		    cp_check_path(c, p, &out->findings, err) != 0)
			goto out;
	}
	certpick_findings_sort(&out->findings);
	ret = 0;
out:
	if (ret != 0)
		certpick_check_result_release(out);
	return ret;
}

/* see certpick/check.h */
void
certpick_check_result_release(struct certpick_check_result *r)
{
	if (r == NULL)
		return;
	certpick_findings_release(&r->findings);
	certpick_paths_release(&r->paths);
	memset(r, 0, sizeof(*r));
}

/* see certpick/check.h */
const struct certpick_path *
certpick_check_result_path(const struct certpick_check_result *r)
{
	if (r == NULL || r->chosen >= r->paths.n)
		return NULL;
	return &r->paths.v[r->chosen];
}
