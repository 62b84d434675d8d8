/*
 * Library-internal declarations (the cp_* tier). Never installed.
 * Nothing in src/lib prints, exits or reads the environment.
 */
#ifndef CERTPICK_INTERNAL_H
#define CERTPICK_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certpick/certpick.h"

#define CP_STR_(x) #x
#define CP_STR(x) CP_STR_(x)
#define CP_WHERE (__FILE__ ":" CP_STR(__LINE__))
/* The number of elements of an array (not a pointer). */
#define CP_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* error.c: all return -1 so that `return cp_error_set(...)` reads well. */
int cp_error_set_(struct certpick_error *err, const char *where, enum certpick_errc code,
    const char *fmt, ...) CERTPICK_PRINTF(4, 5);
int cp_error_set_errno_(struct certpick_error *err, const char *where, enum certpick_errc code,
    int sys_errno, const char *fmt, ...) CERTPICK_PRINTF(5, 6);
/* Drains the OpenSSL error queue into err->detail (and clears the queue). */
int cp_error_set_ossl_(struct certpick_error *err, const char *where, enum certpick_errc code,
    const char *fmt, ...) CERTPICK_PRINTF(4, 5);
/* Append "detail" text (replaces any previous detail). */
void cp_error_detail(struct certpick_error *err, const char *fmt, ...) CERTPICK_PRINTF(2, 3);
int cp_error_nomem_(struct certpick_error *err, const char *where);

#define cp_error_set(err, code, ...) cp_error_set_((err), CP_WHERE, (code), __VA_ARGS__)
#define cp_error_set_errno(err, code, e, ...) \
	cp_error_set_errno_((err), CP_WHERE, (code), (e), __VA_ARGS__)
#define cp_error_set_ossl(err, code, ...) cp_error_set_ossl_((err), CP_WHERE, (code), __VA_ARGS__)
#define cp_error_nomem(err) cp_error_nomem_((err), CP_WHERE)

/* reason.c: add a finding with the reason's default severity; detail may be NULL. */
int cp_findings_add(struct certpick_findings *f, enum certpick_reason r, const char *fmt, ...)
    CERTPICK_PRINTF(3, 4);
int cp_findings_add_sev(struct certpick_findings *f, enum certpick_reason r,
    enum certpick_severity sev, const char *fmt, ...) CERTPICK_PRINTF(4, 5);

/*
 * pbe.c: refuse a password-based derivation that asks for more than max_iter
 * iterations (0: CERTPICK_MAX_PBE_ITERATIONS) or a costly scrypt, before
 * OpenSSL runs it. 0 when affordable (or too malformed for OpenSSL to derive).
 */
struct X509_algor_st;
struct PKCS12_st;
int cp_pbe_check(const struct X509_algor_st *alg, unsigned long max_iter, const char *source,
    struct certpick_error *err);
int cp_pbe_check_mac(const struct PKCS12_st *p12, unsigned long max_iter, const char *source,
    struct certpick_error *err);
/*
 * The key-derivation budget of one file: max_iter (0: the default) PBKDF
 * iterations and 2^24 scrypt block mixes for the MAC (each attempt), every
 * encrypted part and every key together. Each charge refuses, before OpenSSL
 * derives, a derivation that would exceed what is left (b is then unchanged).
 */
struct cp_pbe_budget {
	unsigned long limit;
	unsigned long left;
	unsigned long work_left;
};
void cp_pbe_budget_init(struct cp_pbe_budget *b, unsigned long max_iter);
int cp_pbe_charge(struct cp_pbe_budget *b, const struct X509_algor_st *alg, const char *source,
    struct certpick_error *err);
int cp_pbe_charge_mac(struct cp_pbe_budget *b, const struct PKCS12_st *p12, const char *source,
    struct certpick_error *err);

/*
 * hashidx.c: a multimap from 64-bit keys (digests the caller picks) to
 * indices, so lookups by subject, DER or (device, inode) are O(1). Zero-
 * initialize; cp_hashidx_release() frees the slots. A key names a bucket:
 * the caller confirms each value it gets. `probes` counts the occupied slots
 * stepped over by cp_hashidx_add (tests use it to prove the cost stays
 * linear); lookups walk the same slots.
 */
struct cp_hashidx_slot {
	uint64_t key;
	size_t value;
	bool used;
};
struct cp_hashidx {
	struct cp_hashidx_slot *v;
	size_t cap;
	size_t n;
	unsigned long long probes;
};
/* 0, or -1 when out of memory (the index is unchanged). */
int cp_hashidx_add(struct cp_hashidx *h, uint64_t key, size_t value);
/* Each value added under key, one per call: start with *pos = 0; false when none is left. */
bool cp_hashidx_next(const struct cp_hashidx *h, uint64_t key, size_t *pos, size_t *value);
void cp_hashidx_release(struct cp_hashidx *h);
/* FNV-1a of the bytes: a key for cp_hashidx. */
uint64_t cp_hash_bytes(const void *data, size_t len);
/* The first 8 bytes of a digest (SHA-256, already uniform): a key for cp_hashidx. */
uint64_t cp_hash_digest(const uint8_t *digest);

/* dn_parse.c: RFC 4514 text -> X509_NAME (UTF8String values). Caller frees. */
struct X509_name_st;
struct X509_name_st *cp_name_parse_rfc4514(const char *text, struct certpick_error *err);

/*
 * certreq.c: compute the request-level findings of a parsed request into
 * req->findings (sizes, empty/duplicate/malformed names, oid_filters, ...).
 */
int cp_certreq_lint(struct certpick_certreq *req, struct certpick_error *err);

/*
 * certreq.c: the one table of how large a CertificateRequest each client reads
 * (reference: docs/cli/probe.md "Findings"). Every limit is on the handshake
 * message body, the length in its 4-byte header, as each client checks it
 * (OpenSSL tls_get_message_body, Go readHandshake, NSS MAX_HANDSHAKE_MSG_LEN,
 * JSSE maxHandshakeMessageSize): a body of `limit` bytes is read, one more
 * byte fails the handshake. The profiles (profiles.c .cr_limit, read by
 * select's size check), probe's findings and serve's start-up warning all
 * read this table, and all compare the body with it.
 */
enum cp_cr_limit_id {
	CP_CR_LIMIT_JAVA,      /* JSSE jdk.tls.maxHandshakeMessageSize */
	CP_CR_LIMIT_SCHANNEL,  /* Windows Schannel MessageLimitClient */
	CP_CR_LIMIT_GO,	       /* crypto/tls maxHandshake */
	CP_CR_LIMIT_OPENSSL,   /* OpenSSL max_cert_list */
	CP_CR_LIMIT_BORINGSSL, /* Chrome: BoringSSL max_cert_list */
	CP_CR_LIMIT_NSS,       /* NSS MAX_HANDSHAKE_MSG_LEN */
	CP_CR_LIMIT_GNUTLS,    /* GnuTLS MAX_HANDSHAKE_PACKET_SIZE */
	CP_CR_LIMIT_N
};
struct cp_cr_limit {
	const char *clients;	     /* "Java", for messages */
	size_t limit;		     /* the largest body it reads */
	enum certpick_reason reason; /* the finding of a request over the limit */
	const char *source;	     /* where the number comes from */
};
extern const struct cp_cr_limit cp_cr_limits[CP_CR_LIMIT_N];
/* IIS sends at most this many bytes of CA names (2-byte lengths included): it truncates. */
#define CP_IIS_CA_LIST_MAX 16384
/*
 * Add the cr-too-large-* findings a CertificateRequest body of body_len bytes
 * earns (also for bodies too large or too malformed to parse): one per reason,
 * at the smallest limit of its clients, with the detail "N bytes, limit L".
 * -1 on ENOMEM.
 */
int cp_certreq_size_findings(size_t body_len, struct certpick_findings *f);
/*
 * The same findings worded for a server sizing its own request (serve): the
 * detail says "CertificateRequest of N bytes; <clients>: <limit> KiB", with N
 * the whole message (body_len + 4), and a CA list of ca_list bytes over
 * CP_IIS_CA_LIST_MAX adds cr-iis-truncation. -1 on ENOMEM.
 */
int cp_certreq_size_warnings(size_t body_len, size_t ca_list, struct certpick_findings *f);
/* The first extension of that type, or NULL. Borrowed: valid until req is freed. */
const struct certpick_cr_extension *cp_certreq_find_extension(const struct certpick_certreq *req,
    uint16_t type);
/*
 * certreq_codec.c: the body length the encoder writes for these fields
 * (certpick_certreq_build()'s code, counting instead of storing). Unlike the
 * encoder, it also sizes a CA list past the 16-bit vector limit, and does
 * not check the fields (the caller passes what it would build).
 */
size_t cp_certreq_encoded_len(const struct certpick_certreq_fields *f);

/*
 * probe_http.c: parse an HTTP/1.x answer read so far into h. `final`: no more
 * bytes will come (EOF, or the read cap). Returns 1 complete (h filled),
 * 0 need more bytes, -1 not HTTP, -2 out of memory.
 */
struct certpick_probe_http;
#define CP_HTTP_MAX 65536
int cp_http_parse(const char *buf, size_t len, bool final, struct certpick_probe_http *h);
/* The value of header `name` among the header lines hdrs[0..len), trimmed; NULL if absent. */
const char *cp_http_header(const char *hdrs, size_t len, const char *name, size_t *vlen);
void cp_http_release(struct certpick_probe_http *h);

/*
 * probe_target.c: a probe/get target split into parts (certpick/probe.h
 * certpick_probe_target_parse() documents the forms). layer: the protocol
 * layer of the scheme (proto.h), NULL for https:// and a bare host; url: the
 * target was a URL. Owned strings; cp_target_release() frees them. Pure.
 */
struct cp_proto_ops;
struct cp_target {
	const struct cp_proto_ops *layer;
	bool url;
	char *host, *port, *path, *user; /* path, user: NULL when none */
};
int cp_target_parse(const char *target, struct cp_target *t, struct certpick_error *err);
/* Unit tests only: one more layer, for its scheme (the engine's tests drive a fake protocol). */
extern const struct cp_proto_ops *cp_target_test_layer;
void cp_target_release(struct cp_target *t);

/*
 * probe.c: record one captured CertificateRequest (msg: the handshake message
 * with its 4-byte header) into res; at most CP_PROBE_MAX_REQUESTS are kept.
 * -1 only on ENOMEM (a malformed message is recorded with parse_error).
 */
#define CP_PROBE_MAX_REQUESTS 16
int cp_probe_add_request(struct certpick_probe_result *res, uint16_t version,
    enum certpick_phase phase, const uint8_t *msg, size_t len);
/* Frees the strings of s and zeroes it (code -1). */
struct certpick_probe_service;
void cp_probe_service_release(struct certpick_probe_service *s);
/* Verdict, evidence and connection-level findings from what was seen. -1 on ENOMEM. */
int cp_probe_decide(struct certpick_probe_result *res);

/*
 * get.c: split an HTTP answer read in full (cp_http_parse() said complete, or
 * the read ended) into res->head (NUL-terminated), res->body (de-chunked,
 * NUL-terminated) and res->status/reason from res->http. Pure. -1 on ENOMEM.
 */
struct certpick_get_result;
int cp_get_answer(struct certpick_get_result *res, const char *buf, size_t len);

/*
 * get.c: RFC 9112 7.1 chunked decoding as a state machine fed only the bytes
 * that came since the last call, so a body costs linear time however it is
 * split (lenient: a missing CR is accepted; a size that is not hex stops
 * the body). Zero-initialize; out (NULL: only walk) receives the data bytes,
 * at most len of them per call; returns how many it wrote.
 */
enum cp_chunk_state {
	CP_CHUNK_SIZE = 0,
	CP_CHUNK_EXT,
	CP_CHUNK_DATA,
	CP_CHUNK_DATA_END,
	CP_CHUNK_TRAILER_START,
	CP_CHUNK_TRAILER,
	CP_CHUNK_DONE,
	CP_CHUNK_BAD,
};
struct cp_chunk_walk {
	enum cp_chunk_state state;
	uint64_t left; /* size being read, then data bytes still to come */
	int digits;
};
size_t cp_chunk_feed(struct cp_chunk_walk *w, const char *b, size_t len, unsigned char *out);

/* certreq_codec.c: a Certificate message we sent has an empty certificate_list. */
bool cp_certificate_msg_is_empty(const uint8_t *m, size_t len, bool tls13);

/* timefmt.c: ASN1_TIME -> time_t (0 when unreadable); "2024-01-01T00:00:00Z" into buf. */
struct asn1_string_st;
time_t cp_asn1_time(const struct asn1_string_st *t);
const char *cp_iso8601(time_t t, char *buf, size_t size);

/*
 * outtext.c: the one UTF-8 decoder and the one list of code points that are
 * escaped in text output (certpick/outtext.h says which).
 * cp_utf8_next: the length of the valid UTF-8 sequence at s (len > 0) with
 * its code point in *cp, or 0 when s does not start one.
 */
size_t cp_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);
bool cp_text_is_control(uint32_t cp);
/*
 * dn.c: a copy of n bytes of OpenSSL's RFC 4514 rendering with the code
 * points cp_text_is_control() names, and bytes that are not UTF-8, written
 * as RFC 4514 hex pairs ("\E2\80\AE"). Caller owns the result; NULL when out
 * of memory.
 */
char *cp_dn_text(const char *p, size_t n);

/* mem.c: the library's allocator (fault-injectable in tests). */
void *cp_malloc(size_t n);
void *cp_calloc(size_t n, size_t size);
void *cp_realloc(void *p, size_t n);
/* Grows *array of *n elements by one zeroed element; returns it or NULL. */
void *cp_array_push(void *array_p, size_t *n, size_t elem_size);
/* The same for arrays that grow large: *cap doubles, so n pushes copy O(n) in all. */
void *cp_array_push_cap(void *array_p, size_t *n, size_t *cap, size_t elem_size);
char *cp_strdup(const char *s);
char *cp_asprintf(const char *fmt, ...) CERTPICK_PRINTF(1, 2);
char *cp_vasprintf(const char *fmt, va_list ap) CERTPICK_PRINTF(1, 0);
/* Wipe then free. NULL is a no-op. */
void cp_freezero(void *p, size_t n);
/*
 * A buffer for a password or PIN certpick asks for on the user's behalf
 * (CP_SECRET_MAX bytes, from OpenSSL's allocator so tests watch it), and its
 * release, which wipes all of it first. cp_secret_free(NULL) is a no-op.
 */
#define CP_SECRET_MAX 1024
char *cp_secret_new(void);
void cp_secret_free(char *s);
/* Test hook: fail the Nth cp_* allocation from now (0 disables). */
void cp_mem_fail_after(unsigned long n);
/* Test hook: count one allocation; true when it must fail (shared with OpenSSL hooks). */
int cp_mem_should_fail(void);
/* Test hook: allocations left before the injected failure (0: none pending). */
unsigned long cp_mem_fail_pending(void);

/* candidate_load.c: one file's bytes -> the certificates and keys it holds. */
struct stack_st_X509;
struct evp_pkey_st;
struct cp_keypub;
struct cp_loaded_key {
	struct evp_pkey_st *pkey; /* owned; NULL when pub is set */
	struct cp_keypub *pub;	  /* owned: the key read only as far as pairing needs */
	unsigned keyspec;	  /* Microsoft key-usage attribute, 0 if none */
	char *csp;		  /* Microsoft CSP name attribute, owned, or NULL */
};
struct cp_loaded {
	struct stack_st_X509 *certs; /* owned; file order */
	struct cp_loaded_key *keys;  /* owned */
	size_t nkeys;
	size_t keys_cap;
	enum certpick_format format;   /* what it turned out to be */
	struct certpick_error partial; /* set when part of the file was unusable */
};
/*
 * Parse a file's bytes. Returns 0 when at least one certificate or key was
 * read (out->partial then says what was skipped), -1 with err otherwise.
 * `source` only names the file in messages.
 */
int cp_load_parse(const uint8_t *data, size_t len, const char *source, enum certpick_format format,
    const struct certpick_load_options *opts, struct cp_loaded *out, struct certpick_error *err);
/*
 * The DER decoder of unencrypted private keys, kept across files: setting
 * one up costs OpenSSL 3.0 about a quarter of a millisecond (it walks every
 * provider's decoders), more than decoding a P-256 key. Zero-initialize;
 * one thread at a time.
 */
struct ossl_decoder_ctx_st;
struct cp_key_decoder {
	struct ossl_decoder_ctx_st *ctx; /* owned; NULL until the first plain key */
	struct evp_pkey_st *out;	 /* where ctx writes; taken after each decode */
	bool lazy_certs; /* parse certificates with cp_x509_d2i_lazy() (lazy_public_keys) */
	bool pair_only;	 /* release_keys: plain RSA and EC keys, their public half only */
};
void cp_key_decoder_release(struct cp_key_decoder *kd);
/* cp_load_parse() with a decoder shared across calls (NULL: one of its own). */
int cp_load_parse_shared(const uint8_t *data, size_t len, const char *source,
    enum certpick_format format, const struct certpick_load_options *opts,
    struct cp_key_decoder *kd, struct cp_loaded *out, struct certpick_error *err);
void cp_loaded_release(struct cp_loaded *l);
/*
 * candidate_batch.c: a batch of files read and parsed on every core, each
 * thread with its own decoder of kd[0..nkd) (the caller's thread uses kd[0]),
 * for the caller to add in input order: cp_parse_start() starts the threads
 * (NULL when out of memory: parse on the caller's thread), cp_parse_wait()
 * returns once f[i] is parsed (the caller's thread parses later files
 * meanwhile; call it for i = 0, 1, ... in turn), cp_parse_end() joins the
 * threads and frees the batch (files not waited for may stay unparsed, in
 * the READ_FAILED state with nothing owned). Only plain PEM is parsed there;
 * anything that could ask for a password is DEFERRED with its bytes, for the
 * caller's thread. Callers keep it single-threaded (nkd 1) while an
 * allocation failure is pending, so tests count allocations in one order.
 */
enum cp_parsed_state {
	CP_PARSED_READ_FAILED,
	CP_PARSED_DONE,
	CP_PARSED_DEFERRED
};
struct cp_parsed_file {
	const char *path;   /* borrowed; set by the caller */
	const uint8_t *mem; /* borrowed: parse these bytes (PEM) instead of reading path */
	size_t mem_len;
	enum cp_parsed_state state;
	int ret;	    /* DONE: cp_load_parse_shared()'s result */
	struct cp_loaded l; /* DONE with ret 0: owned */
	uint8_t *data;	    /* DEFERRED: the file's bytes, owned */
	size_t len;
	struct certpick_error err; /* READ_FAILED, or DONE with ret -1 */
};
struct cp_parse_batch;
struct cp_parse_batch *cp_parse_start(struct cp_parsed_file *f, size_t n, struct cp_key_decoder *kd,
    size_t nkd);
void cp_parse_wait(struct cp_parse_batch *b, size_t i);
void cp_parse_end(struct cp_parse_batch *b);
/* Releases what f owns; f can be reused. NULL is a no-op. */
void cp_parsed_file_release(struct cp_parsed_file *f);
/* The threads a batch is worth (online cores, at most 8). */
size_t cp_parse_threads(void);
/*
 * One large plain PEM file (format AUTO or PEM) parsed on every core: cut
 * before its "-----BEGIN " lines into pieces parsed as files of their own,
 * the results joined in order into out. True only when every piece parsed
 * cleanly (no malformed block, none empty, the joined file within the
 * per-file limits); false, with out untouched, for anything else: the
 * caller parses the whole file, and its messages are a whole file's.
 */
bool cp_parse_split(const uint8_t *data, size_t len, const char *source,
    enum certpick_format format, const struct certpick_load_options *opts, struct cp_loaded *out);
/* candidate_load.c: from's certificates and keys appended to into's (taken); -1 past the limits. */
int cp_loaded_join(struct cp_loaded *into, struct cp_loaded *from);
/*
 * file.c: certpick_file_read() with CERTPICK_FILE_MAX (64 MiB), for the
 * library's loaders. Caller frees with cp_freezero(*data, *len + 1).
 */
int cp_read_file(const char *path, uint8_t **data, size_t *len, struct certpick_error *err);
/*
 * file.c: the one sorted folder walk. The names in dir that do not start
 * with a dot, in strcmp order, not recursive, into *names (caller frees
 * with cp_dir_names_free(*names, *n)). -1 with err ("cannot open folder").
 */
int cp_dir_names(const char *dir, char ***names, size_t *n, struct certpick_error *err);
void cp_dir_names_free(char **names, size_t n);
/*
 * crl.c: every CRL of a PEM bundle (other blocks skipped) or one DER CRL,
 * pushed onto out (owned by the caller, with what was pushed). -1 with err
 * when none, or a CRL block is malformed (what was pushed stays).
 */
struct stack_st_X509_CRL;
int cp_crls_parse(const uint8_t *data, size_t len, const char *source,
    struct stack_st_X509_CRL *out, struct certpick_error *err);
int cp_crls_load(const char *path, struct stack_st_X509_CRL *out, struct certpick_error *err);
/*
 * crl.c: whether an X509_V_ERR_* code says no CRL was found for a
 * certificate (its issuer gave none among those loaded). check reports it
 * for the leaf only; serve lets a CA through unless --crl-all.
 */
bool cp_crl_unavailable(int x509_v_err);
/*
 * trust.c: certpick_trust_add_path() with `what` naming the input in its
 * messages ("cannot read WHAT 'path'"): "trust store", "CA names file".
 */
struct certpick_trust;
int cp_trust_add_path_as(struct certpick_trust *t, const char *path, const char *what,
    struct certpick_error *err);
/*
 * trust.c: an X509_STORE holding t's certificates and CRLs, with CRL checks
 * along the whole path (CRL_CHECK | CRL_CHECK_ALL) when t has CRLs. Caller
 * owns the result; X509_STORE_free().
 */
struct x509_store_st;
struct x509_store_st *cp_trust_store_new(const struct certpick_trust *t,
    struct certpick_error *err);
/* timefmt.c: ASN1_TIME -> seconds since the epoch; *ok = 0 and 0 on failure. */
struct asn1_string_st;
long long cp_asn1_time_to_unix(const struct asn1_string_st *t, int *ok);

/*
 * dn.c: certpick_dn_init_der() of a parsed name, without parsing its DER
 * again (the same der, sha256 and rfc4514).
 */
int cp_dn_from_name(struct certpick_dn *dn, const struct X509_name_st *name,
    struct certpick_error *err);
/* ossl.c: SHA-256, fetched once (never NULL); a certificate's as hex. */
struct x509_st;
struct evp_md_st;
const struct evp_md_st *cp_md_sha256(void);
int cp_x509_sha256_hex(const struct x509_st *x, char out[65], struct certpick_error *err);

/*
 * lazycert.c: certificates parsed without their public key. OpenSSL 3.0's
 * d2i_X509() sets up a decoder for the key of each certificate, nine tenths
 * of what parsing one costs; cp_x509_d2i_lazy() leaves the key encoded (as
 * d2i_X509(), NULL on error; caller frees), so X509_get0_pubkey() is NULL
 * on the result. Every use of such a key goes through cp_x509_full(), which
 * returns x itself when its key is decoded, else a fully decoded copy that
 * x owns (made once, freed with x; NULL on failure), or through
 * cp_x509_pubkey(), the key of cp_x509_full(). Both change x's ex_data: call
 * them from one thread at a time for a given certificate. cp_spki_read()
 * reads the key's facts from its encoding alone: 0, or -1 for an encoding
 * it does not read (a caller then decodes the key).
 */
struct evp_pkey_st;
struct x509_st *cp_x509_d2i_lazy(const unsigned char **in, long len);
struct x509_st *cp_x509_full(struct x509_st *x);
struct evp_pkey_st *cp_x509_pubkey(struct x509_st *x);
/* X509_check_issued() with the issuer's key decoded (cp_x509_full). */
int cp_x509_check_issued(struct x509_st *issuer, struct x509_st *subject);
struct cp_spki {
	int type;		  /* EVP_PKEY_RSA or EVP_PKEY_EC */
	int curve;		  /* EC: NID_X9_62_prime256v1, NID_secp384r1 or NID_secp521r1 */
	int bits;		  /* as EVP_PKEY_get_bits() */
	const unsigned char *pub; /* EC: the point; RSA: the modulus, no leading zero */
	size_t pub_len;
	const unsigned char *exp; /* RSA: the public exponent, no leading zero */
	size_t exp_len;
};
int cp_spki_read(const struct x509_st *x, struct cp_spki *out);
/*
 * The public half of an unencrypted private key, from its DER alone:
 * PKCS#8 PrivateKeyInfo ("PRIVATE KEY"), RSAPrivateKey ("RSA PRIVATE KEY",
 * two primes) or ECPrivateKey ("EC PRIVATE KEY", its point present), for RSA
 * and the curves cp_spki_read() reads; out points into der. 0, or -1 for
 * anything else (the caller decodes the key). Nothing of the private half
 * is copied.
 */
enum cp_key_form {
	CP_KEY_PKCS8,
	CP_KEY_RSA,
	CP_KEY_EC
};
int cp_key_pub_read(const unsigned char *der, size_t len, enum cp_key_form form,
    struct cp_spki *out);
/*
 * A copy of s that owns its bytes (NULL when out of memory; free()), and
 * the public key it describes, for comparing with a decoded one (NULL on
 * failure; EVP_PKEY_free()).
 */
struct cp_keypub {
	struct cp_spki s; /* points into v */
	unsigned char v[];
};
struct cp_keypub *cp_keypub_new(const struct cp_spki *s);
struct evp_pkey_st *cp_keypub_pkey(const struct cp_spki *s);

/*
 * candidate_p11.c: the URI with the value of pin-value replaced by "***",
 * for messages (NULL on allocation failure; caller frees), and a parse of it
 * alone (0 or -1 with err), for the fuzz target.
 */
char *cp_p11_uri_redact(const char *uri);
int cp_p11_uri_check(const char *uri, struct certpick_error *err);
/*
 * A private key on a PKCS#11 token, opened for signing: uri is the
 * candidate's key URI (cp_candidate_key_uri: token and CKA_ID), opts give the
 * PIN. The EVP_PKEY is borrowed from k and valid until cp_p11_key_close(k),
 * which logs out and unloads the module. NULL is a no-op.
 */
struct cp_p11_key;
struct evp_pkey_st;
int cp_p11_key_open(const char *uri, const struct certpick_load_options *opts,
    struct cp_p11_key **out, struct certpick_error *err);
struct evp_pkey_st *cp_p11_key_pkey(const struct cp_p11_key *k);
void cp_p11_key_close(struct cp_p11_key *k);
/* candidate.c: the key URI of the candidate added last (copied); its getter. */
int cp_candset_set_last_key_uri(struct certpick_candset *set, const char *uri,
    struct certpick_error *err);
const char *cp_candidate_key_uri(const struct certpick_candidate *c);
/*
 * candidate.c: the pool certificates whose subject is name, through the
 * pool's subject index: at most max pool indices into idx, in pool order;
 * returns how many there are (more than max when idx was too short).
 */
size_t cp_candset_pool_by_subject(const struct certpick_candset *set,
    const struct X509_name_st *name, size_t *idx, size_t max);

#endif
