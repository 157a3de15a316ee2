/*
 * metrics_cap.h: which values of one label (a model name) keep a series of
 * their own on /metrics. A gateway may send any number of model names; a
 * dashboard's series must stay bounded. The busiest `max` values keep their
 * name and every other value is reported as METRICS_CAP_OTHER ("other").
 *
 * Busiest means most uses counted here (one use per gateway request), with
 * the past fading: every `halve_every` uses (METRICS_CAP_HALVE_EVERY by
 * default) every count is halved, so a model that stopped being used loses
 * its place to one in use now. The counts live in a fixed table of METRICS_CAP_TRACK
 * candidates kept by the Space-Saving rule (Metwally, Agrawal, El Abbadi,
 * 2005): a value not in a full table replaces the least used candidate that
 * holds no slot and inherits its count, so a value used more than
 * total/METRICS_CAP_TRACK times is always in the table (its count may be
 * over by what it inherited).
 *
 * Slots: a value takes a free slot at its first use. Once all `max` are
 * held, it takes the slot of the least used holder when its own count is
 * greater by more than a quarter (so two names of about the same traffic do
 * not trade the slot back and forth); the holder is "evicted" and the caller folds that
 * value's series into "other" (metrics_fold()), so sums over the label stay
 * whole and counters never go down. Ties go to the earlier candidate, so the
 * same uses always give the same slots.
 *
 * A value type the caller embeds (no heap, no _done); not thread-safe (the
 * loop thread owns /metrics).
 */
#ifndef VIGIL_DATA_METRICS_CAP_H
#define VIGIL_DATA_METRICS_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_CAP_TRACK       128 /* candidates counted */
#define METRICS_CAP_MAX         64  /* the most slots a cap may have */
#define METRICS_CAP_VALUE_MAX   96  /* bytes of a value, NUL included (VG_MODEL_MAX) */
#define METRICS_CAP_OTHER       "other"
#define METRICS_CAP_HALVE_EVERY 65536 /* uses between two halvings of the counts */

struct metrics_cap_entry {
	char value[METRICS_CAP_VALUE_MAX];
	uint64_t count;
	bool slot;
};

struct metrics_cap {
	size_t max;           /* slots */
	size_t n;             /* candidates in e[] */
	size_t n_slots;       /* candidates holding a slot */
	uint64_t uses;        /* since the last halving */
	uint64_t halve_every; /* METRICS_CAP_HALVE_EVERY; 0 never */
	struct metrics_cap_entry e[METRICS_CAP_TRACK];
};

/* Empty the cap and give it `max` slots (clamped to METRICS_CAP_MAX; 0 puts
 * every value in "other"). */
void metrics_cap_init(struct metrics_cap *c, size_t max);

/*
 * Count one use of `value` (NULL counts as ""; longer values are cut to
 * METRICS_CAP_VALUE_MAX - 1 bytes) and return the label value to report:
 * the value itself while it holds a slot, else METRICS_CAP_OTHER. Borrowed
 * until the next call. When this use took the slot of another value, that
 * value is copied into `evicted` (METRICS_CAP_VALUE_MAX bytes); else
 * evicted[0] is '\0'.
 */
const char *metrics_cap_use(struct metrics_cap *c, const char *value, char *evicted);

/* Whether `value` holds a slot now. */
bool metrics_cap_has(const struct metrics_cap *c, const char *value);

#endif
