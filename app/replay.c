/*
 * replay.c: the replay engine (see replay.h). It owns a pipeline configured
 * like the daemon's, feeds it on the observations' own clock, and keeps a
 * record per incident built from the pipeline's incident changes (the
 * tracker evicts resolved incidents after an hour; the record stays), the
 * notifications with their payload text, a compact record per failure
 * event, and the breaker transitions. The report is built from those
 * records only, so it does not depend on the wall clock.
 *
 * This file owns the engine; reading a truth file is in replay_truth.c,
 * the report in replay_report.c, what they share in replay_internal.h.
 */
#include "app/replay.h"

#include "app/pipeline_setup.h"
#include "app/replay_internal.h"
#include "core/incident.h"
#include "core/jschema.h"
#include "core/pipeline.h"
#include "core/redact.h"
#include "core/route.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int replay_new(const struct replay_options *o, struct replay **out, char **cause)
{
	*out = NULL;
	struct replay *r = calloc(1, sizeof(*r));
	struct vigil_config *defaults = NULL;
	if (!r)
		return VG_ENOMEM;
	r->opt = *o;
	r->last_refresh_ms = INT64_MIN;
	r->last_tick = VG_NONE;
	r->first_ms = r->last_ms = VG_NONE;
	const struct vigil_config *cfg = o->cfg;
	if (!cfg) {
		defaults = malloc(sizeof(*defaults));
		if (!defaults) {
			free(r);
			return VG_ENOMEM;
		}
		config_defaults(defaults);
		cfg = defaults;
	}
	/* Without sinks in the config: every payload shape (replay.h). */
	static const struct {
		const char *name;
		enum sink_kind kind;
		enum severity min;
	} dflt[] = {
		{ "pagerduty", SINK_PAGERDUTY, SEV_HIGH },
		{ "alertmanager", SINK_ALERTMANAGER, SEV_HIGH },
		{ "webhook", SINK_WEBHOOK, SEV_LOW },
		{ "jira", SINK_JIRA, SEV_MEDIUM },
	};
	struct route_sink sinks[sizeof(dflt) / sizeof(dflt[0])];
	memset(sinks, 0, sizeof(sinks));
	for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
		model_copy_str(sinks[i].name, sizeof(sinks[i].name), dflt[i].name, (size_t)-1);
		sinks[i].kind = dflt[i].kind;
		sinks[i].min_severity = dflt[i].min;
	}
	struct pipeline_setup_options so = {
		.config_path = o->config_path,
		.routes_if_none = sinks,
		.n_routes_if_none = sizeof(dflt) / sizeof(dflt[0]),
	};
	struct pipeline_setup ps;
	int rc = pipeline_setup_init(&ps, cfg, &so, cause);
	if (rc != 0)
		goto fail;
	r->pipeline = ps.p;
	r->schemas = ps.schemas;
	r->redact = ps.redact;
	free(defaults);
	*out = r;
	return 0;
fail:
	free(defaults);
	replay_free(r);
	return rc;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	pipeline_free(r->pipeline);
	jschema_set_free(r->schemas);
	redact_free(r->redact);
	for (size_t i = 0; i < r->n_incidents; i++)
		free(r->incidents[i].steps);
	free(r->incidents);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i].payload);
	free(r->notes);
	free(r->events);
	free(r->transitions);
	free(r->faults);
	free(r);
}

/* ---- collecting effects ------------------------------------------------ */

static struct rp_event *find_event(struct replay *r, uint64_t id)
{
	/* Events are kept in id order; search from the end (changes name the
	 * events of the same call). */
	size_t lo = 0, hi = r->n_events;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->events[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n_events && r->events[lo].id == id ? &r->events[lo] : NULL;
}

static struct rp_incident *incident_record(struct replay *r, int64_t id)
{
	if (id < 1)
		return NULL;
	size_t idx = (size_t)(id - 1);
	if (idx >= r->n_incidents) {
		if (vg_grow((void **)&r->incidents, &r->cap_incidents, idx + 1,
		            sizeof(*r->incidents), 64) != 0)
			return NULL;
		memset(&r->incidents[r->n_incidents], 0,
		       (idx + 1 - r->n_incidents) * sizeof(*r->incidents));
		for (size_t i = r->n_incidents; i <= idx; i++) {
			r->incidents[i].id = (int64_t)i + 1;
			r->incidents[i].page_ms = VG_NONE;
		}
		r->n_incidents = idx + 1;
	}
	return &r->incidents[idx];
}

static int on_change(struct replay *r, const struct incident_change *ch)
{
	struct rp_incident *ri = incident_record(r, ch->incident_id);
	if (!ri)
		return VG_ENOMEM;
	const struct incident *inc = ch->incident;
	if (inc) {
		model_copy_str(ri->key, sizeof(ri->key), inc->key, (size_t)-1);
		model_copy_str(ri->dedup_key, sizeof(ri->dedup_key), inc->dedup_key, (size_t)-1);
		model_copy_str(ri->provider, sizeof(ri->provider), inc->provider, (size_t)-1);
		ri->category = inc->category;
		ri->subtype = inc->subtype;
		ri->subtypes = inc->subtypes;
		ri->peak = inc->severity;
		ri->first_severity = inc->first_severity;
		ri->state = inc->state;
		ri->auto_resolved = inc->auto_resolved;
		ri->count = inc->count;
		ri->first_ms = inc->first_ms;
		ri->last_ms = inc->last_ms;
		ri->resolved_ms = inc->resolved_ms;
		ri->ticketed_ms = inc->ticketed_ms;
		ri->n_related = inc->n_related;
		memcpy(ri->related, inc->related, sizeof(ri->related));
		ri->n_templates = inc->n_templates;
		memcpy(ri->templates, inc->templates, sizeof(ri->templates));
	}
	if (ch->event_id && r->opt.keep_events) {
		struct rp_event *e = find_event(r, ch->event_id);
		if (e)
			e->incident_id = ch->incident_id;
	}
	if (ch->kind == INCC_UPDATED)
		return 0;
	if (vg_grow((void **)&ri->steps, &ri->cap_steps, ri->n_steps + 1, sizeof(*ri->steps), 64) !=
	    0)
		return VG_ENOMEM;
	struct rp_step *s = &ri->steps[ri->n_steps++];
	s->time_ms = ch->time_ms;
	s->what = ch->kind;
	s->severity = ch->sev_to;
	s->related_id = ch->related_id;
	return 0;
}

static int on_notification(struct replay *r, const struct notification *n)
{
	if (vg_grow((void **)&r->notes, &r->cap_notes, r->n_notes + 1, sizeof(*r->notes), 64) != 0)
		return VG_ENOMEM;
	struct rp_note *c = &r->notes[r->n_notes];
	memset(c, 0, sizeof(*c));
	c->payload = strdup(n->payload ? n->payload : "null");
	if (!c->payload)
		return VG_ENOMEM;
	r->n_notes++;
	c->incident_id = n->incident_id;
	model_copy_str(c->sink, sizeof(c->sink), n->sink, (size_t)-1);
	c->kind = n->kind;
	c->op = n->op;
	c->time_ms = n->time_ms;
	model_copy_str(c->dedup_key, sizeof(c->dedup_key), n->dedup_key, (size_t)-1);
	struct rp_incident *ri = incident_record(r, n->incident_id);
	if (!ri)
		return VG_ENOMEM;
	if ((unsigned)n->kind < SINK__COUNT)
		ri->payloads[n->kind]++;
	if (n->kind == SINK_PAGERDUTY && n->op == NOTIFY_TRIGGER && !vg_has(ri->page_ms))
		ri->page_ms = n->time_ms;
	return 0;
}

static int collect(struct replay *r, const struct effects *eff)
{
	for (size_t i = 0; i < eff->n_events; i++) {
		const struct failure_event *ev = &eff->events[i];
		r->n_events_total++;
		if ((unsigned)ev->category < CAT__COUNT && (unsigned)ev->severity < SEV__COUNT)
			r->by_cat_sev[ev->category][ev->severity]++;
		if (r->opt.keep_events) {
			if (vg_grow((void **)&r->events, &r->cap_events, r->n_events + 1,
			            sizeof(*r->events), 64) != 0)
				return VG_ENOMEM;
			struct rp_event *e = &r->events[r->n_events++];
			e->id = ev->id;
			e->time_ms = ev->time_ms;
			e->incident_id = 0;
			e->category = ev->category;
			e->subtype = ev->subtype;
			e->severity = ev->severity;
			memcpy(e->provider, ev->pid.provider, sizeof(e->provider));
			memcpy(e->template_id, ev->template_id, sizeof(e->template_id));
			memcpy(e->model, ev->pid.model, sizeof(e->model));
			memcpy(e->region, ev->pid.region, sizeof(e->region));
		}
		if (r->opt.on_event) {
			int rc = r->opt.on_event(r->opt.data, ev);
			if (rc != 0)
				return rc;
		}
	}
	for (size_t i = 0; i < eff->n_transitions; i++) {
		r->transitions_total++;
		if (vg_grow((void **)&r->transitions, &r->cap_transitions, r->n_transitions + 1,
		            sizeof(*r->transitions), 64) != 0)
			return VG_ENOMEM;
		r->transitions[r->n_transitions++] = eff->transitions[i];
	}
	for (size_t i = 0; i < eff->n_incident_changes; i++) {
		int rc = on_change(r, &eff->incident_changes[i]);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < eff->n_notifications; i++) {
		int rc = on_notification(r, &eff->notifications[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* After a call whose effects said so (collected already: the next call
 * reuses the buffers), the weekly baseline refresh, inline. */
static int maybe_refresh(struct replay *r, bool due)
{
	if (!due)
		return 0;
	struct effects eff;
	int rc = pipeline_setup_refresh(r->pipeline, &eff);
	if (rc == VG_ESTATE)
		return 0;
	r->refreshes++;
	for (size_t i = 0; i < eff.n_reviews; i++)
		r->reviews += eff.reviews[i].state == PRV_WAITING;
	for (size_t i = 0; i < eff.n_models; i++)
		if (eff.models[i].refreshed_ms > r->last_refresh_ms)
			r->last_refresh_ms = eff.models[i].refreshed_ms;
	return rc;
}

/* Tick every whole second of traffic time before `now` not ticked yet. */
static int tick_until(struct replay *r, int64_t now)
{
	if (!vg_has(r->last_tick)) {
		r->last_tick = now - now % 1000;
		return 0;
	}
	while (r->last_tick + 1000 < now) {
		r->last_tick += 1000;
		struct effects eff;
		int rc = pipeline_tick(r->pipeline, r->last_tick, &eff);
		if (rc == 0)
			rc = collect(r, &eff);
		if (rc == 0)
			rc = maybe_refresh(r, eff.baseline_refresh_due);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static bool failed_request(const struct observation *obs)
{
	return obs->http_status >= 400 || obs->transport_error != TE_NONE ||
	       obs->norm.stream_error || obs->norm.body_truncated;
}

/* Whether a fault is a hard provider failure: the ones "within 5 s of
 * traffic time" is about, and the ones whose first failed request says
 * when they first showed. */
static bool fault_hard(const struct rp_fault *f)
{
	return f->kind.category == CAT_PROVIDER && f->kind.subtype >= 0 &&
	       model_subtype_is_hard((enum subtype)f->kind.subtype);
}

/* The first failed request in each hard fault's scope after its onset. */
static void note_symptoms(struct replay *r, const struct observation *obs, int64_t end)
{
	for (size_t i = 0; i < r->n_faults; i++) {
		struct rp_fault *f = &r->faults[i];
		if (!fault_hard(f) || vg_has(f->symptom_ms) || end < f->onset_ms || end > f->end_ms)
			continue;
		if (failed_request(obs) &&
		    replay__fault_scope(f, obs->pid.provider, obs->template_id, obs->pid.model,
		                        obs->pid.region))
			f->symptom_ms = end;
	}
}

int replay_feed(struct replay *r, const struct observation *obs)
{
	if (!obs->pid.provider[0] || !vg_has(obs->ts_ms)) {
		r->skipped++;
		return 0;
	}
	int64_t now = observation_end_ms(obs);
	if (r->n_faults)
		note_symptoms(r, obs, now);
	int rc = tick_until(r, now);
	if (rc != 0)
		return rc;
	struct effects eff;
	rc = pipeline_feed(r->pipeline, obs, now, &eff);
	if (rc == VG_EINVAL) {
		r->skipped++;
		return 0;
	}
	if (rc != 0)
		return rc;
	r->observations++;
	if (!vg_has(r->first_ms) || now < r->first_ms)
		r->first_ms = now;
	if (!vg_has(r->last_ms) || now > r->last_ms)
		r->last_ms = now;
	rc = collect(r, &eff);
	return rc ? rc : maybe_refresh(r, eff.baseline_refresh_due);
}

void replay_count_bad_line(struct replay *r)
{
	r->bad_lines++;
}

void replay_count_line(struct replay *r)
{
	r->lines++;
}

const struct pipeline *replay_pipeline(const struct replay *r)
{
	return r->pipeline;
}

int64_t replay_last_refresh(const struct replay *r)
{
	return r->last_refresh_ms;
}

int replay_finish(struct replay *r)
{
	if (!vg_has(r->last_ms))
		return 0;
	struct effects eff;
	int rc = pipeline_tick(r->pipeline, pipeline_now(r->pipeline), &eff);
	if (rc == 0)
		rc = collect(r, &eff);
	return rc ? rc : maybe_refresh(r, eff.baseline_refresh_due);
}

uint64_t replay_observations(const struct replay *r)
{
	return r->observations;
}

uint64_t replay_events(const struct replay *r)
{
	return r->n_events_total;
}

int64_t replay_now(const struct replay *r)
{
	return pipeline_now(r->pipeline);
}
