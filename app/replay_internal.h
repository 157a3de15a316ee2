/*
 * replay_internal.h: what app/replay*.c share (not for other modules): the
 * engine's records and the functions the files hand each other.
 *
 *   replay.c         the engine: the pipeline, fed on the observations' own
 *                    clock, ticked every traffic second, its effects kept
 *                    as records (events, incidents, notifications,
 *                    transitions)
 *   replay_truth.c   a scenario's truth file: the faults and what each
 *                    should produce, and which events fall in a fault's scope
 *   replay_report.c  the report: counts, incidents, notifications, and per
 *                    fault whether and when it was detected
 */
#ifndef VIGIL_APP_REPLAY_INTERNAL_H
#define VIGIL_APP_REPLAY_INTERNAL_H

#include "app/replay.h"

#include "core/incident.h"
#include "core/route.h"

/* Events found for a fault up to this long after its end still count. */
#define TRUTH_GRACE_MS    (5 * 60 * 1000)

#define TRUTH_MAX_RELATED 8

struct rp_event {
	uint64_t id;
	int64_t time_ms;
	int64_t incident_id; /* 0 until an incident change names the event */
	enum category category;
	enum subtype subtype;
	enum severity severity;
	char provider[VG_NAME_MAX];
	char template_id[VG_TEMPLATE_MAX];
	char model[VG_MODEL_MAX];
	char region[VG_NAME_MAX];
};

struct rp_step {
	int64_t time_ms;
	enum incident_change_kind what;
	enum severity severity;
	int64_t related_id;
};

struct rp_incident {
	int64_t id;
	char key[INCIDENT_KEY_MAX];
	char dedup_key[INCIDENT_KEY_MAX];
	enum category category;
	enum subtype subtype;
	uint64_t subtypes;
	char provider[VG_NAME_MAX];
	enum severity peak, first_severity;
	enum incident_state state;
	bool auto_resolved;
	int64_t count, first_ms, last_ms, resolved_ms, ticketed_ms;
	int64_t page_ms; /* first PagerDuty trigger, VG_NONE when none */
	int64_t related[INCIDENT_MAX_RELATED];
	size_t n_related;
	char templates[INCIDENT_MAX_TEMPLATES][VG_TEMPLATE_MAX];
	size_t n_templates;
	struct rp_step *steps;
	size_t n_steps, cap_steps;
	uint64_t payloads[SINK__COUNT];
};

struct rp_note {
	int64_t incident_id;
	char sink[VG_NAME_MAX];
	enum sink_kind kind;
	enum notify_op op;
	int64_t time_ms;
	char dedup_key[INCIDENT_KEY_MAX];
	char *payload;
};

struct rp_kind {
	enum category category;
	int subtype; /* -1: any subtype of the category */
};

struct rp_fault {
	char name[96];
	char fault[32];
	char provider[VG_NAME_MAX];
	char template_id[VG_TEMPLATE_MAX];
	char model[VG_MODEL_MAX];
	char region[VG_NAME_MAX];
	struct rp_kind kind;
	struct rp_kind related[TRUTH_MAX_RELATED];
	size_t n_related;
	int64_t onset_ms, end_ms, detectable_ms; /* absolute event time */
	/* The first failed request in scope after the onset (an error status, a
	 * transport error, a broken stream or body): when a hard failure first
	 * shows in the traffic, VG_NONE until seen. */
	int64_t symptom_ms;
};

struct replay {
	struct replay_options opt;
	struct pipeline *pipeline;
	struct jschema_set *schemas;
	struct redact *redact; /* the pipeline borrows it: freed after the pipeline */
	int64_t last_tick;     /* last whole second ticked, VG_NONE before the first feed */

	uint64_t lines, bad_lines, observations, skipped, n_events_total;
	int64_t first_ms, last_ms; /* observation end times seen */
	uint64_t by_cat_sev[CAT__COUNT][SEV__COUNT];

	struct rp_event *events;
	size_t n_events, cap_events;
	struct rp_incident *incidents; /* by id - 1 */
	size_t n_incidents, cap_incidents;
	struct rp_note *notes;
	size_t n_notes, cap_notes;
	struct breaker_transition *transitions;
	size_t n_transitions, cap_transitions;
	uint64_t transitions_total;

	/* Baselines: weekly refreshes run (inline) and review items created;
	 * the newest refresh a model took (INT64_MIN: none). */
	uint64_t refreshes, reviews;
	int64_t last_refresh_ms;

	bool has_truth;
	char truth_scenario[64];
	struct rp_fault *faults;
	size_t n_faults;
};

/* Whether something of (provider, template, model, region) is in the fault's
 * scope; NULL or "" on our side (an incident has no one template) is not
 * held against it. */
bool replay__fault_scope(const struct rp_fault *f, const char *provider, const char *tmpl,
                         const char *model, const char *region);

/* Whether (cat, sub) is of kind k: the same category, and the same subtype
 * family (core/incident's grouping) when k names a subtype. */
bool replay__kind_matches(const struct rp_kind *k, enum category cat, enum subtype sub);

/* Whether (cat, sub) is the fault's kind, or with_related one of the
 * kinds it may cause too. */
bool replay__fault_kind(const struct rp_fault *f, enum category cat, enum subtype sub,
                        bool with_related);

#endif
