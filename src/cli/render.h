/*
 * What the commands share beyond the tool's plumbing (cli.h): the JSON shapes
 * (the contract of docs/json.md), the text and JSON renderers of each result,
 * and the flows more than one command runs (check over paths, probe of many
 * targets, get's probe -> select -> request, select's request, the in-process
 * server of demo). Renderers print the library's result structs; they never
 * decide anything the library did not.
 */
#ifndef CERTPICK_CLI_RENDER_H
#define CERTPICK_CLI_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "certpick/certpick.h"
#include "certpick/select.h"

/*
 * json.c: shared JSON shapes (the contract of docs/json.md) built with jansson.
 * Every string from outside goes in through cli_json_str(), every member and
 * element through cli_json_set() / cli_json_append() (they take v, also on
 * failure). A NULL from a constructor is remembered and cli_json_take()
 * (called by cli_json_print and cli_json_save) then frees obj and returns
 * NULL: the command fails, no key or element is silently left out.
 */
json_t *cli_json_str(const char *s); /* json_null() for NULL */
int cli_json_set(json_t *o, const char *key, json_t *v);
int cli_json_append(json_t *a, json_t *v);
json_t *cli_json_take(json_t *obj);
json_t *cli_json_dn(const struct certpick_dn *dn);
json_t *cli_json_findings(const struct certpick_findings *f);
json_t *cli_json_finding(const struct certpick_finding *f);
json_t *cli_json_error(const struct certpick_error *err);
/* Dump obj (stolen) to stdout with a newline; compact when `lines`. */
int cli_json_print(json_t *obj, bool lines);
/*
 * cli_json_print(obj, false) for a large document: obj's top-level member
 * `key` is an empty array, printed with the n elements elem(arg, i) makes,
 * one at a time, so the same bytes never need the whole document in memory
 * (select and check: about 6 KiB per candidate). Takes obj and each element.
 * -1 with a message when a constructor failed (the output is then cut short).
 */
typedef json_t *(*cli_json_elem_fn)(void *arg, size_t i);
int cli_json_print_streamed(json_t *obj, const char *key, size_t n, cli_json_elem_fn elem,
    void *arg);

/* check_report.c: running check over paths and rendering it (check, demo). */
struct cli_check_input {
	char *const *paths; /* files and folders to check */
	int npaths;
	char *const *trust; /* --trust FILE|DIR; none: the system store */
	int ntrust;
	char *const *crl; /* --crl FILE; none: revocation not checked */
	int ncrl;
	time_t now;
	const char *password; /* may be NULL */
	bool prompt;	      /* ask on the TTY for missing passwords */
	bool quiet;	      /* do not print warnings (demo) */
};
struct cli_check_report {
	struct certpick_candset *set;
	struct certpick_trust *trust;
	struct certpick_check_result *results; /* one per candidate */
	size_t n;
	struct certpick_error *errors; /* inputs that could not be read */
	size_t nerrors;
	time_t now;
	const char *trust_name;
};
/* -1 with err when the run cannot start (trust store unreadable, no memory). */
int cli_check_run(const struct cli_check_input *in, struct cli_check_report *rep,
    struct certpick_error *err);
void cli_check_report_release(struct cli_check_report *rep);
void cli_check_print_text(FILE *fp, const struct cli_check_report *rep);
json_t *cli_check_json(const struct cli_check_report *rep);
/* cli_json_print(cli_check_json(rep), false), one certificate at a time. */
int cli_check_json_print(const struct cli_check_report *rep);
/* 4 when an input was unreadable (wins), 1 when a finding is an error, else 0. */
int cli_check_exit(const struct cli_check_report *rep);
/* render_probe.c: probe results (docs/cli/probe.md). */
json_t *cli_json_certreq(const struct certpick_certreq *r);
json_t *cli_json_probe(const struct certpick_probe_result *r, const char *cert_file);
void cli_text_probe(FILE *fp, const struct certpick_probe_result *r, const char *cert_file);
void cli_text_probe_line(FILE *fp, const struct certpick_probe_result *r);
/* probe_many.c: --targets; returns the exit code. */
int cli_probe_many(const struct certpick_probe_options *opts, const char *file, unsigned jobs,
    bool json, bool input_order, const char *save);
/* Write obj (stolen) as JSON to path (fopen mode); 0 or -1 (message printed). */
int cli_json_save(const char *path, json_t *obj, bool lines, const char *mode);

/* render_capture.c: capture results (docs/cli/capture.md). */
/* JSON on stdout, one connection at a time; 0 or -1 (message printed). */
int cli_json_capture_print(const struct certpick_capture_result *r, const char *file);
void cli_text_capture(FILE *fp, const struct certpick_capture_result *r, const char *file);
/* 1 when a connection has something to fix, else 0. */
int cli_capture_exit(const struct certpick_capture_result *r);

/* render_select.c: one selection as `select --client NAME` renders it. */
json_t *cli_json_selection(const struct certpick_selection *s, const struct certpick_certreq *req);
void cli_text_selection(const struct certpick_selection *s, const struct certpick_certreq *req);
/* render_get.c: probe -> select -> request with the chosen certificate (get, demo). */
struct cli_get_run {
	const struct certpick_profile *profile;
	struct certpick_probe_result *probe;
	const struct certpick_certreq *req; /* the request answered (borrowed from probe) */
	struct certpick_selection *sel;	    /* NULL when the server asked nothing */
	long sent;			    /* index in sel->v of what is sent; -1 none */
	struct certpick_get_result *get;    /* NULL when the probe failed */
};
/* -1 with err when a step could not start; a network failure is in the results.
 * any_phase: answer renegotiation and offer PHA even where the profile's client
 * would not (get --any-phase); otherwise the request behaves like that client. */
int cli_get_flow(const char *url, const struct certpick_candset *set,
    const struct certpick_profile *profile, const struct certpick_probe_options *po,
    const struct certpick_get_options *go, bool any_phase, time_t now, struct cli_get_run *r,
    struct certpick_error *err);
void cli_get_run_release(struct cli_get_run *r);
/* 0 2xx/3xx, 1 HTTP >= 400 or a certificate alert, 3 network/TLS. */
int cli_get_exit(const struct cli_get_run *r);
void cli_get_explain(FILE *fp, const struct cli_get_run *r);
json_t *cli_get_json(const struct cli_get_run *r, const char *url);
/* demo_server.c: serve in-process on a thread (demo). */
struct cli_demo_server;
/* o->base is set here. NULL and err when it cannot start. */
struct cli_demo_server *cli_demo_server_start(struct certpick_serve_options *o,
    struct certpick_error *err);
const struct certpick_serve *cli_demo_server_get(const struct cli_demo_server *d);
/* Stop, join and free. NULL is a no-op. -1 and err (when not NULL) when its loop had failed. */
int cli_demo_server_stop(struct cli_demo_server *d, struct certpick_error *err);
/* select_request.c / render_select.c (certpick select) */
/* Where the request comes from (certpick select): a saved probe, a live one,
 * or by hand. phase < 0: not given (a hand-made request asks at the handshake). */
struct cli_select_req_args {
	const char *url, *file, *ca_pem, *sigalgs;
	const char *const *issuers;
	size_t n_issuers;
	bool tls12;
	int phase;
	size_t size;
	int timeout_ms; /* the probe of url, per phase; 0: its default */
};
/* *out: the request; answer: what the server answered the probe without a
 * certificate ("" when not known: a saved or hand-made request). */
int cli_select_request(const struct cli_select_req_args *a, struct certpick_certreq **out,
    char *answer, size_t answer_len);
/* What a probe's server answered without a certificate, for people
 * ("HTTP 403 (403.7 Forbidden: client certificate required)"); "" when unknown. */
void cli_probe_answer(const struct certpick_probe_result *res, char *buf, size_t len);
/* answer: as cli_probe_answer(); NULL or "" when not known. */
int cli_select_render(const char *client, const struct certpick_candset *set,
    const struct certpick_certreq *req, time_t at, bool json, const char *answer);

#endif
