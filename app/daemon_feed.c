/*
 * daemon_feed.c: the daemon's data path (see daemon.c): observations from
 * the tailer (daemon__observe_file, into the tailer's batch) and from
 * elsewhere (daemon_observe, into the waiting batch) through the pipeline;
 * the effects counted, logged and stored; texts over the inline budget
 * offered to the semantic sidecar, whose late effects come back here; and
 * the waiting batch, submitted at once or on the store's on_space.
 */
#include "app/daemon_internal.h"

#include "core/incident.h"
#include "core/vgerr.h"
#include "data/outbox.h"

#include <stdio.h>

/* ---- what the pipeline decided ---------------------------------------------------- */

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
		daemon__log(d, "info", msg, f);
	}
}

void daemon__account(struct daemon *d, const struct effects *fx)
{
	if (fx->baseline_refresh_due)
		d->refresh_due = true; /* handed to the worker at the next tick */
	d->st.failure_events += (int64_t)fx->n_events;
	metrics_std_effects(&d->vm, fx);
	log_incident_changes(d, fx);
}

/* ---- the waiting batch ----------------------------------------------------------- */

/* fx into batch b. While the store's disk is full (store_unwritable) nothing
 * commits, so nothing reaches the outbox table: up to DAEMON_VOLATILE_MAX
 * notifications at once go to the sinks from memory (outbox_send_volatile())
 * and are stored as delivered, so that once space returns they are history,
 * never sent again; past that bound they wait in the batch as usual. */
#define DAEMON_VOLATILE_MAX 64
int daemon__add_effects(struct daemon *d, struct store_batch *b, const struct effects *fx)
{
	struct store_stats ss = { 0 };
	if (fx->n_notifications && d->store && d->ob)
		store_stats(d->store, &ss);
	if (!ss.unwritable)
		return store_batch_add_effects(b, fx, &d->next_outbox_id);
	struct effects rest = *fx;
	rest.n_notifications = 0;
	int rc = store_batch_add_effects(b, &rest, &d->next_outbox_id);
	for (size_t i = 0; i < fx->n_notifications && rc == 0; i++) {
		const struct notification *nt = &fx->notifications[i];
		bool sent = outbox_volatile_pending(d->ob) < DAEMON_VOLATILE_MAX &&
		            outbox_send_volatile(d->ob, nt) == 0;
		if (sent)
			d->st.sent_from_memory++;
		rc = store_batch_add_notification(b, nt, d->next_outbox_id++,
		                                  sent ? OUTBOX_DELIVERED : OUTBOX_PENDING,
		                                  sent ? daemon__now(d) : 0);
	}
	return rc;
}

static void on_batch_commit(void *data, const struct store_commit *c)
{
	struct daemon *d = data;
	if (c->err != 0) {
		d->st.batches_failed++;
		daemon__log(d, "error", "store batch failed",
		            json_pack("{s:s}", "error", vg_strerror(c->err)));
	}
}

struct store_batch *daemon__waiting_batch(struct daemon *d)
{
	if (!d->waiting)
		d->waiting = store_batch_new(on_batch_commit, d);
	return d->waiting;
}

int daemon__submit_waiting(struct daemon *d)
{
	if (!d->waiting || !d->store)
		return 0;
	if (store_batch_refresh_incidents(d->waiting, pipeline_incidents(d->p)) != 0)
		daemon__log(d, "error", "out of memory refreshing incidents", NULL);
	int rc = store_submit(d->store, d->waiting);
	if (rc == 0) {
		d->waiting = NULL;
	} else if (rc != VG_EFULL) {
		daemon__log(d, "error", "the store refused a batch",
		            json_pack("{s:s}", "error", vg_strerror(rc)));
		store_batch_free(d->waiting);
		d->waiting = NULL;
		daemon__dispatch(d, DE_FAILED, rc);
	}
	return rc;
}

/* fx without the notifications of the past (app/backfill); event_ms: the
 * time of the event that made it, VG_NONE for a tick or an action. */
static void live_effects(struct daemon *d, const struct effects *fx, int64_t event_ms,
                         struct effects *out)
{
	if (backfill_filter(d->backfill, fx, event_ms, daemon__now(d), out))
		d->st.notifications_held = backfill_held(d->backfill);
}

static int keep_effects_at(struct daemon *d, const struct effects *all, int64_t event_ms)
{
	daemon__account(d, all);
	struct effects live;
	live_effects(d, all, event_ms, &live);
	const struct effects *fx = &live;
	if (fx->n_events == 0 && fx->n_transitions == 0 && fx->n_incident_changes == 0 &&
	    fx->n_notifications == 0 && fx->n_rollups == 0 && fx->n_models == 0 &&
	    fx->n_reviews == 0)
		return 0;
	struct store_batch *b = daemon__waiting_batch(d);
	if (!b || daemon__add_effects(d, b, fx) != 0) {
		daemon__log(d, "error", "out of memory keeping effects", NULL);
		return VG_ENOMEM;
	}
	return 0;
}

int daemon__keep_effects(struct daemon *d, const struct effects *fx)
{
	return keep_effects_at(d, fx, VG_NONE);
}

/* ---- the semantic sidecar -------------------------------------------------------- */

/* What a sidecar result or a blind-spot report decided: stored like the
 * effects of pipeline_feed(); inside observe_file() into the tailer's batch
 * (its incident details are refreshed when it is sealed). */
void daemon__on_semantic_effects(void *data, const struct effects *fx)
{
	struct daemon *d = data;
	if (d->feed_batch) {
		daemon__account(d, fx);
		struct effects live;
		live_effects(d, fx, VG_NONE, &live);
		if (daemon__add_effects(d, d->feed_batch, &live) != 0)
			daemon__log(d, "error", "out of memory keeping effects", NULL);
		return;
	}
	if (daemon__keep_effects(d, fx) == 0)
		daemon__submit_waiting(d);
}

/* After pipeline_feed() and once fx is stored (a blind-spot report reuses
 * the pipeline's effect buffers): the deferred text checks to the sidecar.
 * A full queue skips the analysis; semsvc reports the blind spot. */
static void offer_semantic(struct daemon *d, const struct observation *obs,
                           const struct effects *fx, struct store_batch *b, int64_t now)
{
	if (!d->sem || !fx->semantic_deferred)
		return;
	d->feed_batch = b;
	int rc = semsvc_offer(d->sem, obs, fx, now);
	d->feed_batch = NULL;
	if (rc != 0 && rc != VG_EFULL)
		daemon__log(d, "warn", "semantic analysis not queued",
		            json_pack("{s:s,s:s}", "request_id", obs->request_id, "error",
		                      vg_strerror(rc)));
}

/* ---- observations ------------------------------------------------------------------ */

/* How far an observation's end may be ahead of the wall clock and still be
 * taken at its own time: the skew between a gateway host's clock and ours,
 * and a line read the moment it is written. Within it, the daemons of an
 * HA pair key incidents on the events' times (the same in both); the
 * pipeline's clock then runs ahead by less than this. */
#define CLOCK_SKEW_MS 1000

/* The time the live pipeline is fed an observation at: its end (ts +
 * total_ms), but never ahead of the wall clock by more than CLOCK_SKEW_MS
 * (then it is the wall clock). A gateway whose clock runs fast, or a line
 * written long before its request ended (the demo's, 23 s), would
 * otherwise pull breakers, incidents and the outbox's times into the
 * future; the observation itself is stored with the times it came with (so
 * `vigil ingest` and `vigil replay` of the same file still agree), and each
 * clamp is counted (vigil_event_time_clamped_total). */
static int64_t live_now(struct daemon *d, const struct observation *obs)
{
	int64_t end = observation_end_ms(obs), wall = daemon__now(d);
	if (!vg_has(end) || end <= wall + CLOCK_SKEW_MS)
		return end;
	d->st.clamped++;
	if (d->vm.event_time_clamped)
		metrics_inc(d->vm.event_time_clamped, NULL);
	return wall;
}

int daemon__observe_file(void *data, const struct observation *obs, struct store_batch *b)
{
	struct daemon *d = data;
	struct effects fx, live;
	int64_t t = observation_end_ms(obs);
	int64_t now = live_now(d, obs);
	int rc = pipeline_feed(d->p, obs, now, &fx);
	if (rc == VG_EINVAL)
		return 0; /* the decoder guarantees provider and time */
	if (rc != 0)
		return rc;
	if (obs->source != OBS_PROBE)
		daemon__gateway_seen(d, now);
	d->st.observations++;
	if (d->newest_file_ms == VG_NONE || t > d->newest_file_ms)
		d->newest_file_ms = t;
	metrics_std_observation(&d->vm, obs);
	daemon__account(d, &fx);
	live_effects(d, &fx, t, &live);
	rc = daemon__add_effects(d, b, &live);
	if (rc == 0)
		offer_semantic(d, obs, &fx, b, now);
	return rc;
}

int daemon__seal_file(void *data, struct store_batch *b)
{
	struct daemon *d = data;
	return store_batch_refresh_incidents(b, pipeline_incidents(d->p));
}

int daemon_observe(struct daemon *d, const struct observation *obs)
{
	if (d->state != DS_RUNNING)
		return VG_ESTATE;
	struct effects fx;
	int64_t t = observation_end_ms(obs);
	int64_t now = live_now(d, obs);
	int rc = pipeline_feed(d->p, obs, now, &fx);
	if (rc != 0)
		return rc;
	if (obs->source != OBS_PROBE)
		daemon__gateway_seen(d, now);
	d->st.observations++;
	metrics_std_observation(&d->vm, obs);
	struct store_batch *b = daemon__waiting_batch(d);
	if (!b || store_batch_add_observation(b, obs) != 0)
		return VG_ENOMEM;
	rc = keep_effects_at(d, &fx, t);
	if (rc == 0)
		offer_semantic(d, obs, &fx, NULL, now);
	daemon__submit_waiting(d);
	return rc;
}
