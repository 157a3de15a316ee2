/*
 * reload_plan.c: a config reload's plan, pure (see reload_plan.h).
 */
#include "app/reload_plan.h"

#include <string.h>

static const char *const part_names[RELOAD__COUNT] = {
	[RELOAD_SEMANTIC] = "semantic",
	[RELOAD_SEMANTIC_MAX_KEYS] = "semantic.max_keys",
	[RELOAD_EVENTS] = "events",
	[RELOAD_EVENTS_REMOVED] = "events (removed files)",
	[RELOAD_ROUTES] = "routes",
	[RELOAD_SINKS] = "sinks",
	[RELOAD_PROBES] = "probes",
	[RELOAD_STORE] = "store",
	[RELOAD_METRICS_LISTEN] = "metrics", /* listen or max_models */
	[RELOAD_PROVIDERS] = "providers",
	[RELOAD_THRESHOLDS] = "thresholds",
	[RELOAD_INCIDENT_TIMINGS] = "incidents timings",
};

const char *reload_part_name(enum reload_part p)
{
	return (unsigned)p < RELOAD__COUNT ? part_names[p] : "unknown";
}

/* The sinks themselves (what the outbox delivers to) are the same. */
static bool sinks_same(const struct vigil_config *a, const struct vigil_config *b)
{
	if (a->n_sinks != b->n_sinks)
		return false;
	for (size_t i = 0; i < a->n_sinks; i++) {
		const struct cfg_sink *x = &a->sinks[i], *y = &b->sinks[i];
		if (strcmp(x->name, y->name) || x->kind != y->kind || strcmp(x->url, y->url) ||
		    strcmp(x->secret_env, y->secret_env) || x->auth != y->auth)
			return false;
	}
	return true;
}

static bool timings_same(const struct cfg_incidents *a, const struct cfg_incidents *b)
{
	return a->group_gap_ms == b->group_gap_ms && a->quiet_period_ms == b->quiet_period_ms &&
	       a->ticket_after_ms == b->ticket_after_ms &&
	       a->keep_resolved_ms == b->keep_resolved_ms;
}

void reload_plan_make(const struct vigil_config *old, const struct vigil_config *next,
                      struct reload_plan *out)
{
	memset(out, 0, sizeof(*out));
	out->apply |= 1u << RELOAD_SEMANTIC;
	if (next->semantic.checks.max_keys != old->semantic.checks.max_keys)
		out->restart |= 1u << RELOAD_SEMANTIC_MAX_KEYS;
	for (size_t i = 0; i < next->n_events; i++) {
		bool known = false;
		for (size_t k = 0; k < old->n_events && !known; k++)
			known = strcmp(next->events[i].path, old->events[k].path) == 0;
		if (!known)
			out->follow[out->n_follow++] = i;
	}
	if (out->n_follow)
		out->apply |= 1u << RELOAD_EVENTS;
	if (next->n_events < old->n_events)
		out->restart |= 1u << RELOAD_EVENTS_REMOVED;
	if (sinks_same(old, next))
		out->apply |= 1u << RELOAD_ROUTES;
	else
		out->restart |= 1u << RELOAD_SINKS;
	if (memcmp(&next->probes, &old->probes, sizeof(next->probes)) != 0)
		out->apply |= 1u << RELOAD_PROBES;
	if (memcmp(&next->store, &old->store, sizeof(next->store)) != 0)
		out->restart |= 1u << RELOAD_STORE;
	if (strcmp(next->metrics.listen, old->metrics.listen) != 0 ||
	    next->metrics.max_models != old->metrics.max_models)
		out->restart |= 1u << RELOAD_METRICS_LISTEN;
	if (next->n_providers != old->n_providers ||
	    memcmp(next->providers, old->providers, sizeof(next->providers)) != 0)
		out->restart |= 1u << RELOAD_PROVIDERS;
	if (memcmp(&next->thresholds, &old->thresholds, sizeof(next->thresholds)) != 0)
		out->restart |= 1u << RELOAD_THRESHOLDS;
	if (!timings_same(&next->incidents, &old->incidents))
		out->restart |= 1u << RELOAD_INCIDENT_TIMINGS;
}

void reload_plan_keep(const struct vigil_config *old, const struct vigil_config *next,
                      const struct reload_plan *plan, const char *file, struct vigil_config *out)
{
	*out = *old;
	memcpy(out->events, next->events, sizeof(next->events));
	out->n_events = next->n_events;
	out->semantic = next->semantic;
	out->semantic.checks.max_keys = old->semantic.checks.max_keys;
	out->monitor = next->monitor;
	if (plan->apply & (1u << RELOAD_PROBES))
		out->probes = next->probes;
	if (plan->apply & (1u << RELOAD_ROUTES)) {
		memcpy(out->sinks, next->sinks, sizeof(next->sinks));
		out->incidents = next->incidents;
		out->incidents.group_gap_ms = old->incidents.group_gap_ms;
		out->incidents.quiet_period_ms = old->incidents.quiet_period_ms;
		out->incidents.ticket_after_ms = old->incidents.ticket_after_ms;
		out->incidents.keep_resolved_ms = old->incidents.keep_resolved_ms;
	}
	model_copy_str(out->file, sizeof(out->file), file, (size_t)-1);
}
