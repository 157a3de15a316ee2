/*
 * test_report.c: the headless demo's summary line and incident table, from
 * a snapshot file: the counts come from the snapshot, the table has one
 * row per incident with whitespace-separated columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tui/report.h"
#include "tui/snapshot_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_summary(void **state)
{
	(void)state;
	struct snapshot *s = snapshot_new();
	char *cause = NULL;
	assert_int_equal(snapshot_load_file(s, VIGIL_TEST_DATA_DIR "/tui/outage.json", &cause), 0);
	char line[512];
	report_summary_line(s, 42500, line, sizeof(line));
	assert_non_null(strstr(line, "t+42s "));
	assert_non_null(strstr(line, "requests 2.4k/5m"));
	assert_non_null(strstr(line, "breakers-open 2/3"));
	assert_non_null(
	        strstr(line, "incidents-open 4 (critical 1 high 2 medium 1 low 0 monitor 0)"));
	assert_non_null(strstr(line, "events-5m provider 15 quality 5 cost 2 security 1 data 2"));
	snapshot_free(s);
}

static void test_table(void **state)
{
	(void)state;
	struct snapshot *s = snapshot_new();
	char *cause = NULL;
	assert_int_equal(snapshot_load_file(s, VIGIL_TEST_DATA_DIR "/tui/outage.json", &cause), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_incidents_table(s, f), 5);
	fclose(f);
	/* Header plus five rows; the acknowledged one names who. */
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 6);
	assert_non_null(strstr(buf, "ID    SEVERITY CATEGORY"));
	char id[8], sev[16], cat[16], sub[32], prov[16], first[16], last[16], st[16], by[16];
	long long count;
	const char *row = strstr(buf, "\n14 ");
	assert_non_null(row);
	assert_int_equal(sscanf(row + 1, "%7s %15s %15s %31s %15s %lld %15s %15s %15s %15s", id,
	                        sev, cat, sub, prov, &count, first, last, st, by),
	                 10);
	assert_string_equal(sev, "high");
	assert_string_equal(sub, "retry_storm");
	assert_int_equal(count, 58);
	assert_string_equal(first, "10:02:00");
	assert_string_equal(st, "acknowledged");
	assert_string_equal(by, "alice");
	free(buf);
	snapshot_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
