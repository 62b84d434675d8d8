/* dn.c and dn_parse.c: DER kept, RFC 4514 rendered, compared two ways. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "testutil.h"
#include "internal.h"

/* SEQUENCE { SET { SEQUENCE { OID CN, PrintableString "Root A" } } } */
static const char cn_printable[] = "3011310f300d06035504031306526f6f742041";
/* the same name as UTF8String */
static const char cn_utf8[] = "3011310f300d06035504030c06526f6f742041";
/* the same name in lower case, UTF8String */
static const char cn_utf8_lower[] = "3011310f300d06035504030c06726f6f742061";

static void
init_renders_rfc4514(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_dn dn;
	size_t len;
	uint8_t *der = tu_unhex(cn_printable, &len);
	char h[17];

	(void)state;
	assert_ok(certpick_dn_init_der(&dn, der, len, &err), &err);
	assert_true(dn.valid);
	assert_string_equal(dn.rfc4514, "CN=Root A");
	assert_int_equal(dn.der_len, len);
	assert_memory_equal(dn.der, der, len);
	certpick_dn_short_hash(&dn, h, 8);
	assert_int_equal(strlen(h), 16);
	certpick_dn_release(&dn);
	free(der);
}

static void
compare_exact_vs_normalized(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_dn a, b, c;
	size_t la, lb, lc;
	uint8_t *da = tu_unhex(cn_printable, &la), *db = tu_unhex(cn_utf8, &lb),
		*dc = tu_unhex(cn_utf8_lower, &lc);

	(void)state;
	assert_ok(certpick_dn_init_der(&a, da, la, &err), &err);
	assert_ok(certpick_dn_init_der(&b, db, lb, &err), &err);
	assert_ok(certpick_dn_init_der(&c, dc, lc, &err), &err);
	assert_false(certpick_dn_equal_exact(&a, &b));
	assert_true(certpick_dn_equal_normalized(&a, &b));
	assert_true(certpick_dn_equal_normalized(&b, &c));
	assert_false(certpick_dn_equal_exact(&b, &c));
	certpick_dn_release(&a);
	certpick_dn_release(&b);
	certpick_dn_release(&c);
	free(da);
	free(db);
	free(dc);
}

/* malformed DER is kept, marked invalid, and never equal unless identical */
static void
malformed_der_kept(void **state)
{
	struct certpick_error err = { 0 };
	struct certpick_dn a, b;
	const uint8_t junk[] = { 0x30, 0x05, 0x31, 0x03, 0x30, 0x01 };
	const uint8_t trailing[] = { 0x30, 0x00, 0xff };

	(void)state;
	assert_ok(certpick_dn_init_der(&a, junk, sizeof(junk), &err), &err);
	assert_false(a.valid);
	assert_null(a.rfc4514);
	assert_ok(certpick_dn_init_der(&b, trailing, sizeof(trailing), &err), &err);
	assert_false(b.valid);
	assert_false(certpick_dn_equal_normalized(&a, &b));
	assert_true(certpick_dn_equal_normalized(&a, &a));
	certpick_dn_release(&a);
	certpick_dn_release(&b);
	assert_ok(certpick_dn_init_der(&a, junk, 0, &err), &err);
	assert_false(a.valid);
	certpick_dn_release(&a);
}

static const struct {
	const char *in;
	const char *want; /* RFC 4514 rendering; NULL = parse error */
} rfc4514_rows[] = {
	{ "CN=Root A,O=Example", "CN=Root A,O=Example" },
	{ "CN=a\\,b,O=x", "CN=a\\,b,O=x" },	    /* escaped comma */
	{ "CN=Int A1\\ ,O=x", "CN=Int A1\\ ,O=x" }, /* escaped trailing space */
	{ "CN=x+OU=y,O=z", "OU=y+CN=x,O=z" },	    /* multi-valued RDN */
	{ "2.5.4.3=dotted", "CN=dotted" },	    /* numeric type */
	{ "CN=\\41BC", "CN=ABC" },		    /* hex escape */
	{ "CN=#0c03616263", "CN=abc" },		    /* #DER value */
	{ "", NULL },
	{ "novalue", NULL },
	{ "XX=unknown type", NULL },
	{ "CN=trailing\\", NULL },
	{ "CN=#zz", NULL },
};

static void
parse_rfc4514_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4514_rows) / sizeof(rfc4514_rows[0]); i++) {
		struct certpick_error err = { 0 };
		struct certpick_dn dn;
		int rc = certpick_dn_init_rfc4514(&dn, rfc4514_rows[i].in, &err);

		if (rfc4514_rows[i].want == NULL) {
			if (rc == 0)
				fail_msg("'%s' parsed as '%s'", rfc4514_rows[i].in, dn.rfc4514);
			assert_int_equal(err.code, CERTPICK_ERR_PARSE);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s': %s", rfc4514_rows[i].in, err.message);
		assert_string_equal(dn.rfc4514, rfc4514_rows[i].want);
		certpick_dn_release(&dn);
	}
}

static void
hex_helper(void **state)
{
	const uint8_t b[] = { 0x00, 0xab, 0xff };
	char *s = certpick_hex(b, sizeof(b));

	(void)state;
	assert_string_equal(s, "00abff");
	free(s);
}

static int
dn_roundtrip_op(void *arg)
{
	struct certpick_error err;
	struct certpick_dn a, b;
	int ret = -1;

	(void)arg;
	if (certpick_dn_init_rfc4514(&a, "CN=Root A+OU=x,O=Example\\,Inc,C=DE", &err) != 0)
		return -1;
	if (certpick_dn_copy(&b, &a, &err) == 0) {
		ret = certpick_dn_equal_normalized(&a, &b) ? 0 : -1;
		certpick_dn_release(&b);
	}
	certpick_dn_release(&a);
	return ret;
}

/* every allocation along parse, render, copy and compare can fail cleanly */
static void
dn_allocation_failures(void **state)
{
	(void)state;
	assert_true(tu_alloc_loop(dn_roundtrip_op, NULL) > 5);
}

/*
 * The subjects of a PEM file, in file order (what `select --ca-names` sends);
 * negatives: a missing file, a file with no certificate, a key only.
 */
static void
list_load_pem(void **state)
{
	struct certpick_dn_list l = { 0 };
	struct certpick_error err = { 0 };

	(void)state;
	assert_ok(certpick_dn_list_load_pem(tu_data("candidate/leaf-chain.pem"), &l, &err), &err);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].rfc4514, "CN=leaf,O=certpick fixtures");
	assert_string_equal(l.v[1].rfc4514, "CN=Fixture int,O=certpick fixtures");
	assert_true(l.v[0].valid && l.v[1].valid);
	certpick_dn_list_release(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	certpick_dn_list_release(&l);
	certpick_dn_list_release(NULL);

	assert_int_equal(certpick_dn_list_load_pem("/nonexistent/ca.pem", &l, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_IO);
	assert_int_equal(l.n, 0);
	assert_int_equal(certpick_dn_list_load_pem(tu_data("candidate/junk.txt"), &l, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PARSE);
	assert_non_null(strstr(err.message, "no PEM certificate in '"));
	assert_null(l.v);
	assert_int_equal(certpick_dn_list_load_pem(tu_data("candidate/int.key"), &l, &err), -1);
	assert_int_equal(err.code, CERTPICK_ERR_PARSE);
	assert_int_equal(certpick_dn_list_load_pem(tu_data("candidate/empty.pem"), &l, &err), -1);
	assert_int_equal(l.n, 0);
}

static int
list_load_op(void *arg)
{
	struct certpick_dn_list l = { 0 };
	struct certpick_error err = { 0 };
	int rc;

	(void)arg;
	rc = certpick_dn_list_load_pem(tu_data("candidate/leaf-chain.pem"), &l, &err);
	assert_true(rc == 0 || (l.v == NULL && l.n == 0));
	certpick_dn_list_release(&l);
	return rc;
}

/* every allocation failing in turn: an error, nothing leaked, the list empty */
static void
list_load_allocation_failures(void **state)
{
	(void)state;
	assert_true(tu_alloc_loop(list_load_op, NULL) > 3);
}

/* cp_dn_from_name() of a parsed name is certpick_dn_init_der() of its DER, field by field. */
static void
from_parsed_name_as_from_der(void **state)
{
	static const char *const names[] = { "CN=Root A,O=Example", "CN=a\\,b+OU=x,O=Ü Corp",
		"C=DE,L=Berlin,CN=t\\=q", "CN= lead and trail " };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct certpick_error err = { 0 };
		struct certpick_dn a, b;
		const unsigned char *p;
		X509_NAME *name;

		assert_ok(certpick_dn_init_rfc4514(&a, names[i], &err), &err);
		p = a.der;
		assert_non_null(name = d2i_X509_NAME(NULL, &p, (long)a.der_len));
		assert_ok(cp_dn_from_name(&b, name, &err), &err);
		assert_int_equal(a.der_len, b.der_len);
		assert_memory_equal(a.der, b.der, a.der_len);
		assert_memory_equal(a.sha256, b.sha256, 32);
		assert_string_equal(a.rfc4514, b.rfc4514);
		assert_int_equal(a.valid, b.valid);
		X509_NAME_free(name);
		certpick_dn_release(&a);
		certpick_dn_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_renders_rfc4514),
		cmocka_unit_test(from_parsed_name_as_from_der),
		cmocka_unit_test(compare_exact_vs_normalized),
		cmocka_unit_test(malformed_der_kept),
		cmocka_unit_test(parse_rfc4514_table),
		cmocka_unit_test(hex_helper),
		cmocka_unit_test(dn_allocation_failures),
		cmocka_unit_test(list_load_pem),
		cmocka_unit_test(list_load_allocation_failures),
	};

	tu_allocfail_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
