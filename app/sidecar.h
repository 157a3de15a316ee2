/*
 * sidecar.h: the semantic sidecar, a dedicated thread (not libuv's shared
 * pool) that runs the text checks too heavy for the loop's inline budget:
 * long responses, long contexts, similarity on 16 KB answers.
 *
 * The loop thread submits an observation; the sidecar copies what the
 * analysis needs (identifiers, response text, context text, embedding) into
 * a job, so the caller's buffers may go away at once. The worker runs
 * semantic_text_run() (pure, core/semantic) and hands the job back through
 * uv_async_send; the loop thread then gets on_result with the copied
 * observation, whose request_id and attempt join the result to the
 * observation it came from. The stateful half (semantic_complete) and the
 * pipeline run there, on the loop thread, as for inline results.
 *
 * The queue is bounded (capacity jobs, max_bytes copied bytes). When it is
 * full, sidecar_submit() refuses at once (the loop never blocks), the
 * analysis is skipped and counted, and the sidecar is "blind": on_monitor
 * gets a failure event of category monitor, subtype sidecar_blind_spot
 * ("semantic monitoring blind spot"), again at most every event_interval_ms
 * while refusals continue, and a final call with ev == NULL once the queue
 * has drained to empty. A queue that is not full but slow is blind too:
 * sidecar_watch() reports the same event when the oldest analysis has
 * waited max_age_ms (by the sidecar's clock), so a lagging sidecar is
 * alerted before it fills.
 *
 * Threads: every function here is called on the loop thread; the callbacks
 * run there too. The worker thread touches only its job and the queue.
 */
#ifndef VIGIL_APP_SIDECAR_H
#define VIGIL_APP_SIDECAR_H

#include "core/event.h"
#include "core/observation.h"
#include "core/semantic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct sidecar;

/*
 * One finished analysis. obs is the sidecar's copy (its text, context and
 * embedding stay valid during the call); status is 0 or a negative vg_err
 * (then t holds what was measured before the error). Both are borrowed.
 */
typedef void (*sidecar_result_cb)(struct sidecar *sc, const struct observation *obs,
                                  const struct semantic_text *t, int status, void *data);

/*
 * The blind spot: ev is a monitor failure event while analyses are being
 * skipped (borrowed; its id is 0, the consumer numbers it), NULL when the
 * queue has drained and the sidecar sees everything again.
 */
typedef void (*sidecar_monitor_cb)(struct sidecar *sc, const struct failure_event *ev, void *data);

struct sidecar_options {
	size_t capacity;                 /* jobs waiting or in hand, at most (256) */
	size_t max_bytes;                /* bytes copied into waiting jobs, at most (64 MiB) */
	int64_t event_interval_ms;       /* repeat the blind-spot event at most this often (1000) */
	int64_t max_age_ms;              /* the oldest analysis waiting this long is a blind spot
	                            * (sidecar_watch); 0 = never */
	int64_t (*clock_ms)(void *data); /* when a job was queued (NULL: the `now` given to
	                                  * sidecar_submit); called with `data` */
	sidecar_result_cb on_result;
	sidecar_monitor_cb on_monitor; /* may be NULL */
	void *data;                    /* passed to both callbacks */
};

/* Fill *o with the defaults (no callbacks). */
void sidecar_options_default(struct sidecar_options *o);

/*
 * Start the worker thread on `loop`. `cfg` (from semantic_text_cfg()) is
 * borrowed and must stay valid until the stop callback. Returns 0 and the
 * sidecar in *out, or VG_EINVAL (no on_result, capacity 0) / VG_ENOMEM /
 * VG_ESTATE (the thread or async handle could not be created).
 */
int sidecar_start(uv_loop_t *loop, const struct semantic_text_cfg *cfg,
                  const struct sidecar_options *opt, struct sidecar **out);

/*
 * Queue the text analysis of obs. Copies what it needs; never blocks.
 * Returns 0, or VG_EFULL when the queue is full (the analysis is skipped,
 * counted, and the blind spot raised with `now` as its time), VG_ENOMEM,
 * or VG_ESTATE after sidecar_stop().
 */
int sidecar_submit(struct sidecar *sc, const struct observation *obs, int64_t now);

struct sidecar_stats {
	size_t depth; /* jobs waiting or in hand (the queue-depth metric) */
	size_t capacity;
	size_t bytes;       /* bytes held by waiting jobs */
	uint64_t submitted; /* accepted */
	uint64_t completed; /* results delivered to on_result */
	uint64_t skipped;   /* refused because the queue was full */
	bool blind;         /* skipping or lagging now, until the queue drains */
	int64_t oldest_ms;  /* when the oldest job waiting or in hand was queued, VG_NONE */
};

void sidecar_stats(struct sidecar *sc, struct sidecar_stats *st);

/*
 * Check the age of the oldest analysis at `now` (the clock of clock_ms):
 * past max_age_ms it is reported through on_monitor as the blind-spot
 * event (at most every event_interval_ms; ev->causal.value is the age in
 * seconds), and cleared like a full queue's once the queue drains. Call it
 * periodically (the daemon's tick). Returns the age in ms, or -1 when
 * nothing waits.
 */
int64_t sidecar_watch(struct sidecar *sc, int64_t now);

/*
 * Hold the worker before its next job (true) or let it go on (false): a
 * maintenance pause, and how tests fill the queue deterministically.
 */
void sidecar_hold(struct sidecar *sc, bool hold);

/*
 * Stop: the worker finishes the job in hand (the loop thread waits for that
 * one job), waiting jobs and undelivered results are dropped, handles are
 * closed, and `done` (may be NULL) is called from the loop once everything
 * is freed. The sidecar must not be used after this call.
 */
void sidecar_stop(struct sidecar *sc, void (*done)(void *data), void *data);

#endif
