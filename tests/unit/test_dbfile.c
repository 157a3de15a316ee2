/*
 * test_dbfile.c: a database file's identity, integrity and salvage
 * (data/dbfile), and the store's answer to each: another application's
 * database refused and left byte for byte as it was (journal mode
 * included), an unmarked vigil database marked, a damaged one refused at
 * open, damage met while running stops every write (on_corrupt once, then
 * VG_ECORRUPT), and a salvage that keeps exactly the rows it could read.
 * Damage is made by overwriting pages with bytes from a seeded generator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "data/dbfile.h"
#include "data/store.h"
#include "tests/support/testutil.h"
#include "tests/support/tu_sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROWS 20000

struct fixture {
	char *dir;
	char path[512], copy[512], out[512];
	uv_loop_t loop;
	struct store *s;
	int commits, answers, corrupt_calls;
	int last_err, answer_err;
	char corrupt_msg[1200];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = tu_mkdtemp("dbfile");
	snprintf(f->path, sizeof(f->path), "%s/vigil.db", f->dir);
	snprintf(f->copy, sizeof(f->copy), "%s/before.db", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/saved.db", f->dir);
	uv_loop_init(&f->loop);
	*state = f;
	return 0;
}

static void close_store(struct fixture *f)
{
	store_close(f->s);
	f->s = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->s)
		close_store(f);
	uv_loop_close(&f->loop);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void on_commit(void *data, const struct store_commit *c)
{
	struct fixture *f = data;
	f->commits++;
	f->last_err = c->err;
}

static void on_answer(void *data, const struct store_answer *a)
{
	struct fixture *f = data;
	f->answers++;
	f->answer_err = a->err;
}

static void on_corrupt(void *data, const char *cause)
{
	struct fixture *f = data;
	f->corrupt_calls++;
	snprintf(f->corrupt_msg, sizeof(f->corrupt_msg), "%s", cause);
}

static void run_until(uv_loop_t *loop, const int *flag, int want)
{
	for (int i = 0; i < 200000 && *flag < want; i++)
		uv_run(loop, UV_RUN_ONCE);
	assert_true(*flag >= want);
}

static int open_store(struct fixture *f, char **cause)
{
	struct store_options o;
	memset(&o, 0, sizeof(o));
	o.path = f->path;
	o.on_corrupt = on_corrupt;
	o.data = f;
	return store_open(&f->s, &f->loop, &o, cause);
}

/* A request id from a seeded generator, so index pages fill everywhere. */
static uint64_t next_rand(uint64_t *x)
{
	*x = *x * 6364136223846793005u + 1442695040888963407u;
	return *x >> 17;
}

/* A batch of n observations (request ids from `seed`), submitted; with
 * `flush` committed at once. Returns after its callback has run. */
static void add_rows_ex(struct fixture *f, int n, uint64_t seed, int64_t t0, bool flush)
{
	struct store_batch *b = store_batch_new(on_commit, f);
	for (int i = 0; i < n; i++) {
		struct observation o;
		observation_init(&o);
		o.ts_ms = t0 + i;
		snprintf(o.request_id, sizeof(o.request_id), "req-%016llx",
		         (unsigned long long)next_rand(&seed));
		o.attempt = 1;
		snprintf(o.pid.provider, sizeof(o.pid.provider), "openai");
		snprintf(o.pid.model, sizeof(o.pid.model), "gpt-4o-mini");
		o.http_status = 200;
		o.total_ms = 100 + i % 50;
		assert_int_equal(store_batch_add_observation(b, &o), 0);
	}
	int before = f->commits;
	assert_int_equal(store_submit(f->s, b), 0);
	if (flush)
		assert_int_equal(store_flush(f->s, on_commit, f), 0);
	run_until(&f->loop, &f->commits, before + (flush ? 2 : 1));
}

static void add_rows(struct fixture *f, int n, uint64_t seed, int64_t t0)
{
	add_rows_ex(f, n, seed, t0, true);
}

/* A vigil database with `n` observations, closed. */
static void make_db(struct fixture *f, int n)
{
	char *cause = NULL;
	assert_int_equal(open_store(f, &cause), 0);
	add_rows(f, n, 42, 1795773600000);
	assert_int_equal(f->last_err, 0);
	close_store(f);
}

/* Overwrite `count` pages (4096 bytes, page 1 spared) chosen by `seed`, or
 * every page from `first` on when count < 0, with seeded garbage. */
static void damage(const char *path, int count, int first, uint64_t seed)
{
	FILE *fp = fopen(path, "r+b");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long pages = ftell(fp) / 4096;
	assert_true(pages > 40);
	unsigned char junk[4096];
	int n = count < 0 ? (int)pages - first : count;
	for (int k = 0; k < n; k++) {
		long page = count < 0 ? first + k
		                      : 2 + (long)(next_rand(&seed) % (uint64_t)(pages - 2));
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (unsigned char)next_rand(&seed);
		fseek(fp, page * 4096, SEEK_SET);
		assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	}
	fclose(fp);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *buf = tu_read_file(from, &len);
	assert_non_null(buf);
	FILE *fp = fopen(to, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
	free(buf);
}

static void exec_on(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
	sqlite3_close(db);
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* ---- identity ---------------------------------------------------------------- */

static void test_identify_new_and_not_sqlite(void **state)
{
	struct fixture *f = *state;
	struct dbfile_id id;
	char *cause = NULL;
	assert_int_equal(dbfile_identify(f->path, &id, &cause), 0);
	assert_int_equal(id.kind, DBFILE_NEW);
	FILE *fp = fopen(f->path, "w");
	fclose(fp);
	assert_int_equal(dbfile_identify(f->path, &id, &cause), 0);
	assert_int_equal(id.kind, DBFILE_NEW);

	/* a text file: not a database, refused by its header, unchanged */
	fp = fopen(f->path, "w");
	fputs("{\"this is\": \"not a database, but is long enough to have a header\"}\n", fp);
	fclose(fp);
	size_t len0, len1;
	char *before = tu_read_file(f->path, &len0);
	assert_int_equal(dbfile_identify(f->path, &id, &cause), VG_ECORRUPT);
	assert_non_null(strstr(cause, f->path));
	assert_non_null(strstr(cause, "not a SQLite database"));
	free(cause);
	cause = NULL;
	assert_int_equal(open_store(f, &cause), VG_ECORRUPT);
	assert_null(f->s);
	assert_non_null(strstr(cause, "not a SQLite database"));
	free(cause);
	char *after = tu_read_file(f->path, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
}

/* The case: a database another program made (a table, rollback
 * journal) is refused before anything touches it; today its journal mode
 * became WAL before the schema check failed. */
static void test_foreign_database_untouched(void **state)
{
	struct fixture *f = *state;
	exec_on(f->path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
	                 "INSERT INTO notes (body) VALUES ('keep me');");
	size_t len0, len1;
	char *before = tu_read_file(f->path, &len0);
	char *cause = NULL;
	assert_int_equal(open_store(f, &cause), VG_EDB);
	assert_null(f->s);
	assert_non_null(cause);
	assert_non_null(strstr(cause, f->path));
	assert_non_null(strstr(cause, "not a vigil database"));
	assert_non_null(strstr(cause, "notes"));
	free(cause);
	char *after = tu_read_file(f->path, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
	char wal[600];
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_false(exists(wal));

	/* another application's mark: refused the same way, named */
	exec_on(f->path, "PRAGMA application_id = 1196444487"); /* "GPKG" */
	cause = NULL;
	assert_int_equal(open_store(f, &cause), VG_EDB);
	assert_non_null(strstr(cause, "another application"));
	assert_non_null(strstr(cause, "0x47504b47"));
	free(cause);
	struct dbfile_id id;
	cause = NULL;
	assert_int_equal(dbfile_check(f->path, true, 10, NULL, NULL, &id, &cause), VG_EDB);
	free(cause);
}

static void test_vigil_marked_and_unmarked(void **state)
{
	struct fixture *f = *state;
	make_db(f, 100);
	assert_int_equal(tu_sql_int(f->path, "PRAGMA application_id"), DBFILE_APPLICATION_ID);
	struct dbfile_id id;
	char *cause = NULL;
	assert_int_equal(dbfile_identify(f->path, &id, &cause), 0);
	assert_int_equal(id.kind, DBFILE_VIGIL);
	assert_int_equal(id.user_version, STORE_SCHEMA_VERSION);

	/* a vigil database from before the mark (and before schema 3, the outbox's
	 * idempotency keys, 4, baselines, 5, the gateway's age in health, 6,
	 * the actions' outcomes, and 7, the tailed files' sizes):
	 * recognised by its tables, marked and migrated */
	exec_on(f->path, "PRAGMA application_id = 0; PRAGMA user_version = 2;"
	                 "ALTER TABLE outbox DROP COLUMN idempotency_key;"
	                 "DROP TABLE rollup_minute; DROP TABLE rollup_hour;"
	                 "DROP TABLE baseline_models; DROP TABLE baseline_reviews;"
	                 "ALTER TABLE operator_actions DROP COLUMN review_id;"
	                 "ALTER TABLE health DROP COLUMN gateway_event_ms;"
	                 "ALTER TABLE operator_actions DROP COLUMN outcome;"
	                 "ALTER TABLE tail_positions DROP COLUMN file_size");
	assert_int_equal(dbfile_identify(f->path, &id, &cause), 0);
	assert_int_equal(id.kind, DBFILE_UNMARKED);
	assert_int_equal(open_store(f, &cause), 0);
	close_store(f);
	assert_int_equal(tu_sql_int(f->path, "PRAGMA application_id"), DBFILE_APPLICATION_ID);
	assert_int_equal(tu_sql_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM pragma_table_info('outbox') "
	                                     "WHERE name = 'idempotency_key'"),
	                 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM pragma_table_info("
	                                     "'tail_positions') WHERE name = 'file_size'"),
	                 1);
	assert_int_equal(tu_sql_int(f->path, "SELECT count(*) FROM observations"), 100);
}

/* ---- integrity ---------------------------------------------------------------- */

struct lines {
	int n;
	char first[256];
};

static void on_line(void *data, const char *line)
{
	struct lines *l = data;
	if (!l->n++)
		snprintf(l->first, sizeof(l->first), "%s", line);
}

static void test_check_and_refusal_at_open(void **state)
{
	struct fixture *f = *state;
	make_db(f, ROWS);
	struct lines l = { 0 };
	char *cause = NULL;
	assert_int_equal(dbfile_check(f->path, false, 50, on_line, &l, NULL, &cause), 0);
	assert_int_equal(l.n, 0);
	damage(f->path, 30, 0, 7);
	size_t len0, len1;
	char *before = tu_read_file(f->path, &len0);
	assert_int_equal(dbfile_check(f->path, false, 50, on_line, &l, NULL, &cause), VG_ECORRUPT);
	assert_null(cause);
	assert_true(l.n > 0);
	l.n = 0;
	assert_int_equal(dbfile_check(f->path, true, 50, on_line, &l, NULL, &cause), VG_ECORRUPT);
	assert_true(l.n > 0);

	/* the store does not open it, and writes nothing (not even WAL mode) */
	assert_int_equal(open_store(f, &cause), VG_ECORRUPT);
	assert_null(f->s);
	assert_non_null(strstr(cause, f->path));
	assert_non_null(strstr(cause, "corrupt"));
	assert_non_null(strstr(cause, "vigil db recover"));
	assert_null(strchr(cause, '\n'));
	free(cause);
	char *after = tu_read_file(f->path, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
}

/* Damage that appears while the store runs: the batch that meets it fails
 * with VG_ECORRUPT, on_corrupt runs once naming the file, and nothing more
 * is accepted (batches, flushes, queries). */
static void test_damage_while_running(void **state)
{
	struct fixture *f = *state;
	make_db(f, ROWS);
	char *cause = NULL;
	assert_int_equal(open_store(f, &cause), 0);
	/* every page but the schema's: whatever the insert needs that is not
	 * in the connection's small cache is read from disk and is garbage */
	damage(f->path, -1, 2, 99);
	add_rows_ex(f, 2000, 4242, 1795777200000, false);
	assert_int_equal(f->last_err, VG_ECORRUPT);
	assert_int_equal(f->corrupt_calls, 1);
	assert_non_null(strstr(f->corrupt_msg, f->path));
	assert_non_null(strstr(f->corrupt_msg, "corrupt"));
	struct store_stats st;
	store_stats(f->s, &st);
	assert_true(st.failed);
	assert_true(st.corrupt);

	struct store_batch *b = store_batch_new(NULL, NULL);
	assert_int_equal(store_submit(f->s, b), VG_ECORRUPT);
	store_batch_free(b);
	assert_int_equal(store_flush(f->s, on_commit, f), VG_ECORRUPT);
	assert_int_equal(store_query(f->s, STORE_Q_MAX_IDS, on_answer, f), VG_ECORRUPT);
	close_store(f);
	assert_int_equal(f->corrupt_calls, 1);
}

/* ---- salvage ------------------------------------------------------------------ */

static void test_salvage_keeps_what_reads(void **state)
{
	struct fixture *f = *state;
	make_db(f, ROWS);
	copy_file(f->path, f->copy);
	damage(f->path, 30, 0, 7);
	size_t len0, len1;
	char *before = tu_read_file(f->path, &len0);

	struct dbfile_salvage_report rep;
	char *cause = NULL;
	int rc = dbfile_salvage(f->path, f->out, &rep, &cause);
	if (rc)
		fail_msg("salvage: %s", cause ? cause : "?");
	assert_true(rep.damaged);
	assert_true(rep.result_ok);
	const struct dbfile_table_report *obs = NULL;
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.t[i].table, "observations") == 0)
			obs = &rep.t[i];
	assert_non_null(obs);
	assert_true(obs->gaps > 0);
	int64_t saved = tu_sql_int(f->out, "SELECT count(*) FROM observations");
	assert_int_equal(saved, obs->copied);
	/* at most the rows of the 30 pages (and their neighbours' gaps) are lost:
	 * far more than half survive, and none is invented */
	assert_true(saved > ROWS * 3 / 4);
	assert_true(saved < ROWS);
	char sql[1400];
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM observations o JOIN orig.observations p ON p.id = o.id "
	         "WHERE p.request_id = o.request_id AND p.ts_ms = o.ts_ms AND "
	         "p.total_ms = o.total_ms");
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->out, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	char attach[700];
	snprintf(attach, sizeof(attach), "ATTACH '%s' AS orig", f->copy);
	assert_int_equal(sqlite3_exec(db, attach, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), saved);
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* the source is untouched; the new file is a vigil database the store opens */
	char *after = tu_read_file(f->path, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
	assert_int_equal(tu_sql_int(f->out, "PRAGMA application_id"), DBFILE_APPLICATION_ID);
	struct stat sb;
	assert_int_equal(stat(f->out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(f->path, sizeof(f->path), "%s", f->out);
	assert_int_equal(open_store(f, &cause), 0);
	add_rows(f, 10, 1, 1795780800000);
	assert_int_equal(f->last_err, 0);
	close_store(f);

	/* never over an existing file */
	assert_int_equal(dbfile_salvage(f->copy, f->out, &rep, &cause), VG_EINVAL);
	assert_non_null(strstr(cause, "exists"));
	free(cause);
}

static void test_salvage_whole_and_refusals(void **state)
{
	struct fixture *f = *state;
	make_db(f, 500);
	struct dbfile_salvage_report rep;
	char *cause = NULL;
	assert_int_equal(dbfile_salvage(f->path, f->out, &rep, &cause), 0);
	assert_false(rep.damaged);
	assert_true(rep.result_ok);
	assert_int_equal(tu_sql_int(f->out, "SELECT count(*) FROM observations"), 500);
	assert_int_equal(tu_sql_int(f->out, "SELECT sum(requests) FROM obs_minute"), 500);

	exec_on(f->copy, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	unlink(f->out);
	assert_int_equal(dbfile_salvage(f->copy, f->out, &rep, &cause), VG_EDB);
	assert_non_null(strstr(cause, "not a vigil database"));
	free(cause);
	assert_false(exists(f->out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identify_new_and_not_sqlite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vigil_marked_and_unmarked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_and_refusal_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_salvage_keeps_what_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_salvage_whole_and_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
