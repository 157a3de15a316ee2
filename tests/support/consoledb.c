/*
 * consoledb.c: fill a database through the pipeline and the store (see
 * consoledb.h). Deterministic for a seed: xorshift64*, no clock.
 */
#include "tests/support/consoledb.h"

#include "app/config.h"
#include "app/health_rows.h"
#include "app/pipeline_setup.h"
#include "core/baseline.h"
#include "core/lhist.h"
#include "core/pipeline.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "data/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct fill {
	uv_loop_t loop;
	struct store *store;
	struct pipeline_setup ps;
	struct pipeline *p;              /* ps.p */
	struct core_settings thresholds; /* the config's */
	struct store_batch *b;
	int64_t next_outbox;
	int pending, errs;
	struct consoledb_result *r;
	uint64_t rng;
};

static uint64_t rnd(struct fill *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ULL;
}

static double unit(struct fill *f)
{
	return (double)(rnd(f) >> 11) / 9007199254740992.0;
}

static void on_commit(void *data, const struct store_commit *c)
{
	struct fill *f = data;
	f->pending--;
	if (c->err)
		f->errs++;
}

static void on_space(void *data)
{
	(void)data;
}

static int submit(struct fill *f)
{
	if (store_batch_refresh_incidents(f->b, pipeline_incidents(f->p)) != 0)
		return VG_ENOMEM;
	int rc;
	while ((rc = store_submit(f->store, f->b)) == VG_EFULL)
		uv_run(&f->loop, UV_RUN_ONCE);
	if (rc != 0)
		return rc;
	f->pending++;
	f->b = store_batch_new(on_commit, f);
	return f->b ? 0 : VG_ENOMEM;
}

static int add_effects(struct fill *f, const struct effects *e)
{
	f->r->events += (int64_t)e->n_events;
	f->r->transitions += (int64_t)e->n_transitions;
	for (size_t i = 0; i < e->n_incident_changes; i++) {
		const struct incident_change *c = &e->incident_changes[i];
		if (c->kind == INCC_OPENED) {
			f->r->incidents++;
			if (c->incident->category == CAT_PROVIDER &&
			    strcmp(c->incident->provider, "openai") == 0 &&
			    strcmp(c->incident->family, "outage") == 0)
				f->r->outage_incident = c->incident_id;
		}
	}
	return store_batch_add_effects(f->b, e, &f->next_outbox);
}

/* The health rows as the daemon writes them (no probes here). */
static int add_health(struct fill *f, int64_t now)
{
	return health_rows_add(f->b, f->p, &f->thresholds, now, VG_NONE, NULL, NULL);
}

static const struct {
	const char *provider, *model;
	enum provider_kind kind;
	double share;
} who[] = {
	{ "openai", "gpt-4o-mini", PK_OPENAI, 0.6 },
	{ "anthropic", "claude-3-5-haiku", PK_ANTHROPIC, 0.3 },
	{ "google", "gemini-1.5-flash", PK_GOOGLE, 0.1 },
};

static void make_obs(struct fill *f, const struct consoledb_opts *o, int64_t i, int64_t ts,
                     struct observation *obs)
{
	observation_init(obs);
	double u = unit(f);
	int w = u < who[0].share ? 0 : u < who[0].share + who[1].share ? 1 : 2;
	obs->source = OBS_GATEWAY;
	obs->ts_ms = ts;
	snprintf(obs->request_id, sizeof(obs->request_id), "req-%lld", (long long)i);
	obs->attempt = 1;
	snprintf(obs->pid.provider, sizeof(obs->pid.provider), "%s", who[w].provider);
	snprintf(obs->pid.model, sizeof(obs->pid.model), "%s",
	         w == 2 && o->hostile_model ? o->hostile_model : who[w].model);
	obs->kind = who[w].kind;
	obs->traffic_class = TC_REVENUE;
	obs->selection_reason = w == 0 ? SEL_PRIMARY : SEL_FALLBACK;
	snprintf(obs->template_id, sizeof(obs->template_id), "support-answer");
	obs->http_status = 200;
	obs->norm.error_class = EC_OK;
	obs->total_ms = 300 + 400 * unit(f);
	obs->ttfb_ms = obs->total_ms * 0.4;
	obs->input_tokens = 800;
	obs->predicted_input_tokens = 800;
	obs->output_tokens = 200;
	obs->cost_usd = 0.0004;
	obs->retry_count = 0;
	obs->verdicts.schema_valid = VG_TRI_TRUE;
	int64_t left = o->end_ms - ts;
	bool outage = w == 0 && left < 20 * 60000;
	bool attack = left < 8 * 60000 && unit(f) < 0.3;
	bool fallback_bad = w == 1 && left < 5 * 60000 && unit(f) < 0.2;
	if (outage && unit(f) < 0.45) {
		obs->http_status = 503;
		obs->norm.error_class = EC_SERVER_ERROR;
		obs->total_ms = 30 + 50 * unit(f);
	} else if (unit(f) < o->background_error_rate) {
		double k = unit(f);
		obs->http_status = k < 0.5 ? 429 : k < 0.8 ? 500 : 504;
		obs->norm.error_class = k < 0.5   ? EC_RATE_LIMIT
		                        : k < 0.8 ? EC_SERVER_ERROR
		                                  : EC_TIMEOUT;
	}
	if (attack) {
		obs->input_tokens = 1400;
		obs->verdicts.token_inflation = VG_TRI_TRUE;
	}
	if (fallback_bad)
		obs->verdicts.hallucination = VG_TRI_TRUE;
}

int consoledb_fill(const char *path, const struct consoledb_opts *o, struct consoledb_result *r)
{
	struct fill f;
	memset(&f, 0, sizeof(f));
	memset(r, 0, sizeof(*r));
	f.r = r;
	f.rng = o->seed ? o->seed : 0x9E3779B97F4A7C15ULL;
	f.next_outbox = 1;
	uv_loop_init(&f.loop);
	struct store_options so = { .path = path, .on_space = on_space, .data = &f };
	char *cause = NULL;
	int rc = store_open(&f.store, &f.loop, &so, &cause);
	if (rc != 0) {
		fprintf(stderr, "consoledb: %s\n", cause ? cause : "store_open failed");
		free(cause);
		uv_loop_close(&f.loop);
		return rc;
	}
	/* The pipeline as the daemon sets it up for a vigil.yaml naming the
	 * three providers (the primary first, two fallbacks) and nothing else. */
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	rc = cfg ? 0 : VG_ENOMEM;
	if (rc == 0) {
		config_defaults(cfg);
		for (int i = 0; i < 3; i++) {
			struct cfg_provider *cp = &cfg->providers[cfg->n_providers++];
			snprintf(cp->name, sizeof(cp->name), "%s", who[i].provider);
			cp->kind = who[i].kind;
			cp->role = i > 0 ? ROLE_FALLBACK : ROLE_PRIMARY;
		}
		rc = pipeline_setup_init(&f.ps, cfg, NULL, &cause);
		f.thresholds = cfg->thresholds;
		free(cfg);
	}
	if (rc != 0) {
		fprintf(stderr, "consoledb: %s\n", cause ? cause : vg_strerror(rc));
		free(cause);
		store_close(f.store);
		uv_run(&f.loop, UV_RUN_DEFAULT);
		uv_loop_close(&f.loop);
		return rc;
	}
	f.p = f.ps.p;
	f.b = store_batch_new(on_commit, &f);
	int64_t every = o->health_every_ms > 0 ? o->health_every_ms : 2000;
	int64_t start = o->end_ms - o->span_ms;
	int64_t next_health = start + every;
	for (int64_t i = 0; i < o->observations && rc == 0; i++) {
		int64_t ts =
		        start + (o->observations > 1 ? o->span_ms * i / (o->observations - 1) : 0);
		struct observation obs;
		make_obs(&f, o, i, ts, &obs);
		struct effects e;
		int64_t now = observation_end_ms(&obs);
		rc = pipeline_feed(f.p, &obs, now, &e);
		if (rc == 0)
			rc = store_batch_add_observation(f.b, &obs);
		if (rc == 0)
			rc = add_effects(&f, &e);
		r->observations++;
		while (rc == 0 && now >= next_health) {
			rc = pipeline_tick(f.p, next_health, &e);
			if (rc == 0)
				rc = add_effects(&f, &e);
			if (rc == 0)
				rc = add_health(&f, next_health);
			next_health += every;
		}
		if (rc == 0 && store_batch_rows(f.b) >= 20000)
			rc = submit(&f);
	}
	if (rc == 0)
		rc = add_health(&f, o->end_ms);
	if (rc == 0)
		rc = submit(&f);
	store_batch_free(f.b);
	while (f.pending > 0)
		uv_run(&f.loop, UV_RUN_ONCE);
	store_close(f.store);
	uv_run(&f.loop, UV_RUN_DEFAULT);
	uv_loop_close(&f.loop);
	pipeline_setup_done(&f.ps);
	return rc ? rc : f.errs ? VG_EDB : 0;
}

/* ---- baselines ---- */

/* An hour of n requests at about `ms` (a spread of +-10%), none failing. */
static void bl_hour(struct rollup *r, int64_t start, int n, double ms, const char *model)
{
	rollup_init(r, start, 3600000LL);
	for (int i = 0; i < n; i++) {
		struct rollup_sample s;
		memset(&s, 0, sizeof(s));
		s.err = -1;
		s.latency_ms = ms * (0.9 + 0.2 * (double)i / (double)n);
		s.lat_bucket = lhist_index(s.latency_ms);
		s.ttft_ms = NAN;
		s.tps_log = NAN;
		s.cost_log = NAN;
		s.quality = NAN;
		rollup_add(r, &s);
	}
	snprintf(r->model, sizeof(r->model), "%s", model);
}

/* weeks of hours ending at `end` learned into m; slots < full_slots get
 * `weeks` weeks, the others one. */
static void bl_learn(struct baseline_model *m, const struct baseline_settings *s, int64_t end,
                     int weeks, int full_slots, int n, double ms, struct rollup *tmp)
{
	int64_t week_ms = 168 * 3600000LL;
	int64_t start = end - weeks * week_ms;
	start -= ((start % 3600000LL) + 3600000LL) % 3600000LL;
	for (int64_t t = start; t + 3600000LL <= end; t += 3600000LL) {
		bool last_week = t >= end - week_ms;
		if (!last_week && timeparse_hour_of_week(t) >= full_slots)
			continue;
		bl_hour(tmp, t, n, ms, "gpt-4o-mini-2024-07-18");
		baseline_learn_hour(m, s, tmp);
	}
}

static void on_bl_commit(void *data, const struct store_commit *c)
{
	int *st = data;
	st[0]--;
	if (c->err)
		st[1]++;
}

static void bl_review(struct pipeline_review *r, int64_t id, const struct rollup_series *k,
                      const struct baseline_model *m, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->series = *k;
	r->review = m->review;
	r->state = PRV_WAITING;
	r->decided_ms = VG_NONE;
	snprintf(r->text, sizeof(r->text), "%s", text);
}

int consoledb_add_baselines(const char *path, int64_t end_ms)
{
	static const struct rollup_series alias = { "openai", "gpt-4o-mini", OBS_GATEWAY };
	static const struct rollup_series agg = { "openai", "", OBS_GATEWAY };
	static const struct rollup_series probe = { "openai", "", OBS_PROBE };
	static const struct rollup_series anth = { "anthropic", "", OBS_GATEWAY };
	struct baseline_settings s;
	baseline_defaults(&s);
	struct baseline_model *m = calloc(4, sizeof(*m));
	struct rollup *tmp = malloc(sizeof(*tmp));
	struct rollup *ph = calloc(24, sizeof(*ph));
	if (!m || !tmp || !ph) {
		free(m);
		free(tmp);
		free(ph);
		return VG_ENOMEM;
	}
	int64_t refreshed = end_ms - (end_ms % 3600000LL);
	int64_t step = refreshed - 86400000LL;
	const struct rollup_series *keys[4] = { &agg, &alias, &probe, &anth };
	for (int i = 0; i < 4; i++) {
		baseline_model_init(&m[i], keys[i]);
		if (i == 2)
			bl_learn(&m[i], &s, step, 3, 24, 60, 1200, tmp);
		else
			bl_learn(&m[i], &s, step, 3, 168, 1000, 900, tmp);
		m[i].refreshes = 3;
	}
	for (int i = 0; i < 2; i++) {
		struct baseline_review *rv = &m[i].review;
		rv->pending = true;
		rv->metric = BM_LATENCY;
		rv->mask = 1u << BM_LATENCY;
		rv->delta[BM_LATENCY] = log(1.6);
		rv->z = 9.5;
		rv->at_ms = step;
		rv->created_ms = refreshed;
		rv->near_marker = i == 1;
		if (i == 1)
			snprintf(rv->model, sizeof(rv->model), "gpt-4o-mini-2024-12-01");
	}
	struct pipeline_baseline_model mo[4];
	for (int i = 0; i < 4; i++)
		mo[i] = (struct pipeline_baseline_model){ &m[i], refreshed };
	struct pipeline_review rv[3];
	bl_review(&rv[0], 1, &agg, &m[0], "latency +60% since the day before");
	bl_review(&rv[1], 2, &alias, &m[1],
	          "latency +60% since the day before (gpt-4o-mini-2024-12-01)");
	bl_review(&rv[2], 3, &anth, &m[3], "latency +35% since last week");
	rv[2].state = PRV_REJECTED;
	snprintf(rv[2].actor, sizeof(rv[2].actor), "bob");
	rv[2].decided_ms = end_ms - 3600000LL;
	rv[2].review.delta[BM_LATENCY] = log(1.35);
	rv[2].review.metric = BM_LATENCY;
	rv[2].review.at_ms = step - 7 * 86400000LL;
	struct pipeline_rollup ro[24];
	for (int h = 0; h < 24; h++) {
		bl_hour(&ph[h], refreshed - (24 - h) * 3600000LL, 60, 1200, "");
		ro[h] = (struct pipeline_rollup){ &probe, &ph[h], true };
	}
	struct effects e;
	memset(&e, 0, sizeof(e));
	e.models = mo;
	e.n_models = 4;
	e.reviews = rv;
	e.n_reviews = 3;
	e.rollups = ro;
	e.n_rollups = 24;

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct store *store = NULL;
	int st[2] = { 0, 0 };
	struct store_options so = { .path = path, .on_space = on_space, .data = NULL };
	char *cause = NULL;
	int rc = store_open(&store, &loop, &so, &cause);
	if (rc != 0) {
		fprintf(stderr, "consoledb: %s\n", cause ? cause : "store_open failed");
		free(cause);
	} else {
		struct store_batch *b = store_batch_new(on_bl_commit, st);
		rc = b ? store_batch_add_effects(b, &e, NULL) : VG_ENOMEM;
		if (rc == 0)
			rc = store_submit(store, b);
		if (rc == 0)
			st[0]++;
		else
			store_batch_free(b); /* not taken */
		while (st[0] > 0)
			uv_run(&loop, UV_RUN_ONCE);
		store_close(store);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(m);
	free(tmp);
	free(ph);
	return rc ? rc : st[1] ? VG_EDB : 0;
}
