/*
 * Trust stores and chain (path) building.
 *
 * A struct certpick_trust holds the certificates a verifier trusts: a PEM
 * bundle, a folder (such as /etc/ssl/certs) or the system default. Given a
 * leaf, certpick_trust_build_paths() finds every issuer path through the
 * certificates found with the leaf, the candidate set's pool and the trust
 * store — not only the first issuer, so cross-signed intermediates and
 * alternative roots are all tried — and says where each path ends: at a
 * trusted certificate, at a self-signed root that is not trusted, or at an
 * issuer that was not found.
 *
 * Path building only links names, key identifiers and CA flags; signatures,
 * validity and constraints of a path are judged by check (check.h).
 *
 * Lifecycle: certpick_trust_new(); certpick_trust_add_*(); build paths any
 * number of times; certpick_trust_free(). A struct certpick_paths is
 * caller-allocated and zero-initialized, filled by the builder and released
 * with certpick_paths_release().
 */
#ifndef CERTPICK_TRUST_H
#define CERTPICK_TRUST_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>

#include "certpick/candidate.h"
#include "certpick/dn.h"
#include "certpick/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where certpick looks when no trust store is given (Debian's). */
#define CERTPICK_TRUST_SYSTEM_DIR "/etc/ssl/certs"

struct certpick_trust;

CERTPICK_API CERTPICK_MUST_CHECK struct certpick_trust *certpick_trust_new(
    struct certpick_error *err);
/* NULL is a no-op. */
CERTPICK_API void certpick_trust_free(struct certpick_trust *t);

/*
 * Add every certificate of a file (PEM bundle or DER) or of a folder (its
 * files, not recursive; files that hold no certificate are skipped, as in
 * hashed OpenSSL folders). Duplicates are kept once. Returns -1 when path
 * cannot be read or holds no certificate at all.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_trust_add_path(struct certpick_trust *t,
    const char *path, struct certpick_error *err);

/*
 * The system store: the bundle OpenSSL was built with (X509_get_default_cert_file,
 * /usr/lib/ssl/cert.pem on Debian) if it exists, else CERTPICK_TRUST_SYSTEM_DIR.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_trust_add_default(struct certpick_trust *t,
    struct certpick_error *err);

/* Number of distinct trusted certificates. */
CERTPICK_API size_t certpick_trust_count(const struct certpick_trust *t);

/*
 * Add the CRLs of a file (PEM bundle of "X509 CRL" blocks, other blocks
 * skipped, or one DER CRL). check then verifies revocation of every
 * certificate whose issuer has a CRL here (revoked, CRL expired or badly
 * signed are findings); with no CRL at all, revocation is not checked.
 * Returns -1, adding none of them, when path cannot be read, holds no CRL
 * or a malformed one.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_trust_add_crl_path(struct certpick_trust *t,
    const char *path, struct certpick_error *err);
/* Number of CRLs added. */
CERTPICK_API size_t certpick_trust_crl_count(const struct certpick_trust *t);

enum certpick_path_end {
	CERTPICK_PATH_TRUSTED = 0,    /* ends at a certificate of the trust store */
	CERTPICK_PATH_UNTRUSTED_ROOT, /* ends at a self-signed certificate not trusted */
	CERTPICK_PATH_INCOMPLETE,     /* the issuer of the last certificate was not found */
};

/* "trusted", "untrusted-root", "incomplete". Borrowed: static. */
CERTPICK_API const char *certpick_path_end_name(enum certpick_path_end e);

struct certpick_path_cert {
	struct certpick_dn subject;
	struct certpick_dn issuer;
	char sha256[65]; /* lowercase hex of the DER */
	bool self_signed;
	bool trusted; /* it is in the trust store */
};

struct certpick_path {
	struct certpick_path_cert *v; /* owned; v[0] is the leaf */
	size_t n;
	enum certpick_path_end end;
	struct certpick_dn missing; /* INCOMPLETE: the issuer name not found; else empty */
	void *x509s;		    /* internal: see certpick_path_get0_x509s() (openssl.h) */
};

struct certpick_paths {
	struct certpick_path *v; /* owned; best first: trusted, then shorter */
	size_t n;
	bool truncated; /* more paths existed than were kept */
};

/* Free everything paths owns and zero it. NULL is a no-op. */
CERTPICK_API void certpick_paths_release(struct certpick_paths *paths);

/*
 * Every path from candidate c (of set) to where its issuers run out, using
 * c's own chain, the set's pool and t (t may be NULL: no trust). out must be
 * zero-initialized; on success it holds at least one path. At most 16 paths
 * of at most 12 certificates are kept.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_trust_build_paths(const struct certpick_trust *t,
    const struct certpick_candset *set, const struct certpick_candidate *c,
    struct certpick_paths *out, struct certpick_error *err);

#ifdef __cplusplus
}
#endif
#endif
