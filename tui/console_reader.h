/*
 * console_reader.h: the console's database thread. The loop thread never
 * calls SQLite (docs/architecture.md, threads), and in `vigil demo` the
 * console shares that loop with the daemon, so snapshots are built here, on a thread of
 * their own through data/console_read (a read-only connection), and handed
 * back through uv_async_send(). With `writer` set it also owns
 * data/console_act's restricted connection, which may only insert operator
 * actions: that is all `vigil console` ever writes. Every SQL statement is
 * data/'s; this file only moves requests and answers between threads.
 *
 * Requests coalesce: asking for a snapshot while one is being built makes
 * one more build afterwards, never a queue. Actions are written in order;
 * each written one is then looked up by its id at every build until the
 * daemon has taken it, and its outcome goes to on_outcome: the console
 * that made an action hears what became of it.
 * All functions are for the loop thread.
 */
#ifndef VIGIL_TUI_CONSOLE_READER_H
#define VIGIL_TUI_CONSOLE_READER_H

#include "tui/console.h"

#include <uv.h>

struct console_reader;

/* A snapshot is ready (borrowed for the call), or err != 0 with a message. */
typedef void (*console_reader_snap_cb)(void *ud, const struct snapshot *s, int err,
                                       const char *cause);
/* An action was written (err 0) or refused (err != 0, with a message). */
typedef void (*console_reader_act_cb)(void *ud, const struct op_action *a, int err,
                                      const char *cause);
/* What the daemon made of an action this reader wrote (a->note, a->payload
 * not kept): refused or not, and its words ("refused: incident #31 is
 * acknowledged (invalid state)"). */
typedef void (*console_reader_outcome_cb)(void *ud, const struct op_action *a, bool refused,
                                          const char *text);

struct console_reader_opts {
	const char *db_path;
	bool writer; /* open the operator_actions connection too */
	/* warmth is judged with these (the config's baselines.warm.*); NULL:
	 * core's defaults */
	const struct baseline_settings *baselines;
	console_reader_snap_cb on_snapshot;
	console_reader_act_cb on_action;      /* may be NULL */
	console_reader_outcome_cb on_outcome; /* may be NULL */
	void *ud;
};

/*
 * Open the database (in the calling thread, so a bad path is an immediate
 * error) and start the thread. Returns 0, or an error with a malloc'd
 * message in *cause (caller frees).
 */
int console_reader_start(uv_loop_t *loop, const struct console_reader_opts *o,
                         struct console_reader **out, char **cause);

/* Why a reader asked for a writer has none (this user cannot write the
 * database: the console is read-only), or NULL. Borrowed until stop. */
const char *console_reader_read_only(const struct console_reader *r);

/* Build a snapshot as of now_ms with the detail of incident detail_id. */
void console_reader_request(struct console_reader *r, int64_t now_ms, int64_t detail_id);

/* Write an operator action at now_ms (copied, payload included). Returns 0,
 * VG_ESTATE without a writer, VG_EFULL when 64 are waiting, VG_ENOMEM. */
int console_reader_write(struct console_reader *r, const struct op_action *a, int64_t now_ms);

/* Stop the thread (pending actions are written first), close the
 * connections and the async handle; freed in its close callback. */
void console_reader_stop(struct console_reader *r);

#endif
