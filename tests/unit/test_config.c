/*
 * test_config.c: the vigil.yaml loader. Every YAML file in tests/data/config starts
 * with "# expect: ok" or "# expect: <text the error message must contain>".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/metrics_genai.h"
#include "core/price.h"
#include "core/vgerr.h"
#include "data/decode.h"
#include "data/sinks.h"
#include "probes/canary.h"
#include "tests/support/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_data_files(void **state)
{
	(void)state;
	const char *dir = VIGIL_TEST_DATA_DIR "/config";
	size_t n;
	char **files = tu_list_dir(dir, ".yaml", &n);
	int bad = 0;
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s", tu_path(dir, files[i]));
		char *text = tu_read_file(path, NULL);
		assert_non_null(text);
		assert_true(strncmp(text, "# expect: ", 10) == 0);
		char *want = text + 10;
		want[strcspn(want, "\n")] = '\0';
		struct vigil_config *cfg = malloc(sizeof(*cfg));
		config_defaults(cfg);
		char *cause = NULL;
		/* Messages name the file as given: load relative to the data folder's name. */
		int rc = config_load(cfg, path, &cause);
		if (strcmp(want, "ok") == 0) {
			if (rc != 0) {
				fprintf(stderr, "FAIL %s: expected ok, got: %s\n", files[i], cause);
				bad++;
			}
		} else if (rc == 0 || !cause || !strstr(cause, want)) {
			fprintf(stderr, "FAIL %s: expected an error containing '%s', got: %s\n",
			        files[i], want, rc == 0 ? "success" : cause);
			bad++;
		}
		free(cause);
		free(cfg);
		free(text);
	}
	tu_free_list(files, n);
	assert_int_equal(bad, 0);
}

static void test_values(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(cfg);
	assert_int_equal(cfg->thresholds.breaker.cooldown_ms, 30000);
	assert_int_equal(config_load(cfg, VIGIL_TEST_DATA_DIR "/config/good_full.yaml", &cause), 0);
	assert_string_equal(cfg->store.path, "/tmp/x.db");
	assert_int_equal(cfg->n_providers, 1);
	assert_string_equal(cfg->providers[0].name, "sim-openai");
	assert_int_equal(cfg->providers[0].kind, PK_OPENAI);
	assert_int_equal(cfg->providers[0].role, ROLE_PRIMARY);
	/* key_alias defaults to the provider name */
	assert_string_equal(cfg->providers[0].key_alias, "sim-openai");
	assert_int_equal(cfg->providers[0].n_models, 1);
	assert_true(cfg->thresholds.latency_ms == 2500);
	assert_int_equal(cfg->thresholds.soft_window_ms, 90000);
	assert_int_equal(cfg->thresholds.breaker.cooldown_ms, 1500);
	assert_int_equal(cfg->thresholds.breaker.consecutive_failures, 3);
	/* untouched keys keep their defaults */
	assert_int_equal(cfg->thresholds.breaker.halfopen_successes, 3);
	/* The canary's options carry the provider and its prices; core/price
	 * looks a dated model name up in them. */
	struct canary_config *cc = malloc(sizeof(*cc));
	config_canary(cfg, cc);
	assert_int_equal(cc->n_providers, 1);
	const struct canary_provider *cp = &cc->providers[0];
	assert_string_equal(cp->name, "sim-openai");
	assert_int_equal(cp->kind, PK_OPENAI);
	assert_string_equal(cp->base_url, "http://127.0.0.1:8080");
	assert_string_equal(cp->api_key_env, "SIM_KEY");
	assert_string_equal(cp->key_alias, "sim-openai");
	assert_int_equal(cp->n_models, 1);
	const size_t off = offsetof(struct canary_model, name);
	const struct canary_model *m = price_find("gpt-4o-mini-2024-07-18", cp->models,
	                                          cp->n_models, sizeof(cp->models[0]), off);
	assert_non_null(m);
	assert_true(m->price_in_per_1k == 0.00015 && m->price_out_per_1k == 0.0006);
	assert_null(price_find("gpt-4o", cp->models, cp->n_models, sizeof(cp->models[0]), off));
	free(cc);
	free(cfg);
}

static void test_severity_and_pipeline_providers(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(cfg);
	assert_int_equal(cfg->thresholds.severity.n_overrides, 0);
	assert_true(cfg->thresholds.severity.isolated_rate == 0.05);
	int rc = config_load(cfg, VIGIL_TEST_DATA_DIR "/config/good_severity.yaml", &cause);
	if (rc)
		fail_msg("%s", cause);
	const struct severity_settings *sv = &cfg->thresholds.severity;
	assert_true(cfg->thresholds.headroom_warn == 0.2);
	assert_int_equal(cfg->thresholds.escalation_ms, 600000);
	assert_true(sv->isolated_rate == 0.1);
	assert_true(sv->blast_raise == 0.7);
	assert_int_equal(sv->default_traffic_class, TC_INTERNAL);
	assert_true(sv->healthy_availability == 0.95);
	assert_int_equal(sv->escalation_gap_ms, 120000);
	assert_int_equal(sv->n_overrides, 2);
	assert_int_equal(sv->overrides[0].category, CAT_QUALITY);
	assert_int_equal(sv->overrides[0].traffic_class, TC_EXPERIMENTAL);
	assert_int_equal(sv->overrides[0].recoverability, SEV_ANY_REC);
	assert_int_equal(sv->overrides[0].severity, SEV_LOW);
	assert_int_equal(sv->overrides[1].category, SEV_ANY_CATEGORY);
	assert_int_equal(sv->overrides[1].traffic_class, TC_COMPLIANCE);
	assert_int_equal(sv->overrides[1].recoverability, REC_NONE);
	assert_int_equal(sv->overrides[1].severity, SEV_CRITICAL);

	struct pipeline_provider pp[4];
	assert_int_equal(config_pipeline_providers(cfg, pp, 4), 2);
	assert_string_equal(pp[0].name, "sim-openai");
	assert_false(pp[0].fallback);
	assert_int_equal(pp[0].n_models, 1);
	assert_true(pp[0].models[0].breaker);
	assert_true(pp[0].models[0].price_in_per_1k == 0.00015);
	assert_string_equal(pp[1].name, "sim-anthropic");
	assert_true(pp[1].fallback);
	assert_int_equal(pp[1].n_models, 0);
	assert_int_equal(config_pipeline_providers(cfg, pp, 1), 1);
	free(cfg);
}

static void test_sinks(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(cfg);
	assert_string_equal(cfg->metrics.listen, "127.0.0.1:9464");
	assert_int_equal(cfg->metrics.max_models, METRICS_GENAI_MAX_MODELS);
	assert_int_equal(cfg->incidents.quiet_period_ms, 600000);
	int rc = config_load(cfg, VIGIL_TEST_DATA_DIR "/config/good_sinks.yaml", &cause);
	if (rc)
		fail_msg("%s", cause);
	assert_int_equal(cfg->n_sinks, 4);
	assert_int_equal(cfg->sinks[0].kind, SINK_PAGERDUTY);
	assert_int_equal(cfg->sinks[0].min_severity_value, SEV_HIGH);
	assert_int_equal(cfg->sinks[0].timeout_ms, 10000);
	assert_int_equal(cfg->sinks[1].resend_interval_ms, 30000);
	assert_int_equal(cfg->sinks[1].resolve_timeout_ms, 120000);
	assert_int_equal(cfg->sinks[2].min_severity_value, SEV_MEDIUM);
	assert_int_equal(cfg->sinks[3].auth, SINK_AUTH_BASIC);
	assert_int_equal(cfg->sinks[3].min_severity_value, SEV_LOW);
	/* What data/sinks gets: the delivery half of each sink, defaults filled. */
	struct sink_spec sp[CFG_MAX_SINKS];
	assert_int_equal(config_sink_specs(cfg, sp, CFG_MAX_SINKS), 4);
	assert_int_equal(config_sink_specs(cfg, sp, 2), 2);
	assert_string_equal(sp[0].name, cfg->sinks[0].name);
	assert_int_equal(sp[0].kind, SINK_PAGERDUTY);
	assert_string_equal(sp[0].url, cfg->sinks[0].url);
	assert_string_equal(sp[0].secret_env, cfg->sinks[0].secret_env);
	assert_int_equal(sp[0].timeout_ms, 10000);
	assert_int_equal(sp[1].kind, SINK_ALERTMANAGER);
	assert_int_equal(sp[1].resend_interval_ms, 30000);
	assert_int_equal(sp[1].resolve_timeout_ms, 120000);
	assert_int_equal(config_sink_specs(cfg, sp, CFG_MAX_SINKS), 4);
	assert_int_equal(sp[3].auth, SINK_AUTH_BASIC);
	assert_int_equal(sp[2].auth, SINK_AUTH_BEARER);
	assert_int_equal(cfg->n_events, 2);
	assert_string_equal(cfg->events[0].path, "logs/gateway-*.jsonl");
	assert_int_equal(cfg->events[0].format, DECODE_AUTO);
	assert_int_equal(cfg->events[1].format, DECODE_OTLP);

	struct incident_settings is;
	config_incident_settings(cfg, &is);
	assert_int_equal(is.group_gap_ms, 120000);
	assert_int_equal(is.quiet_period_ms, 420000);
	assert_int_equal(is.ticket_after_ms, 45 * 60000);
	assert_int_equal(is.keep_resolved_ms, 3600000);
	assert_string_equal(is.instance, "eu1");
	struct route_sink rs[CFG_MAX_SINKS];
	struct payload_options po;
	assert_int_equal(config_routes(cfg, rs, CFG_MAX_SINKS, &po), 4);
	assert_string_equal(rs[1].name, "am");
	assert_int_equal(rs[1].kind, SINK_ALERTMANAGER);
	assert_int_equal(rs[2].min_severity, SEV_MEDIUM);
	assert_string_equal(po.source, "eu1");
	assert_string_equal(po.console_url, "http://vigil.example.com/");
	assert_int_equal(po.silence_ms, 2 * 3600000);
	assert_string_equal(po.jira_project, "LLMOPS");
	assert_string_equal(po.jira_issue_type, "Incident");

	char host[64];
	int port;
	assert_int_equal(config_split_listen("127.0.0.1:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(config_split_listen("[::1]:9464", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 9464);
	assert_int_equal(config_split_listen(":80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(config_split_listen("host:99999", host, sizeof(host), &port), VG_EINVAL);
	assert_int_equal(config_split_listen("host:", host, sizeof(host), &port), VG_EINVAL);
	free(cfg);
}

static void test_missing_file_and_example(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(cfg);
	assert_int_equal(config_load(cfg, "/nonexistent/vigil.yaml", &cause), VG_EIO);
	assert_non_null(strstr(cause, "/nonexistent/vigil.yaml: cannot open"));
	free(cause);
	cause = NULL;
	config_defaults(cfg);
	int rc = config_load(cfg, VIGIL_SOURCE_DIR "/examples/vigil.yaml", &cause);
	if (rc)
		fail_msg("example config: %s", cause);
	assert_int_equal(cfg->n_providers, 3);
	assert_int_equal(cfg->metrics.max_models, 10);
	free(cfg);
}

static void test_probes(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(cfg);
	assert_true(cfg->probes.enabled);
	assert_int_equal(cfg->probes.interval_ms, 60000);
	assert_int_equal(cfg->probes.jitter_ms, 10000);
	assert_int_equal(cfg->probes.timeout_ms, 20000);
	assert_int_equal(cfg->probes.max_body, 1048576);
	assert_int_equal(cfg->probes.models, PROBE_MODELS_ALL);
	int rc = config_load(cfg, VIGIL_TEST_DATA_DIR "/config/good_probes.yaml", &cause);
	if (rc)
		fail_msg("good_probes: %s", cause);
	assert_int_equal(cfg->probes.interval_ms, 30000);
	assert_int_equal(cfg->probes.jitter_ms, 5000);
	assert_int_equal(cfg->probes.connect_timeout_ms, 2000);
	assert_int_equal(cfg->probes.timeout_ms, 10000);
	assert_int_equal(cfg->probes.max_tokens, 8);
	assert_int_equal(cfg->probes.max_body, 65536);
	assert_true(cfg->probes.daily_budget_usd == 0.25);
	assert_true(cfg->probes.availability);
	assert_int_equal(cfg->probes.models, PROBE_MODELS_FIRST);
	assert_int_equal(cfg->probes.seed, 1234);
	struct canary_config *cc = malloc(sizeof(*cc));
	config_canary(cfg, cc);
	assert_true(cc->enabled);
	assert_int_equal(cc->interval_ms, 30000);
	assert_int_equal(cc->jitter_ms, 5000);
	assert_int_equal(cc->connect_timeout_ms, 2000);
	assert_int_equal(cc->timeout_ms, 10000);
	assert_int_equal(cc->max_tokens, 8);
	assert_int_equal(cc->max_body, 65536);
	assert_true(cc->daily_budget_usd == 0.25);
	assert_true(cc->availability);
	assert_true(cc->first_model_only);
	assert_int_equal(cc->seed, 1234);
	assert_string_equal(cc->instance, "vigil");
	assert_int_equal(cc->n_providers, 0);
	free(cc);
	free(cfg);
}

/* `baselines:`: the defaults are core's, every key lands where it should
 * (durations converted to the settings' units, dates to days), and the
 * series of the budget come from the configured providers. */
static void test_baselines(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	config_defaults(cfg);
	struct baseline_settings got, want;
	config_baseline_settings(cfg, &got);
	baseline_defaults(&want);
	assert_memory_equal(&got, &want, sizeof(got));
	assert_int_equal(cfg->baselines.minute_retention_ms, 14 * 86400000LL);
	assert_int_equal(cfg->baselines.hour_retention_ms, 365 * 86400000LL);
	char *cause = NULL;
	int rc = config_load(cfg, VIGIL_TEST_DATA_DIR "/config/good_baselines.yaml", &cause);
	if (rc)
		fail_msg("good_baselines: %s", cause);
	config_baseline_settings(cfg, &got);
	assert_true(got.enabled);
	assert_true(got.season_half_life_weeks == 3 && got.level_half_life_weeks == 6);
	assert_true(got.false_events_per_week == 2 && got.between_share == 0.4);
	assert_true(got.sigma_floor[BK_QUANTILE] == 0.06 && got.sigma_floor[BK_RATE] == 0.12 &&
	            got.sigma_floor[BK_MEAN] == 0.07);
	assert_true(got.sigma_prior[BK_QUANTILE] == 0.25 && got.sigma_prior[BK_RATE] == 0.4 &&
	            got.sigma_prior[BK_MEAN] == 0.2);
	assert_true(got.variance_prior_weeks == 3 && got.rate_prior_requests == 150);
	assert_true(got.rate_floor == 0.002 && got.clip_sigmas == 2.5);
	assert_int_equal(got.min_failures, 3);
	assert_true(got.warm_weeks == 1.5 && got.warm_samples == 40 && got.warm_weight == 0.7);
	assert_int_equal(got.bucket_s[OBS_GATEWAY], 120);
	assert_int_equal(got.bucket_s[OBS_PROBE], 600);
	assert_true(got.max_rps[OBS_GATEWAY] == 500 && got.max_rps[OBS_PROBE] == 2);
	assert_int_equal(got.edge_minutes, 10);
	assert_int_equal(got.min_hour_samples, 12);
	assert_int_equal(got.min_hour_samples_p99, 120);
	assert_int_equal(got.p99_min_window, 250);
	assert_int_equal(got.min_mean_window, 15);
	assert_true(got.step_min == 0.25 && got.step_min_marker == 0.12 && got.step_z == 7 &&
	            got.step_z_marker == 5);
	assert_int_equal(got.marker_hours, 6);
	assert_true(got.drift_min == 0.01 && got.trend_max == 0.2);
	assert_int_equal(got.refresh_weekday, 6);
	assert_int_equal(got.refresh_hour, 23);
	assert_int_equal(got.realert_ms, 600000);
	assert_int_equal(got.n_holidays, 2);
	assert_int_equal(got.holidays[0], 20812); /* 2026-12-25 */
	assert_int_equal(got.holidays[1], 20819); /* 2027-01-01 */
	assert_true(baseline_is_holiday(&got, 20812LL * 86400000 + 13 * 3600000));
	assert_int_equal(cfg->baselines.minute_retention_ms, 7 * 86400000LL);
	assert_int_equal(cfg->baselines.hour_retention_ms, 180 * 86400000LL);
	/* the budget's series: a provider's aggregate and one per alias (two
	 * versions of one alias are one series), gateway and probes */
	config_defaults(cfg);
	static const char yaml[] = "providers:\n"
	                           "  - name: openai\n    kind: openai\n"
	                           "    base_url: https://api.openai.com/v1\n"
	                           "    models:\n"
	                           "      - name: gpt-4o-2024-08-06\n"
	                           "      - name: gpt-4o-2024-11-20\n"
	                           "      - name: gpt-4o-mini\n"
	                           "  - name: anthropic\n    kind: anthropic\n"
	                           "    base_url: https://api.anthropic.com\n";
	rc = config_load_string(cfg, yaml, sizeof(yaml) - 1, "inline.yaml", &cause);
	if (rc)
		fail_msg("inline: %s", cause);
	size_t gw, pr;
	config_baseline_series(cfg, &gw, &pr);
	assert_int_equal(gw, 4);
	assert_int_equal(pr, 4);
	cfg->probes.enabled = false;
	config_baseline_series(cfg, &gw, &pr);
	assert_int_equal(pr, 0);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_severity_and_pipeline_providers),
		cmocka_unit_test(test_sinks),
		cmocka_unit_test(test_missing_file_and_example),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_baselines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
