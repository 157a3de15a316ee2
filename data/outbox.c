/*
 * outbox.c: the outbox of outbox.h. Rows wait in one FIFO per (sink, dedup
 * key); the head of a queue is the only row of that key that may be in
 * flight. A single timer drives delivery: every change only "kicks" it, and
 * pump() (in the timer callback) starts what may start and re-arms the timer
 * for the earliest sink that is waiting out a backoff. Nothing is delivered
 * from inside outbox_enqueue().
 */
#include "data/outbox.h"

#include "core/vgerr.h"
#include "core/vgmem.h"
#include "data/metrics.h"
#include "net/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct keyq;

struct orow {
	struct outbox_row r;
	char *payload;
	int sink; /* index in sinks, -1 when unknown */
	bool durable;
	bool volatile_row; /* outbox_send_volatile(): in memory only, never persisted */
	struct orow *next;
	struct keyq *q;
};

struct keyq {
	int sink;
	char key[INCIDENT_KEY_MAX];
	char sink_name[VG_NAME_MAX];
	struct orow *head, *tail;
	bool busy;
	struct keyq *next;
};

struct sstate {
	int in_flight;
	int64_t paused_until;
	int failures;        /* consecutive 5xx / transport failures */
	int rate_limited;    /* consecutive 429s */
	int failed_attempts; /* consecutive, rows and re-sends (health) */
	int64_t failing_since;
	bool reported_down;
	int64_t pending;
};

struct attempt {
	struct outbox *ob;
	struct orow *row;
	uint64_t http_id;
	struct sink_scratch sc;
	struct attempt *next, *prev;
};

/* A row finished (delivered or dead) whose update may not be committed yet:
 * the store may still list it as pending, so it must not be adopted again. */
struct finished {
	int64_t id;
	uint64_t batch_no; /* the update batch it went into */
};

struct outbox {
	uv_loop_t *loop;
	struct sinks *sinks;
	struct http_client *http;
	struct outbox_options o;
	uv_timer_t timer;
	bool closing;
	int open_handles;
	/* store mode */
	struct store *store;
	uv_timer_t poll;
	int64_t poll_ms;
	bool query_out;
	uint64_t query_mark;     /* submitted_upto when the query in flight was asked */
	struct store_batch *upd; /* outcomes not submitted yet */
	uint64_t batch_no;       /* number of the batch `upd` is (or will be) */
	uint64_t submitted_upto; /* the highest batch number submitted */
	struct finished *fin;
	size_t n_fin, cap_fin;
	struct keyq *queues;
	struct sstate *ss;
	size_t n_sinks;
	struct attempt *attempts;
	int64_t next_id;
	struct outbox_stats st;
	int64_t next_volatile_id; /* volatile rows are numbered -1, -2, ... */
	int64_t volatile_pending;
};

static void log_stderr(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "%s\n", line);
}

void outbox_options_defaults(struct outbox_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_in_flight = 4;
	o->backoff_base_ms = 1000;
	o->backoff_max_ms = 300000;
	o->rate_limit_min_ms = 60000;
	o->unreachable_after_ms = 60000;
}

__attribute__((format(printf, 2, 3))) static void logf_(struct outbox *ob, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sinks_redact(ob->sinks, line);
	ob->o.log(ob->o.log_data, line);
}

static int64_t now_ms(struct outbox *ob)
{
	return ob->o.now_ms(ob->o.now_data);
}

static void set_pending_metric(struct outbox *ob, int sink)
{
	if (!ob->o.metrics.pending || sink < 0)
		return;
	const char *v[] = { sinks_info(ob->sinks, (size_t)sink)->name };
	metrics_set(ob->o.metrics.pending, v, (double)ob->ss[sink].pending);
}

int outbox_new(uv_loop_t *loop, struct sinks *sinks, struct http_client *http,
               const struct outbox_options *opt, struct outbox **out)
{
	struct outbox *ob = calloc(1, sizeof(*ob));
	if (!ob)
		return VG_ENOMEM;
	ob->loop = loop;
	ob->sinks = sinks;
	ob->http = http;
	if (opt)
		ob->o = *opt;
	else
		outbox_options_defaults(&ob->o);
	if (!ob->o.now_ms)
		ob->o.now_ms = clock_wall_ms_hook;
	if (!ob->o.log)
		ob->o.log = log_stderr;
	if (ob->o.max_in_flight < 1)
		ob->o.max_in_flight = 1;
	ob->n_sinks = sinks_count(sinks);
	ob->ss = calloc(ob->n_sinks ? ob->n_sinks : 1, sizeof(*ob->ss));
	if (!ob->ss) {
		free(ob);
		return VG_ENOMEM;
	}
	ob->next_id = 1;
	ob->batch_no = 1;
	uv_timer_init(loop, &ob->timer);
	ob->timer.data = ob;
	ob->open_handles = 1;
	for (size_t i = 0; i < ob->n_sinks; i++)
		set_pending_metric(ob, (int)i);
	*out = ob;
	return 0;
}

void outbox_set_next_id(struct outbox *ob, int64_t next_id)
{
	if (next_id > ob->next_id)
		ob->next_id = next_id;
}

static void free_row(struct orow *r)
{
	free(r->payload);
	free(r);
}

static void maybe_free(struct outbox *ob)
{
	if (ob->open_handles || ob->query_out)
		return;
	store_batch_free(ob->upd);
	free(ob->fin);
	for (struct keyq *q = ob->queues, *qn; q; q = qn) {
		qn = q->next;
		for (struct orow *r = q->head, *rn; r; r = rn) {
			rn = r->next;
			free_row(r);
		}
		free(q);
	}
	free(ob->ss);
	free(ob);
}

static void on_closed(uv_handle_t *h)
{
	struct outbox *ob = h->data;
	ob->open_handles--;
	maybe_free(ob);
}

static void submit_updates(struct outbox *ob);

void outbox_close(struct outbox *ob)
{
	if (!ob || ob->closing)
		return;
	while (ob->attempts)
		http_cancel(ob->http, ob->attempts->http_id);
	submit_updates(ob); /* what was decided reaches the store */
	ob->closing = true;
	uv_timer_stop(&ob->timer);
	uv_close((uv_handle_t *)&ob->timer, on_closed);
	if (ob->store) {
		uv_timer_stop(&ob->poll);
		uv_close((uv_handle_t *)&ob->poll, on_closed);
	}
}

static void on_timer(uv_timer_t *t);

static void kick(struct outbox *ob)
{
	if (!ob->closing)
		uv_timer_start(&ob->timer, on_timer, 0, 0);
}

static struct keyq *queue_for(struct outbox *ob, const char *sink, int sink_idx, const char *key)
{
	struct keyq **tail = &ob->queues;
	for (struct keyq *q = ob->queues; q; q = q->next) {
		if (strcmp(q->key, key) == 0 && strcmp(q->sink_name, sink) == 0)
			return q;
		tail = &q->next;
	}
	struct keyq *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->sink = sink_idx;
	model_copy_str(q->key, sizeof(q->key), key, (size_t)-1);
	model_copy_str(q->sink_name, sizeof(q->sink_name), sink, (size_t)-1);
	*tail = q;
	return q;
}

/* Insert in id order (loaded rows may come in any order). */
static void queue_insert(struct keyq *q, struct orow *r)
{
	r->q = q;
	if (!q->tail || q->tail->r.id < r->r.id) {
		if (q->tail)
			q->tail->next = r;
		else
			q->head = r;
		q->tail = r;
		return;
	}
	struct orow **pp = &q->head;
	/* never in front of a head in flight */
	if (q->busy)
		pp = &q->head->next;
	while (*pp && (*pp)->r.id < r->r.id)
		pp = &(*pp)->next;
	r->next = *pp;
	*pp = r;
	if (!r->next)
		q->tail = r;
}

static struct orow *new_row(struct outbox *ob, const char *sink, const char *key, const char *idem,
                            const char *payload)
{
	struct orow *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->payload = strdup(payload ? payload : "");
	if (!r->payload) {
		free(r);
		return NULL;
	}
	r->r.payload = r->payload;
	model_copy_str(r->r.sink, sizeof(r->r.sink), sink, (size_t)-1);
	model_copy_str(r->r.dedup_key, sizeof(r->r.dedup_key), key, (size_t)-1);
	model_copy_str(r->r.idem_key, sizeof(r->r.idem_key), idem ? idem : "", (size_t)-1);
	r->sink = sinks_find(ob->sinks, sink);
	return r;
}

int outbox_enqueue(struct outbox *ob, const struct notification *n, int64_t *id)
{
	if (ob->store)
		return VG_ESTATE; /* rows come from the store */
	int idx = sinks_find(ob->sinks, n->sink);
	if (idx < 0) {
		logf_(ob,
		      "outbox: no sink named '%s' is configured; notification for incident "
		      "%lld dropped",
		      n->sink, (long long)n->incident_id);
		return VG_ENOTFOUND;
	}
	struct orow *r = new_row(ob, n->sink, n->dedup_key, n->idem_key, n->payload);
	struct keyq *q = r ? queue_for(ob, n->sink, idx, n->dedup_key) : NULL;
	if (!q) {
		if (r)
			free_row(r);
		return VG_ENOMEM;
	}
	int64_t now = now_ms(ob);
	r->r.id = ob->next_id++;
	r->r.sequence = r->r.id;
	r->r.state = OUTBOX_PENDING;
	r->r.created_ms = now;
	r->r.next_attempt_ms = now;
	queue_insert(q, r);
	ob->st.enqueued++;
	ob->st.pending++;
	ob->ss[idx].pending++;
	set_pending_metric(ob, idx);
	if (ob->o.persist.insert) {
		ob->o.persist.insert(ob->o.persist.data, &r->r);
	} else {
		r->durable = true;
	}
	if (id)
		*id = r->r.id;
	kick(ob);
	return 0;
}

int outbox_send_volatile(struct outbox *ob, const struct notification *n)
{
	int idx = sinks_find(ob->sinks, n->sink);
	if (idx < 0)
		return VG_ENOTFOUND;
	struct orow *r = new_row(ob, n->sink, n->dedup_key, n->idem_key, n->payload);
	struct keyq *q = r ? queue_for(ob, n->sink, idx, n->dedup_key) : NULL;
	if (!q) {
		if (r)
			free_row(r);
		return VG_ENOMEM;
	}
	int64_t now = now_ms(ob);
	r->r.id = --ob->next_volatile_id;
	r->r.sequence = r->r.id;
	r->r.state = OUTBOX_PENDING;
	r->r.created_ms = r->r.next_attempt_ms = now;
	r->durable = true;
	r->volatile_row = true;
	/* after what is queued for its key (queue_insert() orders by id, and
	 * this id is negative) */
	r->q = q;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	ob->st.enqueued++;
	ob->st.pending++;
	ob->ss[idx].pending++;
	ob->volatile_pending++;
	set_pending_metric(ob, idx);
	kick(ob);
	return 0;
}

int64_t outbox_volatile_pending(const struct outbox *ob)
{
	return ob->volatile_pending;
}

static struct orow *find_row(const struct outbox *ob, int64_t id)
{
	for (struct keyq *q = ob->queues; q; q = q->next)
		for (struct orow *r = q->head; r; r = r->next)
			if (r->r.id == id)
				return r;
	return NULL;
}

static bool finished(const struct outbox *ob, int64_t id)
{
	for (size_t i = 0; i < ob->n_fin; i++)
		if (ob->fin[i].id == id)
			return true;
	return false;
}

void outbox_durable(struct outbox *ob, int64_t id)
{
	struct orow *r = find_row(ob, id);
	if (r) {
		r->durable = true;
		kick(ob);
	}
}

int outbox_load(struct outbox *ob, const struct outbox_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct outbox_row *in = &rows[i];
		if (in->state != OUTBOX_PENDING || finished(ob, in->id) || find_row(ob, in->id))
			continue;
		struct orow *r = new_row(ob, in->sink, in->dedup_key, in->idem_key, in->payload);
		struct keyq *q = r ? queue_for(ob, in->sink, r->sink, in->dedup_key) : NULL;
		if (!q) {
			if (r)
				free_row(r);
			return VG_ENOMEM;
		}
		r->r = *in;
		r->r.payload = r->payload;
		r->durable = true;
		queue_insert(q, r);
		if (in->id >= ob->next_id)
			ob->next_id = in->id + 1;
		ob->st.pending++;
		if (r->sink < 0)
			logf_(ob,
			      "outbox: row %lld is for sink '%s', which is not configured; kept, "
			      "not delivered",
			      (long long)in->id, in->sink);
		else {
			ob->ss[r->sink].pending++;
			set_pending_metric(ob, r->sink);
		}
	}
	kick(ob);
	return 0;
}

void outbox_stats(const struct outbox *ob, struct outbox_stats *out)
{
	*out = ob->st;
}

int64_t outbox_pending(const struct outbox *ob, const char *sink)
{
	int idx = sinks_find(ob->sinks, sink);
	return idx < 0 ? 0 : ob->ss[idx].pending;
}

/* ---- delivery ------------------------------------------------------------------ */

static void count(struct outbox *ob, int sink, const char *result)
{
	if (!ob->o.metrics.deliveries)
		return;
	const char *v[] = { sinks_info(ob->sinks, (size_t)sink)->name, result };
	metrics_inc(ob->o.metrics.deliveries, v);
}

static void set_up(struct outbox *ob, int sink, bool up)
{
	if (!ob->o.metrics.up)
		return;
	const char *v[] = { sinks_info(ob->sinks, (size_t)sink)->name };
	metrics_set(ob->o.metrics.up, v, up ? 1 : 0);
}

/* An attempt got an answer that says the sink is there (2xx, 4xx, 429). */
static void health_ok(struct outbox *ob, int sink)
{
	struct sstate *s = &ob->ss[sink];
	const char *name = sinks_info(ob->sinks, (size_t)sink)->name;
	if (s->reported_down) {
		logf_(ob, "sink %s: delivering again", name);
		if (ob->o.on_health)
			ob->o.on_health(ob->o.health_data, name, true, "delivering again");
	}
	s->failed_attempts = 0;
	s->failing_since = 0;
	s->reported_down = false;
	set_up(ob, sink, true);
}

/* An attempt failed (5xx, 408, no answer): the sink is not up. */
static void health_fail(struct outbox *ob, int sink, int64_t now)
{
	struct sstate *s = &ob->ss[sink];
	s->failed_attempts++;
	if (!s->failing_since)
		s->failing_since = now;
	set_up(ob, sink, false);
}

/* Failing for unreachable_after_ms with at least 3 failed attempts (rows'
 * and re-sends' alike): reported down once. */
static void health_check_down(struct outbox *ob, int sink, int64_t now)
{
	struct sstate *s = &ob->ss[sink];
	if (s->reported_down || !s->failing_since || s->failed_attempts < 3 ||
	    now - s->failing_since < ob->o.unreachable_after_ms)
		return;
	s->reported_down = true;
	const char *name = sinks_info(ob->sinks, (size_t)sink)->name;
	char detail[160];
	snprintf(detail, sizeof(detail), "%d failed attempts in %lld s, %lld waiting",
	         s->failed_attempts, (long long)((now - s->failing_since) / 1000),
	         (long long)s->pending);
	logf_(ob, "sink %s: unreachable: %s", name, detail);
	if (ob->o.on_health)
		ob->o.on_health(ob->o.health_data, name, false, detail);
}

void outbox_note_attempt(struct outbox *ob, size_t sink, const struct http_response *resp)
{
	if (sink >= ob->n_sinks || ob->closing)
		return;
	int64_t now = now_ms(ob);
	int64_t ra;
	enum sink_verdict v = sinks_verdict(resp, now, &ra);
	count(ob, (int)sink, sinks_verdict_name(v));
	if (v == SINK_RETRY && resp->status == 429) {
		set_up(ob, (int)sink, true);
	} else if (v == SINK_RETRY) {
		health_fail(ob, (int)sink, now);
		health_check_down(ob, (int)sink, now);
	} else {
		health_ok(ob, (int)sink);
	}
}

void outbox_resend_hook(void *outbox, size_t i, const struct http_response *resp)
{
	outbox_note_attempt(outbox, i, resp);
}

/* Hand the open update batch to the store (kept when the queue is full). */
static void submit_updates(struct outbox *ob)
{
	if (!ob->upd || !ob->store)
		return;
	int rc = store_submit(ob->store, ob->upd);
	if (rc == VG_EFULL)
		return; /* the next poll tries again */
	if (rc) {
		logf_(ob,
		      "outbox: the store refused delivery outcomes (%s); rows may be "
		      "delivered again after a restart",
		      vg_strerror(rc));
		store_batch_free(ob->upd);
	}
	ob->upd = NULL;
	ob->submitted_upto = ob->batch_no++;
}

/* A row's new state to the hooks or the store. `done`: it leaves memory. */
static void persist_update(struct outbox *ob, struct orow *r, bool done)
{
	if (r->volatile_row) {
		if (done)
			ob->volatile_pending--;
		return;
	}
	if (ob->o.persist.update)
		ob->o.persist.update(ob->o.persist.data, &r->r);
	if (!ob->store)
		return;
	if (!ob->upd)
		ob->upd = store_batch_new(NULL, NULL);
	struct store_outbox_update u = { .id = r->r.id,
		                         .state = r->r.state,
		                         .attempts = r->r.attempts,
		                         .next_attempt_ms = r->r.next_attempt_ms,
		                         .delivered_ms = r->r.delivered_ms };
	if (!ob->upd || store_batch_add_outbox_update(ob->upd, &u)) {
		logf_(ob, "outbox: out of memory recording the outcome of row %lld",
		      (long long)r->r.id);
		return;
	}
	if (done &&
	    vg_grow((void **)&ob->fin, &ob->cap_fin, ob->n_fin + 1, sizeof(*ob->fin), 16) == 0)
		ob->fin[ob->n_fin++] = (struct finished){ r->r.id, ob->batch_no };
	submit_updates(ob);
}

/* The head of its queue is done (delivered or dead): take it out. */
static void finish_row(struct outbox *ob, struct orow *r)
{
	struct keyq *q = r->q;
	q->head = r->next;
	if (!q->head)
		q->tail = NULL;
	q->busy = false;
	ob->st.pending--;
	ob->ss[r->sink].pending--;
	set_pending_metric(ob, r->sink);
	persist_update(ob, r, true);
	free_row(r);
	if (!q->head) {
		struct keyq **pp = &ob->queues;
		while (*pp != q)
			pp = &(*pp)->next;
		*pp = q->next;
		free(q);
	}
}

static int64_t backoff(int64_t base, int n, int64_t cap)
{
	int64_t w = base;
	for (int i = 1; i < n && w < cap; i++)
		w *= 2;
	return w < cap ? w : cap;
}

/* One line of a sink's answer for the log: the start of the body, printable. */
static void excerpt(const struct http_response *r, char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < r->body_len && n + 1 < size && n < 200; i++) {
		unsigned char c = (unsigned char)r->body[i];
		buf[n++] = c >= 32 && c < 127 ? (char)c : ' ';
	}
	buf[n] = '\0';
}

static void on_delivered(void *data, const struct http_response *resp)
{
	struct attempt *a = data;
	struct outbox *ob = a->ob;
	struct orow *r = a->row;
	sinks_request_done(&a->sc);
	if (a->prev)
		a->prev->next = a->next;
	else
		ob->attempts = a->next;
	if (a->next)
		a->next->prev = a->prev;
	free(a);
	struct sstate *s = &ob->ss[r->sink];
	s->in_flight--;
	ob->st.in_flight--;
	if (ob->closing || resp->err == VG_ESTATE) {
		/* cancelled: the row stays pending, and is delivered after a restart */
		r->q->busy = false;
		return;
	}
	const struct sink_info *si = sinks_info(ob->sinks, (size_t)r->sink);
	int64_t now = now_ms(ob);
	int64_t ra;
	enum sink_verdict v = sinks_verdict(resp, now, &ra);
	r->r.attempts++;
	char body[256];
	excerpt(resp, body, sizeof(body));
	count(ob, r->sink, sinks_verdict_name(v));
	if (v == SINK_DELIVERED) {
		s->failures = s->rate_limited = 0;
		health_ok(ob, r->sink);
		r->r.state = OUTBOX_DELIVERED;
		r->r.delivered_ms = now;
		ob->st.delivered++;
		if (si->kind == SINK_ALERTMANAGER)
			sinks_alertmanager_delivered(ob->sinks, (size_t)r->sink, r->payload, now);
		finish_row(ob, r);
	} else if (v == SINK_REJECTED) {
		health_ok(ob, r->sink);
		logf_(ob,
		      "sink %s: rejected notification %lld (key %s) with HTTP %d, not retried: %s",
		      si->name, (long long)r->r.id, r->r.dedup_key, (int)resp->status, body);
		r->r.state = OUTBOX_DEAD;
		ob->st.rejected++;
		finish_row(ob, r);
	} else {
		int64_t wait;
		ob->st.retries++;
		if (resp->status == 429) {
			s->rate_limited++;
			wait = backoff(ob->o.rate_limit_min_ms, s->rate_limited,
			               ob->o.backoff_max_ms > ob->o.rate_limit_min_ms
			                       ? ob->o.backoff_max_ms
			                       : ob->o.rate_limit_min_ms);
			set_up(ob, r->sink, true); /* there, but busy: not a recovery */
		} else {
			s->failures++;
			wait = backoff(ob->o.backoff_base_ms, s->failures, ob->o.backoff_max_ms);
			health_fail(ob, r->sink, now);
		}
		if (ra > wait)
			wait = ra;
		s->paused_until = now + wait;
		r->r.next_attempt_ms = s->paused_until;
		r->q->busy = false;
		if (resp->err)
			logf_(ob, "sink %s: notification %lld: %s (%s); retry in %lld ms", si->name,
			      (long long)r->r.id, resp->error,
			      model_transport_error_name(resp->transport), (long long)wait);
		else
			logf_(ob, "sink %s: notification %lld: HTTP %d; retry in %lld ms: %s",
			      si->name, (long long)r->r.id, (int)resp->status, (long long)wait,
			      body);
		persist_update(ob, r, false);
		health_check_down(ob, r->sink, now);
	}
	kick(ob);
}

static void start(struct outbox *ob, struct orow *r)
{
	struct attempt *a = calloc(1, sizeof(*a));
	if (!a)
		return;
	a->ob = ob;
	a->row = r;
	struct http_request req;
	/* a row from before schema 3 has no key: one stable for the row */
	if (!r->r.idem_key[0])
		snprintf(r->r.idem_key, sizeof(r->r.idem_key), "%s/%s/outbox-%lld", r->r.dedup_key,
		         r->r.sink, (long long)r->r.id);
	int rc = sinks_request(ob->sinks, (size_t)r->sink, r->payload, r->r.idem_key, &req, &a->sc);
	if (rc == VG_EINVAL) {
		free(a);
		const struct sink_info *si = sinks_info(ob->sinks, (size_t)r->sink);
		logf_(ob,
		      "sink %s: notification %lld cannot be sent (payload is not what the "
		      "sink takes); marked dead",
		      si->name, (long long)r->r.id);
		r->r.state = OUTBOX_DEAD;
		ob->st.rejected++;
		count(ob, r->sink, "rejected");
		finish_row(ob, r);
		return;
	}
	if (rc || http_request(ob->http, &req, on_delivered, a, &a->http_id)) {
		sinks_request_done(&a->sc);
		free(a);
		return; /* out of memory: the next pump tries again */
	}
	r->q->busy = true;
	ob->ss[r->sink].in_flight++;
	ob->st.in_flight++;
	a->next = ob->attempts;
	if (ob->attempts)
		ob->attempts->prev = a;
	ob->attempts = a;
}

static void pump(struct outbox *ob)
{
	int64_t now = now_ms(ob);
	int64_t wake = INT64_MAX;
	for (struct keyq *q = ob->queues, *qn; q; q = qn) {
		qn = q->next; /* start() may free q (a dead payload) */
		struct orow *r = q->head;
		if (!r || q->busy || !r->durable || q->sink < 0)
			continue;
		struct sstate *s = &ob->ss[q->sink];
		if (s->paused_until > now) {
			if (s->paused_until < wake)
				wake = s->paused_until;
			continue;
		}
		/* After failures, one attempt at a time until one gets through. */
		int limit = s->failures || s->rate_limited ? 1 : ob->o.max_in_flight;
		if (s->in_flight >= limit)
			continue;
		start(ob, r);
	}
	if (wake != INT64_MAX && !ob->closing)
		uv_timer_start(&ob->timer, on_timer, (uint64_t)(wake - now), 0);
}

static void on_timer(uv_timer_t *t)
{
	pump(t->data);
}

/* ---- store mode ------------------------------------------------------------------ */

static bool in_answer(const struct store_answer *a, int64_t id)
{
	for (size_t i = 0; i < a->n_outbox; i++)
		if (a->outbox[i].id == id)
			return true;
	return false;
}

static void on_answer(void *data, const struct store_answer *a)
{
	struct outbox *ob = data;
	ob->query_out = false;
	if (ob->closing) {
		maybe_free(ob);
		return;
	}
	if (a->err) {
		logf_(ob, "outbox: reading pending rows from the store failed (%s)",
		      vg_strerror(a->err));
		return;
	}
	/* Finished rows whose outcome was committed before the query: forget. */
	size_t w = 0;
	for (size_t i = 0; i < ob->n_fin; i++) {
		struct finished *f = &ob->fin[i];
		if (f->batch_no <= ob->query_mark && !in_answer(a, f->id))
			continue;
		ob->fin[w++] = *f;
	}
	ob->n_fin = w;
	for (size_t i = 0; i < a->n_outbox; i++) {
		const struct store_outbox *so = &a->outbox[i];
		struct outbox_row row;
		memset(&row, 0, sizeof(row));
		row.id = so->id;
		model_copy_str(row.sink, sizeof(row.sink), so->sink, (size_t)-1);
		model_copy_str(row.dedup_key, sizeof(row.dedup_key), so->dedup_key, (size_t)-1);
		model_copy_str(row.idem_key, sizeof(row.idem_key), so->idem_key, (size_t)-1);
		row.sequence = so->sequence;
		row.payload = so->payload_json;
		row.state = so->state;
		row.attempts = so->attempts;
		row.next_attempt_ms = so->next_attempt_ms;
		row.created_ms = so->created_ms;
		row.delivered_ms = so->delivered_ms;
		if (outbox_load(ob, &row, 1))
			logf_(ob, "outbox: out of memory adopting row %lld", (long long)so->id);
	}
}

static void poll_store(struct outbox *ob)
{
	submit_updates(ob);
	if (ob->query_out || ob->closing)
		return;
	ob->query_mark = ob->submitted_upto;
	if (store_query(ob->store, STORE_Q_OUTBOX_PENDING, on_answer, ob) == 0)
		ob->query_out = true;
}

static void on_poll(uv_timer_t *t)
{
	poll_store(t->data);
}

int outbox_attach_store(struct outbox *ob, struct store *store, int64_t poll_ms)
{
	if (ob->store)
		return VG_ESTATE;
	ob->store = store;
	ob->poll_ms = poll_ms > 0 ? poll_ms : 500;
	uv_timer_init(ob->loop, &ob->poll);
	ob->poll.data = ob;
	ob->open_handles++;
	uv_timer_start(&ob->poll, on_poll, 0, (uint64_t)ob->poll_ms);
	return 0;
}
