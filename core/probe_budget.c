/*
 * probe_budget.c: daily probe spend per provider (see probe_budget.h).
 */
#include "core/probe_budget.h"

#include <math.h>

void probe_budget_init(struct probe_budget *b, double limit_usd)
{
	b->limit_usd = isnan(limit_usd) ? 0 : limit_usd;
	b->day = -1;
	b->spent_usd = 0;
	b->max_probe_usd = 0;
	b->probes = 0;
	b->exhausted = false;
}

int64_t probe_budget_day(int64_t now_ms)
{
	int64_t d = now_ms / PROBE_BUDGET_DAY_MS;
	if (now_ms % PROBE_BUDGET_DAY_MS != 0 && now_ms < 0)
		d--;
	return d;
}

static void roll(struct probe_budget *b, int64_t now_ms)
{
	int64_t d = probe_budget_day(now_ms);
	if (d != b->day) {
		b->day = d;
		b->spent_usd = 0;
		b->probes = 0;
	}
}

void probe_budget_charge(struct probe_budget *b, int64_t now_ms, double usd)
{
	if (isnan(usd) || usd < 0)
		usd = 0;
	roll(b, now_ms);
	b->spent_usd += usd;
	b->probes++;
	if (usd > b->max_probe_usd)
		b->max_probe_usd = usd;
}

double probe_budget_spent(const struct probe_budget *b, int64_t now_ms)
{
	return probe_budget_day(now_ms) == b->day ? b->spent_usd : 0;
}

bool probe_budget_allows(struct probe_budget *b, int64_t now_ms, bool *changed)
{
	bool ok = true;
	if (b->limit_usd > 0) {
		double spent = probe_budget_spent(b, now_ms);
		ok = spent < b->limit_usd && spent + b->max_probe_usd <= b->limit_usd;
	}
	if (changed)
		*changed = ok == b->exhausted;
	b->exhausted = !ok;
	return ok;
}
