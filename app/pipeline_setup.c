/*
 * pipeline_setup.c: a vigil configuration to a ready pipeline (see
 * pipeline_setup.h).
 */
#include "app/pipeline_setup.h"

#include "app/semsvc.h"
#include "core/incident.h"
#include "core/route.h"
#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

static int set_incidents(struct pipeline *p, const struct vigil_config *cfg, int64_t first_id)
{
	struct incident_settings is;
	config_incident_settings(cfg, &is);
	return pipeline_set_incidents(p, &is, first_id);
}

static int set_routes(struct pipeline *p, const struct vigil_config *cfg,
                      const struct pipeline_setup_options *o)
{
	struct route_sink rs[CFG_MAX_SINKS];
	struct payload_options po;
	size_t n = config_routes(cfg, rs, CFG_MAX_SINKS, &po);
	if (n == 0 && o && o->n_routes_if_none)
		return pipeline_set_routes(p, o->routes_if_none, o->n_routes_if_none, &po);
	return pipeline_set_routes(p, rs, n, &po);
}

static void add_env(struct redact *r, const char *name, pipeline_setup_env_fn fn, void *data)
{
	if (!name || !name[0])
		return;
	const char *v = fn ? fn(data, name) : getenv(name);
	if (v)
		redact_add(r, v); /* a value too short to be a key is not added */
}

struct redact *pipeline_setup_secrets(const struct vigil_config *cfg,
                                      pipeline_setup_env_fn getenv_fn, void *env_data)
{
	struct redact *r = redact_new();
	if (!r)
		return NULL;
	for (size_t i = 0; i < cfg->n_providers; i++)
		add_env(r, cfg->providers[i].api_key_env, getenv_fn, env_data);
	for (size_t i = 0; i < cfg->n_sinks; i++)
		add_env(r, cfg->sinks[i].secret_env, getenv_fn, env_data);
	return r;
}

/* `baselines:` with the deployment's series from the providers configured. */
static int set_baselines(struct pipeline *p, const struct vigil_config *cfg)
{
	struct baseline_settings bs;
	config_baseline_settings(cfg, &bs);
	size_t gw, pr;
	config_baseline_series(cfg, &gw, &pr);
	return pipeline_set_baselines(p, &bs, gw, pr);
}

int pipeline_setup_init(struct pipeline_setup *ps, const struct vigil_config *cfg,
                        const struct pipeline_setup_options *o, char **cause)
{
	memset(ps, 0, sizeof(*ps));
	if (cause)
		*cause = NULL;
	struct pipeline_provider *pp = calloc(CFG_MAX_PROVIDERS, sizeof(*pp));
	if (!pp)
		return VG_ENOMEM;
	size_t npp = config_pipeline_providers(cfg, pp, CFG_MAX_PROVIDERS);
	ps->p = pipeline_new(&cfg->thresholds, pp, npp);
	free(pp);
	ps->redact = pipeline_setup_secrets(cfg, o ? o->getenv_fn : NULL, o ? o->env_data : NULL);
	if (!ps->p || !ps->redact) {
		pipeline_setup_done(ps);
		return VG_ENOMEM;
	}
	pipeline_set_redact(ps->p, ps->redact);
	char *why = NULL;
	int rc = semsvc_configure(ps->p, cfg, o ? o->config_path : NULL, &ps->schemas, &why);
	if (rc != 0) {
		if (cause)
			*cause = why;
		else
			free(why);
		pipeline_setup_done(ps);
		return rc;
	}
	rc = set_incidents(ps->p, cfg, 1);
	if (rc == 0)
		rc = set_routes(ps->p, cfg, o);
	if (rc == 0)
		rc = set_baselines(ps->p, cfg);
	if (rc != 0)
		pipeline_setup_done(ps);
	return rc;
}

int pipeline_setup_resume(struct pipeline_setup *ps, const struct vigil_config *cfg,
                          int64_t max_event_id, int64_t max_incident_id)
{
	int rc = set_incidents(ps->p, cfg, max_incident_id + 1);
	if (rc == 0)
		pipeline_set_next_event_id(ps->p, (uint64_t)max_event_id + 1);
	return rc;
}

int pipeline_setup_routes(struct pipeline_setup *ps, const struct vigil_config *cfg)
{
	return set_routes(ps->p, cfg, NULL);
}

int pipeline_setup_refresh(struct pipeline *p, struct effects *out)
{
	struct baseline_job *j;
	int rc = pipeline_baseline_take(p, &j);
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	int run = baseline_job_run(j);
	/* Applied even when the run failed: the job is no longer out. */
	rc = pipeline_baseline_apply(p, j, pipeline_now(p), out);
	baseline_job_free(j);
	return run ? run : rc;
}

void pipeline_setup_done(struct pipeline_setup *ps)
{
	if (!ps)
		return;
	pipeline_free(ps->p);
	jschema_set_free(ps->schemas); /* after the pipeline that borrowed them */
	redact_free(ps->redact);
	ps->p = NULL;
	ps->schemas = NULL;
	ps->redact = NULL;
}
