/*
 * The jansson bridge: the JSON shapes of the output contract (docs/json.md)
 * that more than one command writes, built in one place so that `check`,
 * `select`, `probe`, `get` and the pages of `serve` say a DN, a finding or an
 * error the same way.
 *
 * Only code that already speaks jansson includes this header (as openssl.h
 * is for OpenSSL); the umbrella certpick.h does not. The results are
 * jansson values (json_t from <jansson.h>): the caller owns each one and
 * releases it with json_decref(). Every function returns NULL when an
 * allocation fails, so a caller that hands the result to
 * json_object_set_new()/json_array_append_new() sees the failure there.
 * Text from outside is made valid JSON with certpick_text_utf8() (outtext.h):
 * bytes that are not UTF-8 become "\xNN", never a refusal.
 */
#ifndef CERTPICK_JSON_H
#define CERTPICK_JSON_H

#include "certpick/defs.h"

#include "certpick/dn.h"
#include "certpick/error.h"
#include "certpick/reason.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t; /* jansson's json_t */

/* A JSON string of s through certpick_text_utf8(); JSON null for a NULL s. */
CERTPICK_API CERTPICK_MUST_CHECK struct json_t *certpick_json_text(const char *s);
/*
 * A DN: {"rfc4514": "CN=a,O=b" (null when dn has no text form), "der": hex,
 * "sha256": hex}.
 */
CERTPICK_API CERTPICK_MUST_CHECK struct json_t *certpick_json_dn(const struct certpick_dn *dn);
/*
 * A finding: {"id", "severity", "message", "hint"} from the reason list
 * (reason.h), and "detail" when f has one.
 */
CERTPICK_API CERTPICK_MUST_CHECK struct json_t *certpick_json_finding(
    const struct certpick_finding *f);
/* An array of certpick_json_finding(); an empty array for a NULL f. */
CERTPICK_API CERTPICK_MUST_CHECK struct json_t *certpick_json_findings(
    const struct certpick_findings *f);
/* An error: {"code": certpick_errc_name(), "message", "detail"}. */
CERTPICK_API CERTPICK_MUST_CHECK struct json_t *certpick_json_error(
    const struct certpick_error *err);

#ifdef __cplusplus
}
#endif
#endif
