/*
 * cmd_replay.c: `vigil replay FILE... | --db PATH [--from T] [--to T]`:
 * recorded gateway events (or stored observations) through today's rules on
 * a virtual clock (app/replay), with optional time-to-detect against a
 * simulator truth file and a check against an expectation file
 * (app/replay_expect). Nothing is sent and nothing is written to a
 * database. Exit 0 when done (and every expectation holds), 1 when an
 * expectation failed or replaying failed, 2 for usage errors.
 */
#include "app/cli.h"
#include "app/cli_db.h"
#include "app/cli_out.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/replay.h"
#include "app/replay_expect.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "data/decode.h"
#include "data/replay_src.h"
#include "net/clock.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct run {
	struct replay *replay;
	FILE *events_out;
	double speed; /* 0 = as fast as possible */
	int64_t virt0;
	int64_t wall0_ms;      /* clock_mono_ms() at virt0 */
	int64_t next_progress; /* the virtual time of the next progress report */
	bool tty, progress_on; /* stderr is a terminal; a progress line is drawn */
	uint64_t bad_lines;
	const char *first_bad_file;
	uint64_t first_bad_line;
	char first_bad_why[192];
};

static void help(void)
{
	printf("usage: vigil replay FILE... [--config FILE] [--truth FILE] [--expect FILE]\n"
	       "                    [--speed N|max] [--format auto|vigil|otlp] [--json]\n"
	       "                    [--events[=FILE]]\n"
	       "       vigil replay --db PATH [--from T] [--to T] [same options]\n\n"
	       "Feed recorded gateway events (events-v1 or OTLP/JSON lines; '-' is stdin)\n"
	       "through the same pipeline as the daemon, on a virtual clock taken from the\n"
	       "events' own times, and show the failure events, incidents and the payloads\n"
	       "the sinks would have been sent (built, never sent). With --db, re-run the\n"
	       "observations stored in a vigil database through today's rules. See\n"
	       "docs/replay.md.\n\n"
	       "  -c, --config FILE   vigil.yaml: thresholds, providers, semantic checks and\n"
	       "                      schemas, incidents, sinks (default: built-in defaults)\n"
	       "  -t, --truth FILE    simulator truth file: time to detect per fault\n"
	       "  -x, --expect FILE   expectation file; exit 1 with a diff when one fails\n"
	       "  -s, --speed N|max   N times real time, or max (the default); at N, where\n"
	       "                      it is (time, observations, failure events) on stderr\n"
	       "                      twice a second\n"
	       "      --format F      auto (per line, the default), vigil or otlp\n"
	       "  -j, --json          print the report as JSON on stdout\n"
	       "  -e, --events[=FILE] every failure event as one JSON line (stdout by default)\n"
	       "  -d, --db PATH       replay a database's observations instead of files\n"
	       "      --from T        with --db: from this time (RFC 3339 or epoch ms)\n"
	       "      --to T          with --db: until this time (exclusive)\n"
	       "  -h, --help          this help\n\n"
	       "Exit status: 0 done (expectations hold), 1 an expectation failed or replaying\n"
	       "failed, 2 usage error.\n");
}

static int parse_time(const char *s, int64_t *ms)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s && *end == '\0' && errno == 0) {
		*ms = v;
		return 0;
	}
	return timeparse_rfc3339(s, strlen(s), ms);
}

static int on_event(void *data, const struct failure_event *ev)
{
	struct run *r = data;
	if (!r->events_out)
		return 0;
	json_t *j = event_to_json(ev);
	if (!j)
		return VG_ENOMEM;
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	int rc = text ? cli_json_print(r->events_out, text) : -1;
	free(text);
	if (rc != 0)
		return VG_EIO;
	return 0;
}

/* Where a paced replay is, twice a second of its pace (every speed x 0.5 s
 * of the events' clock, so the same input reports the same lines): redrawn
 * in place on a terminal, a line each otherwise. */
static void progress(struct run *r, int64_t virt)
{
	if (vg_has(r->next_progress) && virt < r->next_progress)
		return;
	r->next_progress = virt + (int64_t)(r->speed * 500.0);
	char at[40];
	if (timeparse_format_rfc3339(virt, at, sizeof(at)) < 0)
		snprintf(at, sizeof(at), "%lld", (long long)virt);
	unsigned long long obs = (unsigned long long)replay_observations(r->replay),
	                   evs = (unsigned long long)replay_events(r->replay);
	if (r->tty) {
		cli_progress("replay at %s (x%g): %llu observations, %llu failure events", at,
		             r->speed, obs, evs);
		r->progress_on = true;
	} else {
		fprintf(stderr,
		        "vigil replay: at %s (x%g): %llu observations, %llu failure events\n", at,
		        r->speed, obs, evs);
	}
}

static void pace(struct run *r, int64_t virt)
{
	if (r->speed <= 0)
		return;
	progress(r, virt);
	if (!vg_has(r->virt0)) {
		r->virt0 = virt;
		r->wall0_ms = clock_mono_ms();
		return;
	}
	double due_s = (double)(virt - r->virt0) / 1000.0 / r->speed;
	double el = (double)(clock_mono_ms() - r->wall0_ms) / 1000.0;
	if (due_s > el) {
		double w = due_s - el;
		struct timespec ts = { (time_t)w, (long)((w - floor(w)) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

static int on_obs(void *data, const struct observation *obs)
{
	struct run *r = data;
	pace(r, observation_end_ms(obs));
	return replay_feed(r->replay, obs);
}

static void on_line(void *data, bool bad, const char *file, uint64_t line_no, const char *why)
{
	struct run *r = data;
	replay_count_line(r->replay);
	if (!bad)
		return;
	replay_count_bad_line(r->replay);
	if (r->bad_lines++ == 0) {
		r->first_bad_file = file;
		r->first_bad_line = line_no;
		model_copy_str(r->first_bad_why, sizeof(r->first_bad_why), why, (size_t)-1);
	}
}

static const char *hms(const char *rfc)
{
	/* "2026-11-27T10:12:03.250Z" -> "10:12:03" */
	static const char none[] = "-";
	if (!rfc || strlen(rfc) < 19)
		return none;
	return rfc + 11;
}

static void print_seconds(json_t *ms)
{
	if (json_is_integer(ms))
		printf(" %9.1f", (double)json_integer_value(ms) / 1000.0);
	else
		printf(" %9s", "-");
}

static void print_text(json_t *rep)
{
	json_t *in = json_object_get(rep, "input");
	json_t *incs = json_object_get(rep, "incidents");
	printf("replayed %lld observations (%lld lines, %lld bad) from %s to %s: %lld failure "
	       "events, %zu incidents, %zu payloads\n",
	       (long long)json_integer_value(json_object_get(in, "observations")),
	       (long long)json_integer_value(json_object_get(in, "lines")),
	       (long long)json_integer_value(json_object_get(in, "bad_lines")),
	       json_string_value(json_object_get(in, "first"))
	               ? json_string_value(json_object_get(in, "first"))
	               : "-",
	       json_string_value(json_object_get(in, "last"))
	               ? json_string_value(json_object_get(in, "last"))
	               : "-",
	       (long long)json_integer_value(
	               json_object_get(json_object_get(rep, "events"), "total")),
	       json_array_size(incs), json_array_size(json_object_get(rep, "payloads")));
	size_t i;
	json_t *inc;
	if (json_array_size(incs))
		printf("\n  id  %-34s %-10s %-8s %8s  %-12s %-12s %-12s related\n",
		       "category/subtype", "provider", "peak", "count", "first", "last", "paged");
	json_array_foreach (incs, i, inc) {
		char kind[64];
		snprintf(kind, sizeof(kind), "%s/%s",
		         json_string_value(json_object_get(inc, "category")),
		         json_string_value(json_object_get(inc, "subtype")));
		printf("%4lld  %-34s %-10s %-8s %8lld  %-12.12s %-12.12s %-12.12s",
		       (long long)json_integer_value(json_object_get(inc, "id")), kind,
		       json_string_value(json_object_get(inc, "provider")),
		       json_string_value(json_object_get(inc, "severity")),
		       (long long)json_integer_value(json_object_get(inc, "count")),
		       hms(json_string_value(json_object_get(inc, "first"))),
		       hms(json_string_value(json_object_get(inc, "last"))),
		       hms(json_string_value(json_object_get(inc, "paged"))));
		size_t k;
		json_t *rel;
		json_array_foreach (json_object_get(inc, "related"), k, rel) {
			printf("%s#%lld", k ? "," : " ", (long long)json_integer_value(rel));
		}
		printf("\n");
	}
	json_t *faults = json_object_get(json_object_get(rep, "truth"), "faults");
	if (json_array_size(faults)) {
		printf("\n  time to detect (s, from the fault's detectable time)\n  %-32s %-30s "
		       "%9s %9s %9s  %s\n",
		       "fault", "kind", "event", "own kind", "page", "first event");
		json_t *f;
		json_array_foreach (faults, i, f) {
			char kind[64];
			const char *sub = json_string_value(json_object_get(f, "subtype"));
			snprintf(kind, sizeof(kind), "%s/%s",
			         json_string_value(json_object_get(f, "category")),
			         sub ? sub : "*");
			printf("  %-32.32s %-30s", json_string_value(json_object_get(f, "name")),
			       kind);
			print_seconds(json_object_get(f, "detect_ms"));
			print_seconds(json_object_get(f, "detect_own_ms"));
			if (json_is_true(json_object_get(f, "already_paged")))
				printf(" %9s", "(paged)");
			else
				print_seconds(json_object_get(f, "page_ms"));
			const char *fk = json_string_value(json_object_get(f, "first_event_kind"));
			const char *fs =
			        json_string_value(json_object_get(f, "first_event_severity"));
			if (fk)
				printf("  %s %s", fk, fs ? fs : "");
			printf("\n");
		}
	}
}

int cmd_replay_main(int argc, char **argv)
{
	enum { OPT_FROM = 1000, OPT_TO, OPT_FORMAT };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "truth", required_argument, NULL, 't' },
		{ "expect", required_argument, NULL, 'x' },
		{ "speed", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "json", no_argument, NULL, 'j' },
		{ "events", optional_argument, NULL, 'e' },
		{ "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *truth = NULL, *expect = NULL, *db = NULL;
	const char *events_path = NULL;
	bool json = false, events = false;
	int64_t from = VG_NONE, to = VG_NONE;
	double speed = 0;
	int format = DECODE_AUTO;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:t:x:s:je::d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 't': truth = optarg; break;
		case 'x': expect = optarg; break;
		case 'j': json = true; break;
		case 'e':
			events = true;
			events_path = optarg;
			break;
		case 'd': db = optarg; break;
		case 's':
			if (strcmp(optarg, "max") == 0) {
				speed = 0;
			} else {
				char *end;
				errno = 0;
				speed = strtod(optarg, &end);
				if (*end || errno || !(speed > 0) || !isfinite(speed))
					return cli_usage_error(
					        "replay",
					        "--speed must be a positive number or "
					        "max, not '%s'",
					        optarg);
			}
			break;
		case OPT_FORMAT:
			format = decode_format_parse(optarg);
			if (format < 0)
				return cli_usage_error(
				        "replay", "--format must be auto, vigil or otlp, not '%s'",
				        optarg);
			break;
		case OPT_FROM:
		case OPT_TO:
			if (parse_time(optarg, c == OPT_FROM ? &from : &to) != 0)
				return cli_usage_error("replay",
				                       "--%s must be an RFC 3339 time or epoch ms, "
				                       "not '%s'",
				                       c == OPT_FROM ? "from" : "to", optarg);
			break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("replay", c, argv);
		}
	}
	if (db && optind < argc)
		return cli_usage_error("replay", "give FILEs or --db, not both");
	if (!db && optind >= argc)
		return cli_usage_error("replay", "no FILE given (or --db PATH)");
	if (!db && (vg_has(from) || vg_has(to)))
		return cli_usage_error("replay", "--from and --to go with --db");
	if (vg_has(from) && vg_has(to) && to <= from)
		return cli_usage_error("replay", "--to must be after --from");
	if (json && events && !events_path)
		return cli_usage_error("replay", "--json and --events both write to stdout; give "
		                                 "--events=FILE");
	for (int i = optind; i < argc; i++) {
		struct stat sb;
		if (strcmp(argv[i], "-") == 0)
			continue;
		if (stat(argv[i], &sb) != 0)
			return cli_usage_error("replay", "%s: no such file", argv[i]);
		if (!S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode))
			return cli_usage_error("replay", "%s: not a regular file", argv[i]);
	}
	if (db) {
		int st = cli_db_check("replay", db, DBACCESS_READ);
		if (st != 0)
			return st;
	}

	int status = CLI_EXIT_FAIL;
	char *cause = NULL;
	struct vigil_config *cfg = NULL;
	struct replay_expect *ex = NULL;
	struct replay *rp = NULL;
	json_t *rep = NULL;
	struct run r;
	memset(&r, 0, sizeof(r));
	r.speed = speed;
	r.virt0 = VG_NONE;
	r.next_progress = VG_NONE;
	r.tty = isatty(STDERR_FILENO);
	if (config) {
		cfg = malloc(sizeof(*cfg));
		if (!cfg)
			goto oom;
		config_defaults(cfg);
		if (config_load(cfg, config, &cause) != 0) {
			fprintf(stderr, "vigil replay: %s\n", cause ? cause : "invalid config");
			status = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (expect) {
		int rc = replay_expect_load(expect, &ex, &cause);
		if (rc == VG_ENOMEM)
			goto oom;
		if (rc != 0) {
			fprintf(stderr, "vigil replay: %s\n",
			        cause ? cause : "invalid expectations");
			status = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (events) {
		r.events_out = events_path ? fopen(events_path, "w") : stdout;
		if (!r.events_out) {
			fprintf(stderr, "vigil replay: %s: %s\n", events_path, strerror(errno));
			status = CLI_EXIT_USAGE;
			goto out;
		}
	}
	struct replay_options ro = {
		.cfg = cfg,
		.config_path = config,
		.keep_events = true,
		.on_event = events ? on_event : NULL,
		.data = &r,
	};
	int rc = replay_new(&ro, &rp, &cause);
	if (rc != 0) {
		fprintf(stderr, "vigil replay: %s\n", cause ? cause : vg_strerror(rc));
		status = rc == VG_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
		goto out;
	}
	r.replay = rp;
	if (truth && replay_load_truth(rp, truth, &cause) != 0) {
		fprintf(stderr, "vigil replay: %s\n", cause ? cause : "invalid truth file");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	struct replay_src_cb cb = { .obs = on_obs, .line = on_line, .data = &r };
	rc = db ? replay_src_db(db, from, to, &cb, &cause)
	        : replay_src_files(argv + optind, (size_t)(argc - optind),
	                           (enum decode_format)format, &cb, &cause);
	if (r.progress_on)
		cli_progress_end();
	if (rc == 0)
		rc = replay_finish(rp);
	if (rc != 0) {
		fprintf(stderr, "vigil replay: %s\n", cause ? cause : vg_strerror(rc));
		goto out;
	}
	if (r.bad_lines)
		fprintf(stderr,
		        "vigil replay: %llu line%s could not be used (first: %s:%llu: %s)\n",
		        (unsigned long long)r.bad_lines, r.bad_lines == 1 ? "" : "s",
		        r.first_bad_file, (unsigned long long)r.first_bad_line, r.first_bad_why);
	rep = replay_report(rp);
	if (!rep)
		goto oom;
	if (json) {
		char *text = json_dumps(rep, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		int printed = text ? cli_json_print(stdout, text) : -1;
		free(text);
		if (printed != 0)
			goto out;
	} else if (!events || events_path) {
		print_text(rep);
	}
	status = CLI_EXIT_OK;
	if (ex) {
		char *diff = NULL;
		int fails = replay_expect_check(ex, rep, &diff);
		if (fails < 0)
			goto oom;
		if (fails > 0) {
			fprintf(stderr, "vigil replay: %d expectation%s of %s failed:\n%s", fails,
			        fails == 1 ? "" : "s", expect, diff);
			status = CLI_EXIT_FAIL;
		} else {
			fprintf(stderr, "vigil replay: every expectation of %s holds\n", expect);
		}
		free(diff);
	}
	goto out;
oom:
	fprintf(stderr, "vigil replay: out of memory\n");
	status = CLI_EXIT_FAIL;
out:
	fflush(stdout);
	if (r.events_out && r.events_out != stdout)
		fclose(r.events_out);
	json_decref(rep);
	replay_free(rp);
	replay_expect_free(ex);
	free(cfg);
	free(cause);
	return status;
}
