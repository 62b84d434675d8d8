/*
 * certreq_json.c: saved probe JSON back to requests, from raw hex and from
 * fields; JSON Lines; every malformed input is an error, not a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

#define ROOT_A "CN=certpick Test Root A,O=certpick-test"

/* gnutls-serv TLS 1.3 capture (see certreq_codec_test.c) */
#define GNUTLS13_RAW                                                                       \
	"0000a6000d00220020040108090804040308070501080a0805050308080601080b08060603020102" \
	"03002f007800760039303731163014060355040a0c0d636572747069636b2d74657374311d301b06" \
	"035504030c14636572747069636b205465737420526f6f7420410039303731163014060355040a0c" \
	"0d636572747069636b2d74657374311d301b06035504030c14636572747069636b20546573742052" \
	"6f6f74204200050000"

static struct certpick_certreq_list
must_read(const char *json)
{
	struct certpick_certreq_list l;
	struct certpick_error err;

	if (certpick_certreq_list_from_json(json, strlen(json), &l, &err) != 0)
		fail_msg("%s", err.message);
	return l;
}

static void
from_raw(void **state)
{
	struct certpick_certreq_list l = must_read(
	    "{\"schema\":1,\"target\":\"x:1\","
	    "\"client_auth\":\"required\",\"requests\":[{\"phase\":\"post_handshake\","
	    "\"tls_version\":\"TLSv1.3\",\"ca_names\":[],\"raw\":\"" GNUTLS13_RAW "\"}]}");

	(void)state;
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0]->tls_version, CERTPICK_TLS13);
	assert_int_equal(l.v[0]->phase, CERTPICK_PHASE_POST_HANDSHAKE);
	/* raw wins over the (here inconsistent) fields */
	assert_int_equal(l.v[0]->n_ca_names, 2);
	assert_string_equal(l.v[0]->ca_names[0].rfc4514, ROOT_A);
	assert_int_equal(l.v[0]->n_extensions, 3);
	certpick_certreq_list_release(&l);
	certpick_certreq_list_release(&l);
}

static void
from_fields_tls12(void **state)
{
	struct certpick_certreq_list l =
	    must_read("{\"tls_version\":\"TLSv1.2\","
		      "\"certificate_types\":[\"rsa_sign\",\"ecdsa_sign\",\"0x42\",3],"
		      "\"signature_algorithms\":[\"ecdsa_secp256r1_sha256\",\"0xfefe\",1025],"
		      "\"ca_names\":[{\"rfc4514\":\"" ROOT_A "\"},\"CN=Second\","
		      "{\"der\":\"300f310d300b06035504030c0474657374\",\"rfc4514\":\"ignored\"}]}");
	const struct certpick_certreq *r = l.v[0];

	(void)state;
	assert_int_equal(l.n, 1);
	assert_int_equal(r->phase, CERTPICK_PHASE_INITIAL);
	assert_int_equal(r->n_cert_types, 4);
	assert_int_equal(r->cert_types[1], 64);
	assert_int_equal(r->cert_types[2], 0x42);
	assert_int_equal(r->cert_types[3], 3);
	assert_int_equal(r->n_sigalgs, 3);
	assert_int_equal(r->sigalgs[0], 0x0403);
	assert_int_equal(r->sigalgs[1], 0xfefe);
	assert_int_equal(r->sigalgs[2], 0x0401);
	assert_int_equal(r->n_ca_names, 3);
	assert_string_equal(r->ca_names[0].rfc4514, ROOT_A);
	assert_string_equal(r->ca_names[1].rfc4514, "CN=Second");
	assert_string_equal(r->ca_names[2].rfc4514, "CN=test");
	assert_non_null(r->raw);
	certpick_certreq_list_release(&l);
}

/* TLS 1.3 without raw: the extensions are re-encoded as they were */
static void
from_extensions_tls13(void **state)
{
	struct certpick_certreq_list l = must_read(
	    "[{\"tls_version\":\"TLSv1.3\","
	    "\"phase\":\"post_handshake\",\"certificate_request_context\":\"0102\","
	    "\"extensions\":[{\"type\":13,\"name\":\"signature_algorithms\",\"data\":\"00020807\"},"
	    "{\"type\":64250,\"data\":\"abcd\"},{\"type\":\"0x0005\",\"data\":\"\"}]}]");
	const struct certpick_certreq *r = l.v[0];

	(void)state;
	assert_int_equal(r->context_len, 2);
	assert_int_equal(r->n_extensions, 3);
	assert_int_equal(r->sigalgs[0], 0x0807);
	assert_int_equal(r->extensions[1].type, 0xfafa);
	assert_int_equal(r->extensions[2].type, 5);
	certpick_certreq_list_release(&l);
}

/* TLS 1.3 from fields: names go into extension 47 */
static void
from_fields_tls13(void **state)
{
	struct certpick_certreq_list l = must_read(
	    "{\"tls_version\":\"TLSv1.3\","
	    "\"signature_algorithms\":[\"ed25519\"],\"signature_algorithms_cert\":[\"rsa_pkcs1_sha256\"],"
	    "\"ca_names\":[\"CN=x\"]}");
	const struct certpick_certreq *r = l.v[0];

	(void)state;
	assert_true(r->has_ca_extension);
	assert_int_equal(r->n_ca_names, 1);
	assert_true(r->has_sigalgs_cert);
	assert_int_equal(r->sigalgs_cert[0], 0x0401);
	certpick_certreq_list_release(&l);
}

/* --targets output: JSON Lines, failed targets skipped */
static void
json_lines(void **state)
{
	struct certpick_certreq_list l = must_read(
	    "{\"schema\":1,\"target\":\"a:1\",\"requests\":[{\"tls_version\":\"TLSv1.2\"}]}\n"
	    "{\"schema\":1,\"target\":\"b:1\",\"error\":{\"code\":\"network\"},\"requests\":[]}\n"
	    "{\"schema\":1,\"target\":\"c:1\",\"requests\":[{\"tls_version\":\"TLSv1.3\"},"
	    "{\"tls_version\":\"TLSv1.3\",\"phase\":\"post_handshake\",\"certificate_request_context\":\"01\"}]}\n");

	(void)state;
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0]->n_cert_types, 2); /* defaults */
	assert_true(l.v[0]->n_sigalgs > 10);
	assert_int_equal(l.v[2]->phase, CERTPICK_PHASE_POST_HANDSHAKE);
	certpick_certreq_list_release(&l);
}

static const char *const bad_json[] = {
	/* not JSON */ "{",
	/* nothing */ "",
	/* only whitespace */ " \n ",
	/* a probe that found no request */ "{\"schema\":1,\"requests\":[]}",
	/* a number */ "42",
	/* neither a request nor a probe */ "{\"schema\":1}",
	/* requests is not an array */ "{\"requests\":{}}",
	/* unknown version */ "{\"tls_version\":\"TLSv1.1\"}",
	/* version missing in a request */ "{\"requests\":[{\"phase\":\"initial\"}]}",
	/* unknown phase */ "{\"tls_version\":\"TLSv1.2\",\"phase\":\"later\"}",
	/* raw not hex */ "{\"tls_version\":\"TLSv1.2\",\"raw\":\"zz\"}",
	/* raw of odd length */ "{\"tls_version\":\"TLSv1.2\",\"raw\":\"010\"}",
	/* raw malformed */ "{\"tls_version\":\"TLSv1.2\",\"raw\":\"0101\"}",
	/* unknown signature algorithm name */
	"{\"tls_version\":\"TLSv1.2\",\"signature_algorithms\":[\"rot13\"]}",
	/* signature algorithm too big */
	"{\"tls_version\":\"TLSv1.2\",\"signature_algorithms\":[70000]}",
	/* certificate type too big */
	"{\"tls_version\":\"TLSv1.2\",\"certificate_types\":[\"0x100\"]}",
	/* certificate_types not an array */
	"{\"tls_version\":\"TLSv1.2\",\"certificate_types\":1}",
	/* a name without der or rfc4514 */ "{\"tls_version\":\"TLSv1.2\",\"ca_names\":[{}]}",
	/* a name that is not RFC 4514 */
	"{\"tls_version\":\"TLSv1.2\",\"ca_names\":[\"nonsense\"]}",
	/* der not hex */ "{\"tls_version\":\"TLSv1.2\",\"ca_names\":[{\"der\":\"xy\"}]}",
	/* an empty der */ "{\"tls_version\":\"TLSv1.2\",\"ca_names\":[{\"der\":\"\"}]}",
	/* extension without data */ "{\"tls_version\":\"TLSv1.3\",\"extensions\":[{\"type\":13}]}",
	/* extension data not hex */
	"{\"tls_version\":\"TLSv1.3\",\"extensions\":[{\"type\":13,\"data\":\"q0\"}]}",
	/* extension data malformed */
	"{\"tls_version\":\"TLSv1.3\",\"extensions\":[{\"type\":13,\"data\":\"0000\"}]}",
	/* duplicate keys */ "{\"tls_version\":\"TLSv1.2\",\"tls_version\":\"TLSv1.3\"}",
	/* a good line then garbage */ "{\"tls_version\":\"TLSv1.2\"}\n]",
};

static void
malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		struct certpick_certreq_list l = { 0 };
		struct certpick_error err;

		if (certpick_certreq_list_from_json(bad_json[i], strlen(bad_json[i]), &l, &err) ==
		    0)
			fail_msg("row %zu (%s) was accepted", i, bad_json[i]);
		assert_int_equal(err.code, CERTPICK_ERR_PARSE);
		assert_int_equal(l.n, 0);
		assert_null(l.v);
	}
}

static void
load_file(void **state)
{
	char *dir = tu_tmpdir();
	char path[4096];
	FILE *fp;
	struct certpick_certreq_list l;
	struct certpick_error err;

	(void)state;
	snprintf(path, sizeof(path), "%s/req.json", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"schema\":1,\"requests\":[{\"tls_version\":\"TLSv1.3\",\"raw\":\"" GNUTLS13_RAW
	      "\"}]}\n",
	    fp);
	fclose(fp);
	assert_ok(certpick_certreq_list_load_json(path, &l, &err), &err);
	assert_int_equal(l.n, 1);
	certpick_certreq_list_release(&l);
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_equal(certpick_certreq_list_load_json(path, &l, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	assert_non_null(strstr(err.message, "missing.json"));
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_raw),
		cmocka_unit_test(from_fields_tls12),
		cmocka_unit_test(from_extensions_tls13),
		cmocka_unit_test(from_fields_tls13),
		cmocka_unit_test(json_lines),
		cmocka_unit_test(malformed),
		cmocka_unit_test(load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
