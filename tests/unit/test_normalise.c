/*
 * test_normalise.c: provider normalisation, driven by data files
 * tests/data/normalise/<provider>.json. Each case gives a status, headers,
 * a body (a JSON value in "body", or raw bytes in "body_text") and the
 * expected signals; only the expected keys are checked, and null means
 * "not measured".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/normalise.h"
#include "core/timeparse.h"
#include "tests/support/testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void fail_case(const char *file, const char *name, const char *key, const char *want,
                      const char *got)
{
	fprintf(stderr, "FAIL %s: \"%s\": %s: expected %s, got %s\n", file, name, key, want, got);
	failures++;
}

static void check_int(const char *file, const char *name, const char *key, json_t *want,
                      int64_t got)
{
	char w[64], g[64];
	if (json_is_null(want)) {
		if (vg_has(got)) {
			snprintf(g, sizeof(g), "%lld", (long long)got);
			fail_case(file, name, key, "not measured", g);
		}
		return;
	}
	if (!json_is_integer(want) || json_integer_value(want) != got) {
		char *ws = json_dumps(want, JSON_ENCODE_ANY);
		snprintf(w, sizeof(w), "%s", ws ? ws : "?");
		free(ws);
		if (vg_has(got))
			snprintf(g, sizeof(g), "%lld", (long long)got);
		else
			snprintf(g, sizeof(g), "not measured");
		fail_case(file, name, key, w, g);
	}
}

static void check_str(const char *file, const char *name, const char *key, json_t *want,
                      const char *got)
{
	if (!json_is_string(want) || strcmp(json_string_value(want), got) != 0)
		fail_case(file, name, key, json_is_string(want) ? json_string_value(want) : "?",
		          got);
}

static void check_bool(const char *file, const char *name, const char *key, json_t *want, bool got)
{
	if (!json_is_boolean(want) || json_is_true(want) != got)
		fail_case(file, name, key, json_is_true(want) ? "true" : "false",
		          got ? "true" : "false");
}

static void run_case(const char *file, json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	struct norm_input in;
	memset(&in, 0, sizeof(in));
	in.kind = model_provider_kind_from_name(json_string_value(json_object_get(c, "provider")),
	                                        (size_t)-1);
	in.status = (int)json_integer_value(json_object_get(c, "status"));
	const char *te = json_string_value(json_object_get(c, "transport"));
	in.transport =
	        te ? (enum transport_error)model_transport_error_parse(te, (size_t)-1) : TE_NONE;
	const char *now = json_string_value(json_object_get(c, "now"));
	in.now_ms = 1795773600000LL; /* 2026-11-27T10:00:00Z */
	if (now)
		assert_int_equal(timeparse_rfc3339(now, strlen(now), &in.now_ms), 0);

	json_t *hdrs = json_object_get(c, "headers");
	struct norm_header headers[32];
	const char *k;
	json_t *v;
	json_object_foreach (hdrs, k, v) {
		assert_true(in.nheaders < 32);
		headers[in.nheaders].name = k;
		headers[in.nheaders].name_len = strlen(k);
		headers[in.nheaders].value = json_string_value(v);
		headers[in.nheaders].value_len = json_string_length(v);
		in.nheaders++;
	}
	in.headers = headers;

	char *body = NULL;
	json_t *jb = json_object_get(c, "body");
	json_t *tb = json_object_get(c, "body_text");
	if (jb) {
		body = json_dumps(jb, JSON_ENCODE_ANY | JSON_COMPACT);
		in.body = body;
		in.body_len = strlen(body);
	} else if (tb) {
		in.body = json_string_value(tb);
		in.body_len = json_string_length(tb);
	}

	struct norm_signals out;
	normalise_response(&in, &out);

	json_t *expect = json_object_get(c, "expect");
	assert_non_null(expect);
	json_object_foreach (expect, k, v) {
		if (strcmp(k, "error_class") == 0)
			check_str(file, name, k, v, model_err_class_name(out.error_class));
		else if (strcmp(k, "retryable") == 0) {
			int want = json_is_null(v)   ? VG_TRI_UNSET
			           : json_is_true(v) ? VG_TRI_TRUE
			                             : VG_TRI_FALSE;
			if (want != out.retryable) {
				char g[8];
				snprintf(g, sizeof(g), "%d", out.retryable);
				fail_case(file, name, k,
				          json_is_null(v)   ? "unset"
				          : json_is_true(v) ? "true"
				                            : "false",
				          g);
			}
		} else if (strcmp(k, "retry_after_ms") == 0)
			check_int(file, name, k, v, out.retry_after_ms);
		else if (strcmp(k, "rl_requests_limit") == 0)
			check_int(file, name, k, v, out.rl_requests.limit);
		else if (strcmp(k, "rl_requests_remaining") == 0)
			check_int(file, name, k, v, out.rl_requests.remaining);
		else if (strcmp(k, "rl_requests_reset_ms") == 0)
			check_int(file, name, k, v, out.rl_requests.reset_ms);
		else if (strcmp(k, "rl_tokens_limit") == 0)
			check_int(file, name, k, v, out.rl_tokens.limit);
		else if (strcmp(k, "rl_tokens_remaining") == 0)
			check_int(file, name, k, v, out.rl_tokens.remaining);
		else if (strcmp(k, "rl_tokens_reset_ms") == 0)
			check_int(file, name, k, v, out.rl_tokens.reset_ms);
		else if (strcmp(k, "input_tokens") == 0)
			check_int(file, name, k, v, out.input_tokens);
		else if (strcmp(k, "output_tokens") == 0)
			check_int(file, name, k, v, out.output_tokens);
		else if (strcmp(k, "cached_tokens") == 0)
			check_int(file, name, k, v, out.cached_tokens);
		else if (strcmp(k, "finish") == 0) {
			if (json_is_null(v)) {
				if (out.finish != FR_UNSET)
					fail_case(file, name, k, "unset",
					          model_finish_reason_name(out.finish));
			} else {
				check_str(file, name, k, v,
				          out.finish == FR_UNSET
				                  ? "unset"
				                  : model_finish_reason_name(out.finish));
			}
		} else if (strcmp(k, "finish_raw") == 0)
			check_str(file, name, k, v, out.finish_raw);
		else if (strcmp(k, "block_reason") == 0)
			check_str(file, name, k, v, out.block_reason);
		else if (strcmp(k, "error_type") == 0)
			check_str(file, name, k, v, out.error_type);
		else if (strcmp(k, "error_code") == 0)
			check_str(file, name, k, v, out.error_code);
		else if (strcmp(k, "safety_block") == 0)
			check_bool(file, name, k, v, out.safety_block);
		else if (strcmp(k, "stream_error") == 0)
			check_bool(file, name, k, v, out.stream_error);
		else if (strcmp(k, "body_truncated") == 0)
			check_bool(file, name, k, v, out.body_truncated);
		else if (strcmp(k, "body_not_json") == 0)
			check_bool(file, name, k, v, out.body_not_json);
		else
			fail_case(file, name, k, "a known expectation key", "unknown key");
	}
	free(body);
}

static void test_data_files(void **state)
{
	(void)state;
	const char *dir = VIGIL_TEST_DATA_DIR "/normalise";
	size_t n;
	char **files = tu_list_dir(dir, ".json", &n);
	assert_true(n >= 4);
	int cases = 0;
	for (size_t i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *arr = json_load_file(tu_path(dir, files[i]), 0, &jerr);
		if (!arr)
			fail_msg("%s:%d: %s", files[i], jerr.line, jerr.text);
		assert_true(json_is_array(arr));
		size_t j;
		json_t *c;
		json_array_foreach (arr, j, c) {
			run_case(files[i], c);
			cases++;
		}
		json_decref(arr);
	}
	tu_free_list(files, n);
	fprintf(stderr, "%d normalisation cases\n", cases);
	assert_int_equal(failures, 0);
}

static void test_null_input(void **state)
{
	(void)state;
	struct norm_signals out;
	normalise_response(NULL, &out);
	assert_int_equal(out.error_class, EC_OK);
	assert_false(vg_has(out.retry_after_ms));
}

static void test_status_classes(void **state)
{
	(void)state;
	static const struct {
		int status;
		enum err_class c;
	} t[] = {
		{ 200, EC_OK },
		{ 204, EC_OK },
		{ 400, EC_INVALID_REQUEST },
		{ 401, EC_AUTH },
		{ 402, EC_QUOTA_EXHAUSTED },
		{ 403, EC_PERMISSION },
		{ 404, EC_NOT_FOUND },
		{ 408, EC_TIMEOUT },
		{ 409, EC_OTHER },
		{ 413, EC_TOO_LARGE },
		{ 422, EC_INVALID_REQUEST },
		{ 429, EC_RATE_LIMIT },
		{ 500, EC_SERVER_ERROR },
		{ 502, EC_SERVER_ERROR },
		{ 503, EC_OVERLOADED },
		{ 504, EC_TIMEOUT },
		{ 529, EC_OVERLOADED },
		{ 599, EC_SERVER_ERROR },
		{ 301, EC_OTHER },
		{ -1, EC_TRANSPORT },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (normalise_status_class(t[i].status) != t[i].c)
			fail_msg("status %d: expected %s, got %s", t[i].status,
			         model_err_class_name(t[i].c),
			         model_err_class_name(normalise_status_class(t[i].status)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_null_input),
		cmocka_unit_test(test_status_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
