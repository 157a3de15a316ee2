/*
 * baseline_bench.c: the cost of baselines per observation. Builds a mix of
 * observations like core_bench's (three providers, two models each,
 * latencies around a second with a tail, 429s, 5xx, timeouts, streaming,
 * tokens, cost, quality verdicts), warms every series' model with three
 * weeks of hours drawn from the same mix, then feeds the observations at
 * 2,000 a simulated second through the baseline path: the sample derived
 * once (rollup_sample_of) and folded and judged in the model alias's series
 * and the provider's aggregate.
 *
 *   baseline_bench [observations] [held|set|fold|sample|none]
 *                                              (default 5,000,000 held)
 *
 *   held  the series resolved once (as the pipeline will hold them in its
 *         provider and model entities): sample + 2 x baseline_series_feed
 *   set   baseline_set_feed(): the same plus finding both series by key
 *   fold  sample + 2 x rollup_fold() only (the rollups without judging)
 *   sample  rollup_sample_of() only
 *   none  the loop alone (subtract it from the others)
 *
 * Prints ns per observation by the wall clock and by CPU time, the bytes a
 * series takes (live, model in memory, blob), and what a weekly refresh of
 * one series costs. For instructions per observation, run it under
 * callgrind with two counts and divide the difference (setup cancels):
 *
 *   for n in 200000 1200000; do valgrind --tool=callgrind \
 *     --callgrind-out-file=/dev/null build/gcc/baseline_bench $n held; done
 *   # (Ir(1200000) - Ir(200000)) / 1000000
 */
#include "core/baseline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIX 8192

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double lognormal(double median, double sigma)
{
	double z = sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
	return median * exp(sigma * z);
}

static void build(struct observation *o, size_t i)
{
	static const char *const provs[] = { "openai", "anthropic", "google" };
	static const char *const models[3][2] = {
		{ "gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06" },
		{ "claude-3-5-haiku-20241022", "claude-3-5-sonnet-20241022" },
		{ "gemini-2.0-flash-001", "gemini-1.5-pro-002" },
	};
	observation_init(o);
	double r = uniform();
	size_t pv = r < 0.6 ? 0 : r < 0.9 ? 1 : 2;
	size_t md = uniform() < 0.7 ? 0 : 1;
	o->source = OBS_GATEWAY;
	snprintf(o->request_id, sizeof(o->request_id), "req-%08zu", i);
	model_copy_str(o->pid.provider, sizeof(o->pid.provider), provs[pv], (size_t)-1);
	model_copy_str(o->pid.model, sizeof(o->pid.model), models[pv][md], (size_t)-1);
	o->stream = uniform() < 0.5;
	o->total_ms = lognormal(900, 0.5);
	o->ttfb_ms = o->total_ms * 0.3;
	o->http_status = 200;
	o->norm.error_class = EC_OK;
	o->input_tokens = 400 + (int64_t)(uniform() * 800);
	o->output_tokens = 50 + (int64_t)(uniform() * 400);
	o->cost_usd = (double)o->input_tokens * 1.5e-7 + (double)o->output_tokens * 6e-7;
	o->verdicts.schema_valid = uniform() < 0.97 ? VG_TRI_TRUE : VG_TRI_FALSE;
	o->verdicts.hallucination = VG_TRI_FALSE;
	double f = uniform();
	if (f < 0.03) {
		o->http_status = 429;
		o->norm.error_class = EC_RATE_LIMIT;
	} else if (f < 0.04) {
		o->http_status = 500;
		o->norm.error_class = EC_SERVER_ERROR;
	} else if (f < 0.045) {
		o->http_status = -1;
		o->transport_error = TE_TIMEOUT;
	} else if (f < 0.055) {
		o->total_ms = 15000;
	}
	if (o->norm.error_class != EC_OK || o->transport_error != TE_NONE)
		o->verdicts.schema_valid = VG_TRI_UNSET;
}

static double seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define T0   1704067200000LL /* Monday 00:00 UTC */
#define HOUR 3600000LL
#define WEEK (168 * HOUR)

/* Three weeks of hours, each drawn from the series' own observations. */
static double warm(struct baseline_series *bs, const struct baseline_settings *s,
                   const struct observation *mix, bool aggregate)
{
	const struct rollup_series *key = baseline_series_key(bs);
	struct rollup *hours = malloc(168 * sizeof(*hours));
	struct rollup *hour = malloc(sizeof(*hour));
	rollup_init(hour, T0, HOUR);
	for (size_t i = 0; i < MIX; i++) {
		struct rollup_series k;
		rollup_series_of(&mix[i], aggregate, &k);
		if (strcmp(k.provider, key->provider) || strcmp(k.alias, key->alias))
			continue;
		struct rollup_sample smp;
		rollup_sample_of(&mix[i], NULL, &smp);
		rollup_add(hour, &smp);
	}
	double refresh_s = 0;
	for (int wk = 0; wk < 3; wk++) {
		for (int h = 0; h < 168; h++) {
			memcpy(&hours[h], hour, sizeof(*hour));
			hours[h].start_ms = T0 + wk * WEEK + h * HOUR;
		}
		struct baseline_refresh_report rep;
		double t = seconds(CLOCK_PROCESS_CPUTIME_ID);
		baseline_refresh(baseline_series_model(bs), s, hours, 168, T0 + (wk + 1) * WEEK,
		                 &rep);
		refresh_s = seconds(CLOCK_PROCESS_CPUTIME_ID) - t;
	}
	free(hour);
	free(hours);
	return refresh_s;
}

int main(int argc, char **argv)
{
	size_t n = 5000000;
	const char *mode = "held";
	if (argc > 1) {
		char *end;
		unsigned long long v = strtoull(argv[1], &end, 10);
		if (*end || v == 0) {
			fprintf(stderr, "usage: baseline_bench [observations] "
			                "[held|set|fold|sample|none]\n");
			return 2;
		}
		n = (size_t)v;
	}
	if (argc > 2)
		mode = argv[2];
	bool held = !strcmp(mode, "held"), set_mode = !strcmp(mode, "set"),
	     fold = !strcmp(mode, "fold"), sample = !strcmp(mode, "sample"),
	     none = !strcmp(mode, "none");
	if (!held && !set_mode && !fold && !sample && !none) {
		fprintf(stderr,
		        "usage: baseline_bench [observations] [held|set|fold|sample|none]\n");
		return 2;
	}
	struct observation *mix = malloc(MIX * sizeof(*mix));
	if (!mix)
		return 1;
	for (size_t i = 0; i < MIX; i++)
		build(&mix[i], i);

	struct baseline_settings s;
	baseline_defaults(&s);
	struct baseline_static st = { 10000, 95, 0.10 };
	struct baseline_ctx c;
	baseline_ctx_init(&c, &s, &st, 9, 0);
	struct baseline_set *set = baseline_set_new(64);
	/* Resolve every observation's two series once, and warm them. */
	struct baseline_series **ser = malloc(2 * MIX * sizeof(*ser));
	double refresh_s = 0;
	for (size_t i = 0; i < MIX; i++)
		for (int a = 0; a < 2; a++) {
			struct rollup_series k;
			rollup_series_of(&mix[i], a == 1, &k);
			struct baseline_series *bs = baseline_set_get(set, &k, false);
			if (!bs) {
				bs = baseline_set_get(set, &k, true);
				refresh_s = warm(bs, &s, mix, a == 1);
			}
			ser[2 * i + (size_t)a] = bs;
		}
	/* fold mode: one accumulator per series, by its place in the set */
	size_t *idx = malloc(2 * MIX * sizeof(*idx));
	for (size_t i = 0; i < 2 * MIX; i++)
		for (size_t k = 0; k < baseline_set_count(set); k++)
			if (baseline_set_at(set, k) == ser[i])
				idx[i] = k;
	struct rollup_acc *acc = calloc(baseline_set_count(set), sizeof(*acc));
	struct rollup *cm = malloc(sizeof(*cm)), *ch = malloc(sizeof(*ch));

	const int64_t t0 = T0 + 3 * WEEK + 9 * HOUR; /* Monday 09:00 of week 4 */
	uint64_t verdicts = 0, closed = 0;
	struct baseline_out out[2];
	struct baseline_set_out sout;
	double start = seconds(CLOCK_MONOTONIC), cpu_start = seconds(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < n; i++) {
		size_t j = i % MIX;
		struct observation *o = &mix[j];
		int64_t now = t0 + (int64_t)(i / 2);
		if (set_mode) {
			baseline_set_feed(set, &c, o, NULL, now, &sout);
			verdicts += sout.series[0].n_verdicts + sout.series[1].n_verdicts;
			continue;
		}
		if (none) {
			verdicts += (uint64_t)(now & 1) + (uint64_t)o->http_status;
			continue;
		}
		struct rollup_sample smp;
		rollup_sample_of(o, NULL, &smp);
		if (sample) {
			verdicts += (uint64_t)smp.lat_bucket;
			continue;
		}
		for (int a = 0; a < 2; a++) {
			if (fold) {
				closed += (uint64_t)rollup_fold(&acc[idx[2 * j + (size_t)a]], &smp,
				                                a == 1, now, cm, ch);
				continue;
			}
			baseline_series_feed(ser[2 * j + (size_t)a], &c, &smp, a == 1, now,
			                     &out[a]);
			verdicts += out[a].n_verdicts;
		}
	}
	double el = seconds(CLOCK_MONOTONIC) - start;
	double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
	printf("baseline_bench %s: %zu observations (%zu series) in %.3f s: %.1f ns/observation, "
	       "%.1f cpu ns/observation\n",
	       mode, n, baseline_set_count(set), el, el * 1e9 / (double)n, cpu * 1e9 / (double)n);
	printf("baseline_bench: %llu verdicts over %.1f simulated minutes\n",
	       (unsigned long long)verdicts, (double)n / 2000.0 / 60.0);
	struct baseline_model *m = baseline_series_model(baseline_set_at(set, 0));
	printf("baseline_bench: bytes per series: %zu live (model %zu, open and closed rollups, "
	       "window), blob %zu\n",
	       baseline_series_size(), sizeof(*m), baseline_blob_size(m));
	printf("baseline_bench: a weekly refresh of one series (168 hourly rollups): %.2f ms cpu\n",
	       refresh_s * 1e3);
	(void)closed;
	free(cm);
	free(ch);
	free(acc);
	free(idx);
	free(ser);
	baseline_set_free(set);
	free(mix);
	return 0;
}
