/* Text and JSON renderings of a probe result (docs/cli/probe.md), from the same structs. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? cli_json_str(s) : json_null();
}

static json_t *
json_hex(const uint8_t *p, size_t len)
{
	char *h = certpick_hex(p, len);
	json_t *v = h != NULL ? cli_json_str(h) : NULL; /* NULL: the command fails */

	free(h);
	return v;
}

static json_t *
json_code_name(const char *name, unsigned code, int width)
{
	char buf[16];

	if (name != NULL)
		return cli_json_str(name);
	snprintf(buf, sizeof(buf), "0x%0*x", width, code);
	return cli_json_str(buf);
}

static json_t *
json_sigalgs(const uint16_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		cli_json_append(a, json_code_name(certpick_sigalg_name(v[i]), v[i], 4));
	return a;
}

/* see render.h */
json_t *
cli_json_certreq(const struct certpick_certreq *r)
{
	json_t *o = json_object(), *names = json_array(), *types = json_array(),
	       *exts = json_array();

	cli_json_set(o, "phase", cli_json_str(certpick_phase_name(r->phase)));
	cli_json_set(o, "tls_version",
	    cli_json_str(r->tls_version == CERTPICK_TLS13 ? "TLSv1.3" : "TLSv1.2"));
	for (size_t i = 0; i < r->n_ca_names; i++)
		cli_json_append(names, cli_json_dn(&r->ca_names[i]));
	cli_json_set(o, "ca_names", names);
	for (size_t i = 0; i < r->n_cert_types; i++)
		cli_json_append(types,
		    json_code_name(certpick_cert_type_name(r->cert_types[i]), r->cert_types[i], 2));
	cli_json_set(o, "certificate_types", types);
	cli_json_set(o, "signature_algorithms", json_sigalgs(r->sigalgs, r->n_sigalgs));
	if (r->has_sigalgs_cert)
		cli_json_set(o, "signature_algorithms_cert",
		    json_sigalgs(r->sigalgs_cert, r->n_sigalgs_cert));
	if (r->tls_version == CERTPICK_TLS13)
		cli_json_set(o, "certificate_request_context",
		    json_hex(r->context, r->context_len));
	for (size_t i = 0; i < r->n_extensions; i++) {
		const struct certpick_cr_extension *x = &r->extensions[i];

		cli_json_append(exts,
		    json_pack("{s:i, s:o, s:o}", "type", (int)x->type, "name",
			json_str_or_null(certpick_extension_name(x->type)), "data",
			json_hex(x->data, x->len)));
	}
	cli_json_set(o, "extensions", exts);
	if (r->n_oid_filters > 0) {
		json_t *f = json_array();

		for (size_t i = 0; i < r->n_oid_filters; i++)
			cli_json_append(f,
			    json_pack("{s:s, s:o}", "oid", r->oid_filters[i].oid, "values",
				json_hex(r->oid_filters[i].values, r->oid_filters[i].values_len)));
		cli_json_set(o, "oid_filters", f);
	}
	cli_json_set(o, "size", json_integer((json_int_t)r->size));
	cli_json_set(o, "findings", cli_json_findings(&r->findings));
	cli_json_set(o, "raw", json_hex(r->raw, r->raw_len));
	return o;
}

static json_t *
json_alert(const struct certpick_probe_attempt *a)
{
	if (a->alert < 0)
		return json_null();
	return json_pack("{s:i, s:o, s:b, s:b}", "code", a->alert, "name",
	    json_str_or_null(certpick_alert_name(a->alert)), "after_request",
	    a->alert_after_request, "fatal", a->alert_fatal);
}

static json_t *
json_http(const struct certpick_probe_http *h)
{
	if (h->status == 0)
		return json_null();
	return json_pack("{s:i, s:o, s:o, s:o}", "status", h->status, "reason",
	    json_str_or_null(h->reason), "title", json_str_or_null(h->title), "server",
	    json_str_or_null(h->server));
}

/* "a b  c" -> ["a","b","c"] */
static json_t *
json_words(const char *s)
{
	json_t *a = json_array();

	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, " ");

		if (n > 0) {
			char *w = strndup(s, n);

			cli_json_append(a, w != NULL ? cli_json_str(w) : NULL);
			free(w);
		}
		s += n;
		s += strspn(s, " ");
	}
	return a;
}

/* A non-HTTP service's verdict (docs/json.md "service"); null for https. */
static json_t *
json_service(const struct certpick_probe_result *r, const struct certpick_probe_attempt *a)
{
	const struct certpick_probe_service *v = &a->service;

	if (r->protocol == NULL)
		return json_null();
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "protocol", r->protocol,
	    "outcome", certpick_service_outcome_name(v->outcome), "code",
	    v->code >= 0 ? json_integer(v->code) : json_null(), "text", json_str_or_null(v->text),
	    "identity", json_str_or_null(v->identity), "capabilities",
	    v->capabilities != NULL ? json_words(v->capabilities) : json_null(), "banner",
	    json_str_or_null(v->banner), "offers_external", v->offers_external, "sent_auth",
	    v->sent_auth);
}

static const char *
tls_name(uint16_t v)
{
	return v == 0x0304 ? "TLSv1.3" :
	    v == 0x0303	   ? "TLSv1.2" :
	    v == 0x0302	   ? "TLSv1.1" :
	    v == 0x0301	   ? "TLSv1" :
			     NULL;
}

/* see render.h */
json_t *
cli_json_probe(const struct certpick_probe_result *r, const char *cert_file)
{
	const struct certpick_probe_attempt *a = &r->without_cert;
	json_t *o = json_object(), *reqs = json_array();

	cli_json_set(o, "schema", json_integer(1));
	cli_json_set(o, "target", cli_json_str(r->target ? r->target : ""));
	cli_json_set(o, "scheme", json_str_or_null(r->scheme));
	cli_json_set(o, "address", json_str_or_null(r->address));
	cli_json_set(o, "servername", json_str_or_null(r->servername));
	cli_json_set(o, "path", json_str_or_null(r->path));
	cli_json_set(o, "client_auth", cli_json_str(certpick_client_auth_name(r->client_auth)));
	cli_json_set(o, "evidence",
	    json_pack("{s:s, s:o, s:o}", "kind", certpick_probe_end_name(r->evidence), "text",
		json_str_or_null(r->evidence_text), "alert", json_alert(a)));
	cli_json_set(o, "tls",
	    a->handshake_done ?
		json_pack("{s:o, s:o, s:o}", "version", json_str_or_null(tls_name(a->tls_version)),
		    "cipher", json_str_or_null(a->cipher), "alpn", json_str_or_null(a->alpn)) :
		json_null());
	for (size_t i = 0; i < r->n_requests; i++) {
		const struct certpick_probe_request *q = &r->requests[i];

		if (q->req != NULL)
			cli_json_append(reqs, cli_json_certreq(q->req));
		else
			cli_json_append(reqs,
			    json_pack("{s:s, s:s, s:i, s:o}", "phase",
				certpick_phase_name(q->phase), "tls_version",
				q->tls_version == CERTPICK_TLS13 ? "TLSv1.3" : "TLSv1.2", "size",
				(int)q->size, "error",
				cli_json_str(q->parse_error ? q->parse_error : "malformed")));
	}
	cli_json_set(o, "requests", reqs);
	cli_json_set(o, "http", json_http(&a->http));
	cli_json_set(o, "service", json_service(r, a));
	if (r->with_cert.ran)
		cli_json_set(o, "with_certificate",
		    json_pack("{s:o, s:b, s:b, s:s, s:o, s:o, s:o}", "file",
			json_str_or_null(cert_file), "sent", r->with_cert.certificate_sent,
			"accepted", r->cert_accepted, "end",
			certpick_probe_end_name(r->with_cert.end), "alert",
			json_alert(&r->with_cert), "http", json_http(&r->with_cert.http), "service",
			json_service(r, &r->with_cert)));
	cli_json_set(o, "alpn_h2", r->alpn_h2 < 0 ? json_null() : json_boolean(r->alpn_h2));
	cli_json_set(o, "findings", cli_json_findings(&r->findings));
	cli_json_set(o, "error",
	    r->error.code != CERTPICK_OK ? cli_json_error(&r->error) : json_null());
	cli_json_set(o, "elapsed_ms", json_integer((json_int_t)r->ms));
	return o;
}

static void
text_list_sigalgs(FILE *fp, const char *label, const uint16_t *v, size_t n)
{
	fprintf(fp, "  %-22s", label);
	for (size_t i = 0; i < n; i++) {
		const char *name = certpick_sigalg_name(v[i]);

		if (name != NULL)
			fprintf(fp, "%s%s", i ? ", " : "", name);
		else
			fprintf(fp, "%s0x%04x", i ? ", " : "", v[i]);
	}
	fputc('\n', fp);
}

static void
text_request(FILE *fp, size_t i, const struct certpick_probe_request *q)
{
	const struct certpick_certreq *r = q->req;

	fprintf(fp, "\n%srequest %zu%s: %s, %s, %zu bytes\n", cli_c_bold(), i + 1, cli_c_reset(),
	    certpick_phase_name(q->phase), q->tls_version == CERTPICK_TLS13 ? "TLSv1.3" : "TLSv1.2",
	    q->size);
	if (r == NULL) {
		fprintf(fp, "  %smalformed%s: %s\n", cli_c_red(), cli_c_reset(),
		    cli_esc(q->parse_error));
		return;
	}
	if (r->n_ca_names == 0)
		fprintf(fp, "  %-22s%s\n", "CA names",
		    r->has_ca_extension ? "none (empty extension)" :
					  "none: any certificate may be offered");
	else
		fprintf(fp, "  CA names (%zu):\n", r->n_ca_names);
	for (size_t k = 0; k < r->n_ca_names; k++) {
		char h[17];

		if (k == 100 && r->n_ca_names > 110) {
			fprintf(fp, "    ... %zu more (all of them with --json)\n",
			    r->n_ca_names - k);
			break;
		}
		certpick_dn_short_hash(&r->ca_names[k], h, 8);
		fprintf(fp, "    %s  %s[%s]%s\n",
		    r->ca_names[k].rfc4514 == NULL	  ? "(not a valid DER name)" :
			r->ca_names[k].rfc4514[0] == '\0' ? "(empty name)" :
							    cli_esc(r->ca_names[k].rfc4514),
		    cli_c_dim(), h, cli_c_reset());
	}
	if (r->tls_version == CERTPICK_TLS12) {
		fprintf(fp, "  %-22s", "certificate types");
		for (size_t k = 0; k < r->n_cert_types; k++) {
			const char *name = certpick_cert_type_name(r->cert_types[k]);

			if (name != NULL)
				fprintf(fp, "%s%s", k ? ", " : "", name);
			else
				fprintf(fp, "%s0x%02x", k ? ", " : "", r->cert_types[k]);
		}
		fputc('\n', fp);
	}
	text_list_sigalgs(fp, "signature algorithms", r->sigalgs, r->n_sigalgs);
	if (r->has_sigalgs_cert)
		text_list_sigalgs(fp, "sigalgs for certs", r->sigalgs_cert, r->n_sigalgs_cert);
	for (size_t k = 0; k < r->n_oid_filters; k++)
		fprintf(fp, "  %-22s%s (%zu bytes of values)\n", k == 0 ? "oid_filters" : "",
		    r->oid_filters[k].oid, r->oid_filters[k].values_len);
	if (r->n_extensions > 0) {
		fprintf(fp, "  %-22s", "extensions");
		for (size_t k = 0; k < r->n_extensions; k++) {
			const char *name = certpick_extension_name(r->extensions[k].type);

			fprintf(fp, "%s%s (%u, %zu bytes)", k ? ", " : "", name ? name : "unknown",
			    r->extensions[k].type, r->extensions[k].len);
		}
		fputc('\n', fp);
	}
	for (size_t k = 0; k < r->findings.n; k++)
		cli_text_finding(fp, &r->findings.v[k], "  ");
}

static const char *
auth_colour(enum certpick_client_auth a)
{
	switch (a) {
	case CERTPICK_CLIENT_AUTH_REQUIRED: return cli_c_red();
	case CERTPICK_CLIENT_AUTH_OPTIONAL: return cli_c_yellow();
	case CERTPICK_CLIENT_AUTH_NONE: return cli_c_green();
	default: return "";
	}
}

/* "refused: 554 \"Relay access denied\"" */
static void
text_service_verdict(FILE *fp, const struct certpick_probe_service *v, bool words_only)
{
	/* words_only: the line ends with "accepted"/"refused" anyway; say the rest */
	if (words_only &&
	    (v->outcome == CERTPICK_SERVICE_ACCEPTED || v->outcome == CERTPICK_SERVICE_REFUSED) &&
	    (v->code >= 0 || v->text != NULL)) {
		if (v->code >= 0)
			fprintf(fp, "%d", v->code);
		if (v->text != NULL)
			fprintf(fp, "%s\"%s\"", v->code >= 0 ? " " : "", cli_esc(v->text));
		return;
	}
	fputs(v->outcome == CERTPICK_SERVICE_HANDSHAKE_ONLY ?
		"handshake completed" :
		certpick_service_outcome_name(v->outcome),
	    fp);
	if (v->code >= 0 || v->text != NULL)
		fputs(":", fp);
	if (v->code >= 0)
		fprintf(fp, " %d", v->code);
	if (v->text != NULL)
		fprintf(fp, " \"%s\"", cli_esc(v->text));
}

/* What a non-HTTP service said without a certificate. */
static void
text_service(FILE *fp, const struct certpick_probe_result *r)
{
	const struct certpick_probe_service *v = &r->without_cert.service;

	if (r->protocol == NULL ||
	    (r->without_cert.end != CERTPICK_PROBE_END_SERVICE && v->text == NULL &&
		v->banner == NULL))
		return;
	fprintf(fp, "%-13s%s: ", "service", cli_esc(r->protocol));
	text_service_verdict(fp, v, false);
	fputc('\n', fp);
	if (v->banner != NULL)
		fprintf(fp, "%-13s%s\n", "banner", cli_esc(v->banner));
	if (v->capabilities != NULL)
		fprintf(fp, "%-13s%s%s\n", "capabilities", cli_esc(v->capabilities),
		    v->offers_external ? " (certificate authentication offered)" : "");
	if (v->identity != NULL)
		fprintf(fp, "%-13s%s\n", "identity", cli_esc(v->identity));
}

/* see render.h */
void
cli_text_probe(FILE *fp, const struct certpick_probe_result *r, const char *cert_file)
{
	const struct certpick_probe_attempt *a = &r->without_cert;

	fprintf(fp, "%-13s%s", "target", cli_esc(r->target));
	if (r->address != NULL)
		fprintf(fp, " (%s%s%s)", cli_esc(r->address), r->servername ? ", SNI " : "",
		    cli_esc(r->servername));
	fprintf(fp, "\n%-13s%s%s%s%s\n", "client auth", cli_c_bold(), auth_colour(r->client_auth),
	    certpick_client_auth_name(r->client_auth), cli_c_reset());
	fprintf(fp, "%-13s%s\n", "evidence", r->evidence_text ? cli_esc(r->evidence_text) : "-");
	if (r->error.code != CERTPICK_OK)
		fprintf(fp, "%-13s%s%s%s\n", "error", cli_esc(r->error.message),
		    r->error.detail[0] ? ": " : "", cli_esc(r->error.detail));
	text_service(fp, r);
	if (a->handshake_done)
		fprintf(fp, "%-13s%s %s%s%s\n", "TLS",
		    tls_name(a->tls_version) ? tls_name(a->tls_version) : "?", cli_esc(a->cipher),
		    a->alpn ? ", ALPN " : "", cli_esc(a->alpn));
	if (r->with_cert.ran) {
		const struct certpick_probe_attempt *w = &r->with_cert;

		fprintf(fp, "%-13s%s: ", "with cert", cert_file ? cli_esc(cert_file) : "?");
		if (!w->certificate_sent)
			fputs("not sent (the server did not ask, or the client could not use it); ",
			    fp);
		if (w->end == CERTPICK_PROBE_END_HTTP)
			fprintf(fp, "HTTP %d%s%s%s", w->http.status, w->http.title ? " \"" : "",
			    cli_esc(w->http.title), w->http.title ? "\"" : "");
		else if (w->end == CERTPICK_PROBE_END_SERVICE)
			text_service_verdict(fp, &w->service, true);
		else if (w->end == CERTPICK_PROBE_END_ALERT)
			fprintf(fp, "%salert %d (%s)", w->alert_fatal ? "" : "warning ", w->alert,
			    certpick_alert_name(w->alert) ? certpick_alert_name(w->alert) : "?");
		else
			fprintf(fp, "%s", certpick_probe_end_name(w->end));
		fprintf(fp, ": %s%s%s\n", r->cert_accepted ? cli_c_green() : cli_c_red(),
		    r->cert_accepted ? "accepted" : "refused", cli_c_reset());
	}
	if (r->n_requests == 0 && a->handshake_done && r->protocol == NULL)
		fprintf(fp, "\nno CertificateRequest on this connection (GET %s)\n",
		    cli_esc(r->path));
	else if (r->n_requests == 0 && a->handshake_done)
		fputs("\nno CertificateRequest on this connection\n", fp);
	for (size_t i = 0; i < r->n_requests; i++)
		text_request(fp, i, &r->requests[i]);
	if (r->findings.n > 0) {
		fputs("\nfindings:\n", fp);
		for (size_t i = 0; i < r->findings.n; i++)
			cli_text_finding(fp, &r->findings.v[i], "  ");
	}
}

/* see render.h */
void
cli_text_probe_line(FILE *fp, const struct certpick_probe_result *r)
{
	size_t names = 0;

	for (size_t i = 0; i < r->n_requests; i++)
		if (r->requests[i].req != NULL)
			names += r->requests[i].req->n_ca_names;
	fprintf(fp, "%-30s %s%-8s%s %zu request%s %zu name%s %zu finding%s", cli_esc(r->target),
	    auth_colour(r->client_auth), certpick_client_auth_name(r->client_auth), cli_c_reset(),
	    r->n_requests, r->n_requests == 1 ? "," : "s,", names, names == 1 ? "," : "s,",
	    r->findings.n, r->findings.n == 1 ? "" : "s");
	if (r->error.code != CERTPICK_OK)
		fprintf(fp, "  error: %s", cli_esc(r->error.message));
	fputc('\n', fp);
}
