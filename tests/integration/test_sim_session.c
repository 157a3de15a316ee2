/*
 * test_sim_session.c: the whole simulator in one call (sim_session, what
 * `vigil demo` starts): the provider server and the live gateway writer
 * tell one story on one clock (a request during oncall-day's OpenAI outage
 * gets the 503 the gateway lines show, and the truth file's onsets sit on
 * that clock); the live file is byte-identical to a virtual generation with
 * the same clock; looping starts new laps with fresh request ids; the side
 * files (port, vigil.yaml providers) name the server; bad options fail with
 * a cause and leave the loop clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "sim/sim.h"
#include "tests/support/testutil.h"
#include "tests/support/tu_http.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MINUTE 60000LL

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static json_t *get(json_t *o, const char *a, const char *b)
{
	json_t *x = json_object_get(o, a);
	return b ? json_object_get(x, b) : x;
}

static const char *gs(json_t *o, const char *a, const char *b)
{
	return json_string_value(get(o, a, b));
}

/* Every complete line of a file, parsed (NULL entries for bad JSON). */
struct jlines {
	json_t **v;
	size_t n;
};

static void read_lines(const char *path, struct jlines *out)
{
	memset(out, 0, sizeof(*out));
	size_t len = 0;
	char *t = tu_read_file(path, &len);
	if (!t)
		return;
	size_t cap = 0;
	for (char *p = t; *p;) {
		char *nl = strchr(p, '\n');
		if (!nl)
			break; /* a line being written */
		if (out->n == cap) {
			cap = cap ? cap * 2 : 256;
			out->v = realloc(out->v, cap * sizeof(*out->v));
		}
		out->v[out->n++] = json_loadb(p, (size_t)(nl - p), 0, NULL);
		p = nl + 1;
	}
	free(t);
}

static void free_lines(struct jlines *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- a session on its own loop thread ---- */

struct run {
	uv_loop_t loop;
	uv_async_t stop;
	struct sim_session *s;
	pthread_t th;
};

static void *run_loop(void *arg)
{
	struct run *r = arg;
	uv_run(&r->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void on_stop(uv_async_t *a)
{
	struct run *r = a->data;
	sim_session_stop(r->s);
	uv_close((uv_handle_t *)&r->stop, NULL);
}

#define OPENAI_H    "Authorization: Bearer sk-test\r\nContent-Type: application/json\r\n"
#define ANTHROPIC_H "x-api-key: sk-ant-test\r\nanthropic-version: 2023-06-01\r\n"

static int post(int port, const char *path, const char *hdr, const char *body)
{
	struct tu_http_resp r;
	assert_int_equal(tu_http_request(port, "POST", path, hdr, body, strlen(body), 10000, &r),
	                 0);
	int st = r.status;
	tu_http_free(&r);
	return st;
}

/* oncall-day from 9m at 4x: OpenAI is down (503 for every request from
 * 8m30s to 12m), Anthropic is healthy (its overload ended at 7m). The
 * gateway's breaker keeps OpenAI cooled down and retries it every 30 s of
 * scenario time (7.5 s here), so its 503 lines come in bursts. */
static void test_one_story(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("simsession");
	char events[512], truth[512], config[512], portf[512];
	snprintf(events, sizeof(events), "%s/events.jsonl", dir);
	snprintf(truth, sizeof(truth), "%s/truth.json", dir);
	snprintf(config, sizeof(config), "%s/vigil.yaml", dir);
	snprintf(portf, sizeof(portf), "%s/port", dir);
	struct run r;
	memset(&r, 0, sizeof(r));
	uv_loop_init(&r.loop);
	struct sim_session_opts o = { .scenario = "oncall-day",
		                      .speed = 4,
		                      .from_ms = 9 * MINUTE,
		                      .events_path = events,
		                      .truth_path = truth,
		                      .config_path = config,
		                      .port_path = portf,
		                      .tick_ms = 50 };
	char *cause = NULL;
	int64_t wall_before = sim_time_wall_ms();
	int rc = sim_session_start(&r.loop, &o, &r.s, &cause);
	if (rc)
		fprintf(stderr, "start: %s\n", cause);
	assert_int_equal(rc, 0);
	assert_null(cause);
	int port = sim_session_port(r.s);
	struct sim_clock clk = sim_session_clock(r.s);
	assert_string_equal(sim_session_scenario(r.s)->name, "oncall-day");
	uv_async_init(&r.loop, &r.stop, on_stop);
	r.stop.data = &r;
	pthread_create(&r.th, NULL, run_loop, &r);

	/* the side files name this server */
	char *pt = tu_read_file(portf, NULL);
	assert_non_null(pt);
	assert_int_equal(strtol(pt, NULL, 10), port);
	free(pt);
	char *cf = tu_read_file(config, NULL);
	assert_non_null(cf);
	char want[128];
	snprintf(want, sizeof(want), "base_url: http://127.0.0.1:%d/openai\n", port);
	assert_non_null(strstr(cf, want));
	snprintf(want, sizeof(want), "base_url: http://127.0.0.1:%d/anthropic\n", port);
	assert_non_null(strstr(cf, want));
	assert_non_null(strstr(cf, "api_key_env: VIGIL_SIM_KEY"));
	free(cf);

	/* the truth file's onsets sit on the session's clock */
	json_error_t je;
	json_t *tj = json_load_file(truth, 0, &je);
	assert_non_null(tj);
	bool found = false;
	size_t i;
	json_t *f;
	json_array_foreach (json_object_get(tj, "faults"), i, f) {
		if (strcmp(gs(f, "name", NULL), "openai-outage") != 0)
			continue;
		found = true;
		int64_t onset;
		assert_int_equal(sim_time_parse_rfc3339(gs(f, "onset", NULL), &onset), 0);
		int64_t expect = sim_clock_wall_ms(&clk, 8 * MINUTE);
		assert_true(onset >= expect - 1 && onset <= expect + 1);
		assert_int_equal(json_integer_value(json_object_get(f, "onset_ms")), 8 * MINUTE);
	}
	assert_true(found);
	json_decref(tj);

	/* probes see the outage the gateway sees */
	const char *ob = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
	                 "\"content\":\"ping\"}],\"max_tokens\":1}";
	const char *ab = "{\"model\":\"claude-3-5-haiku\",\"max_tokens\":1,\"messages\":"
	                 "[{\"role\":\"user\",\"content\":\"ping\"}]}";
	assert_int_equal(post(port, "/openai/v1/chat/completions", OPENAI_H, ob), 503);
	assert_int_equal(post(port, "/anthropic/v1/messages", ANTHROPIC_H, ab), 200);

	/* wait (bounded) for gateway lines showing the outage and the failover */
	struct jlines l = { 0 };
	bool saw_503 = false, saw_failover = false;
	for (int k = 0; k < 500 && !(saw_503 && saw_failover); k++) {
		sleep_ms(50);
		free_lines(&l);
		read_lines(events, &l);
		for (size_t j = 0; j < l.n; j++) {
			json_t *e = l.v[j];
			assert_non_null(e);
			const char *p = gs(e, "provider", NULL);
			if (strcmp(p, "openai") == 0 &&
			    json_integer_value(get(e, "http", "status")) == 503)
				saw_503 = true;
			const char *after =
			        gs(json_object_get(e, "selection"), "after_failure_of", NULL);
			if (after && strcmp(after, "openai") == 0 && strcmp(p, "openai") != 0)
				saw_failover = true;
		}
	}
	uv_async_send(&r.stop);
	pthread_join(r.th, NULL);
	assert_int_equal(uv_loop_close(&r.loop), 0);
	int64_t wall_after = sim_time_wall_ms();
	assert_true(saw_503);
	assert_true(saw_failover);

	/* every line was complete when written: the attempt started no earlier
	 * than a timeout before the session's start, and ended by its stop; and
	 * OpenAI answered nothing but 503s in the outage */
	free_lines(&l);
	read_lines(events, &l);
	assert_true(l.n > 0);
	for (size_t j = 0; j < l.n; j++) {
		json_t *e = l.v[j];
		assert_non_null(e);
		int64_t ts;
		assert_int_equal(sim_time_parse_rfc3339(gs(e, "ts", NULL), &ts), 0);
		double total = json_number_value(get(e, "transport", "total_ms"));
		assert_true(ts >= wall_before - 60000 / 4);
		/* latencies are scenario ms: a 4x clock plays them in a quarter */
		assert_true(ts + (int64_t)(total / 4) <= wall_after + 1);
		if (strcmp(gs(e, "provider", NULL), "openai") == 0)
			assert_int_equal(json_integer_value(get(e, "http", "status")), 503);
	}
	free_lines(&l);
	tu_rmtree(dir);
	free(dir);
}

/* ---- a short scenario driven on the test's own thread ---- */

static const char *SHORT = "name: short\n"
                           "duration: 20s\n"
                           "seed: 11\n"
                           "providers:\n"
                           "  - name: openai\n"
                           "    kind: openai\n"
                           "    models: [gpt-4o-mini]\n"
                           "    latency: {median_ms: 5, p95_ms: 9, error_ms: 2}\n"
                           "  - name: anthropic\n"
                           "    kind: anthropic\n"
                           "    models: [claude-3-5-haiku]\n"
                           "    latency: {median_ms: 5, p95_ms: 9, error_ms: 2}\n"
                           "traffic:\n"
                           "  rate: 20\n"
                           "  templates:\n"
                           "    - {name: t, class: internal, content: search, weight: 1,\n"
                           "       prompt_tokens: 100, output_tokens: 10,\n"
                           "       route: [openai/gpt-4o-mini, anthropic/claude-3-5-haiku]}\n"
                           "phases:\n"
                           "  - {name: blip, fault: unavailable, provider: openai, at: 5s, "
                           "for: 5s, share: 0.5}\n";

struct drive {
	struct sim_session *s;
	uv_timer_t check;
	struct sim_clock clk;
	int64_t stop_at;     /* unwrapped scenario time to stop at (loop), or 0 */
	bool done_seen;      /* sim_session_done() turned true */
	int64_t max_wrapped; /* largest wrapped scenario time seen */
};

static void on_check(uv_timer_t *t)
{
	struct drive *d = t->data;
	int64_t now = sim_session_scenario_ms(d->s);
	if (now > d->max_wrapped)
		d->max_wrapped = now;
	bool stop = d->stop_at ? sim_clock_scenario_ms(&d->clk, sim_time_wall_ms()) >= d->stop_at
	                       : sim_session_done(d->s);
	if (!stop)
		return;
	d->done_seen = sim_session_done(d->s);
	sim_session_stop(d->s);
	uv_close((uv_handle_t *)&d->check, NULL);
}

static char *write_short(const char *dir)
{
	char *p = malloc(512);
	snprintf(p, 512, "%s/short.yaml", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(SHORT, f);
	fclose(f);
	return p;
}

static int collect(void *ud, const char *line, size_t len)
{
	struct sim_buf *b = ud;
	sim_buf_add(b, line, len);
	sim_buf_add(b, "\n", 1);
	return 0;
}

/* Played live to the end, the file holds exactly what the generator makes
 * on a virtual clock with the same anchor: nothing lost, nothing doubled,
 * whatever the tick boundaries were. */
static void test_live_equals_virtual(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("simsession");
	char *scn_path = write_short(dir);
	char events[512];
	snprintf(events, sizeof(events), "%s/events.jsonl", dir);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sim_session_opts o = {
		.scenario = scn_path, .speed = 100, .events_path = events, .tick_ms = 7
	};
	struct drive d;
	memset(&d, 0, sizeof(d));
	char *cause = NULL;
	assert_int_equal(sim_session_start(&loop, &o, &d.s, &cause), 0);
	d.clk = sim_session_clock(d.s);
	assert_false(sim_session_done(d.s));
	uv_timer_init(&loop, &d.check);
	d.check.data = &d;
	uv_timer_start(&d.check, on_check, 10, 10);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_true(d.done_seen);

	struct sim_scenario *scn = NULL;
	assert_int_equal(sim_scenario_load(scn_path, &scn, NULL), 0);
	struct sim_gateway_opts go = { .scenario = scn,
		                       .start_ms = sim_clock_wall_ms(&d.clk, 0),
		                       .ts_scale = 1.0 / 100 };
	struct sim_gateway *g = sim_gateway_new(&go, NULL);
	assert_non_null(g);
	struct sim_buf want;
	sim_buf_init(&want);
	assert_int_equal(sim_gateway_advance(g, INT64_MAX, collect, &want), 0);
	assert_true(sim_gateway_lines(g) > 300); /* 20 s at 20/s, with retries */
	size_t len = 0;
	char *got = tu_read_file(events, &len);
	assert_non_null(got);
	assert_int_equal(len, want.len);
	assert_memory_equal(got, want.p, len);
	/* and the blip shows: 503s from OpenAI in the file */
	assert_non_null(strstr(got, "\"status\":503"));
	free(got);
	sim_buf_free(&want);
	sim_gateway_free(g);
	free(scn);
	free(scn_path);
	tu_rmtree(dir);
	free(dir);
}

/* Looping: the server wraps, the gateway plays lap after lap on the wall
 * clock, each lap with its own request ids. */
static void test_loop_laps(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("simsession");
	char *scn_path = write_short(dir);
	char events[512];
	snprintf(events, sizeof(events), "%s/events.jsonl", dir);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sim_session_opts o = { .scenario = scn_path,
		                      .speed = 100,
		                      .loop = true,
		                      .events_path = events,
		                      .tick_ms = 10 };
	struct drive d;
	memset(&d, 0, sizeof(d));
	assert_int_equal(sim_session_start(&loop, &o, &d.s, NULL), 0);
	d.clk = sim_session_clock(d.s);
	d.stop_at = 3 * 20000 + 10000; /* into the fourth lap */
	uv_timer_init(&loop, &d.check);
	d.check.data = &d;
	uv_timer_start(&d.check, on_check, 10, 10);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_false(d.done_seen); /* never done when looping */
	assert_true(d.max_wrapped < 20000);

	struct jlines l;
	read_lines(events, &l);
	int per_lap[4] = { 0 };
	json_t *ids = json_object(); /* request id -> [first, last] scenario time */
	for (size_t j = 0; j < l.n; j++) {
		json_t *e = l.v[j];
		assert_non_null(e);
		int64_t ts;
		assert_int_equal(sim_time_parse_rfc3339(gs(e, "ts", NULL), &ts), 0);
		int64_t scn = sim_clock_scenario_ms(&d.clk, ts);
		int lap = (int)(scn / 20000);
		assert_true(lap >= 0 && lap < 4);
		per_lap[lap]++;
		const char *id = gs(e, "request_id", NULL);
		json_t *span = json_object_get(ids, id);
		if (!span) {
			span = json_pack("[II]", (json_int_t)scn, (json_int_t)scn);
			json_object_set_new(ids, id, span);
		}
		if (scn < json_integer_value(json_array_get(span, 0)))
			json_array_set_new(span, 0, json_integer(scn));
		if (scn > json_integer_value(json_array_get(span, 1)))
			json_array_set_new(span, 1, json_integer(scn));
	}
	/* a request's attempts are close together: an id a later lap reused
	 * would span a whole lap */
	const char *id;
	json_t *span;
	json_object_foreach (ids, id, span) {
		int64_t width = json_integer_value(json_array_get(span, 1)) -
		                json_integer_value(json_array_get(span, 0));
		assert_true(width < 10000);
	}
	for (int k = 0; k < 3; k++)
		assert_true(per_lap[k] > 200);
	json_decref(ids);
	free_lines(&l);
	free(scn_path);
	tu_rmtree(dir);
	free(dir);
}

static void test_errors(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sim_session *s = NULL;
	char *cause = NULL;

	struct sim_session_opts o = { .scenario = "no-such-scenario" };
	assert_int_equal(sim_session_start(&loop, &o, &s, &cause), VG_ENOTFOUND);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "no-such-scenario"));
	free(cause);
	cause = NULL;

	o = (struct sim_session_opts){ .scenario = "calm",
		                       .events_path = "/nonexistent-dir/x/events.jsonl" };
	assert_int_equal(sim_session_start(&loop, &o, &s, &cause), VG_EIO);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/nonexistent-dir/x/events.jsonl"));
	free(cause);
	cause = NULL;

	o = (struct sim_session_opts){ .scenario = "calm", .from_ms = 1000 * MINUTE };
	assert_int_equal(sim_session_start(&loop, &o, &s, &cause), VG_EINVAL);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	/* a side file that cannot be written stops the started server again */
	o = (struct sim_session_opts){ .scenario = "calm",
		                       .config_path = "/nonexistent-dir/vigil.yaml" };
	assert_int_equal(sim_session_start(&loop, &o, &s, &cause), VG_EIO);
	assert_non_null(strstr(cause, "/nonexistent-dir/vigil.yaml"));
	free(cause);

	/* the default scenario is oncall-day; stopping right away is clean */
	o = (struct sim_session_opts){ 0 };
	assert_int_equal(sim_session_start(&loop, &o, &s, NULL), 0);
	assert_string_equal(sim_session_scenario(s)->name, "oncall-day");
	assert_true(sim_session_port(s) > 0);
	assert_int_equal(sim_session_lines(s), 0);
	sim_session_stop(s);
	sim_session_stop(NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_story),
		cmocka_unit_test(test_live_equals_virtual),
		cmocka_unit_test(test_loop_laps),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
