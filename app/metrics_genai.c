/*
 * metrics_genai.c: the GenAI families (see metrics_genai.h): registration,
 * one gateway event recorded, the model cap applied and its evictions
 * folded into "other".
 */
#include "app/metrics_genai.h"

#include "core/vgerr.h"

#include <math.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* gen_ai.client.operation.duration (and gen_ai.server.request.duration) */
static const double duration_buckets[] = { 0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
	                                   1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92 };
/* gen_ai.server.time_to_first_token */
static const double ttft_buckets[] = { 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
	                               0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0 };
/* gen_ai.client.token.usage */
static const double token_buckets[] = {
	1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
};

static const char *const L_DURATION[] = { "gen_ai_operation_name", "gen_ai_provider_name",
	                                  "gen_ai_request_model", "error_type", NULL };
static const char *const L_MODEL[] = { "gen_ai_operation_name", "gen_ai_provider_name",
	                               "gen_ai_request_model", NULL };
static const char *const L_TOKENS[] = { "gen_ai_operation_name", "gen_ai_provider_name",
	                                "gen_ai_request_model", "gen_ai_token_type", NULL };

#define MODEL_LABEL "gen_ai_request_model"
#define OPERATION   "chat"

const double *metrics_genai_buckets(enum metrics_genai_hist h, size_t *n)
{
	switch (h) {
	case GENAI_TTFT: *n = COUNT(ttft_buckets); return ttft_buckets;
	case GENAI_TOKENS: *n = COUNT(token_buckets); return token_buckets;
	default: *n = COUNT(duration_buckets); return duration_buckets;
	}
}

int metrics_genai_register(struct metrics *reg, struct metrics_genai *g, size_t max_models)
{
	memset(g, 0, sizeof(*g));
	metrics_cap_init(&g->models, max_models);
	g->duration = metrics_histogram(reg, "gen_ai_client_operation_duration_seconds",
	                                "GenAI operation duration: gateway requests, start to "
	                                "end (OpenTelemetry gen_ai.client.operation.duration).",
	                                L_DURATION, duration_buckets, COUNT(duration_buckets));
	g->ttft = metrics_histogram(reg, "gen_ai_server_time_to_first_token_seconds",
	                            "Time to first token of streamed gateway requests that "
	                            "succeeded (OpenTelemetry gen_ai.server.time_to_first_token).",
	                            L_MODEL, ttft_buckets, COUNT(ttft_buckets));
	g->tokens = metrics_histogram(reg, "gen_ai_client_token_usage",
	                              "Input and output tokens of gateway requests, as the "
	                              "provider reported them (OpenTelemetry "
	                              "gen_ai.client.token.usage).",
	                              L_TOKENS, token_buckets, COUNT(token_buckets));
	g->spend = metrics_counter(reg, "vigil_gen_ai_spend_usd_total",
	                           "What gateway requests cost, in USD, as the gateway reported "
	                           "it (cost_usd).",
	                           L_MODEL);
	return g->duration && g->ttft && g->tokens && g->spend ? 0 : VG_EINVAL;
}

void metrics_genai_set_max_models(struct metrics_genai *g, size_t max_models)
{
	metrics_cap_init(&g->models, max_models);
}

/* error.type of an observation: "" for a success. */
static const char *error_type(const struct observation *obs)
{
	if (obs->transport_error != TE_NONE)
		return model_transport_error_name(obs->transport_error);
	if (obs->norm.error_class != EC_OK)
		return model_err_class_name(obs->norm.error_class);
	if (obs->http_status >= 400)
		return model_err_class_name(EC_OTHER); /* an error status nothing classified */
	return "";
}

static void fold(struct metrics_genai *g, const char *evicted)
{
	struct metric_family *all[] = { g->duration, g->ttft, g->tokens, g->spend };
	for (size_t i = 0; i < COUNT(all); i++)
		metrics_fold(all[i], MODEL_LABEL, evicted, METRICS_CAP_OTHER);
}

void metrics_genai_observe(struct metrics_genai *g, const struct observation *obs)
{
	if (obs->source != OBS_GATEWAY || !g->duration)
		return;
	char evicted[METRICS_CAP_VALUE_MAX];
	const char *model = metrics_cap_use(
	        &g->models, obs->pid.model[0] ? obs->pid.model : "unknown", evicted);
	char label[METRICS_CAP_VALUE_MAX];
	memcpy(label, model, strlen(model) + 1); /* borrowed until the next use */
	if (evicted[0])
		fold(g, evicted);
	const char *err = error_type(obs);
	if (vg_has_d(obs->total_ms) && obs->total_ms >= 0) {
		const char *v[] = { OPERATION, obs->pid.provider, label, err };
		metrics_observe(g->duration, v, obs->total_ms / 1000.0);
	}
	const char *v[] = { OPERATION, obs->pid.provider, label };
	if (!err[0] && obs->stream == VG_TRI_TRUE && vg_has_d(obs->ttfb_ms) && obs->ttfb_ms >= 0)
		metrics_observe(g->ttft, v, obs->ttfb_ms / 1000.0);
	int64_t tok[2] = { observation_input_tokens(obs), observation_output_tokens(obs) };
	static const char *const types[2] = { "input", "output" };
	for (int k = 0; k < 2; k++) {
		if (!vg_has(tok[k]) || tok[k] < 0)
			continue;
		const char *tv[] = { OPERATION, obs->pid.provider, label, types[k] };
		metrics_observe(g->tokens, tv, (double)tok[k]);
	}
	if (vg_has_d(obs->cost_usd) && obs->cost_usd >= 0 && isfinite(obs->cost_usd))
		metrics_add(g->spend, v, obs->cost_usd);
}
