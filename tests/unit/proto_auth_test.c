/*
 * proto_auth.c: the password computations of the database layers, against
 * published vectors (RFC 7677 3 for SCRAM-SHA-256) and values computed
 * independently (Python's hashlib) for PostgreSQL MD5 and the MySQL scrambles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"
#include "proto.h"

#define RFC7677_NONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC7677_SFIRST \
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"

static const char *
final_for(struct cp_scram *s, const char *server_first, struct cp_buf *out)
{
	cp_scram_init(s, "user", RFC7677_NONCE);
	cp_buf_reset(out);
	return cp_scram_final(s, "pencil", server_first, strlen(server_first), out);
}

/* RFC 7677 3: user "user", password "pencil", the exchange byte for byte. */
static void
scram_rfc7677_vector(void **state)
{
	static const char sfinal[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	struct cp_scram s;
	struct cp_buf out = { 0 };

	(void)state;
	assert_null(final_for(&s, RFC7677_SFIRST, &out));
	assert_string_equal(s.first_bare, "n=user,r=" RFC7677_NONCE);
	assert_string_equal(out.p,
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(cp_scram_verify(&s, sfinal, strlen(sfinal)), 0);
	/* one bit off, an error instead, a short signature: refused */
	assert_int_equal(cp_scram_verify(&s, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95H4=", 46),
	    -1);
	assert_int_equal(cp_scram_verify(&s, "e=invalid-proof", 15), -1);
	assert_int_equal(cp_scram_verify(&s, "v=AAAA", 6), -1);
	cp_scram_wipe(&s);
	assert_int_equal(cp_scram_verify(&s, sfinal, strlen(sfinal)), -1);
	cp_buf_free(&out);
}

/* Server-first messages a client must refuse, each with a sentence. */
static void
scram_hostile_server_first(void **state)
{
	static const char *const bad[] = {
		"r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"r=" RFC7677_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", /* not extended */
		"r=" RFC7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
		"r=" RFC7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999",
		"r=" RFC7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=12a",
		"r=" RFC7677_NONCE "x,s=not*base64,i=4096",
		"r=" RFC7677_NONCE "x,s=,i=4096",
		"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" RFC7677_NONCE "x,i=4096",
		"",
	};
	struct cp_scram s;
	struct cp_buf out = { 0 };

	(void)state;
	for (size_t i = 0; i < CP_NELEM(bad); i++) {
		const char *why = final_for(&s, bad[i], &out);

		if (why == NULL)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(out.len, 0);
		assert_false(s.have_signature);
	}
	cp_scram_wipe(&s);
	cp_buf_free(&out);
}

static void
hexs(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
pg_md5_and_mysql_scrambles(void **state)
{
	static const uint8_t salt[4] = { 1, 2, 3, 4 };
	static const uint8_t scramble[20] = "abcdefghijklmnopqrst";
	char md5[36], h[65];
	uint8_t r[32];

	(void)state;
	assert_int_equal(cp_auth_pg_md5("alice", "secret", salt, md5), 0);
	assert_string_equal(md5, "md598a0412b9c31436fc53776e863350083");
	assert_int_equal(cp_auth_mysql_native("secret", scramble, r), 0);
	hexs(r, 20, h);
	assert_string_equal(h, "8817c50fa779daef010ee7577825b0847df9842e");
	assert_int_equal(cp_auth_mysql_sha2("secret", scramble, r), 0);
	hexs(r, 32, h);
	assert_string_equal(h, "c76e2898612a4cf042c77fa8c4702c4c64c0c2c557c53c4d75595aaa6abae809");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scram_rfc7677_vector),
		cmocka_unit_test(scram_hostile_server_first),
		cmocka_unit_test(pg_md5_and_mysql_scrambles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
