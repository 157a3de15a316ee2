/*
 * replay.h: the replay engine. Recorded observations go through the same
 * pipeline as live traffic on a virtual clock taken from the observations'
 * own times (each is fed at its end time, as ingest does; the pipeline is
 * ticked at every whole second of traffic time in between, as the daemon
 * ticks it once a wall second). It collects what the pipeline decided:
 * failure events, breaker transitions, incidents with their severity
 * timeline, and the payloads the routed sinks would have been sent (built
 * by core/payload, never sent).
 *
 * With a truth file (docs/sim.md) it measures each fault's time to detect:
 * the first failure event of the fault's kind, and the first page
 * (PagerDuty trigger) of an incident of that kind, after the fault's onset.
 *
 * The report (replay_report()) holds nothing from the wall clock, so the
 * same input gives the same bytes. Single-threaded; no I/O.
 */
#ifndef VIGIL_APP_REPLAY_H
#define VIGIL_APP_REPLAY_H

#include "app/config.h"
#include "core/event.h"
#include "core/observation.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct replay;
struct pipeline;

/* Called for every failure event as it is decided (for --events). A
 * non-zero return stops the replay with that code. `ev` is borrowed. */
typedef int (*replay_event_cb)(void *data, const struct failure_event *ev);

struct replay_options {
	const struct vigil_config *cfg; /* NULL: built-in defaults */
	const char *config_path;        /* for the semantic schema folder; may be NULL */
	bool keep_events;               /* keep a compact record of every event (time to
	                                 * detect, report counts); the bench turns it off */
	replay_event_cb on_event;       /* may be NULL */
	void *data;
};

/*
 * A new engine: a pipeline with cfg's thresholds, providers, semantic
 * section (schemas compiled, checks inline), incident settings and sinks.
 * Without sinks in the config, the replay routes to a default set (one
 * PagerDuty and one Alertmanager sink at HIGH, a webhook at LOW, a Jira
 * sink at MEDIUM) so every payload shape is built. Returns 0 and *out, or a
 * negative vg_err with a malloc'd message in *cause (caller frees) for a
 * bad schema folder; VG_ENOMEM.
 */
int replay_new(const struct replay_options *o, struct replay **out, char **cause);

/* Free an engine; NULL does nothing. */
void replay_free(struct replay *r);

/*
 * Load a truth file (docs/sim.md, "Truth file") for time to detect.
 * Returns 0, or VG_EPARSE / VG_EIO with a malloc'd message in *cause.
 */
int replay_load_truth(struct replay *r, const char *path, char **cause);

/*
 * Feed one observation at its end time. Observations without provider or
 * time are counted as skipped. Returns 0, VG_ENOMEM, or the on_event
 * callback's non-zero code.
 */
int replay_feed(struct replay *r, const struct observation *obs);

/* Count an input line that could not be used (quarantined by the decoder). */
void replay_count_bad_line(struct replay *r);

/* Count an input line that was read (good or bad). */
void replay_count_line(struct replay *r);

/* End of input: a last tick at the last observation's time. Returns 0 or
 * VG_ENOMEM. Call once, before replay_report(). */
int replay_finish(struct replay *r);

/* The pipeline (read-only: the baselines it learned, which `vigil demo`
 * seeds its database with) and the newest weekly refresh a model took
 * (INT64_MIN: none yet). */
const struct pipeline *replay_pipeline(const struct replay *r);
int64_t replay_last_refresh(const struct replay *r);

/* Observations fed (not skipped) and failure events decided so far. */
uint64_t replay_observations(const struct replay *r);
uint64_t replay_events(const struct replay *r);

/* The virtual clock: the pipeline's time high-water mark (VG_NONE at first). */
int64_t replay_now(const struct replay *r);

/*
 * The report (docs/replay.md): input counts, events by category and
 * severity, breaker transitions, every incident (category, subtype,
 * provider, severity timeline, count, first/last, related, first page,
 * payloads), the payloads, and per truth fault the time to detect. Returns
 * a new reference (caller json_decref()s), or NULL when out of memory.
 */
json_t *replay_report(const struct replay *r);

#endif
