/*
 * settings.h: the numbers the decision core decides with (thresholds, windows,
 * breaker parameters, the severity table's overrides), as plain data.
 * app/config fills them from the `thresholds:` section of vigil.yaml;
 * settings_defaults() gives the values used when the config is silent.
 * Durations are in ms.
 */
#ifndef VIGIL_CORE_SETTINGS_H
#define VIGIL_CORE_SETTINGS_H

#include <stddef.h>
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

/* Recoverability, the third axis of the severity table. */
enum recoverability {
	REC_ISOLATED, /* a small share of recent requests fails: retries absorb it */
	REC_FAILOVER, /* widespread, but failover to another provider is working */
	REC_NONE,     /* widespread and nothing recovers it automatically */
	REC__COUNT
};

/* "any" in an override row: the index one past the last value of that axis. */
#define SEV_ANY_CATEGORY 5 /* CAT_TAXONOMY_COUNT */
#define SEV_ANY_TRAFFIC  4 /* TC__COUNT */
#define SEV_ANY_REC      REC__COUNT

/* One row of the severity table set by the config; applied in order over the
 * defaults, so a later row wins. Fields are ints so the config loader's
 * enum type can fill them: category (enum category or SEV_ANY_CATEGORY),
 * traffic_class (enum traffic_class or SEV_ANY_TRAFFIC), recoverability
 * (enum recoverability or SEV_ANY_REC), severity (enum severity). */
struct severity_override {
	int category;
	int traffic_class;
	int recoverability;
	int severity;
};

#define SEVERITY_MAX_OVERRIDES 32

struct severity_settings {
	double isolated_rate;        /* affected share of recent requests below this is isolated */
	int32_t evidence_count;      /* HIGH and CRITICAL need at least this many affected
	                              * requests in the incident's scope (and the Wilson lower
	                              * bound of their share at or over isolated_rate) */
	double blast_raise;          /* blast radius at or over this raises unrecoverable by one */
	int default_traffic_class;   /* enum traffic_class for traffic that names none */
	double healthy_availability; /* a fallback at or above this availability is healthy */
	int64_t escalation_gap_ms;   /* a MEDIUM stream with a gap longer than this starts over */
	int64_t failover_grace_ms;   /* an open breaker younger than this, with no failed
	                              * fallback attempt seen, is judged as failing over: the
	                              * gateway's first fallback answers take a moment (0 = off) */
	struct severity_override overrides[SEVERITY_MAX_OVERRIDES];
	size_t n_overrides;
};

struct core_settings {
	/* Soft provider failures: judged over a sliding window. */
	double latency_ms;          /* a request slower than this (total) is slow */
	int32_t latency_percentile; /* the percentile compared with latency_ms (95) */
	int64_t soft_window_ms;     /* window for soft-failure rates */
	int64_t latency_recent_ms;  /* latency is also judged over this most recent part of
	                             * the soft window (a ramp is seen before the whole
	                             * window's percentile catches up); 0 = off */
	int32_t soft_min_samples;   /* requests needed in the window before judging */
	double soft_rate;           /* share of soft failures that declares degradation */
	double headroom_warn;       /* rate-limit headroom (remaining/limit) below this, falling,
	                             * is an early warning before the first 429 */
	/* Cost */
	double token_inflation_pct;    /* input tokens this far over the prediction (15) */
	int32_t retry_storm_count;     /* retries per request over this is a storm */
	double context_stuffing_ratio; /* actual/predicted ratio sustained over this (1.05) */
	/* Data */
	double stale_context_s; /* doc_age_s over this is stale context */
	/* Severity */
	int64_t escalation_ms; /* MEDIUM sustained this long becomes HIGH */
	struct severity_settings severity;
	/* Health windows */
	int64_t health_half_life_ms; /* decay half-life of the health histograms */
	struct breaker_settings breaker;
};

/* Fill *s with the defaults documented in examples/vigil.yaml. */
void settings_defaults(struct core_settings *s);

#endif
