/*
 * test_sink_health.c: an Alertmanager sink that goes away and comes back,
 * seen only through re-sends (no new notification while it is down). A real
 * loopback server accepts the first alert list, then is closed (connections
 * refused), then listens again on the same port. The outbox's clock is the
 * test's: each attempt is 20 s after the one before, so "failing for 60 s"
 * needs no waiting. Checked: every attempt is counted in
 * vigil_sink_deliveries_total, vigil_sink_up falls to 0 at the first refused
 * attempt, the sink is reported unreachable once (the daemon turns that into
 * the sink_unreachable monitor incident), and up again when it answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "data/metrics.h"
#include "data/outbox.h"
#include "net/http.h"
#include "net/httpd.h"
#include "tests/support/proc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1767225600000LL

struct h {
	uv_loop_t loop;
	struct http_client *http;
	struct httpd *srv;
	int port;
	int accepted;
	struct sinks *sinks;
	struct outbox *ob;
	struct metrics *reg;
	struct metric_family *up, *deliveries;
	int64_t now;
	int attempts; /* re-send answers seen */
	int downs, ups;
	char detail[160];
};

static void on_request(void *data, const struct httpd_request *req, struct httpd_reply *reply)
{
	struct h *h = data;
	if (strcmp(req->method, "POST") == 0 && strcmp(req->path, "/api/v2/alerts") == 0)
		h->accepted++;
	httpd_respond(reply, 200, "application/json", "{}", 2, NULL, 0);
}

static int64_t test_now(void *data)
{
	return ((struct h *)data)->now;
}

static void on_resend(void *data, size_t i, const struct http_response *r)
{
	struct h *h = data;
	h->attempts++;
	h->now += 20000;
	outbox_resend_hook(h->ob, i, r);
}

static void on_health(void *data, const char *sink, bool up, const char *detail)
{
	struct h *h = data;
	assert_string_equal(sink, "am");
	if (up) {
		h->ups++;
	} else {
		h->downs++;
		snprintf(h->detail, sizeof(h->detail), "%s", detail);
	}
}

static void quiet(void *data, const char *line)
{
	(void)data;
	(void)line;
}

static double up_value(struct h *h)
{
	const char *v[] = { "am" };
	return metrics_value(h->up, v);
}

static double count(struct h *h, const char *result)
{
	const char *v[] = { "am", result };
	double x = metrics_value(h->deliveries, v);
	return isnan(x) ? 0 : x;
}

static bool delivered(void *data)
{
	struct outbox_stats st;
	outbox_stats(((struct h *)data)->ob, &st);
	return st.delivered == 1;
}

static bool two_attempts(void *data)
{
	return ((struct h *)data)->attempts >= 2;
}

static bool reported_down(void *data)
{
	return ((struct h *)data)->downs > 0;
}

static bool reported_up(void *data)
{
	return ((struct h *)data)->ups > 0;
}

static void test_resends_count_and_report(void **state)
{
	(void)state;
	struct h *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->now = T0;
	uv_loop_init(&h->loop);
	assert_int_equal(http_client_new(&h->loop, &h->http), 0);
	assert_int_equal(httpd_start(&h->loop, "127.0.0.1", 0, on_request, h, &h->srv, NULL), 0);
	h->port = httpd_port(h->srv);
	struct sink_spec cs;
	memset(&cs, 0, sizeof(cs));
	snprintf(cs.name, sizeof(cs.name), "am");
	cs.kind = SINK_ALERTMANAGER;
	snprintf(cs.url, sizeof(cs.url), "http://127.0.0.1:%d", h->port);
	cs.timeout_ms = 2000;
	cs.resend_interval_ms = 30;
	cs.resolve_timeout_ms = 300000;
	char *cause = NULL;
	assert_int_equal(sinks_new(&cs, 1, NULL, NULL, &h->sinks, &cause), 0);

	h->reg = metrics_new();
	const char *l_sink[] = { "sink", NULL };
	const char *l_sinkres[] = { "sink", "result", NULL };
	h->up = metrics_gauge(h->reg, "vigil_sink_up", "up", l_sink);
	h->deliveries =
	        metrics_counter(h->reg, "vigil_sink_deliveries_total", "attempts", l_sinkres);
	assert_non_null(h->up);
	assert_non_null(h->deliveries);
	struct outbox_options o;
	outbox_options_defaults(&o);
	o.now_ms = test_now;
	o.now_data = h;
	o.log = quiet;
	o.on_health = on_health;
	o.health_data = h;
	o.metrics.up = h->up;
	o.metrics.deliveries = h->deliveries;
	assert_int_equal(outbox_new(&h->loop, h->sinks, h->http, &o, &h->ob), 0);

	/* one firing alert, delivered through a row */
	struct notification n;
	memset(&n, 0, sizeof(n));
	snprintf(n.sink, sizeof(n.sink), "am");
	snprintf(n.dedup_key, sizeof(n.dedup_key), "k1");
	char payload[] = "[{\"labels\":{\"alertname\":\"vigil\",\"incident_key\":\"k1\"}}]";
	n.kind = SINK_ALERTMANAGER;
	n.payload = payload;
	assert_int_equal(outbox_enqueue(h->ob, &n, NULL), 0);
	assert_true(tp_wait(&h->loop, delivered, h, 10000));
	assert_true(up_value(h) == 1);
	assert_int_equal((int)count(h, "delivered"), 1);

	/* Alertmanager goes away: connections are refused; only re-sends try */
	httpd_close(h->srv);
	h->srv = NULL;
	assert_int_equal(sinks_start_resend(h->sinks, &h->loop, h->http, test_now, h, on_resend, h),
	                 0);
	assert_true(tp_wait(&h->loop, two_attempts, h, 10000));
	assert_true(up_value(h) == 0);
	assert_true(count(h, "retry") >= 2);
	assert_int_equal(h->downs, 0); /* 20 s of failing is not "keeps failing" */

	assert_true(tp_wait(&h->loop, reported_down, h, 10000));
	assert_int_equal(h->downs, 1);
	assert_true(count(h, "retry") >= 3);
	assert_true(h->now - T0 >= 60000 + 20000);
	assert_non_null(strstr(h->detail, "failed attempts"));
	tp_run_for(&h->loop, 200); /* more failures: still reported once */
	assert_int_equal(h->downs, 1);

	/* it comes back on the same port */
	double retries = count(h, "retry");
	assert_int_equal(httpd_start(&h->loop, "127.0.0.1", h->port, on_request, h, &h->srv, NULL),
	                 0);
	assert_true(tp_wait(&h->loop, reported_up, h, 10000));
	assert_int_equal(h->ups, 1);
	assert_true(up_value(h) == 1);
	assert_true(count(h, "delivered") >= 2);
	assert_true(count(h, "retry") >= retries);
	assert_true(h->accepted >= 2);
	assert_true(sinks_resends(h->sinks) >= 1);

	sinks_stop_resend(h->sinks);
	outbox_close(h->ob);
	http_client_close(h->http);
	httpd_close(h->srv);
	uv_run(&h->loop, UV_RUN_DEFAULT);
	sinks_free(h->sinks);
	metrics_free(h->reg);
	assert_int_equal(uv_loop_close(&h->loop), 0);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resends_count_and_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
