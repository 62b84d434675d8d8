/*
 * The JSON shapes shared by the CLI's renderers and serve's page (see
 * certpick/json.h), built with jansson. Pure: no I/O; a NULL from jansson
 * is passed up, never a half-built value.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certpick/json.h"
#include "certpick/outtext.h"
#include "internal.h"

/* see certpick/json.h */
json_t *
certpick_json_text(const char *s)
{
	size_t len, size;
	char *buf;
	json_t *j;

	if (s == NULL)
		return json_null();
	len = strlen(s);
	size = CERTPICK_TEXT_MAX(len);
	if ((buf = cp_malloc(size)) == NULL)
		return NULL;
	len = certpick_text_utf8(buf, size, s, len);
	j = json_stringn(buf, len);
	free(buf);
	return j;
}

/* see certpick/json.h */
json_t *
certpick_json_dn(const struct certpick_dn *dn)
{
	char *der = certpick_hex(dn->der, dn->der_len);
	char *sha = certpick_hex(dn->sha256, sizeof(dn->sha256));
	json_t *o = json_pack("{s:o, s:s, s:s}", /* NULL der or sha: fails */
	    "rfc4514", certpick_json_text(dn->rfc4514), "der", der, "sha256", sha);

	free(der);
	free(sha);
	return o;
}

/* see certpick/json.h */
json_t *
certpick_json_finding(const struct certpick_finding *f)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", certpick_reason_id(f->reason),
	    "severity", certpick_severity_name(f->severity), "message",
	    certpick_reason_text(f->reason), "hint", certpick_reason_hint(f->reason));

	if (o != NULL && f->detail != NULL &&
	    json_object_set_new(o, "detail", certpick_json_text(f->detail)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* see certpick/json.h */
json_t *
certpick_json_findings(const struct certpick_findings *f)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && f != NULL && i < f->n; i++) {
		if (json_array_append_new(a, certpick_json_finding(&f->v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* see certpick/json.h */
json_t *
certpick_json_error(const struct certpick_error *err)
{
	return json_pack("{s:s, s:o, s:o}", "code", certpick_errc_name(err->code), "message",
	    certpick_json_text(err->message), "detail", certpick_json_text(err->detail));
}
