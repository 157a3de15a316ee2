/*
 * store_write.c: applying a batch (store thread). One prepared statement
 * per kind of row, generated from the column lists of data/store_columns.h
 * when the store opens; the per-minute rollups (obs_minute, event_minute)
 * are summed in memory and written once per transaction, just before the
 * commit (data/store.c decides when that is).
 */
#include "data/store_columns.h"

#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

enum stmt_id {
	ST_OBS,
	ST_EVENT,
	ST_TRANS,
	ST_INC,
	ST_HIST,
	ST_OUTBOX,
	ST_OUPD,
	ST_ACT,
	ST_APPLIED,
	ST_QUAR,
	ST_TAIL,
	ST_OBS_MIN,
	ST_EVT_MIN,
	ST_HEALTH,
	ST_HEALTH_MIN,
	ST__COUNT
};

/* What each statement does with which table's columns. */
static const struct stmt_def {
	const char *verb, *table;
	const struct store__col *cols;
	size_t n;
} stmt_defs[ST__COUNT] = {
	[ST_OBS] = { "INSERT OR IGNORE", "observations", STORE__COLS(STORE__COLS_OBSERVATIONS) },
	[ST_EVENT] = { "INSERT", "failure_events", STORE__COLS(STORE__COLS_FAILURE_EVENTS) },
	[ST_TRANS] = { "INSERT", "breaker_transitions",
	               STORE__COLS(STORE__COLS_BREAKER_TRANSITIONS) },
	[ST_INC] = { "INSERT", "incidents", STORE__COLS(STORE__COLS_INCIDENTS) },
	[ST_HIST] = { "INSERT", "incident_history", STORE__COLS(STORE__COLS_INCIDENT_HISTORY) },
	[ST_OUTBOX] = { "INSERT", "outbox", STORE__COLS(STORE__COLS_OUTBOX) },
	[ST_OUPD] = { "UPDATE", "outbox", STORE__COLS(STORE__COLS_OUTBOX_UPDATE) },
	[ST_ACT] = { "INSERT", "operator_actions", STORE__COLS(STORE__COLS_OPERATOR_ACTIONS) },
	[ST_APPLIED] = { "UPDATE", "operator_actions", STORE__COLS(STORE__COLS_ACTION_APPLIED) },
	[ST_QUAR] = { "INSERT", "quarantine", STORE__COLS(STORE__COLS_QUARANTINE) },
	[ST_TAIL] = { "INSERT", "tail_positions", STORE__COLS(STORE__COLS_TAIL_POSITIONS) },
	[ST_OBS_MIN] = { "INSERT", "obs_minute", STORE__COLS(STORE__COLS_OBS_MINUTE) },
	[ST_EVT_MIN] = { "INSERT", "event_minute", STORE__COLS(STORE__COLS_EVENT_MINUTE) },
	[ST_HEALTH] = { "INSERT OR REPLACE", "health", STORE__COLS(STORE__COLS_HEALTH) },
	[ST_HEALTH_MIN] = { "INSERT OR REPLACE", "health_minute",
	                    STORE__COLS(STORE__COLS_HEALTH_MINUTE) },
};

/* Per-minute aggregates kept until the commit. */
struct obs_agg {
	int64_t minute;
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX];
	int64_t requests, errors, total_n, in_tok, out_tok;
	double total_sum, cost;
};

struct evt_agg {
	int64_t minute;
	char provider[VG_NAME_MAX];
	int8_t category, subtype, severity;
	int64_t n;
};

#define AGG_MAX 512

struct store__writer {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	struct store__bl_writer *bl; /* baselines' tables (data/store_baseline.c) */
	struct obs_agg oagg[AGG_MAX];
	int n_oagg;
	struct evt_agg eagg[AGG_MAX];
	int n_eagg;
};

static int prepare(sqlite3 *db, const struct stmt_def *d, sqlite3_stmt **out)
{
	char sql[2048];
	if (store__sql_write(sql, sizeof(sql), d->verb, d->table, d->cols, d->n) != 0)
		return SQLITE_TOOBIG;
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
}

int store__writer_open(struct store__writer **out, sqlite3 *db, const char *path, char **cause)
{
	*out = NULL;
	struct store__writer *w = calloc(1, sizeof(*w));
	if (!w)
		return VG_ENOMEM;
	w->db = db;
	for (int i = 0; i < ST__COUNT; i++) {
		if (prepare(db, &stmt_defs[i], &w->st[i]) != SQLITE_OK) {
			vg_cause(cause, VG_EDB, "%s: %s", path, sqlite3_errmsg(db));
			store__writer_close(w);
			return VG_EDB;
		}
	}
	if (store__bl_writer_open(&w->bl, db) != SQLITE_OK) {
		vg_cause(cause, VG_EDB, "%s: %s", path, sqlite3_errmsg(db));
		store__writer_close(w);
		return VG_EDB;
	}
	*out = w;
	return 0;
}

void store__writer_close(struct store__writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(w->st[i]);
	store__bl_writer_close(w->bl);
	free(w);
}

/* Step a statement to completion and reset it; returns the SQLite code. */
static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* ---- operator actions (also a console's one write) ------------------------------ */

static int insert_action(sqlite3_stmt *st, const struct store_operator_action *r)
{
	STORE__BIND_ROW(st, STORE__COLS_OPERATOR_ACTIONS);
	return step(st);
}

int store__action_prepare(sqlite3 *db, sqlite3_stmt **out)
{
	return prepare(db, &stmt_defs[ST_ACT], out);
}

int store__action_insert(sqlite3_stmt *st, const struct store_operator_action *a)
{
	return insert_action(st, a);
}

/* ---- rollups -------------------------------------------------------------------------- */

int store__writer_rollups(struct store__writer *w)
{
	sqlite3_stmt *st = w->st[ST_OBS_MIN];
	for (int i = 0; i < w->n_oagg; i++) {
		const struct obs_agg *r = &w->oagg[i];
		STORE__BIND_ROW(st, STORE__COLS_OBS_MINUTE);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	w->n_oagg = 0;
	st = w->st[ST_EVT_MIN];
	for (int i = 0; i < w->n_eagg; i++) {
		const struct evt_agg *r = &w->eagg[i];
		STORE__BIND_ROW(st, STORE__COLS_EVENT_MINUTE);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	w->n_eagg = 0;
	return SQLITE_OK;
}

void store__writer_discard(struct store__writer *w)
{
	w->n_oagg = w->n_eagg = 0;
}

static int agg_obs(struct store__writer *w, const struct store__obs_row *r, const char *provider,
                   const char *model)
{
	int64_t minute = store__minute_of(r->ts_ms);
	struct obs_agg *a = NULL;
	for (int i = w->n_oagg - 1; i >= 0; i--) {
		struct obs_agg *c = &w->oagg[i];
		if (c->minute == minute && strcmp(c->provider, provider) == 0 &&
		    strcmp(c->model, model) == 0) {
			a = c;
			break;
		}
	}
	if (!a) {
		if (w->n_oagg == AGG_MAX) {
			int rc = store__writer_rollups(w);
			if (rc != SQLITE_OK)
				return rc;
		}
		a = &w->oagg[w->n_oagg++];
		memset(a, 0, sizeof(*a));
		a->minute = minute;
		model_copy_str(a->provider, sizeof(a->provider), provider, (size_t)-1);
		model_copy_str(a->model, sizeof(a->model), model, (size_t)-1);
	}
	a->requests++;
	if (r->transport != TE_NONE || r->err_class != EC_OK || r->http_status >= 400)
		a->errors++;
	if (vg_has_d(r->total)) {
		a->total_sum += r->total;
		a->total_n++;
	}
	if (vg_has(r->in_tok))
		a->in_tok += r->in_tok;
	if (vg_has(r->out_tok))
		a->out_tok += r->out_tok;
	if (vg_has_d(r->cost))
		a->cost += r->cost;
	return SQLITE_OK;
}

static int agg_event(struct store__writer *w, const struct failure_event *ev)
{
	int64_t minute = store__minute_of(ev->time_ms);
	for (int i = w->n_eagg - 1; i >= 0; i--) {
		struct evt_agg *c = &w->eagg[i];
		if (c->minute == minute && c->category == (int8_t)ev->category &&
		    c->subtype == (int8_t)ev->subtype && c->severity == (int8_t)ev->severity &&
		    strcmp(c->provider, ev->pid.provider) == 0) {
			c->n++;
			return SQLITE_OK;
		}
	}
	if (w->n_eagg == AGG_MAX) {
		int rc = store__writer_rollups(w);
		if (rc != SQLITE_OK)
			return rc;
	}
	struct evt_agg *a = &w->eagg[w->n_eagg++];
	memset(a, 0, sizeof(*a));
	a->minute = minute;
	memcpy(a->provider, ev->pid.provider, sizeof(a->provider));
	a->category = (int8_t)ev->category;
	a->subtype = (int8_t)ev->subtype;
	a->severity = (int8_t)ev->severity;
	a->n = 1;
	return SQLITE_OK;
}

/* ---- rows ------------------------------------------------------------------------------- */

static int apply_obs(struct store__writer *w, struct store_batch *b)
{
	sqlite3_stmt *st = w->st[ST_OBS];
	const char *strs = b->ostr.v;
	for (size_t i = 0; i < b->obs.n; i++) {
		const struct store__obs_row *r = STORE__AT(b->obs, struct store__obs_row, i);
		STORE__BIND_ROW(st, STORE__COLS_OBSERVATIONS);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
		if (sqlite3_changes(w->db) > 0) {
			b->result.inserted++;
			rc = agg_obs(w, r, strs + r->str[STORE__OS_PROVIDER],
			             strs + r->str[STORE__OS_MODEL]);
			if (rc != SQLITE_OK)
				return rc;
		} else {
			b->result.duplicates++;
		}
	}
	return SQLITE_OK;
}

static int apply_events(struct store__writer *w, struct store_batch *b)
{
	sqlite3_stmt *st = w->st[ST_EVENT];
	for (size_t i = 0; i < b->events.n; i++) {
		const struct store__ev_row *r = STORE__AT(b->events, struct store__ev_row, i);
		STORE__BIND_ROW(st, STORE__COLS_FAILURE_EVENTS);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
		rc = agg_event(w, &r->ev);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Write every row of one array of the batch with its list's statement. */
#define APPLY(w, b, field, T, stmt, LIST)                                                          \
	do {                                                                                       \
		sqlite3_stmt *st = (w)->st[stmt];                                                  \
		for (size_t i = 0; i < (b)->field.n && rc == SQLITE_OK; i++) {                     \
			const T *r = STORE__AT((b)->field, T, i);                                  \
			STORE__BIND_ROW(st, LIST);                                                 \
			rc = step(st);                                                             \
		}                                                                                  \
	} while (0)

static int apply_others(struct store__writer *w, struct store_batch *b)
{
	int rc = SQLITE_OK;
	APPLY(w, b, trans, struct breaker_transition, ST_TRANS, STORE__COLS_BREAKER_TRANSITIONS);
	for (size_t i = 0; i < b->inc.n && rc == SQLITE_OK; i++) {
		const struct store_incident *r = &STORE__AT(b->inc, struct store__inc_row, i)->r;
		STORE__BIND_ROW(w->st[ST_INC], STORE__COLS_INCIDENTS);
		rc = step(w->st[ST_INC]);
	}
	APPLY(w, b, hist, struct store_incident_history, ST_HIST, STORE__COLS_INCIDENT_HISTORY);
	APPLY(w, b, outbox, struct store_outbox, ST_OUTBOX, STORE__COLS_OUTBOX);
	APPLY(w, b, oupd, struct store_outbox_update, ST_OUPD, STORE__COLS_OUTBOX_UPDATE);
	for (size_t i = 0; i < b->acts.n && rc == SQLITE_OK; i++)
		rc = insert_action(w->st[ST_ACT],
		                   STORE__AT(b->acts, struct store_operator_action, i));
	APPLY(w, b, applied, struct store__applied, ST_APPLIED, STORE__COLS_ACTION_APPLIED);
	APPLY(w, b, quar, struct store__qrow, ST_QUAR, STORE__COLS_QUARANTINE);
	for (size_t i = 0; i < b->health.n && rc == SQLITE_OK; i++) {
		const struct store_health *r = STORE__AT(b->health, struct store_health, i);
		STORE__BIND_ROW(w->st[ST_HEALTH], STORE__COLS_HEALTH);
		rc = step(w->st[ST_HEALTH]);
		if (rc != SQLITE_OK)
			break;
		STORE__BIND_ROW(w->st[ST_HEALTH_MIN], STORE__COLS_HEALTH_MINUTE);
		rc = step(w->st[ST_HEALTH_MIN]);
	}
	APPLY(w, b, tails, struct store_tail_pos, ST_TAIL, STORE__COLS_TAIL_POSITIONS);
	return rc;
}

int store__writer_apply(struct store__writer *w, struct store_batch *b)
{
	int rc = apply_obs(w, b);
	if (rc == SQLITE_OK)
		rc = apply_events(w, b);
	if (rc == SQLITE_OK)
		rc = apply_others(w, b);
	if (rc == SQLITE_OK)
		rc = store__bl_writer_apply(w->bl, b);
	return rc;
}
