/*
 * candidate_nss.c: NSS databases as a source. Error paths always; a real
 * database (made with certutil/pk12util from tests/data fixtures) when the
 * NSS tools are installed: user certificates become candidates with their key
 * in NSS, CA certificates go to the pool, order is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "certpick/openssl.h"

/* a folder that is not a database: a clear error, nothing added */
static void
not_a_database(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	char *dir = tu_tmpdir();
	char path[1024];
	FILE *f;

	(void)state;
	assert_non_null(set);
	snprintf(path, sizeof(path), "%s/cert9.db", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not sqlite", f);
	fclose(f);
	assert_int_equal(certpick_candset_add_nssdb(set, dir, NULL, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	assert_non_null(strstr(err.message, "cannot open NSS database"));
	assert_int_equal(certpick_candset_add_nssdb(set, "/nonexistent/nssdb", NULL, &err), -1);
	assert_int_equal(certpick_candset_add_nssdb(NULL, dir, NULL, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_USAGE);
	assert_int_equal(certpick_candset_finish(set, &err), 0);
	assert_int_equal(certpick_candset_count(set), 0);
	certpick_candset_free(set);
	tu_rmtree(dir);
	free(dir);
}

static int
sh(const char *cmd)
{
	return system(cmd);
}

/* a database with a user certificate (key inside) and a CA */
static void
user_certs_and_cas(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_candset *set = certpick_candset_new(&err);
	char *dir = tu_tmpdir();
	char cmd[4096];
	const struct certpick_candidate *c;

	(void)state;
	if (access("/usr/bin/certutil", X_OK) != 0 || access("/usr/bin/pk12util", X_OK) != 0 ||
	    access("/usr/bin/openssl", X_OK) != 0) {
		certpick_candset_free(set);
		tu_rmtree(dir);
		free(dir);
		skip();
	}
	snprintf(cmd, sizeof(cmd),
	    "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout ca.key -subj /CN=NSS-Test-CA -days 30 -addext basicConstraints=critical,CA:TRUE "
	    "-out ca.pem >/dev/null 2>&1 && openssl req -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout u.key -subj /CN=nss-user -out u.csr "
	    ">/dev/null 2>&1 && openssl x509 -req -in u.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 30 -out u.pem >/dev/null 2>&1 && openssl pkcs12 -export -in "
	    "u.pem -inkey u.key -passout pass:x -out u.p12 && mkdir db && certutil -N -d sql:db "
	    "--empty-password && certutil -A -d sql:db -n ca -t C,, -i ca.pem && pk12util -i "
	    "u.p12 -d sql:db -W x -K '' >/dev/null",
	    dir);
	assert_int_equal(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/db", dir);
	assert_ok(certpick_candset_add_nssdb(set, cmd, NULL, &err), &err);
	assert_ok(certpick_candset_finish(set, &err), &err);
	assert_int_equal(certpick_candset_count(set), 1);
	c = certpick_candset_get(set, 0);
	assert_int_equal(certpick_candidate_key_store(c), CERTPICK_KEY_NSS);
	assert_non_null(strstr(certpick_candidate_source(c), "nssdb:"));
	assert_string_equal(certpick_candidate_subject(c)->rfc4514, "CN=nss-user");
	/* the CA is in the pool, for issuer walks */
	assert_int_equal(certpick_candset_pool_count(set), 2);
	certpick_candset_free(set);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_a_database),
		cmocka_unit_test(user_certs_and_cas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
