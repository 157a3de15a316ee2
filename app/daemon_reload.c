/*
 * daemon_reload.c: daemon_reload() (see daemon.h): the new file is loaded
 * and checked, its `semantic:` section compiled and applied first (a bad
 * schema refuses the whole reload), then the plan of app/reload_plan is
 * performed: new event files followed, routes set again, the canaries
 * started again with the new `probes:` section; what needs a restart is
 * only logged. One log line says what was applied and what
 * waits for a restart.
 */
#include "app/daemon_internal.h"

#include "app/reload_plan.h"
#include "core/vgerr.h"
#include "data/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void refuse(struct daemon *d, const char *why)
{
	daemon__log(d, "error", "reload refused, the old config stays",
	            json_pack("{s:s}", "error", why));
}

int daemon_reload(struct daemon *d, const char *path, char **cause)
{
	if (cause)
		*cause = NULL;
	const char *file = path ? path : d->cfg->file;
	if (!file[0]) {
		if (cause)
			*cause = strdup("no config file to reload");
		return VG_ECONFIG;
	}
	struct vigil_config *n = malloc(sizeof(*n));
	struct vigil_config *keep = malloc(sizeof(*keep));
	if (!n || !keep) {
		free(n);
		free(keep);
		return VG_ENOMEM;
	}
	config_defaults(n);
	int rc = config_load(n, file, cause);
	if (rc != 0) {
		refuse(d, cause && *cause ? *cause : vg_strerror(rc));
		free(n);
		free(keep);
		return rc;
	}
	/* The semantic section first: a bad schema still refuses the reload. */
	struct jschema_set *set = NULL;
	char *scause = NULL;
	rc = d->p ? semsvc_reload(d->sem, d->p, n, file, &set, &scause) : 0;
	if (rc != 0 && rc != VG_ESTATE) {
		refuse(d, scause ? scause : vg_strerror(rc));
		if (cause)
			*cause = strdup(scause ? scause : vg_strerror(rc));
		free(scause);
		free(n);
		free(keep);
		return rc == VG_ENOMEM ? rc : VG_ECONFIG;
	}
	if (rc == VG_ESTATE)
		daemon__log(d, "error", "sidecar not restarted, every semantic check runs inline",
		            json_pack("{s:s}", "error", scause ? scause : vg_strerror(rc)));
	free(scause);

	struct reload_plan plan;
	reload_plan_make(d->cfg, n, &plan);
	unsigned done = 0;
	if (d->p) {
		jschema_set_free(d->ps.schemas); /* nothing refers to it any more */
		d->ps.schemas = set;
		done |= 1u << RELOAD_SEMANTIC;
	}
	for (size_t i = 0; i < plan.n_follow; i++) {
		const char *p = n->events[plan.follow[i]].path;
		if (d->ing && ingest_add(d->ing, p) == 0) {
			done |= 1u << RELOAD_EVENTS;
			daemon__log(d, "info", "following", json_pack("{s:s}", "path", p));
		}
	}
	if ((plan.apply & (1u << RELOAD_ROUTES)) && d->p && pipeline_setup_routes(&d->ps, n) == 0)
		done |= 1u << RELOAD_ROUTES;
	if (plan.apply & (1u << RELOAD_PROBES)) {
		d->cfg->probes = n->probes;
		if (d->state == DS_RUNNING)
			daemon__restart_canaries(d);
		done |= 1u << RELOAD_PROBES;
	}

	json_t *applied = json_array(), *restart = json_array();
	for (int k = 0; k < RELOAD__COUNT; k++) {
		if (done & plan.apply & (1u << k))
			json_array_append_new(applied, json_string(reload_part_name(k)));
		if (plan.restart & (1u << k))
			json_array_append_new(restart, json_string(reload_part_name(k)));
	}
	/* keep what runs: the new file for what was applied */
	reload_plan_keep(d->cfg, n, &plan, file, keep);
	*d->cfg = *keep; /* in place: `file` may be d->cfg->file (the same text) */
	free(keep);
	free(n);
	daemon__log(d, "info", "config reloaded",
	            json_pack("{s:s,s:o,s:o}", "config", file, "applied", applied, "restart_needed",
	                      restart));
	return 0;
}
