/*
 * console_read.h: the console's read API. It builds console snapshots
 * (data/snapshot.h) from the database a daemon writes, so that tui/ never
 * runs SQL itself (the one write a console makes is data/console_act.h).
 * One connection (SQLITE_OPEN_READONLY; WAL lets it read while the daemon
 * writes), prepared statements kept between builds, one read transaction
 * per build so a snapshot is consistent.
 *
 * Every query is cheap: it reads the rollups (health, health_minute,
 * obs_minute, event_minute), the incident rows through their indexes, and
 * never scans a raw table (observations, failure_events); the test
 * test_console_read runs EXPLAIN QUERY PLAN on each of console_read_queries()
 * and fails on a full scan of one. Every string read goes through
 * core/sanitize before it lands in the snapshot.
 *
 * Not thread-safe: one thread uses a struct console_read at a time (the
 * console's reader thread, tui/console_reader).
 */
#ifndef VIGIL_DATA_CONSOLE_READ_H
#define VIGIL_DATA_CONSOLE_READ_H

#include "data/snapshot.h"

struct console_read;

/*
 * Open `path` read-only. Returns 0, or VG_EIO (no such file), VG_EDB (not a
 * vigil database: dbfile_identify(), or unreadable), VG_ECORRUPT (not a
 * database at all, or a damaged schema), VG_EVERSION (PRAGMA user_version
 * newer than STORE_SCHEMA_VERSION) with a malloc'd message in *cause naming
 * the file (caller frees).
 */
int console_read_open(const char *path, struct console_read **out, char **cause);

/* True when the file was opened immutable: no writer was running and this
 * user cannot create its -shm (data/dbaccess.h). A build reopens it as a
 * WAL reader once a writer made the -shm. */
bool console_read_immutable(const struct console_read *db);

/* Close; NULL does nothing. */
void console_read_close(struct console_read *db);

/* The baseline settings warmth is judged with (warm.weeks, .samples,
 * .weight; docs/baselines.md): core's defaults until this is called. */
struct baseline_settings;
void console_read_set_baselines(struct console_read *db, const struct baseline_settings *s);

/*
 * Fill *s (reset first) as of `now_ms` (the wall clock, or the demo's
 * clock). `detail_id` > 0 loads that incident's detail (samples, timeline,
 * triage path) and summary. Returns 0, or VG_EDB, or VG_ECORRUPT (SQLite
 * met damage: dbfile_corrupt_cause()) with a malloc'd message in *cause;
 * *s is then reset.
 */
int console_read_build(struct console_read *db, struct snapshot *s, int64_t now_ms,
                       int64_t detail_id, char **cause);

/* The SQL of every query a build runs (static), for the query-plan test. */
const char *const *console_read_queries(size_t *n);

#endif
