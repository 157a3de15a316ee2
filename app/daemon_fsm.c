/*
 * daemon_fsm.c: the daemon's life cycle, pure (see daemon_fsm.h).
 */
#include "app/daemon_fsm.h"

#include <stdarg.h>

static const char *const state_names[DS__COUNT] = {
	[DS_NEW] = "new",
	[DS_STARTING] = "starting",
	[DS_START_ABORT] = "start_abort",
	[DS_RUNNING] = "running",
	[DS_STOP_INGEST] = "stop_ingest",
	[DS_STOP_DRAIN] = "stop_drain",
	[DS_STOP_SUBMIT] = "stop_submit",
	[DS_STOP_FLUSH] = "stop_flush",
	[DS_STOP_CLOSE] = "stop_close",
	[DS_STOPPED] = "stopped",
};

static const char *const event_names[DE__COUNT] = {
	[DE_START] = "start",
	[DE_IDS] = "ids",
	[DE_INCIDENTS] = "incidents",
	[DE_BASELINES] = "baselines",
	[DE_FOLLOWING] = "following",
	[DE_STOP] = "stop",
	[DE_FAILED] = "failed",
	[DE_INGEST_DONE] = "ingest_done",
	[DE_SPACE] = "space",
	[DE_SEM_DRAINED] = "sem_drained",
	[DE_SUBMITTED] = "submitted",
	[DE_FLUSHED] = "flushed",
	[DE_CLOSE_TIMER] = "close_timer",
};

static const char *const action_names[DA__COUNT] = {
	[DA_RESUME_NUMBERING] = "resume_numbering",
	[DA_QUERY_INCIDENTS] = "query_incidents",
	[DA_QUERY_BASELINES] = "query_baselines",
	[DA_OPEN_FOLLOWING] = "open_following",
	[DA_START_SIDECAR] = "start_sidecar",
	[DA_START_CANARIES] = "start_canaries",
	[DA_START_TICK] = "start_tick",
	[DA_LOG_RUNNING] = "log_running",
	[DA_NOTIFY_READY] = "notify_ready",
	[DA_LOG_STOPPING] = "log_stopping",
	[DA_STOP_TICK] = "stop_tick",
	[DA_STOP_CANARIES] = "stop_canaries",
	[DA_STOP_INGEST] = "stop_ingest",
	[DA_RESUME_INGEST] = "resume_ingest",
	[DA_DRAIN_SIDECAR] = "drain_sidecar",
	[DA_STOP_SIDECAR] = "stop_sidecar",
	[DA_SUBMIT_WAITING] = "submit_waiting",
	[DA_FLUSH] = "flush",
	[DA_LOG_FLUSHED] = "log_flushed",
	[DA_SCHEDULE_CLOSE] = "schedule_close",
	[DA_CLOSE_ALL] = "close_all",
	[DA_LOG_STOPPED] = "log_stopped",
	[DA_NOTIFY_STOPPED] = "notify_stopped",
};

const char *dfsm_state_name(enum dfsm_state s)
{
	return (unsigned)s < DS__COUNT ? state_names[s] : "unknown";
}

const char *dfsm_event_name(enum dfsm_event e)
{
	return (unsigned)e < DE__COUNT ? event_names[e] : "unknown";
}

const char *dfsm_action_name(enum dfsm_action a)
{
	return (unsigned)a < DA__COUNT ? action_names[a] : "unknown";
}

/* A step to `next` with `n` actions (the variadic arguments). */
static struct dfsm_step go(enum dfsm_state next, size_t n, ...)
{
	struct dfsm_step s = { .next = next, .n = n };
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n && i < DFSM_MAX_ACTIONS; i++)
		s.actions[i] = (enum dfsm_action)va_arg(ap, int);
	va_end(ap);
	return s;
}

/* Begin a stop with nothing running yet but the store: straight to the
 * drain (no sidecar: it completes at once), submit, flush, close. */
static struct dfsm_step stop_unstarted(void)
{
	return go(DS_STOP_DRAIN, 1, DA_DRAIN_SIDECAR);
}

struct dfsm_step dfsm_next(enum dfsm_state state, enum dfsm_event event)
{
	struct dfsm_step same = { .next = state, .n = 0 };
	switch (state) {
	case DS_NEW:
		if (event == DE_START)
			return go(DS_STARTING, 0);
		return same;

	case DS_STARTING:
		switch (event) {
		case DE_IDS: return go(DS_STARTING, 2, DA_RESUME_NUMBERING, DA_QUERY_INCIDENTS);
		case DE_INCIDENTS: return go(DS_STARTING, 1, DA_QUERY_BASELINES);
		case DE_BASELINES: return go(DS_STARTING, 1, DA_OPEN_FOLLOWING);
		case DE_FOLLOWING:
			return go(DS_RUNNING, 5, DA_START_SIDECAR, DA_START_CANARIES, DA_START_TICK,
			          DA_LOG_RUNNING, DA_NOTIFY_READY);
		case DE_STOP: return go(DS_START_ABORT, 0);
		case DE_FAILED: return stop_unstarted();
		default: return same;
		}

	case DS_START_ABORT:
		switch (event) {
		case DE_IDS:
		case DE_INCIDENTS:
		case DE_BASELINES:
		case DE_FAILED: return stop_unstarted();
		case DE_FOLLOWING: return go(DS_STOP_INGEST, 1, DA_STOP_INGEST);
		default: return same;
		}

	case DS_RUNNING:
		switch (event) {
		case DE_STOP:
			return go(DS_STOP_INGEST, 4, DA_LOG_STOPPING, DA_STOP_TICK,
			          DA_STOP_CANARIES, DA_STOP_INGEST);
		case DE_FAILED:
			return go(DS_STOP_INGEST, 3, DA_STOP_TICK, DA_STOP_CANARIES,
			          DA_STOP_INGEST);
		case DE_INGEST_DONE:
			return go(DS_STOP_DRAIN, 3, DA_STOP_TICK, DA_STOP_CANARIES,
			          DA_DRAIN_SIDECAR);
		case DE_SPACE: return go(DS_RUNNING, 2, DA_SUBMIT_WAITING, DA_RESUME_INGEST);
		default: return same;
		}

	case DS_STOP_INGEST:
		switch (event) {
		case DE_INGEST_DONE: return go(DS_STOP_DRAIN, 1, DA_DRAIN_SIDECAR);
		case DE_SPACE: return go(DS_STOP_INGEST, 2, DA_SUBMIT_WAITING, DA_RESUME_INGEST);
		default: return same;
		}

	case DS_STOP_DRAIN:
		switch (event) {
		case DE_SEM_DRAINED:
			return go(DS_STOP_SUBMIT, 2, DA_STOP_SIDECAR, DA_SUBMIT_WAITING);
		case DE_SPACE: return go(DS_STOP_DRAIN, 1, DA_SUBMIT_WAITING);
		default: return same;
		}

	case DS_STOP_SUBMIT:
		switch (event) {
		case DE_SPACE: return go(DS_STOP_SUBMIT, 1, DA_SUBMIT_WAITING);
		case DE_SUBMITTED:
		case DE_FAILED: /* the batch was refused and dropped: commit the rest */
			return go(DS_STOP_FLUSH, 1, DA_FLUSH);
		default: return same;
		}

	case DS_STOP_FLUSH:
		if (event == DE_FLUSHED)
			return go(DS_STOP_CLOSE, 2, DA_LOG_FLUSHED, DA_SCHEDULE_CLOSE);
		return same;

	case DS_STOP_CLOSE:
		if (event == DE_CLOSE_TIMER)
			return go(DS_STOPPED, 3, DA_CLOSE_ALL, DA_LOG_STOPPED, DA_NOTIFY_STOPPED);
		return same;

	case DS_STOPPED:
	default: return same;
	}
}
