/*
 * test_sim_timeline.c: the simulator's scenario logic as pure functions of
 * time: curves, phase activity and scope, limits and latency in force, the
 * latency-ramp scenario crossing its threshold at twelve minutes, the
 * decision's shares and determinism (and a phase added to a scenario
 * moving nothing but its own effect), the rate limiter's shrinking remaining
 * count, the truth file, the time notations the simulator writes, and the
 * rhythm (weekday hours, a date, the trend) on the scenario's own clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim_decide.h"
#include "sim/sim_scenario.h"
#include "sim/sim_text.h"
#include "sim/sim_time.h"
#include "sim/sim_timeline.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE 60000LL

static struct sim_scenario *load(const char *name)
{
	struct sim_scenario *s = NULL;
	char *cause = NULL;
	int rc = sim_scenario_load(name, &s, &cause);
	if (rc)
		fprintf(stderr, "%s: %s\n", name, cause);
	free(cause);
	assert_int_equal(rc, 0);
	return s;
}

static const struct sim_phase *phase(const struct sim_scenario *s, const char *name)
{
	for (int i = 0; i < s->n_phases; i++)
		if (strcmp(s->phases[i].name, name) == 0)
			return &s->phases[i];
	fail_msg("no phase %s", name);
	return NULL;
}

static void test_curve(void **state)
{
	(void)state;
	struct sim_curve c = { 0 };
	assert_true(sim_curve_at(&c, 5, 7.5) == 7.5);
	c.n = 1;
	c.v[0] = 0.3;
	assert_true(sim_curve_at(&c, -100, 1) == 0.3);
	assert_true(sim_curve_at(&c, 1000000, 1) == 0.3);
	c.n = 3;
	c.t[0] = 0;
	c.v[0] = 0;
	c.t[1] = 1000;
	c.v[1] = 1;
	c.t[2] = 3000;
	c.v[2] = 0;
	assert_true(fabs(sim_curve_at(&c, 500, -1) - 0.5) < 1e-9);
	assert_true(fabs(sim_curve_at(&c, 1000, -1) - 1.0) < 1e-9);
	assert_true(fabs(sim_curve_at(&c, 2000, -1) - 0.5) < 1e-9);
	assert_true(sim_curve_at(&c, 9000, -1) == 0.0);
	assert_true(sim_curve_at(&c, -5, -1) == 0.0);
}

static void test_phase_activity_and_scope(void **state)
{
	(void)state;
	struct sim_scenario *s = load("oncall-day");
	const struct sim_phase *out = phase(s, "openai-outage");
	assert_false(sim_phase_active(out, 8 * MINUTE - 1));
	assert_true(sim_phase_active(out, 8 * MINUTE));
	assert_true(sim_phase_active(out, 12 * MINUTE - 1));
	assert_false(sim_phase_active(out, 12 * MINUTE));
	/* share ramps from 0.3 to 1 over the first 30 s */
	assert_true(fabs(sim_phase_share(out, 8 * MINUTE) - 0.3) < 1e-9);
	assert_true(fabs(sim_phase_share(out, 8 * MINUTE + 15000) - 0.65) < 1e-9);
	assert_true(fabs(sim_phase_share(out, 10 * MINUTE) - 1.0) < 1e-9);

	int openai = sim_scenario_provider(s, "openai"),
	    google = sim_scenario_provider(s, "google");
	int support = sim_scenario_template(s, "support-answer");
	int search = sim_scenario_template(s, "internal-search");
	assert_true(openai >= 0 && google >= 0 && support >= 0 && search >= 0);
	struct sim_scope so = { openai, 0, 0, support }, sg = { google, 0, 0, search };
	assert_true(sim_phase_matches(s, out, &so));
	assert_false(sim_phase_matches(s, out, &sg));
	/* model scope: gpt-4o-mini only */
	const struct sim_phase *rl = phase(s, "openai-rate-limits");
	struct sim_scope so4 = { openai, sim_scenario_model(s, openai, "gpt-4o"), 0, support };
	assert_true(sim_phase_matches(s, rl, &so));
	assert_false(sim_phase_matches(s, rl, &so4));
	/* template scope: the server (template -1) never matches it */
	const struct sim_phase *pii = phase(s, "search-pii");
	struct sim_scope server = { google, 0, 0, -1 };
	assert_true(sim_phase_matches(s, pii, &sg));
	assert_false(sim_phase_matches(s, pii, &server));
	free(s);
}

static void test_region_scope(void **state)
{
	(void)state;
	struct sim_scenario *s = load("google-jun-2025");
	int g = sim_scenario_provider(s, "google");
	const struct sim_phase *us = phase(s, "global-503-us-central1");
	const struct sim_phase *eu = phase(s, "global-503-europe-west4");
	struct sim_scope us_sc = { g, 0, 0, -1 }, eu_sc = { g, 0, 1, -1 };
	assert_string_equal(s->providers[g].regions[0].name, "us-central1");
	assert_true(sim_phase_matches(s, us, &us_sc));
	assert_false(sim_phase_matches(s, us, &eu_sc));
	assert_true(sim_phase_matches(s, eu, &eu_sc));
	/* the largest region recovers last */
	assert_true(us->end_ms > phase(s, "global-503-asia-northeast1")->end_ms);
	assert_true(phase(s, "global-503-asia-northeast1")->end_ms > eu->end_ms);
	assert_true(s->providers[g].regions[0].weight > s->providers[g].regions[1].weight);
	free(s);
}

static void test_latency_ramp_crosses_at_twelve_minutes(void **state)
{
	(void)state;
	struct sim_scenario *s = load("latency-ramp");
	int openai = sim_scenario_provider(s, "openai");
	struct sim_scope sc = { openai, 0, 0, -1 };
	const struct sim_phase *ramp = phase(s, "openai-latency-ramp");
	int64_t cross = sim_timeline_p95_crossing(s, &sc, 10000, 0, s->duration_ms, 1000);
	assert_true(cross >= 0);
	/* onset 10m + 12m, to the second */
	assert_true(llabs(cross - (ramp->at_ms + 12 * MINUTE)) <= 1000);
	assert_int_equal(ramp->detect_after_ms, 12 * MINUTE);
	double med, p95;
	sim_timeline_latency(s, &sc, ramp, ramp->at_ms + 6 * MINUTE, &med, &p95);
	assert_true(p95 < 10000 && p95 > 1600);
	sim_timeline_latency(s, &sc, NULL, 0, &med, &p95);
	assert_true(p95 == s->providers[openai].p95_ms);
	free(s);
}

static void test_limits_follow_the_phase(void **state)
{
	(void)state;
	struct sim_scenario *s = load("oncall-day");
	int openai = sim_scenario_provider(s, "openai");
	struct sim_scope sc = { openai, 0, 0, -1 };
	int64_t rpm, tpm;
	const struct sim_phase *from;
	sim_timeline_limits(s, &sc, 2 * MINUTE, &rpm, &tpm, &from);
	assert_int_equal(rpm, 5000);
	assert_null(from);
	sim_timeline_limits(s, &sc, 3 * MINUTE, &rpm, &tpm, &from);
	assert_int_equal(rpm, 400);
	assert_non_null(from);
	sim_timeline_limits(s, &sc, 3 * MINUTE + 30000, &rpm, &tpm, &from);
	assert_int_equal(rpm, 245);
	sim_timeline_limits(s, &sc, 5 * MINUTE, &rpm, &tpm, &from);
	assert_int_equal(rpm, 90);
	sim_timeline_limits(s, &sc, 7 * MINUTE, &rpm, &tpm, &from);
	assert_int_equal(rpm, 5000);
	free(s);
}

/* The share of requests a decision fails, at time t, over n draws. */
static double failure_share(const struct sim_scenario *s, struct sim_scope sc, int64_t t, int n,
                            enum sim_fault want)
{
	struct sim_limiter lim;
	memset(&lim, 0, sizeof(lim));
	int hits = 0;
	for (int i = 0; i < n; i++) {
		struct sim_rng r;
		sim_rng_init(&r, 42, (uint64_t)i);
		struct sim_req rq = {
			.scope = sc, .t_ms = t, .prompt_tokens = 500, .want_tokens = 100
		};
		struct sim_answer a;
		sim_decide(s, &lim, &rq, &r, &a);
		hits += a.outcome == want;
	}
	return (double)hits / n;
}

static void test_outage_shape(void **state)
{
	(void)state;
	struct sim_scenario *s = load("openai-dec-2024");
	int openai = sim_scenario_provider(s, "openai");
	int anthropic = sim_scenario_provider(s, "anthropic");
	struct sim_scope so = { openai, 0, 0, -1 }, sa = { anthropic, 0, 0, -1 };
	assert_true(failure_share(s, so, 5 * MINUTE, 2000, SIM_F_UNAVAILABLE) == 0.0);
	double early = failure_share(s, so, 15 * MINUTE, 2000, SIM_F_UNAVAILABLE);
	double peak = failure_share(s, so, 60 * MINUTE, 2000, SIM_F_UNAVAILABLE);
	double partial = failure_share(s, so, 3 * 60 * MINUTE, 2000, SIM_F_UNAVAILABLE);
	double after = failure_share(s, so, 4 * 60 * MINUTE + 35 * MINUTE, 2000, SIM_F_UNAVAILABLE);
	/* errors rise gradually, then fall in two steps */
	assert_true(early > 0.1 && early < 0.2);
	assert_true(peak > 0.9);
	assert_true(partial > 0.12 && partial < 0.35);
	assert_true(after == 0.0);
	/* the fallback stays healthy */
	assert_true(failure_share(s, sa, 60 * MINUTE, 2000, SIM_F_UNAVAILABLE) == 0.0);
	free(s);
}

static void test_decide_is_deterministic(void **state)
{
	(void)state;
	struct sim_scenario *s = load("oncall-day");
	struct sim_scope sc = { 0, 0, 0, 0 };
	for (int64_t t = 0; t < s->duration_ms; t += 37 * 1000) {
		struct sim_limiter l1, l2;
		memset(&l1, 0, sizeof(l1));
		memset(&l2, 0, sizeof(l2));
		struct sim_rng r1, r2;
		sim_rng_init(&r1, 7, (uint64_t)t);
		sim_rng_init(&r2, 7, (uint64_t)t);
		struct sim_req rq = {
			.scope = sc, .t_ms = t, .prompt_tokens = 800, .want_tokens = 120
		};
		struct sim_answer a1, a2;
		sim_decide(s, &l1, &rq, &r1, &a1);
		sim_decide(s, &l2, &rq, &r2, &a2);
		assert_int_equal(a1.outcome, a2.outcome);
		assert_int_equal(a1.status, a2.status);
		assert_true(a1.total_ms == a2.total_ms);
		assert_int_equal(a1.input_tokens, a2.input_tokens);
		assert_int_equal(a1.text_flags, a2.text_flags);
	}
	free(s);
}

/*
 * One stream per concern: a content phase added to a scenario (its own draw
 * of whether it hits, then its text flag) leaves every other part of every
 * answer as it was: outcome, status, latency, tokens, retrieval. Before the
 * streams were split, the added phase's draw shifted every later one.
 */
static void test_added_phase_moves_nothing_else(void **state)
{
	(void)state;
	struct sim_scenario *s = load("oncall-day");
	struct sim_scenario *s2 = malloc(sizeof(*s2));
	assert_non_null(s2);
	memcpy(s2, s, sizeof(*s2));
	assert_true(s2->n_phases < SIM_MAX_PHASES);
	struct sim_phase *ph = &s2->phases[s2->n_phases++];
	memset(ph, 0, sizeof(*ph));
	snprintf(ph->name, sizeof(ph->name), "extra-hallucination");
	ph->fault = SIM_F_HALLUCINATION;
	ph->provider = -1;
	ph->template_idx = -1;
	ph->at_ms = 0;
	ph->end_ms = SIM_TIME_END;
	ph->share.n = 1;
	ph->share.v[0] = 0.5;
	ph->detect_after_ms = -1;
	int n = 0, flagged = 0, failed = 0;
	for (int p = 0; p < s->n_providers; p++) {
		for (int64_t t = 0; t < s->duration_ms; t += 3 * 1000 + p) {
			struct sim_limiter l1, l2;
			memset(&l1, 0, sizeof(l1));
			memset(&l2, 0, sizeof(l2));
			struct sim_rng r;
			sim_rng_init(&r, 11, (uint64_t)n);
			struct sim_req rq = { .scope = { p, 0, 0,
				                         (int)(t / 1000) % s->traffic.n_templates },
				              .t_ms = t,
				              .stream = (t / 1000) % 3 == 0,
				              .prompt_tokens = 1500,
				              .max_tokens = 600,
				              .want_tokens = 150 };
			struct sim_answer a1, a2;
			struct sim_rng r1 = r, r2 = r;
			sim_decide(s, &l1, &rq, &r1, &a1);
			sim_decide(s2, &l2, &rq, &r2, &a2);
			assert_int_equal(a1.outcome, a2.outcome);
			assert_int_equal(a1.status, a2.status);
			assert_true(a1.total_ms == a2.total_ms);
			assert_true(a1.ttfb_ms == a2.ttfb_ms);
			assert_int_equal(a1.input_tokens, a2.input_tokens);
			assert_int_equal(a1.output_tokens, a2.output_tokens);
			assert_int_equal(a1.cached_tokens, a2.cached_tokens);
			assert_int_equal(a1.stream_events_before_error,
			                 a2.stream_events_before_error);
			assert_true(a1.doc_age_s == a2.doc_age_s);
			assert_true(a1.top_similarity == a2.top_similarity);
			assert_int_equal(a1.text_flags & ~(1u << SIM_TX_HALLUCINATION),
			                 a2.text_flags & ~(1u << SIM_TX_HALLUCINATION));
			flagged += !(a1.text_flags & (1u << SIM_TX_HALLUCINATION)) &&
			           (a2.text_flags & (1u << SIM_TX_HALLUCINATION));
			failed += a1.outcome != SIM_F_NONE;
			n++;
		}
	}
	/* the phase did hit about half the answers, and the story had faults */
	assert_true(flagged > n / 3 && flagged < 2 * n / 3);
	assert_true(failed > n / 20);
	free(s2);
	free(s);
}

static void test_limiter_counts_down(void **state)
{
	(void)state;
	struct sim_scenario *s = load("faults");
	int p = sim_scenario_provider(s, "openai");
	int m = sim_scenario_model(s, p, "sim-429-counter");
	struct sim_scope sc = { p, m, 0, -1 };
	struct sim_limiter lim;
	memset(&lim, 0, sizeof(lim));
	int64_t want[] = { 2, 1, 0 };
	int64_t t = 10 * MINUTE + 15000;
	for (int i = 0; i < 3; i++) {
		struct sim_rng r;
		sim_rng_init(&r, 1, (uint64_t)i);
		struct sim_req rq = { .scope = sc, .t_ms = t + i, .prompt_tokens = 10 };
		struct sim_answer a;
		sim_decide(s, &lim, &rq, &r, &a);
		assert_int_equal(a.status, 200);
		assert_int_equal(a.rl_limit_req, 3);
		assert_int_equal(a.rl_rem_req, want[i]);
		assert_int_equal(a.rl_reset_req_ms, 45000 - i);
	}
	struct sim_rng r;
	sim_rng_init(&r, 1, 9);
	struct sim_req rq = { .scope = sc, .t_ms = t + 10, .prompt_tokens = 10 };
	struct sim_answer a;
	sim_decide(s, &lim, &rq, &r, &a);
	assert_int_equal(a.status, 429);
	assert_int_equal(a.outcome, SIM_F_RATE_LIMIT);
	assert_int_equal(a.rl_rem_req, 0);
	assert_int_equal(a.retry_after_ms, 45000);
	/* the next window starts full again */
	rq.t_ms = 11 * MINUTE;
	sim_decide(s, &lim, &rq, &r, &a);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.rl_rem_req, 2);
	free(s);
}

static void test_silent_update_triples(void **state)
{
	(void)state;
	struct sim_scenario *s = load("silent-update");
	int p = sim_scenario_provider(s, "openai");
	struct sim_scope sc = { p, 0, 0, 0 };
	int before = 0, after = 0, n = 4000;
	char version_before[SIM_NAME_MAX] = "", version_after[SIM_NAME_MAX] = "";
	for (int i = 0; i < n; i++) {
		struct sim_limiter lim;
		memset(&lim, 0, sizeof(lim));
		struct sim_rng r;
		sim_rng_init(&r, 3, (uint64_t)i);
		struct sim_req rq = { .scope = sc,
			              .t_ms = 12 * MINUTE - 2000,
			              .prompt_tokens = 900 };
		struct sim_answer a;
		sim_decide(s, &lim, &rq, &r, &a);
		before += (a.text_flags >> SIM_TX_HALLUCINATION) & 1;
		snprintf(version_before, sizeof(version_before), "%s", a.version);
		rq.t_ms = 12 * MINUTE + 2000;
		sim_rng_init(&r, 3, (uint64_t)i);
		sim_decide(s, &lim, &rq, &r, &a);
		after += (a.text_flags >> SIM_TX_HALLUCINATION) & 1;
		snprintf(version_after, sizeof(version_after), "%s", a.version);
	}
	double rb = (double)before / n, ra = (double)after / n;
	assert_true(rb > 0.035 && rb < 0.065);
	assert_true(ra > 0.12 && ra < 0.18);
	assert_string_equal(version_before, "gpt-4o-2024-08-06");
	assert_string_equal(version_after, "gpt-4o-2024-11-20");
	free(s);
}

static void test_truth(void **state)
{
	(void)state;
	struct sim_scenario *s = load("latency-ramp");
	struct sim_buf b;
	sim_buf_init(&b);
	int64_t start;
	assert_int_equal(sim_time_parse_rfc3339("2026-11-27T10:00:00Z", &start), 0);
	sim_truth_json(s, start, 1, &b);
	json_error_t e;
	json_t *j = json_loads(sim_buf_cstr(&b), 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "scenario")), "latency-ramp");
	json_t *f = json_array_get(json_object_get(j, "faults"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "category")), "provider");
	assert_string_equal(json_string_value(json_object_get(f, "subtype")), "latency");
	assert_string_equal(json_string_value(json_object_get(f, "provider")), "openai");
	assert_int_equal(json_integer_value(json_object_get(f, "onset_ms")), 10 * MINUTE);
	assert_int_equal(json_integer_value(json_object_get(f, "end_ms")), 40 * MINUTE);
	assert_int_equal(json_integer_value(json_object_get(f, "detectable_ms")), 22 * MINUTE);
	assert_string_equal(json_string_value(json_object_get(f, "onset")),
	                    "2026-11-27T10:10:00.000Z");
	json_decref(j);
	sim_buf_free(&b);
	free(s);

	/* compressed: reported times run `speed` times slower than scenario times */
	s = load("injection");
	sim_buf_init(&b);
	sim_truth_json(s, start, 60, &b);
	j = json_loads(sim_buf_cstr(&b), 0, &e);
	f = json_array_get(json_object_get(j, "faults"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "onset")),
	                    "2026-11-27T10:00:10.000Z");
	json_t *rel = json_object_get(f, "related");
	assert_int_equal(json_array_size(rel), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rel, 0), "category")),
	                    "cost");
	json_decref(j);
	sim_buf_free(&b);
	free(s);

	/* truth: false phases are left out; markers are kept */
	s = load("silent-update");
	sim_buf_init(&b);
	sim_truth_json(s, start, 1, &b);
	j = json_loads(sim_buf_cstr(&b), 0, &e);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 1);
	json_decref(j);
	sim_buf_free(&b);
	free(s);
	s = load("anthropic-529-waves");
	sim_buf_init(&b);
	sim_truth_json(s, start, 1, &b);
	j = json_loads(sim_buf_cstr(&b), 0, &e);
	json_t *faults = json_object_get(j, "faults");
	assert_int_equal(json_array_size(faults), 9);
	json_t *last = json_array_get(faults, 8);
	assert_string_equal(json_string_value(json_object_get(last, "subtype")), "oscillation");
	json_decref(j);
	sim_buf_free(&b);
	free(s);
}

static void test_every_shipped_scenario_loads(void **state)
{
	(void)state;
	int n = 0;
	for (const char *const *nm = sim_scenario_builtin_names(); *nm; nm++, n++) {
		struct sim_scenario *s = load(*nm);
		assert_string_equal(s->name, *nm);
		assert_true(s->description[0] != '\0');
		for (int i = 0; i < s->n_phases; i++) {
			const struct sim_phase *ph = &s->phases[i];
			assert_true(ph->at_ms < ph->end_ms);
			assert_true(ph->end_ms <= s->duration_ms);
			assert_true(ph->category[0] && ph->subtype[0]);
		}
		free(s);
	}
	assert_true(n >= 9);
	/* the calm hour has no phase at all */
	struct sim_scenario *calm = load("calm");
	assert_int_equal(calm->n_phases, 0);
	free(calm);
}

static void test_oncall_day_covers_every_category(void **state)
{
	(void)state;
	struct sim_scenario *s = load("oncall-day");
	const char *cats[] = { "provider", "quality", "cost", "security", "data" };
	for (int c = 0; c < 5; c++) {
		bool seen = false;
		for (int i = 0; i < s->n_phases; i++)
			seen |= s->phases[i].truth && strcmp(s->phases[i].category, cats[c]) == 0;
		if (!seen)
			fail_msg("oncall-day has no %s fault", cats[c]);
	}
	free(s);
}

static void test_time_notation(void **state)
{
	(void)state;
	char b[64];
	int64_t t;
	assert_int_equal(sim_time_parse_rfc3339("2024-12-11T23:16:00.250Z", &t), 0);
	assert_string_equal(sim_time_rfc3339(t, true, b, sizeof(b)), "2024-12-11T23:16:00.250Z");
	assert_string_equal(sim_time_rfc3339(t, false, b, sizeof(b)), "2024-12-11T23:16:00Z");
	assert_string_equal(sim_time_http_date(t, b, sizeof(b)), "Wed, 11 Dec 2024 23:16:00 GMT");
	assert_int_equal(sim_time_parse_rfc3339("2024-12-12T01:16:00+02:00", &t), 0);
	assert_string_equal(sim_time_rfc3339(t, false, b, sizeof(b)), "2024-12-11T23:16:00Z");
	assert_int_equal(sim_time_parse_rfc3339("2024-13-01T00:00:00Z", &t), -1);
	assert_int_equal(sim_time_parse_rfc3339("yesterday", &t), -1);
	assert_string_equal(sim_time_go_duration(12, b, sizeof(b)), "12ms");
	assert_string_equal(sim_time_go_duration(1000, b, sizeof(b)), "1s");
	assert_string_equal(sim_time_go_duration(17500, b, sizeof(b)), "17.5s");
	assert_string_equal(sim_time_go_duration(360000, b, sizeof(b)), "6m0s");
	assert_string_equal(sim_time_go_duration(3723500, b, sizeof(b)), "1h2m3.5s");
	int64_t d;
	assert_int_equal(sim_time_parse_duration("4h20m", &d), 0);
	assert_int_equal(d, 4 * 3600000 + 20 * 60000);
	assert_int_equal(sim_time_parse_duration("1.5s", &d), 0);
	assert_int_equal(d, 1500);
	assert_int_equal(sim_time_parse_duration("250ms", &d), 0);
	assert_int_equal(d, 250);
	assert_int_equal(sim_time_parse_duration("0", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(sim_time_parse_duration("30", &d), -1);
	assert_int_equal(sim_time_parse_duration("5 m", &d), -1);
	assert_int_equal(sim_time_parse_duration("-5m", &d), -1);
	assert_int_equal(sim_time_parse_duration("", &d), -1);
}

#define HOUR (60 * MINUTE)
#define DAY  (24 * HOUR)

static void test_rhythm(void **state)
{
	(void)state;
	struct sim_scenario *s = load("baseline-weeks");
	int64_t monday;
	assert_int_equal(sim_time_parse_rfc3339("2026-11-09T00:00:00Z", &monday), 0);
	assert_true(s->start_ms == monday); /* a Monday */
	assert_int_equal(s->duration_ms, 29 * DAY);
	/* Monday 03:00 (night), 10:00 (morning), 15:00 (business), 23:00 (evening) */
	assert_true(sim_rhythm_rate(s, 3 * HOUR) == 0.2);
	assert_true(sim_rhythm_rate(s, 10 * HOUR) == 0.3);
	assert_true(sim_rhythm_rate(s, 15 * HOUR) == 0.6);
	assert_true(sim_rhythm_rate(s, 23 * HOUR) == 0.25);
	double trend15 = 1 + 0.05 * 15.0 / (28 * 24); /* the trend after 15 hours */
	assert_true(fabs(sim_rhythm_latency(s, 15 * HOUR) - 1.8 * trend15) < 1e-9);
	assert_true(fabs(sim_rhythm_latency(s, 3 * HOUR) - (1 + 0.05 * 3.0 / (28 * 24))) < 1e-9);
	/* Saturday 15:00 is a weekend afternoon: quiet */
	assert_true(sim_rhythm_rate(s, 5 * DAY + 15 * HOUR) == 0.2);
	/* the holiday (Thursday 2026-11-26, day 17) is slow from midnight to 16:00,
	 * then an ordinary Thursday afternoon */
	assert_true(fabs(sim_rhythm_latency(s, 17 * DAY + 3 * HOUR) /
	                         sim_curve_at(&s->rhythm.trend, 17 * DAY + 3 * HOUR, 1) -
	                 1.8) < 1e-9);
	assert_true(sim_rhythm_rate(s, 17 * DAY + 15 * HOUR) == 0.3);
	assert_true(sim_rhythm_rate(s, 17 * DAY + 17 * HOUR) == 0.6);
	assert_true(sim_rhythm_rate(s, 10 * DAY + 3 * HOUR) == 0.2); /* a week before */
	/* the trend: +5% over four weeks */
	assert_true(fabs(sim_rhythm_latency(s, 6 * DAY + 3 * HOUR) - 1.0 -
	                 0.05 * (6 * DAY + 3 * HOUR) / (28.0 * DAY)) < 1e-9);
	assert_true(fabs(sim_rhythm_latency(s, 28 * DAY + 3 * HOUR) - 1.05) < 1e-9);
	/* the latency in force multiplies the provider's by the rhythm */
	struct sim_scope sc = { sim_scenario_provider(s, "openai"), 0, 0, -1 };
	double med, p95;
	sim_timeline_latency(s, &sc, NULL, 15 * HOUR, &med, &p95);
	assert_true(fabs(med - 900 * sim_rhythm_latency(s, 15 * HOUR)) < 1e-6);
	/* a later clock moves the rhythm with it: 7 hours later, 15:00 is 08:00 */
	s->start_ms += 7 * HOUR;
	assert_true(sim_rhythm_rate(s, 8 * HOUR) == 0.6);
	assert_true(sim_rhythm_rate(s, 15 * HOUR) == 0.25);
	free(s);
	/* scenarios without a rhythm: factors of exactly 1 */
	s = load("calm");
	assert_true(sim_rhythm_rate(s, 15 * HOUR) == 1.0);
	assert_true(sim_rhythm_latency(s, 15 * HOUR) == 1.0);
	free(s);
	/* bad entries are refused with their place */
	static const char *const bad[] = {
		"name: x\nduration: 1h\nproviders: [{name: a, kind: openai}]\nrhythm: {hours: "
		"[{days: [monday]}]}\n",
		"name: x\nduration: 1h\nproviders: [{name: a, kind: openai}]\nrhythm: {hours: "
		"[{from: 13h, until: 9h}]}\n",
		"name: x\nduration: 1h\nproviders: [{name: a, kind: openai}]\nrhythm: {hours: "
		"[{date: 2026-13-01}]}\n",
		"name: x\nduration: 1h\nstart: monday\nproviders: [{name: a, kind: openai}]\n",
	};
	static const char *const why[] = { "rhythm.hours[0].days", "rhythm.hours[0]",
		                           "rhythm.hours[0].date", "start" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = NULL;
		struct sim_scenario *x = NULL;
		assert_int_not_equal(
		        sim_scenario_parse(bad[i], strlen(bad[i]), "t.yaml", &x, &cause), 0);
		assert_non_null(cause);
		if (!strstr(cause, why[i]))
			fail_msg("'%s' does not name %s", cause, why[i]);
		free(cause);
	}
	int64_t d;
	assert_int_equal(sim_time_parse_duration("28d", &d), 0);
	assert_int_equal(d, 28 * DAY);
}

static void test_clock(void **state)
{
	(void)state;
	struct sim_clock c;
	sim_clock_init(&c, 1000000, 0, 60);
	assert_int_equal(sim_clock_scenario_ms(&c, 1000000), 0);
	assert_int_equal(sim_clock_scenario_ms(&c, 1001000), 60000);
	assert_int_equal(sim_clock_wall_ms(&c, 120000), 1002000);
	sim_clock_set(&c, 2000000, 11 * MINUTE);
	assert_int_equal(sim_clock_scenario_ms(&c, 2000500), 11 * MINUTE + 30000);
	c.loop_ms = 12 * MINUTE;
	assert_int_equal(sim_clock_scenario_ms(&c, 2001000), 0);
}

static void test_text_grounding(void **state)
{
	(void)state;
	/* a grounded answer only uses what the context says; a hallucinated
	 * one adds something the context lacks */
	for (uint64_t i = 0; i < 200; i++) {
		struct sim_rng r;
		sim_rng_init(&r, 9, i);
		struct sim_facts f;
		sim_text_facts((int)(i % 3), &r, &f);
		struct sim_buf ctx, ok, bad;
		sim_buf_init(&ctx);
		sim_buf_init(&ok);
		sim_buf_init(&bad);
		sim_text_context(&f, false, &ctx);
		bool valid;
		sim_text_response(&f, i % 3 != 2, 0, &r, &ok, &valid);
		assert_true(valid);
		if (i % 3 != 2) {
			json_t *j = json_loads(sim_buf_cstr(&ok), 0, NULL);
			assert_non_null(j);
			json_decref(j);
		}
		sim_text_response(&f, false, 1u << SIM_TX_HALLUCINATION, &r, &bad, &valid);
		const char *markers[] = { "Globex", "Helena", "kb.example", "30 February", "[3]",
			                  "Orion",  "Lisbon", "1,250",      "Meridian" };
		bool in_ok = false, in_bad = false, in_ctx = false;
		for (size_t k = 0; k < sizeof(markers) / sizeof(markers[0]); k++) {
			in_ok |= strstr(sim_buf_cstr(&ok), markers[k]) != NULL;
			in_bad |= strstr(sim_buf_cstr(&bad), markers[k]) != NULL;
			in_ctx |= strstr(sim_buf_cstr(&ctx), markers[k]) != NULL;
		}
		assert_false(in_ok);
		assert_true(in_bad);
		assert_false(in_ctx);
		sim_buf_free(&ctx);
		sim_buf_free(&ok);
		sim_buf_free(&bad);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curve),
		cmocka_unit_test(test_phase_activity_and_scope),
		cmocka_unit_test(test_region_scope),
		cmocka_unit_test(test_latency_ramp_crosses_at_twelve_minutes),
		cmocka_unit_test(test_limits_follow_the_phase),
		cmocka_unit_test(test_outage_shape),
		cmocka_unit_test(test_decide_is_deterministic),
		cmocka_unit_test(test_added_phase_moves_nothing_else),
		cmocka_unit_test(test_limiter_counts_down),
		cmocka_unit_test(test_silent_update_triples),
		cmocka_unit_test(test_truth),
		cmocka_unit_test(test_every_shipped_scenario_loads),
		cmocka_unit_test(test_oncall_day_covers_every_category),
		cmocka_unit_test(test_time_notation),
		cmocka_unit_test(test_rhythm),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_text_grounding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
