/*
 * test_alertmanager.c: a real Alertmanager (Debian's prometheus-alertmanager,
 * started here on a free loopback port with --cluster.listen-address= so it
 * opens no cluster port, a generated config and a temporary storage dir)
 * receives vigil's alerts through the outbox. Read back from /api/v2/alerts
 * and /api/v2/alerts/groups: labels, annotations, grouping; an
 * acknowledgement becomes a silence (/api/v2/silences) that suppresses the
 * alert and not another vigil's incident with the same local id (matchers:
 * instance and incident_key); firing alerts are re-sent; a resolved incident's alert leaves the
 * active list. Set VIGIL_TEST_VERBOSE=1 to print what Alertmanager returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pipeline.h"
#include "core/vgerr.h"
#include "data/outbox.h"
#include "net/clock.h"
#include "net/http.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the test started, so main() can stop it even after a failed assertion. */
static pid_t started_pid = -1;
static char *started_dir;

struct t {
	uv_loop_t loop;
	struct http_client *http;
	struct sinks *sinks;
	struct outbox *ob;
	struct pipeline *p;
	char *dir;
	pid_t am;
	int port;
	char base[64];
	char log[32 * 1024];
	size_t log_len;
};

static void on_log(void *data, const char *line)
{
	struct t *t = data;
	int n = snprintf(t->log + t->log_len, sizeof(t->log) - t->log_len, "%s\n", line);
	if (n > 0 && t->log_len + (size_t)n < sizeof(t->log))
		t->log_len += (size_t)n;
}

static json_t *get_json(struct t *t, const char *path)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", t->base, path);
	struct tp_response r;
	if (tp_http(&t->loop, t->http, NULL, url, NULL, NULL, 5000, &r) || r.status != 200) {
		free(r.body);
		return NULL;
	}
	json_t *j = json_loads(r.body, 0, NULL);
	if (getenv("VIGIL_TEST_VERBOSE"))
		fprintf(stderr, "GET %s ->\n%s\n", path, r.body);
	free(r.body);
	return j;
}

static bool ready(void *data)
{
	struct t *t = data;
	char url[256];
	snprintf(url, sizeof(url), "%s/-/ready", t->base);
	struct tp_response r;
	tp_http(&t->loop, t->http, NULL, url, NULL, NULL, 1000, &r);
	free(r.body);
	return r.status == 200;
}

static bool drained(void *data)
{
	struct t *t = data;
	struct outbox_stats st;
	outbox_stats(t->ob, &st);
	return st.pending == 0;
}

static void start_alertmanager(struct t *t)
{
	char *bin = tp_which("prometheus-alertmanager");
	if (!bin)
		bin = tp_which("alertmanager");
	if (!bin)
		fail_msg("prometheus-alertmanager not found: install it (scripts/setup.sh --test)");
	t->dir = tu_mkdtemp("vigil-am");
	char cfg[512], data[512], logp[512], listen[64];
	snprintf(cfg, sizeof(cfg), "%s/alertmanager.yml", t->dir);
	snprintf(data, sizeof(data), "%s/data", t->dir);
	snprintf(logp, sizeof(logp), "%s/alertmanager.log", t->dir);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	fputs("route:\n"
	      "  receiver: default\n"
	      "  group_by: ['alertname', 'provider']\n"
	      "  group_wait: 1s\n"
	      "  group_interval: 1s\n"
	      "  repeat_interval: 1h\n"
	      "receivers:\n"
	      "  - name: default\n",
	      f);
	fclose(f);
	t->port = tp_free_port();
	assert_true(t->port > 0);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", t->port);
	char a1[600], a2[600];
	snprintf(a1, sizeof(a1), "--config.file=%s", cfg);
	snprintf(a2, sizeof(a2), "--storage.path=%s", data);
	char *argv[] = {
		bin, a1, a2, listen, "--cluster.listen-address=", "--log.level=warn", NULL
	};
	t->am = tp_spawn(argv, logp);
	started_pid = t->am;
	started_dir = t->dir;
	free(bin);
	assert_true(t->am > 0);
	snprintf(t->base, sizeof(t->base), "http://127.0.0.1:%d", t->port);
	if (!tp_wait(&t->loop, ready, t, 20000)) {
		char *log = tu_read_file(logp, NULL);
		fail_msg("alertmanager did not become ready:\n%s", log ? log : "(no log)");
	}
}

static void deliver(struct t *t, const struct effects *fx)
{
	for (size_t i = 0; i < fx->n_notifications; i++)
		assert_int_equal(outbox_enqueue(t->ob, &fx->notifications[i], NULL), 0);
}

static struct observation failing(const char *provider, int status, enum err_class ec, int64_t ts)
{
	struct observation o;
	observation_init(&o);
	o.ts_ms = ts;
	model_copy_str(o.pid.provider, sizeof(o.pid.provider), provider, (size_t)-1);
	model_copy_str(o.pid.model, sizeof(o.pid.model), "m-1", (size_t)-1);
	snprintf(o.request_id, sizeof(o.request_id), "r-%lld", (long long)ts);
	o.http_status = status;
	o.norm.error_class = ec;
	o.total_ms = 200;
	o.traffic_class = TC_REVENUE;
	return o;
}

static json_t *find_alert(json_t *alerts, const char *incident_key)
{
	size_t i;
	json_t *a;
	json_array_foreach (alerts, i, a) {
		const char *k = json_string_value(
		        json_object_get(json_object_get(a, "labels"), "incident_key"));
		if (k && strcmp(k, incident_key) == 0)
			return a;
	}
	return NULL;
}

static const char *label(json_t *a, const char *k)
{
	return json_string_value(json_object_get(json_object_get(a, "labels"), k));
}

static const char *state_of(json_t *a)
{
	return json_string_value(json_object_get(json_object_get(a, "status"), "state"));
}

struct want_state {
	struct t *t;
	const char *id;
	const char *state; /* NULL: the alert is gone */
};

static bool alert_in_state(void *data)
{
	struct want_state *w = data;
	json_t *alerts = get_json(w->t, "/api/v2/alerts");
	json_t *a = find_alert(alerts, w->id);
	bool ok = w->state ? a && strcmp(state_of(a), w->state) == 0 : a == NULL;
	json_decref(alerts);
	return ok;
}

static void test_alertmanager(void **state)
{
	(void)state;
	struct t *t = calloc(1, sizeof(*t));
	uv_loop_init(&t->loop);
	assert_int_equal(http_client_new(&t->loop, &t->http), 0);
	start_alertmanager(t);

	struct sink_spec cs;
	memset(&cs, 0, sizeof(cs));
	snprintf(cs.name, sizeof(cs.name), "am");
	cs.kind = SINK_ALERTMANAGER;
	snprintf(cs.url, sizeof(cs.url), "%s/", t->base);
	cs.timeout_ms = 5000;
	cs.resend_interval_ms = 1000;
	cs.resolve_timeout_ms = 3000;
	char *cause = NULL;
	assert_int_equal(sinks_new(&cs, 1, NULL, NULL, &t->sinks, &cause), 0);
	assert_int_equal(sinks_start_resend(t->sinks, &t->loop, t->http, NULL, NULL, NULL, NULL),
	                 0);
	struct outbox_options o;
	outbox_options_defaults(&o);
	o.backoff_base_ms = 50;
	o.log = on_log;
	o.log_data = t;
	assert_int_equal(outbox_new(&t->loop, t->sinks, t->http, &o, &t->ob), 0);

	struct core_settings s;
	settings_defaults(&s);
	t->p = pipeline_new(&s, NULL, 0);
	struct route_sink rs = { "am", SINK_ALERTMANAGER, SEV_HIGH };
	struct payload_options po;
	payload_options_defaults(&po);
	snprintf(po.source, sizeof(po.source), "vigil-it");
	snprintf(po.console_url, sizeof(po.console_url), "http://vigil.test/incidents");
	po.silence_ms = 3600 * 1000;
	assert_int_equal(pipeline_set_routes(t->p, &rs, 1, &po), 0);

	/* two incidents: an outage on openai, an auth failure on anthropic. The
	 * times are the wall clock: Alertmanager judges startsAt/endsAt by it. */
	int64_t now = clock_wall_ms();
	struct effects fx;
	for (int i = 0; i < 20; i++) {
		struct observation ob = failing("openai", 503, EC_OVERLOADED, now + i);
		assert_int_equal(pipeline_feed(t->p, &ob, ob.ts_ms, &fx), 0);
		deliver(t, &fx);
	}
	struct observation ob = failing("anthropic", 401, EC_AUTH, now + 30);
	assert_int_equal(pipeline_feed(t->p, &ob, ob.ts_ms, &fx), 0);
	deliver(t, &fx);
	size_t n;
	const struct incident *const *v = incidents_list(pipeline_incidents(t->p), &n);
	assert_int_equal(n, 2);
	char id_openai[INCIDENT_KEY_MAX], id_anthropic[INCIDENT_KEY_MAX];
	snprintf(id_openai, sizeof(id_openai), "%s", v[0]->dedup_key);
	snprintf(id_anthropic, sizeof(id_anthropic), "%s", v[1]->dedup_key);
	int64_t inc_openai = v[0]->id, inc_anthropic = v[1]->id;

	/* another vigil (instance "other") with the same events: its openai
	 * incident has the same local id (1), another key and instance label */
	struct pipeline *other = pipeline_new(&s, NULL, 0);
	struct incident_settings is;
	incident_settings_defaults(&is);
	snprintf(is.instance, sizeof(is.instance), "other");
	assert_int_equal(pipeline_set_incidents(other, &is, 1), 0);
	struct payload_options po2 = po;
	snprintf(po2.source, sizeof(po2.source), "vigil-other");
	assert_int_equal(pipeline_set_routes(other, &rs, 1, &po2), 0);
	for (int i = 0; i < 3; i++) { /* three failures: evidence enough to page */
		struct observation ob2 = failing("openai", 503, EC_OVERLOADED, now + i);
		assert_int_equal(pipeline_feed(other, &ob2, ob2.ts_ms, &fx), 0);
		deliver(t, &fx);
	}
	const struct incident *oi = incidents_get(pipeline_incidents(other), 1);
	assert_non_null(oi);
	assert_int_equal(oi->id, inc_openai);
	char id_other[INCIDENT_KEY_MAX];
	snprintf(id_other, sizeof(id_other), "%s", oi->dedup_key);
	assert_true(tp_wait(&t->loop, drained, t, 10000));

	/* labels and annotations as Alertmanager stores them */
	json_t *alerts = get_json(t, "/api/v2/alerts");
	assert_non_null(alerts);
	assert_int_equal(json_array_size(alerts), 3);
	json_t *a = find_alert(alerts, id_openai);
	assert_non_null(a);
	assert_string_equal(label(a, "alertname"), "VigilProviderOutage");
	assert_string_equal(label(a, "category"), "provider");
	assert_string_equal(label(a, "subtype"), "overloaded");
	assert_string_equal(label(a, "provider"), "openai");
	const char *sev = label(a, "severity");
	assert_true(strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0);
	assert_string_equal(label(a, "instance"), "vigil-it");
	json_t *ann = json_object_get(a, "annotations");
	assert_non_null(strstr(json_string_value(json_object_get(ann, "summary")), "openai"));
	assert_non_null(strstr(json_string_value(json_object_get(ann, "runbook_url")),
	                       "docs/runbooks/provider.md#overloaded"));
	assert_string_equal(json_string_value(json_object_get(a, "generatorURL")),
	                    "http://vigil.test/incidents");
	assert_string_equal(state_of(a), "active");
	json_t *b = find_alert(alerts, id_anthropic);
	assert_non_null(b);
	assert_string_equal(label(b, "alertname"), "VigilProviderAuth");
	assert_string_equal(label(b, "provider"), "anthropic");
	json_decref(alerts);

	/* grouping by alertname and provider: two groups (the two vigils'
	 * openai outages in one) */
	json_t *groups = get_json(t, "/api/v2/alerts/groups");
	assert_non_null(groups);
	assert_int_equal(json_array_size(groups), 2);
	size_t gi;
	json_t *g;
	json_array_foreach (groups, gi, g) {
		json_t *gl = json_object_get(g, "labels");
		assert_non_null(json_object_get(gl, "alertname"));
		assert_non_null(json_object_get(gl, "provider"));
		const char *pv = json_string_value(json_object_get(gl, "provider"));
		assert_int_equal(json_array_size(json_object_get(g, "alerts")),
		                 strcmp(pv, "openai") == 0 ? 2 : 1);
	}
	json_decref(groups);

	/* acknowledging makes a silence that suppresses the openai alert */
	int64_t t_ack = clock_wall_ms(); /* the silence starts now, not in the future */
	assert_int_equal(pipeline_operator_action(t->p, ACTION_ACK, inc_openai, t_ack, "alice",
	                                          "failing over", &fx),
	                 0);
	deliver(t, &fx);
	assert_true(tp_wait(&t->loop, drained, t, 10000));
	json_t *sil = get_json(t, "/api/v2/silences");
	assert_non_null(sil);
	assert_int_equal(json_array_size(sil), 1);
	json_t *si = json_array_get(sil, 0);
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(si, "status"), "state")),
	        "active");
	assert_string_equal(json_string_value(json_object_get(si, "createdBy")), "alice");
	assert_non_null(strstr(json_string_value(json_object_get(si, "comment")), "failing over"));
	/* the instance and the incident key (an incident_id="1" matcher would
	 * silence the other vigil's incident 1 too) */
	json_t *ms = json_object_get(si, "matchers");
	assert_int_equal(json_array_size(ms), 2);
	json_t *m = json_array_get(ms, 0);
	assert_string_equal(json_string_value(json_object_get(m, "name")), "instance");
	assert_string_equal(json_string_value(json_object_get(m, "value")), "vigil-it");
	m = json_array_get(ms, 1);
	assert_string_equal(json_string_value(json_object_get(m, "name")), "incident_key");
	assert_string_equal(json_string_value(json_object_get(m, "value")), id_openai);
	char silence_id[64];
	snprintf(silence_id, sizeof(silence_id), "%s",
	         json_string_value(json_object_get(si, "id")));
	json_decref(sil);
	struct want_state w = { t, id_openai, "suppressed" };
	assert_true(tp_wait(&t->loop, alert_in_state, &w, 10000));
	alerts = get_json(t, "/api/v2/alerts");
	a = find_alert(alerts, id_openai);
	json_t *by = json_object_get(json_object_get(a, "status"), "silencedBy");
	assert_string_equal(json_string_value(json_array_get(by, 0)), silence_id);
	assert_string_equal(state_of(find_alert(alerts, id_anthropic)), "active");
	json_t *oa = find_alert(alerts, id_other);
	assert_non_null(oa);
	assert_string_equal(label(oa, "instance"), "vigil-other");
	assert_string_equal(state_of(oa), "active");
	json_decref(alerts);

	/* firing alerts are re-sent while they last */
	tp_run_for(&t->loop, 2500);
	assert_true(sinks_resends(t->sinks) >= 1);
	assert_int_equal(sinks_alertmanager_active(t->sinks, 0), 3); /* the other vigil's too */

	/* resolving anthropic ends its alert */
	assert_int_equal(pipeline_operator_action(t->p, ACTION_RESOLVE, inc_anthropic,
	                                          clock_wall_ms(), "bob", NULL, &fx),
	                 0);
	deliver(t, &fx);
	assert_true(tp_wait(&t->loop, drained, t, 10000));
	struct want_state gone = { t, id_anthropic, NULL };
	assert_true(tp_wait(&t->loop, alert_in_state, &gone, 10000));
	w.state = "suppressed";
	assert_true(alert_in_state(&w));
	/* the resolved one is still re-sent for resolve_timeout (3 s), then forgotten */
	tp_run_for(&t->loop, 4500);
	assert_int_equal(sinks_alertmanager_active(t->sinks, 0), 2);
	assert_true(alert_in_state(&gone));
	if (getenv("VIGIL_TEST_VERBOSE")) {
		json_decref(get_json(t, "/api/v2/alerts"));
		json_decref(get_json(t, "/api/v2/silences"));
		fprintf(stderr, "outbox log:\n%s", t->log);
	}

	sinks_stop_resend(t->sinks);
	outbox_close(t->ob);
	http_client_close(t->http);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	sinks_free(t->sinks);
	pipeline_free(t->p);
	pipeline_free(other);
	tp_kill(t->am);
	started_pid = -1;
	assert_int_equal(uv_loop_close(&t->loop), 0);
	tu_rmtree(t->dir);
	free(t->dir);
	started_dir = NULL;
	free(t);
}

int main(void)
{
	http_global_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alertmanager),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (started_pid > 0)
		tp_kill(started_pid);
	if (started_dir)
		tu_rmtree(started_dir);
	curl_global_cleanup();
	return rc;
}
