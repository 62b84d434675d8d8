/*
 * Target functions: cp_key_pub_read, cp_keypub_new, cp_keypub_pkey,
 * cp_x509_d2i_lazy, cp_spki_read, cp_x509_full (lazycert.c: a private key's
 * public half and a certificate's key read from their DER alone).
 * Input: the first byte picks what the rest is: a certificate (bit 2 set),
 * else a key in the form byte % 3 (PKCS#8, RSAPrivateKey, ECPrivateKey).
 * Differential: whenever certpick reads a key's facts and OpenSSL decodes
 * the same bytes, both must describe the same key (EVP_PKEY_eq, bits), else
 * abort.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Our facts of a key against OpenSSL's decoding of it. */
static void
agree(const struct cp_spki *s, EVP_PKEY *decoded)
{
	struct cp_keypub *k = cp_keypub_new(s);
	EVP_PKEY *ours = k != NULL ? cp_keypub_pkey(&k->s) : NULL;

	if (ours != NULL && decoded != NULL &&
	    (EVP_PKEY_eq(ours, decoded) != 1 || EVP_PKEY_get_bits(decoded) != s->bits))
		abort();
	EVP_PKEY_free(ours);
	free(k);
}

static void
key(const uint8_t *der, size_t len, enum cp_key_form form)
{
	static const int types[] = { EVP_PKEY_NONE, EVP_PKEY_RSA, EVP_PKEY_EC };
	const unsigned char *p = der;
	struct cp_spki s;
	EVP_PKEY *decoded;

	if (cp_key_pub_read(der, len, form, &s) != 0)
		return;
	if (s.pub == NULL || s.pub < der || s.pub + s.pub_len > der + len)
		abort(); /* out points into der */
	decoded = form == CP_KEY_PKCS8 ? d2i_AutoPrivateKey(NULL, &p, (long)len) :
					 d2i_PrivateKey(types[form], NULL, &p, (long)len);
	agree(&s, decoded);
	EVP_PKEY_free(decoded);
}

static void
cert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = cp_x509_d2i_lazy(&p, (long)len), *full;
	struct cp_spki s;

	if (x == NULL)
		return;
	full = cp_x509_full(x);
	if (cp_spki_read(x, &s) == 0)
		agree(&s, full != NULL ? X509_get0_pubkey(full) : NULL);
	(void)cp_x509_pubkey(x);
	X509_free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 4)
		cert(data + 1, size - 1);
	else
		key(data + 1, size - 1, (enum cp_key_form)(data[0] % 3));
	ERR_clear_error();
	return 0;
}
