/*
 * cli_db.c: a command's --db checked before it is opened (see cli_db.h).
 */
#include "app/cli_db.h"

#include <stdio.h>
#include <stdlib.h>

int cli_db_check(const char *cmd, const char *path, enum dbaccess_need need)
{
	char *cause = NULL;
	enum dbaccess_problem p = dbaccess_check(path, need, &cause);
	if (p == DBACCESS_OK)
		return 0;
	fprintf(stderr, "vigil %s: %s\n", cmd, cause ? cause : dbaccess_problem_name(p));
	free(cause);
	switch (p) {
	case DBACCESS_MISSING: return CLI_EXIT_DB_MISSING;
	case DBACCESS_NOT_FILE: return CLI_EXIT_DB_NOT_FILE;
	case DBACCESS_DENIED: return CLI_EXIT_DB_DENIED;
	default: return CLI_EXIT_DB_NOT_VIGIL;
	}
}
