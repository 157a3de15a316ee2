/*
 * test_store_columns.c: the store's column lists (data/store_columns.h) and
 * the SQL generated from them: the exact text of an upsert, an update and a
 * select, a buffer too small, and, against a database migrated to the
 * current schema, that every list names only columns its table has and
 * that every column of a table the store writes is in its list (a column
 * added by a migration but forgotten in the list fails here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "data/store_columns.h"

#include <stdio.h>
#include <string.h>

#define T_COLS(X)                                                                                  \
	X(k, KEY, int, r->k)                                                                       \
	X(a, SET, text, r->a)                                                                      \
	X(n, ADD, int, r->n)                                                                       \
	X(d, KEEP, str_opt, r->d)                                                                  \
	X(x, NEW, real, r->x)

#define U_COLS(X)                                                                                  \
	X(id, KEY, int, r->id)                                                                     \
	X(state, SET, text, r->state)                                                              \
	X(k2, KEY, int, r->k2)

static void test_sql_text(void **state)
{
	(void)state;
	char b[512];
	assert_int_equal(store__sql_write(b, sizeof(b), "INSERT", "t", STORE__COLS(T_COLS)), 0);
	assert_string_equal(b, "INSERT INTO t (k, a, n, d, x) VALUES (?1, ?2, ?3, ?4, ?5) ON "
	                       "CONFLICT (k) DO UPDATE SET a = excluded.a, n = n + excluded.n, "
	                       "d = coalesce(excluded.d, d)");
	assert_int_equal(store__sql_write(b, sizeof(b), "UPDATE", "u", STORE__COLS(U_COLS)), 0);
	assert_string_equal(b, "UPDATE u SET state = ?2 WHERE id = ?1 AND k2 = ?3");
	assert_int_equal(store__sql_select(b, sizeof(b), "t", STORE__COLS(T_COLS), "ORDER BY k"),
	                 0);
	assert_string_equal(b, "SELECT k, a, n, d, x FROM t ORDER BY k");
	assert_int_equal(store__sql_select(b, sizeof(b), "t", STORE__COLS(T_COLS), ""), 0);
	assert_string_equal(b, "SELECT k, a, n, d, x FROM t");
	/* Keys without anything to update: the row is left alone. */
#define K_COLS(X) X(id, KEY, int, r->id) X(v, NEW, int, r->v)
	assert_int_equal(store__sql_write(b, sizeof(b), "INSERT", "o", STORE__COLS(K_COLS)), 0);
	assert_string_equal(b, "INSERT INTO o (id, v) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING");
	/* Too small a buffer is an error, never a cut statement. */
	for (size_t size = 0; size < 60; size++)
		assert_int_equal(store__sql_write(b, size, "INSERT", "t", STORE__COLS(T_COLS)),
		                 VG_ERANGE);
	assert_int_equal(store__sql_select(b, 10, "t", STORE__COLS(T_COLS), ""), VG_ERANGE);
}

/* Does `table` have `column`? */
static bool has_column(sqlite3 *db, const char *table, const char *column)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
	         table, column);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	bool has = sqlite3_column_int(st, 0) == 1;
	sqlite3_finalize(st);
	return has;
}

struct table_list {
	const char *table;
	const struct store__col *cols;
	size_t n;
	bool partial; /* an UPDATE of some columns */
};

static void test_lists_match_schema(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	char *cause = NULL;
	assert_int_equal(store__migrate(db, ":memory:", &cause), 0);
	const struct table_list lists[] = {
		{ "observations", STORE__COLS(STORE__COLS_OBSERVATIONS), false },
		{ "failure_events", STORE__COLS(STORE__COLS_FAILURE_EVENTS), false },
		{ "breaker_transitions", STORE__COLS(STORE__COLS_BREAKER_TRANSITIONS), false },
		{ "incidents", STORE__COLS(STORE__COLS_INCIDENTS), false },
		{ "incident_history", STORE__COLS(STORE__COLS_INCIDENT_HISTORY), false },
		{ "outbox", STORE__COLS(STORE__COLS_OUTBOX), false },
		{ "outbox", STORE__COLS(STORE__COLS_OUTBOX_UPDATE), true },
		{ "operator_actions", STORE__COLS(STORE__COLS_OPERATOR_ACTIONS), false },
		{ "operator_actions", STORE__COLS(STORE__COLS_ACTION_APPLIED), true },
		{ "quarantine", STORE__COLS(STORE__COLS_QUARANTINE), false },
		{ "tail_positions", STORE__COLS(STORE__COLS_TAIL_POSITIONS), false },
		{ "obs_minute", STORE__COLS(STORE__COLS_OBS_MINUTE), false },
		{ "event_minute", STORE__COLS(STORE__COLS_EVENT_MINUTE), false },
		{ "health", STORE__COLS(STORE__COLS_HEALTH), false },
		{ "health_minute", STORE__COLS(STORE__COLS_HEALTH_MINUTE), false },
		{ "rollup_minute", STORE__COLS(STORE__COLS_ROLLUP), false },
		{ "rollup_hour", STORE__COLS(STORE__COLS_ROLLUP), false },
		{ "baseline_models", STORE__COLS(STORE__COLS_BASELINE_MODELS), false },
		{ "baseline_reviews", STORE__COLS(STORE__COLS_BASELINE_REVIEWS), false },
	};
	int tables_seen = 0;
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		const struct table_list *t = &lists[l];
		/* Every listed column exists... */
		for (size_t i = 0; i < t->n; i++)
			if (!has_column(db, t->table, t->cols[i].name))
				fail_msg("%s has no column %s", t->table, t->cols[i].name);
		if (t->partial)
			continue;
		/* ... and every column of the table is listed (an INTEGER PRIMARY
		 * KEY id the database assigns may be left out). */
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT name, pk, type FROM pragma_table_info('%s')",
		         t->table);
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		int cols = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			bool rowid =
			        sqlite3_column_int(st, 1) == 1 && strcmp(name, "id") == 0 &&
			        strcmp((const char *)sqlite3_column_text(st, 2), "INTEGER") == 0;
			bool listed = false;
			for (size_t i = 0; i < t->n; i++)
				listed |= strcmp(t->cols[i].name, name) == 0;
			if (!listed && !rowid)
				fail_msg("%s.%s is in the schema but not in its column list",
				         t->table, name);
			cols++;
		}
		sqlite3_finalize(st);
		assert_true(cols > 0);
		tables_seen++;
	}
	/* Every table of the schema has a list. */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT count(*) FROM sqlite_master WHERE type = "
	                                    "'table' AND name NOT LIKE 'sqlite_%'",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), tables_seen);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sql_text),
		cmocka_unit_test(test_lists_match_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
