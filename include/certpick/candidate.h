/*
 * Candidates: the client certificates a user has, each with where its private
 * key lives and the intermediates available with it.
 *
 * A candidate set is filled from sources, in the order given (files, folders
 * walked recursively in name order, PKCS#12, NSS databases, PKCS#11 tokens),
 * and that order is kept: several clients take the first or last match, so
 * order is part of the prediction. Loose certificates found on the way (CAs,
 * intermediates) go to the set's pool, used to build chains; loose private
 * keys are paired with certificates by public key when the set is finished.
 *
 * Private keys are never copied out of the set, printed or written: the set
 * keeps them only to prove that a key matches its certificate.
 *
 * Lifecycle: certpick_candset_new(); certpick_candset_add_*() per source;
 * certpick_candset_finish(); read with certpick_candset_count()/_get();
 * certpick_candset_free(). Candidates are borrowed: valid until the set is
 * freed.
 */
#ifndef CERTPICK_CANDIDATE_H
#define CERTPICK_CANDIDATE_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "certpick/dn.h"
#include "certpick/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct certpick_candidate;
struct certpick_candset;

enum certpick_key_store {
	CERTPICK_KEY_NONE = 0, /* no private key found */
	CERTPICK_KEY_FILE,     /* PEM/DER key file */
	CERTPICK_KEY_PKCS12,   /* inside a .pfx/.p12 */
	CERTPICK_KEY_NSS,      /* NSS database (Firefox, Chromium on Linux) */
	CERTPICK_KEY_PKCS11,   /* PKCS#11 token (smart card) */
};

/* "none", "file", "pkcs12", "nss", "pkcs11". Borrowed: static. */
CERTPICK_API const char *certpick_key_store_name(enum certpick_key_store s);

/*
 * Asks for a password or PIN. Write at most size-1 bytes and a NUL into buf;
 * return the length, or -1 to give up. `what` names the file or token.
 */
typedef int (*certpick_password_fn)(void *arg, const char *what, char *buf, size_t size);
/* Receives one warning per source that could not be used; the load goes on. */
typedef void (*certpick_warn_fn)(void *arg, const struct certpick_error *warning);

struct certpick_load_options {
	const char *password;		  /* borrowed; may be NULL; the caller wipes it */
	certpick_password_fn password_cb; /* asked when password is NULL or wrong */
	void *password_arg;
	certpick_warn_fn warn; /* may be NULL */
	void *warn_arg;
	/* Refuse files whose key derivation asks for more (0: the default below). */
	unsigned long max_pbe_iterations;
	/* Called after each file read (may be NULL): for a progress display. */
	void (*file_done)(void *arg);
	void *file_done_arg;
	/*
	 * Pair the private keys in files, then release them: each candidate still
	 * names its key's store and file, but certpick_candidate_get0_pkey() is
	 * NULL. For callers that never sign (select, check): about 2 KiB less
	 * per candidate, and no key kept longer than pairing needs. Unencrypted
	 * RSA and EC keys in PEM are then read only as far as pairing needs
	 * (their public half, from the DER) and never decoded.
	 */
	bool release_keys;
	/*
	 * Parse certificates without decoding their public keys: OpenSSL 3.0
	 * sets up a decoder for each key, nine tenths of what parsing a
	 * certificate costs. The library decodes a key when it uses one
	 * (chain links, checks, TLS); a caller that calls X509_get0_pubkey()
	 * on certpick_candidate_get0_x509() itself gets NULL. For callers that
	 * read many certificates and use few keys (select).
	 */
	bool lazy_public_keys;
};

/*
 * PKCS#12 and encrypted PKCS#8 files name their own PBKDF iteration count;
 * OpenSSL's default is 2,048, Windows and Java use 2,000-10,000 and OWASP's
 * 2023 advice is 600,000. Ten million derives in seconds; a hostile count of
 * two billion would take hours, so certpick refuses it with the number.
 */
#define CERTPICK_MAX_PBE_ITERATIONS 10000000UL

CERTPICK_API CERTPICK_MUST_CHECK struct certpick_candset *certpick_candset_new(
    struct certpick_error *err);
/* NULL is a no-op. Wipes and frees every key held. */
CERTPICK_API void certpick_candset_free(struct certpick_candset *set);

/*
 * Add a file (PEM, DER, PKCS#12) or a folder (recursive, name order).
 * Copied: the caller may free path. Files inside a folder that cannot be used
 * are reported through opts->warn and skipped; returns -1 (err set) only when
 * path itself cannot be used or on allocation failure.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_candset_add_path(struct certpick_candset *set,
    const char *path, const struct certpick_load_options *opts, struct certpick_error *err);

/* Add the user certificates of an NSS database (read-only). "sql:" optional. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_candset_add_nssdb(struct certpick_candset *set,
    const char *dir, const struct certpick_load_options *opts, struct certpick_error *err);

/* Add the certificates of a PKCS#11 token ("pkcs11:...;module-path=..."). */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_candset_add_pkcs11(struct certpick_candset *set,
    const char *uri, const struct certpick_load_options *opts, struct certpick_error *err);

/* Pair loose keys with certificates and decide which certificates are candidates. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_candset_finish(struct certpick_candset *set,
    struct certpick_error *err);

CERTPICK_API size_t certpick_candset_count(const struct certpick_candset *set);
/* Borrowed: valid until set is freed. NULL when i is out of range. */
CERTPICK_API const struct certpick_candidate *
certpick_candset_get(const struct certpick_candset *set, size_t i);

/* Where the certificate came from: "dir/alice.p12", "nssdb:DIR:nickname". Borrowed. */
CERTPICK_API const char *certpick_candidate_source(const struct certpick_candidate *c);
/* Borrowed: valid until the set is freed. */
CERTPICK_API const struct certpick_dn *certpick_candidate_subject(
    const struct certpick_candidate *c);
CERTPICK_API const struct certpick_dn *certpick_candidate_issuer(
    const struct certpick_candidate *c);
/* Lowercase hex SHA-256 of the DER (64 chars). Borrowed. */
CERTPICK_API const char *certpick_candidate_sha256(const struct certpick_candidate *c);
CERTPICK_API time_t certpick_candidate_not_before(const struct certpick_candidate *c);
CERTPICK_API time_t certpick_candidate_not_after(const struct certpick_candidate *c);
CERTPICK_API enum certpick_key_store certpick_candidate_key_store(
    const struct certpick_candidate *c);
/* Where the key was found; NULL when none. Borrowed. */
CERTPICK_API const char *certpick_candidate_key_source(const struct certpick_candidate *c);
/* The same file held a key that does not match this certificate. */
CERTPICK_API bool certpick_candidate_has_key_mismatch(const struct certpick_candidate *c);

/*
 * What a file holds, when it is not read from disk (fuzzing, embedding).
 * AUTO sniffs: PEM text, else PKCS#12, else a DER certificate or key.
 */
enum certpick_format {
	CERTPICK_FORMAT_AUTO = 0,
	CERTPICK_FORMAT_PEM,
	CERTPICK_FORMAT_DER,
	CERTPICK_FORMAT_PKCS12,
};

/*
 * Add the contents of one file held in memory. Copied: the caller may free
 * data and source. `source` names it in results and messages. Returns -1
 * (err set) when nothing usable could be read; the set is then unchanged.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_candset_add_memory(struct certpick_candset *set,
    const void *data, size_t len, const char *source, enum certpick_format format,
    const struct certpick_load_options *opts, struct certpick_error *err);

/* Number of certificates in the pool (every certificate seen, candidates included). */
CERTPICK_API size_t certpick_candset_pool_count(const struct certpick_candset *set);

/* Public key of the certificate: "rsa", "ec", "ed25519", "ed448", "dsa", or "other". */
CERTPICK_API const char *certpick_candidate_key_type(const struct certpick_candidate *c);
/* Key size in bits (RSA modulus, EC field size, 253 for Ed25519); 0 when unknown. */
CERTPICK_API int certpick_candidate_key_bits(const struct certpick_candidate *c);
/* Where the mismatching key was found ("alice.pem"); NULL when no mismatch. Borrowed. */
CERTPICK_API const char *certpick_candidate_key_mismatch_source(const struct certpick_candidate *c);
/* The certificate came from a PKCS#12 file. */
CERTPICK_API bool certpick_candidate_from_pkcs12(const struct certpick_candidate *c);
/*
 * Microsoft key-usage attribute (OID 2.5.29.15) on the key of a .pfx:
 * 0x10 KEY_EX (AT_KEYEXCHANGE), 0x80 KEY_SIG (AT_SIGNATURE), 0 when absent.
 */
CERTPICK_API unsigned certpick_candidate_pfx_keyspec(const struct certpick_candidate *c);
/* CSP name attribute (OID 1.3.6.1.4.1.311.17.1) of the key bag; NULL when absent. Borrowed. */
CERTPICK_API const char *certpick_candidate_pfx_csp(const struct certpick_candidate *c);
/* DER of the certificate. Borrowed: valid until the set is freed. */
CERTPICK_API const unsigned char *certpick_candidate_der(const struct certpick_candidate *c,
    size_t *len);

#ifdef __cplusplus
}
#endif
#endif
