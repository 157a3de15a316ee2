/*
 * schedule.h: when each canary probe starts. A pure, seeded function: time
 * in, next start out; no clock, no state.
 *
 * Time is cut into rounds of `interval_ms` (shifted by a phase drawn from the
 * seed, so two vigil instances with different seeds do not probe in step).
 * Each round is cut into `count` equal lanes, one per endpoint (in a seeded
 * order, so endpoint 0 is not always first). An endpoint starts inside its
 * own lane at an offset drawn from (seed, endpoint, round) in [0, jitter),
 * where the jitter is capped below the lane width. So:
 *   - two endpoints never start at the same instant, in any round;
 *   - one endpoint's consecutive starts are interval_ms +- jitter apart
 *     (never closer than interval_ms - jitter);
 *   - the same (settings, endpoint, time) always gives the same answer.
 */
#ifndef VIGIL_CORE_SCHEDULE_H
#define VIGIL_CORE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct schedule {
	int64_t interval_ms; /* > 0 */
	int64_t jitter_ms;   /* >= 0; capped at the lane width minus 1 ms */
	uint64_t seed;
	size_t count; /* endpoints sharing the schedule, >= 1 */
};

/*
 * The first start of endpoint `index` (0 <= index < count) strictly after
 * `after_ms` (ms since the epoch). Returns -1 when the settings are invalid
 * (interval <= 0, count 0, index >= count, negative jitter).
 */
int64_t schedule_next(const struct schedule *s, size_t index, int64_t after_ms);

/* The start of endpoint `index` in round `round` (round r covers
 * [phase + r * interval, phase + (r + 1) * interval)), or -1 as above. */
int64_t schedule_start(const struct schedule *s, size_t index, int64_t round);

/* Where round `round` begins (the same for every endpoint), or -1 when the
 * settings are invalid. */
int64_t schedule_round_start(const struct schedule *s, int64_t round);

/* The jitter actually applied (jitter_ms capped below the lane width). */
int64_t schedule_effective_jitter(const struct schedule *s);

/* A 64-bit mix (splitmix64 finaliser) of x: the schedule's only randomness. */
uint64_t schedule_mix(uint64_t x);

#endif
