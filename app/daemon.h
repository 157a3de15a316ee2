/*
 * daemon.h: vigil's daemon, the composition root of `vigil run` (and of
 * `vigil demo`, which adds the simulator and the console around it).
 *
 * One daemon on one libuv loop owns: the pipeline (core) with its semantic
 * checks and their sidecar thread (app/semsvc), the tailer of the
 * configured event files (data/ingest), the store thread (data/store), the
 * /metrics endpoint (data/metrics + net/httpd), the outbox and the sinks
 * (data/outbox, data/sinks), the operator actions written by `vigil
 * console` (applied to the incidents and forwarded to the sinks), and a
 * one-second tick that lets time pass in the pipeline (breakers cool down,
 * incidents auto-resolve, tickets), polls the operator actions and, every
 * health_ms, writes the console's health rollups (store_batch_add_health).
 * Observations from elsewhere (canary probes, a demo's generator) come in
 * through daemon_observe() on the loop thread.
 *
 * Lifecycle: daemon_new() (nothing runs yet) -> daemon_start() (opens the
 * store, binds /metrics, then asynchronously restores open incidents and
 * starts following; on_ready runs once it follows) -> ... -> daemon_stop()
 * (stops following, waits for the sidecar's analyses in flight, commits
 * everything, closes every handle; on_stopped runs
 * once the store has closed) -> run the loop until it is empty ->
 * daemon_free(). The states in between and what each event does are
 * app/daemon_fsm's (a pure transition table, tested pair by pair). The daemon never stops the loop and installs no signal
 * handlers: `vigil run` maps SIGTERM/SIGINT to daemon_stop() and SIGHUP to
 * daemon_reload().
 *
 * Logging: one JSON object per line ({"ts":..., "level":..., "msg":...,
 * fields}) through the log hook (stderr by default). No secret ever reaches it.
 *
 * Threads: every function is for the loop thread.
 */
#ifndef VIGIL_APP_DAEMON_H
#define VIGIL_APP_DAEMON_H

#include "app/config.h"
#include "core/observation.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct daemon;

struct daemon_options {
	const char *db_path; /* overrides cfg->store.path (copied); NULL = the config's */
	/* A log line (one JSON object, no newline); NULL = stderr with a newline. */
	void (*log)(void *data, const char *line);
	void *log_data;
	/* The clock (ms since the epoch) for ticks and operator actions; NULL =
	 * the wall clock. A demo with compressed time passes its own. */
	int64_t (*now_ms)(void *data);
	void *now_data;
	int tick_ms;       /* pipeline tick and action poll interval (default 1000) */
	int64_t health_ms; /* health rollups for the console, by the clock (default 2000) */
	/* The store queue full this long (monotonic ms): a monitor incident
	 * (store_queue_full), once per episode (default 10000). */
	int64_t store_full_ms;
	/* Sinks' secrets; NULL = getenv. */
	const char *(*getenv_fn)(void *data, const char *name);
	void *env_data;
	/* The daemon follows its files (after start); may be NULL. */
	void (*on_ready)(void *data, struct daemon *d);
	/* Everything is closed (after daemon_stop(), or after a fatal error:
	 * err != 0, e.g. the store failed). Run the loop to its end, then
	 * daemon_free(). May be NULL. */
	void (*on_stopped)(void *data, struct daemon *d, int err);
	void *data;
};

/*
 * A daemon for `cfg` (copied) on `loop` (borrowed; it must outlive the
 * daemon). Nothing is opened yet. `opt` may be NULL (defaults). Returns 0
 * and *out, or VG_ENOMEM.
 */
int daemon_new(struct daemon **out, uv_loop_t *loop, const struct vigil_config *cfg,
               const struct daemon_options *opt);

/*
 * Apply the `semantic:` section (its schema folder relative to the config
 * file's), open the store, bind /metrics (port 0: a free port, logged and
 * returned by daemon_metrics_port()), set up the sinks and the outbox, then
 * (on the loop) restore open incidents, start the semantic sidecar and start
 * following the event files. Returns 0, or VG_EDB / VG_EIO / VG_ECONFIG (a
 * sink's secret unset, an invalid schema: its file and JSON pointer) /
 * VG_EINVAL (a bad metrics.listen) with a malloc'd message in *cause
 * (caller frees); on error everything opened is closed again (run the loop,
 * then daemon_free()).
 */
int daemon_start(struct daemon *d, char **cause);

/*
 * Feed one observation from elsewhere (a canary probe: source = probe; a
 * demo's generator) at its own end time: pipeline, metrics, and the store
 * (the observation and the effects in one batch). Returns 0, VG_ESTATE (not
 * running), VG_EINVAL (no provider or time) or VG_ENOMEM.
 */
int daemon_observe(struct daemon *d, const struct observation *obs);

/*
 * Re-read the config file `path` (NULL: the file cfg->file named). Applied
 * at once: new event files are followed, sink routes (min_severity), the
 * payload texts of `incidents:` and the `semantic:` section with its schema
 * folder, recompiled (the checks keep what they learnt; the sidecar thread
 * restarts, dropping the analyses waiting in its queue). Everything else
 * (store, metrics.listen, providers, thresholds, the sinks' URLs and
 * secrets, incident timings, semantic.max_keys) needs a restart and is
 * logged as such. Returns 0, or VG_ECONFIG / VG_EIO with a malloc'd message
 * in *cause (an invalid schema: its file and JSON pointer): then nothing
 * changes.
 */
int daemon_reload(struct daemon *d, const char *path, char **cause);

/* Stop (idempotent): stop following, commit every effect, close every
 * handle; on_stopped runs at the end. */
void daemon_stop(struct daemon *d);

/* Free after on_stopped ran and the loop ran to its end (or before
 * daemon_start()). NULL does nothing. */
void daemon_free(struct daemon *d);

/* The bound /metrics port (0 when not listening). */
int daemon_metrics_port(const struct daemon *d);

/* The live pipeline (read-only: the console of `vigil demo` may read it on
 * the loop thread), or NULL before start. */
const struct pipeline *daemon_pipeline(const struct daemon *d);

/* The database path in use. */
const char *daemon_db_path(const struct daemon *d);

/* Counters (for the demo's summary line and the tests). */
struct daemon_stats {
	int64_t observations;       /* fed to the pipeline (files + daemon_observe) */
	int64_t lines;              /* event-file lines read */
	int64_t quarantined;        /* event-file lines quarantined */
	int64_t failure_events;     /* emitted by the pipeline */
	int64_t incidents_opened;   /* since start */
	int64_t actions_applied;    /* operator actions taken from the database */
	int64_t batches_failed;     /* store batches that did not commit */
	int64_t notifications_held; /* from events older than the quiet period (app/backfill) */
	int64_t baseline_refreshes; /* weekly refreshes applied */
	int64_t clamped;            /* observations ending over 1 s ahead of the clock, fed at it */
	int64_t sent_from_memory;   /* pages sent while the disk was full (store_unwritable) */
	bool baseline_refreshing;   /* one is due or running on the worker */
	bool running;
};
void daemon_stats(const struct daemon *d, struct daemon_stats *out);

#endif
