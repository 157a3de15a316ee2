/*
 * pipeline_scope.c: the incident scopes of quality, cost and security
 * failures (see pipeline_internal.h): one sliding window per template and
 * traffic class, counting requests and those with a failure of each
 * category, so that severity measures such a failure against its own
 * traffic (an experimental template failing every time is not isolated
 * because the provider's other traffic is healthy, and its first failure is
 * one of a few requests, not one of the provider's thousands). Created on
 * first sight up to PIPELINE_MAX_SCOPES; beyond that the provider's window
 * stands in.
 */
#include "core/pipeline_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t scope_hash(const char *template_id, int tc)
{
	uint64_t h = strmap_hash(template_id, strlen(template_id)) * 31 + (uint64_t)(tc + 2);
	return (uint32_t)(h ^ (h >> 32));
}

bool pipeline__scoped(enum category cat)
{
	return cat == CAT_QUALITY || cat == CAT_COST || cat == CAT_SECURITY;
}

struct scope *pipeline__scope_find(const struct pipeline *p, const char *template_id, int tc)
{
	uint32_t h = scope_hash(template_id, tc);
	for (uint32_t i = h & (SCOPE_SLOTS - 1);; i = (i + 1) & (SCOPE_SLOTS - 1)) {
		int32_t v = p->scope_hash[i];
		if (v == 0)
			return NULL;
		struct scope *s = p->scopes[v - 1];
		if (s->hash == h && s->traffic_class == tc &&
		    strcmp(s->template_id, template_id) == 0)
			return s;
	}
}

static struct scope *scope_get(struct pipeline *p, const char *template_id, int tc)
{
	struct scope *s = pipeline__scope_find(p, template_id, tc);
	if (s || p->n_scopes >= PIPELINE_MAX_SCOPES)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	model_copy_str(s->template_id, sizeof(s->template_id), template_id, (size_t)-1);
	s->traffic_class = tc;
	s->hash = scope_hash(template_id, tc);
	swin_init(&s->win, p->settings.soft_window_ms, SL_DATA + 1);
	uint32_t i = s->hash & (SCOPE_SLOTS - 1);
	while (p->scope_hash[i] != 0)
		i = (i + 1) & (SCOPE_SLOTS - 1);
	p->scopes[p->n_scopes++] = s;
	p->scope_hash[i] = (int32_t)p->n_scopes;
	return s;
}

void pipeline__scope_count(struct pipeline *p, const struct observation *obs,
                           const struct tax_signal *sg, size_t n, bool request, int64_t now)
{
	struct scope *s = scope_get(p, obs->template_id, (int)obs->traffic_class);
	if (!s)
		return;
	if (request)
		swin_add(&s->win, now, SL_TOTAL, 1);
	bool seen[CAT_TAXONOMY_COUNT] = { false };
	for (size_t i = 0; i < n; i++) {
		enum category c = sg[i].category;
		if ((int)c >= CAT_TAXONOMY_COUNT || !pipeline__scoped(c) || seen[c])
			continue;
		seen[c] = true;
		swin_add(&s->win, now, pipeline__category_slot(c), 1);
	}
}

void pipeline__scope_free(struct pipeline *p)
{
	for (size_t i = 0; i < p->n_scopes; i++)
		free(p->scopes[i]);
	p->n_scopes = 0;
}
