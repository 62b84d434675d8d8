/*
 * The certpick command-line tool: the only code that prints or exits.
 *
 * Adding a command:
 *   (1) src/cli/cmd_foo.c with `int cmd_foo(int argc, char **argv)` and its
 *       usage text `const char cmd_foo_usage[]`,
 *   (2) one row in commands[] in main.c (and its declaration below),
 *   (3) docs/cli/foo.md (its "Synopsis" block must equal the usage text; a
 *       test checks it),
 *   (4) tests/integration/test_foo.py.
 * A command parses its flags into a local struct, calls the library, renders
 * text or JSON from the same result structs, and returns an exit code.
 */
#ifndef CERTPICK_CLI_H
#define CERTPICK_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "certpick/certpick.h"
#include "certpick/select.h"

/*
 * Elements of an array. The CLI's own copy of the library's CP_NELEM (the CLI
 * includes only public headers, and the public API does not carry utility
 * macros): this is its one home in src/cli.
 */
#define CLI_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes: docs/exit-codes.md. Stable. */
enum cli_exit {
	CLI_EXIT_OK = 0,	/* ran; the answer is yes / clean */
	CLI_EXIT_NO = 1,	/* ran; the answer is no */
	CLI_EXIT_USAGE = 2,	/* bad command line */
	CLI_EXIT_NETWORK = 3,	/* network or TLS failure before an answer */
	CLI_EXIT_INPUT = 4,	/* a local input could not be read or parsed */
	CLI_EXIT_INTERNAL = 70, /* a certpick bug */
};

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;
};

/* Global state set by main() from global flags and the environment. */
struct cli_globals {
	int verbose; /* -v count */
	bool color;  /* stdout is a TTY and NO_COLOR is unset */
	bool debug;  /* --debug: show error locations */
};
extern struct cli_globals cli_g;

/* main.c */
const struct cli_command *cli_commands(size_t *n);
/* Print "certpick: error: MESSAGE: DETAIL" to stderr; returns the exit code for err. */
int cli_error(const struct certpick_error *err);
int cli_exit_for(const struct certpick_error *err);
/* "certpick: error: " + the formatted message + usage, to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) CERTPICK_PRINTF(2, 3);
int cli_usage_verror(const char *usage, const char *fmt, va_list ap) CERTPICK_PRINTF(2, 0);
/* getopt_long refused argv[optind - 1] (opterr = 0): names it without any "=VALUE"; exit 2. */
int cli_option_error(char **argv, const char *optstring, const char *usage);
/* A host name (letters, digits, '-', '.', '_') or an IPv4/IPv6 literal: no control characters. */
bool cli_is_hostname(const char *s);
/* An HTTP token (RFC 9110 tchar), as a method must be. */
bool cli_is_http_token(const char *s);
/* "0".."65535" only, digits only. 0, or -1. */
int cli_parse_port(const char *s, unsigned *port);
/* --connect-to ADDR[:PORT] / [V6]:PORT: no control characters, the port 0 to 65535. */
bool cli_connect_to_ok(const char *s);
/* --timeout SECONDS: more than 0, at most 3600, into milliseconds. 0, or -1. */
int cli_parse_timeout(const char *s, int *ms);
void cli_warn(const char *fmt, ...) CERTPICK_PRINTF(1, 2);
void cli_warn_error(void *arg, const struct certpick_error *e);
/* Print usage of a command to stream. */
void cli_usage(FILE *fp, const struct cli_command *cmd);
/* Trace callback for the library: "-v" lines to stderr. */
void cli_trace(void *arg, const char *line);
/* Flush stdout and map a write failure to an exit code. */
int cli_finish(int code);

/* colour.c: ANSI SGR only when cli_g.color. Borrowed: static strings. */
const char *cli_c_bold(void);
const char *cli_c_red(void);
const char *cli_c_yellow(void);
const char *cli_c_green(void);
const char *cli_c_dim(void);
const char *cli_c_reset(void);
const char *cli_c_severity(enum certpick_severity s);

/* password.c: --password-env / --password-file / prompt. */
struct cli_password {
	const char *env;  /* --password-env VAR */
	const char *file; /* --password-file F */
	char buf[1024];
	bool have;
};
/* Resolve env/file into p->buf; 0 on success or when none given. */
int cli_password_resolve(struct cli_password *p, struct certpick_error *err);
/* certpick_password_fn: prompts on the TTY with echo off. */
int cli_password_prompt(void *arg, const char *what, char *buf, size_t size);
void cli_password_wipe(struct cli_password *p);

/*
 * sources.c: the certificate sources of select and get (PATH..., --nssdb,
 * --pkcs11) in command-line order, with their password and PIN. The args
 * are borrowed from argv; the password and PIN are wiped by
 * cli_sources_wipe().
 */
enum cli_source_opt {
	CLI_SRC_PATH = 0,
	CLI_SRC_NSSDB = 0x400,
	CLI_SRC_PKCS11,
	CLI_SRC_PIN_ENV,
	CLI_SRC_PIN_FILE,
	CLI_SRC_PW_ENV,
	CLI_SRC_PW_FILE,
};
#define CLI_SOURCE_LONGOPTS                                               \
	{ "nssdb", required_argument, NULL, CLI_SRC_NSSDB },              \
	    { "pkcs11", required_argument, NULL, CLI_SRC_PKCS11 },        \
	    { "pin-env", required_argument, NULL, CLI_SRC_PIN_ENV },      \
	    { "pin-file", required_argument, NULL, CLI_SRC_PIN_FILE },    \
	    { "password-env", required_argument, NULL, CLI_SRC_PW_ENV },  \
	{                                                                 \
		"password-file", required_argument, NULL, CLI_SRC_PW_FILE \
	}
struct cli_sources {
	struct {
		int kind;
		const char *arg;
	} src[256];
	size_t n;
	struct cli_password pw, pin;
	bool release_keys; /* the command never signs (select): keys paired, then released */
};
/*
 * getopt value ch (CLI_SRC_PATH for a bare argument) with its optarg: 1 if
 * it was a source option, 0 if not, or the usage error's exit code.
 */
int cli_sources_option(struct cli_sources *s, int ch, const char *arg, const char *usage);
/* Read the password and PIN from their variable or file; exit code or 0. */
int cli_sources_resolve(struct cli_sources *s);
/*
 * Load every source into set and finish it; exit code or 0. strict: the
 * first source that fails is the error; else it is a warning and only all
 * failing is (CLI_EXIT_INPUT).
 */
int cli_sources_load(const struct cli_sources *s, struct certpick_candset *set, bool strict);
/* Load options with the password (pin false) or the PIN (pin true); borrow from s. */
struct certpick_load_options cli_sources_options(const struct cli_sources *s, bool pin);
void cli_sources_wipe(struct cli_sources *s);

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

/* text.c: shared text shapes */
void cli_text_finding(FILE *fp, const struct certpick_finding *f, const char *indent);
/* "2024-01-01T00:00:00Z" into buf (21 bytes). */
const char *cli_time(time_t t, char *buf, size_t size);
/*
 * Text from outside for a terminal or a log line, through
 * certpick_text_escape() (see certpick/outtext.h); "" for NULL. Borrowed:
 * one of CLI_ESC_RING buffers owned by text.c, valid until CLI_ESC_RING more
 * calls in the same thread, enough for the arguments of one printf.
 */
#define CLI_ESC_RING 8
const char *cli_esc(const char *s);
/* The same with enum certpick_text_flags (CERTPICK_TEXT_QUOTED in log lines). */
const char *cli_esc_flags(const char *s, unsigned flags);

/* timearg.c: --at TIME (RFC 3339 or YYYY-MM-DD, UTC). 0, or -1 when malformed. */
int cli_parse_time(const char *s, time_t *out);

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

/* The commands. */
int cmd_capture(int argc, char **argv);
extern const char cmd_capture_usage[];
int cmd_check(int argc, char **argv);
extern const char cmd_check_usage[];
int cmd_demo(int argc, char **argv);
extern const char cmd_demo_usage[];
int cmd_get(int argc, char **argv);
extern const char cmd_get_usage[];
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
int cmd_probe(int argc, char **argv);
extern const char cmd_probe_usage[];
int cmd_select(int argc, char **argv);
extern const char cmd_select_usage[];
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
int cmd_serve(int argc, char **argv);
extern const char cmd_serve_usage[];

/*
 * progress.c: "loading: N files read" / "checking: N of M certificates" on
 * standard error, only when it is a terminal and the work has taken more than
 * a second (CERTPICK_PROGRESS_AFTER_MS, for tests); cleared before a warning
 * and at the end.
 */
struct cli_progress {
	const char *what, *unit; /* "checking", "certificates" */
	bool on;
	bool shown;
	long start, show_at; /* monotonic milliseconds */
	size_t done;	     /* for the callers' counting */
};
void cli_progress_start(struct cli_progress *p, const char *what, const char *unit);
void cli_progress_update(struct cli_progress *p, size_t done, size_t total);
void cli_progress_clear(struct cli_progress *p);
void cli_progress_end(struct cli_progress *p);

#endif
