/*
 * demo_seed.c: warm baselines for the demo (see demo_seed.h).
 *
 * Four windows, WINDOW_BEFORE_MS before and WINDOW_AFTER_MS after the same
 * moment of the week, one to four weeks before now, each played by its own
 * generator (its own seed, so request ids differ) with the scenario's
 * clock set to the window's UTC start, so the rhythm's business hours fall
 * on the UTC hours of the shipped scenario. Four weeks, because a slot is
 * warm after two weeks' learning (decayed) and the refresh of the latest
 * window may not have come yet. At the scenario's rate a window is 1,400
 * (a night) to 4,300 lines (business hours).
 */
#include "app/demo_seed.h"

#include "app/replay.h"
#include "core/baseline.h"
#include "core/pipeline.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "data/decode.h"
#include "data/store.h"
#include "net/clock.h"
#include "sim/sim.h"

#include <stdlib.h>

#define HOUR_MS          3600000LL
#define WEEK_MS          (7 * 24 * HOUR_MS)
#define WINDOW_BEFORE_MS HOUR_MS
#define WINDOW_AFTER_MS  HOUR_MS
#define SEED_WEEKS       4

struct feed {
	struct decoder *dec;
	struct replay *replay;
	uint64_t lines;
};

static int on_line(void *ud, const char *line, size_t len)
{
	struct feed *f = ud;
	struct decode_result res;
	int rc = decode_line(f->dec, DECODE_VIGIL, line, len, &res);
	if (rc != 0)
		return rc;
	f->lines++;
	replay_count_line(f->replay);
	for (size_t i = 0; i < res.n_obs && rc == 0; i++)
		rc = replay_feed(f->replay, &res.obs[i]);
	return rc;
}

/* Every series' model into the database, through the store thread. */
static int write_models(const char *db_path, const struct pipeline *p, int64_t refreshed,
                        int64_t now, int *series, char **cause)
{
	int err = 0;
	struct store_batch *b = store_batch_new(store_once_commit, &err);
	if (!b)
		return VG_ENOMEM;
	int rc = 0;
	*series = 0;
	for (size_t i = 0; rc == 0 && i < pipeline_baseline_count(p); i++) {
		const struct baseline_model *m =
		        pipeline_baseline_model(p, pipeline_baseline_key(p, i));
		if (m && (rc = store_batch_add_baseline_model(b, m, refreshed, now)) == 0)
			(*series)++;
	}
	if (rc != 0) {
		store_batch_free(b);
		return rc;
	}
	return store_write_once(db_path, b, &err, cause);
}

/* How many gateway series have their latency slot of now warm. */
static void warm_now(const struct pipeline *p, int64_t now, struct demo_seed_result *res)
{
	const struct baseline_ctx *c = pipeline_baseline_ctx(p);
	int slot = timeparse_hour_of_week(now);
	for (size_t i = 0; c && i < pipeline_baseline_count(p); i++) {
		const struct rollup_series *k = pipeline_baseline_key(p, i);
		const struct baseline_model *m = pipeline_baseline_model(p, k);
		if (!m || k->source != OBS_GATEWAY)
			continue;
		res->gateway_series++;
		res->warm_series +=
		        baseline_slot_weight(m, &c->s, BM_LATENCY, slot) >= c->s.warm_weight;
	}
}

/* One window of the scenario, from `start` (UTC) on its own clock. */
static int play_window(struct sim_scenario *scn, int64_t start, uint64_t seed, struct feed *f,
                       char **cause)
{
	scn->start_ms = start; /* the rhythm follows the window's UTC hours */
	struct sim_gateway_opts go = {
		.scenario = scn,
		.seed = seed,
		.start_ms = start,
		.duration_ms = WINDOW_BEFORE_MS + WINDOW_AFTER_MS,
	};
	struct sim_gateway *g = sim_gateway_new(&go, cause);
	if (!g)
		return VG_ENOMEM;
	int rc = sim_gateway_advance(g, go.duration_ms, on_line, f);
	sim_gateway_free(g);
	return rc;
}

int demo_seed(const char *db_path, int64_t now_ms, struct demo_seed_result *res, char **cause)
{
	int64_t t0 = clock_mono_ms();
	*res = (struct demo_seed_result){ 0 };
	res->from_ms = now_ms - SEED_WEEKS * WEEK_MS - WINDOW_BEFORE_MS;
	res->to_ms = now_ms - WEEK_MS + WINDOW_AFTER_MS;

	struct sim_scenario *scn = NULL;
	int rc = sim_scenario_load("baseline-weeks", &scn, cause);
	if (rc != 0)
		return rc;
	struct feed f = { .dec = decoder_new() };
	struct replay_options ro = { .keep_events = false };
	rc = f.dec ? replay_new(&ro, &f.replay, cause) : VG_ENOMEM;
	for (int k = SEED_WEEKS; rc == 0 && k >= 1; k--)
		rc = play_window(scn, now_ms - k * WEEK_MS - WINDOW_BEFORE_MS,
		                 scn->seed + (uint64_t)k, &f, cause);
	if (rc == 0)
		rc = replay_finish(f.replay);
	if (rc == 0)
		rc = write_models(db_path, replay_pipeline(f.replay), replay_last_refresh(f.replay),
		                  res->to_ms, &res->series, cause);
	if (rc == 0)
		warm_now(replay_pipeline(f.replay), now_ms, res);
	res->lines = f.lines;
	replay_free(f.replay);
	decoder_free(f.dec);
	free(scn);
	if (rc != 0 && cause && !*cause)
		vg_cause(cause, rc, "seeding the baselines failed: %s", vg_strerror(rc));
	res->took_ms = clock_mono_ms() - t0;
	return rc;
}
