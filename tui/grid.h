/*
 * grid.h: the in-memory surface. Panes draw on it exactly as on the
 * terminal; tests then read it back as text (one line per row) and as a map
 * of roles (one letter per cell, see surf_role_letter()) and compare both
 * with expected screens kept as data files (tests/data/tui/NAME.screen).
 */
#ifndef VIGIL_TUI_GRID_H
#define VIGIL_TUI_GRID_H

#include "tui/surface.h"

/*
 * A new grid surface of rows x cols, blank, Unicode-capable or not, with
 * colour on or off. Returns NULL when out of memory or when rows or cols is
 * not positive. Free with grid_free().
 */
struct surface *grid_new(int rows, int cols, bool unicode, bool color);

/* Free a grid surface; NULL does nothing. */
void grid_free(struct surface *s);

/* Change the size (contents are cleared). Returns 0 or VG_ENOMEM / VG_EINVAL
 * (the grid is unchanged then). */
int grid_resize(struct surface *s, int rows, int cols);

/*
 * The whole screen as text: each row framed as "|...|\n" (so trailing spaces
 * show), and, when `roles` is true, a line "roles:" and the role letters in
 * the same frame. Returns a malloc'd string (caller frees) or NULL.
 */
char *grid_dump(const struct surface *s, bool roles);

/* Row `row` as plain UTF-8 text (trailing spaces kept) into buf; returns buf. */
char *grid_row(const struct surface *s, int row, char *buf, size_t size);

/* The role and attributes of one cell (ROLE_NORMAL, 0 outside the grid). */
enum surf_role grid_role_at(const struct surface *s, int row, int col);
unsigned grid_attrs_at(const struct surface *s, int row, int col);

/* True when some row contains `needle`. */
bool grid_contains(const struct surface *s, const char *needle);

#endif
