/*
 * The one test driver of the protocol layers (src/lib/proto.h), doing what
 * the engine does (probe_engine.c), for every proto_*_test.c. Header-only.
 *
 * replay(): a transcript of events, the server's turns (S), what the client
 * must write byte for byte (C), the switch to TLS (TLS) and EOF (EOF_); the
 * server's bytes arrive `chunk` at a time (0: each turn whole), only when
 * the layer asks to read, each step given exactly the unconsumed bytes (an
 * exact-size copy: ASan sees over-reads). struct tcase + run_cases() check a
 * table of transcripts in chunks of 0, 1, 2, 3 and 7 (proto_test.c), and with
 * PROTO_SEEDS=dir write them as fuzz seeds.
 *
 * pd_run(): the same driver in collect mode, for the binary protocols
 * (postgres, mysql, mqtt) whose tests build the server's bytes at run time:
 * the clear bytes, then (when tls is not NULL) the TLS bytes, then EOF; the
 * layer's writes are kept (wrote_clear, wrote_tls) for the test to check,
 * and bytes left unconsumed at STARTTLS are counted and dropped (the engine
 * refuses them). pd_free() releases the run.
 */
#ifndef CERTPICK_PROTO_DRIVE_H
#define CERTPICK_PROTO_DRIVE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "buf.h"
#include "internal.h"
#include "proto.h"

/* a transcript: the server says (S), the client must write (C), TLS, EOF */
struct ev {
	char kind;
	const char *s;
	size_t len;
};

#define S(x)                          \
	{                             \
		'S', x, sizeof(x) - 1 \
	}
#define C(x)                          \
	{                             \
		'C', x, sizeof(x) - 1 \
	}
#define TLS                  \
	{                    \
		'T', NULL, 0 \
	}
#define EOF_                 \
	{                    \
		'E', NULL, 0 \
	}
#define MAX_EV 24

enum end {
	WANT_DONE = 1,
	WANT_FAIL,
	WANT_LEFTOVER,
	WANT_TOO_LONG
};

struct tcase {
	const char *what;
	const char *scheme;
	struct cp_proto_params params;
	struct ev ev[MAX_EV];
	enum end end;
	bool whole_only; /* pipelining: the leftover must be there at once */
	enum cp_proto_outcome outcome;
	int code;				      /* checked unless 0 */
	const char *text;			      /* v->text contains it */
	const char *identity, *capabilities, *banner; /* exact, when not NULL */
	bool offers_external, sent_auth;
};

struct run {
	enum end end;
	struct cp_proto_verdict v;
	char err[256];
	/* collect mode (pd_run): writes kept instead of checked against C events */
	bool collect;
	struct cp_buf wrote_clear, wrote_tls;
	bool started_tls;
	size_t leftover_at_starttls; /* clear bytes unconsumed at STARTTLS */
	enum cp_proto_act last;
};

static inline int
ev_count(const struct ev *ev)
{
	int n = 0;

	while (n < MAX_EV && ev[n].kind != 0)
		n++;
	return n;
}

static inline bool
step_once(const struct cp_proto_ops *ops, void *st, bool tls, bool eof, struct cp_buf *in,
    struct cp_buf *out, struct cp_proto_verdict *v, enum cp_proto_act *act)
{
	uint8_t *copy = malloc(in->len + 1); /* exactly len bytes: ASan sees over-reads */
	size_t used = (size_t)-1;

	if (in->len > 0)
		memcpy(copy, in->p, in->len);
	*act = ops->step(st, tls, eof, copy, in->len, &used, out, v);
	free(copy);
	if (used > in->len)
		return false;
	cp_buf_consume(in, used);
	return true;
}

/*
 * Replay ev against the layer; server bytes arrive chunk bytes at a time
 * (0: each S event whole), only once the layer asks to read. r->collect is
 * read first (collect mode, see above): zero r or set it.
 */
static inline void
replay(const struct cp_proto_ops *ops, const struct cp_proto_params *p, const struct ev *ev,
    int nev, size_t chunk, struct run *r)
{
	void *st = calloc(1, ops->state_size + 1);
	struct cp_buf in = { 0 }, out = { 0 };
	bool tls = ops->implicit_tls, eof = false;
	size_t pos = 0;
	int i = 0;

	struct cp_proto_params tmp = *p;
	bool collect = r->collect;

	*r = (struct run){ .v = { .code = -1 }, .collect = collect };
	if (tls && i < nev && ev[i].kind == 'T')
		i++;
	ops->init(st, &tmp); /* a temporary, as the engine passes: the layer copies it */
	memset(&tmp, 0xa5, sizeof(tmp));
	for (unsigned guard = 0; guard < 1000000 && r->end == 0; guard++) {
		enum cp_proto_act act;

		if (!step_once(ops, st, tls, eof, &in, &out, &r->v, &act)) {
			snprintf(r->err, sizeof(r->err), "used > len");
			break;
		}
		r->last = act;
		switch (act) {
		case CP_PROTO_WRITE:
			if (collect) {
				cp_buf_add(tls ? &r->wrote_tls : &r->wrote_clear, out.p, out.len);
				cp_buf_reset(&out);
				break;
			}
			if (i >= nev || ev[i].kind != 'C' || out.len != ev[i].len ||
			    memcmp(out.p, ev[i].s, out.len) != 0) {
				snprintf(r->err, sizeof(r->err), "event %d: wrote '%.*s'", i,
				    (int)out.len, out.p != NULL ? out.p : "");
				r->end = WANT_FAIL + 100;
				break;
			}
			cp_buf_reset(&out);
			i++;
			break;
		case CP_PROTO_STARTTLS:
			r->leftover_at_starttls = in.len;
			for (; collect && i < nev && ev[i].kind == 'S'; i++, pos = 0)
				r->leftover_at_starttls += ev[i].len - pos; /* not revealed yet */
			if (in.len > 0 && !collect) {
				r->end = WANT_LEFTOVER;
				break;
			}
			cp_buf_reset(&in); /* collect: dropped, as the engine refuses them */
			if (i >= nev || ev[i].kind != 'T') {
				snprintf(r->err, sizeof(r->err), "event %d: STARTTLS unexpected",
				    i);
				r->end = WANT_FAIL + 100;
				break;
			}
			tls = true;
			i++;
			break;
		case CP_PROTO_READ:
			if (in.len > CP_PROTO_MAX_PENDING) {
				r->end = WANT_TOO_LONG;
				break;
			}
			if (i < nev && ev[i].kind == 'S') {
				size_t n =
				    chunk == 0 || chunk > ev[i].len - pos ? ev[i].len - pos : chunk;

				cp_buf_add(&in, ev[i].s + pos, n);
				pos += n;
				if (pos == ev[i].len) {
					pos = 0;
					i++;
				}
			} else if (i < nev && ev[i].kind == 'E' && !eof) {
				eof = true;
				i++;
			} else if (collect && i < nev && ev[i].kind == 'T' && !eof) {
				eof = true; /* the clear part ended without STARTTLS */
			} else {
				snprintf(r->err, sizeof(r->err),
				    "event %d: the layer reads, "
				    "the transcript says %c",
				    i, i < nev ? ev[i].kind : '-');
				r->end = WANT_FAIL + 100;
			}
			break;
		case CP_PROTO_DONE: r->end = WANT_DONE; break;
		case CP_PROTO_FAIL: r->end = WANT_FAIL; break;
		default: r->end = WANT_FAIL + 100; break;
		}
	}
	r->started_tls = tls;
	if (r->end == WANT_DONE && i < nev && r->err[0] == '\0' && !collect)
		snprintf(r->err, sizeof(r->err), "done at event %d of %d", i, nev);
	if (ops->clear != NULL)
		ops->clear(st);
	free(st);
	cp_buf_free(&in);
	cp_buf_free(&out);
}

static inline void
check_str(const char *what, const char *field, const char *got, const char *want, bool exact)
{
	if (want == NULL)
		return;
	if (got == NULL || (exact ? strcmp(got, want) != 0 : strstr(got, want) == NULL))
		fail_msg("%s: %s '%s', want '%s'", what, field, got != NULL ? got : "(null)", want);
}

static inline void
check_case(const struct tcase *t, size_t chunk)
{
	const struct cp_proto_ops *ops = cp_proto_find(t->scheme);
	struct run r = { 0 };

	assert_non_null(ops);
	replay(ops, &t->params, t->ev, ev_count(t->ev), chunk, &r);
	if (r.err[0] != '\0' || r.end != t->end)
		fail_msg("%s (chunk %zu): end %d, want %d; %s; text '%s'", t->what, chunk, r.end,
		    t->end, r.err, r.v.text != NULL ? r.v.text : "");
	if (t->end == WANT_DONE && r.v.outcome != t->outcome)
		fail_msg("%s (chunk %zu): outcome %d, want %d (%s)", t->what, chunk, r.v.outcome,
		    t->outcome, r.v.text != NULL ? r.v.text : "");
	if (t->code != 0 && r.v.code != t->code)
		fail_msg("%s: code %d, want %d", t->what, r.v.code, t->code);
	check_str(t->what, "text", r.v.text, t->text, false);
	check_str(t->what, "identity", r.v.identity, t->identity, true);
	check_str(t->what, "capabilities", r.v.capabilities, t->capabilities, true);
	check_str(t->what, "banner", r.v.banner, t->banner, true);
	if (t->end == WANT_DONE &&
	    (r.v.offers_external != t->offers_external || r.v.sent_auth != t->sent_auth))
		fail_msg("%s: offers_external %d sent_auth %d", t->what, r.v.offers_external,
		    r.v.sent_auth);
	cp_proto_verdict_clear(&r.v);
}

/*
 * With PROTO_SEEDS=dir, each transcript is also written as a seed of the
 * fuzz_proto_<name> targets (fuzz/proto_fuzz.h's input: parameters, chunk
 * size 0, the server's turns separated by "|~|").
 */
static inline void
write_seed(const struct tcase *t, size_t idx)
{
	const char *dir = getenv("PROTO_SEEDS");
	const struct cp_proto_ops *ops = cp_proto_find(t->scheme);
	const struct cp_proto_params *p = &t->params;
	char path[512];
	uint8_t head[2] = { 0, 0 };
	FILE *f;

	if (dir == NULL || ops == NULL)
		return;
	head[0] = (p->have_cert ? 1 : 0) | (ops->implicit_tls ? 2 : 0) | (p->mail_from ? 0x10 : 0) |
	    (p->password ? 0x80 : 0);
	if (p->user != NULL)
		head[0] |= (p->user[0] == '\0' ? 3 : strchr(p->user, '=') != NULL ? 2 : 1) << 2;
	snprintf(path, sizeof(path), "%s/proto_%s/seed-%s-%02zu", dir, ops->name, t->scheme, idx);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fwrite(head, 1, 2, f);
	for (int i = 0, n = 0; i < ev_count(t->ev); i++) {
		if (t->ev[i].kind != 'S')
			continue;
		if (n++ > 0)
			fputs("|~|", f);
		fwrite(t->ev[i].s, 1, t->ev[i].len, f);
	}
	fclose(f);
}

static inline void
run_cases(const struct tcase *cases, size_t n)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7 };

	for (size_t i = 0; i < n; i++) {
		write_seed(&cases[i], i);
		for (size_t k = 0; k < CP_NELEM(chunks); k++)
			if (k == 0 || !cases[i].whole_only)
				check_case(&cases[i], chunks[k]);
	}
}

static inline void
pd_run(const struct cp_proto_ops *ops, const struct cp_proto_params *p, const void *clear,
    size_t clear_len, const void *tls, size_t tls_len, size_t chunk, struct run *r)
{
	struct ev ev[5] = { { 0 } };
	int n = 0;

	if (clear_len > 0)
		ev[n++] = (struct ev){ 'S', clear, clear_len };
	if (tls != NULL && !ops->implicit_tls)
		ev[n++] = (struct ev){ 'T', NULL, 0 };
	if (tls != NULL && tls_len > 0)
		ev[n++] = (struct ev){ 'S', tls, tls_len };
	ev[n++] = (struct ev){ 'E', NULL, 0 };
	r->collect = true;
	replay(ops, p, ev, n, chunk, r);
}

static inline void
pd_free(struct run *r)
{
	cp_buf_free(&r->wrote_clear);
	cp_buf_free(&r->wrote_tls);
	cp_proto_verdict_clear(&r->v);
}

#endif
