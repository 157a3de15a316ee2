/*
 * test_store.c: the store thread against a real SQLite file in a temporary
 * directory: schema and file mode, every row kind written and read back
 * (through the query API and through a separate read-only connection, as a
 * console would), dedupe counts, back-pressure, a too-new schema, retention.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "data/store.h"
#include "tests/support/testutil.h"
#include "tests/support/tu_sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct waiter {
	int commits, answers, space;
	struct store_commit last;
	int64_t inserted, duplicates;
	int errs;
	struct store_answer copy; /* shallow: counts only */
	char first_payload[64];
	char first_note[64];
	char first_detail[64];
	struct store_tail_pos first_tail;
	struct store_max_ids ids;
	enum action_kind kinds[8]; /* of the actions answered, in order */
};

static void on_commit(void *data, const struct store_commit *c)
{
	struct waiter *w = data;
	w->commits++;
	w->last = *c;
	w->inserted += c->inserted;
	w->duplicates += c->duplicates;
	if (c->err)
		w->errs++;
}

static void on_answer(void *data, const struct store_answer *a)
{
	struct waiter *w = data;
	w->answers++;
	w->copy = *a;
	if (a->n_outbox)
		snprintf(w->first_payload, sizeof(w->first_payload), "%s",
		         a->outbox[0].payload_json);
	if (a->n_actions)
		snprintf(w->first_note, sizeof(w->first_note), "%s",
		         a->actions[0].note ? a->actions[0].note : "(null)");
	if (a->n_incidents)
		snprintf(w->first_detail, sizeof(w->first_detail), "%s",
		         a->incidents[0].detail_json ? a->incidents[0].detail_json : "(null)");
	for (size_t i = 0; i < a->n_actions && i < 8; i++)
		w->kinds[i] = a->actions[i].action;
	if (a->n_tails)
		w->first_tail = a->tails[0];
	w->ids = a->max_ids;
}

static void on_space(void *data)
{
	struct waiter *w = data;
	w->space++;
}

/* Run the loop until *flag reaches want (bounded by iterations, not time). */
static void run_until(uv_loop_t *loop, const int *flag, int want)
{
	for (int i = 0; i < 200000 && *flag < want; i++)
		uv_run(loop, UV_RUN_ONCE);
	assert_true(*flag >= want);
}

static struct observation obs_at(const char *id, int attempt, int64_t ts)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = ts;
	snprintf(o.request_id, sizeof(o.request_id), "%s", id);
	o.attempt = attempt;
	snprintf(o.pid.provider, sizeof(o.pid.provider), "openai");
	snprintf(o.pid.model, sizeof(o.pid.model), "gpt-4o-mini");
	o.http_status = 200;
	o.total_ms = 100;
	o.input_tokens = 10;
	return o;
}

struct fixture {
	char *dir;
	char path[512];
	uv_loop_t loop;
	struct store *s;
	struct waiter w;
};

static void open_store(struct fixture *f, const struct store_options *extra)
{
	struct store_options o;
	memset(&o, 0, sizeof(o));
	if (extra)
		o = *extra;
	o.path = f->path;
	o.on_space = on_space;
	o.data = &f->w;
	char *cause = NULL;
	int rc = store_open(&f->s, &f->loop, &o, &cause);
	if (rc != 0)
		fprintf(stderr, "store_open: %s\n", cause ? cause : "?");
	free(cause);
	assert_int_equal(rc, 0);
}

static void close_store(struct fixture *f)
{
	store_close(f->s);
	f->s = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = tu_mkdtemp("store");
	snprintf(f->path, sizeof(f->path), "%s/vigil.db", f->dir);
	uv_loop_init(&f->loop);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->s)
		close_store(f);
	uv_loop_close(&f->loop);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void flush(struct fixture *f)
{
	int before = f->w.commits;
	assert_int_equal(store_flush(f->s, on_commit, &f->w), 0);
	run_until(&f->loop, &f->w.commits, before + 1);
}

static void ask(struct fixture *f, enum store_query q)
{
	int before = f->w.answers;
	assert_int_equal(store_query(f->s, q, on_answer, &f->w), 0);
	run_until(&f->loop, &f->w.answers, before + 1);
	assert_int_equal(f->w.copy.err, 0);
}

static void test_schema_and_mode(void **state)
{
	struct fixture *f = *state;
	open_store(f, NULL);
	close_store(f);
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(tu_sql_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	static const char *const tables[] = {
		"observations",     "failure_events", "breaker_transitions", "incidents",
		"incident_history", "outbox",         "operator_actions",    "quarantine",
		"tail_positions",   "obs_minute",     "event_minute",
	};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[128];
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'",
		         tables[i]);
		assert_int_equal(tu_sql_int(f->path, sql), 1);
	}
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM pragma_journal_mode "
	                                     "WHERE journal_mode = 'wal'"),
	                 1);
	/* reopening an up-to-date database runs no migration and keeps the rows */
	open_store(f, NULL);
	close_store(f);
	assert_int_equal(tu_sql_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
}

static void test_every_row_kind(void **state)
{
	struct fixture *f = *state;
	open_store(f, NULL);
	struct store_batch *b = store_batch_new(on_commit, &f->w);
	struct observation o = obs_at("req-1", 1, 1795773600000);
	assert_int_equal(store_batch_add_observation(b, &o), 0);
	struct observation bad = obs_at("", 1, 1795773600000);
	assert_int_equal(store_batch_add_observation(b, &bad), VG_EINVAL);

	struct failure_event ev;
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	snprintf(pid.provider, sizeof(pid.provider), "openai");
	assert_int_equal(
	        event_init(&ev, 41, 1795773600500, CAT_PROVIDER, SUB_SERVER_ERROR, SEV_HIGH, &pid),
	        0);
	ev.causal.http_status = 503;
	struct breaker_transition tr;
	memset(&tr, 0, sizeof(tr));
	tr.time_ms = 1795773600600;
	snprintf(tr.provider, sizeof(tr.provider), "openai");
	tr.from = BRK_CLOSED;
	tr.to = BRK_OPEN;
	snprintf(tr.reason, sizeof(tr.reason), "5 consecutive hard failures (503)");
	struct effects eff = {
		.events = &ev, .n_events = 1, .transitions = &tr, .n_transitions = 1
	};
	assert_int_equal(store_batch_add_effects(b, &eff, NULL), 0);

	struct store_incident inc = { .id = 7,
		                      .category = CAT_PROVIDER,
		                      .subtype = SUB_SERVER_ERROR,
		                      .severity = SEV_HIGH,
		                      .state = INC_OPEN,
		                      .count = 3,
		                      .first_ms = 1,
		                      .last_ms = 2,
		                      .detail_json = "{\"why\":\"503s\"}" };
	snprintf(inc.key, sizeof(inc.key), "provider/openai/server_error");
	snprintf(inc.provider, sizeof(inc.provider), "openai");
	assert_int_equal(store_batch_add_incident(b, &inc), 0);
	struct store_incident resolved = inc;
	resolved.id = 8;
	resolved.state = INC_RESOLVED;
	assert_int_equal(store_batch_add_incident(b, &resolved), 0);
	struct store_incident_history h = { .incident_id = 7,
		                            .time_ms = 3,
		                            .state = INC_OPEN,
		                            .severity = SEV_HIGH,
		                            .count = 3,
		                            .note = NULL };
	snprintf(h.what, sizeof(h.what), "opened");
	assert_int_equal(store_batch_add_incident_history(b, &h), 0);
	struct store_outbox ob = { .id = 100,
		                   .sequence = 1,
		                   .payload_json = "{\"p\":1}",
		                   .state = OUTBOX_PENDING,
		                   .next_attempt_ms = 5,
		                   .created_ms = 4 };
	snprintf(ob.sink, sizeof(ob.sink), "pagerduty");
	snprintf(ob.dedup_key, sizeof(ob.dedup_key), "inc-7");
	assert_int_equal(store_batch_add_outbox(b, &ob), 0);
	struct store_outbox ob2 = ob;
	ob2.id = 101;
	ob2.payload_json = "{\"p\":2}";
	assert_int_equal(store_batch_add_outbox(b, &ob2), 0);
	struct store_outbox_update up = {
		.id = 100, .state = OUTBOX_DELIVERED, .attempts = 1, .delivered_ms = 9
	};
	assert_int_equal(store_batch_add_outbox_update(b, &up), 0);
	struct store_operator_action a1 = {
		.incident_id = 7, .action = ACTION_ACK, .time_ms = 10, .note = "looking"
	};
	snprintf(a1.actor, sizeof(a1.actor), "alice");
	struct store_operator_action a2 = a1;
	a2.action = ACTION_NOTE;
	a2.note = "second";
	assert_int_equal(store_batch_add_action(b, &a1), 0);
	assert_int_equal(store_batch_add_action(b, &a2), 0);
	struct store_quarantine q = { .line_no = 3,
		                      .byte_offset = 120,
		                      .head = (const unsigned char *)"not json",
		                      .head_len = 8,
		                      .time_ms = 11 };
	snprintf(q.file, sizeof(q.file), "events.jsonl");
	snprintf(q.reason, sizeof(q.reason), "not_json");
	snprintf(q.detail, sizeof(q.detail), "not JSON");
	assert_int_equal(store_batch_add_quarantine(b, &q), 0);
	struct store_tail_pos tp = { .dev = 1, .ino = 2, .offset = 10, .line_no = 1 };
	snprintf(tp.path, sizeof(tp.path), "events.jsonl");
	assert_int_equal(store_batch_set_tail(b, &tp), 0);
	tp.offset = 500; /* the last position of a file in a batch wins */
	tp.line_no = 4;
	tp.head_sig = 0xFEEDFACECAFEBEEFULL;
	assert_int_equal(store_batch_set_tail(b, &tp), 0);
	assert_int_equal(store_batch_rows(b), 13);
	assert_int_equal(store_submit(f->s, b), 0);

	/* the first action gets id 1 from the database: mark it applied */
	struct store_batch *b2 = store_batch_new(on_commit, &f->w);
	assert_int_equal(store_batch_mark_action_applied(b2, 1, NULL), 0);
	assert_int_equal(store_submit(f->s, b2), 0);
	flush(f);
	assert_int_equal(f->w.errs, 0);
	assert_int_equal(f->w.inserted, 1);

	ask(f, STORE_Q_OUTBOX_PENDING);
	assert_int_equal(f->w.copy.n_outbox, 1);
	assert_string_equal(f->w.first_payload, "{\"p\":2}");
	ask(f, STORE_Q_ACTIONS_UNAPPLIED);
	assert_int_equal(f->w.copy.n_actions, 1);
	assert_string_equal(f->w.first_note, "second");
	ask(f, STORE_Q_INCIDENTS_OPEN);
	assert_int_equal(f->w.copy.n_incidents, 1);
	assert_string_equal(f->w.first_detail, "{\"why\":\"503s\"}");
	ask(f, STORE_Q_TAIL_POSITIONS);
	assert_int_equal(f->w.copy.n_tails, 1);
	assert_int_equal(f->w.first_tail.offset, 500);
	assert_int_equal(f->w.first_tail.line_no, 4);
	assert_true(f->w.first_tail.head_sig == 0xFEEDFACECAFEBEEFULL);
	ask(f, STORE_Q_MAX_IDS);
	assert_int_equal(f->w.ids.incident, 8);
	assert_int_equal(f->w.ids.outbox, 101);
	assert_int_equal(f->w.ids.action, 2);
	assert_int_equal(f->w.ids.event, 41);
	close_store(f);

	/* what a console sees with its own read-only connection */
	assert_int_equal(tu_sql_int(f->path,
	                            "SELECT count(*) FROM observations WHERE request_id='req-1' "
	                            "AND attempt=1 AND http_status=200 AND error_class='ok' "
	                            "AND cost_usd IS NULL"),
	                 1);
	assert_int_equal(tu_sql_int(f->path,
	                            "SELECT count(*) FROM failure_events WHERE event_id=41 AND "
	                            "category='provider' AND subtype='server_error' AND "
	                            "severity='high' AND detail LIKE '%503%'"),
	                 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM breaker_transitions WHERE "
	                                     "from_state='closed' AND to_state='open'"),
	                 1);
	assert_int_equal(
	        tu_sql_int(f->path, "SELECT count(*) FROM incident_history WHERE what='opened'"),
	        1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM outbox WHERE id=100 AND "
	                                     "state='delivered' AND delivered_ms=9"),
	                 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM quarantine WHERE line_no=3 AND "
	                                     "byte_offset=120 AND head=CAST('not json' AS BLOB)"),
	                 1);
	assert_int_equal(
	        tu_sql_int(f->path, "SELECT requests FROM obs_minute WHERE provider='openai'"), 1);
	assert_int_equal(
	        tu_sql_int(f->path, "SELECT events FROM event_minute WHERE severity='high'"), 1);
}

/* A real pipeline's effects: an outage of 503s becomes one incident whose
 * row (and deferred detail) matches the tracker, its history and the
 * webhook notifications in the outbox with ids from the caller. */
/* Operator actions by name: the triage path is stored as "triage";
 * "wizard" rows (written before the one enum) and rows by hand read back as
 * the same action, and a text no build knows as a note. */
static void test_action_names(void **state)
{
	struct fixture *f = *state;
	open_store(f, NULL);
	struct store_batch *b = store_batch_new(on_commit, &f->w);
	struct store_operator_action a = {
		.incident_id = 3, .action = ACTION_TRIAGE, .time_ms = 10, .note = "{\"steps\":[]}"
	};
	snprintf(a.actor, sizeof(a.actor), "alice");
	assert_int_equal(store_batch_add_action(b, &a), 0);
	assert_int_equal(store_submit(f->s, b), 0);
	flush(f);
	assert_int_equal(tu_sql_int(f->path,
	                            "SELECT count(*) FROM operator_actions WHERE id = 1 AND "
	                            "action = 'triage'"),
	                 1);

	/* rows from elsewhere (an older console, or by hand) */
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(
	        sqlite3_exec(db,
	                     "INSERT INTO operator_actions (incident_id, action, actor, "
	                     "time_ms) VALUES (3, 'wizard', 'bob', 11), (3, 'triage', "
	                     "'bob', 12), (3, 'resolve', 'bob', 13), (3, 'zap', 'bob', 14)",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);
	ask(f, STORE_Q_ACTIONS_UNAPPLIED);
	assert_int_equal(f->w.copy.n_actions, 5);
	assert_int_equal(f->w.kinds[0], ACTION_TRIAGE);
	assert_int_equal(f->w.kinds[1], ACTION_TRIAGE);
	assert_int_equal(f->w.kinds[2], ACTION_TRIAGE);
	assert_int_equal(f->w.kinds[3], ACTION_RESOLVE);
	assert_int_equal(f->w.kinds[4], ACTION_NOTE);
	close_store(f);
}

static void test_effects_from_pipeline(void **state)
{
	struct fixture *f = *state;
	open_store(f, NULL);
	struct core_settings cs;
	settings_defaults(&cs);
	struct pipeline_provider pp;
	memset(&pp, 0, sizeof(pp));
	snprintf(pp.name, sizeof(pp.name), "openai");
	struct pipeline *p = pipeline_new(&cs, &pp, 1);
	assert_non_null(p);
	struct route_sink sink = { .kind = SINK_WEBHOOK, .min_severity = SEV_LOW };
	snprintf(sink.name, sizeof(sink.name), "hook");
	struct payload_options po;
	payload_options_defaults(&po);
	assert_int_equal(pipeline_set_routes(p, &sink, 1, &po), 0);
	int64_t next_outbox = 500;
	size_t notifications = 0, events = 0;
	struct store_batch *b = store_batch_new(on_commit, &f->w);
	for (int i = 0; i < 200; i++) {
		char id[32];
		snprintf(id, sizeof(id), "o-%d", i);
		struct observation o = obs_at(id, 1, 1795773600000 + i * 100);
		o.http_status = i < 150 ? 503 : 200;
		o.norm.error_class = i < 150 ? EC_OVERLOADED : EC_OK;
		struct effects eff;
		assert_int_equal(pipeline_feed(p, &o, o.ts_ms + 100, &eff), 0);
		notifications += eff.n_notifications;
		events += eff.n_events;
		assert_int_equal(store_batch_add_observation(b, &o), 0);
		assert_int_equal(store_batch_add_effects(b, &eff, &next_outbox), 0);
	}
	assert_true(events > 0);
	assert_true(notifications > 0);
	assert_int_equal(store_batch_refresh_incidents(b, pipeline_incidents(p)), 0);
	assert_int_equal(store_submit(f->s, b), 0);
	flush(f);
	assert_int_equal(f->w.errs, 0);
	size_t n_inc;
	const struct incident *const *list = incidents_list(pipeline_incidents(p), &n_inc);
	assert_true(n_inc >= 1);
	int64_t count0 = list[0]->count, id0 = list[0]->id;
	ask(f, STORE_Q_MAX_IDS);
	assert_int_equal(f->w.ids.outbox, 500 + (int64_t)notifications - 1);
	close_store(f);
	pipeline_free(p);

	char sql[256];
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM incidents"), (int64_t)n_inc);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM incidents WHERE id = %lld AND count = %lld AND "
	         "json_extract(detail, '$.count') = count",
	         (long long)id0, (long long)count0);
	assert_int_equal(tu_sql_int(f->path, sql), 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM incident_history WHERE what = "
	                                     "'opened'"),
	                 (int64_t)n_inc);
	assert_int_equal(tu_sql_int(f->path,
	                            "SELECT count(*) FROM outbox WHERE state = 'pending' AND "
	                            "sink = 'hook' AND json_valid(payload)"),
	                 (int64_t)notifications);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM failure_events"),
	                 (int64_t)events);
}

/* Every field of the rows the daemon reads back (outbox, actions,
 * incidents, tail positions) comes back as written, NULLs included. */
struct whole {
	int answers;
	struct store_outbox ob[2];
	char ob_payload[2][32];
	size_t n_ob;
	struct store_operator_action act[2];
	char act_note[2][32];
	bool act_note_null[2];
	size_t n_act;
	struct store_incident inc;
	char inc_detail[32];
	bool inc_detail_null;
	size_t n_inc;
	struct store_tail_pos tail;
	size_t n_tail;
};

static void on_whole(void *data, const struct store_answer *a)
{
	struct whole *w = data;
	w->answers++;
	assert_int_equal(a->err, 0);
	switch (a->query) {
	case STORE_Q_OUTBOX_PENDING:
		w->n_ob = a->n_outbox;
		for (size_t i = 0; i < a->n_outbox && i < 2; i++) {
			w->ob[i] = a->outbox[i];
			snprintf(w->ob_payload[i], sizeof(w->ob_payload[i]), "%s",
			         a->outbox[i].payload_json);
			w->ob[i].payload_json = NULL;
		}
		break;
	case STORE_Q_ACTIONS_UNAPPLIED:
		w->n_act = a->n_actions;
		for (size_t i = 0; i < a->n_actions && i < 2; i++) {
			w->act[i] = a->actions[i];
			w->act_note_null[i] = a->actions[i].note == NULL;
			snprintf(w->act_note[i], sizeof(w->act_note[i]), "%s",
			         a->actions[i].note ? a->actions[i].note : "");
			w->act[i].note = NULL;
		}
		break;
	case STORE_Q_INCIDENTS_OPEN:
		w->n_inc = a->n_incidents;
		if (a->n_incidents) {
			w->inc = a->incidents[0];
			w->inc_detail_null = a->incidents[0].detail_json == NULL;
			snprintf(w->inc_detail, sizeof(w->inc_detail), "%s",
			         a->incidents[0].detail_json ? a->incidents[0].detail_json : "");
			w->inc.detail_json = NULL;
		}
		break;
	case STORE_Q_TAIL_POSITIONS:
		w->n_tail = a->n_tails;
		if (a->n_tails)
			w->tail = a->tails[0];
		break;
	default: break;
	}
}

static void test_rows_read_back_whole(void **state)
{
	struct fixture *f = *state;
	open_store(f, NULL);
	struct store_batch *b = store_batch_new(on_commit, &f->w);
	struct store_outbox ob = { .id = 5,
		                   .incident_id = 9,
		                   .sequence = 77,
		                   .payload_json = "{\"a\":1}",
		                   .state = OUTBOX_PENDING,
		                   .attempts = 3,
		                   .next_attempt_ms = 1000,
		                   .created_ms = 900,
		                   .delivered_ms = 0 };
	snprintf(ob.sink, sizeof(ob.sink), "webhook");
	snprintf(ob.dedup_key, sizeof(ob.dedup_key), "vigil-9");
	snprintf(ob.op, sizeof(ob.op), "trigger");
	assert_int_equal(store_batch_add_outbox(b, &ob), 0);
	struct store_outbox ob2 = ob; /* no op, no incident: stored NULL, read "" and 0 */
	ob2.id = 6;
	ob2.incident_id = 0;
	ob2.op[0] = '\0';
	ob2.delivered_ms = 1234; /* delivered but still pending: kept as given */
	assert_int_equal(store_batch_add_outbox(b, &ob2), 0);
	struct store_operator_action a = {
		.incident_id = 9, .action = ACTION_TRIAGE, .note = "{\"path\":[]}", .time_ms = 55
	};
	snprintf(a.actor, sizeof(a.actor), "erin");
	assert_int_equal(store_batch_add_action(b, &a), 0);
	struct store_operator_action a2 = a;
	a2.action = ACTION_RESOLVE;
	a2.note = NULL;
	assert_int_equal(store_batch_add_action(b, &a2), 0);
	struct store_incident inc = { .id = 9,
		                      .category = CAT_COST,
		                      .subtype = SUB_TOKEN_INFLATION,
		                      .severity = SEV_MEDIUM,
		                      .state = INC_ACKNOWLEDGED,
		                      .count = 12,
		                      .first_ms = 100,
		                      .last_ms = 200,
		                      .detail_json = NULL };
	snprintf(inc.key, sizeof(inc.key), "cost/openai/token_inflation");
	snprintf(inc.provider, sizeof(inc.provider), "openai");
	snprintf(inc.model, sizeof(inc.model), "gpt-4o");
	assert_int_equal(store_batch_add_incident(b, &inc), 0);
	struct store_tail_pos tp = { .dev = UINT64_MAX - 1,
		                     .ino = 1ULL << 63,
		                     .offset = 4096,
		                     .line_no = 17,
		                     .head_sig = 42,
		                     .updated_ms = 31 };
	snprintf(tp.path, sizeof(tp.path), "/var/log/gw.jsonl");
	assert_int_equal(store_batch_set_tail(b, &tp), 0);
	assert_int_equal(store_submit(f->s, b), 0);
	flush(f);
	assert_int_equal(f->w.errs, 0);

	struct whole w;
	memset(&w, 0, sizeof(w));
	enum store_query qs[] = { STORE_Q_OUTBOX_PENDING, STORE_Q_ACTIONS_UNAPPLIED,
		                  STORE_Q_INCIDENTS_OPEN, STORE_Q_TAIL_POSITIONS };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		assert_int_equal(store_query(f->s, qs[i], on_whole, &w), 0);
	run_until(&f->loop, &w.answers, 4);

	assert_int_equal(w.n_ob, 2);
	assert_int_equal(w.ob[0].id, 5);
	assert_string_equal(w.ob[0].sink, "webhook");
	assert_string_equal(w.ob[0].dedup_key, "vigil-9");
	assert_string_equal(w.ob[0].op, "trigger");
	assert_int_equal(w.ob[0].incident_id, 9);
	assert_int_equal(w.ob[0].sequence, 77);
	assert_string_equal(w.ob_payload[0], "{\"a\":1}");
	assert_int_equal(w.ob[0].state, OUTBOX_PENDING);
	assert_int_equal(w.ob[0].attempts, 3);
	assert_int_equal(w.ob[0].next_attempt_ms, 1000);
	assert_int_equal(w.ob[0].created_ms, 900);
	assert_int_equal(w.ob[0].delivered_ms, 0);
	assert_int_equal(w.ob[1].id, 6);
	assert_string_equal(w.ob[1].op, "");
	assert_int_equal(w.ob[1].incident_id, 0);
	assert_int_equal(w.ob[1].delivered_ms, 1234);

	assert_int_equal(w.n_act, 2);
	assert_int_equal(w.act[0].id, 1);
	assert_int_equal(w.act[0].incident_id, 9);
	assert_int_equal(w.act[0].action, ACTION_TRIAGE);
	assert_string_equal(w.act[0].actor, "erin");
	assert_false(w.act_note_null[0]);
	assert_string_equal(w.act_note[0], "{\"path\":[]}");
	assert_int_equal(w.act[0].time_ms, 55);
	assert_false(w.act[0].applied);
	assert_int_equal(w.act[1].id, 2);
	assert_int_equal(w.act[1].action, ACTION_RESOLVE);
	assert_true(w.act_note_null[1]);

	assert_int_equal(w.n_inc, 1);
	assert_int_equal(w.inc.id, 9);
	assert_string_equal(w.inc.key, "cost/openai/token_inflation");
	assert_int_equal(w.inc.category, CAT_COST);
	assert_int_equal(w.inc.subtype, SUB_TOKEN_INFLATION);
	assert_string_equal(w.inc.provider, "openai");
	assert_string_equal(w.inc.model, "gpt-4o");
	assert_int_equal(w.inc.severity, SEV_MEDIUM);
	assert_int_equal(w.inc.state, INC_ACKNOWLEDGED);
	assert_int_equal(w.inc.count, 12);
	assert_int_equal(w.inc.first_ms, 100);
	assert_int_equal(w.inc.last_ms, 200);
	assert_true(w.inc_detail_null);

	assert_int_equal(w.n_tail, 1);
	assert_true(w.tail.dev == UINT64_MAX - 1);
	assert_true(w.tail.ino == 1ULL << 63);
	assert_string_equal(w.tail.path, "/var/log/gw.jsonl");
	assert_int_equal(w.tail.offset, 4096);
	assert_int_equal(w.tail.line_no, 17);
	assert_true(w.tail.head_sig == 42);
	assert_int_equal(w.tail.updated_ms, 31);
	close_store(f);

	/* NULL where the schema says "none": what a console's SQL sees. */
	assert_int_equal(tu_sql_int(f->path,
	                            "SELECT count(*) FROM outbox WHERE id = 6 AND op IS NULL "
	                            "AND incident_id IS NULL"),
	                 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM outbox WHERE id = 5 AND "
	                                     "delivered_ms IS NULL"),
	                 1);
	assert_int_equal(tu_sql_int(f->path,
	                            "SELECT count(*) FROM operator_actions WHERE id = 2 AND "
	                            "note IS NULL"),
	                 1);
}

static void test_dedupe(void **state)
{
	struct fixture *f = *state;
	open_store(f, NULL);
	for (int round = 0; round < 2; round++) {
		struct store_batch *b = store_batch_new(on_commit, &f->w);
		for (int i = 0; i < 50; i++) {
			char id[32];
			snprintf(id, sizeof(id), "r-%d", i);
			struct observation o = obs_at(id, 1 + (i % 2), 1795773600000 + i);
			assert_int_equal(store_batch_add_observation(b, &o), 0);
		}
		/* an absent attempt is the first attempt */
		struct observation o = obs_at("r-0", -1, 1795773600000);
		assert_int_equal(store_batch_add_observation(b, &o), 0);
		assert_int_equal(store_submit(f->s, b), 0);
	}
	flush(f);
	assert_int_equal(f->w.inserted, 50);
	assert_int_equal(f->w.duplicates, 52);
	close_store(f);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM observations"), 50);
	/* the rollup counts stored rows only */
	assert_int_equal(tu_sql_int(f->path, "SELECT sum(requests) FROM obs_minute"), 50);
}

static void test_back_pressure(void **state)
{
	struct fixture *f = *state;
	struct store_options o = { .queue_batches = 1, .batch_rows = 1000000, .batch_ms = 60000 };
	open_store(f, &o);
	int submitted = 0, refused = 0, id = 0;
	struct store_batch *held = NULL;
	while (submitted < 40) {
		if (!held) {
			held = store_batch_new(on_commit, &f->w);
			for (int i = 0; i < 200; i++) {
				char rid[32];
				snprintf(rid, sizeof(rid), "bp-%d", id++);
				struct observation ob = obs_at(rid, 1, 1795773600000 + id);
				assert_int_equal(store_batch_add_observation(held, &ob), 0);
			}
		}
		int rc = store_submit(f->s, held);
		if (rc == VG_EFULL) {
			refused++;
			int before = f->w.space;
			run_until(&f->loop, &f->w.space, before + 1);
			continue;
		}
		assert_int_equal(rc, 0);
		held = NULL;
		submitted++;
	}
	flush(f);
	assert_true(refused > 0);
	assert_int_equal(f->w.inserted, 40 * 200);
	close_store(f);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM observations"), 40 * 200);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	/* what a newer vigil wrote: its mark (data/dbfile.h), a schema version
	 * this build does not know (unmarked, a file without vigil's tables is
	 * another program's: test_dbfile) */
	assert_int_equal(sqlite3_exec(db, "PRAGMA application_id = 1986488684", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct store_options o = { .path = f->path };
	char *cause = NULL;
	struct store *s = NULL;
	assert_int_equal(store_open(&s, &f->loop, &o, &cause), VG_EVERSION);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "99"));
	free(cause);
	/* a directory that cannot hold the file */
	o.path = "/nonexistent-dir/vigil.db";
	assert_int_equal(store_open(&s, &f->loop, &o, &cause), VG_EIO);
	assert_non_null(strstr(cause, "/nonexistent-dir/vigil.db"));
	free(cause);
}

static void test_retention(void **state)
{
	struct fixture *f = *state;
	struct store_options o = { .retention_ms = 3600 * 1000,
		                   .prune_chunk = 100,
		                   .prune_interval_ms = 20 };
	open_store(f, &o);
	struct store_batch *b = store_batch_new(on_commit, &f->w);
	for (int i = 0; i < 450; i++) {
		char rid[32];
		snprintf(rid, sizeof(rid), "old-%d", i);
		struct observation ob = obs_at(rid, 1, 1000000 + i); /* 1970: far too old */
		assert_int_equal(store_batch_add_observation(b, &ob), 0);
	}
	struct observation recent = obs_at("recent", 1, 4102444800000LL); /* 2100 */
	assert_int_equal(store_batch_add_observation(b, &recent), 0);
	assert_int_equal(store_submit(f->s, b), 0);
	flush(f);
	/* pruning runs in chunks of 100 while idle, each in its own transaction:
	 * watch it happen from another connection */
	/* (the counter is published just after each delete commits: wait for
	 * both rather than read it in that gap) */
	int64_t left = -1;
	struct store_stats st;
	for (int i = 0; i < 4000; i++) {
		left = tu_sql_int(f->path, "SELECT count(*) FROM observations");
		store_stats(f->s, &st);
		if (left == 1 && st.pruned >= 450)
			break;
		uv_sleep(5);
	}
	assert_int_equal(left, 1);
	assert_true(st.pruned >= 450);
	close_store(f);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM observations"), 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM observations WHERE request_id = "
	                                     "'recent'"),
	                 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_row_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_effects_from_pipeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_read_back_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_back_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
