/*
 * cmd_sim.c: `vigil sim`: the simulated providers and gateway (sim/).
 *
 *   vigil sim providers [--port N] [--scenario NAME|FILE] [--speed X] [--truth FILE] ...
 *   vigil sim gateway --scenario NAME|FILE --out FILE [--rate N/s] [--duration D] ...
 *   vigil sim list
 *   vigil sim show NAME
 */
#include "app/cli.h"
#include "app/commands.h"

#include "core/vgerr.h"
#include "sim/sim.h"
#include "sim/sim_buf.h"
#include "sim/sim_timeline.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help_sim(FILE *f)
{
	fprintf(f, "usage: vigil sim <providers|gateway|list|show> [options]\n\n"
	           "Simulated LLM providers and gateway traffic, playing one scenario.\n\n"
	           "  providers   HTTP server on 127.0.0.1 speaking the OpenAI, Anthropic and\n"
	           "              Gemini wire formats, with the scenario's faults\n"
	           "  gateway     write events-v1 lines as a multi-provider gateway would\n"
	           "  list        the shipped scenarios\n"
	           "  show NAME   print a shipped scenario's YAML\n\n"
	           "'vigil sim <command> --help' describes a command's options.\n");
}

static void help_providers(void)
{
	printf("usage: vigil sim providers [--port N] [--scenario NAME|FILE] [--speed X]\n"
	       "                           [--from D] [--seed S] [--loop] [--truth FILE]\n"
	       "                           [--port-file FILE] [--config-out FILE]\n"
	       "                           [--events FILE [--rate N/s]] [--log]\n\n"
	       "Serve the simulated providers on 127.0.0.1 until interrupted, and print the\n"
	       "address it got. Routes: POST /v1/chat/completions, POST /v1/messages,\n"
	       "GET /v1/models, POST /v1beta/models/{model}:generateContent (and\n"
	       ":streamGenerateContent?alt=sse), the Vertex AI path\n"
	       "/v1/projects/P/locations/REGION/publishers/google/models/M:generateContent,\n"
	       "GET /_sim/status. Latencies are real; the scenario's timeline runs X times\n"
	       "faster than the wall clock.\n\n"
	       "  -p, --port N          port (default 0: any free port)\n"
	       "  -s, --scenario NAME   shipped scenario name or a .yaml/.json file (default "
	       "calm)\n"
	       "  -x, --speed X         scenario seconds per wall second (default 1)\n"
	       "  -f, --from D          start at this scenario time (e.g. 11m)\n"
	       "  -S, --seed S          random seed (default: the scenario's)\n"
	       "  -l, --loop            start the scenario over when it ends\n"
	       "  -t, --truth FILE      write the fault onsets and ends as JSON\n"
	       "  -P, --port-file FILE  write the port number to FILE once listening\n"
	       "  -c, --config-out FILE write a vigil.yaml providers section for this server\n"
	       "                        (keys from $VIGIL_SIM_KEY; any value works)\n"
	       "  -e, --events FILE     also write the gateway's events-v1 lines to FILE, live,\n"
	       "                        on the same clock (probes and gateway tell one story)\n"
	       "  -r, --rate N[/s|/m]   gateway requests per scenario second (with --events)\n"
	       "  -v, --log             one line per request on stderr\n"
	       "  -h, --help            this help\n");
}

static void help_gateway(void)
{
	printf("usage: vigil sim gateway --scenario NAME|FILE --out FILE [--rate N/s]\n"
	       "                         [--duration D] [--seed S] [--start RFC3339]\n"
	       "                         [--speed X|max] [--truth FILE]\n"
	       "                         [--rotate-every N] [--rotate-mode rename|copytruncate]\n"
	       "                         [--rotate-keep K] [--append]\n\n"
	       "Write events-v1 lines (one JSON object per line) as a multi-provider gateway\n"
	       "would during the scenario: primary and fallback selection, retries, costs,\n"
	       "provider bodies for errors, response text, retrieval context. With\n"
	       "--speed max (the default) the whole scenario is generated at once on a\n"
	       "virtual clock starting at --start; with --speed X lines are written live,\n"
	       "X scenario seconds per wall second, stamped with the wall clock.\n\n"
	       "  -s, --scenario NAME     shipped scenario name or a .yaml/.json file (required)\n"
	       "  -o, --out FILE          output file, or - for stdout (required)\n"
	       "  -r, --rate N[/s|/m]     requests per scenario second (default: the scenario's)\n"
	       "  -d, --duration D        stop after D of scenario time (default: the scenario's)\n"
	       "  -S, --seed S            random seed (default: the scenario's)\n"
	       "  -T, --start RFC3339     scenario start for --speed max (default: the "
	       "scenario's start,\n"
	       "                          else 2026-11-27T10:00:00Z); a later start shifts "
	       "everything\n"
	       "  -x, --speed X|max       max (default) or live at X times real time\n"
	       "  -t, --truth FILE        write the fault onsets and ends as JSON\n"
	       "  -R, --rotate-every N    rotate the output after every N lines\n"
	       "  -M, --rotate-mode M     rename (default) or copytruncate\n"
	       "  -K, --rotate-keep K     rotated files kept (default 5)\n"
	       "  -a, --append            append to FILE instead of truncating it\n"
	       "  -h, --help              this help\n");
}

static struct sim_scenario *load(const char *cmd, const char *name)
{
	struct sim_scenario *scn = NULL;
	char *cause = NULL;
	if (sim_scenario_load(name, &scn, &cause) != 0) {
		fprintf(stderr, "vigil %s: %s\n", cmd, cause ? cause : "cannot load the scenario");
		free(cause);
		return NULL;
	}
	return scn;
}

static int write_truth(const char *cmd, const char *path, const struct sim_scenario *scn,
                       int64_t start_ms, double speed)
{
	struct sim_buf b;
	sim_buf_init(&b);
	sim_truth_json(scn, start_ms, speed, &b);
	FILE *f = fopen(path, "w");
	int rc = 0;
	if (!f || b.failed || fwrite(b.p, 1, b.len, f) != b.len) {
		fprintf(stderr, "vigil %s: cannot write %s: %s\n", cmd, path,
		        b.failed ? "out of memory" : strerror(errno));
		rc = -1;
	}
	if (f && fclose(f) != 0 && !rc) {
		fprintf(stderr, "vigil %s: cannot write %s: %s\n", cmd, path, strerror(errno));
		rc = -1;
	}
	sim_buf_free(&b);
	return rc;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return false;
	*out = v;
	return true;
}

static bool parse_pos_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v <= 0)
		return false;
	*out = v;
	return true;
}

static bool parse_rate(const char *s, double *out)
{
	char tmp[64];
	double div = 1;
	snprintf(tmp, sizeof(tmp), "%s", s);
	char *slash = strchr(tmp, '/');
	if (slash) {
		if (strcmp(slash, "/s") == 0)
			div = 1;
		else if (strcmp(slash, "/m") == 0 || strcmp(slash, "/min") == 0)
			div = 60;
		else if (strcmp(slash, "/h") == 0)
			div = 3600;
		else
			return false;
		*slash = '\0';
	}
	double v;
	if (!parse_pos_double(tmp, &v))
		return false;
	*out = v / div;
	return *out >= 0.0001 && *out <= 1e6;
}

/* ---- providers ---- */

struct prov_run {
	struct sim_session *ss;
	uv_signal_t sigint, sigterm;
	uv_timer_t check;
	bool stopped;
};

static void prov_stop(struct prov_run *r)
{
	if (r->stopped)
		return;
	r->stopped = true;
	sim_session_stop(r->ss);
	r->ss = NULL;
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	uv_close((uv_handle_t *)&r->check, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	prov_stop(h->data);
}

/* The events file could not be written: say so and stop. */
static void prov_on_check(uv_timer_t *t)
{
	struct prov_run *r = t->data;
	if (r->ss && sim_session_failed(r->ss)) {
		fprintf(stderr,
		        "vigil sim providers: writing the gateway events failed; stopping\n");
		prov_stop(r);
	}
}

static int cmd_providers(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "scenario", required_argument, NULL, 's' },
		{ "speed", required_argument, NULL, 'x' },
		{ "from", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "loop", no_argument, NULL, 'l' },
		{ "truth", required_argument, NULL, 't' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "config-out", required_argument, NULL, 'c' },
		{ "events", required_argument, NULL, 'e' },
		{ "rate", required_argument, NULL, 'r' },
		{ "log", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "sim providers";
	struct sim_session_opts so = { .scenario = "calm", .speed = 1 };
	uint64_t port = 0;
	bool log = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:s:x:f:S:lt:P:c:e:r:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_u64(optarg, &port) || port > 65535)
				return cli_usage_error(cmd, "--port needs 0..65535, got '%s'",
				                       optarg);
			break;
		case 's': so.scenario = optarg; break;
		case 'x':
			if (!parse_pos_double(optarg, &so.speed))
				return cli_usage_error(
				        cmd, "--speed needs a positive number, got '%s'", optarg);
			break;
		case 'f':
			if (sim_time_parse_duration(optarg, &so.from_ms))
				return cli_usage_error(
				        cmd, "--from needs a duration such as 11m, got '%s'",
				        optarg);
			break;
		case 'S':
			if (!parse_u64(optarg, &so.seed))
				return cli_usage_error(cmd, "--seed needs a number, got '%s'",
				                       optarg);
			break;
		case 'l': so.loop = true; break;
		case 't': so.truth_path = optarg; break;
		case 'P': so.port_path = optarg; break;
		case 'c': so.config_path = optarg; break;
		case 'e': so.events_path = optarg; break;
		case 'r':
			if (!parse_rate(optarg, &so.rate))
				return cli_usage_error(
				        cmd, "--rate needs N, N/s, N/m or N/h, got '%s'", optarg);
			break;
		case 'v': log = true; break;
		case 'h': help_providers(); return CLI_EXIT_OK;
		default: return cli_bad_option(cmd, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (so.rate > 0 && !so.events_path)
		return cli_usage_error(cmd, "--rate applies to the gateway events (--events FILE)");
	so.port = (int)port;
	so.log = log ? stderr : NULL;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct prov_run run;
	memset(&run, 0, sizeof(run));
	char *cause = NULL;
	int rc = sim_session_start(&loop, &so, &run.ss, &cause);
	if (rc) {
		fprintf(stderr, "vigil %s: %s\n", cmd, cause ? cause : vg_strerror(rc));
		free(cause);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return CLI_EXIT_FAIL;
	}
	const struct sim_scenario *scn = sim_session_scenario(run.ss);
	printf("vigil sim providers: listening on http://127.0.0.1:%d (scenario %s, speed %g, "
	       "%d phase(s))\n",
	       sim_session_port(run.ss), scn->name, so.speed, scn->n_phases);
	if (so.events_path)
		printf("vigil sim providers: gateway events to %s\n", so.events_path);
	fflush(stdout);
	uv_signal_init(&loop, &run.sigint);
	uv_signal_init(&loop, &run.sigterm);
	uv_timer_init(&loop, &run.check);
	run.sigint.data = run.sigterm.data = run.check.data = &run;
	uv_signal_start(&run.sigint, on_signal, SIGINT);
	uv_signal_start(&run.sigterm, on_signal, SIGTERM);
	uv_timer_start(&run.check, prov_on_check, 500, 500);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return CLI_EXIT_OK;
}

/* ---- gateway ---- */

struct gw_live_run {
	struct sim_live *live;
	uv_signal_t sigint, sigterm;
	uv_timer_t check;
	bool stopped;
};

static void gw_stop(struct gw_live_run *r)
{
	if (r->stopped)
		return;
	r->stopped = true;
	sim_live_stop(r->live);
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	uv_close((uv_handle_t *)&r->check, NULL);
}

static void gw_on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	gw_stop(h->data);
}

static void gw_on_check(uv_timer_t *t)
{
	struct gw_live_run *r = t->data;
	if (sim_live_done(r->live))
		gw_stop(r);
}

static int cmd_gateway(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 'T' },
		{ "speed", required_argument, NULL, 'x' },
		{ "truth", required_argument, NULL, 't' },
		{ "rotate-every", required_argument, NULL, 'R' },
		{ "rotate-mode", required_argument, NULL, 'M' },
		{ "rotate-keep", required_argument, NULL, 'K' },
		{ "append", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "sim gateway";
	const char *scenario = NULL, *out_path = NULL, *truth = NULL;
	double rate = 0, speed = 0; /* speed 0: max */
	int64_t duration = 0, start_ms = 0;
	uint64_t seed = 0, rotate_every = 0, keep = 5;
	bool has_start = false, append = false;
	enum sim_rotate mode = SIM_ROTATE_RENAME;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":s:o:r:d:S:T:x:t:R:M:K:ah", opts, NULL)) != -1) {
		switch (c) {
		case 's': scenario = optarg; break;
		case 'o': out_path = optarg; break;
		case 'r':
			if (!parse_rate(optarg, &rate))
				return cli_usage_error(
				        cmd, "--rate needs N, N/s, N/m or N/h, got '%s'", optarg);
			break;
		case 'd':
			if (sim_time_parse_duration(optarg, &duration) || duration <= 0)
				return cli_usage_error(cmd,
				                       "--duration needs a duration such as 30m, "
				                       "got '%s'",
				                       optarg);
			break;
		case 'S':
			if (!parse_u64(optarg, &seed))
				return cli_usage_error(cmd, "--seed needs a number, got '%s'",
				                       optarg);
			break;
		case 'T':
			if (sim_time_parse_rfc3339(optarg, &start_ms))
				return cli_usage_error(cmd,
				                       "--start needs an RFC 3339 time such as "
				                       "2026-11-27T10:00:00Z, got '%s'",
				                       optarg);
			has_start = true;
			break;
		case 'x':
			if (strcmp(optarg, "max") == 0)
				speed = 0;
			else if (!parse_pos_double(optarg, &speed))
				return cli_usage_error(cmd,
				                       "--speed needs a positive number or max, "
				                       "got '%s'",
				                       optarg);
			break;
		case 't': truth = optarg; break;
		case 'R':
			if (!parse_u64(optarg, &rotate_every) || rotate_every == 0)
				return cli_usage_error(cmd,
				                       "--rotate-every needs a positive number, "
				                       "got '%s'",
				                       optarg);
			break;
		case 'M':
			if (strcmp(optarg, "rename") == 0)
				mode = SIM_ROTATE_RENAME;
			else if (strcmp(optarg, "copytruncate") == 0)
				mode = SIM_ROTATE_COPYTRUNCATE;
			else
				return cli_usage_error(
				        cmd,
				        "--rotate-mode needs rename or copytruncate, "
				        "got '%s'",
				        optarg);
			break;
		case 'K':
			if (!parse_u64(optarg, &keep) || keep == 0 || keep > 1000)
				return cli_usage_error(cmd, "--rotate-keep needs 1..1000, got '%s'",
				                       optarg);
			break;
		case 'a': append = true; break;
		case 'h': help_gateway(); return CLI_EXIT_OK;
		default: return cli_bad_option(cmd, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!scenario)
		return cli_usage_error(cmd, "--scenario is required");
	if (!out_path)
		return cli_usage_error(cmd, "--out is required");
	if (has_start && speed > 0)
		return cli_usage_error(cmd, "--start applies to --speed max only (live lines carry "
		                            "the wall clock)");
	struct sim_scenario *scn = load(cmd, scenario);
	if (!scn)
		return CLI_EXIT_FAIL;
	if (!has_start)
		start_ms = scn->start_ms;
	struct sim_clock clk;
	if (speed > 0) {
		sim_clock_init(&clk, sim_time_wall_ms(), 0, speed);
		start_ms = clk.wall0_ms;
	}
	struct sim_gateway_opts go = {
		.scenario = scn,
		.rate = rate,
		.seed = seed,
		.start_ms = start_ms,
		.ts_scale = speed > 0 ? 1.0 / speed : 1.0,
		.duration_ms = duration,
	};
	char *cause = NULL;
	struct sim_gateway *g = sim_gateway_new(&go, &cause);
	if (!g) {
		fprintf(stderr, "vigil %s: %s\n", cmd, cause ? cause : "out of memory");
		free(cause);
		free(scn);
		return CLI_EXIT_FAIL;
	}
	if (truth && write_truth(cmd, truth, scn, start_ms, speed > 0 ? speed : 1)) {
		sim_gateway_free(g);
		free(scn);
		return CLI_EXIT_FAIL;
	}
	struct sim_out_opts oo = {
		.path = out_path,
		.rotate = rotate_every ? mode : SIM_ROTATE_NONE,
		.rotate_every = rotate_every,
		.keep = (int)keep,
		.append = append,
	};
	struct sim_out *out = sim_out_open(&oo, &cause);
	if (!out) {
		fprintf(stderr, "vigil %s: %s\n", cmd, cause ? cause : "cannot open the output");
		free(cause);
		sim_gateway_free(g);
		free(scn);
		return CLI_EXIT_FAIL;
	}
	int status = CLI_EXIT_OK;
	if (speed <= 0) {
		int rc = sim_gateway_advance(g, INT64_MAX, sim_out_cb, out);
		uint64_t lines = sim_gateway_lines(g), reqs = sim_gateway_requests(g);
		if (sim_out_close(out) != 0 || rc) {
			fprintf(stderr, "vigil %s: cannot write %s: %s\n", cmd, out_path,
			        strerror(errno));
			status = CLI_EXIT_FAIL;
		}
		sim_gateway_free(g);
		if (status == CLI_EXIT_OK && strcmp(out_path, "-") != 0)
			fprintf(stderr,
			        "vigil %s: %llu line(s) for %llu request(s) written to %s\n", cmd,
			        (unsigned long long)lines, (unsigned long long)reqs, out_path);
		free(scn);
		return status;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct gw_live_run run;
	memset(&run, 0, sizeof(run));
	if (sim_live_start(&loop, g, out, &clk, 100, &run.live) != 0) {
		fprintf(stderr, "vigil %s: out of memory\n", cmd);
		sim_gateway_free(g);
		sim_out_close(out);
		uv_loop_close(&loop);
		free(scn);
		return CLI_EXIT_FAIL;
	}
	uv_signal_init(&loop, &run.sigint);
	uv_signal_init(&loop, &run.sigterm);
	uv_timer_init(&loop, &run.check);
	run.sigint.data = run.sigterm.data = run.check.data = &run;
	uv_signal_start(&run.sigint, gw_on_signal, SIGINT);
	uv_signal_start(&run.sigterm, gw_on_signal, SIGTERM);
	uv_timer_start(&run.check, gw_on_check, 200, 200);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(scn);
	return status;
}

/* ---- list, show ---- */

static int cmd_list(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: vigil sim list\n\nThe shipped scenarios, with their duration and "
		       "description.\n");
		return CLI_EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("sim list", "unexpected argument '%s'", argv[1]);
	for (const char *const *n = sim_scenario_builtin_names(); *n; n++) {
		struct sim_scenario *scn = load("sim list", *n);
		if (!scn)
			return CLI_EXIT_FAIL;
		char d[32];
		printf("%-20s %8s  %s\n", *n, sim_time_go_duration(scn->duration_ms, d, sizeof(d)),
		       scn->description);
		free(scn);
	}
	return CLI_EXIT_OK;
}

static int cmd_show(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: vigil sim show NAME\n\nPrint a shipped scenario's YAML (copy it to "
		       "write your own).\n");
		return CLI_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error("sim show", "needs exactly one scenario name");
	char rel[160];
	snprintf(rel, sizeof(rel), "scenarios/%s.yaml", argv[1]);
	size_t len;
	const char *text = sim_scenario_builtin_file(rel, &len);
	if (!text) {
		fprintf(stderr, "vigil sim show: no scenario named '%s' (see 'vigil sim list')\n",
		        argv[1]);
		return CLI_EXIT_FAIL;
	}
	fwrite(text, 1, len, stdout);
	return CLI_EXIT_OK;
}

int cmd_sim_main(int argc, char **argv)
{
	if (argc < 2) {
		help_sim(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		help_sim(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(sub, "providers") == 0)
		return cmd_providers(argc - 1, argv + 1);
	if (strcmp(sub, "gateway") == 0)
		return cmd_gateway(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (sub[0] == '-')
		return cli_usage_error("sim", "unknown option '%s'", sub);
	return cli_usage_error("sim", "unknown command '%s'", sub);
}
