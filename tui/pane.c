/*
 * pane.c: helpers every pane uses: the list view, filter matching, severity
 * and breaker roles, section rules and sparklines (see pane.h).
 */
#include "tui/pane.h"

#include "tui/keys.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void listview_clamp(struct listview *lv, int n, int page)
{
	if (page < 1)
		page = 1;
	if (lv->sel >= n)
		lv->sel = n - 1;
	if (lv->sel < 0)
		lv->sel = 0;
	if (lv->top > lv->sel)
		lv->top = lv->sel;
	if (lv->sel >= lv->top + page)
		lv->top = lv->sel - page + 1;
	if (lv->top > n - page)
		lv->top = n - page;
	if (lv->top < 0)
		lv->top = 0;
}

unsigned listview_key(struct listview *lv, int n, int page, int key)
{
	int before = lv->sel;
	if (page < 1)
		page = 1;
	switch (key) {
	case 'j':
	case TK_DOWN: lv->sel++; break;
	case 'k':
	case TK_UP: lv->sel--; break;
	case TK_PGDN: lv->sel += page; break;
	case TK_PGUP: lv->sel -= page; break;
	case 'g':
	case TK_HOME: lv->sel = 0; break;
	case 'G':
	case TK_END: lv->sel = n - 1; break;
	default: return 0;
	}
	listview_clamp(lv, n, page);
	/* A movement key is used even at the end of the list (no beep). */
	return PANE_HANDLED | (lv->sel != before ? PANE_REDRAW : 0);
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return n == 0;
}

bool pane_match(const char *filter, const char *const *fields)
{
	if (!filter || !*filter)
		return true;
	for (; *fields; fields++)
		if (contains_ci(*fields, filter))
			return true;
	return false;
}

const char *pane_pm(const char *provider, const char *model, char *buf, size_t size)
{
	if (model && *model)
		snprintf(buf, size, "%s/%s", provider, model);
	else
		snprintf(buf, size, "%s", provider);
	return buf;
}

enum surf_role pane_sev_role(enum severity sev)
{
	switch (sev) {
	case SEV_CRITICAL: return ROLE_SEV_CRITICAL;
	case SEV_HIGH: return ROLE_SEV_HIGH;
	case SEV_MEDIUM: return ROLE_SEV_MEDIUM;
	default: return ROLE_SEV_LOW;
	}
}

enum surf_role pane_breaker_role(enum breaker_state st)
{
	switch (st) {
	case BRK_OPEN: return ROLE_BAD;
	case BRK_HALF_OPEN: return ROLE_WARN;
	default: return ROLE_OK;
	}
}

const char *pane_breaker_name(enum breaker_state st)
{
	return st == BRK_HALF_OPEN ? "half-open" : model_breaker_state_name(st);
}

const char *pane_sev_short(enum severity sev)
{
	switch (sev) {
	case SEV_CRITICAL: return "CRIT";
	case SEV_HIGH: return "HIGH";
	case SEV_MEDIUM: return "MED";
	case SEV_LOW: return "LOW";
	default: return "?";
	}
}

void pane_rule(struct surface *s, int row, int col, int cols, const char *title)
{
	const char *h = surf_glyph(s, GLYPH_HLINE);
	int x = col, end = col + cols;
	if (title && *title) {
		x += surf_put(s, row, x, end - x, h, ROLE_DIM, 0);
		x += surf_put(s, row, x, end - x, h, ROLE_DIM, 0);
		x += surf_put(s, row, x, end - x, " ", ROLE_HEADER, 0);
		x += surf_put(s, row, x, end - x, title, ROLE_HEADER, 0);
		x += surf_put(s, row, x, end - x, " ", ROLE_HEADER, 0);
	}
	while (x < end) {
		int w = surf_put(s, row, x, end - x, h, ROLE_DIM, 0);
		if (w <= 0)
			break;
		x += w;
	}
}

void pane_sparkline(struct surface *s, int row, int col, int cols, const float *v, int n,
                    enum surf_role role)
{
	int first = n > cols ? n - cols : 0;
	float lo = INFINITY, hi = -INFINITY;
	for (int i = first; i < n; i++) {
		if (isnan(v[i]))
			continue;
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	int x = col + (cols - (n - first)); /* right-aligned: newest at the right edge */
	for (int i = first; i < n; i++, x++) {
		if (isnan(v[i]) || isinf(lo)) {
			surf_put(s, row, x, 1, " ", role, 0);
			continue;
		}
		int level = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7.0f + 0.5f) : 0;
		if (level < 0)
			level = 0;
		if (level > 7)
			level = 7;
		surf_put(s, row, x, 1, surf_glyph(s, (enum surf_glyph)(GLYPH_SPARK_0 + level)),
		         role, 0);
	}
}

size_t pane_wrap(const char *text, int width, size_t *skip)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, last_space = 0;
	bool have_space = false;
	int cols = 0;
	*skip = 0;
	if (width < 1)
		width = 1;
	while (p[i]) {
		if (p[i] == '\n') {
			*skip = 1;
			return i;
		}
		size_t n = 1;
		if (p[i] >= 0xF0)
			n = 4;
		else if (p[i] >= 0xE0)
			n = 3;
		else if (p[i] >= 0xC0)
			n = 2;
		char ch[5] = { 0 };
		for (size_t k = 0; k < n && p[i + k]; k++)
			ch[k] = (char)p[i + k];
		int w = surf_text_width(ch);
		if (cols + w > width) {
			if (p[i] == ' ') {
				*skip = 1;
				return i;
			}
			if (have_space) {
				*skip = 1;
				return last_space;
			}
			return i > 0 ? i : n; /* a word wider than the line */
		}
		if (p[i] == ' ') {
			last_space = i;
			have_space = true;
		}
		cols += w;
		for (size_t k = 0; k < n && p[i]; k++)
			i++;
	}
	return i;
}

int vd_row(const struct vdraw *v)
{
	int row = v->y - v->scroll;
	if (!v->surf || row < 0 || row >= v->r.rows)
		return -1;
	return v->r.row + row;
}

int vd_put(struct vdraw *v, const char *text, enum surf_role role, unsigned attrs)
{
	int row = vd_row(v);
	int w;
	if (row < 0)
		w = surf_text_width(text);
	else
		w = surf_put(v->surf, row, v->r.col + v->x, v->r.cols - v->x, text, role, attrs);
	v->x += w;
	return w;
}

void vd_nl(struct vdraw *v)
{
	v->y++;
	v->x = 0;
}

void vd_wrapped(struct vdraw *v, int indent, const char *text, enum surf_role role)
{
	const char *p = text;
	int width = v->r.cols - indent - 1;
	do {
		size_t skip;
		size_t n = pane_wrap(p, width, &skip);
		char line[512];
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		v->x = indent;
		vd_put(v, line, role, 0);
		vd_nl(v);
		p += n + skip;
	} while (*p);
}

void vd_rule(struct vdraw *v, const char *title)
{
	int row = vd_row(v);
	if (row >= 0)
		pane_rule(v->surf, row, v->r.col, v->r.cols, title);
	vd_nl(v);
}
