/*
 * Probe targets: "host", "host:port", "[v6]:port", "https://host[:port]/path".
 * Pure string handling, no I/O.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

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

/* see certpick/probe.h */
int
certpick_probe_target_parse(const char *target, char **host, char **port, char **path,
    struct certpick_error *err)
{
	const char *s = target, *end, *h, *colon = NULL, *slash;
	size_t hlen;
	bool url = false;

	*host = *port = *path = NULL;
	if (target == NULL || *target == '\0')
		return cp_error_set(err, CERTPICK_ERR_USAGE, "no target given");
	if (strncasecmp(s, "https://", 8) == 0) {
		s += 8;
		url = true;
	} else if (strstr(s, "://") != NULL) {
		return cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot probe '%s': only https:// URLs are supported", target);
	}
	slash = strchr(s, '/');
	end = slash != NULL ? slash : s + strlen(s);
	if (slash != NULL && !url)
		return cp_error_set(err, CERTPICK_ERR_USAGE,
		    "cannot probe '%s': a path needs an https:// URL (or use --path)", target);
	if (*s == '[') {
		const char *rb = memchr(s, ']', (size_t)(end - s));

		if (rb == NULL || rb == s + 1)
			return cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad IPv6 address", target);
		h = s + 1;
		hlen = (size_t)(rb - h);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad port", target);
			colon = rb + 1;
		}
	} else {
		h = s;
		colon = memchr(s, ':', (size_t)(end - s));
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
			return cp_error_set(err, CERTPICK_ERR_USAGE,
			    "cannot probe '%s': write an IPv6 address as [addr]:port", target);
		hlen = (size_t)((colon != NULL ? colon : end) - h);
	}
	if (hlen == 0 || memchr(h, '@', hlen) != NULL || memchr(h, ' ', hlen) != NULL)
		return cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad host", target);
	if (colon != NULL && !port_ok(colon + 1, (size_t)(end - colon - 1)))
		return cp_error_set(err, CERTPICK_ERR_USAGE, "cannot probe '%s': bad port", target);
	if ((*host = dup_n(h, hlen)) == NULL ||
	    (*port = colon != NULL ? dup_n(colon + 1, (size_t)(end - colon - 1)) : cp_strdup("443")) == NULL ||
	    (slash != NULL && (*path = cp_strdup(slash)) == NULL)) {
		free(*host);
		free(*port);
		*host = *port = NULL;
		return cp_error_nomem(err);
	}
	return 0;
}
