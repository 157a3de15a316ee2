/*
 * baseline.h: the learned normal of each series (core/rollup) for every hour
 * of the week, and detection against it: the residual over the baseline
 * (docs/baselines.md explains the model with a worked example).
 *
 * Metrics, per series:
 *   latency, ttft      quantile metrics: ln p50/p95/p99 of each hour, from
 *                      the hour's log-latency histogram (as observed, no
 *                      lognormal assumption); judged upward: the share of a
 *                      window's requests above the slot's p95 bar (p99 with
 *                      >= p99_min_window requests in the window)
 *   availability, rate_limit, server_error, timeout, content_filter,
 *   invalid_request, quality
 *                      rate metrics: a share of requests (errors of any type,
 *                      of one type, quality failures); judged upward
 *   throughput, cost   mean metrics: the geometric mean of completion tokens
 *                      per second (judged downward) and of $ per 1k tokens
 *                      (judged upward)
 *
 * The model (struct baseline_model, one per series):
 *   - quantile and mean metrics: additive Holt-Winters in log space with a
 *     period of 168 hours (hour of week, UTC): a level with a trend (per
 *     week, learned at each refresh) and 168 seasonal indices renormalised
 *     to sum to zero after every update, so a shift moves the level and not
 *     the seasons too; the update unit is one hourly aggregate of its slot;
 *   - rate metrics: decayed counts per slot; a slot's rate is its counts
 *     shrunk toward a prior worth rate_prior_requests requests, the prior
 *     being the neighbouring slots' counts shrunk toward the series rate
 *     (qrate_posterior() twice);
 *   - per slot and statistic, the week-to-week variance of its residual
 *     (the sampling part of an hour's statistic removed), shrunk toward the
 *     pooled variance of the statistic (rates: of the metric, itself shrunk
 *     toward the series' pool over every rate metric, so an error type
 *     that never fails borrows how the others vary) and floored;
 *   - per slot and metric, decayed weeks and samples learned: its weight
 *     h = min(1, weeks / warm_weeks) * samples / (samples + warm_samples);
 *     the slot is warm when h >= warm_weight.
 * Smoothing is given as half-lives in weeks (season 4, level 8).
 *
 * Learning happens in the weekly refresh (baseline_refresh()), from the
 * hourly rollups of the week, in time order. Residuals are clipped at
 * clip_sigmas before they are learned; hours flagged alarmed or under
 * review, and holidays, are not learned. The refresh classifies each
 * metric's change over the week: drift (absorbed by the level) or a step
 * (above all near a model-version marker), which becomes a review item;
 * while it waits the series learns nothing and its alerts fold into one
 * "review waiting" verdict; accept absorbs the step, reject keeps the old
 * baseline.
 *
 * Judging (baseline_series_feed(), per request, in core/baseline_live.c):
 * every test is a one-sided share test: k of the window's n requests are
 * failures (errors of a type, requests above the latency bar, ...), judged
 * with the generalised likelihood ratio n KL(k/n || p0) (qrate_glr())
 * against a null share p0 at the top of the slot's week-to-week band; mean
 * metrics are judged once a minute with a band widened by the window's
 * standard error. During a slot's first weeks the bar is a weighted blend
 * (in log space) of the learned one and the static thresholds of
 * core/settings (latency_ms at its percentile, soft_rate for shares), by the
 * slot's weight h; metrics without a static threshold widen their band by
 * 1/h instead. At an hour edge the neighbouring slot's bar counts too (the
 * more lenient wins): business hours move with daylight saving time while
 * slots stay in UTC.
 *
 * The false-alarm budget (baseline_limits_derive()): false_events_per_week
 * over all series and tests, split between week-to-week excursions (a
 * slot's true value beyond its band for an hour) and sampling (a window's
 * share over p0 by chance); each test's threshold is derived from its share
 * of the budget. The derivation is in docs/baselines.md and at
 * baseline_limits_derive().
 *
 * Everything here is pure: time comes in as an argument (ms since the
 * epoch), holidays as data; nothing reads the clock. struct baseline_model
 * is a value type without pointers (about 38 KB): the refresh may work on a
 * copy on another thread and hand it back.
 */
#ifndef VIGIL_CORE_BASELINE_H
#define VIGIL_CORE_BASELINE_H

#include "core/rollup.h"
#include "core/settings.h"

#define BL_SLOTS        168
#define BL_WEEK_MS      (168LL * 3600000LL)
#define BL_DAY_MS       86400000LL
#define BL_MAX_HOLIDAYS 64
#define BL_WIN_BUCKETS  6 /* a window is this many buckets (a minute for gateway series) */

enum baseline_metric {
	BM_LATENCY,
	BM_TTFT,
	BM_AVAILABILITY, /* share of errors of any type */
	BM_RATE_LIMIT,
	BM_SERVER_ERROR,
	BM_TIMEOUT,
	BM_CONTENT_FILTER,
	BM_INVALID_REQUEST,
	BM_QUALITY, /* share of quality failures among measured answers */
	BM_THROUGHPUT,
	BM_COST,
	BM__COUNT
};

#define BL_RATES 7 /* BM_AVAILABILITY .. BM_QUALITY */
#define BL_STATS 8 /* latency p50/p95/p99, ttft p50/p95/p99, throughput, cost */

enum baseline_kind { BK_QUANTILE, BK_RATE, BK_MEAN };

enum baseline_kind baseline_metric_kind(enum baseline_metric m);

/* "latency", "ttft", "availability", "rate_limit", "server_error",
 * "timeout", "content_filter", "invalid_request", "quality", "throughput",
 * "cost". Static. */
const char *baseline_metric_name(enum baseline_metric m);

/* The metric named s[0..len) (len (size_t)-1: NUL-terminated), or -1. */
int baseline_metric_parse(const char *s, size_t len);

/* The failure category and subtype a deviation of m is reported as:
 * PROVIDER/latency (latency, ttft, throughput), PROVIDER/rate_limit,
 * server_error, timeout, content_filter, invalid_request, QUALITY/regression,
 * COST/retry_storm (more $ per token than usual: cost efficiency with the
 * retry overhead counted in). Availability takes the
 * subtype of the error type most frequent in the window
 * (baseline_live.c); alone it is PROVIDER/server_error. */
void baseline_metric_class(enum baseline_metric m, enum category *cat, enum subtype *sub);

/* True when a rise is the bad direction (all but throughput). */
bool baseline_metric_up(enum baseline_metric m);

/* Settings; app/config fills them from `baselines:` (docs/baselines.md). */
struct baseline_settings {
	bool enabled;
	double season_half_life_weeks; /* 4 */
	double level_half_life_weeks;  /* 8: level, trend, series rates */
	double false_events_per_week;  /* 1: the whole deployment's budget */
	double between_share;          /* 0.5: of the budget, for week-to-week excursions */
	double sigma_floor[3];         /* by enum baseline_kind: 0.05, 0.10, 0.05 (ln units) */
	double sigma_prior[3];         /* before any slot has a variance: 0.30, 0.50, 0.30 */
	double variance_prior_weeks;   /* 2: the pooled variance is worth this many weeks */
	double rate_prior_requests;    /* 100: N of a slot rate's prior */
	double rate_floor;             /* 0.001: no slot rate is judged below this */
	int32_t min_failures;          /* 2: failures needed in a window */
	double clip_sigmas;            /* 3: residuals clipped here before learning */
	double warm_weeks;             /* 2 */
	double warm_samples;           /* 60 */
	double warm_weight;            /* 0.75: a slot with this weight is warm */
	int32_t bucket_s[2];           /* window bucket by enum obs_source: 60 s, 300 s */
	double max_rps[2];             /* most requests/s a series sees: 1000, 1 */
	int32_t edge_minutes;          /* 15: the neighbouring slot counts this close to an edge */
	int32_t min_hour_samples;      /* 10: an hour's p50/p95/mean is learned from this many */
	int32_t min_hour_samples_p99;  /* 100 */
	int32_t p99_min_window;        /* 200: p99 judged with this many requests in a window */
	int32_t min_mean_window;       /* 10: mean metrics judged with this many */
	double step_min;               /* 0.2: ln step size below which a change is drift */
	double step_min_marker;        /* 0.1: the same near a model-version marker */
	double step_z;                 /* 6: a step's significance, in standard errors */
	double step_z_marker;          /* 4: near a marker */
	int32_t marker_hours;          /* 12: a marker this close to a step is "near" */
	double drift_min;              /* 0.005: ln level change per week reported as drift */
	double trend_max;              /* 0.1: |trend| cap, ln per week */
	int32_t refresh_weekday;       /* 0 = Monday .. 6 = Sunday (UTC) */
	int32_t refresh_hour;          /* 0..23 UTC */
	int64_t realert_ms;            /* 300000: a firing test repeats its verdict this often */
	int32_t holidays[BL_MAX_HOLIDAYS]; /* days since 1970-01-01 (UTC) */
	size_t n_holidays;
};

/* The defaults above. */
void baseline_defaults(struct baseline_settings *s);

/* What a cold slot is judged against: today's static thresholds. */
struct baseline_static {
	double latency_ms;          /* the latency bar ... */
	int32_t latency_percentile; /* ... at this percentile (95 or 99) */
	double soft_rate;           /* the share bar of every rate metric */
};

/* From core_settings (thresholds.latency_ms, latency_percentile, soft_rate). */
void baseline_static_from(const struct core_settings *cs, struct baseline_static *st);

/* The thresholds the budget gives (baseline_limits_derive()). */
struct baseline_limits {
	double tests;           /* tests in the deployment */
	double z_between;       /* the band's half-width in week-to-week sigmas */
	double alpha[2];        /* by source: false-alarm probability of one window */
	double glr[2];          /* by source: the share tests' bar on n KL(k/n || p0) */
	double alpha_recent[2]; /* the same for the newest bucket alone */
	double glr_recent[2];
	double z_sample[2];  /* by source: the mean tests' standard-error margin */
	double window_ms[2]; /* by source: window length */
};

/* Tests one series runs (latency p95 and p99, ttft p95 and p99, 7 rates,
 * throughput, cost). */
#define BL_TESTS_PER_SERIES 13

/*
 * Derive the limits from the budget B = false_events_per_week for a
 * deployment of gateway_series + probe_series series (K tests in all, 13 a
 * series):
 *   - week-to-week: each test's slot-hours (168 K a week) may each be beyond
 *     the band by chance: z_between = Phi^-1(1 - between_share B / (168 K));
 *   - sampling: a share test runs on the window (W = 6 buckets, 2 week / W
 *     overlapping windows a week) and on its newest bucket alone (a step
 *     is not diluted by the window's older requests; week / bucket disjoint
 *     buckets a week), after every request; each gets half of the rest of
 *     the budget: alpha = (1 - between_share) B / (2 K * windows a week),
 *     and the GLR bar c is the least with e * ceil(c ln N) * exp(-c) <=
 *     alpha (Garivier and Cappé's bound on P(exists n <= N: n KL(k/n || p0)
 *     >= c) for Bernoulli draws at most p0; N = max_rps * the span, >= 2);
 *   - mean tests are judged once a minute: z_sample = Phi^-1(1 - alpha') with
 *     alpha' = (1 - between_share) B / (K * minutes of a week).
 * Returns 0, or VG_EINVAL for a budget or share out of range.
 */
int baseline_limits_derive(const struct baseline_settings *s, size_t gateway_series,
                           size_t probe_series, struct baseline_limits *out);

/* Everything the judging functions read, set up once (and on reload). */
struct baseline_ctx {
	struct baseline_settings s;
	struct baseline_static st;
	struct baseline_limits lim;
};

/* Fill *c: copies s and st, derives the limits. Returns as
 * baseline_limits_derive(). */
int baseline_ctx_init(struct baseline_ctx *c, const struct baseline_settings *s,
                      const struct baseline_static *st, size_t gateway_series, size_t probe_series);

/* ---- the model ---------------------------------------------------------- */

/* One Holt-Winters statistic, ln units. */
struct bl_stat {
	double level;
	double trend;  /* per week */
	double pooled; /* pooled week-to-week variance (recomputed when learning) */
	int32_t started;
	float season[BL_SLOTS];
	float var[BL_SLOTS]; /* week-to-week variance of the residual, sampling part removed
	                      * (an unbiased estimate: may be slightly negative) */
	float vw[BL_SLOTS];  /* decayed weeks of variance samples */
};

/* What a metric's slots have learned: decayed weeks and samples. */
struct bl_count {
	double total; /* decayed samples over the series (level half-life) */
	float w[BL_SLOTS];
	float n[BL_SLOTS];
};

/* A rate metric's failures (its samples are its bl_count). */
struct bl_rate {
	double total;  /* decayed failures over the series */
	double pooled; /* the slots' variances, weighted by pw: sum vw var / pw (NaN: none) */
	double pw;     /* sum vw */
	float k[BL_SLOTS];
	float var[BL_SLOTS]; /* ln rate */
	float vw[BL_SLOTS];
};

/* A change waiting for an operator's decision. */
struct baseline_review {
	bool pending;
	int32_t metric;           /* the metric with the largest step */
	uint32_t mask;            /* 1 << metric for every metric that stepped */
	double delta[BM__COUNT];  /* ln size of each step */
	double z;                 /* the largest step's significance */
	int64_t at_ms;            /* the hour it starts */
	int64_t created_ms;       /* the refresh that found it */
	bool near_marker;         /* a model-version marker within marker_hours */
	char model[VG_MODEL_MAX]; /* the version seen after it ("" when none) */
};

/* Counts index: which bl_count a metric's samples are in. */
enum bl_count_id { BC_REQ, BC_LAT, BC_TTFT, BC_QUAL, BC_TPS, BC_COST, BC__COUNT };

/* Fields belong to core/baseline; read them through the functions below
 * (tests and the blob codec excepted). */
struct baseline_model {
	struct rollup_series key;
	int64_t learned_ms; /* end of the newest hour learned, INT64_MIN before */
	int64_t decayed_ms; /* the time slot weights were decayed to, INT64_MIN before */
	int32_t refreshes;  /* refreshes that learned something */
	struct bl_count cnt[BC__COUNT];
	struct bl_stat stat[BL_STATS];
	struct bl_rate rate[BL_RATES];
	struct baseline_review review;
};

/* An empty model of series key. */
void baseline_model_init(struct baseline_model *m, const struct rollup_series *key);

/* Decay every slot weight and count to time t (weeks since the last decay,
 * with the season half-life; series totals with the level half-life). */
void baseline_model_decay(struct baseline_model *m, const struct baseline_settings *s, int64_t t);

/* Learn one hourly rollup (its slot from hour->start_ms), whatever its flags
 * (baseline_refresh() decides what is learned): clip, Holt-Winters update
 * with renormalised seasons, variances, counts. The level first advances by
 * its trend from the last hour learned. */
void baseline_learn_hour(struct baseline_model *m, const struct baseline_settings *s,
                         const struct rollup *hour);

/* A slot's weight h (0..1) for metric mt (see the top of this file). */
double baseline_slot_weight(const struct baseline_model *m, const struct baseline_settings *s,
                            enum baseline_metric mt, int slot);

/* Share of the 168 slots of mt that are warm (h >= warm_weight): "learning:
 * 37% of slots warm". */
double baseline_warm_share(const struct baseline_model *m, const struct baseline_settings *s,
                           enum baseline_metric mt);

/* Weeks of steady traffic at samples_per_hour until a slot is warm (probe
 * series, about 60 an hour, need more than gateway series); +inf when it
 * never warms (too few samples for the decay to reach warm_weight). */
double baseline_weeks_to_warm(const struct baseline_settings *s, double samples_per_hour);

/* What a window of metric mt at slot is judged against. Values are in the
 * metric's unit: ms, a share (0..1), tokens/s, $ per 1k tokens. */
struct baseline_band {
	double expected;  /* the slot's usual value (after shrinkage), NaN when unknown */
	double lo, hi;    /* the week-to-week band: expected * exp(-+ z_between sigma) */
	double threshold; /* the bar: the band edge blended with the static bar by weight;
	                   * +inf (or 0 for throughput) when nothing is judged */
	double sigma;     /* week-to-week sigma, ln units (shrunk, floored) */
	double weight;    /* the slot's weight h */
	bool warm;
};

/* The band of mt at slot at time now (the trend extrapolated to now). For
 * quantile metrics q is 1 (p95) or 2 (p99); otherwise 0. For rates
 * threshold is p0. Uses the static bars of c when the slot is cold. */
void baseline_band_of(const struct baseline_model *m, const struct baseline_ctx *c,
                      enum baseline_metric mt, int q, int slot, int64_t now,
                      struct baseline_band *out);

/* The expected ln value of statistic i (0..BL_STATS-1) at slot and time now,
 * unshrunk (level + trend + season); NaN before it started. */
double baseline_stat_expected(const struct baseline_model *m, int i, int slot, int64_t now);

/* The series rate of rate metric mt (decayed failures / samples), NaN when
 * none. */
double baseline_series_rate(const struct baseline_model *m, enum baseline_metric mt);

/* "Tue 03:00 UTC" of slot (0 = Monday 00:00) into buf (>= 16 bytes). */
void baseline_slot_name(int slot, char *buf, size_t size);

/* Whether the UTC day of t is in s's holidays. */
bool baseline_is_holiday(const struct baseline_settings *s, int64_t t);

/* ---- detection (core/baseline_live.c) ----------------------------------- */

enum baseline_verdict_kind {
	BV_DEVIATION,      /* a metric outside its band */
	BV_REVIEW_WAITING, /* the series' alerts, folded while a review waits */
};

/* What a failure event needs; severity is core/severity's. */
struct baseline_verdict {
	enum baseline_verdict_kind kind;
	enum baseline_metric metric;
	enum category category;
	enum subtype subtype;
	struct rollup_series series;
	int64_t time_ms;
	int32_t percentile; /* 95 or 99 for quantile metrics, else 0 */
	double observed;    /* the window's value, in the metric's unit */
	double expected;    /* the slot's usual value */
	double lo, hi;      /* its week-to-week band */
	double threshold;   /* the bar crossed */
	double share;       /* k / n of the test */
	double weight;      /* the slot's weight (0: static thresholds) */
	int32_t slot;       /* hour of week (0 = Monday 00:00 UTC) */
	int64_t n, k;       /* requests in the window, and failures or exceedances */
	bool onset;         /* the first verdict of this metric after a quiet spell */
	char text[128];     /* "p95 3.1 s, usual 0.9 s (0.7-1.2) for Tue 03:00 UTC, 412 requests" */
};

#define BL_MAX_VERDICTS 4

/* What one call did: rollups closed (borrowed until the next call on the
 * series) and verdicts. */
struct baseline_out {
	int closed; /* ROLLUP_CLOSED_* */
	const struct rollup *minute, *hour;
	size_t n_verdicts;
	struct baseline_verdict v[BL_MAX_VERDICTS];
};

struct baseline_series; /* live state of one series: opaque */

/* A new series with an empty model; NULL when out of memory. Free with
 * baseline_series_free(). */
struct baseline_series *baseline_series_new(const struct rollup_series *key);

void baseline_series_free(struct baseline_series *bs);

/* The series' key and model (borrowed; the model may be changed between
 * calls, e.g. replaced by a refreshed copy). */
const struct rollup_series *baseline_series_key(const struct baseline_series *bs);
struct baseline_model *baseline_series_model(struct baseline_series *bs);

/*
 * Fold one request (s, from rollup_sample_of()) at now into the series and
 * judge it: closes minutes and hours that now has passed (out->closed), and
 * returns the verdicts of tests that fired. aggregate says the series is a
 * provider's aggregate (no model markers). Allocation-free.
 */
void baseline_series_feed(struct baseline_series *bs, const struct baseline_ctx *c,
                          const struct rollup_sample *s, bool aggregate, int64_t now,
                          struct baseline_out *out);

/* A quality verdict that came after its request was fed (the sidecar's):
 * pass is semantic_quality_pass() of the late verdicts (1 or 0; NaN does
 * nothing). Counted in the open minute and judged like one fed with the
 * request. */
void baseline_series_quality(struct baseline_series *bs, const struct baseline_ctx *c, double pass,
                             int64_t now, struct baseline_out *out);

/* Time passes without requests: close minutes and hours, judge the mean
 * metrics at a minute's end. */
void baseline_series_tick(struct baseline_series *bs, const struct baseline_ctx *c, int64_t now,
                          struct baseline_out *out);

/* A minute closed before a restart, of the hour that was open then: merged
 * into the series' open hour (opened at the minute's hour when the series
 * has none), so that hour closes whole. Minutes of another hour than the
 * open one are ignored. Call in time order, before the series is fed. */
void baseline_series_restore_minute(struct baseline_series *bs, const struct rollup *minute);

/* A provider's aggregate can be fed whole minutes instead of requests (the
 * sum of its aliases: core/pipeline_baseline.c folds every request once,
 * into its alias series). baseline_series_set_derived() marks it so; then
 * baseline_series_add_minute() merges a minute an alias series closed into
 * the aggregate's open minute (advancing it to the minute's start first,
 * which may close older rollups into *out), and counts the minute's
 * requests above the latency bars; when the aggregate's minute ends
 * (baseline_series_tick() or a feed past it), the share tests run once on
 * what the minute added, as a request's would have (a provider-wide change
 * is judged within a minute of it). A derived series may still be fed
 * requests (those without a model, which have no alias series). Call
 * add_minute for every alias's minute before the tick that ends it. */
void baseline_series_set_derived(struct baseline_series *bs, bool derived);
void baseline_series_add_minute(struct baseline_series *bs, const struct baseline_ctx *c,
                                const struct rollup *minute, struct baseline_out *out);

/* Bytes one live series takes: its model, its open and last closed minute
 * and hour rollups, its window. */
size_t baseline_series_size(void);

/* Whether any of the series' tests fired within the window before now. */
bool baseline_series_alarmed(const struct baseline_series *bs, int64_t now);

/* ---- the series of a deployment (core/baseline_set.c) -------------------- */

struct baseline_set; /* opaque: every series by key, in creation order */

/* A set of at most max_series series (more are refused: not tracked). NULL
 * when out of memory. Free with baseline_set_free(). */
struct baseline_set *baseline_set_new(size_t max_series);

/* Free the set and its series; NULL does nothing. */
void baseline_set_free(struct baseline_set *set);

/* The series of key, created (with an empty model) when create is true and
 * it is new. NULL when absent, the set is full, or out of memory. */
struct baseline_series *baseline_set_get(struct baseline_set *set, const struct rollup_series *key,
                                         bool create);

size_t baseline_set_count(const struct baseline_set *set);

/* The i-th series created (i < baseline_set_count()). */
struct baseline_series *baseline_set_at(const struct baseline_set *set, size_t i);

/* What one observation did to its two series: [0] its alias series, [1]
 * its provider's aggregate (either may be untouched when not tracked). */
struct baseline_set_out {
	struct baseline_out series[2];
};

/* Derive obs's sample (v: its verdicts, NULL for obs->verdicts) and feed it
 * to its alias series and its provider's aggregate, creating them on first
 * sight. Returns 0, or VG_EFULL / VG_ENOMEM when a series could not be
 * created (the other is still fed). */
int baseline_set_feed(struct baseline_set *set, const struct baseline_ctx *c,
                      const struct observation *obs, const struct semantic_verdicts *v, int64_t now,
                      struct baseline_set_out *out);

/* ---- refresh and review (core/baseline_refresh.c) ------------------------ */

enum baseline_change { BCH_NONE, BCH_DRIFT, BCH_STEP };

struct baseline_refresh_report {
	int32_t learned;         /* hours learned */
	int32_t skipped_alarmed; /* flagged alarmed or under review */
	int32_t skipped_holiday;
	int32_t skipped_review; /* a review waits (or was found): not learned */
	enum baseline_change change[BM__COUNT];
	double level_change[BM__COUNT]; /* ln, per week: level (or series rate) movement */
	double step[BM__COUNT];         /* ln size of the step found, 0 when none */
	int64_t step_at[BM__COUNT];
	bool review_created;
};

/*
 * The weekly refresh of one series' model over hourly rollups hours[0..n)
 * (in time order, normally the week since the last refresh). First each
 * metric's residuals over the week are checked for a change point: a step
 * (at least step_min in ln units and step_z standard errors; step_min_marker
 * and step_z_marker near a model-version marker) creates a review item;
 * otherwise a movement of the level beyond drift_min a week is drift. Then
 * the hours are learned in order, except those flagged alarmed or under
 * review, holidays, and (when a review waits or was just created) every
 * hour from the step on. Finally the trend learns the level's movement.
 * Returns 0, or VG_EINVAL when hours are out of order.
 */
int baseline_refresh(struct baseline_model *m, const struct baseline_settings *s,
                     const struct rollup *hours, size_t n, int64_t now,
                     struct baseline_refresh_report *rep);

/* Whether the weekly refresh is due at now (the configured weekday and hour
 * has passed since last_ms; INT64_MIN: never refreshed, due at the first
 * such hour). */
bool baseline_refresh_due(const struct baseline_settings *s, int64_t last_ms, int64_t now);

/* Accept the pending review: the steps are absorbed (each stepped metric's
 * level, or rates, move by the step). Returns 0, or VG_ESTATE when none
 * waits. */
int baseline_review_accept(struct baseline_model *m);

/* Reject it: the old baseline stays. Returns 0 or VG_ESTATE. */
int baseline_review_reject(struct baseline_model *m);

/* ---- persistence (core/baseline_blob.c) -------------------------------- */

#define BASELINE_BLOB_VERSION 1

/* Bytes baseline_model_encode() writes for m: about 39 KB, depending only
 * on the lengths of its key's names and of its review's model name. */
size_t baseline_blob_size(const struct baseline_model *m);

/* Encode m into buf[0..size): little-endian, versioned, with a CRC-32.
 * Returns the bytes written, or VG_ETOOBIG when size is short. */
int baseline_model_encode(const struct baseline_model *m, uint8_t *buf, size_t size);

/* Decode a blob. Returns 0, VG_EVERSION for a newer version, or VG_EPARSE
 * (with a malloc'd message in *cause when cause is not NULL) for anything
 * malformed: wrong magic, length, checksum, non-finite or out-of-range
 * values. *m is only written on success. */
int baseline_model_decode(const uint8_t *buf, size_t len, struct baseline_model *m, char **cause);

#endif
