/*
 * The files of a folder walk, read and parsed on every core: each thread
 * takes the next file of the batch and parses it with its own key decoder;
 * the caller then adds the results in input order, so the candidates, the
 * warnings and the output are those of one thread. Files that could need a
 * password are only read here: the caller parses them on its own thread,
 * where the password callback runs. Never prints; touches no candidate set.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_THREADS 8

struct batch {
	struct cp_parsed_file *f;
	size_t n;
	atomic_size_t next;
};

struct worker {
	struct batch *b;
	struct cp_key_decoder *kd;
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

static void *
work(void *arg)
{
	struct worker *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->b->next, 1)) < w->b->n)
		parse_one(&w->b->f[i], w->kd);
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
void
cp_parse_files(struct cp_parsed_file *f, size_t n, struct cp_key_decoder *kd, size_t nkd)
{
	struct batch b = { .f = f, .n = n };
	struct worker w[MAX_THREADS];
	pthread_t t[MAX_THREADS];
	size_t started = 0;

	atomic_init(&b.next, 0);
	if (nkd > MAX_THREADS)
		nkd = MAX_THREADS;
	for (size_t i = 0; i < nkd; i++)
		w[i] = (struct worker){ .b = &b, .kd = &kd[i] };
	/* a thread that cannot start leaves its share to the others */
	for (size_t i = 1; i < nkd && i < n; i++)
		if (pthread_create(&t[started], NULL, work, &w[i]) == 0)
			started++;
	work(&w[0]);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
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
