/*
 * console_reader.c: the console's database thread (see console_reader.h).
 * A mutex and a condition variable guard a tiny mailbox: the wanted build
 * (time, detail) and a ring of actions. The thread builds into its own
 * snapshot buffer and the loop copies it out in the async callback, while
 * the thread waits for the next request.
 */
#include "tui/console_reader.h"

#include "core/vgerr.h"
#include "data/console_act.h"
#include "data/console_read.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ACTIONS 64

struct done_action {
	struct op_action a;
	int err;
	char cause[160];
};

/* An action written, waiting for the daemon (thread only), or decided. */
struct sent_action {
	int64_t id;
	struct op_action a; /* kind, incident, by (no note, no payload) */
	bool refused;
	char text[STORE_OUTCOME_MAX];
};

struct console_reader {
	uv_async_t async;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct console_read *db;
	struct console_act *writer;
	char *read_only; /* why there is no writer, when one was asked for */
	struct console_reader_opts o;
	/* mailbox (under mu) */
	bool want_build, building, stop;
	int64_t want_now, want_detail;
	struct op_action todo[MAX_ACTIONS];
	int64_t todo_now[MAX_ACTIONS];
	int n_todo;
	struct done_action done[MAX_ACTIONS];
	int n_done;
	struct sent_action decided[MAX_ACTIONS];
	int n_decided;
	/* the thread's own: written, not yet taken by the daemon */
	struct sent_action sent[MAX_ACTIONS];
	int n_sent;
	/* results (under mu) */
	struct snapshot *built;     /* thread's buffer */
	struct snapshot *ready;     /* the latest built one */
	struct snapshot *loop_copy; /* the loop's copy, read without the lock */
	bool have_ready;
	int ready_err;
	char ready_cause[200];
};

/* The row for the operator_actions table: the wizard's path goes as its
 * JSON, other actions carry their note. */
static int write_action(struct console_act *w, const struct op_action *a, int64_t now_ms,
                        int64_t *id, char **cause)
{
	struct store_operator_action row = {
		.incident_id = a->incident_id,
		.review_id = a->review_id,
		.time_ms = now_ms,
	};
	if ((unsigned)a->kind >= ACTION__COUNT) {
		if (cause)
			*cause = strdup("unknown operator action");
		return VG_EINVAL;
	}
	row.action = a->kind;
	snprintf(row.actor, sizeof(row.actor), "%s", a->by);
	row.note = a->kind == ACTION_TRIAGE && a->payload ? a->payload : a->note;
	return console_act_write(w, &row, id, cause);
}

/* The thread, holding mu: look up the actions sent and not decided yet
 * (without the lock), and hand the decided ones to the loop. */
static void check_outcomes(struct console_reader *r)
{
	if (!r->writer || r->n_sent == 0)
		return;
	pthread_mutex_unlock(&r->mu);
	int w = 0, found = 0;
	struct sent_action got[MAX_ACTIONS];
	for (int i = 0; i < r->n_sent; i++) {
		struct console_act_outcome o;
		int rc = console_act_outcome(r->writer, r->sent[i].id, &o, NULL);
		if (rc == 0 && !o.decided) {
			r->sent[w++] = r->sent[i];
			continue;
		}
		got[found] = r->sent[i];
		got[found].refused = rc == 0 ? o.refused : false;
		snprintf(got[found].text, sizeof(got[found].text), "%s",
		         rc == 0 ? o.text : "its outcome is unknown (pruned)");
		found++;
	}
	r->n_sent = w;
	pthread_mutex_lock(&r->mu);
	for (int i = 0; i < found && r->n_decided < MAX_ACTIONS; i++)
		r->decided[r->n_decided++] = got[i];
	if (found)
		uv_async_send(&r->async);
}

static void on_closed(uv_handle_t *h);

static void *run(void *arg)
{
	struct console_reader *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stop && !r->want_build && r->n_todo == 0)
			pthread_cond_wait(&r->cv, &r->mu);
		/* Actions first: the next snapshot should show them pending. */
		while (r->n_todo > 0) {
			struct op_action a = r->todo[0];
			int64_t now = r->todo_now[0];
			memmove(&r->todo[0], &r->todo[1],
			        (size_t)(r->n_todo - 1) * sizeof(r->todo[0]));
			memmove(&r->todo_now[0], &r->todo_now[1],
			        (size_t)(r->n_todo - 1) * sizeof(r->todo_now[0]));
			r->n_todo--;
			pthread_mutex_unlock(&r->mu);
			char *cause = NULL;
			int64_t id = 0;
			int err = write_action(r->writer, &a, now, &id, &cause);
			if (err == 0 && r->n_sent < MAX_ACTIONS) {
				struct sent_action *s = &r->sent[r->n_sent++];
				memset(s, 0, sizeof(*s));
				s->id = id;
				s->a.kind = a.kind;
				s->a.incident_id = a.incident_id;
				memcpy(s->a.by, a.by, sizeof(s->a.by));
			}
			pthread_mutex_lock(&r->mu);
			if (r->n_done < MAX_ACTIONS) {
				struct done_action *d = &r->done[r->n_done++];
				d->a = a;
				d->err = err;
				snprintf(d->cause, sizeof(d->cause), "%s", cause ? cause : "");
			} else {
				op_action_done(&a);
			}
			free(cause);
			uv_async_send(&r->async);
		}
		if (r->stop)
			break;
		if (!r->want_build)
			continue;
		int64_t now = r->want_now, detail = r->want_detail;
		r->want_build = false;
		r->building = true;
		pthread_mutex_unlock(&r->mu);
		char *cause = NULL;
		int err = console_read_build(r->db, r->built, now, detail, &cause);
		pthread_mutex_lock(&r->mu);
		r->building = false;
		struct snapshot *t = r->ready;
		r->ready = r->built;
		r->built = t;
		r->have_ready = true;
		r->ready_err = err;
		snprintf(r->ready_cause, sizeof(r->ready_cause), "%s", cause ? cause : "");
		free(cause);
		uv_async_send(&r->async);
		check_outcomes(r);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void on_async(uv_async_t *h)
{
	struct console_reader *r = h->data;
	struct done_action done[MAX_ACTIONS];
	int n_done;
	pthread_mutex_lock(&r->mu);
	n_done = r->n_done;
	memcpy(done, r->done, (size_t)n_done * sizeof(done[0]));
	r->n_done = 0;
	struct sent_action decided[MAX_ACTIONS];
	int n_decided = r->n_decided;
	memcpy(decided, r->decided, (size_t)n_decided * sizeof(decided[0]));
	r->n_decided = 0;
	bool have = r->have_ready;
	r->have_ready = false;
	int err = r->ready_err;
	char cause[200];
	snprintf(cause, sizeof(cause), "%s", r->ready_cause);
	/* The thread swaps buffers only under the lock: copy, then call back
	 * without it (the callback may ask for the next build). */
	if (have)
		memcpy(r->loop_copy, r->ready, sizeof(*r->loop_copy));
	pthread_mutex_unlock(&r->mu);
	if (have && r->o.on_snapshot)
		r->o.on_snapshot(r->o.ud, r->loop_copy, err, err ? cause : NULL);
	for (int i = 0; i < n_done; i++) {
		if (r->o.on_action)
			r->o.on_action(r->o.ud, &done[i].a, done[i].err,
			               done[i].err ? done[i].cause : NULL);
		op_action_done(&done[i].a);
	}
	for (int i = 0; i < n_decided && r->o.on_outcome; i++)
		r->o.on_outcome(r->o.ud, &decided[i].a, decided[i].refused, decided[i].text);
}

int console_reader_start(uv_loop_t *loop, const struct console_reader_opts *o,
                         struct console_reader **out, char **cause)
{
	*out = NULL;
	struct console_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->built = snapshot_new()) || !(r->ready = snapshot_new()) ||
	    !(r->loop_copy = snapshot_new())) {
		if (r) {
			snapshot_free(r->built);
			snapshot_free(r->ready);
			free(r);
		}
		return VG_ENOMEM;
	}
	r->o = *o;
	int rc = console_read_open(o->db_path, &r->db, cause);
	if (rc == 0 && o->baselines)
		console_read_set_baselines(r->db, o->baselines);
	r->o.baselines = NULL; /* copied: the caller's may go */
	if (rc == 0 && o->writer) {
		char *why = NULL;
		rc = console_act_open(o->db_path, &r->writer, &why);
		if (rc == VG_ESTATE) {
			/* No write access: look without acting. */
			r->read_only = why ? why : strdup("this user cannot write the database");
			rc = r->read_only ? 0 : VG_ENOMEM;
		} else if (rc != 0 && cause) {
			*cause = why;
		} else {
			free(why);
		}
	}
	if (rc != 0) {
		console_read_close(r->db);
		snapshot_free(r->built);
		snapshot_free(r->ready);
		snapshot_free(r->loop_copy);
		free(r);
		return rc;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	uv_async_init(loop, &r->async, on_async);
	r->async.data = r;
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		if (cause)
			*cause = strdup("cannot start the console's reader thread");
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		console_read_close(r->db);
		console_act_close(r->writer);
		/* Freed in the close callback, after the loop's next turn. */
		uv_close((uv_handle_t *)&r->async, on_closed);
		return VG_ENOMEM;
	}
	*out = r;
	return 0;
}

void console_reader_request(struct console_reader *r, int64_t now_ms, int64_t detail_id)
{
	pthread_mutex_lock(&r->mu);
	r->want_build = true;
	r->want_now = now_ms;
	r->want_detail = detail_id;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

int console_reader_write(struct console_reader *r, const struct op_action *a, int64_t now_ms)
{
	if (!r->writer)
		return VG_ESTATE;
	pthread_mutex_lock(&r->mu);
	if (r->n_todo >= MAX_ACTIONS) {
		pthread_mutex_unlock(&r->mu);
		return VG_EFULL;
	}
	struct op_action *t = &r->todo[r->n_todo];
	*t = *a;
	t->payload = a->payload ? strdup(a->payload) : NULL;
	if (a->payload && !t->payload) {
		pthread_mutex_unlock(&r->mu);
		return VG_ENOMEM;
	}
	r->todo_now[r->n_todo++] = now_ms;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

const char *console_reader_read_only(const struct console_reader *r)
{
	return r->read_only;
}

static void on_closed(uv_handle_t *h)
{
	struct console_reader *r = h->data;
	free(r->read_only);
	snapshot_free(r->built);
	snapshot_free(r->ready);
	snapshot_free(r->loop_copy);
	free(r);
}

void console_reader_stop(struct console_reader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	/* Answers that came in while stopping are dropped with their payloads. */
	for (int i = 0; i < r->n_done; i++)
		op_action_done(&r->done[i].a);
	r->n_done = 0;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	console_read_close(r->db);
	console_act_close(r->writer);
	uv_close((uv_handle_t *)&r->async, on_closed);
}
