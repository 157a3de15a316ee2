/*
 * pane_incidents.c: the incident list (pane 4): severity, category/subtype,
 * provider, count, age, state, who acknowledged, related incidents; open
 * ones first (the builder's order). Under the list, the selected incident's
 * summary. The selection follows the incident (by id) across refreshes, so
 * a new incident arriving above it does not move the cursor to another.
 */
#include "tui/panes.h"

#include "tui/fmt.h"
#include "tui/keys.h"

#include <stdio.h>
#include <string.h>

#define FOOTER 4 /* rule, summary, related, hint */

int incidents_rows(const struct snapshot *s, const char *filter, int *idx)
{
	int n = 0;
	for (int i = 0; i < s->n_incidents; i++) {
		const struct snap_incident *inc = &s->incidents[i];
		char id[24];
		snprintf(id, sizeof(id), "#%lld", (long long)inc->id);
		const char *fields[] = { model_severity_name(inc->severity),
			                 model_category_name(inc->category),
			                 model_subtype_name(inc->subtype),
			                 inc->provider,
			                 inc->model,
			                 snapshot_inc_state_name(inc->state),
			                 inc->acked_by,
			                 inc->summary,
			                 id,
			                 NULL };
		if (pane_match(filter, fields))
			idx[n++] = i;
	}
	return n;
}

static int page_of(struct rect r)
{
	int p = r.rows - 1 - (r.rows >= 12 ? FOOTER : 0);
	return p < 1 ? 1 : p;
}

const struct snap_incident *incidents_selected(const struct incidents_pane *m,
                                               const struct snapshot *s, const char *filter)
{
	int idx[SNAP_MAX_INCIDENTS];
	int n = incidents_rows(s, filter, idx);
	if (n == 0)
		return NULL;
	int sel = m->lv.sel < 0 ? 0 : m->lv.sel >= n ? n - 1 : m->lv.sel;
	return &s->incidents[idx[sel]];
}

void incidents_follow(struct incidents_pane *m, const struct snapshot *s, const char *filter,
                      struct rect r)
{
	int idx[SNAP_MAX_INCIDENTS];
	int n = incidents_rows(s, filter, idx);
	for (int i = 0; i < n && m->sel_id; i++)
		if (s->incidents[idx[i]].id == m->sel_id) {
			m->lv.sel = i;
			break;
		}
	listview_clamp(&m->lv, n, page_of(r));
	m->sel_id = n ? s->incidents[idx[m->lv.sel]].id : 0;
}

unsigned incidents_key(struct incidents_pane *m, const struct snapshot *s, const char *filter,
                       int key, struct rect r)
{
	int idx[SNAP_MAX_INCIDENTS];
	int n = incidents_rows(s, filter, idx);
	unsigned f = listview_key(&m->lv, n, page_of(r), key);
	if (f) {
		m->sel_id = n ? s->incidents[idx[m->lv.sel]].id : 0;
		return f;
	}
	if (key == TK_ENTER && n > 0)
		return PANE_HANDLED | PANE_OPEN;
	return 0;
}

struct cols {
	int id, sev, what, who, count, age, state, ack, rel;
};

/* The widest CATEGORY/SUBTYPE and PROVIDER/MODEL of the snapshot. */
static void names_width(const struct snapshot *s, int *what, int *who)
{
	char b[VG_NAME_MAX + VG_MODEL_MAX + 2];
	*what = *who = 0;
	for (int i = 0; i < s->n_incidents; i++) {
		const struct snap_incident *inc = &s->incidents[i];
		snprintf(b, sizeof(b), "%s/%s", model_category_name(inc->category),
		         model_subtype_name(inc->subtype));
		int w = surf_text_width(b);
		*what = w > *what ? w : *what;
		w = surf_text_width(pane_pm(inc->provider, inc->model, b, sizeof(b)));
		*who = w > *who ? w : *who;
	}
}

static struct cols plan(int width, const struct snapshot *s)
{
	struct cols c = { 4, 4, 22, 10, 6, 5, 8, 8, 0 };
	int used = c.id + c.sev + c.what + c.who + c.count + c.age + c.state + c.ack + 8;
	int extra = width - used - 5; /* keep 5 for REL */
	if (extra > 0) {
		int w = extra / 2 > 14 ? 14 : extra / 2;
		c.what += w;
		extra -= w;
		w = extra / 2 > 14 ? 14 : extra / 2;
		c.who += w;
		extra -= w;
		w = extra > 6 ? 6 : extra;
		c.ack += w;
		extra -= w;
	}
	/* Names longer than that take what REL does not need (REL keeps 5). */
	int need_what, need_who;
	names_width(s, &need_what, &need_who);
	for (int k = 0; k < 2 && extra > 0; k++) {
		int *col = k == 0 ? &c.who : &c.what;
		int need = (k == 0 ? need_who : need_what) - *col;
		int w = need < extra ? need : extra;
		if (w > 0) {
			*col += w;
			extra -= w;
		}
	}
	c.rel = width - (c.id + c.sev + c.what + c.who + c.count + c.age + c.state + c.ack + 8);
	if (c.rel < 0)
		c.rel = 0;
	return c;
}

static void state_text(const struct snap_incident *inc, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", snapshot_inc_state_name(inc->state), inc->pending ? "*" : "");
}

static void draw_row(const struct snapshot *s, const struct snap_incident *inc, bool sel,
                     const struct cols *c, struct surface *surf, int y, struct rect r)
{
	char b[64], what[96], pm[VG_NAME_MAX + VG_MODEL_MAX + 2];
	bool resolved = inc->state == SNAP_INC_RESOLVED;
	enum surf_role base = sel ? ROLE_SELECTED : resolved ? ROLE_DIM : ROLE_NORMAL;
	surf_fill(surf, y, r.col, r.cols, base, 0);
	int x = r.col;
	snprintf(b, sizeof(b), "%lld", (long long)inc->id);
	x += surf_field(surf, y, x, c->id, true, b, base, 0) + 1;
	x += surf_field(surf, y, x, c->sev, false, pane_sev_short(inc->severity),
	                sel || resolved ? base : pane_sev_role(inc->severity), SA_BOLD) +
	     1;
	snprintf(what, sizeof(what), "%s/%s", model_category_name(inc->category),
	         model_subtype_name(inc->subtype));
	x += surf_field(surf, y, x, c->what, false, what,
	                !sel && inc->category == CAT_MONITOR && !resolved ? ROLE_ALERT : base, 0) +
	     1;
	/* The model only when there is room for it (the detail always has it). */
	x += surf_field(surf, y, x, c->who, false,
	                c->who >= 20 ? pane_pm(inc->provider, inc->model, pm, sizeof(pm))
	                             : inc->provider,
	                base, 0) +
	     1;
	x += surf_field(surf, y, x, c->count, true, fmt_count(inc->count, b, sizeof(b)), base, 0) +
	     1;
	x += surf_field(surf, y, x, c->age, true, fmt_age(s->now_ms - inc->first_ms, b, sizeof(b)),
	                base, 0) +
	     1;
	state_text(inc, b, sizeof(b));
	x += surf_field(surf, y, x, c->state, false, b,
	                sel || resolved               ? base
	                : inc->state == SNAP_INC_OPEN ? ROLE_WARN
	                                              : ROLE_OK,
	                0) +
	     1;
	x += surf_field(surf, y, x, c->ack, false, inc->acked_by[0] ? inc->acked_by : "-", base,
	                0) +
	     1;
	b[0] = '\0';
	size_t n = 0;
	for (int i = 0; i < inc->n_related && n + 2 < sizeof(b); i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s%lld", i ? "," : "",
		                      (long long)inc->related[i]);
	surf_field(surf, y, x, c->rel, false, n ? b : "-", base, 0);
}

void incidents_draw(const struct incidents_pane *m, const struct snapshot *s, const char *filter,
                    struct surface *surf, struct rect r)
{
	struct cols c = plan(r.cols, s);
	int x = r.col;
	surf_fill(surf, r.row, r.col, r.cols, ROLE_HEADER, 0);
	x += surf_field(surf, r.row, x, c.id, true, "ID", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, c.sev, false, "SEV", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, c.what, false, "CATEGORY/SUBTYPE", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, c.who, false, c.who >= 20 ? "PROVIDER/MODEL" : "PROVIDER",
	                ROLE_HEADER, 0) +
	     1;
	x += surf_field(surf, r.row, x, c.count, true, "COUNT", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, c.age, true, "AGE", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, c.state, false, "STATE", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, c.ack, false, "ACK BY", ROLE_HEADER, 0) + 1;
	surf_field(surf, r.row, x, c.rel, false, "REL", ROLE_HEADER, 0);

	int idx[SNAP_MAX_INCIDENTS];
	int n = incidents_rows(s, filter, idx);
	if (n == 0) {
		surf_put(surf, r.row + 2, r.col + 2, r.cols - 2,
		         filter && *filter ? "no incident matches the filter"
		                           : "no incidents: nothing has failed yet",
		         ROLE_DIM, 0);
		return;
	}
	int page = page_of(r);
	struct listview lv = m->lv;
	listview_clamp(&lv, n, page);
	for (int i = 0; i < page && lv.top + i < n; i++)
		draw_row(s, &s->incidents[idx[lv.top + i]], lv.top + i == lv.sel, &c, surf,
		         r.row + 1 + i, r);
	if (r.rows < 12)
		return;
	const struct snap_incident *inc = &s->incidents[idx[lv.sel]];
	int shown = n - lv.top < page ? n - lv.top : page;
	int y = r.row + 1 + shown + 1;
	if (y + FOOTER > r.row + r.rows)
		y = r.row + r.rows - FOOTER;
	char title[48], b[3][24], sum[SNAP_TEXT_MAX + 8];
	snprintf(title, sizeof(title), "#%lld", (long long)inc->id);
	pane_rule(surf, y++, r.col, r.cols, title);
	fmt_fit_words(inc->summary[0] ? inc->summary : "(no summary)", r.cols - 1, sum,
	              sizeof(sum));
	surf_put(surf, y++, r.col + 1, r.cols - 1, sum, ROLE_NORMAL, 0);
	surf_printf(surf, y++, r.col + 1, r.cols - 1, ROLE_DIM, 0,
	            "first %s, last %s ago, %s event(s)%s%s",
	            fmt_clock(inc->first_ms, b[0], sizeof(b[0])),
	            fmt_age(s->now_ms - inc->last_ms, b[1], sizeof(b[1])),
	            fmt_count(inc->count, b[2], sizeof(b[2])), inc->triaged ? "; triaged" : "",
	            inc->pending ? "; * action waiting for the daemon" : "");
	static const char *const hints[] = { "Enter", "detail", "a", "acknowledge", "r", "resolve",
		                             "n",     "note",   "t", "triage",      NULL };
	status_hints_draw(surf, y, r.cols, hints);
}
