/*
 * health_rows.h: the console's health rollups (the health table) from a
 * pipeline's health views, one row per provider and per provider/model,
 * as the daemon writes them every health_ms and as the console tests'
 * database (tests/support/consoledb) writes them, from one definition.
 */
#ifndef VIGIL_APP_HEALTH_ROWS_H
#define VIGIL_APP_HEALTH_ROWS_H

#include "core/pipeline.h"
#include "core/settings.h"
#include "data/store.h"

/* The probe spend today and the budget (USD) of a provider's row; NaN
 * when unknown. `model` is "" for a provider's row. */
typedef void (*health_rows_spend_cb)(void *data, const char *provider, const char *model,
                                     double *spend, double *budget);

/* Append a row per pipeline_health_view() row of `p` at `now` to `b`: the
 * view's numbers, the breaker and whether it oscillates
 * (t->breaker.oscillation_opens), t->latency_ms as the latency threshold,
 * the probe spend from `spend` (NULL: unknown), and `gateway_event_ms`, the
 * end of the newest gateway event (VG_NONE: none seen). Returns 0 or
 * VG_ENOMEM (rows appended so far stay). */
int health_rows_add(struct store_batch *b, const struct pipeline *p, const struct core_settings *t,
                    int64_t now, int64_t gateway_event_ms, health_rows_spend_cb spend, void *data);

#endif
