/*
 * console_db.c: the console's database source (see console_db.h).
 *
 * SEAM: the store's schema (issue 5: observations, failure events,
 * incidents, operator_actions, rollups) is not on main yet. Until it is,
 * opening a database says so plainly; `vigil console --snapshot FILE` works.
 */
#include "app/console_db.h"

#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

struct console_db {
	int unused;
};

int console_db_open_for_cli(const char *db, const char *config, struct console_db **out,
                            char **cause)
{
	(void)db;
	(void)config;
	*out = NULL;
	if (cause)
		*cause = strdup("reading the database needs the store's schema (issue 5), which "
		                "is not built yet; try --snapshot FILE");
	return VG_ESTATE;
}

struct console_source console_db_source(struct console_db *cdb)
{
	struct console_source s = { 0 };
	s.ud = cdb;
	return s;
}

void console_db_close(struct console_db *cdb)
{
	free(cdb);
}
