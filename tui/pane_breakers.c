/*
 * pane_breakers.c: circuit breakers (pane 2). On top, every breaker's state
 * and time in state; below, the transition log, newest first (closed ->
 * open -> half-open -> closed, with the reason), where a transition made
 * while the breaker oscillates (too many opens in the window) is flagged:
 * oscillation is itself the sign of an intermittent provider fault.
 */
#include "tui/panes.h"

#include "tui/fmt.h"

#include <stdio.h>
#include <string.h>

int breakers_rows(const struct snapshot *s, const char *filter, int *idx)
{
	int n = 0;
	for (int i = 0; i < s->n_transitions; i++) {
		const struct breaker_transition *t = &s->transitions[i];
		const char *fields[] = {
			t->provider, t->model, pane_breaker_name(t->from), pane_breaker_name(t->to),
			t->reason,   NULL
		};
		if (pane_match(filter, fields))
			idx[n++] = i;
	}
	return n;
}

/* Rows the state summary takes: lay the items out and count lines; draw
 * them too when `draw` (surf may be NULL otherwise). */
static int summary_lines(const struct snapshot *s, struct surface *surf, struct rect r, bool draw)
{
	int line = 0, x = r.col + 1, max_lines = r.rows / 3 > 0 ? r.rows / 3 : 1;
	for (int i = 0; i < s->n_providers; i++) {
		const struct snap_provider *p = &s->providers[i];
		if (!p->has_breaker)
			continue;
		char pm[VG_NAME_MAX + VG_MODEL_MAX + 2], state[48], age[16];
		pane_pm(p->provider, p->model, pm, sizeof(pm));
		if (vg_has(p->breaker_since_ms))
			snprintf(state, sizeof(state), "%s %s", pane_breaker_name(p->breaker),
			         fmt_age(s->now_ms - p->breaker_since_ms, age, sizeof(age)));
		else
			snprintf(state, sizeof(state), "%s", pane_breaker_name(p->breaker));
		int w = surf_text_width(pm) + 1 + surf_text_width(state) +
		        (p->oscillating ? 2 : 0) + 3;
		if (x + w > r.col + r.cols && x > r.col + 1) {
			line++;
			x = r.col + 1;
		}
		if (line >= max_lines)
			return line;
		if (draw) {
			int y = r.row + line;
			x += surf_put(surf, y, x, r.col + r.cols - x, pm, ROLE_NORMAL, 0);
			x += surf_put(surf, y, x, r.col + r.cols - x, " ", ROLE_NORMAL, 0);
			x += surf_put(surf, y, x, r.col + r.cols - x, state,
			              pane_breaker_role(p->breaker),
			              p->breaker == BRK_CLOSED ? 0 : SA_BOLD);
			if (p->oscillating) {
				x += surf_put(surf, y, x, r.col + r.cols - x, " ", ROLE_NORMAL, 0);
				x += surf_put(surf, y, x, r.col + r.cols - x,
				              surf_glyph(surf, GLYPH_WARN), ROLE_BAD, SA_BOLD);
			}
			x += surf_put(surf, y, x, r.col + r.cols - x, "   ", ROLE_NORMAL, 0);
		} else {
			x += w;
		}
	}
	return s->n_providers ? line + 1 : 1;
}

static int log_top(const struct snapshot *s, struct surface *surf, struct rect r)
{
	return summary_lines(s, surf, r, false) + 2; /* summary, rule, header */
}

unsigned breakers_key(struct breakers_pane *m, const struct snapshot *s, const char *filter,
                      int key, struct rect r)
{
	int idx[SNAP_MAX_TRANSITIONS];
	int n = breakers_rows(s, filter, idx);
	/* The page size depends on the summary's height: lay it out without drawing. */
	int page = r.rows - log_top(s, NULL, r);
	return listview_key(&m->lv, n, page < 1 ? 1 : page, key);
}

#define W_TIME  8
#define W_WHO   18
#define W_TRANS 20
#define W_FLAG  5

void breakers_draw(const struct breakers_pane *m, const struct snapshot *s, const char *filter,
                   struct surface *surf, struct rect r)
{
	if (s->n_providers == 0)
		surf_put(surf, r.row, r.col + 1, r.cols - 1, "no breakers yet", ROLE_DIM, 0);
	else
		summary_lines(s, surf, r, true);
	int top = r.row + log_top(s, surf, r);
	pane_rule(surf, top - 2, r.col, r.cols, "transitions, newest first");
	int who = W_WHO + (r.cols > 100 ? (r.cols - 100) / 2 : 0);
	int reason_w = r.cols - W_TIME - who - W_TRANS - W_FLAG - 4;
	int x = r.col;
	surf_fill(surf, top - 1, r.col, r.cols, ROLE_HEADER, 0);
	x += surf_field(surf, top - 1, x, W_TIME, false, "TIME", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, top - 1, x, who, false, "PROVIDER/MODEL", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, top - 1, x, W_TRANS, false, "TRANSITION", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, top - 1, x, reason_w, false, "REASON", ROLE_HEADER, 0) + 1;
	surf_field(surf, top - 1, x, W_FLAG, false, "OSC", ROLE_HEADER, 0);

	int idx[SNAP_MAX_TRANSITIONS];
	int n = breakers_rows(s, filter, idx);
	int page = r.row + r.rows - top;
	if (n == 0) {
		surf_put(surf, top + 1, r.col + 2, r.cols - 2,
		         filter && *filter ? "no transition matches the filter"
		                           : "no transitions: every breaker has stayed closed",
		         ROLE_DIM, 0);
		return;
	}
	struct listview lv = m->lv;
	listview_clamp(&lv, n, page);
	for (int i = 0; i < page && lv.top + i < n; i++) {
		const struct breaker_transition *t = &s->transitions[idx[lv.top + i]];
		bool sel = lv.top + i == lv.sel;
		int y = top + i;
		char b[64], pm[VG_NAME_MAX + VG_MODEL_MAX + 2];
		enum surf_role base = sel ? ROLE_SELECTED : ROLE_NORMAL;
		surf_fill(surf, y, r.col, r.cols, base, 0);
		x = r.col;
		x += surf_field(surf, y, x, W_TIME, false, fmt_clock(t->time_ms, b, sizeof(b)),
		                base, 0) +
		     1;
		x += surf_field(surf, y, x, who, false,
		                pane_pm(t->provider, t->model, pm, sizeof(pm)), base, 0) +
		     1;
		int tx = x;
		tx += surf_put(surf, y, tx, W_TRANS, pane_breaker_name(t->from),
		               sel ? base : pane_breaker_role(t->from), 0);
		tx += surf_put(surf, y, tx, x + W_TRANS - tx, " ", base, 0);
		tx += surf_put(surf, y, tx, x + W_TRANS - tx, surf_glyph(surf, GLYPH_ARROW), base,
		               0);
		tx += surf_put(surf, y, tx, x + W_TRANS - tx, " ", base, 0);
		surf_put(surf, y, tx, x + W_TRANS - tx, pane_breaker_name(t->to),
		         sel ? base : pane_breaker_role(t->to), SA_BOLD);
		x += W_TRANS + 1;
		x += surf_field(surf, y, x, reason_w, false, t->reason, base, 0) + 1;
		if (t->oscillating) {
			snprintf(b, sizeof(b), "%s%d", surf_glyph(surf, GLYPH_WARN),
			         (int)t->opens_in_window);
			surf_field(surf, y, x, W_FLAG, false, b, sel ? base : ROLE_BAD, SA_BOLD);
		}
	}
}
