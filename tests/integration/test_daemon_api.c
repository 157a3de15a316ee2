/*
 * test_daemon_api.c: app/daemon as `vigil demo` uses it (in process, on the
 * caller's loop, with its own clock and log hook).
 *
 *  - observations fed through daemon_observe() (canary probes, a demo's
 *    generator) go through the pipeline into the store and /metrics: 30
 *    failing probes are one incident, 30 rows, and requests_total{source=
 *    "probe"} on a /metrics bound to port 0;
 *  - daemon_stop() commits everything and closes every handle: on_stopped
 *    runs with 0, the loop closes with nothing left, the rows are in the
 *    database afterwards;
 *  - a second daemon on the same database restores the open incident
 *    (daemon_pipeline() shows it) and continues the numbering;
 *  - a stop right after start (during the startup queries) is clean too;
 *  - every log line is one JSON object with ts, level and msg;
 *  - a store that cannot write (another writer holds the lock) fills its
 *    queue: a store_queue_full monitor incident, and no row lost;
 *  - the gateway stops writing while probes go on: its own age (health
 *    rows' gateway_event_ms, vigil_gateway_event_age_seconds) grows, and
 *    past monitor.gateway_quiet a gateway_quiet monitor incident, once;
 *  - events ending 23 s ahead of the clock (a gateway whose clock runs
 *    fast, the demo before its fix): the pipeline is fed at the clock
 *    (breaker transitions never later than it, each clamp counted), the
 *    observations are stored with the times they came with;
 *  - two consoles acknowledge one incident: the daemon applies the first
 *    and refuses the second, and each console reads its own action's
 *    outcome back by id ("applied"; "refused: incident #1 is acknowledged").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/daemon.h"
#include "core/incident.h"
#include "core/pipeline.h"
#include "core/vgerr.h"
#include "data/console_act.h"
#include "net/http.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1798761600000LL /* 2027-01-01 */

struct t {
	uv_loop_t loop;
	struct daemon *d;
	int64_t now;
	bool ready, stopped;
	int stop_err;
	int log_lines;
	char *dir;
	char db[512];
	int queue_batches;     /* 0: the default */
	int64_t store_full_ms; /* 0: the default */
	int64_t gateway_quiet_ms;
	int health_ms; /* 0: the default */
};

static void on_log(void *data, const char *line)
{
	struct t *t = data;
	json_error_t e;
	json_t *j = json_loads(line, 0, &e);
	if (!j)
		fail_msg("log line not JSON (%s): %s", e.text, line);
	assert_true(json_is_object(j));
	assert_non_null(json_string_value(json_object_get(j, "ts")));
	assert_non_null(json_string_value(json_object_get(j, "level")));
	assert_non_null(json_string_value(json_object_get(j, "msg")));
	json_decref(j);
	t->log_lines++;
}

static int64_t clock_ms(void *data)
{
	struct t *t = data;
	return t->now;
}

static void on_ready(void *data, struct daemon *d)
{
	struct t *t = data;
	assert_ptr_equal(d, t->d);
	t->ready = true;
}

static void on_stopped(void *data, struct daemon *d, int err)
{
	struct t *t = data;
	assert_ptr_equal(d, t->d);
	assert_false(t->stopped); /* once */
	t->stopped = true;
	t->stop_err = err;
}

static bool is_ready(void *data)
{
	return ((struct t *)data)->ready;
}

static bool is_stopped(void *data)
{
	return ((struct t *)data)->stopped;
}

static void start(struct t *t)
{
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	config_defaults(cfg);
	model_copy_str(cfg->metrics.listen, sizeof(cfg->metrics.listen), "127.0.0.1:0", (size_t)-1);
	cfg->store.batch_ms = 20;
	if (t->queue_batches)
		cfg->store.queue_batches = t->queue_batches;
	cfg->monitor.gateway_quiet_ms = t->gateway_quiet_ms;
	struct daemon_options o = {
		.db_path = t->db,
		.log = on_log,
		.log_data = t,
		.now_ms = clock_ms,
		.now_data = t,
		.tick_ms = 50,
		.store_full_ms = t->store_full_ms,
		.health_ms = t->health_ms,
		.on_ready = on_ready,
		.on_stopped = on_stopped,
		.data = t,
	};
	t->ready = t->stopped = false;
	assert_int_equal(daemon_new(&t->d, &t->loop, cfg, &o), 0);
	free(cfg);
	struct observation ob;
	observation_init(&ob);
	assert_int_equal(daemon_observe(t->d, &ob), VG_ESTATE); /* not running yet */
	char *cause = NULL;
	int rc = daemon_start(t->d, &cause);
	if (rc != 0)
		fail_msg("daemon_start: %s", cause ? cause : vg_strerror(rc));
	assert_string_equal(daemon_db_path(t->d), t->db);
}

static void stop(struct t *t)
{
	daemon_stop(t->d);
	daemon_stop(t->d); /* idempotent */
	if (!tp_wait(&t->loop, is_stopped, t, 20000))
		fail_msg("not stopped");
	assert_int_equal(t->stop_err, 0);
	uv_run(&t->loop, UV_RUN_DEFAULT); /* close callbacks */
	daemon_free(t->d);
	t->d = NULL;
}

/* A fixture in a fresh folder, its clock at T0, its loop initialised. */
static struct t *fixture(const char *tag)
{
	struct t *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->dir = tu_mkdtemp(tag);
	snprintf(t->db, sizeof(t->db), "%s/vigil.db", t->dir);
	t->now = T0;
	uv_loop_init(&t->loop);
	return t;
}

/* Start it and wait until it runs. */
static void start_ready(struct t *t)
{
	start(t);
	if (!tp_wait(&t->loop, is_ready, t, 10000))
		fail_msg("not ready");
}

/* After stop(): the loop closed, the folder and the fixture gone. */
static void finish(struct t *t)
{
	assert_int_equal(uv_loop_close(&t->loop), 0);
	tu_rmtree(t->dir);
	free(t->dir);
	free(t);
}

static void probe(struct observation *ob, int i, int status, int64_t ts)
{
	observation_init(ob);
	ob->source = OBS_PROBE;
	ob->ts_ms = ts;
	model_copy_str(ob->pid.provider, sizeof(ob->pid.provider), "anthropic", (size_t)-1);
	model_copy_str(ob->pid.model, sizeof(ob->pid.model), "claude-3-5-haiku", (size_t)-1);
	snprintf(ob->request_id, sizeof(ob->request_id), "canary-%d", i);
	ob->http_status = status;
	ob->norm.error_class = status >= 500 ? EC_OVERLOADED : EC_OK;
	ob->total_ms = 80;
}

static int64_t db_count(const char *db, const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void test_observe_stop_restore(void **state)
{
	(void)state;
	struct t *t = calloc(1, sizeof(*t));
	t->dir = tu_mkdtemp("vigil-daemon");
	snprintf(t->db, sizeof(t->db), "%s/vigil.db", t->dir);
	t->now = T0;
	uv_loop_init(&t->loop);
	struct http_client *http;
	assert_int_equal(http_client_new(&t->loop, &http), 0);

	start(t);
	if (!tp_wait(&t->loop, is_ready, t, 10000))
		fail_msg("not ready");
	int port = daemon_metrics_port(t->d);
	assert_true(port > 0);

	struct observation ob;
	for (int i = 0; i < 30; i++) {
		probe(&ob, i, 503, T0 + i * 1000);
		t->now = ob.ts_ms;
		assert_int_equal(daemon_observe(t->d, &ob), 0);
	}
	probe(&ob, 99, 200, VG_NONE);
	assert_int_equal(daemon_observe(t->d, &ob), VG_EINVAL); /* no time */
	const struct incidents *inc = pipeline_incidents(daemon_pipeline(t->d));
	size_t n = 0;
	const struct incident *const *list = incidents_list(inc, &n);
	assert_int_equal(n, 1);
	assert_int_equal(list[0]->count, 30);
	int64_t id = list[0]->id;

	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	struct tp_response r;
	assert_int_equal(tp_http(&t->loop, http, NULL, url, NULL, NULL, 5000, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body,
	                       "vigil_requests_total{source=\"probe\",provider=\"anthropic\","
	                       "model=\"claude-3-5-haiku\",status_class=\"5xx\"} 30\n"));
	assert_non_null(strstr(
	        r.body, "vigil_incidents_open{category=\"provider\",severity=\"critical\"} 1\n"));
	free(r.body);

	struct daemon_stats st;
	daemon_stats(t->d, &st);
	assert_true(st.running);
	assert_int_equal(st.observations, 30);
	assert_int_equal(st.incidents_opened, 1);
	assert_true(st.failure_events >= 30);

	stop(t);
	/* everything committed by the time on_stopped ran */
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM observations"), 30);
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM incidents WHERE state = 'open'"), 1);
	assert_int_equal(db_count(t->db, "SELECT max(count) FROM incidents"), 30);

	/* a second run restores the open incident; new failures join it */
	start(t);
	if (!tp_wait(&t->loop, is_ready, t, 10000))
		fail_msg("not ready (second run)");
	const struct incident *again = incidents_get(pipeline_incidents(daemon_pipeline(t->d)), id);
	assert_non_null(again);
	assert_int_equal(again->count, 30);
	probe(&ob, 30, 503, T0 + 31000);
	t->now = ob.ts_ms;
	assert_int_equal(daemon_observe(t->d, &ob), 0);
	assert_int_equal(incidents_get(pipeline_incidents(daemon_pipeline(t->d)), id)->count, 31);
	stop(t);
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM incidents"), 1);
	assert_int_equal(db_count(t->db, "SELECT count FROM incidents"), 31);

	/* a stop during the startup queries */
	start(t);
	daemon_stop(t->d);
	if (!tp_wait(&t->loop, is_stopped, t, 10000))
		fail_msg("not stopped during startup");
	assert_false(t->ready);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	daemon_free(t->d);

	http_client_close(http);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	assert_true(t->log_lines > 10);
	tu_rmtree(t->dir);
	free(t->dir);
	free(t);
}

static bool store_full_incident(void *data)
{
	struct t *t = data;
	size_t n = 0;
	const struct incident *const *v =
	        incidents_list(pipeline_incidents(daemon_pipeline(t->d)), &n);
	for (size_t i = 0; i < n; i++)
		if (v[i]->category == CAT_MONITOR && v[i]->subtype == SUB_STORE_QUEUE_FULL)
			return true;
	return false;
}

/* Another writer holds the database: the store thread waits on its lock,
 * the queue (1 batch) fills, and after store_full_ms the daemon raises a
 * monitor incident. Once the lock goes, everything commits: nothing lost. */
static void test_store_queue_full(void **state)
{
	(void)state;
	struct t *t = calloc(1, sizeof(*t));
	t->dir = tu_mkdtemp("vigil-daemon-full");
	snprintf(t->db, sizeof(t->db), "%s/vigil.db", t->dir);
	t->now = T0;
	t->queue_batches = 1;
	t->store_full_ms = 200;
	uv_loop_init(&t->loop);
	start(t);
	if (!tp_wait(&t->loop, is_ready, t, 10000))
		fail_msg("not ready");
	tp_run_for(&t->loop, 100);
	assert_false(store_full_incident(t));

	sqlite3 *h;
	assert_int_equal(sqlite3_open(t->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	struct observation ob;
	for (int i = 0; i < 20; i++) {
		probe(&ob, i, 200, T0 + i * 100);
		t->now = ob.ts_ms;
		assert_int_equal(daemon_observe(t->d, &ob), 0);
		uv_run(&t->loop, UV_RUN_NOWAIT);
	}
	bool raised = tp_wait(&t->loop, store_full_incident, t, 3000);
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	if (!raised)
		fail_msg("no store_queue_full incident while the database was locked");

	stop(t);
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM observations"), 20);
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM incidents WHERE category = "
	                                 "'monitor' AND subtype = 'store_queue_full'"),
	                 1);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	tu_rmtree(t->dir);
	free(t->dir);
	free(t);
}

static bool has_monitor(struct t *t, enum subtype sub)
{
	size_t n = 0;
	const struct incident *const *v =
	        incidents_list(pipeline_incidents(daemon_pipeline(t->d)), &n);
	for (size_t i = 0; i < n; i++)
		if (v[i]->category == CAT_MONITOR && v[i]->subtype == sub)
			return true;
	return false;
}

static bool has_health_rows(void *data)
{
	struct t *t = data;
	return db_count(t->db, "SELECT count(*) FROM health WHERE gateway_event_ms IS NOT NULL") >
	       0;
}

static void test_gateway_quiet(void **state)
{
	(void)state;
	struct t *t = fixture("vigil-daemon-quiet");
	t->gateway_quiet_ms = 5000;
	t->health_ms = 20;
	struct http_client *http;
	assert_int_equal(http_client_new(&t->loop, &http), 0);
	start_ready(t);

	struct observation ob;
	probe(&ob, 0, 200, T0); /* one gateway event, ending at T0 + 80 */
	ob.source = OBS_GATEWAY;
	snprintf(ob.request_id, sizeof(ob.request_id), "gw-1");
	t->now = T0 + 100; /* written after it ended */
	assert_int_equal(daemon_observe(t->d, &ob), 0);
	for (int i = 1; i <= 4; i++) { /* then probes only: fresh data */
		probe(&ob, i, 200, T0 + i * 1000);
		t->now = ob.ts_ms;
		assert_int_equal(daemon_observe(t->d, &ob), 0);
	}
	tp_run_for(&t->loop, 150);
	assert_false(has_monitor(t, SUB_GATEWAY_QUIET)); /* 4 s quiet: not yet */
	for (int i = 5; i <= 6; i++) {
		probe(&ob, i, 200, T0 + i * 1000);
		t->now = ob.ts_ms;
		assert_int_equal(daemon_observe(t->d, &ob), 0);
	}
	tp_run_for(&t->loop, 150);
	assert_true(has_monitor(t, SUB_GATEWAY_QUIET));
	assert_true(tp_wait(&t->loop, has_health_rows, t, 5000));

	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", daemon_metrics_port(t->d));
	struct tp_response r;
	assert_int_equal(tp_http(&t->loop, http, NULL, url, NULL, NULL, 5000, &r), 0);
	assert_int_equal(r.status, 200);
	if (!strstr(r.body, "\nvigil_gateway_event_age_seconds 5.92\n"))
		fail_msg("no gateway age of 5.92 s in:\n%s", r.body);
	free(r.body);

	t->now = T0 + 20000; /* still quiet: reported once */
	tp_run_for(&t->loop, 150);
	stop(t);
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM incidents WHERE category = "
	                                 "'monitor' AND subtype = 'gateway_quiet'"),
	                 1);
	assert_int_equal(db_count(t->db, "SELECT max(gateway_event_ms) FROM health"), T0 + 80);
	assert_true(db_count(t->db, "SELECT max(updated_ms) FROM health") >= T0 + 6000);
	http_client_close(http);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	finish(t);
}

static void test_clamped_to_the_clock(void **state)
{
	(void)state;
	struct t *t = fixture("vigil-daemon-clamp");
	start_ready(t);
	struct observation ob;
	for (int i = 0; i < 30; i++) {
		t->now = T0 + i * 1000;
		probe(&ob, i, 503, t->now + 23000);
		ob.source = OBS_GATEWAY;
		assert_int_equal(daemon_observe(t->d, &ob), 0);
	}
	struct daemon_stats st;
	daemon_stats(t->d, &st);
	assert_int_equal(st.clamped, 30);
	assert_int_equal(st.incidents_opened, 1);
	int64_t last = t->now;
	stop(t);
	assert_true(db_count(t->db, "SELECT count(*) FROM breaker_transitions") >= 1);
	assert_true(db_count(t->db, "SELECT max(time_ms) FROM breaker_transitions") <= last);
	assert_true(db_count(t->db, "SELECT max(last_ms) FROM incidents") <= last + 23080);
	/* stored as they came: ingest and replay of these lines still agree */
	assert_int_equal(db_count(t->db, "SELECT max(ts_ms) FROM observations"), last + 23000);
	finish(t);
}

struct two {
	struct console_act *w;
	int64_t id;
};

static bool taken(void *data)
{
	struct two *c = data;
	struct console_act_outcome o;
	return console_act_outcome(c[0].w, c[0].id, &o, NULL) == 0 && o.decided &&
	       console_act_outcome(c[1].w, c[1].id, &o, NULL) == 0 && o.decided;
}

static void test_two_consoles_ack(void **state)
{
	(void)state;
	struct t *t = fixture("vigil-daemon-acks");
	start_ready(t);
	struct observation ob;
	for (int i = 0; i < 30; i++) {
		probe(&ob, i, 503, T0 + i * 1000);
		t->now = ob.ts_ms + 100;
		assert_int_equal(daemon_observe(t->d, &ob), 0);
	}
	size_t n = 0;
	const struct incident *const *list =
	        incidents_list(pipeline_incidents(daemon_pipeline(t->d)), &n);
	assert_int_equal(n, 1);
	int64_t inc = list[0]->id;
	tp_run_for(&t->loop, 100); /* the incident row is committed */

	struct two c[2];
	char *cause = NULL;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(console_act_open(t->db, &c[k].w, &cause), 0);
		struct store_operator_action a = { .incident_id = inc,
			                           .action = ACTION_ACK,
			                           .time_ms = t->now };
		snprintf(a.actor, sizeof(a.actor), k ? "bob" : "alice");
		assert_int_equal(console_act_write(c[k].w, &a, &c[k].id, &cause), 0);
	}
	if (!tp_wait(&t->loop, taken, c, 10000))
		fail_msg("the daemon did not take both acknowledgements");
	struct console_act_outcome o;
	assert_int_equal(console_act_outcome(c[0].w, c[0].id, &o, NULL), 0);
	assert_false(o.refused);
	assert_string_equal(o.text, "applied");
	assert_int_equal(console_act_outcome(c[1].w, c[1].id, &o, NULL), 0);
	assert_true(o.refused);
	char want[96];
	snprintf(want, sizeof(want), "refused: incident #%lld is acknowledged", (long long)inc);
	if (!strstr(o.text, want))
		fail_msg("second outcome: %s", o.text);
	for (int k = 0; k < 2; k++)
		console_act_close(c[k].w);
	stop(t);
	finish(t);
}

int main(void)
{
	http_global_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observe_stop_restore),
		cmocka_unit_test(test_store_queue_full),
		cmocka_unit_test(test_gateway_quiet),
		cmocka_unit_test(test_clamped_to_the_clock),
		cmocka_unit_test(test_two_consoles_ack),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
