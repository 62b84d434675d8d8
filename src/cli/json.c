/*
 * The CLI's side of the JSON contract in docs/json.md. The shapes shared
 * with serve's page (text, DN, finding, error) come from the library
 * (certpick/json.h); cli_json_str() and cli_json_dn() etc. only note a
 * NULL from them. Text from outside enters through cli_json_str()
 * (certpick_text_utf8: bytes that are not UTF-8 become "\xNN"); members and elements
 * through cli_json_set() and cli_json_append(), which remember a NULL or a
 * refusal so that cli_json_print() fails the command instead of printing an
 * object with a key or an element silently missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certpick/json.h"
#include "cli.h"
#include "render.h"

/* A jansson constructor returned NULL since the last cli_json_take(). */
static _Thread_local bool json_failed;

/* A NULL from the library's shapes is remembered like any other constructor's. */
static json_t *
noted(json_t *j)
{
	if (j == NULL)
		json_failed = true;
	return j;
}

json_t *
cli_json_str(const char *s)
{
	return noted(certpick_json_text(s));
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
	return noted(certpick_json_dn(dn));
}

json_t *
cli_json_finding(const struct certpick_finding *f)
{
	return noted(certpick_json_finding(f));
}

json_t *
cli_json_findings(const struct certpick_findings *f)
{
	return noted(certpick_json_findings(f));
}

json_t *
cli_json_error(const struct certpick_error *err)
{
	return noted(certpick_json_error(err));
}

#define PRINT_FLAGS (JSON_ENSURE_ASCII | JSON_INDENT(2) | JSON_PRESERVE_ORDER)

static int
nomem(void)
{
	fputs("certpick: error: cannot build the JSON output (out of memory)\n", stderr);
	return -1;
}

int
cli_json_print(json_t *obj, bool lines)
{
	size_t flags =
	    JSON_ENSURE_ASCII | (lines ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER;
	int ret;

	if ((obj = cli_json_take(obj)) == NULL)
		return nomem();
	ret = json_dumpf(obj, stdout, flags);
	fputc('\n', stdout);
	json_decref(obj);
	return ret;
}

/*
 * One element of a top-level array, as jansson writes it two levels deep:
 * every line after the first indented by four more spaces. Dumped strings
 * hold no raw newline (it is written "\n"), so each '\n' starts a line.
 */
static int
print_element(json_t *e)
{
	char *s = (e = cli_json_take(e)) != NULL ? json_dumps(e, PRINT_FLAGS) : NULL;

	json_decref(e);
	if (s == NULL)
		return -1;
	for (const char *p = s, *nl; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			fputs(p, stdout);
			break;
		}
		fwrite(p, 1, (size_t)(nl - p) + 1, stdout);
		fputs("    ", stdout);
	}
	free(s);
	return 0;
}

/* see cli.h */
int
cli_json_print_streamed(json_t *obj, const char *key, size_t n, cli_json_elem_fn elem, void *arg)
{
	char mark[64], *head = NULL, *at;
	int ret = -1;

	if ((obj = cli_json_take(obj)) != NULL)
		head = json_dumps(obj, PRINT_FLAGS);
	json_decref(obj);
	snprintf(mark, sizeof(mark), "\n  \"%s\": []", key);
	/* a top-level member: two spaces deep, after a newline no string holds */
	if (head == NULL || (at = strstr(head, mark)) == NULL)
		goto out;
	at += strlen(mark) - 2;
	fwrite(head, 1, (size_t)(at - head), stdout);
	fputs(n == 0 ? "[" : "[\n    ", stdout);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputs(",\n    ", stdout);
		if (print_element(elem(arg, i)) != 0)
			goto out;
	}
	fputs(n == 0 ? "]" : "\n  ]", stdout);
	fputs(at + 2, stdout);
	fputc('\n', stdout);
	ret = 0;
out:
	free(head);
	return ret == 0 ? 0 : nomem();
}
