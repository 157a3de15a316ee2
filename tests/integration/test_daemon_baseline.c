/*
 * test_daemon_baseline.c: baselines in the real daemon on a real store: a
 * daemon stopped on a Wednesday and restarted on the same database keeps
 * its baselines (models, the week's hours, the hour that was open), and
 * raises what a daemon that never stopped raises.
 *
 * The traffic is a seeded stream of gateway requests (the same stream for
 * every daemon): four weeks of a long-context workload (business hours
 * Monday to Friday 13:00-21:59 UTC at a median of 6 s, nights at 0.8 s),
 * two requests a minute, and a night jump on the Sunday of week 4 (03:00,
 * median 4 s: under the static 10 s bar, far above that hour's normal).
 * The daemons are fed with daemon_observe() on a clock that follows the
 * requests; when a weekly refresh is due the feed waits for the worker
 * thread to bring it back, so every daemon refreshes at the same point of
 * the stream.
 *
 *  A: weeks 1 to 4 without a stop;
 *  B: up to Wednesday 00:30 of week 4, then stopped;
 *  C: started on B's database, from there to the end of week 4.
 *  R: the same stream through a pipeline set up from the same config,
 *     the refresh run inline when due (as replay and ingest run it).
 * Checks: the refreshes (Mondays 04:00 UTC), C's restore (models, hours,
 * the minutes of the open hour), C's failure events after the restart
 * (and a window) equal to A's, the night jump among them as a
 * PROVIDER/latency event that no static rule raised, and C's models equal
 * to A's at the end; and A's events, all of them, equal R's: the worker
 * thread's refresh decides what the inline one decides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/daemon.h"
#include "app/pipeline_setup.h"
#include "core/pipeline.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0      1767571200000LL /* Monday 2026-01-05 00:00 UTC */
#define MINUTE  60000LL
#define HOUR    3600000LL
#define DAY     (24 * HOUR)
#define WEEK    (7 * DAY)
#define RPM     2
#define END_MIN (4 * WEEK / MINUTE)

struct gen {
	uint64_t rng, wob;
	double wobble;
	int n;
	int64_t m; /* the next minute */
	int k;     /* the next request within it */
};

static double uniform(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(uint64_t *s)
{
	return sqrt(-2.0 * log(uniform(s))) * cos(2.0 * M_PI * uniform(s));
}

static bool business(int64_t t)
{
	int how = timeparse_hour_of_week(t);
	return how / 24 < 5 && how % 24 >= 13 && how % 24 <= 21;
}

/* The next request of the stream (in end-time order). */
static void next_obs(struct gen *g, struct observation *o)
{
	int64_t t = T0 + g->m * MINUTE;
	if (g->k == 0 && g->m % 60 == 0)
		g->wobble = exp(0.05 * normal(&g->wob));
	int64_t in_week = (t - T0) % WEEK;
	bool jump =
	        t - T0 >= 3 * WEEK && in_week >= 6 * DAY + 3 * HOUR && in_week < 6 * DAY + 4 * HOUR;
	double med = jump ? 4000 : (business(t) ? 6000.0 : 800.0) * g->wobble;
	observation_init(o);
	o->source = OBS_GATEWAY;
	model_copy_str(o->pid.provider, sizeof(o->pid.provider), "openai", (size_t)-1);
	model_copy_str(o->pid.model, sizeof(o->pid.model), "gpt-4o-2024-08-06", (size_t)-1);
	snprintf(o->request_id, sizeof(o->request_id), "r%d", g->n++);
	o->total_ms = med * exp(0.35 * normal(&g->rng));
	o->ts_ms = t + g->k * (MINUTE / RPM) - (int64_t)o->total_ms;
	o->http_status = 200;
	o->norm.error_class = EC_OK;
	o->norm.finish = FR_STOP;
	o->input_tokens = 20000;
	o->output_tokens = 300;
	if (++g->k == RPM) {
		g->k = 0;
		g->m++;
	}
}

struct t {
	uv_loop_t loop;
	struct daemon *d;
	char db[512];
	int64_t now;
	bool ready, stopped;
	int stop_err;
	char *log;
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

static int64_t clock_ms(void *data)
{
	return ((struct t *)data)->now;
}

static void on_ready(void *data, struct daemon *d)
{
	(void)d;
	((struct t *)data)->ready = true;
}

static void on_stopped(void *data, struct daemon *d, int err)
{
	(void)d;
	struct t *t = data;
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

static bool refreshed(void *data)
{
	struct daemon_stats st;
	daemon_stats(((struct t *)data)->d, &st);
	return !st.baseline_refreshing;
}

static struct vigil_config *test_config(void)
{
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	config_defaults(cfg);
	model_copy_str(cfg->metrics.listen, sizeof(cfg->metrics.listen), "", (size_t)-1);
	cfg->probes.enabled = false;
	cfg->store.batch_ms = 20;
	cfg->store.retention_ms = 0;
	return cfg;
}

static void start(struct t *t, const char *db)
{
	free(t->log);
	memset(t, 0, sizeof(*t));
	uv_loop_init(&t->loop);
	snprintf(t->db, sizeof(t->db), "%s", db);
	t->now = T0;
	struct vigil_config *cfg = test_config();
	struct daemon_options o = {
		.db_path = t->db,
		.log = on_log,
		.log_data = t,
		.now_ms = clock_ms,
		.now_data = t,
		.tick_ms = 20,
		.on_ready = on_ready,
		.on_stopped = on_stopped,
		.data = t,
	};
	assert_int_equal(daemon_new(&t->d, &t->loop, cfg, &o), 0);
	free(cfg);
	char *cause = NULL;
	int rc = daemon_start(t->d, &cause);
	if (rc != 0)
		fail_msg("daemon_start: %s", cause ? cause : vg_strerror(rc));
	if (!tp_wait(&t->loop, is_ready, t, 20000))
		fail_msg("not ready");
}

static void stop(struct t *t)
{
	daemon_stop(t->d);
	if (!tp_wait(&t->loop, is_stopped, t, 60000))
		fail_msg("not stopped");
	assert_int_equal(t->stop_err, 0);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	daemon_free(t->d);
	t->d = NULL;
	uv_loop_close(&t->loop);
}

/* Feed the stream up to minute `to`; a due refresh is waited for. */
static void feed_until(struct t *t, struct gen *g, int64_t to)
{
	struct observation o;
	while (g->m < to) {
		next_obs(g, &o);
		t->now = observation_end_ms(&o);
		int rc = daemon_observe(t->d, &o);
		if (rc != 0)
			fail_msg("daemon_observe: %s", vg_strerror(rc));
		if (!refreshed(t) && !tp_wait(&t->loop, refreshed, t, 60000))
			fail_msg("the refresh did not come back");
		if (g->n % 512 == 0)
			uv_run(&t->loop, UV_RUN_NOWAIT); /* let the store keep up */
	}
}

/* The pipeline's time passes to `now` (a tick closes the minute), then
 * everything is committed. */
static void settle(struct t *t, int64_t now)
{
	t->now = now;
	struct daemon_stats st;
	daemon_stats(t->d, &st);
	/* two ticks at least */
	for (int i = 0; i < 200; i++)
		uv_run(&t->loop, UV_RUN_NOWAIT);
	uv_sleep(60);
	for (int i = 0; i < 200; i++)
		uv_run(&t->loop, UV_RUN_NOWAIT);
}

struct row {
	int64_t t;
	char sub[32];
	char detail[160];
};

static size_t events_after(const char *db, int64_t from, struct row **out)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h,
	                                    "SELECT time_ms, subtype, json_extract(detail, "
	                                    "'$.causal.detail') FROM failure_events WHERE "
	                                    "time_ms >= ?1 ORDER BY event_id",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(st, 1, from);
	size_t n = 0, cap = 16;
	struct row *v = malloc(cap * sizeof(*v));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n].t = sqlite3_column_int64(st, 0);
		snprintf(v[n].sub, sizeof(v[n].sub), "%s", sqlite3_column_text(st, 1));
		const unsigned char *d = sqlite3_column_text(st, 2);
		snprintf(v[n].detail, sizeof(v[n].detail), "%s", d ? (const char *)d : "");
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	*out = v;
	return n;
}

static void test_restart_mid_week(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("vigil-bl-daemon");
	char db_a[512], db_b[512];
	snprintf(db_a, sizeof(db_a), "%s/a.db", dir);
	snprintf(db_b, sizeof(db_b), "%s/b.db", dir);
	static struct t a, b;
	struct gen ga = { .rng = 11, .wob = 11 ^ 0x5DEECE66DULL, .wobble = 1 };
	struct gen gb = ga;

	/* A: the four weeks without a stop */
	start(&a, db_a);
	feed_until(&a, &ga, END_MIN);
	struct daemon_stats sa;
	daemon_stats(a.d, &sa);
	assert_int_equal(sa.baseline_refreshes, 4);

	/* B: up to Wednesday 00:30 of week 4, then stopped (the minute
	 * before the stop closed by a tick at the stop time) */
	int64_t stop_min = (3 * WEEK + 2 * DAY + 30 * MINUTE) / MINUTE;
	start(&b, db_b);
	feed_until(&b, &gb, stop_min);
	settle(&b, T0 + stop_min * MINUTE);
	stop(&b);

	/* C: restarted on B's database */
	start(&b, db_b);
	assert_non_null(strstr(b.log, "\"msg\":\"baselines restored\""));
	assert_non_null(strstr(b.log, "\"series\":2"));
	/* two series: 44 hours each since Monday 04:00, 30 minutes of the
	 * hour that was open */
	assert_non_null(strstr(b.log, "\"hours\":88"));
	assert_non_null(strstr(b.log, "\"open_hour_minutes\":60"));
	const struct pipeline *pc = daemon_pipeline(b.d);
	assert_int_equal(pipeline_baseline_count(pc), 2);
	feed_until(&b, &gb, END_MIN);
	settle(&b, T0 + END_MIN * MINUTE);
	settle(&a, T0 + END_MIN * MINUTE);

	/* the models go on as if nothing stopped */
	const struct rollup_series key = { "openai", "gpt-4o", OBS_GATEWAY };
	const struct baseline_model *ma = pipeline_baseline_model(daemon_pipeline(a.d), &key);
	const struct baseline_model *mc = pipeline_baseline_model(daemon_pipeline(b.d), &key);
	assert_non_null(ma);
	assert_non_null(mc);
	assert_memory_equal(ma, mc, sizeof(*ma));
	struct baseline_model *ma_copy = malloc(sizeof(*ma_copy));
	*ma_copy = *ma;
	stop(&a);
	stop(&b);

	/* and so do the verdicts, after a window */
	int64_t from = T0 + stop_min * MINUTE + 10 * MINUTE;
	struct row *ea, *ec;
	size_t na = events_after(db_a, from, &ea), nc = events_after(db_b, from, &ec);
	assert_int_equal(na, nc);
	size_t jump = 0;
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(ea[i].t, ec[i].t);
		assert_string_equal(ea[i].sub, ec[i].sub);
		assert_string_equal(ea[i].detail, ec[i].detail);
		if (strcmp(ea[i].sub, "latency") == 0 &&
		    strstr(ea[i].detail, "for Sun 03:00 UTC") && strstr(ea[i].detail, "usual"))
			jump++;
	}
	printf("events after the restart: %zu (night jump: %zu)\n", na, jump);
	free(ea);
	free(ec);

	/* R: the same stream, the refresh inline: every event of A */
	struct vigil_config *cfg = test_config();
	struct pipeline_setup ps;
	assert_int_equal(pipeline_setup_init(&ps, cfg, NULL, NULL), 0);
	struct gen gr = { .rng = 11, .wob = 11 ^ 0x5DEECE66DULL, .wobble = 1 };
	struct row *er = NULL;
	size_t nr = 0, cap = 0;
	int refreshes = 0;
	while (gr.m < END_MIN) {
		struct observation o;
		next_obs(&gr, &o);
		struct effects fx;
		assert_int_equal(pipeline_feed(ps.p, &o, observation_end_ms(&o), &fx), 0);
		for (size_t i = 0; i < fx.n_events; i++) {
			if (nr == cap)
				er = realloc(er, (cap = cap ? 2 * cap : 64) * sizeof(*er));
			er[nr].t = fx.events[i].time_ms;
			snprintf(er[nr].sub, sizeof(er[nr].sub), "%s",
			         model_subtype_name(fx.events[i].subtype));
			snprintf(er[nr].detail, sizeof(er[nr].detail), "%s",
			         fx.events[i].causal.detail);
			nr++;
		}
		if (fx.baseline_refresh_due) {
			assert_int_equal(pipeline_setup_refresh(ps.p, &fx), 0);
			refreshes++;
		}
	}
	assert_int_equal(refreshes, 4);
	na = events_after(db_a, T0, &ea);
	assert_int_equal(na, nr);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(ea[i].t, er[i].t);
		assert_string_equal(ea[i].sub, er[i].sub);
		assert_string_equal(ea[i].detail, er[i].detail);
	}
	printf("events of the four weeks: %zu, the daemon's and the inline run's the same\n", na);
	assert_memory_equal(pipeline_baseline_model(ps.p, &key), ma_copy, sizeof(*ma_copy));
	pipeline_setup_done(&ps);
	free(cfg);
	free(er);
	free(ma_copy);
	for (size_t i = 0; getenv("VERBOSE") && i < na; i++)
		printf("  %lld %s %s\n", (long long)(ea[i].t - T0) / 60000, ea[i].sub,
		       ea[i].detail);
	assert_true(jump >= 1);
	free(ea);
	free(a.log);
	free(b.log);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_mid_week),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
