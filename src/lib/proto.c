/*
 * The registry of protocol layers (proto.h): one row per URL scheme. A new
 * protocol adds its ops in its own proto_<name>.c and one line here.
 */
#include <stdlib.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

extern const struct cp_proto_ops cp_proto_tls;

static const struct cp_proto_ops *const layers[] = {
	&cp_proto_tls,
};

const struct cp_proto_ops *
cp_proto_find(const char *scheme)
{
	if (scheme == NULL)
		return NULL;
	for (size_t i = 0; i < CP_NELEM(layers); i++)
		if (strcasecmp(layers[i]->scheme, scheme) == 0)
			return layers[i];
	return NULL;
}

void
cp_proto_verdict_clear(struct cp_proto_verdict *v)
{
	if (v == NULL)
		return;
	free(v->text);
	free(v->identity);
	free(v->capabilities);
	free(v->banner);
	*v = (struct cp_proto_verdict){ .code = -1 };
}
