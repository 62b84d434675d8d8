/*
 * TCP reassembly of one direction: segments in capture order -> bytes in
 * sequence order plus explicit gaps. Pure: no I/O; the only allocation is
 * the copy of a segment held out of order, bounded per direction and by the
 * capture's shared budget. Retransmitted bytes are dropped (first copy
 * wins); overlapping held copies that disagree are counted, not merged.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"

#define DEFAULT_MAX_PENDING (1u << 20)

/* Sequence-space difference a - b (RFC 793 modular comparison). */
static int64_t
seqdiff(uint32_t a, uint32_t b)
{
	return (int64_t)(int32_t)(a - b);
}

static size_t
max_pending(const struct cp_tcp_dir *d)
{
	return d->max_pending ? d->max_pending : DEFAULT_MAX_PENDING;
}

static void
emit_data(struct cp_tcp_dir *d, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	d->delivered += n;
	if (d->cb.data)
		d->cb.data(d->cb.arg, p, n);
}

static void
emit_gap(struct cp_tcp_dir *d, uint64_t n, enum cp_gap_why why)
{
	if (n == 0)
		return;
	d->gaps++;
	d->gap_bytes += n;
	if (d->cb.gap)
		d->cb.gap(d->cb.arg, n, why);
}

/*
 * Deliver a segment that starts at or before next_seq: skip what was already
 * delivered, pass the captured rest, then the snaplen-cut tail as a gap.
 */
static void
deliver_at(struct cp_tcp_dir *d, uint32_t seq, const uint8_t *p, size_t len, size_t wire)
{
	int64_t end = seqdiff(seq + (uint32_t)wire, d->next_seq);
	if (end <= 0) {
		d->retransmitted++;
		return;
	}
	size_t skip = (size_t)seqdiff(d->next_seq, seq);
	if (skip > 0)
		d->overlaps++;
	if (skip < len)
		emit_data(d, p + skip, len - skip);
	size_t cut_from = skip > len ? skip : len;
	if (wire > cut_from)
		emit_gap(d, wire - cut_from, CP_GAP_SNAPLEN);
	d->next_seq = seq + (uint32_t)wire;
}

static void
pend_free(struct cp_tcp_dir *d, struct cp_tcp_pend *p)
{
	d->pend_bytes -= p->len;
	if (d->budget)
		d->budget->used -= p->len;
	free(p->data);
	free(p);
}

/* Deliver every held segment that has become contiguous. */
static void
drain(struct cp_tcp_dir *d)
{
	while (d->pend && seqdiff(d->pend->seq, d->next_seq) <= 0) {
		struct cp_tcp_pend *p = d->pend;
		d->pend = p->next;
		deliver_at(d, p->seq, p->data, p->len, p->wire_len);
		pend_free(d, p);
	}
}

/* Give up on the hole before the first held segment: a gap, then deliver. */
static void
force_front(struct cp_tcp_dir *d, enum cp_gap_why why)
{
	struct cp_tcp_pend *p = d->pend;
	if (p == NULL)
		return;
	emit_gap(d, (uint64_t)seqdiff(p->seq, d->next_seq), why);
	d->next_seq = p->seq;
	drain(d);
}

static bool
fits(const struct cp_tcp_dir *d, size_t len)
{
	if (d->pend_bytes + len > max_pending(d))
		return false;
	if (d->budget && d->budget->limit && d->budget->used + len > d->budget->limit)
		return false;
	return true;
}

/* Compare where a new segment overlaps a held one; first copy wins. */
static void
note_overlap(struct cp_tcp_dir *d, const struct cp_tcp_pend *q, uint32_t seq, const uint8_t *p,
    size_t len)
{
	int64_t a = seqdiff(seq, q->seq) > 0 ? seqdiff(seq, q->seq) : 0;
	int64_t b_end = seqdiff(seq + (uint32_t)len, q->seq);
	int64_t e = b_end < (int64_t)q->len ? b_end : (int64_t)q->len;
	if (e <= a)
		return;
	d->overlaps++;
	size_t off_new = (size_t)(a - seqdiff(seq, q->seq));
	if (memcmp(q->data + a, p + off_new, (size_t)(e - a)) != 0)
		d->overlap_conflicts++;
}

static int
hold(struct cp_tcp_dir *d, uint32_t seq, const uint8_t *p, size_t len, size_t wire)
{
	struct cp_tcp_pend **at = &d->pend;
	for (struct cp_tcp_pend *q = d->pend; q; q = q->next) {
		if (q->seq == seq && q->wire_len == wire) {
			d->retransmitted++;
			note_overlap(d, q, seq, p, len);
			return 0;
		}
		note_overlap(d, q, seq, p, len);
	}
	while (!fits(d, len) && d->pend)
		force_front(d, d->pend_bytes + len > max_pending(d) ? CP_GAP_LOST : CP_GAP_MEMORY);
	if (seqdiff(seq, d->next_seq) <= 0) { /* the forcing reached it */
		deliver_at(d, seq, p, len, wire);
		drain(d);
		return 0;
	}
	if (!fits(d, len)) {
		emit_gap(d, (uint64_t)seqdiff(seq, d->next_seq), CP_GAP_MEMORY);
		d->next_seq = seq;
		deliver_at(d, seq, p, len, wire);
		return 0;
	}
	struct cp_tcp_pend *n = calloc(1, sizeof(*n));
	uint8_t *copy = len ? malloc(len) : NULL;
	if (n == NULL || (len && copy == NULL)) {
		free(n);
		free(copy);
		emit_gap(d, (uint64_t)seqdiff(seq, d->next_seq) + wire, CP_GAP_MEMORY);
		d->next_seq = seq + (uint32_t)wire;
		return -1;
	}
	if (len)
		memcpy(copy, p, len);
	n->seq = seq;
	n->data = copy;
	n->len = len;
	n->wire_len = wire;
	while (*at && seqdiff((*at)->seq, seq) <= 0)
		at = &(*at)->next;
	n->next = *at;
	*at = n;
	d->pend_bytes += len;
	if (d->budget)
		d->budget->used += len;
	return 0;
}

int
cp_tcp_dir_add(struct cp_tcp_dir *d, const struct cp_tcp_seg *s)
{
	uint32_t seq = s->seq;
	d->segments++;
	if (s->flags & CP_TCP_SYN) {
		seq++;
		if (!d->started) {
			d->started = true;
			d->syn_seen = true;
			d->next_seq = seq;
		}
	}
	if (s->flags & CP_TCP_FIN)
		d->fin_seen = true;
	if (s->wire_len == 0)
		return 0;
	if (!d->started) { /* the capture starts mid-stream: begin here */
		d->started = true;
		d->next_seq = seq;
	}
	/* a segment wildly behind or ahead (2^31) is sequence-space garbage: drop it */
	if (seqdiff(seq, d->next_seq) <= 0) {
		deliver_at(d, seq, s->payload, s->payload_len, s->wire_len);
		drain(d);
		return 0;
	}
	return hold(d, seq, s->payload, s->payload_len, s->wire_len);
}

void
cp_tcp_dir_flush(struct cp_tcp_dir *d)
{
	while (d->pend)
		force_front(d, CP_GAP_LOST);
}

void
cp_tcp_dir_release(struct cp_tcp_dir *d)
{
	while (d->pend) {
		struct cp_tcp_pend *p = d->pend;
		d->pend = p->next;
		pend_free(d, p);
	}
}
