/*
 * sim_rng.h: the simulator's deterministic random numbers (splitmix64), one
 * stream per concern.
 *
 * A value type. Every reproducible draw comes from a stream derived, never
 * drawn, from its coordinates: the run's seed, the source (the gateway
 * generator or the provider server), the request (and attempt), the concern
 * (arrival times, which requests a phase hits, latency, tokens, texts,
 * retries...) and, where it helps, the entity (the phase, the provider).
 * So a draw added, removed or skipped in one concern never moves another
 * concern's numbers, and request N draws the same numbers whatever earlier
 * requests drew: no branch needs padding draws to keep the counts equal.
 *
 * The rule inside one stream: a conditional draw comes after every
 * unconditional one, or it gets a stream of its own (sim_rng_fork).
 */
#ifndef VIGIL_SIM_RNG_H
#define VIGIL_SIM_RNG_H

#include <stdint.h>

struct sim_rng {
	uint64_t s;
};

/*
 * The concerns, one list so that two never share a stream. Values are
 * stream tags: never renumber one (it would change every run's traffic).
 */
enum sim_rng_concern {
	/* sources: the root of a run's requests */
	SIM_RNG_GATEWAY = 1, /* the gateway generator */
	SIM_RNG_SERVER = 2,  /* the provider server */
	SIM_RNG_ATTEMPT = 3, /* gateway: one attempt of a request */
	/* per request (gateway) */
	SIM_RNG_ARRIVAL = 10, /* time to the next arrival */
	SIM_RNG_REQUEST = 11, /* template, streaming, prompt size */
	SIM_RNG_ID = 12,      /* request and response ids */
	SIM_RNG_FACTS = 13,   /* the facts of the retrieval context */
	/* per attempt (gateway) or request (server) */
	SIM_RNG_REGION = 20,     /* the region an attempt goes to */
	SIM_RNG_FAULT = 21,      /* whether a phase hits the request (entity: the phase) */
	SIM_RNG_MID_STREAM = 22, /* an overloaded stream that fails after its 200 */
	SIM_RNG_LATENCY = 23,    /* total and error times, first-token share, slow DNS */
	SIM_RNG_STREAM_ERR = 24, /* stream deltas sent before an error */
	SIM_RNG_TOKENS = 25,     /* token noise, output size, cached input */
	SIM_RNG_DOC_AGE = 26,    /* retrieval: age of the newest chunk */
	SIM_RNG_SIMILARITY = 27, /* retrieval: best similarity */
	SIM_RNG_TEXT = 28,       /* the response's words (sim_text forks per part) */
	SIM_RNG_CONNECTION = 29, /* gateway: a new connection and its phases */
	SIM_RNG_STORM = 30,      /* gateway: an invalid answer in a retry storm */
	SIM_RNG_BACKOFF = 31,    /* gateway: retry backoff jitter */
};

/* Seed a generator for one stream (a request index, a purpose tag). */
void sim_rng_init(struct sim_rng *r, uint64_t seed, uint64_t stream);

/*
 * A stream of its own derived from r's state and tag (a concern, an entity,
 * an index); r is not advanced, so forking draws nothing. Different tags
 * give independent streams; the same tag gives the same stream.
 */
struct sim_rng sim_rng_fork(const struct sim_rng *r, uint64_t tag);

/* fork(fork(r, a), b): e.g. the stream of one concern for one entity (a
 * phase), or of one attempt of a request. */
struct sim_rng sim_rng_fork2(const struct sim_rng *r, uint64_t a, uint64_t b);

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
