/*
 * pipeline.h: the one decision pipeline every shell feeds (ingest, probes,
 * replay, demo), on the loop thread only. For each observation:
 *   normalise -> semantic verdicts -> taxonomy -> breakers / health windows
 *   -> severity -> incidents
 * and it returns what should happen as data (struct effects). Deterministic:
 * the same observations with the same `now` values give the same effects.
 *
 * Time: `now` is ms since the epoch, given by the caller (an event's own time
 * in ingest and replay, the wall clock for probes). The pipeline keeps a
 * monotonic high-water mark, so a late observation cannot move time back.
 *
 * Ownership: the pipeline copies what it keeps from an observation; the
 * arrays in struct effects belong to the pipeline and stay valid until the
 * next pipeline_* call on the same pipeline.
 */
#ifndef VIGIL_CORE_PIPELINE_H
#define VIGIL_CORE_PIPELINE_H

#include "core/event.h"
#include "core/observation.h"
#include "core/settings.h"

struct pipeline;

/* The most failure events one call can return (every taxonomy branch, plus
 * breaker oscillation and early warnings). */
#define PIPELINE_MAX_EVENTS 32

/* The most entities (providers plus provider/model pairs) kept; observations
 * beyond it are still classified, but their windows are not kept. */
#define PIPELINE_MAX_ENTITIES 512

/* What the pipeline decided for one call. Later modules add arrays here
 * (incident changes, outbox payloads); consumers ignore what they do not use. */
struct effects {
	const struct failure_event *events; /* new failure events, in order */
	size_t n_events;
	const struct breaker_transition *transitions; /* breaker state changes, in order */
	size_t n_transitions;
};

/* A configured model of a provider (from vigil.yaml). */
#define PIPELINE_MAX_MODELS 16
struct pipeline_model {
	char name[VG_MODEL_MAX]; /* "gpt-4o-mini" also matches "gpt-4o-mini-2024-07-18" */
	double price_in_per_1k;  /* USD per 1k input tokens; <= 0 when unknown */
	double price_out_per_1k; /* USD per 1k output tokens; <= 0 when unknown */
	bool breaker;            /* this model gets a circuit breaker of its own */
};

/* A configured provider as the pipeline needs it (from vigil.yaml). Zero-
 * initialise it and set what you know; models may be left empty. */
struct pipeline_provider {
	char name[VG_NAME_MAX];
	bool fallback; /* role: fallback (false = primary) */
	struct pipeline_model models[PIPELINE_MAX_MODELS];
	size_t n_models;
};

/* Create a pipeline with the given settings (copied) and configured providers
 * (copied; may be empty). Returns NULL when out of memory. */
struct pipeline *pipeline_new(const struct core_settings *settings,
                              const struct pipeline_provider *providers, size_t n_providers);

/* Free a pipeline; NULL does nothing. */
void pipeline_free(struct pipeline *p);

/*
 * Feed one observation at time `now`. Fills *out (borrowed until the next
 * call). Returns 0, or VG_EINVAL for an observation without provider or time
 * (nothing is changed then), or VG_ENOMEM.
 */
int pipeline_feed(struct pipeline *p, const struct observation *obs, int64_t now,
                  struct effects *out);

/*
 * Let time pass without an observation: breakers move from open to half-open,
 * MEDIUM escalates, incidents auto-resolve. Call it at least once a second
 * in live use, and between observations in replay. Fills *out as above.
 */
int pipeline_tick(struct pipeline *p, int64_t now, struct effects *out);

/* Whether a configured model name names an observed model: exactly, or with
 * a version suffix ("gpt-4o" names "gpt-4o-2024-08-06" but not "gpt-4o-mini").
 * The longest matching configured name wins. */
bool pipeline_model_matches(const char *configured, const char *model);

/* Start event ids at `id` (default 1), e.g. after the highest id in the store. */
void pipeline_set_next_event_id(struct pipeline *p, uint64_t id);

/* The time high-water mark (VG_NONE before the first call). */
int64_t pipeline_now(const struct pipeline *p);

/* Failure events emitted so far, by category and severity (cumulative since
 * pipeline_new(); the console's taxonomy pane and /metrics counters). */
void pipeline_taxonomy_counts(const struct pipeline *p, uint64_t counts[CAT__COUNT][SEV__COUNT]);

#endif
