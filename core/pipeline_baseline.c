/*
 * pipeline_baseline.c: stage 5c of the pipeline, baselines (see the
 * baselines section of pipeline.h and core/baseline.h).
 *
 * The pipeline owns the series of the deployment: per (provider, model
 * alias, source) and per (provider, source), a live series (core/baseline:
 * model, open rollups, window), the week of closed hours it gathered since
 * its last refresh (core/baseline_job: compact), and the id of its waiting
 * review item. Entities hold their series (a provider its aggregates, a
 * model its alias series, by source), so an observation finds both without
 * a lookup; the map by key serves restores, jobs and the first sight.
 *
 * Per observation: its sample (core/rollup) is folded into its alias
 * series and judged there (once: an observation without a model goes to
 * the aggregate instead); a provider's aggregate is the sum of its aliases,
 * fed their minutes as they close (baseline_series_add_minute()) and judged
 * when its own minute ends, so each request is folded once, not twice. At
 * every minute's edge all series roll, aliases first. A verdict becomes a failure
 * event (severity by core/severity, like every event) when its slot is warm
 * or when it says that a review waits; an aggregate's verdict of a metric
 * that an alias series of its provider reports (within a re-alert period
 * and a window) is left out: one question, one event. Closed rollups and
 * changed models are effects; nothing here does I/O.
 *
 * The weekly refresh: at the configured weekday and hour on the events'
 * clock every series is rolled to that time (its hours closed) and the
 * call's effects say baseline_refresh_due; pipeline_baseline_take() moves
 * the hours out into a job with copies of the models, the shell runs it
 * (inline or on a thread) and pipeline_baseline_apply() puts the models
 * back, with a review item for every step found.
 */
#include "core/pipeline_internal.h"

#include "core/rollup_codec.h"
#include "core/semantic.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLD       __attribute__((noinline, cold))

#define MAX_SERIES (2 * PIPELINE_MAX_ENTITIES)

/* A week of hours is taken by the refresh; one never taken (a shell that
 * does not run jobs) is capped at this many, the oldest dropped. */
#define WEEK_CAP (3 * BL_SLOTS)

struct pbl_series {
	struct baseline_series *bs;
	struct rollup_series key;
	bool aggregate;
	struct baseline_week week;
	int64_t refreshed_ms;          /* the last refresh applied (INT64_MIN: never) */
	int64_t review_id;             /* its waiting review item, 0: none */
	struct pbl_series *agg;        /* an alias series: its provider's aggregate */
	const struct entity *last_mod; /* the model entity of its last request */
	/* an aggregate: when an alias series of its provider last reported
	 * each metric (INT64_MIN: never) */
	int64_t alias_told[BM__COUNT];
};

struct pipeline_bl {
	struct baseline_ctx ctx;
	size_t conf[2], seen[2]; /* series expected and seen, by source */
	struct strmap *map;      /* key -> struct pbl_series (owned) */
	struct pbl_series **all; /* creation order */
	size_t n, cap;
	bool started;
	int64_t last_refresh_ms; /* INT64_MIN: never */
	int64_t next_due_ms;
	int64_t next_minute_ms; /* every series rolls at a minute's edge (roll_all) */
	bool due, job_out;
	int64_t due_cutoff;
	const struct baseline_job *job; /* the job out */
	int64_t next_review_id;
};

static const char *const review_state_names[PRV__COUNT] = { "waiting", "accepted", "rejected" };

const char *pipeline_review_state_name(enum pipeline_review_state s)
{
	return (unsigned)s < PRV__COUNT ? review_state_names[s] : "unknown";
}

int pipeline_review_state_parse(const char *s)
{
	for (int i = 0; s && i < PRV__COUNT; i++)
		if (strcmp(s, review_state_names[i]) == 0)
			return i;
	return VG_EINVAL;
}

/* ---- series ------------------------------------------------------------------------- */

static void series_free(void *v)
{
	struct pbl_series *ps = v;
	if (!ps)
		return;
	baseline_series_free(ps->bs);
	baseline_week_done(&ps->week);
	free(ps);
}

static size_t key_of(const struct rollup_series *k, char *buf, size_t size)
{
	size_t a = strnlen(k->provider, sizeof(k->provider));
	size_t b = strnlen(k->alias, sizeof(k->alias));
	if (a + b + 3 > size)
		return 0;
	memcpy(buf, k->provider, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, k->alias, b);
	buf[a + 1 + b] = '\0';
	buf[a + 2 + b] = k->source == OBS_PROBE ? 'p' : 'g';
	return a + b + 3;
}

static int src_of(enum obs_source s)
{
	return s == OBS_PROBE ? 1 : 0;
}

/* The limits from the series expected or seen, whichever is more. */
static void derive_limits(struct pipeline_bl *bl)
{
	size_t g = bl->conf[0] > bl->seen[0] ? bl->conf[0] : bl->seen[0];
	size_t pr = bl->conf[1] > bl->seen[1] ? bl->conf[1] : bl->seen[1];
	struct baseline_settings s = bl->ctx.s;
	struct baseline_static st = bl->ctx.st;
	baseline_ctx_init(&bl->ctx, &s, &st, g, pr);
}

static struct pbl_series *series_find(const struct pipeline_bl *bl, const struct rollup_series *k)
{
	char buf[VG_NAME_MAX + VG_MODEL_MAX + 4];
	size_t len = key_of(k, buf, sizeof(buf));
	return len ? strmap_get(bl->map, buf, len) : NULL;
}

/* The series of key k, created when new; NULL when the set is full or out
 * of memory. */
COLD static struct pbl_series *series_get(struct pipeline_bl *bl, const struct rollup_series *k)
{
	char buf[VG_NAME_MAX + VG_MODEL_MAX + 4];
	size_t len = key_of(k, buf, sizeof(buf));
	if (!len)
		return NULL;
	struct pbl_series *ps = strmap_get(bl->map, buf, len);
	if (ps || bl->n >= MAX_SERIES)
		return ps;
	if (vg_grow((void **)&bl->all, &bl->cap, bl->n + 1, sizeof(*bl->all), 16) != 0)
		return NULL;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return NULL;
	ps->bs = baseline_series_new(k);
	if (!ps->bs || strmap_put(bl->map, buf, len, ps) != 0) {
		series_free(ps);
		return NULL;
	}
	ps->key = *k;
	ps->aggregate = k->alias[0] == '\0';
	ps->refreshed_ms = INT64_MIN;
	for (int m = 0; m < BM__COUNT; m++)
		ps->alias_told[m] = INT64_MIN;
	baseline_week_init(&ps->week);
	bl->all[bl->n++] = ps;
	bl->seen[src_of(k->source)]++;
	derive_limits(bl);
	if (ps->aggregate) {
		baseline_series_set_derived(ps->bs, true);
	} else {
		struct rollup_series ak = *k;
		memset(ak.alias, 0, sizeof(ak.alias));
		ps->agg = series_get(bl, &ak);
	}
	return ps;
}

/* ---- life cycle ------------------------------------------------------------------- */

int pipeline_set_baselines(struct pipeline *p, const struct baseline_settings *s,
                           size_t gateway_series, size_t probe_series)
{
	if (p->observations || p->bl)
		return VG_ESTATE;
	if (!s->enabled)
		return 0;
	struct pipeline_bl *bl = calloc(1, sizeof(*bl));
	if (!bl)
		return VG_ENOMEM;
	struct baseline_static st;
	baseline_static_from(&p->settings, &st);
	int rc = baseline_ctx_init(&bl->ctx, s, &st, gateway_series, probe_series);
	if (rc != 0) {
		free(bl);
		return rc;
	}
	bl->conf[0] = gateway_series;
	bl->conf[1] = probe_series;
	bl->map = strmap_new(MAX_SERIES, series_free);
	if (!bl->map) {
		free(bl);
		return VG_ENOMEM;
	}
	bl->last_refresh_ms = INT64_MIN;
	bl->next_due_ms = INT64_MAX;
	bl->next_minute_ms = INT64_MIN;
	bl->next_review_id = 1;
	p->bl = bl;
	return 0;
}

void pipeline__bl_free(struct pipeline *p)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl)
		return;
	strmap_free(bl->map);
	free(bl->all);
	free(bl);
	p->bl = NULL;
}

bool pipeline_baselines_on(const struct pipeline *p)
{
	return p->bl != NULL;
}

const struct baseline_ctx *pipeline_baseline_ctx(const struct pipeline *p)
{
	return p->bl ? &p->bl->ctx : NULL;
}

/* ---- the refresh schedule ---------------------------------------------------------- */

static int64_t floordiv(int64_t t, int64_t d)
{
	int64_t q = t / d;
	return (t % d < 0) ? q - 1 : q;
}

/* The latest scheduled refresh at or before t. */
static int64_t sched_at_or_before(const struct baseline_settings *s, int64_t t)
{
	return baseline_job_schedule(s, t);
}

static void schedule_after(struct pipeline_bl *bl, int64_t t)
{
	bl->next_due_ms = sched_at_or_before(&bl->ctx.s, t) + BL_WEEK_MS;
}

/* The first time seen: the first refresh is the first scheduled one after
 * it (or after the last refresh restored). */
static void start(struct pipeline_bl *bl, int64_t now)
{
	bl->started = true;
	schedule_after(bl, bl->last_refresh_ms != INT64_MIN ? bl->last_refresh_ms : now);
}

/* ---- effects ------------------------------------------------------------------------- */

static void push_rollup(struct pipeline *p, struct pbl_series *ps, const struct rollup *r,
                        bool hour)
{
	struct pipeline_rollup **v = &p->blfx.ro;
	if (vg_grow((void **)v, &p->blfx.cap_ro, p->blfx.n_ro + 1, sizeof(**v), 16) != 0) {
		p->stage6_err = VG_ENOMEM;
		return;
	}
	(*v)[p->blfx.n_ro++] = (struct pipeline_rollup){ &ps->key, r, hour };
}

static void push_model(struct pipeline *p, struct pbl_series *ps)
{
	struct pipeline_baseline_model **v = &p->blfx.mo;
	if (vg_grow((void **)v, &p->blfx.cap_mo, p->blfx.n_mo + 1, sizeof(**v), 16) != 0) {
		p->stage6_err = VG_ENOMEM;
		return;
	}
	(*v)[p->blfx.n_mo++] =
	        (struct pipeline_baseline_model){ baseline_series_model(ps->bs), ps->refreshed_ms };
}

static void review_text(const struct baseline_review *rv, char *buf, size_t size)
{
	char slot[24];
	baseline_slot_name(timeparse_hour_of_week(rv->at_ms), slot, sizeof(slot));
	int m = rv->metric >= 0 && rv->metric < BM__COUNT ? rv->metric : 0;
	double pct = (exp(rv->delta[m]) - 1) * 100;
	int extra = 0;
	for (int i = 0; i < BM__COUNT; i++)
		extra += i != m && (rv->mask & (1u << i));
	char more[24] = "";
	if (extra)
		snprintf(more, sizeof(more), " (+%d more)", extra);
	snprintf(buf, size, "%s %+.0f%% since %s%s%s%s%s",
	         baseline_metric_name((enum baseline_metric)m), pct, slot, more,
	         rv->model[0] ? " (" : "", rv->model, rv->model[0] ? ")" : "");
}

static void push_review(struct pipeline *p, struct pbl_series *ps, int64_t id,
                        const struct baseline_review *rv, enum pipeline_review_state st,
                        const char *actor, int64_t decided_ms)
{
	struct pipeline_review **v = &p->blfx.rv;
	if (vg_grow((void **)v, &p->blfx.cap_rv, p->blfx.n_rv + 1, sizeof(**v), 4) != 0) {
		p->stage6_err = VG_ENOMEM;
		return;
	}
	struct pipeline_review *r = &(*v)[p->blfx.n_rv++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->series = ps->key;
	r->review = *rv;
	r->state = st;
	model_copy_str(r->actor, sizeof(r->actor), actor ? actor : "", (size_t)-1);
	r->decided_ms = decided_ms;
	review_text(rv, r->text, sizeof(r->text));
}

/* ---- verdicts to events ----------------------------------------------------------- */

static void emit(struct pipeline *p, const struct baseline_verdict *v,
                 const struct observation *obs, struct entity *prov, struct entity *mod,
                 int64_t now)
{
	struct provider_id pid;
	if (obs) {
		/* The series is the provider's (or its alias's) traffic in every
		 * region: its event names no region, so its re-alerts group into
		 * one incident whichever request closed the window. */
		pid = obs->pid;
		pid.region[0] = '\0';
	} else {
		memset(&pid, 0, sizeof(pid));
		model_copy_str(pid.provider, sizeof(pid.provider), v->series.provider, (size_t)-1);
	}
	model_copy_str(pid.model, sizeof(pid.model), v->series.alias, (size_t)-1);
	struct failure_event *ev = pipeline__push_event(p, v->subtype, &pid, now);
	if (!ev)
		return;
	struct causal_signals *c = &ev->causal;
	enum baseline_kind kind = baseline_metric_kind(v->metric);
	if (kind == BK_QUANTILE) {
		c->latency_ms = v->observed;
		c->latency_percentile = v->percentile;
	} else {
		c->value = v->observed;
	}
	c->threshold = v->threshold;
	c->error_rate = v->share;
	c->window_count = v->n;
	c->baseline_expected = v->expected;
	c->baseline_lo = v->lo;
	c->baseline_hi = v->hi;
	c->baseline_slot = v->slot;
	c->baseline_weight = v->weight;
	model_copy_str(c->detail, sizeof(c->detail), v->text, (size_t)-1);
	if (obs) {
		ev->traffic_class = obs->traffic_class;
		model_copy_str(ev->request_id, sizeof(ev->request_id), obs->request_id, (size_t)-1);
		model_copy_str(ev->template_id, sizeof(ev->template_id), obs->template_id,
		               (size_t)-1);
	}
	pipeline__judge(p, ev, prov, mod, false, now);
}

/* What one series call gave: rollups, hours to the week, verdicts; an
 * alias series' closed minute goes on into its aggregate. */
static void handle(struct pipeline *p, struct pbl_series *ps, const struct baseline_out *out,
                   const struct observation *obs, struct entity *prov, struct entity *mod,
                   int64_t now)
{
	struct pipeline_bl *bl = p->bl;
	if (out->closed) {
		if (out->minute) {
			push_rollup(p, ps, out->minute, false);
			if (ps->agg) {
				struct baseline_out ao;
				baseline_series_add_minute(ps->agg->bs, &bl->ctx, out->minute, &ao);
				if (ao.closed || ao.n_verdicts)
					handle(p, ps->agg, &ao, NULL, prov, NULL, now);
			}
		}
		if (out->hour) {
			push_rollup(p, ps, out->hour, true);
			if (ps->week.n >= WEEK_CAP) {
				struct baseline_week old;
				baseline_week_init(&old);
				baseline_week_split(&ps->week, out->hour->start_ms - 2 * BL_WEEK_MS,
				                    &old);
				baseline_week_done(&old);
			}
			if (baseline_week_add(&ps->week, out->hour) == VG_ENOMEM)
				p->stage6_err = VG_ENOMEM;
		}
	}
	for (size_t i = 0; i < out->n_verdicts; i++) {
		const struct baseline_verdict *v = &out->v[i];
		if (v->kind == BV_DEVIATION && !(v->weight >= bl->ctx.s.warm_weight))
			continue; /* a cold slot: today's static checks own it */
		/* One question, one event: while an alias series reports a
		 * metric, its provider's aggregate does not report it too. */
		if (ps->aggregate && ps->alias_told[v->metric] != INT64_MIN &&
		    now - ps->alias_told[v->metric] <=
		            bl->ctx.s.realert_ms + BL_WIN_BUCKETS * 60000LL)
			continue;
		if (ps->agg)
			ps->agg->alias_told[v->metric] = now;
		emit(p, v, obs, prov, mod, now);
	}
}

/* The provider entity of a series (no creation), for the severity snapshot. */
static struct entity *provider_entity(struct pipeline *p, const struct pbl_series *ps)
{
	return pipeline__find(p, ps->key.provider, "", pipeline__entity_hash(ps->key.provider, ""));
}

/* Time passes for every series (their minutes and hours close, means are
 * judged): the alias series first, so that an aggregate has every minute
 * of its aliases before its own minute ends. */
static void roll_all(struct pipeline *p, int64_t now)
{
	struct pipeline_bl *bl = p->bl;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < bl->n; i++) {
			struct pbl_series *ps = bl->all[i];
			if (ps->aggregate != (pass == 1))
				continue;
			struct baseline_out out;
			baseline_series_tick(ps->bs, &bl->ctx, now, &out);
			if (out.closed || out.n_verdicts)
				handle(p, ps, &out, NULL, provider_entity(p, ps), NULL, now);
		}
	}
	bl->next_minute_ms = (floordiv(now, ROLLUP_MINUTE_MS) + 1) * ROLLUP_MINUTE_MS;
}

/* The refresh is due: every series closes its hours up to now. */
COLD static void mark_due(struct pipeline *p, int64_t now)
{
	struct pipeline_bl *bl = p->bl;
	roll_all(p, now);
	bl->due = true;
	p->blfx.due = true;
	bl->due_cutoff = sched_at_or_before(&bl->ctx.s, now);
}

static inline void check_due(struct pipeline *p, int64_t now)
{
	struct pipeline_bl *bl = p->bl;
	if (now >= bl->next_due_ms && !bl->due && !bl->job_out)
		mark_due(p, now);
}

/* ---- the stage -------------------------------------------------------------------- */

/* The series of obs (aggregate, or its alias), held by entity e when given. */
COLD static struct pbl_series *series_of(struct pipeline *p, const struct observation *obs,
                                         bool aggregate, struct entity *e)
{
	struct rollup_series k;
	rollup_series_of(obs, aggregate, &k);
	if (!aggregate && !k.alias[0])
		return NULL; /* no model: the aggregate has it */
	struct pbl_series *ps = series_get(p->bl, &k);
	if (e)
		e->bls[src_of(obs->source)] = ps;
	return ps;
}

void pipeline__bl_feed(struct pipeline *p, const struct observation *obs,
                       const struct semantic_verdicts *v, struct entity *prov, struct entity *mod,
                       size_t lat_bucket, int64_t now)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl->started)
		start(bl, now);
	int src = src_of(obs->source);
	struct pbl_series *alias = NULL, *agg = prov ? prov->bls[src] : NULL;
	if (!agg)
		agg = series_of(p, obs, true, prov);
	if (obs->pid.model[0]) {
		alias = mod ? mod->bls[src] : NULL;
		if (!alias)
			alias = series_of(p, obs, false, mod);
	}
	/* A minute's edge: every series rolls (aliases into their aggregates). */
	if (now >= bl->next_minute_ms)
		roll_all(p, now);
	struct rollup_sample s;
	rollup_sample_at(obs, v, lat_bucket, &s);
	/* The same model entity as the alias's last request: the same version,
	 * nothing for rollup_note_model() to compare. */
	if (alias && mod && alias->last_mod == mod)
		s.model = NULL;
	else if (alias)
		alias->last_mod = mod;
	struct baseline_out out;
	/* A request is folded once: into its alias series (the aggregate sums
	 * its aliases' minutes), or into the aggregate when it has no model. */
	struct pbl_series *ps = alias ? alias : agg;
	if (ps) {
		baseline_series_feed(ps->bs, &bl->ctx, &s, !alias, now, &out);
		if (out.closed || out.n_verdicts)
			handle(p, ps, &out, obs, prov, mod, now);
	}
	check_due(p, now);
}

void pipeline__bl_quality(struct pipeline *p, const struct observation *obs, struct entity *prov,
                          struct entity *mod, int64_t now)
{
	struct pipeline_bl *bl = p->bl;
	double pass = semantic_quality_pass(&obs->verdicts);
	if (pass != 0.0 && pass != 1.0)
		return;
	if (!bl->started)
		start(bl, now);
	int src = src_of(obs->source);
	struct pbl_series *agg = prov ? prov->bls[src] : NULL, *alias = NULL;
	if (!agg)
		agg = series_of(p, obs, true, prov);
	if (obs->pid.model[0]) {
		alias = mod ? mod->bls[src] : NULL;
		if (!alias)
			alias = series_of(p, obs, false, mod);
	}
	if (now >= bl->next_minute_ms)
		roll_all(p, now);
	/* Counted where the request was (its alias series, or the aggregate). */
	struct pbl_series *ps = alias ? alias : agg;
	if (ps) {
		struct baseline_out out;
		baseline_series_quality(ps->bs, &bl->ctx, pass, now, &out);
		handle(p, ps, &out, obs, prov, mod, now);
	}
	check_due(p, now);
}

void pipeline__bl_tick(struct pipeline *p, int64_t now)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl->started)
		start(bl, now);
	roll_all(p, now);
	check_due(p, now);
}

/* The metric a static soft check answers, or -1. */
static int static_metric(enum subtype sub)
{
	switch (sub) {
	case SUB_LATENCY: return BM_LATENCY;
	case SUB_RATE_LIMIT: return BM_RATE_LIMIT;
	case SUB_CONTENT_FILTER: return BM_CONTENT_FILTER;
	case SUB_INVALID_REQUEST: return BM_INVALID_REQUEST;
	default: return -1;
	}
}

bool pipeline__bl_static_off(const struct pipeline *p, const struct entity *prov, enum subtype sub,
                             enum obs_source src, int64_t now)
{
	const struct pipeline_bl *bl = p->bl;
	int mt = static_metric(sub);
	if (!bl || mt < 0 || !prov)
		return false;
	const struct pbl_series *ps = prov->bls[src_of(src)];
	if (!ps)
		return false;
	/* Seasonal metrics are not judged by baselines on holidays. */
	if (mt == BM_LATENCY && bl->ctx.s.n_holidays && baseline_is_holiday(&bl->ctx.s, now))
		return false;
	const struct baseline_model *m = baseline_series_model((struct baseline_series *)ps->bs);
	double h = baseline_slot_weight(m, &bl->ctx.s, (enum baseline_metric)mt,
	                                timeparse_hour_of_week(now));
	return h >= bl->ctx.s.warm_weight;
}

/* ---- the refresh job ------------------------------------------------------------- */

int pipeline_baseline_take(struct pipeline *p, struct baseline_job **out)
{
	*out = NULL;
	struct pipeline_bl *bl = p->bl;
	if (!bl || !bl->due || bl->job_out)
		return VG_ESTATE;
	struct baseline_job *j = baseline_job_new(&bl->ctx.s, bl->due_cutoff);
	if (!j)
		return VG_ENOMEM;
	for (size_t i = 0; i < bl->n; i++) {
		struct pbl_series *ps = bl->all[i];
		struct baseline_week w;
		baseline_week_init(&w);
		/* Out of memory here loses the hours from memory only: the store
		 * keeps them and `vigil baseline rebuild` learns them again. */
		if (baseline_week_split(&ps->week, j->cutoff_ms, &w) != 0 ||
		    !baseline_job_add(j, baseline_series_model(ps->bs), &w)) {
			baseline_week_done(&w);
			baseline_job_free(j);
			return VG_ENOMEM;
		}
	}
	bl->due = false;
	bl->job_out = true;
	bl->job = j;
	bl->last_refresh_ms = j->cutoff_ms;
	schedule_after(bl, j->cutoff_ms);
	*out = j;
	return 0;
}

int pipeline_baseline_apply(struct pipeline *p, struct baseline_job *j, int64_t now,
                            struct effects *out)
{
	pipeline__begin(p, out);
	struct pipeline_bl *bl = p->bl;
	if (!bl || !bl->job_out || j != bl->job) {
		pipeline__finish(p, out);
		return VG_EINVAL;
	}
	(void)now;
	for (size_t i = 0; i < j->n; i++) {
		struct baseline_job_item *it = &j->items[i];
		struct pbl_series *ps = series_find(bl, &it->model.key);
		if (!ps || !it->ran || it->rc != 0)
			continue;
		*baseline_series_model(ps->bs) = it->model;
		ps->refreshed_ms = j->cutoff_ms;
		push_model(p, ps);
		if (it->report.review_created) {
			ps->review_id = bl->next_review_id++;
			push_review(p, ps, ps->review_id, &it->model.review, PRV_WAITING, NULL,
			            VG_NONE);
		}
	}
	bl->job_out = false;
	bl->job = NULL;
	pipeline__finish(p, out);
	return p->stage6_err;
}

bool pipeline_baseline_busy(const struct pipeline *p)
{
	return p->bl && p->bl->job_out;
}

int pipeline__bl_review(struct pipeline *p, bool accept, int64_t id, int64_t now, const char *actor)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl || id <= 0)
		return VG_ENOTFOUND;
	if (bl->job_out)
		return VG_ESTATE;
	for (size_t i = 0; i < bl->n; i++) {
		struct pbl_series *ps = bl->all[i];
		if (ps->review_id != id)
			continue;
		struct baseline_model *m = baseline_series_model(ps->bs);
		struct baseline_review rv = m->review;
		int rc = accept ? baseline_review_accept(m) : baseline_review_reject(m);
		if (rc != 0)
			return rc;
		ps->review_id = 0;
		push_model(p, ps);
		push_review(p, ps, id, &rv, accept ? PRV_ACCEPTED : PRV_REJECTED, actor, now);
		return 0;
	}
	return VG_ENOTFOUND;
}

/* ---- restore ------------------------------------------------------------------------ */

int pipeline_baseline_restore_model(struct pipeline *p, const struct baseline_model *m,
                                    int64_t refreshed_ms)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl)
		return VG_ESTATE;
	struct pbl_series *ps = series_get(bl, &m->key);
	if (!ps)
		return bl->n >= MAX_SERIES ? VG_EFULL : VG_ENOMEM;
	*baseline_series_model(ps->bs) = *m;
	ps->refreshed_ms = refreshed_ms;
	if (refreshed_ms != INT64_MIN &&
	    (bl->last_refresh_ms == INT64_MIN || refreshed_ms > bl->last_refresh_ms)) {
		bl->last_refresh_ms = refreshed_ms;
		if (bl->started)
			schedule_after(bl, refreshed_ms);
	}
	return 0;
}

int pipeline_baseline_restore_hour(struct pipeline *p, const struct rollup_series *key,
                                   const uint8_t *enc, size_t len)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl)
		return VG_ESTATE;
	struct pbl_series *ps = series_get(bl, key);
	if (!ps)
		return bl->n >= MAX_SERIES ? VG_EFULL : VG_ENOMEM;
	int64_t start;
	if (rollup_encoded_start(enc, len, &start) != 0)
		return VG_EINVAL;
	if (ps->refreshed_ms != INT64_MIN && start + ROLLUP_HOUR_MS <= ps->refreshed_ms)
		return 0; /* learned by the last refresh */
	return baseline_week_add_encoded(&ps->week, enc, len);
}

int pipeline_baseline_restore_minute(struct pipeline *p, const struct rollup_series *key,
                                     const struct rollup *minute)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl)
		return VG_ESTATE;
	struct pbl_series *ps = series_get(bl, key);
	if (!ps)
		return bl->n >= MAX_SERIES ? VG_EFULL : VG_ENOMEM;
	baseline_series_restore_minute(ps->bs, minute);
	return 0;
}

int pipeline_baseline_restore_review(struct pipeline *p, const struct rollup_series *key,
                                     int64_t review_id)
{
	struct pipeline_bl *bl = p->bl;
	if (!bl)
		return VG_ESTATE;
	struct pbl_series *ps = series_find(bl, key);
	if (!ps || !baseline_series_model(ps->bs)->review.pending)
		return VG_ENOTFOUND;
	ps->review_id = review_id;
	if (review_id >= bl->next_review_id)
		bl->next_review_id = review_id + 1;
	return 0;
}

void pipeline_baseline_set_next_review_id(struct pipeline *p, int64_t id)
{
	if (p->bl && id + 1 > p->bl->next_review_id)
		p->bl->next_review_id = id + 1;
}

/* ---- read API ----------------------------------------------------------------------- */

const struct baseline_model *pipeline_baseline_model(const struct pipeline *p,
                                                     const struct rollup_series *key)
{
	const struct pbl_series *ps = p->bl ? series_find(p->bl, key) : NULL;
	return ps ? baseline_series_model((struct baseline_series *)ps->bs) : NULL;
}

size_t pipeline_baseline_count(const struct pipeline *p)
{
	return p->bl ? p->bl->n : 0;
}

const struct rollup_series *pipeline_baseline_key(const struct pipeline *p, size_t i)
{
	return p->bl && i < p->bl->n ? &p->bl->all[i]->key : NULL;
}

size_t pipeline_baseline_bytes(const struct pipeline *p)
{
	const struct pipeline_bl *bl = p->bl;
	if (!bl)
		return 0;
	size_t b = sizeof(*bl) + bl->cap * sizeof(*bl->all);
	for (size_t i = 0; i < bl->n; i++)
		b += sizeof(struct pbl_series) + baseline_series_size() +
		     baseline_week_bytes(&bl->all[i]->week);
	return b;
}
