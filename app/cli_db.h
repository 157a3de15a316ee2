/*
 * cli_db.h: the check every command that takes --db makes before it opens
 * the database (data/dbaccess), so that the same failure prints the same
 * kind of message and exits with the same status in `vigil console`,
 * `baseline`, `db`, `ingest`, `replay --db` and `run` (README lists them).
 */
#ifndef VIGIL_APP_CLI_DB_H
#define VIGIL_APP_CLI_DB_H

#include "data/dbaccess.h"

/* Exit statuses of a database that cannot be used (1 and 2 are cli.h's). */
#define CLI_EXIT_DB_MISSING   3 /* no such file, or no folder to create it in */
#define CLI_EXIT_DB_NOT_FILE  4 /* a directory, a device... */
#define CLI_EXIT_DB_DENIED    5 /* this user may not read it (or write it) */
#define CLI_EXIT_DB_NOT_VIGIL 6 /* another kind of file, another application's */

/*
 * Check `path` for `need`. Returns 0 when it can be used; otherwise prints
 * "vigil <cmd>: <what is wrong>" on stderr and returns the exit status
 * above.
 */
int cli_db_check(const char *cmd, const char *path, enum dbaccess_need need);

#endif
