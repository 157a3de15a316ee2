/*
 * replay_truth.c: a scenario's truth file (written by `vigil sim gateway
 * --truth`): per fault its scope (provider, template, model, region), its
 * time (onset, end, when it becomes detectable) and the failure kinds it
 * should produce, checked as it is read; and whether an event or request
 * falls in a fault's scope. See replay.h.
 */
#include "app/replay.h"

#include "app/replay_internal.h"
#include "core/pipeline.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- truth ------------------------------------------------------------- */

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
	if (!root)
		return vg_cause(cause, VG_EPARSE, "%s:%d: %s", path, jerr.line, jerr.text);
	int rc = VG_EPARSE;
	json_t *faults = json_object_get(root, "faults");
	json_t *start = json_object_get(root, "start_ms");
	if (!json_is_array(faults) || !json_is_integer(start)) {
		vg_cause(cause, rc, "%s: not a truth file (no faults or start_ms)", path);
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
			vg_cause(cause, rc, "%s: faults[%zu]: unknown category '%s'", path, i,
			         jstr(f, "category"));
			goto out;
		}
		json_t *on = json_object_get(f, "onset_ms"), *end = json_object_get(f, "end_ms");
		json_t *det = json_object_get(f, "detectable_ms");
		if (!json_is_integer(on)) {
			vg_cause(cause, rc, "%s: faults[%zu]: no onset_ms", path, i);
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
bool replay__kind_matches(const struct rp_kind *k, enum category cat, enum subtype sub)
{
	if (k->category != cat)
		return false;
	if (k->subtype < 0)
		return true;
	return strcmp(incident_family((enum subtype)k->subtype), incident_family(sub)) == 0;
}

bool replay__fault_kind(const struct rp_fault *f, enum category cat, enum subtype sub,
                        bool with_related)
{
	if (replay__kind_matches(&f->kind, cat, sub))
		return true;
	for (size_t i = 0; with_related && i < f->n_related; i++)
		if (replay__kind_matches(&f->related[i], cat, sub))
			return true;
	return false;
}

/* Whether something of (provider, template, model, region) is in the fault's
 * scope; NULL or "" on our side (an incident has no one template) is not
 * held against it. */
bool replay__fault_scope(const struct rp_fault *f, const char *provider, const char *tmpl,
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
