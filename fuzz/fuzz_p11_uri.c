/*
 * Target functions: the PKCS#11 URI parser (RFC 7512 attributes,
 * percent-decoding; uri_parse via cp_p11_uri_check) and cp_p11_uri_redact
 * (candidate_p11.c), which every message quoting a URI goes through.
 * Input: the URI text a user passes to select --pkcs11.
 * Invariant: the redacted URI never holds a pin-value's value.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certpick_error err;
	char *uri, *shown;

	if ((uri = malloc(size + 1)) == NULL)
		return 0;
	memcpy(uri, data, size);
	uri[size] = '\0';
	if ((shown = cp_p11_uri_redact(uri)) != NULL) {
		/* every pin-value attribute reads "pin-value=***" (or is empty) */
		for (const char *p = shown; (p = strstr(p, "pin-value=")) != NULL; p += 10) {
			const char *v = p + 10;

			if ((p == shown || p[-1] == ';' || p[-1] == '?' || p[-1] == '&' ||
				(p == shown + 7 && strncmp(shown, "pkcs11:", 7) == 0)) &&
			    *v != '\0' && strchr(";?&", *v) == NULL && strncmp(v, "***", 3) != 0)
				abort();
		}
		free(shown);
	}
	(void)cp_p11_uri_check(uri, &err);
	free(uri);
	return 0;
}
