/* Shared JSON shapes of the contract in docs/json.md, built with jansson. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

json_t *
cli_json_dn(const struct certpick_dn *dn)
{
	char *der = certpick_hex(dn->der, dn->der_len);
	char *sha = certpick_hex(dn->sha256, sizeof(dn->sha256));
	json_t *o = json_pack("{s:o, s:s?, s:s?}",
	    "rfc4514", dn->rfc4514 ? json_string(dn->rfc4514) : json_null(),
	    "der", der, "sha256", sha);

	free(der);
	free(sha);
	return o;
}

json_t *
cli_json_finding(const struct certpick_finding *f)
{
	const char *text = certpick_reason_text(f->reason);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}",
	    "id", certpick_reason_id(f->reason),
	    "severity", certpick_severity_name(f->severity),
	    "message", text,
	    "hint", certpick_reason_hint(f->reason));

	if (o != NULL && f->detail != NULL)
		json_object_set_new(o, "detail", json_string(f->detail));
	return o;
}

json_t *
cli_json_findings(const struct certpick_findings *f)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && f != NULL && i < f->n; i++)
		json_array_append_new(a, cli_json_finding(&f->v[i]));
	return a;
}

json_t *
cli_json_error(const struct certpick_error *err)
{
	return json_pack("{s:s, s:s, s:s}", "code", certpick_errc_name(err->code),
	    "message", err->message, "detail", err->detail);
}

int
cli_json_print(json_t *obj, bool lines)
{
	size_t flags = JSON_ENSURE_ASCII | (lines ? JSON_COMPACT : JSON_INDENT(2)) |
	    JSON_PRESERVE_ORDER;
	int ret;

	if (obj == NULL) {
		fputs("certpick: error: out of memory building JSON\n", stderr);
		return -1;
	}
	ret = json_dumpf(obj, stdout, flags);
	fputc('\n', stdout);
	json_decref(obj);
	return ret;
}
