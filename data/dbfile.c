/*
 * dbfile.c: identity, integrity check and salvage of a vigil database file
 * (see dbfile.h). Each function opens its own connection (read-only for
 * the file it inspects), so nothing here shares state with the store thread.
 */
#include "data/dbfile.h"

#include "core/vgerr.h"
#include "data/dbaccess.h"
#include "data/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The tables every vigil schema has had since its first version. */
static const char *const vigil_tables[] = { "observations", "failure_events",   "incidents",
	                                    "outbox",       "operator_actions", "tail_positions" };

bool dbfile_is_corrupt(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

char *dbfile_corrupt_cause(const char *path, const char *what, const char *detail)
{
	char buf[1024], said[256];
	/* SQLite's words on one line (quick_check's start "*** in database main ***\n") */
	snprintf(said, sizeof(said), "%s",
	         detail && detail[0] ? detail : "database disk image is malformed");
	const char *skip = "*** in database main ***";
	char *from = strncmp(said, skip, strlen(skip)) == 0 ? said + strlen(skip) : said;
	while (*from == '\n' || *from == ' ')
		from++;
	for (char *p = from; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	snprintf(buf, sizeof(buf),
	         "%s: the database is corrupt (%s; met while %s): vigil stops writing to a damaged "
	         "database. See the damage with `vigil db check --db %s`; copy what is readable "
	         "into "
	         "a new file with `vigil db recover --db %s --out NEW`",
	         path, from, what && what[0] ? what : "reading", path, path);
	return strdup(buf);
}

/* ---- identity ------------------------------------------------------------------------- */

static int open_ro(const char *path, sqlite3 **db, char **cause)
{
	/* without write access too (data/dbaccess.h) */
	int rc = dbaccess_open_ro(path, SQLITE_OPEN_NOMUTEX, db, NULL, cause);
	if (rc != SQLITE_OK)
		return dbfile_is_corrupt(rc) ? VG_ECORRUPT : VG_EDB;
	return 0;
}

/* An integer pragma's value; an SQLite code. */
static int pragma_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The tables of the schema: how many, whether vigil's are all there, and
 * the first few names (for a refusal's message). An SQLite code. */
static int schema_tables(sqlite3 *db, int *n, bool *has_vigil, char *names, size_t size)
{
	sqlite3_stmt *st;
	*n = 0;
	*has_vigil = false;
	names[0] = '\0';
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT name FROM sqlite_master WHERE type = 'table' AND "
	                            "name NOT LIKE 'sqlite_%' ORDER BY name",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	size_t found = 0, at = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!t)
			continue;
		(*n)++;
		for (size_t i = 0; i < sizeof(vigil_tables) / sizeof(vigil_tables[0]); i++)
			found += strcmp(t, vigil_tables[i]) == 0;
		if (*n <= 4 && at < size) {
			int k = snprintf(names + at, size - at, "%s%s", at ? ", " : "", t);
			at = k < 0 || (size_t)k >= size - at ? size - 1 : at + (size_t)k;
		} else if (*n == 5 && at + 5 < size) {
			memcpy(names + at, ", ...", 6);
			at += 5;
		}
	}
	sqlite3_finalize(st);
	*has_vigil = found == sizeof(vigil_tables) / sizeof(vigil_tables[0]);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int dbfile_header(const char *path, char **cause)
{
	char head[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_cause(cause, VG_EIO, "%s: cannot read: %s", path, strerror(errno));
	ssize_t got = read(fd, head, sizeof(head));
	close(fd);
	if (got != (ssize_t)sizeof(head) || memcmp(head, "SQLite format 3", 16) != 0)
		return vg_cause(cause, VG_ECORRUPT,
		                "%s: not a vigil database: not a SQLite database (its first bytes "
		                "are not SQLite's header): another kind of file, or a database "
		                "whose header is destroyed; vigil leaves it as it is",
		                path);
	return 0;
}

int dbfile_identify(const char *path, struct dbfile_id *out, char **cause)
{
	memset(out, 0, sizeof(*out));
	if (cause)
		*cause = NULL;
	struct stat sb;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT) {
			out->kind = DBFILE_NEW;
			return 0;
		}
		vg_cause(cause, 0, "%s: %s", path, strerror(errno));
		return VG_EIO;
	}
	if (!S_ISREG(sb.st_mode)) {
		vg_cause(cause, 0, "%s: not a regular file", path);
		return VG_EIO;
	}
	if (sb.st_size == 0) {
		out->kind = DBFILE_NEW;
		return 0;
	}
	/* The header first, with read(): a file that is not SQLite's is not
	 * even opened by SQLite. */
	int hrc = dbfile_header(path, cause);
	if (hrc != 0)
		return hrc;

	sqlite3 *db = NULL;
	int rc = open_ro(path, &db, cause);
	if (rc != 0)
		return rc;
	int64_t app = 0, ver = 0;
	int ntab = 0;
	bool has_vigil = false;
	char names[160];
	int src = pragma_int(db, "PRAGMA application_id", &app);
	if (src == SQLITE_OK)
		src = pragma_int(db, "PRAGMA user_version", &ver);
	if (src == SQLITE_OK)
		src = schema_tables(db, &ntab, &has_vigil, names, sizeof(names));
	if (src != SQLITE_OK) {
		bool corrupt = dbfile_is_corrupt(src);
		if (corrupt) {
			if (cause)
				*cause = dbfile_corrupt_cause(path, "reading its schema",
				                              sqlite3_errmsg(db));
		} else {
			vg_cause(cause, 0, "%s: cannot read the database: %s", path,
			         sqlite3_errmsg(db));
		}
		sqlite3_close(db);
		return corrupt ? VG_ECORRUPT : VG_EDB;
	}
	sqlite3_close(db);
	out->application_id = (uint32_t)app;
	out->user_version = (int)ver;
	if (out->application_id == DBFILE_APPLICATION_ID) {
		out->kind = DBFILE_VIGIL;
		return 0;
	}
	if (out->application_id != 0) {
		vg_cause(cause, 0,
		         "%s: the database of another application (application_id 0x%08x; "
		         "vigil's is 0x%08x), not vigil's: refusing to touch it",
		         path, out->application_id, (unsigned)DBFILE_APPLICATION_ID);
		return VG_EDB;
	}
	if (ntab == 0 && ver == 0) {
		out->kind = DBFILE_NEW;
		return 0;
	}
	if (has_vigil && ver >= 1) {
		out->kind = DBFILE_UNMARKED;
		return 0;
	}
	vg_cause(cause, 0,
	         "%s: not a vigil database (no application_id; tables: %s; user_version %lld): "
	         "refusing to touch it",
	         path, ntab ? names : "none", (long long)ver);
	return VG_EDB;
}

/* ---- integrity ------------------------------------------------------------------------- */

int dbfile_check_db(struct sqlite3 *db, bool quick, int max_problems, dbfile_line_fn line,
                    void *data)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA %s(%d)", quick ? "quick_check" : "integrity_check",
	         max_problems > 0 ? max_problems : 100);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		if (line)
			line(data, sqlite3_errmsg(db));
		return dbfile_is_corrupt(rc) ? VG_ECORRUPT : VG_EDB;
	}
	int problems = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (t && strcmp(t, "ok") == 0)
			continue;
		problems++;
		if (line)
			line(data, t ? t : "(a problem without a description)");
	}
	int ret = problems ? VG_ECORRUPT : 0;
	if (rc != SQLITE_DONE) {
		if (line)
			line(data, sqlite3_errmsg(db));
		ret = dbfile_is_corrupt(rc) || dbfile_is_corrupt(sqlite3_errcode(db)) ? VG_ECORRUPT
		                                                                      : VG_EDB;
	}
	sqlite3_finalize(st);
	return ret;
}

int dbfile_check(const char *path, bool quick, int max_problems, dbfile_line_fn line, void *data,
                 struct dbfile_id *id, char **cause)
{
	struct dbfile_id tmp;
	if (!id)
		id = &tmp;
	if (cause)
		*cause = NULL;
	struct stat sb;
	if (stat(path, &sb) != 0) {
		vg_cause(cause, 0, "%s: no such database", path);
		return VG_EIO;
	}
	int rc = dbfile_identify(path, id, cause);
	if (rc != 0)
		return rc;
	sqlite3 *db = NULL;
	rc = open_ro(path, &db, cause);
	if (rc != 0)
		return rc;
	rc = dbfile_check_db(db, quick, max_problems, line, data);
	sqlite3_close(db);
	return rc;
}

/* ---- salvage --------------------------------------------------------------------------- */

struct salvage {
	sqlite3 *src, *dst;
	struct dbfile_salvage_report *rep;
};

/* The column names of `table` in `db`, comma-separated, into buf; only
 * those also in `filter` (a list built the same way) when it is given.
 * Returns the count, or -1 on an SQLite error (rc in *err). */
static int column_list(sqlite3 *db, const char *table, const char *filter, char *buf, size_t size,
                       int *err)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')", table);
	sqlite3_stmt *st;
	*err = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*err != SQLITE_OK)
		return -1;
	int n = 0;
	size_t at = 0;
	buf[0] = '\0';
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		if (!c)
			continue;
		if (filter) {
			/* whole names only */
			size_t len = strlen(c);
			bool in = false;
			for (const char *p = filter; (p = strstr(p, c)) != NULL; p += len)
				if ((p == filter || p[-1] == ',') &&
				    (p[len] == ',' || p[len] == '\0'))
					in = true;
			if (!in)
				continue;
		}
		int k = snprintf(buf + at, size - at, "%s%s", n ? "," : "", c);
		if (k < 0 || (size_t)k >= size - at)
			break;
		at += (size_t)k;
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*err = rc;
		return -1;
	}
	return n;
}

/* Insert the current row of `from` (columns first..first+n-1) with `ins`. */
static void copy_row(struct salvage *sv, struct dbfile_table_report *t, sqlite3_stmt *from,
                     int first, int n, sqlite3_stmt *ins)
{
	for (int i = 0; i < n; i++)
		sqlite3_bind_value(ins, i + 1, sqlite3_column_value(from, first + i));
	int rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	sqlite3_clear_bindings(ins);
	if (rc == SQLITE_DONE && sqlite3_changes(sv->dst) > 0)
		t->copied++;
	else
		t->refused++;
}

/* The first readable rowid >= at: 1 and *found, 0 when there is none, -1
 * when the read fails there. */
static int probe(sqlite3_stmt *st, int64_t at, int64_t *found)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, at);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = sqlite3_column_int64(st, 0);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Rowids as unsigned numbers in the same order (INT64_MIN is 0), so that
 * the steps and the bisection below cannot overflow. */
static uint64_t rowid_u(int64_t v)
{
	return (uint64_t)v ^ (UINT64_C(1) << 63);
}

static int64_t rowid_s(uint64_t u)
{
	u ^= UINT64_C(1) << 63;
	int64_t v;
	memcpy(&v, &u, sizeof(v));
	return v;
}

/* Where to read again after a failed read at `from` (which did not give
 * its row): forward in doubling steps to the first rowid that reads, then
 * back by bisection to the earliest such start. Returns 1 and *next, or 0
 * when nothing after `from` reads. */
static int resume_after(sqlite3_stmt *pr, int64_t from, int64_t *next)
{
	uint64_t base = rowid_u(from), bad = base, good = 0;
	int64_t found = 0;
	bool have = false;
	for (uint64_t step = 1; step && !have; step <<= 1) {
		if (UINT64_MAX - base < step)
			break;
		uint64_t at = base + step;
		int r = probe(pr, rowid_s(at), &found);
		if (r == 0)
			return 0;
		if (r == 1) {
			good = at;
			have = true;
		} else {
			bad = at;
		}
	}
	if (!have)
		return 0;
	while (good - bad > 1) {
		uint64_t mid = bad + (good - bad) / 2;
		int64_t f;
		if (probe(pr, rowid_s(mid), &f) == 1)
			good = mid;
		else
			bad = mid;
	}
	if (probe(pr, rowid_s(good), &found) != 1)
		return 0;
	*next = found;
	return 1;
}

static void salvage_rowid_table(struct salvage *sv, struct dbfile_table_report *t, const char *cols,
                                int n)
{
	char sql[2048];
	sqlite3_stmt *rd = NULL, *pr = NULL, *ins = NULL;
	snprintf(sql, sizeof(sql), "SELECT rowid, %s FROM \"%s\" WHERE rowid >= ?1 ORDER BY rowid",
	         cols, t->table);
	int rc = sqlite3_prepare_v2(sv->src, sql, -1, &rd, NULL);
	if (rc == SQLITE_OK) {
		snprintf(sql, sizeof(sql),
		         "SELECT rowid FROM \"%s\" WHERE rowid >= ?1 ORDER BY rowid LIMIT 1",
		         t->table);
		rc = sqlite3_prepare_v2(sv->src, sql, -1, &pr, NULL);
	}
	if (rc != SQLITE_OK) {
		t->unreadable = true;
		goto done;
	}
	size_t at = (size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO \"%s\" (%s) VALUES (",
	                             t->table, cols);
	for (int i = 0; i < n && at < sizeof(sql); i++)
		at += (size_t)snprintf(sql + at, sizeof(sql) - at, "%s?", i ? "," : "");
	if (at < sizeof(sql))
		snprintf(sql + at, sizeof(sql) - at, ")");
	if (sqlite3_prepare_v2(sv->dst, sql, -1, &ins, NULL) != SQLITE_OK) {
		t->unreadable = true;
		goto done;
	}
	int64_t next = INT64_MIN;
	bool any = false;
	for (;;) {
		sqlite3_reset(rd);
		sqlite3_bind_int64(rd, 1, next);
		while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
			int64_t rowid = sqlite3_column_int64(rd, 0);
			any = true;
			copy_row(sv, t, rd, 1, n, ins);
			if (rowid == INT64_MAX) {
				rc = SQLITE_DONE;
				break;
			}
			next = rowid + 1;
		}
		if (rc == SQLITE_DONE)
			break;
		/* a damaged page: find where reading works again */
		t->gaps++;
		int64_t again;
		if (next == INT64_MAX || !resume_after(pr, next, &again))
			break;
		any = true;
		next = again > next ? again : next + 1;
	}
	if (!any && t->gaps)
		t->unreadable = true;
done:
	sqlite3_finalize(rd);
	sqlite3_finalize(pr);
	sqlite3_finalize(ins);
}

/* A WITHOUT ROWID table, in its key order, up to the first damage. */
static void salvage_keyed_table(struct salvage *sv, struct dbfile_table_report *t, const char *cols,
                                int n)
{
	char sql[2048];
	sqlite3_stmt *rd = NULL, *ins = NULL;
	snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\"", cols, t->table);
	if (sqlite3_prepare_v2(sv->src, sql, -1, &rd, NULL) != SQLITE_OK) {
		t->unreadable = true;
		return;
	}
	size_t at = (size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO \"%s\" (%s) VALUES (",
	                             t->table, cols);
	for (int i = 0; i < n && at < sizeof(sql); i++)
		at += (size_t)snprintf(sql + at, sizeof(sql) - at, "%s?", i ? "," : "");
	if (at < sizeof(sql))
		snprintf(sql + at, sizeof(sql) - at, ")");
	if (sqlite3_prepare_v2(sv->dst, sql, -1, &ins, NULL) != SQLITE_OK) {
		t->unreadable = true;
		sqlite3_finalize(rd);
		return;
	}
	int rc;
	while ((rc = sqlite3_step(rd)) == SQLITE_ROW)
		copy_row(sv, t, rd, 0, n, ins);
	if (rc != SQLITE_DONE) {
		if (t->copied + t->refused == 0)
			t->unreadable = true;
		else
			t->cut = true;
	}
	sqlite3_finalize(rd);
	sqlite3_finalize(ins);
}

/* Every table of the new file's schema, from the old file. */
static int salvage_tables(struct salvage *sv, char **cause, const char *dst)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sv->dst,
	                       "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND "
	                       "name NOT LIKE 'sqlite_%' ORDER BY rowid",
	                       -1, &st, NULL) != SQLITE_OK) {
		vg_cause(cause, 0, "%s: %s", dst, sqlite3_errmsg(sv->dst));
		return VG_EDB;
	}
	while (sqlite3_step(st) == SQLITE_ROW && sv->rep->n < DBFILE_MAX_TABLES) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *sql = (const char *)sqlite3_column_text(st, 1);
		if (!name || !sql)
			continue;
		struct dbfile_table_report *t = &sv->rep->t[sv->rep->n++];
		memset(t, 0, sizeof(*t));
		snprintf(t->table, sizeof(t->table), "%s", name);
		char dcols[1024], cols[1024];
		int err;
		if (column_list(sv->dst, name, NULL, dcols, sizeof(dcols), &err) <= 0) {
			t->unreadable = true;
			continue;
		}
		/* an older source may lack the table (a later migration) or columns */
		int n = column_list(sv->src, name, dcols, cols, sizeof(cols), &err);
		if (n < 0) {
			t->unreadable = dbfile_is_corrupt(err);
			continue;
		}
		if (n == 0)
			continue;
		size_t len = strlen(sql);
		bool keyed = len >= 13 && strcasecmp(sql + len - 13, "WITHOUT ROWID") == 0;
		if (keyed)
			salvage_keyed_table(sv, t, cols, n);
		else
			salvage_rowid_table(sv, t, cols, n);
	}
	sqlite3_finalize(st);
	return 0;
}

int dbfile_salvage(const char *src, const char *dst, struct dbfile_salvage_report *rep,
                   char **cause)
{
	memset(rep, 0, sizeof(*rep));
	if (cause)
		*cause = NULL;
	struct stat a, b;
	if (stat(src, &a) != 0) {
		vg_cause(cause, 0, "%s: no such database", src);
		return VG_EIO;
	}
	if (stat(dst, &b) == 0) {
		vg_cause(cause, 0,
		         "%s: exists already; recovery writes a new file and never "
		         "overwrites one",
		         dst);
		return VG_EINVAL;
	}
	struct dbfile_id id;
	char *why = NULL;
	int rc = dbfile_identify(src, &id, &why);
	if (rc == VG_EDB || rc == VG_EIO || (rc == VG_ECORRUPT && !why)) {
		if (cause)
			*cause = why;
		else
			free(why);
		return rc;
	}
	if (rc == VG_ECORRUPT) {
		/* the header is not SQLite's, or the schema does not read: no table
		 * can be found, so there is nothing to copy */
		if (cause) {
			char buf[1200];
			snprintf(buf, sizeof(buf),
			         "%s; nothing can be salvaged by vigil (the sqlite3 shell's "
			         ".recover "
			         "reads pages without the schema, see docs/deploy.md)",
			         why);
			*cause = strdup(buf);
		}
		free(why);
		return VG_ECORRUPT;
	}
	free(why);
	if (id.kind == DBFILE_NEW) {
		vg_cause(cause, 0, "%s: holds no vigil table: nothing to recover", src);
		return VG_EINVAL;
	}

	int fd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		vg_cause(cause, 0, "%s: cannot create: %s", dst, strerror(errno));
		return VG_EIO;
	}
	close(fd);
	struct salvage sv = { .rep = rep };
	rc = open_ro(src, &sv.src, cause);
	if (rc != 0) {
		unlink(dst);
		return rc;
	}
	if (sqlite3_open_v2(dst, &sv.dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		vg_cause(cause, 0, "%s: cannot open: %s", dst,
		         sv.dst ? sqlite3_errmsg(sv.dst) : "out of memory");
		rc = VG_EDB;
		goto out;
	}
	rc = store__migrate(sv.dst, dst, cause);
	if (rc != 0)
		goto out;
	if (sqlite3_exec(sv.dst, "PRAGMA synchronous = OFF; BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		vg_cause(cause, 0, "%s: %s", dst, sqlite3_errmsg(sv.dst));
		rc = VG_EDB;
		goto out;
	}
	rc = salvage_tables(&sv, cause, dst);
	if (rc == 0 && sqlite3_exec(sv.dst, "COMMIT; PRAGMA synchronous = FULL", NULL, NULL,
	                            NULL) != SQLITE_OK) {
		vg_cause(cause, 0, "%s: %s", dst, sqlite3_errmsg(sv.dst));
		rc = VG_EDB;
	}
	if (rc == 0) {
		for (size_t i = 0; i < rep->n; i++) {
			const struct dbfile_table_report *t = &rep->t[i];
			rep->copied += t->copied;
			if (t->gaps || t->refused || t->unreadable || t->cut)
				rep->damaged = true;
		}
		rep->result_ok = dbfile_check_db(sv.dst, false, 10, NULL, NULL) == 0;
	}
out:
	sqlite3_close(sv.src);
	sqlite3_close(sv.dst);
	if (rc != 0)
		unlink(dst);
	return rc;
}
