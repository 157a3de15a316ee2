/*
 * store_retention.c: pruning rows older than the retention (store thread,
 * when idle; data/store.c decides when). Each table loses at most a chunk
 * of rows per pass, each in a short transaction of its own, so that a
 * console reading the file and the next batch never wait long. Rows still
 * needed are kept whatever their age: open incidents, undelivered outbox
 * rows, unapplied operator actions.
 */
#include "data/store_internal.h"

static const char *const prune_sql[] = {
	"DELETE FROM observations WHERE id IN (SELECT id FROM observations "
	"WHERE ts_ms < :cutoff LIMIT :chunk)",
	"DELETE FROM failure_events WHERE id IN (SELECT id FROM failure_events "
	"WHERE time_ms < :cutoff LIMIT :chunk)",
	"DELETE FROM breaker_transitions WHERE id IN (SELECT id FROM breaker_transitions "
	"ORDER BY id LIMIT :chunk) AND time_ms < :cutoff",
	"DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id "
	"LIMIT :chunk) AND time_ms < :cutoff",
	"DELETE FROM incident_history WHERE id IN (SELECT id FROM incident_history "
	"ORDER BY id LIMIT :chunk) AND time_ms < :cutoff",
	"DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE last_ms < :cutoff "
	"AND state = 'resolved' LIMIT :chunk)",
	"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT :chunk) "
	"AND state != 'pending' AND created_ms < :cutoff",
	"DELETE FROM operator_actions WHERE id IN (SELECT id FROM operator_actions "
	"ORDER BY id LIMIT :chunk) AND applied = 1 AND time_ms < :cutoff",
	"DELETE FROM obs_minute WHERE minute_ms IN (SELECT minute_ms FROM obs_minute "
	"WHERE minute_ms < :cutoff LIMIT :chunk)",
	"DELETE FROM event_minute WHERE minute_ms IN (SELECT minute_ms FROM event_minute "
	"WHERE minute_ms < :cutoff LIMIT :chunk)",
	"DELETE FROM health_minute WHERE minute_ms IN (SELECT minute_ms FROM health_minute "
	"WHERE minute_ms < :cutoff LIMIT :chunk)",
};

bool store__prune(sqlite3 *db, int64_t cutoff_ms, int chunk, int64_t *deleted, int *failed)
{
	bool more = false;
	*failed = SQLITE_OK;
	for (size_t i = 0; i < sizeof(prune_sql) / sizeof(prune_sql[0]); i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, prune_sql[i], -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":cutoff"), cutoff_ms);
		sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":chunk"), chunk);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
			int rc = sqlite3_step(st);
			int n = sqlite3_changes(db);
			if (rc == SQLITE_DONE &&
			    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
				*deleted += n;
				if (n >= chunk)
					more = true;
			} else {
				if (*failed == SQLITE_OK)
					*failed = sqlite3_extended_errcode(db);
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			}
		} else if (*failed == SQLITE_OK) {
			*failed = sqlite3_extended_errcode(db);
		}
		sqlite3_finalize(st);
	}
	return more;
}
