/*
 * The cost of a password-based key derivation, read before OpenSSL runs it.
 *
 * A PKCS#12 file or an encrypted PKCS#8 key names its own iteration count
 * (and, for scrypt, its own memory). OpenSSL derives whatever the file asks
 * for, so a hostile 2,000,000,000-iteration .pfx would spin for hours and an
 * scrypt key could ask for a gigabyte. certpick refuses such files up front,
 * with the number, so loading stays bounded in time and memory.
 *
 * The bound is per file, not per derivation: a .pfx with fifty key bags each
 * just under the limit would otherwise cost fifty times as much (two minutes
 * of CPU for 13.7 KB). A budget is charged for the MAC (each time it is
 * tried), every encrypted part and every shrouded key bag, before each runs.
 */
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "internal.h"

/*
 * scrypt: OpenSSL itself refuses more than 32 MiB (128 * N * r); the time is
 * N * r * p block mixes, bounded here (the usual N=2^14, r=8, p=1 is 2^17).
 */
#define SCRYPT_MAX_MEM (32UL * 1024 * 1024)
#define SCRYPT_MAX_WORK (1UL << 24)

/* An INTEGER as an unsigned long; ULONG_MAX when negative or too large. */
static unsigned long
int_value(const ASN1_INTEGER *i)
{
	uint64_t v;

	if (i == NULL)
		return 1;
	if (!ASN1_INTEGER_get_uint64(&v, i) || v > ULONG_MAX) {
		ERR_clear_error();
		return ULONG_MAX;
	}
	return (unsigned long)v;
}

static int
too_costly(const char *what, unsigned long asked, unsigned long limit, const char *source,
    struct certpick_error *err)
{
	cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
	cp_error_detail(err,
	    "%s asks for %lu iterations; certpick stops at %lu "
	    "(a larger count could take hours to derive)",
	    what, asked, limit);
	return -1;
}

static unsigned long
limit_of(unsigned long max_iter)
{
	return max_iter != 0 ? max_iter : CERTPICK_MAX_PBE_ITERATIONS;
}

/*
 * What a derivation costs: PBKDF iterations into *iter, scrypt block mixes
 * (N*r*p) into *work. A malformed parameter costs nothing: OpenSSL refuses
 * it without deriving.
 */
struct cost {
	unsigned long iter;
	unsigned long work;
	unsigned long n, r, p; /* scrypt, for the message */
};

static void
pbkdf2_cost(const ASN1_TYPE *param, struct cost *c)
{
	PBKDF2PARAM *kdf;

	if ((kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), param)) == NULL) {
		ERR_clear_error();
		return;
	}
	c->iter = int_value(kdf->iter);
	PBKDF2PARAM_free(kdf);
}

static void
scrypt_cost(const ASN1_TYPE *param, struct cost *c)
{
	SCRYPT_PARAMS *sp;

	if ((sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), param)) == NULL) {
		ERR_clear_error();
		return;
	}
	c->n = int_value(sp->costParameter);
	c->r = int_value(sp->blockSize);
	c->p = int_value(sp->parallelizationParameter);
	SCRYPT_PARAMS_free(sp);
	if (c->r == 0 || c->p == 0)
		return; /* OpenSSL refuses these without deriving */
	if (c->n > SCRYPT_MAX_MEM / 128 / c->r || c->n * c->r > SCRYPT_MAX_WORK / c->p)
		c->work = ULONG_MAX;
	else
		c->work = c->n * c->r * c->p;
}

static void
pbes2_cost(const ASN1_TYPE *param, struct cost *c)
{
	PBE2PARAM *pbe2;
	const ASN1_OBJECT *kdf_oid;
	const void *kdf_param;
	const ASN1_TYPE *seq;
	int kdf_ptype;

	if ((pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), param)) == NULL) {
		ERR_clear_error();
		return;
	}
	X509_ALGOR_get0(&kdf_oid, &kdf_ptype, &kdf_param, pbe2->keyfunc);
	seq = kdf_ptype == V_ASN1_SEQUENCE ? pbe2->keyfunc->parameter : NULL;
	switch (OBJ_obj2nid(kdf_oid)) {
	case NID_id_pbkdf2: pbkdf2_cost(seq, c); break;
	case NID_id_scrypt: scrypt_cost(seq, c); break;
	default: break; /* OpenSSL knows no other KDF for PBES2 */
	}
	PBE2PARAM_free(pbe2);
}

static void
alg_cost(const X509_ALGOR *alg, struct cost *c)
{
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype;
	PBEPARAM *pbe;

	memset(c, 0, sizeof(*c));
	if (alg == NULL)
		return;
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE)
		return; /* no parameters: OpenSSL fails before deriving */
	if (OBJ_obj2nid(oid) == NID_pbes2) {
		pbes2_cost(alg->parameter, c);
		return;
	}
	/* PKCS#5 v1 and PKCS#12 PBE: PBEParameter ::= SEQUENCE { salt, iterations } */
	if ((pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter)) == NULL) {
		ERR_clear_error();
		return;
	}
	c->iter = int_value(pbe->iter);
	PBEPARAM_free(pbe);
}

static int
over_budget(struct cp_pbe_budget *b, const char *source, struct certpick_error *err)
{
	cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
	cp_error_detail(err,
	    "its key derivations (the MAC and every encrypted part and key "
	    "together) ask for more than %lu iterations; certpick stops at %lu per file",
	    b->limit, b->limit);
	return -1;
}

/* Charge one derivation of what, refusing it (and leaving b as is) when over. */
static int
charge(struct cp_pbe_budget *b, const char *what, const struct cost *c, const char *source,
    struct certpick_error *err)
{
	if (c->work == ULONG_MAX) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
		cp_error_detail(err,
		    "scrypt asks for N=%lu r=%lu p=%lu; certpick stops at "
		    "%lu MiB and N*r*p = %lu",
		    c->n, c->r, c->p, SCRYPT_MAX_MEM >> 20, SCRYPT_MAX_WORK);
		return -1;
	}
	if (c->iter > b->limit)
		return too_costly(what, c->iter, b->limit, source, err);
	if (c->iter > b->left || c->work > b->work_left) {
		if (c->work > b->work_left) {
			cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
			cp_error_detail(err,
			    "its scrypt derivations ask for more than N*r*p = %lu "
			    "in all; certpick stops there per file",
			    SCRYPT_MAX_WORK);
			return -1;
		}
		return over_budget(b, source, err);
	}
	b->left -= c->iter;
	b->work_left -= c->work;
	return 0;
}

/* see internal.h */
void
cp_pbe_budget_init(struct cp_pbe_budget *b, unsigned long max_iter)
{
	b->limit = limit_of(max_iter);
	b->left = b->limit;
	b->work_left = SCRYPT_MAX_WORK;
}

/* see internal.h */
int
cp_pbe_charge(struct cp_pbe_budget *b, const X509_ALGOR *alg, const char *source,
    struct certpick_error *err)
{
	struct cost c;
	const ASN1_OBJECT *oid = NULL;

	alg_cost(alg, &c);
	if (alg != NULL)
		X509_ALGOR_get0(&oid, NULL, NULL, alg);
	return charge(b,
	    oid != NULL && OBJ_obj2nid(oid) == NID_pbes2 ? "PBKDF2" :
							   "the password-based encryption",
	    &c, source, err);
}

/* see internal.h */
int
cp_pbe_charge_mac(struct cp_pbe_budget *b, const PKCS12 *p12, const char *source,
    struct certpick_error *err)
{
	const ASN1_INTEGER *iter = NULL;
	struct cost c = { 0 };

	if (!PKCS12_mac_present(p12))
		return 0;
	PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
	c.iter = int_value(iter);
	return charge(b, "the PKCS#12 MAC", &c, source, err);
}

int
cp_pbe_check(const X509_ALGOR *alg, unsigned long max_iter, const char *source,
    struct certpick_error *err)
{
	struct cp_pbe_budget b;

	cp_pbe_budget_init(&b, max_iter);
	return cp_pbe_charge(&b, alg, source, err);
}

int
cp_pbe_check_mac(const PKCS12 *p12, unsigned long max_iter, const char *source,
    struct certpick_error *err)
{
	struct cp_pbe_budget b;

	cp_pbe_budget_init(&b, max_iter);
	return cp_pbe_charge_mac(&b, p12, source, err);
}
