/* certpick capture: the client-certificate story of a packet capture (docs/cli/capture.md). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"

const char cmd_capture_usage[] =
    "usage: certpick capture [options] FILE\n"
    "\n"
    "FILE is a pcap or pcapng capture (tcpdump -w, Wireshark, dumpcap).\n"
    "\n"
    "  --keylog FILE        NSS key log (SSLKEYLOGFILE) to decrypt TLS 1.3 and TLS 1.2\n"
    "  --filter HOST[:PORT] only connections to or from this address (and port)\n"
    "  --trust FILE|DIR     also check each client chain against this trust store (repeatable)\n"
    "  --json               JSON output\n"
    "  --save FILE          write the CertificateRequests seen, for 'certpick select --request FILE'\n";

struct capture_args {
	struct certpick_capture_options opts;
	const char *file, *save;
	const char *trust[64];
	size_t ntrust;
	char host[64];
	bool json;
};

enum {
	O_KEYLOG = 256,
	O_FILTER,
	O_TRUST,
	O_JSON,
	O_SAVE,
	O_HELP
};

static const struct option longopts[] = {
	{ "keylog", required_argument, NULL, O_KEYLOG },
	{ "filter", required_argument, NULL, O_FILTER },
	{ "trust", required_argument, NULL, O_TRUST },
	{ "json", no_argument, NULL, O_JSON },
	{ "save", required_argument, NULL, O_SAVE },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* HOST, HOST:PORT, [V6], [V6]:PORT, or a bare IPv6 literal. 0, or -1. */
static int
parse_filter(const char *s, struct capture_args *a)
{
	const char *port = NULL;
	size_t hl;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e == NULL || (e[1] != '\0' && e[1] != ':'))
			return -1;
		hl = (size_t)(e - s - 1);
		s++;
		port = e[1] == ':' ? e + 2 : NULL;
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		hl = (size_t)(strchr(s, ':') - s);
		port = strchr(s, ':') + 1;
	} else {
		hl = strlen(s);
	}
	if (hl >= sizeof(a->host))
		return -1;
	memcpy(a->host, s, hl);
	a->host[hl] = '\0';
	if (port && cli_parse_port(port, &a->opts.filter_port) != 0)
		return -1;
	if (hl > 0)
		a->opts.filter_host = a->host;
	return 0;
}

/* -1: usage error printed; 1: --help printed; 0: parsed */
static int
parse_args(int argc, char **argv, struct capture_args *a)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_KEYLOG: a->opts.keylog_path = optarg; break;
		case O_FILTER:
			if (parse_filter(optarg, a) != 0)
				return cli_usage_error(cmd_capture_usage,
					   "bad --filter '%s' (an IP "
					   "address, ADDR:PORT or [V6ADDR]:PORT)",
					   optarg),
				       -1;
			break;
		case O_TRUST:
			if (a->ntrust == sizeof(a->trust) / sizeof(a->trust[0]))
				return cli_usage_error(cmd_capture_usage, "%stoo many --trust", ""),
				       -1;
			a->trust[a->ntrust++] = optarg;
			break;
		case O_JSON: a->json = true; break;
		case O_SAVE: a->save = optarg; break;
		case O_HELP: fputs(cmd_capture_usage, stdout); return 1;
		default: return cli_option_error(argv, "", cmd_capture_usage), -1;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cmd_capture_usage, "%sgive one capture FILE", ""), -1;
	a->file = argv[optind];
	return 0;
}

static int
save_requests(const char *path, const struct certpick_capture_result *r)
{
	json_t *reqs = json_array();
	for (size_t i = 0; i < r->n_conns; i++)
		for (size_t j = 0; j < r->conns[i].n_requests; j++)
			cli_json_append(reqs, cli_json_certreq(r->conns[i].requests[j]));
	return cli_json_save(path, json_pack("{s:i, s:o}", "schema", 1, "requests", reqs), false,
	    "w");
}

/* The trust store of --trust; NULL (and 0) when none was given. -1 with err. */
static int
load_trust(const struct capture_args *a, struct certpick_trust **out, struct certpick_error *err)
{
	*out = NULL;
	if (a->ntrust == 0)
		return 0;
	if ((*out = certpick_trust_new(err)) == NULL)
		return -1;
	for (size_t i = 0; i < a->ntrust; i++)
		if (certpick_trust_add_path(*out, a->trust[i], err) != 0)
			return -1;
	return 0;
}

int
cmd_capture(int argc, char **argv)
{
	struct capture_args a;
	struct certpick_capture_result res;
	struct certpick_error err;
	struct certpick_trust *trust = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	memset(&err, 0, sizeof(err));
	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (load_trust(&a, &trust, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	a.opts.trust = trust;
	if (certpick_capture_run(a.file, &a.opts, &res, &err) < 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (a.save && save_requests(a.save, &res) < 0) {
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	if (a.json) {
		if (cli_json_capture_print(&res, a.file) < 0) {
			rc = CLI_EXIT_INTERNAL;
			goto out;
		}
	} else {
		cli_text_capture(stdout, &res, a.file);
	}
	rc = cli_capture_exit(&res);
out:
	certpick_capture_result_release(&res);
	certpick_trust_free(trust);
	return rc;
}
