/*
 * Throwaway test PKIs: roots, intermediates and leaves with chosen key
 * type, key usage, extended key usage, validity, CA flag and signature
 * hash, written as PEM and PKCS#12 (optionally with the Microsoft key-usage
 * and CSP-name attributes that Windows reads). For tests and `certpick
 * demo`; never for production keys (keys are written unencrypted).
 *
 * Lifecycle: certpick_pki_new(now); certpick_pki_add() per entity, issuers
 * before what they issue; certpick_pki_write(); certpick_pki_free().
 * The generator never reads the clock: validity is relative to `now`.
 */
#ifndef CERTPICK_PKI_H
#define CERTPICK_PKI_H

#include "certpick/defs.h"

#include <stdbool.h>
#include <time.h>

#include "certpick/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum certpick_pki_keytype {
	CERTPICK_PKI_EC = 0, /* bits 256 (default) or 384 */
	CERTPICK_PKI_RSA,    /* bits: 2048 by default */
	CERTPICK_PKI_ED25519,
};

/* Microsoft key-usage attribute values (openssl pkcs12 -keyex / -keysig). */
#define CERTPICK_PKI_KEYSPEC_EXCHANGE 0x10u
#define CERTPICK_PKI_KEYSPEC_SIGNATURE 0x80u

struct certpick_pki_spec {
	const char *name;    /* file stem and handle: NAME.pem, NAME.key, ... (required) */
	const char *subject; /* RFC 4514; NULL: "CN=NAME,O=certpick test" */
	const char *issuer;  /* name of an entity added before; NULL: self-signed */
	enum certpick_pki_keytype key;
	int bits;	      /* 0: the type's default */
	bool ca;	      /* basicConstraints critical, CA:TRUE (else CA:FALSE) */
	int pathlen;	      /* with ca: -1 for none (use -1 or a value >= 0) */
	const char *ku;	      /* "digitalSignature,keyEncipherment"; NULL: no extension */
	const char *eku;      /* "clientAuth,serverAuth" or OIDs; NULL: no extension */
	const char *san;      /* "DNS:localhost,IP:127.0.0.1"; NULL: none */
	const char *policies; /* certificatePolicies OIDs "1.2.3.4,anyPolicy"; NULL: none */
	const char *policy_constraints; /* "requireExplicitPolicy:0"; NULL: none */
	long not_before;		/* seconds relative to now; 0 and 0: -1 day .. +365 days */
	long not_after;
	const char *md;	      /* "sha256" (NULL), "sha1", "md5", "sha384"; ignored for Ed25519 */
	bool pkcs12;	      /* also write NAME.p12 (key, certificate, issuers) */
	unsigned p12_keyspec; /* 0 or CERTPICK_PKI_KEYSPEC_* on the key in NAME.p12 */
	const char *p12_csp;  /* CSP-name attribute on the key in NAME.p12, or NULL */
};

struct certpick_pki;

/* now: the time validity is relative to. */
CERTPICK_API CERTPICK_MUST_CHECK struct certpick_pki *certpick_pki_new(time_t now,
    struct certpick_error *err);
/* NULL is a no-op. Wipes the keys. */
CERTPICK_API void certpick_pki_free(struct certpick_pki *pki);

/* Make one key and certificate. spec and its strings are copied. */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_pki_add(struct certpick_pki *pki,
    const struct certpick_pki_spec *spec, struct certpick_error *err);

/*
 * Write every entity into dir (which must exist): NAME.pem (certificate),
 * NAME.key (PKCS#8 PEM, unencrypted, mode 0600), NAME-chain.pem (certificate
 * then its issuers below the root), NAME.p12 when asked (protected with
 * password; "" allowed).
 */
CERTPICK_API CERTPICK_MUST_CHECK int certpick_pki_write(const struct certpick_pki *pki,
    const char *dir, const char *password, struct certpick_error *err);

#ifdef __cplusplus
}
#endif
#endif
