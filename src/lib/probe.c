/*
 * Probe results: lifecycle, names, and the verdict. cp_probe_decide() turns
 * what the connections saw (requests, alerts, the HTTP answer, how they
 * ended) into client_auth, its evidence and the connection-level findings.
 * Pure: the network side is probe_engine.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* see certpick/probe.h */
const char *
certpick_client_auth_name(enum certpick_client_auth a)
{
	switch (a) {
	case CERTPICK_CLIENT_AUTH_NONE: return "none";
	case CERTPICK_CLIENT_AUTH_OPTIONAL: return "optional";
	case CERTPICK_CLIENT_AUTH_REQUIRED: return "required";
	case CERTPICK_CLIENT_AUTH_UNKNOWN:
	default: return "unknown";
	}
}

/* see certpick/probe.h */
const char *
certpick_probe_end_name(enum certpick_probe_end e)
{
	switch (e) {
	case CERTPICK_PROBE_END_HTTP: return "http";
	case CERTPICK_PROBE_END_ALERT: return "alert";
	case CERTPICK_PROBE_END_CLOSED: return "closed";
	case CERTPICK_PROBE_END_RESET: return "reset";
	case CERTPICK_PROBE_END_TIMEOUT: return "timeout";
	case CERTPICK_PROBE_END_NOT_HTTP: return "not_http";
	case CERTPICK_PROBE_END_ERROR: return "error";
	case CERTPICK_PROBE_END_SERVICE: return "service";
	case CERTPICK_PROBE_END_NONE:
	default: return "none";
	}
}

/* see certpick/probe.h */
const char *
certpick_service_outcome_name(enum certpick_service_outcome o)
{
	switch (o) {
	case CERTPICK_SERVICE_ACCEPTED: return "accepted";
	case CERTPICK_SERVICE_REFUSED: return "refused";
	case CERTPICK_SERVICE_NOT_OFFERED: return "not_offered";
	case CERTPICK_SERVICE_NO_TLS: return "no_tls";
	case CERTPICK_SERVICE_HANDSHAKE_ONLY: return "handshake_only";
	case CERTPICK_SERVICE_UNKNOWN:
	default: return "unknown";
	}
}

/* see certpick/probe.h */
const char *
certpick_alert_name(int d)
{
	switch (d) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return NULL;
	}
}

/* see internal.h */
void
cp_probe_service_release(struct certpick_probe_service *s)
{
	free(s->text);
	free(s->identity);
	free(s->capabilities);
	free(s->banner);
	*s = (struct certpick_probe_service){ .code = -1 };
}

static void
attempt_release(struct certpick_probe_attempt *a)
{
	free(a->cipher);
	free(a->alpn);
	cp_http_release(&a->http);
	cp_probe_service_release(&a->service);
	memset(a, 0, sizeof(*a));
}

/* see certpick/probe.h */
void
certpick_probe_result_free(struct certpick_probe_result *res)
{
	if (res == NULL)
		return;
	free(res->target);
	free(res->host);
	free(res->port);
	free(res->path);
	free(res->servername);
	free(res->address);
	free(res->evidence_text);
	free(res->scheme);
	free(res->protocol);
	attempt_release(&res->without_cert);
	attempt_release(&res->with_cert);
	for (size_t i = 0; i < res->n_requests; i++) {
		certpick_certreq_free(res->requests[i].req);
		free(res->requests[i].parse_error);
	}
	free(res->requests);
	certpick_findings_release(&res->findings);
	free(res);
}

/* see internal.h */
int
cp_probe_add_request(struct certpick_probe_result *res, uint16_t version, enum certpick_phase phase,
    const uint8_t *msg, size_t len)
{
	struct certpick_probe_request *r;
	struct certpick_error err;

	if (res->n_requests >= CP_PROBE_MAX_REQUESTS)
		return 0;
	if ((r = cp_array_push(&res->requests, &res->n_requests, sizeof(*r))) == NULL)
		return -1;
	r->phase = phase;
	r->tls_version = version;
	r->size = len;
	r->req = certpick_certreq_parse(version, phase, msg + 4, len - 4, &err);
	if (r->req == NULL) {
		if (err.code == CERTPICK_ERR_NOMEM ||
		    (r->parse_error = cp_strdup(err.message)) == NULL)
			return -1;
	}
	return 0;
}

static bool
phase_after_request(const struct certpick_probe_result *res)
{
	for (size_t i = 0; i < res->n_requests; i++)
		if (res->requests[i].phase != CERTPICK_PHASE_INITIAL)
			return true;
	return false;
}

/*
 * The certificate of --cert went out and the server answered with a fatal
 * alert: a finding that says what the alert means for that certificate.
 */
static int
refusal_finding(struct certpick_probe_result *res)
{
	const struct certpick_probe_attempt *w = &res->with_cert;
	enum certpick_reason r;
	const char *name;

	if (!w->ran || !w->certificate_sent || w->alert < 0 || w->end != CERTPICK_PROBE_END_ALERT)
		return 0;
	switch (w->alert) {
	case 48: r = CERTPICK_REASON_PRB_REFUSED_UNKNOWN_CA; break;  /* unknown_ca */
	case 45: r = CERTPICK_REASON_PRB_REFUSED_EXPIRED; break;     /* certificate_expired */
	case 43: r = CERTPICK_REASON_PRB_REFUSED_UNSUPPORTED; break; /* unsupported_certificate */
	default: r = CERTPICK_REASON_PRB_REFUSED_OTHER; break;
	}
	name = certpick_alert_name(w->alert);
	return cp_findings_add(&res->findings, r, "alert %d (%s) after the certificate was sent",
	    w->alert, name != NULL ? name : "?");
}

/*
 * A service that refused the client though its server never asked for a
 * certificate (and the certificate, if given, could not help: it was never
 * sent): the fix is on the server, whatever certificate the user has.
 */
static int
never_asked_finding(struct certpick_probe_result *res)
{
	const struct certpick_probe_attempt *o = &res->without_cert, *w = &res->with_cert;
	const char *text = o->service.text;

	if (res->protocol == NULL || res->n_requests > 0 ||
	    o->service.outcome != CERTPICK_SERVICE_REFUSED)
		return 0;
	if (w->ran && (w->certificate_sent || w->service.outcome != CERTPICK_SERVICE_REFUSED))
		return 0;
	return cp_findings_add(&res->findings, CERTPICK_REASON_SVC_REFUSED_NEVER_ASKED,
	    "%s: \"%s\"%s", res->protocol, text != NULL ? text : "refused",
	    w->ran ? ", with the certificate given as without it" : "");
}

static int
connection_findings(struct certpick_probe_result *res)
{
	bool reneg = false, pha = false;

	if (refusal_finding(res) != 0 || never_asked_finding(res) != 0)
		return -1;

	for (size_t i = 0; i < res->n_requests; i++) {
		const struct certpick_probe_request *r = &res->requests[i];

		if (r->phase == CERTPICK_PHASE_RENEGOTIATION && !reneg) {
			reneg = true;
			if (cp_findings_add(&res->findings, CERTPICK_REASON_CR_RENEGOTIATION,
				"after %s%s", res->path != NULL ? "GET " : "the handshake",
				res->path != NULL ? res->path : "") != 0)
				return -1;
		}
		if (r->phase == CERTPICK_PHASE_POST_HANDSHAKE && !pha) {
			pha = true;
			if (cp_findings_add(&res->findings, CERTPICK_REASON_CR_PER_PATH_TLS13,
				"after %s%s", res->path != NULL ? "GET " : "the handshake",
				res->path != NULL ? res->path : "") != 0)
				return -1;
		}
		if (r->req == NULL) {
			if (cp_findings_add(&res->findings, CERTPICK_REASON_CR_MALFORMED,
				"%s request of %zu bytes: %s", certpick_phase_name(r->phase),
				r->size, r->parse_error != NULL ? r->parse_error : "?") != 0 ||
			    cp_certreq_size_findings(r->size - 4, &res->findings) != 0)
				return -1;
		}
	}
	if (phase_after_request(res) && res->alpn_h2 == 1 &&
	    cp_findings_add(&res->findings, CERTPICK_REASON_CR_PER_PATH_HTTP2,
		"the server selects h2 when offered; browsers then get HTTP_1_1_REQUIRED") != 0)
		return -1;
	certpick_findings_sort(&res->findings);
	return 0;
}

static bool
http_ok(const struct certpick_probe_http *h)
{
	return h->status >= 200 && h->status < 400;
}

/* " (554 Relay access denied)", or "" when the service gave no words. Owned. */
static char *
service_words(const struct certpick_probe_service *s)
{
	if (s->text == NULL && s->code < 0)
		return cp_strdup("");
	if (s->code < 0)
		return cp_asprintf(": \"%s\"", s->text);
	return cp_asprintf(": %d%s%s%s", s->code, s->text != NULL ? " \"" : "",
	    s->text != NULL ? s->text : "", s->text != NULL ? "\"" : "");
}

/*
 * client_auth from a non-HTTP service's verdict on the connection without a
 * certificate. The handshake went through (else the end would be an alert,
 * a close or an error), so the certificate was at most optional in TLS; the
 * service's answer is the evidence, the way nginx's 400 is for https.
 */
static enum certpick_client_auth
service_decide(const struct certpick_probe_result *res, const struct certpick_probe_attempt *a,
    char **text)
{
	const struct certpick_probe_service *s = &a->service;
	const char *proto = res->protocol != NULL ? res->protocol : "the";
	bool asked = res->n_requests > 0;
	enum certpick_client_auth ca =
	    asked ? CERTPICK_CLIENT_AUTH_OPTIONAL : CERTPICK_CLIENT_AUTH_NONE;
	const char *head = asked ? "asked for a certificate, not required in TLS" :
				   "never asked for a certificate";
	char *w = service_words(s);

	if (w == NULL)
		return CERTPICK_CLIENT_AUTH_UNKNOWN;
	switch (s->outcome) {
	case CERTPICK_SERVICE_ACCEPTED:
		*text =
		    cp_asprintf("%s; the %s service accepted the client without a certificate%s",
			head, proto, w);
		break;
	case CERTPICK_SERVICE_REFUSED:
		*text = cp_asprintf("%s; the %s service refused the client without a certificate%s",
		    head, proto, w);
		break;
	case CERTPICK_SERVICE_NOT_OFFERED:
		*text =
		    cp_asprintf("%s; the %s service does not offer certificate authentication%s",
			head, proto, w);
		break;
	case CERTPICK_SERVICE_HANDSHAKE_ONLY:
		*text =
		    cp_asprintf("%s; the handshake completed without a certificate and the server "
				"did not refuse it",
			head);
		break;
	case CERTPICK_SERVICE_NO_TLS:
		ca = CERTPICK_CLIENT_AUTH_UNKNOWN;
		*text = cp_asprintf("the %s service does not offer TLS (STARTTLS refused or not "
				    "offered)%s",
		    proto, w);
		break;
	case CERTPICK_SERVICE_UNKNOWN:
	default:
		ca = CERTPICK_CLIENT_AUTH_UNKNOWN;
		*text = cp_asprintf("the %s conversation ended without a verdict%s", proto, w);
		break;
	}
	free(w);
	return ca;
}

static bool
service_ok(const struct certpick_probe_attempt *a)
{
	return a->end == CERTPICK_PROBE_END_SERVICE &&
	    (a->service.outcome == CERTPICK_SERVICE_ACCEPTED ||
		a->service.outcome == CERTPICK_SERVICE_HANDSHAKE_ONLY);
}

/* see internal.h */
int
cp_probe_decide(struct certpick_probe_result *res)
{
	const struct certpick_probe_attempt *a = &res->without_cert;
	const struct certpick_probe_http *h = &a->http;
	const char *an = certpick_alert_name(a->alert);
	enum certpick_client_auth ca = CERTPICK_CLIENT_AUTH_UNKNOWN;
	bool asked = res->n_requests > 0;
	char *text = NULL;
	const char *when = a->alert_after_request ? "after the HTTP request" : "in the handshake";

	res->evidence = a->end;
	switch (a->end) {
	case CERTPICK_PROBE_END_HTTP:
		if (h->cert_required_page)
			ca = CERTPICK_CLIENT_AUTH_REQUIRED;
		else if (!asked)
			ca = CERTPICK_CLIENT_AUTH_NONE;
		else if (http_ok(h) || h->status == 401 || h->status == 404)
			ca = CERTPICK_CLIENT_AUTH_OPTIONAL;
		text = cp_asprintf(
		    "the server answered GET %s without a certificate with HTTP %d%s%s%s%s",
		    res->path, h->status, h->title != NULL ? " \"" : "",
		    h->title != NULL ? h->title : "", h->title != NULL ? "\"" : "",
		    ca == CERTPICK_CLIENT_AUTH_UNKNOWN ? " (a status that does not say whether a "
							 "certificate is required)" :
			asked			       ? "" :
							 "; it never asked for a certificate");
		break;
	case CERTPICK_PROBE_END_ALERT:
		if (asked)
			ca = CERTPICK_CLIENT_AUTH_REQUIRED;
		text = asked ?
		    cp_asprintf("the server sent alert %d (%s) after the client answered its %s "
				"CertificateRequest with no certificate",
			a->alert, an != NULL ? an : "?",
			certpick_phase_name(res->requests[res->n_requests - 1].phase)) :
		    cp_asprintf(
			"the server sent alert %d (%s) %s, without asking for a certificate",
			a->alert, an != NULL ? an : "?", when);
		break;
	case CERTPICK_PROBE_END_CLOSED:
	case CERTPICK_PROBE_END_RESET:
		/* asked, answered with no certificate, then cut off: refused */
		ca = asked ? CERTPICK_CLIENT_AUTH_REQUIRED :
		    a->end == CERTPICK_PROBE_END_CLOSED && a->handshake_done ?
			     CERTPICK_CLIENT_AUTH_NONE :
			     CERTPICK_CLIENT_AUTH_UNKNOWN;
		text = cp_asprintf("the server %s the connection %s without an HTTP answer%s",
		    a->end == CERTPICK_PROBE_END_CLOSED ? "closed" : "reset",
		    a->request_sent ? "after the HTTP request" : "in the handshake",
		    asked ? ", after the client sent no certificate" : "");
		break;
	case CERTPICK_PROBE_END_NOT_HTTP:
		ca = asked ? CERTPICK_CLIENT_AUTH_OPTIONAL : CERTPICK_CLIENT_AUTH_NONE;
		text = cp_asprintf("the server answered without a certificate, but not in HTTP");
		break;
	case CERTPICK_PROBE_END_TIMEOUT:
		/* silence proves nothing: a slow server may still ask (or refuse) */
		ca = CERTPICK_CLIENT_AUTH_UNKNOWN;
		text = cp_asprintf("no answer within the timeout%s",
		    asked ? " after the client sent no certificate" : "");
		break;
	case CERTPICK_PROBE_END_SERVICE: ca = service_decide(res, a, &text); break;
	case CERTPICK_PROBE_END_ERROR:
	case CERTPICK_PROBE_END_NONE:
	default:
		text = cp_asprintf("%s",
		    a->error.message[0] != '\0' ? a->error.message : "no connection");
		break;
	}
	if (text == NULL)
		return -1;
	res->client_auth = ca;
	res->evidence_text = text;
	if (res->with_cert.ran)
		res->cert_accepted = (res->with_cert.end == CERTPICK_PROBE_END_HTTP &&
					 http_ok(&res->with_cert.http)) ||
		    service_ok(&res->with_cert);
	/* no answer at all is a failed probe: keep the reason */
	if (ca == CERTPICK_CLIENT_AUTH_UNKNOWN && a->error.code != CERTPICK_OK &&
	    res->error.code == CERTPICK_OK)
		res->error = a->error;
	return connection_findings(res);
}
