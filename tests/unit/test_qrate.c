/*
 * test_qrate.c: the failure rate against its baseline (core/qrate): the
 * likelihood ratio, the cold start, the clean key, the window, the burst and
 * the change tests, the lagging baseline and the alarm.
 */
#include "core/qrate.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define T0 1700000000000LL

/* Add n responses one every `every` ms from *now, failures where
 * pattern[i % len] is '1'. Returns how many were in excess. */
static int feed(struct qrate *q, const struct qrate_settings *s, int n, const char *pattern,
                int64_t every, int64_t *now)
{
	int ex = 0;
	size_t len = 0;
	while (pattern[len])
		len++;
	for (int i = 0; i < n; i++) {
		struct qrate_verdict v;
		qrate_add(q, s, pattern[(size_t)i % len] == '1', *now, &v);
		ex += v.excess;
		*now += every;
	}
	return ex;
}

/* After ten minutes of one in twenty at six a second, one in three: how
 * many answers until one is in excess (600 = none). */
static int answers_to_excess(struct qrate *q, const struct qrate_settings *s, bool change,
                             int64_t *now)
{
	feed(q, s, 6 * 600, "00000000000000000001", 167, now);
	if (change)
		qrate_change(q, *now);
	int ex = 0, i = 0;
	while (!ex && i < 600) {
		ex = feed(q, s, 1, i % 3 == 2 ? "1" : "0", 167, now);
		i++;
	}
	return ex ? i : 600;
}

static void test_glr(void **state)
{
	(void)state;
	/* n KL(k/n || p) */
	assert_true(fabs(qrate_glr(1, 1, 0.05) - log(20.0)) < 1e-12);
	double want = 10 * (0.3 * log(0.3 / 0.05) + 0.7 * log(0.7 / 0.95));
	assert_true(fabs(qrate_glr(10, 3, 0.05) - want) < 1e-12);
	/* at or under p: no evidence */
	assert_true(qrate_glr(100, 5, 0.05) == 0);
	assert_true(qrate_glr(100, 1, 0.05) == 0);
	/* nonsense in, 0 out */
	assert_true(qrate_glr(0, 0, 0.05) == 0);
	assert_true(qrate_glr(3, 4, 0.05) == 0);
	assert_true(qrate_glr(3, 1, 0) == 0);
	assert_true(qrate_glr(3, 1, 1) == 0);
}

static void test_cold_start_baseline(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	struct qrate q;
	qrate_init(&q, &s);
	/* nothing seen: the prior */
	assert_true(fabs(qrate_baseline(&q, &s, T0) - s.prior_rate) < 1e-12);
	int64_t now = T0;
	/* The newest 64 are not learned yet. */
	feed(&q, &s, 64, "0", 100, &now);
	assert_true(fabs(qrate_baseline(&q, &s, now) - s.prior_rate) < 1e-12);
	/* Then clean answers pull it down to the floor. */
	feed(&q, &s, 1000, "0", 100, &now);
	assert_true(qrate_baseline(&q, &s, now) < 0.002 + 1e-12);
	assert_true(qrate_baseline(&q, &s, now) >= s.floor);
}

static void test_background_is_no_excess(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	struct qrate q;
	qrate_init(&q, &s);
	int64_t now = T0;
	/* one in twenty, 6 a second, for an hour: never in excess */
	assert_int_equal(feed(&q, &s, 6 * 3600, "00000000000000000001", 167, &now), 0);
	double p = qrate_baseline(&q, &s, now);
	assert_true(p > 0.045 && p < 0.055);
	/* even three in a row: no burst test by default */
	assert_int_equal(feed(&q, &s, 3, "1", 167, &now), 0);
}

static void test_window_rate(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	struct qrate q;
	qrate_init(&q, &s);
	int64_t now = T0;
	/* one in three: in excess within the window, not at once */
	int i = answers_to_excess(&q, &s, false, &now);
	assert_true(i > 6);   /* one or two failures are not a rate */
	assert_true(i < 360); /* within the minute */
	/* alarmed: each further failure while the rate stays up */
	assert_int_equal(feed(&q, &s, 60, "001", 167, &now), 20);
	/* back to usual: the alarm ends within a window or two */
	feed(&q, &s, 6 * 120, "00000000000000000001", 167, &now);
	assert_int_equal(feed(&q, &s, 6 * 600, "00000000000000000001", 167, &now), 0);
}

static void test_clean_key_counts_each(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	struct qrate q;
	qrate_init(&q, &s);
	int64_t now = T0;
	/* cold: one failure is not news yet */
	feed(&q, &s, 10, "0", 1000, &now);
	assert_int_equal(feed(&q, &s, 1, "1", 1000, &now), 0);
	/* after a clean record it is */
	feed(&q, &s, 600, "0", 1000, &now);
	struct qrate_verdict v;
	qrate_add(&q, &s, true, now, &v);
	assert_true(v.excess);
	assert_true(v.baseline <= s.clean_rate);
	/* off with clean_rate 0 */
	s.clean_rate = 0;
	now += 3600 * 1000;
	qrate_add(&q, &s, true, now, &v);
	assert_false(v.excess);
}

static void test_burst(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	s.burst = true;
	s.min_failures = 3;
	s.alpha = 1e-4;
	s.prior_rate = 0.02;
	s.clean_rate = 0;
	struct qrate q;
	qrate_init(&q, &s);
	int64_t now = T0;
	feed(&q, &s, 20, "0", 1000, &now);
	/* one odd, two odd: not yet; three in a row: a burst */
	assert_int_equal(feed(&q, &s, 2, "1", 1000, &now), 0);
	assert_int_equal(feed(&q, &s, 1, "1", 1000, &now), 1);

	/* where one in twenty is usual, three in a row is not enough */
	qrate_init(&q, &s);
	feed(&q, &s, 3990, "00000000000000000001", 1000, &now); /* ends 10 after a 1 */
	assert_int_equal(feed(&q, &s, 3, "1", 1000, &now), 0);
	assert_int_equal(feed(&q, &s, 2, "1", 1000, &now), 2);
}

static void test_change_window(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	struct qrate q;
	qrate_init(&q, &s);
	int64_t now = T0;
	/* one in three right after a change: in excess within seconds */
	int i = answers_to_excess(&q, &s, true, &now);
	assert_true(i <= 60); /* ten seconds at six a second */
	/* the same without the change takes longer */
	struct qrate q2;
	qrate_init(&q2, &s);
	int64_t now2 = T0;
	assert_true(answers_to_excess(&q2, &s, false, &now2) > i);
	struct qrate_verdict v;
	qrate_add(&q, &s, false, now, &v);
	assert_true(v.changed);
	/* after the change window the change test is off */
	now += s.change_window_ms + 1;
	qrate_add(&q, &s, false, now, &v);
	assert_false(v.changed);
}

static void test_baseline_decays(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	s.prior_weight = 0;
	s.clean_rate = 0;
	s.alpha = 1e-300; /* never alarmed: this is about learning */
	s.change_alpha = 1e-300;
	struct qrate q;
	qrate_init(&q, &s);
	int64_t now = T0;
	/* an hour at 10%, then an hour clean: the old hour weighs half */
	feed(&q, &s, 3600, "0000000001", 1000, &now);
	feed(&q, &s, 3600, "0", 1000, &now);
	double p = qrate_baseline(&q, &s, now);
	assert_true(p > 0.025 && p < 0.04); /* ~ 0.1 * 1/2 / (1/2 + 1) = 0.033 */
	/* no time passes: no decay */
	assert_true(qrate_baseline(&q, &s, now) == p);
}

static void test_out_of_order_times(void **state)
{
	(void)state;
	struct qrate_settings s;
	qrate_defaults(&s);
	struct qrate q;
	qrate_init(&q, &s);
	int64_t now = T0;
	feed(&q, &s, 100, "0", 1000, &now);
	struct qrate_verdict v;
	/* a response far older than the window: counted in the baseline
	 * order only, never in a reused bucket */
	qrate_add(&q, &s, true, now - 3600 * 1000, &v);
	assert_int_equal(v.k, 0);
	qrate_add(&q, &s, false, now, &v);
	assert_int_equal(v.k, 0);
	assert_true(v.n >= 55 && v.n <= 61);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glr),
		cmocka_unit_test(test_cold_start_baseline),
		cmocka_unit_test(test_background_is_no_excess),
		cmocka_unit_test(test_window_rate),
		cmocka_unit_test(test_clean_key_counts_each),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_change_window),
		cmocka_unit_test(test_baseline_decays),
		cmocka_unit_test(test_out_of_order_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
