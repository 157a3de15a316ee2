/*
 * incident_internal.h: what core/incident*.c share (not for other modules):
 * the tracker's state and the helpers restoring needs.
 *
 *   incident.c       names and keys, the tracker (grouping, escalation,
 *                    tickets, auto-resolve, operator actions, eviction)
 *   incident_ops.c   operator actions (acknowledge, resolve, note, snooze)
 *                    and the alert context
 *   incident_json.c  an incident as JSON (incident_to_json) and the tracker
 *                    rebuilt from it (incidents_restore)
 */
#ifndef VIGIL_CORE_INCIDENT_INTERNAL_H
#define VIGIL_CORE_INCIDENT_INTERNAL_H

#include "core/incident.h"

struct incidents {
	struct incident_settings s;
	int64_t next_id;
	int64_t now; /* high-water mark of the times seen */
	struct incident **v;
	size_t n, cap;
	struct incident_change *changes;
	size_t n_changes, cap_changes;
	char **strs; /* actor and note copies the changes borrow */
	size_t n_strs, cap_strs;
	/* Called per observation, evict() and incidents_tick() walk every
	 * incident only when one may be due: evict_at is the earliest
	 * resolved_ms + keep_resolved_ms of the resolved ones, tick_at the
	 * earliest ticket or quiet time of the others (INT64_MIN: walk at the
	 * next call; set wherever an incident appears or resolves). */
	int64_t evict_at, tick_at;
};

/* Free an incident and what it owns (NULL does nothing). */
void incident__free(struct incident *inc);

/* Append an entry to an incident's history, with its state, severity and
 * count as they are now. Returns 0 or VG_ENOMEM. */
int incident__push_history(struct incident *inc, enum incident_change_kind what, int64_t time_ms,
                           int64_t related_id, const char *actor, const char *note);

/* Add a provider to those the incident involves (up to INCIDENT_MAX_INVOLVED,
 * once each). */
void incident__add_involved(struct incident *inc, const struct provider_id *pid);

/* Adds a template; true when it was new (and kept). */
bool incident__add_template(struct incident *inc, const char *tpl);

/* True when the incident already names incident id as related. */
bool incident__has_related(const struct incident *inc, int64_t id);

/* Append a history entry of inc and the change behind it (from state
 * `from`, severity sev_from; actor and note copied for the change list to
 * borrow). Returns 0 or VG_ENOMEM. */
int incident__record(struct incidents *t, struct incident *inc, enum incident_change_kind kind,
                     int64_t time_ms, enum incident_state from, enum severity sev_from,
                     int64_t related_id, uint64_t event_id, const char *actor, const char *note);

/* The incident with this id, or NULL. */
struct incident *incident__find_id(struct incidents *t, int64_t id);

#endif
