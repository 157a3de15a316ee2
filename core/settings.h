/*
 * settings.h: the numbers the decision core decides with (thresholds, windows,
 * breaker parameters), as plain data. app/config fills them from the
 * `thresholds:` section of vigil.yaml; settings_defaults() gives the values
 * used when the config is silent. Durations are in ms.
 */
#ifndef VIGIL_CORE_SETTINGS_H
#define VIGIL_CORE_SETTINGS_H

#include <stdint.h>

struct breaker_settings {
	int32_t consecutive_failures;  /* closed -> open after this many hard failures in a row */
	double failure_rate;           /* ... or this share of failures over the window */
	int64_t window_ms;             /* sliding window for failure_rate */
	int32_t min_requests;          /* minimum requests in the window before the rate counts */
	int64_t cooldown_ms;           /* open -> half-open after this long */
	int32_t halfopen_successes;    /* half-open -> closed after this many successes */
	int32_t oscillation_opens;     /* this many opens ... */
	int64_t oscillation_window_ms; /* ... within this window is oscillation */
};

struct core_settings {
	/* Soft provider failures: judged over a sliding window. */
	double latency_ms;          /* a request slower than this (total) is slow */
	int32_t latency_percentile; /* the percentile compared with latency_ms (95) */
	int64_t soft_window_ms;     /* window for soft-failure rates */
	int32_t soft_min_samples;   /* requests needed in the window before judging */
	double soft_rate;           /* share of soft failures that declares degradation */
	/* Cost */
	double token_inflation_pct;    /* input tokens this far over the prediction (15) */
	int32_t retry_storm_count;     /* retries per request over this is a storm */
	double context_stuffing_ratio; /* actual/predicted ratio sustained over this (1.05) */
	/* Data */
	double stale_context_s; /* doc_age_s over this is stale context */
	/* Severity */
	int64_t escalation_ms; /* MEDIUM sustained this long becomes HIGH */
	/* Health windows */
	int64_t health_half_life_ms; /* decay half-life of the health histograms */
	struct breaker_settings breaker;
};

/* Fill *s with the defaults documented in examples/vigil.yaml. */
void settings_defaults(struct core_settings *s);

#endif
