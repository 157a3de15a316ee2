/*
 * grid.c: the in-memory surface (see grid.h). A cell holds one character's
 * UTF-8 bytes, its role and attributes; the right half of a wide character
 * is a continuation cell that prints as nothing.
 */
#include "tui/grid.h"

#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

struct cell {
	char ch[5];
	uint8_t role;
	uint8_t attrs;
	bool cont; /* right half of a wide character */
};

struct grid {
	struct surface surf;
	struct cell *cells;
};

static struct cell *at(struct surface *s, int row, int col)
{
	struct grid *g = s->impl;
	return &g->cells[(size_t)row * (size_t)s->cols + (size_t)col];
}

static void blank(struct cell *c)
{
	memset(c, 0, sizeof(*c));
	c->ch[0] = ' ';
}

static void grid_clear(struct surface *s)
{
	for (int r = 0; r < s->rows; r++)
		for (int c = 0; c < s->cols; c++)
			blank(at(s, r, c));
}

static void grid_cell(struct surface *s, int row, int col, const char *utf8, size_t n, int width,
                      enum surf_role role, unsigned attrs)
{
	struct cell *c = at(s, row, col);
	/* Overwriting half of a wide character blanks its other half. */
	if (c->cont && col > 0)
		blank(at(s, row, col - 1));
	if (!c->cont && col + 1 < s->cols && at(s, row, col + 1)->cont)
		blank(at(s, row, col + 1));
	blank(c);
	if (n > 4)
		n = 4;
	memcpy(c->ch, utf8, n);
	c->ch[n] = '\0';
	c->role = (uint8_t)role;
	c->attrs = (uint8_t)attrs;
	if (width == 2 && col + 1 < s->cols) {
		struct cell *r = at(s, row, col + 1);
		if (col + 2 < s->cols && at(s, row, col + 2)->cont)
			blank(at(s, row, col + 2));
		blank(r);
		r->ch[0] = '\0';
		r->cont = true;
		r->role = (uint8_t)role;
		r->attrs = (uint8_t)attrs;
	}
}

static const struct surface_ops grid_ops = {
	.clear = grid_clear,
	.cell = grid_cell,
	.flush = NULL,
};

struct surface *grid_new(int rows, int cols, bool unicode, bool color)
{
	if (rows <= 0 || cols <= 0)
		return NULL;
	struct grid *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->cells = calloc((size_t)rows * (size_t)cols, sizeof(*g->cells));
	if (!g->cells) {
		free(g);
		return NULL;
	}
	g->surf.ops = &grid_ops;
	g->surf.rows = rows;
	g->surf.cols = cols;
	g->surf.unicode = unicode;
	g->surf.color = color;
	g->surf.impl = g;
	grid_clear(&g->surf);
	return &g->surf;
}

void grid_free(struct surface *s)
{
	if (!s)
		return;
	struct grid *g = s->impl;
	free(g->cells);
	free(g);
}

int grid_resize(struct surface *s, int rows, int cols)
{
	if (rows <= 0 || cols <= 0)
		return VG_EINVAL;
	struct grid *g = s->impl;
	struct cell *cells = calloc((size_t)rows * (size_t)cols, sizeof(*cells));
	if (!cells)
		return VG_ENOMEM;
	free(g->cells);
	g->cells = cells;
	s->rows = rows;
	s->cols = cols;
	grid_clear(s);
	return 0;
}

char *grid_row(const struct surface *s, int row, char *buf, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return buf;
	for (int c = 0; row >= 0 && row < s->rows && c < s->cols; c++) {
		const struct cell *cell = at((struct surface *)s, row, c);
		size_t len = strlen(cell->ch);
		if (n + len + 1 > size)
			break;
		memcpy(buf + n, cell->ch, len);
		n += len;
	}
	buf[n] = '\0';
	return buf;
}

char *grid_dump(const struct surface *s, bool roles)
{
	/* Each cell is at most 4 bytes; two frame bars and a newline per row. */
	size_t row_cap = (size_t)s->cols * 4 + 4;
	size_t cap = row_cap * (size_t)s->rows * 2 + 16;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t n = 0;
	for (int r = 0; r < s->rows; r++) {
		out[n++] = '|';
		grid_row(s, r, out + n, row_cap);
		n += strlen(out + n);
		out[n++] = '|';
		out[n++] = '\n';
	}
	if (roles) {
		memcpy(out + n, "roles:\n", 7);
		n += 7;
		for (int r = 0; r < s->rows; r++) {
			out[n++] = '|';
			for (int c = 0; c < s->cols; c++)
				out[n++] = surf_role_letter(
				        (enum surf_role)at((struct surface *)s, r, c)->role);
			out[n++] = '|';
			out[n++] = '\n';
		}
	}
	out[n] = '\0';
	return out;
}

enum surf_role grid_role_at(const struct surface *s, int row, int col)
{
	if (row < 0 || row >= s->rows || col < 0 || col >= s->cols)
		return ROLE_NORMAL;
	return (enum surf_role)at((struct surface *)s, row, col)->role;
}

unsigned grid_attrs_at(const struct surface *s, int row, int col)
{
	if (row < 0 || row >= s->rows || col < 0 || col >= s->cols)
		return 0;
	return at((struct surface *)s, row, col)->attrs;
}

bool grid_contains(const struct surface *s, const char *needle)
{
	char buf[4096];
	for (int r = 0; r < s->rows; r++)
		if (strstr(grid_row(s, r, buf, sizeof(buf)), needle))
			return true;
	return false;
}
