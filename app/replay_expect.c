/*
 * replay_expect.c: expectation files (see replay_expect.h). The file is kept
 * as JSON after validation; checking walks it against the report's JSON, so
 * the format and the report stay the only contract between the two.
 *
 * This file loads and validates; checking is in replay_expect_check.c.
 */
#include "app/replay_expect.h"

#include "app/replay_expect_internal.h"
#include "core/incident.h"
#include "core/model.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers over JSON ------------------------------------------------- */

const char *replay_expect__str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* 0 critical .. 3 low; -1 unknown (case does not matter). */
int replay_expect__sev_rank(const char *s)
{
	for (int i = 0; s && i < SEV__COUNT; i++)
		if (strcasecmp(s, model_severity_name((enum severity)i)) == 0)
			return i;
	return -1;
}

/* ---- validation ---------------------------------------------------------- */

struct vctx {
	const char *file;
	char **cause;
	int rc;
};

static void verr(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void verr(struct vctx *v, const char *fmt, ...)
{
	if (v->rc != 0)
		return;
	v->rc = VG_EINVAL;
	if (!v->cause)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vg_cause(v->cause, v->rc, "%s: %s", v->file, msg);
}

static bool known_key(const char *k, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(k, *keys) == 0)
			return true;
	return false;
}

static void check_keys(struct vctx *v, json_t *o, const char *where, const char *const *keys)
{
	const char *k;
	json_t *val;
	json_object_foreach (o, k, val) {
		if (!known_key(k, keys))
			verr(v, "%s: unknown key '%s'", where, k);
	}
}

static void check_matcher(struct vctx *v, json_t *o, const char *where)
{
	const char *c = replay_expect__str(o, "category"), *s = replay_expect__str(o, "subtype");
	if (json_object_get(o, "category") && (!c || model_category_parse(c, strlen(c)) < 0))
		verr(v, "%s.category: not a category", where);
	if (json_object_get(o, "subtype") && (!s || model_subtype_parse(s, strlen(s)) < 0))
		verr(v, "%s.subtype: not a subtype", where);
	if (c && s && model_category_parse(c, strlen(c)) >= 0 &&
	    model_subtype_parse(s, strlen(s)) >= 0 &&
	    (int)model_subtype_category((enum subtype)model_subtype_parse(s, strlen(s))) !=
	            model_category_parse(c, strlen(c)))
		verr(v, "%s.subtype: '%s' is not a subtype of %s", where, s, c);
	if (json_object_get(o, "provider") && !replay_expect__str(o, "provider"))
		verr(v, "%s.provider: not a string", where);
	if (json_object_get(o, "template") && !replay_expect__str(o, "template"))
		verr(v, "%s.template: not a string", where);
	static const char *const times[] = { "first_before", "first_after" };
	for (size_t i = 0; i < 2; i++) {
		json_t *t = json_object_get(o, times[i]);
		int64_t ms;
		if (t && (!json_is_string(t) ||
		          timeparse_rfc3339(json_string_value(t), json_string_length(t), &ms) != 0))
			verr(v, "%s.%s: an RFC 3339 time", where, times[i]);
	}
}

static void check_range(struct vctx *v, json_t *o, const char *where)
{
	if (!o)
		return;
	if (json_is_integer(o))
		return;
	if (!json_is_object(o)) {
		verr(v, "%s: a number or {\"min\", \"max\"}", where);
		return;
	}
	static const char *const keys[] = { "min", "max", NULL };
	check_keys(v, o, where, keys);
	json_t *lo = json_object_get(o, "min"), *hi = json_object_get(o, "max");
	if ((lo && !json_is_integer(lo)) || (hi && !json_is_integer(hi)))
		verr(v, "%s: min and max are integers", where);
}

static void check_sev(struct vctx *v, json_t *o, const char *where)
{
	if (!o)
		return;
	if (json_is_string(o)) {
		if (replay_expect__sev_rank(json_string_value(o)) < 0)
			verr(v, "%s: not a severity", where);
		return;
	}
	if (!json_is_object(o)) {
		verr(v, "%s: a severity or {\"min\", \"max\"}", where);
		return;
	}
	static const char *const keys[] = { "min", "max", NULL };
	check_keys(v, o, where, keys);
	json_t *lo = json_object_get(o, "min"), *hi = json_object_get(o, "max");
	if ((lo && replay_expect__sev_rank(json_string_value(lo)) < 0) ||
	    (hi && replay_expect__sev_rank(json_string_value(hi)) < 0))
		verr(v, "%s: min and max are severities", where);
}

static void check_seconds(struct vctx *v, json_t *o, const char *where)
{
	if (o && !json_is_number(o))
		verr(v, "%s: a number of seconds", where);
}

json_t *replay_expect__find_named(json_t *incs, const char *name)
{
	size_t i;
	json_t *x;
	json_array_foreach (incs, i, x) {
		const char *n = replay_expect__str(x, "name");
		if (n && strcmp(n, name) == 0)
			return x;
	}
	return NULL;
}

static void validate(struct vctx *v, json_t *root)
{
	char where[96];
	if (!json_is_object(root)) {
		verr(v, "not a JSON object");
		return;
	}
	static const char *const top[] = { "scenario",    "why",       "incidents",
		                           "forbidden",   "payloads",  "detect",
		                           "oscillation", "baselines", NULL };
	check_keys(v, root, "top level", top);
	json_t *bl = json_object_get(root, "baselines");
	if (bl && !json_is_object(bl))
		verr(v, "baselines: an object");
	if (json_is_object(bl)) {
		static const char *const bkeys[] = { "refreshes", "reviews", "why", NULL };
		check_keys(v, bl, "baselines", bkeys);
		check_range(v, json_object_get(bl, "refreshes"), "baselines.refreshes");
		check_range(v, json_object_get(bl, "reviews"), "baselines.reviews");
	}
	json_t *incs = json_object_get(root, "incidents");
	if (incs && !json_is_array(incs))
		verr(v, "incidents: not an array");
	size_t i;
	json_t *x;
	json_array_foreach (incs, i, x) {
		snprintf(where, sizeof(where), "incidents[%zu]", i);
		if (!json_is_object(x)) {
			verr(v, "%s: not an object", where);
			continue;
		}
		static const char *const keys[] = { "name",        "why",        "category",
			                            "subtype",     "provider",   "template",
			                            "severity",    "count",      "incidents",
			                            "paged",       "related_to", "first_before",
			                            "first_after", NULL };
		check_keys(v, x, where, keys);
		if (!replay_expect__str(x, "name"))
			verr(v, "%s.name: required (a string)", where);
		if (!replay_expect__str(x, "category"))
			verr(v, "%s.category: required", where);
		check_matcher(v, x, where);
		check_sev(v, json_object_get(x, "severity"), where);
		check_range(v, json_object_get(x, "count"), where);
		check_range(v, json_object_get(x, "incidents"), where);
		if (json_object_get(x, "paged") && !json_is_boolean(json_object_get(x, "paged")))
			verr(v, "%s.paged: true or false", where);
		size_t j;
		json_t *r;
		json_array_foreach (json_object_get(x, "related_to"), j, r) {
			if (!json_is_string(r) ||
			    !replay_expect__find_named(incs, json_string_value(r)))
				verr(v, "%s.related_to[%zu]: not the name of an expected incident",
				     where, j);
		}
	}
	json_t *fb = json_object_get(root, "forbidden");
	if (fb && !json_is_array(fb))
		verr(v, "forbidden: not an array");
	json_array_foreach (fb, i, x) {
		snprintf(where, sizeof(where), "forbidden[%zu]", i);
		static const char *const keys[] = { "name",     "why",          "category",
			                            "subtype",  "provider",     "template",
			                            "severity", "first_before", "first_after",
			                            NULL };
		if (!json_is_object(x)) {
			verr(v, "%s: not an object", where);
			continue;
		}
		check_keys(v, x, where, keys);
		check_matcher(v, x, where);
		json_t *sv = json_object_get(x, "severity");
		if (sv && replay_expect__sev_rank(json_string_value(sv)) < 0)
			verr(v, "%s.severity: not a severity", where);
	}
	json_t *pl = json_object_get(root, "payloads");
	if (pl && !json_is_array(pl))
		verr(v, "payloads: not an array");
	json_array_foreach (pl, i, x) {
		snprintf(where, sizeof(where), "payloads[%zu]", i);
		static const char *const keys[] = {
			"incident", "kind", "op", "fields", "why", NULL
		};
		if (!json_is_object(x)) {
			verr(v, "%s: not an object", where);
			continue;
		}
		check_keys(v, x, where, keys);
		if (!replay_expect__str(x, "incident") ||
		    !replay_expect__find_named(incs, replay_expect__str(x, "incident")))
			verr(v, "%s.incident: not the name of an expected incident", where);
		if (!replay_expect__str(x, "kind"))
			verr(v, "%s.kind: required (pagerduty, alertmanager, webhook, jira)",
			     where);
		if (!json_is_array(json_object_get(x, "fields")))
			verr(v, "%s.fields: an array of dotted paths", where);
	}
	json_t *dt = json_object_get(root, "detect");
	if (dt && !json_is_array(dt))
		verr(v, "detect: not an array");
	json_array_foreach (dt, i, x) {
		snprintf(where, sizeof(where), "detect[%zu]", i);
		static const char *const keys[] = { "fault",     "why",        "max_s",
			                            "max_own_s", "max_page_s", "max_symptom_s",
			                            "kinds",     NULL };
		if (!json_is_object(x)) {
			verr(v, "%s: not an object", where);
			continue;
		}
		check_keys(v, x, where, keys);
		if (!replay_expect__str(x, "fault"))
			verr(v, "%s.fault: required (a truth fault's name)", where);
		check_seconds(v, json_object_get(x, "max_s"), where);
		check_seconds(v, json_object_get(x, "max_own_s"), where);
		check_seconds(v, json_object_get(x, "max_page_s"), where);
		check_seconds(v, json_object_get(x, "max_symptom_s"), where);
		size_t j;
		json_t *k;
		json_array_foreach (json_object_get(x, "kinds"), j, k) {
			static const char *const kkeys[] = { "category", "subtype", "max_s", NULL };
			check_keys(v, k, where, kkeys);
			check_matcher(v, k, where);
			check_seconds(v, json_object_get(k, "max_s"), where);
		}
	}
	json_t *osc = json_object_get(root, "oscillation");
	if (osc && !json_is_array(osc))
		verr(v, "oscillation: an array of provider names");
}

int replay_expect_parse(json_t *root, const char *name, struct replay_expect **out, char **cause)
{
	*out = NULL;
	struct vctx v = { .file = name, .cause = cause, .rc = 0 };
	validate(&v, root);
	if (v.rc != 0)
		return v.rc;
	struct replay_expect *e = calloc(1, sizeof(*e));
	if (!e)
		return VG_ENOMEM;
	e->root = json_incref(root);
	*out = e;
	return 0;
}

int replay_expect_load(const char *path, struct replay_expect **out, char **cause)
{
	*out = NULL;
	json_error_t err;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return vg_cause(cause, VG_EPARSE, "%s:%d:%d: %s", path, err.line, err.column,
		                err.text);
	int rc = replay_expect_parse(root, path, out, cause);
	json_decref(root);
	return rc;
}

void replay_expect_free(struct replay_expect *e)
{
	if (!e)
		return;
	json_decref(e->root);
	free(e);
}
