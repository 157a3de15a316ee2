/*
 * probe_bench.c: what a canary probe costs vigil in CPU, against Debian's
 * prometheus-blackbox-exporter doing the same probe. Prints figures, never
 * fails on time.
 *
 *   probe_bench [--rate N] [--seconds S] [--vigil PATH]
 *
 * The provider simulator runs as a separate process (`vigil sim providers
 * --scenario faults`, plain HTTP on 127.0.0.1). Then, in one run:
 *   vigil     the real canary path in this process (probes/canary: the
 *             schedule, a fresh connection per probe, normalise, the
 *             observation), with N/10 endpoints at a 100 ms interval, so
 *             N probes/s, for S seconds: CPU ms per probe from getrusage
 *             (all threads, libcurl's included) and peak RSS;
 *   blackbox  when prometheus-blackbox-exporter is installed: the same POST
 *             to the same simulator through its /probe endpoint at the same
 *             rate (a new connection per probe is what it does), CPU ms per
 *             probe of the exporter process from /proc/<pid>/stat.
 * Defaults: 600 probes/s for 20 s. The simulator's CPU is in neither figure.
 */
#include "app/config.h"
#include "core/vgerr.h"
#include "probes/canary.h"
#include "tests/support/proc.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct bench {
	uv_loop_t loop;
	uint64_t done, healthy, failed;
	bool counting;
};

static double cpu_self_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3 +
	       (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
}

static double cpu_proc_ms(pid_t pid)
{
	char p[64], buf[2048];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the ")" of the command name: state is field 3; utime
	 * and stime are fields 14 and 15. */
	char *s = strrchr(buf, ')');
	if (!s)
		return -1;
	unsigned long ut = 0, st = 0;
	if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_probe(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct bench *b = ud;
	(void)obs;
	if (!b->counting)
		return;
	b->done++;
	if (r->healthy)
		b->healthy++;
	else
		b->failed++;
}

static void on_log(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "canary: %s\n", line);
}

static void on_stop_timer(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void run_for(uv_loop_t *loop, double seconds)
{
	uv_timer_t t;
	uv_timer_init(loop, &t);
	uv_timer_start(&t, on_stop_timer, (uint64_t)(seconds * 1000), 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static int bench_vigil(int port, int rate, int seconds)
{
	int endpoints = rate / 10; /* at a 100 ms interval */
	if (endpoints < 1)
		endpoints = 1;
	const char *names[] = { "openai",      "anthropic", "google",   "openai-b",
		                "anthropic-b", "google-b",  "openai-c", "anthropic-c" };
	const char *kinds[] = { "openai", "anthropic", "google" };
	int per = 15;
	int nprov = (endpoints + per - 1) / per;
	if (nprov > 8) {
		fprintf(stderr, "rate %d needs more than 8 providers of 15 models\n", rate);
		return 1;
	}
	size_t cap = 4096 + (size_t)nprov * (size_t)per * 64;
	char *yaml = malloc(cap);
	size_t o = (size_t)snprintf(yaml, cap, "providers:\n");
	int left = endpoints;
	for (int p = 0; p < nprov; p++) {
		o += (size_t)snprintf(yaml + o, cap - o,
		                      "  - {name: %s, kind: %s, base_url: 'http://127.0.0.1:%d',"
		                      " api_key_env: PROBE_BENCH_KEY, models: [",
		                      names[p], kinds[p % 3], port);
		int m = left < per ? left : per;
		for (int i = 0; i < m; i++)
			o += (size_t)snprintf(yaml + o, cap - o,
			                      "%s{name: sim-ok, price_in_per_1k: 0.0001, "
			                      "price_out_per_1k: 0.0004}",
			                      i ? ", " : "");
		left -= m;
		o += (size_t)snprintf(yaml + o, cap - o, "]}\n");
	}
	snprintf(yaml + o, cap - o,
	         "probes: {interval: 100ms, jitter: 1ms, timeout: 5s, daily_budget_usd: 0}\n");
	setenv("PROBE_BENCH_KEY", "sk-bench", 1);
	struct vigil_config *vc = malloc(sizeof(*vc));
	struct canary_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(vc);
	if (config_load_string(vc, yaml, strlen(yaml), "bench.yaml", &cause)) {
		fprintf(stderr, "bench config: %s\n", cause);
		return 1;
	}
	config_canary(vc, cfg);
	free(vc);
	free(yaml);
	struct bench b = { 0 };
	uv_loop_init(&b.loop);
	struct canary_opts opts = { .log = on_log, .seed = 1 };
	struct canary_set *set = NULL;
	if (canary_start_opts(&b.loop, cfg, &opts, on_probe, &b, &set, &cause)) {
		fprintf(stderr, "canary: %s\n", cause);
		return 1;
	}
	run_for(&b.loop, 1.0); /* warm up: every endpoint probed at least once */
	b.counting = true;
	double c0 = cpu_self_ms(), t0 = now_s();
	run_for(&b.loop, seconds);
	double c1 = cpu_self_ms(), t1 = now_s();
	b.counting = false;
	canary_stop(set);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	uv_loop_close(&b.loop);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double per_probe = b.done ? (c1 - c0) / (double)b.done : 0;
	printf("vigil     %d endpoints x 10/s: %llu probes in %.1f s (%.0f/s, %llu healthy, %llu "
	       "failed); CPU %.0f ms = %.3f ms per probe; peak RSS %ld KiB\n",
	       endpoints, (unsigned long long)b.done, t1 - t0, (double)b.done / (t1 - t0),
	       (unsigned long long)b.healthy, (unsigned long long)b.failed, c1 - c0, per_probe,
	       ru.ru_maxrss);
	free(cfg);
	return 0;
}

/* ---- blackbox_exporter, driven through its /probe endpoint ---- */

struct driver {
	uv_loop_t *loop;
	struct http_client *http;
	char url[1024];
	uint64_t sent, done, ok;
	uint64_t target;
	double t0;
	int rate;
	uv_timer_t tick;
};

static void on_bb(void *data, const struct http_response *r)
{
	struct driver *d = data;
	d->done++;
	if (r->status == 200 && r->body && strstr(r->body, "probe_success 1"))
		d->ok++;
}

static void on_tick(uv_timer_t *t)
{
	struct driver *d = t->data;
	double el = now_s() - d->t0;
	uint64_t due = (uint64_t)(el * d->rate);
	if (due > d->target)
		due = d->target;
	while (d->sent < due) {
		struct http_request req = { .url = d->url, .timeout_ms = 10000 };
		if (http_request(d->http, &req, on_bb, d, NULL) != 0)
			break;
		d->sent++;
	}
	if (d->sent >= d->target)
		uv_timer_stop(t);
}

static void bench_blackbox(int sim_port, int rate, int seconds)
{
	char *bin = tp_which("prometheus-blackbox-exporter");
	if (!bin) {
		printf("blackbox  not installed (apt-get install prometheus-blackbox-exporter): "
		       "skipped\n");
		return;
	}
	char dir[] = "/tmp/probe-bench-XXXXXX";
	if (!mkdtemp(dir))
		return;
	char conf[128], log[128];
	snprintf(conf, sizeof(conf), "%s/blackbox.yml", dir);
	snprintf(log, sizeof(log), "%s/blackbox.log", dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return;
	fprintf(f, "modules:\n  canary:\n    prober: http\n    timeout: 5s\n    http:\n"
	           "      method: POST\n      preferred_ip_protocol: ip4\n"
	           "      valid_status_codes: [200]\n"
	           "      headers:\n        Authorization: Bearer sk-bench\n"
	           "        Content-Type: application/json\n"
	           "      body: '{\"model\":\"sim-ok\",\"messages\":[{\"role\":\"user\","
	           "\"content\":\"Reply with exactly this JSON object and nothing else: "
	           "{\\\"ok\\\":true}\"}],\"max_completion_tokens\":16}'\n");
	fclose(f);
	int port = tp_free_port();
	char listen[64], cfarg[200];
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	snprintf(cfarg, sizeof(cfarg), "--config.file=%s", conf);
	char *argv[] = { bin, listen, cfarg, NULL };
	pid_t pid = tp_spawn(argv, log);
	free(bin);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct driver d = { .loop = &loop, .rate = rate };
	http_client_new(&loop, &d.http);
	snprintf(d.url, sizeof(d.url),
	         "http://127.0.0.1:%d/probe?module=canary&target=http%%3A%%2F%%2F127.0.0.1%%3A%d"
	         "%%2Fv1%%2Fchat%%2Fcompletions",
	         port, sim_port);
	/* Wait until it answers a probe. */
	bool up = false;
	for (int i = 0; i < 50 && !up; i++) {
		struct tp_response r = { 0 };
		if (tp_http(&loop, d.http, NULL, d.url, NULL, NULL, 2000, &r) == 0 &&
		    r.status == 200)
			up = strstr(r.body, "probe_success 1") != NULL;
		free(r.body);
		if (!up)
			usleep(100000);
	}
	if (!up) {
		struct tp_response r = { 0 };
		tp_http(&loop, d.http, NULL, d.url, NULL, NULL, 2000, &r);
		printf("blackbox  its probe does not succeed (status %d: %.300s; see %s): "
		       "skipped\n",
		       r.status, r.body ? r.body : "", log);
		free(r.body);
		tp_kill(pid);
		return;
	}
	/* Warm up for a second, then measure. */
	d.target = (uint64_t)rate;
	d.t0 = now_s();
	uv_timer_init(&loop, &d.tick);
	d.tick.data = &d;
	uv_timer_start(&d.tick, on_tick, 0, 5);
	while (d.done < d.target)
		uv_run(&loop, UV_RUN_ONCE);
	d.sent = d.done = d.ok = 0;
	d.target = (uint64_t)rate * (uint64_t)seconds;
	double c0 = cpu_proc_ms(pid), t0 = now_s();
	d.t0 = t0;
	uv_timer_start(&d.tick, on_tick, 0, 5);
	while (d.done < d.target)
		uv_run(&loop, UV_RUN_ONCE);
	double c1 = cpu_proc_ms(pid), t1 = now_s();
	uv_close((uv_handle_t *)&d.tick, NULL);
	http_client_close(d.http);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	tp_kill(pid);
	printf("blackbox  %llu probes in %.1f s (%.0f/s, %llu probe_success 1); CPU %.0f ms = "
	       "%.3f ms per probe\n",
	       (unsigned long long)d.done, t1 - t0, (double)d.done / (t1 - t0),
	       (unsigned long long)d.ok, c1 - c0, d.done ? (c1 - c0) / (double)d.done : 0);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	int rate = 600, seconds = 20;
	char vigil[4096] = "";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
			rate = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--vigil") == 0 && i + 1 < argc)
			snprintf(vigil, sizeof(vigil), "%s", argv[++i]);
		else {
			fprintf(stderr,
			        "usage: probe_bench [--rate N] [--seconds S] [--vigil PATH]\n");
			return 2;
		}
	}
	if (rate < 10 || rate > 1200 || seconds < 1) {
		fprintf(stderr, "probe_bench: --rate 10..1200, --seconds >= 1\n");
		return 2;
	}
	if (!vigil[0]) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return 1;
		self[n] = '\0';
		snprintf(vigil, sizeof(vigil), "%s/vigil", dirname(self));
	}
	if (access(vigil, X_OK) != 0) {
		fprintf(stderr, "probe_bench: %s: %s (use --vigil PATH)\n", vigil, strerror(errno));
		return 1;
	}
	http_global_init();
	char dir[] = "/tmp/probe-bench-sim-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char pf[128], log[128];
	snprintf(pf, sizeof(pf), "%s/port", dir);
	snprintf(log, sizeof(log), "%s/sim.log", dir);
	char *sargv[] = {
		vigil, "sim", "providers", "--scenario", "faults", "--port-file", pf, NULL
	};
	pid_t sim = tp_spawn(sargv, log);
	int port = 0;
	for (int i = 0; i < 100 && port <= 0; i++) {
		FILE *f = fopen(pf, "r");
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port <= 0)
			usleep(50000);
	}
	if (port <= 0) {
		fprintf(stderr, "probe_bench: the simulator did not start (see %s)\n", log);
		tp_kill(sim);
		return 1;
	}
	printf("probe_bench: %d probes/s for %d s against the simulator on 127.0.0.1:%d "
	       "(separate process), fresh connection per probe\n",
	       rate, seconds, port);
	fflush(stdout);
	int rc = bench_vigil(port, rate, seconds);
	fflush(stdout);
	if (rc == 0)
		bench_blackbox(port, rate, seconds);
	tp_kill(sim);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
