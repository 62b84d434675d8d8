/*
 * certpick get (and demo): probe -> select -> request, and the explanation
 * of the answer, rendered as text and JSON from the same structs. The probe
 * and selection parts reuse their commands' renderers.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

/* The request the client answers: the last one of the connection (the path's). */
static const struct certpick_certreq *
last_request(const struct certpick_probe_result *p)
{
	for (size_t i = p->n_requests; i-- > 0;)
		if (p->requests[i].req != NULL)
			return p->requests[i].req;
	return NULL;
}

int
cli_get_flow(const char *url, const struct certpick_candset *set,
    const struct certpick_profile *profile, const struct certpick_probe_options *po,
    const struct certpick_get_options *go, bool any_phase, time_t now, struct cli_get_run *r,
    struct certpick_error *err)
{
	struct certpick_select_options so = { .now = now,
		.trace = cli_trace,
		.assume_asked = any_phase };
	struct certpick_get_options like = *go;
	char answer[256];
	const struct certpick_candidate *cand = NULL;
	const struct certpick_sel_candidate *sc = NULL;

	memset(r, 0, sizeof(*r));
	r->sent = -1;
	r->profile = profile;
	if (certpick_probe_run(url, po, &r->probe, err) != 0)
		return -1;
	if (r->probe->error.code != CERTPICK_OK)
		return 0;
	r->req = last_request(r->probe);
	if (!any_phase) {
		/* as the client would: PHA offered, renegotiation answered, or not */
		like.no_pha =
		    certpick_profile_phase(profile, CERTPICK_PHASE_POST_HANDSHAKE)->reach !=
		    CERTPICK_REACH_ASKED;
		like.no_renegotiation =
		    certpick_profile_phase(profile, CERTPICK_PHASE_RENEGOTIATION)->reach !=
		    CERTPICK_REACH_ASKED;
	}
	cli_probe_answer(r->probe, answer, sizeof(answer));
	so.server_answer = answer[0] != '\0' ? answer : NULL;
	if (r->req != NULL) {
		if (certpick_select_run(profile, set, r->req, &so, &r->sel, err) != 0)
			return -1;
		r->sent = r->sel->chosen >= 0 ? r->sel->chosen : r->sel->auto_choice;
		if (r->sent >= 0) {
			sc = &r->sel->v[r->sent];
			cand = certpick_candset_get(set, sc->index);
		}
	}
	return certpick_get_run(url, set, cand, sc, &like, &r->get, err);
}

void
cli_get_run_release(struct cli_get_run *r)
{
	certpick_probe_result_free(r->probe);
	certpick_selection_free(r->sel);
	certpick_get_result_free(r->get);
	memset(r, 0, sizeof(*r));
}

static bool
cert_alert(int a)
{
	/* handshake_failure, bad/unsupported/revoked/expired/unknown certificate,
	 * unknown_ca, access_denied, certificate_required */
	return a == 40 || (a >= 42 && a <= 46) || a == 48 || a == 49 || a == 116;
}

/*
 * Another scheme than https, and the server asked for a certificate, then
 * closed the connection (in the handshake or after it) without an alert and
 * without the service's verdict: its refusal of the certificate sent (or of
 * none). slapd with TLSVerifyClient demand (GnuTLS) does so; the probe reads
 * it the same way ("closed: refused").
 */
static bool
cut_off_after_asking(const struct certpick_get_result *g)
{
	return g->protocol != NULL && g->end == CERTPICK_PROBE_END_CLOSED && g->n_requests > 0 &&
	    g->alert < 0 && g->service.outcome == CERTPICK_SERVICE_UNKNOWN;
}

int
cli_get_exit(const struct cli_get_run *r)
{
	const struct certpick_get_result *g = r->get;

	if (r->probe != NULL && r->probe->error.code != CERTPICK_OK && g == NULL)
		return cli_exit_for(&r->probe->error);
	if (g == NULL)
		return CLI_EXIT_INTERNAL;
	if (g->status >= 200 && g->status < 400)
		return CLI_EXIT_OK;
	if (g->protocol != NULL &&
	    (g->service.outcome == CERTPICK_SERVICE_ACCEPTED ||
		g->service.outcome == CERTPICK_SERVICE_HANDSHAKE_ONLY) &&
	    g->error.code == CERTPICK_OK)
		return CLI_EXIT_OK;
	if (g->protocol != NULL &&
	    (g->service.outcome == CERTPICK_SERVICE_REFUSED ||
		g->service.outcome == CERTPICK_SERVICE_NOT_OFFERED))
		return CLI_EXIT_NO;
	if (g->status >= 400)
		return CLI_EXIT_NO;
	if (g->alert >= 0 && cert_alert(g->alert))
		return CLI_EXIT_NO;
	if (cut_off_after_asking(g))
		return CLI_EXIT_NO;
	return g->error.code != CERTPICK_OK ? cli_exit_for(&g->error) : CLI_EXIT_NETWORK;
}

static const char *
tls_name(uint16_t v)
{
	return v == CERTPICK_TLS13 ? "TLSv1.3" : v == CERTPICK_TLS12 ? "TLSv1.2" : "-";
}

static const char *
when_asked(const struct certpick_certreq *req)
{
	switch (req->phase) {
	case CERTPICK_PHASE_INITIAL: return "in the handshake";
	case CERTPICK_PHASE_RENEGOTIATION: return "only for this path (TLS 1.2 renegotiation)";
	case CERTPICK_PHASE_POST_HANDSHAKE: return "only for this path (TLS 1.3 post-handshake)";
	default: return "?";
	}
}

static void
text_chain(FILE *fp, const struct certpick_sel_candidate *c)
{
	for (size_t i = 0; i < c->n_chain; i++)
		fprintf(fp, "%s%s", i ? " <- " : "", cli_esc(c->chain[i].subject));
}

/*
 * The server's own words, quoted: one line, whitespace folded, controls
 * escaped (certpick/outtext.h), at most ADVICE_MAX bytes. The server is
 * whoever answered: its text must not move the cursor, retitle the
 * terminal or forge lines of the explanation (F1).
 */
#define ADVICE_MAX 600

static void
print_advice(FILE *fp, const char *text, size_t len)
{
	char buf[ADVICE_MAX + 1];
	size_t n = certpick_text_escape(buf, sizeof(buf), text, len, CERTPICK_TEXT_FOLD);

	if (n == 0)
		return;
	fprintf(fp, "  the server says: \"%s%s\"\n", buf, n >= sizeof(buf) ? " [...]" : "");
}

/* The HTML advice paragraph of certpick serve's pages, entities decoded. */
static void
html_advice(FILE *fp, const char *body)
{
	static const struct {
		const char *ent, *c;
	} ents[] = { { "&#39;", "'" }, { "&quot;", "\"" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&amp;", "&" } };
	const char *p = strstr(body, "id=\"advice\">"), *end;
	char text[4 * ADVICE_MAX];
	size_t n = 0;

	if (p == NULL || (end = strstr(p += 12, "</p>")) == NULL)
		return;
	while (p < end && n < sizeof(text)) {
		size_t k;

		for (k = 0; k < CLI_NELEM(ents); k++)
			if (strncmp(p, ents[k].ent, strlen(ents[k].ent)) == 0)
				break;
		if (k < CLI_NELEM(ents)) {
			text[n++] = ents[k].c[0];
			p += strlen(ents[k].ent);
		} else {
			text[n++] = *p++;
		}
	}
	print_advice(fp, text, n);
}

/*
 * certpick serve (and JSON APIs) say why: "advice" or "message". get asks for
 * JSON first (get.c); the HTML advice is read only when the caller asked for
 * HTML with -H Accept (or a server ignored the Accept header).
 */
static void
server_advice(FILE *fp, const struct certpick_get_result *g)
{
	json_t *o, *v;

	if (g->status < 400 || g->body_len == 0)
		return;
	if (g->body[0] != '{') {
		html_advice(fp, (const char *)g->body);
		return;
	}
	if ((o = json_loadb((const char *)g->body, g->body_len, 0, NULL)) == NULL)
		return;
	if (json_is_string(v = json_object_get(o, "advice")) ||
	    json_is_string(v = json_object_get(o, "message")))
		print_advice(fp, json_string_value(v), json_string_length(v));
	json_decref(o);
}

/* "smtp service: refused 554 \"5.7.1 Relay access denied\"" */
static void
text_service(FILE *fp, const struct certpick_get_result *g)
{
	bool ok = g->service.outcome == CERTPICK_SERVICE_ACCEPTED ||
	    g->service.outcome == CERTPICK_SERVICE_HANDSHAKE_ONLY;

	fprintf(fp, "%s%s service: %s", ok ? cli_c_green() : cli_c_red(), cli_esc(g->protocol),
	    g->service.outcome == CERTPICK_SERVICE_HANDSHAKE_ONLY ?
		"handshake completed" :
		certpick_service_outcome_name(g->service.outcome));
	if (g->service.code >= 0)
		fprintf(fp, " %d", g->service.code);
	if (g->service.text != NULL)
		fprintf(fp, " \"%s\"", cli_esc(g->service.text));
	if (g->service.identity != NULL)
		fprintf(fp, ", as %s", cli_esc(g->service.identity));
	fputs(cli_c_reset(), fp);
}

/* A JSON answer's "title" (certpick serve gives its page's title there). */
static void
json_title(FILE *fp, const struct certpick_get_result *g)
{
	json_t *o, *v;

	if (g->body_len == 0 || g->body[0] != '{' ||
	    (o = json_loadb((const char *)g->body, g->body_len, 0, NULL)) == NULL)
		return;
	if (json_is_string(v = json_object_get(o, "title")))
		fprintf(fp, "  the page says: %s\n", cli_esc(json_string_value(v)));
	json_decref(o);
}

static void
text_outcome(FILE *fp, const struct cli_get_run *r)
{
	const struct certpick_get_result *g = r->get;

	if (g->status > 0)
		fprintf(fp, "%sHTTP %d%s%s%s", g->status < 400 ? cli_c_green() : cli_c_red(),
		    g->status, g->reason ? " " : "", cli_esc(g->reason), cli_c_reset());
	else if (g->protocol != NULL && g->error.code == CERTPICK_OK)
		text_service(fp, g);
	else if (cut_off_after_asking(g))
		fprintf(fp,
		    "%s%s service: no verdict: the server asked for a certificate and closed "
		    "the connection %s, without an alert%s",
		    cli_c_red(), cli_esc(g->protocol),
		    g->tls_version != 0 ? "after the handshake" : "in the handshake",
		    cli_c_reset());
	else if (g->alert >= 0)
		fprintf(fp, "%sTLS %salert %d (%s)%s", cli_c_red(),
		    g->alert_fatal ? "" : "warning ", g->alert,
		    certpick_alert_name(g->alert) ? certpick_alert_name(g->alert) : "?",
		    cli_c_reset());
	else
		fprintf(fp, "%sno answer%s: %s", cli_c_red(), cli_c_reset(),
		    cli_esc(g->error.message));
	fprintf(fp, " (%s", tls_name(g->tls_version));
	if (g->address != NULL)
		fprintf(fp, ", %s", cli_esc(g->address));
	fputs(")\n", fp);
	if (g->http.title != NULL && g->status >= 400)
		fprintf(fp, "  the page says: %s\n", cli_esc(g->http.title));
	else if (g->status >= 400)
		json_title(fp, g);
	server_advice(fp, g);
}

/* Filtered candidates and their reasons (with the fix of each). */
static void
text_others(FILE *fp, const struct cli_get_run *r)
{
	size_t shown = 0;

	for (size_t i = 0; i < r->sel->n; i++) {
		const struct certpick_sel_candidate *c = &r->sel->v[i];

		if ((long)i == r->sent)
			continue;
		if (shown++ == 0)
			fprintf(fp, "  why %s certificates were not sent (client %s):\n",
			    r->sent >= 0 ? "the other" : "the", certpick_profile_name(r->profile));
		fprintf(fp, "    [%zu] %s %s (%s)\n", i + 1, certpick_verdict_name(c->verdict),
		    cli_esc(c->subject), cli_esc(c->source));
		for (size_t k = 0; k < c->reasons.n; k++)
			cli_text_finding(fp, &c->reasons.v[k], "      ");
	}
}

void
cli_get_explain(FILE *fp, const struct cli_get_run *r)
{
	const struct certpick_get_result *g = r->get;
	const struct certpick_certreq *req = r->req;
	bool failed = cli_get_exit(r) != CLI_EXIT_OK;

	text_outcome(fp, r);
	if (req == NULL) {
		fprintf(fp, "  the server did not ask for a client certificate (%s)\n",
		    r->probe->evidence_text ? cli_esc(r->probe->evidence_text) :
					      "no CertificateRequest");
		if (failed)
			fputs("  what to change: this refusal is not about a client certificate\n",
			    fp);
		return;
	}
	fprintf(fp, "  the server asked %s, %s, naming %zu CA%s%s\n", when_asked(req),
	    tls_name(req->tls_version), req->n_ca_names, req->n_ca_names == 1 ? "" : "s",
	    req->n_ca_names ? ":" : " (any issuer)");
	for (size_t i = 0; i < req->n_ca_names && i < 10; i++)
		fprintf(fp, "    - %s\n",
		    req->ca_names[i].rfc4514 ? cli_esc(req->ca_names[i].rfc4514) :
					       "(invalid name)");
	if (req->n_ca_names > 10)
		fprintf(fp, "    ... and %zu more\n", req->n_ca_names - 10);
	if (r->sent >= 0) {
		fprintf(fp, "  %s sent: ", certpick_profile_name(r->profile));
		text_chain(fp, &r->sel->v[r->sent]);
		fprintf(fp, "\n    from %s%s\n", cli_esc(r->sel->v[r->sent].source),
		    g->certificate_sent ? "" : " (but the server never asked on this connection)");
	} else if (r->sel->outcome == CERTPICK_OUTCOME_SENDS_NOTHING) {
		fprintf(fp, "  %s sent no certificate\n", certpick_profile_name(r->profile));
	} else {
		fprintf(fp, "  %s sent no certificate: %s\n", certpick_profile_name(r->profile),
		    r->sel->note);
	}
	if (!failed)
		return;
	text_others(fp, r);
	if (g->protocol != NULL && strcmp(g->protocol, "smtp") == 0 &&
	    g->service.outcome == CERTPICK_SERVICE_NOT_OFFERED) {
		fputs("  what to change: nothing was asked of the certificate (no AUTH EXTERNAL); "
		      "to see whether the server relays for it, give --mail-from and --rcpt-to\n",
		    fp);
		return;
	}
	if (r->sel->outcome == CERTPICK_OUTCOME_NEVER_ASKED ||
	    r->sel->outcome == CERTPICK_OUTCOME_FAILS_CONNECTION)
		fprintf(fp, "  what to change: %s\n", certpick_reason_hint(r->sel->outcome_reason));
	else if (r->sent >= 0)
		fprintf(fp,
		    "  what to change: the server refused the certificate it asked for "
		    "(%s); 'certpick check --trust SERVER-CA.pem %s' "
		    "shows every problem of the certificate\n",
		    cut_off_after_asking(g) ? "its log says why" :
			g->protocol != NULL ? "its answer above says why" :
					      "its answer, with -i, says why",
		    r->sel->v[r->sent].source);
	else if (r->sel->n == 0)
		fputs("  what to change: give certpick the certificate to send (a file, folder, "
		      ".p12, --nssdb or --pkcs11 source)\n",
		    fp);
	else
		fputs("  what to change: use a certificate issued under a CA named above, with its "
		      "private key, clientAuth in its EKU, digitalSignature in its KU, valid now "
		      "(each fix above)\n",
		    fp);
}

json_t *
cli_get_json(const struct cli_get_run *r, const char *url)
{
	const struct certpick_get_result *g = r->get;
	json_t *reqs = json_array(), *sent = json_null();

	for (size_t i = 0; g != NULL && i < g->n_requests; i++)
		if (g->requests[i].req != NULL)
			cli_json_append(reqs, cli_json_certreq(g->requests[i].req));
	if (r->sent >= 0) {
		const struct certpick_sel_candidate *c = &r->sel->v[r->sent];
		json_t *chain = json_array();

		for (size_t i = 0; i < c->n_chain; i++)
			cli_json_append(chain,
			    json_pack("{s:o, s:s}", "subject", cli_json_str(c->chain[i].subject),
				"sha256", c->chain[i].sha256));
		sent = json_pack("{s:o, s:o, s:s, s:o}", "source", cli_json_str(c->source),
		    "subject", cli_json_str(c->subject), "sha256", c->sha256, "chain", chain);
	}
	return json_pack(
	    "{s:i, s:o, s:s, s:i, s:o, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "schema",
	    1, "url", cli_json_str(url), "client", certpick_profile_name(r->profile), "status",
	    g ? g->status : 0, "reason", g && g->reason ? cli_json_str(g->reason) : json_null(),
	    "tls_version", tls_name(g ? g->tls_version : 0), "certificate_sent",
	    g ? g->certificate_sent : false, "sent", sent, "alert",
	    g && g->alert >= 0 ? json_pack("{s:i, s:s?, s:b}", "code", g->alert, "name",
				     certpick_alert_name(g->alert), "fatal", g->alert_fatal) :
				 json_null(),
	    "requests", reqs, "service",
	    g && g->protocol != NULL ?
		json_pack("{s:s, s:s, s:o, s:o, s:o}", "protocol", g->protocol, "outcome",
		    certpick_service_outcome_name(g->service.outcome), "code",
		    g->service.code >= 0 ? json_integer(g->service.code) : json_null(), "text",
		    g->service.text ? cli_json_str(g->service.text) : json_null(), "identity",
		    g->service.identity ? cli_json_str(g->service.identity) : json_null()) :
		json_null(),
	    "probe", r->probe ? cli_json_probe(r->probe, NULL) : json_null(), "selection",
	    r->sel ? cli_json_selection(r->sel, r->req) : json_null(), "error",
	    g && g->error.code != CERTPICK_OK			? cli_json_error(&g->error) :
		r->probe && r->probe->error.code != CERTPICK_OK ? cli_json_error(&r->probe->error) :
								  json_null(),
	    "end", certpick_probe_end_name(g ? g->end : CERTPICK_PROBE_END_NONE));
}
