/*
 * test_action.c: the operator actions (core/action): one name each, and
 * parsing (a database written by an older build holds "wizard" for the
 * triage path, which still reads as ACTION_TRIAGE).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/action.h"
#include "core/vgerr.h"

#include <string.h>

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(action_name(ACTION_ACK), "ack");
	assert_string_equal(action_name(ACTION_RESOLVE), "resolve");
	assert_string_equal(action_name(ACTION_NOTE), "note");
	assert_string_equal(action_name(ACTION_TRIAGE), "triage");
	assert_string_equal(action_name(ACTION_ACCEPT), "accept");
	assert_string_equal(action_name(ACTION_REJECT), "reject");
	assert_true(action_is_review(ACTION_ACCEPT) && action_is_review(ACTION_REJECT));
	assert_false(action_is_review(ACTION_ACK) || action_is_review(ACTION_TRIAGE));
	assert_string_equal(action_name(ACTION__COUNT), "unknown");
	assert_string_equal(action_name((enum action_kind) - 1), "unknown");
}

static void test_parse(void **state)
{
	(void)state;
	for (int a = 0; a < ACTION__COUNT; a++) {
		assert_int_equal(action_parse(action_name((enum action_kind)a)), a);
	}
	/* written by builds before the one enum */
	assert_int_equal(action_parse("wizard"), ACTION_TRIAGE);
	assert_int_equal(action_parse("triage"), ACTION_TRIAGE);
	assert_int_equal(action_parse("ack"), ACTION_ACK);
	assert_int_equal(action_parse(NULL), VG_EINVAL);
	assert_int_equal(action_parse(""), VG_EINVAL);
	assert_int_equal(action_parse("unknown"), VG_EINVAL);
	assert_int_equal(action_parse("Ack"), VG_EINVAL);
	assert_int_equal(action_parse("acknowledge"), VG_EINVAL);
}

/* Every action has a name of its own. */
static void test_one_name_each(void **state)
{
	(void)state;
	for (int a = 0; a < ACTION__COUNT; a++) {
		for (int b = 0; b < ACTION__COUNT; b++) {
			if (a == b)
				continue;
			assert_string_not_equal(action_name((enum action_kind)a),
			                        action_name((enum action_kind)b));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_one_name_each),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
