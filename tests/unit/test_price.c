/*
 * test_price.c: core/price, the one lookup and cost rule: version suffixes,
 * the longest name winning, tables of any entry type, and the cost of every
 * mix of known and unknown prices and token counts.
 */
#include "core/model.h"
#include "core/price.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_matches(void **state)
{
	(void)state;
	assert_true(price_model_matches("gpt-4o", "gpt-4o"));
	assert_true(price_model_matches("gpt-4o", "gpt-4o-2024-08-06"));
	assert_false(price_model_matches("gpt-4o", "gpt-4o-mini"));
	assert_false(price_model_matches("gpt-4o", "gpt-4o-"));
	assert_false(price_model_matches("gpt-4o", "gpt-4"));
	assert_false(price_model_matches("gpt-4o-mini", "gpt-4o"));
	assert_false(price_model_matches("", "gpt-4o"));
	assert_false(price_model_matches("", ""));
	assert_true(price_model_matches("claude-3-5-haiku", "claude-3-5-haiku-20241022"));
}

/* Two unrelated entry layouts: the name first, and the name after other
 * members, as the pipeline's and the canary's tables differ. */
struct row_a {
	char name[32];
	double in, out;
};
struct row_b {
	int tag;
	double in;
	char model[24];
};

static void test_find(void **state)
{
	(void)state;
	const struct row_a a[] = {
		{ "gpt-4o", 2.5, 10 },
		{ "gpt-4o-mini", 0.15, 0.6 },
		{ "gpt-4o-mini-2024-07-18", 0.1, 0.4 },
		{ "gpt-4o-mini", 9, 9 }, /* the same length as [1]: the first wins */
	};
	size_t na = sizeof(a) / sizeof(a[0]);
	const size_t off = offsetof(struct row_a, name);
	assert_ptr_equal(price_find("gpt-4o", a, na, sizeof(a[0]), off), &a[0]);
	assert_ptr_equal(price_find("gpt-4o-2024-08-06", a, na, sizeof(a[0]), off), &a[0]);
	assert_ptr_equal(price_find("gpt-4o-mini", a, na, sizeof(a[0]), off), &a[1]);
	/* the longest matching name wins over a shorter match */
	assert_ptr_equal(price_find("gpt-4o-mini-2024-07-18", a, na, sizeof(a[0]), off), &a[2]);
	assert_ptr_equal(price_find("gpt-4o-mini-2025-01-01", a, na, sizeof(a[0]), off), &a[1]);
	assert_null(price_find("gpt-4", a, na, sizeof(a[0]), off));
	assert_null(price_find("gpt-4o", a, 0, sizeof(a[0]), off));
	assert_null(price_find("gpt-4o", NULL, 0, sizeof(a[0]), off));

	const struct row_b b[] = { { 1, 3, "sonnet" }, { 2, 4, "sonnet-4" }, { 3, 5, "" } };
	const struct row_b *hit =
	        price_find("sonnet-4-20250514", b, 3, sizeof(b[0]), offsetof(struct row_b, model));
	assert_non_null(hit);
	assert_int_equal(hit->tag, 2);
	hit = price_find("sonnet-20240229", b, 3, sizeof(b[0]), offsetof(struct row_b, model));
	assert_non_null(hit);
	assert_int_equal(hit->tag, 1);
	/* an empty configured name prices nothing, not even "" */
	assert_null(price_find("", b, 3, sizeof(b[0]), offsetof(struct row_b, model)));
}

static void test_cost(void **state)
{
	(void)state;
	/* both parts */
	assert_true(price_cost(0.5, 1.5, 1000, 2000) == 0.5 + 3.0);
	assert_true(price_cost(0.00015, 0.0006, 1200, 300) ==
	            1200.0 / 1000.0 * 0.00015 + 300.0 / 1000.0 * 0.0006);
	/* no input tokens is a cost of the output alone; none at all is 0 */
	assert_true(price_cost(0.5, 1.5, 0, 1000) == 1.5);
	assert_true(price_cost(0.5, 1.5, 0, 0) == 0);
	/* the output part needs a known, positive count and a known price */
	assert_true(price_cost(0.5, 1.5, 1000, VG_NONE) == 0.5);
	assert_true(price_cost(0.5, 1.5, 1000, -4) == 0.5);
	assert_true(price_cost(0.5, 0, 1000, 1000) == 0.5);
	assert_true(price_cost(0.5, -1, 1000, 1000) == 0.5);
	/* unknown: no input price (even with an output price), no input count,
	 * a negative input count */
	assert_true(isnan(price_cost(0, 1.5, 1000, 1000)));
	assert_true(isnan(price_cost(-1, -1, 1000, 1000)));
	assert_true(isnan(price_cost(0.5, 1.5, VG_NONE, 1000)));
	assert_true(isnan(price_cost(0.5, 1.5, -1, 1000)));
	assert_true(isnan(price_cost(0.5, 1.5, VG_NONE, VG_NONE)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
