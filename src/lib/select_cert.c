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
	default:
		return CP_KA_OTHER;
	}
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

/* RFC 4514 as dn.c renders it (then cp_dn_text): most specific RDN first, UTF-8 kept. */
#define RFC4514_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)

/*
 * Fill dn from a parsed name without re-parsing its DER (certpick_dn_init_der
 * would): the selection touches every name of every candidate.
 */
static int
dn_from_name(struct certpick_dn *dn, const X509_NAME *name, EVP_MD *md, BIO *mem,
    unsigned long *loose, struct certpick_error *err)
{
	const unsigned char *der = NULL;
	size_t len = 0;
	char *p;
	long n;

	memset(dn, 0, sizeof(*dn));
	if (X509_NAME_get0_der(name, &der, &len) != 1)
		return cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot encode a name");
	if ((dn->der = cp_malloc(len)) == NULL)
		return cp_error_nomem(err);
	memcpy(dn->der, der, len);
	dn->der_len = len;
	if (EVP_Digest(der, len, dn->sha256, NULL, md, NULL) != 1)
		return cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot hash a name");
	(void)BIO_reset(mem);
	if (X509_NAME_print_ex(mem, name, 0, RFC4514_FLAGS) < 0 ||
	    (n = BIO_get_mem_data(mem, &p)) < 0)
		return cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot render a name");
	if ((dn->rfc4514 = cp_dn_text(n > 0 ? p : "", (size_t)n)) == NULL)
		return cp_error_nomem(err);
	dn->valid = true;
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

static int
selcert_make(X509 *x, const unsigned char *digest, EVP_MD *md, BIO *mem,
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
	if (dn_from_name(&c->subject, X509_get_subject_name(x), md, mem, &c->subject_canon,
	    err) != 0 ||
	    dn_from_name(&c->issuer, X509_get_issuer_name(x), md, mem, &c->issuer_canon, err) != 0)
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
	c->keyalg = key_alg(X509_get0_pubkey(x));
	c->key_bits = X509_get0_pubkey(x) ? EVP_PKEY_get_bits(X509_get0_pubkey(x)) : 0;
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
	BIO *mem = BIO_new(BIO_s_mem());
	int ret;

	*out = NULL;
	if (md == NULL || mem == NULL)
		ret = cp_error_set_ossl(err, CERTPICK_ERR_NOMEM, "cannot set up hashing");
	else
		ret = selcert_make(x, NULL, md, mem, out, err);
	EVP_MD_free(md);
	BIO_free(mem);
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

static size_t
hash_bytes(const uint8_t *p)
{
	size_t h;

	memcpy(&h, p, sizeof(h));
	return h;
}

static size_t
sha_hex_hash(const char *hex)
{
	size_t h = 1469598103934665603ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ (unsigned char)hex[i]) * 1099511628211ull;
	return h;
}

static size_t
ptr_hash(const void *p)
{
	uintptr_t v = (uintptr_t)p;

	v ^= v >> 17;
	v *= 0x9e3779b97f4a7c15ull;
	return (size_t)(v ^ (v >> 29));
}

/* Rebuild both indexes at twice the size. */
static int
grow(struct cp_selstore *s)
{
	size_t nb = s->nbucket ? s->nbucket * 2 : 64;
	size_t *bucket = cp_calloc(nb, sizeof(size_t));
	size_t *by_sha = cp_calloc(nb, sizeof(size_t));
	size_t *by_ptr = cp_calloc(nb, sizeof(size_t));
	size_t *next = cp_realloc(s->next, nb / 2 * sizeof(size_t));
	struct cp_selcert **certs = cp_realloc(s->certs, nb / 2 * sizeof(*certs));

	if (next != NULL)
		s->next = next;
	if (certs != NULL)
		s->certs = certs;
	if (bucket == NULL || by_sha == NULL || by_ptr == NULL || next == NULL || certs == NULL) {
		free(bucket);
		free(by_sha);
		free(by_ptr);
		return -1;
	}
	free(s->bucket);
	free(s->by_sha);
	free(s->by_ptr);
	s->bucket = bucket;
	s->by_sha = by_sha;
	s->by_ptr = by_ptr;
	s->nbucket = nb;
	s->cap = nb / 2;
	for (size_t i = 0; i < s->n; i++) {
		size_t h = hash_bytes(s->certs[i]->subject.sha256) & (nb - 1);

		/* subject index: chains keep insertion order (head = first added) */
		while (s->bucket[h] != 0 &&
		    !certpick_dn_equal_exact(&s->certs[s->bucket[h] - 1]->subject,
		    &s->certs[i]->subject))
			h = (h + 1) & (nb - 1);
		s->next[i] = 0;
		if (s->bucket[h] == 0) {
			s->bucket[h] = i + 1;
		} else {
			size_t it = s->bucket[h];

			while (s->next[it - 1] != 0)
				it = s->next[it - 1];
			s->next[it - 1] = i + 1;
		}
		h = sha_hex_hash(s->certs[i]->sha256) & (nb - 1);
		while (s->by_sha[h] != 0)
			h = (h + 1) & (nb - 1);
		s->by_sha[h] = i + 1;
		h = ptr_hash(s->certs[i]->x509) & (nb - 1);
		while (s->by_ptr[h] != 0)
			h = (h + 1) & (nb - 1);
		s->by_ptr[h] = i + 1;
	}
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
	return cp_selstore_add_known(s, x, NULL, out, err);
}

/* see select_int.h */
int
cp_selstore_add_known(struct cp_selstore *s, X509 *x, const char *sha256_hex,
    const struct cp_selcert **out, struct certpick_error *err)
{
	struct cp_selcert *c = NULL;
	unsigned char digest[32];
	unsigned int dlen = 0;
	char hex[65];
	size_t h, i;

	*out = NULL;
	if (s->md == NULL && (s->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return cp_error_set_ossl(err, CERTPICK_ERR_NOMEM, "cannot set up hashing");
	if (s->mem == NULL && (s->mem = BIO_new(BIO_s_mem())) == NULL)
		return cp_error_nomem(err);
	/* the same X509 object again (a candidate is in the pool too): no hashing */
	if (s->nbucket != 0) {
		for (h = ptr_hash(x) & (s->nbucket - 1); s->by_ptr[h] != 0;
		    h = (h + 1) & (s->nbucket - 1))
			if (s->certs[s->by_ptr[h] - 1]->x509 == x) {
				*out = s->certs[s->by_ptr[h] - 1];
				return 0;
			}
	}
	if (sha256_hex != NULL && strlen(sha256_hex) == 64 && unhex32(sha256_hex, digest) == 0) {
		memcpy(hex, sha256_hex, 65);
	} else {
		if (X509_digest(x, s->md, digest, &dlen) != 1 || dlen != 32)
			return cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot hash a certificate");
		for (unsigned k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", digest[k]);
	}
	/* the same certificate from two sources */
	if (s->nbucket != 0) {
		h = sha_hex_hash(hex) & (s->nbucket - 1);
		while (s->by_sha[h] != 0) {
			if (strcmp(s->certs[s->by_sha[h] - 1]->sha256, hex) == 0) {
				*out = s->certs[s->by_sha[h] - 1];
				return 0;
			}
			h = (h + 1) & (s->nbucket - 1);
		}
	}
	if (selcert_make(x, digest, s->md, s->mem, &c, err) != 0)
		return -1;
	if (s->n + 1 > s->cap && grow(s) != 0) {
		cp_selcert_free(c);
		return cp_error_nomem(err);
	}
	i = s->n++;
	s->certs[i] = c;
	s->next[i] = 0;
	h = hash_bytes(c->subject.sha256) & (s->nbucket - 1);
	while (s->bucket[h] != 0 &&
	    !certpick_dn_equal_exact(&s->certs[s->bucket[h] - 1]->subject, &c->subject))
		h = (h + 1) & (s->nbucket - 1);
	if (s->bucket[h] == 0) {
		s->bucket[h] = i + 1;
	} else {
		size_t it = s->bucket[h];

		while (s->next[it - 1] != 0)
			it = s->next[it - 1];
		s->next[it - 1] = i + 1;
	}
	h = sha_hex_hash(c->sha256) & (s->nbucket - 1);
	while (s->by_sha[h] != 0)
		h = (h + 1) & (s->nbucket - 1);
	s->by_sha[h] = i + 1;
	h = ptr_hash(c->x509) & (s->nbucket - 1);
	while (s->by_ptr[h] != 0)
		h = (h + 1) & (s->nbucket - 1);
	s->by_ptr[h] = i + 1;
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
	free(s->bucket);
	free(s->next);
	free(s->by_sha);
	free(s->by_ptr);
	EVP_MD_free(s->md);
	BIO_free(s->mem);
	memset(s, 0, sizeof(*s));
}

size_t
cp_selstore_first(const struct cp_selstore *s, const struct certpick_dn *name)
{
	size_t h;

	if (s->nbucket == 0 || name->der_len == 0)
		return 0;
	h = hash_bytes(name->sha256) & (s->nbucket - 1);
	while (s->bucket[h] != 0) {
		if (certpick_dn_equal_exact(&s->certs[s->bucket[h] - 1]->subject, name))
			return s->bucket[h];
		h = (h + 1) & (s->nbucket - 1);
	}
	return 0;
}

size_t
cp_selstore_next(const struct cp_selstore *s, size_t it, const struct certpick_dn *name)
{
	(void)name;
	return it == 0 ? 0 : s->next[it - 1];
}
