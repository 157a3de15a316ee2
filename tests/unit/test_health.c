/*
 * test_health.c: decaying health windows: availability and error rates,
 * decay by half-life, percentiles, throughput, the quality score composite,
 * cost efficiency, the headroom trend, rescaling over long runs, merging,
 * and one sample recorded in two windows at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/health.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const int64_t T0 = 1795773600000LL;
static const int64_t HL = 60000;

static struct health_sample ok(double latency)
{
	struct health_sample s;
	memset(&s, 0, sizeof(s));
	s.status = HS_2XX;
	s.err = -1;
	s.latency_ms = latency;
	s.ttfb_ms = NAN;
	s.input_tokens = s.output_tokens = VG_NONE;
	s.schema_valid = s.hallucination = s.unstable = VG_TRI_UNSET;
	s.cost_usd = NAN;
	s.expected_cost_usd = NAN;
	s.headroom = NAN;
	return s;
}

static struct health_sample failed(enum health_status st, enum health_err e)
{
	struct health_sample s = ok(100);
	s.status = st;
	s.error = true;
	s.err = (int)e;
	return s;
}

static bool near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

static void test_rates_and_decay(void **state)
{
	(void)state;
	struct health *h = malloc(sizeof(*h));
	health_init(h, HL);
	struct health_numbers n;
	health_read(h, T0, &n);
	assert_true(isnan(n.availability));
	assert_true(isnan(n.p50_ms));
	assert_true(n.requests == 0);
	for (int i = 0; i < 80; i++) {
		struct health_sample s = ok(500);
		health_record(h, &s, T0);
	}
	for (int i = 0; i < 10; i++) {
		struct health_sample s = failed(HS_429, HE_RATE_LIMIT);
		health_record(h, &s, T0);
	}
	for (int i = 0; i < 10; i++) {
		struct health_sample s = failed(HS_5XX, HE_SERVER_ERROR);
		health_record(h, &s, T0);
	}
	health_read(h, T0, &n);
	assert_true(near(n.requests, 100, 1e-9));
	assert_true(near(n.availability, 0.8, 1e-12));
	assert_true(near(n.err_rate[HE_RATE_LIMIT], 0.1, 1e-12));
	assert_true(near(n.err_rate[HE_SERVER_ERROR], 0.1, 1e-12));
	assert_true(n.err_rate[HE_TIMEOUT] == 0);
	assert_true(near(n.status_share[HS_2XX], 0.8, 1e-12));
	assert_true(near(n.status_share[HS_429], 0.1, 1e-12));
	/* One half-life later the count has halved; shares are unchanged. */
	health_read(h, T0 + HL, &n);
	assert_true(near(n.requests, 50, 1e-9));
	assert_true(near(n.availability, 0.8, 1e-12));
	/* 100 healthy requests now weigh twice the old ones: (80/2 + 100) / 150. */
	for (int i = 0; i < 100; i++) {
		struct health_sample s = ok(500);
		health_record(h, &s, T0 + HL);
	}
	health_read(h, T0 + HL, &n);
	assert_true(near(n.requests, 150, 1e-9));
	assert_true(near(n.availability, 140.0 / 150.0, 1e-12));
	free(h);
}

static void test_latency_and_throughput(void **state)
{
	(void)state;
	struct health *h = malloc(sizeof(*h));
	health_init(h, HL);
	/* Latencies 1..1000 ms, 2 s of generation for 100 tokens, ttfb 200 ms for
	 * 1000 input tokens. */
	for (int i = 1; i <= 1000; i++) {
		struct health_sample s = ok(i);
		health_record(h, &s, T0);
	}
	struct health_sample s = ok(2200);
	s.ttfb_ms = 200;
	s.output_tokens = 100;
	s.input_tokens = 1000;
	health_record(h, &s, T0);
	struct health_numbers n;
	health_read(h, T0, &n);
	assert_true(fabs(n.p50_ms - 501) / 501 <= 0.01);
	assert_true(fabs(n.p95_ms - 951) / 951 <= 0.01);
	assert_true(fabs(n.p99_ms - 991) / 991 <= 0.01);
	assert_true(near(n.output_tps, 50, 1e-9));
	assert_true(near(n.input_tps, 5000, 1e-9));
	free(h);
}

static void test_quality_and_cost(void **state)
{
	(void)state;
	struct health *h = malloc(sizeof(*h));
	health_init(h, HL);
	struct health_numbers n;
	/* Only the schema measured: quality = schema-valid rate. */
	for (int i = 0; i < 10; i++) {
		struct health_sample s = ok(100);
		s.schema_valid = i < 9 ? VG_TRI_TRUE : VG_TRI_FALSE;
		health_record(h, &s, T0);
	}
	health_read(h, T0, &n);
	assert_true(near(n.schema_valid_rate, 0.9, 1e-12));
	assert_true(isnan(n.hallucination_pass_rate));
	assert_true(near(n.quality_score, 0.9, 1e-12));
	/* Hallucination screen 3 of 4 pass, stability 1 of 2: 0.9 x 0.75 x 0.5. */
	for (int i = 0; i < 4; i++) {
		struct health_sample s = ok(100);
		s.hallucination = i == 0 ? VG_TRI_TRUE : VG_TRI_FALSE;
		if (i < 2)
			s.unstable = i == 0 ? VG_TRI_TRUE : VG_TRI_FALSE;
		health_record(h, &s, T0);
	}
	health_read(h, T0, &n);
	assert_true(near(n.quality_score, 0.9 * 0.75 * 0.5, 1e-12));
	/* Cost: paid $0.003 for what lists at $0.002 (a retry): 1.5. */
	struct health_sample s = ok(100);
	s.cost_usd = 0.003;
	s.expected_cost_usd = 0.002;
	s.input_tokens = 1000;
	s.output_tokens = 500;
	health_record(h, &s, T0);
	health_read(h, T0, &n);
	assert_true(near(n.cost_efficiency, 1.5, 1e-12));
	assert_true(near(n.cost_per_1k_usd, 0.002, 1e-12));
	/* An unpriced request counts in $/1k but not in efficiency. */
	s.expected_cost_usd = NAN;
	s.cost_usd = 0.006;
	health_record(h, &s, T0);
	health_read(h, T0, &n);
	assert_true(near(n.cost_efficiency, 1.5, 1e-12));
	assert_true(near(n.cost_per_1k_usd, 0.003, 1e-12));
	free(h);
}

static void test_headroom_trend(void **state)
{
	(void)state;
	struct health *h = malloc(sizeof(*h));
	health_init(h, 5 * HL);
	struct health_numbers n;
	/* 2% per minute down from 50%, a sample every 10 s. */
	for (int i = 0; i <= 60; i++) {
		struct health_sample s = ok(100);
		s.headroom = 0.5 - 0.02 * (double)i / 6.0;
		health_record(h, &s, T0 + i * 10000);
	}
	health_read(h, T0 + 600000, &n);
	assert_true(near(n.headroom, 0.3, 1e-12));
	assert_true(near(n.headroom_slope, -0.02, 1e-9));
	assert_true(near(n.headroom_eta_ms, 15 * 60000.0, 1e-3));
	/* Rising: no eta. */
	health_init(h, 5 * HL);
	for (int i = 0; i <= 10; i++) {
		struct health_sample s = ok(100);
		s.headroom = 0.1 + 0.01 * i;
		health_record(h, &s, T0 + i * 60000);
	}
	health_read(h, T0 + 600000, &n);
	assert_true(n.headroom_slope > 0);
	assert_true(isnan(n.headroom_eta_ms));
	/* One sample: no trend. */
	health_init(h, HL);
	struct health_sample s = ok(100);
	s.headroom = 0.2;
	health_record(h, &s, T0);
	health_read(h, T0, &n);
	assert_true(isnan(n.headroom_slope));
	free(h);
}

/* Rescaling the landmark (every 60 half-lives) changes no number. */
static void test_long_run(void **state)
{
	(void)state;
	struct health *h = malloc(sizeof(*h));
	health_init(h, 1000);
	int64_t t = T0;
	for (int i = 0; i < 200000; i++) {
		t += 7;
		struct health_sample s = i % 10 == 0 ? failed(HS_5XX, HE_SERVER_ERROR) : ok(300);
		s.headroom = 0.9 - 0.1 * (double)(i % 1000) / 1000.0;
		health_record(h, &s, t);
	}
	struct health_numbers n;
	health_read(h, t, &n);
	assert_true(h->landmark_ms > T0); /* it did rescale */
	assert_true(isfinite(n.requests));
	assert_true(near(n.availability, 0.9, 0.01));
	/* Steady state: about rate x half-life / ln 2 requests. */
	assert_true(near(n.requests, (1000.0 / 7.0) / log(2.0), 2));
	assert_true(fabs(n.p50_ms - 300) / 300 <= 0.01);
	assert_true(isfinite(n.headroom_slope));
	free(h);
}

static void test_merge(void **state)
{
	(void)state;
	struct health *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *all = malloc(sizeof(*all));
	health_init(a, HL);
	health_init(b, HL);
	health_init(all, HL);
	for (int i = 0; i < 300; i++) {
		int64_t t = T0 + i * 1000;
		struct health_sample s = i % 7 == 0 ? failed(HS_NONE, HE_TRANSPORT) : ok(100 + i);
		s.headroom = 1.0 - i / 400.0;
		health_record(i < 100 || i % 2 ? a : b, &s, t);
		health_record(all, &s, t);
	}
	struct health *empty = malloc(sizeof(*empty));
	health_init(empty, HL);
	health_merge(a, empty); /* merging nothing changes nothing */
	health_merge(a, b);
	struct health_numbers na, nall;
	int64_t now = T0 + 300000;
	health_read(a, now, &na);
	health_read(all, now, &nall);
	assert_true(near(na.requests, nall.requests, 1e-6));
	assert_true(near(na.availability, nall.availability, 1e-12));
	assert_true(near(na.err_rate[HE_TRANSPORT], nall.err_rate[HE_TRANSPORT], 1e-12));
	assert_true(na.p95_ms == nall.p95_ms);
	assert_true(near(na.headroom_slope, nall.headroom_slope, 1e-9));
	/* Into an empty one: a copy. */
	health_merge(empty, all);
	health_read(empty, now, &na);
	assert_true(near(na.availability, nall.availability, 1e-12));
	free(a);
	free(b);
	free(all);
	free(empty);
	assert_string_equal(health_err_name(HE_CONTENT_FILTER), "content_filter");
	assert_string_equal(health_status_name(HS_429), "429");
}

/* health_record2(a, b) is health_record(a) then health_record(b), to the
 * bit: varied samples (unmeasured, non-finite and negative values, errors,
 * headroom) over hours, through rescales, with b started later. */
static void test_record_pair(void **state)
{
	(void)state;
	struct health *a1 = malloc(sizeof(*a1)), *b1 = malloc(sizeof(*b1));
	struct health *a2 = malloc(sizeof(*a2)), *b2 = malloc(sizeof(*b2));
	health_init(a1, HL);
	health_init(a2, HL);
	health_init(b1, 2 * HL);
	health_init(b2, 2 * HL);
	const double odd[] = { NAN, INFINITY, -5, 0, 0.05, 1e9 };
	uint64_t r = 12345;
	for (int i = 0; i < 20000; i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned k = (unsigned)(r >> 33);
		int64_t now = T0 + (int64_t)i * 2000;
		struct health_sample s =
		        k % 7 ? ok(50 + k % 5000) : failed(HS_5XX, HE_SERVER_ERROR);
		if (k % 11 == 0)
			s.latency_ms = odd[k % 6];
		s.ttfb_ms = k % 13 ? s.latency_ms / 3 : odd[(k >> 4) % 6];
		s.input_tokens = k % 5 ? (int64_t)(k % 900) : VG_NONE;
		s.output_tokens = k % 3 ? (int64_t)(k % 300) : -1;
		s.schema_valid = (int8_t)(k % 3) - 1;
		s.hallucination = (int8_t)((k >> 2) % 3) - 1;
		s.unstable = (int8_t)((k >> 4) % 3) - 1;
		s.cost_usd = k % 17 ? (double)(k % 1000) * 1e-6 : odd[(k >> 6) % 6];
		s.expected_cost_usd = k % 4 ? (double)(k % 900) * 1e-6 : NAN;
		s.headroom = k % 9 ? (double)(k % 1000) / 1000.0 : odd[(k >> 8) % 6];
		bool both = i > 300;
		health_record(a1, &s, now);
		if (both)
			health_record(b1, &s, now);
		health_record2(a2, both ? b2 : NULL, &s, now);
	}
	assert_memory_equal(a1, a2, sizeof(*a1));
	assert_memory_equal(b1, b2, sizeof(*b1));
	free(a1);
	free(b1);
	free(a2);
	free(b2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_and_decay),
		cmocka_unit_test(test_latency_and_throughput),
		cmocka_unit_test(test_quality_and_cost),
		cmocka_unit_test(test_headroom_trend),
		cmocka_unit_test(test_long_run),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_record_pair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
