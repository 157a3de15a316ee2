/*
 * tu_sql.h: one integer read from a test's SQLite database. Include
 * <cmocka.h>'s prerequisites before this header.
 */
#ifndef VIGIL_TESTS_TU_SQL_H
#define VIGIL_TESTS_TU_SQL_H

#include <stdint.h>

/* The first column of the first row of `sql` over the database at path,
 * opened read-only; -1 when there is no row. Fails the running cmocka test
 * when the database cannot be opened or the query prepared. */
int64_t tu_sql_int(const char *path, const char *sql);

#endif
