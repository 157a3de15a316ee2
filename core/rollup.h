/*
 * rollup.h: per-series traffic summaries, a minute (or an hour) at a time:
 * what core/baseline learns from and what data/ persists.
 *
 * A series is (provider, model alias, source), plus (provider, source) as
 * the provider's aggregate (alias ""). The alias is the model name without
 * its version suffix (semantic_model_alias_len(): "gpt-4o-2024-08-06" ->
 * "gpt-4o"), so a silent snapshot change is a marker inside one series, not
 * a new cold series. Probe and gateway traffic are never mixed.
 *
 * A rollup counts, over [start_ms, start_ms + span_ms):
 *   requests, successes and errors by type (rate limit, server error or
 *   overloaded, timeout and transport, content filter, invalid request,
 *   other: auth, quota, spend cap, unknown);
 *   a log-latency histogram (core/lhist) of total latency, and one of time
 *   to first token (streaming requests only); latencies of successful
 *   requests only (an error's latency says nothing about the provider's
 *   speed, and its rate is judged on its own);
 *   prompt and completion tokens and cost; completion tokens per second
 *   while generating and $ per 1k tokens as sums of logs (for their
 *   geometric means and spreads); quality passes and failures
 *   (semantic_quality_pass());
 *   flags: an alarm or a pending review on the series during the span (not
 *   learned), a model-version marker (the alias's version changed), with
 *   the newest version seen.
 * Counts are doubles so that a rollup can decay (lhist_scale() and a
 * factor) or be merged; a minute's are whole numbers.
 *
 * The fold (rollup_fold) adds one request to the open minute and the open
 * hour of a series; when time passes their end it closes them, copying
 * them out for the caller to persist, and opens the next. Pure: the time is
 * an argument; nothing here allocates. struct rollup is a value type (two
 * histograms, about 15 KB): embed it or allocate it, copy it with memcpy.
 */
#ifndef VIGIL_CORE_ROLLUP_H
#define VIGIL_CORE_ROLLUP_H

#include "core/lhist.h"
#include "core/observation.h"

#define ROLLUP_MINUTE_MS 60000LL
#define ROLLUP_HOUR_MS   3600000LL

/* The series a rollup belongs to. */
struct rollup_series {
	char provider[VG_NAME_MAX];
	char alias[VG_MODEL_MAX]; /* "" for the provider's aggregate */
	enum obs_source source;
};

/* The series of obs: its alias series, or (aggregate) its provider's. */
void rollup_series_of(const struct observation *obs, bool aggregate, struct rollup_series *out);

/* "openai/gpt-4o gateway", "openai/(all) probe": a name for logs.
 * Returns snprintf's result. */
int rollup_series_name(const struct rollup_series *k, char *buf, size_t size);

/* Error types counted. */
enum rollup_err {
	RU_RATE_LIMIT,     /* 429 */
	RU_SERVER,         /* 5xx, overloaded, a failure inside a 2xx */
	RU_TIMEOUT,        /* timeouts, and transport failures (dns, connect, tls, reset) */
	RU_CONTENT_FILTER, /* safety blocks */
	RU_INVALID,        /* invalid request, context length, not found, too large */
	RU_OTHER,          /* auth, permission, quota, spend cap, other */
	RU_ERR__COUNT
};

#define ROLLUP_F_ALARMED 0x1u /* a baseline alarm on the series during the span */
#define ROLLUP_F_REVIEW  0x2u /* a baseline review was pending during the span */
#define ROLLUP_F_MARKER  0x4u /* the alias's model version changed during the span */

struct rollup {
	int64_t start_ms, span_ms;
	double requests, successes;
	double errors[RU_ERR__COUNT];
	double prompt_tokens, completion_tokens;
	double cost_usd;
	double tps_n, tps_log, tps_log2;    /* completion tokens/s while generating: ln sums */
	double cost_n, cost_log, cost_log2; /* $ per 1k tokens: ln sums */
	double quality_pass, quality_fail;
	uint32_t flags;             /* ROLLUP_F_* */
	char model[VG_MODEL_MAX];   /* the newest model version seen ("" for aggregates) */
	struct lhist latency, ttft; /* ms */
};

/* What one request contributes, derived once (rollup_sample_of) and added to
 * every series it belongs to. NaN = not measured. */
struct rollup_sample {
	int err;           /* enum rollup_err, or -1: a success */
	double latency_ms; /* total, successes only */
	size_t lat_bucket; /* lhist_index(latency_ms) */
	double ttft_ms;    /* streaming successes only */
	size_t ttft_bucket;
	double prompt_tokens, completion_tokens; /* 0 when not measured */
	double cost_usd;                         /* 0 when not measured */
	double tps_log;                          /* ln(completion tokens/s while generating) */
	double cost_log;                         /* ln($ per 1k tokens) */
	double quality;                          /* semantic_quality_pass(): 1, 0 or NaN */
	const char *model;                       /* obs->pid.model, borrowed */
};

/* The error type of an observation (from its normalised error class, its
 * transport error, its HTTP status and safety flags), or -1 for a success. */
int rollup_err_of(const struct observation *obs);

/* Derive obs's sample. v holds the semantic verdicts to count (NULL:
 * obs->verdicts). s borrows obs->pid.model until obs changes. */
void rollup_sample_of(const struct observation *obs, const struct semantic_verdicts *v,
                      struct rollup_sample *s);

/* The same with lhist_index(obs->total_ms) found by the caller
 * (lat_bucket; read only when the total is positive). */
void rollup_sample_at(const struct observation *obs, const struct semantic_verdicts *v,
                      size_t lat_bucket, struct rollup_sample *s);

/* An empty rollup of [start_ms, start_ms + span_ms). */
void rollup_init(struct rollup *r, int64_t start_ms, int64_t span_ms);

/* Add one request. */
void rollup_add(struct rollup *r, const struct rollup_sample *s);

/* dst += src (counts, sums, histograms, flags; model from src when set). */
void rollup_merge(struct rollup *dst, const struct rollup *src);

/* The open minute and hour of one series. */
struct rollup_acc {
	struct rollup minute, hour;
	bool open;
	char prev_model[VG_MODEL_MAX]; /* the version before the newest: back to it is no change */
};

void rollup_acc_init(struct rollup_acc *a);

#define ROLLUP_CLOSED_MINUTE 0x1
#define ROLLUP_CLOSED_HOUR   0x2

/*
 * Advance the open minute and hour to now: when now is at or past the end of
 * either, it is closed (copied to *closed_minute / *closed_hour, unless it
 * holds no request, then it is dropped) and the one now falls in is opened.
 * Times before the open minute count in it (the caller's clock is a
 * high-water mark). Returns the ROLLUP_CLOSED_* flags of what was copied out.
 */
int rollup_roll(struct rollup_acc *a, int64_t now, struct rollup *closed_minute,
                struct rollup *closed_hour);

/* Note that the open minute's request came from model (an alias series'
 * version): ROLLUP_F_MARKER when it is neither the newest version nor the
 * one before it. rollup_fold() does this. */
void rollup_note_model(struct rollup_acc *a, const char *model);

/*
 * rollup_roll() to now, then add s to the open minute and hour, setting
 * ROLLUP_F_MARKER when s names a model version other than the newest and the
 * one before it (an alias series only: aggregate says it is not). Returns the
 * ROLLUP_CLOSED_* flags.
 */
int rollup_fold(struct rollup_acc *a, const struct rollup_sample *s, bool aggregate, int64_t now,
                struct rollup *closed_minute, struct rollup *closed_hour);

/* Statistics of a rollup, as baselines learn and judge them. NaN when not
 * measured. Logs are natural logs of the unit shown. */
struct rollup_stats {
	double requests;
	double lat_n, lat_log[3]; /* ln p50, p95, p99 of latency (ms), from the histogram */
	double ttft_n, ttft_log[3];
	double tps_n, tps_mean, tps_var; /* ln tokens/s: mean and variance of one request */
	double cost_n, cost_mean, cost_var;
	double quality_n;
};

void rollup_stats_of(const struct rollup *r, struct rollup_stats *st);

/* The quantile rollup_stats.lat_log[i] holds (i = 0, 1, 2: 0.50, 0.95, 0.99). */
double rollup_quantile_q(int i);

#endif
