/*
 * schedule.c: probe start times as a pure function of (settings, endpoint,
 * time). See schedule.h for the guarantees and how they follow from lanes.
 */
#include "core/schedule.h"

uint64_t schedule_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int valid(const struct schedule *s, size_t index)
{
	return s && s->interval_ms > 0 && s->count > 0 && index < s->count && s->jitter_ms >= 0 &&
	       (int64_t)s->count <= s->interval_ms;
}

static int64_t lane_width(const struct schedule *s)
{
	return s->interval_ms / (int64_t)s->count;
}

int64_t schedule_effective_jitter(const struct schedule *s)
{
	if (!s || s->interval_ms <= 0 || s->count == 0 || s->jitter_ms < 0)
		return -1;
	int64_t w = lane_width(s);
	return s->jitter_ms < w ? s->jitter_ms : w - 1;
}

/* The lane of endpoint `index`: a seeded rotation of the endpoints. */
static size_t lane_of(const struct schedule *s, size_t index)
{
	size_t rot = (size_t)(schedule_mix(s->seed ^ 0x5ca1ab1eULL) % s->count);
	return (index + rot) % s->count;
}

static int64_t phase_of(const struct schedule *s)
{
	return (int64_t)(schedule_mix(s->seed) % (uint64_t)s->interval_ms);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t schedule_round_start(const struct schedule *s, int64_t round)
{
	if (!valid(s, 0))
		return -1;
	return phase_of(s) + round * s->interval_ms;
}

int64_t schedule_start(const struct schedule *s, size_t index, int64_t round)
{
	if (!valid(s, index))
		return -1;
	int64_t j = schedule_effective_jitter(s);
	int64_t off = 0;
	if (j > 0) {
		uint64_t h = schedule_mix(s->seed ^ schedule_mix((uint64_t)index + 1) ^
		                          schedule_mix((uint64_t)round * 0x2545f4914f6cdd1dULL));
		off = (int64_t)(h % (uint64_t)(j + 1));
	}
	return phase_of(s) + round * s->interval_ms + (int64_t)lane_of(s, index) * lane_width(s) +
	       off;
}

int64_t schedule_next(const struct schedule *s, size_t index, int64_t after_ms)
{
	if (!valid(s, index))
		return -1;
	/* Starts increase with the round (each stays inside its own round), so
	 * the answer is in the round containing after_ms or the next one. */
	int64_t r = floor_div(after_ms - phase_of(s), s->interval_ms);
	for (int64_t k = r; k <= r + 1; k++) {
		int64_t t = schedule_start(s, index, k);
		if (t > after_ms)
			return t;
	}
	return schedule_start(s, index, r + 2);
}
