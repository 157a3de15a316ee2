/*
 * demo_engine.h: everything of `vigil demo` except the screen, on one libuv
 * loop: the simulated providers (sim/, the scenario on a compressed clock),
 * the simulated gateway writing a real events file, the tailer following
 * that file into the pipeline and the store, health rows every 2 s, the
 * operator actions the console writes applied through core/incidents, the
 * outbox delivering pages to the simulated pager (app/demo_pager), and
 * /metrics when asked.
 *
 * This is the daemon's job composed from the pieces on main while
 * app/daemon.h is being written; once it lands, demo_engine_start() becomes
 * "sim + gateway + daemon_new()" behind the same functions (the console and
 * cmd_demo.c only see this header). The canaries (probes/canary) probe
 * the simulator every minute of scenario time (a few seconds), with a
 * made-up key the simulator only checks for presence.
 *
 * Files in opts->dir: events.jsonl (the gateway's lines), vigil.db (the
 * database, mode 0600), pager.jsonl (one line per page received),
 * vigil.log (the canaries' log lines).
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
	int64_t probes;              /* canary probes finished */
	int64_t actions_applied, actions_refused;
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

/*
 * Record an operator action from the console (the console_db_act_fn of
 * app/console_db.h, `ud` = the engine): written to operator_actions by the
 * store thread, then applied like the daemon does. 0 or an error with *cause.
 */
int demo_engine_act(void *ud, const struct op_action *a, char **cause);

/* Stop everything (what was read is committed); handles close on the loop.
 * Then run the loop until idle and call demo_engine_free(). */
void demo_engine_stop(struct demo_engine *e);
void demo_engine_free(struct demo_engine *e);

#endif
