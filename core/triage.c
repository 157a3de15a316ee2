/*
 * triage.c: the walk over the triage tree (core/triage_tree.c) and the
 * evidence it reads (see triage.h): suggestions, the incident's entry,
 * threads, findings. Undo replays the recorded answers minus the last one,
 * so the walk's state is always a pure function of (evidence, answers).
 */
#include "core/triage_internal.h"

#include "core/event.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
int triage__count_format(enum triage_metric m, double v, double cnt, int64_t of, char *buf,
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
bool triage__label_refuted(const struct triage *t)
{
	return t->entry >= 0 && t->n_steps > 0 && t->steps[0].node == t->entry &&
	       t->steps[0].answer == TA_NO;
}

/* True when the scope has events a warm baseline raised about metric m. */
static bool baseline_says(const struct triage_evidence *ev, enum triage_metric m)
{
	return ev->baseline_events > 0 && ev->baseline_seen[0] && (int)m >= 0 &&
	       triage_subtype_metric(ev->baseline_seen_sub) == m;
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
static enum triage_answer suggest(const struct triage *t, const struct triage_node *n, double v)
{
	if (n->finding)
		return TA_NONE;
	/* No requests counted, but a warm baseline saw this metric leave its
	 * usual band in the scope: that alert is the evidence. */
	if (isnan(v))
		return baseline_says(&t->ev, n->metric) ? TA_YES : TA_NONE;
	bool over = v > n->threshold;
	enum triage_metric lm = label_metric(t);
	if (lm == TM_NONE || triage__label_refuted(t) || n->metric == TM_FALLBACK_SERVING)
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
		if (!triage__tree[i].finding && triage__tree[i].metric == m &&
		    strcmp(triage__tree[i].branch, "screening"))
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
	const struct triage_node *n = &triage__tree[t->threads[t->active].node];
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
		triage__count_format(n->metric, q->value, cnt, of, val, sizeof(val));
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
		int len = snprintf(q->evidence, sizeof(q->evidence),
		                   "%s in the incident's scope: %s", metrics[n->metric].label, val);
		/* What the baseline saw: "p95 6.7 s vs usual 2.9 s (2.4-3.5) ...". */
		if (baseline_says(ev, n->metric) && len >= 0 && (size_t)len < sizeof(q->evidence))
			snprintf(q->evidence + len, sizeof(q->evidence) - (size_t)len, "; %s",
			         ev->baseline_seen);
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
	t->threads[i].done = triage__tree[to].finding;
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
	const struct triage_node *n = &triage__tree[t->threads[i].node];
	st->opened[0] = st->opened[1] = -1;
	int first_new = -1;
	if (st->answer == TA_YES) {
		for (int k = 0; k < 2; k++) {
			if (n->open[k] < 0 || t->n_threads >= TRIAGE_MAX_THREADS)
				continue;
			int j = t->n_threads++;
			t->threads[j].node = (int16_t)n->open[k];
			t->threads[j].done = triage__tree[n->open[k]].finding;
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
		to = triage__tree[to].no; /* asked already, as the first question */
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
	const struct triage_node *n = &triage__tree[t->threads[t->active].node];
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
	default: return sub == triage__tree[node].subtype;
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
	return best >= 0 ? (enum subtype)best : triage__tree[node].subtype;
}

int triage_thread_info(const struct triage *t, int i, struct triage_thread_info *out)
{
	memset(out, 0, sizeof(*out));
	if (i < 0 || i >= t->n_threads)
		return VG_EINVAL;
	const struct triage_node *n = &triage__tree[t->threads[i].node];
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

int triage_node_count(void)
{
	return N__COUNT;
}

const char *triage_node_id(int node)
{
	if (node < 0 || node >= N__COUNT)
		return NULL;
	return triage__tree[node].id;
}
