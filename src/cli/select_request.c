/*
 * certpick select: where the request comes from. A saved probe (--request),
 * a live probe (URL), or by hand (--ca-names, --issuer, --sigalgs, --tls1.2,
 * --phase), default: TLS 1.3, at the handshake, no CA names, a typical
 * signature-scheme list. The phase of a saved or live request is the one the
 * server used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "render.h"
#include "certpick/select.h"

#include "certpick/probe.h"

static int
parse_sigalgs(const char *list, uint16_t **out, size_t *n)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;

	if (copy == NULL || (*out = calloc(strlen(list) / 2 + 2, sizeof(**out))) == NULL) {
		free(copy);
		return CLI_EXIT_INTERNAL;
	}
	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		if (certpick_sigalg_from_name(t, &(*out)[*n]) != 0) {
			fprintf(stderr,
			    "certpick: error: --sigalgs: unknown signature scheme '%s' "
			    "(IANA names, e.g. ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256)\n",
			    t);
			rc = CLI_EXIT_USAGE;
			break;
		}
		(*n)++;
	}
	if (rc == 0 && *n == 0) {
		fputs("certpick: error: --sigalgs: empty list\n", stderr);
		rc = CLI_EXIT_USAGE;
	}
	free(copy);
	return rc;
}

/* What the saved probe's server answered without a certificate ("" when the
 * file is not a probe object, or says nothing about it). */
static void
saved_answer(const char *path, char *answer, size_t len)
{
	json_t *o = json_load_file(path, 0, NULL), *http, *ev;
	const char *title;

	answer[0] = '\0';
	if (o == NULL)
		return;
	http = json_object_get(o, "http");
	ev = json_object_get(o, "evidence");
	if (json_is_object(http) && json_is_integer(json_object_get(http, "status"))) {
		title = json_string_value(json_object_get(http, "title"));
		snprintf(answer, len, title ? "HTTP %d (%s)" : "HTTP %d",
		    (int)json_integer_value(json_object_get(http, "status")), title);
	} else if (json_is_object(ev) && json_is_integer(json_object_get(ev, "alert"))) {
		int a = (int)json_integer_value(json_object_get(ev, "alert"));

		snprintf(answer, len, "TLS alert %d (%s)", a,
		    certpick_alert_name(a) ? certpick_alert_name(a) : "?");
	}
	json_decref(o);
}

static int
saved_request(const char *path, struct certpick_certreq **out)
{
	struct certpick_certreq_list list = { 0 };
	struct certpick_error err = { 0 };

	if (certpick_certreq_list_load_json(path, &list, &err) != 0)
		return cli_error(&err);
	if (list.n == 0) {
		fprintf(stderr,
		    "certpick: error: '%s' holds no CertificateRequest (the server "
		    "did not ask for a certificate)\n",
		    cli_esc(path));
		certpick_certreq_list_release(&list);
		return CLI_EXIT_INPUT;
	}
	if (list.n > 1)
		cli_warn("'%s' holds %zu requests; using the last (%s)", path, list.n,
		    certpick_phase_name(list.v[list.n - 1]->phase));
	*out = list.v[list.n - 1];
	list.v[list.n - 1] = NULL;
	certpick_certreq_list_release(&list);
	return 0;
}

void
cli_probe_answer(const struct certpick_probe_result *res, char *buf, size_t len)
{
	const struct certpick_probe_attempt *a = &res->without_cert;

	buf[0] = '\0';
	if (!a->ran)
		return;
	switch (a->end) {
	case CERTPICK_PROBE_END_HTTP:
		if (a->http.title != NULL)
			snprintf(buf, len, "HTTP %d (%s)", a->http.status, a->http.title);
		else
			snprintf(buf, len, "HTTP %d%s%s", a->http.status, a->http.reason ? " " : "",
			    a->http.reason ? a->http.reason : "");
		break;
	case CERTPICK_PROBE_END_ALERT:
		snprintf(buf, len, "TLS alert %d (%s)", a->alert,
		    certpick_alert_name(a->alert) ? certpick_alert_name(a->alert) : "?");
		break;
	case CERTPICK_PROBE_END_SERVICE:
		/* "smtp service: refused 554 (Relay access denied)" */
		snprintf(buf, len, "%s service: %s", res->protocol ? res->protocol : "the",
		    certpick_service_outcome_name(a->service.outcome));
		if (a->service.code >= 0)
			snprintf(buf + strlen(buf), len - strlen(buf), " %d", a->service.code);
		if (a->service.text != NULL)
			snprintf(buf + strlen(buf), len - strlen(buf), " (%s)", a->service.text);
		break;
	case CERTPICK_PROBE_END_CLOSED:
	case CERTPICK_PROBE_END_RESET:
	case CERTPICK_PROBE_END_TIMEOUT:
		snprintf(buf, len, "no %s answer (%s)", res->protocol ? res->protocol : "HTTP",
		    certpick_probe_end_name(a->end));
		break;
	default: break;
	}
}

/* Probe the URL and keep its last CertificateRequest (the one for the path). */
static int
live_request(const char *url, int timeout_ms, struct certpick_certreq **out, char *answer,
    size_t answer_len)
{
	struct certpick_probe_options o = { .trace = cli_trace, .timeout_ms = timeout_ms };
	struct certpick_probe_result *res = NULL;
	struct certpick_error err = { 0 };
	int rc = 0;

	if (certpick_probe_run(url, &o, &res, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (res->error.code != CERTPICK_OK) {
		cli_error(&res->error);
		rc = CLI_EXIT_NETWORK;
		goto out;
	}
	cli_probe_answer(res, answer, answer_len);
	for (size_t i = res->n_requests; i-- > 0;) {
		if (res->requests[i].req != NULL) {
			*out = res->requests[i].req;
			res->requests[i].req = NULL;
			break;
		}
	}
	if (*out == NULL) {
		fprintf(stderr, "certpick: error: '%s' did not ask for a client certificate (%s)\n",
		    cli_esc(url),
		    res->evidence_text ? cli_esc(res->evidence_text) : "no CertificateRequest");
		rc = CLI_EXIT_NETWORK;
	}
out:
	certpick_probe_result_free(res);
	return rc;
}

/* A request written by hand: --ca-names, --issuer, --sigalgs, --tls1.2, --phase. */
static int
hand_request(const struct cli_select_req_args *a, struct certpick_certreq **out)
{
	struct certpick_certreq_fields f = { 0 };
	struct certpick_error err = { 0 };
	struct certpick_dn_list pem = { 0 };
	struct certpick_dn *names = NULL;
	uint16_t *sig = NULL;
	size_t n_names = 0, n_sig = 0;
	int rc = 0;

	/* the subjects of --ca-names, as a server given that file would list them */
	if (a->ca_pem != NULL && certpick_dn_list_load_pem(a->ca_pem, &pem, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (pem.n > 0 && (names = calloc(pem.n, sizeof(*names))) == NULL) {
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	for (; n_names < pem.n; n_names++) {
		if (certpick_dn_copy(&names[n_names], &pem.v[n_names], &err) != 0) {
			rc = cli_error(&err);
			goto out;
		}
	}
	for (size_t i = 0; i < a->n_issuers; i++) {
		struct certpick_dn *grown = realloc(names, (n_names + 1) * sizeof(*names));

		if (grown == NULL) {
			rc = CLI_EXIT_INTERNAL;
			goto out;
		}
		names = grown;
		if (certpick_dn_init_rfc4514(&names[n_names], a->issuers[i], &err) != 0) {
			fprintf(stderr, "certpick: error: --issuer: not an RFC 4514 name: '%s'\n",
			    cli_esc(a->issuers[i]));
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		n_names++;
	}
	if (a->sigalgs != NULL && (rc = parse_sigalgs(a->sigalgs, &sig, &n_sig)) != 0)
		goto out;
	/* renegotiation exists only up to TLS 1.2 */
	f.tls_version =
	    a->tls12 || a->phase == CERTPICK_PHASE_RENEGOTIATION ? CERTPICK_TLS12 : CERTPICK_TLS13;
	f.phase = a->phase < 0 ? CERTPICK_PHASE_INITIAL : (enum certpick_phase)a->phase;
	f.ca_names = names;
	f.n_ca_names = n_names;
	f.sigalgs = sig;
	f.n_sigalgs = n_sig;
	if ((*out = certpick_certreq_build(&f, &err)) == NULL) {
		rc = cli_error(&err);
		goto out;
	}
	/* a request written by hand has no size a client would have seen */
	(*out)->size = 0;
out:
	for (size_t i = 0; i < n_names; i++)
		certpick_dn_release(&names[i]);
	free(names);
	certpick_dn_list_release(&pem);
	free(sig);
	return rc;
}

int
cli_select_request(const struct cli_select_req_args *a, struct certpick_certreq **out, char *answer,
    size_t answer_len)
{
	int rc;

	*out = NULL;
	answer[0] = '\0';
	if (a->file != NULL) {
		if ((rc = saved_request(a->file, out)) == 0)
			saved_answer(a->file, answer, answer_len);
	} else if (a->url != NULL) {
		rc = live_request(a->url, a->timeout_ms, out, answer, answer_len);
	} else {
		rc = hand_request(a, out);
	}
	if (rc == 0 && a->size > 0)
		(*out)->size = a->size;
	return rc;
}
