/*
 * semantic.h: the semantic checks, the part of the pipeline that sees the
 * failures that come back with HTTP 200. They produce verdicts on an
 * observation (struct semantic_verdicts); only core/taxonomy turns verdicts
 * into categories.
 *
 *   1. schema       response.text against the compiled schema named by
 *                   response.schema_id (core/jschema)
 *   2. tokens       input tokens vs the prediction: inflation per request,
 *                   context stuffing per template over a window
 *   3. similarity   cosine against a rolling centroid per (provider, model,
 *                   template); regression = a step drop of the similarity,
 *                   also right after a model-version change; coherence =
 *                   repetition or contradiction (core/embed, core/coherence)
 *   4. hallucination entities of the answer missing from context.text
 *                   (core/entities)
 *   5. pii          personal data and secrets missing from the context
 *                   (core/pii)
 *   6. jailbreak    share of blocks and refusals per key alias or template
 *   7. data         stale context; top_similarity falling against its own
 *                   baseline (embedding drift)
 *
 * Two halves. The text work of 1, 3, 4 and 5 is a pure function of one
 * observation (semantic_text_run) that any thread may run with its own
 * struct semantic_worker; that is what the sidecar thread runs for texts over
 * the inline budget. Everything with memory (centroids, windows, baselines)
 * lives in struct semantic and is touched on the loop thread only:
 * semantic_inline() and semantic_complete().
 *
 * Every check only fills verdicts that are still unset, so a verdict the
 * gateway already sent (response.schema_valid) wins.
 */
#ifndef VIGIL_CORE_SEMANTIC_H
#define VIGIL_CORE_SEMANTIC_H

#include "core/coherence.h"
#include "core/event.h"
#include "core/jschema.h"
#include "core/observation.h"
#include "core/qrate.h"
#include "core/settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEMANTIC_MAX_DIMS 1024 /* local embedding dimensions, at most */

struct semantic_budget {
	int64_t inline_max_bytes;         /* longer responses go to the sidecar (4096) */
	int64_t inline_context_max_bytes; /* longer contexts go to the sidecar (16384) */
};

struct semantic_tokens {
	int64_t stuffing_window_ms;   /* window of the context-stuffing test (15m) */
	int32_t stuffing_min_samples; /* requests of the template needed in it (20) */
	double stuffing_share;      /* share of them above the ratio that is "stays above" (0.9) */
	int64_t stuffing_recent_ms; /* the share is also judged over this newest part of the
	                             * window (5m), so an episode shorter than the window
	                             * shows; 0 = the whole window only */
};

struct semantic_similarity {
	int32_t dims;             /* local embedding dimensions (256) */
	int32_t warmup;           /* responses folded into a centroid before it judges (20) */
	double centroid_alpha;    /* weight of a new response in the centroid (0.05) */
	double fast_alpha;        /* weight of a new similarity in the recent average (0.3) */
	double baseline_alpha;    /* ... in the baseline average (0.02) */
	double step_drop;         /* recent below baseline by this much is a regression (0.15) */
	double quality_drop;      /* recent quality (schema valid, no hallucination, coherent;
	                           * 1 or 0 per response) below its baseline by this much is a
	                           * regression too, even when the answers stay alike (0.3) */
	double min_similarity;    /* recent below this is a regression too (0 = off) */
	int64_t change_window_ms; /* after a model-version change, judge at once for this long (1h) */
	int32_t change_min_samples; /* responses of the new model needed to judge (3) */
};

struct semantic_coherence {
	double repeat_ratio;    /* repeated word-trigram share over this is incoherent (0.3) */
	int32_t min_trigrams;   /* shorter answers are not judged on repetition (10) */
	int32_t contradictions; /* this many contradiction markers is incoherent (1) */
};

struct semantic_hallucination {
	int32_t max_unsupported; /* more unsupported entities than this is a hallucination (1) */
	/* Hallucinations become failure events only at a rate over their
	 * baseline, per provider and model alias (core/qrate; its
	 * change_window_ms is similarity.change_window_ms). */
	struct qrate_settings rate;
};

struct semantic_pii {
	bool enabled; /* scan responses for personal data and secrets (true) */
};

struct semantic_jailbreak {
	double rate;         /* blocks+refusals share over this, per key alias or template (0.2) */
	int64_t window_ms;   /* (10m) */
	int32_t min_samples; /* requests needed in the window (10) */
	int64_t recent_ms;   /* the share is also judged over this newest part of the
	                      * window (2m), so a wave is seen before the window's share
	                      * catches up; 0 = the whole window only */
};

struct semantic_drift {
	int32_t warmup;        /* samples before the baseline judges (30) */
	double fast_alpha;     /* (0.2) */
	double baseline_alpha; /* (0.01) */
	double drop;           /* recent top_similarity below baseline by this is drift (0.1) */
	int64_t baseline_half_life_ms; /* the baseline learns at most half per this much
	                                * time, however busy the template (30m); 0 = per
	                                * sample only */
};

struct semantic_settings {
	bool enabled; /* run the checks at all (true) */
	struct semantic_budget budget;
	struct semantic_tokens tokens;
	struct semantic_similarity similarity;
	struct semantic_coherence coherence;
	struct semantic_hallucination hallucination;
	struct semantic_pii pii;
	struct semantic_jailbreak jailbreak;
	struct semantic_drift drift;
	int32_t max_keys; /* tracked keys per kind of state (4096) */
};

/* Fill *s with the defaults documented in examples/vigil.yaml. */
void semantic_defaults(struct semantic_settings *s);

/* Quality of one answer from its verdicts: 1 when every measured verdict
 * (schema, hallucination screen, coherence) passes, 0 when one fails, NaN
 * when none was measured. A hallucination within its model's usual rate
 * (hallucination_excess false) passes. core/baseline counts these. */
double semantic_quality_pass(const struct semantic_verdicts *v);

/* Length of the alias part of a versioned model name: the quality rates
 * are kept per alias, so a new snapshot of it is a version change. */
size_t semantic_model_alias_len(const char *model);

/* ---- the text work: pure, any thread ------------------------------------- */

/* What the text checks need, immutable once built; shared with the sidecar. */
struct semantic_text_cfg {
	struct semantic_settings settings;
	const struct jschema_set *schemas; /* borrowed; may be NULL */
	struct coherence_cfg coherence;
};

/* Scratch memory of one thread. */
struct semantic_worker;

struct semantic_worker *semantic_worker_new(void);
void semantic_worker_free(struct semantic_worker *w);

/* The text verdicts of one observation, and its local embedding. */
struct semantic_text {
	struct semantic_verdicts v; /* schema, hallucination, coherence, pii fields */
	uint32_t dims;              /* local embedding dimensions, 0 when none */
	float embedding[SEMANTIC_MAX_DIMS];
};

/*
 * Run checks 1, 4, 5, the coherence half of 3 and the local embedding (when
 * the observation brings no embedding of its own) on obs's texts. Fills *out
 * (everything unmeasured stays unset). Returns 0 or VG_ENOMEM (what was
 * measured before stays in *out).
 */
int semantic_text_run(const struct semantic_text_cfg *cfg, struct semantic_worker *w,
                      const struct observation *obs, struct semantic_text *out);

/* ---- the stateful half: loop thread only ---------------------------------- */

struct semantic;

/*
 * Create the checks' state. Settings are copied; `schemas` is borrowed and
 * must outlive the struct (it may be NULL: no schema checks). Returns NULL
 * when out of memory.
 */
struct semantic *semantic_new(const struct semantic_settings *ss, const struct core_settings *cs,
                              const struct jschema_set *schemas);

void semantic_free(struct semantic *sem);

/*
 * A config reload: the running checks take new settings and schemas
 * (borrowed like in semantic_new()) and keep what they have learnt
 * (centroids, baselines, model records). Windows whose length changed
 * start empty (their buckets were sized for the old length); max_keys
 * keeps its old value (the maps are sized at creation). The text cfg
 * changes in place: no sidecar thread may be using it during the call.
 * Returns 0, or VG_ENOMEM with nothing changed.
 */
int semantic_reconfigure(struct semantic *sem, const struct semantic_settings *ss,
                         const struct jschema_set *schemas);

/* The immutable part, for a sidecar thread (valid as long as sem). */
const struct semantic_text_cfg *semantic_text_cfg(const struct semantic *sem);

/*
 * Allow semantic_inline() to defer text work over the inline budget (the
 * daemon turns this on when it runs a sidecar). Off by default: then every
 * check runs inline, whatever the size, which keeps replay exact.
 */
void semantic_allow_defer(struct semantic *sem, bool on);

/*
 * The inline stage: checks 2, 6 and 7, and the text checks when the texts
 * are within the budget (or deferral is off). Only unset verdicts in *v are
 * filled. When the text work is deferred, v->deferred is set and the text
 * verdicts stay unset: hand obs to the sidecar, then call
 * semantic_complete() with its result. Returns 0 or VG_ENOMEM.
 */
int semantic_inline(struct semantic *sem, const struct observation *obs, int64_t now,
                    struct semantic_verdicts *v);

/*
 * Fold a text result into the state (the similarity centroid and its
 * regression test) and fill the still-unset verdicts of *v from it. Used by
 * semantic_inline() itself and for sidecar results. Returns 0 or VG_ENOMEM.
 */
int semantic_complete(struct semantic *sem, const struct observation *obs,
                      const struct semantic_text *t, int64_t now, struct semantic_verdicts *v);

/* Keys tracked, per kind of state (for tests and /metrics). */
struct semantic_stats {
	size_t centroids, stuffing, jailbreak, drift;
	uint64_t deferred;  /* observations whose text work was deferred */
	uint64_t untracked; /* observations whose key did not fit in max_keys */
};
void semantic_stats(const struct semantic *sem, struct semantic_stats *st);

/*
 * vigil's own health: the failure event for a semantic blind spot (the
 * sidecar queue was full and analyses were skipped). Category monitor,
 * subtype sidecar_blind_spot, provider "vigil", severity HIGH (monitor
 * incidents route like HIGH ones); causal value = queue depth,
 * threshold = capacity, window_count = analyses skipped so far.
 */
int semantic_blind_spot_event(struct failure_event *ev, uint64_t id, int64_t now, size_t depth,
                              size_t capacity, uint64_t skipped);

#endif
