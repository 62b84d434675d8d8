/*
 * Shared JSON shapes of the contract in docs/json.md, built with jansson.
 * Text from outside enters through cli_json_str() (certpick_text_utf8: bytes
 * that are not UTF-8 become "\xNN", never a NULL); members and elements
 * through cli_json_set() and cli_json_append(), which remember a NULL or a
 * refusal so that cli_json_print() fails the command instead of printing an
 * object with a key or an element silently missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A jansson constructor returned NULL since the last cli_json_take(). */
static _Thread_local bool json_failed;

json_t *
cli_json_str(const char *s)
{
	size_t len, size;
	char *buf;
	json_t *j;

	if (s == NULL)
		return json_null();
	len = strlen(s);
	size = CERTPICK_TEXT_MAX(len);
	if ((buf = malloc(size)) == NULL) {
		json_failed = true;
		return NULL;
	}
	len = certpick_text_utf8(buf, size, s, len);
	if ((j = json_stringn(buf, len)) == NULL)
		json_failed = true;
	free(buf);
	return j;
}

int
cli_json_set(json_t *o, const char *key, json_t *v)
{
	if (o == NULL) {
		json_decref(v);
		v = NULL;
	}
	if (v == NULL || json_object_set_new(o, key, v) != 0) {
		json_failed = true;
		return -1;
	}
	return 0;
}

int
cli_json_append(json_t *a, json_t *v)
{
	if (a == NULL) {
		json_decref(v);
		v = NULL;
	}
	if (v == NULL || json_array_append_new(a, v) != 0) {
		json_failed = true;
		return -1;
	}
	return 0;
}

json_t *
cli_json_take(json_t *obj)
{
	bool failed = json_failed;

	json_failed = false;
	if (obj == NULL || failed) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *
cli_json_dn(const struct certpick_dn *dn)
{
	char *der = certpick_hex(dn->der, dn->der_len);
	char *sha = certpick_hex(dn->sha256, sizeof(dn->sha256));
	json_t *o = json_pack("{s:o, s:s, s:s}",	/* NULL der or sha: fails */
	    "rfc4514", cli_json_str(dn->rfc4514),
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
		cli_json_set(o, "detail", cli_json_str(f->detail));
	return o;
}

json_t *
cli_json_findings(const struct certpick_findings *f)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && f != NULL && i < f->n; i++)
		cli_json_append(a, cli_json_finding(&f->v[i]));
	return a;
}

json_t *
cli_json_error(const struct certpick_error *err)
{
	return json_pack("{s:s, s:o, s:o}", "code", certpick_errc_name(err->code),
	    "message", cli_json_str(err->message), "detail", cli_json_str(err->detail));
}

int
cli_json_print(json_t *obj, bool lines)
{
	size_t flags = JSON_ENSURE_ASCII | (lines ? JSON_COMPACT : JSON_INDENT(2)) |
	    JSON_PRESERVE_ORDER;
	int ret;

	if ((obj = cli_json_take(obj)) == NULL) {
		fputs("certpick: error: cannot build the JSON output (out of memory)\n", stderr);
		return -1;
	}
	ret = json_dumpf(obj, stdout, flags);
	fputc('\n', stdout);
	json_decref(obj);
	return ret;
}
