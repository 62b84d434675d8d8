/*
 * certpick_capture_run(): read a pcap/pcapng file with libpcap, one packet
 * at a time, hand each TCP segment to its connection (capture_conn.c) and
 * collect the stories. The file is read once; memory is bounded by the
 * options (connections, bytes held out of order).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include "capture_int.h"
#include "internal.h"

#define DEFAULT_MAX_TOTAL (64u << 20)
#define DEFAULT_MAX_CONNS 10000
#define MAX_KEYLOG_BYTES (64u << 20)

struct run {
	const struct certpick_capture_options *opts;
	struct certpick_capture_result *out;
	struct cp_cap_env env;
	struct cp_keylog keylog;
	struct cp_mem_budget budget;
	struct cp_hashidx idx;
	struct cp_cap_conn **conns;
	size_t n_conns, cap_conns;
	uint8_t filter_addr[16];
	int filter_af;
};

/* see certpick/capture.h */
const char *
certpick_capture_suite_name(uint16_t cipher)
{
	return cp_crypt_suite_name(cipher);
}

static int
load_keylog(struct run *r, const char *path, struct certpick_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int ret = -1;
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot open key log '%s'",
		    path);
	struct cp_buf b = { .max = MAX_KEYLOG_BYTES };
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		cp_buf_add(&b, chunk, k);
	if (ferror(fp)) {
		cp_error_set_errno(err, CERTPICK_ERR_IO, errno, "cannot read key log '%s'", path);
		goto out;
	}
	if (b.nomem) {
		cp_error_set(err, CERTPICK_ERR_IO, "key log '%s' is larger than 64 MiB", path);
		goto out;
	}
	len = b.len;
	text = cp_buf_release(&b);
	if (cp_keylog_parse(&r->keylog, text ? text : "", len) < 0) {
		cp_error_nomem(err);
		goto out;
	}
	r->out->keylog_entries = r->keylog.n;
	r->out->keylog_bad_lines = r->keylog.bad_lines;
	r->env.keylog = &r->keylog;
	ret = 0;
out:
	if (text) {
		memset(text, 0, len);
		free(text);
	}
	cp_buf_free(&b);
	fclose(fp);
	return ret;
}

static bool
filter_pass(const struct run *r, const struct cp_tcp_seg *s)
{
	const struct certpick_capture_options *o = r->opts;
	if (o->filter_port && s->sport != o->filter_port && s->dport != o->filter_port)
		return false;
	if (r->filter_af == 0)
		return true;
	if (s->af != r->filter_af)
		return false;
	return memcmp(s->src, r->filter_addr, 16) == 0 || memcmp(s->dst, r->filter_addr, 16) == 0;
}

static struct cp_cap_conn *
conn_for(struct run *r, const struct cp_tcp_seg *s)
{
	uint64_t key = cp_cap_conn_key(s);
	size_t pos = 0, v;
	/* the newest connection on a 4-tuple wins (a port reused later) */
	struct cp_cap_conn *found = NULL;
	while (cp_hashidx_next(&r->idx, key, &pos, &v))
		if (cp_cap_conn_match(r->conns[v], s))
			found = r->conns[v];
	bool new_syn = (s->flags & (CP_TCP_SYN | CP_TCP_ACK)) == CP_TCP_SYN;
	if (found && !(new_syn && cp_cap_conn_closed(found)))
		return found;
	size_t max = r->opts->max_connections ? r->opts->max_connections : DEFAULT_MAX_CONNS;
	if (r->n_conns >= max) {
		if (new_syn) /* count connections, not their segments */
			r->out->connections_dropped++;
		return NULL;
	}
	if (r->n_conns == r->cap_conns) {
		size_t cap = r->cap_conns ? r->cap_conns * 2 : 64;
		void *nv = realloc(r->conns, cap * sizeof(*r->conns));
		if (nv == NULL)
			return NULL;
		r->conns = nv;
		r->cap_conns = cap;
	}
	struct cp_cap_conn *c = cp_cap_conn_new(s, &r->env);
	if (c == NULL)
		return NULL;
	if (cp_hashidx_add(&r->idx, key, r->n_conns) < 0) {
		cp_cap_conn_free(c);
		return NULL;
	}
	r->conns[r->n_conns++] = c;
	return c;
}

static void
on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct run *r = (struct run *)arg;
	struct cp_tcp_seg s;
	r->out->packets++;
	if (h->caplen < h->len)
		r->out->truncated_frames++;
	enum cp_frame_rc rc = cp_frame_decode(r->out->linktype, bytes, h->caplen, &s);
	if (rc == CP_FRAME_FRAGMENT)
		r->out->fragments++;
	if (rc != CP_FRAME_TCP) {
		r->out->frames_skipped++;
		return;
	}
	if (!filter_pass(r, &s))
		return;
	r->out->tcp_segments++;
	struct cp_cap_conn *c = conn_for(r, &s);
	if (c)
		cp_cap_conn_add(c, &s, (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6);
}

static int
collect(struct run *r)
{
	struct certpick_capture_result *out = r->out;
	if (r->n_conns && (out->conns = calloc(r->n_conns, sizeof(*out->conns))) == NULL)
		return -1;
	for (size_t i = 0; i < r->n_conns; i++)
		if (cp_cap_conn_finish(r->conns[i], &out->conns[out->n_conns]))
			out->n_conns++;
	return 0;
}

static int
set_filter(struct run *r, struct certpick_error *err)
{
	const char *h = r->opts->filter_host;
	if (h == NULL)
		return 0;
	if (inet_pton(AF_INET, h, r->filter_addr) == 1)
		r->filter_af = 4;
	else if (inet_pton(AF_INET6, h, r->filter_addr) == 1)
		r->filter_af = 6;
	else
		return cp_error_set(err, CERTPICK_ERR_USAGE,
		    "filter host '%s' is not an IPv4 or IPv6 address", h);
	return 0;
}

/* see certpick/capture.h */
int
certpick_capture_run(const char *path, const struct certpick_capture_options *opts,
    struct certpick_capture_result *out, struct certpick_error *err)
{
	static const struct certpick_capture_options none = { 0 };
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = NULL;
	struct run r;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	r.opts = opts ? opts : &none;
	r.out = out;
	r.budget.limit = r.opts->max_total_pending ? r.opts->max_total_pending : DEFAULT_MAX_TOTAL;
	r.env.budget = &r.budget;
	r.env.max_stream_pending = r.opts->max_stream_pending;
	r.env.trust = r.opts->trust;
	if (set_filter(&r, err) < 0)
		goto out;
	if (r.opts->keylog_path && load_keylog(&r, r.opts->keylog_path, err) < 0)
		goto out;
	if ((pc = pcap_open_offline(path, ebuf)) == NULL) {
		cp_error_set(err, errno == ENOENT ? CERTPICK_ERR_IO : CERTPICK_ERR_PARSE,
		    "cannot read capture '%s'", path);
		cp_error_detail(err, "%s", ebuf);
		goto out;
	}
	out->linktype = pcap_datalink(pc);
	if (!cp_frame_link_supported(out->linktype)) {
		cp_error_set(err, CERTPICK_ERR_PARSE,
		    "capture '%s' has link type %d (%s), which "
		    "certpick does not read",
		    path, out->linktype,
		    pcap_datalink_val_to_name(out->linktype) ?
			pcap_datalink_val_to_name(out->linktype) :
			"?");
		goto out;
	}
	int rc = pcap_loop(pc, -1, on_packet, (u_char *)&r);
	if (collect(&r) < 0) {
		cp_error_nomem(err);
		goto out;
	}
	if (rc == PCAP_ERROR) {
		cp_error_set(err, CERTPICK_ERR_PARSE, "capture '%s' is damaged after %llu packets",
		    path, (unsigned long long)out->packets);
		cp_error_detail(err, "%s", pcap_geterr(pc));
		goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < r.n_conns; i++)
		cp_cap_conn_free(r.conns[i]);
	free(r.conns);
	cp_hashidx_release(&r.idx);
	cp_keylog_release(&r.keylog);
	if (pc)
		pcap_close(pc);
	return ret;
}

/* see certpick/capture.h */
void
certpick_capture_result_release(struct certpick_capture_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_conns; i++)
		cp_capture_conn_release(&r->conns[i]);
	free(r->conns);
	memset(r, 0, sizeof(*r));
}
