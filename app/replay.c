/*
 * replay.c: the replay engine (see replay.h). It owns a pipeline configured
 * like the daemon's, feeds it on the observations' own clock, and keeps a
 * record per incident built from the pipeline's incident changes (the
 * tracker evicts resolved incidents after an hour; the record stays), the
 * notifications with their payload text, a compact record per failure
 * event, and the breaker transitions. The report is built from those
 * records only, so it does not depend on the wall clock.
 */
#include "app/replay.h"

#include "app/pipeline_setup.h"
#include "core/incident.h"
#include "core/jschema.h"
#include "core/pipeline.h"
#include "core/route.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Events found for a fault up to this long after its end still count. */
#define TRUTH_GRACE_MS    (5 * 60 * 1000)
#define TRUTH_MAX_RELATED 8

struct rp_event {
	uint64_t id;
	int64_t time_ms;
	int64_t incident_id; /* 0 until an incident change names the event */
	enum category category;
	enum subtype subtype;
	enum severity severity;
	char provider[VG_NAME_MAX];
	char template_id[VG_TEMPLATE_MAX];
	char model[VG_MODEL_MAX];
	char region[VG_NAME_MAX];
};

struct rp_step {
	int64_t time_ms;
	enum incident_change_kind what;
	enum severity severity;
	int64_t related_id;
};

struct rp_incident {
	int64_t id;
	char key[INCIDENT_KEY_MAX];
	char dedup_key[INCIDENT_KEY_MAX];
	enum category category;
	enum subtype subtype;
	uint64_t subtypes;
	char provider[VG_NAME_MAX];
	enum severity peak, first_severity;
	enum incident_state state;
	bool auto_resolved;
	int64_t count, first_ms, last_ms, resolved_ms, ticketed_ms;
	int64_t page_ms; /* first PagerDuty trigger, VG_NONE when none */
	int64_t related[INCIDENT_MAX_RELATED];
	size_t n_related;
	char templates[INCIDENT_MAX_TEMPLATES][VG_TEMPLATE_MAX];
	size_t n_templates;
	struct rp_step *steps;
	size_t n_steps, cap_steps;
	uint64_t payloads[SINK__COUNT];
};

struct rp_note {
	int64_t incident_id;
	char sink[VG_NAME_MAX];
	enum sink_kind kind;
	enum notify_op op;
	int64_t time_ms;
	char dedup_key[INCIDENT_KEY_MAX];
	char *payload;
};

struct rp_kind {
	enum category category;
	int subtype; /* -1: any subtype of the category */
};

struct rp_fault {
	char name[96];
	char fault[32];
	char provider[VG_NAME_MAX];
	char template_id[VG_TEMPLATE_MAX];
	char model[VG_MODEL_MAX];
	char region[VG_NAME_MAX];
	struct rp_kind kind;
	struct rp_kind related[TRUTH_MAX_RELATED];
	size_t n_related;
	int64_t onset_ms, end_ms, detectable_ms; /* absolute event time */
	/* The first failed request in scope after the onset (an error status, a
	 * transport error, a broken stream or body): when a hard failure first
	 * shows in the traffic, VG_NONE until seen. */
	int64_t symptom_ms;
};

struct replay {
	struct replay_options opt;
	struct pipeline *pipeline;
	struct jschema_set *schemas;
	int64_t last_tick; /* last whole second ticked, VG_NONE before the first feed */

	uint64_t lines, bad_lines, observations, skipped, n_events_total;
	int64_t first_ms, last_ms; /* observation end times seen */
	uint64_t by_cat_sev[CAT__COUNT][SEV__COUNT];

	struct rp_event *events;
	size_t n_events, cap_events;
	struct rp_incident *incidents; /* by id - 1 */
	size_t n_incidents, cap_incidents;
	struct rp_note *notes;
	size_t n_notes, cap_notes;
	struct breaker_transition *transitions;
	size_t n_transitions, cap_transitions;
	uint64_t transitions_total;

	bool has_truth;
	char truth_scenario[64];
	struct rp_fault *faults;
	size_t n_faults;
};

int replay_new(const struct replay_options *o, struct replay **out, char **cause)
{
	*out = NULL;
	struct replay *r = calloc(1, sizeof(*r));
	struct vigil_config *defaults = NULL;
	if (!r)
		return VG_ENOMEM;
	r->opt = *o;
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
		if (rc != 0)
			return rc;
	}
	return 0;
}

static bool fault_scope(const struct rp_fault *f, const char *provider, const char *tmpl,
                        const char *model, const char *region);

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
		if (failed_request(obs) && fault_scope(f, obs->pid.provider, obs->template_id,
		                                       obs->pid.model, obs->pid.region))
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
	return collect(r, &eff);
}

void replay_count_bad_line(struct replay *r)
{
	r->bad_lines++;
}

void replay_count_line(struct replay *r)
{
	r->lines++;
}

int replay_finish(struct replay *r)
{
	if (!vg_has(r->last_ms))
		return 0;
	struct effects eff;
	int rc = pipeline_tick(r->pipeline, pipeline_now(r->pipeline), &eff);
	return rc != 0 ? rc : collect(r, &eff);
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

/* ---- truth ------------------------------------------------------------- */

static void set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_cause(char **cause, const char *fmt, ...)
{
	if (!cause)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*cause = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (*cause) {
		va_start(ap, fmt);
		vsnprintf(*cause, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

static int parse_kind(json_t *o, struct rp_kind *k)
{
	const char *c = jstr(o, "category"), *s = jstr(o, "subtype");
	int cat = model_category_parse(c, strlen(c));
	if (cat < 0)
		return VG_EPARSE;
	k->category = (enum category)cat;
	k->subtype = -1;
	if (s[0]) {
		int sub = model_subtype_parse(s, strlen(s));
		/* A subtype vigil does not name (a marker's) matches the category. */
		if (sub >= 0 && model_subtype_category((enum subtype)sub) == k->category)
			k->subtype = sub;
	}
	return 0;
}

int replay_load_truth(struct replay *r, const char *path, char **cause)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		set_cause(cause, "%s:%d: %s", path, jerr.line, jerr.text);
		return VG_EPARSE;
	}
	int rc = VG_EPARSE;
	json_t *faults = json_object_get(root, "faults");
	json_t *start = json_object_get(root, "start_ms");
	if (!json_is_array(faults) || !json_is_integer(start)) {
		set_cause(cause, "%s: not a truth file (no faults or start_ms)", path);
		goto out;
	}
	int64_t t0 = json_integer_value(start);
	size_t n = json_array_size(faults);
	free(r->faults);
	r->n_faults = 0;
	r->faults = calloc(n ? n : 1, sizeof(*r->faults));
	if (!r->faults) {
		rc = VG_ENOMEM;
		goto out;
	}
	model_copy_str(r->truth_scenario, sizeof(r->truth_scenario), jstr(root, "scenario"),
	               (size_t)-1);
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(faults, i);
		struct rp_fault *rf = &r->faults[r->n_faults];
		model_copy_str(rf->name, sizeof(rf->name), jstr(f, "name"), (size_t)-1);
		model_copy_str(rf->fault, sizeof(rf->fault), jstr(f, "fault"), (size_t)-1);
		model_copy_str(rf->provider, sizeof(rf->provider), jstr(f, "provider"), (size_t)-1);
		model_copy_str(rf->template_id, sizeof(rf->template_id), jstr(f, "template"),
		               (size_t)-1);
		model_copy_str(rf->model, sizeof(rf->model), jstr(f, "model"), (size_t)-1);
		model_copy_str(rf->region, sizeof(rf->region), jstr(f, "region"), (size_t)-1);
		rf->symptom_ms = VG_NONE;
		if (parse_kind(f, &rf->kind) != 0) {
			set_cause(cause, "%s: faults[%zu]: unknown category '%s'", path, i,
			          jstr(f, "category"));
			goto out;
		}
		json_t *on = json_object_get(f, "onset_ms"), *end = json_object_get(f, "end_ms");
		json_t *det = json_object_get(f, "detectable_ms");
		if (!json_is_integer(on)) {
			set_cause(cause, "%s: faults[%zu]: no onset_ms", path, i);
			goto out;
		}
		rf->onset_ms = t0 + json_integer_value(on);
		rf->end_ms = json_is_integer(end) ? t0 + json_integer_value(end) : INT64_MAX / 2;
		rf->detectable_ms =
		        json_is_integer(det) ? t0 + json_integer_value(det) : rf->onset_ms;
		json_t *rel = json_object_get(f, "related");
		for (size_t j = 0; j < json_array_size(rel) && rf->n_related < TRUTH_MAX_RELATED;
		     j++)
			if (parse_kind(json_array_get(rel, j), &rf->related[rf->n_related]) == 0)
				rf->n_related++;
		r->n_faults++;
	}
	r->has_truth = true;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Whether (cat, sub) is of kind k: the same category, and the same subtype
 * family (core/incident's grouping) when k names a subtype. */
static bool kind_matches(const struct rp_kind *k, enum category cat, enum subtype sub)
{
	if (k->category != cat)
		return false;
	if (k->subtype < 0)
		return true;
	return strcmp(incident_family((enum subtype)k->subtype), incident_family(sub)) == 0;
}

static bool fault_kind(const struct rp_fault *f, enum category cat, enum subtype sub,
                       bool with_related)
{
	if (kind_matches(&f->kind, cat, sub))
		return true;
	for (size_t i = 0; with_related && i < f->n_related; i++)
		if (kind_matches(&f->related[i], cat, sub))
			return true;
	return false;
}

/* Whether something of (provider, template, model, region) is in the fault's
 * scope; NULL or "" on our side (an incident has no one template) is not
 * held against it. */
static bool fault_scope(const struct rp_fault *f, const char *provider, const char *tmpl,
                        const char *model, const char *region)
{
	if (f->provider[0] && strcmp(f->provider, provider) != 0)
		return false;
	if (f->template_id[0] && tmpl && tmpl[0] && strcmp(f->template_id, tmpl) != 0)
		return false;
	if (f->model[0] && model && model[0] && !pipeline_model_matches(f->model, model))
		return false;
	if (f->region[0] && region && region[0] && strcmp(f->region, region) != 0)
		return false;
	return true;
}

/* ---- report ------------------------------------------------------------ */

static json_t *jtime(int64_t ms)
{
	char buf[40];
	if (!vg_has(ms) || timeparse_format_rfc3339(ms, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static const char *step_name(enum incident_change_kind k)
{
	return incident_change_name(k);
}

static json_t *incident_json(const struct replay *r, const struct rp_incident *ri)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(ri->id));
	json_object_set_new(o, "key", json_string(ri->key));
	json_object_set_new(o, "category", json_string(model_category_name(ri->category)));
	json_object_set_new(o, "subtype", json_string(model_subtype_name(ri->subtype)));
	json_t *subs = json_array();
	for (int s = 0; s < SUB__COUNT && s < 64; s++)
		if (ri->subtypes & ((uint64_t)1 << s))
			json_array_append_new(subs,
			                      json_string(model_subtype_name((enum subtype)s)));
	json_object_set_new(o, "subtypes", subs);
	json_object_set_new(o, "provider", json_string(ri->provider));
	json_object_set_new(o, "severity", json_string(model_severity_name(ri->peak)));
	json_object_set_new(o, "first_severity",
	                    json_string(model_severity_name(ri->first_severity)));
	json_t *tl = json_array();
	for (size_t i = 0; i < ri->n_steps; i++) {
		const struct rp_step *s = &ri->steps[i];
		json_t *e = json_object();
		json_object_set_new(e, "time", jtime(s->time_ms));
		json_object_set_new(e, "what", json_string(step_name(s->what)));
		json_object_set_new(e, "severity", json_string(model_severity_name(s->severity)));
		if (s->related_id)
			json_object_set_new(e, "related", json_integer(s->related_id));
		json_array_append_new(tl, e);
	}
	json_object_set_new(o, "timeline", tl);
	json_object_set_new(o, "count", json_integer(ri->count));
	json_object_set_new(o, "first", jtime(ri->first_ms));
	json_object_set_new(o, "last", jtime(ri->last_ms));
	json_object_set_new(o, "state", json_string(incident_state_name(ri->state)));
	json_object_set_new(o, "auto_resolved", json_boolean(ri->auto_resolved));
	json_object_set_new(o, "paged", jtime(ri->page_ms));
	json_t *rel = json_array();
	for (size_t i = 0; i < ri->n_related && i < INCIDENT_MAX_RELATED; i++)
		json_array_append_new(rel, json_integer(ri->related[i]));
	json_object_set_new(o, "related", rel);
	json_t *tm = json_array();
	for (size_t i = 0; i < ri->n_templates && i < INCIDENT_MAX_TEMPLATES; i++)
		json_array_append_new(tm, json_string(ri->templates[i]));
	json_object_set_new(o, "templates", tm);
	json_t *pc = json_object();
	for (int k = 0; k < SINK__COUNT; k++)
		if (ri->payloads[k])
			json_object_set_new(pc, route_sink_kind_name((enum sink_kind)k),
			                    json_integer((json_int_t)ri->payloads[k]));
	json_object_set_new(o, "payloads", pc);
	(void)r;
	return o;
}

static json_t *ms_or_null(int64_t ms)
{
	return vg_has(ms) ? json_integer(ms) : json_null();
}

static json_t *fault_json(const struct replay *r, const struct rp_fault *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(f->name));
	json_object_set_new(o, "category", json_string(model_category_name(f->kind.category)));
	json_object_set_new(o, "subtype",
	                    f->kind.subtype >= 0
	                            ? json_string(model_subtype_name((enum subtype)f->kind.subtype))
	                            : json_null());
	json_object_set_new(o, "provider", f->provider[0] ? json_string(f->provider) : json_null());
	json_object_set_new(o, "onset", jtime(f->onset_ms));
	json_object_set_new(o, "detectable", jtime(f->detectable_ms));
	int64_t lim = f->end_ms > INT64_MAX / 4 ? INT64_MAX / 4 : f->end_ms + TRUTH_GRACE_MS;
	/* First events: of the fault's own kind, of any kind it names (related
	 * too), of its category; then the first page of a matching incident. */
	const struct rp_event *own = NULL, *any = NULL, *cat = NULL;
	for (size_t i = 0; i < r->n_events; i++) {
		const struct rp_event *e = &r->events[i];
		if (e->time_ms < f->onset_ms || e->time_ms > lim)
			continue;
		if (!fault_scope(f, e->provider, e->template_id, e->model, e->region))
			continue;
		if (!own && fault_kind(f, e->category, e->subtype, false))
			own = e;
		if (!any && fault_kind(f, e->category, e->subtype, true))
			any = e;
		if (!cat && e->category == f->kind.category)
			cat = e;
		if (own && any && cat)
			break;
	}
	int64_t base = f->detectable_ms;
	json_object_set_new(o, "detect_ms", ms_or_null(any ? any->time_ms - base : VG_NONE));
	json_object_set_new(o, "detect_own_ms", ms_or_null(own ? own->time_ms - base : VG_NONE));
	json_object_set_new(o, "detect_category_ms",
	                    ms_or_null(cat ? cat->time_ms - base : VG_NONE));
	json_object_set_new(o, "symptom", jtime(f->symptom_ms));
	json_object_set_new(
	        o, "detect_symptom_ms",
	        ms_or_null(any && vg_has(f->symptom_ms) ? any->time_ms - f->symptom_ms : VG_NONE));
	if (any) {
		json_object_set_new(o, "first_event", json_integer((json_int_t)any->id));
		json_object_set_new(o, "first_event_kind",
		                    json_sprintf("%s/%s", model_category_name(any->category),
		                                 model_subtype_name(any->subtype)));
		json_object_set_new(o, "first_event_severity",
		                    json_string(model_severity_name(any->severity)));
		json_object_set_new(o, "incident",
		                    any->incident_id ? json_integer(any->incident_id)
		                                     : json_null());
	}
	int64_t page = VG_NONE;
	for (size_t i = 0; i < r->n_notes; i++) {
		const struct rp_note *n = &r->notes[i];
		if (n->kind != SINK_PAGERDUTY || n->op != NOTIFY_TRIGGER)
			continue;
		if (n->time_ms < f->onset_ms || n->time_ms > lim)
			continue;
		if (n->incident_id < 1 || (size_t)n->incident_id > r->n_incidents)
			continue;
		const struct rp_incident *ri = &r->incidents[n->incident_id - 1];
		if (!fault_scope(f, ri->provider, NULL, NULL, NULL))
			continue;
		bool match = false;
		for (int s = 0; s < SUB__COUNT && s < 64 && !match; s++)
			if (ri->subtypes & ((uint64_t)1 << s))
				match = fault_kind(f, ri->category, (enum subtype)s, true);
		if (match) {
			page = n->time_ms;
			break;
		}
	}
	json_object_set_new(o, "page_ms", ms_or_null(vg_has(page) ? page - base : VG_NONE));
	/* The fault's first event joined an incident that had paged before the
	 * onset (a new wave of an outage the on-call already has). */
	bool already = false;
	if (any && any->incident_id >= 1 && (size_t)any->incident_id <= r->n_incidents) {
		const struct rp_incident *ri = &r->incidents[any->incident_id - 1];
		already = vg_has(ri->page_ms) && ri->page_ms < f->onset_ms;
	}
	json_object_set_new(o, "already_paged", json_boolean(already));
	json_t *kinds = json_array();
	for (size_t k = 0; k <= f->n_related; k++) {
		const struct rp_kind *want = k == 0 ? &f->kind : &f->related[k - 1];
		const struct rp_event *first = NULL;
		for (size_t i = 0; i < r->n_events && !first; i++) {
			const struct rp_event *e = &r->events[i];
			if (e->time_ms >= f->onset_ms && e->time_ms <= lim &&
			    fault_scope(f, e->provider, e->template_id, e->model, e->region) &&
			    kind_matches(want, e->category, e->subtype))
				first = e;
		}
		json_t *ko = json_object();
		json_object_set_new(ko, "category",
		                    json_string(model_category_name(want->category)));
		json_object_set_new(ko, "subtype",
		                    want->subtype >= 0 ? json_string(model_subtype_name(
		                                                 (enum subtype)want->subtype))
		                                       : json_null());
		json_object_set_new(ko, "detect_ms",
		                    ms_or_null(first ? first->time_ms - base : VG_NONE));
		json_array_append_new(kinds, ko);
	}
	json_object_set_new(o, "kinds", kinds);
	return o;
}

json_t *replay_report(const struct replay *r)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	json_t *in = json_object();
	json_object_set_new(in, "lines", json_integer((json_int_t)r->lines));
	json_object_set_new(in, "bad_lines", json_integer((json_int_t)r->bad_lines));
	json_object_set_new(in, "observations", json_integer((json_int_t)r->observations));
	json_object_set_new(in, "skipped", json_integer((json_int_t)r->skipped));
	json_object_set_new(in, "first", jtime(r->first_ms));
	json_object_set_new(in, "last", jtime(r->last_ms));
	json_object_set_new(root, "input", in);

	json_t *ev = json_object();
	json_object_set_new(ev, "total", json_integer((json_int_t)r->n_events_total));
	json_t *bc = json_object();
	for (int c = 0; c < CAT__COUNT; c++) {
		json_t *s = NULL;
		for (int v = 0; v < SEV__COUNT; v++) {
			if (!r->by_cat_sev[c][v])
				continue;
			if (!s)
				s = json_object();
			json_object_set_new(s, model_severity_name((enum severity)v),
			                    json_integer((json_int_t)r->by_cat_sev[c][v]));
		}
		if (s)
			json_object_set_new(bc, model_category_name((enum category)c), s);
	}
	json_object_set_new(ev, "by_category", bc);
	json_object_set_new(root, "events", ev);

	json_t *br = json_object();
	json_object_set_new(br, "transitions", json_integer((json_int_t)r->transitions_total));
	json_t *opens = json_object(), *osc = json_array();
	for (size_t i = 0; i < r->n_transitions; i++) {
		const struct breaker_transition *t = &r->transitions[i];
		if (t->to != BRK_OPEN)
			continue;
		char name[VG_NAME_MAX + VG_MODEL_MAX + 2];
		snprintf(name, sizeof(name), "%s%s%s", t->provider, t->model[0] ? "/" : "",
		         t->model);
		json_t *cur = json_object_get(opens, name);
		json_object_set_new(opens, name,
		                    json_integer(cur ? json_integer_value(cur) + 1 : 1));
		if (t->oscillating) {
			json_t *e = json_object();
			json_object_set_new(e, "breaker", json_string(name));
			json_object_set_new(e, "time", jtime(t->time_ms));
			json_object_set_new(e, "opens_in_window", json_integer(t->opens_in_window));
			json_array_append_new(osc, e);
		}
	}
	json_object_set_new(br, "opens", opens);
	json_object_set_new(br, "oscillating", osc);
	json_object_set_new(root, "breakers", br);

	json_t *incs = json_array();
	for (size_t i = 0; i < r->n_incidents; i++)
		if (r->incidents[i].n_steps)
			json_array_append_new(incs, incident_json(r, &r->incidents[i]));
	json_object_set_new(root, "incidents", incs);

	json_t *pl = json_array();
	for (size_t i = 0; i < r->n_notes; i++) {
		const struct rp_note *n = &r->notes[i];
		json_t *o = json_object();
		json_object_set_new(o, "incident", json_integer(n->incident_id));
		json_object_set_new(o, "sink", json_string(n->sink));
		json_object_set_new(o, "kind", json_string(route_sink_kind_name(n->kind)));
		json_object_set_new(o, "op", json_string(route_op_name(n->op)));
		json_object_set_new(o, "time", jtime(n->time_ms));
		json_object_set_new(o, "dedup_key", json_string(n->dedup_key));
		json_t *body = json_loads(n->payload, JSON_DECODE_ANY, NULL);
		json_object_set_new(o, "payload", body ? body : json_string(n->payload));
		json_array_append_new(pl, o);
	}
	json_object_set_new(root, "payloads", pl);

	if (r->has_truth) {
		json_t *tr = json_object();
		json_object_set_new(tr, "scenario", json_string(r->truth_scenario));
		json_t *fa = json_array();
		for (size_t i = 0; i < r->n_faults; i++)
			json_array_append_new(fa, fault_json(r, &r->faults[i]));
		json_object_set_new(tr, "faults", fa);
		json_object_set_new(root, "truth", tr);
	}
	return root;
}
