/*
 * keys.h: the console's key codes. A printable key is its Unicode code
 * point ('a', '?', 'é'); the others are the named codes below, above the
 * Unicode range. The terminal surface translates ncurses' codes into these,
 * tests send them directly, so panes never see an ncurses constant.
 */
#ifndef VIGIL_TUI_KEYS_H
#define VIGIL_TUI_KEYS_H

enum tui_key {
	TK_NONE = -1,
	TK_UP = 0x110000,
	TK_DOWN,
	TK_LEFT,
	TK_RIGHT,
	TK_PGUP,
	TK_PGDN,
	TK_HOME,
	TK_END,
	TK_ENTER,
	TK_ESC,
	TK_TAB,
	TK_BTAB, /* shift-Tab */
	TK_BACKSPACE,
	TK_DELETE,
	TK_RESIZE,
	TK_CTRL_L, /* redraw */
};

#endif
