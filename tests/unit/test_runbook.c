/*
 * test_runbook.c: core/runbook cuts the right part of a runbook: a "##"
 * section, a bold list item, the introduction, and nothing for an unknown key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/runbook.h"
#include "core/vgerr.h"

#include <string.h>

static const char md[] = "# Runbook: X failures\n"
                         "\n"
                         "Intro line one.\n"
                         "Intro line two.\n"
                         "\n"
                         "## Hard failures (dns, tls)\n"
                         "1. Check the breaker.\n"
                         "2. Fail over.\n"
                         "\n"
                         "### detail\n"
                         "deeper\n"
                         "## oscillation\n"
                         "Keep traffic away.\n"
                         "\n"
                         "1. **token_inflation**: input over\n"
                         "   the prediction.\n"
                         "2. **retry_storm**: retries.\n";

static void test_heading(void **state)
{
	(void)state;
	char out[256];
	int n = runbook_section(md, strlen(md), "hard failures", out, sizeof(out));
	assert_true(n > 0);
	assert_string_equal(out, "1. Check the breaker.\n2. Fail over.\n\n### detail\ndeeper");
	n = runbook_section(md, strlen(md), "oscillation", out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(strstr(out, "Keep traffic away."));
}

static void test_item(void **state)
{
	(void)state;
	char out[256];
	int n = runbook_section(md, strlen(md), "token_inflation", out, sizeof(out));
	assert_int_equal(n, (int)strlen(out));
	assert_string_equal(out, "1. token_inflation: input over\n   the prediction.");
	assert_int_equal(runbook_section(md, strlen(md), "retry", out, sizeof(out)), VG_ENOTFOUND);
	assert_string_equal(out, "");
}

static void test_intro_and_limits(void **state)
{
	(void)state;
	char out[256];
	assert_true(runbook_section(md, strlen(md), NULL, out, sizeof(out)) > 0);
	assert_string_equal(out, "Intro line one.\nIntro line two.");
	char small[8];
	assert_int_equal(runbook_section(md, strlen(md), "", small, sizeof(small)), 7);
	assert_string_equal(small, "Intro l");
	assert_int_equal(runbook_section(NULL, 0, "x", out, sizeof(out)), VG_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heading),
		cmocka_unit_test(test_item),
		cmocka_unit_test(test_intro_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
