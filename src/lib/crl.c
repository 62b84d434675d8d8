/*
 * Certificate revocation lists from a file: a PEM bundle of "X509 CRL"
 * blocks, or one DER CRL, read for the trust module (certpick_trust_add_crl_path,
 * used by check and serve). The bytes are untrusted (fuzz/fuzz_crl.c).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"

/* Push one CRL (reference taken) onto out; -1 on allocation failure. */
static int
push_crl(STACK_OF(X509_CRL) *out, X509_CRL *crl, struct certpick_error *err)
{
	if (sk_X509_CRL_push(out, crl) <= 0) {
		X509_CRL_free(crl);
		return cp_error_nomem(err);
	}
	return 0;
}

static int
parse_pem_crls(const uint8_t *data, size_t len, const char *source, STACK_OF(X509_CRL) *out,
    struct certpick_error *err)
{
	BIO *in;
	X509_CRL *crl;
	unsigned long code;
	int n = 0, ret = -1;

	if ((in = BIO_new_mem_buf(data, (int)len)) == NULL)
		return cp_error_nomem(err);
	while ((crl = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
		if (push_crl(out, crl, err) != 0)
			goto out;
		n++;
	}
	code = ERR_peek_last_error();
	if (ERR_GET_LIB(code) != ERR_LIB_PEM || ERR_GET_REASON(code) != PEM_R_NO_START_LINE) {
		cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot read CRL %d of '%s'", n + 1,
		    source);
		goto out;
	}
	if (n == 0) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "no CRL in '%s'", source);
		cp_error_detail(err, "no \"-----BEGIN X509 CRL-----\" block");
		goto out;
	}
	ret = 0;
out:
	ERR_clear_error();
	BIO_free(in);
	return ret;
}

/* see internal.h */
int
cp_crls_parse(const uint8_t *data, size_t len, const char *source, STACK_OF(X509_CRL) *out,
    struct certpick_error *err)
{
	const unsigned char *p = data;
	X509_CRL *crl;

	if (len == 0 || len > (size_t)INT_MAX) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "no CRL in '%s'", source);
		cp_error_detail(err, "%s", len == 0 ? "the file is empty" : "too large");
		return -1;
	}
	if (memmem(data, len, "-----BEGIN ", 11) != NULL)
		return parse_pem_crls(data, len, source, out, err);
	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL || p != data + len) {
		X509_CRL_free(crl);
		cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "no CRL in '%s'", source);
		ERR_clear_error();
		return -1;
	}
	return push_crl(out, crl, err);
}

/* see internal.h */
int
cp_crls_load(const char *path, STACK_OF(X509_CRL) *out, struct certpick_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	if (cp_read_file(path, &data, &len, err) != 0)
		return -1;
	ret = cp_crls_parse(data, len, path, out, err);
	cp_freezero(data, len);
	return ret;
}

/* see internal.h */
bool
cp_crl_unavailable(int x509_v_err)
{
	return x509_v_err == X509_V_ERR_UNABLE_TO_GET_CRL ||
	    x509_v_err == X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER;
}
