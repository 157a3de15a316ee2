/*
 * sim_bench.c: how fast the gateway generator writes a scenario on its
 * virtual clock (what `vigil sim gateway --speed max` and replay's test
 * fixtures cost). Prints figures, never fails on time.
 *
 *   sim_bench [--runs N] [--rate R] [SCENARIO...]
 *       for each scenario (default: oncall-day openai-dec-2024 calm), generate
 *       every line N times (default 3) into memory (a counting callback: no
 *       I/O) and print lines, requests, MB, and the median time, lines/s and
 *       MB/s; then once more into a file under $TMPDIR (fwrite + fflush).
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct count {
	uint64_t lines, bytes;
};

static int count_cb(void *ud, const char *line, size_t len)
{
	struct count *c = ud;
	(void)line;
	c->lines++;
	c->bytes += len + 1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int bench(const char *name, int runs, double rate)
{
	struct sim_scenario *s = NULL;
	char *cause = NULL;
	if (sim_scenario_load(name, &s, &cause) != 0) {
		fprintf(stderr, "sim_bench: %s\n", cause ? cause : name);
		free(cause);
		return 1;
	}
	double t[16];
	struct count c = { 0 };
	uint64_t reqs = 0;
	if (runs > 16)
		runs = 16;
	for (int r = 0; r < runs; r++) {
		struct sim_gateway_opts o = { .scenario = s,
			                      .rate = rate,
			                      .start_ms = 1795773600000 };
		struct sim_gateway *g = sim_gateway_new(&o, NULL);
		if (!g) {
			free(s);
			return 1;
		}
		memset(&c, 0, sizeof(c));
		double t0 = now_s();
		sim_gateway_advance(g, INT64_MAX, count_cb, &c);
		t[r] = now_s() - t0;
		reqs = sim_gateway_requests(g);
		sim_gateway_free(g);
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	double med = t[runs / 2];
	printf("%-18s %8.0f s scenario  %9llu lines  %8llu requests  %7.1f MB  "
	       "memory: median %.3f s = %9.0f lines/s %6.1f MB/s (min %.3f, max %.3f, %d runs)\n",
	       s->name, (double)s->duration_ms / 1000, (unsigned long long)c.lines,
	       (unsigned long long)reqs, (double)c.bytes / 1e6, med, (double)c.lines / med,
	       (double)c.bytes / 1e6 / med, t[0], t[runs - 1], runs);

	/* once more into a real file */
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[512];
	snprintf(path, sizeof(path), "%s/sim_bench.%ld.jsonl", dir, (long)getpid());
	struct sim_out_opts oo = { .path = path };
	struct sim_out *out = sim_out_open(&oo, &cause);
	struct sim_gateway_opts o = { .scenario = s, .rate = rate, .start_ms = 1795773600000 };
	struct sim_gateway *g = sim_gateway_new(&o, NULL);
	if (out && g) {
		double t0 = now_s();
		sim_gateway_advance(g, INT64_MAX, sim_out_cb, out);
		sim_out_close(out);
		double dt = now_s() - t0;
		printf("%-18s file: %.3f s = %9.0f lines/s (%s, removed)\n", s->name, dt,
		       (double)sim_gateway_lines(g) / dt, path);
		unlink(path);
	} else {
		fprintf(stderr, "sim_bench: %s\n", cause ? cause : "out of memory");
		free(cause);
		sim_out_close(out);
	}
	sim_gateway_free(g);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 3, rc = 0, named = 0;
	double rate = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			runs = (int)strtol(argv[++i], NULL, 10);
			if (runs < 1)
				runs = 1;
		} else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
			rate = strtod(argv[++i], NULL);
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: sim_bench [--runs N] [--rate R] [SCENARIO...]\n");
			return 2;
		} else {
			named++;
			rc |= bench(argv[i], runs, rate);
		}
	}
	if (!named) {
		const char *dflt[] = { "oncall-day", "openai-dec-2024", "calm" };
		for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++)
			rc |= bench(dflt[i], runs, rate);
	}
	return rc;
}
