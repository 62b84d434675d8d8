/*
 * The registry of protocol layers (proto.h): one row per URL scheme. A new
 * protocol adds its ops in its own proto_<name>.c and one line here.
 */
#include <stdlib.h>
#include <strings.h>

#include "internal.h"
#include "proto.h"

extern const struct cp_proto_ops cp_proto_tls;
extern const struct cp_proto_ops cp_proto_smtp, cp_proto_smtps;
extern const struct cp_proto_ops cp_proto_imap, cp_proto_imaps;
extern const struct cp_proto_ops cp_proto_pop3, cp_proto_pop3s;
extern const struct cp_proto_ops cp_proto_ldap, cp_proto_ldaps;
extern const struct cp_proto_ops cp_proto_ftp, cp_proto_ftps;
extern const struct cp_proto_ops cp_proto_xmpp;
extern const struct cp_proto_ops cp_proto_postgres, cp_proto_postgresql;
extern const struct cp_proto_ops cp_proto_mysql, cp_proto_mariadb;
extern const struct cp_proto_ops cp_proto_mqtt, cp_proto_mqtts;

static const struct cp_proto_ops *const layers[] = {
	&cp_proto_tls,
	&cp_proto_smtp,
	&cp_proto_smtps,
	&cp_proto_imap,
	&cp_proto_imaps,
	&cp_proto_pop3,
	&cp_proto_pop3s,
	&cp_proto_ldap,
	&cp_proto_ldaps,
	&cp_proto_ftp,
	&cp_proto_ftps,
	&cp_proto_xmpp,
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
