/*
 * console_bench.c: what the console costs against a large database. Prints
 * figures, never fails on time (only on errors).
 *
 *   console_bench [--observations N] [--error-rate R] [--span D] [--frames F]
 *                 [--db PATH] [--keep] [--baselines]
 *
 * Fills a fresh database (or reuses --db PATH when it exists) through the
 * real pipeline and store thread (tests/support/consoledb: three providers,
 * background errors at rate R, an outage of the primary, a token inflation
 * attack, hallucinations on the fallback) with N observations (2M) over D
 * (24h), which gives about 100k failure events at the default rate. Then:
 *
 *   attach   open the database read-only, build the first snapshot, draw
 *            the first frame: what `vigil console --db` does before the
 *            operator sees anything (best of 5, fresh connection each);
 *   build    console_read_build() (every console query) per refresh;
 *   draw     console_draw() of that snapshot on the in-memory grid (80x24
 *            and 120x40), every pane and the incident detail view;
 *   frame    build + draw, the cost of one refresh;
 *
 * each as median and p99 over F frames (200). Targets: frame <= 5 ms,
 * attach <= 200 ms. --baselines adds models and review items to a fresh
 * database (consoledb_add_baselines()): the builds then read them too.
 */
#include "tests/support/consoledb.h"

#include "core/vgerr.h"
#include "tui/console.h"
#include "tui/grid.h"
#include "data/console_read.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void stats(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	int p99 = (int)((double)n * 0.99);
	if (p99 >= n)
		p99 = n - 1;
	printf("%-28s median %7.3f ms   p99 %7.3f ms   max %7.3f ms   (%d runs)\n", what, v[n / 2],
	       v[p99], v[n - 1], n);
}

static int64_t count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static int64_t max_time(const char *path)
{
	return count(path, "SELECT max(ts_ms) FROM observations");
}

struct pane_key {
	const char *name;
	int key;
};

int main(int argc, char **argv)
{
	int64_t n_obs = 2000000, span = 24 * 3600 * 1000LL;
	double rate = 0.09;
	int frames = 200;
	const char *db_arg = NULL;
	bool keep = false, baselines = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--observations") == 0 && v)
			n_obs = strtoll(v, NULL, 10), i++;
		else if (strcmp(a, "--error-rate") == 0 && v)
			rate = strtod(v, NULL), i++;
		else if (strcmp(a, "--span") == 0 && v)
			span = strtoll(v, NULL, 10) * 3600 * 1000LL, i++;
		else if (strcmp(a, "--frames") == 0 && v)
			frames = (int)strtol(v, NULL, 10), i++;
		else if (strcmp(a, "--db") == 0 && v)
			db_arg = v, i++;
		else if (strcmp(a, "--keep") == 0)
			keep = true;
		else if (strcmp(a, "--baselines") == 0)
			baselines = true;
		else {
			fprintf(stderr, "usage: console_bench [--observations N] [--error-rate R] "
			                "[--span HOURS] [--frames F] [--db PATH] [--keep] "
			                "[--baselines]\n");
			return 2;
		}
	}
	if (frames < 1 || n_obs < 1) {
		fprintf(stderr, "console_bench: --frames and --observations must be positive\n");
		return 2;
	}
	char path[512], dir[] = "/tmp/console_bench-XXXXXX";
	bool made_dir = false;
	if (db_arg) {
		snprintf(path, sizeof(path), "%s", db_arg);
	} else {
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
		made_dir = true;
		snprintf(path, sizeof(path), "%s/bench.db", dir);
	}
	struct stat sb;
	if (stat(path, &sb) != 0) {
		/* A fixed end time: the same database for the same arguments. */
		struct consoledb_opts o = {
			.observations = n_obs,
			.span_ms = span,
			.end_ms = 1795000000000LL,
			.seed = 42,
			.background_error_rate = rate,
		};
		struct consoledb_result r;
		printf("filling %s: %lld observations over %lld h through the pipeline and "
		       "the store...\n",
		       path, (long long)n_obs, (long long)(span / 3600000));
		fflush(stdout);
		double t0 = now_ms();
		int rc = consoledb_fill(path, &o, &r);
		if (rc != 0) {
			fprintf(stderr, "console_bench: fill failed: %s\n", vg_strerror(rc));
			return 1;
		}
		if (baselines && (rc = consoledb_add_baselines(path, o.end_ms)) != 0) {
			fprintf(stderr, "console_bench: baselines: %s\n", vg_strerror(rc));
			return 1;
		}
		printf("filled in %.1f s\n", (now_ms() - t0) / 1e3);
	}
	int64_t obs = count(path, "SELECT count(*) FROM observations");
	int64_t evs = count(path, "SELECT count(*) FROM failure_events");
	int64_t incs = count(path, "SELECT count(*) FROM incidents");
	int64_t trs = count(path, "SELECT count(*) FROM breaker_transitions");
	printf("database: %lld observations, %lld failure events, %lld incidents, %lld breaker "
	       "transitions, %.0f MiB\n",
	       (long long)obs, (long long)evs, (long long)incs, (long long)trs,
	       stat(path, &sb) == 0 ? (double)sb.st_size / 1048576.0 : 0.0);
	/* The console's clock: just after the last request (the "live" view). */
	int64_t now = max_time(path) + 1000;
	int64_t detail = count(path, "SELECT max(id) FROM incidents WHERE category = 'provider'");

	int rc = 0;
	char *cause = NULL;
	struct snapshot *s = snapshot_new();
	struct console c;
	console_init(&c, "bench", NULL);
	struct surface *g80 = grid_new(24, 80, true, true), *g120 = grid_new(40, 120, true, true);
	if (!s || !g80 || !g120) {
		fprintf(stderr, "console_bench: out of memory\n");
		return 1;
	}

	/* attach: open + first build + first frame, fresh connection each time */
	double att[5];
	for (int i = 0; i < 5 && rc == 0; i++) {
		double t0 = now_ms();
		struct console_read *db = NULL;
		rc = console_read_open(path, &db, &cause);
		if (rc == 0)
			rc = console_read_build(db, s, now, 0, &cause);
		if (rc == 0) {
			console_update(&c, s);
			console_draw(&c, s, g80);
		}
		att[i] = now_ms() - t0;
		console_read_close(db);
	}
	if (rc != 0) {
		fprintf(stderr, "console_bench: %s\n", cause ? cause : vg_strerror(rc));
		return 1;
	}
	qsort(att, 5, sizeof(att[0]), cmp_d);
	printf("%-28s best %7.3f ms   median %7.3f ms   worst %7.3f ms   (target <= 200 ms)\n",
	       "attach (open+build+draw)", att[0], att[2], att[4]);

	struct console_read *db = NULL;
	if (console_read_open(path, &db, &cause) != 0) {
		fprintf(stderr, "console_bench: %s\n", cause ? cause : "open failed");
		return 1;
	}
	double *b = calloc((size_t)frames, sizeof(double));
	double *bd = calloc((size_t)frames, sizeof(double));
	double *d80 = calloc((size_t)frames, sizeof(double));
	double *d120 = calloc((size_t)frames, sizeof(double));
	double *fr = calloc((size_t)frames, sizeof(double));
	static const struct pane_key panes[] = {
		{ "health", '1' }, { "breakers", '2' }, { "taxonomy", '3' }, { "incidents", '4' }
	};
	for (int i = 0; i < frames && rc == 0; i++) {
		int64_t t = now + i * 1000LL; /* one refresh a second */
		double t0 = now_ms();
		rc = console_read_build(db, s, t, 0, &cause);
		double t1 = now_ms();
		console_key(&c, s, panes[i % 4].key);
		console_update(&c, s);
		console_draw(&c, s, g80);
		double t2 = now_ms();
		console_draw(&c, s, g120);
		double t3 = now_ms();
		b[i] = t1 - t0;
		d80[i] = t2 - t1;
		d120[i] = t3 - t2;
		fr[i] = t2 - t0;
	}
	for (int i = 0; i < frames && rc == 0; i++) {
		double t0 = now_ms();
		rc = console_read_build(db, s, now + i * 1000LL, detail, &cause);
		bd[i] = now_ms() - t0;
	}
	if (rc != 0) {
		fprintf(stderr, "console_bench: %s\n", cause ? cause : vg_strerror(rc));
		return 1;
	}
	stats("build (every pane's queries)", b, frames);
	stats("build with incident detail", bd, frames);
	stats("draw 80x24", d80, frames);
	stats("draw 120x40", d120, frames);
	stats("frame 80x24 (build+draw)", fr, frames);
	printf("(target: frame <= 5 ms; %d incidents and %d providers in the snapshot)\n",
	       s->n_incidents, s->n_providers);
	console_read_close(db);
	free(b);
	free(bd);
	free(d80);
	free(d120);
	free(fr);
	grid_free(g80);
	grid_free(g120);
	console_done(&c);
	snapshot_free(s);
	if (made_dir && !keep) {
		unlink(path);
		char side[600];
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
		rmdir(dir);
	} else if (made_dir) {
		printf("kept %s\n", path);
	}
	return 0;
}
