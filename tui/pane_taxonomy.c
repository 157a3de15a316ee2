/*
 * pane_taxonomy.c: live taxonomy counts (pane 3): failure events per
 * category (the five, then vigil's own monitor row) and severity, over the
 * last 5 minutes, hour and day, side by side so a burst stands out against
 * the day. Enter on a category lists its incidents.
 */
#include "tui/panes.h"

#include "tui/keys.h"

#include <stdio.h>

#define N_ROWS  CAT__COUNT /* five categories + monitor */
#define W_LABEL 12
#define W_CELL  5

unsigned taxonomy_key(struct taxonomy_pane *m, const struct snapshot *s, int key, struct rect r)
{
	(void)s;
	(void)r;
	struct listview lv = { m->sel, 0 };
	unsigned f = listview_key(&lv, N_ROWS, N_ROWS, key);
	if (f) {
		m->sel = lv.sel;
		return f;
	}
	if (key == TK_ENTER)
		return PANE_HANDLED | PANE_OPEN;
	return 0;
}

static void cell(struct surface *surf, int row, int x, int64_t v, enum severity sev, bool sel)
{
	char b[24];
	if (v == 0) {
		surf_field(surf, row, x, W_CELL, true, surf->unicode ? "\u00b7" : ".",
		           sel ? ROLE_SELECTED : ROLE_DIM, 0);
		return;
	}
	if (v < 100000)
		snprintf(b, sizeof(b), "%lld", (long long)v);
	else
		snprintf(b, sizeof(b), "%lldk", (long long)(v / 1000));
	surf_field(surf, row, x, W_CELL, true, b, sel ? ROLE_SELECTED : pane_sev_role(sev),
	           SA_BOLD);
}

static void draw_row(const struct snapshot *s, struct surface *surf, int y, int x0,
                     const char *label, const int64_t (*counts)[SEV__COUNT], bool sel,
                     enum surf_role label_role)
{
	surf_field(surf, y, x0, W_LABEL, false, label, sel ? ROLE_SELECTED : label_role, 0);
	int x = x0 + W_LABEL;
	for (int w = 0; w < SNAP_W__COUNT; w++) {
		for (int sv = 0; sv < SEV__COUNT; sv++, x += W_CELL)
			cell(surf, y, x, counts[w][sv], (enum severity)sv, sel);
		surf_field(surf, y, x, 2, false, "", sel ? ROLE_SELECTED : ROLE_NORMAL, 0);
		x += 2;
	}
	(void)s;
}

void taxonomy_draw(const struct taxonomy_pane *m, const struct snapshot *s, struct surface *surf,
                   struct rect r)
{
	int width = W_LABEL + SNAP_W__COUNT * (SEV__COUNT * W_CELL + 2);
	int x0 = r.col + (r.cols > width ? (r.cols - width) / 2 : 0);
	int y = r.row;
	for (int w = 0; w < SNAP_W__COUNT; w++) {
		char t[32];
		snprintf(t, sizeof(t), "last %s", snapshot_window_name((enum snap_window)w));
		pane_rule(surf, y, x0 + W_LABEL + w * (SEV__COUNT * W_CELL + 2) + 1,
		          SEV__COUNT * W_CELL, t);
	}
	y++;
	surf_fill(surf, y, r.col, r.cols, ROLE_HEADER, 0);
	surf_field(surf, y, x0, W_LABEL, false, "CATEGORY", ROLE_HEADER, 0);
	for (int w = 0, x = x0 + W_LABEL; w < SNAP_W__COUNT; w++, x += 2)
		for (int sv = 0; sv < SEV__COUNT; sv++, x += W_CELL)
			surf_field(surf, y, x, W_CELL, true, pane_sev_short((enum severity)sv),
			           ROLE_HEADER, 0);
	y++;
	int64_t counts[SNAP_W__COUNT][SEV__COUNT];
	int64_t total[SNAP_W__COUNT][SEV__COUNT] = { { 0 } };
	for (int c = 0; c < CAT_TAXONOMY_COUNT && y < r.row + r.rows; c++, y++) {
		for (int w = 0; w < SNAP_W__COUNT; w++)
			for (int sv = 0; sv < SEV__COUNT; sv++) {
				counts[w][sv] = s->taxonomy[w][c][sv];
				total[w][sv] += counts[w][sv];
			}
		draw_row(s, surf, y, x0, model_category_name((enum category)c),
		         (const int64_t(*)[SEV__COUNT])counts, m->sel == c, ROLE_NORMAL);
	}
	if (y < r.row + r.rows)
		draw_row(s, surf, y++, x0, "total", (const int64_t(*)[SEV__COUNT])total, false,
		         ROLE_HEADER);
	if (y < r.row + r.rows)
		pane_rule(surf, y++, x0, width - 2, "vigil's own health");
	if (y < r.row + r.rows) {
		for (int w = 0; w < SNAP_W__COUNT; w++)
			for (int sv = 0; sv < SEV__COUNT; sv++)
				counts[w][sv] = s->taxonomy[w][CAT_MONITOR][sv];
		draw_row(s, surf, y++, x0, "monitor", (const int64_t(*)[SEV__COUNT])counts,
		         m->sel == CAT_MONITOR, ROLE_NORMAL);
	}
	y++;
	if (y < r.row + r.rows)
		surf_put(surf, y, x0, r.cols,
		         "failure events per category and severity; Enter lists "
		         "the category's incidents",
		         ROLE_DIM, 0);
}
