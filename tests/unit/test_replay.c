/*
 * test_replay.c: the replay engine and expectation files in memory: an
 * outage fed on its own clock gives events, one incident, a page and a
 * payload; the report is the same bytes for the same input; time to detect
 * from a truth file (first event, first failed request, first page); the
 * expectation checker passes, fails with a diff naming the incident, and
 * refuses malformed files with the field at fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/replay.h"
#include "app/replay_expect.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int64_t T0 = 1795773600000LL; /* 2026-11-27T10:00:00Z */

static struct observation obs_at(const char *provider, int64_t t, int status)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = t;
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), provider, (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), "m-1", (size_t)-1);
	model_copy_str(o.template_id, sizeof(o.template_id), "support", (size_t)-1);
	snprintf(o.request_id, sizeof(o.request_id), "r-%s-%lld", provider, (long long)t);
	o.http_status = status;
	o.norm.error_class = status >= 500 ? EC_SERVER_ERROR : EC_OK;
	o.total_ms = 200;
	o.traffic_class = TC_REVENUE;
	return o;
}

/* Ten minutes of traffic at 10 req/s on one provider; from 2m all of it
 * fails with 500 (no fallback anywhere). */
static struct replay *run_outage(bool keep, const char *truth)
{
	struct replay_options o = { .keep_events = keep };
	struct replay *r = NULL;
	char *cause = NULL;
	assert_int_equal(replay_new(&o, &r, &cause), 0);
	assert_null(cause);
	if (truth) {
		assert_int_equal(replay_load_truth(r, truth, &cause), 0);
		assert_null(cause);
	}
	for (int64_t t = T0; t < T0 + 10 * 60 * 1000; t += 100) {
		bool bad = t >= T0 + 2 * 60 * 1000;
		struct observation ob = obs_at("openai", t, bad ? 500 : 200);
		replay_count_line(r);
		assert_int_equal(replay_feed(r, &ob), 0);
	}
	assert_int_equal(replay_finish(r), 0);
	return r;
}

static char *report_text(struct replay *r)
{
	json_t *j = replay_report(r);
	assert_non_null(j);
	char *s = json_dumps(j, JSON_INDENT(1));
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void test_outage_report(void **state)
{
	(void)state;
	struct replay *r = run_outage(true, NULL);
	assert_int_equal(replay_observations(r), 6000);
	assert_true(replay_events(r) >= 4000);
	json_t *j = replay_report(r);
	json_t *incs = json_object_get(j, "incidents");
	assert_int_equal(json_array_size(incs), 1); /* no oscillation in a steady outage */
	json_t *inc = json_array_get(incs, 0);
	assert_string_equal(json_string_value(json_object_get(inc, "category")), "provider");
	assert_string_equal(json_string_value(json_object_get(inc, "provider")), "openai");
	assert_string_equal(json_string_value(json_object_get(inc, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(inc, "first")),
	                    "2026-11-27T10:02:00.200Z");
	assert_true(json_is_string(json_object_get(inc, "paged")));
	assert_true(json_array_size(json_object_get(inc, "timeline")) >= 1);
	/* The payloads the default sinks would have been sent. */
	json_t *pl = json_object_get(j, "payloads");
	bool pd = false;
	size_t i;
	json_t *p;
	json_array_foreach (pl, i, p) {
		if (strcmp(json_string_value(json_object_get(p, "kind")), "pagerduty") == 0 &&
		    strcmp(json_string_value(json_object_get(p, "op")), "trigger") == 0) {
			pd = true;
			json_t *sum = json_object_get(
			        json_object_get(json_object_get(p, "payload"), "payload"),
			        "summary");
			assert_true(json_is_string(sum));
		}
	}
	assert_true(pd);
	json_decref(j);
	replay_free(r);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct replay *a = run_outage(true, NULL), *b = run_outage(true, NULL);
	char *sa = report_text(a), *sb = report_text(b);
	assert_string_equal(sa, sb);
	free(sa);
	free(sb);
	replay_free(a);
	replay_free(b);
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/test_replay_XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

static const char truth_text[] =
        "{\"scenario\":\"t\",\"start_ms\":1795773600000,\"faults\":["
        "{\"name\":\"outage\",\"category\":\"provider\",\"subtype\":\"server_error\","
        "\"provider\":\"openai\",\"onset_ms\":120000,\"end_ms\":600000,"
        "\"detectable_ms\":120000,\"related\":[{\"category\":\"provider\","
        "\"subtype\":\"overloaded\"}]},"
        "{\"name\":\"other\",\"category\":\"quality\",\"subtype\":\"hallucination\","
        "\"provider\":\"openai\",\"onset_ms\":0,\"end_ms\":600000,\"related\":[]}]}";

static json_t *fault_named(json_t *rep, const char *name)
{
	size_t i;
	json_t *f;
	json_array_foreach (json_object_get(json_object_get(rep, "truth"), "faults"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
			return f;
	}
	fail_msg("no fault %s", name);
	return NULL;
}

static void test_time_to_detect(void **state)
{
	(void)state;
	char *truth = write_temp(truth_text);
	struct replay *r = run_outage(true, truth);
	json_t *rep = replay_report(r);
	json_t *f = fault_named(rep, "outage");
	/* The first 500 starts at 2m and ends 200 ms later: a hard failure is
	 * an event at once, so detection is the request's own duration. */
	assert_int_equal(json_integer_value(json_object_get(f, "detect_ms")), 200);
	assert_int_equal(json_integer_value(json_object_get(f, "detect_own_ms")), 200);
	assert_int_equal(json_integer_value(json_object_get(f, "detect_symptom_ms")), 0);
	assert_true(json_is_integer(json_object_get(f, "page_ms")));
	assert_true(json_is_false(json_object_get(f, "already_paged")));
	assert_string_equal(json_string_value(json_object_get(f, "first_event_kind")),
	                    "provider/server_error");
	/* A fault nothing detects. */
	json_t *g = fault_named(rep, "other");
	assert_true(json_is_null(json_object_get(g, "detect_ms")));
	assert_true(json_is_null(json_object_get(g, "page_ms")));
	json_decref(rep);
	replay_free(r);

	/* A bad truth file names itself. */
	char *bad = write_temp("{\"faults\": 3}");
	struct replay_options o = { .keep_events = true };
	char *cause = NULL;
	assert_int_equal(replay_new(&o, &r, &cause), 0);
	assert_int_equal(replay_load_truth(r, bad, &cause), VG_EPARSE);
	assert_non_null(cause);
	assert_non_null(strstr(cause, bad));
	free(cause);
	replay_free(r);
	unlink(bad);
	free(bad);
	unlink(truth);
	free(truth);
}

static int on_event_count(void *data, const struct failure_event *ev)
{
	(void)ev;
	(*(int *)data)++;
	return 0;
}

static void test_event_callback_and_skip(void **state)
{
	(void)state;
	int n = 0;
	struct replay_options o = { .on_event = on_event_count, .data = &n };
	struct replay *r = NULL;
	assert_int_equal(replay_new(&o, &r, NULL), 0);
	struct observation ob = obs_at("openai", T0, 500);
	assert_int_equal(replay_feed(r, &ob), 0);
	ob.pid.provider[0] = '\0';
	assert_int_equal(replay_feed(r, &ob), 0); /* skipped, not an error */
	assert_int_equal(replay_observations(r), 1);
	assert_int_equal(n, 1);
	assert_int_equal((int)replay_events(r), 1);
	replay_free(r);
}

/* ---- expectations -------------------------------------------------------- */

static struct replay_expect *expect_from(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	assert_non_null(j);
	struct replay_expect *e = NULL;
	char *cause = NULL;
	int rc = replay_expect_parse(j, "t.json", &e, &cause);
	if (rc != 0)
		fail_msg("%s", cause ? cause : "?");
	json_decref(j);
	return e;
}

static void expect_refused(const char *text, const char *needle)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	struct replay_expect *e = NULL;
	char *cause = NULL;
	assert_int_equal(replay_expect_parse(j, "t.json", &e, &cause), VG_EINVAL);
	assert_null(e);
	assert_non_null(cause);
	if (!strstr(cause, needle))
		fail_msg("'%s' does not name '%s'", cause, needle);
	free(cause);
	json_decref(j);
}

static void test_expect_refuses(void **state)
{
	(void)state;
	expect_refused("[]", "not a JSON object");
	expect_refused("{\"surprise\": 1}", "unknown key 'surprise'");
	expect_refused("{\"incidents\": [{\"name\": \"a\", \"category\": \"nope\"}]}",
	               "incidents[0].category");
	expect_refused("{\"incidents\": [{\"category\": \"provider\"}]}", "incidents[0].name");
	expect_refused("{\"incidents\": [{\"name\": \"a\", \"category\": \"cost\", "
	               "\"subtype\": \"latency\"}]}",
	               "not a subtype of cost");
	expect_refused("{\"incidents\": [{\"name\": \"a\", \"category\": \"cost\", "
	               "\"severity\": \"urgent\"}]}",
	               "incidents[0]");
	expect_refused("{\"incidents\": [{\"name\": \"a\", \"category\": \"cost\", "
	               "\"related_to\": [\"b\"]}]}",
	               "related_to[0]");
	expect_refused("{\"forbidden\": [{\"first_before\": \"noon\"}]}",
	               "forbidden[0].first_before");
	expect_refused("{\"detect\": [{\"max_s\": 3}]}", "detect[0].fault");
	expect_refused("{\"payloads\": [{\"incident\": \"x\", \"kind\": \"pagerduty\", "
	               "\"fields\": []}]}",
	               "payloads[0].incident");
	expect_refused("{\"baselines\": {\"reviewz\": 1}}", "unknown key 'reviewz'");
	expect_refused("{\"baselines\": {\"reviews\": \"some\"}}", "baselines.reviews");
}

/* A report as replay_report() writes it, by hand. */
static const char report_json[] =
        "{\"incidents\": ["
        " {\"id\": 1, \"category\": \"provider\", \"subtype\": \"server_error\","
        "  \"subtypes\": [\"server_error\", \"overloaded\"], \"provider\": \"openai\","
        "  \"severity\": \"high\", \"count\": 120, \"first\": \"2026-11-27T10:08:00.500Z\","
        "  \"paged\": \"2026-11-27T10:08:30.000Z\", \"related\": [2], \"templates\": []},"
        " {\"id\": 2, \"category\": \"cost\", \"subtype\": \"token_inflation\","
        "  \"subtypes\": [\"token_inflation\"], \"provider\": \"openai\","
        "  \"severity\": \"medium\", \"count\": 7, \"first\": \"2026-11-27T10:09:00.000Z\","
        "  \"paged\": null, \"related\": [1], \"templates\": [\"support\"]}],"
        " \"payloads\": [{\"incident\": 1, \"kind\": \"pagerduty\", \"op\": \"trigger\","
        "  \"payload\": {\"dedup_key\": \"k\", \"payload\": {\"summary\": \"s\","
        "  \"custom_details\": {\"count\": 3}}, \"links\": [{\"href\": \"h\"}]}}],"
        " \"breakers\": {\"oscillating\": [{\"breaker\": \"openai/m-1\"}]},"
        " \"baselines\": {\"refreshes\": 4, \"reviews\": 2, \"series\": 6},"
        " \"truth\": {\"faults\": [{\"name\": \"f\", \"detect_ms\": 1500,"
        "  \"detect_own_ms\": 1500, \"page_ms\": 30000, \"detect_symptom_ms\": 900,"
        "  \"kinds\": [{\"category\": \"provider\", \"subtype\": \"server_error\","
        "  \"detect_ms\": 1500}]}]}}";

static int check(const char *expect, char **diff)
{
	struct replay_expect *e = expect_from(expect);
	json_t *rep = json_loads(report_json, 0, NULL);
	assert_non_null(rep);
	int n = replay_expect_check(e, rep, diff);
	json_decref(rep);
	replay_expect_free(e);
	return n;
}

static void test_expect_pass(void **state)
{
	(void)state;
	char *diff = NULL;
	int n = check(
	        "{\"incidents\": ["
	        " {\"name\": \"outage\", \"category\": \"provider\", \"subtype\": \"overloaded\","
	        "  \"provider\": \"openai\", \"severity\": \"high\", \"paged\": true,"
	        "  \"count\": {\"min\": 100, \"max\": 200}, \"incidents\": 1,"
	        "  \"related_to\": [\"cost\"], \"first_after\": \"2026-11-27T10:08:00Z\"},"
	        " {\"name\": \"cost\", \"category\": \"cost\", \"template\": \"support\","
	        "  \"severity\": {\"min\": \"low\", \"max\": \"high\"}, \"paged\": false}],"
	        " \"forbidden\": [{\"category\": \"quality\"}, {\"severity\": \"critical\"},"
	        "  {\"first_before\": \"2026-11-27T10:08:00Z\"}],"
	        " \"payloads\": [{\"incident\": \"outage\", \"kind\": \"pagerduty\","
	        "  \"op\": \"trigger\", \"fields\": [\"dedup_key\", \"payload.summary\","
	        "  \"payload.custom_details.count\", \"links.0.href\"]}],"
	        " \"detect\": [{\"fault\": \"f\", \"max_s\": 2, \"max_own_s\": 2,"
	        "  \"max_page_s\": 30, \"max_symptom_s\": 1,"
	        "  \"kinds\": [{\"category\": \"provider\", \"max_s\": 2}]}],"
	        " \"oscillation\": [\"openai\"],"
	        " \"baselines\": {\"refreshes\": {\"min\": 4, \"max\": 5}, \"reviews\": 2}}",
	        &diff);
	if (n != 0)
		fail_msg("%s", diff);
	assert_string_equal(diff, "");
	free(diff);
}

static void expect_fails(const char *expect, const char *needle)
{
	char *diff = NULL;
	int n = check(expect, &diff);
	assert_true(n > 0);
	if (!strstr(diff, needle))
		fail_msg("diff '%s' lacks '%s'", diff, needle);
	free(diff);
}

static void test_expect_fail_diffs(void **state)
{
	(void)state;
	expect_fails("{\"incidents\": [{\"name\": \"outage\", \"category\": \"provider\","
	             " \"provider\": \"openai\", \"severity\": {\"max\": \"medium\"}}]}",
	             "incident 'outage' (provider/* openai): peak severity high (#1), expected "
	             "low..medium");
	expect_fails("{\"incidents\": [{\"name\": \"gone\", \"category\": \"security\"}]}",
	             "incident 'gone' (security/*): missing");
	expect_fails("{\"incidents\": [{\"name\": \"c\", \"category\": \"cost\","
	             " \"count\": {\"min\": 10}}]}",
	             "incident 'c' (cost/*): 7 events (#2), expected 10..");
	expect_fails(
	        "{\"incidents\": [{\"name\": \"c\", \"category\": \"cost\", \"paged\": true}]}",
	        "incident 'c' (cost/*): never paged (#2), expected a page");
	expect_fails("{\"incidents\": [{\"name\": \"o\", \"category\": \"provider\"},"
	             " {\"name\": \"q\", \"category\": \"provider\", \"subtype\": \"rate_limit\","
	             "  \"related_to\": [\"o\"]}]}",
	             "incident 'q' (provider/rate_limit): missing");
	expect_fails("{\"forbidden\": [{\"name\": \"no cost\", \"category\": \"cost\"}]}",
	             "forbidden 'no cost' (cost/*): incident #2 cost/token_inflation openai");
	expect_fails("{\"forbidden\": [{\"name\": \"hi\", \"severity\": \"high\"}]}",
	             "incident #1 provider/server_error openai peaked high");
	expect_fails("{\"incidents\": [{\"name\": \"o\", \"category\": \"provider\"}],"
	             " \"payloads\": [{\"incident\": \"o\", \"kind\": \"pagerduty\","
	             " \"fields\": [\"payload.nothing\"]}]}",
	             "field 'payload.nothing' missing");
	expect_fails("{\"incidents\": [{\"name\": \"c\", \"category\": \"cost\"}],"
	             " \"payloads\": [{\"incident\": \"c\", \"kind\": \"jira\", \"fields\": []}]}",
	             "payload jira of incident 'c': none was built");
	expect_fails("{\"detect\": [{\"fault\": \"f\", \"max_s\": 1}]}",
	             "detect 'f': first event after 1.5 s, allowed 1.0 s");
	expect_fails("{\"detect\": [{\"fault\": \"f\", \"max_page_s\": 10}]}",
	             "detect 'f': first page after 30.0 s");
	expect_fails("{\"detect\": [{\"fault\": \"nope\", \"max_s\": 10}]}",
	             "detect 'nope': no such fault");
	expect_fails("{\"oscillation\": [\"anthropic\"]}", "oscillation 'anthropic'");
	expect_fails("{\"baselines\": {\"reviews\": {\"min\": 3}}}",
	             "baselines: 2 reviews, expected at least 3");
	expect_fails("{\"baselines\": {\"refreshes\": {\"min\": 1, \"max\": 3}}}",
	             "baselines: 4 refreshes, expected 1 to 3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outage_report),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_time_to_detect),
		cmocka_unit_test(test_event_callback_and_skip),
		cmocka_unit_test(test_expect_refuses),
		cmocka_unit_test(test_expect_pass),
		cmocka_unit_test(test_expect_fail_diffs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
