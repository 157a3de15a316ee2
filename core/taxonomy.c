/*
 * taxonomy.c: the decision tree (see taxonomy.h). Each branch is a small
 * function that appends signals; taxonomy_classify() runs them in the
 * order of taxonomy.h's tree. Error classes map to subtypes through one
 * table.
 */
#include "core/taxonomy.h"

#include "core/normalise.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* enum err_class -> provider subtype, for an answer that is not a success. */
static const enum subtype err_class_subtypes[] = {
	[EC_OK] = SUB_PROVIDER_OTHER,
	[EC_RATE_LIMIT] = SUB_RATE_LIMIT,
	[EC_QUOTA_EXHAUSTED] = SUB_QUOTA_EXHAUSTED,
	[EC_SPEND_CAP] = SUB_SPEND_CAP,
	[EC_OVERLOADED] = SUB_OVERLOADED,
	[EC_SERVER_ERROR] = SUB_SERVER_ERROR,
	[EC_TIMEOUT] = SUB_TIMEOUT,
	[EC_AUTH] = SUB_AUTH,
	[EC_PERMISSION] = SUB_AUTH,
	[EC_INVALID_REQUEST] = SUB_INVALID_REQUEST,
	[EC_CONTEXT_LENGTH] = SUB_INVALID_REQUEST,
	[EC_NOT_FOUND] = SUB_INVALID_REQUEST,
	[EC_TOO_LARGE] = SUB_INVALID_REQUEST,
	[EC_CONTENT_FILTER] = SUB_CONTENT_FILTER,
	[EC_TRANSPORT] = SUB_CONNECT,
	[EC_OTHER] = SUB_PROVIDER_OTHER,
};
_Static_assert(COUNT(err_class_subtypes) == EC__COUNT, "error class table");

static const enum subtype transport_subtypes[] = {
	[TE_NONE] = SUB_PROVIDER_OTHER, [TE_DNS] = SUB_DNS,
	[TE_CONNECT] = SUB_CONNECT,     [TE_TLS] = SUB_TLS,
	[TE_TIMEOUT] = SUB_TIMEOUT,     [TE_RESET] = SUB_RESET,
};
_Static_assert(COUNT(transport_subtypes) == TE__COUNT, "transport table");

enum subtype taxonomy_err_class_subtype(enum err_class c, int http_status)
{
	if (c == EC_OK || c == EC_OTHER) {
		/* The body said nothing useful: fall back to what the status means. */
		enum err_class sc = normalise_status_class(http_status);
		if (sc != EC_OK && sc != EC_OTHER)
			c = sc;
	}
	if ((int)c < 0 || c >= EC__COUNT)
		return SUB_PROVIDER_OTHER;
	return err_class_subtypes[c];
}

enum subtype taxonomy_transport_subtype(enum transport_error e)
{
	if ((int)e < 0 || e >= TE__COUNT)
		return SUB_PROVIDER_OTHER;
	return transport_subtypes[e];
}

/* The appender: signals go to out[] while there is room. */
struct sink {
	struct tax_signal *out;
	size_t max, n;
	const struct observation *obs;
};

static struct tax_signal *add(struct sink *k, enum subtype sub)
{
	if (k->n >= k->max)
		return NULL;
	struct tax_signal *sg = &k->out[k->n++];
	const struct observation *obs = k->obs;
	sg->category = model_subtype_category(sub);
	sg->subtype = sub;
	sg->soft = sg->category == CAT_PROVIDER && !model_subtype_is_hard(sub);
	sg->suspicion = false;
	sg->retryable = model_subtype_retry_pointless(sub) ? VG_TRI_FALSE : VG_TRI_TRUE;
	struct causal_signals *c = &sg->causal;
	event_causal_init(c);
	/* Request-level measurements every responder wants beside the trigger. */
	c->latency_ms = obs->total_ms;
	c->http_status = obs->http_status > 0 ? obs->http_status : 0;
	c->transport = obs->transport_error;
	if (obs->norm.error_type[0])
		model_copy_str(c->error_type, sizeof(c->error_type), obs->norm.error_type,
		               (size_t)-1);
	if (obs->norm.error_code[0])
		model_copy_str(c->error_code, sizeof(c->error_code), obs->norm.error_code,
		               (size_t)-1);
	if (obs->norm.finish_raw[0])
		model_copy_str(c->finish_reason, sizeof(c->finish_reason), obs->norm.finish_raw,
		               (size_t)-1);
	c->input_tokens = observation_input_tokens(obs);
	c->predicted_input_tokens = obs->predicted_input_tokens;
	if (obs->retry_count >= 0)
		c->retry_count = obs->retry_count;
	return sg;
}

/* The provider's own hints on a failed answer. */
static void provider_hints(struct tax_signal *sg, const struct observation *obs)
{
	if (!sg)
		return;
	const struct norm_signals *n = &obs->norm;
	if (n->retryable != VG_TRI_UNSET)
		sg->retryable = n->retryable;
	/* A subtype that says retrying is pointless wins over the provider's hint. */
	if (model_subtype_retry_pointless(sg->subtype))
		sg->retryable = VG_TRI_FALSE;
	sg->causal.retry_after_ms = n->retry_after_ms;
	const struct ratelimit *rl = vg_has(n->rl_requests.limit) ? &n->rl_requests : &n->rl_tokens;
	sg->causal.ratelimit_remaining = rl->remaining;
	sg->causal.ratelimit_limit = rl->limit;
}

/* Provider branch, hard and soft. Returns whether the provider answered
 * successfully (the quality branch only applies then). */
static bool provider_branch(struct sink *k, const struct core_settings *s)
{
	const struct observation *obs = k->obs;
	const struct norm_signals *n = &obs->norm;
	int st = obs->http_status;
	bool answered = obs->transport_error == TE_NONE;
	bool success;

	if (!answered) {
		struct tax_signal *sg = add(k, taxonomy_transport_subtype(obs->transport_error));
		if (sg)
			sg->retryable = VG_TRI_TRUE;
		return false;
	}
	if (st >= 0 && (st < 200 || st >= 300)) {
		provider_hints(add(k, taxonomy_err_class_subtype(n->error_class, st)), obs);
		success = false;
	} else if (st < 0 && n->error_class != EC_OK) {
		/* No status given, but the gateway named an error. */
		provider_hints(add(k, taxonomy_err_class_subtype(n->error_class, 0)), obs);
		success = false;
	} else if (n->stream_error) {
		/* A 2xx that failed inside (SSE error event, response status "failed"). */
		provider_hints(add(k, taxonomy_err_class_subtype(n->error_class, 0)), obs);
		success = false;
	} else {
		success = true;
		if (n->error_class == EC_CONTENT_FILTER || n->safety_block ||
		    n->finish == FR_CONTENT_FILTER) {
			struct tax_signal *sg = add(k, SUB_CONTENT_FILTER);
			if (sg && n->block_reason[0])
				model_copy_str(sg->causal.detail, sizeof(sg->causal.detail),
				               n->block_reason, (size_t)-1);
		}
		if (n->body_truncated || n->finish == FR_LENGTH) {
			struct tax_signal *sg = add(k, SUB_TRUNCATION);
			if (sg && n->body_truncated)
				model_copy_str(sg->causal.detail, sizeof(sg->causal.detail),
				               "body cut short", (size_t)-1);
		}
	}
	if (vg_has_d(obs->total_ms) && obs->total_ms > s->latency_ms) {
		struct tax_signal *sg = add(k, SUB_LATENCY);
		if (sg) {
			sg->causal.threshold = s->latency_ms;
			sg->causal.value = obs->total_ms;
		}
	}
	return success;
}

static void quality_branch(struct sink *k, const struct semantic_verdicts *v)
{
	struct tax_signal *sg;
	if (v->schema_valid == VG_TRI_FALSE && (sg = add(k, SUB_FORMAT_VIOLATION)) != NULL) {
		if (v->schema_pointer[0])
			model_copy_str(sg->causal.detail, sizeof(sg->causal.detail),
			               v->schema_pointer, (size_t)-1);
	}
	/* A hallucination judged against its model's usual rate counts only
	 * over it (hallucination_excess false: the screen's background). */
	if (v->hallucination == VG_TRI_TRUE && v->hallucination_excess != VG_TRI_FALSE &&
	    (sg = add(k, SUB_HALLUCINATION)) != NULL) {
		if (v->unsupported_entities >= 0)
			sg->causal.value = v->unsupported_entities;
		if (v->hallucination_window >= 0) {
			sg->causal.error_rate = v->hallucination_rate;
			sg->causal.threshold = v->hallucination_baseline;
			sg->causal.window_count = v->hallucination_window;
		}
		model_copy_str(sg->causal.detail, sizeof(sg->causal.detail),
		               v->hallucination_sample, (size_t)-1);
		sg->causal.similarity = v->similarity;
	}
	if (v->regression == VG_TRI_TRUE && (sg = add(k, SUB_REGRESSION)) != NULL)
		sg->causal.similarity = v->similarity;
	if (v->coherence == VG_TRI_TRUE && (sg = add(k, SUB_COHERENCE)) != NULL)
		sg->causal.similarity = v->similarity;
}

/* Input tokens over the prediction, in percent; NaN when not measurable. */
static double token_delta_pct(const struct observation *obs, const struct semantic_verdicts *v)
{
	if (vg_has_d(v->token_delta_pct))
		return v->token_delta_pct;
	int64_t in = observation_input_tokens(obs);
	int64_t pred = obs->predicted_input_tokens;
	if (!vg_has(in) || !vg_has(pred) || pred <= 0 || in < 0)
		return VG_NONE_D;
	return ((double)in - (double)pred) / (double)pred * 100.0;
}

static void cost_security_branch(struct sink *k, const struct semantic_verdicts *v,
                                 const struct core_settings *s)
{
	const struct observation *obs = k->obs;
	struct tax_signal *sg;
	double delta = token_delta_pct(obs, v);
	bool inflated = v->token_inflation == VG_TRI_TRUE ||
	                (v->token_inflation == VG_TRI_UNSET && vg_has_d(delta) &&
	                 delta > s->token_inflation_pct);
	if (inflated) {
		/* The tree checks the security branch at the same time: inflated input
		 * is the first sign of injected content. */
		static const enum subtype pair[] = { SUB_TOKEN_INFLATION, SUB_PROMPT_INJECTION };
		for (size_t i = 0; i < COUNT(pair); i++) {
			if ((sg = add(k, pair[i])) == NULL)
				break;
			sg->causal.token_delta_pct = delta;
			sg->causal.threshold = s->token_inflation_pct;
			sg->suspicion = pair[i] == SUB_PROMPT_INJECTION;
		}
	}
	if (obs->retry_count >= 0 && obs->retry_count > s->retry_storm_count &&
	    (sg = add(k, SUB_RETRY_STORM)) != NULL) {
		sg->causal.threshold = s->retry_storm_count;
		sg->causal.value = obs->cost_usd;
	}
	if (v->context_stuffing == VG_TRI_TRUE && (sg = add(k, SUB_CONTEXT_STUFFING)) != NULL) {
		sg->causal.token_delta_pct = delta;
		sg->causal.threshold = s->context_stuffing_ratio;
	}
	if (v->pii_leak == VG_TRI_TRUE && (sg = add(k, SUB_PII_LEAK)) != NULL) {
		char *d = sg->causal.detail;
		size_t len = strlen(v->pii_kind);
		model_copy_str(d, sizeof(sg->causal.detail), v->pii_kind, len);
		if (v->pii_sample[0] && len + 2 < sizeof(sg->causal.detail)) {
			d[len] = ':';
			d[len + 1] = ' ';
			model_copy_str(d + len + 2, sizeof(sg->causal.detail) - len - 2,
			               v->pii_sample, (size_t)-1);
		}
	}
	if (v->jailbreak == VG_TRI_TRUE)
		add(k, SUB_JAILBREAK);
	if (v->extraction == VG_TRI_TRUE)
		add(k, SUB_EXTRACTION);
}

static void data_branch(struct sink *k, const struct semantic_verdicts *v,
                        const struct core_settings *s)
{
	const struct observation *obs = k->obs;
	struct tax_signal *sg;
	bool stale = v->stale_context == VG_TRI_TRUE ||
	             (v->stale_context == VG_TRI_UNSET && vg_has_d(obs->doc_age_s) &&
	              obs->doc_age_s > s->stale_context_s);
	if (stale && (sg = add(k, SUB_STALE_CONTEXT)) != NULL) {
		sg->causal.doc_age_s = obs->doc_age_s;
		sg->causal.threshold = s->stale_context_s;
	}
	if (v->embedding_drift == VG_TRI_TRUE && (sg = add(k, SUB_EMBEDDING_DRIFT)) != NULL) {
		sg->causal.similarity = obs->top_similarity;
		sg->causal.value = obs->top_similarity;
	}
}

size_t taxonomy_classify(const struct observation *obs, const struct semantic_verdicts *v,
                         const struct core_settings *s, struct tax_signal *out, size_t max)
{
	struct sink k = { .out = out, .max = max, .n = 0, .obs = obs };
	if (!v)
		v = &obs->verdicts;
	if (provider_branch(&k, s))
		quality_branch(&k, v);
	cost_security_branch(&k, v, s);
	data_branch(&k, v, s);
	return k.n;
}

bool taxonomy_has_hard(const struct tax_signal *signals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (signals[i].category == CAT_PROVIDER && !signals[i].soft)
			return true;
	}
	return false;
}
