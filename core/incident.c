/*
 * incident.c: the incident tracker. Incidents live in one array of pointers
 * (oldest first), so an incident's address is stable until it is evicted in
 * incidents_begin(). The change list and the strings it borrows (actors,
 * notes) are owned by the tracker and emptied by incidents_begin().
 */
#include "core/incident.h"

#include "core/timeparse.h"
#include "core/vgerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SUB__COUNT <= 64, "incident.subtypes is a 64-bit set");

/* Resolved incidents kept beyond this many are evicted oldest first, even
 * before keep_resolved_ms, so memory stays bounded in a storm. */
#define KEEP_RESOLVED_MAX 2048

struct incidents {
	struct incident_settings s;
	int64_t next_id;
	int64_t now; /* high-water mark of the times seen */
	struct incident **v;
	size_t n, cap;
	struct incident_change *changes;
	size_t n_changes, cap_changes;
	char **strs; /* actor and note copies the changes borrow */
	size_t n_strs, cap_strs;
	/* Called per observation, evict() and incidents_tick() walk every
	 * incident only when one may be due: evict_at is the earliest
	 * resolved_ms + keep_resolved_ms of the resolved ones, tick_at the
	 * earliest ticket or quiet time of the others (INT64_MIN: walk at the
	 * next call; set wherever an incident appears or resolves). */
	int64_t evict_at, tick_at;
};

static const char *const state_names[] = { "open", "acknowledged", "resolved" };
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == INC__COUNT, "state names");

static const char *const change_names[] = {
	"opened",        "updated",  "escalated", "acknowledged", "resolved",
	"auto_resolved", "ticketed", "note",      "related",
};
_Static_assert(sizeof(change_names) / sizeof(change_names[0]) == INCC__COUNT, "change names");

const char *incident_state_name(enum incident_state s)
{
	return (int)s >= 0 && s < INC__COUNT ? state_names[s] : "unknown";
}

const char *incident_change_name(enum incident_change_kind k)
{
	return (int)k >= 0 && k < INCC__COUNT ? change_names[k] : "unknown";
}

static int parse_name(const char *const *names, int count, const char *s, size_t len)
{
	if (!s)
		return -1;
	if (len == (size_t)-1)
		len = strlen(s);
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

int incident_state_parse(const char *s, size_t len)
{
	return parse_name(state_names, INC__COUNT, s, len);
}

int incident_change_parse(const char *s, size_t len)
{
	return parse_name(change_names, INCC__COUNT, s, len);
}

void incident_settings_defaults(struct incident_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->group_gap_ms = 5 * 60 * 1000;
	s->quiet_period_ms = 10 * 60 * 1000;
	s->ticket_after_ms = 30 * 60 * 1000;
	s->keep_resolved_ms = 60 * 60 * 1000;
	model_copy_str(s->instance, sizeof(s->instance), "vigil", (size_t)-1);
}

const char *incident_family(enum subtype sub)
{
	switch (sub) {
	case SUB_DNS:
	case SUB_CONNECT:
	case SUB_TLS:
	case SUB_TIMEOUT:
	case SUB_RESET:
	case SUB_SERVER_ERROR:
	case SUB_OVERLOADED: return "outage";
	case SUB_QUOTA_EXHAUSTED:
	case SUB_SPEND_CAP: return "billing";
	default: return model_subtype_name(sub);
	}
}

int incident_key(const struct failure_event *ev, char *buf, size_t size)
{
	/* What snprintf("%s/%s/%s") gives, without it (once per event). */
	const char *parts[] = { model_category_name(ev->category), "/", ev->pid.provider, "/",
		                incident_family(ev->subtype) };
	size_t at = 0;
	int rc = 0;
	if (size == 0)
		return VG_ERANGE;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t n = strlen(parts[i]);
		if (n > size - 1 - at) {
			n = size - 1 - at;
			rc = VG_ERANGE;
		}
		memcpy(buf + at, parts[i], n);
		at += n;
	}
	buf[at] = '\0';
	return rc;
}

/* ---- tracker ----------------------------------------------------------- */

struct incidents *incidents_new(const struct incident_settings *s, int64_t first_id)
{
	if (first_id < 1)
		return NULL;
	struct incidents *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s = *s;
	t->s.instance[sizeof(t->s.instance) - 1] = '\0';
	t->next_id = first_id;
	t->now = INT64_MIN;
	t->evict_at = t->tick_at = INT64_MIN;
	return t;
}

static void incident_free(struct incident *inc)
{
	if (!inc)
		return;
	free(inc->history);
	free(inc);
}

static void clear_changes(struct incidents *t)
{
	for (size_t i = 0; i < t->n_strs; i++)
		free(t->strs[i]);
	t->n_strs = 0;
	t->n_changes = 0;
}

void incidents_free(struct incidents *t)
{
	if (!t)
		return;
	clear_changes(t);
	for (size_t i = 0; i < t->n; i++)
		incident_free(t->v[i]);
	free(t->v);
	free(t->changes);
	free(t->strs);
	free(t);
}

static void evict(struct incidents *t)
{
	/* Nothing resolved since the last walk (so at most KEEP_RESOLVED_MAX are)
	 * and none old enough yet: nothing to evict. */
	if (t->now < t->evict_at)
		return;
	size_t resolved = 0;
	for (size_t i = 0; i < t->n; i++)
		resolved += t->v[i]->state == INC_RESOLVED;
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct incident *inc = t->v[i];
		bool old = inc->state == INC_RESOLVED &&
		           (resolved > KEEP_RESOLVED_MAX ||
		            (t->now != INT64_MIN &&
		             inc->resolved_ms + t->s.keep_resolved_ms <= t->now));
		if (old) {
			resolved--;
			incident_free(inc);
			continue;
		}
		t->v[w++] = inc;
	}
	t->n = w;
	t->evict_at = INT64_MAX;
	for (size_t i = 0; i < t->n; i++) {
		const struct incident *inc = t->v[i];
		if (inc->state == INC_RESOLVED &&
		    inc->resolved_ms + t->s.keep_resolved_ms < t->evict_at)
			t->evict_at = inc->resolved_ms + t->s.keep_resolved_ms;
	}
}

void incidents_begin(struct incidents *t)
{
	clear_changes(t);
	evict(t);
}

const struct incident_change *incidents_changes(const struct incidents *t, size_t *n)
{
	*n = t->n_changes;
	return t->changes;
}

const struct incident *incidents_get(const struct incidents *t, int64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->id == id)
			return t->v[i];
	return NULL;
}

const struct incident *const *incidents_list(const struct incidents *t, size_t *n)
{
	*n = t->n;
	return (const struct incident *const *)t->v;
}

int64_t incidents_next_id(const struct incidents *t)
{
	return t->next_id;
}

void incidents_open_counts(const struct incidents *t, int64_t counts[CAT__COUNT][SEV__COUNT])
{
	memset(counts, 0, sizeof(int64_t) * CAT__COUNT * SEV__COUNT);
	for (size_t i = 0; i < t->n; i++) {
		const struct incident *inc = t->v[i];
		if (inc->state != INC_RESOLVED)
			counts[inc->category][inc->severity]++;
	}
}

/* A copy of s (truncated to max - 1 bytes) that lives until incidents_begin(). */
static const char *keep_str(struct incidents *t, const char *s, size_t max)
{
	if (!s || !s[0])
		return "";
	if (t->n_strs == t->cap_strs) {
		size_t cap = t->cap_strs ? t->cap_strs * 2 : 8;
		char **nv = realloc(t->strs, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		t->strs = nv;
		t->cap_strs = cap;
	}
	size_t len = strnlen(s, max - 1);
	char *c = malloc(len + 1);
	if (!c)
		return NULL;
	memcpy(c, s, len);
	c[len] = '\0';
	t->strs[t->n_strs++] = c;
	return c;
}

static struct incident_change *push_change(struct incidents *t, enum incident_change_kind kind,
                                           const struct incident *inc, int64_t time_ms)
{
	if (t->n_changes == t->cap_changes) {
		size_t cap = t->cap_changes ? t->cap_changes * 2 : 16;
		struct incident_change *nv = realloc(t->changes, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		t->changes = nv;
		t->cap_changes = cap;
	}
	struct incident_change *c = &t->changes[t->n_changes++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->incident = inc;
	c->incident_id = inc->id;
	c->time_ms = time_ms;
	c->from = c->to = inc->state;
	c->sev_from = c->sev_to = inc->severity;
	c->actor = "";
	c->note = "";
	return c;
}

static int push_history(struct incident *inc, enum incident_change_kind what, int64_t time_ms,
                        int64_t related_id, const char *actor, const char *note)
{
	struct incident_history *nv =
	        realloc(inc->history, (inc->n_history + 1) * sizeof(*inc->history));
	if (!nv)
		return VG_ENOMEM;
	inc->history = nv;
	struct incident_history *h = &nv[inc->n_history++];
	memset(h, 0, sizeof(*h));
	h->time_ms = time_ms;
	h->what = what;
	h->state = inc->state;
	h->severity = inc->severity;
	h->count = inc->count;
	h->related_id = related_id;
	if (actor)
		model_copy_str(h->actor, sizeof(h->actor), actor, (size_t)-1);
	if (note)
		model_copy_str(h->note, sizeof(h->note), note, (size_t)-1);
	return 0;
}

/* Record a history-worthy change: the history entry and the change. */
static int record(struct incidents *t, struct incident *inc, enum incident_change_kind kind,
                  int64_t time_ms, enum incident_state from, enum severity sev_from,
                  int64_t related_id, uint64_t event_id, const char *actor, const char *note)
{
	if (push_history(inc, kind, time_ms, related_id, actor, note))
		return VG_ENOMEM;
	const char *a = keep_str(t, actor, INCIDENT_ACTOR_MAX);
	const char *nt = keep_str(t, note, INCIDENT_NOTE_MAX);
	struct incident_change *c = a && nt ? push_change(t, kind, inc, time_ms) : NULL;
	if (!c)
		return VG_ENOMEM;
	c->from = from;
	c->sev_from = sev_from;
	c->related_id = related_id;
	c->event_id = event_id;
	c->actor = a;
	c->note = nt;
	return 0;
}

static int tick_one(struct incidents *t, struct incident *inc, int64_t now)
{
	if (inc->state == INC_RESOLVED)
		return 0;
	int64_t ticket_at = inc->first_ms + t->s.ticket_after_ms;
	int64_t quiet_at = inc->last_ms + t->s.quiet_period_ms;
	if (!inc->ticketed_ms && ticket_at <= now && quiet_at > ticket_at) {
		inc->ticketed_ms = ticket_at;
		if (record(t, inc, INCC_TICKETED, ticket_at, inc->state, inc->severity, 0, 0, NULL,
		           NULL))
			return VG_ENOMEM;
	}
	if (quiet_at <= now) {
		enum incident_state from = inc->state;
		inc->state = INC_RESOLVED;
		inc->resolved_ms = quiet_at;
		inc->auto_resolved = true;
		t->evict_at = INT64_MIN;
		if (record(t, inc, INCC_AUTO_RESOLVED, quiet_at, from, inc->severity, 0, 0, NULL,
		           NULL))
			return VG_ENOMEM;
	}
	return 0;
}

/* The earliest time tick_one() would change inc; INT64_MAX when never. */
static int64_t tick_due(const struct incidents *t, const struct incident *inc)
{
	if (inc->state == INC_RESOLVED)
		return INT64_MAX;
	int64_t ticket_at = inc->first_ms + t->s.ticket_after_ms;
	int64_t quiet_at = inc->last_ms + t->s.quiet_period_ms;
	if (!inc->ticketed_ms && quiet_at > ticket_at)
		return ticket_at;
	return quiet_at;
}

int incidents_tick(struct incidents *t, int64_t now)
{
	if (now > t->now)
		t->now = now;
	if (t->now < t->tick_at)
		return 0;
	int64_t due = INT64_MAX;
	for (size_t i = 0; i < t->n; i++) {
		if (tick_one(t, t->v[i], t->now)) {
			t->tick_at = INT64_MIN;
			return VG_ENOMEM;
		}
		int64_t d = tick_due(t, t->v[i]);
		if (d < due)
			due = d;
	}
	t->tick_at = due;
	return 0;
}

/* The size of the measured signal an event carries, to pick the worst
 * sample among events of equal severity; -inf when none is measured. */
static double magnitude(const struct failure_event *ev)
{
	const struct causal_signals *c = &ev->causal;
	if (vg_has_d(c->latency_ms))
		return c->latency_ms;
	if (vg_has_d(c->error_rate))
		return c->error_rate;
	if (vg_has_d(c->token_delta_pct))
		return c->token_delta_pct;
	if (vg_has(c->retry_count))
		return (double)c->retry_count;
	if (vg_has_d(c->value))
		return c->value;
	if (vg_has_d(c->similarity))
		return -c->similarity;
	return -HUGE_VAL;
}

static bool worse(const struct failure_event *a, const struct failure_event *b)
{
	if (a->severity != b->severity)
		return a->severity < b->severity;
	return magnitude(a) > magnitude(b);
}

static bool same_pid(const struct provider_id *a, const struct provider_id *b)
{
	return strcmp(a->provider, b->provider) == 0 && strcmp(a->model, b->model) == 0 &&
	       strcmp(a->region, b->region) == 0 && strcmp(a->key_alias, b->key_alias) == 0;
}

static void add_involved(struct incident *inc, const struct provider_id *pid)
{
	for (size_t i = 0; i < inc->n_involved; i++)
		if (same_pid(&inc->involved[i], pid))
			return;
	if (inc->n_involved == INCIDENT_MAX_INVOLVED) {
		inc->involved_truncated = true;
		return;
	}
	inc->involved[inc->n_involved++] = *pid;
}

/* Adds a template; true when it was new (and kept). */
static bool add_template(struct incident *inc, const char *tpl)
{
	if (!tpl[0])
		return false;
	for (size_t i = 0; i < inc->n_templates; i++)
		if (strcmp(inc->templates[i], tpl) == 0)
			return false;
	if (inc->n_templates == INCIDENT_MAX_TEMPLATES)
		return false;
	model_copy_str(inc->templates[inc->n_templates++], VG_TEMPLATE_MAX, tpl, (size_t)-1);
	return true;
}

static bool has_related(const struct incident *inc, int64_t id)
{
	for (size_t i = 0; i < inc->n_related; i++)
		if (inc->related[i] == id)
			return true;
	return false;
}

static bool share_template(const struct incident *a, const struct incident *b)
{
	for (size_t i = 0; i < a->n_templates; i++)
		for (size_t j = 0; j < b->n_templates; j++)
			if (strcmp(a->templates[i], b->templates[j]) == 0)
				return true;
	return false;
}

/* Link inc with every other unresolved incident (one active in the same
 * window: it had an event within quiet_period) on the same provider or
 * sharing a template. */
static int link_related(struct incidents *t, struct incident *inc, int64_t now)
{
	for (size_t i = 0; i < t->n; i++) {
		struct incident *o = t->v[i];
		if (o == inc || o->state == INC_RESOLVED || has_related(inc, o->id))
			continue;
		if (strcmp(o->provider, inc->provider) != 0 && !share_template(o, inc))
			continue;
		if (inc->n_related == INCIDENT_MAX_RELATED || o->n_related == INCIDENT_MAX_RELATED)
			continue;
		inc->related[inc->n_related++] = o->id;
		o->related[o->n_related++] = inc->id;
		if (record(t, inc, INCC_RELATED, now, inc->state, inc->severity, o->id, 0, NULL,
		           NULL) ||
		    record(t, o, INCC_RELATED, now, o->state, o->severity, inc->id, 0, NULL, NULL))
			return VG_ENOMEM;
	}
	return 0;
}

static struct incident *find_open(struct incidents *t, const char *key, int64_t time_ms)
{
	/* Newest first: the incident an event would join is the latest of its key. */
	for (size_t i = t->n; i-- > 0;) {
		struct incident *inc = t->v[i];
		if (inc->state == INC_RESOLVED || strcmp(inc->key, key) != 0)
			continue;
		if (time_ms - inc->last_ms <= t->s.group_gap_ms)
			return inc;
		return NULL;
	}
	return NULL;
}

static int open_incident(struct incidents *t, const struct failure_event *ev, const char *key,
                         int64_t now)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct incident **nv = realloc(t->v, cap * sizeof(*nv));
		if (!nv)
			return VG_ENOMEM;
		t->v = nv;
		t->cap = cap;
	}
	struct incident *inc = calloc(1, sizeof(*inc));
	if (!inc)
		return VG_ENOMEM;
	inc->id = t->next_id;
	model_copy_str(inc->key, sizeof(inc->key), key, (size_t)-1);
	snprintf(inc->dedup_key, sizeof(inc->dedup_key), "%s/%s/%lld", t->s.instance, key,
	         (long long)inc->id);
	inc->category = ev->category;
	inc->family = incident_family(ev->subtype);
	inc->subtype = ev->subtype;
	inc->subtypes = UINT64_C(1) << ev->subtype;
	model_copy_str(inc->provider, sizeof(inc->provider), ev->pid.provider, (size_t)-1);
	inc->state = INC_OPEN;
	inc->severity = inc->first_severity = ev->severity;
	inc->count = 1;
	inc->first_ms = inc->last_ms = ev->time_ms;
	inc->opened_ms = now;
	inc->first = inc->worst = inc->latest = *ev;
	add_involved(inc, &ev->pid);
	add_template(inc, ev->template_id);
	if (record(t, inc, INCC_OPENED, now, INC_OPEN, ev->severity, 0, ev->id, NULL, NULL)) {
		incident_free(inc);
		return VG_ENOMEM;
	}
	t->next_id++;
	t->v[t->n++] = inc;
	t->tick_at = INT64_MIN;
	return link_related(t, inc, now);
}

int incidents_add(struct incidents *t, const struct failure_event *ev, int64_t now)
{
	if ((int)ev->category < 0 || ev->category >= CAT__COUNT || (int)ev->severity < 0 ||
	    ev->severity >= SEV__COUNT || (int)ev->subtype < 0 || ev->subtype >= SUB__COUNT ||
	    !ev->pid.provider[0])
		return VG_EINVAL;
	int rc = incidents_tick(t, now);
	if (rc)
		return rc;
	now = t->now;
	char key[INCIDENT_KEY_MAX];
	incident_key(ev, key, sizeof(key));
	struct incident *inc = find_open(t, key, ev->time_ms);
	if (!inc)
		return open_incident(t, ev, key, now);

	enum severity sev_from = inc->severity;
	inc->count++;
	inc->subtypes |= UINT64_C(1) << ev->subtype;
	if (ev->time_ms > inc->last_ms)
		inc->last_ms = ev->time_ms;
	if (ev->time_ms >= inc->latest.time_ms)
		inc->latest = *ev;
	if (worse(ev, &inc->worst))
		inc->worst = *ev;
	add_involved(inc, &ev->pid);
	bool new_template = add_template(inc, ev->template_id);
	struct incident_change *c = push_change(t, INCC_UPDATED, inc, now);
	if (!c)
		return VG_ENOMEM;
	c->event_id = ev->id;
	if (ev->severity < inc->severity) {
		inc->severity = ev->severity;
		if (record(t, inc, INCC_ESCALATED, now, inc->state, sev_from, 0, ev->id, NULL,
		           NULL))
			return VG_ENOMEM;
	}
	if (new_template)
		return link_related(t, inc, now);
	return 0;
}

static struct incident *find_id(struct incidents *t, int64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->id == id)
			return t->v[i];
	return NULL;
}

int incidents_acknowledge(struct incidents *t, int64_t id, int64_t now, const char *actor,
                          const char *note)
{
	struct incident *inc = find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	if (inc->state != INC_OPEN)
		return VG_ESTATE;
	if (now > t->now)
		t->now = now;
	inc->state = INC_ACKNOWLEDGED;
	inc->acknowledged_ms = now;
	return record(t, inc, INCC_ACKNOWLEDGED, now, INC_OPEN, inc->severity, 0, 0, actor, note);
}

int incidents_resolve(struct incidents *t, int64_t id, int64_t now, const char *actor,
                      const char *note)
{
	struct incident *inc = find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	if (inc->state == INC_RESOLVED)
		return VG_ESTATE;
	if (now > t->now)
		t->now = now;
	enum incident_state from = inc->state;
	inc->state = INC_RESOLVED;
	inc->resolved_ms = now;
	t->evict_at = INT64_MIN;
	return record(t, inc, INCC_RESOLVED, now, from, inc->severity, 0, 0, actor, note);
}

int incidents_note(struct incidents *t, int64_t id, int64_t now, const char *actor,
                   const char *note)
{
	struct incident *inc = find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	if (now > t->now)
		t->now = now;
	return record(t, inc, INCC_NOTE, now, inc->state, inc->severity, 0, 0, actor, note);
}

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

__attribute__((format(printf, 3, 4))) static int fail(char **cause, int code, const char *fmt, ...)
{
	if (cause) {
		char buf[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		*cause = strdup(buf);
	}
	return code;
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
		rc = fail(cause, rc, "samples.%s: %s", k, why ? why : "invalid");
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
			return fail(cause, VG_EINVAL, "history[%zu]: missing or invalid field", i);
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
		int rc = push_history(inc, (enum incident_change_kind)what, tms, rel,
		                      json_is_string(a) ? json_string_value(a) : NULL,
		                      json_is_string(n) ? json_string_value(n) : NULL);
		inc->state = keep;
		inc->severity = keep_sev;
		inc->count = keep_count;
		if (rc)
			return fail(cause, VG_ENOMEM, "out of memory");
	}
	return 0;
}

static int restore_fields(struct incident *inc, json_t *obj, char **cause)
{
	int cat, sub, st, sev, fsev, rc;
	if (!get_i64(obj, "id", &inc->id) || inc->id < 1)
		return fail(cause, VG_EINVAL, "field 'id': missing or not a positive integer");
	if (get_name(obj, "category", model_category_parse, &cat) ||
	    get_name(obj, "subtype", model_subtype_parse, &sub) ||
	    get_name(obj, "state", incident_state_parse, &st) ||
	    get_name(obj, "severity", model_severity_parse, &sev))
		return fail(
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
		return fail(cause, VG_EINVAL, "incident %lld: count, first_ms or last_ms missing",
		            (long long)inc->id);
	get_i64(obj, "opened_ms", &inc->opened_ms);
	get_i64(obj, "acknowledged_ms", &inc->acknowledged_ms);
	get_i64(obj, "resolved_ms", &inc->resolved_ms);
	get_i64(obj, "ticketed_ms", &inc->ticketed_ms);
	inc->auto_resolved = json_is_true(json_object_get(obj, "auto_resolved"));
	inc->involved_truncated = json_is_true(json_object_get(obj, "involved_truncated"));
	json_t *samples = json_object_get(obj, "samples");
	if ((rc = restore_sample(samples, "first", &inc->first, cause)) ||
	    (rc = restore_sample(samples, "worst", &inc->worst, cause)) ||
	    (rc = restore_sample(samples, "latest", &inc->latest, cause)))
		return rc;
	if (inc->first.category != inc->category)
		return fail(cause, VG_EINVAL, "incident %lld: first sample of another category",
		            (long long)inc->id);
	model_copy_str(inc->provider, sizeof(inc->provider), inc->first.pid.provider, (size_t)-1);
	incident_key(&inc->first, inc->key, sizeof(inc->key));
	json_t *dk = json_object_get(obj, "dedup_key");
	if (!json_is_string(dk))
		return fail(cause, VG_EINVAL, "incident %lld: field 'dedup_key' missing",
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
			add_involved(inc, &pid);
	}
	json_array_foreach (json_object_get(obj, "templates"), i, v) {
		if (json_is_string(v) && json_string_length(v) < VG_TEMPLATE_MAX)
			add_template(inc, json_string_value(v));
	}
	json_array_foreach (json_object_get(obj, "related"), i, v) {
		if (json_is_integer(v) && inc->n_related < INCIDENT_MAX_RELATED &&
		    !has_related(inc, (int64_t)json_integer_value(v)))
			inc->related[inc->n_related++] = (int64_t)json_integer_value(v);
	}
	return restore_history(inc, json_object_get(obj, "history"), cause);
}

int incidents_restore(struct incidents *t, json_t *obj, char **cause)
{
	if (cause)
		*cause = NULL;
	if (!json_is_object(obj))
		return fail(cause, VG_EPARSE, "an incident must be a JSON object");
	struct incident *inc = calloc(1, sizeof(*inc));
	if (!inc)
		return VG_ENOMEM;
	int rc = restore_fields(inc, obj, cause);
	if (!rc && find_id(t, inc->id))
		rc = fail(cause, VG_ESTATE, "incident %lld is already in the tracker",
		          (long long)inc->id);
	if (!rc && t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct incident **nv = realloc(t->v, cap * sizeof(*nv));
		if (!nv)
			rc = VG_ENOMEM;
		else {
			t->v = nv;
			t->cap = cap;
		}
	}
	if (rc) {
		incident_free(inc);
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
	int64_t latest = inc->resolved_ms > inc->last_ms ? inc->resolved_ms : inc->last_ms;
	if (latest > t->now)
		t->now = latest;
	return 0;
}
