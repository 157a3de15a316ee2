/*
 * test_sim_scenario.c: scenario files that must be refused, with the message
 * that names file, line, column and field: the cases are data
 * (tests/data/sim/bad_*, expectations in tests/data/sim/expect.tsv), and
 * every bad_* file must have an expectation. Good files (YAML and JSON) load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "sim/sim_scenario.h"
#include "tests/support/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIR VIGIL_TEST_DATA_DIR "/sim"

static void test_bad_files(void **state)
{
	(void)state;
	char *tsv = tu_read_file(DIR "/expect.tsv", NULL);
	assert_non_null(tsv);
	size_t nfiles;
	char **files = tu_list_dir(DIR, "", &nfiles);
	int checked = 0, failures = 0;
	for (size_t i = 0; i < nfiles; i++) {
		if (strncmp(files[i], "bad_", 4) != 0)
			continue;
		/* find "<file>\t<expected>\n" */
		char want[512] = "";
		for (char *line = tsv; line && *line;) {
			char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			char *tab = memchr(line, '\t', len);
			if (tab && (size_t)(tab - line) == strlen(files[i]) &&
			    strncmp(line, files[i], (size_t)(tab - line)) == 0)
				snprintf(want, sizeof(want), "%.*s",
				         (int)(len - (size_t)(tab - line) - 1), tab + 1);
			line = nl ? nl + 1 : NULL;
		}
		if (!want[0]) {
			fprintf(stderr, "FAIL %s: no expectation in expect.tsv\n", files[i]);
			failures++;
			continue;
		}
		struct sim_scenario *s = NULL;
		char *cause = NULL;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", DIR, files[i]);
		int rc = sim_scenario_load(path, &s, &cause);
		if (rc != VG_ECONFIG || s != NULL) {
			fprintf(stderr, "FAIL %s: rc %d, expected VG_ECONFIG\n", files[i], rc);
			failures++;
		} else if (!cause || !strstr(cause, want) ||
		           strcmp(cause + strlen(cause) - strlen(want), want) != 0) {
			fprintf(stderr, "FAIL %s:\n  expected ...%s\n  got       %s\n", files[i],
			        want, cause ? cause : "(null)");
			failures++;
		}
		free(cause);
		free(s);
		checked++;
	}
	tu_free_list(files, nfiles);
	free(tsv);
	assert_true(checked >= 15);
	assert_int_equal(failures, 0);
}

static void test_good_json(void **state)
{
	(void)state;
	struct sim_scenario *s = NULL;
	char *cause = NULL;
	assert_int_equal(sim_scenario_load(DIR "/good_minimal.json", &s, &cause), 0);
	assert_null(cause);
	assert_string_equal(s->name, "json-example");
	assert_int_equal(s->duration_ms, 600000);
	assert_int_equal(s->n_providers, 1);
	/* a model given as a plain string is its own version */
	assert_string_equal(s->providers[0].models[0].version, "gpt-4o-mini");
	assert_int_equal(s->n_phases, 1);
	assert_int_equal(s->phases[0].at_ms, 60000);
	assert_int_equal(s->phases[0].end_ms, 180000);
	assert_int_equal(s->phases[0].median_ms.n, 2);
	/* defaults: one template routing to every provider, truth on */
	assert_int_equal(s->traffic.n_templates, 1);
	assert_int_equal(s->traffic.templates[0].n_route, 1);
	assert_true(s->phases[0].truth);
	assert_string_equal(s->phases[0].category, "provider");
	assert_string_equal(s->phases[0].subtype, "latency");
	free(s);
}

static void test_from_text_and_names(void **state)
{
	(void)state;
	const char *y = "name: inline\nduration: 1h\nproviders:\n"
	                "  - {name: g, kind: google, models: [gemini-2.0-flash]}\n"
	                "phases:\n  - {name: w, fault: unavailable, at: 10m, until: 20m}\n";
	struct sim_scenario *s = NULL;
	char *cause = NULL;
	assert_int_equal(sim_scenario_parse(y, strlen(y), "inline.yaml", &s, &cause), 0);
	assert_int_equal(s->phases[0].provider, -1);
	assert_int_equal(s->phases[0].end_ms, 1200000);
	free(s);
	/* the phase ends with the scenario when "for" runs past it */
	const char *y2 = "name: x\nduration: 1h\nproviders:\n"
	                 "  - {name: g, kind: google, models: [m]}\n"
	                 "phases:\n  - {name: w, fault: unavailable, at: 50m, for: 2h}\n";
	assert_int_equal(sim_scenario_parse(y2, strlen(y2), "x.yaml", &s, &cause), 0);
	assert_int_equal(s->phases[0].end_ms, 3600000);
	free(s);
	/* names and files that are not there */
	assert_int_equal(sim_scenario_load("no-such-scenario", &s, &cause), VG_ENOTFOUND);
	assert_non_null(strstr(cause, "oncall-day"));
	free(cause);
	assert_int_equal(sim_scenario_load("/nonexistent/x.yaml", &s, &cause), VG_EIO);
	assert_non_null(strstr(cause, "/nonexistent/x.yaml"));
	free(cause);
	assert_null(s);
	/* every shipped scenario has its YAML in the binary */
	for (const char *const *n = sim_scenario_builtin_names(); *n; n++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "scenarios/%s.yaml", *n);
		size_t len = 0;
		assert_non_null(sim_scenario_builtin_file(rel, &len));
		assert_true(len > 100);
	}
	size_t len = 0;
	assert_non_null(sim_scenario_builtin_file("schemas/support_answer.v1.json", &len));
	assert_non_null(sim_scenario_builtin_file("schemas/kyc_summary.v1.json", &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_good_json),
		cmocka_unit_test(test_from_text_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
