/*
 * Target functions: certpick_certreq_parse, cp_certreq_lint (certreq_codec.c,
 * certreq.c), certpick_dn_init_der on every CA name.
 * Input: first byte picks the version (bit 0: TLS 1.3) and the phase (bits
 * 1-2); the rest is a CertificateRequest body without its 4-byte header.
 */
#include <stdlib.h>
#include <string.h>

#include "certpick/certpick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certpick_error err;
	struct certpick_certreq *req;
	uint16_t version;
	enum certpick_phase phase;

	if (size < 1)
		return 0;
	version = (data[0] & 1) ? CERTPICK_TLS13 : CERTPICK_TLS12;
	phase = (enum certpick_phase)((data[0] >> 1) % 3);
	req = certpick_certreq_parse(version, phase, data + 1, size - 1, &err);
	if (req == NULL)
		return 0;
	/* every borrowed pointer lies inside raw */
	for (size_t i = 0; i < req->n_extensions; i++)
		if (req->extensions[i].data < req->raw ||
		    req->extensions[i].data + req->extensions[i].len > req->raw + req->raw_len)
			abort();
	for (size_t i = 0; i < req->n_sigalgs; i++)
		(void)certpick_sigalg_name(req->sigalgs[i]);
	if (req->raw_len != size - 1 || req->size != size + 3)
		abort();
	certpick_certreq_free(req);
	return 0;
}
