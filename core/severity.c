/*
 * severity.c: the default severity table and the classifier (see
 * severity.h). The table is data: one row per category and traffic class,
 * one column per recoverability.
 */
#include "core/severity.h"

#include <math.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(SEV_ANY_CATEGORY == CAT_TAXONOMY_COUNT, "settings.h: any category");
_Static_assert(SEV_ANY_TRAFFIC == TC__COUNT, "settings.h: any traffic class");

#define C SEV_CRITICAL
#define H SEV_HIGH
#define M SEV_MEDIUM
#define L SEV_LOW

/* [category][traffic class] = { isolated, failover, none } */
static const enum severity default_table[CAT_TAXONOMY_COUNT][TC__COUNT][REC__COUNT] = {
	[CAT_PROVIDER] = {
		[TC_REVENUE] = { L, H, C },
		[TC_COMPLIANCE] = { L, H, C },
		[TC_INTERNAL] = { L, M, H },
		[TC_EXPERIMENTAL] = { L, L, M },
	},
	[CAT_QUALITY] = {
		[TC_REVENUE] = { M, H, H },
		[TC_COMPLIANCE] = { M, H, H },
		[TC_INTERNAL] = { L, M, M },
		[TC_EXPERIMENTAL] = { L, M, M },
	},
	[CAT_COST] = {
		[TC_REVENUE] = { L, M, H },
		[TC_COMPLIANCE] = { L, M, H },
		[TC_INTERNAL] = { L, M, M },
		[TC_EXPERIMENTAL] = { L, L, M },
	},
	[CAT_SECURITY] = {
		[TC_REVENUE] = { M, H, H },
		[TC_COMPLIANCE] = { H, C, C },
		[TC_INTERNAL] = { L, M, M },
		[TC_EXPERIMENTAL] = { L, M, M },
	},
	[CAT_DATA] = {
		[TC_REVENUE] = { L, M, H },
		[TC_COMPLIANCE] = { M, H, H },
		[TC_INTERNAL] = { L, L, M },
		[TC_EXPERIMENTAL] = { L, L, M },
	},
};

#undef C
#undef H
#undef M
#undef L

static const char *const rec_names[] = { "isolated", "failover", "none" };
_Static_assert(COUNT(rec_names) == REC__COUNT, "recoverability names");

const char *severity_recoverability_name(enum recoverability r)
{
	if ((int)r < 0 || r >= REC__COUNT)
		return "unknown";
	return rec_names[r];
}

int severity_recoverability_parse(const char *s, size_t len)
{
	if (!s)
		return -1;
	if (len == (size_t)-1)
		len = strlen(s);
	for (size_t i = 0; i < COUNT(rec_names); i++) {
		if (strlen(rec_names[i]) == len && memcmp(rec_names[i], s, len) == 0)
			return (int)i;
	}
	return -1;
}

void severity_snapshot_init(struct severity_snapshot *s, int64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	s->now_ms = now_ms;
	s->traffic_class = TC_UNSET;
	s->provider_availability = VG_NONE_D;
	s->breaker = BRK_CLOSED;
	s->failover_working = false;
	s->affected_rate = VG_NONE_D;
	s->window_count = 0;
	s->affected = VG_NONE;
	s->blast_radius = VG_NONE_D;
	s->early_warning = false;
	s->medium_since_ms = VG_NONE;
}

enum severity severity_default(enum category cat, enum traffic_class tc, enum recoverability rec)
{
	if ((int)cat < 0 || cat >= CAT_TAXONOMY_COUNT || (int)tc < 0 || tc >= TC__COUNT ||
	    (int)rec < 0 || rec >= REC__COUNT)
		return SEV_HIGH;
	return default_table[cat][tc][rec];
}

/* Whether override value v selects index i on an axis of n values ("any" = n). */
static bool axis_match(int v, int i, int n)
{
	return v == n || v == i;
}

void severity_table_init(struct severity_table *t, const struct core_settings *settings)
{
	memcpy(t->cell, default_table, sizeof(t->cell));
	t->settings = settings->severity;
	t->escalation_ms = settings->escalation_ms;
	if (t->settings.n_overrides > SEVERITY_MAX_OVERRIDES)
		t->settings.n_overrides = SEVERITY_MAX_OVERRIDES;
	for (size_t k = 0; k < t->settings.n_overrides; k++) {
		const struct severity_override *o = &t->settings.overrides[k];
		if (o->category < 0 || o->category > SEV_ANY_CATEGORY || o->traffic_class < 0 ||
		    o->traffic_class > SEV_ANY_TRAFFIC || o->recoverability < 0 ||
		    o->recoverability > SEV_ANY_REC || o->severity < 0 || o->severity >= SEV__COUNT)
			continue;
		for (int c = 0; c < CAT_TAXONOMY_COUNT; c++)
			for (int tc = 0; tc < TC__COUNT; tc++)
				for (int r = 0; r < REC__COUNT; r++)
					if (axis_match(o->category, c, SEV_ANY_CATEGORY) &&
					    axis_match(o->traffic_class, tc, SEV_ANY_TRAFFIC) &&
					    axis_match(o->recoverability, r, SEV_ANY_REC))
						t->cell[c][tc][r] = (enum severity)o->severity;
	}
	int dtc = t->settings.default_traffic_class;
	if (dtc < 0 || dtc >= TC__COUNT)
		t->settings.default_traffic_class = TC_REVENUE;
}

enum recoverability severity_recoverability(enum category cat, const struct severity_snapshot *snap,
                                            const struct severity_table *t)
{
	/* For provider failures an open (or probing) breaker means the provider is
	 * out, whatever the rate says; other categories are judged by their rate. */
	bool breaker_ok = cat != CAT_PROVIDER || snap->breaker == BRK_CLOSED;
	bool small =
	        vg_has_d(snap->affected_rate) && snap->affected_rate < t->settings.isolated_rate;
	if (breaker_ok && small)
		return REC_ISOLATED;
	if (snap->failover_working)
		return REC_FAILOVER;
	return REC_NONE;
}

double severity_wilson_lower(int64_t k, int64_t n)
{
	if (n <= 0)
		return VG_NONE_D;
	if (k < 0)
		k = 0;
	if (k > n)
		k = n;
	const double z = 1.96;
	double nn = (double)n;
	double ph = (double)k / nn;
	double z2 = z * z;
	double centre = ph + z2 / (2 * nn);
	double margin = z * sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn));
	double lb = (centre - margin) / (1 + z2 / nn);
	return lb < 0 ? 0 : lb;
}

/* The affected count the snapshot implies, VG_NONE unknown. */
static int64_t affected_of(const struct severity_snapshot *snap)
{
	if (vg_has(snap->affected))
		return snap->affected;
	if (!vg_has_d(snap->affected_rate) || snap->window_count <= 0)
		return VG_NONE;
	return (int64_t)llround(snap->affected_rate * (double)snap->window_count);
}

bool severity_proof_by_itself(const struct failure_event *ev, const struct severity_snapshot *snap)
{
	switch (ev->subtype) {
	case SUB_EXTRACTION: return true;
	case SUB_PII_LEAK: return strncmp(ev->causal.detail, "secret", 6) == 0;
	case SUB_AUTH: {
		int64_t k = affected_of(snap);
		return vg_has(k) && k > 0 && k >= snap->window_count;
	}
	default: return false;
	}
}

/* Whether the scope's numbers are evidence enough for HIGH or CRITICAL: the
 * share's lower bound and the count; or, for a provider failure, a breaker
 * that is not closed (it opened on consecutive_failures in a row or on its
 * failure rate over a minimum volume: a count of its own, and the one that
 * holds once the gateway stops sending the provider traffic). */
static bool evidence(enum category cat, const struct severity_snapshot *snap,
                     const struct severity_table *t, double *lb)
{
	int64_t k = affected_of(snap);
	*lb = VG_NONE_D;
	if (cat == CAT_PROVIDER && snap->breaker != BRK_CLOSED) {
		if (vg_has(k) && snap->window_count > 0)
			*lb = severity_wilson_lower(k, snap->window_count);
		return true;
	}
	if (!vg_has(k) || snap->window_count <= 0)
		return false;
	*lb = severity_wilson_lower(k, snap->window_count);
	return k >= t->settings.evidence_count && *lb >= t->settings.isolated_rate;
}

enum severity severity_classify(const struct failure_event *ev,
                                const struct severity_snapshot *snap,
                                const struct severity_table *t, struct severity_why *why)
{
	struct severity_why w;
	memset(&w, 0, sizeof(w));
	w.evidence_lb = VG_NONE_D;
	enum traffic_class tc = snap->traffic_class;
	if ((int)tc < 0 || tc >= TC__COUNT)
		tc = ev->traffic_class;
	if ((int)tc < 0 || tc >= TC__COUNT)
		tc = (enum traffic_class)t->settings.default_traffic_class;
	w.traffic_class = tc;
	enum severity sev;
	if ((int)ev->category < 0 || ev->category >= CAT_TAXONOMY_COUNT) {
		/* vigil's own health (kind monitor): routed like HIGH. */
		w.recoverability = REC_NONE;
		sev = w.base = SEV_HIGH;
	} else {
		w.recoverability = severity_recoverability(ev->category, snap, t);
		/* Slow answers are still answers: a latency degradation loses no
		 * request, so it is never unrecoverable. Traffic runs on reduced
		 * margin, as with failover (CRITICAL is kept for an outage with no
		 * healthy fallback). */
		if (ev->category == CAT_PROVIDER && ev->subtype == SUB_LATENCY &&
		    w.recoverability == REC_NONE)
			w.recoverability = REC_FAILOVER;
		sev = w.base = t->cell[ev->category][tc][w.recoverability];
		if (w.recoverability == REC_NONE && vg_has_d(snap->blast_radius) &&
		    snap->blast_radius >= t->settings.blast_raise && sev != SEV_CRITICAL) {
			sev = (enum severity)(sev - 1);
			w.raised_by_blast = true;
		}
		if (snap->early_warning) {
			sev = SEV_LOW;
			w.early_warning = true;
		} else if (sev == SEV_MEDIUM && vg_has(snap->medium_since_ms) &&
		           snap->now_ms - snap->medium_since_ms >= t->escalation_ms) {
			sev = SEV_HIGH;
			w.escalated = true;
		}
		/* Pages need evidence (a sustained MEDIUM stream is its own). */
		w.proof = severity_proof_by_itself(ev, snap);
		bool enough = evidence(ev->category, snap, t, &w.evidence_lb);
		if (sev < SEV_MEDIUM && !w.escalated && !w.proof && !enough) {
			sev = SEV_MEDIUM;
			w.capped = true;
		}
	}
	if (why)
		*why = w;
	return sev;
}
