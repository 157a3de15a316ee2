/*
 * outbox.h: every notification is written to the outbox first, then
 * delivered by the loop with retries and backoff (the transactional outbox
 * pattern), so a sink that is down or slow never blocks the loop and loses
 * nothing.
 *
 * Rows, two ways in.
 *  - With the store (vigil): the pipeline's notifications go into the same
 *    store batch as the rest of its effects (store_batch_add_effects()), and
 *    outbox_attach_store() makes the outbox read the committed pending rows
 *    (STORE_Q_OUTBOX_PENDING) every poll_ms and at once at startup, adopting
 *    the ones it does not know. Only committed rows are ever delivered;
 *    delivery outcomes go back to the store as store_batch_add_outbox_update()
 *    batches. The loop never touches SQLite.
 *  - Without it (tests, a database-less demo): outbox_enqueue() gives a
 *    notification an id (increasing) and hands the row to the persistence
 *    hooks (struct outbox_persist); a row is delivered once durable: at once
 *    without an insert hook, else after outbox_durable(). outbox_load() takes
 *    back rows persisted earlier.
 *
 * Order. Per (sink, dedup key), rows are delivered one at a time in id order:
 * a trigger is never overtaken by its resolve. Each row is delivered at
 * least once: a crash between the delivery and the store's commit of its
 * state sends it again after the restart (exactly once is not possible
 * over HTTP). PagerDuty and Alertmanager de-duplicate by dedup key or label
 * set; webhook and Jira deliveries carry the row's idempotency key (from
 * the events, the same across retries, restarts and the daemons of an HA
 * pair) as the Idempotency-Key header for the receiver to drop repeats.
 * Different keys go in parallel (at most max_in_flight per sink).
 *
 * Retries. 2xx: delivered. Other 4xx (but 408, 425, 429): rejected for good,
 * logged with the sink's answer (redacted), kept in the store as "dead".
 * 429: the whole sink waits for Retry-After, at least rate_limit_min_ms
 * (60 s), doubling on repeated 429s up to backoff_max_ms. 5xx, 408 and
 * transport errors: the whole sink waits backoff_base_ms doubling per
 * consecutive failure up to backoff_max_ms (5 min), then tries the same
 * row again. Nothing is dropped while a sink is down. A sink failing for
 * unreachable_after_ms (and at least 3 attempts, re-sends included) is
 * reported through
 * on_health(up = false) once, and on_health(up = true) when it recovers:
 * vigil turns that into a monitor incident (SUB_SINK_UNREACHABLE).
 *
 * Threads: loop thread only. Times: wall clock ms (now_ms hook).
 */
#ifndef VIGIL_DATA_OUTBOX_H
#define VIGIL_DATA_OUTBOX_H

#include "core/route.h"
#include "data/sinks.h"
#include "data/store.h" /* enum outbox_state, struct store_outbox */

struct metric_family;

/* A row as persisted. payload is borrowed in hooks and outbox_load(). */
struct outbox_row {
	int64_t id;
	char sink[VG_NAME_MAX];
	char dedup_key[INCIDENT_KEY_MAX];
	char idem_key[NOTIFY_IDEM_MAX]; /* the Idempotency-Key ("": one is made from the id) */
	int64_t sequence;               /* = id: the order within (sink, dedup_key) */
	const char *payload;
	enum outbox_state state;
	int32_t attempts;
	int64_t next_attempt_ms;
	int64_t created_ms;
	int64_t delivered_ms; /* 0 until delivered */
};

/* Persistence hooks (all may be NULL: then rows are durable at once and
 * nothing is written). They must not call back into the outbox. */
struct outbox_persist {
	/* A new row: write it, and call outbox_durable(id) once committed. */
	void (*insert)(void *data, const struct outbox_row *row);
	/* A delivery outcome (state, attempts, next attempt, delivered time). */
	void (*update)(void *data, const struct outbox_row *row);
	void *data;
};

/* The outbox's series, in families of a data/metrics registry that the
 * caller registered with these labels (app/metrics_std does); a NULL member
 * is not recorded. */
struct outbox_metrics {
	struct metric_family *pending;    /* gauge {sink}: rows not delivered yet */
	struct metric_family *deliveries; /* counter {sink,result}: delivered|retry|rejected */
	struct metric_family *up;         /* gauge {sink}: the last attempt was accepted (1) */
};

struct outbox_options {
	struct outbox_persist persist;
	int max_in_flight;             /* per sink (4) */
	int64_t backoff_base_ms;       /* first retry after a 5xx or network error (1000) */
	int64_t backoff_max_ms;        /* cap (300000) */
	int64_t rate_limit_min_ms;     /* least wait after a 429 (60000) */
	int64_t unreachable_after_ms;  /* report a sink down after failing this long (60000) */
	int64_t (*now_ms)(void *data); /* wall clock (NULL: the system clock) */
	void *now_data;
	/* Log a line (no secret ever reaches it); NULL: stderr. */
	void (*log)(void *data, const char *line);
	void *log_data;
	/* A sink went down (up = false) or came back (up = true). May be NULL. */
	void (*on_health)(void *data, const char *sink, bool up, const char *detail);
	void *health_data;
	struct outbox_metrics metrics; /* all NULL: none */
};

struct outbox;

/* Fill *o with the defaults above. */
void outbox_options_defaults(struct outbox_options *o);

/*
 * An outbox delivering to `sinks` with `http` on `loop` (all borrowed; they
 * must outlive the outbox). Options are copied. Returns 0 and *out, or
 * VG_ENOMEM.
 */
int outbox_new(uv_loop_t *loop, struct sinks *sinks, struct http_client *http,
               const struct outbox_options *opt, struct outbox **out);

/* Stop: cancel deliveries in flight (their rows stay pending), close the
 * timers; the memory is freed once they are closed and any store query has
 * been answered (run the loop once more; close the store after the outbox).
 * NULL does nothing. */
void outbox_close(struct outbox *ob);

/* Ids continue from here (one past the store's highest outbox id). */
void outbox_set_next_id(struct outbox *ob, int64_t next_id);

/*
 * Write one notification to the outbox (without a store). Returns 0 and its
 * id in *id (may be NULL), VG_ENOTFOUND when no configured sink has that
 * name (logged; nothing is kept), VG_ESTATE when a store is attached (rows
 * come from it), or VG_ENOMEM.
 */
int outbox_enqueue(struct outbox *ob, const struct notification *n, int64_t *id);

/*
 * Deliver a notification that cannot be stored: vigil's own incident about
 * its store failing (data/store's on_corrupt). The row lives in memory only
 * (never persisted, so it is lost if vigil stops before delivering it),
 * after the rows already queued for its (sink, dedup key), with the same
 * retries. Allowed with a store attached. Returns 0, VG_ENOTFOUND (no such
 * sink) or VG_ENOMEM.
 */
int outbox_send_volatile(struct outbox *ob, const struct notification *n);

/* Rows from outbox_send_volatile() not delivered or rejected yet. */
int64_t outbox_volatile_pending(const struct outbox *ob);

/* A row persisted by the hooks' insert is durable: it may be delivered. */
void outbox_durable(struct outbox *ob, int64_t id);

/* Take back rows persisted earlier (durable), e.g. after a restart; rows
 * not pending and ids already known are skipped. Rows of unknown sinks are
 * kept but never delivered (logged). Returns 0 or VG_ENOMEM. */
int outbox_load(struct outbox *ob, const struct outbox_row *rows, size_t n);

/*
 * Deliver the rows committed to `store` (borrowed; it must outlive the
 * outbox): ask for the pending rows now and every poll_ms (500 if <= 0),
 * adopt the unknown ones, and write delivery outcomes back through batches.
 * Returns 0, or VG_ESTATE when a store is attached already.
 */
int outbox_attach_store(struct outbox *ob, struct store *store, int64_t poll_ms);

/*
 * The answer to a delivery made outside the outbox to sink `i` (an
 * Alertmanager re-send, data/sinks): counted in deliveries{sink,result} and
 * in the sink's health like a row's attempt (up gauge, failing for
 * unreachable_after_ms reported through on_health), without delaying rows.
 * Give it to sinks_start_resend() as its attempt hook (outbox_resend_hook).
 */
void outbox_note_attempt(struct outbox *ob, size_t i, const struct http_response *resp);
void outbox_resend_hook(void *outbox, size_t i, const struct http_response *resp);

/* Counters. */
struct outbox_stats {
	int64_t enqueued, delivered, rejected, retries, in_flight, pending;
};
void outbox_stats(const struct outbox *ob, struct outbox_stats *out);

/* Rows pending for one sink (not delivered, not rejected). */
int64_t outbox_pending(const struct outbox *ob, const char *sink);

#endif
