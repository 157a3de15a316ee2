/*
 * test_reload_plan.c: a config reload's plan (app/reload_plan), pure: for
 * each part of the config, a change is applied at once or needs a restart;
 * new event files are followed, removed ones need a restart; routes follow
 * the sinks while the sinks themselves are unchanged; and the config the
 * daemon runs with afterwards takes exactly the applied parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/reload_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIT(p) (1u << (p))

struct fx {
	struct vigil_config *old, *next, *keep;
	struct reload_plan plan;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->old = malloc(sizeof(*f->old));
	f->next = malloc(sizeof(*f->next));
	f->keep = malloc(sizeof(*f->keep));
	config_defaults(f->old);
	struct cfg_sink *s = &f->old->sinks[f->old->n_sinks++];
	snprintf(s->name, sizeof(s->name), "pd");
	s->kind = SINK_PAGERDUTY;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:1/v2/enqueue");
	s->min_severity_value = SEV_HIGH;
	snprintf(f->old->events[f->old->n_events++].path, CFG_PATH_MAX, "a.jsonl");
	snprintf(f->old->events[f->old->n_events++].path, CFG_PATH_MAX, "b.jsonl");
	snprintf(f->old->file, sizeof(f->old->file), "old.yaml");
	*f->next = *f->old;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	free(f->old);
	free(f->next);
	free(f->keep);
	free(f);
	return 0;
}

static void plan(struct fx *f)
{
	reload_plan_make(f->old, f->next, &f->plan);
	reload_plan_keep(f->old, f->next, &f->plan, "new.yaml", f->keep);
}

static void test_nothing_changed(void **state)
{
	struct fx *f = *state;
	plan(f);
	/* the semantic section is always applied again (schemas may have changed
	 * on disk), and the routes, the sinks being the same */
	assert_int_equal(f->plan.apply, BIT(RELOAD_SEMANTIC) | BIT(RELOAD_ROUTES));
	assert_int_equal(f->plan.restart, 0);
	assert_int_equal(f->plan.n_follow, 0);
	assert_string_equal(f->keep->file, "new.yaml");
	memset(f->keep->file, 0, sizeof(f->keep->file));
	memset(f->old->file, 0, sizeof(f->old->file));
	assert_memory_equal(f->keep, f->old, sizeof(*f->old));
}

/* Every part needing a restart, one at a time: only its bit, and the
 * running config keeps the old value. */
static void test_restart_parts(void **state)
{
	struct fx *f = *state;
	static const enum reload_part parts[] = {
		RELOAD_SEMANTIC_MAX_KEYS, RELOAD_STORE,      RELOAD_METRICS_LISTEN,
		RELOAD_PROVIDERS,         RELOAD_THRESHOLDS, RELOAD_INCIDENT_TIMINGS,
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		*f->next = *f->old;
		switch (parts[i]) {
		case RELOAD_SEMANTIC_MAX_KEYS: f->next->semantic.checks.max_keys += 7; break;
		case RELOAD_STORE: f->next->store.batch_ms += 1; break;
		case RELOAD_METRICS_LISTEN:
			snprintf(f->next->metrics.listen, sizeof(f->next->metrics.listen), ":1");
			break;
		case RELOAD_PROVIDERS: f->next->n_providers = 1; break;
		case RELOAD_THRESHOLDS: f->next->thresholds.latency_ms += 1; break;
		case RELOAD_INCIDENT_TIMINGS: f->next->incidents.quiet_period_ms += 1; break;
		default: fail();
		}
		plan(f);
		assert_int_equal(f->plan.restart, BIT(parts[i]));
		assert_int_equal(f->plan.apply, BIT(RELOAD_SEMANTIC) | BIT(RELOAD_ROUTES));
		/* not applied: the running config keeps the old value */
		assert_int_equal(f->keep->semantic.checks.max_keys,
		                 f->old->semantic.checks.max_keys);
		assert_int_equal(f->keep->store.batch_ms, f->old->store.batch_ms);
		assert_string_equal(f->keep->metrics.listen, f->old->metrics.listen);
		assert_int_equal(f->keep->n_providers, f->old->n_providers);
		assert_true(f->keep->thresholds.latency_ms == f->old->thresholds.latency_ms);
		assert_int_equal(f->keep->incidents.quiet_period_ms,
		                 f->old->incidents.quiet_period_ms);
	}
}

/* metrics.max_models is read once, when the families are registered: a
 * change needs a restart and says so (it was silently ignored before). */
static void test_metrics_max_models(void **state)
{
	struct fx *f = *state;
	*f->next = *f->old;
	f->next->metrics.max_models = f->old->metrics.max_models + 5;
	plan(f);
	assert_int_equal(f->plan.restart, BIT(RELOAD_METRICS_LISTEN));
	assert_int_equal(f->keep->metrics.max_models, f->old->metrics.max_models);
	assert_string_equal(reload_part_name(RELOAD_METRICS_LISTEN), "metrics");
}

/* `probes:` is applied (the canaries start again), never silently dropped;
 * `monitor:` is taken as it is. */
static void test_probes_applied(void **state)
{
	struct fx *f = *state;
	f->next->probes.interval_ms = 5000;
	f->next->monitor.gateway_quiet_ms = 600000;
	plan(f);
	assert_int_equal(f->plan.apply,
	                 BIT(RELOAD_SEMANTIC) | BIT(RELOAD_ROUTES) | BIT(RELOAD_PROBES));
	assert_int_equal(f->plan.restart, 0);
	assert_int_equal(f->keep->probes.interval_ms, 5000);
	assert_int_equal(f->keep->monitor.gateway_quiet_ms, 600000);
	assert_string_equal(reload_part_name(RELOAD_PROBES), "probes");

	/* disabling them is a change too */
	*f->next = *f->old;
	f->next->probes.enabled = false;
	plan(f);
	assert_true(f->plan.apply & BIT(RELOAD_PROBES));
	assert_false(f->keep->probes.enabled);
}

static void test_events(void **state)
{
	struct fx *f = *state;
	/* b stays, a goes, c and d are new: follow c and d (indexes in next) */
	f->next->n_events = 0;
	snprintf(f->next->events[f->next->n_events++].path, CFG_PATH_MAX, "c.jsonl");
	snprintf(f->next->events[f->next->n_events++].path, CFG_PATH_MAX, "b.jsonl");
	snprintf(f->next->events[f->next->n_events++].path, CFG_PATH_MAX, "d.jsonl");
	plan(f);
	assert_true(f->plan.apply & BIT(RELOAD_EVENTS));
	assert_int_equal(f->plan.n_follow, 2);
	assert_int_equal(f->plan.follow[0], 0);
	assert_int_equal(f->plan.follow[1], 2);
	assert_false(f->plan.restart & BIT(RELOAD_EVENTS_REMOVED)); /* as many files as before */
	assert_int_equal(f->keep->n_events, 3);
	assert_string_equal(f->keep->events[2].path, "d.jsonl");

	/* fewer files: a restart stops following the removed one */
	f->next->n_events = 1;
	snprintf(f->next->events[0].path, CFG_PATH_MAX, "a.jsonl");
	plan(f);
	assert_int_equal(f->plan.n_follow, 0);
	assert_false(f->plan.apply & BIT(RELOAD_EVENTS));
	assert_true(f->plan.restart & BIT(RELOAD_EVENTS_REMOVED));
}

static void test_routes_and_sinks(void **state)
{
	struct fx *f = *state;
	/* a route changes, and the payload texts: applied, timings kept */
	f->next->sinks[0].min_severity_value = SEV_LOW;
	snprintf(f->next->incidents.instance, sizeof(f->next->incidents.instance), "eu2");
	f->next->incidents.group_gap_ms += 1000;
	plan(f);
	assert_true(f->plan.apply & BIT(RELOAD_ROUTES));
	assert_int_equal(f->plan.restart, BIT(RELOAD_INCIDENT_TIMINGS));
	assert_int_equal(f->keep->sinks[0].min_severity_value, SEV_LOW);
	assert_string_equal(f->keep->incidents.instance, "eu2");
	assert_int_equal(f->keep->incidents.group_gap_ms, f->old->incidents.group_gap_ms);

	/* the sink itself changes (its URL): a restart, nothing of it applied */
	*f->next = *f->old;
	snprintf(f->next->sinks[0].url, sizeof(f->next->sinks[0].url), "http://127.0.0.1:2/");
	f->next->sinks[0].min_severity_value = SEV_LOW;
	snprintf(f->next->incidents.instance, sizeof(f->next->incidents.instance), "eu2");
	plan(f);
	assert_false(f->plan.apply & BIT(RELOAD_ROUTES));
	assert_int_equal(f->plan.restart, BIT(RELOAD_SINKS));
	assert_string_equal(f->keep->sinks[0].url, f->old->sinks[0].url);
	assert_int_equal(f->keep->sinks[0].min_severity_value, SEV_HIGH);
	assert_string_equal(f->keep->incidents.instance, f->old->incidents.instance);

	/* a sink added, a secret renamed, another kind, auth: restarts too */
	for (int k = 0; k < 4; k++) {
		*f->next = *f->old;
		switch (k) {
		case 0: f->next->n_sinks = 2; break;
		case 1: snprintf(f->next->sinks[0].secret_env, 64, "OTHER"); break;
		case 2: f->next->sinks[0].kind = SINK_WEBHOOK; break;
		default: f->next->sinks[0].auth = 1; break;
		}
		plan(f);
		assert_int_equal(f->plan.restart, BIT(RELOAD_SINKS));
		assert_false(f->plan.apply & BIT(RELOAD_ROUTES));
	}
}

static void test_semantic_applied(void **state)
{
	struct fx *f = *state;
	f->next->semantic.checks.enabled = !f->old->semantic.checks.enabled;
	snprintf(f->next->semantic.schemas_dir, sizeof(f->next->semantic.schemas_dir), "s");
	f->next->semantic.checks.max_keys += 1;
	plan(f);
	assert_true(f->plan.apply & BIT(RELOAD_SEMANTIC));
	assert_true(f->keep->semantic.checks.enabled == f->next->semantic.checks.enabled);
	assert_string_equal(f->keep->semantic.schemas_dir, "s");
	assert_int_equal(f->keep->semantic.checks.max_keys, f->old->semantic.checks.max_keys);
}

static void test_names(void **state)
{
	(void)state;
	static const char *const want[RELOAD__COUNT] = {
		"semantic",   "semantic.max_keys",
		"events",     "events (removed files)",
		"routes",     "sinks",
		"probes",     "store",
		"metrics",    "providers",
		"thresholds", "incidents timings",
	};
	for (int i = 0; i < RELOAD__COUNT; i++)
		assert_string_equal(reload_part_name((enum reload_part)i), want[i]);
	assert_string_equal(reload_part_name(RELOAD__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_max_models, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probes_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_and_sinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_semantic_applied, setup, teardown),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
