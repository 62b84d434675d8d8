/* The one list of reasons (reason.h) and findings lists built from it. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct reason_row {
	const char *id;
	enum certpick_severity sev;
	const char *text;
	const char *hint;
};

#define ROW(name, id, sev, text, hint) { id, CERTPICK_SEV_##sev, text, hint },
static const struct reason_row rows[] = { CERTPICK_REASONS(ROW) };
#undef ROW

static const struct reason_row *
row(enum certpick_reason r)
{
	if ((unsigned)r >= CERTPICK_REASON__COUNT)
		return NULL;
	return &rows[r];
}

/* see certpick/reason.h */
const char *
certpick_reason_id(enum certpick_reason r)
{
	return row(r) ? row(r)->id : NULL;
}

/* see certpick/reason.h */
const char *
certpick_reason_text(enum certpick_reason r)
{
	return row(r) ? row(r)->text : "unknown reason";
}

/* see certpick/reason.h */
const char *
certpick_reason_hint(enum certpick_reason r)
{
	return row(r) ? row(r)->hint : "";
}

/* see certpick/reason.h */
enum certpick_severity
certpick_reason_severity(enum certpick_reason r)
{
	return row(r) ? row(r)->sev : CERTPICK_SEV_ERROR;
}

/* see certpick/reason.h */
const char *
certpick_severity_name(enum certpick_severity s)
{
	switch (s) {
	case CERTPICK_SEV_INFO: return "info";
	case CERTPICK_SEV_WARNING: return "warning";
	case CERTPICK_SEV_ERROR: return "error";
	}
	return "error";
}

/* see certpick/reason.h */
int
certpick_reason_from_id(const char *id, enum certpick_reason *out)
{
	for (size_t i = 0; id != NULL && i < CERTPICK_REASON__COUNT; i++) {
		if (strcmp(rows[i].id, id) == 0) {
			*out = (enum certpick_reason)i;
			return 0;
		}
	}
	return -1;
}

/* see certpick/reason.h */
void
certpick_findings_release(struct certpick_findings *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].detail);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* see certpick/reason.h */
enum certpick_severity
certpick_findings_max(const struct certpick_findings *f)
{
	enum certpick_severity max = CERTPICK_SEV_INFO;

	for (size_t i = 0; f != NULL && i < f->n; i++)
		if (f->v[i].severity > max)
			max = f->v[i].severity;
	return max;
}

/* see certpick/reason.h */
int
certpick_findings_has(const struct certpick_findings *f, enum certpick_reason r)
{
	for (size_t i = 0; f != NULL && i < f->n; i++)
		if (f->v[i].reason == r)
			return 1;
	return 0;
}

/* see certpick/reason.h: insertion sort keeps equal severities in order */
void
certpick_findings_sort(struct certpick_findings *f)
{
	for (size_t i = 1; f != NULL && i < f->n; i++) {
		struct certpick_finding x = f->v[i];
		size_t j = i;

		while (j > 0 && f->v[j - 1].severity < x.severity) {
			f->v[j] = f->v[j - 1];
			j--;
		}
		f->v[j] = x;
	}
}

static int CERTPICK_PRINTF(4, 0) add_v(struct certpick_findings *f, enum certpick_reason r,
    enum certpick_severity sev, const char *fmt, va_list ap)
{
	char *detail = NULL;
	struct certpick_finding *slot;

	if (fmt != NULL && (detail = cp_vasprintf(fmt, ap)) == NULL)
		return -1;
	if ((slot = cp_array_push(&f->v, &f->n, sizeof(*slot))) == NULL) {
		free(detail);
		return -1;
	}
	slot->reason = r;
	slot->severity = sev;
	slot->detail = detail;
	return 0;
}

int
cp_findings_add(struct certpick_findings *f, enum certpick_reason r, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = add_v(f, r, certpick_reason_severity(r), fmt, ap);
	va_end(ap);
	return ret;
}

int
cp_findings_add_sev(struct certpick_findings *f, enum certpick_reason r, enum certpick_severity sev,
    const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = add_v(f, r, sev, fmt, ap);
	va_end(ap);
	return ret;
}
