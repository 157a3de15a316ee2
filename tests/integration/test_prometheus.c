/*
 * test_prometheus.c: vigil's /metrics (data/metrics on the loop, fed by the
 * real pipeline, a real probe over loopback and the outbox) checked by the
 * real tools: `promtool check metrics` on the scraped text, and a real
 * Prometheus (Debian's `prometheus`, started here on a free loopback port
 * with a generated config and a temporary data dir) that scrapes vigil
 * every second; the test queries its HTTP API for the expected series and
 * values, among them the GenAI families as a dashboard reads them
 * (histogram_quantile over the duration buckets by provider, tokens by
 * type, spend, the model cap). Set VIGIL_TEST_VERBOSE=1 to print the scrape and the answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/metrics_std.h"
#include "core/pipeline.h"
#include "core/vgerr.h"
#include "net/http.h"
#include "net/httpd.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1767225600000LL

static pid_t started_pid = -1;
static char *started_dir;

struct t {
	uv_loop_t loop;
	struct http_client *http;
	struct metrics *reg;
	struct vigil_metrics vm;
	struct metrics_std_source src;
	struct pipeline *p;
	struct httpd *metrics_srv, *target;
	int metrics_port, prom_port;
	char *dir;
	pid_t prom;
};

static void on_target(void *data, const struct httpd_request *req, struct httpd_reply *reply)
{
	(void)data;
	(void)req;
	httpd_respond(reply, 200, "application/json", "{\"ok\":true}", 11, NULL, 0);
}

static void on_probe(void *data, const struct http_response *r)
{
	struct t *t = data;
	metrics_std_probe(&t->vm, "openai", "gpt-4o \"mini\"", &r->times,
	                  r->err == 0 && r->status == 200, 0.00042);
}

static bool no_flight(void *data)
{
	return http_in_flight(((struct t *)data)->http) == 0;
}

/* Feed the pipeline and the metrics like the daemon does. */
static void feed(struct t *t)
{
	struct effects fx;
	for (int i = 0; i < 30; i++) {
		struct observation o;
		observation_init(&o);
		o.ts_ms = T0 + i * 100;
		model_copy_str(o.pid.provider, sizeof(o.pid.provider), "openai", (size_t)-1);
		model_copy_str(o.pid.model, sizeof(o.pid.model), "gpt-4o", (size_t)-1);
		snprintf(o.request_id, sizeof(o.request_id), "r%d", i);
		o.total_ms = 400;
		o.http_status = i < 20 ? 200 : 503;
		o.norm.error_class = i < 20 ? EC_OK : EC_OVERLOADED;
		o.norm.rl_requests.remaining = 100 - i;
		o.norm.rl_requests.limit = 100;
		assert_int_equal(pipeline_feed(t->p, &o, o.ts_ms, &fx), 0);
		metrics_std_observation(&t->vm, &o);
		metrics_std_effects(&t->vm, &fx);
	}
	/* gateway traffic for the GenAI families: ten streamed anthropic requests
	 * of 3 s (first token at 200 ms, 1000 tokens in, 200 out, 1 cent each),
	 * two on a third model (the cap is 2: "other"), and a probe's
	 * observation, which the GenAI families ignore */
	for (int i = 0; i < 13; i++) {
		struct observation o;
		observation_init(&o);
		o.source = i < 12 ? OBS_GATEWAY : OBS_PROBE;
		o.ts_ms = T0 + 5000 + i * 100;
		model_copy_str(o.pid.provider, sizeof(o.pid.provider),
		               i < 10 ? "anthropic" : "openai", (size_t)-1);
		model_copy_str(o.pid.model, sizeof(o.pid.model),
		               i < 10 ? "claude-haiku" : "gpt-4o-mini", (size_t)-1);
		snprintf(o.request_id, sizeof(o.request_id), "g%d", i);
		o.total_ms = 3000;
		o.ttfb_ms = 200;
		o.stream = VG_TRI_TRUE;
		o.http_status = 200;
		o.norm.error_class = EC_OK;
		o.input_tokens = 1000;
		o.output_tokens = 200;
		o.cost_usd = 0.01;
		assert_int_equal(pipeline_feed(t->p, &o, o.ts_ms, &fx), 0);
		metrics_std_observation(&t->vm, &o);
		metrics_std_effects(&t->vm, &fx);
	}
	/* a real probe: phase times from libcurl */
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/chat", httpd_port(t->target));
	struct http_request req = { .url = url, .fresh_connect = true };
	assert_int_equal(http_request(t->http, &req, on_probe, t, NULL), 0);
	assert_true(tp_wait(&t->loop, no_flight, t, 5000));
	const char *q[] = { "schema_mismatch" };
	metrics_add(t->vm.ingest_lines, NULL, 12345);
	metrics_add(t->vm.ingest_quarantined, q, 3);
	metrics_set(t->vm.sidecar_depth, NULL, 7);
	metrics_set(t->vm.sidecar_capacity, NULL, 1024);
}

static char *scrape(struct t *t)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", t->metrics_port);
	struct tp_response r;
	assert_int_equal(tp_http(&t->loop, t->http, NULL, url, NULL, NULL, 5000, &r), 0);
	assert_int_equal(r.status, 200);
	return r.body;
}

static void promtool_check(struct t *t, const char *text)
{
	char *bin = tp_which("promtool");
	if (!bin)
		fail_msg("promtool not found: install prometheus (scripts/setup.sh --test)");
	char in[512], out[512];
	snprintf(in, sizeof(in), "%s/scrape.txt", t->dir);
	snprintf(out, sizeof(out), "%s/promtool.out", t->dir);
	FILE *f = fopen(in, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	char *argv[] = { bin, "check", "metrics", NULL };
	int rc = tp_run(argv, in, out);
	char *msg = tu_read_file(out, NULL);
	if (rc != 0)
		fail_msg("promtool check metrics failed (%d):\n%s", rc, msg ? msg : "");
	/* promtool prints lint problems but still exits 0 for some; none wanted */
	assert_true(!msg || msg[strspn(msg, " \n")] == '\0');
	free(msg);
	free(bin);
}

static bool prom_ready(void *data)
{
	struct t *t = data;
	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/-/ready", t->prom_port);
	struct tp_response r;
	tp_http(&t->loop, t->http, NULL, url, NULL, NULL, 1000, &r);
	free(r.body);
	return r.status == 200;
}

static void start_prometheus(struct t *t)
{
	char *bin = tp_which("prometheus");
	if (!bin)
		fail_msg("prometheus not found: install it (scripts/setup.sh --test)");
	char cfg[512], data[512], logp[512], a1[600], a2[600], a3[96];
	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", t->dir);
	snprintf(data, sizeof(data), "%s/tsdb", t->dir);
	snprintf(logp, sizeof(logp), "%s/prometheus.log", t->dir);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f,
	        "global:\n"
	        "  scrape_interval: 1s\n"
	        "  scrape_timeout: 1s\n"
	        "scrape_configs:\n"
	        "  - job_name: vigil\n"
	        "    static_configs:\n"
	        "      - targets: ['127.0.0.1:%d']\n",
	        t->metrics_port);
	fclose(f);
	t->prom_port = tp_free_port();
	snprintf(a1, sizeof(a1), "--config.file=%s", cfg);
	snprintf(a2, sizeof(a2), "--storage.tsdb.path=%s", data);
	snprintf(a3, sizeof(a3), "--web.listen-address=127.0.0.1:%d", t->prom_port);
	char *argv[] = { bin, a1, a2, a3, "--log.level=warn", NULL };
	t->prom = tp_spawn(argv, logp);
	started_pid = t->prom;
	free(bin);
	assert_true(t->prom > 0);
	if (!tp_wait(&t->loop, prom_ready, t, 30000)) {
		char *log = tu_read_file(logp, NULL);
		fail_msg("prometheus did not become ready:\n%s", log ? log : "(no log)");
	}
}

/* Query Prometheus; returns data.result (a new reference) or NULL. */
static json_t *query(struct t *t, const char *promql)
{
	char enc[1024], url[1200];
	tp_urlencode(promql, enc, sizeof(enc));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/query?query=%s", t->prom_port, enc);
	struct tp_response r;
	if (tp_http(&t->loop, t->http, NULL, url, NULL, NULL, 5000, &r) || r.status != 200) {
		free(r.body);
		return NULL;
	}
	if (getenv("VIGIL_TEST_VERBOSE"))
		fprintf(stderr, "query %s ->\n%s\n", promql, r.body);
	json_t *j = json_loads(r.body, 0, NULL);
	free(r.body);
	json_t *res = json_incref(json_object_get(json_object_get(j, "data"), "result"));
	json_decref(j);
	return res;
}

struct wantq {
	struct t *t;
	const char *q;
};

static bool has_result(void *data)
{
	struct wantq *w = data;
	json_t *r = query(w->t, w->q);
	bool ok = json_array_size(r) > 0;
	json_decref(r);
	return ok;
}

static double value_of(json_t *sample)
{
	json_t *v = json_array_get(json_object_get(sample, "value"), 1);
	return strtod(json_string_value(v), NULL);
}

static const char *metric_label(json_t *sample, const char *k)
{
	return json_string_value(json_object_get(json_object_get(sample, "metric"), k));
}

/* The first sample's value of a query that must answer one sample. */
static double one_value(struct t *t, const char *promql)
{
	json_t *res = query(t, promql);
	if (json_array_size(res) != 1)
		fail_msg("%s: %zu samples, want 1", promql, json_array_size(res));
	double v = value_of(json_array_get(res, 0));
	json_decref(res);
	return v;
}

/* The GenAI families as a dashboard queries them. */
static void genai_queries(struct t *t)
{
	/* 30 openai gpt-4o requests of 400 ms (20 ok, 10 overloaded): all in
	 * (0.32, 0.64], so the median interpolates to 0.48; 10 anthropic of 3 s
	 * in (2.56, 5.12]: 3.84 */
	double p50 =
	        one_value(t, "histogram_quantile(0.5, sum by (le, gen_ai_provider_name) "
	                     "(gen_ai_client_operation_duration_seconds_bucket"
	                     "{gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\"}))");
	assert_true(fabs(p50 - 0.48) < 1e-9);
	p50 = one_value(t, "histogram_quantile(0.5, sum by (le, gen_ai_provider_name) "
	                   "(gen_ai_client_operation_duration_seconds_bucket"
	                   "{gen_ai_provider_name=\"anthropic\"}))");
	assert_true(fabs(p50 - 3.84) < 1e-9);
	/* gateway requests only: 30 + 10 + 2, not the probe's observation */
	assert_true(one_value(t, "sum(gen_ai_client_operation_duration_seconds_count)") == 42);
	assert_true(one_value(t, "sum(gen_ai_client_operation_duration_seconds_count"
	                         "{error_type=\"overloaded\"})") == 10);
	/* the cap (2 models): gpt-4o and claude-haiku, then other */
	assert_true(one_value(t, "sum(gen_ai_client_operation_duration_seconds_count"
	                         "{gen_ai_request_model=\"other\"})") == 2);
	assert_true(one_value(t, "count(count by (gen_ai_request_model) "
	                         "(gen_ai_client_operation_duration_seconds_count))") == 3);
	/* time to first token of the streamed ones: 200 ms, in (0.1, 0.25] */
	double ttft = one_value(t, "histogram_quantile(0.9, sum by (le) "
	                           "(gen_ai_server_time_to_first_token_seconds_bucket"
	                           "{gen_ai_provider_name=\"anthropic\"}))");
	assert_true(ttft > 0.1 && ttft <= 0.25);
	/* tokens by type, and spend */
	assert_true(one_value(t, "sum(gen_ai_client_token_usage_sum"
	                         "{gen_ai_token_type=\"input\"})") == 12000);
	assert_true(one_value(t, "sum(gen_ai_client_token_usage_sum"
	                         "{gen_ai_token_type=\"output\"})") == 2400);
	double spend = one_value(t, "sum by (gen_ai_provider_name) (vigil_gen_ai_spend_usd_total"
	                            "{gen_ai_provider_name=\"anthropic\"})");
	assert_true(fabs(spend - 0.1) < 1e-9);
}

static void test_prometheus(void **state)
{
	(void)state;
	struct t *t = calloc(1, sizeof(*t));
	uv_loop_init(&t->loop);
	t->dir = tu_mkdtemp("vigil-prom");
	started_dir = t->dir;
	assert_int_equal(http_client_new(&t->loop, &t->http), 0);
	t->reg = metrics_new();
	assert_int_equal(metrics_std_register(t->reg, &t->vm, "0.1.0-test"), 0);
	struct core_settings s;
	settings_defaults(&s);
	t->p = pipeline_new(&s, NULL, 0);
	metrics_genai_set_max_models(&t->vm.genai, 2);
	t->src = (struct metrics_std_source){ .vm = &t->vm, .pipeline = t->p };
	assert_int_equal(metrics_on_collect(t->reg, metrics_std_collect_pipeline, &t->src), 0);
	char *cause = NULL;
	assert_int_equal(metrics_serve(t->reg, &t->loop, "127.0.0.1", 0, &t->metrics_srv, &cause),
	                 0);
	t->metrics_port = httpd_port(t->metrics_srv);
	assert_true(t->metrics_port > 0);
	assert_int_equal(httpd_start(&t->loop, "127.0.0.1", 0, on_target, t, &t->target, NULL), 0);
	feed(t);

	/* the endpoint: 404 elsewhere, and text promtool accepts */
	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/other", t->metrics_port);
	struct tp_response r;
	tp_http(&t->loop, t->http, NULL, url, NULL, NULL, 5000, &r);
	assert_int_equal(r.status, 404);
	free(r.body);
	char *text = scrape(t);
	if (getenv("VIGIL_TEST_VERBOSE"))
		fprintf(stderr, "--- scrape ---\n%s--- end ---\n", text);
	assert_non_null(strstr(text, "vigil_probe_phase_duration_seconds{provider=\"openai\","
	                             "model=\"gpt-4o \\\"mini\\\"\",phase=\"connect\"}"));
	/* the provider's own rows are families of their own: no model="" row */
	assert_null(strstr(text, "model=\"\""));
	assert_non_null(strstr(text, "vigil_provider_breaker_state{provider=\"openai\","));
	promtool_check(t, text);
	free(text);

	/* a real Prometheus scrapes it */
	start_prometheus(t);
	struct wantq w = { t, "up{job=\"vigil\"} == 1" };
	assert_true(tp_wait(&t->loop, has_result, &w, 30000));
	w.q = "vigil_failure_events_total";
	assert_true(tp_wait(&t->loop, has_result, &w, 30000));
	json_t *res = query(t, "vigil_failure_events_total");
	json_t *sample = json_array_get(res, 0);
	assert_string_equal(metric_label(sample, "category"), "provider");
	assert_string_equal(metric_label(sample, "provider"), "openai");
	assert_string_equal(metric_label(sample, "job"), "vigil");
	double total = 0;
	size_t i;
	json_array_foreach (res, i, sample) {
		total += value_of(sample);
	}
	assert_true(total == 10); /* ten 503s, one event each */
	json_decref(res);

	res = query(t, "vigil_requests_total{status_class=\"5xx\"}");
	assert_int_equal(json_array_size(res), 1);
	assert_true(value_of(json_array_get(res, 0)) == 10);
	json_decref(res);
	res = query(t, "vigil_requests_total{status_class=\"2xx\",model=\"gpt-4o\"}");
	assert_true(value_of(json_array_get(res, 0)) == 20);
	json_decref(res);

	res = query(t, "sum(vigil_incidents_open{category=\"provider\"})");
	assert_true(value_of(json_array_get(res, 0)) == 1);
	json_decref(res);

	res = query(t, "vigil_probe_phase_duration_seconds");
	assert_int_equal(json_array_size(res), 5);
	const char *want_phases[] = { "resolve", "connect", "tls", "processing", "transfer" };
	for (size_t k = 0; k < 5; k++) {
		bool found = false;
		json_array_foreach (res, i, sample) {
			found |= strcmp(metric_label(sample, "phase"), want_phases[k]) == 0;
			assert_string_equal(metric_label(sample, "model"), "gpt-4o \"mini\"");
		}
		assert_true(found);
	}
	json_decref(res);
	res = query(t, "vigil_probe_duration_seconds_count");
	assert_true(value_of(json_array_get(res, 0)) == 1);
	json_decref(res);
	res = query(t, "vigil_probe_success");
	assert_true(value_of(json_array_get(res, 0)) == 1);
	json_decref(res);
	res = query(t, "vigil_probe_spend_usd_total");
	assert_true(fabs(value_of(json_array_get(res, 0)) - 0.00042) < 1e-12);
	json_decref(res);
	res = query(t, "vigil_provider_breaker_state{provider=\"openai\",state=\"open\"}");
	assert_int_equal(json_array_size(res), 1);
	assert_true(value_of(json_array_get(res, 0)) == 1); /* ten 503s in a row */
	json_decref(res);
	res = query(t, "vigil_provider_breaker_transitions_total{from=\"closed\",to=\"open\"}");
	assert_true(json_array_size(res) >= 1);
	json_decref(res);
	res = query(t, "vigil_ratelimit_remaining{kind=\"requests\"}");
	assert_true(value_of(json_array_get(res, 0)) == 71);
	json_decref(res);
	res = query(t, "vigil_ingest_quarantined_lines_total{reason=\"schema_mismatch\"}");
	assert_true(value_of(json_array_get(res, 0)) == 3);
	json_decref(res);
	res = query(t, "vigil_sidecar_queue_depth");
	assert_true(value_of(json_array_get(res, 0)) == 7);
	json_decref(res);
	res = query(t, "vigil_provider_availability_ratio{provider=\"openai\"}");
	double avail = value_of(json_array_get(res, 0));
	assert_true(avail > 0.3 && avail < 1);
	json_decref(res);
	genai_queries(t);
	assert_true(metrics_scrapes(t->reg) >= 2);

	tp_kill(t->prom);
	started_pid = -1;
	httpd_close(t->metrics_srv);
	httpd_close(t->target);
	http_client_close(t->http);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	metrics_free(t->reg);
	pipeline_free(t->p);
	tu_rmtree(t->dir);
	free(t->dir);
	started_dir = NULL;
	free(t);
}

int main(void)
{
	http_global_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (started_pid > 0)
		tp_kill(started_pid);
	if (started_dir)
		tu_rmtree(started_dir);
	curl_global_cleanup();
	return rc;
}
