/*
 * breaker.c: the circuit breaker state machine (see breaker.h).
 */
#include "core/breaker.h"

#include <stdio.h>
#include <string.h>

void breaker_init(struct breaker *b, const struct breaker_settings *cfg, int64_t now)
{
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	if (b->cfg.consecutive_failures < 1)
		b->cfg.consecutive_failures = 1;
	if (b->cfg.min_requests < 1)
		b->cfg.min_requests = 1;
	if (b->cfg.halfopen_successes < 1)
		b->cfg.halfopen_successes = 1;
	if (b->cfg.oscillation_opens < 1)
		b->cfg.oscillation_opens = 1;
	b->state = BRK_CLOSED;
	b->since_ms = now;
	swin_init(&b->win, b->cfg.window_ms, 2);
}

int32_t breaker_opens_in_window(const struct breaker *b, int64_t now)
{
	int32_t n = 0;
	for (int32_t i = 0; i < b->n_opens; i++) {
		int64_t t =
		        b->opens[(b->opens_head - 1 - i + BREAKER_MAX_OPENS) % BREAKER_MAX_OPENS];
		if (now - t > b->cfg.oscillation_window_ms)
			break;
		n++;
	}
	return n;
}

static int move(struct breaker *b, int64_t now, enum breaker_state to,
                struct breaker_transition *out, const char *reason)
{
	memset(out, 0, sizeof(*out));
	out->time_ms = now;
	out->from = b->state;
	out->to = to;
	model_copy_str(out->reason, sizeof(out->reason), reason, (size_t)-1);
	b->state = to;
	b->since_ms = now;
	b->consecutive = 0;
	b->halfopen_ok = 0;
	/* Oscillation is recovering and failing again: only an open from closed
	 * counts. A failed half-open probe re-opening it is the same outage
	 * going on (one cycle is closed -> open -> half-open -> closed), or a
	 * steady outage would read as intermittent. */
	if (to == BRK_OPEN && out->from == BRK_CLOSED) {
		b->opens[b->opens_head] = now;
		b->opens_head = (b->opens_head + 1) % BREAKER_MAX_OPENS;
		if (b->n_opens < BREAKER_MAX_OPENS)
			b->n_opens++;
	}
	if (to == BRK_OPEN)
		b->total_opens++;
	if (to == BRK_CLOSED)
		swin_init(&b->win, b->cfg.window_ms, 2); /* a fresh window after recovery */
	out->opens_in_window = breaker_opens_in_window(b, now);
	out->oscillating = to == BRK_OPEN && out->from == BRK_CLOSED &&
	                   out->opens_in_window >= b->cfg.oscillation_opens;
	return 1;
}

int breaker_poll(struct breaker *b, int64_t now, struct breaker_transition *out)
{
	if (b->state != BRK_OPEN || now - b->since_ms < b->cfg.cooldown_ms)
		return 0;
	char reason[96];
	snprintf(reason, sizeof(reason), "cooldown of %lld ms elapsed",
	         (long long)b->cfg.cooldown_ms);
	return move(b, now, BRK_HALF_OPEN, out, reason);
}

int breaker_record(struct breaker *b, int64_t now, bool failure, const char *what,
                   struct breaker_transition out[2])
{
	int n = breaker_poll(b, now, &out[0]);
	char reason[96];
	if (!what)
		what = "hard failure";
	switch (b->state) {
	case BRK_OPEN: break;
	case BRK_HALF_OPEN:
		if (failure) {
			snprintf(reason, sizeof(reason), "%s while half-open", what);
			n += move(b, now, BRK_OPEN, &out[n], reason);
		} else if (++b->halfopen_ok >= b->cfg.halfopen_successes) {
			snprintf(reason, sizeof(reason), "%d successes while half-open",
			         b->halfopen_ok);
			n += move(b, now, BRK_CLOSED, &out[n], reason);
		}
		break;
	case BRK_CLOSED:
	default:
		swin_add(&b->win, now, 0, 1);
		if (!failure) {
			b->consecutive = 0;
			break;
		}
		swin_add(&b->win, now, 1, 1);
		b->consecutive++;
		int64_t reqs = swin_sum(&b->win, now, 0);
		int64_t fails = swin_sum(&b->win, now, 1);
		if (b->consecutive >= b->cfg.consecutive_failures) {
			snprintf(reason, sizeof(reason), "%d consecutive hard failures (%s)",
			         b->consecutive, what);
			n += move(b, now, BRK_OPEN, &out[n], reason);
		} else if (reqs >= b->cfg.min_requests &&
		           (double)fails >= b->cfg.failure_rate * (double)reqs) {
			snprintf(reason, sizeof(reason),
			         "failure rate %.0f%% over %lld ms (%lld requests; %s)",
			         100.0 * (double)fails / (double)reqs, (long long)b->cfg.window_ms,
			         (long long)reqs, what);
			n += move(b, now, BRK_OPEN, &out[n], reason);
		}
		break;
	}
	return n;
}
