/*
 * demo_engine.c: the demo's simulator, gateway and pager around the daemon
 * (app/daemon) on one loop (see demo_engine.h).
 *
 * The daemon gets an embedded configuration: the scenario's providers at
 * the simulator's address (probed every minute of scenario time, with a
 * made-up key the simulator only checks for presence), the events file the
 * simulated gateway writes, one paging sink (the simulated pager), and the
 * decisions that wait (auto-resolve, escalation, breaker cool-down,
 * grouping, tickets) compressed by the scenario's speed so the demo shows
 * them, and the measurement windows and baseline memories compressed the
 * same way, so a window holds as much of the scenario as a replay on the
 * scenario's clock would (a short wave's share reaches its bar). The semantic checks are on with the JSON Schemas the scenario's
 * templates name (shipped in sim/schemas), written to `schemas/` in the
 * demo's folder as an operator would keep them next to vigil.yaml: the
 * daemon compiles them at start, validates every structured answer against
 * them and runs the sidecar for long texts.
 */
#include "app/demo_engine.h"

#include "app/config.h"
#include "app/daemon.h"
#include "app/demo_pager.h"
#include "app/demo_seed.h"
#include "data/decode.h"
#include "core/vgerr.h"
#include "net/clock.h"
#include "sim/sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The environment variable the canaries read their (made-up) key from. */
#define DEMO_KEY_ENV "VIGIL_DEMO_SIM_KEY"

struct demo_engine {
	uv_loop_t *loop;
	struct demo_engine_opts o;
	double speed;
	char dir[900];
	char db_path[1024], events_path[1024], pager_path[1024], log_path[1024];
	struct vigil_config *cfg;
	struct sim_scenario *scn;
	struct sim_server *server;
	struct sim_live *live;
	struct sim_clock clock;
	struct demo_pager *pager;
	struct daemon *daemon;
	bool started, stopping, stopped;
	int metrics_port;
	struct demo_pager_counts pages; /* kept once the pager has stopped */
	struct daemon_stats final;      /* kept once the daemon has stopped */
	FILE *logf;                     /* vigil.log: the daemon's JSON lines */
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

/* The daemon's log: to vigil.log; errors are also said to the operator. */
static void on_daemon_log(void *data, const char *line)
{
	struct demo_engine *e = data;
	if (e->logf) {
		fprintf(e->logf, "%s\n", line);
		fflush(e->logf);
	}
	if (strstr(line, "\"level\":\"error\""))
		say(e, "%.400s", line);
}

static void on_daemon_stopped(void *data, struct daemon *d, int err)
{
	struct demo_engine *e = data;
	daemon_stats(d, &e->final);
	e->stopped = true;
	if (err && !e->stopping)
		say(e, "the daemon stopped: %s", vg_strerror(err));
}

static void remove_old(struct demo_engine *e)
{
	static const char *const names[] = { "vigil.db",      "vigil.db-wal", "vigil.db-shm",
		                             "events.jsonl",  "pager.jsonl",  "vigil.log",
		                             "events.jsonl.1" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", e->dir, names[i]);
		if (unlink(p) == 0)
			say(e, "replaced %s from an earlier demo", p);
	}
}

static int64_t compress(int64_t ms, double k)
{
	return (int64_t)((double)ms / k);
}

/* A compressed window, never under the configuration's one-second floor
 * (0 stays 0: "off"). */
static int64_t window(int64_t ms, double k)
{
	int64_t w = compress(ms, k);
	return ms > 0 && w < 1000 ? 1000 : w;
}

/* The embedded default configuration (see the top of the file). */
static int build_config(struct demo_engine *e, char **cause)
{
	static const int kinds[SIM_KIND__COUNT] = {
		[SIM_OPENAI] = PK_OPENAI,
		[SIM_ANTHROPIC] = PK_ANTHROPIC,
		[SIM_GOOGLE] = PK_GOOGLE,
	};
	struct vigil_config *c = e->cfg;
	config_defaults(c);
	double k = e->speed;
	snprintf(c->store.path, sizeof(c->store.path), "%s", e->db_path);
	c->store.batch_ms = 100;
	c->incidents.group_gap_ms = compress(c->incidents.group_gap_ms, k);
	c->incidents.quiet_period_ms = compress(c->incidents.quiet_period_ms, k);
	c->incidents.ticket_after_ms = compress(c->incidents.ticket_after_ms, k);
	c->incidents.keep_resolved_ms = compress(c->incidents.keep_resolved_ms, k);
	c->incidents.episode_gap_ms = compress(c->incidents.episode_gap_ms, k);
	c->thresholds.escalation_ms = compress(c->thresholds.escalation_ms, k);
	c->thresholds.severity.escalation_gap_ms =
	        compress(c->thresholds.severity.escalation_gap_ms, k);
	c->thresholds.breaker.cooldown_ms = compress(c->thresholds.breaker.cooldown_ms, k);
	c->thresholds.breaker.oscillation_window_ms =
	        compress(c->thresholds.breaker.oscillation_window_ms, k);
	/* The windows and memories of the rules too, so that a window holds as
	 * much of the scenario as in a replay on the scenario's own clock (at
	 * 10x a wall-clock 10-minute window would hold 100 minutes of traffic,
	 * and a short wave's share would never reach its bar). */
	struct core_settings *t = &c->thresholds;
	t->soft_window_ms = window(t->soft_window_ms, k);
	t->latency_recent_ms = window(t->latency_recent_ms, k);
	t->health_half_life_ms = window(t->health_half_life_ms, k);
	t->severity.failover_grace_ms = compress(t->severity.failover_grace_ms, k);
	struct semantic_settings *ss = &c->semantic.checks;
	ss->tokens.stuffing_window_ms = window(ss->tokens.stuffing_window_ms, k);
	ss->tokens.stuffing_recent_ms = window(ss->tokens.stuffing_recent_ms, k);
	ss->jailbreak.window_ms = window(ss->jailbreak.window_ms, k);
	ss->jailbreak.recent_ms = window(ss->jailbreak.recent_ms, k);
	ss->drift.baseline_half_life_ms = window(ss->drift.baseline_half_life_ms, k);
	ss->similarity.change_window_ms = window(ss->similarity.change_window_ms, k);
	ss->hallucination.rate.window_ms = window(ss->hallucination.rate.window_ms, k);
	ss->hallucination.rate.half_life_ms = window(ss->hallucination.rate.half_life_ms, k);

	/* /metrics only when asked (the default address may be taken). */
	c->metrics.listen[0] = '\0';
	if (e->o.metrics_listen) {
		char host[256];
		int port = 0;
		if (config_split_listen(e->o.metrics_listen, host, sizeof(host), &port) != 0)
			return vg_cause(cause, VG_EINVAL,
			                "--metrics-listen wants HOST:PORT, not '%s'",
			                e->o.metrics_listen);
		snprintf(c->metrics.listen, sizeof(c->metrics.listen), "%s", e->o.metrics_listen);
	}

	int port = sim_server_port(e->server);
	for (int i = 0; i < e->scn->n_providers && c->n_providers < CFG_MAX_PROVIDERS; i++) {
		const struct sim_provider *sp = &e->scn->providers[i];
		struct cfg_provider *p = &c->providers[c->n_providers++];
		snprintf(p->name, sizeof(p->name), "%s", sp->name);
		p->kind = kinds[sp->kind];
		snprintf(p->base_url, sizeof(p->base_url), "http://127.0.0.1:%d", port);
		snprintf(p->api_key_env, sizeof(p->api_key_env), "%s", DEMO_KEY_ENV);
		snprintf(p->key_alias, sizeof(p->key_alias), "%s", sp->key_alias);
		p->role = strcmp(sp->name, "anthropic") == 0 ? ROLE_FALLBACK : ROLE_PRIMARY;
		for (int m = 0; m < sp->n_models && p->n_models < CFG_MAX_MODELS; m++) {
			/* The dated version, as the gateway's lines name it, so that
			 * probes and traffic share one health row per model. */
			const struct sim_model *smod = &sp->models[m];
			struct cfg_model *cm = &p->models[p->n_models++];
			snprintf(cm->name, sizeof(cm->name), "%s",
			         smod->version[0] ? smod->version : smod->name);
			cm->price_in_per_1k = smod->price_in_per_1k;
			cm->price_out_per_1k = smod->price_out_per_1k;
		}
	}
	int64_t every = compress(60000, k);
	c->probes.enabled = true;
	c->probes.interval_ms = every < 2000 ? 2000 : every;
	c->probes.jitter_ms = c->probes.interval_ms / 5;

	struct cfg_events_file *ef = &c->events[c->n_events++];
	snprintf(ef->path, sizeof(ef->path), "%s", e->events_path);
	ef->format = DECODE_VIGIL;

	struct cfg_sink *s = &c->sinks[c->n_sinks++];
	snprintf(s->name, sizeof(s->name), "pager");
	s->kind = SINK_PAGERDUTY;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/v2/enqueue",
	         demo_pager_port(e->pager));
	snprintf(s->min_severity, sizeof(s->min_severity), "high");
	s->min_severity_value = SEV_HIGH;
	s->timeout_ms = 5000;
	return 0;
}

/* The schemas the scenario's templates name, from the shipped files into
 * <dir>/schemas, and the config pointing there. A user scenario naming a
 * schema vigil does not ship just goes without its validation. */
static int write_schemas(struct demo_engine *e, char **cause)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/schemas", e->dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return vg_cause(cause, VG_EIO, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < e->scn->traffic.n_templates; i++) {
		const char *id = e->scn->traffic.templates[i].schema_id;
		if (!id[0] || strchr(id, '/'))
			continue;
		char rel[128], path[1200];
		snprintf(rel, sizeof(rel), "schemas/%s.json", id);
		size_t len = 0;
		const char *text = sim_scenario_builtin_file(rel, &len);
		if (!text) {
			say(e, "no shipped schema %s: its answers are not validated", rel);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s.json", dir, id);
		FILE *f = fopen(path, "w");
		bool ok = f && fwrite(text, 1, len, f) == len;
		if (f && fclose(f) != 0)
			ok = false;
		if (!ok)
			return vg_cause(cause, VG_EIO, "%s: cannot write: %s", path,
			                strerror(errno));
	}
	snprintf(e->cfg->semantic.schemas_dir, sizeof(e->cfg->semantic.schemas_dir), "%s", dir);
	return 0;
}

static int start_sim(struct demo_engine *e, char **cause)
{
	struct sim_server_opts so = { .scenario = e->scn, .port = 0, .speed = e->speed };
	int rc = sim_server_start(e->loop, &so, &e->server, cause);
	if (rc != 0)
		return rc;
	e->clock = sim_server_clock(e->server);
	return 0;
}

static int start_gateway(struct demo_engine *e, char **cause)
{
	struct sim_gateway_opts go = {
		.scenario = e->scn,
		.start_ms = e->clock.wall0_ms,
		.ts_scale = 1.0 / e->speed,
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

/* Warm baselines in the database before anything runs (app/demo_seed). */
static int seed(struct demo_engine *e, char **cause)
{
	struct demo_seed_result sr;
	int rc = demo_seed(e->db_path, clock_wall_ms(), &sr, cause);
	if (rc != 0)
		return rc;
	say(e,
	    "baselines seeded from the baseline-weeks scenario (this hour of the week in each "
	    "of the last four weeks, %llu lines) in %.1f s: %d series, this hour warm in %d of "
	    "%d gateway series",
	    (unsigned long long)sr.lines, (double)sr.took_ms / 1000.0, sr.series, sr.warm_series,
	    sr.gateway_series);
	return 0;
}

int demo_engine_start(uv_loop_t *loop, const struct demo_engine_opts *o, struct demo_engine **out,
                      char **cause)
{
	struct demo_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return VG_ENOMEM;
	e->loop = loop;
	e->o = *o;
	e->speed = o->speed > 0 ? o->speed : 10;
	snprintf(e->dir, sizeof(e->dir), "%s", o->dir);
	snprintf(e->db_path, sizeof(e->db_path), "%s/vigil.db", e->dir);
	snprintf(e->events_path, sizeof(e->events_path), "%s/events.jsonl", e->dir);
	snprintf(e->pager_path, sizeof(e->pager_path), "%s/pager.jsonl", e->dir);
	snprintf(e->log_path, sizeof(e->log_path), "%s/vigil.log", e->dir);
	remove_old(e);
	e->logf = fopen(e->log_path, "w");
	/* The canaries read their key from the environment: a made-up one that
	 * the simulator accepts (it checks presence only). */
	setenv(DEMO_KEY_ENV, "demo-simulator-key", 1);
	int rc = seed(e, cause);
	if (rc == 0)
		rc = sim_scenario_load(o->scenario ? o->scenario : "oncall-day", &e->scn, cause);
	e->cfg = malloc(sizeof(*e->cfg));
	if (rc == 0 && !e->cfg)
		rc = VG_ENOMEM;
	if (rc == 0)
		rc = demo_pager_start(loop, e->pager_path, &e->pager, cause);
	if (rc == 0)
		rc = start_sim(e, cause);
	if (rc == 0)
		rc = build_config(e, cause);
	if (rc == 0)
		rc = write_schemas(e, cause);
	/* The events file exists before the daemon follows it. */
	if (rc == 0)
		rc = start_gateway(e, cause);
	if (rc == 0) {
		struct daemon_options dopt = {
			.db_path = e->db_path,
			.log = on_daemon_log,
			.log_data = e,
			.on_stopped = on_daemon_stopped,
			.data = e,
		};
		rc = daemon_new(&e->daemon, loop, e->cfg, &dopt);
	}
	if (rc == 0) {
		rc = daemon_start(e->daemon, cause);
		e->started = rc == 0;
		if (rc != 0)
			e->stopped = true; /* it closed what it opened */
	}
	if (rc == 0)
		e->metrics_port = daemon_metrics_port(e->daemon);
	if (rc != 0) {
		if (cause && !*cause) /* the first cause says more */
			vg_cause(cause, rc, "cannot start the demo: %s", vg_strerror(rc));
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
	struct daemon_stats st = e->final;
	if (e->daemon && !e->stopped)
		daemon_stats(e->daemon, &st);
	out->lines = st.lines;
	out->observations = st.observations;
	out->actions_applied = st.actions_applied;
	struct demo_pager_counts pc = e->pages;
	if (e->pager) {
		demo_pager_counts(e->pager, &pc);
		out->pager_port = demo_pager_port(e->pager);
	}
	out->pages_trigger = pc.trigger;
	out->pages_acknowledge = pc.acknowledge;
	out->pages_resolve = pc.resolve;
	out->metrics_port = e->stopping ? 0 : e->metrics_port;
}

void demo_engine_stop(struct demo_engine *e)
{
	if (!e || e->stopping)
		return;
	e->stopping = true;
	sim_live_stop(e->live);
	e->live = NULL;
	sim_server_stop(e->server);
	e->server = NULL;
	if (e->pager)
		demo_pager_counts(e->pager, &e->pages);
	demo_pager_stop(e->pager);
	e->pager = NULL;
	if (e->daemon && e->started && !e->stopped)
		daemon_stop(e->daemon); /* commits everything; on_daemon_stopped at the end */
}

void demo_engine_free(struct demo_engine *e)
{
	if (!e)
		return;
	daemon_free(e->daemon);
	free(e->scn);
	free(e->cfg);
	if (e->logf)
		fclose(e->logf);
	free(e);
}
