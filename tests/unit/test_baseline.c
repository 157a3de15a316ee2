/*
 * test_baseline.c: the slot model of core/baseline: Holt-Winters updates
 * computed by hand, seasons that sum to zero (a shift moves the level, not
 * the seasons), clipping, variances shrunk toward the pooled one and
 * floored, quantiles as observed in the hour's histogram (not a lognormal
 * fit), slot rates with the neighbours' and the series' prior, the cold
 * start's hand-over from the static thresholds, warmth (probes warm more
 * slowly), and the budget's limits.
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

static uint64_t rng = 0x2545F4914F6CDD1DULL;

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

/* An hour of n successes of lat_ms each and k rate limits. */
static void hour_const(struct rollup *r, int64_t start, double lat_ms, int n, int k)
{
	rollup_init(r, start, HOUR);
	struct rollup_sample s;
	memset(&s, 0, sizeof(s));
	s.err = -1;
	s.latency_ms = lat_ms;
	s.lat_bucket = lhist_index(lat_ms);
	s.ttft_ms = NAN;
	s.tps_log = s.cost_log = s.quality = NAN;
	for (int i = 0; i < n; i++)
		rollup_add(r, &s);
	s.err = RU_RATE_LIMIT;
	s.latency_ms = NAN;
	for (int i = 0; i < k; i++)
		rollup_add(r, &s);
}

/* ln of the value lhist reports for x. */
static double lnq(double x)
{
	return log(lhist_value(lhist_index(x)));
}

struct fixture {
	struct baseline_settings s;
	struct baseline_ctx c;
	struct baseline_model *m;
	struct rollup *r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	baseline_defaults(&f->s);
	struct baseline_static st = { 10000, 95, 0.10 };
	baseline_ctx_init(&f->c, &f->s, &st, 1, 0);
	f->m = malloc(sizeof(*f->m));
	f->r = malloc(sizeof(*f->r));
	struct rollup_series key = { "openai", "gpt-4o", OBS_GATEWAY };
	baseline_model_init(f->m, &key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->m);
	free(f->r);
	free(f);
	return 0;
}

static void near(double got, double want, double tol, const char *what)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: got %.9g, want %.9g (tolerance %g)", what, got, want, tol);
}

static double season_sum(const struct bl_stat *st)
{
	double sum = 0;
	for (int i = 0; i < BL_SLOTS; i++)
		sum += st->season[i];
	return sum;
}

static void test_holt_winters_by_hand(void **state)
{
	struct fixture *f = *state;
	const struct bl_stat *p95 = &f->m->stat[1];
	double alpha = 1 - exp2(-1.0 / (8 * 168)); /* level half-life 8 weeks, hourly */
	double gam = 1 - exp2(-1.0 / 4);           /* season half-life 4 weeks */

	/* Hour 1, Monday 00:00: the level starts at its value. */
	baseline_model_decay(f->m, &f->s, MON + 2 * HOUR); /* the clock of the weights */
	hour_const(f->r, MON, 1000, 100, 0);
	baseline_learn_hour(f->m, &f->s, f->r);
	double y1 = lnq(1000);
	assert_true(p95->started);
	near(p95->level, y1, 1e-12, "level after hour 1");
	near(season_sum(p95), 0, 1e-9, "seasons after hour 1");

	/* Hour 2, Monday 01:00, a slot seen for the first time: r = y2 - L,
	 * L += alpha r, S[1] += (1 - alpha) r (g = 1), then the mean of the
	 * seasons, (1 - alpha) r / 168, moves to the level. */
	hour_const(f->r, MON + HOUR, 2000, 100, 0);
	baseline_learn_hour(f->m, &f->s, f->r);
	double y2 = lnq(2000), d = y2 - y1;
	double mean = (1 - alpha) * d / 168;
	near(p95->level, y1 + alpha * d + mean, 1e-9, "level after hour 2");
	near(p95->season[1], (1 - alpha) * d - mean, 1e-6, "season of slot 1");
	near(p95->season[0], -mean, 1e-6, "season of slot 0");
	near(season_sum(p95), 0, 1e-5, "seasons sum to zero");
	/* The new slot expects its value, the old one only moved by alpha r. */
	near(baseline_stat_expected(f->m, 1, 1, MON + 2 * HOUR), y2, 1e-6, "slot 1 expects y2");
	near(baseline_stat_expected(f->m, 1, 0, MON + 2 * HOUR), y1 + alpha * d, 1e-6,
	     "slot 0 moved by the level");

	/* A week later (weights decayed by 2^-1/4), slot 1 again at 2400 ms:
	 * g = max(gamma, 1 / (w + 1)), no clip (r = ln 1.2 < 3 sigma), and a
	 * first variance sample r^2 - v, v the hour's sampling variance of
	 * ln p95: 0.95 / (0.05 n a^2), a = ln 5 / 0.02 (p99 = p95 here). */
	double e0 = baseline_stat_expected(f->m, 1, 0, MON + WEEK + 2 * HOUR);
	double lv = p95->level, s1 = p95->season[1];
	baseline_model_decay(f->m, &f->s, MON + WEEK + 2 * HOUR);
	double w = f->m->cnt[BC_LAT].w[1];
	near(w, exp2(-0.25), 1e-6, "slot weeks decayed");
	hour_const(f->r, MON + WEEK + HOUR, 2400, 100, 0);
	baseline_learn_hour(f->m, &f->s, f->r);
	double r = lnq(2400) - (lv + s1);
	double g = fmax(gam, 1 / (w + 1));
	double a = log(5.0) / 0.02, v = 0.95 / (0.05 * 100 * a * a);
	near(baseline_stat_expected(f->m, 1, 1, MON + WEEK + 2 * HOUR),
	     lv + s1 + alpha * r + g * (1 - alpha) * r, 1e-5, "slot 1 after week 2");
	near(baseline_stat_expected(f->m, 1, 0, MON + WEEK + 2 * HOUR), e0 + alpha * r, 1e-5,
	     "slot 0 after week 2");
	near(p95->var[1], r * r - v, 1e-6, "first variance sample");
	near(p95->vw[1], 1, 0, "variance weight");
	near(season_sum(p95), 0, 1e-5, "seasons still sum to zero");
}

/* Learn `weeks` weeks of every slot: ln latency base + amp * daily shape +
 * shift, with hourly noise of sd `noise`; n requests an hour. */
static void learn_weeks(struct fixture *f, int64_t *t, int weeks, double base, double amp,
                        double shift, double noise, int n)
{
	for (int wk = 0; wk < weeks; wk++) {
		baseline_model_decay(f->m, &f->s, *t + WEEK);
		for (int s = 0; s < BL_SLOTS; s++) {
			double y = base + amp * sin(2 * M_PI * (s % 24) / 24.0) + shift +
			           noise * normal();
			hour_const(f->r, *t, exp(y), n, 0);
			baseline_learn_hour(f->m, &f->s, f->r);
			if (fabs(season_sum(&f->m->stat[1])) > 1e-3)
				fail_msg("seasons sum to %g", season_sum(&f->m->stat[1]));
			*t += HOUR;
		}
	}
}

static void test_shift_moves_level_not_seasons(void **state)
{
	struct fixture *f = *state;
	int64_t t = MON;
	learn_weeks(f, &t, 6, log(800), 0.6, 0, 0.02, 200);
	const struct bl_stat *p95 = &f->m->stat[1];
	double l0 = p95->level;
	float s0[BL_SLOTS];
	memcpy(s0, p95->season, sizeof(s0));
	/* The daily shape is in the seasons. */
	near(p95->season[6] - p95->season[18], 1.2, 0.05, "daily amplitude learned");
	/* A uniform shift of +0.3 for six weeks: the level takes most of it
	 * (the seasons learn it at >= gamma a week, the level at alpha an
	 * hour, and renormalising hands the seasons' part to the level); the
	 * seasons stay where they were. */
	learn_weeks(f, &t, 6, log(800), 0.6, 0.3, 0.02, 200);
	double moved = p95->level - l0;
	if (!(moved > 0.6 * 0.3 && moved < 0.3 + 0.02))
		fail_msg("the level moved by %g for a shift of 0.3", moved);
	double worst = 0;
	for (int s = 0; s < BL_SLOTS; s++)
		worst = fmax(worst, fabs(p95->season[s] - s0[s]));
	if (worst > 0.05)
		fail_msg("a season moved by %g with the shift", worst);
}

static void test_clipping(void **state)
{
	struct fixture *f = *state;
	int64_t t = MON;
	learn_weeks(f, &t, 4, log(800), 0, 0, 0.02, 200);
	const struct bl_stat *p95 = &f->m->stat[1];
	struct baseline_band b;
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 30, t, &b);
	double before = baseline_stat_expected(f->m, 1, 30, t + 30 * HOUR);
	/* One hour ten times slower: learned as at most clip_sigmas sigma. */
	baseline_model_decay(f->m, &f->s, t + WEEK);
	hour_const(f->r, t + 30 * HOUR, 8000, 200, 0);
	double w = f->m->cnt[BC_LAT].w[30];
	baseline_learn_hour(f->m, &f->s, f->r);
	double after = baseline_stat_expected(f->m, 1, 30, t + 31 * HOUR);
	double g = fmax(1 - exp2(-0.25), 1 / (w + 1));
	double lim = f->s.clip_sigmas * sqrt(b.sigma * b.sigma + 0.001);
	assert_true(after - before > 0);
	if (after - before > g * lim + 1e-3)
		fail_msg("an outlier moved the slot by %g (limit %g)", after - before, g * lim);
	(void)p95;
}

static void test_floor_and_shrinkage(void **state)
{
	struct fixture *f = *state;
	int64_t t = MON;
	/* Four identical weeks: no week-to-week variance at all; sigma is the
	 * floor, 0.05. */
	learn_weeks(f, &t, 4, log(1200), 0.4, 0, 0, 500);
	struct baseline_band b;
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 40, t, &b);
	near(b.sigma, 0.05, 1e-12, "floored sigma");
	/* One slot jumps by ln 1.35 for a week: its own variance sample is
	 * large, but with one week it is shrunk toward the pooled variance
	 * worth variance_prior_weeks: (vw var + 2 pooled) / (vw + 2). */
	baseline_model_decay(f->m, &f->s, t + WEEK);
	for (int s = 0; s < BL_SLOTS; s++) {
		double y = log(1200) + 0.4 * sin(2 * M_PI * (s % 24) / 24.0) + (s == 40 ? 0.3 : 0);
		hour_const(f->r, t + s * HOUR, exp(y), 500, 0);
		baseline_learn_hour(f->m, &f->s, f->r);
	}
	const struct bl_stat *p95 = &f->m->stat[1];
	double own = p95->var[40], vw = p95->vw[40], pooled = p95->pooled;
	double want = (vw * own + 2 * pooled) / (vw + 2);
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 40, t + WEEK, &b);
	near(b.sigma, sqrt(fmax(want, 0.0025)), 1e-6, "shrunk sigma");
	assert_true(b.sigma < sqrt(own));
	assert_true(b.sigma > sqrt(pooled));
	/* Its neighbours keep the floor. */
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 41, t + WEEK, &b);
	near(b.sigma, 0.05, 1e-12, "neighbour still floored");
}

static void test_quantiles_as_observed(void **state)
{
	struct fixture *f = *state;
	/* 90% at 100 ms and 10% at 5 s: a lognormal fitted to these logs
	 * would put p95 near 1 s; the histogram says 5 s. */
	int64_t t = MON;
	for (int wk = 0; wk < 3; wk++) {
		baseline_model_decay(f->m, &f->s, t + WEEK);
		for (int s = 0; s < BL_SLOTS; s++) {
			hour_const(f->r, t, 100, 900, 0);
			struct rollup *slow = malloc(sizeof(*slow));
			hour_const(slow, t, 5000, 100, 0);
			rollup_merge(f->r, slow);
			free(slow);
			baseline_learn_hour(f->m, &f->s, f->r);
			t += HOUR;
		}
	}
	struct baseline_band b50, b95, b99;
	f->c.st.latency_ms = 60000;
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 77, t, &b95);
	baseline_band_of(f->m, &f->c, BM_LATENCY, 2, 77, t, &b99);
	near(b95.expected / 5000, 1, 0.01, "p95 as observed");
	near(b99.expected / 5000, 1, 0.01, "p99 as observed");
	near(exp(baseline_stat_expected(f->m, 0, 77, t)) / 100, 1, 0.01, "p50 as observed");
	(void)b50;
	assert_true(b95.warm);
	assert_true(b95.threshold >= b95.hi * 0.999);
}

static void test_slot_rate_prior(void **state)
{
	struct fixture *f = *state;
	struct baseline_model *m = f->m;
	/* Series: 1% of 10000; slot 10: 10% of 500; its neighbours 5% each. */
	m->cnt[BC_REQ].total = 10000;
	m->rate[1].total = 100;
	m->cnt[BC_REQ].n[9] = m->cnt[BC_REQ].n[10] = m->cnt[BC_REQ].n[11] = 500;
	m->rate[1].k[9] = m->rate[1].k[11] = 25;
	m->rate[1].k[10] = 50;
	double n0 = f->s.rate_prior_requests;
	double ps = (100 + f->s.rate_floor * n0) / (10000 + n0);
	double pn = (50 + ps * n0) / (1000 + n0);
	double p = (50 + pn * n0) / (500 + n0);
	struct baseline_band b;
	baseline_band_of(m, &f->c, BM_RATE_LIMIT, 0, 10, MON, &b);
	near(b.expected, p, 1e-7, "slot rate, shrunk toward neighbours and series");
	/* A slot with nothing near it: the series rate. */
	baseline_band_of(m, &f->c, BM_RATE_LIMIT, 0, 100, MON, &b);
	near(b.expected, ps, 1e-9, "empty slot");
	/* Cold (no weeks learned): the bar is the static soft_rate. */
	assert_true(b.weight == 0);
	near(b.threshold, 0.10, 1e-12, "static share bar");
}

static void test_cold_start_hand_over(void **state)
{
	struct fixture *f = *state;
	struct baseline_band b;
	/* Nothing learned: the static bar, thresholds.latency_ms at p95. */
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 5, MON, &b);
	assert_true(b.threshold == 10000);
	assert_true(b.weight == 0 && !b.warm);
	/* No static bar for time to first token: nothing judged yet. */
	baseline_band_of(f->m, &f->c, BM_TTFT, 1, 5, MON, &b);
	assert_true(isinf(b.threshold));
	/* One week at 1000 requests an hour: weight min(1, 1/2) 1000/1060. */
	int64_t t = MON;
	learn_weeks(f, &t, 1, log(900), 0, 0, 0, 1000);
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 5, t, &b);
	double h = 0.5 * 1000 / 1060.0;
	near(b.weight, h, 1e-6, "weight after a week");
	near(b.threshold, exp(h * log(b.hi) + (1 - h) * log(10000)), 1e-6 * b.threshold,
	     "blend of the band's edge and the static bar");
	assert_true(b.threshold < 10000 && b.threshold > b.hi);
	near(baseline_warm_share(f->m, &f->s, BM_LATENCY), 0, 0, "nothing warm after a week");
	/* Two more weeks: every slot warm, the bar is the band's edge. */
	learn_weeks(f, &t, 2, log(900), 0, 0, 0, 1000);
	baseline_band_of(f->m, &f->c, BM_LATENCY, 1, 5, t, &b);
	assert_true(b.warm);
	near(b.threshold, exp(b.weight * log(b.hi) + (1 - b.weight) * log(10000)),
	     1e-6 * b.threshold, "bar when warm");
	near(baseline_warm_share(f->m, &f->s, BM_LATENCY), 1, 0, "all warm");
}

static void test_warmth(void **state)
{
	struct fixture *f = *state;
	/* A gateway series warms in two weeks, a probe series (60 an hour) in
	 * four: the API says so. */
	assert_true(baseline_weeks_to_warm(&f->s, 1000) == 2);
	assert_true(baseline_weeks_to_warm(&f->s, 60) == 4);
	assert_true(isinf(baseline_weeks_to_warm(&f->s, 5)));
	/* Three weeks of Mondays only: 24 of 168 slots warm ("learning: 14%"). */
	int64_t t = MON;
	for (int wk = 0; wk < 3; wk++) {
		baseline_model_decay(f->m, &f->s, t + WEEK);
		for (int s = 0; s < 24; s++) {
			hour_const(f->r, t + s * HOUR, 700, 1000, 0);
			baseline_learn_hour(f->m, &f->s, f->r);
		}
		t += WEEK;
	}
	near(baseline_warm_share(f->m, &f->s, BM_LATENCY), 24.0 / 168, 1e-12, "Mondays warm");
	/* The same three weeks of probes: none warm yet; the fourth warms them. */
	struct baseline_model *p = malloc(sizeof(*p));
	baseline_model_init(p, NULL);
	t = MON;
	for (int wk = 0; wk < 4; wk++) {
		baseline_model_decay(p, &f->s, t + WEEK);
		for (int s = 0; s < 24; s++) {
			hour_const(f->r, t + s * HOUR, 700, 60, 0);
			baseline_learn_hour(p, &f->s, f->r);
		}
		t += WEEK;
		double share = baseline_warm_share(p, &f->s, BM_LATENCY);
		near(share, wk < 3 ? 0 : 24.0 / 168, 1e-12, "probe warmth");
	}
	free(p);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	struct baseline_limits l;
	assert_int_equal(baseline_limits_derive(&f->s, 20, 4, &l), 0);
	/* K = 24 series x 13 tests; between-week: P(Z > z) = 0.5 / (168 K). */
	near(l.tests, 24 * 13, 0, "tests");
	double a = 0.5 / (168 * l.tests);
	near(0.5 * erfc(l.z_between / sqrt(2)), a, a * 1e-6, "z_between");
	/* Gateway windows of 6 minutes, 3360 a week (overlapping, counted
	 * twice), half the sampling budget: alpha = 0.5 / (2 K 3360), and the
	 * GLR bar satisfies
	 * e ceil(c ln N) exp(-c) <= alpha with N = 1000 rps x 360 s. */
	near(l.alpha[OBS_GATEWAY], 0.5 / (2 * l.tests * 3360), 1e-15, "alpha");
	/* The newest bucket alone: 10080 minutes a week, N = 60000. */
	near(l.alpha_recent[OBS_GATEWAY], 0.5 / (2 * l.tests * 10080), 1e-15, "alpha of a bucket");
	double cb = l.glr_recent[OBS_GATEWAY];
	assert_true(exp(1) * ceil(cb * log(60000)) * exp(-cb) <=
	            l.alpha_recent[OBS_GATEWAY] * (1 + 1e-6));
	double c = l.glr[OBS_GATEWAY];
	assert_true(exp(1) * ceil(c * log(360000)) * exp(-c) <= l.alpha[OBS_GATEWAY] * (1 + 1e-6));
	assert_true(exp(1) * ceil((c - 0.01) * log(360000)) * exp(-(c - 0.01)) >
	            l.alpha[OBS_GATEWAY]);
	/* A smaller deployment, or a larger budget, gives lower bars. */
	struct baseline_limits l2;
	baseline_limits_derive(&f->s, 2, 0, &l2);
	assert_true(l2.z_between < l.z_between && l2.glr[0] < l.glr[0]);
	f->s.false_events_per_week = 0;
	assert_int_equal(baseline_limits_derive(&f->s, 2, 0, &l2), -2 /* VG_EINVAL */);
}

static void test_names_and_classes(void **state)
{
	(void)state;
	for (int m = 0; m < BM__COUNT; m++)
		assert_int_equal(baseline_metric_parse(baseline_metric_name(m), (size_t)-1), m);
	assert_int_equal(baseline_metric_parse("nope", 4), -1);
	enum category cat;
	enum subtype sub;
	baseline_metric_class(BM_LATENCY, &cat, &sub);
	assert_true(cat == CAT_PROVIDER && sub == SUB_LATENCY);
	baseline_metric_class(BM_QUALITY, &cat, &sub);
	assert_true(cat == CAT_QUALITY && sub == SUB_REGRESSION);
	baseline_metric_class(BM_COST, &cat, &sub);
	assert_true(cat == CAT_COST);
	assert_false(baseline_metric_up(BM_THROUGHPUT));
	char buf[24];
	baseline_slot_name(24 + 3, buf, sizeof(buf));
	assert_string_equal(buf, "Tue 03:00 UTC");
	baseline_slot_name(15, buf, sizeof(buf));
	assert_string_equal(buf, "Mon 15:00 UTC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holt_winters_by_hand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shift_moves_level_not_seasons, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_clipping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_floor_and_shrinkage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quantiles_as_observed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_rate_prior, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cold_start_hand_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warmth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_classes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
