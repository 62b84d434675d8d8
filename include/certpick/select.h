/*
 * Selection: which client certificate a given client sends for a given
 * CertificateRequest, and why every other candidate is not sent.
 *
 * A client profile is data: an ordered list of checks with parameters (key
 * usage and EKU rules, expiry filter, key-type and signature-algorithm
 * filters, byte-exact / string / normalized CA-name matching, walk of the
 * configured chain or of the whole store), the order of the survivors, and
 * whether the client shows a picker and what its auto-selection would take.
 * The rules and their sources: docs/select-profiles.md and
 * /work/shared/reference/client-selection.md.
 *
 * Lifecycle: profiles are static (never freed). certpick_select_run()
 * returns a heap struct certpick_selection that owns everything it points to
 * (strings are copies: it stays valid after the candidate set is freed);
 * certpick_selection_free() releases it.
 */
#ifndef CERTPICK_SELECT_H
#define CERTPICK_SELECT_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certpick/candidate.h"
#include "certpick/certreq.h"
#include "certpick/error.h"
#include "certpick/reason.h"

#ifdef __cplusplus
extern "C" {
#endif

struct certpick_profile;

/* Number of built-in profiles, and the i-th (table order). Borrowed: static. */
size_t certpick_profile_count(void);
const struct certpick_profile *certpick_profile_get(size_t i);
/* Look a profile up by name ("windows", "chrome", ...); NULL when unknown. */
const struct certpick_profile *certpick_profile_find(const char *name);
/* "chrome". Borrowed: static. */
const char *certpick_profile_name(const struct certpick_profile *p);
/* "Chrome on Linux (NSS store)". Borrowed: static. */
const char *certpick_profile_summary(const struct certpick_profile *p);
/* The client shows a certificate picker instead of sending by itself. */
bool certpick_profile_has_picker(const struct certpick_profile *p);

enum certpick_verdict {
	CERTPICK_VERDICT_FILTERED = 0,	/* the client does not consider it */
	CERTPICK_VERDICT_ELIGIBLE,	/* qualifies, but another one is sent / picked */
	CERTPICK_VERDICT_CHOSEN,	/* sent (or what auto-selection sends, with a picker) */
};
/* "filtered", "eligible", "chosen". Borrowed: static. */
const char *certpick_verdict_name(enum certpick_verdict v);

/* One check of a profile as applied to one candidate. Owned by the candidate result. */
struct certpick_trace_step {
	const char *check;	/* "key-usage", "issuer", ... Borrowed: static */
	bool passed;
	bool decisive;		/* a failure removes the candidate (else it only ranks or informs) */
	char *detail;		/* "issuer walk: CN=Int A1 -> CN=Root A, listed, byte-exact match" */
};

/* One certificate of a chain to send. */
struct certpick_chain_cert {
	char *subject;		/* RFC 4514; owned */
	char sha256[65];	/* lowercase hex of the DER */
};

struct certpick_sel_candidate {
	size_t index;		/* position in the candidate set (source order) */
	char *source;		/* owned copies */
	char *subject;
	char sha256[65];
	enum certpick_verdict verdict;
	struct certpick_findings reasons;	/* why filtered or not chosen (may be empty) */
	size_t n_trace;
	struct certpick_trace_step *trace;	/* every check, in profile order */
	size_t n_chain;
	struct certpick_chain_cert *chain;	/* leaf first, then intermediates to send */
	char *matched_ca;	/* RFC 4514 of the CA name that matched, or NULL */
};

struct certpick_selection {
	const struct certpick_profile *profile;
	size_t n;
	struct certpick_sel_candidate *v;	/* in candidate-set order */
	long chosen;		/* index into v sent without user action; -1: nothing */
	bool prompt;		/* the client shows a picker */
	long auto_choice;	/* index into v with auto-selection on; -1: nothing */
	struct certpick_findings findings;	/* about the whole selection */
	char *note;		/* one sentence on the outcome ("shows a picker with 2 ..."); owned */
};

struct certpick_select_options {
	time_t now;		/* 0: the current time */
	/* Optional: one line per decision ("-v"). */
	void (*trace)(void *arg, const char *line);
	void *trace_arg;
};

/*
 * Predict what the client of profile p does with request req, given the
 * candidates of set (finished). Returns -1 only on allocation failure or
 * misuse; "nothing qualifies" is a result (chosen = auto_choice = -1).
 * Caller owns *out; free it with certpick_selection_free().
 */
int certpick_select_run(const struct certpick_profile *p, const struct certpick_candset *set,
    const struct certpick_certreq *req, const struct certpick_select_options *opts,
    struct certpick_selection **out, struct certpick_error *err);

/* NULL is a no-op. */
void certpick_selection_free(struct certpick_selection *s);

/*
 * A typical signature_algorithms list (what an OpenSSL 3 server offers) for
 * TLS 1.2 or 1.3, used when a request is written by hand. Borrowed: static.
 */
const uint16_t *certpick_select_default_sigalgs(uint16_t tls_version, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
