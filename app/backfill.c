/*
 * backfill.c: holding back the notifications of a backfill (see
 * backfill.h). The incidents whose opening was held back are remembered
 * (at most HELD_MAX, the oldest forgotten first) so that their later
 * changes are held back too; so are their dedup keys (a hash), so that
 * the resolve of an episode's page, which a later incident of the episode
 * sends, is held back as well while no trigger of that key went out.
 */
#include "app/backfill.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdlib.h>
#include <string.h>

#define HELD_MAX 4096

struct backfill {
	int64_t quiet_ms;
	int64_t held;
	int64_t *ids;   /* incidents opened in the past, oldest first */
	uint64_t *keys; /* their dedup keys' hashes (0: unknown, or paged since) */
	size_t n_ids, cap_ids, cap_keys;
	struct notification *keep; /* the notifications that go out */
	size_t cap_keep;
};

int backfill_new(struct backfill **out, int64_t quiet_ms)
{
	struct backfill *bf = calloc(1, sizeof(*bf));
	if (!bf)
		return VG_ENOMEM;
	bf->quiet_ms = quiet_ms;
	*out = bf;
	return 0;
}

void backfill_free(struct backfill *bf)
{
	if (!bf)
		return;
	free(bf->ids);
	free(bf->keys);
	free(bf->keep);
	free(bf);
}

int64_t backfill_held(const struct backfill *bf)
{
	return bf ? bf->held : 0;
}

/* FNV-1a of a dedup key; never 0 (0 marks no key). */
static uint64_t key_hash(const char *key)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (const unsigned char *c = (const unsigned char *)key; *c; c++)
		h = (h ^ *c) * UINT64_C(1099511628211);
	return h ? h : 1;
}

static bool is_past(const struct backfill *bf, int64_t id)
{
	for (size_t i = 0; i < bf->n_ids; i++) {
		if (bf->ids[i] == id)
			return true;
	}
	return false;
}

static bool key_held(const struct backfill *bf, uint64_t key)
{
	for (size_t i = 0; key && i < bf->n_ids; i++) {
		if (bf->keys[i] == key)
			return true;
	}
	return false;
}

/* A trigger of key went out: its later notifications go out too. */
static void key_paged(struct backfill *bf, uint64_t key)
{
	for (size_t i = 0; i < bf->n_ids; i++) {
		if (bf->keys[i] == key)
			bf->keys[i] = 0;
	}
}

static void remember(struct backfill *bf, int64_t id, uint64_t key)
{
	if (is_past(bf, id))
		return;
	if (bf->n_ids == HELD_MAX) {
		memmove(bf->ids, bf->ids + 1, (bf->n_ids - 1) * sizeof(*bf->ids));
		memmove(bf->keys, bf->keys + 1, (bf->n_ids - 1) * sizeof(*bf->keys));
		bf->n_ids--;
	}
	if (vg_grow((void **)&bf->ids, &bf->cap_ids, bf->n_ids + 1, sizeof(*bf->ids), 64) != 0 ||
	    vg_grow((void **)&bf->keys, &bf->cap_keys, bf->n_ids + 1, sizeof(*bf->keys), 64) != 0)
		return; /* out of memory: its later changes may notify */
	bf->keys[bf->n_ids] = key;
	bf->ids[bf->n_ids++] = id;
}

void backfill_restored(struct backfill *bf, const struct store_answer *a, int64_t wall_ms)
{
	if (!bf)
		return;
	for (size_t i = 0; i < a->n_unnotified; i++) {
		for (size_t k = 0; k < a->n_incidents; k++) {
			const struct store_incident *inc = &a->incidents[k];
			if (inc->id == a->unnotified[i] && inc->last_ms < wall_ms - bf->quiet_ms)
				remember(bf, inc->id, 0);
		}
	}
}

/* Is n held back? */
static bool hold(struct backfill *bf, const struct notification *n, int64_t event_ms,
                 int64_t wall_ms)
{
	int64_t cut = wall_ms - bf->quiet_ms;
	uint64_t key = key_hash(n->dedup_key);
	bool opens = n->op == NOTIFY_TRIGGER || n->op == NOTIFY_TICKET;
	if (is_past(bf, n->incident_id) || (!opens && key_held(bf, key)))
		return true;
	if ((event_ms != VG_NONE && event_ms < cut) || (opens && n->time_ms < cut)) {
		if (opens || n->op == NOTIFY_CHANGE)
			remember(bf, n->incident_id, key);
		return true;
	}
	if (n->op == NOTIFY_TRIGGER)
		key_paged(bf, key);
	return false;
}

size_t backfill_filter(struct backfill *bf, const struct effects *fx, int64_t event_ms,
                       int64_t wall_ms, struct effects *out)
{
	*out = *fx;
	if (!bf || fx->n_notifications == 0)
		return 0;
	size_t first = 0;
	while (first < fx->n_notifications &&
	       !hold(bf, &fx->notifications[first], event_ms, wall_ms))
		first++;
	if (first == fx->n_notifications)
		return 0; /* all go out: fx's own array */
	if (vg_grow((void **)&bf->keep, &bf->cap_keep, fx->n_notifications, sizeof(*bf->keep),
	            16) != 0) {
		/* out of memory: hold back the whole call rather than page from the past */
		out->n_notifications = 0;
		bf->held += (int64_t)fx->n_notifications;
		return fx->n_notifications;
	}
	size_t n = 0;
	memcpy(bf->keep, fx->notifications, first * sizeof(*bf->keep));
	n = first;
	for (size_t i = first + 1; i < fx->n_notifications; i++) {
		if (!hold(bf, &fx->notifications[i], event_ms, wall_ms))
			bf->keep[n++] = fx->notifications[i];
	}
	out->notifications = bf->keep;
	out->n_notifications = n;
	size_t held = fx->n_notifications - n;
	bf->held += (int64_t)held;
	return held;
}
