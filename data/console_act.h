/*
 * console_act.h: the console's act API, the one write a console makes
 * (docs/architecture.md): an operator action (acknowledge,
 * resolve, note, the triage wizard's path) inserted into operator_actions,
 * which the daemon notices and applies.
 *
 * The connection is restricted: an SQLite authorizer lets it read and insert
 * into operator_actions, and refuses every other write (UPDATE, DELETE, DDL,
 * PRAGMA, ATTACH, an INSERT into any other table), so a console cannot
 * change what the daemon owns even by mistake. The row is written through
 * the store's own column table for operator_actions (data/store_write.c):
 * the table's columns are known in one place.
 *
 * Not thread-safe: one thread uses a struct console_act at a time (the
 * console's reader thread, tui/console_reader).
 */
#ifndef VIGIL_DATA_CONSOLE_ACT_H
#define VIGIL_DATA_CONSOLE_ACT_H

#include "data/store.h"

struct console_act;
struct sqlite3;

/*
 * Open `path` (an existing vigil database) for operator actions. Returns 0
 * and *out, VG_ESTATE when this user cannot write the file, its -wal and
 * -shm or their folder (data/dbaccess.h: the console is then read-only), or
 * VG_EDB, each with a malloc'd message naming the file in *cause (caller
 * frees; may be NULL). Nothing is left open on error.
 */
int console_act_open(const char *path, struct console_act **out, char **cause);

/* Close; NULL does nothing. */
void console_act_close(struct console_act *w);

/*
 * Insert one action: a->incident_id, a->action, a->actor, a->note (may be
 * NULL; the wizard's path as JSON text for ACTION_TRIAGE) and a->time_ms; the
 * database assigns the id and the row starts unapplied (a->id and
 * a->applied are ignored). Returns 0 and the new row's id in *id (may be
 * NULL), or VG_EDB with a malloc'd message in *cause (caller frees; may be
 * NULL).
 */
int console_act_write(struct console_act *w, const struct store_operator_action *a, int64_t *id,
                      char **cause);

/* What the daemon made of an action. */
struct console_act_outcome {
	bool decided;                 /* false: not applied yet */
	bool refused;                 /* the daemon could not apply it */
	char text[STORE_OUTCOME_MAX]; /* "applied", "refused: incident #31 is acknowledged" */
};

/*
 * The outcome of the action with id `id` (from console_act_write), as the
 * daemon wrote it when it took the action (operator_actions.outcome): each
 * console reads back its own actions, so two consoles acknowledging one
 * incident each learn what became of theirs. Returns 0 (out->decided false
 * while the daemon has not taken it), VG_ENOTFOUND (no such action: pruned),
 * or VG_EDB with a malloc'd message in *cause (caller frees; may be NULL).
 */
int console_act_outcome(struct console_act *w, int64_t id, struct console_act_outcome *out,
                        char **cause);

/* The restricted connection itself, for tests that check what it refuses.
 * Borrowed: valid until console_act_close(). */
struct sqlite3 *console_act_db(struct console_act *w);

#endif
