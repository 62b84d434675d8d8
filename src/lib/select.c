/*
 * The selection engine: runs a profile's ordered checks over every candidate,
 * walks issuers against an index of the server's CA names (hash tables: cost
 * is linear in candidates and CA names), orders the survivors as the client
 * does, and applies the picker. Interprets profiles.c; never prints.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "select_int.h"

#define MAX_DEPTH 20   /* Chromium client_cert_matcher.cc */
#define MAX_VISITS 512 /* path search budget per candidate */

/* ---- the server's CA names, indexed three ways ---- */

struct ca_index {
	const struct certpick_certreq *req;
	struct cp_hashidx exact;   /* by DER sha256 */
	struct cp_hashidx string;  /* by rendered string */
	struct cp_hashidx canon;   /* by cp_dn_loose_hash, confirmed by a normalized comparison */
	unsigned long *canon_hash; /* per CA name */
};

static uint64_t
str_key(const char *s)
{
	return cp_hash_bytes(s, strlen(s));
}

static void
ca_index_release(struct ca_index *ix)
{
	cp_hashidx_release(&ix->exact);
	cp_hashidx_release(&ix->string);
	cp_hashidx_release(&ix->canon);
	free(ix->canon_hash);
	memset(ix, 0, sizeof(*ix));
}

static int
ca_index_build(struct ca_index *ix, const struct certpick_certreq *req, struct certpick_error *err)
{
	size_t n = req->n_ca_names;

	memset(ix, 0, sizeof(*ix));
	ix->req = req;
	if ((ix->canon_hash = cp_calloc(n + 1, sizeof(unsigned long))) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const struct certpick_dn *dn = &req->ca_names[i];

		if (cp_hashidx_add(&ix->exact, cp_hash_digest(dn->sha256), i) != 0)
			goto nomem;
		if (!dn->valid)
			continue;
		ix->canon_hash[i] = cp_dn_loose_hash(dn);
		if (cp_hashidx_add(&ix->string, str_key(dn->rfc4514), i) != 0 ||
		    cp_hashidx_add(&ix->canon, ix->canon_hash[i], i) != 0)
			goto nomem;
	}
	ERR_clear_error();
	return 0;
nomem:
	ca_index_release(ix);
	return cp_error_nomem(err);
}

static bool
ca_equal(const struct ca_index *ix, enum cp_match mode, size_t i, const struct certpick_dn *dn,
    unsigned long canon)
{
	const struct certpick_dn *name = &ix->req->ca_names[i];

	switch (mode) {
	case CP_MATCH_EXACT: return certpick_dn_equal_exact(name, dn);
	case CP_MATCH_STRING: return strcmp(name->rfc4514, dn->rfc4514) == 0;
	case CP_MATCH_NORMALIZED:
		return ix->canon_hash[i] == canon && certpick_dn_equal_normalized(name, dn);
	default: return false;
	}
}

/* Index of the first CA name (in the server's order) equal to dn under mode, or -1. */
static long
ca_lookup(const struct ca_index *ix, enum cp_match mode, const struct certpick_dn *dn,
    unsigned long canon)
{
	const struct cp_hashidx *h;
	uint64_t key;
	size_t pos = 0, i;
	long first = -1;

	if (mode != CP_MATCH_EXACT && !dn->valid)
		mode = CP_MATCH_EXACT;
	switch (mode) {
	case CP_MATCH_EXACT:
		h = &ix->exact;
		key = cp_hash_digest(dn->sha256);
		break;
	case CP_MATCH_STRING:
		h = &ix->string;
		key = str_key(dn->rfc4514);
		break;
	case CP_MATCH_NORMALIZED:
		h = &ix->canon;
		key = canon;
		break;
	default: return -1;
	}
	while (cp_hashidx_next(h, key, &pos, &i))
		if ((first < 0 || (long)i < first) && ca_equal(ix, mode, i, dn, canon))
			first = (long)i;
	return first;
}

static const char *
match_name(enum cp_match m)
{
	switch (m) {
	case CP_MATCH_EXACT: return "byte-exact";
	case CP_MATCH_STRING: return "string";
	case CP_MATCH_NORMALIZED: return "normalized";
	default: return "?";
	}
}

static const char *
dn_text(const struct certpick_dn *dn)
{
	return dn->rfc4514 != NULL ? dn->rfc4514 : "(invalid name)";
}

/* ---- signature schemes ---- */

/*
 * OpenSSL's default list: the first DEFAULT_SIGALGS13 entries are those TLS 1.3
 * allows, the rest (SHA-1, SHA-224 and DSA) TLS 1.2 only.
 */
#define DEFAULT_SIGALGS13 14
static const uint16_t default_sigalgs[] = {
	0x0403,
	0x0503,
	0x0603,
	0x0807,
	0x0808,
	0x0809,
	0x080a,
	0x080b,
	0x0804,
	0x0805,
	0x0806,
	0x0401,
	0x0501,
	0x0601, /* the last TLS 1.3 one */
	0x0303,
	0x0301,
	0x0402,
	0x0502,
	0x0602,
	0x0203,
	0x0201,
	0x0202,
};

/* see certpick/select.h */
const uint16_t *
certpick_select_default_sigalgs(uint16_t tls_version, size_t *n)
{
	*n = tls_version >= CERTPICK_TLS13 ? DEFAULT_SIGALGS13 : CP_NELEM(default_sigalgs);
	return default_sigalgs;
}

/* Which key algorithm a scheme needs (a CP_KA_* set) and whether TLS 1.3 allows it. */
static unsigned
scheme_keys(uint16_t s, bool tls13)
{
	switch (s) {
	case 0x0201:
	case 0x0401:
	case 0x0501:
	case 0x0601: /* rsa_pkcs1_* */ return tls13 ? 0 : CP_KA_RSA;
	case 0x0804:
	case 0x0805:
	case 0x0806: /* rsa_pss_rsae_* */ return CP_KA_RSA;
	case 0x0809:
	case 0x080a:
	case 0x080b: /* rsa_pss_pss_* */ return CP_KA_RSA_PSS;
	case 0x0403: return tls13 ? CP_KA_EC_P256 : CP_KA_EC_ANY;
	case 0x0503: return tls13 ? CP_KA_EC_P384 : CP_KA_EC_ANY;
	case 0x0603: return tls13 ? CP_KA_EC_P521 : CP_KA_EC_ANY;
	case 0x0203: return tls13 ? 0 : CP_KA_EC_ANY; /* ecdsa_sha1 */
	case 0x0807: return CP_KA_ED25519;
	case 0x0808: return CP_KA_ED448;
	case 0x0202:
	case 0x0402:
	case 0x0502:
	case 0x0602: /* dsa_* */ return tls13 ? 0 : CP_KA_DSA;
	default: return 0;
	}
}

/* The IANA name for trace text (certreq.c's table), else a phrase. */
static const char *
scheme_name(uint16_t s)
{
	const char *n = certpick_sigalg_name(s);

	return n != NULL ? n : "an offered scheme";
}

/* RSA-PSS needs emLen >= hLen + sLen + 2 with sLen = hLen (RFC 8446 4.2.3). */
static bool
pss_fits(uint16_t s, int bits)
{
	int hlen = (s == 0x0804 || s == 0x0809) ? 32 : (s == 0x0805 || s == 0x080a) ? 48 : 64;

	return (bits + 7) / 8 >= 2 * hlen + 2;
}

/* TLS 1.2 certificate_types -> key algorithms (RFC 5246 7.4.4, RFC 8422 5.5). */
static unsigned
cert_type_keys(const struct certpick_certreq *req)
{
	unsigned ka = 0;

	for (size_t i = 0; i < req->n_cert_types; i++) {
		switch (req->cert_types[i]) {
		case 1: ka |= CP_KA_RSA; break;	    /* rsa_sign */
		case 2: ka |= CP_KA_DSA; break;	    /* dss_sign */
		case 64: ka |= CP_KA_EC_ANY; break; /* ecdsa_sign */
		default: break;
		}
	}
	return ka;
}

/* ---- per-candidate evaluation ---- */

struct walk {
	bool matched;
	long ca; /* CA name index matched */
	const struct cp_selcert *path[MAX_DEPTH + 2];
	size_t n_path;	    /* certificates to send: leaf .. issued-by-listed */
	bool encoding_only; /* only a normalized comparison would match */
	bool issuer_missing;
};

struct eval {
	struct certpick_sel_candidate *out;
	const struct cp_selcand *cand;
	bool survives;
	int rank;
	bool after_failed;
	enum certpick_reason after_reason;
	char *after_detail;
	struct walk walk;
	long order_key; /* GnuTLS: CA index; Java: key type slot */
};

struct ctx {
	const struct certpick_profile *p;
	const struct certpick_certreq *req;
	const struct cp_selstore *store;
	struct ca_index ix;
	time_t now;
	bool tls13;
	long configured; /* OpenSSL: the one configured candidate */
	size_t visits;
};

static int add_step(struct certpick_sel_candidate *o, const struct cp_check_row *row,
    const char *check, bool passed, struct cp_buf *detail);

static bool
is_listed(struct ctx *c, const struct cp_check_row *row, const struct certpick_dn *dn,
    unsigned long canon, long *ca, bool *enc_only)
{
	long i = ca_lookup(&c->ix, row->match, dn, canon);

	if (i >= 0) {
		*ca = i;
		return true;
	}
	if (row->match != CP_MATCH_NORMALIZED &&
	    ca_lookup(&c->ix, CP_MATCH_NORMALIZED, dn, canon) >= 0)
		*enc_only = true;
	return false;
}

/* Depth-first search of issuer paths through the store. */
static bool
walk_store(struct ctx *c, const struct cp_check_row *row, struct walk *w, size_t depth,
    struct cp_buf *b, bool describe)
{
	const struct cp_selcert *cur = w->path[depth - 1];
	long ca;
	bool found_issuer = false;

	if (depth == 1 && row->subject_too &&
	    is_listed(c, row, &cur->subject, cur->subject_canon, &ca, &w->encoding_only)) {
		if (describe)
			cp_buf_printf(b, "subject %s is listed (%s match)", dn_text(&cur->subject),
			    match_name(row->match));
		w->ca = ca;
		w->n_path = depth;
		return true;
	}
	if (is_listed(c, row, &cur->issuer, cur->issuer_canon, &ca, &w->encoding_only)) {
		if (describe)
			cp_buf_printf(b, "%s: listed, %s match", dn_text(&cur->issuer),
			    match_name(row->match));
		w->ca = ca;
		w->n_path = depth;
		return true;
	}
	if (describe)
		cp_buf_printf(b, "%s (not listed)", dn_text(&cur->issuer));
	if (cur->self_issued) {
		if (describe)
			cp_buf_printf(b, ", self-issued: end of chain");
		return false;
	}
	if (depth > MAX_DEPTH) {
		if (describe)
			cp_buf_printf(b, ", depth limit %d", MAX_DEPTH);
		return false;
	}
	for (size_t it = cp_selstore_first(c->store, &cur->issuer); it != 0;
	     it = cp_selstore_next(c->store, it, &cur->issuer)) {
		const struct cp_selcert *iss = CP_SELSTORE_GET(c->store, it);
		bool loop = false;

		for (size_t k = 0; k < depth; k++)
			loop |= w->path[k] == iss;
		if (loop || ++c->visits > MAX_VISITS)
			continue;
		if (cp_x509_check_issued(iss->x509, cur->x509) != X509_V_OK &&
		    row->walk == CP_WALK_STORE_PATHS)
			continue; /* path builders check key ids; Chrome does not */
		found_issuer = true;
		w->path[depth] = iss;
		if (describe)
			cp_buf_printf(b, " -> ");
		if (walk_store(c, row, w, depth + 1, b, describe))
			return true;
		describe = false; /* describe the first path only */
		if (row->walk == CP_WALK_STORE_FIRST)
			break;
	}
	if (!found_issuer) {
		w->issuer_missing = true;
		if (describe)
			cp_buf_printf(b, ", issuer not found in the store");
	}
	ERR_clear_error();
	return false;
}

static void
walk_configured(struct ctx *c, const struct cp_check_row *row, const struct cp_selcand *cand,
    struct walk *w, struct cp_buf *b)
{
	long best = -1;
	size_t best_at = 0;

	cp_buf_printf(b, "configured chain: ");
	for (size_t i = 0; i <= cand->n_chain; i++) {
		const struct cp_selcert *x = i == 0 ? cand->leaf : cand->chain[i - 1];
		long ca;

		if (i > 0)
			cp_buf_printf(b, "; ");
		if (is_listed(c, row, &x->issuer, x->issuer_canon, &ca, &w->encoding_only)) {
			cp_buf_printf(b, "%s issued by %s: listed, %s match", dn_text(&x->subject),
			    dn_text(&x->issuer), match_name(row->match));
			if (best < 0 || ca < best) {
				best = ca;
				best_at = i;
			}
		} else {
			cp_buf_printf(b, "%s issued by %s (not listed)", dn_text(&x->subject),
			    dn_text(&x->issuer));
		}
	}
	w->n_path = 0;
	for (size_t i = 0; i <= cand->n_chain && w->n_path < MAX_DEPTH + 1; i++)
		w->path[w->n_path++] = i == 0 ? cand->leaf : cand->chain[i - 1];
	if (best >= 0) {
		w->matched = true;
		w->ca = best;
	}
	(void)best_at;
}

static int
check_issuer(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b)
{
	struct walk *w = &e->walk;

	memset(w, 0, sizeof(*w));
	w->ca = -1;
	w->path[0] = e->cand->leaf;
	w->n_path = 1;
	if (c->req->n_ca_names == 0) {
		cp_buf_printf(b, "the server named no CA: any issuer is accepted");
		w->matched = true;
		if (row->walk != CP_WALK_CONFIGURED) {
			/* build the chain to send: up to (not including) a self-signed root */
			const struct cp_selcert *cur = e->cand->leaf;

			while (!cur->self_issued && w->n_path <= MAX_DEPTH) {
				size_t it = cp_selstore_first(c->store, &cur->issuer);

				for (; it != 0; it = cp_selstore_next(c->store, it, &cur->issuer))
					if (cp_x509_check_issued(CP_SELSTORE_GET(c->store, it)
								     ->x509,
						cur->x509) == X509_V_OK)
						break;
				if (it == 0 || CP_SELSTORE_GET(c->store, it)->self_issued)
					break;
				cur = CP_SELSTORE_GET(c->store, it);
				w->path[w->n_path++] = cur;
			}
			ERR_clear_error();
		} else {
			struct walk tmp;
			struct cp_buf ignored = { 0 };

			walk_configured(c, row, e->cand, &tmp, &ignored);
			cp_buf_free(&ignored);
			memcpy(w->path, tmp.path, sizeof(w->path));
			w->n_path = tmp.n_path;
		}
		return 0;
	}
	if (row->walk == CP_WALK_CONFIGURED) {
		struct cp_buf scratch = { 0 };

		walk_configured(c, row, e->cand, w, &scratch);
		cp_buf_add(b, scratch.p, scratch.len);
		b->nomem = b->nomem || scratch.nomem;
		cp_buf_free(&scratch);
	} else {
		cp_buf_printf(b, "issuer walk (%s): %s -> ",
		    row->walk == CP_WALK_STORE_FIRST ? "first issuer found" : "all paths",
		    dn_text(&e->cand->leaf->subject));
		c->visits = 0;
		w->matched = walk_store(c, row, w, 1, b, true);
	}
	return 0;
}

static bool
sigalg_ok(struct ctx *c, const struct cp_check_row *row, const struct cp_selcert *leaf,
    struct cp_buf *b)
{
	unsigned allowed = row->key_algs;
	unsigned ct = 0;
	size_t n = 0;

	if ((leaf->keyalg & allowed) == 0) {
		cp_buf_printf(b, "%s keys are not supported by this client",
		    cp_keyalg_name(leaf->keyalg));
		return false;
	}
	if (row->cert_types_restrict_sigalgs && !c->tls13) {
		ct = cert_type_keys(c->req);
		/* Go: ecdsa_sign also allows Ed25519 */
		if (ct & CP_KA_EC_ANY)
			ct |= CP_KA_ED25519;
	}
	for (size_t i = 0; i < c->req->n_sigalgs; i++) {
		uint16_t s = c->req->sigalgs[i];
		unsigned need = scheme_keys(s, c->tls13);

		if (row->ec_by_family && (need & CP_KA_EC_ANY))
			need |= CP_KA_EC_ANY;
		if (row->cert_types_restrict_sigalgs && !c->tls13)
			need &= ct;
		if ((need & leaf->keyalg) == 0)
			continue;
		if ((s >= 0x0804 && s <= 0x0806) || (s >= 0x0809 && s <= 0x080b)) {
			if (!pss_fits(s, leaf->key_bits))
				continue;
		}
		if (n++ > 0)
			continue;
		if ((scheme_keys(s, c->tls13) & leaf->keyalg) == 0)
			cp_buf_printf(b,
			    "%s key has the key type of %s (EC: chosen by key type, the "
			    "curve counts only for the CertificateVerify)",
			    cp_keyalg_name(leaf->keyalg), scheme_name(s));
		else
			cp_buf_printf(b, "%s key can sign with %s", cp_keyalg_name(leaf->keyalg),
			    scheme_name(s));
	}
	if (n > 0)
		return true;
	cp_buf_printf(b, "%s key cannot make any of the %zu offered signature schemes%s",
	    cp_keyalg_name(leaf->keyalg), c->req->n_sigalgs,
	    c->tls13 ? " (TLS 1.3: no PKCS#1 v1.5, ECDSA curve must match)" : "");
	if (row->cert_types_restrict_sigalgs && !c->tls13)
		cp_buf_printf(b, " (TLS 1.2: schemes limited by certificate_types)");
	return false;
}

static const char *
key_place(enum certpick_key_store ks)
{
	switch (ks) {
	case CERTPICK_KEY_FILE: return "a key file";
	case CERTPICK_KEY_PKCS12: return "the PKCS#12 file";
	case CERTPICK_KEY_NSS: return "the NSS database";
	case CERTPICK_KEY_PKCS11: return "a PKCS#11 token";
	case CERTPICK_KEY_NONE:
	default: return "nowhere";
	}
}

/*
 * The checks: one small function per enum cp_check, in one table (as
 * check_rules.c does for findings). Each writes what it saw into b and
 * returns whether the candidate passes, and if not, why; -1 only when out of
 * memory. Adding a rule: a function, a row in check_table, a cp_check value.
 */
struct check_out {
	bool ok;
	enum certpick_reason why; /* when !ok */
};

typedef int (*check_fn)(struct ctx *c, const struct cp_check_row *row, struct eval *e,
    struct cp_buf *b, struct check_out *r);

static int
chk_size(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	size_t max = cp_cr_limits[c->p->cr_limit].limit;
	/* clients limit the body, the length in the 4-byte header (internal.h) */
	size_t body = c->req->size > 4 ? c->req->size - 4 : 0;

	(void)row;
	(void)e;
	if (c->req->size == 0) {
		cp_buf_printf(b, "request size unknown (written by hand)");
	} else if (body > max) {
		r->ok = false;
		r->why = CERTPICK_REASON_SEL_CR_TOO_LARGE_FOR_CLIENT;
		cp_buf_printf(b,
		    "the CertificateRequest is %zu bytes, a body of %zu over this client's "
		    "limit of %zu: the handshake fails",
		    c->req->size, body, max);
	} else {
		cp_buf_printf(b, "%zu bytes (a body of %zu), within the limit of %zu", c->req->size,
		    body, max);
	}
	return 0;
}

static int
chk_configured(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	(void)row;
	if ((long)e->cand->index == c->configured) {
		cp_buf_printf(b, "the one certificate configured (the first with a key)");
		return 0;
	}
	r->ok = false;
	r->why = CERTPICK_REASON_SEL_NOT_FIRST;
	cp_buf_printf(b,
	    "this client takes exactly one certificate (curl --cert, "
	    "SSL_CTX_use_certificate); the first candidate with a key is it");
	return 0;
}

static int
chk_private_key(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	(void)c;
	(void)row;
	r->ok = e->cand->has_key;
	r->why = CERTPICK_REASON_NO_PRIVATE_KEY;
	if (r->ok)
		cp_buf_printf(b, "private key in %s", key_place(e->cand->key_store));
	else
		cp_buf_printf(b, "no private key found for this certificate");
	return 0;
}

static int
chk_key_usage(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	const struct cp_selcert *leaf = e->cand->leaf;

	(void)row;
	r->why = CERTPICK_REASON_KU_NO_DIGITAL_SIGNATURE;
	if (!leaf->has_ku) {
		cp_buf_printf(b, "no keyUsage extension: all usages allowed");
	} else if (leaf->ku & KU_DIGITAL_SIGNATURE) {
		cp_buf_printf(b, "keyUsage has digitalSignature");
	} else if (c->p->order == CP_ORDER_JAVA &&
	    (leaf->keyalg & (CP_KA_ED25519 | CP_KA_ED448 | CP_KA_RSA_PSS))) {
		cp_buf_printf(b, "keyUsage lacks digitalSignature, not checked for %s keys",
		    cp_keyalg_name(leaf->keyalg));
	} else {
		r->ok = false;
		cp_buf_printf(b, "keyUsage lacks digitalSignature (0x%x)", (unsigned)leaf->ku);
	}
	return 0;
}

static int
chk_eku(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	const struct cp_selcert *leaf = e->cand->leaf;

	(void)c;
	r->why = CERTPICK_REASON_EKU_NO_CLIENT_AUTH;
	if (!leaf->has_eku) {
		cp_buf_printf(b, "no extendedKeyUsage extension: all purposes allowed");
	} else if (leaf->eku_client) {
		cp_buf_printf(b, "extendedKeyUsage has clientAuth");
	} else if (leaf->eku_any && row->eku == CP_EKU_CLIENT_OR_ANY) {
		cp_buf_printf(b, "extendedKeyUsage has anyExtendedKeyUsage, accepted here");
	} else {
		r->ok = false;
		if (leaf->eku_any)
			r->why = CERTPICK_REASON_EKU_ANY_ONLY;
		cp_buf_printf(b, "extendedKeyUsage is %s: no clientAuth%s",
		    leaf->eku_text ? leaf->eku_text : "present",
		    leaf->eku_any ? " (anyExtendedKeyUsage is not accepted here)" : "");
	}
	return 0;
}

static int
chk_validity(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	const struct cp_selcert *leaf = e->cand->leaf;
	char nb[32], na[32];
	struct tm tm;

	(void)row;
	gmtime_r(&leaf->not_before, &tm);
	strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&leaf->not_after, &tm);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (c->now > leaf->not_after) {
		r->ok = false;
		r->why = CERTPICK_REASON_EXPIRED;
		cp_buf_printf(b, "expired: notAfter %s", na);
	} else if (c->now < leaf->not_before) {
		r->ok = false;
		r->why = CERTPICK_REASON_NOT_YET_VALID;
		cp_buf_printf(b, "not yet valid: notBefore %s", nb);
	} else {
		cp_buf_printf(b, "valid from %s to %s", nb, na);
	}
	return 0;
}

static int
chk_key_alg(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	const struct cp_selcert *leaf = e->cand->leaf;

	(void)c;
	r->why = CERTPICK_REASON_SEL_KEY_ALG_UNSUPPORTED;
	r->ok = (leaf->keyalg & row->key_algs) != 0;
	cp_buf_printf(b, "%s key%s", cp_keyalg_name(leaf->keyalg),
	    r->ok ? " supported" : " not supported by this client");
	return 0;
}

static int
chk_cert_types(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	const struct cp_selcert *leaf = e->cand->leaf;
	unsigned ka = 0;

	r->why = CERTPICK_REASON_SEL_KEYTYPE_NOT_IN_CERT_TYPES;
	if (c->tls13) {
		for (size_t i = 0; i < c->req->n_sigalgs; i++)
			ka |= scheme_keys(c->req->sigalgs[i], true);
		/* GnuTLS: an ECDSA scheme names the algorithm, not the curve, and
		 * an RSA key type admits id-RSASSA-PSS keys (_gnutls_pk_are_compat) */
		if (row->ec_by_family && (ka & CP_KA_EC_ANY))
			ka |= CP_KA_EC_ANY;
		if (row->ec_by_family && (ka & CP_KA_RSA))
			ka |= CP_KA_RSA_PSS;
		ka &= row->key_algs | CP_KA_ED25519 | CP_KA_ED448 | CP_KA_RSA_PSS;
		r->ok = (leaf->keyalg & ka) != 0;
		cp_buf_printf(b, "TLS 1.3: %s key %s by the offered signature schemes",
		    cp_keyalg_name(leaf->keyalg), r->ok ? "allowed" : "not allowed");
	} else {
		ka = cert_type_keys(c->req) & row->key_algs;
		r->ok = (leaf->keyalg & ka) != 0;
		cp_buf_printf(b, "TLS 1.2 certificate_types %s %s keys",
		    r->ok ? "allow" : "do not allow", cp_keyalg_name(leaf->keyalg));
	}
	return 0;
}

/* TLS 1.3: does an offered ECDSA scheme name the key's own curve? */
static bool
curve_offered(const struct ctx *c, const struct cp_selcert *leaf)
{
	for (size_t i = 0; i < c->req->n_sigalgs; i++)
		if (scheme_keys(c->req->sigalgs[i], true) & leaf->keyalg)
			return true;
	return false;
}

static int
chk_sigalg(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	const struct cp_selcert *leaf = e->cand->leaf;

	r->why = CERTPICK_REASON_SEL_NO_COMMON_SIGALG;
	r->ok = sigalg_ok(c, row, leaf, b);
	if (!r->ok && (leaf->keyalg & row->key_algs) == 0)
		r->why = CERTPICK_REASON_SEL_KEY_ALG_UNSUPPORTED;
	if (!r->ok || !row->ec_by_family || !c->tls13 || (leaf->keyalg & CP_KA_EC_ANY) == 0 ||
	    curve_offered(c, leaf) || e->after_failed)
		return 0;
	/* chosen by key type; the CertificateVerify then has no scheme (Java) */
	e->after_failed = true;
	e->after_reason = CERTPICK_REASON_SEL_NO_COMMON_SIGALG;
	e->after_detail = cp_asprintf("%s key: no offered scheme for its curve, so the "
				      "CertificateVerify fails after the Certificate went out",
	    cp_keyalg_name(leaf->keyalg));
	return e->after_detail == NULL ? -1 : 0;
}

static int
chk_issuer(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	struct certpick_sel_candidate *o = e->out;

	if (check_issuer(c, row, e, b) != 0)
		return -1;
	r->ok = e->walk.matched;
	r->why = e->walk.encoding_only ? CERTPICK_REASON_SEL_CA_MATCH_ENCODING_ONLY :
					 CERTPICK_REASON_SEL_ISSUER_NOT_LISTED;
	if (!r->ok && e->walk.encoding_only)
		cp_buf_printf(b, " [a CA name matches only after normalization]");
	if (r->ok && e->walk.ca >= 0 && o->matched_ca == NULL &&
	    (o->matched_ca = cp_strdup(dn_text(&c->req->ca_names[e->walk.ca]))) == NULL)
		return -1;
	return 0;
}

/* Is the scheme that signed x among the server's (signature_algorithms_cert,
 * else signature_algorithms)? RSA-PSS signatures match any RSA-PSS scheme. */
static bool
cert_sig_offered(const struct ctx *c, const struct cp_selcert *x)
{
	const uint16_t *list = c->req->sigalgs;
	size_t n = c->req->n_sigalgs;

	if (c->req->has_sigalgs_cert && c->req->n_sigalgs_cert > 0) {
		list = c->req->sigalgs_cert;
		n = c->req->n_sigalgs_cert;
	}
	if (x->sig_scheme == 0)
		return true; /* not a scheme we can name: no judgement */
	for (size_t i = 0; i < n; i++) {
		uint16_t s = list[i];

		if (s == x->sig_scheme)
			return true;
		if (x->sig_scheme == 0x0804 &&
		    ((s >= 0x0804 && s <= 0x0806) || (s >= 0x0809 && s <= 0x080b)))
			return true;
	}
	return false;
}

/* Java PKIX: getAliases skips an entry whose chain fails the algorithm
 * constraints built from the server's signature schemes. */
static int
chk_chain_sigalg(struct ctx *c, const struct cp_check_row *row, struct eval *e, struct cp_buf *b,
    struct check_out *r)
{
	const struct cp_selcand *cand = e->cand;

	(void)row;
	r->why = CERTPICK_REASON_SEL_CHAIN_SIGALG_NOT_OFFERED;
	r->ok = cert_sig_offered(c, cand->leaf);
	if (!r->ok) {
		cp_buf_printf(b, "the certificate's own signature is not an offered scheme");
		return 0;
	}
	for (size_t i = 0; i < cand->n_chain; i++) {
		if (!cert_sig_offered(c, cand->chain[i])) {
			r->ok = false;
			cp_buf_printf(b, "%s is signed with a scheme the server did not offer",
			    dn_text(&cand->chain[i]->subject));
			return 0;
		}
	}
	cp_buf_printf(b, "every configured certificate is signed with an offered scheme");
	return 0;
}

/* Indexed by enum cp_check: the name in the trace and the function. */
static const struct {
	const char *name;
	check_fn fn;
} check_table[] = {
	[CP_CHK_SIZE] = { "request-size", chk_size },
	[CP_CHK_CONFIGURED] = { "configured", chk_configured },
	[CP_CHK_PRIVATE_KEY] = { "private-key", chk_private_key },
	[CP_CHK_KEY_USAGE] = { "key-usage", chk_key_usage },
	[CP_CHK_EKU] = { "extended-key-usage", chk_eku },
	[CP_CHK_VALIDITY] = { "validity", chk_validity },
	[CP_CHK_KEY_ALG] = { "key-algorithm", chk_key_alg },
	[CP_CHK_CERT_TYPES] = { "certificate-types", chk_cert_types },
	[CP_CHK_SIGALG] = { "signature-algorithm", chk_sigalg },
	[CP_CHK_ISSUER] = { "issuer", chk_issuer },
	[CP_CHK_CHAIN_SIGALG] = { "chain-signature", chk_chain_sigalg },
};

/* A failed check: filters, ranks, or (after the choice) is remembered. */
static int
apply_failure(struct eval *e, const struct cp_check_row *row, enum certpick_reason why)
{
	struct certpick_sel_candidate *o = e->out;
	const char *detail = o->trace[o->n_trace - 1].detail;

	if (row->effect == CP_FX_AFTER) {
		if (!e->after_failed) {
			e->after_failed = true;
			e->after_reason = why;
			if ((e->after_detail = cp_strdup(detail)) == NULL)
				return -1;
		}
		return 0;
	}
	if (cp_findings_add_sev(&o->reasons, why,
		row->effect == CP_FX_RANK ? CERTPICK_SEV_WARNING : certpick_reason_severity(why),
		"%s", detail) != 0)
		return -1;
	if (row->effect == CP_FX_RANK) {
		if (row->rank > e->rank)
			e->rank = row->rank;
	} else {
		e->survives = false;
	}
	return 0;
}

/* One row of the profile applied to one candidate: a trace step, and its effect. */
static int
eval_row(struct ctx *c, const struct cp_check_row *row, struct eval *e)
{
	struct check_out r = { .ok = true, .why = CERTPICK_REASON_SEL_ISSUER_NOT_LISTED };
	struct cp_buf b = { 0 };
	const char *name = "?";

	if ((size_t)row->check < CP_NELEM(check_table) && check_table[row->check].fn != NULL) {
		name = check_table[row->check].name;
		if (check_table[row->check].fn(c, row, e, &b, &r) != 0) {
			cp_buf_free(&b);
			return -1;
		}
	}
	if (add_step(e->out, row, name, r.ok, &b) != 0)
		return -1;
	return r.ok ? 0 : apply_failure(e, row, r.why);
}

static int
eval_one(struct ctx *c, struct eval *e)
{
	size_t n = 0;

	e->survives = true;
	while (c->p->checks[n].check != CP_CHK_END)
		n++;
	if ((e->out->trace = cp_calloc(n + 1, sizeof(*e->out->trace))) == NULL)
		return -1;
	for (const struct cp_check_row *row = c->p->checks; row->check != CP_CHK_END; row++)
		if (eval_row(c, row, e) != 0)
			return -1;
	return 0;
}

static int
add_step(struct certpick_sel_candidate *o, const struct cp_check_row *row, const char *check,
    bool passed, struct cp_buf *detail)
{
	/* eval_one sized the array for every check of the profile */
	struct certpick_trace_step *st = &o->trace[o->n_trace++];

	st->check = check;
	st->passed = passed;
	st->decisive = row->effect != CP_FX_RANK;
	/* NULL when the detail could not be written whole */
	st->detail = cp_buf_release(detail);
	return st->detail == NULL ? -1 : 0;
}

/* ---- ordering ---- */

static bool
time_valid(const struct ctx *c, const struct cp_selcert *x)
{
	return c->now >= x->not_before && c->now <= x->not_after;
}

static int
cmp_long(long a, long b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_desc_time(time_t a, time_t b)
{
	return a > b ? -1 : a < b;
}

/* Java key type slot: position of the first offered scheme that names the key's type. */
static long
java_slot(const struct ctx *c, const struct cp_selcert *leaf)
{
	for (size_t i = 0; i < c->req->n_sigalgs; i++) {
		unsigned k = scheme_keys(c->req->sigalgs[i], false);

		/* JSSE maps schemes to "RSA", "RSASSA-PSS", "EC", "EdDSA", "DSA" */
		if (k & CP_KA_EC_ANY)
			k = CP_KA_EC_ANY;
		if (k & (CP_KA_ED25519 | CP_KA_ED448))
			k = CP_KA_ED25519 | CP_KA_ED448;
		if (k & leaf->keyalg)
			return (long)i;
	}
	return (long)c->req->n_sigalgs;
}

/* Chain length as the client counts it: no walk happens when no CA is named. */
static long
walk_len(const struct ctx *c, const struct eval *e)
{
	return c->req->n_ca_names == 0 ? 1 : (long)e->walk.n_path;
}

/* The client's own sort keys, without the tie-breaker. */
static int
order_keys_cmp(const struct ctx *c, const struct eval *a, const struct eval *b)
{
	const struct cp_selcert *la = a->cand->leaf, *lb = b->cand->leaf;
	int r = 0;

	switch (c->p->order) {
	case CP_ORDER_CHROME:
	case CP_ORDER_WINDOWS:
		if (c->p->order == CP_ORDER_CHROME)
			r = -cmp_long(time_valid(c, la), time_valid(c, lb));
		else
			r = -cmp_long(a->cand->key_store == CERTPICK_KEY_PKCS11,
			    b->cand->key_store == CERTPICK_KEY_PKCS11);
		if (r == 0)
			r = cmp_desc_time(la->not_after, lb->not_after);
		if (r == 0)
			r = cmp_desc_time(la->not_before, lb->not_before);
		if (r == 0)
			r = cmp_long(walk_len(c, a), walk_len(c, b));
		break;
	case CP_ORDER_NSS:
		/* CERT_SortCBValidity never decides on notAfter; a tie keeps the
		 * database's enumeration order (the last imported first) */
		r = -cmp_long(time_valid(c, la), time_valid(c, lb));
		if (r == 0)
			r = cmp_desc_time(la->not_before, lb->not_before);
		break;
	case CP_ORDER_GNUTLS:
	case CP_ORDER_JAVA:
		if (c->p->java_pkix_one_call) {
			/* EntryStatus.compareTo: CheckResult, then key index */
			r = cmp_long(a->rank, b->rank);
			if (r == 0)
				r = cmp_long(a->order_key, b->order_key);
			break;
		}
		r = cmp_long(a->order_key, b->order_key);
		if (r == 0 && c->p->order == CP_ORDER_JAVA)
			r = cmp_long(a->rank, b->rank);
		break;
	case CP_ORDER_FIREFOX:
		r = cmp_long(la->has_ku && (la->ku & KU_NON_REPUDIATION),
		    lb->has_ku && (lb->ku & KU_NON_REPUDIATION));
		/* no validity sort; an NSS database is taken first imported first,
		 * the other way round from PK11_ListCerts (our enumeration) */
		if (r == 0 && a->cand->key_store == CERTPICK_KEY_NSS &&
		    b->cand->key_store == CERTPICK_KEY_NSS)
			r = -cmp_long((long)a->cand->index, (long)b->cand->index);
		break;
	case CP_ORDER_CONFIG:
	default: break;
	}
	return r;
}

static int
order_cmp(const void *pa, const void *pb, void *arg)
{
	const struct eval *a = *(struct eval *const *)pa, *b = *(struct eval *const *)pb;
	int r = order_keys_cmp(arg, a, b);

	return r != 0 ? r : cmp_long((long)a->cand->index, (long)b->cand->index);
}

/* ord[i] moves to the front; the others keep their order. */
static void
to_front(struct eval **ord, size_t i)
{
	struct eval *e = ord[i];

	memmove(ord + 1, ord, i * sizeof(*ord));
	ord[0] = e;
}

/*
 * Java PKIX (X509KeyManagerImpl.getAliases, findAll false): walking the
 * keystore, an OK entry of the server's first key type returns at once;
 * otherwise chooseAlias takes the first entry found if it is OK, and only
 * then sorts by (CheckResult, key index). ord is already in that sort.
 */
static void
java_pkix_front(struct eval **ord, size_t k)
{
	size_t first = 0, best = k;

	for (size_t i = 0; i < k; i++) {
		if (ord[i]->cand->index < ord[first]->cand->index)
			first = i;
		if (ord[i]->rank == 0 && ord[i]->order_key == 0 &&
		    (best == k || ord[i]->cand->index < ord[best]->cand->index))
			best = i;
	}
	if (best == k && k > 0 && ord[first]->rank == 0)
		best = first;
	if (best < k)
		to_front(ord, best);
}

/* Sorting clients whose sort is not stable: a tie at the top is a coin toss. */
static bool
top_tie(const struct ctx *c, struct eval **ord, size_t k)
{
	switch (c->p->order) {
	case CP_ORDER_CHROME:
	case CP_ORDER_WINDOWS: return k > 1 && order_keys_cmp(c, ord[0], ord[1]) == 0;
	default: return false;
	}
}

static const char *
order_text(const struct certpick_profile *p)
{
	if (p->java_pkix_one_call)
		return "an OK entry of the server's first key type, else the first keystore "
		       "entry if OK, else best check result, then key type, then keystore order";
	switch (p->order) {
	case CP_ORDER_CHROME:
		return "time-valid first, then later notAfter, later notBefore, "
		       "shorter chain";
	case CP_ORDER_WINDOWS:
		return "smart card first, then later notAfter, later notBefore, "
		       "shorter chain";
	case CP_ORDER_NSS: return "valid first, then newer notBefore, then database order";
	case CP_ORDER_GNUTLS: return "the server's CA order, then configuration order";
	case CP_ORDER_JAVA:
		return "key type in the server's signature-scheme order, then "
		       "keystore order";
	case CP_ORDER_FIREFOX:
		return "import order (an NSS database: the first imported first), "
		       "nonRepudiation certificates last";
	case CP_ORDER_CONFIG:
	default: return "configuration order";
	}
}

/* Windows CertSelect / Chrome-mac: only the newest certificate per subject is kept. */
static int
dedupe(struct ctx *c, struct eval **ord, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		bool newer_exists = false;

		for (size_t j = 0; j < *n; j++) {
			const struct cp_selcert *a = ord[i]->cand->leaf, *b = ord[j]->cand->leaf;

			if (i == j || !certpick_dn_equal_exact(&a->subject, &b->subject))
				continue;
			if (b->not_before > a->not_before ||
			    (b->not_before == a->not_before && j < i))
				newer_exists = true;
		}
		if (newer_exists) {
			ord[i]->survives = false;
			if (cp_findings_add(&ord[i]->out->reasons,
				CERTPICK_REASON_SEL_DUPLICATE_SUPERSEDED, "same subject %s",
				dn_text(&ord[i]->cand->leaf->subject)) != 0)
				return -1;
		} else {
			ord[k++] = ord[i];
		}
	}
	(void)c;
	*n = k;
	return 0;
}

/* ---- result ---- */

static int
fill_chain(struct certpick_sel_candidate *o, const struct walk *w, bool configured,
    const struct cp_selcand *cand)
{
	size_t n = configured ? cand->n_chain + 1 : w->n_path;

	if (n == 0)
		n = 1;
	if ((o->chain = cp_calloc(n, sizeof(*o->chain))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct cp_selcert *x = configured ?
		    (i == 0 ? cand->leaf : cand->chain[i - 1]) :
		    (w->n_path ? w->path[i] : cand->leaf);

		/* a store walk never sends the self-signed root */
		if (!configured && i > 0 && x->self_issued)
			break;
		o->chain[o->n_chain].subject = cp_strdup(dn_text(&x->subject));
		memcpy(o->chain[o->n_chain].sha256, x->sha256, sizeof(x->sha256));
		if (o->chain[o->n_chain++].subject == NULL)
			return -1;
	}
	return 0;
}

static bool
has_issuer_check(const struct certpick_profile *p, enum cp_walk *walk)
{
	for (const struct cp_check_row *row = p->checks; row->check != CP_CHK_END; row++)
		if (row->check == CP_CHK_ISSUER) {
			*walk = row->walk;
			return true;
		}
	*walk = CP_WALK_CONFIGURED;
	return false;
}

static void trace_line(const struct certpick_select_options *opts, const char *fmt, ...)
    CERTPICK_PRINTF(2, 3);

static void
trace_line(const struct certpick_select_options *opts, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (opts == NULL || opts->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	opts->trace(opts->trace_arg, line);
}

static int
decide(struct ctx *c, struct eval *ev, size_t n, struct certpick_selection *s,
    const struct certpick_select_options *opts)
{
	struct eval **ord = NULL;
	size_t k = 0, n_creds = 0;
	long pick = -1;
	int ret = -1;

	if (n > 0 && (ord = cp_calloc(n, sizeof(*ord))) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		n_creds += ev[i].cand->has_key;
		if (ev[i].survives)
			ord[k++] = &ev[i];
	}
	if (c->p->gnutls_empty_list && c->req->n_ca_names == 0 && n_creds > 1) {
		/* RFC 5246 allows any certificate; GnuTLS sends none (auth/cert.c) */
		for (size_t i = 0; i < k; i++) {
			ord[i]->survives = false;
			if (cp_findings_add(&ord[i]->out->reasons,
				CERTPICK_REASON_SEL_NO_CREDENTIAL_EMPTY_LIST, "%zu credentials",
				n_creds) != 0)
				goto out;
		}
		if (cp_findings_add(&s->findings, CERTPICK_REASON_SEL_NO_CREDENTIAL_EMPTY_LIST,
			"%zu credentials and no CA names", n_creds) != 0)
			goto out;
		k = 0;
	}
	for (size_t i = 0; i < k; i++) {
		if (c->p->order == CP_ORDER_GNUTLS)
			ord[i]->order_key = ord[i]->walk.ca < 0 ? 0 : ord[i]->walk.ca;
		else if (c->p->order == CP_ORDER_JAVA)
			ord[i]->order_key = java_slot(c, ord[i]->cand->leaf);
	}
	if (k > 1)
		qsort_r(ord, k, sizeof(*ord), order_cmp, c);
	if (c->p->java_pkix_one_call)
		java_pkix_front(ord, k);
	if (c->p->dedupe && dedupe(c, ord, &k) != 0)
		goto out;
	if (top_tie(c, ord, k) &&
	    cp_findings_add(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE,
		"%s and %s tie on every sort key (%s)", ord[0]->out->subject, ord[1]->out->subject,
		order_text(c->p)) != 0)
		goto out;
	if (c->p->order == CP_ORDER_JAVA && k > 1 && c->p->unpredictable_order &&
	    ord[1]->order_key == ord[0]->order_key) {
		if (cp_findings_add(&s->findings, CERTPICK_REASON_SEL_ORDER_UNPREDICTABLE,
			"%s and %s have the same key type", ord[0]->out->subject,
			ord[1]->out->subject) != 0)
			goto out;
	}
	for (size_t i = 0; i < k; i++)
		trace_line(opts, "%s: survivor %zu: %s", c->p->name, i + 1, ord[i]->out->subject);

	if (k > 0)
		pick = (long)(ord[0] - ev);
	if (pick >= 0 && ev[pick].after_failed) {
		/* checked after the choice: the client does not try another one */
		if (cp_findings_add(&s->findings, ev[pick].after_reason, "%s: %s",
			ev[pick].out->subject,
			ev[pick].after_detail ? ev[pick].after_detail : "") != 0 ||
		    cp_findings_add(&ev[pick].out->reasons, ev[pick].after_reason, "%s",
			ev[pick].after_detail ? ev[pick].after_detail : "") != 0)
			goto out;
	}
	switch (c->p->picker) {
	case CP_PICKER_NONE:
		s->prompt = false;
		s->chosen =
		    pick >= 0 && (!ev[pick].after_failed || c->p->after_fail_sends) ? pick : -1;
		s->auto_choice = s->chosen;
		break;
	case CP_PICKER_IE:
		s->prompt = k > 0;
		s->chosen = -1;
		s->auto_choice = k == 1 && !ev[pick].after_failed ? pick : -1;
		break;
	case CP_PICKER_CHROME:
	case CP_PICKER_FIREFOX:
	default:
		s->prompt = k > 0;
		s->chosen = -1;
		s->auto_choice = pick >= 0 && !ev[pick].after_failed ? pick : -1;
		break;
	}
	if (s->prompt &&
	    cp_findings_add(&s->findings, CERTPICK_REASON_SEL_AUTOSELECT_NO_MATCH, "%s",
		c->p->picker_note ? c->p->picker_note : "") != 0)
		goto out;

	for (size_t i = 0; i < n; i++)
		ev[i].out->verdict = CERTPICK_VERDICT_FILTERED;
	for (size_t i = 0; i < k; i++) {
		struct eval *e = ord[i];

		e->out->verdict = CERTPICK_VERDICT_ELIGIBLE;
		if (i > 0 &&
		    cp_findings_add(&e->out->reasons, CERTPICK_REASON_SEL_NOT_FIRST,
			"%s comes first (%s)", ord[0]->out->subject, order_text(c->p)) != 0)
			goto out;
	}
	if (s->chosen >= 0)
		ev[s->chosen].out->verdict = CERTPICK_VERDICT_CHOSEN;
	else if (s->auto_choice >= 0)
		ev[s->auto_choice].out->verdict = CERTPICK_VERDICT_CHOSEN;
	{
		enum cp_walk walk;
		bool cfg = !has_issuer_check(c->p, &walk) || walk == CP_WALK_CONFIGURED;

		for (size_t i = 0; i < k; i++)
			if (fill_chain(ord[i]->out, &ord[i]->walk, cfg, ord[i]->cand) != 0)
				goto out;
	}
	if (s->chosen >= 0 && ev[s->chosen].after_failed)
		s->note = cp_asprintf("sends %s, then the handshake fails (%s)",
		    ev[s->chosen].out->subject, certpick_reason_id(ev[s->chosen].after_reason));
	else if (s->chosen >= 0)
		s->note = cp_asprintf("sends %s", ev[s->chosen].out->subject);
	else if (s->prompt && s->auto_choice >= 0)
		s->note = cp_asprintf("shows a picker with %zu certificate%s; with auto-selection "
				      "(%s) it sends %s",
		    k, k == 1 ? "" : "s", c->p->picker_note, ev[s->auto_choice].out->subject);
	else if (s->prompt)
		s->note = cp_asprintf("shows a picker with %zu certificate%s; auto-selection "
				      "(%s) does not send one by itself",
		    k, k == 1 ? "" : "s", c->p->picker_note);
	else if (pick >= 0)
		s->note = cp_asprintf("picks %s but cannot use it: sends no certificate",
		    ev[pick].out->subject);
	else
		s->note = cp_strdup("sends no certificate");
	if (s->note == NULL ||
	    cp_select_outcome(c->p, c->req, opts, s,
		s->chosen >= 0 && ev[s->chosen].after_failed) != 0)
		goto out;
	ret = 0;
out:
	free(ord);
	return ret;
}

/* see select_int.h */
int
cp_select_run_facts(const struct certpick_profile *p, const struct cp_selcand *cands, size_t n,
    const struct cp_selstore *store, const struct certpick_certreq *req,
    const struct certpick_select_options *opts, struct certpick_selection **out,
    struct certpick_error *err)
{
	struct certpick_selection *s = NULL;
	struct eval *ev = NULL;
	struct ctx c = { 0 };
	int ret = -1;

	*out = NULL;
	if (p == NULL || req == NULL || (n > 0 && cands == NULL))
		return cp_error_set(err, CERTPICK_ERR_USAGE, "select: missing profile or request");
	c.p = p;
	c.req = req;
	c.store = store;
	c.now = opts != NULL && opts->now != 0 ? opts->now : time(NULL);
	c.tls13 = req->tls_version >= CERTPICK_TLS13;
	c.configured = -1;
	for (size_t i = 0; i < n && c.configured < 0; i++)
		if (cands[i].has_key)
			c.configured = (long)cands[i].index;
	if (ca_index_build(&c.ix, req, err) != 0)
		goto out;
	if ((s = cp_calloc(1, sizeof(*s))) == NULL ||
	    (n > 0 && (s->v = cp_calloc(n, sizeof(*s->v))) == NULL) ||
	    (n > 0 && (ev = cp_calloc(n, sizeof(*ev))) == NULL)) {
		cp_error_nomem(err);
		goto out;
	}
	s->profile = p;
	s->n = n;
	s->chosen = s->auto_choice = s->if_asked = -1;
	for (size_t i = 0; i < n; i++) {
		struct certpick_sel_candidate *o = &s->v[i];

		o->index = cands[i].index;
		memcpy(o->sha256, cands[i].leaf->sha256, sizeof(o->sha256));
		o->source = cp_strdup(cands[i].source ? cands[i].source : "");
		o->subject = cp_strdup(dn_text(&cands[i].leaf->subject));
		ev[i].out = o;
		ev[i].cand = &cands[i];
		if (o->source == NULL || o->subject == NULL || eval_one(&c, &ev[i]) != 0) {
			cp_error_nomem(err);
			goto out;
		}
		trace_line(opts, "%s: %s: %s", p->name, o->subject,
		    ev[i].survives ? "qualifies" : "filtered");
	}
	if (decide(&c, ev, n, s, opts) != 0) {
		cp_error_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		certpick_findings_sort(&s->v[i].reasons);
	*out = s;
	s = NULL;
	ret = 0;
out:
	for (size_t i = 0; ev != NULL && i < n; i++)
		free(ev[i].after_detail);
	free(ev);
	ca_index_release(&c.ix);
	certpick_selection_free(s);
	return ret;
}

/* see certpick/select.h */
void
certpick_selection_free(struct certpick_selection *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct certpick_sel_candidate *o = &s->v[i];

		free(o->source);
		free(o->subject);
		free(o->matched_ca);
		certpick_findings_release(&o->reasons);
		for (size_t j = 0; j < o->n_trace; j++)
			free(o->trace[j].detail);
		free(o->trace);
		for (size_t j = 0; j < o->n_chain; j++)
			free(o->chain[j].subject);
		free(o->chain);
	}
	free(s->v);
	certpick_findings_release(&s->findings);
	free(s->note);
	free(s);
}

/* see certpick/select.h */
const char *
certpick_verdict_name(enum certpick_verdict v)
{
	switch (v) {
	case CERTPICK_VERDICT_CHOSEN: return "chosen";
	case CERTPICK_VERDICT_ELIGIBLE: return "eligible";
	case CERTPICK_VERDICT_FILTERED:
	default: return "filtered";
	}
}
