/*
 * test_dedupe.c: data/dedupe, the bounded "seen recently" set of the
 * ingest: a key is seen while it is among the last `capacity` distinct keys
 * remembered, and forgotten after; compared step by step with a plain model
 * (a FIFO of the remembered keys) over seeded random streams with repeats,
 * near and far, and colliding home slots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "data/dedupe.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void test_basics(void **state)
{
	(void)state;
	struct dedupe *d = dedupe_new(3); /* rounded up to 16 */
	assert_non_null(d);
	assert_false(dedupe_seen(d, 42));
	assert_true(dedupe_seen(d, 42));
	assert_false(dedupe_seen(d, 0)); /* 0 is kept as 1 */
	assert_true(dedupe_seen(d, 0));
	assert_true(dedupe_seen(d, 1));
	/* sixteen more distinct keys push 42 out */
	for (uint64_t k = 100; k < 116; k++)
		assert_false(dedupe_seen(d, k));
	assert_false(dedupe_seen(d, 42));
	dedupe_free(d);
	dedupe_free(NULL);
	/* the key: same pair, same key; attempt matters; <= 0 is attempt 1 */
	assert_int_equal(dedupe_key("r-1", 1), dedupe_key("r-1", 1));
	assert_int_equal(dedupe_key("r-1", 0), dedupe_key("r-1", 1));
	assert_true(dedupe_key("r-1", 1) != dedupe_key("r-1", 2));
	assert_true(dedupe_key("r-1", 1) != dedupe_key("r-2", 1));
	assert_true(dedupe_key("", 1) != 0);
}

/* The model: the remembered keys in insertion order. */
struct model {
	uint64_t *k;
	size_t cap, n, head;
};

static bool model_seen(struct model *m, uint64_t key)
{
	if (!key)
		key = 1;
	for (size_t i = 0; i < m->n; i++)
		if (m->k[(m->head + i) % m->cap] == key)
			return true;
	if (m->n == m->cap) {
		m->k[m->head] = key;
		m->head = (m->head + 1) % m->cap;
	} else {
		m->k[(m->head + m->n++) % m->cap] = key;
	}
	return false;
}

static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void run(size_t cap, size_t steps, uint64_t universe, bool collide)
{
	struct dedupe *d = dedupe_new(cap);
	assert_non_null(d);
	struct model m = { calloc(cap, sizeof(uint64_t)), cap, 0, 0 };
	assert_non_null(m.k);
	size_t seen = 0;
	for (size_t i = 0; i < steps; i++) {
		uint64_t key = next() % universe;
		/* keys that differ only above the bits the table hashes on
		 * still spread; these share a handful of home slots instead */
		if (collide)
			key = (key % 8) | ((key / 8) << 40);
		bool want = model_seen(&m, key);
		bool got = dedupe_seen(d, key);
		if (want != got)
			fail_msg("cap %zu step %zu key %llu: model %d, dedupe %d", cap, i,
			         (unsigned long long)key, want, got);
		seen += got;
	}
	assert_true(seen > 0 && seen < steps); /* both answers were exercised */
	free(m.k);
	dedupe_free(d);
}

static void test_against_model(void **state)
{
	(void)state;
	/* capacities are powers of two already: the model keeps the same count */
	run(16, 20000, 40, false);
	run(64, 50000, 100, false);
	run(64, 50000, 1000, false);
	run(1024, 200000, 3000, false);
	run(64, 30000, 200, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
