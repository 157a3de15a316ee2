/*
 * config.h: vigil.yaml, loaded once into one struct vigil_config.
 *
 * The loader is table-driven: each section is a table of struct cfg_field
 * (key, type, where it goes, whether it is required). A later section adds a
 * member to struct vigil_config and a row to the root table in config.c,
 * never a second parser. Unknown keys, wrong types, out-of-range values and
 * missing required keys are errors that name the file, line and key path
 * ("vigil.yaml:12:5: providers[1].kind: unknown value 'azure' ...").
 *
 * API keys are never in the config: a provider names the environment
 * variable that holds its key (api_key_env) and an alias for it (key_alias).
 */
#ifndef VIGIL_APP_CONFIG_H
#define VIGIL_APP_CONFIG_H

#include "core/baseline.h"
#include "core/model.h"
#include "core/semantic.h"
#include "core/pipeline.h"
#include "core/settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_PROVIDERS 16
#define CFG_MAX_MODELS    16
#define CFG_PATH_MAX      512
#define CFG_URL_MAX       256

struct canary_config;
struct sink_spec;

enum cfg_role { ROLE_PRIMARY, ROLE_FALLBACK };

struct cfg_model {
	char name[VG_MODEL_MAX];
	char tier[16];           /* "flagship", "mid", "fast" (free text) */
	double price_in_per_1k;  /* USD per 1k input tokens */
	double price_out_per_1k; /* USD per 1k output tokens */
	bool breaker;            /* a circuit breaker of its own (besides the provider's) */
};

struct cfg_provider {
	char name[VG_NAME_MAX]; /* unique; the name events use ("openai") */
	int kind;               /* enum provider_kind */
	char base_url[CFG_URL_MAX];
	char api_key_env[64]; /* name of the environment variable with the key */
	char key_alias[VG_NAME_MAX];
	char region[VG_NAME_MAX];
	int role; /* enum cfg_role */
	struct cfg_model models[CFG_MAX_MODELS];
	size_t n_models;
};

struct cfg_store {
	char path[CFG_PATH_MAX]; /* SQLite file */
	int32_t batch_rows;      /* commit after this many rows ... */
	int64_t batch_ms;        /* ... or this long (key: batch_interval) */
	int32_t queue_batches;   /* batches the store thread may have waiting */
	int64_t retention_ms;    /* prune rows older than this; 0 keeps all (key: retention) */
	char group[64];          /* files 0640 for this group ("" = 0600, private) */
};

/* The `semantic:` section: the checks' settings, where the JSON Schemas
 * live and how much the sidecar may queue. */
struct cfg_semantic {
	char schemas_dir[CFG_PATH_MAX]; /* *.json, id = file name without .json; relative
	                                 * to the config file's folder; "" = none */
	int32_t sidecar_queue;          /* analyses the sidecar may hold (256) */
	struct semantic_settings checks;
};

/* `incidents:` grouping and lifecycle (core/incident) and what the payloads
 * say about this instance (core/payload). */
struct cfg_incidents {
	int64_t group_gap_ms;       /* group_gap: 5m */
	int64_t quiet_period_ms;    /* quiet_period: 10m */
	int64_t ticket_after_ms;    /* ticket_after: 30m */
	int64_t keep_resolved_ms;   /* keep_resolved: 1h (in memory; the store keeps all) */
	int64_t episode_gap_ms;     /* episode_gap: 30m (one page per episode; 0 = off) */
	char instance[VG_NAME_MAX]; /* dedup key prefix and alert "instance" ("vigil") */
	char runbook_base[256];     /* prefix of runbook links ("" = repository paths) */
	char console_url[256];      /* generatorURL / client_url ("" = none) */
};

/* `metrics:` the /metrics endpoint. */
struct cfg_metrics {
	char listen[64];    /* "127.0.0.1:9464"; port 0 picks a free port (logged) */
	int32_t max_models; /* model names with their own gen_ai_* series: 10 (rest "other") */
};

/* `events:` the gateway event files the daemon follows (data/ingest): a path
 * or a glob each, with the format of its lines. */
#define CFG_MAX_EVENT_FILES 16
struct cfg_events_file {
	char path[CFG_PATH_MAX]; /* "logs/gateway-*.jsonl" (relative to the working directory) */
	int format;              /* enum decode_format: auto (default), vigil, otlp */
};

/* `sinks:` where incidents go (data/sinks). Secrets (routing keys, tokens)
 * are never in the file: secret_env names the environment variable. */
#define CFG_MAX_SINKS 8
struct cfg_sink {
	char name[VG_NAME_MAX];     /* unique; the outbox's sink name */
	int kind;                   /* enum sink_kind: pagerduty, alertmanager, webhook, jira */
	char url[CFG_URL_MAX];      /* PagerDuty: the enqueue URL; Alertmanager: its base URL;
	                          * webhook: the URL; Jira: the base URL (".../rest/api/2/issue"
	                          * is appended) */
	char secret_env[64];        /* PagerDuty routing key, webhook/Jira token; "" = none */
	int auth;                   /* enum sink_auth (webhook, jira): bearer (default) or
	                          * basic (the variable holds "user:token") */
	char min_severity[16];      /* "critical".."low"; default high (pagerduty, alertmanager),
	                          * low (webhook, jira) */
	int min_severity_value;     /* enum severity, set by the loader from min_severity */
	int64_t timeout_ms;         /* per delivery attempt (10s) */
	int64_t resend_interval_ms; /* alertmanager: re-send firing alerts (1m) */
	int64_t resolve_timeout_ms; /* alertmanager: keep sending resolved ones (5m) */
	int64_t silence_ms;         /* alertmanager: silence length on acknowledge (4h) */
	char project[32];           /* jira: project key (OPS) */
	char issue_type[32];        /* jira: issue type (Task) */
};

/* `monitor:` when vigil raises incidents about itself (kind monitor). */
struct cfg_monitor {
	int64_t gateway_quiet_ms; /* gateway_quiet: no gateway event for this long is a
	                           * gateway_quiet incident; 0 = off (the default: sparse
	                           * traffic may be quiet for hours) */
	int64_t sidecar_lag_ms;   /* sidecar_lag: the oldest queued semantic analysis
	                           * waiting this long is a sidecar_blind_spot incident
	                           * (60s); 0 = only a full queue */
};

/* `probes:` the canary probes (probes/canary). */
enum cfg_probe_models { PROBE_MODELS_ALL, PROBE_MODELS_FIRST };
struct cfg_probes {
	bool enabled;               /* false: no canaries at all (default true) */
	int64_t interval_ms;        /* interval: 60s between one endpoint's probes */
	int64_t jitter_ms;          /* jitter: 10s (less than interval) */
	int64_t connect_timeout_ms; /* connect_timeout: 5s (DNS + TCP + TLS) */
	int64_t timeout_ms;         /* timeout: 20s, the whole probe */
	int32_t max_tokens;         /* max_tokens: 16, the completion's limit */
	int64_t max_body;           /* max_body: 1048576 response bytes kept */
	double daily_budget_usd;    /* per provider per UTC day (1.0); 0: no limit */
	bool availability;          /* also GET the model list (free), per provider */
	int models;                 /* enum cfg_probe_models: all (default) or first */
	int64_t seed;               /* schedule seed; 0: one derived from incidents.instance */
};

/* `baselines:` the learned normal per series and hour of the week
 * (core/baseline, docs/baselines.md). The settings are core's struct; the
 * keys given as durations land in the *_ms members below and are converted
 * by config_baseline_settings(). */
struct cfg_baselines {
	struct baseline_settings s;
	int64_t gateway_bucket_ms;   /* window.gateway_bucket: 1m */
	int64_t probe_bucket_ms;     /* window.probe_bucket: 5m */
	int64_t edge_ms;             /* edge: 15m */
	int64_t marker_window_ms;    /* step.marker_window: 12h */
	int64_t minute_retention_ms; /* retention.minutes: 14d of minute rollups */
	int64_t hour_retention_ms;   /* retention.hours: 365d of hour rollups */
};

struct vigil_config {
	char file[CFG_PATH_MAX]; /* where it was loaded from ("" for defaults) */
	struct cfg_store store;
	struct cfg_provider providers[CFG_MAX_PROVIDERS];
	size_t n_providers;
	struct core_settings thresholds;
	struct cfg_semantic semantic;
	struct cfg_incidents incidents;
	struct cfg_metrics metrics;
	struct cfg_sink sinks[CFG_MAX_SINKS];
	size_t n_sinks;
	struct cfg_events_file events[CFG_MAX_EVENT_FILES];
	size_t n_events;
	struct cfg_monitor monitor;
	struct cfg_probes probes;
	struct cfg_baselines baselines;
};

/* ---- the table-driven loader (for sections added by other modules) ---- */

enum cfg_type {
	CFG_T_STRING,   /* char[size] */
	CFG_T_INT,      /* int32_t or int64_t (by size) */
	CFG_T_DOUBLE,   /* double */
	CFG_T_BOOL,     /* bool */
	CFG_T_DURATION, /* int64_t ms, written "500ms", "30s", "5m", "1h" */
	CFG_T_ENUM,     /* int, one of names[] */
	CFG_T_MAP,      /* a nested mapping described by fields[] */
	CFG_T_LIST,     /* a sequence of mappings described by fields[] */
	CFG_T_DATES,    /* a sequence of "YYYY-MM-DD" (UTC) into int32_t days since
	                 * 1970-01-01; count_offset, max as for LIST */
};

struct cfg_field {
	const char *key;
	enum cfg_type type;
	size_t offset;
	size_t size; /* STRING: buffer size; INT: 4 or 8; LIST: element size */
	bool required;
	const char *const *names;       /* ENUM: NULL-terminated */
	const struct cfg_field *fields; /* MAP, LIST: NULL-key-terminated */
	size_t count_offset;            /* LIST: offset of the size_t count */
	size_t max;                     /* LIST: capacity */
	double lo, hi;                  /* INT, DOUBLE, DURATION: range when lo < hi */
};

#define CFG_MEMBER_SIZE(T, m) sizeof(((T *)0)->m)
#define CFG_STR(T, m, req)                                                                         \
	{                                                                                          \
		.key = #m, .type = CFG_T_STRING, .offset = offsetof(T, m),                         \
		.size = CFG_MEMBER_SIZE(T, m), .required = req                                     \
	}
#define CFG_INT(T, m, l, h)                                                                        \
	{                                                                                          \
		.key = #m, .type = CFG_T_INT, .offset = offsetof(T, m),                            \
		.size = CFG_MEMBER_SIZE(T, m), .lo = l, .hi = h                                    \
	}
#define CFG_DBL(T, m, l, h)                                                                        \
	{                                                                                          \
		.key = #m, .type = CFG_T_DOUBLE, .offset = offsetof(T, m), .size = sizeof(double), \
		.lo = l, .hi = h                                                                   \
	}
#define CFG_BOOL(T, m)                                                                             \
	{                                                                                          \
		.key = #m, .type = CFG_T_BOOL, .offset = offsetof(T, m), .size = sizeof(bool)      \
	}
#define CFG_DUR(k, T, m, l, h)                                                                     \
	{                                                                                          \
		.key = k, .type = CFG_T_DURATION, .offset = offsetof(T, m),                        \
		.size = sizeof(int64_t), .lo = l, .hi = h                                          \
	}
#define CFG_ENUM(T, m, n, req)                                                                     \
	{                                                                                          \
		.key = #m, .type = CFG_T_ENUM, .offset = offsetof(T, m), .size = sizeof(int),      \
		.names = n, .required = req                                                        \
	}
#define CFG_MAP(k, T, m, f)                                                                        \
	{                                                                                          \
		.key = k, .type = CFG_T_MAP, .offset = offsetof(T, m), .fields = f                 \
	}
#define CFG_LIST(k, T, m, count, f, req)                                                           \
	{                                                                                          \
		.key = k, .type = CFG_T_LIST, .offset = offsetof(T, m),                            \
		.size = sizeof(((T *)0)->m[0]), .required = req, .fields = f,                      \
		.count_offset = offsetof(T, count),                                                \
		.max = sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0])                                \
	}
#define CFG_END                                                                                    \
	{                                                                                          \
		.key = NULL                                                                        \
	}

/* Fill *cfg with every default (no providers, store "vigil.db", settings_defaults()). */
void config_defaults(struct vigil_config *cfg);

/*
 * Load a YAML file over the defaults. Returns 0, or VG_ECONFIG / VG_EIO with
 * a malloc'd message in *cause naming file, line and key (caller frees).
 * On error *cfg holds the defaults plus whatever was read before the error.
 */
int config_load(struct vigil_config *cfg, const char *path, char **cause);

/* The same, from a string; `name` stands for the file name in messages. */
int config_load_string(struct vigil_config *cfg, const char *yaml, size_t len, const char *name,
                       char **cause);

/* The incident settings of the `incidents:` section. */
void config_incident_settings(const struct vigil_config *cfg, struct incident_settings *s);

/* The routes of the `sinks:` section (at most max, in file order) and the
 * payload options of `incidents:` and the sinks; returns the count. */
size_t config_routes(const struct vigil_config *cfg, struct route_sink *sinks, size_t max,
                     struct payload_options *o);

/* The sinks of the `sinks:` section as data/sinks takes them (at most max,
 * in file order); returns the count. */
size_t config_sink_specs(const struct vigil_config *cfg, struct sink_spec *out, size_t max);

/* Split a listen address ("127.0.0.1:9464", "[::1]:0", ":9464" = all
 * interfaces) into host and port. Returns 0 or VG_EINVAL. */
int config_split_listen(const char *listen, char *host, size_t host_size, int *port);

/* The provider named `name`, or NULL. */
const struct cfg_provider *config_provider(const struct vigil_config *cfg, const char *name);

/* The canary probes' options (probes/canary): the probes section and every
 * provider with its models and prices. */
void config_canary(const struct vigil_config *cfg, struct canary_config *out);

/* The `baselines:` section as core takes it (durations converted). */
void config_baseline_settings(const struct vigil_config *cfg, struct baseline_settings *out);

/* The series the deployment's budget counts (core/baseline.h): per
 * configured provider its aggregate and one series per configured model
 * alias, for gateway traffic and (when probes are enabled) for probes. */
void config_baseline_series(const struct vigil_config *cfg, size_t *gateway, size_t *probe);

/* The configured providers as the pipeline takes them (name, role, models
 * with prices and per-model breakers). Writes at most max; returns how many. */
size_t config_pipeline_providers(const struct vigil_config *cfg, struct pipeline_provider *out,
                                 size_t max);

#endif
