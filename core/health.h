/*
 * health.h: the health window of one provider or provider/model: exponentially
 * decaying measures of recent traffic, read as the numbers the console and
 * /metrics show and baselines compare:
 *
 *   availability      share of requests that got a usable answer
 *   latency           p50/p95/p99 from a decaying log-bucket histogram (lhist)
 *   status classes    shares of 2xx, 4xx (not 429), 429, 5xx, no answer
 *   error rates       by type (rate limit, server error, timeout, content
 *                     filter, transport, account, client, other)
 *   token throughput  output tokens/s while generating, input tokens/s to the
 *                     first byte
 *   quality score     schema-valid rate x hallucination-screen pass rate x
 *                     similarity stability (each over what was measured)
 *   cost efficiency   observed $ / the configured price for the same tokens,
 *                     retries included (1.0 = as published); and $ per 1k tokens
 *   rate-limit headroom  remaining/limit, and its trend (a decaying linear
 *                     regression over time): falling toward zero before the
 *                     first 429 is an early warning
 *
 * Decay is forward decay: a sample at time t weighs 2^((t - landmark) /
 * half_life), so adding is O(1) however many buckets there are; every weight
 * is rescaled (and the landmark moved) once in a while. Reads divide by
 * 2^((now - landmark) / half_life), so counts are "requests, decayed to now".
 * A value type: embed it; it never allocates.
 */
#ifndef VIGIL_CORE_HEALTH_H
#define VIGIL_CORE_HEALTH_H

#include "core/lhist.h"
#include "core/observation.h"

enum health_status { HS_2XX, HS_4XX, HS_429, HS_5XX, HS_NONE, HS__COUNT };

enum health_err {
	HE_RATE_LIMIT,     /* 429 rate limits */
	HE_SERVER_ERROR,   /* 5xx, overloaded (529), failures inside a 2xx */
	HE_TIMEOUT,        /* 504, 408, transport timeouts */
	HE_CONTENT_FILTER, /* safety blocks */
	HE_TRANSPORT,      /* dns, connect, tls, reset */
	HE_ACCOUNT,        /* auth, quota exhausted, spend cap */
	HE_CLIENT,         /* invalid request, context length, not found */
	HE_OTHER,
	HE__COUNT
};

/* What one request contributed; the pipeline derives it from the observation
 * and its taxonomy signals. NaN / VG_NONE / -1 = not measured. */
struct health_sample {
	enum health_status status;
	bool error;        /* not a usable answer (availability) */
	int err;           /* enum health_err, or -1 for none */
	double latency_ms; /* total */
	double ttfb_ms;
	int64_t input_tokens, output_tokens;
	int8_t schema_valid;  /* enum vg_tri */
	int8_t hallucination; /* enum vg_tri: true = failed the screen */
	int8_t unstable;      /* enum vg_tri: similarity regression/coherence flagged */
	double cost_usd;
	double expected_cost_usd; /* at the configured price, NaN when unknown */
	double headroom;          /* min remaining/limit of requests and tokens, NaN if none */
};

struct health {
	double half_life_ms;
	int64_t landmark_ms; /* INT64_MIN before the first sample */
	int64_t last_ms;
	double n; /* requests */
	double errors;
	double status[HS__COUNT];
	double err[HE__COUNT];
	double out_tokens, gen_s; /* output tokens and generation seconds */
	double in_tokens, ttfb_s;
	double schema_n, schema_ok;
	double hal_n, hal_ok;
	double stab_n, stab_ok;
	double cost_n, cost_obs, cost_exp; /* requests with a known price */
	double cost_all, cost_tokens;      /* every priced request: $ and tokens */
	/* Headroom regression over t (minutes since landmark). */
	double hr_w, hr_t, hr_h, hr_tt, hr_th;
	double headroom_last;
	int64_t headroom_last_ms;
	struct lhist latency;
};

/* Start empty with the given half-life (ms, > 0). */
void health_init(struct health *h, int64_t half_life_ms);

/* Add one request's sample at time now. Allocation-free, O(1) except for an
 * occasional rescale of the histogram. */
void health_record(struct health *h, const struct health_sample *s, int64_t now);

/* The same sample in a and then in b (a provider's window and its model's;
 * b may be NULL): health_record(a, s, now) and health_record(b, s, now), with
 * the sample checked and its latency bucket found once. */
void health_record2(struct health *a, struct health *b, const struct health_sample *s, int64_t now);

/* The same with the latency's bucket found by the caller (lhist_index(
 * s->latency_ms), when the latency is positive; it is not read otherwise):
 * the pipeline finds it once for the health windows and the baselines. */
void health_record2_at(struct health *a, struct health *b, const struct health_sample *s,
                       size_t bucket, int64_t now);

/* Add semantic verdicts that arrived after the request was recorded (the
 * sidecar's): only the quality measures change, not the request count.
 * Each argument is an enum vg_tri; unset ones are ignored. */
void health_record_quality(struct health *h, int8_t schema_valid, int8_t hallucination,
                           int8_t unstable, int64_t now);

/* Add every weight of src into dst (same half-life; src's landmark is
 * aligned to dst's). */
void health_merge(struct health *dst, const struct health *src);

/* The numbers, read at time now (>= the last sample). */
struct health_numbers {
	double requests;     /* decayed count */
	double availability; /* 0..1; NaN when no requests */
	double p50_ms, p95_ms, p99_ms;
	double status_share[HS__COUNT];
	double err_rate[HE__COUNT]; /* share of requests, 0..1 */
	double output_tps, input_tps;
	double schema_valid_rate, hallucination_pass_rate, similarity_stability;
	double quality_score;   /* product of the measured rates; NaN when none measured */
	double cost_per_1k_usd; /* observed $ per 1k tokens (input + output) */
	double cost_efficiency; /* observed / configured price; 1.0 = as published */
	double headroom;        /* latest remaining/limit, NaN when never reported */
	double headroom_slope;  /* change per minute (negative = falling), NaN if unknown */
	double headroom_eta_ms; /* time until zero at that slope; NaN unless falling */
};

/* Read the numbers at time now. Unmeasured values are NaN. */
void health_read(const struct health *h, int64_t now, struct health_numbers *out);

/* Names for metrics and JSON ("2xx", "rate_limit", ...). Static. */
const char *health_status_name(enum health_status s);
const char *health_err_name(enum health_err e);

#endif
