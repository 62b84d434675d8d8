/*
 * Distinguished names: keep the DER as received, render RFC 4514, compare
 * byte-exact or normalized. Pure apart from OpenSSL's ASN.1 code.
 */
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"

/*
 * RFC 4514: most specific RDN first, RFC 2253/4514 escaping, UTF-8 kept
 * except the controls of certpick/outtext.h (cp_dn_text).
 */
#define RFC4514_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)

/* see internal.h */
char *
cp_dn_text(const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)p;
	char *out = cp_malloc(3 * n + 1);
	size_t k = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0, l; i < n; i += l) {
		uint32_t cp;

		if ((l = cp_utf8_next(s + i, n - i, &cp)) != 0 && !cp_text_is_control(cp)) {
			memcpy(out + k, p + i, l);
			k += l;
			continue;
		}
		/* RFC 4514 2.4: any octet may be written as a backslash and two hex digits */
		for (size_t j = 0; j < (l != 0 ? l : 1); j++) {
			out[k++] = '\\';
			out[k++] = hex[s[i + j] >> 4];
			out[k++] = hex[s[i + j] & 0xf];
		}
		if (l == 0)
			l = 1;
	}
	out[k] = '\0';
	return out;
}

static char *
name_to_rfc4514(const X509_NAME *name)
{
	BIO *mem = NULL;
	char *out = NULL, *p;
	long len;

	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (X509_NAME_print_ex(mem, name, 0, RFC4514_FLAGS) < 0)
		goto out;
	len = BIO_get_mem_data(mem, &p);
	/* an empty Name prints nothing and p may be NULL */
	if (len >= 0)
		out = cp_dn_text(len > 0 ? p : "", (size_t)len);
out:
	BIO_free(mem);
	return out;
}

/* see certpick/dn.h */
int
certpick_dn_init_der(struct certpick_dn *dn, const uint8_t *der, size_t der_len,
    struct certpick_error *err)
{
	X509_NAME *name = NULL;
	const unsigned char *p = der;
	int ret = -1;

	memset(dn, 0, sizeof(*dn));
	if ((dn->der = cp_malloc(der_len)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	if (der_len > 0)
		memcpy(dn->der, der, der_len);
	dn->der_len = der_len;
	if (EVP_Digest(der, der_len, dn->sha256, NULL, cp_md_sha256(), NULL) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot hash a name");
		goto out;
	}
	/* d2i must consume every byte: trailing garbage makes the name invalid */
	if (der_len > 0 && der_len <= LONG_MAX &&
	    (name = d2i_X509_NAME(NULL, &p, (long)der_len)) != NULL && p == der + der_len) {
		if ((dn->rfc4514 = name_to_rfc4514(name)) == NULL) {
			cp_error_nomem(err);
			goto out;
		}
		dn->valid = true;
	}
	ERR_clear_error();
	ret = 0;
out:
	X509_NAME_free(name);
	if (ret != 0)
		certpick_dn_release(dn);
	return ret;
}

/* see internal.h */
int
cp_dn_from_name(struct certpick_dn *dn, const X509_NAME *name, struct certpick_error *err)
{
	const unsigned char *der = NULL;
	size_t len = 0;
	int ret = -1;

	memset(dn, 0, sizeof(*dn));
	if (X509_NAME_get0_der(name, &der, &len) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot encode a name");
		goto out;
	}
	if ((dn->der = cp_malloc(len > 0 ? len : 1)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	memcpy(dn->der, der, len);
	dn->der_len = len;
	if (EVP_Digest(der, len, dn->sha256, NULL, cp_md_sha256(), NULL) != 1) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot hash a name");
		goto out;
	}
	if ((dn->rfc4514 = name_to_rfc4514(name)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	dn->valid = true;
	ret = 0;
out:
	ERR_clear_error();
	if (ret != 0)
		certpick_dn_release(dn);
	return ret;
}

/* see certpick/dn.h */
int
certpick_dn_init_rfc4514(struct certpick_dn *dn, const char *text, struct certpick_error *err)
{
	X509_NAME *name = NULL;
	unsigned char *der = NULL;
	int len, ret = -1;

	memset(dn, 0, sizeof(*dn));
	if ((name = cp_name_parse_rfc4514(text, err)) == NULL)
		goto out;
	if ((len = i2d_X509_NAME(name, &der)) <= 0) {
		cp_error_set_ossl(err, CERTPICK_ERR_PARSE, "cannot encode name '%s'", text);
		goto out;
	}
	ret = certpick_dn_init_der(dn, der, (size_t)len, err);
out:
	OPENSSL_free(der);
	X509_NAME_free(name);
	return ret;
}

/* see certpick/dn.h */
void
certpick_dn_release(struct certpick_dn *dn)
{
	if (dn == NULL)
		return;
	free(dn->der);
	free(dn->rfc4514);
	memset(dn, 0, sizeof(*dn));
}

/* see certpick/dn.h */
void
certpick_dn_list_release(struct certpick_dn_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->n; i++)
		certpick_dn_release(&list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

/* see certpick/dn.h */
int
certpick_dn_list_load_pem(const char *path, struct certpick_dn_list *out,
    struct certpick_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *in = NULL;
	X509 *x = NULL;
	unsigned char *block = NULL;
	long blen = 0;
	int ret = -1;

	out->v = NULL;
	out->n = 0;
	if (cp_read_file(path, &data, &len, err) != 0)
		goto out;
	if (len > INT_MAX || (in = BIO_new_mem_buf(data, (int)len)) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	/* PEM_read_bio_X509(), but only the names are wanted: the keys stay encoded */
	while (PEM_bytes_read_bio(&block, &blen, NULL, PEM_STRING_X509, in, NULL, NULL) == 1) {
		const unsigned char *der = block;
		size_t dlen;
		struct certpick_dn *dn;

		x = cp_x509_d2i_lazy(&der, blen);
		OPENSSL_free(block);
		block = NULL;
		if (x == NULL)
			break;

		if (X509_NAME_get0_der(X509_get_subject_name(x), &der, &dlen) != 1 ||
		    (dn = cp_array_push(&out->v, &out->n, sizeof(*dn))) == NULL) {
			cp_error_nomem(err);
			goto out;
		}
		if (certpick_dn_init_der(dn, der, dlen, err) != 0) {
			out->n--;
			goto out;
		}
		X509_free(x);
		x = NULL;
	}
	/* the loop ends on the first block that is not a certificate, or at the end */
	ERR_clear_error();
	if (out->n == 0) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "no PEM certificate in '%s'", path);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		certpick_dn_list_release(out);
	X509_free(x);
	BIO_free(in);
	cp_freezero(data, data != NULL ? len + 1 : 0);
	return ret;
}

/* see certpick/dn.h */
int
certpick_dn_copy(struct certpick_dn *dst, const struct certpick_dn *src, struct certpick_error *err)
{
	/* the facts as they are, not parsed again */
	memset(dst, 0, sizeof(*dst));
	if ((dst->der = cp_malloc(src->der_len > 0 ? src->der_len : 1)) == NULL ||
	    (src->rfc4514 != NULL && (dst->rfc4514 = cp_strdup(src->rfc4514)) == NULL)) {
		certpick_dn_release(dst);
		return cp_error_nomem(err);
	}
	if (src->der_len > 0)
		memcpy(dst->der, src->der, src->der_len);
	dst->der_len = src->der_len;
	memcpy(dst->sha256, src->sha256, sizeof(dst->sha256));
	dst->valid = src->valid;
	return 0;
}

/* see certpick/dn.h */
bool
certpick_dn_equal_exact(const struct certpick_dn *a, const struct certpick_dn *b)
{
	return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

/* see certpick/dn.h */
bool
certpick_dn_equal_normalized(const struct certpick_dn *a, const struct certpick_dn *b)
{
	X509_NAME *na = NULL, *nb = NULL;
	const unsigned char *p;
	bool eq;

	if (certpick_dn_equal_exact(a, b))
		return true;
	if (!a->valid || !b->valid)
		return false;
	p = a->der;
	na = d2i_X509_NAME(NULL, &p, (long)a->der_len);
	p = b->der;
	nb = d2i_X509_NAME(NULL, &p, (long)b->der_len);
	/* X509_NAME_cmp compares the canonical encodings (x509_name_canon) */
	eq = na != NULL && nb != NULL && X509_NAME_cmp(na, nb) == 0;
	X509_NAME_free(na);
	X509_NAME_free(nb);
	ERR_clear_error();
	return eq;
}

/* see certpick/dn.h */
void
certpick_dn_short_hash(const struct certpick_dn *dn, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (n > sizeof(dn->sha256))
		n = sizeof(dn->sha256);
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[dn->sha256[i] >> 4];
		out[2 * i + 1] = hex[dn->sha256[i] & 15];
	}
	out[2 * n] = '\0';
}

/* see certpick/dn.h */
char *
certpick_hex(const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *s;

	if (len > ((size_t)-1 - 1) / 2 || (s = cp_malloc(2 * len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 15];
	}
	s[2 * len] = '\0';
	return s;
}
