/*
 * action.h: the operator actions, one enum for every layer. The console
 * queues them (tui/console), the store keeps them in the operator_actions
 * table (data/store), the daemon applies them to the incidents
 * (pipeline_operator_action). Names and parsing only; pure.
 *
 * Each action has one name, the one a user reads in the console, the
 * daemon's log and `vigil console --json`: "ack", "resolve", "note",
 * "triage". The database keeps them as action_stored_name() says, which is
 * the same text except for the triage wizard's path: that has been stored
 * as "wizard" since the table exists, and still is, so that a database
 * stays readable by the builds before and after this one (a console and a
 * daemon of different versions share one file). action_parse() takes both.
 */
#ifndef VIGIL_CORE_ACTION_H
#define VIGIL_CORE_ACTION_H

enum action_kind {
	ACTION_ACK,     /* acknowledge an incident (with an optional note) */
	ACTION_RESOLVE, /* resolve it (with an optional note) */
	ACTION_NOTE,    /* a note on its history */
	ACTION_TRIAGE,  /* the triage wizard's path (JSON text), kept as a note */
	ACTION__COUNT
};

/* "ack", "resolve", "note", "triage"; "unknown" out of range. Static. */
const char *action_name(enum action_kind a);

/* The text the operator_actions table holds for `a` ("wizard" for
 * ACTION_TRIAGE, otherwise action_name()); "unknown" out of range. Static. */
const char *action_stored_name(enum action_kind a);

/* The action named `s`: a name or a stored name (so "triage" and "wizard"
 * are both ACTION_TRIAGE). Returns the enum value, or VG_EINVAL for NULL or
 * an unknown text. */
int action_parse(const char *s);

#endif
