/*
 * baseline_live.c: the live state of one series and detection against its
 * baseline (see baseline.h, "Judging").
 *
 * Per request: the request is folded into the open minute (core/rollup),
 * and the window of BL_WIN_BUCKETS buckets (a minute each for gateway
 * series, five for probes) reads its counts from there: a bucket holds what
 * its closed minutes counted (requests, failures of each rate metric, sums
 * of the mean metrics' logs, a coarse latency histogram: 4 lhist buckets
 * each, within 4%, for the observed quantile when a test fires), and the
 * open minute adds its own. Only the requests above the latency bars (p95
 * and p99, total and to the first token) are counted per request, in the
 * newest bucket. The bars are the slot's (baseline_band_of()), computed
 * once a minute, the more lenient of the slot and its neighbour near an
 * hour edge. A share test runs only when its failure count grew (with k
 * fixed, n KL(k/n || p0) falls as n grows), so a healthy request costs a
 * few compares; it runs on the whole window and on its newest bucket alone
 * (a step is not diluted by the window's older requests), each with its bar
 * from the budget. Mean metrics are judged when a minute ends.
 *
 * A test that fires marks the minute alarmed (not learned), and gives a
 * verdict at its onset and then every realert_ms while it keeps firing;
 * while a review waits, every firing folds into one "review waiting"
 * verdict every realert_ms. An availability test is silent while the error
 * type behind it fires on its own.
 */
#include "core/baseline.h"

#include "core/baseline_int.h"
#include "core/qrate.h"
#include "core/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Out of the per-request path: kept out of line, so the path stays small. */
#define COLD         __attribute__((noinline, cold))

#define COARSE_SHIFT 2
#define COARSE       ((LHIST_BUCKETS + (1 << COARSE_SHIFT) - 1) >> COARSE_SHIFT)

/* Window counters. */
enum {
	WC_N,     /* requests */
	WC_QN,    /* answers with a quality verdict */
	WC_LAT_N, /* successes with a latency */
	WC_EX95,  /* ... above the p95 bar */
	WC_EX99,
	WC_TTFT_N,
	WC_TEX95,
	WC_TEX99,
	WC_OTHER, /* errors of no judged type */
	WC_K0,    /* failures of rate metric r: WC_K0 + r */
	WC__COUNT = WC_K0 + BL_RATES
};
enum { WD_TPS_N, WD_TPS_S, WD_TPS_S2, WD_COST_N, WD_COST_S, WD_COST_S2, WD__COUNT };

struct wbucket {
	int64_t id; /* bucket number, INT64_MIN when empty */
	uint32_t c[WC__COUNT];
	double d[WD__COUNT];
	uint32_t lat_h[COARSE], ttft_h[COARSE];
};

/* The bars of the open minute. */
struct bars {
	int slot;                 /* hour of week */
	int nbr;                  /* the neighbouring slot that counts too, or -1 */
	bool holiday;             /* seasonal metrics off, rates against the series */
	double lat[2], ttft[2];   /* p95, p99 bars (ms) */
	double lat_min, ttft_min; /* the lower of each pair: below it, nothing to count */
	double p0[BL_RATES];
	double tps_lo, cost_hi; /* mean metrics' band edges */
};

struct baseline_series {
	struct rollup_series key;
	struct baseline_model model;
	struct rollup_acc acc;
	struct rollup closed_minute, closed_hour;
	int64_t minute_id; /* the minute the bars are for */
	int64_t bucket_id; /* the window's newest bucket */
	int64_t edge_ms;   /* the next minute's or bucket's start, whichever is first */
	struct bars bars;
	struct wbucket win[BL_WIN_BUCKETS]; /* only buckets within the window hold counts */
	struct wbucket *cur;                /* the newest */
	int64_t last_fire[BM__COUNT];       /* INT64_MIN: never */
	int64_t told[BM__COUNT];
	int64_t review_told;
	int64_t alarm_until; /* the last firing plus a window */
	/* Fed whole minutes by baseline_series_add_minute() (a provider's
	 * aggregate, from its aliases): judged when its minute ends. */
	bool derived;
	uint32_t minute_ex[4]; /* exceedances the open minute's merges added:
	                        * latency p95, p99, ttft p95, p99 */
};

static void bucket_clear(struct wbucket *b, int64_t id)
{
	memset(b, 0, sizeof(*b));
	b->id = id;
}

struct baseline_series *baseline_series_new(const struct rollup_series *key)
{
	struct baseline_series *bs = calloc(1, sizeof(*bs));
	if (!bs)
		return NULL;
	bs->key = *key;
	baseline_model_init(&bs->model, key);
	rollup_acc_init(&bs->acc);
	bs->minute_id = INT64_MIN;
	bs->bucket_id = INT64_MIN;
	bs->edge_ms = INT64_MIN;
	bs->cur = &bs->win[0];
	for (int i = 0; i < BL_WIN_BUCKETS; i++)
		bucket_clear(&bs->win[i], INT64_MIN);
	for (int m = 0; m < BM__COUNT; m++)
		bs->last_fire[m] = bs->told[m] = INT64_MIN;
	bs->review_told = INT64_MIN;
	bs->alarm_until = INT64_MIN;
	return bs;
}

size_t baseline_series_size(void)
{
	return sizeof(struct baseline_series);
}

void baseline_series_free(struct baseline_series *bs)
{
	free(bs);
}

const struct rollup_series *baseline_series_key(const struct baseline_series *bs)
{
	return &bs->key;
}

struct baseline_model *baseline_series_model(struct baseline_series *bs)
{
	return &bs->model;
}

static int64_t floordiv(int64_t t, int64_t d)
{
	int64_t q = t / d;
	return (t % d < 0) ? q - 1 : q;
}

static struct wbucket *bucket_at(struct baseline_series *bs, int64_t id)
{
	int64_t i = id % BL_WIN_BUCKETS;
	return &bs->win[i < 0 ? i + BL_WIN_BUCKETS : i];
}

/* What the open minute counted of window counter i (the requests above
 * the latency bars are counted in the newest bucket instead). */
static uint32_t open_count(const struct baseline_series *bs, int i)
{
	const struct rollup *m = &bs->acc.minute;
	double x = 0;
	switch (i) {
	case WC_N: x = m->requests; break;
	case WC_QN: x = m->quality_pass + m->quality_fail; break;
	case WC_LAT_N: x = m->latency.total; break;
	case WC_TTFT_N: x = m->ttft.total; break;
	case WC_OTHER: x = m->errors[RU_OTHER]; break;
	case WC_K0:
		for (int e = 0; e < RU_ERR__COUNT; e++)
			x += m->errors[e];
		break;
	case WC_K0 + 6: x = m->quality_fail; break;
	default:
		if (i > WC_K0 && i < WC_K0 + 6)
			x = m->errors[i - WC_K0 - 1]; /* 1..5: RU_RATE_LIMIT .. RU_INVALID */
		break;
	}
	return (uint32_t)x;
}

/* A counter over the window: its buckets and the open minute. */
static uint32_t wsum(const struct baseline_series *bs, int i)
{
	uint32_t n = open_count(bs, i);
	for (int j = 0; j < BL_WIN_BUCKETS; j++)
		n += bs->win[j].c[i];
	return n;
}

/* A counter over the newest bucket: its closed minutes and the open one. */
static uint32_t bsum(const struct baseline_series *bs, int i)
{
	return bs->cur->c[i] + open_count(bs, i);
}

static double dsum(const struct baseline_series *bs, int i)
{
	double x = 0;
	for (int j = 0; j < BL_WIN_BUCKETS; j++)
		x += bs->win[j].d[i];
	return x;
}

static int64_t bucket_ms(const struct baseline_ctx *c, enum obs_source src)
{
	/* Whole minutes: a minute closes into the bucket it belongs to. */
	int64_t b = c->s.bucket_s[src == OBS_PROBE ? OBS_PROBE : OBS_GATEWAY];
	b = b < 60 ? 60 : (b + 59) / 60 * 60;
	return b * 1000;
}

static int64_t window_ms(const struct baseline_ctx *c, enum obs_source src)
{
	return bucket_ms(c, src) * BL_WIN_BUCKETS;
}

bool baseline_series_alarmed(const struct baseline_series *bs, int64_t now)
{
	return bs->alarm_until != INT64_MIN && now <= bs->alarm_until;
}

/* ---- bars --------------------------------------------------------------- */

static double lenient(double a, double b, bool up)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return up ? fmax(a, b) : fmin(a, b);
}

static double bar_of(const struct baseline_series *bs, const struct baseline_ctx *c,
                     enum baseline_metric mt, int q, int64_t now)
{
	struct baseline_band b;
	bool up = baseline_metric_up(mt);
	int slot = bs->bars.holiday ? -1 : bs->bars.slot;
	baseline_band_of(&bs->model, c, mt, q, slot, now, &b);
	double t = b.threshold;
	if (bs->bars.nbr >= 0 && !bs->bars.holiday) {
		baseline_band_of(&bs->model, c, mt, q, bs->bars.nbr, now, &b);
		t = lenient(t, b.threshold, up);
	}
	return t;
}

static void compute_bars(struct baseline_series *bs, const struct baseline_ctx *c, int64_t now)
{
	struct bars *b = &bs->bars;
	b->slot = timeparse_hour_of_week(now);
	int64_t in_hour = now - floordiv(now, ROLLUP_HOUR_MS) * ROLLUP_HOUR_MS;
	int64_t edge = (int64_t)c->s.edge_minutes * 60000;
	int64_t win = window_ms(c, bs->key.source);
	b->nbr = -1;
	if (in_hour < (edge > win ? edge : win))
		b->nbr = (b->slot + BL_SLOTS - 1) % BL_SLOTS;
	else if (in_hour >= ROLLUP_HOUR_MS - edge)
		b->nbr = (b->slot + 1) % BL_SLOTS;
	b->holiday = baseline_is_holiday(&c->s, now);
	for (int q = 0; q < 2; q++) {
		b->lat[q] = bar_of(bs, c, BM_LATENCY, q + 1, now);
		b->ttft[q] = bar_of(bs, c, BM_TTFT, q + 1, now);
	}
	b->lat_min = fmin(b->lat[0], b->lat[1]);
	b->ttft_min = fmin(b->ttft[0], b->ttft[1]);
	for (int r = 0; r < BL_RATES; r++)
		b->p0[r] = bar_of(bs, c, (enum baseline_metric)(BM_AVAILABILITY + r), 0, now);
	b->tps_lo = bar_of(bs, c, BM_THROUGHPUT, 0, now);
	b->cost_hi = bar_of(bs, c, BM_COST, 0, now);
}

/* ---- verdicts ----------------------------------------------------------- */

static void fmt_ms(char *buf, size_t size, double ms, bool unit, bool secs)
{
	if (secs)
		snprintf(buf, size, ms < 99500 ? "%.1f%s" : "%.0f%s", ms / 1000.0,
		         unit ? " s" : "");
	else
		snprintf(buf, size, "%.0f%s", ms, unit ? " ms" : "");
}

static void fmt_pct(char *buf, size_t size, double x)
{
	double p = x * 100;
	snprintf(buf, size, p >= 9.95 ? "%.0f%%" : p >= 0.995 ? "%.1f%%" : "%.2f%%", p);
}

static const char *rate_label(enum baseline_metric mt)
{
	switch (mt) {
	case BM_AVAILABILITY: return "errors";
	case BM_RATE_LIMIT: return "rate limits";
	case BM_SERVER_ERROR: return "server errors";
	case BM_TIMEOUT: return "timeouts";
	case BM_CONTENT_FILTER: return "content-filter blocks";
	case BM_INVALID_REQUEST: return "invalid requests";
	default: return "quality failures";
	}
}

static void verdict_text(struct baseline_verdict *v)
{
	char slot[24], obs[24], usual[24], lo[24], hi[24];
	baseline_slot_name(v->slot, slot, sizeof(slot));
	bool known = isfinite(v->expected);
	enum baseline_kind kind = baseline_metric_kind(v->metric);
	if (kind == BK_QUANTILE) {
		bool secs = (known ? v->expected : v->observed) >= 1000;
		fmt_ms(obs, sizeof(obs), v->observed, true, v->observed >= 1000);
		const char *what = v->metric == BM_TTFT ? "first token " : "";
		const char *unit = v->metric == BM_TTFT ? "streamed" : "requests";
		if (known) {
			fmt_ms(usual, sizeof(usual), v->expected, true, secs);
			fmt_ms(lo, sizeof(lo), v->lo, false, secs);
			fmt_ms(hi, sizeof(hi), v->hi, false, secs);
			snprintf(v->text, sizeof(v->text),
			         "%sp%d %s, usual %s (%s-%s) for %s, %lld %s", what, v->percentile,
			         obs, usual, lo, hi, slot, (long long)v->n, unit);
		} else {
			fmt_ms(usual, sizeof(usual), v->threshold, true, v->threshold >= 1000);
			snprintf(v->text, sizeof(v->text),
			         "%sp%d %s, over the static bar %s (learning) for %s, %lld %s",
			         what, v->percentile, obs, usual, slot, (long long)v->n, unit);
		}
	} else if (kind == BK_RATE) {
		fmt_pct(obs, sizeof(obs), v->share);
		fmt_pct(usual, sizeof(usual), v->expected);
		fmt_pct(lo, sizeof(lo), v->lo);
		fmt_pct(hi, sizeof(hi), v->threshold);
		const char *of = v->metric == BM_QUALITY ? "answers" : "requests";
		if (v->weight >= 0.05)
			snprintf(v->text, sizeof(v->text),
			         "%s %s of %lld %s, usual %s (bar %s) for %s",
			         rate_label(v->metric), obs, (long long)v->n, of, usual, hi, slot);
		else
			snprintf(v->text, sizeof(v->text),
			         "%s %s of %lld %s, over the static bar %s (learning) for %s",
			         rate_label(v->metric), obs, (long long)v->n, of, hi, slot);
	} else if (v->metric == BM_THROUGHPUT) {
		snprintf(
		        v->text, sizeof(v->text),
		        "throughput %.0f tok/s, usual %.0f tok/s (%.0f-%.0f) for %s, %lld requests",
		        v->observed, v->expected, v->lo, v->hi, slot, (long long)v->n);
	} else {
		snprintf(v->text, sizeof(v->text),
		         "$%.4g per 1k tokens, usual $%.4g (%.4g-%.4g) for %s, %lld requests",
		         v->observed, v->expected, v->lo, v->hi, slot, (long long)v->n);
	}
}

static void review_text(const struct baseline_series *bs, struct baseline_verdict *v)
{
	const struct baseline_review *rv = &bs->model.review;
	char slot[24];
	baseline_slot_name(timeparse_hour_of_week(rv->at_ms), slot, sizeof(slot));
	int m = rv->metric >= 0 && rv->metric < BM__COUNT ? rv->metric : (int)v->metric;
	double pct = (exp(rv->delta[m]) - 1) * 100;
	snprintf(v->text, sizeof(v->text), "baseline review waiting: %s %+.0f%% since %s%s%s%s",
	         baseline_metric_name((enum baseline_metric)m), pct, slot, rv->model[0] ? " (" : "",
	         rv->model, rv->model[0] ? ")" : "");
}

/* The counts a test fired on, and whether on the newest bucket alone. */
struct hit {
	uint32_t n, k;
	bool recent;
};

/* The window's q-quantile of latency (ttft: the other histogram), from the
 * coarse histograms; NaN when empty. */
static double window_quantile(const struct baseline_series *bs, bool ttft, double q, bool recent)
{
	uint64_t h[COARSE] = { 0 }, total = 0;
	const struct lhist *open = ttft ? &bs->acc.minute.ttft : &bs->acc.minute.latency;
	for (int j = 0; j < LHIST_BUCKETS; j++)
		if (open->b[j] > 0) {
			h[j >> COARSE_SHIFT] += (uint64_t)open->b[j];
			total += (uint64_t)open->b[j];
		}
	for (int i = 0; i < BL_WIN_BUCKETS; i++) {
		if (bs->win[i].id == INT64_MIN || (recent && &bs->win[i] != bs->cur))
			continue;
		const uint32_t *src = ttft ? bs->win[i].ttft_h : bs->win[i].lat_h;
		for (int j = 0; j < COARSE; j++) {
			h[j] += src[j];
			total += src[j];
		}
	}
	if (!total)
		return NAN;
	double rank = q * (double)total, cum = 0;
	for (int j = 0; j < COARSE; j++) {
		cum += (double)h[j];
		if (cum > rank || j == COARSE - 1) {
			double mid = (double)(j << COARSE_SHIFT) + 0.5 * ((1 << COARSE_SHIFT) - 1);
			return LHIST_MIN * 2.0 * pow(LHIST_GAMMA, mid) / (LHIST_GAMMA + 1.0);
		}
	}
	return NAN;
}

static enum subtype dominant_error(const struct baseline_series *bs)
{
	static const enum subtype subs[BL_RATES] = { SUB_SERVER_ERROR,   SUB_RATE_LIMIT,
		                                     SUB_SERVER_ERROR,   SUB_TIMEOUT,
		                                     SUB_CONTENT_FILTER, SUB_INVALID_REQUEST,
		                                     SUB_REGRESSION };
	uint32_t best = wsum(bs, WC_OTHER);
	enum subtype sub = SUB_PROVIDER_OTHER;
	for (int r = 1; r <= 5; r++) {
		uint32_t k = wsum(bs, WC_K0 + r);
		if (k > best) {
			best = k;
			sub = subs[r];
		}
	}
	return sub;
}

/* A test fired: mark, and give a verdict unless one was given lately. */
static void fire(struct baseline_series *bs, const struct baseline_ctx *c, enum baseline_metric mt,
                 int q, double observed, double threshold, const struct hit *h, int64_t now,
                 struct baseline_out *out)
{
	int64_t win = window_ms(c, bs->key.source);
	bool onset = bs->last_fire[mt] == INT64_MIN || now - bs->last_fire[mt] > win;
	bs->last_fire[mt] = now;
	bs->alarm_until = now + win;
	bs->acc.minute.flags |= ROLLUP_F_ALARMED;
	bool review = bs->model.review.pending;
	if (review) {
		if (bs->review_told != INT64_MIN && now - bs->review_told < c->s.realert_ms)
			return;
		bs->review_told = now;
	} else {
		if (!onset && bs->told[mt] != INT64_MIN && now - bs->told[mt] < c->s.realert_ms)
			return;
		bs->told[mt] = now;
	}
	if (out->n_verdicts >= BL_MAX_VERDICTS)
		return;
	struct baseline_verdict *v = &out->v[out->n_verdicts++];
	memset(v, 0, sizeof(*v));
	v->kind = review ? BV_REVIEW_WAITING : BV_DEVIATION;
	v->metric = mt;
	baseline_metric_class(mt, &v->category, &v->subtype);
	if (mt == BM_AVAILABILITY)
		v->subtype = dominant_error(bs);
	v->series = bs->key;
	v->time_ms = now;
	v->slot = bs->bars.slot;
	v->n = h->n;
	v->k = h->k;
	v->share = h->n > 0 ? (double)h->k / (double)h->n : NAN;
	v->onset = onset;
	v->threshold = threshold;
	struct baseline_band b;
	baseline_band_of(&bs->model, c, mt, q, bs->bars.holiday ? -1 : bs->bars.slot, now, &b);
	v->expected = b.expected;
	v->lo = b.lo;
	v->hi = b.hi;
	v->weight = b.weight;
	if (baseline_metric_kind(mt) == BK_QUANTILE) {
		v->percentile = q == 2 ? 99 : 95;
		v->observed = window_quantile(bs, mt == BM_TTFT, q == 2 ? 0.99 : 0.95, h->recent);
	} else if (baseline_metric_kind(mt) == BK_RATE) {
		v->observed = v->share;
	} else {
		v->observed = observed;
	}
	if (review)
		review_text(bs, v);
	else
		verdict_text(v);
}

static bool share_over(const struct baseline_ctx *c, uint32_t n, uint32_t k, double p0, double bar)
{
	if (!(p0 < 1) || (int64_t)k < (int64_t)c->s.min_failures || (double)k <= p0 * (double)n)
		return false;
	return qrate_glr(n, k, p0) >= bar;
}

/* k of the window's n, or bk of its newest bucket's bn, over p0; *h: the
 * counts that fired. */
static bool share_test(const struct baseline_ctx *c, enum obs_source src, uint32_t n, uint32_t k,
                       uint32_t bn, uint32_t bk, double p0, struct hit *h)
{
	int i = src == OBS_PROBE ? OBS_PROBE : OBS_GATEWAY;
	if (share_over(c, n, k, p0, c->lim.glr[i])) {
		*h = (struct hit){ n, k, false };
		return true;
	}
	if (bn < n && share_over(c, bn, bk, p0, c->lim.glr_recent[i])) {
		*h = (struct hit){ bn, bk, true };
		return true;
	}
	return false;
}

/* ---- the window ---------------------------------------------------------- */

static void window_advance(struct baseline_series *bs, int64_t id)
{
	for (int i = 0; i < BL_WIN_BUCKETS; i++)
		if (bs->win[i].id != INT64_MIN && bs->win[i].id <= id - BL_WIN_BUCKETS)
			bucket_clear(&bs->win[i], INT64_MIN);
	struct wbucket *b = bucket_at(bs, id);
	bucket_clear(b, id);
	bs->bucket_id = id;
}

/* The open minute's counts go to the bucket it belongs to (the newest). */
static void close_minute(struct baseline_series *bs)
{
	struct wbucket *b = bs->cur;
	const struct rollup *m = &bs->acc.minute;
	if (!(m->requests > 0))
		return;
	for (int i = 0; i < WC__COUNT; i++)
		b->c[i] += open_count(bs, i);
	b->d[WD_TPS_N] += m->tps_n;
	b->d[WD_TPS_S] += m->tps_log;
	b->d[WD_TPS_S2] += m->tps_log2;
	b->d[WD_COST_N] += m->cost_n;
	b->d[WD_COST_S] += m->cost_log;
	b->d[WD_COST_S2] += m->cost_log2;
	for (int j = 0; j < LHIST_BUCKETS; j++) {
		if (m->latency.b[j] > 0)
			b->lat_h[j >> COARSE_SHIFT] += (uint32_t)m->latency.b[j];
		if (m->ttft.b[j] > 0)
			b->ttft_h[j >> COARSE_SHIFT] += (uint32_t)m->ttft.b[j];
	}
}

/* The mean metrics, over the window, when a minute ends. */
static void judge_means(struct baseline_series *bs, const struct baseline_ctx *c, int64_t now,
                        struct baseline_out *out)
{
	int src = bs->key.source == OBS_PROBE ? OBS_PROBE : OBS_GATEWAY;
	double z = c->lim.z_sample[src];
	for (int j = 0; j < 2; j++) {
		double n = dsum(bs, j ? WD_COST_N : WD_TPS_N);
		if (!(n >= c->s.min_mean_window) || n < 2)
			continue;
		double sum = dsum(bs, j ? WD_COST_S : WD_TPS_S);
		double sum2 = dsum(bs, j ? WD_COST_S2 : WD_TPS_S2);
		double mean = sum / n;
		double var = fmax(0.0, (sum2 - n * mean * mean) / (n - 1));
		double se = sqrt(var / n);
		struct hit h = { (uint32_t)n, 0, false };
		if (j == 0) {
			double lo = bs->bars.tps_lo;
			if (!(lo > 0))
				continue;
			double bar = log(lo) - z * se;
			if (mean < bar)
				fire(bs, c, BM_THROUGHPUT, 0, exp(mean), exp(bar), &h, now, out);
		} else {
			double hi = bs->bars.cost_hi;
			if (!isfinite(hi))
				continue;
			double bar = log(hi) + z * se;
			if (mean > bar)
				fire(bs, c, BM_COST, 0, exp(mean), exp(bar), &h, now, out);
		}
	}
}

static void judge_quality(struct baseline_series *bs, const struct baseline_ctx *c, int64_t now,
                          struct baseline_out *out);

/* A derived series at the end of its minute: the share tests a request
 * would have run, once, for what the minute's merges added (a test runs
 * only when its failures grew). */
COLD static void judge_minute(struct baseline_series *bs, const struct baseline_ctx *c, int64_t now,
                              struct baseline_out *out)
{
	enum obs_source src = bs->key.source;
	uint32_t n = wsum(bs, WC_N), bn = bsum(bs, WC_N);
	struct hit h;
	bool typed = false;
	for (int r = 1; r <= 5; r++) {
		if (!open_count(bs, WC_K0 + r))
			continue;
		if (share_test(c, src, n, wsum(bs, WC_K0 + r), bn, bsum(bs, WC_K0 + r),
		               bs->bars.p0[r], &h)) {
			fire(bs, c, (enum baseline_metric)(BM_AVAILABILITY + r), 0, NAN,
			     bs->bars.p0[r], &h, now, out);
			typed = true;
		}
	}
	if (!typed && open_count(bs, WC_K0) &&
	    share_test(c, src, n, wsum(bs, WC_K0), bn, bsum(bs, WC_K0), bs->bars.p0[0], &h)) {
		int64_t win = window_ms(c, src);
		bool quiet = true;
		for (int t = BM_RATE_LIMIT; t <= BM_INVALID_REQUEST; t++)
			if (bs->last_fire[t] != INT64_MIN && now - bs->last_fire[t] <= win)
				quiet = false;
		if (quiet)
			fire(bs, c, BM_AVAILABILITY, 0, NAN, bs->bars.p0[0], &h, now, out);
	}
	if (open_count(bs, WC_K0 + 6))
		judge_quality(bs, c, now, out);
	for (int t = 0; t < 2; t++) {
		const uint32_t *ex = &bs->minute_ex[2 * t];
		if (!ex[0] && !ex[1])
			continue;
		int wn = t ? WC_TTFT_N : WC_LAT_N;
		const double *bar = t ? bs->bars.ttft : bs->bars.lat;
		uint32_t wn_n = wsum(bs, wn);
		bool p99 = wn_n >= (uint32_t)c->s.p99_min_window && isfinite(bar[1]);
		int wk = t ? (p99 ? WC_TEX99 : WC_TEX95) : (p99 ? WC_EX99 : WC_EX95);
		if (ex[p99 ? 1 : 0] && share_test(c, src, wn_n, wsum(bs, wk), bsum(bs, wn),
		                                  bsum(bs, wk), p99 ? 0.01 : 0.05, &h))
			fire(bs, c, t ? BM_TTFT : BM_LATENCY, p99 ? 2 : 1, NAN, bar[p99 ? 1 : 0],
			     &h, now, out);
	}
	memset(bs->minute_ex, 0, sizeof(bs->minute_ex));
}

/* Move to now (at or past edge_ms): judge the mean metrics and close
 * rollups when a minute ends, recompute the bars, advance the window. */
COLD static void advance(struct baseline_series *bs, const struct baseline_ctx *c, int64_t now,
                         struct baseline_out *out)
{
	int64_t minute = floordiv(now, ROLLUP_MINUTE_MS);
	if (minute > bs->minute_id) {
		if (bs->derived && bs->minute_id != INT64_MIN)
			judge_minute(bs, c, bs->minute_id * ROLLUP_MINUTE_MS + ROLLUP_MINUTE_MS - 1,
			             out);
		if (bs->minute_id != INT64_MIN)
			close_minute(bs);
		int cl = rollup_roll(&bs->acc, now, &bs->closed_minute, &bs->closed_hour);
		out->closed |= cl;
		if (cl & ROLLUP_CLOSED_MINUTE)
			out->minute = &bs->closed_minute;
		if (cl & ROLLUP_CLOSED_HOUR)
			out->hour = &bs->closed_hour;
		if (bs->minute_id != INT64_MIN)
			judge_means(bs, c, now, out);
		bs->minute_id = minute;
		compute_bars(bs, c, now);
		if (bs->model.review.pending)
			bs->acc.minute.flags |= ROLLUP_F_REVIEW;
	}
	int64_t bms = bucket_ms(c, bs->key.source);
	int64_t id = floordiv(now, bms);
	if (id > bs->bucket_id)
		window_advance(bs, id);
	bs->cur = bucket_at(bs, bs->bucket_id);
	int64_t e1 = (bs->minute_id + 1) * ROLLUP_MINUTE_MS, e2 = (bs->bucket_id + 1) * bms;
	bs->edge_ms = e1 < e2 ? e1 : e2;
}

static void out_init(struct baseline_out *out)
{
	out->closed = 0;
	out->minute = out->hour = NULL;
	out->n_verdicts = 0;
}

void baseline_series_tick(struct baseline_series *bs, const struct baseline_ctx *c, int64_t now,
                          struct baseline_out *out)
{
	out_init(out);
	if (now >= bs->edge_ms)
		advance(bs, c, now, out);
}

void baseline_series_restore_minute(struct baseline_series *bs, const struct rollup *m)
{
	int64_t hour = floordiv(m->start_ms, ROLLUP_HOUR_MS) * ROLLUP_HOUR_MS;
	struct rollup_acc *a = &bs->acc;
	if (!a->open) {
		rollup_init(&a->hour, hour, ROLLUP_HOUR_MS);
		a->open = true;
	}
	if (a->hour.start_ms != hour || m->start_ms < a->minute.start_ms)
		return;
	rollup_merge(&a->hour, m);
	/* The next feed closes this (empty) minute and keeps the hour open. */
	rollup_init(&a->minute, m->start_ms, ROLLUP_MINUTE_MS);
	memcpy(a->minute.model, a->hour.model, sizeof(a->minute.model));
}

void baseline_series_set_derived(struct baseline_series *bs, bool derived)
{
	bs->derived = derived;
}

/* Requests of a minute's histogram above a bar (the bar's own bucket not
 * counted: a slight undercount, never an overcount). */
static uint32_t above(const struct lhist *h, double bar)
{
	if (!(h->total > 0) || !isfinite(bar))
		return 0;
	double n = 0;
	for (size_t j = lhist_index(bar) + 1; j < LHIST_BUCKETS; j++)
		n += h->b[j];
	return (uint32_t)n;
}

void baseline_series_add_minute(struct baseline_series *bs, const struct baseline_ctx *c,
                                const struct rollup *minute, struct baseline_out *out)
{
	out_init(out);
	if (minute->start_ms >= bs->edge_ms)
		advance(bs, c, minute->start_ms, out);
	struct rollup *m = &bs->acc.minute;
	uint32_t flags = m->flags;
	rollup_merge(m, minute);
	/* An aggregate has no model versions: an alias's marker is its own. */
	m->flags = flags | (minute->flags & ~ROLLUP_F_MARKER);
	m->model[0] = '\0';
	uint32_t ex[4] = { above(&minute->latency, bs->bars.lat[0]),
		           above(&minute->latency, bs->bars.lat[1]),
		           above(&minute->ttft, bs->bars.ttft[0]),
		           above(&minute->ttft, bs->bars.ttft[1]) };
	static const int wc[4] = { WC_EX95, WC_EX99, WC_TEX95, WC_TEX99 };
	for (int i = 0; i < 4; i++) {
		bs->cur->c[wc[i]] += ex[i];
		bs->minute_ex[i] += ex[i];
	}
}

/* Rate index of an error type (RU_RATE_LIMIT .. RU_INVALID: 1 .. 5), or 0. */
static int err_rate(int err)
{
	return err >= RU_RATE_LIMIT && err <= RU_INVALID ? err + 1 : 0;
}

/* An error: its type's test, then availability's unless the type fired. */
COLD static void judge_error(struct baseline_series *bs, const struct baseline_ctx *c, int err,
                             int64_t now, struct baseline_out *out)
{
	enum obs_source src = bs->key.source;
	int r = err_rate(err);
	uint32_t n = wsum(bs, WC_N), bn = bsum(bs, WC_N);
	struct hit h;
	if (r && share_test(c, src, n, wsum(bs, WC_K0 + r), bn, bsum(bs, WC_K0 + r), bs->bars.p0[r],
	                    &h)) {
		fire(bs, c, (enum baseline_metric)(BM_AVAILABILITY + r), 0, NAN, bs->bars.p0[r], &h,
		     now, out);
		return;
	}
	if (!share_test(c, src, n, wsum(bs, WC_K0), bn, bsum(bs, WC_K0), bs->bars.p0[0], &h))
		return;
	/* Silent while the error type behind it fires on its own. */
	int64_t win = window_ms(c, src);
	for (int t = BM_RATE_LIMIT; t <= BM_INVALID_REQUEST; t++)
		if (bs->last_fire[t] != INT64_MIN && now - bs->last_fire[t] <= win)
			return;
	fire(bs, c, BM_AVAILABILITY, 0, NAN, bs->bars.p0[0], &h, now, out);
}

/* A latency (total, or to the first token) over the lower of its bars:
 * p99 is judged with p99_min_window requests in the window, p95 below. */
COLD static void judge_latency(struct baseline_series *bs, const struct baseline_ctx *c,
                               struct wbucket *b, bool ttft, double x, int64_t now,
                               struct baseline_out *out)
{
	int wn = ttft ? WC_TTFT_N : WC_LAT_N;
	int w95 = ttft ? WC_TEX95 : WC_EX95, w99 = ttft ? WC_TEX99 : WC_EX99;
	const double *bar = ttft ? bs->bars.ttft : bs->bars.lat;
	bool e95 = x > bar[0], e99 = x > bar[1];
	b->c[w95] += e95;
	b->c[w99] += e99;
	uint32_t n = wsum(bs, wn);
	bool p99 = n >= (uint32_t)c->s.p99_min_window && isfinite(bar[1]);
	int wk = p99 ? w99 : w95;
	struct hit h;
	if ((p99 ? e99 : e95) && share_test(c, bs->key.source, n, wsum(bs, wk), bsum(bs, wn),
	                                    bsum(bs, wk), p99 ? 0.01 : 0.05, &h))
		fire(bs, c, ttft ? BM_TTFT : BM_LATENCY, p99 ? 2 : 1, NAN, bar[p99 ? 1 : 0], &h,
		     now, out);
}

COLD static void judge_quality(struct baseline_series *bs, const struct baseline_ctx *c,
                               int64_t now, struct baseline_out *out)
{
	struct hit h;
	if (share_test(c, bs->key.source, wsum(bs, WC_QN), wsum(bs, WC_K0 + 6), bsum(bs, WC_QN),
	               bsum(bs, WC_K0 + 6), bs->bars.p0[6], &h))
		fire(bs, c, BM_QUALITY, 0, NAN, bs->bars.p0[6], &h, now, out);
}

void baseline_series_quality(struct baseline_series *bs, const struct baseline_ctx *c, double pass,
                             int64_t now, struct baseline_out *out)
{
	out_init(out);
	if (pass != 1.0 && pass != 0.0)
		return;
	if (now >= bs->edge_ms)
		advance(bs, c, now, out);
	if (pass == 1.0) {
		bs->acc.minute.quality_pass += 1;
	} else {
		bs->acc.minute.quality_fail += 1;
		judge_quality(bs, c, now, out);
	}
}

void baseline_series_feed(struct baseline_series *bs, const struct baseline_ctx *c,
                          const struct rollup_sample *s, bool aggregate, int64_t now,
                          struct baseline_out *out)
{
	out_init(out);
	if (now >= bs->edge_ms)
		advance(bs, c, now, out);
	if (!aggregate)
		rollup_note_model(&bs->acc, s->model);
	rollup_add(&bs->acc.minute, s);
	/* A test runs only when its failures grew. */
	if (s->err >= 0)
		judge_error(bs, c, s->err, now, out);
	if (s->latency_ms > bs->bars.lat_min)
		judge_latency(bs, c, bs->cur, false, s->latency_ms, now, out);
	if (s->ttft_ms > bs->bars.ttft_min)
		judge_latency(bs, c, bs->cur, true, s->ttft_ms, now, out);
	if (s->quality == 0.0)
		judge_quality(bs, c, now, out);
}
