/*
 * Selection benchmark: N candidates against 1,000 CA names (one candidate in
 * ten issued by a listed CA, the others by unlisted ones), for a
 * store-walking profile (chrome) and a configured-chain one (go). Timed: what
 * certpick_select_run() does after loading: facts of every certificate
 * (names, KU/EKU, key), the store index, the CA-name index, every check of
 * every candidate with its trace, ordering. Not timed: making the
 * certificates, and what the loader does to each anyway (its SHA-256, and
 * OpenSSL's one-time parse of its extensions). The candidate set is bypassed (cp_select_run_facts): its
 * pool de-duplication is linear per certificate today, which makes loading
 * 100k candidates quadratic (reported; not selection).
 * usage: select_bench N [RUNS [PROFILE...]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certpick/certpick.h"
#include "certpick/select.h"
#include "select_int.h"

#define N_CA 1000

static X509_NAME *
name(const char *kind, long i)
{
	X509_NAME *n = X509_NAME_new();
	char cn[64];

	snprintf(cn, sizeof(cn), "Bench %s %ld", kind, i);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"certpick-bench",
	    -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

static X509 *
leaf(long i, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *s = name("leaf", i);
	/* one in ten issued by a listed CA */
	X509_NAME *is = i % 10 == 0 ? name("CA", i % N_CA) : name("Other CA", i % N_CA);

	ASN1_INTEGER_set(X509_get_serialNumber(x), i + 1);
	X509_set_version(x, 2);
	X509_set_subject_name(x, s);
	X509_set_issuer_name(x, is);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400L * (i % 300));
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * (400 - i % 300));
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	X509_NAME_free(s);
	X509_NAME_free(is);
	return x;
}

/*
 * CPU time of this process: the build machine is shared, and wall time there
 * measures the neighbours. select.sh also prints wall time per size.
 */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
run_once(const char *profile, X509 **certs, char (*sha)[65], long n,
    const struct certpick_certreq *req, double *secs, long *sent, size_t *eligible)
{
	struct cp_selstore store = { 0 };
	struct cp_selcand *cands = calloc((size_t)n, sizeof(*cands));
	struct certpick_selection *s = NULL;
	struct certpick_error err = { 0 };
	double t0 = now();
	int rc = -1;

	if (cands == NULL)
		return -1;
	for (long i = 0; i < n; i++) {
		cands[i].index = (size_t)i;
		cands[i].source = "bench";
		cands[i].has_key = true;
		cands[i].key_store = CERTPICK_KEY_PKCS11;
		if (cp_selstore_add_known(&store, certs[i], sha[i], NULL, NULL, &cands[i].leaf,
			&err) != 0)
			goto out;
	}
	if (cp_select_run_facts(certpick_profile_find(profile), cands, (size_t)n, &store, req, NULL,
		&s, &err) != 0)
		goto out;
	*secs = now() - t0;
	*sent = s->chosen >= 0 ? s->chosen : s->auto_choice;
	*eligible = 0;
	for (size_t i = 0; i < s->n; i++)
		*eligible += s->v[i].verdict != CERTPICK_VERDICT_FILTERED;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "select: %s\n", err.message);
	certpick_selection_free(s);
	cp_selstore_release(&store);
	free(cands);
	return rc;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	struct certpick_error err = { 0 };
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct certpick_dn *names = calloc(N_CA, sizeof(*names));
	X509 **certs = calloc((size_t)(n > 0 ? n : 1), sizeof(*certs));
	char(*sha)[65] = calloc((size_t)(n > 0 ? n : 1), sizeof(*sha));
	struct certpick_certreq_fields f = { 0 };
	struct certpick_certreq *req;
	const char *def[] = { "chrome", "go" };
	const char *const *profiles = argc > 3 ? (const char *const *)argv + 3 : def;
	size_t n_prof = argc > 3 ? (size_t)(argc - 3) : 2;

	if (key == NULL || names == NULL || certs == NULL || sha == NULL || n <= 0 || runs <= 0 ||
	    runs > 16)
		return 2;
	for (long i = 0; i < n; i++) {
		unsigned char md[32];
		unsigned len;

		certs[i] = leaf(i, key);
		/* what the loader does to every certificate (candidate.c is_ca): OpenSSL
		 * parses and caches the extensions once per certificate */
		(void)X509_check_ca(certs[i]);
		X509_digest(certs[i], EVP_sha256(), md, &len);
		for (int k = 0; k < 32; k++)
			snprintf(sha[i] + 2 * k, 3, "%02x", md[k]);
	}
	for (long i = 0; i < N_CA; i++) {
		X509_NAME *nm = name("CA", i);
		const unsigned char *der;
		size_t len;

		X509_NAME_get0_der(nm, &der, &len);
		if (certpick_dn_init_der(&names[i], der, len, &err) != 0)
			return 1;
		X509_NAME_free(nm);
	}
	f.tls_version = CERTPICK_TLS13;
	f.ca_names = names;
	f.n_ca_names = N_CA;
	if ((req = certpick_certreq_build(&f, &err)) == NULL) {
		fprintf(stderr, "request: %s: %s\n", err.message, err.detail);
		return 1;
	}
	/*
	 * An untimed pass: certificates made in memory fill OpenSSL's lazy
	 * per-certificate caches on first use, which parsing a real file (what
	 * the loader does) fills before selection starts.
	 */
	{
		double ignored;
		long s0;
		size_t e0;

		if (run_once("go", certs, sha, n, req, &ignored, &s0, &e0) != 0)
			return 1;
	}
	for (size_t p = 0; p < n_prof; p++) {
		double t[16];

		if (certpick_profile_find(profiles[p]) == NULL) {
			fprintf(stderr, "no profile %s\n", profiles[p]);
			return 2;
		}
		long sent = -1;
		size_t eligible = 0;

		for (int r = 0; r < runs; r++)
			if (run_once(profiles[p], certs, sha, n, req, &t[r], &sent, &eligible) != 0)
				return 1;
		qsort(t, (size_t)runs, sizeof(double), cmp);
		printf(
		    "%-7s candidates=%-7ld ca_names=%d cpu median=%.3f s  per_candidate=%.2f us  "
		    "eligible=%zu sent=#%ld\n",
		    profiles[p], n, N_CA, t[runs / 2], t[runs / 2] / (double)n * 1e6, eligible,
		    sent);
	}
	certpick_certreq_free(req);
	for (long i = 0; i < N_CA; i++)
		certpick_dn_release(&names[i]);
	for (long i = 0; i < n; i++)
		X509_free(certs[i]);
	free(certs);
	free(sha);
	free(names);
	EVP_PKEY_free(key);
	return 0;
}
