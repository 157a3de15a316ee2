/*
 * reload_plan.h: what a config reload (SIGHUP, daemon_reload()) does, as a
 * pure function of the running config and the new file's: which parts are
 * applied at once, which need a restart (logged as such), which event files
 * to start following, and the config the daemon runs with afterwards (the
 * running one with the applied parts taken from the new file). No I/O;
 * app/daemon_reload.c performs the plan.
 *
 * Applied at once: the `semantic:` section with its schema folder (except
 * max_keys), new event files, and, while the sinks themselves are unchanged
 * (names, kinds, URLs, secrets, auth), their routes (min_severity, ...) and
 * the payload texts of `incidents:` (instance, runbook_base, console_url),
 * the `probes:` section (the canaries start again, keeping the day's spend)
 * and the `monitor:` section. Everything else needs a restart.
 */
#ifndef VIGIL_APP_RELOAD_PLAN_H
#define VIGIL_APP_RELOAD_PLAN_H

#include "app/config.h"

#include <stddef.h>

/* The parts of a config a reload looks at, in the order they are logged. */
enum reload_part {
	RELOAD_SEMANTIC,          /* applied: the semantic section and its schemas */
	RELOAD_SEMANTIC_MAX_KEYS, /* restart: semantic.max_keys changed */
	RELOAD_EVENTS,            /* applied: new event files are followed */
	RELOAD_EVENTS_REMOVED,    /* restart: event files were removed */
	RELOAD_ROUTES,            /* applied: routes and payload texts (sinks unchanged) */
	RELOAD_SINKS,             /* restart: a sink added, removed or changed */
	RELOAD_PROBES,            /* applied: the canaries start again with `probes:` */
	RELOAD_STORE,             /* restart */
	RELOAD_METRICS_LISTEN,    /* restart: metrics.listen or metrics.max_models */
	RELOAD_PROVIDERS,         /* restart */
	RELOAD_THRESHOLDS,        /* restart */
	RELOAD_INCIDENT_TIMINGS, /* restart: group_gap, quiet_period, ticket_after, keep_resolved */
	RELOAD__COUNT
};

struct reload_plan {
	unsigned apply;   /* bits (1u << enum reload_part) to apply now */
	unsigned restart; /* bits that need a restart */
	/* The new config's event files not followed yet (indexes into its events). */
	size_t follow[CFG_MAX_EVENT_FILES];
	size_t n_follow;
};

/* The plan of going from `old` (running) to `next` (just loaded). */
void reload_plan_make(const struct vigil_config *old, const struct vigil_config *next,
                      struct reload_plan *out);

/* The config to run with once the plan is applied: `old` with the parts the
 * plan applies taken from `next` (event files, the semantic section but its
 * max_keys, the `monitor:` section, with RELOAD_PROBES the `probes:` section,
 * and, with RELOAD_ROUTES, the sinks and the `incidents:` texts but their
 * timings), named after `file`. *out may not alias old or next. */
void reload_plan_keep(const struct vigil_config *old, const struct vigil_config *next,
                      const struct reload_plan *plan, const char *file, struct vigil_config *out);

/* "semantic", "semantic.max_keys", "events", "events (removed files)",
 * "routes", "sinks", "probes", "store", "metrics.listen", "providers", "thresholds",
 * "incidents timings"; "unknown" out of range. Static. */
const char *reload_part_name(enum reload_part p);

#endif
