/*
 * test_breaker.c: the circuit breaker state machine: consecutive failures,
 * failure rate with its minimum request count, cooldown, half-open success
 * and failure, oscillation counting and its window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/breaker.h"

#include <string.h>

static struct breaker_settings cfg(void)
{
	struct breaker_settings b = {
		.consecutive_failures = 3,
		.failure_rate = 0.5,
		.window_ms = 60000,
		.min_requests = 10,
		.cooldown_ms = 5000,
		.halfopen_successes = 2,
		.oscillation_opens = 3,
		.oscillation_window_ms = 60000,
	};
	return b;
}

static void test_consecutive(void **state)
{
	(void)state;
	struct breaker_settings c = cfg();
	struct breaker b;
	struct breaker_transition t[2];
	breaker_init(&b, &c, 0);
	assert_int_equal(breaker_record(&b, 1, true, "server_error 500", t), 0);
	assert_int_equal(breaker_record(&b, 2, true, "server_error 500", t), 0);
	assert_int_equal(breaker_record(&b, 3, false, NULL, t), 0); /* success resets */
	assert_int_equal(breaker_record(&b, 4, true, "timeout", t), 0);
	assert_int_equal(breaker_record(&b, 5, true, "timeout", t), 0);
	assert_int_equal(breaker_record(&b, 6, true, "timeout", t), 1);
	assert_int_equal(t[0].from, BRK_CLOSED);
	assert_int_equal(t[0].to, BRK_OPEN);
	assert_int_equal(t[0].time_ms, 6);
	assert_string_equal(t[0].reason, "3 consecutive hard failures (timeout)");
	assert_int_equal(t[0].opens_in_window, 1);
	assert_false(t[0].oscillating);
	assert_int_equal(b.state, BRK_OPEN);
	/* Requests while open change nothing. */
	assert_int_equal(breaker_record(&b, 100, false, NULL, t), 0);
	assert_int_equal(breaker_record(&b, 101, true, NULL, t), 0);
	assert_int_equal(b.state, BRK_OPEN);
}

static void test_rate(void **state)
{
	(void)state;
	struct breaker_settings c = cfg();
	c.consecutive_failures = 100;
	struct breaker b;
	struct breaker_transition t[2];
	breaker_init(&b, &c, 0);
	int64_t now = 0;
	/* Alternate fail/ok: 50% but under min_requests until the 10th. */
	for (int i = 0; i < 9; i++)
		assert_int_equal(breaker_record(&b, now += 100, i % 2 == 0, "overloaded 529", t),
		                 0);
	assert_int_equal(breaker_record(&b, now += 100, false, NULL, t), 0); /* 5/10 ok */
	assert_int_equal(breaker_record(&b, now += 100, true, "overloaded 529", t), 1);
	assert_int_equal(t[0].to, BRK_OPEN);
	assert_non_null(strstr(t[0].reason, "failure rate 55%"));
	assert_non_null(strstr(t[0].reason, "11 requests"));

	/* Under the rate: 1 in 4 never opens; old failures slide out. */
	breaker_init(&b, &c, 0);
	now = 0;
	for (int i = 0; i < 200; i++)
		assert_int_equal(breaker_record(&b, now += 1000, i % 4 == 0, "x", t), 0);
	assert_int_equal(b.state, BRK_CLOSED);
}

static void test_half_open(void **state)
{
	(void)state;
	struct breaker_settings c = cfg();
	struct breaker b;
	struct breaker_transition t[2];
	breaker_init(&b, &c, 0);
	for (int i = 1; i <= 3; i++)
		breaker_record(&b, i, true, NULL, t);
	assert_int_equal(b.state, BRK_OPEN);
	assert_int_equal(breaker_poll(&b, 3 + 4999, t), 0);
	assert_int_equal(breaker_poll(&b, 3 + 5000, t), 1);
	assert_int_equal(t[0].from, BRK_OPEN);
	assert_int_equal(t[0].to, BRK_HALF_OPEN);
	assert_string_equal(t[0].reason, "cooldown of 5000 ms elapsed");
	/* A failure while half-open opens it again. */
	assert_int_equal(breaker_record(&b, 6000, true, "reset", t), 1);
	assert_int_equal(t[0].to, BRK_OPEN);
	assert_string_equal(t[0].reason, "reset while half-open");
	/* The same outage going on: not another open towards oscillation. */
	assert_int_equal(t[0].opens_in_window, 1);
	assert_false(t[0].oscillating);
	assert_int_equal(b.total_opens, 2);
	/* A record after the cooldown polls first: two transitions in one call. */
	assert_int_equal(breaker_record(&b, 11000, false, NULL, t), 1);
	assert_int_equal(t[0].to, BRK_HALF_OPEN);
	assert_int_equal(breaker_record(&b, 11001, false, NULL, t), 1);
	assert_int_equal(t[0].from, BRK_HALF_OPEN);
	assert_int_equal(t[0].to, BRK_CLOSED);
	assert_string_equal(t[0].reason, "2 successes while half-open");
	/* Open again, then both transitions in one record. */
	for (int i = 1; i <= 3; i++)
		breaker_record(&b, 12000 + i, true, NULL, t);
	assert_int_equal(b.state, BRK_OPEN);
	assert_int_equal(breaker_record(&b, 20000, true, "tls", t), 2);
	assert_int_equal(t[0].to, BRK_HALF_OPEN);
	assert_int_equal(t[1].to, BRK_OPEN);
	assert_int_equal(t[1].opens_in_window, 2); /* two opens from closed */
	assert_false(t[1].oscillating);
	/* A third recovery and failure within the window: oscillating. */
	assert_int_equal(breaker_record(&b, 25001, false, NULL, t), 1);
	assert_int_equal(t[0].to, BRK_HALF_OPEN);
	breaker_record(&b, 25002, false, NULL, t);
	breaker_record(&b, 25003, false, NULL, t);
	assert_int_equal(b.state, BRK_CLOSED);
	for (int i = 1; i <= 3; i++)
		breaker_record(&b, 26000 + i, true, NULL, t);
	assert_int_equal(b.state, BRK_OPEN);
	assert_int_equal(t[0].from, BRK_CLOSED);
	assert_int_equal(t[0].opens_in_window, 3);
	assert_true(t[0].oscillating);      /* 3 recoveries and failures within 60 s */
	assert_int_equal(b.total_opens, 5); /* every open, re-opens included */
}

/* A steady outage: the breaker re-opens after every failed probe, for ten
 * minutes. That is one outage, never oscillation. */
static void test_steady_outage_not_oscillating(void **state)
{
	(void)state;
	struct breaker_settings c = cfg();
	c.consecutive_failures = 1;
	c.cooldown_ms = 1000;
	struct breaker b;
	struct breaker_transition t[2];
	breaker_init(&b, &c, 0);
	int osc = 0, opens = 0;
	for (int64_t now = 1; now < 600000; now += 500) {
		int n = breaker_record(&b, now, true, NULL, t);
		for (int i = 0; i < n; i++) {
			osc += t[i].oscillating;
			opens += t[i].to == BRK_OPEN;
		}
	}
	assert_true(opens > 100);
	assert_int_equal(osc, 0);
	assert_int_equal(breaker_opens_in_window(&b, 600000), 0); /* the first open is old */
}

static void test_oscillation_window(void **state)
{
	(void)state;
	struct breaker_settings c = cfg();
	c.consecutive_failures = 1;
	c.halfopen_successes = 1;
	c.cooldown_ms = 1000;
	struct breaker b;
	struct breaker_transition t[2];
	breaker_init(&b, &c, 0);
	int64_t now = 0;
	int osc = 0, max_in_window = 0;
	/* An open every 35 s: at most two fit in the 60 s window, never oscillating. */
	for (int i = 0; i < 6; i++) {
		now += 35000;
		breaker_record(&b, now, false, NULL, t);     /* half-open (cooldown passed) */
		breaker_record(&b, now + 1, false, NULL, t); /* closed */
		assert_int_equal(breaker_record(&b, now + 2, true, NULL, t), 1);
		assert_int_equal(t[0].to, BRK_OPEN);
		osc += t[0].oscillating;
		if (t[0].opens_in_window > max_in_window)
			max_in_window = t[0].opens_in_window;
	}
	assert_int_equal(osc, 0);
	assert_int_equal(max_in_window, 2);
	/* An open every 20 s: each has two more opens within 60 s before it (the
	 * first also counts the last slow open, 55 s before), so all oscillate. */
	for (int i = 0; i < 4; i++) {
		now += 20000;
		breaker_record(&b, now, false, NULL, t);
		breaker_record(&b, now + 1, false, NULL, t);
		breaker_record(&b, now + 2, true, NULL, t);
		osc += t[0].oscillating;
	}
	assert_int_equal(osc, 4);
	assert_int_equal(breaker_opens_in_window(&b, now + 2), 4);
	/* Far later, nothing is in the window. */
	assert_int_equal(breaker_opens_in_window(&b, now + 2 + 60001), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consecutive),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_half_open),
		cmocka_unit_test(test_oscillation_window),
		cmocka_unit_test(test_steady_outage_not_oscillating),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
