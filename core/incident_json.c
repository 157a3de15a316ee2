/*
 * incident_json.c: an incident as JSON (incident_to_json: what the store
 * keeps and the console shows) and the tracker rebuilt from those objects
 * at start-up (incidents_restore), with a reason naming the field at fault
 * for a bad one. See incident.h.
 */
#include "core/incident.h"

#include "core/incident_internal.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON -------------------------------------------------------------- */

static int set_new(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(o, k, v);
}

static json_t *pid_json(const struct provider_id *p)
{
	json_t *o = json_object();
	int bad = !o;
	if (o) {
		bad |= set_new(o, "provider", json_string(p->provider));
		if (p->model[0])
			bad |= set_new(o, "model", json_string(p->model));
		if (p->region[0])
			bad |= set_new(o, "region", json_string(p->region));
		if (p->key_alias[0])
			bad |= set_new(o, "key_alias", json_string(p->key_alias));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *time_json(int64_t ms)
{
	char ts[32];
	if (timeparse_format_rfc3339(ms, ts, sizeof(ts)) < 0)
		return json_null();
	return json_string(ts);
}

json_t *incident_to_json(const struct incident *inc)
{
	json_t *o = json_object();
	json_t *subs = json_array();
	json_t *samples = json_object();
	json_t *inv = json_array();
	json_t *tpl = json_array();
	json_t *rel = json_array();
	json_t *hist = json_array();
	int bad = !o || !subs || !samples || !inv || !tpl || !rel || !hist;
	if (bad)
		goto out;
	bad |= set_new(o, "id", json_integer(inc->id));
	bad |= set_new(o, "key", json_string(inc->key));
	bad |= set_new(o, "dedup_key", json_string(inc->dedup_key));
	bad |= set_new(o, "category", json_string(model_category_name(inc->category)));
	bad |= set_new(o, "family", json_string(inc->family));
	bad |= set_new(o, "subtype", json_string(model_subtype_name(inc->subtype)));
	for (int s = 0; s < SUB__COUNT; s++)
		if (inc->subtypes & (UINT64_C(1) << s))
			bad |= json_array_append_new(
			        subs, json_string(model_subtype_name((enum subtype)s)));
	bad |= json_object_set(o, "subtypes", subs);
	bad |= set_new(o, "provider", json_string(inc->provider));
	bad |= set_new(o, "state", json_string(incident_state_name(inc->state)));
	bad |= set_new(o, "severity", json_string(model_severity_name(inc->severity)));
	bad |= set_new(o, "first_severity", json_string(model_severity_name(inc->first_severity)));
	bad |= set_new(o, "count", json_integer(inc->count));
	bad |= set_new(o, "first", time_json(inc->first_ms));
	bad |= set_new(o, "last", time_json(inc->last_ms));
	bad |= set_new(o, "first_ms", json_integer(inc->first_ms));
	bad |= set_new(o, "last_ms", json_integer(inc->last_ms));
	bad |= set_new(o, "opened_ms", json_integer(inc->opened_ms));
	if (inc->acknowledged_ms)
		bad |= set_new(o, "acknowledged_ms", json_integer(inc->acknowledged_ms));
	if (inc->resolved_ms)
		bad |= set_new(o, "resolved_ms", json_integer(inc->resolved_ms));
	if (inc->ticketed_ms)
		bad |= set_new(o, "ticketed_ms", json_integer(inc->ticketed_ms));
	bad |= set_new(o, "auto_resolved", json_boolean(inc->auto_resolved));
	if (inc->episode_of)
		bad |= set_new(o, "episode_of", json_integer(inc->episode_of));
	if (inc->episode_severity < SEV__COUNT)
		bad |= set_new(o, "episode_severity",
		               json_string(model_severity_name(inc->episode_severity)));
	if (inc->superseded)
		bad |= set_new(o, "superseded", json_true());
	if (inc->page_borrowed)
		bad |= set_new(o, "page_borrowed", json_true());
	if (inc->episode_ended_ms)
		bad |= set_new(o, "episode_ended_ms", json_integer(inc->episode_ended_ms));
	bad |= set_new(samples, "first", event_to_json(&inc->first));
	bad |= set_new(samples, "worst", event_to_json(&inc->worst));
	bad |= set_new(samples, "latest", event_to_json(&inc->latest));
	bad |= json_object_set(o, "samples", samples);
	for (size_t i = 0; i < inc->n_involved; i++)
		bad |= json_array_append_new(inv, pid_json(&inc->involved[i]));
	bad |= json_object_set(o, "involved", inv);
	if (inc->involved_truncated)
		bad |= set_new(o, "involved_truncated", json_true());
	for (size_t i = 0; i < inc->n_templates; i++)
		bad |= json_array_append_new(tpl, json_string(inc->templates[i]));
	bad |= json_object_set(o, "templates", tpl);
	for (size_t i = 0; i < inc->n_related; i++)
		bad |= json_array_append_new(rel, json_integer(inc->related[i]));
	bad |= json_object_set(o, "related", rel);
	for (size_t i = 0; i < inc->n_history; i++) {
		const struct incident_history *h = &inc->history[i];
		json_t *e = json_object();
		if (!e) {
			bad = 1;
			break;
		}
		bad |= set_new(e, "time_ms", json_integer(h->time_ms));
		bad |= set_new(e, "what", json_string(incident_change_name(h->what)));
		bad |= set_new(e, "state", json_string(incident_state_name(h->state)));
		bad |= set_new(e, "severity", json_string(model_severity_name(h->severity)));
		bad |= set_new(e, "count", json_integer(h->count));
		if (h->related_id)
			bad |= set_new(e, "related_id", json_integer(h->related_id));
		if (h->actor[0])
			bad |= set_new(e, "actor", json_string(h->actor));
		if (h->note[0])
			bad |= set_new(e, "note", json_string(h->note));
		bad |= json_array_append_new(hist, e);
	}
	bad |= json_object_set(o, "history", hist);
out:
	json_decref(subs);
	json_decref(samples);
	json_decref(inv);
	json_decref(tpl);
	json_decref(rel);
	json_decref(hist);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool get_i64(json_t *o, const char *k, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

static int get_name(json_t *o, const char *k, int (*parse)(const char *, size_t), int *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v))
		return -1;
	*out = parse(json_string_value(v), json_string_length(v));
	return *out < 0 ? -1 : 0;
}

static int restore_sample(json_t *samples, const char *k, struct failure_event *ev, char **cause)
{
	char *why = NULL;
	int rc = event_from_json(json_object_get(samples, k), ev, &why);
	if (rc) {
		rc = vg_cause(cause, rc, "samples.%s: %s", k, why ? why : "invalid");
		free(why);
	}
	return rc;
}

static int restore_history(struct incident *inc, json_t *hist, char **cause)
{
	size_t i;
	json_t *e;
	json_array_foreach (hist, i, e) {
		int what, st, sev;
		int64_t tms = 0, count = 0, rel = 0;
		if (!json_is_object(e) || !get_i64(e, "time_ms", &tms) ||
		    get_name(e, "what", incident_change_parse, &what) ||
		    get_name(e, "state", incident_state_parse, &st) ||
		    get_name(e, "severity", model_severity_parse, &sev))
			return vg_cause(cause, VG_EINVAL, "history[%zu]: missing or invalid field",
			                i);
		get_i64(e, "count", &count);
		get_i64(e, "related_id", &rel);
		json_t *a = json_object_get(e, "actor");
		json_t *n = json_object_get(e, "note");
		enum incident_state keep = inc->state;
		enum severity keep_sev = inc->severity;
		int64_t keep_count = inc->count;
		inc->state = (enum incident_state)st;
		inc->severity = (enum severity)sev;
		inc->count = count;
		int rc = incident__push_history(inc, (enum incident_change_kind)what, tms, rel,
		                                json_is_string(a) ? json_string_value(a) : NULL,
		                                json_is_string(n) ? json_string_value(n) : NULL);
		inc->state = keep;
		inc->severity = keep_sev;
		inc->count = keep_count;
		if (rc)
			return vg_cause(cause, VG_ENOMEM, "out of memory");
	}
	return 0;
}

static int restore_fields(struct incident *inc, json_t *obj, char **cause)
{
	int cat, sub, st, sev, fsev, rc;
	if (!get_i64(obj, "id", &inc->id) || inc->id < 1)
		return vg_cause(cause, VG_EINVAL, "field 'id': missing or not a positive integer");
	if (get_name(obj, "category", model_category_parse, &cat) ||
	    get_name(obj, "subtype", model_subtype_parse, &sub) ||
	    get_name(obj, "state", incident_state_parse, &st) ||
	    get_name(obj, "severity", model_severity_parse, &sev))
		return vg_cause(
		        cause, VG_EINVAL,
		        "incident %lld: category, subtype, state or severity missing or unknown",
		        (long long)inc->id);
	if (get_name(obj, "first_severity", model_severity_parse, &fsev))
		fsev = sev;
	inc->category = (enum category)cat;
	inc->subtype = (enum subtype)sub;
	inc->family = incident_family(inc->subtype);
	inc->state = (enum incident_state)st;
	inc->severity = (enum severity)sev;
	inc->first_severity = (enum severity)fsev;
	if (!get_i64(obj, "count", &inc->count) || !get_i64(obj, "first_ms", &inc->first_ms) ||
	    !get_i64(obj, "last_ms", &inc->last_ms))
		return vg_cause(cause, VG_EINVAL,
		                "incident %lld: count, first_ms or last_ms missing",
		                (long long)inc->id);
	get_i64(obj, "opened_ms", &inc->opened_ms);
	get_i64(obj, "acknowledged_ms", &inc->acknowledged_ms);
	get_i64(obj, "resolved_ms", &inc->resolved_ms);
	get_i64(obj, "ticketed_ms", &inc->ticketed_ms);
	inc->auto_resolved = json_is_true(json_object_get(obj, "auto_resolved"));
	get_i64(obj, "episode_of", &inc->episode_of);
	int esev = SEV__COUNT;
	if (json_object_get(obj, "episode_severity") &&
	    get_name(obj, "episode_severity", model_severity_parse, &esev) != 0)
		esev = SEV__COUNT;
	inc->episode_severity = (enum severity)esev;
	inc->superseded = json_is_true(json_object_get(obj, "superseded"));
	inc->page_borrowed = json_is_true(json_object_get(obj, "page_borrowed"));
	get_i64(obj, "episode_ended_ms", &inc->episode_ended_ms);
	inc->involved_truncated = json_is_true(json_object_get(obj, "involved_truncated"));
	json_t *samples = json_object_get(obj, "samples");
	if ((rc = restore_sample(samples, "first", &inc->first, cause)) ||
	    (rc = restore_sample(samples, "worst", &inc->worst, cause)) ||
	    (rc = restore_sample(samples, "latest", &inc->latest, cause)))
		return rc;
	if (inc->first.category != inc->category)
		return vg_cause(cause, VG_EINVAL, "incident %lld: first sample of another category",
		                (long long)inc->id);
	model_copy_str(inc->provider, sizeof(inc->provider), inc->first.pid.provider, (size_t)-1);
	incident_key(&inc->first, inc->key, sizeof(inc->key));
	json_t *dk = json_object_get(obj, "dedup_key");
	if (!json_is_string(dk))
		return vg_cause(cause, VG_EINVAL, "incident %lld: field 'dedup_key' missing",
		                (long long)inc->id);
	model_copy_str(inc->dedup_key, sizeof(inc->dedup_key), json_string_value(dk),
	               json_string_length(dk));
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(obj, "subtypes"), i, v) {
		int s = json_is_string(v)
		                ? model_subtype_parse(json_string_value(v), json_string_length(v))
		                : -1;
		if (s >= 0)
			inc->subtypes |= UINT64_C(1) << s;
	}
	inc->subtypes |= UINT64_C(1) << inc->subtype;
	json_array_foreach (json_object_get(obj, "involved"), i, v) {
		struct provider_id pid;
		memset(&pid, 0, sizeof(pid));
		json_t *f;
		if ((f = json_object_get(v, "provider")) && json_is_string(f))
			model_copy_str(pid.provider, sizeof(pid.provider), json_string_value(f),
			               json_string_length(f));
		if ((f = json_object_get(v, "model")) && json_is_string(f))
			model_copy_str(pid.model, sizeof(pid.model), json_string_value(f),
			               json_string_length(f));
		if ((f = json_object_get(v, "region")) && json_is_string(f))
			model_copy_str(pid.region, sizeof(pid.region), json_string_value(f),
			               json_string_length(f));
		if ((f = json_object_get(v, "key_alias")) && json_is_string(f))
			model_copy_str(pid.key_alias, sizeof(pid.key_alias), json_string_value(f),
			               json_string_length(f));
		if (pid.provider[0])
			incident__add_involved(inc, &pid);
	}
	json_array_foreach (json_object_get(obj, "templates"), i, v) {
		if (json_is_string(v) && json_string_length(v) < VG_TEMPLATE_MAX)
			incident__add_template(inc, json_string_value(v));
	}
	json_array_foreach (json_object_get(obj, "related"), i, v) {
		if (json_is_integer(v) && inc->n_related < INCIDENT_MAX_RELATED &&
		    !incident__has_related(inc, (int64_t)json_integer_value(v)))
			inc->related[inc->n_related++] = (int64_t)json_integer_value(v);
	}
	return restore_history(inc, json_object_get(obj, "history"), cause);
}

int incidents_restore(struct incidents *t, json_t *obj, char **cause)
{
	if (cause)
		*cause = NULL;
	if (!json_is_object(obj))
		return vg_cause(cause, VG_EPARSE, "an incident must be a JSON object");
	struct incident *inc = calloc(1, sizeof(*inc));
	if (!inc)
		return VG_ENOMEM;
	int rc = restore_fields(inc, obj, cause);
	if (!rc && incident__find_id(t, inc->id))
		rc = vg_cause(cause, VG_ESTATE, "incident %lld is already in the tracker",
		              (long long)inc->id);
	if (!rc)
		rc = vg_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v), 16);
	if (rc) {
		incident__free(inc);
		return rc;
	}
	/* Keep the array ordered by id (oldest first). */
	size_t at = t->n;
	while (at > 0 && t->v[at - 1]->id > inc->id)
		at--;
	memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof(*t->v));
	t->v[at] = inc;
	t->n++;
	t->evict_at = t->tick_at = INT64_MIN;
	if (inc->id >= t->next_id)
		t->next_id = inc->id + 1;
	/* The clock stays where it was: the next event or tick sets it. Moved to
	 * the restored incident's last event, an older file read after a newer
	 * one (a backfill) would find every incident it opens long quiet, and
	 * each of its events would open one that auto-resolves at once. */
	return 0;
}
