/* certpick: the command table, global flags and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include "cli.h"

struct cli_globals cli_g;

static const struct cli_command commands[] = {
	{ "capture", cmd_capture, "explain client-certificate authentication from a packet capture",
	    cmd_capture_usage },
	{ "check", cmd_check, "check a certificate for client-authentication problems",
	    cmd_check_usage },
	{ "demo", cmd_demo,
	    "tell the whole story offline: throwaway PKI, check, serve, probe, select, get",
	    cmd_demo_usage },
	{ "get", cmd_get,
	    "make a request (HTTPS, or a mail, directory, database... login) with the client certificate a client would pick",
	    cmd_get_usage },
	{ "probe", cmd_probe,
	    "show what a server asks of a client certificate, and if it is required",
	    cmd_probe_usage },
	{ "select", cmd_select, "say which client certificate each client sends, and why not",
	    cmd_select_usage },
	{ "serve", cmd_serve, "run an mTLS HTTPS server that explains what clients send",
	    cmd_serve_usage },
};

static const char main_usage[] =
    "usage: certpick [--version] [--help] [-v] [--debug] [--no-color] COMMAND [ARGS]\n";

const struct cli_command *
cli_commands(size_t *n)
{
	*n = CLI_NELEM(commands);
	return commands;
}

void
cli_usage(FILE *fp, const struct cli_command *cmd)
{
	fputs(cmd->usage, fp);
}

static void
print_main_help(FILE *fp)
{
	fputs(main_usage, fp);
	fputs("\nShows both halves of a TLS client-certificate failure: what the server\n"
	      "asked for, and what the client did with it.\n\ncommands:\n",
	    fp);
	for (size_t i = 0; i < CLI_NELEM(commands); i++)
		fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'certpick COMMAND --help' for a command's options.\n"
	      "Exit codes: 0 yes, 1 no, 2 usage, 3 network/TLS, 4 local input, 70 internal.\n",
	    fp);
}

int
cli_exit_for(const struct certpick_error *err)
{
	switch (err->code) {
	case CERTPICK_OK: return CLI_EXIT_OK;
	case CERTPICK_ERR_USAGE: return CLI_EXIT_USAGE;
	case CERTPICK_ERR_NETWORK:
	case CERTPICK_ERR_TLS: return CLI_EXIT_NETWORK;
	case CERTPICK_ERR_IO:
	case CERTPICK_ERR_PARSE:
	case CERTPICK_ERR_PASSWORD: return CLI_EXIT_INPUT;
	case CERTPICK_ERR_NOMEM:
	case CERTPICK_ERR_INTERNAL: return CLI_EXIT_INTERNAL;
	}
	return CLI_EXIT_INTERNAL;
}

static void
print_error_line(const char *kind, const struct certpick_error *err)
{
	fprintf(stderr, "certpick: %s: %s", kind, cli_esc(err->message));
	if (err->detail[0] != '\0')
		fprintf(stderr, ": %s", cli_esc(err->detail));
	if (cli_g.debug && err->where != NULL)
		fprintf(stderr, " [%s]", err->where);
	fputc('\n', stderr);
}

int
cli_usage_verror(const char *usage, const char *fmt, va_list ap)
{
	fputs("certpick: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return CLI_EXIT_USAGE;
}

int
cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = cli_usage_verror(usage, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * getopt_long (with opterr = 0) refused argv[optind - 1]. Name only the part
 * before '=': a near miss such as --passw=VALUE must not echo the value.
 */
int
cli_option_error(char **argv, const char *optstring, const char *usage)
{
	const char *arg = argv[optind - 1];
	size_t n = strcspn(arg, "=");
	bool is_long = strncmp(arg, "--", 2) == 0;

	if ((is_long && optopt != 0) ||
	    (!is_long && optopt != 0 && optopt != ':' && strchr(optstring, optopt) != NULL))
		fprintf(stderr, "certpick: error: option '%.*s' needs a value\n", (int)n, arg);
	else
		fprintf(stderr, "certpick: error: unknown option '%.*s'\n", (int)n, arg);
	fputs(usage, stderr);
	return CLI_EXIT_USAGE;
}

/* see cli.h */
bool
cli_is_hostname(const char *s)
{
	unsigned char ip[16];
	size_t n = strlen(s);

	if (inet_pton(AF_INET, s, ip) == 1 || inet_pton(AF_INET6, s, ip) == 1)
		return true;
	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") == n;
}

/* see cli.h */
bool
cli_is_http_token(const char *s)
{
	/* RFC 9110 5.6.2: tchar */
	size_t n = strlen(s);

	return n > 0 &&
	    strspn(s,
		"!#$%&'*+-.^_`|~0123456789"
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

/* see cli.h */
bool
cli_mail_address_ok(const char *s)
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

/* see cli.h */
bool
cli_connect_to_ok(const char *s)
{
	const char *colon = strrchr(s, ':'), *end;
	unsigned port;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return false;
		return end[1] == '\0' || (end[1] == ':' && cli_parse_port(end + 2, &port) == 0);
	}
	if (colon == NULL || strchr(s, ':') != colon)
		return colon == s ? false : true; /* "addr", or a bare IPv6 address */
	return colon != s && cli_parse_port(colon + 1, &port) == 0;
}

/* see cli.h */
int
cli_parse_timeout(const char *s, int *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v > 0 && v <= 3600))
		return -1;
	*ms = (int)(v * 1000 + 0.5) > 0 ? (int)(v * 1000 + 0.5) : 1;
	return 0;
}

/* see cli.h */
int
cli_parse_port(const char *s, unsigned *port)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > 65535)
		return -1;
	*port = v;
	return 0;
}

int
cli_error(const struct certpick_error *err)
{
	print_error_line("error", err);
	return cli_exit_for(err);
}

void
cli_warn_error(void *arg, const struct certpick_error *e)
{
	(void)arg;
	print_error_line("warning", e);
}

void
cli_warn(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	/* the arguments may be file names or peer text: the line is escaped whole */
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "certpick: warning: %s\n", cli_esc(buf));
}

void
cli_trace(void *arg, const char *line)
{
	(void)arg;
	if (cli_g.verbose > 0)
		fprintf(stderr, "* %s\n", cli_esc(line));
}

int
cli_finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "certpick: error: cannot write output: %s\n", strerror(errno));
		return code == CLI_EXIT_OK || code == CLI_EXIT_NO ? CLI_EXIT_INPUT : code;
	}
	return code;
}

/*
 * certpick may hold private keys and passwords in memory: no core dumps, and
 * no ptrace attach by other processes of the same user (SECURITY.md).
 * CERTPICK_ALLOW_CORE=1 keeps them for debugging certpick itself.
 */
static void
no_core_dumps(void)
{
	const char *allow = getenv("CERTPICK_ALLOW_CORE");
	struct rlimit rl = { 0, 0 };

	if (allow != NULL && strcmp(allow, "1") == 0)
		return;
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * A secret on the command line sits in shell history and in ps: refuse
 * --password/--pin VALUE outright, before getopt, whose "unrecognized
 * option '--password=VALUE'" would echo it (SECURITY.md).
 */
static bool
secret_on_argv(int argc, char **argv)
{
	static const char *const names[] = { "--password", "--pin", "--passphrase", "--pass" };

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		for (size_t k = 0; k < CLI_NELEM(names); k++) {
			size_t n = strlen(names[k]);

			if (strncmp(argv[i], names[k], n) == 0 &&
			    (argv[i][n] == '\0' || argv[i][n] == '=')) {
				fprintf(stderr,
				    "certpick: error: unknown option '%.*s': passwords "
				    "are never taken on the command line (shell history, ps); use "
				    "%s-env VAR or %s-file FILE, or answer the prompt\n",
				    (int)n, names[k], k == 1 ? "--pin" : "--password",
				    k == 1 ? "--pin" : "--password");
				return true;
			}
		}
	return false;
}

/*
 * .pfx files from older Windows (and openssl pkcs12 -legacy) use RC2-40 or
 * 3DES: OpenSSL 3 keeps those in the "legacy" provider. Loaded before every
 * command (most read keys); unloaded before exit so nothing is left behind.
 */
static OSSL_PROVIDER *prov_legacy, *prov_default;

static void
providers_load(void)
{
	if ((prov_legacy = OSSL_PROVIDER_load(NULL, "legacy")) != NULL)
		prov_default = OSSL_PROVIDER_load(NULL, "default");
	ERR_clear_error(); /* no legacy module: those files then fail to decrypt */
}

static int
providers_unload(int rc)
{
	if (prov_default != NULL)
		OSSL_PROVIDER_unload(prov_default);
	if (prov_legacy != NULL)
		OSSL_PROVIDER_unload(prov_legacy);
	prov_legacy = prov_default = NULL;
	return rc;
}

static void
init_color(void)
{
	const char *nc = getenv("NO_COLOR");

	cli_g.color = isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
}

int
main(int argc, char **argv)
{
	int i;

	no_core_dumps();
	init_color();
	if (secret_on_argv(argc, argv))
		return CLI_EXIT_USAGE;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("certpick %s (%s)\n", CERTPICK_VERSION_STRING,
			    OpenSSL_version(OPENSSL_VERSION));
			return cli_finish(CLI_EXIT_OK);
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			print_main_help(stdout);
			return cli_finish(CLI_EXIT_OK);
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
			cli_g.verbose++;
		} else if (strcmp(argv[i], "--debug") == 0) {
			cli_g.debug = true;
		} else if (strcmp(argv[i], "--no-color") == 0) {
			cli_g.color = false;
		} else {
			fprintf(stderr, "certpick: error: unknown option '%.*s'\n%s",
			    (int)strcspn(argv[i], "="), argv[i], main_usage);
			return CLI_EXIT_USAGE;
		}
	}
	if (i == argc) {
		print_main_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 == argc) {
			print_main_help(stdout);
			return cli_finish(CLI_EXIT_OK);
		}
		static char help_flag[] = "--help";
		argv[i] = argv[i + 1];
		argv[i + 1] = help_flag;
	}
	for (size_t k = 0; k < CLI_NELEM(commands); k++)
		if (strcmp(argv[i], commands[k].name) == 0) {
			providers_load();
			return providers_unload(cli_finish(commands[k].fn(argc - i, argv + i)));
		}
	fprintf(stderr, "certpick: error: unknown command '%s'\n%s", argv[i], main_usage);
	return CLI_EXIT_USAGE;
}
