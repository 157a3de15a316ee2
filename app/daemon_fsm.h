/*
 * daemon_fsm.h: the daemon's life cycle as a state machine, pure: a state
 * and an event give the next state and the actions to perform, in order, as
 * data. app/daemon.c performs the actions (they are its I/O) and turns what
 * comes back (store answers, callbacks) into events; this file does no I/O
 * and keeps no state.
 *
 *   NEW --start--> STARTING: the store is open, the startup queries run:
 *     ids        -> resume the numbering, ask for the open incidents
 *     incidents  -> ask for the baselines (models, the week's hours)
 *     baselines  -> open the tailer, the outbox, the resend timers and
 *                   start following (following, or failed)
 *     following  -> RUNNING: sidecar, canaries, tick, "running", on_ready
 *   STARTING --stop--> START_ABORT: the query in flight answers first, then
 *     the stop goes on as below.
 *   RUNNING --stop/failed--> STOP_INGEST: tick and canaries stop, the tailer
 *     finishes its chunks in flight (ingest_done); the tailer ending on its
 *     own (an error) skips to STOP_DRAIN.
 *   STOP_DRAIN: the sidecar's analyses in flight come back (sem_drained),
 *     then the sidecar stops.
 *   STOP_SUBMIT: the effects waiting for the store queue are submitted
 *     (submitted; a full queue waits for space; a refused batch is dropped).
 *   STOP_FLUSH: the store commits everything (flushed).
 *   STOP_CLOSE: every handle is closed outside the store's callbacks (a
 *     zero timer: close_timer), then on_stopped runs: STOPPED.
 *
 * An event a state does not expect leaves it unchanged with no action (for
 * example a failure while stopping: the daemon keeps its first error and
 * the stop goes on). The error an event carries is the caller's business.
 */
#ifndef VIGIL_APP_DAEMON_FSM_H
#define VIGIL_APP_DAEMON_FSM_H

#include <stddef.h>

enum dfsm_state {
	DS_NEW,
	DS_STARTING,
	DS_START_ABORT,
	DS_RUNNING,
	DS_STOP_INGEST,
	DS_STOP_DRAIN,
	DS_STOP_SUBMIT,
	DS_STOP_FLUSH,
	DS_STOP_CLOSE,
	DS_STOPPED,
	DS__COUNT
};

enum dfsm_event {
	DE_START,       /* daemon_start() opened the store and asked for the ids */
	DE_IDS,         /* the highest ids came back */
	DE_INCIDENTS,   /* the open incidents came back (restored) */
	DE_BASELINES,   /* the baselines came back (restored) */
	DE_FOLLOWING,   /* the tailer is following */
	DE_STOP,        /* daemon_stop() */
	DE_FAILED,      /* something fatal (a store answer, a refused batch, ...) */
	DE_INGEST_DONE, /* the tailer has ended */
	DE_SPACE,       /* the store queue has room again */
	DE_SEM_DRAINED, /* the sidecar's analyses in flight came back */
	DE_SUBMITTED,   /* nothing of ours waits for the store queue any more */
	DE_FLUSHED,     /* the store committed everything */
	DE_CLOSE_TIMER, /* the zero timer after the flush */
	DE__COUNT
};

enum dfsm_action {
	DA_RESUME_NUMBERING, /* the pipeline's ids after the store's */
	DA_QUERY_INCIDENTS,  /* ask for the open incidents (-> incidents | failed) */
	DA_QUERY_BASELINES,  /* ask for the baselines (-> baselines | failed) */
	DA_OPEN_FOLLOWING,   /* tailer, outbox, resends, start following (-> following | failed) */
	DA_START_SIDECAR,
	DA_START_CANARIES,
	DA_START_TICK,
	DA_LOG_RUNNING,
	DA_NOTIFY_READY, /* on_ready (it may call daemon_stop()) */
	DA_LOG_STOPPING,
	DA_STOP_TICK,
	DA_STOP_CANARIES,
	DA_STOP_INGEST,   /* -> ingest_done */
	DA_RESUME_INGEST, /* the tailer's waiting batches, after space */
	DA_DRAIN_SIDECAR, /* -> sem_drained (at once when there is no sidecar) */
	DA_STOP_SIDECAR,
	DA_SUBMIT_WAITING, /* -> submitted | failed | nothing yet (queue full: space) */
	DA_FLUSH,          /* -> flushed */
	DA_LOG_FLUSHED,
	DA_SCHEDULE_CLOSE, /* -> close_timer */
	DA_CLOSE_ALL,
	DA_LOG_STOPPED,
	DA_NOTIFY_STOPPED, /* on_stopped */
	DA__COUNT
};

#define DFSM_MAX_ACTIONS 6

/* One transition: the next state and the actions to perform in order. */
struct dfsm_step {
	enum dfsm_state next;
	size_t n;
	enum dfsm_action actions[DFSM_MAX_ACTIONS];
};

/* The transition of (state, event). Out-of-range values leave the state
 * unchanged with no action. */
struct dfsm_step dfsm_next(enum dfsm_state state, enum dfsm_event event);

/* Static names ("running", "stop", "drain_sidecar"; "unknown" out of
 * range), for the log and the tests. */
const char *dfsm_state_name(enum dfsm_state s);
const char *dfsm_event_name(enum dfsm_event e);
const char *dfsm_action_name(enum dfsm_action a);

#endif
