/*
 * pipeline.h: the one decision pipeline every shell feeds (ingest, probes,
 * replay, demo), on the loop thread only. For each observation:
 *   normalise (done by the producer: obs->norm) -> inline semantic checks ->
 *   taxonomy -> sliding windows / failover evidence / breakers / health
 *   windows -> failure events with severity -> incidents
 * and it returns what should happen as data (struct effects). Deterministic:
 * the same observations with the same `now` values give the same effects.
 *
 * Hard provider failures become events at once; soft ones (429, latency,
 * truncation, content filter, invalid request) only while their share of
 * the provider's requests in thresholds.soft_window is at least soft_rate
 * (latency: while the configured percentile is over latency_ms) and the
 * window holds soft_min_samples requests. Failure event ids are assigned in
 * order (from 1, or pipeline_set_next_event_id()).
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

#include "core/action.h"
#include "core/baseline.h"
#include "core/baseline_job.h"
#include "core/event.h"
#include "core/health.h"
#include "core/incident.h"
#include "core/observation.h"
#include "core/route.h"
#include "core/semantic.h"
#include "core/settings.h"

struct pipeline;

/* A rollup a baseline series closed (core/rollup), to persist. */
struct pipeline_rollup {
	const struct rollup_series *series;
	const struct rollup *rollup; /* borrowed like the rest of struct effects */
	bool hour;                   /* an hour (else a minute) */
};

/* A series' model changed (a refresh applied, a review decided): persist it. */
struct pipeline_baseline_model {
	const struct baseline_model *model; /* borrowed */
	int64_t refreshed_ms;               /* its last refresh (INT64_MIN: never) */
};

enum pipeline_review_state { PRV_WAITING, PRV_ACCEPTED, PRV_REJECTED, PRV__COUNT };

/* A review item a refresh created, or one an operator decided. */
struct pipeline_review {
	int64_t id; /* assigned in order (pipeline_baseline_set_next_review_id()) */
	struct rollup_series series;
	struct baseline_review review; /* as the refresh found it */
	enum pipeline_review_state state;
	char actor[64];     /* who decided ("" while waiting) */
	int64_t decided_ms; /* VG_NONE while waiting */
	char text[128];     /* "latency +40% since Wed 12:00 UTC (gpt-4o-2024-11-20)" */
};

/* "waiting", "accepted", "rejected"; "unknown" out of range. Static. */
const char *pipeline_review_state_name(enum pipeline_review_state s);
/* The state named s, or VG_EINVAL. */
int pipeline_review_state_parse(const char *s);

/* The most failure events one call can return (every taxonomy branch, plus
 * breaker oscillation and early warnings). */
#define PIPELINE_MAX_EVENTS 32

/* The most entities (providers plus provider/model pairs) kept; observations
 * beyond it are still classified, but their windows are not kept. */
#define PIPELINE_MAX_ENTITIES 512

/* What the pipeline decided for one call. Later modules add arrays here;
 * consumers ignore what they do not use. */
struct effects {
	const struct failure_event *events; /* new failure events, in order */
	size_t n_events;
	const struct breaker_transition *transitions; /* breaker state changes, in order */
	size_t n_transitions;
	/* Incident changes (opened, updated, escalated, acknowledged, resolved,
	 * auto_resolved, ticketed, note, related), in order; each points to its
	 * incident (persist it with incident_to_json()). */
	const struct incident_change *incident_changes;
	size_t n_incident_changes;
	/* What to write to the outbox (data/outbox), in order: payloads built by
	 * core/payload for the sinks set with pipeline_set_routes(). */
	const struct notification *notifications;
	size_t n_notifications;
	/* The observation's text checks exceeded the inline budget and were
	 * deferred (only when semantic_allow_defer() is on): hand the observation
	 * to the sidecar (app/sidecar) and its result to pipeline_feed_text(). */
	bool semantic_deferred;
	/* Baselines (pipeline_set_baselines()): minute and hour rollups that
	 * closed, in order; models that changed; review items created or
	 * decided. All to persist. */
	const struct pipeline_rollup *rollups;
	size_t n_rollups;
	const struct pipeline_baseline_model *models;
	size_t n_models;
	const struct pipeline_review *reviews;
	size_t n_reviews;
	/* The weekly refresh is due (once, on the call that reached it): take
	 * the job with pipeline_baseline_take(), run it (here or on another
	 * thread), hand it back to pipeline_baseline_apply(). */
	bool baseline_refresh_due;
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
 * Feed semantic verdicts that arrived after their request was fed (the
 * sidecar's, joined by request id). Only obs->pid, request_id, template_id,
 * traffic_class, ts_ms, top_similarity and verdicts are read: the request is
 * not counted again, its quality measures are added to the health windows,
 * and verdicts that fire (quality, cost, security, data) become failure
 * events as in pipeline_feed(). Pass only verdicts decided late; ones already
 * fed inline would fire twice. Returns 0 or VG_EINVAL (no provider).
 */
int pipeline_feed_verdicts(struct pipeline *p, const struct observation *obs, int64_t now,
                           struct effects *out);

/*
 * The semantic checks (core/semantic), stage 2. The pipeline starts with
 * semantic_defaults() and no schemas; pipeline_set_semantic() replaces them
 * before the first feed (settings copied; `schemas` borrowed, it must
 * outlive the pipeline; may be NULL). Returns 0, VG_ESTATE after the first
 * feed, or VG_ENOMEM (the old checks stay).
 */
int pipeline_set_semantic(struct pipeline *p, const struct semantic_settings *s,
                          const struct jschema_set *schemas);

/*
 * The `semantic:` section again (a config reload), at any time: the running
 * checks take the new settings and schemas in place and keep their state
 * (semantic_reconfigure(): max_keys stays, no sidecar may be using the text
 * cfg during the call; pipeline_semantic() stays the same object).
 * `schemas` is borrowed as above; the old set may be freed once this
 * returned 0. Returns 0 or VG_ENOMEM (nothing changed).
 */
int pipeline_update_semantic(struct pipeline *p, const struct semantic_settings *s,
                             const struct jschema_set *schemas);

/* The pipeline's semantic checks, borrowed: semantic_allow_defer() when a
 * sidecar runs, semantic_text_cfg() for the sidecar thread, stats. */
struct semantic *pipeline_semantic(struct pipeline *p);

/*
 * A sidecar result for an observation whose text checks were deferred:
 * folds it into the semantic state (semantic_complete: similarity centroid,
 * regression) and feeds the verdicts decided now through
 * pipeline_feed_verdicts(). `obs` is the observation as submitted (the
 * sidecar's copy), `t` its text result. Returns 0, VG_EINVAL (no provider or
 * time) or VG_ENOMEM.
 */
int pipeline_feed_text(struct pipeline *p, const struct observation *obs,
                       const struct semantic_text *t, int64_t now, struct effects *out);

/*
 * Report a failure of vigil's own health (category MONITOR: sidecar blind
 * spot, store queue full, sink unreachable, tailed file gone) so it gets an
 * id in sequence, a severity (HIGH) and goes through incidents like the rest.
 * The event's provider is "vigil" and its model is `source` (what failed:
 * "sidecar", "sink:pagerduty", a file path; may be NULL); detail and value
 * land in the causal signals. Returns 0, or VG_EINVAL for a subtype outside
 * MONITOR.
 */
int pipeline_monitor(struct pipeline *p, enum subtype sub, const char *source, const char *detail,
                     double value, int64_t now, struct effects *out);

/*
 * Let time pass without an observation: breakers move from open to half-open,
 * MEDIUM escalates, incidents auto-resolve. Call it at least once a second
 * in live use, and between observations in replay. Fills *out as above.
 */
int pipeline_tick(struct pipeline *p, int64_t now, struct effects *out);

/*
 * Incidents (core/incident) and their routing (core/route). By default the
 * pipeline groups incidents with incident_settings_defaults(), numbers them
 * from 1 and routes to no sink. Call these before the first feed:
 * pipeline_set_incidents() replaces the tracker (VG_ESTATE once an incident
 * exists; VG_ENOMEM), pipeline_set_routes() copies the sinks (at most
 * PIPELINE_MAX_SINKS; VG_ERANGE beyond) and the payload options.
 */
#define PIPELINE_MAX_SINKS 16
int pipeline_set_incidents(struct pipeline *p, const struct incident_settings *s, int64_t first_id);
int pipeline_set_routes(struct pipeline *p, const struct route_sink *sinks, size_t n_sinks,
                        const struct payload_options *o);

/*
 * Put an incident read back from the store (incident_to_json() text, parsed)
 * into the tracker after a restart; see incidents_restore(). No effects.
 */
int pipeline_restore_incident(struct pipeline *p, json_t *obj, char **cause);

/*
 * An operator action (from the console's operator_actions table) on an
 * incident at `now`: ACTION_ACK acknowledges, ACTION_RESOLVE resolves
 * (both with `note`, may be ""), ACTION_NOTE adds `note` to its history,
 * ACTION_TRIAGE keeps the triage wizard's path (`note`, JSON text) on its
 * history as the note "triage: <path>", ACTION_SNOOZE acknowledges with a
 * timed silence (`note` "<length>[ note]", "30m"; 1 h when it names none:
 * the Alertmanager silence lasts that long). Fills *out with the incident change
 * and the notifications (PagerDuty acknowledge, Alertmanager silence, ...).
 * ACTION_ACCEPT and ACTION_REJECT decide a baseline review item: the id is
 * the review item's (not an incident's); accept absorbs the step into the
 * series' model, reject keeps the old baseline; *out has the model and the
 * decided review item (core/pipeline_baseline.c).
 * Returns 0, VG_ENOTFOUND (no such incident in memory, no such waiting
 * review), VG_ESTATE (the action does not apply in its state, or a refresh
 * job is out), VG_EINVAL (now not given, or no such action) or VG_ENOMEM;
 * *out is filled (possibly empty) in every case.
 */
int pipeline_operator_action(struct pipeline *p, enum action_kind action, int64_t incident_id,
                             int64_t now, const char *actor, const char *note, struct effects *out);

/* The incident tracker, read-only (the console's incident list, /metrics).
 * Borrowed; valid until the next pipeline_* call that changes state. */
const struct incidents *pipeline_incidents(const struct pipeline *p);

/* Whether a configured model name names an observed model: exactly, or with
 * a version suffix ("gpt-4o" names "gpt-4o-2024-08-06" but not "gpt-4o-mini").
 * The longest matching configured name wins. */
bool pipeline_model_matches(const char *configured, const char *model);

/*
 * Mask API keys (core/redact) in what the pipeline hands out: the texts of
 * its failure events (before they reach an incident) and the notification
 * payloads. `r` is borrowed and must outlive the pipeline (NULL, the
 * default: only the usual key shapes are masked).
 */
struct redact;
void pipeline_set_redact(struct pipeline *p, const struct redact *r);

/* Start event ids at `id` (default 1), e.g. after the highest id in the store. */
void pipeline_set_next_event_id(struct pipeline *p, uint64_t id);

/* The time high-water mark (VG_NONE before the first call). */
int64_t pipeline_now(const struct pipeline *p);

/* Failure events emitted so far, by category and severity (cumulative since
 * pipeline_new(); the console's taxonomy pane and /metrics counters). */
void pipeline_taxonomy_counts(const struct pipeline *p, uint64_t counts[CAT__COUNT][SEV__COUNT]);

/* ---- read API (the console, /metrics, baselines) -------------------------
 *
 * Health rows: one per provider (model "") and one per provider/model seen,
 * in the order they were first seen (a row's index never changes while the
 * pipeline lives; new rows are appended). Reads change nothing; call them on
 * the loop thread, between feeds, like everything else here.
 */
struct health_view {
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX]; /* "" for the provider as a whole */
	int32_t parent;           /* index of the provider's row, -1 for a provider row */
	bool configured;          /* named in the config */
	bool fallback;            /* configured as a fallback */
	/* availability, p50/p95/p99, status shares, error rate by type (enum
	 * health_err), tokens/s, quality score (and its three parts), cost per 1k
	 * tokens and cost efficiency, rate-limit headroom and its trend; decayed
	 * with thresholds.health_half_life; NaN = not measured */
	struct health_numbers health;
	int64_t window_requests; /* the provider's requests in the soft window */
	bool has_breaker;        /* providers always; models where configured */
	enum breaker_state breaker;
	int64_t breaker_since_ms;    /* VG_NONE without a breaker */
	int64_t breaker_in_state_ms; /* now - since */
	int32_t breaker_opens_in_window;
	uint64_t breaker_opens_total;
	int64_t first_seen_ms, last_seen_ms;
};

/* How many health rows there are (providers plus provider/model pairs). */
size_t pipeline_health_count(const struct pipeline *p);

/* The row of (provider, model) ("" or NULL model = the provider's row):
 * its index, or VG_ENOTFOUND, or VG_EINVAL for a NULL provider. */
int pipeline_health_find(const struct pipeline *p, const char *provider, const char *model);

/* Fill *out with row `index` read at time `now` (clamped to the high-water
 * mark). Returns 0, or VG_ENOTFOUND past the last row (*out zeroed). */
int pipeline_health_view(const struct pipeline *p, size_t index, int64_t now,
                         struct health_view *out);

/* ---- baselines (core/pipeline_baseline.c) --------------------------------
 *
 * The learned normal per series and hour of the week (core/baseline.h),
 * folded and judged in every pipeline_feed() (and pipeline_feed_verdicts()
 * for late quality verdicts), on the observations' own clock. Closed
 * rollups, changed models and review items come out in struct effects; the
 * weekly refresh comes out as baseline_refresh_due and runs as a job
 * (core/baseline_job.h) that the shell runs where it likes.
 *
 * Static checks and baselines: a baseline verdict becomes a failure event
 * only from a warm slot (h >= warm_weight, docs/baselines.md); while the
 * slot of the provider's aggregate series is warm for latency, rate limits,
 * content filter or invalid requests, the static soft-window check of that
 * subtype (thresholds.latency_ms, soft_rate) is off for that provider and
 * source, so one test owns each question at a time. A cold deployment is
 * judged as without baselines; hard failures are events at once either way.
 * "Review waiting" verdicts are events whatever the warmth.
 */

/*
 * Turn baselines on with settings s (copied; s->enabled false leaves them
 * off) before the first feed. gateway_series and probe_series are the
 * deployment's expected series (the false-alarm budget is per deployment):
 * the limits are derived from them, and again from the series seen when
 * more appear. Returns 0, VG_ESTATE after the first feed, VG_EINVAL (a
 * budget out of range) or VG_ENOMEM.
 */
int pipeline_set_baselines(struct pipeline *p, const struct baseline_settings *s,
                           size_t gateway_series, size_t probe_series);

/* Whether baselines are on. */
bool pipeline_baselines_on(const struct pipeline *p);

/* Restore after a restart, before the first feed (or between feeds): a
 * series' model and the time of its last refresh; the hours of its current
 * week (encoded, core/rollup_codec; in time order; hours before its last
 * refresh are ignored); the minutes of its open hour (in time order), so
 * the hour closes whole; the id of its waiting review item. Each creates
 * the series when it is new. Return 0, VG_EINVAL, VG_EFULL (too many
 * series) or VG_ENOMEM; VG_ESTATE when baselines are off. */
int pipeline_baseline_restore_model(struct pipeline *p, const struct baseline_model *m,
                                    int64_t refreshed_ms);
int pipeline_baseline_restore_hour(struct pipeline *p, const struct rollup_series *key,
                                   const uint8_t *enc, size_t len);
int pipeline_baseline_restore_minute(struct pipeline *p, const struct rollup_series *key,
                                     const struct rollup *minute);
int pipeline_baseline_restore_review(struct pipeline *p, const struct rollup_series *key,
                                     int64_t review_id);

/* Review item ids continue after `id` (the store's highest). */
void pipeline_baseline_set_next_review_id(struct pipeline *p, int64_t id);

/*
 * The due refresh as a job (caller owns it: run it with baseline_job_run(),
 * then pipeline_baseline_apply(), then baseline_job_free()). The job holds
 * a copy of every series' model and the hours that ended by the refresh
 * time (moved out of the series). Returns 0, VG_ESTATE when none is due or
 * a job is out, VG_ENOMEM.
 */
int pipeline_baseline_take(struct pipeline *p, struct baseline_job **out);

/*
 * A job back from its run: each refreshed model replaces its series' model
 * (effects: the models to persist, a review item per step found), and the
 * next refresh is due a week after this one. A job whose items did not run
 * changes no model. Returns 0, VG_EINVAL (not the job out) or VG_ENOMEM.
 * While a job is out, review decisions are refused (VG_ESTATE): keep them
 * for after the apply.
 */
int pipeline_baseline_apply(struct pipeline *p, struct baseline_job *j, int64_t now,
                            struct effects *out);

/* Whether a refresh job is out (taken, not applied). */
bool pipeline_baseline_busy(const struct pipeline *p);

/* The model of series key, read-only (NULL when none); borrowed until the
 * next pipeline_* call. */
const struct baseline_model *pipeline_baseline_model(const struct pipeline *p,
                                                     const struct rollup_series *key);

/* Series tracked, and the i-th one's key (creation order; NULL past the end). */
size_t pipeline_baseline_count(const struct pipeline *p);
const struct rollup_series *pipeline_baseline_key(const struct pipeline *p, size_t i);

/* The settings and limits in use (NULL when off). */
const struct baseline_ctx *pipeline_baseline_ctx(const struct pipeline *p);

/* Bytes the baselines take (live series, weeks held). */
size_t pipeline_baseline_bytes(const struct pipeline *p);

#endif
