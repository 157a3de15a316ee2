/*
 * cmd_ingest.c: `vigil ingest FILE... [--follow] [--db PATH] [--format F]
 * [--config F]`: read gateway event files into the database through the
 * store thread, every event through the pipeline with its own time.
 *
 * On a terminal a progress line (lines, lines/s, quarantined, bytes left) is
 * redrawn four times a second; the final summary goes to stdout. Exit 0 when
 * done, 1 when a line was quarantined (the count is printed) or ingesting
 * failed, 2 for usage errors (bad flags, missing files, a bad config).
 */
#include "app/backfill.h"
#include "app/baselines.h"
#include "app/cli.h"
#include "app/cli_db.h"
#include "app/cli_out.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/pipeline_setup.h"
#include "core/pipeline.h"
#include "core/vgerr.h"
#include "data/decode.h"
#include "data/ingest.h"
#include "data/store.h"
#include "net/clock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

struct run {
	uv_loop_t *loop;
	struct store *store;
	struct ingest *ing;
	struct pipeline_setup ps;
	struct backfill *backfill; /* events older than the quiet period never notify */
	int64_t quiet_ms;          /* incidents.quiet_period */
	int64_t newest_ms;         /* the newest event time read (VG_NONE) */
	struct vigil_config *cfg;
	int64_t next_outbox_id;
	struct store_batch *tick_batch; /* effects of a tick waiting for room */
	uv_timer_t progress, tick;
	uv_signal_t sigint, sigterm;
	bool tty, done, progress_on;
	bool corrupt;     /* the store reported damage */
	int64_t start_ms; /* clock_mono_ms() at the start */
	struct ingest_stats final;
};

static void help(void)
{
	printf("usage: vigil ingest FILE... [--follow] [--db PATH] [--format auto|vigil|otlp]\n"
	       "                    [--config FILE]\n\n"
	       "Read gateway event files (vigil's events-v1 JSON lines or OpenTelemetry GenAI\n"
	       "spans as OTLP/JSON lines, see docs/events.md) into the database. A FILE may be\n"
	       "a glob ('logs/*.jsonl'); a file read before resumes where it stopped. Bad lines\n"
	       "go to the quarantine table with file, line and reason; the rest goes on.\n\n"
	       "  -f, --follow         keep following the files (rotation, truncation, new files)\n"
	       "  -d, --db PATH        database file (default: the config's store.path, vigil.db)\n"
	       "      --format F       auto (per line, the default), vigil or otlp\n"
	       "  -c, --config FILE    vigil.yaml to read providers, thresholds, store settings\n"
	       "  -h, --help           this help\n\n"
	       "Exit status: 0 done, 1 lines were quarantined (or ingesting failed), 2 usage "
	       "error.\n");
}

static void human_bytes(int64_t b, char *buf, size_t size)
{
	if (b >= 1 << 30)
		snprintf(buf, size, "%.1f GiB", (double)b / (1 << 30));
	else if (b >= 1 << 20)
		snprintf(buf, size, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 1 << 10)
		snprintf(buf, size, "%.1f KiB", (double)b / (1 << 10));
	else
		snprintf(buf, size, "%lld B", (long long)b);
}

static double elapsed_s(const struct run *r)
{
	return (double)(clock_mono_ms() - r->start_ms) / 1000.0;
}

/* What the store's open changed (a file's mode tightened). */
static void on_store_log(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "vigil ingest: %s\n", line);
}

static void on_progress(uv_timer_t *h)
{
	struct run *r = h->data;
	struct ingest_stats st;
	ingest_stats(r->ing, &st);
	double secs = elapsed_s(r);
	char left[32];
	human_bytes(st.bytes_left, left, sizeof(left));
	cli_progress("%lld lines  %.0f lines/s  %lld quarantined  %s left", (long long)st.lines,
	             secs > 0 ? (double)st.lines / secs : 0.0, (long long)st.quarantined, left);
}

/* Effects into b without the notifications of the past (app/backfill):
 * event_ms is the time of the event that made them, VG_NONE for a tick. */
static int add_effects(struct run *r, const struct effects *eff, int64_t event_ms,
                       struct store_batch *b)
{
	struct effects live;
	backfill_filter(r->backfill, eff, event_ms, clock_wall_ms(), &live);
	return store_batch_add_effects(b, &live, &r->next_outbox_id);
}

/* The effects of a pipeline call into b, and when they say the weekly
 * baseline refresh is due, the refresh (inline, on the events' clock, as
 * replay runs it) and its models and review items too. */
static int keep_effects(struct run *r, const struct effects *eff, int64_t event_ms,
                        struct store_batch *b)
{
	int rc = add_effects(r, eff, event_ms, b);
	if (rc != 0 || !eff->baseline_refresh_due)
		return rc;
	struct effects ref;
	rc = pipeline_setup_refresh(r->ps.p, &ref);
	if (rc == VG_ESTATE)
		return 0;
	int rc2 = add_effects(r, &ref, VG_NONE, b);
	return rc ? rc : rc2;
}

/* Every new observation: through the pipeline at its own end time; the
 * effects go into the same batch as the observation. */
static int observe(void *data, const struct observation *obs, struct store_batch *b)
{
	struct run *r = data;
	struct effects eff;
	int64_t t = observation_end_ms(obs);
	if (r->newest_ms == VG_NONE || t > r->newest_ms)
		r->newest_ms = t;
	int rc = pipeline_feed(r->ps.p, obs, t, &eff);
	if (rc == VG_EINVAL)
		return 0; /* the decoder guarantees provider and time; nothing to decide */
	if (rc != 0)
		return rc;
	return keep_effects(r, &eff, t, b);
}

static int seal(void *data, struct store_batch *b)
{
	struct run *r = data;
	return store_batch_refresh_incidents(b, pipeline_incidents(r->ps.p));
}

static void submit_tick_batch(struct run *r)
{
	if (!r->tick_batch || !r->store)
		return;
	int rc = store_submit(r->store, r->tick_batch);
	if (rc == 0) {
		r->tick_batch = NULL;
	} else if (rc != VG_EFULL) {
		store_batch_free(r->tick_batch);
		r->tick_batch = NULL;
	}
}

/* Following: let wall-clock time pass in the pipeline (breakers cool down,
 * incidents resolve) while the files are quiet. */
static void on_tick(uv_timer_t *h)
{
	struct run *r = h->data;
	if (r->tick_batch || !r->store)
		return;
	/* reading a backlog older than the quiet period: time is the events'
	 * (a tick would move it to now; app/backfill) */
	int64_t now = clock_wall_ms();
	if (r->ing && ingest_behind(r->ing) &&
	    (r->newest_ms == VG_NONE || r->newest_ms < now - r->quiet_ms))
		return;
	struct effects eff;
	if (pipeline_tick(r->ps.p, now, &eff) != 0 ||
	    (eff.n_events == 0 && eff.n_transitions == 0 && eff.n_rollups == 0 &&
	     !eff.baseline_refresh_due))
		return;
	r->tick_batch = store_batch_new(NULL, NULL);
	if (r->tick_batch &&
	    (keep_effects(r, &eff, VG_NONE, r->tick_batch) != 0 || seal(r, r->tick_batch) != 0)) {
		store_batch_free(r->tick_batch);
		r->tick_batch = NULL;
	}
	submit_tick_batch(r);
}

static void on_closed_handle(uv_handle_t *h)
{
	(void)h;
}

static void on_done(void *data, const struct ingest_stats *st)
{
	struct run *r = data;
	r->final = *st;
	r->done = true;
	if (r->progress_on) {
		uv_timer_stop(&r->progress);
		cli_progress_end();
	}
	uv_close((uv_handle_t *)&r->progress, on_closed_handle);
	uv_close((uv_handle_t *)&r->tick, on_closed_handle);
	store_batch_free(r->tick_batch);
	r->tick_batch = NULL;
	uv_close((uv_handle_t *)&r->sigint, on_closed_handle);
	uv_close((uv_handle_t *)&r->sigterm, on_closed_handle);
	ingest_free(r->ing);
	r->ing = NULL;
	store_close(r->store);
	r->store = NULL;
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	struct run *r = h->data;
	if (r->ing)
		ingest_stop(r->ing);
}

static void on_space(void *data)
{
	struct run *r = data;
	submit_tick_batch(r);
	if (r->ing)
		ingest_resume(r->ing);
}

/* The store met damage and stopped writing: say so now, with the file;
 * the tailer stops on the failed batch and the exit status says it too. */
static void on_corrupt(void *data, const char *cause)
{
	struct run *r = data;
	r->corrupt = true;
	fprintf(stderr, "vigil ingest: %s\n", cause);
}

static void start_reading(struct run *r)
{
	free(r->cfg);
	r->cfg = NULL;
	if (ingest_start(r->ing, on_done, r) != 0) {
		fprintf(stderr, "vigil ingest: the store refused to start\n");
		struct ingest_stats st;
		memset(&st, 0, sizeof(st));
		st.err = VG_EDB;
		on_done(r, &st);
	}
}

/* Baselines continue where an earlier run left them (models, the week's
 * hours, the open hour, waiting reviews). */
static void on_baselines(void *data, const struct store_answer *a)
{
	struct run *r = data;
	size_t skipped = 0;
	if (a->err == 0 && baselines_restore(r->ps.p, a, &skipped) < 0)
		fprintf(stderr, "vigil ingest: out of memory restoring baselines\n");
	if (skipped)
		fprintf(stderr, "vigil ingest: %zu baseline model%s not restored (start cold)\n",
		        skipped, skipped == 1 ? "" : "s");
	start_reading(r);
}

/* Incidents still open from an earlier run continue where they were. */
static void on_open_incidents(void *data, const struct store_answer *a)
{
	struct run *r = data;
	backfill_restored(r->backfill, a, clock_wall_ms());
	for (size_t i = 0; i < a->n_incidents; i++) {
		json_t *j = a->incidents[i].detail_json
		                    ? json_loads(a->incidents[i].detail_json, 0, NULL)
		                    : NULL;
		char *cause = NULL;
		if (j && pipeline_restore_incident(r->ps.p, j, &cause) != 0)
			fprintf(stderr, "vigil ingest: incident %lld not restored: %s\n",
			        (long long)a->incidents[i].id, cause ? cause : "invalid");
		free(cause);
		json_decref(j);
	}
	if (!pipeline_baselines_on(r->ps.p) ||
	    store_query(r->store, STORE_Q_BASELINES, on_baselines, r) != 0)
		start_reading(r);
}

/* Numbering continues after what the database holds; routes from the config. */
static void on_max_ids(void *data, const struct store_answer *a)
{
	struct run *r = data;
	if (a->err == 0) {
		pipeline_setup_resume(&r->ps, r->cfg, a->max_ids.event, a->max_ids.incident);
		pipeline_baseline_set_next_review_id(r->ps.p, a->max_ids.review);
	}
	r->next_outbox_id = a->max_ids.outbox + 1;
	if (a->err != 0 || store_query(r->store, STORE_Q_INCIDENTS_OPEN, on_open_incidents, r) != 0)
		start_reading(r);
}

int cmd_ingest_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'F' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *config = NULL;
	int format = DECODE_AUTO;
	bool follow = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":fd:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 'd': db = optarg; break;
		case 'c': config = optarg; break;
		case 'F':
			format = decode_format_parse(optarg);
			if (format < 0)
				return cli_usage_error(
				        "ingest", "--format must be auto, vigil or otlp, not '%s'",
				        optarg);
			break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("ingest", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("ingest", "no FILE given");
	for (int i = optind; i < argc; i++) {
		struct stat sb;
		if (strpbrk(argv[i], "*?[") || follow)
			continue;
		if (stat(argv[i], &sb) != 0)
			return cli_usage_error("ingest", "%s: no such file", argv[i]);
		if (!S_ISREG(sb.st_mode))
			return cli_usage_error("ingest", "%s: not a regular file", argv[i]);
	}

	struct vigil_config *cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		fprintf(stderr, "vigil ingest: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	config_defaults(cfg);
	if (config) {
		char *cause = NULL;
		if (config_load(cfg, config, &cause) != 0) {
			fprintf(stderr, "vigil ingest: %s\n", cause ? cause : "invalid config");
			free(cause);
			free(cfg);
			return CLI_EXIT_USAGE;
		}
	}

	struct run r;
	memset(&r, 0, sizeof(r));
	uv_loop_t loop;
	uv_loop_init(&loop);
	r.loop = &loop;
	char dbpath[CFG_PATH_MAX];
	model_copy_str(dbpath, sizeof(dbpath), db ? db : cfg->store.path, (size_t)-1);
	int dbst = cli_db_check("ingest", dbpath, DBACCESS_CREATE);
	if (dbst != 0) {
		free(cfg);
		uv_loop_close(&loop);
		return dbst;
	}
	struct store_options so = {
		.path = dbpath,
		.batch_rows = cfg->store.batch_rows,
		.batch_ms = (int)cfg->store.batch_ms,
		.queue_batches = cfg->store.queue_batches,
		.retention_ms = cfg->store.retention_ms,
		.minute_rollup_retention_ms = cfg->baselines.minute_retention_ms,
		.hour_rollup_retention_ms = cfg->baselines.hour_retention_ms,
		.on_space = on_space,
		.on_corrupt = on_corrupt,
		.data = &r,
	};
	char *cause = NULL;
	/* The pipeline with the `semantic:` section and its schemas; every
	 * check runs inline here (no sidecar), so ingesting a file is as exact
	 * as replaying it. */
	struct pipeline_setup_options po = { .config_path = config };
	int rc = pipeline_setup_init(&r.ps, cfg, &po, &cause);
	r.quiet_ms = cfg->incidents.quiet_period_ms;
	r.newest_ms = VG_NONE;
	if (rc == 0)
		rc = backfill_new(&r.backfill, r.quiet_ms);
	if (rc != 0 && rc != VG_ENOMEM) {
		fprintf(stderr, "vigil ingest: %s\n", cause ? cause : vg_strerror(rc));
		free(cause);
		free(cfg);
		uv_loop_close(&loop);
		return CLI_EXIT_USAGE;
	}
	so.redact = r.ps.redact;
	so.group = cfg->store.group;
	so.log = on_store_log;
	if (rc == 0)
		rc = store_open(&r.store, &loop, &so, &cause);
	r.cfg = cfg; /* until the numbering continues (on_max_ids) */
	if (rc != 0) {
		fprintf(stderr, "vigil ingest: %s\n", cause ? cause : vg_strerror(rc));
		free(cause);
		pipeline_setup_done(&r.ps);
		backfill_free(r.backfill);
		free(cfg);
		uv_loop_close(&loop);
		return CLI_EXIT_FAIL;
	}
	struct ingest_options io = { .format = (enum decode_format)format, .follow = follow };
	if (ingest_new(&r.ing, &loop, r.store, &io) != 0) {
		fprintf(stderr, "vigil ingest: out of memory\n");
		store_close(r.store);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		pipeline_setup_done(&r.ps);
		backfill_free(r.backfill);
		free(cfg);
		return CLI_EXIT_FAIL;
	}
	ingest_set_observer(r.ing, observe, seal, &r);
	for (int i = optind; i < argc; i++)
		ingest_add(r.ing, argv[i]);

	r.tty = isatty(STDERR_FILENO);
	r.start_ms = clock_mono_ms();
	uv_timer_init(&loop, &r.progress);
	r.progress.data = &r;
	if (r.tty) {
		uv_timer_start(&r.progress, on_progress, 250, 250);
		r.progress_on = true;
	}
	uv_signal_init(&loop, &r.sigint);
	uv_signal_init(&loop, &r.sigterm);
	r.sigint.data = r.sigterm.data = &r;
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&r.sigint);
	uv_unref((uv_handle_t *)&r.sigterm);

	uv_timer_init(&loop, &r.tick);
	r.tick.data = &r;
	if (follow)
		uv_timer_start(&r.tick, on_tick, 1000, 1000);
	if (store_query(r.store, STORE_Q_MAX_IDS, on_max_ids, &r) != 0) {
		struct store_answer a;
		memset(&a, 0, sizeof(a));
		a.err = VG_EDB;
		on_max_ids(&r, &a);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	pipeline_setup_done(&r.ps);
	backfill_free(r.backfill);
	free(r.cfg);

	const struct ingest_stats *st = &r.final;
	double secs = elapsed_s(&r);
	printf("ingested %lld lines from %lld file%s in %.2f s (%.0f lines/s): %lld stored, "
	       "%lld already stored, %lld repeated, %lld quarantined",
	       (long long)st->lines, (long long)st->files, st->files == 1 ? "" : "s", secs,
	       secs > 0 ? (double)st->lines / secs : 0.0, (long long)st->stored,
	       (long long)st->duplicates, (long long)st->repeated, (long long)st->quarantined);
	if (st->ignored_spans)
		printf(", %lld non-GenAI spans ignored", (long long)st->ignored_spans);
	if (st->bytes_left && !st->err)
		printf(", %lld bytes of an unterminated last line left", (long long)st->bytes_left);
	if (st->bytes_lost)
		printf(", %lld bytes of rotated files gone before they were read",
		       (long long)st->bytes_lost);
	printf("\n");
	if (st->err || r.corrupt) {
		fprintf(stderr,
		        "vigil ingest: stopped: %s; %s holds only what was committed before\n",
		        vg_strerror(r.corrupt ? VG_ECORRUPT : st->err), dbpath);
		return CLI_EXIT_FAIL;
	}
	if (st->quarantined) {
		fprintf(stderr,
		        "vigil ingest: %lld line%s quarantined (see the quarantine table in %s)\n",
		        (long long)st->quarantined, st->quarantined == 1 ? "" : "s", dbpath);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
