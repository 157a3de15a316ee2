/*
 * sidecar.c: the worker thread, its bounded queue and the way back to the
 * loop (see sidecar.h).
 *
 * One mutex guards both lists: `wait` (jobs for the worker, FIFO) and `done`
 * (results for the loop, FIFO). The worker sleeps on a condition variable;
 * the loop is woken by uv_async_send, which coalesces, so the async callback
 * drains the whole `done` list each time. A job is one allocation: the
 * observation copy, the result, and the copied texts behind them.
 */
#include "app/sidecar.h"

#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
	struct job *next;
	size_t bytes; /* copied payload */
	int64_t queued_ms;
	int status;
	struct observation obs;
	struct semantic_text result;
	char payload[]; /* text, context, embedding */
};

struct sidecar {
	uv_loop_t *loop;
	const struct semantic_text_cfg *cfg;
	struct sidecar_options opt;
	uv_async_t async;
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t cv;

	/* guarded by mu */
	struct job *wait_head, *wait_tail;
	struct job *done_head, *done_tail;
	size_t depth, bytes;
	int64_t in_hand_ms; /* queued_ms of the job the worker holds, VG_NONE */
	bool stop, hold;

	/* loop thread only */
	uint64_t submitted, completed, skipped;
	bool blind, stopping;
	int64_t last_event_ms;
	void (*stopped)(void *data);
	void *stopped_data;
};

void sidecar_options_default(struct sidecar_options *o)
{
	memset(o, 0, sizeof(*o));
	o->capacity = 256;
	o->max_bytes = (size_t)64 << 20;
	o->event_interval_ms = 1000;
}

static void free_list(struct job *j)
{
	while (j) {
		struct job *n = j->next;
		free(j);
		j = n;
	}
}

static void worker(void *arg)
{
	struct sidecar *sc = arg;
	struct semantic_worker *w = semantic_worker_new();
	for (;;) {
		uv_mutex_lock(&sc->mu);
		while (!sc->stop && (sc->hold || !sc->wait_head))
			uv_cond_wait(&sc->cv, &sc->mu);
		if (sc->stop) {
			uv_mutex_unlock(&sc->mu);
			break;
		}
		struct job *j = sc->wait_head;
		sc->wait_head = j->next;
		if (!sc->wait_head)
			sc->wait_tail = NULL;
		sc->bytes -= j->bytes;
		sc->in_hand_ms = j->queued_ms;
		uv_mutex_unlock(&sc->mu);

		j->next = NULL;
		j->status = w ? semantic_text_run(sc->cfg, w, &j->obs, &j->result) : VG_ENOMEM;

		uv_mutex_lock(&sc->mu);
		sc->depth--;
		sc->in_hand_ms = VG_NONE;
		if (sc->done_tail)
			sc->done_tail->next = j;
		else
			sc->done_head = j;
		sc->done_tail = j;
		uv_mutex_unlock(&sc->mu);
		uv_async_send(&sc->async);
	}
	semantic_worker_free(w);
}

static void emit_blind(struct sidecar *sc, int64_t now, size_t depth)
{
	if (!sc->opt.on_monitor)
		return;
	struct failure_event ev;
	if (semantic_blind_spot_event(&ev, 0, now, depth, sc->opt.capacity, sc->skipped) == 0)
		sc->opt.on_monitor(sc, &ev, sc->opt.data);
}

static void on_async(uv_async_t *h)
{
	struct sidecar *sc = h->data;
	uv_mutex_lock(&sc->mu);
	struct job *list = sc->done_head;
	sc->done_head = sc->done_tail = NULL;
	size_t depth = sc->depth;
	uv_mutex_unlock(&sc->mu);
	while (list) {
		struct job *j = list;
		list = j->next;
		if (!sc->stopping) {
			sc->completed++;
			sc->opt.on_result(sc, &j->obs, &j->result, j->status, sc->opt.data);
		}
		free(j);
	}
	if (sc->blind && depth == 0 && !sc->stopping) {
		sc->blind = false;
		if (sc->opt.on_monitor)
			sc->opt.on_monitor(sc, NULL, sc->opt.data);
	}
}

static void free_on_close(uv_handle_t *h)
{
	struct sidecar *sc = h->data;
	uv_cond_destroy(&sc->cv);
	uv_mutex_destroy(&sc->mu);
	free(sc);
}

int sidecar_start(uv_loop_t *loop, const struct semantic_text_cfg *cfg,
                  const struct sidecar_options *opt, struct sidecar **out)
{
	*out = NULL;
	if (!opt->on_result || opt->capacity == 0)
		return VG_EINVAL;
	struct sidecar *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return VG_ENOMEM;
	sc->in_hand_ms = VG_NONE;
	sc->loop = loop;
	sc->cfg = cfg;
	sc->opt = *opt;
	if (!sc->opt.max_bytes)
		sc->opt.max_bytes = (size_t)64 << 20;
	sc->last_event_ms = INT64_MIN;
	if (uv_mutex_init(&sc->mu))
		goto fail_mutex;
	if (uv_cond_init(&sc->cv))
		goto fail_cond;
	if (uv_async_init(loop, &sc->async, on_async))
		goto fail_async;
	sc->async.data = sc;
	if (uv_thread_create(&sc->thread, worker, sc))
		goto fail_thread;
	*out = sc;
	return 0;

fail_thread:
	/* The async handle is the loop's until closed: free in its callback. */
	uv_close((uv_handle_t *)&sc->async, free_on_close);
	return VG_ESTATE;
fail_async:
	uv_cond_destroy(&sc->cv);
fail_cond:
	uv_mutex_destroy(&sc->mu);
fail_mutex:
	free(sc);
	return VG_ESTATE;
}

int sidecar_submit(struct sidecar *sc, const struct observation *obs, int64_t now)
{
	if (sc->stopping)
		return VG_ESTATE;
	size_t tl = obs->text ? obs->text_len : 0;
	size_t cl = obs->context_text ? obs->context_len : 0;
	size_t el = obs->embedding ? obs->embedding_len * sizeof(float) : 0;
	size_t bytes = tl + cl + el + 2;

	uv_mutex_lock(&sc->mu);
	bool full = sc->depth >= sc->opt.capacity || sc->bytes + bytes > sc->opt.max_bytes;
	size_t depth = sc->depth;
	uv_mutex_unlock(&sc->mu);
	if (full) {
		sc->skipped++;
		if (!sc->blind || now - sc->last_event_ms >= sc->opt.event_interval_ms) {
			sc->blind = true;
			sc->last_event_ms = now;
			emit_blind(sc, now, depth);
		}
		return VG_EFULL;
	}

	/* Copy outside the lock: only the loop thread adds jobs, so the room
	 * checked above cannot be taken meanwhile. */
	struct job *j = malloc(sizeof(*j) + bytes);
	if (!j)
		return VG_ENOMEM;
	j->next = NULL;
	j->bytes = bytes;
	j->queued_ms = sc->opt.clock_ms ? sc->opt.clock_ms(sc->opt.data) : now;
	j->status = 0;
	j->obs = *obs;
	char *p = j->payload;
	if (el) {
		memcpy(p, obs->embedding, el); /* first: float alignment from malloc */
		j->obs.embedding = (const float *)(void *)p;
		p += el;
	}
	if (obs->text) {
		memcpy(p, obs->text, tl);
		p[tl] = '\0';
		j->obs.text = p;
		p += tl + 1;
	}
	if (obs->context_text) {
		memcpy(p, obs->context_text, cl);
		p[cl] = '\0';
		j->obs.context_text = p;
	}

	uv_mutex_lock(&sc->mu);
	if (sc->wait_tail)
		sc->wait_tail->next = j;
	else
		sc->wait_head = j;
	sc->wait_tail = j;
	sc->depth++;
	sc->bytes += bytes;
	uv_cond_signal(&sc->cv);
	uv_mutex_unlock(&sc->mu);
	sc->submitted++;
	return 0;
}

void sidecar_stats(struct sidecar *sc, struct sidecar_stats *st)
{
	uv_mutex_lock(&sc->mu);
	st->depth = sc->depth;
	st->bytes = sc->bytes;
	st->oldest_ms = vg_has(sc->in_hand_ms) ? sc->in_hand_ms
	                : sc->wait_head        ? sc->wait_head->queued_ms
	                                       : VG_NONE;
	uv_mutex_unlock(&sc->mu);
	st->capacity = sc->opt.capacity;
	st->submitted = sc->submitted;
	st->completed = sc->completed;
	st->skipped = sc->skipped;
	st->blind = sc->blind;
}

int64_t sidecar_watch(struct sidecar *sc, int64_t now)
{
	struct sidecar_stats st;
	sidecar_stats(sc, &st);
	if (!vg_has(st.oldest_ms) || sc->stopping)
		return -1;
	int64_t age = now > st.oldest_ms ? now - st.oldest_ms : 0;
	if (sc->opt.max_age_ms <= 0 || age < sc->opt.max_age_ms || !sc->opt.on_monitor)
		return age;
	if (sc->blind && now - sc->last_event_ms < sc->opt.event_interval_ms)
		return age;
	sc->blind = true;
	sc->last_event_ms = now;
	struct failure_event ev;
	if (semantic_blind_spot_event(&ev, 0, now, st.depth, sc->opt.capacity, sc->skipped) != 0)
		return age;
	ev.causal.value = (double)age / 1000.0;
	ev.causal.threshold = (double)sc->opt.max_age_ms / 1000.0;
	snprintf(ev.causal.detail, sizeof(ev.causal.detail),
	         "semantic monitoring blind spot: sidecar lagging, the oldest analysis has "
	         "waited %lld s (limit %lld s), %zu queued",
	         (long long)(age / 1000), (long long)(sc->opt.max_age_ms / 1000), st.depth);
	sc->opt.on_monitor(sc, &ev, sc->opt.data);
	return age;
}

void sidecar_hold(struct sidecar *sc, bool hold)
{
	uv_mutex_lock(&sc->mu);
	sc->hold = hold;
	uv_cond_signal(&sc->cv);
	uv_mutex_unlock(&sc->mu);
}

static void on_closed(uv_handle_t *h)
{
	struct sidecar *sc = h->data;
	void (*done)(void *) = sc->stopped;
	void *data = sc->stopped_data;
	free_list(sc->done_head);
	free_list(sc->wait_head);
	uv_cond_destroy(&sc->cv);
	uv_mutex_destroy(&sc->mu);
	free(sc);
	if (done)
		done(data);
}

void sidecar_stop(struct sidecar *sc, void (*done)(void *data), void *data)
{
	if (!sc)
		return;
	sc->stopping = true;
	sc->stopped = done;
	sc->stopped_data = data;
	uv_mutex_lock(&sc->mu);
	sc->stop = true;
	uv_cond_signal(&sc->cv);
	uv_mutex_unlock(&sc->mu);
	uv_thread_join(&sc->thread);
	uv_close((uv_handle_t *)&sc->async, on_closed);
}
