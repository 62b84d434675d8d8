/*
 * certpick probe --targets: read the list, run the library's concurrent
 * engine, print one line (or JSON object) per target as it completes (or in
 * input order), and draw a progress bar on stderr when it is a terminal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "render.h"

#define TARGETS_MAX ((size_t)64 << 20) /* about a million targets */

struct many {
	bool json, input_order, progress;
	FILE *save;
	const char *cert_file;
	size_t n, done, failed, refused;
	struct certpick_probe_result **pending; /* --order input: results not yet printed */
	size_t next_out;
	int write_error;
};

/* see render.h */
int
cli_json_save(const char *path, json_t *obj, bool lines, const char *mode)
{
	FILE *fp;
	int rc = 0;

	if ((obj = cli_json_take(obj)) == NULL) {
		fputs("certpick: error: cannot build the JSON output (out of memory)\n", stderr);
		return -1;
	}
	if ((fp = fopen(path, mode)) == NULL) {
		fprintf(stderr, "certpick: error: cannot write '%s': %s\n", cli_esc(path),
		    strerror(errno));
		json_decref(obj);
		return -1;
	}
	if (json_dumpf(obj, fp,
		JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
		    (lines ? JSON_COMPACT : JSON_INDENT(2))) != 0 ||
	    fputc('\n', fp) == EOF)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "certpick: error: cannot write '%s'\n", cli_esc(path));
	json_decref(obj);
	return rc;
}

static void
emit(struct many *m, struct certpick_probe_result *r)
{
	if (m->progress)
		fputs("\r\033[K", stderr);
	if (m->json)
		m->write_error |= cli_json_print(cli_json_probe(r, m->cert_file), true) != 0;
	else
		cli_text_probe_line(stdout, r);
	if (m->save != NULL) {
		json_t *o = cli_json_probe(r, m->cert_file);

		if (o == NULL ||
		    json_dumpf(o, m->save,
			JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) != 0 ||
		    fputc('\n', m->save) == EOF)
			m->write_error = 1;
		json_decref(o);
	}
	fflush(stdout);
	certpick_probe_result_free(r);
}

static void
draw_progress(const struct many *m)
{
	char bar[31];
	size_t fill = m->n ? m->done * 30 / m->n : 30;

	memset(bar, '#', fill);
	memset(bar + fill, '.', 30 - fill);
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu  %zu failed", bar, m->done, m->n, m->failed);
	fflush(stderr);
}

static void
on_done(void *arg, size_t index, struct certpick_probe_result *r)
{
	struct many *m = arg;

	m->done++;
	if (r->error.code != CERTPICK_OK || r->client_auth == CERTPICK_CLIENT_AUTH_UNKNOWN)
		m->failed++;
	else if ((r->client_auth == CERTPICK_CLIENT_AUTH_REQUIRED && !r->cert_accepted) ||
	    (r->with_cert.ran && !r->cert_accepted))
		m->refused++;
	if (!m->input_order) {
		emit(m, r);
	} else {
		m->pending[index] = r;
		while (m->next_out < m->n && m->pending[m->next_out] != NULL) {
			emit(m, m->pending[m->next_out]);
			m->pending[m->next_out++] = NULL;
		}
	}
	if (m->progress)
		draw_progress(m);
}

/* Trim one line in place: comment, leading and trailing blanks; "" when nothing is left. */
static char *
trim_target(char *s)
{
	char *e, *hash = strchr(s, '#');

	if (hash != NULL)
		*hash = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static void
free_targets(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Split the file's bytes into targets; -1 when out of memory. */
static int
split_targets(char *text, char ***out, size_t *n)
{
	char **v = NULL, *line, *next;
	size_t count = 0, alloc = 0;

	for (line = text; line != NULL; line = next) {
		char *s;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*(s = trim_target(line)) == '\0')
			continue;
		if (count == alloc) {
			char **g = realloc(v, (alloc = alloc ? alloc * 2 : 64) * sizeof(*v));

			if (g == NULL)
				goto nomem;
			v = g;
		}
		if ((v[count] = strdup(s)) == NULL)
			goto nomem;
		count++;
	}
	*out = v;
	*n = count;
	return 0;
nomem:
	free_targets(v, count);
	return -1;
}

/*
 * One target per line; blank lines and # comments skipped; spaces trimmed.
 * The file (or standard input, "-") is read whole under TARGETS_MAX, through
 * the one file reader: a FIFO or a device is refused, /dev/zero cannot fill
 * memory, and running out of memory is an error, never the end of the list.
 */
static int
read_targets(const char *path, char ***out, size_t *n)
{
	struct certpick_error err = { 0 };
	void *data = NULL;
	size_t len = 0;
	int rc;

	rc = strcmp(path, "-") == 0 ?
	    certpick_file_read_fd(STDIN_FILENO, "standard input", TARGETS_MAX, &data, &len, &err) :
	    certpick_file_read(path, TARGETS_MAX, &data, &len, &err);
	if (rc != 0)
		return cli_error(&err);
	if (split_targets(data, out, n) != 0) {
		certpick_file_free(data, len);
		fprintf(stderr, "certpick: error: out of memory reading '%s'\n", path);
		return CLI_EXIT_INTERNAL;
	}
	certpick_file_free(data, len);
	return 0;
}

/* see render.h */
int
cli_probe_many(const struct certpick_probe_options *opts, const char *file, unsigned jobs,
    bool json, bool input_order, const char *save)
{
	struct many m = { .json = json, .input_order = input_order, .cert_file = opts->cert_file };
	struct certpick_error err = { 0 };
	char **targets = NULL;
	size_t n = 0;
	int rc = CLI_EXIT_OK;

	if ((rc = read_targets(file, &targets, &n)) != 0)
		return rc;
	m.n = n;
	m.progress = isatty(STDERR_FILENO) && n > 0;
	if (input_order && (m.pending = calloc(n ? n : 1, sizeof(*m.pending))) == NULL) {
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	if (save != NULL && (m.save = fopen(save, "w")) == NULL) {
		fprintf(stderr, "certpick: error: cannot write '%s': %s\n", cli_esc(save),
		    strerror(errno));
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	if (certpick_probe_run_many((const char *const *)targets, n, jobs, opts, on_done, &m,
		&err) != 0) {
		rc = cli_error(&err);
		goto out;
	}
	if (m.progress)
		fputs("\r\033[K", stderr);
	rc = m.failed > 0 ? CLI_EXIT_NETWORK : m.refused > 0 ? CLI_EXIT_NO : CLI_EXIT_OK;
	if (m.write_error)
		rc = CLI_EXIT_INPUT;
out:
	if (m.save != NULL && fclose(m.save) != 0)
		rc = CLI_EXIT_INPUT;
	for (size_t i = 0; i < n; i++)
		free(targets[i]);
	free(targets);
	free(m.pending);
	return rc;
}
