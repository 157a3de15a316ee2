/*
 * cmd_demo.c: `vigil demo [--dir PATH] [--headless] [--duration D]
 * [--metrics-listen HOST:PORT] [--speed X] [--scenario NAME]`: the whole
 * product in one process against the simulator (app/demo_engine), with the
 * console on the same loop (tui/console_loop through app/console_db), or,
 * without a terminal or with --headless, a one-line summary per second and
 * a table of incidents at the end (tui/report) drawn from the same
 * database snapshots the console shows.
 *
 * Exit status: 0 after a normal end (q, the duration, the scenario's end
 * when headless, SIGINT/SIGTERM), 1 when something failed to start, 2 for
 * usage errors.
 */
#include "app/cli.h"
#include "app/commands.h"
#include "app/console_db.h"
#include "app/demo_engine.h"

#include "core/sanitize.h"
#include "core/vgerr.h"
#include "net/clock.h"
#include "tui/console_loop.h"
#include "tui/console_reader.h"
#include "tui/report.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct demo {
	uv_loop_t loop;
	struct demo_engine *eng;
	bool headless, finishing, ended;
	int64_t start_ms, duration_ms, done_since_ms;
	struct console_reader *reader; /* headless */
	struct console_db *cdb;        /* console */
	struct console_loop *cl;
	uv_timer_t second;
	uv_signal_t sigint, sigterm;
	int rc;
};

static void help(void)
{
	printf("usage: vigil demo [--dir PATH] [--headless] [--duration D]\n"
	       "                  [--metrics-listen HOST:PORT] [--speed X] [--scenario NAME]\n\n"
	       "The whole of vigil on simulated traffic, in one process, with no keys and no\n"
	       "network: simulated OpenAI, Anthropic and Google endpoints on 127.0.0.1 play\n"
	       "the 'oncall-day' scenario (every failure category, 42 minutes compressed),\n"
	       "a simulated gateway writes a real events file, vigil follows it into its\n"
	       "database, opens incidents and pages a simulated pager, and the console shows\n"
	       "it all. Acknowledge an incident (a) and the pager gets the acknowledgement.\n"
	       "Its baselines start warm: the database is first seeded with what four weeks\n"
	       "of the 'baseline-weeks' scenario teach about this hour of the week.\n\n"
	       "Without a terminal, or with --headless, it prints a one-line summary per\n"
	       "second and a table of incidents at the end.\n\n"
	       "  -d, --dir PATH             where the files go (events.jsonl, vigil.db,\n"
	       "                             pager.jsonl; default: a new folder under $TMPDIR)\n"
	       "  -H, --headless             no console: summary lines and the incident table\n"
	       "  -D, --duration D           stop after D (e.g. 90s; headless default: the\n"
	       "                             scenario's end)\n"
	       "  -m, --metrics-listen H:P   serve /metrics on H:P (port 0: any free port)\n"
	       "  -x, --speed X              scenario seconds per second (default 10)\n"
	       "  -s, --scenario NAME        another shipped scenario or a file (see 'vigil sim "
	       "list')\n"
	       "  -u, --user NAME            who acknowledges (default: $VIGIL_USER, then $USER)\n"
	       "      --ascii                draw ASCII only\n"
	       "  -h, --help                 this help\n\n"
	       "Console keys: ? help, / filter, j/k, Tab and 1-4 panes, Enter open, Esc back,\n"
	       "a acknowledge, r resolve, t triage wizard, q quit.\n");
}

static void say(void *ud, const char *line)
{
	struct demo *d = ud;
	if (d->cl)
		console_loop_say(d->cl, true, line);
	else if (d->headless)
		printf("vigil demo: %s\n", line);
	else
		fprintf(stderr, "vigil demo: %s\n", line);
}

static void end_loop(struct demo *d)
{
	d->ended = true;
	uv_stop(&d->loop);
}

static void on_snapshot(void *ud, const struct snapshot *s, int err, const char *cause)
{
	struct demo *d = ud;
	if (d->ended)
		return;
	if (err) {
		printf("vigil demo: no snapshot: %s\n", cause ? cause : vg_strerror(err));
		fflush(stdout);
		if (d->finishing)
			end_loop(d);
		return;
	}
	struct demo_engine_status st;
	demo_engine_status(d->eng, &st);
	char line[640];
	report_summary_line(s, clock_wall_ms() - d->start_ms, line, sizeof(line));
	printf("%s scenario %lldm%02llds lines %lld observations %lld pages trigger %lld "
	       "acknowledge %lld resolve %lld\n",
	       line, (long long)(st.scenario_ms / 60000), (long long)(st.scenario_ms / 1000 % 60),
	       (long long)st.lines, (long long)st.observations, (long long)st.pages_trigger,
	       (long long)st.pages_acknowledge, (long long)st.pages_resolve);
	if (d->finishing) {
		printf("\nincidents:\n");
		report_incidents_table(s, stdout);
		end_loop(d);
	}
	fflush(stdout);
}

static void finish(struct demo *d)
{
	if (d->finishing)
		return;
	d->finishing = true;
	if (d->reader)
		console_reader_request(d->reader, clock_wall_ms(), 0);
	else
		end_loop(d);
}

static void on_second(uv_timer_t *t)
{
	struct demo *d = t->data;
	int64_t now = clock_wall_ms();
	struct demo_engine_status st;
	demo_engine_status(d->eng, &st);
	if (st.gateway_done && !d->done_since_ms)
		d->done_since_ms = now;
	bool over = d->duration_ms > 0 && now - d->start_ms >= d->duration_ms;
	/* Headless without a duration: the scenario's end, plus a few seconds
	 * for the last lines to be read and committed. */
	if (d->headless && d->duration_ms <= 0 && d->done_since_ms && now - d->done_since_ms > 3000)
		over = true;
	if (over) {
		finish(d);
		return;
	}
	if (d->reader)
		console_reader_request(d->reader, now, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	finish(h->data);
}

static void on_quit(void *ud)
{
	end_loop(ud);
}

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

/* The folder: --dir (created when missing), else a new one under $TMPDIR. */
static int make_dir(const char *flag, char *out, size_t size)
{
	if (flag) {
		if (mkdir(flag, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "vigil demo: cannot create %s: %s\n", flag,
			        strerror(errno));
			return -1;
		}
		struct stat sb;
		if (stat(flag, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "vigil demo: %s is not a folder\n", flag);
			return -1;
		}
		snprintf(out, size, "%s", flag);
		return 0;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(out, size, "%s/vigil-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(out)) {
		fprintf(stderr, "vigil demo: cannot create a folder in %s: %s\n",
		        tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return -1;
	}
	return 0;
}

static void operator_name(const char *flag, char *out, size_t size)
{
	const char *n = flag;
	if (!n || !*n)
		n = getenv("VIGIL_USER");
	if (!n || !*n)
		n = getenv("USER");
	sanitize_str(out, size, n && *n ? n : "operator", 0);
}

static void where(FILE *f, struct demo *d, const char *dir)
{
	struct demo_engine_status st;
	demo_engine_status(d->eng, &st);
	fprintf(f, "vigil demo: files in %s (events.jsonl, vigil.db, pager.jsonl, vigil.log)\n",
	        dir);
	fprintf(f, "vigil demo: simulated providers on 127.0.0.1:%d, pager on 127.0.0.1:%d\n",
	        st.sim_port, st.pager_port);
	if (st.metrics_port)
		fprintf(f, "vigil demo: metrics on port %d (/metrics)\n", st.metrics_port);
	fprintf(f, "vigil demo: attach another console with: vigil console --db %s/vigil.db\n",
	        dir);
	fflush(f);
}

static int start_view(struct demo *d, bool ascii, const char *who, const char *dir, char **cause)
{
	if (d->headless) {
		struct console_reader_opts ro = {
			.db_path = demo_engine_db_path(d->eng),
			.on_snapshot = on_snapshot,
			.ud = d,
		};
		return console_reader_start(&d->loop, &ro, &d->reader, cause);
	}
	/* Like `vigil console`: actions go to operator_actions through the
	 * reader's restricted writer; the daemon applies them. */
	struct console_db_opts co = { .path = demo_engine_db_path(d->eng) };
	int rc = console_db_open(&d->loop, &co, &d->cdb, cause);
	if (rc != 0)
		return rc;
	struct console_source src = console_db_source(d->cdb);
	src.on_quit = on_quit;
	src.quit_ud = d;
	/* Where the files are, inside the console too: the lines printed
	 * before it started are under its screen. */
	char files[SNAP_TEXT_MAX], attach[SNAP_TEXT_MAX], msg[SNAP_TEXT_MAX];
	snprintf(files, sizeof(files), "%s (events.jsonl, vigil.db, pager.jsonl, vigil.log)", dir);
	snprintf(attach, sizeof(attach), "vigil console --db %s", demo_engine_db_path(d->eng));
	snprintf(msg, sizeof(msg), "demo files in %s (? shows them again)", dir);
	const char *about[] = { "demo files", files, "attach", attach, NULL };
	struct console_loop_options lo = {
		.operator_name = who, .force_ascii = ascii, .about = about, .message = msg
	};
	rc = console_loop_start(&d->loop, &src, &lo, &d->cl, cause);
	if (rc != 0)
		return rc;
	console_db_attach(d->cdb, d->cl);
	return 0;
}

int cmd_demo_main(int argc, char **argv)
{
	enum { OPT_ASCII = 256 };
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "headless", no_argument, NULL, 'H' },
		{ "duration", required_argument, NULL, 'D' },
		{ "metrics-listen", required_argument, NULL, 'm' },
		{ "speed", required_argument, NULL, 'x' },
		{ "scenario", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *metrics = NULL, *scenario = NULL, *user = NULL;
	bool headless = false, ascii = false;
	long long duration = 0;
	double speed = 10;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:HD:m:x:s:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'H': headless = true; break;
		case 'D':
			duration = cli_duration_ms(optarg);
			if (duration <= 0)
				return cli_usage_error("demo", "bad --duration '%s' (e.g. 90s, 5m)",
				                       optarg);
			break;
		case 'm': metrics = optarg; break;
		case 'x': {
			char *end = NULL;
			errno = 0;
			speed = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(speed >= 0.1 && speed <= 1000))
				return cli_usage_error(
				        "demo", "--speed wants 0.1 to 1000, not '%s'", optarg);
			break;
		}
		case 's': scenario = optarg; break;
		case 'u': user = optarg; break;
		case OPT_ASCII: ascii = true; break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("demo", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		headless = true;

	char path[900];
	if (make_dir(dir, path, sizeof(path)) != 0)
		return CLI_EXIT_FAIL;
	setlocale(LC_ALL, "");
	char who[VG_NAME_MAX];
	operator_name(user, who, sizeof(who));

	struct demo *d = calloc(1, sizeof(*d));
	if (!d)
		return CLI_EXIT_FAIL;
	d->headless = headless;
	d->duration_ms = duration;
	uv_loop_init(&d->loop);
	struct demo_engine_opts eo = {
		.dir = path,
		.scenario = scenario,
		.speed = speed,
		.metrics_listen = metrics,
		.log = say,
		.log_ud = d,
	};
	char *cause = NULL;
	int rc = demo_engine_start(&d->loop, &eo, &d->eng, &cause);
	if (rc != 0) {
		fprintf(stderr, "vigil demo: %s\n", cause ? cause : vg_strerror(rc));
		free(cause);
		uv_loop_close(&d->loop);
		free(d);
		return CLI_EXIT_FAIL;
	}
	where(headless ? stdout : stderr, d, path);
	d->start_ms = clock_wall_ms();
	rc = start_view(d, ascii, who, path, &cause);
	if (rc != 0) {
		fprintf(stderr, "vigil demo: %s\n", cause ? cause : vg_strerror(rc));
		free(cause);
		d->rc = CLI_EXIT_FAIL;
	} else {
		uv_timer_init(&d->loop, &d->second);
		d->second.data = d;
		uv_timer_start(&d->second, on_second, 1000, 1000);
		uv_signal_init(&d->loop, &d->sigint);
		uv_signal_init(&d->loop, &d->sigterm);
		d->sigint.data = d->sigterm.data = d;
		uv_signal_start(&d->sigint, on_signal, SIGINT);
		uv_signal_start(&d->sigterm, on_signal, SIGTERM);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		uv_close((uv_handle_t *)&d->second, on_closed);
		uv_close((uv_handle_t *)&d->sigint, on_closed);
		uv_close((uv_handle_t *)&d->sigterm, on_closed);
	}
	console_loop_stop(d->cl);
	d->cl = NULL;
	console_db_close(d->cdb);
	if (d->reader)
		console_reader_stop(d->reader);
	demo_engine_stop(d->eng);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (!headless && d->rc == 0) {
		struct demo_engine_status st;
		demo_engine_status(d->eng, &st);
		fprintf(stderr,
		        "vigil demo: %lld lines read, %lld operator actions applied, pager got "
		        "%lld triggers, %lld acknowledgements, %lld resolves\n",
		        (long long)st.lines, (long long)st.actions_applied,
		        (long long)st.pages_trigger, (long long)st.pages_acknowledge,
		        (long long)st.pages_resolve);
		fprintf(stderr, "vigil demo: the files stay in %s\n", path);
	}
	demo_engine_free(d->eng);
	uv_loop_close(&d->loop);
	int ret = d->rc;
	free(d);
	return ret;
}
