/*
 * metrics_cap.c: the busiest-N label values (see metrics_cap.h). Linear
 * scans over at most METRICS_CAP_TRACK candidates: one scan per gateway
 * request, cheaper than the request's decoding.
 */
#include "data/metrics_cap.h"

#include <string.h>

void metrics_cap_init(struct metrics_cap *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	c->max = max > METRICS_CAP_MAX ? METRICS_CAP_MAX : max;
	c->halve_every = METRICS_CAP_HALVE_EVERY;
}

static void copy_value(char *dst, const char *src)
{
	size_t n = strnlen(src, METRICS_CAP_VALUE_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The candidate holding `value` (compared as stored: cut to size), or -1. */
static long find(const struct metrics_cap *c, const char *value)
{
	size_t n = strnlen(value, METRICS_CAP_VALUE_MAX - 1);
	for (size_t i = 0; i < c->n; i++)
		if (strncmp(c->e[i].value, value, n) == 0 && c->e[i].value[n] == '\0')
			return (long)i;
	return -1;
}

/* The least used candidate with (slot) or without (!slot) a slot; -1 if none. */
static long least_used(const struct metrics_cap *c, bool slot)
{
	long best = -1;
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].slot == slot && (best < 0 || c->e[i].count < c->e[best].count))
			best = (long)i;
	return best;
}

const char *metrics_cap_use(struct metrics_cap *c, const char *value, char *evicted)
{
	if (!value)
		value = "";
	evicted[0] = '\0';
	long i = find(c, value);
	if (i < 0) {
		if (c->n < METRICS_CAP_TRACK) {
			i = (long)c->n++;
			c->e[i].count = 0;
		} else {
			/* Space-Saving: the newcomer takes the place and the count of the
			 * least used candidate without a slot (there are at least
			 * TRACK - MAX of them) */
			i = least_used(c, false);
		}
		copy_value(c->e[i].value, value);
		c->e[i].slot = false;
	}
	if (c->halve_every && ++c->uses >= c->halve_every) {
		c->uses = 0;
		for (size_t k = 0; k < c->n; k++)
			c->e[k].count /= 2;
	}
	struct metrics_cap_entry *e = &c->e[i];
	e->count++;
	if (!e->slot && c->n_slots < c->max) {
		e->slot = true;
		c->n_slots++;
	} else if (!e->slot && c->max > 0) {
		long k = least_used(c, true);
		if (k >= 0 && e->count > c->e[k].count + c->e[k].count / 4) {
			c->e[k].slot = false;
			copy_value(evicted, c->e[k].value);
			e->slot = true;
		}
	}
	return e->slot ? e->value : METRICS_CAP_OTHER;
}

bool metrics_cap_has(const struct metrics_cap *c, const char *value)
{
	long i = find(c, value ? value : "");
	return i >= 0 && c->e[i].slot;
}
