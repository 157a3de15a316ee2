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

/* What the pipeline decided for one call. Later modules add arrays here
 * (incident changes, outbox payloads); consumers ignore what they do not use. */
struct effects {
	const struct failure_event *events; /* new failure events, in order */
	size_t n_events;
	const struct breaker_transition *transitions; /* breaker state changes, in order */
	size_t n_transitions;
};

/* A configured provider as the pipeline needs it (from vigil.yaml). */
struct pipeline_provider {
	char name[VG_NAME_MAX];
	bool fallback; /* role: fallback (false = primary) */
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

#endif
