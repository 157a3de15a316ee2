/*
 * dbfile.h: a vigil database as a file: whose it is, whether it is whole,
 * and what can be saved from it when it is not. Every other module that
 * opens a database asks here first (data/store, data/console_read,
 * data/replay_src, `vigil db`).
 *
 * Identity. vigil marks its databases with PRAGMA application_id =
 * DBFILE_APPLICATION_ID (0x7667696C, "vgil" in ASCII; SQLite keeps it at
 * offset 68 of the file header, where file(1) and others look) when it
 * creates one, and when it first opens one made before the mark existed
 * (store__migrate()). dbfile_identify() decides, through a read-only
 * connection that changes nothing (no journal mode, no schema, no mark),
 * whether a file may be touched: a missing or empty file (vigil creates its
 * schema), a marked vigil database, an unmarked one that holds vigil's
 * tables (it gets the mark), or something else, which is refused with a
 * message naming the file and left byte for byte as it was.
 *
 * Integrity. SQLite says SQLITE_CORRUPT (a page that does not parse) or
 * SQLITE_NOTADB (a header that does not) when it meets damage, wherever
 * that happens to be read; dbfile_is_corrupt() recognises both (with their
 * extended codes) and dbfile_corrupt_cause() words the message every
 * caller gives. dbfile_check() runs PRAGMA integrity_check (or the cheaper
 * quick_check, which the store runs when it opens a file) and reports each
 * problem SQLite lists.
 *
 * Salvage. SQLite's own recovery (the sqlite3 shell's .recover, the
 * sqlite3_recover API of ext/recover since 3.40) is not part of the library
 * that Debian and most systems ship, and vigil does not shell out for it.
 * dbfile_salvage() copies vigil's own tables row by row into a new vigil
 * database: rowid tables are read in rowid order, and where a read fails it
 * probes forward (then bisects) for the first rowid it can read again, so
 * only the rows on damaged pages are lost; a WITHOUT ROWID table (the
 * rollups, health, tail positions) is copied up to its first damaged page.
 * Rows under a damaged interior page are out of its reach (the shell's
 * .recover, which reads every page, can find some of them: docs/deploy.md).
 *
 * Threads: none of its own; every function opens its own connection,
 * except dbfile_check_db(), which uses the caller's.
 */
#ifndef VIGIL_DATA_DBFILE_H
#define VIGIL_DATA_DBFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;

/* PRAGMA application_id of every vigil database: "vgil". */
#define DBFILE_APPLICATION_ID 0x7667696C

enum dbfile_kind {
	DBFILE_NEW,      /* no file, an empty one, or a database without any table */
	DBFILE_VIGIL,    /* marked with DBFILE_APPLICATION_ID */
	DBFILE_UNMARKED, /* vigil's tables without the mark: from before the mark */
};

struct dbfile_id {
	enum dbfile_kind kind;
	uint32_t application_id;
	int user_version; /* the schema version (store.h), 0 for a new file */
};

/*
 * What `path` is, read without changing it (see above). Returns 0 and *out,
 * or with a malloc'd message naming the file in *cause (caller frees; may
 * be NULL): VG_ECORRUPT when it is not a SQLite database (its header is
 * not SQLite's, or is damaged) or its schema cannot be read, VG_EDB when it
 * is another application's database (or cannot be opened), VG_EIO when it
 * is not a regular file or cannot be read.
 */
int dbfile_identify(const char *path, struct dbfile_id *out, char **cause);

/*
 * Whether `path` starts with SQLite's header, read with read() (SQLite does
 * not open it for this). 0, VG_EIO (cannot be read) or VG_ECORRUPT (another
 * kind of file, or a destroyed header), with a malloc'd message naming the
 * file in *cause (may be NULL).
 */
int dbfile_header(const char *path, char **cause);

/* True for SQLITE_CORRUPT and SQLITE_NOTADB, with any extended code. */
bool dbfile_is_corrupt(int sqlite_rc);

/*
 * The message for damage met while doing `what` ("writing", "reading the
 * incidents", ...): it names the file, quotes SQLite's `detail`, and says
 * what to run next. A malloc'd string (caller frees), NULL when out of memory.
 */
char *dbfile_corrupt_cause(const char *path, const char *what, const char *detail);

/* One line of a check's findings, borrowed during the call. */
typedef void (*dbfile_line_fn)(void *data, const char *line);

/*
 * PRAGMA integrity_check, or quick_check when `quick`, on the open
 * connection `db`, reporting at most max_problems problems (<= 0: 100)
 * through `line` (may be NULL). Returns 0 when SQLite says "ok",
 * VG_ECORRUPT when it lists problems or meets damage it cannot walk past
 * (then `line` gets SQLite's message), VG_EDB for another failure.
 */
int dbfile_check_db(struct sqlite3 *db, bool quick, int max_problems, dbfile_line_fn line,
                    void *data);

/*
 * The same on the file `path`, opened read-only after dbfile_identify()
 * (another application's file is refused with VG_EDB and *cause; a file
 * that is not a database at all is VG_ECORRUPT with *cause). *id gets what
 * the file is (may be NULL).
 */
int dbfile_check(const char *path, bool quick, int max_problems, dbfile_line_fn line, void *data,
                 struct dbfile_id *id, char **cause);

/* What dbfile_salvage() saved of one table. */
struct dbfile_table_report {
	char table[40];
	int64_t copied;  /* rows in the new file */
	int64_t refused; /* rows read but refused by the new schema (garbage) */
	int64_t gaps;    /* runs of unreadable rows skipped */
	bool unreadable; /* nothing of it could be read */
	bool cut;        /* a WITHOUT ROWID table copied only up to its first damage */
};

#define DBFILE_MAX_TABLES 32

struct dbfile_salvage_report {
	struct dbfile_table_report t[DBFILE_MAX_TABLES];
	size_t n;
	int64_t copied;
	bool damaged;   /* some table had a gap, a cut, refused rows or was unreadable */
	bool result_ok; /* the new file passed PRAGMA integrity_check */
};

/*
 * Copy what is readable of vigil's tables in `src` (opened read-only,
 * never changed) into a new vigil database `dst` (created with mode 0600;
 * it must not exist), schema and mark included. Returns 0 with *rep
 * filled (damage is in the report, not an error), or with a malloc'd
 * message in *cause: VG_EINVAL (dst exists, or is src), VG_EDB (src is
 * another application's database, or dst cannot be written: it is removed),
 * VG_ECORRUPT (src's schema is unreadable: nothing to salvage), VG_EIO,
 * VG_ENOMEM.
 */
int dbfile_salvage(const char *src, const char *dst, struct dbfile_salvage_report *rep,
                   char **cause);

#endif
