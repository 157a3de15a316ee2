/*
 * store.c: the store thread. It owns the SQLite write connection from
 * store_open() to store_close(): applies queued batches with prepared
 * statements inside transactions committed every N rows or T ms, keeps the
 * per-minute rollups in memory until each commit, answers queries, prunes
 * old rows in short transactions when idle, and reports back to the loop
 * thread with uv_async_send().
 *
 * Queue items are struct store_batch of four kinds (rows, flush, query,
 * stop), applied strictly in order. After a batch is applied its rows are
 * freed at once; the header waits in the open transaction until the commit
 * and then goes to the done list, which the loop drains in its async
 * callback (running the batch's callback and freeing it there).
 */
#include "data/store.h"

#include "core/vgerr.h"
#include "data/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- names ----------------------------------------------------------------------- */

static const char *const outbox_state_names[OUTBOX__COUNT] = { "pending", "delivered", "dead" };

static int parse_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++) {
		if (strcmp(names[i], s) == 0)
			return i;
	}
	return -1;
}

const char *store_outbox_state_name(enum outbox_state s)
{
	return (unsigned)s < OUTBOX__COUNT ? outbox_state_names[s] : "unknown";
}

int store_outbox_state_parse(const char *s)
{
	return parse_name(outbox_state_names, OUTBOX__COUNT, s);
}

/* ---- batches ------------------------------------------------------------------------ */

/* An observation as stored: the columns of the observations table. Its
 * strings live in the batch's string arena (offsets into b->ostr), so a
 * queued row takes what its strings need rather than the fixed buffers of
 * struct observation (a batch waits in the queue: this is most of its size). */
enum { OS_REQUEST_ID, OS_PROVIDER, OS_MODEL, OS_REGION, OS_KEY_ALIAS, OS_TEMPLATE, OS__COUNT };
struct obs_row {
	int64_t ts_ms;
	int32_t attempt, http_status, retry_count;
	int8_t source, traffic, selection, transport, err_class, finish;
	double dns, connect, tls, ttfb, total, cost;
	int64_t body_bytes, in_tok, out_tok, cached, predicted;
	uint32_t str[OS__COUNT];
};

/* A failure event with its JSON detail, built when it is added (on the
 * producer's thread, which has more room than the store thread). */
struct ev_row {
	struct failure_event ev;
	char *detail;
};

struct inc_row {
	struct store_incident r;
	bool stale; /* detail_json is behind the columns */
};

struct qrow {
	struct store_quarantine q;
	unsigned char head[256];
};

struct arr {
	void *v;
	size_t n, cap;
};

enum item_kind { ITEM_ROWS, ITEM_FLUSH, ITEM_QUERY, ITEM_STOP };

struct store_batch {
	enum item_kind kind;
	store_commit_cb cb;
	void *data;
	store_answer_cb qcb;
	struct store_commit result;
	struct store_answer answer;
	struct arr obs, events, trans, inc, hist, outbox, oupd, acts, applied, quar, tails, health;
	struct arr ostr; /* the observations' strings, NUL-terminated, back to back */
	size_t rows;
	struct store_batch *next;
};

static void *arr_push(struct arr *a, size_t size)
{
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		void *nv = realloc(a->v, ncap * size);
		if (!nv)
			return NULL;
		a->v = nv;
		a->cap = ncap;
	}
	void *slot = (char *)a->v + a->n * size;
	memset(slot, 0, size);
	a->n++;
	return slot;
}

#define ARR_AT(a, T, i) (&((T *)(a).v)[i])

static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

struct store_batch *store_batch_new(store_commit_cb cb, void *data)
{
	struct store_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->kind = ITEM_ROWS;
	b->cb = cb;
	b->data = data;
	return b;
}

static void batch_free_rows(struct store_batch *b)
{
	for (size_t i = 0; i < b->inc.n; i++)
		free((char *)ARR_AT(b->inc, struct inc_row, i)->r.detail_json);
	for (size_t i = 0; i < b->events.n; i++)
		free(ARR_AT(b->events, struct ev_row, i)->detail);
	for (size_t i = 0; i < b->hist.n; i++)
		free((char *)ARR_AT(b->hist, struct store_incident_history, i)->note);
	for (size_t i = 0; i < b->outbox.n; i++)
		free((char *)ARR_AT(b->outbox, struct store_outbox, i)->payload_json);
	for (size_t i = 0; i < b->acts.n; i++)
		free((char *)ARR_AT(b->acts, struct store_operator_action, i)->note);
	struct arr *all[] = { &b->obs,    &b->events, &b->trans, &b->inc,     &b->hist,
		              &b->outbox, &b->oupd,   &b->acts,  &b->applied, &b->quar,
		              &b->tails,  &b->health, &b->ostr };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		free(all[i]->v);
		memset(all[i], 0, sizeof(*all[i]));
	}
}

static void answer_free(struct store_answer *a)
{
	for (size_t i = 0; i < a->n_outbox; i++)
		free((char *)a->outbox[i].payload_json);
	for (size_t i = 0; i < a->n_actions; i++)
		free((char *)a->actions[i].note);
	for (size_t i = 0; i < a->n_incidents; i++)
		free((char *)a->incidents[i].detail_json);
	free(a->tails);
	free(a->outbox);
	free(a->actions);
	free(a->incidents);
	memset(a, 0, sizeof(*a));
}

void store_batch_free(struct store_batch *b)
{
	if (!b)
		return;
	batch_free_rows(b);
	answer_free(&b->answer);
	free(b);
}

size_t store_batch_rows(const struct store_batch *b)
{
	return b->rows;
}

#define PUSH(b, field, T, var)                                                                     \
	T *var = arr_push(&(b)->field, sizeof(T));                                                 \
	if (!var)                                                                                  \
		return VG_ENOMEM;                                                                  \
	(b)->rows++

/* Append s (NUL-terminated within max bytes) to the batch's string arena. */
static int add_str(struct store_batch *b, const char *s, size_t max, uint32_t *off)
{
	size_t n = strnlen(s, max - 1);
	struct arr *a = &b->ostr;
	if (a->n + n + 1 > UINT32_MAX)
		return VG_ENOMEM;
	if (a->n + n + 1 > a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 4096;
		while (ncap < a->n + n + 1)
			ncap *= 2;
		char *nv = realloc(a->v, ncap);
		if (!nv)
			return VG_ENOMEM;
		a->v = nv;
		a->cap = ncap;
	}
	char *d = (char *)a->v + a->n;
	memcpy(d, s, n);
	d[n] = '\0';
	*off = (uint32_t)a->n;
	a->n += n + 1;
	return 0;
}

int store_batch_add_observation(struct store_batch *b, const struct observation *o)
{
	if (!vg_has(o->ts_ms) || !o->pid.provider[0] || !o->request_id[0])
		return VG_EINVAL;
	uint32_t str[OS__COUNT];
	size_t used = b->ostr.n;
	if (add_str(b, o->request_id, sizeof(o->request_id), &str[OS_REQUEST_ID]) ||
	    add_str(b, o->pid.provider, sizeof(o->pid.provider), &str[OS_PROVIDER]) ||
	    add_str(b, o->pid.model, sizeof(o->pid.model), &str[OS_MODEL]) ||
	    add_str(b, o->pid.region, sizeof(o->pid.region), &str[OS_REGION]) ||
	    add_str(b, o->pid.key_alias, sizeof(o->pid.key_alias), &str[OS_KEY_ALIAS]) ||
	    add_str(b, o->template_id, sizeof(o->template_id), &str[OS_TEMPLATE])) {
		b->ostr.n = used;
		return VG_ENOMEM;
	}
	struct obs_row *r = arr_push(&b->obs, sizeof(*r));
	if (!r) {
		b->ostr.n = used;
		return VG_ENOMEM;
	}
	b->rows++;
	memcpy(r->str, str, sizeof(str));
	r->ts_ms = o->ts_ms;
	r->attempt = o->attempt > 0 ? o->attempt : 1;
	r->http_status = o->http_status;
	r->retry_count = o->retry_count;
	r->source = (int8_t)o->source;
	r->traffic = (int8_t)o->traffic_class;
	r->selection = (int8_t)o->selection_reason;
	r->transport = (int8_t)o->transport_error;
	r->err_class = (int8_t)o->norm.error_class;
	r->finish = (int8_t)o->norm.finish;
	r->dns = o->dns_ms;
	r->connect = o->connect_ms;
	r->tls = o->tls_ms;
	r->ttfb = o->ttfb_ms;
	r->total = o->total_ms;
	r->cost = o->cost_usd;
	r->body_bytes = o->body_bytes;
	r->in_tok = observation_input_tokens(o);
	r->out_tok = observation_output_tokens(o);
	r->cached = vg_has(o->cached_input_tokens) ? o->cached_input_tokens : o->norm.cached_tokens;
	r->predicted = o->predicted_input_tokens;
	return 0;
}

int store_batch_add_event(struct store_batch *b, const struct failure_event *ev)
{
	json_t *j = event_to_json(ev);
	char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!detail)
		return VG_ENOMEM;
	struct ev_row *r = arr_push(&b->events, sizeof(*r));
	if (!r) {
		free(detail);
		return VG_ENOMEM;
	}
	r->ev = *ev;
	r->detail = detail;
	b->rows++;
	return 0;
}

static struct inc_row *find_incident(struct store_batch *b, int64_t id)
{
	for (size_t i = b->inc.n; i-- > 0;) {
		struct inc_row *r = ARR_AT(b->inc, struct inc_row, i);
		if (r->r.id == id)
			return r;
	}
	return NULL;
}

/* The columns of an incident row from the tracker's incident. */
static void incident_columns(struct store_incident *r, const struct incident *inc)
{
	memset(r, 0, sizeof(*r));
	r->id = inc->id;
	model_copy_str(r->key, sizeof(r->key), inc->key, (size_t)-1);
	r->category = inc->category;
	r->subtype = inc->subtype;
	model_copy_str(r->provider, sizeof(r->provider), inc->provider, (size_t)-1);
	model_copy_str(r->model, sizeof(r->model), inc->first.pid.model, (size_t)-1);
	r->severity = inc->severity;
	r->state = inc->state;
	r->count = inc->count;
	r->first_ms = inc->first_ms;
	r->last_ms = inc->last_ms;
}

static char *incident_detail(const struct incident *inc)
{
	json_t *j = incident_to_json(inc);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return text;
}

static int add_incident_change(struct store_batch *b, const struct incident_change *c)
{
	const struct incident *inc = c->incident;
	if (!inc)
		return 0;
	if (c->kind != INCC_UPDATED) {
		struct store_incident_history h;
		memset(&h, 0, sizeof(h));
		h.incident_id = c->incident_id;
		h.time_ms = c->time_ms;
		model_copy_str(h.what, sizeof(h.what), incident_change_name(c->kind), (size_t)-1);
		h.state = c->to;
		h.severity = c->sev_to;
		h.count = inc->count;
		h.related_id = c->related_id;
		if (c->actor)
			model_copy_str(h.actor, sizeof(h.actor), c->actor, (size_t)-1);
		h.note = c->note && c->note[0] ? c->note : NULL;
		int rc = store_batch_add_incident_history(b, &h);
		if (rc != 0)
			return rc;
	}
	/* The row takes the incident's columns now; its JSON detail is built
	 * once per batch, by store_batch_refresh_incidents(). */
	struct inc_row *r = find_incident(b, inc->id);
	if (!r) {
		r = arr_push(&b->inc, sizeof(*r));
		if (!r)
			return VG_ENOMEM;
		b->rows++;
	}
	const char *detail = r->r.detail_json;
	incident_columns(&r->r, inc);
	r->r.detail_json = detail;
	r->stale = true;
	return 0;
}

int store_batch_add_effects(struct store_batch *b, const struct effects *e, int64_t *next_outbox_id)
{
	int rc = 0;
	for (size_t i = 0; i < e->n_events && rc == 0; i++)
		rc = store_batch_add_event(b, &e->events[i]);
	for (size_t i = 0; i < e->n_transitions && rc == 0; i++)
		rc = store_batch_add_transition(b, &e->transitions[i]);
	for (size_t i = 0; i < e->n_incident_changes && rc == 0; i++)
		rc = add_incident_change(b, &e->incident_changes[i]);
	for (size_t i = 0; i < e->n_notifications && rc == 0; i++) {
		const struct notification *nt = &e->notifications[i];
		struct store_outbox o;
		memset(&o, 0, sizeof(o));
		o.id = next_outbox_id ? (*next_outbox_id)++ : 0;
		model_copy_str(o.sink, sizeof(o.sink), nt->sink, (size_t)-1);
		model_copy_str(o.dedup_key, sizeof(o.dedup_key), nt->dedup_key, (size_t)-1);
		model_copy_str(o.op, sizeof(o.op), route_op_name(nt->op), (size_t)-1);
		o.incident_id = nt->incident_id;
		o.sequence = nt->time_ms;
		o.payload_json = nt->payload ? nt->payload : "{}";
		o.state = OUTBOX_PENDING;
		o.next_attempt_ms = nt->time_ms;
		o.created_ms = nt->time_ms;
		rc = store_batch_add_outbox(b, &o);
	}
	return rc;
}

int store_batch_refresh_incidents(struct store_batch *b, const struct incidents *t)
{
	for (size_t i = 0; i < b->inc.n; i++) {
		struct inc_row *r = ARR_AT(b->inc, struct inc_row, i);
		if (!r->stale)
			continue;
		const struct incident *inc = incidents_get(t, r->r.id);
		if (!inc)
			continue;
		char *detail = incident_detail(inc);
		if (!detail)
			return VG_ENOMEM;
		free((char *)r->r.detail_json);
		incident_columns(&r->r, inc);
		r->r.detail_json = detail;
		r->stale = false;
	}
	return 0;
}

int store_batch_add_health(struct store_batch *b, const struct store_health *h)
{
	if (!h->provider[0])
		return VG_EINVAL;
	PUSH(b, health, struct store_health, r);
	*r = *h;
	return 0;
}

int store_batch_add_transition(struct store_batch *b, const struct breaker_transition *t)
{
	PUSH(b, trans, struct breaker_transition, r);
	*r = *t;
	return 0;
}

int store_batch_add_incident(struct store_batch *b, const struct store_incident *inc)
{
	bool oom = false;
	char *detail = dup_or_null(inc->detail_json, &oom);
	if (oom)
		return VG_ENOMEM;
	struct inc_row *r = find_incident(b, inc->id);
	if (r) {
		free((char *)r->r.detail_json);
	} else {
		r = arr_push(&b->inc, sizeof(*r));
		if (!r) {
			free(detail);
			return VG_ENOMEM;
		}
		b->rows++;
	}
	r->r = *inc;
	r->r.detail_json = detail;
	r->stale = false;
	return 0;
}

int store_batch_add_incident_history(struct store_batch *b, const struct store_incident_history *h)
{
	bool oom = false;
	char *note = dup_or_null(h->note, &oom);
	if (oom)
		return VG_ENOMEM;
	struct store_incident_history *r = arr_push(&b->hist, sizeof(*r));
	if (!r) {
		free(note);
		return VG_ENOMEM;
	}
	*r = *h;
	r->note = note;
	b->rows++;
	return 0;
}

int store_batch_add_outbox(struct store_batch *b, const struct store_outbox *o)
{
	if (!o->payload_json)
		return VG_EINVAL;
	bool oom = false;
	char *payload = dup_or_null(o->payload_json, &oom);
	if (oom)
		return VG_ENOMEM;
	struct store_outbox *r = arr_push(&b->outbox, sizeof(*r));
	if (!r) {
		free(payload);
		return VG_ENOMEM;
	}
	*r = *o;
	r->payload_json = payload;
	b->rows++;
	return 0;
}

int store_batch_add_outbox_update(struct store_batch *b, const struct store_outbox_update *u)
{
	PUSH(b, oupd, struct store_outbox_update, r);
	*r = *u;
	return 0;
}

int store_batch_add_action(struct store_batch *b, const struct store_operator_action *a)
{
	bool oom = false;
	char *note = dup_or_null(a->note, &oom);
	if (oom)
		return VG_ENOMEM;
	struct store_operator_action *r = arr_push(&b->acts, sizeof(*r));
	if (!r) {
		free(note);
		return VG_ENOMEM;
	}
	*r = *a;
	r->note = note;
	b->rows++;
	return 0;
}

int store_batch_mark_action_applied(struct store_batch *b, int64_t action_id)
{
	PUSH(b, applied, int64_t, r);
	*r = action_id;
	return 0;
}

int store_batch_add_quarantine(struct store_batch *b, const struct store_quarantine *q)
{
	PUSH(b, quar, struct qrow, r);
	r->q = *q;
	size_t n = q->head_len < sizeof(r->head) ? q->head_len : sizeof(r->head);
	if (n && q->head)
		memcpy(r->head, q->head, n);
	r->q.head = NULL;
	r->q.head_len = n;
	return 0;
}

int store_batch_set_tail(struct store_batch *b, const struct store_tail_pos *p)
{
	for (size_t i = 0; i < b->tails.n; i++) {
		struct store_tail_pos *t = ARR_AT(b->tails, struct store_tail_pos, i);
		if (t->dev == p->dev && t->ino == p->ino) {
			*t = *p;
			return 0;
		}
	}
	PUSH(b, tails, struct store_tail_pos, r);
	*r = *p;
	return 0;
}

/* ---- the store -------------------------------------------------------------------- */

enum stmt_id {
	ST_OBS,
	ST_EVENT,
	ST_TRANS,
	ST_INC,
	ST_HIST,
	ST_OUTBOX,
	ST_OUPD,
	ST_ACT,
	ST_APPLIED,
	ST_QUAR,
	ST_TAIL,
	ST_OBS_MIN,
	ST_EVT_MIN,
	ST_HEALTH,
	ST_HEALTH_MIN,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_OBS] = "INSERT OR IGNORE INTO observations (ts_ms, request_id, attempt, source, "
	           "provider, model, region, key_alias, template, traffic_class, selection, "
	           "http_status, transport_error, error_class, finish, dns_ms, connect_ms, tls_ms, "
	           "ttfb_ms, total_ms, input_tokens, output_tokens, cached_input_tokens, "
	           "predicted_input_tokens, cost_usd, retry_count, body_bytes) VALUES "
	           "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_EVENT] = "INSERT INTO failure_events (event_id, time_ms, category, subtype, severity, "
	             "provider, model, region, key_alias, request_id, template, traffic_class, "
	             "retryable, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_TRANS] = "INSERT INTO breaker_transitions (time_ms, provider, model, from_state, "
	             "to_state, reason, opens_in_window, oscillating) VALUES (?,?,?,?,?,?,?,?)",
	[ST_INC] = "INSERT INTO incidents (id, key, category, subtype, provider, model, severity, "
	           "state, count, first_ms, last_ms, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
	           "ON CONFLICT (id) DO UPDATE SET key = excluded.key, category = "
	           "excluded.category, subtype = excluded.subtype, provider = excluded.provider, "
	           "model = excluded.model, severity = excluded.severity, state = excluded.state, "
	           "count = excluded.count, first_ms = excluded.first_ms, last_ms = "
	           "excluded.last_ms, detail = coalesce(excluded.detail, detail)",
	[ST_HIST] = "INSERT INTO incident_history (incident_id, time_ms, what, state, severity, "
	            "count, related_id, actor, note) VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_OUTBOX] =
	        "INSERT INTO outbox (id, sink, dedup_key, op, incident_id, sequence, payload, "
	        "state, attempts, next_attempt_ms, created_ms, delivered_ms) VALUES "
	        "(?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
	[ST_OUPD] = "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_ms = ?4, "
	            "delivered_ms = ?5 WHERE id = ?1",
	[ST_ACT] = "INSERT INTO operator_actions (id, incident_id, action, actor, note, time_ms, "
	           "applied) VALUES (?,?,?,?,?,?,?)",
	[ST_APPLIED] = "UPDATE operator_actions SET applied = 1 WHERE id = ?",
	[ST_QUAR] = "INSERT INTO quarantine (file, line_no, byte_offset, reason, detail, head, "
	            "time_ms) VALUES (?,?,?,?,?,?,?)",
	[ST_TAIL] = "INSERT INTO tail_positions (dev, ino, path, read_offset, line_no, head_sig, "
	            "updated_ms) VALUES (?,?,?,?,?,?,?) ON CONFLICT (dev, ino) DO UPDATE SET "
	            "path = excluded.path, read_offset = excluded.read_offset, line_no = "
	            "excluded.line_no, head_sig = excluded.head_sig, updated_ms = "
	            "excluded.updated_ms",
	[ST_OBS_MIN] = "INSERT INTO obs_minute (minute_ms, provider, model, requests, errors, "
	               "total_ms_sum, total_ms_n, input_tokens, output_tokens, cost_usd) VALUES "
	               "(?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET requests = requests + "
	               "excluded.requests, errors = errors + excluded.errors, total_ms_sum = "
	               "total_ms_sum + excluded.total_ms_sum, total_ms_n = total_ms_n + "
	               "excluded.total_ms_n, input_tokens = input_tokens + excluded.input_tokens, "
	               "output_tokens = output_tokens + excluded.output_tokens, cost_usd = "
	               "cost_usd + excluded.cost_usd",
	[ST_EVT_MIN] =
	        "INSERT INTO event_minute (minute_ms, provider, category, subtype, severity, "
	        "events) VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET events = events + "
	        "excluded.events",
	[ST_HEALTH] = "INSERT OR REPLACE INTO health (provider, model, fallback, configured, "
	              "window_requests, availability, p50_ms, p95_ms, p99_ms, err_rate_limit, "
	              "err_server, err_timeout, err_content_filter, err_other, tokens_per_s, "
	              "quality, cost_efficiency, headroom, headroom_slope, probe_spend_usd, "
	              "probe_budget_usd, breaker, breaker_since_ms, opens_in_window, oscillating, "
	              "latency_threshold_ms, updated_ms) VALUES "
	              "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_HEALTH_MIN] = "INSERT OR REPLACE INTO health_minute (minute_ms, provider, model, "
	                  "p95_ms, requests) VALUES (?,?,?,?,?)",
};

/* Per-minute aggregates kept until the commit. */
struct obs_agg {
	int64_t minute;
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX];
	int64_t requests, errors, total_n, in_tok, out_tok;
	double total_sum, cost;
};

struct evt_agg {
	int64_t minute;
	char provider[VG_NAME_MAX];
	int8_t category, subtype, severity;
	int64_t n;
};

#define AGG_MAX 512

struct store {
	uv_loop_t *loop;
	uv_async_t async;
	uv_thread_t thread;
	bool thread_started;
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	struct store_options opt;
	char path[1024];

	uv_mutex_t mu;
	uv_cond_t cv;
	struct store_batch *q_head, *q_tail; /* waiting */
	int queued;
	struct store_batch *done_head, *done_tail; /* for the loop */
	bool stop, failed, space_wanted;
	struct store_stats stats;

	/* store thread only */
	bool txn_open;
	uint64_t txn_deadline_ns, next_prune_ns;
	int64_t txn_rows;
	struct store_batch *txn_head, *txn_tail; /* applied, waiting for the commit */
	struct obs_agg oagg[AGG_MAX];
	int n_oagg;
	struct evt_agg eagg[AGG_MAX];
	int n_eagg;
	int64_t pruned;
};

static char *msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return strdup(buf);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- binding helpers (store thread) ----------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	if (vg_has(v))
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void bind_pos(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void bind_dbl(sqlite3_stmt *st, int i, double v)
{
	if (vg_has_d(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void bind_name(sqlite3_stmt *st, int i, int v, const char *name)
{
	if (v >= 0 && name)
		sqlite3_bind_text(st, i, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Step a statement to completion and reset it; returns the SQLite code. */
static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* ---- rollups -------------------------------------------------------------------------- */

static int flush_aggs(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_OBS_MIN];
	for (int i = 0; i < s->n_oagg; i++) {
		const struct obs_agg *a = &s->oagg[i];
		sqlite3_bind_int64(st, 1, a->minute);
		sqlite3_bind_text(st, 2, a->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->model, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, a->requests);
		sqlite3_bind_int64(st, 5, a->errors);
		sqlite3_bind_double(st, 6, a->total_sum);
		sqlite3_bind_int64(st, 7, a->total_n);
		sqlite3_bind_int64(st, 8, a->in_tok);
		sqlite3_bind_int64(st, 9, a->out_tok);
		sqlite3_bind_double(st, 10, a->cost);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	s->n_oagg = 0;
	st = s->st[ST_EVT_MIN];
	for (int i = 0; i < s->n_eagg; i++) {
		const struct evt_agg *a = &s->eagg[i];
		sqlite3_bind_int64(st, 1, a->minute);
		sqlite3_bind_text(st, 2, a->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, model_category_name((enum category)a->category), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 4, model_subtype_name((enum subtype)a->subtype), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 5, model_severity_name((enum severity)a->severity), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, a->n);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	s->n_eagg = 0;
	return SQLITE_OK;
}

static int agg_obs(struct store *s, const struct obs_row *r, const char *provider,
                   const char *model)
{
	int64_t minute = r->ts_ms - (r->ts_ms % 60000 + 60000) % 60000;
	struct obs_agg *a = NULL;
	for (int i = s->n_oagg - 1; i >= 0; i--) {
		struct obs_agg *c = &s->oagg[i];
		if (c->minute == minute && strcmp(c->provider, provider) == 0 &&
		    strcmp(c->model, model) == 0) {
			a = c;
			break;
		}
	}
	if (!a) {
		if (s->n_oagg == AGG_MAX) {
			int rc = flush_aggs(s);
			if (rc != SQLITE_OK)
				return rc;
		}
		a = &s->oagg[s->n_oagg++];
		memset(a, 0, sizeof(*a));
		a->minute = minute;
		model_copy_str(a->provider, sizeof(a->provider), provider, (size_t)-1);
		model_copy_str(a->model, sizeof(a->model), model, (size_t)-1);
	}
	a->requests++;
	if (r->transport != TE_NONE || r->err_class != EC_OK || r->http_status >= 400)
		a->errors++;
	if (vg_has_d(r->total)) {
		a->total_sum += r->total;
		a->total_n++;
	}
	if (vg_has(r->in_tok))
		a->in_tok += r->in_tok;
	if (vg_has(r->out_tok))
		a->out_tok += r->out_tok;
	if (vg_has_d(r->cost))
		a->cost += r->cost;
	return SQLITE_OK;
}

static int agg_event(struct store *s, const struct failure_event *ev)
{
	int64_t minute = ev->time_ms - (ev->time_ms % 60000 + 60000) % 60000;
	for (int i = s->n_eagg - 1; i >= 0; i--) {
		struct evt_agg *c = &s->eagg[i];
		if (c->minute == minute && c->category == (int8_t)ev->category &&
		    c->subtype == (int8_t)ev->subtype && c->severity == (int8_t)ev->severity &&
		    strcmp(c->provider, ev->pid.provider) == 0) {
			c->n++;
			return SQLITE_OK;
		}
	}
	if (s->n_eagg == AGG_MAX) {
		int rc = flush_aggs(s);
		if (rc != SQLITE_OK)
			return rc;
	}
	struct evt_agg *a = &s->eagg[s->n_eagg++];
	memset(a, 0, sizeof(*a));
	a->minute = minute;
	memcpy(a->provider, ev->pid.provider, sizeof(a->provider));
	a->category = (int8_t)ev->category;
	a->subtype = (int8_t)ev->subtype;
	a->severity = (int8_t)ev->severity;
	a->n = 1;
	return SQLITE_OK;
}

/* ---- applying a batch (store thread) ------------------------------------------------ */

static int apply_obs(struct store *s, struct store_batch *b)
{
	sqlite3_stmt *st = s->st[ST_OBS];
	const char *strs = b->ostr.v;
	for (size_t i = 0; i < b->obs.n; i++) {
		const struct obs_row *r = ARR_AT(b->obs, struct obs_row, i);
		const char *provider = strs + r->str[OS_PROVIDER];
		const char *model = strs + r->str[OS_MODEL];
		sqlite3_bind_int64(st, 1, r->ts_ms);
		sqlite3_bind_text(st, 2, strs + r->str[OS_REQUEST_ID], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r->attempt);
		sqlite3_bind_text(st, 4, r->source == OBS_PROBE ? "probe" : "gateway", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 5, provider, -1, SQLITE_STATIC);
		bind_text(st, 6, model);
		bind_text(st, 7, strs + r->str[OS_REGION]);
		bind_text(st, 8, strs + r->str[OS_KEY_ALIAS]);
		bind_text(st, 9, strs + r->str[OS_TEMPLATE]);
		bind_name(st, 10, r->traffic,
		          model_traffic_class_name((enum traffic_class)r->traffic));
		bind_name(st, 11, r->selection,
		          model_selection_reason_name((enum selection_reason)r->selection));
		bind_pos(st, 12, r->http_status);
		bind_name(st, 13, r->transport != TE_NONE ? 1 : -1,
		          model_transport_error_name((enum transport_error)r->transport));
		sqlite3_bind_text(st, 14, model_err_class_name((enum err_class)r->err_class), -1,
		                  SQLITE_STATIC);
		bind_name(st, 15, r->finish,
		          model_finish_reason_name((enum finish_reason)r->finish));
		bind_dbl(st, 16, r->dns);
		bind_dbl(st, 17, r->connect);
		bind_dbl(st, 18, r->tls);
		bind_dbl(st, 19, r->ttfb);
		bind_dbl(st, 20, r->total);
		bind_i64(st, 21, r->in_tok);
		bind_i64(st, 22, r->out_tok);
		bind_i64(st, 23, r->cached);
		bind_i64(st, 24, r->predicted);
		bind_dbl(st, 25, r->cost);
		bind_pos(st, 26, r->retry_count);
		bind_i64(st, 27, r->body_bytes);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
		if (sqlite3_changes(s->db) > 0) {
			b->result.inserted++;
			rc = agg_obs(s, r, provider, model);
			if (rc != SQLITE_OK)
				return rc;
		} else {
			b->result.duplicates++;
		}
	}
	return SQLITE_OK;
}

static int apply_events(struct store *s, struct store_batch *b)
{
	sqlite3_stmt *st = s->st[ST_EVENT];
	for (size_t i = 0; i < b->events.n; i++) {
		const struct ev_row *er = ARR_AT(b->events, struct ev_row, i);
		const struct failure_event *ev = &er->ev;
		sqlite3_bind_int64(st, 1, (int64_t)ev->id);
		sqlite3_bind_int64(st, 2, ev->time_ms);
		sqlite3_bind_text(st, 3, model_category_name(ev->category), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, model_subtype_name(ev->subtype), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, model_severity_name(ev->severity), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, ev->pid.provider, -1, SQLITE_STATIC);
		bind_text(st, 7, ev->pid.model);
		bind_text(st, 8, ev->pid.region);
		bind_text(st, 9, ev->pid.key_alias);
		bind_text(st, 10, ev->request_id);
		bind_text(st, 11, ev->template_id);
		bind_name(st, 12, ev->traffic_class, model_traffic_class_name(ev->traffic_class));
		if (ev->retryable == VG_TRI_UNSET)
			sqlite3_bind_null(st, 13);
		else
			sqlite3_bind_int(st, 13, ev->retryable);
		bind_text(st, 14, er->detail);
		int rc = step(st);
		if (rc != SQLITE_OK)
			return rc;
		rc = agg_event(s, ev);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static int apply_others(struct store *s, struct store_batch *b)
{
	int rc = SQLITE_OK;
	sqlite3_stmt *st = s->st[ST_TRANS];
	for (size_t i = 0; i < b->trans.n && rc == SQLITE_OK; i++) {
		const struct breaker_transition *t = ARR_AT(b->trans, struct breaker_transition, i);
		sqlite3_bind_int64(st, 1, t->time_ms);
		sqlite3_bind_text(st, 2, t->provider, -1, SQLITE_STATIC);
		bind_text(st, 3, t->model);
		sqlite3_bind_text(st, 4, model_breaker_state_name(t->from), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, model_breaker_state_name(t->to), -1, SQLITE_STATIC);
		bind_text(st, 6, t->reason);
		sqlite3_bind_int(st, 7, t->opens_in_window);
		sqlite3_bind_int(st, 8, t->oscillating);
		rc = step(st);
	}
	st = s->st[ST_INC];
	for (size_t i = 0; i < b->inc.n && rc == SQLITE_OK; i++) {
		const struct store_incident *r = &ARR_AT(b->inc, struct inc_row, i)->r;
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_text(st, 2, r->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, model_category_name(r->category), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, model_subtype_name(r->subtype), -1, SQLITE_STATIC);
		bind_text(st, 5, r->provider);
		bind_text(st, 6, r->model);
		sqlite3_bind_text(st, 7, model_severity_name(r->severity), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, incident_state_name(r->state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, r->count);
		sqlite3_bind_int64(st, 10, r->first_ms);
		sqlite3_bind_int64(st, 11, r->last_ms);
		bind_text(st, 12, r->detail_json);
		rc = step(st);
	}
	st = s->st[ST_HIST];
	for (size_t i = 0; i < b->hist.n && rc == SQLITE_OK; i++) {
		const struct store_incident_history *r =
		        ARR_AT(b->hist, struct store_incident_history, i);
		sqlite3_bind_int64(st, 1, r->incident_id);
		sqlite3_bind_int64(st, 2, r->time_ms);
		sqlite3_bind_text(st, 3, r->what, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, incident_state_name(r->state), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, model_severity_name(r->severity), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, r->count);
		if (r->related_id > 0)
			sqlite3_bind_int64(st, 7, r->related_id);
		else
			sqlite3_bind_null(st, 7);
		bind_text(st, 8, r->actor);
		bind_text(st, 9, r->note);
		rc = step(st);
	}
	st = s->st[ST_OUTBOX];
	for (size_t i = 0; i < b->outbox.n && rc == SQLITE_OK; i++) {
		const struct store_outbox *r = ARR_AT(b->outbox, struct store_outbox, i);
		if (r->id > 0)
			sqlite3_bind_int64(st, 1, r->id);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_text(st, 2, r->sink, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->dedup_key, -1, SQLITE_STATIC);
		bind_text(st, 4, r->op);
		if (r->incident_id > 0)
			sqlite3_bind_int64(st, 5, r->incident_id);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_int64(st, 6, r->sequence);
		sqlite3_bind_text(st, 7, r->payload_json, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, store_outbox_state_name(r->state), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 9, r->attempts);
		sqlite3_bind_int64(st, 10, r->next_attempt_ms);
		sqlite3_bind_int64(st, 11, r->created_ms);
		if (r->delivered_ms > 0)
			sqlite3_bind_int64(st, 12, r->delivered_ms);
		else
			sqlite3_bind_null(st, 12);
		rc = step(st);
	}
	st = s->st[ST_OUPD];
	for (size_t i = 0; i < b->oupd.n && rc == SQLITE_OK; i++) {
		const struct store_outbox_update *r =
		        ARR_AT(b->oupd, struct store_outbox_update, i);
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_text(st, 2, store_outbox_state_name(r->state), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r->attempts);
		sqlite3_bind_int64(st, 4, r->next_attempt_ms);
		if (r->delivered_ms > 0)
			sqlite3_bind_int64(st, 5, r->delivered_ms);
		else
			sqlite3_bind_null(st, 5);
		rc = step(st);
	}
	st = s->st[ST_ACT];
	for (size_t i = 0; i < b->acts.n && rc == SQLITE_OK; i++) {
		const struct store_operator_action *r =
		        ARR_AT(b->acts, struct store_operator_action, i);
		if (r->id > 0)
			sqlite3_bind_int64(st, 1, r->id);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_int64(st, 2, r->incident_id);
		sqlite3_bind_text(st, 3, action_stored_name(r->action), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->actor, -1, SQLITE_STATIC);
		bind_text(st, 5, r->note);
		sqlite3_bind_int64(st, 6, r->time_ms);
		sqlite3_bind_int(st, 7, r->applied);
		rc = step(st);
	}
	st = s->st[ST_APPLIED];
	for (size_t i = 0; i < b->applied.n && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, *ARR_AT(b->applied, int64_t, i));
		rc = step(st);
	}
	st = s->st[ST_QUAR];
	for (size_t i = 0; i < b->quar.n && rc == SQLITE_OK; i++) {
		const struct qrow *r = ARR_AT(b->quar, struct qrow, i);
		sqlite3_bind_text(st, 1, r->q.file, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r->q.line_no);
		sqlite3_bind_int64(st, 3, r->q.byte_offset);
		sqlite3_bind_text(st, 4, r->q.reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r->q.detail, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 6, r->head, (int)r->q.head_len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, r->q.time_ms);
		rc = step(st);
	}
	st = s->st[ST_HEALTH];
	for (size_t i = 0; i < b->health.n && rc == SQLITE_OK; i++) {
		const struct store_health *r = ARR_AT(b->health, struct store_health, i);
		const struct health_numbers *h = &r->h;
		double other = VG_NONE_D;
		static const int others[] = { HE_TRANSPORT, HE_ACCOUNT, HE_CLIENT, HE_OTHER };
		for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++)
			if (vg_has_d(h->err_rate[others[k]]))
				other = (vg_has_d(other) ? other : 0) + h->err_rate[others[k]];
		sqlite3_bind_text(st, 1, r->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->model, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r->fallback);
		sqlite3_bind_int(st, 4, r->configured);
		bind_i64(st, 5, r->window_requests);
		bind_dbl(st, 6, h->availability);
		bind_dbl(st, 7, h->p50_ms);
		bind_dbl(st, 8, h->p95_ms);
		bind_dbl(st, 9, h->p99_ms);
		bind_dbl(st, 10, h->err_rate[HE_RATE_LIMIT]);
		bind_dbl(st, 11, h->err_rate[HE_SERVER_ERROR]);
		bind_dbl(st, 12, h->err_rate[HE_TIMEOUT]);
		bind_dbl(st, 13, h->err_rate[HE_CONTENT_FILTER]);
		bind_dbl(st, 14, other);
		bind_dbl(st, 15, h->output_tps);
		bind_dbl(st, 16, h->quality_score);
		bind_dbl(st, 17, h->cost_efficiency);
		bind_dbl(st, 18, h->headroom);
		bind_dbl(st, 19, h->headroom_slope);
		bind_dbl(st, 20, r->probe_spend_usd);
		bind_dbl(st, 21, r->probe_budget_usd);
		bind_name(st, 22, r->has_breaker ? (int)r->breaker : -1,
		          model_breaker_state_name(r->breaker));
		bind_i64(st, 23, r->has_breaker ? r->breaker_since_ms : VG_NONE);
		bind_i64(st, 24, r->has_breaker ? (int64_t)r->opens_in_window : VG_NONE);
		sqlite3_bind_int(st, 25, r->oscillating);
		bind_dbl(st, 26, r->latency_threshold_ms);
		sqlite3_bind_int64(st, 27, r->updated_ms);
		rc = step(st);
		if (rc != SQLITE_OK)
			break;
		sqlite3_stmt *m = s->st[ST_HEALTH_MIN];
		int64_t minute = r->updated_ms - (r->updated_ms % 60000 + 60000) % 60000;
		sqlite3_bind_int64(m, 1, minute);
		sqlite3_bind_text(m, 2, r->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(m, 3, r->model, -1, SQLITE_STATIC);
		bind_dbl(m, 4, h->p95_ms);
		bind_i64(m, 5, r->window_requests);
		rc = step(m);
	}
	st = s->st[ST_TAIL];
	for (size_t i = 0; i < b->tails.n && rc == SQLITE_OK; i++) {
		const struct store_tail_pos *r = ARR_AT(b->tails, struct store_tail_pos, i);
		sqlite3_bind_int64(st, 1, (int64_t)r->dev);
		sqlite3_bind_int64(st, 2, (int64_t)r->ino);
		sqlite3_bind_text(st, 3, r->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, r->offset);
		sqlite3_bind_int64(st, 5, r->line_no);
		sqlite3_bind_int64(st, 6, (int64_t)r->head_sig);
		sqlite3_bind_int64(st, 7, r->updated_ms);
		rc = step(st);
	}
	return rc;
}

/* ---- transactions (store thread) ------------------------------------------------------ */

static int exec(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

static void push_done(struct store *s, struct store_batch *b)
{
	b->next = NULL;
	if (s->done_tail)
		s->done_tail->next = b;
	else
		s->done_head = b;
	s->done_tail = b;
}

/* Move the transaction's batches to the done list with err; wake the loop. */
static void finish_txn(struct store *s, int err)
{
	uv_mutex_lock(&s->mu);
	struct store_batch *b = s->txn_head;
	while (b) {
		struct store_batch *next = b->next;
		b->result.err = err;
		if (err == 0 && b->kind == ITEM_ROWS) {
			s->stats.committed_rows += b->result.rows;
			s->stats.inserted += b->result.inserted;
			s->stats.duplicates += b->result.duplicates;
		}
		push_done(s, b);
		b = next;
	}
	s->txn_head = s->txn_tail = NULL;
	if (err == 0)
		s->stats.transactions++;
	else
		s->failed = s->stats.failed = true;
	uv_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

static void txn_commit(struct store *s)
{
	if (!s->txn_open)
		return;
	int rc = flush_aggs(s);
	if (rc == SQLITE_OK)
		rc = exec(s, "COMMIT");
	if (rc != SQLITE_OK) {
		fprintf(stderr, "vigil: store: commit failed: %s\n", sqlite3_errmsg(s->db));
		exec(s, "ROLLBACK");
	}
	s->txn_open = false;
	s->txn_rows = 0;
	s->n_oagg = s->n_eagg = 0;
	finish_txn(s, rc == SQLITE_OK ? 0 : VG_EDB);
}

static void txn_append(struct store *s, struct store_batch *b)
{
	b->next = NULL;
	if (s->txn_tail)
		s->txn_tail->next = b;
	else
		s->txn_head = b;
	s->txn_tail = b;
}

static bool txn_begin(struct store *s)
{
	if (s->txn_open)
		return true;
	if (exec(s, "BEGIN IMMEDIATE") != SQLITE_OK) {
		fprintf(stderr, "vigil: store: begin failed: %s\n", sqlite3_errmsg(s->db));
		return false;
	}
	s->txn_open = true;
	s->txn_rows = 0;
	s->txn_deadline_ns = uv_hrtime() + (uint64_t)s->opt.batch_ms * 1000000u;
	return true;
}

static void apply_batch(struct store *s, struct store_batch *b)
{
	b->result.rows = (int64_t)b->rows;
	if (s->failed || !txn_begin(s)) {
		b->result.err = VG_EDB;
		uv_mutex_lock(&s->mu);
		s->failed = s->stats.failed = true;
		push_done(s, b);
		uv_mutex_unlock(&s->mu);
		uv_async_send(&s->async);
		return;
	}
	int rc = apply_obs(s, b);
	if (rc == SQLITE_OK)
		rc = apply_events(s, b);
	if (rc == SQLITE_OK)
		rc = apply_others(s, b);
	batch_free_rows(b);
	txn_append(s, b);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "vigil: store: write failed: %s\n", sqlite3_errmsg(s->db));
		exec(s, "ROLLBACK");
		s->txn_open = false;
		s->n_oagg = s->n_eagg = 0;
		finish_txn(s, VG_EDB);
		return;
	}
	s->txn_rows += b->result.rows;
	if (s->txn_rows >= s->opt.batch_rows)
		txn_commit(s);
}

/* ---- queries (store thread) --------------------------------------------------------- */

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	model_copy_str(dst, size, t ? (const char *)t : "", (size_t)-1);
}

static int64_t col_i64_or(sqlite3_stmt *st, int i, int64_t dflt)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

/* Run sql, calling row() for each row with a growing array; returns SQLite code. */
static int query_rows(struct store *s, const char *sql, void **arr, size_t *n, size_t size,
                      int64_t arg, void (*row)(sqlite3_stmt *st, void *elem))
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	struct arr a = { 0 };
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		void *e = arr_push(&a, size);
		if (!e) {
			rc = SQLITE_NOMEM;
			break;
		}
		row(st, e);
	}
	sqlite3_finalize(st);
	*arr = a.v;
	*n = a.n;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void row_tail(sqlite3_stmt *st, void *e)
{
	struct store_tail_pos *t = e;
	t->dev = (uint64_t)sqlite3_column_int64(st, 0);
	t->ino = (uint64_t)sqlite3_column_int64(st, 1);
	col_copy(st, 2, t->path, sizeof(t->path));
	t->offset = sqlite3_column_int64(st, 3);
	t->line_no = sqlite3_column_int64(st, 4);
	t->head_sig = (uint64_t)sqlite3_column_int64(st, 5);
	t->updated_ms = sqlite3_column_int64(st, 6);
}

static void row_outbox(sqlite3_stmt *st, void *e)
{
	struct store_outbox *o = e;
	o->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, o->sink, sizeof(o->sink));
	col_copy(st, 2, o->dedup_key, sizeof(o->dedup_key));
	o->sequence = sqlite3_column_int64(st, 3);
	o->payload_json = col_dup(st, 4);
	int state = store_outbox_state_parse((const char *)sqlite3_column_text(st, 5));
	o->state = state < 0 ? OUTBOX_PENDING : (enum outbox_state)state;
	o->attempts = sqlite3_column_int(st, 6);
	o->next_attempt_ms = sqlite3_column_int64(st, 7);
	o->created_ms = sqlite3_column_int64(st, 8);
	o->delivered_ms = col_i64_or(st, 9, 0);
	col_copy(st, 10, o->op, sizeof(o->op));
	o->incident_id = col_i64_or(st, 11, 0);
}

static void row_action(sqlite3_stmt *st, void *e)
{
	struct store_operator_action *a = e;
	a->id = sqlite3_column_int64(st, 0);
	a->incident_id = sqlite3_column_int64(st, 1);
	int act = action_parse((const char *)sqlite3_column_text(st, 2));
	a->action = act < 0 ? ACTION_NOTE : (enum action_kind)act;
	col_copy(st, 3, a->actor, sizeof(a->actor));
	a->note = col_dup(st, 4);
	a->time_ms = sqlite3_column_int64(st, 5);
	a->applied = sqlite3_column_int(st, 6) != 0;
}

static void row_incident(sqlite3_stmt *st, void *e)
{
	struct store_incident *i = e;
	i->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, i->key, sizeof(i->key));
	int c = model_category_parse((const char *)sqlite3_column_text(st, 2), (size_t)-1);
	i->category = c < 0 ? CAT_MONITOR : (enum category)c;
	int sub = model_subtype_parse((const char *)sqlite3_column_text(st, 3), (size_t)-1);
	i->subtype = sub < 0 ? SUB_PROVIDER_OTHER : (enum subtype)sub;
	col_copy(st, 4, i->provider, sizeof(i->provider));
	col_copy(st, 5, i->model, sizeof(i->model));
	int sev = model_severity_parse((const char *)sqlite3_column_text(st, 6), (size_t)-1);
	i->severity = sev < 0 ? SEV_LOW : (enum severity)sev;
	int state = incident_state_parse((const char *)sqlite3_column_text(st, 7), (size_t)-1);
	i->state = state < 0 ? INC_OPEN : (enum incident_state)state;
	i->count = sqlite3_column_int64(st, 8);
	i->first_ms = sqlite3_column_int64(st, 9);
	i->last_ms = sqlite3_column_int64(st, 10);
	i->detail_json = col_dup(st, 11);
}

static int64_t max_id(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void run_query(struct store *s, struct store_batch *b)
{
	struct store_answer *a = &b->answer;
	int rc = SQLITE_OK;
	void *v = NULL;
	switch (a->query) {
	case STORE_Q_TAIL_POSITIONS:
		rc = query_rows(s,
		                "SELECT dev, ino, path, read_offset, line_no, head_sig, updated_ms "
		                "FROM tail_positions",
		                &v, &a->n_tails, sizeof(*a->tails), 0, row_tail);
		a->tails = v;
		break;
	case STORE_Q_OUTBOX_PENDING:
		rc = query_rows(s,
		                "SELECT id, sink, dedup_key, sequence, payload, state, attempts, "
		                "next_attempt_ms, created_ms, delivered_ms, op, incident_id "
		                "FROM outbox WHERE state = 'pending' ORDER BY id",
		                &v, &a->n_outbox, sizeof(*a->outbox), 0, row_outbox);
		a->outbox = v;
		break;
	case STORE_Q_ACTIONS_UNAPPLIED:
		rc = query_rows(s,
		                "SELECT id, incident_id, action, actor, note, time_ms, applied "
		                "FROM operator_actions WHERE applied = 0 ORDER BY id",
		                &v, &a->n_actions, sizeof(*a->actions), 0, row_action);
		a->actions = v;
		break;
	case STORE_Q_INCIDENTS_OPEN:
		rc = query_rows(s,
		                "SELECT id, key, category, subtype, provider, model, severity, "
		                "state, count, first_ms, last_ms, detail FROM incidents "
		                "WHERE state != 'resolved' ORDER BY id",
		                &v, &a->n_incidents, sizeof(*a->incidents), 0, row_incident);
		a->incidents = v;
		break;
	case STORE_Q_MAX_IDS:
		a->max_ids.incident = max_id(s, "SELECT max(id) FROM incidents");
		a->max_ids.outbox = max_id(s, "SELECT max(id) FROM outbox");
		a->max_ids.action = max_id(s, "SELECT max(id) FROM operator_actions");
		a->max_ids.event = max_id(s, "SELECT max(event_id) FROM failure_events");
		break;
	}
	a->err = rc == SQLITE_OK ? 0 : VG_EDB;
	uv_mutex_lock(&s->mu);
	push_done(s, b);
	uv_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

/* ---- retention (store thread) ----------------------------------------------------------- */

/* Delete at most prune_chunk old rows from each table, each in its own short
 * transaction. Returns true when some table may hold more. */
static bool prune_some(struct store *s)
{
	static const char *const sql[] = {
		"DELETE FROM observations WHERE id IN (SELECT id FROM observations "
		"WHERE ts_ms < ?1 LIMIT ?2)",
		"DELETE FROM failure_events WHERE id IN (SELECT id FROM failure_events "
		"WHERE time_ms < ?1 LIMIT ?2)",
		"DELETE FROM breaker_transitions WHERE id IN (SELECT id FROM breaker_transitions "
		"ORDER BY id LIMIT ?2) AND time_ms < ?1",
		"DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id "
		"LIMIT ?2) AND time_ms < ?1",
		"DELETE FROM incident_history WHERE id IN (SELECT id FROM incident_history "
		"ORDER BY id LIMIT ?2) AND time_ms < ?1",
		"DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE last_ms < ?1 "
		"AND state = 'resolved' LIMIT ?2)",
		"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?2) "
		"AND state != 'pending' AND created_ms < ?1",
		"DELETE FROM operator_actions WHERE id IN (SELECT id FROM operator_actions "
		"ORDER BY id LIMIT ?2) AND applied = 1 AND time_ms < ?1",
		"DELETE FROM obs_minute WHERE minute_ms IN (SELECT minute_ms FROM obs_minute "
		"WHERE minute_ms < ?1 LIMIT ?2)",
		"DELETE FROM event_minute WHERE minute_ms IN (SELECT minute_ms FROM event_minute "
		"WHERE minute_ms < ?1 LIMIT ?2)",
		"DELETE FROM health_minute WHERE minute_ms IN (SELECT minute_ms FROM health_minute "
		"WHERE minute_ms < ?1 LIMIT ?2)",
	};
	int64_t cutoff = wall_ms() - s->opt.retention_ms;
	bool more = false;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_int64(st, 1, cutoff);
		sqlite3_bind_int(st, 2, s->opt.prune_chunk);
		if (exec(s, "BEGIN IMMEDIATE") == SQLITE_OK) {
			int rc = sqlite3_step(st);
			int n = sqlite3_changes(s->db);
			if (rc == SQLITE_DONE && exec(s, "COMMIT") == SQLITE_OK) {
				s->pruned += n;
				uv_mutex_lock(&s->mu);
				s->stats.pruned = s->pruned;
				uv_mutex_unlock(&s->mu);
				if (n >= s->opt.prune_chunk)
					more = true;
			} else {
				exec(s, "ROLLBACK");
			}
		}
		sqlite3_finalize(st);
	}
	return more;
}

/* ---- the thread ---------------------------------------------------------------------- */

static void store_thread(void *arg)
{
	struct store *s = arg;
	for (;;) {
		struct store_batch *item = NULL;
		bool do_commit = false, do_prune = false, stopping = false;
		uv_mutex_lock(&s->mu);
		for (;;) {
			if (s->q_head) {
				item = s->q_head;
				s->q_head = item->next;
				if (!s->q_head)
					s->q_tail = NULL;
				if (item->kind == ITEM_ROWS)
					s->queued--;
				break;
			}
			if (s->stop) {
				stopping = true;
				break;
			}
			uint64_t now = uv_hrtime();
			if (s->txn_open && now >= s->txn_deadline_ns) {
				do_commit = true;
				break;
			}
			if (!s->txn_open && s->opt.retention_ms > 0 && now >= s->next_prune_ns) {
				do_prune = true;
				break;
			}
			uint64_t deadline = s->txn_open               ? s->txn_deadline_ns
			                    : s->opt.retention_ms > 0 ? s->next_prune_ns
			                                              : 0;
			if (deadline)
				uv_cond_timedwait(&s->cv, &s->mu, deadline - now);
			else
				uv_cond_wait(&s->cv, &s->mu);
		}
		bool wake_loop = item && item->kind == ITEM_ROWS && s->space_wanted;
		uv_mutex_unlock(&s->mu);
		if (wake_loop)
			uv_async_send(&s->async);

		if (stopping) {
			txn_commit(s);
			break;
		}
		if (do_commit) {
			txn_commit(s);
			continue;
		}
		if (do_prune) {
			bool more = prune_some(s);
			s->next_prune_ns =
			        uv_hrtime() +
			        (more ? 50000000u : (uint64_t)s->opt.prune_interval_ms * 1000000u);
			continue;
		}
		switch (item->kind) {
		case ITEM_ROWS: apply_batch(s, item); break;
		case ITEM_FLUSH:
			txn_append(s, item);
			if (s->txn_open) {
				txn_commit(s);
			} else {
				finish_txn(s, s->failed ? VG_EDB : 0);
			}
			break;
		case ITEM_QUERY: run_query(s, item); break;
		case ITEM_STOP: break;
		}
	}
}

/* ---- loop side -------------------------------------------------------------------------- */

static void deliver(struct store *s)
{
	uv_mutex_lock(&s->mu);
	struct store_batch *b = s->done_head;
	s->done_head = s->done_tail = NULL;
	bool space = s->space_wanted && s->queued < s->opt.queue_batches && !s->failed;
	if (space)
		s->space_wanted = false;
	uv_mutex_unlock(&s->mu);
	while (b) {
		struct store_batch *next = b->next;
		if (b->kind == ITEM_QUERY) {
			if (b->qcb)
				b->qcb(b->data, &b->answer);
		} else if (b->cb) {
			b->cb(b->data, &b->result);
		}
		store_batch_free(b);
		b = next;
	}
	if (space && s->opt.on_space)
		s->opt.on_space(s->opt.data);
}

static void on_async(uv_async_t *h)
{
	deliver(h->data);
}

static void enqueue(struct store *s, struct store_batch *b)
{
	b->next = NULL;
	if (s->q_tail)
		s->q_tail->next = b;
	else
		s->q_head = b;
	s->q_tail = b;
	uv_cond_signal(&s->cv);
}

int store_submit(struct store *s, struct store_batch *b)
{
	int rc = 0;
	uv_mutex_lock(&s->mu);
	if (s->failed) {
		rc = VG_EDB;
	} else if (s->queued >= s->opt.queue_batches) {
		s->space_wanted = true;
		rc = VG_EFULL;
	} else {
		b->kind = ITEM_ROWS;
		s->queued++;
		enqueue(s, b);
	}
	uv_mutex_unlock(&s->mu);
	return rc;
}

static int submit_special(struct store *s, struct store_batch *b)
{
	uv_mutex_lock(&s->mu);
	bool failed = s->failed;
	if (!failed)
		enqueue(s, b);
	uv_mutex_unlock(&s->mu);
	if (failed) {
		store_batch_free(b);
		return VG_EDB;
	}
	return 0;
}

int store_flush(struct store *s, store_commit_cb cb, void *data)
{
	struct store_batch *b = store_batch_new(cb, data);
	if (!b)
		return VG_ENOMEM;
	b->kind = ITEM_FLUSH;
	return submit_special(s, b);
}

int store_query(struct store *s, enum store_query q, store_answer_cb cb, void *data)
{
	struct store_batch *b = store_batch_new(NULL, data);
	if (!b)
		return VG_ENOMEM;
	b->kind = ITEM_QUERY;
	b->qcb = cb;
	b->answer.query = q;
	return submit_special(s, b);
}

void store_stats(struct store *s, struct store_stats *out)
{
	uv_mutex_lock(&s->mu);
	*out = s->stats;
	out->queued = s->queued;
	uv_mutex_unlock(&s->mu);
}

/* ---- open and close -------------------------------------------------------------------- */

static int migrate(struct store *s, char **cause)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version > store__n_migrations) {
		if (cause)
			*cause = msg("%s: database schema version %d is newer than this vigil "
			             "knows (%d)",
			             s->path, version, store__n_migrations);
		return VG_EVERSION;
	}
	for (int v = version; v < store__n_migrations; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		char *err = NULL;
		if (exec(s, "BEGIN IMMEDIATE") != SQLITE_OK ||
		    sqlite3_exec(s->db, store__migrations[v], NULL, NULL, &err) != SQLITE_OK ||
		    exec(s, pragma) != SQLITE_OK || exec(s, "COMMIT") != SQLITE_OK) {
			if (cause)
				*cause = msg("%s: migration to schema %d failed: %s", s->path,
				             v + 1, err ? err : sqlite3_errmsg(s->db));
			sqlite3_free(err);
			exec(s, "ROLLBACK");
			return VG_EDB;
		}
	}
	return 0;
}

static void close_db(struct store *s)
{
	for (int i = 0; i < ST__COUNT; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
}

/* Process-wide SQLite settings, before SQLite initialises: no global
 * allocation statistics (a mutex on every malloc), and connections that are
 * each used by one thread at a time (vigil never shares one). */
static void sqlite_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}

int store_open(struct store **out, uv_loop_t *loop, const struct store_options *opt, char **cause)
{
	/* after SQLite has initialised this is refused (SQLITE_MISUSE): harmless */
	sqlite_global_config();
	*out = NULL;
	if (cause)
		*cause = NULL;
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return VG_ENOMEM;
	s->loop = loop;
	s->opt = *opt;
	if (s->opt.batch_rows <= 0)
		s->opt.batch_rows = 20000;
	if (s->opt.batch_ms <= 0)
		s->opt.batch_ms = 200;
	if (s->opt.queue_batches <= 0)
		s->opt.queue_batches = 8;
	if (s->opt.prune_chunk <= 0)
		s->opt.prune_chunk = 1000;
	if (s->opt.prune_interval_ms <= 0)
		s->opt.prune_interval_ms = 10000;
	model_copy_str(s->path, sizeof(s->path), opt->path ? opt->path : "vigil.db", (size_t)-1);
	s->opt.path = s->path;
	int rc;

	/* Create the file ourselves so that it (and the -wal/-shm files SQLite
	 * derives from it) is private to the user from the start. */
	int fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (cause)
			*cause = msg("%s: cannot open: %s", s->path, strerror(errno));
		free(s);
		return VG_EIO;
	}
	close(fd);
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		if (cause)
			*cause = msg("%s: cannot open database: %s", s->path,
			             s->db ? sqlite3_errmsg(s->db) : "out of memory");
		rc = VG_EDB;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	char *err = NULL;
	if (sqlite3_exec(s->db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	                 "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1024;"
	                 "PRAGMA wal_autocheckpoint = 4000;",
	                 NULL, NULL, &err) != SQLITE_OK) {
		if (cause)
			*cause = msg("%s: not a usable database: %s", s->path,
			             err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		rc = VG_EDB;
		goto fail;
	}
	rc = migrate(s, cause);
	if (rc != 0)
		goto fail;
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
		                       NULL) != SQLITE_OK) {
			if (cause)
				*cause = msg("%s: %s", s->path, sqlite3_errmsg(s->db));
			rc = VG_EDB;
			goto fail;
		}
	}
	if (uv_mutex_init(&s->mu) != 0) {
		rc = VG_ENOMEM;
		goto fail;
	}
	if (uv_cond_init(&s->cv) != 0) {
		rc = VG_ENOMEM;
		goto fail_mutex;
	}
	if (uv_async_init(loop, &s->async, on_async) != 0) {
		rc = VG_ENOMEM;
		goto fail_cond;
	}
	s->async.data = s;
	s->next_prune_ns = uv_hrtime();
	if (uv_thread_create(&s->thread, store_thread, s) != 0) {
		rc = VG_ENOMEM;
		goto fail_async;
	}
	s->thread_started = true;
	*out = s;
	return 0;

fail_async:
	/* the handle is closed without a callback owner: free after the loop runs it */
	uv_close((uv_handle_t *)&s->async, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
fail_cond:
	uv_cond_destroy(&s->cv);
fail_mutex:
	uv_mutex_destroy(&s->mu);
fail:
	close_db(s);
	free(s);
	return rc;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	uv_mutex_lock(&s->mu);
	s->stop = true;
	uv_cond_signal(&s->cv);
	uv_mutex_unlock(&s->mu);
	if (s->thread_started)
		uv_thread_join(&s->thread);
	/* anything still queued was never applied: report it as failed */
	struct store_batch *b = s->q_head;
	while (b) {
		struct store_batch *next = b->next;
		b->result.err = VG_ESTATE;
		push_done(s, b);
		b = next;
	}
	s->q_head = s->q_tail = NULL;
	deliver(s);
	close_db(s);
	uv_cond_destroy(&s->cv);
	uv_mutex_destroy(&s->mu);
	uv_close((uv_handle_t *)&s->async, on_closed);
}
