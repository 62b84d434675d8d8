/*
 * certpick_select_run(): turns a candidate set into the engine's facts
 * (select_cert.c) through the OpenSSL bridge, then runs the engine.
 */
#include "select_int.h"

#include "certpick/openssl.h"

/* see certpick/select.h */
int
certpick_select_run(const struct certpick_profile *p, const struct certpick_candset *set,
    const struct certpick_certreq *req, const struct certpick_select_options *opts,
    struct certpick_selection **out, struct certpick_error *err)
{
	struct cp_selstore store = { 0 };
	struct cp_selcand *cands = NULL;
	size_t n = set != NULL ? certpick_candset_count(set) : 0;
	STACK_OF(X509) *pool;
	int ret = -1;

	*out = NULL;
	if (n > 0 && (cands = cp_calloc(n, sizeof(*cands))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	/* candidates first, so that a store walk finds them in source order */
	for (size_t i = 0; i < n; i++) {
		const struct certpick_candidate *cand = certpick_candset_get(set, i);
		STACK_OF(X509) *chain = certpick_candidate_get0_chain(cand);
		int nc = chain != NULL ? sk_X509_num(chain) : 0;

		cands[i].index = i;
		cands[i].source = certpick_candidate_source(cand);
		cands[i].key_store = certpick_candidate_key_store(cand);
		cands[i].has_key = cands[i].key_store != CERTPICK_KEY_NONE &&
		    !certpick_candidate_has_key_mismatch(cand);
		if (cp_selstore_add_known(&store, certpick_candidate_get0_x509(cand),
			certpick_candidate_sha256(cand), certpick_candidate_subject(cand),
			certpick_candidate_issuer(cand), &cands[i].leaf, err) != 0)
			goto out;
		if (nc > 0 &&
		    (cands[i].chain = cp_calloc((size_t)nc, sizeof(*cands[i].chain))) == NULL) {
			cp_error_nomem(err);
			goto out;
		}
		for (int j = 0; j < nc; j++)
			if (cp_selstore_add(&store, sk_X509_value(chain, j),
				&cands[i].chain[cands[i].n_chain++], err) != 0)
				goto out;
	}
	pool = set != NULL ? certpick_candset_get0_pool(set) : NULL;
	for (int j = 0; pool != NULL && j < sk_X509_num(pool); j++) {
		const struct cp_selcert *ignored;

		if (cp_selstore_add(&store, sk_X509_value(pool, j), &ignored, err) != 0)
			goto out;
	}
	ret = cp_select_run_facts(p, cands, n, &store, req, opts, out, err);
out:
	for (size_t i = 0; cands != NULL && i < n; i++)
		free(cands[i].chain);
	free(cands);
	cp_selstore_release(&store);
	return ret;
}
