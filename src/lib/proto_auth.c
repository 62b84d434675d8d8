/*
 * The password computations of the database and broker layers (proto.h):
 * PostgreSQL MD5 and SCRAM-SHA-256 (RFC 5802, RFC 7677), MySQL
 * mysql_native_password and caching_sha2_password scrambles. Pure: no I/O,
 * no randomness (the SCRAM nonce comes in), the crypto through OpenSSL's
 * EVP. Every intermediate secret is wiped before return.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"
#include "proto.h"

#define SHA256_LEN 32

static int
digest(const char *md, const void *a, size_t alen, const void *b, size_t blen, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
	int ok = ctx != NULL && m != NULL && EVP_DigestInit_ex(ctx, m, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, a, alen) == 1 &&
	    (b == NULL || EVP_DigestUpdate(ctx, b, blen) == 1) &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_MD_free(m);
	return ok ? 0 : -1;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* see proto.h */
int
cp_auth_pg_md5(const char *user, const char *password, const uint8_t salt[4], char out[36])
{
	uint8_t h[16];
	char inner[33];
	struct cp_buf b = { 0 };
	int ret = -1;

	cp_buf_str(&b, password);
	cp_buf_str(&b, user);
	if (b.nomem || digest("MD5", b.p, b.len, NULL, 0, h) != 0)
		goto out;
	hex(h, 16, inner);
	if (digest("MD5", inner, 32, salt, 4, h) != 0)
		goto out;
	memcpy(out, "md5", 3);
	hex(h, 16, out + 3);
	ret = 0;
out:
	if (b.p != NULL)
		OPENSSL_cleanse(b.p, b.cap);
	cp_buf_free(&b);
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(inner, sizeof(inner));
	return ret;
}

/*
 * MySQL's scrambles: H(password) XOR H(scramble + H(H(password))) for
 * mysql_native_password (SHA-1), H(password) XOR H(H(H(password)) + scramble)
 * for caching_sha2_password (SHA-256); n is H's length (at most 32).
 */
static int
mysql_scramble(const char *md, size_t n, bool scramble_first, const char *password,
    const uint8_t scramble[20], uint8_t *out)
{
	uint8_t s1[32], s2[32], s3[32];
	int ret = -1;

	if (digest(md, password, strlen(password), NULL, 0, s1) != 0 ||
	    digest(md, s1, n, NULL, 0, s2) != 0 ||
	    (scramble_first ? digest(md, scramble, 20, s2, n, s3) :
			      digest(md, s2, n, scramble, 20, s3)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		out[i] = s1[i] ^ s3[i];
	ret = 0;
out:
	OPENSSL_cleanse(s1, sizeof(s1));
	OPENSSL_cleanse(s2, sizeof(s2));
	OPENSSL_cleanse(s3, sizeof(s3));
	return ret;
}

/* see proto.h */
int
cp_auth_mysql_native(const char *password, const uint8_t scramble[20], uint8_t out[20])
{
	return mysql_scramble("SHA1", 20, true, password, scramble, out);
}

/* see proto.h */
int
cp_auth_mysql_sha2(const char *password, const uint8_t scramble[20], uint8_t out[32])
{
	return mysql_scramble("SHA256", 32, false, password, scramble, out);
}

static void
b64_put(struct cp_buf *out, const uint8_t *p, size_t n)
{
	unsigned char q[64];

	for (size_t i = 0; i < n; i += 45) { /* 45 bytes -> 60 characters */
		size_t k = n - i < 45 ? n - i : 45;
		int w = EVP_EncodeBlock(q, p + i, (int)k);

		cp_buf_add(out, q, (size_t)w);
	}
}

/* Base64 s[0..n) into out (at most max bytes): its length, or -1 when not base64. */
static int
b64_get(const char *s, size_t n, uint8_t *out, size_t max)
{
	unsigned char buf[4 * 64];
	int w;
	size_t pad = 0;

	if (n == 0 || n % 4 != 0 || n > sizeof(buf) || n / 4 * 3 > max + 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || (c == '=' && i >= n - 2);

		if (!ok || (pad > 0 && c != '='))
			return -1;
		pad += c == '=';
	}
	if ((w = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n)) < 0 || (size_t)w < pad ||
	    (size_t)w - pad > max)
		return -1;
	memcpy(out, buf, (size_t)w - pad);
	return w - (int)pad;
}

/* One "k=value" attribute of a SCRAM message at *p (RFC 5802 5.1), ',' or end after. */
static bool
attr(const char **p, const char *end, char k, const char **val, size_t *len)
{
	const char *c;

	if (end - *p < 2 || (*p)[0] != k || (*p)[1] != '=')
		return false;
	*val = *p + 2;
	c = memchr(*val, ',', (size_t)(end - *val));
	*len = (size_t)((c != NULL ? c : end) - *val);
	*p = c != NULL ? c + 1 : end;
	return true;
}

static int
hmac(const uint8_t *key, size_t klen, const void *d, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	return HMAC(EVP_sha256(), key, (int)klen, d, n, out, &len) != NULL && len == 32 ? 0 : -1;
}

/* see proto.h */
const char *
cp_scram_final(struct cp_scram *s, const char *password, const char *server_first, size_t n,
    struct cp_buf *out)
{
	const char *p = server_first, *end = server_first + n, *r, *salt, *it;
	size_t rlen, slen, ilen;
	uint8_t salt_b[128], salted[32], ckey[32], skey[32], stored[32], csig[32];
	unsigned long iter = 0;
	struct cp_buf am = { 0 };
	const char *why = NULL;

	if (memchr(server_first, 0, n) != NULL || !attr(&p, end, 'r', &r, &rlen) ||
	    !attr(&p, end, 's', &salt, &slen) || !attr(&p, end, 'i', &it, &ilen))
		return "the server's SCRAM message is not r=...,s=...,i=...";
	if (rlen <= strlen(s->nonce) || memcmp(r, s->nonce, strlen(s->nonce)) != 0 ||
	    memchr(r, ',', rlen) != NULL)
		return "the server's SCRAM nonce does not extend certpick's";
	if (ilen == 0 || ilen > 9)
		return "the server's SCRAM iteration count is not a number";
	for (size_t i = 0; i < ilen; i++) {
		if (it[i] < '0' || it[i] > '9')
			return "the server's SCRAM iteration count is not a number";
		iter = iter * 10 + (unsigned long)(it[i] - '0');
	}
	if (iter < 1 || iter > CP_SCRAM_MAX_ITERATIONS)
		return "the server's SCRAM iteration count is out of bounds";
	int sl = b64_get(salt, slen, salt_b, sizeof(salt_b));

	if (sl <= 0)
		return "the server's SCRAM salt is not base64";
	/* RFC 5802 3: SaltedPassword := Hi(Normalize(password), salt, i) (ASCII: no SASLprep) */
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt_b, sl, (int)iter, EVP_sha256(),
		32, salted) != 1 ||
	    hmac(salted, 32, "Client Key", 10, ckey) != 0 ||
	    hmac(salted, 32, "Server Key", 10, skey) != 0 ||
	    digest("SHA256", ckey, 32, NULL, 0, stored) != 0) {
		why = "SCRAM: the computation failed";
		goto out;
	}
	/* AuthMessage := client-first-message-bare + "," + server-first-message + "," +
	 * client-final-message-without-proof; "c=biws": base64 of "n,," (no channel binding) */
	cp_buf_str(&am, s->first_bare);
	cp_buf_add(&am, ",", 1);
	cp_buf_add(&am, server_first, n);
	cp_buf_add(&am, ",c=biws,r=", 10);
	cp_buf_add(&am, r, rlen);
	if (am.nomem || hmac(stored, 32, am.p, am.len, csig) != 0 ||
	    hmac(skey, 32, am.p, am.len, s->server_signature) != 0) {
		why = "SCRAM: the computation failed";
		goto out;
	}
	for (int i = 0; i < 32; i++)
		csig[i] ^= ckey[i]; /* ClientProof := ClientKey XOR ClientSignature */
	cp_buf_add(out, "c=biws,r=", 9);
	cp_buf_add(out, r, rlen);
	cp_buf_add(out, ",p=", 3);
	b64_put(out, csig, 32);
	s->have_signature = true;
out:
	if (am.p != NULL)
		OPENSSL_cleanse(am.p, am.cap);
	cp_buf_free(&am);
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(ckey, sizeof(ckey));
	OPENSSL_cleanse(skey, sizeof(skey));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(csig, sizeof(csig));
	return why;
}

/* see proto.h */
int
cp_scram_verify(const struct cp_scram *s, const char *server_final, size_t n)
{
	const char *p = server_final, *v;
	size_t vlen;
	uint8_t sig[32];
	int len;

	if (!s->have_signature || memchr(server_final, 0, n) != NULL ||
	    !attr(&p, server_final + n, 'v', &v, &vlen))
		return -1;
	len = b64_get(v, vlen, sig, sizeof(sig));
	return len == 32 && CRYPTO_memcmp(sig, s->server_signature, 32) == 0 ? 0 : -1;
}

/* see proto.h */
void
cp_scram_init(struct cp_scram *s, const char *user, const char *nonce)
{
	snprintf(s->nonce, sizeof(s->nonce), "%s", nonce != NULL ? nonce : "");
	snprintf(s->first_bare, sizeof(s->first_bare), "n=%s,r=%s", user != NULL ? user : "",
	    s->nonce);
	s->have_signature = false;
}

/* see proto.h */
void
cp_scram_wipe(struct cp_scram *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}
