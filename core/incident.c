/*
 * incident.c: the incident tracker. Incidents live in one array of pointers
 * (oldest first), so an incident's address is stable until it is evicted in
 * incidents_begin(). The change list and the strings it borrows (actors,
 * notes) are owned by the tracker and emptied by incidents_begin().
 * Operator actions are in incident_ops.c, the JSON form of an incident and
 * the restore from it in incident_json.c; the state they share is in
 * incident_internal.h.
 */
#include "core/incident.h"

#include "core/incident_internal.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SUB__COUNT <= 64, "incident.subtypes is a 64-bit set");

/* Resolved incidents kept beyond this many are evicted oldest first, even
 * before keep_resolved_ms, so memory stays bounded in a storm. */
#define KEEP_RESOLVED_MAX 2048

static const char *const state_names[] = { "open", "acknowledged", "resolved" };
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == INC__COUNT, "state names");

static const char *const change_names[] = {
	"opened",        "updated",  "escalated", "acknowledged", "resolved",
	"auto_resolved", "ticketed", "note",      "related",      "episode_ended",
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
	s->episode_gap_ms = 30 * 60 * 1000;
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
	/* What snprintf("%s/%s[/%s]/%s") gives, without it (once per event).
	 * A provider failure is kept apart per region (an outage in one region
	 * is not one in another; link_related() ties them together). */
	bool regional = ev->category == CAT_PROVIDER && ev->pid.region[0];
	const char *parts[] = { model_category_name(ev->category),
		                "/",
		                ev->pid.provider,
		                "/",
		                regional ? ev->pid.region : "",
		                regional ? "/" : "",
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

int incident_dedup_key(const char *instance, const char *key, int64_t first_ms, char *buf,
                       size_t size)
{
	char when[40];
	if (timeparse_format_rfc3339(first_ms, when, sizeof(when)) < 0)
		snprintf(when, sizeof(when), "%lld", (long long)first_ms);
	int n = snprintf(buf, size, "%s/%s/%s", instance, key, when);
	return n < 0 || (size_t)n >= size ? VG_ERANGE : 0;
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

void incident__free(struct incident *inc)
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
		incident__free(t->v[i]);
	free(t->v);
	free(t->changes);
	free(t->strs);
	free(t);
}

/* When the page of an auto-resolved incident ends (its episode is over),
 * INT64_MAX when it is not waiting for that. */
static int64_t episode_end_at(const struct incidents *t, const struct incident *inc)
{
	if (inc->state != INC_RESOLVED || !inc->auto_resolved || inc->superseded ||
	    inc->episode_ended_ms)
		return INT64_MAX;
	int64_t at = inc->last_ms + t->s.episode_gap_ms;
	return at > inc->resolved_ms ? at : inc->resolved_ms;
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
		bool old = inc->state == INC_RESOLVED && episode_end_at(t, inc) == INT64_MAX &&
		           (resolved > KEEP_RESOLVED_MAX ||
		            (t->now != INT64_MIN &&
		             inc->resolved_ms + t->s.keep_resolved_ms <= t->now));
		if (old) {
			resolved--;
			incident__free(inc);
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
	if (t->n_strs == t->cap_strs &&
	    vg_grow((void **)&t->strs, &t->cap_strs, t->n_strs + 1, sizeof(*t->strs), 8) != 0)
		return NULL;
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
	if (t->n_changes == t->cap_changes &&
	    vg_grow((void **)&t->changes, &t->cap_changes, t->n_changes + 1, sizeof(*t->changes),
	            16) != 0)
		return NULL;
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

int incident__push_history(struct incident *inc, enum incident_change_kind what, int64_t time_ms,
                           int64_t related_id, const char *actor, const char *note)
{
	if (vg_grow((void **)&inc->history, &inc->cap_history, inc->n_history + 1,
	            sizeof(*inc->history), 4) != 0)
		return VG_ENOMEM;
	struct incident_history *h = &inc->history[inc->n_history++];
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
int incident__record(struct incidents *t, struct incident *inc, enum incident_change_kind kind,
                     int64_t time_ms, enum incident_state from, enum severity sev_from,
                     int64_t related_id, uint64_t event_id, const char *actor, const char *note)
{
	if (incident__push_history(inc, kind, time_ms, related_id, actor, note))
		return VG_ENOMEM;
	const char *a = keep_str(t, actor, INCIDENT_ACTOR_MAX);
	const char *nt = keep_str(t, note, INCIDENT_NOTE_MAX);
	struct incident_change *c = a && nt ? push_change(t, kind, inc, time_ms) : NULL;
	if (!c)
		return VG_ENOMEM;
	/* the how-manieth change of this kind at this time (two links at once) */
	c->ordinal = 0;
	for (size_t i = 0; i < inc->n_history; i++)
		c->ordinal += inc->history[i].what == kind && inc->history[i].time_ms == time_ms;
	c->from = from;
	c->sev_from = sev_from;
	c->related_id = related_id;
	c->event_id = event_id;
	c->actor = a;
	c->note = nt;
	return 0;
}

static int end_episode(struct incidents *t, struct incident *inc, int64_t now)
{
	int64_t at = episode_end_at(t, inc);
	if (at > now)
		return 0;
	inc->episode_ended_ms = at;
	t->evict_at = INT64_MIN;
	return incident__record(t, inc, INCC_EPISODE_ENDED, at, INC_RESOLVED, inc->severity, 0, 0,
	                        NULL, NULL);
}

static int tick_one(struct incidents *t, struct incident *inc, int64_t now)
{
	if (inc->state == INC_RESOLVED)
		return end_episode(t, inc, now);
	int64_t ticket_at = inc->first_ms + t->s.ticket_after_ms;
	int64_t quiet_at = inc->last_ms + t->s.quiet_period_ms;
	if (!inc->ticketed_ms && ticket_at <= now && quiet_at > ticket_at) {
		inc->ticketed_ms = ticket_at;
		if (incident__record(t, inc, INCC_TICKETED, ticket_at, inc->state, inc->severity, 0,
		                     0, NULL, NULL))
			return VG_ENOMEM;
	}
	if (quiet_at <= now) {
		enum incident_state from = inc->state;
		inc->state = INC_RESOLVED;
		inc->resolved_ms = quiet_at;
		inc->auto_resolved = true;
		t->evict_at = INT64_MIN;
		if (incident__record(t, inc, INCC_AUTO_RESOLVED, quiet_at, from, inc->severity, 0,
		                     0, NULL, NULL))
			return VG_ENOMEM;
		return end_episode(t, inc, now);
	}
	return 0;
}

/* The earliest time tick_one() would change inc; INT64_MAX when never. */
static int64_t tick_due(const struct incidents *t, const struct incident *inc)
{
	if (inc->state == INC_RESOLVED)
		return episode_end_at(t, inc);
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

void incident__add_involved(struct incident *inc, const struct provider_id *pid)
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

bool incident__add_template(struct incident *inc, const char *tpl)
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

bool incident__has_related(const struct incident *inc, int64_t id)
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
		if (o == inc || o->state == INC_RESOLVED || incident__has_related(inc, o->id))
			continue;
		if (strcmp(o->provider, inc->provider) != 0 && !share_template(o, inc))
			continue;
		if (inc->n_related == INCIDENT_MAX_RELATED || o->n_related == INCIDENT_MAX_RELATED)
			continue;
		inc->related[inc->n_related++] = o->id;
		o->related[o->n_related++] = inc->id;
		if (incident__record(t, inc, INCC_RELATED, now, inc->state, inc->severity, o->id, 0,
		                     NULL, NULL) ||
		    incident__record(t, o, INCC_RELATED, now, o->state, o->severity, inc->id, 0,
		                     NULL, NULL))
			return VG_ENOMEM;
	}
	return 0;
}

/* An event at time_ms is from before inc began, by more than group_gap
 * and episode_gap (a backfill read after a newer day): it neither joins inc
 * nor continues its episode. A late event within them still does. */
static bool before_start(const struct incidents *t, const struct incident *inc, int64_t time_ms)
{
	int64_t gap =
	        t->s.episode_gap_ms > t->s.group_gap_ms ? t->s.episode_gap_ms : t->s.group_gap_ms;
	return time_ms < inc->first_ms - gap;
}

static struct incident *find_open(struct incidents *t, const char *key, int64_t time_ms)
{
	/* Newest first: the incident an event would join is the latest of its key. */
	for (size_t i = t->n; i-- > 0;) {
		struct incident *inc = t->v[i];
		if (inc->state == INC_RESOLVED || strcmp(inc->key, key) != 0 ||
		    before_start(t, inc, time_ms))
			continue;
		if (time_ms - inc->last_ms <= t->s.group_gap_ms)
			return inc;
		return NULL;
	}
	return NULL;
}

/* The incident of `key` whose episode an event at time_ms continues: the
 * newest of the key, its last event within episode_gap, not resolved by an
 * operator, its episode not ended. NULL when none. */
static struct incident *episode_of(struct incidents *t, const char *key, int64_t time_ms)
{
	if (t->s.episode_gap_ms <= 0)
		return NULL;
	for (size_t i = t->n; i-- > 0;) {
		struct incident *inc = t->v[i];
		if (strcmp(inc->key, key) != 0 || before_start(t, inc, time_ms))
			continue;
		if (time_ms - inc->last_ms > t->s.episode_gap_ms || inc->episode_ended_ms ||
		    (inc->state == INC_RESOLVED && !inc->auto_resolved))
			return NULL;
		return inc;
	}
	return NULL;
}

/* For a breaker oscillation event of `key` ("provider/<p>[/<region>]/
 * oscillation"): the outage incident of the same provider and region in
 * its episode, at least as severe as the event; NULL when none. */
static struct incident *outage_of(struct incidents *t, const struct failure_event *ev,
                                  const char *key)
{
	static const char osc[] = "/oscillation";
	size_t n = strlen(key), k = sizeof(osc) - 1;
	if (ev->subtype != SUB_OSCILLATION || n <= k || strcmp(key + n - k, osc) != 0)
		return NULL;
	char okey[INCIDENT_KEY_MAX];
	if (n - k + sizeof("/outage") > sizeof(okey))
		return NULL;
	memcpy(okey, key, n - k);
	memcpy(okey + n - k, "/outage", sizeof("/outage"));
	struct incident *o = episode_of(t, okey, ev->time_ms);
	return o && o->severity <= ev->severity ? o : NULL;
}

static int open_incident(struct incidents *t, const struct failure_event *ev, const char *key,
                         int64_t now)
{
	struct incident *prev = episode_of(t, key, ev->time_ms);
	if (t->n == t->cap && vg_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v), 16) != 0)
		return VG_ENOMEM;
	struct incident *inc = calloc(1, sizeof(*inc));
	if (!inc)
		return VG_ENOMEM;
	inc->id = t->next_id;
	model_copy_str(inc->key, sizeof(inc->key), key, (size_t)-1);
	incident_dedup_key(t->s.instance, key, ev->time_ms, inc->dedup_key, sizeof(inc->dedup_key));
	inc->episode_severity = SEV__COUNT;
	struct incident *owner = prev ? NULL : outage_of(t, ev, key);
	if (owner) {
		memcpy(inc->dedup_key, owner->dedup_key, sizeof(inc->dedup_key));
		inc->episode_of = owner->episode_of ? owner->episode_of : owner->id;
		inc->episode_severity = owner->severity;
		inc->page_borrowed = true;
	}
	if (prev) {
		inc->page_borrowed = prev->page_borrowed;
		memcpy(inc->dedup_key, prev->dedup_key, sizeof(inc->dedup_key));
		inc->episode_of = prev->episode_of ? prev->episode_of : prev->id;
		inc->episode_severity = prev->severity;
		if (prev->episode_severity < inc->episode_severity)
			inc->episode_severity = prev->episode_severity;
	}
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
	incident__add_involved(inc, &ev->pid);
	incident__add_template(inc, ev->template_id);
	if (incident__record(t, inc, INCC_OPENED, now, INC_OPEN, ev->severity, 0, ev->id, NULL,
	                     NULL)) {
		incident__free(inc);
		return VG_ENOMEM;
	}
	t->next_id++;
	t->v[t->n++] = inc;
	t->tick_at = INT64_MIN;
	if (prev) {
		/* Stored again with the mark: its page is the new incident's now. */
		prev->superseded = true;
		if (!push_change(t, INCC_UPDATED, prev, now))
			return VG_ENOMEM;
	}
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
	incident__add_involved(inc, &ev->pid);
	bool new_template = incident__add_template(inc, ev->template_id);
	struct incident_change *c = push_change(t, INCC_UPDATED, inc, now);
	if (!c)
		return VG_ENOMEM;
	c->event_id = ev->id;
	if (ev->severity < inc->severity) {
		inc->severity = ev->severity;
		if (incident__record(t, inc, INCC_ESCALATED, now, inc->state, sev_from, 0, ev->id,
		                     NULL, NULL))
			return VG_ENOMEM;
	}
	if (new_template)
		return link_related(t, inc, now);
	return 0;
}

struct incident *incident__find_id(struct incidents *t, int64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->id == id)
			return t->v[i];
	return NULL;
}
