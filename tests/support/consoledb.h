/*
 * consoledb.h: a database as a daemon would leave it, for the console's
 * tests and bench: seeded synthetic gateway traffic (three providers, a
 * background of errors, an outage of the primary near the end, a token
 * inflation attack and hallucinations on the fallback) fed through the real
 * pipeline, its effects and health rows written by the real store thread.
 */
#ifndef VIGIL_TESTS_CONSOLEDB_H
#define VIGIL_TESTS_CONSOLEDB_H

#include <stdint.h>

struct consoledb_opts {
	int64_t observations; /* how many requests */
	int64_t span_ms;      /* spread over this long, ending at end_ms */
	int64_t end_ms;       /* the time of the last request */
	uint64_t seed;
	double background_error_rate; /* share of requests failing at random (0.02) */
	int64_t health_every_ms;      /* write health rows this often (2000) */
	const char *hostile_model;    /* a model name carrying escapes, or NULL */
};

struct consoledb_result {
	int64_t observations, events, transitions, incidents;
	int64_t outage_incident; /* the primary's outage incident id, 0 if none */
};

/* Create `path` (which must not exist) and fill it. Returns 0 or a vg_err. */
int consoledb_fill(const char *path, const struct consoledb_opts *o, struct consoledb_result *r);

/*
 * Add baselines to a database consoledb_fill() made, through the store as a
 * refresh leaves them (models, review items, probe hours), learned from
 * synthetic hours ending at end_ms:
 *   - openai/gpt-4o-mini gateway and the openai aggregate: three weeks at
 *     1,000 requests an hour, p95 latency near 900 ms: every slot warm;
 *     each has a waiting review item, latency +60% (ln 1.6 = 0.47) from
 *     end_ms - 1 day, the alias's at a model-version marker
 *     (gpt-4o-mini-2024-12-01);
 *   - the openai probes' aggregate: 60 samples an hour, three weeks of
 *     Mondays and one week of the other days: 24 of 168 slots warm (14%),
 *     and 24 probe hours before end_ms in rollup_hour;
 *   - one decided item (anthropic aggregate, rejected by bob).
 * Review ids are 1 (aggregate), 2 (alias), 3 (decided). Returns 0 or a vg_err.
 */
int consoledb_add_baselines(const char *path, int64_t end_ms);

#endif
