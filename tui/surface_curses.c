/*
 * surface_curses.c: the drawing surface on the terminal, through ncursesw
 * (see surface_curses.h). Roles map to colour pairs, or to bold, reverse
 * and dim when colour is off, so that severities and the alert line stay
 * distinguishable on a monochrome terminal and under NO_COLOR.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "tui/surface_curses.h"

#include "core/vgerr.h"
#include "tui/keys.h"

#include <langinfo.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct cursesurf {
	struct surface surf;
	attr_t look[ROLE__COUNT]; /* attributes per role */
	short pair[ROLE__COUNT];  /* colour pair per role, 0 = default */
};

static void c_clear(struct surface *s)
{
	(void)s;
	erase();
}

static void c_cell(struct surface *s, int row, int col, const char *utf8, size_t n, int width,
                   enum surf_role role, unsigned attrs)
{
	struct cursesurf *c = s->impl;
	(void)width;
	attr_t a = c->look[role];
	if (attrs & SA_BOLD)
		a |= A_BOLD;
	if (attrs & SA_REVERSE)
		a ^= A_REVERSE;
	if (attrs & SA_UNDERLINE)
		a |= A_UNDERLINE;
	attr_set(a, c->pair[role], NULL);
	mvaddnstr(row, col, utf8, (int)n);
}

static void c_flush(struct surface *s)
{
	(void)s;
	attr_set(A_NORMAL, 0, NULL);
	refresh();
}

static const struct surface_ops curses_ops = {
	.clear = c_clear,
	.cell = c_cell,
	.flush = c_flush,
};

static void setup_looks(struct cursesurf *c)
{
	/* Without colour: every role is told apart by bold, reverse and dim. */
	static const attr_t mono[ROLE__COUNT] = {
		[ROLE_NORMAL] = A_NORMAL,
		[ROLE_DIM] = A_DIM,
		[ROLE_TITLE] = A_REVERSE,
		[ROLE_TAB] = A_BOLD | A_UNDERLINE,
		[ROLE_HEADER] = A_BOLD | A_UNDERLINE,
		[ROLE_SELECTED] = A_REVERSE,
		[ROLE_KEY] = A_BOLD,
		[ROLE_OK] = A_NORMAL,
		[ROLE_WARN] = A_BOLD,
		[ROLE_BAD] = A_BOLD | A_REVERSE,
		[ROLE_SEV_CRITICAL] = A_BOLD | A_REVERSE,
		[ROLE_SEV_HIGH] = A_BOLD,
		[ROLE_SEV_MEDIUM] = A_NORMAL,
		[ROLE_SEV_LOW] = A_DIM,
		[ROLE_ALERT] = A_BOLD | A_REVERSE | A_BLINK,
	};
	struct {
		short fg, bg;
		attr_t a;
	} colour[ROLE__COUNT] = {
		[ROLE_NORMAL] = { -1, -1, A_NORMAL },
		[ROLE_DIM] = { -1, -1, A_DIM },
		[ROLE_TITLE] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
		[ROLE_TAB] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD },
		[ROLE_HEADER] = { COLOR_CYAN, -1, A_BOLD },
		[ROLE_SELECTED] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL },
		[ROLE_KEY] = { COLOR_YELLOW, -1, A_BOLD },
		[ROLE_OK] = { COLOR_GREEN, -1, A_NORMAL },
		[ROLE_WARN] = { COLOR_YELLOW, -1, A_BOLD },
		[ROLE_BAD] = { COLOR_RED, -1, A_BOLD },
		[ROLE_SEV_CRITICAL] = { COLOR_WHITE, COLOR_RED, A_BOLD },
		[ROLE_SEV_HIGH] = { COLOR_RED, -1, A_BOLD },
		[ROLE_SEV_MEDIUM] = { COLOR_YELLOW, -1, A_NORMAL },
		[ROLE_SEV_LOW] = { COLOR_CYAN, -1, A_NORMAL },
		[ROLE_ALERT] = { COLOR_YELLOW, COLOR_RED, A_BOLD },
	};
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (c->surf.color) {
			short pair = (short)(r + 1);
			init_pair(pair, colour[r].fg, colour[r].bg);
			c->pair[r] = pair;
			c->look[r] = colour[r].a;
		} else {
			c->pair[r] = 0;
			c->look[r] = mono[r];
		}
	}
}

struct surface *curses_open(const struct curses_options *opt, char **cause)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		if (cause)
			*cause = strdup("standard input and output must be a terminal");
		return NULL;
	}
	struct cursesurf *c = calloc(1, sizeof(*c));
	if (!c) {
		if (cause)
			*cause = strdup("out of memory");
		return NULL;
	}
	const char *term = getenv("TERM");
	SCREEN *scr = newterm(term && *term ? term : "xterm", stdout, stdin);
	if (!scr) {
		vg_cause(cause, VG_EIO, "cannot use terminal type '%s'",
		         term && *term ? term : "(unset)");
		free(c);
		return NULL;
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	const char *no_color = getenv("NO_COLOR");
	bool want_color = !(opt && opt->no_color) && !(no_color && *no_color);
	if (want_color && has_colors()) {
		start_color();
		use_default_colors();
		c->surf.color = COLORS >= 8 && COLOR_PAIRS > ROLE__COUNT;
	}
	const char *cs = nl_langinfo(CODESET);
	c->surf.unicode = !(opt && opt->force_ascii) && cs && strcmp(cs, "UTF-8") == 0;
	if (opt && opt->mouse)
		mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	c->surf.ops = &curses_ops;
	c->surf.impl = c;
	getmaxyx(stdscr, c->surf.rows, c->surf.cols);
	setup_looks(c);
	return &c->surf;
}

void curses_close(struct surface *s)
{
	if (!s)
		return;
	endwin();
	SCREEN *scr = set_term(NULL);
	if (scr)
		delscreen(scr);
	free(s->impl);
}

bool curses_check_resize(struct surface *s)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return false;
	if (ws.ws_row == s->rows && ws.ws_col == s->cols)
		return false;
	resizeterm(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, s->rows, s->cols);
	return true;
}

int curses_getkey(struct surface *s)
{
	wint_t ch;
	int r = get_wch(&ch);
	if (r == ERR)
		return TK_NONE;
	if (r == OK) {
		switch (ch) {
		case '\r':
		case '\n': return TK_ENTER;
		case 27: return TK_ESC;
		case '\t': return TK_TAB;
		case 127:
		case 8: return TK_BACKSPACE;
		case 12: return TK_CTRL_L;
		default: return ch < 0x20 ? TK_NONE : (int)ch;
		}
	}
	switch (ch) {
	case KEY_UP: return TK_UP;
	case KEY_DOWN: return TK_DOWN;
	case KEY_LEFT: return TK_LEFT;
	case KEY_RIGHT: return TK_RIGHT;
	case KEY_PPAGE: return TK_PGUP;
	case KEY_NPAGE: return TK_PGDN;
	case KEY_HOME: return TK_HOME;
	case KEY_END: return TK_END;
	case KEY_ENTER: return TK_ENTER;
	case KEY_BTAB: return TK_BTAB;
	case KEY_BACKSPACE: return TK_BACKSPACE;
	case KEY_DC: return TK_DELETE;
	case KEY_RESIZE: getmaxyx(stdscr, s->rows, s->cols); return TK_RESIZE;
	case KEY_MOUSE: {
		MEVENT ev;
		if (getmouse(&ev) == OK) {
			if (ev.bstate & BUTTON4_PRESSED)
				return TK_UP;
			if (ev.bstate & BUTTON5_PRESSED)
				return TK_DOWN;
		}
		return TK_NONE;
	}
	default: return TK_NONE;
	}
}
