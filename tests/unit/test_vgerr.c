/*
 * test_vgerr.c: the error enum's descriptions and the cause formatter
 * (core/vgerr): the code comes back, the text is formatted whole (no cap on
 * its length), and a NULL cause formats nothing.
 */
#include "core/vgerr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(vg_strerror(VG_OK), "success");
	assert_string_equal(vg_strerror(VG_EVERSION), "unsupported schema version");
	assert_string_equal(vg_strerror(-999), "unknown error");
}

static void test_cause(void **state)
{
	(void)state;
	char *cause = NULL;
	assert_int_equal(vg_cause(&cause, VG_EIO, "%s: %s (%d)", "a.db", "gone", 2), VG_EIO);
	assert_non_null(cause);
	assert_string_equal(cause, "a.db: gone (2)");
	free(cause);
	/* no cause wanted: the code only */
	assert_int_equal(vg_cause(NULL, VG_ECONFIG, "%s", "unused"), VG_ECONFIG);
	/* 0 is a code like any other */
	cause = NULL;
	assert_int_equal(vg_cause(&cause, 0, "note"), 0);
	assert_string_equal(cause, "note");
	free(cause);
}

static void test_cause_long(void **state)
{
	(void)state;
	size_t n = 5000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	char *cause = NULL;
	assert_int_equal(vg_cause(&cause, VG_EPARSE, "[%s]", big), VG_EPARSE);
	assert_non_null(cause);
	assert_int_equal(strlen(cause), n + 2);
	assert_int_equal(cause[0], '[');
	assert_int_equal(cause[n + 1], ']');
	free(cause);
	free(big);
}

static int vformat(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vformat(char **cause, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vg_vcause(cause, VG_EINVAL, fmt, ap);
	va_end(ap);
	return rc;
}

static void test_vcause(void **state)
{
	(void)state;
	char *cause = NULL;
	assert_int_equal(vformat(&cause, "key %s: %lld", "a.b", 12LL), VG_EINVAL);
	assert_string_equal(cause, "key a.b: 12");
	free(cause);
	assert_int_equal(vformat(NULL, "ignored %d", 1), VG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_cause),
		cmocka_unit_test(test_cause_long),
		cmocka_unit_test(test_vcause),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
