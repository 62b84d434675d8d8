/*
 * Facts about one certificate that client selection rules look at (KU, EKU,
 * validity, key algorithm, names) and the store: every certificate known,
 * indexed by subject so issuer walks cost O(1) per step. Never prints.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "select_int.h"

const char *
cp_keyalg_name(unsigned ka)
{
	switch (ka) {
	case CP_KA_RSA: return "RSA";
	case CP_KA_RSA_PSS: return "RSA-PSS";
	case CP_KA_EC_P256: return "ECDSA P-256";
	case CP_KA_EC_P384: return "ECDSA P-384";
	case CP_KA_EC_P521: return "ECDSA P-521";
	case CP_KA_EC_OTHER: return "ECDSA (other curve)";
	case CP_KA_ED25519: return "Ed25519";
	case CP_KA_ED448: return "Ed448";
	case CP_KA_DSA: return "DSA";
	default: return "unknown key type";
	}
}

static unsigned
key_alg(EVP_PKEY *pk)
{
	char group[64];
	size_t glen = 0;

	if (pk == NULL)
		return CP_KA_OTHER;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: return CP_KA_RSA;
	case EVP_PKEY_RSA_PSS: return CP_KA_RSA_PSS;
	case EVP_PKEY_ED25519: return CP_KA_ED25519;
	case EVP_PKEY_ED448: return CP_KA_ED448;
	case EVP_PKEY_DSA: return CP_KA_DSA;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
			sizeof(group), &glen) != 1)
			return CP_KA_EC_OTHER;
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			return CP_KA_EC_P256;
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			return CP_KA_EC_P384;
		if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
			return CP_KA_EC_P521;
		return CP_KA_EC_OTHER;
	default: return CP_KA_OTHER;
	}
}

/*
 * The key's type and size: from its encoding for RSA and the NIST curves
 * (cp_spki_read), else from the decoded key.
 */
static void
key_facts(X509 *x, unsigned *alg, int *bits)
{
	struct cp_spki s;
	EVP_PKEY *pk;

	if (cp_spki_read(x, &s) == 0) {
		*bits = s.bits;
		if (s.type == EVP_PKEY_RSA)
			*alg = CP_KA_RSA;
		else if (s.curve == NID_X9_62_prime256v1)
			*alg = CP_KA_EC_P256;
		else if (s.curve == NID_secp384r1)
			*alg = CP_KA_EC_P384;
		else
			*alg = CP_KA_EC_P521;
		return;
	}
	pk = cp_x509_pubkey(x);
	*alg = key_alg(pk);
	*bits = pk != NULL ? EVP_PKEY_get_bits(pk) : 0;
}

static char *
eku_text(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	char *out = NULL, *tmp;
	char buf[128];

	if (eku == NULL)
		return NULL;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(o);

		if (nid == NID_anyExtendedKeyUsage)
			snprintf(buf, sizeof(buf), "anyExtendedKeyUsage");
		else if (nid != NID_undef)
			snprintf(buf, sizeof(buf), "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(buf, sizeof(buf), o, 1);
		tmp = out == NULL ? cp_strdup(buf) : cp_asprintf("%s, %s", out, buf);
		free(out);
		if ((out = tmp) == NULL)
			break;
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return out;
}

/* A pre-filter for normalized comparison: FNV-1a of the rendering, lowercased, blanks dropped. */
unsigned long
cp_dn_loose_hash(const struct certpick_dn *dn)
{
	unsigned long h = 2166136261u;

	if (dn->rfc4514 == NULL)
		return 0;
	for (const char *p = dn->rfc4514; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ' ' || ch == '\t')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		h = (h ^ ch) * 16777619u;
	}
	return h;
}

/*
 * A name's facts: copied from the candidate's when it has them (known),
 * else from the parsed name (cp_dn_from_name: dn.c's rendering, without
 * parsing the DER again); its loose key for the CA-name index.
 */
static int
dn_from_name(struct certpick_dn *dn, const X509_NAME *name, const struct certpick_dn *known,
    unsigned long *loose, struct certpick_error *err)
{
	if ((known != NULL && known->valid ? certpick_dn_copy(dn, known, err) :
					     cp_dn_from_name(dn, name, err)) != 0)
		return -1;
	*loose = cp_dn_loose_hash(dn);
	return 0;
}

/* The TLS signature scheme that names a certificate's own signature, as Java's
 * algorithm constraints see it ("SHA256withECDSA" is one name for any curve). */
static uint16_t
sig_scheme(const X509 *x)
{
	static const struct {
		int md, pk;
		uint16_t scheme;
	} map[] = {
		{ NID_sha1, NID_rsaEncryption, 0x0201 },
		{ NID_sha256, NID_rsaEncryption, 0x0401 },
		{ NID_sha384, NID_rsaEncryption, 0x0501 },
		{ NID_sha512, NID_rsaEncryption, 0x0601 },
		{ NID_sha1, NID_X9_62_id_ecPublicKey, 0x0203 },
		{ NID_sha256, NID_X9_62_id_ecPublicKey, 0x0403 },
		{ NID_sha384, NID_X9_62_id_ecPublicKey, 0x0503 },
		{ NID_sha512, NID_X9_62_id_ecPublicKey, 0x0603 },
		{ NID_undef, NID_ED25519, 0x0807 },
		{ NID_undef, NID_ED448, 0x0808 },
	};
	int md = NID_undef, pk = NID_undef;

	if (OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk) != 1)
		return 0;
	if (pk == NID_rsassaPss)
		return 0x0804;
	for (size_t i = 0; i < CP_NELEM(map); i++)
		if (map[i].md == md && map[i].pk == pk)
			return map[i].scheme;
	return 0;
}

/* The names' facts known already (a candidate's), or NULL. */
struct known_names {
	const struct certpick_dn *subject, *issuer;
};

static int
selcert_make(X509 *x, const unsigned char *digest, EVP_MD *md, struct known_names known,
    struct cp_selcert **out, struct certpick_error *err)
{
	struct cp_selcert *c = NULL;
	unsigned char md_buf[32];
	unsigned int mdlen = 0;
	uint32_t flags;
	int ret = -1;

	*out = NULL;
	if ((c = cp_calloc(1, sizeof(*c))) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (X509_up_ref(x) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot reference a certificate");
		goto out;
	}
	c->x509 = x;
	if (digest == NULL) {
		if (X509_digest(x, md, md_buf, &mdlen) != 1 || mdlen != 32) {
			cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot hash a certificate");
			goto out;
		}
		digest = md_buf;
	}
	for (unsigned i = 0; i < 32; i++) {
		static const char hex[] = "0123456789abcdef";

		c->sha256[2 * i] = hex[digest[i] >> 4];
		c->sha256[2 * i + 1] = hex[digest[i] & 15];
	}
	c->sha256[64] = '\0';
	if (dn_from_name(&c->subject, X509_get_subject_name(x), known.subject, &c->subject_canon,
		err) != 0 ||
	    dn_from_name(&c->issuer, X509_get_issuer_name(x), known.issuer, &c->issuer_canon,
		err) != 0)
		goto out;
	c->not_before = cp_asn1_time(X509_get0_notBefore(x));
	c->not_after = cp_asn1_time(X509_get0_notAfter(x));
	flags = X509_get_extension_flags(x);
	c->has_ku = (flags & EXFLAG_KUSAGE) != 0;
	c->ku = c->has_ku ? X509_get_key_usage(x) : 0;
	c->has_eku = (flags & EXFLAG_XKUSAGE) != 0;
	if (c->has_eku) {
		uint32_t xku = X509_get_extended_key_usage(x);

		c->eku_client = (xku & XKU_SSL_CLIENT) != 0;
		c->eku_any = (xku & XKU_ANYEKU) != 0;
		c->eku_text = eku_text(x);
	}
	c->self_issued = (flags & EXFLAG_SI) != 0;
	c->sig_scheme = sig_scheme(x);
	key_facts(x, &c->keyalg, &c->key_bits);
	ERR_clear_error();
	*out = c;
	c = NULL;
	ret = 0;
out:
	cp_selcert_free(c);
	return ret;
}

/* see select_int.h */
int
cp_selcert_new(X509 *x, struct cp_selcert **out, struct certpick_error *err)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	int ret;

	*out = NULL;
	if (md == NULL)
		ret = cp_error_set_ossl(err, CERTPICK_ERR_NOMEM, "cannot set up hashing");
	else
		ret = selcert_make(x, NULL, md, (struct known_names){ NULL, NULL }, out, err);
	EVP_MD_free(md);
	return ret;
}

void
cp_selcert_free(struct cp_selcert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	certpick_dn_release(&c->subject);
	certpick_dn_release(&c->issuer);
	free(c->eku_text);
	free(c);
}

static uint64_t
ptr_key(const void *p)
{
	uintptr_t v = (uintptr_t)p;

	return cp_hash_bytes(&v, sizeof(v));
}

/* Room for one more certificate in certs and next. */
static int
reserve(struct cp_selstore *s)
{
	size_t cap = s->cap ? 2 * s->cap : 32;
	struct cp_selcert **certs;
	size_t *next;

	if (s->n < s->cap)
		return 0;
	if (cap > SIZE_MAX / sizeof(*certs))
		return -1;
	if ((certs = cp_realloc(s->certs, cap * sizeof(*certs))) == NULL)
		return -1;
	s->certs = certs;
	if ((next = cp_realloc(s->next, cap * sizeof(*next))) == NULL)
		return -1;
	s->next = next;
	s->cap = cap;
	return 0;
}

/* The first certificate (index + 1) whose subject is name; 0 when none. */
static size_t
subject_head(const struct cp_selstore *s, const struct certpick_dn *name)
{
	size_t pos = 0, i;

	while (cp_hashidx_next(&s->by_subject, cp_hash_digest(name->sha256), &pos, &i))
		if (certpick_dn_equal_exact(&s->certs[i]->subject, name))
			return i + 1;
	return 0;
}

/* Index certificate i: its subject chain keeps insertion order (head = first added). */
static int
index_cert(struct cp_selstore *s, size_t i)
{
	const struct cp_selcert *c = s->certs[i];
	size_t it = subject_head(s, &c->subject);

	s->next[i] = 0;
	if (it == 0) {
		if (cp_hashidx_add(&s->by_subject, cp_hash_digest(c->subject.sha256), i) != 0)
			return -1;
	} else {
		while (s->next[it - 1] != 0)
			it = s->next[it - 1];
		s->next[it - 1] = i + 1;
	}
	if (cp_hashidx_add(&s->by_sha, cp_hash_bytes(c->sha256, 64), i) != 0 ||
	    cp_hashidx_add(&s->by_ptr, ptr_key(c->x509), i) != 0)
		return -1;
	return 0;
}

static int
unhex32(const char *hex, unsigned char *out)
{
	for (int i = 0; i < 32; i++) {
		int hi = hex[2 * i], lo = hex[2 * i + 1];

		hi = hi >= 'a' ? hi - 'a' + 10 : hi - '0';
		lo = lo >= 'a' ? lo - 'a' + 10 : lo - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return 0;
}

/* see select_int.h */
int
cp_selstore_add(struct cp_selstore *s, X509 *x, const struct cp_selcert **out,
    struct certpick_error *err)
{
	return cp_selstore_add_known(s, x, NULL, NULL, NULL, out, err);
}

/* see select_int.h */
int
cp_selstore_add_known(struct cp_selstore *s, X509 *x, const char *sha256_hex,
    const struct certpick_dn *subject, const struct certpick_dn *issuer,
    const struct cp_selcert **out, struct certpick_error *err)
{
	struct cp_selcert *c = NULL;
	unsigned char digest[32];
	unsigned int dlen = 0;
	char hex[65];
	size_t i;

	*out = NULL;
	if (s->md == NULL && (s->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return cp_error_set_ossl(err, CERTPICK_ERR_NOMEM, "cannot set up hashing");
	/* the same X509 object again (a candidate is in the pool too): no hashing */
	for (size_t pos = 0; cp_hashidx_next(&s->by_ptr, ptr_key(x), &pos, &i);) {
		if (s->certs[i]->x509 == x) {
			*out = s->certs[i];
			return 0;
		}
	}
	if (sha256_hex != NULL && strlen(sha256_hex) == 64 && unhex32(sha256_hex, digest) == 0) {
		memcpy(hex, sha256_hex, 65);
	} else {
		if (X509_digest(x, s->md, digest, &dlen) != 1 || dlen != 32)
			return cp_error_set_ossl(err, CERTPICK_ERR_PARSE,
			    "cannot hash a certificate");
		for (unsigned k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", digest[k]);
	}
	/* the same certificate from two sources */
	for (size_t pos = 0; cp_hashidx_next(&s->by_sha, cp_hash_bytes(hex, 64), &pos, &i);) {
		if (strcmp(s->certs[i]->sha256, hex) == 0) {
			*out = s->certs[i];
			return 0;
		}
	}
	if (selcert_make(x, digest, s->md, (struct known_names){ subject, issuer }, &c, err) != 0)
		return -1;
	if (reserve(s) != 0) {
		cp_selcert_free(c);
		return cp_error_nomem(err);
	}
	i = s->n++;
	s->certs[i] = c;
	if (index_cert(s, i) != 0)
		return cp_error_nomem(err);
	*out = c;
	return 0;
}

void
cp_selstore_release(struct cp_selstore *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		cp_selcert_free(s->certs[i]);
	free(s->certs);
	free(s->next);
	cp_hashidx_release(&s->by_subject);
	cp_hashidx_release(&s->by_sha);
	cp_hashidx_release(&s->by_ptr);
	EVP_MD_free(s->md);
	memset(s, 0, sizeof(*s));
}

size_t
cp_selstore_first(const struct cp_selstore *s, const struct certpick_dn *name)
{
	if (s->n == 0 || name->der_len == 0)
		return 0;
	return subject_head(s, name);
}

size_t
cp_selstore_next(const struct cp_selstore *s, size_t it, const struct certpick_dn *name)
{
	(void)name;
	return it == 0 ? 0 : s->next[it - 1];
}
