/*
 * The protocol seam of the client engine: what a client says before TLS,
 * after it, and how the service's answer reads. One layer per URL scheme
 * (proto_smtp.c, proto_imap.c, ...). A layer is a pure state machine: the
 * engine feeds it the bytes the server sent and writes the bytes the layer
 * asks for; a layer never touches a socket, a clock, OpenSSL or the
 * environment, so each has a libFuzzer target that drives step() with
 * arbitrary server bytes (fuzz/fuzz_proto_<name>.c).
 *
 * The engine's contract (probe_engine.c):
 *   - it calls init() once per connection, then step() with tls_up = false
 *     (unless ops->implicit_tls: then the handshake comes first and every
 *     step() has tls_up = true);
 *   - `in` is everything received and not yet consumed (plaintext; after
 *     the handshake, decrypted), never NULL (len 0: nothing yet); the layer sets *used to the bytes it
 *     consumed (whole lines or messages only) and the engine keeps the rest;
 *   - CP_PROTO_READ: call again when more bytes arrived. The engine caps what
 *     it keeps unconsumed at CP_PROTO_MAX_PENDING and ends the connection
 *     with "reply too long" past that;
 *   - CP_PROTO_WRITE: send all of `out` (appended by the layer), then call
 *     step() again at once with whatever input is pending;
 *   - CP_PROTO_STARTTLS: start the handshake now. Bytes left unconsumed at
 *     that moment are a protocol violation (command injection, CVE-2011-0411
 *     class): the engine ends the connection with an error, never carries
 *     them into TLS. After the handshake step() is called with tls_up = true
 *     and empty input, so the layer can speak first (EHLO again, CAPABILITY);
 *   - CP_PROTO_DONE: the verdict is filled in; the engine closes politely;
 *   - CP_PROTO_FAIL: the server's bytes broke the protocol (or a limit);
 *     v->text says how, in one line.
 *   A layer may see EOF: step() with eof = true; it answers DONE or FAIL.
 * Ownership: the layer owns its state (state_size bytes the engine zeroes and
 * hands to init/step/clear) and what it allocates in it; the strings it puts
 * in the verdict become the verdict's (cp_proto_verdict_clear frees them).
 */
#ifndef CERTPICK_PROTO_H
#define CERTPICK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "certpick/reason.h"

#define CP_PROTO_MAX_PENDING ((size_t)64 << 10) /* unconsumed server bytes */
#define CP_PROTO_MAX_LINE ((size_t)8 << 10)	/* one reply line, any text protocol */
#define CP_PROTO_MAX_LINES 512			/* lines of one multi-line reply */

enum cp_proto_act {
	CP_PROTO_READ = 0,
	CP_PROTO_WRITE,
	CP_PROTO_STARTTLS,
	CP_PROTO_DONE,
	CP_PROTO_FAIL,
};

/* The service's verdict on this connection. */
enum cp_proto_outcome {
	CP_PROTO_UNKNOWN = 0,	 /* the conversation ended before a verdict */
	CP_PROTO_ACCEPTED,	 /* authenticated / relayed / bound by the certificate */
	CP_PROTO_REFUSED,	 /* the service refused (code and text say why) */
	CP_PROTO_NOT_OFFERED,	 /* certificate authentication not offered (no EXTERNAL, ...) */
	CP_PROTO_NO_TLS,	 /* STARTTLS not offered or refused */
	CP_PROTO_HANDSHAKE_ONLY, /* tls://: nothing to ask after the handshake */
};

struct cp_proto_verdict {
	enum cp_proto_outcome outcome;
	int code;	    /* the server's code: SMTP 250/535, LDAP resultCode, FTP 530; -1 none */
	char *text;	    /* the deciding answer in the server's words, one line; owned */
	char *identity;	    /* as whom: LDAP whoami "dn:...", IMAP/XMPP authzid; owned; NULL */
	char *capabilities; /* after TLS, space-separated: "AUTH=EXTERNAL STARTTLS ..."; owned */
	char *banner;	    /* greeting line before TLS; owned; NULL */
	bool
	    offers_external; /* SASL EXTERNAL (or the protocol's equivalent) advertised after TLS */
	bool sent_auth;	     /* the layer asked to be authenticated by the certificate */
	bool has_reason;     /* the verdict adds a finding: reason, with text as its detail */
	enum certpick_reason reason;
};

void cp_proto_verdict_clear(struct cp_proto_verdict *v);

/* The finding a verdict adds (the engine puts it in the probe's findings). */
static inline void
cp_proto_reason(struct cp_proto_verdict *v, enum certpick_reason r)
{
	v->has_reason = true;
	v->reason = r;
}

/* What the layer may use; the struct and its strings are borrowed for the connection's life. */
struct cp_proto_params {
	const char *host;	/* the target's host (SMTP EHLO uses "certpick.invalid") */
	const char *servername; /* SNI/virtual host; XMPP to=, HTTP Host */
	const char *user;	/* from the URL's userinfo; NULL: none */
	const char *path;	/* from the URL: LDAP base DN, database name, ... ; NULL */
	const char *mail_from;	/* SMTP relay check; NULL: skip it */
	const char *rcpt_to;
	bool have_cert; /* the engine presents a certificate on this connection */
	/* postgres, mysql, mqtt: the service's password for user, sent only when the server
	 * asks for one (never in a verdict string); NULL: none. Wiped by its owner. */
	const char *password;
	/* SCRAM's client nonce: printable ASCII, no ','; the engine makes a fresh random one
	 * per connection, tests and fuzzers fix it; NULL: none (no SCRAM). */
	const char *nonce;
};

struct cp_proto_ops {
	const char *name;   /* "smtp", short, for traces and JSON */
	const char *scheme; /* URL scheme: "smtp", "smtps", ... */
	const char *default_port;
	bool implicit_tls; /* TLS first (smtps, imaps, ldaps, tls) */
	size_t state_size;
	void (*init)(void *st, const struct cp_proto_params *p);
	enum cp_proto_act (*step)(void *st, bool tls_up, bool eof, const uint8_t *in, size_t len,
	    size_t *used, struct cp_buf *out, struct cp_proto_verdict *v);
	void (*clear)(void *st); /* frees what the state owns; may be NULL */
};

/*
 * The ops of one scheme of a layer whose state is `struct prefix` and whose
 * functions are prefix##_init and prefix##_step (clear: its clear function or
 * NULL). A layer with an implicit-TLS twin (smtp and smtps, ...) writes one
 * line per scheme: CP_PROTO_OPS(cp_proto_smtps, "smtp", "smtps", "465", true,
 * smtp, NULL);
 */
#define CP_PROTO_OPS(var, layer, sch, port, implicit, prefix, clear_fn) \
	const struct cp_proto_ops var = { .name = (layer),              \
		.scheme = (sch),                                        \
		.default_port = (port),                                 \
		.implicit_tls = (implicit),                             \
		.state_size = sizeof(struct prefix),                    \
		.init = prefix##_init,                                  \
		.step = prefix##_step,                                  \
		.clear = (clear_fn) }

/* The layer for a URL scheme (case-insensitive); NULL: not a known scheme. */
const struct cp_proto_ops *cp_proto_find(const char *scheme);

/*
 * Shared by the text protocols (proto_text.c), pure:
 * One CRLF- (or LF-) terminated line at the start of in[0..len): 1 and its
 * length without the terminator in *line_len and with it in *used; 0 when no
 * whole line yet; -1 when the line is longer than CP_PROTO_MAX_LINE or holds
 * a NUL.
 */
int cp_proto_line(const uint8_t *in, size_t len, size_t *line_len, size_t *used);
/*
 * A whole SMTP/FTP-style reply ("250-a\r\n250 b\r\n"): 1 with the code,
 * the lines' texts joined by spaces in out (appended), *used; 0 when not
 * complete; -1 when malformed (codes differ, not 3 digits, too many lines).
 * Lines between the first and the last that carry no code are text (RFC 959
 * 4.2: "211-Features:\r\n MDTM\r\n211 End"), leading blanks dropped. On 0
 * and -1 the text is left as it was.
 * scan (NULL: none) is the caller's cursor for a reply read over many calls,
 * in at the same reply start each time: on 0 it keeps how far the whole lines
 * were walked, and the next call goes on from there (a reply dripped a byte
 * at a time costs its length, not its square); on 1 and -1 it is zeroed, as
 * the caller zeroes it for a new reply. Same answer with or without it.
 */
struct cp_proto_scan {
	size_t off;	/* bytes of whole lines walked */
	int first;	/* their code; -1: none yet */
	unsigned lines; /* how many */
};
int cp_proto_reply(const uint8_t *in, size_t len, struct cp_proto_scan *scan, int *code,
    struct cp_buf *text, size_t *used);

/*
 * Helpers every layer shares (proto_text.c), pure. Additive to the seam above:
 * cp_proto_set replaces an owned verdict string (*field, freed first) with a
 * one-line copy of s[0..len): CR, LF, TAB and NUL become spaces; out of memory
 * leaves NULL. cp_proto_fail sets v->text (one line, as cp_proto_set makes
 * it: it may quote the server) and returns CP_PROTO_FAIL.
 * cp_proto_sasl_ir appends a SASL response in base64 (RFC 4648), or "=" when
 * s is NULL or empty (the empty initial response of RFC 4954, 5034, XEP-0178);
 * cp_proto_word appends " word" (no space first) to a space-separated list,
 * control bytes as '?' so the list stays one line.
 * cp_proto_cap_line: one capability line as SMTP EHLO and POP3 CAPA write it
 * ("SIZE 10240000", "AUTH PLAIN EXTERNAL", "SASL EXTERNAL") appended to caps
 * as words: "SIZE=10240000", and one "<KW>=<mech>" per mechanism when the
 * keyword is sasl_kw (also the old "AUTH=PLAIN LOGIN" form); *external is set
 * when EXTERNAL is among them. Returns the keyword's length (at l).
 * cp_proto_closed: the server closed the connection while the layer was
 * waiting for `what` ("the EHLO reply"): FAIL when part of an answer was
 * pending, else DONE with the outcome UNKNOWN and a sentence in v->text.
 * cp_proto_unsafe: s holds a control byte (CR, LF, ...) that could end or
 * split a command the layer writes; false for NULL. A layer refuses such a
 * parameter (command injection) instead of sending it.
 */
void cp_proto_set(char **field, const void *s, size_t len);
/* cp_proto_set with an owned string s (freed here; NULL: out of memory): 0, or -1 and *field NULL. */
int cp_proto_take(char **field, char *s);
enum cp_proto_act cp_proto_fail(struct cp_proto_verdict *v, const char *fmt, ...)
    CERTPICK_PRINTF(2, 3);
void cp_proto_sasl_ir(struct cp_buf *out, const char *s);
void cp_proto_word(struct cp_buf *list, const char *word, size_t len);
bool cp_proto_unsafe(const char *s);
size_t cp_proto_cap_line(struct cp_buf *caps, const char *l, size_t n, const char *sasl_kw,
    bool *external);
enum cp_proto_act cp_proto_closed(struct cp_proto_verdict *v, size_t pending, const char *what);

/*
 * proto_auth.c: the password computations of the postgres and mysql layers
 * (OpenSSL EVP; pure: no I/O, no randomness; intermediate secrets wiped).
 * cp_auth_pg_md5: "md5" + hex(MD5(hex(MD5(password + user)) + salt)), NUL-terminated.
 * cp_auth_mysql_native: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))).
 * cp_auth_mysql_sha2: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble)
 * (caching_sha2_password's fast path). Each returns 0, or -1 (OpenSSL failed).
 */
int cp_auth_pg_md5(const char *user, const char *password, const uint8_t salt[4], char out[36]);
int cp_auth_mysql_native(const char *password, const uint8_t scramble[20], uint8_t out[20]);
int cp_auth_mysql_sha2(const char *password, const uint8_t scramble[20], uint8_t out[32]);

/*
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), client side, without channel binding
 * (gs2 header "n,,": certpick never claims SCRAM-SHA-256-PLUS).
 * cp_scram_init: the client-first-message-bare "n=<user>,r=<nonce>" (user
 * already SCRAM-escaped; PostgreSQL sends the empty name: the startup
 * message's user counts). cp_scram_final: from the server-first-message,
 * appends the client-final-message to out and keeps the ServerSignature;
 * NULL, or a sentence saying why the server's message is refused (nonce not
 * extended, iteration count 0 or over CP_SCRAM_MAX_ITERATIONS, salt not
 * base64). cp_scram_verify: 0 when the server-final-message "v=..." carries
 * that signature (the server knew the password), else -1. cp_scram_wipe
 * before the state goes.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CP_SCRAM_MAX_ITERATIONS 64u /* the fuzzer explores states, not PBKDF2 */
#else
#define CP_SCRAM_MAX_ITERATIONS 10000000u /* PostgreSQL's default is 4096 */
#endif
struct cp_scram {
	char nonce[64];
	char first_bare[320];
	uint8_t server_signature[32];
	bool have_signature;
};
void cp_scram_init(struct cp_scram *s, const char *user, const char *nonce);
const char *cp_scram_final(struct cp_scram *s, const char *password, const char *server_first,
    size_t n, struct cp_buf *out);
int cp_scram_verify(const struct cp_scram *s, const char *server_final, size_t n);
void cp_scram_wipe(struct cp_scram *s);

#endif
