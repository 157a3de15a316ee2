/*
 * pipeline_entity.c: the pipeline's entity table (see pipeline_internal.h):
 * one entity per provider and one per provider/model, created on first
 * sight (the only allocation outside the steady state) into an open-
 * addressing hash of HASH_SLOTS; and the read API over it (health views).
 */
#include "core/pipeline.h"

#include "core/pipeline_internal.h"
#include "core/price.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct pipeline_provider *configured(const struct pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->n_providers; i++) {
		if (strcmp(p->providers[i].name, name) == 0)
			return &p->providers[i];
	}
	return NULL;
}

bool pipeline_model_matches(const char *cfg, const char *model)
{
	return price_model_matches(cfg, model);
}

/* The configured model that `model` is priced and breakered as (core/price's
 * lookup rule), or NULL. */
static const struct pipeline_model *configured_model(const struct pipeline_provider *cp,
                                                     const char *model)
{
	if (!cp)
		return NULL;
	return price_find(model, cp->models, cp->n_models, sizeof(cp->models[0]),
	                  offsetof(struct pipeline_model, name));
}

int pipeline__reserve_transitions(struct pipeline *p, size_t need)
{
	return vg_grow((void **)&p->transitions, &p->cap_transitions, need, sizeof(*p->transitions),
	               16);
}

struct entity *pipeline__entity_get(struct pipeline *p, const char *provider, const char *model,
                                    int32_t parent, int64_t now)
{
	uint32_t h = pipeline__entity_hash(provider, model);
	struct entity *e = pipeline__find(p, provider, model, h);
	if (e || p->n_ents >= PIPELINE_MAX_ENTITIES)
		return e;
	if (pipeline__reserve_transitions(p, 2 * (p->n_ents + 1) + 8) != 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	model_copy_str(e->provider, sizeof(e->provider), provider, (size_t)-1);
	model_copy_str(e->model, sizeof(e->model), model, (size_t)-1);
	e->hash = h;
	e->parent = parent;
	const struct pipeline_provider *cp = configured(p, provider);
	e->configured = cp != NULL;
	e->fallback = cp && cp->fallback;
	if (model[0]) {
		e->cfg_model = configured_model(cp, model);
		e->has_breaker = e->cfg_model && e->cfg_model->breaker;
	} else {
		e->has_breaker = true;
	}
	if (e->has_breaker)
		breaker_init(&e->breaker, &p->settings.breaker, now);
	swin_init(&e->win, p->settings.soft_window_ms, SL__COUNT);
	e->failover_ok_ms = VG_NONE;
	e->failover_fail_ms = VG_NONE;
	e->headroom_warned_ms = VG_NONE;
	e->sel_reason = SEL__COUNT;
	e->sel_attempt = -1;
	health_init(&e->health, p->settings.health_half_life_ms);
	for (size_t c = 0; c < COUNT(e->esc); c++)
		e->esc[c].since_ms = e->esc[c].last_ms = VG_NONE;
	e->first_seen_ms = e->last_seen_ms = now;
	uint32_t i = h & (HASH_SLOTS - 1);
	while (p->hash[i])
		i = (i + 1) & (HASH_SLOTS - 1);
	e->index = (int32_t)p->n_ents;
	p->ents[p->n_ents++] = e;
	p->hash[i] = (int32_t)p->n_ents;
	return e;
}

/* ---- read API ---------------------------------------------------------------- */

size_t pipeline_health_count(const struct pipeline *p)
{
	return p->n_ents;
}

int pipeline_health_find(const struct pipeline *p, const char *provider, const char *model)
{
	if (!provider)
		return VG_EINVAL;
	if (!model)
		model = "";
	const struct entity *e =
	        pipeline__find(p, provider, model, pipeline__entity_hash(provider, model));
	return e ? e->index : VG_ENOTFOUND;
}

int pipeline_health_view(const struct pipeline *p, size_t index, int64_t now,
                         struct health_view *out)
{
	memset(out, 0, sizeof(*out));
	if (index >= p->n_ents)
		return VG_ENOTFOUND;
	const struct entity *e = p->ents[index];
	if (vg_has(p->now) && now < p->now)
		now = p->now;
	model_copy_str(out->provider, sizeof(out->provider), e->provider, (size_t)-1);
	model_copy_str(out->model, sizeof(out->model), e->model, (size_t)-1);
	out->configured = e->configured;
	out->fallback = e->fallback;
	out->parent = e->parent;
	health_read(&e->health, now, &out->health);
	const struct entity *prov = e->parent >= 0 ? p->ents[e->parent] : e;
	out->window_requests = swin_peek(&prov->win, now, SL_TOTAL);
	out->has_breaker = e->has_breaker;
	out->breaker = BRK_CLOSED;
	out->breaker_since_ms = VG_NONE;
	out->breaker_in_state_ms = VG_NONE;
	if (e->has_breaker) {
		out->breaker = e->breaker.state;
		out->breaker_since_ms = e->breaker.since_ms;
		out->breaker_in_state_ms = now - e->breaker.since_ms;
		out->breaker_opens_in_window = breaker_opens_in_window(&e->breaker, now);
		out->breaker_opens_total = e->breaker.total_opens;
	}
	out->first_seen_ms = e->first_seen_ms;
	out->last_seen_ms = e->last_seen_ms;
	return 0;
}
