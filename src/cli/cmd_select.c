/*
 * certpick select: which client certificate a client sends for a request,
 * and why each other one is not sent. Parses flags, loads the sources in
 * command-line order, builds or reads the request, runs the library, renders
 * (render_select.c). No TLS logic here.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "certpick/select.h"

const char cmd_select_usage[] =
    "usage: certpick select [--client NAME|all] [--json] [--at TIME]\n"
    "                       [--request FILE | --ca-names FILE.pem | --issuer DN ...]\n"
    "                       [--sigalgs LIST] [--tls1.2] [--request-size N]\n"
    "                       [--nssdb DIR] [--pkcs11 URI] [--pin-env VAR | --pin-file F]\n"
    "                       [--password-env VAR | --password-file F] [--list-clients]\n"
    "                       [URL] PATH...\n";

enum { OPT_CA_NAMES = 256, OPT_ISSUER, OPT_SIGALGS, OPT_TLS12, OPT_NSSDB, OPT_PKCS11,
	OPT_PIN_ENV, OPT_PIN_FILE, OPT_PW_ENV, OPT_PW_FILE, OPT_REQUEST, OPT_AT, OPT_JSON,
	OPT_SIZE, OPT_LIST, OPT_HELP };

static const struct option longopts[] = {
	{ "client", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "at", required_argument, NULL, OPT_AT },
	{ "request", required_argument, NULL, OPT_REQUEST },
	{ "ca-names", required_argument, NULL, OPT_CA_NAMES },
	{ "issuer", required_argument, NULL, OPT_ISSUER },
	{ "sigalgs", required_argument, NULL, OPT_SIGALGS },
	{ "tls1.2", no_argument, NULL, OPT_TLS12 },
	{ "request-size", required_argument, NULL, OPT_SIZE },
	{ "nssdb", required_argument, NULL, OPT_NSSDB },
	{ "pkcs11", required_argument, NULL, OPT_PKCS11 },
	{ "pin-env", required_argument, NULL, OPT_PIN_ENV },
	{ "pin-file", required_argument, NULL, OPT_PIN_FILE },
	{ "password-env", required_argument, NULL, OPT_PW_ENV },
	{ "password-file", required_argument, NULL, OPT_PW_FILE },
	{ "list-clients", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct source {
	int kind;		/* 0 path, OPT_NSSDB, OPT_PKCS11 */
	const char *arg;
};

struct select_args {
	const char *client;
	bool json, tls12;
	time_t at;
	const char *request, *ca_names, *sigalgs, *url;
	const char *issuers[64];
	size_t n_issuers;
	size_t size;
	struct source src[256];
	size_t n_src;
	struct cli_password pw, pin;
};

static int
usage_error(const char *fmt, const char *arg)
{
	return cli_usage_error(cmd_select_usage, fmt, arg);
}

static int
parse_args(int argc, char **argv, struct select_args *a)
{
	int ch;

	optind = 1;
	/* "-": sources keep their command-line order, options and paths mixed */
	while ((ch = getopt_long(argc, argv, "-c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (strncmp(optarg, "https://", 8) == 0 && a->url == NULL && a->n_src == 0) {
				a->url = optarg;
				break;
			}
			/* FALLTHROUGH */
		case OPT_NSSDB:
		case OPT_PKCS11:
			if (a->n_src == sizeof(a->src) / sizeof(a->src[0]))
				return usage_error("too many sources (%s)", optarg);
			a->src[a->n_src].kind = ch == 1 ? 0 : ch;
			a->src[a->n_src++].arg = optarg;
			break;
		case 'c': a->client = optarg; break;
		case OPT_JSON: a->json = true; break;
		case OPT_TLS12: a->tls12 = true; break;
		case OPT_REQUEST: a->request = optarg; break;
		case OPT_CA_NAMES: a->ca_names = optarg; break;
		case OPT_SIGALGS: a->sigalgs = optarg; break;
		case OPT_ISSUER:
			if (a->n_issuers == sizeof(a->issuers) / sizeof(a->issuers[0]))
				return usage_error("too many --issuer (%s)", optarg);
			a->issuers[a->n_issuers++] = optarg;
			break;
		case OPT_SIZE: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end != '\0' || v == 0 || v > 0xffffff)
				return usage_error("--request-size: not a size: '%s'", optarg);
			a->size = v;
			break;
		}
		case OPT_AT:
			if (cli_parse_time(optarg, &a->at) != 0)
				return usage_error("--at: not a time (YYYY-MM-DD[THH:MM:SSZ] or "
				    "@EPOCH): '%s'", optarg);
			break;
		case OPT_PIN_ENV: a->pin.env = optarg; break;
		case OPT_PIN_FILE: a->pin.file = optarg; break;
		case OPT_PW_ENV: a->pw.env = optarg; break;
		case OPT_PW_FILE: a->pw.file = optarg; break;
		case OPT_LIST: return -2;
		case OPT_HELP: return -1;
		default: fputs(cmd_select_usage, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (a->request != NULL && (a->ca_names != NULL || a->n_issuers > 0 || a->url != NULL))
		return usage_error("%s", "--request cannot be combined with --ca-names, --issuer "
		    "or a URL");
	if (a->url != NULL && (a->ca_names != NULL || a->n_issuers > 0))
		return usage_error("%s", "a URL cannot be combined with --ca-names or --issuer");
	if (a->n_src == 0)
		return usage_error("%s", "no certificate source (give PATH..., --nssdb DIR or "
		    "--pkcs11 URI)");
	if (a->client != NULL && strcmp(a->client, "all") != 0 &&
	    certpick_profile_find(a->client) == NULL)
		return usage_error("unknown client '%s' (see --list-clients)", a->client);
	return 0;
}

static int
list_clients(void)
{
	for (size_t i = 0; i < certpick_profile_count(); i++) {
		const struct certpick_profile *p = certpick_profile_get(i);

		printf("%-10s %s\n", certpick_profile_name(p), certpick_profile_summary(p));
	}
	return CLI_EXIT_OK;
}

/* Load every source in order; a source that fails is a warning, the others are used. */
static int
load_sources(struct select_args *a, struct certpick_candset *set)
{
	struct certpick_error err;
	size_t failed = 0;

	for (size_t i = 0; i < a->n_src; i++) {
		struct certpick_load_options o = {
			.password = a->pw.have ? a->pw.buf : NULL,
			.password_cb = cli_password_prompt,
			.warn = cli_warn_error,
		};
		int rc;

		certpick_error_clear(&err);
		if (a->src[i].kind == OPT_PKCS11) {
			o.password = a->pin.have ? a->pin.buf : NULL;
			rc = certpick_candset_add_pkcs11(set, a->src[i].arg, &o, &err);
		} else if (a->src[i].kind == OPT_NSSDB) {
			rc = certpick_candset_add_nssdb(set, a->src[i].arg, &o, &err);
		} else {
			rc = certpick_candset_add_path(set, a->src[i].arg, &o, &err);
		}
		if (rc != 0) {
			cli_warn_error(NULL, &err);
			failed++;
		}
	}
	certpick_error_clear(&err);
	if (certpick_candset_finish(set, &err) != 0)
		return cli_error(&err);
	if (a->n_src > 0 && failed == a->n_src)
		return CLI_EXIT_INPUT;
	return 0;
}

int
cmd_select(int argc, char **argv)
{
	struct select_args a = { 0 };
	struct certpick_error err = { 0 };
	struct certpick_candset *set = NULL;
	struct certpick_certreq *req = NULL;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc == -1) {
		fputs(cmd_select_usage, stdout);
		return CLI_EXIT_OK;
	}
	if (rc == -2)
		return list_clients();
	if (rc != 0)
		return rc;
	if (cli_password_resolve(&a.pw, &err) != 0 || cli_password_resolve(&a.pin, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	if ((rc = cli_select_request(a.url, a.request, a.ca_names, a.issuers, a.n_issuers,
	    a.sigalgs, a.tls12, a.size, &req)) != 0)
		goto out;
	if ((set = certpick_candset_new(&err)) == NULL) {
		rc = cli_error(&err);
		goto out;
	}
	if ((rc = load_sources(&a, set)) != 0)
		goto out;
	rc = cli_select_render(a.client ? a.client : "all", set, req, a.at, a.json);
out:
	cli_password_wipe(&a.pw);
	cli_password_wipe(&a.pin);
	certpick_certreq_free(req);
	certpick_candset_free(set);
	return rc;
}
