/*
 * Target functions: the postgres:// layer's step() (proto_pg.c):
 * every server answer it reads, driven as the engine drives it.
 * Input: see proto_fuzz.h (parameters, chunk size, the server's turns); byte 0
 * with 0x80 gives a service password, so the password states run too.
 */
#include "proto_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return proto_fuzz("postgres", NULL, data, size);
}
