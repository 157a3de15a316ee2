/*
 * triage.c: the triage tree as a static table and the walk over it (see
 * triage.h). A node is either a question (a metric, a threshold over which
 * "yes" is suggested, the next node for yes and for no, and up to two
 * threads a "yes" opens) or a finding (category, subtype, runbook section).
 * Undo replays the recorded answers minus the last one, so the walk's state
 * is always a pure function of (evidence, answers).
 */
#include "core/triage.h"

#include "core/event.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum node_id {
	/* screening */
	N_STATUS,
	N_SCHEMA,
	N_CONTENT,
	N_TOKENS,
	N_CONTEXT,
	N_SCREEN_END,
	/* provider */
	N_P_HARD,
	N_P_FALLBACK,
	N_P_RATELIMIT,
	N_P_QUOTA,
	N_P_LATENCY,
	N_P_TRUNC,
	N_P_OTHER,
	N_P_OSC,
	F_P_HARD_FAILOVER,
	F_P_HARD_NO_FALLBACK,
	F_P_QUOTA,
	F_P_RATELIMIT,
	F_P_LATENCY,
	F_P_TRUNC,
	F_P_INTERMITTENT,
	F_P_OTHER,
	F_P_OSCILLATION,
	/* quality */
	F_Q_FORMAT,
	N_Q_REGRESSION,
	F_Q_REGRESSION,
	F_Q_HALLUCINATION,
	/* cost */
	N_C_RETRY,
	N_C_STUFFING,
	F_C_RETRY,
	F_C_STUFFING,
	F_C_INFLATION,
	/* security */
	N_S_INJECTION,
	N_S_PII,
	N_S_JAILBREAK,
	F_S_INJECTION,
	F_S_PII,
	F_S_JAILBREAK,
	F_S_NONE,
	/* data */
	N_D_STALE,
	N_D_DRIFT,
	F_D_STALE,
	F_D_DRIFT,
	F_D_GROUND_TRUTH,
	N__COUNT
};

struct node {
	const char *id;
	const char *branch;
	/* question */
	const char *text;
	enum triage_metric metric;
	double threshold; /* suggest yes when the metric is above it */
	int yes, no;      /* next node in this thread */
	int open[2];      /* threads a "yes" opens (their first node), -1 = none */
	/* finding */
	bool finding;
	int category; /* -1: nothing found / ruled out */
	enum subtype subtype;
	const char *what;
	const char *section;
	const char *first_step;
};

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

static const struct node tree[N__COUNT] = {
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

static const struct {
	const char *key;
	const char *label;
	bool ratio; /* shown as "1.7x" rather than a percentage */
} metrics[TM__COUNT] = {
	[TM_NON2XX_RATE] = { "non2xx_rate", "non-2xx", false },
	[TM_HARD_FAIL_RATE] = { "hard_fail_rate", "hard failures", false },
	[TM_FALLBACK_SERVING] = { "fallback_serving", "failed-over requests served by the fallback",
	                          false },
	[TM_RATE_LIMIT_RATE] = { "rate_limit_rate", "429 rate limited", false },
	[TM_QUOTA_RATE] = { "quota_rate", "quota or spend-cap errors", false },
	[TM_P99_RATIO] = { "p99_ratio", "p99 latency vs threshold", true },
	[TM_TRUNCATION_RATE] = { "truncation_rate", "truncated responses", false },
	[TM_SCHEMA_INVALID_RATE] = { "schema_invalid_rate", "schema-invalid 2xx answers", false },
	[TM_HALLUCINATION_RATE] = { "hallucination_rate", "hallucination screen failures", false },
	[TM_REGRESSION_RATE] = { "regression_rate", "similarity drops", false },
	[TM_TOKEN_INFLATION_RATE] = { "token_inflation_rate",
	                              "requests >15% over their token prediction", false },
	[TM_RETRY_STORM_RATE] = { "retry_storm_rate", "requests in a retry storm", false },
	[TM_CONTEXT_STUFFING_RATE] = { "context_stuffing_rate", "context-stuffing signals", false },
	[TM_INJECTION_RATE] = { "injection_rate", "prompt-injection suspicions", false },
	[TM_PII_RATE] = { "pii_rate", "responses with PII or secrets", false },
	[TM_JAILBREAK_RATE] = { "jailbreak_rate", "jailbreak or extraction attempts", false },
	[TM_DATA_RATE] = { "data_rate", "stale or drifting context", false },
	[TM_STALE_RATE] = { "stale_rate", "stale context", false },
	[TM_DRIFT_RATE] = { "drift_rate", "retrieval similarity drops", false },
	[TM_OTHER_RATE] = { "other_rate", "invalid requests and refusals", false },
	[TM_SLOW_RATE] = { "slow_rate", "requests over the latency threshold", false },
	[TM_FLAPS] = { "flaps", "breaker oscillation events", false },
};

/* What a question asks, in a few words, for the recorded path. */
static const char *const ask[N__COUNT] = {
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

const char *triage_metric_key(enum triage_metric m)
{
	if ((int)m < 0 || m >= TM__COUNT)
		return "";
	return metrics[m].key;
}

enum triage_metric triage_metric_parse(const char *key)
{
	for (int i = 0; key && i < TM__COUNT; i++)
		if (strcmp(metrics[i].key, key) == 0)
			return (enum triage_metric)i;
	return TM_NONE;
}

void triage_evidence_init(struct triage_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	for (int i = 0; i < TM__COUNT; i++) {
		ev->v[i] = VG_NONE_D;
		ev->n[i] = VG_NONE_D;
		ev->before[i] = VG_NONE_D;
		ev->baseline[i] = VG_NONE_D;
	}
	ev->requests = VG_NONE;
	ev->before_requests = VG_NONE;
	ev->failed_over = VG_NONE;
	ev->window_ms = 5 * 60 * 1000;
}

enum triage_metric triage_subtype_metric(enum subtype sub)
{
	switch (sub) {
	case SUB_DNS:
	case SUB_CONNECT:
	case SUB_TLS:
	case SUB_TIMEOUT:
	case SUB_RESET:
	case SUB_SERVER_ERROR:
	case SUB_OVERLOADED:
	case SUB_AUTH: return TM_HARD_FAIL_RATE;
	case SUB_RATE_LIMIT: return TM_RATE_LIMIT_RATE;
	case SUB_QUOTA_EXHAUSTED:
	case SUB_SPEND_CAP: return TM_QUOTA_RATE;
	case SUB_TRUNCATION: return TM_TRUNCATION_RATE;
	case SUB_LATENCY: return TM_SLOW_RATE;
	case SUB_OSCILLATION: return TM_FLAPS;
	case SUB_INVALID_REQUEST:
	case SUB_CONTENT_FILTER:
	case SUB_PROVIDER_OTHER: return TM_OTHER_RATE;
	case SUB_FORMAT_VIOLATION: return TM_SCHEMA_INVALID_RATE;
	case SUB_HALLUCINATION: return TM_HALLUCINATION_RATE;
	case SUB_REGRESSION:
	case SUB_COHERENCE: return TM_REGRESSION_RATE;
	case SUB_TOKEN_INFLATION: return TM_TOKEN_INFLATION_RATE;
	case SUB_RETRY_STORM: return TM_RETRY_STORM_RATE;
	case SUB_CONTEXT_STUFFING: return TM_CONTEXT_STUFFING_RATE;
	case SUB_PROMPT_INJECTION: return TM_INJECTION_RATE;
	case SUB_PII_LEAK: return TM_PII_RATE;
	case SUB_JAILBREAK:
	case SUB_EXTRACTION: return TM_JAILBREAK_RATE;
	case SUB_STALE_CONTEXT: return TM_STALE_RATE;
	case SUB_EMBEDDING_DRIFT: return TM_DRIFT_RATE;
	default: return TM_NONE;
	}
}

static void count_in(struct triage_evidence *ev, enum triage_metric m, double n)
{
	ev->n[m] = (isnan(ev->n[m]) ? 0.0 : ev->n[m]) + n;
}

void triage_evidence_add(struct triage_evidence *ev, enum subtype sub, double n)
{
	if ((int)sub < 0 || sub >= SUB__COUNT)
		return;
	ev->sub_n[sub] += (int64_t)n;
	enum triage_metric m = triage_subtype_metric(sub);
	if (m == TM_NONE)
		return;
	count_in(ev, m, n);
	if (m == TM_STALE_RATE || m == TM_DRIFT_RATE)
		count_in(ev, TM_DATA_RATE, n);
}

void triage_evidence_rates(struct triage_evidence *ev)
{
	if (!vg_has(ev->requests) || ev->requests <= 0)
		return;
	for (int m = 0; m < TM__COUNT; m++) {
		if (m == TM_FALLBACK_SERVING || m == TM_P99_RATIO)
			continue;
		/* A counted metric without events is a measured zero. */
		if (isnan(ev->n[m]))
			ev->n[m] = 0.0;
		if (m == TM_FLAPS) {
			ev->v[m] = ev->n[m];
			continue;
		}
		ev->v[m] = ev->n[m] / (double)ev->requests;
		if (ev->v[m] > 1.0)
			ev->v[m] = 1.0;
	}
}

const char *triage_metric_label(enum triage_metric m)
{
	if ((int)m < 0 || m >= TM__COUNT)
		return "";
	return metrics[m].label;
}

int triage_metric_format(enum triage_metric m, double v, char *buf, size_t size)
{
	if ((int)m < 0 || m >= TM__COUNT || isnan(v))
		return snprintf(buf, size, "no data");
	if (metrics[m].ratio)
		return snprintf(buf, size, "%.1fx", v);
	if (m == TM_FLAPS)
		return snprintf(buf, size, "%.0f", v);
	double pct = v * 100.0;
	if (pct != 0.0 && fabs(pct) < 10.0)
		return snprintf(buf, size, "%.1f%%", pct);
	return snprintf(buf, size, "%.0f%%", pct);
}

/* What a metric's count is out of: the requests in the scope, the
 * failed-over requests for the fallback's share, nothing for a plain count. */
static int64_t denominator(const struct triage_evidence *ev, enum triage_metric m)
{
	if (m == TM_FALLBACK_SERVING)
		return ev->failed_over;
	if (m == TM_FLAPS || (int)m < 0)
		return VG_NONE;
	return ev->requests;
}

/* "29 of 65 requests (45%)". */
static int count_format(enum triage_metric m, double v, double cnt, int64_t of, char *buf,
                        size_t size)
{
	char pct[24];
	triage_metric_format(m, v, pct, sizeof(pct));
	return snprintf(buf, size, "%.0f of %lld requests (%s)", cnt, (long long)of, pct);
}

static double metric_value(const struct triage_evidence *ev, enum triage_metric m)
{
	if ((int)m < 0 || m >= TM__COUNT)
		return VG_NONE_D;
	return ev->v[m];
}

/* The metric the incident's label rests on. */
static enum triage_metric label_metric(const struct triage *t)
{
	if (t->label_category < 0)
		return TM_NONE;
	return triage_subtype_metric(t->label_sub);
}

/* True once the label's own question was answered "no". */
static bool label_refuted(const struct triage *t)
{
	return t->entry >= 0 && t->n_steps > 0 && t->steps[0].node == t->entry &&
	       t->steps[0].answer == TA_NO;
}

/*
 * The suggestion for node n. Without an incident, or once its label is
 * refuted: over the threshold. The label's own question: its events are in
 * the scope and their rate is over the threshold or over the hour before
  * (a handful of failures in a quiet hour is the incident). A competing
 * signal while the label stands: over the threshold and more than twice the
 * label's events (two signals in one scope, as a silent model update gives
 * hallucinations and similarity drops: the label stands unless the other
 * clearly dominates; its own incident answers for it).
 */
static enum triage_answer suggest(const struct triage *t, const struct node *n, double v)
{
	if (n->finding || isnan(v))
		return TA_NONE;
	bool over = v > n->threshold;
	enum triage_metric lm = label_metric(t);
	if (lm == TM_NONE || label_refuted(t) || n->metric == TM_FALLBACK_SERVING)
		return over ? TA_YES : TA_NO;
	const struct triage_evidence *ev = &t->ev;
	if (n->metric == lm ||
	    (n->metric == TM_DATA_RATE && (lm == TM_STALE_RATE || lm == TM_DRIFT_RATE))) {
		double cnt = ev->n[n->metric];
		if (isnan(cnt))
			return over ? TA_YES : TA_NO;
		double before = ev->before[n->metric];
		return cnt > 0 && (over || isnan(before) || v > before) ? TA_YES : TA_NO;
	}
	/* Only the label's own branch competes with it: a thread the chapter
	 * opens beside it (security beside cost) is a finding of its own. */
	if (strcmp(n->branch, model_category_name((enum category)t->label_category)) != 0)
		return over ? TA_YES : TA_NO;
	double mine = ev->n[n->metric], theirs = ev->n[lm];
	if (!over || isnan(mine) || isnan(theirs))
		return over ? TA_YES : TA_NO;
	return mine > 2.0 * theirs ? TA_YES : TA_NO;
}

/* The question node the label rests on (its own branch's), -1 for none. */
static int entry_of(enum category cat, enum subtype sub)
{
	switch (sub) {
	case SUB_FORMAT_VIOLATION: return N_SCHEMA;
	case SUB_HALLUCINATION: return N_CONTENT;
	case SUB_TOKEN_INFLATION: return N_TOKENS;
	case SUB_GROUND_TRUTH_CORRUPTION: return N_CONTEXT;
	default: break;
	}
	enum triage_metric m = triage_subtype_metric(sub);
	if ((int)cat < 0 || cat >= CAT_MONITOR || m == TM_NONE)
		return -1;
	for (int i = 0; i < N__COUNT; i++)
		if (!tree[i].finding && tree[i].metric == m && strcmp(tree[i].branch, "screening"))
			return i;
	return -1;
}

void triage_start(struct triage *t, const struct triage_evidence *ev)
{
	memset(t, 0, sizeof(*t));
	if (ev)
		t->ev = *ev;
	else
		triage_evidence_init(&t->ev);
	t->threads[0].node = N_STATUS;
	t->n_threads = 1;
	t->active = 0;
	t->label_category = -1;
	t->entry = -1;
}

void triage_start_incident(struct triage *t, const struct triage_evidence *ev,
                           enum category category, enum subtype subtype)
{
	triage_start(t, ev);
	int entry = entry_of(category, subtype);
	if (entry < 0)
		return;
	t->label_category = (int)category;
	t->label_sub = subtype;
	t->entry = (int16_t)entry;
	t->threads[0].node = (int16_t)entry;
}

void triage_update_evidence(struct triage *t, const struct triage_evidence *ev)
{
	t->ev = *ev;
}

bool triage_done(const struct triage *t)
{
	return t->active < 0;
}

/* Number of answers thread i gave. */
static int answered(const struct triage *t, int i)
{
	int n = 0;
	for (int s = 0; s < t->n_steps; s++)
		n += t->steps[s].thread == i;
	return n;
}

int triage_question(const struct triage *t, struct triage_question *q)
{
	memset(q, 0, sizeof(*q));
	if (t->active < 0)
		return VG_ESTATE;
	const struct node *n = &tree[t->threads[t->active].node];
	q->node_id = n->id;
	q->branch = n->branch;
	q->text = n->text;
	q->metric = n->metric;
	q->value = metric_value(&t->ev, n->metric);
	q->suggested = suggest(t, n, q->value);
	q->number = answered(t, t->active) + 1;
	char val[64];
	const struct triage_evidence *ev = &t->ev;
	double cnt = ev->n[n->metric];
	int64_t of = denominator(ev, n->metric);
	if (!isnan(cnt) && !isnan(q->value) && vg_has(of))
		count_format(n->metric, q->value, cnt, of, val, sizeof(val));
	else
		triage_metric_format(n->metric, q->value, val, sizeof(val));
	long long mins = ev->window_ms > 0 ? (long long)(ev->window_ms / 60000) : 5;
	if (ev->from_ms > 0) {
		double b = ev->before[n->metric], bl = ev->baseline[n->metric];
		char bv[24], lv[24];
		size_t at = 0;
		if (!isnan(b) && n->metric != TM_FALLBACK_SERVING) {
			triage_metric_format(n->metric, b, bv, sizeof(bv));
			at = (size_t)snprintf(q->reference, sizeof(q->reference),
			                      "the hour before: %s", bv);
		}
		if (!isnan(bl) && at < sizeof(q->reference)) {
			triage_metric_format(n->metric, bl, lv, sizeof(lv));
			snprintf(q->reference + at, sizeof(q->reference) - at,
			         "%sbaseline (%s): %s", at ? "; " : "", ev->baseline_of, lv);
		}
		snprintf(q->evidence, sizeof(q->evidence), "%s in the incident's scope: %s",
		         metrics[n->metric].label, val);
	} else if (n->metric == TM_P99_RATIO)
		snprintf(q->evidence, sizeof(q->evidence), "%s: %s", metrics[n->metric].label, val);
	else
		snprintf(q->evidence, sizeof(q->evidence), "%s in the last %lld min: %s",
		         metrics[n->metric].label, mins, val);
	return 0;
}

/* Move thread i along to node `to`; a finding ends the thread. */
static void advance(struct triage *t, int i, int to)
{
	t->threads[i].node = (int16_t)to;
	t->threads[i].done = tree[to].finding;
}

/* The most recently opened thread still asking, or -1. */
static int next_active(const struct triage *t)
{
	for (int i = t->n_threads - 1; i >= 0; i--)
		if (!t->threads[i].done)
			return i;
	return -1;
}

/* Apply one answer without recording checks (shared by answer and replay). */
static void apply(struct triage *t, struct triage_step *st)
{
	int i = st->thread;
	const struct node *n = &tree[t->threads[i].node];
	st->opened[0] = st->opened[1] = -1;
	int first_new = -1;
	if (st->answer == TA_YES) {
		for (int k = 0; k < 2; k++) {
			if (n->open[k] < 0 || t->n_threads >= TRIAGE_MAX_THREADS)
				continue;
			int j = t->n_threads++;
			t->threads[j].node = (int16_t)n->open[k];
			t->threads[j].done = tree[n->open[k]].finding;
			st->opened[k] = (int8_t)j;
			if (first_new < 0 && !t->threads[j].done)
				first_new = j;
		}
	}
	int to = st->answer == TA_YES ? n->yes : n->no;
	if (t->entry >= 0 && st->node == t->entry && st == &t->steps[0]) {
		/* The label's own question: confirmed, its branch goes on (a
		 * screening question's thread has nothing more to ask); refuted,
		 * the whole screening asks what the evidence says instead. */
		if (st->answer == TA_NO)
			to = N_STATUS;
		else if (!strcmp(n->branch, "screening"))
			to = N_SCREEN_END;
	} else if (t->entry >= 0 && to == t->entry && !strcmp(n->branch, "screening")) {
		to = tree[to].no; /* asked already, as the first question */
	}
	advance(t, i, to);
	/* Depth first: a newly opened branch is asked next, then the thread
	 * that opened it; otherwise the latest thread still asking. */
	if (first_new >= 0)
		t->active = first_new;
	else if (!t->threads[i].done)
		t->active = i;
	else
		t->active = next_active(t);
}

int triage_answer(struct triage *t, enum triage_answer a)
{
	if (a != TA_YES && a != TA_NO)
		return VG_EINVAL;
	if (t->active < 0)
		return VG_ESTATE;
	if (t->n_steps >= TRIAGE_MAX_STEPS)
		return VG_EFULL;
	const struct node *n = &tree[t->threads[t->active].node];
	double value = metric_value(&t->ev, n->metric);
	enum triage_answer suggested = suggest(t, n, value);
	struct triage_step *st = &t->steps[t->n_steps++];
	st->thread = (int8_t)t->active;
	st->node = (int16_t)t->threads[t->active].node;
	st->answer = (int8_t)a;
	st->value = value;
	st->count = (int)n->metric >= 0 ? t->ev.n[n->metric] : VG_NONE_D;
	st->of = denominator(&t->ev, n->metric);
	st->suggested = (int8_t)suggested;
	apply(t, st);
	return 0;
}

int triage_accept(struct triage *t)
{
	struct triage_question q;
	if (triage_question(t, &q) != 0)
		return VG_ESTATE;
	if (q.suggested == TA_NONE)
		return VG_ENOTFOUND;
	return triage_answer(t, q.suggested);
}

int triage_back(struct triage *t)
{
	if (t->n_steps == 0)
		return VG_ESTATE;
	struct triage_step steps[TRIAGE_MAX_STEPS];
	int n = t->n_steps - 1;
	memcpy(steps, t->steps, sizeof(steps));
	struct triage_evidence ev = t->ev;
	int cat = t->label_category;
	enum subtype sub = t->label_sub;
	if (cat >= 0)
		triage_start_incident(t, &ev, (enum category)cat, sub);
	else
		triage_start(t, &ev);
	for (int s = 0; s < n; s++) {
		t->steps[s] = steps[s];
		t->n_steps = s + 1;
		/* Replay on the thread that asked, whatever the focus was. */
		t->active = steps[s].thread;
		apply(t, &t->steps[s]);
	}
	/* The undone question is asked again. */
	if (!t->threads[steps[n].thread].done)
		t->active = steps[n].thread;
	return 0;
}

int triage_focus(struct triage *t, int i)
{
	if (i < 0 || i >= t->n_threads || t->threads[i].done)
		return VG_EINVAL;
	t->active = i;
	return 0;
}

/* The subtypes a finding covers: its own, and for the hard failures, the
 * billing errors, regressions and jailbreaks their kin. */
static bool covers(int node, enum subtype sub)
{
	switch (node) {
	case F_P_HARD_FAILOVER:
	case F_P_HARD_NO_FALLBACK: return triage_subtype_metric(sub) == TM_HARD_FAIL_RATE;
	case F_P_QUOTA: return sub == SUB_QUOTA_EXHAUSTED || sub == SUB_SPEND_CAP;
	case F_P_OTHER: return triage_subtype_metric(sub) == TM_OTHER_RATE;
	case F_Q_REGRESSION: return sub == SUB_REGRESSION || sub == SUB_COHERENCE;
	case F_S_JAILBREAK: return sub == SUB_JAILBREAK || sub == SUB_EXTRACTION;
	default: return sub == tree[node].subtype;
	}
}

/* A finding's subtype: the label's when the finding covers it and its
 * events are in the scope (or nothing was counted), else the most frequent
 * one it covers in the scope, else the finding's own. */
static enum subtype finding_subtype(const struct triage *t, int node)
{
	const int64_t *cnt = t->ev.sub_n;
	bool counted = false;
	for (int s = 0; s < SUB__COUNT; s++)
		counted |= cnt[s] > 0;
	if (t->label_category >= 0 && covers(node, t->label_sub) &&
	    (cnt[t->label_sub] > 0 || !counted))
		return t->label_sub;
	int best = -1;
	for (int s = 0; s < SUB__COUNT; s++)
		if (cnt[s] > 0 && covers(node, (enum subtype)s) && (best < 0 || cnt[s] > cnt[best]))
			best = s;
	return best >= 0 ? (enum subtype)best : tree[node].subtype;
}

int triage_thread_info(const struct triage *t, int i, struct triage_thread_info *out)
{
	memset(out, 0, sizeof(*out));
	if (i < 0 || i >= t->n_threads)
		return VG_EINVAL;
	const struct node *n = &tree[t->threads[i].node];
	out->branch = n->branch;
	out->done = t->threads[i].done;
	out->answered = answered(t, i);
	out->category = -1;
	if (out->done) {
		out->category = n->category;
		out->subtype =
		        n->category >= 0 ? finding_subtype(t, t->threads[i].node) : n->subtype;
		out->finding = n->what;
		out->section = n->section;
		if (out->subtype == SUB_AUTH)
			out->section = "auth";
		else if (out->subtype == SUB_SPEND_CAP)
			out->section = "spend_cap";
		out->first_step = n->first_step;
		out->runbook = n->category >= 0
		                       ? event_runbook((enum category)n->category, n->subtype)
		                       : NULL;
	}
	return 0;
}

static void append(char *buf, size_t size, size_t *n, const char *s)
{
	size_t len = strlen(s);
	if (*n + 1 >= size)
		return;
	if (*n + len + 1 > size)
		len = size - 1 - *n;
	memcpy(buf + *n, s, len);
	*n += len;
	buf[*n] = '\0';
}

static const char *answer_name(int a)
{
	return a == TA_YES ? "yes" : a == TA_NO ? "no" : "none";
}

/* A step's number as recorded: "29 of 65 requests (45%)" or "1.7x". */
static int step_value(const struct triage_step *st, char *buf, size_t size)
{
	enum triage_metric m = tree[st->node].metric;
	if (!isnan(st->count) && !isnan(st->value) && vg_has(st->of))
		return count_format(m, st->value, st->count, st->of, buf, size);
	return triage_metric_format(m, st->value, buf, size);
}

int triage_step_evidence(const struct triage *t, int step, char *buf, size_t size)
{
	if (step < 0 || step >= t->n_steps)
		return snprintf(buf, size, "%s", "");
	const struct triage_step *st = &t->steps[step];
	char val[96];
	step_value(st, val, sizeof(val));
	return snprintf(buf, size, "%s %s", metrics[tree[st->node].metric].label, val);
}

/* "quality/hallucination" of a done thread, or "" when it found nothing. */
static bool finding_name(const struct triage *t, int i, char *buf, size_t size)
{
	struct triage_thread_info info;
	if (triage_thread_info(t, i, &info) != 0 || !info.done || info.category < 0)
		return false;
	snprintf(buf, size, "%s/%s", model_category_name((enum category)info.category),
	         model_subtype_name(info.subtype));
	return true;
}

size_t triage_verdict(const struct triage *t, char *buf, size_t size)
{
	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (t->label_category < 0 || !triage_done(t))
		return 0;
	char label[64], found[200] = "", one[64];
	snprintf(label, sizeof(label), "%s/%s",
	         model_category_name((enum category)t->label_category),
	         model_subtype_name(t->label_sub));
	bool confirmed = false;
	size_t n = 0;
	for (int i = 0; i < t->n_threads; i++) {
		if (!finding_name(t, i, one, sizeof(one)))
			continue;
		confirmed |= strcmp(one, label) == 0;
		if (strstr(found, one))
			continue;
		append(found, sizeof(found), &n, n ? ", " : "");
		append(found, sizeof(found), &n, one);
	}
	if (confirmed && !label_refuted(t)) {
		snprintf(buf, size, "the evidence in its scope supports its label %s", label);
		return strlen(buf);
	}
	char ev[160] = "";
	if (label_refuted(t))
		triage_step_evidence(t, 0, ev, sizeof(ev));
	int w = snprintf(buf, size, "labelled %s, but %s%s%s; the evidence says %s", label,
	                 label_refuted(t) ? "its own signal is not in its scope (" : "the answers",
	                 ev, label_refuted(t) ? ")" : " lead elsewhere",
	                 found[0] ? found : "nothing conclusive");
	return w < 0 ? 0 : (size_t)w < size ? (size_t)w : size - 1;
}

json_t *triage_path_json(const struct triage *t)
{
	json_t *root = json_object();
	json_t *steps = json_array();
	json_t *findings = json_array();
	if (!root || !steps || !findings) {
		json_decref(root);
		json_decref(steps);
		json_decref(findings);
		return NULL;
	}
	json_object_set_new(root, "scope", json_string(t->ev.scope));
	for (int s = 0; s < t->n_steps; s++) {
		const struct triage_step *st = &t->steps[s];
		const struct node *n = &tree[st->node];
		char val[96], ev[200];
		step_value(st, val, sizeof(val));
		snprintf(ev, sizeof(ev), "%s: %s", metrics[n->metric].label, val);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "thread", n->branch,
		                      "node", n->id, "question", n->text, "evidence", ev,
		                      "suggested", answer_name(st->suggested), "answer",
		                      answer_name(st->answer), "overridden",
		                      st->suggested != TA_NONE && st->suggested != st->answer);
		if (o)
			json_array_append_new(steps, o);
	}
	for (int i = 0; i < t->n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(t, i, &info);
		if (!info.done || (i == 0 && info.category < 0))
			continue;
		json_t *o = json_pack(
		        "{s:s, s:s, s:s, s:s, s:s}", "branch", info.branch, "category",
		        info.category >= 0 ? model_category_name((enum category)info.category)
		                           : "none",
		        "subtype", info.category >= 0 ? model_subtype_name(info.subtype) : "none",
		        "finding", info.finding ? info.finding : "", "runbook",
		        info.runbook ? info.runbook : "");
		if (o)
			json_array_append_new(findings, o);
	}
	json_object_set_new(root, "steps", steps);
	json_object_set_new(root, "findings", findings);
	json_object_set_new(root, "complete", json_boolean(triage_done(t)));
	char why[300];
	if (triage_verdict(t, why, sizeof(why)) > 0)
		json_object_set_new(root, "verdict", json_string(why));
	return root;
}

size_t triage_path_text(const struct triage *t, char *buf, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (int s = 0; s < t->n_steps; s++) {
		const struct triage_step *st = &t->steps[s];
		char part[160], val[96];
		enum triage_metric m = tree[st->node].metric;
		if (!isnan(st->count) && !isnan(st->value) && vg_has(st->of)) {
			char pct[24];
			triage_metric_format(m, st->value, pct, sizeof(pct));
			snprintf(val, sizeof(val), "%.0f of %lld, %s", st->count, (long long)st->of,
			         pct);
		} else {
			triage_metric_format(m, st->value, val, sizeof(val));
		}
		snprintf(part, sizeof(part), "%s%s? %s (%s)", s ? " > " : "", ask[st->node],
		         answer_name(st->answer), val);
		append(buf, size, &n, part);
	}
	bool any = false;
	for (int i = 0; i < t->n_threads; i++) {
		char one[64], part[80];
		if (!finding_name(t, i, one, sizeof(one)))
			continue;
		snprintf(part, sizeof(part), "%s%s", any ? ", " : " => ", one);
		append(buf, size, &n, part);
		any = true;
	}
	if (!any && triage_done(t))
		append(buf, size, &n, " => nothing confirmed");
	if (label_refuted(t) && triage_done(t)) {
		char part[96];
		snprintf(part, sizeof(part), " (not %s/%s: its signal is not in its scope)",
		         model_category_name((enum category)t->label_category),
		         model_subtype_name(t->label_sub));
		append(buf, size, &n, part);
	}
	return n;
}

int triage_node_count(void)
{
	return N__COUNT;
}

const char *triage_node_id(int node)
{
	if (node < 0 || node >= N__COUNT)
		return NULL;
	return tree[node].id;
}

/* ---- recorded paths, read back ---- */

/* The string value after `"key":"` in a JSON text that may be cut short:
 * copied (escapes dropped) into out; returns the position after it, or NULL. */
static const char *json_field(const char *p, const char *end, const char *key, char *out,
                              size_t size)
{
	char pat[40];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *at = strstr(p, pat);
	out[0] = '\0';
	if (!at || at >= end)
		return NULL;
	at += strlen(pat);
	size_t n = 0;
	while (*at && *at != '"') {
		if (*at == '\\' && at[1])
			at++;
		if (n + 1 < size)
			out[n++] = *at;
		at++;
	}
	out[n] = '\0';
	return *at ? at + 1 : NULL;
}

/* An older console's JSON path, whole or cut at the note's length. */
static size_t readable_json(const char *note, char *buf, size_t size)
{
	size_t n = 0;
	int k = 0;
	const char *p = note;
	bool cut = false;
	for (;;) {
		const char *step = strstr(p, "\"node\":\"");
		const char *fnd = strstr(p, "\"findings\":");
		if (!step || (fnd && fnd < step))
			break;
		const char *next = strstr(step + 8, "\"node\":\"");
		const char *end = next ? next : step + strlen(step);
		if (fnd && fnd < end)
			end = fnd;
		char q[200], ev[120], ans[16];
		json_field(step, end, "question", q, sizeof(q));
		json_field(step, end, "evidence", ev, sizeof(ev));
		if (!json_field(step, end, "answer", ans, sizeof(ans))) {
			cut = true;
			break;
		}
		char line[400];
		snprintf(line, sizeof(line), "%s%d. %s %s%s%s", k ? "\n" : "", k + 1, q, ans,
		         ev[0] ? ": " : "", ev);
		append(buf, size, &n, line);
		k++;
		p = end;
	}
	const char *f = strstr(p, "\"findings\":");
	while (f) {
		char cat[32], sub[40];
		const char *after = json_field(f, f + strlen(f), "category", cat, sizeof(cat));
		if (!after ||
		    !json_field(after, after + strlen(after), "subtype", sub, sizeof(sub)))
			break;
		if (strcmp(cat, "none") != 0) {
			char line[96];
			snprintf(line, sizeof(line), "\n=> %s/%s", cat, sub);
			append(buf, size, &n, line);
		}
		f = after;
	}
	if (cut || !strstr(note, "\"complete\""))
		append(buf, size, &n,
		       k ? "\n(the rest of this older record was cut short)"
		         : "(an older record, cut short before its first step)");
	return n;
}

size_t triage_note_readable(const char *note, char *buf, size_t size)
{
	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (!note)
		return 0;
	while (*note == ' ')
		note++;
	if (*note == '{')
		return readable_json(note, buf, size);
	/* The one-line form: "a? yes (..) > b? no (..) => x/y (not ...)". */
	size_t n = 0;
	const char *res = strstr(note, " => ");
	const char *stop = res ? res : note + strlen(note);
	const char *p = note;
	for (int k = 0; p < stop; k++) {
		const char *sep = strstr(p, " > ");
		if (!sep || sep > stop)
			sep = stop;
		char line[400];
		snprintf(line, sizeof(line), "%s%d. %.*s", k ? "\n" : "", k + 1, (int)(sep - p), p);
		append(buf, size, &n, line);
		p = sep == stop ? stop : sep + 3;
	}
	if (res) {
		append(buf, size, &n, n ? "\n=> " : "=> ");
		append(buf, size, &n, res + 4);
	}
	return n;
}
