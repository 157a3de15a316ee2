/*
 * store_internal.h: what the files of the store share (not for other
 * modules; data/console_act.c borrows the operator_actions writer). The
 * store is split by job:
 *
 *   store.c            the thread, the queue, transactions, open and close
 *   store_batch.c      building batches (any thread) and freeing them
 *   store_columns.h    every table's columns, listed once (writes and reads)
 *   store_columns.c    the SQL generated from those lists
 *   store_write.c      applying a batch: prepared statements, rollups
 *   store_read.c       the loop's queries (store_query())
 *   store_retention.c  pruning old rows
 *   store_schema.c     the schema and its migrations
 *
 * All but store_batch.c run on the store thread only.
 */
#ifndef VIGIL_DATA_STORE_INTERNAL_H
#define VIGIL_DATA_STORE_INTERNAL_H

#include "core/vgmem.h"
#include "data/store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- batches (store_batch.c) ----------------------------------------------------- */

/* A growing array of fixed-size elements. */
struct store__arr {
	void *v;
	size_t n, cap;
};

/* Append a zeroed element of `size` bytes; NULL when out of memory. (Inline:
 * it runs for every row, and with `size` known the zeroing is a few stores.) */
static inline void *store__arr_push(struct store__arr *a, size_t size)
{
	if (a->n == a->cap && vg_grow(&a->v, &a->cap, a->n + 1, size, 16) != 0)
		return NULL;
	void *slot = (char *)a->v + a->n * size;
	memset(slot, 0, size);
	a->n++;
	return slot;
}

#define STORE__AT(a, T, i) (&((T *)(a).v)[i])

/* An operator action marked applied, with its outcome. */
struct store__applied {
	int64_t id;
	char outcome[STORE_OUTCOME_MAX];
};

/* An observation as stored: the columns of the observations table. Its
 * strings live in the batch's string arena (offsets into b->ostr), so a
 * queued row takes what its strings need rather than the fixed buffers of
 * struct observation (a batch waits in the queue: this is most of its size). */
enum {
	STORE__OS_REQUEST_ID,
	STORE__OS_PROVIDER,
	STORE__OS_MODEL,
	STORE__OS_REGION,
	STORE__OS_KEY_ALIAS,
	STORE__OS_TEMPLATE,
	STORE__OS_COUNT
};
struct store__obs_row {
	int64_t ts_ms;
	int32_t attempt, http_status, retry_count;
	int8_t source, traffic, selection, transport, err_class, finish;
	double dns, connect, tls, ttfb, total, cost;
	int64_t body_bytes, in_tok, out_tok, cached, predicted;
	uint32_t str[STORE__OS_COUNT];
};

/* A failure event with its JSON detail, built when it is added (on the
 * producer's thread, which has more room than the store thread). */
struct store__ev_row {
	struct failure_event ev;
	char *detail;
};

struct store__inc_row {
	struct store_incident r;
	bool stale; /* detail_json is behind the columns */
};

struct store__qrow {
	struct store_quarantine q;
	unsigned char head[256];
};

/* A rollup as stored (data/store_baseline.c): its encoded bytes in the
 * batch's byte arena at off. */
struct store__ru_row {
	struct rollup_series key;
	int64_t start_ms;
	bool hour;
	double requests, errors;
	uint32_t flags;
	char model[VG_MODEL_MAX];
	uint32_t off, len;
};

/* A baseline model as stored: its blob in the byte arena at off. */
struct store__model_row {
	struct rollup_series key;
	int64_t refreshed_ms, learned_ms, updated_ms; /* VG_NONE: none */
	int32_t refreshes, review;
	uint32_t off, len;
};

enum store__item_kind { STORE__ROWS, STORE__FLUSH, STORE__QUERY, STORE__STOP };

/* A queue item: rows to write, a flush, a query or the stop. */
struct store_batch {
	enum store__item_kind kind;
	store_commit_cb cb;
	void *data;
	store_answer_cb qcb;
	struct store_commit result;
	struct store_answer answer;
	struct store__arr obs, events, trans, inc, hist, outbox, oupd, acts, applied, quar, tails,
	        health;
	struct store__arr ostr; /* the observations' strings, NUL-terminated, back to back */
	/* baselines (data/store_baseline.c): rollups, models, review items, and
	 * the bytes of the first two */
	struct store__arr rus, models, reviews, blbytes;
	int64_t clock_ms; /* the latest event time of the batch (retention's clock) */
	size_t rows;
	struct store_batch *next;
};

/* Mask API keys (core/redact) in every text a batch holds, in place: the
 * observations' string arena, events, incidents and their details and
 * history, outbox payloads, operator notes, quarantined lines' heads and
 * details, file paths, health names. On the store thread, before writing. */
void store__batch_redact(struct store_batch *b, const struct redact *r);

/* Make the database's files private (store_files.c): 0600, or 0640 owned by
 * `group`; each change reported to `log`. 0, or VG_EIO / VG_ECONFIG (no such
 * group) with a malloc'd message in *cause. */
int store__secure_files(const char *path, const char *group, store_log_cb log, void *data,
                        char **cause);

/* Free a batch's rows (not its header or answer); the batch is empty after. */
void store__batch_free_rows(struct store_batch *b);

/* ---- writing (store_write.c) ------------------------------------------------------- */

struct store__writer;

/* Prepare the write statements on `db` (the store's connection). Returns 0,
 * or VG_ENOMEM / VG_EDB with a malloc'd message in *cause. */
int store__writer_open(struct store__writer **out, sqlite3 *db, const char *path, char **cause);
void store__writer_close(struct store__writer *w);

/* Write a batch's rows inside the open transaction, counting inserted and
 * duplicate observations in b->result; the per-minute rollups are kept in
 * memory until store__writer_rollups(). Returns an SQLite code. */
int store__writer_apply(struct store__writer *w, struct store_batch *b);

/* Write the rollups kept since the last call (just before a commit), or
 * forget them (after a rollback). The first returns an SQLite code. */
int store__writer_rollups(struct store__writer *w);
void store__writer_discard(struct store__writer *w);

/* The operator_actions INSERT, for a connection of its own (data/console_act):
 * prepare it, then write one row (its id and applied are written as given:
 * 0 lets the database assign the id). Both return an SQLite code. */
int store__action_prepare(sqlite3 *db, sqlite3_stmt **out);
int store__action_insert(sqlite3_stmt *st, const struct store_operator_action *a);

/* ---- baselines (store_baseline.c) ---------------------------------------------------- */

/* Rows of a pipeline call's baseline effects (rollups, models, review items). */
int store__batch_add_baselines(struct store_batch *b, const struct effects *e);

struct store__bl_writer;
int store__bl_writer_open(struct store__bl_writer **out, sqlite3 *db);
void store__bl_writer_close(struct store__bl_writer *w);
/* Write a batch's baseline rows; returns an SQLite code. */
int store__bl_writer_apply(struct store__bl_writer *w, struct store_batch *b);

/* STORE_Q_BASELINES and the review id of STORE_Q_MAX_IDS; the answer's
 * baseline arrays and their freeing. */
int store__answer_baselines(sqlite3 *db, struct store_answer *a);
int64_t store__max_review_id(sqlite3 *db);
void store__answer_free_baselines(struct store_answer *a);

/* Prune minute rollups older than minute_cutoff and hour rollups older
 * than hour_cutoff (INT64_MIN: keep), a chunk each; as store__prune(). */
bool store__prune_rollups(sqlite3 *db, int64_t minute_cutoff, int64_t hour_cutoff, int chunk,
                          int64_t *deleted);

/* The events' clock a database was left at: the latest observation or
 * rollup time it holds (INT64_MIN when empty). */
int64_t store__clock_of(sqlite3 *db);

/* ---- reading, retention, schema --------------------------------------------------- */

/* Answer a->query on `db` (store_read.c): fills the arrays of *a (owned by
 * it) and returns 0 or VG_EDB. */
int store__answer(sqlite3 *db, struct store_answer *a);

/* Delete at most `chunk` rows older than cutoff_ms from each table, each in
 * a short transaction of its own (store_retention.c). Adds what was deleted
 * to *deleted; returns true when some table may hold more. *failed gets
 * the first SQLite code that made a table's pass fail (SQLITE_OK: none). */
bool store__prune(sqlite3 *db, int64_t cutoff_ms, int chunk, int64_t *deleted, int *failed);

/* Bring the schema of `db` up to date (store_schema.c). Returns 0, or
 * VG_EVERSION (newer than this build) / VG_EDB with a malloc'd *cause. */
int store__migrate(sqlite3 *db, const char *path, char **cause);

#endif
