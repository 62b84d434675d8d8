/*
 * Target functions: cp_proto_smtp / cp_proto_smtps step() (proto_smtp.c): greeting, EHLO capabilities,
 * STARTTLS, relay check, AUTH EXTERNAL; cp_proto_reply, cp_proto_line, cp_proto_cap_line
 * (proto_text.c).
 * Input: see proto_fuzz.h (parameters, chunk size, the server's turns).
 */
#include "proto_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return proto_fuzz("smtp", "smtps", data, size);
}
