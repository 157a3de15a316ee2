/*
 * test_sim_http.c: the simulator server's HTTP/1.1 request parser: whole,
 * partial and pipelined requests, chunked bodies, Expect: 100-continue,
 * keep-alive rules, and the inputs it must refuse (bad request lines,
 * folded or malformed headers, both Content-Length and chunked, oversize).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim_http.h"

#include <string.h>

static int parse(const char *s, size_t max_body, struct sim_http_req *r)
{
	sim_http_req_init(r);
	return sim_http_parse(r, s, strlen(s), max_body);
}

static void test_complete_request(void **state)
{
	(void)state;
	const char *s = "POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\n"
	                "X-Api-Key:  k1 \r\nContent-Length: 5\r\n\r\nhelloEXTRA";
	struct sim_http_req r;
	int rc = parse(s, 1024, &r);
	assert_int_equal(rc, (int)(strlen(s) - 5));
	assert_int_equal(r.method_len, 4);
	assert_memory_equal(r.method, "POST", 4);
	assert_int_equal(r.target_len, strlen("/v1/messages?beta=true"));
	assert_int_equal(r.minor, 1);
	assert_true(r.keep_alive);
	size_t n;
	const char *v = sim_http_header(&r, "x-api-key", &n);
	assert_non_null(v);
	assert_int_equal(n, 2);
	assert_memory_equal(v, "k1", 2);
	assert_int_equal(r.body_len, 5);
	assert_memory_equal(r.body, "hello", 5);
	assert_null(sim_http_header(&r, "authorization", NULL));
	sim_http_req_done(&r);
}

static void test_partial_and_continue(void **state)
{
	(void)state;
	const char *full =
	        "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody";
	struct sim_http_req r;
	sim_http_req_init(&r);
	/* every proper prefix is incomplete, never an error */
	for (size_t i = 0; i < strlen(full); i++) {
		int rc = sim_http_parse(&r, full, i, 1024);
		assert_int_equal(rc, SIM_HTTP_INCOMPLETE);
	}
	/* once the head is in, the server can answer 100 Continue */
	size_t head = strlen(full) - 4;
	assert_int_equal(sim_http_parse(&r, full, head, 1024), SIM_HTTP_INCOMPLETE);
	assert_true(r.head_done);
	assert_true(r.expect_continue);
	assert_int_equal(sim_http_parse(&r, full, strlen(full), 1024), (int)strlen(full));
	sim_http_req_done(&r);
}

static void test_pipelined(void **state)
{
	(void)state;
	const char *s = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\n\r\n";
	struct sim_http_req r;
	int rc = parse(s, 0, &r);
	assert_int_equal(rc, (int)strlen("GET /a HTTP/1.1\r\n\r\n"));
	assert_memory_equal(r.target, "/a", 2);
	rc = sim_http_parse(&r, s + rc, strlen(s) - (size_t)rc, 0);
	assert_true(rc > 0);
	assert_memory_equal(r.target, "/b", 2);
	assert_int_equal(r.minor, 0);
	assert_false(r.keep_alive); /* HTTP/1.0 closes by default */
	sim_http_req_done(&r);
}

static void test_connection_header(void **state)
{
	(void)state;
	struct sim_http_req r;
	assert_true(parse("GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n", 0, &r) > 0);
	assert_false(r.keep_alive);
	sim_http_req_done(&r);
	assert_true(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, &r) > 0);
	assert_true(r.keep_alive);
	sim_http_req_done(&r);
}

static void test_chunked(void **state)
{
	(void)state;
	const char *s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	                "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	struct sim_http_req r;
	int rc = parse(s, 1024, &r);
	assert_int_equal(rc, (int)(strlen(s) - 4));
	assert_true(r.chunked);
	assert_int_equal(r.body_len, 11);
	assert_memory_equal(r.body, "hello world", 11);
	/* incomplete chunked bodies wait for more */
	assert_int_equal(sim_http_parse(&r, s, strlen(s) - 12, 1024), SIM_HTTP_INCOMPLETE);
	/* over the cap */
	assert_int_equal(sim_http_parse(&r, s, strlen(s), 8), SIM_HTTP_TOO_LARGE);
	sim_http_req_done(&r);
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\x16\x03\x01\x02\x01\xfc",
		"GET\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 extra\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"GET /a\x01 HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sim_http_req r;
		int rc = parse(bad[i], 1024, &r);
		if (rc != SIM_HTTP_BAD)
			fail_msg("case %zu: rc %d, expected SIM_HTTP_BAD", i, rc);
		sim_http_req_done(&r);
	}
	struct sim_http_req r;
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", 1024, &r),
	                 SIM_HTTP_TOO_LARGE);
	sim_http_req_done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_request),
		cmocka_unit_test(test_partial_and_continue),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_connection_header),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
