/*
 * semantic_internal.h: what core/semantic*.c share (not for other modules):
 * struct semantic, and the small helpers every check uses, as static inline
 * functions (they run per observation):
 *
 *   semantic.c          settings, life cycle, the inline stage
 *                       (semantic_inline): tokens, jailbreak, data, over
 *                       time-bucketed windows; the blind-spot event
 *   semantic_text.c     the pure text work (semantic_text_run): schema,
 *                       embedding, coherence, hallucination, PII
 *   semantic_quality.c  what needs the history of a model's answers
 *                       (semantic_complete): similarity to the centroid,
 *                       model changes, the hallucination and quality rates
 */
#ifndef VIGIL_CORE_SEMANTIC_INTERNAL_H
#define VIGIL_CORE_SEMANTIC_INTERNAL_H

#include "core/semantic.h"

#include "core/strmap.h"
#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

static inline int8_t semantic__tri(bool b)
{
	return b ? VG_TRI_TRUE : VG_TRI_FALSE;
}

/* Two exponentially weighted averages of one signal: recent and baseline. */
struct step {
	uint32_t n;
	double fast, slow;
	double var; /* the spread around slow, at slow's pace */
};

static inline void semantic__step_add(struct step *d, double x, double fast_alpha,
                                      double slow_alpha)
{
	if (!d->n) {
		d->fast = d->slow = x;
		d->var = 0;
	} else {
		double dx = x - d->slow;
		d->fast += fast_alpha * (x - d->fast);
		d->slow += slow_alpha * dx;
		d->var = (1 - slow_alpha) * (d->var + slow_alpha * dx * dx);
	}
	d->n++;
}

struct semantic {
	struct semantic_text_cfg cfg;
	struct core_settings cs;
	bool defer;
	struct semantic_worker *worker;
	struct semantic_text *text;
	struct strmap *sim, *model, *stuff, *jail, *drift, *hrate;
	/* The rate trackers' settings, derived from cfg.settings once per
	 * (re)configuration (rates_update): hallucinations, the quality
	 * failures together after a model change, odd answers. */
	struct qrate_settings rate_h, rate_q, rate_odd;
	uint64_t deferred, untracked;
};

/* Join parts with \x1f into buf; returns the length. */
static inline void semantic__key_put(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t k = strnlen(s, cap - 1 - *n);
	memcpy(buf + *n, s, k);
	*n += k;
}

/* (what snprintf("%s\x1f%s\x1f%s") gave, truncated alike, without its cost
 * on every observation) */
static inline size_t semantic__make_key(char *buf, size_t cap, const char *a, const char *b,
                                        const char *c)
{
	size_t n = 0;
	semantic__key_put(buf, cap, &n, a);
	semantic__key_put(buf, cap, &n, "\x1f");
	semantic__key_put(buf, cap, &n, b);
	if (c) {
		semantic__key_put(buf, cap, &n, "\x1f");
		semantic__key_put(buf, cap, &n, c);
	}
	buf[n] = '\0';
	return n;
}

/* The value under key, created zeroed (size bytes) when missing. NULL when
 * the map is full (counted) or memory ran out (*err). */
static inline void *semantic__get_or_add(struct semantic *sem, struct strmap *m, const char *key,
                                         size_t len, size_t size, int *err)
{
	void *v = strmap_get(m, key, len);
	if (v)
		return v;
	v = calloc(1, size);
	if (!v) {
		*err = VG_ENOMEM;
		return NULL;
	}
	int rc = strmap_put(m, key, len, v);
	if (rc) {
		free(v);
		if (rc == VG_EFULL)
			sem->untracked++;
		else
			*err = rc;
		return NULL;
	}
	return v;
}

/* ---- semantic_quality.c ---- */

/* The strmap free function of a similarity state. */
void semantic__sim_state_free(void *p);

/* The odd-answer rate test of the similarity step (a false-alarm bound of
 * 1e-5 per test: it runs at every odd answer, over up to 64 runs): runs of the newest
 * answers count (three odd in a row where one in a hundred is usual is a
 * step), a single odd answer never does; the window and the change window
 * as for hallucinations. */
void semantic__odd_settings(const struct semantic_similarity *ss, struct qrate_settings *qs);

/* Similarity of the response's embedding (the gateway's, or t's local one;
 * t may be NULL) to its (provider, model, template) centroid, then folded
 * into it; fills v's similarity verdicts and *odd (enum vg_tri: whether the
 * answer was off the baseline). Returns 0 or VG_ENOMEM. */
int semantic__track_similarity(struct semantic *sem, const struct observation *obs,
                               const struct semantic_text *t, int64_t now,
                               struct semantic_verdicts *v, int8_t *odd);

#endif
