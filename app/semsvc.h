/*
 * semsvc.h: the semantic checks of a running vigil, wired together for the
 * daemon (`vigil run`), the demo and anything else that owns a libuv loop
 * and a pipeline. It owns the sidecar thread (app/sidecar) and the glue
 * the daemon would otherwise write itself:
 *
 *   - configuration: the `semantic:` section and the schema folder
 *     (semsvc_configure), before the pipeline's first feed;
 *   - deferral: once started, the pipeline defers text checks over the
 *     inline budget (semantic_allow_defer); after every pipeline_feed() the
 *     daemon calls semsvc_offer(), which queues the observation when its
 *     effects say semantic_deferred;
 *   - results: each sidecar result goes through pipeline_feed_text() on the
 *     loop thread, and what that decides (late quality/security events,
 *     incidents, notifications) goes to the daemon's on_effects callback,
 *     which stores it like the effects of pipeline_feed();
 *   - the blind spot: when the queue is full the analysis is skipped (the
 *     loop never blocks) and pipeline_monitor(SUB_SIDECAR_BLIND_SPOT, source
 *     "sidecar") raises the `monitor` incident "semantic monitoring blind
 *     spot", repeated at most every event_interval_ms while refusals go
 *     on; it auto-resolves a quiet period after the queue has drained;
 *   - metrics: vigil_sidecar_queue_depth / _capacity kept current.
 *
 * The daemon's life cycle:
 *
 *   semsvc_configure(pipeline, cfg, config_path, &schemas, &cause);  startup
 *   semsvc_start(loop, pipeline, &opt, &svc);                          startup
 *   pipeline_feed(pipeline, obs, now, &eff); store eff;               per observation
 *   semsvc_offer(svc, obs, &eff, now);
 *   semsvc_reload(svc, pipeline, new_cfg, path, &new_schemas, &cause); SIGHUP, then
 *   jschema_set_free(old_schemas);
 *   semsvc_drain(svc, drained, data);                                  shutdown, then
 *   semsvc_stop(svc, done, data);                                      in drained(), then
 *   ... run the loop until done; pipeline_free(); jschema_set_free(schemas);
 *
 * Threads: every function and callback here is on the loop thread.
 */
#ifndef VIGIL_APP_SEMSVC_H
#define VIGIL_APP_SEMSVC_H

#include "app/config.h"
#include "app/metrics_std.h"
#include "app/sidecar.h"
#include "core/jschema.h"
#include "core/pipeline.h"

#include <stdint.h>
#include <uv.h>

struct semsvc;

/*
 * Apply cfg's `semantic:` section to the pipeline (pipeline_set_semantic)
 * with the schemas compiled from semantic.schemas_dir (resolved against the
 * folder of config_path, which may be NULL: then relative to the working
 * directory). Call before the pipeline's first feed. On success *schemas is
 * the compiled set (NULL when no folder is configured); the caller frees it
 * with jschema_set_free() after pipeline_free(). Returns 0, or a negative
 * vg_err with a malloc'd message in *cause (caller frees) naming the file
 * and JSON pointer of an invalid schema: a startup error.
 */
int semsvc_configure(struct pipeline *p, const struct vigil_config *cfg, const char *config_path,
                     struct jschema_set **schemas, char **cause);

/*
 * What a late result or a blind-spot report decided: store it like the
 * effects of pipeline_feed() (store_batch_add_effects, then
 * store_batch_refresh_incidents) and count it (metrics_std_effects).
 * `eff` is borrowed for the call. Called only when eff holds something.
 */
typedef void (*semsvc_effects_cb)(void *data, const struct effects *eff);

struct semsvc_options {
	size_t capacity;  /* analyses queued at most (config semantic.sidecar_queue; 256) */
	size_t max_bytes; /* bytes copied into the queue at most (64 MiB) */
	int64_t event_interval_ms; /* repeat the blind-spot report at most this often (1000) */
	int64_t max_age_ms; /* an analysis waiting this long is a blind spot too (semsvc_watch;
	                     * config monitor.sidecar_lag; 0 = never) */
	int64_t (*clock_ms)(void *data); /* the clock ages are measured on (with `data`; NULL:
	                                  * the times given to semsvc_offer) */
	semsvc_effects_cb on_effects;
	void *data; /* for on_effects and now_ms */
	/* The time a late result is fed at; NULL = the observation's own end
	 * time (the pipeline never moves its clock back, so this is exact in
	 * replay and at most the queue delay behind in live use). */
	int64_t (*now_ms)(void *data);
	struct vigil_metrics *metrics; /* may be NULL: no gauges */
};

/* Defaults (no callbacks, no metrics). */
void semsvc_options_default(struct semsvc_options *o);

/*
 * Start the sidecar thread on `loop` for pipeline `p` (borrowed; it must
 * outlive the service until the stop callback) and turn deferral on in the
 * pipeline's semantic checks. Call after semsvc_configure(). Returns 0 and
 * *out, VG_EINVAL (no on_effects, capacity 0), VG_ENOMEM or VG_ESTATE (no
 * thread).
 */
int semsvc_start(uv_loop_t *loop, struct pipeline *p, const struct semsvc_options *opt,
                 struct semsvc **out);

/*
 * After pipeline_feed(p, obs, now, eff): when eff->semantic_deferred, queue
 * obs for the sidecar (copied; the caller's buffers may go at once).
 * Returns 0 (queued, or nothing to do), VG_EFULL (skipped: the queue is
 * full; the blind spot has been reported through on_effects), VG_ENOMEM or
 * VG_ESTATE (stopping). Never blocks.
 */
int semsvc_offer(struct semsvc *s, const struct observation *obs, const struct effects *eff,
                 int64_t now);

/*
 * The age of the oldest queued analysis at `now` (the clock_ms clock): the
 * gauge vigil_sidecar_oldest_age_seconds, and past max_age_ms the blind
 * spot through on_effects (sidecar_watch). Call every tick. NULL does
 * nothing.
 */
void semsvc_watch(struct semsvc *s, int64_t now);

/*
 * A config reload (SIGHUP): compile the schemas of cfg's folder as
 * semsvc_configure() does and apply cfg's `semantic:` section to the
 * running pipeline, which keeps what its checks have learnt
 * (pipeline_update_semantic: centroids, baselines; max_keys stays). When a
 * service runs (s may be NULL), its sidecar thread is restarted around the
 * change with semantic.sidecar_queue as the new capacity: analyses waiting
 * in the old queue are dropped (their observations keep their inline
 * verdicts). On success *schemas is the new set (NULL when no folder is
 * configured) and the caller frees the previous one: nothing refers to it
 * any more. Returns 0; or a negative vg_err with a malloc'd *cause (caller
 * frees) naming the file and JSON pointer of an invalid schema, and nothing
 * changed; or VG_ESTATE: applied (*schemas set), but the sidecar thread
 * could not restart, so every check runs inline from now on.
 */
int semsvc_reload(struct semsvc *s, struct pipeline *p, const struct vigil_config *cfg,
                  const char *config_path, struct jschema_set **schemas, char **cause);

/*
 * Call `done` (on the loop thread) once every analysis accepted so far has
 * come back through on_effects; at once when none is out. A clean stop
 * drains, then calls semsvc_stop() (from `done` if it likes: it is called
 * last). One drain at a time: a second call replaces the first's callback;
 * semsvc_stop() cancels it.
 */
void semsvc_drain(struct semsvc *s, void (*done)(void *data), void *data);

struct semsvc_stats {
	struct sidecar_stats sidecar;
	uint64_t late_events; /* failure events decided from sidecar results */
	uint64_t failed;      /* results the pipeline could not take (error status) */
};
void semsvc_stats(struct semsvc *s, struct semsvc_stats *st);

/* The sidecar, for tests and maintenance (sidecar_hold). Borrowed; NULL
 * when a reload could not restart it. */
struct sidecar *semsvc_sidecar(struct semsvc *s);

/*
 * Stop: deferral goes off (from now on every check runs inline), the
 * worker finishes the job in hand, waiting jobs are dropped, and `done`
 * (may be NULL) runs from the loop once everything is freed; run the loop
 * until then. Observations still queued lose their text verdicts. NULL
 * does nothing.
 */
void semsvc_stop(struct semsvc *s, void (*done)(void *data), void *data);

#endif
