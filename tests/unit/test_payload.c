/* test_payload.c: the sinks' payload encoders (PagerDuty, Alertmanager,
 * silence, webhook, Jira) field by field, and the routing rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/payload.h"
#include "core/route.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN (60 * 1000LL)
#define T0  1767225600000LL /* 2026-01-01T00:00:00Z */

static struct failure_event mk(int64_t t, enum subtype sub, enum severity sev)
{
	static uint64_t id = 1;
	struct failure_event ev;
	struct provider_id p;
	memset(&p, 0, sizeof(p));
	snprintf(p.provider, sizeof(p.provider), "openai");
	snprintf(p.model, sizeof(p.model), "gpt-4o");
	assert_int_equal(event_init(&ev, id++, t, model_subtype_category(sub), sub, sev, &p), 0);
	ev.causal.http_status = 503;
	snprintf(ev.request_id, sizeof(ev.request_id), "req-%llu", (unsigned long long)ev.id);
	return ev;
}

static struct incidents *tracker(void)
{
	struct incident_settings s;
	incident_settings_defaults(&s);
	snprintf(s.instance, sizeof(s.instance), "eu1");
	struct incidents *t = incidents_new(&s, 40);
	assert_non_null(t);
	incidents_begin(t);
	return t;
}

static json_t *load(const char *text)
{
	assert_non_null(text);
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	if (!j)
		fail_msg("bad JSON: %s: %s", err.text, text);
	return j;
}

static const char *sget(json_t *o, const char *path)
{
	/* "a.b.c" through objects */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = o;
	for (char *p = buf, *dot; p; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		cur = json_object_get(cur, p);
	}
	return json_string_value(cur);
}

static void opts(struct payload_options *o)
{
	payload_options_defaults(o);
	snprintf(o->source, sizeof(o->source), "vigil-eu1");
	snprintf(o->runbook_base, sizeof(o->runbook_base),
	         "https://git.example.com/vigil/blob/main/");
	snprintf(o->console_url, sizeof(o->console_url), "http://vigil.example.com/");
}

static void test_pagerduty(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	for (int i = 0; i < 5; i++) {
		struct failure_event ev = mk(T0 + i * 1000, i ? SUB_OVERLOADED : SUB_SERVER_ERROR,
		                             i == 3 ? SEV_CRITICAL : SEV_HIGH);
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	}
	const struct incident *inc = incidents_get(t, 40);
	struct payload_options o;
	opts(&o);
	char *text = payload_pagerduty(inc, PD_TRIGGER, T0 + 5000, &o);
	json_t *j = load(text);
	assert_null(json_object_get(j, "routing_key"));
	assert_string_equal(sget(j, "event_action"), "trigger");
	assert_string_equal(sget(j, "dedup_key"),
	                    "eu1/provider/openai/outage/2026-01-01T00:00:00.000Z");
	const char *summary = sget(j, "payload.summary");
	assert_non_null(summary);
	assert_true(strlen(summary) <= 1024);
	assert_non_null(strstr(summary, "[CRITICAL] openai provider outage: 5 events"));
	assert_non_null(strstr(summary, "server_error, overloaded"));
	assert_string_equal(sget(j, "payload.source"), "vigil-eu1");
	assert_string_equal(sget(j, "payload.severity"), "critical");
	assert_string_equal(sget(j, "payload.timestamp"), "2026-01-01T00:00:05.000Z");
	assert_string_equal(sget(j, "payload.component"), "openai/gpt-4o");
	assert_string_equal(sget(j, "payload.group"), "provider");
	assert_string_equal(sget(j, "payload.class"), "outage");
	json_t *cd = json_object_get(json_object_get(j, "payload"), "custom_details");
	assert_int_equal(json_integer_value(json_object_get(cd, "count")), 5);
	assert_int_equal(json_integer_value(json_object_get(cd, "incident_id")), 40);
	assert_string_equal(sget(cd, "worst_sample.severity"), "critical");
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(json_object_get(cd, "worst_sample"), "causal"),
	                         "http_status")),
	                 503);
	json_t *link = json_array_get(json_object_get(j, "links"), 0);
	assert_string_equal(sget(link, "href"),
	                    "https://git.example.com/vigil/blob/main/docs/runbooks/provider.md"
	                    "#server_error");
	json_decref(j);

	/* with the key: routing_key first, nothing else changed */
	char *keyed = payload_pagerduty_with_key(text, "SENTINEL-KEY");
	assert_non_null(keyed);
	assert_int_equal(strncmp(keyed, "{\"routing_key\":\"SENTINEL-KEY\",", 30), 0);
	assert_non_null(strstr(
	        keyed, "\"dedup_key\":\"eu1/provider/openai/outage/2026-01-01T00:00:00.000Z\""));
	char *rekeyed = payload_pagerduty_with_key(keyed, "OTHER");
	assert_null(strstr(rekeyed, "SENTINEL-KEY"));
	assert_null(payload_pagerduty_with_key("[1,2]", "k"));
	assert_null(payload_pagerduty_with_key("not json", "k"));
	free(rekeyed);
	free(keyed);
	free(text);

	/* acknowledge and resolve: the same dedup_key, no payload */
	text = payload_pagerduty(inc, PD_RESOLVE, T0 + MIN, &o);
	j = load(text);
	assert_string_equal(sget(j, "event_action"), "resolve");
	assert_string_equal(sget(j, "dedup_key"),
	                    "eu1/provider/openai/outage/2026-01-01T00:00:00.000Z");
	assert_null(json_object_get(j, "payload"));
	json_decref(j);
	free(text);
	text = payload_pagerduty(inc, PD_ACKNOWLEDGE, T0 + MIN, &o);
	assert_string_equal(text, "{\"event_action\":\"acknowledge\",\"dedup_key\":\"eu1/provider/"
	                          "openai/outage/2026-01-01T00:00:00.000Z\"}");
	free(text);
	assert_string_equal(payload_pd_severity(SEV_HIGH), "error");
	assert_string_equal(payload_pd_severity(SEV_MEDIUM), "warning");
	assert_string_equal(payload_pd_severity(SEV_LOW), "info");
	incidents_free(t);
}

static void test_summary_limit(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	struct failure_event ev = mk(T0, SUB_SERVER_ERROR, SEV_HIGH);
	/* a provider name of multi-byte characters, cut at a small size */
	memset(ev.pid.provider, 0, sizeof(ev.pid.provider));
	for (int i = 0; i < 20; i++)
		memcpy(ev.pid.provider + 2 * i, "\xc3\xa9", 2);
	assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	const struct incident *inc = incidents_get(t, 40);
	char buf[2048];
	size_t full = payload_summary(inc, buf, sizeof(buf));
	assert_int_equal(full, strlen(buf));
	assert_true(full <= 1024);
	for (size_t cut = 8; cut < 60; cut++) {
		char small[64];
		size_t n = payload_summary(inc, small, cut);
		assert_true(n < cut);
		assert_int_equal(n, strlen(small));
		/* never ends inside a UTF-8 sequence */
		assert_true(n == 0 || ((unsigned char)small[n - 1] & 0xC0) != 0xC0);
		size_t lead = 0;
		for (size_t k = 0; k < n; k++)
			lead += ((unsigned char)small[k] & 0xC0) == 0xC0;
		size_t cont = 0;
		for (size_t k = 0; k < n; k++)
			cont += ((unsigned char)small[k] & 0xC0) == 0x80;
		assert_int_equal(lead, cont);
	}
	incidents_free(t);
}

static void test_alertmanager_and_silence(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	struct failure_event ev = mk(T0, SUB_RATE_LIMIT, SEV_HIGH);
	assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	const struct incident *inc = incidents_get(t, 40);
	struct payload_options o;
	opts(&o);
	char name[64];
	payload_alertname(inc, name, sizeof(name));
	assert_string_equal(name, "VigilProviderRateLimit");
	char *text = payload_alertmanager(inc, SEV_HIGH, false, T0 + 1000, &o);
	json_t *j = load(text);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 1);
	json_t *a = json_array_get(j, 0);
	assert_string_equal(sget(a, "labels.alertname"), "VigilProviderRateLimit");
	assert_string_equal(sget(a, "labels.category"), "provider");
	assert_string_equal(sget(a, "labels.subtype"), "rate_limit");
	assert_string_equal(sget(a, "labels.provider"), "openai");
	assert_string_equal(sget(a, "labels.severity"), "high");
	/* the key from the events, never the local id */
	assert_null(json_object_get(json_object_get(a, "labels"), "incident_id"));
	assert_string_equal(sget(a, "labels.incident_key"),
	                    "eu1/provider/openai/rate_limit/2026-01-01T00:00:00.000Z");
	assert_null(json_object_get(json_object_get(a, "labels"), "region"));
	assert_string_equal(sget(a, "labels.instance"), "vigil-eu1");
	assert_non_null(strstr(sget(a, "annotations.summary"), "[HIGH] openai provider"));
	assert_non_null(strstr(sget(a, "annotations.runbook_url"), "provider.md#rate_limit"));
	assert_non_null(
	        strstr(sget(a, "annotations.description"), ": 1 event of rate_limit on openai"));
	assert_string_equal(sget(a, "startsAt"), "2026-01-01T00:00:00.000Z");
	assert_null(json_object_get(a, "endsAt"));
	assert_string_equal(sget(a, "generatorURL"), "http://vigil.example.com/");
	json_decref(j);
	free(text);
	text = payload_alertmanager(inc, SEV_HIGH, true, T0 + 11 * MIN, &o);
	j = load(text);
	assert_string_equal(sget(json_array_get(j, 0), "endsAt"), "2026-01-01T00:11:00.000Z");
	json_decref(j);
	free(text);

	text = payload_silence(inc, T0 + 2 * MIN, "alice", "investigating", &o);
	j = load(text);
	/* this vigil's alerts of this incident: instance and key, both exact */
	json_t *ms = json_object_get(j, "matchers");
	assert_int_equal(json_array_size(ms), 2);
	json_t *m = json_array_get(ms, 0);
	assert_string_equal(sget(m, "name"), "instance");
	assert_string_equal(sget(m, "value"), "vigil-eu1");
	assert_true(json_is_false(json_object_get(m, "isRegex")));
	assert_true(json_is_true(json_object_get(m, "isEqual")));
	m = json_array_get(ms, 1);
	assert_string_equal(sget(m, "name"), "incident_key");
	assert_string_equal(sget(m, "value"),
	                    "eu1/provider/openai/rate_limit/2026-01-01T00:00:00.000Z");
	assert_true(json_is_false(json_object_get(m, "isRegex")));
	assert_true(json_is_true(json_object_get(m, "isEqual")));
	assert_string_equal(sget(j, "startsAt"), "2026-01-01T00:02:00.000Z");
	assert_string_equal(sget(j, "endsAt"), "2026-01-01T04:02:00.000Z");
	assert_string_equal(sget(j, "createdBy"), "alice");
	assert_string_equal(sget(j, "comment"), "acknowledged in vigil: investigating");
	json_decref(j);
	free(text);
	incidents_free(t);
}

static void test_webhook_and_jira(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	struct failure_event ev = mk(T0, SUB_TOKEN_INFLATION, SEV_MEDIUM);
	ev.causal.token_delta_pct = 42.5;
	assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
	size_t n;
	const struct incident_change *ch = incidents_changes(t, &n);
	assert_int_equal(n, 1);
	struct payload_options o;
	opts(&o);
	char *text = payload_webhook(ch[0].incident, &ch[0], &o);
	json_t *j = load(text);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_string_equal(sget(j, "change.kind"), "opened");
	assert_string_equal(sget(j, "change.to"), "open");
	assert_string_equal(sget(j, "incident.category"), "cost");
	assert_string_equal(sget(j, "incident.family"), "token_inflation");
	assert_string_equal(sget(j, "incident.dedup_key"),
	                    "eu1/cost/openai/token_inflation/2026-01-01T00:00:00.000Z");
	json_decref(j);
	free(text);

	snprintf(o.jira_project, sizeof(o.jira_project), "LLMOPS");
	text = payload_jira(ch[0].incident, &o);
	j = load(text);
	assert_string_equal(sget(j, "fields.project.key"), "LLMOPS");
	assert_string_equal(sget(j, "fields.issuetype.name"), "Task");
	assert_string_equal(sget(j, "fields.summary"),
	                    "vigil incident 40: openai cost token_inflation (medium)");
	const char *desc = sget(j, "fields.description");
	assert_non_null(strstr(desc, "token delta 42.5%"));
	assert_non_null(strstr(desc, "docs/runbooks/cost.md#token_inflation"));
	json_t *labels = json_object_get(json_object_get(j, "fields"), "labels");
	assert_string_equal(json_string_value(json_array_get(labels, 0)), "vigil");
	assert_string_equal(json_string_value(json_array_get(labels, 1)), "cost");
	json_decref(j);
	free(text);
	incidents_free(t);
}

/* ---- routing ----------------------------------------------------------------- */

static const struct route_sink sinks[] = {
	{ "pd", SINK_PAGERDUTY, SEV_HIGH },
	{ "am", SINK_ALERTMANAGER, SEV_HIGH },
	{ "hook", SINK_WEBHOOK, SEV_LOW },
	{ "jira", SINK_JIRA, SEV_LOW },
};

/* Route every change of the current batch; returns "sink:op" lines. */
static char *route_all(struct incidents *t, struct route_buf *rb)
{
	struct payload_options o;
	opts(&o);
	route_buf_clear(rb);
	size_t n;
	const struct incident_change *ch = incidents_changes(t, &n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(route_change(sinks, 4, &ch[i], &o, rb), 0);
	static char out[1024];
	size_t at = 0;
	out[0] = '\0';
	for (size_t i = 0; i < rb->n; i++)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s:%s", i ? " " : "",
		                       rb->v[i].sink, route_op_name(rb->v[i].op));
	return out;
}

static void test_routing(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	struct route_buf rb;
	route_buf_init(&rb);

	/* MEDIUM: webhook only */
	struct failure_event a = mk(T0, SUB_LATENCY, SEV_MEDIUM);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "hook:change");
	/* another MEDIUM event: "updated" goes nowhere */
	incidents_begin(t);
	a = mk(T0 + 1000, SUB_LATENCY, SEV_MEDIUM);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "");
	/* acknowledged before paging, then escalated to HIGH: trigger and ack */
	incidents_begin(t);
	assert_int_equal(incidents_acknowledge(t, 40, T0 + 2000, "bob", "watching"), 0);
	assert_string_equal(route_all(t, &rb), "hook:change");
	incidents_begin(t);
	a = mk(T0 + 3000, SUB_LATENCY, SEV_HIGH);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb),
	                    "pd:trigger pd:acknowledge am:trigger am:silence hook:change");
	for (size_t i = 0; i < rb.n; i++)
		assert_string_equal(rb.v[i].dedup_key,
		                    "eu1/provider/openai/latency/2026-01-01T00:00:00.000Z");
	/* idempotency keys: the dedup key, the sink, what and when; all distinct */
	assert_string_equal(
	        rb.v[0].idem_key,
	        "eu1/provider/openai/latency/2026-01-01T00:00:00.000Z/pd/trigger/1767225603000");
	assert_string_equal(rb.v[4].idem_key,
	                    "eu1/provider/openai/latency/2026-01-01T00:00:00.000Z/hook/escalated/"
	                    "1767225603000");
	for (size_t i = 0; i < rb.n; i++)
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(rb.v[i].idem_key, rb.v[k].idem_key);
	/* HIGH -> CRITICAL: Alertmanager ends the old label set, fires the new */
	incidents_begin(t);
	a = mk(T0 + 4000, SUB_LATENCY, SEV_CRITICAL);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "am:resolve am:trigger hook:change");
	assert_non_null(strstr(rb.v[0].payload, "\"severity\":\"high\""));
	assert_non_null(strstr(rb.v[0].payload, "\"endsAt\""));
	assert_non_null(strstr(rb.v[1].payload, "\"severity\":\"critical\""));
	assert_null(strstr(rb.v[1].payload, "\"endsAt\""));
	/* a ticket after 30 minutes, then the auto-resolve */
	incidents_begin(t);
	for (int m = 4; m <= 32; m += 4) {
		a = mk(T0 + m * MIN, SUB_LATENCY, SEV_CRITICAL);
		assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	}
	assert_string_equal(route_all(t, &rb), "hook:change jira:ticket");
	incidents_begin(t);
	assert_int_equal(incidents_tick(t, T0 + 50 * MIN), 0);
	assert_string_equal(route_all(t, &rb), "hook:change");
	/* the page resolves when the episode is over: 30 min after the last event */
	incidents_begin(t);
	assert_int_equal(incidents_tick(t, T0 + 62 * MIN), 0);
	assert_string_equal(route_all(t, &rb), "pd:resolve am:resolve hook:change");
	assert_non_null(strstr(rb.v[0].payload, "\"event_action\":\"resolve\""));
	assert_int_equal(rb.v[0].time_ms, T0 + 62 * MIN);

	/* a LOW incident resolved by an operator: no page, no page resolve */
	incidents_begin(t);
	struct failure_event b = mk(T0 + 60 * MIN, SUB_TRUNCATION, SEV_LOW);
	assert_int_equal(incidents_add(t, &b, b.time_ms), 0);
	assert_int_equal(incidents_resolve(t, 41, T0 + 61 * MIN, "bob", NULL), 0);
	assert_string_equal(route_all(t, &rb), "hook:change hook:change");
	/* a HIGH incident acknowledged: pd ack and am silence with the note */
	incidents_begin(t);
	struct failure_event c = mk(T0 + 62 * MIN, SUB_AUTH, SEV_HIGH);
	assert_int_equal(incidents_add(t, &c, c.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "pd:trigger am:trigger hook:change");
	incidents_begin(t);
	assert_int_equal(incidents_acknowledge(t, 42, T0 + 63 * MIN, "carol", "key rotated"), 0);
	assert_string_equal(route_all(t, &rb), "pd:acknowledge am:silence hook:change");
	assert_non_null(strstr(rb.v[1].payload, "key rotated"));
	assert_non_null(strstr(rb.v[1].payload, "\"createdBy\":\"carol\""));
	route_buf_done(&rb);
	incidents_free(t);
}

static void no_page(const char *routed)
{
	if (strstr(routed, "pd:") || strstr(routed, "am:"))
		fail_msg("paged: %s", routed);
	assert_non_null(strstr(routed, "hook:change"));
}

static void no_page_or_none(const char *routed)
{
	if (strstr(routed, "pd:") || strstr(routed, "am:"))
		fail_msg("paged: %s", routed);
}

/* One page per episode: an incident of the same key reopening within
 * episode_gap continues the episode's page (its dedup key, no trigger); the
 * page resolves when the episode is over; after it, or after an operator's
 * resolve, a new incident pages again. */
static void test_episode_one_page(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	struct route_buf rb;
	route_buf_init(&rb);
	struct failure_event a = mk(T0, SUB_OSCILLATION, SEV_HIGH);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "pd:trigger am:trigger hook:change");
	char key[INCIDENT_KEY_MAX];
	snprintf(key, sizeof(key), "%s", rb.v[0].dedup_key);
	/* quiet: auto-resolved at +10 min, the page stays */
	incidents_begin(t);
	assert_int_equal(incidents_tick(t, T0 + 11 * MIN), 0);
	assert_string_equal(route_all(t, &rb), "hook:change");
	/* it comes back at +15 min: a new incident of the episode, no page,
	 * nor when it escalates */
	incidents_begin(t);
	a = mk(T0 + 15 * MIN, SUB_OSCILLATION, SEV_HIGH);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	no_page(route_all(t, &rb)); /* opened, and related to the first */
	const struct incident *b = incidents_get(t, 41);
	assert_non_null(b);
	assert_string_equal(b->dedup_key, key);
	assert_int_equal(b->episode_of, 40);
	assert_int_equal(b->episode_severity, SEV_HIGH);
	assert_true(incidents_get(t, 40)->superseded);
	incidents_begin(t);
	a = mk(T0 + 16 * MIN, SUB_OSCILLATION, SEV_CRITICAL);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "hook:change");
	/* a third opening while the second is still open: same page */
	incidents_begin(t);
	a = mk(T0 + 22 * MIN, SUB_OSCILLATION, SEV_HIGH);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	no_page(route_all(t, &rb));
	assert_string_equal(incidents_get(t, 42)->dedup_key, key);
	/* the shared key's notifications stay apart: idempotency keys name the
	 * incident's first event */
	for (size_t i = 0; i < rb.n; i++)
		assert_non_null(strstr(rb.v[i].idem_key, "/of-"));
	assert_int_equal(incidents_get(t, 42)->episode_of, 40);
	assert_int_equal(incidents_get(t, 42)->episode_severity, SEV_CRITICAL);
	/* 41 auto-resolves (superseded: nothing), then 42; 30 min after the
	 * last event the episode is over: one resolve, of the episode's key */
	incidents_begin(t);
	assert_int_equal(incidents_tick(t, T0 + 40 * MIN), 0);
	assert_string_equal(route_all(t, &rb), "hook:change hook:change");
	incidents_begin(t);
	assert_int_equal(incidents_tick(t, T0 + 52 * MIN), 0);
	assert_string_equal(route_all(t, &rb), "pd:resolve am:resolve hook:change");
	assert_string_equal(rb.v[0].dedup_key, key);
	assert_int_equal(rb.v[0].time_ms, T0 + 52 * MIN);
	assert_non_null(strstr(rb.v[1].payload, "\"severity\":\"critical\""));
	/* after the episode: a new page */
	incidents_begin(t);
	a = mk(T0 + 53 * MIN, SUB_OSCILLATION, SEV_HIGH);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "pd:trigger am:trigger hook:change");
	assert_string_not_equal(rb.v[0].dedup_key, key);
	/* an operator resolves while the fault goes on: the next failure is a
	 * new page at once (the console warns and offers a snooze instead) */
	incidents_begin(t);
	assert_int_equal(incidents_resolve(t, 43, T0 + 54 * MIN, "alice", NULL), 0);
	assert_string_equal(route_all(t, &rb), "pd:resolve am:resolve hook:change");
	incidents_begin(t);
	a = mk(T0 + 55 * MIN, SUB_OSCILLATION, SEV_HIGH);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "pd:trigger am:trigger hook:change");
	assert_int_equal(incidents_get(t, 44)->episode_of, 0);
	route_buf_done(&rb);
	incidents_free(t);
}

/* A breaker oscillating while its provider's outage is in its episode is
 * the outage's recovery: it borrows the outage's page (no trigger, no
 * resolve of its own); the outage's incident resolves the page. One more
 * severe than the outage pages on its own. */
static void test_oscillation_borrows_outage_page(void **state)
{
	(void)state;
	struct incidents *t = tracker();
	struct route_buf rb;
	route_buf_init(&rb);
	struct failure_event a = mk(T0, SUB_SERVER_ERROR, SEV_CRITICAL);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	assert_string_equal(route_all(t, &rb), "pd:trigger am:trigger hook:change");
	char key[INCIDENT_KEY_MAX];
	snprintf(key, sizeof(key), "%s", rb.v[0].dedup_key);
	incidents_begin(t);
	struct failure_event o = mk(T0 + 2 * MIN, SUB_OSCILLATION, SEV_HIGH);
	assert_int_equal(incidents_add(t, &o, o.time_ms), 0);
	no_page(route_all(t, &rb));
	const struct incident *b = incidents_get(t, 41);
	assert_true(b->page_borrowed);
	assert_string_equal(b->dedup_key, key);
	/* the oscillation goes quiet and its episode ends: nothing to pagers */
	for (int m = 4; m <= 40; m += 4) {
		incidents_begin(t);
		a = mk(T0 + m * MIN, SUB_SERVER_ERROR, SEV_CRITICAL);
		assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
		no_page_or_none(route_all(t, &rb));
	}
	assert_int_equal(incidents_get(t, 41)->state, INC_RESOLVED);
	assert_true(incidents_get(t, 41)->episode_ended_ms > 0);
	/* the outage's episode ends: its page resolves, once */
	incidents_begin(t);
	assert_int_equal(incidents_tick(t, T0 + 71 * MIN), 0);
	assert_string_equal(route_all(t, &rb), "hook:change pd:resolve am:resolve hook:change");
	assert_string_equal(rb.v[1].dedup_key, key);
	/* an oscillation more severe than its outage pages on its own */
	incidents_begin(t);
	a = mk(T0 + 80 * MIN, SUB_SERVER_ERROR, SEV_MEDIUM);
	assert_int_equal(incidents_add(t, &a, a.time_ms), 0);
	incidents_begin(t);
	o = mk(T0 + 81 * MIN, SUB_OSCILLATION, SEV_HIGH);
	assert_int_equal(incidents_add(t, &o, o.time_ms), 0);
	assert_non_null(strstr(route_all(t, &rb), "pd:trigger"));
	route_buf_done(&rb);
	incidents_free(t);
}

static void test_payloads_deterministic(void **state)
{
	(void)state;
	char *texts[2];
	for (int r = 0; r < 2; r++) {
		struct incidents *t = tracker();
		struct failure_event ev = mk(T0, SUB_SERVER_ERROR, SEV_CRITICAL);
		ev.id = 7;
		snprintf(ev.request_id, sizeof(ev.request_id), "r7");
		assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
		struct payload_options o;
		opts(&o);
		texts[r] = payload_pagerduty(incidents_get(t, 40), PD_TRIGGER, T0, &o);
		incidents_free(t);
	}
	assert_string_equal(texts[0], texts[1]);
	free(texts[0]);
	free(texts[1]);
	for (int k = 0; k < SINK__COUNT; k++)
		assert_int_equal(
		        route_sink_kind_parse(route_sink_kind_name((enum sink_kind)k), (size_t)-1),
		        k);
	for (int k = 0; k < NOTIFY__COUNT; k++)
		assert_int_equal(route_op_parse(route_op_name((enum notify_op)k), (size_t)-1), k);
}

/* Two vigils on the same events (an HA pair: one instance name, two
 * databases numbering from different ids) build the same keys: dedup key,
 * Alertmanager labels, idempotency keys; only local ids differ. A provider
 * incident of a region carries it in its key and as a label, and the
 * regions of one provider are two incidents, related. */
static void test_keys_from_events(void **state)
{
	(void)state;
	struct incident_settings is;
	incident_settings_defaults(&is);
	snprintf(is.instance, sizeof(is.instance), "pair");
	struct route_sink rs[] = {
		{ "pd", SINK_PAGERDUTY, SEV_HIGH },
		{ "am", SINK_ALERTMANAGER, SEV_HIGH },
		{ "hook", SINK_WEBHOOK, SEV_LOW },
	};
	struct payload_options o;
	opts(&o);
	struct route_buf rb[2];
	for (int node = 0; node < 2; node++) {
		struct incidents *t = incidents_new(&is, node ? 900 : 1);
		route_buf_init(&rb[node]);
		incidents_begin(t);
		const char *regions[] = { "us-central1", "europe-west4" };
		for (int k = 0; k < 2; k++) {
			struct failure_event ev = mk(T0 + k * 1000, SUB_SERVER_ERROR, SEV_CRITICAL);
			snprintf(ev.pid.provider, sizeof(ev.pid.provider), "google");
			snprintf(ev.pid.region, sizeof(ev.pid.region), "%s", regions[k]);
			assert_int_equal(incidents_add(t, &ev, ev.time_ms), 0);
		}
		size_t n;
		const struct incident *const *v = incidents_list(t, &n);
		assert_int_equal(n, 2);
		assert_string_equal(v[0]->key, "provider/google/us-central1/outage");
		assert_string_equal(v[1]->key, "provider/google/europe-west4/outage");
		assert_int_equal(v[0]->n_related, 1);
		assert_int_equal(v[0]->related[0], v[1]->id);
		const struct incident_change *ch = incidents_changes(t, &n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(route_change(rs, 3, &ch[i], &o, &rb[node]), 0);
		char *am = payload_alertmanager(v[1], SEV_CRITICAL, false, T0, &o);
		json_t *j = load(am);
		json_t *a = json_array_get(j, 0);
		assert_string_equal(sget(a, "labels.region"), "europe-west4");
		assert_string_equal(sget(a, "labels.incident_key"),
		                    "pair/provider/google/europe-west4/outage/"
		                    "2026-01-01T00:00:01.000Z");
		json_decref(j);
		free(am);
		incidents_free(t);
	}
	/* pd, am, hook for each opening, and a hook "related" for each side of
	 * the link (both at the second event's time: told apart by the
	 * incident, and by the ordinal were there two of one kind) */
	assert_int_equal(rb[0].n, 8);
	assert_int_equal(rb[1].n, rb[0].n);
	for (size_t i = 0; i < rb[0].n; i++) {
		assert_true(rb[0].v[i].incident_id != rb[1].v[i].incident_id);
		assert_string_equal(rb[0].v[i].dedup_key, rb[1].v[i].dedup_key);
		assert_string_equal(rb[0].v[i].idem_key, rb[1].v[i].idem_key);
		if (rb[0].v[i].kind == SINK_ALERTMANAGER)
			assert_string_equal(rb[0].v[i].payload, rb[1].v[i].payload);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(rb[0].v[i].idem_key, rb[0].v[k].idem_key);
	}
	route_buf_done(&rb[0]);
	route_buf_done(&rb[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pagerduty),
		cmocka_unit_test(test_summary_limit),
		cmocka_unit_test(test_alertmanager_and_silence),
		cmocka_unit_test(test_webhook_and_jira),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_episode_one_page),
		cmocka_unit_test(test_oscillation_borrows_outage_page),
		cmocka_unit_test(test_payloads_deterministic),
		cmocka_unit_test(test_keys_from_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
