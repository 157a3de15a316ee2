/*
 * console.h: the console's model: which pane or view is up, the panes'
 * models, the prompt, the help overlay, and the operator actions waiting to
 * be written. Keys go in (console_key), a screen comes out (console_draw on
 * any surface), actions come out (console_take_action). It never touches the
 * terminal or the database: the shell (app/cmd_console.c, the demo) reads
 * keys from a surface, builds snapshots, and writes the actions into the
 * operator_actions table.
 *
 * Screen layout: row 0 the title bar, row 1 the status line, rows 2..n-2
 * the pane or view, the last row key hints, a message or the prompt.
 * Below 80x24 it asks for a bigger terminal.
 *
 * struct console is a value type (the tests look inside); initialise with
 * console_init() and release with console_done().
 */
#ifndef VIGIL_TUI_CONSOLE_H
#define VIGIL_TUI_CONSOLE_H

#include "core/action.h"
#include "tui/panes.h"

#define CONSOLE_MIN_ROWS 24
#define CONSOLE_MIN_COLS 80

/* What an operator did, for the operator_actions table (the actions and
 * their names are core/action's). */
struct op_action {
	enum action_kind kind;
	int64_t incident_id;   /* 0 for accept and reject */
	int64_t review_id;     /* accept, reject: the baseline review item; else 0 */
	char by[VG_NAME_MAX];  /* the operator */
	char note[PROMPT_MAX]; /* optional, sanitised */
	char *payload;         /* ACTION_TRIAGE: the wizard's path as JSON text (malloc'd) */
};

/* Free what an action owns (its payload); the struct itself is the caller's. */
void op_action_done(struct op_action *a);

/* What the console needs from the shell. */
struct console_hooks {
	/* Read a runbook ("docs/runbooks/provider.md"): a malloc'd NUL-terminated
	 * buffer (caller frees) and its length, or NULL when it cannot be found. */
	char *(*read_runbook)(void *ud, const char *path, size_t *len);
	void *ud;
};

enum console_view { VIEW_PANE, VIEW_DETAIL, VIEW_WIZARD, VIEW_REVIEW };
enum prompt_kind {
	PROMPT_NONE,
	PROMPT_FILTER,
	PROMPT_ACK,
	PROMPT_RESOLVE,
	PROMPT_NOTE,
	PROMPT_SNOOZE,
	PROMPT_ACCEPT, /* a baseline review item (prompt_incident holds its id) */
	PROMPT_REJECT
};

/* An incident whose last event is this recent is still failing: resolving
 * it re-pages at once (the console warns and offers a snooze). */
#define CONSOLE_STILL_FAILING_MS (2 * 60 * 1000)

#define CONSOLE_MAX_ACTIONS      8

struct console {
	enum pane_id pane;
	enum console_view view;
	enum console_view wizard_return; /* where Esc from the wizard goes */
	bool help_open;
	struct health_pane health;
	struct breakers_pane breakers;
	struct taxonomy_pane taxonomy;
	struct incidents_pane incidents;
	struct detail_pane detail;
	struct wizard_pane wizard;
	struct review_pane review;
	struct help_pane help;
	char filter[PANE__COUNT][PROMPT_MAX];
	char filter_before[PROMPT_MAX]; /* restored when the filter prompt is cancelled */
	enum prompt_kind prompt_kind;
	struct prompt prompt;
	int64_t prompt_incident;
	char prompt_warn[SNAP_TEXT_MAX]; /* a warning drawn above the prompt, "" none */
	struct op_action actions[CONSOLE_MAX_ACTIONS];
	int n_actions;
	char message[SNAP_TEXT_MAX];
	bool message_bad;
	char read_only[SNAP_TEXT_MAX]; /* why actions are unavailable ("" when they are) */
	char operator_name[VG_NAME_MAX];
	struct console_hooks hooks;
	int rows, cols; /* the size last drawn at, for page sizes */
};

/* Start on the health pane. `operator_name` is who acknowledges ("" gives
 * "operator"); hooks may be NULL (no runbook text then). */
void console_init(struct console *c, const char *operator_name, const struct console_hooks *hooks);

/* No actions from this console (the user cannot write the database): the
 * title bar says READ-ONLY, the bottom row says `why` until the next key,
 * and a, r and n say it again instead of prompting. */
void console_set_read_only(struct console *c, const char *why);

/* A line on top of the help overlay (the demo says where its files are):
 * `label` in the keys' column, `text` beside it; at most HELP_ABOUT_MAX. */
void console_add_about(struct console *c, const char *label, const char *text);

/* Free queued actions. */
void console_done(struct console *c);

/* Handle one key (tui/keys.h) against the current snapshot; returns PANE_*
 * flags: PANE_QUIT to leave, PANE_ACTION when actions wait, PANE_REFRESH when
 * the shell should build a snapshot now (a detail was opened). */
unsigned console_key(struct console *c, const struct snapshot *s, int key);

/* After a new snapshot: keep selections on the same rows, refresh the
 * wizard's evidence. */
void console_update(struct console *c, const struct snapshot *s);

/* Draw everything on `surf` (cleared first) and remember its size. */
void console_draw(struct console *c, const struct snapshot *s, struct surface *surf);

/* Move the oldest queued action into *out (the caller op_action_done()s it);
 * false when none waits. */
bool console_take_action(struct console *c, struct op_action *out);

/* The incident whose detail the snapshot should carry (0: none needed). */
int64_t console_detail_wanted(const struct console *c);

/* The rectangle of the pane area for a surface of rows x cols. */
struct rect console_body(int rows, int cols);

#endif
