/*
 * serve: the answer page, rendered from a report. JSON (jansson) for API
 * clients and for --json-log lines, HTML for browsers. It lives in the
 * library, not the CLI, because the server writes it on every request inside
 * the event loop and the unit tests check it; it never prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "certpick/json.h"
#include "buf.h"
#include "serve_internal.h"

static json_t *
cert_json(const struct certpick_serve_cert *c)
{
	char nb[32], na[32];

	return json_pack("{s:o, s:o, s:s, s:s, s:s, s:s}", "subject", certpick_json_dn(&c->subject),
	    "issuer", certpick_json_dn(&c->issuer), "sha256", c->sha256, "serial", c->serial,
	    "not_before", cp_iso8601(c->not_before, nb, sizeof(nb)), "not_after",
	    cp_iso8601(c->not_after, na, sizeof(na)));
}

static const char *title_for(const struct certpick_serve_report *r);

static json_t *
report_json(const struct certpick_serve_report *r)
{
	json_t *o = json_object(), *cc = json_null(), *rules = json_array();
	json_t *names = json_array(), *asked;
	char tb[32];

	if (o == NULL || cc == NULL || rules == NULL || names == NULL)
		goto fail;
	if (r->n_chain > 0) {
		json_t *chain = json_array();

		cc = cert_json(&r->chain[0]);
		for (size_t i = 0; chain != NULL && i < r->n_chain; i++)
			json_array_append_new(chain, cert_json(&r->chain[i]));
		if (cc == NULL || chain == NULL || json_object_set_new(cc, "chain", chain) != 0 ||
		    json_object_set_new(cc, "chain_omitted",
			json_integer((json_int_t)r->n_chain_omitted)) != 0)
			goto fail;
	}
	for (int i = 0; i < CERTPICK_SERVE_RULE__COUNT; i++)
		json_array_append_new(rules,
		    json_pack("{s:s, s:s, s:s}", "id",
			certpick_serve_rule_id((enum certpick_serve_rule)i), "result",
			certpick_serve_rule_state_name(r->rules[i]), "text",
			certpick_serve_rule_text((enum certpick_serve_rule)i)));
	for (size_t i = 0; i < r->n_ca_names; i++)
		json_array_append_new(names, certpick_json_dn(&r->ca_names[i]));
	asked =
	    json_pack("{s:s, s:o}", "when", certpick_serve_asked_name(r->asked), "ca_names", names);
	names = NULL;
	json_object_set_new(o, "schema", json_integer(1));
	json_object_set_new(o, "status", json_integer(r->status));
	json_object_set_new(o, "substatus", certpick_json_text(r->substatus));
	json_object_set_new(o, "reason",
	    r->has_reason ? certpick_json_text(certpick_reason_id(r->reason)) : json_null());
	json_object_set_new(o, "time", certpick_json_text(cp_iso8601(r->time, tb, sizeof(tb))));
	json_object_set_new(o, "peer", certpick_json_text(r->peer));
	json_object_set_new(o, "method", certpick_json_text(r->method));
	json_object_set_new(o, "path", certpick_json_text(r->path));
	json_object_set_new(o, "tls_version", certpick_json_text(r->tls_version));
	json_object_set_new(o, "protected", json_boolean(r->protected_path));
	json_object_set_new(o, "client_certificate", cc);
	cc = NULL;
	json_object_set_new(o, "rules", rules);
	rules = NULL;
	json_object_set_new(o, "findings", certpick_json_findings(&r->findings));
	json_object_set_new(o, "title",
	    certpick_json_text(title_for(r))); /* the HTML page's <title> */
	json_object_set_new(o, "advice", certpick_json_text(r->advice));
	json_object_set_new(o, "asked_for", asked);
	return o;
fail:
	json_decref(o);
	json_decref(cc);
	json_decref(rules);
	json_decref(names);
	return NULL;
}

/* see certpick/serve.h */
char *
certpick_serve_report_json(const struct certpick_serve_report *r)
{
	json_t *o = report_json(r);
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/* Text into HTML: every character that could open markup or end an attribute. */
static void
h_text(struct cp_buf *h, const char *t)
{
	for (const char *p = t ? t : ""; *p; p++) {
		switch (*p) {
		case '<': cp_buf_add(h, "&lt;", 4); break;
		case '>': cp_buf_add(h, "&gt;", 4); break;
		case '&': cp_buf_add(h, "&amp;", 5); break;
		case '"': cp_buf_add(h, "&quot;", 6); break;
		case '\'': cp_buf_add(h, "&#39;", 5); break;
		default: cp_buf_add(h, p, 1); break;
		}
	}
}

static const char *
title_for(const struct certpick_serve_report *r)
{
	const char *s = r->substatus ? r->substatus : "";

	if (strcmp(s, "403.7") == 0)
		return "403.7 Forbidden: client certificate required";
	if (strcmp(s, "403.13") == 0)
		return "403.13 Forbidden: client certificate revoked";
	if (strcmp(s, "403.16") == 0)
		return "403.16 Forbidden: client certificate untrusted or invalid";
	if (strcmp(s, "403.17") == 0)
		return "403.17 Forbidden: client certificate has expired or is not yet valid";
	if (r->status == 200)
		return r->n_chain > 0 && !r->has_reason ? "200 OK: client certificate accepted" :
							  "200 OK";
	return "Request refused";
}

static void
h_dn(struct cp_buf *h, const struct certpick_dn *dn)
{
	cp_buf_add(h, "<code>", 6);
	h_text(h, dn->rfc4514 ? dn->rfc4514 : "(not a valid name)");
	cp_buf_add(h, "</code>", 7);
}

static void
h_chain(struct cp_buf *h, const struct certpick_serve_report *r)
{
	char nb[32], na[32];

	cp_buf_printf(h, "<h2>Certificates received</h2>\n");
	if (r->n_chain == 0) {
		cp_buf_printf(h, "<p>None: the client sent no certificate.</p>\n");
		return;
	}
	cp_buf_printf(h,
	    "<table><tr><th>#</th><th>subject</th><th>issuer</th><th>valid</th>"
	    "<th>SHA-256</th></tr>\n");
	for (size_t i = 0; i < r->n_chain; i++) {
		const struct certpick_serve_cert *c = &r->chain[i];

		cp_buf_printf(h, "<tr><td>%zu</td><td>", i);
		h_dn(h, &c->subject);
		cp_buf_add(h, "</td><td>", 9);
		h_dn(h, &c->issuer);
		cp_buf_printf(h,
		    "</td><td>%s to %s</td><td><code class=\"fp\">%s</code></td></tr>\n",
		    cp_iso8601(c->not_before, nb, sizeof(nb)),
		    cp_iso8601(c->not_after, na, sizeof(na)), c->sha256);
	}
	cp_buf_printf(h, "</table>\n");
	if (r->n_chain_omitted > 0)
		cp_buf_printf(h, "<p>And %zu more certificate(s) sent, not shown.</p>\n",
		    r->n_chain_omitted);
}

static void
h_rules(struct cp_buf *h, const struct certpick_serve_report *r)
{
	cp_buf_printf(h, "<h2>Rules</h2>\n<ul class=\"rules\">\n");
	for (int i = 0; i < CERTPICK_SERVE_RULE__COUNT; i++) {
		const char *st = certpick_serve_rule_state_name(r->rules[i]);

		cp_buf_printf(h, "<li class=\"%s\"><b>%s</b> <code>%s</code>: ", st, st,
		    certpick_serve_rule_id((enum certpick_serve_rule)i));
		h_text(h, certpick_serve_rule_text((enum certpick_serve_rule)i));
		cp_buf_printf(h, "</li>\n");
	}
	cp_buf_printf(h, "</ul>\n");
}

static void
h_findings(struct cp_buf *h, const struct certpick_serve_report *r)
{
	if (r->findings.n == 0)
		return;
	cp_buf_printf(h, "<h2>Findings</h2>\n<ul>\n");
	for (size_t i = 0; i < r->findings.n; i++) {
		const struct certpick_finding *f = &r->findings.v[i];

		cp_buf_printf(h,
		    "<li><b>%s</b> <code>%s</code>: ", certpick_severity_name(f->severity),
		    certpick_reason_id(f->reason));
		h_text(h, certpick_reason_text(f->reason));
		if (f->detail != NULL) {
			cp_buf_add(h, " (", 2);
			h_text(h, f->detail);
			cp_buf_add(h, ")", 1);
		}
		cp_buf_add(h, "<br><i>fix:</i> ", 16);
		h_text(h, certpick_reason_hint(f->reason));
		cp_buf_printf(h, "</li>\n");
	}
	cp_buf_printf(h, "</ul>\n");
}

static void
h_asked(struct cp_buf *h, const struct certpick_serve_report *r)
{
	cp_buf_printf(h, "<h2>What this server asked for</h2>\n<p>When: <code>%s</code>. ",
	    certpick_serve_asked_name(r->asked));
	if (r->n_ca_names == 0) {
		cp_buf_printf(h,
		    "CA names: none (an empty list: clients may offer any certificate).</p>\n");
		return;
	}
	cp_buf_printf(h, "CA names (%zu):</p>\n<ul>\n", r->n_ca_names);
	for (size_t i = 0; i < r->n_ca_names; i++) {
		cp_buf_add(h, "<li>", 4);
		h_dn(h, &r->ca_names[i]);
		cp_buf_add(h, "</li>\n", 6);
	}
	cp_buf_printf(h, "</ul>\n");
}

/* see certpick/serve.h */
char *
certpick_serve_report_html(const struct certpick_serve_report *r)
{
	struct cp_buf h = { 0 };
	const char *title = title_for(r);
	bool ok = r->status == 200;

	cp_buf_printf(&h,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>");
	h_text(&h, title);
	cp_buf_printf(&h,
	    "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;"
	    "padding:0 1em;color:#222}h1{font-size:1.5em;padding:.5em;border-radius:4px;"
	    "background:%s}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	    "padding:.3em;text-align:left;vertical-align:top;font-size:.9em}"
	    "code.fp{font-size:.75em;word-break:break-all}li.pass b{color:#070}"
	    "li.fail b{color:#b00}li.skipped b{color:#777}.advice{font-size:1.1em;"
	    "border-left:4px solid #888;padding-left:.8em}</style></head>\n<body>\n<h1>",
	    ok ? "#dfd" : "#fdd");
	h_text(&h, title);
	cp_buf_printf(&h, "</h1>\n<p class=\"advice\" id=\"advice\">");
	h_text(&h, r->advice);
	cp_buf_printf(&h, "</p>\n<p>Request: <code>");
	h_text(&h, r->method);
	cp_buf_add(&h, " ", 1);
	h_text(&h, r->path);
	cp_buf_printf(&h, "</code> over %s from <code>", r->tls_version ? r->tls_version : "?");
	h_text(&h, r->peer);
	cp_buf_printf(&h, "</code>; this path is %s.",
	    r->protected_path ? "protected" : "not protected");
	if (r->has_reason)
		cp_buf_printf(&h, " Reason: <code id=\"reason\">%s</code>.",
		    certpick_reason_id(r->reason));
	cp_buf_printf(&h, "</p>\n");
	h_findings(&h, r);
	h_chain(&h, r);
	h_rules(&h, r);
	h_asked(&h, r);
	cp_buf_printf(&h,
	    "<p><small>certpick serve: a diagnostic server. Ask for JSON with "
	    "<code>Accept: application/json</code>.</small></p>\n</body></html>\n");
	return cp_buf_release(&h); /* NULL when out of memory */
}
