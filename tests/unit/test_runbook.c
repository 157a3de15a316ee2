/*
 * test_runbook.c: core/runbook cuts the right part of a runbook: a "##"
 * section, a bold list item, the introduction, and nothing for an unknown key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/event.h"
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

/* The embedded runbooks: every category's runbook is there, found by each
 * of its names, and carries a title. */
static void test_embedded(void **state)
{
	(void)state;
	const struct runbook_doc *p = runbook_find("provider");
	assert_non_null(p);
	assert_ptr_equal(runbook_find("provider.md"), p);
	assert_ptr_equal(runbook_find("docs/runbooks/provider.md"), p);
	assert_null(runbook_find("provide"));
	assert_null(runbook_find("providers"));
	assert_null(runbook_find(""));
	assert_null(runbook_find(NULL));
	assert_int_equal(p->len, strlen(p->data));
	char t[64];
	assert_int_equal(runbook_title(p, t, sizeof(t)), strlen("Runbook: PROVIDER failures"));
	assert_string_equal(t, "Runbook: PROVIDER failures");
	assert_int_equal(runbook_title(p, t, 8), 7);
	assert_string_equal(t, "Runbook");
	/* Every path event_runbook() hands out is embedded, with its title. */
	for (int c = 0; c <= CAT__COUNT; c++) {
		const char *path = event_runbook((enum category)c, SUB_DNS);
		const struct runbook_doc *d = runbook_find(path);
		if (!d)
			fail_msg("%s is not embedded", path);
		assert_true(runbook_title(d, t, sizeof(t)) > 0);
		assert_non_null(strstr(t, "Runbook"));
	}
	/* Sorted by name, NULL-terminated. */
	size_t n = 0;
	for (const struct runbook_doc *d = runbook_docs; d->name; d++, n++)
		if (d != runbook_docs)
			assert_true(strcmp(d[-1].name, d->name) < 0);
	assert_true(n >= 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heading),
		cmocka_unit_test(test_item),
		cmocka_unit_test(test_intro_and_limits),
		cmocka_unit_test(test_embedded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
