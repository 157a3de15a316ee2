/*
 * metrics_std.c: registration of vigil's standard families and the helpers
 * and hooks that feed them (see metrics_std.h for the list).
 */
#include "app/metrics_std.h"

#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const L_NONE[] = { NULL };
static const char *const L_VERSION[] = { "version", NULL };
static const char *const L_PM[] = { "provider", "model", NULL };
static const char *const L_PMPHASE[] = { "provider", "model", "phase", NULL };
static const char *const L_REQ[] = { "source", "provider", "model", "status_class", NULL };
static const char *const L_EVENTS[] = { "category", "subtype", "severity", "provider", NULL };
static const char *const L_OPEN[] = { "category", "severity", NULL };
static const char *const L_KIND[] = { "kind", NULL };
static const char *const L_BSTATE[] = { "provider", "model", "state", NULL };
static const char *const L_BTRANS[] = { "provider", "model", "from", "to", NULL };
static const char *const L_RL[] = { "provider", "model", "kind", NULL };
static const char *const L_REASON[] = { "reason", NULL };
static const char *const L_PROVIDER[] = { "provider", NULL };
static const char *const L_PMREASON[] = { "provider", "model", "reason", NULL };
static const char *const L_SINK[] = { "sink", NULL };
static const char *const L_SINKRES[] = { "sink", "result", NULL };
static const char *const L_PSTATE[] = { "provider", "state", NULL };
static const char *const L_PTRANS[] = { "provider", "from", "to", NULL };

static const double probe_buckets[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };

int metrics_std_register(struct metrics *reg, struct vigil_metrics *vm, const char *version)
{
	memset(vm, 0, sizeof(*vm));
	vm->reg = reg;
	vm->build_info =
	        metrics_gauge(reg, "vigil_build_info", "vigil's version (always 1).", L_VERSION);
	vm->probe_phase = metrics_gauge(reg, "vigil_probe_phase_duration_seconds",
	                                "Duration of each phase of the last canary probe (as "
	                                "blackbox_exporter names them).",
	                                L_PMPHASE);
	vm->probe_duration = metrics_histogram(
	        reg, "vigil_probe_duration_seconds", "Total duration of canary probes.", L_PM,
	        probe_buckets, sizeof(probe_buckets) / sizeof(probe_buckets[0]));
	vm->probe_success =
	        metrics_gauge(reg, "vigil_probe_success",
	                      "Whether the last canary probe succeeded (1) or not (0).", L_PM);
	vm->probe_spend = metrics_counter(reg, "vigil_probe_spend_usd_total",
	                                  "What the canary probes cost, in USD.", L_PM);
	vm->probe_spend_today = metrics_gauge(
	        reg, "vigil_probe_spend_today_usd",
	        "What the canary probes of a provider cost this UTC day, in USD.", L_PROVIDER);
	vm->probe_budget_exhausted =
	        metrics_gauge(reg, "vigil_probe_budget_exhausted",
	                      "Whether the provider's daily probe budget is spent (1): no "
	                      "canaries until 00:00 UTC.",
	                      L_PROVIDER);
	vm->probe_skipped =
	        metrics_counter(reg, "vigil_probe_skipped_total",
	                        "Canary probes not sent, by reason (budget).", L_PMREASON);
	vm->requests = metrics_counter(reg, "vigil_requests_total",
	                               "Requests seen (gateway events and probes) by status class.",
	                               L_REQ);
	vm->failure_events =
	        metrics_counter(reg, "vigil_failure_events_total",
	                        "Failure events by category, subtype and severity.", L_EVENTS);
	vm->incidents_open =
	        metrics_gauge(reg, "vigil_incidents_open",
	                      "Incidents not resolved, by category and highest severity.", L_OPEN);
	vm->incident_changes = metrics_counter(reg, "vigil_incident_changes_total",
	                                       "Incident lifecycle changes by kind.", L_KIND);
	vm->breaker_state =
	        metrics_gauge(reg, "vigil_breaker_state",
	                      "Circuit breaker state (1 for the current state).", L_BSTATE);
	vm->breaker_transitions = metrics_counter(reg, "vigil_breaker_transitions_total",
	                                          "Circuit breaker state transitions.", L_BTRANS);
	vm->headroom = metrics_gauge(reg, "vigil_ratelimit_headroom_ratio",
	                             "Rate-limit headroom: remaining/limit, the lower of requests "
	                             "and tokens.",
	                             L_PM);
	vm->rl_remaining =
	        metrics_gauge(reg, "vigil_ratelimit_remaining",
	                      "Rate-limit remaining as the provider last reported it.", L_RL);
	vm->rl_limit = metrics_gauge(reg, "vigil_ratelimit_limit",
	                             "Rate limit as the provider last reported it.", L_RL);
	vm->quality = metrics_gauge(reg, "vigil_quality_score",
	                            "Quality score (0..1): schema-valid x hallucination-pass x "
	                            "similarity-stable rates.",
	                            L_PM);
	vm->cost_efficiency = metrics_gauge(reg, "vigil_cost_efficiency_ratio",
	                                    "Observed cost over the configured price for the "
	                                    "same tokens (1 = as published).",
	                                    L_PM);
	vm->availability =
	        metrics_gauge(reg, "vigil_availability_ratio",
	                      "Share of recent requests that succeeded (decayed).", L_PM);
	vm->prov_breaker_state =
	        metrics_gauge(reg, "vigil_provider_breaker_state",
	                      "The provider's own circuit breaker state (1 for the current "
	                      "state); per-model breakers are vigil_breaker_state.",
	                      L_PSTATE);
	vm->prov_breaker_transitions =
	        metrics_counter(reg, "vigil_provider_breaker_transitions_total",
	                        "The provider's own circuit breaker transitions.", L_PTRANS);
	vm->prov_availability =
	        metrics_gauge(reg, "vigil_provider_availability_ratio",
	                      "Share of the provider's recent requests (all models) that "
	                      "succeeded (decayed).",
	                      L_PROVIDER);
	vm->prov_quality =
	        metrics_gauge(reg, "vigil_provider_quality_score",
	                      "Quality score (0..1) of the provider, all models.", L_PROVIDER);
	vm->prov_cost_efficiency =
	        metrics_gauge(reg, "vigil_provider_cost_efficiency_ratio",
	                      "Observed cost over the configured price, the provider's models "
	                      "together.",
	                      L_PROVIDER);
	vm->prov_headroom =
	        metrics_gauge(reg, "vigil_provider_ratelimit_headroom_ratio",
	                      "Rate-limit headroom of the provider, all models.", L_PROVIDER);
	if (metrics_genai_register(reg, &vm->genai, METRICS_GENAI_MAX_MODELS) != 0)
		return VG_EINVAL;
	vm->sidecar_depth = metrics_gauge(reg, "vigil_sidecar_queue_depth",
	                                  "Requests waiting for the semantic sidecar.", L_NONE);
	vm->sidecar_capacity = metrics_gauge(reg, "vigil_sidecar_queue_capacity",
	                                     "Capacity of the sidecar queue.", L_NONE);
	vm->ingest_lines = metrics_counter(reg, "vigil_ingest_lines_total",
	                                   "Gateway event lines read.", L_NONE);
	vm->ingest_quarantined =
	        metrics_counter(reg, "vigil_ingest_quarantined_lines_total",
	                        "Gateway event lines quarantined, by reason.", L_REASON);
	vm->outbox_pending =
	        metrics_gauge(reg, "vigil_outbox_pending",
	                      "Notifications in the outbox not delivered yet.", L_SINK);
	vm->sink_deliveries = metrics_counter(reg, "vigil_sink_deliveries_total",
	                                      "Delivery attempts by outcome (delivered, retry, "
	                                      "rejected).",
	                                      L_SINKRES);
	vm->sink_up = metrics_gauge(reg, "vigil_sink_up",
	                            "Whether the last delivery attempt to a sink got an answer "
	                            "it accepted (1) or not (0).",
	                            L_SINK);
	vm->gateway_event_age =
	        metrics_gauge(reg, "vigil_gateway_event_age_seconds",
	                      "Seconds since the end of the newest gateway event (probes do not "
	                      "count).",
	                      L_NONE);
	vm->sidecar_oldest_age = metrics_gauge(reg, "vigil_sidecar_oldest_age_seconds",
	                                       "How long the oldest analysis in the sidecar "
	                                       "queue has waited (0 when none waits).",
	                                       L_NONE);
	vm->event_time_clamped = metrics_counter(
	        reg, "vigil_event_time_clamped_total",
	        "Observations whose end (ts + total_ms) was over 1 s ahead of the wall "
	        "clock: the daemon fed them at the wall clock (stored as they came).",
	        L_NONE);
	struct metric_family *all[] = {
		vm->build_info,
		vm->probe_phase,
		vm->probe_duration,
		vm->probe_success,
		vm->probe_spend,
		vm->probe_spend_today,
		vm->probe_budget_exhausted,
		vm->probe_skipped,
		vm->requests,
		vm->failure_events,
		vm->incidents_open,
		vm->incident_changes,
		vm->breaker_state,
		vm->breaker_transitions,
		vm->headroom,
		vm->rl_remaining,
		vm->rl_limit,
		vm->quality,
		vm->cost_efficiency,
		vm->availability,
		vm->prov_breaker_state,
		vm->prov_breaker_transitions,
		vm->prov_availability,
		vm->prov_quality,
		vm->prov_cost_efficiency,
		vm->prov_headroom,
		vm->sidecar_depth,
		vm->sidecar_capacity,
		vm->ingest_lines,
		vm->ingest_quarantined,
		vm->outbox_pending,
		vm->sink_deliveries,
		vm->sink_up,
		vm->gateway_event_age,
		vm->sidecar_oldest_age,
		vm->event_time_clamped,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!all[i])
			return VG_EINVAL;
	const char *v[] = { version ? version : "unknown" };
	return metrics_set(vm->build_info, v, 1);
}

const char *metrics_std_status_class(int status)
{
	static const char *const cls[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	if (status < 100)
		return "transport";
	if (status < 600)
		return cls[status / 100 - 1];
	return "other";
}

/* A provider's own breaker (model "") has its own family: never a model="" row. */
static void set_breaker(struct vigil_metrics *vm, const char *provider, const char *model,
                        enum breaker_state st)
{
	for (int s = 0; s < BRK__COUNT; s++) {
		const char *name = model_breaker_state_name((enum breaker_state)s);
		const char *v[] = { provider, model, name };
		const char *pv[] = { provider, name };
		if (model[0])
			metrics_set(vm->breaker_state, v, s == (int)st ? 1 : 0);
		else
			metrics_set(vm->prov_breaker_state, pv, s == (int)st ? 1 : 0);
	}
}

void metrics_std_effects(struct vigil_metrics *vm, const struct effects *fx)
{
	for (size_t i = 0; i < fx->n_events; i++) {
		const struct failure_event *e = &fx->events[i];
		const char *v[] = { model_category_name(e->category),
			            model_subtype_name(e->subtype),
			            model_severity_name(e->severity), e->pid.provider };
		metrics_inc(vm->failure_events, v);
	}
	for (size_t i = 0; i < fx->n_transitions; i++) {
		const struct breaker_transition *t = &fx->transitions[i];
		const char *from = model_breaker_state_name(t->from);
		const char *to = model_breaker_state_name(t->to);
		const char *v[] = { t->provider, t->model, from, to };
		const char *pv[] = { t->provider, from, to };
		if (t->model[0])
			metrics_inc(vm->breaker_transitions, v);
		else
			metrics_inc(vm->prov_breaker_transitions, pv);
		set_breaker(vm, t->provider, t->model, t->to);
	}
	for (size_t i = 0; i < fx->n_incident_changes; i++) {
		const char *v[] = { incident_change_name(fx->incident_changes[i].kind) };
		metrics_inc(vm->incident_changes, v);
	}
}

void metrics_std_observation(struct vigil_metrics *vm, const struct observation *obs)
{
	const char *v[] = { obs->source == OBS_PROBE ? "probe" : "gateway", obs->pid.provider,
		            obs->pid.model, metrics_std_status_class(obs->http_status) };
	metrics_inc(vm->requests, v);
	const struct ratelimit *rl[2] = { &obs->norm.rl_requests, &obs->norm.rl_tokens };
	static const char *const kinds[2] = { "requests", "tokens" };
	for (int k = 0; k < 2; k++) {
		const char *lv[] = { obs->pid.provider, obs->pid.model, kinds[k] };
		if (vg_has(rl[k]->remaining))
			metrics_set(vm->rl_remaining, lv, (double)rl[k]->remaining);
		if (vg_has(rl[k]->limit))
			metrics_set(vm->rl_limit, lv, (double)rl[k]->limit);
	}
	metrics_genai_observe(&vm->genai, obs);
}

void metrics_std_probe(struct vigil_metrics *vm, const char *provider, const char *model,
                       const struct http_times *times, bool success, double spend_usd)
{
	double ph[HTTP_PHASE__COUNT];
	http_phases(times, ph);
	for (int i = 0; i < HTTP_PHASE__COUNT; i++) {
		const char *v[] = { provider, model, http_phase_name((enum http_phase)i) };
		metrics_set(vm->probe_phase, v, ph[i]);
	}
	const char *v[] = { provider, model };
	metrics_observe(vm->probe_duration, v, (double)times->total_us / 1e6);
	metrics_set(vm->probe_success, v, success ? 1 : 0);
	if (spend_usd > 0)
		metrics_add(vm->probe_spend, v, spend_usd);
}

static void on_probe_result(void *ud, const struct observation *obs, const struct canary_result *r)
{
	(void)obs;
	metrics_std_probe(ud, r->provider, r->model, r->times, r->healthy, r->spend_usd);
}

static void on_probe_budget(void *ud, const char *provider, bool exhausted, double spent)
{
	struct vigil_metrics *vm = ud;
	const char *v[] = { provider };
	metrics_set(vm->probe_budget_exhausted, v, exhausted ? 1 : 0);
	metrics_set(vm->probe_spend_today, v, spent);
}

static void on_probe_skipped(void *ud, const char *provider, const char *model, const char *reason)
{
	struct vigil_metrics *vm = ud;
	const char *v[] = { provider, model, reason };
	metrics_inc(vm->probe_skipped, v);
}

void metrics_std_canary_hooks(struct vigil_metrics *vm, struct canary_hooks *h)
{
	*h = (struct canary_hooks){
		.result = on_probe_result,
		.budget = on_probe_budget,
		.skipped = on_probe_skipped,
		.ud = vm,
	};
}

struct outbox_metrics metrics_std_outbox(const struct vigil_metrics *vm)
{
	return (struct outbox_metrics){
		.pending = vm->outbox_pending,
		.deliveries = vm->sink_deliveries,
		.up = vm->sink_up,
	};
}

static void set_if(struct metric_family *f, const char *const *v, double x)
{
	if (isnan(x))
		metrics_remove(f, v);
	else
		metrics_set(f, v, x);
}

void metrics_std_collect_pipeline(void *ctx, struct metrics *reg)
{
	(void)reg;
	struct metrics_std_source *src = ctx;
	struct vigil_metrics *vm = src->vm;
	const struct pipeline *p = src->pipeline;
	int64_t counts[CAT__COUNT][SEV__COUNT];
	incidents_open_counts(pipeline_incidents(p), counts);
	for (int c = 0; c < CAT__COUNT; c++)
		for (int s = 0; s < SEV__COUNT; s++) {
			const char *v[] = { model_category_name((enum category)c),
				            model_severity_name((enum severity)s) };
			metrics_set(vm->incidents_open, v, (double)counts[c][s]);
		}
	int64_t now = src->now_ms ? src->now_ms(src->now_data) : pipeline_now(p);
	size_t n = pipeline_health_count(p);
	for (size_t i = 0; i < n; i++) {
		struct health_view hv;
		if (pipeline_health_view(p, i, now, &hv))
			continue;
		const char *v[] = { hv.provider, hv.model };
		bool prov = hv.model[0] == '\0'; /* the provider's row: its own families */
		if (hv.has_breaker)
			set_breaker(vm, hv.provider, hv.model, hv.breaker);
		set_if(prov ? vm->prov_availability : vm->availability, v, hv.health.availability);
		set_if(prov ? vm->prov_quality : vm->quality, v, hv.health.quality_score);
		set_if(prov ? vm->prov_cost_efficiency : vm->cost_efficiency, v,
		       hv.health.cost_efficiency);
		set_if(prov ? vm->prov_headroom : vm->headroom, v, hv.health.headroom);
	}
}
