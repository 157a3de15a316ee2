/*
 * baseline_set.c: the baseline series of a deployment, by key (see
 * baseline.h). A strmap finds a series by its key (provider, NUL, alias,
 * NUL, source); an array keeps creation order for iteration. The map owns
 * the series.
 */
#include "core/baseline.h"

#include "core/strmap.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdlib.h>
#include <string.h>

struct baseline_set {
	struct strmap *map;
	struct baseline_series **all;
	size_t n, cap, max;
};

static void free_series(void *p)
{
	baseline_series_free(p);
}

struct baseline_set *baseline_set_new(size_t max_series)
{
	struct baseline_set *set = calloc(1, sizeof(*set));
	if (!set)
		return NULL;
	set->max = max_series ? max_series : 1;
	set->map = strmap_new(set->max, free_series);
	if (!set->map) {
		free(set);
		return NULL;
	}
	return set;
}

void baseline_set_free(struct baseline_set *set)
{
	if (!set)
		return;
	strmap_free(set->map);
	free(set->all);
	free(set);
}

static size_t key_of(const struct rollup_series *k, char *buf, size_t size)
{
	size_t a = strnlen(k->provider, sizeof(k->provider));
	size_t b = strnlen(k->alias, sizeof(k->alias));
	if (a + b + 3 > size)
		return 0;
	memcpy(buf, k->provider, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, k->alias, b);
	buf[a + 1 + b] = '\0';
	buf[a + 2 + b] = k->source == OBS_PROBE ? 'p' : 'g';
	return a + b + 3;
}

struct baseline_series *baseline_set_get(struct baseline_set *set, const struct rollup_series *key,
                                         bool create)
{
	char buf[VG_NAME_MAX + VG_MODEL_MAX + 4];
	size_t len = key_of(key, buf, sizeof(buf));
	if (!len)
		return NULL;
	struct baseline_series *bs = strmap_get(set->map, buf, len);
	if (bs || !create || set->n >= set->max)
		return bs;
	if (vg_grow((void **)&set->all, &set->cap, set->n + 1, sizeof(*set->all), 16) != 0)
		return NULL;
	bs = baseline_series_new(key);
	if (!bs)
		return NULL;
	if (strmap_put(set->map, buf, len, bs) != 0) {
		baseline_series_free(bs);
		return NULL;
	}
	set->all[set->n++] = bs;
	return bs;
}

size_t baseline_set_count(const struct baseline_set *set)
{
	return set->n;
}

struct baseline_series *baseline_set_at(const struct baseline_set *set, size_t i)
{
	return i < set->n ? set->all[i] : NULL;
}

int baseline_set_feed(struct baseline_set *set, const struct baseline_ctx *c,
                      const struct observation *obs, const struct semantic_verdicts *v, int64_t now,
                      struct baseline_set_out *out)
{
	struct rollup_sample s;
	rollup_sample_of(obs, v, &s);
	int rc = 0;
	for (int i = 0; i < 2; i++) {
		struct baseline_out *o = &out->series[i];
		o->closed = 0;
		o->minute = o->hour = NULL;
		o->n_verdicts = 0;
		struct rollup_series key;
		rollup_series_of(obs, i == 1, &key);
		struct baseline_series *bs = baseline_set_get(set, &key, true);
		if (!bs) {
			rc = set->n >= set->max ? VG_EFULL : VG_ENOMEM;
			continue;
		}
		baseline_series_feed(bs, c, &s, i == 1, now, o);
	}
	return rc;
}
