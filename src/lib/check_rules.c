/*
 * The rules of `check` on one certificate and along its chosen path. Each
 * rule adds findings with its reason id and a detail naming what made it
 * fire. Pure apart from reading OpenSSL objects: no I/O, no clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/openssl.h"
#include "check_rules.h"
#include "internal.h"

#define DAY 86400L

/* see certpick/check.h. Names as Windows registers them (HKLM\...\Cryptography\Defaults\Provider). */
bool
certpick_check_csp_is_legacy(const char *csp)
{
	static const char *const legacy[] = {
		"Microsoft Base Cryptographic Provider v1.0",
		"Microsoft Enhanced Cryptographic Provider v1.0",
		"Microsoft Strong Cryptographic Provider",
		/* SHA-2 capable, but CryptoAPI: no RSA-PSS, so no TLS 1.3 client auth */
		"Microsoft Enhanced RSA and AES Cryptographic Provider",
		"Microsoft Enhanced RSA and AES Cryptographic Provider (Prototype)",
		"Microsoft RSA SChannel Cryptographic Provider",
		"Microsoft Base Smart Card Crypto Provider",
		"Microsoft Base DSS Cryptographic Provider",
		"Microsoft Base DSS and Diffie-Hellman Cryptographic Provider",
		"Microsoft Enhanced DSS and Diffie-Hellman Cryptographic Provider",
		"Microsoft DH SChannel Cryptographic Provider",
	};

	for (size_t i = 0; csp != NULL && i < CP_NELEM(legacy); i++)
		if (strcasecmp(csp, legacy[i]) == 0)
			return true;
	return false;
}

static int
rule_key(const struct certpick_candidate *c, struct certpick_findings *f)
{
	if (certpick_candidate_has_key_mismatch(c))
		return cp_findings_add(f, CERTPICK_REASON_KEY_MISMATCH,
		    "the private key in '%s' belongs to another certificate",
		    certpick_candidate_key_mismatch_source(c));
	if (certpick_candidate_key_store(c) == CERTPICK_KEY_NONE)
		return cp_findings_add(f, CERTPICK_REASON_NO_PRIVATE_KEY, NULL);
	return 0;
}

static void
ku_names(uint32_t ku, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ KU_NON_REPUDIATION, "nonRepudiation" },
		{ KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ KU_KEY_AGREEMENT, "keyAgreement" },
		{ KU_KEY_CERT_SIGN, "keyCertSign" },
		{ KU_CRL_SIGN, "cRLSign" },
		{ KU_ENCIPHER_ONLY, "encipherOnly" },
		{ KU_DECIPHER_ONLY, "decipherOnly" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < CP_NELEM(names); i++) {
		if (!(ku & names[i].bit))
			continue;
		int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", names[i].name);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	if (len == 0)
		snprintf(buf, size, "(none)");
}

static int
rule_ku(X509 *x, struct certpick_findings *f)
{
	char buf[200];
	uint32_t ku;

	if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE))
		return 0;
	ku = X509_get_key_usage(x);
	if (ku & KU_DIGITAL_SIGNATURE)
		return 0;
	ku_names(ku, buf, sizeof(buf));
	return cp_findings_add(f, CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE, "keyUsage: %s", buf);
}

/* RFC 5280 4.2.1.12: an EKU extension restricts; anyExtendedKeyUsage waives it for some. */
static int
rule_eku(X509 *x, struct certpick_findings *f)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	char list[400], oid[80];
	size_t len = 0;
	bool client = false, any = false;
	int crit = 0, ret = 0;

	list[0] = '\0';
	if (X509_get_ext_by_NID(x, NID_ext_key_usage, -1) < 0)
		return 0;
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL)) == NULL) {
		ERR_clear_error();
		return cp_findings_add(f, CERTPICK_REASON_EKU_NO_CLIENT_AUTH,
		    "the extendedKeyUsage extension does not parse");
	}
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(o);

		client = client || nid == NID_client_auth;
		any = any || nid == NID_anyExtendedKeyUsage;
		if (nid != NID_undef)
			snprintf(oid, sizeof(oid), "%s", OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(oid, sizeof(oid), o, 1) <= 0)
			snprintf(oid, sizeof(oid), "?");
		int n = snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", oid);
		if (n > 0 && (size_t)n < sizeof(list) - len)
			len += (size_t)n;
	}
	if (!client && any)
		ret =
		    cp_findings_add(f, CERTPICK_REASON_EKU_ANY_ONLY, "extendedKeyUsage: %s", list);
	else if (!client)
		ret = cp_findings_add(f, CERTPICK_REASON_EKU_NO_CLIENT_AUTH, "extendedKeyUsage: %s",
		    len ? list : "(empty)");
	EXTENDED_KEY_USAGE_free(eku);
	return ret;
}

static int
rule_validity(const struct certpick_candidate *c, X509 *x,
    const struct certpick_check_options *opts, struct certpick_findings *f)
{
	time_t now = opts->now;
	long soon = (opts->expires_soon_days > 0 ? opts->expires_soon_days : 30) * DAY;
	char buf[32];

	if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0)
		return cp_findings_add(f, CERTPICK_REASON_EXPIRED, "notAfter %s",
		    cp_iso8601(certpick_candidate_not_after(c), buf, sizeof(buf)));
	if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0)
		return cp_findings_add(f, CERTPICK_REASON_NOT_YET_VALID, "notBefore %s",
		    cp_iso8601(certpick_candidate_not_before(c), buf, sizeof(buf)));
	time_t later = now + soon;
	if (X509_cmp_time(X509_get0_notAfter(x), &later) < 0)
		return cp_findings_add(f, CERTPICK_REASON_EXPIRES_SOON, "notAfter %s",
		    cp_iso8601(certpick_candidate_not_after(c), buf, sizeof(buf)));
	return 0;
}

static bool
weak_md(int mdnid)
{
	return mdnid == NID_md5 || mdnid == NID_sha1 || mdnid == NID_md4 || mdnid == NID_md2 ||
	    mdnid == NID_mdc2 || mdnid == NID_md5_sha1;
}

static int
rule_weak_signature(X509 *x, const char *who, struct certpick_findings *f)
{
	int mdnid = NID_undef, signid = X509_get_signature_nid(x);

	if (!X509_get_signature_info(x, &mdnid, NULL, NULL, NULL)) {
		/* unknown algorithms: judge by the signature OID alone */
		ERR_clear_error();
		if (!OBJ_find_sigid_algs(signid, &mdnid, NULL))
			return 0;
	}
	if (!weak_md(mdnid))
		return 0;
	if (who == NULL)
		return cp_findings_add(f, CERTPICK_REASON_WEAK_SIGNATURE, "signed with %s",
		    OBJ_nid2sn(signid));
	return cp_findings_add(f, CERTPICK_REASON_WEAK_SIGNATURE, "%s is signed with %s", who,
	    OBJ_nid2sn(signid));
}

/* NIST SP 800-57 / CA/Browser Forum minimums: RSA and DSA 2048, EC 256. */
static int
rule_weak_key(X509 *x, const char *who, struct certpick_findings *f)
{
	EVP_PKEY *pub = cp_x509_pubkey(x);
	int id, bits;
	const char *type;

	if (pub == NULL) {
		ERR_clear_error();
		return 0;
	}
	id = EVP_PKEY_get_base_id(pub);
	bits = EVP_PKEY_get_bits(pub);
	switch (id) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		type = "RSA";
		if (bits >= 2048)
			return 0;
		break;
	case EVP_PKEY_DSA:
		type = "DSA";
		if (bits >= 2048)
			return 0;
		break;
	case EVP_PKEY_EC:
		type = "EC";
		if (bits >= 256)
			return 0;
		break;
	default: return 0;
	}
	if (who == NULL)
		return cp_findings_add(f, CERTPICK_REASON_WEAK_KEY, "%s %d bits", type, bits);
	return cp_findings_add(f, CERTPICK_REASON_WEAK_KEY, "%s: %s %d bits", who, type, bits);
}

static bool
self_signed(X509 *x)
{
	EVP_PKEY *pub = cp_x509_pubkey(x);
	/* not X509_check_issued(): it also wants keyCertSign, which an end entity lacks */
	bool ss = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 &&
	    pub != NULL && X509_verify(x, pub) == 1;

	ERR_clear_error();
	return ss;
}

static int
rule_identity(X509 *x, struct certpick_findings *f)
{
	if (X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_commonName, -1) >= 0)
		return 0;
	if (X509_get_ext_by_NID(x, NID_subject_alt_name, -1) >= 0)
		return 0;
	return cp_findings_add(f, CERTPICK_REASON_SAN_MISSING, NULL);
}

static int
rule_pfx(const struct certpick_candidate *c, struct certpick_findings *f)
{
	const char *csp = certpick_candidate_pfx_csp(c);

	if (certpick_candidate_pfx_keyspec(c) == 0x10 &&
	    cp_findings_add(f, CERTPICK_REASON_PFX_KEYSPEC_EXCHANGE,
		"Microsoft key-usage attribute 0x10 (KEY_EX)") != 0)
		return -1;
	if (csp != NULL && certpick_check_csp_is_legacy(csp)) {
		if (strcasestr(csp, "RSA and AES") != NULL)
			return cp_findings_add(f, CERTPICK_REASON_PFX_LEGACY_CSP,
			    "CSP '%s': SHA-2 capable, but no RSA-PSS", csp);
		return cp_findings_add(f, CERTPICK_REASON_PFX_LEGACY_CSP, "CSP '%s'", csp);
	}
	return 0;
}

int
cp_check_leaf(const struct certpick_candidate *c, const struct certpick_check_options *opts,
    struct certpick_findings *f, struct certpick_error *err)
{
	X509 *x = certpick_candidate_get0_x509(c);
	const char *type = certpick_candidate_key_type(c);

	if (rule_key(c, f) != 0 || rule_ku(x, f) != 0 || rule_eku(x, f) != 0 ||
	    rule_validity(c, x, opts, f) != 0 || rule_weak_signature(x, NULL, f) != 0 ||
	    rule_weak_key(x, NULL, f) != 0 || rule_identity(x, f) != 0 || rule_pfx(c, f) != 0)
		return cp_error_nomem(err);
	if ((X509_get_extension_flags(x) & EXFLAG_CA) &&
	    cp_findings_add(f, CERTPICK_REASON_CA_CERT_AS_CLIENT, NULL) != 0)
		return cp_error_nomem(err);
	if (self_signed(x) && cp_findings_add(f, CERTPICK_REASON_SELF_SIGNED, NULL) != 0)
		return cp_error_nomem(err);
	if ((strcmp(type, "ed25519") == 0 || strcmp(type, "ed448") == 0) &&
	    cp_findings_add(f, CERTPICK_REASON_KEY_UNSUPPORTED_BY_SOME, "%s key", type) != 0)
		return cp_error_nomem(err);
	return 0;
}

int
cp_check_path(const struct certpick_candidate *c, const struct certpick_path *p,
    struct certpick_findings *f, struct certpick_error *err)
{
	STACK_OF(X509) *xs = certpick_path_get0_x509s(p);

	(void)c;
	for (int i = 1; i < sk_X509_num(xs); i++) {
		X509 *x = sk_X509_value(xs, i);
		const char *who = p->v[i].subject.rfc4514 != NULL ? p->v[i].subject.rfc4514 : "?";

		/* a root's signature on itself proves nothing and is never checked */
		if (!p->v[i].self_signed && rule_weak_signature(x, who, f) != 0)
			return cp_error_nomem(err);
		if (rule_weak_key(x, who, f) != 0)
			return cp_error_nomem(err);
	}
	return 0;
}
