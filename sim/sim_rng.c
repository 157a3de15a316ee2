/* sim_rng.c: splitmix64, stream derivation and the distributions the simulator draws from. */
#include "sim/sim_rng.h"

#include <math.h>

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sim_rng_init(struct sim_rng *r, uint64_t seed, uint64_t stream)
{
	r->s = mix(seed * 0x9e3779b97f4a7c15ULL + mix(stream + 0x632be59bd9b4e019ULL));
}

struct sim_rng sim_rng_fork(const struct sim_rng *r, uint64_t tag)
{
	struct sim_rng f;
	sim_rng_init(&f, r->s, tag);
	return f;
}

struct sim_rng sim_rng_fork2(const struct sim_rng *r, uint64_t a, uint64_t b)
{
	struct sim_rng c = sim_rng_fork(r, a);
	return sim_rng_fork(&c, b);
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix(r->s);
}

double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t sim_rng_below(struct sim_rng *r, uint32_t n)
{
	if (n == 0)
		return 0;
	return (uint32_t)(sim_rng_unit(r) * n) % n;
}

double sim_rng_normal(struct sim_rng *r)
{
	double u1 = sim_rng_unit(r), u2 = sim_rng_unit(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double sim_rng_lognormal(struct sim_rng *r, double median, double sigma)
{
	return median * exp(sigma * sim_rng_normal(r));
}

double sim_rng_exp(struct sim_rng *r, double mean)
{
	double u = sim_rng_unit(r);
	return -mean * log(1.0 - u);
}

uint64_t sim_rng_hash(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return mix(h);
}
