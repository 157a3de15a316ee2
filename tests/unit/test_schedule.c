/*
 * test_schedule.c: core/schedule as a pure function: determinism, the next
 * start strictly after the given time and the first such, every start lying
 * in its endpoint's own lane of the round (so no two endpoints ever start
 * together), one endpoint's starts interval +- jitter apart, jitter that
 * really varies, seeds that give different timetables, the mean interval,
 * negative times, and invalid settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/schedule.h"

#include <stdbool.h>
#include <stdlib.h>

static const int64_t T0 = 1764345600000LL; /* 2025-11-28T16:00:00Z */

static void test_deterministic_and_after(void **state)
{
	(void)state;
	struct schedule s = { .interval_ms = 60000, .jitter_ms = 10000, .seed = 42, .count = 5 };
	uint64_t lcg = 7;
	for (int i = 0; i < 2000; i++) {
		lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t after = T0 + (int64_t)((lcg >> 20) % 86400000ULL);
		size_t idx = (size_t)((lcg >> 60) % s.count);
		int64_t a = schedule_next(&s, idx, after);
		assert_int_equal(a, schedule_next(&s, idx, after));
		assert_true(a > after);
		/* The first start after `after`: asking just before it gives it
		 * again, and the previous start is not after `after`. */
		assert_int_equal(schedule_next(&s, idx, a - 1), a);
		int64_t r = (a - schedule_round_start(&s, 0)) / s.interval_ms;
		assert_int_equal(schedule_start(&s, idx, r), a);
		assert_true(schedule_start(&s, idx, r - 1) <= after);
	}
}

/* Walk a day of rounds (at most 5000: a 10 ms interval would be 8.6M
 * rounds, minutes under ASan, and 5000 rounds already cover every lane
 * many times over): in each round the endpoints occupy distinct lanes
 * (a permutation), each start is at most the effective jitter into its
 * lane, and consecutive starts of one endpoint are interval +- jitter
 * apart. Returns the spread of endpoint 0's offsets in its lane. */
static int64_t check_day(const struct schedule *s)
{
	size_t n = s->count;
	int64_t j = schedule_effective_jitter(s);
	int64_t lane = s->interval_ms / (int64_t)n;
	int64_t rounds = 86400000LL / s->interval_ms;
	if (rounds > 5000)
		rounds = 5000;
	int64_t first_round = (T0 - schedule_round_start(s, 0)) / s->interval_ms;
	int64_t min_off = INT64_MAX, max_off = INT64_MIN;
	bool *seen = calloc(n, sizeof(*seen));
	int64_t *prev = calloc(n, sizeof(*prev));
	for (int64_t r = first_round; r < first_round + rounds; r++) {
		int64_t rs = schedule_round_start(s, r);
		for (size_t i = 0; i < n; i++)
			seen[i] = false;
		for (size_t i = 0; i < n; i++) {
			int64_t t = schedule_start(s, i, r);
			int64_t rel = t - rs;
			assert_true(rel >= 0 && rel < s->interval_ms);
			size_t l = (size_t)(rel / lane);
			assert_true(l < n);
			assert_false(seen[l]); /* one endpoint per lane */
			seen[l] = true;
			int64_t off = rel % lane;
			assert_true(off <= j);
			if (i == 0) {
				min_off = off < min_off ? off : min_off;
				max_off = off > max_off ? off : max_off;
			}
			if (r > first_round) {
				/* schedule_next from the previous start finds this one */
				assert_int_equal(schedule_next(s, i, prev[i]), t);
				assert_true(t - prev[i] >= s->interval_ms - j);
				assert_true(t - prev[i] <= s->interval_ms + j);
			}
			prev[i] = t;
		}
	}
	free(seen);
	free(prev);
	return max_off - min_off;
}

static void test_lanes_never_align(void **state)
{
	(void)state;
	struct schedule cases[] = {
		{ .interval_ms = 60000, .jitter_ms = 10000, .seed = 1, .count = 3 },
		{ .interval_ms = 60000, .jitter_ms = 10000, .seed = 99, .count = 12 },
		{ .interval_ms = 60000, .jitter_ms = 59999, .seed = 5, .count = 7 }, /* capped */
		{ .interval_ms = 1000, .jitter_ms = 0, .seed = 3, .count = 4 },
		{ .interval_ms = 250, .jitter_ms = 200, .seed = 8, .count = 1 },
		{ .interval_ms = 10, .jitter_ms = 5, .seed = 8, .count = 10 }, /* lanes of 1 ms */
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct schedule *s = &cases[c];
		int64_t j = schedule_effective_jitter(s);
		int64_t lane = s->interval_ms / (int64_t)s->count;
		assert_true(j >= 0 && j < lane && j <= s->jitter_ms);
		int64_t spread = check_day(s);
		assert_true(spread <= j);
		if (j >= 100)
			assert_true(spread > j / 2); /* it really jitters */
		if (j == 0)
			assert_int_equal(spread, 0);
	}
	/* The cap: 7 lanes of 8571 ms leave at most 8570 ms of jitter. */
	assert_int_equal(schedule_effective_jitter(&cases[2]), 60000 / 7 - 1);
}

static void test_seeds_differ_and_mean(void **state)
{
	(void)state;
	struct schedule a = { .interval_ms = 60000, .jitter_ms = 10000, .seed = 1, .count = 3 };
	struct schedule b = a;
	b.seed = 2;
	int same = 0;
	int64_t ta = T0, tb = T0;
	int64_t first = schedule_next(&a, 1, T0);
	ta = first;
	for (int i = 0; i < 1000; i++) {
		ta = schedule_next(&a, 1, ta);
		tb = schedule_next(&b, 1, tb);
		if (ta == tb)
			same++;
	}
	assert_true(same < 5);
	/* 1000 gaps of interval +- jitter: the offsets telescope, so the mean
	 * is the interval within 2 * jitter / 1000. */
	double mean = (double)(ta - first) / 1000.0;
	assert_true(mean > 60000 - 21 && mean < 60000 + 21);
	assert_true(schedule_round_start(&a, 0) != schedule_round_start(&b, 0));
}

static void test_negative_time_and_invalid(void **state)
{
	(void)state;
	struct schedule s = { .interval_ms = 1000, .jitter_ms = 100, .seed = 77, .count = 2 };
	int64_t t = schedule_next(&s, 0, -5000);
	assert_true(t > -5000);
	assert_true(t <= -5000 + 1000 + 100);
	assert_int_equal(schedule_next(&s, 0, t - 1), t);

	struct schedule bad = s;
	assert_int_equal(schedule_next(&bad, 2, 0), -1); /* index out of range */
	bad.count = 0;
	assert_int_equal(schedule_next(&bad, 0, 0), -1);
	bad = s;
	bad.interval_ms = 0;
	assert_int_equal(schedule_next(&bad, 0, 0), -1);
	assert_int_equal(schedule_round_start(&bad, 0), -1);
	bad = s;
	bad.jitter_ms = -1;
	assert_int_equal(schedule_next(&bad, 0, 0), -1);
	bad = s;
	bad.count = 2000; /* more endpoints than ms in an interval */
	assert_int_equal(schedule_next(&bad, 0, 0), -1);
	assert_int_equal(schedule_next(NULL, 0, 0), -1);
	assert_int_equal(schedule_effective_jitter(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic_and_after),
		cmocka_unit_test(test_lanes_never_align),
		cmocka_unit_test(test_seeds_differ_and_mean),
		cmocka_unit_test(test_negative_time_and_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
