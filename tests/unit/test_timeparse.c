/* test_timeparse.c: RFC 3339, HTTP dates, Go durations, hour of week. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/timeparse.h"
#include "core/vgerr.h"

#include <string.h>

static int64_t rfc(const char *s)
{
	int64_t ms = -42;
	int rc = timeparse_rfc3339(s, strlen(s), &ms);
	return rc == 0 ? ms : -42;
}

static void test_rfc3339(void **state)
{
	(void)state;
	assert_int_equal(rfc("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(rfc("2026-11-27T10:00:00.123Z"), 1795773600123LL);
	assert_int_equal(rfc("2026-11-27T10:00:00.1Z"), 1795773600100LL);
	assert_int_equal(rfc("2026-11-27T10:00:00.123456789Z"), 1795773600123LL);
	assert_int_equal(rfc("2026-11-27T12:00:00+02:00"), 1795773600000LL);
	assert_int_equal(rfc("2026-11-27t10:00:00z"), 1795773600000LL);
	assert_int_equal(rfc("2024-02-29T00:00:00Z"), 1709164800000LL);
	/* refused */
	assert_int_equal(rfc("2023-02-29T00:00:00Z"), -42);
	assert_int_equal(rfc("2026-11-27T10:00:00"), -42);
	assert_int_equal(rfc("2026-11-27 10:00"), -42);
	assert_int_equal(rfc("2026-13-01T00:00:00Z"), -42);
	assert_int_equal(rfc("2026-11-27T24:00:00Z"), -42);
	assert_int_equal(rfc("2026-11-27T10:00:00.Z"), -42);
	assert_int_equal(rfc("2026-11-27T10:00:00Zjunk"), -42);
	assert_int_equal(rfc(""), -42);
}

static void test_roundtrip(void **state)
{
	(void)state;
	char buf[32];
	static const int64_t t[] = { 0, 1795773600123LL, 951782400000LL, 253402300799999LL };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(timeparse_format_rfc3339(t[i], buf, sizeof(buf)), 24);
		assert_int_equal(rfc(buf), t[i]);
	}
	timeparse_format_rfc3339(1795773600123LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-27T10:00:00.123Z");
	assert_true(timeparse_format_rfc3339(0, buf, 10) < 0);
}

static int64_t http(const char *s)
{
	int64_t ms = -42;
	return timeparse_http_date(s, strlen(s), &ms) == 0 ? ms : -42;
}

static void test_http_date(void **state)
{
	(void)state;
	assert_int_equal(http("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777000LL);
	assert_int_equal(http("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777000LL);
	assert_int_equal(http("Sun Nov  6 08:49:37 1994"), 784111777000LL);
	assert_int_equal(http("Sun, 06 Nov 1994 08:49:37"), -42);
	assert_int_equal(http("06 Nov 1994"), -42);
	assert_int_equal(http("Sun, 31 Feb 1994 08:49:37 GMT"), -42);
}

static int64_t dur(const char *s)
{
	int64_t ms = -42;
	return timeparse_go_duration(s, strlen(s), &ms) == 0 ? ms : -42;
}

static void test_go_duration(void **state)
{
	(void)state;
	assert_int_equal(dur("12ms"), 12);
	assert_int_equal(dur("1s"), 1000);
	assert_int_equal(dur("6m0s"), 360000);
	assert_int_equal(dur("1h2m3.5s"), 3723500);
	assert_int_equal(dur("47s"), 47000);
	assert_int_equal(dur("0.5s"), 500);
	assert_int_equal(dur("1500us"), 2);
	assert_int_equal(dur("1500\xc2\xb5s"), 2);
	assert_int_equal(dur("2000000ns"), 2);
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("5m"), 300000);
	assert_int_equal(dur("-1s"), -1000);
	assert_int_equal(dur("12"), -42);
	assert_int_equal(dur("s"), -42);
	assert_int_equal(dur("1x"), -42);
	assert_int_equal(dur("1..2s"), -42);
	assert_int_equal(dur(""), -42);
}

static void test_hour_of_week(void **state)
{
	(void)state;
	/* 2026-11-23 was a Monday. */
	assert_int_equal(timeparse_hour_of_week(rfc("2026-11-23T00:00:00Z")), 0);
	assert_int_equal(timeparse_hour_of_week(rfc("2026-11-23T13:30:00Z")), 13);
	assert_int_equal(timeparse_hour_of_week(rfc("2026-11-29T23:59:59Z")), 167);
	assert_int_equal(timeparse_hour_of_week(0), 72);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),      cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_http_date),    cmocka_unit_test(test_go_duration),
		cmocka_unit_test(test_hour_of_week),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
