/*
 * baseline_db.c: reading the baselines a store keeps (see baseline_db.h).
 */
#include "data/baseline_db.h"

#include "core/rollup_codec.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"
#include "data/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The schema version that added the baselines' tables (data/store_schema.c,
 * migration_4; migration_3 is the outbox's idempotency keys). */
#define BASELINE_DB_SCHEMA 4

struct baseline_db {
	sqlite3 *db;
	bool borrowed; /* someone else's connection: not closed here */
};

static char *cause_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *cause_of(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return strdup(buf);
}

int baseline_db_open(const char *path, struct baseline_db **out, char **cause)
{
	*out = NULL;
	struct stat sb;
	if (stat(path, &sb) != 0) {
		if (cause)
			*cause = cause_of("%s: no such database", path);
		return VG_EIO;
	}
	struct baseline_db *d = calloc(1, sizeof(*d));
	if (!d)
		return VG_ENOMEM;
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		if (cause)
			*cause = cause_of("%s: cannot open: %s", path,
			                  d->db ? sqlite3_errmsg(d->db) : "out of memory");
		baseline_db_close(d);
		return VG_EDB;
	}
	sqlite3_busy_timeout(d->db, 5000);
	sqlite3_stmt *st;
	int version = -1;
	if (sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version < 0) {
		if (cause)
			*cause = cause_of("%s: not a vigil database", path);
		baseline_db_close(d);
		return VG_EDB;
	}
	if (version < BASELINE_DB_SCHEMA || version > STORE_SCHEMA_VERSION) {
		if (cause)
			*cause = cause_of("%s: schema version %d %s (this vigil writes %d)", path,
			                  version,
			                  version < BASELINE_DB_SCHEMA
			                          ? "has no baselines yet: open it with vigil "
			                            "ingest or vigil run once"
			                          : "is newer than this vigil knows",
			                  STORE_SCHEMA_VERSION);
		baseline_db_close(d);
		return VG_EVERSION;
	}
	*out = d;
	return 0;
}

int baseline_db_borrow(sqlite3 *db, struct baseline_db **out)
{
	*out = NULL;
	sqlite3_stmt *st;
	int version = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version < BASELINE_DB_SCHEMA || version > STORE_SCHEMA_VERSION)
		return VG_EVERSION;
	struct baseline_db *d = calloc(1, sizeof(*d));
	if (!d)
		return VG_ENOMEM;
	d->db = db;
	d->borrowed = true;
	*out = d;
	return 0;
}

void baseline_db_close(struct baseline_db *d)
{
	if (!d)
		return;
	if (!d->borrowed)
		sqlite3_close(d->db);
	free(d);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void text(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	model_copy_str(dst, size, t ? (const char *)t : "", (size_t)-1);
}

static void key_at(sqlite3_stmt *st, int i, struct rollup_series *k)
{
	memset(k, 0, sizeof(*k));
	text(st, i, k->provider, sizeof(k->provider));
	text(st, i + 1, k->alias, sizeof(k->alias));
	const unsigned char *s = sqlite3_column_text(st, i + 2);
	k->source = s && strcmp((const char *)s, "probe") == 0 ? OBS_PROBE : OBS_GATEWAY;
}

static void bind_key(sqlite3_stmt *st, int i, const struct rollup_series *k)
{
	sqlite3_bind_text(st, i, k->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 1, k->alias, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 2, k->source == OBS_PROBE ? "probe" : "gateway", -1,
	                  SQLITE_STATIC);
}

static int64_t int_or(sqlite3_stmt *st, int i, int64_t dflt)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

static int64_t one_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = int_or(st, 0, dflt);
	sqlite3_finalize(st);
	return v;
}

/* ---- series -------------------------------------------------------------------------------- */

int baseline_db_series(struct baseline_db *d, struct baseline_db_series **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	/* Models and hours, by key; the hours' extent through the primary key. */
	static const char sql[] =
	        "SELECT k.provider, k.alias, k.source, m.refreshed_ms, m.refreshes, m.review, "
	        "m.provider IS NOT NULL, "
	        "(SELECT count(*) FROM rollup_hour h WHERE h.provider = k.provider AND "
	        "h.alias = k.alias AND h.source = k.source), "
	        "(SELECT min(start_ms) FROM rollup_hour h WHERE h.provider = k.provider AND "
	        "h.alias = k.alias AND h.source = k.source), "
	        "(SELECT max(start_ms) FROM rollup_hour h WHERE h.provider = k.provider AND "
	        "h.alias = k.alias AND h.source = k.source) "
	        "FROM (SELECT provider, alias, source FROM baseline_models UNION "
	        "SELECT DISTINCT provider, alias, source FROM rollup_hour) k "
	        "LEFT JOIN baseline_models m ON m.provider = k.provider AND m.alias = k.alias "
	        "AND m.source = k.source ORDER BY k.provider, k.source, k.alias";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return VG_EDB;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vg_grow((void **)out, &cap, *n + 1, sizeof(**out), 16) != 0) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
		struct baseline_db_series *s = &(*out)[(*n)++];
		memset(s, 0, sizeof(*s));
		key_at(st, 0, &s->key);
		s->refreshed_ms = int_or(st, 3, INT64_MIN);
		s->refreshes = (int32_t)int_or(st, 4, 0);
		s->review = int_or(st, 5, 0) != 0;
		s->has_model = sqlite3_column_int(st, 6) != 0;
		s->hours = sqlite3_column_int64(st, 7);
		s->first_hour_ms = int_or(st, 8, INT64_MIN);
		s->last_hour_ms = int_or(st, 9, INT64_MIN);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : VG_EDB;
}

int baseline_db_model(struct baseline_db *d, const struct rollup_series *k,
                      struct baseline_model *m, int64_t *refreshed_ms, char **cause)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db,
	                       "SELECT refreshed_ms, model FROM baseline_models "
	                       "WHERE provider = ?1 AND alias = ?2 AND source = ?3",
	                       -1, &st, NULL) != SQLITE_OK)
		return VG_EDB;
	bind_key(st, 1, k);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? VG_ENOTFOUND : VG_EDB;
	}
	if (refreshed_ms)
		*refreshed_ms = int_or(st, 0, INT64_MIN);
	const void *blob = sqlite3_column_blob(st, 1);
	int len = sqlite3_column_bytes(st, 1);
	rc = blob && len > 0 ? baseline_model_decode(blob, (size_t)len, m, cause) : VG_EPARSE;
	sqlite3_finalize(st);
	return rc;
}

int baseline_db_hours(struct baseline_db *d, const struct rollup_series *k, int64_t from,
                      int64_t to, struct baseline_week *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db,
	                       "SELECT data FROM rollup_hour WHERE provider = ?1 AND alias = ?2 "
	                       "AND source = ?3 AND start_ms >= ?4 AND start_ms < ?5 "
	                       "ORDER BY start_ms",
	                       -1, &st, NULL) != SQLITE_OK)
		return VG_EDB;
	bind_key(st, 1, k);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, to);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		if (!p || len <= 0)
			continue;
		int e = baseline_week_add_encoded(out, p, (size_t)len);
		if (e == VG_ENOMEM) {
			sqlite3_finalize(st);
			return e;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : VG_EDB;
}

/* ---- reviews ----------------------------------------------------------------------------- */

#define REVIEW_COLS                                                                                \
	"id, provider, alias, source, metric, delta, z, at_ms, created_ms, near_marker, model, "   \
	"detail, state, actor, decided_ms"

static void review_row(sqlite3_stmt *st, struct baseline_db_review *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	key_at(st, 1, &r->key);
	text(st, 4, r->metric, sizeof(r->metric));
	r->delta = sqlite3_column_double(st, 5);
	r->z = sqlite3_column_double(st, 6);
	r->at_ms = sqlite3_column_int64(st, 7);
	r->created_ms = sqlite3_column_int64(st, 8);
	r->near_marker = sqlite3_column_int(st, 9) != 0;
	text(st, 10, r->model, sizeof(r->model));
	text(st, 11, r->detail, sizeof(r->detail));
	const unsigned char *state = sqlite3_column_text(st, 12);
	int sv = pipeline_review_state_parse(state ? (const char *)state : "");
	r->state = sv < 0 ? PRV_WAITING : (enum pipeline_review_state)sv;
	text(st, 13, r->actor, sizeof(r->actor));
	r->decided_ms = int_or(st, 14, VG_NONE);
}

static int read_reviews(sqlite3 *db, const char *sql, struct baseline_db_review **out, size_t *n,
                        size_t *cap)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return VG_EDB;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vg_grow((void **)out, cap, *n + 1, sizeof(**out), 8) != 0) {
			sqlite3_finalize(st);
			return VG_ENOMEM;
		}
		review_row(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : VG_EDB;
}

int baseline_db_reviews(struct baseline_db *d, bool all, struct baseline_db_review **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	int rc = read_reviews(d->db,
	                      "SELECT " REVIEW_COLS " FROM baseline_reviews WHERE state = "
	                      "'waiting' ORDER BY id",
	                      out, n, &cap);
	if (rc == 0 && all)
		rc = read_reviews(d->db,
		                  "SELECT " REVIEW_COLS " FROM baseline_reviews WHERE state != "
		                  "'waiting' ORDER BY id DESC LIMIT 50",
		                  out, n, &cap);
	return rc;
}

int baseline_db_review(struct baseline_db *d, int64_t id, struct baseline_db_review *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, "SELECT " REVIEW_COLS " FROM baseline_reviews WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return VG_EDB;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		review_row(st, out);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? VG_ENOTFOUND : VG_EDB;
}

void baseline_db_review_values(const struct baseline_model *m, const struct baseline_ctx *c,
                               const struct baseline_db_review *r, double *before, double *after)
{
	*before = *after = NAN;
	int mt = baseline_metric_parse(r->metric, (size_t)-1);
	if (mt < 0 || !m->review.pending || m->review.at_ms != r->at_ms || !isfinite(r->delta))
		return;
	/* The band's usual value at the step's slot: the model learned nothing
	 * from the step on, so it is the old baseline. */
	struct baseline_band b;
	int q = baseline_metric_kind((enum baseline_metric)mt) == BK_QUANTILE ? 1 : 0;
	baseline_band_of(m, c, (enum baseline_metric)mt, q, timeparse_hour_of_week(r->at_ms),
	                 r->at_ms, &b);
	if (isfinite(b.expected)) {
		*before = b.expected;
		*after = b.expected * exp(r->delta);
	}
}

/* ---- warmth, clock ---------------------------------------------------------------------- */

int baseline_db_warmth(struct baseline_db *d, const struct baseline_settings *s,
                       struct baseline_db_warmth **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db,
	                       "SELECT provider, alias, source, model FROM baseline_models "
	                       "ORDER BY provider, source, alias",
	                       -1, &st, NULL) != SQLITE_OK)
		return VG_EDB;
	struct baseline_model *m = malloc(sizeof(*m));
	if (!m) {
		sqlite3_finalize(st);
		return VG_ENOMEM;
	}
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 3);
		int len = sqlite3_column_bytes(st, 3);
		if (!blob || len <= 0 || baseline_model_decode(blob, (size_t)len, m, NULL) != 0)
			continue;
		if (vg_grow((void **)out, &cap, *n + 1, sizeof(**out), 16) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		struct baseline_db_warmth *w = &(*out)[(*n)++];
		memset(w, 0, sizeof(*w));
		key_at(st, 0, &w->key);
		for (int mt = 0; mt < BM__COUNT; mt++)
			w->warm[mt] = baseline_warm_share(m, s, (enum baseline_metric)mt);
		w->overall = 0.5 * (w->warm[BM_LATENCY] + w->warm[BM_AVAILABILITY]);
		w->refreshes = m->refreshes;
		w->review = m->review.pending;
	}
	free(m);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_NOMEM ? VG_ENOMEM : VG_EDB;
}

int64_t baseline_db_clock(struct baseline_db *d)
{
	int64_t a = one_int(d->db, "SELECT max(ts_ms) FROM observations", INT64_MIN);
	int64_t b = one_int(d->db, "SELECT max(start_ms) + 3600000 FROM rollup_hour", INT64_MIN);
	int64_t c = one_int(d->db, "SELECT max(start_ms) + 60000 FROM rollup_minute", INT64_MIN);
	int64_t m = a > b ? a : b;
	return m > c ? m : c;
}

int64_t baseline_db_health_updated(struct baseline_db *d)
{
	return one_int(d->db, "SELECT max(updated_ms) FROM health", INT64_MIN);
}

int64_t baseline_db_max_review_id(struct baseline_db *d)
{
	return one_int(d->db, "SELECT max(id) FROM baseline_reviews", 0);
}
