/*
 * Reading a local input file, the one way certpick does it.
 *
 * Every file certpick reads (certificates, keys, .p12, trust stores, CRLs,
 * saved requests, CA-name lists, password and PIN files, target lists) is
 * opened without blocking, checked to be a regular file before anything is
 * read from it, and read whole up to a size cap. A FIFO without a writer, a
 * device (/dev/zero) or a folder where a file is expected is refused at once
 * with a one-line message naming it, instead of hanging or filling memory.
 */
#ifndef CERTPICK_FILE_H
#define CERTPICK_FILE_H

#include "certpick/defs.h"

#include <stddef.h>

#include "certpick/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cap on a certificate, key, PKCS#12, trust or CRL file. */
#define CERTPICK_FILE_MAX ((size_t)64 << 20)

/*
 * Read the regular file at path, at most max bytes (0: CERTPICK_FILE_MAX).
 * On success *data holds *len bytes and a terminating NUL (not counted).
 * Errors (CERTPICK_ERR_IO): cannot open; not a regular file (FIFO, device,
 * folder, socket), refused before any read; larger than max; a read error.
 * Caller owns *data; free it with certpick_file_free(*data, *len).
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_file_read(const char *path, size_t max, void **data,
    size_t *len, struct certpick_error *err);

/*
 * The same from an open descriptor that need not be a regular file (standard
 * input): reads until end of file, refusing more than max bytes (0:
 * CERTPICK_FILE_MAX). name only names it in messages. Does not close fd.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_file_read_fd(int fd, const char *name, size_t max,
    void **data, size_t *len, struct certpick_error *err);

/*
 * Only the checks of certpick_file_read (it opens without blocking, is a
 * regular file, is at most max bytes), for a path another library opens
 * by name afterwards (OpenSSL's SSL_CTX_use_certificate_chain_file).
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_file_check(const char *path, size_t max,
    struct certpick_error *err);

/* Wipe len + 1 bytes of data (it may have held a key or a password), then free it. */
CERTPICK_API void certpick_file_free(void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
