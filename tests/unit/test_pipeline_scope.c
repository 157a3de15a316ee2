/*
 * test_pipeline_scope.c: severity through the real pipeline, measured in the
 * incident's own scope and held at MEDIUM until there is evidence: one
 * Google 500 among three requests beside thousands of healthy OpenAI ones
 * does not page; the first schema failure at start-up does not page; an
 * experimental template failing every time is MEDIUM (not LOW because the
 * provider's other traffic is healthy, its first event not HIGH); a
 * template's own healthy traffic lowers the severity of a few failures
 * concentrated on a small provider.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pipeline.h"

#include <stdio.h>
#include <string.h>

static const int64_t T0 = 1795773600000LL;

static struct observation obs_at(const char *provider, const char *tmpl, enum traffic_class tc,
                                 int64_t t)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = t;
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), provider, (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), "m-1", (size_t)-1);
	model_copy_str(o.template_id, sizeof(o.template_id), tmpl, (size_t)-1);
	snprintf(o.request_id, sizeof(o.request_id), "r-%s-%lld", provider, (long long)t);
	o.http_status = 200;
	o.total_ms = 500;
	o.traffic_class = tc;
	return o;
}

static struct pipeline *make(bool google_fallback_anthropic)
{
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline_provider pp[3];
	memset(pp, 0, sizeof(pp));
	model_copy_str(pp[0].name, sizeof(pp[0].name), "openai", (size_t)-1);
	model_copy_str(pp[1].name, sizeof(pp[1].name), "google", (size_t)-1);
	model_copy_str(pp[2].name, sizeof(pp[2].name), "anthropic", (size_t)-1);
	pp[2].fallback = google_fallback_anthropic;
	struct pipeline *p = pipeline_new(&s, pp, 3);
	assert_non_null(p);
	struct route_sink sinks[] = { { "pd", SINK_PAGERDUTY, SEV_HIGH } };
	struct payload_options o;
	payload_options_defaults(&o);
	assert_int_equal(pipeline_set_routes(p, sinks, 1, &o), 0);
	return p;
}

/* Feed one observation; count its pages and note its events' worst severity
 * of subtype sub (SEV__COUNT when none). */
struct tally {
	size_t pages;
	size_t events;
	enum severity worst;
	enum severity last;
};

static void feed(struct pipeline *p, const struct observation *o, enum subtype sub, struct tally *t)
{
	struct effects fx;
	assert_int_equal(pipeline_feed(p, o, o->ts_ms, &fx), 0);
	for (size_t i = 0; i < fx.n_notifications; i++)
		t->pages += fx.notifications[i].op == NOTIFY_TRIGGER;
	for (size_t i = 0; i < fx.n_events; i++) {
		if (fx.events[i].subtype != sub)
			continue;
		t->events++;
		t->last = fx.events[i].severity;
		if (fx.events[i].severity < t->worst)
			t->worst = fx.events[i].severity;
	}
}

static void tally_init(struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->worst = t->last = SEV__COUNT;
}

/* 6,000 healthy OpenAI requests over four minutes. */
static void healthy_openai(struct pipeline *p, struct tally *t)
{
	for (int i = 0; i < 6000; i++) {
		struct observation o = obs_at("openai", "chat", TC_REVENUE, T0 + i * 40);
		feed(p, &o, SUB_SERVER_ERROR, t);
	}
}

static void one_google_500(bool fallback)
{
	struct pipeline *p = make(fallback);
	struct tally t;
	tally_init(&t);
	healthy_openai(p, &t);
	if (fallback)
		for (int i = 0; i < 50; i++) {
			struct observation o =
			        obs_at("anthropic", "chat", TC_REVENUE, T0 + 1000 + i * 1000);
			feed(p, &o, SUB_SERVER_ERROR, &t);
		}
	int64_t t1 = T0 + 240 * 1000;
	for (int i = 0; i < 2; i++) {
		struct observation o = obs_at("google", "chat", TC_REVENUE, t1 + i * 1000);
		feed(p, &o, SUB_SERVER_ERROR, &t);
	}
	struct observation bad = obs_at("google", "chat", TC_REVENUE, t1 + 2000);
	bad.http_status = 500;
	bad.norm.error_class = EC_SERVER_ERROR;
	feed(p, &bad, SUB_SERVER_ERROR, &t);
	assert_int_equal(t.events, 1);
	assert_int_equal(t.worst, SEV_MEDIUM);
	assert_int_equal(t.pages, 0);
	/* The outage goes on: once the failures are evidence it pages, once
	 * (past the breaker's failover grace, CRITICAL with no fallback). */
	for (int i = 0; i < 15; i++) {
		struct observation o = bad;
		o.ts_ms = t1 + 3000 + i * 1000;
		snprintf(o.request_id, sizeof(o.request_id), "r-g-%d", i);
		feed(p, &o, SUB_SERVER_ERROR, &t);
	}
	assert_true(t.worst <= SEV_HIGH);
	assert_int_equal(t.last, fallback ? SEV_HIGH : SEV_CRITICAL);
	assert_int_equal(t.pages, 1);
	pipeline_free(p);
}

static void test_one_500_among_three(void **state)
{
	(void)state;
	one_google_500(false);
}

static void test_one_500_with_fallback(void **state)
{
	(void)state;
	one_google_500(true);
}

static void test_first_schema_failure(void **state)
{
	(void)state;
	struct pipeline *p = make(false);
	struct tally t;
	tally_init(&t);
	struct observation o = obs_at("openai", "extract", TC_REVENUE, T0);
	o.verdicts.schema_valid = VG_TRI_FALSE;
	feed(p, &o, SUB_FORMAT_VIOLATION, &t);
	assert_int_equal(t.events, 1);
	assert_int_equal(t.worst, SEV_MEDIUM);
	assert_int_equal(t.pages, 0);
	pipeline_free(p);
}

/* 3% of the provider's traffic is an experimental template whose answers
 * all fail their schema: in its own scope that is every request, MEDIUM by
 * the chapter, from the first event to the last (never LOW, never HIGH). */
static void test_experimental_template(void **state)
{
	(void)state;
	struct pipeline *p = make(false);
	struct tally t, other;
	tally_init(&t);
	tally_init(&other);
	for (int i = 0; i < 3000; i++) {
		int64_t ts = T0 + i * 100;
		bool exp = i % 33 == 0;
		struct observation o = obs_at("openai", exp ? "beta-summary" : "chat",
		                              exp ? TC_EXPERIMENTAL : TC_REVENUE, ts);
		if (exp)
			o.verdicts.schema_valid = VG_TRI_FALSE;
		feed(p, &o, SUB_FORMAT_VIOLATION, exp ? &t : &other);
		if (exp && t.events == 1)
			assert_int_equal(t.last, SEV_MEDIUM); /* the first event */
		if (exp)
			assert_int_equal(t.last, SEV_MEDIUM);
	}
	assert_true(t.events >= 90);
	assert_int_equal(t.worst, SEV_MEDIUM);
	assert_int_equal(other.events, 0);
	assert_int_equal(t.pages, 0);
	pipeline_free(p);
}

/* The denominator lowers severity too: three schema failures of a revenue
 * template all land on a small provider (3 of its 12 requests, which the
 * provider's window would call HIGH), but the template's own scope is 400
 * healthy requests on every provider: isolated, MEDIUM. */
static void test_scope_lowers(void **state)
{
	(void)state;
	struct pipeline *p = make(false);
	struct tally t;
	tally_init(&t);
	int bad = 0;
	for (int i = 0; i < 400; i++) {
		bool g = i % 40 == 0 || i >= 397;
		struct observation o =
		        obs_at(g ? "google" : "openai", "chat", TC_REVENUE, T0 + i * 500);
		if (i >= 397) {
			o.verdicts.schema_valid = VG_TRI_FALSE;
			bad++;
		}
		feed(p, &o, SUB_FORMAT_VIOLATION, &t);
	}
	assert_int_equal(bad, 3);
	assert_int_equal(t.events, 3);
	assert_int_equal(t.worst, SEV_MEDIUM);
	assert_int_equal(t.pages, 0);
	/* The same failures in a template of their own are the template's
	 * whole traffic: evidence, and HIGH. */
	struct pipeline *q = make(false);
	tally_init(&t);
	for (int i = 0; i < 400; i++) {
		bool g = i % 40 == 0 || i >= 397;
		struct observation o = obs_at(g ? "google" : "openai", g ? "tiny" : "chat",
		                              TC_REVENUE, T0 + i * 500);
		if (i >= 397)
			o.verdicts.schema_valid = VG_TRI_FALSE;
		feed(q, &o, SUB_FORMAT_VIOLATION, &t);
	}
	assert_int_equal(t.last, SEV_HIGH);
	assert_int_equal(t.pages, 1);
	pipeline_free(q);
	pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_500_among_three),
		cmocka_unit_test(test_one_500_with_fallback),
		cmocka_unit_test(test_first_schema_failure),
		cmocka_unit_test(test_experimental_template),
		cmocka_unit_test(test_scope_lowers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
