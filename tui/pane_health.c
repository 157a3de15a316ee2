/*
 * pane_health.c: per-provider health (pane 1). A table with one row per
 * provider/model (availability, p50/p95/p99, a p95 sparkline, error share,
 * breaker state and time in state; on wider screens also generation speed
 * (GEN T/S: output tokens per second after the first token), quality,
 * cost efficiency and rate-limit headroom) and, under it, everything about
 * the selected row: error rate by type, throughput, quality, cost
 * efficiency, headroom, probe spend, breaker.
 */
#include "tui/panes.h"

#include "tui/fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DETAIL_ROWS 6 /* rule + 5 lines, + 1 with baselines */

/* The detail's rows: one more for the baselines' line when the snapshot
 * knows baselines. */
static int detail_rows(const struct snapshot *s)
{
	return DETAIL_ROWS + (s->learning.series[0] + s->learning.series[1] > 0);
}

int health_rows(const struct snapshot *s, const char *filter, int *idx)
{
	int n = 0;
	for (int i = 0; i < s->n_providers; i++) {
		const struct snap_provider *p = &s->providers[i];
		const char *fields[] = { p->provider, p->model, pane_breaker_name(p->breaker),
			                 NULL };
		if (pane_match(filter, fields))
			idx[n++] = i;
	}
	return n;
}

static int table_page(const struct snapshot *s, struct rect r)
{
	int avail = r.rows - 1; /* header */
	if (r.rows >= 14)
		avail -= detail_rows(s);
	return avail < 1 ? 1 : avail;
}

const struct snap_provider *health_selected(const struct health_pane *m, const struct snapshot *s,
                                            const char *filter)
{
	int idx[SNAP_MAX_PROVIDERS];
	int n = health_rows(s, filter, idx);
	if (n == 0)
		return NULL;
	int sel = m->lv.sel < n ? m->lv.sel : n - 1;
	return &s->providers[idx[sel < 0 ? 0 : sel]];
}

unsigned health_key(struct health_pane *m, const struct snapshot *s, const char *filter, int key,
                    struct rect r)
{
	int idx[SNAP_MAX_PROVIDERS];
	int n = health_rows(s, filter, idx);
	return listview_key(&m->lv, n, table_page(s, r), key);
}

/* Optional columns, added left to right while the width allows. */
enum col { C_TOKS, C_QUAL, C_COST, C_RL, C__COUNT };
static const struct {
	const char *title;
	int width;
} optional[C__COUNT] = {
	[C_TOKS] = { "GEN T/S", 8 }, /* generation speed: output tokens/s after the first */
	[C_QUAL] = { "QUAL", 5 },
	[C_COST] = { "COST", 5 },
	[C_RL] = { "RL", 5 },
};

/* Fixed widths: AVAIL P50 P95 P99 LATENCY ERR% BREAKER, one space between. */
#define W_AVAIL    6
#define W_LAT      5
#define W_SPARK    12
#define W_ERR      5
#define W_BREAKER  15 /* "half-open 59m" and the oscillation mark */
#define W_NAME_MIN 18
#define W_NAME_MAX 40

struct layout {
	int name;
	bool opt[C__COUNT];
	int spark;
};

/* A row's name: provider/model, "(f)" for a fallback; a model under its
 * provider's row is indented beneath it. */
static void row_name(const struct snapshot *s, const struct snap_provider *p,
                     const struct surface *surf, char *name, size_t size)
{
	char pm[VG_NAME_MAX + VG_MODEL_MAX + 2];
	bool child = false;
	for (int i = 0; p->model[0] && i < s->n_providers; i++)
		child |= !s->providers[i].model[0] &&
		         strcmp(s->providers[i].provider, p->provider) == 0;
	if (child)
		snprintf(name, size, " %s %s", surf_glyph(surf, GLYPH_BULLET), p->model);
	else
		snprintf(name, size, "%s%s", pane_pm(p->provider, p->model, pm, sizeof(pm)),
		         p->fallback ? " (f)" : "");
}

/* The widest name of the snapshot. */
static int names_width(const struct snapshot *s, const struct surface *surf)
{
	char name[VG_NAME_MAX + VG_MODEL_MAX + 16];
	int w = 0;
	for (int i = 0; i < s->n_providers; i++) {
		row_name(s, &s->providers[i], surf, name, sizeof(name));
		int t = surf_text_width(name);
		w = t > w ? t : w;
	}
	return w;
}

/* `need`: the widest name; past W_NAME_MAX the name column takes it from
 * the sparkline (down to W_SPARK), so a wide terminal shows names whole. */
static struct layout plan(int cols, int need)
{
	struct layout l = { 0 };
	int fixed = W_AVAIL + 3 * W_LAT + W_ERR + W_BREAKER + 7; /* + spaces */
	l.spark = W_SPARK;
	int left = cols - fixed - l.spark - W_NAME_MIN;
	for (int c = 0; c < C__COUNT; c++) {
		if (left >= optional[c].width + 1 + 4) { /* keep a little for the name */
			l.opt[c] = true;
			left -= optional[c].width + 1;
		}
	}
	/* What remains widens the name, then the sparkline. */
	l.name = W_NAME_MIN + (left > 0 ? left : 0);
	if (l.name > W_NAME_MAX) {
		l.spark += l.name - W_NAME_MAX;
		l.name = W_NAME_MAX;
	}
	if (left < 0) { /* narrower than 80: shrink the sparkline */
		l.spark += left;
		if (l.spark < 0)
			l.spark = 0;
	}
	if (need > l.name && l.spark > W_SPARK) {
		int more = need - l.name < l.spark - W_SPARK ? need - l.name : l.spark - W_SPARK;
		l.name += more;
		l.spark -= more;
	}
	return l;
}

static double err_total(const struct snap_provider *p)
{
	double t = 0;
	bool any = false;
	for (int e = 0; e < SNAP_ERR__COUNT; e++)
		if (!isnan(p->err_rate[e])) {
			t += p->err_rate[e];
			any = true;
		}
	return any ? t : VG_NONE_D;
}

static enum surf_role avail_role(double a)
{
	if (isnan(a))
		return ROLE_DIM;
	return a >= 0.99 ? ROLE_OK : a >= 0.95 ? ROLE_WARN : ROLE_BAD;
}

static void breaker_text(const struct snapshot *s, const struct snap_provider *p, char *buf,
                         size_t size)
{
	char age[16];
	if (p->breaker == BRK_CLOSED && !vg_has(p->breaker_since_ms))
		snprintf(buf, size, "closed");
	else
		snprintf(buf, size, "%s %s", pane_breaker_name(p->breaker),
		         fmt_age(s->now_ms - p->breaker_since_ms, age, sizeof(age)));
}

static void draw_row(const struct snapshot *s, const struct snap_provider *p, bool selected,
                     const struct layout *l, struct surface *surf, int row, struct rect r)
{
	char b[64], name[VG_NAME_MAX + VG_MODEL_MAX + 16];
	int x = r.col;
	enum surf_role base = selected ? ROLE_SELECTED : ROLE_NORMAL;
#define ROLE(x) (selected ? ROLE_SELECTED : (x))
	surf_fill(surf, row, r.col, r.cols, base, 0);
	row_name(s, p, surf, name, sizeof(name));
	x += surf_field(surf, row, x, l->name, false, name, base, 0) + 1;
	x += surf_field(surf, row, x, W_AVAIL, true, fmt_pct(p->availability, b, sizeof(b)),
	                ROLE(avail_role(p->availability)), 0) +
	     1;
	x += surf_field(surf, row, x, W_LAT, true, fmt_ms(p->p50_ms, b, sizeof(b)), base, 0) + 1;
	x += surf_field(surf, row, x, W_LAT, true, fmt_ms(p->p95_ms, b, sizeof(b)), base, 0) + 1;
	x += surf_field(surf, row, x, W_LAT, true, fmt_ms(p->p99_ms, b, sizeof(b)), base, 0) + 1;
	if (l->spark > 0) {
		pane_sparkline(surf, row, x, l->spark, p->spark, p->n_spark, ROLE(ROLE_HEADER));
		x += l->spark + 1;
	}
	double e = err_total(p);
	x += surf_field(surf, row, x, W_ERR, true, fmt_pct(e, b, sizeof(b)),
	                ROLE(isnan(e)   ? ROLE_DIM
	                     : e > 0.05 ? ROLE_BAD
	                     : e > 0.01 ? ROLE_WARN
	                                : ROLE_NORMAL),
	                0) +
	     1;
	for (int c = 0; c < C__COUNT; c++) {
		if (!l->opt[c])
			continue;
		switch (c) {
		case C_TOKS: fmt_rate(p->tokens_per_s, b, sizeof(b)); break;
		case C_QUAL: fmt_num(p->quality, 2, b, sizeof(b)); break;
		case C_COST:
			if (isnan(p->cost_efficiency))
				snprintf(b, sizeof(b), "-");
			else
				snprintf(b, sizeof(b), "%.2fx", p->cost_efficiency);
			break;
		default: fmt_pct(p->rl_headroom, b, sizeof(b)); break;
		}
		x += surf_field(surf, row, x, optional[c].width, true, b, base, 0) + 1;
	}
	if (!p->has_breaker) {
		surf_put(surf, row, x, W_BREAKER, "-", ROLE(ROLE_DIM), 0);
		return;
	}
	breaker_text(s, p, b, sizeof(b));
	int w = surf_put(surf, row, x, W_BREAKER - 2, b, ROLE(pane_breaker_role(p->breaker)), 0);
	if (p->oscillating)
		surf_put(surf, row, x + w + 1, 1, surf_glyph(surf, GLYPH_WARN), ROLE(ROLE_BAD),
		         SA_BOLD);
#undef ROLE
}

/* "learning: 88% of slots warm (~1.2k/h)   probes: learning 12%, ~60
 * samples/h": the row's series by source (docs/baselines.md, "warm"). */
static void baseline_line(const struct snap_provider *p, struct surface *surf, int row,
                          struct rect r)
{
	int x = r.col + 1;
	bool any = false;
	for (int src = 0; src < 2; src++) {
		if (isnan(p->warm[src]))
			continue;
		char b[128], phrase[64], n[16];
		learning_phrase(src, p->warm[src], phrase, sizeof(phrase));
		size_t len = (size_t)snprintf(b, sizeof(b), "%s%s", any ? "   " : "", phrase);
		if (!isnan(p->per_hour[src]))
			snprintf(b + len, sizeof(b) - len, src ? ", ~%s samples/h" : " (~%s/h)",
			         fmt_count((int64_t)(p->per_hour[src] + 0.5), n, sizeof(n)));
		x += surf_put(surf, row, x, r.col + r.cols - x, b,
		              p->warm[src] >= 0.995 ? ROLE_OK : ROLE_NORMAL, 0);
		any = true;
	}
	if (!any)
		surf_put(surf, row, x, r.col + r.cols - x,
		         "baseline: nothing learned for this row yet (static thresholds)", ROLE_DIM,
		         0);
}

static void draw_detail(const struct snapshot *s, const struct snap_provider *p,
                        struct surface *surf, int row, struct rect r, bool chart_below)
{
	char title[200], b[5][32];
	pane_pm(p->provider, p->model, b[0], sizeof(b[0]));
	snprintf(title, sizeof(title), "%s (%s)", b[0], p->fallback ? "fallback" : "primary");
	pane_rule(surf, row++, r.col, r.cols, title);
	int x = r.col + 1;
	x += surf_put(surf, row, x, -1, "errors  ", ROLE_HEADER, 0);
	static const char *const names[SNAP_ERR__COUNT] = { "429 ", "5xx ", "timeout ", "filter ",
		                                            "other " };
	for (int e = 0; e < SNAP_ERR__COUNT; e++) {
		x += surf_put(surf, row, x, -1, names[e], ROLE_DIM, 0);
		double v = p->err_rate[e];
		x += surf_put(surf, row, x, -1, fmt_pct(v, b[0], sizeof(b[0])),
		              isnan(v)   ? ROLE_DIM
		              : v > 0.05 ? ROLE_BAD
		                         : ROLE_NORMAL,
		              0);
		x += surf_put(surf, row, x, -1, "  ", ROLE_NORMAL, 0);
	}
	row++;
	char cost[32];
	if (isnan(p->cost_efficiency))
		snprintf(cost, sizeof(cost), "-");
	else
		snprintf(cost, sizeof(cost), "%.2fx priced", p->cost_efficiency);
	surf_printf(surf, row++, r.col + 1, r.cols - 1, ROLE_NORMAL, 0,
	            "generation %s tok/s  quality %s  cost %s  RL headroom %s",
	            fmt_rate(p->tokens_per_s, b[0], sizeof(b[0])),
	            fmt_num(p->quality, 2, b[1], sizeof(b[1])), cost,
	            fmt_pct(p->rl_headroom, b[2], sizeof(b[2])));
	if (isnan(p->probe_budget_usd))
		snprintf(b[3], sizeof(b[3]), "no budget");
	else
		snprintf(b[3], sizeof(b[3]), "of %s",
		         fmt_usd(p->probe_budget_usd, b[4], sizeof(b[4])));
	char win[16];
	surf_printf(surf, row++, r.col + 1, r.cols - 1, ROLE_NORMAL, 0,
	            "probe spend today %s %s   requests %s in %s",
	            fmt_usd(p->probe_spend_usd, b[0], sizeof(b[0])), b[3],
	            fmt_count(p->requests, b[1], sizeof(b[1])),
	            fmt_age(s->health_window_ms, win, sizeof(win)));
	if (detail_rows(s) > DETAIL_ROWS)
		baseline_line(p, surf, row++, r);
	x = r.col + 1;
	x += surf_put(surf, row, x, -1, "breaker ", ROLE_HEADER, 0);
	if (!p->has_breaker) {
		surf_put(surf, row, x, -1, "the provider's (no breaker of its own)", ROLE_DIM, 0);
		row++;
		goto chart_title;
	}
	x += surf_put(surf, row, x, -1, pane_breaker_name(p->breaker),
	              pane_breaker_role(p->breaker), SA_BOLD);
	if (vg_has(p->breaker_since_ms))
		x += surf_printf(surf, row, x, -1, ROLE_NORMAL, 0, " for %s",
		                 fmt_span(s->now_ms - p->breaker_since_ms, b[0], sizeof(b[0])));
	if (p->oscillating) {
		x += surf_put(surf, row, x, -1, "  ", ROLE_NORMAL, 0);
		x += surf_put(surf, row, x, -1, surf_glyph(surf, GLYPH_WARN), ROLE_BAD, SA_BOLD);
		surf_put(surf, row, x, -1, " oscillating", ROLE_BAD, SA_BOLD);
	}
	row++;
chart_title:
	x = r.col + 1;
	char span[16];
	char step[16];
	if (p->n_spark == 0) {
		surf_put(surf, row, x, -1, "p95 latency: no history yet", ROLE_DIM, 0);
		return;
	}
	x += surf_printf(surf, row, x, -1, ROLE_HEADER, 0, "p95 latency, last %s, one bar per %s",
	                 fmt_age(p->spark_step_ms * p->n_spark, span, sizeof(span)),
	                 fmt_age(p->spark_step_ms, step, sizeof(step)));
	if (!chart_below)
		pane_sparkline(surf, row, x + 2, r.col + r.cols - x - 3, p->spark, p->n_spark,
		               ROLE_HEADER);
}

/* The selected row's p95 history as a bar chart `h` rows tall, scaled from
 * zero to its maximum, newest at the right, with the maximum labelled. */
static void draw_chart(const struct snap_provider *p, struct surface *surf, int row, int h,
                       struct rect r)
{
	float hi = 0;
	for (int i = 0; i < p->n_spark; i++)
		if (!isnan(p->spark[i]) && p->spark[i] > hi)
			hi = p->spark[i];
	if (p->n_spark == 0 || hi <= 0)
		return;
	char lab[16];
	fmt_ms(hi, lab, sizeof(lab));
	int lw = 8;
	surf_field(surf, row, r.col, lw - 1, true, lab, ROLE_DIM, 0);
	surf_field(surf, row + h - 1, r.col, lw - 1, true, "0", ROLE_DIM, 0);
	int cols = r.cols - lw - 1;
	int first = p->n_spark > cols ? p->n_spark - cols : 0;
	/* Stretch a short history over the width: each point gets `per` columns. */
	int per = cols / (p->n_spark - first);
	if (per < 1)
		per = 1;
	if (per > 3)
		per = 3;
	int x = r.col + lw + cols - per * (p->n_spark - first);
	for (int i = first; i < p->n_spark; i++, x += per) {
		if (isnan(p->spark[i]))
			continue;
		int eighths = (int)(p->spark[i] / hi * (float)(h * 8) + 0.5f);
		for (int k = 0; k < h; k++) {
			int level = eighths - (h - 1 - k) * 8; /* eighths in this row */
			if (level <= 0)
				continue;
			const char *g =
			        surf_glyph(surf, (enum surf_glyph)(GLYPH_SPARK_0 +
			                                           (level >= 8 ? 7 : level - 1)));
			for (int c = 0; c < per - (per > 1 ? 1 : 0); c++)
				surf_put(surf, row + k, x + c, 1, g, ROLE_HEADER, 0);
		}
	}
}

void health_draw(const struct health_pane *m, const struct snapshot *s, const char *filter,
                 struct surface *surf, struct rect r)
{
	int idx[SNAP_MAX_PROVIDERS];
	int n = health_rows(s, filter, idx);
	struct layout l = plan(r.cols, names_width(s, surf));
	int x = r.col;
	surf_fill(surf, r.row, r.col, r.cols, ROLE_HEADER, 0);
	x += surf_field(surf, r.row, x, l.name, false, "PROVIDER/MODEL", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, W_AVAIL, true, "AVAIL", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, W_LAT, true, "P50", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, W_LAT, true, "P95", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, W_LAT, true, "P99", ROLE_HEADER, 0) + 1;
	if (l.spark > 0)
		x += surf_field(surf, r.row, x, l.spark, false, "LATENCY", ROLE_HEADER, 0) + 1;
	x += surf_field(surf, r.row, x, W_ERR, true, "ERR", ROLE_HEADER, 0) + 1;
	for (int c = 0; c < C__COUNT; c++)
		if (l.opt[c])
			x += surf_field(surf, r.row, x, optional[c].width, true, optional[c].title,
			                ROLE_HEADER, 0) +
			     1;
	surf_field(surf, r.row, x, W_BREAKER, false, "BREAKER", ROLE_HEADER, 0);

	if (n == 0) {
		surf_put(surf, r.row + 2, r.col + 2, r.cols - 2,
		         filter && *filter
		                 ? "no provider matches the filter"
		                 : "no provider data yet (waiting for probes or gateway events)",
		         ROLE_DIM, 0);
		return;
	}
	int page = table_page(s, r);
	struct listview lv = m->lv;
	listview_clamp(&lv, n, page);
	for (int i = 0; i < page && lv.top + i < n; i++)
		draw_row(s, &s->providers[idx[lv.top + i]], lv.top + i == lv.sel, &l, surf,
		         r.row + 1 + i, r);
	if (r.rows < 14)
		return;
	int shown = n - lv.top < page ? n - lv.top : page;
	int y = r.row + 1 + shown + 1;
	int rows = detail_rows(s);
	if (y + rows > r.row + r.rows)
		y = r.row + r.rows - rows;
	const struct snap_provider *p = &s->providers[idx[lv.sel]];
	int chart = r.row + r.rows - (y + rows);
	draw_detail(s, p, surf, y, r, chart >= 3);
	if (chart >= 3)
		draw_chart(p, surf, y + rows, chart > 8 ? 8 : chart, r);
}
