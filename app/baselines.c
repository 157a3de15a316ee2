/*
 * baselines.c: restoring baselines from the store, and the refresh worker
 * thread (see baselines.h).
 */
#include "app/baselines.h"

#include "core/rollup_codec.h"
#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

int baselines_restore(struct pipeline *p, const struct store_answer *a, size_t *skipped)
{
	*skipped = 0;
	if (!pipeline_baselines_on(p))
		return 0;
	int restored = 0;
	struct baseline_model *m = malloc(sizeof(*m));
	if (!m)
		return VG_ENOMEM;
	for (size_t i = 0; i < a->n_bl_models; i++) {
		const struct store_bl_model *sm = &a->bl_models[i];
		if (!sm->blob || baseline_model_decode(sm->blob, sm->len, m, NULL) != 0) {
			(*skipped)++;
			continue;
		}
		int rc = pipeline_baseline_restore_model(p, m, sm->refreshed_ms);
		if (rc == VG_ENOMEM) {
			free(m);
			return rc;
		}
		restored += rc == 0;
	}
	free(m);
	for (size_t i = 0; i < a->n_bl_hours; i++) {
		const struct store_bl_rollup *h = &a->bl_hours[i];
		if (pipeline_baseline_restore_hour(p, &h->key, h->enc, h->len) == VG_ENOMEM)
			return VG_ENOMEM;
	}
	struct rollup *r = malloc(sizeof(*r));
	if (!r)
		return VG_ENOMEM;
	for (size_t i = 0; i < a->n_bl_minutes; i++) {
		const struct store_bl_rollup *mn = &a->bl_minutes[i];
		if (rollup_decode(mn->enc, mn->len, r) == 0 &&
		    pipeline_baseline_restore_minute(p, &mn->key, r) == VG_ENOMEM) {
			free(r);
			return VG_ENOMEM;
		}
	}
	free(r);
	for (size_t i = 0; i < a->n_bl_reviews; i++)
		pipeline_baseline_restore_review(p, &a->bl_reviews[i].key, a->bl_reviews[i].id);
	return restored;
}

/* ---- the worker ------------------------------------------------------------------- */

struct baseline_worker {
	uv_async_t async;
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t cv;
	baseline_worker_done_cb done;
	void *data;
	/* under mu */
	struct baseline_job *todo, *result;
	int err;
	bool stop, busy;
};

static void worker_thread(void *arg)
{
	struct baseline_worker *w = arg;
	uv_mutex_lock(&w->mu);
	for (;;) {
		while (!w->todo && !w->stop)
			uv_cond_wait(&w->cv, &w->mu);
		if (!w->todo)
			break;
		struct baseline_job *j = w->todo;
		w->todo = NULL;
		uv_mutex_unlock(&w->mu);
		int err = baseline_job_run(j);
		uv_mutex_lock(&w->mu);
		w->result = j;
		w->err = err;
		uv_async_send(&w->async);
	}
	uv_mutex_unlock(&w->mu);
}

static void on_async(uv_async_t *h)
{
	struct baseline_worker *w = h->data;
	uv_mutex_lock(&w->mu);
	struct baseline_job *j = w->result;
	int err = w->err;
	w->result = NULL;
	bool stopping = w->stop;
	uv_mutex_unlock(&w->mu);
	if (!j)
		return;
	w->busy = false;
	if (stopping)
		baseline_job_free(j);
	else
		w->done(w->data, j, err);
}

int baseline_worker_start(uv_loop_t *loop, baseline_worker_done_cb done, void *data,
                          struct baseline_worker **out)
{
	*out = NULL;
	struct baseline_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return VG_ENOMEM;
	w->done = done;
	w->data = data;
	if (uv_mutex_init(&w->mu) != 0)
		goto fail;
	if (uv_cond_init(&w->cv) != 0)
		goto fail_mutex;
	if (uv_async_init(loop, &w->async, on_async) != 0)
		goto fail_cond;
	w->async.data = w;
	if (uv_thread_create(&w->thread, worker_thread, w) != 0) {
		uv_close((uv_handle_t *)&w->async, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		goto fail_cond;
	}
	*out = w;
	return 0;
fail_cond:
	uv_cond_destroy(&w->cv);
fail_mutex:
	uv_mutex_destroy(&w->mu);
fail:
	free(w);
	return VG_ENOMEM;
}

int baseline_worker_submit(struct baseline_worker *w, struct baseline_job *j)
{
	if (w->busy)
		return VG_ESTATE;
	uv_mutex_lock(&w->mu);
	w->todo = j;
	w->busy = true;
	uv_cond_signal(&w->cv);
	uv_mutex_unlock(&w->mu);
	return 0;
}

bool baseline_worker_busy(const struct baseline_worker *w)
{
	return w && w->busy;
}

static void on_closed(uv_handle_t *h)
{
	struct baseline_worker *w = h->data;
	uv_mutex_destroy(&w->mu);
	uv_cond_destroy(&w->cv);
	free(w);
}

void baseline_worker_stop(struct baseline_worker *w)
{
	if (!w)
		return;
	uv_mutex_lock(&w->mu);
	w->stop = true;
	uv_cond_signal(&w->cv);
	uv_mutex_unlock(&w->mu);
	uv_thread_join(&w->thread); /* after the job in flight, if any */
	baseline_job_free(w->todo);
	baseline_job_free(w->result);
	w->todo = w->result = NULL;
	uv_close((uv_handle_t *)&w->async, on_closed);
}
