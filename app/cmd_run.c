/*
 * cmd_run.c: `vigil run [--config F] [--db PATH] [--metrics-listen HOST:PORT]`:
 * the headless daemon (app/daemon). Logs one JSON object per line on
 * stderr. SIGTERM and SIGINT stop it cleanly (every row committed; exit 0),
 * SIGHUP reloads the config file. Exit 1 when it could not start or stopped
 * on an error, 2 for usage errors (bad flags, a bad config).
 */
#include "app/cli.h"
#include "app/cli_db.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/daemon.h"
#include "core/vgerr.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct run {
	struct daemon *d;
	uv_signal_t sigint, sigterm, sighup;
	int err;
	bool stopped;
};

static void help(void)
{
	printf("usage: vigil run [--config FILE] [--db PATH] [--metrics-listen HOST:PORT]\n\n"
	       "Run the daemon: follow the gateway event files of the config (events:), classify\n"
	       "every request, group failures into incidents, write everything to the database,\n"
	       "serve /metrics and deliver incidents to the configured sinks. Operator actions\n"
	       "made in `vigil console` are applied and forwarded. Logs are JSON lines on "
	       "stderr.\n\n"
	       "  -c, --config FILE          vigil.yaml (default: built-in defaults)\n"
	       "  -d, --db PATH              database file (default: the config's store.path)\n"
	       "  -m, --metrics-listen ADDR  /metrics address (port 0: a free port, logged)\n"
	       "  -h, --help                 this help\n\n"
	       "Signals: SIGTERM/SIGINT stop cleanly (exit 0), SIGHUP reloads the config.\n"
	       "Exit status: 0 stopped cleanly, 1 failed, 2 usage error.\n");
}

static void on_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_stopped(void *data, struct daemon *d, int err)
{
	(void)d;
	struct run *r = data;
	r->err = err;
	r->stopped = true;
	uv_close((uv_handle_t *)&r->sigint, on_closed);
	uv_close((uv_handle_t *)&r->sigterm, on_closed);
	uv_close((uv_handle_t *)&r->sighup, on_closed);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct run *r = h->data;
	if (signum == SIGHUP) {
		char *cause = NULL;
		daemon_reload(r->d, NULL, &cause); /* logged either way */
		free(cause);
		return;
	}
	daemon_stop(r->d);
}

int cmd_run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "metrics-listen", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *db = NULL, *listen = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:d:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'm': listen = optarg; break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("run", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);

	struct vigil_config *cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		fprintf(stderr, "vigil run: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	config_defaults(cfg);
	if (config) {
		char *cause = NULL;
		if (config_load(cfg, config, &cause) != 0) {
			fprintf(stderr, "vigil run: %s\n", cause ? cause : "invalid config");
			free(cause);
			free(cfg);
			return CLI_EXIT_USAGE;
		}
	}
	if (listen) {
		char host[128];
		int port;
		if (config_split_listen(listen, host, sizeof(host), &port) != 0) {
			free(cfg);
			return cli_usage_error("run", "--metrics-listen: '%s' is not HOST:PORT",
			                       listen);
		}
		model_copy_str(cfg->metrics.listen, sizeof(cfg->metrics.listen), listen,
		               (size_t)-1);
	}

	int st = cli_db_check("run", db ? db : cfg->store.path, DBACCESS_CREATE);
	if (st != 0) {
		free(cfg);
		return st;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct run r;
	memset(&r, 0, sizeof(r));
	struct daemon_options o = { .db_path = db, .on_stopped = on_stopped, .data = &r };
	int rc = daemon_new(&r.d, &loop, cfg, &o);
	free(cfg);
	if (rc != 0) {
		fprintf(stderr, "vigil run: out of memory\n");
		uv_loop_close(&loop);
		return CLI_EXIT_FAIL;
	}
	uv_signal_init(&loop, &r.sigint);
	uv_signal_init(&loop, &r.sigterm);
	uv_signal_init(&loop, &r.sighup);
	r.sigint.data = r.sigterm.data = r.sighup.data = &r;
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	uv_signal_start(&r.sighup, on_signal, SIGHUP);

	char *cause = NULL;
	rc = daemon_start(r.d, &cause);
	if (rc != 0) {
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"cannot start\",\"error\":");
		/* the cause may hold quotes: print it as a JSON string */
		fputc('"', stderr);
		for (const char *p = cause ? cause : vg_strerror(rc); *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', stderr);
			if ((unsigned char)*p >= 0x20)
				fputc(*p, stderr);
		}
		fputs("\"}\n", stderr);
		free(cause);
		uv_close((uv_handle_t *)&r.sigint, on_closed);
		uv_close((uv_handle_t *)&r.sigterm, on_closed);
		uv_close((uv_handle_t *)&r.sighup, on_closed);
		uv_run(&loop, UV_RUN_DEFAULT);
		daemon_free(r.d);
		uv_loop_close(&loop);
		return rc == VG_ECONFIG || rc == VG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	daemon_free(r.d);
	if (uv_loop_close(&loop) != 0)
		fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"handles left open at exit\"}\n");
	return r.stopped && r.err == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
