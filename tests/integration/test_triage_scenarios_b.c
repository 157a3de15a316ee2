/*
 * test_triage_scenarios_b.c: the triage wizard on the incidents of oncall-day, openai-dec-2024, google-jun-2025, anthropic-529-waves
 * (tests/support/triagewalk.h; split in two to keep each short under ASan):
 * accepting every suggestion ends at each incident's category and subtype.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/triagewalk.h"

static void test_every_incident_ends_at_its_label(void **state)
{
	(void)state;
	triagewalk_check(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_incident_ends_at_its_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
