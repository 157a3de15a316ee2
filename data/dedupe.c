/*
 * dedupe.c: a ring of the keys in insertion order (so the oldest can be
 * evicted), indexed by an open-addressing table with linear probing and
 * backward-shift deletion whose slots hold 1 + the key's ring position (0 is
 * empty). 32-bit slots instead of the keys themselves: 12 bytes a pair
 * (8 in the ring, 2 x 2 in the table at most half full) instead of 24.
 * The key 0 is stored as 1.
 */
#include "data/dedupe.h"

#include <stdlib.h>

struct dedupe {
	uint32_t *slots; /* 2 * cap: 1 + a ring position, or 0 */
	uint64_t *ring;  /* cap, insertion order */
	size_t cap, mask, n, head;
};

struct dedupe *dedupe_new(size_t capacity)
{
	size_t cap = 16;
	while (cap < capacity)
		cap *= 2;
	if (cap > (size_t)UINT32_MAX / 2)
		return NULL;
	struct dedupe *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cap = cap;
	d->mask = cap * 2 - 1;
	d->slots = calloc(cap * 2, sizeof(uint32_t));
	d->ring = calloc(cap, sizeof(uint64_t));
	if (!d->slots || !d->ring) {
		dedupe_free(d);
		return NULL;
	}
	return d;
}

void dedupe_free(struct dedupe *d)
{
	if (!d)
		return;
	free(d->slots);
	free(d->ring);
	free(d);
}

uint64_t dedupe_key(const char *request_id, int32_t attempt)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)request_id; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)(uint32_t)(attempt > 0 ? attempt : 1) * 0x9E3779B97F4A7C15ULL;
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 32;
	return h ? h : 1;
}

static size_t slot_of(const struct dedupe *d, uint64_t key)
{
	return (size_t)(key * 0x9E3779B97F4A7C15ULL >> 17) & d->mask;
}

/* The key a non-empty slot stands for. */
static uint64_t key_at(const struct dedupe *d, size_t i)
{
	return d->ring[d->slots[i] - 1];
}

/* Forget the key at ring position pos (it is in the table). */
static void remove_pos(struct dedupe *d, size_t pos)
{
	size_t i = slot_of(d, d->ring[pos]);
	while (d->slots[i] && d->slots[i] != pos + 1)
		i = (i + 1) & d->mask;
	if (!d->slots[i])
		return;
	/* backward-shift deletion keeps every probe chain unbroken */
	size_t j = i;
	for (;;) {
		j = (j + 1) & d->mask;
		if (!d->slots[j])
			break;
		size_t home = slot_of(d, key_at(d, j));
		bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			d->slots[i] = d->slots[j];
			i = j;
		}
	}
	d->slots[i] = 0;
}

bool dedupe_seen(struct dedupe *d, uint64_t key)
{
	if (!key)
		key = 1;
	size_t i = slot_of(d, key);
	while (d->slots[i]) {
		if (key_at(d, i) == key)
			return true;
		i = (i + 1) & d->mask;
	}
	size_t pos;
	if (d->n == d->cap) {
		pos = d->head;
		remove_pos(d, pos);
		d->head = (d->head + 1) % d->cap;
		/* the removal may have shifted slots: probe again */
		i = slot_of(d, key);
		while (d->slots[i])
			i = (i + 1) & d->mask;
	} else {
		pos = (d->head + d->n) % d->cap;
		d->n++;
	}
	d->ring[pos] = key;
	d->slots[i] = (uint32_t)(pos + 1);
	return false;
}
