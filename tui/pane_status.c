/*
 * pane_status.c: the three lines around the panes. The title bar (the
 * panes as numbered tabs and the snapshot's clock), the status line, and
 * the key hints at the bottom. The status line is where vigil reports that
 * it is itself partly blind: an open `monitor` incident (sidecar behind,
 * store queue full, a sink down, the events file gone) or no new data from
 * the daemon turns it into a full-width alert in its own colour (reverse
 * video and bold without colour), on every pane, so it cannot be missed.
 * Otherwise it sums up: open incidents, breakers, baseline review items
 * waiting and how warm the baselines are (while they learn), the data's age.
 */
#include "tui/panes.h"

#include "tui/fmt.h"

#include <stdio.h>

const char *pane_name(enum pane_id id)
{
	switch (id) {
	case PANE_HEALTH: return "Health";
	case PANE_BREAKERS: return "Breakers";
	case PANE_TAXONOMY: return "Taxonomy";
	case PANE_INCIDENTS: return "Incidents";
	default: return "?";
	}
}

void status_title_draw(const struct snapshot *s, enum pane_id active, const char *tag,
                       struct surface *surf, int row)
{
	surf_fill(surf, row, 0, -1, ROLE_TITLE, 0);
	int x = surf_put(surf, row, 0, -1, " vigil ", ROLE_TITLE, SA_BOLD);
	for (int i = 0; i < PANE__COUNT; i++) {
		char b[32];
		snprintf(b, sizeof(b), " %d %s ", i + 1, pane_name((enum pane_id)i));
		x += surf_put(surf, row, x, -1, b, i == (int)active ? ROLE_TAB : ROLE_TITLE,
		              i == (int)active ? SA_BOLD : 0);
	}
	char clock[16], right[40];
	snprintf(right, sizeof(right), " %s UTC ", fmt_clock(s->now_ms, clock, sizeof(clock)));
	int w = surf_text_width(right);
	if (surf->cols - w > x)
		surf_put(surf, row, surf->cols - w, w, right, ROLE_TITLE, 0);
	if (tag && *tag) {
		char t[40];
		snprintf(t, sizeof(t), " %s ", tag);
		int tw = surf_text_width(t);
		if (surf->cols - w - tw > x)
			surf_put(surf, row, surf->cols - w - tw, tw, t, ROLE_WARN, SA_BOLD);
	}
}

bool status_line_draw(const struct snapshot *s, struct surface *surf, int row)
{
	const struct snap_incident *mon[4];
	int n_mon = snapshot_monitor_incidents(s, mon, 4);
	char b[256], age[16];
	if (n_mon > 0) {
		const struct snap_incident *m = mon[0];
		surf_fill(surf, row, 0, -1, ROLE_ALERT, SA_BOLD);
		int x = surf_put(surf, row, 0, -1, " ", ROLE_ALERT, SA_BOLD);
		x += surf_put(surf, row, x, -1, surf_glyph(surf, GLYPH_WARN), ROLE_ALERT, SA_BOLD);
		snprintf(b, sizeof(b), " VIGIL PARTLY BLIND: %s %s %s%s%s%s",
		         model_subtype_name(m->subtype),
		         fmt_age(s->now_ms - m->first_ms, age, sizeof(age)),
		         m->summary[0] ? "- " : "", m->summary, n_mon > 1 ? " (+more)" : "",
		         m->state == SNAP_INC_ACKED ? " [acked]" : "");
		surf_put(surf, row, x, -1, b, ROLE_ALERT, SA_BOLD);
		return true;
	}
	if (vg_has(s->last_data_ms) && s->now_ms - s->last_data_ms > STATUS_STALE_MS) {
		surf_fill(surf, row, 0, -1, ROLE_ALERT, SA_BOLD);
		int x = surf_put(surf, row, 0, -1, " ", ROLE_ALERT, SA_BOLD);
		x += surf_put(surf, row, x, -1, surf_glyph(surf, GLYPH_WARN), ROLE_ALERT, SA_BOLD);
		snprintf(b, sizeof(b), " NO NEW DATA FOR %s: is the daemon running? (%s)",
		         fmt_span(s->now_ms - s->last_data_ms, age, sizeof(age)),
		         s->source[0] ? s->source : "no source");
		surf_put(surf, row, x, -1, b, ROLE_ALERT, SA_BOLD);
		return true;
	}
	surf_fill(surf, row, 0, -1, ROLE_NORMAL, 0);
	int open = 0, by_sev[SEV__COUNT] = { 0 };
	for (int i = 0; i < s->n_incidents; i++) {
		const struct snap_incident *inc = &s->incidents[i];
		if (inc->state == SNAP_INC_RESOLVED)
			continue;
		open++;
		by_sev[inc->severity]++;
	}
	int x = 1;
	if (open == 0) {
		x += surf_put(surf, row, x, -1, "no open incidents", ROLE_OK, 0);
	} else {
		snprintf(b, sizeof(b), "%d open:", open);
		x += surf_put(surf, row, x, -1, b, ROLE_NORMAL, SA_BOLD);
		for (int sv = 0; sv < SEV__COUNT; sv++) {
			if (!by_sev[sv])
				continue;
			snprintf(b, sizeof(b), " %d %s", by_sev[sv],
			         model_severity_name((enum severity)sv));
			x += surf_put(surf, row, x, -1, b, pane_sev_role((enum severity)sv),
			              SA_BOLD);
		}
	}
	int open_brk = 0, n_brk = 0;
	for (int i = 0; i < s->n_providers; i++) {
		n_brk += s->providers[i].has_breaker;
		open_brk += s->providers[i].has_breaker && s->providers[i].breaker != BRK_CLOSED;
	}
	snprintf(b, sizeof(b), "  %s breakers %d/%d not closed", surf_glyph(surf, GLYPH_VLINE),
	         open_brk, n_brk);
	x += surf_put(surf, row, x, -1, b, open_brk ? ROLE_WARN : ROLE_NORMAL, 0);
	/* Then what fits whole, in this order: baseline review items waiting
	 * for an operator, how warm the baselines are while they learn, the
	 * data's age. */
	char more[3][128] = { "", "", "" }, learn[96];
	enum surf_role more_role[3] = { ROLE_WARN, ROLE_NORMAL, ROLE_DIM };
	if (s->n_reviews_waiting > 0)
		snprintf(more[0], sizeof(more[0]), "  %s %d review%s waiting (b)",
		         surf_glyph(surf, GLYPH_VLINE), s->n_reviews_waiting,
		         s->n_reviews_waiting == 1 ? "" : "s");
	if (learning_text(s, 0, learn, sizeof(learn)) && s->learning.warm[0] < 0.995)
		snprintf(more[1], sizeof(more[1]), "  %s %s", surf_glyph(surf, GLYPH_VLINE), learn);
	if (vg_has(s->last_data_ms))
		snprintf(more[2], sizeof(more[2]), "  %s data %s old",
		         surf_glyph(surf, GLYPH_VLINE),
		         fmt_age(s->now_ms - s->last_data_ms, age, sizeof(age)));
	/* Probes keep the data fresh while the gateway may write nothing: its
	 * own age beside the data's, in warning colours once it is as old as
	 * stale data. */
	char gw[64] = "";
	bool gw_stale = false;
	if (more[2][0] && vg_has(s->last_gateway_ms)) {
		int64_t gage = s->now_ms - s->last_gateway_ms;
		snprintf(gw, sizeof(gw), ", gateway %s old", fmt_age(gage, age, sizeof(age)));
		gw_stale = gage > STATUS_STALE_MS;
	}
	for (int i = 0; i < 3; i++) {
		if (!more[i][0] || x + surf_text_width(more[i]) > surf->cols)
			continue;
		x += surf_put(surf, row, x, -1, more[i], more_role[i], 0);
		if (i == 2 && gw[0])
			x += surf_put(surf, row, x, -1, gw, gw_stale ? ROLE_WARN : ROLE_DIM,
			              gw_stale ? SA_BOLD : 0);
	}
	return false;
}

void status_hints_draw(struct surface *surf, int row, int cols, const char *const *pairs)
{
	surf_fill(surf, row, 0, cols, ROLE_NORMAL, 0);
	int x = 1;
	for (int i = 0; pairs[i] && pairs[i + 1]; i += 2) {
		int w = surf_text_width(pairs[i]) + surf_text_width(pairs[i + 1]) + 3;
		if (x + w > cols)
			break;
		x += surf_put(surf, row, x, -1, pairs[i], ROLE_KEY, SA_BOLD);
		x += surf_put(surf, row, x, -1, " ", ROLE_NORMAL, 0);
		x += surf_put(surf, row, x, -1, pairs[i + 1], ROLE_NORMAL, 0);
		x += surf_put(surf, row, x, -1, "  ", ROLE_NORMAL, 0);
	}
}
