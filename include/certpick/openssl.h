/*
 * The OpenSSL bridge: X509 * / EVP_PKEY * in and out of certpick objects.
 *
 * Only code that already speaks OpenSSL includes this header; the rest of
 * the public API keeps OpenSSL types out (as picotls/openssl.h does).
 * Every get0 result is borrowed: valid until its parent object is freed;
 * take a reference (X509_up_ref, EVP_PKEY_up_ref) to keep it longer.
 */
#ifndef CERTPICK_OPENSSL_H
#define CERTPICK_OPENSSL_H

#include "certpick/defs.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certpick/candidate.h"
#include "certpick/pki.h"
#include "certpick/trust.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The candidate's certificate. Borrowed; never NULL. */
CERTPICK_API X509 *certpick_candidate_get0_x509(const struct certpick_candidate *c);
/*
 * The candidate's private key. Borrowed; NULL when there is none or when it
 * lives in an NSS database or on a PKCS#11 token (see key_store).
 */
CERTPICK_API EVP_PKEY *certpick_candidate_get0_pkey(const struct certpick_candidate *c);
/*
 * Certificates found with the candidate (the rest of its PEM file or
 * PKCS#12), usually intermediates. Borrowed; never NULL (may be empty).
 */
CERTPICK_API STACK_OF(X509) *certpick_candidate_get0_chain(const struct certpick_candidate *c);
/* Every certificate of the set, candidates included, to build chains from. Borrowed. */
CERTPICK_API STACK_OF(X509) *certpick_candset_get0_pool(const struct certpick_candset *set);

/*
 * Add one candidate made by the caller (NSS and PKCS#11 sources, tests).
 * leaf is required; key may be NULL (store then says where the key lives,
 * or CERTPICK_KEY_NONE); extra certificates go to the candidate's chain and
 * the pool. References are taken: the caller keeps and frees its own.
 * A key that does not match leaf is reported (has_key_mismatch), not used.
 * source is copied. The candidate is added now, in call order, and is a
 * candidate whatever its basicConstraints say.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_candset_add_x509(struct certpick_candset *set,
    X509 *leaf, EVP_PKEY *key, STACK_OF(X509) *extra, const char *source,
    enum certpick_key_store store, struct certpick_error *err);

/* The trusted certificates. Borrowed. */
CERTPICK_API STACK_OF(X509) *certpick_trust_get0_certs(const struct certpick_trust *t);
/* The CRLs added with certpick_trust_add_crl_path(). Borrowed. */
CERTPICK_API STACK_OF(X509_CRL) *certpick_trust_get0_crls(const struct certpick_trust *t);
/* Trust one certificate (reference taken; duplicates kept once). */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_trust_add_x509(struct certpick_trust *t, X509 *x,
    struct certpick_error *err);
/*
 * certpick_trust_build_paths() for a bare certificate: issuers are looked up
 * in untrusted (may be NULL), then in t.
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_trust_build_paths_x509(const struct certpick_trust *t,
    X509 *leaf, STACK_OF(X509) *untrusted, struct certpick_paths *out, struct certpick_error *err);
/* The certificates of a path, leaf first. Borrowed: valid until the paths are released. */
CERTPICK_API STACK_OF(X509) *certpick_path_get0_x509s(const struct certpick_path *p);

/* A generated entity's certificate and key, by name. Borrowed; NULL when unknown. */
CERTPICK_API X509 *certpick_pki_get0_x509(const struct certpick_pki *pki, const char *name);
CERTPICK_API EVP_PKEY *certpick_pki_get0_pkey(const struct certpick_pki *pki, const char *name);

#ifdef __cplusplus
}
#endif
#endif
