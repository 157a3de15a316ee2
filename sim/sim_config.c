/*
 * sim_config.c: a vigil.yaml `providers:` section that points vigil at a
 * running provider simulator, so the demo and the probe tests configure
 * vigil from the scenario instead of by hand. Each provider gets its own
 * base URL prefix (http://127.0.0.1:PORT/<name>), which the server routes.
 */
#include "sim/sim.h"

#include <string.h>

/* vigil.yaml takes this many models per provider (app/config.h). */
#define CONFIG_MAX_MODELS 16

void sim_config_yaml(const struct sim_scenario *s, int port, const char *key_env,
                     struct sim_buf *out)
{
	sim_buf_printf(out,
	               "# providers of scenario %s, served by `vigil sim providers` on port %d.\n"
	               "# The simulator accepts any key; set %s to anything.\n"
	               "providers:\n",
	               s->name, port, key_env);
	for (int i = 0; i < s->n_providers; i++) {
		const struct sim_provider *p = &s->providers[i];
		bool primary = false;
		for (int t = 0; t < s->traffic.n_templates; t++)
			primary |= s->traffic.templates[t].n_route > 0 &&
			           s->traffic.templates[t].route[0] == i;
		sim_buf_printf(out,
		               "  - name: %s\n    kind: %s\n    base_url: http://127.0.0.1:%d/%s\n"
		               "    api_key_env: %s\n    key_alias: %s\n",
		               p->name, sim_kind_name(p->kind), port, p->name, key_env,
		               p->key_alias[0] ? p->key_alias : p->name);
		if (p->n_regions > 0)
			sim_buf_printf(out, "    region: %s\n", p->regions[0].name);
		sim_buf_printf(out, "    role: %s\n    models:\n",
		               primary ? "primary" : "fallback");
		int n = p->n_models < CONFIG_MAX_MODELS ? p->n_models : CONFIG_MAX_MODELS;
		if (n < p->n_models)
			sim_buf_printf(out,
			               "      # %d more model(s) not listed: vigil.yaml takes %d\n",
			               p->n_models - n, CONFIG_MAX_MODELS);
		for (int m = 0; m < n; m++)
			sim_buf_printf(out,
			               "      - {name: %s, price_in_per_1k: %.8g, "
			               "price_out_per_1k: %.8g}\n",
			               p->models[m].version, p->models[m].price_in_per_1k,
			               p->models[m].price_out_per_1k);
	}
}
