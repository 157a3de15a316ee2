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
 * floored at rate_floor. slot -1: the series rate alone. */
double baseline__slot_rate(const struct baseline_model *m, const struct baseline_settings *s, int r,
                           int slot);

/* Week-to-week variance of a slot (-1: pooled) of statistic i or rate r,
 * shrunk toward the pooled variance and floored. */
double baseline__stat_var(const struct baseline_model *m, const struct baseline_settings *s, int i,
                          int slot);
double baseline__rate_var(const struct baseline_model *m, const struct baseline_settings *s, int r,
                          int slot);

/* Sampling variance of an hour's ln quantile (qi 0..2) over n samples, given
 * its ln p50, p95, p99 (lq[3]). */
double baseline__quantile_var(int qi, double n, const double lq[3]);

/* Failures of rate index r and the samples they are among, in a rollup. */
void baseline__rate_counts(const struct rollup *r, int ri, double *k, double *n);

/* The hour's value (ln) and sampling variance of statistic i, and its sample
 * count; false when the hour has too few samples to learn it. */
bool baseline__hour_stat(const struct baseline_settings *s, const struct rollup_stats *st, int i,
                         double *y, double *v, double *n);

/* Standard normal upper-tail quantile: z with P(Z > z) = a. */
double baseline__z_upper(double a);

#endif
