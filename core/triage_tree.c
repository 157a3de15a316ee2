/*
 * triage_tree.c: the triage tree as a static table (see triage.h and
 * triage_internal.h). A node is either a question (a metric, a threshold
 * over which "yes" is suggested, the next node for yes and for no, and up
 * to two threads a "yes" opens) or a finding (category, subtype, runbook
 * section).
 */
#include "core/triage_internal.h"

#define Q(ID, BR, TEXT, M, TH, Y, N, O1, O2)                                                       \
	{                                                                                          \
		.id = ID, .branch = BR, .text = TEXT, .metric = M, .threshold = TH, .yes = Y,      \
		.no = N, .open = {                                                                 \
			O1,                                                                        \
			O2                                                                         \
		}                                                                                  \
	}
#define F(ID, BR, CAT, SUB, WHAT, SECTION, STEP)                                                   \
	{                                                                                          \
		.id = ID, .branch = BR, .metric = TM_NONE, .yes = -1, .no = -1,                    \
		.open = { -1, -1 }, .finding = true, .category = CAT, .subtype = SUB,              \
		.what = WHAT, .section = SECTION, .first_step = STEP                               \
	}

const struct triage_node triage__tree[N__COUNT] = {
	[N_STATUS] = Q("screening.status", "screening",
	               "Are requests failing with a non-2xx status, or no HTTP answer at all?",
	               TM_NON2XX_RATE, 0.05, N_SCHEMA, N_SCHEMA, N_P_HARD, -1),
	[N_SCHEMA] = Q("screening.schema", "screening", "Do 2xx answers fail schema validation?",
	               TM_SCHEMA_INVALID_RATE, 0.02, N_CONTENT, N_CONTENT, F_Q_FORMAT, -1),
	[N_CONTENT] = Q("screening.content", "screening",
	                "Is the schema valid but the content wrong (hallucination screen)?",
	                TM_HALLUCINATION_RATE, 0.05, N_TOKENS, N_TOKENS, N_Q_REGRESSION, -1),
	[N_TOKENS] = Q("screening.tokens", "screening",
	               "Is the per-request token count anomalously high?", TM_TOKEN_INFLATION_RATE,
	               0.05, N_CONTEXT, N_CONTEXT, N_C_RETRY, N_S_INJECTION),
	[N_CONTEXT] = Q("screening.context", "screening",
	                "Is the retrieved context stale, or retrieval similarity drifting?",
	                TM_DATA_RATE, 0.05, N_SCREEN_END, N_SCREEN_END, N_D_STALE, -1),
	[N_SCREEN_END] =
	        F("screening.end", "screening", -1, SUB_PROVIDER_OTHER, "screening complete", NULL,
	          "if no branch opened, check vigil's own health and the gateway"),

	[N_P_HARD] = Q("provider.hard", "provider",
	               "Are the failures hard (DNS, connect, TLS, timeout, 5xx, overloaded, auth)?",
	               TM_HARD_FAIL_RATE, 0.02, N_P_FALLBACK, N_P_QUOTA, -1, -1),
	[N_P_FALLBACK] =
	        Q("provider.fallback", "provider",
	          "Is a healthy fallback serving the failed-over traffic?", TM_FALLBACK_SERVING,
	          0.5, F_P_HARD_FAILOVER, F_P_HARD_NO_FALLBACK, -1, -1),
	/* Quota and spend caps before rate limits: they do not always come as
	 * 429s (a spend cap can be a 400 or 403), and retrying never helps. */
	[N_P_QUOTA] =
	        Q("provider.quota", "provider",
	          "Do requests fail with quota exhausted or a spend cap (retrying never helps)?",
	          TM_QUOTA_RATE, 0.0, F_P_QUOTA, N_P_RATELIMIT, -1, -1),
	[N_P_RATELIMIT] = Q("provider.rate_limit", "provider",
	                    "Are requests rate limited (429, headroom near zero)?",
	                    TM_RATE_LIMIT_RATE, 0.02, F_P_RATELIMIT, N_P_LATENCY, -1, -1),
	[N_P_LATENCY] = Q("provider.latency", "provider",
	                  "Is p99 latency over the threshold (over 1% of requests slower), "
	                  "without error codes?",
	                  TM_SLOW_RATE, 0.01, F_P_LATENCY, N_P_TRUNC, -1, -1),
	[N_P_TRUNC] = Q("provider.truncation", "provider",
	                "Are responses cut short (truncated body, finish_reason length)?",
	                TM_TRUNCATION_RATE, 0.02, F_P_TRUNC, N_P_OTHER, -1, -1),
	[N_P_OTHER] =
	        Q("provider.other", "provider",
	          "Are requests refused for another reason (invalid request, content filter)?",
	          TM_OTHER_RATE, 0.02, F_P_OTHER, N_P_OSC, -1, -1),
	[N_P_OSC] = Q("provider.oscillation", "provider",
	              "Is the breaker oscillating (opening and closing again and again)?", TM_FLAPS,
	              0.0, F_P_OSCILLATION, F_P_INTERMITTENT, -1, -1),
	[F_P_HARD_FAILOVER] =
	        F("provider.found.hard_failover", "provider", CAT_PROVIDER, SUB_SERVER_ERROR,
	          "hard failures, failover working (HIGH)", "Hard failures",
	          "confirm the fallback has rate-limit headroom for the extra load"),
	[F_P_HARD_NO_FALLBACK] =
	        F("provider.found.hard_no_fallback", "provider", CAT_PROVIDER, SUB_SERVER_ERROR,
	          "hard failures, no healthy fallback (CRITICAL)", "Hard failures",
	          "page the gateway routing owner; degrade dependent features"),
	[F_P_QUOTA] = F("provider.found.quota", "provider", CAT_PROVIDER, SUB_QUOTA_EXHAUSTED,
	                "quota or spend cap: retrying will never help", "quota_exhausted",
	                "fix billing or raise the cap; switch traffic meanwhile"),
	[F_P_RATELIMIT] = F("provider.found.rate_limit", "provider", CAT_PROVIDER, SUB_RATE_LIMIT,
	                    "rate limited", "Soft failures",
	                    "honour retry-after; spread load across key aliases"),
	[F_P_LATENCY] = F("provider.found.latency", "provider", CAT_PROVIDER, SUB_LATENCY,
	                  "latency over the threshold", "Soft failures",
	                  "compare p95/p99 with the hour-of-week baseline; shift traffic"),
	[F_P_TRUNC] = F("provider.found.truncation", "provider", CAT_PROVIDER, SUB_TRUNCATION,
	                "truncated responses", "Soft failures",
	                "check max_tokens and whether bodies are cut mid-stream"),
	[F_P_INTERMITTENT] =
	        F("provider.found.intermittent", "provider", CAT_PROVIDER, SUB_PROVIDER_OTHER,
	          "intermittent: no dominant failure type", "oscillation",
	          "check the breaker log for oscillation; keep traffic on the fallback"),

	[F_P_OTHER] = F("provider.found.other", "provider", CAT_PROVIDER, SUB_INVALID_REQUEST,
	                "requests refused: invalid request or content filter", "invalid_request",
	                "read the error bodies: a changed request shape or a filtered prompt"),

	[F_P_OSCILLATION] =
	        F("provider.found.oscillation", "provider", CAT_PROVIDER, SUB_OSCILLATION,
	          "breaker oscillating: failures come in waves", "oscillation",
	          "keep traffic on the fallback until the provider is steady"),

	[F_Q_FORMAT] = F("quality.found.format", "quality", CAT_QUALITY, SUB_FORMAT_VIOLATION,
	                 "schema-invalid answers", "format_violation",
	                 "find the failing schema and JSON pointer in the incident detail"),
	[N_Q_REGRESSION] =
	        Q("quality.regression", "quality",
	          "Did similarity to the usual answers drop too (a silent model update)?",
	          TM_REGRESSION_RATE, 0.02, F_Q_REGRESSION, F_Q_HALLUCINATION, -1, -1),
	[F_Q_REGRESSION] = F("quality.found.regression", "quality", CAT_QUALITY, SUB_REGRESSION,
	                     "regression after a model change", "regression",
	                     "compare model versions; pin the last good one or fail over"),
	[F_Q_HALLUCINATION] = F("quality.found.hallucination", "quality", CAT_QUALITY,
	                        SUB_HALLUCINATION, "hallucinated entities", "hallucination",
	                        "read the unsupported entities; check the retrieved context"),

	[N_C_RETRY] = Q("cost.retry", "cost", "Are retries multiplying the requests (retry storm)?",
	                TM_RETRY_STORM_RATE, 0.02, F_C_RETRY, N_C_STUFFING, -1, -1),
	[N_C_STUFFING] = Q("cost.stuffing", "cost",
	                   "Is the context growing steadily on a template (ratio over 1.05)?",
	                   TM_CONTEXT_STUFFING_RATE, 0.02, F_C_STUFFING, F_C_INFLATION, -1, -1),
	[F_C_RETRY] = F("cost.found.retry_storm", "cost", CAT_COST, SUB_RETRY_STORM, "retry storm",
	                "retry_storm", "cap retries; never retry quota, spend cap or auth errors"),
	[F_C_STUFFING] = F("cost.found.context_stuffing", "cost", CAT_COST, SUB_CONTEXT_STUFFING,
	                   "context stuffing", "context_stuffing",
	                   "compare tokens per request with last week's baseline"),
	[F_C_INFLATION] = F("cost.found.token_inflation", "cost", CAT_COST, SUB_TOKEN_INFLATION,
	                    "token inflation", "token_inflation",
	                    "check the security thread: prompt injection is the usual cause"),

	[N_S_INJECTION] = Q("security.injection", "security",
	                    "Do the inflated requests carry injected instructions?",
	                    TM_INJECTION_RATE, 0.0, F_S_INJECTION, N_S_PII, -1, -1),
	[N_S_PII] = Q("security.pii", "security", "Do responses leak PII or secrets?", TM_PII_RATE,
	              0.0, F_S_PII, N_S_JAILBREAK, -1, -1),
	[N_S_JAILBREAK] = Q("security.jailbreak", "security",
	                    "Are safety blocks and refusals rising for one caller or template?",
	                    TM_JAILBREAK_RATE, 0.02, F_S_JAILBREAK, F_S_NONE, -1, -1),
	[F_S_INJECTION] = F("security.found.prompt_injection", "security", CAT_SECURITY,
	                    SUB_PROMPT_INJECTION, "prompt injection", "prompt_injection",
	                    "inspect recent inputs; quarantine the source document or user"),
	[F_S_PII] = F("security.found.pii_leak", "security", CAT_SECURITY, SUB_PII_LEAK,
	              "PII or secret leak", "pii_leak",
	              "block the output path; notify the privacy officer"),
	[F_S_JAILBREAK] =
	        F("security.found.jailbreak", "security", CAT_SECURITY, SUB_JAILBREAK,
	          "jailbreak attempts", "jailbreak", "identify the caller; rate-limit or block"),
	[F_S_NONE] = F("security.found.none", "security", -1, SUB_PROMPT_INJECTION,
	               "no security signal: ruled out", NULL, "close this thread"),

	[N_D_STALE] =
	        Q("data.stale", "data", "Are retrieved documents older than the freshness limit?",
	          TM_STALE_RATE, 0.02, F_D_STALE, N_D_DRIFT, -1, -1),
	[N_D_DRIFT] =
	        Q("data.drift", "data", "Is top retrieval similarity falling against its baseline?",
	          TM_DRIFT_RATE, 0.02, F_D_DRIFT, F_D_GROUND_TRUTH, -1, -1),
	[F_D_STALE] =
	        F("data.found.stale_context", "data", CAT_DATA, SUB_STALE_CONTEXT, "stale context",
	          "stale_context", "check the indexing pipeline's last successful run"),
	[F_D_DRIFT] = F("data.found.embedding_drift", "data", CAT_DATA, SUB_EMBEDDING_DRIFT,
	                "embedding drift", "embedding_drift",
	                "check for a changed embedding model or a re-index"),
	[F_D_GROUND_TRUTH] =
	        F("data.found.ground_truth", "data", CAT_DATA, SUB_GROUND_TRUTH_CORRUPTION,
	          "no live data signal: suspect ground-truth corruption", "ground_truth_corruption",
	          "audit the fine-tuning and evaluation sets"),
};

/* What a question asks, in a few words, for the recorded path. */
const char *const triage__ask[N__COUNT] = {
	[N_STATUS] = "non-2xx",
	[N_SCHEMA] = "schema-invalid",
	[N_CONTENT] = "content wrong",
	[N_TOKENS] = "tokens high",
	[N_CONTEXT] = "context stale or drifting",
	[N_P_HARD] = "hard failures",
	[N_P_FALLBACK] = "healthy fallback",
	[N_P_RATELIMIT] = "rate limited",
	[N_P_QUOTA] = "quota or spend cap",
	[N_P_LATENCY] = "slow",
	[N_P_TRUNC] = "truncated",
	[N_P_OTHER] = "refused",
	[N_P_OSC] = "breaker oscillating",
	[N_Q_REGRESSION] = "similarity drops",
	[N_C_RETRY] = "retry storm",
	[N_C_STUFFING] = "context stuffing",
	[N_S_INJECTION] = "injection",
	[N_S_PII] = "PII leak",
	[N_S_JAILBREAK] = "jailbreak",
	[N_D_STALE] = "stale context",
	[N_D_DRIFT] = "retrieval drift",
};
