/*
 * lhist.h: a mergeable log-bucket histogram of positive values (latencies in
 * ms), with weighted counts so it can decay. Bucket i holds values in
 * (LHIST_MIN * g^(i-1), LHIST_MIN * g^i] with g = LHIST_GAMMA = 1.02, and
 * reports them as LHIST_MIN * 2 g^i / (g + 1): every quantile it answers is
 * within (g - 1) / (g + 1) < 1% of the true sample at that rank (for values
 * between LHIST_MIN and LHIST_MAX; smaller values count in the first bucket,
 * larger ones in the last).
 *
 * Two histograms merge by adding buckets (the layout is fixed), so windows
 * of several models, vigil processes or time slices combine exactly.
 * A value type without pointers: embed it; it never allocates.
 */
#ifndef VIGIL_CORE_LHIST_H
#define VIGIL_CORE_LHIST_H

#include <stddef.h>

#define LHIST_GAMMA   1.02
#define LHIST_MIN     0.1   /* ms */
#define LHIST_BUCKETS 940   /* up to LHIST_MIN * 1.02^939, about 1.2e7 ms (3.3 h) */
#define LHIST_MAX     1.2e7 /* ms, approximately */

struct lhist {
	double total;
	double b[LHIST_BUCKETS];
};

/* Empty the histogram. */
void lhist_init(struct lhist *h);

/* The bucket a value falls in (NaN, zero and negatives fall in bucket 0). */
size_t lhist_index(double x);

/* The largest value bucket i holds (+inf for the last). */
double lhist_bound(size_t i);

/* The value a bucket reports. */
double lhist_value(size_t i);

/* Add value x with weight w (w <= 0 or NaN x is ignored). */
void lhist_add(struct lhist *h, double x, double w);

/* Add weight w to bucket i (from lhist_index(); w <= 0 is ignored): what
 * lhist_add() does for a value in that bucket. */
void lhist_add_at(struct lhist *h, size_t i, double w);

/* dst += src, bucket by bucket. */
void lhist_merge(struct lhist *dst, const struct lhist *src);

/* Multiply every weight by f (decay). */
void lhist_scale(struct lhist *h, double f);

/* The q-quantile (0 <= q <= 1): the reported value of the first bucket whose
 * cumulative weight exceeds q * total (with unit weights, the bucket of the
 * sorted sample at 0-based index floor(q * n); q = 1 gives the largest).
 * NaN when empty. */
double lhist_quantile(const struct lhist *h, double q);

#endif
