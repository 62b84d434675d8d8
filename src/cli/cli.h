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
 * text or JSON from the same result structs (render.h: the shapes, the
 * renderers and the flows commands share), and returns an exit code.
 */
#ifndef CERTPICK_CLI_H
#define CERTPICK_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

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
/* --mail-from/--rcpt-to ADDR: an SMTP path sent as is: printable, no space, '<' or '>', one '@'. */
bool cli_mail_address_ok(const char *s);
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
/* Resolve env/file into p->buf; 0 on success or when none given; -1 and err when
 * the variable is unset, the file unreadable, the value too long, or both are given. */
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
	bool release_keys;     /* the command never signs (select): keys paired, then released */
	bool lazy_public_keys; /* public keys decoded only when used (select) */
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

/* The commands (main.c lists them). */
int cmd_capture(int argc, char **argv);
extern const char cmd_capture_usage[];
int cmd_check(int argc, char **argv);
extern const char cmd_check_usage[];
int cmd_demo(int argc, char **argv);
extern const char cmd_demo_usage[];
int cmd_get(int argc, char **argv);
extern const char cmd_get_usage[];
int cmd_probe(int argc, char **argv);
extern const char cmd_probe_usage[];
int cmd_select(int argc, char **argv);
extern const char cmd_select_usage[];
int cmd_serve(int argc, char **argv);
extern const char cmd_serve_usage[];

#endif
