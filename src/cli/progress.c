/*
 * A progress line on standard error while loading or checking many
 * certificates: only when standard error is a terminal, and only once the
 * work has taken more than a second (CERTPICK_PROGRESS_AFTER_MS, for
 * tests). Never on standard output, never when standard error is piped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define PROGRESS_AFTER_MS 1000
#define PROGRESS_EVERY_MS 200

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cli_progress_start(struct cli_progress *p, const char *what, const char *unit)
{
	const char *env = getenv("CERTPICK_PROGRESS_AFTER_MS");
	char *end;
	long after = PROGRESS_AFTER_MS;

	if (env != NULL && *env != '\0') {
		errno = 0;
		after = strtol(env, &end, 10);
		if (errno != 0 || *end != '\0' || after < 0)
			after = PROGRESS_AFTER_MS;
	}
	p->what = what;
	p->unit = unit;
	p->done = 0;
	p->on = isatty(STDERR_FILENO) == 1;
	p->shown = false;
	p->start = now_ms();
	p->show_at = p->start + after;
}

void
cli_progress_update(struct cli_progress *p, size_t done, size_t total)
{
	long t;

	if (!p->on || (t = now_ms()) < p->show_at)
		return;
	p->show_at = t + PROGRESS_EVERY_MS;
	if (total > 0)
		fprintf(stderr, "\rcertpick: %s: %zu of %zu %s\033[K", p->what, done, total,
		    p->unit);
	else
		fprintf(stderr, "\rcertpick: %s: %zu %s\033[K", p->what, done, p->unit);
	fflush(stderr);
	p->shown = true;
}

void
cli_progress_clear(struct cli_progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = false;
}

void
cli_progress_end(struct cli_progress *p)
{
	cli_progress_clear(p);
	p->on = false;
}
