/*
 * test_sanitize.c: core/sanitize, driven by tests/data/sanitize/cases.json
 * (input as a JSON string "in" or raw bytes "in_hex", expected output "out"),
 * plus the properties every output must have: valid UTF-8, no control
 * character, no ESC, idempotent, cut only at character boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sanitize.h"
#include "tests/support/testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t from_hex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; hex[i] && hex[i + 1] && n < cap; i += 2) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[i + (size_t)k];
			v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		out[n++] = (unsigned char)v;
	}
	return n;
}

/* The invariants of any sanitised output. */
static void check_clean(const char *s, size_t n, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		assert_true(u[i] != 0x1B);
		assert_true(u[i] != 0x7F);
		if (u[i] < 0x20)
			assert_true(u[i] == '\n' && (flags & SANITIZE_KEEP_NEWLINES));
		if (u[i] == 0xC2 && i + 1 < n) /* U+0080..U+009F */
			assert_true(u[i + 1] >= 0xA0);
	}
	assert_true(sanitize_is_clean(s, n, flags));
}

static void test_cases(void **state)
{
	(void)state;
	json_error_t jerr;
	json_t *cases =
	        json_load_file(VIGIL_TEST_DATA_DIR "/sanitize/cases.json", JSON_ALLOW_NUL, &jerr);
	if (!cases)
		fail_msg("cases.json:%d: %s", jerr.line, jerr.text);
	size_t i;
	json_t *c;
	int failures = 0;
	json_array_foreach (cases, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		unsigned char in[512];
		size_t in_len;
		json_t *jin = json_object_get(c, "in");
		if (jin) {
			in_len = json_string_length(jin);
			memcpy(in, json_string_value(jin), in_len);
		} else {
			in_len = from_hex(json_string_value(json_object_get(c, "in_hex")), in,
			                  sizeof(in));
		}
		unsigned flags = json_is_true(json_object_get(c, "keep_newlines"))
		                         ? SANITIZE_KEEP_NEWLINES
		                         : 0;
		const char *want = json_string_value(json_object_get(c, "out"));
		char got[512];
		size_t n = sanitize_text(got, sizeof(got), (const char *)in, in_len, flags);
		assert_int_equal(n, strlen(got));
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "FAIL \"%s\": expected \"%s\", got \"%s\"\n", name, want,
			        got);
			failures++;
		}
		check_clean(got, n, flags);
		/* Clean input is recognised as clean exactly when it comes out unchanged. */
		bool same = n == in_len && memcmp(got, in, n) == 0;
		assert_int_equal(sanitize_is_clean((const char *)in, in_len, flags), same);
		/* Idempotent. */
		char again[512];
		sanitize_text(again, sizeof(again), got, n, flags);
		assert_string_equal(again, got);
	}
	json_decref(cases);
	assert_int_equal(failures, 0);
}

static void test_cut_at_boundary(void **state)
{
	(void)state;
	const char *s = "ab\xC3\xBC\xE6\x9D\xB1"; /* "abü東" */
	char out[8];
	/* Room for 5 bytes + NUL: "abü" (4 bytes) fits, 東 (3) does not. */
	size_t n = sanitize_text(out, 6, s, strlen(s), 0);
	assert_int_equal(n, 4);
	assert_string_equal(out, "ab\xC3\xBC");
	n = sanitize_text(out, 3, s, strlen(s), 0);
	assert_string_equal(out, "ab");
	n = sanitize_text(out, 1, s, strlen(s), 0);
	assert_int_equal(n, 0);
	assert_string_equal(out, "");
	/* A cut output is not "clean" input: it lost something. */
	assert_false(sanitize_is_clean(s, strlen(s) + 1, 0)); /* trailing NUL dropped */
}

static void test_null_and_empty(void **state)
{
	(void)state;
	char out[4] = "xyz";
	assert_int_equal(sanitize_str(out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "");
	assert_int_equal(sanitize_text(out, sizeof(out), "", 0, 0), 0);
	assert_true(sanitize_is_clean("", 0, 0));
	assert_true(sanitize_is_clean(NULL, 0, 0));
	assert_int_equal(sanitize_text(NULL, 10, "abc", 3, 0), 0);
}

/* Seeded random bytes biased towards the interesting ones. */
static void test_random_inputs(void **state)
{
	(void)state;
	static const unsigned char alphabet[] = { 0x1B, '[',  ']',  '\\', 0x07, 0x9B, 0x9C, 0x9D,
		                                  0xC2, 0xE2, 0x80, 0xAE, 'a',  '0',  ';',  '\n',
		                                  0x00, 0xFF, 0xF0, 0x9F, 'P',  'm',  '?',  0x18 };
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	for (int round = 0; round < 20000; round++) {
		unsigned char in[64];
		size_t len = (size_t)(round % 64);
		for (size_t i = 0; i < len; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			in[i] = (seed & 3) ? alphabet[(seed >> 8) % sizeof(alphabet)]
			                   : (unsigned char)(seed >> 16);
		}
		unsigned flags = (round & 1) ? SANITIZE_KEEP_NEWLINES : 0;
		char out[256], again[256];
		size_t n = sanitize_text(out, sizeof(out), (const char *)in, len, flags);
		check_clean(out, n, flags);
		sanitize_text(again, sizeof(again), out, n, flags);
		assert_string_equal(again, out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_cut_at_boundary),
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_random_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
