/*
 * metrics_genai_bench.c: the cost of the GenAI families per gateway event
 * (app/metrics_genai: the model cap, the duration, time-to-first-token and
 * token histograms, the spend counter), with few model names (all holding a
 * slot) or a flood of distinct ones (most in "other", the cap's table full
 * and replacing candidates).
 *
 *   metrics_genai_bench [events] [names]     (default 2,000,000 and 6)
 *
 * Prints ns per event by the wall clock and by CPU time, and the series the
 * families hold at the end (bounded by the cap however many names came).
 */
#include "app/metrics_genai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double secs(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
	long names = argc > 2 ? strtol(argv[2], NULL, 10) : 6;
	if (n <= 0 || names <= 0) {
		fprintf(stderr, "usage: metrics_genai_bench [events] [names]\n");
		return 2;
	}
	struct metrics *m = metrics_new();
	struct metrics_genai g;
	if (!m || metrics_genai_register(m, &g, METRICS_GENAI_MAX_MODELS) != 0)
		return 1;
	static const char *const providers[] = { "openai", "anthropic", "google" };
	uint64_t rng = 0x9E3779B97F4A7C15ULL;
	struct observation o;
	observation_init(&o);
	o.source = OBS_GATEWAY;
	o.http_status = 200;
	o.norm.error_class = EC_OK;
	o.stream = VG_TRI_TRUE;
	double w0 = secs(CLOCK_MONOTONIC), c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		long k = (long)(rng % (uint64_t)names);
		snprintf(o.pid.provider, sizeof(o.pid.provider), "%s", providers[k % 3]);
		snprintf(o.pid.model, sizeof(o.pid.model), "model-%ld", k);
		o.total_ms = (double)(rng % 20000);
		o.ttfb_ms = o.total_ms / 10;
		o.input_tokens = (int64_t)(rng % 4000);
		o.output_tokens = (int64_t)(rng % 800);
		o.cost_usd = 0.001;
		o.norm.error_class = rng % 20 == 0 ? EC_RATE_LIMIT : EC_OK;
		metrics_genai_observe(&g, &o);
	}
	double w = secs(CLOCK_MONOTONIC) - w0, c = secs(CLOCK_PROCESS_CPUTIME_ID) - c0;
	size_t len = 0;
	char *text = metrics_render(m, &len);
	size_t series = 0;
	for (const char *p = text; p && (p = strstr(p, "_count{")); p++)
		series++;
	printf("events %ld, names %ld: %.0f ns/event wall, %.0f ns/event cpu; "
	       "%zu histogram series, /metrics %zu bytes\n",
	       n, names, w / (double)n * 1e9, c / (double)n * 1e9, series, len);
	free(text);
	metrics_free(m);
	return 0;
}
