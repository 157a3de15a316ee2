/*
 * test_vgmem.c: growing arrays (core/vgmem): doubling, the first size,
 * nothing to do, and a size that cannot be allocated.
 */
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static void test_grow(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	assert_int_equal(vg_grow((void **)&v, &cap, 1, sizeof(*v), 16), 0);
	assert_int_equal(cap, 16);
	v[15] = 7;
	assert_int_equal(vg_grow((void **)&v, &cap, 16, sizeof(*v), 16), 0);
	assert_int_equal(cap, 16); /* big enough already */
	assert_int_equal(vg_grow((void **)&v, &cap, 17, sizeof(*v), 16), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(v[15], 7); /* kept */
	assert_int_equal(vg_grow((void **)&v, &cap, 1000, sizeof(*v), 16), 0);
	assert_int_equal(cap, 1024);
	/* too big: an error, the array untouched */
	int *old = v;
	assert_int_equal(vg_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof(*v), 16), VG_ENOMEM);
	assert_ptr_equal(v, old);
	assert_int_equal(cap, 1024);
	assert_int_equal(vg_grow((void **)&v, &cap, SIZE_MAX, 1, 16), VG_ENOMEM);
	free(v);
	/* first 0 starts at 1 */
	char *c = NULL;
	cap = 0;
	assert_int_equal(vg_grow((void **)&c, &cap, 3, 1, 0), 0);
	assert_int_equal(cap, 4);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
