/*
 * sim_scenario.h: a scenario, the script both halves of the simulator play
 * (the provider server and the gateway generator), so that probes and
 * gateway traffic tell one story.
 *
 * A scenario names its providers (kind, models with prices, regions with
 * traffic weights, baseline latency and rate limits), the gateway's traffic
 * (templates, traffic classes, routes, retry policy) and a list of phases.
 * A phase switches one fault on for a scope (provider, model, region,
 * template) from `at` for `for`, with a share of affected requests and
 * fault parameters that may follow piecewise-linear curves over the phase.
 *
 * Scenario files are YAML (JSON is YAML too); the shipped ones are embedded
 * in the binary and found by name. A bad field is rejected with
 * "file:line:col: path.to.field: reason". A loaded scenario is plain data
 * (struct sim_scenario, no pointers): copy it freely, free it with free().
 */
#ifndef VIGIL_SIM_SCENARIO_H
#define VIGIL_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NAME_MAX      64
#define SIM_MAX_PROVIDERS 8
#define SIM_MAX_MODELS    24
#define SIM_MAX_REGIONS   8
#define SIM_MAX_TEMPLATES 12
#define SIM_MAX_ROUTE     4
#define SIM_MAX_PHASES    96
#define SIM_CURVE_MAX     16
#define SIM_MAX_ALSO      4
#define SIM_MAX_RHYTHM    16
#define SIM_TIME_END      INT64_MAX
#define SIM_DEFAULT_START "2026-11-27T10:00:00Z" /* a scenario's start without its own */

enum sim_kind { SIM_OPENAI, SIM_ANTHROPIC, SIM_GOOGLE, SIM_KIND__COUNT };

/* Fault kinds. The first group decides the transport/HTTP outcome of a
 * request; the second shapes a 200 response; the third is the gateway's own. */
enum sim_fault {
	SIM_F_NONE,
	/* transport and HTTP errors */
	SIM_F_DNS,          /* gateway: transport.error dns; server: reset at once */
	SIM_F_CONNECT,      /* gateway: transport.error connect; server: reset at once */
	SIM_F_RESET,        /* connection reset after the request was read */
	SIM_F_HANG,         /* accept, read, never answer */
	SIM_F_TRUNCATED,    /* 200 whose body is cut short by a closed connection */
	SIM_F_RATE_LIMIT,   /* 429 rate limit (counters or a share) */
	SIM_F_QUOTA,        /* quota / billing exhausted (never retry) */
	SIM_F_SPEND_CAP,    /* organisation spend cap reached (never retry) */
	SIM_F_SERVER_ERROR, /* 500 */
	SIM_F_UNAVAILABLE,  /* 503 */
	SIM_F_OVERLOADED,   /* 529 (Anthropic), 503 overloaded elsewhere */
	SIM_F_TIMEOUT,      /* 504 */
	SIM_F_AUTH,         /* 401 / Gemini 400 API_KEY_INVALID */
	SIM_F_HTML_413,     /* HTML 413 from the CDN in front of the API */
	/* 200-status answers */
	SIM_F_STREAM_ERROR, /* 200, then an error event mid-stream */
	SIM_F_SAFETY_BLOCK, /* safety block / refusal / content filter */
	SIM_F_LENGTH,       /* finish reason length / max_tokens */
	SIM_F_LATENCY,      /* latency distribution, ramps, body drip */
	SIM_F_TOKEN_INFLATION,
	SIM_F_CONTEXT_STUFFING,
	SIM_F_HALLUCINATION,
	SIM_F_REGRESSION,
	SIM_F_FORMAT_VIOLATION,
	SIM_F_COHERENCE,
	SIM_F_PROMPT_INJECTION,
	SIM_F_JAILBREAK,
	SIM_F_PII_LEAK,
	SIM_F_STALE_CONTEXT,
	SIM_F_EMBEDDING_DRIFT,
	/* the gateway's own */
	SIM_F_RETRY_STORM,
	/* no effect: a truth-file entry only (e.g. breaker oscillation over waves) */
	SIM_F_MARKER,
	SIM_F__COUNT
};

/* A piecewise-linear curve over time (ms from the phase start). n == 0 means
 * "not given"; one point is a constant. Before the first point the first
 * value holds, after the last the last. */
struct sim_curve {
	int n;
	int64_t t[SIM_CURVE_MAX];
	double v[SIM_CURVE_MAX];
};

struct sim_model {
	char name[SIM_NAME_MAX];    /* what clients send ("gpt-4o-mini") */
	char version[SIM_NAME_MAX]; /* what responses report ("gpt-4o-mini-2024-07-18") */
	double price_in_per_1k, price_out_per_1k;
	int context_tokens; /* context window; larger prompts get the provider's 400 */
};

struct sim_region {
	char name[SIM_NAME_MAX];
	double weight; /* share of this provider's traffic */
};

struct sim_provider {
	char name[SIM_NAME_MAX];
	enum sim_kind kind;
	char key_alias[SIM_NAME_MAX];
	struct sim_model models[SIM_MAX_MODELS];
	int n_models;
	struct sim_region regions[SIM_MAX_REGIONS];
	int n_regions;
	double median_ms, p95_ms; /* baseline total latency of a non-streamed answer */
	double error_ms;          /* median latency of an error answer */
	int64_t rpm, tpm;         /* baseline limits per model per minute */
};

struct sim_template {
	char name[SIM_NAME_MAX];
	char traffic_class[16]; /* revenue, compliance, internal, experimental */
	char content[16];       /* support, kyc, search, creative: what the text looks like */
	char schema_id[SIM_NAME_MAX];
	double weight;
	int prompt_tokens;        /* predicted input tokens (prompt construction) */
	int output_tokens;        /* typical output tokens */
	double stream;            /* share of streamed requests */
	bool rag;                 /* retrieval: context.* fields */
	bool share_text;          /* the gateway logs response.text */
	int route[SIM_MAX_ROUTE]; /* provider indices: primary, then fallbacks */
	int n_route;
	int model[SIM_MAX_ROUTE]; /* model index per route entry */
};

struct sim_traffic {
	double rate;          /* requests per second (scenario time) */
	int max_retries;      /* retries on the same provider before failing over */
	int64_t timeout_ms;   /* per attempt */
	int breaker_failures; /* consecutive failures that cool a provider down */
	int64_t cooldown_ms;
	struct sim_curve shape; /* rate multiplier over scenario time (absolute) */
	struct sim_template templates[SIM_MAX_TEMPLATES];
	int n_templates;
};

/* The rhythm: hours of the scenario's own clock (its `start` plus scenario
 * time) that are busier or slower than the rest. The first entry that
 * matches a moment holds; outside every entry both factors are 1. */
struct sim_rhythm_hours {
	uint8_t days;              /* weekdays, bit 0 = Monday; 0 = every day */
	int32_t date;              /* days since 1970-01-01, or SIM_RHYTHM_ANY_DATE */
	int64_t from_ms, until_ms; /* time of day [from, until) */
	double rate;               /* multiplies traffic.rate */
	double latency;            /* multiplies the providers' latency */
};
#define SIM_RHYTHM_ANY_DATE INT32_MIN

struct sim_rhythm {
	struct sim_rhythm_hours hours[SIM_MAX_RHYTHM];
	int n;
	struct sim_curve trend; /* latency factor over scenario time (a slow drift) */
};

struct sim_phase {
	char name[SIM_NAME_MAX];
	enum sim_fault fault;
	int provider;               /* index, -1 = every provider */
	char model[SIM_NAME_MAX];   /* "" = every model (matches name or version) */
	char region[SIM_NAME_MAX];  /* "" = every region */
	int template_idx;           /* -1 = every template (gateway only) */
	int64_t at_ms, end_ms;      /* end_ms is SIM_TIME_END when open */
	struct sim_curve share;     /* share of requests affected (default 1) */
	struct sim_curve median_ms; /* latency */
	struct sim_curve p95_ms;
	struct sim_curve factor;     /* latency multiplier, token factor */
	struct sim_curve rpm, tpm;   /* rate_limit: limits during the phase */
	struct sim_curve value;      /* doc_age_s, similarity */
	int64_t drip_ms;             /* latency: pause between body chunks */
	int chunk_bytes;             /* latency: chunk size for the drip */
	int retries;                 /* retry_storm: retries the gateway makes */
	double invalid;              /* retry_storm: share of invalid answers */
	bool prompt_block;           /* safety_block: the prompt (not the output) is blocked */
	char version[SIM_NAME_MAX];  /* model version reported while active ("" = unchanged) */
	bool truth;                  /* listed in the truth file (default true) */
	char category[16];           /* truth: failure category (default per fault) */
	char subtype[32];            /* truth: subtype (default per fault) */
	int64_t detect_after_ms;     /* truth: detectable this long after onset (-1 = at onset) */
	char also[SIM_MAX_ALSO][48]; /* truth: related "category/subtype" the fault also causes */
	int n_also;
	char note[160];
	int line; /* line in the scenario file */
};

struct sim_scenario {
	char name[SIM_NAME_MAX];
	char description[320];
	char file[256];   /* where it came from (for messages) */
	int64_t start_ms; /* its own clock at t = 0 (key start; default 2026-11-27T10:00:00Z):
	                     the rhythm's weekdays and hours, and the gateway's default --start */
	int64_t duration_ms;
	uint64_t seed;
	struct sim_provider providers[SIM_MAX_PROVIDERS];
	int n_providers;
	struct sim_traffic traffic;
	struct sim_phase phases[SIM_MAX_PHASES];
	int n_phases;
	struct sim_rhythm rhythm;
};

/* ---- names ---- */

const char *sim_kind_name(enum sim_kind k);
const char *sim_fault_name(enum sim_fault f);
/* The fault named s, or -1. */
int sim_fault_parse(const char *s);
/* Default truth category and subtype of a fault (vigil's spelling). */
const char *sim_fault_category(enum sim_fault f);
const char *sim_fault_subtype(enum sim_fault f);
/* Faults that decide the HTTP/transport outcome (DNS .. HTML_413, STREAM_ERROR,
 * SAFETY_BLOCK, LENGTH) as opposed to shaping content or latency. */
bool sim_fault_is_outcome(enum sim_fault f);

/* ---- loading ---- */

/*
 * Load a scenario by shipped name ("calm", "oncall-day", ...) or from a file
 * path (anything with a '/' or ending in .yaml/.yml/.json). On success *out
 * is a malloc'd scenario (free with free()) and 0 is returned. On error
 * returns VG_ECONFIG / VG_EIO / VG_ENOTFOUND / VG_ENOMEM and, when cause is
 * not NULL, a malloc'd message naming file, line and field (caller frees).
 */
int sim_scenario_load(const char *name_or_path, struct sim_scenario **out, char **cause);

/* The same from text; `file` names it in messages. */
int sim_scenario_parse(const char *text, size_t len, const char *file, struct sim_scenario **out,
                       char **cause);

/* Names of the shipped scenarios, NULL-terminated (static). */
const char *const *sim_scenario_builtin_names(void);

/* The text of a shipped file ("scenarios/calm.yaml", "schemas/x.json"), or
 * NULL; *len gets its length. Static. */
const char *sim_scenario_builtin_file(const char *relpath, size_t *len);

/* Index of the provider / template named s, or -1. */
int sim_scenario_provider(const struct sim_scenario *s, const char *name);
int sim_scenario_template(const struct sim_scenario *s, const char *name);
/* Index of the model of provider p that a client names (name or version), or -1. */
int sim_scenario_model(const struct sim_scenario *s, int p, const char *model);

#endif
