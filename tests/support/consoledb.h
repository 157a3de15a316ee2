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

#endif
