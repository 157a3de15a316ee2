/*
 * price.c: model lookup and the cost formula (see price.h).
 */
#include "core/price.h"

#include "core/model.h"

#include <string.h>

bool price_model_matches(const char *configured, const char *model)
{
	size_t n = strlen(configured);
	if (n == 0 || strncmp(configured, model, n) != 0)
		return false;
	return model[n] == '\0' || (model[n] == '-' && model[n + 1] >= '0' && model[n + 1] <= '9');
}

const void *price_find(const char *model, const void *table, size_t n, size_t size,
                       size_t name_offset)
{
	const char *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *entry = (const char *)table + i * size;
		const char *name = entry + name_offset;
		if (!price_model_matches(name, model))
			continue;
		size_t len = strlen(name);
		if (!best || len > best_len) {
			best = entry;
			best_len = len;
		}
	}
	return best;
}

double price_cost(double in_per_1k, double out_per_1k, int64_t in_tokens, int64_t out_tokens)
{
	if (in_per_1k <= 0 || !vg_has(in_tokens) || in_tokens < 0)
		return VG_NONE_D;
	double c = (double)in_tokens / 1000.0 * in_per_1k;
	if (vg_has(out_tokens) && out_tokens > 0 && out_per_1k > 0)
		c += (double)out_tokens / 1000.0 * out_per_1k;
	return c;
}
