/* Small OpenSSL helpers shared inside the library (digests). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "internal.h"

/*
 * SHA-256 fetched once: EVP_sha256() in a digest call makes OpenSSL 3 fetch
 * the implementation again each time (a lookup under locks).
 */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* see internal.h */
const EVP_MD *
cp_md_sha256(void)
{
	if (pthread_once(&sha256_once, sha256_fetch) != 0 || sha256_md == NULL)
		return EVP_sha256();
	return sha256_md;
}

int
cp_x509_sha256_hex(const X509 *x, char out[65], struct certpick_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	out[0] = '\0';
	if (X509_digest(x, cp_md_sha256(), md, &len) != 1 || len != 32)
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot hash a certificate");
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}
