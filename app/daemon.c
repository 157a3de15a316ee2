/*
 * daemon.c: the composition root of `vigil run` (see daemon.h).
 *
 * Data flow on the loop thread: event-file lines (data/ingest) and
 * daemon_observe() -> pipeline_feed() -> metrics + one store batch (the
 * observation, its effects, the outbox rows) -> the store thread commits ->
 * the outbox (attached to the store) reads the committed pending rows and
 * delivers them through the sinks. Every tick: pipeline_tick() at the
 * clock, then the unapplied operator actions are read back from the store
 * and applied (acknowledge, resolve, note, wizard path), each one marked
 * applied in the same batch as the effects it caused, so a crash neither
 * loses nor repeats one.
 *
 * Effects that do not come from the tailer (ticks, operator actions,
 * monitor events, daemon_observe) collect in one waiting batch, submitted at
 * once or, when the store queue is full, on its on_space (never dropped).
 *
 * Canary probes (probes/canary) run when providers are configured and
 * probes.enabled; their observations go through daemon_observe().
 *
 * The semantic checks (app/semsvc): the `semantic:` section and its schema
 * folder are applied to the pipeline before the store opens (an invalid
 * schema is a startup error naming the file and JSON pointer); once running,
 * texts over the inline budget go to the sidecar thread after their
 * pipeline_feed() (semsvc_offer) and the late verdicts come back as effects
 * stored like any others (on_semantic_effects). SIGHUP re-applies the
 * section (semsvc_reload); a stop first waits for the analyses in flight
 * (semsvc_drain), then stops the thread.
 */
#include "app/daemon.h"

#include "app/pipeline_setup.h"
#include "app/semsvc.h"
#include "core/incident.h"
#include "core/pipeline.h"
#include "core/vgerr.h"
#include "data/decode.h"
#include "data/httpd.h"
#include "data/ingest.h"
#include "data/metrics.h"
#include "data/metrics_std.h"
#include "data/outbox.h"
#include "data/sinks.h"
#include "data/store.h"
#include "probes/canary.h"
#include "probes/http.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum dstate { D_NEW, D_STARTING, D_RUNNING, D_STOPPING, D_STOPPED };

struct daemon {
	uv_loop_t *loop;
	struct vigil_config *cfg;
	struct daemon_options opt;
	char db_path[CFG_PATH_MAX];
	enum dstate state;
	int stop_err;

	struct pipeline *p;
	struct store *store;
	struct ingest *ing;
	bool ingest_started, ingest_done;

	struct metrics *reg;
	struct vigil_metrics vm;
	struct metrics_std_source msrc;
	struct httpd *msrv;
	int metrics_port;

	struct http_client *http;
	struct sinks *sinks;
	struct outbox *ob;

	int64_t next_outbox_id;
	int64_t last_action_id; /* highest operator action applied (never twice) */
	bool actions_query;     /* an STORE_Q_ACTIONS_UNAPPLIED in flight */
	bool flushing;
	struct store_batch *waiting; /* effects not from the tailer, not yet submitted */

	uv_timer_t tick;
	bool tick_init;

	struct semsvc *sem;             /* the sidecar and its glue, while running */
	struct pipeline_setup ps;       /* the pipeline and its schemas */
	struct store_batch *feed_batch; /* the tailer's batch while semsvc_offer() runs */
	bool sem_drained;               /* stopping: the analyses in flight came back */

	struct canary_set *canaries;
	double spend[CFG_MAX_PROVIDERS], budget[CFG_MAX_PROVIDERS]; /* probes, today (USD) */
	int64_t health_ms, last_health_ms; /* health rollups every health_ms (2 s) */
	bool refused;                      /* our last submit found the store queue full */
	uint64_t full_since; /* loop time the queue was first seen full, 0 = not full */
	bool full_reported;  /* the monitor incident for this episode is raised */
	int64_t lines_seen, quarantined_seen; /* for the ingest counters */
	struct daemon_stats st;
};

/* ---- logging ------------------------------------------------------------------- */

static void log_line(struct daemon *d, const char *level, const char *msg, json_t *fields)
{
	json_t *o = json_object();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	time_t secs = ts.tv_sec;
	gmtime_r(&secs, &tm);
	char when[40], stamp[48];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp, sizeof(stamp), "%s.%03ldZ", when, (long)(ts.tv_nsec / 1000000));
	json_object_set_new(o, "ts", json_string(stamp));
	json_object_set_new(o, "level", json_string(level));
	json_object_set_new(o, "msg", json_string(msg));
	if (fields) {
		json_object_update(o, fields);
		json_decref(fields);
	}
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return;
	if (d->opt.log) {
		d->opt.log(d->opt.log_data, text);
	} else {
		fprintf(stderr, "%s\n", text);
		fflush(stderr);
	}
	free(text);
}

/* The outbox's text lines (already redacted) as JSON lines. */
static void on_outbox_log(void *data, const char *line)
{
	log_line(data, "warn", line, NULL);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(struct daemon *d)
{
	return d->opt.now_ms ? d->opt.now_ms(d->opt.now_data) : wall_ms();
}

static int64_t now_hook(void *data)
{
	return now_ms(data);
}

static void log_incident_changes(struct daemon *d, const struct effects *fx)
{
	for (size_t i = 0; i < fx->n_incident_changes; i++) {
		const struct incident_change *c = &fx->incident_changes[i];
		if (c->kind == INCC_UPDATED)
			continue;
		if (c->kind == INCC_OPENED)
			d->st.incidents_opened++;
		const struct incident *inc = c->incident;
		char msg[48];
		snprintf(msg, sizeof(msg), "incident %s", incident_change_name(c->kind));
		json_t *f = json_object();
		json_object_set_new(f, "incident", json_integer(c->incident_id));
		if (inc) {
			json_object_set_new(f, "key", json_string(inc->key));
			json_object_set_new(f, "category",
			                    json_string(model_category_name(inc->category)));
			json_object_set_new(f, "subtype",
			                    json_string(model_subtype_name(inc->subtype)));
			json_object_set_new(f, "provider", json_string(inc->provider));
			json_object_set_new(f, "severity",
			                    json_string(model_severity_name(inc->severity)));
			json_object_set_new(f, "count", json_integer(inc->count));
		}
		json_object_set_new(f, "state", json_string(incident_state_name(c->to)));
		if (c->kind == INCC_RELATED)
			json_object_set_new(f, "related", json_integer(c->related_id));
		if (c->actor && c->actor[0])
			json_object_set_new(f, "actor", json_string(c->actor));
		log_line(d, "info", msg, f);
	}
}

/* What one pipeline call decided: counters, metrics, the log. */
static void account(struct daemon *d, const struct effects *fx)
{
	d->st.failure_events += (int64_t)fx->n_events;
	metrics_std_effects(&d->vm, fx);
	log_incident_changes(d, fx);
}

/* ---- the waiting batch ----------------------------------------------------------- */

static void fail_stop(struct daemon *d, int err);

static void on_batch_commit(void *data, const struct store_commit *c)
{
	struct daemon *d = data;
	if (c->err != 0) {
		d->st.batches_failed++;
		log_line(d, "error", "store batch failed",
		         json_pack("{s:s}", "error", vg_strerror(c->err)));
	}
}

static struct store_batch *waiting_batch(struct daemon *d)
{
	if (!d->waiting)
		d->waiting = store_batch_new(on_batch_commit, d);
	return d->waiting;
}

/* Submit the waiting batch (after refreshing the incident details); on a
 * full queue it waits for on_space. */
static void submit_waiting(struct daemon *d)
{
	if (!d->waiting || !d->store)
		return;
	if (store_batch_refresh_incidents(d->waiting, pipeline_incidents(d->p)) != 0)
		log_line(d, "error", "out of memory refreshing incidents", NULL);
	int rc = store_submit(d->store, d->waiting);
	d->refused = rc == VG_EFULL;
	if (rc == 0) {
		d->waiting = NULL;
	} else if (rc != VG_EFULL) {
		log_line(d, "error", "the store refused a batch",
		         json_pack("{s:s}", "error", vg_strerror(rc)));
		store_batch_free(d->waiting);
		d->waiting = NULL;
		fail_stop(d, rc);
	}
}

/* Effects of a call outside the tailer, into the waiting batch. */
static int keep_effects(struct daemon *d, const struct effects *fx)
{
	account(d, fx);
	if (fx->n_events == 0 && fx->n_transitions == 0 && fx->n_incident_changes == 0 &&
	    fx->n_notifications == 0)
		return 0;
	struct store_batch *b = waiting_batch(d);
	if (!b || store_batch_add_effects(b, fx, &d->next_outbox_id) != 0) {
		log_line(d, "error", "out of memory keeping effects", NULL);
		return VG_ENOMEM;
	}
	return 0;
}

static void finish_stop(struct daemon *d);

static void on_space(void *data)
{
	struct daemon *d = data;
	submit_waiting(d);
	if (d->ing && d->ingest_started && !d->ingest_done)
		ingest_resume(d->ing);
	else if (d->state == D_STOPPING)
		finish_stop(d);
}

/* ---- the semantic sidecar -------------------------------------------------------- */

/* What a sidecar result or a blind-spot report decided: stored like the
 * effects of pipeline_feed(); inside observe_file() into the tailer's batch
 * (its incident details are refreshed when it is sealed). */
static void on_semantic_effects(void *data, const struct effects *fx)
{
	struct daemon *d = data;
	if (d->feed_batch) {
		account(d, fx);
		if (store_batch_add_effects(d->feed_batch, fx, &d->next_outbox_id) != 0)
			log_line(d, "error", "out of memory keeping effects", NULL);
		return;
	}
	if (keep_effects(d, fx) == 0)
		submit_waiting(d);
}

/* After pipeline_feed() and once fx is stored (a blind-spot report reuses
 * the pipeline's effect buffers): the deferred text checks to the sidecar.
 * A full queue skips the analysis; semsvc reports the blind spot. */
static void offer_semantic(struct daemon *d, const struct observation *obs,
                           const struct effects *fx, struct store_batch *b)
{
	if (!d->sem || !fx->semantic_deferred)
		return;
	d->feed_batch = b;
	int rc = semsvc_offer(d->sem, obs, fx, observation_end_ms(obs));
	d->feed_batch = NULL;
	if (rc != 0 && rc != VG_EFULL)
		log_line(d, "warn", "semantic analysis not queued",
		         json_pack("{s:s,s:s}", "request_id", obs->request_id, "error",
		                   vg_strerror(rc)));
}

/* ---- the tailer's observer ------------------------------------------------------- */

static int observe_file(void *data, const struct observation *obs, struct store_batch *b)
{
	struct daemon *d = data;
	struct effects fx;
	int rc = pipeline_feed(d->p, obs, observation_end_ms(obs), &fx);
	if (rc == VG_EINVAL)
		return 0; /* the decoder guarantees provider and time */
	if (rc != 0)
		return rc;
	d->st.observations++;
	metrics_std_observation(&d->vm, obs);
	account(d, &fx);
	rc = store_batch_add_effects(b, &fx, &d->next_outbox_id);
	if (rc == 0)
		offer_semantic(d, obs, &fx, b);
	return rc;
}

static int seal_file(void *data, struct store_batch *b)
{
	struct daemon *d = data;
	return store_batch_refresh_incidents(b, pipeline_incidents(d->p));
}

int daemon_observe(struct daemon *d, const struct observation *obs)
{
	if (d->state != D_RUNNING)
		return VG_ESTATE;
	struct effects fx;
	int rc = pipeline_feed(d->p, obs, observation_end_ms(obs), &fx);
	if (rc != 0)
		return rc;
	d->st.observations++;
	metrics_std_observation(&d->vm, obs);
	struct store_batch *b = waiting_batch(d);
	if (!b || store_batch_add_observation(b, obs) != 0)
		return VG_ENOMEM;
	rc = keep_effects(d, &fx);
	if (rc == 0)
		offer_semantic(d, obs, &fx, NULL);
	submit_waiting(d);
	return rc;
}

/* ---- vigil's own health -------------------------------------------------------- */

static void monitor(struct daemon *d, enum subtype sub, const char *source, const char *detail)
{
	if (d->state != D_RUNNING)
		return;
	struct effects fx;
	if (pipeline_monitor(d->p, sub, source, detail, 1, now_ms(d), &fx) == 0) {
		keep_effects(d, &fx);
		submit_waiting(d);
	}
}

static void on_sink_health(void *data, const char *sink, bool up, const char *detail)
{
	struct daemon *d = data;
	log_line(d, up ? "info" : "error", up ? "sink up" : "sink unreachable",
	         json_pack("{s:s,s:s}", "sink", sink, "detail", detail ? detail : ""));
	if (!up) {
		char source[VG_NAME_MAX + 8];
		snprintf(source, sizeof(source), "sink:%s", sink);
		monitor(d, SUB_SINK_UNREACHABLE, source, detail);
	}
}

/* ---- operator actions ------------------------------------------------------------ */

static void apply_action(struct daemon *d, const struct store_operator_action *a,
                         struct store_batch *b)
{
	struct effects fx;
	memset(&fx, 0, sizeof(fx));
	int64_t now = now_ms(d);
	const char *note = a->note ? a->note : "";
	int rc =
	        pipeline_operator_action(d->p, a->action, a->incident_id, now, a->actor, note, &fx);
	json_t *f = json_pack("{s:I,s:I,s:s,s:s}", "action_id", (json_int_t)a->id, "incident",
	                      (json_int_t)a->incident_id, "action", action_name(a->action), "actor",
	                      a->actor);
	if (rc == 0) {
		d->st.actions_applied++;
		log_line(d, "info", "operator action applied", f);
	} else {
		json_object_set_new(f, "error", json_string(vg_strerror(rc)));
		log_line(d, "warn", "operator action not applicable", f);
	}
	/* applied either way: an action that does not apply never will */
	account(d, &fx);
	if (store_batch_add_effects(b, &fx, &d->next_outbox_id) != 0 ||
	    store_batch_mark_action_applied(b, a->id) != 0)
		log_line(d, "error", "out of memory applying an operator action", NULL);
}

static void on_actions(void *data, const struct store_answer *a)
{
	struct daemon *d = data;
	d->actions_query = false;
	if (a->err != 0 || d->state != D_RUNNING || a->n_actions == 0)
		return;
	struct store_batch *b = waiting_batch(d);
	if (!b)
		return;
	for (size_t i = 0; i < a->n_actions; i++) {
		if (a->actions[i].id <= d->last_action_id)
			continue;
		apply_action(d, &a->actions[i], b);
		d->last_action_id = a->actions[i].id;
	}
	submit_waiting(d);
}

/* ---- SEAMs ------------------------------------------------------------------------- */

/* ---- canary probes ------------------------------------------------------------ */

static void on_canary_log(void *data, const char *line)
{
	log_line(data, "info", line, NULL);
}

/* A finished probe: into the pipeline and the store like any observation;
 * its provider's spend today and budget go to the health rows. */
static void on_probe(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct daemon *d = ud;
	int rc = daemon_observe(d, obs); /* may stop the daemon, canaries included */
	if (rc != 0 && rc != VG_ESTATE)
		log_line(d, "warn", "probe result not used",
		         json_pack("{s:s,s:s}", "endpoint", r->endpoint, "error", vg_strerror(rc)));
	for (size_t i = 0; i < d->cfg->n_providers; i++) {
		if (strcmp(d->cfg->providers[i].name, obs->pid.provider) != 0)
			continue;
		d->spend[i] = r->spend_today_usd;
		d->budget[i] = r->budget_usd > 0 ? r->budget_usd : VG_NONE_D;
	}
}

static void start_canaries(struct daemon *d)
{
	for (size_t i = 0; i < CFG_MAX_PROVIDERS; i++)
		d->spend[i] = d->budget[i] = VG_NONE_D;
	if (d->cfg->n_providers == 0 || !d->cfg->probes.enabled)
		return;
	struct canary_opts o = {
		.now_ms = now_hook,
		.now_ud = d,
		.log = on_canary_log,
		.log_ud = d,
		.metrics = &d->vm,
	};
	char *cause = NULL;
	int rc = canary_start_opts(d->loop, d->cfg, &o, on_probe, d, &d->canaries, &cause);
	if (rc != 0)
		log_line(d, "error", "canaries not started",
		         json_pack("{s:s}", "error", cause ? cause : vg_strerror(rc)));
	else
		log_line(d, "info", "canaries started",
		         json_pack("{s:i}", "endpoints", (int)canary_endpoint_count(d->canaries)));
	free(cause);
}

static void stop_canaries(struct daemon *d)
{
	/* safe from inside the set's own result callback too (on_probe) */
	canary_stop(d->canaries);
	d->canaries = NULL;
}

/* The probe spend of a provider's health row (NaN for model rows and
 * providers not probed). */
static void probe_spend(const struct daemon *d, const char *provider, const char *model,
                        double *spend, double *budget)
{
	*spend = *budget = VG_NONE_D;
	if (model[0])
		return;
	for (size_t i = 0; i < d->cfg->n_providers; i++) {
		if (strcmp(d->cfg->providers[i].name, provider) == 0) {
			*spend = d->spend[i];
			*budget = d->budget[i];
		}
	}
}

/* The sidecar thread for the text checks over the inline budget. Without
 * it (no thread) every check runs inline: slower, never blind. */
static void start_sidecar(struct daemon *d)
{
	if (!d->cfg->semantic.checks.enabled)
		return;
	struct semsvc_options o;
	semsvc_options_default(&o);
	if (d->cfg->semantic.sidecar_queue > 0)
		o.capacity = (size_t)d->cfg->semantic.sidecar_queue;
	o.on_effects = on_semantic_effects;
	o.data = d;
	o.metrics = &d->vm;
	int rc = semsvc_start(d->loop, d->p, &o, &d->sem);
	if (rc != 0)
		log_line(d, "error", "sidecar not started, every semantic check runs inline",
		         json_pack("{s:s}", "error", vg_strerror(rc)));
	else
		log_line(d, "info", "sidecar started",
		         json_pack("{s:I,s:I}", "queue", (json_int_t)o.capacity, "inline_max_bytes",
		                   (json_int_t)d->cfg->semantic.checks.budget.inline_max_bytes));
}

static void stop_sidecar(struct daemon *d)
{
	semsvc_stop(d->sem, NULL, NULL); /* joins the thread; memory goes on the loop */
	d->sem = NULL;
}

/* The console's health rollups: one row per pipeline_health_view() row
 * (providers and provider/models), every health_ms, in the waiting batch. */
static void add_health_rows(struct daemon *d, int64_t now)
{
	if (d->last_health_ms && now - d->last_health_ms < d->health_ms && now >= d->last_health_ms)
		return;
	d->last_health_ms = now;
	size_t n = pipeline_health_count(d->p);
	struct store_batch *b = n ? waiting_batch(d) : NULL;
	for (size_t i = 0; b && i < n; i++) {
		struct health_view v;
		if (pipeline_health_view(d->p, i, now, &v) != 0)
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
		        v.has_breaker && d->cfg->thresholds.breaker.oscillation_opens > 0 &&
		        v.breaker_opens_in_window >= d->cfg->thresholds.breaker.oscillation_opens;
		probe_spend(d, h.provider, h.model, &h.probe_spend_usd, &h.probe_budget_usd);
		h.latency_threshold_ms = d->cfg->thresholds.latency_ms;
		h.updated_ms = now;
		if (store_batch_add_health(b, &h) != 0) {
			log_line(d, "error", "out of memory writing health rows", NULL);
			return;
		}
	}
}

/* ---- the tick ------------------------------------------------------------------ */

/* The store queue full for store_full_ms (by the loop's monotonic time): a
 * monitor incident, once per episode. Back-pressure pauses the tailer and
 * loses nothing, but the console is behind while it lasts. */
static void watch_store_queue(struct daemon *d)
{
	struct store_stats ss;
	store_stats(d->store, &ss);
	int cap = d->cfg->store.queue_batches > 0 ? d->cfg->store.queue_batches : 8;
	bool full = d->refused || ss.queued >= cap;
	uint64_t now = uv_now(d->loop);
	if (!full) {
		if (d->full_reported)
			log_line(d, "info", "store queue has room again", NULL);
		d->full_since = 0;
		d->full_reported = false;
		return;
	}
	if (!d->full_since) {
		d->full_since = now;
		return;
	}
	if (d->full_reported || (int64_t)(now - d->full_since) < d->opt.store_full_ms)
		return;
	d->full_reported = true;
	char detail[96];
	snprintf(detail, sizeof(detail), "store queue full (%d batches) for %lld ms", cap,
	         (long long)(now - d->full_since));
	log_line(d, "error", "store queue full", json_pack("{s:s}", "detail", detail));
	monitor(d, SUB_STORE_QUEUE_FULL, "store", detail);
}

static void on_tick(uv_timer_t *h)
{
	struct daemon *d = h->data;
	if (d->state != D_RUNNING)
		return;
	int64_t now = now_ms(d);
	struct effects fx;
	if (pipeline_tick(d->p, now, &fx) == 0)
		keep_effects(d, &fx);
	add_health_rows(d, now);
	submit_waiting(d);
	watch_store_queue(d);
	/* Actions are read when nothing of ours waits: what the query returns is
	 * then never already applied in a batch not yet submitted. */
	if (!d->actions_query && !d->waiting &&
	    store_query(d->store, STORE_Q_ACTIONS_UNAPPLIED, on_actions, d) == 0)
		d->actions_query = true;
}

/* ---- metrics ----------------------------------------------------------------------- */

static void collect_daemon(void *data, struct metrics *reg)
{
	(void)reg;
	struct daemon *d = data;
	if (d->ing) {
		struct ingest_stats is;
		ingest_stats(d->ing, &is);
		if (is.lines > d->lines_seen && d->vm.ingest_lines)
			metrics_add(d->vm.ingest_lines, NULL, (double)(is.lines - d->lines_seen));
		if (is.quarantined > d->quarantined_seen && d->vm.ingest_quarantined) {
			/* the tailer counts them all together; per reason: the quarantine table */
			const char *v[] = { "any" };
			metrics_add(d->vm.ingest_quarantined, v,
			            (double)(is.quarantined - d->quarantined_seen));
		}
		d->lines_seen = is.lines;
		d->quarantined_seen = is.quarantined;
	}
}

/* ---- start --------------------------------------------------------------------------- */

static void started(struct daemon *d)
{
	d->state = D_RUNNING;
	struct ingest_options io;
	memset(&io, 0, sizeof(io));
	io.format = DECODE_AUTO;
	io.follow = true;
	if (d->cfg->n_events == 1)
		io.format = (enum decode_format)d->cfg->events[0].format;
	int rc = ingest_new(&d->ing, d->loop, d->store, &io);
	if (rc != 0) {
		fail_stop(d, rc);
		return;
	}
	ingest_set_observer(d->ing, observe_file, seal_file, d);
	for (size_t i = 0; i < d->cfg->n_events; i++) {
		ingest_add(d->ing, d->cfg->events[i].path);
		log_line(d, "info", "following",
		         json_pack("{s:s}", "path", d->cfg->events[i].path));
	}
	if (outbox_attach_store(d->ob, d->store, 500) != 0 ||
	    sinks_start_resend(d->sinks, d->loop, d->http, NULL, NULL) != 0) {
		fail_stop(d, VG_ENOMEM);
		return;
	}
	start_sidecar(d);
	start_canaries(d);
	uv_timer_start(&d->tick, on_tick, (uint64_t)d->opt.tick_ms, (uint64_t)d->opt.tick_ms);
	log_line(d, "info", "running",
	         json_pack("{s:s,s:i,s:I}", "db", d->db_path, "metrics_port", d->metrics_port,
	                   "event_files", (json_int_t)d->cfg->n_events));
	if (d->opt.on_ready)
		d->opt.on_ready(d->opt.data, d);
}

static void on_ingest_done(void *data, const struct ingest_stats *st);

static void on_open_incidents(void *data, const struct store_answer *a)
{
	struct daemon *d = data;
	size_t restored = 0;
	for (size_t i = 0; i < a->n_incidents; i++) {
		json_t *j = a->incidents[i].detail_json
		                    ? json_loads(a->incidents[i].detail_json, 0, NULL)
		                    : NULL;
		char *cause = NULL;
		if (j && pipeline_restore_incident(d->p, j, &cause) == 0)
			restored++;
		else
			log_line(d, "warn", "incident not restored",
			         json_pack("{s:I,s:s}", "incident", (json_int_t)a->incidents[i].id,
			                   "error", cause ? cause : "no detail"));
		free(cause);
		json_decref(j);
	}
	if (restored)
		log_line(d, "info", "incidents restored",
		         json_pack("{s:I}", "count", (json_int_t)restored));
	if (d->state != D_STARTING) {
		fail_stop(d, d->stop_err);
		return;
	}
	started(d);
	if (d->state == D_RUNNING && ingest_start(d->ing, on_ingest_done, d) == 0)
		d->ingest_started = true;
	else if (d->state == D_RUNNING)
		fail_stop(d, VG_EDB);
}

static void on_max_ids(void *data, const struct store_answer *a)
{
	struct daemon *d = data;
	if (a->err != 0 || d->state != D_STARTING) {
		fail_stop(d, a->err ? a->err : d->stop_err);
		return;
	}
	pipeline_setup_resume(&d->ps, d->cfg, a->max_ids.event, a->max_ids.incident);
	d->next_outbox_id = a->max_ids.outbox + 1;
	/* actions older than this run that are still unapplied are applied now */
	if (store_query(d->store, STORE_Q_INCIDENTS_OPEN, on_open_incidents, d) != 0)
		fail_stop(d, VG_EDB);
}

static const char *env_get(void *data, const char *name)
{
	struct daemon *d = data;
	return d->opt.getenv_fn ? d->opt.getenv_fn(d->opt.env_data, name) : getenv(name);
}

int daemon_new(struct daemon **out, uv_loop_t *loop, const struct vigil_config *cfg,
               const struct daemon_options *opt)
{
	struct daemon *d = calloc(1, sizeof(*d));
	if (!d)
		return VG_ENOMEM;
	d->cfg = malloc(sizeof(*d->cfg));
	if (!d->cfg) {
		free(d);
		return VG_ENOMEM;
	}
	*d->cfg = *cfg;
	d->loop = loop;
	if (opt)
		d->opt = *opt;
	if (d->opt.tick_ms <= 0)
		d->opt.tick_ms = 1000;
	d->health_ms = d->opt.health_ms > 0 ? d->opt.health_ms : 2000;
	if (d->opt.store_full_ms <= 0)
		d->opt.store_full_ms = 10000;
	model_copy_str(d->db_path, sizeof(d->db_path),
	               d->opt.db_path ? d->opt.db_path : cfg->store.path, (size_t)-1);
	d->opt.db_path = NULL;
	d->state = D_NEW;
	*out = d;
	return 0;
}

__attribute__((format(printf, 3, 4))) static int set_cause(char **cause, int rc, const char *fmt,
                                                           ...)
{
	if (cause) {
		char buf[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		*cause = strdup(buf);
	}
	return rc;
}

/* Close what daemon_start() opened, in reverse order (memory goes in the
 * close callbacks; the caller runs the loop). */
static void close_all(struct daemon *d)
{
	stop_canaries(d);
	stop_sidecar(d);
	if (d->tick_init) {
		uv_timer_stop(&d->tick);
		uv_close((uv_handle_t *)&d->tick, NULL);
		d->tick_init = false;
	}
	if (d->ing) {
		ingest_free(d->ing);
		d->ing = NULL;
	}
	if (d->ob) {
		outbox_close(d->ob);
		d->ob = NULL;
	}
	if (d->sinks)
		sinks_stop_resend(d->sinks);
	if (d->http) {
		http_client_close(d->http);
		d->http = NULL;
	}
	if (d->msrv) {
		httpd_close(d->msrv);
		d->msrv = NULL;
	}
	store_batch_free(d->waiting);
	d->waiting = NULL;
	if (d->store) {
		store_close(d->store);
		d->store = NULL;
	}
}

int daemon_start(struct daemon *d, char **cause)
{
	if (cause)
		*cause = NULL;
	if (d->state != D_NEW)
		return VG_ESTATE;
	char host[128];
	int port = 0, rc;
	const char *listen = d->cfg->metrics.listen;
	if (listen[0] && config_split_listen(listen, host, sizeof(host), &port) != 0)
		return set_cause(cause, VG_EINVAL, "metrics.listen: '%s' is not host:port", listen);

	/* The pipeline with the `semantic:` section and its schemas (relative
	 * to the config file's folder), before anything is opened: a bad schema
	 * is a config error naming the file and JSON pointer. */
	struct pipeline_setup_options po = { .config_path = d->cfg->file[0] ? d->cfg->file : NULL };
	char *scause = NULL;
	rc = pipeline_setup_init(&d->ps, d->cfg, &po, &scause);
	if (rc != 0) {
		rc = set_cause(cause, rc == VG_ENOMEM ? VG_ENOMEM : VG_ECONFIG, "%s",
		               scause ? scause : vg_strerror(rc));
		free(scause);
		return rc;
	}
	d->p = d->ps.p;
	d->reg = metrics_new();
	if (!d->reg || metrics_std_register(d->reg, &d->vm, VIGIL_VERSION) != 0)
		return set_cause(cause, VG_ENOMEM, "out of memory");
	d->msrc = (struct metrics_std_source){
		.vm = &d->vm, .pipeline = d->p, .now_ms = now_hook, .now_data = d
	};
	metrics_on_collect(d->reg, metrics_std_collect_pipeline, &d->msrc);
	metrics_on_collect(d->reg, collect_daemon, d);

	rc = sinks_new(d->cfg->sinks, d->cfg->n_sinks, env_get, d, &d->sinks, cause);
	if (rc != 0)
		return rc;

	struct store_options so = {
		.path = d->db_path,
		.batch_rows = d->cfg->store.batch_rows,
		.batch_ms = (int)d->cfg->store.batch_ms,
		.queue_batches = d->cfg->store.queue_batches,
		.retention_ms = d->cfg->store.retention_ms,
		.on_space = on_space,
		.data = d,
	};
	rc = store_open(&d->store, d->loop, &so, cause);
	if (rc != 0)
		return rc;
	if (listen[0]) {
		rc = metrics_serve(d->reg, d->loop, host, port, &d->msrv, cause);
		if (rc != 0) {
			close_all(d);
			return rc;
		}
		d->metrics_port = httpd_port(d->msrv);
		log_line(d, "info", "metrics listening",
		         json_pack("{s:s,s:i}", "host", host, "port", d->metrics_port));
	}
	struct outbox_options o;
	outbox_options_defaults(&o);
	o.log = on_outbox_log; /* delivery backoffs run on the wall clock */
	o.log_data = d;
	o.on_health = on_sink_health;
	o.health_data = d;
	o.metrics = &d->vm;
	if ((rc = http_client_new(d->loop, &d->http)) != 0 ||
	    (rc = outbox_new(d->loop, d->sinks, d->http, &o, &d->ob)) != 0) {
		close_all(d);
		return set_cause(cause, rc, "cannot set up delivery: %s", vg_strerror(rc));
	}
	uv_timer_init(d->loop, &d->tick);
	d->tick.data = d;
	d->tick_init = true;
	d->state = D_STARTING;
	if (store_query(d->store, STORE_Q_MAX_IDS, on_max_ids, d) != 0) {
		close_all(d);
		d->state = D_STOPPED;
		return set_cause(cause, VG_EDB, "the store refused the first query");
	}
	log_line(d, "info", "starting",
	         json_pack("{s:s,s:s,s:i,s:i}", "config", d->cfg->file, "db", d->db_path,
	                   "providers", (int)d->cfg->n_providers, "sinks", (int)d->cfg->n_sinks));
	return 0;
}

/* ---- stop ---------------------------------------------------------------------------- */

static void finish_stop(struct daemon *d);

/* Close everything outside the store's own callbacks (a zero timer). */
static void on_close_timer(uv_timer_t *h)
{
	struct daemon *d = h->data;
	close_all(d);
	d->state = D_STOPPED;
	log_line(d, "info", "stopped", json_pack("{s:i}", "err", d->stop_err));
	if (d->opt.on_stopped)
		d->opt.on_stopped(d->opt.data, d, d->stop_err);
}

static void on_flushed(void *data, const struct store_commit *c)
{
	struct daemon *d = data;
	if (c->err != 0 && !d->stop_err)
		d->stop_err = c->err;
	if (d->store) {
		struct store_stats ss;
		store_stats(d->store, &ss);
		log_line(d, "info", "store flushed",
		         json_pack("{s:I,s:I,s:I}", "rows", (json_int_t)ss.committed_rows,
		                   "observations", (json_int_t)ss.inserted, "batches_failed",
		                   (json_int_t)d->st.batches_failed));
	}
	if (d->tick_init) {
		uv_timer_stop(&d->tick);
		uv_timer_start(&d->tick, on_close_timer, 0, 0);
	} else {
		on_close_timer(&d->tick);
	}
}

static void on_sem_drained(void *data)
{
	struct daemon *d = data;
	d->sem_drained = true;
	stop_sidecar(d);
	finish_stop(d);
}

/* The tailer is done (or never ran): wait for the sidecar's analyses in
 * flight, submit what waits, flush, close. */
static void finish_stop(struct daemon *d)
{
	if (d->flushing || d->state == D_STOPPED)
		return;
	if (d->sem && !d->sem_drained) {
		semsvc_drain(d->sem, on_sem_drained, d); /* may call back at once */
		return;
	}
	if (d->store && d->waiting) {
		submit_waiting(d);
		if (d->flushing || d->state == D_STOPPED)
			return; /* submit_waiting failed and stopped us already */
		if (d->waiting)
			return; /* the queue is full: on_space comes back here */
	}
	d->flushing = true;
	if (d->store && store_flush(d->store, on_flushed, d) == 0)
		return;
	struct store_commit c = { .err = d->store ? VG_EDB : 0 };
	on_flushed(d, &c);
}

static void on_ingest_done(void *data, const struct ingest_stats *st)
{
	struct daemon *d = data;
	d->ingest_done = true;
	d->st.lines = st->lines;
	d->st.quarantined = st->quarantined;
	if (st->err && !d->stop_err) {
		d->stop_err = st->err;
		log_line(d, "error", "following stopped",
		         json_pack("{s:s}", "error", vg_strerror(st->err)));
	}
	if (d->state == D_RUNNING)
		d->state = D_STOPPING; /* an error: stop the rest too */
	finish_stop(d);
}

static void begin_stop(struct daemon *d)
{
	d->state = D_STOPPING;
	if (d->tick_init)
		uv_timer_stop(&d->tick);
	stop_canaries(d);
	if (d->ing && d->ingest_started && !d->ingest_done) {
		ingest_stop(d->ing); /* on_ingest_done -> finish_stop */
		return;
	}
	finish_stop(d);
}

static void fail_stop(struct daemon *d, int err)
{
	if (err && !d->stop_err)
		d->stop_err = err;
	if (d->state == D_STOPPED || d->state == D_NEW)
		return;
	if (d->state == D_STOPPING) {
		if (!d->ingest_started || d->ingest_done)
			finish_stop(d);
		return;
	}
	begin_stop(d);
}

void daemon_stop(struct daemon *d)
{
	if (!d)
		return;
	if (d->state == D_STARTING) {
		/* the startup queries answer first; they see the state and stop */
		d->state = D_STOPPING;
		return;
	}
	if (d->state != D_RUNNING)
		return;
	log_line(d, "info", "stopping", NULL);
	begin_stop(d);
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	sinks_free(d->sinks);
	metrics_free(d->reg);
	pipeline_setup_done(&d->ps);
	free(d->cfg);
	free(d);
}

/* ---- reload -------------------------------------------------------------------------- */

static bool sinks_same(const struct vigil_config *a, const struct vigil_config *b)
{
	if (a->n_sinks != b->n_sinks)
		return false;
	for (size_t i = 0; i < a->n_sinks; i++) {
		const struct cfg_sink *x = &a->sinks[i], *y = &b->sinks[i];
		if (strcmp(x->name, y->name) || x->kind != y->kind || strcmp(x->url, y->url) ||
		    strcmp(x->secret_env, y->secret_env) || x->auth != y->auth)
			return false;
	}
	return true;
}

int daemon_reload(struct daemon *d, const char *path, char **cause)
{
	if (cause)
		*cause = NULL;
	const char *file = path ? path : d->cfg->file;
	if (!file[0])
		return set_cause(cause, VG_ECONFIG, "no config file to reload");
	struct vigil_config *n = malloc(sizeof(*n));
	if (!n)
		return VG_ENOMEM;
	config_defaults(n);
	int rc = config_load(n, file, cause);
	if (rc != 0) {
		log_line(d, "error", "reload refused, the old config stays",
		         json_pack("{s:s}", "error", cause && *cause ? *cause : vg_strerror(rc)));
		free(n);
		return rc;
	}
	/* The semantic section first: a bad schema still refuses the reload. */
	struct jschema_set *set = NULL;
	char *scause = NULL;
	rc = d->p ? semsvc_reload(d->sem, d->p, n, file, &set, &scause) : 0;
	if (rc != 0 && rc != VG_ESTATE) {
		log_line(d, "error", "reload refused, the old config stays",
		         json_pack("{s:s}", "error", scause ? scause : vg_strerror(rc)));
		set_cause(cause, VG_ECONFIG, "%s", scause ? scause : vg_strerror(rc));
		free(scause);
		free(n);
		return rc == VG_ENOMEM ? rc : VG_ECONFIG;
	}
	if (rc == VG_ESTATE)
		log_line(d, "error", "sidecar not restarted, every semantic check runs inline",
		         json_pack("{s:s}", "error", scause ? scause : vg_strerror(rc)));
	free(scause);
	if (d->p) {
		jschema_set_free(d->ps.schemas); /* nothing refers to it any more */
		d->ps.schemas = set;
	}
	json_t *applied = json_array(), *restart = json_array();
	if (d->p)
		json_array_append_new(applied, json_string("semantic"));
	if (n->semantic.checks.max_keys != d->cfg->semantic.checks.max_keys)
		json_array_append_new(restart, json_string("semantic.max_keys"));
	/* new event files */
	size_t added = 0;
	for (size_t i = 0; i < n->n_events; i++) {
		bool known = false;
		for (size_t k = 0; k < d->cfg->n_events && !known; k++)
			known = strcmp(n->events[i].path, d->cfg->events[k].path) == 0;
		if (known)
			continue;
		if (d->ing && ingest_add(d->ing, n->events[i].path) == 0) {
			added++;
			log_line(d, "info", "following",
			         json_pack("{s:s}", "path", n->events[i].path));
		}
	}
	if (added)
		json_array_append_new(applied, json_string("events"));
	if (n->n_events < d->cfg->n_events)
		json_array_append_new(restart, json_string("events (removed files)"));
	/* routes and payload texts */
	if (sinks_same(d->cfg, n)) {
		if (d->p && pipeline_setup_routes(&d->ps, n) == 0)
			json_array_append_new(applied, json_string("routes"));
	} else {
		json_array_append_new(restart, json_string("sinks"));
	}
	if (memcmp(&n->store, &d->cfg->store, sizeof(n->store)) != 0)
		json_array_append_new(restart, json_string("store"));
	if (strcmp(n->metrics.listen, d->cfg->metrics.listen) != 0)
		json_array_append_new(restart, json_string("metrics.listen"));
	if (n->n_providers != d->cfg->n_providers ||
	    memcmp(n->providers, d->cfg->providers, sizeof(n->providers)) != 0)
		json_array_append_new(restart, json_string("providers"));
	if (memcmp(&n->thresholds, &d->cfg->thresholds, sizeof(n->thresholds)) != 0)
		json_array_append_new(restart, json_string("thresholds"));
	if (n->incidents.group_gap_ms != d->cfg->incidents.group_gap_ms ||
	    n->incidents.quiet_period_ms != d->cfg->incidents.quiet_period_ms ||
	    n->incidents.ticket_after_ms != d->cfg->incidents.ticket_after_ms ||
	    n->incidents.keep_resolved_ms != d->cfg->incidents.keep_resolved_ms)
		json_array_append_new(restart, json_string("incidents timings"));

	/* keep what runs: the new file for what was applied */
	struct vigil_config *old = d->cfg;
	struct vigil_config keep = *old;
	memcpy(keep.events, n->events, sizeof(n->events));
	keep.n_events = n->n_events;
	keep.semantic = n->semantic;
	keep.semantic.checks.max_keys = old->semantic.checks.max_keys;
	if (sinks_same(old, n)) {
		memcpy(keep.sinks, n->sinks, sizeof(n->sinks));
		keep.incidents = n->incidents;
		keep.incidents.group_gap_ms = old->incidents.group_gap_ms;
		keep.incidents.quiet_period_ms = old->incidents.quiet_period_ms;
		keep.incidents.ticket_after_ms = old->incidents.ticket_after_ms;
		keep.incidents.keep_resolved_ms = old->incidents.keep_resolved_ms;
	}
	model_copy_str(keep.file, sizeof(keep.file), file, (size_t)-1);
	*d->cfg = keep;
	free(n);
	log_line(d, "info", "config reloaded",
	         json_pack("{s:s,s:o,s:o}", "config", file, "applied", applied, "restart_needed",
	                   restart));
	return 0;
}

/* ---- read API ---------------------------------------------------------------------- */

int daemon_metrics_port(const struct daemon *d)
{
	return d->metrics_port;
}

const struct pipeline *daemon_pipeline(const struct daemon *d)
{
	return d->p;
}

const char *daemon_db_path(const struct daemon *d)
{
	return d->db_path;
}

void daemon_stats(const struct daemon *d, struct daemon_stats *out)
{
	*out = d->st;
	if (d->ing) {
		struct ingest_stats is;
		ingest_stats(d->ing, &is);
		out->lines = is.lines;
		out->quarantined = is.quarantined;
	}
	out->running = d->state == D_RUNNING;
}
