/*
 * baseline_db.h: reading what the store keeps of baselines (data/
 * store_baseline.c), for `vigil baseline` and for the console: the series,
 * their models, their hour rollups, the review items, each series' warmth
 * ("learning: 37% of slots warm"), and the database's own clock.
 *
 * One read-only connection (WAL: it reads while a daemon writes); every
 * query goes through an index of its table (the primary keys, the start_ms
 * indexes, baseline_reviews_waiting). Writes go through the store thread
 * (data/store.h: store_batch_add_baseline_model(), _add_review(), an
 * operator action), never through this connection.
 *
 * Not thread-safe: one thread uses a struct baseline_db at a time.
 * Strings read here are stored as the pipeline wrote them; sanitize before
 * printing them to a terminal.
 */
#ifndef VIGIL_DATA_BASELINE_DB_H
#define VIGIL_DATA_BASELINE_DB_H

#include "core/baseline.h"
#include "core/baseline_job.h"
#include "core/pipeline.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct baseline_db;

/* Open `path` read-only. Returns 0, or VG_EIO (no such file), VG_EDB (not a
 * vigil database), VG_EVERSION (a schema without baselines: older than
 * this build's, never written by it, or newer) with a malloc'd message in
 * *cause naming the file (caller frees; may be NULL). */
int baseline_db_open(const char *path, struct baseline_db **out, char **cause);

/* Read through `db`, a connection someone else opened (the console's
 * read-only one: its reads then share that connection's transaction); the
 * connection stays theirs and must outlive *out. Returns 0, or VG_EVERSION
 * when its schema has no baselines yet (older than version 3), VG_ENOMEM. */
struct sqlite3;
int baseline_db_borrow(struct sqlite3 *db, struct baseline_db **out);

/* Close (a borrowed connection is left open); NULL does nothing. */
void baseline_db_close(struct baseline_db *d);

/* A series the database knows (a model or hour rollups). */
struct baseline_db_series {
	struct rollup_series key;
	bool has_model;
	int64_t refreshed_ms; /* INT64_MIN: never refreshed */
	int32_t refreshes;
	bool review; /* its model has a review waiting */
	int64_t hours;
	int64_t first_hour_ms, last_hour_ms; /* INT64_MIN when no hours */
};

/* Every series, by provider, alias, source. *out is malloc'd (caller frees;
 * NULL when none). Returns 0, VG_EDB or VG_ENOMEM. */
int baseline_db_series(struct baseline_db *d, struct baseline_db_series **out, size_t *n);

/* The model of series k (decoded) and its last refresh. Returns 0,
 * VG_ENOTFOUND, VG_EDB, or VG_EPARSE / VG_EVERSION for a blob that does not
 * decode (with a malloc'd message in *cause when cause is not NULL). */
int baseline_db_model(struct baseline_db *d, const struct rollup_series *k,
                      struct baseline_model *m, int64_t *refreshed_ms, char **cause);

/* The hour rollups of series k with from <= start_ms < to, in time order,
 * appended to *out (encoded, core/rollup_codec). Returns 0, VG_EDB or
 * VG_ENOMEM. */
int baseline_db_hours(struct baseline_db *d, const struct rollup_series *k, int64_t from,
                      int64_t to, struct baseline_week *out);

/* A review item as stored. */
struct baseline_db_review {
	int64_t id;
	struct rollup_series key;
	char metric[24];
	double delta, z; /* ln size of the step, its significance */
	int64_t at_ms, created_ms;
	bool near_marker;
	char model[VG_MODEL_MAX];
	char detail[128];
	enum pipeline_review_state state;
	char actor[64];
	int64_t decided_ms; /* VG_NONE while waiting */
};

/* The review items: the waiting ones (by id), then when all is true the
 * decided ones too (the newest first, at most 50). *out malloc'd. */
int baseline_db_reviews(struct baseline_db *d, bool all, struct baseline_db_review **out,
                        size_t *n);

/* One review item by id: 0 or VG_ENOTFOUND / VG_EDB. */
int baseline_db_review(struct baseline_db *d, int64_t id, struct baseline_db_review *out);

/* How warm a series is (docs/baselines.md, "warm"): the share of its 168
 * slots that are warm for each metric, and over latency and availability
 * (the console's "learning: N% of slots warm"). */
struct baseline_db_warmth {
	struct rollup_series key;
	double warm[BM__COUNT];
	double overall;
	int32_t refreshes;
	bool review;
};

/* The warmth of every series with a model, with settings s (warm_weeks,
 * warm_samples, warm_weight). *out malloc'd. Models that do not decode
 * are left out. Returns 0, VG_EDB or VG_ENOMEM. */
int baseline_db_warmth(struct baseline_db *d, const struct baseline_settings *s,
                       struct baseline_db_warmth **out, size_t *n);

/* The size of review item r's step in the metric's unit, from m (the
 * series' model, still holding the baseline from before the step): the
 * usual value at the step's hour of week before it (*before) and after it
 * (*after: before x exp(delta)); ms for latency and ttft, a share for the
 * rates, tokens/s, $ per 1k tokens. NaN both when m does not know it (the
 * statistic never started, or m has no review waiting for r's step). c:
 * baseline_ctx_init() of the settings (its static bars and budget do not
 * move the usual value). */
void baseline_db_review_values(const struct baseline_model *m, const struct baseline_ctx *c,
                               const struct baseline_db_review *r, double *before, double *after);

/* The database's events' clock: the latest time it holds (an observation,
 * or the end of a rollup); INT64_MIN when empty. */
int64_t baseline_db_clock(struct baseline_db *d);

/* The most recent health row's time (the daemon writes one every few
 * seconds): INT64_MIN when none. */
int64_t baseline_db_health_updated(struct baseline_db *d);

/* The highest review item id (0 when none). */
int64_t baseline_db_max_review_id(struct baseline_db *d);

#endif
