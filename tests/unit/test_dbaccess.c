/*
 * test_dbaccess.c: what data/dbaccess says of a --db path, by kind and in
 * words (missing, no folder to create it in, a directory, not SQLite,
 * another application's SQLite file, a vigil database, an empty file), the
 * writability check on the file and its folder, and a read-only connection
 * on a vigil database. Permission refusals (which do not bind root) are
 * tests/integration/test_db_errors.sh's, run as `nobody`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "data/dbaccess.h"
#include "data/dbfile.h"
#include "tests/support/testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = tu_mkdtemp("dbaccess");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	free(dir);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void sql(const char *path, const char *q)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The kind, and a word the message must hold (NULL: no message). */
static void expect(const char *path, enum dbaccess_need need, enum dbaccess_problem want,
                   const char *words)
{
	char *cause = NULL;
	enum dbaccess_problem got = dbaccess_check(path, need, &cause);
	if (got != want)
		fail_msg("%s: %s, expected %s (%s)", path, dbaccess_problem_name(got),
		         dbaccess_problem_name(want), cause ? cause : "");
	if (words) {
		assert_non_null(cause);
		if (!strstr(cause, words))
			fail_msg("'%s' does not say '%s'", cause, words);
		assert_non_null(strstr(cause, path)); /* names the file */
	} else {
		assert_null(cause);
	}
	free(cause);
}

static void test_kinds(void **state)
{
	(void)state;
	char p[600];
	snprintf(p, sizeof(p), "%s/none.db", dir);
	expect(p, DBACCESS_READ, DBACCESS_MISSING, "no such database");
	expect(p, DBACCESS_CREATE, DBACCESS_OK, NULL); /* created in a folder that exists */
	snprintf(p, sizeof(p), "%s/nofolder/v.db", dir);
	expect(p, DBACCESS_CREATE, DBACCESS_MISSING, "no such folder");
	expect(p, DBACCESS_READ, DBACCESS_MISSING, "no such database");
	expect(dir, DBACCESS_READ, DBACCESS_NOT_FILE, "a directory");
	expect(dir, DBACCESS_CREATE, DBACCESS_NOT_FILE, "a directory");

	snprintf(p, sizeof(p), "%s/text.db", dir);
	write_file(p, "hello, this is not a database at all\n");
	expect(p, DBACCESS_READ, DBACCESS_NOT_VIGIL, "not a vigil database");
	expect(p, DBACCESS_WRITE, DBACCESS_NOT_VIGIL, "not a vigil database");

	snprintf(p, sizeof(p), "%s/other.db", dir);
	sql(p, "PRAGMA application_id = 1234; CREATE TABLE notes (body TEXT);");
	expect(p, DBACCESS_READ, DBACCESS_NOT_VIGIL, "another application");
	snprintf(p, sizeof(p), "%s/unmarked.db", dir);
	sql(p, "CREATE TABLE notes (body TEXT);");
	expect(p, DBACCESS_READ, DBACCESS_NOT_VIGIL, "not a vigil database");

	snprintf(p, sizeof(p), "%s/empty.db", dir);
	write_file(p, "");
	expect(p, DBACCESS_WRITE, DBACCESS_OK, NULL); /* a new database */

	snprintf(p, sizeof(p), "%s/vigil.db", dir);
	char q[200];
	snprintf(q, sizeof(q),
	         "PRAGMA application_id = %d; PRAGMA journal_mode = WAL; "
	         "CREATE TABLE observations (id INTEGER PRIMARY KEY);",
	         DBFILE_APPLICATION_ID);
	sql(p, q);
	expect(p, DBACCESS_READ, DBACCESS_OK, NULL);
	expect(p, DBACCESS_WRITE, DBACCESS_OK, NULL);
	assert_int_equal(dbaccess_writable(p, NULL), 0);
	for (int i = DBACCESS_OK; i <= DBACCESS_NOT_VIGIL; i++)
		assert_string_not_equal(dbaccess_problem_name((enum dbaccess_problem)i), "?");
}

static void test_open_ro(void **state)
{
	(void)state;
	char p[600];
	snprintf(p, sizeof(p), "%s/ro.db", dir);
	sql(p, "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (42);");
	struct sqlite3 *db = NULL;
	bool immutable = true;
	char *cause = NULL;
	assert_int_equal(dbaccess_open_ro(p, 0, &db, &immutable, &cause), SQLITE_OK);
	assert_null(cause);
	assert_false(immutable); /* this user may make the -shm: a WAL reader */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM t", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 42);
	sqlite3_finalize(st);
	/* read-only: a write is refused */
	assert_int_not_equal(sqlite3_exec(db, "INSERT INTO t VALUES (1)", NULL, NULL, NULL),
	                     SQLITE_OK);
	sqlite3_close(db);

	/* A path SQLite cannot open: an error naming the file, no connection. */
	snprintf(p, sizeof(p), "%s/no/such/folder.db", dir);
	db = NULL;
	assert_int_not_equal(dbaccess_open_ro(p, 0, &db, NULL, &cause), SQLITE_OK);
	assert_null(db);
	assert_non_null(cause);
	assert_non_null(strstr(cause, p));
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_ro, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
