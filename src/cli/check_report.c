/*
 * check over a list of paths, and its two renderings (text, JSON) from the
 * same structs. Shared by `certpick check` and `certpick demo`.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

struct warn_sink {
	struct cli_check_report *rep;
	struct cli_progress *progress;
	bool quiet;
	bool nomem;
};

static void
record(struct warn_sink *w, const struct certpick_error *e)
{
	struct certpick_error *slot;
	size_t n = w->rep->nerrors + 1;

	if (!w->quiet) {
		cli_progress_clear(w->progress);
		cli_warn_error(NULL, e);
	}
	slot = realloc(w->rep->errors, n * sizeof(*slot));
	if (slot == NULL) {
		w->nomem = true;
		return;
	}
	w->rep->errors = slot;
	slot[n - 1] = *e;
	w->rep->nerrors = n;
}

static void
on_warning(void *arg, const struct certpick_error *e)
{
	record(arg, e);
}

static int check_run(const struct cli_check_input *in, struct cli_check_report *rep,
    struct cli_progress *progress, struct certpick_error *err);

static void
on_file(void *arg)
{
	struct cli_progress *p = arg;

	cli_progress_update(p, ++p->done, 0);
}

int
cli_check_run(const struct cli_check_input *in, struct cli_check_report *rep,
    struct certpick_error *err)
{
	struct cli_progress progress = { 0 };
	int ret;

	cli_progress_start(&progress, "loading", "files read");
	if (in->quiet)
		progress.on = false;
	ret = check_run(in, rep, &progress, err);
	cli_progress_end(&progress);
	return ret;
}

static int
check_run(const struct cli_check_input *in, struct cli_check_report *rep,
    struct cli_progress *progress, struct certpick_error *err)
{
	struct warn_sink sink = { .rep = rep, .progress = progress, .quiet = in->quiet };
	struct certpick_load_options opts = { .password = in->password,
		.warn = on_warning,
		.warn_arg = &sink,
		.file_done = on_file,
		.file_done_arg = progress,
		.release_keys = true /* check never signs */ };
	struct certpick_check_options copts = { .now = in->now };

	memset(rep, 0, sizeof(*rep));
	rep->now = in->now;
	if (in->prompt)
		opts.password_cb = cli_password_prompt;
	if ((rep->trust = certpick_trust_new(err)) == NULL ||
	    (rep->set = certpick_candset_new(err)) == NULL)
		return -1;
	for (int i = 0; i < in->ntrust; i++)
		if (certpick_trust_add_path(rep->trust, in->trust[i], err) != 0)
			return -1;
	if (in->ntrust == 0 && certpick_trust_add_default(rep->trust, err) != 0)
		return -1;
	for (int i = 0; i < in->ncrl; i++)
		if (certpick_trust_add_crl_path(rep->trust, in->crl[i], err) != 0)
			return -1;
	rep->trust_name = in->ntrust == 0 ? "system" : in->trust[0];
	for (int i = 0; i < in->npaths; i++) {
		struct certpick_error e = { 0 };
		if (certpick_candset_add_path(rep->set, in->paths[i], &opts, &e) != 0) {
			if (e.code == CERTPICK_ERR_NOMEM) {
				*err = e;
				return -1;
			}
			record(&sink, &e);
		}
	}
	if (certpick_candset_finish(rep->set, err) != 0)
		return -1;
	rep->n = certpick_candset_count(rep->set);
	if (rep->n > 0 && (rep->results = calloc(rep->n, sizeof(*rep->results))) == NULL)
		goto nomem;
	copts.trust = rep->trust;
	progress->what = "checking";
	progress->unit = "certificates";
	for (size_t i = 0; i < rep->n; i++) {
		if (certpick_check_run(rep->set, certpick_candset_get(rep->set, i), &copts,
			&rep->results[i], err) != 0)
			return -1;
		cli_progress_update(progress, i + 1, rep->n);
	}
	if (rep->n == 0 && rep->nerrors == 0) {
		struct certpick_error e = { .code = CERTPICK_ERR_PARSE };
		snprintf(e.message, sizeof(e.message), "no client certificate to check");
		snprintf(e.detail, sizeof(e.detail),
		    "%zu CA certificate%s, no end-entity "
		    "certificate and no key for a CA",
		    certpick_candset_pool_count(rep->set),
		    certpick_candset_pool_count(rep->set) == 1 ? "" : "s");
		record(&sink, &e);
	}
	if (!sink.nomem)
		return 0;
nomem:
	err->code = CERTPICK_ERR_NOMEM;
	snprintf(err->message, sizeof(err->message), "out of memory");
	return -1;
}

void
cli_check_report_release(struct cli_check_report *rep)
{
	for (size_t i = 0; rep->results != NULL && i < rep->n; i++)
		certpick_check_result_release(&rep->results[i]);
	free(rep->results);
	free(rep->errors);
	certpick_candset_free(rep->set);
	certpick_trust_free(rep->trust);
	memset(rep, 0, sizeof(*rep));
}

int
cli_check_exit(const struct cli_check_report *rep)
{
	if (rep->nerrors > 0)
		return CLI_EXIT_INPUT;
	for (size_t i = 0; i < rep->n; i++)
		if (certpick_findings_max(&rep->results[i].findings) == CERTPICK_SEV_ERROR)
			return CLI_EXIT_NO;
	return CLI_EXIT_OK;
}

static const char *
dn_text(const struct certpick_dn *dn)
{
	return dn->rfc4514 != NULL ? cli_esc(dn->rfc4514) : "(unparsable name)";
}

static void
print_chain(FILE *fp, const struct certpick_check_result *r)
{
	const struct certpick_path *p = certpick_check_result_path(r);

	fputs("  chain   ", fp);
	if (p == NULL || p->n < 2) {
		fputs("(the certificate alone)", fp);
	} else {
		for (size_t k = 1; k < p->n; k++)
			fprintf(fp, "%s%s", k > 1 ? " <- " : "", dn_text(&p->v[k].subject));
	}
	if (p != NULL && p->end == CERTPICK_PATH_TRUSTED)
		fprintf(fp, " %s(trusted)%s", cli_c_green(), cli_c_reset());
	else if (p != NULL && p->end == CERTPICK_PATH_UNTRUSTED_ROOT)
		fprintf(fp, " %s(untrusted root)%s", cli_c_yellow(), cli_c_reset());
	else if (p != NULL)
		fprintf(fp, " %s(incomplete)%s", cli_c_red(), cli_c_reset());
	fputc('\n', fp);
}

static void
print_one(FILE *fp, const struct certpick_candidate *c, const struct certpick_check_result *r)
{
	char nb[32], na[32];
	int errors = 0, warnings = 0;

	fprintf(fp, "%s%s%s: %s\n", cli_c_bold(), cli_esc(certpick_candidate_source(c)),
	    cli_c_reset(), dn_text(certpick_candidate_subject(c)));
	fprintf(fp, "  issuer  %s\n", dn_text(certpick_candidate_issuer(c)));
	fprintf(fp, "  valid   %s .. %s\n",
	    cli_time(certpick_candidate_not_before(c), nb, sizeof(nb)),
	    cli_time(certpick_candidate_not_after(c), na, sizeof(na)));
	fprintf(fp, "  key     %s %d bits, private key: %s", certpick_candidate_key_type(c),
	    certpick_candidate_key_bits(c),
	    certpick_key_store_name(certpick_candidate_key_store(c)));
	if (certpick_candidate_key_source(c) != NULL &&
	    strcmp(certpick_candidate_key_source(c), certpick_candidate_source(c)) != 0)
		fprintf(fp, " (%s)", cli_esc(certpick_candidate_key_source(c)));
	fputc('\n', fp);
	print_chain(fp, r);
	fprintf(fp, "  sha256  %s\n", certpick_candidate_sha256(c));
	for (size_t k = 0; k < r->findings.n; k++) {
		cli_text_finding(fp, &r->findings.v[k], "  ");
		errors += r->findings.v[k].severity == CERTPICK_SEV_ERROR;
		warnings += r->findings.v[k].severity == CERTPICK_SEV_WARNING;
	}
	if (errors > 0)
		fprintf(fp,
		    "  %s=> not fit for client authentication%s (%d error%s, %d warning%s)\n",
		    cli_c_red(), cli_c_reset(), errors, errors == 1 ? "" : "s", warnings,
		    warnings == 1 ? "" : "s");
	else
		fprintf(fp, "  %s=> fit for client authentication%s%s\n", cli_c_green(),
		    cli_c_reset(), warnings > 0 ? " (see the warnings)" : "");
}

void
cli_check_print_text(FILE *fp, const struct cli_check_report *rep)
{
	size_t fit = 0;

	for (size_t i = 0; i < rep->n; i++) {
		if (i > 0)
			fputc('\n', fp);
		print_one(fp, certpick_candset_get(rep->set, i), &rep->results[i]);
		fit += certpick_findings_max(&rep->results[i].findings) != CERTPICK_SEV_ERROR;
	}
	fprintf(fp, "%s%zu certificate%s checked: %zu fit, %zu not fit", rep->n ? "\n" : "", rep->n,
	    rep->n == 1 ? "" : "s", fit, rep->n - fit);
	if (rep->nerrors > 0)
		fprintf(fp, "; %zu input%s could not be read", rep->nerrors,
		    rep->nerrors == 1 ? "" : "s");
	fputc('\n', fp);
}

static json_t *
json_chain(const struct certpick_check_result *r)
{
	const struct certpick_path *p = certpick_check_result_path(r);
	json_t *a = json_array();

	for (size_t k = 1; a != NULL && p != NULL && k < p->n; k++)
		cli_json_append(a,
		    json_pack("{s:o, s:s, s:b, s:b}", "subject", cli_json_dn(&p->v[k].subject),
			"sha256", p->v[k].sha256, "trusted", p->v[k].trusted, "self_signed",
			p->v[k].self_signed));
	return a;
}

static json_t *
json_one(const struct certpick_candidate *c, const struct certpick_check_result *r)
{
	const struct certpick_path *p = certpick_check_result_path(r);
	char nb[32], na[32];
	json_t *key = json_pack("{s:s, s:s, s:i}", "store",
	    certpick_key_store_name(certpick_candidate_key_store(c)), "type",
	    certpick_candidate_key_type(c), "bits", certpick_candidate_key_bits(c));

	if (key != NULL && certpick_candidate_key_source(c) != NULL)
		cli_json_set(key, "source", cli_json_str(certpick_candidate_key_source(c)));
	return json_pack("{s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:o}", "source",
	    cli_json_str(certpick_candidate_source(c)), "subject",
	    cli_json_dn(certpick_candidate_subject(c)), "issuer",
	    cli_json_dn(certpick_candidate_issuer(c)), "sha256", certpick_candidate_sha256(c),
	    "not_before", cli_time(certpick_candidate_not_before(c), nb, sizeof(nb)), "not_after",
	    cli_time(certpick_candidate_not_after(c), na, sizeof(na)), "key", key, "chain",
	    json_chain(r), "chain_status",
	    p != NULL ? certpick_path_end_name(p->end) : "incomplete", "fit",
	    certpick_findings_max(&r->findings) != CERTPICK_SEV_ERROR, "findings",
	    cli_json_findings(&r->findings));
}

/* The report; its certificates only when `all` (else an empty array, streamed after). */
static json_t *
check_json_of(const struct cli_check_report *rep, bool all)
{
	json_t *certs = json_array(), *errors = json_array();
	char at[32];

	for (size_t i = 0; all && certs != NULL && i < rep->n; i++)
		cli_json_append(certs,
		    json_one(certpick_candset_get(rep->set, i), &rep->results[i]));
	for (size_t i = 0; errors != NULL && i < rep->nerrors; i++)
		cli_json_append(errors, cli_json_error(&rep->errors[i]));
	return json_pack("{s:i, s:s, s:o, s:o}", "schema", 1, "checked_at",
	    cli_time(rep->now, at, sizeof(at)), "certificates", certs, "errors", errors);
}

json_t *
cli_check_json(const struct cli_check_report *rep)
{
	return check_json_of(rep, true);
}

static json_t *
certificate_at(void *arg, size_t i)
{
	const struct cli_check_report *rep = arg;

	return json_one(certpick_candset_get(rep->set, i), &rep->results[i]);
}

/* see cli.h */
int
cli_check_json_print(const struct cli_check_report *rep)
{
	return cli_json_print_streamed(check_json_of(rep, false), "certificates", rep->n,
	    certificate_at, (void *)rep);
}
