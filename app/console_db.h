/*
 * console_db.h: the console's view of the database: a read-only connection
 * that builds snapshots with cheap queries over rollups, and a second
 * connection that may only insert into operator_actions (an authorizer
 * refuses every other write). The store (issue 5) owns the schema.
 */
#ifndef VIGIL_APP_CONSOLE_DB_H
#define VIGIL_APP_CONSOLE_DB_H

#include "tui/console_loop.h"

struct console_db;

/*
 * Open the database at `db`, or the one the config file names (default
 * vigil.yaml) when db is NULL. Returns 0, or an error with a malloc'd
 * message in *cause naming the file.
 */
int console_db_open_for_cli(const char *db, const char *config, struct console_db **out,
                            char **cause);

/* The console source (build, act) over an open database. */
struct console_source console_db_source(struct console_db *cdb);

/* Close; NULL does nothing. */
void console_db_close(struct console_db *cdb);

#endif
