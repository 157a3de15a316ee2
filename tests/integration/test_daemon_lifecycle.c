/*
 * test_daemon_lifecycle.c: the daemon's life cycle (app/daemon_fsm driven
 * by app/daemon.c) through the real daemon on a real store:
 *
 *  - daemon_stop() from inside on_ready (an event while the start's actions
 *    run): it waits its turn, the stop is clean, the log says running,
 *    stopping, store flushed, stopped, in that order;
 *  - a stop while the store queue is full (another writer holds the
 *    database): the waiting batch goes in once there is room, then the
 *    flush: every observation is in the database when on_stopped runs;
 *  - a config reload: the one "config reloaded" line lists what was applied
 *    (semantic, a new events file, routes) and what needs a restart (store),
 *    and the new file's lines are read; a changed probes.interval is
 *    applied (the canaries start again with it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/daemon.h"
#include "core/vgerr.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1798761600000LL /* 2027-01-01 */

struct t {
	uv_loop_t loop;
	struct daemon *d;
	char *dir;
	char db[512];
	bool ready, stopped, stop_in_ready;
	int stop_err;
	char *log; /* every line, newline-separated */
	size_t log_len;
};

static void on_log(void *data, const char *line)
{
	struct t *t = data;
	size_t n = strlen(line);
	char *p = realloc(t->log, t->log_len + n + 2);
	assert_non_null(p);
	t->log = p;
	memcpy(t->log + t->log_len, line, n);
	t->log_len += n;
	t->log[t->log_len++] = '\n';
	t->log[t->log_len] = '\0';
}

static void on_ready(void *data, struct daemon *d)
{
	struct t *t = data;
	t->ready = true;
	if (t->stop_in_ready)
		daemon_stop(d);
}

static void on_stopped(void *data, struct daemon *d, int err)
{
	struct t *t = data;
	(void)d;
	assert_false(t->stopped);
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

static const char *fake_env(void *data, const char *name)
{
	(void)data;
	(void)name;
	return "test-secret";
}

static struct t *fixture(const char *tag)
{
	struct t *t = calloc(1, sizeof(*t));
	t->dir = tu_mkdtemp(tag);
	snprintf(t->db, sizeof(t->db), "%s/vigil.db", t->dir);
	uv_loop_init(&t->loop);
	return t;
}

static void start(struct t *t, const struct vigil_config *cfg, int queue_batches)
{
	struct vigil_config *c = malloc(sizeof(*c));
	*c = *cfg;
	if (queue_batches)
		c->store.queue_batches = queue_batches;
	struct daemon_options o = {
		.db_path = t->db,
		.log = on_log,
		.log_data = t,
		.tick_ms = 50,
		.getenv_fn = fake_env,
		.on_ready = on_ready,
		.on_stopped = on_stopped,
		.data = t,
	};
	assert_int_equal(daemon_new(&t->d, &t->loop, c, &o), 0);
	free(c);
	char *cause = NULL;
	int rc = daemon_start(t->d, &cause);
	if (rc != 0)
		fail_msg("daemon_start: %s", cause ? cause : vg_strerror(rc));
}

static void finish(struct t *t)
{
	uv_run(&t->loop, UV_RUN_DEFAULT);
	daemon_free(t->d);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	tu_rmtree(t->dir);
	free(t->dir);
	free(t->log);
	free(t);
}

/* The position of `msg` ("\"msg\":\"...\"") in the log, or -1. */
static long log_at(const struct t *t, const char *msg)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "\"msg\":\"%s\"", msg);
	const char *p = t->log ? strstr(t->log, needle) : NULL;
	return p ? p - t->log : -1;
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

static void quiet_config(struct vigil_config *c)
{
	config_defaults(c);
	c->metrics.listen[0] = '\0';
	c->store.batch_ms = 20;
}

static void test_stop_in_on_ready(void **state)
{
	(void)state;
	struct t *t = fixture("vigil-life-ready");
	struct vigil_config *c = malloc(sizeof(*c));
	quiet_config(c);
	t->stop_in_ready = true;
	start(t, c, 0);
	free(c);
	if (!tp_wait(&t->loop, is_stopped, t, 10000))
		fail_msg("not stopped");
	assert_true(t->ready);
	assert_int_equal(t->stop_err, 0);
	long running = log_at(t, "running"), stopping = log_at(t, "stopping"),
	     flushed = log_at(t, "store flushed"), stopped = log_at(t, "stopped");
	assert_true(running >= 0);
	assert_true(stopping > running);
	assert_true(flushed > stopping);
	assert_true(stopped > flushed);
	struct daemon_stats st;
	daemon_stats(t->d, &st);
	assert_false(st.running);
	daemon_stop(t->d); /* after the end: nothing */
	finish(t);
}

static void probe(struct observation *ob, int i, int64_t ts)
{
	observation_init(ob);
	ob->source = OBS_PROBE;
	ob->ts_ms = ts;
	model_copy_str(ob->pid.provider, sizeof(ob->pid.provider), "openai", (size_t)-1);
	model_copy_str(ob->pid.model, sizeof(ob->pid.model), "gpt-4o", (size_t)-1);
	snprintf(ob->request_id, sizeof(ob->request_id), "canary-%d", i);
	ob->http_status = 200;
	ob->total_ms = 80;
}

static void test_stop_with_queue_full(void **state)
{
	(void)state;
	struct t *t = fixture("vigil-life-full");
	struct vigil_config *c = malloc(sizeof(*c));
	quiet_config(c);
	start(t, c, 1);
	free(c);
	if (!tp_wait(&t->loop, is_ready, t, 10000))
		fail_msg("not ready");

	sqlite3 *h;
	assert_int_equal(sqlite3_open(t->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	struct observation ob;
	for (int i = 0; i < 20; i++) {
		probe(&ob, i, T0 + i * 100);
		assert_int_equal(daemon_observe(t->d, &ob), 0);
		uv_run(&t->loop, UV_RUN_NOWAIT);
	}
	daemon_stop(t->d);
	tp_run_for(&t->loop, 300);
	assert_false(t->stopped); /* the flush cannot finish under the lock */
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	if (!tp_wait(&t->loop, is_stopped, t, 10000))
		fail_msg("not stopped once the lock went");
	assert_int_equal(t->stop_err, 0);
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM observations"), 20);
	finish(t);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool has_reload(void *data)
{
	return log_at(data, "config reloaded") >= 0;
}

static bool one_line(void *data)
{
	struct t *t = data;
	struct daemon_stats st;
	daemon_stats(t->d, &st);
	return st.observations == 1;
}

static void test_reload_logged(void **state)
{
	(void)state;
	struct t *t = fixture("vigil-life-reload");
	char cfgpath[600], ev1[600], ev2[600], text[2048];
	snprintf(cfgpath, sizeof(cfgpath), "%s/vigil.yaml", t->dir);
	snprintf(ev1, sizeof(ev1), "%s/a.jsonl", t->dir);
	snprintf(ev2, sizeof(ev2), "%s/b.jsonl", t->dir);
	write_file(ev1, "");
	write_file(ev2, "");
	static const char *const fmt = "metrics:\n  listen: 127.0.0.1:0\n"
	                               "store:\n  batch_interval: %s\n"
	                               "sinks:\n  - name: pd\n    kind: pagerduty\n"
	                               "    url: http://127.0.0.1:1/v2/enqueue\n"
	                               "    secret_env: PD_KEY\n    min_severity: %s\n"
	                               "events:\n  - path: %s\n%s";
	snprintf(text, sizeof(text), fmt, "20ms", "high", ev1, "");
	write_file(cfgpath, text);
	struct vigil_config *c = malloc(sizeof(*c));
	config_defaults(c);
	char *cause = NULL;
	if (config_load(c, cfgpath, &cause) != 0)
		fail_msg("%s", cause);
	start(t, c, 0);
	free(c);
	if (!tp_wait(&t->loop, is_ready, t, 10000))
		fail_msg("not ready");

	char more[700];
	snprintf(more, sizeof(more), "  - path: %s\n", ev2);
	snprintf(text, sizeof(text), fmt, "30ms", "low", ev1, more);
	write_file(cfgpath, text);
	assert_int_equal(daemon_reload(t->d, NULL, &cause), 0);
	assert_null(cause);
	assert_true(has_reload(t));
	const char *line = t->log + log_at(t, "config reloaded");
	assert_non_null(strstr(line, "\"applied\":[\"semantic\",\"events\",\"routes\"],"
	                             "\"restart_needed\":[\"store\"]"));

	/* a changed probes.interval is applied (the canaries start again), not
	 * logged as applied while nothing changes */
	snprintf(more, sizeof(more), "  - path: %s\nprobes:\n  interval: 2s\n  jitter: 1s\n", ev2);
	snprintf(text, sizeof(text), fmt, "30ms", "low", ev1, more);
	write_file(cfgpath, text);
	t->log_len = 0;
	assert_int_equal(daemon_reload(t->d, NULL, &cause), 0);
	line = t->log + log_at(t, "config reloaded");
	assert_non_null(strstr(line, "\"applied\":[\"semantic\",\"routes\",\"probes\"],"
	                             "\"restart_needed\":[\"store\"]"));
	assert_true(log_at(t, "canaries restarted") >= 0);
	assert_non_null(strstr(t->log + log_at(t, "canaries restarted"), "\"interval_ms\":2000"));

	/* the new file is followed */
	write_file(ev2, "{\"schema_version\":1,\"ts\":\"2027-01-01T00:00:00.000Z\","
	                "\"request_id\":\"r-1\",\"provider\":\"openai\"}\n");
	if (!tp_wait(&t->loop, one_line, t, 10000))
		fail_msg("the new events file is not read");
	daemon_stop(t->d);
	if (!tp_wait(&t->loop, is_stopped, t, 10000))
		fail_msg("not stopped");
	assert_int_equal(t->stop_err, 0);
	assert_int_equal(db_count(t->db, "SELECT count(*) FROM observations"), 1);
	finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_in_on_ready),
		cmocka_unit_test(test_stop_with_queue_full),
		cmocka_unit_test(test_reload_logged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
