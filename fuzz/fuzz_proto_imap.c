/*
 * Target functions: cp_proto_imap / cp_proto_imaps step() (proto_imap.c): greeting, CAPABILITY
 * (untagged and response codes), STARTTLS, AUTHENTICATE EXTERNAL, tags; cp_proto_line.
 * Input: see proto_fuzz.h (parameters, chunk size, the server's turns).
 */
#include "proto_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return proto_fuzz("imap", "imaps", data, size);
}
