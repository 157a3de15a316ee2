/*
 * semantic_quality.c: the checks that need the history of a model's answers
 * (semantic_complete, see semantic.h): similarity to the centroid of its
 * (provider, model, template) and the step of a regression, the centroid
 * a new model version inherits, and per model alias the hallucination rate
 * and the quality failures together after a model change (core/qrate).
 * Text verdicts from semantic_text.c are merged in first.
 */
#include "core/semantic.h"

#include "core/embed.h"
#include "core/semantic_internal.h"
#include "core/strmap.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
void semantic__odd_settings(const struct semantic_similarity *ss, struct qrate_settings *qs)
{
	qrate_defaults(qs);
	qs->prior_rate = 0.02;
	qs->alpha = 1e-5;
	qs->min_failures = 3;
	qs->clean_rate = 0;
	qs->burst = true;
	qs->change_window_ms = ss->change_window_ms;
}

void semantic__sim_state_free(void *p)
{
	struct sim_state *s = p;
	if (s)
		free(s->c);
	free(s);
}

struct model_rec {
	char model[VG_MODEL_MAX];
};

/* A centroid for a new model: the previous model's, when it was warm. */
static struct sim_state *inherit(struct semantic *sem, const struct observation *obs,
                                 const char *prev_model, uint32_t dims, bool local, int64_t now)
{
	char key[VG_NAME_MAX + VG_MODEL_MAX + VG_TEMPLATE_MAX + 4];
	size_t klen = semantic__make_key(key, sizeof(key), obs->pid.provider, prev_model,
	                                 obs->template_id);
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
 * hallucinations, and its quality failures of any kind (what the quality
 * score counts: schema, hallucination screen, coherence, similarity). */
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
	size_t klen = semantic__make_key(key, sizeof(key), obs->pid.provider, alias, NULL);
	int err = 0;
	struct hrate_rec *h = semantic__get_or_add(sem, sem->hrate, key, klen, sizeof(*h), &err);
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
	        v->hallucination == VG_TRI_TRUE ? semantic__tri(qv.excess || step) : VG_TRI_FALSE;
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

int semantic__track_similarity(struct semantic *sem, const struct observation *obs,
                               const struct semantic_text *t, int64_t now,
                               struct semantic_verdicts *v, int8_t *odd)
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
	size_t mlen =
	        semantic__make_key(mkey, sizeof(mkey), obs->pid.provider, obs->template_id, NULL);
	struct model_rec *rec =
	        semantic__get_or_add(sem, sem->model, mkey, mlen, sizeof(*rec), &err);
	if (err)
		return err;

	char key[VG_NAME_MAX + VG_MODEL_MAX + VG_TEMPLATE_MAX + 4];
	size_t klen = semantic__make_key(key, sizeof(key), obs->pid.provider, obs->pid.model,
	                                 obs->template_id);
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
				semantic__sim_state_free(st);
				return VG_ENOMEM;
			}
			qrate_init(&st->odd, &sem->rate_odd);
		}
		int rc = strmap_put(sem->sim, key, klen, st);
		if (rc) {
			semantic__sim_state_free(st);
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
		semantic__step_add(&st->sim, sim, ss->fast_alpha, ss->baseline_alpha);
		double q = semantic_quality_pass(v);
		if (!isnan(q))
			semantic__step_add(&st->qual, q, ss->fast_alpha, ss->baseline_alpha);
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
			*odd = semantic__tri(sim < bar);
		}
		if (ready && v->regression == VG_TRI_UNSET)
			v->regression = semantic__tri(
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
	if ((rc = semantic__track_similarity(sem, obs, t, now, v, &odd)) != 0)
		return rc;
	if (h)
		judge_quality(sem, h, now, odd, v);
	return 0;
}
