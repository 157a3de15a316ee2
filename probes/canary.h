/*
 * canary.h: the canary probes. One canary per configured provider endpoint
 * (provider x model; optionally one GET /v1/models availability probe per
 * provider), each a minimal request in the provider's own format asking for
 * the JSON object {"ok":true} with a small max-token limit, sent on a fresh
 * connection so the DNS, connect and TLS phases are measured every time
 * (net/http: libcurl multi on the libuv loop).
 *
 * When: core/schedule (a pure, seeded function) gives each endpoint its next
 * start, every `probes.interval` with jitter, staggered so that no two
 * endpoints ever start together.
 *
 * What to probe: a struct canary_config (below), which app/config fills from
 * vigil.yaml's providers and probes sections; this module knows nothing of
 * the file.
 *
 * Keys: read once, at start, from the environment variables the config
 * names (providers[].api_key_env). A named variable that is unset or empty
 * disables that provider's canaries with a clear log line: an empty key is
 * never sent. A provider that names no variable sends no key header at all
 * (a keyless local gateway). Keys never appear in logs, results or metrics.
 *
 * Spend: each probe's cost (usage x the model's price, by core/price's rule)
 * is added to the provider's spend for the current UTC day
 * (core/probe_budget); when a probe would take it over `daily_budget_usd`,
 * that provider is not probed again until the next UTC day, with one log
 * line and a budget hook call (exhausted).
 *
 * Results: each finished probe becomes one struct observation (source =
 * OBS_PROBE, selection_reason = SEL_CANARY, traffic_class internal, the
 * phase end times, status, lower-cased headers normalised by core/normalise,
 * truncation, finish reason, usage, cost, and the {"ok":true} check as
 * verdicts.schema_valid) delivered through the callback on the loop thread.
 * This module records no metrics: the app does, from the results and the
 * hooks (struct canary_hooks; app/metrics_std fills one).
 * A transfer cut short after a 2xx status is an answered, truncated response
 * (taxonomy: truncation), not a reset.
 *
 * Threads: loop thread only. Ownership: the set copies the canary_config;
 * the observation and the detail passed to the callback are borrowed
 * for the duration of the call (obs->text points into the response).
 */
#ifndef VIGIL_PROBES_CANARY_H
#define VIGIL_PROBES_CANARY_H

#include "core/model.h"
#include "core/observation.h"
#include "net/http.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct canary_set;

/* ---- what to probe (filled by app/config from vigil.yaml) ---- */

#define CANARY_MAX_PROVIDERS 16
#define CANARY_MAX_MODELS    16
#define CANARY_URL_MAX       256
#define CANARY_ENV_MAX       64

/* A model to probe and its price (USD per 1k tokens; <= 0 when unknown). */
struct canary_model {
	char name[VG_MODEL_MAX];
	double price_in_per_1k;
	double price_out_per_1k;
};

/* A provider endpoint: where its API is, how to authenticate, what to ask. */
struct canary_provider {
	char name[VG_NAME_MAX];           /* the name observations carry ("openai") */
	enum provider_kind kind;          /* the wire format */
	char base_url[CANARY_URL_MAX];    /* http:// or https:// */
	char api_key_env[CANARY_ENV_MAX]; /* variable with the key; "": send no key */
	char key_alias[VG_NAME_MAX];
	char region[VG_NAME_MAX];
	struct canary_model models[CANARY_MAX_MODELS];
	size_t n_models;
};

struct canary_config {
	bool enabled;               /* false: no canaries at all */
	int64_t interval_ms;        /* between one endpoint's probes (<= 0: 60 s) */
	int64_t jitter_ms;          /* less than interval_ms */
	int64_t connect_timeout_ms; /* DNS + TCP + TLS */
	int64_t timeout_ms;         /* the whole probe */
	int32_t max_tokens;         /* the completion's limit */
	int64_t max_body;           /* response bytes kept */
	double daily_budget_usd;    /* per provider per UTC day; 0: no limit */
	bool availability;          /* also GET the model list (free), per provider */
	bool first_model_only;      /* probe only each provider's first model */
	uint64_t seed;              /* schedule seed; 0: one derived from `instance` */
	char instance[VG_NAME_MAX]; /* this vigil's name (seeds the schedule) */
	struct canary_provider providers[CANARY_MAX_PROVIDERS];
	size_t n_providers;
};

enum canary_kind {
	CANARY_COMPLETION, /* a tiny chat/messages/generateContent request */
	CANARY_MODELS,     /* GET the model list (free) */
};

/* What a probe measured beyond the observation (for printing and logs). */
struct canary_result {
	const char *endpoint;         /* "openai/gpt-4o-mini", "openai/models" */
	const char *provider, *model; /* model "" for the availability probe */
	enum canary_kind kind;
	bool healthy;                   /* 2xx, complete, and (completions) {"ok":true} came back */
	const char *error;              /* libcurl's message, or ""; never holds a key */
	const struct http_times *times; /* libcurl's phase end times */
	double spend_usd;               /* this probe's cost (0 without usage or price) */
	double spend_today_usd; /* the provider's probe spend this UTC day, this one included */
	double budget_usd;      /* the provider's daily probe budget (0: no limit) */
	uint64_t seq;           /* 1, 2, ... per set */
	size_t index;           /* the endpoint's index (canary_endpoint()) */
};

/* One finished probe, on the loop thread. obs and r are borrowed for the call. */
typedef void (*canary_result_fn)(void *ud, const struct observation *obs,
                                 const struct canary_result *r);

/* A log line (no newline), borrowed for the call. */
typedef void (*canary_log_fn)(void *ud, const char *line);

/*
 * What the app may watch besides the results, e.g. to record probe metrics
 * (app/metrics_std). Every member may be NULL; all run on the loop thread,
 * before the result callback where both apply, and must not stop the set.
 * Strings are borrowed for the call.
 */
struct canary_hooks {
	/* Every finished probe, as the result callback gets it. */
	canary_result_fn result;
	/* A provider's probe budget: after each of its probes, and when it runs
	 * out or a new UTC day restores it. */
	void (*budget)(void *ud, const char *provider, bool exhausted, double spent_today_usd);
	/* A probe not sent; reason "budget". */
	void (*skipped)(void *ud, const char *provider, const char *model, const char *reason);
	void *ud;
};

struct canary_opts {
	bool once;                       /* probe every endpoint once, now, then stay idle */
	void (*on_idle)(void *ud);       /* once mode: called after the last result */
	uint64_t seed;                   /* schedule seed; 0: the canary_config's */
	int64_t (*now_ms)(void *now_ud); /* wall clock (ms since the epoch); NULL: the real one */
	void *now_ud;
	canary_log_fn log; /* NULL: lines go to stderr as "vigil probe: ..." */
	void *log_ud;
	struct canary_hooks hooks;               /* all NULL: none */
	const char *ca_file;                     /* extra CA bundle (tests), may be NULL */
	const char *resolve;                     /* CURLOPT_RESOLVE entry (tests), may be NULL */
	const char *(*getenv)(const char *name); /* NULL: getenv(3) */
	/* The spend already made this UTC day per provider (indexes of the
	 * canary_config's providers; NULL, 0 or NaN: none), charged at start,
	 * so a set started again (a reload) keeps the day's budget. */
	const double *spent_today_usd;
};

/*
 * Start the canaries of cc's providers on `loop` with the default options
 * (the schedule from the config, the real clock, logs to stderr). Returns
 * the set, or NULL when it could not be set up (out of memory, libcurl);
 * the reason went to the log. A config without providers, or whose
 * providers are all disabled, gives a set that never probes.
 * http_global_init() must have run.
 */
struct canary_set *canary_start(uv_loop_t *loop, const struct canary_config *cc,
                                canary_result_fn cb, void *ud);

/* The same with options (o may be NULL). Returns 0 and *out, or VG_ENOMEM /
 * VG_ENET with a malloc'd *cause (caller frees; cause may be NULL). */
int canary_start_opts(uv_loop_t *loop, const struct canary_config *cc, const struct canary_opts *o,
                      canary_result_fn cb, void *ud, struct canary_set **out, char **cause);

/*
 * Stop: probes in flight are cancelled (their callbacks do not run), timers
 * stop, and the memory is freed from the loop's close callbacks (keep
 * running the loop until it is idle). NULL does nothing, and so does a
 * second call. It may be called from anywhere on the loop thread, including
 * the set's own result callback (no result and no on_idle follow; the
 * observation in hand stays valid until the callback returns) and on_idle.
 */
void canary_stop(struct canary_set *s);

/* Start every enabled endpoint that is not in flight now (a console's
 * "probe now"); the schedule continues afterwards. Returns how many started. */
size_t canary_probe_now(struct canary_set *s);

/* Endpoints, enabled or not (for a table of what is probed). */
struct canary_endpoint_info {
	const char *endpoint;         /* "openai/gpt-4o-mini" */
	const char *provider, *model; /* model "" for the availability probe */
	enum canary_kind kind;
	bool enabled;
	const char *disabled_reason; /* "" when enabled; never holds a key */
	uint64_t probes;             /* started so far */
	double spend_today_usd;      /* the provider's spend this UTC day */
	bool budget_exhausted;       /* the provider is paused until the next UTC day */
};
size_t canary_endpoint_count(const struct canary_set *s);
/* Borrowed until the set is stopped; false when i is out of range. */
bool canary_endpoint(const struct canary_set *s, size_t i, struct canary_endpoint_info *out);

#endif
