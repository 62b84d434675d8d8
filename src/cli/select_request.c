/*
 * certpick select: where the request comes from. A saved probe (--request),
 * a live probe (URL), or by hand (--ca-names, --issuer, --sigalgs, --tls1.2),
 * default: TLS 1.3, no CA names, a typical signature-scheme list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "certpick/select.h"

#include "certpick/probe.h"

/* The subjects of every certificate in a PEM file, as the server would list them. */
static int
names_from_pem(const char *path, struct certpick_dn **names, size_t *n)
{
	struct certpick_error err = { 0 };
	BIO *in = BIO_new_file(path, "r");
	X509 *x;
	int rc = 0;

	if (in == NULL) {
		fprintf(stderr, "certpick: error: cannot open '%s': %s\n", path, strerror(errno));
		return CLI_EXIT_INPUT;
	}
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		const unsigned char *der;
		size_t len;
		struct certpick_dn *grown = realloc(*names, (*n + 1) * sizeof(**names));

		if (grown == NULL || X509_NAME_get0_der(X509_get_subject_name(x), &der, &len) != 1 ||
		    certpick_dn_init_der(&grown[*n], der, len, &err) != 0) {
			if (grown != NULL)
				*names = grown;
			X509_free(x);
			rc = CLI_EXIT_INTERNAL;
			break;
		}
		*names = grown;
		(*n)++;
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(in);
	if (rc == 0 && *n == 0) {
		fprintf(stderr, "certpick: error: no PEM certificate in '%s'\n", path);
		rc = CLI_EXIT_INPUT;
	}
	return rc;
}

static int
parse_sigalgs(const char *list, uint16_t **out, size_t *n)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;

	if (copy == NULL || (*out = calloc(strlen(list) / 2 + 2, sizeof(**out))) == NULL) {
		free(copy);
		return CLI_EXIT_INTERNAL;
	}
	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		if (certpick_sigalg_from_name(t, &(*out)[*n]) != 0) {
			fprintf(stderr, "certpick: error: --sigalgs: unknown signature scheme '%s' "
			    "(IANA names, e.g. ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256)\n", t);
			rc = CLI_EXIT_USAGE;
			break;
		}
		(*n)++;
	}
	if (rc == 0 && *n == 0) {
		fputs("certpick: error: --sigalgs: empty list\n", stderr);
		rc = CLI_EXIT_USAGE;
	}
	free(copy);
	return rc;
}

static int
saved_request(const char *path, struct certpick_certreq **out)
{
	struct certpick_certreq_list list = { 0 };
	struct certpick_error err = { 0 };

	if (certpick_certreq_list_load_json(path, &list, &err) != 0)
		return cli_error(&err);
	if (list.n == 0) {
		fprintf(stderr, "certpick: error: '%s' holds no CertificateRequest (the server "
		    "did not ask for a certificate)\n", path);
		certpick_certreq_list_release(&list);
		return CLI_EXIT_INPUT;
	}
	if (list.n > 1)
		cli_warn("'%s' holds %zu requests; using the last (%s)", path, list.n,
		    certpick_phase_name(list.v[list.n - 1]->phase));
	*out = list.v[list.n - 1];
	list.v[list.n - 1] = NULL;
	certpick_certreq_list_release(&list);
	return 0;
}

/* Probe the URL and keep its last CertificateRequest (the one for the path). */
static int
live_request(const char *url, struct certpick_certreq **out)
{
	struct certpick_probe_options o = { .trace = cli_trace };
	struct certpick_probe_result *res = NULL;
	struct certpick_error err = { 0 };
	int rc = 0;

	if (certpick_probe_run(url, &o, &res, &err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (res->error.code != CERTPICK_OK) {
		cli_error(&res->error);
		rc = CLI_EXIT_NETWORK;
		goto out;
	}
	for (size_t i = res->n_requests; i-- > 0;) {
		if (res->requests[i].req != NULL) {
			*out = res->requests[i].req;
			res->requests[i].req = NULL;
			break;
		}
	}
	if (*out == NULL) {
		fprintf(stderr, "certpick: error: '%s' did not ask for a client certificate (%s)\n",
		    url, res->evidence_text ? res->evidence_text : "no CertificateRequest");
		rc = CLI_EXIT_NETWORK;
	}
out:
	certpick_probe_result_free(res);
	return rc;
}

int
cli_select_request(const char *url, const char *file, const char *ca_pem,
    const char *const *issuers, size_t n_issuers, const char *sigalgs, bool tls12,
    size_t size, struct certpick_certreq **out)
{
	struct certpick_certreq_fields f = { 0 };
	struct certpick_error err = { 0 };
	struct certpick_dn *names = NULL;
	uint16_t *sig = NULL;
	size_t n_names = 0, n_sig = 0;
	int rc = 0;

	*out = NULL;
	if (file != NULL)
		rc = saved_request(file, out);
	else if (url != NULL)
		rc = live_request(url, out);
	if (rc != 0 || *out != NULL)
		goto done;
	if (ca_pem != NULL && (rc = names_from_pem(ca_pem, &names, &n_names)) != 0)
		goto out;
	for (size_t i = 0; i < n_issuers; i++) {
		struct certpick_dn *grown = realloc(names, (n_names + 1) * sizeof(*names));

		if (grown == NULL) {
			rc = CLI_EXIT_INTERNAL;
			goto out;
		}
		names = grown;
		if (certpick_dn_init_rfc4514(&names[n_names], issuers[i], &err) != 0) {
			fprintf(stderr, "certpick: error: --issuer: not an RFC 4514 name: '%s'\n",
			    issuers[i]);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		n_names++;
	}
	if (sigalgs != NULL && (rc = parse_sigalgs(sigalgs, &sig, &n_sig)) != 0)
		goto out;
	f.tls_version = tls12 ? CERTPICK_TLS12 : CERTPICK_TLS13;
	f.ca_names = names;
	f.n_ca_names = n_names;
	f.sigalgs = sig;
	f.n_sigalgs = n_sig;
	if ((*out = certpick_certreq_build(&f, &err)) == NULL) {
		rc = cli_error(&err);
		goto out;
	}
	/* a request written by hand has no size a client would have seen */
	(*out)->size = 0;
done:
	if (rc == 0 && size > 0)
		(*out)->size = size;
out:
	for (size_t i = 0; i < n_names; i++)
		certpick_dn_release(&names[i]);
	free(names);
	free(sig);
	return rc;
}
