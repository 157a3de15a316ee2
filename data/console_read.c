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
 * shows no baselines. The incident's detail is read in console_detail.c, the
 * baselines in console_baselines.c (console_read_internal.h).
 */
#include "data/console_read.h"
#include "data/console_read_internal.h"

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

void console_read__col_str(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	if (t)
		sanitize_text(dst, size, (const char *)t, (size_t)n, 0);
	else if (size)
		dst[0] = '\0';
}

double console_read__col_d(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? VG_NONE_D : sqlite3_column_double(st, i);
}

int64_t console_read__col_i(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? VG_NONE : sqlite3_column_int64(st, i);
}

int console_read__col_enum(sqlite3_stmt *st, int i, int (*parse)(const char *, size_t), int dflt)
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
		console_read__col_str(st, 0, p->provider, sizeof(p->provider));
		console_read__col_str(st, 1, p->model, sizeof(p->model));
		p->fallback = sqlite3_column_int(st, 2) != 0;
		p->requests = console_read__col_i(st, 3);
		p->availability = console_read__col_d(st, 4);
		p->p50_ms = console_read__col_d(st, 5);
		p->p95_ms = console_read__col_d(st, 6);
		p->p99_ms = console_read__col_d(st, 7);
		for (int e = 0; e < SNAP_ERR__COUNT; e++)
			p->err_rate[e] = console_read__col_d(st, 8 + e);
		p->tokens_per_s = console_read__col_d(st, 13);
		p->quality = console_read__col_d(st, 14);
		p->cost_efficiency = console_read__col_d(st, 15);
		p->rl_headroom = console_read__col_d(st, 16);
		p->probe_spend_usd = console_read__col_d(st, 17);
		p->probe_budget_usd = console_read__col_d(st, 18);
		p->has_breaker = sqlite3_column_type(st, 19) != SQLITE_NULL;
		p->breaker = (enum breaker_state)console_read__col_enum(
		        st, 19, model_breaker_state_parse, BRK_CLOSED);
		p->breaker_since_ms = console_read__col_i(st, 20);
		p->oscillating = sqlite3_column_int(st, 21) != 0;
		double thr = console_read__col_d(st, 22);
		p->latency_threshold_ms = thr;
		int64_t upd = console_read__col_i(st, 23);
		if (vg_has(upd) && (!vg_has(s->last_data_ms) || upd > s->last_data_ms))
			s->last_data_ms = upd;
		int64_t gw = console_read__col_i(st, 24);
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
		console_read__col_str(st, 0, prov, sizeof(prov));
		console_read__col_str(st, 1, model, sizeof(model));
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
			p->spark[p->n_spark++] = (float)console_read__col_d(st, 3);
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
		console_read__col_str(st, 1, t->provider, sizeof(t->provider));
		console_read__col_str(st, 2, t->model, sizeof(t->model));
		t->from = (enum breaker_state)console_read__col_enum(
		        st, 3, model_breaker_state_parse, BRK_CLOSED);
		t->to = (enum breaker_state)console_read__col_enum(st, 4, model_breaker_state_parse,
		                                                   BRK_CLOSED);
		console_read__col_str(st, 5, t->reason, sizeof(t->reason));
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
		int c = console_read__col_enum(st, 0, model_category_parse, -1);
		int v = console_read__col_enum(st, 1, model_severity_parse, -1);
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
		int c = console_read__col_enum(st, 0, model_category_parse, -1);
		int v = console_read__col_enum(st, 1, model_severity_parse, -1);
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
			int c = console_read__col_enum(st, 0, model_category_parse, -1);
			int v = console_read__col_enum(st, 1, model_severity_parse, -1);
			if (c >= 0 && v >= 0)
				s->taxonomy[w][c][v] += sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return rc;
	}
	return 0;
}

struct console_evidence_q console_read__evidence_q(struct console_read *db)
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
	struct console_evidence_q q = console_read__evidence_q(db);
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
	inc->category =
	        (enum category)console_read__col_enum(st, 1, model_category_parse, CAT_PROVIDER);
	inc->subtype = (enum subtype)console_read__col_enum(st, 2, model_subtype_parse,
	                                                    SUB_PROVIDER_OTHER);
	console_read__col_str(st, 3, inc->provider, sizeof(inc->provider));
	console_read__col_str(st, 4, inc->model, sizeof(inc->model));
	inc->severity = (enum severity)console_read__col_enum(st, 5, model_severity_parse, SEV_LOW);
	inc->state =
	        (enum snap_inc_state)console_read__col_enum(st, 6, inc_state_parse, SNAP_INC_OPEN);
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
		console_read__col_str(st, 1, what, sizeof(what));
		if (strcmp(what, "acknowledged") == 0) {
			console_read__col_str(st, 6, inc->acked_by, sizeof(inc->acked_by));
			inc->state_ms = sqlite3_column_int64(st, 0);
		} else if (strcmp(what, "resolved") == 0 || strcmp(what, "auto_resolved") == 0) {
			inc->state_ms = sqlite3_column_int64(st, 0);
		} else if (strcmp(what, "related") == 0) {
			int64_t rel = console_read__col_i(st, 5);
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
	    (rc = console_read__baselines(db, s)) ||
	    (detail_id > 0 && (rc = console_read__detail(db, s, detail_id)))) {
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
