/*
 * The registry of protocol layers (proto.h): one row per URL scheme. A new
 * protocol adds its ops in its own proto_<name>.c and one line here.
 */
#include <stdlib.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

extern const struct cp_proto_ops cp_proto_tls;
extern const struct cp_proto_ops cp_proto_postgres, cp_proto_postgresql;
extern const struct cp_proto_ops cp_proto_mysql, cp_proto_mariadb;
extern const struct cp_proto_ops cp_proto_mqtt, cp_proto_mqtts;

static const struct cp_proto_ops *const layers[] = {
	&cp_proto_tls,
	&cp_proto_postgres,
	&cp_proto_postgresql,
	&cp_proto_mysql,
	&cp_proto_mariadb,
	&cp_proto_mqtts,
	&cp_proto_mqtt,
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
