/*
 * certpick serve: parse flags, start the library's server on a loop with
 * SIGINT/SIGTERM events, print the startup notes and one access-log line per
 * request (text, or JSON Lines with --json-log). No TLS logic here.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>

#include "cli.h"

const char cmd_serve_usage[] =
    "usage: certpick serve [--listen ADDR:PORT]... [--cert FILE [--key FILE]]\n"
    "                      [--trust FILE|DIR] [--ca-names FILE|DIR | --no-ca-names]\n"
    "                      [--client-auth require|optional|none] [--require PATH]...\n"
    "                      [--crl FILE [--crl-all]] [--tls1.2 | --tls1.3]\n"
    "                      [--fail-handshake] [--max-connections N]\n"
    "                      [--handshake-timeout SEC] [--header-timeout SEC]\n"
    "                      [--idle-timeout SEC] [--json-log]\n";

#define MAX_LIST 64

struct serve_args {
	const char *listen[MAX_LIST];
	size_t n_listen;
	const char *require[MAX_LIST];
	size_t n_require;
	bool auth_given;
	bool json_log;
};

enum {
	OPT_LISTEN = 256,
	OPT_CERT,
	OPT_KEY,
	OPT_TRUST,
	OPT_CA_NAMES,
	OPT_NO_CA_NAMES,
	OPT_CLIENT_AUTH,
	OPT_REQUIRE,
	OPT_CRL,
	OPT_TLS12,
	OPT_TLS13,
	OPT_FAIL_HS,
	OPT_MAXCONN,
	OPT_HS_TO,
	OPT_HDR_TO,
	OPT_IDLE_TO,
	OPT_JSON_LOG,
	OPT_HELP,
	OPT_CRL_ALL,
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "ca-names", required_argument, NULL, OPT_CA_NAMES },
	{ "no-ca-names", no_argument, NULL, OPT_NO_CA_NAMES },
	{ "client-auth", required_argument, NULL, OPT_CLIENT_AUTH },
	{ "require", required_argument, NULL, OPT_REQUIRE },
	{ "crl", required_argument, NULL, OPT_CRL },
	{ "crl-all", no_argument, NULL, OPT_CRL_ALL },
	{ "tls1.2", no_argument, NULL, OPT_TLS12 },
	{ "tls1.3", no_argument, NULL, OPT_TLS13 },
	{ "fail-handshake", no_argument, NULL, OPT_FAIL_HS },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "handshake-timeout", required_argument, NULL, OPT_HS_TO },
	{ "header-timeout", required_argument, NULL, OPT_HDR_TO },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TO },
	{ "json-log", no_argument, NULL, OPT_JSON_LOG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int CERTPICK_PRINTF(1, 2) usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = cli_usage_verror(cmd_serve_usage, fmt, ap);
	va_end(ap);
	return ret;
}

/* "1.5" seconds -> 1500 ms; 0 < value <= one day */
static int
parse_seconds(const char *s, unsigned *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v > 0) || v > 86400)
		return -1;
	*ms = (unsigned)(v * 1000 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return 0;
}

/*
 * One line per request. What the peer chose (method, decoded path, subject)
 * is escaped, quotes included, so that no request can end the line or a
 * quoted field early and forge another (F2).
 */
static void
log_text(const struct certpick_serve_report *r)
{
	char tb[32];

	printf("%s %s \"%s %s\" %d %s %s %s asked=%s", cli_time(r->time, tb, sizeof(tb)),
	    cli_esc(r->peer), r->method[0] ? cli_esc_flags(r->method, CERTPICK_TEXT_QUOTED) : "-",
	    r->path ? cli_esc_flags(r->path, CERTPICK_TEXT_QUOTED) : "-", r->status,
	    r->substatus ? r->substatus : "-", r->has_reason ? certpick_reason_id(r->reason) : "-",
	    r->tls_version ? cli_esc(r->tls_version) : "-", certpick_serve_asked_name(r->asked));
	if (r->n_chain > 0)
		printf(" cert=\"%s\" sha256=%.16s",
		    r->chain[0].subject.rfc4514 ?
			cli_esc_flags(r->chain[0].subject.rfc4514, CERTPICK_TEXT_QUOTED) :
			"?",
		    r->chain[0].sha256);
	putchar('\n');
}

static void
on_report(void *arg, const struct certpick_serve_report *r)
{
	const struct serve_args *a = arg;

	if (a->json_log) {
		char *line = certpick_serve_report_json(r);

		if (line != NULL)
			puts(line);
		free(line);
	} else {
		log_text(r);
	}
	fflush(stdout);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	fprintf(stderr, "certpick: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	certpick_serve_stop(arg);
}

/* Many idle clients need many descriptors: take the hard limit. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
print_start(struct certpick_serve *srv, const struct certpick_serve_options *o)
{
	size_t n;
	const struct certpick_dn *names = certpick_serve_ca_names(srv, &n);
	const struct certpick_findings *f = certpick_serve_findings(srv);

	for (size_t i = 0; certpick_serve_listen_addr(srv, i) != NULL; i++)
		fprintf(stderr, "certpick: serving https://%s/ (client auth: %s%s)\n",
		    certpick_serve_listen_addr(srv, i), certpick_serve_auth_name(o->auth),
		    o->n_require > 0 ? ", per path" : "");
	if (certpick_serve_identity_generated(srv))
		fprintf(stderr,
		    "certpick: throwaway server certificate for localhost, SHA-256 %s\n",
		    certpick_serve_identity_sha256(srv));
	fprintf(stderr, "certpick: CA names sent: %zu (CertificateRequest about %zu bytes)\n", n,
	    certpick_serve_certreq_size(srv));
	for (size_t i = 0; i < n && i < 20; i++)
		fprintf(stderr, "  %s\n",
		    names[i].rfc4514 ? cli_esc(names[i].rfc4514) : "(invalid name)");
	if (n > 20)
		fprintf(stderr, "  ... and %zu more\n", n - 20);
	for (size_t i = 0; i < f->n; i++)
		cli_text_finding(stderr, &f->v[i], "certpick: ");
}

/* The port of "ADDR:PORT" / "[V6]:PORT" is a number the kernel can bind (F19: 99999 is not). */
static bool
listen_port_ok(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	unsigned port;

	return colon != NULL && cli_parse_port(colon + 1, &port) == 0;
}

/* Options with a value to check. 0, or the usage error's exit code. */
static int
take_value(int ch, const char *arg, struct serve_args *a, struct certpick_serve_options *o)
{
	long v;
	char *end;

	switch (ch) {
	case OPT_LISTEN:
		if (a->n_listen == MAX_LIST)
			return usage_error("too many --listen (max %d)", MAX_LIST);
		if (!listen_port_ok(arg))
			return usage_error("bad --listen '%s' (ADDR:PORT, the port 0 to 65535)",
			    arg);
		a->listen[a->n_listen++] = arg;
		return 0;
	case OPT_CLIENT_AUTH:
		if (certpick_serve_auth_from_name(arg, &o->auth) != 0)
			return usage_error("bad --client-auth '%s' (require, optional, none)", arg);
		a->auth_given = true;
		return 0;
	case OPT_REQUIRE:
		if (a->n_require == MAX_LIST)
			return usage_error("too many --require (max %d)", MAX_LIST);
		if (arg[0] != '/')
			return usage_error("--require '%s' must start with '/'", arg);
		a->require[a->n_require++] = arg;
		return 0;
	case OPT_MAXCONN:
		v = strtol(arg, &end, 10);
		if (end == arg || *end != '\0' || v < 1 || v > 1000000)
			return usage_error("bad --max-connections '%s'", arg);
		o->max_connections = (unsigned)v;
		return 0;
	case OPT_HS_TO:
		return parse_seconds(arg, &o->handshake_timeout_ms) != 0 ?
		    usage_error("bad --handshake-timeout '%s'", arg) :
		    0;
	case OPT_HDR_TO:
		return parse_seconds(arg, &o->header_timeout_ms) != 0 ?
		    usage_error("bad --header-timeout '%s'", arg) :
		    0;
	default: /* OPT_IDLE_TO */
		return parse_seconds(arg, &o->idle_timeout_ms) != 0 ?
		    usage_error("bad --idle-timeout '%s'", arg) :
		    0;
	}
}

/* One option into a and o. 0, -1 after --help (exit 0), or the error's exit code. */
static int
take_option(int ch, const char *arg, char **argv, struct serve_args *a,
    struct certpick_serve_options *o)
{
	switch (ch) {
	case OPT_CERT: o->cert_file = arg; return 0;
	case OPT_KEY: o->key_file = arg; return 0;
	case OPT_TRUST: o->trust_path = arg; return 0;
	case OPT_CA_NAMES: o->ca_names_path = arg; return 0;
	case OPT_NO_CA_NAMES: o->no_ca_names = true; return 0;
	case OPT_CRL: o->crl_file = arg; return 0;
	case OPT_CRL_ALL: o->crl_check_all = true; return 0;
	case OPT_TLS12: o->tls_version = CERTPICK_TLS12; return 0;
	case OPT_TLS13: o->tls_version = CERTPICK_TLS13; return 0;
	case OPT_FAIL_HS: o->fail_handshake = true; return 0;
	case OPT_JSON_LOG: a->json_log = true; return 0;
	case OPT_HELP: fputs(cmd_serve_usage, stdout); return -1;
	case OPT_LISTEN:
	case OPT_CLIENT_AUTH:
	case OPT_REQUIRE:
	case OPT_MAXCONN:
	case OPT_HS_TO:
	case OPT_HDR_TO:
	case OPT_IDLE_TO: return take_value(ch, arg, a, o);
	default: return cli_option_error(argv, "", cmd_serve_usage);
	}
}

/* The options that depend on each other; then o borrows a's lists. 0 or exit code. */
static int
finish_args(struct serve_args *a, struct certpick_serve_options *o)
{
	if (o->no_ca_names && o->ca_names_path != NULL)
		return usage_error("--ca-names and --no-ca-names exclude each other");
	if (o->key_file != NULL && o->cert_file == NULL)
		return usage_error("--key needs --cert");
	if (o->crl_check_all && o->crl_file == NULL)
		return usage_error("--crl-all needs --crl");
	/* like IIS: with per-path requests and no --client-auth, the handshake asks nothing */
	if (a->n_require > 0 && !a->auth_given)
		o->auth = CERTPICK_SERVE_AUTH_NONE;
	o->listen = a->listen;
	o->n_listen = a->n_listen;
	o->require_paths = a->require;
	o->n_require = a->n_require;
	o->log = on_report;
	o->log_arg = a;
	o->trace = cli_trace;
	return 0;
}

/* The server on its own loop until SIGINT or SIGTERM; the exit code. */
static int
run_server(struct certpick_serve_options *o)
{
	struct certpick_error err = { 0 };
	struct certpick_serve *srv = NULL;
	struct event_base *base = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	int ret = CLI_EXIT_INTERNAL;

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((base = event_base_new()) == NULL) {
		fputs("certpick: error: cannot make an event loop\n", stderr);
		goto out;
	}
	o->base = base;
	if ((srv = certpick_serve_new(o, &err)) == NULL) {
		ret = cli_error(&err);
		goto out;
	}
	if ((sigint = evsignal_new(base, SIGINT, on_signal, srv)) == NULL ||
	    (sigterm = evsignal_new(base, SIGTERM, on_signal, srv)) == NULL ||
	    evsignal_add(sigint, NULL) != 0 || evsignal_add(sigterm, NULL) != 0) {
		fputs("certpick: error: cannot watch signals\n", stderr);
		goto out;
	}
	print_start(srv, o);
	if (certpick_serve_run(srv, &err) != 0) {
		ret = cli_error(&err);
		goto out;
	}
	ret = CLI_EXIT_OK;
out:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	certpick_serve_free(srv);
	if (base != NULL)
		event_base_free(base);
	return ret;
}

int
cmd_serve(int argc, char **argv)
{
	struct serve_args a = { 0 };
	struct certpick_serve_options o = { .auth = CERTPICK_SERVE_AUTH_REQUIRE };
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((rc = take_option(ch, optarg, argv, &a, &o)) != 0)
			return rc < 0 ? CLI_EXIT_OK : rc;
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if ((rc = finish_args(&a, &o)) != 0)
		return rc;
	return run_server(&o);
}
