/*
 * sim_timeline.h: what a scenario says at a given moment, as pure functions
 * of scenario time (ms from the scenario's start): curves, which phases are
 * active for a scope, the limits and latency in force, and the truth file
 * (fault onsets and ends) that replay measures time-to-detect against.
 */
#ifndef VIGIL_SIM_TIMELINE_H
#define VIGIL_SIM_TIMELINE_H

#include "sim/sim_buf.h"
#include "sim/sim_scenario.h"

/* Who a request goes to. template_idx is -1 for the provider server, which
 * does not know templates: template-scoped phases never match it. */
struct sim_scope {
	int provider, model, region, template_idx;
};

/* Value of curve c at time t (ms from its phase's start); dflt when the curve
 * was not given. Linear between points, flat outside them. */
double sim_curve_at(const struct sim_curve *c, int64_t t, double dflt);

/* The rhythm's factors at scenario time t (1 without a rhythm): the request
 * rate's, and the latency's (the matching entry's times the trend). */
double sim_rhythm_rate(const struct sim_scenario *s, int64_t t);
double sim_rhythm_latency(const struct sim_scenario *s, int64_t t);

/* True when phase ph is active at scenario time t: at <= t < end. */
bool sim_phase_active(const struct sim_phase *ph, int64_t t);

/* True when phase ph applies to scope sc (time not considered). */
bool sim_phase_matches(const struct sim_scenario *s, const struct sim_phase *ph,
                       const struct sim_scope *sc);

/* Share of requests a phase affects at t (its share curve, default 1). */
double sim_phase_share(const struct sim_phase *ph, int64_t t);

/* The latency distribution for an affected request at t: median and p95 of
 * the total time (ms), from the provider's baseline times the rhythm's
 * latency factor and phase ph (a latency phase, or NULL for the baseline;
 * its factor multiplies, its own median_ms and p95_ms replace). */
void sim_timeline_latency(const struct sim_scenario *s, const struct sim_scope *sc,
                          const struct sim_phase *ph, int64_t t, double *median, double *p95);

/* The requests- and tokens-per-minute limits in force for scope sc at t (the
 * first active rate_limit phase with rpm/tpm, else the provider's baseline).
 * *from gets that phase or NULL. */
void sim_timeline_limits(const struct sim_scenario *s, const struct sim_scope *sc, int64_t t,
                         int64_t *rpm, int64_t *tpm, const struct sim_phase **from);

/* The first time in [from, to) (stepping by step ms) at which the p95 latency
 * of scope sc exceeds threshold_ms with every active latency phase applied;
 * -1 when it never does. For truth hints and tests. */
int64_t sim_timeline_p95_crossing(const struct sim_scenario *s, const struct sim_scope *sc,
                                  double threshold_ms, int64_t from, int64_t to, int64_t step);

/*
 * Append the truth file for scenario s to out as one JSON document:
 *   {"scenario", "description", "start", "start_ms", "duration_ms", "speed",
 *    "faults": [{"name", "fault", "category", "subtype", "provider", "model",
 *      "region", "template", "onset_ms", "end_ms", "onset", "end",
 *      "detectable_ms", "detectable", "related": [{"category", "subtype"}], "note"}]}
 * Times *_ms are scenario time; the RFC 3339 ones are start_ms + t / speed
 * (speed 1 when the clock is virtual). Only phases with truth: true appear.
 */
void sim_truth_json(const struct sim_scenario *s, int64_t start_ms, double speed,
                    struct sim_buf *out);

#endif
