/*
 * Target function: cp_crls_parse (crl.c): the CRLs check --crl and serve
 * --crl read, a PEM bundle (other blocks skipped) or one DER CRL; then what
 * check asks of each (issuer, dates, entries).
 * Input: the file's bytes.
 */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
read_back(const X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED((X509_CRL *)crl);

	(void)X509_NAME_hash_ex(X509_CRL_get_issuer(crl), NULL, NULL, NULL);
	(void)X509_cmp_time(X509_CRL_get0_lastUpdate(crl), NULL);
	if (X509_CRL_get0_nextUpdate(crl) != NULL)
		(void)X509_cmp_time(X509_CRL_get0_nextUpdate(crl), NULL);
	for (int i = 0; i < sk_X509_REVOKED_num(rev); i++)
		(void)X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, i));
}

/* Error data of a failed parse is cleared after each input (fuzz_dn.c says why). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certpick_error err;
	STACK_OF(X509_CRL) *crls;

	if ((crls = sk_X509_CRL_new_null()) == NULL)
		return 0;
	(void)cp_crls_parse(data, size, "fuzz", crls, &err);
	for (int i = 0; i < sk_X509_CRL_num(crls); i++)
		read_back(sk_X509_CRL_value(crls, i));
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	ERR_clear_error();
	return 0;
}
