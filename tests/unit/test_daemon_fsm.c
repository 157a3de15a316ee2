/*
 * test_daemon_fsm.c: the daemon's life cycle (app/daemon_fsm), every
 * (state, event) pair against a table written out by hand: the next state
 * and the actions in order. A pair not in the table must leave the state
 * unchanged with no action; the test walks all DS__COUNT x DE__COUNT pairs,
 * so a transition added to the code without a row here fails. Then the
 * paths a daemon really takes, event by event, from new to stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/daemon_fsm.h"

#include <stdio.h>
#include <string.h>

/* One row: state, event -> next, "action action ..." ("" = none). */
struct row {
	enum dfsm_state state;
	enum dfsm_event event;
	enum dfsm_state next;
	const char *actions;
};

static const struct row table[] = {
	{ DS_NEW, DE_START, DS_STARTING, "" },

	{ DS_STARTING, DE_IDS, DS_STARTING, "resume_numbering query_incidents" },
	{ DS_STARTING, DE_INCIDENTS, DS_STARTING, "query_baselines" },
	{ DS_STARTING, DE_BASELINES, DS_STARTING, "open_following" },
	{ DS_STARTING, DE_FOLLOWING, DS_RUNNING,
	  "start_sidecar start_canaries start_tick log_running notify_ready" },
	{ DS_STARTING, DE_STOP, DS_START_ABORT, "" },
	{ DS_STARTING, DE_FAILED, DS_STOP_DRAIN, "drain_sidecar" },

	{ DS_START_ABORT, DE_IDS, DS_STOP_DRAIN, "drain_sidecar" },
	{ DS_START_ABORT, DE_INCIDENTS, DS_STOP_DRAIN, "drain_sidecar" },
	{ DS_START_ABORT, DE_BASELINES, DS_STOP_DRAIN, "drain_sidecar" },
	{ DS_START_ABORT, DE_FAILED, DS_STOP_DRAIN, "drain_sidecar" },
	{ DS_START_ABORT, DE_FOLLOWING, DS_STOP_INGEST, "stop_ingest" },

	{ DS_RUNNING, DE_STOP, DS_STOP_INGEST, "log_stopping stop_tick stop_canaries stop_ingest" },
	{ DS_RUNNING, DE_FAILED, DS_STOP_INGEST, "stop_tick stop_canaries stop_ingest" },
	{ DS_RUNNING, DE_INGEST_DONE, DS_STOP_DRAIN, "stop_tick stop_canaries drain_sidecar" },
	{ DS_RUNNING, DE_SPACE, DS_RUNNING, "submit_waiting resume_ingest" },

	{ DS_STOP_INGEST, DE_INGEST_DONE, DS_STOP_DRAIN, "drain_sidecar" },
	{ DS_STOP_INGEST, DE_SPACE, DS_STOP_INGEST, "submit_waiting resume_ingest" },

	{ DS_STOP_DRAIN, DE_SEM_DRAINED, DS_STOP_SUBMIT, "stop_sidecar submit_waiting" },
	{ DS_STOP_DRAIN, DE_SPACE, DS_STOP_DRAIN, "submit_waiting" },

	{ DS_STOP_SUBMIT, DE_SPACE, DS_STOP_SUBMIT, "submit_waiting" },
	{ DS_STOP_SUBMIT, DE_SUBMITTED, DS_STOP_FLUSH, "flush" },
	{ DS_STOP_SUBMIT, DE_FAILED, DS_STOP_FLUSH, "flush" },

	{ DS_STOP_FLUSH, DE_FLUSHED, DS_STOP_CLOSE, "log_flushed schedule_close" },

	{ DS_STOP_CLOSE, DE_CLOSE_TIMER, DS_STOPPED, "close_all log_stopped notify_stopped" },
};

static void actions_text(const struct dfsm_step *s, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i ? " " : "",
		         dfsm_action_name(s->actions[i]));
	}
}

static const struct row *find(enum dfsm_state st, enum dfsm_event ev)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].state == st && table[i].event == ev)
			return &table[i];
	return NULL;
}

static void test_every_pair(void **state)
{
	(void)state;
	size_t listed = 0, unchanged = 0;
	for (int st = 0; st < DS__COUNT; st++) {
		for (int ev = 0; ev < DE__COUNT; ev++) {
			struct dfsm_step s = dfsm_next((enum dfsm_state)st, (enum dfsm_event)ev);
			char got[256];
			actions_text(&s, got, sizeof(got));
			const struct row *r = find((enum dfsm_state)st, (enum dfsm_event)ev);
			enum dfsm_state want = r ? r->next : (enum dfsm_state)st;
			const char *want_actions = r ? r->actions : "";
			if (s.next != want || strcmp(got, want_actions) != 0)
				fail_msg("%s + %s: got %s [%s], want %s [%s]",
				         dfsm_state_name((enum dfsm_state)st),
				         dfsm_event_name((enum dfsm_event)ev),
				         dfsm_state_name(s.next), got, dfsm_state_name(want),
				         want_actions);
			assert_true(s.n <= DFSM_MAX_ACTIONS);
			if (r)
				listed++;
			else
				unchanged++;
		}
	}
	assert_int_equal(listed, sizeof(table) / sizeof(table[0]));
	assert_int_equal(listed + unchanged, (size_t)DS__COUNT * DE__COUNT);
}

/* Once stopped, nothing moves it; a stop once stopping changes nothing. */
static void test_terminal_and_idempotent(void **state)
{
	(void)state;
	for (int ev = 0; ev < DE__COUNT; ev++) {
		struct dfsm_step s = dfsm_next(DS_STOPPED, (enum dfsm_event)ev);
		assert_int_equal(s.next, DS_STOPPED);
		assert_int_equal(s.n, 0);
	}
	for (int st = DS_STOP_INGEST; st <= DS_STOPPED; st++) {
		struct dfsm_step s = dfsm_next((enum dfsm_state)st, DE_STOP);
		assert_int_equal(s.next, st);
		assert_int_equal(s.n, 0);
	}
	/* out of range: unchanged */
	struct dfsm_step s = dfsm_next(DS__COUNT, DE_STOP);
	assert_int_equal(s.next, DS__COUNT);
	assert_int_equal(s.n, 0);
	s = dfsm_next(DS_RUNNING, DE__COUNT);
	assert_int_equal(s.next, DS_RUNNING);
	assert_int_equal(s.n, 0);
	assert_string_equal(dfsm_state_name(DS__COUNT), "unknown");
	assert_string_equal(dfsm_event_name(DE__COUNT), "unknown");
	assert_string_equal(dfsm_action_name(DA__COUNT), "unknown");
}

/* Run events from `st`; returns the final state and every action, in order. */
static enum dfsm_state walk(enum dfsm_state st, const enum dfsm_event *evs, size_t n, char *out,
                            size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct dfsm_step s = dfsm_next(st, evs[i]);
		char a[256];
		actions_text(&s, a, sizeof(a));
		size_t len = strlen(out);
		if (a[0])
			snprintf(out + len, size - len, "%s%s", len ? " " : "", a);
		st = s.next;
	}
	return st;
}

static void test_paths(void **state)
{
	(void)state;
	char acts[1024];
	/* a clean run: start, run, stop (every step answered) */
	static const enum dfsm_event run[] = {
		DE_START,       DE_IDS,         DE_INCIDENTS, DE_BASELINES, DE_FOLLOWING,   DE_STOP,
		DE_INGEST_DONE, DE_SEM_DRAINED, DE_SUBMITTED, DE_FLUSHED,   DE_CLOSE_TIMER,
	};
	assert_int_equal(walk(DS_NEW, run, sizeof(run) / sizeof(run[0]), acts, sizeof(acts)),
	                 DS_STOPPED);
	assert_string_equal(acts, "resume_numbering query_incidents query_baselines open_following "
	                          "start_sidecar "
	                          "start_canaries start_tick log_running notify_ready log_stopping "
	                          "stop_tick stop_canaries stop_ingest drain_sidecar stop_sidecar "
	                          "submit_waiting flush log_flushed schedule_close close_all "
	                          "log_stopped notify_stopped");

	/* a stop during the startup queries: the answer first, then straight
	 * to the drain (nothing else was started); no "stopping" line */
	static const enum dfsm_event early[] = {
		DE_START,       DE_STOP,      DE_IDS,     DE_INCIDENTS,
		DE_SEM_DRAINED, DE_SUBMITTED, DE_FLUSHED, DE_CLOSE_TIMER,
	};
	assert_int_equal(walk(DS_NEW, early, sizeof(early) / sizeof(early[0]), acts, sizeof(acts)),
	                 DS_STOPPED);
	assert_string_equal(acts, "drain_sidecar stop_sidecar submit_waiting flush log_flushed "
	                          "schedule_close close_all log_stopped notify_stopped");

	/* the tailer fails while running; the queue is full when the waiting
	 * batch is submitted, then has room */
	static const enum dfsm_event fail[] = {
		DE_START,     DE_IDS,         DE_INCIDENTS,   DE_BASELINES,
		DE_FOLLOWING, DE_INGEST_DONE, DE_SEM_DRAINED, DE_SPACE,
		DE_SUBMITTED, DE_FLUSHED,     DE_CLOSE_TIMER,
	};
	assert_int_equal(walk(DS_NEW, fail, sizeof(fail) / sizeof(fail[0]), acts, sizeof(acts)),
	                 DS_STOPPED);
	assert_non_null(strstr(acts, "notify_ready stop_tick stop_canaries drain_sidecar "
	                             "stop_sidecar submit_waiting submit_waiting flush"));
	assert_null(strstr(acts, "stop_ingest"));
	assert_null(strstr(acts, "log_stopping"));

	/* the tailer cannot start: no sidecar, canaries or ready */
	static const enum dfsm_event nofollow[] = {
		DE_START, DE_IDS, DE_INCIDENTS, DE_BASELINES, DE_FAILED,
	};
	assert_int_equal(walk(DS_NEW, nofollow, 5, acts, sizeof(acts)), DS_STOP_DRAIN);
	assert_null(strstr(acts, "notify_ready"));
	assert_null(strstr(acts, "start_sidecar"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_terminal_and_idempotent),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
