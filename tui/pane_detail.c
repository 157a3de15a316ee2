/*
 * pane_detail.c: one incident in full (Enter on the incident list): what,
 * where, since when, who acknowledged it, related incidents, the runbook, a
 * sample of the causal signals (first, worst, latest), the timeline (events,
 * breaker moves, acknowledgements, notes, notifications) and the recorded
 * triage path. Scrolls when it does not fit.
 */
#include "tui/panes.h"

#include "core/event.h"
#include "tui/fmt.h"
#include "tui/keys.h"

#include <stdio.h>

static void layout(const struct detail_pane *m, const struct snapshot *s, struct vdraw *v)
{
	const struct snap_incident *inc = snapshot_find_incident(s, m->incident_id);
	char b[4][48];
	if (!inc) {
		v->x = 1;
		vd_put(v, "this incident is no longer in the snapshot (Esc goes back)", ROLE_DIM,
		       0);
		vd_nl(v);
		return;
	}
	v->x = 1;
	snprintf(b[0], sizeof(b[0]), "#%lld ", (long long)inc->id);
	vd_put(v, b[0], ROLE_HEADER, SA_BOLD);
	vd_put(v, model_severity_name(inc->severity), pane_sev_role(inc->severity), SA_BOLD);
	vd_put(v, "  ", ROLE_NORMAL, 0);
	snprintf(b[1], sizeof(b[1]), "%s/%s", model_category_name(inc->category),
	         model_subtype_name(inc->subtype));
	vd_put(v, b[1], inc->category == CAT_MONITOR ? ROLE_ALERT : ROLE_NORMAL, SA_BOLD);
	vd_put(v, "  ", ROLE_NORMAL, 0);
	char pm[VG_NAME_MAX + VG_MODEL_MAX + 2];
	vd_put(v, pane_pm(inc->provider, inc->model, pm, sizeof(pm)), ROLE_NORMAL, 0);
	vd_put(v, "  ", ROLE_NORMAL, 0);
	vd_put(v, snapshot_inc_state_name(inc->state),
	       inc->state == SNAP_INC_OPEN    ? ROLE_WARN
	       : inc->state == SNAP_INC_ACKED ? ROLE_OK
	                                      : ROLE_DIM,
	       SA_BOLD);
	if (inc->pending)
		vd_put(v, " (action waiting for the daemon)", ROLE_DIM, 0);
	vd_nl(v);

	v->x = 1;
	char line[256], cnt[24];
	fmt_clock(inc->first_ms, b[0], sizeof(b[0]));
	fmt_age(s->now_ms - inc->first_ms, b[1], sizeof(b[1]));
	fmt_clock(inc->last_ms, b[2], sizeof(b[2]));
	fmt_age(s->now_ms - inc->last_ms, b[3], sizeof(b[3]));
	snprintf(line, sizeof(line), "first %s (%s ago)   last %s (%s ago)   %s event(s)", b[0],
	         b[1], b[2], b[3], fmt_count(inc->count, cnt, sizeof(cnt)));
	vd_put(v, line, ROLE_NORMAL, 0);
	vd_nl(v);

	v->x = 1;
	if (inc->acked_by[0]) {
		snprintf(line, sizeof(line), "acknowledged by %s%s%s%s", inc->acked_by,
		         vg_has(inc->state_ms) ? " " : "",
		         vg_has(inc->state_ms)
		                 ? fmt_age(s->now_ms - inc->state_ms, b[0], sizeof(b[0]))
		                 : "",
		         vg_has(inc->state_ms) ? " ago" : "");
		vd_put(v, line, ROLE_OK, 0);
	} else if (inc->state == SNAP_INC_RESOLVED) {
		vd_put(v, "resolved", ROLE_DIM, 0);
	} else {
		vd_put(v, "not acknowledged", ROLE_WARN, 0);
	}
	if (inc->n_related) {
		vd_put(v, "   related:", ROLE_NORMAL, 0);
		for (int i = 0; i < inc->n_related; i++) {
			snprintf(b[0], sizeof(b[0]), " #%lld", (long long)inc->related[i]);
			vd_put(v, b[0], ROLE_NORMAL, SA_BOLD);
		}
	}
	vd_nl(v);
	if (inc->summary[0])
		vd_wrapped(v, 1, inc->summary, ROLE_NORMAL);
	snprintf(line, sizeof(line), "runbook %s: %s", event_runbook(inc->category, inc->subtype),
	         event_hint(inc->subtype));
	vd_wrapped(v, 1, line, ROLE_DIM);

	const struct snap_detail *d = &s->detail;
	bool loaded = d->incident_id == inc->id;
	vd_rule(v, "causal signals (sampled)");
	if (!loaded) {
		v->x = 1;
		vd_put(v, "loading...", ROLE_DIM, 0);
		vd_nl(v);
	}
	for (int i = 0; loaded && i < d->n_samples; i++) {
		v->x = 1;
		vd_put(v, d->samples[i].label, ROLE_HEADER, 0);
		v->x = 9;
		vd_put(v, fmt_clock(d->samples[i].time_ms, b[0], sizeof(b[0])), ROLE_DIM, 0);
		v->x = 19;
		vd_put(v, d->samples[i].text, ROLE_NORMAL, 0);
		vd_nl(v);
	}
	if (loaded && d->n_samples == 0) {
		v->x = 1;
		vd_put(v, "no sample recorded", ROLE_DIM, 0);
		vd_nl(v);
	}
	vd_rule(v, "timeline");
	for (int i = 0; loaded && i < d->n_timeline; i++) {
		const struct snap_timeline *t = &d->timeline[i];
		v->x = 1;
		vd_put(v, fmt_clock(t->time_ms, b[0], sizeof(b[0])), ROLE_DIM, 0);
		v->x = 11;
		enum surf_role role = t->kind == SNAP_TL_ACK || t->kind == SNAP_TL_RESOLVED
		                              ? ROLE_OK
		                      : t->kind == SNAP_TL_ESCALATED  ? ROLE_SEV_HIGH
		                      : t->kind == SNAP_TL_TRANSITION ? ROLE_WARN
		                                                      : ROLE_HEADER;
		vd_put(v, snapshot_tl_kind_name(t->kind), role, 0);
		v->x = 21;
		vd_put(v, t->text, ROLE_NORMAL, 0);
		vd_nl(v);
	}
	vd_rule(v, "triage");
	if (loaded && d->triage_path[0])
		vd_wrapped(v, 1, d->triage_path, ROLE_NORMAL);
	else {
		v->x = 1;
		vd_put(v, inc->triaged ? "triaged (path loading...)" : "not triaged yet: press t",
		       ROLE_DIM, 0);
		vd_nl(v);
	}
}

static int total_lines(const struct detail_pane *m, const struct snapshot *s, struct rect r)
{
	struct vdraw v = { NULL, r, 0, 0, 0 };
	layout(m, s, &v);
	return v.y;
}

unsigned detail_key(struct detail_pane *m, const struct snapshot *s, int key, struct rect r)
{
	int max = total_lines(m, s, r) - r.rows;
	if (max < 0)
		max = 0;
	int before = m->scroll;
	switch (key) {
	case 'j':
	case TK_DOWN: m->scroll++; break;
	case 'k':
	case TK_UP: m->scroll--; break;
	case TK_PGDN: m->scroll += r.rows; break;
	case TK_PGUP: m->scroll -= r.rows; break;
	case 'g':
	case TK_HOME: m->scroll = 0; break;
	case 'G':
	case TK_END: m->scroll = max; break;
	default: return 0;
	}
	if (m->scroll > max)
		m->scroll = max;
	if (m->scroll < 0)
		m->scroll = 0;
	return PANE_HANDLED | (m->scroll != before ? PANE_REDRAW : 0);
}

void detail_draw(const struct detail_pane *m, const struct snapshot *s, struct surface *surf,
                 struct rect r)
{
	int max = total_lines(m, s, r) - r.rows;
	struct vdraw v = { surf, r, m->scroll > max ? (max > 0 ? max : 0) : m->scroll, 0, 0 };
	layout(m, s, &v);
}
