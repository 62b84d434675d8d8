/* Shared text shapes: findings, times, text from outside. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

void
cli_text_finding(FILE *fp, const struct certpick_finding *f, const char *indent)
{
	fprintf(fp, "%s%s%-7s%s %s%s%s: %s", indent, cli_c_severity(f->severity),
	    certpick_severity_name(f->severity), cli_c_reset(), cli_c_bold(),
	    certpick_reason_id(f->reason), cli_c_reset(), certpick_reason_text(f->reason));
	if (f->detail != NULL)
		fprintf(fp, " (%s)", cli_esc(f->detail));
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

const char *
cli_esc(const char *s)
{
	return cli_esc_flags(s, 0);
}

const char *
cli_esc_flags(const char *s, unsigned flags)
{
	static _Thread_local struct {
		char *p;
		size_t size;
	} ring[CLI_ESC_RING];
	static _Thread_local unsigned next;
	size_t len, need;
	void *p;

	if (s == NULL)
		return "";
	len = strlen(s);
	need = certpick_text_escape(NULL, 0, s, len, flags) + 1;
	next = (next + 1) % CLI_ESC_RING;
	if (ring[next].size < need) {
		if ((p = realloc(ring[next].p, need)) == NULL)
			return "(text not shown: out of memory)";
		ring[next].p = p;
		ring[next].size = need;
	}
	(void)certpick_text_escape(ring[next].p, need, s, len, flags);
	return ring[next].p;
}
