/*
 * daemon_probes.c: the canary probes of a running daemon (probes/canary).
 * They run when providers are configured and probes.enabled; every result
 * goes through daemon_observe() like any observation, and its provider's
 * spend today and budget are kept for the health rows.
 */
#include "app/daemon_internal.h"

#include "core/vgerr.h"
#include "probes/canary.h"

#include <stdlib.h>
#include <string.h>

static void on_canary_log(void *data, const char *line)
{
	daemon__log(data, "info", line, NULL);
}

/* A finished probe: into the pipeline and the store like any observation;
 * its provider's spend today and budget go to the health rows. */
static void on_probe(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct daemon *d = ud;
	int rc = daemon_observe(d, obs); /* may stop the daemon, canaries included */
	if (rc != 0 && rc != VG_ESTATE)
		daemon__log(
		        d, "warn", "probe result not used",
		        json_pack("{s:s,s:s}", "endpoint", r->endpoint, "error", vg_strerror(rc)));
	for (size_t i = 0; i < d->cfg->n_providers; i++) {
		if (strcmp(d->cfg->providers[i].name, obs->pid.provider) != 0)
			continue;
		d->spend[i] = r->spend_today_usd;
		d->budget[i] = r->budget_usd > 0 ? r->budget_usd : VG_NONE_D;
	}
}

static int64_t now_hook(void *data)
{
	return daemon__now(data);
}

static void start_set(struct daemon *d, const double *spent)
{
	if (d->cfg->n_providers == 0 || !d->cfg->probes.enabled)
		return;
	struct canary_opts o = {
		.now_ms = now_hook,
		.now_ud = d,
		.log = on_canary_log,
		.log_ud = d,
		.spent_today_usd = spent,
	};
	metrics_std_canary_hooks(&d->vm, &o.hooks);
	struct canary_config cc;
	config_canary(d->cfg, &cc);
	char *cause = NULL;
	int rc = canary_start_opts(d->loop, &cc, &o, on_probe, d, &d->canaries, &cause);
	if (rc != 0)
		daemon__log(d, "error", "canaries not started",
		            json_pack("{s:s}", "error", cause ? cause : vg_strerror(rc)));
	else
		daemon__log(
		        d, "info", "canaries started",
		        json_pack("{s:i}", "endpoints", (int)canary_endpoint_count(d->canaries)));
	free(cause);
}

void daemon__start_canaries(struct daemon *d)
{
	for (size_t i = 0; i < CFG_MAX_PROVIDERS; i++)
		d->spend[i] = d->budget[i] = VG_NONE_D;
	start_set(d, NULL);
}

void daemon__restart_canaries(struct daemon *d)
{
	daemon__stop_canaries(d);
	/* config_canary() lists d->cfg's providers in order: the same indexes */
	start_set(d, d->spend);
	daemon__log(d, "info", "canaries restarted",
	            json_pack("{s:I,s:b}", "interval_ms", (json_int_t)d->cfg->probes.interval_ms,
	                      "enabled", d->cfg->probes.enabled));
}

void daemon__stop_canaries(struct daemon *d)
{
	/* safe from inside the set's own result callback too (on_probe) */
	canary_stop(d->canaries);
	d->canaries = NULL;
}

void daemon__probe_spend(const struct daemon *d, const char *provider, const char *model,
                         double *spend, double *budget)
{
	*spend = *budget = VG_NONE_D;
	if (model[0])
		return;
	for (size_t i = 0; i < d->cfg->n_providers; i++) {
		if (strcmp(d->cfg->providers[i].name, provider) == 0) {
			*spend = d->spend[i];
			*budget = d->budget[i];
		}
	}
}
