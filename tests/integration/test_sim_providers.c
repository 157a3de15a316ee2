/*
 * test_sim_providers.c: the provider simulator over real loopback sockets.
 * The server runs in process (sim/sim.h) on its own uv loop thread with the
 * shipped `faults` scenario (model "sim-<fault>" = that fault, always on),
 * and a blocking client checks status, headers and bodies against the
 * providers' documented behaviour (docs/sim.md, Provider server):
 * one test per fault kind and provider, streams, the providers' own 4xx for
 * malformed requests, and the scenario timeline (oncall-day at chosen
 * scenario times).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim.h"
#include "tests/support/testutil.h"
#include "tests/support/tu_http.h"

#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an in-process server on its own loop thread ---- */

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

/* speed 1e-9: the scenario clock stands still at from_ms. */
static struct srv *srv_start(const char *scenario, int64_t from_ms)
{
	struct srv *v = calloc(1, sizeof(*v));
	struct sim_scenario *scn = NULL;
	char *cause = NULL;
	if (sim_scenario_load(scenario, &scn, &cause) != 0) {
		fprintf(stderr, "load %s: %s\n", scenario, cause);
		free(cause);
		free(v);
		return NULL;
	}
	uv_loop_init(&v->loop);
	struct sim_server_opts o = { .scenario = scn, .speed = 1e-9, .from_ms = from_ms };
	int rc = sim_server_start(&v->loop, &o, &v->s, &cause);
	free(scn);
	if (rc) {
		fprintf(stderr, "start: %s\n", cause);
		free(cause);
		uv_run(&v->loop, UV_RUN_DEFAULT);
		uv_loop_close(&v->loop);
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
	if (!v)
		return;
	uv_async_send(&v->stop);
	pthread_join(v->th, NULL);
	uv_loop_close(&v->loop);
	free(v);
}

static struct srv *faults;

static int group_setup(void **state)
{
	(void)state;
	faults = srv_start("faults", 0);
	return faults ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	srv_stop(faults);
	return 0;
}

/* ---- requests ---- */

#define OPENAI_H    "Authorization: Bearer sk-test-abcd9876\r\nContent-Type: application/json\r\n"
#define ANTHROPIC_H "x-api-key: sk-ant-test\r\nanthropic-version: 2023-06-01\r\n"
#define GOOGLE_H    "x-goog-api-key: AIza-test\r\n"

static void openai(struct tu_http_resp *r, const char *model, const char *extra)
{
	char body[1024];
	snprintf(body, sizeof(body),
	         "{\"model\":\"%s\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	         "{\"role\":\"user\",\"content\":\"How long are backups kept?\"}]%s}",
	         model, extra ? extra : "");
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/chat/completions", OPENAI_H,
	                                 body, strlen(body), 5000, r),
	                 0);
}

static void anthropic(struct tu_http_resp *r, const char *model, const char *extra)
{
	char body[1024];
	snprintf(body, sizeof(body),
	         "{\"model\":\"%s\",\"max_tokens\":512,\"messages\":[{\"role\":\"user\","
	         "\"content\":\"How long are backups kept?\"}]%s}",
	         model, extra ? extra : "");
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/messages", ANTHROPIC_H, body,
	                                 strlen(body), 5000, r),
	                 0);
}

static void google(struct tu_http_resp *r, const char *model, const char *method, const char *extra)
{
	char path[256], body[1024];
	snprintf(path, sizeof(path), "/v1beta/models/%s:%s", model, method);
	snprintf(body, sizeof(body),
	         "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"How long are backups "
	         "kept?\"}]}]%s}",
	         extra ? extra : "");
	assert_int_equal(
	        tu_http_request(faults->port, "POST", path, GOOGLE_H, body, strlen(body), 5000, r),
	        0);
}

static json_t *jbody(const struct tu_http_resp *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, &e);
	if (!j)
		fprintf(stderr, "not JSON (%s): %.300s\n", e.text, r->body ? r->body : "");
	assert_non_null(j);
	return j;
}

/* A value by dotted path with [n] indices ("choices[0].message.content"). */
static json_t *jp(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *p = path;
	while (cur && *p) {
		size_t n = strcspn(p, ".[");
		if (n) {
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int)n, p);
			cur = json_object_get(cur, key);
			p += n;
		}
		while (cur && *p == '[') {
			char *end;
			size_t idx = strtoul(p + 1, &end, 10);
			cur = json_array_get(cur, idx);
			p = *end == ']' ? end + 1 : end;
		}
		if (*p == '.')
			p++;
	}
	return cur;
}

static const char *js(json_t *root, const char *path)
{
	json_t *v = jp(root, path);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long ji(json_t *root, const char *path)
{
	json_t *v = jp(root, path);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void assert_str(const char *got, const char *want)
{
	if (!got || strcmp(got, want) != 0)
		fprintf(stderr, "expected '%s', got '%s'\n", want, got ? got : "(null)");
	assert_non_null(got);
	assert_string_equal(got, want);
}

static bool matches(const char *s, const char *re)
{
	regex_t rx;
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	bool ok = s && regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	if (!ok)
		fprintf(stderr, "'%s' does not match /%s/\n", s ? s : "(null)", re);
	return ok;
}

static const char *hdr(const struct tu_http_resp *r, const char *name)
{
	const char *v = tu_http_header(r, name);
	if (!v)
		fprintf(stderr, "missing header %s\n", name);
	assert_non_null(v);
	return v;
}

#define RFC3339_S "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
#define GO_DUR    "^([0-9]+h)?([0-9]+m)?([0-9]+(\\.[0-9]+)?s|[0-9]+ms)$"

/* ---- success ---- */

static void test_openai_ok(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-ok", NULL);
	assert_int_equal(r.status, 200);
	assert_true(matches(hdr(&r, "x-request-id"), "^req_[0-9a-f]{32}$"));
	assert_true(matches(hdr(&r, "openai-processing-ms"), "^[0-9]+$"));
	assert_true(matches(hdr(&r, "x-ratelimit-limit-requests"), "^[0-9]+$"));
	assert_true(matches(hdr(&r, "x-ratelimit-remaining-tokens"), "^[0-9]+$"));
	assert_true(matches(hdr(&r, "x-ratelimit-reset-requests"), GO_DUR));
	assert_true(matches(hdr(&r, "x-ratelimit-reset-tokens"), GO_DUR));
	assert_str(hdr(&r, "content-type"), "application/json");
	json_t *b = jbody(&r);
	assert_str(js(b, "object"), "chat.completion");
	assert_str(js(b, "model"), "sim-ok");
	assert_true(matches(js(b, "id"), "^chatcmpl-[A-Za-z0-9]+$"));
	assert_str(js(b, "choices[0].finish_reason"), "stop");
	assert_str(js(b, "choices[0].message.role"), "assistant");
	assert_true(strlen(js(b, "choices[0].message.content")) > 10);
	long long p = ji(b, "usage.prompt_tokens"), c = ji(b, "usage.completion_tokens");
	assert_true(p > 0 && c > 0);
	assert_int_equal(ji(b, "usage.total_tokens"), p + c);
	assert_true(json_is_integer(jp(b, "usage.prompt_tokens_details.cached_tokens")));
	json_decref(b);
	tu_http_free(&r);
}

static void test_openai_canary(void **state)
{
	(void)state;
	struct tu_http_resp r;
	const char *body =
	        "{\"model\":\"sim-ok\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
	        "\"content\":\"Reply with the JSON {\\\"ok\\\":true} only.\"}]}";
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/chat/completions", OPENAI_H,
	                                 body, strlen(body), 5000, &r),
	                 0);
	assert_int_equal(r.status, 200);
	json_t *b = jbody(&r);
	assert_str(js(b, "choices[0].message.content"), "{\"ok\":true}");
	assert_true(ji(b, "usage.completion_tokens") <= 8);
	json_decref(b);
	tu_http_free(&r);
}

static void test_anthropic_ok(void **state)
{
	(void)state;
	struct tu_http_resp r;
	anthropic(&r, "sim-ok", NULL);
	assert_int_equal(r.status, 200);
	const char *rid = hdr(&r, "request-id");
	assert_true(matches(rid, "^req_[A-Za-z0-9]+$"));
	assert_true(matches(hdr(&r, "anthropic-ratelimit-requests-limit"), "^[0-9]+$"));
	assert_true(matches(hdr(&r, "anthropic-ratelimit-requests-reset"), RFC3339_S));
	assert_true(matches(hdr(&r, "anthropic-ratelimit-tokens-reset"), RFC3339_S));
	assert_true(matches(hdr(&r, "anthropic-ratelimit-input-tokens-reset"), RFC3339_S));
	assert_true(matches(hdr(&r, "anthropic-ratelimit-output-tokens-remaining"), "^[0-9]+$"));
	/* token counts are rounded to the thousand */
	assert_true(matches(hdr(&r, "anthropic-ratelimit-tokens-remaining"), "^([0-9]*000|0)$"));
	json_t *b = jbody(&r);
	assert_str(js(b, "type"), "message");
	assert_str(js(b, "role"), "assistant");
	assert_true(matches(js(b, "id"), "^msg_01[A-Za-z0-9]+$"));
	assert_str(js(b, "content[0].type"), "text");
	assert_true(strlen(js(b, "content[0].text")) > 10);
	assert_str(js(b, "stop_reason"), "end_turn");
	assert_true(json_is_null(jp(b, "stop_sequence")));
	assert_true(ji(b, "usage.input_tokens") > 0);
	assert_true(ji(b, "usage.output_tokens") > 0);
	assert_true(json_is_integer(jp(b, "usage.cache_read_input_tokens")));
	json_decref(b);
	tu_http_free(&r);
}

static void test_google_ok(void **state)
{
	(void)state;
	struct tu_http_resp r;
	google(&r, "sim-ok", "generateContent", NULL);
	assert_int_equal(r.status, 200);
	assert_null(tu_http_header(&r, "x-ratelimit-limit-requests"));
	json_t *b = jbody(&r);
	assert_str(js(b, "candidates[0].finishReason"), "STOP");
	assert_str(js(b, "candidates[0].content.role"), "model");
	assert_true(strlen(js(b, "candidates[0].content.parts[0].text")) > 10);
	long long p = ji(b, "usageMetadata.promptTokenCount");
	long long c = ji(b, "usageMetadata.candidatesTokenCount");
	assert_int_equal(ji(b, "usageMetadata.totalTokenCount"), p + c);
	assert_str(js(b, "modelVersion"), "sim-ok");
	assert_non_null(js(b, "responseId"));
	json_decref(b);
	tu_http_free(&r);
}

static void test_vertex_and_prefix_paths(void **state)
{
	(void)state;
	struct tu_http_resp r;
	const char *body = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}";
	assert_int_equal(tu_http_request(faults->port, "POST",
	                                 "/v1/projects/p1/locations/us-central1/publishers/google/"
	                                 "models/sim-ok:generateContent",
	                                 "Authorization: Bearer ya29.test\r\n", body, strlen(body),
	                                 5000, &r),
	                 0);
	assert_int_equal(r.status, 200);
	json_t *b = jbody(&r);
	assert_str(js(b, "candidates[0].finishReason"), "STOP");
	json_decref(b);
	tu_http_free(&r);
	const char *ob =
	        "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
	assert_int_equal(tu_http_request(faults->port, "POST", "/openai/v1/chat/completions",
	                                 OPENAI_H, ob, strlen(ob), 5000, &r),
	                 0);
	assert_int_equal(r.status, 200);
	tu_http_free(&r);
	/* a provider prefix of the wrong kind is not found */
	assert_int_equal(tu_http_request(faults->port, "POST", "/anthropic/v1/chat/completions",
	                                 OPENAI_H, ob, strlen(ob), 5000, &r),
	                 0);
	assert_int_equal(r.status, 404);
	tu_http_free(&r);
}

static void test_models(void **state)
{
	(void)state;
	struct tu_http_resp r;
	assert_int_equal(
	        tu_http_request(faults->port, "GET", "/v1/models", OPENAI_H, NULL, 0, 5000, &r), 0);
	assert_int_equal(r.status, 200);
	json_t *b = jbody(&r);
	assert_str(js(b, "object"), "list");
	assert_str(js(b, "data[0].object"), "model");
	assert_str(js(b, "data[0].id"), "sim-ok");
	json_decref(b);
	tu_http_free(&r);
	assert_int_equal(
	        tu_http_request(faults->port, "GET", "/v1/models", ANTHROPIC_H, NULL, 0, 5000, &r),
	        0);
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	assert_str(js(b, "data[0].type"), "model");
	assert_true(json_is_false(jp(b, "has_more")));
	json_decref(b);
	tu_http_free(&r);
	assert_int_equal(
	        tu_http_request(faults->port, "GET", "/v1beta/models", GOOGLE_H, NULL, 0, 5000, &r),
	        0);
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	assert_str(js(b, "models[0].name"), "models/sim-ok");
	json_decref(b);
	tu_http_free(&r);
}

/* ---- streams ---- */

/* The data: payloads of an SSE body, in order; *names the event names. */
static int sse(const char *body, json_t **data, char names[][32], int max)
{
	int n = 0;
	const char *p = body;
	char name[32] = "";
	while (p && *p && n < max) {
		const char *le = strchr(p, '\n');
		size_t len = le ? (size_t)(le - p) : strlen(p);
		if (len >= 7 && strncmp(p, "event: ", 7) == 0)
			snprintf(name, sizeof(name), "%.*s", (int)(len - 7), p + 7);
		else if (len >= 6 && strncmp(p, "data: ", 6) == 0) {
			size_t dl = len - 6;
			if (dl && p[6 + dl - 1] == '\r')
				dl--;
			data[n] = json_loadb(p + 6, dl, JSON_DECODE_ANY, NULL);
			if (!data[n] && dl == 6 && strncmp(p + 6, "[DONE]", 6) == 0)
				data[n] = json_string("[DONE]");
			snprintf(names[n], 32, "%s", name);
			name[0] = '\0';
			n++;
		}
		p = le ? le + 1 : NULL;
	}
	return n;
}

static void free_sse(json_t **d, int n)
{
	for (int i = 0; i < n; i++)
		json_decref(d[i]);
}

static void test_openai_stream(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-ok", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
	assert_int_equal(r.status, 200);
	assert_true(r.chunked);
	assert_false(r.truncated);
	assert_true(matches(hdr(&r, "content-type"), "^text/event-stream"));
	json_t *d[64];
	char names[64][32];
	int n = sse(r.body, d, names, 64);
	assert_true(n >= 4);
	for (int i = 0; i < n; i++)
		assert_non_null(d[i]);
	assert_str(js(d[0], "object"), "chat.completion.chunk");
	assert_str(js(d[0], "choices[0].delta.role"), "assistant");
	assert_str(json_string_value(d[n - 1]), "[DONE]");
	/* the last chunk with choices carries the finish reason; then usage */
	assert_str(js(d[n - 3], "choices[0].finish_reason"), "stop");
	assert_int_equal(json_array_size(jp(d[n - 2], "choices")), 0);
	assert_true(ji(d[n - 2], "usage.completion_tokens") > 0);
	free_sse(d, n);
	tu_http_free(&r);
}

static void test_anthropic_stream(void **state)
{
	(void)state;
	struct tu_http_resp r;
	anthropic(&r, "sim-ok", ",\"stream\":true");
	assert_int_equal(r.status, 200);
	json_t *d[64];
	char names[64][32];
	int n = sse(r.body, d, names, 64);
	assert_true(n >= 7);
	assert_string_equal(names[0], "message_start");
	assert_string_equal(names[1], "content_block_start");
	assert_string_equal(names[n - 3], "content_block_stop");
	assert_string_equal(names[n - 2], "message_delta");
	assert_string_equal(names[n - 1], "message_stop");
	bool delta = false, ping = false;
	for (int i = 0; i < n; i++) {
		assert_non_null(d[i]);
		assert_str(js(d[i], "type"), names[i]);
		delta |= strcmp(names[i], "content_block_delta") == 0;
		ping |= strcmp(names[i], "ping") == 0;
	}
	assert_true(delta && ping);
	assert_str(js(d[n - 2], "delta.stop_reason"), "end_turn");
	assert_true(ji(d[n - 2], "usage.output_tokens") > 0);
	free_sse(d, n);
	tu_http_free(&r);
}

static void test_google_stream(void **state)
{
	(void)state;
	struct tu_http_resp r;
	char path[] = "/v1beta/models/sim-ok:streamGenerateContent?alt=sse";
	const char *body =
	        "{\"contents\":[{\"parts\":[{\"text\":\"How long are backups kept?\"}]}]}";
	assert_int_equal(
	        tu_http_request(faults->port, "POST", path, GOOGLE_H, body, strlen(body), 5000, &r),
	        0);
	assert_int_equal(r.status, 200);
	json_t *d[64];
	char names[64][32];
	int n = sse(r.body, d, names, 64);
	assert_true(n >= 2);
	assert_non_null(js(d[0], "candidates[0].content.parts[0].text"));
	assert_str(js(d[n - 1], "candidates[0].finishReason"), "STOP");
	assert_true(ji(d[n - 1], "usageMetadata.totalTokenCount") > 0);
	free_sse(d, n);
	tu_http_free(&r);
}

static void test_stream_error_after_200(void **state)
{
	(void)state;
	struct tu_http_resp r;
	anthropic(&r, "sim-stream-error", ",\"stream\":true");
	assert_int_equal(r.status, 200);
	json_t *d[64];
	char names[64][32];
	int n = sse(r.body, d, names, 64);
	assert_string_equal(names[0], "message_start");
	assert_string_equal(names[n - 1], "error");
	assert_str(js(d[n - 1], "type"), "error");
	assert_str(js(d[n - 1], "error.type"), "overloaded_error");
	for (int i = 0; i < n; i++)
		assert_string_not_equal(names[i], "message_stop");
	free_sse(d, n);
	tu_http_free(&r);
	/* OpenAI: a chunk with a top-level error object, and no [DONE] */
	openai(&r, "sim-stream-error", ",\"stream\":true");
	assert_int_equal(r.status, 200);
	n = sse(r.body, d, names, 64);
	assert_true(n >= 2);
	assert_str(js(d[n - 1], "error.type"), "server_error");
	for (int i = 0; i < n; i++)
		assert_false(json_is_string(d[i]));
	free_sse(d, n);
	tu_http_free(&r);
}

/* ---- rate limits and quotas ---- */

static void test_rate_limit_429(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-429", NULL);
	assert_int_equal(r.status, 429);
	assert_str(hdr(&r, "x-ratelimit-remaining-requests"), "0");
	assert_true(matches(hdr(&r, "x-ratelimit-reset-requests"), GO_DUR));
	json_t *b = jbody(&r);
	assert_str(js(b, "error.code"), "rate_limit_exceeded");
	assert_str(js(b, "error.type"), "requests");
	assert_true(json_is_null(jp(b, "error.param")));
	json_decref(b);
	tu_http_free(&r);

	anthropic(&r, "sim-429", NULL);
	assert_int_equal(r.status, 429);
	assert_true(matches(hdr(&r, "retry-after"), "^[1-9][0-9]*$"));
	assert_str(hdr(&r, "anthropic-ratelimit-requests-remaining"), "0");
	b = jbody(&r);
	assert_str(js(b, "type"), "error");
	assert_str(js(b, "error.type"), "rate_limit_error");
	assert_str(js(b, "request_id"), hdr(&r, "request-id"));
	json_decref(b);
	tu_http_free(&r);

	google(&r, "sim-429", "generateContent", NULL);
	assert_int_equal(r.status, 429);
	assert_null(tu_http_header(&r, "retry-after"));
	b = jbody(&r);
	assert_int_equal(ji(b, "error.code"), 429);
	assert_str(js(b, "error.status"), "RESOURCE_EXHAUSTED");
	bool quota = false, retry = false;
	size_t i;
	json_t *det;
	json_array_foreach (jp(b, "error.details"), i, det) {
		const char *t = js(det, "@type");
		if (t && strcmp(t, "type.googleapis.com/google.rpc.QuotaFailure") == 0) {
			quota = true;
			assert_true(matches(js(det, "violations[0].quotaId"), "PerMinute"));
		}
		if (t && strcmp(t, "type.googleapis.com/google.rpc.RetryInfo") == 0) {
			retry = true;
			assert_true(matches(js(det, "retryDelay"), "^[0-9]+s$"));
		}
	}
	assert_true(quota && retry);
	json_decref(b);
	tu_http_free(&r);
}

static void test_rate_limit_remaining_shrinks(void **state)
{
	(void)state;
	/* sim-429-counter allows 3 requests per minute: 2, 1, 0 left, then 429.
	 * The server's clock stands still, so all four fall in one window. */
	struct tu_http_resp r;
	const char *want[] = { "2", "1", "0" };
	for (int i = 0; i < 3; i++) {
		openai(&r, "sim-429-counter", NULL);
		assert_int_equal(r.status, 200);
		assert_str(hdr(&r, "x-ratelimit-limit-requests"), "3");
		assert_str(hdr(&r, "x-ratelimit-remaining-requests"), want[i]);
		tu_http_free(&r);
	}
	openai(&r, "sim-429-counter", NULL);
	assert_int_equal(r.status, 429);
	assert_str(hdr(&r, "x-ratelimit-remaining-requests"), "0");
	json_t *b = jbody(&r);
	assert_str(js(b, "error.code"), "rate_limit_exceeded");
	assert_true(matches(js(b, "error.message"), "Limit 3"));
	json_decref(b);
	tu_http_free(&r);
	/* Anthropic counts in its own window per provider and model */
	for (int i = 0; i < 3; i++) {
		anthropic(&r, "sim-429-counter", NULL);
		assert_int_equal(r.status, 200);
		assert_str(hdr(&r, "anthropic-ratelimit-requests-remaining"), want[i]);
		tu_http_free(&r);
	}
	anthropic(&r, "sim-429-counter", NULL);
	assert_int_equal(r.status, 429);
	assert_non_null(tu_http_header(&r, "retry-after"));
	tu_http_free(&r);
}

static void test_quota(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-quota", NULL);
	assert_int_equal(r.status, 429);
	json_t *b = jbody(&r);
	assert_str(js(b, "error.type"), "insufficient_quota");
	assert_str(js(b, "error.code"), "insufficient_quota");
	json_decref(b);
	tu_http_free(&r);
	anthropic(&r, "sim-quota", NULL);
	assert_int_equal(r.status, 402);
	b = jbody(&r);
	assert_str(js(b, "error.type"), "billing_error");
	json_decref(b);
	tu_http_free(&r);
	google(&r, "sim-quota", "generateContent", NULL);
	assert_int_equal(r.status, 429);
	b = jbody(&r);
	assert_str(js(b, "error.status"), "RESOURCE_EXHAUSTED");
	assert_true(matches(js(b, "error.details[0].violations[0].quotaId"), "PerDay"));
	json_decref(b);
	tu_http_free(&r);
}

static void test_spend_cap(void **state)
{
	(void)state;
	struct tu_http_resp r;
	anthropic(&r, "sim-spend-cap", NULL);
	assert_int_equal(r.status, 429);
	assert_null(tu_http_header(&r, "retry-after"));
	json_t *b = jbody(&r);
	assert_str(js(b, "error.type"), "rate_limit_error");
	assert_str(js(b, "error.details.error_code"), "enforced_spend_limit_reached");
	json_decref(b);
	tu_http_free(&r);
	openai(&r, "sim-spend-cap", NULL);
	assert_int_equal(r.status, 429);
	b = jbody(&r);
	assert_str(js(b, "error.code"), "insufficient_quota");
	json_decref(b);
	tu_http_free(&r);
	google(&r, "sim-spend-cap", "generateContent", NULL);
	assert_int_equal(r.status, 400);
	b = jbody(&r);
	assert_str(js(b, "error.status"), "FAILED_PRECONDITION");
	json_decref(b);
	tu_http_free(&r);
}

/* ---- server errors ---- */

struct err_case {
	const char *model;
	int openai_status, anthropic_status, google_status;
	const char *openai_type, *anthropic_type, *google_status_name;
};

static void test_server_errors(void **state)
{
	(void)state;
	static const struct err_case cases[] = {
		{ "sim-500", 500, 500, 500, "server_error", "api_error", "INTERNAL" },
		{ "sim-503", 503, 503, 503, "server_error", "api_error", "UNAVAILABLE" },
		{ "sim-overloaded", 503, 529, 503, "server_error", "overloaded_error",
		  "UNAVAILABLE" },
		{ "sim-504", 504, 504, 504, "server_error", "timeout_error", "DEADLINE_EXCEEDED" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct err_case *c = &cases[i];
		struct tu_http_resp r;
		openai(&r, c->model, NULL);
		assert_int_equal(r.status, c->openai_status);
		assert_non_null(tu_http_header(&r, "x-request-id"));
		json_t *b = jbody(&r);
		assert_str(js(b, "error.type"), c->openai_type);
		assert_non_null(js(b, "error.message"));
		json_decref(b);
		tu_http_free(&r);
		anthropic(&r, c->model, NULL);
		assert_int_equal(r.status, c->anthropic_status);
		b = jbody(&r);
		assert_str(js(b, "type"), "error");
		assert_str(js(b, "error.type"), c->anthropic_type);
		assert_str(js(b, "request_id"), hdr(&r, "request-id"));
		if (c->anthropic_status == 529)
			assert_true(json_is_null(jp(b, "error.details")));
		json_decref(b);
		tu_http_free(&r);
		google(&r, c->model, "generateContent", NULL);
		assert_int_equal(r.status, c->google_status);
		b = jbody(&r);
		assert_int_equal(ji(b, "error.code"), c->google_status);
		assert_str(js(b, "error.status"), c->google_status_name);
		json_decref(b);
		tu_http_free(&r);
	}
}

static void test_auth(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-auth", NULL);
	assert_int_equal(r.status, 401);
	json_t *b = jbody(&r);
	assert_str(js(b, "error.code"), "invalid_api_key");
	/* the message shows the key's last characters, never the key */
	assert_non_null(strstr(js(b, "error.message"), "9876"));
	assert_null(strstr(r.raw, "sk-test-abcd9876"));
	json_decref(b);
	tu_http_free(&r);
	anthropic(&r, "sim-auth", NULL);
	assert_int_equal(r.status, 401);
	b = jbody(&r);
	assert_str(js(b, "error.type"), "authentication_error");
	json_decref(b);
	tu_http_free(&r);
	/* Gemini: an invalid key is a 400 INVALID_ARGUMENT with API_KEY_INVALID */
	google(&r, "sim-auth", "generateContent", NULL);
	assert_int_equal(r.status, 400);
	b = jbody(&r);
	assert_str(js(b, "error.status"), "INVALID_ARGUMENT");
	assert_str(js(b, "error.details[0].@type"), "type.googleapis.com/google.rpc.ErrorInfo");
	assert_str(js(b, "error.details[0].reason"), "API_KEY_INVALID");
	assert_str(js(b, "error.details[0].domain"), "googleapis.com");
	json_decref(b);
	tu_http_free(&r);
}

static void test_html_413(void **state)
{
	(void)state;
	struct tu_http_resp r;
	anthropic(&r, "sim-413", NULL);
	assert_int_equal(r.status, 413);
	assert_true(matches(hdr(&r, "content-type"), "^text/html"));
	assert_null(tu_http_header(&r, "request-id"));
	assert_non_null(strstr(r.body, "<html>"));
	json_error_t e;
	assert_null(json_loadb(r.body, r.body_len, 0, &e));
	tu_http_free(&r);
	google(&r, "sim-413", "generateContent", NULL);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "Error 413"));
	tu_http_free(&r);
}

/* ---- 200-status answers ---- */

static void test_safety_blocks(void **state)
{
	(void)state;
	struct tu_http_resp r;
	google(&r, "sim-safety-prompt", "generateContent", NULL);
	assert_int_equal(r.status, 200);
	json_t *b = jbody(&r);
	assert_str(js(b, "promptFeedback.blockReason"), "SAFETY");
	assert_null(jp(b, "candidates"));
	assert_null(jp(b, "usageMetadata.candidatesTokenCount"));
	assert_true(json_is_true(jp(b, "promptFeedback.safetyRatings[3].blocked")));
	json_decref(b);
	tu_http_free(&r);
	google(&r, "sim-safety", "generateContent", NULL);
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	assert_str(js(b, "candidates[0].finishReason"), "SAFETY");
	assert_null(jp(b, "candidates[0].content"));
	json_decref(b);
	tu_http_free(&r);
	openai(&r, "sim-safety", NULL);
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	assert_str(js(b, "choices[0].finish_reason"), "content_filter");
	assert_true(json_is_null(jp(b, "choices[0].message.content")));
	json_decref(b);
	tu_http_free(&r);
	anthropic(&r, "sim-safety", NULL);
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	assert_str(js(b, "stop_reason"), "refusal");
	json_decref(b);
	tu_http_free(&r);
}

static void test_length(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-length", ",\"max_tokens\":33");
	assert_int_equal(r.status, 200);
	json_t *b = jbody(&r);
	assert_str(js(b, "choices[0].finish_reason"), "length");
	assert_int_equal(ji(b, "usage.completion_tokens"), 33);
	json_decref(b);
	tu_http_free(&r);
	anthropic(&r, "sim-length", NULL);
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	assert_str(js(b, "stop_reason"), "max_tokens");
	assert_int_equal(ji(b, "usage.output_tokens"), 512);
	json_decref(b);
	tu_http_free(&r);
	google(&r, "sim-length", "generateContent",
	       ",\"generationConfig\":{\"maxOutputTokens\":40}");
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	assert_str(js(b, "candidates[0].finishReason"), "MAX_TOKENS");
	assert_int_equal(ji(b, "usageMetadata.candidatesTokenCount"), 40);
	json_decref(b);
	tu_http_free(&r);
}

static void test_truncated_body(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-truncated", NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.truncated);
	long long clen = strtoll(hdr(&r, "content-length"), NULL, 10);
	assert_true((long long)r.body_len < clen);
	json_error_t e;
	assert_null(json_loadb(r.body, r.body_len, 0, &e));
	tu_http_free(&r);
	/* a stream cut short: no terminating chunk, no [DONE] */
	openai(&r, "sim-truncated", ",\"stream\":true");
	assert_int_equal(r.status, 200);
	assert_true(r.truncated);
	assert_null(strstr(r.body, "[DONE]"));
	tu_http_free(&r);
}

static void test_latency_drip(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-slow", NULL);
	assert_int_equal(r.status, 200);
	assert_false(r.truncated);
	/* processing time reported from the scenario's distribution (median 300 ms) */
	long long ms = strtoll(hdr(&r, "openai-processing-ms"), NULL, 10);
	assert_true(ms >= 250 && ms <= 360);
	json_t *b = jbody(&r);
	assert_str(js(b, "choices[0].finish_reason"), "stop");
	json_decref(b);
	tu_http_free(&r);
}

/* A gradual latency ramp, as a probe sees it: the processing time the server
 * reports (and waits) follows the phase's median curve over scenario time. */
static const char *RAMP = "name: ramp\n"
                          "duration: 30m\n"
                          "seed: 5\n"
                          "providers:\n"
                          "  - name: openai\n"
                          "    kind: openai\n"
                          "    models: [gpt-4o-mini]\n"
                          "    latency: {median_ms: 20, p95_ms: 40, error_ms: 5}\n"
                          "phases:\n"
                          "  - {name: ramp, fault: latency, provider: openai, at: 5m, for: 20m,\n"
                          "     median_ms: [[0s, 20], [20m, 300]], p95_ms: [[0s, 40], [20m, "
                          "600]]}\n";

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Median reported processing time of 5 requests at scenario time t. */
static long long ramp_median_at(const char *path, int64_t t)
{
	struct srv *v = srv_start(path, t);
	assert_non_null(v);
	const char *b = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
	                "\"content\":\"x\"}]}";
	long long ms[5];
	for (int i = 0; i < 5; i++) {
		struct tu_http_resp r;
		assert_int_equal(tu_http_request(v->port, "POST", "/v1/chat/completions", OPENAI_H,
		                                 b, strlen(b), 10000, &r),
		                 0);
		assert_int_equal(r.status, 200);
		ms[i] = strtoll(hdr(&r, "openai-processing-ms"), NULL, 10);
		tu_http_free(&r);
	}
	srv_stop(v);
	qsort(ms, 5, sizeof(ms[0]), cmp_ll);
	return ms[2];
}

static void test_latency_ramp(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("simramp");
	char path[512];
	snprintf(path, sizeof(path), "%s/ramp.yaml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(RAMP, f);
	fclose(f);
	long long before = ramp_median_at(path, 4 * 60000);   /* baseline: median 20 */
	long long quarter = ramp_median_at(path, 10 * 60000); /* median 90 */
	long long late = ramp_median_at(path, 24 * 60000);    /* median 286 */
	long long after = ramp_median_at(path, 26 * 60000);   /* over: median 20 */
	assert_true(before < 45);
	assert_true(quarter > 45 && quarter < 180);
	assert_true(late > 180 && late < 600);
	assert_true(after < 45);
	tu_rmtree(dir);
	free(dir);
}

static void test_token_inflation(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-ok", NULL);
	json_t *b = jbody(&r);
	long long normal = ji(b, "usage.prompt_tokens");
	json_decref(b);
	tu_http_free(&r);
	openai(&r, "sim-inflated", NULL);
	assert_int_equal(r.status, 200);
	b = jbody(&r);
	long long inflated = ji(b, "usage.prompt_tokens");
	json_decref(b);
	tu_http_free(&r);
	assert_true(inflated * 10 >= normal * 27 && inflated * 10 <= normal * 33);
}

static void test_content_faults(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-pii", NULL);
	json_t *b = jbody(&r);
	assert_true(
	        matches(js(b, "choices[0].message.content"),
	                "@example\\.(com|org)|[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}|sk-proj-|AKIA"));
	json_decref(b);
	tu_http_free(&r);
	openai(&r, "sim-hallucination", NULL);
	b = jbody(&r);
	assert_true(matches(js(b, "choices[0].message.content"),
	                    "Globex|Helena Marsh|kb\\.example|30 February|\\[3\\]|Orion|Lisbon|"
	                    "1,250|Meridian"));
	json_decref(b);
	tu_http_free(&r);
}

/* ---- transport faults ---- */

static void test_reset(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "sim-reset", NULL);
	assert_int_equal(r.status, 0);
	assert_true(r.reset);
	assert_false(r.timed_out);
	tu_http_free(&r);
}

static void test_hang(void **state)
{
	(void)state;
	struct tu_http_resp r;
	const char *body = "{\"model\":\"sim-hang\",\"messages\":[{\"role\":\"user\","
	                   "\"content\":\"hi\"}]}";
	/* the client's own timeout is what ends it */
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/chat/completions", OPENAI_H,
	                                 body, strlen(body), 400, &r),
	                 0);
	assert_true(r.timed_out);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.raw_len, 0);
	tu_http_free(&r);
}

/* ---- malformed requests ---- */

static void test_malformed_json(void **state)
{
	(void)state;
	struct tu_http_resp r;
	const char *bad = "{\"model\": \"sim-ok\", \"messages\": [";
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/chat/completions", OPENAI_H,
	                                 bad, strlen(bad), 5000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	json_t *b = jbody(&r);
	assert_str(js(b, "error.type"), "invalid_request_error");
	json_decref(b);
	tu_http_free(&r);
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/messages", ANTHROPIC_H, bad,
	                                 strlen(bad), 5000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	b = jbody(&r);
	assert_str(js(b, "error.type"), "invalid_request_error");
	json_decref(b);
	tu_http_free(&r);
	assert_int_equal(tu_http_request(faults->port, "POST",
	                                 "/v1beta/models/sim-ok:generateContent", GOOGLE_H, bad,
	                                 strlen(bad), 5000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	b = jbody(&r);
	assert_str(js(b, "error.status"), "INVALID_ARGUMENT");
	json_decref(b);
	tu_http_free(&r);
}

static void test_missing_fields(void **state)
{
	(void)state;
	struct tu_http_resp r;
	const char *nomsg = "{\"model\":\"sim-ok\"}";
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/chat/completions", OPENAI_H,
	                                 nomsg, strlen(nomsg), 5000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	json_t *b = jbody(&r);
	assert_str(js(b, "error.param"), "messages");
	assert_str(js(b, "error.code"), "missing_required_parameter");
	json_decref(b);
	tu_http_free(&r);
	const char *nomax =
	        "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/messages", ANTHROPIC_H, nomax,
	                                 strlen(nomax), 5000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	b = jbody(&r);
	assert_str(js(b, "error.type"), "invalid_request_error");
	assert_non_null(strstr(js(b, "error.message"), "max_tokens"));
	json_decref(b);
	tu_http_free(&r);
	const char *nocontents = "{\"generationConfig\":{}}";
	assert_int_equal(tu_http_request(faults->port, "POST",
	                                 "/v1beta/models/sim-ok:generateContent", GOOGLE_H,
	                                 nocontents, strlen(nocontents), 5000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	b = jbody(&r);
	assert_str(js(b, "error.status"), "INVALID_ARGUMENT");
	json_decref(b);
	tu_http_free(&r);
}

/*
 * Fields of the wrong type, down to the content parts: each provider answers
 * 400 in its own shape naming the field (OpenAI's param, Anthropic's and
 * Google's message), and the server goes on serving. The well-formed rows
 * (content parts, system blocks, systemInstruction) must still be answered.
 */
static void test_wrong_types(void **state)
{
	(void)state;
	enum { O, A, G };
	static const struct {
		int p;
		const char *body;
		int status;
		const char *field; /* named in the answer; NULL for a 200 */
	} cases[] = {
		{ O, "[]", 400, NULL },
		{ O, "{\"model\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 400,
		  "model" },
		{ O, "{\"model\":\"sim-ok\",\"messages\":\"hi\"}", 400, "messages" },
		{ O, "{\"model\":\"sim-ok\",\"messages\":[1]}", 400, "messages[0]" },
		{ O, "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400,
		  "messages[0]" },
		{ O, "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":[1]}]}",
		  400, "messages[0].content[0]" },
		{ O,
		  "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		  "\"text\"}]}]}",
		  400, "messages[0].content[0].text" },
		{ O,
		  "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		  "\"text\","
		  "\"text\":7}]}]}",
		  400, "messages[0].content[0].text" },
		{ O,
		  "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
		  "\"stream\":1}",
		  400, "stream" },
		{ O,
		  "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
		  "\"max_tokens\":"
		  "\"9\"}",
		  400, "max_tokens" },
		{ O,
		  "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		  "\"text\","
		  "\"text\":\"x\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,\"}}]}]}",
		  200, NULL },
		{ A, "null", 400, NULL },
		{ A, "{\"model\":\"sim-ok\",\"max_tokens\":5,\"messages\":[1]}", 400,
		  "messages[0]" },
		{ A,
		  "{\"model\":\"sim-ok\",\"max_tokens\":\"5\",\"messages\":[{\"role\":\"user\","
		  "\"content\":"
		  "\"x\"}]}",
		  400, "max_tokens" },
		{ A,
		  "{\"model\":\"sim-ok\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
		  "\"content\":[{}]}]}",
		  400, "messages[0].content[0]" },
		{ A,
		  "{\"model\":\"sim-ok\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
		  "\"content\":[{"
		  "\"type\":\"text\"}]}]}",
		  400, "messages[0].content[0].text" },
		{ A,
		  "{\"model\":\"sim-ok\",\"max_tokens\":5,\"system\":5,\"messages\":[{\"role\":"
		  "\"user\","
		  "\"content\":\"x\"}]}",
		  400, "system" },
		{ A,
		  "{\"model\":\"sim-ok\",\"max_tokens\":5,\"system\":[{\"type\":\"text\",\"text\":"
		  "null}],"
		  "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
		  400, "system[0].text" },
		{ A,
		  "{\"model\":\"sim-ok\",\"max_tokens\":5,\"system\":[{\"type\":\"text\",\"text\":"
		  "\"Be brief\"}],"
		  "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}"
		  "]}]}",
		  200, NULL },
		{ G, "\"x\"", 400, NULL },
		{ G, "{\"contents\":[1]}", 400, "contents[0]" },
		{ G, "{\"contents\":[{\"parts\":\"x\"}]}", 400, "contents[0]" },
		{ G, "{\"contents\":[{\"parts\":[]}]}", 400, "contents[0].parts" },
		{ G, "{\"contents\":[{\"parts\":[5]}]}", 400, "contents[0].parts[0]" },
		{ G, "{\"contents\":[{\"parts\":[{\"text\":5}]}]}", 400,
		  "contents[0].parts[0].text" },
		{ G, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":[]}", 400,
		  "generation_config" },
		{ G, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"systemInstruction\":\"be\"}",
		  400, "system_instruction" },
		{ G,
		  "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{"
		  "\"maxOutputTokens\":0}}",
		  400, "generation_config.max_output_tokens" },
		{ G,
		  "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"},{\"inlineData\":{}"
		  "}]}],"
		  "\"systemInstruction\":{\"parts\":[{\"text\":\"Be "
		  "brief\"}]},\"generationConfig\":{}}",
		  200, NULL },
	};
	static const char *const path[] = { "/v1/chat/completions", "/v1/messages",
		                            "/v1beta/models/sim-ok:generateContent" };
	static const char *const hdrs[] = { OPENAI_H, ANTHROPIC_H, GOOGLE_H };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tu_http_resp r;
		int p = cases[i].p;
		assert_int_equal(tu_http_request(faults->port, "POST", path[p], hdrs[p],
		                                 cases[i].body, strlen(cases[i].body), 5000, &r),
		                 0);
		if (r.status != cases[i].status)
			fail_msg("case %zu (%s): status %d, expected %d: %.300s", i, cases[i].body,
			         r.status, cases[i].status, r.body ? r.body : "");
		json_t *b = jbody(&r);
		if (cases[i].status == 400) {
			const char *msg = NULL;
			if (p == O) {
				assert_str(js(b, "error.type"), "invalid_request_error");
				if (cases[i].field)
					assert_str(js(b, "error.param"), cases[i].field);
			} else if (p == A) {
				assert_str(js(b, "type"), "error");
				assert_str(js(b, "error.type"), "invalid_request_error");
				msg = js(b, "error.message");
			} else {
				assert_int_equal(ji(b, "error.code"), 400);
				assert_str(js(b, "error.status"), "INVALID_ARGUMENT");
				msg = js(b, "error.message");
			}
			if (cases[i].field && msg && !strstr(msg, cases[i].field))
				fail_msg("case %zu: '%s' does not name %s", i, msg, cases[i].field);
		}
		json_decref(b);
		tu_http_free(&r);
	}
}

static void test_keys_and_versions(void **state)
{
	(void)state;
	struct tu_http_resp r;
	const char *ob =
	        "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/chat/completions", NULL, ob,
	                                 strlen(ob), 5000, &r),
	                 0);
	assert_int_equal(r.status, 401);
	json_t *b = jbody(&r);
	assert_str(js(b, "error.type"), "invalid_request_error");
	json_decref(b);
	tu_http_free(&r);
	const char *ab = "{\"model\":\"sim-ok\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
	                 "\"content\":\"x\"}]}";
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/messages",
	                                 "anthropic-version: 2023-06-01\r\n", ab, strlen(ab), 5000,
	                                 &r),
	                 0);
	assert_int_equal(r.status, 401);
	b = jbody(&r);
	assert_str(js(b, "error.type"), "authentication_error");
	json_decref(b);
	tu_http_free(&r);
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/messages", "x-api-key: k\r\n",
	                                 ab, strlen(ab), 5000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	b = jbody(&r);
	assert_non_null(strstr(js(b, "error.message"), "anthropic-version"));
	json_decref(b);
	tu_http_free(&r);
	const char *gb = "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}";
	assert_int_equal(tu_http_request(faults->port, "POST",
	                                 "/v1beta/models/sim-ok:generateContent", NULL, gb,
	                                 strlen(gb), 5000, &r),
	                 0);
	assert_int_equal(r.status, 403);
	b = jbody(&r);
	assert_str(js(b, "error.status"), "PERMISSION_DENIED");
	json_decref(b);
	tu_http_free(&r);
	/* the key may come as ?key= too */
	assert_int_equal(tu_http_request(faults->port, "POST",
	                                 "/v1beta/models/sim-ok:generateContent?key=AIza", NULL, gb,
	                                 strlen(gb), 5000, &r),
	                 0);
	assert_int_equal(r.status, 200);
	tu_http_free(&r);
}

static void test_unknown_model_and_path(void **state)
{
	(void)state;
	struct tu_http_resp r;
	openai(&r, "gpt-nope", NULL);
	assert_int_equal(r.status, 404);
	json_t *b = jbody(&r);
	assert_str(js(b, "error.code"), "model_not_found");
	json_decref(b);
	tu_http_free(&r);
	anthropic(&r, "claude-nope", NULL);
	assert_int_equal(r.status, 404);
	b = jbody(&r);
	assert_str(js(b, "error.type"), "not_found_error");
	json_decref(b);
	tu_http_free(&r);
	google(&r, "gemini-nope", "generateContent", NULL);
	assert_int_equal(r.status, 404);
	b = jbody(&r);
	assert_str(js(b, "error.status"), "NOT_FOUND");
	json_decref(b);
	tu_http_free(&r);
	assert_int_equal(tu_http_request(faults->port, "GET", "/v1/embeddings/whatever", OPENAI_H,
	                                 NULL, 0, 5000, &r),
	                 0);
	assert_int_equal(r.status, 404);
	b = jbody(&r);
	assert_str(js(b, "error.type"), "invalid_request_error");
	json_decref(b);
	tu_http_free(&r);
	assert_int_equal(tu_http_request(faults->port, "GET", "/v1/chat/completions", OPENAI_H,
	                                 NULL, 0, 5000, &r),
	                 0);
	assert_int_equal(r.status, 405);
	tu_http_free(&r);
}

static void test_context_length(void **state)
{
	(void)state;
	/* 600k characters ~ 150k tokens > the 128k window */
	size_t n = 600000;
	char *big = malloc(n + 200);
	int h = snprintf(big, 200,
	                 "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"");
	memset(big + h, 'a', n);
	snprintf(big + h + n, 20, "\"}]}");
	struct tu_http_resp r;
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/chat/completions", OPENAI_H,
	                                 big, strlen(big), 10000, &r),
	                 0);
	assert_int_equal(r.status, 400);
	json_t *b = jbody(&r);
	assert_str(js(b, "error.code"), "context_length_exceeded");
	assert_str(js(b, "error.param"), "messages");
	json_decref(b);
	tu_http_free(&r);
	free(big);
}

static void test_body_too_large(void **state)
{
	(void)state;
	/* over the 4 MiB cap: the CDN's HTML 413, then the connection closes */
	size_t n = (5u << 20);
	char *big = malloc(n);
	memset(big, ' ', n);
	struct tu_http_resp r;
	assert_int_equal(tu_http_request(faults->port, "POST", "/v1/messages", ANTHROPIC_H, big, n,
	                                 10000, &r),
	                 0);
	assert_int_equal(r.status, 413);
	assert_true(matches(hdr(&r, "content-type"), "^text/html"));
	tu_http_free(&r);
	free(big);
}

static void test_garbage_and_pipelining(void **state)
{
	(void)state;
	struct tu_http_resp r;
	const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n";
	assert_int_equal(tu_http_raw(faults->port, junk, sizeof(junk) - 1, 3000, &r), 0);
	assert_int_equal(r.status, 400);
	assert_false(r.timed_out);
	tu_http_free(&r);
	/* two keep-alive requests in one write, then one with Connection: close */
	const char *b =
	        "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
	char req[2048];
	size_t len = 0;
	for (int i = 0; i < 3; i++)
		len += (size_t)snprintf(req + len, sizeof(req) - len,
		                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n%s"
		                        "Content-Length: %zu\r\n%s\r\n%s",
		                        OPENAI_H, strlen(b), i == 2 ? "Connection: close\r\n" : "",
		                        b);
	assert_int_equal(tu_http_raw(faults->port, req, len, 5000, &r), 0);
	assert_false(r.timed_out);
	int count = 0;
	for (const char *p = r.raw; (p = strstr(p, "HTTP/1.1 200 OK")); p++)
		count++;
	assert_int_equal(count, 3);
	tu_http_free(&r);
	/* chunked request bodies are accepted too */
	char creq[1024];
	int cl = snprintf(
	        creq, sizeof(creq),
	        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n%s"
	        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
	        OPENAI_H, strlen(b), b);
	assert_int_equal(tu_http_raw(faults->port, creq, (size_t)cl, 5000, &r), 0);
	assert_int_equal(r.status, 200);
	tu_http_free(&r);
}

static void test_expect_continue(void **state)
{
	(void)state;
	const char *b =
	        "{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
	char head[1024];
	int hl = snprintf(
	        head, sizeof(head),
	        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n%sExpect: 100-continue\r\n"
	        "Connection: close\r\nContent-Length: %zu\r\n\r\n",
	        OPENAI_H, strlen(b));
	/* Send the head, wait for the interim answer, then the body. */
	struct tu_http_resp r;
	assert_int_equal(tu_http_raw(faults->port, head, (size_t)hl, 500, &r), 0);
	assert_non_null(strstr(r.raw, "HTTP/1.1 100 Continue"));
	tu_http_free(&r);
}

/* ---- the timeline ---- */

static void test_timeline(void **state)
{
	(void)state;
	/* oncall-day: openai is down (503) from 8m30s to 12m; google is fine then */
	struct srv *down = srv_start("oncall-day", 9 * 60000);
	struct srv *before = srv_start("oncall-day", 60000);
	assert_non_null(down);
	assert_non_null(before);
	const char *b = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
	                "\"content\":\"x\"}]}";
	const char *gb = "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}";
	int fails = 0;
	for (int i = 0; i < 3; i++) {
		struct tu_http_resp r;
		assert_int_equal(tu_http_request(down->port, "POST", "/v1/chat/completions",
		                                 OPENAI_H, b, strlen(b), 10000, &r),
		                 0);
		fails += r.status == 503;
		tu_http_free(&r);
		assert_int_equal(tu_http_request(before->port, "POST", "/v1/chat/completions",
		                                 OPENAI_H, b, strlen(b), 10000, &r),
		                 0);
		assert_int_equal(r.status, 200);
		tu_http_free(&r);
	}
	assert_int_equal(fails, 3);
	struct tu_http_resp r;
	assert_int_equal(tu_http_request(down->port, "POST",
	                                 "/v1beta/models/gemini-2.0-flash:generateContent",
	                                 GOOGLE_H, gb, strlen(gb), 10000, &r),
	                 0);
	assert_int_equal(r.status, 200);
	tu_http_free(&r);
	assert_int_equal(
	        tu_http_request(down->port, "GET", "/_sim/status", NULL, NULL, 0, 5000, &r), 0);
	json_t *st = jbody(&r);
	assert_str(js(st, "scenario"), "oncall-day");
	assert_true(ji(st, "t_ms") >= 9 * 60000 && ji(st, "t_ms") < 9 * 60000 + 1000);
	assert_str(js(st, "active[0]"), "openai-outage");
	json_decref(st);
	tu_http_free(&r);
	srv_stop(down);
	srv_stop(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openai_ok),
		cmocka_unit_test(test_openai_canary),
		cmocka_unit_test(test_anthropic_ok),
		cmocka_unit_test(test_google_ok),
		cmocka_unit_test(test_vertex_and_prefix_paths),
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_openai_stream),
		cmocka_unit_test(test_anthropic_stream),
		cmocka_unit_test(test_google_stream),
		cmocka_unit_test(test_stream_error_after_200),
		cmocka_unit_test(test_rate_limit_429),
		cmocka_unit_test(test_rate_limit_remaining_shrinks),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_spend_cap),
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_html_413),
		cmocka_unit_test(test_safety_blocks),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_truncated_body),
		cmocka_unit_test(test_latency_drip),
		cmocka_unit_test(test_latency_ramp),
		cmocka_unit_test(test_token_inflation),
		cmocka_unit_test(test_content_faults),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_keys_and_versions),
		cmocka_unit_test(test_unknown_model_and_path),
		cmocka_unit_test(test_context_length),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_garbage_and_pipelining),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_timeline),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
