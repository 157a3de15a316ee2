/*
 * console_act.c: the console's restricted writer (see console_act.h). One
 * connection with an authorizer; the store's operator_actions INSERT
 * (data/store_write.c) is prepared on it once, at open.
 */
#include "data/console_act.h"

#include "core/vgerr.h"
#include "data/dbaccess.h"
#include "data/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct console_act {
	sqlite3 *db;
	sqlite3_stmt *insert;
	sqlite3_stmt *outcome;
};

/* By primary key: no scan. */
static const char outcome_sql[] = "SELECT applied, outcome FROM operator_actions WHERE id = ?1";

/* Reads, and inserts into operator_actions; nothing else. */
static int authorize(void *ud, int code, const char *a, const char *b, const char *db,
                     const char *trigger)
{
	(void)ud;
	(void)b;
	(void)db;
	(void)trigger;
	switch (code) {
	case SQLITE_INSERT:
		return a && strcmp(a, "operator_actions") == 0 ? SQLITE_OK : SQLITE_DENY;
	case SQLITE_READ:
	case SQLITE_SELECT:
	case SQLITE_FUNCTION:
	case SQLITE_TRANSACTION: return SQLITE_OK;
	default: return SQLITE_DENY;
	}
}

void console_act_close(struct console_act *w)
{
	if (!w)
		return;
	sqlite3_finalize(w->insert);
	sqlite3_finalize(w->outcome);
	sqlite3_close(w->db);
	free(w);
}

int console_act_open(const char *path, struct console_act **out, char **cause)
{
	*out = NULL;
	char *why = NULL;
	if (dbaccess_writable(path, &why) != 0) {
		vg_cause(cause, 0, "%s", why ? why : "this user cannot write the database");
		free(why);
		return VG_ESTATE;
	}
	struct console_act *w = calloc(1, sizeof(*w));
	if (!w)
		return VG_ENOMEM;
	int rc = sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK && sqlite3_db_readonly(w->db, "main") == 1) {
		/* SQLite fell back to read-only (a read-only mount, ...) */
		vg_cause(cause, 0, "%s: opened read-only: this user cannot write it", path);
		console_act_close(w);
		return VG_ESTATE;
	}
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(w->db, 2000);
		sqlite3_set_authorizer(w->db, authorize, NULL);
		rc = store__action_prepare(w->db, &w->insert);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db, outcome_sql, -1, &w->outcome, NULL);
	if (rc != SQLITE_OK) {
		vg_cause(cause, VG_EDB, "%s: cannot open for operator actions: %s", path,
		         w->db ? sqlite3_errmsg(w->db) : "out of memory");
		console_act_close(w);
		return VG_EDB;
	}
	*out = w;
	return 0;
}

int console_act_write(struct console_act *w, const struct store_operator_action *a, int64_t *id,
                      char **cause)
{
	/* The database assigns the id; a new action is not applied yet. */
	struct store_operator_action row = *a;
	row.id = 0;
	row.applied = false;
	row.outcome[0] = '\0';
	int rc = store__action_insert(w->insert, &row);
	if (rc != SQLITE_OK)
		return vg_cause(cause, VG_EDB, "cannot write the action: %s",
		                sqlite3_errmsg(w->db));
	if (id)
		*id = (int64_t)sqlite3_last_insert_rowid(w->db);
	return 0;
}

int console_act_outcome(struct console_act *w, int64_t id, struct console_act_outcome *out,
                        char **cause)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = w->outcome;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->decided = sqlite3_column_int(st, 0) != 0;
		const unsigned char *t = sqlite3_column_text(st, 1);
		if (out->decided)
			snprintf(out->text, sizeof(out->text), "%s",
			         t ? (const char *)t : "applied");
		out->refused = out->decided && strncmp(out->text, "refused", 7) == 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return VG_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return vg_cause(cause, VG_EDB, "cannot read the action's outcome: %s",
		                sqlite3_errmsg(w->db));
	return 0;
}

struct sqlite3 *console_act_db(struct console_act *w)
{
	return w->db;
}
