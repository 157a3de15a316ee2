/*
 * test_sinks_pagerduty.c: the outbox delivering PagerDuty Events v2 to a
 * local receiver that refuses for a while (503, 429 with Retry-After, a
 * dropped connection, 500), then accepts (202). Incidents come from the real
 * pipeline. Checked: nothing lost, each dedup key's trigger / acknowledge /
 * resolve arrive once each and in order, the payload field by field
 * (routing_key inserted at send time), a 400 is never retried, the sink is
 * reported down and up again, and the secret never reaches the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pipeline.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "data/outbox.h"
#include "net/http.h"
#include "net/httpd.h"
#include "tests/support/proc.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL "SENTINEL-PD-ROUTING-KEY-5b7e0c"
#define T0       1767225600000LL
#define MINUTE   (60 * 1000LL)

/* ---- the receiver -------------------------------------------------------------- */

#define MAX_SEEN 256

struct receiver {
	int refusals; /* answers before accepting: 503, 429, drop, 500, ... */
	bool always_400;
	int requests;
	json_t *accepted[MAX_SEEN];
	int n_accepted;
};

static void on_request(void *data, const struct httpd_request *req, struct httpd_reply *reply)
{
	struct receiver *rc = data;
	int n = rc->requests++;
	const char *ct = "application/json";
	if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/v2/enqueue") != 0) {
		httpd_respond(reply, 404, ct, "{}", 2, NULL, 0);
		return;
	}
	if (rc->always_400) {
		static const char msg[] =
		        "{\"status\":\"invalid event\",\"message\":\"Event object "
		        "is invalid\",\"errors\":[\"'payload' is missing\"]}";
		httpd_respond(reply, 400, ct, msg, sizeof(msg) - 1, NULL, 0);
		return;
	}
	if (n < rc->refusals) {
		switch (n % 4) {
		case 0: httpd_respond(reply, 503, ct, "{}", 2, NULL, 0); return;
		case 1: {
			const char *h[] = { "Retry-After: 0" };
			httpd_respond(reply, 429, ct, "{}", 2, h, 1);
			return;
		}
		case 2: httpd_drop(reply); return;
		default: httpd_respond(reply, 500, ct, "{}", 2, NULL, 0); return;
		}
	}
	json_error_t err;
	json_t *j = json_loadb(req->body, req->body_len, 0, &err);
	assert_non_null(j);
	assert_true(rc->n_accepted < MAX_SEEN);
	rc->accepted[rc->n_accepted++] = j;
	char ok[256];
	int len = snprintf(ok, sizeof(ok),
	                   "{\"status\":\"success\",\"message\":\"Event processed\","
	                   "\"dedup_key\":\"%s\"}",
	                   json_string_value(json_object_get(j, "dedup_key")));
	httpd_respond(reply, 202, ct, ok, (size_t)len, NULL, 0);
}

/* ---- the harness ------------------------------------------------------------------ */

struct harness {
	uv_loop_t loop;
	struct http_client *http;
	struct httpd *srv, *bad_srv;
	struct receiver rc, bad;
	struct sinks *sinks;
	struct outbox *ob;
	struct pipeline *p;
	char log[64 * 1024];
	size_t log_len;
	int downs, ups;
};

static const char *fake_getenv(void *data, const char *name)
{
	(void)data;
	return strcmp(name, "TEST_PD_KEY") == 0 ? SENTINEL : NULL;
}

static void on_log(void *data, const char *line)
{
	struct harness *h = data;
	int n = snprintf(h->log + h->log_len, sizeof(h->log) - h->log_len, "%s\n", line);
	if (n > 0 && h->log_len + (size_t)n < sizeof(h->log))
		h->log_len += (size_t)n;
}

static void on_health(void *data, const char *sink, bool up, const char *detail)
{
	struct harness *h = data;
	(void)detail;
	assert_string_equal(sink, "pd");
	if (up)
		h->ups++;
	else
		h->downs++;
}

static void deliver(struct harness *h, const struct effects *fx)
{
	for (size_t i = 0; i < fx->n_notifications; i++)
		assert_int_equal(outbox_enqueue(h->ob, &fx->notifications[i], NULL), 0);
}

static bool drained(void *data)
{
	struct harness *h = data;
	struct outbox_stats st;
	outbox_stats(h->ob, &st);
	return st.pending == 0;
}

static struct observation failing(const char *provider, int64_t t)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = t;
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), provider, (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), "m-1", (size_t)-1);
	snprintf(o.request_id, sizeof(o.request_id), "r-%s-%lld", provider, (long long)t);
	o.http_status = 503;
	o.norm.error_class = EC_OVERLOADED;
	o.total_ms = 300;
	o.traffic_class = TC_REVENUE;
	return o;
}

static void setup_harness(struct harness *h, int refusals)
{
	memset(h, 0, sizeof(*h));
	uv_loop_init(&h->loop);
	assert_int_equal(http_client_new(&h->loop, &h->http), 0);
	h->rc.refusals = refusals;
	h->bad.always_400 = true;
	assert_int_equal(httpd_start(&h->loop, "127.0.0.1", 0, on_request, &h->rc, &h->srv, NULL),
	                 0);
	assert_int_equal(
	        httpd_start(&h->loop, "127.0.0.1", 0, on_request, &h->bad, &h->bad_srv, NULL), 0);
	struct sink_spec cs[2];
	memset(cs, 0, sizeof(cs));
	snprintf(cs[0].name, sizeof(cs[0].name), "pd");
	cs[0].kind = SINK_PAGERDUTY;
	snprintf(cs[0].url, sizeof(cs[0].url), "http://127.0.0.1:%d/v2/enqueue",
	         httpd_port(h->srv));
	snprintf(cs[0].secret_env, sizeof(cs[0].secret_env), "TEST_PD_KEY");
	cs[0].timeout_ms = 2000;
	cs[1] = cs[0];
	snprintf(cs[1].name, sizeof(cs[1].name), "pd-bad");
	snprintf(cs[1].url, sizeof(cs[1].url), "http://127.0.0.1:%d/v2/enqueue",
	         httpd_port(h->bad_srv));
	char *cause = NULL;
	assert_int_equal(sinks_new(cs, 2, fake_getenv, NULL, &h->sinks, &cause), 0);
	struct outbox_options o;
	outbox_options_defaults(&o);
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 200;
	o.rate_limit_min_ms = 150;
	o.unreachable_after_ms = 1;
	o.log = on_log;
	o.log_data = h;
	o.on_health = on_health;
	o.health_data = h;
	assert_int_equal(outbox_new(&h->loop, h->sinks, h->http, &o, &h->ob), 0);

	struct core_settings s;
	settings_defaults(&s);
	h->p = pipeline_new(&s, NULL, 0);
	assert_non_null(h->p);
	struct route_sink rs[] = { { "pd", SINK_PAGERDUTY, SEV_HIGH },
		                   { "pd-bad", SINK_PAGERDUTY, SEV_CRITICAL } };
	struct payload_options po;
	payload_options_defaults(&po);
	snprintf(po.source, sizeof(po.source), "vigil-test");
	snprintf(po.runbook_base, sizeof(po.runbook_base), "https://runbooks.example/");
	assert_int_equal(pipeline_set_routes(h->p, rs, 2, &po), 0);
}

static void teardown_harness(struct harness *h)
{
	outbox_close(h->ob);
	http_client_close(h->http);
	httpd_close(h->srv);
	httpd_close(h->bad_srv);
	uv_run(&h->loop, UV_RUN_DEFAULT);
	sinks_free(h->sinks);
	pipeline_free(h->p);
	assert_int_equal(uv_loop_close(&h->loop), 0);
	for (int i = 0; i < h->rc.n_accepted; i++)
		json_decref(h->rc.accepted[i]);
}

static const char *sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void check_trigger(json_t *e)
{
	assert_string_equal(sget(e, "routing_key"), SENTINEL);
	assert_string_equal(sget(e, "event_action"), "trigger");
	assert_non_null(sget(e, "dedup_key"));
	json_t *p = json_object_get(e, "payload");
	assert_true(json_is_object(p));
	const char *summary = sget(p, "summary");
	assert_non_null(summary);
	assert_true(strlen(summary) > 10 && strlen(summary) <= 1024);
	assert_string_equal(sget(p, "source"), "vigil-test");
	const char *sev = sget(p, "severity");
	assert_true(strcmp(sev, "critical") == 0 || strcmp(sev, "error") == 0);
	int64_t ts;
	const char *tss = sget(p, "timestamp");
	assert_int_equal(timeparse_rfc3339(tss, strlen(tss), &ts), 0);
	assert_true(ts >= T0);
	assert_non_null(strstr(sget(p, "component"), "/m-1"));
	assert_string_equal(sget(p, "group"), "provider");
	assert_string_equal(sget(p, "class"), "outage");
	json_t *cd = json_object_get(p, "custom_details");
	assert_true(json_is_object(cd));
	assert_true(json_integer_value(json_object_get(cd, "count")) >= 1);
	json_t *link = json_array_get(json_object_get(e, "links"), 0);
	assert_non_null(strstr(sget(link, "href"), "https://runbooks.example/docs/runbooks/"));
}

static void test_refuse_then_accept(void **state)
{
	(void)state;
	struct harness *h = malloc(sizeof(*h));
	setup_harness(h, 9);
	struct effects fx;
	/* an outage on openai (100 failures: one incident) and on anthropic */
	for (int i = 0; i < 100; i++) {
		struct observation o = failing("openai", T0 + i * 200);
		assert_int_equal(pipeline_feed(h->p, &o, o.ts_ms, &fx), 0);
		deliver(h, &fx);
		if (i >= 10 && i < 15) { /* five failures: evidence enough to page */
			struct observation a = failing("anthropic", T0 + i * 200);
			assert_int_equal(pipeline_feed(h->p, &a, a.ts_ms, &fx), 0);
			deliver(h, &fx);
		}
	}
	size_t n_inc;
	const struct incident *const *v = incidents_list(pipeline_incidents(h->p), &n_inc);
	assert_int_equal(n_inc, 2);
	int64_t id_openai = strcmp(v[0]->provider, "openai") == 0 ? v[0]->id : v[1]->id;
	int64_t id_anthropic = id_openai == v[0]->id ? v[1]->id : v[0]->id;
	char key_openai[INCIDENT_KEY_MAX], key_anthropic[INCIDENT_KEY_MAX];
	snprintf(key_openai, sizeof(key_openai), "%s",
	         incidents_get(pipeline_incidents(h->p), id_openai)->dedup_key);
	snprintf(key_anthropic, sizeof(key_anthropic), "%s",
	         incidents_get(pipeline_incidents(h->p), id_anthropic)->dedup_key);
	/* run a little: the receiver refuses */
	tp_run_for(&h->loop, 100);
	assert_int_equal(h->rc.n_accepted, 0);
	/* the operator acknowledges and resolves openai; anthropic goes quiet */
	assert_int_equal(pipeline_operator_action(h->p, ACTION_ACK, id_openai, T0 + 30000, "alice",
	                                          "failing over", &fx),
	                 0);
	deliver(h, &fx);
	assert_int_equal(pipeline_operator_action(h->p, ACTION_RESOLVE, id_openai, T0 + 60000,
	                                          "alice", NULL, &fx),
	                 0);
	deliver(h, &fx);
	/* anthropic's page resolves when its episode is over (30 min) */
	assert_int_equal(pipeline_tick(h->p, T0 + 35 * MINUTE, &fx), 0);
	deliver(h, &fx);

	assert_true(tp_wait(&h->loop, drained, h, 30000));
	struct outbox_stats st;
	outbox_stats(h->ob, &st);
	/* everything arrived once: pd gets 2 triggers, 1 ack, 2 resolves; pd-bad
	 * (critical only) got its triggers rejected */
	assert_int_equal(h->rc.n_accepted, 5);
	assert_true(h->rc.requests >= 5 + 9);
	const char *want_openai[] = { "trigger", "acknowledge", "resolve" };
	const char *want_anthropic[] = { "trigger", "resolve" };
	int io = 0, ia = 0;
	for (int i = 0; i < h->rc.n_accepted; i++) {
		json_t *e = h->rc.accepted[i];
		const char *key = sget(e, "dedup_key");
		const char *act = sget(e, "event_action");
		assert_string_equal(sget(e, "routing_key"), SENTINEL);
		if (strcmp(act, "trigger") == 0)
			check_trigger(e);
		else
			assert_null(json_object_get(e, "payload"));
		if (strcmp(key, key_openai) == 0) {
			assert_true(io < 3);
			assert_string_equal(act, want_openai[io++]);
		} else {
			assert_string_equal(key, key_anthropic);
			assert_true(ia < 2);
			assert_string_equal(act, want_anthropic[ia++]);
		}
	}
	assert_int_equal(io, 3);
	assert_int_equal(ia, 2);
	/* the 400 sink: each row tried once, never again */
	assert_int_equal(st.rejected, h->bad.requests);
	assert_true(h->bad.requests >= 1);
	assert_non_null(strstr(h->log, "sink pd-bad: rejected notification"));
	assert_non_null(strstr(h->log, "'payload' is missing"));
	assert_non_null(strstr(h->log, "sink pd: notification"));
	/* down, then up again */
	assert_int_equal(h->downs, 1);
	assert_int_equal(h->ups, 1);
	if (getenv("VIGIL_TEST_VERBOSE"))
		fprintf(stderr, "--- outbox log ---\n%s--- first accepted ---\n%s\n", h->log,
		        json_dumps(h->rc.accepted[0], JSON_INDENT(2)));
	/* the secret is nowhere in the log */
	assert_null(strstr(h->log, SENTINEL));
	assert_null(strstr(h->log, "SENTINEL"));
	teardown_harness(h);
	free(h);
}

/* A row whose sink is unknown, and rows loaded after a restart. */
static void test_load_and_unknown(void **state)
{
	(void)state;
	struct harness *h = malloc(sizeof(*h));
	setup_harness(h, 0);
	struct notification n;
	memset(&n, 0, sizeof(n));
	snprintf(n.sink, sizeof(n.sink), "nope");
	n.payload = (char *)"{}";
	assert_int_equal(outbox_enqueue(h->ob, &n, NULL), VG_ENOTFOUND);
	/* two rows of one key loaded out of order: delivered in id order */
	struct outbox_row rows[2];
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 2; i++) {
		snprintf(rows[i].sink, sizeof(rows[i].sink), "pd");
		snprintf(rows[i].dedup_key, sizeof(rows[i].dedup_key), "vigil/k/1");
		rows[i].state = OUTBOX_PENDING;
	}
	rows[0].id = 41;
	rows[0].payload = "{\"event_action\":\"resolve\",\"dedup_key\":\"vigil/k/1\"}";
	rows[1].id = 40;
	rows[1].payload = "{\"event_action\":\"trigger\",\"dedup_key\":\"vigil/k/1\"}";
	assert_int_equal(outbox_load(h->ob, rows, 2), 0);
	assert_int_equal(outbox_pending(h->ob, "pd"), 2);
	assert_true(tp_wait(&h->loop, drained, h, 10000));
	assert_int_equal(h->rc.n_accepted, 2);
	assert_string_equal(sget(h->rc.accepted[0], "event_action"), "trigger");
	assert_string_equal(sget(h->rc.accepted[1], "event_action"), "resolve");
	assert_string_equal(sget(h->rc.accepted[1], "routing_key"), SENTINEL);
	/* new ids continue after the loaded ones */
	snprintf(n.sink, sizeof(n.sink), "pd");
	snprintf(n.dedup_key, sizeof(n.dedup_key), "vigil/k/2");
	n.payload = (char *)"{\"event_action\":\"trigger\",\"dedup_key\":\"vigil/k/2\"}";
	int64_t id = 0;
	assert_int_equal(outbox_enqueue(h->ob, &n, &id), 0);
	assert_int_equal(id, 42);
	assert_true(tp_wait(&h->loop, drained, h, 10000));
	teardown_harness(h);
	free(h);
}

/* A missing secret is a clear configuration error naming the variable. */
static void test_missing_secret(void **state)
{
	(void)state;
	struct sink_spec cs;
	memset(&cs, 0, sizeof(cs));
	snprintf(cs.name, sizeof(cs.name), "pd");
	cs.kind = SINK_PAGERDUTY;
	snprintf(cs.url, sizeof(cs.url), "http://127.0.0.1:1/");
	snprintf(cs.secret_env, sizeof(cs.secret_env), "UNSET_VARIABLE_FOR_TEST");
	struct sinks *s = NULL;
	char *cause = NULL;
	assert_int_equal(sinks_new(&cs, 1, fake_getenv, NULL, &s, &cause), VG_ECONFIG);
	assert_non_null(strstr(cause, "sink 'pd': environment variable UNSET_VARIABLE_FOR_TEST "
	                              "is not set"));
	free(cause);
}

int main(void)
{
	http_global_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuse_then_accept),
		cmocka_unit_test(test_load_and_unknown),
		cmocka_unit_test(test_missing_secret),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
