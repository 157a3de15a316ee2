/*
 * swin.h: sliding-window counters. A window of `width_ms` is cut into
 * SWIN_BUCKETS equal buckets; each bucket holds up to SWIN_SLOTS counters
 * (requests, failures of each kind, ...). Adding and summing are O(1)
 * amortised and never allocate. The sum covers the current bucket and the
 * SWIN_BUCKETS - 1 before it, so the window's far edge is exact to one
 * bucket (width / SWIN_BUCKETS).
 *
 * A value type: embed it and call swin_init(). Time only moves forward: a
 * call with an earlier `now` than the newest seen counts in the newest bucket.
 */
#ifndef VIGIL_CORE_SWIN_H
#define VIGIL_CORE_SWIN_H

#include <stdint.h>

#define SWIN_BUCKETS 20
#define SWIN_SLOTS   16

struct swin {
	int64_t bucket_ms; /* width of one bucket */
	int64_t head;      /* index (time / bucket_ms) of the newest bucket; INT64_MIN before use */
	int64_t head_lo, head_hi; /* the times [head_lo, head_hi) fall in bucket head */
	int32_t nslots;
	int32_t counts[SWIN_BUCKETS][SWIN_SLOTS];
	int64_t sums[SWIN_SLOTS];
};

/* Set up an empty window of width_ms (>= SWIN_BUCKETS ms) with nslots counters
 * (1..SWIN_SLOTS); out-of-range arguments are clamped. */
void swin_init(struct swin *w, int64_t width_ms, int nslots);

/* Add n to counter `slot` at time now (slots outside the range are ignored). */
void swin_add(struct swin *w, int64_t now, int slot, int32_t n);

/* Move the window to `now` (dropping buckets that fell out) without adding. */
void swin_advance(struct swin *w, int64_t now);

/* Counter `slot` over the window ending at now (0 for a bad slot). Advances. */
int64_t swin_sum(struct swin *w, int64_t now, int slot);

/* The same without moving the window (a read that changes nothing): counts
 * still inside the window at `now`. */
int64_t swin_peek(const struct swin *w, int64_t now, int slot);

/*
 * Counter `slot` over the most recent span_ms of the window ending at now
 * (whole buckets: the current one and those before it, at least span_ms,
 * at most the window), without moving it. A span of the window or more is
 * swin_peek(); span_ms <= 0 gives 0.
 */
int64_t swin_peek_recent(const struct swin *w, int64_t now, int slot, int64_t span_ms);

#endif
