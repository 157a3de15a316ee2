/*
 * demo_seed.h: warm baselines for `vigil demo`. Before the live part
 * starts, the shipped baseline-weeks scenario (sim/scenarios/baseline-
 * weeks.yaml: a daily and weekly rhythm, on its own clock) is generated in
 * memory for the same two hours of the week in each of the four weeks
 * before now (from an hour before the moment of the week the demo starts
 * at to an hour after: the slot the live part is judged against, and its
 * neighbours, which count near an hour's edge),
 * with its rhythm on the UTC hours those windows cover, and replayed from
 * a cold start through a pipeline with the built-in settings (app/replay:
 * the weekly refreshes run inline, on the lines' own clock, across the
 * gaps). Each series' learned model is written to the demo's database,
 * where the daemon restores it at start. Only models are written: no
 * observation, event or incident of the seed reaches the database, so the
 * demo's incidents are the live scenario's alone. The other hours of the
 * week stay cold (the console says how many slots are warm).
 */
#ifndef VIGIL_APP_DEMO_SEED_H
#define VIGIL_APP_DEMO_SEED_H

#include <stdint.h>

struct demo_seed_result {
	int64_t from_ms, to_ms; /* the first window's start, the last one's end */
	uint64_t lines;         /* gateway lines replayed */
	int series;             /* models written */
	int warm_series;        /* gateway series whose latency slot of now is warm */
	int gateway_series;
	int64_t took_ms; /* wall time spent */
};

/*
 * Seed the database at db_path (created if absent) with baselines learned
 * from four weeks of baseline-weeks before now_ms (the wall clock: the
 * live part's lines carry it). Returns 0 and fills *res, or a negative
 * vg_err with a malloc'd message in *cause (caller frees).
 */
int demo_seed(const char *db_path, int64_t now_ms, struct demo_seed_result *res, char **cause);

#endif
