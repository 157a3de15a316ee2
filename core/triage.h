/*
 * triage.h: the triage wizard's decision tree, as data, and a walk through
 * it. The tree asks: is the status non-2xx (provider branch)? is
 * a 2xx answer schema-invalid (quality/format)? is valid content wrong
 * (quality/hallucination)? is the per-request token count anomalously high
 * (the cost branch and, at the same time, the security branch)? and, for the
 * fifth category, is the retrieved context stale or drifting (data)?
 *
 * It is sequential but overlapping: a screening thread asks those questions
 * in order, and every "yes" opens the branch as a thread of its own, so
 * several investigations can be open at once (a latency spike causing retries
 * that cost money while the answers degrade). Each branch asks its own
 * questions and ends in a finding: a category and subtype with its runbook,
 * or "ruled out". Every question names the live metric that answers it and
 * suggests an answer from the current numbers ("non-2xx in the last 5 min:
 * 38%" -> suggested: yes); the engineer confirms or overrides. The walk
 * records its path (questions, evidence, suggestions, answers, findings) for
 * the incident's postmortem.
 *
 * Pure: struct triage is a value type holding the walk; the tree is static.
 * No allocation except triage_path_json().
 */
#ifndef VIGIL_CORE_TRIAGE_H
#define VIGIL_CORE_TRIAGE_H

#include "core/model.h"

#include <jansson.h>

/* The live numbers the questions need. Rates are shares of the requests in
 * the evidence window (0..1); NaN = not measured. */
enum triage_metric {
	TM_NONE = -1,
	TM_NON2XX_RATE,      /* non-2xx status or no HTTP answer */
	TM_HARD_FAIL_RATE,   /* dns, connect, tls, timeout, reset, 5xx, overloaded, auth */
	TM_FALLBACK_SERVING, /* share of failed-over requests the fallback served well */
	TM_RATE_LIMIT_RATE,  /* 429 rate limits */
	TM_QUOTA_RATE,       /* quota exhausted or spend cap */
	TM_P99_RATIO,        /* p99 latency / the latency threshold */
	TM_TRUNCATION_RATE,  /* cut-short bodies, finish_reason length */
	TM_SCHEMA_INVALID_RATE,
	TM_HALLUCINATION_RATE,
	TM_REGRESSION_RATE, /* similarity step drops (regression, coherence) */
	TM_TOKEN_INFLATION_RATE,
	TM_RETRY_STORM_RATE,
	TM_CONTEXT_STUFFING_RATE,
	TM_INJECTION_RATE,
	TM_PII_RATE,
	TM_JAILBREAK_RATE,
	TM_DATA_RATE, /* stale context or embedding drift */
	TM_STALE_RATE,
	TM_DRIFT_RATE,
	TM_OTHER_RATE, /* invalid requests and other provider errors */
	TM_SLOW_RATE,  /* requests over the latency threshold (p99 over it: > 1%) */
	TM_FLAPS,      /* breaker oscillation events: a count, not a rate */
	TM__COUNT
};

struct triage_evidence {
	double v[TM__COUNT];     /* NaN = not measured */
	double n[TM__COUNT];     /* the count behind a rate (v = n / requests); NaN = none */
	int64_t requests;        /* requests in the window, VG_NONE when unknown */
	int64_t window_ms;       /* the window the rates cover (5 min by default) */
	char scope[VG_NAME_MAX]; /* provider the numbers cover; "" = all */
	/* About one incident (0 / "" / NaN otherwise): */
	int64_t from_ms, to_ms;     /* the minutes the incident spans: [from, to) */
	char where[120];            /* "anthropic claude-3-5, template faq" */
	double before[TM__COUNT];   /* the rate in the hour before the incident, NaN = none */
	int64_t before_requests;    /* requests in that hour, VG_NONE when not read */
	double baseline[TM__COUNT]; /* the scope's usual rate from its baseline model, NaN = none */
	char baseline_of[VG_NAME_MAX + VG_MODEL_MAX]; /* the series: "openai" or "openai/gpt-4o" */
	int64_t failed_over;       /* requests a fallback served in those minutes: the
	                        denominator of TM_FALLBACK_SERVING (VG_NONE: none) */
	int64_t sub_n[SUB__COUNT]; /* failure events in the scope, per subtype */
	/* The scope's latest event a warm baseline raised, as it compares
	 * ("p95 6.7 s vs usual 2.9 s (2.4-3.5) for Fri 15:00 UTC, 43
	 * requests"), its subtype, and how many such events the scope has
	 * ("" and 0: none). */
	char baseline_seen[120];
	enum subtype baseline_seen_sub;
	int64_t baseline_events;
};

/* Every metric "not measured", a 5-minute window, scope "". */
void triage_evidence_init(struct triage_evidence *ev);

/* The metric a failure subtype counts toward (TM_NONE for those no question
 * asks about: monitor subtypes). */
enum triage_metric triage_subtype_metric(enum subtype sub);

/* Count `n` failure events of subtype `sub` into ev->sub_n and the count of
 * its metric (stale and drift also into the data rate). */
void triage_evidence_add(struct triage_evidence *ev, enum subtype sub, double n);

/* Rates from the counts: v[m] = n[m] / requests (at most 1) for every
 * counted metric; the non-2xx count must be in n[TM_NON2XX_RATE]. Metrics
 * without a count keep their v. Nothing when requests is 0 or unknown. */
void triage_evidence_rates(struct triage_evidence *ev);

/* The metric's label as the wizard shows it ("non-2xx"). Static. */
const char *triage_metric_label(enum triage_metric m);

/* The metric's key in JSON and the snapshot files ("non2xx_rate"). Static;
 * "" when out of range. */
const char *triage_metric_key(enum triage_metric m);

/* The metric named by a key, or TM_NONE. */
enum triage_metric triage_metric_parse(const char *key);

/* Format a metric's value for a human: "38%", "0.4%", "1.7x", or "no data"
 * for NaN. Returns the length written (as snprintf). */
int triage_metric_format(enum triage_metric m, double v, char *buf, size_t size);

enum triage_answer { TA_NONE = -1, TA_NO = 0, TA_YES = 1 };

#define TRIAGE_MAX_THREADS 8
#define TRIAGE_MAX_STEPS   48

struct triage_step {
	int8_t thread;    /* the thread that asked */
	int16_t node;     /* the question's node */
	int8_t answer;    /* enum triage_answer */
	int8_t suggested; /* enum triage_answer; TA_NONE when there was no data */
	double value;     /* the evidence when answered (NaN = no data) */
	double count;     /* its count when answered (NaN = not a count) */
	int64_t of;       /* out of this many requests (VG_NONE = unknown) */
	int8_t opened[2]; /* threads this answer opened, -1 = none */
};

struct triage_thread {
	int16_t node; /* the current question, or the finding once done */
	bool done;
};

/* A walk through the tree (value type; see triage_start()). */
struct triage {
	struct triage_evidence ev;
	struct triage_thread threads[TRIAGE_MAX_THREADS];
	int n_threads;
	struct triage_step steps[TRIAGE_MAX_STEPS];
	int n_steps;
	int active;             /* the thread being asked, -1 once every thread is done */
	int label_category;     /* the incident's category, -1 for a walk about no incident */
	enum subtype label_sub; /* the incident's subtype */
	int16_t entry;          /* the first question (the label's), -1 = the screening */
};

/* Start a walk: one screening thread at the first question. Copies *ev. */
void triage_start(struct triage *t, const struct triage_evidence *ev);

/* Start a walk about an incident labelled category/subtype: thread 0 asks
 * the question of the label's own branch first (see the top of the file). */
void triage_start_incident(struct triage *t, const struct triage_evidence *ev,
                           enum category category, enum subtype subtype);

/* What the walk concluded against the incident's label, in one sentence
 * ("the evidence supports the label" / "labelled quality/hallucination, but
 * ... 0 of 40 requests; the evidence says provider/server_error"); "" while
 * the walk is not done or is about no incident. Returns the length. */
size_t triage_verdict(const struct triage *t, char *buf, size_t size);

/* A step's evidence as recorded: "hallucination screen failures 29 of 65
 * (45%)". Returns the length (as snprintf). */
int triage_step_evidence(const struct triage *t, int step, char *buf, size_t size);

/* Replace the live numbers (each refresh); suggestions follow, recorded
 * steps keep the value they were answered with. */
void triage_update_evidence(struct triage *t, const struct triage_evidence *ev);

/* The question the active thread asks. */
struct triage_question {
	const char *node_id; /* stable id, "provider.hard" */
	const char *branch;  /* "screening", "provider", ... */
	const char *text;
	enum triage_metric metric;
	double value;        /* NaN when not measured */
	char evidence[160];  /* "non-2xx in the last 5 min: 38%" */
	char reference[160]; /* "the hour before: 0.3%; baseline (openai): 0.8%", "" without one */
	enum triage_answer suggested; /* TA_NONE without data */
	int number;                   /* 1-based question number within its thread */
};

/* Fill *q for the active thread. Returns 0, or VG_ESTATE when the walk is done. */
int triage_question(const struct triage *t, struct triage_question *q);

/*
 * Answer the active thread's question. A "yes" may open new threads, which
 * take the focus (the newest first); a thread that reaches a finding is done
 * and the focus moves to the most recently opened thread still asking.
 * Returns 0, VG_EINVAL for an answer other than yes/no, VG_ESTATE when the
 * walk is done, or VG_EFULL when TRIAGE_MAX_STEPS answers were given.
 */
int triage_answer(struct triage *t, enum triage_answer a);

/* Accept the suggestion: as triage_answer() with the suggested answer;
 * VG_ENOTFOUND when there is none (no data). */
int triage_accept(struct triage *t);

/* Undo the last answer (threads it opened close again). Returns 0, or
 * VG_ESTATE when nothing was answered yet. */
int triage_back(struct triage *t);

/* Move the focus to thread i (which must still be asking): 0, or VG_EINVAL. */
int triage_focus(struct triage *t, int i);

/* True when every thread has reached its finding. */
bool triage_done(const struct triage *t);

/* What a thread is, and what it found once done. */
struct triage_thread_info {
	const char *branch;
	bool done;
	int answered; /* questions this thread answered */
	/* when done: */
	int category;           /* enum category, or -1: ruled out / nothing found */
	enum subtype subtype;   /* meaningful when category >= 0 */
	const char *finding;    /* "hard failures, no healthy fallback" */
	const char *runbook;    /* "docs/runbooks/provider.md" */
	const char *section;    /* the runbook's section or item for the finding */
	const char *first_step; /* the first thing to do, in one line */
};

/* Describe thread i: 0, or VG_EINVAL when i is out of range. */
int triage_thread_info(const struct triage *t, int i, struct triage_thread_info *out);

/*
 * The recorded path as JSON: {"scope", "steps": [{"thread", "node", "question",
 * "evidence", "suggested", "answer", "overridden"}], "findings": [{"branch",
 * "category", "subtype", "finding", "runbook"}], "complete"}. Returns a new
 * reference (caller json_decref()s it) or NULL when out of memory.
 */
json_t *triage_path_json(const struct triage *t);

/* The path in one line, as the incident records it ("hard failures? yes
 * (29 of 65, 45%) > fallback? no (10%) => provider/overloaded"), cut to fit
 * `size`. Returns the length. */
size_t triage_path_text(const struct triage *t, char *buf, size_t size);

/* A recorded path (a note's text after "triage: ") as readable steps, one
 * per line ("1. hard failures? yes (29 of 65, 45%)\n=> provider/overloaded"):
 * the one-line form above, or the JSON paths older consoles recorded (cut
 * short at the note's length or whole). Returns the length. */
size_t triage_note_readable(const char *note, char *buf, size_t size);

/* The number of nodes in the tree, and a node's id (for tests and the
 * help text). NULL when out of range. */
int triage_node_count(void);
const char *triage_node_id(int node);

#endif
