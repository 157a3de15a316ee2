/*
 * pipeline_events.c: stage 5 of the pipeline (see pipeline.c's list): failure
 * events from the taxonomy's signals (hard ones at once, soft ones after the
 * sliding-window test), each judged by core/severity on a snapshot of the
 * system (breakers, availability, blast radius, whether failover works,
 * sustained MEDIUM); breaker oscillation events; and the rate-limit
 * headroom early warning.
 */
#include "core/pipeline_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A configured provider other than `failing` that could take its traffic:
 * a fallback (any other provider when `failing` is itself a fallback) whose
 * breaker is closed and whose recent availability is healthy; NULL when
 * none (*avail its availability). */
static const struct entity *healthy_fallback_of(const struct pipeline *p,
                                                const struct entity *failing, int64_t now,
                                                double *avail_out)
{
	for (size_t i = 0; i < p->n_ents; i++) {
		const struct entity *e = p->ents[i];
		if (e == failing || e->model[0] || !e->configured)
			continue;
		if (!e->fallback && !(failing && failing->fallback))
			continue;
		if (e->has_breaker && e->breaker.state != BRK_CLOSED)
			continue;
		int64_t total = swin_peek(&e->win, now, SL_TOTAL);
		int64_t bad = swin_peek(&e->win, now, SL_HARD);
		if (total <= 0)
			continue; /* unknown is not healthy */
		double avail = 1.0 - (double)bad / (double)total;
		if (avail >= p->sev.settings.healthy_availability) {
			if (avail_out)
				*avail_out = avail;
			return e;
		}
	}
	return NULL;
}

static bool healthy_fallback(const struct pipeline *p, const struct entity *failing, int64_t now)
{
	return healthy_fallback_of(p, failing, now, NULL) != NULL;
}

/* A breaker that opened less than failover_grace_ms ago, with no failed
 * fallback attempt seen within the soft window: the gateway's first
 * fallback answers are on their way, so the outage is not yet judged
 * unrecoverable. */
static bool failover_pending(const struct pipeline *p, const struct entity *prov,
                             const struct entity *mod, int64_t now)
{
	int64_t grace = p->sev.settings.failover_grace_ms;
	if (grace <= 0)
		return false;
	const struct entity *e[2] = { prov, mod };
	int64_t opened = VG_NONE;
	for (int i = 0; i < 2; i++) {
		if (!e[i] || !e[i]->has_breaker || e[i]->breaker.state == BRK_CLOSED)
			continue;
		if (e[i]->breaker.state != BRK_OPEN || e[i]->breaker.since_ms > now ||
		    now - e[i]->breaker.since_ms > grace)
			return false; /* probing, or open for longer: judged as it is */
		if (!vg_has(opened) || e[i]->breaker.since_ms < opened)
			opened = e[i]->breaker.since_ms;
	}
	if (!vg_has(opened))
		return false;
	return !(vg_has(prov->failover_fail_ms) &&
	         now - prov->failover_fail_ms <= p->settings.soft_window_ms);
}

static enum breaker_state worse(enum breaker_state a, enum breaker_state b)
{
	/* open > half_open > closed */
	int ra = a == BRK_OPEN ? 2 : a == BRK_HALF_OPEN ? 1 : 0;
	int rb = b == BRK_OPEN ? 2 : b == BRK_HALF_OPEN ? 1 : 0;
	return ra >= rb ? a : b;
}

/* The affected share of a quality, cost or security event in its own scope
 * (template and traffic class); false when the scope has no count (the
 * provider's window stands in). The blast radius is the scope's affected
 * requests over all recent requests. */
static bool scope_rates(const struct pipeline *p, const struct failure_event *ev, int64_t now,
                        struct severity_snapshot *s)
{
	/* A baseline verdict is judged on its series (provider or model), not
	 * on the template of the request that tipped it. */
	if (!pipeline__scoped(ev->category) || vg_has_d(ev->causal.baseline_expected))
		return false;
	const struct scope *sc = pipeline__scope_find(p, ev->template_id, (int)ev->traffic_class);
	if (!sc)
		return false;
	int64_t total = swin_peek(&sc->win, now, SL_TOTAL);
	if (total <= 0)
		return false;
	int64_t affected = swin_peek(&sc->win, now, pipeline__category_slot(ev->category));
	if (affected > total)
		affected = total; /* a late verdict of a request gone from the window */
	s->affected_rate = (double)affected / (double)total;
	s->window_count = total;
	s->affected = affected;
	int64_t global = swin_peek(&p->global, now, 0);
	s->blast_radius = global > 0 ? (double)affected / (double)global : VG_NONE_D;
	return true;
}

/* The system snapshot event ev on (prov, mod) is judged by. */
static void snapshot(const struct pipeline *p, const struct entity *prov, const struct entity *mod,
                     const struct failure_event *ev, int64_t now, struct severity_snapshot *s)
{
	enum category cat = ev->category;
	severity_snapshot_init(s, now);
	s->traffic_class = ev->traffic_class;
	bool scoped = scope_rates(p, ev, now, s);
	if (!prov)
		return;
	if (prov->has_breaker)
		s->breaker = prov->breaker.state;
	if (mod && mod->has_breaker)
		s->breaker = worse(s->breaker, mod->breaker.state);
	int64_t total = swin_peek(&prov->win, now, SL_TOTAL);
	int64_t global = swin_peek(&p->global, now, 0);
	if (total > 0) {
		s->provider_availability =
		        1.0 - (double)swin_peek(&prov->win, now, SL_HARD) / (double)total;
		if ((int)cat < CAT_TAXONOMY_COUNT && !scoped) {
			int64_t affected = swin_peek(&prov->win, now, pipeline__category_slot(cat));
			s->affected_rate = (double)affected / (double)total;
			s->window_count = total;
			s->affected = affected;
			if (global > 0)
				s->blast_radius = (double)affected / (double)global;
		}
	}
	bool recent = vg_has(prov->failover_ok_ms) &&
	              now - prov->failover_ok_ms <= p->settings.soft_window_ms;
	s->failover_working =
	        recent || healthy_fallback(p, prov, now) || failover_pending(p, prov, mod, now);
	if ((int)cat < CAT_TAXONOMY_COUNT) {
		const struct escalation *esc = &prov->esc[cat];
		if (vg_has(esc->since_ms) &&
		    now - esc->last_ms <= p->sev.settings.escalation_gap_ms)
			s->medium_since_ms = esc->since_ms;
	}
}

static double window_availability(const struct entity *e, int64_t now)
{
	int64_t total = swin_peek(&e->win, now, SL_TOTAL);
	if (total <= 0)
		return VG_NONE_D;
	return 1.0 - (double)swin_peek(&e->win, now, SL_HARD) / (double)total;
}

void pipeline__alert_context(const struct pipeline *p, const struct incident *inc, int64_t now,
                             struct incident_context *c)
{
	memset(c, 0, sizeof(*c));
	c->breaker = BRK_CLOSED;
	c->availability = c->fallback_availability = VG_NONE_D;
	c->fallback = "none";
	c->selection = SEL__COUNT;
	c->attempt = -1;
	/* the comparison: the latest sample's measure against its bar */
	const struct causal_signals *k = &inc->latest.causal;
	c->observed = vg_has_d(k->error_rate)   ? k->error_rate
	              : vg_has_d(k->latency_ms) ? k->latency_ms
	                                        : k->value;
	c->threshold = k->threshold;
	c->expected = k->baseline_expected;
	c->expected_lo = k->baseline_lo;
	c->expected_hi = k->baseline_hi;
	c->window_count = k->window_count;
	const char *model = inc->latest.pid.model;
	const struct entity *prov =
	        pipeline__find(p, inc->provider, "", pipeline__entity_hash(inc->provider, ""));
	if (!prov)
		return;
	const struct entity *mod =
	        model[0] ? pipeline__find(p, inc->provider, model,
	                                  pipeline__entity_hash(inc->provider, model))
	                 : NULL;
	if (prov->has_breaker)
		c->breaker = prov->breaker.state;
	if (mod && mod->has_breaker && worse(mod->breaker.state, c->breaker) != c->breaker) {
		c->breaker = mod->breaker.state;
		model_copy_str(c->breaker_of, sizeof(c->breaker_of), model, (size_t)-1);
	}
	c->availability = window_availability(prov, now);
	bool recent_ok = vg_has(prov->failover_ok_ms) &&
	                 now - prov->failover_ok_ms <= p->settings.soft_window_ms;
	bool recent_fail = vg_has(prov->failover_fail_ms) &&
	                   now - prov->failover_fail_ms <= p->settings.soft_window_ms;
	double fa = VG_NONE_D;
	const struct entity *fb = healthy_fallback_of(p, prov, now, &fa);
	if (recent_ok) {
		c->fallback = "working";
		model_copy_str(c->fallback_provider, sizeof(c->fallback_provider),
		               prov->failover_to, (size_t)-1);
		const struct entity *to = pipeline__find(
		        p, prov->failover_to, "", pipeline__entity_hash(prov->failover_to, ""));
		if (to)
			c->fallback_availability = window_availability(to, now);
	} else if (failover_pending(p, prov, mod, now)) {
		c->fallback = "pending";
	} else if (fb) {
		c->fallback = "healthy";
		model_copy_str(c->fallback_provider, sizeof(c->fallback_provider), fb->provider,
		               (size_t)-1);
		c->fallback_availability = fa;
	} else if (recent_fail) {
		c->fallback = "failing";
	}
	if (prov->sel_reason >= 0 && prov->sel_reason < SEL__COUNT)
		c->selection = (enum selection_reason)prov->sel_reason;
	model_copy_str(c->after_failure_of, sizeof(c->after_failure_of), prov->sel_after,
	               (size_t)-1);
	c->attempt = prov->sel_attempt;
}

/* Keep the sustained-MEDIUM stream of (provider, category) up to date. */
static void note_escalation(const struct pipeline *p, struct entity *prov, enum category cat,
                            const struct severity_why *why, enum severity sev, int64_t now)
{
	if (!prov || (int)cat >= CAT_TAXONOMY_COUNT)
		return;
	struct escalation *esc = &prov->esc[cat];
	bool medium = sev == SEV_MEDIUM || why->escalated;
	if (!medium)
		return;
	if (!vg_has(esc->since_ms) || now - esc->last_ms > p->sev.settings.escalation_gap_ms)
		esc->since_ms = now;
	esc->last_ms = now;
}

struct failure_event *pipeline__push_event(struct pipeline *p, enum subtype sub,
                                           const struct provider_id *pid, int64_t now)
{
	if (p->n_events >= PIPELINE_MAX_EVENTS)
		return NULL;
	struct failure_event *ev = &p->events[p->n_events];
	if (event_init(ev, p->next_id, now, model_subtype_category(sub), sub, SEV_LOW, pid) != 0)
		return NULL;
	p->next_id++;
	p->n_events++;
	return ev;
}

void pipeline__judge(struct pipeline *p, struct failure_event *ev, struct entity *prov,
                     struct entity *mod, bool early_warning, int64_t now)
{
	struct severity_snapshot snap;
	struct severity_why why;
	snapshot(p, prov, mod, ev, now, &snap);
	snap.early_warning = early_warning;
	/* Latency may have fired on the newest part of the window (soft_passes):
	 * its share there is the share affected now, not the lagging whole's. */
	if (ev->subtype == SUB_LATENCY && vg_has_d(ev->causal.error_rate) &&
	    (!vg_has_d(snap.affected_rate) || ev->causal.error_rate > snap.affected_rate)) {
		snap.affected_rate = ev->causal.error_rate;
		snap.window_count = ev->causal.window_count;
		snap.affected = VG_NONE;
	}
	ev->severity = severity_classify(ev, &snap, &p->sev, &why);
	note_escalation(p, prov, ev->category, &why, ev->severity, now);
	if (!vg_has_d(ev->causal.error_rate) && vg_has_d(snap.affected_rate)) {
		ev->causal.error_rate = snap.affected_rate;
		ev->causal.window_count = snap.window_count;
	}
	if (why.escalated && !ev->causal.detail[0])
		snprintf(ev->causal.detail, sizeof(ev->causal.detail),
		         "escalated: medium sustained for %lld ms",
		         (long long)(now - snap.medium_since_ms));
	if (why.capped && !ev->causal.detail[0]) {
		int64_t k =
		        vg_has(snap.affected) ? snap.affected
		        : vg_has_d(snap.affected_rate)
		                ? (int64_t)llround(snap.affected_rate * (double)snap.window_count)
		                : 0;
		snprintf(ev->causal.detail, sizeof(ev->causal.detail),
		         "held at medium: %lld of %lld requests in scope, lower bound %.1f%% "
		         "(no evidence yet)",
		         (long long)k, (long long)snap.window_count,
		         vg_has_d(why.evidence_lb) ? why.evidence_lb * 100.0 : 0.0);
	}
	p->tax_counts[ev->category][ev->severity]++;
}

bool pipeline__emit_oscillation(struct pipeline *p, const struct entity *e,
                                const struct breaker_transition *t, const struct observation *obs,
                                int64_t now)
{
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	if (obs)
		pid = obs->pid;
	model_copy_str(pid.provider, sizeof(pid.provider), e->provider, (size_t)-1);
	model_copy_str(pid.model, sizeof(pid.model), e->model, (size_t)-1);
	struct failure_event *ev = pipeline__push_event(p, SUB_OSCILLATION, &pid, now);
	if (!ev)
		return false;
	ev->causal.value = t->opens_in_window;
	ev->causal.threshold = p->settings.breaker.oscillation_opens;
	snprintf(ev->causal.detail, sizeof(ev->causal.detail), "%d breaker opens within %lld ms",
	         (int)t->opens_in_window, (long long)p->settings.breaker.oscillation_window_ms);
	ev->retryable = VG_TRI_TRUE;
	if (obs) {
		ev->traffic_class = obs->traffic_class;
		model_copy_str(ev->request_id, sizeof(ev->request_id), obs->request_id, (size_t)-1);
	}
	struct entity *prov = e->parent >= 0 ? p->ents[e->parent] : (struct entity *)e;
	pipeline__judge(p, ev, prov, e->parent >= 0 ? (struct entity *)e : NULL, false, now);
	return true;
}

/* The sliding-window test of a soft signal: enough samples, rate over the bar.
 * Latency compares the configured percentile with the threshold: pX > T
 * exactly when more than (100 - X)% of the requests are slower than T. */
static bool soft_passes(const struct pipeline *p, struct entity *prov, const struct tax_signal *sg,
                        int64_t now, double *rate, int64_t *count)
{
	if (!prov)
		return false;
	int64_t total = swin_peek(&prov->win, now, SL_TOTAL);
	int64_t k = swin_peek(&prov->win, now, pipeline__soft_slot(sg->subtype));
	*count = total;
	*rate = total > 0 ? (double)k / (double)total : 0;
	if (total < p->settings.soft_min_samples)
		return false;
	if (sg->subtype == SUB_LATENCY) {
		double bar = 1.0 - p->settings.latency_percentile / 100.0;
		if (*rate > bar)
			return true;
		/* The whole window's percentile lags a ramp by about half the
		 * window; its newest part (with as many samples) crosses first. */
		int64_t rt =
		        swin_peek_recent(&prov->win, now, SL_TOTAL, p->settings.latency_recent_ms);
		int64_t rk = swin_peek_recent(&prov->win, now, SL_LATENCY,
		                              p->settings.latency_recent_ms);
		if (rt < p->settings.soft_min_samples || (double)rk <= bar * (double)rt)
			return false;
		*rate = (double)rk / (double)rt;
		*count = rt;
		return true;
	}
	return *rate >= p->settings.soft_rate;
}

void pipeline__stage_events(struct pipeline *p, const struct observation *obs, struct entity *prov,
                            struct entity *mod, const struct tax_signal *sg, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		double rate = VG_NONE_D;
		int64_t count = VG_NONE;
		if (sg[i].soft && !soft_passes(p, prov, &sg[i], now, &rate, &count))
			continue;
		/* A warm baseline owns the question (pipeline_baseline.c). */
		if (sg[i].soft && p->bl &&
		    pipeline__bl_static_off(p, prov, sg[i].subtype, obs->source, now))
			continue;
		struct failure_event *ev = pipeline__push_event(p, sg[i].subtype, &obs->pid, now);
		if (!ev)
			return;
		if (prov) {
			prov->sel_reason = (int8_t)obs->selection_reason;
			model_copy_str(prov->sel_after, sizeof(prov->sel_after),
			               obs->after_failure_of, (size_t)-1);
			prov->sel_attempt = obs->attempt;
		}
		ev->causal = sg[i].causal;
		ev->retryable = sg[i].retryable;
		ev->traffic_class = obs->traffic_class;
		model_copy_str(ev->request_id, sizeof(ev->request_id), obs->request_id, (size_t)-1);
		model_copy_str(ev->template_id, sizeof(ev->template_id), obs->template_id,
		               (size_t)-1);
		if (sg[i].soft) {
			ev->causal.error_rate = rate;
			ev->causal.window_count = count;
			if (sg[i].subtype == SUB_LATENCY) {
				ev->causal.latency_percentile = p->settings.latency_percentile;
				ev->causal.threshold = p->settings.latency_ms;
			} else {
				ev->causal.threshold = p->settings.soft_rate;
			}
		}
		pipeline__judge(p, ev, prov, mod, false, now);
	}
}

/* Stage 5b: rate-limit headroom under headroom_warn and, at its trend, reaching
 * zero within the soft window, before the first 429 (none in the window): an
 * early warning (LOW), at most once per window per provider. */
void pipeline__stage_headroom(struct pipeline *p, const struct observation *obs,
                              struct entity *prov, struct entity *mod, double h, int64_t now)
{
	if (!prov || isnan(h) || h >= p->settings.headroom_warn)
		return;
	if (vg_has(prov->headroom_warned_ms) &&
	    now - prov->headroom_warned_ms < p->settings.soft_window_ms)
		return;
	if (swin_peek(&prov->win, now, SL_RATE_LIMIT) > 0)
		return; /* 429s are here already: the soft-window test speaks for them */
	struct health_numbers hn;
	health_read(&prov->health, now, &hn);
	/* Falling fast enough to reach zero within the soft window (a flat
	 * trend's rounding noise gives an eta far beyond it). */
	if (!(hn.headroom_eta_ms <= (double)p->settings.soft_window_ms))
		return;
	struct failure_event *ev = pipeline__push_event(p, SUB_RATE_LIMIT, &obs->pid, now);
	if (!ev)
		return;
	prov->headroom_warned_ms = now;
	ev->traffic_class = obs->traffic_class;
	ev->retryable = VG_TRI_TRUE;
	model_copy_str(ev->request_id, sizeof(ev->request_id), obs->request_id, (size_t)-1);
	model_copy_str(ev->template_id, sizeof(ev->template_id), obs->template_id, (size_t)-1);
	const struct norm_signals *n = &obs->norm;
	const struct ratelimit *rl = vg_has(n->rl_requests.limit) ? &n->rl_requests : &n->rl_tokens;
	ev->causal.ratelimit_remaining = rl->remaining;
	ev->causal.ratelimit_limit = rl->limit;
	ev->causal.value = h;
	ev->causal.threshold = p->settings.headroom_warn;
	snprintf(ev->causal.detail, sizeof(ev->causal.detail),
	         "early warning: rate-limit headroom %.1f%%, falling %.1f%%/min, "
	         "zero in ~%.0f s",
	         h * 100.0, -hn.headroom_slope * 100.0, hn.headroom_eta_ms / 1000.0);
	pipeline__judge(p, ev, prov, mod, true, now);
}
