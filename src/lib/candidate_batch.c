/*
 * The files of a folder walk, read and parsed on every core: each thread
 * takes the next file of the batch and parses it with its own key decoder;
 * the caller adds the results in input order as they become ready, so the
 * candidates, the warnings and the output are those of one thread. Files that could need a
 * password are only read here: the caller parses them on its own thread,
 * where the password callback runs. Never prints; touches no candidate set.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "internal.h"

#define MAX_THREADS 8

/*
 * A batch being parsed: threads take the next file (next) and mark it
 * ready; the caller's thread, in cp_parse_wait(), adds the files in order
 * and parses the next ones itself while the one it needs is not ready, so
 * adding overlaps parsing.
 */
struct cp_parse_batch {
	struct cp_parsed_file *f;
	size_t n;
	atomic_size_t next;
	atomic_bool *ready; /* n of them */
	pthread_mutex_t mu; /* with cv: a file became ready */
	pthread_cond_t cv;
	struct worker {
		struct cp_parse_batch *b;
		struct cp_key_decoder *kd;
	} w[MAX_THREADS];
	pthread_t t[MAX_THREADS];
	size_t started;
};

/*
 * Plain PEM parses without asking anyone: an encrypted key says so in its
 * label ("ENCRYPTED PRIVATE KEY") or its header ("Proc-Type: 4,ENCRYPTED").
 * DER and PKCS#12 files (a MAC and usually a password) stay with the caller.
 */
static bool
parses_alone(const uint8_t *data, size_t len)
{
	return memmem(data, len, "-----BEGIN ", 11) != NULL &&
	    memmem(data, len, "ENCRYPTED", 9) == NULL;
}

static void
parse_one(struct cp_parsed_file *f, struct cp_key_decoder *kd)
{
	memset(&f->l, 0, sizeof(f->l));
	if (f->mem != NULL) {
		f->state = CP_PARSED_DONE;
		f->ret = cp_load_parse_shared(f->mem, f->mem_len, f->path, CERTPICK_FORMAT_PEM,
		    NULL, kd, &f->l, &f->err);
		return;
	}
	if (cp_read_file(f->path, &f->data, &f->len, &f->err) != 0) {
		f->state = CP_PARSED_READ_FAILED;
		return;
	}
	if (!parses_alone(f->data, f->len)) {
		f->state = CP_PARSED_DEFERRED;
		return;
	}
	f->state = CP_PARSED_DONE;
	f->ret = cp_load_parse_shared(f->data, f->len, f->path, CERTPICK_FORMAT_AUTO, NULL, kd,
	    &f->l, &f->err);
	cp_freezero(f->data, f->len + 1);
	f->data = NULL;
}

/* f[i] parsed: say so to a caller waiting for it */
static void
mark_ready(struct cp_parse_batch *b, size_t i)
{
	pthread_mutex_lock(&b->mu);
	atomic_store(&b->ready[i], true);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct cp_parse_batch *b = w->b;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
		parse_one(&b->f[i], w->kd);
		mark_ready(b, i);
	}
	return NULL;
}

/* see internal.h */
size_t
cp_parse_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > MAX_THREADS ? MAX_THREADS : (size_t)n;
}

/* see internal.h */
struct cp_parse_batch *
cp_parse_start(struct cp_parsed_file *f, size_t n, struct cp_key_decoder *kd, size_t nkd)
{
	struct cp_parse_batch *b;

	if ((b = cp_calloc(1, sizeof(*b))) == NULL ||
	    (b->ready = cp_calloc(n > 0 ? n : 1, sizeof(*b->ready))) == NULL) {
		free(b);
		return NULL;
	}
	b->f = f;
	b->n = n;
	atomic_init(&b->next, 0);
	for (size_t i = 0; i < n; i++)
		atomic_init(&b->ready[i], false);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (nkd > MAX_THREADS)
		nkd = MAX_THREADS;
	for (size_t i = 0; i < nkd; i++)
		b->w[i] = (struct worker){ .b = b, .kd = &kd[i] };
	/* kd[0] is the caller's; a thread that cannot start leaves its share to the others */
	for (size_t i = 1; i < nkd && i < n; i++)
		if (pthread_create(&b->t[b->started], NULL, work, &b->w[i]) == 0)
			b->started++;
	return b;
}

/* see internal.h */
void
cp_parse_wait(struct cp_parse_batch *b, size_t i)
{
	size_t k;

	while (!atomic_load(&b->ready[i])) {
		if ((k = atomic_fetch_add(&b->next, 1)) < b->n) {
			parse_one(&b->f[k], b->w[0].kd);
			atomic_store(&b->ready[k], true);
			continue;
		}
		/* every file is taken: i is being parsed by a thread */
		pthread_mutex_lock(&b->mu);
		while (!atomic_load(&b->ready[i]))
			pthread_cond_wait(&b->cv, &b->mu);
		pthread_mutex_unlock(&b->mu);
	}
}

/* see internal.h */
void
cp_parse_end(struct cp_parse_batch *b)
{
	if (b == NULL)
		return;
	atomic_store(&b->next, b->n); /* files nobody took stay unparsed */
	for (size_t i = 0; i < b->started; i++)
		pthread_join(b->t[i], NULL);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b->ready);
	free(b);
}

/* see internal.h */
void
cp_parsed_file_release(struct cp_parsed_file *f)
{
	if (f == NULL)
		return;
	if (f->state == CP_PARSED_DONE && f->ret == 0)
		cp_loaded_release(&f->l);
	if (f->data != NULL)
		cp_freezero(f->data, f->len + 1);
	f->data = NULL;
	f->state = CP_PARSED_READ_FAILED;
}

/*
 * cp_parse_split(): pieces of at least SPLIT_MIN bytes, a few per thread so
 * that one slow piece does not hold the others back.
 */
#define SPLIT_MIN (64 * 1024)
#define PIECES_PER_THREAD 4

/* The cuts: piece k is [cut[k], cut[k + 1]); each cut but the first before a "-----BEGIN ". */
static size_t
split_cuts(const uint8_t *data, size_t len, size_t want, size_t *cut)
{
	size_t n = 0, at;
	const uint8_t *p;

	cut[n++] = 0;
	for (size_t k = 1; k < want; k++) {
		at = len / want * k;
		if (at <= cut[n - 1])
			continue;
		if ((p = memmem(data + at, len - at, "\n-----BEGIN ", 12)) == NULL)
			break;
		cut[n++] = (size_t)(p + 1 - data);
	}
	cut[n] = len;
	return n;
}

/* Join the pieces in order into out; false (out released) when one did not parse cleanly. */
static bool
join_pieces(struct cp_parsed_file *f, size_t n, struct cp_loaded *out)
{
	memset(out, 0, sizeof(*out));
	if ((out->certs = sk_X509_new_null()) == NULL)
		return false;
	out->format = CERTPICK_FORMAT_PEM;
	for (size_t i = 0; i < n; i++)
		if (f[i].state != CP_PARSED_DONE || f[i].ret != 0 ||
		    f[i].l.partial.code != CERTPICK_OK || cp_loaded_join(out, &f[i].l) != 0) {
			cp_loaded_release(out);
			return false;
		}
	return true;
}

/* see internal.h */
bool
cp_parse_split(const uint8_t *data, size_t len, const char *source, enum certpick_format format,
    const struct certpick_load_options *opts, struct cp_loaded *out)
{
	size_t threads = cp_parse_threads(), want = threads * PIECES_PER_THREAD, n = 0;
	size_t cut[MAX_THREADS * PIECES_PER_THREAD + 1];
	struct cp_key_decoder kd[MAX_THREADS] = { { 0 } };
	struct cp_parsed_file *f = NULL;
	struct cp_parse_batch *b;
	bool lazy = opts != NULL && opts->lazy_public_keys, ok = false;

	if ((format != CERTPICK_FORMAT_AUTO && format != CERTPICK_FORMAT_PEM) || threads < 2 ||
	    len < 2 * SPLIT_MIN || cp_mem_fail_pending() != 0 || !parses_alone(data, len))
		return false;
	if (want > len / SPLIT_MIN)
		want = len / SPLIT_MIN;
	if ((n = split_cuts(data, len, want, cut)) < 2 || (f = cp_calloc(n, sizeof(*f))) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		f[i] = (struct cp_parsed_file){ .path = source,
			.mem = data + cut[i],
			.mem_len = cut[i + 1] - cut[i] };
	for (size_t i = 0; i < threads; i++)
		kd[i] = (struct cp_key_decoder){ .lazy_certs = lazy,
			.pair_only = opts != NULL && opts->release_keys };
	if ((b = cp_parse_start(f, n, kd, threads)) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		cp_parse_wait(b, i);
	cp_parse_end(b);
	ok = join_pieces(f, n, out);
out:
	for (size_t i = 0; f != NULL && i < n; i++)
		cp_parsed_file_release(&f[i]);
	free(f);
	for (size_t i = 0; i < threads; i++)
		cp_key_decoder_release(&kd[i]);
	return ok;
}
