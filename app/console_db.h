/*
 * console_db.h: the console attached to a database: a console_reader (the
 * thread that builds snapshots read-only and writes operator actions) tied
 * to a console_loop. `vigil console` uses it with the reader's restricted
 * writer; `vigil demo` gives its own action callback (the store thread
 * writes the action, since the daemon is in the same process).
 */
#ifndef VIGIL_APP_CONSOLE_DB_H
#define VIGIL_APP_CONSOLE_DB_H

#include "core/baseline.h"
#include "tui/console_loop.h"

struct console_db;

/* Instead of the reader's writer: record an action (demo). Return 0 or an
 * error with a malloc'd *cause. */
typedef int (*console_db_act_fn)(void *ud, const struct op_action *a, char **cause);

struct console_db_opts {
	const char *path;
	console_db_act_fn act; /* NULL: open the restricted writer connection */
	void *act_ud;
	const struct baseline_settings *baselines; /* NULL: core's defaults */
};

/* Open the database read-only (and the writer unless opts->act is given;
 * without write access there is none: console_db_read_only()). Returns 0,
 * or an error with a malloc'd message naming the file. */
int console_db_open(uv_loop_t *loop, const struct console_db_opts *o, struct console_db **out,
                    char **cause);

/* The database path: `db` when given, else the config file's store.path
 * (config NULL: vigil.yaml when it exists, else vigil.db). Writes into buf;
 * 0 or an error with *cause. */
int console_db_resolve(const char *db, const char *config, char *buf, size_t size, char **cause);

/* The config's baselines settings (how warm a slot must be to count as warm)
 * into *out when a config is read: `config`, else vigil.yaml when `db` is
 * NULL and it exists; *out is core's defaults otherwise. 0 or an error with
 * *cause. */
int console_db_baselines(const char *db, const char *config, struct baseline_settings *out,
                         char **cause);

/* Why actions are unavailable (this user cannot write the database; it is
 * read, not written), or NULL. Borrowed until console_db_close(). */
const char *console_db_read_only(const struct console_db *cdb);

/* The source to hand to console_loop_start(); then console_db_attach(). */
struct console_source console_db_source(struct console_db *cdb);
void console_db_attach(struct console_db *cdb, struct console_loop *cl);

/* Stop the reader (pending actions are written first); NULL does nothing. */
void console_db_close(struct console_db *cdb);

#endif
