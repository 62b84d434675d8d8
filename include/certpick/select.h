/*
 * Selection: which client certificate a given client sends for a given
 * CertificateRequest, and why every other candidate is not sent.
 *
 * A client profile is data: an ordered list of checks with parameters (key
 * usage and EKU rules, expiry filter, key-type and signature-algorithm
 * filters, byte-exact / string / normalized CA-name matching, walk of the
 * configured chain or of the whole store), the order of the survivors, and
 * whether the client shows a picker and what its auto-selection would take,
 * and whether a request made after the handshake (TLS 1.2 renegotiation,
 * TLS 1.3 post-handshake auth) reaches the client at all. A selection ends
 * in one outcome (enum certpick_outcome) with a stable reason id. The rules
 * and their sources: src/lib/profiles.c and docs/cli/select.md (each rule
 * tagged with how it is known: source read, vendor docs, run here).
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
CERTPICK_API size_t certpick_profile_count(void);
CERTPICK_API const struct certpick_profile *certpick_profile_get(size_t i);
/* Look a profile up by name ("windows", "chrome", ...); NULL when unknown. */
CERTPICK_API CERTPICK_MUST_CHECK const struct certpick_profile *certpick_profile_find(
    const char *name);
/* "chrome". Borrowed: static. */
CERTPICK_API const char *certpick_profile_name(const struct certpick_profile *p);
/* "Chrome on Linux (NSS store)". Borrowed: static. */
CERTPICK_API const char *certpick_profile_summary(const struct certpick_profile *p);
/* The client shows a certificate picker instead of sending by itself. */
CERTPICK_API bool certpick_profile_has_picker(const struct certpick_profile *p);

/*
 * When the client is asked. A server asks for a certificate at the handshake,
 * or only after an HTTP request for a given path: by TLS 1.2 renegotiation
 * (a HelloRequest, then a new handshake) or by TLS 1.3 post-handshake
 * authentication (PHA; only if the client offered the post_handshake_auth
 * extension in its ClientHello). Whether a request in a phase reaches the
 * client is a property of the client, stated per profile with its source.
 */
enum certpick_reach {
	CERTPICK_REACH_ASKED = 0,   /* the client receives the request and answers it */
	CERTPICK_REACH_NOT_OFFERED, /* never asked: no post_handshake_auth in its ClientHello */
	CERTPICK_REACH_IGNORED,	    /* never asked: it does not act on the HelloRequest */
	CERTPICK_REACH_FAILS,	    /* it ends the connection (refuses to renegotiate) */
};
/* "asked", "not-offered", "ignored", "fails". Borrowed: static. */
CERTPICK_API const char *certpick_reach_name(enum certpick_reach r);

/* What a client does with a request in one phase. Everything is static. */
struct certpick_phase_support {
	enum certpick_reach reach; /* with the client's default settings */
	const char *setting;	   /* what changes it ("about:config ..."); NULL: nothing */
	const char *alpn;	   /* the protocols it is possible over; NULL: any */
	const char *source;	   /* [S] source read, [T] run here, [D], [I], [X] */
};

/*
 * How the client of p handles a request sent in phase ph, by default.
 * Borrowed: static (never NULL for a valid phase; NULL otherwise).
 */
CERTPICK_API const struct certpick_phase_support *
certpick_profile_phase(const struct certpick_profile *p, enum certpick_phase ph);

/*
 * The outcome of a selection: what the server sees from this client.
 * Each has a stable name and a reason id (certpick_selection.outcome_reason).
 */
enum certpick_outcome {
	CERTPICK_OUTCOME_SENDS = 0,	   /* sends v[chosen] */
	CERTPICK_OUTCOME_SENDS_THEN_FAILS, /* sends v[chosen], then the handshake fails */
	CERTPICK_OUTCOME_SENDS_NOTHING,	   /* answers with an empty Certificate */
	CERTPICK_OUTCOME_PICKER,      /* shows a picker; auto_choice: what auto-selection sends */
	CERTPICK_OUTCOME_NEVER_ASKED, /* the request never reaches the client */
	CERTPICK_OUTCOME_FAILS_CONNECTION, /* the client ends the connection instead */
};
/* "sends", "sends-then-fails", "sends-nothing", "picker", "never-asked",
 * "fails-connection". Borrowed: static. */
CERTPICK_API const char *certpick_outcome_name(enum certpick_outcome o);

enum certpick_verdict {
	CERTPICK_VERDICT_FILTERED = 0, /* the client does not consider it */
	CERTPICK_VERDICT_ELIGIBLE,     /* qualifies, but another one is sent / picked */
	CERTPICK_VERDICT_CHOSEN,       /* sent (or what auto-selection sends, with a picker) */
};
/* "filtered", "eligible", "chosen". Borrowed: static. */
CERTPICK_API const char *certpick_verdict_name(enum certpick_verdict v);

/* One check of a profile as applied to one candidate. Owned by the candidate result. */
struct certpick_trace_step {
	const char *check; /* "key-usage", "issuer", ... Borrowed: static */
	bool passed;
	bool decisive; /* a failure removes the candidate (else it only ranks or informs) */
	char *detail;  /* "issuer walk: CN=Int A1 -> CN=Root A, listed, byte-exact match" */
};

/* One certificate of a chain to send. */
struct certpick_chain_cert {
	char *subject;	 /* RFC 4514; owned */
	char sha256[65]; /* lowercase hex of the DER */
};

struct certpick_sel_candidate {
	size_t index; /* position in the candidate set (source order) */
	char *source; /* owned copies */
	char *subject;
	char sha256[65];
	enum certpick_verdict verdict;
	struct certpick_findings reasons; /* why filtered or not chosen (may be empty) */
	size_t n_trace;
	struct certpick_trace_step *trace; /* every check, in profile order */
	size_t n_chain;
	struct certpick_chain_cert *chain; /* leaf first, then intermediates to send */
	char *matched_ca;		   /* RFC 4514 of the CA name that matched, or NULL */
};

struct certpick_selection {
	const struct certpick_profile *profile;
	size_t n;
	struct certpick_sel_candidate *v; /* in candidate-set order */
	/* chosen, prompt and auto_choice describe what reaches the server: when
	 * the request never reaches the client (outcome never-asked or
	 * fails-connection) they are -1, false, -1, and if_asked keeps the pick */
	long chosen;			   /* index into v sent without user action; -1: nothing */
	bool prompt;			   /* the client shows a picker */
	long auto_choice;		   /* index into v with auto-selection on; -1: nothing */
	struct certpick_findings findings; /* about the whole selection */
	char *note; /* one sentence on the outcome ("shows a picker with 2 ..."); owned */
	enum certpick_phase phase; /* when the server asks (the request's phase) */
	enum certpick_reach reach; /* whether the request reaches this client */
	enum certpick_outcome outcome;
	enum certpick_reason outcome_reason; /* the stable id of the outcome (and why) */
	long if_asked; /* index into v it would send (or auto-select) if the request
				 * reached it; equals chosen/auto_choice when it is asked */
};

struct certpick_select_options {
	time_t now; /* 0: the current time */
	/* Optional: one line per decision ("-v"). */
	void (*trace)(void *arg, const char *line);
	void *trace_arg;
	/* What the server answered without a certificate, when known (a probe):
	 * "HTTP 403 (403.7)". Copied into the never-asked-pha finding (the answer a
	 * client that offers no PHA gets). May be NULL. */
	const char *server_answer;
	/* Predict as if the request reached the client whatever its phase (the
	 * caller answers it for the client: get --any-phase). */
	bool assume_asked;
};

/*
 * Predict what the client of profile p does with request req, given the
 * candidates of set (finished). Returns -1 only on allocation failure or
 * misuse; "nothing qualifies" is a result (chosen = auto_choice = -1).
 * Caller owns *out; free it with certpick_selection_free().
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_select_run(const struct certpick_profile *p,
    const struct certpick_candset *set, const struct certpick_certreq *req,
    const struct certpick_select_options *opts, struct certpick_selection **out,
    struct certpick_error *err);

/* NULL is a no-op. */
CERTPICK_API void certpick_selection_free(struct certpick_selection *s);

/*
 * A typical signature_algorithms list (what an OpenSSL 3 server offers) for
 * TLS 1.2 or 1.3, used when a request is written by hand. Borrowed: static.
 */
CERTPICK_API const uint16_t *certpick_select_default_sigalgs(uint16_t tls_version, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
