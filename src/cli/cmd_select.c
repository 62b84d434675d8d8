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
#include "render.h"
#include "certpick/select.h"

const char cmd_select_usage[] =
    "usage: certpick select [--client NAME|all] [--json] [--at TIME]\n"
    "                       [--request FILE | --ca-names FILE.pem | --issuer DN ...]\n"
    "                       [--sigalgs LIST] [--tls1.2] [--request-size N]\n"
    "                       [--phase initial|renegotiation|post_handshake]\n"
    "                       [--nssdb DIR] [--pkcs11 URI] [--pin-env VAR | --pin-file F]\n"
    "                       [--password-env VAR | --password-file F] [--list-clients]\n"
    "                       [--timeout SECONDS] [URL] PATH...\n"
    "\n"
    "Sources are the store, in the order a user would import them: files in\n"
    "argument order, a folder in name order, a PKCS#12 in its bag order, an NSS\n"
    "database or a PKCS#11 token in the order they enumerate (docs/cli/select.md,\n"
    "\"Store order\": which end of the store each client takes on a tie).\n";

enum {
	OPT_CA_NAMES = 256,
	OPT_ISSUER,
	OPT_SIGALGS,
	OPT_TLS12,
	OPT_REQUEST,
	OPT_AT,
	OPT_JSON,
	OPT_SIZE,
	OPT_LIST,
	OPT_HELP,
	OPT_PHASE,
	OPT_TIMEOUT
};

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
	{ "phase", required_argument, NULL, OPT_PHASE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	CLI_SOURCE_LONGOPTS,
	{ "list-clients", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct select_args {
	const char *client;
	bool json, tls12;
	time_t at;
	const char *request, *ca_names, *sigalgs, *url;
	const char *issuers[64];
	size_t n_issuers;
	size_t size;
	int phase;	/* -1: not given */
	int timeout_ms; /* probing URL, per phase; 0: default */
	struct cli_sources src;
};

static int CERTPICK_PRINTF(1, 2) usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = cli_usage_verror(cmd_select_usage, fmt, ap);
	va_end(ap);
	return ret;
}

static int
parse_args(int argc, char **argv, struct select_args *a)
{
	int ch, rc;

	optind = 1;
	opterr = 0;
	/* "-": sources keep their command-line order, options and paths mixed */
	while ((ch = getopt_long(argc, argv, "-c:", longopts, NULL)) != -1) {
		/* https:// or another scheme the probe speaks (tls://, ...): a live request */
		if (ch == 1 && strstr(optarg, "://") != NULL && a->url == NULL && a->src.n == 0) {
			a->url = optarg;
			continue;
		}
		if ((rc = cli_sources_option(&a->src, ch == 1 ? CLI_SRC_PATH : ch, optarg,
			 cmd_select_usage)) == 1)
			continue;
		if (rc != 0)
			return rc;
		switch (ch) {
		case 'c': a->client = optarg; break;
		case OPT_JSON: a->json = true; break;
		case OPT_TLS12: a->tls12 = true; break;
		case OPT_REQUEST: a->request = optarg; break;
		case OPT_CA_NAMES: a->ca_names = optarg; break;
		case OPT_SIGALGS: a->sigalgs = optarg; break;
		case OPT_PHASE: {
			enum certpick_phase ph;

			if (certpick_phase_from_name(optarg, &ph) != 0)
				return usage_error("--phase: not initial, renegotiation or "
						   "post_handshake: '%s'",
				    optarg);
			a->phase = (int)ph;
			break;
		}
		case OPT_ISSUER:
			if (a->n_issuers == CLI_NELEM(a->issuers))
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
						   "@EPOCH): '%s'",
				    optarg);
			break;
		case OPT_TIMEOUT:
			if (cli_parse_timeout(optarg, &a->timeout_ms) != 0)
				return usage_error("bad --timeout '%s' (seconds, up to 3600)",
				    optarg);
			break;
		case OPT_LIST: return -2;
		case OPT_HELP: return -1;
		default: return cli_option_error(argv, "-c:", cmd_select_usage);
		}
	}
	if (a->request != NULL && (a->ca_names != NULL || a->n_issuers > 0 || a->url != NULL))
		return usage_error("--request cannot be combined with --ca-names, --issuer "
				   "or a URL");
	if (a->url != NULL && (a->ca_names != NULL || a->n_issuers > 0))
		return usage_error("a URL cannot be combined with --ca-names or --issuer");
	if (a->phase >= 0 && (a->request != NULL || a->url != NULL))
		return usage_error("--phase is for a request given by hand: a probed or "
				   "saved request carries the phase the server used");
	if (a->phase == CERTPICK_PHASE_POST_HANDSHAKE && a->tls12)
		return usage_error("--phase post_handshake is TLS 1.3 only (drop --tls1.2)");
	if (a->src.n == 0)
		return usage_error("no certificate source (give PATH..., --nssdb DIR or "
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

int
cmd_select(int argc, char **argv)
{
	struct select_args a = { .phase = -1 };
	struct cli_select_req_args ra;
	char answer[256];
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
	if ((rc = cli_sources_resolve(&a.src)) != 0)
		goto out;
	ra = (struct cli_select_req_args){ .url = a.url,
		.file = a.request,
		.ca_pem = a.ca_names,
		.sigalgs = a.sigalgs,
		.issuers = a.issuers,
		.n_issuers = a.n_issuers,
		.tls12 = a.tls12,
		.phase = a.phase,
		.size = a.size,
		.timeout_ms = a.timeout_ms };
	if ((rc = cli_select_request(&ra, &req, answer, sizeof(answer))) != 0)
		goto out;
	if ((set = certpick_candset_new(&err)) == NULL) {
		rc = cli_error(&err);
		goto out;
	}
	a.src.release_keys = true;     /* select never signs */
	a.src.lazy_public_keys = true; /* and decodes a key only to link a chain */
	if ((rc = cli_sources_load(&a.src, set, false)) != 0)
		goto out;
	rc = cli_select_render(a.client ? a.client : "all", set, req, a.at, a.json, answer);
out:
	cli_sources_wipe(&a.src);
	certpick_certreq_free(req);
	certpick_candset_free(set);
	return rc;
}
