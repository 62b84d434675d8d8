/*
 * The certificate sources select and get share: paths, NSS databases and
 * PKCS#11 tokens in command-line order (several clients take the first
 * match), the password of encrypted keys and .p12 files, and the PIN of
 * tokens. Neither secret ever comes from argv (password.c).
 */
#include <string.h>

#include "cli.h"

int
cli_sources_option(struct cli_sources *s, int ch, const char *arg, const char *usage)
{
	switch (ch) {
	case CLI_SRC_PATH:
	case CLI_SRC_NSSDB:
	case CLI_SRC_PKCS11:
		if (s->n == CLI_NELEM(s->src))
			return cli_usage_error(usage, "too many sources (%s)", arg);
		s->src[s->n].kind = ch;
		s->src[s->n++].arg = arg;
		return 1;
	case CLI_SRC_PIN_ENV: s->pin.env = arg; return 1;
	case CLI_SRC_PIN_FILE: s->pin.file = arg; return 1;
	case CLI_SRC_PW_ENV: s->pw.env = arg; return 1;
	case CLI_SRC_PW_FILE: s->pw.file = arg; return 1;
	default: return 0;
	}
}

int
cli_sources_resolve(struct cli_sources *s)
{
	struct certpick_error err = { 0 };

	if (cli_password_resolve(&s->pw, &err) != 0 || cli_password_resolve(&s->pin, &err) != 0)
		return cli_error(&err);
	return 0;
}

/* see cli.h */
struct certpick_load_options
cli_sources_options(const struct cli_sources *s, bool pin)
{
	struct certpick_load_options o = {
		.password =
		    pin ? (s->pin.have ? s->pin.buf : NULL) : (s->pw.have ? s->pw.buf : NULL),
		.password_cb = cli_password_prompt,
		.warn = cli_warn_error,
	};

	return o;
}

static void
on_file(void *arg)
{
	struct cli_progress *p = arg;

	cli_progress_update(p, ++p->done, 0);
}

static void
on_warning(void *arg, const struct certpick_error *e)
{
	cli_progress_clear(arg);
	cli_warn_error(NULL, e);
}

/* One source into set; 0 or -1 with err set. */
static int
load_one(const struct cli_sources *s, size_t i, struct certpick_candset *set,
    struct cli_progress *progress, struct certpick_error *err)
{
	struct certpick_load_options o = cli_sources_options(s, s->src[i].kind == CLI_SRC_PKCS11);

	o.warn = on_warning;
	o.warn_arg = progress;
	o.file_done = on_file;
	o.file_done_arg = progress;
	o.release_keys = s->release_keys;
	o.lazy_public_keys = s->lazy_public_keys;
	switch (s->src[i].kind) {
	case CLI_SRC_PKCS11: return certpick_candset_add_pkcs11(set, s->src[i].arg, &o, err);
	case CLI_SRC_NSSDB: return certpick_candset_add_nssdb(set, s->src[i].arg, &o, err);
	default: return certpick_candset_add_path(set, s->src[i].arg, &o, err);
	}
}

int
cli_sources_load(const struct cli_sources *s, struct certpick_candset *set, bool strict)
{
	struct certpick_error err;
	struct cli_progress progress = { 0 };
	size_t failed = 0;
	int rc = 0;

	cli_progress_start(&progress, "loading", "files read");
	for (size_t i = 0; i < s->n; i++) {
		certpick_error_clear(&err);
		if (load_one(s, i, set, &progress, &err) == 0)
			continue;
		cli_progress_clear(&progress);
		if (strict) {
			rc = cli_error(&err);
			goto out;
		}
		cli_warn_error(NULL, &err);
		failed++;
	}
	certpick_error_clear(&err);
	if (certpick_candset_finish(set, &err) != 0) {
		cli_progress_clear(&progress);
		rc = cli_error(&err);
		goto out;
	}
	rc = s->n > 0 && failed == s->n ? CLI_EXIT_INPUT : 0;
out:
	cli_progress_end(&progress);
	return rc;
}

void
cli_sources_wipe(struct cli_sources *s)
{
	cli_password_wipe(&s->pw);
	cli_password_wipe(&s->pin);
}
