/*
 * ingest_bench.c: how fast `vigil ingest` turns events-v1 lines into rows,
 * against what a user could do instead. Prints figures, never fails on time.
 *
 *   ingest_bench [--lines N] [--dir DIR] [--seed S] [--runs R]
 *       generate N realistic lines (about 570 bytes each, a provider/status
 *       mix like real traffic, retries with attempt 2), then time in one run:
 *         cat        reading the file (the I/O floor)
 *         tokenize   the tokenizer alone, same lines: jsmn (Debian's
 *                    header-only libjsmn, strict mode) vs data/jtok
 *         parse      jansson json_loadb of every line vs vigil's decoder
 *                    (jtok + field table + normalise): the parser choice
 *         python     json.loads + sqlite3 executemany per 10k rows into the
 *                    same table (the script a user would write instead)
 *         ceiling    SQLite insert-only of the same rows, pre-parsed, same
 *                    table, same pragmas, 20k rows per transaction
 *         vigil      `vigil ingest FILE --db NEW` (its peak RSS too)
 *   ingest_bench --generate FILE [--lines N] [--seed S] [--bad K]
 *       only write the lines (K of them malformed); used by the soak test.
 *
 * The line starting with "vigil" gives events/s, the ratios and peak RSS.
 * Each contender runs R times (default 3) on a fresh copy of the database
 * and the fastest run counts, for every contender alike: the machine is
 * shared, and the best run is the one least disturbed by others.
 */
#include "core/vgerr.h"
#include "data/decode.h"
#include "data/jtok.h"
#include "data/store.h"

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static double unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the generator ------------------------------------------------------------------ */

struct prov {
	const char *name, *model, *region;
	double share;
};

static const struct prov provs[] = {
	{ "openai", "gpt-4o-mini-2024-07-18", "us-east-1", 0.5 },
	{ "anthropic", "claude-3-5-haiku-20241022", "us-east-1", 0.3 },
	{ "google", "gemini-1.5-flash-002", "europe-west4", 0.2 },
};

static const char *const templates[] = { "support-answer", "summarise-ticket", "classify-intent",
	                                 "extract-entities", "draft-reply" };
static const char *const classes[] = { "revenue", "compliance", "internal", "experimental" };

/* An error body in the provider's own shape. */
static const char *error_body(int p, int status)
{
	if (p == 0) {
		if (status == 429)
			return "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini on "
			       "requests per min\",\"type\":\"requests\",\"param\":null,\"code\":"
			       "\"rate_limit_exceeded\"}}";
		if (status == 400)
			return "{\"error\":{\"message\":\"This model's maximum context length is "
			       "128000 tokens\",\"type\":\"invalid_request_error\",\"param\":"
			       "\"messages\",\"code\":\"context_length_exceeded\"}}";
		return "{\"error\":{\"message\":\"The server had an error while processing your "
		       "request\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
	}
	if (p == 1) {
		if (status == 429)
			return "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
			       "\"message\":\"Number of requests has exceeded your rate limit\"}}";
		if (status == 529 || status == 503)
			return "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
			       "\"message\":\"Overloaded\"}}";
		if (status == 400)
			return "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
			       "\"message\":\"prompt is too long\"}}";
		return "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"
		       "\"Internal server error\"}}";
	}
	if (status == 429)
		return "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. "
		       "check "
		       "quota).\",\"status\":\"RESOURCE_EXHAUSTED\"}}";
	if (status == 400)
		return "{\"error\":{\"code\":400,\"message\":\"Request contains an invalid "
		       "argument.\",\"status\":\"INVALID_ARGUMENT\"}}";
	return "{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again "
	       "later.\",\"status\":\"UNAVAILABLE\"}}";
}

/* Write one line into buf; returns its length (newline included). */
static int gen_line(char *buf, size_t size, long i, int attempt, int64_t ts_ms)
{
	double u = unit();
	int p = u < provs[0].share ? 0 : u < provs[0].share + provs[1].share ? 1 : 2;
	const struct prov *pv = &provs[p];
	double r = unit();
	int status = 200;
	const char *terr = NULL;
	if (r < 0.025)
		status = 429;
	else if (r < 0.033)
		status = p == 1 ? 529 : 503;
	else if (r < 0.040)
		status = 500;
	else if (r < 0.044)
		status = 400;
	else if (r < 0.047)
		terr = "timeout";
	int64_t s = ts_ms / 1000;
	int64_t days = s / 86400, rem = s % 86400;
	/* civil date from days (Howard Hinnant's algorithm) */
	int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	double dns = 0.5 + unit() * 3, conn = dns + 5 + unit() * 20, tls = conn + 10 + unit() * 30;
	double ttfb = tls + 150 + unit() * 900, total = ttfb + 100 + unit() * 2500;
	long in_tok = 200 + (long)(unit() * 3000), out_tok = 20 + (long)(unit() * 600);
	int n = snprintf(
	        buf, size,
	        "{\"schema_version\":1,\"ts\":\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld."
	        "%03lldZ\",\"request_id\":\"req_%09ld\",\"provider\":\"%s\",\"model\":"
	        "\"%s\",\"region\":\"%s\",\"key_alias\":\"%s\",\"template\":\"%s\","
	        "\"traffic_class\":\"%s\",\"selection\":{\"reason\":\"%s\",\"attempt\":%d},"
	        "\"stream\":%s,",
	        (long long)y, (long long)m, (long long)d, (long long)(rem / 3600),
	        (long long)(rem / 60 % 60), (long long)(rem % 60), (long long)(ts_ms % 1000), i,
	        pv->name, pv->model, pv->region, pv->name, templates[rnd() % 5], classes[rnd() % 4],
	        attempt > 1 ? "fallback" : "primary", attempt, unit() < 0.6 ? "true" : "false");
	if (terr) {
		n += snprintf(
		        buf + n, size - (size_t)n,
		        "\"transport\":{\"dns_ms\":%.1f,\"connect_ms\":%.1f,\"total_ms\":30000,"
		        "\"error\":\"%s\"},\"retry_count\":%d}\n",
		        dns, conn, terr, attempt - 1);
		return n;
	}
	n += snprintf(buf + n, size - (size_t)n,
	              "\"transport\":{\"dns_ms\":%.1f,\"connect_ms\":%.1f,\"tls_ms\":%.1f,"
	              "\"ttfb_ms\":%.1f,\"total_ms\":%.1f},",
	              dns, conn, tls, ttfb, total);
	if (status == 200) {
		n += snprintf(
		        buf + n, size - (size_t)n,
		        "\"http\":{\"status\":200,\"headers\":{\"x-ratelimit-remaining-requests\":"
		        "\"%ld\"},\"body_bytes\":%ld},\"response\":{\"finish_reason\":\"%s\"},"
		        "\"usage\":{\"input_tokens\":%ld,\"output_tokens\":%ld},"
		        "\"cost_usd\":%.6f,\"retry_count\":%d}\n",
		        (long)(rnd() % 5000), 400 + out_tok * 4,
		        p == 1   ? "end_turn"
		        : p == 2 ? "STOP"
		                 : "stop",
		        in_tok, out_tok, (double)in_tok * 1.5e-7 + (double)out_tok * 6e-7,
		        attempt - 1);
	} else {
		const char *body = error_body(p, status);
		n += snprintf(buf + n, size - (size_t)n,
		              "\"http\":{\"status\":%d,%s\"body_bytes\":%zu,\"body\":%s},"
		              "\"retry_count\":%d}\n",
		              status, status == 429 ? "\"headers\":{\"retry-after\":\"2\"}," : "",
		              strlen(body), body, attempt - 1);
	}
	return n;
}

/* Write `lines` lines; `bad` of them malformed (evenly spread). ~1% of
 * failed requests are followed by their retry (attempt 2), and ~0.5% of
 * lines are written twice (a gateway repeating itself). Returns the number
 * of distinct (request_id, attempt) pairs among the good lines. */
static long generate(const char *path, long lines, uint64_t seed, long bad)
{
	rng_state = seed ? seed : 88172645463325252ULL;
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	static char buf[8192];
	int64_t ts = 1795773600000LL; /* 2026-11-27T10:00:00Z */
	long written = 0, distinct = 0, id = 0;
	long bad_every = bad > 0 ? lines / bad : 0;
	char last[8192];
	int last_len = 0;
	while (written < lines) {
		if (bad_every && written % bad_every == bad_every / 2 && bad > 0) {
			static const char *const junk[] = {
				"{\"schema_version\":1,\"ts\":\"2026-11-27T10:00:00.000Z\","
				"\"requ\n",
				"\xff\xfe garbage \x01\x02\n",
				"{\"schema_version\":9,\"ts\":\"2026-11-27T10:00:00.000Z\","
				"\"request_id\":\"x\",\"provider\":\"openai\"}\n",
			};
			fputs(junk[written % 3], f);
			written++;
			bad--;
			continue;
		}
		if (last_len && unit() < 0.005) {
			fwrite(last, 1, (size_t)last_len, f); /* repeated line */
			written++;
			continue;
		}
		ts += (int64_t)(rnd() % 12);
		int n = gen_line(buf, sizeof(buf), id, 1, ts);
		fwrite(buf, 1, (size_t)n, f);
		memcpy(last, buf, (size_t)n);
		last_len = n;
		written++;
		distinct++;
		if (written < lines && strstr(buf, "\"status\":200") == NULL && unit() < 0.2) {
			n = gen_line(buf, sizeof(buf), id, 2, ts + 50);
			fwrite(buf, 1, (size_t)n, f);
			written++;
			distinct++;
		}
		id++;
	}
	fclose(f);
	return distinct;
}

/* ---- contenders ---------------------------------------------------------------------- */

/* CPU seconds (user + system) of the last run(). */
static double cpu_of(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

/* Run argv, wait; returns seconds, peak RSS in KiB and CPU seconds (either
 * may be NULL); exit status in *rc. */
static double run_cpu(char *const argv[], const char *out, long *rss_kib, double *cpu, int *rc)
{
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	wait4(pid, &status, 0, &ru);
	double t = now_s() - t0;
	if (rss_kib)
		*rss_kib = ru.ru_maxrss;
	if (cpu)
		*cpu = cpu_of(&ru);
	*rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return t;
}

static double run(char *const argv[], const char *out, long *rss_kib, int *rc)
{
	return run_cpu(argv, out, rss_kib, NULL, rc);
}

static const char python_script[] =
        "import json, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[2])\n"
        "db.execute('PRAGMA journal_mode=WAL'); db.execute('PRAGMA synchronous=NORMAL')\n"
        "sql = ('INSERT OR IGNORE INTO observations (ts_ms, request_id, attempt, source, "
        "provider,'\n"
        "       ' model, region, key_alias, template, traffic_class, selection, http_status,'\n"
        "       ' transport_error, error_class, finish, dns_ms, connect_ms, tls_ms, ttfb_ms,'\n"
        "       ' total_ms, input_tokens, output_tokens, cached_input_tokens,'\n"
        "       ' predicted_input_tokens, cost_usd, retry_count, body_bytes) VALUES'\n"
        "       ' (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)')\n"
        "rows = []\n"
        "bad = 0\n"
        "with open(sys.argv[1], encoding='utf-8', errors='replace') as f:\n"
        "    for line in f:\n"
        "        try:\n"
        "            e = json.loads(line)\n"
        "            if e['schema_version'] != 1: raise ValueError('version')\n"
        "            t = e.get('transport') or {}; h = e.get('http') or {}\n"
        "            u = e.get('usage') or {}; s = e.get('selection') or {}\n"
        "            r = e.get('response') or {}\n"
        "            st = h.get('status')\n"
        "            rows.append((e['ts'], e['request_id'], s.get('attempt', 1), 'gateway',\n"
        "                e['provider'], e.get('model'), e.get('region'), e.get('key_alias'),\n"
        "                e.get('template'), e.get('traffic_class'), s.get('reason'), st,\n"
        "                t.get('error'), 'ok' if st and st < 400 else 'error',\n"
        "                r.get('finish_reason'), t.get('dns_ms'), t.get('connect_ms'),\n"
        "                t.get('tls_ms'), t.get('ttfb_ms'), t.get('total_ms'),\n"
        "                u.get('input_tokens'), u.get('output_tokens'),\n"
        "                u.get('cached_input_tokens'), u.get('predicted_input_tokens'),\n"
        "                e.get('cost_usd'), e.get('retry_count'), h.get('body_bytes')))\n"
        "        except (ValueError, KeyError, TypeError):\n"
        "            bad += 1\n"
        "        if len(rows) >= 10000:\n"
        "            db.executemany(sql, rows); db.commit(); rows = []\n"
        "db.executemany(sql, rows); db.commit()\n";

static int create_schema(const char *dir, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	unlink(path);
	/* let vigil's own migrations create the table: an empty ingest */
	char empty[600];
	snprintf(empty, sizeof(empty), "%s/empty.jsonl", dir);
	FILE *f = fopen(empty, "w");
	if (f)
		fclose(f);
	return 0;
}

static double process_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ceiling(const char *dbpath, const struct observation *rows, long n, double *cpu)
{
	/* the same process-wide settings vigil's store uses */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db,
	             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-2048",
	             NULL, NULL, NULL);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(
	        db,
	        "INSERT OR IGNORE INTO observations (ts_ms, request_id, attempt, source, "
	        "provider, model, region, key_alias, template, traffic_class, selection, "
	        "http_status, transport_error, error_class, finish, dns_ms, connect_ms, "
	        "tls_ms, ttfb_ms, total_ms, input_tokens, output_tokens, "
	        "cached_input_tokens, predicted_input_tokens, cost_usd, retry_count, "
	        "body_bytes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        -1, &st, NULL);
	double t0 = now_s(), c0 = process_cpu();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; i < n; i++) {
		const struct observation *o = &rows[i];
#define TXT(k, s)                                                                                  \
	((s)[0] ? sqlite3_bind_text(st, k, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, k))
#define DBL(k, v) (vg_has_d(v) ? sqlite3_bind_double(st, k, v) : sqlite3_bind_null(st, k))
#define I64(k, v) (vg_has(v) ? sqlite3_bind_int64(st, k, v) : sqlite3_bind_null(st, k))
		sqlite3_bind_int64(st, 1, o->ts_ms);
		TXT(2, o->request_id);
		sqlite3_bind_int(st, 3, o->attempt > 0 ? o->attempt : 1);
		sqlite3_bind_text(st, 4, "gateway", -1, SQLITE_STATIC);
		TXT(5, o->pid.provider);
		TXT(6, o->pid.model);
		TXT(7, o->pid.region);
		TXT(8, o->pid.key_alias);
		TXT(9, o->template_id);
		sqlite3_bind_text(st, 10, model_traffic_class_name(o->traffic_class), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 11, model_selection_reason_name(o->selection_reason), -1,
		                  SQLITE_STATIC);
		if (o->http_status >= 0)
			sqlite3_bind_int(st, 12, o->http_status);
		else
			sqlite3_bind_null(st, 12);
		if (o->transport_error != TE_NONE)
			sqlite3_bind_text(st, 13, model_transport_error_name(o->transport_error),
			                  -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 13);
		sqlite3_bind_text(st, 14, model_err_class_name(o->norm.error_class), -1,
		                  SQLITE_STATIC);
		if (o->norm.finish >= 0)
			sqlite3_bind_text(st, 15, model_finish_reason_name(o->norm.finish), -1,
			                  SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 15);
		DBL(16, o->dns_ms);
		DBL(17, o->connect_ms);
		DBL(18, o->tls_ms);
		DBL(19, o->ttfb_ms);
		DBL(20, o->total_ms);
		I64(21, o->input_tokens);
		I64(22, o->output_tokens);
		I64(23, o->cached_input_tokens);
		I64(24, o->predicted_input_tokens);
		DBL(25, o->cost_usd);
		if (o->retry_count >= 0)
			sqlite3_bind_int(st, 26, o->retry_count);
		else
			sqlite3_bind_null(st, 26);
		I64(27, o->body_bytes);
		sqlite3_step(st);
		sqlite3_reset(st);
		if ((i + 1) % 20000 == 0) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		}
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double t = now_s() - t0;
	*cpu = process_cpu() - c0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)sz + 1);
	if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b)
		*len = (size_t)sz;
	return b;
}

static const char *vigil_bin(void)
{
	const char *env = getenv("VIGIL_BIN");
	if (env && *env)
		return env;
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	if (n > 0) {
		path[n] = '\0';
		char *slash = strrchr(path, '/');
		if (slash) {
			snprintf(slash + 1, 16, "vigil"); /* 16 bytes were kept free */
			return path;
		}
	}
	return "vigil";
}

int main(int argc, char **argv)
{
	long lines = 1000000, bad = 0, runs = 3;
	uint64_t seed = 20261127;
	const char *dir = NULL, *gen_only = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc)
			lines = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--bad") == 0 && i + 1 < argc)
			bad = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--generate") == 0 && i + 1 < argc)
			gen_only = argv[++i];
		else {
			fprintf(stderr, "usage: ingest_bench [--lines N] [--dir DIR] [--seed S]\n"
			                "       ingest_bench --generate FILE [--lines N] [--seed "
			                "S] [--bad K]\n");
			return 2;
		}
	}
	if (gen_only) {
		long distinct = generate(gen_only, lines, seed, bad);
		printf("%ld\n", distinct);
		return 0;
	}
	char tmpl[] = "/tmp/vigil-bench-XXXXXX";
	if (!dir) {
		dir = mkdtemp(tmpl);
		if (!dir) {
			perror("mkdtemp");
			return 2;
		}
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		perror(dir);
		return 2;
	}
	char file[600], db[600], py[600], out[600];
	snprintf(file, sizeof(file), "%s/events.jsonl", dir);
	snprintf(py, sizeof(py), "%s/ingest.py", dir);
	snprintf(out, sizeof(out), "%s/vigil.out", dir);
	long distinct = generate(file, lines, seed, 0);
	struct stat sb;
	stat(file, &sb);
	printf("input    %ld lines, %ld distinct (id, attempt), %.0f bytes/line, %s\n", lines,
	       distinct, (double)sb.st_size / (double)lines, file);
	const char *vigil = vigil_bin();
	int rc;

	/* cat */
	char *cat_argv[] = { "cat", file, NULL };
	run(cat_argv, NULL, NULL, &rc); /* warm the page cache */
	double t_cat = 1e30;
	for (long k = 0; k < runs; k++) {
		double t = run(cat_argv, NULL, NULL, &rc);
		t_cat = t < t_cat ? t : t_cat;
	}
	printf("cat      %.3f s  %.0f events/s  (best of %ld)\n", t_cat, (double)lines / t_cat,
	       runs);

	/* parsers, in process */
	size_t len;
	char *text = slurp(file, &len);
	struct observation *rows = malloc((size_t)lines * sizeof(*rows));
	if (!text || !rows) {
		fprintf(stderr, "out of memory\n");
		return 2;
	}
	/* the tokenizers alone: jsmn checks less of the grammar (separators,
	 * literals, number syntax are left to its caller), jtok checks all */
	double t0 = now_s();
	long nt_jsmn = 0, nt_jtok = 0;
	unsigned jcap = 1024;
	jsmntok_t *jt = malloc(jcap * sizeof(*jt));
	for (char *p = text, *end = text + len; jt && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		jsmn_parser jp;
		jsmn_init(&jp);
		nt_jsmn += jsmn_parse(&jp, p, (size_t)(nl - p), jt, jcap) > 0;
		p = nl + 1;
	}
	double t_jsmn = now_s() - t0;
	free(jt);
	struct jtok *tt = NULL;
	size_t tcap = 0;
	t0 = now_s();
	for (char *p = text, *end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		struct jtok_error je;
		nt_jtok += jtok_parse(p, (size_t)(nl - p), &tt, &tcap, &je) > 0;
		p = nl + 1;
	}
	double t_jtok = now_s() - t0;
	free(tt);
	printf("tokenize jsmn (strict) %.0f lines/s; jtok %.0f lines/s (%.2fx; %ld and %ld lines "
	       "tokenized)\n",
	       (double)nt_jsmn / t_jsmn, (double)nt_jtok / t_jtok, t_jsmn / t_jtok, nt_jsmn,
	       nt_jtok);

	t0 = now_s();
	long nj = 0;
	for (char *p = text, *end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);
		nj += j != NULL;
		json_decref(j);
		p = nl + 1;
	}
	double t_jansson = now_s() - t0;
	struct decoder *dec = decoder_new();
	long nrows = 0;
	t0 = now_s();
	for (char *p = text, *end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		struct decode_result r;
		if (decode_line(dec, DECODE_VIGIL, p, (size_t)(nl - p), &r) == 0 && r.n_obs == 1)
			rows[nrows++] = r.obs[0];
		p = nl + 1;
	}
	double t_decode = now_s() - t0;
	decoder_free(dec);
	printf("parse    jansson json_loadb %.0f lines/s; vigil decoder (jtok + fields + "
	       "normalise) "
	       "%.0f lines/s (%.1fx)\n",
	       (double)nj / t_jansson, (double)nrows / t_decode, t_jansson / t_decode);

	/* an empty database with vigil's schema, for python and the ceiling */
	char empty[640];
	create_schema(dir, "template.db", db, sizeof(db));
	snprintf(empty, sizeof(empty), "%s/empty.jsonl", dir);
	char *mk_argv[] = { (char *)vigil, "ingest", empty, "--db", db, NULL };
	run(mk_argv, NULL, NULL, &rc);
	if (rc != 0) {
		fprintf(stderr, "could not create a database with %s (exit %d)\n", vigil, rc);
		return 2;
	}

	/* python */
	FILE *pf = fopen(py, "w");
	fputs(python_script, pf);
	fclose(pf);
	char pydb[640], cp[2048];
	snprintf(pydb, sizeof(pydb), "%s/python.db", dir);
	snprintf(cp, sizeof(cp), "rm -f %s-wal %s-shm; cp %s %s", pydb, pydb, db, pydb);
	char *py_argv[] = { "python3", py, file, pydb, NULL };
	long py_rss = 0;
	double t_py = 1e30;
	for (long k = 0; k < runs; k++) {
		if (system(cp) != 0)
			return 2;
		long r;
		double t = run(py_argv, NULL, &r, &rc);
		t_py = t < t_py ? t : t_py;
		py_rss = r > py_rss ? r : py_rss;
	}
	printf("python   %.3f s  %.0f events/s  (json.loads + sqlite3 executemany per 10k; exit "
	       "%d, "
	       "peak RSS %.1f MiB)\n",
	       t_py, (double)lines / t_py, rc, (double)py_rss / 1024.0);

	/* ceiling */
	char cdb[640];
	snprintf(cdb, sizeof(cdb), "%s/ceiling.db", dir);
	snprintf(cp, sizeof(cp), "rm -f %s-wal %s-shm; cp %s %s", cdb, cdb, db, cdb);
	double t_ceil = 1e30, cpu_ceil = 1e30;
	for (long k = 0; k < runs; k++) {
		if (system(cp) != 0)
			return 2;
		double c;
		double t = ceiling(cdb, rows, nrows, &c);
		t_ceil = t < t_ceil ? t : t_ceil;
		cpu_ceil = c < cpu_ceil ? c : cpu_ceil;
	}
	printf("ceiling  %.3f s  %.0f events/s  (SQLite insert-only, %ld rows pre-parsed, 20k per "
	       "transaction; %.2f us CPU/event)\n",
	       t_ceil, (double)nrows / t_ceil, nrows, cpu_ceil / (double)nrows * 1e6);
	free(rows);
	free(text);

	/* vigil */
	char vdb[640];
	snprintf(vdb, sizeof(vdb), "%s/vigil.db", dir);
	snprintf(cp, sizeof(cp), "rm -f %s-wal %s-shm; cp %s %s", vdb, vdb, db, vdb);
	char *v_argv[] = { (char *)vigil, "ingest", file, "--db", vdb, NULL };
	long v_rss = 0;
	double t_v = 1e30, cpu_v = 1e30;
	for (long k = 0; k < runs; k++) {
		if (system(cp) != 0)
			return 2;
		long r;
		double c;
		double t = run_cpu(v_argv, out, &r, &c, &rc);
		cpu_v = c < cpu_v ? c : cpu_v;
		t_v = t < t_v ? t : t_v;
		v_rss = r > v_rss ? r : v_rss; /* the largest of the runs */
	}
	double v_rate = (double)lines / t_v;
	printf("vigil    %.3f s  %.0f events/s  %.2fx python  %.2fx ceiling  peak RSS %.1f MiB  "
	       "(exit %d; targets >= 200000 events/s, >= 2.5x, >= 0.85x, <= 16 MiB; %.2f us "
	       "CPU/event "
	       "over all threads, %.2fx the ceiling's)\n",
	       t_v, v_rate, v_rate / ((double)lines / t_py), v_rate / ((double)nrows / t_ceil),
	       (double)v_rss / 1024.0, rc, cpu_v / (double)lines * 1e6,
	       (cpu_v / (double)lines) / (cpu_ceil / (double)nrows));
	char *o = slurp(out, &len);
	if (o) {
		printf("         %s", o);
		free(o);
	}
	if (!getenv("VIGIL_BENCH_KEEP")) {
		char rm[700];
		snprintf(rm, sizeof(rm), "rm -rf %s", dir);
		if (tmpl[0] && strcmp(dir, tmpl) == 0 && system(rm) != 0)
			return 2;
	}
	return 0;
}
