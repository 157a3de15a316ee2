/*
 * sim_rng.h: the simulator's deterministic random numbers (splitmix64).
 * A value type: every draw that must be reproducible starts from
 * sim_rng_init(seed, stream), so the n-th request of a run draws the same
 * numbers whatever happened before it.
 */
#ifndef VIGIL_SIM_RNG_H
#define VIGIL_SIM_RNG_H

#include <stdint.h>

struct sim_rng {
	uint64_t s;
};

/* Seed a generator for one stream (a request index, a purpose tag). */
void sim_rng_init(struct sim_rng *r, uint64_t seed, uint64_t stream);

uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_unit(struct sim_rng *r);
/* Uniform integer in [0, n) (0 when n == 0). */
uint32_t sim_rng_below(struct sim_rng *r, uint32_t n);
/* Standard normal. */
double sim_rng_normal(struct sim_rng *r);
/* Lognormal with the given median and log-space sigma. */
double sim_rng_lognormal(struct sim_rng *r, double median, double sigma);
/* Exponential with the given mean. */
double sim_rng_exp(struct sim_rng *r, double mean);
/* A well-mixed 64-bit hash of a string and a seed (names to streams). */
uint64_t sim_rng_hash(const char *s, uint64_t seed);

#endif
