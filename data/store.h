/*
 * store.h: the store thread, owner of the only SQLite write connection
 * (docs/architecture.md: threads, and where state lives).
 *
 * Everything vigil persists goes through here: the loop thread fills a
 * struct store_batch (observations, failure events, breaker transitions,
 * incidents and their history, outbox rows and their state changes, operator
 * actions, quarantined lines, tail positions) and submits it. The store
 * thread applies batches in submission order inside transactions that it
 * commits every `batch_rows` rows or `batch_ms` ms (or on store_flush()), so
 * a batch is all-or-nothing: put a tail position in the same batch as the
 * rows it covers and a crash can neither lose nor repeat a line.
 * Observations are deduplicated on (request_id, attempt).
 *
 * The queue is bounded: store_submit() refuses a batch (VG_EFULL) when
 * `queue_batches` are waiting, and on_space() runs once there is room again;
 * the tailer pauses in between (back-pressure, nothing dropped). With
 * full_retry_ms, a full disk (SQLITE_FULL) is such a wait, not a failure: the batches are kept
 * and tried again every full_retry_ms, store_stats() says `unwritable`.
 *
 * Reads the loop needs (tail positions at startup, undelivered outbox rows,
 * unapplied operator actions, open incidents, the highest ids) are requests
 * over the same queue (store_query()): they see every batch submitted before
 * them. Every answer comes back on the loop thread through uv_async_send();
 * the loop never calls sqlite3_* itself.
 *
 * Threads: all functions are for the loop thread, except that batches may be
 * built on any thread (a batch is plain memory until submitted).
 *
 * Ownership: store_batch_add_*() copy their arguments (strings included).
 * store_submit() takes the batch when it returns 0. Answers and commit
 * reports passed to callbacks are borrowed for the duration of the call.
 *
 * Damage. store_open() refuses a file that is not vigil's (data/dbfile.h:
 * it is left as it was) and one that fails PRAGMA quick_check. When SQLite
 * reports damage later (SQLITE_CORRUPT, SQLITE_NOTADB) on any statement of
 * the store thread, the store stops writing for good: the batch in hand and
 * every later one fail with VG_ECORRUPT, queries too, and on_corrupt runs
 * once on the loop thread with a message naming the file.
 *
 * The schema (PRAGMA user_version = STORE_SCHEMA_VERSION) is documented in
 * data/store_schema.c; the columns each table is written and read with are
 * listed once, in data/store_columns.h.
 */
#ifndef VIGIL_DATA_STORE_H
#define VIGIL_DATA_STORE_H

#include "core/action.h"
#include "core/event.h"
#include "core/model.h"
#include "core/observation.h"
#include "core/pipeline.h"
#include "core/redact.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define STORE_SCHEMA_VERSION 7

/* ---- rows other modules hand over ----------------------------------------------- */

/* enum incident_state (open, acknowledged, resolved) is core/incident's. */
enum outbox_state { OUTBOX_PENDING, OUTBOX_DELIVERED, OUTBOX_DEAD, OUTBOX__COUNT };

/* An incident, inserted or replaced as a whole (by id). */
struct store_incident {
	int64_t id;                 /* assigned by core/incidents, > 0 */
	char key[INCIDENT_KEY_MAX]; /* grouping key ("provider/openai/outage") */
	enum category category;     /* CAT_MONITOR for vigil's own health */
	enum subtype subtype;
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX];
	enum severity severity;
	enum incident_state state;
	int64_t count;
	int64_t first_ms, last_ms;
	const char *detail_json; /* JSON text (incident_to_json()), may be NULL */
};

/* One entry in an incident's history (opened, escalated, acknowledged, ...). */
struct store_incident_history {
	int64_t incident_id;
	int64_t time_ms;
	char what[32]; /* incident_change_name(): "opened", "escalated", "acknowledged", ... */
	enum incident_state state;
	enum severity severity;
	int64_t count;
	int64_t related_id; /* "related": the other incident; else 0 */
	char actor[64];     /* "" unless an operator acted */
	const char *note;   /* may be NULL */
};

/* An alert waiting for (or done with) delivery to a sink. */
struct store_outbox {
	int64_t id; /* > 0, assigned by the producer (see store_max_ids) */
	char sink[VG_NAME_MAX];
	char dedup_key[INCIDENT_KEY_MAX];
	char idem_key[NOTIFY_IDEM_MAX]; /* the notification's idempotency key (core/route.h);
	                                 * "" in rows from before schema 3 */
	char op[16]; /* route_op_name(): "trigger", "acknowledge", "resolve", ... */
	int64_t incident_id;
	int64_t sequence; /* order within (sink, dedup_key); ties broken by id */
	const char *payload_json;
	enum outbox_state state;
	int32_t attempts;
	int64_t next_attempt_ms;
	int64_t created_ms;
	int64_t delivered_ms; /* 0 until delivered */
};

/* A delivery attempt's outcome for one outbox row. */
struct store_outbox_update {
	int64_t id;
	enum outbox_state state;
	int32_t attempts;
	int64_t next_attempt_ms;
	int64_t delivered_ms;
};

/* An operator's action from the console (acknowledge, resolve, note, triage
 * path; core/action), stored under action_name(). A stored text no
 * build knows reads back as ACTION_NOTE. */
#define STORE_OUTCOME_MAX 160
struct store_operator_action {
	int64_t id;          /* 0 on insert: the database assigns it */
	int64_t incident_id; /* 0 for accept and reject */
	int64_t review_id;   /* accept, reject: the baseline review item; else 0 */
	enum action_kind action;
	char actor[64];
	const char *note; /* may be NULL; the wizard's path as JSON text for ACTION_TRIAGE */
	int64_t time_ms;
	bool applied;
	char outcome[STORE_OUTCOME_MAX]; /* the daemon's, when applied ("applied", "refused: ..");
	                                  * "" before (and on insert) */
};

/* Where the tailer is in one file (a file is its device and inode). */
struct store_tail_pos {
	uint64_t dev, ino;
	char path[512];
	int64_t offset;    /* bytes consumed: the next line starts here */
	int64_t line_no;   /* lines consumed */
	uint64_t head_sig; /* signature of the file's first bytes (detects inode reuse) */
	int64_t updated_ms;
	int64_t size; /* the file's size when read (-1: not known) */
};

/* One health row (the daemon writes them from pipeline_health_view() every
 * few seconds; the console reads them). It replaces the row of (provider,
 * model) and sets that minute's point of health_minute. */
struct store_health {
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX]; /* "" = the provider as a whole */
	bool fallback, configured;
	int64_t window_requests;
	struct health_numbers h; /* NaN = not measured */
	bool has_breaker;        /* false: breaker, since and opens are stored NULL */
	enum breaker_state breaker;
	int64_t breaker_since_ms;
	int32_t opens_in_window;
	bool oscillating;
	double probe_spend_usd;      /* NaN when unknown */
	double probe_budget_usd;     /* NaN when there is none */
	double latency_threshold_ms; /* thresholds.latency_ms, for p99 vs threshold */
	int64_t updated_ms;
	int64_t gateway_event_ms; /* the newest gateway event's end (probes not counted), VG_NONE */
};

/* A line that could not be used. */
struct store_quarantine {
	char file[512];
	int64_t line_no; /* 1-based */
	int64_t byte_offset;
	char reason[32];           /* decode_reason_name() */
	char detail[192];          /* the one-line explanation */
	const unsigned char *head; /* the first bytes of the line */
	size_t head_len;           /* at most 256 are kept */
	int64_t time_ms;           /* when it was quarantined (wall clock) */
};

/* ---- the store ----------------------------------------------------------------- */

struct store;
struct store_batch;

/* What happened to one submitted batch; err is 0 or a negative vg_err. */
struct store_commit {
	int err;
	int64_t inserted;   /* observations stored */
	int64_t duplicates; /* observations already present, ignored */
	int64_t rows;       /* every row of the batch */
};

typedef void (*store_commit_cb)(void *data, const struct store_commit *c);
typedef void (*store_space_cb)(void *data);
typedef void (*store_log_cb)(void *data, const char *line);
/* The database is damaged: `cause` (borrowed during the call) names the
 * file, SQLite's words and what to run next (dbfile_corrupt_cause()). */
typedef void (*store_corrupt_cb)(void *data, const char *cause);

struct store_options {
	const char *path;     /* SQLite file; created with mode 0600 (see group) */
	const char *group;    /* store.group: files 0640 owned by it; NULL/"" = 0600 */
	store_log_cb log;     /* what open changed (a mode tightened); may be NULL */
	int batch_rows;       /* commit after this many rows (default 20000) */
	int batch_ms;         /* ... or this long after the first (default 200) */
	int queue_batches;    /* batches waiting before store_submit() refuses (default 8) */
	int64_t retention_ms; /* prune rows older than this; 0 keeps everything */
	int64_t minute_rollup_retention_ms; /* prune minute rollups older; 0 keeps them */
	int64_t hour_rollup_retention_ms;   /* prune hour rollups older; 0 keeps them */
	int prune_chunk;                    /* rows deleted per short transaction (default 1000) */
	int prune_interval_ms;              /* how often pruning runs when idle (default 10000) */
	int full_retry_ms;           /* the disk full: how often the waiting batches are tried again
	                    * (default 1000) */
	store_space_cb on_space;     /* queue has room again after a VG_EFULL; may be NULL */
	store_corrupt_cb on_corrupt; /* damage met, writing stopped (once); may be NULL */
	void *data;
	/* API keys to mask in every text written (core/redact), on the store
	 * thread before each batch is applied; borrowed, read-only while the
	 * store is open. NULL masks the usual key shapes only. */
	const struct redact *redact;
};

/*
 * Open (creating, migrating) the database and start the store thread, with
 * an async handle on `loop` for answers. The file is identified first
 * (dbfile_identify(): another application's database is refused before
 * anything is written to it) and an existing one must pass PRAGMA
 * quick_check; its files are made private (0600, or 0640 for store.group),
 * whatever mode they had, each change going to opt->log. Returns 0 and
 * *out, or VG_EDB (not vigil's, or unusable) / VG_ECORRUPT (damaged) /
 * VG_EIO / VG_EVERSION (a database newer than this build) with a malloc'd
 * message in *cause (caller frees; may be NULL). Nothing is left open on
 * error.
 */
int store_open(struct store **out, uv_loop_t *loop, const struct store_options *opt, char **cause);

/*
 * Commit everything submitted, stop the thread, deliver the last callbacks,
 * close the database and close the async handle; the memory is freed in the
 * handle's close callback (run the loop once more). NULL does nothing.
 */
void store_close(struct store *s);

/* A new empty batch (NULL when out of memory). Free an unsubmitted one with
 * store_batch_free(). `cb` (may be NULL) runs on the loop thread when the batch
 * has committed or failed. */
struct store_batch *store_batch_new(store_commit_cb cb, void *data);
void store_batch_free(struct store_batch *b);

/* Rows in a batch so far (every kind counted). */
size_t store_batch_rows(const struct store_batch *b);

/* Append rows. Each copies its argument; returns 0 or VG_ENOMEM (the batch
 * is unchanged then). An observation without provider or time is VG_EINVAL.
 * An incident replaces one with the same id already in the batch. */
int store_batch_add_observation(struct store_batch *b, const struct observation *obs);
int store_batch_add_event(struct store_batch *b, const struct failure_event *ev);
int store_batch_add_transition(struct store_batch *b, const struct breaker_transition *t);
int store_batch_add_incident(struct store_batch *b, const struct store_incident *inc);
int store_batch_add_incident_history(struct store_batch *b, const struct store_incident_history *h);
int store_batch_add_outbox(struct store_batch *b, const struct store_outbox *o);
int store_batch_add_outbox_update(struct store_batch *b, const struct store_outbox_update *u);
int store_batch_add_action(struct store_batch *b, const struct store_operator_action *a);
/* Mark an operator action applied, with its outcome (NULL: "applied"; a
 * refusal says "refused: <why>"; cut at STORE_OUTCOME_MAX - 1 bytes). */
int store_batch_mark_action_applied(struct store_batch *b, int64_t action_id, const char *outcome);
int store_batch_add_quarantine(struct store_batch *b, const struct store_quarantine *q);
int store_batch_add_health(struct store_batch *b, const struct store_health *h);
/*
 * Everything a pipeline call decided, copied: failure events, breaker
 * transitions, incident changes (each a history row, except "updated"; the
 * incident's row is replaced with its latest state) and notifications (an
 * outbox row each, state pending, sequence = its time). Outbox ids come from
 * *next_outbox_id (incremented) when it is not NULL, else the database
 * assigns them. An incident's columns are taken at once, its detail JSON
 * only by store_batch_refresh_incidents(), once per batch (building it for
 * every failing request of an outage would cost more than the rest of
 * ingest): call that before store_submit(), or the row keeps the detail the
 * database already has (NULL for a new incident).
 * Returns 0 or VG_ENOMEM (then some rows may have been added).
 */
int store_batch_add_effects(struct store_batch *b, const struct effects *e,
                            int64_t *next_outbox_id);

/* One notification as an outbox row (what store_batch_add_effects() adds
 * for each): id (0: the database assigns it), state and delivered_ms as
 * given. 0 or VG_ENOMEM. */
int store_batch_add_notification(struct store_batch *b, const struct notification *nt, int64_t id,
                                 enum outbox_state state, int64_t delivered_ms);

/*
 * Baselines, one row each (store_batch_add_effects() adds a pipeline call's
 * rollups, models and review items itself): a closed minute or hour rollup
 * of a series (encoded, core/rollup_codec; replaces the row of the same
 * series and start); a series' model (core/baseline_blob; replaces the
 * series' row) with its last refresh (INT64_MIN: never) and the time it
 * was written; a review item (inserted, or its state, actor and decision
 * time updated by id). Returns 0, VG_EINVAL or VG_ENOMEM.
 */
int store_batch_add_rollup(struct store_batch *b, const struct rollup_series *k,
                           const struct rollup *r, bool hour);
int store_batch_add_baseline_model(struct store_batch *b, const struct baseline_model *m,
                                   int64_t refreshed_ms, int64_t updated_ms);
int store_batch_add_review(struct store_batch *b, const struct pipeline_review *r);

/* Rebuild the detail JSON of the incidents whose detail is behind their
 * columns, from the tracker (call it just before store_submit()). 0 or VG_ENOMEM. */
int store_batch_refresh_incidents(struct store_batch *b, const struct incidents *t);
/* The position after the batch's lines of that file (the last one per file wins). */
int store_batch_set_tail(struct store_batch *b, const struct store_tail_pos *p);

/*
 * Hand a batch to the store thread. Returns 0 (the store owns it now), or
 * VG_EFULL when the queue is full (the caller keeps it and waits for
 * on_space), or VG_EDB / VG_ECORRUPT when the store has failed (the caller
 * keeps it).
 */
int store_submit(struct store *s, struct store_batch *b);

/*
 * One batch at once, for a command without a loop of its own: open the
 * database at path (as store_open(), default options) on a private loop,
 * submit b, commit, close. b must come from
 * store_batch_new(store_once_commit, err) with *err == 0 (the callback keeps
 * the first commit error there). Takes b. Returns 0, or the error (open,
 * submit or commit) with a malloc'd message in *cause (may be NULL).
 */
void store_once_commit(void *data, const struct store_commit *c);
int store_write_once(const char *path, struct store_batch *b, const int *err, char **cause);

/* A stop that cannot wait for space: from now on a full disk is a failure
 * (once more tried; then what waits and what follows fails with VG_EDB,
 * the tail positions unstored: the lines are read again at the next start).
 * Does nothing to a store that can write. */
void store_give_up_full(struct store *s);

/* Commit the open transaction now (without waiting for N rows or T ms); `cb`
 * runs on the loop thread once it has committed. Returns 0, VG_ENOMEM or VG_EDB. */
int store_flush(struct store *s, store_commit_cb cb, void *data);

/* ---- reads over the same thread ---------------------------------------------- */

enum store_query {
	STORE_Q_TAIL_POSITIONS,    /* every tail position */
	STORE_Q_OUTBOX_PENDING,    /* outbox rows in state pending, by id */
	STORE_Q_ACTIONS_UNAPPLIED, /* operator actions not applied, by id */
	STORE_Q_INCIDENTS_OPEN,    /* incidents not resolved, by id */
	STORE_Q_MAX_IDS,           /* the highest ids in use */
	STORE_Q_BASELINES,         /* what a restart restores (struct store_answer) */
};

struct store_max_ids {
	int64_t incident, outbox, action, event, review;
};

/* A stored baseline model, rollup or waiting review item (STORE_Q_BASELINES). */
struct store_bl_model {
	struct rollup_series key;
	int64_t refreshed_ms; /* INT64_MIN: never */
	uint8_t *blob;        /* core/baseline_blob bytes, owned by the answer */
	size_t len;
};

struct store_bl_rollup {
	struct rollup_series key;
	int64_t start_ms;
	uint8_t *enc; /* core/rollup_codec bytes, owned by the answer */
	size_t len;
};

struct store_bl_review {
	int64_t id;
	struct rollup_series key;
};

/* An answer; only the arrays of the asked query are filled. Strings
 * (payload_json, detail_json, note) are owned by the answer. */
struct store_answer {
	enum store_query query;
	int err; /* 0 or VG_EDB */
	struct store_tail_pos *tails;
	size_t n_tails;
	struct store_outbox *outbox;
	size_t n_outbox;
	struct store_operator_action *actions;
	size_t n_actions;
	struct store_incident *incidents;
	size_t n_incidents;
	/* STORE_Q_INCIDENTS_OPEN: the ids of those that never had an outbox row
	 * (never notified: opened by a backfill, or below every sink's severity) */
	int64_t *unnotified;
	size_t n_unnotified;
	struct store_max_ids max_ids;
	/* STORE_Q_BASELINES: every model; the hours of each series since its
	 * model's refresh (all its hours within a week of the newest when it
	 * has no model yet), in time order; the minutes of the newest hour that
	 * has no hour row yet (the hour that was open), in time order; the
	 * waiting review items */
	struct store_bl_model *bl_models;
	size_t n_bl_models;
	struct store_bl_rollup *bl_hours;
	size_t n_bl_hours;
	struct store_bl_rollup *bl_minutes;
	size_t n_bl_minutes;
	struct store_bl_review *bl_reviews;
	size_t n_bl_reviews;
};

typedef void (*store_answer_cb)(void *data, const struct store_answer *a);

/* Ask; `cb` runs on the loop thread with the answer (borrowed during the call).
 * Returns 0, VG_ENOMEM or VG_EDB (the store has failed). */
int store_query(struct store *s, enum store_query q, store_answer_cb cb, void *data);

/* Counters for the progress line and /metrics (loop thread; a snapshot). */
struct store_stats {
	int64_t committed_rows, inserted, duplicates, transactions, pruned;
	int queued; /* batches waiting */
	bool failed;
	bool corrupt; /* failed because the database is damaged (on_corrupt ran) */
	/* the disk is full (SQLITE_FULL): nothing commits, the batches wait and
	 * are tried again every full_retry_ms; false again after a commit */
	bool unwritable;
	int64_t full_errors; /* SQLITE_FULL met so far */
};
void store_stats(struct store *s, struct store_stats *out);

/* Static names for the enum above ("pending", ...); -1 when unknown. */
const char *store_outbox_state_name(enum outbox_state s);
int store_outbox_state_parse(const char *s);

#endif
