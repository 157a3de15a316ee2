/* observation.c: initialisation and accessors of struct observation. */
#include "core/observation.h"

#include <string.h>

static void ratelimit_init(struct ratelimit *rl)
{
	rl->limit = VG_NONE;
	rl->remaining = VG_NONE;
	rl->reset_ms = VG_NONE;
}

void norm_signals_init(struct norm_signals *n)
{
	memset(n, 0, sizeof(*n));
	n->error_class = EC_OK;
	n->retryable = VG_TRI_UNSET;
	n->retry_after_ms = VG_NONE;
	ratelimit_init(&n->rl_requests);
	ratelimit_init(&n->rl_tokens);
	n->finish = FR_UNSET;
	n->input_tokens = VG_NONE;
	n->output_tokens = VG_NONE;
	n->cached_tokens = VG_NONE;
}

void semantic_verdicts_init(struct semantic_verdicts *v)
{
	memset(v, 0, sizeof(*v));
	v->schema_valid = VG_TRI_UNSET;
	v->hallucination = VG_TRI_UNSET;
	v->unsupported_entities = -1;
	v->hallucination_excess = VG_TRI_UNSET;
	v->hallucination_rate = VG_NONE_D;
	v->hallucination_baseline = VG_NONE_D;
	v->hallucination_window = -1;
	v->similarity = VG_NONE_D;
	v->regression = VG_TRI_UNSET;
	v->coherence = VG_TRI_UNSET;
	v->token_inflation = VG_TRI_UNSET;
	v->token_delta_pct = VG_NONE_D;
	v->context_stuffing = VG_TRI_UNSET;
	v->pii_leak = VG_TRI_UNSET;
	v->jailbreak = VG_TRI_UNSET;
	v->extraction = VG_TRI_UNSET;
	v->stale_context = VG_TRI_UNSET;
	v->embedding_drift = VG_TRI_UNSET;
	v->similarity_baseline = VG_NONE_D;
	v->repeat_ratio = VG_NONE_D;
	v->contradictions = -1;
	v->stuffing_ratio = VG_NONE_D;
	v->jailbreak_rate = VG_NONE_D;
	v->drift_baseline = VG_NONE_D;
}

void observation_init(struct observation *obs)
{
	memset(obs, 0, sizeof(*obs));
	obs->source = OBS_GATEWAY;
	obs->ts_ms = VG_NONE;
	obs->attempt = -1;
	obs->kind = PK_OTHER;
	obs->traffic_class = TC_UNSET;
	obs->selection_reason = SEL_UNSET;
	obs->stream = VG_TRI_UNSET;
	obs->dns_ms = obs->connect_ms = obs->tls_ms = VG_NONE_D;
	obs->ttfb_ms = obs->total_ms = VG_NONE_D;
	obs->transport_error = TE_NONE;
	obs->http_status = -1;
	obs->body_bytes = VG_NONE;
	norm_signals_init(&obs->norm);
	obs->input_tokens = obs->output_tokens = VG_NONE;
	obs->cached_input_tokens = obs->predicted_input_tokens = VG_NONE;
	obs->cost_usd = VG_NONE_D;
	obs->retry_count = -1;
	obs->doc_age_s = VG_NONE_D;
	obs->top_similarity = VG_NONE_D;
	semantic_verdicts_init(&obs->verdicts);
}

enum finish_reason observation_finish(const struct observation *obs)
{
	return obs->norm.finish;
}

int64_t observation_end_ms(const struct observation *obs)
{
	if (!vg_has(obs->ts_ms))
		return VG_NONE;
	if (vg_has_d(obs->total_ms) && obs->total_ms >= 0)
		return obs->ts_ms + (int64_t)obs->total_ms;
	return obs->ts_ms;
}
