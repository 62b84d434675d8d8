/*
 * tls://host:port: the handshake only, for a service certpick does not speak
 * (Kafka, gRPC with --alpn h2, a custom TLS port). Nothing is said after the
 * handshake; the verdict is the handshake's (alerts, as the engine saw them).
 */
#include "internal.h"
#include "proto.h"

static void
tls_init(void *st, const struct cp_proto_params *p)
{
	(void)st;
	(void)p;
}

static enum cp_proto_act
tls_step(void *st, bool tls_up, bool eof, const uint8_t *in, size_t len, size_t *used,
    struct cp_buf *out, struct cp_proto_verdict *v)
{
	(void)st;
	(void)eof;
	(void)in;
	(void)len;
	(void)out;
	*used = 0;
	if (!tls_up) /* implicit TLS: never called before the handshake */
		return CP_PROTO_STARTTLS;
	v->outcome = CP_PROTO_HANDSHAKE_ONLY;
	return CP_PROTO_DONE;
}

const struct cp_proto_ops cp_proto_tls = {
	.name = "tls",
	.scheme = "tls",
	.default_port = "443",
	.implicit_tls = true,
	.state_size = 0,
	.init = tls_init,
	.step = tls_step,
	.clear = NULL,
};
