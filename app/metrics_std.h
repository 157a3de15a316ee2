/*
 * metrics_std.h: vigil's metric families on /metrics, registered in one
 * place so names, units and labels stay consistent, plus the helpers that
 * turn what the modules produce (pipeline effects, observations, probe
 * results and budgets, the pipeline's health read API, incident counts,
 * outbox deliveries) into series. This is the fan-in that knows every part,
 * so it lives in app/: the lower layers record nothing themselves but hand
 * their results to hooks (probes/canary's struct canary_hooks) or take
 * generic family handles (data/outbox's struct outbox_metrics), which this
 * module fills; data/metrics stays a generic registry.
 *
 *   vigil_build_info{version}                                        gauge 1
 *   vigil_probe_phase_duration_seconds{provider,model,phase}         gauge, last probe;
 *                          phase = resolve|connect|tls|processing|transfer (blackbox_exporter)
 *   vigil_probe_duration_seconds{provider,model}                     histogram, total
 *   vigil_probe_success{provider,model}                              gauge 0/1, last probe
 *   vigil_probe_spend_usd_total{provider,model}                      counter
 *   vigil_probe_spend_today_usd{provider}                            gauge, this UTC day
 *   vigil_probe_budget_exhausted{provider}                           gauge 0/1: the daily
 *                          probe budget is spent and the provider is not probed until 00:00 UTC
 *   vigil_probe_skipped_total{provider,model,reason}                 counter; reason = budget
 *   vigil_requests_total{source,provider,model,status_class}         counter;
 *                          source = gateway|probe, status_class = 2xx..5xx|transport
 *   vigil_failure_events_total{category,subtype,severity,provider}   counter
 *   vigil_incidents_open{category,severity}                          gauge
 *   vigil_incident_changes_total{kind}                               counter
 *   vigil_breaker_state{provider,model,state}                        gauge 1 for the current
 *   vigil_breaker_transitions_total{provider,model,from,to}          counter
 *   vigil_ratelimit_headroom_ratio{provider,model}                   gauge remaining/limit
 *   vigil_provider_breaker_state{provider,state},
 *   vigil_provider_breaker_transitions_total{provider,from,to},
 *   vigil_provider_availability_ratio{provider}, vigil_provider_quality_score{provider},
 *   vigil_provider_cost_efficiency_ratio{provider},
 *   vigil_provider_ratelimit_headroom_ratio{provider}               the provider's own
 *                          breaker and health rows: kept out of the per-model families
 *                          so that no model="" row counts twice under sum()
 *   gen_ai_* and vigil_gen_ai_spend_usd_total                        gateway traffic by the
 *                          OpenTelemetry GenAI conventions (app/metrics_genai.h)
 *   vigil_ratelimit_remaining{provider,model,kind}                   gauge; kind = requests|tokens
 *   vigil_ratelimit_limit{provider,model,kind}                       gauge
 *   vigil_quality_score{provider,model}                              gauge 0..1
 *   vigil_cost_efficiency_ratio{provider,model}                      gauge observed/configured $
 *   vigil_availability_ratio{provider,model}                         gauge
 *   vigil_sidecar_queue_depth, vigil_sidecar_queue_capacity          gauges
 *   vigil_event_time_clamped_total                                   counter: observations
 *                          ending over 1 s ahead of the wall clock, fed at the clock
 *   vigil_sidecar_oldest_age_seconds                                 gauge: the oldest queued
 *                          analysis's wait (0 when none)
 *   vigil_ingest_lines_total, vigil_ingest_quarantined_lines_total{reason}  counters
 *   vigil_outbox_pending{sink}                                       gauge
 *   vigil_sink_deliveries_total{sink,result}                         counter;
 *                          result = delivered|retry|rejected
 *   vigil_sink_up{sink}                                              gauge 0/1
 *   vigil_gateway_event_age_seconds                                  gauge: since the newest
 *                          gateway event (probes not counted); absent before the first
 *
 * Threads: loop thread only.
 */
#ifndef VIGIL_APP_METRICS_STD_H
#define VIGIL_APP_METRICS_STD_H

#include "app/metrics_genai.h"
#include "core/pipeline.h"
#include "data/metrics.h"
#include "data/outbox.h"
#include "net/http.h"
#include "probes/canary.h"

/* Handles of the standard families; NULL members only after a failed register. */
struct vigil_metrics {
	struct metrics *reg;
	struct metric_family *build_info;
	struct metric_family *probe_phase, *probe_duration, *probe_success, *probe_spend;
	struct metric_family *probe_spend_today, *probe_budget_exhausted, *probe_skipped;
	struct metric_family *requests, *failure_events;
	struct metric_family *incidents_open, *incident_changes;
	struct metric_family *breaker_state, *breaker_transitions;
	struct metric_family *headroom, *rl_remaining, *rl_limit;
	struct metric_family *quality, *cost_efficiency, *availability;
	struct metric_family *prov_breaker_state, *prov_breaker_transitions, *prov_availability;
	struct metric_family *prov_quality, *prov_cost_efficiency, *prov_headroom;
	struct metrics_genai genai; /* gateway traffic (metrics_genai.h) */
	struct metric_family *sidecar_depth, *sidecar_capacity;
	struct metric_family *ingest_lines, *ingest_quarantined;
	struct metric_family *outbox_pending, *sink_deliveries, *sink_up;
	/* vigil's view of its own inputs (daemon) */
	struct metric_family *gateway_event_age, *sidecar_oldest_age, *event_time_clamped;
};

/* Register every standard family in `reg`. Returns 0, or VG_ENOMEM /
 * VG_EINVAL (a name clash with a family registered differently). */
int metrics_std_register(struct metrics *reg, struct vigil_metrics *vm, const char *version);

/* Count what one pipeline call decided: failure events, breaker
 * transitions (and the state gauge), incident changes. */
void metrics_std_effects(struct vigil_metrics *vm, const struct effects *fx);

/* Count one observation (a gateway request or a probe) by status class, and
 * its rate-limit headers; a gateway request also in the GenAI families
 * (metrics_genai_observe()). */
void metrics_std_observation(struct vigil_metrics *vm, const struct observation *obs);

/* One finished probe: phase durations, total, success, spend (USD, <= 0 or
 * NaN for none). */
void metrics_std_probe(struct vigil_metrics *vm, const char *provider, const char *model,
                       const struct http_times *times, bool success, double spend_usd);

/* Fill *h with hooks that record into vm (borrowed; it must outlive the
 * canary set) each probe's phases, duration, success and spend
 * (metrics_std_probe), each provider's budget gauges and each skipped probe.
 * A probe's observation is counted where it is fed (metrics_std_observation). */
void metrics_std_canary_hooks(struct vigil_metrics *vm, struct canary_hooks *h);

/* The outbox's families of vm (outbox_options.metrics). */
struct outbox_metrics metrics_std_outbox(const struct vigil_metrics *vm);

/*
 * A collect hook (metrics_on_collect(reg, metrics_std_collect_pipeline, ctx))
 * that refreshes the gauges read from live state: open incidents, and per
 * provider/model breaker state, availability, quality score, cost efficiency,
 * headroom. `ctx` is a struct metrics_std_source the caller keeps alive.
 */
struct metrics_std_source {
	struct vigil_metrics *vm;
	const struct pipeline *pipeline;
	int64_t (*now_ms)(void *data); /* the time to read health at */
	void *now_data;
};
void metrics_std_collect_pipeline(void *ctx, struct metrics *reg);

/* The status class label of an HTTP status: "2xx".."5xx", "transport" when
 * there was no answer (status < 100), "other". Static. */
const char *metrics_std_status_class(int status);

#endif
