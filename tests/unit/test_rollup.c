/*
 * test_rollup.c: per-series rollups (core/rollup): series keys with the
 * version stripped, error types from the normalised fields, what a request
 * contributes, minutes and hours that close as time passes (and only when
 * they hold requests), model-version markers, merging, and the hour's
 * quantiles read from its histogram.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rollup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MON 1704067200000LL /* Monday 2024-01-01 00:00 UTC */

static void obs_ok(struct observation *o, const char *model, double total_ms)
{
	observation_init(o);
	o->source = OBS_GATEWAY;
	model_copy_str(o->pid.provider, sizeof(o->pid.provider), "openai", (size_t)-1);
	model_copy_str(o->pid.model, sizeof(o->pid.model), model, (size_t)-1);
	o->http_status = 200;
	o->total_ms = total_ms;
	o->ttfb_ms = total_ms / 4;
	o->stream = VG_TRI_TRUE;
	o->input_tokens = 600;
	o->output_tokens = 400;
	o->cost_usd = 0.002;
	o->verdicts.schema_valid = VG_TRI_TRUE;
}

static void test_series_key(void **state)
{
	(void)state;
	struct observation o;
	obs_ok(&o, "gpt-4o-2024-08-06", 900);
	struct rollup_series k;
	rollup_series_of(&o, false, &k);
	assert_string_equal(k.provider, "openai");
	assert_string_equal(k.alias, "gpt-4o");
	assert_int_equal(k.source, OBS_GATEWAY);
	rollup_series_of(&o, true, &k);
	assert_string_equal(k.alias, "");
	o.source = OBS_PROBE;
	model_copy_str(o.pid.model, sizeof(o.pid.model), "claude-3-5-haiku-20241022", (size_t)-1);
	rollup_series_of(&o, false, &k);
	assert_string_equal(k.alias, "claude-3-5-haiku");
	assert_int_equal(k.source, OBS_PROBE);
	char buf[64];
	rollup_series_name(&k, buf, sizeof(buf));
	assert_string_equal(buf, "openai/claude-3-5-haiku probe");
}

static void test_error_types(void **state)
{
	(void)state;
	struct observation o;
	obs_ok(&o, "m", 100);
	assert_int_equal(rollup_err_of(&o), -1);
	o.norm.error_class = EC_RATE_LIMIT;
	assert_int_equal(rollup_err_of(&o), RU_RATE_LIMIT);
	o.norm.error_class = EC_OVERLOADED;
	assert_int_equal(rollup_err_of(&o), RU_SERVER);
	o.norm.error_class = EC_CONTEXT_LENGTH;
	assert_int_equal(rollup_err_of(&o), RU_INVALID);
	o.norm.error_class = EC_AUTH;
	assert_int_equal(rollup_err_of(&o), RU_OTHER);
	o.norm.error_class = EC_CONTENT_FILTER;
	assert_int_equal(rollup_err_of(&o), RU_CONTENT_FILTER);
	/* No class: status and flags decide. */
	o.norm.error_class = EC_OK;
	o.norm.safety_block = true;
	assert_int_equal(rollup_err_of(&o), RU_CONTENT_FILTER);
	o.norm.safety_block = false;
	o.http_status = 429;
	assert_int_equal(rollup_err_of(&o), RU_RATE_LIMIT);
	o.http_status = 504;
	assert_int_equal(rollup_err_of(&o), RU_TIMEOUT);
	o.http_status = 502;
	assert_int_equal(rollup_err_of(&o), RU_SERVER);
	o.http_status = 400;
	assert_int_equal(rollup_err_of(&o), RU_INVALID);
	/* Transport failures count with timeouts. */
	o.http_status = -1;
	o.transport_error = TE_CONNECT;
	assert_int_equal(rollup_err_of(&o), RU_TIMEOUT);
}

static void test_sample(void **state)
{
	(void)state;
	struct observation o;
	obs_ok(&o, "m", 2000);
	struct rollup_sample s;
	rollup_sample_of(&o, NULL, &s);
	assert_int_equal(s.err, -1);
	assert_true(s.latency_ms == 2000);
	assert_true(s.ttft_ms == 500);
	assert_int_equal(s.lat_bucket, lhist_index(2000));
	/* 400 tokens in the 1.5 s after the first token: 266.7 tok/s */
	assert_true(fabs(exp(s.tps_log) / (400.0 / 1.5) - 1) < 1e-4);
	/* $0.002 for 1000 tokens */
	assert_true(fabs(exp(s.cost_log) / 0.002 - 1) < 1e-4);
	assert_true(s.quality == 1.0);
	/* Not streamed: no time to first token; an error: no latency at all. */
	o.stream = VG_TRI_FALSE;
	rollup_sample_of(&o, NULL, &s);
	assert_true(isnan(s.ttft_ms));
	o.norm.error_class = EC_SERVER_ERROR;
	o.verdicts.schema_valid = VG_TRI_UNSET;
	rollup_sample_of(&o, NULL, &s);
	assert_int_equal(s.err, RU_SERVER);
	assert_true(isnan(s.latency_ms));
	assert_true(isnan(s.tps_log));
	assert_true(isnan(s.quality));
	/* Verdicts given apart from the observation count instead. */
	struct semantic_verdicts v;
	semantic_verdicts_init(&v);
	v.schema_valid = VG_TRI_FALSE;
	rollup_sample_of(&o, &v, &s);
	assert_true(s.quality == 0.0);
}

static struct rollup *new_rollup(void)
{
	struct rollup *r = malloc(sizeof(*r));
	assert_non_null(r);
	return r;
}

static void test_fold_closes_minutes_and_hours(void **state)
{
	(void)state;
	struct rollup_acc *a = malloc(sizeof(*a));
	struct rollup *cm = new_rollup(), *ch = new_rollup();
	rollup_acc_init(a);
	struct observation o;
	struct rollup_sample s;
	obs_ok(&o, "gpt-4o-2024-08-06", 800);
	rollup_sample_of(&o, NULL, &s);
	int64_t t = MON + 10 * 60000 + 5000; /* 00:10:05 */
	assert_int_equal(rollup_fold(a, &s, false, t, cm, ch), 0);
	assert_int_equal(rollup_fold(a, &s, false, t + 30000, cm, ch), 0);
	/* The next minute closes 00:10 with its two requests. */
	assert_int_equal(rollup_fold(a, &s, false, t + 60000, cm, ch), ROLLUP_CLOSED_MINUTE);
	assert_true(cm->start_ms == MON + 10 * 60000);
	assert_true(cm->span_ms == 60000);
	assert_true(cm->requests == 2 && cm->successes == 2);
	assert_true(cm->latency.total == 2);
	assert_true(cm->prompt_tokens == 1200 && cm->completion_tokens == 800);
	assert_string_equal(cm->model, "gpt-4o-2024-08-06");
	/* Quiet minutes are not copied out; the hour closes at 01:00 with all
	 * three requests of its minutes. */
	int cl = rollup_roll(a, MON + 3600000 + 1, cm, ch);
	assert_int_equal(cl, ROLLUP_CLOSED_MINUTE | ROLLUP_CLOSED_HOUR);
	assert_true(cm->start_ms == MON + 11 * 60000 && cm->requests == 1);
	assert_true(ch->start_ms == MON && ch->span_ms == 3600000);
	assert_true(ch->requests == 3 && ch->latency.total == 3);
	/* An empty hour closes silently. */
	assert_int_equal(rollup_roll(a, MON + 3 * 3600000, cm, ch), 0);
	/* A late time counts in the open minute. */
	assert_int_equal(rollup_fold(a, &s, false, MON, cm, ch), 0);
	assert_true(a->minute.requests == 1 && a->minute.start_ms == MON + 3 * 3600000);
	free(a);
	free(cm);
	free(ch);
}

static void test_markers(void **state)
{
	(void)state;
	struct rollup_acc *a = malloc(sizeof(*a));
	struct rollup *cm = new_rollup(), *ch = new_rollup();
	rollup_acc_init(a);
	struct observation o;
	struct rollup_sample s;
	int64_t t = MON;
	const char *seq[] = { "gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20",
		              "gpt-4o-2024-08-06", "gpt-4o-2024-11-20" };
	uint32_t want[] = { 0, 0, ROLLUP_F_MARKER, 0, 0 };
	for (size_t i = 0; i < 5; i++) {
		obs_ok(&o, seq[i], 500);
		rollup_sample_of(&o, NULL, &s);
		rollup_fold(a, &s, false, t, cm, ch);
		/* The first version seen is no change, a new one is, and going
		 * back and forth between two in use is not. */
		assert_int_equal(a->minute.flags & ROLLUP_F_MARKER, want[i]);
		t += 60000;
	}
	/* The aggregate never marks. */
	rollup_acc_init(a);
	for (size_t i = 0; i < 3; i++) {
		obs_ok(&o, seq[i], 500);
		rollup_sample_of(&o, NULL, &s);
		rollup_fold(a, &s, true, MON, cm, ch);
	}
	assert_int_equal(a->minute.flags, 0);
	free(a);
	free(cm);
	free(ch);
}

static void test_stats_from_histogram(void **state)
{
	(void)state;
	struct rollup *r = new_rollup();
	rollup_init(r, MON, 3600000);
	struct observation o;
	struct rollup_sample s;
	/* 100 requests of 1..100 ms: p50 is the 51st, p95 the 96th, p99 the
	 * 100th (lhist's rank rule), each within 1%. */
	for (int i = 1; i <= 100; i++) {
		obs_ok(&o, "m", i);
		rollup_sample_of(&o, NULL, &s);
		rollup_add(r, &s);
	}
	struct rollup_stats st;
	rollup_stats_of(r, &st);
	assert_true(st.lat_n == 100);
	assert_true(fabs(exp(st.lat_log[0]) / 51 - 1) < 0.01);
	assert_true(fabs(exp(st.lat_log[1]) / 96 - 1) < 0.01);
	assert_true(fabs(exp(st.lat_log[2]) / 100 - 1) < 0.01);
	/* Merging two rollups is one rollup of both. */
	struct rollup *r2 = new_rollup();
	rollup_init(r2, MON, 3600000);
	rollup_merge(r2, r);
	rollup_merge(r2, r);
	struct rollup_stats st2;
	rollup_stats_of(r2, &st2);
	assert_true(st2.requests == 200 && st2.lat_n == 200);
	assert_true(st2.lat_log[1] == st.lat_log[1]);
	assert_true(fabs(st2.tps_mean - st.tps_mean) < 1e-12);
	free(r);
	free(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series_key),
		cmocka_unit_test(test_error_types),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_fold_closes_minutes_and_hours),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_stats_from_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
