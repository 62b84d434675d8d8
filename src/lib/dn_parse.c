/*
 * RFC 4514 string -> X509_NAME. Pure: used for --issuer on the command line
 * and for names read back from JSON. The string's first RDN is the most
 * specific one, so RDNs are added in reverse order.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "internal.h"

struct rdn_part {
	char *type;
	unsigned char *value;
	size_t value_len;
	int set; /* multi-valued RDN continues the previous one */
	int hex; /* value given as #DER */
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads one "type=value" at *pp; stops at an unescaped ',' or '+' or the end. */
static int
parse_ava(const char **pp, struct rdn_part *part, struct certpick_error *err)
{
	const char *p = *pp, *eq;
	size_t cap, n = 0;

	while (*p == ' ')
		p++;
	if ((eq = strchr(p, '=')) == NULL || eq == p)
		return cp_error_set(err, CERTPICK_ERR_PARSE,
		    "cannot parse name: missing 'type=' near '%.20s'", p);
	if ((part->type = cp_malloc((size_t)(eq - p) + 1)) == NULL)
		return cp_error_nomem(err);
	memcpy(part->type, p, (size_t)(eq - p));
	part->type[eq - p] = '\0';
	for (size_t tl = strlen(part->type); tl > 0 && part->type[tl - 1] == ' '; tl--)
		part->type[tl - 1] = '\0';
	p = eq + 1;
	cap = strlen(p) + 1;
	if ((part->value = cp_malloc(cap)) == NULL)
		return cp_error_nomem(err);
	if (*p == '#') {
		part->hex = 1;
		for (p++; hexval(p[0]) >= 0 && hexval(p[1]) >= 0; p += 2)
			part->value[n++] = (unsigned char)(hexval(p[0]) << 4 | hexval(p[1]));
	} else {
		for (; *p != '\0' && *p != ',' && *p != '+'; p++) {
			if (*p != '\\') {
				part->value[n++] = (unsigned char)*p;
				continue;
			}
			p++;
			if (hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
				part->value[n++] =
				    (unsigned char)(hexval(p[0]) << 4 | hexval(p[1]));
				p++;
			} else if (*p != '\0') {
				part->value[n++] = (unsigned char)*p;
			} else {
				return cp_error_set(err, CERTPICK_ERR_PARSE,
				    "cannot parse name: trailing '\\'");
			}
		}
	}
	if (*p != '\0' && *p != ',' && *p != '+')
		return cp_error_set(err, CERTPICK_ERR_PARSE,
		    "cannot parse name: bad hex value near '%.20s'", p);
	part->value_len = n;
	*pp = p;
	return 0;
}

static int
add_part(X509_NAME *name, const struct rdn_part *part, int set, struct certpick_error *err)
{
	ASN1_OBJECT *obj = NULL;
	ASN1_TYPE *t = NULL;
	const unsigned char *q;
	int ok;

	if ((obj = OBJ_txt2obj(part->type, 0)) == NULL)
		return cp_error_set(err, CERTPICK_ERR_PARSE,
		    "cannot parse name: unknown attribute type '%s'", part->type);
	if (part->hex) {
		q = part->value;
		if ((t = d2i_ASN1_TYPE(NULL, &q, (long)part->value_len)) == NULL ||
		    t->type == V_ASN1_SEQUENCE || t->type == V_ASN1_SET) {
			ASN1_OBJECT_free(obj);
			ASN1_TYPE_free(t);
			return cp_error_set(err, CERTPICK_ERR_PARSE,
			    "cannot parse name: bad #DER value for '%s'", part->type);
		}
		ok = X509_NAME_add_entry_by_OBJ(name, obj, t->type,
		    ASN1_STRING_get0_data(t->value.asn1_string),
		    ASN1_STRING_length(t->value.asn1_string), -1, set);
		ASN1_TYPE_free(t);
	} else {
		ok = X509_NAME_add_entry_by_OBJ(name, obj, MBSTRING_UTF8, part->value,
		    (int)part->value_len, -1, set);
	}
	ASN1_OBJECT_free(obj);
	if (!ok)
		return cp_error_set_ossl(err, CERTPICK_ERR_PARSE,
		    "cannot parse name: bad value for '%s'", part->type);
	return 0;
}

struct X509_name_st *
cp_name_parse_rfc4514(const char *text, struct certpick_error *err)
{
	struct rdn_part *parts = NULL;
	size_t n = 0;
	X509_NAME *name = NULL, *ret = NULL;
	const char *p = text;
	int joined = 0;

	while (*p != '\0') {
		struct rdn_part *part = cp_array_push(&parts, &n, sizeof(*parts));

		if (part == NULL) {
			cp_error_nomem(err);
			goto out;
		}
		part->set = joined;
		if (parse_ava(&p, part, err) != 0)
			goto out;
		joined = *p == '+';
		if (*p != '\0')
			p++;
	}
	if (n == 0) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "cannot parse name: empty");
		goto out;
	}
	if ((name = X509_NAME_new()) == NULL) {
		cp_error_nomem(err);
		goto out;
	}
	/* reverse RDN order; members of a '+' group stay in one RDN */
	for (size_t end = n; end > 0;) {
		size_t start = end - 1;

		while (start > 0 && parts[start].set)
			start--;
		for (size_t k = start; k < end; k++)
			if (add_part(name, &parts[k], k == start ? 0 : -1, err) != 0)
				goto out;
		end = start;
	}
	ret = name;
	name = NULL;
out:
	for (size_t i = 0; i < n; i++) {
		free(parts[i].type);
		free(parts[i].value);
	}
	free(parts);
	X509_NAME_free(name);
	return ret;
}
