/*
 * test_probe_budget.c: core/probe_budget: spend per UTC day, the stop before
 * a probe would go over the budget, the restart on the next UTC day, "no
 * limit", NaN and negative costs, the change flag for log-once, and days
 * before the epoch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/probe_budget.h"

#include <math.h>

static const int64_t DAY = PROBE_BUDGET_DAY_MS;
static const int64_t T0 = 20420LL * 86400000LL; /* 2025-11-28T00:00:00Z */

static void test_stop_and_next_day(void **state)
{
	(void)state;
	struct probe_budget b;
	probe_budget_init(&b, 0.010);
	bool changed = true;
	assert_true(probe_budget_allows(&b, T0 + 1000, &changed));
	assert_false(changed);
	int runs = 0;
	int64_t t = T0 + 1000;
	/* Probes of 0.003 each: 0.003, 0.006, 0.009 fit; a fourth would make
	 * 0.012 > 0.010, so the budget stops it. */
	while (probe_budget_allows(&b, t, &changed)) {
		assert_false(changed);
		probe_budget_charge(&b, t, 0.003);
		runs++;
		t += 60000;
		assert_true(runs < 100);
	}
	assert_int_equal(runs, 3);
	assert_true(changed); /* the stop is a change: log it once */
	assert_true(b.exhausted);
	assert_true(fabs(probe_budget_spent(&b, t) - 0.009) < 1e-12);
	assert_true(probe_budget_spent(&b, t) <= b.limit_usd);
	assert_false(probe_budget_allows(&b, t + 60000, &changed));
	assert_false(changed); /* still stopped: no second log line */
	/* 23:59:59.999 the same day: still stopped. */
	assert_false(probe_budget_allows(&b, T0 + DAY - 1, NULL));
	/* Midnight UTC: a new day, the spend starts over. */
	assert_true(probe_budget_allows(&b, T0 + DAY, &changed));
	assert_true(changed);
	assert_true(probe_budget_spent(&b, T0 + DAY) == 0);
	probe_budget_charge(&b, T0 + DAY, 0.001);
	assert_true(fabs(probe_budget_spent(&b, T0 + DAY + 5) - 0.001) < 1e-12);
	assert_int_equal(b.probes, 1);
	/* The previous day's spend is not "today" any more. */
	assert_true(probe_budget_spent(&b, T0 + 2 * DAY) == 0);
}

static void test_no_limit_and_bad_costs(void **state)
{
	(void)state;
	struct probe_budget b;
	probe_budget_init(&b, 0);
	for (int i = 0; i < 1000; i++) {
		assert_true(probe_budget_allows(&b, T0 + i, NULL));
		probe_budget_charge(&b, T0 + i, 5.0);
	}
	assert_true(fabs(probe_budget_spent(&b, T0) - 5000.0) < 1e-6);
	probe_budget_init(&b, 1.0);
	probe_budget_charge(&b, T0, NAN);
	probe_budget_charge(&b, T0, -3);
	assert_true(probe_budget_spent(&b, T0) == 0);
	assert_int_equal(b.probes, 2);
	assert_true(probe_budget_allows(&b, T0, NULL));
	/* One probe that costs more than the whole budget: it ran (nothing
	 * predicted it), and nothing runs after it today. */
	probe_budget_charge(&b, T0, 1.5);
	assert_false(probe_budget_allows(&b, T0, NULL));
	/* Tomorrow: 1.5 is the largest probe seen, over the budget: a probe
	 * that is expected to cost more than the budget does not start. */
	assert_false(probe_budget_allows(&b, T0 + DAY, NULL));
}

static void test_days(void **state)
{
	(void)state;
	assert_int_equal(probe_budget_day(0), 0);
	assert_int_equal(probe_budget_day(DAY - 1), 0);
	assert_int_equal(probe_budget_day(DAY), 1);
	assert_int_equal(probe_budget_day(-1), -1);
	assert_int_equal(probe_budget_day(-DAY), -1);
	assert_int_equal(probe_budget_day(-DAY - 1), -2);
	assert_int_equal(probe_budget_day(T0 + 12 * 3600000LL), 20420);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_and_next_day),
		cmocka_unit_test(test_no_limit_and_bad_costs),
		cmocka_unit_test(test_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
