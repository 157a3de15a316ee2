/*
 * config_keys.c: the key tables of vigil.yaml, one per section (see the
 * CFG_* macros in config.h): each key's type, where it lands in struct
 * vigil_config, whether it is required, its range or its enum names. The
 * walker in config.c checks every node against them; adding a key is a
 * field in a struct and a row here (examples/vigil.yaml documents it).
 */
#include "app/config.h"

#include "app/config_internal.h"
#include "data/sinks.h"
#include "probes/canary.h"

#include <stddef.h>

/* ---- section tables ------------------------------------------------------ */

static const char *const kind_names[] = { "openai", "anthropic", "google", "other", NULL };

static const char *const role_names[] = { "primary", "fallback", NULL };

static const struct cfg_field model_fields[] = {
	CFG_STR(struct cfg_model, name, true),
	CFG_STR(struct cfg_model, tier, false),
	CFG_DBL(struct cfg_model, price_in_per_1k, 0, 1000),
	CFG_DBL(struct cfg_model, price_out_per_1k, 0, 1000),
	CFG_BOOL(struct cfg_model, breaker),
	CFG_END,
};

static const struct cfg_field provider_fields[] = {
	CFG_STR(struct cfg_provider, name, true),
	CFG_ENUM(struct cfg_provider, kind, kind_names, true),
	CFG_STR(struct cfg_provider, base_url, true),
	CFG_STR(struct cfg_provider, api_key_env, false),
	CFG_STR(struct cfg_provider, key_alias, false),
	CFG_STR(struct cfg_provider, region, false),
	CFG_ENUM(struct cfg_provider, role, role_names, false),
	CFG_LIST("models", struct cfg_provider, models, n_models, model_fields, false),
	CFG_END,
};

static const struct cfg_field store_fields[] = {
	CFG_STR(struct cfg_store, path, false),
	CFG_STR(struct cfg_store, group, false),
	CFG_INT(struct cfg_store, batch_rows, 1, 1e6),
	CFG_DUR("batch_interval", struct cfg_store, batch_ms, 1, 60000),
	CFG_INT(struct cfg_store, queue_batches, 1, 1024),
	CFG_DUR("retention", struct cfg_store, retention_ms, 0, 3650 * 864e5),
	CFG_END,
};

static const struct cfg_field breaker_fields[] = {
	CFG_INT(struct breaker_settings, consecutive_failures, 1, 1e6),
	CFG_DBL(struct breaker_settings, failure_rate, 0.01, 1.0001),
	CFG_DUR("window", struct breaker_settings, window_ms, 1000, 864e5),
	CFG_INT(struct breaker_settings, min_requests, 1, 1e6),
	CFG_DUR("cooldown", struct breaker_settings, cooldown_ms, 100, 864e5),
	CFG_INT(struct breaker_settings, halfopen_successes, 1, 1e6),
	CFG_INT(struct breaker_settings, oscillation_opens, 2, 1e6),
	CFG_DUR("oscillation_window", struct breaker_settings, oscillation_window_ms, 1000, 864e6),
	CFG_END,
};

/* Axis names of severity override rows; the last entry, "any", is the wildcard
 * (SEV_ANY_* in core/settings.h). */
static const char *const sev_category_names[] = { "provider", "quality", "cost", "security",
	                                          "data",     "any",     NULL };

static const char *const sev_traffic_names[] = { "revenue",      "compliance", "internal",
	                                         "experimental", "any",        NULL };

static const char *const sev_rec_names[] = { "isolated", "failover", "none", "any", NULL };

static const char *const sev_severity_names[] = { "critical", "high", "medium", "low", NULL };

static const char *const traffic_class_names[] = { "revenue", "compliance", "internal",
	                                           "experimental", NULL };

static const struct cfg_field severity_override_fields[] = {
	CFG_ENUM(struct severity_override, category, sev_category_names, true),
	CFG_ENUM(struct severity_override, traffic_class, sev_traffic_names, true),
	CFG_ENUM(struct severity_override, recoverability, sev_rec_names, true),
	CFG_ENUM(struct severity_override, severity, sev_severity_names, true),
	CFG_END,
};

static const struct cfg_field severity_fields[] = {
	CFG_DBL(struct severity_settings, isolated_rate, 0, 1),
	CFG_INT(struct severity_settings, evidence_count, 1, 1000000),
	CFG_DBL(struct severity_settings, blast_raise, 0, 1.0001),
	CFG_ENUM(struct severity_settings, default_traffic_class, traffic_class_names, false),
	CFG_DBL(struct severity_settings, healthy_availability, 0, 1),
	CFG_DUR("escalation_gap", struct severity_settings, escalation_gap_ms, 1000, 864e6),
	CFG_DUR("failover_grace", struct severity_settings, failover_grace_ms, 0, 864e6),
	CFG_LIST("overrides", struct severity_settings, overrides, n_overrides,
	         severity_override_fields, false),
	CFG_END,
};

static const struct cfg_field threshold_fields[] = {
	CFG_DBL(struct core_settings, latency_ms, 1, 3.6e6),
	CFG_INT(struct core_settings, latency_percentile, 50, 100),
	CFG_DUR("soft_window", struct core_settings, soft_window_ms, 1000, 864e5),
	CFG_DUR("latency_recent", struct core_settings, latency_recent_ms, 0, 864e5),
	CFG_INT(struct core_settings, soft_min_samples, 1, 1e6),
	CFG_DBL(struct core_settings, soft_rate, 0.0001, 1.0001),
	CFG_DBL(struct core_settings, headroom_warn, 0, 1),
	CFG_DBL(struct core_settings, token_inflation_pct, 0.1, 10000),
	CFG_INT(struct core_settings, retry_storm_count, 1, 1000),
	CFG_DBL(struct core_settings, context_stuffing_ratio, 1, 100),
	CFG_DBL(struct core_settings, stale_context_s, 1, 1e10),
	CFG_DUR("escalation_after", struct core_settings, escalation_ms, 1000, 864e6),
	CFG_MAP("severity", struct core_settings, severity, severity_fields),
	CFG_DUR("health_half_life", struct core_settings, health_half_life_ms, 1000, 864e6),
	CFG_MAP("breaker", struct core_settings, breaker, breaker_fields),
	CFG_END,
};

static const struct cfg_field sem_budget_fields[] = {
	CFG_INT(struct semantic_budget, inline_max_bytes, 0, 1 << 30),
	CFG_INT(struct semantic_budget, inline_context_max_bytes, 0, 1 << 30),
	CFG_END,
};

static const struct cfg_field sem_tokens_fields[] = {
	CFG_DUR("stuffing_window", struct semantic_tokens, stuffing_window_ms, 1000, 864e6),
	CFG_INT(struct semantic_tokens, stuffing_min_samples, 1, 1e6),
	CFG_DBL(struct semantic_tokens, stuffing_share, 0.01, 1.0001),
	CFG_DUR("stuffing_recent", struct semantic_tokens, stuffing_recent_ms, 0, 864e6),
	CFG_END,
};

static const struct cfg_field sem_similarity_fields[] = {
	CFG_INT(struct semantic_similarity, dims, 8, SEMANTIC_MAX_DIMS),
	CFG_INT(struct semantic_similarity, warmup, 1, 1e6),
	CFG_DBL(struct semantic_similarity, centroid_alpha, 0.0001, 1),
	CFG_DBL(struct semantic_similarity, fast_alpha, 0.0001, 1),
	CFG_DBL(struct semantic_similarity, baseline_alpha, 0.0001, 1),
	CFG_DBL(struct semantic_similarity, step_drop, 0.001, 2),
	CFG_DBL(struct semantic_similarity, quality_drop, 0.001, 2),
	CFG_DBL(struct semantic_similarity, min_similarity, -1, 1),
	CFG_DUR("change_window", struct semantic_similarity, change_window_ms, 1000, 864e6),
	CFG_INT(struct semantic_similarity, change_min_samples, 1, 1e6),
	CFG_END,
};

static const struct cfg_field sem_coherence_fields[] = {
	CFG_DBL(struct semantic_coherence, repeat_ratio, 0.01, 1),
	CFG_INT(struct semantic_coherence, min_trigrams, 1, 1e6),
	CFG_INT(struct semantic_coherence, contradictions, 1, 1000),
	CFG_END,
};

static const struct cfg_field sem_hallucination_rate_fields[] = {
	CFG_DUR("window", struct qrate_settings, window_ms, 1000, 864e6),
	CFG_DUR("half_life", struct qrate_settings, half_life_ms, 0, 864e7),
	CFG_DBL(struct qrate_settings, prior_rate, 0.0001, 0.9999),
	CFG_DBL(struct qrate_settings, prior_weight, 0, 1e9),
	CFG_DBL(struct qrate_settings, floor, 0.00001, 0.9999),
	CFG_DBL(struct qrate_settings, ratio, 1, 1000),
	CFG_DBL(struct qrate_settings, alpha, 1e-12, 0.5),
	CFG_DBL(struct qrate_settings, change_alpha, 1e-12, 0.5),
	CFG_INT(struct qrate_settings, min_failures, 1, 1000),
	CFG_DBL(struct qrate_settings, clean_rate, 0, 1),
	CFG_BOOL(struct qrate_settings, burst),
	CFG_INT(struct qrate_settings, warmup, 0, 1e9),
	CFG_END,
};

static const struct cfg_field sem_hallucination_fields[] = {
	CFG_INT(struct semantic_hallucination, max_unsupported, 0, 1000),
	CFG_MAP("rate", struct semantic_hallucination, rate, sem_hallucination_rate_fields),
	CFG_END,
};

static const struct cfg_field sem_pii_fields[] = {
	CFG_BOOL(struct semantic_pii, enabled),
	CFG_END,
};

static const struct cfg_field sem_jailbreak_fields[] = {
	CFG_DBL(struct semantic_jailbreak, rate, 0.0001, 1),
	CFG_DUR("window", struct semantic_jailbreak, window_ms, 1000, 864e6),
	CFG_INT(struct semantic_jailbreak, min_samples, 1, 1e6),
	CFG_DUR("recent", struct semantic_jailbreak, recent_ms, 0, 864e6),
	CFG_END,
};

static const struct cfg_field sem_drift_fields[] = {
	CFG_INT(struct semantic_drift, warmup, 1, 1e6),
	CFG_DBL(struct semantic_drift, fast_alpha, 0.0001, 1),
	CFG_DBL(struct semantic_drift, baseline_alpha, 0.0001, 1),
	CFG_DBL(struct semantic_drift, drop, 0.001, 2),
	CFG_DUR("baseline_half_life", struct semantic_drift, baseline_half_life_ms, 0, 864e6),
	CFG_END,
};

static const struct cfg_field semantic_fields[] = {
	CFG_STR(struct cfg_semantic, schemas_dir, false),
	CFG_INT(struct cfg_semantic, sidecar_queue, 1, 1e6),
	{ .key = "enabled",
	  .type = CFG_T_BOOL,
	  .offset = offsetof(struct cfg_semantic, checks.enabled),
	  .size = sizeof(bool) },
	{ .key = "max_keys",
	  .type = CFG_T_INT,
	  .offset = offsetof(struct cfg_semantic, checks.max_keys),
	  .size = sizeof(int32_t),
	  .lo = 1,
	  .hi = 1e7 },
	CFG_MAP("budget", struct cfg_semantic, checks.budget, sem_budget_fields),
	CFG_MAP("tokens", struct cfg_semantic, checks.tokens, sem_tokens_fields),
	CFG_MAP("similarity", struct cfg_semantic, checks.similarity, sem_similarity_fields),
	CFG_MAP("coherence", struct cfg_semantic, checks.coherence, sem_coherence_fields),
	CFG_MAP("hallucination", struct cfg_semantic, checks.hallucination,
	        sem_hallucination_fields),
	CFG_MAP("pii", struct cfg_semantic, checks.pii, sem_pii_fields),
	CFG_MAP("jailbreak", struct cfg_semantic, checks.jailbreak, sem_jailbreak_fields),
	CFG_MAP("drift", struct cfg_semantic, checks.drift, sem_drift_fields),
	CFG_END,
};

static const struct cfg_field incidents_fields[] = {
	CFG_DUR("group_gap", struct cfg_incidents, group_gap_ms, 1000, 864e5),
	CFG_DUR("quiet_period", struct cfg_incidents, quiet_period_ms, 1000, 864e5),
	CFG_DUR("ticket_after", struct cfg_incidents, ticket_after_ms, 1000, 864e6),
	CFG_DUR("keep_resolved", struct cfg_incidents, keep_resolved_ms, 1000, 864e6),
	CFG_DUR("episode_gap", struct cfg_incidents, episode_gap_ms, 0, 864e5),
	CFG_STR(struct cfg_incidents, instance, false),
	CFG_STR(struct cfg_incidents, runbook_base, false),
	CFG_STR(struct cfg_incidents, console_url, false),
	CFG_END,
};

static const struct cfg_field metrics_fields[] = {
	CFG_STR(struct cfg_metrics, listen, false),
	CFG_INT(struct cfg_metrics, max_models, 0, 64), /* METRICS_CAP_MAX */
	CFG_END,
};

static const char *const sink_kind_names[] = { "pagerduty", "alertmanager", "webhook", "jira",
	                                       NULL };

static const char *const sink_auth_names[] = { "bearer", "basic", NULL };

static const struct cfg_field sink_fields[] = {
	CFG_STR(struct cfg_sink, name, true),
	CFG_ENUM(struct cfg_sink, kind, sink_kind_names, true),
	CFG_STR(struct cfg_sink, url, true),
	CFG_STR(struct cfg_sink, secret_env, false),
	CFG_ENUM(struct cfg_sink, auth, sink_auth_names, false),
	CFG_STR(struct cfg_sink, min_severity, false),
	CFG_DUR("timeout", struct cfg_sink, timeout_ms, 100, 6e5),
	CFG_DUR("resend_interval", struct cfg_sink, resend_interval_ms, 1000, 864e5),
	CFG_DUR("resolve_timeout", struct cfg_sink, resolve_timeout_ms, 1000, 864e5),
	CFG_DUR("silence", struct cfg_sink, silence_ms, 60000, 864e6),
	CFG_STR(struct cfg_sink, project, false),
	CFG_STR(struct cfg_sink, issue_type, false),
	CFG_END,
};

/* The names of enum decode_format, in its order (data/decode.h). */
static const char *const events_format_names[] = { "auto", "vigil", "otlp", NULL };

static const struct cfg_field events_file_fields[] = {
	CFG_STR(struct cfg_events_file, path, true),
	CFG_ENUM(struct cfg_events_file, format, events_format_names, false),
	CFG_END,
};

static const struct cfg_field monitor_fields[] = {
	CFG_DUR("gateway_quiet", struct cfg_monitor, gateway_quiet_ms, 0, 864e6),
	CFG_DUR("sidecar_lag", struct cfg_monitor, sidecar_lag_ms, 0, 864e6),
	CFG_END,
};

static const char *const probe_models_names[] = { "all", "first", NULL };

static const struct cfg_field probes_fields[] = {
	CFG_BOOL(struct cfg_probes, enabled),
	CFG_DUR("interval", struct cfg_probes, interval_ms, 100, 864e5),
	CFG_DUR("jitter", struct cfg_probes, jitter_ms, 0, 864e5),
	CFG_DUR("connect_timeout", struct cfg_probes, connect_timeout_ms, 10, 6e5),
	CFG_DUR("timeout", struct cfg_probes, timeout_ms, 10, 6e5),
	CFG_INT(struct cfg_probes, max_tokens, 1, 4096),
	CFG_INT(struct cfg_probes, max_body, 1024, 64 * 1048576.0),
	CFG_DBL(struct cfg_probes, daily_budget_usd, 0, 1e6),
	CFG_BOOL(struct cfg_probes, availability),
	CFG_ENUM(struct cfg_probes, models, probe_models_names, false),
	CFG_INT(struct cfg_probes, seed, 0, 9.0e15),
	CFG_END,
};

/* `baselines:` (docs/baselines.md has every key with its meaning). Most
 * keys land in core's struct baseline_settings (s); durations in struct
 * cfg_baselines, converted by config_baseline_settings(). */
#define BL_DBL(k, member, l, h)                                                                    \
	{                                                                                          \
		.key = k, .type = CFG_T_DOUBLE, .offset = offsetof(struct cfg_baselines, member),  \
		.size = sizeof(double), .lo = l, .hi = h                                           \
	}
#define BL_INT(k, member, l, h)                                                                    \
	{                                                                                          \
		.key = k, .type = CFG_T_INT, .offset = offsetof(struct cfg_baselines, member),     \
		.size = sizeof(int32_t), .lo = l, .hi = h                                          \
	}
#define BL_MAP(k, f)                                                                               \
	{                                                                                          \
		.key = k, .type = CFG_T_MAP, .offset = 0, .fields = f                              \
	}

static const char *const weekday_names[] = { "monday", "tuesday",  "wednesday", "thursday",
	                                     "friday", "saturday", "sunday",    NULL };

static const struct cfg_field bl_floor_fields[] = {
	BL_DBL("latency", s.sigma_floor[BK_QUANTILE], 0.001, 5),
	BL_DBL("rate", s.sigma_floor[BK_RATE], 0.001, 5),
	BL_DBL("mean", s.sigma_floor[BK_MEAN], 0.001, 5),
	CFG_END,
};

static const struct cfg_field bl_prior_fields[] = {
	BL_DBL("latency", s.sigma_prior[BK_QUANTILE], 0.001, 5),
	BL_DBL("rate", s.sigma_prior[BK_RATE], 0.001, 5),
	BL_DBL("mean", s.sigma_prior[BK_MEAN], 0.001, 5),
	CFG_END,
};

static const struct cfg_field bl_warm_fields[] = {
	BL_DBL("weeks", s.warm_weeks, 0, 520),
	BL_DBL("samples", s.warm_samples, 0, 1e9),
	BL_DBL("weight", s.warm_weight, 0.01, 1),
	CFG_END,
};

static const struct cfg_field bl_window_fields[] = {
	CFG_DUR("gateway_bucket", struct cfg_baselines, gateway_bucket_ms, 60000, 3600000),
	CFG_DUR("probe_bucket", struct cfg_baselines, probe_bucket_ms, 60000, 6 * 3600000.0),
	CFG_END,
};

static const struct cfg_field bl_rps_fields[] = {
	BL_DBL("gateway", s.max_rps[OBS_GATEWAY], 0.001, 1e7),
	BL_DBL("probe", s.max_rps[OBS_PROBE], 0.001, 1e7),
	CFG_END,
};

static const struct cfg_field bl_step_fields[] = {
	BL_DBL("min", s.step_min, 0.001, 10),
	BL_DBL("min_marker", s.step_min_marker, 0.001, 10),
	BL_DBL("z", s.step_z, 0.1, 100),
	BL_DBL("z_marker", s.step_z_marker, 0.1, 100),
	CFG_DUR("marker_window", struct cfg_baselines, marker_window_ms, 3600000, 168 * 3600000.0),
	CFG_END,
};

static const struct cfg_field bl_refresh_fields[] = {
	{ .key = "weekday",
	  .type = CFG_T_ENUM,
	  .offset = offsetof(struct cfg_baselines, s.refresh_weekday),
	  .size = sizeof(int),
	  .names = weekday_names },
	BL_INT("hour", s.refresh_hour, 0, 23),
	CFG_END,
};

static const struct cfg_field bl_retention_fields[] = {
	CFG_DUR("minutes", struct cfg_baselines, minute_retention_ms, 3600000, 3650 * 864e5),
	CFG_DUR("hours", struct cfg_baselines, hour_retention_ms, 3600000, 3650 * 864e5),
	CFG_END,
};

static const struct cfg_field baselines_fields[] = {
	{ .key = "enabled",
	  .type = CFG_T_BOOL,
	  .offset = offsetof(struct cfg_baselines, s.enabled),
	  .size = sizeof(bool) },
	BL_DBL("season_half_life", s.season_half_life_weeks, 0.1, 520),
	BL_DBL("level_half_life", s.level_half_life_weeks, 0.1, 520),
	BL_DBL("false_events_per_week", s.false_events_per_week, 1e-6, 1e6),
	BL_DBL("between_share", s.between_share, 0.01, 0.99),
	BL_MAP("sigma_floor", bl_floor_fields),
	BL_MAP("sigma_prior", bl_prior_fields),
	BL_DBL("variance_prior_weeks", s.variance_prior_weeks, 0, 1000),
	BL_DBL("rate_prior_requests", s.rate_prior_requests, 0, 1e9),
	BL_DBL("rate_floor", s.rate_floor, 1e-9, 0.5),
	BL_INT("min_failures", s.min_failures, 1, 1e6),
	BL_DBL("clip_sigmas", s.clip_sigmas, 0.5, 100),
	BL_MAP("warm", bl_warm_fields),
	BL_MAP("window", bl_window_fields),
	BL_MAP("max_rps", bl_rps_fields),
	CFG_DUR("edge", struct cfg_baselines, edge_ms, 0, 1800000),
	BL_INT("min_hour_samples", s.min_hour_samples, 1, 1e9),
	BL_INT("min_hour_samples_p99", s.min_hour_samples_p99, 1, 1e9),
	BL_INT("p99_min_window", s.p99_min_window, 1, 1e9),
	BL_INT("min_mean_window", s.min_mean_window, 2, 1e9),
	BL_MAP("step", bl_step_fields),
	BL_DBL("drift_min", s.drift_min, 0, 1),
	BL_DBL("trend_max", s.trend_max, 0, 10),
	BL_MAP("refresh", bl_refresh_fields),
	CFG_DUR("realert", struct cfg_baselines, s.realert_ms, 1000, 864e5),
	{ .key = "holidays",
	  .type = CFG_T_DATES,
	  .offset = offsetof(struct cfg_baselines, s.holidays),
	  .count_offset = offsetof(struct cfg_baselines, s.n_holidays),
	  .max = BL_MAX_HOLIDAYS },
	BL_MAP("retention", bl_retention_fields),
	CFG_END,
};

const struct cfg_field config__root_fields[] = {
	CFG_MAP("store", struct vigil_config, store, store_fields),
	CFG_LIST("providers", struct vigil_config, providers, n_providers, provider_fields, false),
	CFG_MAP("thresholds", struct vigil_config, thresholds, threshold_fields),
	CFG_MAP("semantic", struct vigil_config, semantic, semantic_fields),
	CFG_MAP("incidents", struct vigil_config, incidents, incidents_fields),
	CFG_MAP("metrics", struct vigil_config, metrics, metrics_fields),
	CFG_LIST("sinks", struct vigil_config, sinks, n_sinks, sink_fields, false),
	CFG_LIST("events", struct vigil_config, events, n_events, events_file_fields, false),
	CFG_MAP("monitor", struct vigil_config, monitor, monitor_fields),
	CFG_MAP("probes", struct vigil_config, probes, probes_fields),
	CFG_MAP("baselines", struct vigil_config, baselines, baselines_fields),
	CFG_END,
};
