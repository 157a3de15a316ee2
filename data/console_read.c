/*
 * console_read.c: console snapshots from the store's database, read-only
 * (see console_read.h). The schema is data/store_schema.c's: rollups for the
 * panes (health and health_minute, written by the daemon from core's health
 * read API; obs_minute and event_minute, counted by the store), incidents
 * with their history, breaker transitions, operator actions.
 *
 * The list of statements below is the whole of what the console asks; keep
 * it that way, so the query-plan test sees every query. The one exception is
 * the baselines' small tables (one row per series or review item), which
 * data/baseline_db reads through this same connection and transaction: the
 * review items, and the models (decoded for their warmth and the size of a
 * waiting review's step only when one changed: the Q_BL_MODELS fingerprint).
 * The Q_BL_* statements exist from schema version 4 on; an older database
 * shows no baselines.
 */
#include "data/console_read.h"

#include "data/console_evidence.h"

#include "core/incident.h"
#include "core/semantic.h"
#include "core/sanitize.h"
#include "core/vgerr.h"
#include "data/baseline_db.h"
#include "data/dbaccess.h"
#include "data/dbfile.h"
#include "data/store.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum q {
	Q_BEGIN,
	Q_COMMIT,
	Q_HEALTH,
	Q_SPARK,
	Q_TRANS_MAX,
	Q_TRANS,
	Q_TAXONOMY,
	Q_TAXONOMY_RANGE,
	Q_OBS_EVIDENCE,
	Q_EVT_EVIDENCE,
	Q_SCOPE_OBS,
	Q_SCOPE_EVT,
	Q_SCOPE_FALLBACK,
	Q_SCOPE_MODELS,
	Q_SCOPE_BL_EVT,
	Q_BASELINE,
	Q_INC_OPEN,
	Q_INC_RESOLVED,
	Q_INC_HISTORY,
	Q_INC_DETAIL,
	Q_PENDING,
	Q_BL_MODELS, /* first of the baseline statements (schema 4) */
	Q_BL_HOURLY,
	Q_BL_PENDING,
	Q__COUNT
};

static const char *const sql[Q__COUNT] = {
	[Q_BEGIN] = "BEGIN",
	[Q_COMMIT] = "COMMIT",
	[Q_HEALTH] = "SELECT provider, model, fallback, window_requests, availability, p50_ms, "
	             "p95_ms, p99_ms, err_rate_limit, err_server, err_timeout, "
	             "err_content_filter, err_other, tokens_per_s, quality, cost_efficiency, "
	             "headroom, probe_spend_usd, probe_budget_usd, breaker, breaker_since_ms, "
	             "oscillating, latency_threshold_ms, updated_ms, gateway_event_ms FROM health "
	             "ORDER BY provider, model",
	[Q_SPARK] = "SELECT provider, model, minute_ms, p95_ms FROM health_minute "
	            "WHERE minute_ms >= ?1 ORDER BY minute_ms",
	[Q_TRANS_MAX] = "SELECT max(id) FROM breaker_transitions",
	[Q_TRANS] = "SELECT time_ms, provider, model, from_state, to_state, reason, "
	            "opens_in_window, oscillating FROM breaker_transitions WHERE id > ?1 "
	            "ORDER BY id DESC",
	[Q_TAXONOMY] = "SELECT category, severity, sum(events) FROM event_minute "
	               "WHERE minute_ms >= ?1 GROUP BY category, severity",
	[Q_TAXONOMY_RANGE] = "SELECT category, severity, sum(events) FROM event_minute "
	                     "WHERE minute_ms >= ?1 AND minute_ms < ?2 GROUP BY category, severity",
	[Q_OBS_EVIDENCE] = "SELECT provider, sum(requests), sum(errors) FROM obs_minute "
	                   "WHERE minute_ms >= ?1 GROUP BY provider",
	[Q_EVT_EVIDENCE] = "SELECT provider, subtype, sum(events) FROM event_minute "
	                   "WHERE minute_ms >= ?1 GROUP BY provider, subtype",
	/* One incident's scope (the wizard's evidence): ?1..?2 its minutes,
	 * ?3 its provider, ?4 / ?5 JSON arrays of its models / templates (NULL:
	 * any). Through the time indexes, bounded by the incident's span. */
	[Q_SCOPE_OBS] = "SELECT count(*), coalesce(sum(http_status IS NULL OR http_status < 200 OR "
	                "http_status > 299 OR transport_error IS NOT NULL), 0) "
	                "FROM observations WHERE ts_ms >= ?1 AND ts_ms < ?2 AND provider = ?3 "
	                "AND (?4 IS NULL OR model IN (SELECT value FROM json_each(?4))) "
	                "AND (?5 IS NULL OR template IN (SELECT value FROM json_each(?5)))",
	[Q_SCOPE_EVT] = "SELECT subtype, count(*) FROM failure_events "
	                "WHERE time_ms >= ?1 AND time_ms < ?2 AND provider = ?3 "
	                "AND (?4 IS NULL OR model IN (SELECT value FROM json_each(?4))) "
	                "AND (?5 IS NULL OR template IN (SELECT value FROM json_each(?5))) "
	                "GROUP BY subtype",
	/* The fallback in those minutes: requests another provider served as
	 * the fallback, and how many of them it answered with a 2xx. */
	[Q_SCOPE_FALLBACK] = "SELECT count(*), coalesce(sum(http_status BETWEEN 200 AND 299 AND "
	                     "transport_error IS NULL), 0) FROM observations "
	                     "WHERE ts_ms >= ?1 AND ts_ms < ?2 AND provider != ?3 "
	                     "AND selection = 'fallback'",
	/* The models the provider's requests named in those minutes: a
	 * baseline's event names its series' alias ("gemini-2.0-flash"), the
	 * requests their versions ("gemini-2.0-flash-001"). */
	[Q_SCOPE_MODELS] =
	        "SELECT DISTINCT model FROM observations "
	        "WHERE ts_ms >= ?1 AND ts_ms < ?2 AND provider = ?3 AND model IS NOT NULL",
	/* The scope's latest event a warm baseline raised (its causal signals
	 * carry the usual band), and how many there are. */
	[Q_SCOPE_BL_EVT] =
	        "SELECT subtype, json_extract(detail, '$.causal.detail'), count(*) OVER () "
	        "FROM failure_events WHERE time_ms >= ?1 AND time_ms < ?2 AND provider = ?3 "
	        "AND (?4 IS NULL OR model IN (SELECT value FROM json_each(?4))) "
	        "AND (?5 IS NULL OR template IN (SELECT value FROM json_each(?5))) "
	        "AND json_extract(detail, '$.causal.baseline_expected') IS NOT NULL "
	        "ORDER BY time_ms DESC, id DESC LIMIT 1",
	/* The scope's baseline model (primary key); optional: a database from
	 * before baselines has no such table. */
	[Q_BASELINE] = "SELECT model FROM baseline_models WHERE provider = ?1 AND alias = ?2 "
	               "AND source = 'gateway'",
	[Q_INC_OPEN] = "SELECT id, category, subtype, provider, model, severity, state, count, "
	               "first_ms, last_ms FROM incidents WHERE state != 'resolved' ORDER BY id",
	[Q_INC_RESOLVED] = "SELECT id, category, subtype, provider, model, severity, state, "
	                   "count, first_ms, last_ms FROM incidents "
	                   "WHERE last_ms >= ?1 AND state = 'resolved' "
	                   "ORDER BY last_ms DESC LIMIT ?2",
	[Q_INC_HISTORY] = "SELECT time_ms, what, state, severity, count, related_id, actor, note "
	                  "FROM incident_history WHERE incident_id = ?1 ORDER BY time_ms, id",
	[Q_INC_DETAIL] = "SELECT detail, category, provider, first_ms, last_ms FROM incidents "
	                 "WHERE id = ?1",
	[Q_PENDING] = "SELECT incident_id FROM operator_actions WHERE applied = 0",
	[Q_BL_MODELS] = "SELECT count(*), max(updated_ms), sum(review), max(refreshed_ms) "
	                "FROM baseline_models",
	/* each series' requests an hour over the day before the newest hour */
	[Q_BL_HOURLY] = "SELECT provider, alias, source, sum(requests), count(*) FROM rollup_hour "
	                "WHERE start_ms > (SELECT max(start_ms) FROM rollup_hour) - 86400000 "
	                "GROUP BY provider, alias, source",
	[Q_BL_PENDING] = "SELECT review_id FROM operator_actions WHERE applied = 0 AND "
	                 "review_id IS NOT NULL",
};

/* Notes the daemon records for a wizard path start with this. */
#define TRIAGE_NOTE_PREFIX "triage: "

/* The 24 h taxonomy counts of the minutes that are settled (older than
 * TAX_SETTLED_MS): kept between builds and moved along a minute at a time
 * (add the minutes that entered, subtract those that left), so a refresh
 * reads a few minutes of event_minute instead of a day of it; summed whole
 * again once a minute. */
#define TAX_SETTLED_MS (3 * 60000LL)

struct console_read {
	sqlite3 *db;
	sqlite3_stmt *st[Q__COUNT];
	char path[200];
	bool immutable; /* opened without WAL (no writer, no write access) */
	bool tax_valid;
	int64_t tax_from, tax_upto; /* [from, upto) minutes summed in tax */
	int64_t tax_full_ms;        /* when it was last summed whole */
	int64_t tax[CAT__COUNT][SEV__COUNT];
	/* baselines (NULL before schema 4) */
	struct baseline_db *bl;
	struct baseline_settings bls;
	bool bl_valid;       /* the cache below matches bl_print */
	int64_t bl_print[4]; /* Q_BL_MODELS' row when the cache was filled */
	struct baseline_db_warmth *warmth;
	size_t n_warmth;
	struct bl_step {
		int64_t id;
		double before, after;
	} steps[SNAP_MAX_REVIEWS]; /* waiting reviews' values, by id */
	int n_steps;
};

const char *const *console_read_queries(size_t *n)
{
	*n = Q__COUNT;
	return sql;
}

static void disconnect(sqlite3 *conn, sqlite3_stmt **st);

void console_read_close(struct console_read *db)
{
	if (!db)
		return;
	baseline_db_close(db->bl);
	free(db->warmth);
	disconnect(db->db, db->st);
	free(db);
}

void console_read_set_baselines(struct console_read *db, const struct baseline_settings *s)
{
	db->bls = *s;
	db->bl_valid = false;
}

/* Finalize a connection's statements and close it. */
static void disconnect(sqlite3 *conn, sqlite3_stmt **st)
{
	for (int i = 0; i < Q__COUNT; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
	sqlite3_close(conn);
}

/* Open `path` read-only (immutable when no writer runs and this user cannot
 * make the -shm: data/dbaccess.h), check its version (into *version) and
 * prepare every query into st (the baselines' from schema 4 on). 0, or an
 * error with *cause. */
static int connect_db(const char *path, sqlite3 **out, sqlite3_stmt **st, bool *immutable,
                      int *version_out, char **cause)
{
	sqlite3 *conn = NULL;
	*out = NULL;
	int rc = dbaccess_open_ro(path, SQLITE_OPEN_NOMUTEX, &conn, immutable, cause);
	if (rc != SQLITE_OK)
		return dbfile_is_corrupt(rc) ? VG_ECORRUPT : VG_EDB;
	sqlite3_busy_timeout(conn, 1000);
	/* A newer daemon's schema may still prepare (new columns, same tables)
	 * yet mean something else: refuse it by its version, as the store does. */
	sqlite3_stmt *ver = NULL;
	int version = -1;
	if (sqlite3_prepare_v2(conn, "PRAGMA user_version", -1, &ver, NULL) == SQLITE_OK &&
	    sqlite3_step(ver) == SQLITE_ROW)
		version = sqlite3_column_int(ver, 0);
	sqlite3_finalize(ver);
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		if (version < 0)
			vg_cause(cause, VG_EDB, "%s: %s", path, sqlite3_errmsg(conn));
		else
			vg_cause(cause, VG_EVERSION,
			         "%s: database schema version %d is newer than this vigil knows "
			         "(%d)",
			         path, version, STORE_SCHEMA_VERSION);
		disconnect(conn, st);
		return version < 0 ? VG_EDB : VG_EVERSION;
	}
	for (int i = 0; i < Q__COUNT; i++) {
		if (i >= Q_BL_MODELS && version < 4)
			break;
		rc = sqlite3_prepare_v3(conn, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL);
		if (rc != SQLITE_OK && i == Q_BASELINE) {
			st[i] = NULL; /* no baselines in this database: none shown */
			continue;
		}
		if (rc != SQLITE_OK) {
			vg_cause(cause, VG_EDB, "%s: not a vigil database, or an older one (%s)",
			         path, sqlite3_errmsg(conn));
			disconnect(conn, st);
			return VG_EDB;
		}
	}
	*version_out = version;
	*out = conn;
	return 0;
}

int console_read_open(const char *path, struct console_read **out, char **cause)
{
	*out = NULL;
	struct stat sb;
	if (stat(path, &sb) != 0)
		return vg_cause(cause, VG_EIO,
		                "%s: no such database (start `vigil run` or give --db)", path);
	/* another application's file, or no database at all: refused by name */
	struct dbfile_id id;
	int irc = dbfile_identify(path, &id, cause);
	if (irc != 0)
		return irc;
	struct console_read *db = calloc(1, sizeof(*db));
	if (!db)
		return VG_ENOMEM;
	snprintf(db->path, sizeof(db->path), "%s", path);
	baseline_defaults(&db->bls);
	int version = 0;
	int rc = connect_db(path, &db->db, db->st, &db->immutable, &version, cause);
	if (rc != 0) {
		free(db);
		return rc;
	}
	if (version >= 4 && baseline_db_borrow(db->db, &db->bl) == VG_ENOMEM) {
		console_read_close(db);
		return VG_ENOMEM;
	}
	*out = db;
	return 0;
}

bool console_read_immutable(const struct console_read *db)
{
	return db->immutable;
}

/* Read as a WAL reader again once a writer has made the -shm (a daemon
 * started after an immutable open); on failure the old connection stays. */
static void reconnect_if_written(struct console_read *db)
{
	if (!db->immutable || !dbaccess_shm_exists(db->path))
		return;
	sqlite3 *conn = NULL;
	sqlite3_stmt *st[Q__COUNT] = { 0 };
	bool imm = false;
	int version = 0;
	struct baseline_db *bl = NULL;
	if (connect_db(db->path, &conn, st, &imm, &version, NULL) != 0)
		return;
	if (version >= 4 && baseline_db_borrow(conn, &bl) != 0) {
		disconnect(conn, st);
		return;
	}
	baseline_db_close(db->bl);
	disconnect(db->db, db->st);
	db->db = conn;
	db->bl = bl;
	memcpy(db->st, st, sizeof(st));
	db->immutable = imm;
	db->tax_valid = false;
	db->bl_valid = false;
}

/* ---- reading columns ---- */

static void col_str(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	if (t)
		sanitize_text(dst, size, (const char *)t, (size_t)n, 0);
	else if (size)
		dst[0] = '\0';
}

static double col_d(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? VG_NONE_D : sqlite3_column_double(st, i);
}

static int64_t col_i(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? VG_NONE : sqlite3_column_int64(st, i);
}

static int col_enum(sqlite3_stmt *st, int i, int (*parse)(const char *, size_t), int dflt)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return dflt;
	int v = parse((const char *)t, (size_t)sqlite3_column_bytes(st, i));
	return v < 0 ? dflt : v;
}

static int64_t minute_of(int64_t ms)
{
	return ms - ((ms % 60000) + 60000) % 60000;
}

/* ---- the parts of a snapshot ---- */

static int find_row(const struct snapshot *s, const char *provider, const char *model)
{
	for (int i = 0; i < s->n_providers; i++)
		if (strcmp(s->providers[i].provider, provider) == 0 &&
		    strcmp(s->providers[i].model, model) == 0)
			return i;
	return -1;
}

static int read_health(struct console_read *db, struct snapshot *s)
{
	sqlite3_stmt *st = db->st[Q_HEALTH];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && s->n_providers < SNAP_MAX_PROVIDERS) {
		struct snap_provider *p = &s->providers[s->n_providers++];
		snapshot_provider_init(p);
		col_str(st, 0, p->provider, sizeof(p->provider));
		col_str(st, 1, p->model, sizeof(p->model));
		p->fallback = sqlite3_column_int(st, 2) != 0;
		p->requests = col_i(st, 3);
		p->availability = col_d(st, 4);
		p->p50_ms = col_d(st, 5);
		p->p95_ms = col_d(st, 6);
		p->p99_ms = col_d(st, 7);
		for (int e = 0; e < SNAP_ERR__COUNT; e++)
			p->err_rate[e] = col_d(st, 8 + e);
		p->tokens_per_s = col_d(st, 13);
		p->quality = col_d(st, 14);
		p->cost_efficiency = col_d(st, 15);
		p->rl_headroom = col_d(st, 16);
		p->probe_spend_usd = col_d(st, 17);
		p->probe_budget_usd = col_d(st, 18);
		p->has_breaker = sqlite3_column_type(st, 19) != SQLITE_NULL;
		p->breaker =
		        (enum breaker_state)col_enum(st, 19, model_breaker_state_parse, BRK_CLOSED);
		p->breaker_since_ms = col_i(st, 20);
		p->oscillating = sqlite3_column_int(st, 21) != 0;
		double thr = col_d(st, 22);
		p->latency_threshold_ms = thr;
		int64_t upd = col_i(st, 23);
		if (vg_has(upd) && (!vg_has(s->last_data_ms) || upd > s->last_data_ms))
			s->last_data_ms = upd;
		int64_t gw = col_i(st, 24);
		if (vg_has(gw) && (!vg_has(s->last_gateway_ms) || gw > s->last_gateway_ms))
			s->last_gateway_ms = gw;
		p->spark_step_ms = 60000;
		/* The evidence row of a provider starts with what health knows. */
		if (!p->model[0] && s->n_providers <= SNAP_MAX_PROVIDERS) {
			struct triage_evidence *ev = &s->provider_evidence[s->n_providers - 1];
			model_copy_str(ev->scope, sizeof(ev->scope), p->provider, (size_t)-1);
			if (!isnan(p->p99_ms) && !isnan(thr) && thr > 0)
				ev->v[TM_P99_RATIO] = p->p99_ms / thr;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

static int read_spark(struct console_read *db, struct snapshot *s, int64_t now)
{
	sqlite3_stmt *st = db->st[Q_SPARK];
	int64_t from = minute_of(now) - (int64_t)(SNAP_SPARK_N - 1) * 60000;
	sqlite3_bind_int64(st, 1, from);
	int rc;
	char prov[VG_NAME_MAX], model[VG_MODEL_MAX];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_str(st, 0, prov, sizeof(prov));
		col_str(st, 1, model, sizeof(model));
		int i = find_row(s, prov, model);
		if (i < 0)
			continue;
		struct snap_provider *p = &s->providers[i];
		int slot = (int)((sqlite3_column_int64(st, 2) - from) / 60000);
		if (slot < 0 || slot >= SNAP_SPARK_N)
			continue;
		/* Minutes without a row are gaps (NaN). */
		while (p->n_spark < slot)
			p->spark[p->n_spark++] = NAN;
		if (p->n_spark == slot)
			p->spark[p->n_spark++] = (float)col_d(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

static int read_transitions(struct console_read *db, struct snapshot *s)
{
	sqlite3_stmt *st = db->st[Q_TRANS_MAX];
	int rc = sqlite3_step(st);
	int64_t max = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc;
	st = db->st[Q_TRANS];
	sqlite3_bind_int64(st, 1, max - SNAP_MAX_TRANSITIONS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && s->n_transitions < SNAP_MAX_TRANSITIONS) {
		struct breaker_transition *t = &s->transitions[s->n_transitions++];
		memset(t, 0, sizeof(*t));
		t->time_ms = sqlite3_column_int64(st, 0);
		col_str(st, 1, t->provider, sizeof(t->provider));
		col_str(st, 2, t->model, sizeof(t->model));
		t->from =
		        (enum breaker_state)col_enum(st, 3, model_breaker_state_parse, BRK_CLOSED);
		t->to = (enum breaker_state)col_enum(st, 4, model_breaker_state_parse, BRK_CLOSED);
		col_str(st, 5, t->reason, sizeof(t->reason));
		t->opens_in_window = (int32_t)sqlite3_column_int(st, 6);
		t->oscillating = sqlite3_column_int(st, 7) != 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* Add (sign 1) or subtract (-1) the counts of minutes [from, upto) to out. */
static int taxonomy_range(struct console_read *db, int64_t from, int64_t upto, int sign,
                          int64_t out[CAT__COUNT][SEV__COUNT])
{
	if (upto <= from)
		return 0;
	sqlite3_stmt *st = db->st[Q_TAXONOMY_RANGE];
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, upto);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int c = col_enum(st, 0, model_category_parse, -1);
		int v = col_enum(st, 1, model_severity_parse, -1);
		if (c >= 0 && v >= 0)
			out[c][v] += sign * sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* The last 24 h: the settled minutes from the cache (moved along), the
 * recent ones read now. */
static int taxonomy_day(struct console_read *db, struct snapshot *s, int64_t from, int64_t now)
{
	int64_t upto = minute_of(now) - TAX_SETTLED_MS;
	int rc = 0;
	/* Summed whole at least once a minute: rows written late for settled
	 * minutes (a backfill) show within a minute. */
	if (!db->tax_valid || from < db->tax_from || upto < db->tax_upto || from >= db->tax_upto ||
	    now - db->tax_full_ms >= 60000 || now < db->tax_full_ms) {
		memset(db->tax, 0, sizeof(db->tax));
		rc = taxonomy_range(db, from, upto, 1, db->tax);
		db->tax_full_ms = now;
	} else {
		rc = taxonomy_range(db, db->tax_upto, upto, 1, db->tax);
		if (rc == 0)
			rc = taxonomy_range(db, db->tax_from, from, -1, db->tax);
	}
	db->tax_valid = rc == 0;
	db->tax_from = from;
	db->tax_upto = upto;
	if (rc != 0)
		return rc;
	for (int c = 0; c < CAT__COUNT; c++)
		for (int v = 0; v < SEV__COUNT; v++)
			s->taxonomy[SNAP_W_24H][c][v] += db->tax[c][v];
	sqlite3_stmt *st = db->st[Q_TAXONOMY];
	sqlite3_bind_int64(st, 1, upto > from ? upto : from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int c = col_enum(st, 0, model_category_parse, -1);
		int v = col_enum(st, 1, model_severity_parse, -1);
		if (c >= 0 && v >= 0)
			s->taxonomy[SNAP_W_24H][c][v] += sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

static int read_taxonomy(struct console_read *db, struct snapshot *s, int64_t now)
{
	static const int64_t span[SNAP_W__COUNT] = { 5 * 60000LL, 3600000LL, 86400000LL };
	sqlite3_stmt *st = db->st[Q_TAXONOMY];
	for (int w = 0; w < SNAP_W__COUNT; w++) {
		int64_t from = minute_of(now) - span[w] + 60000;
		if (w == SNAP_W_24H) {
			int rc = taxonomy_day(db, s, from, now);
			if (rc != 0)
				return rc;
			continue;
		}
		sqlite3_bind_int64(st, 1, from);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int c = col_enum(st, 0, model_category_parse, -1);
			int v = col_enum(st, 1, model_severity_parse, -1);
			if (c >= 0 && v >= 0)
				s->taxonomy[w][c][v] += sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return rc;
	}
	return 0;
}

static struct console_evidence_q evidence_q(struct console_read *db)
{
	struct console_evidence_q q = {
		.obs = db->st[Q_OBS_EVIDENCE],
		.evt = db->st[Q_EVT_EVIDENCE],
		.scope_obs = db->st[Q_SCOPE_OBS],
		.scope_evt = db->st[Q_SCOPE_EVT],
		.scope_fallback = db->st[Q_SCOPE_FALLBACK],
		.scope_models = db->st[Q_SCOPE_MODELS],
		.scope_bl_evt = db->st[Q_SCOPE_BL_EVT],
		.baseline = db->st[Q_BASELINE],
	};
	return q;
}

static int read_evidence(struct console_read *db, struct snapshot *s, int64_t now)
{
	struct console_evidence_q q = evidence_q(db);
	return console_evidence_live(&q, s, now);
}

static int inc_state_parse(const char *t, size_t n)
{
	int v = incident_state_parse(t, n);
	switch (v) {
	case INC_OPEN: return SNAP_INC_OPEN;
	case INC_ACKNOWLEDGED: return SNAP_INC_ACKED;
	case INC_RESOLVED: return SNAP_INC_RESOLVED;
	default: return -1;
	}
}

static void read_incident_row(sqlite3_stmt *st, struct snap_incident *inc)
{
	memset(inc, 0, sizeof(*inc));
	inc->id = sqlite3_column_int64(st, 0);
	inc->category = (enum category)col_enum(st, 1, model_category_parse, CAT_PROVIDER);
	inc->subtype = (enum subtype)col_enum(st, 2, model_subtype_parse, SUB_PROVIDER_OTHER);
	col_str(st, 3, inc->provider, sizeof(inc->provider));
	col_str(st, 4, inc->model, sizeof(inc->model));
	inc->severity = (enum severity)col_enum(st, 5, model_severity_parse, SEV_LOW);
	inc->state = (enum snap_inc_state)col_enum(st, 6, inc_state_parse, SNAP_INC_OPEN);
	inc->count = sqlite3_column_int64(st, 7);
	inc->first_ms = sqlite3_column_int64(st, 8);
	inc->last_ms = sqlite3_column_int64(st, 9);
	inc->state_ms = VG_NONE;
}

/* Who acknowledged, related incidents, triaged: from the history. */
static int read_history_marks(struct console_read *db, struct snap_incident *inc)
{
	sqlite3_stmt *st = db->st[Q_INC_HISTORY];
	sqlite3_bind_int64(st, 1, inc->id);
	int rc;
	char what[32];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_str(st, 1, what, sizeof(what));
		if (strcmp(what, "acknowledged") == 0) {
			col_str(st, 6, inc->acked_by, sizeof(inc->acked_by));
			inc->state_ms = sqlite3_column_int64(st, 0);
		} else if (strcmp(what, "resolved") == 0 || strcmp(what, "auto_resolved") == 0) {
			inc->state_ms = sqlite3_column_int64(st, 0);
		} else if (strcmp(what, "related") == 0) {
			int64_t rel = col_i(st, 5);
			bool seen = false;
			for (int i = 0; i < inc->n_related; i++)
				seen |= inc->related[i] == rel;
			if (vg_has(rel) && rel > 0 && !seen && inc->n_related < SNAP_MAX_RELATED)
				inc->related[inc->n_related++] = rel;
		} else if (strcmp(what, "note") == 0) {
			const unsigned char *n = sqlite3_column_text(st, 7);
			if (n && strncmp((const char *)n, TRIAGE_NOTE_PREFIX,
			                 strlen(TRIAGE_NOTE_PREFIX)) == 0)
				inc->triaged = true;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

static int sev_rank(const struct snap_incident *i)
{
	/* Open and acknowledged first, by severity; resolved last. */
	return (i->state == SNAP_INC_RESOLVED ? 100 : 0) + (int)i->severity;
}

static int inc_cmp(const void *a, const void *b)
{
	const struct snap_incident *x = a, *y = b;
	int d = sev_rank(x) - sev_rank(y);
	if (d)
		return d;
	if (x->last_ms != y->last_ms)
		return x->last_ms > y->last_ms ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static int read_incidents(struct console_read *db, struct snapshot *s, int64_t now)
{
	sqlite3_stmt *st = db->st[Q_INC_OPEN];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && s->n_incidents < SNAP_MAX_INCIDENTS)
		read_incident_row(st, &s->incidents[s->n_incidents++]);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return rc;
	/* Resolved in the last day, as many as there is room for (at most 64). */
	int room = SNAP_MAX_INCIDENTS - s->n_incidents;
	st = db->st[Q_INC_RESOLVED];
	sqlite3_bind_int64(st, 1, now - 86400000LL);
	sqlite3_bind_int(st, 2, room < 64 ? room : 64);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && s->n_incidents < SNAP_MAX_INCIDENTS)
		read_incident_row(st, &s->incidents[s->n_incidents++]);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return rc;
	for (int i = 0; i < s->n_incidents; i++) {
		rc = read_history_marks(db, &s->incidents[i]);
		if (rc)
			return rc;
	}
	st = db->st[Q_PENDING];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		for (int i = 0; i < s->n_incidents; i++)
			if (s->incidents[i].id == id)
				s->incidents[i].pending = true;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	qsort(s->incidents, (size_t)s->n_incidents, sizeof(s->incidents[0]), inc_cmp);
	return 0;
}

/* ---- the open incident's detail ---- */

static void add(char *buf, size_t size, size_t *n, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	if (*n + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w < size - *n ? (size_t)w : size - *n - 1;
}

/* The causal signals of one sampled event, in one line. */
static void causal_line(json_t *ev, char *buf, size_t size)
{
	json_t *c = json_object_get(ev, "causal");
	const char *sub = json_string_value(json_object_get(ev, "subtype"));
	bool latency = sub && strcmp(sub, "latency") == 0;
	size_t n = 0;
	buf[0] = '\0';
#define NUM(k) json_number_value(json_object_get(c, k))
#define HAS(k) (json_object_get(c, k) != NULL)
#define STR(k) json_string_value(json_object_get(c, k))
	if (HAS("http_status"))
		add(buf, size, &n, "status %lld ",
		    (long long)json_integer_value(json_object_get(c, "http_status")));
	if (HAS("transport"))
		add(buf, size, &n, "transport %s ", STR("transport"));
	if (HAS("error_type"))
		add(buf, size, &n, "%s ", STR("error_type"));
	if (HAS("error_code"))
		add(buf, size, &n, "(%s) ", STR("error_code"));
	if (HAS("finish_reason"))
		add(buf, size, &n, "finish %s ", STR("finish_reason"));
	if (HAS("latency_ms")) {
		long long pct =
		        (long long)json_integer_value(json_object_get(c, "latency_percentile"));
		if (pct)
			add(buf, size, &n, "p%lld ", pct);
		add(buf, size, &n, "latency %.0f ms ", NUM("latency_ms"));
		if (HAS("threshold") && latency)
			add(buf, size, &n, "> %.0f ms ", NUM("threshold"));
	}
	/* Other thresholds are in their own signal's unit (a headroom share,
	 * a similarity): shown beside the value they judged. */
	if (HAS("threshold") && HAS("value") && !latency)
		add(buf, size, &n, "value %.3g (threshold %.3g) ", NUM("value"), NUM("threshold"));
	if (HAS("error_rate")) {
		add(buf, size, &n, "error rate %.0f%% ", NUM("error_rate") * 100.0);
		if (HAS("window_count"))
			add(buf, size, &n, "of %lld ",
			    (long long)json_integer_value(json_object_get(c, "window_count")));
	}
	if (HAS("retry_after_ms"))
		add(buf, size, &n, "retry-after %.1fs ", NUM("retry_after_ms") / 1000.0);
	if (HAS("ratelimit_remaining"))
		add(buf, size, &n, "rate-limit remaining %lld ",
		    (long long)json_integer_value(json_object_get(c, "ratelimit_remaining")));
	if (HAS("token_delta_pct"))
		add(buf, size, &n, "tokens %+.0f%% ", NUM("token_delta_pct"));
	long long in = (long long)json_integer_value(json_object_get(c, "input_tokens"));
	long long pred =
	        (long long)json_integer_value(json_object_get(c, "predicted_input_tokens"));
	if (HAS("input_tokens") && HAS("predicted_input_tokens") && in != pred)
		add(buf, size, &n, "(%lld tokens vs %lld predicted) ", in, pred);
	long long retries = (long long)json_integer_value(json_object_get(c, "retry_count"));
	if (retries > 0)
		add(buf, size, &n, "retries %lld ", retries);
	if (HAS("similarity"))
		add(buf, size, &n, "similarity %.2f ", NUM("similarity"));
	if (HAS("doc_age_s"))
		add(buf, size, &n, "doc age %.0fh ", NUM("doc_age_s") / 3600.0);
	if (HAS("detail"))
		add(buf, size, &n, "\"%s\" ", STR("detail"));
#undef NUM
#undef HAS
#undef STR
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	if (n == 0)
		snprintf(buf, size, "(no causal signal recorded)");
}

/* The summary, sanitised; when it does not fit, cut after a whole word with
 * " ..." rather than inside one ("latency 213 m"). */
static void fit_summary(char *dst, size_t size, const char *text)
{
	char clean[SNAP_TEXT_MAX * 4];
	sanitize_str(clean, sizeof(clean), text, 0);
	size_t n = strlen(clean);
	if (n < size) {
		memcpy(dst, clean, n + 1);
		return;
	}
	size_t cut = size - 5; /* room for " ..." and the NUL */
	while (cut > 0 && clean[cut] != ' ')
		cut--;
	snprintf(dst, size, "%.*s ...", (int)(cut ? cut : size - 5), clean);
}

static void read_samples(struct snap_detail *d, struct snap_incident *inc, const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	if (!o)
		return;
	static const char *const which[] = { "first", "worst", "latest" };
	json_t *samples = json_object_get(o, "samples");
	for (int k = 0; k < 3 && d->n_samples < SNAP_MAX_SAMPLES; k++) {
		json_t *ev = json_object_get(samples, which[k]);
		if (!json_is_object(ev))
			continue;
		struct snap_sample *sm = &d->samples[d->n_samples++];
		snprintf(sm->label, sizeof(sm->label), "%s", which[k]);
		sm->time_ms = (int64_t)json_integer_value(json_object_get(ev, "time_ms"));
		char raw[SNAP_TEXT_MAX * 2];
		causal_line(ev, raw, sizeof(raw));
		sanitize_str(sm->text, sizeof(sm->text), raw, 0);
		if (k == 2 && inc) {
			char sum[SNAP_TEXT_MAX * 2];
			snprintf(sum, sizeof(sum), "%s on %s%s%s: %s",
			         model_subtype_name(inc->subtype), inc->provider,
			         inc->model[0] ? "/" : "", inc->model, raw);
			fit_summary(inc->summary, sizeof(inc->summary), sum);
		}
	}
	json_decref(o);
}

static enum snap_tl_kind tl_kind(const char *what)
{
	static const struct {
		const char *what;
		enum snap_tl_kind kind;
	} map[] = {
		{ "opened", SNAP_TL_OPENED },
		{ "escalated", SNAP_TL_ESCALATED },
		{ "acknowledged", SNAP_TL_ACK },
		{ "resolved", SNAP_TL_RESOLVED },
		{ "auto_resolved", SNAP_TL_RESOLVED },
		{ "ticketed", SNAP_TL_NOTIFIED },
		{ "note", SNAP_TL_NOTE },
		{ "related", SNAP_TL_EVENT },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].what, what) == 0)
			return map[i].kind;
	return SNAP_TL_EVENT;
}

static int read_detail(struct console_read *db, struct snapshot *s, int64_t id)
{
	struct snap_detail *d = &s->detail;
	struct snap_incident *inc = NULL;
	for (int i = 0; i < s->n_incidents; i++)
		if (s->incidents[i].id == id)
			inc = &s->incidents[i];
	sqlite3_stmt *st = db->st[Q_INC_DETAIL];
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	struct console_scope sc = { .category = CAT_PROVIDER };
	bool scoped = false;
	if (rc == SQLITE_ROW) {
		const unsigned char *j = sqlite3_column_text(st, 0);
		if (j)
			read_samples(d, inc, (const char *)j);
		sc.category = (enum category)col_enum(st, 1, model_category_parse, CAT_PROVIDER);
		col_str(st, 2, sc.provider, sizeof(sc.provider));
		sc.first_ms = sqlite3_column_int64(st, 3);
		sc.last_ms = sqlite3_column_int64(st, 4);
		scoped = sc.category != CAT_MONITOR;
		if (scoped)
			console_scope_from_detail(&sc, (const char *)j);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && scoped) {
		struct console_evidence_q q = evidence_q(db);
		rc = console_evidence_incident(&q, &sc, &d->evidence);
		d->has_evidence = rc == 0;
		rc = rc == 0 ? SQLITE_DONE : rc;
	}
	console_scope_free(&sc);
	if (rc != SQLITE_DONE)
		return rc;
	d->incident_id = id;
	st = db->st[Q_INC_HISTORY];
	sqlite3_bind_int64(st, 1, id);
	/* Keep the newest SNAP_MAX_TIMELINE entries: shift when full. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char what[32], actor[64], state[24], sev[16];
		char note[INCIDENT_NOTE_MAX];
		col_str(st, 1, what, sizeof(what));
		col_str(st, 2, state, sizeof(state));
		col_str(st, 3, sev, sizeof(sev));
		col_str(st, 6, actor, sizeof(actor));
		col_str(st, 7, note, sizeof(note));
		bool triage = strcmp(what, "note") == 0 &&
		              strncmp(note, TRIAGE_NOTE_PREFIX, strlen(TRIAGE_NOTE_PREFIX)) == 0;
		if (triage) {
			/* Readable steps, one a line, whatever console recorded it. */
			char steps[sizeof(d->triage_path)];
			triage_note_readable(note + strlen(TRIAGE_NOTE_PREFIX), steps,
			                     sizeof(steps));
			snprintf(d->triage_path, sizeof(d->triage_path), "%s%s%s",
			         actor[0] ? "by " : "", actor, actor[0] ? ":\n" : "");
			size_t at = strlen(d->triage_path);
			snprintf(d->triage_path + at, sizeof(d->triage_path) - at, "%s", steps);
		}
		if (d->n_timeline == SNAP_MAX_TIMELINE) {
			memmove(&d->timeline[0], &d->timeline[1],
			        (SNAP_MAX_TIMELINE - 1) * sizeof(d->timeline[0]));
			d->n_timeline--;
		}
		struct snap_timeline *t = &d->timeline[d->n_timeline++];
		t->time_ms = sqlite3_column_int64(st, 0);
		t->kind = tl_kind(what);
		if (strcmp(what, "related") == 0)
			snprintf(t->text, sizeof(t->text), "related to #%lld",
			         (long long)sqlite3_column_int64(st, 5));
		else if (strcmp(what, "escalated") == 0 || strcmp(what, "opened") == 0)
			snprintf(t->text, sizeof(t->text), "%s, %lld event(s)", sev,
			         (long long)sqlite3_column_int64(st, 4));
		else if (triage)
			snprintf(t->text, sizeof(t->text), "%s%striage path recorded (below)",
			         actor, actor[0] ? ": " : "");
		else if (actor[0] || note[0])
			snprintf(t->text, sizeof(t->text), "%s%s%s", actor,
			         actor[0] && note[0] ? ": " : "", note);
		else
			snprintf(t->text, sizeof(t->text), "%s (%s)", what, state);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* ---- baselines ---- */

static int bl_rc(int vg)
{
	return vg == 0 ? SQLITE_OK : vg == VG_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
}

/* Whether health row p shows series (provider, alias): its provider's row
 * shows the aggregate (alias ""), a model's row its alias series. */
static bool row_shows(const struct snap_provider *p, const char *provider, const char *alias)
{
	if (strcmp(p->provider, provider) != 0)
		return false;
	if (!p->model[0] || !alias[0])
		return !p->model[0] && !alias[0];
	size_t n = semantic_model_alias_len(p->model);
	return strlen(alias) == n && strncmp(p->model, alias, n) == 0;
}

/* The model's values of each waiting review, and the warmth of every series:
 * decoded again only when a model changed (or a new review waits). */
static int fill_cache(struct console_read *db, const struct baseline_db_review *r, size_t n)
{
	free(db->warmth);
	db->warmth = NULL;
	db->n_warmth = 0;
	db->n_steps = 0;
	int e = baseline_db_warmth(db->bl, &db->bls, &db->warmth, &db->n_warmth);
	if (e)
		return bl_rc(e);
	struct baseline_model *m = malloc(sizeof(*m));
	struct baseline_ctx *c = malloc(sizeof(*c));
	/* the static bars and the budget do not move a usual value: any will do */
	struct baseline_static bars = { 10000, 95, 0.1 };
	if (!m || !c) {
		free(m);
		free(c);
		return SQLITE_NOMEM;
	}
	/* settings it refuses (none a config passes) leave the values unknown */
	bool ctx = baseline_ctx_init(c, &db->bls, &bars, 1, 0) == 0;
	for (size_t i = 0; i < n && db->n_steps < SNAP_MAX_REVIEWS; i++) {
		if (r[i].state != PRV_WAITING)
			continue;
		struct bl_step *st = &db->steps[db->n_steps++];
		st->id = r[i].id;
		st->before = st->after = VG_NONE_D;
		/* a model that is gone or does not decode shows no values */
		if (ctx && baseline_db_model(db->bl, &r[i].key, m, NULL, NULL) == 0)
			baseline_db_review_values(m, c, &r[i], &st->before, &st->after);
	}
	free(m);
	free(c);
	return SQLITE_OK;
}

static void review_to_snap(const struct baseline_db_review *r, struct snap_review *o)
{
	memset(o, 0, sizeof(*o));
	o->id = r->id;
	sanitize_str(o->provider, sizeof(o->provider), r->key.provider, 0);
	sanitize_str(o->alias, sizeof(o->alias), r->key.alias, 0);
	o->probe = r->key.source == OBS_PROBE;
	sanitize_str(o->metric, sizeof(o->metric), r->metric, 0);
	o->before = o->after = VG_NONE_D;
	o->delta = r->delta;
	o->z = r->z;
	o->near_marker = r->near_marker;
	sanitize_str(o->model, sizeof(o->model), r->model, 0);
	sanitize_str(o->detail, sizeof(o->detail), r->detail, 0);
	o->at_ms = r->at_ms;
	o->created_ms = r->created_ms;
	o->state = r->state == PRV_ACCEPTED   ? SNAP_REV_ACCEPTED
	           : r->state == PRV_REJECTED ? SNAP_REV_REJECTED
	                                      : SNAP_REV_WAITING;
	sanitize_str(o->actor, sizeof(o->actor), r->actor, 0);
	o->decided_ms = r->decided_ms;
}

/* Decided items shown under the waiting ones: the outcome of the latest. */
#define DECIDED_SHOWN 8

static int read_reviews(struct console_read *db, struct snapshot *s,
                        const struct baseline_db_review *r, size_t n)
{
	int decided = 0;
	/* every waiting item counts, listed or not */
	for (size_t i = 0; i < n; i++)
		s->n_reviews_waiting += r[i].state == PRV_WAITING;
	for (size_t i = 0; i < n && s->n_reviews < SNAP_MAX_REVIEWS; i++) {
		if (r[i].state != PRV_WAITING && decided++ >= DECIDED_SHOWN)
			continue;
		struct snap_review *o = &s->reviews[s->n_reviews++];
		review_to_snap(&r[i], o);
		for (int k = 0; k < db->n_steps; k++)
			if (db->steps[k].id == o->id) {
				o->before = db->steps[k].before;
				o->after = db->steps[k].after;
			}
	}
	sqlite3_stmt *st = db->st[Q_BL_PENDING];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		for (int i = 0; i < s->n_reviews; i++)
			s->reviews[i].pending |= s->reviews[i].id == id;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int read_learning(struct console_read *db, struct snapshot *s)
{
	struct snap_learning *l = &s->learning;
	double sum[2] = { 0, 0 };
	for (size_t i = 0; i < db->n_warmth; i++) {
		const struct baseline_db_warmth *w = &db->warmth[i];
		int src = w->key.source == OBS_PROBE;
		l->series[src]++;
		sum[src] += w->overall;
		for (int k = 0; k < s->n_providers; k++)
			if (row_shows(&s->providers[k], w->key.provider, w->key.alias))
				s->providers[k].warm[src] = w->overall;
	}
	double hourly[2] = { 0, 0 };
	int aggregates[2] = { 0, 0 };
	sqlite3_stmt *st = db->st[Q_BL_HOURLY];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *prov = sqlite3_column_text(st, 0);
		const unsigned char *alias = sqlite3_column_text(st, 1);
		const unsigned char *source = sqlite3_column_text(st, 2);
		int64_t hours = sqlite3_column_int64(st, 4);
		if (!prov || !alias || !source || hours <= 0)
			continue;
		int src = strcmp((const char *)source, "probe") == 0;
		double per_hour = sqlite3_column_double(st, 3) / (double)hours;
		for (int k = 0; k < s->n_providers; k++)
			if (row_shows(&s->providers[k], (const char *)prov, (const char *)alias))
				s->providers[k].per_hour[src] = per_hour;
		/* a source's rate is its providers' aggregates' */
		if (!alias[0]) {
			hourly[src] += per_hour;
			aggregates[src]++;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	for (int src = 0; src < 2; src++) {
		if (l->series[src])
			l->warm[src] = sum[src] / l->series[src];
		if (aggregates[src]) {
			l->per_hour[src] = hourly[src] / aggregates[src];
			l->weeks_to_warm[src] = baseline_weeks_to_warm(&db->bls, l->per_hour[src]);
		}
	}
	return SQLITE_OK;
}

static int read_baselines(struct console_read *db, struct snapshot *s)
{
	if (!db->bl)
		return SQLITE_OK;
	sqlite3_stmt *st = db->st[Q_BL_MODELS];
	int64_t print[4];
	int rc = sqlite3_step(st);
	for (int i = 0; i < 4; i++)
		print[i] = rc == SQLITE_ROW ? col_i(st, i) : VG_NONE;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc;
	struct baseline_db_review *r = NULL;
	size_t n = 0;
	rc = bl_rc(baseline_db_reviews(db->bl, true, &r, &n));
	bool stale = !db->bl_valid || memcmp(print, db->bl_print, sizeof(print)) != 0;
	for (size_t i = 0; rc == SQLITE_OK && !stale && i < n; i++) {
		bool known = r[i].state != PRV_WAITING;
		for (int k = 0; !known && k < db->n_steps; k++)
			known = db->steps[k].id == r[i].id;
		stale = !known;
	}
	if (rc == SQLITE_OK && stale) {
		db->bl_valid = false;
		rc = fill_cache(db, r, n);
		if (rc == SQLITE_OK) {
			memcpy(db->bl_print, print, sizeof(print));
			db->bl_valid = true;
		}
	}
	if (rc == SQLITE_OK)
		rc = read_reviews(db, s, r, n);
	free(r);
	if (rc == SQLITE_OK)
		rc = read_learning(db, s);
	return rc;
}

int console_read_build(struct console_read *db, struct snapshot *s, int64_t now_ms,
                       int64_t detail_id, char **cause)
{
	reconnect_if_written(db);
	snapshot_reset(s);
	s->now_ms = now_ms;
	snprintf(s->source, sizeof(s->source), "%s", db->path);
	char why[256];
	int rc = sqlite3_step(db->st[Q_BEGIN]);
	sqlite3_reset(db->st[Q_BEGIN]);
	if (rc != SQLITE_DONE)
		goto fail;
	if ((rc = read_health(db, s)) || (rc = read_spark(db, s, now_ms)) ||
	    (rc = read_transitions(db, s)) || (rc = read_taxonomy(db, s, now_ms)) ||
	    (rc = read_evidence(db, s, now_ms)) || (rc = read_incidents(db, s, now_ms)) ||
	    (rc = read_baselines(db, s)) ||
	    (detail_id > 0 && (rc = read_detail(db, s, detail_id)))) {
		snprintf(why, sizeof(why), "%s", sqlite3_errmsg(db->db));
		sqlite3_step(db->st[Q_COMMIT]);
		sqlite3_reset(db->st[Q_COMMIT]);
		goto failed;
	}
	rc = sqlite3_step(db->st[Q_COMMIT]);
	sqlite3_reset(db->st[Q_COMMIT]);
	if (rc != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	snprintf(why, sizeof(why), "%s", sqlite3_errmsg(db->db));
failed:
	snapshot_reset(s);
	if (dbfile_is_corrupt(rc)) {
		if (cause)
			*cause = dbfile_corrupt_cause(db->path, "reading it for the console", why);
		return VG_ECORRUPT;
	}
	return vg_cause(cause, VG_EDB, "%s: %s", db->path, why);
}
