/*
 * test_baseline_judge.c: detection against the baseline (core/baseline_live):
 * the worked example of docs/baselines.md (one latency level quiet at
 * Monday 15:00 UTC, a business-hours slot, and an event at Sunday 03:00, a night slot, though
 * under the static bar), a content-filter step from ~0% to 30% caught
 * within a few dozen requests, a 12% rate that is usual for its slot is no
 * event, the neighbouring slot at an hour edge, holidays, the review that
 * folds alerts, the alarm flag on the minute, the static bars of a cold
 * series, availability behind its error types, throughput, and the set.
 *
 * One model is trained once (four weeks of a daily and weekly rhythm,
 * through the weekly refresh) and copied into each test's series.
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

/* A slot's traffic: a long-context workload whose business hours (Mon-Fri
 * 13:00-21:59 UTC) are slow and rate limited, fast and quiet at night. */
struct prof {
	double rpm, med_ms, sigma;
	double err[RU_ERR__COUNT]; /* share of each error type */
	double qfail, tps, cost;
};

static void profile(int slot, struct prof *p)
{
	memset(p, 0, sizeof(*p));
	int day = slot / 24, hour = slot % 24;
	bool busy = day < 5 && hour >= 13 && hour <= 21;
	p->rpm = busy ? 40 : 10;
	p->med_ms = busy ? 3500 : 800;
	p->sigma = 0.4;
	p->err[RU_RATE_LIMIT] = busy ? 0.12 : 0.005;
	p->err[RU_SERVER] = 0.004;
	p->err[RU_TIMEOUT] = 0.002;
	p->err[RU_INVALID] = 0.003;
	p->qfail = 0.03;
	p->tps = busy ? 40 : 60;
	p->cost = 0.003;
}

/* Changes applied to a profile in a test. */
struct fault {
	double lat_mult, tps_mult;
	int err_type; /* -1: none */
	double err_rate;
};

static const struct fault NONE = { 1, 1, -1, 0 };

static void gen(const struct prof *p, const struct fault *f, double shift, struct rollup_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->err = -1;
	s->latency_ms = s->ttft_ms = s->tps_log = s->cost_log = s->quality = NAN;
	double u = uniform(), acc = 0;
	for (int e = 0; e < RU_ERR__COUNT; e++) {
		double share = f->err_type == e ? f->err_rate : p->err[e];
		acc += share;
		if (u < acc) {
			s->err = e;
			return;
		}
	}
	s->latency_ms = p->med_ms * f->lat_mult * exp(shift + p->sigma * normal());
	s->lat_bucket = lhist_index(s->latency_ms);
	if (uniform() < 0.5) {
		s->ttft_ms = s->latency_ms * 0.2 * exp(0.2 * normal());
		s->ttft_bucket = lhist_index(s->ttft_ms);
	}
	s->prompt_tokens = 3000;
	s->completion_tokens = 300;
	s->cost_usd = p->cost * 3.3;
	s->tps_log = log(p->tps * f->tps_mult) + 0.3 * normal();
	s->cost_log = log(p->cost) + 0.05 * normal();
	s->quality = uniform() < p->qfail ? 0 : 1;
}

static struct baseline_model *trained;
static struct baseline_ctx ctx;

static int train(void **state)
{
	(void)state;
	rng = 0x9E3779B97F4A7C15ULL;
	struct baseline_settings s;
	baseline_defaults(&s);
	struct baseline_static st = { 10000, 95, 0.10 };
	baseline_ctx_init(&ctx, &s, &st, 4, 0);
	trained = malloc(sizeof(*trained));
	struct rollup_series key = { "anthropic", "claude-3-5-sonnet", OBS_GATEWAY };
	baseline_model_init(trained, &key);
	struct rollup *hours = malloc(BL_SLOTS * sizeof(*hours));
	struct prof p;
	struct rollup_sample smp;
	for (int wk = 0; wk < 4; wk++) {
		for (int slot = 0; slot < BL_SLOTS; slot++) {
			profile(slot, &p);
			struct rollup *h = &hours[slot];
			rollup_init(h, MON + wk * WEEK + slot * HOUR, HOUR);
			double shift = 0.05 * normal(); /* week-to-week */
			int n = (int)(p.rpm * 60);
			for (int i = 0; i < n; i++) {
				gen(&p, &NONE, shift, &smp);
				rollup_add(h, &smp);
			}
		}
		struct baseline_refresh_report rep;
		assert_int_equal(
		        baseline_refresh(trained, &s, hours, BL_SLOTS, MON + (wk + 1) * WEEK, &rep),
		        0);
		assert_int_equal(rep.learned, BL_SLOTS);
		assert_false(rep.review_created);
	}
	free(hours);
	return 0;
}

static int untrain(void **state)
{
	(void)state;
	free(trained);
	return 0;
}

static struct baseline_series *series(bool warm)
{
	struct rollup_series key = { "anthropic", "claude-3-5-sonnet", OBS_GATEWAY };
	struct baseline_series *bs = baseline_series_new(&key);
	assert_non_null(bs);
	if (warm)
		memcpy(baseline_series_model(bs), trained, sizeof(*trained));
	return bs;
}

/* Verdicts seen while feeding. */
struct seen {
	int n, by_metric[BM__COUNT], review;
	long first_at; /* requests fed until the first verdict, -1: none */
	struct baseline_verdict first;
	uint32_t minute_flags; /* OR of the flags of closed minutes */
};

/* Feed `minutes` minutes from t of the slot's traffic with fault f
 * (rpm: requests a minute, 0 = the profile's). */
static void feed(struct baseline_series *bs, int64_t t, int minutes, const struct fault *f,
                 double rpm, struct seen *out)
{
	struct prof p;
	long fed = 0;
	for (int m = 0; m < minutes; m++) {
		int64_t t0 = t + m * MIN;
		profile((int)(((t0 - MON) / HOUR) % BL_SLOTS), &p);
		int n = (int)(rpm > 0 ? rpm : p.rpm);
		for (int i = 0; i < n; i++) {
			struct rollup_sample s;
			gen(&p, f, 0, &s);
			struct baseline_out o;
			baseline_series_feed(bs, &ctx, &s, false, t0 + i * (MIN / n), &o);
			fed++;
			if (o.closed & ROLLUP_CLOSED_MINUTE)
				out->minute_flags |= o.minute->flags;
			for (size_t k = 0; k < o.n_verdicts; k++) {
				if (out->n == 0) {
					out->first = o.v[k];
					out->first_at = fed;
				}
				out->n++;
				out->by_metric[o.v[k].metric]++;
				out->review += o.v[k].kind == BV_REVIEW_WAITING;
			}
		}
	}
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->first_at = -1;
}

#define AT(day, hour, minute) (MON + 4 * WEEK + (day)*24 * HOUR + (hour)*HOUR + (minute)*MIN)

static void test_worked_example(void **state)
{
	(void)state;
	rng = 11;
	/* The same latency, p95 about 6 s (median 3.1 s): quiet on Monday at
	 * 15:00 UTC, where business hours make 6.7 s usual ... */
	struct fault slow = { 3100.0 / 3500.0, 1, -1, 0 };
	for (int i = 0; i < 2; i++) {
		struct baseline_band b;
		int slot = i ? 6 * 24 + 3 : 15;
		baseline_band_of(trained, &ctx, BM_LATENCY, 1, slot, AT(0, 0, 0), &b);
		print_message(
		        "slot %d: usual p95 %.0f ms, band %.0f-%.0f, sigma %.3f, bar %.0f ms, "
		        "weight %.3f (z %.2f, GLR bars %.1f / %.1f)\n",
		        slot, b.expected, b.lo, b.hi, b.sigma, b.threshold, b.weight,
		        ctx.lim.z_between, ctx.lim.glr[0], ctx.lim.glr_recent[0]);
	}
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(0, 15, 20), 20, &slow, 40, &s);
	assert_int_equal(s.by_metric[BM_LATENCY], 0);
	baseline_series_free(bs);
	/* ... and an event on Sunday at 03:00, a night slot (usual p95 about
	 * 1.5 s), though 6 s is well under the static bar of 10 s. */
	struct fault night = { 3100.0 / 800.0, 1, -1, 0 };
	bs = series(true);
	seen_init(&s);
	feed(bs, AT(6, 3, 20), 20, &night, 40, &s);
	assert_true(s.by_metric[BM_LATENCY] >= 1);
	assert_int_equal(s.first.metric, BM_LATENCY);
	assert_true(s.first.category == CAT_PROVIDER && s.first.subtype == SUB_LATENCY);
	assert_int_equal(s.first.percentile, 95);
	assert_int_equal(s.first.slot, 6 * 24 + 3);
	assert_true(s.first.onset);
	assert_true(s.first.expected > 1000 && s.first.expected < 2200);
	assert_true(s.first.observed > s.first.threshold);
	assert_true(s.first.observed < 10000);
	assert_true(s.first_at <= 40); /* within the first minute */
	/* "p95 6.1 s, usual 1.6 s (1.4-1.8) for Sun 03:00 UTC, 25 requests" */
	assert_true(strncmp(s.first.text, "p95 ", 4) == 0);
	assert_non_null(strstr(s.first.text, " s, usual "));
	assert_non_null(strstr(s.first.text, " for Sun 03:00 UTC, "));
	assert_non_null(strstr(s.first.text, " requests"));
	print_message("%s (%lld of %lld over the bar)\n", s.first.text, (long long)s.first.k,
	              (long long)s.first.n);
	baseline_series_free(bs);
}

static void test_content_filter_step(void **state)
{
	(void)state;
	rng = 12;
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	/* Usual traffic first: nothing. */
	feed(bs, AT(1, 10, 20), 10, &NONE, 40, &s);
	assert_int_equal(s.n, 0);
	/* Then 30% of answers blocked, a provider that never blocked. */
	struct fault blocks = { 1, 1, RU_CONTENT_FILTER, 0.30 };
	feed(bs, AT(1, 10, 30), 5, &blocks, 40, &s);
	assert_true(s.by_metric[BM_CONTENT_FILTER] >= 1);
	assert_int_equal(s.first.metric, BM_CONTENT_FILTER);
	assert_true(s.first.subtype == SUB_CONTENT_FILTER);
	print_message("caught after %ld requests: %s\n", s.first_at, s.first.text);
	assert_true(s.first_at <= 40); /* a few dozen requests */
	/* The blocks are not also an availability verdict. */
	assert_int_equal(s.by_metric[BM_AVAILABILITY], 0);
	baseline_series_free(bs);
}

static void test_usual_rate_is_no_event(void **state)
{
	(void)state;
	rng = 13;
	/* Wednesday 14:00 usually sees 12% rate limits: an hour of it is
	 * nothing, though 12% is over the static 10%. */
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(2, 14, 0), 60, &NONE, 0, &s);
	assert_int_equal(s.by_metric[BM_RATE_LIMIT], 0);
	assert_int_equal(s.n, 0);
	/* 35% is (at 120 requests a minute). */
	struct fault more = { 1, 1, RU_RATE_LIMIT, 0.35 };
	feed(bs, AT(2, 15, 20), 10, &more, 120, &s);
	assert_true(s.by_metric[BM_RATE_LIMIT] >= 1);
	assert_true(s.first.subtype == SUB_RATE_LIMIT);
	/* A cold series judges 12% against the static bar (10%) and its
	 * significance: an hour at 12% stays quiet there too, 35% does not. */
	baseline_series_free(bs);
	bs = series(false);
	seen_init(&s);
	feed(bs, AT(2, 14, 0), 60, &NONE, 0, &s);
	assert_int_equal(s.by_metric[BM_RATE_LIMIT], 0);
	feed(bs, AT(2, 15, 20), 10, &more, 120, &s);
	assert_true(s.by_metric[BM_RATE_LIMIT] >= 1);
	assert_non_null(strstr(s.first.text, "static bar"));
	baseline_series_free(bs);
}

static void test_hour_edge(void **state)
{
	(void)state;
	rng = 14;
	/* Business latency (13:00) at 12:50 on Monday: the next slot counts
	 * too near the edge (daylight saving time moves business hours). */
	struct fault busy = { 3500.0 / 800.0, 1, -1, 0 };
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(0, 12, 48), 10, &busy, 40, &s);
	assert_int_equal(s.by_metric[BM_LATENCY], 0);
	baseline_series_free(bs);
	/* At 12:25 it is out of place. */
	bs = series(true);
	seen_init(&s);
	feed(bs, AT(0, 12, 20), 10, &busy, 40, &s);
	assert_true(s.by_metric[BM_LATENCY] >= 1);
	assert_int_equal(s.first.slot, 12);
	baseline_series_free(bs);
}

static void test_holiday(void **state)
{
	(void)state;
	rng = 15;
	struct baseline_ctx saved = ctx;
	/* Sunday of the fifth week is a holiday: seasonal metrics are not
	 * judged there. */
	ctx.s.holidays[0] = (int32_t)((AT(6, 0, 0)) / 86400000LL);
	ctx.s.n_holidays = 1;
	struct fault night = { 3100.0 / 800.0, 1, -1, 0 };
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(6, 3, 20), 20, &night, 40, &s);
	assert_int_equal(s.by_metric[BM_LATENCY], 0);
	/* Rates are still judged, against the series' rate. */
	struct fault errs = { 1, 1, RU_SERVER, 0.4 };
	feed(bs, AT(6, 4, 20), 5, &errs, 40, &s);
	assert_true(s.by_metric[BM_SERVER_ERROR] >= 1);
	assert_int_equal(s.first.slot, 6 * 24 + 4);
	baseline_series_free(bs);
	ctx = saved;
}

static void test_review_folds_alerts(void **state)
{
	(void)state;
	rng = 16;
	struct baseline_series *bs = series(true);
	struct baseline_review *rv = &baseline_series_model(bs)->review;
	rv->pending = true;
	rv->metric = BM_LATENCY;
	rv->mask = 1u << BM_LATENCY;
	rv->delta[BM_LATENCY] = log(1.4);
	rv->at_ms = AT(6, 2, 0);
	strcpy(rv->model, "claude-3-5-sonnet-20241022");
	struct fault night = { 3100.0 / 800.0, 1, -1, 0 };
	struct seen s;
	seen_init(&s);
	feed(bs, AT(6, 3, 20), 12, &night, 40, &s);
	/* Twelve minutes of firing fold into one verdict per realert (5 min). */
	assert_true(s.n >= 2 && s.n <= 3);
	assert_int_equal(s.review, s.n);
	assert_int_equal(s.first.kind, BV_REVIEW_WAITING);
	assert_non_null(strstr(s.first.text, "baseline review waiting: latency +40%"));
	assert_non_null(strstr(s.first.text, "claude-3-5-sonnet-20241022"));
	print_message("%s\n", s.first.text);
	/* Minutes under review are flagged (not learned). */
	assert_true(s.minute_flags & ROLLUP_F_REVIEW);
	baseline_series_free(bs);
}

static void test_alarm_marks_minutes(void **state)
{
	(void)state;
	rng = 17;
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(3, 2, 20), 5, &NONE, 40, &s);
	assert_int_equal(s.minute_flags & ROLLUP_F_ALARMED, 0);
	assert_false(baseline_series_alarmed(bs, AT(3, 2, 25)));
	struct fault night = { 4, 1, -1, 0 };
	feed(bs, AT(3, 2, 25), 12, &night, 40, &s);
	assert_true(s.minute_flags & ROLLUP_F_ALARMED);
	assert_true(baseline_series_alarmed(bs, AT(3, 2, 37)));
	/* A sustained deviation: one onset, then one verdict per realert. */
	assert_true(s.by_metric[BM_LATENCY] >= 2 && s.by_metric[BM_LATENCY] <= 3);
	baseline_series_free(bs);
}

static void test_cold_series_static_bar(void **state)
{
	(void)state;
	rng = 18;
	/* Nothing learned: latency is judged against thresholds.latency_ms. */
	struct baseline_series *bs = series(false);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(0, 3, 20), 10, &NONE, 40, &s);
	assert_int_equal(s.n, 0);
	struct fault slow = { 12000.0 / 800.0, 1, -1, 0 };
	feed(bs, AT(0, 3, 30), 5, &slow, 40, &s);
	assert_true(s.by_metric[BM_LATENCY] >= 1);
	assert_true(s.first.threshold == 10000);
	assert_true(s.first.weight == 0);
	/* What the text shows is what fired: the observed p95 is over the bar. */
	assert_true(s.first.observed > s.first.threshold);
	assert_non_null(strstr(s.first.text, "over the static bar 10.0 s (learning)"));
	print_message("%s\n", s.first.text);
	baseline_series_free(bs);
}

static void test_availability(void **state)
{
	(void)state;
	rng = 19;
	/* 30% of requests refused for auth: no error type of its own is
	 * judged, so availability speaks, with the subtype behind it. */
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	struct fault auth = { 1, 1, RU_OTHER, 0.3 };
	feed(bs, AT(4, 9, 20), 5, &auth, 40, &s);
	assert_true(s.by_metric[BM_AVAILABILITY] >= 1);
	assert_int_equal(s.first.metric, BM_AVAILABILITY);
	assert_true(s.first.subtype == SUB_PROVIDER_OTHER);
	assert_non_null(strstr(s.first.text, "errors "));
	print_message("%s\n", s.first.text);
	baseline_series_free(bs);
}

static void test_throughput(void **state)
{
	(void)state;
	rng = 20;
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(5, 1, 20), 10, &NONE, 40, &s);
	assert_int_equal(s.n, 0);
	struct fault slow = { 1, 0.4, -1, 0 };
	feed(bs, AT(5, 1, 30), 10, &slow, 40, &s);
	assert_true(s.by_metric[BM_THROUGHPUT] >= 1);
	assert_true(s.first.observed < s.first.threshold);
	assert_non_null(strstr(s.first.text, "tok/s"));
	print_message("%s\n", s.first.text);
	baseline_series_free(bs);
}

static void test_late_quality(void **state)
{
	(void)state;
	rng = 21;
	/* Quality verdicts that come after their requests (the sidecar's):
	 * usual failures are nothing, half failing is a regression. */
	struct baseline_series *bs = series(true);
	struct seen s;
	seen_init(&s);
	feed(bs, AT(3, 4, 20), 2, &NONE, 40, &s);
	struct baseline_out o;
	int64_t t = AT(3, 4, 22);
	int verdicts = 0;
	for (int i = 0; i < 40; i++) {
		baseline_series_quality(bs, &ctx, uniform() < 0.03 ? 0.0 : 1.0, t + i * 1000, &o);
		verdicts += (int)o.n_verdicts;
	}
	assert_int_equal(verdicts, 0);
	struct baseline_verdict first;
	memset(&first, 0, sizeof(first));
	int late = 0;
	for (int i = 0; i < 200 && !verdicts; i++, late++) {
		baseline_series_quality(bs, &ctx, i % 2 == 0 ? 0.0 : 1.0, t + 40000 + i * 100, &o);
		if (o.n_verdicts)
			first = o.v[0];
		verdicts += (int)o.n_verdicts;
	}
	assert_int_equal(verdicts, 1);
	assert_true(late <= 100);
	assert_int_equal(first.metric, BM_QUALITY);
	assert_true(first.category == CAT_QUALITY && first.subtype == SUB_REGRESSION);
	print_message("after %d late verdicts: %s\n", late, first.text);
	/* NaN (nothing measured) does nothing. */
	baseline_series_quality(bs, &ctx, NAN, t + 50000, &o);
	assert_int_equal(o.n_verdicts, 0);
	baseline_series_free(bs);
}

static void test_set_feeds_both_series(void **state)
{
	(void)state;
	struct baseline_set *set = baseline_set_new(8);
	struct observation o;
	observation_init(&o);
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), "openai", (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), "gpt-4o-2024-08-06", (size_t)-1);
	o.http_status = 200;
	o.total_ms = 900;
	struct baseline_set_out out;
	for (int i = 0; i < 100; i++)
		assert_int_equal(baseline_set_feed(set, &ctx, &o, NULL, MON + i * 1000, &out), 0);
	o.source = OBS_PROBE;
	assert_int_equal(baseline_set_feed(set, &ctx, &o, NULL, MON + 100 * MIN, &out), 0);
	assert_int_equal(baseline_set_count(set), 4);
	struct rollup_series k = { "openai", "gpt-4o", OBS_GATEWAY };
	struct baseline_series *bs = baseline_set_get(set, &k, false);
	assert_non_null(bs);
	assert_ptr_equal(bs, baseline_set_at(set, 0));
	k.alias[0] = '\0';
	assert_non_null(baseline_set_get(set, &k, false));
	k.source = OBS_PROBE;
	assert_non_null(baseline_set_get(set, &k, false));
	/* Full: a new series is refused, the others still fed. */
	struct baseline_set *small = baseline_set_new(1);
	assert_int_equal(baseline_set_feed(small, &ctx, &o, NULL, MON, &out), -8 /* VG_EFULL */);
	assert_int_equal(baseline_set_count(small), 1);
	baseline_set_free(small);
	baseline_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_content_filter_step),
		cmocka_unit_test(test_usual_rate_is_no_event),
		cmocka_unit_test(test_hour_edge),
		cmocka_unit_test(test_holiday),
		cmocka_unit_test(test_review_folds_alerts),
		cmocka_unit_test(test_alarm_marks_minutes),
		cmocka_unit_test(test_cold_series_static_bar),
		cmocka_unit_test(test_availability),
		cmocka_unit_test(test_throughput),
		cmocka_unit_test(test_late_quality),
		cmocka_unit_test(test_set_feeds_both_series),
	};
	return cmocka_run_group_tests(tests, train, untrain);
}
