/*
 * certpick demo: a throwaway PKI made with the library's generator (pki.h),
 * one good client certificate and one per classic defect, checked with
 * `certpick check`. Until probe/serve/select land, this is the offline story.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char cmd_demo_usage[] = "usage: certpick demo [--keep DIR]\n";

#define DEMO_PASSWORD "demo"
#define ISSUING "CN=certpick demo Issuing CA,O=certpick demo"

static const struct certpick_pki_spec demo_specs[] = {
	{ .name = "root", .subject = "CN=certpick demo Root CA,O=certpick demo", .ca = true,
	  .pathlen = -1, .ku = "keyCertSign,cRLSign", .not_before = -86400L,
	  .not_after = 3650 * 86400L },
	{ .name = "issuing", .subject = ISSUING, .issuer = "root", .ca = true, .pathlen = 0,
	  .ku = "keyCertSign,cRLSign", .not_before = -86400L, .not_after = 1825 * 86400L },
	{ .name = "other-issuing", .subject = "CN=certpick demo Other CA,O=certpick demo",
	  .issuer = "root", .ca = true, .pathlen = 0, .ku = "keyCertSign" },
	{ .name = "rogue-root", .subject = "CN=Rogue Root,O=somewhere else", .ca = true,
	  .pathlen = -1, .ku = "keyCertSign" },
	{ .name = "alice", .issuer = "issuing", .ku = "digitalSignature", .eku = "clientAuth" },
	{ .name = "bob-nokey", .issuer = "issuing", .ku = "digitalSignature", .eku = "clientAuth" },
	{ .name = "carol-kuenc", .issuer = "issuing", .key = CERTPICK_PKI_RSA,
	  .ku = "keyEncipherment", .eku = "clientAuth" },
	{ .name = "dave-serveronly", .issuer = "issuing", .ku = "digitalSignature",
	  .eku = "serverAuth" },
	{ .name = "erin-expired", .issuer = "issuing", .ku = "digitalSignature",
	  .eku = "clientAuth", .not_before = -400 * 86400L, .not_after = -35 * 86400L },
	{ .name = "mallory-untrusted", .issuer = "rogue-root", .ku = "digitalSignature",
	  .eku = "clientAuth" },
	{ .name = "frank-nochain", .issuer = "other-issuing", .ku = "digitalSignature",
	  .eku = "clientAuth" },
	{ .name = "grace-pfx", .issuer = "issuing", .key = CERTPICK_PKI_RSA,
	  .ku = "digitalSignature", .eku = "clientAuth", .pkcs12 = true,
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
	for (size_t i = 0; i < sizeof(demo_specs) / sizeof(demo_specs[0]); i++)
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
	for (size_t k = 0; k < sizeof(demo_cases) / sizeof(demo_cases[0]); k++) {
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

static int
run_demo(const char *dir, struct certpick_error *err)
{
	char *paths[sizeof(demo_cases) / sizeof(demo_cases[0]) + 8];
	char trust[] = "root.pem";
	char *trusts[] = { trust };
	struct cli_check_input in = { .paths = paths, .trust = trusts, .ntrust = 1,
		.password = DEMO_PASSWORD };
	struct cli_check_report rep = { 0 };
	int rc;

	for (size_t k = 0; k < sizeof(demo_cases) / sizeof(demo_cases[0]); k++)
		paths[in.npaths++] = (char *)demo_cases[k].file;
	for (size_t k = 0; k < sizeof(demo_keys) / sizeof(demo_keys[0]); k++)
		paths[in.npaths++] = (char *)demo_keys[k];
	in.now = time(NULL);
	printf("%scertpick demo%s: a throwaway PKI in %s\n"
	    "  root.pem (trusted), issuing CA, one good client certificate (alice) and one per\n"
	    "  classic defect; .pfx password '%s'. Now: certpick check --trust root.pem ...\n\n",
	    cli_c_bold(), cli_c_reset(), dir, DEMO_PASSWORD);
	if (cli_check_run(&in, &rep, err) != 0) {
		cli_check_report_release(&rep);
		return cli_error(err);
	}
	cli_check_print_text(stdout, &rep);
	if (as_expected(&rep)) {
		printf("\n%sdemo ran as expected%s: alice is fit; each other certificate shows its "
		    "defect and its fix.\n", cli_c_green(), cli_c_reset());
		rc = CLI_EXIT_OK;
	} else {
		printf("\n%sdemo did not go as expected%s: please report this.\n", cli_c_red(),
		    cli_c_reset());
		rc = CLI_EXIT_INTERNAL;
	}
	cli_check_report_release(&rep);
	return rc;
}

int
cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct certpick_error err = { 0 };
	char tmpl[] = "/tmp/certpick-demo-XXXXXX";
	const char *keep = NULL, *dir;
	int ch, rc, cwd = -1;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': keep = optarg; break;
		case 'h': fputs(cmd_demo_usage, stdout); return CLI_EXIT_OK;
		default:
			fprintf(stderr, "certpick: error: bad option '%s'\n%s", argv[optind - 1],
			    cmd_demo_usage);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "certpick: error: unexpected '%s'\n%s", argv[optind], cmd_demo_usage);
		return CLI_EXIT_USAGE;
	}
	if (keep != NULL && mkdir(keep, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "certpick: error: cannot create '%s': %s\n", keep, strerror(errno));
		return CLI_EXIT_INPUT;
	}
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
		rc = run_demo(dir, &err);
	if (keep != NULL)
		printf("files kept in %s\n", keep);
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
