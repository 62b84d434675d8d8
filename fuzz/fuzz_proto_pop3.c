/*
 * Target functions: cp_proto_pop3 / cp_proto_pop3s step() (proto_pop3.c): greeting, CAPA list,
 * STLS, AUTH EXTERNAL; cp_proto_line, cp_proto_cap_line.
 * Input: see proto_fuzz.h (parameters, chunk size, the server's turns).
 */
#include "proto_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return proto_fuzz("pop3", "pop3s", data, size);
}
