/*
 * console_act.c: the console's restricted writer (see console_act.h). One
 * connection with an authorizer; the INSERT is prepared once at open.
 */
#include "data/console_act.h"

#include "core/vgerr.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct console_act {
	sqlite3 *db;
	sqlite3_stmt *insert;
	char path[200];
};

static const char insert_sql[] = "INSERT INTO operator_actions (incident_id, action, actor, note, "
                                 "time_ms) VALUES (:incident_id, :action, :actor, :note, :time_ms)";

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

static char *msg(const char *path, const char *what, sqlite3 *db)
{
	char m[300];
	snprintf(m, sizeof(m), "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
	return strdup(m);
}

void console_act_close(struct console_act *w)
{
	if (!w)
		return;
	sqlite3_finalize(w->insert);
	sqlite3_close(w->db);
	free(w);
}

int console_act_open(const char *path, struct console_act **out, char **cause)
{
	*out = NULL;
	struct console_act *w = calloc(1, sizeof(*w));
	if (!w)
		return VG_ENOMEM;
	snprintf(w->path, sizeof(w->path), "%s", path);
	int rc = sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (cause)
			*cause = msg(path, "cannot open for operator actions", w->db);
		console_act_close(w);
		return VG_EDB;
	}
	sqlite3_busy_timeout(w->db, 2000);
	sqlite3_set_authorizer(w->db, authorize, NULL);
	rc = sqlite3_prepare_v3(w->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &w->insert, NULL);
	if (rc != SQLITE_OK) {
		if (cause)
			*cause = msg(path, "cannot open for operator actions", w->db);
		console_act_close(w);
		return VG_EDB;
	}
	*out = w;
	return 0;
}

int console_act_write(struct console_act *w, const struct store_operator_action *a, char **cause)
{
	sqlite3_stmt *st = w->insert;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":incident_id"), a->incident_id);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":action"),
	                  store_action_name(a->action), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":actor"), a->actor, -1,
	                  SQLITE_STATIC);
	int note = sqlite3_bind_parameter_index(st, ":note");
	if (a->note && *a->note)
		sqlite3_bind_text(st, note, a->note, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, note);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":time_ms"), a->time_ms);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		if (cause) {
			char m[300];
			snprintf(m, sizeof(m), "cannot write the action: %s",
			         sqlite3_errmsg(w->db));
			*cause = strdup(m);
		}
		return VG_EDB;
	}
	return 0;
}

struct sqlite3 *console_act_db(struct console_act *w)
{
	return w->db;
}
