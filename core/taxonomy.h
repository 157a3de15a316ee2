/*
 * taxonomy.h: the decision tree, the only place that names failure
 * categories. One observation (with whatever semantic verdicts it carries)
 * becomes zero or more failure signals, following this tree:
 *
 *   transport error or non-2xx   -> PROVIDER branch: hard (dns, connect, tls,
 *                                   timeout, reset, 5xx, 529, auth, quota,
 *                                   spend cap) or soft (429, invalid request,
 *                                   content filter, other)
 *   2xx with a failure inside    -> PROVIDER (stream error, safety block)
 *   any answer                   -> PROVIDER soft: latency over threshold,
 *                                   truncation (body cut short or finish=length)
 *   2xx, schema invalid          -> QUALITY/format_violation
 *   hallucination, regression,
 *   coherence verdicts           -> QUALITY/...
 *   input tokens over prediction -> COST/token_inflation + SECURITY/prompt_injection
 *   retries over the threshold   -> COST/retry_storm
 *   security verdicts            -> SECURITY/pii_leak, jailbreak, extraction
 *   stale context, drift         -> DATA/stale_context, embedding_drift
 *
 * The branches overlap on purpose: several categories can fire for one
 * request. Stateless and pure: whether a soft signal becomes a failure event
 * (a sliding-window test) is the pipeline's decision, flagged here by `soft`.
 */
#ifndef VIGIL_CORE_TAXONOMY_H
#define VIGIL_CORE_TAXONOMY_H

#include "core/event.h"
#include "core/observation.h"
#include "core/settings.h"

/* The most signals one observation can produce (every branch at once). */
#define TAXONOMY_MAX_SIGNALS 16

struct tax_signal {
	enum category category;
	enum subtype subtype;
	bool soft;        /* a soft provider failure: an event only after the window test */
	bool suspicion;   /* inferred from another signal (prompt injection from inflation) */
	int8_t retryable; /* enum vg_tri: whether retrying can help */
	struct causal_signals causal;
};

/*
 * Classify one observation with the given verdicts (normally &obs->verdicts;
 * the pipeline passes its own copy after the inline semantic stage). Writes at
 * most `max` signals to out[] in tree order (provider first) and returns how
 * many were written. Never fails; an observation that fits no branch gives 0.
 */
size_t taxonomy_classify(const struct observation *obs, const struct semantic_verdicts *v,
                         const struct core_settings *s, struct tax_signal *out, size_t max);

/* Whether an observation is a provider failure that counts against a circuit
 * breaker: a hard PROVIDER subtype among signals[0..n). */
bool taxonomy_has_hard(const struct tax_signal *signals, size_t n);

/* The provider subtype an error class maps to, for a non-2xx answer. */
enum subtype taxonomy_err_class_subtype(enum err_class c, int http_status);

/* The provider subtype of a transport error (TE_NONE gives SUB_PROVIDER_OTHER). */
enum subtype taxonomy_transport_subtype(enum transport_error e);

#endif
