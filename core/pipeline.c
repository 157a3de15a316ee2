/*
 * pipeline.c: the decision pipeline (see pipeline.h). One call runs these
 * stages in order; each is a function below (stage 5 in pipeline_events.c),
 * so a later module adds a stage by adding a call in pipeline_feed():
 *
 *   1. admit       check the observation, move the time high-water mark
 *   2. semantic    inline semantic checks (core/semantic) fill the still
 *                  unset verdicts of a copy; text work over the inline
 *                  budget is deferred to the sidecar (effects say so) and
 *                  comes back through pipeline_feed_text()
 *   3. classify    the taxonomy tree -> signals
 *   4. state       entities (provider, provider/model), sliding windows,
 *                  failover evidence, breakers, health windows
 *   5. events      hard signals at once, soft ones after the window test;
 *                  severity from the snapshot; escalation bookkeeping
 *   6. incidents   grouped, escalated and resolved by core/incident
 *
 * State lives in entities: one per provider (soft windows, breaker, health,
 * escalation) and one per provider/model (health, and a breaker where the
 * config asks). Entities are created on first sight (the only allocation,
 * outside the steady state) up to PIPELINE_MAX_ENTITIES; beyond that an
 * observation is still classified, but its state is not kept.
 *
 * This file owns the life cycle, the entry points (the order of the
 * stages), stages 1 to 4 and the incident settings and operator actions;
 * the entity table is in pipeline_entity.c, stage 5 in pipeline_events.c,
 * and the state they share in pipeline_internal.h.
 */
#include "core/pipeline.h"

#include "core/pipeline_internal.h"
#include "core/redact.h"
#include "core/price.h"
#include "core/semantic.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- life cycle ---------------------------------------------------------- */

struct pipeline *pipeline_new(const struct core_settings *settings,
                              const struct pipeline_provider *providers, size_t n_providers)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->settings = *settings;
	severity_table_init(&p->sev, settings);
	p->now = VG_NONE;
	p->next_id = 1;
	swin_init(&p->global, settings->soft_window_ms, 1);
	p->ents = calloc(PIPELINE_MAX_ENTITIES, sizeof(*p->ents));
	if (!p->ents)
		goto fail;
	if (n_providers) {
		p->providers = malloc(n_providers * sizeof(*providers));
		if (!p->providers)
			goto fail;
		memcpy(p->providers, providers, n_providers * sizeof(*providers));
		p->n_providers = n_providers;
		for (size_t i = 0; i < n_providers; i++)
			if (p->providers[i].n_models > PIPELINE_MAX_MODELS)
				p->providers[i].n_models = PIPELINE_MAX_MODELS;
	}
	if (pipeline__reserve_transitions(p, 16) != 0)
		goto fail;
	struct incident_settings is;
	incident_settings_defaults(&is);
	p->incidents = incidents_new(&is, 1);
	if (!p->incidents)
		goto fail;
	payload_options_defaults(&p->popts);
	route_buf_init(&p->routes);
	struct semantic_settings ss;
	semantic_defaults(&ss);
	p->sem = semantic_new(&ss, settings, NULL);
	if (!p->sem)
		goto fail;
	return p;
fail:
	pipeline_free(p);
	return NULL;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_ents; i++)
		free(p->ents[i]);
	free(p->ents);
	pipeline__scope_free(p);
	free(p->providers);
	free(p->transitions);
	incidents_free(p->incidents);
	route_buf_done(&p->routes);
	semantic_free(p->sem);
	pipeline__bl_free(p);
	free(p->blfx.ro);
	free(p->blfx.mo);
	free(p->blfx.rv);
	free(p);
}

int pipeline_set_semantic(struct pipeline *p, const struct semantic_settings *s,
                          const struct jschema_set *schemas)
{
	if (p->observations)
		return VG_ESTATE;
	struct semantic *sem = semantic_new(s, &p->settings, schemas);
	if (!sem)
		return VG_ENOMEM;
	semantic_free(p->sem);
	p->sem = sem;
	return 0;
}

int pipeline_update_semantic(struct pipeline *p, const struct semantic_settings *s,
                             const struct jschema_set *schemas)
{
	return semantic_reconfigure(p->sem, s, schemas);
}

struct semantic *pipeline_semantic(struct pipeline *p)
{
	return p->sem;
}

void pipeline_set_next_event_id(struct pipeline *p, uint64_t id)
{
	p->next_id = id ? id : 1;
}

int64_t pipeline_now(const struct pipeline *p)
{
	return p->now;
}

void pipeline_taxonomy_counts(const struct pipeline *p, uint64_t counts[CAT__COUNT][SEV__COUNT])
{
	memcpy(counts, p->tax_counts, sizeof(p->tax_counts));
}

/* ---- stages -------------------------------------------------------------- */

void pipeline__begin(struct pipeline *p, struct effects *out)
{
	p->n_events = 0;
	p->n_transitions = 0;
	p->stage6_err = 0;
	p->sem_deferred = false;
	incidents_begin(p->incidents);
	route_buf_clear(&p->routes);
	p->blfx.n_ro = p->blfx.n_mo = p->blfx.n_rv = 0;
	p->blfx.due = false;
	(void)out; /* pipeline__finish() sets every field */
}

/* Stage 6 (after the events of this call exist): incident changes, then the
 * notifications they cause. */
static void stage_incidents(struct pipeline *p, int64_t now)
{
	/* texts from outside, masked of API keys before an incident quotes them */
	for (size_t i = 0; i < p->n_events; i++)
		event_redact(&p->events[i], p->redact);
	for (size_t i = 0; i < p->n_events; i++)
		if (incidents_add(p->incidents, &p->events[i], now) == VG_ENOMEM)
			p->stage6_err = VG_ENOMEM;
	if (incidents_tick(p->incidents, now))
		p->stage6_err = VG_ENOMEM;
}

void pipeline__finish(struct pipeline *p, struct effects *out)
{
	out->semantic_deferred = p->sem_deferred;
	size_t n;
	const struct incident_change *ch = incidents_changes(p->incidents, &n);
	/* what the alerts carry about the provider, as of now (not for the
	 * per-event updates, which route nowhere) */
	for (size_t i = 0; i < n; i++) {
		if (ch[i].kind == INCC_UPDATED || !ch[i].incident || !p->n_sinks)
			continue;
		struct incident_context c;
		pipeline__alert_context(p, ch[i].incident, vg_has(p->now) ? p->now : ch[i].time_ms,
		                        &c);
		incidents_set_context(p->incidents, ch[i].incident_id, &c);
	}
	for (size_t i = 0; i < n; i++)
		if (route_change(p->sinks, p->n_sinks, &ch[i], &p->popts, &p->routes))
			p->stage6_err = VG_ENOMEM;
	/* the payloads quote incidents, notes and operators' words: the last
	 * place before a sink */
	for (size_t i = 0; i < p->routes.n; i++)
		redact_str(p->redact, p->routes.v[i].payload);
	out->events = p->events;
	out->n_events = p->n_events;
	out->transitions = p->transitions;
	out->n_transitions = p->n_transitions;
	out->incident_changes = ch;
	out->n_incident_changes = n;
	out->notifications = p->routes.v;
	out->n_notifications = p->routes.n;
	out->rollups = p->blfx.ro;
	out->n_rollups = p->blfx.n_ro;
	out->models = p->blfx.mo;
	out->n_models = p->blfx.n_mo;
	out->reviews = p->blfx.rv;
	out->n_reviews = p->blfx.n_rv;
	out->baseline_refresh_due = p->blfx.due;
}

/* An entry point's early return: *out filled (empty), rc returned. */
static int bail(struct pipeline *p, struct effects *out, int rc)
{
	pipeline__finish(p, out);
	return rc;
}

/* Stage 1: the time high-water mark. */
static int64_t advance(struct pipeline *p, int64_t now)
{
	if (!vg_has(p->now) || now > p->now)
		p->now = now;
	return p->now;
}

/*
 * Stage 2: inline semantic checks (core/semantic). They fill only verdicts
 * in *v that are still unset (v starts as a copy of obs->verdicts, so what
 * the gateway decided wins). Out of memory leaves verdicts unset: a check not
 * measured, never a wrong verdict.
 */
static void stage_semantic(struct pipeline *p, const struct observation *obs,
                           struct semantic_verdicts *v, int64_t now)
{
	if (semantic_inline(p->sem, obs, now, v) == 0)
		p->sem_deferred = v->deferred;
}

/* Stage 4a: the provider's sliding window. */
static void count_window(struct pipeline *p, struct entity *prov, const struct tax_signal *sg,
                         size_t n, int64_t now)
{
	swin_add(&p->global, now, 0, 1);
	if (!prov)
		return;
	bool seen[CAT_TAXONOMY_COUNT] = { false };
	bool hard = false;
	swin_add(&prov->win, now, SL_TOTAL, 1);
	for (size_t i = 0; i < n; i++) {
		if ((int)sg[i].category >= CAT_TAXONOMY_COUNT)
			continue;
		if (!seen[sg[i].category]) {
			seen[sg[i].category] = true;
			swin_add(&prov->win, now, pipeline__category_slot(sg[i].category), 1);
		}
		if (sg[i].soft)
			swin_add(&prov->win, now, pipeline__soft_slot(sg[i].subtype), 1);
		else if (sg[i].category == CAT_PROVIDER)
			hard = true;
	}
	if (hard)
		swin_add(&prov->win, now, SL_HARD, 1);
}

/* Stage 4b: evidence that failover works: a successful fallback request
 * after a failure of another provider is credited to that provider (a
 * failed one too, as evidence against). A successful retry on the failing
 * provider is not: in a wave with no healthy fallback some retries answer,
 * and the outage is still unrecoverable. */
static void note_failover(struct pipeline *p, const struct observation *obs,
                          const struct tax_signal *sg, size_t n, int64_t now)
{
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		if (sg[i].category == CAT_PROVIDER && sg[i].subtype != SUB_LATENCY)
			ok = false; /* the fallback failed too */
	}
	if (obs->selection_reason != SEL_FALLBACK || !obs->after_failure_of[0])
		return;
	if (strcmp(obs->after_failure_of, obs->pid.provider) == 0)
		return;
	struct entity *failed = pipeline__entity_get(p, obs->after_failure_of, "", -1, now);
	if (failed && ok) {
		failed->failover_ok_ms = now;
		model_copy_str(failed->failover_to, sizeof(failed->failover_to), obs->pid.provider,
		               (size_t)-1);
	} else if (failed)
		failed->failover_fail_ms = now;
}

static void add_transitions(struct pipeline *p, const struct entity *e,
                            const struct breaker_transition *t, int n)
{
	for (int i = 0; i < n && p->n_transitions < p->cap_transitions; i++) {
		struct breaker_transition *d = &p->transitions[p->n_transitions++];
		*d = t[i];
		model_copy_str(d->provider, sizeof(d->provider), e->provider, (size_t)-1);
		model_copy_str(d->model, sizeof(d->model), e->model, (size_t)-1);
	}
}

/* Stage 4c: breakers of the provider and (where configured) the model. */
static void stage_breakers(struct pipeline *p, struct entity *prov, struct entity *mod,
                           const struct observation *obs, const struct tax_signal *sg, size_t n,
                           int64_t now)
{
	bool failure = false;
	char what[64] = "";
	for (size_t i = 0; i < n; i++) {
		if (sg[i].category == CAT_PROVIDER && !sg[i].soft) {
			failure = true;
			if (sg[i].causal.http_status > 0)
				snprintf(what, sizeof(what), "%s %d",
				         model_subtype_name(sg[i].subtype),
				         (int)sg[i].causal.http_status);
			else
				snprintf(what, sizeof(what), "%s",
				         model_subtype_name(sg[i].subtype));
			break;
		}
	}
	struct entity *ents[2] = { prov, mod };
	for (size_t k = 0; k < 2; k++) {
		struct entity *e = ents[k];
		if (!e || !e->has_breaker)
			continue;
		struct breaker_transition t[2];
		int nt = breaker_record(&e->breaker, now, failure, failure ? what : NULL, t);
		add_transitions(p, e, t, nt);
		for (int i = 0; i < nt; i++) {
			if (t[i].oscillating)
				pipeline__emit_oscillation(p, e, &t[i], obs, now);
		}
	}
}

static enum health_err health_err_of(enum subtype sub)
{
	switch (sub) {
	case SUB_RATE_LIMIT: return HE_RATE_LIMIT;
	case SUB_SERVER_ERROR:
	case SUB_OVERLOADED: return HE_SERVER_ERROR;
	case SUB_TIMEOUT: return HE_TIMEOUT;
	case SUB_CONTENT_FILTER: return HE_CONTENT_FILTER;
	case SUB_DNS:
	case SUB_CONNECT:
	case SUB_TLS:
	case SUB_RESET: return HE_TRANSPORT;
	case SUB_AUTH:
	case SUB_QUOTA_EXHAUSTED:
	case SUB_SPEND_CAP: return HE_ACCOUNT;
	case SUB_INVALID_REQUEST: return HE_CLIENT;
	default: return HE_OTHER;
	}
}

/* min(remaining / limit) over request and token limits; NaN when none. */
static double headroom_of(const struct norm_signals *n)
{
	double h = VG_NONE_D;
	const struct ratelimit *rl[2] = { &n->rl_requests, &n->rl_tokens };
	for (size_t i = 0; i < 2; i++) {
		if (vg_has(rl[i]->limit) && vg_has(rl[i]->remaining) && rl[i]->limit > 0 &&
		    rl[i]->remaining >= 0) {
			double v = (double)rl[i]->remaining / (double)rl[i]->limit;
			if (isnan(h) || v < h)
				h = v;
		}
	}
	return h;
}

static double expected_cost(const struct entity *mod, const struct observation *obs)
{
	const struct pipeline_model *m = mod ? mod->cfg_model : NULL;
	if (!m)
		return VG_NONE_D;
	return price_cost(m->price_in_per_1k, m->price_out_per_1k, observation_input_tokens(obs),
	                  observation_output_tokens(obs));
}

/* Stage 4d: health windows of the provider and the model (the latency's
 * histogram bucket found once by the caller, for the baselines too). */
static void stage_health(struct entity *prov, struct entity *mod, const struct observation *obs,
                         const struct semantic_verdicts *v, const struct tax_signal *sg, size_t n,
                         double headroom, size_t lat_bucket, int64_t now)
{
	if (!prov)
		return;
	struct health_sample hs;
	memset(&hs, 0, sizeof(hs));
	hs.err = -1;
	for (size_t i = 0; i < n; i++) {
		if (sg[i].category == CAT_PROVIDER && sg[i].subtype != SUB_LATENCY &&
		    sg[i].subtype != SUB_TRUNCATION) {
			hs.error = true;
			hs.err = (int)health_err_of(sg[i].subtype);
			break;
		}
	}
	int st = obs->http_status;
	if (obs->transport_error != TE_NONE)
		hs.status = HS_NONE;
	else if (st >= 200 && st < 300)
		hs.status = HS_2XX;
	else if (st == 429)
		hs.status = HS_429;
	else if (st >= 400 && st < 500)
		hs.status = HS_4XX;
	else if (st >= 500)
		hs.status = HS_5XX;
	else
		hs.status = hs.error ? HS_NONE : HS_2XX;
	hs.latency_ms = obs->transport_error == TE_NONE ? obs->total_ms : VG_NONE_D;
	hs.ttfb_ms = obs->ttfb_ms;
	hs.input_tokens = observation_input_tokens(obs);
	hs.output_tokens = observation_output_tokens(obs);
	hs.schema_valid = v->schema_valid;
	hs.hallucination = v->hallucination;
	hs.unstable = pipeline__unstable_of(v);
	hs.cost_usd = obs->cost_usd;
	hs.expected_cost_usd = expected_cost(mod, obs);
	hs.headroom = headroom;
	health_record2_at(&prov->health, mod ? &mod->health : NULL, &hs, lat_bucket, now);
}

/* ---- entry points ---------------------------------------------------------- */

int pipeline_feed(struct pipeline *p, const struct observation *obs, int64_t now,
                  struct effects *out)
{
	pipeline__begin(p, out);
	if (!obs || !obs->pid.provider[0] || !vg_has(obs->ts_ms) || !vg_has(now))
		return bail(p, out, VG_EINVAL);
	now = advance(p, now);
	p->observations++;

	struct semantic_verdicts v = obs->verdicts;
	stage_semantic(p, obs, &v, now);

	struct tax_signal sg[TAXONOMY_MAX_SIGNALS];
	size_t n = taxonomy_classify(obs, &v, &p->settings, sg, COUNT(sg));

	/* The model's entity, once it exists, names its provider's: one
	 * lookup per observation instead of two. */
	struct entity *mod = NULL, *prov = NULL;
	if (obs->pid.model[0]) {
		mod = pipeline__find(p, obs->pid.provider, obs->pid.model,
		                     pipeline__entity_hash(obs->pid.provider, obs->pid.model));
		if (mod)
			prov = p->ents[mod->parent];
	}
	if (!mod) {
		prov = pipeline__entity_get(p, obs->pid.provider, "", -1, now);
		if (prov && obs->pid.model[0])
			mod = pipeline__entity_get(p, obs->pid.provider, obs->pid.model,
			                           prov->index, now);
	}
	if (prov)
		prov->last_seen_ms = now;
	if (mod)
		mod->last_seen_ms = now;
	count_window(p, prov, sg, n, now);
	pipeline__scope_count(p, obs, sg, n, true, now);
	note_failover(p, obs, sg, n, now);
	stage_breakers(p, prov, mod, obs, sg, n, now);
	double headroom = headroom_of(&obs->norm);
	size_t lat_bucket = obs->total_ms > 0 ? lhist_index(obs->total_ms) : 0;
	stage_health(prov, mod, obs, &v, sg, n, headroom, lat_bucket, now);
	pipeline__stage_events(p, obs, prov, mod, sg, n, now);
	pipeline__stage_headroom(p, obs, prov, mod, headroom, now);
	if (p->bl)
		pipeline__bl_feed(p, obs, &v, prov, mod, lat_bucket, now);
	stage_incidents(p, now);
	pipeline__finish(p, out);
	return p->stage6_err;
}

int pipeline_feed_verdicts(struct pipeline *p, const struct observation *obs, int64_t now,
                           struct effects *out)
{
	pipeline__begin(p, out);
	if (!obs || !obs->pid.provider[0] || !vg_has(now))
		return bail(p, out, VG_EINVAL);
	now = advance(p, now);
	/* Only the identity and the verdicts count: a bare successful request
	 * with nothing measured, so the tree's provider branch stays silent and
	 * the cost/data branches fire only on verdicts. */
	struct observation late;
	observation_init(&late);
	late.source = obs->source;
	late.ts_ms = obs->ts_ms;
	late.pid = obs->pid;
	late.kind = obs->kind;
	late.traffic_class = obs->traffic_class;
	late.selection_reason = obs->selection_reason;
	late.http_status = 200;
	memcpy(late.request_id, obs->request_id, sizeof(late.request_id));
	memcpy(late.template_id, obs->template_id, sizeof(late.template_id));
	late.top_similarity = obs->top_similarity;
	late.verdicts = obs->verdicts;

	struct tax_signal sg[TAXONOMY_MAX_SIGNALS];
	size_t n = taxonomy_classify(&late, &late.verdicts, &p->settings, sg, COUNT(sg));
	struct entity *prov = pipeline__entity_get(p, late.pid.provider, "", -1, now);
	struct entity *mod = NULL;
	if (prov && late.pid.model[0])
		mod = pipeline__entity_get(p, late.pid.provider, late.pid.model, prov->index, now);
	if (prov) {
		/* The request is in the window already: count its categories only. */
		bool seen[CAT_TAXONOMY_COUNT] = { false };
		for (size_t i = 0; i < n; i++) {
			if ((int)sg[i].category < CAT_TAXONOMY_COUNT && !seen[sg[i].category]) {
				seen[sg[i].category] = true;
				swin_add(&prov->win, now, pipeline__category_slot(sg[i].category),
				         1);
			}
		}
		int8_t unstable = pipeline__unstable_of(&late.verdicts);
		health_record_quality(&prov->health, late.verdicts.schema_valid,
		                      late.verdicts.hallucination, unstable, now);
		if (mod)
			health_record_quality(&mod->health, late.verdicts.schema_valid,
			                      late.verdicts.hallucination, unstable, now);
	}
	pipeline__scope_count(p, &late, sg, n, false, now);
	pipeline__stage_events(p, &late, prov, mod, sg, n, now);
	if (p->bl)
		pipeline__bl_quality(p, &late, prov, mod, now);
	stage_incidents(p, now);
	pipeline__finish(p, out);
	return p->stage6_err;
}

int pipeline_feed_text(struct pipeline *p, const struct observation *obs,
                       const struct semantic_text *t, int64_t now, struct effects *out)
{
	if (!obs || !obs->pid.provider[0] || !vg_has(now)) {
		pipeline__begin(p, out);
		return bail(p, out, VG_EINVAL);
	}
	struct observation late = *obs;
	semantic_verdicts_init(&late.verdicts);
	int rc = semantic_complete(p->sem, obs, t, vg_has(p->now) && p->now > now ? p->now : now,
	                           &late.verdicts);
	if (rc) {
		pipeline__begin(p, out);
		return bail(p, out, rc);
	}
	return pipeline_feed_verdicts(p, &late, now, out);
}

int pipeline_monitor(struct pipeline *p, enum subtype sub, const char *source, const char *detail,
                     double value, int64_t now, struct effects *out)
{
	pipeline__begin(p, out);
	if (model_subtype_category(sub) != CAT_MONITOR || !vg_has(now))
		return bail(p, out, VG_EINVAL);
	now = advance(p, now);
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	model_copy_str(pid.provider, sizeof(pid.provider), "vigil", (size_t)-1);
	model_copy_str(pid.model, sizeof(pid.model), source ? source : "", (size_t)-1);
	struct failure_event *ev = pipeline__push_event(p, sub, &pid, now);
	if (!ev)
		return bail(p, out, VG_EFULL);
	ev->causal.value = value;
	model_copy_str(ev->causal.detail, sizeof(ev->causal.detail), detail ? detail : "",
	               (size_t)-1);
	pipeline__judge(p, ev, NULL, NULL, false, now);
	stage_incidents(p, now);
	pipeline__finish(p, out);
	return p->stage6_err;
}

int pipeline_tick(struct pipeline *p, int64_t now, struct effects *out)
{
	pipeline__begin(p, out);
	if (!vg_has(now))
		return bail(p, out, VG_EINVAL);
	now = advance(p, now);
	for (size_t i = 0; i < p->n_ents; i++) {
		struct entity *e = p->ents[i];
		if (!e->has_breaker)
			continue;
		struct breaker_transition t;
		if (breaker_poll(&e->breaker, now, &t))
			add_transitions(p, e, &t, 1);
	}
	if (p->bl)
		pipeline__bl_tick(p, now);
	/* Escalation of a sustained MEDIUM arrives with the next event (the
	 * severity module judges it); here incidents get tickets and resolve. */
	stage_incidents(p, now);
	pipeline__finish(p, out);
	return p->stage6_err;
}

/* ---- incidents: configuration, operator actions, vigil's own health ---------- */

int pipeline_set_incidents(struct pipeline *p, const struct incident_settings *s, int64_t first_id)
{
	size_t n;
	incidents_list(p->incidents, &n);
	if (n)
		return VG_ESTATE;
	struct incidents *t = incidents_new(s, first_id);
	if (!t)
		return first_id < 1 ? VG_EINVAL : VG_ENOMEM;
	incidents_free(p->incidents);
	p->incidents = t;
	return 0;
}

int pipeline_set_routes(struct pipeline *p, const struct route_sink *sinks, size_t n_sinks,
                        const struct payload_options *o)
{
	if (n_sinks > PIPELINE_MAX_SINKS)
		return VG_ERANGE;
	if (n_sinks)
		memcpy(p->sinks, sinks, n_sinks * sizeof(*sinks));
	p->n_sinks = n_sinks;
	if (o)
		p->popts = *o;
	return 0;
}

int pipeline_restore_incident(struct pipeline *p, json_t *obj, char **cause)
{
	return incidents_restore(p->incidents, obj, cause);
}

const struct incidents *pipeline_incidents(const struct pipeline *p)
{
	return p->incidents;
}

/* A snooze's note: "<length>[ note]" (a Go-style duration, "30m"); a note
 * that does not start with one snoozes for an hour. */
static int snooze(struct pipeline *p, int64_t id, int64_t now, const char *actor, const char *note)
{
	const char *n = note ? note : "";
	size_t len = strcspn(n, " \t:");
	int64_t ms = 0;
	if (len && timeparse_go_duration(n, len, &ms) == 0 && ms > 0) {
		n += len;
		n += strspn(n, " \t:");
	} else {
		ms = 3600 * 1000;
	}
	return incidents_snooze(p->incidents, id, now, actor, ms, n);
}

int pipeline_operator_action(struct pipeline *p, enum action_kind action, int64_t incident_id,
                             int64_t now, const char *actor, const char *note, struct effects *out)
{
	pipeline__begin(p, out);
	if (!vg_has(now) || (unsigned)action >= ACTION__COUNT) {
		pipeline__finish(p, out);
		return VG_EINVAL;
	}
	now = advance(p, now);
	char triage[INCIDENT_NOTE_MAX];
	int rc;
	switch (action) {
	case ACTION_ACK:
		rc = incidents_acknowledge(p->incidents, incident_id, now, actor, note);
		break;
	case ACTION_RESOLVE:
		rc = incidents_resolve(p->incidents, incident_id, now, actor, note);
		break;
	case ACTION_SNOOZE: rc = snooze(p, incident_id, now, actor, note); break;
	case ACTION_TRIAGE:
		/* the wizard's path stays on the incident as a note (its history) */
		snprintf(triage, sizeof(triage), "triage: %s", note ? note : "");
		rc = incidents_note(p->incidents, incident_id, now, actor, triage);
		break;
	case ACTION_ACCEPT:
	case ACTION_REJECT:
		/* a baseline review item: incident_id is the review item's id */
		rc = pipeline__bl_review(p, action == ACTION_ACCEPT, incident_id, now, actor);
		break;
	default: rc = incidents_note(p->incidents, incident_id, now, actor, note); break;
	}
	pipeline__finish(p, out);
	return rc ? rc : p->stage6_err;
}

void pipeline_set_redact(struct pipeline *p, const struct redact *r)
{
	p->redact = r;
}
