/*
 * certpick select: text and JSON from the same struct certpick_selection
 * (one client, or every client with disagreements marked).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"
#include "certpick/select.h"

static json_t *
json_chain(const struct certpick_sel_candidate *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < c->n_chain; i++)
		cli_json_append(a,
		    json_pack("{s:o, s:s}", "subject", cli_json_str(c->chain[i].subject), "sha256",
			c->chain[i].sha256));
	return a;
}

static json_t *
json_pick(const struct certpick_selection *s, long i)
{
	const struct certpick_sel_candidate *c;

	if (i < 0)
		return json_null();
	c = &s->v[i];
	return json_pack("{s:o, s:s, s:o, s:o, s:o}", "source", cli_json_str(c->source), "sha256",
	    c->sha256, "subject", cli_json_str(c->subject), "chain", json_chain(c), "matched_ca",
	    cli_json_str(c->matched_ca));
}

/* Whether and how the request reaches this client, with the source. */
static json_t *
json_phase(const struct certpick_selection *s)
{
	const struct certpick_phase_support *ps = certpick_profile_phase(s->profile, s->phase);

	return json_pack("{s:s, s:b, s:s, s:s?, s:s?, s:s?}", "phase",
	    certpick_phase_name(s->phase), "receives", s->reach == CERTPICK_REACH_ASKED, "reach",
	    certpick_reach_name(s->reach), "setting", ps ? ps->setting : NULL, "alpn",
	    ps ? ps->alpn : NULL, "source", ps ? ps->source : NULL);
}

static json_t *
json_outcome(const struct certpick_selection *s)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "kind", certpick_outcome_name(s->outcome), "id",
	    certpick_reason_id(s->outcome_reason), "message",
	    certpick_reason_text(s->outcome_reason), "hint",
	    certpick_reason_hint(s->outcome_reason));
}

static json_t *
json_candidate(const struct certpick_selection *s, size_t i)
{
	const struct certpick_sel_candidate *c = &s->v[i];
	json_t *trace = json_array();

	for (size_t k = 0; k < c->n_trace; k++)
		cli_json_append(trace,
		    json_pack("{s:s, s:b, s:b, s:o}", "check", c->trace[k].check, "passed",
			c->trace[k].passed, "decisive", c->trace[k].decisive, "detail",
			cli_json_str(c->trace[k].detail)));
	return json_pack("{s:o, s:s, s:o, s:s, s:o, s:o, s:o}", "source", cli_json_str(c->source),
	    "sha256", c->sha256, "subject", cli_json_str(c->subject), "verdict",
	    certpick_verdict_name(c->verdict), "reasons", cli_json_findings(&c->reasons), "trace",
	    trace, "chain", json_chain(c));
}

static json_t *
candidate_at(void *arg, size_t i)
{
	return json_candidate(arg, i);
}

/* The selection; its candidates only when `all` (else an empty array, streamed after). */
static json_t *
json_selection_of(const struct certpick_selection *s, const struct certpick_certreq *req, bool all)
{
	json_t *o;
	json_t *cands = json_array(), *names = json_array(), *sigs = json_array();

	for (size_t i = 0; i < req->n_ca_names; i++)
		cli_json_append(names, cli_json_dn(&req->ca_names[i]));
	for (size_t i = 0; i < req->n_sigalgs; i++) {
		const char *n = certpick_sigalg_name(req->sigalgs[i]);
		char hex[8];

		snprintf(hex, sizeof(hex), "0x%04x", req->sigalgs[i]);
		cli_json_append(sigs, cli_json_str(n ? n : hex));
	}
	for (size_t i = 0; all && i < s->n; i++)
		cli_json_append(cands, json_candidate(s, i));
	o = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:o, s:o, s:I}, s:o, s:b, s:o, s:o, s:o, s:o}",
	    "schema", 1, "client", certpick_profile_name(s->profile), "summary",
	    certpick_profile_summary(s->profile), "request", "tls_version",
	    certpick_tls_version_name(req->tls_version), "phase", certpick_phase_name(req->phase),
	    "ca_names", names, "signature_algorithms", sigs, "size", (json_int_t)req->size,
	    "chosen", json_pick(s, s->chosen), "prompt", s->prompt, "auto_choice",
	    json_pick(s, s->auto_choice), "note", cli_json_str(s->note), "findings",
	    cli_json_findings(&s->findings), "candidates", cands);
	if (o != NULL) {
		cli_json_set(o, "asked", json_phase(s));
		cli_json_set(o, "outcome", json_outcome(s));
		cli_json_set(o, "if_asked", json_pick(s, s->if_asked));
	}
	return o;
}

static json_t *
json_selection(const struct certpick_selection *s, const struct certpick_certreq *req)
{
	return json_selection_of(s, req, true);
}

static void
text_request(const struct certpick_certreq *req)
{
	/* a request at the handshake is the usual case: said only in JSON */
	static const char *const when[] = { "",
		"after the HTTP request, by TLS 1.2 renegotiation, ",
		"after the HTTP request, by TLS 1.3 post-handshake auth, " };

	printf("%srequest:%s %s, %s", cli_c_bold(), cli_c_reset(),
	    req->tls_version >= CERTPICK_TLS13 ? "TLS 1.3" : "TLS 1.2",
	    (unsigned)req->phase < 3 ? when[req->phase] : "");
	if (req->n_ca_names == 0)
		printf("no CA names (any issuer)");
	else
		printf("%zu CA name%s", req->n_ca_names, req->n_ca_names == 1 ? "" : "s");
	printf(", %zu signature scheme%s", req->n_sigalgs, req->n_sigalgs == 1 ? "" : "s");
	if (req->size > 0)
		printf(", %zu bytes", req->size);
	putchar('\n');
	for (size_t i = 0; i < req->n_ca_names && i < 10; i++)
		printf("  - %s\n",
		    req->ca_names[i].rfc4514 ? cli_esc(req->ca_names[i].rfc4514) :
					       "(invalid name)");
	if (req->n_ca_names > 10)
		printf("  ... and %zu more\n", req->n_ca_names - 10);
}

static void
text_selection(const struct certpick_selection *s)
{
	long sent = s->chosen >= 0 ? s->chosen : s->auto_choice;

	printf("%sclient:%s %s (%s)\n", cli_c_bold(), cli_c_reset(),
	    certpick_profile_name(s->profile), certpick_profile_summary(s->profile));
	printf("%soutcome:%s %s\n", cli_c_bold(), cli_c_reset(), cli_esc(s->note));
	if (sent >= 0) {
		const struct certpick_sel_candidate *c = &s->v[sent];

		printf("  chain to send:");
		for (size_t i = 0; i < c->n_chain; i++)
			printf("%s %s", i ? " <-" : "", cli_esc(c->chain[i].subject));
		putchar('\n');
		if (c->matched_ca != NULL)
			printf("  ends at the listed CA: %s\n", cli_esc(c->matched_ca));
	}
	for (size_t i = 0; i < s->findings.n; i++)
		cli_text_finding(stdout, &s->findings.v[i], "  ");
	for (size_t i = 0; i < s->n; i++) {
		const struct certpick_sel_candidate *c = &s->v[i];
		const char *col = c->verdict == CERTPICK_VERDICT_CHOSEN ? cli_c_green() :
		    c->verdict == CERTPICK_VERDICT_ELIGIBLE		? cli_c_yellow() :
									  cli_c_red();

		printf("\n[%zu] %s%-8s%s %s\n    source: %s\n", i + 1, col,
		    certpick_verdict_name(c->verdict), cli_c_reset(), cli_esc(c->subject),
		    cli_esc(c->source));
		for (size_t k = 0; k < c->n_trace; k++)
			printf("    %s %s: %s\n",
			    c->trace[k].passed	     ? "ok  " :
				c->trace[k].decisive ? "FAIL" :
						       "rank",
			    c->trace[k].check, cli_esc(c->trace[k].detail));
		for (size_t k = 0; k < c->reasons.n; k++)
			cli_text_finding(stdout, &c->reasons.v[k], "    ");
	}
}

/* The candidate a client sends (or would with auto-selection), as a label. */
static const char *
sent_label(const struct certpick_selection *s)
{
	long i = s->chosen >= 0 ? s->chosen : s->auto_choice;

	return i >= 0 ? s->v[i].sha256 : "";
}

/* The "asked" column: does the request reach the client? */
static const char *
asked_label(const struct certpick_selection *s)
{
	switch (s->reach) {
	case CERTPICK_REACH_ASKED: return "yes";
	case CERTPICK_REACH_NOT_OFFERED: return "never: no PHA";
	case CERTPICK_REACH_IGNORED: return "never";
	case CERTPICK_REACH_FAILS: return "fails";
	default: return "?";
	}
}

static const char *
sends_nothing_label(const struct certpick_selection *s)
{
	switch (s->outcome) {
	case CERTPICK_OUTCOME_NEVER_ASKED: return "nothing (never asked)";
	case CERTPICK_OUTCOME_FAILS_CONNECTION: return "nothing (connection fails)";
	default: return "nothing";
	}
}

static int
render_all(struct certpick_selection **sel, size_t n, const struct certpick_certreq *req, bool json)
{
	const char *majority = "";
	size_t best = 0;
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		size_t same = 0;

		for (size_t j = 0; j < n; j++)
			same += strcmp(sent_label(sel[i]), sent_label(sel[j])) == 0;
		if (same > best) {
			best = same;
			majority = sent_label(sel[i]);
		}
		any |= sel[i]->chosen >= 0 || sel[i]->prompt;
	}
	if (json) {
		json_t *clients = json_array();

		for (size_t i = 0; i < n; i++) {
			json_t *o = json_selection(sel[i], req);

			json_object_del(o, "schema");
			cli_json_set(o, "disagrees",
			    json_boolean(strcmp(sent_label(sel[i]), majority) != 0));
			cli_json_append(clients, o);
		}
		if (cli_json_print(json_pack("{s:i, s:s, s:o}", "schema", 1, "client", "all",
				       "clients", clients),
			false) != 0)
			return CLI_EXIT_INTERNAL;
		return any ? CLI_EXIT_OK : CLI_EXIT_NO;
	}
	text_request(req);
	printf("\n  %-10s %-14s %-7s %-36s %s\n", "client", "asked", "picker",
	    "sends (no user action)", "with auto-selection");
	for (size_t i = 0; i < n; i++) {
		const struct certpick_selection *s = sel[i];
		bool odd = strcmp(sent_label(s), majority) != 0;

		printf("%s %-10s %-14s %-7s %-36s %s\n", odd ? "*" : " ",
		    certpick_profile_name(s->profile), asked_label(s), s->prompt ? "yes" : "no",
		    s->chosen >= 0 ? cli_esc(s->v[s->chosen].subject) :
			s->prompt  ? "(waits on the picker)" :
				     sends_nothing_label(s),
		    s->auto_choice >= 0 ? cli_esc(s->v[s->auto_choice].subject) :
					  sends_nothing_label(s));
	}
	printf("\n* disagrees with the most common outcome. 'certpick select --client NAME' "
	       "explains one client.\n");
	return any ? CLI_EXIT_OK : CLI_EXIT_NO;
}

int
cli_select_render(const char *client, const struct certpick_candset *set,
    const struct certpick_certreq *req, time_t at, bool json, const char *answer)
{
	struct certpick_selection *sel[64] = { 0 };
	struct certpick_select_options o = { .now = at,
		.trace = cli_trace,
		.server_answer = answer != NULL && answer[0] != '\0' ? answer : NULL };
	struct certpick_error err = { 0 };
	bool all = strcmp(client, "all") == 0;
	size_t n = all ? certpick_profile_count() : 1;
	int rc;

	if (n > CLI_NELEM(sel))
		n = CLI_NELEM(sel);
	for (size_t i = 0; i < n; i++) {
		const struct certpick_profile *p =
		    all ? certpick_profile_get(i) : certpick_profile_find(client);

		if (certpick_select_run(p, set, req, &o, &sel[i], &err) != 0) {
			rc = cli_error(&err);
			goto out;
		}
	}
	if (all) {
		rc = render_all(sel, n, req, json);
	} else {
		rc = sel[0]->chosen >= 0 || (sel[0]->prompt) ? CLI_EXIT_OK : CLI_EXIT_NO;
		if (json) {
			if (cli_json_print_streamed(json_selection_of(sel[0], req, false),
				"candidates", sel[0]->n, candidate_at, sel[0]) != 0)
				rc = CLI_EXIT_INTERNAL;
		} else {
			text_request(req);
			text_selection(sel[0]);
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		certpick_selection_free(sel[i]);
	return rc;
}

/* One selection, as `certpick select --client NAME` renders it (get, demo). */
json_t *
cli_json_selection(const struct certpick_selection *s, const struct certpick_certreq *req)
{
	return json_selection(s, req);
}

void
cli_text_selection(const struct certpick_selection *s, const struct certpick_certreq *req)
{
	text_request(req);
	text_selection(s);
}
