/*
 * certpick demo: a throwaway PKI made with the library's generator (pki.h),
 * one good client certificate and one per classic defect, checked with
 * `certpick check`; then serve (per path, TLS 1.3 post-handshake auth), probe,
 * select for every client (who is asked at all), and get as Chrome (never
 * asked: 403.7), as curl (200) and with an expired certificate (403.17).
 * What each real client does against this server: docs/cli/select.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "render.h"

const char cmd_demo_usage[] =
    "usage: certpick demo [--keep DIR] [--json]\n"
    "\n"
    "Makes a throwaway PKI, starts 'serve' in this process on a free loopback port,\n"
    "probes it, selects for several clients, then requests with the chosen\n"
    "certificate (200) and with a defective one (403, explained). Offline.\n"
    "\n"
    "  --keep DIR   make the PKI in DIR and keep it (default: a temporary folder)\n"
    "  --json       one JSON object per step (JSON Lines)\n";

#define DEMO_PASSWORD "demo"
#define ISSUING "CN=certpick demo Issuing CA,O=certpick demo"

static const struct certpick_pki_spec demo_specs[] = {
	{ .name = "root",
	    .subject = "CN=certpick demo Root CA,O=certpick demo",
	    .ca = true,
	    .pathlen = -1,
	    .ku = "keyCertSign,cRLSign",
	    .not_before = -86400L,
	    .not_after = 3650 * 86400L },
	{ .name = "issuing",
	    .subject = ISSUING,
	    .issuer = "root",
	    .ca = true,
	    .pathlen = 0,
	    .ku = "keyCertSign,cRLSign",
	    .not_before = -86400L,
	    .not_after = 1825 * 86400L },
	{ .name = "other-issuing",
	    .subject = "CN=certpick demo Other CA,O=certpick demo",
	    .issuer = "root",
	    .ca = true,
	    .pathlen = 0,
	    .ku = "keyCertSign" },
	{ .name = "rogue-root",
	    .subject = "CN=Rogue Root,O=somewhere else",
	    .ca = true,
	    .pathlen = -1,
	    .ku = "keyCertSign" },
	{ .name = "server",
	    .subject = "CN=localhost,O=certpick demo",
	    .issuer = "issuing",
	    .ku = "digitalSignature",
	    .eku = "serverAuth",
	    .san = "DNS:localhost,IP:127.0.0.1" },
	{ .name = "alice", .issuer = "issuing", .ku = "digitalSignature", .eku = "clientAuth" },
	{ .name = "bob-nokey", .issuer = "issuing", .ku = "digitalSignature", .eku = "clientAuth" },
	{ .name = "carol-kuenc",
	    .issuer = "issuing",
	    .key = CERTPICK_PKI_RSA,
	    .ku = "keyEncipherment",
	    .eku = "clientAuth" },
	{ .name = "dave-serveronly",
	    .issuer = "issuing",
	    .ku = "digitalSignature",
	    .eku = "serverAuth" },
	{ .name = "erin-expired",
	    .issuer = "issuing",
	    .ku = "digitalSignature",
	    .eku = "clientAuth",
	    .not_before = -400 * 86400L,
	    .not_after = -35 * 86400L },
	{ .name = "mallory-untrusted",
	    .issuer = "rogue-root",
	    .ku = "digitalSignature",
	    .eku = "clientAuth" },
	{ .name = "frank-nochain",
	    .issuer = "other-issuing",
	    .ku = "digitalSignature",
	    .eku = "clientAuth" },
	{ .name = "grace-pfx",
	    .issuer = "issuing",
	    .key = CERTPICK_PKI_RSA,
	    .ku = "digitalSignature",
	    .eku = "clientAuth",
	    .pkcs12 = true,
	    .p12_keyspec = CERTPICK_PKI_KEYSPEC_EXCHANGE,
	    .p12_csp = "Microsoft Enhanced Cryptographic Provider v1.0" },
};

/* What is checked, and the finding each must show (NULL: fit). */
static const struct {
	const char *file;
	const char *want;
} demo_cases[] = {
	{ "alice-chain.pem", NULL },
	{ "bob-nokey-chain.pem", "no-private-key" },
	{ "carol-kuenc-chain.pem", "ku-no-digital-signature" },
	{ "dave-serveronly-chain.pem", "eku-no-client-auth" },
	{ "erin-expired-chain.pem", "expired" },
	{ "mallory-untrusted.pem", "untrusted-root" },
	{ "frank-nochain.pem", "chain-incomplete" },
	{ "grace-pfx.p12", "pfx-legacy-csp" },
};

/* Keys checked alongside (paired by public key); bob's is left out on purpose. */
static const char *const demo_keys[] = { "alice.key", "carol-kuenc.key", "dave-serveronly.key",
	"erin-expired.key", "mallory-untrusted.key", "frank-nochain.key", "rogue-root.pem" };

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
make_pki(const char *dir, time_t now, struct certpick_error *err)
{
	struct certpick_pki *pki;
	int ret = -1;

	if ((pki = certpick_pki_new(now, err)) == NULL)
		return -1;
	for (size_t i = 0; i < CLI_NELEM(demo_specs); i++)
		if (certpick_pki_add(pki, &demo_specs[i], err) != 0)
			goto out;
	ret = certpick_pki_write(pki, dir, DEMO_PASSWORD, err);
out:
	certpick_pki_free(pki);
	return ret;
}

/* Did every case show what it was made to show? */
static bool
as_expected(const struct cli_check_report *rep)
{
	for (size_t k = 0; k < CLI_NELEM(demo_cases); k++) {
		bool seen = false;
		for (size_t i = 0; i < rep->n; i++) {
			const struct certpick_candidate *c = certpick_candset_get(rep->set, i);
			const struct certpick_findings *f = &rep->results[i].findings;
			enum certpick_reason r;
			if (strcmp(certpick_candidate_source(c), demo_cases[k].file) != 0)
				continue;
			seen = true;
			if (demo_cases[k].want == NULL &&
			    certpick_findings_max(f) == CERTPICK_SEV_ERROR)
				return false;
			if (demo_cases[k].want != NULL &&
			    (certpick_reason_from_id(demo_cases[k].want, &r) != 0 ||
				!certpick_findings_has(f, r)))
				return false;
		}
		if (!seen)
			return false;
	}
	return rep->nerrors == 0;
}

struct demo {
	bool json;
	int step;
	const char *dir;
	bool ok;
};

/* "[N] title": one sentence on what it shows and why, the equivalent command. */
static void
step(struct demo *d, const char *title, const char *why, const char *cmd)
{
	d->step++;
	if (d->json)
		return;
	printf("\n%sStep %d. %s%s\n%s\n", cli_c_bold(), d->step, title, cli_c_reset(), why);
	if (cmd != NULL)
		printf("%s  $ %s%s\n", cli_c_dim(), cmd, cli_c_reset());
	putchar('\n');
}

static void
step_json(struct demo *d, const char *title, const char *cmd, json_t *result)
{
	if (d->json)
		(void)cli_json_print(json_pack("{s:i, s:i, s:s, s:s?, s:o}", "schema", 1, "step",
					 d->step, "title", title, "command", cmd, "result",
					 result ? result : json_null()),
		    true);
	else
		json_decref(result);
}

static int
step_check(struct demo *d, struct certpick_error *err)
{
	char cmd[1024] = "certpick check --trust root.pem";
	char *paths[CLI_NELEM(demo_cases) + 8];
	char trust[] = "root.pem";
	char *trusts[] = { trust };
	struct cli_check_input in = { .paths = paths,
		.trust = trusts,
		.ntrust = 1,
		.password = DEMO_PASSWORD,
		.quiet = true };
	struct cli_check_report rep = { 0 };

	for (size_t k = 0; k < CLI_NELEM(demo_cases); k++)
		paths[in.npaths++] = (char *)demo_cases[k].file;
	for (size_t k = 0; k < CLI_NELEM(demo_keys); k++)
		paths[in.npaths++] = (char *)demo_keys[k];
	for (int k = 0; k < in.npaths; k++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", paths[k]);
	in.now = time(NULL);
	step(d, "check: is each client certificate fit for client authentication?",
	    "Before any server is involved, each defect shows up with a stable id and its fix "
	    "(mallory only warns: its root is not in the trust store).",
	    cmd);
	if (cli_check_run(&in, &rep, err) != 0) {
		cli_check_report_release(&rep);
		return -1;
	}
	if (d->json)
		step_json(d, "check", cmd, cli_check_json(&rep));
	else
		cli_check_print_text(stdout, &rep);
	d->ok &= as_expected(&rep);
	cli_check_report_release(&rep);
	return 0;
}

static struct cli_demo_server *
step_serve(struct demo *d, char *url, size_t size, struct certpick_error *err)
{
	static const char cmd[] = "certpick serve --listen 127.0.0.1:0 --cert server-chain.pem "
				  "--key server.key --trust root.pem --require /secure";
	static const char *const listen[] = { "127.0.0.1:0" };
	static const char *const require[] = { "/secure" };
	struct certpick_serve_options o = { .listen = listen,
		.n_listen = 1,
		.cert_file = "server-chain.pem",
		.key_file = "server.key",
		.trust_path = "root.pem",
		.auth = CERTPICK_SERVE_AUTH_NONE,
		.require_paths = require,
		.n_require = 1 };
	struct cli_demo_server *srv;
	const struct certpick_dn *names;
	const char *addr;
	size_t n;

	step(d, "serve: a server that asks for a certificate only on /secure",
	    "Like IIS or Apache per directory: the handshake asks nothing; a request for "
	    "/secure makes it ask, naming the CA it trusts. Over TLS 1.3 that is post-handshake "
	    "auth, which reaches only clients that offered it in their ClientHello.",
	    cmd);
	if ((srv = cli_demo_server_start(&o, err)) == NULL)
		return NULL;
	addr = certpick_serve_listen_addr(cli_demo_server_get(srv), 0);
	names = certpick_serve_ca_names(cli_demo_server_get(srv), &n);
	snprintf(url, size, "https://%s/secure", addr);
	if (d->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			cli_json_append(a, cli_json_dn(&names[i]));
		step_json(d, "serve", cmd,
		    json_pack("{s:s, s:s, s:o}", "listen", addr, "require", "/secure", "ca_names",
			a));
		return srv;
	}
	printf("serving https://%s/ in this process (port chosen by the system); "
	       "protected: /secure\nCA names it sends:\n",
	    addr);
	for (size_t i = 0; i < n; i++)
		printf("  - %s\n", names[i].rfc4514 ? names[i].rfc4514 : "(invalid name)");
	return srv;
}

static int
step_probe(struct demo *d, const char *url, struct certpick_error *err)
{
	struct certpick_probe_options o = { .flags = CERTPICK_PROBE_NO_H2_CHECK,
		.trace = cli_trace };
	struct certpick_probe_result *res = NULL;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "certpick probe %s", url);
	step(d, "probe: what does the server ask for, and when?",
	    "The probe requests /secure without a certificate and captures the "
	    "CertificateRequest that comes only after the request, then reads the refusal.",
	    cmd);
	if (certpick_probe_run(url, &o, &res, err) != 0)
		return -1;
	if (d->json)
		step_json(d, "probe", cmd, cli_json_probe(res, NULL));
	else
		cli_text_probe(stdout, res, NULL);
	d->ok &= res->client_auth == CERTPICK_CLIENT_AUTH_REQUIRED && res->n_requests > 0;
	certpick_probe_result_free(res);
	return 0;
}

/* The demo's wallet: every client identity, the way a user's folder holds them. */
static int
load_wallet(struct certpick_candset *set, const char *const *files, size_t n,
    struct certpick_error *err)
{
	struct certpick_load_options o = { .password = DEMO_PASSWORD };

	for (size_t i = 0; i < n; i++)
		if (certpick_candset_add_path(set, files[i], &o, err) != 0)
			return -1;
	return certpick_candset_finish(set, err);
}

static const char *const wallet[] = { "alice.pem", "alice.key", "issuing.pem", "bob-nokey.pem",
	"carol-kuenc.pem", "carol-kuenc.key", "dave-serveronly.pem", "dave-serveronly.key",
	"erin-expired.pem", "erin-expired.key", "mallory-untrusted.pem", "mallory-untrusted.key",
	"frank-nochain.pem", "frank-nochain.key" };
#define WALLET_CMD                                                     \
	"alice.pem alice.key issuing.pem bob-nokey.pem carol-kuenc.* " \
	"dave-serveronly.* erin-expired.* mallory-untrusted.* frank-nochain.*"

static int
step_select(struct demo *d, const char *url, const struct certpick_candset *set,
    struct certpick_error *err)
{
	struct certpick_probe_options po = { .flags = CERTPICK_PROBE_NO_H2_CHECK };
	struct certpick_probe_result *res = NULL;
	const struct certpick_certreq *req = NULL;
	char cmd[512], answer[256];
	int ret = -1;

	snprintf(cmd, sizeof(cmd), "certpick select --client all %s " WALLET_CMD, url);
	step(d, "select: is each client asked, and which certificate does it send?",
	    "Given that request and a folder holding every identity: most clients never see a "
	    "request made after the handshake over TLS 1.3 (Chromium, Go, Java, NSS, GnuTLS and "
	    "openssl s_client offer no post-handshake auth; checked against this server with the "
	    "real clients, docs/cli/select.md); curl, Python and .NET on Linux do. Each client "
	    "then filters differently; clients that disagree are marked.",
	    cmd);
	if (certpick_probe_run(url, &po, &res, err) != 0)
		return -1;
	for (size_t i = res->n_requests; i-- > 0 && req == NULL;)
		req = res->requests[i].req;
	if (req == NULL) {
		snprintf(err->message, sizeof(err->message), "the demo server asked for nothing");
		err->code = CERTPICK_ERR_INTERNAL;
		goto out;
	}
	if (d->json) {
		json_t *all = json_array();
		struct certpick_select_options so = { 0 };

		for (size_t i = 0; i < certpick_profile_count(); i++) {
			struct certpick_selection *s = NULL;

			if (certpick_select_run(certpick_profile_get(i), set, req, &so, &s, err) !=
			    0)
				goto out;
			cli_json_append(all, cli_json_selection(s, req));
			certpick_selection_free(s);
		}
		step_json(d, "select", cmd, all);
	} else {
		cli_probe_answer(res, answer, sizeof(answer));
		(void)cli_select_render("all", set, req, 0, false, answer);
		snprintf(cmd, sizeof(cmd), "certpick select --client chrome %s " WALLET_CMD, url);
		printf("\nOne client in detail, with the trace of every check:\n%s  $ %s%s\n\n",
		    cli_c_dim(), cmd, cli_c_reset());
		(void)cli_select_render("chrome", set, req, 0, false, answer);
	}
	ret = 0;
out:
	certpick_probe_result_free(res);
	return ret;
}

static int
step_get(struct demo *d, const char *url, const struct certpick_candset *set, const char *client,
    const char *sources, int want_status, const char *title, const char *why,
    struct certpick_error *err)
{
	static const char *const accept[] = { "Accept: application/json" };
	struct certpick_probe_options po = { .flags = CERTPICK_PROBE_NO_H2_CHECK,
		.trace = cli_trace };
	struct certpick_get_options go = { .trust_path = "root.pem",
		.headers = accept,
		.n_headers = 1,
		.trace = cli_trace };
	struct cli_get_run r = { 0 };
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	    "certpick get --client %s --trust root.pem -o /dev/null "
	    "%s %s",
	    client, url, sources);
	step(d, title, why, cmd);
	if (cli_get_flow(url, set, certpick_profile_find(client), &po, &go, false, 0, &r, err) !=
	    0) {
		cli_get_run_release(&r);
		return -1;
	}
	if (d->json)
		step_json(d, "get", cmd, cli_get_json(&r, url));
	else if (r.get != NULL)
		cli_get_explain(stdout, &r);
	d->ok &= r.get != NULL && r.get->status == want_status;
	cli_get_run_release(&r);
	return 0;
}

static int
step_bad(struct demo *d, const char *url, struct certpick_error *err)
{
	static const char *const files[] = { "erin-expired-chain.pem", "erin-expired.key" };
	struct certpick_candset *set = NULL;
	int ret = -1;

	if ((set = certpick_candset_new(err)) == NULL || load_wallet(set, files, 2, err) != 0)
		goto out;
	ret = step_get(d, url, set, "curl", "erin-expired-chain.pem erin-expired.key", 403,
	    "get with a defective certificate: the 403 explained",
	    "curl and Python send the one certificate they are given, expired or not; the "
	    "server refuses it (IIS-style 403.17) and certpick says why and what to change.",
	    err);
out:
	certpick_candset_free(set);
	return ret;
}

static int
step_good(struct demo *d, const char *url, struct certpick_error *err)
{
	static const char *const files[] = { "alice-chain.pem", "alice.key" };
	struct certpick_candset *set = NULL;
	int ret = -1;

	if ((set = certpick_candset_new(err)) == NULL || load_wallet(set, files, 2, err) != 0)
		goto out;
	ret = step_get(d, url, set, "curl", "alice-chain.pem alice.key", 200,
	    "get as curl: asked after the request, it sends alice: 200",
	    "curl (OpenSSL) offers post-handshake auth, so the request for /secure reaches it, "
	    "and it sends the certificate and chain it is given (curl --cert alice-chain.pem "
	    "--key alice.key does the same).",
	    err);
out:
	certpick_candset_free(set);
	return ret;
}

static int
run_demo(struct demo *d, struct certpick_error *err)
{
	struct cli_demo_server *srv = NULL;
	struct certpick_candset *set = NULL;
	char url[128];
	int ret = -1;

	if (!d->json)
		printf("%scertpick demo%s: the whole story on a throwaway PKI in %s\n"
		       "  two roots (root: trusted; rogue-root: not), an issuing CA, a server "
		       "certificate,\n  and client identities: alice is good; each other one has "
		       "one classic defect.\n  .p12 password '%s'. Every step runs the library "
		       "calls of the command shown.\n",
		    cli_c_bold(), cli_c_reset(), d->dir, DEMO_PASSWORD);
	if (step_check(d, err) != 0 || (srv = step_serve(d, url, sizeof(url), err)) == NULL ||
	    step_probe(d, url, err) != 0)
		goto out;
	if ((set = certpick_candset_new(err)) == NULL ||
	    load_wallet(set, wallet, CLI_NELEM(wallet), err) != 0)
		goto out;
	if (step_select(d, url, set, err) != 0 ||
	    step_get(d, url, set, "chrome", WALLET_CMD, 403,
		"get as Chrome: a browser is never asked on a TLS 1.3 per-path request",
		"Chromium offers no post-handshake auth, so the server cannot ask it for a "
		"certificate after the request for /secure: it answers 403.7 although alice would be "
		"offered in the picker. The fix is on the server: ask at the handshake (or allow TLS "
		"1.2 renegotiation).",
		err) != 0 ||
	    step_good(d, url, err) != 0 || step_bad(d, url, err) != 0)
		goto out;
	ret = 0;
out:
	/* a step's error, when there is one, is already what err says */
	if (cli_demo_server_stop(srv, ret == 0 ? err : NULL) != 0)
		ret = -1;
	certpick_candset_free(set);
	return ret;
}
static int
demo_outcome(struct demo *d, const char *dir, const char *keep)
{
	struct certpick_error err = { 0 };
	int rc;

	d->dir = dir;
	if (run_demo(d, &err) != 0) {
		rc = cli_error(&err);
		d->ok = false;
	} else {
		rc = d->ok ? CLI_EXIT_OK : CLI_EXIT_INTERNAL;
	}
	if (d->json) {
		(void)cli_json_print(json_pack("{s:i, s:s, s:b, s:s?}", "schema", 1, "step",
					 "summary", "ok", d->ok, "kept", keep),
		    true);
		return rc;
	}
	if (d->ok)
		printf(
		    "\n%sdemo ran as expected%s: each defect was found by check and by the "
		    "clients, the browser was never asked (403.7), curl with the right certificate "
		    "got 200, the expired one 403 with its reason.\n",
		    cli_c_green(), cli_c_reset());
	else if (rc == CLI_EXIT_INTERNAL)
		printf("\n%sdemo did not go as expected%s: please report this.\n", cli_c_red(),
		    cli_c_reset());
	if (keep != NULL)
		printf("files kept in %s\n", keep);
	return rc;
}

int
cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct certpick_error err = { 0 };
	char tmpl[4096];
	const char *tmpdir = getenv("TMPDIR");
	const char *keep = NULL, *dir;
	struct demo d = { .ok = true };
	int ch, rc, cwd = -1;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': keep = optarg; break;
		case 'j': d.json = true; break;
		case 'h': fputs(cmd_demo_usage, stdout); return CLI_EXIT_OK;
		default: return cli_option_error(argv, "+:h", cmd_demo_usage);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "certpick: error: unexpected '%s'\n%s", argv[optind],
		    cmd_demo_usage);
		return CLI_EXIT_USAGE;
	}
	if (keep != NULL && mkdir(keep, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "certpick: error: cannot create '%s': %s\n", keep, strerror(errno));
		return CLI_EXIT_INPUT;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/certpick-demo-XXXXXX",
	    tmpdir != NULL && tmpdir[0] == '/' ? tmpdir : "/tmp");
	/* the in-process server and the clients write to sockets a peer may close */
	signal(SIGPIPE, SIG_IGN);
	if ((dir = keep != NULL ? keep : mkdtemp(tmpl)) == NULL) {
		fprintf(stderr, "certpick: error: cannot create a temporary folder: %s\n",
		    strerror(errno));
		return CLI_EXIT_INPUT;
	}
	/* relative names keep the report readable */
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || chdir(dir) != 0) {
		fprintf(stderr, "certpick: error: cannot enter '%s': %s\n", dir, strerror(errno));
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	if (make_pki(".", time(NULL), &err) != 0)
		rc = cli_error(&err);
	else
		rc = demo_outcome(&d, dir, keep);
out:
	if (cwd >= 0) {
		if (fchdir(cwd) != 0)
			rc = CLI_EXIT_INTERNAL;
		close(cwd);
	}
	if (keep == NULL)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
