/*
 * config_options.c: what a loaded config gives the other layers, each in
 * the option struct that layer defines: the pipeline's providers, incident
 * settings, routes and payload options (core), sink specs (data/sinks),
 * the canary's config (probes), and a provider by name.
 */
#include "app/config.h"

#include "app/config_internal.h"
#include "data/sinks.h"
#include "probes/canary.h"

#include <string.h>

void config_incident_settings(const struct vigil_config *cfg, struct incident_settings *s)
{
	incident_settings_defaults(s);
	s->group_gap_ms = cfg->incidents.group_gap_ms;
	s->quiet_period_ms = cfg->incidents.quiet_period_ms;
	s->ticket_after_ms = cfg->incidents.ticket_after_ms;
	s->keep_resolved_ms = cfg->incidents.keep_resolved_ms;
	s->episode_gap_ms = cfg->incidents.episode_gap_ms;
	if (cfg->incidents.instance[0])
		model_copy_str(s->instance, sizeof(s->instance), cfg->incidents.instance,
		               (size_t)-1);
}

size_t config_routes(const struct vigil_config *cfg, struct route_sink *sinks, size_t max,
                     struct payload_options *o)
{
	payload_options_defaults(o);
	if (cfg->incidents.instance[0])
		model_copy_str(o->source, sizeof(o->source), cfg->incidents.instance, (size_t)-1);
	model_copy_str(o->runbook_base, sizeof(o->runbook_base), cfg->incidents.runbook_base,
	               (size_t)-1);
	model_copy_str(o->console_url, sizeof(o->console_url), cfg->incidents.console_url,
	               (size_t)-1);
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_sinks && n < max; i++) {
		const struct cfg_sink *c = &cfg->sinks[i];
		struct route_sink *s = &sinks[n++];
		memset(s, 0, sizeof(*s));
		model_copy_str(s->name, sizeof(s->name), c->name, (size_t)-1);
		s->kind = (enum sink_kind)c->kind;
		s->min_severity = (enum severity)c->min_severity_value;
		if (c->kind == SINK_ALERTMANAGER)
			o->silence_ms = c->silence_ms;
		if (c->kind == SINK_JIRA) {
			model_copy_str(o->jira_project, sizeof(o->jira_project), c->project,
			               (size_t)-1);
			model_copy_str(o->jira_issue_type, sizeof(o->jira_issue_type),
			               c->issue_type, (size_t)-1);
		}
	}
	return n;
}

/* The loader's auth names are enum sink_auth's, in its order. */
_Static_assert(SINK_AUTH_BEARER == 0 && SINK_AUTH_BASIC == 1, "sink_auth_names");

_Static_assert(SINK_URL_MAX >= CFG_URL_MAX, "sink url");

_Static_assert(SINK_ENV_MAX >= sizeof(((struct cfg_sink *)0)->secret_env), "sink secret_env");

size_t config_sink_specs(const struct vigil_config *cfg, struct sink_spec *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_sinks && n < max; i++) {
		const struct cfg_sink *c = &cfg->sinks[i];
		struct sink_spec *s = &out[n++];
		memset(s, 0, sizeof(*s));
		model_copy_str(s->name, sizeof(s->name), c->name, (size_t)-1);
		s->kind = (enum sink_kind)c->kind;
		model_copy_str(s->url, sizeof(s->url), c->url, (size_t)-1);
		model_copy_str(s->secret_env, sizeof(s->secret_env), c->secret_env, (size_t)-1);
		s->auth = (enum sink_auth)c->auth;
		s->timeout_ms = c->timeout_ms;
		s->resend_interval_ms = c->resend_interval_ms;
		s->resolve_timeout_ms = c->resolve_timeout_ms;
	}
	return n;
}

const struct cfg_provider *config_provider(const struct vigil_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_providers; i++) {
		if (strcmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	}
	return NULL;
}

/* The canary's limits are the config's (nothing is cut when copying). */
_Static_assert(CANARY_MAX_PROVIDERS >= CFG_MAX_PROVIDERS, "canary providers");

_Static_assert(CANARY_MAX_MODELS >= CFG_MAX_MODELS, "canary models");

_Static_assert(CANARY_URL_MAX >= CFG_URL_MAX, "canary base_url");

_Static_assert(CANARY_ENV_MAX >= sizeof(((struct cfg_provider *)0)->api_key_env),
               "canary api_key_env");

void config_canary(const struct vigil_config *cfg, struct canary_config *out)
{
	memset(out, 0, sizeof(*out));
	const struct cfg_probes *pr = &cfg->probes;
	out->enabled = pr->enabled;
	out->interval_ms = pr->interval_ms;
	out->jitter_ms = pr->jitter_ms;
	out->connect_timeout_ms = pr->connect_timeout_ms;
	out->timeout_ms = pr->timeout_ms;
	out->max_tokens = pr->max_tokens;
	out->max_body = pr->max_body;
	out->daily_budget_usd = pr->daily_budget_usd;
	out->availability = pr->availability;
	out->first_model_only = pr->models == PROBE_MODELS_FIRST;
	out->seed = (uint64_t)pr->seed;
	model_copy_str(out->instance, sizeof(out->instance), cfg->incidents.instance, (size_t)-1);
	for (size_t i = 0; i < cfg->n_providers; i++) {
		const struct cfg_provider *cp = &cfg->providers[i];
		struct canary_provider *p = &out->providers[out->n_providers++];
		model_copy_str(p->name, sizeof(p->name), cp->name, (size_t)-1);
		p->kind = (enum provider_kind)cp->kind;
		model_copy_str(p->base_url, sizeof(p->base_url), cp->base_url, (size_t)-1);
		model_copy_str(p->api_key_env, sizeof(p->api_key_env), cp->api_key_env, (size_t)-1);
		model_copy_str(p->key_alias, sizeof(p->key_alias), cp->key_alias, (size_t)-1);
		model_copy_str(p->region, sizeof(p->region), cp->region, (size_t)-1);
		for (size_t j = 0; j < cp->n_models; j++) {
			struct canary_model *m = &p->models[p->n_models++];
			model_copy_str(m->name, sizeof(m->name), cp->models[j].name, (size_t)-1);
			m->price_in_per_1k = cp->models[j].price_in_per_1k;
			m->price_out_per_1k = cp->models[j].price_out_per_1k;
		}
	}
}

size_t config_pipeline_providers(const struct vigil_config *cfg, struct pipeline_provider *out,
                                 size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_providers && n < max; i++, n++) {
		const struct cfg_provider *cp = &cfg->providers[i];
		struct pipeline_provider *pp = &out[n];
		memset(pp, 0, sizeof(*pp));
		model_copy_str(pp->name, sizeof(pp->name), cp->name, (size_t)-1);
		pp->fallback = cp->role == ROLE_FALLBACK;
		for (size_t j = 0; j < cp->n_models && pp->n_models < PIPELINE_MAX_MODELS; j++) {
			struct pipeline_model *pm = &pp->models[pp->n_models++];
			model_copy_str(pm->name, sizeof(pm->name), cp->models[j].name, (size_t)-1);
			pm->price_in_per_1k = cp->models[j].price_in_per_1k;
			pm->price_out_per_1k = cp->models[j].price_out_per_1k;
			pm->breaker = cp->models[j].breaker;
		}
	}
	return n;
}

void config_baseline_settings(const struct vigil_config *cfg, struct baseline_settings *out)
{
	const struct cfg_baselines *b = &cfg->baselines;
	*out = b->s;
	out->bucket_s[OBS_GATEWAY] = (int32_t)(b->gateway_bucket_ms / 1000);
	out->bucket_s[OBS_PROBE] = (int32_t)(b->probe_bucket_ms / 1000);
	out->edge_minutes = (int32_t)(b->edge_ms / 60000);
	out->marker_hours = (int32_t)(b->marker_window_ms / 3600000);
}

void config_baseline_series(const struct vigil_config *cfg, size_t *gateway, size_t *probe)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_providers; i++) {
		const struct cfg_provider *cp = &cfg->providers[i];
		n++; /* the provider's aggregate */
		for (size_t j = 0; j < cp->n_models; j++) {
			/* one series per alias: versions of one alias are one series */
			const char *m = cp->models[j].name;
			size_t len = semantic_model_alias_len(m);
			bool dup = false;
			for (size_t k = 0; k < j && !dup; k++) {
				const char *o = cp->models[k].name;
				dup = semantic_model_alias_len(o) == len && strncmp(o, m, len) == 0;
			}
			n += !dup;
		}
	}
	*gateway = n;
	*probe = cfg->probes.enabled ? n : 0;
}
