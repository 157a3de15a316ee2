/*
 * qrate.h: is a per-response failure happening more often than usual? A
 * screen that flags single responses (a hallucination: entities missing
 * from the retrieved context) also flags some healthy ones, so one flagged
 * response says little; what matters is the rate against its own baseline,
 * the residual over the baseline (docs/baselines.md).
 *
 * One tracker per key (core/semantic keeps one per provider and model
 * alias). It holds
 *   - the responses of a recent window (failures among them),
 *   - a baseline failure rate: counts that decay with a half-life, plus a
 *     prior worth a number of responses (the cold start: a conservative
 *     static rate until the tracker has seen enough), never below a floor;
 *     it learns a response once 64 newer ones came (a burst is judged
 *     against what was usual before it) and not while the tracker is
 *     alarmed, so an incident is not absorbed into "usual",
 *   - the responses since the last model-version change.
 *
 * A failure is in excess when, among n responses with k failures
 * (k >= min_failures: one failure is not a rate), the rate q = k/n is at
 * least ratio times the baseline p and the generalised likelihood ratio
 * n * KL(q || p) reaches ln(1/alpha) (the Chernoff bound of the binomial
 * tail P(X >= k) for n draws at p, so alpha bounds the chance that one test
 * fires on usual traffic). The responses tested are
 *   - those of the window (a rate that stays up),
 *   - those since a model change, with change_alpha (a change is when
 *     regressions happen: a looser bar, for fewer responses),
 *   - with burst on, each run of the newest 64 that starts with a failure
 *     (three in a row where one in a hundred is usual).
 * A key whose baseline is at most clean_rate is clean: there each failure is
 * in excess (one hallucination of a model that has none is news). While
 * alarmed (a failure was in excess within the window) the window test runs
 * at change_alpha, so an incident does not flicker.
 *
 * The baseline stops learning while alarmed only once warm (warmup
 * responses learned): a cold tracker's baseline is mostly its prior, and
 * freezing it there would keep a key whose usual rate is above the prior
 * alarmed for ever.
 *
 * Pure: time comes in as now; no clock, no I/O.
 */
#ifndef VIGIL_CORE_QRATE_H
#define VIGIL_CORE_QRATE_H

#include <stdbool.h>
#include <stdint.h>

#define QRATE_BUCKETS 12

struct qrate_settings {
	int64_t window_ms;        /* the recent window (60 s) */
	int64_t half_life_ms;     /* baseline memory (1 h) */
	double prior_rate;        /* the cold-start rate (0.05) */
	double prior_weight;      /* responses the prior is worth (200) */
	double floor;             /* the baseline is never below this (0.002) */
	double ratio;             /* the recent rate is at least this many times the baseline (2) */
	double alpha;             /* the test's false-alarm bound (0.001) */
	double change_alpha;      /* the same, for the responses since a model change (0.05) */
	int32_t min_failures;     /* failures needed in the responses tested (2) */
	double clean_rate;        /* a baseline at most this is clean (0.005; 0 = never) */
	bool burst;               /* test the runs of the newest responses too (false) */
	int32_t warmup;           /* responses learned before an alarm stops learning (200) */
	int64_t change_window_ms; /* how long after a change that test runs (1 h) */
};

/* The defaults above. */
void qrate_defaults(struct qrate_settings *s);

struct qrate {
	int64_t bucket_ms;
	int64_t start[QRATE_BUCKETS]; /* bucket number held, or INT64_MIN */
	uint32_t n[QRATE_BUCKETS], k[QRATE_BUCKETS];
	double base_n, base_k; /* decayed counts */
	uint64_t learned;      /* responses learned, ever */
	int64_t base_at;       /* time of the last decay, or INT64_MIN */
	int64_t changed_at;    /* last model change, or INT64_MIN */
	uint32_t chg_n, chg_k; /* since then */
	int64_t alarm_at;      /* last failure in excess, or INT64_MIN */
	uint64_t seq;          /* the newest responses, bit 0 the newest: 1 = failed */
	uint32_t seq_n;        /* how many of its bits hold responses (<= 64) */
};

/* What one response did to a tracker. */
struct qrate_verdict {
	uint32_t n, k;   /* responses and failures in the window, this one included */
	double rate;     /* k / n */
	double baseline; /* the baseline failure rate it was judged against */
	bool changed;    /* judged (also) on the responses since a model change */
	bool excess;     /* a failure, and in excess (always false for a pass) */
};

void qrate_init(struct qrate *q, const struct qrate_settings *s);

/* A new model version at now: the since-change counts start over. */
void qrate_change(struct qrate *q, int64_t now);

/* Add one response (failed or not) at now and judge it. Times are expected
 * in order; an older one counts in its own bucket if still held. */
void qrate_add(struct qrate *q, const struct qrate_settings *s, bool failed, int64_t now,
               struct qrate_verdict *out);

/* Whether a failure was in excess within the window before now. */
bool qrate_alarmed(const struct qrate *q, const struct qrate_settings *s, int64_t now);

/* The baseline failure rate at now (prior, decay and floor applied). */
double qrate_baseline(const struct qrate *q, const struct qrate_settings *s, int64_t now);

/* (k + prior_rate * prior_weight) / (n + prior_weight): a rate of k in n
 * shrunk toward prior_rate, the prior worth prior_weight responses (<= 0:
 * none); prior_rate when both are 0. No floor. qrate_baseline() is this
 * with the decayed counts; core/baseline uses it for slot rates. */
double qrate_posterior(double k, double n, double prior_rate, double prior_weight);

/* n * KL(k/n || p): the log of the likelihood ratio of the observed rate
 * against p, 0 when k/n <= p. Exposed for tests. */
double qrate_glr(uint32_t n, uint32_t k, double p);

#endif
