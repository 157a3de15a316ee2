/*
 * config.c: the vigil.yaml loader (libfyaml) and the tables of its sections.
 *
 * config_load() parses the document, then walks it against the root table;
 * every node it visits is checked against the field it lands in. The first
 * error stops the walk and comes back as "file:line:col: key.path: reason".
 */
#include "app/config.h"

#include "core/timeparse.h"
#include "core/vgerr.h"
#include "data/sinks.h"
#include "probes/canary.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	CFG_STR(struct cfg_incidents, instance, false),
	CFG_STR(struct cfg_incidents, runbook_base, false),
	CFG_STR(struct cfg_incidents, console_url, false),
	CFG_END,
};

static const struct cfg_field metrics_fields[] = {
	CFG_STR(struct cfg_metrics, listen, false),
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

static const struct cfg_field root_fields[] = {
	CFG_MAP("store", struct vigil_config, store, store_fields),
	CFG_LIST("providers", struct vigil_config, providers, n_providers, provider_fields, false),
	CFG_MAP("thresholds", struct vigil_config, thresholds, threshold_fields),
	CFG_MAP("semantic", struct vigil_config, semantic, semantic_fields),
	CFG_MAP("incidents", struct vigil_config, incidents, incidents_fields),
	CFG_MAP("metrics", struct vigil_config, metrics, metrics_fields),
	CFG_LIST("sinks", struct vigil_config, sinks, n_sinks, sink_fields, false),
	CFG_LIST("events", struct vigil_config, events, n_events, events_file_fields, false),
	CFG_MAP("probes", struct vigil_config, probes, probes_fields),
	CFG_END,
};

/* ---- the walker ---------------------------------------------------------- */

struct walk {
	const char *file;
	char *cause; /* set on the first error */
};

static int node_line(struct fy_node *n, int *col)
{
	struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	if (!m) {
		*col = 0;
		return 0;
	}
	*col = m->column + 1;
	return m->line + 1;
}

/* Records an error at `at` (a scalar node, usually the key) for key path `path`. */
__attribute__((format(printf, 4, 5))) static int err(struct walk *w, struct fy_node *at,
                                                     const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int col;
	int line = node_line(at, &col);
	size_t n = strlen(w->file) + strlen(path) + strlen(msg) + 64;
	free(w->cause);
	w->cause = malloc(n);
	if (!w->cause)
		return VG_ENOMEM;
	if (line > 0)
		snprintf(w->cause, n, "%s:%d:%d: %s: %s", w->file, line, col, path, msg);
	else
		snprintf(w->cause, n, "%s: %s: %s", w->file, path, msg);
	return VG_ECONFIG;
}

static const char *type_name(struct fy_node *n)
{
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: return "a scalar";
	case FYNT_SEQUENCE: return "a list";
	case FYNT_MAPPING: return "a mapping";
	}
	return "unknown";
}

static int walk_map(struct walk *w, struct fy_node *map, struct fy_node *key_node,
                    const struct cfg_field *fields, void *base, const char *path);

static bool parse_i64(const char *s, size_t len, int64_t *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_f64(const char *s, size_t len, double *out)
{
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno || *end || v != v)
		return false;
	*out = v;
	return true;
}

static int in_range(struct walk *w, struct fy_node *at, const char *path, const struct cfg_field *f,
                    double v)
{
	if (f->lo < f->hi && (v < f->lo || v > f->hi))
		return err(w, at, path, "value %g out of range [%g, %g]", v, f->lo, f->hi);
	return 0;
}

static int walk_scalar(struct walk *w, struct fy_node *val, const struct cfg_field *f, void *base,
                       const char *path)
{
	char *dst = (char *)base + f->offset;
	size_t len;
	const char *s;
	if (fy_node_get_type(val) != FYNT_SCALAR)
		return err(w, val, path, "expected a scalar, got %s", type_name(val));
	s = fy_node_get_scalar(val, &len);
	if (!s)
		return err(w, val, path, "empty value");
	switch (f->type) {
	case CFG_T_STRING:
		if (len >= f->size)
			return err(w, val, path, "too long (%zu bytes, at most %zu)", len,
			           f->size - 1);
		memcpy(dst, s, len);
		dst[len] = '\0';
		return 0;
	case CFG_T_INT: {
		int64_t v;
		if (!parse_i64(s, len, &v))
			return err(w, val, path, "expected an integer, got '%.*s'", (int)len, s);
		int rc = in_range(w, val, path, f, (double)v);
		if (rc)
			return rc;
		if (f->size == sizeof(int32_t)) {
			int32_t v32 = (int32_t)v;
			memcpy(dst, &v32, sizeof(v32));
		} else {
			memcpy(dst, &v, sizeof(v));
		}
		return 0;
	}
	case CFG_T_DOUBLE: {
		double v;
		if (!parse_f64(s, len, &v))
			return err(w, val, path, "expected a number, got '%.*s'", (int)len, s);
		int rc = in_range(w, val, path, f, v);
		if (rc)
			return rc;
		memcpy(dst, &v, sizeof(v));
		return 0;
	}
	case CFG_T_BOOL: {
		bool v;
		if ((len == 4 && memcmp(s, "true", 4) == 0) ||
		    (len == 3 && memcmp(s, "yes", 3) == 0))
			v = true;
		else if ((len == 5 && memcmp(s, "false", 5) == 0) ||
		         (len == 2 && memcmp(s, "no", 2) == 0))
			v = false;
		else
			return err(w, val, path, "expected true or false, got '%.*s'", (int)len, s);
		memcpy(dst, &v, sizeof(v));
		return 0;
	}
	case CFG_T_DURATION: {
		int64_t ms;
		if (timeparse_go_duration(s, len, &ms) != 0)
			return err(w, val, path,
			           "expected a duration like 500ms, 30s, 5m or 1h, got '%.*s'",
			           (int)len, s);
		int rc = in_range(w, val, path, f, (double)ms);
		if (rc)
			return rc;
		memcpy(dst, &ms, sizeof(ms));
		return 0;
	}
	case CFG_T_ENUM: {
		for (int i = 0; f->names[i]; i++) {
			if (strlen(f->names[i]) == len && memcmp(f->names[i], s, len) == 0) {
				memcpy(dst, &i, sizeof(i));
				return 0;
			}
		}
		char expected[256] = "";
		size_t o = 0;
		for (int i = 0; f->names[i] && o < sizeof(expected) - 1; i++)
			o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s",
			                      i ? ", " : "", f->names[i]);
		return err(w, val, path, "unknown value '%.*s' (expected one of %s)", (int)len, s,
		           expected);
	}
	default: return err(w, val, path, "internal: not a scalar field");
	}
}

static int walk_list(struct walk *w, struct fy_node *seq, struct fy_node *key_node,
                     const struct cfg_field *f, void *base, const char *path)
{
	if (fy_node_get_type(seq) != FYNT_SEQUENCE)
		return err(w, key_node, path, "expected a list, got %s", type_name(seq));
	size_t *count = (size_t *)((char *)base + f->count_offset);
	char *items = (char *)base + f->offset;
	void *iter = NULL;
	struct fy_node *item;
	*count = 0;
	while ((item = fy_node_sequence_iterate(seq, &iter)) != NULL) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, *count);
		if (*count >= f->max)
			return err(w, key_node, path, "too many entries (at most %zu)", f->max);
		char *elem = items + *count * f->size;
		memset(elem, 0, f->size);
		int rc = walk_map(w, item, key_node, f->fields, elem, sub);
		if (rc)
			return rc;
		(*count)++;
	}
	return 0;
}

static int walk_map(struct walk *w, struct fy_node *map, struct fy_node *key_node,
                    const struct cfg_field *fields, void *base, const char *path)
{
	if (!map || fy_node_get_type(map) != FYNT_MAPPING)
		return err(w, key_node, path[0] ? path : "(top level)",
		           "expected a mapping, got %s", map ? type_name(map) : "nothing");
	bool seen[64] = { false };
	size_t nfields = 0;
	while (fields[nfields].key)
		nfields++;
	void *iter = NULL;
	struct fy_node_pair *pair;
	struct fy_node *first_key = NULL;
	while ((pair = fy_node_mapping_iterate(map, &iter)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pair);
		if (!first_key)
			first_key = k;
		struct fy_node *v = fy_node_pair_value(pair);
		size_t klen = 0;
		const char *ks = k && fy_node_get_type(k) == FYNT_SCALAR
		                         ? fy_node_get_scalar(k, &klen)
		                         : NULL;
		if (!ks)
			return err(w, k, path[0] ? path : "(top level)",
			           "keys must be plain scalars");
		char sub[256];
		snprintf(sub, sizeof(sub), "%s%s%.*s", path, path[0] ? "." : "", (int)klen, ks);
		size_t i;
		for (i = 0; i < nfields; i++) {
			if (strlen(fields[i].key) == klen && memcmp(fields[i].key, ks, klen) == 0)
				break;
		}
		if (i == nfields)
			return err(w, k, sub, "unknown key");
		seen[i] = true;
		const struct cfg_field *f = &fields[i];
		int rc;
		if (!v)
			return err(w, k, sub, "missing value");
		if (f->type == CFG_T_MAP)
			rc = walk_map(w, v, k, f->fields, (char *)base + f->offset, sub);
		else if (f->type == CFG_T_LIST)
			rc = walk_list(w, v, k, f, base, sub);
		else
			rc = walk_scalar(w, v, f, base, sub);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < nfields; i++) {
		if (fields[i].required && !seen[i]) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			         fields[i].key);
			return err(w, first_key ? first_key : key_node, sub,
			           "missing required key");
		}
	}
	return 0;
}

/* ---- checks across fields -------------------------------------------- */

static bool env_name_ok(const char *s)
{
	for (const char *c = s; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return true;
}

/* Host and port of a listen address ("127.0.0.1:9464", "[::1]:0", ":9464"). */
int config_split_listen(const char *listen, char *host, size_t host_size, int *port)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || !colon[1])
		return VG_EINVAL;
	const char *h = listen;
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0) {
		h = "0.0.0.0";
		hlen = 7;
	}
	if (hlen >= host_size)
		return VG_EINVAL;
	char *end;
	errno = 0;
	long v = strtol(colon + 1, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return VG_EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)v;
	return 0;
}

static int check_sinks(struct walk *w, struct vigil_config *cfg)
{
	char host[64];
	int port;
	if (config_split_listen(cfg->metrics.listen, host, sizeof(host), &port))
		return err(w, NULL, "metrics.listen",
		           "'%s' is not host:port (e.g. 127.0.0.1:9464; port 0 picks one)",
		           cfg->metrics.listen);
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		struct cfg_sink *s = &cfg->sinks[i];
		char path[64];
		snprintf(path, sizeof(path), "sinks[%zu]", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->sinks[j].name, s->name) == 0)
				return err(w, NULL, path, "duplicate sink name '%s'", s->name);
		if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0)
			return err(w, NULL, path, "url '%s' must start with http:// or https://",
			           s->url);
		if (!env_name_ok(s->secret_env))
			return err(w, NULL, path,
			           "secret_env '%s' must name an environment variable "
			           "(A-Z, 0-9, _), not hold a secret",
			           s->secret_env);
		if (s->kind == SINK_PAGERDUTY && !s->secret_env[0])
			return err(w, NULL, path,
			           "a pagerduty sink needs secret_env (the variable with the "
			           "routing key)");
		if (s->min_severity[0]) {
			int sev = model_severity_parse(s->min_severity, (size_t)-1);
			if (sev < 0)
				return err(
				        w, NULL, path,
				        "min_severity '%s' is not one of critical, high, medium, "
				        "low",
				        s->min_severity);
			s->min_severity_value = sev;
		} else {
			s->min_severity_value =
			        s->kind == SINK_PAGERDUTY || s->kind == SINK_ALERTMANAGER ? SEV_HIGH
			                                                                  : SEV_LOW;
		}
		if (!s->timeout_ms)
			s->timeout_ms = 10000;
		if (!s->resend_interval_ms)
			s->resend_interval_ms = 60000;
		if (!s->resolve_timeout_ms)
			s->resolve_timeout_ms = 5 * 60000;
		if (!s->silence_ms)
			s->silence_ms = 4 * 3600000;
		if (!s->project[0])
			model_copy_str(s->project, sizeof(s->project), "OPS", (size_t)-1);
		if (!s->issue_type[0])
			model_copy_str(s->issue_type, sizeof(s->issue_type), "Task", (size_t)-1);
	}
	return 0;
}

static int check(struct walk *w, struct vigil_config *cfg)
{
	int rc = check_sinks(w, cfg);
	if (rc)
		return rc;
	if (cfg->probes.jitter_ms >= cfg->probes.interval_ms)
		return err(w, NULL, "probes.jitter",
		           "jitter (%lld ms) must be less than the interval (%lld ms)",
		           (long long)cfg->probes.jitter_ms, (long long)cfg->probes.interval_ms);
	for (size_t i = 0; i < cfg->n_providers; i++) {
		struct cfg_provider *p = &cfg->providers[i];
		char path[64];
		snprintf(path, sizeof(path), "providers[%zu]", i);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(cfg->providers[j].name, p->name) == 0)
				return err(w, NULL, path, "duplicate provider name '%s'", p->name);
		}
		if (strncmp(p->base_url, "http://", 7) != 0 &&
		    strncmp(p->base_url, "https://", 8) != 0)
			return err(w, NULL, path,
			           "base_url '%s' must start with http:// or https://",
			           p->base_url);
		for (const char *c = p->api_key_env; *c; c++) {
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
				return err(w, NULL, path,
				           "api_key_env '%s' must name an environment variable "
				           "(A-Z, 0-9, _), not hold a key",
				           p->api_key_env);
		}
		if (!p->key_alias[0])
			model_copy_str(p->key_alias, sizeof(p->key_alias), p->name, (size_t)-1);
	}
	return 0;
}

/* ---- entry points ------------------------------------------------------- */

void config_defaults(struct vigil_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	model_copy_str(cfg->store.path, sizeof(cfg->store.path), "vigil.db", (size_t)-1);
	cfg->store.batch_rows = 20000;
	cfg->store.batch_ms = 200;
	cfg->store.queue_batches = 8;
	cfg->store.retention_ms = 30 * 86400000LL;
	settings_defaults(&cfg->thresholds);
	cfg->semantic.sidecar_queue = 256;
	semantic_defaults(&cfg->semantic.checks);
	struct incident_settings is;
	incident_settings_defaults(&is);
	cfg->incidents.group_gap_ms = is.group_gap_ms;
	cfg->incidents.quiet_period_ms = is.quiet_period_ms;
	cfg->incidents.ticket_after_ms = is.ticket_after_ms;
	cfg->incidents.keep_resolved_ms = is.keep_resolved_ms;
	model_copy_str(cfg->incidents.instance, sizeof(cfg->incidents.instance), is.instance,
	               (size_t)-1);
	model_copy_str(cfg->metrics.listen, sizeof(cfg->metrics.listen), "127.0.0.1:9464",
	               (size_t)-1);
	cfg->probes.enabled = true;
	cfg->probes.interval_ms = 60000;
	cfg->probes.jitter_ms = 10000;
	cfg->probes.connect_timeout_ms = 5000;
	cfg->probes.timeout_ms = 20000;
	cfg->probes.max_tokens = 16;
	cfg->probes.max_body = 1048576;
	cfg->probes.daily_budget_usd = 1.0;
	cfg->probes.availability = false;
	cfg->probes.models = PROBE_MODELS_ALL;
}

void config_incident_settings(const struct vigil_config *cfg, struct incident_settings *s)
{
	incident_settings_defaults(s);
	s->group_gap_ms = cfg->incidents.group_gap_ms;
	s->quiet_period_ms = cfg->incidents.quiet_period_ms;
	s->ticket_after_ms = cfg->incidents.ticket_after_ms;
	s->keep_resolved_ms = cfg->incidents.keep_resolved_ms;
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

static int load(struct vigil_config *cfg, const char *file, const char *yaml, size_t len,
                char **cause)
{
	struct walk w = { .file = file, .cause = NULL };
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	int rc = 0;
	if (!diag)
		return VG_ENOMEM;
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pcfg = { .flags = FYPCF_QUIET, .diag = diag };
	struct fy_document *doc = yaml ? fy_document_build_from_string(&pcfg, yaml, len)
	                               : fy_document_build_from_file(&pcfg, file);
	if (!doc) {
		void *it = NULL;
		struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
		FILE *probe = yaml ? NULL : fopen(file, "r");
		if ((yaml || probe) && !de) {
			/* A stream with no document (empty, or only comments) is an empty config. */
			if (probe)
				fclose(probe);
			model_copy_str(cfg->file, sizeof(cfg->file), file, (size_t)-1);
			goto out;
		}
		if (!yaml && !probe) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s: cannot open: %s", file, strerror(errno));
			w.cause = strdup(msg);
			rc = VG_EIO;
		} else {
			char msg[512];
			if (de)
				/* libfyaml's diagnostics are 1-based already. */
				snprintf(msg, sizeof(msg), "%s:%d:%d: invalid YAML: %s", file,
				         de->line, de->column, de->msg);
			else
				snprintf(msg, sizeof(msg), "%s: invalid YAML", file);
			w.cause = strdup(msg);
			rc = VG_ECONFIG;
		}
		if (probe)
			fclose(probe);
		goto out;
	}
	struct fy_node *root = fy_document_root(doc);
	if (root) /* an empty file is an empty config */
		rc = walk_map(&w, root, NULL, root_fields, cfg, "");
	if (!rc)
		rc = check(&w, cfg);
	if (!rc)
		model_copy_str(cfg->file, sizeof(cfg->file), file, (size_t)-1);
	fy_document_destroy(doc);
out:
	fy_diag_destroy(diag);
	if (rc && cause)
		*cause = w.cause ? w.cause : strdup(vg_strerror(rc));
	else
		free(w.cause);
	return rc;
}

int config_load(struct vigil_config *cfg, const char *path, char **cause)
{
	return load(cfg, path, NULL, 0, cause);
}

int config_load_string(struct vigil_config *cfg, const char *yaml, size_t len, const char *name,
                       char **cause)
{
	return load(cfg, name, yaml, len, cause);
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
