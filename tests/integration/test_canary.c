/*
 * test_canary.c: the canary probes against the provider simulator over real
 * loopback sockets. The simulator runs in process (sim/sim.h) on its own
 * loop thread with the shipped `faults` scenario (model "sim-<fault>" is
 * that fault, always on); the canaries run on the test's loop in once mode.
 * Each fault must come back as the right observation (status, transport
 * error, normalised signals) and the right failure signal from the
 * taxonomy; a missing or empty key must disable the provider without a
 * request; the key must never show up in logs or results; a refused port is
 * a connect failure; the daily budget stops probing (log line, metric) and
 * a new UTC day resumes it; the schedule fires on its own; canary_stop()
 * from inside a result callback (the last one, the first with others in
 * flight, the scheduled loop) lets the loop drain with no further result and
 * nothing left behind (run it under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/metrics_std.h"
#include "core/price.h"
#include "core/taxonomy.h"
#include "core/vgerr.h"
#include "data/metrics.h"
#include "probes/canary.h"
#include "sim/sim.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KEY_OPENAI    "sk-SENTINEL-openai-5f3a9c"
#define KEY_ANTHROPIC "sk-ant-SENTINEL-77e1"
#define KEY_GOOGLE    "AIza-SENTINEL-0b2d"

/* ---- the simulator on its own loop thread ---- */

struct srv {
	uv_loop_t loop;
	uv_async_t stop;
	struct sim_server *s;
	pthread_t th;
	int port;
};

static void *srv_run(void *arg)
{
	struct srv *v = arg;
	uv_run(&v->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void srv_on_stop(uv_async_t *a)
{
	struct srv *v = a->data;
	sim_server_stop(v->s);
	uv_close((uv_handle_t *)&v->stop, NULL);
}

static struct srv *srv_start(void)
{
	struct srv *v = calloc(1, sizeof(*v));
	struct sim_scenario *scn = NULL;
	char *cause = NULL;
	if (sim_scenario_load("faults", &scn, &cause) != 0) {
		fprintf(stderr, "load faults: %s\n", cause);
		free(cause);
		free(v);
		return NULL;
	}
	uv_loop_init(&v->loop);
	struct sim_server_opts o = { .scenario = scn, .speed = 1 };
	int rc = sim_server_start(&v->loop, &o, &v->s, &cause);
	free(scn);
	if (rc) {
		fprintf(stderr, "start: %s\n", cause);
		free(cause);
		free(v);
		return NULL;
	}
	v->port = sim_server_port(v->s);
	uv_async_init(&v->loop, &v->stop, srv_on_stop);
	v->stop.data = v;
	pthread_create(&v->th, NULL, srv_run, v);
	return v;
}

static void srv_stop(struct srv *v)
{
	uv_async_send(&v->stop);
	pthread_join(v->th, NULL);
	uv_loop_close(&v->loop);
	free(v);
}

static struct srv *sim;

static int group_setup(void **state)
{
	(void)state;
	http_global_init();
	setenv("VIGIL_TEST_OPENAI_KEY", KEY_OPENAI, 1);
	setenv("VIGIL_TEST_ANTHROPIC_KEY", KEY_ANTHROPIC, 1);
	setenv("VIGIL_TEST_GOOGLE_KEY", KEY_GOOGLE, 1);
	setenv("VIGIL_TEST_EMPTY_KEY", "", 1);
	unsetenv("VIGIL_TEST_UNSET_KEY");
	sim = srv_start();
	return sim ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	srv_stop(sim);
	return 0;
}

/* ---- collecting results ---- */

#define MAX_GOT 128
#define MAX_LOG 64

struct got {
	char endpoint[160];
	struct observation obs; /* text pointers cleared */
	char text[128];
	bool healthy;
	char error[256];
	double spend, spend_today;
	struct tax_signal sig[TAXONOMY_MAX_SIGNALS];
	size_t n_sig;
};

struct run {
	struct got got[MAX_GOT];
	size_t n;
	char log[MAX_LOG][512];
	size_t n_log;
	int idle;
	struct core_settings settings;
	int64_t clock_ms; /* 0: the real clock */
};

static void on_result(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct run *run = ud;
	assert_true(run->n < MAX_GOT);
	struct got *g = &run->got[run->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->endpoint, sizeof(g->endpoint), "%s", r->endpoint);
	g->obs = *obs;
	if (obs->text)
		snprintf(g->text, sizeof(g->text), "%.*s", (int)obs->text_len, obs->text);
	g->obs.text = NULL;
	g->obs.context_text = NULL;
	g->obs.embedding = NULL;
	g->healthy = r->healthy;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	g->spend = r->spend_usd;
	g->spend_today = r->spend_today_usd;
	g->n_sig = taxonomy_classify(obs, &obs->verdicts, &run->settings, g->sig,
	                             TAXONOMY_MAX_SIGNALS);
	assert_int_equal(obs->source, OBS_PROBE);
	assert_int_equal(obs->selection_reason, SEL_CANARY);
}

static void on_log(void *ud, const char *line)
{
	struct run *run = ud;
	if (run->n_log < MAX_LOG)
		snprintf(run->log[run->n_log++], sizeof(run->log[0]), "%s", line);
}

static void on_idle(void *ud)
{
	struct run *run = ud;
	run->idle++;
}

static int64_t fake_now(void *ud)
{
	struct run *run = ud;
	return run->clock_ms;
}

static const struct got *find(const struct run *run, const char *endpoint)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->got[i].endpoint, endpoint) == 0)
			return &run->got[i];
	fail_msg("no result for %s", endpoint);
	return NULL;
}

static bool has_signal(const struct got *g, enum subtype st)
{
	for (size_t i = 0; i < g->n_sig; i++)
		if (g->sig[i].subtype == st)
			return true;
	return false;
}

static bool log_has(const struct run *run, const char *needle)
{
	for (size_t i = 0; i < run->n_log; i++)
		if (strstr(run->log[i], needle))
			return true;
	return false;
}

/* The canary options app/config makes of a vigil.yaml (caller frees). */
static struct canary_config *load_config(const char *yaml)
{
	char *cause = NULL;
	struct vigil_config *vc = malloc(sizeof(*vc));
	struct canary_config *cfg = malloc(sizeof(*cfg));
	config_defaults(vc);
	int rc = config_load_string(vc, yaml, strlen(yaml), "test.yaml", &cause);
	if (rc)
		fail_msg("config: %s", cause);
	config_canary(vc, cfg);
	free(vc);
	return cfg;
}

/* Run a once-mode set to its end and stop it. */
static void run_once(const struct canary_config *cfg, struct run *run, struct vigil_metrics *vm)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	settings_defaults(&run->settings);
	struct canary_opts o = {
		.once = true,
		.on_idle = on_idle,
		.log = on_log,
		.log_ud = run,
	};
	if (vm)
		metrics_std_canary_hooks(vm, &o.hooks);
	struct canary_set *set = NULL;
	char *cause = NULL;
	assert_int_equal(canary_start_opts(&loop, cfg, &o, on_result, run, &set, &cause), 0);
	while (!run->idle)
		uv_run(&loop, UV_RUN_ONCE);
	canary_stop(set);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* The key must appear nowhere a probe leaves a trace. */
static void assert_no_key(const struct run *run)
{
	const char *keys[] = { KEY_OPENAI, KEY_ANTHROPIC, KEY_GOOGLE, "SENTINEL" };
	for (size_t k = 0; k < 4; k++) {
		for (size_t i = 0; i < run->n_log; i++)
			assert_null(strstr(run->log[i], keys[k]));
		for (size_t i = 0; i < run->n; i++) {
			const struct got *g = &run->got[i];
			assert_null(strstr(g->obs.request_id, keys[k]));
			assert_null(strstr(g->obs.pid.key_alias, keys[k]));
			assert_null(strstr(g->error, keys[k]));
			assert_null(strstr(g->text, keys[k]));
		}
	}
}

/* ---- the faults, per provider ---- */

static const char *const MODELS = "[{name: sim-ok, price_in_per_1k: 0.5, price_out_per_1k: 1.5},"
                                  " {name: sim-429}, {name: sim-quota}, {name: sim-500},"
                                  " {name: sim-503}, {name: sim-overloaded}, {name: sim-auth},"
                                  " {name: sim-413}, {name: sim-reset}, {name: sim-hang},"
                                  " {name: sim-truncated}, {name: sim-length}, {name: sim-safety},"
                                  " {name: sim-slow}, {name: sim-format}]";

struct expect {
	const char *model;
	int status; /* -1: no answer */
	enum transport_error te;
	enum subtype sub; /* SUB__COUNT: no signal at all (healthy) */
};

static const struct expect EXPECT[] = {
	{ "sim-ok", 200, TE_NONE, SUB__COUNT },
	{ "sim-429", 429, TE_NONE, SUB_RATE_LIMIT },
	{ "sim-quota", -2, TE_NONE, SUB_QUOTA_EXHAUSTED }, /* -2: any 4xx */
	{ "sim-500", 500, TE_NONE, SUB_SERVER_ERROR },
	{ "sim-auth", -2, TE_NONE, SUB_AUTH },
	{ "sim-reset", -1, TE_RESET, SUB_RESET },
	{ "sim-hang", -1, TE_TIMEOUT, SUB_TIMEOUT },
	{ "sim-truncated", 200, TE_NONE, SUB_TRUNCATION },
	{ "sim-length", 200, TE_NONE, SUB_TRUNCATION },
	{ "sim-safety", 200, TE_NONE, SUB_CONTENT_FILTER },
	{ "sim-slow", 200, TE_NONE, SUB__COUNT },
	{ "sim-format", 200, TE_NONE, SUB_FORMAT_VIOLATION },
};

static void check_faults(const struct run *run, const char *provider)
{
	char ep[160];
	for (size_t i = 0; i < sizeof(EXPECT) / sizeof(EXPECT[0]); i++) {
		const struct expect *x = &EXPECT[i];
		snprintf(ep, sizeof(ep), "%s/%s", provider, x->model);
		const struct got *g = find(run, ep);
		if (g->obs.transport_error != x->te)
			fail_msg("%s: transport %s, expected %s (%s)", ep,
			         model_transport_error_name(g->obs.transport_error),
			         model_transport_error_name(x->te), g->error);
		if (x->status == -2)
			assert_true(g->obs.http_status >= 400 && g->obs.http_status < 500);
		else
			assert_int_equal(g->obs.http_status, x->status);
		assert_string_equal(g->obs.pid.provider, provider);
		assert_string_equal(g->obs.pid.model, x->model);
		assert_true(g->obs.ts_ms > 0);
		assert_true(g->obs.request_id[0] != '\0');
		assert_false(isnan(g->obs.total_ms));
		if (x->sub == SUB__COUNT) {
			if (g->n_sig != 0)
				fail_msg("%s: expected no failure signal, got %s", ep,
				         model_subtype_name(g->sig[0].subtype));
			assert_true(g->healthy);
		} else {
			if (!has_signal(g, x->sub))
				fail_msg("%s: expected %s, got %zu signals (first %s)", ep,
				         model_subtype_name(x->sub), g->n_sig,
				         g->n_sig ? model_subtype_name(g->sig[0].subtype) : "-");
			assert_false(g->healthy);
		}
		if (x->te == TE_NONE) {
			/* Answered over plain HTTP: DNS (a literal address), connect and
			 * first byte measured, in order; no TLS phase. */
			assert_false(isnan(g->obs.connect_ms));
			assert_false(isnan(g->obs.ttfb_ms));
			assert_true(isnan(g->obs.tls_ms));
			assert_true(g->obs.connect_ms <= g->obs.ttfb_ms);
			assert_true(g->obs.ttfb_ms <= g->obs.total_ms);
			assert_true(g->obs.body_bytes > 0);
		} else {
			assert_int_equal(g->obs.http_status, -1);
			assert_true(g->error[0] != '\0');
		}
	}
	/* The healthy canary: usage, the finish reason, {"ok":true}, and its
	 * cost from the price table. */
	snprintf(ep, sizeof(ep), "%s/sim-ok", provider);
	const struct got *ok = find(run, ep);
	assert_int_equal(ok->obs.verdicts.schema_valid, VG_TRI_TRUE);
	assert_int_equal(ok->obs.norm.finish, FR_STOP);
	int64_t tin = observation_input_tokens(&ok->obs);
	int64_t tout = observation_output_tokens(&ok->obs);
	assert_true(tin > 0 && tout > 0);
	double want = (double)tin / 1000.0 * 0.5 + (double)tout / 1000.0 * 1.5;
	assert_true(fabs(ok->obs.cost_usd - want) < 1e-12);
	assert_true(fabs(ok->spend - want) < 1e-12);
	assert_non_null(strstr(ok->text, "\"ok\""));
	/* The malformed answer fails the check at /ok. */
	snprintf(ep, sizeof(ep), "%s/sim-format", provider);
	const struct got *bad = find(run, ep);
	assert_int_equal(bad->obs.verdicts.schema_valid, VG_TRI_FALSE);
	/* The cut body is an answered, truncated response, not a reset. */
	snprintf(ep, sizeof(ep), "%s/sim-truncated", provider);
	const struct got *cut = find(run, ep);
	assert_true(cut->obs.norm.body_truncated);
	assert_false(has_signal(cut, SUB_RESET));
	/* 429 carries the provider's retry hint or rate-limit headers. */
	snprintf(ep, sizeof(ep), "%s/sim-429", provider);
	const struct got *rl = find(run, ep);
	assert_int_equal(rl->obs.norm.error_class, EC_RATE_LIMIT);
	if (!vg_has(rl->obs.norm.retry_after_ms) && !vg_has(rl->obs.norm.rl_requests.limit) &&
	    !vg_has(rl->obs.norm.rl_tokens.limit))
		fail_msg("%s: a 429 without a retry hint or rate-limit headers", ep);
	/* Every provider's quota, Gemini's per-day one included, is spent:
	 * no retry helps. */
	snprintf(ep, sizeof(ep), "%s/sim-quota", provider);
	assert_int_equal(find(run, ep)->obs.norm.retryable, VG_TRI_FALSE);
}

static void test_faults_all_providers(void **state)
{
	(void)state;
	char yaml[8192];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY, key_alias: oa, models: %s}\n"
	         "  - {name: anthropic, kind: anthropic, base_url: 'http://127.0.0.1:%d/',"
	         " api_key_env: VIGIL_TEST_ANTHROPIC_KEY, models: %s}\n"
	         "  - {name: google, kind: google, base_url: 'http://127.0.0.1:%d/v1beta',"
	         " api_key_env: VIGIL_TEST_GOOGLE_KEY, models: %s}\n"
	         "probes: {timeout: 2s, connect_timeout: 1s, availability: true}\n",
	         sim->port, MODELS, sim->port, MODELS, sim->port, MODELS);
	struct canary_config *cfg = load_config(yaml);
	struct run *run = calloc(1, sizeof(*run));
	struct metrics *reg = metrics_new();
	struct vigil_metrics vm;
	assert_int_equal(metrics_std_register(reg, &vm, "test"), 0);
	uint64_t before = sim_server_requests(sim->s);
	run_once(cfg, run, &vm);
	/* 15 completions and one model list per provider, each answered once. */
	assert_int_equal(run->n, 3 * 16);
	assert_int_equal(run->idle, 1);
	check_faults(run, "openai");
	check_faults(run, "anthropic");
	check_faults(run, "google");
	/* The provider-specific overload statuses. */
	assert_int_equal(find(run, "anthropic/sim-overloaded")->obs.http_status, 529);
	assert_true(has_signal(find(run, "anthropic/sim-overloaded"), SUB_OVERLOADED));
	assert_int_equal(find(run, "openai/sim-503")->obs.http_status, 503);
	/* A non-JSON 413 page from the CDN. */
	const struct got *html = find(run, "anthropic/sim-413");
	assert_int_equal(html->obs.http_status, 413);
	assert_true(html->obs.norm.body_not_json);
	/* The availability probes. */
	const char *lists[] = { "openai/models", "anthropic/models", "google/models" };
	for (size_t i = 0; i < 3; i++) {
		const struct got *g = find(run, lists[i]);
		assert_int_equal(g->obs.http_status, 200);
		assert_true(g->healthy);
		assert_string_equal(g->obs.pid.model, "");
		assert_true(isnan(g->obs.cost_usd));
	}
	assert_string_equal(find(run, "openai/sim-ok")->obs.pid.key_alias, "oa");
	/* Cost by core/price's rule, as the pipeline prices the same tokens: a
	 * priced model costs usage x price; a model without a price costs
	 * "unknown" (not 0) and charges no spend. */
	for (size_t i = 0; i < 3; i++) {
		const char *prov[] = { "openai", "anthropic", "google" };
		char ep[64];
		snprintf(ep, sizeof(ep), "%s/sim-ok", prov[i]);
		const struct got *ok = find(run, ep);
		int64_t tin = observation_input_tokens(&ok->obs);
		int64_t tout = observation_output_tokens(&ok->obs);
		assert_true(tin > 0 && tout > 0);
		assert_true(ok->obs.cost_usd == price_cost(0.5, 1.5, tin, tout));
		assert_true(ok->spend == ok->obs.cost_usd);
		snprintf(ep, sizeof(ep), "%s/sim-format", prov[i]);
		const struct got *unpriced = find(run, ep);
		assert_true(vg_has(observation_input_tokens(&unpriced->obs)));
		assert_true(isnan(unpriced->obs.cost_usd));
		assert_true(unpriced->spend == 0);
	}
	/* Every probe reached the simulator on its own connection; the hung one
	 * was answered by our timeout, not by the server. */
	assert_true(sim_server_requests(sim->s) - before >= 3 * 16 - 3);
	assert_no_key(run);
	/* Metrics: phases of the last probe, success, spend. */
	const char *okv[] = { "openai", "sim-ok" };
	assert_true(metrics_value(vm.probe_success, okv) == 1);
	const char *badv[] = { "openai", "sim-500" };
	assert_true(metrics_value(vm.probe_success, badv) == 0);
	const char *ph[] = { "openai", "sim-ok", "connect" };
	assert_false(isnan(metrics_value(vm.probe_phase, ph)));
	assert_true(metrics_value(vm.probe_spend, okv) > 0);
	metrics_free(reg);
	free(run);
	free(cfg);
}

/* ---- keys ---- */

static void test_missing_and_empty_keys(void **state)
{
	(void)state;
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: unset, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_UNSET_KEY, models: [{name: sim-ok}]}\n"
	         "  - {name: empty, kind: anthropic, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_EMPTY_KEY, models: [{name: sim-ok}]}\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY, models: [{name: sim-ok}]}\n"
	         "  - {name: keyless, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " models: [{name: sim-ok}]}\n",
	         sim->port, sim->port, sim->port, sim->port);
	struct canary_config *cfg = load_config(yaml);
	struct run *run = calloc(1, sizeof(*run));
	uint64_t before = sim_server_requests(sim->s);
	run_once(cfg, run, NULL);
	/* Only the two providers that may send reached the simulator. */
	assert_int_equal(run->n, 2);
	assert_int_equal(sim_server_requests(sim->s) - before, 2);
	assert_true(find(run, "openai/sim-ok")->healthy);
	/* No key header at all: the simulator answers as OpenAI does, 401. */
	const struct got *kl = find(run, "keyless/sim-ok");
	assert_int_equal(kl->obs.http_status, 401);
	assert_true(has_signal(kl, SUB_AUTH));
	assert_true(log_has(run, "unset: canaries disabled: VIGIL_TEST_UNSET_KEY is not set"));
	assert_true(log_has(run, "empty: canaries disabled: VIGIL_TEST_EMPTY_KEY is empty"));
	assert_true(log_has(run, "keyless: no api_key_env configured"));
	assert_no_key(run);
	free(run);
	free(cfg);
}

/* The endpoints table says what is disabled and why. */
static void test_endpoint_table(void **state)
{
	(void)state;
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: unset, kind: google, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_UNSET_KEY, models: [{name: a}, {name: b}]}\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY, models: [{name: sim-ok}, {name: x}]}\n"
	         "probes: {models: first, interval: 1h, jitter: 1s}\n",
	         sim->port, sim->port);
	struct canary_config *cfg = load_config(yaml);
	struct run *run = calloc(1, sizeof(*run));
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct canary_opts o = { .log = on_log, .log_ud = run };
	struct canary_set *set = NULL;
	assert_int_equal(canary_start_opts(&loop, cfg, &o, on_result, run, &set, NULL), 0);
	assert_int_equal(canary_endpoint_count(set), 2); /* models: first */
	struct canary_endpoint_info info;
	assert_true(canary_endpoint(set, 0, &info));
	assert_string_equal(info.endpoint, "unset/a");
	assert_false(info.enabled);
	assert_non_null(strstr(info.disabled_reason, "VIGIL_TEST_UNSET_KEY is not set"));
	assert_true(canary_endpoint(set, 1, &info));
	assert_string_equal(info.endpoint, "openai/sim-ok");
	assert_true(info.enabled);
	assert_string_equal(info.disabled_reason, "");
	assert_false(canary_endpoint(set, 2, &info));
	canary_stop(set);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(run->n, 0); /* stopped before the first start */
	assert_int_equal(uv_loop_close(&loop), 0);
	free(run);
	free(cfg);
}

/* ---- connect refused ---- */

static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd); /* nothing listens there now */
	return ntohs(a.sin_port);
}

static void test_connect_refused(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: gone, kind: anthropic, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_ANTHROPIC_KEY, models: [{name: claude}]}\n",
	         closed_port());
	struct canary_config *cfg = load_config(yaml);
	struct run *run = calloc(1, sizeof(*run));
	run_once(cfg, run, NULL);
	assert_int_equal(run->n, 1);
	const struct got *g = &run->got[0];
	assert_int_equal(g->obs.transport_error, TE_CONNECT);
	assert_int_equal(g->obs.http_status, -1);
	assert_true(has_signal(g, SUB_CONNECT));
	assert_true(isnan(g->obs.ttfb_ms));
	assert_false(g->healthy);
	assert_no_key(run);
	free(run);
	free(cfg);
}

/* ---- the budget ---- */

static void test_budget_stops_and_resumes(void **state)
{
	(void)state;
	char yaml[1024];
	/* Expensive prices so a few canaries spend the day's budget. */
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY,"
	         " models: [{name: sim-ok, price_in_per_1k: 100, price_out_per_1k: 300}]}\n"
	         "probes: {interval: 24h, jitter: 1s, daily_budget_usd: 20}\n",
	         sim->port);
	struct canary_config *cfg = load_config(yaml);
	struct run *run = calloc(1, sizeof(*run));
	settings_defaults(&run->settings);
	run->clock_ms = 1764374400000LL; /* 2025-11-29T00:00:00Z */
	run->clock_ms += 3600000;        /* 01:00 */
	struct metrics *reg = metrics_new();
	struct vigil_metrics vm;
	assert_int_equal(metrics_std_register(reg, &vm, "test"), 0);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct canary_opts o = { .log = on_log, .log_ud = run, .now_ms = fake_now, .now_ud = run };
	metrics_std_canary_hooks(&vm, &o.hooks);
	struct canary_set *set = NULL;
	assert_int_equal(canary_start_opts(&loop, cfg, &o, on_result, run, &set, NULL), 0);
	uint64_t before = sim_server_requests(sim->s);
	size_t probes = 0;
	for (int i = 0; i < 100; i++) {
		size_t want = run->n + 1;
		if (canary_probe_now(set) == 0)
			break;
		probes++;
		while (run->n < want)
			uv_run(&loop, UV_RUN_ONCE);
		run->clock_ms += 60000;
	}
	assert_true(probes >= 2 && probes < 100);
	assert_int_equal(sim_server_requests(sim->s) - before, probes);
	/* Spent no more than the budget, and one more probe at the largest
	 * cost seen would have gone over. */
	double spent = 0, max = 0;
	for (size_t i = 0; i < run->n; i++) {
		spent += run->got[i].spend;
		max = run->got[i].spend > max ? run->got[i].spend : max;
	}
	assert_true(max > 0);
	assert_true(spent <= 20.0);
	assert_true(spent + max > 20.0);
	assert_true(fabs(run->got[run->n - 1].spend_today - spent) < 1e-9);
	assert_true(log_has(run, "openai: daily probe budget spent"));
	const char *pv[] = { "openai" };
	assert_true(metrics_value(vm.probe_budget_exhausted, pv) == 1);
	assert_true(fabs(metrics_value(vm.probe_spend_today, pv) - spent) < 1e-9);
	const char *sv[] = { "openai", "sim-ok", "budget" };
	assert_true(metrics_value(vm.probe_skipped, sv) >= 1);
	struct canary_endpoint_info info;
	assert_true(canary_endpoint(set, 0, &info));
	assert_true(info.budget_exhausted);
	/* Later the same day: still stopped, and no second log line. */
	run->clock_ms += 3600000;
	size_t logs = run->n_log;
	assert_int_equal(canary_probe_now(set), 0);
	assert_int_equal(run->n_log, logs);
	assert_int_equal(sim_server_requests(sim->s) - before, probes);
	/* A set started again the same day (a reload) keeps the day's spend. */
	struct canary_opts o2 = o;
	double carried[1] = { spent };
	o2.spent_today_usd = carried;
	struct canary_set *again = NULL;
	assert_int_equal(canary_start_opts(&loop, cfg, &o2, on_result, run, &again, NULL), 0);
	assert_true(canary_endpoint(again, 0, &info));
	assert_true(fabs(info.spend_today_usd - spent) < 1e-9);
	canary_stop(again);
	/* The next UTC day: probing resumes, the spend starts over. */
	run->clock_ms = 1764374400000LL + 86400000LL + 5;
	assert_int_equal(canary_probe_now(set), 1);
	while (run->n < probes + 1)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(log_has(run, "openai: a new UTC day: canaries resume"));
	assert_true(fabs(run->got[run->n - 1].spend_today - run->got[run->n - 1].spend) < 1e-12);
	assert_true(metrics_value(vm.probe_budget_exhausted, pv) == 0);
	canary_stop(set);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_no_key(run);
	metrics_free(reg);
	free(run);
	free(cfg);
}

/* ---- the schedule drives the probes on its own ---- */

static void test_scheduled(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY, models: [{name: sim-ok}, {name: sim-500}]}\n"
	         "probes: {interval: 200ms, jitter: 50ms, seed: 7}\n",
	         sim->port);
	struct canary_config *cfg = load_config(yaml);
	struct run *run = calloc(1, sizeof(*run));
	settings_defaults(&run->settings);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct canary_opts o = { .log = on_log, .log_ud = run };
	struct canary_set *set = NULL;
	assert_int_equal(canary_start_opts(&loop, cfg, &o, on_result, run, &set, NULL), 0);
	/* Each endpoint probes again and again with nobody asking. */
	int ok = 0, err = 0;
	while (ok < 3 || err < 3) {
		uv_run(&loop, UV_RUN_ONCE);
		ok = err = 0;
		for (size_t i = 0; i < run->n; i++) {
			if (strcmp(run->got[i].endpoint, "openai/sim-ok") == 0)
				ok++;
			else
				err++;
		}
		assert_true(run->n < MAX_GOT - 2);
	}
	canary_stop(set);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	/* Starts of one endpoint never go backwards. */
	int64_t last = 0;
	for (size_t i = 0; i < run->n; i++) {
		if (strcmp(run->got[i].endpoint, "openai/sim-ok") != 0)
			continue;
		assert_true(run->got[i].obs.ts_ms >= last);
		last = run->got[i].obs.ts_ms;
	}
	free(run);
	free(cfg);
}

/* ---- stopping from inside the result callback ---- */

struct stopper {
	struct run run;
	struct canary_set *set;
	size_t stop_after; /* stop from the callback of this result (1: the first) */
	int stops;         /* canary_stop() calls made from a callback */
	uv_timer_t guard;  /* fails the test if the loop never drains */
};

static void on_result_stop(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct stopper *st = ud;
	on_result(&st->run, obs, r);
	/* no result may come after the stop */
	assert_true(st->run.n <= st->stop_after);
	if (st->run.n == st->stop_after) {
		canary_stop(st->set);
		canary_stop(st->set); /* twice does nothing more */
		st->stops++;
	}
}

static void on_stopper_idle(void *ud)
{
	struct stopper *st = ud;
	st->run.idle++;
}

static void on_guard(uv_timer_t *t)
{
	(void)t;
	fail_msg("the loop still had work 20 s after the stop");
}

/*
 * Run a set whose result callback stops it after stop_after results, then
 * run the loop with nothing else: it must drain on its own (every handle
 * closed, the set freed; ASan and LeakSanitizer watch the memory) with no
 * result and no on_idle after the stop.
 */
static void run_stop_from_callback(const char *yaml, bool once, size_t stop_after,
                                   struct stopper *st)
{
	struct canary_config *cfg = load_config(yaml);
	memset(st, 0, sizeof(*st));
	settings_defaults(&st->run.settings);
	st->stop_after = stop_after;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct canary_opts o = {
		.once = once,
		.on_idle = on_stopper_idle,
		.log = on_log,
		.log_ud = &st->run,
	};
	assert_int_equal(canary_start_opts(&loop, cfg, &o, on_result_stop, st, &st->set, NULL), 0);
	free(cfg); /* the set keeps its own copy */
	uv_timer_init(&loop, &st->guard);
	uv_timer_start(&st->guard, on_guard, 20000, 0);
	uv_unref((uv_handle_t *)&st->guard);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(st->stops, 1);
	assert_int_equal(st->run.n, stop_after);
	assert_int_equal(st->run.idle, 0);
	uv_close((uv_handle_t *)&st->guard, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Once mode, one endpoint: the stop comes from the last result, when the
 * set would otherwise arm its on_idle timer. */
static void test_stop_from_last_result(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY, models: [{name: sim-ok}]}\n",
	         sim->port);
	struct stopper *st = malloc(sizeof(*st));
	run_stop_from_callback(yaml, true, 1, st);
	assert_string_equal(st->run.got[0].endpoint, "openai/sim-ok");
	assert_true(st->run.got[0].healthy);
	free(st);
}

/* Once mode, several endpoints: the first result stops the set while the
 * others are in flight (one hangs): they are cancelled without a callback. */
static void test_stop_from_first_result_with_others_in_flight(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY,"
	         " models: [{name: sim-ok}, {name: sim-hang}, {name: sim-slow}]}\n"
	         "probes: {availability: true}\n",
	         sim->port);
	struct stopper *st = malloc(sizeof(*st));
	run_stop_from_callback(yaml, true, 1, st);
	assert_string_not_equal(st->run.got[0].endpoint, "openai/sim-hang");
	free(st);
}

/* The scheduled loop: stop from a callback after a few rounds, while the
 * endpoints' timers are armed. */
static void test_stop_from_callback_scheduled(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: openai, kind: openai, base_url: 'http://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TEST_OPENAI_KEY,"
	         " models: [{name: sim-ok}, {name: sim-500}, {name: sim-hang}]}\n"
	         "probes: {interval: 100ms, jitter: 20ms, seed: 3}\n",
	         sim->port);
	struct stopper *st = malloc(sizeof(*st));
	run_stop_from_callback(yaml, false, 5, st);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_all_providers),
		cmocka_unit_test(test_missing_and_empty_keys),
		cmocka_unit_test(test_endpoint_table),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_budget_stops_and_resumes),
		cmocka_unit_test(test_scheduled),
		cmocka_unit_test(test_stop_from_last_result),
		cmocka_unit_test(test_stop_from_first_result_with_others_in_flight),
		cmocka_unit_test(test_stop_from_callback_scheduled),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
