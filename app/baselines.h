/*
 * baselines.h: the shell's side of baselines (core/pipeline.h, "baselines"):
 * restoring a pipeline's series from the store after a restart (the daemon
 * and `vigil ingest`), and the daemon's refresh worker.
 *
 * The worker is a thread of its own (not the loop, not the store thread,
 * not libuv's pool that the file reads use): the loop hands it a refresh job
 * (pipeline_baseline_take(): copies of the models and the week's hours, so
 * the thread touches nothing of the loop's), the thread runs it
 * (baseline_job_run()) and answers through uv_async_send(); the loop then
 * applies it (pipeline_baseline_apply()) and stores what changed. One job
 * at a time (a refresh is due once a week). Stopping waits for the job in
 * flight, whose result is then dropped: the next start refreshes again
 * from the stored hours.
 */
#ifndef VIGIL_APP_BASELINES_H
#define VIGIL_APP_BASELINES_H

#include "core/baseline_job.h"
#include "core/pipeline.h"
#include "data/store.h"

#include <uv.h>

/*
 * Restore the pipeline's baselines from a STORE_Q_BASELINES answer: each
 * model (with its last refresh), the hours of each series' current week,
 * the minutes of the hour that was open, the waiting review items. A model
 * that does not decode (a newer version, a damaged row) is skipped and
 * counted in *skipped; its series starts cold. Returns the number of
 * series restored, or VG_ENOMEM. Does nothing when baselines are off.
 */
int baselines_restore(struct pipeline *p, const struct store_answer *a, size_t *skipped);

struct baseline_worker;

/* A job came back (loop thread): the callee applies it and frees it. */
typedef void (*baseline_worker_done_cb)(void *data, struct baseline_job *j, int err);

/* Start the worker thread with an async handle on loop. Returns 0 or
 * VG_ENOMEM. */
int baseline_worker_start(uv_loop_t *loop, baseline_worker_done_cb done, void *data,
                          struct baseline_worker **out);

/* Hand a job over (the worker owns it until done runs). Returns 0, or
 * VG_ESTATE when one is in flight (the caller keeps j). */
int baseline_worker_submit(struct baseline_worker *w, struct baseline_job *j);

/* Whether a job is in flight. */
bool baseline_worker_busy(const struct baseline_worker *w);

/* Stop: wait for the job in flight (its result is freed, not delivered),
 * join the thread, close the async handle (memory freed in its close
 * callback: run the loop once more). NULL does nothing. */
void baseline_worker_stop(struct baseline_worker *w);

#endif
