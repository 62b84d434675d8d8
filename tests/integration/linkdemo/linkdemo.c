/*
 * A program outside certpick, built only from what `make install` installs:
 * its headers, its shared library and its pkg-config file
 * (cc linkdemo.c $(pkg-config --cflags --libs certpick)). test_library.py
 * builds and runs it. It makes one selection through the public API:
 *
 *   linkdemo CLIENT CA-DN PATH...
 *
 * loads the certificates and keys of PATH..., writes a CertificateRequest by
 * hand that names the CA CA-DN (RFC 4514), asks what client CLIENT sends, and
 * prints:
 *   client: go
 *   candidates: 1
 *   outcome: sends
 *   chosen: SHA256 SUBJECT      (or "chosen: none")
 * Exit 0 when the selection ran, 1 with a message on stderr when it could not.
 */
#include <stdio.h>
#include <stdlib.h>

#include "certpick/certpick.h"
#include "certpick/select.h"

static int
fail(const char *what, const struct certpick_error *err)
{
	fprintf(stderr, "linkdemo: %s: %s (%s)\n", what, err->message,
	    certpick_errc_name(err->code));
	return 1;
}

int
main(int argc, char **argv)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = NULL;
	struct certpick_dn ca = { 0 };
	struct certpick_certreq *req = NULL;
	struct certpick_selection *sel = NULL;
	const struct certpick_profile *profile;
	int ret = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: linkdemo CLIENT CA-DN PATH...\n");
		return 2;
	}
	if ((profile = certpick_profile_find(argv[1])) == NULL) {
		fprintf(stderr, "linkdemo: unknown client '%s'\n", argv[1]);
		return 2;
	}
	if ((set = certpick_candset_new(&err)) == NULL) {
		ret = fail("cannot make a candidate set", &err);
		goto out;
	}
	for (int i = 3; i < argc; i++) {
		if (certpick_candset_add_path(set, argv[i], NULL, &err) != 0) {
			ret = fail(argv[i], &err);
			goto out;
		}
	}
	if (certpick_candset_finish(set, &err) != 0) {
		ret = fail("cannot finish the candidate set", &err);
		goto out;
	}
	if (certpick_dn_init_rfc4514(&ca, argv[2], &err) != 0) {
		ret = fail(argv[2], &err);
		goto out;
	}
	struct certpick_certreq_fields fields = {
		.tls_version = CERTPICK_TLS13,
		.phase = CERTPICK_PHASE_INITIAL,
		.ca_names = &ca,
		.n_ca_names = 1,
	};
	if ((req = certpick_certreq_build(&fields, &err)) == NULL) {
		ret = fail("cannot build the request", &err);
		goto out;
	}
	if (certpick_select_run(profile, set, req, NULL, &sel, &err) != 0) {
		ret = fail("cannot run the selection", &err);
		goto out;
	}
	printf("client: %s\n", certpick_profile_name(sel->profile));
	printf("candidates: %zu\n", certpick_candset_count(set));
	printf("outcome: %s\n", certpick_outcome_name(sel->outcome));
	if (sel->chosen >= 0) {
		printf("chosen: %s %s\n", sel->v[sel->chosen].sha256, sel->v[sel->chosen].subject);
	} else {
		printf("chosen: none\n");
	}
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	certpick_selection_free(sel);
	certpick_certreq_free(req);
	certpick_dn_release(&ca);
	certpick_candset_free(set);
	return ret;
}
