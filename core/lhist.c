/*
 * lhist.c: the log-bucket histogram (see lhist.h). The bucket of x is
 * ceil(log(x / LHIST_MIN) / log(LHIST_GAMMA)); quantiles walk the buckets.
 */
#include "core/lhist.h"

#include <math.h>
#include <string.h>

void lhist_init(struct lhist *h)
{
	memset(h, 0, sizeof(*h));
}

size_t lhist_index(double x)
{
	/* 1 / log(1.02), so the hot path multiplies instead of dividing. */
	static const double inv_log_gamma = 50.49854429873557;
	if (!(x > LHIST_MIN))
		return 0;
	double k = ceil(log(x / LHIST_MIN) * inv_log_gamma);
	if (k >= (double)(LHIST_BUCKETS - 1))
		return LHIST_BUCKETS - 1;
	return (size_t)k;
}

double lhist_value(size_t i)
{
	if (i >= LHIST_BUCKETS)
		i = LHIST_BUCKETS - 1;
	return LHIST_MIN * 2.0 * pow(LHIST_GAMMA, (double)i) / (LHIST_GAMMA + 1.0);
}

void lhist_add(struct lhist *h, double x, double w)
{
	if (!(w > 0) || isnan(x))
		return;
	h->b[lhist_index(x)] += w;
	h->total += w;
}

void lhist_merge(struct lhist *dst, const struct lhist *src)
{
	for (size_t i = 0; i < LHIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->total += src->total;
}

void lhist_scale(struct lhist *h, double f)
{
	for (size_t i = 0; i < LHIST_BUCKETS; i++)
		h->b[i] *= f;
	h->total *= f;
}

double lhist_quantile(const struct lhist *h, double q)
{
	if (!(h->total > 0))
		return NAN;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* The first bucket whose cumulative weight exceeds q * total: with unit
	 * weights, the one holding sample floor(q * n) of the sorted samples. */
	double rank = q * h->total;
	double cum = 0;
	size_t last = 0;
	for (size_t i = 0; i < LHIST_BUCKETS; i++) {
		if (h->b[i] <= 0)
			continue;
		cum += h->b[i];
		last = i;
		if (cum > rank)
			return lhist_value(i);
	}
	return lhist_value(last);
}
