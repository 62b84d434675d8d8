/*
 * Target functions: cp_proto_ldap / cp_proto_ldaps step() (proto_ldap.c): the BER reader of
 * LDAPMessage (ExtendedResponse, BindResponse, Notice of Disconnection, controls).
 * Input: see proto_fuzz.h (parameters, chunk size, the server's turns).
 */
#include "proto_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return proto_fuzz("ldap", "ldaps", data, size);
}
