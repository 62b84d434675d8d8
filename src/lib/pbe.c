/*
 * The cost of a password-based key derivation, read before OpenSSL runs it.
 *
 * A PKCS#12 file or an encrypted PKCS#8 key names its own iteration count
 * (and, for scrypt, its own memory). OpenSSL derives whatever the file asks
 * for, so a hostile 2,000,000,000-iteration .pfx would spin for hours and an
 * scrypt key could ask for a gigabyte. certpick refuses such files up front,
 * with the number, so loading stays bounded in time and memory.
 */
#include <limits.h>

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
	cp_error_detail(err, "%s asks for %lu iterations; certpick stops at %lu "
	    "(a larger count could take hours to derive)", what, asked, limit);
	return -1;
}

static unsigned long
limit_of(unsigned long max_iter)
{
	return max_iter != 0 ? max_iter : CERTPICK_MAX_PBE_ITERATIONS;
}

static int
check_pbkdf2(const ASN1_TYPE *param, unsigned long limit, const char *source,
    struct certpick_error *err)
{
	PBKDF2PARAM *kdf;
	unsigned long iter;

	if ((kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), param)) == NULL) {
		ERR_clear_error();
		return 0;	/* malformed: OpenSSL refuses it without deriving */
	}
	iter = int_value(kdf->iter);
	PBKDF2PARAM_free(kdf);
	return iter > limit ? too_costly("PBKDF2", iter, limit, source, err) : 0;
}

static int
check_scrypt(const ASN1_TYPE *param, const char *source, struct certpick_error *err)
{
	SCRYPT_PARAMS *sp;
	unsigned long n, r, p;
	int ret = 0;

	if ((sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), param)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	n = int_value(sp->costParameter);
	r = int_value(sp->blockSize);
	p = int_value(sp->parallelizationParameter);
	SCRYPT_PARAMS_free(sp);
	if (r == 0 || p == 0)
		return 0;	/* OpenSSL refuses these without deriving */
	if (n > SCRYPT_MAX_MEM / 128 / r || n * r > SCRYPT_MAX_WORK / p) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot read '%s'", source);
		cp_error_detail(err, "scrypt asks for N=%lu r=%lu p=%lu; certpick stops at "
		    "%lu MiB and N*r*p = %lu", n, r, p, SCRYPT_MAX_MEM >> 20, SCRYPT_MAX_WORK);
		ret = -1;
	}
	return ret;
}

static int
check_pbes2(const ASN1_TYPE *param, unsigned long limit, const char *source,
    struct certpick_error *err)
{
	PBE2PARAM *pbe2;
	const ASN1_OBJECT *kdf_oid;
	const void *kdf_param;
	int kdf_ptype, ret = 0;

	if ((pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), param)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	X509_ALGOR_get0(&kdf_oid, &kdf_ptype, &kdf_param, pbe2->keyfunc);
	switch (OBJ_obj2nid(kdf_oid)) {
	case NID_id_pbkdf2:
		ret = check_pbkdf2(kdf_ptype == V_ASN1_SEQUENCE ? pbe2->keyfunc->parameter : NULL,
		    limit, source, err);
		break;
	case NID_id_scrypt:
		ret = check_scrypt(kdf_ptype == V_ASN1_SEQUENCE ? pbe2->keyfunc->parameter : NULL,
		    source, err);
		break;
	default:
		break;		/* OpenSSL knows no other KDF for PBES2 */
	}
	PBE2PARAM_free(pbe2);
	return ret;
}

int
cp_pbe_check(const X509_ALGOR *alg, unsigned long max_iter, const char *source,
    struct certpick_error *err)
{
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype;
	PBEPARAM *pbe;
	unsigned long iter, limit = limit_of(max_iter);

	if (alg == NULL)
		return 0;
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE)
		return 0;	/* no parameters: OpenSSL fails before deriving */
	if (OBJ_obj2nid(oid) == NID_pbes2)
		return check_pbes2(alg->parameter, limit, source, err);
	/* PKCS#5 v1 and PKCS#12 PBE: PBEParameter ::= SEQUENCE { salt, iterations } */
	if ((pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	iter = int_value(pbe->iter);
	PBEPARAM_free(pbe);
	return iter > limit ? too_costly("the password-based encryption", iter, limit, source,
	    err) : 0;
}

int
cp_pbe_check_mac(const PKCS12 *p12, unsigned long max_iter, const char *source,
    struct certpick_error *err)
{
	const ASN1_INTEGER *iter = NULL;
	unsigned long n, limit = limit_of(max_iter);

	if (!PKCS12_mac_present(p12))
		return 0;
	PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
	n = int_value(iter);
	return n > limit ? too_costly("the PKCS#12 MAC", n, limit, source, err) : 0;
}
