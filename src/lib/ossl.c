/* Small OpenSSL helpers shared inside the library (names, digests). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "internal.h"

int
cp_dn_from_name(struct certpick_dn *dn, const X509_NAME *name, struct certpick_error *err)
{
	unsigned char *der = NULL;
	int len, ret;

	memset(dn, 0, sizeof(*dn));
	if ((len = i2d_X509_NAME(name, &der)) < 0)
		return cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot encode a name");
	ret = certpick_dn_init_der(dn, der, (size_t)len, err);
	OPENSSL_free(der);
	return ret;
}

int
cp_x509_sha256_hex(const X509 *x, char out[65], struct certpick_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &len) != 1 || len != 32)
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot hash a certificate");
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}
