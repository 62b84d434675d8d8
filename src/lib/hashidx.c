/*
 * A multimap from 64-bit keys to indices (open addressing, linear probing),
 * so that "which certificates have this subject / this DER / this key" and
 * "was this folder read" cost O(1) instead of a scan of everything before.
 * Keys are digests chosen by the caller; equal keys are confirmed by the
 * caller (a key names a bucket, not an identity). Owns only its slots.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MIN_CAP 16

/* splitmix64: spreads keys that differ only in low or high bits */
static uint64_t
mix(uint64_t k)
{
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	return k ^ (k >> 31);
}

/* Store in the first free slot from key's home; returns the slots stepped over. */
static size_t
put(struct cp_hashidx_slot *v, size_t cap, uint64_t key, size_t value)
{
	size_t i = (size_t)mix(key) & (cap - 1), steps = 0;

	while (v[i].used) {
		i = (i + 1) & (cap - 1);
		steps++;
	}
	v[i].used = true;
	v[i].key = key;
	v[i].value = value;
	return steps;
}

static int
grow(struct cp_hashidx *h)
{
	size_t cap = h->cap != 0 ? h->cap * 2 : MIN_CAP;
	struct cp_hashidx_slot *v;

	if (cap < h->cap || (v = cp_calloc(cap, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < h->cap; i++)
		if (h->v[i].used)
			put(v, cap, h->v[i].key, h->v[i].value);
	free(h->v);
	h->v = v;
	h->cap = cap;
	return 0;
}

/* see internal.h */
int
cp_hashidx_add(struct cp_hashidx *h, uint64_t key, size_t value)
{
	if ((h->n + 1) * 2 > h->cap && grow(h) != 0)
		return -1;
	h->probes += put(h->v, h->cap, key, value);
	h->n++;
	return 0;
}

/* see internal.h */
bool
cp_hashidx_next(const struct cp_hashidx *h, uint64_t key, size_t *pos, size_t *value)
{
	if (h->cap == 0)
		return false;
	if (*pos == 0)
		*pos = ((size_t)mix(key) & (h->cap - 1)) + 1;
	for (size_t i = *pos - 1; h->v[i].used; i = (i + 1) & (h->cap - 1)) {
		if (h->v[i].key == key) {
			*pos = ((i + 1) & (h->cap - 1)) + 1;
			*value = h->v[i].value;
			return true;
		}
	}
	return false;
}

/* see internal.h */
uint64_t
cp_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* see internal.h */
void
cp_hashidx_release(struct cp_hashidx *h)
{
	if (h == NULL)
		return;
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* see internal.h */
uint64_t
cp_hash_digest(const uint8_t *digest)
{
	uint64_t h;

	memcpy(&h, digest, sizeof(h));
	return h;
}
