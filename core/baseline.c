/*
 * baseline.c: the baseline model of one series (see baseline.h): the metric
 * table, the settings and the budget's limits, the hourly Holt-Winters and
 * rate updates, slot weights and bands. Detection is in baseline_live.c,
 * the weekly refresh in baseline_refresh.c, the blob in baseline_blob.c.
 */
#include "core/baseline.h"

#include "core/baseline_int.h"
#include "core/qrate.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- the metric table --------------------------------------------------- */

static const struct {
	const char *name;
	enum baseline_kind kind;
	enum category cat;
	enum subtype sub;
	bool up;
	int count, stat, rate;
} metrics[BM__COUNT] = {
	[BM_LATENCY] = { "latency", BK_QUANTILE, CAT_PROVIDER, SUB_LATENCY, true, BC_LAT, 0, -1 },
	[BM_TTFT] = { "ttft", BK_QUANTILE, CAT_PROVIDER, SUB_LATENCY, true, BC_TTFT, 3, -1 },
	[BM_AVAILABILITY] = { "availability", BK_RATE, CAT_PROVIDER, SUB_SERVER_ERROR, true, BC_REQ,
	                      -1, 0 },
	[BM_RATE_LIMIT] = { "rate_limit", BK_RATE, CAT_PROVIDER, SUB_RATE_LIMIT, true, BC_REQ, -1,
	                    1 },
	[BM_SERVER_ERROR] = { "server_error", BK_RATE, CAT_PROVIDER, SUB_SERVER_ERROR, true, BC_REQ,
	                      -1, 2 },
	[BM_TIMEOUT] = { "timeout", BK_RATE, CAT_PROVIDER, SUB_TIMEOUT, true, BC_REQ, -1, 3 },
	[BM_CONTENT_FILTER] = { "content_filter", BK_RATE, CAT_PROVIDER, SUB_CONTENT_FILTER, true,
	                        BC_REQ, -1, 4 },
	[BM_INVALID_REQUEST] = { "invalid_request", BK_RATE, CAT_PROVIDER, SUB_INVALID_REQUEST,
	                         true, BC_REQ, -1, 5 },
	[BM_QUALITY] = { "quality", BK_RATE, CAT_QUALITY, SUB_REGRESSION, true, BC_QUAL, -1, 6 },
	[BM_THROUGHPUT] = { "throughput", BK_MEAN, CAT_PROVIDER, SUB_LATENCY, false, BC_TPS, 6,
	                    -1 },
	[BM_COST] = { "cost", BK_MEAN, CAT_COST, SUB_RETRY_STORM, true, BC_COST, 7, -1 },
};

/* The kind and count of each statistic. */
static enum baseline_kind stat_kind(int i)
{
	return i < 6 ? BK_QUANTILE : BK_MEAN;
}

static int stat_count(int i)
{
	static const int c[BL_STATS] = { BC_LAT,  BC_LAT,  BC_LAT, BC_TTFT,
		                         BC_TTFT, BC_TTFT, BC_TPS, BC_COST };
	return c[i];
}

static bool metric_ok(enum baseline_metric m)
{
	return (int)m >= 0 && m < BM__COUNT;
}

enum baseline_kind baseline_metric_kind(enum baseline_metric m)
{
	return metric_ok(m) ? metrics[m].kind : BK_RATE;
}

const char *baseline_metric_name(enum baseline_metric m)
{
	return metric_ok(m) ? metrics[m].name : "unknown";
}

int baseline_metric_parse(const char *s, size_t len)
{
	if (len == (size_t)-1)
		len = strlen(s);
	for (int i = 0; i < BM__COUNT; i++)
		if (strlen(metrics[i].name) == len && memcmp(metrics[i].name, s, len) == 0)
			return i;
	return -1;
}

void baseline_metric_class(enum baseline_metric m, enum category *cat, enum subtype *sub)
{
	*cat = metric_ok(m) ? metrics[m].cat : CAT_PROVIDER;
	*sub = metric_ok(m) ? metrics[m].sub : SUB_PROVIDER_OTHER;
}

bool baseline_metric_up(enum baseline_metric m)
{
	return metric_ok(m) ? metrics[m].up : true;
}

int baseline__count_of(enum baseline_metric m)
{
	return metrics[m].count;
}

int baseline__stat_of(enum baseline_metric m)
{
	return metrics[m].stat;
}

int baseline__rate_of(enum baseline_metric m)
{
	return metrics[m].rate;
}

/* ---- settings and limits ----------------------------------------------- */

void baseline_defaults(struct baseline_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->enabled = true;
	s->season_half_life_weeks = 4;
	s->level_half_life_weeks = 8;
	s->false_events_per_week = 1;
	s->between_share = 0.5;
	s->sigma_floor[BK_QUANTILE] = 0.05;
	s->sigma_floor[BK_RATE] = 0.10;
	s->sigma_floor[BK_MEAN] = 0.05;
	s->sigma_prior[BK_QUANTILE] = 0.30;
	s->sigma_prior[BK_RATE] = 0.50;
	s->sigma_prior[BK_MEAN] = 0.30;
	s->variance_prior_weeks = 2;
	s->rate_prior_requests = 100;
	s->rate_floor = 0.001;
	s->min_failures = 2;
	s->clip_sigmas = 3;
	s->warm_weeks = 2;
	s->warm_samples = 60;
	s->warm_weight = 0.75;
	s->bucket_s[OBS_GATEWAY] = 60;
	s->bucket_s[OBS_PROBE] = 300;
	s->max_rps[OBS_GATEWAY] = 1000;
	s->max_rps[OBS_PROBE] = 1;
	s->edge_minutes = 15;
	s->min_hour_samples = 10;
	s->min_hour_samples_p99 = 100;
	s->p99_min_window = 200;
	s->min_mean_window = 10;
	s->step_min = 0.2;
	s->step_min_marker = 0.1;
	s->step_z = 6;
	s->step_z_marker = 4;
	s->marker_hours = 12;
	s->drift_min = 0.005;
	s->trend_max = 0.1;
	s->refresh_weekday = 0;
	s->refresh_hour = 4;
	s->realert_ms = 300000;
	s->n_holidays = 0;
}

void baseline_static_from(const struct core_settings *cs, struct baseline_static *st)
{
	st->latency_ms = cs->latency_ms;
	st->latency_percentile = cs->latency_percentile;
	st->soft_rate = cs->soft_rate;
}

/* P(Z > z) for the standard normal: erf where it is exact enough, the
 * asymptotic series in the far tail (where 1 - erf() cancels). */
static double q_upper(double z)
{
	if (z < 5)
		return 0.5 * (1.0 - erf(z / sqrt(2.0)));
	double z2 = z * z;
	return exp(-0.5 * z2) / (z * sqrt(2.0 * M_PI)) * (1 - 1 / z2 + 3 / (z2 * z2));
}

double baseline__z_upper(double a)
{
	if (!(a > 1e-300))
		a = 1e-300;
	if (a >= 0.5)
		return 0;
	double lo = 0, hi = 40;
	for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
		double mid = 0.5 * (lo + hi);
		if (q_upper(mid) > a)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* The least c with e * ceil(c ln N) * exp(-c) <= alpha. */
static double glr_bar(double alpha, double n)
{
	double ln_n = log(n < 2 ? 2 : n);
	double lo = 1, hi = -log(alpha) + 100;
	for (int i = 0; i < 200 && hi - lo > 1e-9; i++) {
		double c = 0.5 * (lo + hi);
		double lb = 1.0 + log(ceil(c * ln_n)) - c; /* ln of the bound */
		if (lb > log(alpha))
			lo = c;
		else
			hi = c;
	}
	return hi;
}

int baseline_limits_derive(const struct baseline_settings *s, size_t gateway_series,
                           size_t probe_series, struct baseline_limits *out)
{
	memset(out, 0, sizeof(*out));
	double b = s->false_events_per_week, share = s->between_share;
	if (!(b > 0) || !(share > 0 && share < 1))
		return VG_EINVAL;
	double series = (double)(gateway_series + probe_series);
	if (series < 1)
		series = 1;
	double k = series * BL_TESTS_PER_SERIES;
	out->tests = k;
	out->z_between = baseline__z_upper(share * b / (BL_SLOTS * k));
	double minutes = (double)BL_WEEK_MS / 60000.0;
	for (int src = 0; src < 2; src++) {
		double bucket = s->bucket_s[src] > 0 ? s->bucket_s[src] : 60;
		double w = bucket * BL_WIN_BUCKETS; /* s */
		double windows = 2.0 * (double)BL_WEEK_MS / 1000.0 / w;
		out->window_ms[src] = w * 1000.0;
		out->alpha[src] = (1 - share) * b / (2 * k * windows);
		out->glr[src] = glr_bar(out->alpha[src], s->max_rps[src] * w);
		double buckets = (double)BL_WEEK_MS / 1000.0 / bucket;
		out->alpha_recent[src] = (1 - share) * b / (2 * k * buckets);
		out->glr_recent[src] = glr_bar(out->alpha_recent[src], s->max_rps[src] * bucket);
		out->z_sample[src] = baseline__z_upper((1 - share) * b / (k * minutes));
	}
	return 0;
}

int baseline_ctx_init(struct baseline_ctx *c, const struct baseline_settings *s,
                      const struct baseline_static *st, size_t gateway_series, size_t probe_series)
{
	c->s = *s;
	c->st = *st;
	return baseline_limits_derive(s, gateway_series, probe_series, &c->lim);
}

/* ---- the model ---------------------------------------------------------- */

void baseline_model_init(struct baseline_model *m, const struct rollup_series *key)
{
	memset(m, 0, sizeof(*m));
	if (key)
		m->key = *key;
	m->learned_ms = INT64_MIN;
	m->decayed_ms = INT64_MIN;
	for (int i = 0; i < BL_STATS; i++)
		m->stat[i].pooled = NAN;
	for (int r = 0; r < BL_RATES; r++)
		m->rate[r].pooled = NAN;
	m->review.metric = -1;
}

void baseline_model_decay(struct baseline_model *m, const struct baseline_settings *s, int64_t t)
{
	if (m->decayed_ms == INT64_MIN || t <= m->decayed_ms) {
		if (m->decayed_ms == INT64_MIN)
			m->decayed_ms = t;
		return;
	}
	double weeks = (double)(t - m->decayed_ms) / (double)BL_WEEK_MS;
	m->decayed_ms = t;
	float ds = (float)exp2(-weeks / s->season_half_life_weeks);
	double dl = exp2(-weeks / s->level_half_life_weeks);
	for (int c = 0; c < BC__COUNT; c++) {
		m->cnt[c].total *= dl;
		for (int i = 0; i < BL_SLOTS; i++) {
			m->cnt[c].w[i] *= ds;
			m->cnt[c].n[i] *= ds;
		}
	}
	for (int r = 0; r < BL_RATES; r++) {
		m->rate[r].total *= dl;
		for (int i = 0; i < BL_SLOTS; i++) {
			m->rate[r].k[i] *= ds;
			m->rate[r].vw[i] *= ds;
		}
	}
	for (int j = 0; j < BL_STATS; j++)
		for (int i = 0; i < BL_SLOTS; i++)
			m->stat[j].vw[i] *= ds;
}

static double pooled_of(double pooled, double prior)
{
	return isnan(pooled) ? prior * prior : pooled > 0 ? pooled : 0;
}

static double shrunk_var(double var, double vw, double pooled, const struct baseline_settings *s,
                         enum baseline_kind kind)
{
	double v0 = s->variance_prior_weeks > 0 ? s->variance_prior_weeks : 0;
	double p = pooled_of(pooled, s->sigma_prior[kind]);
	double v = vw + v0 > 0 ? (vw * var + v0 * p) / (vw + v0) : p;
	double f = s->sigma_floor[kind];
	return v > f * f ? v : f * f;
}

double baseline__stat_var(const struct baseline_model *m, const struct baseline_settings *s, int i,
                          int slot)
{
	const struct bl_stat *st = &m->stat[i];
	if (slot < 0)
		return shrunk_var(0, 0, st->pooled, s, stat_kind(i));
	return shrunk_var(st->var[slot], st->vw[slot], st->pooled, s, stat_kind(i));
}

double baseline__rate_var(const struct baseline_model *m, const struct baseline_settings *s, int r,
                          int slot)
{
	/* Slot -> metric -> series: each level shrunk toward the next with the
	 * prior's weight variance_prior_weeks. */
	double v0 = s->variance_prior_weeks > 0 ? s->variance_prior_weeks : 0;
	double prior = s->sigma_prior[BK_RATE] * s->sigma_prior[BK_RATE];
	double sw = 0, sv = 0;
	for (int i = 0; i < BL_RATES; i++)
		if (m->rate[i].pw > 0) {
			sw += m->rate[i].pw;
			sv += m->rate[i].pw * m->rate[i].pooled;
		}
	double series = (sv + v0 * prior) / (sw + v0 > 0 ? sw + v0 : 1);
	const struct bl_rate *rt = &m->rate[r];
	double pw = rt->pw > 0 ? rt->pw : 0;
	double metric =
	        pw + v0 > 0 ? ((pw > 0 ? pw * rt->pooled : 0) + v0 * series) / (pw + v0) : series;
	if (slot < 0)
		return shrunk_var(0, 0, metric, s, BK_RATE);
	return shrunk_var(rt->var[slot], rt->vw[slot], metric, s, BK_RATE);
}

static double pool(const float *var, const float *vw, double prior, double v0)
{
	double sw = 0, sv = 0;
	for (int i = 0; i < BL_SLOTS; i++) {
		sw += vw[i];
		sv += (double)vw[i] * var[i];
	}
	return (sv + v0 * prior * prior) / (sw + v0 > 0 ? sw + v0 : 1);
}

static int rate_count(int r)
{
	return r == 6 ? BC_QUAL : BC_REQ;
}

double baseline__slot_rate(const struct baseline_model *m, const struct baseline_settings *s, int r,
                           int slot, bool floored, double *k_eff, double *n_eff)
{
	const struct bl_rate *rt = &m->rate[r];
	const struct bl_count *c = &m->cnt[rate_count(r)];
	double n0 = s->rate_prior_requests;
	double p = qrate_posterior(rt->total, c->total, s->rate_floor, n0);
	double k = rt->total + s->rate_floor * n0, n = c->total + n0;
	if (slot >= 0) {
		int a = (slot + BL_SLOTS - 1) % BL_SLOTS, b = (slot + 1) % BL_SLOTS;
		p = qrate_posterior((double)rt->k[a] + rt->k[b], (double)c->n[a] + c->n[b], p, n0);
		k = (double)rt->k[slot] + p * n0;
		n = (double)c->n[slot] + n0;
		p = qrate_posterior(rt->k[slot], c->n[slot], p, n0);
	}
	if (k_eff)
		*k_eff = k;
	if (n_eff)
		*n_eff = n;
	return !floored || p > s->rate_floor ? p : s->rate_floor;
}

void baseline__log_count_moments(double n, double p, double *mean, double *var)
{
	double mu = n * p, q = 1 - p;
	long big_n = (long)floor(n + 0.5);
	if (mu >= 30 || big_n < 1 || !(p > 0) || !(p < 1)) {
		/* The delta method is close enough with this many expected. */
		double d = (mu + 0.5) * (mu + 0.5);
		*var = mu * q / d;
		*mean = log(mu + 0.5) - 0.5 * *var;
		return;
	}
	/* Sum the binomial pmf from k = 0 (at most ~100 terms for mu < 30). */
	long kmax = (long)ceil(mu + 12 * sqrt(mu) + 12);
	if (kmax > big_n)
		kmax = big_n;
	double pmf = exp((double)big_n * log1p(-p)), odds = p / q;
	double tot = 0, m1 = 0, m2 = 0;
	for (long k = 0; k <= kmax; k++) {
		double l = log((double)k + 0.5);
		tot += pmf;
		m1 += pmf * l;
		m2 += pmf * l * l;
		pmf *= (double)(big_n - k) / (double)(k + 1) * odds;
	}
	*mean = m1 / tot;
	*var = fmax(0.0, m2 / tot - *mean * *mean);
}

void baseline__rate_counts(const struct rollup *ru, int ri, double *k, double *n)
{
	if (ri == 6) {
		*k = ru->quality_fail;
		*n = ru->quality_pass + ru->quality_fail;
		return;
	}
	*n = ru->requests;
	if (ri == 0) {
		double e = 0;
		for (int i = 0; i < RU_ERR__COUNT; i++)
			e += ru->errors[i];
		*k = e;
	} else {
		*k = ru->errors[ri - 1]; /* 1..5 = RU_RATE_LIMIT .. RU_INVALID */
	}
}

double baseline__quantile_var(int qi, double n, const double lq[3])
{
	if (!(n > 0))
		return INFINITY;
	if (qi == 0) {
		double sig = (lq[1] - lq[0]) / 1.6449;
		if (!(sig > 0.01))
			sig = 0.01;
		return 0.5 * M_PI * sig * sig / n; /* p(1-p) / (n phi^2) at the median */
	}
	/* A tail whose log survival is linear in ln x between p95 and p99:
	 * density (1 - p) a at quantile p, a = ln 5 / (ln p99 - ln p95). */
	double d = lq[2] - lq[1];
	if (!(d > 0.02))
		d = 0.02;
	double a = log(5.0) / d;
	double p = qi == 1 ? 0.95 : 0.99;
	return p / ((1 - p) * n * a * a);
}

bool baseline__hour_stat(const struct baseline_settings *s, const struct rollup_stats *st, int i,
                         double *y, double *v, double *n)
{
	if (i < 6) {
		const double *lq = i < 3 ? st->lat_log : st->ttft_log;
		int qi = i % 3;
		*n = i < 3 ? st->lat_n : st->ttft_n;
		double need = qi == 2 ? s->min_hour_samples_p99 : s->min_hour_samples;
		if (!(*n >= need && *n > 0) || !isfinite(lq[qi]))
			return false;
		*y = lq[qi];
		*v = baseline__quantile_var(qi, *n, lq);
		return true;
	}
	double mean = i == 6 ? st->tps_mean : st->cost_mean;
	double var = i == 6 ? st->tps_var : st->cost_var;
	*n = i == 6 ? st->tps_n : st->cost_n;
	if (!(*n >= s->min_hour_samples && *n > 0) || !isfinite(mean))
		return false;
	*y = mean;
	*v = isfinite(var) ? var / *n : 0;
	return true;
}

static double alpha_hour(const struct baseline_settings *s)
{
	return 1.0 - exp2(-1.0 / (s->level_half_life_weeks * BL_SLOTS));
}

static double gamma_week(const struct baseline_settings *s)
{
	return 1.0 - exp2(-1.0 / s->season_half_life_weeks);
}

static double clampd(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* One Holt-Winters update of statistic i at slot with the hour's value y
 * (sampling variance v); w_prev: the slot's decayed weeks before this one. */
static void stat_update(struct baseline_model *m, const struct baseline_settings *s, int i,
                        int slot, double y, double v, double w_prev)
{
	struct bl_stat *st = &m->stat[i];
	if (!st->started) {
		st->level = y;
		st->started = 1;
	}
	double r = y - (st->level + st->season[slot]);
	double rc = r;
	if (w_prev > 0) {
		/* A residual of a slot already seen: clipped before it is
		 * learned, and a sample of the slot's week-to-week variance. */
		double sig = sqrt(baseline__stat_var(m, s, i, slot) + v);
		double lim = s->clip_sigmas * sig;
		rc = clampd(r, -lim, lim);
		double gv = fmax(gamma_week(s), 1.0 / ((double)st->vw[slot] + 1.0));
		double e = rc * rc - v;
		/* Not clamped at 0: a clamp would bias every slot upward;
		 * the floor applies where the variance is used. */
		st->var[slot] = (float)(st->var[slot] + gv * (e - st->var[slot]));
		st->vw[slot] += 1.0f;
	}
	/* L' = L + alpha r, S' = S + g (y - L' - S) = S + g (1 - alpha) r; a
	 * slot's first weeks learn as a running mean (g >= 1 / (weeks + 1)). */
	double a = alpha_hour(s);
	double g = fmax(gamma_week(s), 1.0 / (w_prev + 1.0));
	st->level += a * rc;
	st->season[slot] = (float)(st->season[slot] + g * (1.0 - a) * rc);
	/* Renormalise: the seasons sum to zero, their mean moves to the level
	 * (every slot's expectation stays as it is). */
	double sum = 0;
	for (int k = 0; k < BL_SLOTS; k++)
		sum += st->season[k];
	double mean = sum / BL_SLOTS;
	for (int k = 0; k < BL_SLOTS; k++)
		st->season[k] = (float)(st->season[k] - mean);
	st->level += mean;
	st->pooled = pool(st->var, st->vw, s->sigma_prior[stat_kind(i)], s->variance_prior_weeks);
}

static void rate_update(struct baseline_model *m, const struct baseline_settings *s, int r,
                        int slot, double k, double n, double w_prev)
{
	struct bl_rate *rt = &m->rate[r];
	double kc = k;
	if (w_prev > 0) {
		double p = baseline__slot_rate(m, s, r, slot, false, NULL, NULL);
		double mu = n * p, e, v;
		/* The residual of ln(k + 0.5) from its mean under the binomial,
		 * whose variance v is the hour's sampling part. */
		baseline__log_count_moments(n, p, &e, &v);
		double sig = sqrt(baseline__rate_var(m, s, r, slot) + v);
		double lim = s->clip_sigmas * sig;
		double res = log(k + 0.5) - e;
		double rc = clampd(res, -lim, lim);
		if (rc != res)
			kc = fmax(0.0, exp(e + rc) - 0.5);
		/* The variance sample: the relative excess of (k - mu)^2 over
		 * the binomial's mu q, an unbiased estimate of sigma^2 when the
		 * rate varies by exp(N(0, sigma^2)) (Pearson's, which unlike a
		 * log residual stays unbiased with few failures). Its variance is
		 * about 2 (1/mu + sigma^2)^2, so an hour counts by its relative
		 * information (mu s0 / (1 + mu s0))^2, s0 the prior variance:
		 * hours that expect few failures say little. */
		double d = kc - mu;
		double sample = mu > 0 ? (d * d - mu * (1 - p)) / (mu * mu) : 0;
		double s0 = s->sigma_prior[BK_RATE] * s->sigma_prior[BK_RATE];
		double info = mu * s0 / (1.0 + mu * s0);
		double omega = info * info;
		double gv = fmax(gamma_week(s), 1.0 / ((double)rt->vw[slot] + 1.0)) * omega;
		rt->var[slot] = (float)(rt->var[slot] + gv * (sample - rt->var[slot]));
		rt->vw[slot] = (float)(rt->vw[slot] + omega);
		double sw = 0, sv = 0;
		for (int i = 0; i < BL_SLOTS; i++) {
			sw += rt->vw[i];
			sv += (double)rt->vw[i] * rt->var[i];
		}
		rt->pw = sw;
		rt->pooled = sw > 0 ? sv / sw : NAN;
	}
	rt->k[slot] = (float)(rt->k[slot] + kc);
	rt->total += kc;
}

static void count_add(struct bl_count *c, int slot, double n)
{
	c->w[slot] += 1.0f;
	c->n[slot] = (float)(c->n[slot] + n);
	c->total += n;
}

void baseline_learn_hour(struct baseline_model *m, const struct baseline_settings *s,
                         const struct rollup *hour)
{
	int slot = timeparse_hour_of_week(hour->start_ms);
	int64_t end = hour->start_ms + hour->span_ms;
	/* The level advances by its trend to the end of this hour. */
	if (m->learned_ms != INT64_MIN && end > m->learned_ms) {
		double weeks = (double)(end - m->learned_ms) / (double)BL_WEEK_MS;
		for (int i = 0; i < BL_STATS; i++)
			if (m->stat[i].started)
				m->stat[i].level += m->stat[i].trend * weeks;
	}
	if (m->learned_ms == INT64_MIN || end > m->learned_ms)
		m->learned_ms = end;

	struct rollup_stats st;
	rollup_stats_of(hour, &st);
	/* Statistics, by count: the slot's weeks before this hour decide how
	 * fast its season learns. */
	bool counted[BC__COUNT] = { false };
	double cn[BC__COUNT] = { 0 };
	for (int i = 0; i < BL_STATS; i++) {
		double y, v, n;
		if (!baseline__hour_stat(s, &st, i, &y, &v, &n))
			continue;
		int c = stat_count(i);
		stat_update(m, s, i, slot, y, v, m->cnt[c].w[slot]);
		counted[c] = true;
		cn[c] = n;
	}
	for (int c = BC_LAT; c < BC__COUNT; c++)
		if (counted[c] && c != BC_QUAL)
			count_add(&m->cnt[c], slot, cn[c]);
	/* Rates. */
	for (int r = 0; r < BL_RATES; r++) {
		double k, n;
		baseline__rate_counts(hour, r, &k, &n);
		if (n > 0)
			rate_update(m, s, r, slot, k, n, m->cnt[rate_count(r)].w[slot]);
	}
	if (hour->requests > 0)
		count_add(&m->cnt[BC_REQ], slot, hour->requests);
	double qn = hour->quality_pass + hour->quality_fail;
	if (qn > 0)
		count_add(&m->cnt[BC_QUAL], slot, qn);
}

/* ---- weights and bands -------------------------------------------------- */

static double count_weight(const struct bl_count *c, const struct baseline_settings *s, int slot)
{
	double ww = s->warm_weeks > 0 ? fmin(1.0, c->w[slot] / s->warm_weeks) : 1.0;
	double n = c->n[slot];
	double wn = s->warm_samples > 0 ? n / (n + s->warm_samples) : (n > 0 ? 1.0 : 0.0);
	return ww * wn;
}

double baseline_slot_weight(const struct baseline_model *m, const struct baseline_settings *s,
                            enum baseline_metric mt, int slot)
{
	if (!metric_ok(mt))
		return 0;
	const struct bl_count *c = &m->cnt[metrics[mt].count];
	if (slot >= 0 && slot < BL_SLOTS)
		return count_weight(c, s, slot);
	double sum = 0;
	for (int i = 0; i < BL_SLOTS; i++)
		sum += count_weight(c, s, i);
	return sum / BL_SLOTS;
}

double baseline_warm_share(const struct baseline_model *m, const struct baseline_settings *s,
                           enum baseline_metric mt)
{
	if (!metric_ok(mt))
		return 0;
	int warm = 0;
	for (int i = 0; i < BL_SLOTS; i++)
		warm += baseline_slot_weight(m, s, mt, i) >= s->warm_weight;
	return (double)warm / BL_SLOTS;
}

double baseline_weeks_to_warm(const struct baseline_settings *s, double samples_per_hour)
{
	double d = exp2(-1.0 / s->season_half_life_weeks);
	double w = 0, n = 0;
	for (int week = 1; week <= 520; week++) {
		w = w * d + 1;
		n = n * d + samples_per_hour;
		double ww = s->warm_weeks > 0 ? fmin(1.0, w / s->warm_weeks) : 1.0;
		double wn = s->warm_samples > 0 ? n / (n + s->warm_samples) : 1.0;
		if (ww * wn >= s->warm_weight)
			return week;
	}
	return INFINITY;
}

double baseline_stat_expected(const struct baseline_model *m, int i, int slot, int64_t now)
{
	if (i < 0 || i >= BL_STATS || !m->stat[i].started)
		return NAN;
	const struct bl_stat *st = &m->stat[i];
	double e = st->level;
	if (m->learned_ms != INT64_MIN && now > m->learned_ms)
		e += st->trend * (double)(now - m->learned_ms) / (double)BL_WEEK_MS;
	if (slot >= 0 && slot < BL_SLOTS)
		e += st->season[slot];
	return e;
}

double baseline_series_rate(const struct baseline_model *m, enum baseline_metric mt)
{
	if (!metric_ok(mt) || metrics[mt].rate < 0)
		return NAN;
	const struct bl_count *c = &m->cnt[metrics[mt].count];
	return c->total > 0 ? m->rate[metrics[mt].rate].total / c->total : NAN;
}

/* The bar of a metric without a static threshold: the band edge widened by
 * 1/h, nothing judged below a weight of 0.05. */
static double widened(double e, double margin, double h, bool up)
{
	if (!(h >= 0.05))
		return up ? INFINITY : 0;
	return exp(up ? e + margin / h : e - margin / h);
}

void baseline_band_of(const struct baseline_model *m, const struct baseline_ctx *c,
                      enum baseline_metric mt, int q, int slot, int64_t now,
                      struct baseline_band *out)
{
	const struct baseline_settings *s = &c->s;
	double z = c->lim.z_between;
	bool up = baseline_metric_up(mt);
	out->expected = out->lo = out->hi = out->sigma = NAN;
	out->threshold = up ? INFINITY : 0;
	out->weight = 0;
	out->warm = false;
	if (!metric_ok(mt))
		return;
	bool seasonal = slot >= 0 && slot < BL_SLOTS;
	double h = baseline_slot_weight(m, s, mt, seasonal ? slot : -1);
	out->weight = h;
	out->warm = h >= s->warm_weight;
	if (metrics[mt].rate >= 0) {
		int r = metrics[mt].rate;
		double k_eff, n_eff;
		double p = baseline__slot_rate(m, s, r, seasonal ? slot : -1, true, &k_eff, &n_eff);
		double sig = sqrt(baseline__rate_var(m, s, r, seasonal ? slot : -1));
		double margin = z * sig;
		/* The rate itself is known only so well: its upper bound at z
		 * (Poisson, square-root scale) on the failures behind it, then
		 * the week-to-week margin. Ten failures do not pin a rate within
		 * 30%; none in 7000 requests still bounds it under 0.1%. */
		double bound = p;
		if (n_eff > 0) {
			double rk = sqrt(k_eff + 0.5) + 0.5 * z;
			bound = fmax(p, rk * rk / n_eff);
		}
		out->expected = p;
		out->sigma = sig;
		out->lo = p * exp(-margin);
		out->hi = fmin(1.0, bound * exp(margin));
		double p0 = c->st.soft_rate > 0 && c->st.soft_rate < 1
		                    ? exp(h * log(out->hi) + (1 - h) * log(c->st.soft_rate))
		                    : widened(log(p), margin, h, true);
		out->threshold = p0;
		return;
	}
	/* Holt-Winters metrics are seasonal: nothing is judged without a slot. */
	if (!seasonal)
		return;
	int i = metrics[mt].stat + (metrics[mt].kind == BK_QUANTILE ? (q == 2 ? 2 : 1) : 0);
	double stat_ms = NAN;
	if (mt == BM_LATENCY && ((q == 2 && c->st.latency_percentile == 99) ||
	                         (q != 2 && c->st.latency_percentile != 99)))
		stat_ms = c->st.latency_ms;
	if (!m->stat[i].started) {
		out->threshold = stat_ms > 0 ? stat_ms : up ? INFINITY : 0;
		out->weight = 0;
		out->warm = false;
		return;
	}
	/* The slot's season counts by its weight: shrinkage toward the series. */
	double e = baseline_stat_expected(m, i, -1, now) + h * m->stat[i].season[slot];
	double sig = sqrt(baseline__stat_var(m, s, i, slot));
	double margin = z * sig;
	out->expected = exp(e);
	out->sigma = sig;
	out->lo = exp(e - margin);
	out->hi = exp(e + margin);
	if (stat_ms > 0)
		out->threshold = exp(h * (e + margin) + (1 - h) * log(stat_ms));
	else
		out->threshold = widened(e, margin, h, up);
}

void baseline_slot_name(int slot, char *buf, size_t size)
{
	static const char *const days[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	if (slot < 0 || slot >= BL_SLOTS) {
		snprintf(buf, size, "any hour");
		return;
	}
	snprintf(buf, size, "%s %02d:00 UTC", days[slot / 24], slot % 24);
}

bool baseline_is_holiday(const struct baseline_settings *s, int64_t t)
{
	int64_t day = t >= 0 ? t / BL_DAY_MS : -((-t + BL_DAY_MS - 1) / BL_DAY_MS);
	for (size_t i = 0; i < s->n_holidays && i < BL_MAX_HOLIDAYS; i++)
		if (s->holidays[i] == day)
			return true;
	return false;
}
