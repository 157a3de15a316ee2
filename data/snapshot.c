/*
 * snapshot.c: allocation, reset and lookups of the console's snapshot model
 * (see snapshot.h). Pure: no I/O.
 */
#include "data/snapshot.h"

#include <stdlib.h>
#include <string.h>

void snapshot_provider_init(struct snap_provider *p)
{
	memset(p, 0, sizeof(*p));
	p->requests = VG_NONE;
	p->availability = p->p50_ms = p->p95_ms = p->p99_ms = VG_NONE_D;
	p->latency_threshold_ms = VG_NONE_D;
	for (int i = 0; i < SNAP_ERR__COUNT; i++)
		p->err_rate[i] = VG_NONE_D;
	p->tokens_per_s = p->quality = p->cost_efficiency = p->rl_headroom = VG_NONE_D;
	p->probe_spend_usd = p->probe_budget_usd = VG_NONE_D;
	p->has_breaker = true;
	p->breaker = BRK_CLOSED;
	p->breaker_since_ms = VG_NONE;
	for (int i = 0; i < 2; i++)
		p->warm[i] = p->per_hour[i] = VG_NONE_D;
}

void snapshot_reset(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->last_data_ms = VG_NONE;
	s->last_gateway_ms = VG_NONE;
	s->health_window_ms = 5 * 60 * 1000;
	triage_evidence_init(&s->evidence);
	for (int i = 0; i < SNAP_MAX_PROVIDERS; i++)
		triage_evidence_init(&s->provider_evidence[i]);
	for (int i = 0; i < 2; i++)
		s->learning.warm[i] = s->learning.per_hour[i] = s->learning.weeks_to_warm[i] =
		        VG_NONE_D;
	triage_evidence_init(&s->detail.evidence);
}

struct snapshot *snapshot_new(void)
{
	struct snapshot *s = malloc(sizeof(*s));
	if (s)
		snapshot_reset(s);
	return s;
}

void snapshot_free(struct snapshot *s)
{
	free(s);
}

int snapshot_monitor_incidents(const struct snapshot *s, const struct snap_incident **out, int max)
{
	int n = 0;
	for (int i = 0; i < s->n_incidents; i++) {
		const struct snap_incident *inc = &s->incidents[i];
		if (inc->category != CAT_MONITOR || inc->state == SNAP_INC_RESOLVED)
			continue;
		if (n < max)
			out[n] = inc;
		n++;
	}
	return n;
}

const struct snap_incident *snapshot_find_incident(const struct snapshot *s, int64_t id)
{
	for (int i = 0; i < s->n_incidents; i++)
		if (s->incidents[i].id == id)
			return &s->incidents[i];
	return NULL;
}

const struct triage_evidence *snapshot_evidence_for(const struct snapshot *s, const char *provider)
{
	if (provider && *provider)
		for (int i = 0; i < s->n_providers && i < SNAP_MAX_PROVIDERS; i++)
			if (strcmp(s->provider_evidence[i].scope, provider) == 0)
				return &s->provider_evidence[i];
	return &s->evidence;
}

const char *snapshot_inc_state_name(enum snap_inc_state st)
{
	switch (st) {
	case SNAP_INC_OPEN: return "open";
	case SNAP_INC_ACKED: return "acked";
	case SNAP_INC_RESOLVED: return "resolved";
	default: return "?";
	}
}

const char *snapshot_tl_kind_name(enum snap_tl_kind k)
{
	static const char *const names[SNAP_TL__COUNT] = {
		[SNAP_TL_OPENED] = "opened",
		[SNAP_TL_EVENT] = "event",
		[SNAP_TL_ESCALATED] = "escalated",
		[SNAP_TL_TRANSITION] = "breaker",
		[SNAP_TL_ACK] = "ack",
		[SNAP_TL_NOTE] = "note",
		[SNAP_TL_TRIAGE] = "triage",
		[SNAP_TL_NOTIFIED] = "notified",
		[SNAP_TL_RESOLVED] = "resolved",
	};
	if ((int)k < 0 || k >= SNAP_TL__COUNT)
		return "?";
	return names[k];
}

const char *snapshot_window_name(enum snap_window w)
{
	switch (w) {
	case SNAP_W_5M: return "5 min";
	case SNAP_W_1H: return "1 h";
	case SNAP_W_24H: return "24 h";
	default: return "?";
	}
}

const char *snapshot_review_state_name(enum snap_review_state st)
{
	switch (st) {
	case SNAP_REV_WAITING: return "waiting";
	case SNAP_REV_ACCEPTED: return "accepted";
	case SNAP_REV_REJECTED: return "rejected";
	default: return "?";
	}
}

const struct snap_review *snapshot_find_review(const struct snapshot *s, int64_t id)
{
	for (int i = 0; i < s->n_reviews; i++)
		if (s->reviews[i].id == id)
			return &s->reviews[i];
	return NULL;
}
