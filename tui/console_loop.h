/*
 * console_loop.h: the console as a citizen of a libuv loop. It owns the
 * terminal (through tui/surface_curses) while it runs: stdin is polled for
 * keys, SIGWINCH resizes, a timer rebuilds the snapshot (once a second by
 * default) and redraws. It does not own the loop: `vigil console` runs it
 * alone, `vigil demo` beside the daemon's handles on the same loop thread.
 *
 * Where the data comes from and where actions go is the caller's, through
 * struct console_source: the database builder and the operator_actions
 * writer in `vigil console`, a frozen JSON snapshot with `--snapshot`.
 */
#ifndef VIGIL_TUI_CONSOLE_LOOP_H
#define VIGIL_TUI_CONSOLE_LOOP_H

#include "tui/console.h"

#include <uv.h>

struct console_source {
	/* Either build: fill *s (already reset) with what to show now;
	 * detail_id is the incident whose detail is wanted (0 = none). Return 0,
	 * or an error (the console keeps the previous snapshot and says so). */
	int (*build)(void *ud, struct snapshot *s, int64_t detail_id, char **cause);
	/* Or request: start building one elsewhere and hand it over later with
	 * console_loop_deliver() (the database reader thread). */
	void (*request)(void *ud, int64_t detail_id);
	/* Record an operator action. Return 0, or an error with a malloc'd
	 * message in *cause (shown on the console). May be NULL (read-only). */
	int (*act)(void *ud, const struct op_action *a, char **cause);
	void *ud;
	/* Called on the loop thread when the operator quits. */
	void (*on_quit)(void *quit_ud);
	void *quit_ud;
};

struct console_loop_options {
	const char *operator_name; /* who acknowledges */
	int64_t refresh_ms;        /* snapshot rebuild period (default 1000) */
	bool force_ascii;
	bool no_color;
	bool mouse;
	const char *read_only; /* why actions are unavailable, or NULL (console_set_read_only) */
	/* Lines on top of the help overlay: label, text pairs, NULL-terminated
	 * (console_add_about); may be NULL. */
	const char *const *about;
	const char *message; /* the bottom row's first message, or NULL */
};

struct console_loop;

/*
 * Take over the terminal and start on `loop`. The first snapshot is built
 * before this returns. Returns 0, or an error with a malloc'd message in
 * *cause (no terminal, cannot build). *out is freed by console_loop_stop().
 */
int console_loop_start(uv_loop_t *loop, const struct console_source *src,
                       const struct console_loop_options *opt, struct console_loop **out,
                       char **cause);

/* Give the terminal back and close the handles; the struct is freed once
 * they are closed (run the loop until then). NULL does nothing. */
void console_loop_stop(struct console_loop *cl);

/* Rebuild and redraw now (e.g. after the daemon committed). */
void console_loop_refresh(struct console_loop *cl);

/* A snapshot built on request (copied), or the reason there is none. */
void console_loop_deliver(struct console_loop *cl, const struct snapshot *s, int err,
                          const char *cause);

/* Show a one-line message on the bottom row (an action refused, ...). */
void console_loop_say(struct console_loop *cl, bool bad, const char *text);

/* The console's default runbook hook: a copy of the runbook embedded in the
 * binary (core/runbook.h) at `path` ("docs/runbooks/provider.md"), whole.
 * Returns a malloc'd NUL-terminated buffer (caller frees), or NULL when
 * there is no such runbook or no memory. */
char *console_read_runbook(void *ud, const char *path, size_t *len);

#endif
