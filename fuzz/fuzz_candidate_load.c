/*
 * Target functions: certpick_candset_add_memory, certpick_candset_finish,
 * certpick_trust_build_paths and the candidate getters (candidate.c,
 * candidate_load.c: PEM, DER and PKCS#12 parsing, key pairing; trust.c).
 * Input: the first byte picks the format (AUTO, PEM, DER, PKCS12), whether
 * a password ("test") is given (bit 2) and whether public keys are parsed
 * lazily (bit 3) with the keys released (bit 4: with bit 3, select's way,
 * keys read only as far as pairing needs); the rest is the file's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "certpick/certpick.h"
#include "certpick/openssl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum certpick_format formats[] = { CERTPICK_FORMAT_AUTO, CERTPICK_FORMAT_PEM,
		CERTPICK_FORMAT_DER, CERTPICK_FORMAT_PKCS12 };
	struct certpick_error err;
	struct certpick_load_options opts = { 0 };
	struct certpick_candset *set;
	size_t len;

	if (size < 1)
		return 0;
	opts.password = (data[0] & 4) ? "test" : NULL;
	opts.lazy_public_keys = (data[0] & 8) != 0;
	opts.release_keys = (data[0] & 16) != 0;
	/*
	 * Key derivation is the slow part: seed-lowiter-* files use 16 iterations
	 * and reach every bag; files at 2,048 are refused early, which fuzzes the
	 * iteration-count check (pbe.c) itself.
	 */
	opts.max_pbe_iterations = 64;
	if ((set = certpick_candset_new(&err)) == NULL)
		return 0;
	(void)certpick_candset_add_memory(set, data + 1, size - 1, "fuzz", formats[data[0] & 3],
	    &opts, &err);
	if (certpick_candset_finish(set, &err) == 0) {
		for (size_t i = 0; i < certpick_candset_count(set); i++) {
			const struct certpick_candidate *c = certpick_candset_get(set, i);
			struct certpick_paths paths = { 0 };

			(void)certpick_candidate_der(c, &len);
			(void)certpick_candidate_key_type(c);
			(void)certpick_candidate_key_bits(c);
			(void)certpick_candidate_pfx_csp(c);
			if (strlen(certpick_candidate_sha256(c)) != 64)
				abort();
			if (certpick_trust_build_paths(NULL, set, c, &paths, &err) == 0 &&
			    paths.n == 0)
				abort();
			certpick_paths_release(&paths);
		}
	}
	certpick_candset_free(set);
	return 0;
}
