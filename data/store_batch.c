/*
 * store_batch.c: building batches (see store.h): the rows of every kind a
 * producer adds, copied into the batch's own memory, on any thread; and the
 * names the store writes for its own enums. A batch is plain memory until
 * store_submit() hands it to the store thread (data/store.c).
 */
#include "data/store_internal.h"

#include "core/incident.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	b->kind = STORE__ROWS;
	b->cb = cb;
	b->data = data;
	b->clock_ms = INT64_MIN;
	return b;
}

void store__batch_free_rows(struct store_batch *b)
{
	for (size_t i = 0; i < b->inc.n; i++)
		free((char *)STORE__AT(b->inc, struct store__inc_row, i)->r.detail_json);
	for (size_t i = 0; i < b->events.n; i++)
		free(STORE__AT(b->events, struct store__ev_row, i)->detail);
	for (size_t i = 0; i < b->hist.n; i++)
		free((char *)STORE__AT(b->hist, struct store_incident_history, i)->note);
	for (size_t i = 0; i < b->outbox.n; i++)
		free((char *)STORE__AT(b->outbox, struct store_outbox, i)->payload_json);
	for (size_t i = 0; i < b->acts.n; i++)
		free((char *)STORE__AT(b->acts, struct store_operator_action, i)->note);
	struct store__arr *all[] = { &b->obs,     &b->events, &b->trans, &b->inc,     &b->hist,
		                     &b->outbox,  &b->oupd,   &b->acts,  &b->applied, &b->quar,
		                     &b->tails,   &b->health, &b->ostr,  &b->rus,     &b->models,
		                     &b->reviews, &b->blbytes };
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
	free(a->unnotified);
	store__answer_free_baselines(a);
	memset(a, 0, sizeof(*a));
}

void store_batch_free(struct store_batch *b)
{
	if (!b)
		return;
	store__batch_free_rows(b);
	answer_free(&b->answer);
	free(b);
}

size_t store_batch_rows(const struct store_batch *b)
{
	return b->rows;
}

#define PUSH(b, field, T, var)                                                                     \
	T *var = store__arr_push(&(b)->field, sizeof(T));                                          \
	if (!var)                                                                                  \
		return VG_ENOMEM;                                                                  \
	(b)->rows++

/* Append s (NUL-terminated within max bytes) to the batch's string arena. */
static int add_str(struct store_batch *b, const char *s, size_t max, uint32_t *off)
{
	size_t n = strnlen(s, max - 1);
	struct store__arr *a = &b->ostr;
	if (a->n + n + 1 > UINT32_MAX)
		return VG_ENOMEM;
	if (a->n + n + 1 > a->cap && vg_grow(&a->v, &a->cap, a->n + n + 1, 1, 4096) != 0)
		return VG_ENOMEM;
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
	uint32_t str[STORE__OS_COUNT];
	size_t used = b->ostr.n;
	if (add_str(b, o->request_id, sizeof(o->request_id), &str[STORE__OS_REQUEST_ID]) ||
	    add_str(b, o->pid.provider, sizeof(o->pid.provider), &str[STORE__OS_PROVIDER]) ||
	    add_str(b, o->pid.model, sizeof(o->pid.model), &str[STORE__OS_MODEL]) ||
	    add_str(b, o->pid.region, sizeof(o->pid.region), &str[STORE__OS_REGION]) ||
	    add_str(b, o->pid.key_alias, sizeof(o->pid.key_alias), &str[STORE__OS_KEY_ALIAS]) ||
	    add_str(b, o->template_id, sizeof(o->template_id), &str[STORE__OS_TEMPLATE])) {
		b->ostr.n = used;
		return VG_ENOMEM;
	}
	struct store__obs_row *r = store__arr_push(&b->obs, sizeof(*r));
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
	if (o->ts_ms > b->clock_ms)
		b->clock_ms = o->ts_ms;
	return 0;
}

int store_batch_add_event(struct store_batch *b, const struct failure_event *ev)
{
	json_t *j = event_to_json(ev);
	char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!detail)
		return VG_ENOMEM;
	struct store__ev_row *r = store__arr_push(&b->events, sizeof(*r));
	if (!r) {
		free(detail);
		return VG_ENOMEM;
	}
	r->ev = *ev;
	if (ev->time_ms > b->clock_ms)
		b->clock_ms = ev->time_ms;
	r->detail = detail;
	b->rows++;
	return 0;
}

static struct store__inc_row *find_incident(struct store_batch *b, int64_t id)
{
	for (size_t i = b->inc.n; i-- > 0;) {
		struct store__inc_row *r = STORE__AT(b->inc, struct store__inc_row, i);
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
	struct store__inc_row *r = find_incident(b, inc->id);
	if (!r) {
		r = store__arr_push(&b->inc, sizeof(*r));
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

int store_batch_add_notification(struct store_batch *b, const struct notification *nt, int64_t id,
                                 enum outbox_state state, int64_t delivered_ms)
{
	struct store_outbox o;
	memset(&o, 0, sizeof(o));
	o.id = id;
	model_copy_str(o.sink, sizeof(o.sink), nt->sink, (size_t)-1);
	model_copy_str(o.dedup_key, sizeof(o.dedup_key), nt->dedup_key, (size_t)-1);
	model_copy_str(o.idem_key, sizeof(o.idem_key), nt->idem_key, (size_t)-1);
	model_copy_str(o.op, sizeof(o.op), route_op_name(nt->op), (size_t)-1);
	o.incident_id = nt->incident_id;
	o.sequence = nt->time_ms;
	o.payload_json = nt->payload ? nt->payload : "{}";
	o.state = state;
	o.next_attempt_ms = nt->time_ms;
	o.created_ms = nt->time_ms;
	o.delivered_ms = delivered_ms;
	return store_batch_add_outbox(b, &o);
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
	for (size_t i = 0; i < e->n_notifications && rc == 0; i++)
		rc = store_batch_add_notification(b, &e->notifications[i],
		                                  next_outbox_id ? (*next_outbox_id)++ : 0,
		                                  OUTBOX_PENDING, 0);
	if (rc == 0)
		rc = store__batch_add_baselines(b, e);
	return rc;
}

int store_batch_refresh_incidents(struct store_batch *b, const struct incidents *t)
{
	for (size_t i = 0; i < b->inc.n; i++) {
		struct store__inc_row *r = STORE__AT(b->inc, struct store__inc_row, i);
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
	struct store__inc_row *r = find_incident(b, inc->id);
	if (r) {
		free((char *)r->r.detail_json);
	} else {
		r = store__arr_push(&b->inc, sizeof(*r));
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
	struct store_incident_history *r = store__arr_push(&b->hist, sizeof(*r));
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
	struct store_outbox *r = store__arr_push(&b->outbox, sizeof(*r));
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
	struct store_operator_action *r = store__arr_push(&b->acts, sizeof(*r));
	if (!r) {
		free(note);
		return VG_ENOMEM;
	}
	*r = *a;
	r->note = note;
	b->rows++;
	return 0;
}

int store_batch_mark_action_applied(struct store_batch *b, int64_t action_id, const char *outcome)
{
	PUSH(b, applied, struct store__applied, r);
	r->id = action_id;
	snprintf(r->outcome, sizeof(r->outcome), "%s", outcome ? outcome : "applied");
	return 0;
}

int store_batch_add_quarantine(struct store_batch *b, const struct store_quarantine *q)
{
	PUSH(b, quar, struct store__qrow, r);
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
		struct store_tail_pos *t = STORE__AT(b->tails, struct store_tail_pos, i);
		if (t->dev == p->dev && t->ino == p->ino) {
			*t = *p;
			return 0;
		}
	}
	PUSH(b, tails, struct store_tail_pos, r);
	*r = *p;
	return 0;
}

/* A string a batch owns, masked in place (the row's const is the API's
 * promise to its callers, not to the store that owns the copy). */
static void redact_owned(const struct redact *r, const char *s)
{
	redact_str(r, (char *)(uintptr_t)s);
}

void store__batch_redact(struct store_batch *b, const struct redact *r)
{
	if (b->ostr.n)
		redact_buf(r, b->ostr.v, b->ostr.n);
	for (size_t i = 0; i < b->events.n; i++) {
		struct store__ev_row *e = STORE__AT(b->events, struct store__ev_row, i);
		event_redact(&e->ev, r);
		redact_str(r, e->detail);
	}
	for (size_t i = 0; i < b->inc.n; i++) {
		struct store_incident *in = &STORE__AT(b->inc, struct store__inc_row, i)->r;
		redact_str(r, in->key);
		redact_str(r, in->provider);
		redact_str(r, in->model);
		redact_owned(r, in->detail_json);
	}
	for (size_t i = 0; i < b->hist.n; i++) {
		struct store_incident_history *h =
		        STORE__AT(b->hist, struct store_incident_history, i);
		redact_str(r, h->actor);
		redact_owned(r, h->note);
	}
	for (size_t i = 0; i < b->outbox.n; i++) {
		struct store_outbox *o = STORE__AT(b->outbox, struct store_outbox, i);
		redact_str(r, o->dedup_key);
		redact_owned(r, o->payload_json);
	}
	for (size_t i = 0; i < b->acts.n; i++) {
		struct store_operator_action *a =
		        STORE__AT(b->acts, struct store_operator_action, i);
		redact_str(r, a->actor);
		redact_owned(r, a->note);
	}
	for (size_t i = 0; i < b->quar.n; i++) {
		struct store__qrow *q = STORE__AT(b->quar, struct store__qrow, i);
		redact_str(r, q->q.file);
		redact_str(r, q->q.detail);
		redact_buf(r, (char *)q->head, q->q.head_len);
	}
	for (size_t i = 0; i < b->tails.n; i++)
		redact_str(r, STORE__AT(b->tails, struct store_tail_pos, i)->path);
	for (size_t i = 0; i < b->health.n; i++) {
		struct store_health *h = STORE__AT(b->health, struct store_health, i);
		redact_str(r, h->provider);
		redact_str(r, h->model);
	}
}
