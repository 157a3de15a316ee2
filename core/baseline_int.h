/*
 * baseline_int.h: helpers shared by core/baseline*.c (not for other
 * modules): the metric table and the model's arithmetic.
 */
#ifndef VIGIL_CORE_BASELINE_INT_H
#define VIGIL_CORE_BASELINE_INT_H

#include "core/baseline.h"

/* Where a metric lives in struct baseline_model: its bl_count, its first
 * bl_stat (quantile: 3 from there; mean: 1) or -1, its bl_rate or -1. */
int baseline__count_of(enum baseline_metric m);
int baseline__stat_of(enum baseline_metric m);
int baseline__rate_of(enum baseline_metric m);

/* The slot's expected rate of rate index r: its counts shrunk toward its
 * neighbours', shrunk toward the series rate (rate_prior_requests each),
 * and, when floored, at least rate_floor (what is judged against; learning
 * compares with the unfloored rate, so a rate that is always 0 is not
 * "below" the floor every hour). slot -1: the series rate alone. *k_eff
 * and *n_eff (when not NULL): the failures and samples the rate rests on,
 * its prior's included. */
double baseline__slot_rate(const struct baseline_model *m, const struct baseline_settings *s, int r,
                           int slot, bool floored, double *k_eff, double *n_eff);

/* Week-to-week variance of a slot (-1: pooled) of statistic i or rate r,
 * shrunk toward the pooled variance and floored. */
double baseline__stat_var(const struct baseline_model *m, const struct baseline_settings *s, int i,
                          int slot);
double baseline__rate_var(const struct baseline_model *m, const struct baseline_settings *s, int r,
                          int slot);

/* Sampling variance of an hour's ln quantile (qi 0..2) over n samples, given
 * its ln p50, p95, p99 (lq[3]). */
double baseline__quantile_var(int qi, double n, const double lq[3]);

/* Mean and variance of ln(K + 0.5) for K ~ Binomial(n, p): summed exactly
 * when n p < 30, by the delta method above. */
void baseline__log_count_moments(double n, double p, double *mean, double *var);

/* Failures of rate index r and the samples they are among, in a rollup. */
void baseline__rate_counts(const struct rollup *r, int ri, double *k, double *n);

/* The hour's value (ln) and sampling variance of statistic i, and its sample
 * count; false when the hour has too few samples to learn it. */
bool baseline__hour_stat(const struct baseline_settings *s, const struct rollup_stats *st, int i,
                         double *y, double *v, double *n);

/* Standard normal upper-tail quantile: z with P(Z > z) = a. */
double baseline__z_upper(double a);

#endif
