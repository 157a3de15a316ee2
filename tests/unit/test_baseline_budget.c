/*
 * test_baseline_budget.c: the false-alarm budget on stationary traffic. A
 * seeded deployment (two providers, three model aliases, their provider
 * aggregates, and a probe series with its aggregate: 7 series) runs eight
 * weeks from a cold start through the live judge and the weekly refresh:
 * a daily and weekly rhythm, week-to-week variation of every metric, and
 * every metric measured (latency, time to first token, errors of each type,
 * quality verdicts, throughput, cost). Nothing in it changes from week to
 * week, so every event is a false one: at most the budget (one a week) may
 * fire over all series and metrics, and no review may be raised. The same
 * traffic judged with a loose budget fires many, so the test can fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/baseline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MON  1704067200000LL /* Monday 2024-01-01 00:00 UTC */
#define HOUR 3600000LL
#define MIN  60000LL
#define WEEK (168 * HOUR)

static uint64_t rng;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

/* One model alias's traffic (gateway or probe). */
struct source {
	const char *provider, *alias;
	enum obs_source src;
	double rpm;             /* requests a minute, quiet hours */
	double busy_rpm;        /* in business hours */
	int busy_from, busy_to; /* UTC hours, Monday to Friday */
	double med, busy_med;   /* ms */
	double sigma;
	double rl, busy_rl; /* rate-limit share */
	double tps;
};

static const struct source sources[] = {
	{ "openai", "gpt-4o", OBS_GATEWAY, 6, 20, 13, 21, 900, 2500, 0.45, 0.02, 0.06, 60 },
	{ "openai", "gpt-4o-mini", OBS_GATEWAY, 3, 10, 13, 21, 500, 900, 0.4, 0.01, 0.03, 90 },
	{ "anthropic", "claude-3-5-sonnet", OBS_GATEWAY, 5, 15, 7, 16, 700, 1800, 0.45, 0.015, 0.04,
	  50 },
	{ "openai", "gpt-4o", OBS_PROBE, 1, 1, 0, 0, 600, 600, 0.3, 0.0, 0.0, 70 },
};
#define NSRC (sizeof(sources) / sizeof(sources[0]))

/* Week-to-week variation, drawn per (week, slot, source) and kept. */
struct wiggle {
	double lat, rate, tps, cost;
};

static bool busy(const struct source *so, int slot)
{
	int day = slot / 24, hour = slot % 24;
	return day < 5 && hour >= so->busy_from && hour <= so->busy_to;
}

static void gen(const struct source *so, int slot, const struct wiggle *w, struct rollup_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->err = -1;
	s->latency_ms = s->ttft_ms = s->tps_log = s->cost_log = s->quality = NAN;
	bool b = busy(so, slot);
	double m = exp(w->rate);
	double err[RU_ERR__COUNT] = { [RU_RATE_LIMIT] = (b ? so->busy_rl : so->rl) * m,
		                      [RU_SERVER] = 0.005 * m,
		                      [RU_TIMEOUT] = 0.002 * m,
		                      [RU_CONTENT_FILTER] = 0.0005 * m,
		                      [RU_INVALID] = 0.003 * m,
		                      [RU_OTHER] = 0.001 * m };
	double u = uniform(), acc = 0;
	for (int e = 0; e < RU_ERR__COUNT; e++) {
		acc += err[e];
		if (u < acc) {
			s->err = e;
			return;
		}
	}
	double med = b ? so->busy_med : so->med;
	s->latency_ms = med * exp(w->lat + so->sigma * normal());
	s->lat_bucket = lhist_index(s->latency_ms);
	if (uniform() < 0.6) {
		s->ttft_ms = s->latency_ms * 0.25 * exp(0.25 * normal());
		s->ttft_bucket = lhist_index(s->ttft_ms);
	}
	s->prompt_tokens = 1500;
	s->completion_tokens = 250;
	s->cost_usd = 0.004;
	s->tps_log = log(so->tps) + w->tps + 0.35 * normal();
	s->cost_log = log(0.0023) + w->cost + 0.03 * normal();
	if (uniform() < 0.8)
		s->quality = uniform() < 0.04 * m ? 0 : 1;
}

struct run {
	int weeks;
	double budget;
	int onsets, verdicts, reviews;
	int by_metric[BM__COUNT];
	char first[160];
};

static void run(struct run *r)
{
	rng = 0xC0FFEE1234567ULL;
	struct baseline_settings s;
	baseline_defaults(&s);
	s.false_events_per_week = r->budget;
	struct baseline_static st = { 10000, 95, 0.10 };
	struct baseline_ctx c;
	assert_int_equal(baseline_ctx_init(&c, &s, &st, 5, 2), 0);

	/* Each source feeds its alias series and its provider's aggregate. */
	struct baseline_series *bs[NSRC][2];
	struct baseline_series *all[2 * NSRC];
	size_t n_all = 0;
	for (size_t i = 0; i < NSRC; i++)
		for (int agg = 0; agg < 2; agg++) {
			struct rollup_series key;
			memset(&key, 0, sizeof(key));
			strcpy(key.provider, sources[i].provider);
			if (!agg)
				strcpy(key.alias, sources[i].alias);
			key.source = sources[i].src;
			struct baseline_series *found = NULL;
			for (size_t k = 0; k < n_all; k++)
				if (!memcmp(baseline_series_key(all[k]), &key, sizeof(key)))
					found = all[k];
			if (!found) {
				found = baseline_series_new(&key);
				all[n_all++] = found;
			}
			bs[i][agg] = found;
		}
	assert_int_equal(n_all, 7);

	/* The closed hours of each series since its last refresh. */
	struct rollup *hours[2 * NSRC];
	size_t n_hours[2 * NSRC] = { 0 };
	for (size_t k = 0; k < n_all; k++)
		hours[k] = malloc(200 * sizeof(struct rollup));
	struct wiggle *wig = malloc((size_t)r->weeks * BL_SLOTS * NSRC * sizeof(*wig));
	for (size_t i = 0; i < (size_t)r->weeks * BL_SLOTS * NSRC; i++)
		wig[i] = (struct wiggle){ 0.05 * normal(), 0.1 * normal(), 0.03 * normal(),
			                  0.01 * normal() };

	int64_t last_refresh = MON;
	for (int64_t t = MON; t < MON + r->weeks * WEEK; t += MIN) {
		int slot = (int)(((t - MON) / HOUR) % BL_SLOTS);
		int week = (int)((t - MON) / WEEK);
		if (baseline_refresh_due(&s, last_refresh, t)) {
			for (size_t k = 0; k < n_all; k++) {
				struct baseline_refresh_report rep;
				assert_int_equal(baseline_refresh(baseline_series_model(all[k]), &s,
				                                  hours[k], n_hours[k], t, &rep),
				                 0);
				if (rep.review_created) {
					r->reviews++;
					const struct baseline_review *rv =
					        &baseline_series_model(all[k])->review;
					print_message(
					        "review on series %zu: %s step %g z %g at %lld\n",
					        k, baseline_metric_name(rv->metric),
					        rv->delta[rv->metric], rv->z,
					        (long long)((rv->at_ms - MON) / HOUR));
					baseline_review_reject(baseline_series_model(all[k]));
				}
				n_hours[k] = 0;
			}
			last_refresh = t;
		}
		for (size_t i = 0; i < NSRC; i++) {
			const struct source *so = &sources[i];
			double rate = busy(so, slot) ? so->busy_rpm : so->rpm;
			int n = (int)(rate + uniform());
			const struct wiggle *w =
			        &wig[((size_t)week * BL_SLOTS + (size_t)slot) * NSRC + i];
			for (int j = 0; j < n; j++) {
				struct rollup_sample smp;
				gen(so, slot, w, &smp);
				int64_t now = t + j * (MIN / n);
				for (int agg = 0; agg < 2; agg++) {
					struct baseline_out o;
					baseline_series_feed(bs[i][agg], &c, &smp, agg == 1, now,
					                     &o);
					size_t k = 0;
					while (all[k] != bs[i][agg])
						k++;
					if ((o.closed & ROLLUP_CLOSED_HOUR) && n_hours[k] < 200)
						memcpy(&hours[k][n_hours[k]++], o.hour,
						       sizeof(struct rollup));
					for (size_t v = 0; v < o.n_verdicts; v++) {
						r->verdicts++;
						if (!o.v[v].onset)
							continue;
						if (!r->onsets)
							snprintf(r->first, sizeof(r->first),
							         "week %d: %s", week, o.v[v].text);
						r->onsets++;
						r->by_metric[o.v[v].metric]++;
					}
				}
			}
		}
	}
	for (size_t k = 0; k < n_all; k++) {
		free(hours[k]);
		baseline_series_free(all[k]);
	}
	free(wig);
}

static void report(const struct run *r, const char *what)
{
	print_message("%s: %d weeks, %d events (%d verdicts), %d reviews", what, r->weeks,
	              r->onsets, r->verdicts, r->reviews);
	for (int m = 0; m < BM__COUNT; m++)
		if (r->by_metric[m])
			print_message(", %s %d", baseline_metric_name(m), r->by_metric[m]);
	print_message("\n");
	if (r->onsets)
		print_message("  first: %s\n", r->first);
}

static void test_stationary_weeks_within_budget(void **state)
{
	(void)state;
	struct run r = { .weeks = 8, .budget = 1 };
	run(&r);
	report(&r, "budget 1/week");
	assert_true(r.onsets <= r.weeks * 1);
	assert_int_equal(r.reviews, 0);
}

static void test_loose_budget_fires(void **state)
{
	(void)state;
	/* The same traffic with thresholds derived from a loose budget (1e5
	 * false events a week): the stationary noise fires many. */
	struct run r = { .weeks = 3, .budget = 1e5 };
	run(&r);
	report(&r, "budget 1e5/week");
	assert_true(r.onsets > 3 * r.weeks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stationary_weeks_within_budget),
		cmocka_unit_test(test_loose_budget_fires),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
