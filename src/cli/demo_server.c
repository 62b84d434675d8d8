/*
 * certpick demo: `serve` in-process, on its own event loop in a thread, so
 * the demo can probe and request it from the main thread. The thread owns
 * the loop while it runs; the main thread only wakes it through a pipe to
 * stop it (no libevent locking needed), then joins and frees.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli.h"
#include "render.h"

struct cli_demo_server {
	struct event_base *base;
	struct certpick_serve *srv;
	struct event *wake;
	int pipefd[2];
	pthread_t thread;
	bool running;
	bool loop_failed;	   /* certpick_serve_run() failed: err says why */
	struct certpick_error err; /* a loop failure, read after join */
};

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct cli_demo_server *d = arg;
	char c;

	(void)what;
	(void)!read(fd, &c, 1);
	certpick_serve_stop(d->srv);
}

static void *
loop(void *arg)
{
	struct cli_demo_server *d = arg;

	d->loop_failed = certpick_serve_run(d->srv, &d->err) != 0;
	return NULL;
}

struct cli_demo_server *
cli_demo_server_start(struct certpick_serve_options *o, struct certpick_error *err)
{
	struct cli_demo_server *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		snprintf(err->message, sizeof(err->message), "out of memory");
		err->code = CERTPICK_ERR_NOMEM;
		return NULL;
	}
	d->pipefd[0] = d->pipefd[1] = -1;
	if ((d->base = event_base_new()) == NULL || pipe(d->pipefd) != 0) {
		snprintf(err->message, sizeof(err->message), "cannot make an event loop");
		err->code = CERTPICK_ERR_INTERNAL;
		goto fail;
	}
	o->base = d->base;
	if ((d->srv = certpick_serve_new(o, err)) == NULL)
		goto fail;
	if ((d->wake = event_new(d->base, d->pipefd[0], EV_READ, on_wake, d)) == NULL ||
	    event_add(d->wake, NULL) != 0 || pthread_create(&d->thread, NULL, loop, d) != 0) {
		snprintf(err->message, sizeof(err->message), "cannot start the server thread");
		err->code = CERTPICK_ERR_INTERNAL;
		goto fail;
	}
	d->running = true;
	return d;
fail:
	(void)cli_demo_server_stop(d, NULL);
	return NULL;
}

const struct certpick_serve *
cli_demo_server_get(const struct cli_demo_server *d)
{
	return d->srv;
}

int
cli_demo_server_stop(struct cli_demo_server *d, struct certpick_error *err)
{
	int ret = 0;

	if (d == NULL)
		return 0;
	if (d->running) {
		(void)!write(d->pipefd[1], "x", 1);
		pthread_join(d->thread, NULL);
		if (d->loop_failed) {
			if (err != NULL)
				*err = d->err;
			ret = -1;
		}
	}
	if (d->wake != NULL)
		event_free(d->wake);
	certpick_serve_free(d->srv);
	if (d->base != NULL)
		event_base_free(d->base);
	if (d->pipefd[0] >= 0)
		close(d->pipefd[0]);
	if (d->pipefd[1] >= 0)
		close(d->pipefd[1]);
	free(d);
	return ret;
}
