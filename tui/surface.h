/*
 * surface.h: the small drawing interface every pane draws on. Two
 * implementations: the terminal (tui/surface_curses.c, ncursesw) and an
 * in-memory grid (tui/grid.c) that tests compare with expected screens.
 *
 * Drawing is by semantic role (a severity, "selected", "the alert line"),
 * never by colour: the implementation maps roles to colour pairs, or to bold
 * and reverse video when colour is off (NO_COLOR) or absent. Text is UTF-8;
 * the common layer (surface.c) clips it to the surface, gives each character
 * its column width, turns anything non-printable into '?' (outside text is
 * sanitised before it gets here; this is the second fence) and, when the
 * surface is not Unicode-capable, draws every non-ASCII character as '?' and
 * every glyph (sparkline blocks, box lines, arrows) in its ASCII form.
 *
 * Coordinates are 0-based (row, col); anything outside the surface is
 * silently clipped.
 */
#ifndef VIGIL_TUI_SURFACE_H
#define VIGIL_TUI_SURFACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum surf_role {
	ROLE_NORMAL,
	ROLE_DIM,      /* secondary text, "not measured" */
	ROLE_TITLE,    /* the title bar */
	ROLE_TAB,      /* the active pane's tab */
	ROLE_HEADER,   /* column headers */
	ROLE_SELECTED, /* the selected row */
	ROLE_KEY,      /* a key in a hint ("q") */
	ROLE_OK,       /* healthy, closed breaker */
	ROLE_WARN,     /* degraded, half-open breaker */
	ROLE_BAD,      /* failing, open breaker */
	ROLE_SEV_CRITICAL,
	ROLE_SEV_HIGH,
	ROLE_SEV_MEDIUM,
	ROLE_SEV_LOW,
	ROLE_ALERT, /* vigil's own health: the line that must not be missed */
	ROLE__COUNT
};

/* Attributes added to a role's own look. */
#define SA_BOLD      0x1u
#define SA_REVERSE   0x2u
#define SA_UNDERLINE 0x4u

/* Glyphs with an ASCII fallback. */
enum surf_glyph {
	GLYPH_SPARK_0, /* eight sparkline levels, lowest first */
	GLYPH_SPARK_1,
	GLYPH_SPARK_2,
	GLYPH_SPARK_3,
	GLYPH_SPARK_4,
	GLYPH_SPARK_5,
	GLYPH_SPARK_6,
	GLYPH_SPARK_7,
	GLYPH_HLINE,
	GLYPH_VLINE,
	GLYPH_ARROW, /* -> */
	GLYPH_CHECK,
	GLYPH_WARN,
	GLYPH_BULLET,
	GLYPH_UP,
	GLYPH_DOWN,
	GLYPH_ELLIPSIS,
	GLYPH_EMDASH,
	GLYPH__COUNT
};

struct surface;

/* What an implementation provides. `cell` draws one character (n bytes of
 * UTF-8, already checked printable) of `width` columns (1 or 2) at
 * (row, col), which the common layer guarantees to be inside the surface. */
struct surface_ops {
	void (*clear)(struct surface *s);
	void (*cell)(struct surface *s, int row, int col, const char *utf8, size_t n, int width,
	             enum surf_role role, unsigned attrs);
	void (*flush)(struct surface *s);
};

/* A surface: filled in by its implementation; callers read rows, cols,
 * unicode and color, and never write them. */
struct surface {
	const struct surface_ops *ops;
	int rows, cols;
	bool unicode; /* non-ASCII text and glyphs may be drawn */
	bool color;   /* roles have colours (false: bold/reverse only) */
	void *impl;
};

/* Blank the whole surface. */
void surf_clear(struct surface *s);

/* Make what was drawn visible (the terminal refreshes; the grid does nothing). */
void surf_flush(struct surface *s);

/*
 * Draw UTF-8 `text` at (row, col), using at most `maxcols` columns (a
 * negative value: up to the right edge). A wide character that does not fit
 * whole is left out. Returns the number of columns drawn.
 */
int surf_put(struct surface *s, int row, int col, int maxcols, const char *text,
             enum surf_role role, unsigned attrs);

/* surf_put() of formatted text (truncated to 512 bytes). */
int surf_printf(struct surface *s, int row, int col, int maxcols, enum surf_role role,
                unsigned attrs, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Fill `n` columns from (row, col) with spaces in a role (a bar, a selected
 * row's background). n < 0: up to the right edge. */
void surf_fill(struct surface *s, int row, int col, int n, enum surf_role role, unsigned attrs);

/* Draw `text` padded with spaces (or cut) to exactly `width` columns, aligned
 * right when `right` is true. Returns `width` (0 when width <= 0). */
int surf_field(struct surface *s, int row, int col, int width, bool right, const char *text,
               enum surf_role role, unsigned attrs);

/* The glyph's UTF-8 form on a Unicode surface, its ASCII form otherwise. Static. */
const char *surf_glyph(const struct surface *s, enum surf_glyph g);

/* Columns `text` takes when drawn (non-printable characters count as one '?'). */
int surf_text_width(const char *text);

/* A one-letter name of a role, for the grid's role dump ('.' = normal). */
char surf_role_letter(enum surf_role role);

#endif
