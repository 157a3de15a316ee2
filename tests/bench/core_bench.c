/*
 * core_bench.c: throughput of the decision pipeline. Builds a realistic mix
 * of observations in memory (three providers, two models each, latencies
 * around a second with a tail, 429s, 5xx bursts that open breakers, schema
 * failures, hallucination verdicts, token inflation, retries, rate-limit
 * headers, fallback traffic, four traffic classes), then feeds them through
 * one pipeline with a virtual clock and a tick every simulated second.
 * Prints observations/s and ns per observation, by the wall clock and by the
 * process's CPU time (the machine may be shared); never fails on time.
 * Baselines are on (core/pipeline_baseline.c, as vigil runs by default);
 * "off" measures the pipeline without them. A weekly refresh due (the
 * simulated clock does not reach one) would run inline, as replay does.
 *
 *   core_bench [observations] [on|off]   (default 5,000,000 on)
 *
 * For instructions per observation, run it under callgrind with two counts
 * and divide the difference (setup cancels):
 *
 *   for n in 100000 600000; do valgrind --tool=callgrind \
 *     --callgrind-out-file=/dev/null build/gcc/core_bench $n on; done
 *   # (Ir(600000) - Ir(100000)) / 500000
 */
#include "core/baseline_job.h"
#include "core/pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIX 8192 /* distinct observations, fed round-robin */

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
	static const enum provider_kind kinds[] = { PK_OPENAI, PK_ANTHROPIC, PK_GOOGLE };
	observation_init(o);
	double r = uniform();
	size_t pv = r < 0.6 ? 0 : r < 0.9 ? 1 : 2;
	size_t md = uniform() < 0.7 ? 0 : 1;
	o->source = uniform() < 0.01 ? OBS_PROBE : OBS_GATEWAY;
	o->ts_ms = 0;
	snprintf(o->request_id, sizeof(o->request_id), "req-%08zu", i);
	o->attempt = 1;
	model_copy_str(o->pid.provider, sizeof(o->pid.provider), provs[pv], (size_t)-1);
	model_copy_str(o->pid.model, sizeof(o->pid.model), models[pv][md], (size_t)-1);
	model_copy_str(o->pid.region, sizeof(o->pid.region), "us-east-1", (size_t)-1);
	model_copy_str(o->pid.key_alias, sizeof(o->pid.key_alias), "prod", (size_t)-1);
	o->kind = kinds[pv];
	snprintf(o->template_id, sizeof(o->template_id), "tpl-%zu", i % 12);
	o->traffic_class = (enum traffic_class)(i % 4);
	o->selection_reason = SEL_PRIMARY;
	if (pv != 0 && uniform() < 0.1) {
		o->selection_reason = SEL_FALLBACK;
		model_copy_str(o->after_failure_of, sizeof(o->after_failure_of), "openai",
		               (size_t)-1);
	}
	o->stream = uniform() < 0.5;
	o->dns_ms = 2;
	o->connect_ms = 12;
	o->tls_ms = 35;
	o->total_ms = lognormal(900, 0.5);
	o->ttfb_ms = o->total_ms * 0.3;
	o->http_status = 200;
	o->norm.error_class = EC_OK;
	o->norm.finish = FR_STOP;
	o->norm.rl_requests.limit = 10000;
	o->norm.rl_requests.remaining = (int64_t)(10000 * uniform());
	o->norm.rl_tokens.limit = 2000000;
	o->norm.rl_tokens.remaining = (int64_t)(2000000 * uniform());
	o->body_bytes = 2000;
	o->input_tokens = 400 + (int64_t)(uniform() * 800);
	o->predicted_input_tokens = o->input_tokens;
	o->output_tokens = 50 + (int64_t)(uniform() * 400);
	o->cost_usd = (double)o->input_tokens * 1.5e-7 + (double)o->output_tokens * 6e-7;
	o->retry_count = 0;
	o->verdicts.schema_valid = VG_TRI_TRUE;
	o->verdicts.hallucination = VG_TRI_FALSE;
	o->verdicts.similarity = 0.9;
	o->doc_age_s = 3600;

	double f = uniform();
	if (f < 0.03) { /* rate limited */
		o->http_status = 429;
		o->norm.error_class = EC_RATE_LIMIT;
		o->norm.retry_after_ms = 2000;
		o->verdicts.schema_valid = VG_TRI_UNSET;
		o->verdicts.hallucination = VG_TRI_UNSET;
	} else if (f < 0.04) { /* server error */
		o->http_status = uniform() < 0.5 ? 500 : 529;
		o->norm.error_class = o->http_status == 500 ? EC_SERVER_ERROR : EC_OVERLOADED;
		o->verdicts.schema_valid = VG_TRI_UNSET;
		o->verdicts.hallucination = VG_TRI_UNSET;
	} else if (f < 0.045) { /* transport */
		o->http_status = -1;
		o->transport_error = uniform() < 0.5 ? TE_TIMEOUT : TE_CONNECT;
		o->total_ms = 30000;
	} else if (f < 0.055) {
		o->verdicts.schema_valid = VG_TRI_FALSE;
	} else if (f < 0.06) {
		o->verdicts.hallucination = VG_TRI_TRUE;
	} else if (f < 0.065) {
		o->input_tokens = o->predicted_input_tokens * 2;
	} else if (f < 0.07) {
		o->retry_count = 5;
	} else if (f < 0.08) {
		o->total_ms = 15000;
	} else if (f < 0.085) {
		o->norm.finish = FR_LENGTH;
	}
}

static double seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = 5000000;
	bool baselines = true;
	if (argc > 1) {
		char *end;
		unsigned long long v = strtoull(argv[1], &end, 10);
		if (*end || v == 0 ||
		    (argc > 2 && strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
			fprintf(stderr, "usage: core_bench [observations] [on|off]\n");
			return 2;
		}
		n = (size_t)v;
		baselines = argc < 3 || strcmp(argv[2], "off") != 0;
	}
	struct observation *mix = malloc(MIX * sizeof(*mix));
	if (!mix)
		return 1;
	for (size_t i = 0; i < MIX; i++)
		build(&mix[i], i);
	/* A burst of openai 503s once per pass over the mix (every ~4 simulated
	 * seconds): the breaker opens, probes, and flaps. */
	for (size_t i = 4000; i < 4040; i++) {
		struct observation *o = &mix[i];
		model_copy_str(o->pid.provider, sizeof(o->pid.provider), "openai", (size_t)-1);
		model_copy_str(o->pid.model, sizeof(o->pid.model), "gpt-4o-mini-2024-07-18",
		               (size_t)-1);
		o->transport_error = TE_NONE;
		o->http_status = 503;
		o->norm.error_class = EC_OVERLOADED;
		o->verdicts.schema_valid = VG_TRI_UNSET;
		o->verdicts.hallucination = VG_TRI_UNSET;
	}

	struct core_settings s;
	settings_defaults(&s);
	struct pipeline_provider pp[3];
	memset(pp, 0, sizeof(pp));
	static const char *const names[] = { "openai", "anthropic", "google" };
	for (size_t i = 0; i < 3; i++) {
		model_copy_str(pp[i].name, sizeof(pp[i].name), names[i], (size_t)-1);
		pp[i].fallback = i > 0;
	}
	model_copy_str(pp[0].models[0].name, sizeof(pp[0].models[0].name), "gpt-4o-mini",
	               (size_t)-1);
	pp[0].models[0].price_in_per_1k = 0.00015;
	pp[0].models[0].price_out_per_1k = 0.0006;
	pp[0].models[0].breaker = true;
	pp[0].n_models = 1;
	struct pipeline *p = pipeline_new(&s, pp, 3);
	if (!p)
		return 1;
	struct baseline_settings bs;
	baseline_defaults(&bs);
	bs.enabled = baselines;
	/* three providers, two aliases each: nine series, gateway and probe */
	if (pipeline_set_baselines(p, &bs, 9, 9) != 0)
		return 1;

	/* 2,000 requests per simulated second. */
	const int64_t t0 = 1795773600000LL;
	struct effects fx;
	uint64_t events = 0, transitions = 0;
	int64_t next_tick = t0 + 1000;
	double start = seconds(CLOCK_MONOTONIC), cpu_start = seconds(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < n; i++) {
		struct observation *o = &mix[i % MIX];
		int64_t now = t0 + (int64_t)(i / 2);
		o->ts_ms = now;
		pipeline_feed(p, o, now, &fx);
		events += fx.n_events;
		transitions += fx.n_transitions;
		if (fx.baseline_refresh_due) {
			struct baseline_job *j;
			if (pipeline_baseline_take(p, &j) == 0) {
				baseline_job_run(j);
				pipeline_baseline_apply(p, j, now, &fx);
				baseline_job_free(j);
			}
		}
		if (now >= next_tick) {
			pipeline_tick(p, now, &fx);
			transitions += fx.n_transitions;
			next_tick += 1000;
		}
	}
	double el = seconds(CLOCK_MONOTONIC) - start;
	double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
	printf("core_bench: baselines %s, %zu observations in %.3f s: %.2f M observations/s, "
	       "%.1f ns/observation\n",
	       baselines ? "on" : "off", n, el, (double)n / el / 1e6, el * 1e9 / (double)n);
	/* The machine is shared: CPU time is what the pipeline itself costs. */
	printf("core_bench: cpu %.3f s: %.2f M observations/s of cpu, %.1f cpu ns/observation\n",
	       cpu, (double)n / cpu / 1e6, cpu * 1e9 / (double)n);
	printf("core_bench: %llu failure events, %llu breaker transitions, %zu health rows, "
	       "%zu baseline series (%zu bytes)\n",
	       (unsigned long long)events, (unsigned long long)transitions,
	       pipeline_health_count(p), pipeline_baseline_count(p), pipeline_baseline_bytes(p));
	pipeline_free(p);
	free(mix);
	return 0;
}
