/* certpick check: is a certificate (key, chain, .pfx) fit for client authentication. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "render.h"

const char cmd_check_usage[] =
    "usage: certpick check [--trust FILE|DIR]... [--crl FILE]... [--at TIME] [--json]\n"
    "                      [--password-env VAR | --password-file F] PATH...\n";

#define MAX_TRUST 16

struct check_args {
	char *trust[MAX_TRUST];
	int ntrust;
	char *crl[MAX_TRUST];
	int ncrl;
	const char *at;
	bool json;
	struct cli_password pw;
};

static int CERTPICK_PRINTF(1, 2) usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = cli_usage_verror(cmd_check_usage, fmt, ap);
	va_end(ap);
	return ret;
}

static int
parse(int argc, char **argv, struct check_args *a)
{
	static const struct option longopts[] = {
		{ "trust", required_argument, NULL, 't' },
		{ "crl", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "password-env", required_argument, NULL, 'e' },
		{ "password-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (a->ntrust == MAX_TRUST)
				return usage_error("too many --trust (at most %d)", MAX_TRUST);
			a->trust[a->ntrust++] = optarg;
			break;
		case 'c':
			if (a->ncrl == MAX_TRUST)
				return usage_error("too many --crl (at most %d)", MAX_TRUST);
			a->crl[a->ncrl++] = optarg;
			break;
		case 'a': a->at = optarg; break;
		case 'j': a->json = true; break;
		case 'e': a->pw.env = optarg; break;
		case 'f': a->pw.file = optarg; break;
		case 'h': fputs(cmd_check_usage, stdout); return -1;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return cli_option_error(argv, "+:h", cmd_check_usage);
		}
	}
	if (a->pw.env != NULL && a->pw.file != NULL)
		return usage_error("give --password-env or --password-file, not both");
	if (optind >= argc)
		return usage_error("no PATH to check");
	return 0;
}

int
cmd_check(int argc, char **argv)
{
	struct check_args a = { 0 };
	struct cli_check_input in = { 0 };
	struct cli_check_report rep = { 0 };
	struct certpick_error err = { 0 };
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	in.now = time(NULL);
	if (a.at != NULL && cli_parse_time(a.at, &in.now) != 0)
		return usage_error("bad --at '%s' (use 2030-01-31 or 2030-01-31T12:00:00Z)", a.at);
	if (cli_password_resolve(&a.pw, &err) != 0)
		return cli_error(&err);
	in.paths = argv + optind;
	in.npaths = argc - optind;
	in.trust = a.trust;
	in.ntrust = a.ntrust;
	in.crl = a.crl;
	in.ncrl = a.ncrl;
	in.password = a.pw.have ? a.pw.buf : NULL;
	in.prompt = !a.pw.have && isatty(STDIN_FILENO);
	if (cli_check_run(&in, &rep, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (a.json) {
		if (cli_check_json_print(&rep) != 0) {
			rc = CLI_EXIT_INTERNAL;
			goto out;
		}
	} else {
		cli_check_print_text(stdout, &rep);
	}
	rc = cli_check_exit(&rep);
out:
	cli_check_report_release(&rep);
	cli_password_wipe(&a.pw);
	return rc;
}
