/*
 * snapshot_db.h: build console snapshots from the database a daemon writes,
 * read-only. One connection (SQLITE_OPEN_READONLY; WAL lets it read while
 * the daemon writes), prepared statements kept between builds, one read
 * transaction per build so a snapshot is consistent.
 *
 * Every query is cheap: it reads the rollups (health, health_minute,
 * obs_minute, event_minute), the incident rows through their indexes, and
 * never scans a raw table (observations, failure_events); the test
 * test_snapshot_db runs EXPLAIN QUERY PLAN on each of snapshot_db_queries()
 * and fails on a full scan of one. Every string read goes through
 * core/sanitize before it lands in the snapshot.
 *
 * Not thread-safe: one thread uses a struct snapshot_db at a time (the
 * console's reader thread, tui/console_reader).
 */
#ifndef VIGIL_TUI_SNAPSHOT_DB_H
#define VIGIL_TUI_SNAPSHOT_DB_H

#include "tui/snapshot.h"

struct snapshot_db;

/*
 * Open `path` read-only. Returns 0, or VG_EIO (no such file), VG_EDB (not a
 * vigil database, or unreadable), VG_EVERSION (a schema this build does not
 * know) with a malloc'd message in *cause naming the file (caller frees).
 */
int snapshot_db_open(const char *path, struct snapshot_db **out, char **cause);

/* Close; NULL does nothing. */
void snapshot_db_close(struct snapshot_db *db);

/*
 * Fill *s (reset first) as of `now_ms` (the wall clock, or the demo's
 * clock). `detail_id` > 0 loads that incident's detail (samples, timeline,
 * triage path) and summary. Returns 0, or VG_EDB with a malloc'd message
 * in *cause; *s is then reset.
 */
int snapshot_db_build(struct snapshot_db *db, struct snapshot *s, int64_t now_ms, int64_t detail_id,
                      char **cause);

/* The SQL of every query a build runs (static), for the query-plan test. */
const char *const *snapshot_db_queries(size_t *n);

#endif
