/*
 * daemon_internal.h: the daemon's state and the helpers its files share
 * (daemon.c: the life cycle; daemon_feed.c: the data path;
 * daemon_actions.c: operator actions; daemon_health.c: health rows,
 * vigil's own health, metrics; daemon_probes.c: the canaries;
 * daemon_reload.c: config reload). Not for use outside app/daemon*.c.
 * Loop thread only.
 */
#ifndef VIGIL_APP_DAEMON_INTERNAL_H
#define VIGIL_APP_DAEMON_INTERNAL_H

#include "app/backfill.h"
#include "app/daemon.h"
#include "app/daemon_fsm.h"
#include "app/pipeline_setup.h"
#include "app/semsvc.h"
#include "core/pipeline.h"
#include "data/metrics.h"
#include "app/metrics_std.h"
#include "data/store.h"

#include <jansson.h>

/* Events waiting while an earlier one's actions run (they may re-enter). */
#define DAEMON_EVENTS_MAX 16

struct daemon {
	uv_loop_t *loop;
	struct vigil_config *cfg;
	struct daemon_options opt;
	char db_path[CFG_PATH_MAX];

	/* The life cycle (app/daemon_fsm) and its event queue. */
	enum dfsm_state state;
	int stop_err; /* the first error of a stop */
	struct {
		enum dfsm_event ev;
		int err;
	} events[DAEMON_EVENTS_MAX];
	size_t ev_head, ev_len;
	bool dispatching;
	struct store_max_ids max_ids; /* the startup answer, for DA_RESUME_NUMBERING */

	struct pipeline_setup ps;  /* the pipeline and its schemas */
	struct pipeline *p;        /* ps.p */
	struct backfill *backfill; /* events older than the quiet period never notify */
	struct store *store;
	struct ingest *ing;

	struct metrics *reg;
	struct vigil_metrics vm;
	struct metrics_std_source msrc;
	struct httpd *msrv;
	int metrics_port;

	struct http_client *http;
	struct sinks *sinks;
	struct outbox *ob;

	int64_t next_outbox_id;
	int64_t last_action_id;      /* highest operator action applied (never twice) */
	bool actions_query;          /* an STORE_Q_ACTIONS_UNAPPLIED in flight */
	struct store_batch *waiting; /* effects not from the tailer, not yet submitted */

	uv_timer_t *tick; /* from daemon_start() to DA_CLOSE_ALL */

	struct semsvc *sem;             /* the sidecar and its glue, while running */
	struct store_batch *feed_batch; /* the tailer's batch while semsvc_offer() runs */

	/* Baselines (daemon_baseline.c): the refresh worker thread (started at
	 * the first refresh), and a refresh due but not yet handed to it. */
	struct baseline_worker *blw;
	bool refresh_due;

	struct canary_set *canaries;
	double spend[CFG_MAX_PROVIDERS], budget[CFG_MAX_PROVIDERS]; /* probes, today (USD) */
	int64_t health_ms, last_health_ms; /* health rollups every health_ms (2 s) */
	uint64_t full_since;   /* loop time the queue was first seen full, 0 = not full */
	bool full_reported;    /* the monitor incident for this episode is raised */
	bool unwritable;       /* the store said its disk is full (store_unwritable raised) */
	bool corrupt;          /* the store met damage: stopping after its page went out */
	uint64_t linger_until; /* loop time the close waits for such a page until */
	int64_t lines_seen, quarantined_seen; /* for the ingest counters */
	/* The gateway's own freshness, apart from probes (daemon_health.c). */
	int64_t gateway_event_ms; /* end of the newest gateway event, VG_NONE before one */
	int64_t quiet_since_ms;   /* when the daemon started running: a quiet counts from
	                           * there at the earliest */
	bool quiet_reported;      /* the gateway_quiet incident of this quiet is raised */
	int64_t newest_file_ms;   /* the newest event time read from the files (VG_NONE) */
	struct daemon_stats st;
};

/* ---- daemon.c ---- */

/* One JSON log line; takes `fields` (may be NULL). */
void daemon__log(struct daemon *d, const char *level, const char *msg, json_t *fields);
/* The daemon's clock (options' now_ms, or the wall clock). */
int64_t daemon__now(struct daemon *d);
/* Feed the life cycle an event (err: the first one is kept for on_stopped). */
void daemon__dispatch(struct daemon *d, enum dfsm_event ev, int err);

/* ---- daemon_feed.c ---- */

/* Counters, metrics and the log of what one pipeline call decided. */
void daemon__account(struct daemon *d, const struct effects *fx);
/* The batch for effects that do not come from the tailer (NULL: no memory). */
struct store_batch *daemon__waiting_batch(struct daemon *d);
/* Effects of a call outside the tailer, into the waiting batch. */
int daemon__keep_effects(struct daemon *d, const struct effects *fx);
/* fx into b (the waiting, feed or actions batch); while the disk is full a
 * bounded few notifications go out from memory. 0 or VG_ENOMEM. */
int daemon__add_effects(struct daemon *d, struct store_batch *b, const struct effects *fx);
/* Submit the waiting batch: 0 (submitted, or nothing waited), VG_EFULL (it
 * waits for space), or an error (the batch is dropped; DE_FAILED is sent). */
int daemon__submit_waiting(struct daemon *d);
/* The semantic sidecar's effects (semsvc's on_effects). */
void daemon__on_semantic_effects(void *data, const struct effects *fx);
/* The tailer's observer and sealer (data/ingest). */
int daemon__observe_file(void *data, const struct observation *obs, struct store_batch *b);
int daemon__seal_file(void *data, struct store_batch *b);

/* ---- daemon_actions.c ---- */

/* Read the unapplied operator actions (one query at a time). */
void daemon__poll_actions(struct daemon *d);

/* ---- daemon_health.c ---- */

/* A failure of vigil's own health into the pipeline and the store. */
void daemon__monitor(struct daemon *d, enum subtype sub, const char *source, const char *detail);
/* The outbox's sink health callback. */
void daemon__on_sink_health(void *data, const char *sink, bool up, const char *detail);
/* The console's health rows, every health_ms, into the waiting batch. */
void daemon__add_health_rows(struct daemon *d, int64_t now);
/* The store met damage (its on_corrupt): a monitor incident delivered
 * without the store, then the daemon stops. */
void daemon__on_store_corrupt(void *data, const char *cause);
/* The store queue full for store_full_ms: a monitor incident. */
void daemon__watch_store_queue(struct daemon *d);
/* A gateway event (not a probe) ended at end_ms: the gateway is writing. */
void daemon__gateway_seen(struct daemon *d, int64_t end_ms);
/* No gateway event for monitor.gateway_quiet: a monitor incident, once per
 * quiet (every tick). */
void daemon__watch_gateway(struct daemon *d, int64_t now);
/* /metrics collect hook: the tailer's counters. */
void daemon__collect(void *data, struct metrics *reg);

/* ---- daemon_baseline.c ---- */

/* Ask the store for the baselines (DA_QUERY_BASELINES; -> DE_BASELINES). */
void daemon__query_baselines(struct daemon *d);
/* A due refresh to the worker thread (every tick; nothing when none). */
void daemon__start_refresh(struct daemon *d);
/* Stop the worker (a job in flight is dropped: the next start refreshes
 * again from the stored hours). */
void daemon__stop_refresh(struct daemon *d);

/* ---- daemon_probes.c ---- */

void daemon__start_canaries(struct daemon *d);
void daemon__stop_canaries(struct daemon *d);
/* Stop the canaries and start them with d->cfg's `probes:` section (a
 * reload), keeping each provider's spend today. */
void daemon__restart_canaries(struct daemon *d);
/* The probe spend of a provider's health row (NaN for model rows and
 * providers not probed). */
void daemon__probe_spend(const struct daemon *d, const char *provider, const char *model,
                         double *spend, double *budget);

#endif
