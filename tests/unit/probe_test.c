/* probe.c: names, recorded requests, and the verdict table (cp_probe_decide). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* s_server TLS 1.2 CertificateRequest with its handshake header (names A, B) */
static const char sserv12_msg[] =
    "0d0000a6030102400028040305030603080708080809080a080b08040805080604010501060103030301"
    "030204020502060200760039303731163014060355040a0c0d636572747069636b2d74657374311d301b"
    "06035504030c14636572747069636b205465737420526f6f7420410039303731163014060355040a0c0d"
    "636572747069636b2d74657374311d301b06035504030c14636572747069636b205465737420526f6f74"
    "2042";

static void
names(void **state)
{
	(void)state;
	assert_string_equal(certpick_client_auth_name(CERTPICK_CLIENT_AUTH_REQUIRED), "required");
	assert_string_equal(certpick_client_auth_name(CERTPICK_CLIENT_AUTH_OPTIONAL), "optional");
	assert_string_equal(certpick_client_auth_name(CERTPICK_CLIENT_AUTH_NONE), "none");
	assert_string_equal(certpick_client_auth_name(CERTPICK_CLIENT_AUTH_UNKNOWN), "unknown");
	assert_string_equal(certpick_probe_end_name(CERTPICK_PROBE_END_HTTP), "http");
	assert_string_equal(certpick_probe_end_name(CERTPICK_PROBE_END_NOT_HTTP), "not_http");
	assert_string_equal(certpick_probe_end_name(CERTPICK_PROBE_END_RESET), "reset");
	assert_string_equal(certpick_alert_name(116), "certificate_required");
	assert_string_equal(certpick_alert_name(40), "handshake_failure");
	assert_string_equal(certpick_alert_name(50), "decode_error");
	assert_null(certpick_alert_name(7));
	certpick_probe_result_free(NULL);
}

static struct certpick_probe_result *
new_result(void)
{
	struct certpick_probe_result *r = calloc(1, sizeof(*r));

	r->path = strdup("/secure/");
	r->alpn_h2 = -1;
	r->without_cert.alert = -1;
	r->with_cert.alert = -1;
	return r;
}

static void
add(struct certpick_probe_result *r, enum certpick_phase phase, const char *hex)
{
	size_t len;
	uint8_t *m = tu_unhex(hex, &len);

	assert_int_equal(cp_probe_add_request(r, CERTPICK_TLS12, phase, m, len), 0);
	free(m);
}

static void
records_requests(void **state)
{
	struct certpick_probe_result *r = new_result();

	(void)state;
	add(r, CERTPICK_PHASE_INITIAL, sserv12_msg);
	add(r, CERTPICK_PHASE_RENEGOTIATION, "0d000003 000000"); /* malformed */
	assert_int_equal(r->n_requests, 2);
	assert_non_null(r->requests[0].req);
	assert_int_equal(r->requests[0].size, 170);
	assert_int_equal(r->requests[0].req->n_ca_names, 2);
	assert_null(r->requests[1].req);
	assert_non_null(strstr(r->requests[1].parse_error, "malformed"));
	/* at most CP_PROBE_MAX_REQUESTS are kept */
	for (int i = 0; i < 40; i++)
		add(r, CERTPICK_PHASE_RENEGOTIATION, sserv12_msg);
	assert_int_equal(r->n_requests, CP_PROBE_MAX_REQUESTS);
	certpick_probe_result_free(r);
}

struct row {
	enum certpick_probe_end end;
	int asked; /* 0 none, 1 initial, 2 renegotiation, 3 post-handshake */
	int status;
	bool required_page;
	int alert;
	bool handshake_done;
	int alpn_h2;
	enum certpick_client_auth want;
	enum certpick_reason finding; /* CERTPICK_REASON__COUNT: no connection finding */
};

static const struct row rows[] = {
	{ /* nginx on: asked, HTTP 400 "No required SSL certificate was sent" */
	    CERTPICK_PROBE_END_HTTP, 1, 400, true, -1, true, -1, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON__COUNT },
	{ /* asked, HTTP 200 */
	    CERTPICK_PROBE_END_HTTP, 1, 200, false, -1, true, -1, CERTPICK_CLIENT_AUTH_OPTIONAL,
	    CERTPICK_REASON__COUNT },
	{ /* asked, HTTP 404: the server answered anyway */
	    CERTPICK_PROBE_END_HTTP, 1, 404, false, -1, true, -1, CERTPICK_CLIENT_AUTH_OPTIONAL,
	    CERTPICK_REASON__COUNT },
	{ /* asked, an unexplained 403 */
	    CERTPICK_PROBE_END_HTTP, 1, 403, false, -1, true, -1, CERTPICK_CLIENT_AUTH_UNKNOWN,
	    CERTPICK_REASON__COUNT },
	{ /* not asked, HTTP 200 */
	    CERTPICK_PROBE_END_HTTP, 0, 200, false, -1, true, -1, CERTPICK_CLIENT_AUTH_NONE,
	    CERTPICK_REASON__COUNT },
	{ /* not asked, IIS 403.7 over TLS 1.3: it wants one it could not ask for */
	    CERTPICK_PROBE_END_HTTP, 0, 403, true, -1, true, -1, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON__COUNT },
	{ /* asked, alert 40 in the handshake */
	    CERTPICK_PROBE_END_ALERT, 1, 0, false, 40, false, -1, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON__COUNT },
	{ /* not asked, an alert: not about certificates */
	    CERTPICK_PROBE_END_ALERT, 0, 0, false, 70, false, -1, CERTPICK_CLIENT_AUTH_UNKNOWN,
	    CERTPICK_REASON__COUNT },
	{ /* per path by renegotiation, alert 40 */
	    CERTPICK_PROBE_END_ALERT, 2, 0, false, 40, true, 0, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON_CR_RENEGOTIATION },
	{ /* per path by post-handshake auth, alert 116 */
	    CERTPICK_PROBE_END_ALERT, 3, 0, false, 116, true, 0, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON_CR_PER_PATH_TLS13 },
	{ /* per path, and the server selects h2 */
	    CERTPICK_PROBE_END_ALERT, 3, 0, false, 116, true, 1, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON_CR_PER_PATH_HTTP2 },
	{ /* asked, then closed without a word */
	    CERTPICK_PROBE_END_CLOSED, 1, 0, false, -1, true, -1, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON__COUNT },
	{ /* asked, then reset */
	    CERTPICK_PROBE_END_RESET, 1, 0, false, -1, true, -1, CERTPICK_CLIENT_AUTH_REQUIRED,
	    CERTPICK_REASON__COUNT },
	{ /* not asked, reset (IIS over TLS 1.3 may do this) */
	    CERTPICK_PROBE_END_RESET, 0, 0, false, -1, true, -1, CERTPICK_CLIENT_AUTH_UNKNOWN,
	    CERTPICK_REASON__COUNT },
	{ /* not asked, closed after the request: nothing required */
	    CERTPICK_PROBE_END_CLOSED, 0, 0, false, -1, true, -1, CERTPICK_CLIENT_AUTH_NONE,
	    CERTPICK_REASON__COUNT },
	{ /* asked, silence */
	    CERTPICK_PROBE_END_TIMEOUT, 1, 0, false, -1, true, -1, CERTPICK_CLIENT_AUTH_UNKNOWN,
	    CERTPICK_REASON__COUNT },
	{ /* not asked, silence after the handshake: a slow server may still ask */
	    CERTPICK_PROBE_END_TIMEOUT, 0, 0, false, -1, true, -1, CERTPICK_CLIENT_AUTH_UNKNOWN,
	    CERTPICK_REASON__COUNT },
	{ /* not HTTP, asked */
	    CERTPICK_PROBE_END_NOT_HTTP, 1, 0, false, -1, true, -1, CERTPICK_CLIENT_AUTH_OPTIONAL,
	    CERTPICK_REASON__COUNT },
	{ /* no connection */
	    CERTPICK_PROBE_END_ERROR, 0, 0, false, -1, false, -1, CERTPICK_CLIENT_AUTH_UNKNOWN,
	    CERTPICK_REASON__COUNT },
};

static void
verdicts(void **state)
{
	static const enum certpick_phase phases[] = { CERTPICK_PHASE_INITIAL,
		CERTPICK_PHASE_INITIAL, CERTPICK_PHASE_RENEGOTIATION,
		CERTPICK_PHASE_POST_HANDSHAKE };

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct certpick_probe_result *r = new_result();

		if (w->asked)
			add(r, phases[w->asked], sserv12_msg);
		r->without_cert.ran = true;
		r->without_cert.end = w->end;
		r->without_cert.http.status = w->status;
		r->without_cert.http.cert_required_page = w->required_page;
		r->without_cert.alert = w->alert;
		r->without_cert.handshake_done = w->handshake_done;
		r->alpn_h2 = w->alpn_h2;
		if (w->end == CERTPICK_PROBE_END_ERROR)
			(void)cp_error_set(&r->without_cert.error, CERTPICK_ERR_NETWORK,
			    "cannot connect to 'x'");
		assert_int_equal(cp_probe_decide(r), 0);
		if (r->client_auth != w->want)
			fail_msg("row %zu: %s, want %s (%s)", i,
			    certpick_client_auth_name(r->client_auth),
			    certpick_client_auth_name(w->want), r->evidence_text);
		assert_int_equal(r->evidence, w->end);
		assert_non_null(r->evidence_text);
		if (w->finding != CERTPICK_REASON__COUNT)
			assert_true(certpick_findings_has(&r->findings, w->finding));
		else
			assert_int_equal(r->findings.n, 0);
		/* a failed probe carries its error */
		if (w->end == CERTPICK_PROBE_END_ERROR)
			assert_int_equal(r->error.code, CERTPICK_ERR_NETWORK);
		else if (w->want != CERTPICK_CLIENT_AUTH_UNKNOWN)
			assert_int_equal(r->error.code, CERTPICK_OK);
		certpick_probe_result_free(r);
	}
}

static void
with_certificate(void **state)
{
	struct certpick_probe_result *r = new_result();

	(void)state;
	add(r, CERTPICK_PHASE_INITIAL, sserv12_msg);
	r->without_cert.end = CERTPICK_PROBE_END_ALERT;
	r->without_cert.alert = 40;
	r->with_cert.ran = true;
	r->with_cert.end = CERTPICK_PROBE_END_HTTP;
	r->with_cert.http.status = 200;
	assert_int_equal(cp_probe_decide(r), 0);
	assert_true(r->cert_accepted);
	certpick_probe_result_free(r);
	r = new_result();
	r->with_cert.ran = true;
	r->with_cert.end = CERTPICK_PROBE_END_HTTP;
	r->with_cert.http.status = 400;
	assert_int_equal(cp_probe_decide(r), 0);
	assert_false(r->cert_accepted);
	certpick_probe_result_free(r);
}

/* a request too malformed to parse: cr-malformed and its size findings */
static void
malformed_request_findings(void **state)
{
	struct certpick_probe_result *r = new_result();
	uint8_t *big = calloc(1, 200004);

	(void)state;
	big[0] = 13;
	big[1] = 0x03;
	big[2] = 0x0d;
	big[3] = 0x44; /* 200004 - 4 */
	assert_int_equal(cp_probe_add_request(r, CERTPICK_TLS12, CERTPICK_PHASE_INITIAL, big,
			     200004),
	    0);
	r->without_cert.end = CERTPICK_PROBE_END_ALERT;
	r->without_cert.alert = 50;
	assert_int_equal(cp_probe_decide(r), 0);
	assert_true(certpick_findings_has(&r->findings, CERTPICK_REASON_CR_MALFORMED));
	assert_true(certpick_findings_has(&r->findings, CERTPICK_REASON_CR_TOO_LARGE_NSS));
	assert_true(certpick_findings_has(&r->findings, CERTPICK_REASON_CR_TOO_LARGE_JAVA_WINDOWS));
	certpick_probe_result_free(r);
	free(big);
}

/* A service result: refused without a certificate, and with one when with_cert. */
static struct certpick_probe_result *
service_refused(bool with_cert, bool sent, enum certpick_service_outcome with_outcome)
{
	struct certpick_probe_result *r = new_result();

	r->protocol = strdup("smtp");
	r->without_cert.end = CERTPICK_PROBE_END_SERVICE;
	r->without_cert.service.outcome = CERTPICK_SERVICE_REFUSED;
	r->without_cert.service.text = strdup("5.7.1 Relay access denied");
	r->with_cert.ran = with_cert;
	r->with_cert.certificate_sent = sent;
	r->with_cert.end = CERTPICK_PROBE_END_SERVICE;
	r->with_cert.service.outcome = with_outcome;
	return r;
}

/* service-refused-never-asked: only for a service that refused and was never asked */
static void
service_refused_never_asked(void **state)
{
	static const struct {
		bool https, asked, with_cert, sent;
		enum certpick_service_outcome with_outcome;
		bool want;
	} cases[] = {
		{ false, false, false, false, CERTPICK_SERVICE_UNKNOWN, true },
		{ false, false, true, false, CERTPICK_SERVICE_REFUSED, true },
		{ true, false, false, false, CERTPICK_SERVICE_UNKNOWN, false },	 /* https */
		{ false, true, false, false, CERTPICK_SERVICE_UNKNOWN, false },	 /* it asked */
		{ false, false, true, true, CERTPICK_SERVICE_REFUSED, false },	 /* sent */
		{ false, false, true, false, CERTPICK_SERVICE_ACCEPTED, false }, /* got in */
	};

	(void)state;
	for (size_t i = 0; i < CP_NELEM(cases); i++) {
		struct certpick_probe_result *r =
		    service_refused(cases[i].with_cert, cases[i].sent, cases[i].with_outcome);

		if (cases[i].https) {
			free(r->protocol);
			r->protocol = NULL;
		}
		if (cases[i].asked)
			add(r, CERTPICK_PHASE_INITIAL, sserv12_msg);
		assert_int_equal(cp_probe_decide(r), 0);
		assert_int_equal(certpick_findings_has(&r->findings,
				     CERTPICK_REASON_SVC_REFUSED_NEVER_ASKED),
		    cases[i].want);
		certpick_probe_result_free(r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(records_requests),
		cmocka_unit_test(verdicts),
		cmocka_unit_test(with_certificate),
		cmocka_unit_test(malformed_request_findings),
		cmocka_unit_test(service_refused_never_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
