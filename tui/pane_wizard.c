/*
 * pane_wizard.c: the triage wizard's view. The tree and the walk are
 * core/triage; this draws the open threads, the current question with its
 * live evidence and suggested answer, the path so far, and at the end each
 * thread's finding with its runbook steps (which the console loads from
 * docs/runbooks/). Keys answer, accept the suggestion, undo and switch
 * threads.
 */
#include "tui/panes.h"

#include "core/vgerr.h"
#include "tui/fmt.h"
#include "tui/keys.h"

#include <stdio.h>
#include <string.h>

/* The incident's own evidence when the snapshot carries it, else NULL. */
static const struct triage_evidence *scoped_evidence(const struct wizard_pane *m,
                                                     const struct snapshot *s)
{
	if (!m->incident_id || s->detail.incident_id != m->incident_id || !s->detail.has_evidence)
		return NULL;
	return &s->detail.evidence;
}

/* (Re)start the walk: at the incident's branch, or the whole tree. */
static void restart(struct wizard_pane *m, const struct snapshot *s)
{
	const struct triage_evidence *ev = scoped_evidence(m, s);
	struct triage_evidence none;
	m->scoped = ev != NULL;
	if (!ev && m->incident_id) {
		/* Not arrived yet: no numbers rather than another scope's. */
		triage_evidence_init(&none);
		snprintf(none.scope, sizeof(none.scope), "%s", m->provider);
		ev = &none;
	} else if (!ev) {
		ev = snapshot_evidence_for(s, m->provider);
	}
	if (m->incident_id && !m->full)
		triage_start_incident(&m->walk, ev, m->category, m->subtype);
	else
		triage_start(&m->walk, ev);
	m->recorded = false;
	m->scroll = 0;
	for (int i = 0; i < TRIAGE_MAX_THREADS; i++) {
		m->loaded[i] = false;
		m->runbook[i][0] = '\0';
	}
}

void wizard_start(struct wizard_pane *m, const struct snapshot *s, const struct snap_incident *inc)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->provider, sizeof(m->provider), "%s", inc ? inc->provider : "");
	if (inc) {
		m->incident_id = inc->id;
		m->category = inc->category;
		m->subtype = inc->subtype;
	}
	restart(m, s);
	if (inc) {
		m->incident_id = inc->id;
		snprintf(m->title, sizeof(m->title), "#%lld %s %s/%s %s", (long long)inc->id,
		         model_severity_name(inc->severity), model_category_name(inc->category),
		         model_subtype_name(inc->subtype), inc->provider);
	} else {
		snprintf(m->title, sizeof(m->title), "all providers");
	}
}

void wizard_update(struct wizard_pane *m, const struct snapshot *s)
{
	const struct triage_evidence *ev = scoped_evidence(m, s);
	if (ev) {
		m->scoped = true;
		triage_update_evidence(&m->walk, ev);
	} else if (!m->incident_id) {
		triage_update_evidence(&m->walk, snapshot_evidence_for(s, m->provider));
	}
}

static void clear_findings(struct wizard_pane *m)
{
	for (int i = 0; i < TRIAGE_MAX_THREADS; i++) {
		struct triage_thread_info info;
		if (triage_thread_info(&m->walk, i, &info) != 0 || !info.done) {
			m->loaded[i] = false;
			m->runbook[i][0] = '\0';
		}
	}
}

static unsigned after_change(struct wizard_pane *m)
{
	clear_findings(m);
	if (triage_done(&m->walk) && !m->recorded) {
		m->recorded = true;
		m->scroll = 0;
		return PANE_HANDLED | PANE_REDRAW | PANE_ACTION;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

static int cycle(const struct triage *t, int dir)
{
	for (int k = 1; k <= t->n_threads; k++) {
		int i = ((t->active + dir * k) % t->n_threads + t->n_threads) % t->n_threads;
		if (!t->threads[i].done)
			return i;
	}
	return t->active;
}

unsigned wizard_key(struct wizard_pane *m, const struct snapshot *s, int key, struct rect r)
{
	struct triage *t = &m->walk;
	switch (key) {
	case TK_ESC:
	case 'q': return PANE_HANDLED | PANE_REDRAW | WIZARD_CLOSE;
	case 'f':
		if (!m->incident_id)
			return PANE_HANDLED;
		m->full = !m->full;
		restart(m, s);
		return PANE_HANDLED | PANE_REDRAW;
	case 'b':
	case TK_BACKSPACE:
		if (triage_back(t) != 0)
			return PANE_HANDLED;
		m->recorded = false;
		return after_change(m);
	default: break;
	}
	if (triage_done(t)) {
		switch (key) {
		case 'j':
		case TK_DOWN: m->scroll++; return PANE_HANDLED | PANE_REDRAW;
		case 'k':
		case TK_UP:
			if (m->scroll > 0)
				m->scroll--;
			return PANE_HANDLED | PANE_REDRAW;
		case TK_PGDN: m->scroll += r.rows / 2; return PANE_HANDLED | PANE_REDRAW;
		case TK_PGUP:
			m->scroll = m->scroll > r.rows / 2 ? m->scroll - r.rows / 2 : 0;
			return PANE_HANDLED | PANE_REDRAW;
		case TK_ENTER: return PANE_HANDLED | PANE_REDRAW | WIZARD_CLOSE;
		default: return 0;
		}
	}
	switch (key) {
	case 'y':
	case 'Y': triage_answer(t, TA_YES); return after_change(m);
	case 'n':
	case 'N': triage_answer(t, TA_NO); return after_change(m);
	case TK_ENTER:
		if (triage_accept(t) != 0)
			return PANE_HANDLED; /* no data: the engineer must answer */
		return after_change(m);
	case TK_TAB:
	case TK_RIGHT: triage_focus(t, cycle(t, 1)); return PANE_HANDLED | PANE_REDRAW;
	case TK_BTAB:
	case TK_LEFT: triage_focus(t, cycle(t, -1)); return PANE_HANDLED | PANE_REDRAW;
	default: return 0;
	}
}

static void draw_threads(const struct wizard_pane *m, struct surface *surf, int row, struct rect r)
{
	int x = r.col + 1;
	x += surf_put(surf, row, x, -1, "threads ", ROLE_DIM, 0);
	for (int i = 0; i < m->walk.n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(&m->walk, i, &info);
		char b[96];
		if (info.done && info.category >= 0)
			snprintf(b, sizeof(b), " %d %s %s %s ", i + 1, info.branch,
			         surf_glyph(surf, GLYPH_CHECK), model_subtype_name(info.subtype));
		else if (info.done)
			snprintf(b, sizeof(b), " %d %s %s ", i + 1, info.branch,
			         surf_glyph(surf, GLYPH_CHECK));
		else
			snprintf(b, sizeof(b), " %d %s (%d) ", i + 1, info.branch, info.answered);
		enum surf_role role = i == m->walk.active ? ROLE_TAB
		                      : info.done         ? ROLE_OK
		                                          : ROLE_NORMAL;
		int w = surf_text_width(b);
		if (x + w > r.col + r.cols)
			break;
		x += surf_put(surf, row, x, -1, b, role, 0);
		x += surf_put(surf, row, x, -1, " ", ROLE_NORMAL, 0);
	}
}

static void draw_question(const struct wizard_pane *m, struct vdraw *v)
{
	struct triage_question q;
	if (triage_question(&m->walk, &q) != 0)
		return;
	char b[200];
	snprintf(b, sizeof(b), "%s %s question %d", q.branch, "-", q.number);
	v->x = 1;
	vd_put(v, b, ROLE_HEADER, 0);
	vd_nl(v);
	vd_wrapped(v, 1, q.text, ROLE_NORMAL);
	vd_nl(v);
	v->x = 3;
	vd_put(v, q.evidence, ROLE_NORMAL, SA_BOLD);
	/* "... : 38% — suggested: yes" on one line when it fits. */
	const char *gap = " ";
	if (v->x + 26 > v->r.cols) {
		vd_nl(v);
		v->x = 3;
		gap = "";
	} else {
		vd_put(v, " ", ROLE_NORMAL, 0);
		vd_put(v, v->surf ? surf_glyph(v->surf, GLYPH_EMDASH) : "-", ROLE_NORMAL, 0);
	}
	if (q.suggested == TA_NONE) {
		vd_put(v, gap, ROLE_NORMAL, 0);
		vd_put(v, "no data: answer y or n", ROLE_WARN, 0);
	} else {
		vd_put(v, gap, ROLE_NORMAL, 0);
		vd_put(v, "suggested: ", ROLE_NORMAL, 0);
		vd_put(v, q.suggested == TA_YES ? "yes" : "no",
		       q.suggested == TA_YES ? ROLE_BAD : ROLE_OK, SA_BOLD);
	}
	vd_nl(v);
	if (q.reference[0])
		vd_wrapped(v, 3, q.reference, ROLE_DIM);
	vd_nl(v);
	v->x = 3;
	static const char *const keys[][2] = { { "y", "yes" },        { "n", "no" },
		                               { "Enter", "accept" }, { "b", "back" },
		                               { "f", "full tree" },  { "Tab", "thread" },
		                               { "Esc", "close" } };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i][0][0] == 'f' && !m->incident_id)
			continue;
		vd_put(v, keys[i][0], ROLE_KEY, SA_BOLD);
		vd_put(v, " ", ROLE_NORMAL, 0);
		vd_put(v, keys[i][1], ROLE_NORMAL, 0);
		vd_put(v, "   ", ROLE_NORMAL, 0);
	}
	vd_nl(v);
}

static void draw_path(const struct wizard_pane *m, struct vdraw *v, int room)
{
	const struct triage *t = &m->walk;
	if (t->n_steps == 0 || room < 2)
		return;
	vd_rule(v, "path so far");
	int first = t->n_steps - (room - 1);
	if (first < 0)
		first = 0;
	for (int i = first; i < t->n_steps; i++) {
		const struct triage_step *st = &t->steps[i];
		struct triage_thread_info info;
		triage_thread_info(t, st->thread, &info);
		char ev[160], b[256];
		triage_step_evidence(t, i, ev, sizeof(ev));
		snprintf(b, sizeof(b), "%2d. %-10s %s %s %s", i + 1, info.branch, ev,
		         v->surf ? surf_glyph(v->surf, GLYPH_ARROW) : "->",
		         st->answer == TA_YES ? "yes" : "no");
		v->x = 1;
		vd_put(v, b, ROLE_NORMAL, 0);
		if (st->suggested != TA_NONE && st->suggested != st->answer)
			vd_put(v, " (overrode the suggestion)", ROLE_WARN, 0);
		vd_nl(v);
	}
}

static void draw_findings(const struct wizard_pane *m, struct vdraw *v)
{
	vd_rule(v, "findings");
	bool any = false;
	for (int i = 0; i < m->walk.n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(&m->walk, i, &info);
		if (!info.done || (info.category < 0 && !strcmp(info.branch, "screening")))
			continue;
		char b[256];
		v->x = 1;
		vd_put(v, info.branch, ROLE_HEADER, 0);
		v->x = 11;
		if (info.category < 0) {
			vd_put(v, info.finding, ROLE_DIM, 0);
			vd_nl(v);
			continue;
		}
		any = true;
		snprintf(b, sizeof(b), "%s/%s", model_category_name((enum category)info.category),
		         model_subtype_name(info.subtype));
		vd_put(v, b, ROLE_BAD, SA_BOLD);
		vd_put(v, "  ", ROLE_NORMAL, 0);
		vd_put(v, info.finding, ROLE_NORMAL, 0);
		vd_nl(v);
		snprintf(b, sizeof(b), "first: %s", info.first_step);
		vd_wrapped(v, 11, b, ROLE_NORMAL);
		snprintf(b, sizeof(b), "runbook %s, %s:", info.runbook,
		         info.section ? info.section : "");
		vd_wrapped(v, 11, b, ROLE_DIM);
		if (m->loaded[i] && m->runbook[i][0])
			vd_wrapped(v, 13, m->runbook[i], ROLE_NORMAL);
		else
			vd_wrapped(v, 13, "(runbook file not found)", ROLE_DIM);
	}
	if (!any) {
		v->x = 1;
		vd_wrapped(
		        v, 1,
		        "nothing confirmed by the answers: check vigil's own health (monitor) and "
		        "the gateway itself",
		        ROLE_WARN);
	}
	char why[320];
	if (triage_verdict(&m->walk, why, sizeof(why)) > 0) {
		char b[340];
		snprintf(b, sizeof(b), "why: %s", why);
		vd_wrapped(v, 1, b,
		           m->walk.label_category >= 0 && strncmp(why, "the evidence", 12)
		                   ? ROLE_WARN
		                   : ROLE_DIM);
	}
	/* The path, as the incident records it. */
	vd_rule(v, "path");
	for (int i = 0; i < m->walk.n_steps; i++) {
		char ev[160], b[256];
		triage_step_evidence(&m->walk, i, ev, sizeof(ev));
		snprintf(b, sizeof(b), "%d. %s %s %s", i + 1, ev,
		         v->surf ? surf_glyph(v->surf, GLYPH_ARROW) : "->",
		         m->walk.steps[i].answer == TA_YES ? "yes" : "no");
		vd_wrapped(v, 1, b, ROLE_NORMAL);
	}
	vd_nl(v);
	v->x = 1;
	if (m->incident_id) {
		char b[64];
		snprintf(b, sizeof(b), "path recorded on incident #%lld",
		         (long long)m->incident_id);
		vd_put(v, b, ROLE_OK, 0);
	} else {
		vd_put(v, "not about one incident: the path is not recorded", ROLE_DIM, 0);
	}
	vd_nl(v);
}

void wizard_draw(const struct wizard_pane *m, const struct snapshot *s, struct surface *surf,
                 struct rect r)
{
	int y = r.row;
	int x = r.col + 1;
	x += surf_put(surf, y, x, -1, "TRIAGE ", ROLE_HEADER, SA_BOLD);
	surf_put(surf, y, x, r.cols - x, m->title, ROLE_NORMAL, SA_BOLD);
	y++;
	char win[16], req[16], line[300];
	const struct triage_evidence *ev = &m->walk.ev;
	if (m->incident_id && m->walk.ev.from_ms > 0) {
		/* Two lines: what the numbers cover, and when. */
		char a[16], b[16], before[16];
		snprintf(line, sizeof(line), "incident's evidence: %s%s", ev->where,
		         m->full ? " (whole tree)" : "");
		surf_put(surf, y++, r.col + 1, r.cols - 1, line, ROLE_DIM, 0);
		snprintf(line, sizeof(line), "%s-%s UTC (%s): %s requests; %s in the hour before",
		         fmt_clock(ev->from_ms, a, sizeof(a)), fmt_clock(ev->to_ms, b, sizeof(b)),
		         fmt_age(ev->window_ms, win, sizeof(win)),
		         vg_has(ev->requests) ? fmt_count(ev->requests, req, sizeof(req)) : "?",
		         vg_has(ev->before_requests)
		                 ? fmt_count(ev->before_requests, before, sizeof(before))
		                 : "?");
	} else if (m->incident_id && !m->scoped) {
		snprintf(line, sizeof(line), "evidence: reading the incident's own numbers...");
	} else
		snprintf(line, sizeof(line), "live evidence: %s, last %s, %s requests",
		         ev->scope[0] ? ev->scope : "all providers",
		         fmt_age(ev->window_ms, win, sizeof(win)),
		         vg_has(ev->requests) ? fmt_count(ev->requests, req, sizeof(req)) : "?");
	surf_put(surf, y++, r.col + 1, r.cols - 1, line, ROLE_DIM, 0);
	draw_threads(m, surf, y++, r);
	y++;
	struct rect body = { y, r.col, r.row + r.rows - y, r.cols };
	if (body.rows <= 0)
		return;
	if (!triage_done(&m->walk)) {
		struct vdraw v = { surf, body, 0, 0, 0 };
		draw_question(m, &v);
		draw_path(m, &v, body.rows - v.y);
		return;
	}
	struct vdraw count = { NULL, body, 0, 0, 0 };
	draw_findings(m, &count);
	int max = count.y - body.rows;
	int scroll = m->scroll > max ? (max > 0 ? max : 0) : m->scroll;
	struct vdraw v = { surf, body, scroll, 0, 0 };
	draw_findings(m, &v);
	(void)s;
}
