/* test_incident.c: grouping, lifecycle, operator actions, samples, the
 * JSON round trip and the grouping key of core/incident. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/incident.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN   (60 * 1000LL)
#define T0    1767225600000LL /* 2026-01-01T00:00:00Z */
#define MODEL "gpt-4o-mini"

static uint64_t next_event_id = 1;

static struct failure_event ev_full(int64_t t, enum category cat, enum subtype sub,
                                    enum severity sev, const char *provider, const char *model,
                                    const char *tpl)
{
	struct failure_event ev;
	struct provider_id p;
	memset(&p, 0, sizeof(p));
	snprintf(p.provider, sizeof(p.provider), "%s", provider);
	snprintf(p.model, sizeof(p.model), "%s", model);
	assert_int_equal(event_init(&ev, next_event_id++, t, cat, sub, sev, &p), 0);
	snprintf(ev.template_id, sizeof(ev.template_id), "%s", tpl);
	return ev;
}

static struct failure_event ev_at(int64_t t, enum subtype sub, enum severity sev)
{
	return ev_full(t, model_subtype_category(sub), sub, sev, "openai", MODEL, "");
}

static struct incidents *tracker(void)
{
	struct incident_settings s;
	incident_settings_defaults(&s);
	struct incidents *t = incidents_new(&s, 1);
	assert_non_null(t);
	return t;
}

static size_t count_kind(const struct incidents *t, enum incident_change_kind k)
{
	size_t n, c = 0;
	const struct incident_change *ch = incidents_changes(t, &n);
	for (size_t i = 0; i < n; i++)
		c += ch[i].kind == k;
	return c;
}

static size_t n_incidents(const struct incidents *t)
{
	size_t n;
	incidents_list(t, &n);
	return n;
}

static void test_hundred_failures_one_incident(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	for (int i = 0; i < 100; i++) {
		struct failure_event ev = ev_at(T0 + i * 1000, SUB_SERVER_ERROR, SEV_HIGH);
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	}
	assert_int_equal(n_incidents(t), 1);
	const struct incident *inc = incidents_get(t, 1);
	assert_non_null(inc);
	assert_int_equal(inc->count, 100);
	assert_int_equal(inc->first_ms, T0);
	assert_int_equal(inc->last_ms, T0 + 99000);
	assert_int_equal(inc->state, INC_OPEN);
	assert_string_equal(inc->key, "provider/openai/outage");
	/* from the events: the instance, the key, the first event's time */
	assert_string_equal(inc->dedup_key,
	                    "vigil/provider/openai/outage/2026-01-01T00:00:00.000Z");
	assert_int_equal(count_kind(t, INCC_OPENED), 1);
	assert_int_equal(count_kind(t, INCC_UPDATED), 99);
	assert_int_equal(inc->n_history, 1);
	incidents_free(t);
}

static void test_families(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	enum subtype subs[] = { SUB_SERVER_ERROR, SUB_OVERLOADED,      SUB_TIMEOUT,  SUB_CONNECT,
		                SUB_RATE_LIMIT,   SUB_QUOTA_EXHAUSTED, SUB_SPEND_CAP };
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		struct failure_event ev = ev_at(T0 + (int64_t)i * 1000, subs[i], SEV_HIGH);
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	}
	/* outage (4 subtypes), rate_limit, billing (quota + spend cap) */
	assert_int_equal(n_incidents(t), 3);
	assert_string_equal(incidents_get(t, 1)->family, "outage");
	assert_int_equal(incidents_get(t, 1)->count, 4);
	assert_true(incidents_get(t, 1)->subtypes & (UINT64_C(1) << SUB_OVERLOADED));
	assert_string_equal(incidents_get(t, 2)->family, "rate_limit");
	assert_string_equal(incidents_get(t, 3)->family, "billing");
	assert_int_equal(incidents_get(t, 3)->count, 2);
	assert_string_equal(incident_family(SUB_RATE_LIMIT), "rate_limit");
	assert_string_not_equal(incident_family(SUB_RATE_LIMIT),
	                        incident_family(SUB_QUOTA_EXHAUSTED));
	assert_string_equal(incident_family(SUB_SERVER_ERROR), incident_family(SUB_OVERLOADED));
	incidents_free(t);
}

static bool related(const struct incident *a, int64_t id)
{
	for (size_t i = 0; i < a->n_related; i++)
		if (a->related[i] == id)
			return true;
	return false;
}

static void test_outage_and_cost_spike_two_related(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	struct failure_event a = ev_at(T0, SUB_SERVER_ERROR, SEV_CRITICAL);
	struct failure_event b = ev_full(T0 + 500, CAT_COST, SUB_RETRY_STORM, SEV_MEDIUM, "openai",
	                                 MODEL, "support-bot");
	/* another provider, same template: related too; another provider and
	 * template: not related */
	struct failure_event c = ev_full(T0 + 600, CAT_QUALITY, SUB_HALLUCINATION, SEV_MEDIUM,
	                                 "anthropic", "claude", "support-bot");
	struct failure_event d = ev_full(T0 + 700, CAT_DATA, SUB_STALE_CONTEXT, SEV_LOW, "google",
	                                 "gemini", "search");
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_int_equal(incidents_add(t, &b, b.time_ms), 0);
	assert_int_equal(incidents_add(t, &c, c.time_ms), 0);
	assert_int_equal(incidents_add(t, &d, d.time_ms), 0);
	assert_int_equal(n_incidents(t), 4);
	const struct incident *ia = incidents_get(t, 1), *ib = incidents_get(t, 2);
	const struct incident *ic = incidents_get(t, 3), *id = incidents_get(t, 4);
	assert_int_equal(ia->category, CAT_PROVIDER);
	assert_int_equal(ib->category, CAT_COST);
	assert_true(related(ia, 2) && related(ib, 1));
	assert_true(related(ib, 3) && related(ic, 2));
	assert_false(related(ia, 3));
	assert_int_equal(id->n_related, 0);
	assert_int_equal(count_kind(t, INCC_RELATED), 4);
	incidents_free(t);
}

static void test_group_gap(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	struct failure_event a = ev_at(T0, SUB_SERVER_ERROR, SEV_HIGH);
	struct failure_event b = ev_at(T0 + 5 * MIN, SUB_SERVER_ERROR, SEV_HIGH); /* at the gap */
	struct failure_event c = ev_at(T0 + 10 * MIN + 1, SUB_SERVER_ERROR, SEV_HIGH); /* beyond */
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_int_equal(incidents_add(t, &b, b.time_ms), 0);
	assert_int_equal(n_incidents(t), 1);
	assert_int_equal(incidents_add(t, &c, c.time_ms), 0);
	assert_int_equal(n_incidents(t), 2);
	assert_int_equal(incidents_get(t, 1)->count, 2);
	assert_int_equal(incidents_get(t, 2)->count, 1);
	/* the earlier one, same key and provider, is related and still open */
	assert_int_equal(incidents_get(t, 1)->state, INC_OPEN);
	assert_true(related(incidents_get(t, 2), 1));
	incidents_free(t);
}

/* Feed the same events, ticking at different rates; the transitions must
 * not depend on the tick rate. Returns the JSON of incident 1. */
static char *quiet_run(int64_t tick_step)
{
	struct incidents *t = tracker();
	incidents_begin(t);
	for (int i = 0; i < 3; i++) {
		struct failure_event ev = ev_at(T0 + i * MIN, SUB_LATENCY, SEV_MEDIUM);
		ev.id = (uint64_t)i + 1;
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	}
	for (int64_t now = T0 + 2 * MIN; now <= T0 + 60 * MIN; now += tick_step)
		assert_int_equal(incidents_tick(t, now), 0);
	assert_int_equal(incidents_tick(t, T0 + 60 * MIN), 0);
	const struct incident *inc = incidents_get(t, 1);
	assert_non_null(inc);
	assert_int_equal(inc->state, INC_RESOLVED);
	assert_true(inc->auto_resolved);
	assert_int_equal(inc->resolved_ms, T0 + 2 * MIN + 10 * MIN);
	assert_int_equal(inc->ticketed_ms, 0); /* resolved before 30 min */
	assert_int_equal(count_kind(t, INCC_AUTO_RESOLVED), 1);
	/* history: opened, auto_resolved, episode_ended (30 min after the last) */
	assert_int_equal(inc->n_history, 3);
	assert_int_equal(inc->history[0].what, INCC_OPENED);
	assert_int_equal(inc->history[1].what, INCC_AUTO_RESOLVED);
	assert_int_equal(inc->history[1].count, 3);
	assert_int_equal(inc->history[2].what, INCC_EPISODE_ENDED);
	assert_int_equal(inc->history[2].time_ms, T0 + 2 * MIN + 30 * MIN);
	assert_int_equal(inc->episode_ended_ms, T0 + 2 * MIN + 30 * MIN);
	json_t *j = incident_to_json(inc);
	char *s = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	incidents_free(t);
	return s;
}

static void test_quiet_period_auto_resolves(void **state)
{
	(void)state;
	char *a = quiet_run(1000);
	char *b = quiet_run(17 * MIN);
	assert_non_null(a);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_ticket_after(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	/* every 4 minutes for 40 minutes: open beyond 30 minutes */
	for (int i = 0; i <= 10; i++) {
		struct failure_event ev = ev_at(T0 + i * 4 * MIN, SUB_RATE_LIMIT, SEV_MEDIUM);
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
		assert_int_equal(incidents_tick(t, ev.time_ms + 2 * MIN), 0);
	}
	const struct incident *inc = incidents_get(t, 1);
	assert_int_equal(inc->count, 11);
	assert_int_equal(inc->ticketed_ms, T0 + 30 * MIN);
	assert_int_equal(count_kind(t, INCC_TICKETED), 1);
	assert_int_equal(inc->state, INC_OPEN);
	/* one ticket only, even after more time and the auto-resolve */
	assert_int_equal(incidents_tick(t, T0 + 3 * 60 * MIN), 0);
	assert_int_equal(count_kind(t, INCC_TICKETED), 1);
	assert_int_equal(inc->state, INC_RESOLVED);
	assert_int_equal(inc->resolved_ms, T0 + 40 * MIN + 10 * MIN);
	incidents_free(t);
}

static void test_escalation(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	struct failure_event a = ev_at(T0, SUB_HALLUCINATION, SEV_MEDIUM);
	struct failure_event b = ev_at(T0 + MIN, SUB_HALLUCINATION, SEV_MEDIUM);
	struct failure_event c = ev_at(T0 + 16 * MIN, SUB_HALLUCINATION, SEV_HIGH);
	a.causal.similarity = 0.7;
	c.causal.similarity = 0.4;
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_int_equal(incidents_add(t, &b, b.time_ms), 0);
	assert_int_equal(count_kind(t, INCC_ESCALATED), 0);
	/* 15 min later: beyond the gap, so make it join by closer events */
	for (int64_t m = 5; m <= 15; m += 5) {
		struct failure_event x = ev_at(T0 + m * MIN, SUB_HALLUCINATION, SEV_MEDIUM);
		assert_int_equal(incidents_add(t, &x, x.time_ms), 0);
	}
	assert_int_equal(incidents_add(t, &c, c.time_ms), 0);
	assert_int_equal(n_incidents(t), 1);
	size_t n;
	const struct incident_change *ch = incidents_changes(t, &n);
	const struct incident_change *esc = NULL;
	for (size_t i = 0; i < n; i++)
		if (ch[i].kind == INCC_ESCALATED)
			esc = &ch[i];
	assert_non_null(esc);
	assert_int_equal(esc->sev_from, SEV_MEDIUM);
	assert_int_equal(esc->sev_to, SEV_HIGH);
	assert_int_equal(esc->event_id, c.id);
	const struct incident *inc = incidents_get(t, 1);
	assert_int_equal(inc->severity, SEV_HIGH);
	assert_int_equal(inc->first_severity, SEV_MEDIUM);
	assert_int_equal(inc->worst.id, c.id);
	assert_int_equal(inc->first.id, a.id);
	assert_int_equal(inc->latest.id, c.id);
	incidents_free(t);
}

static void test_worst_sample_by_signal(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	double lat[] = { 12000, 31000, 15000 };
	uint64_t ids[3];
	for (int i = 0; i < 3; i++) {
		struct failure_event ev = ev_at(T0 + i * 1000, SUB_LATENCY, SEV_MEDIUM);
		ev.causal.latency_ms = lat[i];
		ids[i] = ev.id;
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	}
	const struct incident *inc = incidents_get(t, 1);
	assert_int_equal(inc->first.id, ids[0]);
	assert_int_equal(inc->worst.id, ids[1]);
	assert_int_equal(inc->latest.id, ids[2]);
	assert_true(inc->worst.causal.latency_ms > 30000);
	incidents_free(t);
}

static void test_operator_actions(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	struct failure_event a = ev_at(T0, SUB_AUTH, SEV_CRITICAL);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	incidents_begin(t);
	assert_int_equal(incidents_acknowledge(t, 1, T0 + MIN, "alice", "looking"), 0);
	assert_int_equal(incidents_acknowledge(t, 1, T0 + MIN, "bob", NULL), VG_ESTATE);
	assert_int_equal(incidents_acknowledge(t, 99, T0 + MIN, "bob", NULL), VG_ENOTFOUND);
	assert_int_equal(incidents_note(t, 1, T0 + 2 * MIN, "alice", "rotated the key"), 0);
	size_t n;
	const struct incident_change *ch = incidents_changes(t, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ch[0].kind, INCC_ACKNOWLEDGED);
	assert_int_equal(ch[0].from, INC_OPEN);
	assert_int_equal(ch[0].to, INC_ACKNOWLEDGED);
	assert_string_equal(ch[0].actor, "alice");
	assert_string_equal(ch[0].note, "looking");
	assert_string_equal(ch[1].note, "rotated the key");
	/* an event joining an acknowledged incident keeps it acknowledged */
	struct failure_event b = ev_at(T0 + 3 * MIN, SUB_AUTH, SEV_CRITICAL);
	assert_int_equal(incidents_add(t, &b, b.time_ms), 0);
	assert_int_equal(incidents_get(t, 1)->state, INC_ACKNOWLEDGED);
	assert_int_equal(incidents_resolve(t, 1, T0 + 4 * MIN, "alice", "fixed"), 0);
	assert_int_equal(incidents_resolve(t, 1, T0 + 4 * MIN, "alice", NULL), VG_ESTATE);
	assert_int_equal(incidents_acknowledge(t, 1, T0 + 4 * MIN, "alice", NULL), VG_ESTATE);
	assert_int_equal(incidents_note(t, 1, T0 + 5 * MIN, "alice", "postmortem monday"), 0);
	const struct incident *inc = incidents_get(t, 1);
	assert_int_equal(inc->state, INC_RESOLVED);
	assert_false(inc->auto_resolved);
	assert_int_equal(inc->resolved_ms, T0 + 4 * MIN);
	assert_int_equal(inc->acknowledged_ms, T0 + MIN);
	/* opened, acknowledged, note, resolved, note */
	assert_int_equal(inc->n_history, 5);
	assert_int_equal(inc->history[3].what, INCC_RESOLVED);
	assert_string_equal(inc->history[3].note, "fixed");
	assert_string_equal(inc->history[4].note, "postmortem monday");
	/* a new event after an operator's resolve opens a new incident */
	struct failure_event c = ev_at(T0 + 6 * MIN, SUB_AUTH, SEV_CRITICAL);
	assert_int_equal(incidents_add(t, &c, c.time_ms), 0);
	assert_int_equal(n_incidents(t), 2);
	assert_int_equal(incidents_get(t, 2)->state, INC_OPEN);
	/* a long note is truncated, not refused */
	char longnote[2000];
	memset(longnote, 'x', sizeof(longnote) - 1);
	longnote[sizeof(longnote) - 1] = '\0';
	assert_int_equal(incidents_note(t, 2, T0 + 7 * MIN, NULL, longnote), 0);
	inc = incidents_get(t, 2);
	assert_int_equal(strlen(inc->history[inc->n_history - 1].note), INCIDENT_NOTE_MAX - 1);
	incidents_free(t);
}

static void test_monitor_lifecycle(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	struct failure_event a =
	        ev_full(T0, CAT_MONITOR, SUB_SIDECAR_BLIND_SPOT, SEV_HIGH, "vigil", "", "");
	struct failure_event b =
	        ev_full(T0 + MIN, CAT_MONITOR, SUB_SINK_UNREACHABLE, SEV_HIGH, "vigil", "", "");
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_int_equal(incidents_add(t, &b, b.time_ms), 0);
	assert_int_equal(n_incidents(t), 2);
	assert_string_equal(incidents_get(t, 1)->key, "monitor/vigil/sidecar_blind_spot");
	assert_true(related(incidents_get(t, 1), 2));
	int64_t counts[CAT__COUNT][SEV__COUNT];
	incidents_open_counts(t, counts);
	assert_int_equal(counts[CAT_MONITOR][SEV_HIGH], 2);
	assert_int_equal(incidents_acknowledge(t, 1, T0 + 2 * MIN, "ops", NULL), 0);
	assert_int_equal(incidents_tick(t, T0 + 30 * MIN), 0);
	assert_int_equal(incidents_get(t, 1)->state, INC_RESOLVED);
	assert_int_equal(incidents_get(t, 2)->state, INC_RESOLVED);
	incidents_open_counts(t, counts);
	assert_int_equal(counts[CAT_MONITOR][SEV_HIGH], 0);
	incidents_free(t);
}

static void test_eviction(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	struct failure_event a = ev_at(T0, SUB_TRUNCATION, SEV_LOW);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_int_equal(incidents_tick(t, T0 + 11 * MIN), 0);
	incidents_begin(t);
	assert_non_null(incidents_get(t, 1)); /* resolved, still kept */
	assert_int_equal(incidents_tick(t, T0 + 10 * MIN + 60 * MIN), 0);
	incidents_begin(t);
	assert_null(incidents_get(t, 1));
	assert_int_equal(incidents_note(t, 1, T0 + 71 * MIN, NULL, "late"), VG_ENOTFOUND);
	assert_int_equal(incidents_next_id(t), 2);
	incidents_free(t);
}

static void test_invalid_event(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	struct failure_event a = ev_at(T0, SUB_TRUNCATION, SEV_LOW);
	a.severity = (enum severity)9;
	assert_int_equal(incidents_add(t, &a, a.time_ms), VG_EINVAL);
	a = ev_at(T0, SUB_TRUNCATION, SEV_LOW);
	a.pid.provider[0] = '\0';
	assert_int_equal(incidents_add(t, &a, a.time_ms), VG_EINVAL);
	assert_int_equal(n_incidents(t), 0);
	struct incident_settings s;
	incident_settings_defaults(&s);
	assert_null(incidents_new(&s, 0));
	incidents_free(NULL);
	incidents_free(t);
}

/* The same input gives the same incidents, ids and JSON; the JSON restores. */
static char *scenario_json(struct incidents **keep)
{
	struct incidents *t = tracker();
	incidents_begin(t);
	next_event_id = 1000;
	for (int i = 0; i < 20; i++) {
		struct failure_event ev =
		        ev_full(T0 + i * 20000, i % 3 == 0 ? CAT_COST : CAT_PROVIDER,
		                i % 3 == 0 ? SUB_TOKEN_INFLATION
		                           : (i % 2 ? SUB_OVERLOADED : SUB_SERVER_ERROR),
		                i > 15 ? SEV_CRITICAL : SEV_HIGH, "openai",
		                i % 2 ? "gpt-4o" : MODEL, "tpl");
		ev.causal.http_status = 500 + i;
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	}
	assert_int_equal(incidents_acknowledge(t, 1, T0 + 10 * MIN, "alice", "on it"), 0);
	json_t *arr = json_array();
	size_t n;
	const struct incident *const *v = incidents_list(t, &n);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, incident_to_json(v[i]));
	char *s = json_dumps(arr, JSON_SORT_KEYS);
	json_decref(arr);
	if (keep)
		*keep = t;
	else
		incidents_free(t);
	return s;
}

static void test_deterministic_and_restore(void **state)
{
	(void)state;
	struct incidents *t1;
	char *a = scenario_json(&t1);
	char *b = scenario_json(NULL);
	assert_string_equal(a, b);
	const struct incident *inc = incidents_get(t1, 1);
	assert_int_equal(inc->n_involved, 2); /* two models */
	assert_string_equal(inc->templates[0], "tpl");

	/* restore every incident into a fresh tracker */
	struct incident_settings s;
	incident_settings_defaults(&s);
	struct incidents *t2 = incidents_new(&s, 1);
	json_t *arr = json_loads(a, 0, NULL);
	assert_non_null(arr);
	size_t i;
	json_t *o;
	json_array_foreach (arr, i, o) {
		char *cause = NULL;
		assert_int_equal(incidents_restore(t2, o, &cause), 0);
		assert_null(cause);
	}
	/* a second restore of the same id is refused */
	char *cause = NULL;
	assert_int_equal(incidents_restore(t2, json_array_get(arr, 0), &cause), VG_ESTATE);
	assert_non_null(cause);
	free(cause);
	json_decref(arr);
	assert_int_equal(incidents_next_id(t2), incidents_next_id(t1));
	json_t *back = json_array();
	size_t n;
	const struct incident *const *v = incidents_list(t2, &n);
	for (size_t k = 0; k < n; k++)
		json_array_append_new(back, incident_to_json(v[k]));
	char *c = json_dumps(back, JSON_SORT_KEYS);
	json_decref(back);
	assert_string_equal(a, c);
	/* the restored tracker goes on: the next outage event joins incident 2 */
	struct failure_event ev =
	        ev_full(T0 + 400000, CAT_PROVIDER, SUB_SERVER_ERROR, SEV_HIGH, "openai", MODEL, "");
	incidents_begin(t2);
	assert_int_equal(incidents_add(t2, &ev, ev.time_ms), 0);
	assert_int_equal(incidents_get(t2, 2)->count, incidents_get(t1, 2)->count + 1);
	assert_int_equal(incidents_get(t2, 2)->count, 14);
	/* bad input is refused with a reason */
	json_t *bad = json_pack("{s:i,s:s}", "id", 5, "category", "nope");
	assert_int_equal(incidents_restore(t2, bad, &cause), VG_EINVAL);
	assert_non_null(strstr(cause, "category"));
	free(cause);
	json_decref(bad);
	free(a);
	free(b);
	free(c);
	incidents_free(t1);
	incidents_free(t2);
}

static void test_names(void **state)
{
	(void)state;
	for (int k = 0; k < INCC__COUNT; k++)
		assert_int_equal(
		        incident_change_parse(incident_change_name((enum incident_change_kind)k),
		                              (size_t)-1),
		        k);
	for (int s = 0; s < INC__COUNT; s++)
		assert_int_equal(incident_state_parse(incident_state_name((enum incident_state)s),
		                                      (size_t)-1),
		                 s);
	assert_int_equal(incident_state_parse("closed", (size_t)-1), -1);
	assert_string_equal(incident_state_name((enum incident_state)7), "unknown");
}

/* A provider failure is kept apart per region: two incidents, related;
 * other categories are not split by region. Two changes of one kind at one
 * time are told apart by their ordinal. */
static void test_regions_apart(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	incidents_begin(t);
	const char *regions[] = { "us-central1", "europe-west4", "" };
	for (int round = 0; round < 2; round++)
		for (int k = 0; k < 3; k++) {
			struct failure_event ev =
			        ev_at(T0 + round * 1000 + k, SUB_SERVER_ERROR, SEV_CRITICAL);
			snprintf(ev.pid.region, sizeof(ev.pid.region), "%s", regions[k]);
			assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
		}
	assert_int_equal(n_incidents(t), 3);
	const struct incident *a = incidents_get(t, 1), *b = incidents_get(t, 2),
	                      *c = incidents_get(t, 3);
	assert_string_equal(a->key, "provider/openai/us-central1/outage");
	assert_string_equal(b->key, "provider/openai/europe-west4/outage");
	assert_string_equal(c->key, "provider/openai/outage");
	assert_int_equal(a->count, 2);
	assert_int_equal(b->count, 2);
	assert_string_equal(b->dedup_key,
	                    "vigil/provider/openai/europe-west4/outage/2026-01-01T00:00:00.001Z");
	/* linked: the third opened with two links at one time, ordinals 1 and 2 */
	assert_int_equal(a->n_related, 2);
	assert_int_equal(c->n_related, 2);
	size_t n;
	const struct incident_change *ch = incidents_changes(t, &n);
	int ordinals = 0;
	for (size_t i = 0; i < n; i++)
		if (ch[i].kind == INCC_RELATED && ch[i].incident_id == 3)
			ordinals = ordinals * 10 + ch[i].ordinal;
	assert_int_equal(ordinals, 12);
	incidents_free(t);

	struct failure_event ev =
	        ev_full(T0, CAT_COST, SUB_TOKEN_INFLATION, SEV_LOW, "openai", MODEL, "");
	snprintf(ev.pid.region, sizeof(ev.pid.region), "us-east-1");
	char buf[INCIDENT_KEY_MAX];
	assert_int_equal(incident_key(&ev, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cost/openai/token_inflation");
}

/* An older day fed after a newer day's open incident was restored (a
 * backfill on the same database): the restored incident neither moves the
 * clock (each older event would then open an incident resolved at once)
 * nor takes the older events in; the older day makes what it makes in a
 * fresh tracker. */
static void test_older_day_after_restore(void **state)
{
	(void)state;
	struct incident_settings s;
	incident_settings_defaults(&s);
	const int64_t day = 24 * 60 * MIN;
	struct incidents *newer = incidents_new(&s, 1);
	for (int i = 0; i < 5; i++) {
		struct failure_event ev = ev_at(T0 + day + i * MIN, SUB_SERVER_ERROR, SEV_HIGH);
		assert_int_equal(incidents_add(newer, &ev, ev.time_ms), 0);
	}
	json_t *j = incident_to_json(incidents_get(newer, 1));
	struct incidents *t = incidents_new(&s, 1), *fresh = incidents_new(&s, 1);
	assert_int_equal(incidents_restore(t, j, NULL), 0);
	json_decref(j);
	for (int i = 0; i < 20; i++) { /* 20 older events, 30 s apart */
		struct failure_event ev = ev_at(T0 + i * 30000, SUB_SERVER_ERROR, SEV_HIGH);
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
		assert_int_equal(incidents_add(fresh, &ev, ev.time_ms), 0);
	}
	size_t n, nf;
	const struct incident *const *v = incidents_list(t, &n);
	incidents_list(fresh, &nf);
	assert_int_equal(nf, 1);
	assert_int_equal(n, 2); /* the restored one and one for the older day */
	assert_int_equal(v[0]->count, 5);
	assert_int_equal(v[0]->state, INC_OPEN);
	assert_int_equal(v[1]->count, 20);
	assert_int_equal(v[1]->state, INC_OPEN);
	assert_int_equal(v[1]->first_ms, T0);
	assert_int_equal(v[1]->episode_of, 0); /* not the newer incident's episode */
	assert_string_not_equal(v[1]->dedup_key, v[0]->dedup_key);
	/* time then passes to the newer day: the older incident resolved in the past */
	int64_t id = v[1]->id;
	incidents_begin(t);
	assert_int_equal(incidents_tick(t, T0 + day + 30 * MIN), 0);
	const struct incident_change *ch = incidents_changes(t, &n);
	size_t resolved = 0;
	for (size_t i = 0; i < n; i++) {
		if (ch[i].incident_id == id && ch[i].kind == INCC_AUTO_RESOLVED) {
			resolved++;
			assert_int_equal(ch[i].time_ms, T0 + 19 * 30000 + s.quiet_period_ms);
		}
	}
	assert_int_equal(resolved, 1);
	incidents_free(newer);
	incidents_free(t);
	incidents_free(fresh);
}

/* The same events give the same dedup keys whatever the trackers' ids (two
 * daemons of an HA pair, each with its own database). */
static void test_dedup_keys_from_events(void **state)
{
	(void)state;
	struct incident_settings s;
	incident_settings_defaults(&s);
	snprintf(s.instance, sizeof(s.instance), "eu-pair");
	struct incidents *x = incidents_new(&s, 1), *y = incidents_new(&s, 4711);
	for (int i = 0; i < 6; i++) {
		struct failure_event ev = ev_at(T0 + (i % 3) * 20 * MIN + i,
		                                i % 2 ? SUB_RATE_LIMIT : SUB_TIMEOUT, SEV_HIGH);
		assert_int_equal(incidents_add(x, &ev, ev.time_ms), 0);
		assert_int_equal(incidents_add(y, &ev, ev.time_ms), 0);
	}
	size_t nx, ny;
	const struct incident *const *vx = incidents_list(x, &nx);
	const struct incident *const *vy = incidents_list(y, &ny);
	assert_int_equal(nx, ny);
	assert_true(nx > 2);
	/* Incidents 20 minutes apart continue an episode (its key); the
	 * episode is from the events too. */
	size_t continued = 0;
	for (size_t i = 0; i < nx; i++) {
		assert_true(vx[i]->id != vy[i]->id);
		assert_string_equal(vx[i]->dedup_key, vy[i]->dedup_key);
		continued += vx[i]->episode_of != 0;
		assert_int_equal(vx[i]->episode_of != 0, vy[i]->episode_of != 0);
		for (size_t k = 0; k < i; k++) {
			int64_t ei = vx[i]->episode_of ? vx[i]->episode_of : vx[i]->id;
			int64_t ek = vx[k]->episode_of ? vx[k]->episode_of : vx[k]->id;
			assert_int_equal(strcmp(vx[i]->dedup_key, vx[k]->dedup_key) == 0, ei == ek);
		}
	}
	assert_true(continued > 0);
	char buf[INCIDENT_KEY_MAX];
	assert_int_equal(incident_dedup_key("i", "k", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "i/k/1970-01-01T00:00:00.000Z");
	assert_int_equal(incident_dedup_key("i", "k", 0, buf, 8), VG_ERANGE);
	incidents_free(x);
	incidents_free(y);
}

/* The grouping key, whole and cut at every buffer size as snprintf cuts. */
static void test_key(void **state)
{
	(void)state;
	struct failure_event ev = ev_at(T0, SUB_TIMEOUT, SEV_HIGH);
	char buf[INCIDENT_KEY_MAX];
	assert_int_equal(incident_key(&ev, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "provider/openai/outage");
	ev = ev_full(T0, CAT_COST, SUB_TOKEN_INFLATION, SEV_LOW, "anthropic", MODEL, "");
	assert_int_equal(incident_key(&ev, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cost/anthropic/token_inflation");
	const char *full = "cost/anthropic/token_inflation";
	for (size_t size = 0; size <= strlen(full) + 2; size++) {
		char got[64], want[64];
		memset(got, 'x', sizeof(got));
		memset(want, 'x', sizeof(want));
		int n = snprintf(want, size, "%s", full);
		int rc = incident_key(&ev, got, size);
		assert_int_equal(rc, (size_t)n >= size ? VG_ERANGE : 0);
		assert_memory_equal(got, want, sizeof(got));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hundred_failures_one_incident),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_outage_and_cost_spike_two_related),
		cmocka_unit_test(test_group_gap),
		cmocka_unit_test(test_quiet_period_auto_resolves),
		cmocka_unit_test(test_ticket_after),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_worst_sample_by_signal),
		cmocka_unit_test(test_operator_actions),
		cmocka_unit_test(test_monitor_lifecycle),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_invalid_event),
		cmocka_unit_test(test_deterministic_and_restore),
		cmocka_unit_test(test_older_day_after_restore),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_regions_apart),
		cmocka_unit_test(test_dedup_keys_from_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
