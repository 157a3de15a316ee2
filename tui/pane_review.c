/*
 * pane_review.c: the baselines view (b). At the top, how far the baselines
 * have learned, by source ("learning: 37% of slots warm"; probes, with about
 * 60 samples an hour, warm more slowly and say so: docs/baselines.md,
 * "warm"). Under it the Review list: the steps a weekly refresh found,
 * waiting for an operator (series, metric, what changed, since when), then
 * the latest decided ones with who decided them. Under the list, the
 * selected item in full and what accept and reject do. The keys a and r
 * (the console's: they become operator actions, as `vigil baseline review
 * accept|reject ID` writes them) decide the selected item; the selection
 * follows the item (by id) across refreshes.
 */
#include "tui/panes.h"

#include "core/baseline.h"
#include "core/timeparse.h"
#include "tui/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HEAD   3 /* two learning lines and the column titles */
#define FOOTER 5 /* rule, change, step, state, hints */

static int page_of(struct rect r)
{
	int p = r.rows - HEAD - (r.rows >= 14 ? FOOTER + 1 : 0);
	return p < 1 ? 1 : p;
}

const struct snap_review *review_selected(const struct review_pane *m, const struct snapshot *s)
{
	if (s->n_reviews == 0)
		return NULL;
	int sel = m->lv.sel < 0 ? 0 : m->lv.sel >= s->n_reviews ? s->n_reviews - 1 : m->lv.sel;
	return &s->reviews[sel];
}

void review_follow(struct review_pane *m, const struct snapshot *s, struct rect r)
{
	for (int i = 0; i < s->n_reviews && m->sel_id; i++)
		if (s->reviews[i].id == m->sel_id) {
			m->lv.sel = i;
			break;
		}
	listview_clamp(&m->lv, s->n_reviews, page_of(r));
	m->sel_id = s->n_reviews ? s->reviews[m->lv.sel].id : 0;
}

unsigned review_key(struct review_pane *m, const struct snapshot *s, int key, struct rect r)
{
	unsigned f = listview_key(&m->lv, s->n_reviews, page_of(r), key);
	if (f)
		m->sel_id = s->n_reviews ? s->reviews[m->lv.sel].id : 0;
	return f;
}

void review_series_text(const struct snap_review *r, char *buf, size_t size)
{
	char pm[VG_NAME_MAX + VG_MODEL_MAX + 2];
	snprintf(buf, size, "%s %s", pane_pm(r->provider, r->alias, pm, sizeof(pm)),
	         r->probe ? "probes" : "gateway");
}

/* A value of metric mt in its unit. */
static void value_text(int mt, double v, char *buf, size_t size)
{
	switch (mt < 0 ? BK_RATE : baseline_metric_kind((enum baseline_metric)mt)) {
	case BK_QUANTILE: fmt_ms(v, buf, size); break;
	case BK_RATE: fmt_pct(v, buf, size); break;
	default:
		if (mt == BM_COST)
			snprintf(buf, size, "$%.3f", v);
		else
			fmt_rate(v, buf, size);
	}
}

void review_change_text(const struct snap_review *r, bool with_model, char *buf, size_t size)
{
	int mt = baseline_metric_parse(r->metric, (size_t)-1);
	char a[24], b[24];
	if (isnan(r->before) || isnan(r->after)) {
		snprintf(buf, size, "%s %+.0f%%", r->metric, (exp(r->delta) - 1) * 100);
	} else {
		/* what the number is: the p95 of a latency, the share of a rate */
		const char *what = mt == BM_LATENCY        ? "p95"
		                   : mt == BM_TTFT         ? "ttft p95"
		                   : mt == BM_AVAILABILITY ? "errors"
		                   : mt == BM_THROUGHPUT   ? "tokens/s"
		                   : mt == BM_COST         ? "$/1k tokens"
		                   : mt == BM_QUALITY      ? "quality failures"
		                                           : r->metric;
		value_text(mt, r->before, a, sizeof(a));
		value_text(mt, r->after, b, sizeof(b));
		snprintf(buf, size, "%s %s -> %s", what, a, b);
	}
	if (with_model && r->model[0]) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, " after %s", r->model);
	}
}

void learning_phrase(int source, double warm, char *buf, size_t size)
{
	int pct = (int)floor(warm * 100 + 0.5);
	if (source == 0)
		snprintf(buf, size, "%s: %d%% of slots warm", pct >= 100 ? "baselines" : "learning",
		         pct);
	else
		snprintf(buf, size, "probes: %s %d%%", pct >= 100 ? "warm" : "learning", pct);
}

bool learning_text(const struct snapshot *s, int source, char *buf, size_t size)
{
	const struct snap_learning *l = &s->learning;
	buf[0] = '\0';
	if (source < 0 || source > 1 || l->series[source] == 0 || isnan(l->warm[source]))
		return false;
	learning_phrase(source, l->warm[source], buf, size);
	if (source == 1 && !isnan(l->per_hour[1])) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, ", ~%.0f samples/h", l->per_hour[1]);
	}
	return true;
}

/* "Wed 12:00" of a time (its hour of week, UTC). */
static void when_text(int64_t ms, char *buf, size_t size)
{
	char slot[24];
	baseline_slot_name(timeparse_hour_of_week(ms), slot, sizeof(slot));
	char *utc = strstr(slot, " UTC");
	if (utc)
		*utc = '\0';
	snprintf(buf, size, "%s", slot);
}

static void state_text(const struct snap_review *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", snapshot_review_state_name(r->state), r->pending ? "*" : "");
}

static void draw_learning(const struct snapshot *s, struct surface *surf, struct rect r)
{
	char b[160], t[96];
	int x = r.col + 1;
	x += surf_put(surf, r.row, x, -1, "Baselines  ", ROLE_HEADER, SA_BOLD);
	if (!learning_text(s, 0, t, sizeof(t)) && !learning_text(s, 1, t, sizeof(t))) {
		surf_put(surf, r.row, x, r.cols - x, "nothing learned yet: static thresholds only",
		         ROLE_DIM, 0);
	} else {
		const struct snap_learning *l = &s->learning;
		if (learning_text(s, 0, t, sizeof(t))) {
			snprintf(b, sizeof(b), "%s (%d gateway series)", t, l->series[0]);
			surf_put(surf, r.row, x, r.cols - x, b,
			         l->warm[0] >= 0.995 ? ROLE_OK : ROLE_NORMAL, 0);
		}
		if (learning_text(s, 1, t, sizeof(t))) {
			size_t n = (size_t)snprintf(b, sizeof(b), "%s", t);
			if (l->warm[1] < 0.995 && !isnan(l->weeks_to_warm[1]) &&
			    isfinite(l->weeks_to_warm[1]))
				snprintf(b + n, sizeof(b) - n, ": warm more slowly, ~%.0f weeks",
				         l->weeks_to_warm[1]);
			surf_put(surf, r.row + 1, x, r.cols - x, b, ROLE_DIM, 0);
		}
	}
}

struct cols {
	int id, series, metric, change, since, state;
};

static struct cols plan(int width)
{
	struct cols c = { 4, 22, 12, 0, 9, 9 };
	int rest = width - (c.id + c.series + c.metric + c.since + c.state + 5);
	/* widen the series a little, the change with the rest */
	if (rest > 40) {
		int w = (rest - 40) / 2 > 14 ? 14 : (rest - 40) / 2;
		c.series += w;
		rest -= w;
	}
	c.change = rest > 0 ? rest : 0;
	return c;
}

static void draw_row(const struct snapshot *s, const struct snap_review *rv, bool sel,
                     const struct cols *c, struct surface *surf, int y, struct rect r)
{
	(void)s;
	char b[SNAP_TEXT_MAX + 64];
	bool decided = rv->state != SNAP_REV_WAITING;
	enum surf_role base = sel ? ROLE_SELECTED : decided ? ROLE_DIM : ROLE_NORMAL;
	surf_fill(surf, y, r.col, r.cols, base, 0);
	int x = r.col;
	snprintf(b, sizeof(b), "#%lld", (long long)rv->id);
	x += surf_field(surf, y, x, c->id, true, b, base, 0) + 1;
	review_series_text(rv, b, sizeof(b));
	x += surf_field(surf, y, x, c->series, false, b, base, 0) + 1;
	x += surf_field(surf, y, x, c->metric, false, rv->metric, base, 0) + 1;
	review_change_text(rv, c->change >= 48, b, sizeof(b));
	x += surf_field(surf, y, x, c->change, false, b, sel || decided ? base : ROLE_WARN, 0) + 1;
	when_text(rv->at_ms, b, sizeof(b));
	x += surf_field(surf, y, x, c->since, false, b, base, 0) + 1;
	state_text(rv, b, sizeof(b));
	surf_field(surf, y, x, c->state, false, b,
	           sel                              ? base
	           : rv->state == SNAP_REV_WAITING  ? ROLE_WARN
	           : rv->state == SNAP_REV_ACCEPTED ? ROLE_OK
	                                            : ROLE_NORMAL,
	           0);
}

static void draw_footer(const struct snapshot *s, const struct snap_review *rv,
                        struct surface *surf, int y, struct rect r)
{
	char title[200], series[VG_NAME_MAX + VG_MODEL_MAX + 16], b[3][SNAP_TEXT_MAX + 64];
	review_series_text(rv, series, sizeof(series));
	snprintf(title, sizeof(title), "#%lld %s: %s", (long long)rv->id, series, rv->metric);
	pane_rule(surf, y++, r.col, r.cols, title);
	review_change_text(rv, true, b[0], sizeof(b[0]));
	char when[24], age[16];
	when_text(rv->at_ms, when, sizeof(when));
	surf_printf(surf, y++, r.col + 1, r.cols - 1, ROLE_NORMAL, SA_BOLD,
	            "%s since %s UTC (%s ago)", b[0], when,
	            fmt_age(s->now_ms - rv->at_ms, age, sizeof(age)));
	snprintf(b[1], sizeof(b[1]), "found %s ago, z %.1f%s: %s",
	         fmt_age(s->now_ms - rv->created_ms, age, sizeof(age)), fabs(rv->z),
	         rv->near_marker ? ", at a model-version change" : "", rv->detail);
	surf_put(surf, y++, r.col + 1, r.cols - 1, b[1], ROLE_DIM, 0);
	if (rv->state != SNAP_REV_WAITING) {
		surf_printf(surf, y++, r.col + 1, r.cols - 1, ROLE_NORMAL, 0, "%s by %s %s ago: %s",
		            snapshot_review_state_name(rv->state), rv->actor[0] ? rv->actor : "-",
		            vg_has(rv->decided_ms)
		                    ? fmt_age(s->now_ms - rv->decided_ms, age, sizeof(age))
		                    : "-",
		            rv->state == SNAP_REV_ACCEPTED ? "the baseline absorbed the step"
		                                           : "the old baseline stays");
		return;
	}
	surf_put(surf, y++, r.col + 1, r.cols - 1,
	         rv->pending ? "* your decision waits for the daemon"
	                     : "the series learns nothing and its alerts fold into one event "
	                       "while it waits",
	         rv->pending ? ROLE_WARN : ROLE_DIM, 0);
	if (rv->pending)
		return;
	static const char *const hints[] = { "a", "accept: absorb the step", "r",
		                             "reject: keep the old baseline", NULL };
	status_hints_draw(surf, y, r.cols, hints);
}

void review_draw(const struct review_pane *m, const struct snapshot *s, struct surface *surf,
                 struct rect r)
{
	draw_learning(s, surf, r);
	struct cols c = plan(r.cols);
	int y = r.row + 2, x = r.col;
	surf_fill(surf, y, r.col, r.cols, ROLE_HEADER, 0);
	x += surf_field(surf, y, x, c.id, true, "ID", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, y, x, c.series, false, "SERIES", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, y, x, c.metric, false, "METRIC", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, y, x, c.change, false, "WHAT CHANGED", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, y, x, c.since, false, "SINCE UTC", ROLE_HEADER, 0) + 1;
	surf_field(surf, y, x, c.state, false, "STATE", ROLE_HEADER, 0);
	if (s->n_reviews == 0) {
		surf_put(surf, y + 2, r.col + 2, r.cols - 2,
		         "no review items: the weekly refresh makes one when a series steps",
		         ROLE_DIM, 0);
		return;
	}
	int page = page_of(r);
	struct listview lv = m->lv;
	listview_clamp(&lv, s->n_reviews, page);
	for (int i = 0; i < page && lv.top + i < s->n_reviews; i++)
		draw_row(s, &s->reviews[lv.top + i], lv.top + i == lv.sel, &c, surf, y + 1 + i, r);
	if (r.rows < 14)
		return;
	int shown = s->n_reviews - lv.top < page ? s->n_reviews - lv.top : page;
	int fy = y + 1 + shown + 1;
	if (fy + FOOTER > r.row + r.rows)
		fy = r.row + r.rows - FOOTER;
	draw_footer(s, &s->reviews[lv.sel], surf, fy, r);
}
