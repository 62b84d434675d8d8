/*
 * Saved requests: probe JSON (docs/cli/probe.md) back to certreqs. Reads
 * untrusted text (fuzzed by fuzz/fuzz_certreq_json.c); every request is
 * rebuilt through certpick_certreq_parse(), from the raw hex when present,
 * so a saved request and a live one are the same object. No output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certpick/file.h"
#include "internal.h"

struct reader {
	struct certpick_certreq_list *out;
	size_t index; /* request number, for messages */
	struct certpick_error *err;
};

static int
bad(struct reader *r, const char *what)
{
	return cp_error_set(r->err, CERTPICK_ERR_PARSE, "cannot read saved request %zu: %s",
	    r->index + 1, what);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex string -> new buffer (at least 1 byte allocated). -1 when not hex. */
static int
unhex(const json_t *s, uint8_t **out, size_t *len)
{
	const char *t = json_string_value(s);
	size_t n = json_string_length(s);

	*out = NULL;
	if (t == NULL || n % 2 != 0)
		return -1;
	if ((*out = cp_malloc(n / 2)) == NULL)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(t[2 * i]), lo = hexval(t[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/* "0x1234" or a number: a code point up to max. */
static int
code_point(const json_t *v, unsigned max, unsigned *out)
{
	const char *s;
	char *end;
	unsigned long x;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || (unsigned long long)i > max)
			return -1;
		*out = (unsigned)i;
		return 0;
	}
	if ((s = json_string_value(v)) == NULL || strncmp(s, "0x", 2) != 0 || s[2] == '\0')
		return -1;
	errno = 0;
	x = strtoul(s + 2, &end, 16);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*out = (unsigned)x;
	return 0;
}

static int
read_sigalgs(struct reader *r, const json_t *a, uint16_t **v, size_t *n)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		return bad(r, "signature algorithms are not an array");
	if ((*v = cp_calloc(json_array_size(a), sizeof(**v))) == NULL)
		return cp_error_nomem(r->err);
	json_array_foreach(a, i, e)
	{
		unsigned c;

		if (certpick_sigalg_from_name(json_string_value(e), &(*v)[i]) == 0)
			continue;
		if (code_point(e, 0xffff, &c) != 0)
			return bad(r, "unknown signature algorithm");
		(*v)[i] = (uint16_t)c;
	}
	*n = json_array_size(a);
	return 0;
}

static int
read_cert_types(struct reader *r, const json_t *a, uint8_t **v, size_t *n)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		return bad(r, "certificate_types is not an array");
	if ((*v = cp_calloc(json_array_size(a), 1)) == NULL)
		return cp_error_nomem(r->err);
	json_array_foreach(a, i, e)
	{
		unsigned c;

		if (certpick_cert_type_from_name(json_string_value(e), &(*v)[i]) == 0)
			continue;
		if (code_point(e, 0xff, &c) != 0)
			return bad(r, "unknown certificate type");
		(*v)[i] = (uint8_t)c;
	}
	*n = json_array_size(a);
	return 0;
}

/* [{"der": hex} | {"rfc4514": text} | "text"] */
static int
read_names(struct reader *r, const json_t *a, struct certpick_dn **v, size_t *n)
{
	size_t i;
	json_t *e;

	*n = 0;
	if (!json_is_array(a))
		return bad(r, "ca_names is not an array");
	if ((*v = cp_calloc(json_array_size(a), sizeof(**v))) == NULL)
		return cp_error_nomem(r->err);
	json_array_foreach(a, i, e)
	{
		const json_t *der = json_object_get(e, "der");
		const char *text = json_is_string(e) ?
		    json_string_value(e) :
		    json_string_value(json_object_get(e, "rfc4514"));
		uint8_t *bytes;
		size_t len;
		int rc;

		if (der != NULL) {
			if (unhex(der, &bytes, &len) != 0)
				return bad(r, "a CA name's der is not hex");
			rc = certpick_dn_init_der(&(*v)[i], bytes, len, r->err);
			free(bytes);
		} else if (text != NULL) {
			rc = certpick_dn_init_rfc4514(&(*v)[i], text, r->err);
		} else {
			return bad(r, "a CA name has neither der nor rfc4514");
		}
		if (rc != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

/* TLS 1.3 without raw but with every extension's data: re-encode them as sent. */
static int
body_from_extensions(struct reader *r, const json_t *exts, const uint8_t *ctx, size_t ctx_len,
    uint8_t **body, size_t *body_len)
{
	size_t i, total = 0, at;
	json_t *e;
	uint8_t *p;

	json_array_foreach(exts, i, e)
	{
		const json_t *d = json_object_get(e, "data");

		if (!json_is_string(d) ||
		    code_point(json_object_get(e, "type"), 0xffff, &(unsigned){ 0 }) != 0)
			return bad(r, "an extension lacks type or data");
		total += 4 + json_string_length(d) / 2;
	}
	if (total > 0xffff || ctx_len > 255)
		return bad(r, "extensions exceed 65535 bytes");
	if ((p = cp_malloc(1 + ctx_len + 2 + total)) == NULL)
		return cp_error_nomem(r->err);
	p[0] = (uint8_t)ctx_len;
	if (ctx_len > 0)
		memcpy(p + 1, ctx, ctx_len);
	at = 1 + ctx_len;
	p[at++] = (uint8_t)(total >> 8);
	p[at++] = (uint8_t)total;
	json_array_foreach(exts, i, e)
	{
		unsigned type = 0;
		uint8_t *data;
		size_t len;

		(void)code_point(json_object_get(e, "type"), 0xffff, &type);
		if (unhex(json_object_get(e, "data"), &data, &len) != 0) {
			free(p);
			return bad(r, "an extension's data is not hex");
		}
		p[at++] = (uint8_t)(type >> 8);
		p[at++] = (uint8_t)type;
		p[at++] = (uint8_t)(len >> 8);
		p[at++] = (uint8_t)len;
		if (len > 0)
			memcpy(p + at, data, len);
		at += len;
		free(data);
	}
	*body = p;
	*body_len = at;
	return 0;
}

static int
read_request(struct reader *r, const json_t *o)
{
	struct certpick_certreq_fields f = { 0 };
	struct certpick_certreq *req = NULL, **slot;
	uint8_t *raw = NULL, *ctx = NULL, *types = NULL;
	uint16_t *sigalgs = NULL, *sigalgs_cert = NULL;
	struct certpick_dn *names = NULL;
	size_t n_names = 0, raw_len = 0;
	const char *version = json_string_value(json_object_get(o, "tls_version"));
	const char *phase = json_string_value(json_object_get(o, "phase"));
	const json_t *v, *exts = json_object_get(o, "extensions");
	int ret = -1;

	if (version != NULL && strcmp(version, "TLSv1.2") == 0)
		f.tls_version = CERTPICK_TLS12;
	else if (version != NULL && strcmp(version, "TLSv1.3") == 0)
		f.tls_version = CERTPICK_TLS13;
	else {
		bad(r, "tls_version is not \"TLSv1.2\" or \"TLSv1.3\"");
		goto out;
	}
	if (phase != NULL && certpick_phase_from_name(phase, &f.phase) != 0) {
		bad(r, "unknown phase");
		goto out;
	}
	if ((v = json_object_get(o, "raw")) != NULL && !json_is_null(v)) {
		if (unhex(v, &raw, &raw_len) != 0) {
			bad(r, "raw is not hex");
			goto out;
		}
		req = certpick_certreq_parse(f.tls_version, f.phase, raw, raw_len, r->err);
		goto done;
	}
	if ((v = json_object_get(o, "certificate_request_context")) != NULL &&
	    unhex(v, &ctx, &f.context_len) != 0) {
		bad(r, "certificate_request_context is not hex");
		goto out;
	}
	f.context = ctx;
	if (f.tls_version == CERTPICK_TLS13 && json_array_size(exts) > 0) {
		if (body_from_extensions(r, exts, ctx, f.context_len, &raw, &raw_len) != 0)
			goto out;
		req = certpick_certreq_parse(f.tls_version, f.phase, raw, raw_len, r->err);
		goto done;
	}
	if ((v = json_object_get(o, "certificate_types")) != NULL &&
	    read_cert_types(r, v, &types, &f.n_cert_types) != 0)
		goto out;
	f.cert_types = types;
	if ((v = json_object_get(o, "signature_algorithms")) != NULL &&
	    read_sigalgs(r, v, &sigalgs, &f.n_sigalgs) != 0)
		goto out;
	f.sigalgs = sigalgs;
	if ((v = json_object_get(o, "signature_algorithms_cert")) != NULL &&
	    read_sigalgs(r, v, &sigalgs_cert, &f.n_sigalgs_cert) != 0)
		goto out;
	f.sigalgs_cert = sigalgs_cert;
	if ((v = json_object_get(o, "ca_names")) != NULL && read_names(r, v, &names, &n_names) != 0)
		goto out;
	f.ca_names = names;
	f.n_ca_names = n_names;
	req = certpick_certreq_build(&f, r->err);
done:
	if (req == NULL) {
		/* keep the parser's reason, say which request */
		char msg[sizeof(r->err->message)];

		if (r->err != NULL && r->err->code != CERTPICK_ERR_NOMEM) {
			snprintf(msg, sizeof(msg), "%s", r->err->message);
			cp_error_set(r->err, CERTPICK_ERR_PARSE,
			    "cannot read saved request %zu: %s", r->index + 1, msg);
		}
		goto out;
	}
	if ((slot = cp_array_push(&r->out->v, &r->out->n, sizeof(*slot))) == NULL) {
		cp_error_nomem(r->err);
		goto out;
	}
	*slot = req;
	req = NULL;
	r->index++;
	ret = 0;
out:
	certpick_certreq_free(req);
	free(raw);
	free(ctx);
	free(types);
	free(sigalgs);
	free(sigalgs_cert);
	for (size_t i = 0; i < n_names; i++)
		certpick_dn_release(&names[i]);
	free(names);
	return ret;
}

/* A probe object, a bare request, or an array of either. */
static int
read_value(struct reader *r, const json_t *v, int depth)
{
	size_t i;
	json_t *e;

	if (json_is_array(v) && depth == 0) {
		json_array_foreach(v, i, e) if (read_value(r, e, depth + 1) != 0) return -1;
		return 0;
	}
	if (!json_is_object(v))
		return bad(r, "expected a JSON object");
	if (json_object_get(v, "tls_version") != NULL)
		return read_request(r, v);
	if ((e = json_object_get(v, "requests")) != NULL) {
		if (!json_is_array(e))
			return bad(r, "requests is not an array");
		json_array_foreach(e, i, v)
		{
			/* a request the probe saw but could not parse carries "error" */
			if (json_object_get(v, "error") != NULL &&
			    json_object_get(v, "raw") == NULL)
				continue;
			if (read_request(r, v) != 0)
				return -1;
		}
		return 0;
	}
	/* a --targets line for a target that failed: no requests to read */
	if (json_object_get(v, "error") != NULL)
		return 0;
	return bad(r, "expected a probe object with \"requests\"");
}

/* see certpick/certreq.h */
int
certpick_certreq_list_from_json(const char *text, size_t len, struct certpick_certreq_list *out,
    struct certpick_error *err)
{
	struct reader r = { out, 0, err };
	size_t off = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	/* JSON Lines: one value after another; a single document is the same loop once */
	for (;;) {
		json_error_t jerr;
		json_t *v;

		while (off < len &&
		    (text[off] == ' ' || text[off] == '\n' || text[off] == '\r' ||
			text[off] == '\t'))
			off++;
		if (off == len)
			break;
		if ((v = json_loadb(text + off, len - off,
			 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
			cp_error_set(err, CERTPICK_ERR_PARSE,
			    "cannot read saved requests: %s (line %d)", jerr.text, jerr.line);
			goto out;
		}
		off += (size_t)jerr.position;
		if (read_value(&r, v, 0) != 0) {
			json_decref(v);
			goto out;
		}
		json_decref(v);
		if (jerr.position <= 0)
			break;
	}
	if (out->n == 0) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read saved requests: none found");
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		certpick_certreq_list_release(out);
	return ret;
}

/* see certpick/certreq.h */
int
certpick_certreq_list_load_json(const char *path, struct certpick_certreq_list *out,
    struct certpick_error *err)
{
	void *buf = NULL;
	size_t n = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	/* a saved request file is at most a few MiB; refuse absurd ones */
	if (certpick_file_read(path, (size_t)256 << 20, &buf, &n, err) != 0)
		goto out;
	if (certpick_certreq_list_from_json(buf, n, out, err) != 0) {
		char msg[sizeof(err->message)];

		if (err != NULL) {
			snprintf(msg, sizeof(msg), "%s", err->message);
			snprintf(err->message, sizeof(err->message), "%s in '%s'", msg, path);
		}
		goto out;
	}
	ret = 0;
out:
	certpick_file_free(buf, n);
	return ret;
}
