/*
 * The client engine's shared plumbing (client.h): context, capture, identity,
 * --connect-to, addresses, trace. probe_engine.c and get.c both use these;
 * neither keeps a copy.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>

#include "internal.h"
#include "client.h"
#include "certpick/openssl.h"

/* see client.h */
void
cp_client_trace(const struct cp_trace *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = 0;

	if (t == NULL || t->fn == NULL)
		return;
	if (t->prefix != NULL)
		n = snprintf(line, sizeof(line), "%s: ", t->prefix);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	t->fn(t->arg, line);
}

/* see client.h */
void
cp_client_format_address(const struct sockaddr *sa, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

/* see client.h */
bool
cp_client_is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static bool
port_ok(const char *p)
{
	unsigned long v = 0;
	size_t n = strlen(p);

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= 65535;
}

/* see client.h */
int
cp_client_connect_to(const char *s, const char *def_port, char **host, char **port,
    struct certpick_error *err)
{
	const char *colon = strrchr(s, ':');

	*host = *port = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end == s + 1 || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		*host = cp_asprintf("%.*s", (int)(end - s - 1), s + 1);
		*port = cp_strdup(end[1] == ':' ? end + 2 : def_port);
	} else if (colon != NULL && strchr(s, ':') == colon) {
		*host = cp_asprintf("%.*s", (int)(colon - s), s);
		*port = cp_strdup(colon + 1);
	} else {
		/* a name, or a bare IPv6 address */
		*host = cp_strdup(s);
		*port = cp_strdup(def_port);
	}
	if (*host == NULL || *port == NULL) {
		free(*host);
		free(*port);
		*host = *port = NULL;
		return cp_error_nomem(err);
	}
	if ((*host)[0] != '\0' && port_ok(*port) && strpbrk(*host, " /@") == NULL)
		return 0;
	free(*host);
	free(*port);
	*host = *port = NULL;
bad:
	return cp_error_set(err, CERTPICK_ERR_USAGE,
	    "bad --connect-to '%s' (ADDR[:PORT] or "
	    "[V6ADDR]:PORT, the port 0 to 65535)",
	    s);
}

/* see client.h */
SSL_CTX *
cp_client_ctx_new(unsigned flags, size_t max_cert_list, bool diagnostic, struct certpick_error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		cp_error_set_ossl(err, CERTPICK_ERR_INTERNAL, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx,
	    (flags & CERTPICK_PROBE_TLS13_ONLY) ? TLS1_3_VERSION : TLS1_2_VERSION);
	if (flags & CERTPICK_PROBE_TLS12_ONLY)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (max_cert_list > 0)
		SSL_CTX_set_max_cert_list(ctx, (long)max_cert_list);
	if (diagnostic) {
		/* offer everything, so that any server shows its request */
		(void)SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
		SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	}
	return ctx;
}

static void
capture_alert(struct cp_capture *cap, const uint8_t *m)
{
	bool fatal = m[0] == 2;

	if (m[1] == 0) {
		cap->close_notify = true;
		return;
	}
	/* the first alert, or a fatal one after a warning */
	if (cap->alert >= 0 && (cap->alert_fatal || !fatal))
		return;
	cap->alert = m[1];
	cap->alert_fatal = fatal;
	cap->alert_after_request = cap->request_sent;
	cp_client_trace(cap->trace, "%s alert %d (%s) from the server", fatal ? "fatal" : "warning",
	    m[1], certpick_alert_name(m[1]) ? certpick_alert_name(m[1]) : "?");
}

/* see client.h */
void
cp_client_msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
    void *arg)
{
	struct cp_capture *cap = arg;
	const uint8_t *m = buf;
	bool tls13 = SSL_version(ssl) == TLS1_3_VERSION;
	enum certpick_phase phase;

	(void)version;
	if (content_type == SSL3_RT_ALERT && !write_p && len == 2) {
		capture_alert(cap, m);
		return;
	}
	if (content_type != SSL3_RT_HANDSHAKE || len < 4)
		return;
	if (write_p) {
		if (m[0] == SSL3_MT_CERTIFICATE) {
			cap->certificate_sent = !cp_certificate_msg_is_empty(m, len, tls13);
			cp_client_trace(cap->trace, "Certificate sent (%s)",
			    cap->certificate_sent ? "with a certificate" : "empty");
		}
		return;
	}
	if (m[0] == SSL3_MT_HELLO_REQUEST) {
		cap->asks++;
		cp_client_trace(cap->trace, "HelloRequest: the server renegotiates");
		return;
	}
	if (m[0] != SSL3_MT_CERTIFICATE_REQUEST)
		return;
	if (cap->handshake_done && tls13)
		cap->asks++;
	phase = !cap->handshake_done ? CERTPICK_PHASE_INITIAL :
	    tls13		     ? CERTPICK_PHASE_POST_HANDSHAKE :
				       CERTPICK_PHASE_RENEGOTIATION;
	cp_client_trace(cap->trace, "CertificateRequest (%s, %zu bytes)",
	    certpick_phase_name(phase), len);
	/* a failure here is ENOMEM: the request is then missing from the result */
	if (cap->res != NULL)
		(void)cp_probe_add_request(cap->res, tls13 ? CERTPICK_TLS13 : CERTPICK_TLS12, phase,
		    m, len);
}

/* see client.h */
void
cp_client_capture(SSL *ssl, struct cp_capture *cap)
{
	SSL_set_msg_callback(ssl, cp_client_msg_cb);
	SSL_set_msg_callback_arg(ssl, cap);
}

/* see client.h */
void
cp_identity_release(struct cp_identity *id)
{
	if (id == NULL)
		return;
	X509_free(id->cert);
	if (id->tok == NULL)
		EVP_PKEY_free(id->key);
	sk_X509_pop_free(id->chain, X509_free);
	cp_p11_key_close(id->tok); /* after every connection that signed with it */
	free(id->source);
	*id = (struct cp_identity){ 0 };
}

/* The candidate's private key: in memory, or opened on its PKCS#11 token. */
static int
identity_key(struct cp_identity *id, const struct certpick_candidate *c,
    const struct certpick_load_options *token_login, struct certpick_error *err)
{
	EVP_PKEY *key = certpick_candidate_get0_pkey(c);
	enum certpick_key_store store = certpick_candidate_key_store(c);

	if (key != NULL) {
		EVP_PKEY_up_ref(key);
		id->key = key;
		return 0;
	}
	if (store == CERTPICK_KEY_PKCS11 && cp_candidate_key_uri(c) != NULL) {
		if (cp_p11_key_open(cp_candidate_key_uri(c), token_login, &id->tok, err) != 0)
			return -1;
		id->key = cp_p11_key_pkey(id->tok);
		return 0;
	}
	return cp_error_set(err, CERTPICK_ERR_USAGE, "cannot use '%s': %s",
	    certpick_candidate_source(c),
	    store == CERTPICK_KEY_NONE ?
		"no private key found" :
		store == CERTPICK_KEY_NSS ?
		"its key is in an NSS database (use a file, a .p12 or a token)" :
		"its key is in a store certpick cannot open (use a file, a .p12 or a token)");
}

/* The certificate of sha256 hex among the candidate's own chain, then the pool. */
static X509 *
find_cert(STACK_OF(X509) *own, STACK_OF(X509) *pool, const char *sha256, struct certpick_error *err)
{
	char hex[65];

	for (int i = 0; i < sk_X509_num(own); i++)
		if (cp_x509_sha256_hex(sk_X509_value(own, i), hex, err) == 0 &&
		    strcmp(hex, sha256) == 0)
			return sk_X509_value(own, i);
	for (int i = 0; i < sk_X509_num(pool); i++)
		if (cp_x509_sha256_hex(sk_X509_value(pool, i), hex, err) == 0 &&
		    strcmp(hex, sha256) == 0)
			return sk_X509_value(pool, i);
	return NULL;
}

static int
identity_chain(struct cp_identity *id, const struct certpick_candset *set,
    const struct certpick_candidate *c, const struct certpick_sel_candidate *sel,
    struct certpick_error *err)
{
	STACK_OF(X509) *own = certpick_candidate_get0_chain(c);

	if (sel == NULL) {
		if ((id->chain = X509_chain_up_ref(own)) == NULL)
			return cp_error_nomem(err);
		return 0;
	}
	if ((id->chain = sk_X509_new_null()) == NULL)
		return cp_error_nomem(err);
	for (size_t k = 1; k < sel->n_chain; k++) {
		X509 *found = find_cert(own, set != NULL ? certpick_candset_get0_pool(set) : NULL,
		    sel->chain[k].sha256, err);

		if (found == NULL)
			return cp_error_set(err, CERTPICK_ERR_INTERNAL,
			    "chain certificate '%s' not found in the sources",
			    sel->chain[k].subject);
		if (sk_X509_push(id->chain, found) <= 0)
			return cp_error_nomem(err);
		X509_up_ref(found);
	}
	return 0;
}

/* see client.h */
int
cp_identity_from_candidate(struct cp_identity *id, const struct certpick_candset *set,
    const struct certpick_candidate *c, const struct certpick_sel_candidate *sel,
    const struct certpick_load_options *token_login, struct certpick_error *err)
{
	*id = (struct cp_identity){ 0 };
	if ((id->source = cp_strdup(certpick_candidate_source(c))) == NULL) {
		cp_error_nomem(err);
		goto fail;
	}
	id->cert = certpick_candidate_get0_x509(c);
	X509_up_ref(id->cert);
	if (identity_key(id, c, token_login, err) != 0 || identity_chain(id, set, c, sel, err) != 0)
		goto fail;
	return 0;
fail:
	cp_identity_release(id);
	return -1;
}

static int
add_source(struct certpick_candset *set, const char *src, const struct certpick_load_options *lo,
    struct certpick_error *err)
{
	if (strncasecmp(src, "pkcs11:", 7) == 0)
		return certpick_candset_add_pkcs11(set, src, lo, err);
	return certpick_candset_add_path(set, src, lo, err);
}

/* The first candidate with a private key; an error naming the sources when none. */
static const struct certpick_candidate *
first_with_key(const struct certpick_candset *set, const char *cert_src, const char *key_src,
    struct certpick_error *err)
{
	size_t n = certpick_candset_count(set);

	for (size_t i = 0; i < n; i++) {
		const struct certpick_candidate *c = certpick_candset_get(set, i);

		if (certpick_candidate_key_store(c) != CERTPICK_KEY_NONE &&
		    !certpick_candidate_has_key_mismatch(c))
			return c;
	}
	if (n == 0)
		cp_error_set(err, CERTPICK_ERR_IO,
		    "cannot load certificate from '%s': no certificate "
		    "found",
		    cert_src);
	else if (n > 0 && certpick_candidate_has_key_mismatch(certpick_candset_get(set, 0)))
		cp_error_set(err, CERTPICK_ERR_IO,
		    "the key in '%s' does not match the certificate in '%s'",
		    key_src != NULL ? key_src : cert_src, cert_src);
	else
		cp_error_set(err, CERTPICK_ERR_IO,
		    "cannot load private key from '%s': no private key "
		    "for the certificate in '%s'",
		    key_src != NULL ? key_src : cert_src, cert_src);
	return NULL;
}

/* see client.h */
int
cp_identity_load(struct cp_identity *id, const char *cert_src, const char *key_src,
    const char *password, struct certpick_error *err)
{
	struct certpick_load_options lo = { .password = password };
	struct certpick_candset *set;
	const struct certpick_candidate *c;
	int ret = -1;

	*id = (struct cp_identity){ 0 };
	if ((set = certpick_candset_new(err)) == NULL)
		return -1;
	if (add_source(set, cert_src, &lo, err) != 0 ||
	    (key_src != NULL && strcmp(key_src, cert_src) != 0 &&
		add_source(set, key_src, &lo, err) != 0) ||
	    certpick_candset_finish(set, err) != 0)
		goto out;
	if ((c = first_with_key(set, cert_src, key_src, err)) == NULL)
		goto out;
	ret = cp_identity_from_candidate(id, set, c, NULL, &lo, err);
out:
	certpick_candset_free(set); /* the identity holds its own references */
	return ret;
}

/* see client.h */
int
cp_identity_use(SSL *ssl, const struct cp_identity *id, struct certpick_error *err)
{
	/* a token's key has no public half to compare: the token signs, the server checks */
	X509 *cert = cp_x509_full(id->cert);

	if (cert == NULL || SSL_use_certificate(ssl, cert) != 1 ||
	    SSL_use_PrivateKey(ssl, id->key) != 1 ||
	    (id->tok == NULL && SSL_check_private_key(ssl) != 1))
		return cp_error_set_ossl(err, CERTPICK_ERR_USAGE, "cannot use the key of '%s'",
		    id->source);
	for (int i = 0; i < sk_X509_num(id->chain); i++) {
		X509 *y = cp_x509_full(sk_X509_value(id->chain, i));

		if (y == NULL || SSL_add1_chain_cert(ssl, y) != 1)
			return cp_error_nomem(err);
	}
	return 0;
}
