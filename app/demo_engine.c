/*
 * demo_engine.c: the demo's simulator, gateway, tailer, pipeline, store,
 * operator actions, outbox and pager on one loop (see demo_engine.h).
 *
 * Time: the gateway stamps its lines near the wall clock (ts_scale =
 * 1/speed), the pipeline is fed each line's own end time, and the tick,
 * health rows and operator actions use the wall clock; the pipeline's
 * high-water mark keeps them in order.
 */
#include "app/demo_engine.h"

#include "app/config.h"
#include "app/demo_pager.h"
#include "core/vgerr.h"
#include "data/httpd.h"
#include "data/ingest.h"
#include "data/metrics.h"
#include "data/metrics_std.h"
#include "data/outbox.h"
#include "data/sinks.h"
#include "data/store.h"
#include "probes/canary.h"
#include "sim/sim.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS         500
#define HEALTH_EVERY_MS 2000

struct demo_engine {
	uv_loop_t *loop;
	struct demo_engine_opts o;
	char dir[900];
	char db_path[1024], events_path[1024], pager_path[1024];
	struct vigil_config *cfg;
	struct sim_scenario *scn;
	struct sim_server *server;
	struct sim_live *live;
	struct sim_clock clock;
	struct store *store;
	struct pipeline *pipeline;
	struct ingest *ing;
	bool ing_started, stopping;
	struct demo_pager *pager;
	struct canary_set *canaries;
	int64_t probes;
	FILE *logf; /* vigil.log: the canaries' lines */
	struct http_client *http;
	struct sinks *sinks;
	struct outbox *outbox;
	struct metrics *metrics;
	struct vigil_metrics vm;
	struct metrics_std_source msrc;
	struct httpd *metrics_httpd;
	uv_timer_t tick;
	bool tick_open;
	int64_t next_outbox_id;
	int64_t next_health_ms;
	int64_t last_action_id; /* applied up to here (never twice) */
	bool actions_asked;
	double speed;             /* scenario ms per wall ms */
	struct store_batch *held; /* refused by a full queue; sent on space */
	int64_t actions_applied, actions_refused;
	struct demo_pager_counts pages; /* kept once the pager has stopped */
	struct ingest_stats ing_final;  /* kept once the tailer has stopped */
};

static void say(struct demo_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct demo_engine *e, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (e->o.log)
		e->o.log(e->o.log_ud, line);
	else
		fprintf(stderr, "vigil demo: %s\n", line);
}

static int64_t wall_ms(void *data)
{
	(void)data;
	return sim_time_wall_ms();
}

static void set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_cause(char **cause, const char *fmt, ...)
{
	char m[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (cause)
		*cause = strdup(m);
}

/* ---- batches ------------------------------------------------------------------ */

static void submit(struct demo_engine *e, struct store_batch *b)
{
	if (!b)
		return;
	if (store_batch_rows(b) == 0 || !e->store) {
		store_batch_free(b);
		return;
	}
	if (store_batch_refresh_incidents(b, pipeline_incidents(e->pipeline)) != 0) {
		store_batch_free(b);
		return;
	}
	if (e->held) {
		/* Keep the order: behind the one already waiting. */
		store_batch_free(b);
		say(e, "store queue full: a tick's effects were dropped");
		return;
	}
	int rc = store_submit(e->store, b);
	if (rc == VG_EFULL)
		e->held = b;
	else if (rc != 0)
		store_batch_free(b);
}

static void on_space(void *data)
{
	struct demo_engine *e = data;
	if (e->held && store_submit(e->store, e->held) != VG_EFULL)
		e->held = NULL;
	if (e->ing)
		ingest_resume(e->ing);
}

static int add_effects(struct demo_engine *e, struct store_batch *b, const struct effects *fx)
{
	if (e->metrics)
		metrics_std_effects(&e->vm, fx);
	return store_batch_add_effects(b, fx, &e->next_outbox_id);
}

/* ---- the tailer's observer ------------------------------------------------------ */

static int observe(void *data, const struct observation *obs, struct store_batch *b)
{
	struct demo_engine *e = data;
	/* The gateway compresses scenario time into its ts (ts_scale = 1/speed)
	 * but writes latencies as measured; the request's end on the demo's
	 * clock is its start plus its latency compressed the same way (feeding
	 * the raw end would push the pipeline's clock up to a minute ahead on
	 * every timeout). */
	int64_t now = obs->ts_ms;
	if (!isnan(obs->total_ms) && obs->total_ms > 0)
		now += (int64_t)(obs->total_ms / e->speed);
	struct effects fx;
	int rc = pipeline_feed(e->pipeline, obs, now, &fx);
	if (rc == VG_EINVAL)
		return 0;
	if (rc != 0)
		return rc;
	if (e->metrics)
		metrics_std_observation(&e->vm, obs);
	return add_effects(e, b, &fx);
}

static int seal(void *data, struct store_batch *b)
{
	struct demo_engine *e = data;
	return store_batch_refresh_incidents(b, pipeline_incidents(e->pipeline));
}

static void on_ingest_done(void *data, const struct ingest_stats *st)
{
	struct demo_engine *e = data;
	if (st->err && !e->stopping)
		say(e, "the tailer stopped: %s", vg_strerror(st->err));
	e->ing_final = *st;
	if (e->stopping) {
		ingest_free(e->ing);
		e->ing = NULL;
		store_batch_free(e->held);
		e->held = NULL;
		store_close(e->store);
		e->store = NULL;
	}
}

static double probe_spend(const struct demo_engine *e, const char *provider);

/* ---- health rows ------------------------------------------------------------------ */

static int add_health(struct demo_engine *e, struct store_batch *b, int64_t now)
{
	size_t n = pipeline_health_count(e->pipeline);
	for (size_t i = 0; i < n; i++) {
		struct health_view v;
		if (pipeline_health_view(e->pipeline, i, now, &v) != 0)
			continue;
		struct store_health h;
		memset(&h, 0, sizeof(h));
		memcpy(h.provider, v.provider, sizeof(h.provider));
		memcpy(h.model, v.model, sizeof(h.model));
		h.fallback = v.fallback;
		h.configured = v.configured;
		h.window_requests = v.window_requests;
		h.h = v.health;
		h.has_breaker = v.has_breaker;
		h.breaker = v.breaker;
		h.breaker_since_ms = v.breaker_since_ms;
		h.opens_in_window = v.breaker_opens_in_window;
		h.oscillating =
		        v.has_breaker && e->cfg->thresholds.breaker.oscillation_opens > 0 &&
		        v.breaker_opens_in_window >= e->cfg->thresholds.breaker.oscillation_opens;
		h.probe_spend_usd = probe_spend(e, v.provider);
		h.probe_budget_usd = e->cfg->probes.daily_budget_usd > 0
		                             ? e->cfg->probes.daily_budget_usd
		                             : VG_NONE_D;
		h.latency_threshold_ms = e->cfg->thresholds.latency_ms;
		h.updated_ms = now;
		int rc = store_batch_add_health(b, &h);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- operator actions (what the daemon does with the console's rows) ------------ */

static void on_actions_marked(void *data, const struct store_commit *c)
{
	(void)c;
	(void)data;
}

static void on_actions(void *data, const struct store_answer *a)
{
	struct demo_engine *e = data;
	e->actions_asked = false;
	if (a->err || a->n_actions == 0 || !e->store)
		return;
	struct store_batch *b = store_batch_new(on_actions_marked, e);
	if (!b)
		return;
	int64_t now = sim_time_wall_ms();
	for (size_t i = 0; i < a->n_actions; i++) {
		const struct store_operator_action *act = &a->actions[i];
		if (act->id <= e->last_action_id)
			continue; /* applied; its mark is on the way */
		e->last_action_id = act->id;
		struct effects fx;
		int rc;
		char note[1024];
		const char *text = act->note ? act->note : "";
		switch (act->action) {
		case ACT_ACK:
			rc = pipeline_acknowledge(e->pipeline, act->incident_id, now, act->actor,
			                          text, &fx);
			break;
		case ACT_RESOLVE:
			rc = pipeline_resolve(e->pipeline, act->incident_id, now, act->actor, text,
			                      &fx);
			break;
		case ACT_WIZARD:
			/* The wizard's path is kept on the incident as a note for the
			 * postmortem (the full JSON stays in operator_actions). */
			snprintf(note, sizeof(note), "triage: %s", text);
			rc = pipeline_note(e->pipeline, act->incident_id, now, act->actor, note,
			                   &fx);
			break;
		default:
			rc = pipeline_note(e->pipeline, act->incident_id, now, act->actor, text,
			                   &fx);
			break;
		}
		if (rc == 0) {
			e->actions_applied++;
		} else {
			e->actions_refused++;
			say(e, "%s on incident %lld not applied: %s",
			    store_action_name(act->action), (long long)act->incident_id,
			    vg_strerror(rc));
		}
		if (add_effects(e, b, &fx) != 0 || store_batch_mark_action_applied(b, act->id) != 0)
			break;
	}
	submit(e, b);
}

static void ask_actions(struct demo_engine *e)
{
	if (e->actions_asked || !e->store || e->stopping)
		return;
	if (store_query(e->store, STORE_Q_ACTIONS_UNAPPLIED, on_actions, e) == 0)
		e->actions_asked = true;
}

static void on_action_written(void *data, const struct store_commit *c)
{
	struct demo_engine *e = data;
	if (c->err == 0)
		ask_actions(e); /* apply it now rather than at the next tick */
}

int demo_engine_act(void *ud, const struct op_action *a, char **cause)
{
	static const enum operator_action_kind kinds[OP__COUNT] = {
		[OP_ACK] = ACT_ACK,
		[OP_RESOLVE] = ACT_RESOLVE,
		[OP_NOTE] = ACT_NOTE,
		[OP_TRIAGE] = ACT_WIZARD,
	};
	struct demo_engine *e = ud;
	if (!e->store || e->stopping) {
		set_cause(cause, "the demo is stopping");
		return VG_ESTATE;
	}
	struct store_operator_action row;
	memset(&row, 0, sizeof(row));
	row.incident_id = a->incident_id;
	row.action = kinds[a->kind];
	snprintf(row.actor, sizeof(row.actor), "%s", a->by);
	row.note = a->kind == OP_TRIAGE && a->payload ? a->payload : a->note[0] ? a->note : NULL;
	row.time_ms = sim_time_wall_ms();
	struct store_batch *b = store_batch_new(on_action_written, e);
	if (!b || store_batch_add_action(b, &row) != 0) {
		store_batch_free(b);
		set_cause(cause, "out of memory");
		return VG_ENOMEM;
	}
	int rc = store_submit(e->store, b);
	if (rc != 0) {
		store_batch_free(b);
		set_cause(cause, "the store is busy; try again");
		return rc;
	}
	return 0;
}

/* ---- the tick ------------------------------------------------------------------ */

static void on_tick(uv_timer_t *t)
{
	struct demo_engine *e = t->data;
	if (!e->store || e->stopping || !e->ing_started)
		return;
	int64_t now = sim_time_wall_ms();
	struct store_batch *b = store_batch_new(NULL, NULL);
	if (!b)
		return;
	struct effects fx;
	if (pipeline_tick(e->pipeline, now, &fx) == 0)
		add_effects(e, b, &fx);
	if (now >= e->next_health_ms) {
		add_health(e, b, now);
		e->next_health_ms = now + HEALTH_EVERY_MS;
	}
	submit(e, b);
	ask_actions(e);
}

/* ---- the canaries ------------------------------------------------------------ */

/* The simulator checks that a key is sent, never which: the demo's canaries
 * send this one (no real key is ever read). */
#define DEMO_KEY_ENV "VIGIL_DEMO_SIM_KEY"
static const char *demo_getenv(const char *name)
{
	return strcmp(name, DEMO_KEY_ENV) == 0 ? "demo-simulator-key" : NULL;
}

static void log_line(void *ud, const char *line)
{
	struct demo_engine *e = ud;
	if (e->logf) {
		fprintf(e->logf, "%s\n", line);
		fflush(e->logf);
	}
}

/* A finished probe: through the pipeline at the wall clock, stored with its
 * effects, like the daemon does. */
static void on_probe(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct demo_engine *e = ud;
	(void)r;
	if (!e->store || e->stopping)
		return;
	e->probes++;
	struct store_batch *b = store_batch_new(NULL, NULL);
	if (!b)
		return;
	struct effects fx;
	if (e->metrics)
		metrics_std_observation(&e->vm, obs);
	if (store_batch_add_observation(b, obs) != 0 ||
	    pipeline_feed(e->pipeline, obs, sim_time_wall_ms(), &fx) != 0 ||
	    add_effects(e, b, &fx) != 0) {
		store_batch_free(b);
		return;
	}
	submit(e, b);
}

/* The probe spend of a provider today (NaN when nothing probes it). */
static double probe_spend(const struct demo_engine *e, const char *provider)
{
	size_t n = e->canaries ? canary_endpoint_count(e->canaries) : 0;
	for (size_t i = 0; i < n; i++) {
		struct canary_endpoint_info info;
		if (canary_endpoint(e->canaries, i, &info) && strcmp(info.provider, provider) == 0)
			return info.spend_today_usd;
	}
	return VG_NONE_D;
}

/* The scenario's providers as the config names them, at the simulator's
 * address, probed every few seconds (a minute of scenario time). */
static int start_canaries(struct demo_engine *e, char **cause)
{
	static const int kinds[SIM_KIND__COUNT] = {
		[SIM_OPENAI] = PK_OPENAI,
		[SIM_ANTHROPIC] = PK_ANTHROPIC,
		[SIM_GOOGLE] = PK_GOOGLE,
	};
	struct vigil_config *c = e->cfg;
	int port = sim_server_port(e->server);
	for (int i = 0; i < e->scn->n_providers && c->n_providers < CFG_MAX_PROVIDERS; i++) {
		const struct sim_provider *sp = &e->scn->providers[i];
		struct cfg_provider *p = &c->providers[c->n_providers++];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", sp->name);
		p->kind = kinds[sp->kind];
		snprintf(p->base_url, sizeof(p->base_url), "http://127.0.0.1:%d", port);
		snprintf(p->api_key_env, sizeof(p->api_key_env), "%s", DEMO_KEY_ENV);
		snprintf(p->key_alias, sizeof(p->key_alias), "%s", sp->key_alias);
		p->role = strcmp(sp->name, "anthropic") == 0 ? ROLE_FALLBACK : ROLE_PRIMARY;
		for (int m = 0; m < sp->n_models && p->n_models < CFG_MAX_MODELS; m++) {
			struct cfg_model *cm = &p->models[p->n_models++];
			/* The dated version, as the gateway's lines name it, so that
			 * probes and traffic share one health row per model. */
			const struct sim_model *smod = &sp->models[m];
			snprintf(cm->name, sizeof(cm->name), "%s",
			         smod->version[0] ? smod->version : smod->name);
			cm->price_in_per_1k = sp->models[m].price_in_per_1k;
			cm->price_out_per_1k = sp->models[m].price_out_per_1k;
		}
	}
	int64_t every = (int64_t)(60000.0 / e->speed);
	c->probes.enabled = true;
	c->probes.interval_ms = every < 2000 ? 2000 : every;
	c->probes.jitter_ms = c->probes.interval_ms / 5;
	struct canary_opts o = {
		.log = log_line,
		.log_ud = e,
		.metrics = e->metrics ? &e->vm : NULL,
		.getenv = demo_getenv,
	};
	return canary_start_opts(e->loop, c, &o, on_probe, e, &e->canaries, cause);
}

/* ---- set-up ---------------------------------------------------------------------- */

static void remove_old(struct demo_engine *e)
{
	static const char *const names[] = { "vigil.db",     "vigil.db-wal",   "vigil.db-shm",
		                             "events.jsonl", "events.jsonl.1", "pager.jsonl",
		                             "vigil.log" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", e->dir, names[i]);
		if (unlink(p) == 0)
			say(e, "replaced %s from an earlier demo", p);
	}
}

/* The embedded default configuration: the scenario's providers (anthropic is
 * the fallback, as in the scenario's routes), prices from the scenario, and
 * one paging sink: the simulated pager. */
static void build_config(struct demo_engine *e, int pager_port)
{
	struct vigil_config *c = e->cfg;
	config_defaults(c);
	snprintf(c->store.path, sizeof(c->store.path), "%s", e->db_path);
	/* Decisions that wait (auto-resolve, escalation, breaker cool-down,
	 * grouping, tickets) run on the scenario's compressed clock, so the
	 * demo shows them; measurement windows stay as they are (the traffic
	 * is compressed too). */
	double k = e->speed;
	c->incidents.group_gap_ms = (int64_t)((double)c->incidents.group_gap_ms / k);
	c->incidents.quiet_period_ms = (int64_t)((double)c->incidents.quiet_period_ms / k);
	c->incidents.ticket_after_ms = (int64_t)((double)c->incidents.ticket_after_ms / k);
	c->incidents.keep_resolved_ms = (int64_t)((double)c->incidents.keep_resolved_ms / k);
	c->thresholds.escalation_ms = (int64_t)((double)c->thresholds.escalation_ms / k);
	c->thresholds.severity.escalation_gap_ms =
	        (int64_t)((double)c->thresholds.severity.escalation_gap_ms / k);
	c->thresholds.breaker.cooldown_ms =
	        (int64_t)((double)c->thresholds.breaker.cooldown_ms / k);
	c->thresholds.breaker.oscillation_window_ms =
	        (int64_t)((double)c->thresholds.breaker.oscillation_window_ms / k);
	struct cfg_sink *s = &c->sinks[c->n_sinks++];
	snprintf(s->name, sizeof(s->name), "pager");
	s->kind = SINK_PAGERDUTY;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/v2/enqueue", pager_port);
	snprintf(s->min_severity, sizeof(s->min_severity), "high");
	s->min_severity_value = SEV_HIGH;
	s->timeout_ms = 5000;
}

static struct pipeline *build_pipeline(struct demo_engine *e)
{
	struct pipeline_provider pp[SIM_MAX_PROVIDERS];
	size_t n = 0;
	memset(pp, 0, sizeof(pp));
	for (int i = 0; i < e->scn->n_providers && n < SIM_MAX_PROVIDERS; i++) {
		const struct sim_provider *sp = &e->scn->providers[i];
		struct pipeline_provider *p = &pp[n++];
		snprintf(p->name, sizeof(p->name), "%s", sp->name);
		p->fallback = strcmp(sp->name, "anthropic") == 0;
		for (int m = 0; m < sp->n_models && p->n_models < PIPELINE_MAX_MODELS; m++) {
			struct pipeline_model *pm = &p->models[p->n_models++];
			snprintf(pm->name, sizeof(pm->name), "%s", sp->models[m].name);
			pm->price_in_per_1k = sp->models[m].price_in_per_1k;
			pm->price_out_per_1k = sp->models[m].price_out_per_1k;
		}
	}
	struct pipeline *pl = pipeline_new(&e->cfg->thresholds, pp, n);
	if (!pl)
		return NULL;
	struct incident_settings is;
	config_incident_settings(e->cfg, &is);
	struct route_sink sinks[CFG_MAX_SINKS];
	struct payload_options po;
	size_t ns = config_routes(e->cfg, sinks, CFG_MAX_SINKS, &po);
	if (pipeline_set_incidents(pl, &is, 1) != 0 ||
	    pipeline_set_routes(pl, sinks, ns, &po) != 0) {
		pipeline_free(pl);
		return NULL;
	}
	return pl;
}

static int start_metrics(struct demo_engine *e, char **cause)
{
	char host[256];
	int port = 0;
	if (config_split_listen(e->o.metrics_listen, host, sizeof(host), &port) != 0) {
		set_cause(cause, "--metrics-listen wants HOST:PORT, not '%s'", e->o.metrics_listen);
		return VG_EINVAL;
	}
	e->metrics = metrics_new();
	if (!e->metrics || metrics_std_register(e->metrics, &e->vm, "demo") != 0)
		return VG_ENOMEM;
	e->msrc = (struct metrics_std_source){ &e->vm, e->pipeline, wall_ms, NULL };
	metrics_on_collect(e->metrics, metrics_std_collect_pipeline, &e->msrc);
	return metrics_serve(e->metrics, e->loop, host[0] ? host : "127.0.0.1", port,
	                     &e->metrics_httpd, cause);
}

static int start_sim(struct demo_engine *e, char **cause)
{
	double speed = e->speed;
	struct sim_server_opts so = { .scenario = e->scn, .port = 0, .speed = speed };
	int rc = sim_server_start(e->loop, &so, &e->server, cause);
	if (rc != 0)
		return rc;
	e->clock = sim_server_clock(e->server);
	struct sim_gateway_opts go = {
		.scenario = e->scn,
		.start_ms = e->clock.wall0_ms,
		.ts_scale = 1.0 / speed,
	};
	struct sim_gateway *g = sim_gateway_new(&go, cause);
	if (!g)
		return VG_ENOMEM;
	struct sim_out_opts oo = { .path = e->events_path, .rotate = SIM_ROTATE_NONE };
	struct sim_out *out = sim_out_open(&oo, cause);
	if (!out) {
		sim_gateway_free(g);
		return VG_EIO;
	}
	if (sim_live_start(e->loop, g, out, &e->clock, 100, &e->live) != 0) {
		sim_out_close(out);
		sim_gateway_free(g);
		return VG_ENOMEM;
	}
	return 0;
}

static int start_outbox(struct demo_engine *e, char **cause)
{
	int rc = http_global_init();
	if (rc == 0)
		rc = http_client_new(e->loop, &e->http);
	if (rc == 0)
		rc = sinks_new(e->cfg->sinks, e->cfg->n_sinks, NULL, NULL, &e->sinks, cause);
	if (rc != 0)
		return rc;
	struct outbox_options oo;
	outbox_options_defaults(&oo);
	oo.backoff_base_ms = 500;
	oo.metrics = e->metrics ? &e->vm : NULL;
	oo.log = NULL;
	rc = outbox_new(e->loop, e->sinks, e->http, &oo, &e->outbox);
	if (rc == 0)
		rc = outbox_attach_store(e->outbox, e->store, 250);
	return rc;
}

int demo_engine_start(uv_loop_t *loop, const struct demo_engine_opts *o, struct demo_engine **out,
                      char **cause)
{
	struct demo_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return VG_ENOMEM;
	e->loop = loop;
	e->o = *o;
	e->next_outbox_id = 1;
	e->speed = o->speed > 0 ? o->speed : 10;
	snprintf(e->dir, sizeof(e->dir), "%s", o->dir);
	snprintf(e->db_path, sizeof(e->db_path), "%s/vigil.db", e->dir);
	snprintf(e->events_path, sizeof(e->events_path), "%s/events.jsonl", e->dir);
	snprintf(e->pager_path, sizeof(e->pager_path), "%s/pager.jsonl", e->dir);
	remove_old(e);
	char logp[1100];
	snprintf(logp, sizeof(logp), "%s/vigil.log", e->dir);
	e->logf = fopen(logp, "w");
	int rc = sim_scenario_load(o->scenario ? o->scenario : "oncall-day", &e->scn, cause);
	e->cfg = malloc(sizeof(*e->cfg));
	if (rc == 0 && !e->cfg)
		rc = VG_ENOMEM;
	if (rc == 0)
		rc = demo_pager_start(loop, e->pager_path, &e->pager, cause);
	if (rc == 0) {
		build_config(e, demo_pager_port(e->pager));
		e->pipeline = build_pipeline(e);
		if (!e->pipeline)
			rc = VG_ENOMEM;
	}
	if (rc == 0) {
		struct store_options so = {
			.path = e->db_path,
			.batch_rows = e->cfg->store.batch_rows,
			.batch_ms = 100,
			.queue_batches = e->cfg->store.queue_batches,
			.on_space = on_space,
			.data = e,
		};
		rc = store_open(&e->store, loop, &so, cause);
	}
	if (rc == 0 && o->metrics_listen)
		rc = start_metrics(e, cause);
	if (rc == 0)
		rc = start_outbox(e, cause);
	if (rc == 0)
		rc = start_sim(e, cause);
	if (rc == 0)
		rc = start_canaries(e, cause);
	if (rc == 0) {
		struct ingest_options io = { .format = DECODE_VIGIL,
			                     .follow = true,
			                     .poll_ms = 200 };
		rc = ingest_new(&e->ing, loop, e->store, &io);
	}
	if (rc == 0) {
		ingest_set_observer(e->ing, observe, seal, e);
		rc = ingest_add(e->ing, e->events_path);
	}
	if (rc == 0) {
		rc = ingest_start(e->ing, on_ingest_done, e);
		e->ing_started = rc == 0;
	}
	if (rc == 0) {
		uv_timer_init(loop, &e->tick);
		e->tick.data = e;
		e->tick_open = true;
		uv_timer_start(&e->tick, on_tick, TICK_MS, TICK_MS);
	}
	if (rc != 0) {
		if (cause && !*cause)
			set_cause(cause, "cannot start the demo: %s", vg_strerror(rc));
		demo_engine_stop(e);
		uv_run(loop, UV_RUN_DEFAULT);
		demo_engine_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

const char *demo_engine_db_path(const struct demo_engine *e)
{
	return e->db_path;
}

void demo_engine_status(const struct demo_engine *e, struct demo_engine_status *out)
{
	memset(out, 0, sizeof(*out));
	out->scenario_duration_ms = e->scn ? e->scn->duration_ms : 0;
	if (e->server) {
		out->scenario_ms = sim_server_scenario_ms(e->server);
		out->sim_port = sim_server_port(e->server);
	}
	out->gateway_done = e->live && sim_live_done(e->live);
	struct ingest_stats st = e->ing_final;
	if (e->ing)
		ingest_stats(e->ing, &st);
	out->lines = st.lines;
	out->observations = st.observations;
	out->probes = e->probes;
	out->actions_applied = e->actions_applied;
	out->actions_refused = e->actions_refused;
	struct demo_pager_counts pc = e->pages;
	if (e->pager) {
		demo_pager_counts(e->pager, &pc);
		out->pager_port = demo_pager_port(e->pager);
	}
	out->pages_trigger = pc.trigger;
	out->pages_acknowledge = pc.acknowledge;
	out->pages_resolve = pc.resolve;
	if (e->metrics_httpd)
		out->metrics_port = httpd_port(e->metrics_httpd);
}

static void on_tick_closed(uv_handle_t *h)
{
	(void)h;
}

void demo_engine_stop(struct demo_engine *e)
{
	if (!e || e->stopping)
		return;
	e->stopping = true;
	if (e->tick_open) {
		uv_close((uv_handle_t *)&e->tick, on_tick_closed);
		e->tick_open = false;
	}
	canary_stop(e->canaries);
	e->canaries = NULL;
	sim_live_stop(e->live);
	e->live = NULL;
	sim_server_stop(e->server);
	e->server = NULL;
	outbox_close(e->outbox);
	e->outbox = NULL;
	http_client_close(e->http);
	e->http = NULL;
	if (e->pager)
		demo_pager_counts(e->pager, &e->pages);
	demo_pager_stop(e->pager);
	e->pager = NULL;
	if (e->metrics_httpd)
		httpd_close(e->metrics_httpd);
	e->metrics_httpd = NULL;
	if (e->ing && e->ing_started) {
		ingest_stop(e->ing); /* on_ingest_done closes the store */
	} else {
		ingest_free(e->ing);
		e->ing = NULL;
		store_batch_free(e->held);
		e->held = NULL;
		store_close(e->store);
		e->store = NULL;
	}
}

void demo_engine_free(struct demo_engine *e)
{
	if (!e)
		return;
	sinks_free(e->sinks);
	metrics_free(e->metrics);
	pipeline_free(e->pipeline);
	free(e->scn);
	free(e->cfg);
	if (e->logf)
		fclose(e->logf);
	free(e);
}
