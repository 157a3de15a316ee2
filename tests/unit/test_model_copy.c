/*
 * test_model_copy.c: core/model's model_copy_str(), the copy every fixed
 * name buffer goes through: whole when it fits, cut at a UTF-8 character
 * boundary when it does not (a cut inside a sequence made invalid text that
 * jansson refused, and a replay of a line with a 46-byte key alias ending
 * in U+009B failed as "out of memory").
 */
#include "core/model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_fits(void **state)
{
	(void)state;
	char b[8];
	assert_true(model_copy_str(b, sizeof(b), "abc", (size_t)-1));
	assert_string_equal(b, "abc");
	assert_true(model_copy_str(b, sizeof(b), "abcdefgXYZ", 7));
	assert_string_equal(b, "abcdefg");
	assert_true(model_copy_str(b, sizeof(b), NULL, 0));
	assert_string_equal(b, "");
	assert_false(model_copy_str(b, 0, "x", 1));
}

static void test_cut_at_a_character(void **state)
{
	(void)state;
	char b[6]; /* room for 5 bytes */
	/* "abcd" + U+009B (C2 9B): the sequence would straddle the end */
	assert_false(model_copy_str(b, sizeof(b), "abcd\xc2\x9bz", (size_t)-1));
	assert_string_equal(b, "abcd");
	/* "ab" + U+20AC (E2 82 AC) + "z": fits exactly up to the euro sign */
	assert_false(model_copy_str(b, sizeof(b), "ab\xe2\x82\xacz", (size_t)-1));
	assert_string_equal(b, "ab\xe2\x82\xac");
	/* "abc" + U+20AC: only two of its three bytes would fit */
	assert_false(model_copy_str(b, sizeof(b), "abc\xe2\x82\xac", (size_t)-1));
	assert_string_equal(b, "abc");
	/* a four-byte sequence at the start that does not fit: nothing */
	char s[4];
	assert_false(model_copy_str(s, sizeof(s), "\xf0\x9f\x98\x80", (size_t)-1));
	assert_string_equal(s, "");
	/* ASCII is cut where it is */
	assert_false(model_copy_str(b, sizeof(b), "abcdefgh", (size_t)-1));
	assert_string_equal(b, "abcde");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_cut_at_a_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
