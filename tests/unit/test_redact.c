/*
 * test_redact.c: core/redact. Each key shape of the three providers (and
 * bearer credentials) is masked where it stands in real provider messages,
 * keeping its prefix and the text's length; words that merely look alike are
 * left alone; the secrets a set holds are masked whole, every time, NUL
 * bytes or not; masking twice changes nothing more.
 */
#include "core/redact.h"
#include "core/vgerr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Mask a copy of `in` (shapes only, or with `r`) and compare with `want`. */
static void expect(const struct redact *r, const char *in, const char *want, size_t hits)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", in);
	size_t n = redact_str(r, buf);
	if (strcmp(buf, want) != 0 || n != hits)
		fprintf(stderr, "in:   %s\ngot:  %s (%zu)\nwant: %s (%zu)\n", in, buf, n, want,
		        hits);
	assert_string_equal(buf, want);
	assert_int_equal(n, hits);
	assert_int_equal(strlen(buf), strlen(in));
	assert_int_equal(redact_found(r, in, strlen(in)), hits > 0);
	/* idempotent: what is masked holds no key any more */
	assert_int_equal(redact_str(r, buf), 0);
	assert_false(redact_found(r, buf, strlen(buf)));
}

static void test_provider_key_shapes(void **state)
{
	(void)state;
	/* OpenAI's 401 body, a project key */
	expect(NULL,
	       "Incorrect API key provided: sk-proj-AbCdEf1234567890XyZ_abcdefgh. You can find "
	       "your API key at https://platform.openai.com/account/api-keys.",
	       "Incorrect API key provided: sk-*********************************. You can find "
	       "your API key at https://platform.openai.com/account/api-keys.",
	       1);
	/* a legacy key inside JSON */
	expect(NULL, "{\"key\":\"sk-0123456789abcdefghijABCDEFGHIJ\"}",
	       "{\"key\":\"sk-******************************\"}", 1);
	/* Anthropic */
	expect(NULL, "x-api-key sk-ant-api03-aaaaBBBBccccDDDDeeee_ffff-gggg was rejected",
	       "x-api-key sk-**************************************** was rejected", 1);
	/* Google: an API key in a URL, and an OAuth access token */
	expect(NULL, "GET /v1beta/models?key=AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv HTTP/1.1",
	       "GET /v1beta/models?key=AIza*********************************** HTTP/1.1", 1);
	expect(NULL, "token ya29.a0AfH6SMBx-Example.Token_Value123 expired",
	       "token ya29.********************************* expired", 1);
	/* a bearer credential, any case */
	expect(NULL, "Authorization: Bearer abcdefghijklmnop1234",
	       "Authorization: Bearer ********************", 1);
	expect(NULL, "authorization: BEARER abc.def~ghi+jkl/mno=",
	       "authorization: BEARER ********************", 1);
	/* two in one text */
	/* after punctuation, not after a letter or digit */
	expect(NULL, "r1-AIza0123456789012345678901234567890123",
	       "r1-AIza**********************************", 1);
	expect(NULL, "key=sk-AAAAAAAAAAAAAAAAAAAAAAAA", "key=sk-************************", 1);
	expect(NULL, "sk-AAAAAAAAAAAAAAAAAAAAAAAA and AIza0123456789012345678901234567890123",
	       "sk-************************ and AIza**********************************", 2);
}

static void test_look_alikes_stay(void **state)
{
	(void)state;
	const char *keep[] = {
		"task-force-abcdefghijklmnopqrstuvwxyz", /* not at a word start */
		"disk-abcdefghijklmnopqrstuvwxyz0123",
		"sk-short", /* too short for a key */
		"see sk- for details",
		"AIza is a prefix",
		"Bearer token expired", /* no credential */
		"the bearer of bad news",
		"gpt-4o-mini-2024-07-18",
		"ya29.short",
		"",
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		expect(NULL, keep[i], keep[i], 0);
}

static void test_held_secrets(void **state)
{
	(void)state;
	struct redact *r = redact_new();
	assert_non_null(r);
	assert_int_equal(redact_add(r, "short"), VG_EINVAL);
	assert_int_equal(redact_add(r, NULL), VG_EINVAL);
	assert_int_equal(redact_add(r, "LEAKCHECK-PD-0f9e8d7c6b5a"), 0);
	assert_int_equal(redact_add(r, "LEAKCHECK-PD-0f9e8d7c6b5a"), 0); /* once */
	assert_int_equal(redact_add(r, "hunter2hunter2"), 0);
	assert_int_equal(redact_count(r), 2);
	expect(r, "routing key LEAKCHECK-PD-0f9e8d7c6b5a rejected (LEAKCHECK-PD-0f9e8d7c6b5a)",
	       "routing key ************************* rejected (*************************)", 2);
	expect(r, "pw=hunter2hunter2;", "pw=**************;", 1);
	/* a held secret and a shape together */
	expect(r, "hunter2hunter2 sk-AAAAAAAAAAAAAAAAAAAAAAAA",
	       "************** sk-************************", 2);
	/* NUL bytes do not hide what follows them */
	char buf[] = "a\0b hunter2hunter2\0sk-BBBBBBBBBBBBBBBBBBBBBBBB";
	size_t len = sizeof(buf) - 1;
	assert_true(redact_found(r, buf, len));
	assert_int_equal(redact_buf(r, buf, len), 2);
	assert_memory_equal(buf, "a\0b **************\0sk-************************", len);
	assert_false(redact_found(r, buf, len));
	/* a set with no secrets behaves as NULL */
	struct redact *e = redact_new();
	expect(e, "sk-CCCCCCCCCCCCCCCCCCCCCCCC", "sk-************************", 1);
	redact_free(e);
	redact_free(r);
	redact_free(NULL);
	assert_int_equal(redact_str(NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_key_shapes),
		cmocka_unit_test(test_look_alikes_stay),
		cmocka_unit_test(test_held_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
