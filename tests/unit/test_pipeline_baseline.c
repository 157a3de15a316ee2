/*
 * test_pipeline_baseline.c: baselines inside the pipeline (core/pipeline_
 * baseline.c), fed like replay feeds it (observations at their end time,
 * a tick a minute, the weekly refresh inline when the effects say it is
 * due), on four weeks of a long-context workload: business hours (Monday
 * to Friday, 13:00-21:59 UTC) at a median of 6 s, p95 near 10.7 s, over the
 * static bar (thresholds.latency_ms 10 s at p95) most afternoons; nights at
 * 0.8 s; 5% week-to-week variation.
 *
 *  - a cold deployment judges as without baselines: week 1's events are
 *    the same, one by one, with baselines on and off;
 *  - warm slots replace the static bar: in week 4, busy afternoons raise no
 *    latency event with baselines (dozens without);
 *  - a night jump under the static bar (Sunday 03:00, median 0.8 s -> 4 s,
 *    p95 about 7 s) is a PROVIDER/latency event with baselines, with the
 *    numbers in its causal signals, and nothing without;
 *  - the effects: minute and hour rollups close, the refresh comes due on
 *    Mondays at 04:00 UTC and its models come back as effects;
 *  - a restored model and week (what a restart does) judge as the original;
 *  - a step at a new snapshot becomes review items (alias and aggregate),
 *    the alerts fold into "review waiting" events while they wait, and
 *    accept and reject are operator actions (pipeline_operator_action).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pipeline.h"
#include "core/rollup_codec.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0     1767571200000LL /* Monday 2026-01-05 00:00 UTC */
#define MIN_MS 60000LL
#define HOUR   3600000LL
#define DAY    (24 * HOUR)
#define WEEK   (7 * DAY)
#define RPM    4 /* requests a minute */

struct rng {
	uint64_t s;
};

static double uniform(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(struct rng *r)
{
	return sqrt(-2.0 * log(uniform(r))) * cos(2.0 * M_PI * uniform(r));
}

/* What was decided, kept per event. */
struct ev {
	int64_t t;
	enum subtype sub;
	char detail[128];
	double expected;
	int64_t slot;
	char model[VG_MODEL_MAX]; /* the series' alias, "" for an aggregate */
	char region[VG_NAME_MAX]; /* "" for a baseline's event: a series spans regions */
};

struct run {
	struct pipeline *p;
	bool baselines;
	struct ev *ev;
	size_t n_ev, cap_ev;
	int refreshes, minutes, hours, models;
	/* closed hours, encoded, with their series (for the restore test) */
	struct {
		struct rollup_series key;
		uint8_t *enc;
		size_t len;
		int64_t start;
	} held[2048];
	size_t n_held;
	struct pipeline_review reviews[8];
	size_t n_reviews;
	int64_t due_at[8];
	/* the night jump: Sunday of week 4 (index 3), 03:00-03:59 */
	bool jump;
	/* a step: from Wednesday 12:00 of week 4 a new snapshot, 60% slower */
	bool step;
};

static void keep(struct run *r, const struct effects *fx)
{
	for (size_t i = 0; i < fx->n_events; i++) {
		if (r->n_ev == r->cap_ev) {
			r->cap_ev = r->cap_ev ? 2 * r->cap_ev : 256;
			r->ev = realloc(r->ev, r->cap_ev * sizeof(*r->ev));
			assert_non_null(r->ev);
		}
		struct ev *e = &r->ev[r->n_ev++];
		e->t = fx->events[i].time_ms;
		e->sub = fx->events[i].subtype;
		memcpy(e->detail, fx->events[i].causal.detail, sizeof(e->detail));
		e->expected = fx->events[i].causal.baseline_expected;
		e->slot = fx->events[i].causal.baseline_slot;
		memcpy(e->model, fx->events[i].pid.model, sizeof(e->model));
		memcpy(e->region, fx->events[i].pid.region, sizeof(e->region));
	}
	for (size_t i = 0; i < fx->n_rollups; i++) {
		const struct pipeline_rollup *ru = &fx->rollups[i];
		assert_true(ru->rollup->requests > 0);
		if (!ru->hour) {
			r->minutes++;
			continue;
		}
		r->hours++;
		if (r->n_held < sizeof(r->held) / sizeof(r->held[0])) {
			uint8_t *buf = malloc(ROLLUP_ENCODED_MAX);
			assert_non_null(buf);
			int n = rollup_encode(ru->rollup, buf, ROLLUP_ENCODED_MAX);
			assert_true(n > 0);
			r->held[r->n_held].key = *ru->series;
			r->held[r->n_held].enc = buf;
			r->held[r->n_held].len = (size_t)n;
			r->held[r->n_held].start = ru->rollup->start_ms;
			r->n_held++;
		}
	}
	r->models += (int)fx->n_models;
	for (size_t i = 0; i < fx->n_reviews && r->n_reviews < 8; i++)
		r->reviews[r->n_reviews++] = fx->reviews[i];
}

static void refresh_if_due(struct run *r, const struct effects *fx)
{
	if (!fx->baseline_refresh_due)
		return;
	struct baseline_job *j;
	assert_int_equal(pipeline_baseline_take(r->p, &j), 0);
	if (r->refreshes < 8)
		r->due_at[r->refreshes] = j->cutoff_ms;
	r->refreshes++;
	assert_int_equal(baseline_job_run(j), 0);
	struct effects out;
	assert_int_equal(pipeline_baseline_apply(r->p, j, pipeline_now(r->p), &out), 0);
	keep(r, &out);
	baseline_job_free(j);
}

static bool business(int64_t t)
{
	int how = timeparse_hour_of_week(t);
	int day = how / 24, hour = how % 24;
	return day < 5 && hour >= 13 && hour <= 21;
}

/* The median latency (ms) of hour t in week w (week-to-week variation by a
 * draw per week and hour of week, fixed by the seed). */
static bool stepped(const struct run *r, int64_t t)
{
	return r->step && t - T0 >= 3 * WEEK + 2 * DAY + 12 * HOUR;
}

static double median_of(const struct run *r, int64_t t, double wobble)
{
	if (stepped(r, t))
		return (business(t) ? 6000.0 : 800.0) * wobble * 1.6;
	int64_t in_week = (t - T0) % WEEK;
	bool jump = r->jump && t - T0 >= 3 * WEEK && in_week >= 6 * DAY + 3 * HOUR &&
	            in_week < 6 * DAY + 4 * HOUR;
	if (jump)
		return 4000;
	return (business(t) ? 6000.0 : 800.0) * wobble;
}

/* The traffic generator, resumable: its draws continue where it stopped. */
struct gen {
	struct rng rng, wob;
	double wobble;
	int n;
	int64_t m; /* the next minute */
};

static void gen_init(struct gen *g, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->rng.s = seed;
	g->wob.s = seed ^ 0x5DEECE66DULL;
	g->wobble = 1;
}

/* Feed minutes up to (not including) minute `to`. */
static void feed_until(struct run *r, struct gen *g, int64_t to)
{
	for (; g->m < to; g->m++) {
		int64_t t = T0 + g->m * MIN_MS;
		if (g->m % 60 == 0)
			g->wobble = exp(0.05 * normal(&g->wob));
		double med = median_of(r, t, g->wobble);
		for (int k = 0; k < RPM; k++) {
			struct observation o;
			observation_init(&o);
			o.source = OBS_GATEWAY;
			model_copy_str(o.pid.provider, sizeof(o.pid.provider), "openai",
			               (size_t)-1);
			model_copy_str(o.pid.model, sizeof(o.pid.model),
			               stepped(r, t) ? "gpt-4o-2024-11-20" : "gpt-4o-2024-08-06",
			               (size_t)-1);
			/* two regions, one series: its events name neither */
			model_copy_str(o.pid.region, sizeof(o.pid.region),
			               k % 2 ? "us-east-1" : "eu-west-1", (size_t)-1);
			snprintf(o.request_id, sizeof(o.request_id), "r%d", g->n++);
			o.total_ms = med * exp(0.35 * normal(&g->rng));
			o.ts_ms = t + k * (MIN_MS / RPM) - (int64_t)o.total_ms;
			o.http_status = 200;
			o.norm.error_class = EC_OK;
			o.norm.finish = FR_STOP;
			o.input_tokens = 20000;
			o.output_tokens = 300;
			struct effects fx;
			assert_int_equal(pipeline_feed(r->p, &o, observation_end_ms(&o), &fx), 0);
			keep(r, &fx);
			refresh_if_due(r, &fx);
		}
		struct effects fx;
		assert_int_equal(pipeline_tick(r->p, t + MIN_MS - 1, &fx), 0);
		keep(r, &fx);
		refresh_if_due(r, &fx);
	}
}

static void feed_weeks(struct run *r, int weeks, uint64_t seed)
{
	struct gen g;
	gen_init(&g, seed);
	feed_until(r, &g, (int64_t)weeks * WEEK / MIN_MS);
}

static void run_init(struct run *r, bool baselines, bool jump)
{
	memset(r, 0, sizeof(*r));
	struct core_settings cs;
	settings_defaults(&cs);
	r->p = pipeline_new(&cs, NULL, 0);
	assert_non_null(r->p);
	struct baseline_settings bs;
	baseline_defaults(&bs);
	bs.enabled = baselines;
	assert_int_equal(pipeline_set_baselines(r->p, &bs, 2, 0), 0);
	assert_int_equal(pipeline_baselines_on(r->p), baselines);
	r->baselines = baselines;
	r->jump = jump;
}

static void run_done(struct run *r)
{
	pipeline_free(r->p);
	free(r->ev);
	for (size_t i = 0; i < r->n_held; i++)
		free(r->held[i].enc);
}

static int count(const struct run *r, enum subtype sub, int64_t from, int64_t to,
                 bool (*when)(int64_t))
{
	int n = 0;
	for (size_t i = 0; i < r->n_ev; i++)
		if (r->ev[i].sub == sub && r->ev[i].t >= from && r->ev[i].t < to &&
		    (!when || when(r->ev[i].t)))
			n++;
	return n;
}

static bool any_time(int64_t t)
{
	(void)t;
	return true;
}

/* A cold deployment: the same events, one by one, as without baselines. */
static void test_cold_is_today(void **state)
{
	(void)state;
	struct run on, off;
	run_init(&on, true, false);
	run_init(&off, false, false);
	feed_weeks(&on, 1, 7);
	feed_weeks(&off, 1, 7);
	assert_true(count(&off, SUB_LATENCY, T0, T0 + WEEK, business) > 20);
	assert_int_equal(on.n_ev, off.n_ev);
	for (size_t i = 0; i < on.n_ev; i++) {
		assert_int_equal(on.ev[i].t, off.ev[i].t);
		assert_int_equal(on.ev[i].sub, off.ev[i].sub);
		assert_string_equal(on.ev[i].detail, off.ev[i].detail);
	}
	/* the baselines ran all the same: rollups closed (two series), the
	 * first refresh at the first Monday 04:00 after the start learned its
	 * four hours */
	assert_int_equal(on.refreshes, 1);
	assert_int_equal(on.due_at[0], T0 + 4 * HOUR);
	assert_int_equal(on.hours, 2 * 7 * 24 - 2);
	assert_true(on.minutes > 2 * 7 * 24 * 59);
	assert_int_equal(off.hours + off.minutes, 0);
	run_done(&on);
	run_done(&off);
}

/* Four weeks: warm slots replace the static bar, the night jump under it
 * is caught. */
static void test_warm_replaces_static(void **state)
{
	(void)state;
	struct run on, off;
	run_init(&on, true, true);
	run_init(&off, false, true);
	feed_weeks(&on, 4, 11);
	feed_weeks(&off, 4, 11);
	/* refreshes on Mondays at 04:00 UTC, weeks 1 to 4 */
	assert_int_equal(on.refreshes, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(on.due_at[i], T0 + i * WEEK + 4 * HOUR);
	assert_int_equal(on.models, 4 * 2);
	const struct rollup_series key = { "openai", "gpt-4o", OBS_GATEWAY };
	const struct baseline_model *m = pipeline_baseline_model(on.p, &key);
	assert_non_null(m);
	const struct baseline_ctx *c = pipeline_baseline_ctx(on.p);
	assert_true(baseline_warm_share(m, &c->s, BM_LATENCY) > 0.9);

	int64_t w4 = T0 + 3 * WEEK;
	int busy_off = count(&off, SUB_LATENCY, w4, w4 + WEEK, business);
	int busy_on = count(&on, SUB_LATENCY, w4, w4 + WEEK, business);
	printf("week 4 business-hour latency events: %d without baselines, %d with\n", busy_off,
	       busy_on);
	assert_true(busy_off >= 20);
	assert_int_equal(busy_on, 0);

	/* the night jump, Sunday 03:00 of week 4 */
	int64_t j0 = w4 + 6 * DAY + 3 * HOUR;
	assert_int_equal(count(&off, SUB_LATENCY, j0, j0 + HOUR, any_time), 0);
	const struct ev *first = NULL;
	for (size_t i = 0; i < on.n_ev && !first; i++)
		if (on.ev[i].sub == SUB_LATENCY && on.ev[i].t >= j0 && on.ev[i].t < j0 + HOUR)
			first = &on.ev[i];
	assert_non_null(first);
	printf("night jump caught after %.1f min: %s\n", (double)(first->t - j0) / 60000.0,
	       first->detail);
	assert_true(first->t - j0 <= 10 * MIN_MS);
	assert_int_equal(first->slot, 6 * 24 + 3);
	assert_true(first->expected > 500 && first->expected < 2000);
	assert_non_null(strstr(first->detail, "usual"));
	assert_non_null(strstr(first->detail, "for Sun 03:00 UTC"));
	/* the series spans both regions: its events name neither, so its
	 * re-alerts group into one incident whichever request closed a window */
	for (size_t i = 0; i < on.n_ev; i++)
		if (on.ev[i].t >= j0 && on.ev[i].t < j0 + HOUR)
			assert_string_equal(on.ev[i].region, "");
	/* nothing else all week 4 outside the jump */
	int other = 0;
	for (size_t i = 0; i < on.n_ev; i++)
		if (on.ev[i].t >= w4 && !(on.ev[i].t >= j0 && on.ev[i].t < j0 + 2 * HOUR))
			other++;
	assert_int_equal(other, 0);
	run_done(&on);
	run_done(&off);
}

/* A restart on Wednesday of week 4: the models, their refresh time and
 * the hours closed since (what the store keeps) restored into a new
 * pipeline, which then judges the rest of week 4 (the night jump included)
 * as the pipeline that never stopped. */
static void test_restore_continues(void **state)
{
	(void)state;
	struct run a, b, c;
	run_init(&a, true, true);
	run_init(&b, true, true);
	run_init(&c, true, true);
	struct gen ga, gb;
	gen_init(&ga, 11);
	gen_init(&gb, 11);
	int64_t stop = (3 * WEEK + 2 * DAY) / MIN_MS; /* Wednesday 00:00, week 4 */
	feed_until(&a, &ga, 4 * WEEK / MIN_MS);
	feed_until(&b, &gb, stop);
	struct effects fx; /* the open hour closes at the stop */
	assert_int_equal(pipeline_tick(b.p, T0 + stop * MIN_MS, &fx), 0);
	keep(&b, &fx);
	assert_int_equal(b.refreshes, 4);
	int64_t refreshed = b.due_at[3];
	for (size_t i = 0; i < pipeline_baseline_count(b.p); i++) {
		const struct rollup_series *k = pipeline_baseline_key(b.p, i);
		assert_int_equal(pipeline_baseline_restore_model(
		                         c.p, pipeline_baseline_model(b.p, k), refreshed),
		                 0);
	}
	int restored = 0;
	for (size_t i = 0; i < b.n_held; i++) {
		assert_int_equal(pipeline_baseline_restore_hour(c.p, &b.held[i].key, b.held[i].enc,
		                                                b.held[i].len),
		                 0);
		restored += b.held[i].start >= refreshed;
	}
	assert_int_equal(restored, 2 * (2 * 24 - 4));
	c.refreshes = b.refreshes;
	feed_until(&c, &gb, 4 * WEEK / MIN_MS);
	/* a's events after the restart (and a window) are c's, one by one */
	int64_t from = T0 + stop * MIN_MS + 10 * MIN_MS;
	size_t ia = 0, ic = 0, same = 0;
	while (ia < a.n_ev && a.ev[ia].t < from)
		ia++;
	while (ic < c.n_ev && c.ev[ic].t < from)
		ic++;
	assert_int_equal(a.n_ev - ia, c.n_ev - ic);
	assert_true(a.n_ev - ia > 0); /* the night jump */
	for (; ia < a.n_ev; ia++, ic++, same++) {
		assert_int_equal(a.ev[ia].t, c.ev[ic].t);
		assert_string_equal(a.ev[ia].detail, c.ev[ic].detail);
	}
	/* the refresh of week 5 would find the same hours: the models agree */
	const struct rollup_series key = { "openai", "gpt-4o", OBS_GATEWAY };
	assert_memory_equal(pipeline_baseline_model(a.p, &key), pipeline_baseline_model(c.p, &key),
	                    sizeof(struct baseline_model));
	run_done(&a);
	run_done(&b);
	run_done(&c);
}

/* A step at a new snapshot: the refresh makes it a review item, the
 * series' alerts fold into "review waiting" events while it waits, and an
 * operator's accept (an action, as the daemon applies it) absorbs it. */
static void test_review_waits_then_accept(void **state)
{
	(void)state;
	struct run r;
	run_init(&r, true, false);
	r.step = true;
	struct gen g;
	gen_init(&g, 5);
	/* weeks 1 to 4, and week 5 up to Monday 10:00 */
	feed_until(&r, &g, (4 * WEEK + 10 * HOUR) / MIN_MS);
	assert_int_equal(r.refreshes, 5);
	/* the refresh of week 5 found the step in the alias series (at the
	 * marker) and in the aggregate */
	const struct pipeline_review *rv = NULL;
	for (size_t i = 0; i < r.n_reviews; i++)
		if (r.reviews[i].series.alias[0])
			rv = &r.reviews[i];
	assert_non_null(rv);
	assert_int_equal(rv->state, PRV_WAITING);
	assert_true(rv->review.near_marker);
	assert_string_equal(rv->review.model, "gpt-4o-2024-11-20");
	printf("review #%lld: %s\n", (long long)rv->id, rv->text);
	int64_t refreshed = T0 + 4 * WEEK + 4 * HOUR;
	/* while it waits: the step's verdicts are "review waiting" events, at
	 * most one every re-alert period (5 minutes) per series */
	int waiting = 0, other = 0;
	for (size_t i = 0; i < r.n_ev; i++) {
		if (r.ev[i].t < refreshed)
			continue;
		if (strncmp(r.ev[i].detail, "baseline review waiting: ", 25) == 0)
			waiting++;
		else
			other++;
	}
	assert_true(waiting >= 1);
	assert_true(waiting <= 2 * 6 * 12 + 2);
	assert_int_equal(other, 0);
	/* an unknown id, and the decision */
	struct effects fx;
	int64_t now = pipeline_now(r.p);
	assert_int_equal(pipeline_operator_action(r.p, ACTION_ACCEPT, 999, now, "alice", "", &fx),
	                 VG_ENOTFOUND);
	const struct rollup_series key = { "openai", "gpt-4o", OBS_GATEWAY };
	assert_true(pipeline_baseline_model(r.p, &key)->review.pending);
	double before = pipeline_baseline_model(r.p, &key)->stat[1].level;
	assert_int_equal(
	        pipeline_operator_action(r.p, ACTION_ACCEPT, rv->id, now, "alice", "", &fx), 0);
	assert_int_equal(fx.n_models, 1);
	assert_int_equal(fx.n_reviews, 1);
	assert_int_equal(fx.reviews[0].state, PRV_ACCEPTED);
	assert_string_equal(fx.reviews[0].actor, "alice");
	assert_int_equal(fx.reviews[0].decided_ms, now);
	assert_false(pipeline_baseline_model(r.p, &key)->review.pending);
	assert_true(pipeline_baseline_model(r.p, &key)->stat[1].level > before + 0.3);
	assert_int_equal(
	        pipeline_operator_action(r.p, ACTION_ACCEPT, rv->id, now, "alice", "", &fx),
	        VG_ENOTFOUND);
	/* accepted: the alias series takes the new normal and is quiet; the
	 * provider's aggregate, whose review still waits, speaks for the step
	 * with "review waiting" events */
	size_t seen = r.n_ev;
	feed_until(&r, &g, (4 * WEEK + 16 * HOUR) / MIN_MS);
	int agg_waiting = 0;
	for (size_t i = seen; i < r.n_ev; i++) {
		assert_string_equal(r.ev[i].model, "");
		assert_int_equal(strncmp(r.ev[i].detail, "baseline review waiting: ", 25), 0);
		agg_waiting++;
	}
	assert_true(agg_waiting >= 1);
	/* the aggregate's review rejected (an action too) */
	const struct pipeline_review *ra = NULL;
	for (size_t i = 0; i < r.n_reviews; i++)
		if (!r.reviews[i].series.alias[0] && r.reviews[i].state == PRV_WAITING)
			ra = &r.reviews[i];
	assert_non_null(ra);
	assert_int_equal(pipeline_operator_action(r.p, ACTION_REJECT, ra->id, pipeline_now(r.p),
	                                          "bob", "", &fx),
	                 0);
	assert_int_equal(fx.reviews[0].state, PRV_REJECTED);
	seen = r.n_ev;
	feed_until(&r, &g, (4 * WEEK + 17 * HOUR) / MIN_MS);
	/* rejected: the aggregate keeps its old baseline and reports the step
	 * as a deviation again (warm slots), no longer as a review */
	for (size_t i = seen; i < r.n_ev; i++) {
		assert_string_equal(r.ev[i].model, "");
		assert_int_not_equal(strncmp(r.ev[i].detail, "baseline review waiting: ", 25), 0);
	}
	run_done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cold_is_today),
		cmocka_unit_test(test_warm_replaces_static),
		cmocka_unit_test(test_restore_continues),
		cmocka_unit_test(test_review_waits_then_accept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
