/*
 * test_pipeline.c: the pipeline end to end, in memory: hard failures act at
 * once, soft ones after the window test with its minimum sample count, ids in
 * order, breakers and their transitions, oscillation, failover evidence in
 * the severity, escalation, determinism, bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pipeline.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t T0 = 1795773600000LL;

static struct observation obs_ok(const char *provider, int64_t t)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = t;
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), provider, (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), "m-1", (size_t)-1);
	snprintf(o.request_id, sizeof(o.request_id), "r-%lld", (long long)t);
	o.http_status = 200;
	o.total_ms = 800;
	o.traffic_class = TC_REVENUE;
	return o;
}

static struct observation obs_status(const char *provider, int64_t t, int status, enum err_class ec)
{
	struct observation o = obs_ok(provider, t);
	o.http_status = status;
	o.norm.error_class = ec;
	return o;
}

static struct pipeline *make(const struct core_settings *s)
{
	struct pipeline_provider pp[2];
	memset(pp, 0, sizeof(pp));
	model_copy_str(pp[0].name, sizeof(pp[0].name), "openai", (size_t)-1);
	model_copy_str(pp[1].name, sizeof(pp[1].name), "anthropic", (size_t)-1);
	pp[1].fallback = true;
	struct pipeline *p = pipeline_new(s, pp, 2);
	assert_non_null(p);
	return p;
}

static size_t count_sub(const struct effects *fx, enum subtype sub)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n_events; i++)
		n += fx->events[i].subtype == sub;
	return n;
}

static void test_hard_at_once_and_ids(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline *p = make(&s);
	struct effects fx;
	struct observation o = obs_status("openai", T0, 500, EC_SERVER_ERROR);
	assert_int_equal(pipeline_feed(p, &o, T0, &fx), 0);
	assert_int_equal(fx.n_events, 1);
	assert_int_equal(fx.events[0].id, 1);
	assert_int_equal(fx.events[0].category, CAT_PROVIDER);
	assert_int_equal(fx.events[0].subtype, SUB_SERVER_ERROR);
	assert_string_equal(fx.events[0].pid.provider, "openai");
	assert_string_equal(fx.events[0].request_id, o.request_id);
	assert_int_equal(fx.events[0].time_ms, T0);
	assert_int_equal(fx.events[0].causal.http_status, 500);

	/* Several categories at once, ids in order. */
	o = obs_ok("openai", T0 + 10);
	o.verdicts.schema_valid = VG_TRI_FALSE;
	o.retry_count = 5;
	assert_int_equal(pipeline_feed(p, &o, T0 + 10, &fx), 0);
	assert_int_equal(fx.n_events, 2);
	assert_int_equal(fx.events[0].id, 2);
	assert_int_equal(fx.events[0].subtype, SUB_FORMAT_VIOLATION);
	assert_int_equal(fx.events[1].id, 3);
	assert_int_equal(fx.events[1].subtype, SUB_RETRY_STORM);

	/* A healthy request: nothing. */
	o = obs_ok("openai", T0 + 20);
	assert_int_equal(pipeline_feed(p, &o, T0 + 20, &fx), 0);
	assert_int_equal(fx.n_events, 0);
	assert_int_equal(fx.n_transitions, 0);

	pipeline_set_next_event_id(p, 100);
	o = obs_status("openai", T0 + 30, 401, EC_AUTH);
	assert_int_equal(pipeline_feed(p, &o, T0 + 30, &fx), 0);
	assert_int_equal(fx.events[0].id, 100);
	assert_int_equal(fx.events[0].retryable, VG_TRI_FALSE);

	uint64_t counts[CAT__COUNT][SEV__COUNT];
	pipeline_taxonomy_counts(p, counts);
	uint64_t total = 0, provider = 0;
	for (int c = 0; c < CAT__COUNT; c++)
		for (int v = 0; v < SEV__COUNT; v++) {
			total += counts[c][v];
			if (c == CAT_PROVIDER)
				provider += counts[c][v];
		}
	assert_int_equal(total, 4);
	assert_int_equal(provider, 2);
	pipeline_free(p);
}

/* One 429 is not an incident; a storm of them is. */
static void test_soft_needs_window(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s); /* 20 samples, 10% */
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	struct observation o = obs_status("openai", t, 429, EC_RATE_LIMIT);
	assert_int_equal(pipeline_feed(p, &o, t, &fx), 0);
	assert_int_equal(fx.n_events, 0);
	/* 18 successes: 19 samples, still under the minimum. */
	for (int i = 0; i < 18; i++) {
		t += 100;
		o = obs_ok("openai", t);
		pipeline_feed(p, &o, t, &fx);
	}
	t += 100;
	o = obs_status("openai", t, 429, EC_RATE_LIMIT);
	pipeline_feed(p, &o, t, &fx); /* 20 samples, 2 of them 429: 10% */
	assert_int_equal(count_sub(&fx, SUB_RATE_LIMIT), 1);
	assert_true(fx.events[0].causal.error_rate == 0.1);
	assert_int_equal(fx.events[0].causal.window_count, 20);
	assert_true(fx.events[0].causal.threshold == 0.1);
	/* A 429 after many successes (1 in 40) stays quiet. */
	for (int i = 0; i < 40; i++) {
		t += 100;
		o = obs_ok("openai", t);
		pipeline_feed(p, &o, t, &fx);
	}
	t += 100;
	o = obs_status("openai", t, 429, EC_RATE_LIMIT);
	pipeline_feed(p, &o, t, &fx);
	assert_int_equal(fx.n_events, 0);
	/* Once the window has slid past the old requests, the rate counts afresh. */
	t += s.soft_window_ms + 1000;
	for (int i = 0; i < 20; i++) {
		t += 10;
		o = obs_status("openai", t, 429, EC_RATE_LIMIT);
		pipeline_feed(p, &o, t, &fx);
		assert_int_equal(fx.n_events, i >= 19 ? 1 : 0);
	}
	pipeline_free(p);
}

/* Latency: p95 over the threshold = more than 5% of requests slower. */
static void test_latency_percentile(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	s.latency_ms = 1000;
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	for (int i = 0; i < 95; i++) {
		struct observation o = obs_ok("openai", t += 10);
		pipeline_feed(p, &o, t, &fx);
	}
	size_t fired = 0;
	for (int i = 0; i < 5; i++) { /* 5 slow of 100: p95 not over */
		struct observation o = obs_ok("openai", t += 10);
		o.total_ms = 2000;
		pipeline_feed(p, &o, t, &fx);
		fired += fx.n_events;
	}
	assert_int_equal(fired, 0);
	struct observation o = obs_ok("openai", t += 10);
	o.total_ms = 2000;
	pipeline_feed(p, &o, t, &fx); /* 6 of 101 */
	assert_int_equal(fx.n_events, 1);
	assert_int_equal(fx.events[0].subtype, SUB_LATENCY);
	assert_int_equal(fx.events[0].causal.latency_percentile, 95);
	assert_true(fx.events[0].causal.threshold == 1000);
	pipeline_free(p);
}

/* A slow ramp: the newest latency_recent_ms of the window crosses p95 while
 * the whole window still lags; the event is judged by that recent share (not
 * isolated), and slow answers are never an outage's CRITICAL. */
static void test_latency_ramp_recent(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);                          /* 5 min window, 2 min recent, p95 > 10 s */
	struct pipeline *p = pipeline_new(&s, NULL, 0); /* no fallback configured */
	assert_non_null(p);
	struct effects fx;
	int64_t t = T0;
	/* Five healthy minutes at 2 req/s. */
	for (int i = 0; i < 600; i++) {
		struct observation o = obs_ok("openai", t += 500);
		assert_int_equal(pipeline_feed(p, &o, t, &fx), 0);
		assert_int_equal(fx.n_events, 0);
	}
	/* Then 10% of requests take 12 s: 90 s later the recent two minutes
	 * hold over 5% slow, the whole five minutes under 4%. */
	int64_t first = VG_NONE;
	enum severity sev = SEV__COUNT;
	for (int i = 0; i < 180 && !vg_has(first); i++) {
		struct observation o = obs_ok("openai", t += 500);
		if (i % 10 == 0)
			o.total_ms = 12000;
		pipeline_feed(p, &o, t, &fx);
		for (size_t k = 0; k < fx.n_events; k++)
			if (fx.events[k].subtype == SUB_LATENCY) {
				first = t;
				sev = fx.events[k].severity;
				assert_true(fx.events[k].causal.error_rate > 0.05);
			}
	}
	assert_true(vg_has(first));
	assert_true(first - (T0 + 600 * 500) <= 90000);
	/* Just over the bar, the share's lower bound is not yet evidence:
	 * MEDIUM; as the slow share holds, HIGH (revenue, failover column:
	 * never CRITICAL). */
	assert_int_equal(sev, SEV_MEDIUM);
	enum severity later = SEV__COUNT;
	for (int i = 0; i < 240 && later != SEV_HIGH; i++) {
		struct observation o = obs_ok("openai", t += 500);
		if (i % 10 == 0)
			o.total_ms = 12000;
		pipeline_feed(p, &o, t, &fx);
		for (size_t k = 0; k < fx.n_events; k++)
			if (fx.events[k].subtype == SUB_LATENCY) {
				later = fx.events[k].severity;
				assert_true(later != SEV_CRITICAL);
			}
	}
	assert_int_equal(later, SEV_HIGH);
	pipeline_free(p);

	/* With the recent test off, the same traffic is not flagged in 90 s. */
	s.latency_recent_ms = 0;
	p = pipeline_new(&s, NULL, 0);
	t = T0;
	size_t fired = 0;
	for (int i = 0; i < 600; i++) {
		struct observation o = obs_ok("openai", t += 500);
		pipeline_feed(p, &o, t, &fx);
	}
	for (int i = 0; i < 180; i++) {
		struct observation o = obs_ok("openai", t += 500);
		if (i % 10 == 0)
			o.total_ms = 12000;
		pipeline_feed(p, &o, t, &fx);
		fired += fx.n_events;
	}
	assert_int_equal(fired, 0);
	pipeline_free(p);
}

static void test_breaker_and_severity(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s); /* 5 consecutive, cooldown 30 s, 3 successes */
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	/* Healthy traffic on both providers first. */
	for (int i = 0; i < 30; i++) {
		struct observation o = obs_ok("openai", t += 100);
		pipeline_feed(p, &o, t, &fx);
	}
	/* 4 failures: isolated (4 of 34 > 5% ... ) and the breaker still closed. */
	enum severity first = SEV__COUNT;
	for (int i = 0; i < 4; i++) {
		struct observation o = obs_status("openai", t += 100, 503, EC_OVERLOADED);
		pipeline_feed(p, &o, t, &fx);
		assert_int_equal(fx.n_transitions, 0);
		if (i == 0)
			first = fx.events[0].severity;
	}
	assert_int_equal(first, SEV_LOW); /* 1 of 31: isolated */
	struct observation o = obs_status("openai", t += 100, 503, EC_OVERLOADED);
	pipeline_feed(p, &o, t, &fx);
	int64_t opened = t;
	assert_int_equal(fx.n_transitions, 1);
	assert_int_equal(fx.transitions[0].from, BRK_CLOSED);
	assert_int_equal(fx.transitions[0].to, BRK_OPEN);
	assert_string_equal(fx.transitions[0].provider, "openai");
	assert_string_equal(fx.transitions[0].model, "");
	assert_non_null(strstr(fx.transitions[0].reason, "5 consecutive"));
	assert_non_null(strstr(fx.transitions[0].reason, "overloaded 503"));
	/* Open breaker, no fallback answer yet: within failover_grace it is
	 * judged as failing over (HIGH), ... */
	assert_int_equal(fx.events[0].severity, SEV_HIGH);
	/* ... until a fallback attempt fails too: no failover, revenue: CRITICAL. */
	o = obs_status("anthropic", t += 100, 529, EC_OVERLOADED);
	o.selection_reason = SEL_FALLBACK;
	model_copy_str(o.after_failure_of, sizeof(o.after_failure_of), "openai", (size_t)-1);
	pipeline_feed(p, &o, t, &fx);
	o = obs_status("openai", t += 100, 503, EC_OVERLOADED);
	pipeline_feed(p, &o, t, &fx);
	assert_int_equal(fx.events[0].severity, SEV_CRITICAL);

	/* A successful fallback request after openai failed: failover works -> HIGH. */
	o = obs_ok("anthropic", t += 100);
	o.selection_reason = SEL_FALLBACK;
	model_copy_str(o.after_failure_of, sizeof(o.after_failure_of), "openai", (size_t)-1);
	pipeline_feed(p, &o, t, &fx);
	assert_int_equal(fx.n_events, 0);
	o = obs_status("openai", t += 100, 503, EC_OVERLOADED);
	pipeline_feed(p, &o, t, &fx);
	assert_int_equal(fx.events[0].severity, SEV_HIGH);
	assert_int_equal(fx.n_transitions, 0); /* open: requests are not counted */

	/* Cooldown: the tick moves it to half-open. */
	assert_int_equal(pipeline_tick(p, opened + s.breaker.cooldown_ms - 1, &fx), 0);
	assert_int_equal(fx.n_transitions, 0);
	assert_int_equal(pipeline_tick(p, opened + s.breaker.cooldown_ms, &fx), 0);
	assert_int_equal(fx.n_transitions, 1);
	assert_int_equal(fx.transitions[0].from, BRK_OPEN);
	assert_int_equal(fx.transitions[0].to, BRK_HALF_OPEN);
	t = opened + s.breaker.cooldown_ms;
	for (int i = 0; i < 3; i++) {
		o = obs_ok("openai", t += 100);
		pipeline_feed(p, &o, t, &fx);
		assert_int_equal(fx.n_transitions, i == 2 ? 1 : 0);
	}
	assert_int_equal(fx.transitions[0].to, BRK_CLOSED);
	pipeline_free(p);
}

/* K opens within the window: an oscillation failure event. */
static void test_oscillation(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	s.breaker.consecutive_failures = 2;
	s.breaker.cooldown_ms = 1000;
	s.breaker.halfopen_successes = 1;
	s.breaker.oscillation_opens = 3;
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	size_t osc = 0, opens = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 2; i++) {
			struct observation o = obs_status("openai", t += 10, 502, EC_SERVER_ERROR);
			pipeline_feed(p, &o, t, &fx);
			osc += count_sub(&fx, SUB_OSCILLATION);
			for (size_t k = 0; k < fx.n_transitions; k++) {
				if (fx.transitions[k].to == BRK_OPEN) {
					opens++;
					assert_int_equal(fx.transitions[k].opens_in_window,
					                 (int)opens);
					assert_int_equal(fx.transitions[k].oscillating, opens >= 3);
				}
			}
		}
		t += 1000;
		pipeline_tick(p, t, &fx);
		struct observation o = obs_ok("openai", t += 10);
		pipeline_feed(p, &o, t, &fx);
	}
	assert_int_equal(opens, 3);
	assert_int_equal(osc, 1);
	pipeline_free(p);
}

/* Per-model breakers only where configured. */
static void test_model_breaker(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	s.breaker.consecutive_failures = 3;
	struct pipeline_provider pp;
	memset(&pp, 0, sizeof(pp));
	model_copy_str(pp.name, sizeof(pp.name), "openai", (size_t)-1);
	model_copy_str(pp.models[0].name, sizeof(pp.models[0].name), "gpt-4o", (size_t)-1);
	pp.models[0].breaker = true;
	pp.n_models = 1;
	struct pipeline *p = pipeline_new(&s, &pp, 1);
	struct effects fx;
	int64_t t = T0;
	size_t model_opens = 0, provider_opens = 0;
	for (int i = 0; i < 3; i++) {
		struct observation o = obs_status("openai", t += 10, 500, EC_SERVER_ERROR);
		model_copy_str(o.pid.model, sizeof(o.pid.model), "gpt-4o-2024-08-06", (size_t)-1);
		pipeline_feed(p, &o, t, &fx);
		for (size_t k = 0; k < fx.n_transitions; k++) {
			if (fx.transitions[k].model[0]) {
				assert_string_equal(fx.transitions[k].model, "gpt-4o-2024-08-06");
				model_opens++;
			} else {
				provider_opens++;
			}
		}
	}
	assert_int_equal(model_opens, 1);
	assert_int_equal(provider_opens, 1);
	/* A model without a configured breaker gets none. */
	pipeline_free(p);
	p = pipeline_new(&s, &pp, 1);
	model_opens = 0;
	for (int i = 0; i < 3; i++) {
		struct observation o = obs_status("openai", t += 10, 500, EC_SERVER_ERROR);
		model_copy_str(o.pid.model, sizeof(o.pid.model), "gpt-4o-mini", (size_t)-1);
		pipeline_feed(p, &o, t, &fx);
		for (size_t k = 0; k < fx.n_transitions; k++)
			model_opens += fx.transitions[k].model[0] != 0;
	}
	assert_int_equal(model_opens, 0);
	pipeline_free(p);
}

/* A healthy configured fallback counts as failover even without fallback traffic. */
static void test_healthy_fallback(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	s.severity.failover_grace_ms = 0; /* judged at once (test_failover_grace) */
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	for (int i = 0; i < 5; i++) {
		struct observation o = obs_status("openai", t += 10, 500, EC_SERVER_ERROR);
		pipeline_feed(p, &o, t, &fx);
	}
	assert_int_equal(fx.events[0].severity, SEV_CRITICAL);
	/* Probes show the fallback healthy. */
	for (int i = 0; i < 10; i++) {
		struct observation o = obs_ok("anthropic", t += 10);
		o.source = OBS_PROBE;
		pipeline_feed(p, &o, t, &fx);
	}
	struct observation o = obs_status("openai", t += 10, 500, EC_SERVER_ERROR);
	pipeline_feed(p, &o, t, &fx);
	assert_int_equal(fx.events[0].severity, SEV_HIGH);
	/* The fallback failing too: not healthy any more. */
	for (int i = 0; i < 10; i++) {
		o = obs_status("anthropic", t += 10, 529, EC_OVERLOADED);
		pipeline_feed(p, &o, t, &fx);
	}
	o = obs_status("openai", t += 10, 500, EC_SERVER_ERROR);
	pipeline_feed(p, &o, t, &fx);
	assert_int_equal(fx.events[0].severity, SEV_CRITICAL);
	pipeline_free(p);
}

/* An outage's first seconds: the breaker opened, the gateway's fallback
 * answers not seen yet. HIGH for failover_grace, then CRITICAL without
 * evidence; with the grace off, CRITICAL at once. */
static void test_failover_grace(void **state)
{
	(void)state;
	for (int off = 0; off < 2; off++) {
		struct core_settings s;
		settings_defaults(&s);
		if (off)
			s.severity.failover_grace_ms = 0;
		struct pipeline *p = make(&s);
		struct effects fx;
		int64_t t = T0;
		for (int i = 0; i < 5; i++) {
			struct observation o = obs_status("openai", t += 10, 500, EC_SERVER_ERROR);
			pipeline_feed(p, &o, t, &fx);
		}
		int64_t opened = t;
		assert_int_equal(fx.events[0].severity, off ? SEV_CRITICAL : SEV_HIGH);
		/* open requests still fail (the gateway keeps trying it) */
		struct observation o =
		        obs_status("openai", t = opened + 10000, 500, EC_SERVER_ERROR);
		pipeline_feed(p, &o, t, &fx);
		assert_int_equal(fx.events[0].severity, off ? SEV_CRITICAL : SEV_HIGH);
		o = obs_status("openai", t = opened + 10001, 500, EC_SERVER_ERROR);
		pipeline_feed(p, &o, t, &fx);
		assert_int_equal(fx.events[0].severity, SEV_CRITICAL);
		pipeline_free(p);
	}
}

/* MEDIUM sustained for escalation_ms becomes HIGH. */
static void test_escalation(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	s.escalation_ms = 10 * 60 * 1000;
	s.severity.escalation_gap_ms = 2 * 60 * 1000;
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	enum severity last = SEV__COUNT;
	/* Internal traffic, hallucinations on one request in three: MEDIUM (a third
	 * of all traffic stays under the blast radius that would raise it). */
	for (int i = 0; i <= 20; i++) {
		t = T0 + i * 60 * 1000;
		struct observation o = obs_ok("openai", t);
		o.traffic_class = TC_INTERNAL;
		pipeline_feed(p, &o, t, &fx);
		o = obs_ok("google", t);
		pipeline_feed(p, &o, t, &fx);
		o = obs_ok("openai", t + 1);
		o.traffic_class = TC_INTERNAL;
		o.verdicts.hallucination = VG_TRI_TRUE;
		pipeline_feed(p, &o, t + 1, &fx);
		assert_int_equal(fx.n_events, 1);
		last = fx.events[0].severity;
		if (i < 10)
			assert_int_equal(last, SEV_MEDIUM);
		else
			assert_int_equal(last, SEV_HIGH);
	}
	/* A gap longer than escalation_gap starts the stream over. */
	t += 3 * 60 * 1000;
	struct observation o = obs_ok("openai", t);
	o.traffic_class = TC_INTERNAL;
	o.verdicts.hallucination = VG_TRI_TRUE;
	pipeline_feed(p, &o, t, &fx);
	assert_int_equal(fx.events[0].severity, SEV_MEDIUM);
	pipeline_free(p);
}

static void test_time_and_errors(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline *p = make(&s);
	struct effects fx;
	assert_int_equal(pipeline_now(p), VG_NONE);
	struct observation o = obs_ok("openai", T0);
	o.pid.provider[0] = '\0';
	assert_int_equal(pipeline_feed(p, &o, T0, &fx), VG_EINVAL);
	assert_int_equal(fx.n_events, 0);
	o = obs_ok("openai", T0);
	o.ts_ms = VG_NONE;
	assert_int_equal(pipeline_feed(p, &o, T0, &fx), VG_EINVAL);
	assert_int_equal(pipeline_now(p), VG_NONE); /* nothing changed */
	o = obs_status("openai", T0, 500, EC_SERVER_ERROR);
	assert_int_equal(pipeline_feed(p, &o, T0 + 5000, &fx), 0);
	assert_int_equal(pipeline_now(p), T0 + 5000);
	/* A late observation cannot move time back. */
	o = obs_status("openai", T0, 500, EC_SERVER_ERROR);
	assert_int_equal(pipeline_feed(p, &o, T0 + 1000, &fx), 0);
	assert_int_equal(fx.events[0].time_ms, T0 + 5000);
	assert_int_equal(pipeline_now(p), T0 + 5000);
	assert_int_equal(pipeline_tick(p, T0, &fx), 0);
	assert_int_equal(pipeline_now(p), T0 + 5000);
	pipeline_free(p);
	pipeline_free(NULL);
}

/* A seeded mix through two pipelines gives identical effects. */
static uint64_t run_mix(uint32_t seed, size_t n)
{
	struct core_settings s;
	settings_defaults(&s);
	s.breaker.cooldown_ms = 2000;
	struct pipeline *p = make(&s);
	struct effects fx;
	uint64_t h = 1469598103934665603ULL;
	static const char *const provs[] = { "openai", "anthropic", "google" };
	int64_t t = T0;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t r = (seed >> 8) % 100;
		t += 5 + (seed >> 20) % 50;
		struct observation o = obs_ok(provs[(seed >> 4) % 3], t);
		if (r < 10) {
			o.http_status = 503;
			o.norm.error_class = EC_OVERLOADED;
		} else if (r < 20) {
			o.http_status = 429;
			o.norm.error_class = EC_RATE_LIMIT;
		} else if (r < 25) {
			o.verdicts.schema_valid = VG_TRI_FALSE;
		} else if (r < 28) {
			o.total_ms = 20000;
		}
		assert_int_equal(pipeline_feed(p, &o, t, &fx), 0);
		for (size_t k = 0; k < fx.n_events; k++) {
			const struct failure_event *e = &fx.events[k];
			h = (h ^ e->id) * 1099511628211ULL;
			h = (h ^ (uint64_t)(e->subtype * 16 + e->severity)) * 1099511628211ULL;
		}
		for (size_t k = 0; k < fx.n_transitions; k++)
			h = (h ^ (uint64_t)(fx.transitions[k].to + 7)) * 1099511628211ULL;
		if (i % 50 == 0) {
			pipeline_tick(p, t, &fx);
			h = (h ^ fx.n_transitions) * 1099511628211ULL;
		}
	}
	pipeline_free(p);
	return h;
}

static void test_deterministic(void **state)
{
	(void)state;
	uint64_t a = run_mix(42, 5000), b = run_mix(42, 5000), c = run_mix(43, 5000);
	assert_true(a == b);
	assert_true(a != c);
}

/* The read API: rows per provider and model, health numbers, breaker state. */
static void test_health_view(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline_provider pp;
	memset(&pp, 0, sizeof(pp));
	model_copy_str(pp.name, sizeof(pp.name), "openai", (size_t)-1);
	model_copy_str(pp.models[0].name, sizeof(pp.models[0].name), "m", (size_t)-1);
	pp.models[0].price_in_per_1k = 0.001;
	pp.models[0].price_out_per_1k = 0.002;
	pp.n_models = 1;
	struct pipeline *p = pipeline_new(&s, &pp, 1);
	struct effects fx;
	struct health_view hv;
	assert_int_equal(pipeline_health_count(p), 0);
	assert_int_equal(pipeline_health_view(p, 0, T0, &hv), VG_ENOTFOUND);
	int64_t t = T0;
	for (int i = 0; i < 90; i++) {
		struct observation o = obs_ok("openai", t += 100);
		model_copy_str(o.pid.model, sizeof(o.pid.model), "m-1", (size_t)-1);
		o.total_ms = 1000 + i;
		o.ttfb_ms = o.total_ms - 500; /* 500 ms generating */
		o.input_tokens = 1000;
		o.output_tokens = 100;
		o.cost_usd = 0.0012 * 1.25; /* listed 0.0012; paying 25% more */
		o.verdicts.schema_valid = i % 10 ? VG_TRI_TRUE : VG_TRI_FALSE;
		pipeline_feed(p, &o, t, &fx);
	}
	for (int i = 0; i < 10; i++) {
		struct observation o = obs_status("openai", t += 100, 429, EC_RATE_LIMIT);
		model_copy_str(o.pid.model, sizeof(o.pid.model), "m-1", (size_t)-1);
		pipeline_feed(p, &o, t, &fx);
	}
	struct observation o = obs_ok("google", t += 100);
	pipeline_feed(p, &o, t, &fx);

	assert_int_equal(pipeline_health_count(p), 4); /* openai, openai/m-1, google, google/m-1 */
	int ip = pipeline_health_find(p, "openai", NULL);
	int im = pipeline_health_find(p, "openai", "m-1");
	assert_true(ip >= 0 && im >= 0 && ip != im);
	assert_int_equal(pipeline_health_find(p, "azure", ""), VG_ENOTFOUND);

	assert_int_equal(pipeline_health_view(p, (size_t)ip, t, &hv), 0);
	assert_string_equal(hv.provider, "openai");
	assert_string_equal(hv.model, "");
	assert_int_equal(hv.parent, -1);
	assert_true(hv.configured);
	assert_false(hv.fallback);
	assert_true(hv.has_breaker);
	assert_int_equal(hv.breaker, BRK_CLOSED);
	assert_int_equal(hv.breaker_since_ms, T0 + 100);
	assert_int_equal(hv.breaker_in_state_ms, t - (T0 + 100));
	assert_int_equal(hv.window_requests, 100);
	/* Decay weighs recent requests more: availability under 90%, over 85%. */
	assert_true(hv.health.availability < 0.9 && hv.health.availability > 0.85);
	assert_true(hv.health.err_rate[HE_RATE_LIMIT] > 0.1);
	assert_true(hv.health.p50_ms > 1030 && hv.health.p50_ms < 1070);
	assert_true(fabs(hv.health.output_tps - 200) < 1e-6); /* 100 tokens in 0.5 s */
	assert_true(fabs(hv.health.quality_score - 0.9) < 0.02);

	assert_int_equal(pipeline_health_view(p, (size_t)im, t, &hv), 0);
	assert_string_equal(hv.model, "m-1");
	assert_int_equal(hv.parent, ip);
	assert_false(hv.has_breaker);
	assert_true(fabs(hv.health.cost_efficiency - 1.25) < 1e-9);
	assert_int_equal(hv.window_requests, 100); /* the provider's window */

	int ig = pipeline_health_find(p, "google", "");
	assert_int_equal(pipeline_health_view(p, (size_t)ig, t, &hv), 0);
	assert_false(hv.configured);
	assert_true(hv.health.availability == 1.0);
	assert_true(isnan(hv.health.cost_efficiency));
	pipeline_free(p);
}

/* Headroom falling toward zero before the first 429: one LOW early warning. */
static void test_headroom_warning(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s); /* warn under 10% */
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	size_t warnings = 0;
	for (int i = 0; i < 60; i++) {
		struct observation o = obs_ok("openai", t += 1000);
		o.norm.rl_requests.limit = 1000;
		o.norm.rl_requests.remaining = 300 - 5 * i; /* 30% -> 0.5% */
		pipeline_feed(p, &o, t, &fx);
		for (size_t k = 0; k < fx.n_events; k++) {
			assert_int_equal(fx.events[k].subtype, SUB_RATE_LIMIT);
			assert_int_equal(fx.events[k].severity, SEV_LOW);
			assert_true(fx.events[k].causal.value < 0.1);
			assert_non_null(strstr(fx.events[k].causal.detail, "early warning"));
			assert_int_equal(fx.events[k].causal.ratelimit_limit, 1000);
			warnings++;
		}
	}
	assert_int_equal(warnings, 1); /* once per soft window */
	/* Low but steady headroom is not a warning. */
	pipeline_free(p);
	p = make(&s);
	warnings = 0;
	for (int i = 0; i < 60; i++) {
		struct observation o = obs_ok("openai", t += 1000);
		o.norm.rl_requests.limit = 1000;
		o.norm.rl_requests.remaining = 50;
		pipeline_feed(p, &o, t, &fx);
		warnings += fx.n_events;
	}
	assert_int_equal(warnings, 0);
	pipeline_free(p);
}

/* Late (sidecar) verdicts: events and quality, without counting the request twice. */
static void test_late_verdicts(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline *p = make(&s);
	struct effects fx;
	int64_t t = T0;
	for (int i = 0; i < 10; i++) {
		struct observation o = obs_ok("openai", t += 100);
		o.verdicts.deferred = true;
		o.input_tokens = 5000; /* inflated, but judged inline already */
		o.predicted_input_tokens = 1000;
		o.verdicts.token_inflation = VG_TRI_FALSE;
		pipeline_feed(p, &o, t, &fx);
		assert_int_equal(fx.n_events, 0);
	}
	struct health_view hv;
	int ip = pipeline_health_find(p, "openai", "");
	pipeline_health_view(p, (size_t)ip, t, &hv);
	assert_int_equal(hv.window_requests, 10);
	assert_true(isnan(hv.health.quality_score));

	struct observation late = obs_ok("openai", T0 + 100);
	late.verdicts.hallucination = VG_TRI_TRUE;
	late.verdicts.pii_leak = VG_TRI_TRUE;
	late.input_tokens = 5000; /* ignored: only the verdicts count */
	late.predicted_input_tokens = 1000;
	late.http_status = 500; /* ignored */
	assert_int_equal(pipeline_feed_verdicts(p, &late, t + 50, &fx), 0);
	assert_int_equal(fx.n_events, 2);
	assert_int_equal(fx.events[0].subtype, SUB_HALLUCINATION);
	assert_int_equal(fx.events[1].subtype, SUB_PII_LEAK);
	assert_string_equal(fx.events[0].request_id, late.request_id);
	assert_int_equal(fx.events[0].id, 1);
	assert_int_equal(fx.n_transitions, 0);
	pipeline_health_view(p, (size_t)ip, t + 50, &hv);
	assert_int_equal(hv.window_requests, 10); /* not counted again */
	assert_true(hv.health.hallucination_pass_rate == 0);
	assert_true(hv.health.availability == 1.0);
	/* 1 of 10 requests hallucinated: affected rate 10%, not isolated. */
	assert_true(fx.events[0].causal.error_rate == 0.1);
	late.pid.provider[0] = '\0';
	assert_int_equal(pipeline_feed_verdicts(p, &late, t + 60, &fx), VG_EINVAL);
	pipeline_free(p);
}

/* vigil's own health: monitor events in the same id sequence, HIGH. */
static void test_monitor(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline *p = make(&s);
	struct effects fx;
	struct observation o = obs_status("openai", T0, 500, EC_SERVER_ERROR);
	pipeline_feed(p, &o, T0, &fx);
	assert_int_equal(pipeline_monitor(p, SUB_SIDECAR_BLIND_SPOT, "sidecar",
	                                  "queue full: 1024 of 1024", 1024, T0 + 10, &fx),
	                 0);
	assert_int_equal(fx.n_events, 1);
	assert_int_equal(fx.events[0].id, 2);
	assert_int_equal(fx.events[0].category, CAT_MONITOR);
	assert_int_equal(fx.events[0].severity, SEV_HIGH);
	assert_string_equal(fx.events[0].pid.provider, "vigil");
	assert_string_equal(fx.events[0].pid.model, "sidecar");
	assert_string_equal(fx.events[0].causal.detail, "queue full: 1024 of 1024");
	assert_true(fx.events[0].causal.value == 1024);
	assert_int_equal(pipeline_monitor(p, SUB_SERVER_ERROR, "x", NULL, 0, T0, &fx), VG_EINVAL);
	assert_int_equal(fx.n_events, 0);
	uint64_t counts[CAT__COUNT][SEV__COUNT];
	pipeline_taxonomy_counts(p, counts);
	assert_int_equal(counts[CAT_MONITOR][SEV_HIGH], 1);
	pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hard_at_once_and_ids),
		cmocka_unit_test(test_soft_needs_window),
		cmocka_unit_test(test_latency_percentile),
		cmocka_unit_test(test_latency_ramp_recent),
		cmocka_unit_test(test_breaker_and_severity),
		cmocka_unit_test(test_oscillation),
		cmocka_unit_test(test_model_breaker),
		cmocka_unit_test(test_healthy_fallback),
		cmocka_unit_test(test_failover_grace),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_time_and_errors),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_health_view),
		cmocka_unit_test(test_headroom_warning),
		cmocka_unit_test(test_late_verdicts),
		cmocka_unit_test(test_monitor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
