/*
 * Errors: the tool failed (a file could not be read, the network is down).
 *
 * This is not the place for "your certificate is not accepted": that is a
 * result, carried as findings (reason.h). Every fallible function returns
 * 0 / -1 (or a pointer / NULL) and takes a struct certpick_error *err last;
 * err may be NULL. The struct is caller-owned and fixed-size, so reporting an
 * error can never fail and no global state is involved.
 *
 * Messages follow git's rules: lowercase, no trailing period, what failed
 * first, the subject in single quotes, then ": reason", then an optional
 * parenthesized hint: "cannot load private key from 'client.key': bad decrypt
 * (wrong password?)".
 */
#ifndef CERTPICK_ERROR_H
#define CERTPICK_ERROR_H

#include "certpick/defs.h"

#ifdef __cplusplus
extern "C" {
#endif

enum certpick_errc {
	CERTPICK_OK = 0,
	CERTPICK_ERR_USAGE,    /* caller passed something invalid */
	CERTPICK_ERR_IO,       /* local files */
	CERTPICK_ERR_NETWORK,  /* resolve / connect / timeout */
	CERTPICK_ERR_TLS,      /* handshake failed before we learned anything */
	CERTPICK_ERR_PARSE,    /* bytes are not what they claim to be */
	CERTPICK_ERR_PASSWORD, /* wrong or missing password / PIN */
	CERTPICK_ERR_NOMEM,
	CERTPICK_ERR_INTERNAL, /* a certpick bug: please report */
};

struct certpick_error {
	enum certpick_errc code;
	int sys_errno;		 /* errno when it mattered, else 0 */
	unsigned long ossl_code; /* first OpenSSL error, else 0 */
	char message[256];	 /* "cannot open 'client.key'" */
	char detail[256];	 /* "bad decrypt (wrong password?)" */
	const char *where;	 /* "candidate.c:88", shown with --debug */
};

/* Reset err to "no error". NULL is a no-op. */
CERTPICK_API void certpick_error_clear(struct certpick_error *err);

/*
 * Stable lowercase name of a code ("io", "network", ...), for JSON.
 * Borrowed: a static string.
 */
CERTPICK_API const char *certpick_errc_name(enum certpick_errc code);

#ifdef __cplusplus
}
#endif
#endif
