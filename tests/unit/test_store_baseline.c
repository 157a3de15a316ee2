/*
 * test_store_baseline.c: what the store keeps of baselines (data/
 * store_baseline.c) on a real SQLite file: minute and hour rollups, models
 * and review items written from a pipeline call's effects and read back by
 * the restart query (STORE_Q_BASELINES): the models byte for byte, the
 * hours since each model's refresh, the minutes of the hour that was open,
 * the waiting review items (a decided one no longer waits); the review id
 * among the highest ids; an operator action's review_id; and pruning of
 * rollups on the events' clock (a database of 2100 keeps its minutes of
 * 2100 whatever the wall clock says, and loses those older than the
 * retention before that).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rollup_codec.h"
#include "core/vgerr.h"
#include "data/store.h"
#include "tests/support/testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0        4102444800000LL /* 2100-01-01 00:00 UTC (a Friday) */
#define HOUR      3600000LL
#define MINUTE_MS 60000LL

struct fx {
	char *dir;
	char path[512];
	uv_loop_t loop;
	struct store *s;
	int commits, answers, errs;
	struct store_answer a; /* a deep copy of what is checked */
	struct baseline_model *models;
	size_t n_models;
	int64_t refreshed[4];
	int64_t hours[64], minutes[64];
	struct rollup_series hour_keys[64];
	size_t n_hours, n_minutes;
	int64_t reviews[8];
	size_t n_reviews;
	struct store_max_ids ids;
};

static void on_commit(void *data, const struct store_commit *c)
{
	struct fx *f = data;
	f->commits++;
	if (c->err)
		f->errs++;
}

static void on_answer(void *data, const struct store_answer *a)
{
	struct fx *f = data;
	f->answers++;
	assert_int_equal(a->err, 0);
	f->ids = a->max_ids;
	free(f->models);
	f->models = calloc(a->n_bl_models + 1, sizeof(*f->models));
	f->n_models = a->n_bl_models;
	for (size_t i = 0; i < a->n_bl_models && i < 4; i++) {
		char *cause = NULL;
		assert_int_equal(baseline_model_decode(a->bl_models[i].blob, a->bl_models[i].len,
		                                       &f->models[i], &cause),
		                 0);
		f->refreshed[i] = a->bl_models[i].refreshed_ms;
		assert_memory_equal(&f->models[i].key, &a->bl_models[i].key,
		                    sizeof(struct rollup_series));
	}
	f->n_hours = a->n_bl_hours;
	for (size_t i = 0; i < a->n_bl_hours && i < 64; i++) {
		f->hours[i] = a->bl_hours[i].start_ms;
		f->hour_keys[i] = a->bl_hours[i].key;
		struct rollup r;
		assert_int_equal(rollup_decode(a->bl_hours[i].enc, a->bl_hours[i].len, &r), 0);
		assert_int_equal(r.start_ms, a->bl_hours[i].start_ms);
	}
	f->n_minutes = a->n_bl_minutes;
	for (size_t i = 0; i < a->n_bl_minutes && i < 64; i++)
		f->minutes[i] = a->bl_minutes[i].start_ms;
	f->n_reviews = a->n_bl_reviews;
	for (size_t i = 0; i < a->n_bl_reviews && i < 8; i++)
		f->reviews[i] = a->bl_reviews[i].id;
}

static void run_until(struct fx *f, const int *flag, int want)
{
	for (int i = 0; i < 200000 && *flag < want; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_true(*flag >= want);
}

static void open_store(struct fx *f, int64_t minute_ret, int64_t hour_ret)
{
	struct store_options o;
	memset(&o, 0, sizeof(o));
	o.path = f->path;
	o.minute_rollup_retention_ms = minute_ret;
	o.hour_rollup_retention_ms = hour_ret;
	o.prune_chunk = 10;
	o.prune_interval_ms = 10;
	char *cause = NULL;
	assert_int_equal(store_open(&f->s, &f->loop, &o, &cause), 0);
}

static void close_store(struct fx *f)
{
	store_close(f->s);
	f->s = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
}

static void flush(struct fx *f)
{
	int before = f->commits;
	assert_int_equal(store_flush(f->s, on_commit, f), 0);
	run_until(f, &f->commits, before + 1);
	assert_int_equal(f->errs, 0);
}

static void ask(struct fx *f, enum store_query q)
{
	int before = f->answers;
	assert_int_equal(store_query(f->s, q, on_answer, f), 0);
	run_until(f, &f->answers, before + 1);
}

static int64_t count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = tu_mkdtemp("store-bl");
	snprintf(f->path, sizeof(f->path), "%s/vigil.db", f->dir);
	uv_loop_init(&f->loop);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->s)
		close_store(f);
	uv_loop_close(&f->loop);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->models);
	free(f);
	return 0;
}

static struct rollup make_rollup(int64_t start, int64_t span, int n)
{
	struct rollup r;
	rollup_init(&r, start, span);
	for (int i = 0; i < n; i++) {
		struct rollup_sample s;
		memset(&s, 0, sizeof(s));
		s.err = i % 10 == 0 ? RU_RATE_LIMIT : -1;
		s.latency_ms = 100.0 + i;
		s.lat_bucket = lhist_index(s.latency_ms);
		s.ttft_ms = NAN;
		s.tps_log = NAN;
		s.cost_log = NAN;
		s.quality = NAN;
		rollup_add(&r, &s);
	}
	model_copy_str(r.model, sizeof(r.model), "gpt-4o-2024-08-06", (size_t)-1);
	return r;
}

/* Write the effects a pipeline would give: two series' hours around a
 * refresh, minutes of an open hour, a model, a review item; then read
 * them back as a restart does. */
static void test_round_trip(void **state)
{
	struct fx *f = *state;
	open_store(f, 0, 0);
	const struct rollup_series alias = { "openai", "gpt-4o", OBS_GATEWAY };
	const struct rollup_series agg = { "openai", "", OBS_GATEWAY };
	int64_t refreshed = T0 + 4 * HOUR;
	static struct rollup hours[8], mins[3];
	struct pipeline_rollup ro[32];
	size_t n = 0;
	for (int h = 0; h < 8; h++) {
		hours[h] = make_rollup(T0 + h * HOUR, HOUR, 50 + h);
		ro[n++] = (struct pipeline_rollup){ &alias, &hours[h], true };
		ro[n++] = (struct pipeline_rollup){ &agg, &hours[h], true };
	}
	/* minutes of hour 8, which had not closed */
	for (int m = 0; m < 3; m++) {
		mins[m] = make_rollup(T0 + 8 * HOUR + m * MINUTE_MS, MINUTE_MS, 5);
		ro[n++] = (struct pipeline_rollup){ &alias, &mins[m], false };
	}
	struct baseline_model *m = calloc(1, sizeof(*m));
	baseline_model_init(m, &alias);
	struct baseline_settings s;
	baseline_defaults(&s);
	for (int h = 0; h < 4; h++)
		baseline_learn_hour(m, &s, &hours[h]);
	m->review.pending = true;
	m->review.metric = BM_LATENCY;
	m->review.mask = 1u << BM_LATENCY;
	m->review.delta[BM_LATENCY] = 0.34;
	m->review.at_ms = T0 + 2 * HOUR;
	struct pipeline_baseline_model mo = { m, refreshed };
	struct pipeline_review rv;
	memset(&rv, 0, sizeof(rv));
	rv.id = 7;
	rv.series = alias;
	rv.review = m->review;
	rv.state = PRV_WAITING;
	rv.decided_ms = VG_NONE;
	snprintf(rv.text, sizeof(rv.text), "latency +40%% since Fri 02:00 UTC");
	struct effects e;
	memset(&e, 0, sizeof(e));
	e.rollups = ro;
	e.n_rollups = n;
	e.models = &mo;
	e.n_models = 1;
	e.reviews = &rv;
	e.n_reviews = 1;
	struct store_batch *b = store_batch_new(on_commit, f);
	assert_int_equal(store_batch_add_effects(b, &e, NULL), 0);
	assert_int_equal(store_batch_rows(b), n + 2);
	/* an operator's accept of it, as a console writes it */
	struct store_operator_action act;
	memset(&act, 0, sizeof(act));
	act.action = ACTION_ACCEPT;
	act.review_id = 7;
	snprintf(act.actor, sizeof(act.actor), "alice");
	act.time_ms = T0 + 9 * HOUR;
	assert_int_equal(store_batch_add_action(b, &act), 0);
	assert_int_equal(store_submit(f->s, b), 0);
	flush(f);

	assert_int_equal(count(f->path, "SELECT count(*) FROM rollup_hour"), 16);
	assert_int_equal(count(f->path, "SELECT count(*) FROM rollup_minute"), 3);
	assert_int_equal(count(f->path, "SELECT sum(requests) FROM rollup_minute"), 15);
	assert_int_equal(count(f->path, "SELECT review_id FROM operator_actions"), 7);

	ask(f, STORE_Q_BASELINES);
	assert_int_equal(f->n_models, 1);
	assert_memory_equal(&f->models[0], m, sizeof(*m));
	assert_int_equal(f->refreshed[0], refreshed);
	/* the alias's hours since its refresh (4..7); the aggregate has no
	 * model: every hour within a week of the newest (0..7) */
	assert_int_equal(f->n_hours, 4 + 8);
	size_t alias_hours = 0;
	for (size_t i = 0; i < f->n_hours; i++)
		if (f->hour_keys[i].alias[0]) {
			assert_true(f->hours[i] >= refreshed);
			alias_hours++;
		}
	assert_int_equal(alias_hours, 4);
	assert_int_equal(f->n_minutes, 3);
	assert_int_equal(f->minutes[0], T0 + 8 * HOUR);
	assert_int_equal(f->n_reviews, 1);
	assert_int_equal(f->reviews[0], 7);
	ask(f, STORE_Q_MAX_IDS);
	assert_int_equal(f->ids.review, 7);
	ask(f, STORE_Q_ACTIONS_UNAPPLIED);

	/* the hour closes after all: its minutes no longer restore; the review
	 * is accepted: it no longer waits */
	b = store_batch_new(on_commit, f);
	static struct rollup h8;
	h8 = make_rollup(T0 + 8 * HOUR, HOUR, 15);
	assert_int_equal(store_batch_add_rollup(b, &alias, &h8, true), 0);
	rv.state = PRV_ACCEPTED;
	model_copy_str(rv.actor, sizeof(rv.actor), "alice", (size_t)-1);
	rv.decided_ms = T0 + 9 * HOUR;
	assert_int_equal(store_batch_add_review(b, &rv), 0);
	assert_int_equal(store_submit(f->s, b), 0);
	flush(f);
	ask(f, STORE_Q_BASELINES);
	assert_int_equal(f->n_minutes, 0);
	assert_int_equal(f->n_reviews, 0);
	assert_int_equal(count(f->path, "SELECT count(*) FROM baseline_reviews WHERE state = "
	                                "'accepted' AND actor = 'alice'"),
	                 1);
	close_store(f);
	free(m);
}

/* Rollups are pruned on the events' clock: a database whose events are in
 * 2100 keeps the recent minutes (the wall clock says they are from the
 * future) and loses the older ones. */
static void test_retention_events_clock(void **state)
{
	struct fx *f = *state;
	open_store(f, 2 * HOUR, 24 * HOUR);
	const struct rollup_series k = { "anthropic", "", OBS_PROBE };
	struct store_batch *b = store_batch_new(on_commit, f);
	static struct rollup r[40];
	for (int i = 0; i < 30; i++) {
		r[i] = make_rollup(T0 + i * 10 * MINUTE_MS, MINUTE_MS, 2); /* 5 hours of minutes */
		assert_int_equal(store_batch_add_rollup(b, &k, &r[i], false), 0);
	}
	for (int i = 0; i < 3; i++) { /* hours 2 days ago, and now */
		r[30 + i] = make_rollup(T0 - 48 * HOUR + i * HOUR, HOUR, 2);
		assert_int_equal(store_batch_add_rollup(b, &k, &r[30 + i], true), 0);
	}
	r[33] = make_rollup(T0 + 4 * HOUR, HOUR, 2);
	assert_int_equal(store_batch_add_rollup(b, &k, &r[33], true), 0);
	assert_int_equal(store_submit(f->s, b), 0);
	flush(f);
	/* the clock is the latest end: T0 + 5h; minutes before T0 + 3h go,
	 * hours before T0 - 19h go */
	int64_t left_min = -1, left_hour = -1;
	for (int i = 0; i < 4000; i++) {
		left_min = count(f->path, "SELECT count(*) FROM rollup_minute");
		left_hour = count(f->path, "SELECT count(*) FROM rollup_hour");
		if (left_min == 12 && left_hour == 1)
			break;
		uv_sleep(5);
	}
	assert_int_equal(left_min, 12); /* T0 + 3h .. T0 + 4h50 */
	assert_int_equal(left_hour, 1);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT min(start_ms) FROM rollup_minute");
	assert_int_equal(count(f->path, sql), T0 + 3 * HOUR);
	close_store(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_events_clock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
