/*
 * pipeline.c: the decision pipeline (see pipeline.h). One call runs these
 * stages in order; each is a static function below, so a later module adds a
 * stage by adding a call in pipeline_feed():
 *
 *   1. admit       check the observation, move the time high-water mark
 *   2. semantic    inline semantic checks (core/semantic) fill the still
 *                  unset verdicts of a copy; text work over the inline
 *                  budget is deferred to the sidecar (effects say so) and
 *                  comes back through pipeline_feed_text()
 *   3. classify    the taxonomy tree -> signals
 *   4. state       entities (provider, provider/model), sliding windows,
 *                  failover evidence, breakers, health windows
 *   5. events      hard signals at once, soft ones after the window test;
 *                  severity from the snapshot; escalation bookkeeping
 *   6. incidents   (issue 8 plugs in here)
 *
 * State lives in entities: one per provider (soft windows, breaker, health,
 * escalation) and one per provider/model (health, and a breaker where the
 * config asks). Entities are created on first sight (the only allocation,
 * outside the steady state) up to PIPELINE_MAX_ENTITIES; beyond that an
 * observation is still classified, but its state is not kept.
 */
#include "core/pipeline.h"

#include "core/breaker.h"
#include "core/health.h"
#include "core/price.h"
#include "core/semantic.h"
#include "core/severity.h"
#include "core/strmap.h"
#include "core/swin.h"
#include "core/taxonomy.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a)   (sizeof(a) / sizeof((a)[0]))

#define HASH_SLOTS 1024 /* power of two, > 2 * PIPELINE_MAX_ENTITIES */
_Static_assert(HASH_SLOTS >= 2 * PIPELINE_MAX_ENTITIES, "hash table load");

/* Counters of the provider's sliding window (struct swin slots). */
enum {
	SL_TOTAL,
	SL_HARD,     /* requests with a hard provider failure */
	SL_PROVIDER, /* requests with any provider failure, hard or soft */
	SL_QUALITY,  /* requests with a failure of each other category */
	SL_COST,
	SL_SECURITY,
	SL_DATA,
	SL_RATE_LIMIT, /* soft provider subtypes, one slot each */
	SL_LATENCY,
	SL_TRUNCATION,
	SL_CONTENT_FILTER,
	SL_INVALID,
	SL_OTHER,
	SL__COUNT
};
_Static_assert(SL__COUNT <= SWIN_SLOTS, "window slots");

/* Sustained-MEDIUM bookkeeping of one provider and category. */
struct escalation {
	int64_t since_ms; /* first MEDIUM of the current stream, VG_NONE when none */
	int64_t last_ms;  /* latest MEDIUM */
};

struct entity {
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX]; /* "" for the provider-wide entity */
	uint32_t hash;
	int32_t index;  /* position in the pipeline's table (creation order) */
	int32_t parent; /* index of the provider entity, -1 for a provider */
	bool configured;
	bool fallback;
	const struct pipeline_model *cfg_model; /* configured model it matches, or NULL */
	bool has_breaker;
	struct breaker breaker;
	struct swin win;            /* provider entities only */
	int64_t failover_ok_ms;     /* a successful fallback request after this one failed */
	int64_t failover_fail_ms;   /* a failed one */
	int64_t headroom_warned_ms; /* last rate-limit early warning, VG_NONE */
	struct health health;
	struct escalation esc[CAT_TAXONOMY_COUNT];
	int64_t first_seen_ms, last_seen_ms;
};

struct pipeline {
	struct core_settings settings;
	struct severity_table sev;
	struct pipeline_provider *providers;
	size_t n_providers;

	int64_t now; /* high-water mark, VG_NONE before the first call */
	uint64_t next_id;

	struct entity **ents;
	size_t n_ents;
	int32_t hash[HASH_SLOTS]; /* entity index + 1; 0 = empty */
	struct swin global;       /* slot 0: all requests (blast radius denominator) */

	uint64_t tax_counts[CAT__COUNT][SEV__COUNT];
	uint64_t observations;

	/* Effects of the current call. */
	struct failure_event events[PIPELINE_MAX_EVENTS];
	size_t n_events;
	struct breaker_transition *transitions;
	size_t n_transitions, cap_transitions;

	/* Stage 6: incidents and their routing. */
	struct incidents *incidents;
	struct route_sink sinks[PIPELINE_MAX_SINKS];
	size_t n_sinks;
	struct payload_options popts;
	struct route_buf routes;
	int stage6_err; /* VG_ENOMEM from stage 6 in the current call */

	/* Stage 2: the semantic checks' state (centroids, windows, baselines). */
	struct semantic *sem;
	bool sem_deferred; /* the current observation's text work was deferred */
};

/* ---- entities ------------------------------------------------------------ */

/* Eight bytes a step (a byte-wise FNV of a model name was a tenth of an
 * observation's cost); only the table's slots depend on it. */
static uint32_t entity_hash(const char *provider, const char *model)
{
	uint64_t h =
	        strmap_hash(provider, strlen(provider)) * 31 + strmap_hash(model, strlen(model));
	return (uint32_t)(h ^ (h >> 32));
}

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

static struct entity *find(const struct pipeline *p, const char *provider, const char *model,
                           uint32_t h)
{
	for (uint32_t i = h & (HASH_SLOTS - 1);; i = (i + 1) & (HASH_SLOTS - 1)) {
		int32_t v = p->hash[i];
		if (v == 0)
			return NULL;
		struct entity *e = p->ents[v - 1];
		if (e->hash == h && strcmp(e->provider, provider) == 0 &&
		    strcmp(e->model, model) == 0)
			return e;
	}
}

/* Grow the transition buffer so a tick can report every breaker at once. */
static int reserve_transitions(struct pipeline *p, size_t need)
{
	if (need <= p->cap_transitions)
		return 0;
	size_t cap = p->cap_transitions ? p->cap_transitions : 16;
	while (cap < need)
		cap *= 2;
	struct breaker_transition *t = realloc(p->transitions, cap * sizeof(*t));
	if (!t)
		return VG_ENOMEM;
	p->transitions = t;
	p->cap_transitions = cap;
	return 0;
}

/* Find or create the entity (provider, model); NULL when the table is full
 * or memory ran out (the caller carries on without state). */
static struct entity *entity_get(struct pipeline *p, const char *provider, const char *model,
                                 int32_t parent, int64_t now)
{
	uint32_t h = entity_hash(provider, model);
	struct entity *e = find(p, provider, model, h);
	if (e || p->n_ents >= PIPELINE_MAX_ENTITIES)
		return e;
	if (reserve_transitions(p, 2 * (p->n_ents + 1) + 8) != 0)
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

/* ---- life cycle ---------------------------------------------------------- */

struct pipeline *pipeline_new(const struct core_settings *settings,
                              const struct pipeline_provider *providers, size_t n_providers)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->settings = *settings;
	severity_table_init(&p->sev, settings);
	p->now = VG_NONE;
	p->next_id = 1;
	swin_init(&p->global, settings->soft_window_ms, 1);
	p->ents = calloc(PIPELINE_MAX_ENTITIES, sizeof(*p->ents));
	if (!p->ents)
		goto fail;
	if (n_providers) {
		p->providers = malloc(n_providers * sizeof(*providers));
		if (!p->providers)
			goto fail;
		memcpy(p->providers, providers, n_providers * sizeof(*providers));
		p->n_providers = n_providers;
		for (size_t i = 0; i < n_providers; i++)
			if (p->providers[i].n_models > PIPELINE_MAX_MODELS)
				p->providers[i].n_models = PIPELINE_MAX_MODELS;
	}
	if (reserve_transitions(p, 16) != 0)
		goto fail;
	struct incident_settings is;
	incident_settings_defaults(&is);
	p->incidents = incidents_new(&is, 1);
	if (!p->incidents)
		goto fail;
	payload_options_defaults(&p->popts);
	route_buf_init(&p->routes);
	struct semantic_settings ss;
	semantic_defaults(&ss);
	p->sem = semantic_new(&ss, settings, NULL);
	if (!p->sem)
		goto fail;
	return p;
fail:
	pipeline_free(p);
	return NULL;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_ents; i++)
		free(p->ents[i]);
	free(p->ents);
	free(p->providers);
	free(p->transitions);
	incidents_free(p->incidents);
	route_buf_done(&p->routes);
	semantic_free(p->sem);
	free(p);
}

int pipeline_set_semantic(struct pipeline *p, const struct semantic_settings *s,
                          const struct jschema_set *schemas)
{
	if (p->observations)
		return VG_ESTATE;
	struct semantic *sem = semantic_new(s, &p->settings, schemas);
	if (!sem)
		return VG_ENOMEM;
	semantic_free(p->sem);
	p->sem = sem;
	return 0;
}

int pipeline_update_semantic(struct pipeline *p, const struct semantic_settings *s,
                             const struct jschema_set *schemas)
{
	return semantic_reconfigure(p->sem, s, schemas);
}

struct semantic *pipeline_semantic(struct pipeline *p)
{
	return p->sem;
}

void pipeline_set_next_event_id(struct pipeline *p, uint64_t id)
{
	p->next_id = id ? id : 1;
}

int64_t pipeline_now(const struct pipeline *p)
{
	return p->now;
}

void pipeline_taxonomy_counts(const struct pipeline *p, uint64_t counts[CAT__COUNT][SEV__COUNT])
{
	memcpy(counts, p->tax_counts, sizeof(p->tax_counts));
}

/* ---- stages -------------------------------------------------------------- */

static void begin(struct pipeline *p, struct effects *out)
{
	p->n_events = 0;
	p->n_transitions = 0;
	p->stage6_err = 0;
	p->sem_deferred = false;
	incidents_begin(p->incidents);
	route_buf_clear(&p->routes);
	memset(out, 0, sizeof(*out));
}

/* Stage 6 (after the events of this call exist): incident changes, then the
 * notifications they cause. */
static void stage_incidents(struct pipeline *p, int64_t now)
{
	for (size_t i = 0; i < p->n_events; i++)
		if (incidents_add(p->incidents, &p->events[i], now) == VG_ENOMEM)
			p->stage6_err = VG_ENOMEM;
	if (incidents_tick(p->incidents, now))
		p->stage6_err = VG_ENOMEM;
}

static void finish(struct pipeline *p, struct effects *out)
{
	out->semantic_deferred = p->sem_deferred;
	size_t n;
	const struct incident_change *ch = incidents_changes(p->incidents, &n);
	for (size_t i = 0; i < n; i++)
		if (route_change(p->sinks, p->n_sinks, &ch[i], &p->popts, &p->routes))
			p->stage6_err = VG_ENOMEM;
	out->events = p->events;
	out->n_events = p->n_events;
	out->transitions = p->transitions;
	out->n_transitions = p->n_transitions;
	out->incident_changes = ch;
	out->n_incident_changes = n;
	out->notifications = p->routes.v;
	out->n_notifications = p->routes.n;
}

/* Stage 1: the time high-water mark. */
static int64_t advance(struct pipeline *p, int64_t now)
{
	if (!vg_has(p->now) || now > p->now)
		p->now = now;
	return p->now;
}

/*
 * Stage 2: inline semantic checks (core/semantic). They fill only verdicts
 * in *v that are still unset (v starts as a copy of obs->verdicts, so what
 * the gateway decided wins). Out of memory leaves verdicts unset: a check not
 * measured, never a wrong verdict.
 */
static void stage_semantic(struct pipeline *p, const struct observation *obs,
                           struct semantic_verdicts *v, int64_t now)
{
	if (semantic_inline(p->sem, obs, now, v) == 0)
		p->sem_deferred = v->deferred;
}

static int soft_slot(enum subtype sub)
{
	switch (sub) {
	case SUB_RATE_LIMIT: return SL_RATE_LIMIT;
	case SUB_LATENCY: return SL_LATENCY;
	case SUB_TRUNCATION: return SL_TRUNCATION;
	case SUB_CONTENT_FILTER: return SL_CONTENT_FILTER;
	case SUB_INVALID_REQUEST: return SL_INVALID;
	default: return SL_OTHER;
	}
}

static const int category_slot[CAT_TAXONOMY_COUNT] = {
	[CAT_PROVIDER] = SL_PROVIDER, [CAT_QUALITY] = SL_QUALITY, [CAT_COST] = SL_COST,
	[CAT_SECURITY] = SL_SECURITY, [CAT_DATA] = SL_DATA,
};

/* Stage 4a: the provider's sliding window. */
static void count_window(struct pipeline *p, struct entity *prov, const struct tax_signal *sg,
                         size_t n, int64_t now)
{
	swin_add(&p->global, now, 0, 1);
	if (!prov)
		return;
	bool seen[CAT_TAXONOMY_COUNT] = { false };
	bool hard = false;
	swin_add(&prov->win, now, SL_TOTAL, 1);
	for (size_t i = 0; i < n; i++) {
		if ((int)sg[i].category >= CAT_TAXONOMY_COUNT)
			continue;
		if (!seen[sg[i].category]) {
			seen[sg[i].category] = true;
			swin_add(&prov->win, now, category_slot[sg[i].category], 1);
		}
		if (sg[i].soft)
			swin_add(&prov->win, now, soft_slot(sg[i].subtype), 1);
		else if (sg[i].category == CAT_PROVIDER)
			hard = true;
	}
	if (hard)
		swin_add(&prov->win, now, SL_HARD, 1);
}

/* Stage 4b: evidence that failover works: a successful fallback request
 * after a failure of another provider is credited to that provider (a
 * failed one too, as evidence against). A successful retry on the failing
 * provider is not: in a wave with no healthy fallback some retries answer,
 * and the outage is still unrecoverable. */
static void note_failover(struct pipeline *p, const struct observation *obs,
                          const struct tax_signal *sg, size_t n, int64_t now)
{
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		if (sg[i].category == CAT_PROVIDER && sg[i].subtype != SUB_LATENCY)
			ok = false; /* the fallback failed too */
	}
	if (obs->selection_reason != SEL_FALLBACK || !obs->after_failure_of[0])
		return;
	if (strcmp(obs->after_failure_of, obs->pid.provider) == 0)
		return;
	struct entity *failed = entity_get(p, obs->after_failure_of, "", -1, now);
	if (failed && ok)
		failed->failover_ok_ms = now;
	else if (failed)
		failed->failover_fail_ms = now;
}

static void add_transitions(struct pipeline *p, const struct entity *e,
                            const struct breaker_transition *t, int n)
{
	for (int i = 0; i < n && p->n_transitions < p->cap_transitions; i++) {
		struct breaker_transition *d = &p->transitions[p->n_transitions++];
		*d = t[i];
		model_copy_str(d->provider, sizeof(d->provider), e->provider, (size_t)-1);
		model_copy_str(d->model, sizeof(d->model), e->model, (size_t)-1);
	}
}

static bool emit_oscillation(struct pipeline *p, const struct entity *e,
                             const struct breaker_transition *t, const struct observation *obs,
                             int64_t now);

/* Stage 4c: breakers of the provider and (where configured) the model. */
static void stage_breakers(struct pipeline *p, struct entity *prov, struct entity *mod,
                           const struct observation *obs, const struct tax_signal *sg, size_t n,
                           int64_t now)
{
	bool failure = false;
	char what[64] = "";
	for (size_t i = 0; i < n; i++) {
		if (sg[i].category == CAT_PROVIDER && !sg[i].soft) {
			failure = true;
			if (sg[i].causal.http_status > 0)
				snprintf(what, sizeof(what), "%s %d",
				         model_subtype_name(sg[i].subtype),
				         (int)sg[i].causal.http_status);
			else
				snprintf(what, sizeof(what), "%s",
				         model_subtype_name(sg[i].subtype));
			break;
		}
	}
	struct entity *ents[2] = { prov, mod };
	for (size_t k = 0; k < 2; k++) {
		struct entity *e = ents[k];
		if (!e || !e->has_breaker)
			continue;
		struct breaker_transition t[2];
		int nt = breaker_record(&e->breaker, now, failure, failure ? what : NULL, t);
		add_transitions(p, e, t, nt);
		for (int i = 0; i < nt; i++) {
			if (t[i].oscillating)
				emit_oscillation(p, e, &t[i], obs, now);
		}
	}
}

/* Whether a configured provider other than `name` could take its traffic:
 * a fallback (any other provider when `name` is itself a fallback) whose
 * breaker is closed and whose recent availability is healthy. */
static bool healthy_fallback(const struct pipeline *p, const struct entity *failing, int64_t now)
{
	for (size_t i = 0; i < p->n_ents; i++) {
		const struct entity *e = p->ents[i];
		if (e == failing || e->model[0] || !e->configured)
			continue;
		if (!e->fallback && !(failing && failing->fallback))
			continue;
		if (e->has_breaker && e->breaker.state != BRK_CLOSED)
			continue;
		int64_t total = swin_peek(&e->win, now, SL_TOTAL);
		int64_t bad = swin_peek(&e->win, now, SL_HARD);
		if (total <= 0)
			continue; /* unknown is not healthy */
		double avail = 1.0 - (double)bad / (double)total;
		if (avail >= p->sev.settings.healthy_availability)
			return true;
	}
	return false;
}

/* A breaker that opened less than failover_grace_ms ago, with no failed
 * fallback attempt seen within the soft window: the gateway's first
 * fallback answers are on their way, so the outage is not yet judged
 * unrecoverable. */
static bool failover_pending(const struct pipeline *p, const struct entity *prov,
                             const struct entity *mod, int64_t now)
{
	int64_t grace = p->sev.settings.failover_grace_ms;
	if (grace <= 0)
		return false;
	const struct entity *e[2] = { prov, mod };
	int64_t opened = VG_NONE;
	for (int i = 0; i < 2; i++) {
		if (!e[i] || !e[i]->has_breaker || e[i]->breaker.state == BRK_CLOSED)
			continue;
		if (e[i]->breaker.state != BRK_OPEN || e[i]->breaker.since_ms > now ||
		    now - e[i]->breaker.since_ms > grace)
			return false; /* probing, or open for longer: judged as it is */
		if (!vg_has(opened) || e[i]->breaker.since_ms < opened)
			opened = e[i]->breaker.since_ms;
	}
	if (!vg_has(opened))
		return false;
	return !(vg_has(prov->failover_fail_ms) &&
	         now - prov->failover_fail_ms <= p->settings.soft_window_ms);
}

static enum breaker_state worse(enum breaker_state a, enum breaker_state b)
{
	/* open > half_open > closed */
	int ra = a == BRK_OPEN ? 2 : a == BRK_HALF_OPEN ? 1 : 0;
	int rb = b == BRK_OPEN ? 2 : b == BRK_HALF_OPEN ? 1 : 0;
	return ra >= rb ? a : b;
}

/* The system snapshot an event of category cat on (prov, mod) is judged by. */
static void snapshot(const struct pipeline *p, const struct entity *prov, const struct entity *mod,
                     enum category cat, enum traffic_class tc, int64_t now,
                     struct severity_snapshot *s)
{
	severity_snapshot_init(s, now);
	s->traffic_class = tc;
	if (!prov)
		return;
	if (prov->has_breaker)
		s->breaker = prov->breaker.state;
	if (mod && mod->has_breaker)
		s->breaker = worse(s->breaker, mod->breaker.state);
	int64_t total = swin_peek(&prov->win, now, SL_TOTAL);
	int64_t global = swin_peek(&p->global, now, 0);
	if (total > 0) {
		s->provider_availability =
		        1.0 - (double)swin_peek(&prov->win, now, SL_HARD) / (double)total;
		if ((int)cat < CAT_TAXONOMY_COUNT) {
			int64_t affected = swin_peek(&prov->win, now, category_slot[cat]);
			s->affected_rate = (double)affected / (double)total;
			s->window_count = total;
			if (global > 0)
				s->blast_radius = (double)affected / (double)global;
		}
	}
	bool recent = vg_has(prov->failover_ok_ms) &&
	              now - prov->failover_ok_ms <= p->settings.soft_window_ms;
	s->failover_working =
	        recent || healthy_fallback(p, prov, now) || failover_pending(p, prov, mod, now);
	if ((int)cat < CAT_TAXONOMY_COUNT) {
		const struct escalation *esc = &prov->esc[cat];
		if (vg_has(esc->since_ms) &&
		    now - esc->last_ms <= p->sev.settings.escalation_gap_ms)
			s->medium_since_ms = esc->since_ms;
	}
}

/* Keep the sustained-MEDIUM stream of (provider, category) up to date. */
static void note_escalation(const struct pipeline *p, struct entity *prov, enum category cat,
                            const struct severity_why *why, enum severity sev, int64_t now)
{
	if (!prov || (int)cat >= CAT_TAXONOMY_COUNT)
		return;
	struct escalation *esc = &prov->esc[cat];
	bool medium = sev == SEV_MEDIUM || why->escalated;
	if (!medium)
		return;
	if (!vg_has(esc->since_ms) || now - esc->last_ms > p->sev.settings.escalation_gap_ms)
		esc->since_ms = now;
	esc->last_ms = now;
}

/* Append one event; returns it, or NULL when the buffer is full or the
 * event is invalid. */
static struct failure_event *push_event(struct pipeline *p, enum subtype sub,
                                        const struct provider_id *pid, int64_t now)
{
	if (p->n_events >= PIPELINE_MAX_EVENTS)
		return NULL;
	struct failure_event *ev = &p->events[p->n_events];
	if (event_init(ev, p->next_id, now, model_subtype_category(sub), sub, SEV_LOW, pid) != 0)
		return NULL;
	p->next_id++;
	p->n_events++;
	return ev;
}

/* Classify the severity of a freshly pushed event and count it. */
static void judge(struct pipeline *p, struct failure_event *ev, struct entity *prov,
                  struct entity *mod, bool early_warning, int64_t now)
{
	struct severity_snapshot snap;
	struct severity_why why;
	snapshot(p, prov, mod, ev->category, ev->traffic_class, now, &snap);
	snap.early_warning = early_warning;
	/* Latency may have fired on the newest part of the window (soft_passes):
	 * its share there is the share affected now, not the lagging whole's. */
	if (ev->subtype == SUB_LATENCY && vg_has_d(ev->causal.error_rate) &&
	    (!vg_has_d(snap.affected_rate) || ev->causal.error_rate > snap.affected_rate)) {
		snap.affected_rate = ev->causal.error_rate;
		snap.window_count = ev->causal.window_count;
	}
	ev->severity = severity_classify(ev, &snap, &p->sev, &why);
	note_escalation(p, prov, ev->category, &why, ev->severity, now);
	if (!vg_has_d(ev->causal.error_rate) && vg_has_d(snap.affected_rate)) {
		ev->causal.error_rate = snap.affected_rate;
		ev->causal.window_count = snap.window_count;
	}
	if (why.escalated && !ev->causal.detail[0])
		snprintf(ev->causal.detail, sizeof(ev->causal.detail),
		         "escalated: medium sustained for %lld ms",
		         (long long)(now - snap.medium_since_ms));
	p->tax_counts[ev->category][ev->severity]++;
}

static bool emit_oscillation(struct pipeline *p, const struct entity *e,
                             const struct breaker_transition *t, const struct observation *obs,
                             int64_t now)
{
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	if (obs)
		pid = obs->pid;
	model_copy_str(pid.provider, sizeof(pid.provider), e->provider, (size_t)-1);
	model_copy_str(pid.model, sizeof(pid.model), e->model, (size_t)-1);
	struct failure_event *ev = push_event(p, SUB_OSCILLATION, &pid, now);
	if (!ev)
		return false;
	ev->causal.value = t->opens_in_window;
	ev->causal.threshold = p->settings.breaker.oscillation_opens;
	snprintf(ev->causal.detail, sizeof(ev->causal.detail), "%d breaker opens within %lld ms",
	         (int)t->opens_in_window, (long long)p->settings.breaker.oscillation_window_ms);
	ev->retryable = VG_TRI_TRUE;
	if (obs) {
		ev->traffic_class = obs->traffic_class;
		model_copy_str(ev->request_id, sizeof(ev->request_id), obs->request_id, (size_t)-1);
	}
	struct entity *prov = e->parent >= 0 ? p->ents[e->parent] : (struct entity *)e;
	judge(p, ev, prov, e->parent >= 0 ? (struct entity *)e : NULL, false, now);
	return true;
}

static enum health_err health_err_of(enum subtype sub)
{
	switch (sub) {
	case SUB_RATE_LIMIT: return HE_RATE_LIMIT;
	case SUB_SERVER_ERROR:
	case SUB_OVERLOADED: return HE_SERVER_ERROR;
	case SUB_TIMEOUT: return HE_TIMEOUT;
	case SUB_CONTENT_FILTER: return HE_CONTENT_FILTER;
	case SUB_DNS:
	case SUB_CONNECT:
	case SUB_TLS:
	case SUB_RESET: return HE_TRANSPORT;
	case SUB_AUTH:
	case SUB_QUOTA_EXHAUSTED:
	case SUB_SPEND_CAP: return HE_ACCOUNT;
	case SUB_INVALID_REQUEST: return HE_CLIENT;
	default: return HE_OTHER;
	}
}

/* min(remaining / limit) over request and token limits; NaN when none. */
static double headroom_of(const struct norm_signals *n)
{
	double h = VG_NONE_D;
	const struct ratelimit *rl[2] = { &n->rl_requests, &n->rl_tokens };
	for (size_t i = 0; i < 2; i++) {
		if (vg_has(rl[i]->limit) && vg_has(rl[i]->remaining) && rl[i]->limit > 0 &&
		    rl[i]->remaining >= 0) {
			double v = (double)rl[i]->remaining / (double)rl[i]->limit;
			if (isnan(h) || v < h)
				h = v;
		}
	}
	return h;
}

static double expected_cost(const struct entity *mod, const struct observation *obs)
{
	const struct pipeline_model *m = mod ? mod->cfg_model : NULL;
	if (!m)
		return VG_NONE_D;
	return price_cost(m->price_in_per_1k, m->price_out_per_1k, observation_input_tokens(obs),
	                  observation_output_tokens(obs));
}

/* Similarity stability of one response (enum vg_tri): unstable when the
 * regression or coherence check flagged it, stable when one of them or a
 * similarity was measured without a flag. */
static int8_t unstable_of(const struct semantic_verdicts *v)
{
	if (v->regression == VG_TRI_TRUE || v->coherence == VG_TRI_TRUE)
		return VG_TRI_TRUE;
	if (v->regression == VG_TRI_FALSE || v->coherence == VG_TRI_FALSE ||
	    vg_has_d(v->similarity))
		return VG_TRI_FALSE;
	return VG_TRI_UNSET;
}

/* Stage 4d: health windows of the provider and the model. */
static void stage_health(struct entity *prov, struct entity *mod, const struct observation *obs,
                         const struct semantic_verdicts *v, const struct tax_signal *sg, size_t n,
                         double headroom, int64_t now)
{
	if (!prov)
		return;
	struct health_sample hs;
	memset(&hs, 0, sizeof(hs));
	hs.err = -1;
	for (size_t i = 0; i < n; i++) {
		if (sg[i].category == CAT_PROVIDER && sg[i].subtype != SUB_LATENCY &&
		    sg[i].subtype != SUB_TRUNCATION) {
			hs.error = true;
			hs.err = (int)health_err_of(sg[i].subtype);
			break;
		}
	}
	int st = obs->http_status;
	if (obs->transport_error != TE_NONE)
		hs.status = HS_NONE;
	else if (st >= 200 && st < 300)
		hs.status = HS_2XX;
	else if (st == 429)
		hs.status = HS_429;
	else if (st >= 400 && st < 500)
		hs.status = HS_4XX;
	else if (st >= 500)
		hs.status = HS_5XX;
	else
		hs.status = hs.error ? HS_NONE : HS_2XX;
	hs.latency_ms = obs->transport_error == TE_NONE ? obs->total_ms : VG_NONE_D;
	hs.ttfb_ms = obs->ttfb_ms;
	hs.input_tokens = observation_input_tokens(obs);
	hs.output_tokens = observation_output_tokens(obs);
	hs.schema_valid = v->schema_valid;
	hs.hallucination = v->hallucination;
	hs.unstable = unstable_of(v);
	hs.cost_usd = obs->cost_usd;
	hs.expected_cost_usd = expected_cost(mod, obs);
	hs.headroom = headroom;
	health_record2(&prov->health, mod ? &mod->health : NULL, &hs, now);
}

/* The sliding-window test of a soft signal: enough samples, rate over the bar.
 * Latency compares the configured percentile with the threshold: pX > T
 * exactly when more than (100 - X)% of the requests are slower than T. */
static bool soft_passes(const struct pipeline *p, struct entity *prov, const struct tax_signal *sg,
                        int64_t now, double *rate, int64_t *count)
{
	if (!prov)
		return false;
	int64_t total = swin_peek(&prov->win, now, SL_TOTAL);
	int64_t k = swin_peek(&prov->win, now, soft_slot(sg->subtype));
	*count = total;
	*rate = total > 0 ? (double)k / (double)total : 0;
	if (total < p->settings.soft_min_samples)
		return false;
	if (sg->subtype == SUB_LATENCY) {
		double bar = 1.0 - p->settings.latency_percentile / 100.0;
		if (*rate > bar)
			return true;
		/* The whole window's percentile lags a ramp by about half the
		 * window; its newest part (with as many samples) crosses first. */
		int64_t rt =
		        swin_peek_recent(&prov->win, now, SL_TOTAL, p->settings.latency_recent_ms);
		int64_t rk = swin_peek_recent(&prov->win, now, SL_LATENCY,
		                              p->settings.latency_recent_ms);
		if (rt < p->settings.soft_min_samples || (double)rk <= bar * (double)rt)
			return false;
		*rate = (double)rk / (double)rt;
		*count = rt;
		return true;
	}
	return *rate >= p->settings.soft_rate;
}

/* Stage 5: failure events from the signals. */
static void stage_events(struct pipeline *p, const struct observation *obs, struct entity *prov,
                         struct entity *mod, const struct tax_signal *sg, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		double rate = VG_NONE_D;
		int64_t count = VG_NONE;
		if (sg[i].soft && !soft_passes(p, prov, &sg[i], now, &rate, &count))
			continue;
		struct failure_event *ev = push_event(p, sg[i].subtype, &obs->pid, now);
		if (!ev)
			return;
		ev->causal = sg[i].causal;
		ev->retryable = sg[i].retryable;
		ev->traffic_class = obs->traffic_class;
		model_copy_str(ev->request_id, sizeof(ev->request_id), obs->request_id, (size_t)-1);
		model_copy_str(ev->template_id, sizeof(ev->template_id), obs->template_id,
		               (size_t)-1);
		if (sg[i].soft) {
			ev->causal.error_rate = rate;
			ev->causal.window_count = count;
			if (sg[i].subtype == SUB_LATENCY) {
				ev->causal.latency_percentile = p->settings.latency_percentile;
				ev->causal.threshold = p->settings.latency_ms;
			} else {
				ev->causal.threshold = p->settings.soft_rate;
			}
		}
		judge(p, ev, prov, mod, false, now);
	}
}

/* Stage 5b: rate-limit headroom under headroom_warn and, at its trend, reaching
 * zero within the soft window, before the first 429 (none in the window): an
 * early warning (LOW), at most once per window per provider. */
static void stage_headroom(struct pipeline *p, const struct observation *obs, struct entity *prov,
                           struct entity *mod, double h, int64_t now)
{
	if (!prov || isnan(h) || h >= p->settings.headroom_warn)
		return;
	if (vg_has(prov->headroom_warned_ms) &&
	    now - prov->headroom_warned_ms < p->settings.soft_window_ms)
		return;
	if (swin_peek(&prov->win, now, SL_RATE_LIMIT) > 0)
		return; /* 429s are here already: the soft-window test speaks for them */
	struct health_numbers hn;
	health_read(&prov->health, now, &hn);
	/* Falling fast enough to reach zero within the soft window (a flat
	 * trend's rounding noise gives an eta far beyond it). */
	if (!(hn.headroom_eta_ms <= (double)p->settings.soft_window_ms))
		return;
	struct failure_event *ev = push_event(p, SUB_RATE_LIMIT, &obs->pid, now);
	if (!ev)
		return;
	prov->headroom_warned_ms = now;
	ev->traffic_class = obs->traffic_class;
	ev->retryable = VG_TRI_TRUE;
	model_copy_str(ev->request_id, sizeof(ev->request_id), obs->request_id, (size_t)-1);
	model_copy_str(ev->template_id, sizeof(ev->template_id), obs->template_id, (size_t)-1);
	const struct norm_signals *n = &obs->norm;
	const struct ratelimit *rl = vg_has(n->rl_requests.limit) ? &n->rl_requests : &n->rl_tokens;
	ev->causal.ratelimit_remaining = rl->remaining;
	ev->causal.ratelimit_limit = rl->limit;
	ev->causal.value = h;
	ev->causal.threshold = p->settings.headroom_warn;
	snprintf(ev->causal.detail, sizeof(ev->causal.detail),
	         "early warning: rate-limit headroom %.1f%%, falling %.1f%%/min, "
	         "zero in ~%.0f s",
	         h * 100.0, -hn.headroom_slope * 100.0, hn.headroom_eta_ms / 1000.0);
	judge(p, ev, prov, mod, true, now);
}

/* ---- entry points ---------------------------------------------------------- */

int pipeline_feed(struct pipeline *p, const struct observation *obs, int64_t now,
                  struct effects *out)
{
	begin(p, out);
	if (!obs || !obs->pid.provider[0] || !vg_has(obs->ts_ms) || !vg_has(now))
		return VG_EINVAL;
	now = advance(p, now);
	p->observations++;

	struct semantic_verdicts v = obs->verdicts;
	stage_semantic(p, obs, &v, now);

	struct tax_signal sg[TAXONOMY_MAX_SIGNALS];
	size_t n = taxonomy_classify(obs, &v, &p->settings, sg, COUNT(sg));

	/* The model's entity, once it exists, names its provider's: one
	 * lookup per observation instead of two. */
	struct entity *mod = NULL, *prov = NULL;
	if (obs->pid.model[0]) {
		mod = find(p, obs->pid.provider, obs->pid.model,
		           entity_hash(obs->pid.provider, obs->pid.model));
		if (mod)
			prov = p->ents[mod->parent];
	}
	if (!mod) {
		prov = entity_get(p, obs->pid.provider, "", -1, now);
		if (prov && obs->pid.model[0])
			mod = entity_get(p, obs->pid.provider, obs->pid.model, prov->index, now);
	}
	if (prov)
		prov->last_seen_ms = now;
	if (mod)
		mod->last_seen_ms = now;
	count_window(p, prov, sg, n, now);
	note_failover(p, obs, sg, n, now);
	stage_breakers(p, prov, mod, obs, sg, n, now);
	double headroom = headroom_of(&obs->norm);
	stage_health(prov, mod, obs, &v, sg, n, headroom, now);
	stage_events(p, obs, prov, mod, sg, n, now);
	stage_headroom(p, obs, prov, mod, headroom, now);
	stage_incidents(p, now);
	finish(p, out);
	return p->stage6_err;
}

int pipeline_feed_verdicts(struct pipeline *p, const struct observation *obs, int64_t now,
                           struct effects *out)
{
	begin(p, out);
	if (!obs || !obs->pid.provider[0] || !vg_has(now))
		return VG_EINVAL;
	now = advance(p, now);
	/* Only the identity and the verdicts count: a bare successful request
	 * with nothing measured, so the tree's provider branch stays silent and
	 * the cost/data branches fire only on verdicts. */
	struct observation late;
	observation_init(&late);
	late.source = obs->source;
	late.ts_ms = obs->ts_ms;
	late.pid = obs->pid;
	late.kind = obs->kind;
	late.traffic_class = obs->traffic_class;
	late.selection_reason = obs->selection_reason;
	late.http_status = 200;
	memcpy(late.request_id, obs->request_id, sizeof(late.request_id));
	memcpy(late.template_id, obs->template_id, sizeof(late.template_id));
	late.top_similarity = obs->top_similarity;
	late.verdicts = obs->verdicts;

	struct tax_signal sg[TAXONOMY_MAX_SIGNALS];
	size_t n = taxonomy_classify(&late, &late.verdicts, &p->settings, sg, COUNT(sg));
	struct entity *prov = entity_get(p, late.pid.provider, "", -1, now);
	struct entity *mod = NULL;
	if (prov && late.pid.model[0])
		mod = entity_get(p, late.pid.provider, late.pid.model, prov->index, now);
	if (prov) {
		/* The request is in the window already: count its categories only. */
		bool seen[CAT_TAXONOMY_COUNT] = { false };
		for (size_t i = 0; i < n; i++) {
			if ((int)sg[i].category < CAT_TAXONOMY_COUNT && !seen[sg[i].category]) {
				seen[sg[i].category] = true;
				swin_add(&prov->win, now, category_slot[sg[i].category], 1);
			}
		}
		int8_t unstable = unstable_of(&late.verdicts);
		health_record_quality(&prov->health, late.verdicts.schema_valid,
		                      late.verdicts.hallucination, unstable, now);
		if (mod)
			health_record_quality(&mod->health, late.verdicts.schema_valid,
			                      late.verdicts.hallucination, unstable, now);
	}
	stage_events(p, &late, prov, mod, sg, n, now);
	stage_incidents(p, now);
	finish(p, out);
	return p->stage6_err;
}

int pipeline_feed_text(struct pipeline *p, const struct observation *obs,
                       const struct semantic_text *t, int64_t now, struct effects *out)
{
	if (!obs || !obs->pid.provider[0] || !vg_has(now)) {
		begin(p, out);
		return VG_EINVAL;
	}
	struct observation late = *obs;
	semantic_verdicts_init(&late.verdicts);
	int rc = semantic_complete(p->sem, obs, t, vg_has(p->now) && p->now > now ? p->now : now,
	                           &late.verdicts);
	if (rc) {
		begin(p, out);
		return rc;
	}
	return pipeline_feed_verdicts(p, &late, now, out);
}

int pipeline_monitor(struct pipeline *p, enum subtype sub, const char *source, const char *detail,
                     double value, int64_t now, struct effects *out)
{
	begin(p, out);
	if (model_subtype_category(sub) != CAT_MONITOR || !vg_has(now))
		return VG_EINVAL;
	now = advance(p, now);
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	model_copy_str(pid.provider, sizeof(pid.provider), "vigil", (size_t)-1);
	model_copy_str(pid.model, sizeof(pid.model), source ? source : "", (size_t)-1);
	struct failure_event *ev = push_event(p, sub, &pid, now);
	if (!ev)
		return VG_EFULL;
	ev->causal.value = value;
	model_copy_str(ev->causal.detail, sizeof(ev->causal.detail), detail ? detail : "",
	               (size_t)-1);
	judge(p, ev, NULL, NULL, false, now);
	stage_incidents(p, now);
	finish(p, out);
	return p->stage6_err;
}

int pipeline_tick(struct pipeline *p, int64_t now, struct effects *out)
{
	begin(p, out);
	if (!vg_has(now))
		return VG_EINVAL;
	now = advance(p, now);
	for (size_t i = 0; i < p->n_ents; i++) {
		struct entity *e = p->ents[i];
		if (!e->has_breaker)
			continue;
		struct breaker_transition t;
		if (breaker_poll(&e->breaker, now, &t))
			add_transitions(p, e, &t, 1);
	}
	/* Escalation of a sustained MEDIUM arrives with the next event (the
	 * severity module judges it); here incidents get tickets and resolve. */
	stage_incidents(p, now);
	finish(p, out);
	return p->stage6_err;
}

/* ---- incidents: configuration, operator actions, vigil's own health ---------- */

int pipeline_set_incidents(struct pipeline *p, const struct incident_settings *s, int64_t first_id)
{
	size_t n;
	incidents_list(p->incidents, &n);
	if (n)
		return VG_ESTATE;
	struct incidents *t = incidents_new(s, first_id);
	if (!t)
		return first_id < 1 ? VG_EINVAL : VG_ENOMEM;
	incidents_free(p->incidents);
	p->incidents = t;
	return 0;
}

int pipeline_set_routes(struct pipeline *p, const struct route_sink *sinks, size_t n_sinks,
                        const struct payload_options *o)
{
	if (n_sinks > PIPELINE_MAX_SINKS)
		return VG_ERANGE;
	if (n_sinks)
		memcpy(p->sinks, sinks, n_sinks * sizeof(*sinks));
	p->n_sinks = n_sinks;
	if (o)
		p->popts = *o;
	return 0;
}

int pipeline_restore_incident(struct pipeline *p, json_t *obj, char **cause)
{
	return incidents_restore(p->incidents, obj, cause);
}

const struct incidents *pipeline_incidents(const struct pipeline *p)
{
	return p->incidents;
}

int pipeline_operator_action(struct pipeline *p, enum action_kind action, int64_t incident_id,
                             int64_t now, const char *actor, const char *note, struct effects *out)
{
	begin(p, out);
	if (!vg_has(now) || (unsigned)action >= ACTION__COUNT) {
		finish(p, out);
		return VG_EINVAL;
	}
	now = advance(p, now);
	char triage[INCIDENT_NOTE_MAX];
	int rc;
	switch (action) {
	case ACTION_ACK:
		rc = incidents_acknowledge(p->incidents, incident_id, now, actor, note);
		break;
	case ACTION_RESOLVE:
		rc = incidents_resolve(p->incidents, incident_id, now, actor, note);
		break;
	case ACTION_TRIAGE:
		/* the wizard's path stays on the incident as a note (its history) */
		snprintf(triage, sizeof(triage), "triage: %s", note ? note : "");
		rc = incidents_note(p->incidents, incident_id, now, actor, triage);
		break;
	default: rc = incidents_note(p->incidents, incident_id, now, actor, note); break;
	}
	finish(p, out);
	return rc ? rc : p->stage6_err;
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
	const struct entity *e = find(p, provider, model, entity_hash(provider, model));
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
