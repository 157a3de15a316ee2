/*
 * probe_budget.h: what the canary probes of one provider have cost today
 * (UTC day), and whether one more may run under a daily budget. Canaries
 * cost money; a gateway that probes its providers should know how much.
 *
 * A value type, one per provider: the day it counts (days since the epoch)
 * and the spend on that day. Time comes in as ms since the epoch; a new UTC
 * day starts the count over. Pure.
 *
 * The rule: a probe may run when the spend so far plus the expected cost of
 * one more (the largest single probe cost seen, so a probe never takes the
 * spend over the budget unless it cost more than any before) stays within
 * the budget. A budget <= 0 means no limit.
 */
#ifndef VIGIL_CORE_PROBE_BUDGET_H
#define VIGIL_CORE_PROBE_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define PROBE_BUDGET_DAY_MS 86400000LL

struct probe_budget {
	double limit_usd;     /* per UTC day; <= 0: no limit */
	int64_t day;          /* the day spent_usd counts (days since the epoch), -1 before any */
	double spent_usd;     /* on `day` */
	double max_probe_usd; /* the largest single probe cost seen (any day) */
	uint64_t probes;      /* probes charged on `day` */
	bool exhausted;       /* the last probe_budget_allows() said no (for "log once") */
};

/* Start counting with a daily limit (<= 0: none). */
void probe_budget_init(struct probe_budget *b, double limit_usd);

/* The UTC day of a time (ms since the epoch; negative times round down). */
int64_t probe_budget_day(int64_t now_ms);

/* Add one probe's cost (NaN or negative counts as 0) at now_ms. */
void probe_budget_charge(struct probe_budget *b, int64_t now_ms, double usd);

/* The spend on the UTC day of now_ms (0 on a day with no probe yet). */
double probe_budget_spent(const struct probe_budget *b, int64_t now_ms);

/*
 * Whether one more probe may run at now_ms. Updates b->exhausted; returns
 * true, or false while the day's budget is spent. *changed (may be NULL) is
 * set when the answer differs from the previous call (to log once per
 * stop and once per resume).
 */
bool probe_budget_allows(struct probe_budget *b, int64_t now_ms, bool *changed);

#endif
