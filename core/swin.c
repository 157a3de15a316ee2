/*
 * swin.c: sliding-window counters (see swin.h). Buckets form a ring indexed
 * by (time / bucket_ms) % SWIN_BUCKETS; running sums are kept so a query
 * never walks the ring, and moving forward clears at most every bucket once.
 */
#include "core/swin.h"

#include <string.h>

void swin_init(struct swin *w, int64_t width_ms, int nslots)
{
	memset(w, 0, sizeof(*w));
	if (width_ms < SWIN_BUCKETS)
		width_ms = SWIN_BUCKETS;
	if (nslots < 1)
		nslots = 1;
	if (nslots > SWIN_SLOTS)
		nslots = SWIN_SLOTS;
	w->bucket_ms = width_ms / SWIN_BUCKETS;
	w->head = INT64_MIN;
	w->nslots = nslots;
}

static int64_t bucket_of(const struct swin *w, int64_t now)
{
	/* Floor division, so times before 1970 still land in the right bucket. */
	int64_t q = now / w->bucket_ms;
	if (now % w->bucket_ms < 0)
		q--;
	return q;
}

static void clear_bucket(struct swin *w, int64_t idx)
{
	int32_t *c = w->counts[((idx % SWIN_BUCKETS) + SWIN_BUCKETS) % SWIN_BUCKETS];
	for (int s = 0; s < w->nslots; s++) {
		w->sums[s] -= c[s];
		c[s] = 0;
	}
}

void swin_advance(struct swin *w, int64_t now)
{
	int64_t b = bucket_of(w, now);
	if (w->head == INT64_MIN) {
		w->head = b;
		return;
	}
	if (b <= w->head)
		return;
	if (b - w->head >= SWIN_BUCKETS) {
		memset(w->counts, 0, sizeof(w->counts));
		memset(w->sums, 0, sizeof(w->sums));
	} else {
		for (int64_t i = w->head + 1; i <= b; i++)
			clear_bucket(w, i);
	}
	w->head = b;
}

void swin_add(struct swin *w, int64_t now, int slot, int32_t n)
{
	if (slot < 0 || slot >= w->nslots)
		return;
	swin_advance(w, now);
	w->counts[((w->head % SWIN_BUCKETS) + SWIN_BUCKETS) % SWIN_BUCKETS][slot] += n;
	w->sums[slot] += n;
}

int64_t swin_sum(struct swin *w, int64_t now, int slot)
{
	if (slot < 0 || slot >= w->nslots)
		return 0;
	swin_advance(w, now);
	return w->sums[slot];
}

int64_t swin_peek_recent(const struct swin *w, int64_t now, int slot, int64_t span_ms)
{
	if (slot < 0 || slot >= w->nslots || w->head == INT64_MIN || span_ms <= 0)
		return 0;
	int64_t k = (span_ms + w->bucket_ms - 1) / w->bucket_ms;
	if (k >= SWIN_BUCKETS)
		return swin_peek(w, now, slot);
	int64_t b = bucket_of(w, now);
	if (b < w->head)
		b = w->head; /* an earlier time reads the newest bucket, as swin_add counts it */
	int64_t lo = b - k + 1;
	if (lo < w->head - (SWIN_BUCKETS - 1))
		lo = w->head - (SWIN_BUCKETS - 1);
	int64_t sum = 0;
	for (int64_t i = lo; i <= w->head; i++)
		sum += w->counts[((i % SWIN_BUCKETS) + SWIN_BUCKETS) % SWIN_BUCKETS][slot];
	return sum;
}

int64_t swin_peek(const struct swin *w, int64_t now, int slot)
{
	if (slot < 0 || slot >= w->nslots || w->head == INT64_MIN)
		return 0;
	int64_t b = bucket_of(w, now);
	if (b <= w->head)
		return w->sums[slot];
	if (b - w->head >= SWIN_BUCKETS)
		return 0;
	int64_t sum = w->sums[slot];
	/* Buckets head-(SWIN_BUCKETS-1) .. b-SWIN_BUCKETS have fallen out. */
	for (int64_t i = w->head - (SWIN_BUCKETS - 1); i <= b - SWIN_BUCKETS; i++)
		sum -= w->counts[((i % SWIN_BUCKETS) + SWIN_BUCKETS) % SWIN_BUCKETS][slot];
	return sum;
}
