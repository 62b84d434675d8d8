/*
 * Target functions: certpick_check_run and the check rules (check.c,
 * check_rules.c), certpick_trust_build_paths (trust.c), on one arbitrary DER
 * certificate. Input: the first byte picks whether the certificate is also
 * trusted and whether it is given a key-store; the rest is the DER.
 */
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "certpick/certpick.h"
#include "certpick/openssl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certpick_error err;
	struct certpick_candset *set = NULL;
	struct certpick_trust *trust = NULL;
	struct certpick_check_result r = { 0 };
	struct certpick_check_options opts = { .now = 1893456000 };
	const unsigned char *p;
	X509 *x = NULL;

	if (size < 2)
		return 0;
	p = data + 1;
	if ((x = d2i_X509(NULL, &p, (long)(size - 1))) == NULL)
		goto out;
	if ((set = certpick_candset_new(&err)) == NULL ||
	    (trust = certpick_trust_new(&err)) == NULL)
		goto out;
	if ((data[0] & 1) && certpick_trust_add_x509(trust, x, &err) != 0)
		goto out;
	if (certpick_candset_add_x509(set, x, NULL, NULL, "fuzz",
		(data[0] & 2) ? CERTPICK_KEY_PKCS11 : CERTPICK_KEY_NONE, &err) != 0 ||
	    certpick_candset_finish(set, &err) != 0)
		goto out;
	opts.trust = trust;
	if (certpick_check_run(set, certpick_candset_get(set, 0), &opts, &r, &err) == 0) {
		if (certpick_check_result_path(&r) == NULL)
			abort();
		for (size_t i = 1; i < r.findings.n; i++)
			if (r.findings.v[i - 1].severity < r.findings.v[i].severity)
				abort();
	}
out:
	certpick_check_result_release(&r);
	certpick_trust_free(trust);
	certpick_candset_free(set);
	X509_free(x);
	ERR_clear_error(); /* see fuzz_dn.c: keeps mallocs == frees */
	return 0;
}
