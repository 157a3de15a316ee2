/*
 * pipeline_setup.h: the one way a vigil configuration becomes a ready
 * pipeline. The daemon (`vigil run`, and `vigil demo` through it, after the
 * demo has compressed the config's timings by its speed), `vigil ingest`,
 * `vigil replay` and the console tests' database all call it, so a verdict
 * reached live, from a file or in a replay comes from the same settings.
 *
 * From a struct vigil_config it sets, in this order: the thresholds and the
 * configured providers (pipeline_new), the `semantic:` section with the
 * schemas compiled from semantic.schemas_dir (semsvc_configure), the
 * incident settings of `incidents:` and the routes of `sinks:` with their
 * payload options; `baselines:` (on unless baselines.enabled is false,
 * with the series the configured providers and models give for the
 * false-alarm budget); and the API keys to mask (core/redact): the values of
 * the environment variables the config names (providers' api_key_env,
 * sinks' secret_env), so no key vigil holds reaches an event, a payload, the
 * store or a log. Numbering starts at 1; a shell that writes into a
 * database continues after what it holds with pipeline_setup_resume() once
 * the store has answered, before the first feed.
 *
 * Ownership: the value type below holds the pipeline and the schema set and
 * key set it borrows; pipeline_setup_done() frees them, the pipeline first.
 */
#ifndef VIGIL_APP_PIPELINE_SETUP_H
#define VIGIL_APP_PIPELINE_SETUP_H

#include "app/config.h"
#include "core/jschema.h"
#include "core/pipeline.h"
#include "core/redact.h"

#include <stdint.h>

/* A configured pipeline (a value type; zero it or pipeline_setup_init it). */
struct pipeline_setup {
	struct pipeline *p;
	struct jschema_set *schemas; /* borrowed by p; NULL when no schema folder */
	struct redact *redact;       /* borrowed by p; hand it to the store and the log too */
};

/* Reads an environment variable (tests give their own); NULL: getenv(). */
typedef const char *(*pipeline_setup_env_fn)(void *data, const char *name);

struct pipeline_setup_options {
	/* The file the config came from: semantic.schemas_dir is relative to its
	 * folder. NULL: relative to the working directory. */
	const char *config_path;
	/* Routes to use when the config has no sinks (the replay's default set,
	 * so every payload shape is built); NULL: none. Copied. */
	const struct route_sink *routes_if_none;
	size_t n_routes_if_none;
	/* Where the keys' values are read; NULL: getenv(). */
	pipeline_setup_env_fn getenv_fn;
	void *env_data;
};

/* The keys `cfg` names, read through `getenv_fn` (NULL: getenv()) into a new
 * set (caller frees with redact_free()); NULL when out of memory. */
struct redact *pipeline_setup_secrets(const struct vigil_config *cfg,
                                      pipeline_setup_env_fn getenv_fn, void *env_data);

/*
 * Build the pipeline of `cfg` (read only during the call) into *ps. `o` may
 * be NULL (no config file, no default routes). Returns 0; or VG_ENOMEM; or a
 * negative vg_err (VG_ECONFIG, VG_EIO, ...) with a malloc'd message in
 * *cause (caller frees) naming the file and JSON pointer of an invalid
 * schema; or VG_ERANGE (more routes than PIPELINE_MAX_SINKS). On error *ps
 * is zeroed and nothing is left to free.
 */
int pipeline_setup_init(struct pipeline_setup *ps, const struct vigil_config *cfg,
                        const struct pipeline_setup_options *o, char **cause);

/*
 * Continue the numbering after a database's highest ids (0 for an empty
 * one): failure events from max_event_id + 1, incidents from
 * max_incident_id + 1 (the incident tracker is set again from cfg's
 * `incidents:`). Call before the first feed. Returns 0, VG_ESTATE (an
 * incident exists already) or VG_ENOMEM.
 */
int pipeline_setup_resume(struct pipeline_setup *ps, const struct vigil_config *cfg,
                          int64_t max_event_id, int64_t max_incident_id);

/*
 * The routes of cfg's `sinks:` and the payload options of `incidents:`
 * (copied), at any time (a config reload). Returns 0 or VG_ERANGE (nothing
 * changed).
 */
int pipeline_setup_routes(struct pipeline_setup *ps, const struct vigil_config *cfg);

/*
 * The weekly baseline refresh, inline (replay and ingest, on the events'
 * clock; the daemon runs the same job on a thread of its own): when the
 * last pipeline call said baseline_refresh_due, take the job, run it and
 * apply it. Fills *out with the apply's effects (the models and review
 * items to persist; borrowed until the next pipeline call). Returns 0,
 * VG_ESTATE when no refresh is due, or VG_ENOMEM (the job is dropped:
 * nothing learned this week, the next refresh is due as usual).
 */
int pipeline_setup_refresh(struct pipeline *p, struct effects *out);

/* Free the pipeline, then its schemas; zeroes *ps. NULL does nothing. */
void pipeline_setup_done(struct pipeline_setup *ps);

#endif
