/*
 * health_rows.c: health rollups from health views (see health_rows.h).
 */
#include "app/health_rows.h"

#include "core/vgerr.h"

#include <string.h>

static void fill(struct store_health *h, const struct health_view *v, const struct core_settings *t,
                 int64_t now, health_rows_spend_cb spend, void *data)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->provider, v->provider, sizeof(h->provider));
	memcpy(h->model, v->model, sizeof(h->model));
	h->fallback = v->fallback;
	h->configured = v->configured;
	h->window_requests = v->window_requests;
	h->h = v->health;
	h->has_breaker = v->has_breaker;
	h->breaker = v->breaker;
	h->breaker_since_ms = v->breaker_since_ms;
	h->opens_in_window = v->breaker_opens_in_window;
	h->oscillating = v->has_breaker && t->breaker.oscillation_opens > 0 &&
	                 v->breaker_opens_in_window >= t->breaker.oscillation_opens;
	h->probe_spend_usd = h->probe_budget_usd = VG_NONE_D;
	if (spend)
		spend(data, h->provider, h->model, &h->probe_spend_usd, &h->probe_budget_usd);
	h->latency_threshold_ms = t->latency_ms;
	h->updated_ms = now;
}

int health_rows_add(struct store_batch *b, const struct pipeline *p, const struct core_settings *t,
                    int64_t now, int64_t gateway_event_ms, health_rows_spend_cb spend, void *data)
{
	size_t n = pipeline_health_count(p);
	for (size_t i = 0; i < n; i++) {
		struct health_view v;
		if (pipeline_health_view(p, i, now, &v) != 0)
			continue;
		struct store_health h;
		fill(&h, &v, t, now, spend, data);
		h.gateway_event_ms = gateway_event_ms;
		if (store_batch_add_health(b, &h) != 0)
			return VG_ENOMEM;
	}
	return 0;
}
