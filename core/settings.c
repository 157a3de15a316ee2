/* settings.c: default decision thresholds (documented in examples/vigil.yaml). */
#include "core/settings.h"

#include <string.h>

void settings_defaults(struct core_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->latency_ms = 10000;
	s->latency_percentile = 95;
	s->soft_window_ms = 5 * 60 * 1000;
	s->latency_recent_ms = 2 * 60 * 1000;
	s->soft_min_samples = 20;
	s->soft_rate = 0.10;
	s->headroom_warn = 0.10;
	s->token_inflation_pct = 15;
	s->retry_storm_count = 3;
	s->context_stuffing_ratio = 1.05;
	s->stale_context_s = 7 * 24 * 3600;
	s->escalation_ms = 15 * 60 * 1000;
	s->severity.isolated_rate = 0.05;
	s->severity.evidence_count = 3;
	s->severity.blast_raise = 0.5;
	s->severity.default_traffic_class = 0; /* TC_REVENUE: unknown traffic counts as revenue */
	s->severity.healthy_availability = 0.90;
	s->severity.failover_grace_ms = 10 * 1000;
	s->severity.escalation_gap_ms = 5 * 60 * 1000;
	s->health_half_life_ms = 5 * 60 * 1000;
	s->breaker.consecutive_failures = 5;
	s->breaker.failure_rate = 0.5;
	s->breaker.window_ms = 60 * 1000;
	s->breaker.min_requests = 10;
	s->breaker.cooldown_ms = 30 * 1000;
	s->breaker.halfopen_successes = 3;
	s->breaker.oscillation_opens = 3;
	s->breaker.oscillation_window_ms = 10 * 60 * 1000;
}
