/*
 * Distinguished names, as servers send them in certificate_authorities and
 * as certificates carry them in subject and issuer.
 *
 * A struct certpick_dn keeps the DER exactly as received (clients such as NSS,
 * Go and GnuTLS compare these bytes), its RFC 4514 rendering for people, and
 * the SHA-256 of the DER. A name whose DER does not parse is still kept (the
 * bytes are what the server sent); rfc4514 is then NULL and valid is false.
 *
 * Lifecycle: caller-allocated; certpick_dn_init_der() fills it (copying the
 * bytes), certpick_dn_release() frees what it points to.
 */
#ifndef CERTPICK_DN_H
#define CERTPICK_DN_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certpick/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct certpick_dn {
	uint8_t *der; /* owned */
	size_t der_len;
	char *rfc4514;	    /* owned; NULL when the DER does not parse */
	uint8_t sha256[32]; /* of der */
	bool valid;	    /* the DER parsed as a Name */
};

/*
 * Fill dn from DER bytes. Copied: the caller may free der after the call.
 * Malformed DER is not an error (valid = false); only allocation failure is.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_dn_init_der(struct certpick_dn *dn,
    const uint8_t *der, size_t der_len, struct certpick_error *err);

/* Fill dn from an RFC 4514 string ("CN=Root A,O=Example"), UTF8String values. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_dn_init_rfc4514(struct certpick_dn *dn,
    const char *text, struct certpick_error *err);

/* Free what dn points to and zero it. NULL is a no-op. */
CERTPICK_API void certpick_dn_release(struct certpick_dn *dn);

/* Deep copy. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_dn_copy(struct certpick_dn *dst,
    const struct certpick_dn *src, struct certpick_error *err);

/* Byte-exact DER comparison (NSS, Go, GnuTLS, Firefox mozpkix). */
CERTPICK_API bool certpick_dn_equal_exact(const struct certpick_dn *a, const struct certpick_dn *b);

/*
 * RFC 5280 7.1 style comparison: string types unified, case folded, spaces
 * collapsed (OpenSSL X509_NAME_cmp canonical form, Java X500Principal).
 * Two invalid names are equal only if their bytes are.
 */
CERTPICK_API bool certpick_dn_equal_normalized(const struct certpick_dn *a,
    const struct certpick_dn *b);

/* Lowercase hex of the first n bytes of sha256 into out (2n+1 bytes). */
CERTPICK_API void certpick_dn_short_hash(const struct certpick_dn *dn, char *out, size_t n);

/* Lowercase hex of len bytes into a new string. Caller owns the result; free(). */
CERTPICK_API CERTPICK_MUST_CHECK char *certpick_hex(const uint8_t *p, size_t len);

/* Several names, in order. Owns the array and everything each name points to. */
struct certpick_dn_list {
	struct certpick_dn *v;
	size_t n;
};

/*
 * The subject of every certificate in a PEM file, in file order: the CA names
 * a server given that file would send (duplicates kept, as the file has
 * them; blocks other than CERTIFICATE skipped). Fills *out, which the caller
 * allocates and releases with certpick_dn_list_release(); on failure *out is
 * empty. Errors: CERTPICK_ERR_IO (cannot read path, or over 64 MiB),
 * CERTPICK_ERR_PARSE (no PEM certificate in it), CERTPICK_ERR_NOMEM.
 * Copied: path.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_dn_list_load_pem(const char *path,
    struct certpick_dn_list *out, struct certpick_error *err);

/* Release every name and the array; the struct is left empty. NULL is a no-op. */
CERTPICK_API void certpick_dn_list_release(struct certpick_dn_list *list);

#ifdef __cplusplus
}
#endif
#endif
