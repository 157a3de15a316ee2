/*
 * test_baseline_refresh.c: the weekly refresh (core/baseline_refresh): the
 * slow drift of "five percent over four weeks" (docs/baselines.md) is
 * absorbed by the level (no
 * review, the level and its trend rise), a step near a model-version marker
 * becomes a review item (accept absorbs it, reject keeps the old baseline,
 * nothing is learned while it waits), a small step needs the marker, an
 * error-rate step, alarmed and holiday hours are not learned, and when the
 * refresh is due.
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

/* How a week differs from the usual: latency times lat(hour index), server
 * errors at err(hour index) from step_at on, a marker at marker_at. */
struct week {
	double drift_from, drift_to; /* latency factor at the week's start and end */
	int step_at;                 /* hour index of a step, -1 none */
	double lat_step, err_step;   /* latency factor and server-error share after it */
	int marker_at;               /* -1 none */
};

static const struct week USUAL = { 1, 1, -1, 1, 0.005, -1 };

/* One week of hourly rollups from start: 600 requests an hour, a daily
 * shape, week-to-week variation of 0.04. */
static void week_hours(struct rollup *hours, int64_t start, const struct week *w)
{
	for (int h = 0; h < 168; h++) {
		struct rollup *r = &hours[h];
		rollup_init(r, start + h * HOUR, HOUR);
		double f = w->drift_from + (w->drift_to - w->drift_from) * h / 168.0;
		bool after = w->step_at >= 0 && h >= w->step_at;
		if (after)
			f *= w->lat_step;
		double err = after ? w->err_step : 0.005;
		double med = 900 * exp(0.4 * sin(2 * M_PI * (h % 24) / 24.0) + 0.04 * normal());
		if (h == w->marker_at) {
			r->flags |= ROLLUP_F_MARKER;
			strcpy(r->model, "gpt-4o-2024-11-20");
		}
		struct rollup_sample s;
		memset(&s, 0, sizeof(s));
		s.ttft_ms = s.tps_log = s.cost_log = s.quality = NAN;
		for (int i = 0; i < 600; i++) {
			if (uniform() < err) {
				s.err = RU_SERVER;
				s.latency_ms = NAN;
			} else {
				s.err = -1;
				s.latency_ms = med * f * exp(0.4 * normal());
				s.lat_bucket = lhist_index(s.latency_ms);
			}
			rollup_add(r, &s);
		}
	}
}

struct fixture {
	struct baseline_settings s;
	struct baseline_ctx c;
	struct baseline_model *m;
	struct rollup *hours;
	int64_t t;
};

static int setup(void **state)
{
	rng = 0x1234567887654321ULL;
	struct fixture *f = calloc(1, sizeof(*f));
	baseline_defaults(&f->s);
	struct baseline_static st = { 10000, 95, 0.10 };
	baseline_ctx_init(&f->c, &f->s, &st, 1, 0);
	f->m = malloc(sizeof(*f->m));
	struct rollup_series key = { "openai", "gpt-4o", OBS_GATEWAY };
	baseline_model_init(f->m, &key);
	f->hours = malloc(168 * sizeof(*f->hours));
	f->t = MON;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->m);
	free(f->hours);
	free(f);
	return 0;
}

static void refresh_week(struct fixture *f, const struct week *w,
                         struct baseline_refresh_report *rep)
{
	week_hours(f->hours, f->t, w);
	f->t += WEEK;
	assert_int_equal(baseline_refresh(f->m, &f->s, f->hours, 168, f->t, rep), 0);
}

static void warm_up(struct fixture *f)
{
	struct baseline_refresh_report rep;
	for (int i = 0; i < 4; i++) {
		refresh_week(f, &USUAL, &rep);
		assert_false(rep.review_created);
		assert_int_equal(rep.learned, 168);
	}
}

static double p95_level(const struct fixture *f)
{
	return f->m->stat[1].level;
}

static void test_gradual_drift_absorbed(void **state)
{
	struct fixture *f = *state;
	warm_up(f);
	double l0 = p95_level(f);
	/* Five percent over four weeks, a little every hour. */
	struct baseline_refresh_report rep;
	int drift = 0;
	for (int i = 0; i < 4; i++) {
		struct week w = USUAL;
		w.drift_from = pow(1.05, i / 4.0);
		w.drift_to = pow(1.05, (i + 1) / 4.0);
		refresh_week(f, &w, &rep);
		assert_false(rep.review_created);
		assert_true(rep.change[BM_LATENCY] != BCH_STEP);
		assert_int_equal(rep.learned, 168);
		drift += rep.change[BM_LATENCY] == BCH_DRIFT;
	}
	/* The level is taking it (smoothing lags: half-lives of weeks), the
	 * trend turned up, and what is left is far inside the band. */
	double rose = p95_level(f) - l0;
	struct baseline_band b;
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 100, f->t, &b);
	double gap = log(1.05) - rose - f->m->stat[1].trend * 0.5;
	print_message("level +%.4f (ln 1.05 = %.4f), trend %.4f a week, gap %.4f, band +-%.3f\n",
	              rose, log(1.05), f->m->stat[1].trend, gap, f->c.lim.z_between * b.sigma);
	assert_true(drift >= 1);
	assert_true(rose > 0.4 * log(1.05) && rose < 1.5 * log(1.05));
	assert_true(f->m->stat[1].trend > 0);
	assert_true(gap < 0.25 * f->c.lim.z_between * b.sigma);
	assert_false(f->m->review.pending);
}

static void test_step_near_marker_needs_review(void **state)
{
	struct fixture *f = *state;
	warm_up(f);
	double l0 = p95_level(f);
	/* A new snapshot on Wednesday at 12:00, 40% slower from then on. */
	struct week w = USUAL;
	w.step_at = w.marker_at = 2 * 24 + 12;
	w.lat_step = 1.4;
	struct baseline_refresh_report rep;
	refresh_week(f, &w, &rep);
	assert_true(rep.review_created);
	assert_int_equal(rep.change[BM_LATENCY], BCH_STEP);
	const struct baseline_review *rv = &f->m->review;
	assert_true(rv->pending);
	assert_int_equal(rv->metric, BM_LATENCY);
	assert_true(rv->near_marker);
	assert_string_equal(rv->model, "gpt-4o-2024-11-20");
	assert_true(rv->at_ms == f->t - WEEK + (2 * 24 + 12) * HOUR);
	print_message("step %.3f (ln 1.4 = %.3f), z %.1f\n", rv->delta[BM_LATENCY], log(1.4),
	              rv->z);
	assert_true(fabs(rv->delta[BM_LATENCY] - log(1.4)) < 0.06);
	/* The hours from the step on wait for the review; those before are
	 * learned. */
	assert_int_equal(rep.skipped_review, 168 - (2 * 24 + 12));
	assert_int_equal(rep.learned, 2 * 24 + 12);
	/* While it waits, nothing is learned. */
	refresh_week(f, &w, &rep);
	assert_int_equal(rep.learned, 0);
	assert_int_equal(rep.skipped_review, 168);
	assert_false(rep.review_created);

	/* Reject keeps the old baseline ... */
	struct baseline_model *copy = malloc(sizeof(*copy));
	memcpy(copy, f->m, sizeof(*copy));
	assert_int_equal(baseline_review_reject(copy), 0);
	assert_false(copy->review.pending);
	assert_true(copy->stat[1].level == f->m->stat[1].level);
	assert_int_equal(baseline_review_reject(copy), -14 /* VG_ESTATE */);
	/* ... accept absorbs the step: the level moves by it. */
	double before = p95_level(f), delta = rv->delta[BM_LATENCY];
	assert_int_equal(baseline_review_accept(f->m), 0);
	assert_false(f->m->review.pending);
	assert_true(fabs(p95_level(f) - before - delta) < 1e-12);
	assert_true(fabs(p95_level(f) - l0 - log(1.4)) < 0.08);
	/* The next week at the new level is usual. */
	struct week after = USUAL;
	after.lat_step = 1.4;
	after.step_at = 0;
	refresh_week(f, &after, &rep);
	assert_false(rep.review_created);
	assert_int_equal(rep.learned, 168);
	free(copy);
}

static void test_small_step_needs_marker(void **state)
{
	struct fixture *f = *state;
	warm_up(f);
	struct baseline_model *saved = malloc(sizeof(*saved));
	memcpy(saved, f->m, sizeof(*saved));
	int64_t t = f->t;
	/* +13% from Thursday without a marker: under step_min (0.2), drift. */
	struct week w = USUAL;
	w.step_at = 3 * 24;
	w.lat_step = 1.13;
	struct baseline_refresh_report rep;
	refresh_week(f, &w, &rep);
	assert_false(rep.review_created);
	/* The same with a new snapshot at that hour: a review. */
	memcpy(f->m, saved, sizeof(*saved));
	f->t = t;
	w.marker_at = 3 * 24;
	refresh_week(f, &w, &rep);
	assert_true(rep.review_created);
	assert_true(f->m->review.near_marker);
	free(saved);
}

static void test_error_rate_step(void **state)
{
	struct fixture *f = *state;
	warm_up(f);
	/* Server errors from 0.5% to 3% after a new snapshot on Friday. */
	struct week w = USUAL;
	w.step_at = w.marker_at = 4 * 24 + 6;
	w.err_step = 0.03;
	struct baseline_refresh_report rep;
	refresh_week(f, &w, &rep);
	assert_true(rep.review_created);
	assert_int_equal(rep.change[BM_SERVER_ERROR], BCH_STEP);
	assert_true(f->m->review.mask & (1u << BM_SERVER_ERROR));
	assert_true(fabs(f->m->review.delta[BM_SERVER_ERROR] - log(6.0)) < 0.4);
	/* Availability moved with it. */
	assert_true(f->m->review.mask & (1u << BM_AVAILABILITY));
	double p0 = baseline_series_rate(f->m, BM_SERVER_ERROR);
	assert_int_equal(baseline_review_accept(f->m), 0);
	assert_true(baseline_series_rate(f->m, BM_SERVER_ERROR) > 3 * p0);
}

/* A busy series (120,000 requests an hour) whose timeouts and invalid
 * requests never happen: weeks of zeros are no step (a classification
 * against the floored rate expected 120 an hour and found a "step down"
 * of ln(0.5 / 120) every week). */
static void test_never_failing_type_at_volume(void **state)
{
	struct fixture *f = *state;
	struct baseline_refresh_report rep;
	for (int i = 0; i < 6; i++) {
		week_hours(f->hours, f->t, &USUAL);
		for (int h = 0; h < 168; h++) {
			struct rollup *r = &f->hours[h];
			r->requests *= 200;
			r->successes *= 200;
			for (int e = 0; e < RU_ERR__COUNT; e++)
				r->errors[e] *= 200;
			lhist_scale(&r->latency, 200);
			assert_true(r->errors[RU_TIMEOUT] == 0 && r->errors[RU_INVALID] == 0);
		}
		f->t += WEEK;
		assert_int_equal(baseline_refresh(f->m, &f->s, f->hours, 168, f->t, &rep), 0);
		assert_false(rep.review_created);
		assert_int_equal(rep.learned, 168);
		assert_true(rep.change[BM_TIMEOUT] != BCH_STEP);
	}
	assert_true(baseline_warm_share(f->m, &f->s, BM_TIMEOUT) > 0.9);
}

static void test_alarmed_and_holiday_hours_not_learned(void **state)
{
	struct fixture *f = *state;
	warm_up(f);
	struct baseline_model *a = malloc(sizeof(*a));
	memcpy(a, f->m, sizeof(*a));
	/* A week whose Tuesday is a holiday and whose Wednesday afternoon was
	 * alarmed, both ten times slower; the same week without them learned
	 * into a copy, those hours left out by hand: the same model. */
	week_hours(f->hours, f->t, &USUAL);
	struct rollup *kept = malloc(168 * sizeof(*kept));
	size_t nk = 0;
	for (int h = 0; h < 168; h++) {
		bool hol = h >= 24 && h < 48, alarm = h >= 60 && h < 66;
		if (hol || alarm) {
			lhist_scale(&f->hours[h].latency, 0); /* forget, then refill slower */
			lhist_add(&f->hours[h].latency, 9000, 600);
			if (alarm)
				f->hours[h].flags |= ROLLUP_F_ALARMED;
		} else {
			memcpy(&kept[nk++], &f->hours[h], sizeof(*kept));
		}
	}
	f->s.holidays[0] = (int32_t)((f->t + 24 * HOUR) / 86400000LL);
	f->s.n_holidays = 1;
	struct baseline_refresh_report rep, rep2;
	assert_int_equal(baseline_refresh(f->m, &f->s, f->hours, 168, f->t + WEEK, &rep), 0);
	assert_int_equal(rep.skipped_holiday, 24);
	assert_int_equal(rep.skipped_alarmed, 6);
	assert_int_equal(rep.learned, 168 - 30);
	assert_false(rep.review_created);
	f->s.n_holidays = 0;
	assert_int_equal(baseline_refresh(a, &f->s, kept, nk, f->t + WEEK, &rep2), 0);
	/* learned_ms differs (the last hour is the same), so compare what was
	 * learned: levels, seasons and counts. */
	assert_true(fabs(a->stat[1].level - f->m->stat[1].level) < 1e-9);
	assert_memory_equal(a->stat[1].season, f->m->stat[1].season, sizeof(a->stat[1].season));
	assert_memory_equal(a->cnt[BC_LAT].n, f->m->cnt[BC_LAT].n, sizeof(a->cnt[BC_LAT].n));
	free(a);
	free(kept);
}

static void test_refresh_due(void **state)
{
	struct fixture *f = *state;
	/* Monday 04:00 UTC by default. */
	assert_true(baseline_refresh_due(&f->s, INT64_MIN, MON));
	int64_t done = MON + 4 * HOUR + 1000;
	assert_false(baseline_refresh_due(&f->s, done, MON + 5 * HOUR));
	assert_false(baseline_refresh_due(&f->s, done, MON + WEEK + 4 * HOUR - 1));
	assert_true(baseline_refresh_due(&f->s, done, MON + WEEK + 4 * HOUR));
	/* Missed ones (the daemon was down) are due at once. */
	assert_true(baseline_refresh_due(&f->s, done, MON + 3 * WEEK + 10 * HOUR));
	/* Sunday 22:00 instead. */
	f->s.refresh_weekday = 6;
	f->s.refresh_hour = 22;
	assert_false(baseline_refresh_due(&f->s, MON, MON + 6 * 24 * HOUR + 21 * HOUR));
	assert_true(baseline_refresh_due(&f->s, MON, MON + 6 * 24 * HOUR + 22 * HOUR));
}

static void test_out_of_order(void **state)
{
	struct fixture *f = *state;
	week_hours(f->hours, MON, &USUAL);
	struct rollup tmp;
	memcpy(&tmp, &f->hours[3], sizeof(tmp));
	memcpy(&f->hours[3], &f->hours[2], sizeof(tmp));
	struct baseline_refresh_report rep;
	assert_int_equal(baseline_refresh(f->m, &f->s, f->hours, 168, MON + WEEK, &rep),
	                 -2 /* VG_EINVAL */);
	assert_true(f->m->learned_ms == INT64_MIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gradual_drift_absorbed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_near_marker_needs_review, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_small_step_needs_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_rate_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_failing_type_at_volume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarmed_and_holiday_hours_not_learned, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_refresh_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
