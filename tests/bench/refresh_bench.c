/*
 * refresh_bench.c: the weekly baseline refresh of a 100 requests/s gateway
 * (issue 17: "seven days of a 100 requests/s gateway, 60M observations,
 * from the rollups"). Prints figures, never fails on time.
 *
 *   refresh_bench [--rate R] [--series-aliases A] [--weeks-warm W]
 *
 * Builds what a pipeline holds when the refresh is due: for each series
 * (three providers with A aliases each, and their aggregates: the aliases'
 * hours summed, as the pipeline sums their minutes), a week of closed hour
 * rollups encoded in its week (core/baseline_job: what the daemon hands to
 * its worker thread), from R requests/s split over the aliases: every
 * request drawn (lognormal latency around a daily rhythm, 3% 429s, 1% 5xx,
 * time to first token, tokens, cost) and folded into its hour with
 * rollup_add(), so each hour's histograms hold real requests. The models
 * first learn W earlier weeks (the same hours, a week earlier each) so that
 * the refresh classifies warm slots as it would in a running deployment.
 * Then times: the refresh job (baseline_job_run(): each week decoded and
 * refreshed, series by series), by the wall clock and by CPU time; and
 * prints the bytes a series' week takes, encoded and decoded.
 */
#include "core/baseline_job.h"
#include "core/rollup_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0    1767571200000LL /* Monday 2026-01-05 00:00 UTC */
#define HOUR  3600000LL
#define WEEK  (168 * HOUR)
#define PROVS 3

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

static double seconds(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One hour of one alias: n requests. */
static void make_hour(struct rollup *r, int64_t start, double n, double median)
{
	rollup_init(r, start, HOUR);
	for (long i = 0; i < (long)n; i++) {
		struct rollup_sample s;
		memset(&s, 0, sizeof(s));
		double u = uniform();
		s.err = u < 0.03 ? RU_RATE_LIMIT : u < 0.04 ? RU_SERVER : -1;
		s.latency_ms = NAN;
		s.ttft_ms = NAN;
		s.tps_log = s.cost_log = s.quality = NAN;
		if (s.err < 0) {
			double lat = median * exp(0.5 * normal());
			s.latency_ms = lat;
			s.lat_bucket = lhist_index(lat);
			if (u < 0.5) {
				s.ttft_ms = lat * 0.3;
				s.ttft_bucket = lhist_index(s.ttft_ms);
			}
			s.completion_tokens = 300;
			s.prompt_tokens = 1000;
			s.cost_usd = 0.001;
			s.tps_log = log(300 * 1000.0 / (lat * 0.7));
			s.cost_log = log(0.001 * 1000 / 1300);
			s.quality = u < 0.99 ? 1.0 : 0.0;
		}
		rollup_add(r, &s);
	}
}

int main(int argc, char **argv)
{
	double rate = 100;
	int aliases = 2, warm = 3;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--series-aliases") && i + 1 < argc)
			aliases = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--weeks-warm") && i + 1 < argc)
			warm = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: refresh_bench [--rate R] [--series-aliases A] "
			                "[--weeks-warm W]\n");
			return 2;
		}
	}
	if (!(rate > 0) || aliases < 1 || warm < 0)
		return 2;
	int n_alias = PROVS * aliases, n_series = n_alias + PROVS;
	struct baseline_settings s;
	baseline_defaults(&s);
	struct baseline_week *weeks = calloc((size_t)n_series, sizeof(*weeks));
	struct baseline_model *models = calloc((size_t)n_series, sizeof(*models));
	struct rollup *h = malloc(sizeof(*h)), *agg = malloc((size_t)PROVS * sizeof(*agg));
	if (!weeks || !models || !h || !agg)
		return 1;
	double per_hour = rate * 3600.0 / n_alias;
	double t_gen = seconds(CLOCK_MONOTONIC);
	long requests = 0;
	for (int i = 0; i < n_series; i++) {
		struct rollup_series k;
		memset(&k, 0, sizeof(k));
		snprintf(k.provider, sizeof(k.provider), "p%d",
		         i < n_alias ? i / aliases : i - n_alias);
		if (i < n_alias)
			snprintf(k.alias, sizeof(k.alias), "m%d", i % aliases);
		baseline_model_init(&models[i], &k);
		baseline_week_init(&weeks[i]);
	}
	for (int hr = 0; hr < 168; hr++) {
		int how = hr % 168, day = how / 24, hod = how % 24;
		double median = day < 5 && hod >= 13 && hod <= 21 ? 3000 : 800;
		for (int p = 0; p < PROVS; p++)
			rollup_init(&agg[p], T0 + hr * HOUR, HOUR);
		for (int i = 0; i < n_alias; i++) {
			make_hour(h, T0 + hr * HOUR, per_hour, median * (1 + 0.1 * (i % aliases)));
			requests += (long)per_hour;
			rollup_merge(&agg[i / aliases], h);
			baseline_week_add(&weeks[i], h);
		}
		for (int p = 0; p < PROVS; p++) {
			agg[p].model[0] = '\0';
			baseline_week_add(&weeks[n_alias + p], &agg[p]);
		}
	}
	t_gen = seconds(CLOCK_MONOTONIC) - t_gen;
	/* warm the models with earlier weeks (the same hours, moved back) */
	for (int w = warm; w > 0; w--) {
		for (int i = 0; i < n_series; i++) {
			struct rollup *hours;
			size_t n;
			if (baseline_week_decode(&weeks[i], &hours, &n) != 0)
				return 1;
			for (size_t j = 0; j < n; j++)
				hours[j].start_ms -= w * WEEK;
			struct baseline_refresh_report rep;
			baseline_refresh(&models[i], &s, hours, n, T0 - (w - 1) * WEEK + 4 * HOUR,
			                 &rep);
			free(hours);
		}
	}
	size_t enc = 0;
	for (int i = 0; i < n_series; i++)
		enc += weeks[i].len;
	struct baseline_job *j = baseline_job_new(&s, T0 + WEEK + 4 * HOUR);
	for (int i = 0; i < n_series; i++)
		baseline_job_add(j, &models[i], &weeks[i]);
	double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	int rc = baseline_job_run(j);
	double wall = seconds(CLOCK_MONOTONIC) - w0, cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	int learned = 0, reviews = 0;
	for (size_t i = 0; i < j->n; i++) {
		learned += j->items[i].report.learned;
		reviews += j->items[i].report.review_created;
		if (getenv("VERBOSE"))
			printf("  item %zu: learned %d alarmed %d review %d rc %d pending %d "
			       "metric %d delta %.3f z %.1f\n",
			       i, j->items[i].report.learned, j->items[i].report.skipped_alarmed,
			       j->items[i].report.skipped_review, j->items[i].rc,
			       j->items[i].model.review.pending, j->items[i].model.review.metric,
			       j->items[i].model.review.metric >= 0
			               ? j->items[i]
			                         .model.review
			                         .delta[j->items[i].model.review.metric]
			               : 0.0,
			       j->items[i].model.review.z);
	}
	printf("refresh_bench: %.0f requests/s for 7 days = %ld requests over %d aliases (+%d "
	       "aggregates), generated in %.1f s\n",
	       rate, requests, n_alias, PROVS, t_gen);
	printf("refresh_bench: the week's hours: %d series x 168, %.1f KB encoded (%.1f KB a "
	       "series, %.0f bytes an hour; %.0f KB an hour decoded)\n",
	       n_series, (double)enc / 1024, (double)enc / 1024 / n_series,
	       (double)enc / (n_series * 168.0), sizeof(struct rollup) / 1024.0);
	printf("refresh_bench: refresh (decode + baseline_refresh, %d warm weeks before): %.3f s "
	       "wall, %.3f s cpu (%.1f ms a series); %d hours learned, %d reviews; rc %d\n",
	       warm, wall, cpu, cpu * 1000 / n_series, learned, reviews, rc);
	baseline_job_free(j);
	free(weeks);
	free(models);
	free(h);
	free(agg);
	return rc ? 1 : 0;
}
