/*
 * test_console_review.c: the console's baselines (the Review list and the
 * warmth) on a real database: traffic through the real pipeline and store
 * (tests/support/consoledb), then models and review items as a refresh
 * leaves them (consoledb_add_baselines()). What data/console_read puts in
 * the snapshot agrees with the tables and the models: the review items (the
 * waiting ones first, by id, then the decided one with who decided it), the
 * size of a step in its unit from the model ("p95 ~900ms -> x1.6"), the
 * warmth per source and per health row (probes warm more slowly, and at
 * about 60 samples an hour); the keys b, a and Enter queue an accept for the
 * review item (not an incident), the reader thread writes it into
 * operator_actions as `vigil baseline review accept` does (action "accept",
 * review_id, unapplied), the next snapshot shows it pending, a second
 * decision on it is refused; once applied (as the daemon's batch marks it,
 * with the item decided) the list shows the outcome. Also: a schema-3
 * database has no baselines; text from the database arrives inert; the
 * count of items waiting is all of them when more wait than are listed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/baseline.h"
#include "core/vgerr.h"
#include "data/baseline_db.h"
#include "data/console_read.h"
#include "tests/support/consoledb.h"
#include "tests/support/testutil.h"
#include "tests/support/tu_sql.h"
#include "tui/console.h"
#include "tui/console_reader.h"
#include "tui/grid.h"
#include "tui/keys.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END_MS 1795773600000LL /* 2026-11-27T10:00:00Z, a Friday */

struct fx {
	char *dir;
	char path[512];
	struct consoledb_result r;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = tu_mkdtemp("reviewdb");
	snprintf(f->path, sizeof(f->path), "%s/vigil.db", f->dir);
	struct consoledb_opts o = {
		.observations = 6000,
		.span_ms = 2 * 3600000LL,
		.end_ms = END_MS,
		.seed = 11,
		.background_error_rate = 0.02,
		.health_every_ms = 5000,
	};
	assert_int_equal(consoledb_fill(f->path, &o, &f->r), 0);
	assert_int_equal(consoledb_add_baselines(f->path, END_MS), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void sql_exec(const char *path, const char *q)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

static struct snapshot *build(const struct fx *f)
{
	struct console_read *db = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &db, &cause), 0);
	struct snapshot *s = snapshot_new();
	int rc = console_read_build(db, s, END_MS + 1000, 0, &cause);
	if (rc != 0)
		fail_msg("build: %s", cause);
	console_read_close(db);
	return s;
}

static const struct snap_provider *row(const struct snapshot *s, const char *p, const char *m)
{
	for (int i = 0; i < s->n_providers; i++)
		if (!strcmp(s->providers[i].provider, p) && !strcmp(s->providers[i].model, m))
			return &s->providers[i];
	return NULL;
}

/* The snapshot's review items and warmth, against the tables and models. */
static void test_read(void **state)
{
	struct fx *f = *state;
	struct snapshot *s = build(f);
	assert_int_equal(s->n_reviews,
	                 tu_sql_int(f->path, "SELECT count(*) FROM baseline_reviews"));
	assert_int_equal(s->n_reviews_waiting, 2);
	/* waiting first, by id; then the decided one with its outcome */
	assert_int_equal(s->reviews[0].id, 1);
	assert_int_equal(s->reviews[1].id, 2);
	assert_int_equal(s->reviews[2].id, 3);
	const struct snap_review *agg = &s->reviews[0], *alias = &s->reviews[1];
	assert_int_equal(agg->state, SNAP_REV_WAITING);
	assert_string_equal(agg->provider, "openai");
	assert_string_equal(agg->alias, "");
	assert_false(agg->probe);
	assert_string_equal(agg->metric, "latency");
	assert_string_equal(alias->alias, "gpt-4o-mini");
	assert_string_equal(alias->model, "gpt-4o-mini-2024-12-01");
	assert_true(alias->near_marker);
	assert_false(alias->pending);
	assert_int_equal(alias->at_ms, END_MS - END_MS % 3600000LL - 86400000LL);
	/* the step in its unit, from the model: the hours were 810-990 ms, so
	 * the slot's usual p95 is near 980 ms; after it, 1.6 times that */
	assert_false(isnan(alias->before));
	assert_true(alias->before > 850 && alias->before < 1050);
	assert_true(fabs(alias->after / alias->before - 1.6) < 1e-9);
	char change[200];
	review_change_text(alias, true, change, sizeof(change));
	assert_non_null(strstr(change, "p95 "));
	assert_non_null(strstr(change, " -> 1.5s after gpt-4o-mini-2024-12-01") ||
	                strstr(change, " -> 1.6s after gpt-4o-mini-2024-12-01"));
	const struct snap_review *dec = &s->reviews[2];
	assert_int_equal(dec->state, SNAP_REV_REJECTED);
	assert_string_equal(dec->actor, "bob");
	assert_int_equal(dec->decided_ms, END_MS - 3600000LL);
	assert_true(isnan(dec->before)); /* decided: no values */

	/* Warmth: the gateway series are warm, the probes' Mondays only. */
	assert_int_equal(s->learning.series[0], 3);
	assert_int_equal(s->learning.series[1], 1);
	assert_true(s->learning.warm[0] > 0.99);
	assert_true(fabs(s->learning.warm[1] - 24.0 / 168) < 1e-9);
	assert_true(fabs(s->learning.per_hour[1] - 60) < 1e-9);
	struct baseline_settings bs;
	baseline_defaults(&bs);
	assert_true(s->learning.weeks_to_warm[1] == baseline_weeks_to_warm(&bs, 60));
	/* a gateway series' rate is the hours' own (the 2 h of consoledb traffic) */
	assert_false(isnan(s->learning.per_hour[0]));
	assert_true(s->learning.weeks_to_warm[1] > s->learning.weeks_to_warm[0]);
	char t[96];
	assert_true(learning_text(s, 0, t, sizeof(t)));
	assert_string_equal(t, "baselines: 100% of slots warm");
	assert_true(learning_text(s, 1, t, sizeof(t)));
	assert_string_equal(t, "probes: learning 14%, ~60 samples/h");
	/* per health row: the provider's row shows its aggregates, the model's row
	 * its alias series; a provider without a model shows none */
	const struct snap_provider *op = row(s, "openai", "");
	assert_non_null(op);
	assert_true(op->warm[0] > 0.99);
	assert_true(fabs(op->warm[1] - 24.0 / 168) < 1e-9);
	assert_true(fabs(op->per_hour[1] - 60) < 1e-9);
	const struct snap_provider *om = row(s, "openai", "gpt-4o-mini");
	assert_non_null(om);
	assert_true(om->warm[0] > 0.99);
	assert_true(isnan(om->warm[1]));
	const struct snap_provider *gg = row(s, "google", "");
	assert_non_null(gg);
	assert_true(isnan(gg->warm[0]) && isnan(gg->warm[1]));
	snapshot_free(s);
}

struct seen {
	int n, errs;
};

static void on_snap(void *ud, const struct snapshot *s, int err, const char *cause)
{
	(void)ud;
	(void)s;
	(void)err;
	(void)cause;
}

static void on_act(void *ud, const struct op_action *a, int err, const char *cause)
{
	struct seen *seen = ud;
	(void)a;
	(void)cause;
	seen->n++;
	seen->errs += err != 0;
}

/* b, select the alias's item, a, a note, Enter: an accept of review #2
 * through the reader's restricted writer; then the outcome. */
static void test_accept(void **state)
{
	struct fx *f = *state;
	struct snapshot *s = build(f);
	struct console *c = calloc(1, sizeof(*c));
	console_init(c, "alice", NULL);
	struct surface *g = grid_new(24, 80, true, true);
	console_draw(c, s, g);
	console_update(c, s);
	console_key(c, s, 'b');
	assert_int_equal(c->view, VIEW_REVIEW);
	console_key(c, s, 'j');
	assert_int_equal(review_selected(&c->review, s)->id, 2);
	console_key(c, s, 'a');
	assert_int_equal(c->prompt_kind, PROMPT_ACCEPT);
	for (const char *p = "new snapshot"; *p; p++)
		console_key(c, s, (unsigned char)*p);
	assert_true(console_key(c, s, TK_ENTER) & PANE_ACTION);
	assert_non_null(strstr(c->message, "accepted review #2"));
	struct op_action a;
	assert_true(console_take_action(c, &a));
	assert_int_equal(a.kind, ACTION_ACCEPT);
	assert_int_equal(a.review_id, 2);
	assert_int_equal(a.incident_id, 0);

	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct seen seen = { 0 };
	struct console_reader_opts o = {
		.db_path = f->path,
		.writer = true,
		.on_snapshot = on_snap,
		.on_action = on_act,
		.ud = &seen,
	};
	struct console_reader *r = NULL;
	char *cause = NULL;
	assert_int_equal(console_reader_start(&loop, &o, &r, &cause), 0);
	assert_int_equal(console_reader_write(r, &a, END_MS + 2000), 0);
	op_action_done(&a);
	for (int i = 0; i < 100000 && seen.n < 1; i++)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.errs, 0);
	console_reader_stop(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	/* the row `vigil baseline review accept 2` writes for a running daemon */
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM operator_actions WHERE action = "
	                                     "'accept' AND review_id = 2 AND actor = 'alice' AND "
	                                     "applied = 0 AND note = 'new snapshot' AND "
	                                     "coalesce(incident_id, 0) = 0"),
	                 1);

	/* The next snapshot shows it pending; deciding it again is refused. */
	snapshot_free(s);
	s = build(f);
	console_update(c, s);
	const struct snap_review *rv = review_selected(&c->review, s);
	assert_int_equal(rv->id, 2);
	assert_true(rv->pending);
	console_key(c, s, 'r');
	assert_int_equal(c->prompt_kind, PROMPT_NONE);
	assert_non_null(strstr(c->message, "waits for the daemon"));
	assert_int_equal(c->n_actions, 0);

	/* The daemon applies it: the item is decided and the action applied in
	 * one batch (daemon_actions.c); the list shows the outcome, still on #2. */
	sql_exec(f->path, "UPDATE baseline_reviews SET state = 'accepted', actor = 'alice', "
	                  "decided_ms = 1795773603000 WHERE id = 2");
	sql_exec(f->path, "UPDATE operator_actions SET applied = 1 WHERE review_id = 2");
	snapshot_free(s);
	s = build(f);
	console_update(c, s);
	assert_int_equal(s->n_reviews_waiting, 1);
	rv = review_selected(&c->review, s);
	assert_int_equal(rv->id, 2);
	assert_int_equal(rv->state, SNAP_REV_ACCEPTED);
	assert_false(rv->pending);
	assert_string_equal(rv->actor, "alice");
	console_draw(c, s, g);
	char *screen = grid_dump(g, false);
	assert_non_null(strstr(screen, "accepted by alice"));
	assert_non_null(strstr(screen, "the baseline absorbed the step"));
	free(screen);
	console_key(c, s, 'a');
	assert_non_null(strstr(c->message, "review #2 was accepted already"));
	assert_int_equal(c->n_actions, 0);
	grid_free(g);
	console_done(c);
	free(c);
	snapshot_free(s);
}

/* A database of schema 3 (before the baselines' tables, migration 4) is
 * refused by name, as one without baselines; the console's borrowed reader
 * refuses it too (before: accepted, and every query then failed). */
static void test_schema_without_baselines(void **state)
{
	struct fx *f = *state;
	char path[600];
	snprintf(path, sizeof(path), "%s/v3.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
	struct baseline_db *bl = NULL;
	assert_int_equal(baseline_db_borrow(db, &bl), VG_EVERSION);
	assert_null(bl);
	sqlite3_close(db);
	char *cause = NULL;
	assert_int_equal(baseline_db_open(path, &bl, &cause), VG_EVERSION);
	assert_non_null(strstr(cause, "schema version 3 has no baselines yet"));
	free(cause);
	assert_null(bl);
}

/* More items wait than a snapshot lists: the count says how many wait. */
static void test_many_waiting(void **state)
{
	struct fx *f = *state;
	struct snapshot *s = build(f);
	int before = s->n_reviews_waiting;
	snapshot_free(s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	for (int i = 0; i < 40; i++)
		assert_int_equal(
		        sqlite3_exec(
		                db,
		                "INSERT INTO baseline_reviews (provider, alias, source, metric, "
		                "delta, z, at_ms, created_ms, near_marker, detail, state) "
		                "VALUES ('google', '', 'gateway', 'timeout', 1.0, 7.0, 0, 0, 0, "
		                "'timeout +172%', 'waiting')",
		                NULL, NULL, NULL),
		        SQLITE_OK);
	sqlite3_close(db);
	s = build(f);
	assert_int_equal(s->n_reviews, SNAP_MAX_REVIEWS);
	assert_int_equal(s->n_reviews_waiting, before + 40);
	assert_true(s->n_reviews_waiting > SNAP_MAX_REVIEWS);
	for (int i = 0; i < s->n_reviews; i++)
		assert_int_equal(s->reviews[i].state, SNAP_REV_WAITING);
	snapshot_free(s);
}

/* Text from the database (a model name, the stored detail) arrives inert. */
static void test_hostile_text(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "INSERT INTO baseline_reviews (id, provider, alias, source, "
	                              "metric, delta, z, at_ms, created_ms, near_marker, model, "
	                              "detail, state) VALUES (1000, 'ev' || char(27) || '[2Jil', "
	                              "'gpt' || char(27) || ']0;pwned' || char(7), 'gateway', "
	                              "'latency', 0.5, 7.0, 0, 0, 1, 'm' || char(27) || '[31m', "
	                              "'latency ' || char(27) || ']52;c;eA==' || char(7), "
	                              "'waiting')",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	struct snapshot *s = build(f);
	const struct snap_review *r = snapshot_find_review(s, 1000);
	assert_non_null(r);
	const char *fields[] = { r->provider, r->alias, r->model, r->detail };
	for (size_t i = 0; i < 4; i++)
		for (const char *p = fields[i]; *p; p++)
			assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	assert_non_null(strstr(r->detail, "latency "));
	snapshot_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_schema_without_baselines),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_many_waiting), /* last: it fills the list */
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
