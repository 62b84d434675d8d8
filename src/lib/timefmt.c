/* Times: ASN1_TIME -> time_t, and time_t -> RFC 3339 UTC text. One copy for the library. */
#include <stdio.h>
#include <time.h>

#include <openssl/asn1.h>

#include "internal.h"

time_t
cp_asn1_time(const ASN1_TIME *t)
{
	int ok;
	long long v = cp_asn1_time_to_unix(t, &ok);

	return ok ? (time_t)v : 0;
}

const char *
cp_iso8601(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}
