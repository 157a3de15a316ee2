/*
 * pipeline_internal.h: what core/pipeline*.c share (not for other modules):
 * the pipeline's state (struct pipeline, its entities and their sliding
 * window's slots), the small helpers of the hot path as static inline
 * functions (splitting the pipeline by job must cost no call per
 * observation), and the functions the files hand each other:
 *
 *   pipeline.c         life cycle, the entry points with stages 1 to 4
 *                      (time, semantic checks, taxonomy, windows, failover
 *                      evidence, breakers, health), stage 6's glue,
 *                      incident settings and operator actions
 *   pipeline_entity.c  the entity table (find or create) and the read API
 *   pipeline_scope.c   the incident scopes (template x traffic class) whose
 *                      windows quality, cost and security are judged in
 *   pipeline_events.c  stage 5: failure events from signals, the severity
 *                      snapshot, escalation, oscillation, early warnings
 *   pipeline_baseline.c  stage 5c: baselines (fold, judge, verdicts as
 *                      events, rollups, the refresh job, review actions)
 */
#ifndef VIGIL_CORE_PIPELINE_INTERNAL_H
#define VIGIL_CORE_PIPELINE_INTERNAL_H

#include "core/pipeline.h"

#include "core/breaker.h"
#include "core/health.h"
#include "core/severity.h"
#include "core/strmap.h"
#include "core/swin.h"
#include "core/taxonomy.h"

#include <string.h>

#define HASH_SLOTS 1024 /* power of two, > 2 * PIPELINE_MAX_ENTITIES */
_Static_assert(HASH_SLOTS >= 2 * PIPELINE_MAX_ENTITIES, "hash table load");

/* Counters of the provider's sliding window (struct swin slots). */
enum {
	SL_TOTAL,
	SL_HARD,     /* requests with a hard provider failure */
	SL_PROVIDER, /* requests with any provider failure, hard or soft */
	SL_QUALITY,  /* requests with a failure of each other category */
	SL_COST,
	SL_SECURITY,
	SL_DATA,
	SL_RATE_LIMIT, /* soft provider subtypes, one slot each */
	SL_LATENCY,
	SL_TRUNCATION,
	SL_CONTENT_FILTER,
	SL_INVALID,
	SL_OTHER,
	SL__COUNT
};
_Static_assert(SL__COUNT <= SWIN_SLOTS, "window slots");

/* Sustained-MEDIUM bookkeeping of one provider and category. */
struct escalation {
	int64_t since_ms; /* first MEDIUM of the current stream, VG_NONE when none */
	int64_t last_ms;  /* latest MEDIUM */
};

struct entity {
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX]; /* "" for the provider-wide entity */
	uint32_t hash;
	int32_t index;  /* position in the pipeline's table (creation order) */
	int32_t parent; /* index of the provider entity, -1 for a provider */
	bool configured;
	bool fallback;
	const struct pipeline_model *cfg_model; /* configured model it matches, or NULL */
	bool has_breaker;
	struct breaker breaker;
	struct swin win;               /* provider entities only */
	int64_t failover_ok_ms;        /* a successful fallback request after this one failed */
	int64_t failover_fail_ms;      /* a failed one */
	char failover_to[VG_NAME_MAX]; /* the provider of that successful fallback request */
	/* How the latest request with a failure event here was selected (the
	 * failover chain alerts carry): enum selection_reason (SEL__COUNT
	 * unknown), the provider it fell back from, the attempt (-1 unknown). */
	int8_t sel_reason;
	char sel_after[VG_NAME_MAX];
	int32_t sel_attempt;
	int64_t headroom_warned_ms; /* last rate-limit early warning, VG_NONE */
	struct health health;
	struct escalation esc[CAT_TAXONOMY_COUNT];
	int64_t first_seen_ms, last_seen_ms;
	/* Baselines (pipeline_baseline.c), by enum obs_source: a provider's
	 * aggregate series, a model's alias series; NULL until first fed. */
	struct pbl_series *bls[2];
};

/* The scope of quality, cost and security incidents: one template and
 * traffic class (pipeline_scope.c). Slots SL_TOTAL and the category slots. */
#define PIPELINE_MAX_SCOPES 256
#define SCOPE_SLOTS         512 /* power of two, > 2 * PIPELINE_MAX_SCOPES */
_Static_assert(SCOPE_SLOTS >= 2 * PIPELINE_MAX_SCOPES, "scope hash load");

struct scope {
	char template_id[VG_TEMPLATE_MAX];
	int traffic_class; /* enum traffic_class, TC_UNSET included */
	uint32_t hash;
	struct swin win;
};

struct redact;

struct pipeline {
	struct core_settings settings;
	const struct redact *redact; /* borrowed; NULL masks the key shapes only */
	struct severity_table sev;
	struct pipeline_provider *providers;
	size_t n_providers;

	int64_t now; /* high-water mark, VG_NONE before the first call */
	uint64_t next_id;

	struct entity **ents;
	size_t n_ents;
	int32_t hash[HASH_SLOTS]; /* entity index + 1; 0 = empty */
	struct swin global;       /* slot 0: all requests (blast radius denominator) */
	struct scope *scopes[PIPELINE_MAX_SCOPES];
	size_t n_scopes;
	int32_t scope_hash[SCOPE_SLOTS]; /* scope index + 1; 0 = empty */

	uint64_t tax_counts[CAT__COUNT][SEV__COUNT];
	uint64_t observations;

	/* Effects of the current call. */
	struct failure_event events[PIPELINE_MAX_EVENTS];
	size_t n_events;
	struct breaker_transition *transitions;
	size_t n_transitions, cap_transitions;

	/* Stage 6: incidents and their routing. */
	struct incidents *incidents;
	struct route_sink sinks[PIPELINE_MAX_SINKS];
	size_t n_sinks;
	struct payload_options popts;
	struct route_buf routes;
	int stage6_err; /* VG_ENOMEM from stage 6 in the current call */

	/* Stage 2: the semantic checks' state (centroids, windows, baselines). */
	struct semantic *sem;
	bool sem_deferred; /* the current observation's text work was deferred */

	/* Stage 5c: baselines; NULL when off (pipeline_baseline.c), and the
	 * baseline effects of the current call (here, so that every call
	 * clears and hands them over without a call). */
	struct pipeline_bl *bl;
	struct {
		struct pipeline_rollup *ro;
		size_t n_ro, cap_ro;
		struct pipeline_baseline_model *mo;
		size_t n_mo, cap_mo;
		struct pipeline_review *rv;
		size_t n_rv, cap_rv;
		bool due;
	} blfx;
};

/* ---- the hot path's helpers ---- */

/* Eight bytes a step (a byte-wise FNV of a model name was a tenth of an
 * observation's cost); only the table's slots depend on it. */
static inline uint32_t pipeline__entity_hash(const char *provider, const char *model)
{
	uint64_t h =
	        strmap_hash(provider, strlen(provider)) * 31 + strmap_hash(model, strlen(model));
	return (uint32_t)(h ^ (h >> 32));
}

/* The entity (provider, model) with hash h, or NULL. */
static inline struct entity *pipeline__find(const struct pipeline *p, const char *provider,
                                            const char *model, uint32_t h)
{
	for (uint32_t i = h & (HASH_SLOTS - 1);; i = (i + 1) & (HASH_SLOTS - 1)) {
		int32_t v = p->hash[i];
		if (v == 0)
			return NULL;
		struct entity *e = p->ents[v - 1];
		if (e->hash == h && strcmp(e->provider, provider) == 0 &&
		    strcmp(e->model, model) == 0)
			return e;
	}
}

/* The window slot of a soft provider subtype. */
static inline int pipeline__soft_slot(enum subtype sub)
{
	switch (sub) {
	case SUB_RATE_LIMIT: return SL_RATE_LIMIT;
	case SUB_LATENCY: return SL_LATENCY;
	case SUB_TRUNCATION: return SL_TRUNCATION;
	case SUB_CONTENT_FILTER: return SL_CONTENT_FILTER;
	case SUB_INVALID_REQUEST: return SL_INVALID;
	default: return SL_OTHER;
	}
}

/* The window slot counting requests with a failure of taxonomy category c. */
static inline int pipeline__category_slot(enum category c)
{
	static const int slot[CAT_TAXONOMY_COUNT] = {
		[CAT_PROVIDER] = SL_PROVIDER, [CAT_QUALITY] = SL_QUALITY, [CAT_COST] = SL_COST,
		[CAT_SECURITY] = SL_SECURITY, [CAT_DATA] = SL_DATA,
	};
	return slot[c];
}

/* Similarity stability of one response (enum vg_tri): unstable when the
 * regression or coherence check flagged it, stable when one of them or a
 * similarity was measured without a flag. */
static inline int8_t pipeline__unstable_of(const struct semantic_verdicts *v)
{
	if (v->regression == VG_TRI_TRUE || v->coherence == VG_TRI_TRUE)
		return VG_TRI_TRUE;
	if (v->regression == VG_TRI_FALSE || v->coherence == VG_TRI_FALSE ||
	    vg_has_d(v->similarity))
		return VG_TRI_FALSE;
	return VG_TRI_UNSET;
}

/* ---- pipeline.c ---- */

/* Start and end an entry point's call: the effect buffers cleared, then
 * handed to *out (finish sets every field of *out: an entry point that
 * returns early finishes too). */
void pipeline__begin(struct pipeline *p, struct effects *out);
void pipeline__finish(struct pipeline *p, struct effects *out);

/* ---- pipeline_entity.c ---- */

/* Find or create the entity (provider, model); NULL when the table is full
 * or memory ran out (the caller carries on without state). */
struct entity *pipeline__entity_get(struct pipeline *p, const char *provider, const char *model,
                                    int32_t parent, int64_t now);

/* Grow the transition buffer so a tick can report every breaker at once. */
int pipeline__reserve_transitions(struct pipeline *p, size_t need);

/* ---- pipeline_scope.c ---- */

/* Whether failures of category cat are judged in their template's scope. */
bool pipeline__scoped(enum category cat);
/* The scope (template, traffic class), or NULL when never seen. */
struct scope *pipeline__scope_find(const struct pipeline *p, const char *template_id, int tc);
/* Count obs in its scope (created on first sight): the request itself when
 * `request`, and its quality, cost and security failures among sg. */
void pipeline__scope_count(struct pipeline *p, const struct observation *obs,
                           const struct tax_signal *sg, size_t n, bool request, int64_t now);
void pipeline__scope_free(struct pipeline *p);

/* ---- pipeline_events.c (stage 5) ---- */

/* Append one event; returns it, or NULL when the buffer is full or the
 * event is invalid. */
struct failure_event *pipeline__push_event(struct pipeline *p, enum subtype sub,
                                           const struct provider_id *pid, int64_t now);

/* Classify the severity of a freshly pushed event and count it. */
void pipeline__judge(struct pipeline *p, struct failure_event *ev, struct entity *prov,
                     struct entity *mod, bool early_warning, int64_t now);

/* A breaker oscillation event for entity e, whose breaker reported t (obs,
 * the observation that caused it, may be NULL); false when the event buffer
 * is full. */
bool pipeline__emit_oscillation(struct pipeline *p, const struct entity *e,
                                const struct breaker_transition *t, const struct observation *obs,
                                int64_t now);

/* Stage 5: failure events from the signals. */
void pipeline__stage_events(struct pipeline *p, const struct observation *obs, struct entity *prov,
                            struct entity *mod, const struct tax_signal *sg, size_t n, int64_t now);

/* What alerts carry about incident inc's provider at now (breaker,
 * availability, fallback, the failover chain, the baseline comparison). */
void pipeline__alert_context(const struct pipeline *p, const struct incident *inc, int64_t now,
                             struct incident_context *c);

/* Stage 5b: the rate-limit headroom early warning (see pipeline_events.c). */
void pipeline__stage_headroom(struct pipeline *p, const struct observation *obs,
                              struct entity *prov, struct entity *mod, double h, int64_t now);

/* ---- pipeline_baseline.c (stage 5c) ---- */

/* Stage 5c: fold obs (its verdicts v after stage 2; lat_bucket the
 * histogram bucket of its total latency) into its series, judge, verdicts
 * to events; the due refresh noted. */
void pipeline__bl_feed(struct pipeline *p, const struct observation *obs,
                       const struct semantic_verdicts *v, struct entity *prov, struct entity *mod,
                       size_t lat_bucket, int64_t now);
/* Late quality verdicts of a request already fed. */
void pipeline__bl_quality(struct pipeline *p, const struct observation *obs, struct entity *prov,
                          struct entity *mod, int64_t now);
/* Time passes: every series rolls and judges its means; the due refresh. */
void pipeline__bl_tick(struct pipeline *p, int64_t now);
/* Whether the static soft-window test of sub is off for provider prov and
 * source src at now (the aggregate's slot is warm for its metric). */
bool pipeline__bl_static_off(const struct pipeline *p, const struct entity *prov, enum subtype sub,
                             enum obs_source src, int64_t now);
/* A review decision (ACTION_ACCEPT / ACTION_REJECT) on review item id. */
int pipeline__bl_review(struct pipeline *p, bool accept, int64_t id, int64_t now,
                        const char *actor);
void pipeline__bl_free(struct pipeline *p);

#endif
