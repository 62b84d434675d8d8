/*
 * A test driver for the protocol layers (src/lib/proto.h), doing what the
 * engine does: it reveals the server's bytes `chunk` at a time (1: byte by
 * byte), collects what the layer writes, switches from the clear transcript
 * to the TLS one at STARTTLS (leftover clear bytes at that moment are
 * counted, as the engine refuses them), and ends at DONE or FAIL or when the
 * transcript is used up (then once with eof). Header-only: each layer's test
 * includes it.
 */
#ifndef CERTPICK_PROTO_DRIVE_H
#define CERTPICK_PROTO_DRIVE_H

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "proto.h"

struct pd_run {
	enum cp_proto_act last;
	struct cp_buf wrote_clear, wrote_tls; /* what the layer sent, before/after TLS */
	bool started_tls;
	size_t leftover_at_starttls; /* clear bytes unconsumed at STARTTLS */
	struct cp_proto_verdict v;
	unsigned steps;
};

static inline void
pd_free(struct pd_run *r)
{
	cp_buf_free(&r->wrote_clear);
	cp_buf_free(&r->wrote_tls);
	cp_proto_verdict_clear(&r->v);
}

static inline void
pd_run(const struct cp_proto_ops *ops, const struct cp_proto_params *p, const void *clear,
    size_t clear_len, const void *tls, size_t tls_len, size_t chunk, struct pd_run *r)
{
	void *st = calloc(1, ops->state_size ? ops->state_size : 1);
	bool tls_up = ops->implicit_tls;
	const uint8_t *src = tls_up ? tls : clear;
	size_t src_len = tls_up ? tls_len : clear_len;
	size_t shown = 0, off = 0, used;
	bool eof = false;

	memset(r, 0, sizeof(*r));
	r->v.code = -1;
	r->started_tls = tls_up;
	ops->init(st, p);
	for (r->steps = 0; r->steps < 100000; r->steps++) {
		struct cp_buf *out = tls_up ? &r->wrote_tls : &r->wrote_clear;

		r->last = ops->step(st, tls_up, eof, src != NULL ? src + off : (const uint8_t *)"",
		    shown - off, &used, out, &r->v);
		if (used > shown - off)
			abort(); /* a layer consumed bytes it was not given */
		off += used;
		if (r->last == CP_PROTO_DONE || r->last == CP_PROTO_FAIL)
			break;
		if (r->last == CP_PROTO_STARTTLS) {
			if (tls_up)
				abort();
			r->leftover_at_starttls = src_len - off;
			tls_up = r->started_tls = true;
			src = tls;
			src_len = tls_len;
			shown = off = 0;
			continue;
		}
		if (r->last == CP_PROTO_WRITE)
			continue;
		/* READ: reveal more, or say EOF once */
		if (eof)
			break;
		if (shown == src_len)
			eof = true;
		else
			shown = shown + chunk > src_len ? src_len : shown + chunk;
	}
	if (ops->clear != NULL)
		ops->clear(st);
	free(st);
}

#endif
