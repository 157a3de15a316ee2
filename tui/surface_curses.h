/*
 * surface_curses.h: the terminal implementation of the drawing surface, on
 * ncursesw. It owns the terminal between curses_open() and curses_close():
 * raw-ish input (cbreak, no echo, keypad), hidden cursor, a short ESC delay.
 *
 * Unicode is used when the locale's codeset is UTF-8 (the caller runs
 * setlocale(LC_ALL, "") first) and not forced off; colour when the terminal
 * has it and NO_COLOR is unset or empty (https://no-color.org).
 */
#ifndef VIGIL_TUI_SURFACE_CURSES_H
#define VIGIL_TUI_SURFACE_CURSES_H

#include "tui/surface.h"

struct curses_options {
	bool force_ascii; /* draw ASCII only even on a UTF-8 terminal */
	bool no_color;    /* as if NO_COLOR were set */
	bool mouse;       /* report the wheel as up/down keys */
};

/*
 * Take over the terminal (stdin/stdout must be a terminal). Returns the
 * surface, or NULL with a malloc'd reason in *cause (caller frees) when
 * there is no usable terminal. Only one may be open at a time.
 */
struct surface *curses_open(const struct curses_options *opt, char **cause);

/* Give the terminal back (endwin) and free the surface; NULL does nothing. */
void curses_close(struct surface *s);

/*
 * Read one key without waiting (TK_NONE when none is pending). TK_RESIZE
 * means the terminal changed size: s->rows and s->cols are already updated.
 */
int curses_getkey(struct surface *s);

/* Ask the terminal for its size (after SIGWINCH) and resize the screen;
 * returns true when the size changed. */
bool curses_check_resize(struct surface *s);

#endif
