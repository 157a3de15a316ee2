/* cmd_check.c: `vigil check [--config F]`: load vigil.yaml and summarise it. */
#include "app/cli.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/schemas.h"
#include "core/vgerr.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void help(void)
{
	printf("usage: vigil check [--config FILE]\n\n"
	       "Load a config file, report the first error (file:line:col: key: reason)\n"
	       "or print what it configures. Exit 0 when valid, 1 when not, 2 on usage errors.\n\n"
	       "  -c, --config FILE   config file (default: vigil.yaml)\n"
	       "  -h, --help          this help\n");
}

int cmd_check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "vigil.yaml";
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("check", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("check", "unexpected argument '%s'", argv[optind]);

	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	if (!cfg) {
		fprintf(stderr, "vigil check: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	config_defaults(cfg);
	if (config_load(cfg, path, &cause) != 0) {
		fprintf(stderr, "vigil check: %s\n", cause ? cause : "invalid config");
		free(cause);
		free(cfg);
		return CLI_EXIT_FAIL;
	}
	printf("%s: ok\nstore: %s\nproviders: %zu\n", path, cfg->store.path, cfg->n_providers);
	for (size_t i = 0; i < cfg->n_providers; i++) {
		const struct cfg_provider *p = &cfg->providers[i];
		printf("  %-12s %-9s %-8s %s (key from $%s, alias %s), %zu model(s)\n", p->name,
		       model_provider_kind_name((enum provider_kind)p->kind),
		       p->role == ROLE_PRIMARY ? "primary" : "fallback", p->base_url,
		       p->api_key_env[0] ? p->api_key_env : "-", p->key_alias, p->n_models);
	}
	printf("metrics: %s\nsinks: %zu\n", cfg->metrics.listen, cfg->n_sinks);
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		const struct cfg_sink *s = &cfg->sinks[i];
		printf("  %-12s %-12s %s (%s%s, from severity %s)\n", s->name,
		       route_sink_kind_name((enum sink_kind)s->kind), s->url,
		       s->secret_env[0] ? "secret from $" : "no secret", s->secret_env,
		       model_severity_name((enum severity)s->min_severity_value));
	}
	static const char *const days[7] = { "monday", "tuesday",  "wednesday", "thursday",
		                             "friday", "saturday", "sunday" };
	const struct baseline_settings *bs = &cfg->baselines.s;
	if (bs->enabled) {
		size_t gw, pr;
		config_baseline_series(cfg, &gw, &pr);
		printf("baselines: on, refresh %s %02d:00 UTC, budget %g false event(s) a week "
		       "over "
		       "%zu configured series, %zu holiday(s)\n",
		       days[bs->refresh_weekday % 7], (int)bs->refresh_hour % 24,
		       bs->false_events_per_week, gw + pr, bs->n_holidays);
	} else {
		printf("baselines: off\n");
	}
	int rc = CLI_EXIT_OK;
	if (cfg->semantic.schemas_dir[0]) {
		/* Schemas compile at start-up: an invalid one is a config error. */
		char dir[CFG_PATH_MAX * 2];
		struct jschema_set *set = NULL;
		if (schemas_resolve_dir(path, cfg->semantic.schemas_dir, dir, sizeof(dir)) != 0) {
			fprintf(stderr, "vigil check: semantic.schemas_dir: path too long\n");
			rc = CLI_EXIT_FAIL;
		} else if (schemas_load_dir(dir, &set, &cause) != 0) {
			fprintf(stderr, "vigil check: %s\n", cause ? cause : "cannot load schemas");
			free(cause);
			rc = CLI_EXIT_FAIL;
		} else {
			printf("schemas: %zu from %s\n", jschema_set_count(set), dir);
		}
		jschema_set_free(set);
	}
	free(cfg);
	return rc;
}
