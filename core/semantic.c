/*
 * semantic.c: the semantic stage (see semantic.h): the pure text work, the
 * per-key state behind similarity, context stuffing, jailbreak and drift,
 * and the monitor event of a blind spot.
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

#include "core/embed.h"
#include "core/entities.h"
#include "core/pii.h"
#include "core/strmap.h"
#include "core/vgerr.h"

#include <math.h>
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

/* ---- the text work ---------------------------------------------------------- */

struct semantic_worker {
	struct ts_token *tok; /* the response's tokens, shared by the text checks */
	uint64_t *words;      /* their hashes, for coherence */
	size_t cap;
	struct jschema_scratch js;
	struct coherence_scratch coh;
	struct entities_scratch ent;
	struct pii_scratch pii;
};

struct semantic_worker *semantic_worker_new(void)
{
	struct semantic_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	jschema_scratch_init(&w->js);
	coherence_scratch_init(&w->coh);
	entities_scratch_init(&w->ent);
	pii_scratch_init(&w->pii);
	return w;
}

void semantic_worker_free(struct semantic_worker *w)
{
	if (!w)
		return;
	free(w->words);
	free(w->tok);
	jschema_scratch_done(&w->js);
	coherence_scratch_done(&w->coh);
	entities_scratch_done(&w->ent);
	pii_scratch_done(&w->pii);
	free(w);
}

static int8_t tri(bool b)
{
	return b ? VG_TRI_TRUE : VG_TRI_FALSE;
}

int semantic_text_run(const struct semantic_text_cfg *cfg, struct semantic_worker *w,
                      const struct observation *obs, struct semantic_text *out)
{
	const struct semantic_settings *ss = &cfg->settings;
	struct semantic_verdicts *v = &out->v;
	semantic_verdicts_init(v);
	out->dims = 0;
	if (!obs->text)
		return 0;
	const char *text = obs->text, *ctx = obs->context_text;
	size_t len = obs->text_len, clen = ctx ? obs->context_len : 0;
	int rc;

	/* 1. schema */
	const struct jschema *schema =
	        obs->schema_id[0] ? jschema_set_get(cfg->schemas, obs->schema_id) : NULL;
	if (schema) {
		struct jschema_result res;
		if ((rc = jschema_validate(schema, text, len, &w->js, &res)) != 0)
			return rc;
		v->schema_valid = tri(res.valid);
		if (!res.valid) {
			model_copy_str(v->schema_pointer, sizeof(v->schema_pointer), res.pointer,
			               (size_t)-1);
			model_copy_str(v->schema_keyword, sizeof(v->schema_keyword), res.keyword,
			               (size_t)-1);
		}
	}

	/* One tokenizer pass for the embedding, coherence and entities. */
	size_t need = len / 2 + 2, n = 0, pos = 0;
	if (need > w->cap) {
		uint64_t *nw = realloc(w->words, need * sizeof(*nw));
		if (!nw)
			return VG_ENOMEM;
		w->words = nw;
		struct ts_token *nt = realloc(w->tok, need * sizeof(*nt));
		if (!nt)
			return VG_ENOMEM;
		w->tok = nt;
		w->cap = need;
	}
	n = ts_tokenize(text, len, &pos, w->tok, w->cap);

	/* 3. the local embedding, when the gateway sent none, and coherence */
	if (!obs->embedding || obs->embedding_len == 0) {
		size_t dims = (size_t)ss->similarity.dims;
		if (dims > SEMANTIC_MAX_DIMS)
			dims = SEMANTIC_MAX_DIMS;
		if (dims < 8)
			dims = 8;
		if (embed_tokens(text, w->tok, n, out->embedding, dims, w->words))
			out->dims = (uint32_t)dims;
	} else {
		for (size_t i = 0; i < n; i++)
			w->words[i] = w->tok[i].hash;
	}
	struct coherence_result cr;
	if ((rc = coherence_scan_words(&cfg->coherence, w->words, n,
	                               (size_t)ss->coherence.min_trigrams, &w->coh, &cr)) != 0)
		return rc;
	v->repeat_ratio = cr.repeat_ratio;
	v->contradictions = cr.contradictions;
	v->coherence =
	        tri((vg_has_d(cr.repeat_ratio) && cr.repeat_ratio > ss->coherence.repeat_ratio) ||
	            cr.contradictions >= ss->coherence.contradictions);

	/* 4. hallucination: only against a context */
	if (ctx && clen) {
		struct entities_result er;
		if ((rc = entities_screen_tokens(text, len, w->tok, n, ctx, clen, &w->ent, &er)) !=
		    0)
			return rc;
		v->unsupported_entities = er.unsupported;
		v->hallucination = tri(er.unsupported > ss->hallucination.max_unsupported);
		model_copy_str(v->hallucination_sample, sizeof(v->hallucination_sample), er.sample,
		               (size_t)-1);
	}

	/* 5. PII and secrets */
	if (ss->pii.enabled) {
		struct pii_result pr;
		if ((rc = pii_scan_tokens(text, len, w->tok, n, ctx, clen, &w->pii, &pr)) != 0)
			return rc;
		v->pii_leak = tri(pr.leaks > 0);
		model_copy_str(v->pii_kind, sizeof(v->pii_kind), pr.kind, (size_t)-1);
		model_copy_str(v->pii_sample, sizeof(v->pii_sample), pr.sample, (size_t)-1);
	}

	return 0;
}

/* ---- state -------------------------------------------------------------------- */

/* Two exponentially weighted averages of one signal: recent and baseline. */
struct step {
	uint32_t n;
	double fast, slow;
	double var; /* the spread around slow, at slow's pace */
};

static void step_add(struct step *d, double x, double fast_alpha, double slow_alpha)
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

struct sim_state {
	uint32_t dims;
	bool local;         /* a local embedding (else the gateway's) */
	uint32_t n;         /* responses folded into the centroid */
	struct step sim;    /* similarity averages (counted from the warm-up on) */
	struct step qual;   /* quality pass averages (1 = schema valid, no hallucination,
	                     * coherent), from the warm-up on */
	int64_t changed_at; /* when the model changed and this centroid was inherited */
	uint32_t since_change;
	struct qrate odd; /* answers off the baseline similarity by step_drop, against
	                     * their usual rate (a step is a rate of odd answers over it) */
	float *c;
};

/* The odd-answer rate test of the similarity step (a false-alarm bound of
 * 1e-5 per test: it runs at every odd answer, over up to 64 runs): runs of the newest
 * answers count (three odd in a row where one in a hundred is usual is a
 * step), a single odd answer never does; the window and the change window
 * as for hallucinations. */
static void odd_settings(const struct semantic_similarity *ss, struct qrate_settings *qs)
{
	qrate_defaults(qs);
	qs->prior_rate = 0.02;
	qs->alpha = 1e-5;
	qs->min_failures = 3;
	qs->clean_rate = 0;
	qs->burst = true;
	qs->change_window_ms = ss->change_window_ms;
}

static void sim_state_free(void *p)
{
	struct sim_state *s = p;
	if (s)
		free(s->c);
	free(s);
}

struct model_rec {
	char model[VG_MODEL_MAX];
};

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

/* The composite quality rate is judged after a model change only (the
 * chapter's evaluation on every model swap): in steady state the screens
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
	odd_settings(&ss->similarity, &sem->rate_odd);
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
	sem->sim = strmap_new(max, sim_state_free);
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

/* Join parts with \x1f into buf; returns the length. */
static void key_put(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t k = strnlen(s, cap - 1 - *n);
	memcpy(buf + *n, s, k);
	*n += k;
}

/* (what snprintf("%s\x1f%s\x1f%s") gave, truncated alike, without its cost
 * on every observation) */
static size_t make_key(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
	size_t n = 0;
	key_put(buf, cap, &n, a);
	key_put(buf, cap, &n, "\x1f");
	key_put(buf, cap, &n, b);
	if (c) {
		key_put(buf, cap, &n, "\x1f");
		key_put(buf, cap, &n, c);
	}
	buf[n] = '\0';
	return n;
}

/* The value under key, created zeroed (size bytes) when missing. NULL when
 * the map is full (counted) or memory ran out (*err). */
static void *get_or_add(struct semantic *sem, struct strmap *m, const char *key, size_t len,
                        size_t size, int *err)
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
		v->token_inflation = tri(delta > sem->cs.token_inflation_pct);
	if (!obs->template_id[0])
		return 0;
	const struct semantic_tokens *ts = &sem->cfg.settings.tokens;
	int err = 0;
	struct window *w = strmap_get(sem->stuff, obs->template_id, strlen(obs->template_id));
	if (!w) {
		w = get_or_add(sem, sem->stuff, obs->template_id, strlen(obs->template_id),
		               sizeof(*w), &err);
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
		v->context_stuffing = tri(stuffed);
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
			w = get_or_add(sem, sem->jail, key, klen, sizeof(*w), &err);
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
			v->jailbreak = tri(block && rate > js->rate);
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
		v->stale_context = tri(obs->doc_age_s > sem->cs.stale_context_s);
	if (!vg_has_d(obs->top_similarity))
		return 0;
	const struct semantic_drift *ds = &sem->cfg.settings.drift;
	int err = 0;
	struct drift_state *d = get_or_add(sem, sem->drift, obs->template_id,
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
	step_add(&d->s, x, ds->fast_alpha, alpha);
	if (d->s.n >= (uint32_t)ds->warmup) {
		v->drift_baseline = d->s.slow;
		if (v->embedding_drift == VG_TRI_UNSET)
			v->embedding_drift = tri(d->s.slow - d->s.fast > ds->drop);
	}
	return 0;
}

/* A centroid for a new model: the previous model's, when it was warm. */
static struct sim_state *inherit(struct semantic *sem, const struct observation *obs,
                                 const char *prev_model, uint32_t dims, bool local, int64_t now)
{
	char key[VG_NAME_MAX + VG_MODEL_MAX + VG_TEMPLATE_MAX + 4];
	size_t klen = make_key(key, sizeof(key), obs->pid.provider, prev_model, obs->template_id);
	const struct sim_state *old = strmap_get(sem->sim, key, klen);
	if (!old || old->n < (uint32_t)sem->cfg.settings.similarity.warmup || old->dims != dims ||
	    old->local != local)
		return NULL;
	struct sim_state *s = malloc(sizeof(*s));
	float *c = malloc(dims * sizeof(*c));
	if (!s || !c) {
		free(s);
		free(c);
		return NULL;
	}
	*s = *old;
	memcpy(c, old->c, dims * sizeof(*c));
	s->c = c;
	s->sim.fast = s->sim.slow; /* the new model starts from the old baseline */
	s->sim.n = 1;              /* judged after change_min_samples, not at once */
	s->qual.fast = s->qual.slow;
	s->qual.n = s->qual.n ? 1 : 0;
	s->changed_at = now;
	s->since_change = 0;
	qrate_change(&s->odd, now);
	return s;
}

/* 1 when every measured quality verdict passes, 0 when one fails, NaN when
 * none is measured. A hallucination within its model's usual rate passes:
 * the screen's background is not a quality step. */
double semantic_quality_pass(const struct semantic_verdicts *v)
{
	if (v->schema_valid == VG_TRI_UNSET && v->hallucination == VG_TRI_UNSET &&
	    v->coherence == VG_TRI_UNSET)
		return NAN;
	bool hallucinated =
	        v->hallucination == VG_TRI_TRUE && v->hallucination_excess != VG_TRI_FALSE;
	return v->schema_valid == VG_TRI_FALSE || hallucinated || v->coherence == VG_TRI_TRUE ? 0.0
	                                                                                      : 1.0;
}

/* The quality rates of one provider's model alias (core/qrate): its
 * hallucinations, and its quality failures of any kind (the chapter's
 * quality score: schema, hallucination screen, coherence, similarity). */
struct hrate_rec {
	struct qrate q;
	struct qrate qual;
	char cur[VG_MODEL_MAX];  /* the version answering now */
	char prev[VG_MODEL_MAX]; /* the one before: going back to it is no change */
};

/* Length of the alias of a versioned model name: a trailing date
 * ("gpt-4o-2024-08-06", "claude-3-5-haiku-20241022"), a three-digit
 * revision ("gemini-2.0-flash-001") or an "@version" is the version. */
size_t semantic_model_alias_len(const char *m)
{
	size_t n = strlen(m);
	const char *at = strchr(m, '@');
	if (at && at > m)
		return (size_t)(at - m);
	size_t d = 0; /* trailing digits */
	while (d < n && m[n - 1 - d] >= '0' && m[n - 1 - d] <= '9')
		d++;
	if (d == n || m[n - 1 - d] != '-')
		return n;
	if ((d == 8 || d == 3) && n > d + 1) /* YYYYMMDD, NNN, after a name */
		return n - 1 - d;
	/* YYYY-MM-DD: three groups of 2, 2 and 4 digits */
	if (d == 2 && n > 11) {
		const char *p = m + n - 11;
		bool date = p[0] == '-' && p[5] == '-' && p[8] == '-';
		for (int i = 1; date && i < 11; i++)
			date = (i == 5 || i == 8) || (p[i] >= '0' && p[i] <= '9');
		if (date)
			return n - 11;
	}
	return n;
}

/* The alias record of obs's model, created on first sight; a new version
 * of the alias starts the change window of its trackers. *out is NULL
 * when the model is unnamed or the map is full. */
static int alias_rec(struct semantic *sem, const struct observation *obs, int64_t now,
                     struct hrate_rec **out)
{
	*out = NULL;
	if (!obs->pid.model[0])
		return 0;
	char alias[VG_MODEL_MAX];
	model_copy_str(alias, sizeof(alias), obs->pid.model,
	               semantic_model_alias_len(obs->pid.model));
	char key[VG_NAME_MAX + VG_MODEL_MAX + 4];
	size_t klen = make_key(key, sizeof(key), obs->pid.provider, alias, NULL);
	int err = 0;
	struct hrate_rec *h = get_or_add(sem, sem->hrate, key, klen, sizeof(*h), &err);
	if (!h)
		return err; /* 0 when the map is full: not tracked */
	if (!h->cur[0]) {   /* new */
		qrate_init(&h->q, &sem->rate_h);
		qrate_init(&h->qual, &sem->rate_q);
		model_copy_str(h->cur, sizeof(h->cur), obs->pid.model, (size_t)-1);
	} else if (strcmp(h->cur, obs->pid.model) != 0) {
		/* A new version answers for the alias; back to the previous one
		 * (two versions in use at once) is no change. */
		if (strcmp(h->prev, obs->pid.model) != 0) {
			qrate_change(&h->q, now);
			qrate_change(&h->qual, now);
		}
		memcpy(h->prev, h->cur, sizeof(h->prev));
		model_copy_str(h->cur, sizeof(h->cur), obs->pid.model, (size_t)-1);
	}
	*out = h;
	return 0;
}

/* A hallucination counts at a rate over the alias's usual. */
static void judge_hallucination(const struct semantic *sem, struct hrate_rec *h, int64_t now,
                                struct semantic_verdicts *v)
{
	if (v->hallucination == VG_TRI_UNSET)
		return;
	/* While the alias's quality as a whole is in a step, its
	 * hallucinations belong to it. */
	bool step = qrate_alarmed(&h->qual, &sem->rate_q, now);
	struct qrate_verdict qv;
	qrate_add(&h->q, &sem->rate_h, v->hallucination == VG_TRI_TRUE, now, &qv);
	v->hallucination_excess =
	        v->hallucination == VG_TRI_TRUE ? tri(qv.excess || step) : VG_TRI_FALSE;
	v->hallucination_rate = qv.rate;
	v->hallucination_baseline = qv.baseline;
	v->hallucination_window = (int32_t)(qv.n > INT32_MAX ? INT32_MAX : qv.n);
}

/* Quality failures of any kind (odd: the similarity check's verdict on
 * this answer) since a model change, at a rate over the alias's usual, are
 * a regression: the evidence of several screens together, each with its own
 * background, shows a step sooner than any one of them. */
static void judge_quality(const struct semantic *sem, struct hrate_rec *h, int64_t now, int8_t odd,
                          struct semantic_verdicts *v)
{
	if (v->hallucination == VG_TRI_UNSET && v->schema_valid == VG_TRI_UNSET &&
	    v->coherence == VG_TRI_UNSET && odd == VG_TRI_UNSET)
		return;
	bool failed = v->hallucination == VG_TRI_TRUE || v->schema_valid == VG_TRI_FALSE ||
	              v->coherence == VG_TRI_TRUE || odd == VG_TRI_TRUE;
	struct qrate_verdict qv;
	qrate_add(&h->qual, &sem->rate_q, failed, now, &qv);
	if (qv.excess)
		v->regression = VG_TRI_TRUE;
}

static int track_similarity(struct semantic *sem, const struct observation *obs,
                            const struct semantic_text *t, int64_t now, struct semantic_verdicts *v,
                            int8_t *odd)
{
	*odd = VG_TRI_UNSET;
	const struct semantic_similarity *ss = &sem->cfg.settings.similarity;
	const float *e;
	uint32_t dims;
	bool local;
	if (obs->embedding && obs->embedding_len >= 8 && obs->embedding_len <= 65536) {
		e = obs->embedding;
		dims = (uint32_t)obs->embedding_len;
		local = false;
	} else if (t && t->dims) {
		e = t->embedding;
		dims = t->dims;
		local = true;
	} else {
		return 0;
	}
	double enorm = sqrt(embed_dot(e, e, dims));
	if (!(enorm > 0) || !isfinite(enorm))
		return 0;

	int err = 0;
	char mkey[VG_NAME_MAX + VG_TEMPLATE_MAX + 4];
	size_t mlen = make_key(mkey, sizeof(mkey), obs->pid.provider, obs->template_id, NULL);
	struct model_rec *rec = get_or_add(sem, sem->model, mkey, mlen, sizeof(*rec), &err);
	if (err)
		return err;

	char key[VG_NAME_MAX + VG_MODEL_MAX + VG_TEMPLATE_MAX + 4];
	size_t klen =
	        make_key(key, sizeof(key), obs->pid.provider, obs->pid.model, obs->template_id);
	struct sim_state *st = strmap_get(sem->sim, key, klen);
	if (!st) {
		if (rec && rec->model[0] && strcmp(rec->model, obs->pid.model) != 0)
			st = inherit(sem, obs, rec->model, dims, local, now);
		if (!st) {
			st = calloc(1, sizeof(*st));
			if (st) {
				st->changed_at = VG_NONE;
				st->dims = dims;
				st->local = local;
				st->c = calloc(dims, sizeof(float));
			}
			if (!st || !st->c) {
				sim_state_free(st);
				return VG_ENOMEM;
			}
			qrate_init(&st->odd, &sem->rate_odd);
		}
		int rc = strmap_put(sem->sim, key, klen, st);
		if (rc) {
			sim_state_free(st);
			if (rc == VG_EFULL) {
				sem->untracked++;
				return 0;
			}
			return rc;
		}
	}
	if (rec)
		model_copy_str(rec->model, sizeof(rec->model), obs->pid.model, (size_t)-1);
	if (st->dims != dims || st->local != local) {
		/* The source changed (another embedding model): start over. */
		float *c = realloc(st->c, dims * sizeof(float));
		if (!c)
			return VG_ENOMEM;
		memset(c, 0, dims * sizeof(float));
		st->c = c;
		st->dims = dims;
		st->local = local;
		st->n = 0;
		memset(&st->sim, 0, sizeof(st->sim));
		memset(&st->qual, 0, sizeof(st->qual));
		st->changed_at = VG_NONE;
		qrate_init(&st->odd, &sem->rate_odd);
	}

	if (st->n >= (uint32_t)ss->warmup) {
		double cn = sqrt(embed_dot(st->c, st->c, dims));
		double sim = cn > 0 ? embed_dot(e, st->c, dims) / (enorm * cn) : 0;
		/* Odd: below the baseline (before this answer moved it) by
		 * step_drop and by three of its usual deviations. */
		double bar = st->sim.n ? st->sim.slow - fmax(ss->step_drop, 3 * sqrt(st->sim.var))
		                       : -INFINITY;
		step_add(&st->sim, sim, ss->fast_alpha, ss->baseline_alpha);
		double q = semantic_quality_pass(v);
		if (!isnan(q))
			step_add(&st->qual, q, ss->fast_alpha, ss->baseline_alpha);
		bool in_change =
		        st->changed_at != VG_NONE && now - st->changed_at <= ss->change_window_ms;
		if (st->changed_at != VG_NONE)
			st->since_change++;
		if (!vg_has_d(v->similarity))
			v->similarity = sim;
		v->similarity_baseline = st->sim.slow;
		v->model_changed = in_change;
		bool ready = st->sim.n >= (uint32_t)ss->warmup ||
		             (in_change && st->since_change >= (uint32_t)ss->change_min_samples);
		bool qual_ready =
		        st->qual.n >= (uint32_t)ss->warmup ||
		        (in_change && st->since_change >= (uint32_t)ss->change_min_samples &&
		         st->qual.n > 0);
		/* Odd answers count once the baseline is ready, and right after
		 * a model change (the inherited one). */
		struct qrate_verdict qv = { .excess = false };
		if (ready || in_change) {
			qrate_add(&st->odd, &sem->rate_odd, sim < bar, now, &qv);
			*odd = tri(sim < bar);
		}
		if (ready && v->regression == VG_TRI_UNSET)
			v->regression = tri(
			        qv.excess ||
			        (ss->min_similarity > 0 && st->sim.fast < ss->min_similarity) ||
			        (qual_ready && st->qual.slow - st->qual.fast > ss->quality_drop));
	}
	/* Fold the response in: a plain mean while warming up, then an EWMA. */
	double a = st->n < (uint32_t)ss->warmup ? 1.0 / (st->n + 1) : ss->centroid_alpha;
	float keep = (float)(1.0 - a), scale = (float)(a / enorm);
	for (uint32_t i = 0; i < dims; i++)
		st->c[i] = keep * st->c[i] + scale * e[i];
	st->n++;
	return 0;
}

static void merge_text(struct semantic_verdicts *v, const struct semantic_verdicts *t)
{
	/* The gateway's "invalid" wins, and when our own validation agrees it
	 * tells where: the pointer of the first failure. */
	if ((v->schema_valid == VG_TRI_UNSET && t->schema_valid != VG_TRI_UNSET) ||
	    (v->schema_valid == VG_TRI_FALSE && t->schema_valid == VG_TRI_FALSE &&
	     !v->schema_pointer[0] && !v->schema_keyword[0])) {
		v->schema_valid = t->schema_valid;
		memcpy(v->schema_pointer, t->schema_pointer, sizeof(v->schema_pointer));
		memcpy(v->schema_keyword, t->schema_keyword, sizeof(v->schema_keyword));
	}
	if (v->hallucination == VG_TRI_UNSET && t->hallucination != VG_TRI_UNSET) {
		v->hallucination = t->hallucination;
		v->unsupported_entities = t->unsupported_entities;
		memcpy(v->hallucination_sample, t->hallucination_sample,
		       sizeof(v->hallucination_sample));
	}
	if (v->coherence == VG_TRI_UNSET && t->coherence != VG_TRI_UNSET)
		v->coherence = t->coherence;
	if (!vg_has_d(v->repeat_ratio))
		v->repeat_ratio = t->repeat_ratio;
	if (v->contradictions < 0)
		v->contradictions = t->contradictions;
	if (v->pii_leak == VG_TRI_UNSET && t->pii_leak != VG_TRI_UNSET) {
		v->pii_leak = t->pii_leak;
		memcpy(v->pii_kind, t->pii_kind, sizeof(v->pii_kind));
		memcpy(v->pii_sample, t->pii_sample, sizeof(v->pii_sample));
	}
}

int semantic_complete(struct semantic *sem, const struct observation *obs,
                      const struct semantic_text *t, int64_t now, struct semantic_verdicts *v)
{
	if (t)
		merge_text(v, &t->v);
	struct hrate_rec *h;
	int rc = alias_rec(sem, obs, now, &h);
	if (rc)
		return rc;
	if (h)
		judge_hallucination(sem, h, now, v);
	int8_t odd;
	if ((rc = track_similarity(sem, obs, t, now, v, &odd)) != 0)
		return rc;
	if (h)
		judge_quality(sem, h, now, odd, v);
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
		return track_similarity(sem, obs, NULL, now, v, &odd);
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
