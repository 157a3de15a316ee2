/*
 * dbaccess.h: getting at a database file as the user who runs a command:
 * whether the path can be used at all (dbaccess_check), and a read-only
 * connection that needs no write access (dbaccess_open_ro).
 *
 * The check. Every command that takes --db asks here first, so the same
 * failure reads the same everywhere, with the same exit status
 * (app/cli_db.c maps the kinds below to statuses; README lists them):
 * a path that does not exist (or whose folder does not, for a command that
 * would create it), a path that is a directory or a device, a file the
 * user may not read (or write, for a command that writes), and a file
 * that is not a vigil database (another kind of file, another
 * application's database). SQLite would say "unable to open database
 * file", "disk I/O error" or "file is not a database" for most of these.
 *
 * Read-only connections. vigil's databases are in WAL mode. A WAL reader
 * needs the -shm file: when no writer is running its -wal and -shm are
 * gone, and a user who cannot create them (no write access to the folder,
 * a read-only mount) gets SQLITE_READONLY even for a SELECT. Then nobody
 * writes the file (a writer would have made the -shm, readable to this
 * user or not), and dbaccess_open_ro() opens it with SQLite's `immutable`
 * flag, says so in *immutable, and the caller reopens normally once a -shm
 * shows up (a daemon started). With a -shm that exists but cannot be
 * read, the file is unreadable for this user and the open fails.
 *
 * Threads: none; each call is independent.
 */
#ifndef VIGIL_DATA_DBACCESS_H
#define VIGIL_DATA_DBACCESS_H

#include <stdbool.h>

struct sqlite3;

/* What is wrong with a database path, for the exit status. */
enum dbaccess_problem {
	DBACCESS_OK = 0,
	DBACCESS_MISSING,   /* no such file (or, to create one, no such folder) */
	DBACCESS_NOT_FILE,  /* a directory, a device, a socket... */
	DBACCESS_DENIED,    /* the user may not read it (or write it, when asked to) */
	DBACCESS_NOT_VIGIL, /* not a SQLite database, or another application's */
};

/* How a command uses the database. */
enum dbaccess_need {
	DBACCESS_READ,   /* read an existing database */
	DBACCESS_WRITE,  /* read and write an existing database */
	DBACCESS_CREATE, /* read and write; a missing file is created */
};

/*
 * Whether `path` can be used as `need` says. Returns DBACCESS_OK, or
 * another kind with a malloc'd message in *cause that names the file and
 * says what to do (caller frees; *cause may stay NULL when out of memory).
 * It reads the file's header and schema (dbfile_identify()) and changes
 * nothing. A damaged vigil database passes: what to do about damage is the
 * command's (`vigil db check` is for exactly that file).
 */
enum dbaccess_problem dbaccess_check(const char *path, enum dbaccess_need need, char **cause);

/* A short name for a problem ("missing", "not a file", ...), for logs. */
const char *dbaccess_problem_name(enum dbaccess_problem p);

/*
 * Open `path` read-only (SQLITE_OPEN_READONLY, plus `extra_flags` such as
 * SQLITE_OPEN_NOMUTEX) and check that it can be read; immutable when no
 * writer is running and this user cannot make the -shm (see above; then
 * *immutable is true, else false; may be NULL). Returns an SQLite result
 * code: SQLITE_OK with *db open, or an error with *db NULL and a malloc'd
 * message naming the file in *cause (may be NULL).
 */
int dbaccess_open_ro(const char *path, int extra_flags, struct sqlite3 **db, bool *immutable,
                     char **cause);

/* True when a writer has made `path`'s -shm since an immutable open. */
bool dbaccess_shm_exists(const char *path);

/*
 * Whether this user can write operator actions or rows into `path`: the
 * file itself, its -wal and -shm when they exist, and its folder when they
 * do not (SQLite creates them). 0, or -1 with a malloc'd message naming
 * what cannot be written in *cause (may be NULL).
 */
int dbaccess_writable(const char *path, char **cause);

#endif
