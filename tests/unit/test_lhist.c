/*
 * test_lhist.c: the log-bucket histogram: p50/p95/p99 within 1% of the exact
 * sample quantiles for seeded samples of several shapes, merging equals
 * adding the samples to one histogram, scaling leaves quantiles alone,
 * bounds and empty histograms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/lhist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng = 88172645463325252ULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double lognormal(double mu, double sigma)
{
	double u1 = uniform(), u2 = uniform();
	double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	return exp(mu + sigma * z);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void check_quantiles(const char *shape, double *xs, size_t n)
{
	struct lhist *h = malloc(sizeof(*h));
	lhist_init(h);
	for (size_t i = 0; i < n; i++)
		lhist_add(h, xs[i], 1.0);
	qsort(xs, n, sizeof(*xs), cmp);
	static const double qs[] = { 0.5, 0.95, 0.99, 0.999, 0.0, 1.0 };
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		size_t idx = (size_t)floor(qs[k] * (double)n);
		if (idx >= n)
			idx = n - 1;
		double exact = xs[idx];
		double est = lhist_quantile(h, qs[k]);
		double rel = fabs(est - exact) / exact;
		if (!(rel <= 0.01))
			fail_msg("%s: q=%g exact %g estimate %g (error %.4f%%)", shape, qs[k],
			         exact, est, rel * 100);
	}
	assert_true(fabs(h->total - (double)n) < 1e-9);
	free(h);
}

static void test_accuracy(void **state)
{
	(void)state;
	size_t n = 100000;
	double *xs = malloc(n * sizeof(*xs));
	/* Typical LLM latencies: lognormal around 800 ms with a heavy tail. */
	for (size_t i = 0; i < n; i++)
		xs[i] = lognormal(log(800), 0.6);
	check_quantiles("lognormal", xs, n);
	/* Bimodal: fast cache hits and slow generations. */
	for (size_t i = 0; i < n; i++)
		xs[i] = uniform() < 0.7 ? 20 + 30 * uniform() : 4000 + 20000 * uniform();
	check_quantiles("bimodal", xs, n);
	/* Wide uniform on a log scale, 0.2 ms .. 1e6 ms. */
	for (size_t i = 0; i < n; i++)
		xs[i] = 0.2 * pow(5e6, uniform());
	check_quantiles("log-uniform", xs, n);
	/* Few samples. */
	for (size_t i = 0; i < 7; i++)
		xs[i] = 100.0 * (double)(i + 1);
	check_quantiles("seven", xs, 7);
	free(xs);
}

static void test_merge_and_scale(void **state)
{
	(void)state;
	struct lhist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *all = malloc(sizeof(*all));
	lhist_init(a);
	lhist_init(b);
	lhist_init(all);
	for (int i = 0; i < 5000; i++) {
		double x = lognormal(log(300), 1.0);
		lhist_add(i % 3 ? a : b, x, 1.0);
		lhist_add(all, x, 1.0);
	}
	lhist_merge(a, b);
	for (size_t i = 0; i < LHIST_BUCKETS; i++)
		assert_true(a->b[i] == all->b[i]);
	assert_true(a->total == all->total);
	double p95 = lhist_quantile(a, 0.95);
	lhist_scale(a, 1e-6);
	assert_true(lhist_quantile(a, 0.95) == p95);
	assert_true(fabs(a->total - 5000e-6) < 1e-12);
	/* Weighted: a weight-3 sample counts as three. */
	lhist_init(a);
	lhist_add(a, 10, 3);
	lhist_add(a, 1000, 1);
	assert_true(fabs(lhist_quantile(a, 0.5) - 10) / 10 <= 0.01);
	assert_true(fabs(lhist_quantile(a, 0.8) - 1000) / 1000 <= 0.01);
	free(a);
	free(b);
	free(all);
}

static void test_bounds(void **state)
{
	(void)state;
	struct lhist h;
	lhist_init(&h);
	assert_true(isnan(lhist_quantile(&h, 0.5)));
	lhist_add(&h, NAN, 1);
	lhist_add(&h, 5, 0);
	lhist_add(&h, 5, -1);
	assert_true(h.total == 0);
	assert_int_equal(lhist_index(0), 0);
	assert_int_equal(lhist_index(-3), 0);
	assert_int_equal(lhist_index(LHIST_MIN), 0);
	assert_int_equal(lhist_index(1e12), LHIST_BUCKETS - 1);
	assert_true(lhist_value(LHIST_BUCKETS - 1) > 1e7);
	/* Every bucket's reported value lies inside it, within 1% of its edges. */
	for (size_t i = 1; i < LHIST_BUCKETS; i++) {
		double v = lhist_value(i);
		assert_int_equal(lhist_index(v), i);
		double hi = LHIST_MIN * pow(LHIST_GAMMA, (double)i);
		assert_true((hi - v) / hi <= 0.01);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_merge_and_scale),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
