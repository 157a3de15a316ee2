/*
 * incident.h: failure events grouped into incidents, and the incident
 * lifecycle (open -> acknowledged -> resolved), pure.
 *
 * Grouping. An event joins the unresolved incident with the same key
 * (category + provider [+ region] + subtype family, see incident_key() and
 * incident_family()) when it came within group_gap of that incident's last
 * event; otherwise it opens a new one. The key is category-aware: a provider
 * outage and a cost spike in the same minute are two incidents (for two
 * responders), marked related because they share the provider or a template
 * in the same window. A provider failure is also kept apart per endpoint
 * region (one region recovers while another is down), the regions' incidents
 * related. One hundred failed requests in an outage are one incident with
 * count 100.
 *
 * Lifecycle. An incident auto-resolves quiet_period after its last event;
 * one still unresolved ticket_after after its first event gets a ticket
 * (once). Operators acknowledge (with a note), resolve, and add notes.
 * Escalation of a sustained MEDIUM is the severity module's decision: an
 * event arrives with a higher severity and the incident records an
 * escalation. Monitor incidents (CAT_MONITOR, vigil's own health) follow the
 * same rules. Transition times do not depend on how often the tracker is
 * ticked: an auto-resolve happens at last + quiet_period, a ticket at
 * first + ticket_after, so replay is exact.
 *
 * Episodes. A fault that comes and goes (a breaker oscillating through a
 * recovery) opens incident after incident of one key. A new incident whose
 * first event comes within episode_gap of the last event of the previous
 * incident of its key continues that one's episode, unless an operator
 * resolved it: it takes the episode's dedup key (so its notifications are
 * the episode's page) and records the episode's peak severity so far, and
 * the previous incident is marked superseded. The page of an auto-resolved
 * incident ends with the episode: INCC_EPISODE_ENDED at last event +
 * episode_gap (or at the auto-resolve, when that is later) unless a later
 * incident continued it. core/route sends one trigger per episode and its
 * resolve at that change (an operator's resolve still resolves at once).
 * A breaker oscillation incident opened while the outage incident of the
 * same provider (and region) is in its episode, and at least as severe,
 * borrows the outage's page (page_borrowed): the flapping is the outage's
 * recovery, not a second page.
 *
 * Ids are deterministic: a tracker numbers incidents first_id, first_id + 1,
 * ... in the order they open; an id is local (a row of this vigil's
 * database). Dedup keys ("<instance>/<key>/<first event's time>", see
 * incident_dedup_key()) are derived from the events alone, so every vigil
 * that sees the same events (the two daemons of an HA pair, which share
 * `instance`) builds the same keys: PagerDuty's dedup_key, the Alertmanager
 * label incident_key, and what the outbox orders deliveries by.
 *
 * Changes. Every call that mutates the tracker appends to its change list;
 * incidents_begin() empties it. Changes and the incidents they point to are
 * borrowed until the next incidents_begin() (incidents are only evicted
 * there, keep_resolved_ms after they resolved).
 *
 * struct incident is read-only outside incident.c.
 */
#ifndef VIGIL_CORE_INCIDENT_H
#define VIGIL_CORE_INCIDENT_H

#include "core/event.h"

#include <jansson.h>

enum incident_state { INC_OPEN, INC_ACKNOWLEDGED, INC_RESOLVED, INC__COUNT };

/* What happened to an incident. All but INCC_UPDATED go into its history. */
enum incident_change_kind {
	INCC_OPENED,        /* a new incident, from its first event */
	INCC_UPDATED,       /* another event joined (count, last time, samples) */
	INCC_ESCALATED,     /* the highest severity rose */
	INCC_ACKNOWLEDGED,  /* by an operator */
	INCC_RESOLVED,      /* by an operator */
	INCC_AUTO_RESOLVED, /* quiet_period without an event */
	INCC_TICKETED,      /* still unresolved ticket_after after it opened */
	INCC_NOTE,          /* an operator's note */
	INCC_RELATED,       /* linked to another incident (related_id) */
	INCC_EPISODE_ENDED, /* auto-resolved and no incident continued it within
	                     * episode_gap: its page resolves */
	INCC__COUNT
};

struct incident_settings {
	int64_t group_gap_ms;       /* an event within this of the last one joins (5 min) */
	int64_t quiet_period_ms;    /* auto-resolve after this long without events (10 min) */
	int64_t ticket_after_ms;    /* unresolved this long after opening: a ticket (30 min) */
	int64_t keep_resolved_ms;   /* resolved incidents stay in memory this long (1 h) */
	int64_t episode_gap_ms;     /* a new incident of a key this soon after the previous
	                             * one's last event continues its episode (30 min) */
	char instance[VG_NAME_MAX]; /* prefix of dedup keys ("vigil") */
};

#define INCIDENT_KEY_MAX       160
#define INCIDENT_MAX_INVOLVED  8
#define INCIDENT_MAX_TEMPLATES 4
#define INCIDENT_MAX_RELATED   8
#define INCIDENT_ACTOR_MAX     64
#define INCIDENT_NOTE_MAX      512

/* One entry of an incident's history. */
struct incident_history {
	int64_t time_ms;
	enum incident_change_kind what;
	enum incident_state state; /* after the change */
	enum severity severity;    /* highest, after the change */
	int64_t count;             /* events so far */
	int64_t related_id;        /* INCC_RELATED: the other incident; else 0 */
	char actor[INCIDENT_ACTOR_MAX];
	char note[INCIDENT_NOTE_MAX];
};

/* What a responder needs beside the incident (payloads quote it): its
 * provider's state when the incident last changed, set by the pipeline
 * (incidents_set_context). */
struct incident_context {
	bool set;
	enum breaker_state breaker;          /* the provider's (worse of provider and model) */
	char breaker_of[VG_MODEL_MAX];       /* the model whose breaker it is, "" the provider's */
	double availability;                 /* the provider's recent availability, NaN unknown */
	const char *fallback;                /* static: "working" (fallback answers after its
	                                   * failures), "pending" (breaker just opened),
	                                   * "healthy" (a configured one is), "failing",
	                                   * "none" */
	char fallback_provider[VG_NAME_MAX]; /* the fallback that answered or is healthy */
	double fallback_availability;        /* its availability, NaN unknown */
	/* The failover chain: how the latest affected request was selected. */
	enum selection_reason selection; /* SEL__COUNT unknown */
	char after_failure_of[VG_NAME_MAX];
	int32_t attempt; /* -1 unknown */
	/* Against the baseline (or the static bar): the latest measured share
	 * or value, the bar, and the baseline's expectation when one judged it. */
	double observed, threshold, expected, expected_lo, expected_hi;
	int64_t window_count;
};

struct incident {
	int64_t id;
	char key[INCIDENT_KEY_MAX];       /* "provider/openai/us-east-1/outage" */
	char dedup_key[INCIDENT_KEY_MAX]; /* "vigil/<key>/2026-11-27T10:00:00.314Z" */
	enum category category;
	const char *family;   /* static: "outage", "rate_limit", "billing", ... */
	enum subtype subtype; /* of the first event */
	uint64_t subtypes;    /* bit (1 << subtype) for every subtype seen */
	char provider[VG_NAME_MAX];
	enum incident_state state;
	enum severity severity;       /* highest so far */
	enum severity first_severity; /* of the first event */
	int64_t count;
	int64_t first_ms, last_ms; /* event times */
	int64_t opened_ms;         /* when the tracker opened it */
	int64_t acknowledged_ms;   /* 0 until acknowledged */
	int64_t resolved_ms;       /* 0 until resolved */
	int64_t ticketed_ms;       /* 0 until ticketed */
	bool auto_resolved;
	/* The episode (see above): the id of its first incident (0 when this
	 * one started it), the peak severity of its earlier incidents
	 * (SEV__COUNT when none), whether a later incident continues it, and
	 * when its episode ended (0 until INCC_EPISODE_ENDED). */
	int64_t episode_of;
	enum severity episode_severity;
	bool superseded;
	int64_t episode_ended_ms;
	/* The page is another key's: a breaker oscillating while its provider's
	 * (region's) outage incident, at least as severe, is in its episode.
	 * It shares that incident's dedup key and never triggers nor resolves
	 * the page itself. */
	bool page_borrowed;
	struct incident_context ctx;
	/* Causal samples: the first event, the worst (highest severity, then the
	 * largest measured signal), the latest. */
	struct failure_event first, worst, latest;
	struct provider_id involved[INCIDENT_MAX_INVOLVED]; /* distinct provider ids */
	size_t n_involved;
	bool involved_truncated;
	char templates[INCIDENT_MAX_TEMPLATES][VG_TEMPLATE_MAX];
	size_t n_templates;
	int64_t related[INCIDENT_MAX_RELATED];
	size_t n_related;
	struct incident_history *history;
	size_t n_history, cap_history;
};

/* One change, as returned by incidents_changes(). */
struct incident_change {
	enum incident_change_kind kind;
	const struct incident *incident; /* borrowed until the next incidents_begin() */
	int64_t incident_id;
	int64_t time_ms;
	enum incident_state from, to;
	enum severity sev_from, sev_to;
	int64_t related_id; /* INCC_RELATED */
	uint64_t event_id;  /* OPENED, UPDATED, ESCALATED: the event behind it */
	int ordinal;        /* history changes: the n-th of its kind at its time (1, 2, ...) */
	const char *actor;  /* "" unless an operator acted; borrowed */
	const char *note;   /* "" unless given; borrowed */
	int64_t silence_ms; /* ACKNOWLEDGED by a snooze: the silence's length; else 0 */
};

struct incidents;

/* Fill *s with the defaults (5 min, 10 min, 30 min, 1 h, 30 min, "vigil"). */
void incident_settings_defaults(struct incident_settings *s);

/* The subtype family: subtypes that share a runbook share a family. The
 * hard provider failures (dns, connect, tls, timeout, reset, server_error,
 * overloaded) are "outage"; quota_exhausted and spend_cap are "billing";
 * every other subtype is a family of its own, named like the subtype.
 * Static string. */
const char *incident_family(enum subtype sub);

/* The grouping key of an event into buf: "<category>/<provider>/<family>",
 * with the endpoint region before the family for a provider failure that
 * has one ("provider/google/us-central1/outage"). Returns 0, or VG_ERANGE
 * when it does not fit (buf holds a truncated key). */
int incident_key(const struct failure_event *ev, char *buf, size_t size);

/* The dedup key of an incident of `key` whose first event happened at
 * first_ms: "<instance>/<key>/<first_ms in RFC 3339, ms>" into buf. From
 * the events alone (never a local id). 0, or VG_ERANGE (truncated). */
int incident_dedup_key(const char *instance, const char *key, int64_t first_ms, char *buf,
                       size_t size);

/* Static names: "open", "acknowledged", "resolved"; "opened", "updated", ... */
const char *incident_state_name(enum incident_state s);
const char *incident_change_name(enum incident_change_kind k);
int incident_state_parse(const char *s, size_t len);
int incident_change_parse(const char *s, size_t len);

/*
 * A tracker with the given settings (copied) numbering incidents from
 * first_id (> 0; after a restart, one past the highest id in the store).
 * Returns NULL when out of memory or first_id < 1.
 */
struct incidents *incidents_new(const struct incident_settings *s, int64_t first_id);

/* Free a tracker and every incident in it; NULL does nothing. */
void incidents_free(struct incidents *t);

/* Start a new batch of changes: empties the change list and evicts resolved
 * incidents older than keep_resolved_ms. Pointers from before become invalid. */
void incidents_begin(struct incidents *t);

/* The changes since incidents_begin(), in order; borrowed (see above). */
const struct incident_change *incidents_changes(const struct incidents *t, size_t *n);

/*
 * Add a failure event at time `now`: first lets time pass to `now` (as
 * incidents_tick()), then joins the event to its open incident or opens
 * one. Returns 0, VG_EINVAL for an event with an invalid category or
 * severity (nothing changes), or VG_ENOMEM (the event is not counted).
 */
int incidents_add(struct incidents *t, const struct failure_event *ev, int64_t now);

/* Let time pass to `now`: tickets, then auto-resolves. Returns 0 or VG_ENOMEM. */
int incidents_tick(struct incidents *t, int64_t now);

/*
 * Operator actions at time `now`. `actor` and `note` may be NULL (or empty);
 * they are copied, truncated to INCIDENT_ACTOR_MAX / INCIDENT_NOTE_MAX.
 * Return 0, VG_ENOTFOUND for an unknown (or evicted) incident, VG_ESTATE
 * when the action does not apply (acknowledging an acknowledged or resolved
 * incident, resolving a resolved one; nothing changes then), or VG_ENOMEM.
 * A note applies in every state.
 */
int incidents_acknowledge(struct incidents *t, int64_t id, int64_t now, const char *actor,
                          const char *note);
int incidents_resolve(struct incidents *t, int64_t id, int64_t now, const char *actor,
                      const char *note);
int incidents_note(struct incidents *t, int64_t id, int64_t now, const char *actor,
                   const char *note);
/* Set the context of incident id (copied); VG_ENOTFOUND when unknown. */
int incidents_set_context(struct incidents *t, int64_t id, const struct incident_context *c);

/* Snooze: acknowledge (again, when acknowledged already) with a timed
 * silence of silence_ms (> 0): the change carries it, so Alertmanager's
 * silence lasts that long, and the history says until when. A fault that
 * goes on is not re-paged by a resolve. VG_ESTATE for a resolved incident,
 * VG_EINVAL for silence_ms <= 0. */
int incidents_snooze(struct incidents *t, int64_t id, int64_t now, const char *actor,
                     int64_t silence_ms, const char *note);

/* The incident with this id, or NULL; borrowed until the next incidents_begin(). */
const struct incident *incidents_get(const struct incidents *t, int64_t id);

/* Every incident in memory, oldest first; *n gets the count. Borrowed as above. */
const struct incident *const *incidents_list(const struct incidents *t, size_t *n);

/* Unresolved incidents per category and severity (for /metrics and the console). */
void incidents_open_counts(const struct incidents *t, int64_t counts[CAT__COUNT][SEV__COUNT]);

/* The id the next incident will get. */
int64_t incidents_next_id(const struct incidents *t);

/*
 * The incident as JSON: identity, state, counts, times, samples (as
 * event_to_json), involved providers, templates, related ids, history.
 * A new reference (caller json_decref()s), or NULL when out of memory.
 */
json_t *incident_to_json(const struct incident *inc);

/*
 * Put an incident read back from the store (incident_to_json() output) into
 * the tracker, for continuity after a restart. Ids at or above the next id
 * move the next id past it. Returns 0, VG_EINVAL / VG_EPARSE with a malloc'd
 * message in *cause (caller frees; may be NULL), VG_ESTATE when the id is
 * already present, or VG_ENOMEM.
 */
int incidents_restore(struct incidents *t, json_t *obj, char **cause);

#endif
