/*
 * Is a candidate fit for TLS client authentication?
 *
 * certpick_check_run() judges one candidate: its key (present, matching),
 * key usage, extended key usage, validity at the given time, key size,
 * signature hashes, CA flag, self-signature, the Windows attributes of a
 * .pfx, and its chain: every path to a trust anchor is built (trust.h), each
 * is verified with OpenSSL (signatures, validity, path length, name
 * constraints, the CAs' EKU) and the first that verifies is chosen; when
 * none does, the best-ranked one is reported with what is wrong with it.
 * Each problem is a finding with a stable id from reason.h ("check" section).
 *
 * The library never reads the clock here: opts->now is the time judged.
 *
 * Lifecycle: zero-initialize a struct certpick_check_result, run, read,
 * certpick_check_result_release().
 */
#ifndef CERTPICK_CHECK_H
#define CERTPICK_CHECK_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "certpick/candidate.h"
#include "certpick/error.h"
#include "certpick/reason.h"
#include "certpick/trust.h"

#ifdef __cplusplus
extern "C" {
#endif

struct certpick_check_options {
	time_t now;			    /* the moment validity is judged at */
	const struct certpick_trust *trust; /* NULL: nothing is trusted */
	int expires_soon_days;		    /* expires-soon threshold; 0 means 30 */
};

struct certpick_check_result {
	struct certpick_findings findings; /* most severe first */
	struct certpick_paths paths;	   /* every path found, best first */
	size_t chosen;			   /* index in paths of the path judged */
	bool chain_ok;			   /* the chosen path ends at a trusted
						 * certificate and verifies */
};

/*
 * Judge candidate c of set (set gives the pool of certificates to build
 * chains from). out must be zero-initialized. Returns -1 only when the tool
 * failed (allocation); a bad certificate is a finding, not an error.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_check_run(const struct certpick_candset *set,
    const struct certpick_candidate *c, const struct certpick_check_options *opts,
    struct certpick_check_result *out, struct certpick_error *err);

/* Free what r owns and zero it. NULL is a no-op. */
CERTPICK_API void certpick_check_result_release(struct certpick_check_result *r);

/* The chosen path, or NULL when there is none. Borrowed from r. */
CERTPICK_API const struct certpick_path *certpick_check_result_path(
    const struct certpick_check_result *r);

/*
 * Whether a CSP name (from a .pfx) is a legacy CryptoAPI provider: the
 * Base, Strong, Enhanced, "Enhanced RSA and AES" (SHA-2 but no RSA-PSS),
 * SChannel, DSS and smart-card CSPs. Key Storage Providers (CNG) are not.
 */
CERTPICK_API bool certpick_check_csp_is_legacy(const char *csp);

#ifdef __cplusplus
}
#endif
#endif
