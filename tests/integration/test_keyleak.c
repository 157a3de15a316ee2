/*
 * test_keyleak.c: secrets never reach the database, the logs or /metrics.
 *
 * Sentinel secrets are put in the environment (a PagerDuty routing key, a
 * webhook bearer token, a Jira user:token); the sinks read them from there
 * as in production. Incidents flow pipeline -> store batch (the outbox rows
 * are committed with the rest of the effects) -> outbox attached to the
 * store -> local receivers, one of which refuses and echoes the
 * Authorization header back in its error body, another of which rejects
 * once with the token in the body. Then the database file and its -wal (read
 * while the store is still open, and again after it closed), the log file
 * and a /metrics scrape are searched for every sentinel and its base64 form:
 * none may appear. The receivers did get them (so the search would find
 * them if they leaked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/metrics_std.h"
#include "core/pipeline.h"
#include "core/vgerr.h"
#include "data/outbox.h"
#include "data/store.h"
#include "net/http.h"
#include "net/httpd.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PD_KEY     "LEAKCHECK-PD-0f9e8d7c6b5a"
#define HOOK_TOKEN "LEAKCHECK-HOOK-1a2b3c4d5e"
#define JIRA_AUTH  "leak-user:LEAKCHECK-JIRA-77aa88bb"
/* base64 of JIRA_AUTH, as it goes on the wire */
#define JIRA_B64 "bGVhay11c2VyOkxFQUtDSEVDSy1KSVJBLTc3YWE4OGJi"

struct recv {
	int requests, accepted;
	bool saw_secret;
	const char *secret; /* what this receiver expects to see */
	int refuse;         /* refusals before accepting */
	bool echo_auth;     /* put the Authorization header in the refusal body */
};

static void on_req(void *data, const struct httpd_request *req, struct httpd_reply *reply)
{
	struct recv *r = data;
	r->requests++;
	const char *auth = httpd_header(req, "authorization");
	if ((auth && strstr(auth, r->secret)) || strstr(req->body, r->secret))
		r->saw_secret = true;
	if (r->requests <= r->refuse) {
		char body[512];
		int n = snprintf(body, sizeof(body),
		                 "{\"error\":\"refused\",\"got\":\"%s\",\"body\":%s}",
		                 auth ? auth : "", req->body_len < 200 ? req->body : "\"...\"");
		httpd_respond(reply, r->echo_auth ? 400 : 503, "application/json", body, (size_t)n,
		              NULL, 0);
		return;
	}
	r->accepted++;
	httpd_respond(reply, req->path[1] == 'r' ? 201 : 202, "application/json", "{}", 2, NULL, 0);
}

struct t {
	uv_loop_t loop;
	struct http_client *http;
	struct store *store;
	struct sinks *sinks;
	struct outbox *ob;
	struct pipeline *p;
	struct metrics *reg;
	struct vigil_metrics vm;
	struct httpd *pd_srv, *hook_srv, *jira_srv;
	struct recv pd, hook, jira;
	int64_t next_outbox_id;
	char *dir;
	char log_path[512], db_path[512];
	FILE *log;
	int commits;
};

static void on_log(void *data, const char *line)
{
	struct t *t = data;
	fprintf(t->log, "%s\n", line);
	fflush(t->log);
}

static void on_commit(void *data, const struct store_commit *c)
{
	struct t *t = data;
	assert_int_equal(c->err, 0);
	t->commits++;
}

static void on_max_ids(void *data, const struct store_answer *a)
{
	struct t *t = data;
	t->next_outbox_id = a->max_ids.outbox + 1;
}

/* Effects of one pipeline call: into one store batch, and into metrics. */
static void persist(struct t *t, const struct effects *fx)
{
	metrics_std_effects(&t->vm, fx);
	struct store_batch *b = store_batch_new(on_commit, t);
	assert_non_null(b);
	assert_int_equal(store_batch_add_effects(b, fx, &t->next_outbox_id), 0);
	assert_int_equal(store_batch_refresh_incidents(b, pipeline_incidents(t->p)), 0);
	int rc;
	while ((rc = store_submit(t->store, b)) == VG_EFULL)
		uv_run(&t->loop, UV_RUN_ONCE);
	assert_int_equal(rc, 0);
}

static bool all_done(void *data)
{
	struct t *t = data;
	struct outbox_stats st;
	outbox_stats(t->ob, &st);
	/* one outage incident: trigger and acknowledge; opened, ticketed and
	 * acknowledged; one ticket */
	return t->pd.accepted >= 2 && t->hook.requests >= 3 && t->jira.accepted >= 1 &&
	       st.pending == 0;
}

/* Search a file for every sentinel; fail naming the file and the secret. */
static void assert_clean_file(const char *path, bool must_exist)
{
	size_t len = 0;
	char *buf = tu_read_file(path, &len);
	if (!buf) {
		if (must_exist)
			fail_msg("%s: cannot read", path);
		return;
	}
	const char *needles[] = { PD_KEY, HOOK_TOKEN, JIRA_AUTH, "LEAKCHECK", JIRA_B64 };
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
		size_t nl = strlen(needles[i]);
		for (size_t k = 0; k + nl <= len; k++)
			if (memcmp(buf + k, needles[i], nl) == 0)
				fail_msg("%s: secret '%s' found at byte %zu", path, needles[i], k);
	}
	free(buf);
}

static void test_no_secret_leaks(void **state)
{
	(void)state;
	struct t *t = calloc(1, sizeof(*t));
	t->dir = tu_mkdtemp("vigil-leak");
	snprintf(t->log_path, sizeof(t->log_path), "%s/vigil.log", t->dir);
	snprintf(t->db_path, sizeof(t->db_path), "%s/vigil.db", t->dir);
	t->log = fopen(t->log_path, "w");
	assert_non_null(t->log);
	setenv("VIGIL_TEST_PD_KEY", PD_KEY, 1);
	setenv("VIGIL_TEST_HOOK_TOKEN", HOOK_TOKEN, 1);
	setenv("VIGIL_TEST_JIRA_AUTH", JIRA_AUTH, 1);
	uv_loop_init(&t->loop);
	assert_int_equal(http_client_new(&t->loop, &t->http), 0);

	t->pd = (struct recv){ .secret = PD_KEY, .refuse = 2 };
	t->hook = (struct recv){ .secret = HOOK_TOKEN, .refuse = 1, .echo_auth = true };
	t->jira = (struct recv){ .secret = JIRA_B64 };
	assert_int_equal(httpd_start(&t->loop, "127.0.0.1", 0, on_req, &t->pd, &t->pd_srv, NULL),
	                 0);
	assert_int_equal(
	        httpd_start(&t->loop, "127.0.0.1", 0, on_req, &t->hook, &t->hook_srv, NULL), 0);
	assert_int_equal(
	        httpd_start(&t->loop, "127.0.0.1", 0, on_req, &t->jira, &t->jira_srv, NULL), 0);

	struct store_options so = { .path = t->db_path, .batch_ms = 20 };
	char *cause = NULL;
	if (store_open(&t->store, &t->loop, &so, &cause))
		fail_msg("store_open: %s", cause);
	assert_int_equal(store_query(t->store, STORE_Q_MAX_IDS, on_max_ids, t), 0);
	while (!t->next_outbox_id)
		uv_run(&t->loop, UV_RUN_ONCE);

	struct sink_spec cs[3];
	memset(cs, 0, sizeof(cs));
	snprintf(cs[0].name, sizeof(cs[0].name), "pd");
	cs[0].kind = SINK_PAGERDUTY;
	snprintf(cs[0].url, sizeof(cs[0].url), "http://127.0.0.1:%d/v2/enqueue",
	         httpd_port(t->pd_srv));
	snprintf(cs[0].secret_env, sizeof(cs[0].secret_env), "VIGIL_TEST_PD_KEY");
	snprintf(cs[1].name, sizeof(cs[1].name), "hook");
	cs[1].kind = SINK_WEBHOOK;
	snprintf(cs[1].url, sizeof(cs[1].url), "http://127.0.0.1:%d/hook", httpd_port(t->hook_srv));
	snprintf(cs[1].secret_env, sizeof(cs[1].secret_env), "VIGIL_TEST_HOOK_TOKEN");
	snprintf(cs[2].name, sizeof(cs[2].name), "jira");
	cs[2].kind = SINK_JIRA;
	cs[2].auth = SINK_AUTH_BASIC;
	snprintf(cs[2].url, sizeof(cs[2].url), "http://127.0.0.1:%d", httpd_port(t->jira_srv));
	snprintf(cs[2].secret_env, sizeof(cs[2].secret_env), "VIGIL_TEST_JIRA_AUTH");
	for (int i = 0; i < 3; i++)
		cs[i].timeout_ms = 3000;
	assert_int_equal(sinks_new(cs, 3, NULL, NULL, &t->sinks, &cause), 0);

	t->reg = metrics_new();
	assert_int_equal(metrics_std_register(t->reg, &t->vm, "test"), 0);
	struct outbox_options o;
	outbox_options_defaults(&o);
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 100;
	o.log = on_log;
	o.log_data = t;
	o.metrics = metrics_std_outbox(&t->vm);
	assert_int_equal(outbox_new(&t->loop, t->sinks, t->http, &o, &t->ob), 0);
	assert_int_equal(outbox_attach_store(t->ob, t->store, 50), 0);

	struct core_settings s;
	settings_defaults(&s);
	t->p = pipeline_new(&s, NULL, 0);
	struct incident_settings is;
	incident_settings_defaults(&is);
	is.ticket_after_ms = 60000;
	assert_int_equal(pipeline_set_incidents(t->p, &is, 1), 0);
	struct route_sink rs[] = { { "pd", SINK_PAGERDUTY, SEV_HIGH },
		                   { "hook", SINK_WEBHOOK, SEV_LOW },
		                   { "jira", SINK_JIRA, SEV_LOW } };
	struct payload_options po;
	payload_options_defaults(&po);
	assert_int_equal(pipeline_set_routes(t->p, rs, 3, &po), 0);

	/* an outage for 2 minutes (a ticket after 1), acknowledged */
	struct effects fx;
	const int64_t T0 = 1767225600000LL;
	for (int i = 0; i < 60; i++) {
		struct observation ob;
		observation_init(&ob);
		ob.ts_ms = T0 + i * 2000;
		model_copy_str(ob.pid.provider, sizeof(ob.pid.provider), "openai", (size_t)-1);
		model_copy_str(ob.pid.model, sizeof(ob.pid.model), "gpt-4o", (size_t)-1);
		model_copy_str(ob.pid.key_alias, sizeof(ob.pid.key_alias), "prod-key", (size_t)-1);
		snprintf(ob.request_id, sizeof(ob.request_id), "req-%d", i);
		ob.http_status = 500;
		ob.norm.error_class = EC_SERVER_ERROR;
		ob.total_ms = 100;
		assert_int_equal(pipeline_feed(t->p, &ob, ob.ts_ms, &fx), 0);
		metrics_std_observation(&t->vm, &ob);
		persist(t, &fx);
	}
	assert_int_equal(
	        pipeline_operator_action(t->p, ACTION_ACK, 1, T0 + 125000, "alice", "on it", &fx),
	        0);
	persist(t, &fx);
	if (!tp_wait(&t->loop, all_done, t, 30000))
		fail_msg("not delivered: pd %d/%d hook %d/%d jira %d/%d", t->pd.accepted,
		         t->pd.requests, t->hook.accepted, t->hook.requests, t->jira.accepted,
		         t->jira.requests);
	/* the receivers got the secrets: a leak would be findable */
	assert_true(t->pd.saw_secret);
	assert_true(t->hook.saw_secret);
	assert_true(t->jira.saw_secret);

	/* /metrics */
	struct httpd *msrv;
	assert_int_equal(metrics_serve(t->reg, &t->loop, "127.0.0.1", 0, &msrv, NULL), 0);
	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", httpd_port(msrv));
	struct tp_response r;
	assert_int_equal(tp_http(&t->loop, t->http, NULL, url, NULL, NULL, 5000, &r), 0);
	assert_non_null(
	        strstr(r.body, "vigil_sink_deliveries_total{sink=\"hook\",result=\"rejected\"} 1"));
	char mpath[600];
	snprintf(mpath, sizeof(mpath), "%s/metrics.txt", t->dir);
	FILE *mf = fopen(mpath, "w");
	fputs(r.body, mf);
	fclose(mf);
	free(r.body);
	assert_clean_file(mpath, true);

	/* the database and its WAL while the store is open */
	char wal[600];
	snprintf(wal, sizeof(wal), "%s-wal", t->db_path);
	tp_run_for(&t->loop, 300); /* outcomes committed */
	assert_clean_file(t->db_path, true);
	assert_clean_file(wal, false);

	/* the log: it has the refusals (with the echoed header redacted) */
	fflush(t->log);
	char *logtext = tu_read_file(t->log_path, NULL);
	assert_non_null(strstr(logtext, "sink hook: rejected notification"));
	assert_non_null(strstr(logtext, "sink pd: notification"));
	assert_non_null(strstr(logtext, "Bearer ****"));
	free(logtext);
	assert_clean_file(t->log_path, true);

	outbox_close(t->ob);
	sinks_stop_resend(t->sinks);
	http_client_close(t->http);
	httpd_close(msrv);
	httpd_close(t->pd_srv);
	httpd_close(t->hook_srv);
	httpd_close(t->jira_srv);
	store_close(t->store);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	fclose(t->log);
	/* and after the store closed */
	assert_clean_file(t->db_path, true);
	assert_clean_file(wal, false);
	assert_true(t->commits > 0);
	sinks_free(t->sinks);
	metrics_free(t->reg);
	pipeline_free(t->p);
	tu_rmtree(t->dir);
	free(t->dir);
	free(t);
}

int main(void)
{
	http_global_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_secret_leaks),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
