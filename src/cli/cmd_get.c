/*
 * certpick get: like curl, but the client certificate is the one a chosen
 * client would pick from the sources; a refusal is explained from the probe
 * and the selection trace (render_get.c). No TLS logic here.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

#define GET_DEFAULT_CLIENT "nss"
#define GET_MAX_BODY_FILE ((size_t)256 << 20) /* -d @FILE */
#define GET_OPTSTRING "-X:H:d:o:ikq"

const char cmd_get_usage[] =
    "usage: certpick get [options] URL [SOURCE...]\n"
    "\n"
    "Probes URL, picks the client certificate (and chain) CLIENT would send from the\n"
    "sources, sends the request with it and explains a refusal. SOURCE: certificate\n"
    "files, folders, PKCS#12 (.p12/.pfx); the answer's body goes to stdout.\n"
    "\n"
    "  --client NAME          pick as NAME does (default " GET_DEFAULT_CLIENT
    "; the names: certpick select),\n"
    "                         and offer TLS 1.3 post-handshake auth and answer TLS 1.2\n"
    "                         renegotiation only where NAME does (without --client:\n"
    "                         always)\n"
    "  --any-phase            offer post-handshake auth and answer renegotiation anyway\n"
    "  --nssdb DIR            also read the certificates of an NSS database\n"
    "  --pkcs11 URI           also read the certificates of a PKCS#11 token\n"
    "  --password-env VAR     password of encrypted keys and .p12 files is in VAR\n"
    "  --password-file F      ... is the first line of F\n"
    "  --pin-env VAR          PIN of PKCS#11 tokens is in VAR\n"
    "  --pin-file F           ... is the first line of F\n"
    "  -X, --request METHOD   HTTP method (default GET, or POST with a body)\n"
    "  -H, --header 'N: V'    add a request header (repeatable)\n"
    "  -d, --data DATA        send DATA as the body (@FILE reads FILE)\n"
    "  --data-binary @FILE    send FILE as the body, byte for byte\n"
    "  -o, --output FILE      write the body to FILE instead of stdout\n"
    "  -i, --include          write the status line and headers before the body\n"
    "  --connect-to ADDR      dial ADDR[:PORT] instead of the URL's host; keep SNI and Host\n"
    "  --servername NAME      SNI and Host header (default: the URL's host)\n"
    "  --tls1.2, --tls1.3     use only this TLS version\n"
    "  --timeout SECONDS      bound every phase (default 10)\n"
    "  --trust FILE|DIR       CAs that verify the server (default: the system's)\n"
    "  -k, --insecure         do not verify the server's certificate\n"
    "  --json                 print a JSON summary instead of the body\n"
    "  -q, --quiet            do not explain a refusal on stderr\n";

enum {
	O_CLIENT = 256,
	O_DATABIN,
	O_CONNECT_TO,
	O_SNI,
	O_TLS12,
	O_TLS13,
	O_TIMEOUT,
	O_TRUST,
	O_JSON,
	O_HELP,
	O_ANY_PHASE
};

static const struct option longopts[] = {
	{ "client", required_argument, NULL, O_CLIENT },
	CLI_SOURCE_LONGOPTS,
	{ "request", required_argument, NULL, 'X' },
	{ "header", required_argument, NULL, 'H' },
	{ "data", required_argument, NULL, 'd' },
	{ "data-binary", required_argument, NULL, O_DATABIN },
	{ "output", required_argument, NULL, 'o' },
	{ "include", no_argument, NULL, 'i' },
	{ "connect-to", required_argument, NULL, O_CONNECT_TO },
	{ "servername", required_argument, NULL, O_SNI },
	{ "tls1.2", no_argument, NULL, O_TLS12 },
	{ "tls1.3", no_argument, NULL, O_TLS13 },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "trust", required_argument, NULL, O_TRUST },
	{ "insecure", no_argument, NULL, 'k' },
	{ "json", no_argument, NULL, O_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, O_HELP },
	{ "any-phase", no_argument, NULL, O_ANY_PHASE },
	{ NULL, 0, NULL, 0 },
};

struct get_args {
	const char *url, *client, *output, *data;
	bool include, json, quiet, data_file, any_phase;
	struct cli_sources src;
	const char *headers[64];
	size_t n_headers;
	struct certpick_probe_options po;
	struct certpick_get_options go;
};

static int usage_error(const char *fmt, ...) CERTPICK_PRINTF(1, 2);

static int
usage_error(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cli_usage_verror(cmd_get_usage, fmt, ap);
	va_end(ap);
	return rc;
}

/* "Name: value": Name an HTTP token, the value without control characters but HTAB. */
static bool
header_ok(const char *h)
{
	const char *colon = strchr(h, ':');
	char name[256];

	if (colon == NULL || (size_t)(colon - h) >= sizeof(name))
		return false;
	memcpy(name, h, (size_t)(colon - h));
	name[colon - h] = '\0';
	for (const unsigned char *v = (const unsigned char *)colon + 1; *v != '\0'; v++)
		if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
			return false;
	return cli_is_http_token(name);
}

static int
parse_args(int argc, char **argv, struct get_args *a)
{
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, GET_OPTSTRING, longopts, NULL)) != -1) {
		if (ch == 1 && a->url == NULL) {
			a->url = optarg;
			continue;
		}
		if ((rc = cli_sources_option(&a->src, ch == 1 ? CLI_SRC_PATH : ch, optarg,
			 cmd_get_usage)) == 1)
			continue;
		if (rc != 0)
			return rc;
		switch (ch) {
		case O_CLIENT: a->client = optarg; break;
		case 'X':
			if (!cli_is_http_token(optarg))
				return usage_error("%s",
				    "bad -X METHOD (an HTTP token: letters, digits, "
				    "no spaces or control characters)");
			a->go.method = optarg;
			break;
		case 'H':
			if (a->n_headers == sizeof(a->headers) / sizeof(a->headers[0]))
				return usage_error("too many headers (%s)", optarg);
			if (!header_ok(optarg))
				return usage_error("%s",
				    "bad -H header (Name: value; the name an HTTP "
				    "token, no control characters)");
			a->headers[a->n_headers++] = optarg;
			break;
		case 'd':
		case O_DATABIN:
			a->data_file = optarg[0] == '@';
			a->data = a->data_file ? optarg + 1 : optarg;
			if (ch == O_DATABIN && !a->data_file)
				return usage_error("--data-binary wants @FILE, not '%s'", optarg);
			break;
		case 'o': a->output = optarg; break;
		case 'i': a->include = true; break;
		case 'k': a->go.insecure = true; break;
		case 'q': a->quiet = true; break;
		case O_ANY_PHASE: a->any_phase = true; break;
		case O_CONNECT_TO:
			if (!cli_connect_to_ok(optarg))
				return usage_error("%s",
				    "bad --connect-to (ADDR[:PORT] or [V6ADDR]:PORT, "
				    "the port 0 to 65535)");
			a->po.connect_to = a->go.connect_to = optarg;
			break;
		case O_SNI:
			if (!cli_is_hostname(optarg))
				return usage_error("%s",
				    "bad --servername (a host name or an IP address)");
			a->po.servername = a->go.servername = optarg;
			break;
		case O_TLS12: a->go.flags |= CERTPICK_PROBE_TLS12_ONLY; break;
		case O_TLS13: a->go.flags |= CERTPICK_PROBE_TLS13_ONLY; break;
		case O_TIMEOUT:
			if (cli_parse_timeout(optarg, &a->go.timeout_ms) != 0)
				return usage_error("bad --timeout '%s' (seconds)", optarg);
			a->po.timeout_ms = a->go.timeout_ms;
			break;
		case O_TRUST: a->go.trust_path = optarg; break;
		case O_JSON: a->json = true; break;
		case O_HELP: return -1;
		default: return cli_option_error(argv, GET_OPTSTRING, cmd_get_usage);
		}
	}
	if (a->url == NULL)
		return usage_error("%s", "missing URL");
	if ((a->go.flags & CERTPICK_PROBE_TLS12_ONLY) && (a->go.flags & CERTPICK_PROBE_TLS13_ONLY))
		return usage_error("%s", "--tls1.2 and --tls1.3 exclude each other");
	/* without --client, certpick answers whenever the server asks */
	if (a->client == NULL) {
		a->client = GET_DEFAULT_CLIENT;
		a->any_phase = true;
	}
	if (certpick_profile_find(a->client) == NULL)
		return usage_error("unknown client '%s' (see certpick select --list-clients)",
		    a->client);
	a->po.flags = a->go.flags | CERTPICK_PROBE_NO_H2_CHECK;
	a->go.headers = a->headers;
	a->go.n_headers = a->n_headers;
	a->po.trace = a->go.trace = cli_trace;
	return 0;
}

/* The body (and with -i the head) to stdout or -o FILE. */
static int
write_answer(const struct get_args *a, const struct certpick_get_result *g)
{
	FILE *fp = stdout;
	int rc = 0;

	if (a->output != NULL && (fp = fopen(a->output, "wb")) == NULL) {
		fprintf(stderr, "certpick: error: cannot write '%s': %s\n", cli_esc(a->output),
		    strerror(errno));
		return CLI_EXIT_INPUT;
	}
	if (a->include && g->head != NULL)
		fputs(g->head, fp);
	if (g->body_len > 0)
		fwrite(g->body, 1, g->body_len, fp);
	if (fp != stdout && fclose(fp) != 0)
		rc = CLI_EXIT_INPUT;
	return rc;
}

/* -d DATA, or -d/--data-binary @FILE read as every local input is (certpick/file.h). */
static int
read_body(struct get_args *a, char **buf, size_t *len)
{
	struct certpick_error err = { 0 };
	void *data = NULL;

	if (!a->data_file) {
		*len = strlen(a->data);
		return (*buf = strdup(a->data)) == NULL ? CLI_EXIT_INTERNAL : 0;
	}
	if (certpick_file_read(a->data, GET_MAX_BODY_FILE, &data, len, &err) != 0)
		return cli_error(&err);
	*buf = data;
	return 0;
}

int
cmd_get(int argc, char **argv)
{
	struct get_args a = { 0 };
	struct certpick_error err = { 0 };
	struct certpick_candset *set = NULL;
	struct cli_get_run r = { 0 };
	struct certpick_load_options pin;
	char *body = NULL;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) == -1) {
		fputs(cmd_get_usage, stdout);
		return CLI_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	signal(SIGPIPE, SIG_IGN); /* a server may close while the request is written */
	if (a.data != NULL) {
		if ((rc = read_body(&a, &body, &a.go.body_len)) != 0)
			goto out;
		a.go.body = body;
	}
	if ((rc = cli_sources_resolve(&a.src)) != 0)
		goto out;
	pin = cli_sources_options(&a.src, true);
	a.go.token_login = &pin;
	if ((set = certpick_candset_new(&err)) == NULL) {
		rc = cli_error(&err);
		goto out;
	}
	if ((rc = cli_sources_load(&a.src, set, true)) != 0)
		goto out;
	if (cli_get_flow(a.url, set, certpick_profile_find(a.client), &a.po, &a.go, a.any_phase, 0,
		&r, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	rc = cli_get_exit(&r);
	if (r.get == NULL && a.json && cli_json_print(cli_get_json(&r, a.url), false) != 0)
		rc = CLI_EXIT_INTERNAL;
	if (r.get == NULL) {
		fprintf(stderr, "certpick: error: cannot probe '%s': %s", cli_esc(a.url),
		    cli_esc(r.probe->error.message));
		if (r.probe->error.detail[0] != '\0')
			fprintf(stderr, ": %s", cli_esc(r.probe->error.detail));
		fputc('\n', stderr);
		goto out;
	}
	if (a.json) {
		if (cli_json_print(cli_get_json(&r, a.url), false) != 0)
			rc = CLI_EXIT_INTERNAL;
	}
	if (r.get->status > 0 && (!a.json || a.output != NULL)) {
		int w = write_answer(&a, r.get);
		if (w != 0)
			rc = w;
	}
	if (r.get->status == 0 && rc == CLI_EXIT_NETWORK && !a.quiet)
		fprintf(stderr, "certpick: error: %s%s%s\n", cli_esc(r.get->error.message),
		    r.get->error.detail[0] ? ": " : "", cli_esc(r.get->error.detail));
	else if (rc != CLI_EXIT_OK && !a.quiet && !a.json)
		cli_get_explain(stderr, &r);
	else if (cli_g.verbose > 0)
		cli_get_explain(stderr, &r);
out:
	cli_sources_wipe(&a.src);
	cli_get_run_release(&r);
	certpick_candset_free(set);
	if (a.data_file)
		certpick_file_free(body, a.go.body_len);
	else
		free(body);
	return rc;
}
