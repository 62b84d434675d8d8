/*
 * Record protection of one captured direction, from a key log: TLS 1.3
 * (RFC 8446 7.1-7.3: HKDF-Expand-Label, AEAD with the per-record nonce) and
 * TLS 1.2 (RFC 5246 5 PRF and key block; GCM RFC 5288, ChaCha20-Poly1305
 * RFC 7905, CBC with MAC-then-encrypt or RFC 7366 encrypt-then-MAC).
 * Decrypts only; every tag and MAC is checked. No I/O.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "capture_int.h"
#include "internal.h"

/* What a suite family needs: the AEAD or CBC cipher, its key, the CBC MAC. */
struct family {
	int mode;	    /* CP_CRYPT_GCM, _CHACHA, _CBC */
	const char *cipher; /* OpenSSL cipher name */
	size_t key_len;
	const char *mac_md; /* CBC only */
};

enum {
	AES128_GCM,
	AES256_GCM,
	CHACHA20,
	AES128_SHA1,
	AES256_SHA1,
	AES128_SHA256,
	AES256_SHA256,
	AES256_SHA384
};

static const struct family families[] = {
	[AES128_GCM] = { CP_CRYPT_GCM, "AES-128-GCM", 16, NULL },
	[AES256_GCM] = { CP_CRYPT_GCM, "AES-256-GCM", 32, NULL },
	[CHACHA20] = { CP_CRYPT_CHACHA, "ChaCha20-Poly1305", 32, NULL },
	[AES128_SHA1] = { CP_CRYPT_CBC, "AES-128-CBC", 16, "SHA1" },
	[AES256_SHA1] = { CP_CRYPT_CBC, "AES-256-CBC", 32, "SHA1" },
	[AES128_SHA256] = { CP_CRYPT_CBC, "AES-128-CBC", 16, "SHA256" },
	[AES256_SHA256] = { CP_CRYPT_CBC, "AES-256-CBC", 32, "SHA256" },
	[AES256_SHA384] = { CP_CRYPT_CBC, "AES-256-CBC", 32, "SHA384" },
};

struct suite {
	uint16_t id;
	int version; /* 12 or 13 */
	int family;
	const char *prf_md; /* TLS 1.3 hash / TLS 1.2 PRF hash */
	const char *name;
};

static const struct suite suites[] = {
	{ 0x1301, 13, AES128_GCM, "SHA256", "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, 13, AES256_GCM, "SHA384", "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, 13, CHACHA20, "SHA256", "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0xc02b, 12, AES128_GCM, "SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256" },
	{ 0xc02c, 12, AES256_GCM, "SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384" },
	{ 0xc02f, 12, AES128_GCM, "SHA256", "ECDHE-RSA-AES128-GCM-SHA256" },
	{ 0xc030, 12, AES256_GCM, "SHA384", "ECDHE-RSA-AES256-GCM-SHA384" },
	{ 0x009c, 12, AES128_GCM, "SHA256", "AES128-GCM-SHA256" },
	{ 0x009d, 12, AES256_GCM, "SHA384", "AES256-GCM-SHA384" },
	{ 0x009e, 12, AES128_GCM, "SHA256", "DHE-RSA-AES128-GCM-SHA256" },
	{ 0x009f, 12, AES256_GCM, "SHA384", "DHE-RSA-AES256-GCM-SHA384" },
	{ 0xcca8, 12, CHACHA20, "SHA256", "ECDHE-RSA-CHACHA20-POLY1305" },
	{ 0xcca9, 12, CHACHA20, "SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305" },
	{ 0xccaa, 12, CHACHA20, "SHA256", "DHE-RSA-CHACHA20-POLY1305" },
	{ 0xc009, 12, AES128_SHA1, "SHA256", "ECDHE-ECDSA-AES128-SHA" },
	{ 0xc00a, 12, AES256_SHA1, "SHA256", "ECDHE-ECDSA-AES256-SHA" },
	{ 0xc013, 12, AES128_SHA1, "SHA256", "ECDHE-RSA-AES128-SHA" },
	{ 0xc014, 12, AES256_SHA1, "SHA256", "ECDHE-RSA-AES256-SHA" },
	{ 0x002f, 12, AES128_SHA1, "SHA256", "AES128-SHA" },
	{ 0x0035, 12, AES256_SHA1, "SHA256", "AES256-SHA" },
	{ 0xc023, 12, AES128_SHA256, "SHA256", "ECDHE-ECDSA-AES128-SHA256" },
	{ 0xc024, 12, AES256_SHA384, "SHA384", "ECDHE-ECDSA-AES256-SHA384" },
	{ 0xc027, 12, AES128_SHA256, "SHA256", "ECDHE-RSA-AES128-SHA256" },
	{ 0xc028, 12, AES256_SHA384, "SHA384", "ECDHE-RSA-AES256-SHA384" },
	{ 0x003c, 12, AES128_SHA256, "SHA256", "AES128-SHA256" },
	{ 0x003d, 12, AES256_SHA256, "SHA256", "AES256-SHA256" },
};

static const struct suite *
suite_find(uint16_t id, int version)
{
	for (size_t i = 0; i < CP_NELEM(suites); i++)
		if (suites[i].id == id && suites[i].version == version)
			return &suites[i];
	return NULL;
}

static size_t
md_size(const char *md)
{
	return strcmp(md, "SHA1") == 0 ? 20 : strcmp(md, "SHA384") == 0 ? 48 : 32;
}

/*
 * The part of a direction's set-up every suite shares: c zeroed, then the
 * suite's family (cipher fetched once, a cipher context kept for the records,
 * key, IV and MAC lengths). The suite, or NULL (c then holds nothing).
 */
static const struct suite *
crypt_setup(struct cp_crypt *c, uint16_t cipher, int version)
{
	const struct suite *s = suite_find(cipher, version);
	memset(c, 0, sizeof(*c));
	if (s == NULL)
		return NULL;
	const struct family *f = &families[s->family];
	c->kind = version;
	c->cipher = cipher;
	c->mode = f->mode;
	c->cipher_name = f->cipher;
	c->key_len = f->key_len;
	c->mac_md = f->mac_md;
	c->mac_len = f->mac_md ? md_size(f->mac_md) : 0;
	if (version == 13)
		c->iv_len = 12;
	else
		c->iv_len = f->mode == CP_CRYPT_GCM ? 4 : f->mode == CP_CRYPT_CHACHA ? 12 : 0;
	c->evp = EVP_CIPHER_fetch(NULL, f->cipher, NULL);
	c->ctx = EVP_CIPHER_CTX_new();
	if (c->evp == NULL || c->ctx == NULL) {
		cp_crypt_release(c);
		return NULL;
	}
	return s;
}

const char *
cp_crypt_suite_name(uint16_t cipher)
{
	for (size_t i = 0; i < CP_NELEM(suites); i++)
		if (suites[i].id == cipher)
			return suites[i].name;
	return NULL;
}

static int
hmac(const char *md, const uint8_t *key, size_t key_len, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn, uint8_t *out, size_t *out_len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	int ret = -1;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string("digest", (char *)md, 0),
		OSSL_PARAM_END,
	};
	if (mac == NULL || (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	if (!EVP_MAC_init(ctx, key, key_len, params) || !EVP_MAC_update(ctx, a, an) ||
	    (bn && !EVP_MAC_update(ctx, b, bn)) || !EVP_MAC_final(ctx, out, out_len, 64))
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

/* RFC 8446 7.1 HKDF-Expand-Label with an empty context; out_len <= hash length. */
static int
expand_label(const char *md, const uint8_t *secret, size_t secret_len, const char *label,
    uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 255 + 1 + 1];
	size_t ll = 6 + strlen(label), n = 0, t_len = 0;
	uint8_t t[64];
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll - 6);
	n += ll;
	info[n++] = 0; /* context */
	info[n++] = 1; /* T(1) counter */
	if (hmac(md, secret, secret_len, info, n, NULL, 0, t, &t_len) < 0 || t_len < out_len)
		return -1;
	memcpy(out, t, out_len);
	OPENSSL_cleanse(t, sizeof(t));
	return 0;
}

/* see capture_int.h */
int
cp_crypt_init13(struct cp_crypt *c, uint16_t cipher, const uint8_t *secret, size_t len)
{
	const struct suite *s = crypt_setup(c, cipher, 13);
	if (s == NULL)
		return -1;
	if (expand_label(s->prf_md, secret, len, "key", c->key, c->key_len) < 0 ||
	    expand_label(s->prf_md, secret, len, "iv", c->iv, c->iv_len) < 0) {
		cp_crypt_release(c);
		return -1;
	}
	return 0;
}

/* RFC 5246 5: P_hash(secret, label + seed) into out. */
static int
prf12(const char *md, const uint8_t *secret, size_t secret_len, const uint8_t *seed,
    size_t seed_len, uint8_t *out, size_t out_len)
{
	uint8_t a[64], t[64];
	size_t a_len = 0, t_len = 0, done = 0;
	int ret = -1;
	if (hmac(md, secret, secret_len, seed, seed_len, NULL, 0, a, &a_len) < 0)
		goto out;
	while (done < out_len) {
		if (hmac(md, secret, secret_len, a, a_len, seed, seed_len, t, &t_len) < 0)
			goto out;
		size_t k = out_len - done < t_len ? out_len - done : t_len;
		memcpy(out + done, t, k);
		done += k;
		if (hmac(md, secret, secret_len, a, a_len, NULL, 0, a, &a_len) < 0)
			goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(t, sizeof(t));
	return ret;
}

/* see capture_int.h */
int
cp_crypt_init12(struct cp_crypt *c, uint16_t cipher, bool etm, const uint8_t master[48],
    const uint8_t client_random[32], const uint8_t server_random[32], bool client)
{
	const struct suite *s = crypt_setup(c, cipher, 12);
	uint8_t seed[13 + 64], block[2 * 48 + 2 * 32 + 2 * 16];
	if (s == NULL)
		return -1;
	c->etm = etm && c->mode == CP_CRYPT_CBC;
	memcpy(seed, "key expansion", 13);
	memcpy(seed + 13, server_random, 32);
	memcpy(seed + 45, client_random, 32);
	size_t need = 2 * c->mac_len + 2 * c->key_len + 2 * c->iv_len;
	if (prf12(s->prf_md, master, 48, seed, sizeof(seed), block, need) < 0) {
		cp_crypt_release(c);
		return -1;
	}
	size_t off = 0;
	memcpy(c->mac_key, block + off + (client ? 0 : c->mac_len), c->mac_len);
	off += 2 * c->mac_len;
	memcpy(c->key, block + off + (client ? 0 : c->key_len), c->key_len);
	off += 2 * c->key_len;
	memcpy(c->iv, block + off + (client ? 0 : c->iv_len), c->iv_len);
	OPENSSL_cleanse(block, sizeof(block));
	return 0;
}

static int
aead_open(struct cp_crypt *c, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
    const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = c->ctx;
	int len = 0;
	if (n < 16 || n - 16 > INT_MAX)
		return -1;
	/* the key is set once per direction; each record sets its nonce */
	if (!c->keyed) {
		if (!EVP_DecryptInit_ex2(ctx, c->evp, NULL, NULL, NULL) ||
		    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) ||
		    !EVP_DecryptInit_ex2(ctx, NULL, c->key, NULL, NULL))
			return -1;
		c->keyed = true;
	}
	if (!EVP_DecryptInit_ex2(ctx, NULL, NULL, nonce, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(in + n - 16)) ||
	    !EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) ||
	    !EVP_DecryptUpdate(ctx, out, &len, in, (int)(n - 16)) ||
	    !EVP_DecryptFinal_ex(ctx, out + len, &len))
		return -1;
	return 0;
}

static void
seq_bytes(uint64_t seq, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--, seq >>= 8)
		out[i] = (uint8_t)seq;
}

static int
open13(struct cp_crypt *c, uint8_t type, uint16_t version, uint8_t *rec, size_t n,
    uint8_t *out_type, size_t *out_len)
{
	uint8_t nonce[12], sq[8],
	    aad[5] = { type, (uint8_t)(version >> 8), (uint8_t)version, (uint8_t)(n >> 8),
		    (uint8_t)n };
	memcpy(nonce, c->iv, 12);
	seq_bytes(c->seq, sq);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= sq[i];
	if (aead_open(c, nonce, aad, 5, rec, n, rec) < 0)
		return -1;
	size_t len = n - 16;
	while (len > 0 && rec[len - 1] == 0)
		len--;
	if (len == 0)
		return -1;
	*out_type = rec[len - 1];
	*out_len = len - 1;
	return 0;
}

static int
open12_aead(struct cp_crypt *c, uint8_t type, uint16_t version, uint8_t *rec, size_t n,
    size_t *out_len, const uint8_t **out_p)
{
	uint8_t nonce[12], aad[13];
	size_t explicit_len = c->mode == CP_CRYPT_GCM ? 8 : 0;
	if (n < explicit_len + 16)
		return -1;
	size_t plain = n - explicit_len - 16;
	seq_bytes(c->seq, aad);
	aad[8] = type;
	aad[9] = (uint8_t)(version >> 8);
	aad[10] = (uint8_t)version;
	aad[11] = (uint8_t)(plain >> 8);
	aad[12] = (uint8_t)plain;
	if (c->mode == CP_CRYPT_GCM) {
		memcpy(nonce, c->iv, 4);
		memcpy(nonce + 4, rec, 8);
	} else {
		memcpy(nonce, c->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= aad[i];
	}
	if (aead_open(c, nonce, aad, 13, rec + explicit_len, n - explicit_len, rec + explicit_len) <
	    0)
		return -1;
	*out_p = rec + explicit_len;
	*out_len = plain;
	return 0;
}

static int
cbc_decrypt(const struct cp_crypt *c, const uint8_t *iv, uint8_t *p, size_t n)
{
	int len = 0;
	if (n > INT_MAX || !EVP_DecryptInit_ex2(c->ctx, c->evp, c->key, iv, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(c->ctx, 0) ||
	    !EVP_DecryptUpdate(c->ctx, p, &len, p, (int)n))
		return -1;
	return 0;
}

static int
mac_check(const struct cp_crypt *c, uint8_t type, uint16_t version, const uint8_t *data, size_t n,
    const uint8_t *want)
{
	uint8_t hdr[13], got[64];
	size_t got_len = 0;
	seq_bytes(c->seq, hdr);
	hdr[8] = type;
	hdr[9] = (uint8_t)(version >> 8);
	hdr[10] = (uint8_t)version;
	hdr[11] = (uint8_t)(n >> 8);
	hdr[12] = (uint8_t)n;
	if (hmac(c->mac_md, c->mac_key, c->mac_len, hdr, 13, data, n, got, &got_len) < 0)
		return -1;
	return CRYPTO_memcmp(got, want, c->mac_len) == 0 ? 0 : -1;
}

/* TLS 1.1+ CBC: explicit IV block, then ciphertext (MAC inside unless EtM). */
static int
open12_cbc(struct cp_crypt *c, uint8_t type, uint16_t version, uint8_t *rec, size_t n,
    size_t *out_len, const uint8_t **out_p)
{
	if (c->etm) {
		if (n < 16 + 16 + c->mac_len ||
		    mac_check(c, type, version, rec, n - c->mac_len, rec + n - c->mac_len) < 0)
			return -1;
		n -= c->mac_len;
	}
	if (n < 32 || (n - 16) % 16 != 0)
		return -1;
	uint8_t *body = rec + 16;
	size_t len = n - 16;
	if (cbc_decrypt(c, rec, body, len) < 0)
		return -1;
	size_t pad = (size_t)body[len - 1] + 1;
	if (pad > len)
		return -1;
	for (size_t i = 0; i < pad; i++)
		if (body[len - 1 - i] != body[len - 1])
			return -1;
	len -= pad;
	if (!c->etm) {
		if (len < c->mac_len)
			return -1;
		len -= c->mac_len;
		if (mac_check(c, type, version, body, len, body + len) < 0)
			return -1;
	}
	*out_p = body;
	*out_len = len;
	return 0;
}

/* see capture_int.h */
int
cp_crypt_open(struct cp_crypt *c, uint8_t type, uint16_t version, uint8_t *rec, size_t n,
    uint8_t *out_type, size_t *out_len, const uint8_t **out_p)
{
	int rc;
	*out_type = type;
	*out_p = rec;
	switch (c->kind) {
	case 13: rc = open13(c, type, version, rec, n, out_type, out_len); break;
	case 12:
		rc = c->mode == CP_CRYPT_CBC ?
		    open12_cbc(c, type, version, rec, n, out_len, out_p) :
		    open12_aead(c, type, version, rec, n, out_len, out_p);
		break;
	default: rc = -1; break;
	}
	if (rc < 0)
		c->failures++;
	else
		c->seq++;
	return rc;
}

void
cp_crypt_release(struct cp_crypt *c)
{
	EVP_CIPHER_CTX_free(c->ctx);
	EVP_CIPHER_free(c->evp);
	OPENSSL_cleanse(c, sizeof(*c));
}
