/*
 * semantic.c: the semantic stage (see semantic.h): the pure text work, the
 * per-key state behind similarity, context stuffing, jailbreak and drift,
 * and the monitor event of a blind spot.
 *
 * This file owns the settings, the life cycle, the inline stage
 * (semantic_inline) with its per-observation checks (tokens, jailbreak,
 * data) and their time-bucketed windows; the text work is in
 * semantic_text.c, the similarity and quality history in
 * semantic_quality.c, what they share in semantic_internal.h.
 *
 * State per kind, in bounded string maps:
 *   sim    "provider\x1fmodel\x1ftemplate" -> centroid + similarity averages
 *   model  "provider\x1ftemplate"          -> the model seen last (to notice a
 *                                             version change and hand the old
 *                                             centroid to the new model)
 *   stuff  template                        -> window of actual/predicted ratios
 *   jail   "a" alias / "t" template        -> window of blocks and refusals
 *   drift  template                        -> top_similarity averages
 */
#include "core/semantic.h"

#include "core/semantic_internal.h"
#include "core/strmap.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void semantic_defaults(struct semantic_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->enabled = true;
	s->budget.inline_max_bytes = 4096;
	s->budget.inline_context_max_bytes = 16384;
	s->tokens.stuffing_window_ms = 15 * 60 * 1000;
	s->tokens.stuffing_min_samples = 20;
	s->tokens.stuffing_share = 0.9;
	s->tokens.stuffing_recent_ms = 5 * 60 * 1000;
	s->similarity.dims = 256;
	s->similarity.warmup = 20;
	s->similarity.centroid_alpha = 0.05;
	s->similarity.fast_alpha = 0.3;
	s->similarity.baseline_alpha = 0.02;
	s->similarity.step_drop = 0.15;
	s->similarity.quality_drop = 0.3;
	s->similarity.min_similarity = 0;
	s->similarity.change_window_ms = 60 * 60 * 1000;
	s->similarity.change_min_samples = 3;
	s->coherence.repeat_ratio = 0.3;
	s->coherence.min_trigrams = 10;
	s->coherence.contradictions = 1;
	s->hallucination.max_unsupported = 1;
	qrate_defaults(&s->hallucination.rate);
	s->pii.enabled = true;
	s->jailbreak.rate = 0.2;
	s->jailbreak.window_ms = 10 * 60 * 1000;
	s->jailbreak.min_samples = 10;
	s->jailbreak.recent_ms = 2 * 60 * 1000;
	s->drift.warmup = 30;
	s->drift.fast_alpha = 0.2;
	s->drift.baseline_alpha = 0.01;
	s->drift.drop = 0.1;
	s->drift.baseline_half_life_ms = 30 * 60 * 1000;
	s->max_keys = 4096;
}

/* ---- state -------------------------------------------------------------------- */

#define WIN_BUCKETS 12

/* window_total() runs per observation, but what it counts changes once a
 * bucket: a view keeps, for one window length, the times [lo, hi) that
 * share now's bucket b (ring index i) and the newest bucket too old, oldest
 * (no divisions per call), and the totals of the counted buckets other than
 * i: the sums before i as one (pre), those after it one by one (post), so
 * a total adds in the same order as a walk of all buckets would. */
struct window_view {
	int64_t window_ms, lo, hi, b, oldest;
	int i, npost;
	bool totals; /* n, hits, pre, post hold */
	uint32_t n, hits;
	double pre, post[WIN_BUCKETS];
};

struct window {
	int64_t bucket_ms;
	int64_t start[WIN_BUCKETS];
	uint32_t n[WIN_BUCKETS], hits[WIN_BUCKETS];
	double sum[WIN_BUCKETS];
	struct window_view view[2]; /* the whole window and its recent part */
	int last;                   /* the view used last */
};

static void window_init(struct window *w, int64_t window_ms)
{
	memset(w, 0, sizeof(*w));
	w->bucket_ms = window_ms / (WIN_BUCKETS - 2);
	if (w->bucket_ms < 1)
		w->bucket_ms = 1;
	for (int i = 0; i < WIN_BUCKETS; i++)
		w->start[i] = INT64_MIN;
	for (int k = 0; k < 2; k++) {
		w->view[k].window_ms = INT64_MIN;
		w->view[k].lo = 1; /* an empty range */
	}
}

/* Place view v at now: b, oldest and i, and the range of times sharing them. */
static void window_place(const struct window *w, struct window_view *v, int64_t now)
{
	int64_t bm = w->bucket_ms, b = now / bm, oldest = (now - v->window_ms) / bm;
	if (b != v->b || oldest != v->oldest)
		v->totals = false;
	v->b = b;
	v->oldest = oldest;
	v->i = (int)(((b % WIN_BUCKETS) + WIN_BUCKETS) % WIN_BUCKETS);
	v->lo = 1;
	v->hi = 0;
	/* Only where both divisions floor (non-negative) and nothing overflows. */
	if (v->window_ms >= 0 && now - v->window_ms >= 0 && now < INT64_MAX / 4 &&
	    v->window_ms < INT64_MAX / 4) {
		int64_t lo = b * bm, hi = lo + bm;
		int64_t olo = oldest * bm + v->window_ms, ohi = olo + bm;
		v->lo = lo > olo ? lo : olo;
		v->hi = hi < ohi ? hi : ohi;
	}
}

static inline __attribute__((always_inline)) void window_add(struct window *w, int64_t now,
                                                             bool hit, double x)
{
	int64_t b;
	int i;
	const struct window_view *v = &w->view[w->last];
	if (now >= v->lo && now < v->hi) {
		b = v->b;
		i = v->i;
	} else {
		b = now / w->bucket_ms;
		i = (int)(((b % WIN_BUCKETS) + WIN_BUCKETS) % WIN_BUCKETS);
	}
	for (int k = 0; k < 2; k++) {
		/* A view's totals leave its bucket i out. */
		if (w->start[i] != b || i != w->view[k].i)
			w->view[k].totals = false;
	}
	if (w->start[i] != b) {
		w->start[i] = b;
		w->n[i] = w->hits[i] = 0;
		w->sum[i] = 0;
	}
	w->n[i]++;
	w->hits[i] += hit;
	w->sum[i] += x;
}

static bool window_counts(const struct window *w, int i, int64_t b, int64_t oldest)
{
	return !(w->start[i] == INT64_MIN || w->start[i] > b || w->start[i] <= oldest);
}

/* Bring view v to now for window_ms: place it and total the buckets other
 * than its own (the rare part of window_total()). */
static void window_refresh(struct window *w, struct window_view *v, int64_t now, int64_t window_ms)
{
	if (v->window_ms != window_ms) {
		v->window_ms = window_ms;
		v->lo = 1;
		v->hi = 0;
		v->totals = false;
	}
	if (!(now >= v->lo && now < v->hi))
		window_place(w, v, now);
	if (v->totals)
		return;
	v->totals = true;
	v->n = v->hits = 0;
	v->pre = 0;
	v->npost = 0;
	for (int i = 0; i < WIN_BUCKETS; i++) {
		if (i == v->i || !window_counts(w, i, v->b, v->oldest))
			continue;
		v->n += w->n[i];
		v->hits += w->hits[i];
		if (i < v->i)
			v->pre += w->sum[i];
		else
			v->post[v->npost++] = w->sum[i];
	}
}

/* Totals over the buckets within window_ms of now (sum may be NULL).
 * Inline, as window_add(): six calls per observation, where the calls were
 * half the cost. */
static inline __attribute__((always_inline)) void window_total(struct window *w, int64_t now,
                                                               int64_t window_ms, uint32_t *n,
                                                               uint32_t *hits, double *sum)
{
	int k = w->view[w->last].window_ms == window_ms ? w->last : !w->last;
	struct window_view *v = &w->view[k];
	w->last = k;
	if (v->window_ms != window_ms || !(now >= v->lo && now < v->hi) || !v->totals)
		window_refresh(w, v, now, window_ms);
	int ci = v->i;
	bool mine = window_counts(w, ci, v->b, v->oldest);
	*n = v->n + (mine ? w->n[ci] : 0);
	*hits = v->hits + (mine ? w->hits[ci] : 0);
	if (!sum)
		return;
	*sum = v->pre;
	if (mine)
		*sum += w->sum[ci];
	for (int j = 0; j < v->npost; j++)
		*sum += v->post[j];
}

/* The composite quality rate is judged after a model change only (the
 * quality is re-evaluated on every model swap): in steady state the screens
 * and the similarity step judge on their own, and testing the sum of their
 * backgrounds at every answer would add false alarms, not evidence. */
static void rates_update(struct semantic *sem)
{
	const struct semantic_settings *ss = &sem->cfg.settings;
	sem->rate_h = ss->hallucination.rate;
	sem->rate_h.change_window_ms = ss->similarity.change_window_ms;
	sem->rate_q = sem->rate_h;
	sem->rate_q.alpha = 1e-300; /* no window test */
	sem->rate_q.clean_rate = 0; /* one failure is the screens' business, not a regression */
	sem->rate_q.burst = false;
	semantic__odd_settings(&ss->similarity, &sem->rate_odd);
}

struct semantic *semantic_new(const struct semantic_settings *ss, const struct core_settings *cs,
                              const struct jschema_set *schemas)
{
	struct semantic *sem = calloc(1, sizeof(*sem));
	if (!sem)
		return NULL;
	sem->cfg.settings = *ss;
	sem->cfg.schemas = schemas;
	rates_update(sem);
	coherence_cfg_init(&sem->cfg.coherence);
	sem->cs = *cs;
	size_t max = ss->max_keys > 0 ? (size_t)ss->max_keys : 1;
	sem->worker = semantic_worker_new();
	sem->text = malloc(sizeof(*sem->text));
	sem->sim = strmap_new(max, semantic__sim_state_free);
	sem->model = strmap_new(max, NULL);
	sem->stuff = strmap_new(max, NULL);
	sem->jail = strmap_new(max * 2, NULL);
	sem->drift = strmap_new(max, NULL);
	sem->hrate = strmap_new(max, NULL);
	if (!sem->worker || !sem->text || !sem->sim || !sem->model || !sem->stuff || !sem->jail ||
	    !sem->drift || !sem->hrate) {
		semantic_free(sem);
		return NULL;
	}
	return sem;
}

void semantic_free(struct semantic *sem)
{
	if (!sem)
		return;
	semantic_worker_free(sem->worker);
	free(sem->text);
	strmap_free(sem->sim);
	strmap_free(sem->model);
	strmap_free(sem->stuff);
	strmap_free(sem->jail);
	strmap_free(sem->drift);
	strmap_free(sem->hrate);
	free(sem);
}

int semantic_reconfigure(struct semantic *sem, const struct semantic_settings *ss,
                         const struct jschema_set *schemas)
{
	const struct semantic_settings *old = &sem->cfg.settings;
	size_t max = old->max_keys > 0 ? (size_t)old->max_keys : 1;
	struct strmap *stuff = NULL, *jail = NULL, *hrate = NULL;
	if (ss->tokens.stuffing_window_ms != old->tokens.stuffing_window_ms &&
	    !(stuff = strmap_new(max, NULL)))
		return VG_ENOMEM;
	if (ss->jailbreak.window_ms != old->jailbreak.window_ms &&
	    !(jail = strmap_new(max * 2, NULL))) {
		strmap_free(stuff);
		return VG_ENOMEM;
	}
	/* A tracker's buckets are cut for its window. */
	if (ss->hallucination.rate.window_ms != old->hallucination.rate.window_ms &&
	    !(hrate = strmap_new(max, NULL))) {
		strmap_free(stuff);
		strmap_free(jail);
		return VG_ENOMEM;
	}
	if (hrate) {
		strmap_free(sem->hrate);
		sem->hrate = hrate;
	}
	if (stuff) {
		strmap_free(sem->stuff);
		sem->stuff = stuff;
	}
	if (jail) {
		strmap_free(sem->jail);
		sem->jail = jail;
	}
	int32_t keys = old->max_keys;
	sem->cfg.settings = *ss;
	sem->cfg.settings.max_keys = keys;
	rates_update(sem);
	sem->cfg.schemas = schemas;
	return 0;
}

const struct semantic_text_cfg *semantic_text_cfg(const struct semantic *sem)
{
	return &sem->cfg;
}

void semantic_allow_defer(struct semantic *sem, bool on)
{
	sem->defer = on;
}

void semantic_stats(const struct semantic *sem, struct semantic_stats *st)
{
	st->centroids = strmap_count(sem->sim);
	st->stuffing = strmap_count(sem->stuff);
	st->jailbreak = strmap_count(sem->jail);
	st->drift = strmap_count(sem->drift);
	st->deferred = sem->deferred;
	st->untracked = sem->untracked;
}

/* 2. tokens */
static int check_tokens(struct semantic *sem, const struct observation *obs, int64_t now,
                        struct semantic_verdicts *v)
{
	int64_t in = observation_input_tokens(obs), pred = obs->predicted_input_tokens;
	if (!vg_has(in) || !vg_has(pred) || pred <= 0 || in < 0)
		return 0; /* a missing prediction is "not measured", never zero */
	double delta = ((double)in - (double)pred) * 100.0 / (double)pred;
	if (!vg_has_d(v->token_delta_pct))
		v->token_delta_pct = delta;
	if (v->token_inflation == VG_TRI_UNSET)
		v->token_inflation = semantic__tri(delta > sem->cs.token_inflation_pct);
	if (!obs->template_id[0])
		return 0;
	const struct semantic_tokens *ts = &sem->cfg.settings.tokens;
	int err = 0;
	struct window *w = strmap_get(sem->stuff, obs->template_id, strlen(obs->template_id));
	if (!w) {
		w = semantic__get_or_add(sem, sem->stuff, obs->template_id,
		                         strlen(obs->template_id), sizeof(*w), &err);
		if (!w)
			return err;
		window_init(w, ts->stuffing_window_ms);
	}
	double ratio = (double)in / (double)pred;
	window_add(w, now, ratio > sem->cs.context_stuffing_ratio, ratio);
	uint32_t n, hits;
	double sum;
	window_total(w, now, ts->stuffing_window_ms, &n, &hits, &sum);
	bool judged = n >= (uint32_t)ts->stuffing_min_samples && n > 0;
	bool stuffed = judged && (double)hits / n >= ts->stuffing_share;
	if (judged)
		v->stuffing_ratio = sum / n;
	/* Needing the share over the whole window, no episode shorter than
	 * share x window (13.5 of 15 minutes) could ever show: its newest part,
	 * with as many samples, may say so first. */
	if (!stuffed && ts->stuffing_recent_ms > 0 &&
	    ts->stuffing_recent_ms < ts->stuffing_window_ms) {
		uint32_t rn, rh;
		double rs;
		window_total(w, now, ts->stuffing_recent_ms, &rn, &rh, &rs);
		if (rn >= (uint32_t)ts->stuffing_min_samples && rn > 0 &&
		    (double)rh / rn >= ts->stuffing_share) {
			stuffed = judged = true;
			v->stuffing_ratio = rs / rn;
		}
	}
	if (judged && v->context_stuffing == VG_TRI_UNSET)
		v->context_stuffing = semantic__tri(stuffed);
	return 0;
}

static bool is_block(const struct observation *obs)
{
	const struct norm_signals *n = &obs->norm;
	return n->safety_block || n->error_class == EC_CONTENT_FILTER ||
	       n->finish == FR_CONTENT_FILTER || n->finish == FR_REFUSAL || n->block_reason[0];
}

/* 6. jailbreak */
static int check_jailbreak(struct semantic *sem, const struct observation *obs, int64_t now,
                           struct semantic_verdicts *v)
{
	if (obs->http_status <= 0)
		return 0; /* no answer: nothing was blocked or refused */
	const struct semantic_jailbreak *js = &sem->cfg.settings.jailbreak;
	bool block = is_block(obs);
	double rate = VG_NONE_D;
	const char *parts[2] = { obs->pid.key_alias[0] ? obs->pid.key_alias : obs->pid.provider,
		                 obs->template_id };
	for (int i = 0; i < 2; i++) {
		if (!parts[i][0])
			continue;
		/* the tag and the name, as snprintf("%c%s") gave them (it showed
		 * in the ingest profile: two calls per observation) */
		char key[VG_TEMPLATE_MAX + VG_NAME_MAX + 4];
		size_t klen = strnlen(parts[i], sizeof(key) - 2);
		key[0] = i ? 't' : 'a';
		memcpy(key + 1, parts[i], klen);
		klen++;
		key[klen] = '\0';
		int err = 0;
		struct window *w = strmap_get(sem->jail, key, klen);
		if (!w) {
			w = semantic__get_or_add(sem, sem->jail, key, klen, sizeof(*w), &err);
			if (!w) {
				if (err)
					return err;
				continue;
			}
			window_init(w, js->window_ms);
		}
		window_add(w, now, block, 0);
		uint32_t n, hits;
		window_total(w, now, js->window_ms, &n, &hits, NULL);
		if (n >= (uint32_t)js->min_samples && n > 0) {
			double r = (double)hits / n;
			if (!vg_has_d(rate) || r > rate)
				rate = r;
		}
		/* The window's share lags a wave by rate/share of the window (four
		 * minutes for half the requests): its newest part, with as many
		 * samples, may say so first. */
		if (js->recent_ms > 0 && js->recent_ms < js->window_ms) {
			window_total(w, now, js->recent_ms, &n, &hits, NULL);
			if (n >= (uint32_t)js->min_samples && n > 0) {
				double r = (double)hits / n;
				if (!vg_has_d(rate) || r > rate)
					rate = r;
			}
		}
	}
	if (vg_has_d(rate)) {
		v->jailbreak_rate = rate;
		if (v->jailbreak == VG_TRI_UNSET)
			v->jailbreak = semantic__tri(block && rate > js->rate);
	}
	return 0;
}

/* 7. data */

/* A template's retrieval similarity: recent and baseline averages. */
struct drift_state {
	struct step s;
	int64_t last_ms; /* time of the newest sample */
};

static int check_data(struct semantic *sem, const struct observation *obs, int64_t now,
                      struct semantic_verdicts *v)
{
	if (vg_has_d(obs->doc_age_s) && v->stale_context == VG_TRI_UNSET)
		v->stale_context = semantic__tri(obs->doc_age_s > sem->cs.stale_context_s);
	if (!vg_has_d(obs->top_similarity))
		return 0;
	const struct semantic_drift *ds = &sem->cfg.settings.drift;
	int err = 0;
	struct drift_state *d = semantic__get_or_add(sem, sem->drift, obs->template_id,
	                                             strlen(obs->template_id), sizeof(*d), &err);
	if (!d)
		return err;
	double x = obs->top_similarity;
	bool warm = d->s.n >= (uint32_t)ds->warmup;
	/* Drift is a slide. A baseline that learns a fixed share of every
	 * sample forgets in a hundred samples, under a minute on a busy
	 * template, and follows a slow slide down without ever seeing it: it
	 * learns at most half per baseline_half_life instead (the mean of the
	 * warm-up first), and not at all while the recent average is half the
	 * drop below it (a slide must not teach the baseline it is judged by). */
	double alpha = warm ? ds->baseline_alpha : 1.0 / (double)(d->s.n + 1);
	if (warm && ds->baseline_half_life_ms > 0) {
		double dt = now > d->last_ms ? (double)(now - d->last_ms) : 0.0;
		double at = 1.0 - exp2(-dt / (double)ds->baseline_half_life_ms);
		if (at < alpha)
			alpha = at;
	}
	if (now > d->last_ms)
		d->last_ms = now;
	if (warm && d->s.slow - d->s.fast > ds->drop / 2)
		alpha = 0;
	semantic__step_add(&d->s, x, ds->fast_alpha, alpha);
	if (d->s.n >= (uint32_t)ds->warmup) {
		v->drift_baseline = d->s.slow;
		if (v->embedding_drift == VG_TRI_UNSET)
			v->embedding_drift = semantic__tri(d->s.slow - d->s.fast > ds->drop);
	}
	return 0;
}

int semantic_inline(struct semantic *sem, const struct observation *obs, int64_t now,
                    struct semantic_verdicts *v)
{
	const struct semantic_settings *ss = &sem->cfg.settings;
	if (!ss->enabled)
		return 0;
	int rc;
	if ((rc = check_tokens(sem, obs, now, v)) != 0 ||
	    (rc = check_jailbreak(sem, obs, now, v)) != 0 ||
	    (rc = check_data(sem, obs, now, v)) != 0)
		return rc;
	size_t clen = obs->context_text ? obs->context_len : 0;
	if (obs->text && sem->defer &&
	    ((int64_t)obs->text_len > ss->budget.inline_max_bytes ||
	     (int64_t)clen > ss->budget.inline_context_max_bytes)) {
		v->deferred = true;
		sem->deferred++;
		return 0;
	}
	if (!obs->text) {
		/* No text: the text checks measure nothing, and merging their
		 * empty verdicts only fills these two (without building them per
		 * observation); a gateway embedding still counts. */
		if (!vg_has_d(v->repeat_ratio))
			v->repeat_ratio = VG_NONE_D;
		if (v->contradictions < 0)
			v->contradictions = -1;
		int8_t odd;
		return semantic__track_similarity(sem, obs, NULL, now, v, &odd);
	}
	struct semantic_text *t = sem->text;
	if ((rc = semantic_text_run(&sem->cfg, sem->worker, obs, t)) != 0)
		return rc;
	return semantic_complete(sem, obs, t, now, v);
}

int semantic_blind_spot_event(struct failure_event *ev, uint64_t id, int64_t now, size_t depth,
                              size_t capacity, uint64_t skipped)
{
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	model_copy_str(pid.provider, sizeof(pid.provider), "vigil", (size_t)-1);
	model_copy_str(pid.model, sizeof(pid.model), "sidecar", (size_t)-1);
	int rc = event_init(ev, id, now, CAT_MONITOR, SUB_SIDECAR_BLIND_SPOT, SEV_HIGH, &pid);
	if (rc)
		return rc;
	ev->causal.value = (double)depth;
	ev->causal.threshold = (double)capacity;
	ev->causal.window_count = (int64_t)skipped;
	snprintf(ev->causal.detail, sizeof(ev->causal.detail),
	         "semantic monitoring blind spot: sidecar queue full (%zu/%zu), %llu analyses "
	         "skipped",
	         depth, capacity, (unsigned long long)skipped);
	return 0;
}
