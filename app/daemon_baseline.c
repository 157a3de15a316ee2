/*
 * daemon_baseline.c: baselines in the daemon (see daemon.c): the restore at
 * startup (STORE_Q_BASELINES after the open incidents, before following),
 * and the weekly refresh on the worker thread of app/baselines: when a
 * pipeline call says the refresh is due (daemon__account notes it), the
 * next tick takes the job (copies of the models and the week's hours) and
 * hands it to the worker; its answer comes back on the loop, is applied to
 * the pipeline, and the models and review items it changed are stored like
 * any effects. Review decisions wait while the job is out
 * (daemon_actions.c).
 */
#include "app/daemon_internal.h"

#include "app/baselines.h"
#include "core/vgerr.h"

static void on_baselines(void *data, const struct store_answer *a)
{
	struct daemon *d = data;
	if (a->err != 0) {
		daemon__dispatch(d, DE_FAILED, a->err);
		return;
	}
	size_t skipped = 0;
	int n = baselines_restore(d->p, a, &skipped);
	if (n < 0) {
		daemon__dispatch(d, DE_FAILED, n);
		return;
	}
	if (n > 0 || skipped || a->n_bl_hours)
		daemon__log(d, skipped ? "warn" : "info", "baselines restored",
		            json_pack("{s:i,s:I,s:I,s:I,s:I}", "series", n, "skipped",
		                      (json_int_t)skipped, "hours", (json_int_t)a->n_bl_hours,
		                      "open_hour_minutes", (json_int_t)a->n_bl_minutes,
		                      "reviews_waiting", (json_int_t)a->n_bl_reviews));
	daemon__dispatch(d, DE_BASELINES, 0);
}

void daemon__query_baselines(struct daemon *d)
{
	if (!pipeline_baselines_on(d->p)) {
		daemon__dispatch(d, DE_BASELINES, 0);
		return;
	}
	if (store_query(d->store, STORE_Q_BASELINES, on_baselines, d) != 0)
		daemon__dispatch(d, DE_FAILED, VG_EDB);
}

static void on_refreshed(void *data, struct baseline_job *j, int err)
{
	struct daemon *d = data;
	int64_t t0 = j->cutoff_ms;
	size_t series = j->n;
	struct effects fx;
	int rc = pipeline_baseline_apply(d->p, j, pipeline_now(d->p), &fx);
	baseline_job_free(j);
	d->st.baseline_refreshes++;
	if (err || rc)
		daemon__log(d, "error", "baseline refresh failed",
		            json_pack("{s:s}", "error", vg_strerror(err ? err : rc)));
	size_t reviews = 0;
	for (size_t i = 0; i < fx.n_reviews; i++)
		reviews += fx.reviews[i].state == PRV_WAITING;
	daemon__log(d, "info", "baselines refreshed",
	            json_pack("{s:I,s:I,s:I,s:I}", "at", (json_int_t)t0, "series",
	                      (json_int_t)series, "models", (json_int_t)fx.n_models, "reviews",
	                      (json_int_t)reviews));
	if (daemon__keep_effects(d, &fx) == 0)
		daemon__submit_waiting(d);
}

void daemon__start_refresh(struct daemon *d)
{
	if (!d->refresh_due || baseline_worker_busy(d->blw))
		return;
	if (!d->blw) {
		int rc = baseline_worker_start(d->loop, on_refreshed, d, &d->blw);
		if (rc != 0) {
			daemon__log(d, "error", "baseline refresh worker not started",
			            json_pack("{s:s}", "error", vg_strerror(rc)));
			return; /* tried again at the next tick */
		}
	}
	struct baseline_job *j;
	int rc = pipeline_baseline_take(d->p, &j);
	d->refresh_due = false;
	if (rc != 0) {
		if (rc != VG_ESTATE)
			daemon__log(d, "error", "baseline refresh not started",
			            json_pack("{s:s}", "error", vg_strerror(rc)));
		return;
	}
	if (baseline_worker_submit(d->blw, j) != 0) {
		/* cannot happen (checked busy above); keep the loop's state whole */
		struct effects fx;
		pipeline_baseline_apply(d->p, j, pipeline_now(d->p), &fx);
		baseline_job_free(j);
	}
}

void daemon__stop_refresh(struct daemon *d)
{
	baseline_worker_stop(d->blw);
	d->blw = NULL;
}
