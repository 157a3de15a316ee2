/*
 * test_console_read.c: the console's read and act API (data/console_read,
 * data/console_act) on a real database written by the real pipeline and
 * store (tests/support/consoledb): what the builder reads agrees with the
 * tables it reads from (counted independently with SQL), every console
 * query has a plan without a full scan of a raw table, the console's writer
 * connection can insert operator actions and nothing else (directly, and
 * through tui/console_reader's thread), a database of a newer schema is
 * refused by its version, and a model name carrying escape sequences arrives
 * inert.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "tests/support/consoledb.h"
#include "tests/support/testutil.h"
#include "tests/support/tu_sql.h"
#include "tui/console.h"
#include "tui/console_reader.h"
#include "data/console_act.h"
#include "data/console_read.h"
#include "data/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END_MS 1795773600000LL /* 2026-11-27T07:20:00Z */

struct fx {
	char *dir;
	char path[512];
	struct consoledb_result r;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = tu_mkdtemp("snapdb");
	snprintf(f->path, sizeof(f->path), "%s/vigil.db", f->dir);
	struct consoledb_opts o = {
		.observations = 60000,
		.span_ms = 2 * 3600000LL,
		.end_ms = END_MS,
		.seed = 7,
		.background_error_rate = 0.02,
		.health_every_ms = 2000,
		.hostile_model = "gemini\x1b]0;pwned\x07-1.5\x1b[2J",
	};
	assert_int_equal(consoledb_fill(f->path, &o, &f->r), 0);
	assert_true(f->r.events > 100);
	assert_true(f->r.outage_incident > 0);
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

static void test_build(void **state)
{
	struct fx *f = *state;
	struct console_read *db = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &db, &cause), 0);
	struct snapshot *s = snapshot_new();
	assert_int_equal(console_read_build(db, s, END_MS + 1000, f->r.outage_incident, &cause), 0);

	/* Health: one row per provider and provider/model; the primary is failing. */
	assert_int_equal(s->n_providers, tu_sql_int(f->path, "SELECT count(*) FROM health"));
	const struct snap_provider *openai = NULL;
	for (int i = 0; i < s->n_providers; i++)
		if (!strcmp(s->providers[i].provider, "openai") && !s->providers[i].model[0])
			openai = &s->providers[i];
	assert_non_null(openai);
	assert_true(openai->has_breaker);
	assert_true(openai->availability < 0.9);
	assert_true(openai->n_spark > 10);
	assert_int_equal(s->last_data_ms, END_MS);

	/* Transitions: the newest first, as many as the table holds (up to the cap). */
	int64_t nt = tu_sql_int(f->path, "SELECT count(*) FROM breaker_transitions");
	assert_int_equal(s->n_transitions, nt < SNAP_MAX_TRANSITIONS ? nt : SNAP_MAX_TRANSITIONS);
	for (int i = 1; i < s->n_transitions; i++)
		assert_true(s->transitions[i - 1].time_ms >= s->transitions[i].time_ms);

	/* Taxonomy over 24 h: every failure event (the data spans 2 h). */
	int64_t total = 0;
	for (int c = 0; c < CAT__COUNT; c++)
		for (int v = 0; v < SEV__COUNT; v++)
			total += s->taxonomy[SNAP_W_24H][c][v];
	assert_int_equal(total, tu_sql_int(f->path, "SELECT count(*) FROM failure_events"));
	int64_t prov5 = 0;
	for (int v = 0; v < SEV__COUNT; v++)
		prov5 += s->taxonomy[SNAP_W_5M][CAT_PROVIDER][v];
	assert_int_equal(prov5,
	                 tu_sql_int(f->path, "SELECT count(*) FROM failure_events WHERE "
	                                     "category = 'provider' AND time_ms >= 1795773360000"));

	/* Incidents: unresolved first; the outage is there with its detail. */
	assert_true(s->n_incidents > 0);
	const struct snap_incident *out = snapshot_find_incident(s, f->r.outage_incident);
	assert_non_null(out);
	assert_int_equal(out->category, CAT_PROVIDER);
	assert_string_equal(out->provider, "openai");
	assert_int_equal(out->count,
	                 tu_sql_int(f->path, "SELECT count FROM incidents WHERE id = (SELECT "
	                                     "max(id) FROM incidents WHERE key LIKE "
	                                     "'provider/openai/outage%')"));
	assert_int_equal(s->detail.incident_id, f->r.outage_incident);
	assert_int_equal(s->detail.n_samples, 3);
	/* The outage's samples are 5xx (the first may be a background 504). */
	for (int i = 0; i < 3; i++)
		assert_non_null(strstr(s->detail.samples[i].text, "status 50"));
	assert_non_null(strstr(s->detail.samples[2].text, "status 503"));
	assert_null(strstr(s->detail.samples[2].text, "predicted"));
	/* Latency with its unit apart: "latency 812 ms", never "812ms" (cut, it
	 * read as minutes: "812m"). */
	int latencies = 0;
	for (int i = 0; i < 3; i++) {
		const char *l = strstr(s->detail.samples[i].text, "latency ");
		if (!l)
			continue;
		latencies++;
		l += strlen("latency ");
		while (*l >= '0' && *l <= '9')
			l++;
		assert_true(strncmp(l, " ms", 3) == 0);
	}
	assert_true(latencies > 0);
	assert_true(s->detail.n_timeline >= 1);
	assert_int_equal(s->detail.timeline[0].kind, SNAP_TL_OPENED);
	assert_non_null(strstr(out->summary, "on openai"));
	bool resolved_seen = false;
	for (int i = 0; i < s->n_incidents; i++) {
		if (s->incidents[i].state == SNAP_INC_RESOLVED)
			resolved_seen = true;
		else
			assert_false(resolved_seen); /* open ones come first */
	}

	/* Evidence: the primary's non-2xx share matches the rollup. */
	const struct triage_evidence *ev = snapshot_evidence_for(s, "openai");
	assert_string_equal(ev->scope, "openai");
	double req =
	        (double)tu_sql_int(f->path, "SELECT sum(requests) FROM obs_minute WHERE provider "
	                                    "= 'openai' AND minute_ms >= 1795773360000");
	double err =
	        (double)tu_sql_int(f->path, "SELECT sum(errors) FROM obs_minute WHERE provider "
	                                    "= 'openai' AND minute_ms >= 1795773360000");
	assert_true(fabs(ev->v[TM_NON2XX_RATE] - err / req) < 1e-9);
	assert_true(ev->v[TM_NON2XX_RATE] > 0.2);
	assert_true(ev->v[TM_HARD_FAIL_RATE] > 0.1);
	assert_true(s->evidence.v[TM_TOKEN_INFLATION_RATE] > 0.05);

	/* Escapes in a model name arrive inert. */
	for (int i = 0; i < s->n_providers; i++) {
		assert_null(strchr(s->providers[i].model, 0x1b));
		assert_null(strchr(s->providers[i].model, 0x07));
	}
	snapshot_free(s);
	console_read_close(db);
}

/* A full scan of a table that grows with traffic is what the console must
 * never do once a second. */
static void test_query_plans(void **state)
{
	struct fx *f = *state;
	static const char *const raw[] = { "observations",     "failure_events",
		                           "incident_history", "breaker_transitions",
		                           "operator_actions", "incidents",
		                           "outbox",           "quarantine" };
	static const char *const allowed_index[] = { "incidents_open",
		                                     "operator_actions_unapplied" };
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	size_t n;
	const char *const *qs = console_read_queries(&n);
	int checked = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(qs[i], "SELECT", 6) != 0)
			continue;
		char q[2048];
		snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", qs[i]);
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(st, 3);
			for (size_t t = 0; t < sizeof(raw) / sizeof(raw[0]); t++) {
				char scan[64];
				snprintf(scan, sizeof(scan), "SCAN %s", raw[t]);
				if (strncmp(detail, scan, strlen(scan)) != 0 ||
				    (detail[strlen(scan)] != '\0' && detail[strlen(scan)] != ' '))
					continue;
				bool ok = false;
				for (size_t k = 0; k < 2; k++)
					ok |= strstr(detail, allowed_index[k]) != NULL;
				if (!ok)
					fail_msg("full scan of %s in: %s\nplan: %s", raw[t], qs[i],
					         detail);
			}
		}
		sqlite3_finalize(st);
		checked++;
	}
	assert_true(checked >= 10);
	sqlite3_close(db);
}

/* The console's writer connection inserts operator actions and nothing else. */
static void test_act_only_inserts_actions(void **state)
{
	struct fx *f = *state;
	struct console_act *w = NULL;
	char *cause = NULL;
	assert_int_equal(console_act_open(f->path, &w, &cause), 0);
	int64_t before = tu_sql_int(f->path, "SELECT count(*) FROM operator_actions");
	struct store_operator_action a = {
		.id = 999, /* ignored: the database assigns it */
		.incident_id = f->r.outage_incident,
		.action = ACTION_ACK,
		.note = "on it",
		.time_ms = END_MS,
		.applied = true, /* ignored: a new action is unapplied */
	};
	snprintf(a.actor, sizeof(a.actor), "carol");
	assert_int_equal(console_act_write(w, &a, NULL, &cause), 0);
	assert_int_equal(tu_sql_int(f->path,
	                            "SELECT count(*) FROM operator_actions WHERE actor = "
	                            "'carol' AND action = 'ack' AND applied = 0 AND note = "
	                            "'on it' AND id != 999"),
	                 1);
	/* A note-less action stores NULL. */
	a.action = ACTION_RESOLVE;
	a.note = NULL;
	assert_int_equal(console_act_write(w, &a, NULL, &cause), 0);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM operator_actions WHERE action = "
	                                     "'resolve' AND note IS NULL"),
	                 1);
	/* Anything else is refused by the authorizer. */
	static const char *const bad[] = {
		"UPDATE incidents SET state = 'resolved'",
		"DELETE FROM operator_actions",
		"UPDATE operator_actions SET applied = 1",
		("INSERT INTO incident_history (incident_id, time_ms, what, state, severity, "
		 "count) "
		 "VALUES (1, 1, 'x', 'open', 'low', 1)"),
		"CREATE TABLE x (a)",
		"DROP TABLE observations",
		"PRAGMA journal_mode = DELETE",
		"ATTACH DATABASE ':memory:' AS m",
	};
	sqlite3 *db = console_act_db(w);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		int rc = sqlite3_exec(db, bad[i], NULL, NULL, &err);
		if (rc == SQLITE_OK)
			fail_msg("allowed: %s", bad[i]);
		sqlite3_free(err);
	}
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM operator_actions"), before + 2);
	console_act_close(w);
}

struct acts_seen {
	int n, errs;
};

static void on_snap_ignored(void *ud, const struct snapshot *s, int err, const char *cause)
{
	(void)ud;
	(void)s;
	(void)err;
	(void)cause;
}

static void on_act_seen(void *ud, const struct op_action *a, int err, const char *cause)
{
	struct acts_seen *seen = ud;
	(void)a;
	(void)cause;
	seen->n++;
	seen->errs += err != 0;
}

/* The console's actions, through its reader thread: an acknowledgement with
 * its note, and the wizard's path as its JSON under the action "triage". */
static void test_reader_writes_actions(void **state)
{
	struct fx *f = *state;
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct acts_seen seen = { 0 };
	struct console_reader_opts o = {
		.db_path = f->path,
		.writer = true,
		.on_snapshot = on_snap_ignored,
		.on_action = on_act_seen,
		.ud = &seen,
	};
	struct console_reader *r = NULL;
	char *cause = NULL;
	assert_int_equal(console_reader_start(&loop, &o, &r, &cause), 0);
	struct op_action a = { .kind = ACTION_ACK, .incident_id = f->r.outage_incident };
	snprintf(a.by, sizeof(a.by), "dave");
	snprintf(a.note, sizeof(a.note), "looking");
	assert_int_equal(console_reader_write(r, &a, END_MS), 0);
	struct op_action t = { .kind = ACTION_TRIAGE, .incident_id = f->r.outage_incident };
	snprintf(t.by, sizeof(t.by), "dave");
	t.payload = strdup("{\"summary\":\"x\"}");
	assert_int_equal(console_reader_write(r, &t, END_MS), 0); /* copies the payload */
	op_action_done(&t);
	for (int i = 0; i < 100000 && seen.n < 2; i++)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.errs, 0);
	console_reader_stop(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM operator_actions WHERE actor = "
	                                     "'dave' AND action = 'ack' AND note = 'looking'"),
	                 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM operator_actions WHERE actor = "
	                                     "'dave' AND action = 'triage' AND note = "
	                                     "'{\"summary\":\"x\"}'"),
	                 1);
	/* A console opened without its writer refuses to write. */
	o.writer = false;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(console_reader_start(&loop, &o, &r, &cause), 0);
	assert_int_equal(console_reader_write(r, &a, END_MS), VG_ESTATE);
	console_reader_stop(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void sql_exec(const char *path, const char *q)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

struct outcomes {
	int n, refused;
	enum action_kind kind;
	int64_t incident;
	char text[200];
};

static void on_outcome_seen(void *ud, const struct op_action *a, bool refused, const char *text)
{
	struct outcomes *o = ud;
	o->n++;
	o->refused += refused;
	o->kind = a->kind;
	o->incident = a->incident_id;
	snprintf(o->text, sizeof(o->text), "%s", text);
}

static void on_act_ignored(void *ud, const struct op_action *a, int err, const char *cause)
{
	(void)ud;
	(void)a;
	(void)cause;
	assert_int_equal(err, 0);
}

/* Each action's outcome comes back to the console that wrote it: by id,
 * once the daemon has taken it (here, as the daemon does, an UPDATE of
 * applied and outcome), at the next snapshot build. */
static void test_reader_reports_outcomes(void **state)
{
	struct fx *f = *state;
	struct console_act *w = NULL;
	char *cause = NULL;
	assert_int_equal(console_act_open(f->path, &w, &cause), 0);
	struct store_operator_action row = { .incident_id = f->r.outage_incident,
		                             .action = ACTION_ACK,
		                             .time_ms = END_MS };
	snprintf(row.actor, sizeof(row.actor), "erin");
	int64_t id = 0;
	assert_int_equal(console_act_write(w, &row, &id, &cause), 0);
	assert_true(id > 0);
	struct console_act_outcome out;
	assert_int_equal(console_act_outcome(w, id, &out, &cause), 0);
	assert_false(out.decided);
	assert_int_equal(console_act_outcome(w, id + 1000, &out, &cause), VG_ENOTFOUND);
	char q[300];
	snprintf(q, sizeof(q),
	         "UPDATE operator_actions SET applied = 1, outcome = 'applied' WHERE id = %lld",
	         (long long)id);
	sql_exec(f->path, q);
	assert_int_equal(console_act_outcome(w, id, &out, &cause), 0);
	assert_true(out.decided);
	assert_false(out.refused);
	assert_string_equal(out.text, "applied");
	console_act_close(w);

	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct outcomes seen = { 0 };
	struct console_reader_opts o = {
		.db_path = f->path,
		.writer = true,
		.on_snapshot = on_snap_ignored,
		.on_action = on_act_ignored,
		.on_outcome = on_outcome_seen,
		.ud = &seen,
	};
	struct console_reader *r = NULL;
	assert_int_equal(console_reader_start(&loop, &o, &r, &cause), 0);
	struct op_action a = { .kind = ACTION_ACK, .incident_id = f->r.outage_incident };
	snprintf(a.by, sizeof(a.by), "frank");
	assert_int_equal(console_reader_write(r, &a, END_MS), 0);
	for (int i = 0; i < 100000 && tu_sql_int(f->path, "SELECT count(*) FROM operator_actions "
	                                                  "WHERE actor = 'frank'") == 0;
	     i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	console_reader_request(r, END_MS, 0);
	for (int i = 0; i < 200; i++) /* written and built: not taken yet, nothing said */
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(seen.n, 0);
	int64_t mine =
	        tu_sql_int(f->path, "SELECT max(id) FROM operator_actions WHERE actor = 'frank'");
	assert_true(mine > id);
	snprintf(q, sizeof(q),
	         "UPDATE operator_actions SET applied = 1, outcome = 'refused: incident #%lld is "
	         "acknowledged (invalid state)' WHERE id = %lld",
	         (long long)f->r.outage_incident, (long long)mine);
	sql_exec(f->path, q);
	for (int i = 0; i < 100000 && seen.n == 0; i++) {
		if (i % 1000 == 0)
			console_reader_request(r, END_MS, 0);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.refused, 1);
	assert_int_equal(seen.kind, ACTION_ACK);
	assert_int_equal(seen.incident, f->r.outage_incident);
	assert_non_null(strstr(seen.text, "refused: incident #"));
	assert_non_null(strstr(seen.text, "is acknowledged"));
	console_reader_request(r, END_MS, 0); /* said once */
	for (int i = 0; i < 200; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(seen.n, 1);
	console_reader_stop(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct console_read *db = NULL;
	char *cause = NULL;
	char path[600];
	snprintf(path, sizeof(path), "%s/missing.db", f->dir);
	assert_int_equal(console_read_open(path, &db, &cause), VG_EIO);
	assert_non_null(strstr(cause, "missing.db"));
	free(cause);
	/* A file that is not a vigil database. */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	sqlite3 *o;
	assert_int_equal(sqlite3_open(path, &o), SQLITE_OK);
	sqlite3_exec(o, "CREATE TABLE t (a)", NULL, NULL, NULL);
	sqlite3_close(o);
	cause = NULL;
	assert_int_equal(console_read_open(path, &db, &cause), VG_EDB);
	assert_non_null(strstr(cause, "not a vigil database"));
	free(cause);
	assert_null(db);
}

/* A database whose schema is newer than this build's is refused by its
 * version (VG_EVERSION), even though every console query still prepares on
 * it; the same file at the known version opens. */
static void test_open_newer_schema(void **state)
{
	struct fx *f = *state;
	char path[600], sql[700];
	snprintf(path, sizeof(path), "%s/newer.db", f->dir);
	sqlite3 *o;
	assert_int_equal(sqlite3_open_v2(f->path, &o, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", path);
	assert_int_equal(sqlite3_exec(o, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(o);
	assert_int_equal(tu_sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);

	struct console_read *db = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(path, &db, &cause), 0);
	assert_non_null(db);
	console_read_close(db);

	assert_int_equal(sqlite3_open(path, &o), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
	assert_int_equal(sqlite3_exec(o, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(o);
	db = NULL;
	assert_int_equal(console_read_open(path, &db, &cause), VG_EVERSION);
	assert_null(db);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "newer.db"));
	assert_non_null(strstr(cause, "newer than this vigil knows"));
	free(cause);
}

/* The 24 h taxonomy is kept between builds and moved along: at every step
 * of a clock sliding the window across the data (and once backwards), it
 * equals a direct sum over event_minute. */
static void test_taxonomy_day_moves(void **state)
{
	struct fx *f = *state;
	struct console_read *db = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &db, &cause), 0);
	struct snapshot *s = snapshot_new();
	int64_t now = END_MS + 22 * 3600000LL;
	int changed = 0;
	int64_t prev = -1;
	for (int i = 0; i < 240; i++) {
		if (i == 120)
			now -= 25 * 60000LL; /* a clock going back: summed again */
		assert_int_equal(console_read_build(db, s, now, 0, &cause), 0);
		int64_t got = 0;
		for (int c = 0; c < CAT__COUNT; c++)
			for (int v = 0; v < SEV__COUNT; v++)
				got += s->taxonomy[SNAP_W_24H][c][v];
		int64_t from = now / 60000 * 60000 - 86400000LL + 60000;
		char q[160];
		snprintf(
		        q, sizeof(q),
		        "SELECT coalesce(sum(events), 0) FROM event_minute WHERE minute_ms >= %lld",
		        (long long)from);
		assert_int_equal(got, tu_sql_int(f->path, q));
		changed += prev >= 0 && got != prev;
		prev = got;
		now += 37000;
	}
	/* The window did cross the data. */
	assert_true(changed > 10);
	assert_int_equal(prev, 0);
	snapshot_free(s);
	console_read_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_query_plans),
		cmocka_unit_test(test_taxonomy_day_moves),
		cmocka_unit_test(test_act_only_inserts_actions),
		cmocka_unit_test(test_reader_writes_actions),
		cmocka_unit_test(test_reader_reports_outcomes),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_newer_schema),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
