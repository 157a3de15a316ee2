/*
 * metrics_genai.h: gateway traffic on /metrics as OpenTelemetry's GenAI
 * semantic conventions name it (docs/gen-ai/gen-ai-metrics.md of
 * open-telemetry/semantic-conventions), so that dashboards built for those
 * conventions read vigil unchanged. Names and labels are the conventions'
 * instruments and attributes as an OTel Prometheus exporter writes them
 * (dots to underscores, the unit as a suffix); the buckets are the
 * conventions' recommended explicit bucket boundaries.
 *
 *   gen_ai_client_operation_duration_seconds   histogram, 0.01 .. 81.92 s
 *       {gen_ai_operation_name, gen_ai_provider_name, gen_ai_request_model, error_type}
 *   gen_ai_server_time_to_first_token_seconds  histogram, 0.001 .. 10 s;
 *       streamed requests that succeeded (the gateway's ttfb_ms)
 *       {gen_ai_operation_name, gen_ai_provider_name, gen_ai_request_model}
 *   gen_ai_client_token_usage                  histogram, 1 .. 67108864 tokens
 *       {gen_ai_operation_name, gen_ai_provider_name, gen_ai_request_model,
 *        gen_ai_token_type = input|output}
 *   vigil_gen_ai_spend_usd_total               counter, the gateway's cost_usd
 *       {gen_ai_operation_name, gen_ai_provider_name, gen_ai_request_model}
 *
 * Only gateway events count (probes have their own vigil_probe_* families).
 * gen_ai_operation_name is "chat": gateway events do not say which API
 * they called. error_type is empty (the label absent, in PromQL) for a
 * success, else the transport error (dns, connect, tls, timeout, reset) or
 * vigil's error class (rate_limit, overloaded, server_error, ...; core/
 * model.h). A request without a model counts as "unknown".
 *
 * gen_ai_request_model is capped (data/metrics_cap.h): the busiest
 * `max_models` names keep their own series, the rest report "other"; a
 * name that loses its place has its series folded into "other", so sum()
 * over models stays the total and no row is an aggregate of others.
 *
 * Threads: loop thread only. The struct is embedded (in struct
 * vigil_metrics); its families belong to the registry.
 */
#ifndef VIGIL_APP_METRICS_GENAI_H
#define VIGIL_APP_METRICS_GENAI_H

#include "core/observation.h"
#include "data/metrics.h"
#include "data/metrics_cap.h"

#define METRICS_GENAI_MAX_MODELS 10 /* metrics.max_models by default */

struct metrics_genai {
	struct metric_family *duration, *ttft, *tokens, *spend;
	struct metrics_cap models;
};

/* Register the families in `reg` with a cap of `max_models` model names.
 * Returns 0, or VG_EINVAL (a name registered differently, or no memory). */
int metrics_genai_register(struct metrics *reg, struct metrics_genai *g, size_t max_models);

/* Set the cap; call it before the first observation (it forgets the counts). */
void metrics_genai_set_max_models(struct metrics_genai *g, size_t max_models);

/* Record one observation: a gateway event's duration, time to first token,
 * tokens and spend; probes and unregistered families are ignored. */
void metrics_genai_observe(struct metrics_genai *g, const struct observation *obs);

/* The conventions' bucket bounds of each histogram (static; n in *n). */
enum metrics_genai_hist { GENAI_DURATION, GENAI_TTFT, GENAI_TOKENS };
const double *metrics_genai_buckets(enum metrics_genai_hist h, size_t *n);

#endif
