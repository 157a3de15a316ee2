/*
 * store_read.c: the loop's queries (store_query(), store thread): tail
 * positions, undelivered outbox rows, unapplied operator actions and open
 * incidents at startup, and the highest ids in use. A row is read back with
 * the same column list it is written with (data/store_columns.h), so a
 * column added there comes back here too.
 */
#include "data/store_columns.h"

#include "core/vgerr.h"

#include <stdlib.h>

/* Run "SELECT (the list's columns) FROM table tail" and append each row
 * (elements of `size` bytes) to *arr, reading it with row(). Returns an
 * SQLite code; what was read is in *arr and *n either way. */
static int query_rows(sqlite3 *db, const char *table, const struct store__col *cols, size_t ncols,
                      const char *tail, void **arr, size_t *n, size_t size,
                      void (*row)(sqlite3_stmt *st, void *elem))
{
	char sql[1024];
	if (store__sql_select(sql, sizeof(sql), table, cols, ncols, tail) != 0)
		return SQLITE_TOOBIG;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	struct store__arr a = { 0 };
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		void *e = store__arr_push(&a, size);
		if (!e) {
			rc = SQLITE_NOMEM;
			break;
		}
		row(st, e);
	}
	sqlite3_finalize(st);
	*arr = a.v;
	*n = a.n;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void row_tail(sqlite3_stmt *st, void *e)
{
	struct store_tail_pos *r = e;
	STORE__GET_ROW(st, STORE__COLS_TAIL_POSITIONS);
}

static void row_outbox(sqlite3_stmt *st, void *e)
{
	struct store_outbox *r = e;
	STORE__GET_ROW(st, STORE__COLS_OUTBOX);
}

static void row_action(sqlite3_stmt *st, void *e)
{
	struct store_operator_action *r = e;
	STORE__GET_ROW(st, STORE__COLS_OPERATOR_ACTIONS);
}

static void row_incident(sqlite3_stmt *st, void *e)
{
	struct store_incident *r = e;
	STORE__GET_ROW(st, STORE__COLS_INCIDENTS);
}

/* The open incidents without an outbox row. Returns an SQLite code. */
static int unnotified(sqlite3 *db, struct store_answer *a)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db,
	                            /* one pass over the outbox (it has no index on incident_id) */
	                            "SELECT id FROM incidents WHERE state != 'resolved' AND id NOT "
	                            "IN (SELECT incident_id FROM outbox WHERE incident_id IS NOT "
	                            "NULL) ORDER BY id",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	struct store__arr v = { 0 };
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t *e = store__arr_push(&v, sizeof(*e));
		if (!e) {
			rc = SQLITE_NOMEM;
			break;
		}
		*e = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	a->unnotified = v.v;
	a->n_unnotified = v.n;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int64_t max_id(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int store__answer(sqlite3 *db, struct store_answer *a)
{
	int rc = SQLITE_OK;
	void *v = NULL;
	switch (a->query) {
	case STORE_Q_TAIL_POSITIONS:
		rc = query_rows(db, "tail_positions", STORE__COLS(STORE__COLS_TAIL_POSITIONS), "",
		                &v, &a->n_tails, sizeof(*a->tails), row_tail);
		a->tails = v;
		break;
	case STORE_Q_OUTBOX_PENDING:
		rc = query_rows(db, "outbox", STORE__COLS(STORE__COLS_OUTBOX),
		                "WHERE state = 'pending' ORDER BY id", &v, &a->n_outbox,
		                sizeof(*a->outbox), row_outbox);
		a->outbox = v;
		break;
	case STORE_Q_ACTIONS_UNAPPLIED:
		rc = query_rows(db, "operator_actions", STORE__COLS(STORE__COLS_OPERATOR_ACTIONS),
		                "WHERE applied = 0 ORDER BY id", &v, &a->n_actions,
		                sizeof(*a->actions), row_action);
		a->actions = v;
		break;
	case STORE_Q_INCIDENTS_OPEN:
		rc = query_rows(db, "incidents", STORE__COLS(STORE__COLS_INCIDENTS),
		                "WHERE state != 'resolved' ORDER BY id", &v, &a->n_incidents,
		                sizeof(*a->incidents), row_incident);
		a->incidents = v;
		if (rc == SQLITE_OK)
			rc = unnotified(db, a);
		break;
	case STORE_Q_MAX_IDS:
		a->max_ids.incident = max_id(db, "SELECT max(id) FROM incidents");
		a->max_ids.outbox = max_id(db, "SELECT max(id) FROM outbox");
		a->max_ids.action = max_id(db, "SELECT max(id) FROM operator_actions");
		a->max_ids.event = max_id(db, "SELECT max(event_id) FROM failure_events");
		a->max_ids.review = store__max_review_id(db);
		break;
	case STORE_Q_BASELINES: return store__answer_baselines(db, a);
	}
	return rc == SQLITE_OK ? 0 : VG_EDB;
}
