/*
 * demo_engine.h: everything of `vigil demo` except the screen, on one libuv
 * loop: the simulated providers (sim/, the scenario on a compressed clock),
 * the simulated gateway writing a real events file, the simulated pager
 * (app/demo_pager), and the daemon (app/daemon: the tailer, the pipeline,
 * the store, health rows, the canaries probing the simulator, operator
 * actions applied and forwarded, the outbox paging the pager, /metrics when
 * asked) with an embedded configuration.
 *
 * The console attaches to the database like `vigil console` does (it
 * writes only operator_actions; the daemon applies them).
 *
 * Files in opts->dir: events.jsonl (the gateway's lines), vigil.db (the
 * database, mode 0600), pager.jsonl (one line per page received),
 * vigil.log (the daemon's JSON log lines), schemas/ (the JSON Schemas of the
 * scenario's structured answers, which the daemon validates them against).
 *
 * Loop thread only.
 */
#ifndef VIGIL_APP_DEMO_ENGINE_H
#define VIGIL_APP_DEMO_ENGINE_H

#include "tui/console.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct demo_engine;

struct demo_engine_opts {
	const char *dir;            /* an existing folder (required) */
	const char *scenario;       /* shipped name or file (NULL: "oncall-day") */
	double speed;               /* scenario seconds per wall second (<= 0: 10) */
	const char *metrics_listen; /* "HOST:PORT" to serve /metrics, or NULL */
	/* Messages for the operator (one line, no newline); NULL: stderr. */
	void (*log)(void *ud, const char *line);
	void *log_ud;
};

struct demo_engine_status {
	int64_t scenario_ms, scenario_duration_ms;
	bool gateway_done;           /* every line of the scenario is written */
	int64_t lines, observations; /* tailer counters */
	int64_t actions_applied;
	int64_t pages_trigger, pages_acknowledge, pages_resolve;
	int sim_port, pager_port, metrics_port; /* 0 when not running */
};

/*
 * Start everything on `loop`. Files from an earlier demo in opts->dir
 * (events.jsonl*, vigil.db*, pager.jsonl, vigil.log) are replaced. Returns 0 and *out,
 * or an error with a malloc'd *cause (nothing is left running).
 */
int demo_engine_start(uv_loop_t *loop, const struct demo_engine_opts *o, struct demo_engine **out,
                      char **cause);

/* The database path (borrowed while the engine lives). */
const char *demo_engine_db_path(const struct demo_engine *e);

/* Counters for the summary line. */
void demo_engine_status(const struct demo_engine *e, struct demo_engine_status *out);

/* Stop everything (what was read is committed); handles close on the loop.
 * Then run the loop until idle and call demo_engine_free(). */
void demo_engine_stop(struct demo_engine *e);
void demo_engine_free(struct demo_engine *e);

#endif
