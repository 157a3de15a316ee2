/*
 * store_baseline.c: what the store keeps of baselines (core/baseline): the
 * minute and hour rollups of every series, one model per series and the
 * review items (schema: migration 3 in data/store_schema.c; columns: the
 * STORE__COLS_ROLLUP, _BASELINE_MODELS and _BASELINE_REVIEWS lists). Here:
 * adding them to batches (any thread: rollups are encoded and models
 * serialised on the producer's side), writing them (store thread), the
 * restart query (STORE_Q_BASELINES), and pruning rollups by age on the
 * events' clock.
 */
#include "data/store_columns.h"

#include "core/baseline.h"
#include "core/rollup_codec.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdlib.h>
#include <string.h>

/* ---- batches --------------------------------------------------------------------------- */

static void note_clock(struct store_batch *b, int64_t t)
{
	if (t > b->clock_ms)
		b->clock_ms = t;
}

/* Room for len more bytes in the batch's byte arena; the offset they go at. */
static uint8_t *reserve(struct store_batch *b, size_t len, uint32_t *off)
{
	struct store__arr *a = &b->blbytes;
	if (a->n + len > UINT32_MAX || vg_grow(&a->v, &a->cap, a->n + len, 1, 65536) != 0)
		return NULL;
	*off = (uint32_t)a->n;
	return (uint8_t *)a->v + a->n;
}

int store_batch_add_rollup(struct store_batch *b, const struct rollup_series *k,
                           const struct rollup *r, bool hour)
{
	if (!k->provider[0])
		return VG_EINVAL;
	uint32_t off;
	uint8_t *dst = reserve(b, ROLLUP_ENCODED_MAX, &off);
	if (!dst)
		return VG_ENOMEM;
	int n = rollup_encode(r, dst, ROLLUP_ENCODED_MAX);
	if (n < 0)
		return n;
	struct store__ru_row *row = store__arr_push(&b->rus, sizeof(*row));
	if (!row)
		return VG_ENOMEM;
	b->blbytes.n += (size_t)n;
	row->key = *k;
	row->start_ms = r->start_ms;
	row->hour = hour;
	row->requests = r->requests;
	row->errors = r->requests - r->successes;
	row->flags = r->flags;
	memcpy(row->model, r->model, sizeof(row->model));
	row->off = off;
	row->len = (uint32_t)n;
	b->rows++;
	note_clock(b, r->start_ms + r->span_ms);
	return 0;
}

int store_batch_add_baseline_model(struct store_batch *b, const struct baseline_model *m,
                                   int64_t refreshed_ms, int64_t updated_ms)
{
	if (!m->key.provider[0])
		return VG_EINVAL;
	size_t size = baseline_blob_size(m);
	uint32_t off;
	uint8_t *dst = reserve(b, size, &off);
	if (!dst)
		return VG_ENOMEM;
	int n = baseline_model_encode(m, dst, size);
	if (n < 0)
		return n;
	struct store__model_row *row = store__arr_push(&b->models, sizeof(*row));
	if (!row)
		return VG_ENOMEM;
	b->blbytes.n += (size_t)n;
	row->key = m->key;
	row->refreshed_ms = refreshed_ms;
	row->learned_ms = m->learned_ms;
	row->updated_ms = updated_ms;
	row->refreshes = m->refreshes;
	row->review = m->review.pending;
	row->off = off;
	row->len = (uint32_t)n;
	b->rows++;
	return 0;
}

int store_batch_add_review(struct store_batch *b, const struct pipeline_review *r)
{
	if (r->id <= 0 || !r->series.provider[0])
		return VG_EINVAL;
	struct pipeline_review *row = store__arr_push(&b->reviews, sizeof(*row));
	if (!row)
		return VG_ENOMEM;
	*row = *r;
	b->rows++;
	return 0;
}

int store__batch_add_baselines(struct store_batch *b, const struct effects *e)
{
	int rc = 0;
	for (size_t i = 0; i < e->n_rollups && rc == 0; i++)
		rc = store_batch_add_rollup(b, e->rollups[i].series, e->rollups[i].rollup,
		                            e->rollups[i].hour);
	for (size_t i = 0; i < e->n_models && rc == 0; i++) {
		const struct pipeline_baseline_model *m = &e->models[i];
		rc = store_batch_add_baseline_model(
		        b, m->model, m->refreshed_ms,
		        b->clock_ms > m->refreshed_ms ? b->clock_ms : m->refreshed_ms);
	}
	for (size_t i = 0; i < e->n_reviews && rc == 0; i++)
		rc = store_batch_add_review(b, &e->reviews[i]);
	return rc;
}

/* ---- writing (store thread) ------------------------------------------------------------ */

enum { BS_MINUTE, BS_HOUR, BS_MODEL, BS_REVIEW, BS__COUNT };

struct store__bl_writer {
	sqlite3_stmt *st[BS__COUNT];
};

int store__bl_writer_open(struct store__bl_writer **out, sqlite3 *db)
{
	const struct {
		const char *table;
		const struct store__col *cols;
		size_t n;
	} defs[BS__COUNT] = {
		[BS_MINUTE] = { "rollup_minute", STORE__COLS(STORE__COLS_ROLLUP) },
		[BS_HOUR] = { "rollup_hour", STORE__COLS(STORE__COLS_ROLLUP) },
		[BS_MODEL] = { "baseline_models", STORE__COLS(STORE__COLS_BASELINE_MODELS) },
		[BS_REVIEW] = { "baseline_reviews", STORE__COLS(STORE__COLS_BASELINE_REVIEWS) },
	};
	*out = NULL;
	struct store__bl_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return SQLITE_NOMEM;
	for (int i = 0; i < BS__COUNT; i++) {
		char sql[2048];
		int rc = store__sql_write(sql, sizeof(sql), "INSERT", defs[i].table, defs[i].cols,
		                          defs[i].n) != 0
		                 ? SQLITE_TOOBIG
		                 : sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		                                      &w->st[i], NULL);
		if (rc != SQLITE_OK) {
			store__bl_writer_close(w);
			return rc;
		}
	}
	*out = w;
	return SQLITE_OK;
}

void store__bl_writer_close(struct store__bl_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < BS__COUNT; i++)
		sqlite3_finalize(w->st[i]);
	free(w);
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

int store__bl_writer_apply(struct store__bl_writer *w, struct store_batch *b)
{
	const uint8_t *bytes = b->blbytes.v;
	int rc = SQLITE_OK;
	for (size_t i = 0; i < b->rus.n && rc == SQLITE_OK; i++) {
		const struct store__ru_row *r = STORE__AT(b->rus, struct store__ru_row, i);
		sqlite3_stmt *st = w->st[r->hour ? BS_HOUR : BS_MINUTE];
		STORE__BIND_ROW(st, STORE__COLS_ROLLUP);
		rc = step(st);
	}
	for (size_t i = 0; i < b->models.n && rc == SQLITE_OK; i++) {
		const struct store__model_row *r = STORE__AT(b->models, struct store__model_row, i);
		STORE__BIND_ROW(w->st[BS_MODEL], STORE__COLS_BASELINE_MODELS);
		rc = step(w->st[BS_MODEL]);
	}
	for (size_t i = 0; i < b->reviews.n && rc == SQLITE_OK; i++) {
		const struct pipeline_review *r = STORE__AT(b->reviews, struct pipeline_review, i);
		STORE__BIND_ROW(w->st[BS_REVIEW], STORE__COLS_BASELINE_REVIEWS);
		rc = step(w->st[BS_REVIEW]);
	}
	return rc;
}

/* ---- the restart query ----------------------------------------------------------------- */

static void key_from(sqlite3_stmt *st, int i, struct rollup_series *k)
{
	memset(k, 0, sizeof(*k));
	store__get_text(st, i, k->provider, sizeof(k->provider));
	store__get_text(st, i + 1, k->alias, sizeof(k->alias));
	const char *src = store__col_text(st, i + 2);
	k->source = src && strcmp(src, "probe") == 0 ? OBS_PROBE : OBS_GATEWAY;
}

static uint8_t *dup_blob(sqlite3_stmt *st, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);
	*len = 0;
	if (!p || n <= 0)
		return NULL;
	uint8_t *d = malloc((size_t)n);
	if (d) {
		memcpy(d, p, (size_t)n);
		*len = (size_t)n;
	}
	return d;
}

/* Rows of (provider, alias, source, start_ms, data) into a rollup array. */
static int read_rollups(sqlite3 *db, const char *sql, int64_t arg, struct store_bl_rollup **out,
                        size_t *n)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, arg);
	struct store__arr a = { 0 };
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_bl_rollup *r = store__arr_push(&a, sizeof(*r));
		if (!r) {
			rc = SQLITE_NOMEM;
			break;
		}
		key_from(st, 0, &r->key);
		r->start_ms = sqlite3_column_int64(st, 3);
		r->enc = dup_blob(st, 4, &r->len);
		if (!r->enc) {
			a.n--;
			if (sqlite3_column_bytes(st, 4) > 0) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
	}
	sqlite3_finalize(st);
	*out = a.v;
	*n = a.n;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int64_t one_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t store__max_review_id(sqlite3 *db)
{
	return one_int(db, "SELECT max(id) FROM baseline_reviews", 0);
}

int64_t store__clock_of(sqlite3 *db)
{
	int64_t a = one_int(db, "SELECT max(ts_ms) FROM observations", INT64_MIN);
	int64_t b = one_int(db, "SELECT max(start_ms) + 3600000 FROM rollup_hour", INT64_MIN);
	int64_t c = one_int(db, "SELECT max(start_ms) + 60000 FROM rollup_minute", INT64_MIN);
	return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

int store__answer_baselines(sqlite3 *db, struct store_answer *a)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT provider, alias, source, refreshed_ms, model "
	                            "FROM baseline_models",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return VG_EDB;
	struct store__arr m = { 0 };
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_bl_model *r = store__arr_push(&m, sizeof(*r));
		if (!r) {
			rc = SQLITE_NOMEM;
			break;
		}
		key_from(st, 0, &r->key);
		r->refreshed_ms = store__col_int_or(st, 3, INT64_MIN);
		r->blob = dup_blob(st, 4, &r->len);
	}
	sqlite3_finalize(st);
	a->bl_models = m.v;
	a->n_bl_models = m.n;
	if (rc != SQLITE_DONE)
		return VG_EDB;
	/* A series without a model has never been refreshed: its hours within
	 * a week of the newest are its current week. */
	int64_t newest = one_int(db, "SELECT max(start_ms) FROM rollup_hour", INT64_MIN);
	int64_t since = newest == INT64_MIN ? 0 : newest - 7 * 86400000LL;
	rc = read_rollups(
	        db,
	        "SELECT h.provider, h.alias, h.source, h.start_ms, h.data "
	        "FROM rollup_hour h LEFT JOIN baseline_models m "
	        "ON m.provider = h.provider AND m.alias = h.alias AND m.source = h.source "
	        "WHERE h.start_ms + 3600000 > coalesce(m.refreshed_ms, ?1) "
	        "ORDER BY h.provider, h.alias, h.source, h.start_ms",
	        since, &a->bl_hours, &a->n_bl_hours);
	if (rc != SQLITE_OK)
		return VG_EDB;
	/* The hour that was open: minutes of the newest minute's hour, of the
	 * series that have no row for that hour. */
	int64_t last_min = one_int(db, "SELECT max(start_ms) FROM rollup_minute", INT64_MIN);
	int64_t open_hour = last_min == INT64_MIN ? INT64_MAX : last_min - last_min % 3600000;
	rc = read_rollups(db,
	                  "SELECT m.provider, m.alias, m.source, m.start_ms, m.data "
	                  "FROM rollup_minute m WHERE m.start_ms >= ?1 AND NOT EXISTS "
	                  "(SELECT 1 FROM rollup_hour h WHERE h.provider = m.provider "
	                  "AND h.alias = m.alias AND h.source = m.source AND h.start_ms = ?1) "
	                  "ORDER BY m.provider, m.alias, m.source, m.start_ms",
	                  open_hour, &a->bl_minutes, &a->n_bl_minutes);
	if (rc != SQLITE_OK)
		return VG_EDB;
	rc = sqlite3_prepare_v2(db,
	                        "SELECT id, provider, alias, source FROM baseline_reviews "
	                        "WHERE state = 'waiting' ORDER BY id",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return VG_EDB;
	struct store__arr r = { 0 };
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_bl_review *v = store__arr_push(&r, sizeof(*v));
		if (!v) {
			rc = SQLITE_NOMEM;
			break;
		}
		v->id = sqlite3_column_int64(st, 0);
		key_from(st, 1, &v->key);
	}
	sqlite3_finalize(st);
	a->bl_reviews = r.v;
	a->n_bl_reviews = r.n;
	return rc == SQLITE_DONE ? 0 : VG_EDB;
}

void store__answer_free_baselines(struct store_answer *a)
{
	for (size_t i = 0; i < a->n_bl_models; i++)
		free(a->bl_models[i].blob);
	for (size_t i = 0; i < a->n_bl_hours; i++)
		free(a->bl_hours[i].enc);
	for (size_t i = 0; i < a->n_bl_minutes; i++)
		free(a->bl_minutes[i].enc);
	free(a->bl_models);
	free(a->bl_hours);
	free(a->bl_minutes);
	free(a->bl_reviews);
}

/* ---- retention --------------------------------------------------------------------------- */

static int prune_one(sqlite3 *db, const char *sql, int64_t cutoff, int chunk, int64_t *deleted)
{
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int(st, 2, chunk);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		int rc = sqlite3_step(st);
		n = sqlite3_changes(db);
		if (rc == SQLITE_DONE && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
			*deleted += n;
		else
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(st);
	return n;
}

bool store__prune_rollups(sqlite3 *db, int64_t minute_cutoff, int64_t hour_cutoff, int chunk,
                          int64_t *deleted)
{
	/* (provider, alias, source, start_ms) is the key: delete by it, the
	 * oldest first through the start_ms index. */
	static const char *const sql[2] = {
		"DELETE FROM rollup_minute WHERE (provider, alias, source, start_ms) IN "
		"(SELECT provider, alias, source, start_ms FROM rollup_minute "
		"WHERE start_ms < ?1 ORDER BY start_ms LIMIT ?2)",
		"DELETE FROM rollup_hour WHERE (provider, alias, source, start_ms) IN "
		"(SELECT provider, alias, source, start_ms FROM rollup_hour "
		"WHERE start_ms < ?1 ORDER BY start_ms LIMIT ?2)",
	};
	bool more = false;
	if (minute_cutoff != INT64_MIN)
		more |= prune_one(db, sql[0], minute_cutoff, chunk, deleted) >= chunk;
	if (hour_cutoff != INT64_MIN)
		more |= prune_one(db, sql[1], hour_cutoff, chunk, deleted) >= chunk;
	return more;
}
