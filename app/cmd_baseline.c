/*
 * cmd_baseline.c: `vigil baseline rebuild|refresh|show|review`: the learned
 * baselines a database holds (docs/baselines.md), from the command line.
 *
 *   rebuild  recompute every series' model from its stored hour rollups,
 *            week by week from a cold start, at the refreshes a pipeline
 *            would have run (the configured weekday and hour, UTC), between
 *            --from and --to (default: everything stored);
 *   refresh  the weekly refresh by hand: each series learns its hours since
 *            its last refresh, up to the database's clock;
 *   show     a series' 168-slot profile as a chart (cmd_baseline_show.c);
 *   review   the review items; accept or reject one.
 *
 * Reads go through data/baseline_db (read-only), writes through the store
 * thread (data/store: models, review items, operator actions). rebuild and
 * refresh replace models a running daemon holds in memory: they refuse
 * while one writes health rows to the database (--force to go on). A review
 * decision is an operator action: with a daemon running it is queued for
 * it (applied within a second); without one it is applied here, to the
 * stored model, and marked applied.
 */
#include "app/cmd_baseline.h"

#include "app/cli.h"
#include "app/cli_db.h"
#include "app/cli_out.h"
#include "app/commands.h"
#include "core/baseline_job.h"
#include "core/sanitize.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "data/console_act.h"
#include "data/store.h"
#include "net/clock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define DAEMON_FRESH_MS 15000 /* a health row this recent: a daemon is running */

static void help(void)
{
	printf("usage: vigil baseline rebuild --db PATH [--from T] [--to T] [--config F] "
	       "[--force]\n"
	       "       vigil baseline refresh --db PATH [--config F] [--force]\n"
	       "       vigil baseline show --db PATH [--provider P] [--model M] [--metric NAME]\n"
	       "                           [--source gateway|probe] [--json] [--config F]\n"
	       "       vigil baseline review --db PATH [accept|reject ID] [--actor NAME] [--all]\n"
	       "                           [--json]\n\n"
	       "The learned normal of every series (provider, model alias, source) for each\n"
	       "hour of the week, as the database holds it (docs/baselines.md).\n\n"
	       "  rebuild   recompute the models from the stored hour rollups, week by week\n"
	       "            from a cold start (T: RFC 3339, e.g. 2026-01-05T00:00:00Z)\n"
	       "  refresh   the weekly refresh by hand: each series learns its hours since its\n"
	       "            last refresh, up to the newest stored hour\n"
	       "  show      a series' 168-slot profile: one line per day, a cell per hour (the\n"
	       "            usual value), its warmth, the band of the day's peak (--json: every\n"
	       "            slot's expected value, band, bar and weight). Metrics: latency,\n"
	       "            ttft, availability, rate_limit, server_error, timeout,\n"
	       "            content_filter, invalid_request, quality, throughput, cost\n"
	       "  review    the review items (a step a refresh found); accept (the baseline\n"
	       "            absorbs the step) or reject (it keeps the old baseline) one\n\n"
	       "  -d, --db PATH        the database (required)\n"
	       "  -c, --config FILE    vigil.yaml: baselines.* and thresholds.* (else defaults)\n"
	       "      --force          rebuild or refresh even while a daemon writes the database\n"
	       "  -h, --help           this help\n\n"
	       "Exit status: 0 done, 1 failed (or nothing to show), 2 usage error.\n");
}

void cmd_baseline__series_name(const struct rollup_series *k, char *buf, size_t size)
{
	char raw[VG_NAME_MAX + VG_MODEL_MAX + 32];
	rollup_series_name(k, raw, sizeof(raw));
	sanitize_str(buf, size, raw, 0);
}

void cmd_baseline__time(int64_t ms, char *buf, size_t size)
{
	if (ms == INT64_MIN || ms == VG_NONE) {
		snprintf(buf, size, "never");
		return;
	}
	char t[40];
	if (timeparse_format_rfc3339(ms, t, sizeof(t)) < 0) {
		snprintf(buf, size, "?");
		return;
	}
	/* "2026-02-02T04:00:00.000Z" -> "2026-02-02 04:00 UTC" */
	snprintf(buf, size, "%.10s %.5s UTC", t, t + 11);
}

/* Whether a daemon seems to write the database now. */
static bool daemon_running(struct baseline_db *d)
{
	int64_t u = baseline_db_health_updated(d);
	return u != INT64_MIN && clock_wall_ms() - u < DAEMON_FRESH_MS;
}

/* ---- writing through the store ------------------------------------------------------ */

/* Submit b (made with store_batch_new(store_once_commit, &err)) to the
 * database and wait for the commit. Takes b. */
static int write_batch(const char *path, struct store_batch *b, const int *err)
{
	char *cause = NULL;
	int rc = store_write_once(path, b, err, &cause);
	if (rc != 0)
		fprintf(stderr, "vigil baseline: %s\n", cause ? cause : vg_strerror(rc));
	free(cause);
	return rc;
}

/* ---- rebuild and refresh --------------------------------------------------------- */

/* A review item for a model's pending review (created by this run). */
static void review_item(const struct baseline_model *m, int64_t id, struct pipeline_review *r)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->series = m->key;
	r->review = m->review;
	r->state = PRV_WAITING;
	r->decided_ms = VG_NONE;
	char slot[24];
	baseline_slot_name(timeparse_hour_of_week(m->review.at_ms), slot, sizeof(slot));
	int mt = m->review.metric >= 0 && m->review.metric < BM__COUNT ? m->review.metric : 0;
	snprintf(r->text, sizeof(r->text), "%s %+.0f%% since %s%s%s%s",
	         baseline_metric_name((enum baseline_metric)mt),
	         (exp(m->review.delta[mt]) - 1) * 100, slot, m->review.model[0] ? " (" : "",
	         m->review.model, m->review.model[0] ? ")" : "");
}

/* Learn the hours of *week (in time order) refresh by refresh: the first
 * refresh is the first scheduled one after the first hour starts, then
 * weekly, up to `to`. Hours after the last refresh stay in *week.
 * *refreshed: the last refresh applied (unchanged when none). */
static int learn_weeks(struct baseline_model *m, const struct baseline_settings *s,
                       struct baseline_week *week, int64_t first_cutoff, int64_t to,
                       int64_t *refreshed, struct baseline_refresh_report *total)
{
	for (int64_t cut = first_cutoff; cut <= to && week->n > 0; cut += BL_WEEK_MS) {
		struct baseline_week cycle;
		baseline_week_init(&cycle);
		if (baseline_week_split(week, cut, &cycle) != 0)
			return VG_ENOMEM;
		struct rollup *hours;
		size_t n;
		int rc = baseline_week_decode(&cycle, &hours, &n);
		baseline_week_done(&cycle);
		if (rc != 0)
			return rc;
		struct baseline_refresh_report rep;
		rc = baseline_refresh(m, s, hours, n, cut, &rep);
		free(hours);
		if (rc != 0)
			return rc;
		*refreshed = cut;
		total->learned += rep.learned;
		total->skipped_alarmed += rep.skipped_alarmed;
		total->skipped_holiday += rep.skipped_holiday;
		total->skipped_review += rep.skipped_review;
		total->review_created |= rep.review_created;
	}
	return 0;
}

static void report_line(const struct rollup_series *k, const struct baseline_model *m,
                        const struct baseline_settings *s,
                        const struct baseline_refresh_report *rep, int refreshes, int64_t refreshed)
{
	char name[160], when[40];
	cmd_baseline__series_name(k, name, sizeof(name));
	cmd_baseline__time(refreshed, when, sizeof(when));
	printf("%-40s %3d refresh%s to %s: %d hours learned (%d alarmed, %d holiday, %d under "
	       "review skipped); learning: %.0f%% of latency slots warm",
	       name, refreshes, refreshes == 1 ? "" : "es", when, rep->learned,
	       rep->skipped_alarmed, rep->skipped_holiday, rep->skipped_review,
	       100 * baseline_warm_share(m, s, BM_LATENCY));
	if (m->review.pending)
		printf("; review waiting");
	printf("\n");
}

/* rebuild (rebuild true) or refresh by hand. */
static int relearn(const struct bl_opts *o, bool rebuild)
{
	const char *cmd = rebuild ? "rebuild" : "refresh";
	struct baseline_db *d;
	char *cause = NULL;
	int rc = baseline_db_open(o->db, &d, &cause);
	if (rc != 0) {
		fprintf(stderr, "vigil baseline %s: %s\n", cmd, cause ? cause : vg_strerror(rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	if (daemon_running(d) && !o->force) {
		fprintf(stderr,
		        "vigil baseline %s: a daemon is writing %s (health updated in the last "
		        "%d s): it holds the models in memory and would overwrite these; stop it "
		        "first, or --force\n",
		        cmd, o->db, DAEMON_FRESH_MS / 1000);
		baseline_db_close(d);
		return CLI_EXIT_FAIL;
	}
	int64_t clock = baseline_db_clock(d);
	/* hours that ended by the clock */
	int64_t to = clock == INT64_MIN
	                     ? INT64_MIN
	                     : clock - (clock % ROLLUP_HOUR_MS + ROLLUP_HOUR_MS) % ROLLUP_HOUR_MS;
	if (rebuild && o->to != INT64_MAX && o->to < to)
		to = o->to;
	struct baseline_db_series *ser;
	size_t n;
	rc = baseline_db_series(d, &ser, &n);
	struct baseline_db_review *old = NULL;
	size_t n_old = 0;
	if (rc == 0)
		rc = baseline_db_reviews(d, false, &old, &n_old);
	int64_t next_id = baseline_db_max_review_id(d) + 1;
	int err = 0;
	struct store_batch *b = store_batch_new(store_once_commit, &err);
	struct baseline_model *m = malloc(sizeof(*m));
	int done = 0, reviews = 0;
	if (!b || !m)
		rc = VG_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct baseline_db_series *s = &ser[i];
		int64_t refreshed = INT64_MIN, from;
		int refreshes0 = 0;
		if (rebuild) {
			baseline_model_init(m, &s->key);
			from = o->from;
		} else {
			rc = baseline_db_model(d, &s->key, m, &refreshed, NULL);
			if (rc == VG_ENOTFOUND) {
				baseline_model_init(m, &s->key);
				rc = 0;
			} else if (rc != 0) {
				char name[160];
				cmd_baseline__series_name(&s->key, name, sizeof(name));
				fprintf(stderr,
				        "vigil baseline refresh: %s: model not readable: %s\n",
				        name, vg_strerror(rc));
				rc = 0;
				continue;
			}
			refreshes0 = m->refreshes;
			/* the hours since the last refresh (all of them before the first) */
			from = refreshed == INT64_MIN ? INT64_MIN : refreshed - ROLLUP_HOUR_MS + 1;
		}
		struct baseline_week week;
		baseline_week_init(&week);
		rc = baseline_db_hours(d, &s->key, from, to, &week);
		if (rc != 0 || week.n == 0) {
			baseline_week_done(&week);
			continue;
		}
		struct baseline_refresh_report rep;
		memset(&rep, 0, sizeof(rep));
		if (rebuild) {
			/* the first hour's start decides the first refresh, as the
			 * first request's time does in a pipeline */
			int64_t first =
			        baseline_job_schedule(&o->bs, baseline_week_first_start(&week)) +
			        BL_WEEK_MS;
			rc = learn_weeks(m, &o->bs, &week, first, to, &refreshed, &rep);
		} else {
			/* one refresh, at the clock's hour: everything since the last */
			rc = learn_weeks(m, &o->bs, &week, to, to, &refreshed, &rep);
		}
		baseline_week_done(&week);
		if (rc != 0)
			break;
		rc = store_batch_add_baseline_model(b, m, refreshed, clock);
		if (rc == 0 && rebuild) {
			/* the old model's waiting reviews are superseded */
			for (size_t j = 0; j < n_old && rc == 0; j++) {
				if (memcmp(&old[j].key, &s->key, sizeof(s->key)) != 0)
					continue;
				struct pipeline_review r;
				memset(&r, 0, sizeof(r));
				r.id = old[j].id;
				r.series = old[j].key;
				r.state = PRV_REJECTED;
				model_copy_str(r.actor, sizeof(r.actor), "vigil baseline rebuild",
				               (size_t)-1);
				r.decided_ms = clock;
				model_copy_str(r.text, sizeof(r.text), old[j].detail, (size_t)-1);
				rc = store_batch_add_review(b, &r);
			}
		}
		if (rc == 0 && rep.review_created && m->review.pending) {
			struct pipeline_review r;
			review_item(m, next_id++, &r);
			rc = store_batch_add_review(b, &r);
			reviews++;
		}
		if (!o->json)
			report_line(&s->key, m, &o->bs, &rep, m->refreshes - refreshes0, refreshed);
		done++;
	}
	free(m);
	free(ser);
	free(old);
	baseline_db_close(d);
	if (rc != 0) {
		store_batch_free(b);
		fprintf(stderr, "vigil baseline %s: %s\n", cmd, vg_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (done == 0) {
		store_batch_free(b);
		printf("no series with hour rollups to learn from in %s\n", o->db);
		return CLI_EXIT_OK;
	}
	if (write_batch(o->db, b, &err) != 0)
		return CLI_EXIT_FAIL;
	printf("%s: %d series, %d review item%s waiting\n", rebuild ? "rebuilt" : "refreshed", done,
	       reviews, reviews == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

/* ---- review ------------------------------------------------------------------------- */

static const char *state_name(enum pipeline_review_state s)
{
	return pipeline_review_state_name(s);
}

static int review_list(struct baseline_db *d, const struct bl_opts *o)
{
	struct baseline_db_review *r;
	size_t n;
	int rc = baseline_db_reviews(d, o->all, &r, &n);
	if (rc != 0) {
		fprintf(stderr, "vigil baseline review: %s\n", vg_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (o->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++) {
			char name[160];
			cmd_baseline__series_name(&r[i].key, name, sizeof(name));
			json_t *j = json_pack(
			        "{s:I,s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:I,s:I,s:b,s:s}", "id",
			        (json_int_t)r[i].id, "series", name, "provider", r[i].key.provider,
			        "alias", r[i].key.alias, "metric", r[i].metric, "state",
			        state_name(r[i].state), "delta", r[i].delta, "z", r[i].z, "at_ms",
			        (json_int_t)r[i].at_ms, "created_ms", (json_int_t)r[i].created_ms,
			        "near_marker", r[i].near_marker, "detail", r[i].detail);
			if (j && r[i].state != PRV_WAITING) {
				json_object_set_new(j, "actor", json_string(r[i].actor));
				json_object_set_new(j, "decided_ms", json_integer(r[i].decided_ms));
			}
			json_array_append_new(a, j);
		}
		char *s = json_dumps(a, JSON_INDENT(1));
		json_decref(a);
		if (s)
			cli_json_print(stdout, s);
		free(s);
		free(r);
		return CLI_EXIT_OK;
	}
	size_t waiting = 0;
	for (size_t i = 0; i < n; i++) {
		char name[160], created[40], detail[256], actor[128];
		cmd_baseline__series_name(&r[i].key, name, sizeof(name));
		cmd_baseline__time(r[i].created_ms, created, sizeof(created));
		sanitize_str(detail, sizeof(detail), r[i].detail, 0);
		sanitize_str(actor, sizeof(actor), r[i].actor, 0);
		waiting += r[i].state == PRV_WAITING;
		printf("#%-4lld %-9s %-36s %s (found %s)%s%s\n", (long long)r[i].id,
		       state_name(r[i].state), name, detail, created,
		       r[i].state != PRV_WAITING ? " by " : "",
		       r[i].state != PRV_WAITING ? actor : "");
	}
	if (!n)
		printf("no review items waiting\n");
	else if (waiting)
		printf("accept (absorb the step) or reject (keep the old baseline): vigil baseline "
		       "review --db %s accept|reject ID\n",
		       o->db);
	free(r);
	return CLI_EXIT_OK;
}

static int review_decide(struct baseline_db *d, const struct bl_opts *o, bool accept, int64_t id)
{
	struct baseline_db_review r;
	int rc = baseline_db_review(d, id, &r);
	if (rc == VG_ENOTFOUND)
		return cli_usage_error("baseline", "no review item #%lld", (long long)id);
	if (rc != 0) {
		fprintf(stderr, "vigil baseline review: %s\n", vg_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (r.state != PRV_WAITING) {
		fprintf(stderr, "vigil baseline review: #%lld was %s already\n", (long long)id,
		        state_name(r.state));
		return CLI_EXIT_FAIL;
	}
	int64_t now = clock_wall_ms();
	struct store_operator_action a;
	memset(&a, 0, sizeof(a));
	a.action = accept ? ACTION_ACCEPT : ACTION_REJECT;
	a.review_id = id;
	model_copy_str(a.actor, sizeof(a.actor), o->actor, (size_t)-1);
	a.time_ms = now;
	char name[160];
	cmd_baseline__series_name(&r.key, name, sizeof(name));
	if (daemon_running(d)) {
		/* the daemon holds the model: it applies the action (daemon_actions.c) */
		struct console_act *w;
		char *cause = NULL;
		rc = console_act_open(o->db, &w, &cause);
		if (rc == 0)
			rc = console_act_write(w, &a, NULL, &cause);
		console_act_close(w);
		if (rc != 0) {
			fprintf(stderr, "vigil baseline review: %s\n",
			        cause ? cause : vg_strerror(rc));
			free(cause);
			return CLI_EXIT_FAIL;
		}
		printf("%s of review #%lld (%s) queued: the running daemon applies it\n",
		       accept ? "acceptance" : "rejection", (long long)id, name);
		return CLI_EXIT_OK;
	}
	/* No daemon: apply it to the stored model here. */
	struct baseline_model *m = malloc(sizeof(*m));
	int64_t refreshed = INT64_MIN;
	if (!m)
		return CLI_EXIT_FAIL;
	char *cause = NULL;
	rc = baseline_db_model(d, &r.key, m, &refreshed, &cause);
	if (rc == 0 && !m->review.pending)
		rc = VG_ESTATE;
	if (rc == 0)
		rc = accept ? baseline_review_accept(m) : baseline_review_reject(m);
	if (rc != 0) {
		fprintf(stderr, "vigil baseline review: %s: %s\n", name,
		        cause             ? cause
		        : rc == VG_ESTATE ? "its model has no review waiting"
		                          : vg_strerror(rc));
		free(cause);
		free(m);
		return CLI_EXIT_FAIL;
	}
	int err = 0;
	struct store_batch *b = store_batch_new(store_once_commit, &err);
	struct pipeline_review pr;
	memset(&pr, 0, sizeof(pr));
	pr.id = id;
	pr.series = r.key;
	pr.state = accept ? PRV_ACCEPTED : PRV_REJECTED;
	model_copy_str(pr.actor, sizeof(pr.actor), o->actor, (size_t)-1);
	pr.decided_ms = now;
	model_copy_str(pr.text, sizeof(pr.text), r.detail, (size_t)-1);
	a.applied = true;
	if (!b || store_batch_add_baseline_model(b, m, refreshed, baseline_db_clock(d)) != 0 ||
	    store_batch_add_review(b, &pr) != 0 || store_batch_add_action(b, &a) != 0) {
		store_batch_free(b);
		free(m);
		fprintf(stderr, "vigil baseline review: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	free(m);
	if (write_batch(o->db, b, &err) != 0)
		return CLI_EXIT_FAIL;
	printf("review #%lld (%s) %s: %s\n", (long long)id, name, accept ? "accepted" : "rejected",
	       accept ? "the baseline absorbed the step" : "the old baseline stays");
	return CLI_EXIT_OK;
}

/* ---- options and dispatch --------------------------------------------------------- */

static int parse_time(const char *s, int64_t *out)
{
	return timeparse_rfc3339(s, strlen(s), out);
}

int cmd_baseline_main(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(2, argv)) {
		help();
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	const char *sub = argv[1];
	bool rebuild = !strcmp(sub, "rebuild"), refresh = !strcmp(sub, "refresh"),
	     show = !strcmp(sub, "show"), review = !strcmp(sub, "review");
	if (!rebuild && !refresh && !show && !review) {
		char safe[64];
		sanitize_str(safe, sizeof(safe), sub, 0);
		return cli_usage_error("baseline",
		                       "unknown subcommand '%s' (rebuild, refresh, show, review)",
		                       safe);
	}
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "provider", required_argument, NULL, 'p' },
		{ "model", required_argument, NULL, 'm' },
		{ "metric", required_argument, NULL, 'M' },
		{ "source", required_argument, NULL, 's' },
		{ "actor", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'A' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bl_opts o;
	memset(&o, 0, sizeof(o));
	o.from = INT64_MIN;
	o.to = INT64_MAX;
	const char *config = NULL;
	char actor[64];
	const char *user = getenv("USER");
	snprintf(actor, sizeof(actor), "%s", user && *user ? user : "cli");
	o.actor = actor;
	int c;
	opterr = 0;
	optind = 1;
	int sargc = argc - 1;
	char **sargv = argv + 1;
	while ((c = getopt_long(sargc, sargv, ":d:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 'c': config = optarg; break;
		case 'F':
		case 'T':
			if (!rebuild)
				return cli_usage_error("baseline", "--from and --to are rebuild's");
			if (parse_time(optarg, c == 'F' ? &o.from : &o.to) != 0)
				return cli_usage_error("baseline",
				                       "--%s needs an RFC 3339 time such as "
				                       "2026-01-05T00:00:00Z",
				                       c == 'F' ? "from" : "to");
			break;
		case 'p': o.provider = optarg; break;
		case 'm': o.model = optarg; break;
		case 'M':
			if (baseline_metric_parse(optarg, (size_t)-1) < 0)
				return cli_usage_error("baseline", "unknown metric (see --help)");
			o.metric = optarg;
			break;
		case 's':
			if (strcmp(optarg, "gateway") && strcmp(optarg, "probe"))
				return cli_usage_error("baseline", "--source is gateway or probe");
			o.source = optarg;
			break;
		case 'a': snprintf(actor, sizeof(actor), "%s", optarg); break;
		case 'j': o.json = true; break;
		case 'A': o.all = true; break;
		case 'f': o.force = true; break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("baseline", c, sargv);
		}
	}
	if (!o.db)
		return cli_usage_error("baseline", "%s needs --db PATH", sub);
	if (o.from != INT64_MIN && o.to != INT64_MAX && o.from >= o.to)
		return cli_usage_error("baseline", "--from must be before --to");
	bool accept = false;
	int64_t id = 0;
	if (review && optind < sargc) {
		if (optind + 2 != sargc ||
		    (strcmp(sargv[optind], "accept") && strcmp(sargv[optind], "reject")))
			return cli_usage_error("baseline", "review takes accept ID or reject ID");
		accept = !strcmp(sargv[optind], "accept");
		char *end;
		long long v = strtoll(sargv[optind + 1], &end, 10);
		if (*end || v <= 0)
			return cli_usage_error("baseline", "a review ID is a positive number");
		id = v;
	} else if (optind < sargc) {
		char safe[64];
		sanitize_str(safe, sizeof(safe), sargv[optind], 0);
		return cli_usage_error("baseline", "unexpected argument '%s'", safe);
	}
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return CLI_EXIT_FAIL;
	config_defaults(cfg);
	if (config) {
		char *cause = NULL;
		if (config_load(cfg, config, &cause) != 0) {
			fprintf(stderr, "vigil baseline: %s\n", cause ? cause : "invalid config");
			free(cause);
			free(cfg);
			return CLI_EXIT_USAGE;
		}
	}
	o.cfg = cfg;
	config_baseline_settings(cfg, &o.bs);
	/* rebuild, refresh and a review decision write models and actions */
	char what[32];
	snprintf(what, sizeof(what), "baseline %s", sub);
	int rc = cli_db_check(what, o.db,
	                      rebuild || refresh || id != 0 ? DBACCESS_WRITE : DBACCESS_READ);
	if (rc != 0) {
		free(cfg);
		return rc;
	}
	if (rebuild || refresh) {
		rc = relearn(&o, rebuild);
	} else {
		struct baseline_db *d;
		char *cause = NULL;
		rc = baseline_db_open(o.db, &d, &cause);
		if (rc != 0) {
			fprintf(stderr, "vigil baseline %s: %s\n", sub,
			        cause ? cause : vg_strerror(rc));
			free(cause);
			rc = CLI_EXIT_FAIL;
		} else {
			rc = show      ? cmd_baseline__show(d, &o)
			     : id != 0 ? review_decide(d, &o, accept, id)
			               : review_list(d, &o);
			baseline_db_close(d);
		}
	}
	free(cfg);
	return rc;
}
