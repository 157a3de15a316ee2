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
	F_P_HARD_FAILOVER,
	F_P_HARD_NO_FALLBACK,
	F_P_QUOTA,
	F_P_RATELIMIT,
	F_P_LATENCY,
	F_P_TRUNC,
	F_P_INTERMITTENT,
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
	               TM_HARD_FAIL_RATE, 0.02, N_P_FALLBACK, N_P_RATELIMIT, -1, -1),
	[N_P_FALLBACK] =
	        Q("provider.fallback", "provider",
	          "Is a healthy fallback serving the failed-over traffic?", TM_FALLBACK_SERVING,
	          0.5, F_P_HARD_FAILOVER, F_P_HARD_NO_FALLBACK, -1, -1),
	[N_P_RATELIMIT] = Q("provider.rate_limit", "provider",
	                    "Are requests rate limited (429, headroom near zero)?",
	                    TM_RATE_LIMIT_RATE, 0.02, N_P_QUOTA, N_P_LATENCY, -1, -1),
	[N_P_QUOTA] = Q("provider.quota", "provider",
	                "Do the 429s say quota exhausted or spend cap (retrying never helps)?",
	                TM_QUOTA_RATE, 0.0, F_P_QUOTA, F_P_RATELIMIT, -1, -1),
	[N_P_LATENCY] = Q("provider.latency", "provider",
	                  "Is p99 latency over the threshold, without error codes?", TM_P99_RATIO,
	                  1.0, F_P_LATENCY, N_P_TRUNC, -1, -1),
	[N_P_TRUNC] = Q("provider.truncation", "provider",
	                "Are responses cut short (truncated body, finish_reason length)?",
	                TM_TRUNCATION_RATE, 0.02, F_P_TRUNC, F_P_INTERMITTENT, -1, -1),
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
	        F("provider.found.intermittent", "provider", CAT_PROVIDER, SUB_OSCILLATION,
	          "intermittent: no dominant failure type", "oscillation",
	          "check the breaker log for oscillation; keep traffic on the fallback"),

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
	[TM_JAILBREAK_RATE] = { "jailbreak_rate", "safety blocks and refusals", false },
	[TM_DATA_RATE] = { "data_rate", "stale or drifting context", false },
	[TM_STALE_RATE] = { "stale_rate", "stale context", false },
	[TM_DRIFT_RATE] = { "drift_rate", "retrieval similarity drops", false },
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
	for (int i = 0; i < TM__COUNT; i++)
		ev->v[i] = VG_NONE_D;
	ev->requests = VG_NONE;
	ev->window_ms = 5 * 60 * 1000;
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
	double pct = v * 100.0;
	if (pct != 0.0 && fabs(pct) < 10.0)
		return snprintf(buf, size, "%.1f%%", pct);
	return snprintf(buf, size, "%.0f%%", pct);
}

static double metric_value(const struct triage_evidence *ev, enum triage_metric m)
{
	if ((int)m < 0 || m >= TM__COUNT)
		return VG_NONE_D;
	return ev->v[m];
}

static enum triage_answer suggest(const struct node *n, double v)
{
	if (n->finding || isnan(v))
		return TA_NONE;
	return v > n->threshold ? TA_YES : TA_NO;
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
	q->suggested = suggest(n, q->value);
	q->number = answered(t, t->active) + 1;
	char val[32];
	triage_metric_format(n->metric, q->value, val, sizeof(val));
	long long mins = t->ev.window_ms > 0 ? (long long)(t->ev.window_ms / 60000) : 5;
	if (n->metric == TM_P99_RATIO)
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
	advance(t, i, st->answer == TA_YES ? n->yes : n->no);
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
	struct triage_step *st = &t->steps[t->n_steps++];
	st->thread = (int8_t)t->active;
	st->node = (int16_t)t->threads[t->active].node;
	st->answer = (int8_t)a;
	st->value = metric_value(&t->ev, n->metric);
	st->suggested = (int8_t)suggest(n, st->value);
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
		out->subtype = n->subtype;
		out->finding = n->what;
		out->section = n->section;
		out->first_step = n->first_step;
		out->runbook = n->category >= 0
		                       ? event_runbook((enum category)n->category, n->subtype)
		                       : NULL;
	}
	return 0;
}

static const char *answer_name(int a)
{
	return a == TA_YES ? "yes" : a == TA_NO ? "no" : "none";
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
		char val[32], ev[200];
		triage_metric_format(n->metric, st->value, val, sizeof(val));
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
		if (!info.done || i == 0)
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
	return root;
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

size_t triage_path_text(const struct triage *t, char *buf, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (int s = 0; s < t->n_steps; s++) {
		const struct triage_step *st = &t->steps[s];
		const struct node *nd = &tree[st->node];
		const char *dot = strrchr(nd->id, '.');
		char part[96], val[32];
		triage_metric_format(nd->metric, st->value, val, sizeof(val));
		snprintf(part, sizeof(part), "%s%s? %s (%s)", s ? " > " : "",
		         dot ? dot + 1 : nd->id, answer_name(st->answer), val);
		append(buf, size, &n, part);
	}
	bool any = false;
	for (int i = 1; i < t->n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(t, i, &info);
		if (!info.done || info.category < 0)
			continue;
		char part[96];
		snprintf(part, sizeof(part), "%s%s/%s", any ? ", " : " => ",
		         model_category_name((enum category)info.category),
		         model_subtype_name(info.subtype));
		append(buf, size, &n, part);
		any = true;
	}
	if (!any && triage_done(t))
		append(buf, size, &n, " => nothing confirmed");
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
