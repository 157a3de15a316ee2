/*
 * action.h: the operator actions, one enum for every layer. The console
 * queues them (tui/console), the store keeps them in the operator_actions
 * table (data/store), the daemon applies them to the incidents
 * (pipeline_operator_action). Names and parsing only; pure.
 *
 * Each action has one name, the one a user reads in the console, the
 * daemon's log, `vigil console --json` and the operator_actions table:
 * "ack", "resolve", "note", "triage", "snooze", and for a baseline review item (its
 * id in the table's review_id, not an incident) "accept", "reject".
 * Databases written before this enum
 * existed hold "wizard" for the triage path; action_parse() reads that as
 * ACTION_TRIAGE, so they stay readable (an older daemon would not know a
 * "triage" row: upgrade the daemon with or before its consoles).
 */
#ifndef VIGIL_CORE_ACTION_H
#define VIGIL_CORE_ACTION_H

enum action_kind {
	ACTION_ACK,     /* acknowledge an incident (with an optional note) */
	ACTION_RESOLVE, /* resolve it (with an optional note) */
	ACTION_NOTE,    /* a note on its history */
	ACTION_TRIAGE,  /* the triage wizard's path (JSON text), kept as a note */
	ACTION_ACCEPT,  /* accept a baseline review item: the step is absorbed */
	ACTION_REJECT,  /* reject it: the old baseline stays */
	ACTION_SNOOZE,  /* acknowledge with a timed silence; the note starts with its
	                 * length ("30m", "2h"; 1h when it does not) */
	ACTION__COUNT
};

/* "ack", "resolve", "note", "triage", "accept", "reject", "snooze"; "unknown" out of
 * range. Static. */
const char *action_name(enum action_kind a);

/* The action named `s` ("wizard", from older databases, is ACTION_TRIAGE). Returns the enum value, or VG_EINVAL for NULL or
 * an unknown text. */
int action_parse(const char *s);

/* Whether the action decides a baseline review item (accept, reject)
 * rather than acting on an incident. */
static inline int action_is_review(enum action_kind a)
{
	return a == ACTION_ACCEPT || a == ACTION_REJECT;
}

#endif
