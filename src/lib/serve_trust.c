/*
 * serve: what the server trusts and what it names. Reads certificates
 * (PEM, "TRUSTED CERTIFICATE" PEM with OpenSSL aux trust, DER) from a file or
 * a folder, picks the CA names to send by trusted purpose, sizes the
 * CertificateRequest through the codec against the clients' limits
 * (certreq.c), and makes a throwaway identity.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "serve_internal.h"

static int
load_file(const char *path, STACK_OF(X509) *out, struct certpick_error *err)
{
	BIO *in = NULL;
	X509 *x = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int n = 0, ret = -1;

	if (cp_read_file(path, &data, &len, err) != 0)
		goto out;
	if ((in = BIO_new_mem_buf(data, (int)len)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	/* PEM_read_bio_X509_AUX reads both CERTIFICATE and TRUSTED CERTIFICATE */
	while ((x = PEM_read_bio_X509_AUX(in, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(out, x)) {
			cp_error_nomem(err);
			goto out;
		}
		x = NULL;
		n++;
	}
	ERR_clear_error();
	if (n == 0) {
		(void)BIO_reset(in);
		if ((x = d2i_X509_bio(in, NULL)) == NULL) {
			cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "no certificate in '%s'", path);
			goto out;
		}
		if (!sk_X509_push(out, x)) {
			cp_error_nomem(err);
			goto out;
		}
		x = NULL;
	}
	ret = 0;
out:
	X509_free(x);
	BIO_free(in);
	cp_freezero(data, data != NULL ? len + 1 : 0);
	return ret;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* see serve_internal.h */
int
cp_serve_load_certs(const char *path, STACK_OF(X509) *out, struct certpick_error *err)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int ret = -1;

	if (stat(path, &st) != 0)
		return cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot open '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return load_file(path, out, err);
	if ((d = opendir(path)) == NULL)
		return cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot open '%s'", path);
	while ((de = readdir(d)) != NULL) {
		char **slot;

		if (de->d_name[0] == '.')
			continue;
		if ((slot = cp_array_push(&names, &n, sizeof(*names))) == NULL ||
		    (*slot = cp_asprintf("%s/%s", path, de->d_name)) == NULL) {
			cp_error_nomem(err);
			goto out;
		}
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (load_file(names[i], out, err) != 0)
			goto out;
	}
	if (sk_X509_num(out) == 0) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "no certificate in '%s'", path);
		goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	return ret;
}

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
		.n_sigalgs = sizeof(ossl_sigalgs) / sizeof(ossl_sigalgs[0]),
		.ca_names = names,
		.n_ca_names = n,
	};
	size_t body = cp_certreq_encoded_len(&fields), ca_list = 0;

	for (size_t i = 0; i < n; i++)
		ca_list += 2 + names[i].der_len;
	*size = body + 4;
	return cp_certreq_size_warnings(body, ca_list, f);
}

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* see serve_internal.h */
int
cp_serve_make_identity(X509 **cert, EVP_PKEY **key, struct certpick_error *err)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int ret = -1;

	*cert = NULL;
	*key = NULL;
	if ((pkey = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    (name = X509_NAME_new()) == NULL)
		goto ossl;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto ossl;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto ossl;
	if (!X509_set_version(x, 2) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"certpick serve (throwaway)", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"localhost", -1, -1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) == NULL ||
	    !X509_set_pubkey(x, pkey))
		goto ossl;
	if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") != 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") != 0 ||
	    add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") != 0)
		goto ossl;
	if (X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto ossl;
	*cert = x;
	*key = pkey;
	x = NULL;
	pkey = NULL;
	ret = 0;
	goto out;
ossl:
	cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot make a throwaway server identity");
out:
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}
