/* certpick probe: what a server asks of a client certificate (docs/cli/probe.md). */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "render.h"

const char cmd_probe_usage[] =
    "usage: certpick probe [options] TARGET\n"
    "       certpick probe [options] --targets FILE [-j N]\n"
    "\n"
    "TARGET is host[:port] or https://host[:port]/path (port 443 by default), or\n"
    "SCHEME://host[:port] for another service: tls://host:port (the handshake only),\n"
    "and the schemes listed in certpick-probe(1).\n"
    "\n"
    "  --path P             send 'GET P' after the handshake (default: the URL's path, or /)\n"
    "  --servername NAME    SNI and Host header (default: the target's host)\n"
    "  --connect-to ADDR    dial ADDR[:PORT] instead of the target; keep SNI and Host\n"
    "  --tls1.2, --tls1.3   use only this TLS version\n"
    "  -4, -6               use only IPv4 / IPv6 addresses\n"
    "  --timeout SECONDS    bound every phase: resolve, connect, handshake, answer (default 10)\n"
    "  --cert SOURCE        also present this certificate and report the answer: a PEM, DER\n"
    "                       or PKCS#12 file (with its chain) or a pkcs11: URI\n"
    "  --key FILE           its private key (default: in the --cert source)\n"
    "  --password-env VAR   the key's password or PIN is in environment variable VAR\n"
    "  --password-file F    the key's password is the first line of F\n"
    "  --no-h2-check        do not check whether the server would pick HTTP/2\n"
    "  --alpn LIST          offer these ALPN protocols to a non-HTTP target (e.g. h2)\n"
    "  --mail-from ADDR     smtp: also ask the server to relay from ADDR ...\n"
    "  --rcpt-to ADDR       ... to ADDR (MAIL FROM, RCPT TO; nothing is sent)\n"
    "  --json               JSON output (with --targets: one object per line)\n"
    "  --save FILE          also write the JSON to FILE, for 'certpick select --request FILE'\n"
    "  --targets FILE       probe each target in FILE (one per line, # comments; - is stdin)\n"
    "  -j N                 with --targets: N probes at once (default 16)\n"
    "  --order ORDER        with --targets: 'completion' (default) or 'input'\n";

struct probe_args {
	struct certpick_probe_options opts;
	struct cli_password pw;
	const char *target, *targets_file, *save;
	bool json, input_order;
	unsigned jobs;
};

enum {
	O_PATH = 256,
	O_SNI,
	O_CONNECT_TO,
	O_TLS12,
	O_TLS13,
	O_TIMEOUT,
	O_CERT,
	O_KEY,
	O_PWENV,
	O_PWFILE,
	O_NOH2,
	O_ALPN,
	O_MAIL_FROM,
	O_RCPT_TO,
	O_JSON,
	O_SAVE,
	O_TARGETS,
	O_ORDER,
	O_HELP
};

static const struct option longopts[] = {
	{ "path", required_argument, NULL, O_PATH },
	{ "servername", required_argument, NULL, O_SNI },
	{ "connect-to", required_argument, NULL, O_CONNECT_TO },
	{ "tls1.2", no_argument, NULL, O_TLS12 },
	{ "tls1.3", no_argument, NULL, O_TLS13 },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "password-env", required_argument, NULL, O_PWENV },
	{ "password-file", required_argument, NULL, O_PWFILE },
	{ "no-h2-check", no_argument, NULL, O_NOH2 },
	{ "alpn", required_argument, NULL, O_ALPN },
	{ "mail-from", required_argument, NULL, O_MAIL_FROM },
	{ "rcpt-to", required_argument, NULL, O_RCPT_TO },
	{ "json", no_argument, NULL, O_JSON },
	{ "save", required_argument, NULL, O_SAVE },
	{ "targets", required_argument, NULL, O_TARGETS },
	{ "order", required_argument, NULL, O_ORDER },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, ...) CERTPICK_PRINTF(1, 2);

static int
usage_error(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cli_usage_verror(cmd_probe_usage, fmt, ap);
	va_end(ap);
	return rc;
}

static int
positive(const char *s, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && *end == '\0' && end != s && *out > 0 && *out <= max ? 0 : -1;
}

/* An SMTP path the layer can send as is: printable, no space, '<' or '>', one '@'. */
static bool
mail_address_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');

	if (n == 0 || n > 254 || at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

/* -1: usage error printed; 1: --help printed; 0: parsed */
static int
parse_args(int argc, char **argv, struct probe_args *a)
{
	int c;
	double d;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "46j:", longopts, NULL)) != -1) {
		switch (c) {
		case O_PATH: a->opts.path = optarg; break;
		case O_SNI:
			if (!cli_is_hostname(optarg))
				return usage_error("%s",
					   "bad --servername (a host name or an IP "
					   "address)"),
				       -1;
			a->opts.servername = optarg;
			break;
		case O_CONNECT_TO:
			if (!cli_connect_to_ok(optarg))
				return usage_error("%s",
					   "bad --connect-to (ADDR[:PORT] or [V6ADDR]:PORT, "
					   "the port 0 to 65535)"),
				       -1;
			a->opts.connect_to = optarg;
			break;
		case O_TLS12: a->opts.flags |= CERTPICK_PROBE_TLS12_ONLY; break;
		case O_TLS13: a->opts.flags |= CERTPICK_PROBE_TLS13_ONLY; break;
		case '4': a->opts.flags |= CERTPICK_PROBE_IPV4; break;
		case '6': a->opts.flags |= CERTPICK_PROBE_IPV6; break;
		case O_TIMEOUT:
			if (positive(optarg, 3600, &d) != 0)
				return usage_error("bad --timeout '%s' (seconds, up to 3600)",
					   optarg),
				       -1;
			a->opts.timeout_ms = (int)(d * 1000 + 0.5) > 0 ? (int)(d * 1000 + 0.5) : 1;
			break;
		case O_CERT: a->opts.cert_file = optarg; break;
		case O_KEY: a->opts.key_file = optarg; break;
		case O_PWENV: a->pw.env = optarg; break;
		case O_PWFILE: a->pw.file = optarg; break;
		case O_NOH2: a->opts.flags |= CERTPICK_PROBE_NO_H2_CHECK; break;
		case O_ALPN:
			if (*optarg == '\0' || strlen(optarg) > 200)
				return usage_error(
					   "bad --alpn '%s' (protocol names separated by commas)",
					   optarg),
				       -1;
			a->opts.alpn = optarg;
			break;
		case O_MAIL_FROM:
		case O_RCPT_TO:
			if (!mail_address_ok(optarg))
				return usage_error(
					   "bad mail address '%s' (local@domain, no spaces or "
					   "control characters, up to 254 bytes)",
					   optarg),
				       -1;
			*(c == O_MAIL_FROM ? &a->opts.mail_from : &a->opts.rcpt_to) = optarg;
			break;
		case O_JSON: a->json = true; break;
		case O_SAVE: a->save = optarg; break;
		case O_TARGETS: a->targets_file = optarg; break;
		case 'j':
			if (positive(optarg, 10000, &d) != 0 || d != (unsigned)d)
				return usage_error("bad -j '%s' (1 to 10000)", optarg), -1;
			a->jobs = (unsigned)d;
			break;
		case O_ORDER:
			if (strcmp(optarg, "input") != 0 && strcmp(optarg, "completion") != 0)
				return usage_error("bad --order '%s' (input or completion)",
					   optarg),
				       -1;
			a->input_order = strcmp(optarg, "input") == 0;
			break;
		case O_HELP: fputs(cmd_probe_usage, stdout); return 1;
		default: return cli_option_error(argv, "46j:", cmd_probe_usage), -1;
		}
	}
	if ((a->opts.flags & CERTPICK_PROBE_TLS12_ONLY) &&
	    (a->opts.flags & CERTPICK_PROBE_TLS13_ONLY))
		return usage_error("%sgive --tls1.2 or --tls1.3, not both", ""), -1;
	if ((a->opts.flags & CERTPICK_PROBE_IPV4) && (a->opts.flags & CERTPICK_PROBE_IPV6))
		return usage_error("%sgive -4 or -6, not both", ""), -1;
	if (a->opts.key_file != NULL && a->opts.cert_file == NULL)
		return usage_error("%s--key needs --cert", ""), -1;
	if ((a->opts.mail_from == NULL) != (a->opts.rcpt_to == NULL))
		return usage_error("%sgive --mail-from and --rcpt-to together", ""), -1;
	if (a->targets_file == NULL && optind + 1 != argc)
		return usage_error("%sgive one TARGET (or --targets FILE)", ""), -1;
	if (a->targets_file != NULL && optind != argc)
		return usage_error("%sgive either TARGET or --targets FILE", ""), -1;
	if (a->targets_file == NULL)
		a->target = argv[optind];
	return 0;
}

/* exit code of one result: docs/exit-codes.md */
static int
exit_for(const struct certpick_probe_result *r)
{
	if (r->error.code != CERTPICK_OK || r->client_auth == CERTPICK_CLIENT_AUTH_UNKNOWN)
		return CLI_EXIT_NETWORK;
	if (r->with_cert.ran && !r->cert_accepted)
		return CLI_EXIT_NO;
	if (r->client_auth == CERTPICK_CLIENT_AUTH_REQUIRED && !r->cert_accepted)
		return CLI_EXIT_NO;
	return CLI_EXIT_OK;
}

static int
run_one(struct probe_args *a)
{
	struct certpick_probe_result *res = NULL;
	struct certpick_error err = { 0 };
	int rc;

	if (certpick_probe_run(a->target, &a->opts, &res, &err) != 0)
		return cli_error(&err);
	if (a->json)
		rc = cli_json_print(cli_json_probe(res, a->opts.cert_file), false) == 0 ? 0 : -1;
	else
		cli_text_probe(stdout, res, a->opts.cert_file), rc = 0;
	if (rc == 0 && a->save != NULL)
		rc = cli_json_save(a->save, cli_json_probe(res, a->opts.cert_file), false, "w");
	rc = rc == 0 ? exit_for(res) : CLI_EXIT_INPUT;
	certpick_probe_result_free(res);
	return rc;
}

int
cmd_probe(int argc, char **argv)
{
	struct probe_args a = { .jobs = 16 };
	struct certpick_error err = { 0 };
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (cli_password_resolve(&a.pw, &err) != 0)
		return cli_error(&err);
	if (a.pw.have)
		a.opts.key_password = a.pw.buf;
	if (cli_g.verbose > 0)
		a.opts.trace = cli_trace;
	rc = a.targets_file != NULL ?
	    cli_probe_many(&a.opts, a.targets_file, a.jobs, a.json, a.input_order, a.save) :
	    run_one(&a);
	cli_password_wipe(&a.pw);
	return rc;
}
