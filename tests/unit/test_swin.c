/*
 * test_swin.c: sliding-window counters: sums, sliding, big jumps, peek
 * agreeing with sum, and slots out of range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/swin.h"

static void test_slide(void **state)
{
	(void)state;
	struct swin w;
	swin_init(&w, 20000, 2); /* 20 buckets of 1 s */
	int64_t t0 = 1000000;
	for (int i = 0; i < 20; i++)
		swin_add(&w, t0 + i * 1000, 0, 1);
	assert_int_equal(swin_sum(&w, t0 + 19000, 0), 20);
	assert_int_equal(swin_peek(&w, t0 + 20000, 0), 19); /* the first second fell out */
	assert_int_equal(swin_sum(&w, t0 + 20000, 0), 19);
	assert_int_equal(swin_peek(&w, t0 + 29500, 0), 10);
	assert_int_equal(swin_sum(&w, t0 + 29500, 0), 10);
	/* A jump past the whole window empties it. */
	assert_int_equal(swin_peek(&w, t0 + 100000, 0), 0);
	assert_int_equal(swin_sum(&w, t0 + 100000, 0), 0);
	swin_add(&w, t0 + 100000, 1, 5);
	assert_int_equal(swin_sum(&w, t0 + 100000, 1), 5);
	assert_int_equal(swin_sum(&w, t0 + 100000, 0), 0);
	/* Time going back counts in the newest bucket. */
	swin_add(&w, t0, 1, 2);
	assert_int_equal(swin_sum(&w, t0 + 100000, 1), 7);
	assert_int_equal(swin_sum(&w, t0 + 100000 + 19999, 1), 7);
	assert_int_equal(swin_sum(&w, t0 + 100000 + 20000, 1), 0);
}

static void test_peek_matches_sum(void **state)
{
	(void)state;
	struct swin a, b;
	swin_init(&a, 60000, 3);
	swin_init(&b, 60000, 3);
	uint32_t seed = 7;
	int64_t t = 5000000;
	for (int i = 0; i < 20000; i++) {
		seed = seed * 1664525u + 1013904223u;
		t += (seed >> 16) % 700;
		int slot = (int)((seed >> 8) % 3);
		swin_add(&a, t, slot, 1);
		swin_add(&b, t, slot, 1);
		int64_t q = t + (seed >> 4) % 90000;
		assert_int_equal(swin_peek(&a, q, slot), swin_sum(&b, q, slot));
		swin_advance(&a, q);
	}
}

/* The newest part of the window: whole buckets back from now's. */
static void test_peek_recent(void **state)
{
	(void)state;
	struct swin w;
	swin_init(&w, 60000, 2); /* 20 buckets of 3 s */
	for (int64_t t = 0; t < 60000; t += 1000)
		swin_add(&w, t, 0, 1); /* one a second, 60 in the window */
	assert_int_equal(swin_peek(&w, 59999, 0), 60);
	assert_int_equal(swin_peek_recent(&w, 59999, 0, 3000), 3); /* the current bucket */
	assert_int_equal(swin_peek_recent(&w, 59999, 0, 3001), 6); /* and the one before */
	assert_int_equal(swin_peek_recent(&w, 59999, 0, 12000), 12);
	assert_int_equal(swin_peek_recent(&w, 59999, 0, 60000), 60); /* the whole window */
	assert_int_equal(swin_peek_recent(&w, 59999, 0, 0), 0);
	assert_int_equal(swin_peek_recent(&w, 59999, 1, 12000), 0);
	assert_int_equal(swin_peek_recent(&w, 59999, 7, 12000), 0); /* no such slot */
	/* Later, without adding: the newest buckets are empty. */
	assert_int_equal(swin_peek_recent(&w, 65999, 0, 6000), 0);
	assert_int_equal(swin_peek_recent(&w, 65999, 0, 9000), 3);
	/* Past the window entirely. */
	assert_int_equal(swin_peek_recent(&w, 200000, 0, 9000), 0);
	/* Never larger than the whole window's count. */
	for (int64_t q = 59999; q < 130000; q += 777)
		assert_true(swin_peek_recent(&w, q, 0, 30000) <= swin_peek(&w, q, 0));
}

static void test_bounds(void **state)
{
	(void)state;
	struct swin w;
	swin_init(&w, 1, 99); /* clamped: width 20 ms, 16 slots */
	assert_int_equal(w.nslots, SWIN_SLOTS);
	assert_int_equal(w.bucket_ms, 1);
	swin_add(&w, 10, -1, 1);
	swin_add(&w, 10, SWIN_SLOTS, 1);
	assert_int_equal(swin_sum(&w, 10, -1), 0);
	assert_int_equal(swin_peek(&w, 10, SWIN_SLOTS), 0);
	swin_add(&w, -15, 0, 3); /* before 1970 */
	assert_int_equal(swin_sum(&w, -15, 0), 3);
	assert_int_equal(swin_sum(&w, 4, 0), 3);
	assert_int_equal(swin_sum(&w, 5, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slide),
		cmocka_unit_test(test_peek_matches_sum),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_peek_recent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
