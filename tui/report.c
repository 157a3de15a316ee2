/*
 * report.c: plain-text summaries of a console snapshot (see report.h).
 */
#include "tui/report.h"

#include "tui/fmt.h"

#include <string.h>

char *report_summary_line(const struct snapshot *s, int64_t elapsed_ms, char *buf, size_t size)
{
	int open = 0, sev[SEV__COUNT] = { 0 }, monitor = 0, brk = 0, n_brk = 0;
	for (int i = 0; i < s->n_incidents; i++) {
		const struct snap_incident *inc = &s->incidents[i];
		if (inc->state == SNAP_INC_RESOLVED)
			continue;
		open++;
		sev[inc->severity]++;
		monitor += inc->category == CAT_MONITOR;
	}
	for (int i = 0; i < s->n_providers; i++) {
		n_brk += s->providers[i].has_breaker;
		brk += s->providers[i].has_breaker && s->providers[i].breaker != BRK_CLOSED;
	}
	int64_t ev5[CAT__COUNT] = { 0 };
	for (int c = 0; c < CAT__COUNT; c++)
		for (int v = 0; v < SEV__COUNT; v++)
			ev5[c] += s->taxonomy[SNAP_W_5M][c][v];
	char req[16];
	fmt_count(s->evidence.requests, req, sizeof(req));
	snprintf(
	        buf, size,
	        "t+%llds requests %s/5m breakers-open %d/%d incidents-open %d (critical %d high %d "
	        "medium %d low %d monitor %d) events-5m provider %lld quality %lld cost %lld "
	        "security %lld data %lld",
	        (long long)(elapsed_ms / 1000), req, brk, n_brk, open, sev[SEV_CRITICAL],
	        sev[SEV_HIGH], sev[SEV_MEDIUM], sev[SEV_LOW], monitor, (long long)ev5[CAT_PROVIDER],
	        (long long)ev5[CAT_QUALITY], (long long)ev5[CAT_COST], (long long)ev5[CAT_SECURITY],
	        (long long)ev5[CAT_DATA]);
	return buf;
}

int report_incidents_table(const struct snapshot *s, FILE *out)
{
	fprintf(out, "%-5s %-8s %-9s %-22s %-12s %6s %-8s %-8s %-12s %s\n", "ID", "SEVERITY",
	        "CATEGORY", "SUBTYPE", "PROVIDER", "COUNT", "FIRST", "LAST", "STATE", "ACKED_BY");
	int rows = 0;
	for (int i = 0; i < s->n_incidents; i++) {
		const struct snap_incident *inc = &s->incidents[i];
		char first[16], last[16];
		const char *st = inc->state == SNAP_INC_ACKED ? "acknowledged"
		                                              : snapshot_inc_state_name(inc->state);
		fprintf(out, "%-5lld %-8s %-9s %-22s %-12s %6lld %-8s %-8s %-12s %s\n",
		        (long long)inc->id, model_severity_name(inc->severity),
		        model_category_name(inc->category), model_subtype_name(inc->subtype),
		        inc->provider[0] ? inc->provider : "-", (long long)inc->count,
		        fmt_clock(inc->first_ms, first, sizeof(first)),
		        fmt_clock(inc->last_ms, last, sizeof(last)), st,
		        inc->acked_by[0] ? inc->acked_by : "-");
		rows++;
	}
	return rows;
}
