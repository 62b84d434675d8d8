/* --at TIME: RFC 3339 ("2030-01-01T12:00:00Z", "...+02:00") or a date ("2030-01-01", UTC). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
cli_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign = 0;
	size_t len = strlen(s);
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (strlen(p) < 9 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi) ||
		    p[6] != ':' || digits(p + 7, 2, &sec))
			return -1;
		p += 9;
		if (*p == '.') { /* fractions of a second are ignored */
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			if (strlen(p) < 6 || digits(p + 1, 2, &oh) || p[3] != ':' ||
			    digits(p + 4, 2, &om) || oh > 23 || om > 59)
				return -1;
			p += 6;
		} else {
			return -1;
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	/* timegm normalizes 2030-02-30 to March 2: a date that does not exist is refused */
	if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d)
		return -1;
	if (sign != 0)
		*out -= sign * (oh * 3600 + om * 60);
	return 0;
}
