/*
 * Selection: when the client is asked, and the outcome. A request made at the
 * handshake reaches every client; one made after the HTTP request (TLS 1.2
 * renegotiation, TLS 1.3 post-handshake auth) reaches a client only if the
 * profile says so (profiles.c, with sources). The outcome is then one of
 * enum certpick_outcome, each with its reason id from reason.h.
 */
#include <stdlib.h>
#include <string.h>

#include "select_int.h"

static const struct certpick_phase_support at_handshake = {
	.reach = CERTPICK_REACH_ASKED,
	.source = "RFC 5246 7.4.4, RFC 8446 4.3.2: a request in the handshake reaches every "
		  "client",
};

/* see certpick/select.h */
const struct certpick_phase_support *
certpick_profile_phase(const struct certpick_profile *p, enum certpick_phase ph)
{
	if (p == NULL)
		return NULL;
	switch (ph) {
	case CERTPICK_PHASE_INITIAL: return &at_handshake;
	case CERTPICK_PHASE_RENEGOTIATION: return &p->renegotiation;
	case CERTPICK_PHASE_POST_HANDSHAKE: return &p->post_handshake;
	default: return NULL;
	}
}

/* see certpick/select.h */
const char *
certpick_reach_name(enum certpick_reach r)
{
	switch (r) {
	case CERTPICK_REACH_ASKED: return "asked";
	case CERTPICK_REACH_NOT_OFFERED: return "not-offered";
	case CERTPICK_REACH_IGNORED: return "ignored";
	case CERTPICK_REACH_FAILS: return "fails";
	default: return "?";
	}
}

/* see certpick/select.h */
const char *
certpick_outcome_name(enum certpick_outcome o)
{
	switch (o) {
	case CERTPICK_OUTCOME_SENDS: return "sends";
	case CERTPICK_OUTCOME_SENDS_THEN_FAILS: return "sends-then-fails";
	case CERTPICK_OUTCOME_SENDS_NOTHING: return "sends-nothing";
	case CERTPICK_OUTCOME_PICKER: return "picker";
	case CERTPICK_OUTCOME_NEVER_ASKED: return "never-asked";
	case CERTPICK_OUTCOME_FAILS_CONNECTION: return "fails-connection";
	default: return "?";
	}
}

/* The reason of a request that does not reach the client. */
static enum certpick_reason
unreached_reason(enum certpick_reach r)
{
	switch (r) {
	case CERTPICK_REACH_FAILS: return CERTPICK_REASON_SEL_RENEGOTIATION_REFUSED;
	case CERTPICK_REACH_IGNORED: return CERTPICK_REASON_SEL_NEVER_ASKED_RENEGOTIATION;
	case CERTPICK_REACH_NOT_OFFERED:
	default: return CERTPICK_REASON_SEL_NEVER_ASKED_PHA;
	}
}

/* The outcome of a client that receives the request. */
static void
asked_outcome(struct certpick_selection *s, bool then_fails)
{
	if (s->prompt) {
		s->outcome = CERTPICK_OUTCOME_PICKER;
		s->outcome_reason = CERTPICK_REASON_SEL_OUTCOME_PICKER;
	} else if (s->chosen >= 0 && then_fails) {
		s->outcome = CERTPICK_OUTCOME_SENDS_THEN_FAILS;
		s->outcome_reason = CERTPICK_REASON_SEL_OUTCOME_SENDS_THEN_FAILS;
	} else if (s->chosen >= 0) {
		s->outcome = CERTPICK_OUTCOME_SENDS;
		s->outcome_reason = CERTPICK_REASON_SEL_OUTCOME_SENDS;
	} else {
		s->outcome = CERTPICK_OUTCOME_SENDS_NOTHING;
		s->outcome_reason = CERTPICK_REASON_SEL_OUTCOME_SENDS_NOTHING;
	}
}

/* "never asked (...): the server answers ...; if it were asked, it would send X" */
static char *
unreached_note(const struct certpick_selection *s, const char *answer)
{
	const char *what =
	    s->reach == CERTPICK_REACH_FAILS ? "fails the connection" : "never asked";
	const char *how = s->phase == CERTPICK_PHASE_POST_HANDSHAKE ?
	    "it does not offer TLS 1.3 post-handshake auth" :
	    s->reach == CERTPICK_REACH_FAILS ?
	    "it refuses TLS 1.2 renegotiation" :
	    "it does not act on the TLS 1.2 renegotiation request";

	return cp_asprintf("%s (%s)%s%s; if it were asked: %s", what, how,
	    answer ? "; the server then answers " : "", answer ? answer : "",
	    s->note ? s->note : "?");
}

/* Move the last finding to the front: the reader sees it first. */
static void
first_finding(struct certpick_findings *f)
{
	struct certpick_finding last;

	if (f->n < 2)
		return;
	last = f->v[f->n - 1];
	memmove(&f->v[1], &f->v[0], (f->n - 1) * sizeof(f->v[0]));
	f->v[0] = last;
}

/* Drop the findings about a picker that is never shown. */
static void
drop_picker_findings(struct certpick_findings *f)
{
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].reason == CERTPICK_REASON_SEL_AUTOSELECT_NO_MATCH) {
			free(f->v[i].detail);
			continue;
		}
		f->v[k++] = f->v[i];
	}
	f->n = k;
}

/* The request does not reach the client: nothing is sent, whatever it holds. */
static int
unreached(struct certpick_selection *s, const struct certpick_phase_support *ps,
    const struct certpick_select_options *opts)
{
	/* the probe's answer is what a client that offers no PHA gets; after a
	 * refused or ignored renegotiation there is no HTTP answer */
	const char *answer =
	    opts != NULL && s->reach == CERTPICK_REACH_NOT_OFFERED ? opts->server_answer : NULL;
	char *note;

	s->outcome = s->reach == CERTPICK_REACH_FAILS ? CERTPICK_OUTCOME_FAILS_CONNECTION :
							CERTPICK_OUTCOME_NEVER_ASKED;
	s->outcome_reason = unreached_reason(s->reach);
	drop_picker_findings(&s->findings);
	if ((note = unreached_note(s, answer)) == NULL)
		return -1;
	free(s->note);
	s->note = note;
	if (cp_findings_add(&s->findings, s->outcome_reason, "%s%s%s%s",
		ps->setting ? "client setting: " : "no client setting changes it",
		ps->setting ? ps->setting : "", answer ? "; the server answers " : "",
		answer ? answer : "") != 0)
		return -1;
	first_finding(&s->findings);
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].verdict != CERTPICK_VERDICT_CHOSEN)
			continue;
		s->v[i].verdict = CERTPICK_VERDICT_ELIGIBLE;
		if (cp_findings_add(&s->v[i].reasons, s->outcome_reason,
			"it would be sent if the request reached the client") != 0)
			return -1;
	}
	s->chosen = s->auto_choice = -1;
	s->prompt = false;
	return 0;
}

/* see select_int.h */
int
cp_select_outcome(const struct certpick_profile *p, const struct certpick_certreq *req,
    const struct certpick_select_options *opts, struct certpick_selection *s, bool then_fails)
{
	const struct certpick_phase_support *ps = certpick_profile_phase(p, req->phase);

	s->phase = req->phase;
	s->if_asked = s->chosen >= 0 ? s->chosen : s->auto_choice;
	s->reach = ps != NULL ? ps->reach : CERTPICK_REACH_ASKED;
	if (opts != NULL && opts->assume_asked)
		s->reach = CERTPICK_REACH_ASKED;
	if (s->reach == CERTPICK_REACH_ASKED) {
		asked_outcome(s, then_fails);
		return 0;
	}
	return unreached(s, ps, opts);
}
