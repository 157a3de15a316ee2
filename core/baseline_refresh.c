/*
 * baseline_refresh.c: the weekly refresh of one series' model, and the
 * review of the steps it finds (see baseline.h).
 *
 * Classification runs first, against the model as the week found it: per
 * Holt-Winters metric, the residual of every hour whose slot is warm (ln
 * value minus the slot's expectation) with an inverse-variance weight (the
 * slot's week-to-week variance plus the hour's sampling variance); per rate
 * metric, each hour's failures and expected failures (find_rate_step).
 * The best split of the week into two segments of at least MIN_SEG hours
 * (and the whole week against its expectation, for a step that came with
 * the week's first hour) is a step when its size and its significance
 * (difference of weighted means over its standard error) pass
 * step_min and step_z, or the looser step_min_marker and step_z_marker when
 * a model-version marker is within marker_hours of it. Holidays are left
 * out, and so are alarmed hours unless the alarm lasts to the week's last
 * hour: a deviation that ended was an incident (its hours are not learned
 * either), one that still lasts may be a change. Anything else that moves
 * the level by drift_min a week or more is drift, absorbed by the level as
 * the hours are learned.
 */
#include "core/baseline.h"

#include "core/baseline_int.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SEG 12

struct step {
	bool found;
	double delta, z;
	int64_t at_ms;
	bool near_marker;
	const char *model;
};

static bool hour_residual(const struct baseline_model *m, const struct baseline_settings *s,
                          enum baseline_metric mt, const struct rollup *h,
                          const struct rollup_stats *st, double *r, double *w, double *b2)
{
	int slot = timeparse_hour_of_week(h->start_ms);
	if (baseline_slot_weight(m, s, mt, slot) < s->warm_weight)
		return false;
	int i = baseline__stat_of(mt) + (baseline_metric_kind(mt) == BK_QUANTILE ? 1 : 0);
	double y, v, n;
	if (!baseline__hour_stat(s, st, i, &y, &v, &n))
		return false;
	double e = baseline_stat_expected(m, i, slot, h->start_ms + h->span_ms);
	if (!isfinite(e))
		return false;
	*r = y - e;
	double var = baseline__stat_var(m, s, i, slot);
	*w = 1.0 / (var + v);
	/* An exponentially smoothed season is itself uncertain: its variance
	 * is g / (2 - g) of the week-to-week variance. */
	double g = 1.0 - exp2(-1.0 / s->season_half_life_weeks);
	*b2 = var * g / (2.0 - g);
	return true;
}

static bool near_marker(const struct baseline_settings *s, const struct rollup *hours, size_t n,
                        int64_t t, const char **model)
{
	int64_t span = (int64_t)s->marker_hours * ROLLUP_HOUR_MS;
	for (size_t j = 0; j < n; j++)
		if ((hours[j].flags & ROLLUP_F_MARKER) && llabs(hours[j].start_ms - t) <= span) {
			*model = hours[j].model;
			return true;
		}
	return false;
}

/* Whether hour j takes part in the classification: not a holiday, and not
 * alarmed unless the alarm lasts to the end of the hours (a deviation that
 * ended was an incident; one that still lasts may be a change). */
static bool classified(const struct baseline_settings *s, const struct rollup *hours, size_t j,
                       size_t tail)
{
	if (baseline_is_holiday(s, hours[j].start_ms))
		return false;
	return !(hours[j].flags & ROLLUP_F_ALARMED) || j >= tail;
}

/* The first hour of the run of alarmed hours that ends the list (n: none). */
static size_t alarmed_tail(const struct rollup *hours, size_t n)
{
	size_t j = n;
	while (j > 0 && (hours[j - 1].flags & ROLLUP_F_ALARMED))
		j--;
	return j;
}

static bool qualifies(const struct baseline_settings *s, double delta, double z, bool near)
{
	double dmin = near ? s->step_min_marker : s->step_min;
	double zmin = near ? s->step_z_marker : s->step_z;
	return fabs(delta) >= dmin && fabs(z) >= zmin;
}

/* The step of rate metric mt, on counts: the failures K and the expected
 * E (the slot's rate, unfloored as learning compares it, times the hour's
 * samples: a type that never fails expects none, and its zeros are no
 * step below the floor, whatever the volume) of each segment;
 * the step is ln((K2 + .5) / (E2 + .5)) - ln((K1 + .5) / (E1 + .5)), with
 * the variance 1/(K1 + .5) + 1/(K2 + .5) of Poisson counts plus the slots'
 * week-to-week variance over each segment's hours (a log residual of a
 * count that is mostly 0 is too skewed for a mean's normal test). */
static void find_rate_step(const struct baseline_model *m, const struct baseline_settings *s,
                           enum baseline_metric mt, const struct rollup *hours, size_t n,
                           double *kk, double *ee, size_t *at, struct step *out)
{
	memset(out, 0, sizeof(*out));
	int ri = baseline__rate_of(mt);
	size_t h = 0;
	double vb = 0, bias = 0, tk = 0, te = 0;
	size_t tail = alarmed_tail(hours, n);
	for (size_t j = 0; j < n; j++) {
		int slot = timeparse_hour_of_week(hours[j].start_ms);
		if (!classified(s, hours, j, tail) ||
		    baseline_slot_weight(m, s, mt, slot) < s->warm_weight)
			continue;
		double k, cnt, k_eff;
		baseline__rate_counts(&hours[j], ri, &k, &cnt);
		if (!(cnt > 0))
			continue;
		double p = baseline__slot_rate(m, s, ri, slot, false, &k_eff, NULL);
		kk[h] = k;
		ee[h] = cnt * p;
		at[h] = j;
		tk += k;
		te += ee[h];
		vb += baseline__rate_var(m, s, ri, slot);
		bias += 1.0 / (k_eff + 1.0);
		h++;
	}
	if (h < 2 * MIN_SEG)
		return;
	vb /= (double)h;   /* a slot's week-to-week variance, on average */
	bias /= (double)h; /* the rates' own relative variance, on average */
	double best_z = 0, best_d = 0;
	size_t best = 0;
	double k1 = 0, e1 = 0;
	for (size_t j = 0; j + MIN_SEG <= h; j++) {
		if (j >= MIN_SEG) {
			double k2 = tk - k1, e2 = te - e1;
			double d = log((k2 + 0.5) / (e2 + 0.5)) - log((k1 + 0.5) / (e1 + 0.5));
			double var = 1 / (k1 + 0.5) + 1 / (k2 + 0.5) +
			             vb * (1.0 / (double)j + 1.0 / (double)(h - j));
			double z = d / sqrt(var);
			if (fabs(z) > fabs(best_z)) {
				best_z = z;
				best_d = d;
				best = j;
			}
		}
		k1 += kk[j];
		e1 += ee[j];
	}
	const char *model = NULL;
	if (best) {
		int64_t t = hours[at[best]].start_ms;
		bool near = near_marker(s, hours, n, t, &model);
		if (qualifies(s, best_d, best_z, near)) {
			*out = (struct step){ true, best_d, best_z, t, near, model };
			return;
		}
	}
	double d0 = log((tk + 0.5) / (te + 0.5));
	double z0 = d0 / sqrt(1 / (tk + 0.5) + vb / (double)h + bias);
	int64_t t0 = hours[at[0]].start_ms;
	bool near = near_marker(s, hours, n, t0, &model);
	if (qualifies(s, d0, z0, near))
		*out = (struct step){ true, d0, z0, t0, near, model };
}

/* The step of a Holt-Winters metric mt over hours (res, wt, at: scratch of
 * n): weighted means of the residuals of ln p95 (or the mean). */
static void find_step(const struct baseline_model *m, const struct baseline_settings *s,
                      enum baseline_metric mt, const struct rollup *hours,
                      const struct rollup_stats *sts, size_t n, double *res, double *wt, size_t *at,
                      struct step *out)
{
	memset(out, 0, sizeof(*out));
	size_t k = 0;
	double bias = 0;
	size_t tail = alarmed_tail(hours, n);
	for (size_t j = 0; j < n; j++) {
		if (!classified(s, hours, j, tail))
			continue;
		double r, w, b2;
		if (hour_residual(m, s, mt, &hours[j], &sts[j], &r, &w, &b2) && isfinite(r) &&
		    w > 0) {
			res[k] = r;
			wt[k] = w;
			at[k] = j;
			bias += w * sqrt(b2);
			k++;
		}
	}
	if (k < 2 * MIN_SEG)
		return;
	double tw = 0, twr = 0;
	for (size_t j = 0; j < k; j++) {
		tw += wt[j];
		twr += wt[j] * res[j];
	}
	/* The expectation's own error, taken as shared by every hour (the
	 * conservative case): it shifts the whole week's mean residual. */
	bias /= tw;
	/* The best split by significance. */
	double best_z = 0, best_d = 0;
	size_t best = 0;
	double w1 = 0, wr1 = 0;
	for (size_t j = 0; j + MIN_SEG <= k; j++) {
		if (j >= MIN_SEG) {
			double w2 = tw - w1, d = (twr - wr1) / w2 - wr1 / w1;
			double z = d / sqrt(1 / w1 + 1 / w2);
			if (fabs(z) > fabs(best_z)) {
				best_z = z;
				best_d = d;
				best = j;
			}
		}
		w1 += wt[j];
		wr1 += wt[j] * res[j];
	}
	const char *model = NULL;
	if (best) {
		int64_t t = hours[at[best]].start_ms;
		bool near = near_marker(s, hours, n, t, &model);
		if (qualifies(s, best_d, best_z, near)) {
			*out = (struct step){ true, best_d, best_z, t, near, model };
			return;
		}
	}
	/* The whole week off its baseline: a step with the week's first hour. */
	double d0 = twr / tw, z0 = d0 / sqrt(1 / tw + bias * bias);
	int64_t t0 = hours[at[0]].start_ms;
	bool near = near_marker(s, hours, n, t0, &model);
	if (qualifies(s, d0, z0, near))
		*out = (struct step){ true, d0, z0, t0, near, model };
}

/* The level of a metric, for drift: the p95 (or mean) level, or the ln
 * series rate. */
static double level_of(const struct baseline_model *m, enum baseline_metric mt)
{
	int ri = baseline__rate_of(mt);
	if (ri >= 0) {
		double p = baseline_series_rate(m, mt);
		return p > 0 ? log(p) : NAN;
	}
	int i = baseline__stat_of(mt) + (baseline_metric_kind(mt) == BK_QUANTILE ? 1 : 0);
	return m->stat[i].started ? m->stat[i].level : NAN;
}

int baseline_refresh(struct baseline_model *m, const struct baseline_settings *s,
                     const struct rollup *hours, size_t n, int64_t now,
                     struct baseline_refresh_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	for (size_t j = 1; j < n; j++)
		if (hours[j].start_ms <= hours[j - 1].start_ms)
			return VG_EINVAL;
	if (n == 0)
		return 0;
	struct rollup_stats *sts = malloc(n * sizeof(*sts));
	double *scratch = malloc(2 * n * sizeof(double));
	size_t *at = malloc(n * sizeof(size_t));
	if (!sts || !scratch || !at) {
		free(sts);
		free(scratch);
		free(at);
		return VG_ENOMEM;
	}
	for (size_t j = 0; j < n; j++)
		rollup_stats_of(&hours[j], &sts[j]);

	/* 1. Classify against the model as the week found it. */
	bool was_pending = m->review.pending;
	int64_t skip_from = was_pending ? INT64_MIN : INT64_MAX;
	if (!was_pending) {
		struct baseline_review rv;
		memset(&rv, 0, sizeof(rv));
		rv.metric = -1;
		for (int mt = 0; mt < BM__COUNT; mt++) {
			struct step st;
			if (baseline__rate_of((enum baseline_metric)mt) >= 0)
				find_rate_step(m, s, (enum baseline_metric)mt, hours, n, scratch,
				               scratch + n, at, &st);
			else
				find_step(m, s, (enum baseline_metric)mt, hours, sts, n, scratch,
				          scratch + n, at, &st);
			if (!st.found)
				continue;
			rep->change[mt] = BCH_STEP;
			rep->step[mt] = st.delta;
			rep->step_at[mt] = st.at_ms;
			rv.mask |= 1u << mt;
			rv.delta[mt] = st.delta;
			if (rv.metric < 0 || fabs(st.z) > fabs(rv.z)) {
				rv.metric = mt;
				rv.z = st.z;
				rv.at_ms = st.at_ms;
				rv.near_marker = st.near_marker;
				memset(rv.model, 0, sizeof(rv.model));
				if (st.model)
					model_copy_str(rv.model, sizeof(rv.model), st.model,
					               (size_t)-1);
			}
			if (st.at_ms < skip_from)
				skip_from = st.at_ms;
		}
		if (rv.mask) {
			rv.pending = true;
			rv.created_ms = now;
			m->review = rv;
			rep->review_created = true;
		}
	}

	/* 2. Learn the week. */
	double before[BM__COUNT];
	for (int mt = 0; mt < BM__COUNT; mt++)
		before[mt] = level_of(m, (enum baseline_metric)mt);
	double lv0[BL_STATS];
	for (int i = 0; i < BL_STATS; i++)
		lv0[i] = m->stat[i].level;
	int64_t learned0 = m->learned_ms;
	int32_t refreshes0 = m->refreshes;
	baseline_model_decay(m, s, hours[n - 1].start_ms + hours[n - 1].span_ms);
	for (size_t j = 0; j < n; j++) {
		const struct rollup *h = &hours[j];
		if (h->start_ms >= skip_from)
			rep->skipped_review++;
		else if (h->flags & (ROLLUP_F_ALARMED | ROLLUP_F_REVIEW))
			rep->skipped_alarmed++;
		else if (baseline_is_holiday(s, h->start_ms))
			rep->skipped_holiday++;
		else if (h->requests > 0) {
			baseline_learn_hour(m, s, h);
			rep->learned++;
		}
	}

	/* 3. The trend learns the level's movement; drift is reported. */
	double weeks = learned0 != INT64_MIN && m->learned_ms > learned0
	                       ? (double)(m->learned_ms - learned0) / (double)BL_WEEK_MS
	                       : 0;
	if (rep->learned > 0) {
		m->refreshes++;
		if (weeks >= 0.5 && refreshes0 >= s->warm_weeks) {
			double beta = 1.0 - exp2(-weeks / s->level_half_life_weeks);
			for (int i = 0; i < BL_STATS; i++) {
				struct bl_stat *st = &m->stat[i];
				if (!st->started)
					continue;
				double slope = (st->level - lv0[i]) / weeks;
				double t = st->trend + beta * (slope - st->trend);
				st->trend = t > s->trend_max    ? s->trend_max
				            : t < -s->trend_max ? -s->trend_max
				                                : t;
			}
		}
	}
	for (int mt = 0; mt < BM__COUNT; mt++) {
		double after = level_of(m, (enum baseline_metric)mt);
		double lc = weeks > 0 && isfinite(before[mt]) && isfinite(after)
		                    ? (after - before[mt]) / weeks
		                    : 0;
		rep->level_change[mt] = lc;
		if (rep->change[mt] != BCH_STEP && fabs(lc) >= s->drift_min)
			rep->change[mt] = BCH_DRIFT;
	}
	free(sts);
	free(scratch);
	free(at);
	return 0;
}

bool baseline_refresh_due(const struct baseline_settings *s, int64_t last_ms, int64_t now)
{
	if (last_ms == INT64_MIN)
		return true;
	int64_t hour = now / ROLLUP_HOUR_MS * ROLLUP_HOUR_MS;
	if (now < 0 && hour != now)
		hour -= ROLLUP_HOUR_MS;
	int target = (s->refresh_weekday % 7) * 24 + s->refresh_hour % 24;
	int back = (timeparse_hour_of_week(now) - target + BL_SLOTS) % BL_SLOTS;
	int64_t sched = hour - (int64_t)back * ROLLUP_HOUR_MS;
	return last_ms < sched;
}

int baseline_review_accept(struct baseline_model *m)
{
	struct baseline_review *rv = &m->review;
	if (!rv->pending)
		return VG_ESTATE;
	for (int mt = 0; mt < BM__COUNT; mt++) {
		if (!(rv->mask & (1u << mt)))
			continue;
		double d = rv->delta[mt];
		int ri = baseline__rate_of((enum baseline_metric)mt);
		if (ri >= 0) {
			struct bl_rate *rt = &m->rate[ri];
			const struct bl_count *c =
			        &m->cnt[baseline__count_of((enum baseline_metric)mt)];
			float f = (float)exp(d);
			for (int i = 0; i < BL_SLOTS; i++)
				rt->k[i] = fminf(rt->k[i] * f, c->n[i]);
			rt->total = fmin(rt->total * exp(d), c->total);
			continue;
		}
		int i0 = baseline__stat_of((enum baseline_metric)mt);
		int ni = baseline_metric_kind((enum baseline_metric)mt) == BK_QUANTILE ? 3 : 1;
		for (int i = i0; i < i0 + ni; i++)
			if (m->stat[i].started)
				m->stat[i].level += d;
	}
	memset(rv, 0, sizeof(*rv));
	rv->metric = -1;
	return 0;
}

int baseline_review_reject(struct baseline_model *m)
{
	if (!m->review.pending)
		return VG_ESTATE;
	memset(&m->review, 0, sizeof(m->review));
	m->review.metric = -1;
	return 0;
}
