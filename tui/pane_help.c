/*
 * pane_help.c: the help overlay (?): every key, what the colours and marks
 * mean, in a box over the current view. Scrolls on a small terminal.
 */
#include "tui/panes.h"

#include "tui/keys.h"

#include <stdio.h>

static const char *const lines[][2] = {
	{ "?", "this help (Esc or ? closes it)" },
	{ "1 2 3 4", "health, breakers, taxonomy, incidents" },
	{ "Tab S-Tab", "next / previous pane" },
	{ "j k, arrows", "move; PgUp PgDn, Home End (g G)" },
	{ "/", "filter the pane's rows (Enter keeps it, Esc clears)" },
	{ "Enter", "open: an incident's detail; a category's incidents" },
	{ "Esc", "back; clears the filter" },
	{ "a", "acknowledge the incident, with an optional note" },
	{ "r", "resolve the incident, with an optional note" },
	{ "n", "add a note to the incident (open or acknowledged)" },
	{ "z", "snooze: acknowledge with a timed silence (30m, 2h; 1h)" },
	{ "t", "triage wizard: the incident's own branch and evidence" },
	{ "", "  y yes, n no, Enter accepts the suggested answer," },
	{ "", "  b back, f whole tree, Tab next thread, Esc close" },
	{ "b", "baselines: how warm, and the review items waiting;" },
	{ "", "  a accept (absorb the step), r reject (keep the old)" },
	{ "Ctrl-L", "redraw the screen" },
	{ "q", "quit (closes an overlay first)" },
	{ "", "" },
	{ "status line", "red: vigil itself is partly blind (monitor incident)" },
	{ "", "or no new data: trust the other panes less" },
	{ "!", "a breaker oscillates (opens again and again)" },
	{ "*", "after a state: your action waits for the daemon" },
	{ "(f)", "a fallback provider" },
	{ "GEN T/S", "generation speed: output tokens per second after" },
	{ "", "the first token (time to first token not counted)" },
};
#define N_LINES ((int)(sizeof(lines) / sizeof(lines[0])))

/* The shell's lines first (and a blank one after them), then the keys. */
static int n_lines(const struct help_pane *m)
{
	return N_LINES + (m->n_about ? m->n_about + 1 : 0);
}

static void line_at(const struct help_pane *m, int i, const char **key, const char **text)
{
	int off = m->n_about ? m->n_about + 1 : 0;
	if (i < m->n_about) {
		*key = m->about[i][0];
		*text = m->about[i][1];
	} else if (i < off) {
		*key = *text = "";
	} else {
		*key = lines[i - off][0];
		*text = lines[i - off][1];
	}
}

static struct rect box_of(const struct help_pane *m, struct rect r)
{
	struct rect b;
	int n = n_lines(m);
	b.cols = r.cols - 4 < 72 ? r.cols - 4 : 72;
	b.rows = n + 3 < r.rows ? n + 3 : r.rows;
	b.row = r.row + (r.rows - b.rows) / 2;
	b.col = r.col + (r.cols - b.cols) / 2;
	return b;
}

unsigned help_key(struct help_pane *m, int key, struct rect r)
{
	struct rect b = box_of(m, r);
	int max = n_lines(m) - (b.rows - 3);
	if (max < 0)
		max = 0;
	switch (key) {
	case '?':
	case TK_ESC:
	case 'q':
	case TK_ENTER: return PANE_HANDLED | PANE_REDRAW | HELP_CLOSE;
	case 'j':
	case TK_DOWN:
		if (m->scroll < max)
			m->scroll++;
		return PANE_HANDLED | PANE_REDRAW;
	case 'k':
	case TK_UP:
		if (m->scroll > 0)
			m->scroll--;
		return PANE_HANDLED | PANE_REDRAW;
	default: return PANE_HANDLED; /* the overlay takes every key */
	}
}

void help_draw(const struct help_pane *m, struct surface *surf, struct rect r)
{
	struct rect b = box_of(m, r);
	const char *bar = surf_glyph(surf, GLYPH_VLINE);
	for (int y = b.row; y < b.row + b.rows; y++) {
		surf_fill(surf, y, b.col - 1, b.cols + 2, ROLE_NORMAL, 0);
		surf_put(surf, y, b.col, 1, bar, ROLE_DIM, 0);
		surf_put(surf, y, b.col + b.cols - 1, 1, bar, ROLE_DIM, 0);
	}
	pane_rule(surf, b.row, b.col, b.cols, "vigil console keys");
	int y = b.row + 1;
	for (int i = m->scroll; i < n_lines(m) && y < b.row + b.rows - 1; i++, y++) {
		const char *key, *text;
		line_at(m, i, &key, &text);
		surf_put(surf, y, b.col + 2, 12, key, ROLE_KEY, SA_BOLD);
		if (key[0] == '!' && !key[1] && surf->unicode)
			surf_put(surf, y, b.col + 2, 12, surf_glyph(surf, GLYPH_WARN), ROLE_BAD,
			         SA_BOLD);
		surf_put(surf, y, b.col + 15, b.cols - 17, text, ROLE_NORMAL, 0);
	}
	pane_rule(surf, b.row + b.rows - 1, b.col, b.cols, NULL);
}
