/*
 * Selection internals shared by select.c (the engine), select_cert.c (facts
 * about a certificate, the store index) and profiles.c (the client tables).
 * A profile is data: an ordered list of checks with parameters, plus how
 * survivors are ordered and what the picker does. The engine interprets it.
 */
#ifndef CERTPICK_SELECT_INT_H
#define CERTPICK_SELECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "certpick/select.h"
#include "internal.h"

/* Key algorithms, as a bit set a profile supports. */
enum cp_keyalg {
	CP_KA_RSA = 1u << 0,	 /* rsaEncryption */
	CP_KA_RSA_PSS = 1u << 1, /* id-RSASSA-PSS keys */
	CP_KA_EC_P256 = 1u << 2,
	CP_KA_EC_P384 = 1u << 3,
	CP_KA_EC_P521 = 1u << 4,
	CP_KA_EC_OTHER = 1u << 5, /* brainpool, secp256k1, ... */
	CP_KA_ED25519 = 1u << 6,
	CP_KA_ED448 = 1u << 7,
	CP_KA_DSA = 1u << 8,
	CP_KA_OTHER = 1u << 9,
};
#define CP_KA_EC_NIST (CP_KA_EC_P256 | CP_KA_EC_P384 | CP_KA_EC_P521)
#define CP_KA_EC_ANY (CP_KA_EC_NIST | CP_KA_EC_OTHER)

/* Each check is a small function in select.c's check_table (a new rule: a
 * value here, a function and a row there). */
enum cp_check {
	CP_CHK_END = 0,
	CP_CHK_SIZE,	     /* the request fits the client's handshake-message cap */
	CP_CHK_CONFIGURED,   /* the client holds exactly one certificate (OpenSSL) */
	CP_CHK_PRIVATE_KEY,  /* a private key is available */
	CP_CHK_KEY_USAGE,    /* KU absent or has digitalSignature */
	CP_CHK_EKU,	     /* EKU absent or allows clientAuth (param eku) */
	CP_CHK_VALIDITY,     /* notBefore <= now <= notAfter */
	CP_CHK_KEY_ALG,	     /* the client supports the key algorithm (param key_algs) */
	CP_CHK_CERT_TYPES,   /* TLS 1.2 certificate_types allow the key type */
	CP_CHK_SIGALG,	     /* the key can make a signature the server offered */
	CP_CHK_ISSUER,	     /* a CA the server named is reached (param match, walk) */
	CP_CHK_CHAIN_SIGALG, /* the configured chain's signatures are offered schemes */
};

enum cp_eku_rule {
	CP_EKU_CLIENT,	      /* clientAuth required when EKU present (NSS, Windows) */
	CP_EKU_CLIENT_OR_ANY, /* clientAuth or anyExtendedKeyUsage (Chrome-mac, Java PKIX) */
};

enum cp_match {
	CP_MATCH_EXACT,	     /* DER bytes (NSS/Chrome on Linux, Go, GnuTLS, Firefox) */
	CP_MATCH_STRING,     /* rendered strings (NSS CERT_FilterCertListByCANames, .NET) */
	CP_MATCH_NORMALIZED, /* RFC 5280 canonical (Chrome-mac, Java X500Principal) */
};

enum cp_walk {
	CP_WALK_CONFIGURED,  /* the leaf and the chain configured with it, no store */
	CP_WALK_STORE_FIRST, /* first store certificate with the issuer's subject (Chrome) */
	CP_WALK_STORE_PATHS, /* every path through the store (crypt32, mozpkix, X509Chain) */
};

/* How a failed check counts. */
enum cp_effect {
	CP_FX_FILTER = 0, /* removes the candidate */
	CP_FX_RANK,	  /* only ranks it lower (Java PKIX sends the best imperfect one) */
	CP_FX_AFTER,	  /* checked after the choice: the chosen one fails -> nothing sent */
};

struct cp_check_row {
	enum cp_check check;
	enum cp_effect effect;
	int rank; /* CP_FX_RANK: Java CheckResult order (2 expired, 3 ext mismatch) */
	enum cp_eku_rule eku;
	unsigned key_algs;   /* CP_CHK_KEY_ALG, CP_CHK_SIGALG */
	enum cp_match match; /* CP_CHK_ISSUER */
	enum cp_walk walk;
	bool subject_too;		  /* Firefox: a listed subject is an anchor too */
	bool cert_types_restrict_sigalgs; /* Go: TLS 1.2 sigalgs filtered by cert types */
	bool ec_by_family;		  /* CP_CHK_SIGALG, CP_CHK_CERT_TYPES, TLS 1.3: an ECDSA
					 * scheme admits an EC key of any curve (Java picks by
					 * key type "EC", GnuTLS by GNUTLS_PK_ECDSA); the curve
					 * is then checked after the choice */
	const char *source;		  /* where the rule comes from */
};

enum cp_order {
	CP_ORDER_CONFIG,  /* first in configuration / enumeration order */
	CP_ORDER_CHROME,  /* valid first, later notAfter, later notBefore, shorter chain */
	CP_ORDER_WINDOWS, /* (smart card) later notAfter, later notBefore, shorter chain */
	CP_ORDER_NSS,	  /* CERT_SortCBValidity: valid first, newer notBefore,
				 * then the database's order (no notAfter) */
	CP_ORDER_GNUTLS,  /* server's CA order, then configuration order */
	CP_ORDER_JAVA,	  /* key type in server sigalg order, keystore order inside */
	CP_ORDER_FIREFOX, /* import order (NSS db: first imported first), nonRepudiation last */
};

enum cp_picker {
	CP_PICKER_NONE,
	CP_PICKER_CHROME,  /* picker; AutoSelectCertificateForUrls takes the first */
	CP_PICKER_IE,	   /* picker; "don't prompt when only one exists" */
	CP_PICKER_FIREFOX, /* "Ask Every Time"; "Select Automatically" */
};

#define CP_MAX_CHECKS 12

struct certpick_profile {
	const char *name;
	const char *summary;
	struct cp_check_row checks[CP_MAX_CHECKS]; /* ends at CP_CHK_END */
	enum cp_order order;
	enum cp_picker picker;
	bool unpredictable_order;     /* SunX509: HashMap iteration order */
	bool java_pkix_one_call;      /* X509KeyManagerImpl (JDK-8262186): one call for all
					 * key types; an OK entry of the first key type, else
					 * the first entry if OK, else (result, key type) */
	bool gnutls_empty_list;	      /* >1 credential + empty CA list -> nothing */
	bool dedupe;		      /* CertSelect: newest per subject only */
	bool after_fail_sends;	      /* a check after the choice fails once the Certificate
					 * went out: sent, then the handshake aborts (Java) */
	enum cp_cr_limit_id cr_limit; /* its CertificateRequest size limit (internal.h) */
	const char *picker_note;      /* how to auto-select */
	/* Requests after the handshake (certpick_profile_phase()); a request at
	 * the handshake reaches every client. */
	struct certpick_phase_support renegotiation;  /* TLS 1.2 HelloRequest */
	struct certpick_phase_support post_handshake; /* TLS 1.3 PHA */
};

/* Everything the engine needs to know about one certificate. */
struct cp_selcert {
	X509 *x509; /* reference held */
	struct certpick_dn subject, issuer;
	unsigned long subject_canon, issuer_canon; /* cp_dn_loose_hash() */
	char sha256[65];
	time_t not_before, not_after;
	bool has_ku;
	uint32_t ku; /* X509v3 KU_* bits */
	bool has_eku, eku_client, eku_any;
	char *eku_text;	     /* "serverAuth, codeSigning" or NULL; owned */
	unsigned keyalg;     /* one CP_KA_* bit */
	uint16_t sig_scheme; /* the TLS scheme naming this certificate's own
					 * signature (0: none); RSA-PSS: rsa_pss_rsae_* */
	int key_bits;
	bool self_issued;
};

/* A candidate as the engine sees it: a leaf, its key, its configured chain. */
struct cp_selcand {
	size_t index;
	const char *source;		 /* borrowed */
	const struct cp_selcert *leaf;	 /* borrowed from the store */
	const struct cp_selcert **chain; /* configured chain (without the leaf); owned array */
	size_t n_chain;
	bool has_key;
	enum certpick_key_store key_store;
};

/* Every certificate known (candidates, their chains, the pool), indexed by subject. */
struct cp_selstore {
	struct cp_selcert **certs; /* owned */
	size_t n, cap;
	size_t *next;		      /* chain of certs with the same subject (index + 1) */
	struct cp_hashidx by_subject; /* subject DER sha256 -> first cert of that subject */
	struct cp_hashidx by_sha;     /* certificate sha256 -> cert (dedupe) */
	struct cp_hashidx by_ptr;     /* X509 pointer -> cert (dedupe) */
	EVP_MD *md;		      /* SHA-256, fetched once */
};

/* select_cert.c */
int cp_selcert_new(X509 *x, struct cp_selcert **out, struct certpick_error *err);
void cp_selcert_free(struct cp_selcert *c);
/*
 * Adds x (dedup by DER hash); *out is the stored facts. After a failure out
 * of memory the store may only be released.
 */
int cp_selstore_add(struct cp_selstore *s, X509 *x, const struct cp_selcert **out,
    struct certpick_error *err);
/*
 * The same, when the certificate's SHA-256 (lowercase hex) and its names'
 * facts (a candidate's) are known already; each may be NULL.
 */
int cp_selstore_add_known(struct cp_selstore *s, X509 *x, const char *sha256_hex,
    const struct certpick_dn *subject, const struct certpick_dn *issuer,
    const struct cp_selcert **out, struct certpick_error *err);
void cp_selstore_release(struct cp_selstore *s);
/* First certificate whose subject DER equals name; iterate with cp_selstore_next. */
size_t cp_selstore_first(const struct cp_selstore *s, const struct certpick_dn *name);
size_t cp_selstore_next(const struct cp_selstore *s, size_t it, const struct certpick_dn *name);
/* it is 1-based (0 = end). */
#define CP_SELSTORE_GET(s, it) ((s)->certs[(it)-1])
const char *cp_keyalg_name(unsigned ka);
/* Pre-filter key for normalized name comparison (equal normalized => equal key). */
unsigned long cp_dn_loose_hash(const struct certpick_dn *dn);

/* select.c: the engine over prepared facts (unit tests call it directly). */
int cp_select_run_facts(const struct certpick_profile *p, const struct cp_selcand *cands, size_t n,
    const struct cp_selstore *store, const struct certpick_certreq *req,
    const struct certpick_select_options *opts, struct certpick_selection **out,
    struct certpick_error *err);

/* select_phase.c: phase, reach and outcome of a decided selection (chosen,
 * auto_choice, prompt and verdicts set; then_fails: the chosen one failed a
 * check after it was sent); a request that does not reach the client clears
 * chosen, auto_choice and prompt. -1 on allocation failure. */
int cp_select_outcome(const struct certpick_profile *p, const struct certpick_certreq *req,
    const struct certpick_select_options *opts, struct certpick_selection *s, bool then_fails);

/* profiles.c */
extern const struct certpick_profile cp_profiles[];
extern const size_t cp_n_profiles;

#endif
