/*
 * snapshot_json.c: read a console snapshot from JSON (see snapshot_json.h).
 * Unknown keys are ignored; a known key with a wrong type or an unknown
 * enum value is an error naming the field.
 */
#include "tui/snapshot_json.h"

#include "core/sanitize.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	struct snapshot *s;
	char err[256];
};

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return VG_EINVAL;
}

static void get_str(json_t *o, const char *key, char *dst, size_t size)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		sanitize_text(dst, size, json_string_value(v), json_string_length(v), 0);
}

static void get_text(json_t *o, const char *key, char *dst, size_t size)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		sanitize_text(dst, size, json_string_value(v), json_string_length(v),
		              SANITIZE_KEEP_NEWLINES);
}

static double get_num(json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

static int64_t get_int(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* A time given as "<key>_ms" (absolute) or "<key>_ago" (duration before now,
 * or "ago" alone when key is ""). */
static int get_time(struct ctx *c, json_t *o, const char *key, const char *where, int64_t *out)
{
	char k[64];
	snprintf(k, sizeof(k), "%s%sms", key, *key ? "_" : "");
	json_t *v = json_object_get(o, k);
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	snprintf(k, sizeof(k), "%s%sago", key, *key ? "_" : "");
	v = json_object_get(o, k);
	if (!v)
		return 0;
	int64_t d;
	if (!json_is_string(v) ||
	    timeparse_go_duration(json_string_value(v), json_string_length(v), &d) != 0)
		return fail(c, "%s.%s: expected a duration like \"5m\"", where, k);
	*out = c->s->now_ms - d;
	return 0;
}

static int get_enum(struct ctx *c, json_t *o, const char *key, const char *where,
                    int (*parse)(const char *, size_t), int *out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	int r = json_is_string(v) ? parse(json_string_value(v), json_string_length(v)) : -1;
	if (r < 0)
		return fail(c, "%s.%s: unknown value '%s'", where, key,
		            json_is_string(v) ? json_string_value(v) : "(not a string)");
	*out = r;
	return 0;
}

static int parse_inc_state(const char *s, size_t len)
{
	for (int i = 0; i < SNAP_INC__COUNT; i++) {
		const char *n = snapshot_inc_state_name((enum snap_inc_state)i);
		if (strlen(n) == len && memcmp(n, s, len) == 0)
			return i;
	}
	return -1;
}

static int parse_tl_kind(const char *s, size_t len)
{
	for (int i = 0; i < SNAP_TL__COUNT; i++) {
		const char *n = snapshot_tl_kind_name((enum snap_tl_kind)i);
		if (strlen(n) == len && memcmp(n, s, len) == 0)
			return i;
	}
	return -1;
}

static int parse_breaker(const char *s, size_t len)
{
	return model_breaker_state_parse(s, len);
}

static int parse_category(const char *s, size_t len)
{
	return model_category_parse(s, len);
}

static int parse_subtype(const char *s, size_t len)
{
	return model_subtype_parse(s, len);
}

static int parse_severity(const char *s, size_t len)
{
	return model_severity_parse(s, len);
}

static const char *const err_keys[SNAP_ERR__COUNT] = {
	[SNAP_ERR_RATE_LIMIT] = "rate_limit", [SNAP_ERR_SERVER] = "server",
	[SNAP_ERR_TIMEOUT] = "timeout",       [SNAP_ERR_CONTENT_FILTER] = "content_filter",
	[SNAP_ERR_OTHER] = "other",
};

static int load_provider(struct ctx *c, json_t *o, int i, struct snap_provider *p)
{
	char where[48];
	snprintf(where, sizeof(where), "providers[%d]", i);
	snapshot_provider_init(p);
	if (!json_is_object(o))
		return fail(c, "%s: expected an object", where);
	get_str(o, "provider", p->provider, sizeof(p->provider));
	if (!p->provider[0])
		return fail(c, "%s.provider: required", where);
	get_str(o, "model", p->model, sizeof(p->model));
	p->fallback = json_is_true(json_object_get(o, "fallback"));
	p->requests = get_int(o, "requests", VG_NONE);
	p->availability = get_num(o, "availability", VG_NONE_D);
	p->p50_ms = get_num(o, "p50_ms", VG_NONE_D);
	p->p95_ms = get_num(o, "p95_ms", VG_NONE_D);
	p->p99_ms = get_num(o, "p99_ms", VG_NONE_D);
	json_t *spark = json_object_get(o, "spark");
	size_t k;
	json_t *v;
	json_array_foreach (spark, k, v) {
		if (p->n_spark >= SNAP_SPARK_N)
			break;
		p->spark[p->n_spark++] = json_is_number(v) ? (float)json_number_value(v) : NAN;
	}
	p->spark_step_ms = get_int(o, "spark_step_ms", 60000);
	json_t *err = json_object_get(o, "err");
	for (int e = 0; e < SNAP_ERR__COUNT; e++)
		p->err_rate[e] = get_num(err, err_keys[e], VG_NONE_D);
	p->tokens_per_s = get_num(o, "tokens_per_s", VG_NONE_D);
	p->quality = get_num(o, "quality", VG_NONE_D);
	p->cost_efficiency = get_num(o, "cost_efficiency", VG_NONE_D);
	p->rl_headroom = get_num(o, "rl_headroom", VG_NONE_D);
	p->probe_spend_usd = get_num(o, "probe_spend_usd", VG_NONE_D);
	p->probe_budget_usd = get_num(o, "probe_budget_usd", VG_NONE_D);
	int b = BRK_CLOSED;
	p->has_breaker = !p->model[0] || json_object_get(o, "breaker") != NULL;
	if (get_enum(c, o, "breaker", where, parse_breaker, &b) != 0)
		return VG_EINVAL;
	p->breaker = (enum breaker_state)b;
	if (get_time(c, o, "breaker_since", where, &p->breaker_since_ms) != 0)
		return VG_EINVAL;
	p->oscillating = json_is_true(json_object_get(o, "oscillating"));
	p->warm[0] = get_num(o, "warm_gateway", VG_NONE_D);
	p->warm[1] = get_num(o, "warm_probe", VG_NONE_D);
	p->per_hour[0] = get_num(o, "per_hour_gateway", VG_NONE_D);
	p->per_hour[1] = get_num(o, "per_hour_probe", VG_NONE_D);
	return 0;
}

static int load_transition(struct ctx *c, json_t *o, int i, struct breaker_transition *t)
{
	char where[48];
	snprintf(where, sizeof(where), "transitions[%d]", i);
	memset(t, 0, sizeof(*t));
	if (get_time(c, o, "", where, &t->time_ms) != 0)
		return VG_EINVAL;
	get_str(o, "provider", t->provider, sizeof(t->provider));
	get_str(o, "model", t->model, sizeof(t->model));
	int from = BRK_CLOSED, to = BRK_CLOSED;
	if (get_enum(c, o, "from", where, parse_breaker, &from) != 0 ||
	    get_enum(c, o, "to", where, parse_breaker, &to) != 0)
		return VG_EINVAL;
	t->from = (enum breaker_state)from;
	t->to = (enum breaker_state)to;
	get_str(o, "reason", t->reason, sizeof(t->reason));
	t->opens_in_window = (int32_t)get_int(o, "opens_in_window", 0);
	t->oscillating = json_is_true(json_object_get(o, "oscillating"));
	return 0;
}

static int load_incident(struct ctx *c, json_t *o, int i, struct snap_incident *inc)
{
	char where[48];
	snprintf(where, sizeof(where), "incidents[%d]", i);
	memset(inc, 0, sizeof(*inc));
	inc->id = get_int(o, "id", 0);
	if (inc->id <= 0)
		return fail(c, "%s.id: required, a positive integer", where);
	int sev = SEV_LOW, cat = CAT_PROVIDER, sub = SUB_PROVIDER_OTHER, st = SNAP_INC_OPEN;
	if (get_enum(c, o, "severity", where, parse_severity, &sev) != 0 ||
	    get_enum(c, o, "category", where, parse_category, &cat) != 0 ||
	    get_enum(c, o, "subtype", where, parse_subtype, &sub) != 0 ||
	    get_enum(c, o, "state", where, parse_inc_state, &st) != 0)
		return VG_EINVAL;
	inc->severity = (enum severity)sev;
	inc->category = (enum category)cat;
	inc->subtype = (enum subtype)sub;
	inc->state = (enum snap_inc_state)st;
	get_str(o, "provider", inc->provider, sizeof(inc->provider));
	get_str(o, "model", inc->model, sizeof(inc->model));
	inc->count = get_int(o, "count", 1);
	inc->first_ms = inc->last_ms = c->s->now_ms;
	inc->state_ms = VG_NONE;
	if (get_time(c, o, "first", where, &inc->first_ms) != 0 ||
	    get_time(c, o, "last", where, &inc->last_ms) != 0 ||
	    get_time(c, o, "state", where, &inc->state_ms) != 0)
		return VG_EINVAL;
	get_str(o, "acked_by", inc->acked_by, sizeof(inc->acked_by));
	json_t *rel = json_object_get(o, "related");
	size_t k;
	json_t *v;
	json_array_foreach (rel, k, v) {
		if (inc->n_related < SNAP_MAX_RELATED && json_is_integer(v))
			inc->related[inc->n_related++] = (int64_t)json_integer_value(v);
	}
	get_str(o, "summary", inc->summary, sizeof(inc->summary));
	inc->triaged = json_is_true(json_object_get(o, "triaged"));
	inc->pending = json_is_true(json_object_get(o, "pending"));
	return 0;
}

static int parse_review_state(const char *s, size_t len)
{
	for (int i = 0; i < SNAP_REV__COUNT; i++) {
		const char *n = snapshot_review_state_name((enum snap_review_state)i);
		if (strlen(n) == len && memcmp(n, s, len) == 0)
			return i;
	}
	return -1;
}

/* A review item: {"id", "provider", "alias", "probe", "metric", "before",
 * "after", "delta", "z", "near_marker", "model", "detail", "at_ago",
 * "created_ago", "state", "actor", "decided_ago", "pending"}. */
static int load_review(struct ctx *c, json_t *o, int i, struct snap_review *r)
{
	char where[48];
	snprintf(where, sizeof(where), "reviews[%d]", i);
	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return fail(c, "%s: expected an object", where);
	r->id = get_int(o, "id", 0);
	if (r->id <= 0)
		return fail(c, "%s.id: required, a positive integer", where);
	get_str(o, "provider", r->provider, sizeof(r->provider));
	get_str(o, "alias", r->alias, sizeof(r->alias));
	r->probe = json_is_true(json_object_get(o, "probe"));
	get_str(o, "metric", r->metric, sizeof(r->metric));
	r->before = get_num(o, "before", VG_NONE_D);
	r->after = get_num(o, "after", VG_NONE_D);
	r->delta = get_num(o, "delta", 0);
	r->z = get_num(o, "z", 0);
	r->near_marker = json_is_true(json_object_get(o, "near_marker"));
	get_str(o, "model", r->model, sizeof(r->model));
	get_str(o, "detail", r->detail, sizeof(r->detail));
	r->at_ms = r->created_ms = c->s->now_ms;
	r->decided_ms = VG_NONE;
	int st = SNAP_REV_WAITING;
	if (get_time(c, o, "at", where, &r->at_ms) != 0 ||
	    get_time(c, o, "created", where, &r->created_ms) != 0 ||
	    get_time(c, o, "decided", where, &r->decided_ms) != 0 ||
	    get_enum(c, o, "state", where, parse_review_state, &st) != 0)
		return VG_EINVAL;
	r->state = (enum snap_review_state)st;
	get_str(o, "actor", r->actor, sizeof(r->actor));
	r->pending = json_is_true(json_object_get(o, "pending"));
	return 0;
}

/* "learning": {"gateway": {"series", "warm", "per_hour", "weeks_to_warm"},
 * "probe": {...}} */
static void load_learning(json_t *o, struct snap_learning *l)
{
	static const char *const keys[2] = { "gateway", "probe" };
	for (int src = 0; src < 2; src++) {
		json_t *v = json_object_get(o, keys[src]);
		l->series[src] = (int)get_int(v, "series", 0);
		l->warm[src] = get_num(v, "warm", VG_NONE_D);
		l->per_hour[src] = get_num(v, "per_hour", VG_NONE_D);
		l->weeks_to_warm[src] = get_num(v, "weeks_to_warm", VG_NONE_D);
	}
}
static int load_evidence(struct ctx *c, json_t *o, const char *where, struct triage_evidence *ev);

static int load_detail(struct ctx *c, json_t *o)
{
	struct snap_detail *d = &c->s->detail;
	if (!o)
		return 0;
	d->incident_id = get_int(o, "incident", 0);
	json_t *ev = json_object_get(o, "evidence");
	if (ev) {
		if (load_evidence(c, ev, "detail.evidence", &d->evidence) != 0)
			return -1;
		/* Counted: rates follow from the counts, as from a database. */
		if (json_object_get(ev, "events") || json_object_get(ev, "non2xx"))
			triage_evidence_rates(&d->evidence);
		d->has_evidence = true;
	}
	size_t k;
	json_t *v;
	json_array_foreach (json_object_get(o, "samples"), k, v) {
		if (d->n_samples >= SNAP_MAX_SAMPLES)
			break;
		struct snap_sample *sm = &d->samples[d->n_samples++];
		get_str(v, "label", sm->label, sizeof(sm->label));
		sm->time_ms = c->s->now_ms;
		if (get_time(c, v, "", "detail.samples", &sm->time_ms) != 0)
			return VG_EINVAL;
		get_str(v, "text", sm->text, sizeof(sm->text));
	}
	json_array_foreach (json_object_get(o, "timeline"), k, v) {
		if (d->n_timeline >= SNAP_MAX_TIMELINE)
			break;
		struct snap_timeline *t = &d->timeline[d->n_timeline++];
		t->time_ms = c->s->now_ms;
		int kind = SNAP_TL_EVENT;
		if (get_time(c, v, "", "detail.timeline", &t->time_ms) != 0 ||
		    get_enum(c, v, "kind", "detail.timeline", parse_tl_kind, &kind) != 0)
			return VG_EINVAL;
		t->kind = (enum snap_tl_kind)kind;
		get_str(v, "text", t->text, sizeof(t->text));
	}
	get_text(o, "triage_path", d->triage_path, sizeof(d->triage_path));
	return 0;
}

static int load_evidence(struct ctx *c, json_t *o, const char *where, struct triage_evidence *ev)
{
	triage_evidence_init(ev);
	if (!o)
		return 0;
	if (!json_is_object(o))
		return fail(c, "%s: expected an object", where);
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		if (strcmp(key, "scope") == 0) {
			get_str(o, "scope", ev->scope, sizeof(ev->scope));
		} else if (strcmp(key, "requests") == 0) {
			ev->requests =
			        json_is_integer(v) ? (int64_t)json_integer_value(v) : VG_NONE;
		} else if (strcmp(key, "window_ms") == 0) {
			ev->window_ms = get_int(o, key, ev->window_ms);
		} else if (strcmp(key, "where") == 0) {
			get_str(o, "where", ev->where, sizeof(ev->where));
		} else if (strcmp(key, "from_ago") == 0 || strcmp(key, "from_ms") == 0 ||
		           strcmp(key, "to_ago") == 0 || strcmp(key, "to_ms") == 0) {
			if (get_time(c, o, key[0] == 'f' ? "from" : "to", where,
			             key[0] == 'f' ? &ev->from_ms : &ev->to_ms) != 0)
				return -1;
			ev->window_ms = ev->to_ms - ev->from_ms;
		} else if (strcmp(key, "before_requests") == 0) {
			ev->before_requests = get_int(o, key, VG_NONE);
		} else if (strcmp(key, "events") == 0) {
			/* failure events in the scope per subtype, counted as the
			 * database read counts them */
			const char *sk;
			json_t *sv;
			json_object_foreach (v, sk, sv) {
				int sub = model_subtype_parse(sk, (size_t)-1);
				if (sub < 0 || !json_is_integer(sv))
					return fail(c,
					            "%s.events.%s: unknown subtype or not a count",
					            where, sk);
				triage_evidence_add(ev, (enum subtype)sub,
				                    (double)json_integer_value(sv));
			}
		} else if (strcmp(key, "before") == 0) {
			const char *mk;
			json_t *mv;
			json_object_foreach (v, mk, mv) {
				enum triage_metric m = triage_metric_parse(mk);
				if (m == TM_NONE || !json_is_number(mv))
					return fail(c, "%s.before.%s: unknown metric", where, mk);
				ev->before[m] = json_number_value(mv);
			}
		} else if (strcmp(key, "non2xx") == 0) {
			ev->n[TM_NON2XX_RATE] = (double)get_int(o, key, 0);
		} else {
			enum triage_metric m = triage_metric_parse(key);
			if (m == TM_NONE)
				return fail(c, "%s.%s: unknown metric", where, key);
			if (!json_is_number(v) && !json_is_null(v))
				return fail(c, "%s.%s: expected a number", where, key);
			ev->v[m] = json_is_number(v) ? json_number_value(v) : VG_NONE_D;
		}
	}
	return 0;
}

static int load(struct ctx *c, json_t *doc)
{
	struct snapshot *s = c->s;
	if (!json_is_object(doc))
		return fail(c, "expected a JSON object");
	json_t *now = json_object_get(doc, "now");
	if (json_is_integer(now))
		s->now_ms = (int64_t)json_integer_value(now);
	else if (!json_is_string(now) ||
	         timeparse_rfc3339(json_string_value(now), json_string_length(now), &s->now_ms) !=
	                 0)
		return fail(c, "now: required, an RFC 3339 time or ms since the epoch");
	get_str(doc, "source", s->source, sizeof(s->source));
	if (get_time(c, doc, "last_data", "snapshot", &s->last_data_ms) != 0 ||
	    get_time(c, doc, "last_gateway", "snapshot", &s->last_gateway_ms) != 0)
		return VG_EINVAL;
	s->health_window_ms = get_int(doc, "health_window_ms", s->health_window_ms);

	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(doc, "providers"), i, v) {
		if (s->n_providers >= SNAP_MAX_PROVIDERS)
			break;
		if (load_provider(c, v, (int)i, &s->providers[s->n_providers]) != 0)
			return VG_EINVAL;
		s->n_providers++;
	}
	json_array_foreach (json_object_get(doc, "transitions"), i, v) {
		if (s->n_transitions >= SNAP_MAX_TRANSITIONS)
			break;
		if (load_transition(c, v, (int)i, &s->transitions[s->n_transitions]) != 0)
			return VG_EINVAL;
		s->n_transitions++;
	}
	json_t *tax = json_object_get(doc, "taxonomy");
	static const char *const wkeys[SNAP_W__COUNT] = { "5m", "1h", "24h" };
	for (int w = 0; w < SNAP_W__COUNT; w++) {
		json_t *win = json_object_get(tax, wkeys[w]);
		const char *cat;
		json_t *row;
		json_object_foreach (win, cat, row) {
			int ci = model_category_parse(cat, (size_t)-1);
			if (ci < 0)
				return fail(c, "taxonomy.%s.%s: unknown category", wkeys[w], cat);
			if (!json_is_array(row) || json_array_size(row) != SEV__COUNT)
				return fail(
				        c, "taxonomy.%s.%s: expected [critical, high, medium, low]",
				        wkeys[w], cat);
			for (int sv = 0; sv < SEV__COUNT; sv++)
				s->taxonomy[w][ci][sv] = (int64_t)json_integer_value(
				        json_array_get(row, (size_t)sv));
		}
	}
	json_array_foreach (json_object_get(doc, "incidents"), i, v) {
		if (s->n_incidents >= SNAP_MAX_INCIDENTS)
			break;
		if (load_incident(c, v, (int)i, &s->incidents[s->n_incidents]) != 0)
			return VG_EINVAL;
		s->n_incidents++;
	}
	json_array_foreach (json_object_get(doc, "reviews"), i, v) {
		if (s->n_reviews >= SNAP_MAX_REVIEWS)
			break;
		if (load_review(c, v, (int)i, &s->reviews[s->n_reviews]) != 0)
			return VG_EINVAL;
		s->n_reviews_waiting += s->reviews[s->n_reviews].state == SNAP_REV_WAITING;
		s->n_reviews++;
	}
	load_learning(json_object_get(doc, "learning"), &s->learning);
	if (load_detail(c, json_object_get(doc, "detail")) != 0)
		return VG_EINVAL;
	if (load_evidence(c, json_object_get(doc, "evidence"), "evidence", &s->evidence) != 0)
		return VG_EINVAL;
	json_t *pe = json_object_get(doc, "provider_evidence");
	/* Stored in provider order; unknown providers are an error. */
	const char *name;
	json_object_foreach (pe, name, v) {
		int at = -1;
		for (int p = 0; p < s->n_providers; p++)
			if (strcmp(s->providers[p].provider, name) == 0) {
				at = p;
				break;
			}
		if (at < 0)
			return fail(c, "provider_evidence.%s: no such provider", name);
		char where[80];
		snprintf(where, sizeof(where), "provider_evidence.%s", name);
		if (load_evidence(c, v, where, &s->provider_evidence[at]) != 0)
			return VG_EINVAL;
		sanitize_str(s->provider_evidence[at].scope, sizeof(s->provider_evidence[at].scope),
		             name, 0);
	}
	return 0;
}

int snapshot_from_json(struct snapshot *s, json_t *doc, char **cause)
{
	struct ctx c = { .s = s };
	snapshot_reset(s);
	int rc = load(&c, doc);
	if (rc != 0) {
		snapshot_reset(s);
		if (cause)
			*cause = strdup(c.err);
	}
	return rc;
}

int snapshot_load_file(struct snapshot *s, const char *path, char **cause)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	if (!doc)
		return vg_cause(cause, jerr.line > 0 ? VG_EPARSE : VG_EIO, "%s:%d: %s", path,
		                jerr.line, jerr.text);
	char *inner = NULL;
	int rc = snapshot_from_json(s, doc, &inner);
	json_decref(doc);
	if (rc != 0)
		vg_cause(cause, rc, "%s: %s", path, inner ? inner : "invalid");
	free(inner);
	return rc;
}
