/*
 * semsvc.c: the sidecar wired to the pipeline for a running vigil (see
 * semsvc.h): configuration, deferral, late results through
 * pipeline_feed_text(), the blind spot through pipeline_monitor(), the
 * queue gauges.
 */
#include "app/semsvc.h"

#include "app/schemas.h"
#include "core/semantic.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct semsvc {
	uv_loop_t *loop;
	struct pipeline *p;
	struct sidecar *sc; /* NULL when a reload could not restart it */
	struct semsvc_options opt;
	uint64_t late_events, failed;
	void (*stopped)(void *data);
	void *stopped_data;
	void (*drained)(void *data); /* semsvc_drain() waiting */
	void *drained_data;
};

/* The compiled schemas of cfg's folder (NULL when none is configured). */
static int load_schemas(const struct vigil_config *cfg, const char *config_path,
                        struct jschema_set **out, char **cause)
{
	*out = NULL;
	if (!cfg->semantic.schemas_dir[0])
		return 0;
	char dir[CFG_PATH_MAX * 2];
	int rc = schemas_resolve_dir(config_path, cfg->semantic.schemas_dir, dir, sizeof(dir));
	if (rc != 0)
		return vg_cause(cause, rc, "semantic.schemas_dir: path too long: %s",
		                cfg->semantic.schemas_dir);
	return schemas_load_dir(dir, out, cause);
}

int semsvc_configure(struct pipeline *p, const struct vigil_config *cfg, const char *config_path,
                     struct jschema_set **schemas, char **cause)
{
	*schemas = NULL;
	*cause = NULL;
	struct jschema_set *set = NULL;
	int rc = load_schemas(cfg, config_path, &set, cause);
	if (rc != 0)
		return rc;
	rc = pipeline_set_semantic(p, &cfg->semantic.checks, set);
	if (rc != 0) {
		jschema_set_free(set);
		return vg_cause(cause, rc, "semantic: %s",
		                rc == VG_ESTATE ? "the pipeline has already been fed"
		                                : "out of memory");
	}
	*schemas = set;
	return 0;
}

void semsvc_options_default(struct semsvc_options *o)
{
	memset(o, 0, sizeof(*o));
	struct sidecar_options so;
	sidecar_options_default(&so);
	o->capacity = so.capacity;
	o->max_bytes = so.max_bytes;
	o->event_interval_ms = so.event_interval_ms;
}

static bool has_effects(const struct effects *e)
{
	return e->n_events || e->n_transitions || e->n_incident_changes || e->n_notifications;
}

static void gauges(struct semsvc *s)
{
	if (!s->opt.metrics || !s->sc)
		return;
	struct sidecar_stats st;
	sidecar_stats(s->sc, &st);
	if (s->opt.metrics->sidecar_depth)
		metrics_set(s->opt.metrics->sidecar_depth, NULL, (double)st.depth);
	if (s->opt.metrics->sidecar_capacity)
		metrics_set(s->opt.metrics->sidecar_capacity, NULL, (double)st.capacity);
}

/* Every accepted analysis has come back: the semsvc_drain() callback. */
static void check_drained(struct semsvc *s)
{
	if (!s->drained)
		return;
	if (s->sc) {
		struct sidecar_stats st;
		sidecar_stats(s->sc, &st);
		if (st.completed < st.submitted)
			return;
	}
	void (*done)(void *) = s->drained;
	s->drained = NULL;
	done(s->drained_data);
}

static void on_result(struct sidecar *sc, const struct observation *obs,
                      const struct semantic_text *t, int status, void *data)
{
	(void)sc;
	struct semsvc *s = data;
	if (status != 0) {
		/* Out of memory in the worker: what it measured still counts. */
		s->failed++;
	}
	int64_t now = s->opt.now_ms ? s->opt.now_ms(s->opt.data) : observation_end_ms(obs);
	struct effects eff;
	int rc = pipeline_feed_text(s->p, obs, t, now, &eff);
	if (rc != 0 && rc != VG_EFULL) {
		s->failed++;
	} else {
		s->late_events += eff.n_events;
		if (has_effects(&eff))
			s->opt.on_effects(s->opt.data, &eff);
	}
	gauges(s);
	check_drained(s); /* last: its callback may stop the service */
}

static void on_monitor(struct sidecar *sc, const struct failure_event *ev, void *data)
{
	(void)sc;
	struct semsvc *s = data;
	gauges(s);
	if (!ev)
		return; /* drained: the incident resolves after its quiet period */
	struct effects eff;
	int rc = pipeline_monitor(s->p, SUB_SIDECAR_BLIND_SPOT, "sidecar", ev->causal.detail,
	                          ev->causal.value, ev->time_ms, &eff);
	if ((rc == 0 || rc == VG_EFULL) && has_effects(&eff))
		s->opt.on_effects(s->opt.data, &eff);
}

static int64_t semsvc_clock(void *data)
{
	struct semsvc *s = data;
	return s->opt.clock_ms(s->opt.data);
}

/* A sidecar thread on the pipeline's current text cfg, deferral on. */
static int start_sidecar(struct semsvc *s)
{
	struct sidecar_options so;
	sidecar_options_default(&so);
	so.capacity = s->opt.capacity;
	if (s->opt.max_bytes)
		so.max_bytes = s->opt.max_bytes;
	if (s->opt.event_interval_ms > 0)
		so.event_interval_ms = s->opt.event_interval_ms;
	so.max_age_ms = s->opt.max_age_ms;
	so.clock_ms = s->opt.clock_ms ? semsvc_clock : NULL;
	so.on_result = on_result;
	so.on_monitor = on_monitor;
	so.data = s;
	struct semantic *sem = pipeline_semantic(s->p);
	int rc = sidecar_start(s->loop, semantic_text_cfg(sem), &so, &s->sc);
	if (rc != 0) {
		s->sc = NULL;
		semantic_allow_defer(sem, false);
		return rc;
	}
	semantic_allow_defer(sem, true);
	gauges(s);
	return 0;
}

int semsvc_start(uv_loop_t *loop, struct pipeline *p, const struct semsvc_options *opt,
                 struct semsvc **out)
{
	*out = NULL;
	if (!opt->on_effects || opt->capacity == 0 || !p)
		return VG_EINVAL;
	struct semsvc *s = calloc(1, sizeof(*s));
	if (!s)
		return VG_ENOMEM;
	s->loop = loop;
	s->p = p;
	s->opt = *opt;
	int rc = start_sidecar(s);
	if (rc != 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int semsvc_reload(struct semsvc *s, struct pipeline *p, const struct vigil_config *cfg,
                  const char *config_path, struct jschema_set **schemas, char **cause)
{
	*schemas = NULL;
	*cause = NULL;
	struct jschema_set *set = NULL;
	int rc = load_schemas(cfg, config_path, &set, cause);
	if (rc != 0)
		return rc;
	/* The worker reads the text cfg that changes: stop it first (this joins
	 * the thread; waiting analyses are dropped, their observations keep
	 * their inline verdicts). */
	if (s && s->sc) {
		sidecar_stop(s->sc, NULL, NULL);
		s->sc = NULL;
	}
	rc = pipeline_update_semantic(p, &cfg->semantic.checks, set);
	if (rc != 0) {
		jschema_set_free(set);
		vg_cause(cause, rc, "semantic: out of memory");
	} else {
		*schemas = set;
	}
	if (!s)
		return rc;
	if (cfg->semantic.sidecar_queue > 0)
		s->opt.capacity = (size_t)cfg->semantic.sidecar_queue;
	s->opt.max_age_ms = cfg->monitor.sidecar_lag_ms;
	int src = start_sidecar(s);
	if (src != 0 && rc == 0) {
		vg_cause(cause, VG_ESTATE,
		         "semantic: the sidecar thread could not restart (%s); every "
		         "check runs inline",
		         vg_strerror(src));
		rc = VG_ESTATE;
	}
	check_drained(s);
	return rc;
}

int semsvc_offer(struct semsvc *s, const struct observation *obs, const struct effects *eff,
                 int64_t now)
{
	if (!eff->semantic_deferred || !s->sc)
		return 0;
	int rc = sidecar_submit(s->sc, obs, now);
	gauges(s);
	return rc;
}

void semsvc_watch(struct semsvc *s, int64_t now)
{
	if (!s || !s->sc)
		return;
	int64_t age = sidecar_watch(s->sc, now);
	if (s->opt.metrics && s->opt.metrics->sidecar_oldest_age)
		metrics_set(s->opt.metrics->sidecar_oldest_age, NULL,
		            age > 0 ? (double)age / 1000.0 : 0);
	gauges(s);
}

void semsvc_stats(struct semsvc *s, struct semsvc_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (s->sc)
		sidecar_stats(s->sc, &st->sidecar);
	st->late_events = s->late_events;
	st->failed = s->failed;
}

struct sidecar *semsvc_sidecar(struct semsvc *s)
{
	return s->sc;
}

void semsvc_drain(struct semsvc *s, void (*done)(void *data), void *data)
{
	s->drained = done;
	s->drained_data = data;
	check_drained(s);
}

static void on_stopped(void *data)
{
	struct semsvc *s = data;
	void (*done)(void *) = s->stopped;
	void *dd = s->stopped_data;
	free(s);
	if (done)
		done(dd);
}

void semsvc_stop(struct semsvc *s, void (*done)(void *data), void *data)
{
	if (!s)
		return;
	semantic_allow_defer(pipeline_semantic(s->p), false);
	s->stopped = done;
	s->stopped_data = data;
	s->drained = NULL;
	if (s->opt.metrics && s->opt.metrics->sidecar_depth)
		metrics_set(s->opt.metrics->sidecar_depth, NULL, 0);
	if (s->sc)
		sidecar_stop(s->sc, on_stopped, s);
	else
		on_stopped(s);
}
