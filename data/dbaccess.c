/*
 * dbaccess.c: whether a database path can be used by this user, and
 * read-only connections that need no write access (see dbaccess.h).
 */
#include "data/dbaccess.h"

#include "core/vgerr.h"
#include "data/dbfile.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *dbaccess_problem_name(enum dbaccess_problem p)
{
	switch (p) {
	case DBACCESS_OK: return "ok";
	case DBACCESS_MISSING: return "missing";
	case DBACCESS_NOT_FILE: return "not a file";
	case DBACCESS_DENIED: return "permission denied";
	case DBACCESS_NOT_VIGIL: return "not a vigil database";
	default: return "?";
	}
}

/* The folder that holds `path` ("." for a bare name). */
static void folder_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

static bool exists(const char *path, const char *suffix, off_t *size)
{
	char p[4096];
	struct stat sb;
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	if (stat(p, &sb) != 0)
		return false;
	if (size)
		*size = sb.st_size;
	return true;
}

bool dbaccess_shm_exists(const char *path)
{
	return exists(path, "-shm", NULL);
}

int dbaccess_writable(const char *path, char **cause)
{
	if (access(path, W_OK) != 0 && errno != ENOENT)
		return vg_cause(cause, -1, "%s: this user cannot write it (%s)", path,
		                strerror(errno));
	bool create = false;
	static const char *const side[] = { "-wal", "-shm" };
	for (size_t i = 0; i < 2; i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s%s", path, side[i]);
		if (access(p, F_OK) != 0) {
			create = true;
			continue;
		}
		if (access(p, W_OK) != 0)
			return vg_cause(cause, -1, "%s: this user cannot write it (%s)", p,
			                strerror(errno));
	}
	char dir[4096];
	folder_of(path, dir, sizeof(dir));
	if ((create || access(path, F_OK) != 0) && access(dir, W_OK | X_OK) != 0)
		return vg_cause(cause, -1,
		                "%s: this user cannot write in its folder %s (%s), where SQLite "
		                "keeps the database's -wal and -shm",
		                path, dir, strerror(errno));
	return 0;
}

/* ---- read-only connections -------------------------------------------------------------- */

/* "file:PATH?immutable=1" with PATH's URI-special characters escaped. */
static char *immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char tail[] = "?immutable=1";
	size_t n = strlen(path);
	char *u = malloc(n * 3 + sizeof(tail) + 5);
	if (!u)
		return NULL;
	memcpy(u, "file:", 5);
	char *o = u + 5;
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '%' || ch == '?' || ch == '#') {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		} else {
			*o++ = (char)ch;
		}
	}
	memcpy(o, tail, sizeof(tail));
	return u;
}

/* Read something, so that WAL's shared memory is set up now: an SQLite code. */
static int probe_read(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master LIMIT 1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* Damage is met (and worded) where the caller reads, as before. */
	return rc == SQLITE_ROW || rc == SQLITE_DONE || dbfile_is_corrupt(rc) ? SQLITE_OK : rc;
}

static int open_flags(const char *name, int flags, sqlite3 **db)
{
	int rc = sqlite3_open_v2(name, db, flags, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(*db, 5000);
		rc = probe_read(*db);
	}
	return rc;
}

int dbaccess_open_ro(const char *path, int extra_flags, sqlite3 **db, bool *immutable, char **cause)
{
	if (immutable)
		*immutable = false;
	*db = NULL;
	int rc = open_flags(path, SQLITE_OPEN_READONLY | extra_flags, db);
	int prim = rc & 0xff;
	off_t wal = 0;
	if ((prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN) && !dbaccess_shm_exists(path) &&
	    (!exists(path, "-wal", &wal) || wal == 0)) {
		/* No writer is running and this user cannot start WAL's shared
		 * memory: the file is read as it stands (dbaccess.h). */
		char *uri = immutable_uri(path);
		if (!uri) {
			sqlite3_close(*db);
			*db = NULL;
			return SQLITE_NOMEM;
		}
		sqlite3_close(*db);
		*db = NULL;
		rc = open_flags(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | extra_flags, db);
		free(uri);
		if (rc == SQLITE_OK && immutable)
			*immutable = true;
	}
	if (rc != SQLITE_OK) {
		if (dbfile_is_corrupt(rc) && cause)
			*cause = dbfile_corrupt_cause(path, "opening it",
			                              *db ? sqlite3_errmsg(*db) : NULL);
		else
			vg_cause(cause, 0, "%s: cannot read the database: %s%s", path,
			         *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc),
			         prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN
			                 ? " (this user cannot read its -wal or -shm, or cannot "
			                   "create them)"
			                 : "");
		sqlite3_close(*db);
		*db = NULL;
	}
	return rc;
}

/* ---- the check -------------------------------------------------------------------------- */

static enum dbaccess_problem missing(const char *path, enum dbaccess_need need, char **cause)
{
	if (need != DBACCESS_CREATE) {
		vg_cause(cause, 0,
		         "%s: no such database (check the path; `vigil run` and `vigil ingest` "
		         "create one)",
		         path);
		return DBACCESS_MISSING;
	}
	char dir[4096];
	struct stat ds;
	folder_of(path, dir, sizeof(dir));
	if (stat(dir, &ds) != 0) {
		if (errno == EACCES) {
			vg_cause(cause, 0, "%s: cannot reach its folder %s: %s", path, dir,
			         strerror(errno));
			return DBACCESS_DENIED;
		}
		vg_cause(cause, 0, "%s: cannot create the database: no such folder %s", path, dir);
		return DBACCESS_MISSING;
	}
	if (!S_ISDIR(ds.st_mode)) {
		vg_cause(cause, 0, "%s: cannot create the database: %s is not a folder", path, dir);
		return DBACCESS_MISSING;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		vg_cause(cause, 0,
		         "%s: cannot create the database: this user cannot write in %s (%s)", path,
		         dir, strerror(errno));
		return DBACCESS_DENIED;
	}
	return DBACCESS_OK;
}

static enum dbaccess_problem identify(const char *path, char **cause);

enum dbaccess_problem dbaccess_check(const char *path, enum dbaccess_need need, char **cause)
{
	if (cause)
		*cause = NULL;
	struct stat sb;
	if (stat(path, &sb) != 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return missing(path, need, cause);
		vg_cause(cause, 0, "%s: cannot reach it: %s", path, strerror(e));
		return e == EACCES ? DBACCESS_DENIED : DBACCESS_MISSING;
	}
	if (S_ISDIR(sb.st_mode)) {
		vg_cause(cause, 0,
		         "%s: a directory, not a database file (give the file in it, such as "
		         "%s/vigil.db)",
		         path, path);
		return DBACCESS_NOT_FILE;
	}
	if (!S_ISREG(sb.st_mode)) {
		vg_cause(cause, 0, "%s: not a regular file (a device, a pipe or a socket)", path);
		return DBACCESS_NOT_FILE;
	}
	if (access(path, R_OK) != 0) {
		vg_cause(cause, 0,
		         "%s: this user (uid %d) cannot read it (mode %04o, owner uid %d)", path,
		         (int)getuid(), (unsigned)(sb.st_mode & 07777), (int)sb.st_uid);
		return DBACCESS_DENIED;
	}
	enum dbaccess_problem p = sb.st_size == 0 ? DBACCESS_OK : identify(path, cause);
	if (p == DBACCESS_OK && need != DBACCESS_READ && dbaccess_writable(path, cause) != 0)
		return DBACCESS_DENIED;
	return p;
}

/* What the file is (its header, then dbfile_identify()), for the check. */
static enum dbaccess_problem identify(const char *path, char **cause)
{
	int hrc = dbfile_header(path, cause);
	if (hrc != 0)
		return hrc == VG_ECORRUPT ? DBACCESS_NOT_VIGIL : DBACCESS_DENIED;
	sqlite3 *db = NULL;
	char *oc = NULL;
	int rc = dbaccess_open_ro(path, 0, &db, NULL, &oc);
	sqlite3_close(db);
	if (rc != SQLITE_OK) {
		if (dbfile_is_corrupt(rc)) {
			free(oc); /* damage is the command's to report */
			return DBACCESS_OK;
		}
		if (cause)
			*cause = oc;
		else
			free(oc);
		return DBACCESS_DENIED;
	}
	struct dbfile_id id;
	char *why = NULL;
	rc = dbfile_identify(path, &id, &why);
	if (rc != VG_EDB && rc != VG_EIO) {
		free(why); /* damage is the command's to report */
		return DBACCESS_OK;
	}
	if (cause)
		*cause = why;
	else
		free(why);
	return rc == VG_EDB ? DBACCESS_NOT_VIGIL : DBACCESS_DENIED;
}
