/*
 * Target functions: certpick_dn_init_der, certpick_dn_equal_normalized,
 * certpick_dn_init_rfc4514 (dn.c, dn_parse.c).
 * Input: first byte picks the mode; the rest is DER or RFC 4514 text.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "certpick/certpick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
one_input(const uint8_t *data, size_t size)
{
	struct certpick_error err;
	struct certpick_dn a, b;
	char *text;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if ((text = malloc(size)) == NULL)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (certpick_dn_init_rfc4514(&a, text, &err) == 0) {
			if (certpick_dn_init_der(&b, a.der, a.der_len, &err) == 0) {
				if (!certpick_dn_equal_normalized(&a, &b))
					abort();
				certpick_dn_release(&b);
			}
			certpick_dn_release(&a);
		}
		free(text);
		return 0;
	}
	size_t half = (size - 1) / 2;
	if (certpick_dn_init_der(&a, data + 1, half, &err) != 0)
		return 0;
	if (certpick_dn_init_der(&b, data + 1 + half, size - 1 - half, &err) == 0) {
		(void)certpick_dn_equal_normalized(&a, &b);
		(void)certpick_dn_equal_exact(&a, &b);
		certpick_dn_release(&b);
	}
	certpick_dn_release(&a);
	return 0;
}

/*
 * OpenSSL keeps the error data of a failed parse in the thread's error queue
 * until the next clear; clearing after each input keeps mallocs == frees, so
 * libFuzzer's leak check runs only when something really leaked.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)one_input(data, size);
	ERR_clear_error();
	return 0;
}
