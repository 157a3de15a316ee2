/*
 * test_pipeline_setup.c: a vigil configuration to a ready pipeline
 * (app/pipeline_setup), the one setup the daemon, ingest, replay and the
 * console tests share: configured providers and roles, per-model breakers,
 * the sinks' routes and the incidents' instance name, numbering continued
 * after a database's ids, the replay's default routes only when nothing is
 * configured, the routes again on a reload, and a bad schema folder as an
 * error naming the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/pipeline_setup.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t T0 = 1795773600000LL;

static struct observation obs(const char *provider, const char *model, int64_t t, int status,
                              enum err_class ec)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = t;
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), provider, (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), model, (size_t)-1);
	snprintf(o.request_id, sizeof(o.request_id), "r-%lld", (long long)t);
	o.http_status = status;
	o.norm.error_class = ec;
	o.total_ms = 800;
	o.traffic_class = TC_REVENUE;
	return o;
}

static struct vigil_config *two_providers(void)
{
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	config_defaults(cfg);
	struct cfg_provider *p = &cfg->providers[cfg->n_providers++];
	snprintf(p->name, sizeof(p->name), "openai");
	p->kind = PK_OPENAI;
	p->role = ROLE_PRIMARY;
	snprintf(p->models[0].name, sizeof(p->models[0].name), "gpt-4o");
	p->models[0].breaker = true;
	p->n_models = 1;
	p = &cfg->providers[cfg->n_providers++];
	snprintf(p->name, sizeof(p->name), "anthropic");
	p->kind = PK_ANTHROPIC;
	p->role = ROLE_FALLBACK;
	return cfg;
}

/* Notifications of fx to `sink`. */
static size_t to_sink(const struct effects *fx, const char *sink)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n_notifications; i++)
		n += strcmp(fx->notifications[i].sink, sink) == 0;
	return n;
}

static void test_providers(void **state)
{
	(void)state;
	struct vigil_config *cfg = two_providers();
	struct pipeline_setup ps;
	char *cause = NULL;
	assert_int_equal(pipeline_setup_init(&ps, cfg, NULL, &cause), 0);
	assert_null(cause);
	assert_non_null(ps.p);
	assert_null(ps.schemas); /* no folder configured */
	struct effects fx;
	struct observation o = obs("openai", "gpt-4o-2024-08-06", T0, 200, EC_OK);
	assert_int_equal(pipeline_feed(ps.p, &o, T0, &fx), 0);
	o = obs("anthropic", "claude-3-5-haiku", T0 + 1, 200, EC_OK);
	assert_int_equal(pipeline_feed(ps.p, &o, T0 + 1, &fx), 0);
	o = obs("mistral", "small", T0 + 2, 200, EC_OK);
	assert_int_equal(pipeline_feed(ps.p, &o, T0 + 2, &fx), 0);

	struct health_view v;
	int i = pipeline_health_find(ps.p, "openai", NULL);
	assert_true(i >= 0);
	assert_int_equal(pipeline_health_view(ps.p, (size_t)i, T0 + 3, &v), 0);
	assert_true(v.configured);
	assert_false(v.fallback);
	i = pipeline_health_find(ps.p, "openai", "gpt-4o-2024-08-06");
	assert_true(i >= 0);
	assert_int_equal(pipeline_health_view(ps.p, (size_t)i, T0 + 3, &v), 0);
	assert_true(v.has_breaker); /* models[0].breaker, matched by version */
	i = pipeline_health_find(ps.p, "anthropic", NULL);
	assert_int_equal(pipeline_health_view(ps.p, (size_t)i, T0 + 3, &v), 0);
	assert_true(v.configured);
	assert_true(v.fallback);
	i = pipeline_health_find(ps.p, "mistral", NULL);
	assert_int_equal(pipeline_health_view(ps.p, (size_t)i, T0 + 3, &v), 0);
	assert_false(v.configured);
	pipeline_setup_done(&ps);
	assert_null(ps.p);
	pipeline_setup_done(NULL);
	free(cfg);
}

/* The sinks of good_sinks.yaml (pd and am at HIGH, hook at MEDIUM,
 * tickets at LOW; instance eu1), numbering after a database's ids, and
 * the routes set again by a reload. */
static void test_routes_and_numbering(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(cfg);
	if (config_load(cfg, VIGIL_TEST_DATA_DIR "/config/good_sinks.yaml", &cause) != 0)
		fail_msg("%s", cause);
	struct pipeline_setup ps;
	/* the replay's default routes are not used: the config has sinks */
	struct route_sink dflt = { "other", SINK_WEBHOOK, SEV_LOW };
	struct pipeline_setup_options o = { .routes_if_none = &dflt, .n_routes_if_none = 1 };
	assert_int_equal(pipeline_setup_init(&ps, cfg, &o, &cause), 0);
	assert_int_equal(pipeline_setup_resume(&ps, cfg, 41, 9), 0);
	struct effects fx;
	struct observation ob = obs("openai", "gpt-4o", T0, 401, EC_AUTH);
	assert_int_equal(pipeline_feed(ps.p, &ob, T0, &fx), 0);
	assert_true(fx.n_events >= 1);
	assert_int_equal(fx.events[0].id, 42);
	assert_int_equal(fx.n_incident_changes, 1);
	assert_int_equal(fx.incident_changes[0].incident_id, 10);
	assert_true(fx.events[0].severity <= SEV_HIGH); /* CRITICAL or HIGH */
	assert_int_equal(to_sink(&fx, "pd"), 1);
	assert_int_equal(to_sink(&fx, "am"), 1);
	assert_int_equal(to_sink(&fx, "other"), 0);
	for (size_t i = 0; i < fx.n_notifications; i++)
		assert_non_null(strstr(fx.notifications[i].dedup_key, "eu1/"));
	/* once an incident exists the numbering is set */
	assert_int_equal(pipeline_setup_resume(&ps, cfg, 0, 0), VG_ESTATE);

	/* a reload keeping only the webhook: a new incident goes there alone */
	cfg->sinks[0] = cfg->sinks[2];
	cfg->n_sinks = 1;
	assert_int_equal(pipeline_setup_routes(&ps, cfg), 0);
	ob = obs("anthropic", "claude-3-5-haiku", T0 + 1000, 401, EC_AUTH);
	assert_int_equal(pipeline_feed(ps.p, &ob, T0 + 1000, &fx), 0);
	assert_int_equal(fx.incident_changes[0].incident_id, 11);
	assert_int_equal(to_sink(&fx, "hook"), 1);
	assert_int_equal(fx.n_notifications, 1);
	pipeline_setup_done(&ps);
	free(cfg);
}

/* Nothing configured: the given default routes (the replay's). */
static void test_default_routes(void **state)
{
	(void)state;
	struct vigil_config *cfg = two_providers();
	struct route_sink dflt[] = {
		{ "pagerduty", SINK_PAGERDUTY, SEV_HIGH },
		{ "hook", SINK_WEBHOOK, SEV_LOW },
	};
	struct pipeline_setup_options o = { .routes_if_none = dflt, .n_routes_if_none = 2 };
	struct pipeline_setup ps;
	assert_int_equal(pipeline_setup_init(&ps, cfg, &o, NULL), 0);
	struct effects fx;
	struct observation ob = obs("openai", "gpt-4o", T0, 401, EC_AUTH);
	assert_int_equal(pipeline_feed(ps.p, &ob, T0, &fx), 0);
	assert_int_equal(fx.events[0].id, 1);
	assert_int_equal(fx.incident_changes[0].incident_id, 1);
	assert_int_equal(to_sink(&fx, "pagerduty"), 1);
	assert_int_equal(to_sink(&fx, "hook"), 1);
	pipeline_setup_done(&ps);

	/* without them: no route at all */
	assert_int_equal(pipeline_setup_init(&ps, cfg, NULL, NULL), 0);
	assert_int_equal(pipeline_feed(ps.p, &ob, T0, &fx), 0);
	assert_int_equal(fx.n_notifications, 0);
	pipeline_setup_done(&ps);
	free(cfg);
}

/* semantic.schemas_dir next to the config file; a broken schema names
 * its file and leaves nothing to free. */
static void test_schemas(void **state)
{
	(void)state;
	struct vigil_config *cfg = two_providers();
	snprintf(cfg->semantic.schemas_dir, sizeof(cfg->semantic.schemas_dir), "schemas");
	struct pipeline_setup_options o = { .config_path =
		                                    VIGIL_TEST_DATA_DIR "/semantic/vigil.yaml" };
	struct pipeline_setup ps;
	char *cause = NULL;
	assert_int_equal(pipeline_setup_init(&ps, cfg, &o, &cause), 0);
	assert_int_equal(jschema_set_count(ps.schemas), 2);
	pipeline_setup_done(&ps);
	assert_null(ps.schemas);

	snprintf(cfg->semantic.schemas_dir, sizeof(cfg->semantic.schemas_dir), "schemas_bad");
	int rc = pipeline_setup_init(&ps, cfg, &o, &cause);
	assert_true(rc < 0);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "b_broken.json"));
	assert_null(ps.p);
	assert_null(ps.schemas);
	free(cause);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_providers),
		cmocka_unit_test(test_routes_and_numbering),
		cmocka_unit_test(test_default_routes),
		cmocka_unit_test(test_schemas),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
