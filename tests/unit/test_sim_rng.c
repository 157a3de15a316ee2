/*
 * test_sim_rng.c: the simulator's streams. A fork draws nothing from its
 * parent, the same tag gives the same stream and different tags different
 * ones; the distributions stay in range; and a response's parts draw from
 * their own forks of the text stream, so one content fault's words (the
 * PII a leak shows) are the same with or without another (hallucinated
 * entities) in the same answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim_rng.h"
#include "sim/sim_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_fork_draws_nothing(void **state)
{
	(void)state;
	struct sim_rng r, copy;
	sim_rng_init(&r, 42, SIM_RNG_GATEWAY);
	copy = r;
	struct sim_rng f1 = sim_rng_fork(&r, SIM_RNG_LATENCY);
	struct sim_rng f2 = sim_rng_fork(&r, SIM_RNG_LATENCY);
	struct sim_rng g = sim_rng_fork(&r, SIM_RNG_TOKENS);
	/* the parent is untouched: its next draws are those of its copy */
	for (int i = 0; i < 8; i++)
		assert_true(sim_rng_next(&r) == sim_rng_next(&copy));
	/* the same tag, the same stream; another tag, another stream */
	int same_tag_equal = 0, other_tag_equal = 0;
	for (int i = 0; i < 64; i++) {
		uint64_t a = sim_rng_next(&f1), b = sim_rng_next(&f2), c = sim_rng_next(&g);
		same_tag_equal += a == b;
		other_tag_equal += a == c;
	}
	assert_int_equal(same_tag_equal, 64);
	assert_int_equal(other_tag_equal, 0);
}

static void test_fork2_is_two_forks(void **state)
{
	(void)state;
	struct sim_rng r;
	sim_rng_init(&r, 7, 3);
	struct sim_rng a = sim_rng_fork(&r, SIM_RNG_FAULT);
	struct sim_rng ab = sim_rng_fork(&a, 99);
	struct sim_rng f = sim_rng_fork2(&r, SIM_RNG_FAULT, 99);
	struct sim_rng swapped = sim_rng_fork2(&r, 99, SIM_RNG_FAULT);
	uint64_t x = sim_rng_next(&ab), y = sim_rng_next(&f), z = sim_rng_next(&swapped);
	assert_true(x == y);
	assert_true(x != z);
}

/* Streams of neighbouring indices and seeds are not correlated: the mean
 * of the first draw of 20000 sibling streams is about 1/2. */
static void test_siblings_are_uniform(void **state)
{
	(void)state;
	struct sim_rng base;
	sim_rng_init(&base, 1, SIM_RNG_GATEWAY);
	double sum = 0, sum_seed = 0;
	int n = 20000;
	for (int i = 0; i < n; i++) {
		struct sim_rng r = sim_rng_fork2(&base, (uint64_t)i, SIM_RNG_ARRIVAL);
		double u = sim_rng_unit(&r);
		assert_true(u >= 0 && u < 1);
		sum += u;
		struct sim_rng s;
		sim_rng_init(&s, (uint64_t)i, SIM_RNG_GATEWAY);
		struct sim_rng t = sim_rng_fork(&s, 0);
		sum_seed += sim_rng_unit(&t);
	}
	/* the mean of n uniforms has sd 0.289 / sqrt(n) = 0.002 */
	assert_true(fabs(sum / n - 0.5) < 0.01);
	assert_true(fabs(sum_seed / n - 0.5) < 0.01);
}

static void test_below_and_exp(void **state)
{
	(void)state;
	struct sim_rng r;
	sim_rng_init(&r, 5, 5);
	int hist[6] = { 0 };
	for (int i = 0; i < 6000; i++)
		hist[sim_rng_below(&r, 6)]++;
	for (int i = 0; i < 6; i++)
		assert_true(hist[i] > 850 && hist[i] < 1150);
	assert_int_equal(sim_rng_below(&r, 0), 0);
	double sum = 0;
	for (int i = 0; i < 10000; i++) {
		double e = sim_rng_exp(&r, 200);
		assert_true(e >= 0);
		sum += e;
	}
	assert_true(fabs(sum / 10000 - 200) < 10);
}

static char *respond(const struct sim_facts *f, unsigned flags, const struct sim_rng *words)
{
	struct sim_buf b;
	sim_buf_init(&b);
	bool valid;
	sim_text_response(f, false, flags, words, &b, &valid);
	return sim_buf_take(&b, NULL);
}

/* The words a PII leak adds are the same whether or not the same answer
 * also hallucinates, and the hallucinated entities the same with or
 * without a leak; the text stream itself is never advanced. */
static void test_text_parts_are_independent(void **state)
{
	(void)state;
	const unsigned pii = 1u << SIM_TX_PII, hall = 1u << SIM_TX_HALLUCINATION;
	int leaks_seen = 0, hallucinations_seen = 0;
	for (uint64_t i = 0; i < 200; i++) {
		struct sim_rng root, fr;
		sim_rng_init(&root, 9, i);
		fr = sim_rng_fork(&root, SIM_RNG_FACTS);
		struct sim_facts f;
		sim_text_facts((int)(i % 3), &fr, &f);
		struct sim_rng words = sim_rng_fork(&root, SIM_RNG_TEXT), before = words;
		char *plain = respond(&f, 0, &words);
		char *leak = respond(&f, pii, &words);
		char *made_up = respond(&f, hall, &words);
		char *both = respond(&f, pii | hall, &words);
		assert_true(memcmp(&words, &before, sizeof(words)) == 0);
		/* leak = plain + " " + the PII; both = made_up + " " + the same PII */
		size_t lp = strlen(plain), lm = strlen(made_up);
		assert_true(strncmp(leak, plain, lp) == 0);
		assert_true(strncmp(both, made_up, lm) == 0);
		assert_string_equal(leak + lp, both + lm);
		assert_true(strlen(leak + lp) > 1);
		/* made_up = plain without its final "." + the entities + "." */
		assert_true(strncmp(made_up, plain, lp - 1) == 0);
		assert_true(lm > lp);
		leaks_seen++;
		hallucinations_seen += strcmp(made_up, plain) != 0;
		free(plain);
		free(leak);
		free(made_up);
		free(both);
	}
	assert_int_equal(leaks_seen, 200);
	assert_int_equal(hallucinations_seen, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_draws_nothing),
		cmocka_unit_test(test_fork2_is_two_forks),
		cmocka_unit_test(test_siblings_are_uniform),
		cmocka_unit_test(test_below_and_exp),
		cmocka_unit_test(test_text_parts_are_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
