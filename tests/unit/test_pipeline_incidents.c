/*
 * test_pipeline_incidents.c: stage 6 of the pipeline: failure events become
 * incidents (100 failures -> 1 incident; an outage and a cost spike at once
 * -> 2 related incidents; quiet -> auto-resolved with history), the
 * notifications they cause, operator actions, and vigil's own health.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pipeline.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t T0 = 1795773600000LL;
#define MIN (60 * 1000LL)

static struct observation obs(int64_t t, int status, enum err_class ec)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = t;
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), "openai", (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), "gpt-4o", (size_t)-1);
	snprintf(o.request_id, sizeof(o.request_id), "r-%lld", (long long)t);
	o.http_status = status;
	o.norm.error_class = ec;
	o.total_ms = 800;
	o.traffic_class = TC_REVENUE;
	return o;
}

static struct pipeline *make(void)
{
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline_provider pp;
	memset(&pp, 0, sizeof(pp));
	model_copy_str(pp.name, sizeof(pp.name), "openai", (size_t)-1);
	struct pipeline *p = pipeline_new(&s, &pp, 1);
	assert_non_null(p);
	struct route_sink sinks[] = {
		{ "pd", SINK_PAGERDUTY, SEV_HIGH },
		{ "am", SINK_ALERTMANAGER, SEV_HIGH },
		{ "jira", SINK_JIRA, SEV_LOW },
	};
	struct payload_options o;
	payload_options_defaults(&o);
	assert_int_equal(pipeline_set_routes(p, sinks, 3, &o), 0);
	return p;
}

static size_t count_ops_of(const struct effects *fx, const char *sink, enum notify_op op,
                           int64_t incident_id)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n_notifications; i++)
		n += strcmp(fx->notifications[i].sink, sink) == 0 &&
		     fx->notifications[i].op == op &&
		     (!incident_id || fx->notifications[i].incident_id == incident_id);
	return n;
}

static size_t count_ops(const struct effects *fx, const char *sink, enum notify_op op)
{
	return count_ops_of(fx, sink, op, 0);
}

static void test_hundred_failures_one_incident(void **state)
{
	(void)state;
	struct pipeline *p = make();
	struct effects fx;
	size_t opened = 0, triggers = 0, events = 0;
	for (int i = 0; i < 100; i++) {
		struct observation o = obs(T0 + i * 500, 503, EC_OVERLOADED);
		assert_int_equal(pipeline_feed(p, &o, o.ts_ms, &fx), 0);
		events += fx.n_events;
		for (size_t k = 0; k < fx.n_incident_changes; k++)
			opened += fx.incident_changes[k].kind == INCC_OPENED;
		triggers += count_ops(&fx, "pd", NOTIFY_TRIGGER);
	}
	assert_int_equal(events, 100);
	assert_int_equal(opened, 1);
	assert_int_equal(triggers, 1);
	size_t n;
	const struct incident *const *v = incidents_list(pipeline_incidents(p), &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->count, 100);
	assert_int_equal(v[0]->category, CAT_PROVIDER);
	assert_true(v[0]->severity <= SEV_HIGH);
	pipeline_free(p);
}

static void test_outage_and_cost_spike(void **state)
{
	(void)state;
	struct pipeline *p = make();
	struct effects fx;
	struct observation o = obs(T0, 500, EC_SERVER_ERROR);
	o.retry_count = 6; /* a retry storm in the same request */
	assert_int_equal(pipeline_feed(p, &o, T0, &fx), 0);
	assert_int_equal(fx.n_events, 2);
	size_t n;
	const struct incident *const *v = incidents_list(pipeline_incidents(p), &n);
	assert_int_equal(n, 2);
	assert_int_not_equal(v[0]->category, v[1]->category);
	assert_int_equal(v[0]->n_related, 1);
	assert_int_equal(v[0]->related[0], v[1]->id);
	assert_int_equal(v[1]->related[0], v[0]->id);
	pipeline_free(p);
}

static void test_quiet_auto_resolve_and_ticket(void **state)
{
	(void)state;
	struct pipeline *p = make();
	struct effects fx;
	/* an outage of 35 minutes: a failure every 2 minutes (the breaker
	 * re-opens on every failed probe: one outage going on, not oscillation) */
	size_t tickets = 0;
	for (int64_t t = T0; t <= T0 + 35 * MIN; t += 2 * MIN) {
		struct observation o = obs(t, 500, EC_SERVER_ERROR);
		assert_int_equal(pipeline_feed(p, &o, t, &fx), 0);
		tickets += count_ops_of(&fx, "jira", NOTIFY_TICKET, 1);
		assert_int_equal(pipeline_tick(p, t + MIN, &fx), 0);
		tickets += count_ops_of(&fx, "jira", NOTIFY_TICKET, 1);
	}
	assert_int_equal(tickets, 1);
	const struct incident *inc = incidents_get(pipeline_incidents(p), 1);
	assert_non_null(inc);
	assert_int_equal(inc->state, INC_OPEN);
	int64_t last = inc->last_ms;
	/* quiet: resolved at last + 10 min; the page when the episode is over,
	 * at last + 30 min */
	size_t resolves = 0;
	int64_t resolved_at = 0;
	for (int64_t t = last + MIN; t <= last + 35 * MIN; t += 1000) {
		assert_int_equal(pipeline_tick(p, t, &fx), 0);
		size_t k = count_ops_of(&fx, "pd", NOTIFY_RESOLVE, 1) +
		           count_ops_of(&fx, "am", NOTIFY_RESOLVE, 1);
		if (k && !resolved_at)
			resolved_at = t;
		resolves += k;
	}
	assert_int_equal(resolves, 2);
	assert_true(resolved_at >= last + 30 * MIN && resolved_at < last + 30 * MIN + 1000);
	inc = incidents_get(pipeline_incidents(p), 1);
	assert_int_equal(inc->state, INC_RESOLVED);
	assert_true(inc->auto_resolved);
	assert_int_equal(inc->resolved_ms, last + 10 * MIN);
	/* history kept: opened, ticketed, auto_resolved (no oscillation to relate to) */
	size_t seen[INCC__COUNT] = { 0 };
	for (size_t i = 0; i < inc->n_history; i++)
		seen[inc->history[i].what]++;
	assert_int_equal(inc->history[0].what, INCC_OPENED);
	assert_int_equal(inc->history[inc->n_history - 2].what, INCC_AUTO_RESOLVED);
	assert_int_equal(inc->history[inc->n_history - 1].what, INCC_EPISODE_ENDED);
	assert_int_equal(seen[INCC_TICKETED], 1);
	assert_int_equal(seen[INCC_RELATED], 0);
	assert_null(incidents_get(pipeline_incidents(p), 2));
	assert_int_equal(seen[INCC_AUTO_RESOLVED], 1);
	assert_int_equal(inc->history[inc->n_history - 1].count, inc->count);
	pipeline_free(p);
}

static void test_operator_actions(void **state)
{
	(void)state;
	struct pipeline *p = make();
	struct effects fx;
	struct observation o = obs(T0, 401, EC_AUTH);
	assert_int_equal(pipeline_feed(p, &o, T0, &fx), 0);
	assert_int_equal(
	        pipeline_operator_action(p, ACTION_ACK, 1, T0 + 1000, "alice", "rotating", &fx), 0);
	assert_int_equal(fx.n_incident_changes, 1);
	assert_int_equal(fx.incident_changes[0].kind, INCC_ACKNOWLEDGED);
	assert_int_equal(count_ops(&fx, "pd", NOTIFY_ACKNOWLEDGE), 1);
	assert_int_equal(count_ops(&fx, "am", NOTIFY_SILENCE), 1);
	assert_int_equal(pipeline_operator_action(p, ACTION_ACK, 1, T0 + 2000, "bob", NULL, &fx),
	                 VG_ESTATE);
	assert_int_equal(fx.n_notifications, 0);
	assert_int_equal(pipeline_operator_action(p, ACTION_NOTE, 1, T0 + 3000, "alice",
	                                          "new key deployed", &fx),
	                 0);
	assert_int_equal(fx.n_notifications, 0);
	/* the triage wizard's path is kept on the history as a note */
	assert_int_equal(pipeline_operator_action(p, ACTION_TRIAGE, 1, T0 + 3500, "alice",
	                                          "{\"steps\":[]}", &fx),
	                 0);
	assert_int_equal(fx.n_incident_changes, 1);
	assert_int_equal(fx.incident_changes[0].kind, INCC_NOTE);
	assert_string_equal(fx.incident_changes[0].note, "triage: {\"steps\":[]}");
	assert_int_equal(fx.n_notifications, 0);
	assert_int_equal(
	        pipeline_operator_action(p, ACTION__COUNT, 1, T0 + 3600, "alice", "x", &fx),
	        VG_EINVAL);
	assert_int_equal(fx.n_incident_changes, 0);
	assert_int_equal(
	        pipeline_operator_action(p, ACTION_RESOLVE, 1, T0 + 4000, "alice", NULL, &fx), 0);
	assert_int_equal(count_ops(&fx, "pd", NOTIFY_RESOLVE), 1);
	assert_string_equal(fx.notifications[0].dedup_key,
	                    "vigil/provider/openai/auth/2026-11-27T10:00:00.000Z");
	assert_int_equal(
	        pipeline_operator_action(p, ACTION_RESOLVE, 9, T0 + 4000, "alice", NULL, &fx),
	        VG_ENOTFOUND);
	assert_int_equal(
	        pipeline_operator_action(p, ACTION_RESOLVE, 1, VG_NONE, "alice", NULL, &fx),
	        VG_EINVAL);
	pipeline_free(p);
}

static void test_monitor(void **state)
{
	(void)state;
	struct pipeline *p = make();
	struct effects fx;
	assert_int_equal(
	        pipeline_monitor(p, SUB_SINK_UNREACHABLE, "pd", "connect refused", 3, T0, &fx), 0);
	assert_int_equal(fx.n_events, 1);
	assert_int_equal(fx.events[0].category, CAT_MONITOR);
	assert_int_equal(fx.events[0].severity, SEV_HIGH);
	assert_string_equal(fx.events[0].pid.provider, "vigil");
	assert_string_equal(fx.events[0].causal.detail, "connect refused");
	assert_int_equal(count_ops(&fx, "pd", NOTIFY_TRIGGER), 1);
	assert_int_equal(pipeline_monitor(p, SUB_SERVER_ERROR, "", NULL, 0, T0, &fx), VG_EINVAL);
	assert_int_equal(fx.n_events, 0);
	assert_int_equal(pipeline_tick(p, T0 + 11 * MIN, &fx), 0);
	assert_int_equal(count_ops(&fx, "pd", NOTIFY_RESOLVE), 0); /* auto-resolved */
	assert_int_equal(pipeline_tick(p, T0 + 31 * MIN, &fx), 0);
	assert_int_equal(count_ops(&fx, "pd", NOTIFY_RESOLVE), 1); /* the episode is over */
	pipeline_free(p);
}

static void test_configure(void **state)
{
	(void)state;
	struct pipeline *p = make();
	struct incident_settings s;
	incident_settings_defaults(&s);
	s.group_gap_ms = 1000;
	snprintf(s.instance, sizeof(s.instance), "dc2");
	assert_int_equal(pipeline_set_incidents(p, &s, 500), 0);
	struct effects fx;
	struct observation o = obs(T0, 500, EC_SERVER_ERROR);
	assert_int_equal(pipeline_feed(p, &o, T0, &fx), 0);
	o = obs(T0 + 5000, 500, EC_SERVER_ERROR);
	assert_int_equal(pipeline_feed(p, &o, T0 + 5000, &fx), 0);
	size_t n;
	const struct incident *const *v = incidents_list(pipeline_incidents(p), &n);
	assert_int_equal(n, 2); /* gap of 1 s */
	assert_int_equal(v[0]->id, 500);
	/* the second continues the first's episode: its page, its dedup key */
	assert_string_equal(v[1]->dedup_key, "dc2/provider/openai/outage/2026-11-27T10:00:00.000Z");
	assert_int_equal(v[1]->episode_of, 500);
	assert_int_equal(pipeline_set_incidents(p, &s, 1), VG_ESTATE);
	struct route_sink many[PIPELINE_MAX_SINKS + 1];
	memset(many, 0, sizeof(many));
	assert_int_equal(pipeline_set_routes(p, many, PIPELINE_MAX_SINKS + 1, NULL), VG_ERANGE);

	/* restore into a fresh pipeline: the next event joins the restored incident */
	json_t *j = incident_to_json(v[1]);
	struct pipeline *q = make();
	assert_int_equal(pipeline_set_incidents(q, &s, 1), 0);
	assert_int_equal(pipeline_restore_incident(q, j, NULL), 0);
	json_decref(j);
	o = obs(T0 + 5500, 500, EC_SERVER_ERROR);
	assert_int_equal(pipeline_feed(q, &o, T0 + 5500, &fx), 0);
	assert_int_equal(fx.n_incident_changes, 1);
	assert_int_equal(fx.incident_changes[0].kind, INCC_UPDATED);
	assert_int_equal(fx.incident_changes[0].incident_id, 501);
	pipeline_free(q);
	pipeline_free(p);
}

static json_t *payload_of(const struct effects *fx, const char *sink, enum notify_op op)
{
	for (size_t i = 0; i < fx->n_notifications; i++)
		if (strcmp(fx->notifications[i].sink, sink) == 0 && fx->notifications[i].op == op)
			return json_loads(fx->notifications[i].payload, 0, NULL);
	return NULL;
}

/* Alerts carry what a responder needs: the breaker, the provider's
 * availability, the fallback's state and availability, the failover chain
 * of the latest affected request, the comparison with the bar. */
static void test_alert_context(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline_provider pp[2];
	memset(pp, 0, sizeof(pp));
	model_copy_str(pp[0].name, sizeof(pp[0].name), "openai", (size_t)-1);
	model_copy_str(pp[1].name, sizeof(pp[1].name), "anthropic", (size_t)-1);
	pp[1].fallback = true;
	struct pipeline *p = pipeline_new(&s, pp, 2);
	assert_non_null(p);
	struct route_sink sinks[] = {
		{ "pd", SINK_PAGERDUTY, SEV_HIGH },
		{ "am", SINK_ALERTMANAGER, SEV_HIGH },
	};
	struct payload_options po;
	payload_options_defaults(&po);
	assert_int_equal(pipeline_set_routes(p, sinks, 2, &po), 0);
	struct effects fx;
	int64_t t = T0;
	for (int i = 0; i < 16; i++, t += 1000) { /* healthy traffic on both */
		struct observation o = obs(t, 200, EC_OK);
		assert_int_equal(pipeline_feed(p, &o, t, &fx), 0);
		o.pid = (struct provider_id){ .provider = "anthropic", .model = "claude" };
		snprintf(o.request_id, sizeof(o.request_id), "a-%lld", (long long)t);
		assert_int_equal(pipeline_feed(p, &o, t, &fx), 0);
	}
	/* openai fails; the gateway's second attempt answers on anthropic */
	json_t *pd = NULL, *am = NULL;
	for (int i = 0; i < 8 && !pd; i++, t += 1000) {
		struct observation o = obs(t, 500, EC_SERVER_ERROR);
		o.selection_reason = SEL_PRIMARY;
		o.attempt = 1;
		assert_int_equal(pipeline_feed(p, &o, t, &fx), 0);
		pd = payload_of(&fx, "pd", NOTIFY_TRIGGER);
		am = payload_of(&fx, "am", NOTIFY_TRIGGER);
		if (pd)
			break;
		struct observation f = obs(t + 10, 200, EC_OK);
		f.pid = (struct provider_id){ .provider = "anthropic", .model = "claude" };
		snprintf(f.request_id, sizeof(f.request_id), "f-%lld", (long long)t);
		f.selection_reason = SEL_FALLBACK;
		f.attempt = 2;
		model_copy_str(f.after_failure_of, sizeof(f.after_failure_of), "openai",
		               (size_t)-1);
		assert_int_equal(pipeline_feed(p, &f, t + 10, &fx), 0);
	}
	assert_non_null(pd);
	assert_non_null(am);
	json_t *c = json_object_get(
	        json_object_get(json_object_get(pd, "payload"), "custom_details"), "context");
	assert_non_null(c);
	const char *brk = json_string_value(json_object_get(c, "breaker"));
	assert_non_null(brk);
	double avail = json_real_value(json_object_get(c, "availability"));
	assert_true(avail > 0.5 && avail < 1.0); /* 16 good of 19 or so */
	json_t *fb = json_object_get(c, "fallback");
	assert_string_equal(json_string_value(json_object_get(fb, "state")), "working");
	assert_string_equal(json_string_value(json_object_get(fb, "provider")), "anthropic");
	assert_true(json_real_value(json_object_get(fb, "availability")) == 1.0);
	json_t *chain = json_object_get(c, "failover_chain");
	assert_string_equal(json_string_value(json_object_get(chain, "selection")), "primary");
	assert_int_equal(json_integer_value(json_object_get(chain, "attempt")), 1);
	json_t *bl = json_object_get(c, "baseline");
	assert_true(json_real_value(json_object_get(bl, "observed")) > 0.05);
	assert_true(json_integer_value(json_object_get(bl, "window_count")) > 16);
	/* Alertmanager: the same as annotations, one line each */
	json_t *ann = json_object_get(json_array_get(am, 0), "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, "breaker")), brk);
	assert_non_null(strstr(json_string_value(json_object_get(ann, "fallback")),
	                       "working: anthropic (availability 100.0%)"));
	assert_string_equal(json_string_value(json_object_get(ann, "failover_chain")),
	                    "primary, attempt 1");
	assert_non_null(strstr(json_string_value(json_object_get(ann, "baseline")), "observed "));
	assert_non_null(json_object_get(ann, "availability"));
	json_decref(pd);
	json_decref(am);
	pipeline_free(p);
}

/* A snooze: an acknowledgement whose Alertmanager silence lasts as asked. */
static void test_snooze(void **state)
{
	(void)state;
	struct pipeline *p = make();
	struct effects fx;
	for (int i = 0; i < 10; i++) {
		struct observation o = obs(T0 + i * 100, 500, EC_SERVER_ERROR);
		assert_int_equal(pipeline_feed(p, &o, o.ts_ms, &fx), 0);
	}
	int64_t t = T0 + 2000;
	assert_int_equal(
	        pipeline_operator_action(p, ACTION_SNOOZE, 1, t, "bob", "30m watching", &fx), 0);
	assert_int_equal(count_ops(&fx, "pd", NOTIFY_ACKNOWLEDGE), 1);
	json_t *sil = payload_of(&fx, "am", NOTIFY_SILENCE);
	assert_non_null(sil);
	assert_string_equal(json_string_value(json_object_get(sil, "startsAt")),
	                    "2026-11-27T10:00:02.000Z");
	assert_string_equal(json_string_value(json_object_get(sil, "endsAt")),
	                    "2026-11-27T10:30:02.000Z");
	json_decref(sil);
	const struct incident *inc = incidents_get(pipeline_incidents(p), 1);
	assert_int_equal(inc->state, INC_ACKNOWLEDGED);
	assert_string_equal(inc->history[inc->n_history - 1].note,
	                    "snoozed until 2026-11-27T10:30:02.000Z: watching");
	/* again, acknowledged already, no length: an hour */
	assert_int_equal(pipeline_operator_action(p, ACTION_SNOOZE, 1, t + 1000, "bob", "", &fx),
	                 0);
	sil = payload_of(&fx, "am", NOTIFY_SILENCE);
	assert_non_null(sil);
	assert_string_equal(json_string_value(json_object_get(sil, "endsAt")),
	                    "2026-11-27T11:00:03.000Z");
	json_decref(sil);
	/* a resolved incident is not snoozed */
	assert_int_equal(pipeline_operator_action(p, ACTION_RESOLVE, 1, t + 2000, "bob", NULL, &fx),
	                 0);
	assert_int_equal(pipeline_operator_action(p, ACTION_SNOOZE, 1, t + 3000, "bob", "1h", &fx),
	                 VG_ESTATE);
	pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hundred_failures_one_incident),
		cmocka_unit_test(test_outage_and_cost_spike),
		cmocka_unit_test(test_quiet_auto_resolve_and_ticket),
		cmocka_unit_test(test_operator_actions),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_configure),
		cmocka_unit_test(test_alert_context),
		cmocka_unit_test(test_snooze),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
