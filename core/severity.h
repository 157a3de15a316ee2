/*
 * severity.h: the severity classifier, a pure function
 * (failure event, system snapshot) -> severity.
 *
 * Three dimensions (docs/severity.md):
 *   business impact  the traffic class of the affected requests (revenue,
 *                    compliance, internal, experimental; unset = the
 *                    configured default);
 *   recoverability   isolated (a small share of recent requests fails, and for
 *                    provider failures the breaker is closed), failover (the
 *                    failing provider's traffic is being served elsewhere, or
 *                    a healthy fallback is configured), or none;
 *   blast radius     the share of all recent requests affected: at or above
 *                    severity.blast_raise an unrecoverable failure goes up one.
 * Rates are measured in the incident's own scope (the provider for provider
 * failures; the template and traffic class for quality, cost and security).
 * HIGH and CRITICAL need evidence: at least evidence_count affected requests
 * in the scope and the Wilson 95% lower bound of their share at or over
 * isolated_rate, or (provider failures) a breaker that is not closed; until
 * then the event is MEDIUM at most. A single case that
 * is proof by itself (severity_proof_by_itself) is exempt.
 * A default table (category x traffic class x recoverability) gives the
 * base; the config's override rows are applied over it in order. Then:
 * an early warning (a signal trending toward, but below, its threshold) is
 * LOW; a MEDIUM that has been sustained for escalation_ms becomes HIGH.
 *
 * The reference cases, as defaults: primary outage with no healthy fallback
 * = CRITICAL; the same with failover working = HIGH; quality regression on a
 * low-traffic experimental feature = MEDIUM; drift trending toward its
 * threshold = LOW.
 */
#ifndef VIGIL_CORE_SEVERITY_H
#define VIGIL_CORE_SEVERITY_H

#include "core/event.h"
#include "core/settings.h"

/* The state of the system an event is judged against. Built by the pipeline;
 * tests build it by hand. */
struct severity_snapshot {
	int64_t now_ms;
	enum traffic_class traffic_class; /* of the affected request; TC_UNSET = default */
	double provider_availability;     /* the provider's decayed availability, NaN unknown */
	enum breaker_state breaker;       /* the worse of the provider's and the model's */
	bool failover_working;            /* recent successful fallback traffic for this provider,
	                                   * or a healthy configured fallback */
	double affected_rate;             /* share of the scope's recent requests with a
	                                   * failure of the event's category, NaN unknown */
	int64_t window_count;             /* requests behind affected_rate (the scope's) */
	int64_t affected;                 /* of them affected; VG_NONE = affected_rate x
	                                   * window_count */
	double blast_radius;              /* share of all recent requests affected, NaN unknown */
	bool early_warning;      /* the signal is trending toward, not over, its threshold */
	int64_t medium_since_ms; /* start of a sustained MEDIUM stream for this provider
	                                   * and category, VG_NONE when there is none */
};

/* Set every field to "unknown" (closed breaker, no failover, unset class). */
void severity_snapshot_init(struct severity_snapshot *s, int64_t now_ms);

/* The resolved table: defaults with the config's overrides applied. */
struct severity_table {
	enum severity cell[CAT_TAXONOMY_COUNT][TC__COUNT][REC__COUNT];
	struct severity_settings settings;
	int64_t escalation_ms;
};

/* Build the table from settings (defaults, then settings->severity.overrides
 * in order; rows with out-of-range values are skipped). */
void severity_table_init(struct severity_table *t, const struct core_settings *settings);

/* The built-in default for one cell (before overrides). */
enum severity severity_default(enum category cat, enum traffic_class tc, enum recoverability rec);

/* Why a severity was chosen (for causal detail and tests). */
struct severity_why {
	enum traffic_class traffic_class; /* after the default was applied */
	enum recoverability recoverability;
	enum severity base; /* the table's cell */
	bool raised_by_blast;
	bool early_warning;
	bool escalated;     /* MEDIUM sustained -> HIGH */
	bool proof;         /* a single case that is proof by itself: no evidence needed */
	double evidence_lb; /* Wilson 95% lower bound of the affected share, NaN unknown */
	bool capped;        /* HIGH or CRITICAL without evidence, held at MEDIUM */
};

/* The Wilson score interval's lower bound (95%, z = 1.96) of k successes in
 * n trials; NaN when n <= 0. */
double severity_wilson_lower(int64_t k, int64_t n);

/* Whether one event is proof by itself (docs/severity.md): a planted canary
 * found in an answer (security/extraction), a leaked key (security/pii_leak of
 * kind secret), an auth failure of every request in the scope. */
bool severity_proof_by_itself(const struct failure_event *ev, const struct severity_snapshot *snap);

/* The recoverability the snapshot implies for an event of category cat. */
enum recoverability severity_recoverability(enum category cat, const struct severity_snapshot *snap,
                                            const struct severity_table *t);

/*
 * Classify one event. Reads ev->category (ev->subtype, ev->traffic_class as
 * a fallback for the snapshot's class) and the snapshot only. Events of
 * category MONITOR (vigil's own health) are HIGH. `why` may be NULL.
 */
enum severity severity_classify(const struct failure_event *ev,
                                const struct severity_snapshot *snap,
                                const struct severity_table *t, struct severity_why *why);

/* Static name of a recoverability ("isolated", "failover", "none"); parse it back. */
const char *severity_recoverability_name(enum recoverability r);
int severity_recoverability_parse(const char *s, size_t len);

#endif
