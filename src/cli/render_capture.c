/* render_capture.c: `certpick capture` as text and JSON, from the same result structs. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

static const char *
tls_name(uint16_t v)
{
	switch (v) {
	case 0x0304: return "TLSv1.3";
	case 0x0303: return "TLSv1.2";
	case 0x0302: return "TLSv1.1";
	case 0x0301: return "TLSv1.0";
	case 0: return NULL;
	default: return "?";
	}
}

static json_t *
json_scheme(uint16_t v)
{
	return json_pack("{s:i, s:o}", "code", (int)v, "name",
	    cli_json_str(certpick_sigalg_name(v)));
}

static json_t *
json_alert(const struct certpick_capture_alert *a)
{
	json_t *o = json_object();
	cli_json_set(o, "from", cli_json_str(a->from_client ? "client" : "server"));
	cli_json_set(o, "encrypted", json_boolean(a->encrypted));
	if (!a->encrypted) {
		cli_json_set(o, "level", json_integer(a->level));
		cli_json_set(o, "code", json_integer(a->description));
		cli_json_set(o, "name", cli_json_str(certpick_alert_name(a->description)));
	}
	cli_json_set(o, "after_request", json_boolean(a->after_requests > 0));
	cli_json_set(o, "requests_before", json_integer((json_int_t)a->after_requests));
	cli_json_set(o, "time", json_real(a->time));
	return o;
}

static json_t *
json_answer(const struct certpick_capture_answer *a)
{
	json_t *o = json_object(), *chain = json_array();
	for (size_t i = 0; i < a->n_certs; i++) {
		const struct certpick_capture_cert *c = &a->certs[i];
		char nb[32], na[32];
		json_t *x = json_object();
		cli_json_set(x, "sha256", cli_json_str(c->sha256));
		if (c->parsed) {
			cli_json_set(x, "subject", cli_json_dn(&c->subject));
			cli_json_set(x, "issuer", cli_json_dn(&c->issuer));
			cli_json_set(x, "not_before",
			    cli_json_str(cli_time(c->not_before, nb, sizeof(nb))));
			cli_json_set(x, "not_after",
			    cli_json_str(cli_time(c->not_after, na, sizeof(na))));
			cli_json_set(x, "key_type", cli_json_str(c->key_type));
		}
		cli_json_append(chain, x);
	}
	if (a->request == SIZE_MAX)
		cli_json_set(o, "request", json_null());
	else
		cli_json_set(o, "request", json_integer((json_int_t)a->request));
	cli_json_set(o, "empty", json_boolean(a->n_certs == 0));
	cli_json_set(o, "chain", chain);
	cli_json_set(o, "certificate_verify",
	    a->has_verify ? json_scheme(a->verify_scheme) : json_null());
	cli_json_set(o, "chain_verified", a->checked ? json_boolean(a->chain_ok) : json_null());
	cli_json_set(o, "findings", cli_json_findings(&a->findings));
	return o;
}

static json_t *
json_conn(const struct certpick_capture_conn *c)
{
	json_t *o = json_object(), *hello = json_object(), *sig = json_array();
	json_t *reqs = json_array(), *ans = json_array(), *alerts = json_array(),
	       *notes = json_array();
	cli_json_set(o, "client", cli_json_str(c->client));
	cli_json_set(o, "server", cli_json_str(c->server));
	cli_json_set(o, "start", json_real(c->first_time));
	cli_json_set(o, "tls_version", cli_json_str(tls_name(c->version)));
	cli_json_set(o, "cipher",
	    c->version ? json_pack("{s:i, s:o}", "code", (int)c->cipher, "name",
			     cli_json_str(certpick_capture_suite_name(c->cipher))) :
			 json_null());
	if (c->has_client_hello) {
		cli_json_set(hello, "sni", c->has_sni ? cli_json_str(c->sni) : json_null());
		cli_json_set(hello, "post_handshake_auth", json_boolean(c->pha_offered));
		for (size_t i = 0; i < c->n_sigalgs; i++)
			cli_json_append(sig, json_scheme(c->sigalgs[i]));
		cli_json_set(hello, "signature_algorithms", sig);
		cli_json_set(o, "client_hello", hello);
	} else {
		json_decref(hello);
		json_decref(sig);
		cli_json_set(o, "client_hello", json_null());
	}
	cli_json_set(o, "handshakes", json_integer((json_int_t)c->n_handshakes));
	for (size_t i = 0; i < c->n_requests; i++)
		cli_json_append(reqs, cli_json_certreq(c->requests[i]));
	cli_json_set(o, "requests", reqs);
	for (size_t i = 0; i < c->n_answers; i++)
		cli_json_append(ans, json_answer(&c->answers[i]));
	cli_json_set(o, "client_certificates", ans);
	for (size_t i = 0; i < c->n_alerts; i++)
		cli_json_append(alerts, json_alert(&c->alerts[i]));
	cli_json_set(o, "alerts", alerts);
	cli_json_set(o, "http",
	    c->http_request || c->http_status ?
		json_pack("{s:o, s:o, s:o}", "request", cli_json_str(c->http_request), "status",
		    c->http_status ? json_integer(c->http_status) : json_null(), "reason",
		    cli_json_str(c->http_reason)) :
		json_null());
	cli_json_set(o, "decryption",
	    json_pack("{s:b, s:I, s:I}", "keys_found", c->keys_found, "records_decrypted",
		(json_int_t)c->records_decrypted, "records_not_decrypted",
		(json_int_t)c->records_undecrypted));
	for (size_t i = 0; i < c->n_notes; i++)
		cli_json_append(notes, cli_json_str(c->notes[i]));
	cli_json_set(o, "not_seen", notes);
	cli_json_set(o, "verdict", cli_json_str(c->verdict));
	cli_json_set(o, "fix", cli_json_str(c->fix));
	return o;
}

static json_t *
json_head(const struct certpick_capture_result *r, const char *file)
{
	json_t *o = json_object();
	cli_json_set(o, "schema", json_integer(1));
	cli_json_set(o, "file", cli_json_str(file));
	cli_json_set(o, "link_type", json_integer(r->linktype));
	cli_json_set(o, "packets", json_integer((json_int_t)r->packets));
	cli_json_set(o, "tcp_segments", json_integer((json_int_t)r->tcp_segments));
	cli_json_set(o, "ip_fragments", json_integer((json_int_t)r->fragments));
	cli_json_set(o, "truncated_frames", json_integer((json_int_t)r->truncated_frames));
	cli_json_set(o, "connections_not_followed",
	    json_integer((json_int_t)r->connections_dropped));
	cli_json_set(o, "keylog",
	    json_pack("{s:I, s:I}", "entries", (json_int_t)r->keylog_entries, "bad_lines",
		(json_int_t)r->keylog_bad_lines));
	return o;
}

static int
dump(json_t *o, const char *after)
{
	if ((o = cli_json_take(o)) == NULL)
		return -1;
	char *s = json_dumps(o, JSON_ENSURE_ASCII | JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return -1;
	fputs(s, stdout);
	fputs(after, stdout);
	free(s);
	return 0;
}

/*
 * see render.h: one object {"schema":1, ..., "connections":[...]}, written one
 * connection at a time so that the JSON of a large capture is never all in
 * memory (jansson takes about 30 KiB per connection).
 */
int
cli_json_capture_print(const struct certpick_capture_result *r, const char *file)
{
	json_t *head = cli_json_take(json_head(r, file));
	char *h = head ?
	    json_dumps(head, JSON_ENSURE_ASCII | JSON_INDENT(2) | JSON_PRESERVE_ORDER) :
	    NULL;
	json_decref(head);
	if (h == NULL)
		goto fail;
	/* the head ends with "\n}": reopen it for the connections */
	size_t n = strlen(h);
	if (n < 2 || h[n - 1] != '}') {
		free(h);
		goto fail;
	}
	h[n - 2] = '\0';
	printf("%s,\n  \"connections\": [%s", h, r->n_conns ? "\n" : "");
	free(h);
	for (size_t i = 0; i < r->n_conns; i++)
		if (dump(json_conn(&r->conns[i]), i + 1 < r->n_conns ? ",\n" : "\n") < 0)
			goto fail;
	printf("]\n}\n");
	return 0;
fail:
	fputs("certpick: error: cannot build the JSON output (out of memory)\n", stderr);
	return -1;
}

static void
text_sigalgs(FILE *fp, const char *label, const uint16_t *v, size_t n)
{
	fprintf(fp, "%s", label);
	for (size_t i = 0; i < n; i++) {
		const char *name = certpick_sigalg_name(v[i]);
		if (name)
			fprintf(fp, "%s%s", i ? ", " : "", name);
		else
			fprintf(fp, "%s0x%04x", i ? ", " : "", v[i]);
	}
	fprintf(fp, "%s\n", n ? "" : "(none)");
}

static void
text_request(FILE *fp, size_t i, const struct certpick_certreq *q)
{
	fprintf(fp, "  CertificateRequest %zu (%s, %s): %zu CA name%s\n", i + 1,
	    certpick_phase_name(q->phase), tls_name(q->tls_version), q->n_ca_names,
	    q->n_ca_names == 1 ? "" : "s");
	for (size_t j = 0; j < q->n_ca_names; j++)
		fprintf(fp, "    CA: %s\n",
		    cli_esc(q->ca_names[j].rfc4514 ? q->ca_names[j].rfc4514 : "(not a valid DN)"));
	text_sigalgs(fp, "    signature algorithms: ", q->sigalgs, q->n_sigalgs);
	for (size_t j = 0; j < q->findings.n; j++)
		cli_text_finding(fp, &q->findings.v[j], "    ");
}

static void
text_answer(FILE *fp, const struct certpick_capture_answer *a)
{
	if (a->n_certs == 0) {
		fprintf(fp, "  client Certificate: empty\n");
		return;
	}
	fprintf(fp, "  client Certificate: %zu certificate%s\n", a->n_certs,
	    a->n_certs == 1 ? "" : "s");
	for (size_t i = 0; i < a->n_certs; i++) {
		const struct certpick_capture_cert *c = &a->certs[i];
		fprintf(fp, "    [%zu] %s\n        issuer %s, %s key, sha256 %s\n", i,
		    cli_esc(c->subject.rfc4514 ? c->subject.rfc4514 : "(unreadable)"),
		    cli_esc(c->issuer.rfc4514 ? c->issuer.rfc4514 : "?"),
		    c->key_type[0] ? c->key_type : "?", c->sha256);
	}
	if (a->checked)
		fprintf(fp, "    chain: %s\n",
		    a->chain_ok ? "verifies to the trust store" :
				  "does not verify to the trust store");
	if (a->has_verify)
		fprintf(fp, "  CertificateVerify: %s\n",
		    certpick_sigalg_name(a->verify_scheme) ?
			certpick_sigalg_name(a->verify_scheme) :
			"?");
	for (size_t j = 0; j < a->findings.n; j++)
		cli_text_finding(fp, &a->findings.v[j], "    ");
}

static void
text_conn(FILE *fp, const struct certpick_capture_conn *c)
{
	fprintf(fp, "%s%s -> %s%s  %s%s%s\n", cli_c_bold(), c->client, c->server, cli_c_reset(),
	    tls_name(c->version) ? tls_name(c->version) : "(no ServerHello)", c->version ? " " : "",
	    c->version && certpick_capture_suite_name(c->cipher) ?
		certpick_capture_suite_name(c->cipher) :
		"");
	if (c->has_client_hello) {
		fprintf(fp, "  ClientHello: SNI %s, post_handshake_auth %s\n",
		    c->has_sni ? cli_esc(c->sni) : "(none)",
		    c->pha_offered ? "offered" : "not offered");
		text_sigalgs(fp, "    signature algorithms: ", c->sigalgs, c->n_sigalgs);
	}
	size_t k = 0;
	for (size_t i = 0; i < c->n_requests; i++) {
		text_request(fp, i, c->requests[i]);
		for (; k < c->n_answers && c->answers[k].request != SIZE_MAX &&
		     c->answers[k].request <= i;
		     k++)
			text_answer(fp, &c->answers[k]);
	}
	for (; k < c->n_answers; k++)
		text_answer(fp, &c->answers[k]);
	for (size_t i = 0; i < c->n_alerts; i++) {
		const struct certpick_capture_alert *a = &c->alerts[i];
		const char *n = certpick_alert_name(a->description);
		if (a->encrypted)
			fprintf(fp, "  alert from the %s: (encrypted)\n",
			    a->from_client ? "client" : "server");
		else
			fprintf(fp, "  alert from the %s: %s %s (%u), %s the request\n",
			    a->from_client ? "client" : "server",
			    a->level == 2 ? "fatal" : "warning", n ? n : "?", a->description,
			    a->after_requests ? "after" : "before");
	}
	if (c->http_request)
		fprintf(fp, "  HTTP request: %s\n", cli_esc(c->http_request));
	if (c->http_status)
		fprintf(fp, "  HTTP status: %d %s\n", c->http_status, cli_esc(c->http_reason));
	for (size_t i = 0; i < c->n_notes; i++)
		fprintf(fp, "  not seen: %s\n", cli_esc(c->notes[i]));
	fprintf(fp, "  verdict: %s\n", cli_esc(c->verdict));
	if (c->fix)
		fprintf(fp, "  fix: %s\n", cli_esc(c->fix));
}

/* see render.h */
void
cli_text_capture(FILE *fp, const struct certpick_capture_result *r, const char *file)
{
	fprintf(fp, "%s: %" PRIu64 " packets, %zu TLS connection%s", cli_esc(file), r->packets,
	    r->n_conns, r->n_conns == 1 ? "" : "s");
	if (r->keylog_entries || r->keylog_bad_lines)
		fprintf(fp, ", key log: %zu secrets", r->keylog_entries);
	fprintf(fp, "\n");
	if (r->fragments)
		fprintf(fp, "not seen: %" PRIu64 " IP fragments (not reassembled)\n", r->fragments);
	if (r->connections_dropped)
		fprintf(fp, "not seen: %" PRIu64 " connections over the limit\n",
		    r->connections_dropped);
	for (size_t i = 0; i < r->n_conns; i++) {
		fprintf(fp, "\n");
		text_conn(fp, &r->conns[i]);
	}
}

/* see render.h */
int
cli_capture_exit(const struct certpick_capture_result *r)
{
	for (size_t i = 0; i < r->n_conns; i++)
		if (r->conns[i].fix)
			return CLI_EXIT_NO;
	return CLI_EXIT_OK;
}
