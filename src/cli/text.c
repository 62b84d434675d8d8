/* Shared text shapes: findings, times. */
#include <time.h>

#include "cli.h"

void
cli_text_finding(FILE *fp, const struct certpick_finding *f, const char *indent)
{
	fprintf(fp, "%s%s%-7s%s %s%s%s: %s", indent, cli_c_severity(f->severity),
	    certpick_severity_name(f->severity), cli_c_reset(), cli_c_bold(),
	    certpick_reason_id(f->reason), cli_c_reset(), certpick_reason_text(f->reason));
	if (f->detail != NULL)
		fprintf(fp, " (%s)", f->detail);
	fprintf(fp, "\n%s        fix: %s\n", indent, certpick_reason_hint(f->reason));
}

const char *
cli_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}
