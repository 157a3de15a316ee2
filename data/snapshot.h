/*
 * snapshot.h: what the console shows, as plain data. A builder fills one
 * from the database (data/console_read.c, read-only, cheap queries over
 * rollups) or from a JSON file (tui/snapshot_json.c: tests, the bench);
 * the panes (tui/) only read it. It lives in data/ because data/ fills it
 * and data/ may not include tui/; it needs nothing but core/ and libc.
 * Building and drawing are separate so that panes are tested without a
 * terminal and the console can attach to a database that another process
 * writes.
 *
 * Every string in a snapshot has been through core/sanitize: whatever came
 * from outside (model names from the gateway's file, provider messages,
 * operator notes) is inert text by the time a pane sees it. Times are ms
 * since the epoch; ages are computed against `now_ms`, so a snapshot draws
 * the same screen whenever it is drawn. "Not measured" is NaN (doubles) or
 * VG_NONE (integers), and panes show it as "-".
 *
 * struct snapshot is large (fixed-capacity arrays, no pointers): allocate it
 * with snapshot_new(), copy it with memcpy.
 */
#ifndef VIGIL_DATA_SNAPSHOT_H
#define VIGIL_DATA_SNAPSHOT_H

#include "core/model.h"
#include "core/triage.h"

#define SNAP_MAX_PROVIDERS   32
#define SNAP_SPARK_N         48 /* latency history points per provider */
#define SNAP_MAX_TRANSITIONS 128
#define SNAP_MAX_INCIDENTS   256
#define SNAP_MAX_RELATED     4
#define SNAP_MAX_SAMPLES     3
#define SNAP_MAX_TIMELINE    24
#define SNAP_TEXT_MAX        160
#define SNAP_MAX_REVIEWS     32

/* Error rate by type, as the health pane's columns show them. */
enum snap_err {
	SNAP_ERR_RATE_LIMIT,
	SNAP_ERR_SERVER, /* 5xx and overloaded */
	SNAP_ERR_TIMEOUT,
	SNAP_ERR_CONTENT_FILTER,
	SNAP_ERR_OTHER, /* transport, auth, quota, invalid request, ... */
	SNAP_ERR__COUNT
};

/* One health row: a provider/model (model "" = the provider as a whole). */
struct snap_provider {
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX];
	bool fallback;       /* configured as a fallback */
	int64_t requests;    /* requests in the health window */
	double availability; /* share of non-error answers, 0..1 */
	double p50_ms, p95_ms, p99_ms;
	double latency_threshold_ms; /* the provider's latency threshold, NaN = none */
	float spark[SNAP_SPARK_N];   /* p95 latency per step, oldest first; NaN = no data */
	int n_spark;
	int64_t spark_step_ms;            /* time per sparkline point */
	double err_rate[SNAP_ERR__COUNT]; /* shares of requests, 0..1 */
	double tokens_per_s;              /* output tokens per second of wall time */
	double quality;                   /* composite quality score, 0..1 */
	double cost_efficiency;  /* observed $ per 1k tokens / configured price (1 = as priced) */
	double rl_headroom;      /* lowest remaining/limit (requests or tokens), 0..1 */
	double probe_spend_usd;  /* canary spend today */
	double probe_budget_usd; /* daily probe budget; NaN = none */
	bool has_breaker;        /* false: a model sharing its provider's breaker */
	enum breaker_state breaker;
	int64_t breaker_since_ms; /* VG_NONE when never changed */
	bool oscillating;
	/* Baselines (docs/baselines.md, "warm"), by source (enum obs_source:
	 * gateway, probe): the share of warm slots of this row's series (the
	 * provider's aggregate for a provider row, the model's alias series for
	 * a model row), over latency and availability; NaN when it has no
	 * model. And the samples an hour the series saw lately (NaN unknown). */
	double warm[2];
	double per_hour[2];
};

/* Taxonomy counts: failure events per window x category x severity. The
 * category axis includes CAT_MONITOR (vigil's own health) after the five. */
enum snap_window { SNAP_W_5M, SNAP_W_1H, SNAP_W_24H, SNAP_W__COUNT };

enum snap_inc_state { SNAP_INC_OPEN, SNAP_INC_ACKED, SNAP_INC_RESOLVED, SNAP_INC__COUNT };

struct snap_incident {
	int64_t id;
	enum severity severity;
	enum category category;
	enum subtype subtype;
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX];
	int64_t count; /* failure events grouped in it */
	int64_t first_ms, last_ms;
	enum snap_inc_state state;
	int64_t state_ms;           /* when acknowledged or resolved, VG_NONE otherwise */
	char acked_by[VG_NAME_MAX]; /* "" when not acknowledged */
	int64_t related[SNAP_MAX_RELATED];
	int n_related;
	char summary[SNAP_TEXT_MAX]; /* one line: what happened */
	bool triaged;                /* a wizard path is recorded */
	bool pending;                /* an operator action waits for the daemon */
};

/* The detail of one incident (the one the console has open). */
struct snap_sample {
	char label[12]; /* "first", "worst", "latest" */
	int64_t time_ms;
	char text[SNAP_TEXT_MAX]; /* causal signals in one line */
};

enum snap_tl_kind {
	SNAP_TL_OPENED,
	SNAP_TL_EVENT,
	SNAP_TL_ESCALATED,
	SNAP_TL_TRANSITION, /* a breaker moved */
	SNAP_TL_ACK,
	SNAP_TL_NOTE,
	SNAP_TL_TRIAGE,
	SNAP_TL_NOTIFIED, /* a sink delivered */
	SNAP_TL_RESOLVED,
	SNAP_TL__COUNT
};

struct snap_timeline {
	int64_t time_ms;
	enum snap_tl_kind kind;
	char text[SNAP_TEXT_MAX];
};

struct snap_detail {
	int64_t incident_id; /* 0: nothing loaded */
	struct snap_sample samples[SNAP_MAX_SAMPLES];
	int n_samples;
	struct snap_timeline timeline[SNAP_MAX_TIMELINE]; /* oldest first */
	int n_timeline;
	char triage_path[900]; /* the recorded wizard path as readable steps, one a line */
	/* The incident's own evidence for the triage wizard: its provider,
	 * models and templates over the minutes it spans (see
	 * triage_evidence.from_ms), the hour before as the reference. */
	bool has_evidence;
	struct triage_evidence evidence;
};

/* A baseline review item (docs/baselines.md, "Review"): a step a weekly
 * refresh found, waiting for an operator to accept it (the baseline absorbs
 * it) or reject it (the old baseline stays), or decided. */
enum snap_review_state { SNAP_REV_WAITING, SNAP_REV_ACCEPTED, SNAP_REV_REJECTED, SNAP_REV__COUNT };

struct snap_review {
	int64_t id;
	char provider[VG_NAME_MAX];
	char alias[VG_MODEL_MAX];   /* "" = the provider's aggregate series */
	bool probe;                 /* the probes' series, else gateway traffic */
	char metric[24];            /* "latency", ... (core/baseline's names) */
	double before, after;       /* the slot's usual value before the step and after it,
	                           * in the metric's unit (ms, share, tokens/s, $/1k);
	                           * NaN when unknown (the model is gone or decided) */
	double delta, z;            /* ln size of the step, its significance */
	bool near_marker;           /* a model-version change near the step */
	char model[VG_MODEL_MAX];   /* the version seen after the step ("" none) */
	char detail[SNAP_TEXT_MAX]; /* the stored text: "latency +78% since Wed 12:00 UTC" */
	int64_t at_ms, created_ms;  /* the step's hour; the refresh that found it */
	enum snap_review_state state;
	char actor[VG_NAME_MAX]; /* who decided ("" while waiting) */
	int64_t decided_ms;      /* VG_NONE while waiting */
	bool pending;            /* an accept or reject waits for the daemon */
};

/* How far the baselines have learned, by source (gateway, probe). */
struct snap_learning {
	int series[2];           /* series with a model; 0: nothing learned (not shown) */
	double warm[2];          /* mean share of warm slots over them (latency, availability) */
	double per_hour[2];      /* samples an hour of a series lately (mean), NaN unknown */
	double weeks_to_warm[2]; /* at that rate (baseline_weeks_to_warm()), NaN unknown */
};

struct snapshot {
	int64_t now_ms;
	char source[200];         /* what it was built from ("/tmp/vigil-demo.x/vigil.db") */
	int64_t last_data_ms;     /* newest row the daemon wrote, VG_NONE when unknown */
	int64_t last_gateway_ms;  /* end of the newest gateway event (not probes), VG_NONE */
	int64_t health_window_ms; /* the window health rows cover */

	struct snap_provider providers[SNAP_MAX_PROVIDERS];
	int n_providers;

	struct breaker_transition transitions[SNAP_MAX_TRANSITIONS]; /* newest first */
	int n_transitions;

	int64_t taxonomy[SNAP_W__COUNT][CAT__COUNT][SEV__COUNT];

	/* Open and acknowledged first (by severity, then newest), then resolved. */
	struct snap_incident incidents[SNAP_MAX_INCIDENTS];
	int n_incidents;

	struct snap_detail detail;

	/* Baseline review items: the waiting ones (oldest first), then the
	 * latest decided ones (newest first). */
	struct snap_review reviews[SNAP_MAX_REVIEWS];
	int n_reviews;
	int n_reviews_waiting; /* all that wait, listed or not */
	struct snap_learning learning;

	/* Live numbers for the triage wizard: all providers, and per provider
	 * (the same order as `providers`, by provider name). */
	struct triage_evidence evidence;
	struct triage_evidence provider_evidence[SNAP_MAX_PROVIDERS];
};

/* A zeroed snapshot with every measurement "not measured". NULL when out of
 * memory. Free with snapshot_free(). */
struct snapshot *snapshot_new(void);

/* Free a snapshot; NULL does nothing. */
void snapshot_free(struct snapshot *s);

/* Reset to the state snapshot_new() returns. */
void snapshot_reset(struct snapshot *s);

/* Set every measurement of a health row to "not measured". */
void snapshot_provider_init(struct snap_provider *p);

/* Open (not resolved) incidents of kind monitor, in display order: writes at
 * most max pointers into out and returns how many there are in total. */
int snapshot_monitor_incidents(const struct snapshot *s, const struct snap_incident **out, int max);

/* The incident with this id, or NULL. */
const struct snap_incident *snapshot_find_incident(const struct snapshot *s, int64_t id);

/* The evidence for a provider name ("" or unknown: all providers). */
const struct triage_evidence *snapshot_evidence_for(const struct snapshot *s, const char *provider);

/* Names for display ("open", "acked", "resolved"; "opened", "event", ...). Static. */
const char *snapshot_inc_state_name(enum snap_inc_state st);
const char *snapshot_tl_kind_name(enum snap_tl_kind k);
const char *snapshot_window_name(enum snap_window w);              /* "5 min", "1 h", "24 h" */
const char *snapshot_review_state_name(enum snap_review_state st); /* "waiting", ... */

/* The review item with this id, or NULL. */
const struct snap_review *snapshot_find_review(const struct snapshot *s, int64_t id);

#endif
