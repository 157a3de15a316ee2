/*
 * test_demo_seed.c: the demo's warm baselines (app/demo_seed): seeded for a
 * Wednesday 15:00 UTC start (business hours: the busiest windows), every
 * gateway series has that hour warm, the models are in the database (as
 * many rows as series written), nothing else is (no observation, event or
 * incident), and a Sunday 03:00 start (the quietest windows) warms its
 * hour too. Prints the lines and the time each seed took.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/demo_seed.h"
#include "core/timeparse.h"
#include "tests/support/testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t count(const char *db, const char *table)
{
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void seed_at(const char *when, uint64_t min_lines)
{
	char *dir = tu_mkdtemp("demo-seed");
	char db[1024];
	snprintf(db, sizeof(db), "%s/vigil.db", dir);
	int64_t now = 0;
	assert_int_equal(timeparse_rfc3339(when, strlen(when), &now), 0);
	struct demo_seed_result r;
	char *cause = NULL;
	int rc = demo_seed(db, now, &r, &cause);
	if (rc != 0)
		fail_msg("%s", cause ? cause : "?");
	printf("seed for %s: %llu lines in %.2f s, %d series, this hour warm in %d of %d\n", when,
	       (unsigned long long)r.lines, (double)r.took_ms / 1000.0, r.series, r.warm_series,
	       r.gateway_series);
	assert_true(r.lines >= min_lines);
	assert_true(r.gateway_series >= 4); /* three aggregates and the busy aliases */
	assert_int_equal(r.warm_series, r.gateway_series);
	assert_true(r.to_ms < now);
	assert_int_equal(count(db, "baseline_models"), r.series);
	assert_int_equal(count(db, "observations"), 0);
	assert_int_equal(count(db, "failure_events"), 0);
	assert_int_equal(count(db, "incidents"), 0);
	tu_rmtree(dir);
	free(dir);
}

static void test_business_hours(void **state)
{
	(void)state;
	seed_at("2026-12-09T15:00:00Z", 12000);
}

static void test_sunday_night(void **state)
{
	(void)state;
	seed_at("2026-12-13T03:00:00Z", 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_business_hours),
		cmocka_unit_test(test_sunday_night),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
