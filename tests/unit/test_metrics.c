/* test_metrics.c: the metrics registry and the Prometheus text format
 * (escaping, ordering, histograms), and the standard families' helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/metrics_std.h"
#include "core/vgerr.h"
#include "data/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_register(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	const char *const l[] = { "provider", NULL };
	const char *const l2[] = { "provider", "model", NULL };
	struct metric_family *c = metrics_counter(m, "x_total", "help", l);
	assert_non_null(c);
	assert_ptr_equal(metrics_counter(m, "x_total", "other help", l), c);
	assert_null(metrics_gauge(m, "x_total", "h", l));    /* another type */
	assert_null(metrics_counter(m, "x_total", "h", l2)); /* other labels */
	assert_null(metrics_counter(m, "9bad", "h", NULL));
	assert_null(metrics_counter(m, "bad-name", "h", NULL));
	const char *const reserved[] = { "__name", NULL };
	assert_null(metrics_counter(m, "y_total", "h", reserved));
	const char *const le[] = { "le", NULL };
	double b[] = { 1, 2 };
	assert_null(metrics_histogram(m, "h_seconds", "h", le, b, 2));
	double unordered[] = { 2, 1 };
	assert_null(metrics_histogram(m, "h_seconds", "h", NULL, unordered, 2));
	assert_non_null(metrics_gauge(m, "ns:colon_ok", "h", NULL));
	assert_ptr_equal(metrics_find(m, "x_total"), c);
	assert_null(metrics_find(m, "nope"));
	/* counters refuse to go down, or NaN */
	const char *v[] = { "openai" };
	assert_int_equal(metrics_add(c, v, -1), VG_EINVAL);
	assert_int_equal(metrics_add(c, v, NAN), VG_EINVAL);
	assert_int_equal(metrics_observe(c, v, 1), VG_EINVAL);
	assert_int_equal(metrics_inc(c, v), 0);
	assert_int_equal(metrics_add(c, v, 2.5), 0);
	assert_true(metrics_value(c, v) == 3.5);
	const char *w[] = { "anthropic" };
	assert_true(isnan(metrics_value(c, w)));
	assert_int_equal(metrics_remove(c, w), VG_ENOTFOUND);
	assert_int_equal(metrics_remove(c, v), 0);
	assert_true(isnan(metrics_value(c, v)));
	metrics_free(m);
}

static void test_render_format(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	const char *const l[] = { "provider", "detail", NULL };
	struct metric_family *c =
	        metrics_counter(m, "vigil_x_total", "Line one\nback\\slash \"q\"", l);
	const char *b1[] = { "zeta", "plain" };
	const char *b2[] = { "alpha", "quote \" back \\ nl \n end" };
	metrics_add(c, b1, 2);
	metrics_add(c, b2, 0.1);
	struct metric_family *g = metrics_gauge(m, "vigil_g", "A gauge.", NULL);
	metrics_set(g, NULL, -INFINITY);
	double bounds[] = { 0.05, 0.5, 1 };
	const char *const hl[] = { "p", NULL };
	struct metric_family *h =
	        metrics_histogram(m, "vigil_h_seconds", "Durations.", hl, bounds, 3);
	const char *hv[] = { "a" };
	metrics_observe(h, hv, 0.01);
	metrics_observe(h, hv, 0.7);
	metrics_observe(h, hv, 5);
	size_t len;
	char *text = metrics_render(m, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	const char *want =
	        "# HELP vigil_x_total Line one\\nback\\\\slash \"q\"\n"
	        "# TYPE vigil_x_total counter\n"
	        "vigil_x_total{provider=\"alpha\",detail=\"quote \\\" back \\\\ nl \\n end\"} 0.1\n"
	        "vigil_x_total{provider=\"zeta\",detail=\"plain\"} 2\n"
	        "# HELP vigil_g A gauge.\n"
	        "# TYPE vigil_g gauge\n"
	        "vigil_g -Inf\n"
	        "# HELP vigil_h_seconds Durations.\n"
	        "# TYPE vigil_h_seconds histogram\n"
	        "vigil_h_seconds_bucket{p=\"a\",le=\"0.05\"} 1\n"
	        "vigil_h_seconds_bucket{p=\"a\",le=\"0.5\"} 1\n"
	        "vigil_h_seconds_bucket{p=\"a\",le=\"1\"} 2\n"
	        "vigil_h_seconds_bucket{p=\"a\",le=\"+Inf\"} 3\n"
	        "vigil_h_seconds_sum{p=\"a\"} 5.71\n"
	        "vigil_h_seconds_count{p=\"a\"} 3\n";
	assert_string_equal(text, want);
	free(text);
	char buf[64];
	assert_int_equal(metrics_escape_label("a\"b", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "a\\\"b");
	assert_int_equal(metrics_escape_label("abcdef", buf, 4), 6); /* truncated, length needed */
	assert_string_equal(buf, "abc");
	metrics_clear(c);
	text = metrics_render(m, NULL);
	assert_null(strstr(text, "vigil_x_total{"));
	assert_non_null(strstr(text, "# TYPE vigil_x_total counter\n"));
	free(text);
	metrics_free(m);
}

static int hook_runs;
static void hook(void *data, struct metrics *m)
{
	(void)m;
	hook_runs++;
	metrics_set(data, NULL, hook_runs);
}

static void test_collect_and_many_series(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	struct metric_family *g = metrics_gauge(m, "vigil_depth", "Depth.", NULL);
	assert_int_equal(metrics_on_collect(m, hook, g), 0);
	char *t = metrics_render(m, NULL);
	assert_non_null(strstr(t, "vigil_depth 1\n"));
	free(t);
	t = metrics_render(m, NULL);
	assert_non_null(strstr(t, "vigil_depth 2\n"));
	free(t);
	/* many series: the hash index grows, every value stays reachable */
	const char *const l[] = { "k", NULL };
	struct metric_family *c = metrics_counter(m, "vigil_many_total", "Many.", l);
	char key[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%04d", i);
		const char *v[] = { key };
		assert_int_equal(metrics_add(c, v, i), 0);
	}
	for (int i = 0; i < 2000; i += 37) {
		snprintf(key, sizeof(key), "k%04d", i);
		const char *v[] = { key };
		assert_true(metrics_value(c, v) == i);
	}
	t = metrics_render(m, NULL);
	const char *a = strstr(t, "vigil_many_total{k=\"k0000\"} 0\n");
	const char *z = strstr(t, "vigil_many_total{k=\"k1999\"} 1999\n");
	assert_non_null(a);
	assert_non_null(z);
	assert_true(a < z);
	free(t);
	metrics_free(m);
}

static void test_std(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	struct vigil_metrics vm;
	assert_int_equal(metrics_std_register(m, &vm, "0.1.0"), 0);
	/* registering twice is harmless */
	struct vigil_metrics vm2;
	assert_int_equal(metrics_std_register(m, &vm2, "0.1.0"), 0);
	assert_ptr_equal(vm.requests, vm2.requests);
	assert_string_equal(metrics_std_status_class(503), "5xx");
	assert_string_equal(metrics_std_status_class(200), "2xx");
	assert_string_equal(metrics_std_status_class(-1), "transport");

	struct observation o;
	observation_init(&o);
	o.source = OBS_PROBE;
	snprintf(o.pid.provider, sizeof(o.pid.provider), "openai");
	snprintf(o.pid.model, sizeof(o.pid.model), "gpt-4o");
	o.http_status = 429;
	o.norm.rl_requests.remaining = 3;
	o.norm.rl_requests.limit = 500;
	metrics_std_observation(&vm, &o);
	metrics_std_observation(&vm, &o);
	const char *rv[] = { "probe", "openai", "gpt-4o", "4xx" };
	assert_true(metrics_value(vm.requests, rv) == 2);
	const char *rl[] = { "openai", "gpt-4o", "requests" };
	assert_true(metrics_value(vm.rl_remaining, rl) == 3);
	assert_true(metrics_value(vm.rl_limit, rl) == 500);

	struct http_times t = { .namelookup_us = 1000,
		                .connect_us = 3000,
		                .appconnect_us = 10000,
		                .pretransfer_us = 10100,
		                .starttransfer_us = 210100,
		                .total_us = 250100 };
	metrics_std_probe(&vm, "openai", "gpt-4o", &t, true, 0.0002);
	const char *pv[] = { "openai", "gpt-4o", "processing" };
	assert_true(fabs(metrics_value(vm.probe_phase, pv) - 0.2) < 1e-9);
	const char *tv[] = { "openai", "gpt-4o", "tls" };
	assert_true(fabs(metrics_value(vm.probe_phase, tv) - 0.007) < 1e-9);
	const char *sv[] = { "openai", "gpt-4o" };
	assert_true(metrics_value(vm.probe_success, sv) == 1);

	/* The canary hands results, budgets and skips to hooks; these record
	 * them into the same families. */
	struct canary_hooks h;
	metrics_std_canary_hooks(&vm, &h);
	struct canary_result cr = { .endpoint = "anthropic/haiku",
		                    .provider = "anthropic",
		                    .model = "haiku",
		                    .healthy = false,
		                    .times = &t,
		                    .spend_usd = 0.5 };
	h.result(h.ud, &o, &cr);
	h.result(h.ud, &o, &cr);
	const char *hv[] = { "anthropic", "haiku" };
	assert_true(metrics_value(vm.probe_success, hv) == 0);
	assert_true(metrics_value(vm.probe_spend, hv) == 1.0);
	h.budget(h.ud, "anthropic", true, 0.75);
	const char *bv[] = { "anthropic" };
	assert_true(metrics_value(vm.probe_budget_exhausted, bv) == 1);
	assert_true(metrics_value(vm.probe_spend_today, bv) == 0.75);
	h.skipped(h.ud, "anthropic", "haiku", "budget");
	const char *kv[] = { "anthropic", "haiku", "budget" };
	assert_true(metrics_value(vm.probe_skipped, kv) == 1);

	/* The outbox gets its three families as generic handles. */
	struct outbox_metrics om = metrics_std_outbox(&vm);
	assert_ptr_equal(om.pending, vm.outbox_pending);
	assert_ptr_equal(om.deliveries, vm.sink_deliveries);
	assert_ptr_equal(om.up, vm.sink_up);

	/* a pipeline's effects and its live state */
	struct core_settings s;
	settings_defaults(&s);
	struct pipeline *p = pipeline_new(&s, NULL, 0);
	struct effects fx;
	o.source = OBS_GATEWAY;
	o.ts_ms = 1767225600000LL;
	o.http_status = 500;
	o.norm.error_class = EC_SERVER_ERROR;
	assert_int_equal(pipeline_feed(p, &o, o.ts_ms, &fx), 0);
	metrics_std_effects(&vm, &fx);
	struct metrics_std_source src = { .vm = &vm, .pipeline = p };
	assert_int_equal(metrics_on_collect(m, metrics_std_collect_pipeline, &src), 0);
	char *text = metrics_render(m, NULL);
	assert_non_null(strstr(text, "vigil_failure_events_total{category=\"provider\","
	                             "subtype=\"server_error\","));
	assert_non_null(strstr(text, "vigil_incident_changes_total{kind=\"opened\"} 1\n"));
	assert_non_null(strstr(text, "vigil_build_info{version=\"0.1.0\"} 1\n"));
	/* the provider's own rows have their own families: no model="" row sits
	 * beside the model rows it would double-count under sum() */
	assert_non_null(strstr(text, "vigil_provider_breaker_state{provider=\"openai\","
	                             "state=\"closed\"} 1\n"));
	assert_non_null(strstr(text, "vigil_availability_ratio{provider=\"openai\","
	                             "model=\"gpt-4o\"} "));
	assert_non_null(strstr(text, "vigil_provider_availability_ratio{provider=\"openai\"} "));
	assert_null(strstr(text, "model=\"\""));
	/* one open incident of category provider */
	int open = 0;
	for (const char *q = text; (q = strstr(q, "vigil_incidents_open{category=\"provider\""));
	     q++)
		open += strstr(q, "} 1\n") == strchr(q, '}');
	assert_int_equal(open, 1);
	free(text);
	pipeline_free(p);
	metrics_free(m);
}

/* metrics_fold(): a label value's series go to another value; counters and
 * histograms add up (the sum over the label is unchanged), gauges drop. */
static void test_fold(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	const char *const l[] = { "provider", "model", NULL };
	struct metric_family *c = metrics_counter(m, "c_total", "h", l);
	struct metric_family *g = metrics_gauge(m, "g", "h", l);
	double b[] = { 1, 2 };
	struct metric_family *h = metrics_histogram(m, "h_seconds", "h", l, b, 2);
	const char *a1[] = { "openai", "a" }, *a2[] = { "google", "a" };
	const char *o1[] = { "openai", "other" }, *o2[] = { "google", "other" };
	const char *k1[] = { "openai", "keep" };
	metrics_add(c, a1, 3);
	metrics_add(c, a2, 4);
	metrics_add(c, o1, 10);
	metrics_add(c, k1, 1);
	metrics_set(g, a1, 7);
	metrics_observe(h, a1, 0.5);
	metrics_observe(h, a1, 1.5);
	metrics_observe(h, o1, 3);
	assert_int_equal(metrics_fold(c, "model", "a", "other"), 2);
	assert_true(metrics_value(c, o1) == 13);
	assert_true(metrics_value(c, o2) == 4); /* created */
	assert_true(isnan(metrics_value(c, a1)));
	assert_true(metrics_value(c, k1) == 1);
	assert_int_equal(metrics_fold(g, "model", "a", "other"), 1);
	assert_true(isnan(metrics_value(g, a1)));
	assert_true(isnan(metrics_value(g, o1))); /* a gauge is not added anywhere */
	assert_int_equal(metrics_fold(h, "model", "a", "other"), 1);
	assert_int_equal(metrics_fold(h, "model", "a", "other"), 0);
	/* a value that held a key shape is stored masked: folding it by the
	 * name the caller knows still finds it */
	const char *key[] = { "openai", "sk-0123456789abcdefghijABCDEFGHIJ" };
	metrics_add(c, key, 2);
	assert_int_equal(metrics_fold(c, "model", key[1], "other"), 1);
	assert_true(metrics_value(c, o1) == 15);
	assert_int_equal(metrics_fold(h, "nope", "a", "other"), VG_EINVAL);
	assert_int_equal(metrics_fold(h, "model", "x", "x"), VG_EINVAL);
	char *text = metrics_render(m, NULL);
	assert_non_null(strstr(text, "h_seconds_bucket{provider=\"openai\",model=\"other\","
	                             "le=\"1\"} 1\n"));
	assert_non_null(strstr(text, "h_seconds_bucket{provider=\"openai\",model=\"other\","
	                             "le=\"2\"} 2\n"));
	assert_non_null(strstr(text, "h_seconds_bucket{provider=\"openai\",model=\"other\","
	                             "le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(text, "h_seconds_sum{provider=\"openai\",model=\"other\"} 5\n"));
	assert_null(strstr(text, "model=\"a\""));
	free(text);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_render_format),
		cmocka_unit_test(test_collect_and_many_series),
		cmocka_unit_test(test_std),
		cmocka_unit_test(test_fold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
