/*
 * daemon.c: the composition root of `vigil run` (see daemon.h): its life
 * cycle and what it opens. The data path is in daemon_feed.c, operator
 * actions in daemon_actions.c, the health rows and vigil's own health in
 * daemon_health.c, the canaries in daemon_probes.c, a config reload in
 * daemon_reload.c; daemon_internal.h holds the state they share.
 *
 * Life cycle: a state machine (app/daemon_fsm: pure, every transition
 * tested) says what to do; daemon__dispatch() feeds it the events (store
 * answers, callbacks, daemon_stop()) and perform() does the actions. An
 * action may call back at once (a drain with nothing in flight, on_ready
 * calling daemon_stop()): such events wait in a small queue until the
 * actions of the current one are done, so every transition runs whole.
 *
 * Baselines (daemon_baseline.c): restored from the store at startup
 * (after the incidents); the weekly refresh runs on a worker thread of its
 * own when the pipeline says it is due, and comes back to the loop.
 *
 * Data flow on the loop thread: event-file lines (data/ingest) and
 * daemon_observe() -> pipeline_feed() -> metrics + one store batch (the
 * observation, its effects, the outbox rows) -> the store thread commits ->
 * the outbox (attached to the store) reads the committed pending rows and
 * delivers them through the sinks. Every tick: pipeline_tick() at the
 * clock, the health rows, then the unapplied operator actions are read back
 * from the store and applied.
 *
 * Effects that do not come from the tailer (ticks, operator actions,
 * monitor events, daemon_observe) collect in one waiting batch, submitted at
 * once or, when the store queue is full, on its on_space (never dropped).
 *
 * The semantic checks (app/semsvc): the `semantic:` section and its schema
 * folder are applied to the pipeline (app/pipeline_setup) before the store
 * opens (an invalid schema is a startup error naming the file and JSON
 * pointer); once running, texts over the inline budget go to the sidecar
 * thread after their pipeline_feed() (semsvc_offer) and the late verdicts
 * come back as effects stored like any others (daemon_feed.c).
 * A stop first waits for the analyses in flight (semsvc_drain), then stops
 * the thread.
 */
#include "app/daemon.h"

#include "app/daemon_internal.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "data/decode.h"
#include "data/ingest.h"
#include "data/outbox.h"
#include "data/sinks.h"
#include "net/clock.h"
#include "net/http.h"
#include "net/httpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- logging and the clock ------------------------------------------------------ */

void daemon__log(struct daemon *d, const char *level, const char *msg, json_t *fields)
{
	json_t *o = json_object();
	char stamp[32];
	if (timeparse_format_rfc3339(clock_wall_ms(), stamp, sizeof(stamp)) < 0)
		stamp[0] = '\0';
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
	redact_str(d->ps.redact, text); /* NULL before the pipeline exists: shapes only */
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
	daemon__log(data, "warn", line, NULL);
}

int64_t daemon__now(struct daemon *d)
{
	return d->opt.now_ms ? d->opt.now_ms(d->opt.now_data) : clock_wall_ms();
}

static int64_t now_hook(void *data)
{
	return daemon__now(data);
}

/* ---- the store queue ---------------------------------------------------------------- */

static void on_space(void *data)
{
	daemon__dispatch(data, DE_SPACE, 0);
}

/* ---- the semantic sidecar -------------------------------------------------------- */

static int64_t daemon_clock(void *data)
{
	return daemon__now(data);
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
	o.on_effects = daemon__on_semantic_effects;
	o.max_age_ms = d->cfg->monitor.sidecar_lag_ms;
	o.clock_ms = daemon_clock;
	o.now_ms = daemon_clock; /* late results: never ahead of the wall clock either */
	o.data = d;
	o.metrics = &d->vm;
	int rc = semsvc_start(d->loop, d->p, &o, &d->sem);
	if (rc != 0)
		daemon__log(d, "error", "sidecar not started, every semantic check runs inline",
		            json_pack("{s:s}", "error", vg_strerror(rc)));
	else
		daemon__log(d, "info", "sidecar started",
		            json_pack("{s:I,s:I}", "queue", (json_int_t)o.capacity,
		                      "inline_max_bytes",
		                      (json_int_t)d->cfg->semantic.checks.budget.inline_max_bytes));
}

static void stop_sidecar(struct daemon *d)
{
	semsvc_stop(d->sem, NULL, NULL); /* joins the thread; memory goes on the loop */
	d->sem = NULL;
}

static void on_sem_drained(void *data)
{
	daemon__dispatch(data, DE_SEM_DRAINED, 0);
}

/* ---- the tick ------------------------------------------------------------------ */

/* Is the tailer still reading a backlog of events older than the quiet
 * period (a backfill)? Then time in the pipeline is theirs: a tick at the
 * clock would move it to now, and the rest of the backlog would make
 * incidents in the present instead of history (app/backfill). Before the
 * first event is read, what is waiting may be such a backlog too. */
static bool backfilling(struct daemon *d, int64_t now)
{
	return d->ing && ingest_behind(d->ing) &&
	       (d->newest_file_ms == VG_NONE ||
	        d->newest_file_ms < now - d->cfg->incidents.quiet_period_ms);
}

static void on_tick(uv_timer_t *h)
{
	struct daemon *d = h->data;
	if (d->state != DS_RUNNING)
		return;
	int64_t now = daemon__now(d);
	struct effects fx;
	if (!backfilling(d, now) && pipeline_tick(d->p, now, &fx) == 0)
		daemon__keep_effects(d, &fx);
	daemon__add_health_rows(d, now);
	daemon__start_refresh(d);
	daemon__submit_waiting(d);
	daemon__watch_store_queue(d);
	daemon__watch_gateway(d, now);
	semsvc_watch(d->sem, now);
	daemon__poll_actions(d);
}

/* ---- startup ------------------------------------------------------------------------- */

/* A file rotated while the daemon was down is gone with lines unread: a
 * monitor incident (tail_file_gone) says how many bytes. */
static void on_file_lost(void *data, const char *path, int64_t bytes)
{
	struct daemon *d = data;
	char detail[640];
	snprintf(detail, sizeof(detail),
	         "%s was rotated while vigil was stopped and is gone (deleted or compressed): "
	         "%lld bytes never read",
	         path, (long long)bytes);
	daemon__log(d, "error", "rotated file gone",
	            json_pack("{s:s,s:I}", "path", path, "bytes_never_read", (json_int_t)bytes));
	daemon__monitor(d, SUB_TAIL_FILE_GONE, path, detail);
}

static void on_ingest_done(void *data, const struct ingest_stats *st)
{
	struct daemon *d = data;
	d->st.lines = st->lines;
	d->st.quarantined = st->quarantined;
	if (st->err && !d->stop_err)
		daemon__log(d, "error", "following stopped",
		            json_pack("{s:s}", "error", vg_strerror(st->err)));
	daemon__dispatch(d, DE_INGEST_DONE, st->err);
}

static void on_open_incidents(void *data, const struct store_answer *a)
{
	struct daemon *d = data;
	size_t restored = 0;
	backfill_restored(d->backfill, a, daemon__now(d));
	for (size_t i = 0; i < a->n_incidents; i++) {
		json_t *j = a->incidents[i].detail_json
		                    ? json_loads(a->incidents[i].detail_json, 0, NULL)
		                    : NULL;
		char *cause = NULL;
		if (j && pipeline_restore_incident(d->p, j, &cause) == 0)
			restored++;
		else
			daemon__log(d, "warn", "incident not restored",
			            json_pack("{s:I,s:s}", "incident",
			                      (json_int_t)a->incidents[i].id, "error",
			                      cause ? cause : "no detail"));
		free(cause);
		json_decref(j);
	}
	if (restored)
		daemon__log(d, "info", "incidents restored",
		            json_pack("{s:I}", "count", (json_int_t)restored));
	daemon__dispatch(d, DE_INCIDENTS, 0);
}

static void on_max_ids(void *data, const struct store_answer *a)
{
	struct daemon *d = data;
	if (a->err != 0) {
		daemon__dispatch(d, DE_FAILED, a->err);
		return;
	}
	d->max_ids = a->max_ids;
	daemon__dispatch(d, DE_IDS, 0);
}

/* The tailer, the outbox on the store, the sinks' resends; then follow.
 * Returns 0 or the error that stops the start. */
static int open_following(struct daemon *d)
{
	struct ingest_options io;
	memset(&io, 0, sizeof(io));
	io.format = DECODE_AUTO;
	io.follow = true;
	if (d->cfg->n_events == 1)
		io.format = (enum decode_format)d->cfg->events[0].format;
	int rc = ingest_new(&d->ing, d->loop, d->store, &io);
	if (rc != 0)
		return rc;
	ingest_set_observer(d->ing, daemon__observe_file, daemon__seal_file, d);
	ingest_set_lost(d->ing, on_file_lost, d);
	for (size_t i = 0; i < d->cfg->n_events; i++) {
		ingest_add(d->ing, d->cfg->events[i].path);
		daemon__log(d, "info", "following",
		            json_pack("{s:s}", "path", d->cfg->events[i].path));
	}
	if (outbox_attach_store(d->ob, d->store, 500) != 0 ||
	    sinks_start_resend(d->sinks, d->loop, d->http, NULL, NULL, outbox_resend_hook, d->ob) !=
	            0)
		return VG_ENOMEM;
	if (ingest_start(d->ing, on_ingest_done, d) != 0)
		return VG_EDB;
	return 0;
}

/* ---- the life cycle ------------------------------------------------------------------ */

static void on_flushed(void *data, const struct store_commit *c)
{
	daemon__dispatch(data, DE_FLUSHED, c->err);
}

/* How long a stop after damage waits for the store_corrupt page. */
#define CORRUPT_LINGER_MS 10000

static void on_close_timer(uv_timer_t *h)
{
	struct daemon *d = h->data;
	/* the page about a damaged database lives only in the outbox's memory:
	 * give it a moment to go out before everything closes */
	if (d->corrupt && d->ob && outbox_volatile_pending(d->ob) > 0) {
		uint64_t now = uv_now(d->loop);
		if (!d->linger_until)
			d->linger_until = now + CORRUPT_LINGER_MS;
		if (now < d->linger_until) {
			uv_timer_start(h, on_close_timer, 50, 0);
			return;
		}
		daemon__log(d, "error", "the store_corrupt page was not delivered before the stop",
		            NULL);
	}
	daemon__dispatch(d, DE_CLOSE_TIMER, 0);
}

static void on_tick_closed(uv_handle_t *h)
{
	free(h);
}

/* Close what daemon_start() opened, in reverse order (memory goes in the
 * close callbacks; the caller runs the loop); the tick is DA_CLOSE_ALL's. */
static void close_opened(struct daemon *d)
{
	daemon__stop_canaries(d);
	stop_sidecar(d);
	daemon__stop_refresh(d);
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

static void perform(struct daemon *d, enum dfsm_action a)
{
	switch (a) {
	case DA_RESUME_NUMBERING:
		pipeline_setup_resume(&d->ps, d->cfg, d->max_ids.event, d->max_ids.incident);
		pipeline_baseline_set_next_review_id(d->p, d->max_ids.review);
		d->next_outbox_id = d->max_ids.outbox + 1;
		break;
	case DA_QUERY_INCIDENTS:
		if (store_query(d->store, STORE_Q_INCIDENTS_OPEN, on_open_incidents, d) != 0)
			daemon__dispatch(d, DE_FAILED, VG_EDB);
		break;
	case DA_QUERY_BASELINES: daemon__query_baselines(d); break;
	case DA_OPEN_FOLLOWING: {
		int rc = open_following(d);
		daemon__dispatch(d, rc ? DE_FAILED : DE_FOLLOWING, rc);
		break;
	}
	case DA_START_SIDECAR: start_sidecar(d); break;
	case DA_START_CANARIES: daemon__start_canaries(d); break;
	case DA_START_TICK:
		d->quiet_since_ms = daemon__now(d); /* the gateway's quiet counts from here */
		uv_timer_start(d->tick, on_tick, (uint64_t)d->opt.tick_ms,
		               (uint64_t)d->opt.tick_ms);
		break;
	case DA_LOG_RUNNING:
		daemon__log(d, "info", "running",
		            json_pack("{s:s,s:i,s:I}", "db", d->db_path, "metrics_port",
		                      d->metrics_port, "event_files",
		                      (json_int_t)d->cfg->n_events));
		break;
	case DA_NOTIFY_READY:
		if (d->opt.on_ready)
			d->opt.on_ready(d->opt.data, d);
		break;
	case DA_LOG_STOPPING:
		daemon__log(d, "info", "stopping", NULL);
		if (d->store) /* a full disk: what waits is read again at the next start */
			store_give_up_full(d->store);
		break;
	case DA_STOP_TICK: uv_timer_stop(d->tick); break;
	case DA_STOP_CANARIES: daemon__stop_canaries(d); break;
	case DA_STOP_INGEST: ingest_stop(d->ing); break; /* -> on_ingest_done */
	case DA_RESUME_INGEST:
		if (d->ing)
			ingest_resume(d->ing);
		break;
	case DA_DRAIN_SIDECAR:
		if (d->sem)
			semsvc_drain(d->sem, on_sem_drained, d); /* may call back at once */
		else
			daemon__dispatch(d, DE_SEM_DRAINED, 0);
		break;
	case DA_STOP_SIDECAR: stop_sidecar(d); break;
	case DA_SUBMIT_WAITING:
		/* a refused batch has sent DE_FAILED already; a full queue waits */
		if (daemon__submit_waiting(d) == 0)
			daemon__dispatch(d, DE_SUBMITTED, 0);
		break;
	case DA_FLUSH:
		if (store_flush(d->store, on_flushed, d) != 0)
			daemon__dispatch(d, DE_FLUSHED, VG_EDB);
		break;
	case DA_LOG_FLUSHED: {
		struct store_stats ss;
		store_stats(d->store, &ss);
		daemon__log(d, "info", "store flushed",
		            json_pack("{s:I,s:I,s:I}", "rows", (json_int_t)ss.committed_rows,
		                      "observations", (json_int_t)ss.inserted, "batches_failed",
		                      (json_int_t)d->st.batches_failed));
		break;
	}
	case DA_SCHEDULE_CLOSE:
		/* outside the store's own callbacks */
		uv_timer_stop(d->tick);
		uv_timer_start(d->tick, on_close_timer, 0, 0);
		break;
	case DA_CLOSE_ALL:
		close_opened(d);
		uv_close((uv_handle_t *)d->tick, on_tick_closed);
		d->tick = NULL;
		break;
	case DA_LOG_STOPPED:
		daemon__log(d, "info", "stopped", json_pack("{s:i}", "err", d->stop_err));
		break;
	case DA_NOTIFY_STOPPED:
		if (d->opt.on_stopped)
			d->opt.on_stopped(d->opt.data, d, d->stop_err);
		break;
	default: break;
	}
}

void daemon__dispatch(struct daemon *d, enum dfsm_event ev, int err)
{
	if (err && !d->stop_err)
		d->stop_err = err;
	if (d->ev_len == DAEMON_EVENTS_MAX) {
		/* cannot happen: an action sends at most one event at once */
		daemon__log(d, "error", "life-cycle event queue full",
		            json_pack("{s:s}", "event", dfsm_event_name(ev)));
		abort();
	}
	size_t tail = (d->ev_head + d->ev_len++) % DAEMON_EVENTS_MAX;
	d->events[tail].ev = ev;
	d->events[tail].err = err;
	if (d->dispatching)
		return; /* after the actions of the event being handled */
	d->dispatching = true;
	while (d->ev_len) {
		enum dfsm_event e = d->events[d->ev_head].ev;
		d->ev_head = (d->ev_head + 1) % DAEMON_EVENTS_MAX;
		d->ev_len--;
		struct dfsm_step s = dfsm_next(d->state, e);
		d->state = s.next;
		for (size_t i = 0; i < s.n; i++)
			perform(d, s.actions[i]);
	}
	d->dispatching = false;
}

/* ---- new, start, stop, free ------------------------------------------------------------ */

/* What the store's open changed (a file's mode tightened). */
static void on_store_log(void *data, const char *line)
{
	daemon__log(data, "warn", line, NULL);
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
	d->state = DS_NEW;
	d->gateway_event_ms = VG_NONE;
	d->newest_file_ms = VG_NONE;
	*out = d;
	return 0;
}

int daemon_start(struct daemon *d, char **cause)
{
	if (cause)
		*cause = NULL;
	if (d->state != DS_NEW || d->p)
		return VG_ESTATE;
	char host[128];
	int port = 0, rc;
	const char *listen = d->cfg->metrics.listen;
	if (listen[0] && config_split_listen(listen, host, sizeof(host), &port) != 0)
		return vg_cause(cause, VG_EINVAL, "metrics.listen: '%s' is not host:port", listen);

	/* The pipeline with the `semantic:` section and its schemas (relative
	 * to the config file's folder), before anything is opened: a bad schema
	 * is a config error naming the file and JSON pointer. */
	struct pipeline_setup_options po = { .config_path = d->cfg->file[0] ? d->cfg->file : NULL,
		                             .getenv_fn = env_get,
		                             .env_data = d };
	char *scause = NULL;
	rc = pipeline_setup_init(&d->ps, d->cfg, &po, &scause);
	if (rc != 0) {
		rc = vg_cause(cause, rc == VG_ENOMEM ? VG_ENOMEM : VG_ECONFIG, "%s",
		              scause ? scause : vg_strerror(rc));
		free(scause);
		return rc;
	}
	d->p = d->ps.p;
	if (backfill_new(&d->backfill, d->cfg->incidents.quiet_period_ms) != 0)
		return vg_cause(cause, VG_ENOMEM, "out of memory");
	d->reg = metrics_new();
	if (!d->reg || metrics_std_register(d->reg, &d->vm, VIGIL_VERSION) != 0)
		return vg_cause(cause, VG_ENOMEM, "out of memory");
	metrics_set_redact(d->reg, d->ps.redact);
	metrics_genai_set_max_models(&d->vm.genai, (size_t)d->cfg->metrics.max_models);
	d->msrc = (struct metrics_std_source){
		.vm = &d->vm, .pipeline = d->p, .now_ms = now_hook, .now_data = d
	};
	metrics_on_collect(d->reg, metrics_std_collect_pipeline, &d->msrc);
	metrics_on_collect(d->reg, daemon__collect, d);

	struct sink_spec specs[CFG_MAX_SINKS];
	size_t n_specs = config_sink_specs(d->cfg, specs, CFG_MAX_SINKS);
	rc = sinks_new(specs, n_specs, env_get, d, &d->sinks, cause);
	if (rc != 0)
		return rc;

	struct store_options so = {
		.path = d->db_path,
		.batch_rows = d->cfg->store.batch_rows,
		.batch_ms = (int)d->cfg->store.batch_ms,
		.queue_batches = d->cfg->store.queue_batches,
		.retention_ms = d->cfg->store.retention_ms,
		.minute_rollup_retention_ms = d->cfg->baselines.minute_retention_ms,
		.hour_rollup_retention_ms = d->cfg->baselines.hour_retention_ms,
		.on_space = on_space,
		.on_corrupt = daemon__on_store_corrupt,
		.full_retry_ms = 1000, /* a full disk waits: the daemon stays up */
		.data = d,
		.redact = d->ps.redact,
		.group = d->cfg->store.group,
		.log = on_store_log,
	};
	rc = store_open(&d->store, d->loop, &so, cause);
	if (rc != 0)
		return rc;
	if (listen[0]) {
		rc = metrics_serve(d->reg, d->loop, host, port, &d->msrv, cause);
		if (rc != 0) {
			close_opened(d);
			return rc;
		}
		d->metrics_port = httpd_port(d->msrv);
		daemon__log(d, "info", "metrics listening",
		            json_pack("{s:s,s:i}", "host", host, "port", d->metrics_port));
	}
	struct outbox_options o;
	outbox_options_defaults(&o);
	o.log = on_outbox_log; /* delivery backoffs run on the wall clock */
	o.log_data = d;
	o.on_health = daemon__on_sink_health;
	o.health_data = d;
	o.metrics = metrics_std_outbox(&d->vm);
	if ((rc = http_client_new(d->loop, &d->http)) != 0 ||
	    (rc = outbox_new(d->loop, d->sinks, d->http, &o, &d->ob)) != 0) {
		close_opened(d);
		return vg_cause(cause, rc, "cannot set up delivery: %s", vg_strerror(rc));
	}
	d->tick = malloc(sizeof(*d->tick));
	rc = !d->tick                                                     ? VG_ENOMEM
	     : store_query(d->store, STORE_Q_MAX_IDS, on_max_ids, d) != 0 ? VG_EDB
	                                                                  : 0;
	if (rc != 0) {
		close_opened(d);
		free(d->tick);
		d->tick = NULL;
		return vg_cause(cause, rc, "%s",
		                rc == VG_EDB ? "the store refused the first query"
		                             : "out of memory");
	}
	uv_timer_init(d->loop, d->tick);
	d->tick->data = d;
	daemon__dispatch(d, DE_START, 0);
	daemon__log(d, "info", "starting",
	            json_pack("{s:s,s:s,s:i,s:i}", "config", d->cfg->file, "db", d->db_path,
	                      "providers", (int)d->cfg->n_providers, "sinks",
	                      (int)d->cfg->n_sinks));
	return 0;
}

void daemon_stop(struct daemon *d)
{
	if (d)
		daemon__dispatch(d, DE_STOP, 0);
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	sinks_free(d->sinks);
	metrics_free(d->reg);
	pipeline_setup_done(&d->ps);
	backfill_free(d->backfill);
	free(d->cfg);
	free(d);
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
	out->running = d->state == DS_RUNNING;
	out->baseline_refreshing = d->refresh_due || pipeline_baseline_busy(d->p);
}
