/*
 * test_lhist.c: the log-bucket histogram: p50/p95/p99 within 1% of the exact
 * sample quantiles for seeded samples of several shapes, merging equals
 * adding the samples to one histogram, scaling leaves quantiles alone,
 * bounds and empty histograms, and the table lookup that replaced log()
 * gives the bucket of the log formula for every bound and seeded values.
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
#include <string.h>

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

/* The bucket by its definition, with libm's log: what lhist_index() must
 * give for every double. */
static size_t index_by_log(double x)
{
	if (!(x > LHIST_MIN))
		return 0;
	double k = ceil(log(x / LHIST_MIN) * 50.49854429873557);
	if (k >= (double)(LHIST_BUCKETS - 1))
		return LHIST_BUCKETS - 1;
	return (size_t)k;
}

static double from_bits(uint64_t u)
{
	double x;
	memcpy(&x, &u, sizeof(x));
	return x;
}

static uint64_t to_bits(double x)
{
	uint64_t u;
	memcpy(&u, &x, sizeof(u));
	return u;
}

static void test_index_is_the_log_formula(void **state)
{
	(void)state;
	/* Every table bound is the largest double of its bucket by the formula
	 * (bisection over the positive doubles, which order like their bits). */
	for (size_t k = 0; k + 1 < LHIST_BUCKETS; k++) {
		uint64_t lo = to_bits(LHIST_MIN), hi = to_bits(1e9);
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (index_by_log(from_bits(mid)) <= k)
				lo = mid;
			else
				hi = mid;
		}
		if (lhist_bound(k) != from_bits(lo))
			fail_msg("bound %zu is %a, the formula says %a", k, lhist_bound(k),
			         from_bits(lo));
	}
	assert_true(isinf(lhist_bound(LHIST_BUCKETS - 1)));
	/* Around every bound, and at seeded values over the whole range. */
	for (size_t k = 0; k + 1 < LHIST_BUCKETS; k++) {
		double lo = lhist_bound(k), hi = lo;
		for (int j = 0; j < 64; j++) {
			assert_int_equal(lhist_index(lo), index_by_log(lo));
			assert_int_equal(lhist_index(hi), index_by_log(hi));
			lo = nextafter(lo, 0);
			hi = nextafter(hi, INFINITY);
		}
	}
	for (int i = 0; i < 1000000; i++) {
		double x = exp(uniform() * 25.0 - 4.0);
		if (lhist_index(x) != index_by_log(x))
			fail_msg("%a: bucket %zu, the formula says %zu", x, lhist_index(x),
			         index_by_log(x));
	}
	const double odd[] = { 0,         -1,    LHIST_MIN, nextafter(LHIST_MIN, 1),
		               1.2e7,     1.3e7, 1e300,     INFINITY,
		               -INFINITY, NAN,   5e-324 };
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_int_equal(lhist_index(odd[i]), index_by_log(odd[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_merge_and_scale),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_index_is_the_log_formula),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
