/*
 * Probe targets: "host", "host:port", "[v6]:port", "https://host[:port]/path",
 * and "SCHEME://[user@]host[:port][/path]" for every scheme a protocol layer
 * knows (proto.h: tls, smtp, ldap, ...; the port defaults to the layer's).
 * Pure string handling, no I/O.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

static char *
dup_n(const char *s, size_t n)
{
	char *d = cp_malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static bool
port_ok(const char *p, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v > 0 && v <= 65535;
}

/* see internal.h */
const struct cp_proto_ops *cp_target_test_layer;

/*
 * The scheme of target into t->layer (NULL: https) and *rest past "://".
 * -1 and err when the scheme is not one certpick speaks.
 */
static int
split_scheme(const char *target, struct cp_target *t, const char **rest, struct certpick_error *err)
{
	const char *sep = strstr(target, "://");
	char name[16];
	size_t n;

	*rest = target;
	if (sep == NULL)
		return 0;
	n = (size_t)(sep - target);
	if (n == 5 && strncasecmp(target, "https", 5) == 0) {
		*rest = sep + 3;
		t->url = true;
		return 0;
	}
	if (n == 0 || n >= sizeof(name))
		return cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': unknown scheme",
		    target);
	memcpy(name, target, n);
	name[n] = '\0';
	t->layer = cp_proto_find(name);
	if (t->layer == NULL && cp_target_test_layer != NULL &&
	    strcasecmp(name, cp_target_test_layer->scheme) == 0)
		t->layer = cp_target_test_layer;
	if (t->layer == NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot probe '%s': the scheme '%s' is not supported", target, name);
	*rest = sep + 3;
	t->url = true;
	return 0;
}

/* "user@" before the host of a non-HTTP URL (the layer may use it). */
static int
split_user(struct cp_target *t, const char **s, const char *end, struct certpick_error *err)
{
	const char *at = memchr(*s, '@', (size_t)(end - *s));

	if (at == NULL || t->layer == NULL)
		return 0;
	if (at == *s)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "empty user name before '@'");
	if ((t->user = dup_n(*s, (size_t)(at - *s))) == NULL)
		return cp_error_nomem(err);
	*s = at + 1;
	return 0;
}

/* see internal.h */
void
cp_target_release(struct cp_target *t)
{
	free(t->host);
	free(t->port);
	free(t->path);
	free(t->user);
	*t = (struct cp_target){ 0 };
}

/* see internal.h */
int
cp_target_parse(const char *target, struct cp_target *t, struct certpick_error *err)
{
	const char *s, *end, *h, *colon = NULL, *slash;
	size_t hlen;

	*t = (struct cp_target){ 0 };
	if (target == NULL || *target == '\0')
		return cp_error_set(err, CERTPICK_ERR_USAGE, "no target given");
	if (split_scheme(target, t, &s, err) != 0)
		return -1;
	slash = strchr(s, '/');
	end = slash != NULL ? slash : s + strlen(s);
	if (slash != NULL && !t->url)
		return cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot probe '%s': a path needs an https:// URL (or use --path)", target);
	if (split_user(t, &s, end, err) != 0)
		goto fail;
	if (*s == '[') {
		const char *rb = memchr(s, ']', (size_t)(end - s));

		if (rb == NULL || rb == s + 1) {
			cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad IPv6 address",
			    target);
			goto fail;
		}
		h = s + 1;
		hlen = (size_t)(rb - h);
		if (rb + 1 < end) {
			if (rb[1] != ':') {
				cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad port",
				    target);
				goto fail;
			}
			colon = rb + 1;
		}
	} else {
		h = s;
		colon = memchr(s, ':', (size_t)(end - s));
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			cp_error_set(err, CERTPICK_ERR_USAGE,
			    "cannot probe '%s': write an IPv6 address as [addr]:port", target);
			goto fail;
		}
		hlen = (size_t)((colon != NULL ? colon : end) - h);
	}
	if (hlen == 0 || memchr(h, '@', hlen) != NULL || memchr(h, ' ', hlen) != NULL) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad host", target);
		goto fail;
	}
	if (colon != NULL && !port_ok(colon + 1, (size_t)(end - colon - 1))) {
		cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad port", target);
		goto fail;
	}
	if ((t->host = dup_n(h, hlen)) == NULL ||
	    (t->port = colon != NULL ?
		    dup_n(colon + 1, (size_t)(end - colon - 1)) :
		    cp_strdup(t->layer != NULL ? t->layer->default_port : "443")) == NULL ||
	    (slash != NULL && (t->path = cp_strdup(slash)) == NULL)) {
		cp_error_nomem(err);
		goto fail;
	}
	return 0;
fail:
	cp_target_release(t);
	return -1;
}

/* see certpick/probe.h */
int
certpick_probe_target_parse(const char *target, char **host, char **port, char **path,
    struct certpick_error *err)
{
	struct cp_target t;

	*host = *port = *path = NULL;
	if (cp_target_parse(target, &t, err) != 0)
		return -1;
	*host = t.host;
	*port = t.port;
	*path = t.path;
	free(t.user);
	return 0;
}
