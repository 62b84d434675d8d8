/*
 * serve: what the server names. The certificates come from the trust module
 * (trust.c: PEM, "TRUSTED CERTIFICATE" PEM with OpenSSL aux trust, DER, a
 * file or a folder); here the CA names to send are picked by trusted
 * purpose, the CertificateRequest is sized through the codec against the
 * clients' limits (certreq.c), and the throwaway identity is specified for
 * the PKI generator (pki.c).
 */
#include <openssl/x509v3.h>

#include "certpick/pki.h"

#include "serve_internal.h"

static bool
has_oid(STACK_OF(ASN1_OBJECT) *objs, int nid)
{
	for (int i = 0; i < sk_ASN1_OBJECT_num(objs); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(objs, i)) == nid)
			return true;
	return false;
}

/* see serve_internal.h */
bool
cp_serve_trusted_for_client_auth(X509 *x)
{
	STACK_OF(ASN1_OBJECT) *trust = X509_get0_trust_objects(x);
	STACK_OF(ASN1_OBJECT) *reject = X509_get0_reject_objects(x);

	if (has_oid(reject, NID_client_auth) || has_oid(reject, NID_anyExtendedKeyUsage))
		return false;
	/* no trust settings in the aux: OpenSSL trusts it for every purpose */
	if (sk_ASN1_OBJECT_num(trust) <= 0)
		return true;
	return has_oid(trust, NID_client_auth) || has_oid(trust, NID_anyExtendedKeyUsage);
}

static int
push_unique(STACK_OF(X509_NAME) *names, const X509_NAME *name)
{
	X509_NAME *dup;

	for (int i = 0; i < sk_X509_NAME_num(names); i++)
		if (X509_NAME_cmp(sk_X509_NAME_value(names, i), name) == 0)
			return 0;
	if ((dup = X509_NAME_dup(name)) == NULL)
		return -1;
	if (!sk_X509_NAME_push(names, dup)) {
		X509_NAME_free(dup);
		return -1;
	}
	return 0;
}

static STACK_OF(X509_NAME) *
names_of(STACK_OF(X509) *certs, bool by_purpose, struct certpick_error *err)
{
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();

	if (names == NULL)
		goto nomem;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (by_purpose && !cp_serve_trusted_for_client_auth(x))
			continue;
		if (push_unique(names, X509_get_subject_name(x)) != 0)
			goto nomem;
	}
	return names;
nomem:
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	cp_error_nomem(err);
	return NULL;
}

/* see serve_internal.h */
STACK_OF(X509_NAME) *
cp_serve_ca_names_by_purpose(STACK_OF(X509) *certs, struct certpick_error *err)
{
	return names_of(certs, true, err);
}

/* see serve_internal.h */
STACK_OF(X509_NAME) *
cp_serve_ca_names_all(STACK_OF(X509) *certs, struct certpick_error *err)
{
	return names_of(certs, false, err);
}

/*
 * What an OpenSSL 3 server puts in a TLS 1.2 CertificateRequest at the
 * default security level (captured from certpick serve): rsa_sign, dss_sign,
 * ecdsa_sign and 20 signature schemes. TLS 1.3 at the handshake is a few
 * bytes smaller; after it (PHA) the 32-byte context makes it larger.
 */
static const uint8_t ossl_cert_types[] = { 1, 2, 64 };
static const uint16_t ossl_sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
	0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402,
	0x0502, 0x0602 };

/* see serve_internal.h */
int
cp_serve_certreq_size(const struct certpick_dn *names, size_t n, size_t *size,
    struct certpick_findings *f)
{
	struct certpick_certreq_fields fields = {
		.tls_version = CERTPICK_TLS12,
		.cert_types = ossl_cert_types,
		.n_cert_types = sizeof(ossl_cert_types),
		.sigalgs = ossl_sigalgs,
		.n_sigalgs = CP_NELEM(ossl_sigalgs),
		.ca_names = names,
		.n_ca_names = n,
	};
	size_t body = cp_certreq_encoded_len(&fields), ca_list = 0;

	for (size_t i = 0; i < n; i++)
		ca_list += 2 + names[i].der_len;
	*size = body + 4;
	return cp_certreq_size_warnings(body, ca_list, f);
}

/* see serve_internal.h */
struct certpick_pki *
cp_serve_identity_new(time_t now, struct certpick_error *err)
{
	static const struct certpick_pki_spec spec = {
		.name = CP_SERVE_IDENTITY,
		.subject = "CN=localhost,O=certpick serve (throwaway)",
		.key = CERTPICK_PKI_EC,
		.pathlen = -1,
		.ku = "digitalSignature",
		.eku = "serverAuth",
		.san = "DNS:localhost,IP:127.0.0.1,IP:::1",
		.not_before = -3600,
		.not_after = 30L * 86400,
	};
	struct certpick_pki *pki;

	if ((pki = certpick_pki_new(now, err)) == NULL)
		return NULL;
	if (certpick_pki_add(pki, &spec, err) != 0) {
		certpick_pki_free(pki);
		return NULL;
	}
	return pki;
}
