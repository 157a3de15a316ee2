/*
 * test_triage_weeks.c: the triage wizard on the incidents of
 * baseline-weeks, four weeks of traffic whose anomalies only warm baselines
 * see (tests/support/triagewalk.h; soak: generating and ingesting four
 * weeks takes a minute): accepting every suggestion ends at each
 * incident's category and subtype.
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
	triagewalk_check(2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_incident_ends_at_its_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
