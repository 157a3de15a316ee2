/*
 * cmd_console.c: `vigil console`: the ncurses console attached to a
 * database that a daemon writes (read-only; operator actions go to the
 * operator_actions table), or, with --snapshot, to a JSON snapshot file
 * (re-read every refresh; actions are appended as JSON lines to --actions
 * FILE, or refused).
 */
#include "app/cli.h"
#include "app/cli_db.h"
#include "app/commands.h"
#include "app/console_db.h"

#include "core/sanitize.h"
#include "core/vgerr.h"
#include "tui/console_loop.h"
#include "tui/snapshot_json.h"

#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
	printf("usage: vigil console [--db PATH] [--snapshot FILE] [options]\n\n"
	       "The operations console. It attaches read-only to the database a daemon\n"
	       "(`vigil run`) writes and refreshes every second; acknowledgements,\n"
	       "resolutions, notes and triage paths go to the operator_actions table,\n"
	       "which the daemon applies and forwards to the sinks. A user who cannot\n"
	       "write the database gets a read-only console: everything shows, and it\n"
	       "says that actions are unavailable.\n\n"
	       "  -d, --db PATH         database (default: the config's store.path)\n"
	       "  -c, --config FILE     config file: the default database, baselines.warm.*\n"
	       "                        (vigil.yaml)\n"
	       "  -s, --snapshot FILE   show a JSON snapshot instead (re-read each refresh)\n"
	       "      --actions FILE    with --snapshot: append actions to FILE as JSON lines\n"
	       "  -u, --user NAME       who acknowledges (default: $VIGIL_USER, then $USER)\n"
	       "      --refresh D       refresh period (default 1s)\n"
	       "      --ascii           draw ASCII only (no Unicode glyphs)\n"
	       "      --mouse           scroll with the mouse wheel\n"
	       "  -h, --help            this help\n\n"
	       "Keys: ? help, / filter, j/k and arrows, Tab and 1-4 panes, Enter open,\n"
	       "Esc back, a acknowledge, r resolve, n note, t triage wizard, b baselines\n"
	       "(learning, review items: a accept, r reject), q quit. NO_COLOR is honoured.\n");
}

struct file_source {
	const char *path;
	const char *actions_path;
};

static int file_build(void *ud, struct snapshot *s, int64_t detail_id, char **cause)
{
	struct file_source *fs = ud;
	(void)detail_id;
	return snapshot_load_file(s, fs->path, cause);
}

static int file_act(void *ud, const struct op_action *a, char **cause)
{
	struct file_source *fs = ud;
	if (!fs->actions_path) {
		*cause = strdup("read-only snapshot (see --actions)");
		return VG_ESTATE;
	}
	FILE *f = fopen(fs->actions_path, "a");
	if (!f) {
		*cause = strdup("cannot open the actions file");
		return VG_EIO;
	}
	/* accept and reject name a baseline review item, the others an incident */
	json_t *o =
	        json_pack("{s:s, s:I, s:s, s:s}", "kind", action_name(a->kind),
	                  action_is_review(a->kind) ? "review" : "incident",
	                  (json_int_t)(action_is_review(a->kind) ? a->review_id : a->incident_id),
	                  "by", a->by, "note", a->note);
	if (o && a->payload) {
		json_t *p = json_loads(a->payload, 0, NULL);
		json_object_set_new(o, "path", p ? p : json_string(a->payload));
	}
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line)
		fprintf(f, "%s\n", line);
	free(line);
	json_decref(o);
	fclose(f);
	return 0;
}

static void quit_loop(void *ud)
{
	uv_stop(ud);
}

/* The operator's name: --user, $VIGIL_USER, $USER, the passwd entry. */
static void operator_name(const char *flag, char *out, size_t size)
{
	const char *n = flag;
	if (!n || !*n)
		n = getenv("VIGIL_USER");
	if (!n || !*n)
		n = getenv("USER");
	if (!n || !*n) {
		struct passwd *pw = getpwuid(getuid());
		n = pw ? pw->pw_name : "operator";
	}
	sanitize_str(out, size, n, 0);
}

int cmd_console_main(int argc, char **argv)
{
	enum { OPT_ACTIONS = 256, OPT_REFRESH, OPT_ASCII, OPT_MOUSE };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "actions", required_argument, NULL, OPT_ACTIONS },
		{ "user", required_argument, NULL, 'u' },
		{ "refresh", required_argument, NULL, OPT_REFRESH },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "mouse", no_argument, NULL, OPT_MOUSE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *config = NULL, *snapshot = NULL, *actions = NULL, *user = NULL;
	struct console_loop_options lo = { 0 };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:c:s:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'c': config = optarg; break;
		case 's': snapshot = optarg; break;
		case 'u': user = optarg; break;
		case OPT_ACTIONS: actions = optarg; break;
		case OPT_REFRESH:
			lo.refresh_ms = cli_duration_ms(optarg);
			if (lo.refresh_ms <= 0)
				return cli_usage_error(
				        "console", "bad --refresh '%s' (e.g. 1s, 500ms)", optarg);
			break;
		case OPT_ASCII: lo.force_ascii = true; break;
		case OPT_MOUSE: lo.mouse = true; break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("console", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("console", "unexpected argument '%s'", argv[optind]);
	if (snapshot && (db || config))
		return cli_usage_error("console",
		                       "--snapshot and --db/--config exclude each other");
	if (actions && !snapshot)
		return cli_usage_error("console", "--actions goes with --snapshot");

	setlocale(LC_ALL, "");
	char who[VG_NAME_MAX];
	operator_name(user, who, sizeof(who));
	lo.operator_name = who;

	uv_loop_t loop;
	uv_loop_init(&loop);
	struct file_source fs = { snapshot, actions };
	struct console_db *cdb = NULL;
	struct console_source src = { 0 };
	char *cause = NULL;
	if (snapshot) {
		src.build = file_build;
		src.act = file_act;
		src.ud = &fs;
	} else {
		char path[1024];
		struct baseline_settings bl;
		struct console_db_opts co = { path, NULL, NULL, &bl };
		bool resolved = console_db_resolve(db, config, path, sizeof(path), &cause) == 0;
		/* the same words and status as every command's --db (app/cli_db.h) */
		int st = resolved ? cli_db_check("console", path, DBACCESS_READ) : 0;
		if (st != 0) {
			uv_loop_close(&loop);
			return st;
		}
		if (!resolved || console_db_baselines(db, config, &bl, &cause) != 0 ||
		    console_db_open(&loop, &co, &cdb, &cause) != 0) {
			fprintf(stderr, "vigil console: %s\n",
			        cause ? cause : "cannot open the database");
			free(cause);
			uv_run(&loop, UV_RUN_DEFAULT);
			uv_loop_close(&loop);
			return resolved ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
		}
		src = console_db_source(cdb);
		lo.read_only = console_db_read_only(cdb);
	}
	src.on_quit = quit_loop;
	src.quit_ud = &loop;
	struct console_loop *cl = NULL;
	if (console_loop_start(&loop, &src, &lo, &cl, &cause) != 0) {
		fprintf(stderr, "vigil console: %s\n", cause ? cause : "cannot start");
		free(cause);
		console_db_close(cdb);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return CLI_EXIT_FAIL;
	}
	if (cdb)
		console_db_attach(cdb, cl);
	uv_run(&loop, UV_RUN_DEFAULT);
	console_loop_stop(cl);
	console_db_close(cdb);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return CLI_EXIT_OK;
}
