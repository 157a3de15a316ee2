/*
 * daemon_health.c: what the daemon reports about the providers and about
 * itself. The console's health rows (app/health_rows) every health_ms into
 * the waiting batch; vigil's own health (docs/architecture.md): a sink
 * unreachable and the store queue full for store_full_ms become `monitor`
 * incidents through pipeline_monitor(), and so does a damaged database
 * (store_corrupt), whose page cannot wait in the outbox table and goes out
 * from memory; and the tailer's counters for /metrics.
 */
#include "app/daemon_internal.h"

#include "app/health_rows.h"
#include "core/vgerr.h"
#include "data/ingest.h"
#include "data/outbox.h"

#include <stdio.h>

/* ---- vigil's own health -------------------------------------------------------- */

void daemon__monitor(struct daemon *d, enum subtype sub, const char *source, const char *detail)
{
	if (d->state != DS_RUNNING)
		return;
	struct effects fx;
	if (pipeline_monitor(d->p, sub, source, detail, 1, daemon__now(d), &fx) == 0) {
		daemon__keep_effects(d, &fx);
		daemon__submit_waiting(d);
	}
}

void daemon__on_sink_health(void *data, const char *sink, bool up, const char *detail)
{
	struct daemon *d = data;
	daemon__log(d, up ? "info" : "error", up ? "sink up" : "sink unreachable",
	            json_pack("{s:s,s:s}", "sink", sink, "detail", detail ? detail : ""));
	if (!up) {
		char source[VG_NAME_MAX + 8];
		snprintf(source, sizeof(source), "sink:%s", sink);
		daemon__monitor(d, SUB_SINK_UNREACHABLE, source, detail);
	}
}

/* The database is damaged: the store has stopped writing for good. The
 * monitor incident's notifications cannot be committed to the outbox
 * table, so they go to the sinks from memory (outbox_send_volatile());
 * then the daemon stops (exit 1), waiting a little for them at the close. */
void daemon__on_store_corrupt(void *data, const char *cause)
{
	struct daemon *d = data;
	d->corrupt = true;
	daemon__log(d, "error", "database corrupt, writing stopped",
	            json_pack("{s:s,s:s}", "db", d->db_path, "detail", cause));
	struct effects fx;
	if (d->state == DS_RUNNING && pipeline_monitor(d->p, SUB_STORE_CORRUPT, "store", cause, 1,
	                                               daemon__now(d), &fx) == 0) {
		daemon__account(d, &fx);
		for (size_t i = 0; i < fx.n_notifications; i++)
			if (outbox_send_volatile(d->ob, &fx.notifications[i]) != 0)
				daemon__log(d, "error",
				            "cannot send the store_corrupt notification",
				            json_pack("{s:s}", "sink", fx.notifications[i].sink));
	}
	daemon__dispatch(d, DE_FAILED, VG_ECORRUPT);
}

/* The store queue full for store_full_ms (by the loop's monotonic time): a
 * monitor incident, once per episode. Back-pressure pauses the tailer and
 * loses nothing, but the console is behind while it lasts. Called right
 * after a submit: a batch of ours still waiting means the queue refused it. */
void daemon__watch_store_queue(struct daemon *d)
{
	struct store_stats ss;
	store_stats(d->store, &ss);
	int cap = d->cfg->store.queue_batches > 0 ? d->cfg->store.queue_batches : 8;
	if (ss.unwritable != d->unwritable) {
		d->unwritable = ss.unwritable;
		char detail[128];
		snprintf(detail, sizeof(detail), "the disk is full (SQLITE_FULL %lld times): %s",
		         (long long)ss.full_errors, d->db_path);
		daemon__log(d, ss.unwritable ? "error" : "info",
		            ss.unwritable ? "store unwritable, tailer paused"
		                          : "store writable again",
		            json_pack("{s:s}", "detail", detail));
		if (ss.unwritable)
			daemon__monitor(d, SUB_STORE_UNWRITABLE, "store", detail);
	}
	/* a full disk is its own incident: the queue is full because of it */
	bool full = !ss.unwritable && (d->waiting != NULL || ss.queued >= cap);
	uint64_t now = uv_now(d->loop);
	if (!full) {
		if (d->full_reported)
			daemon__log(d, "info", "store queue has room again", NULL);
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
	daemon__log(d, "error", "store queue full", json_pack("{s:s}", "detail", detail));
	daemon__monitor(d, SUB_STORE_QUEUE_FULL, "store", detail);
}

/* ---- the console's health rows -------------------------------------------------- */

static void spend_of(void *data, const char *provider, const char *model, double *spend,
                     double *budget)
{
	daemon__probe_spend(data, provider, model, spend, budget);
}

void daemon__add_health_rows(struct daemon *d, int64_t now)
{
	if (d->last_health_ms && now - d->last_health_ms < d->health_ms && now >= d->last_health_ms)
		return;
	d->last_health_ms = now;
	if (pipeline_health_count(d->p) == 0)
		return;
	struct store_batch *b = daemon__waiting_batch(d);
	if (b && health_rows_add(b, d->p, &d->cfg->thresholds, now, d->gateway_event_ms, spend_of,
	                         d) != 0)
		daemon__log(d, "error", "out of memory writing health rows", NULL);
}

/* ---- the gateway's freshness --------------------------------------------------------- */

void daemon__gateway_seen(struct daemon *d, int64_t end_ms)
{
	if (!vg_has(d->gateway_event_ms) || end_ms > d->gateway_event_ms)
		d->gateway_event_ms = end_ms;
	d->quiet_reported = false;
}

void daemon__watch_gateway(struct daemon *d, int64_t now)
{
	int64_t quiet = d->cfg->monitor.gateway_quiet_ms;
	if (quiet <= 0 || d->quiet_reported)
		return;
	int64_t last = vg_has(d->gateway_event_ms) && d->gateway_event_ms > d->quiet_since_ms
	                       ? d->gateway_event_ms
	                       : d->quiet_since_ms;
	if (now - last < quiet)
		return;
	d->quiet_reported = true;
	char detail[160];
	if (vg_has(d->gateway_event_ms))
		snprintf(detail, sizeof(detail),
		         "no gateway event for %lld s (monitor.gateway_quiet %lld s); probes "
		         "do not count",
		         (long long)((now - last) / 1000), (long long)(quiet / 1000));
	else
		snprintf(detail, sizeof(detail),
		         "no gateway event since the start, %lld s ago (monitor.gateway_quiet "
		         "%lld s)",
		         (long long)((now - last) / 1000), (long long)(quiet / 1000));
	daemon__log(d, "error", "gateway quiet", json_pack("{s:s}", "detail", detail));
	daemon__monitor(d, SUB_GATEWAY_QUIET, "gateway", detail);
}

/* ---- metrics ----------------------------------------------------------------------- */

void daemon__collect(void *data, struct metrics *reg)
{
	(void)reg;
	struct daemon *d = data;
	if (d->vm.gateway_event_age && vg_has(d->gateway_event_ms)) {
		int64_t age = daemon__now(d) - d->gateway_event_ms;
		metrics_set(d->vm.gateway_event_age, NULL, (double)(age > 0 ? age : 0) / 1000.0);
	}
	if (!d->ing)
		return;
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
