/* The error struct: filling it, never failing while doing so. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

/* see certpick/error.h */
void
certpick_error_clear(struct certpick_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

/* see certpick/error.h */
const char *
certpick_errc_name(enum certpick_errc code)
{
	switch (code) {
	case CERTPICK_OK: return "ok";
	case CERTPICK_ERR_USAGE: return "usage";
	case CERTPICK_ERR_IO: return "io";
	case CERTPICK_ERR_NETWORK: return "network";
	case CERTPICK_ERR_TLS: return "tls";
	case CERTPICK_ERR_PARSE: return "parse";
	case CERTPICK_ERR_PASSWORD: return "password";
	case CERTPICK_ERR_NOMEM: return "nomem";
	case CERTPICK_ERR_INTERNAL: return "internal";
	}
	return "internal";
}

static void CERTPICK_PRINTF(4, 0) set_message(struct certpick_error *err, const char *where,
    enum certpick_errc code, const char *fmt, va_list ap)
{
	err->code = code;
	err->where = where;
	err->sys_errno = 0;
	err->ossl_code = 0;
	err->detail[0] = '\0';
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

int
cp_error_set_(struct certpick_error *err, const char *where, enum certpick_errc code,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	set_message(err, where, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
cp_error_set_errno_(struct certpick_error *err, const char *where, enum certpick_errc code,
    int sys_errno, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	set_message(err, where, code, fmt, ap);
	va_end(ap);
	err->sys_errno = sys_errno;
	snprintf(err->detail, sizeof(err->detail), "%s", strerror(sys_errno));
	return -1;
}

/* Keep the most telling OpenSSL reason: the first one queued is the root cause. */
int
cp_error_set_ossl_(struct certpick_error *err, const char *where, enum certpick_errc code,
    const char *fmt, ...)
{
	va_list ap;
	unsigned long e, first = 0;
	const char *data = NULL;
	int flags = 0;
	char buf[256];

	if (err == NULL) {
		ERR_clear_error();
		return -1;
	}
	va_start(ap, fmt);
	set_message(err, where, code, fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		if (first != 0)
			continue;
		first = e;
		const char *r = ERR_reason_error_string(e);
		if (r == NULL) {
			ERR_error_string_n(e, buf, sizeof(buf));
			r = buf;
		}
		if (data != NULL && (flags & ERR_TXT_STRING) && *data != '\0')
			snprintf(err->detail, sizeof(err->detail), "%s (%s)", r, data);
		else
			snprintf(err->detail, sizeof(err->detail), "%s", r);
	}
	err->ossl_code = first;
	return -1;
}

void
cp_error_detail(struct certpick_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

int
cp_error_nomem_(struct certpick_error *err, const char *where)
{
	return cp_error_set_(err, where, CERTPICK_ERR_NOMEM, "out of memory");
}
