/*
 * Target functions: cp_proto_ftp / cp_proto_ftps step() (proto_ftp.c): greeting (with 1xx), AUTH TLS,
 * PBSZ, PROT, USER; cp_proto_reply with RFC 959 text lines.
 * Input: see proto_fuzz.h (parameters, chunk size, the server's turns).
 */
#include "proto_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return proto_fuzz("ftp", "ftps", data, size);
}
