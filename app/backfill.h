/*
 * backfill.h: notifications are for the present. What the pipeline decides
 * from an event older than the wall clock minus the quiet period (a day's
 * file given to `vigil ingest`, a daemon following an older file, a fresh
 * database given an old file) is stored and classified and makes history
 * (incidents that open and resolve in the past), but never notifies: by
 * the time it is read, such an incident would have resolved on its own.
 * Neither do the later changes of an incident whose opening was held back
 * that way (its auto-resolve at the next tick, an escalation).
 *
 * Ticks and operator actions (no event time): a trigger or ticket whose
 * change is that old is held back the same way; their other notifications
 * (a resolve, an acknowledgement) go out, so an incident paged before a
 * restart is still resolved after it. An incident a restart restores is
 * held back when it never notified and is that old (backfill_restored()).
 *
 * The app layer owns this (the wall clock comes from net/clock there); core
 * stays pure. Loop thread only.
 */
#ifndef VIGIL_APP_BACKFILL_H
#define VIGIL_APP_BACKFILL_H

#include "core/pipeline.h"
#include "data/store.h"

#include <stddef.h>
#include <stdint.h>

struct backfill;

/* A filter holding back notifications older than quiet_ms. Returns 0 and
 * *out, or VG_ENOMEM. Free with backfill_free(). */
int backfill_new(struct backfill **out, int64_t quiet_ms);

/* NULL does nothing. */
void backfill_free(struct backfill *bf);

/*
 * *out is *fx without the notifications held back. event_ms: the time of
 * the event that made fx (VG_NONE for a tick or an operator action); wall_ms:
 * the wall clock. out's notifications are fx's or a copy in bf (borrowed:
 * valid until the next call on bf or on the pipeline). Returns how many were
 * held back. With bf NULL, *out is *fx.
 */
size_t backfill_filter(struct backfill *bf, const struct effects *fx, int64_t event_ms,
                       int64_t wall_ms, struct effects *out);

/*
 * The open incidents a restart restores (a STORE_Q_INCIDENTS_OPEN answer):
 * one never notified whose last event is older than the quiet period was
 * opened by a backfill; its auto-resolve at the first tick is held back
 * too. One that was notified keeps notifying (its resolve goes out).
 */
void backfill_restored(struct backfill *bf, const struct store_answer *a, int64_t wall_ms);

/* How many notifications were held back so far. */
int64_t backfill_held(const struct backfill *bf);

#endif
