/* sim_timeline.c: the scenario as pure functions of time (see sim_timeline.h). */
#include "sim/sim_timeline.h"

#include "sim/sim_time.h"

#include <math.h>
#include <string.h>

double sim_curve_at(const struct sim_curve *c, int64_t t, double dflt)
{
	if (c->n == 0)
		return dflt;
	if (t <= c->t[0])
		return c->v[0];
	for (int i = 1; i < c->n; i++) {
		if (t < c->t[i]) {
			double span = (double)(c->t[i] - c->t[i - 1]);
			double f = span > 0 ? (double)(t - c->t[i - 1]) / span : 1.0;
			return c->v[i - 1] + (c->v[i] - c->v[i - 1]) * f;
		}
	}
	return c->v[c->n - 1];
}

#define DAY_MS 86400000LL

static const struct sim_rhythm_hours *rhythm_at(const struct sim_scenario *s, int64_t t)
{
	int64_t clock = s->start_ms + t;
	int64_t day = clock >= 0 ? clock / DAY_MS : -((-clock + DAY_MS - 1) / DAY_MS);
	int64_t tod = clock - day * DAY_MS;
	int weekday = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	for (int i = 0; i < s->rhythm.n; i++) {
		const struct sim_rhythm_hours *h = &s->rhythm.hours[i];
		if (h->date != SIM_RHYTHM_ANY_DATE && h->date != day)
			continue;
		if (h->days && !(h->days & (1u << weekday)))
			continue;
		if (tod >= h->from_ms && tod < h->until_ms)
			return h;
	}
	return NULL;
}

double sim_rhythm_rate(const struct sim_scenario *s, int64_t t)
{
	if (s->rhythm.n == 0)
		return 1.0;
	const struct sim_rhythm_hours *h = rhythm_at(s, t);
	return h ? h->rate : 1.0;
}

double sim_rhythm_latency(const struct sim_scenario *s, int64_t t)
{
	double f = sim_curve_at(&s->rhythm.trend, t, 1.0);
	if (s->rhythm.n == 0)
		return f;
	const struct sim_rhythm_hours *h = rhythm_at(s, t);
	return h ? h->latency * f : f;
}

bool sim_phase_active(const struct sim_phase *ph, int64_t t)
{
	return t >= ph->at_ms && t < ph->end_ms;
}

bool sim_phase_matches(const struct sim_scenario *s, const struct sim_phase *ph,
                       const struct sim_scope *sc)
{
	if (ph->provider >= 0 && ph->provider != sc->provider)
		return false;
	if (ph->template_idx >= 0 && ph->template_idx != sc->template_idx)
		return false;
	if (sc->provider < 0 || sc->provider >= s->n_providers)
		return ph->provider < 0 && !ph->model[0] && !ph->region[0];
	const struct sim_provider *p = &s->providers[sc->provider];
	if (ph->model[0]) {
		if (sc->model < 0 || sc->model >= p->n_models)
			return false;
		const struct sim_model *m = &p->models[sc->model];
		if (strcmp(ph->model, m->name) != 0 && strcmp(ph->model, m->version) != 0)
			return false;
	}
	if (ph->region[0]) {
		if (sc->region < 0 || sc->region >= p->n_regions)
			return false;
		if (strcmp(ph->region, p->regions[sc->region].name) != 0)
			return false;
	}
	return true;
}

double sim_phase_share(const struct sim_phase *ph, int64_t t)
{
	return sim_curve_at(&ph->share, t - ph->at_ms, 1.0);
}

void sim_timeline_latency(const struct sim_scenario *s, const struct sim_scope *sc,
                          const struct sim_phase *ph, int64_t t, double *median, double *p95)
{
	const struct sim_provider *p = &s->providers[sc->provider];
	double r = sim_rhythm_latency(s, t);
	double med = p->median_ms * r, hi = p->p95_ms * r;
	if (ph) {
		int64_t rel = t - ph->at_ms;
		double f = sim_curve_at(&ph->factor, rel, 1.0);
		med = sim_curve_at(&ph->median_ms, rel, med) * f;
		double ratio = p->median_ms > 0 ? p->p95_ms / p->median_ms : 1.5;
		/* Without its own p95 the phase keeps the baseline's spread. */
		hi = ph->p95_ms.n ? sim_curve_at(&ph->p95_ms, rel, hi) * f : med * ratio;
		if (hi < med)
			hi = med;
	}
	*median = med;
	*p95 = hi;
}

void sim_timeline_limits(const struct sim_scenario *s, const struct sim_scope *sc, int64_t t,
                         int64_t *rpm, int64_t *tpm, const struct sim_phase **from)
{
	const struct sim_provider *p = &s->providers[sc->provider];
	*rpm = p->rpm;
	*tpm = p->tpm;
	*from = NULL;
	for (int i = 0; i < s->n_phases; i++) {
		const struct sim_phase *ph = &s->phases[i];
		if (ph->fault != SIM_F_RATE_LIMIT || (!ph->rpm.n && !ph->tpm.n))
			continue;
		if (!sim_phase_active(ph, t) || !sim_phase_matches(s, ph, sc))
			continue;
		int64_t rel = t - ph->at_ms;
		if (ph->rpm.n)
			*rpm = (int64_t)llround(sim_curve_at(&ph->rpm, rel, (double)*rpm));
		if (ph->tpm.n)
			*tpm = (int64_t)llround(sim_curve_at(&ph->tpm, rel, (double)*tpm));
		*from = ph;
		return;
	}
}

int64_t sim_timeline_p95_crossing(const struct sim_scenario *s, const struct sim_scope *sc,
                                  double threshold_ms, int64_t from, int64_t to, int64_t step)
{
	if (step <= 0)
		step = 1000;
	for (int64_t t = from; t < to; t += step) {
		double med, p95;
		const struct sim_phase *lat = NULL;
		for (int i = 0; i < s->n_phases; i++) {
			const struct sim_phase *ph = &s->phases[i];
			if (ph->fault == SIM_F_LATENCY && sim_phase_active(ph, t) &&
			    sim_phase_matches(s, ph, sc) && sim_phase_share(ph, t) >= 0.5) {
				lat = ph;
				break;
			}
		}
		sim_timeline_latency(s, sc, lat, t, &med, &p95);
		if (p95 > threshold_ms)
			return t;
	}
	return -1;
}

static void put_time(struct sim_jw *w, const char *key, int64_t start_ms, double speed, int64_t t)
{
	char buf[40];
	sim_jw_kstr(w, key,
	            sim_time_rfc3339(start_ms + (int64_t)llround((double)t / speed), true, buf,
	                             sizeof(buf)));
}

void sim_truth_json(const struct sim_scenario *s, int64_t start_ms, double speed,
                    struct sim_buf *out)
{
	struct sim_jw w;
	if (!(speed > 0))
		speed = 1;
	sim_jw_init(&w, out);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "scenario", s->name);
	sim_jw_kstr(&w, "description", s->description);
	put_time(&w, "start", start_ms, 1, 0);
	sim_jw_kint(&w, "start_ms", start_ms);
	sim_jw_kint(&w, "duration_ms", s->duration_ms);
	sim_jw_knum(&w, "speed", speed, 6);
	sim_jw_kint(&w, "seed", (int64_t)s->seed);
	sim_jw_key(&w, "faults");
	sim_jw_arr(&w);
	for (int i = 0; i < s->n_phases; i++) {
		const struct sim_phase *ph = &s->phases[i];
		if (!ph->truth)
			continue;
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "name", ph->name);
		sim_jw_kstr(&w, "fault", sim_fault_name(ph->fault));
		sim_jw_kstr(&w, "category", ph->category);
		sim_jw_kstr(&w, "subtype", ph->subtype);
		sim_jw_kstr(&w, "provider",
		            ph->provider >= 0 ? s->providers[ph->provider].name : NULL);
		sim_jw_kstr(&w, "model", ph->model[0] ? ph->model : NULL);
		sim_jw_kstr(&w, "region", ph->region[0] ? ph->region : NULL);
		sim_jw_kstr(&w, "template",
		            ph->template_idx >= 0 ? s->traffic.templates[ph->template_idx].name
		                                  : NULL);
		sim_jw_kint(&w, "onset_ms", ph->at_ms);
		sim_jw_kint(&w, "end_ms", ph->end_ms);
		put_time(&w, "onset", start_ms, speed, ph->at_ms);
		put_time(&w, "end", start_ms, speed, ph->end_ms);
		int64_t det = ph->at_ms + (ph->detect_after_ms > 0 ? ph->detect_after_ms : 0);
		sim_jw_kint(&w, "detectable_ms", det);
		put_time(&w, "detectable", start_ms, speed, det);
		sim_jw_key(&w, "related");
		sim_jw_arr(&w);
		for (int k = 0; k < ph->n_also; k++) {
			const char *slash = strchr(ph->also[k], '/');
			sim_jw_obj(&w);
			sim_jw_key(&w, "category");
			sim_jw_strn(&w, ph->also[k], (size_t)(slash - ph->also[k]));
			sim_jw_kstr(&w, "subtype", slash + 1);
			sim_jw_obj_end(&w);
		}
		sim_jw_arr_end(&w);
		sim_jw_kstr(&w, "note", ph->note[0] ? ph->note : NULL);
		sim_jw_obj_end(&w);
	}
	sim_jw_arr_end(&w);
	sim_jw_obj_end(&w);
	sim_buf_add(out, "\n", 1);
}
