/*
 * test_rollup_codec.c: rollups as compact bytes (core/rollup_codec) and a
 * series' week of them (core/baseline_job's struct baseline_week):
 *
 *  - round trips: an empty rollup, a busy hour (whole counts: varints), a
 *    decayed one (fractional counts and weights: raw doubles), negative
 *    start times; each decodes to the same bytes of struct rollup;
 *  - size: a busy hour takes a small part of the 15 KB of struct rollup;
 *  - refusals: every truncation, a newer version, trailing bytes, a bad
 *    bucket index, a NaN; a failed decode leaves an empty rollup;
 *  - the week: hours in order only, split at a cutoff, decode, first and
 *    last start, and an encoded hour from the store added as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/baseline_job.h"
#include "core/rollup_codec.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T0   1767571200000LL
#define HOUR 3600000LL

static uint64_t rng = 42;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static void busy(struct rollup *r, int64_t start, int n)
{
	rollup_init(r, start, HOUR);
	for (int i = 0; i < n; i++) {
		struct rollup_sample s;
		memset(&s, 0, sizeof(s));
		double u = uniform();
		s.err = u < 0.05 ? RU_RATE_LIMIT : u < 0.07 ? RU_TIMEOUT : -1;
		s.latency_ms = s.ttft_ms = s.tps_log = s.cost_log = s.quality = NAN;
		if (s.err < 0) {
			s.latency_ms = 200 + 5000 * u * u;
			s.lat_bucket = lhist_index(s.latency_ms);
			if (u < 0.5) {
				s.ttft_ms = s.latency_ms / 3;
				s.ttft_bucket = lhist_index(s.ttft_ms);
			}
			s.prompt_tokens = 1000 + i % 7;
			s.completion_tokens = 200;
			s.cost_usd = 0.0012;
			s.tps_log = log(100 + u);
			s.cost_log = log(0.9);
			s.quality = u < 0.6 ? 1.0 : 0.0;
		}
		rollup_add(r, &s);
	}
	r->flags = ROLLUP_F_MARKER | ROLLUP_F_ALARMED;
	strcpy(r->model, "gpt-4o-2024-11-20");
}

static size_t round_trip(const struct rollup *r)
{
	uint8_t *buf = malloc(ROLLUP_ENCODED_MAX);
	struct rollup *back = malloc(sizeof(*back));
	int n = rollup_encode(r, buf, ROLLUP_ENCODED_MAX);
	assert_true(n > 0);
	assert_int_equal(rollup_decode(buf, (size_t)n, back), 0);
	assert_memory_equal(back, r, sizeof(*r));
	int64_t start;
	assert_int_equal(rollup_encoded_start(buf, (size_t)n, &start), 0);
	assert_int_equal(start, r->start_ms);
	/* too short a buffer: refused, not overrun */
	assert_int_equal(rollup_encode(r, buf, (size_t)n - 1), VG_ETOOBIG);
	free(buf);
	free(back);
	return (size_t)n;
}

static void test_round_trips(void **state)
{
	(void)state;
	struct rollup *r = calloc(1, sizeof(*r));
	rollup_init(r, T0, 60000);
	assert_true(round_trip(r) < 32);
	busy(r, T0 + 5 * HOUR, 40000);
	size_t n = round_trip(r);
	assert_true(n < 4096); /* of a 15 KB struct */
	/* decayed: fractional counts and weights */
	lhist_scale(&r->latency, 0.8408964);
	r->requests *= 0.8408964;
	r->errors[RU_RATE_LIMIT] = 12.25;
	round_trip(r);
	rollup_init(r, -5 * HOUR, HOUR); /* before 1970 */
	r->requests = 3;
	r->cost_usd = -0.0; /* a negative zero survives as itself */
	round_trip(r);
	free(r);
}

static void test_refusals(void **state)
{
	(void)state;
	struct rollup *r = calloc(1, sizeof(*r)), *back = calloc(1, sizeof(*back));
	uint8_t *buf = malloc(ROLLUP_ENCODED_MAX + 8);
	busy(r, T0, 500);
	int n = rollup_encode(r, buf, ROLLUP_ENCODED_MAX);
	assert_true(n > 0);
	for (int len = 0; len < n; len++) {
		back->requests = 99;
		assert_int_equal(rollup_decode(buf, (size_t)len, back), VG_EPARSE);
		assert_true(back->requests == 0); /* cleared */
	}
	buf[n] = 0;
	assert_int_equal(rollup_decode(buf, (size_t)n + 1, back), VG_EPARSE); /* trailing */
	uint8_t v = buf[0];
	buf[0] = 2;
	assert_int_equal(rollup_decode(buf, (size_t)n, back), VG_EVERSION);
	buf[0] = v;
	assert_int_equal(rollup_decode(buf, (size_t)n, back), 0);
	/* a NaN where a raw double is: the cost sum (fractional) */
	struct rollup *odd = calloc(1, sizeof(*odd));
	rollup_init(odd, T0, HOUR);
	odd->cost_usd = 0.5;
	n = rollup_encode(odd, buf, ROLLUP_ENCODED_MAX);
	double nan = NAN;
	uint64_t bits;
	memcpy(&bits, &nan, 8);
	/* the double is the last scalar written before the two empty histograms
	 * (4 bytes: a varint 0 and a flag byte each) */
	for (int i = 0; i < 8; i++)
		buf[n - 4 - 8 + i] = (uint8_t)(bits >> (8 * i));
	assert_int_equal(rollup_decode(buf, (size_t)n, back), VG_EPARSE);
	/* a bucket index past the end: one bucket at 939, then moved to 940 */
	rollup_init(odd, T0, HOUR);
	odd->latency.b[LHIST_BUCKETS - 1] = 1;
	odd->latency.total = 1;
	n = rollup_encode(odd, buf, ROLLUP_ENCODED_MAX);
	assert_int_equal(rollup_decode(buf, (size_t)n, back), 0);
	/* the latency histogram ends the bytes but for the empty ttft one
	 * (0, 0): count 1, flag 0, the delta 939 as a two-byte varint (0xab
	 * 0x07; 940 is 0xac 0x07), the weight 1 */
	assert_int_equal(buf[n - 5], 0xab);
	assert_int_equal(buf[n - 4], 0x07);
	buf[n - 5] = 0xac;
	assert_int_equal(rollup_decode(buf, (size_t)n, back), VG_EPARSE);
	free(odd);
	free(r);
	free(back);
	free(buf);
}

static void test_week(void **state)
{
	(void)state;
	struct baseline_week w, done;
	baseline_week_init(&w);
	baseline_week_init(&done);
	assert_int_equal(baseline_week_first_start(&w), INT64_MIN);
	struct rollup *r = calloc(1, sizeof(*r));
	for (int h = 0; h < 10; h++) {
		busy(r, T0 + h * HOUR, 50 + h);
		assert_int_equal(baseline_week_add(&w, r), 0);
	}
	assert_int_equal(w.n, 10);
	/* out of order, or the same hour again (a restore of one held): refused */
	busy(r, T0 + 9 * HOUR, 5);
	assert_int_equal(baseline_week_add(&w, r), VG_EINVAL);
	busy(r, T0 + 2 * HOUR, 5);
	assert_int_equal(baseline_week_add(&w, r), VG_EINVAL);
	assert_int_equal(baseline_week_first_start(&w), T0);
	assert_int_equal(baseline_week_last_start(&w), T0 + 9 * HOUR);
	/* the hours that ended by 04:00 go; 04:00 on stay */
	assert_int_equal(baseline_week_split(&w, T0 + 4 * HOUR, &done), 0);
	assert_int_equal(done.n, 4);
	assert_int_equal(w.n, 6);
	assert_int_equal(baseline_week_first_start(&w), T0 + 4 * HOUR);
	struct rollup *hours;
	size_t n;
	assert_int_equal(baseline_week_decode(&done, &hours, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(hours[i].start_ms, T0 + (int64_t)i * HOUR);
		assert_true(hours[i].requests == 50 + (double)i);
	}
	free(hours);
	/* an encoded hour from the store joins as it is */
	uint8_t *buf = malloc(ROLLUP_ENCODED_MAX);
	busy(r, T0 + 10 * HOUR, 7);
	int len = rollup_encode(r, buf, ROLLUP_ENCODED_MAX);
	assert_int_equal(baseline_week_add_encoded(&w, buf, (size_t)len), 0);
	assert_int_equal(baseline_week_add_encoded(&w, buf, (size_t)len), VG_EINVAL);
	assert_int_equal(baseline_week_add_encoded(&w, buf, 0), VG_EINVAL);
	assert_int_equal(w.n, 7);
	assert_int_equal(baseline_week_last_start(&w), T0 + 10 * HOUR);
	free(buf);
	free(r);
	baseline_week_done(&w);
	baseline_week_done(&done);
}

/* The refresh schedule: Monday 04:00 UTC by default; the latest one at or
 * before a time. */
static void test_schedule(void **state)
{
	(void)state;
	struct baseline_settings s;
	baseline_defaults(&s);
	assert_int_equal(baseline_job_schedule(&s, T0 + 4 * HOUR), T0 + 4 * HOUR);
	assert_int_equal(baseline_job_schedule(&s, T0 + 4 * HOUR - 1),
	                 T0 + 4 * HOUR - 7 * 24 * HOUR);
	assert_int_equal(baseline_job_schedule(&s, T0 + 3 * 24 * HOUR), T0 + 4 * HOUR);
	s.refresh_weekday = 6;
	s.refresh_hour = 23;
	assert_int_equal(baseline_job_schedule(&s, T0 + 7 * 24 * HOUR),
	                 T0 + 6 * 24 * HOUR + 23 * HOUR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_week),
		cmocka_unit_test(test_schedule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
