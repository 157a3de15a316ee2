/*
 * replay_report.c: the replay's report as JSON (replay_report, see
 * replay.h), built from the engine's records only: totals by category and
 * severity, every incident with its steps and payloads, the notifications,
 * the breaker transitions, and with a truth file per fault whether it was
 * detected, when, and by which incident.
 */
#include "app/replay.h"

#include "app/replay_internal.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		if (!replay__fault_scope(f, e->provider, e->template_id, e->model, e->region))
			continue;
		if (!own && replay__fault_kind(f, e->category, e->subtype, false))
			own = e;
		if (!any && replay__fault_kind(f, e->category, e->subtype, true))
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
		if (!replay__fault_scope(f, ri->provider, NULL, NULL, NULL))
			continue;
		bool match = false;
		for (int s = 0; s < SUB__COUNT && s < 64 && !match; s++)
			if (ri->subtypes & ((uint64_t)1 << s))
				match = replay__fault_kind(f, ri->category, (enum subtype)s, true);
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
			    replay__fault_scope(f, e->provider, e->template_id, e->model,
			                        e->region) &&
			    replay__kind_matches(want, e->category, e->subtype))
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

	/* Only once a refresh ran: a replay shorter than the refresh cycle
	 * reports as it did before baselines existed. */
	if (r->refreshes) {
		json_t *bl = json_object();
		json_object_set_new(bl, "refreshes", json_integer((json_int_t)r->refreshes));
		json_object_set_new(bl, "reviews", json_integer((json_int_t)r->reviews));
		json_object_set_new(bl, "series",
		                    json_integer((json_int_t)pipeline_baseline_count(r->pipeline)));
		json_object_set_new(root, "baselines", bl);
	}

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
