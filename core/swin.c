/*
 * swin.c: sliding-window counters (see swin.h). Buckets form a ring indexed
 * by (time / bucket_ms) % SWIN_BUCKETS; running sums are kept so a query
 * never walks the ring, and moving forward clears at most every bucket once.
 */
#include "core/swin.h"

#include <stdbool.h>
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

/* Whether now falls in the head bucket, without the divisions of bucket_of()
 * (three calls or more per observation land there). */
static bool in_head(const struct swin *w, int64_t now)
{
	return w->head != INT64_MIN && now >= w->head_lo && now < w->head_hi;
}

static void set_head(struct swin *w, int64_t b)
{
	w->head = b;
	if (b <= INT64_MIN / w->bucket_ms) { /* b * bucket_ms might not fit: no shortcut */
		w->head_lo = 1;
		w->head_hi = 0;
		return;
	}
	w->head_lo = b * w->bucket_ms;
	w->head_hi = w->head_lo > INT64_MAX - w->bucket_ms ? INT64_MAX : w->head_lo + w->bucket_ms;
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
	if (in_head(w, now))
		return;
	int64_t b = bucket_of(w, now);
	if (w->head == INT64_MIN) {
		set_head(w, b);
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
	set_head(w, b);
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
	if (in_head(w, now))
		return w->sums[slot];
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
