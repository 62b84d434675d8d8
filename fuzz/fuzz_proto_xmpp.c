/*
 * Target functions: cp_proto_xmpp step() (proto_xmpp.c): the XML tokenizer (tags, attributes,
 * references, caps on depth, names, tokens), stream header, features, STARTTLS,
 * SASL EXTERNAL answers.
 * Input: see proto_fuzz.h (parameters, chunk size, the server's turns).
 */
#include "proto_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return proto_fuzz("xmpp", NULL, data, size);
}
