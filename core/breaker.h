/*
 * breaker.h: one circuit breaker (per provider, or per model where the config
 * asks for it), as an observer: vigil does not stop traffic, it tracks the
 * state a breaker in the gateway would be in and reports every transition.
 *
 *   closed    -> open       after consecutive_failures hard failures in a row,
 *                           or a failure share >= failure_rate over window_ms
 *                           once min_requests were seen in it
 *   open      -> half_open  when cooldown_ms has passed (breaker_poll)
 *   half_open -> closed     after halfopen_successes successes
 *   half_open -> open       on a hard failure
 *
 * Every transition comes back as a struct breaker_transition (the caller fills
 * provider and model). Each open from closed (after a recovery) counts
 * towards oscillation: K such opens within oscillation_window_ms set
 * `oscillating` on that transition. A failed half-open probe re-opening the
 * breaker does not count: that is one outage going on, not an intermittent
 * provider.
 * Requests seen while open are not counted (the state waits for the cooldown).
 * A value type: embed it, breaker_init() it; it never allocates.
 */
#ifndef VIGIL_CORE_BREAKER_H
#define VIGIL_CORE_BREAKER_H

#include "core/model.h"
#include "core/settings.h"
#include "core/swin.h"

/* The most open times remembered for the oscillation test. */
#define BREAKER_MAX_OPENS 64

struct breaker {
	struct breaker_settings cfg;
	enum breaker_state state;
	int64_t since_ms; /* when the current state began */
	int32_t consecutive;
	int32_t halfopen_ok;
	struct swin win; /* slot 0: requests, slot 1: hard failures (closed state only) */
	int64_t opens[BREAKER_MAX_OPENS]; /* ring of recent opens from closed */
	int32_t opens_head, n_opens;
	uint64_t total_opens;
};

/* Start closed at time now with the given settings (copied). */
void breaker_init(struct breaker *b, const struct breaker_settings *cfg, int64_t now);

/*
 * Apply the passing of time: open -> half_open once the cooldown has passed.
 * Writes at most one transition to *out and returns how many (0 or 1).
 */
int breaker_poll(struct breaker *b, int64_t now, struct breaker_transition *out);

/*
 * Record one request's outcome at time now: `failure` is a hard provider
 * failure, `what` names it for the reason text ("server_error 503"; may be
 * NULL). Polls first, so it may write up to 2 transitions to out[0..1];
 * returns how many.
 */
int breaker_record(struct breaker *b, int64_t now, bool failure, const char *what,
                   struct breaker_transition out[2]);

/* Opens within the oscillation window ending at now. */
int32_t breaker_opens_in_window(const struct breaker *b, int64_t now);

#endif
