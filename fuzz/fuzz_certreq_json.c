/*
 * Target functions: certpick_certreq_list_from_json (certreq_json.c), and
 * through it certpick_certreq_build and certpick_certreq_parse (certreq_codec.c),
 * certpick_dn_init_rfc4514 and certpick_dn_init_der.
 * Input: JSON text (a saved probe, JSON Lines, or bare requests).
 */
#include <stdlib.h>

#include <openssl/err.h>

#include "certpick/certpick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
one_input(const uint8_t *data, size_t size)
{
	struct certpick_error err;
	struct certpick_certreq_list l;

	if (certpick_certreq_list_from_json((const char *)data, size, &l, &err) == 0) {
		if (l.n == 0)
			abort();
		certpick_certreq_list_release(&l);
	} else if (l.n != 0 || l.v != NULL) {
		abort();
	}
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
