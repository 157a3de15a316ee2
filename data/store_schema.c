/*
 * store_schema.c: the database schema, as the list of migrations that
 * store__migrate() applies in order when the store opens (PRAGMA
 * user_version counts them). The columns each statement writes and reads
 * are listed in data/store_columns.h. Every vigil database also carries
 * PRAGMA application_id = DBFILE_APPLICATION_ID (data/dbfile.h), set here
 * outside the numbered migrations: on a new file and on one made before
 * the mark (a file header field, not part of the schema).
 *
 * Conventions: times are INTEGER ms since the epoch (UTC); "not measured" is
 * NULL, never 0; enums are stored by their lower-case names (the spelling of
 * core/model.h), so a console can query the file with plain SQL. Rollup
 * tables (obs_minute, event_minute) hold counts per minute so that the
 * console's panes are cheap queries; an index exists only where a query
 * named beside it needs one.
 *
 * Never edit a migration that has shipped: append a new one (and raise
 * STORE_SCHEMA_VERSION in store.h).
 */
#include "data/store_internal.h"

#include "core/vgerr.h"
#include "data/dbfile.h"

#include <stddef.h>
#include <stdio.h>

static const char migration_1[] =
        /* One row per request (gateway event or probe). Dedupe key: (request_id,
	 * attempt); an absent attempt is stored as 1. */
        "CREATE TABLE observations ("
        " id INTEGER PRIMARY KEY,"
        " ts_ms INTEGER NOT NULL,"
        " request_id TEXT NOT NULL,"
        " attempt INTEGER NOT NULL,"
        " source TEXT NOT NULL,"
        " provider TEXT NOT NULL,"
        " model TEXT, region TEXT, key_alias TEXT, template TEXT,"
        " traffic_class TEXT, selection TEXT,"
        " http_status INTEGER, transport_error TEXT, error_class TEXT, finish TEXT,"
        " dns_ms REAL, connect_ms REAL, tls_ms REAL, ttfb_ms REAL, total_ms REAL,"
        " input_tokens INTEGER, output_tokens INTEGER, cached_input_tokens INTEGER,"
        " predicted_input_tokens INTEGER, cost_usd REAL, retry_count INTEGER,"
        " body_bytes INTEGER,"
        " UNIQUE (request_id, attempt));"
        /* retention and the console's "last N minutes" latency percentiles */
        "CREATE INDEX observations_ts ON observations (ts_ms);"

        /* Failure events; detail is core/event's JSON encoding (causal signals). */
        "CREATE TABLE failure_events ("
        " id INTEGER PRIMARY KEY,"
        " event_id INTEGER NOT NULL,"
        " time_ms INTEGER NOT NULL,"
        " category TEXT NOT NULL, subtype TEXT NOT NULL, severity TEXT NOT NULL,"
        " provider TEXT NOT NULL, model TEXT, region TEXT, key_alias TEXT,"
        " request_id TEXT, template TEXT, traffic_class TEXT, retryable INTEGER,"
        " detail TEXT);"
        "CREATE INDEX failure_events_time ON failure_events (time_ms);"

        "CREATE TABLE breaker_transitions ("
        " id INTEGER PRIMARY KEY,"
        " time_ms INTEGER NOT NULL,"
        " provider TEXT NOT NULL, model TEXT,"
        " from_state TEXT NOT NULL, to_state TEXT NOT NULL,"
        " reason TEXT, opens_in_window INTEGER, oscillating INTEGER NOT NULL);"

        /* Incidents: replaced whole by id as core/incidents changes them. */
        "CREATE TABLE incidents ("
        " id INTEGER PRIMARY KEY,"
        " key TEXT NOT NULL,"
        " category TEXT NOT NULL, subtype TEXT NOT NULL,"
        " provider TEXT, model TEXT,"
        " severity TEXT NOT NULL, state TEXT NOT NULL,"
        " count INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
        " detail TEXT);"
        /* startup: the open ones; console: the most recent first */
        "CREATE INDEX incidents_open ON incidents (id) WHERE state != 'resolved';"
        "CREATE INDEX incidents_last ON incidents (last_ms);"

        "CREATE TABLE incident_history ("
        " id INTEGER PRIMARY KEY,"
        " incident_id INTEGER NOT NULL,"
        " time_ms INTEGER NOT NULL,"
        " what TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,"
        " count INTEGER NOT NULL, related_id INTEGER, actor TEXT, note TEXT);"
        /* console: one incident's history */
        "CREATE INDEX incident_history_incident ON incident_history (incident_id, time_ms);"

        /* The sinks' outbox: a row stays until delivered (or dead). */
        "CREATE TABLE outbox ("
        " id INTEGER PRIMARY KEY,"
        " sink TEXT NOT NULL, dedup_key TEXT NOT NULL, op TEXT, incident_id INTEGER,"
        " sequence INTEGER NOT NULL,"
        " payload TEXT NOT NULL, state TEXT NOT NULL,"
        " attempts INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL,"
        " created_ms INTEGER NOT NULL, delivered_ms INTEGER);"
        /* startup: the undelivered ones */
        "CREATE INDEX outbox_pending ON outbox (id) WHERE state = 'pending';"

        /* Written by consoles (their only write), applied by the daemon. */
        "CREATE TABLE operator_actions ("
        " id INTEGER PRIMARY KEY,"
        " incident_id INTEGER NOT NULL,"
        " action TEXT NOT NULL, actor TEXT NOT NULL, note TEXT,"
        " time_ms INTEGER NOT NULL, applied INTEGER NOT NULL DEFAULT 0);"
        /* daemon: the unapplied ones */
        "CREATE INDEX operator_actions_unapplied ON operator_actions (id) WHERE applied = 0;"

        "CREATE TABLE quarantine ("
        " id INTEGER PRIMARY KEY,"
        " file TEXT NOT NULL, line_no INTEGER NOT NULL, byte_offset INTEGER NOT NULL,"
        " reason TEXT NOT NULL, detail TEXT NOT NULL, head BLOB NOT NULL,"
        " time_ms INTEGER NOT NULL);"

        /* The tailer's read position per file (device, inode), committed with
	 * the rows it covers. */
        "CREATE TABLE tail_positions ("
        " dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
        " path TEXT NOT NULL, read_offset INTEGER NOT NULL, line_no INTEGER NOT NULL,"
        " head_sig INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
        " PRIMARY KEY (dev, ino)) WITHOUT ROWID;"

        /* Rollups for the console: requests per minute per provider and model,
	 * failure events per minute per provider, category, subtype, severity. */
        "CREATE TABLE obs_minute ("
        " minute_ms INTEGER NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,"
        " requests INTEGER NOT NULL, errors INTEGER NOT NULL,"
        " total_ms_sum REAL NOT NULL, total_ms_n INTEGER NOT NULL,"
        " input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,"
        " cost_usd REAL NOT NULL,"
        " PRIMARY KEY (minute_ms, provider, model)) WITHOUT ROWID;"
        "CREATE TABLE event_minute ("
        " minute_ms INTEGER NOT NULL, provider TEXT NOT NULL, category TEXT NOT NULL,"
        " subtype TEXT NOT NULL, severity TEXT NOT NULL, events INTEGER NOT NULL,"
        " PRIMARY KEY (minute_ms, provider, category, subtype, severity)) WITHOUT ROWID;";

static const char migration_2[] =
        /* Health, as the daemon's core reads it (pipeline_health_view(), every
	 * few seconds): one row per provider ("" model) and provider/model,
	 * replaced each time; the console's health pane and its status line
	 * (updated_ms: is the daemon alive?) read it whole, it is small. */
        "CREATE TABLE health ("
        " provider TEXT NOT NULL, model TEXT NOT NULL,"
        " fallback INTEGER NOT NULL, configured INTEGER NOT NULL,"
        " window_requests INTEGER, availability REAL,"
        " p50_ms REAL, p95_ms REAL, p99_ms REAL,"
        " err_rate_limit REAL, err_server REAL, err_timeout REAL, err_content_filter REAL,"
        " err_other REAL, tokens_per_s REAL, quality REAL, cost_efficiency REAL,"
        " headroom REAL, headroom_slope REAL, probe_spend_usd REAL, probe_budget_usd REAL,"
        " breaker TEXT, breaker_since_ms INTEGER, opens_in_window INTEGER,"
        " oscillating INTEGER NOT NULL, latency_threshold_ms REAL,"
        " updated_ms INTEGER NOT NULL,"
        " PRIMARY KEY (provider, model)) WITHOUT ROWID;"
        /* The console's latency history: the last p95 of each minute. */
        "CREATE TABLE health_minute ("
        " minute_ms INTEGER NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,"
        " p95_ms REAL, requests INTEGER,"
        " PRIMARY KEY (minute_ms, provider, model)) WITHOUT ROWID;";

static const char migration_3[] =
        /* The idempotency key of each notification (core/route.h): from the
	 * events, stable across retries and restarts, sent as the
	 * Idempotency-Key header of webhook and ticket deliveries. NULL in rows
	 * written before (data/outbox makes one from the row's id). */
        "ALTER TABLE outbox ADD COLUMN idempotency_key TEXT;";

static const char migration_4[] =
        /* Baselines (core/baseline, docs/baselines.md). Rollups per series
	 * (provider, model alias or "" for the provider's aggregate, source)
	 * and minute or hour: the counts a console may sum in SQL, and the
	 * whole rollup as core/rollup_codec bytes. Minutes are kept
	 * baselines.retention.minutes, hours baselines.retention.hours, on the
	 * events' clock (start_ms indexes are for that pruning). */
        "CREATE TABLE rollup_minute ("
        " provider TEXT NOT NULL, alias TEXT NOT NULL, source TEXT NOT NULL,"
        " start_ms INTEGER NOT NULL, requests REAL NOT NULL, errors REAL NOT NULL,"
        " flags INTEGER NOT NULL, model TEXT, data BLOB NOT NULL,"
        " PRIMARY KEY (provider, alias, source, start_ms)) WITHOUT ROWID;"
        "CREATE INDEX rollup_minute_start ON rollup_minute (start_ms);"
        "CREATE TABLE rollup_hour ("
        " provider TEXT NOT NULL, alias TEXT NOT NULL, source TEXT NOT NULL,"
        " start_ms INTEGER NOT NULL, requests REAL NOT NULL, errors REAL NOT NULL,"
        " flags INTEGER NOT NULL, model TEXT, data BLOB NOT NULL,"
        " PRIMARY KEY (provider, alias, source, start_ms)) WITHOUT ROWID;"
        "CREATE INDEX rollup_hour_start ON rollup_hour (start_ms);"
        /* One model per series: core/baseline_blob bytes, replaced at each
	 * refresh and review decision; refreshed_ms is the refresh it holds
	 * (hours after it are the current week, restored on start). */
        "CREATE TABLE baseline_models ("
        " provider TEXT NOT NULL, alias TEXT NOT NULL, source TEXT NOT NULL,"
        " refreshed_ms INTEGER, learned_ms INTEGER, refreshes INTEGER NOT NULL,"
        " review INTEGER NOT NULL, updated_ms INTEGER NOT NULL, model BLOB NOT NULL,"
        " PRIMARY KEY (provider, alias, source)) WITHOUT ROWID;"
        /* Review items: a step a refresh found, waiting for an operator
	 * (accept absorbs it, reject keeps the old baseline). */
        "CREATE TABLE baseline_reviews ("
        " id INTEGER PRIMARY KEY,"
        " provider TEXT NOT NULL, alias TEXT NOT NULL, source TEXT NOT NULL,"
        " metric TEXT NOT NULL, delta REAL NOT NULL, z REAL NOT NULL,"
        " at_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL, near_marker INTEGER NOT NULL,"
        " model TEXT, detail TEXT NOT NULL, state TEXT NOT NULL, actor TEXT,"
        " decided_ms INTEGER);"
        /* startup and `vigil baseline review`: the waiting ones */
        "CREATE INDEX baseline_reviews_waiting ON baseline_reviews (id) WHERE state = 'waiting';"
        /* accept and reject name a review item, not an incident */
        "ALTER TABLE operator_actions ADD COLUMN review_id INTEGER;";

static const char migration_5[] =
        /* The newest gateway event the daemon had seen when it wrote a health
	 * row (probes not counted: they keep updated_ms fresh while the gateway
	 * writes nothing); NULL before the first one. */
        "ALTER TABLE health ADD COLUMN gateway_event_ms INTEGER;";

static const char migration_6[] =
        /* What became of an operator action, written by the daemon when it
	 * marks it applied: "applied", or "refused: <why>" (an incident
	 * acknowledged by another console already, ...). The console that
	 * wrote the action reads it back by id and tells its operator. NULL
	 * until then, and in rows from before. */
        "ALTER TABLE operator_actions ADD COLUMN outcome TEXT;";

static const char migration_7[] =
        /* The size of each tailed file when its position was committed: a
	 * file rotated while vigil was down and gone since (deleted,
	 * compressed) had at least file_size - read_offset bytes never read
	 * (data/ingest_found.c). -1 in rows written before. */
        "ALTER TABLE tail_positions ADD COLUMN file_size INTEGER NOT NULL DEFAULT -1;";

static const char *const migrations[] = { migration_1, migration_2, migration_3, migration_4,
	                                  migration_5, migration_6, migration_7 };
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "a migration for every schema version");

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

int store__migrate(sqlite3 *db, const char *path, char **cause)
{
	int version = (int)pragma_int(db, "PRAGMA user_version");
	if (version > N_MIGRATIONS)
		return vg_cause(cause, VG_EVERSION,
		                "%s: database schema version %d is newer than this "
		                "vigil knows (%d)",
		                path, version, N_MIGRATIONS);
	/* The mark (data/dbfile.h): on a new file, and on one from before it.
	 * The caller has checked with dbfile_identify() that the file is
	 * vigil's or new. */
	if (pragma_int(db, "PRAGMA application_id") != DBFILE_APPLICATION_ID) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d",
		         (int)DBFILE_APPLICATION_ID);
		if (exec(db, pragma) != SQLITE_OK)
			return vg_cause(cause, VG_EDB,
			                "%s: cannot mark the database as vigil's: %s", path,
			                sqlite3_errmsg(db));
	}
	for (int v = version; v < N_MIGRATIONS; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		char *err = NULL;
		if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK ||
		    sqlite3_exec(db, migrations[v], NULL, NULL, &err) != SQLITE_OK ||
		    exec(db, pragma) != SQLITE_OK || exec(db, "COMMIT") != SQLITE_OK) {
			vg_cause(cause, VG_EDB, "%s: migration to schema %d failed: %s", path,
			         v + 1, err ? err : sqlite3_errmsg(db));
			sqlite3_free(err);
			exec(db, "ROLLBACK");
			return VG_EDB;
		}
	}
	return 0;
}
