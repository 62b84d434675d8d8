/* Times: ASN1_TIME -> time_t, and time_t -> RFC 3339 UTC text. One copy for the library. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>

#include "internal.h"

/* see internal.h */
long long
cp_asn1_time_to_unix(const ASN1_TIME *t, int *ok)
{
	struct tm tm;

	*ok = 0;
	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	*ok = 1;
	return (long long)timegm(&tm);
}

/* see internal.h */
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
