/*
 * test_http.c: net/http (libcurl multi on libuv) against net/httpd on
 * loopback: status, lower-cased headers, phase times, POST bodies, the body
 * cap, timeouts, refused connections, resets, cancel, close with requests
 * in flight, many requests at once, and httpd's refusals (413).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "net/http.h"
#include "net/httpd.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct server {
	uv_loop_t *loop;
	struct httpd *h;
	int port;
	uv_timer_t slow;
	struct httpd_reply *pending;
	int slow_active;
};

static char big[2 * 1024 * 1024];

static void on_slow(uv_timer_t *t)
{
	struct server *s = t->data;
	if (s->pending)
		httpd_respond(s->pending, 200, "text/plain", "late\n", 5, NULL, 0);
	s->pending = NULL;
}

static void handler(void *data, const struct httpd_request *req, struct httpd_reply *reply)
{
	struct server *s = data;
	if (strcmp(req->path, "/ok") == 0) {
		const char *h[] = { "X-Custom-Header: Value 1", "Retry-After: 7" };
		httpd_respond(reply, 200, "application/json", "{\"ok\":true}", 11, h, 2);
	} else if (strcmp(req->path, "/echo") == 0) {
		char head[128];
		snprintf(head, sizeof(head), "X-Method: %s", req->method);
		const char *h[] = { head };
		httpd_respond(reply, 201, "application/octet-stream", req->body, req->body_len, h,
		              1);
	} else if (strcmp(req->path, "/status") == 0) {
		httpd_respond(reply, (int)strtol(req->query, NULL, 10), "text/plain", "st\n", 3,
		              NULL, 0);
	} else if (strcmp(req->path, "/big") == 0) {
		httpd_respond(reply, 200, "text/plain", big, sizeof(big), NULL, 0);
	} else if (strcmp(req->path, "/slow") == 0) {
		s->pending = reply;
		uv_timer_start(&s->slow, on_slow, 3000, 0);
	} else if (strcmp(req->path, "/drop") == 0) {
		httpd_drop(reply);
	} else {
		httpd_respond(reply, 404, "text/plain", "no\n", 3, NULL, 0);
	}
}

static void server_start(struct server *s, uv_loop_t *loop)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	char *cause = NULL;
	assert_int_equal(httpd_start(loop, "127.0.0.1", 0, handler, s, &s->h, &cause), 0);
	s->port = httpd_port(s->h);
	assert_true(s->port > 0);
	uv_timer_init(loop, &s->slow);
	s->slow.data = s;
}

static void server_stop(struct server *s)
{
	httpd_close(s->h);
	uv_close((uv_handle_t *)&s->slow, NULL);
}

struct result {
	int done;
	struct http_response r;
	char body[64];
	char custom[64];
	char retry_after[16];
	size_t n_headers;
};

static void on_done(void *data, const struct http_response *r)
{
	struct result *res = data;
	res->done++;
	res->r = *r;
	res->r.headers = NULL;
	res->r.body = NULL;
	snprintf(res->body, sizeof(res->body), "%.*s", (int)(r->body_len < 63 ? r->body_len : 63),
	         r->body);
	const char *v = http_response_header(r, "x-custom-header");
	snprintf(res->custom, sizeof(res->custom), "%s", v ? v : "");
	v = http_response_header(r, "Retry-After");
	snprintf(res->retry_after, sizeof(res->retry_after), "%s", v ? v : "");
	res->n_headers = r->n_headers;
	for (size_t i = 0; i < r->n_headers; i++)
		for (const char *p = r->headers[i].name; *p; p++)
			assert_false(*p >= 'A' && *p <= 'Z');
}

static void run_until(uv_loop_t *loop, const int *flag, int want)
{
	while (*flag < want)
		uv_run(loop, UV_RUN_ONCE);
}

static void url(char *buf, size_t size, const struct server *s, const char *path)
{
	snprintf(buf, size, "http://127.0.0.1:%d%s", s->port, path);
}

static void test_get_post_headers_times(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct server s;
	server_start(&s, &loop);
	struct http_client *c;
	assert_int_equal(http_client_new(&loop, &c), 0);
	char u[128];
	url(u, sizeof(u), &s, "/ok");
	struct http_request req = { .url = u, .fresh_connect = true };
	struct result res = { 0 };
	uint64_t id = 0;
	assert_int_equal(http_request(c, &req, on_done, &res, &id), 0);
	assert_true(id > 0);
	assert_int_equal(res.done, 0); /* never from inside the call */
	assert_int_equal(http_in_flight(c), 1);
	run_until(&loop, &res.done, 1);
	assert_int_equal(res.r.err, 0);
	assert_int_equal(res.r.status, 200);
	assert_int_equal(res.r.transport, TE_NONE);
	assert_int_equal(res.r.id, id);
	assert_string_equal(res.body, "{\"ok\":true}");
	assert_int_equal(res.r.body_bytes, 11);
	assert_false(res.r.truncated);
	assert_string_equal(res.custom, "Value 1");
	assert_string_equal(res.retry_after, "7");
	assert_string_equal(res.r.primary_ip, "127.0.0.1");
	assert_true(res.r.times.connect_us > 0);
	assert_true(res.r.times.total_us >= res.r.times.starttransfer_us);
	assert_true(res.r.times.starttransfer_us >= res.r.times.pretransfer_us);
	assert_int_equal(res.r.times.appconnect_us, 0); /* no TLS */
	double ph[HTTP_PHASE__COUNT];
	http_phases(&res.r.times, ph);
	double sum = 0;
	for (int i = 0; i < HTTP_PHASE__COUNT; i++) {
		assert_true(ph[i] >= 0);
		sum += ph[i];
	}
	assert_true(ph[HTTP_PHASE_TLS] == 0);
	/* the phases add up to the total (within the gap pretransfer - connect) */
	assert_true(sum <= (double)res.r.times.total_us / 1e6 + 1e-9);
	assert_string_equal(http_phase_name(HTTP_PHASE_PROCESSING), "processing");

	/* POST with a body; the method and the body come back */
	url(u, sizeof(u), &s, "/echo");
	const char *hdrs[] = { "Content-Type: application/json" };
	struct http_request post = { .method = "POST",
		                     .url = u,
		                     .headers = hdrs,
		                     .n_headers = 1,
		                     .body = "{\"a\":1}",
		                     .body_len = 7 };
	memset(&res, 0, sizeof(res));
	assert_int_equal(http_request(c, &post, on_done, &res, NULL), 0);
	run_until(&loop, &res.done, 1);
	assert_int_equal(res.r.status, 201);
	assert_string_equal(res.body, "{\"a\":1}");

	/* statuses are answers, not errors */
	url(u, sizeof(u), &s, "/status?503");
	struct http_request st = { .url = u };
	memset(&res, 0, sizeof(res));
	assert_int_equal(http_request(c, &st, on_done, &res, NULL), 0);
	run_until(&loop, &res.done, 1);
	assert_int_equal(res.r.err, 0);
	assert_int_equal(res.r.status, 503);

	/* bad requests are refused at once */
	struct http_request bad = { .url = u, .method = "BREW" };
	assert_int_equal(http_request(c, &bad, on_done, &res, NULL), VG_EINVAL);
	struct http_request nourl = { .url = NULL };
	assert_int_equal(http_request(c, &nourl, on_done, &res, NULL), VG_EINVAL);
	struct http_request getbody = { .url = u, .body = "x", .body_len = 1 };
	assert_int_equal(http_request(c, &getbody, on_done, &res, NULL), VG_EINVAL);

	http_client_close(c);
	server_stop(&s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_cap_timeout_refused_reset(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	memset(big, 'b', sizeof(big));
	struct server s;
	server_start(&s, &loop);
	struct http_client *c;
	assert_int_equal(http_client_new(&loop, &c), 0);
	char u[128];

	url(u, sizeof(u), &s, "/big");
	struct http_request req = { .url = u, .max_body = 1000 };
	struct result res = { 0 };
	assert_int_equal(http_request(c, &req, on_done, &res, NULL), 0);
	run_until(&loop, &res.done, 1);
	assert_int_equal(res.r.err, 0);
	assert_int_equal(res.r.body_len, 1000);
	assert_int_equal(res.r.body_bytes, (int64_t)sizeof(big));
	assert_true(res.r.truncated);

	url(u, sizeof(u), &s, "/slow");
	struct http_request slow = { .url = u, .timeout_ms = 200 };
	memset(&res, 0, sizeof(res));
	assert_int_equal(http_request(c, &slow, on_done, &res, NULL), 0);
	run_until(&loop, &res.done, 1);
	assert_int_equal(res.r.err, VG_ENET);
	assert_int_equal(res.r.transport, TE_TIMEOUT);
	assert_int_equal(res.r.curl_code, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(res.r.status, -1);
	assert_true(res.r.error[0] != '\0');

	url(u, sizeof(u), &s, "/drop");
	struct http_request drop = { .url = u };
	memset(&res, 0, sizeof(res));
	assert_int_equal(http_request(c, &drop, on_done, &res, NULL), 0);
	run_until(&loop, &res.done, 1);
	assert_int_equal(res.r.err, VG_ENET);
	assert_int_equal(res.r.transport, TE_RESET);

	/* a port nobody listens on: bind one, close it, use it */
	struct httpd *tmp;
	assert_int_equal(httpd_start(&loop, "127.0.0.1", 0, handler, &s, &tmp, NULL), 0);
	int dead = httpd_port(tmp);
	httpd_close(tmp);
	uv_run(&loop, UV_RUN_NOWAIT);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", dead);
	struct http_request refused = { .url = u };
	memset(&res, 0, sizeof(res));
	assert_int_equal(http_request(c, &refused, on_done, &res, NULL), 0);
	run_until(&loop, &res.done, 1);
	assert_int_equal(res.r.err, VG_ENET);
	assert_int_equal(res.r.transport, TE_CONNECT);

	/* the mapping of the codes that loopback cannot produce */
	assert_int_equal(http_transport_error(CURLE_COULDNT_RESOLVE_HOST), TE_DNS);
	assert_int_equal(http_transport_error(CURLE_PEER_FAILED_VERIFICATION), TE_TLS);
	assert_int_equal(http_transport_error(CURLE_SSL_CONNECT_ERROR), TE_TLS);
	assert_int_equal(http_transport_error(CURLE_RECV_ERROR), TE_RESET);
	assert_int_equal(http_transport_error(CURLE_GOT_NOTHING), TE_RESET);
	assert_int_equal(http_transport_error(CURLE_OK), TE_NONE);

	/* a body over httpd's limit: 413 before the handler */
	url(u, sizeof(u), &s, "/echo");
	struct http_request huge = {
		.method = "POST", .url = u, .body = big, .body_len = sizeof(big)
	};
	memset(&res, 0, sizeof(res));
	assert_int_equal(http_request(c, &huge, on_done, &res, NULL), 0);
	run_until(&loop, &res.done, 1);
	assert_true(res.r.status == 413 || res.r.transport == TE_RESET);

	http_client_close(c);
	server_stop(&s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

struct chain {
	struct http_client *c;
	char url[128];
	int done, ok, left;
};

static void on_chain(void *data, const struct http_response *r)
{
	struct chain *ch = data;
	ch->done++;
	ch->ok += r->err == 0 && r->status == 200;
	if (ch->left > 0) {
		ch->left--;
		struct http_request req = { .url = ch->url };
		assert_int_equal(http_request(ch->c, &req, on_chain, ch, NULL), 0);
	}
}

static void on_count(void *data, const struct http_response *r)
{
	int *n = data;
	(*n) += r->err == 0 && r->status == 200 ? 1 : 1000;
}

static void test_many_cancel_close(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct server s;
	server_start(&s, &loop);
	struct http_client *c;
	assert_int_equal(http_client_new(&loop, &c), 0);
	char u[128];
	url(u, sizeof(u), &s, "/ok");

	/* 64 at once */
	int n = 0;
	for (int i = 0; i < 64; i++) {
		struct http_request req = { .url = u, .fresh_connect = i % 2 == 0 };
		assert_int_equal(http_request(c, &req, on_count, &n, NULL), 0);
	}
	run_until(&loop, &n, 64);
	assert_int_equal(n, 64);

	/* a callback that starts the next request */
	struct chain ch = { .c = c, .left = 5 };
	snprintf(ch.url, sizeof(ch.url), "%s", u);
	struct http_request first = { .url = u };
	assert_int_equal(http_request(c, &first, on_chain, &ch, NULL), 0);
	run_until(&loop, &ch.done, 6);
	assert_int_equal(ch.ok, 6);

	/* cancel: the callback runs at once with VG_ESTATE */
	url(u, sizeof(u), &s, "/slow");
	struct http_request slow = { .url = u };
	struct result res = { 0 };
	uint64_t id;
	assert_int_equal(http_request(c, &slow, on_done, &res, &id), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(http_cancel(c, id), 0);
	assert_int_equal(res.done, 1);
	assert_int_equal(res.r.err, VG_ESTATE);
	assert_int_equal(http_cancel(c, id), VG_ENOTFOUND);

	/* close with requests in flight: each completes with VG_ESTATE */
	struct result a = { 0 }, b = { 0 };
	assert_int_equal(http_request(c, &slow, on_done, &a, NULL), 0);
	assert_int_equal(http_request(c, &slow, on_done, &b, NULL), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	http_client_close(c);
	assert_int_equal(a.done, 1);
	assert_int_equal(b.done, 1);
	assert_int_equal(a.r.err, VG_ESTATE);
	server_stop(&s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	assert_int_equal(http_global_init(), 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_post_headers_times),
		cmocka_unit_test(test_cap_timeout_refused_reset),
		cmocka_unit_test(test_many_cancel_close),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
