/*
 * pane.h: what every pane shares, in the htop/ncdu habit: a pane is a small
 * model plus `x_key(model, snapshot, key)`, which returns what changed as
 * flags, and `x_draw(model, snapshot, surface, rect)`, which only draws. The
 * console (tui/console.c) routes keys and lays panes out.
 *
 * Also the list view every scrolling pane uses (selection + first visible
 * row), the filter match, and the rectangle type.
 */
#ifndef VIGIL_TUI_PANE_H
#define VIGIL_TUI_PANE_H

#include "data/snapshot.h"
#include "tui/surface.h"

#include <stdbool.h>

/* Flags a key handler returns. */
#define PANE_HANDLED 0x01u /* the key was used */
#define PANE_REDRAW  0x02u /* the screen must be drawn again */
#define PANE_QUIT    0x04u /* leave the console */
#define PANE_ACTION  0x08u /* an operator action waits: console_take_action() */
#define PANE_REFRESH 0x10u /* a new snapshot is wanted now (another incident's detail) */
#define PANE_OPEN    0x20u /* Enter on a row: the console decides what opens */

/* The region a pane draws in. */
struct rect {
	int row, col, rows, cols;
};

/* A scrolling list of n rows shown `page` at a time. */
struct listview {
	int sel; /* selected row, 0-based */
	int top; /* first visible row */
};

/* Movement keys (j/k, arrows, PgUp/PgDn, Home/End, g/G) over n rows; returns
 * PANE_HANDLED | PANE_REDRAW when the key moved the selection, else 0. */
unsigned listview_key(struct listview *lv, int n, int page, int key);

/* Keep sel within [0, n) and visible in a page of `page` rows. */
void listview_clamp(struct listview *lv, int n, int page);

/* True when `filter` is empty or occurs in any of the NULL-terminated
 * strings (ASCII case-insensitive). */
bool pane_match(const char *filter, const char *const *fields);

/* "provider/model", or just the provider when model is empty, into buf. */
const char *pane_pm(const char *provider, const char *model, char *buf, size_t size);

/* The surface role that shows a severity / a breaker state. */
enum surf_role pane_sev_role(enum severity sev);
enum surf_role pane_breaker_role(enum breaker_state st);

/* A breaker state for people: "closed", "open", "half-open". Static. */
const char *pane_breaker_name(enum breaker_state st);

/* Short upper-case severity ("CRIT", "HIGH", "MED", "LOW"). Static. */
const char *pane_sev_short(enum severity sev);

/* A section rule "── title ─────" across `cols` columns at (row, col). */
void pane_rule(struct surface *s, int row, int col, int cols, const char *title);

/* A sparkline of `n` values (NaN = gap) scaled to their own min..max, drawn
 * in at most `cols` columns (the newest at the right). */
void pane_sparkline(struct surface *s, int row, int col, int cols, const float *v, int n,
                    enum surf_role role);

/*
 * Word wrapping: the length in bytes of the next line of `text` that fits
 * in `width` columns (broken after a space when it can, inside a word only
 * when a word is wider than the line, never inside a UTF-8 sequence; a '\n'
 * ends a line). *skip gets the bytes to step over after it (the space or
 * newline). Returns 0 at the end of the text.
 */
size_t pane_wrap(const char *text, int width, size_t *skip);

/*
 * Drawing into a scrolled region line by line: the detail and wizard views
 * lay out more lines than fit and show a window of them. With surf NULL
 * nothing is drawn and only lines are counted.
 */
struct vdraw {
	struct surface *surf;
	struct rect r;
	int scroll; /* first virtual line shown */
	int y;      /* next virtual line */
	int x;      /* column within the current line */
};
/* The surface row of the current virtual line, or -1 when it is not shown. */
int vd_row(const struct vdraw *v);
/* Put text on the current line at the current column; returns columns used. */
int vd_put(struct vdraw *v, const char *text, enum surf_role role, unsigned attrs);
/* End the current line. */
void vd_nl(struct vdraw *v);
/* Text wrapped to the region's width, each line starting at `indent`. */
void vd_wrapped(struct vdraw *v, int indent, const char *text, enum surf_role role);
/* A section rule on its own line. */
void vd_rule(struct vdraw *v, const char *title);

#endif
