/*
 * test_console_keys.c: the panes' models and the console's key handling,
 * checked on the model (what is selected, which view is up, which actions
 * are queued) rather than on the screen: list movement and clamping, the
 * selection following an incident across refreshes, pane switching, the
 * filter prompt, acknowledge/resolve/note with their prompts, the wizard
 * recording its path, the prompt's editing and refusals, resize; the
 * baselines view (b): its list, accept and reject with their prompts and
 * refusals (a decided item, one whose decision waits), a and r there never
 * acknowledging an incident, the way back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/testutil.h"
#include "tui/console.h"
#include "tui/grid.h"
#include "tui/keys.h"
#include "tui/snapshot_json.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
	struct snapshot *s;
	struct console *c;
	struct surface *g;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->s = snapshot_new();
	char *cause = NULL;
	if (snapshot_load_file(f->s, VIGIL_TEST_DATA_DIR "/tui/outage.json", &cause) != 0)
		fail_msg("%s", cause);
	f->c = calloc(1, sizeof(*f->c));
	console_init(f->c, "alice", NULL);
	f->g = grid_new(24, 80, true, true);
	console_draw(f->c, f->s, f->g);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	console_done(f->c);
	free(f->c);
	grid_free(f->g);
	snapshot_free(f->s);
	free(f);
	return 0;
}

static unsigned keys(struct fx *f, const int *k)
{
	unsigned all = 0;
	for (; *k; k++)
		all |= console_key(f->c, f->s, *k);
	return all;
}

static unsigned type(struct fx *f, const char *text)
{
	unsigned all = 0;
	for (; *text; text++)
		all |= console_key(f->c, f->s, (unsigned char)*text);
	return all;
}

static void test_listview(void **state)
{
	(void)state;
	struct listview lv = { 0, 0 };
	assert_int_equal(listview_key(&lv, 5, 3, 'k'), PANE_HANDLED); /* at the top: no move */
	assert_int_equal(listview_key(&lv, 5, 3, 'j'), PANE_HANDLED | PANE_REDRAW);
	assert_int_equal(lv.sel, 1);
	listview_key(&lv, 5, 3, TK_PGDN);
	assert_int_equal(lv.sel, 4);
	assert_int_equal(lv.top, 2); /* the selection stays visible */
	listview_key(&lv, 5, 3, 'g');
	assert_int_equal(lv.sel, 0);
	assert_int_equal(lv.top, 0);
	listview_key(&lv, 5, 3, 'G');
	assert_int_equal(lv.sel, 4);
	assert_int_equal(listview_key(&lv, 5, 3, 'x'), 0u);
	/* The list shrank under the selection. */
	listview_clamp(&lv, 2, 3);
	assert_int_equal(lv.sel, 1);
	assert_int_equal(lv.top, 0);
	listview_clamp(&lv, 0, 3);
	assert_int_equal(lv.sel, 0);
}

static void test_pane_switching(void **state)
{
	struct fx *f = *state;
	assert_int_equal(f->c->pane, PANE_HEALTH);
	console_key(f->c, f->s, '3');
	assert_int_equal(f->c->pane, PANE_TAXONOMY);
	console_key(f->c, f->s, TK_TAB);
	assert_int_equal(f->c->pane, PANE_INCIDENTS);
	console_key(f->c, f->s, TK_TAB);
	assert_int_equal(f->c->pane, PANE_HEALTH);
	console_key(f->c, f->s, TK_BTAB);
	assert_int_equal(f->c->pane, PANE_INCIDENTS);
	/* q quits from a pane, but only closes overlays and views. */
	console_key(f->c, f->s, '?');
	assert_true(f->c->help_open);
	assert_false(console_key(f->c, f->s, 'q') & PANE_QUIT);
	assert_false(f->c->help_open);
	console_key(f->c, f->s, TK_ENTER);
	assert_int_equal(f->c->view, VIEW_DETAIL);
	assert_false(console_key(f->c, f->s, 'q') & PANE_QUIT);
	assert_int_equal(f->c->view, VIEW_PANE);
	assert_true(console_key(f->c, f->s, 'q') & PANE_QUIT);
}

static void test_health_selection(void **state)
{
	struct fx *f = *state;
	const struct snap_provider *p = health_selected(&f->c->health, f->s, "");
	assert_string_equal(p->provider, "openai");
	console_key(f->c, f->s, 'j');
	console_key(f->c, f->s, 'j');
	console_key(f->c, f->s, 'j'); /* past the end: stays on the last */
	p = health_selected(&f->c->health, f->s, "");
	assert_string_equal(p->provider, "google");
	/* A filter hides rows; the selection clamps to what is listed. */
	int idx[SNAP_MAX_PROVIDERS];
	assert_int_equal(health_rows(f->s, "anthropic", idx), 1);
	assert_int_equal(health_rows(f->s, "HALF-OPEN", idx), 1); /* breaker state, any case */
	assert_int_equal(health_rows(f->s, "nothing", idx), 0);
	p = health_selected(&f->c->health, f->s, "anthropic");
	assert_string_equal(p->provider, "anthropic");
	assert_null(health_selected(&f->c->health, f->s, "nothing"));
}

static void test_filter_prompt(void **state)
{
	struct fx *f = *state;
	console_key(f->c, f->s, '4');
	console_key(f->c, f->s, '/');
	assert_int_equal(f->c->prompt_kind, PROMPT_FILTER);
	type(f, "goo");
	/* Live: the filter applies while typing; q is text here, not quit. */
	assert_string_equal(f->c->filter[PANE_INCIDENTS], "goo");
	assert_false(type(f, "q") & PANE_QUIT);
	console_key(f->c, f->s, TK_BACKSPACE);
	console_key(f->c, f->s, TK_ENTER);
	assert_int_equal(f->c->prompt_kind, PROMPT_NONE);
	assert_string_equal(f->c->filter[PANE_INCIDENTS], "goo");
	const struct snap_incident *inc = incidents_selected(&f->c->incidents, f->s, "goo");
	assert_int_equal(inc->id, 11);
	/* The filter belongs to its pane. */
	assert_string_equal(f->c->filter[PANE_HEALTH], "");
	/* Cancelling an edit restores the filter; Esc in the pane clears it. */
	console_key(f->c, f->s, '/');
	type(f, "zzz");
	assert_string_equal(f->c->filter[PANE_INCIDENTS], "goozzz");
	console_key(f->c, f->s, TK_ESC);
	assert_string_equal(f->c->filter[PANE_INCIDENTS], "goo");
	console_key(f->c, f->s, TK_ESC);
	assert_string_equal(f->c->filter[PANE_INCIDENTS], "");
}

static void test_taxonomy_enter(void **state)
{
	struct fx *f = *state;
	const int k[] = { '3', 'j', 'j', TK_ENTER, 0 };
	keys(f, k);
	assert_int_equal(f->c->pane, PANE_INCIDENTS);
	assert_string_equal(f->c->filter[PANE_INCIDENTS], "cost");
	assert_int_equal(incidents_selected(&f->c->incidents, f->s, "cost")->id, 14);
}

static void test_acknowledge(void **state)
{
	struct fx *f = *state;
	struct op_action a;
	/* No incident under the cursor on the health pane. */
	console_key(f->c, f->s, 'a');
	assert_int_equal(f->c->prompt_kind, PROMPT_NONE);
	assert_non_null(strstr(f->c->message, "select an incident"));
	assert_false(console_take_action(f->c, &a));

	console_key(f->c, f->s, '4');
	console_key(f->c, f->s, 'a');
	assert_int_equal(f->c->prompt_kind, PROMPT_ACK);
	type(f, "on it");
	unsigned fl = console_key(f->c, f->s, TK_ENTER);
	assert_true(fl & PANE_ACTION);
	assert_true(console_take_action(f->c, &a));
	assert_int_equal(a.kind, ACTION_ACK);
	assert_int_equal(a.incident_id, 12);
	assert_string_equal(a.note, "on it");
	assert_string_equal(a.by, "alice");
	assert_null(a.payload);
	op_action_done(&a);
	assert_false(console_take_action(f->c, &a));

	/* Esc cancels: nothing queued. */
	console_key(f->c, f->s, 'a');
	type(f, "oops");
	console_key(f->c, f->s, TK_ESC);
	assert_false(console_take_action(f->c, &a));

	/* Notes have their own key, n; `a` on an acknowledged incident says
	 * so and points at it. An empty note is nothing. */
	console_key(f->c, f->s, 'j'); /* #14, acked by alice */
	console_key(f->c, f->s, 'a');
	assert_int_equal(f->c->prompt_kind, PROMPT_NONE);
	assert_non_null(strstr(f->c->message, "already acknowledged by alice (n adds a note)"));
	console_key(f->c, f->s, 'n');
	assert_int_equal(f->c->prompt_kind, PROMPT_NOTE);
	assert_string_equal(f->c->prompt.label, "note on #14:");
	console_key(f->c, f->s, TK_ENTER);
	assert_false(console_take_action(f->c, &a));
	console_key(f->c, f->s, 'n');
	type(f, "retries capped");
	console_key(f->c, f->s, TK_ENTER);
	assert_true(console_take_action(f->c, &a));
	assert_int_equal(a.kind, ACTION_NOTE);
	assert_int_equal(a.incident_id, 14);
	op_action_done(&a);
}

/* n on an open incident notes it without acknowledging; ? lists n. */
static void test_note_key(void **state)
{
	struct fx *f = *state;
	struct op_action a;
	const int k[] = { '4', 'n', 0 }; /* #12, open */
	keys(f, k);
	assert_int_equal(f->c->prompt_kind, PROMPT_NOTE);
	type(f, "db failover at 10:02");
	console_key(f->c, f->s, TK_ENTER);
	assert_true(console_take_action(f->c, &a));
	assert_int_equal(a.kind, ACTION_NOTE);
	assert_int_equal(a.incident_id, 12);
	assert_string_equal(a.note, "db failover at 10:02");
	op_action_done(&a);
	console_key(f->c, f->s, '?');
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "add a note to the incident"));
}

/* A read-only console (no write access) says so and prompts for nothing. */
static void test_read_only(void **state)
{
	struct fx *f = *state;
	struct op_action a;
	console_set_read_only(f->c, "/var/lib/vigil/vigil.db: this user cannot write it");
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "READ-ONLY"));
	assert_true(grid_contains(f->g, "actions are unavailable"));
	const int k[] = { '4', 'a', 0 };
	keys(f, k);
	assert_int_equal(f->c->prompt_kind, PROMPT_NONE);
	assert_non_null(strstr(f->c->message, "read-only: /var/lib/vigil/vigil.db"));
	const int k2[] = { 'n', 'r', 0 };
	keys(f, k2);
	assert_int_equal(f->c->prompt_kind, PROMPT_NONE);
	assert_false(console_take_action(f->c, &a));
}

/* The shell's lines (the demo's files) top the help overlay. */
static void test_help_about(void **state)
{
	struct fx *f = *state;
	console_add_about(f->c, "demo files", "/tmp/vigil-demo-1 (events.jsonl, vigil.db)");
	console_key(f->c, f->s, '?');
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "demo files"));
	assert_true(grid_contains(f->g, "/tmp/vigil-demo-1 (events.jsonl, vigil.db)"));
}

static void test_resolve(void **state)
{
	struct fx *f = *state;
	struct op_action a;
	const int k[] = { '4', 'G', 'r', 0 }; /* the last one is #9, resolved */
	keys(f, k);
	assert_int_equal(f->c->prompt_kind, PROMPT_NONE);
	assert_non_null(strstr(f->c->message, "already resolved"));
	const int k2[] = { 'k', TK_ENTER, 'r', 0 }; /* #11 from its detail view */
	keys(f, k2);
	assert_int_equal(f->c->view, VIEW_DETAIL);
	assert_int_equal(f->c->prompt_kind, PROMPT_RESOLVE);
	console_key(f->c, f->s, TK_ENTER);
	assert_true(console_take_action(f->c, &a));
	assert_int_equal(a.kind, ACTION_RESOLVE);
	assert_int_equal(a.incident_id, 11);
	assert_string_equal(a.note, "");
	op_action_done(&a);
	assert_int_equal(console_detail_wanted(f->c), 11);
	console_key(f->c, f->s, TK_ESC);
	/* Back on the incidents pane: the selected one's summary is wanted. */
	assert_int_equal(console_detail_wanted(f->c), 11);
	console_key(f->c, f->s, 'j');
	assert_int_equal(console_detail_wanted(f->c), f->c->incidents.sel_id);
	assert_int_not_equal(console_detail_wanted(f->c), 11);
	console_key(f->c, f->s, '1');
	assert_int_equal(console_detail_wanted(f->c), 0);
}

/* Resolving an incident that is still failing re-pages at once: the
 * console warns above the prompt and offers a snooze (a timed silence). */
static void test_resolve_still_failing_snooze(void **state)
{
	struct fx *f = *state;
	struct op_action a;
	struct snap_incident *inc = NULL;
	for (int i = 0; i < f->s->n_incidents; i++)
		if (f->s->incidents[i].id == 12)
			inc = &f->s->incidents[i];
	assert_non_null(inc);
	assert_int_equal(inc->state, SNAP_INC_OPEN);
	inc->last_ms = f->s->now_ms - 12000;
	console_key(f->c, f->s, '4');
	console_key(f->c, f->s, 'r');
	assert_int_equal(f->c->prompt_kind, PROMPT_RESOLVE);
	assert_non_null(strstr(f->c->prompt_warn, "#12 is still failing (last event 12s ago)"));
	assert_non_null(strstr(f->c->prompt_warn, "z snoozes"));
	console_draw(f->c, f->s, f->g);
	char line[256];
	grid_row(f->g, 22, line, sizeof(line));
	assert_non_null(strstr(line, "still failing"));
	console_key(f->c, f->s, TK_ESC);
	assert_string_equal(f->c->prompt_warn, "");
	assert_false(console_take_action(f->c, &a));
	/* z: the snooze, its length first */
	console_key(f->c, f->s, 'z');
	assert_int_equal(f->c->prompt_kind, PROMPT_SNOOZE);
	type(f, "30m watching the recovery");
	assert_true(console_key(f->c, f->s, TK_ENTER) & PANE_ACTION);
	assert_true(console_take_action(f->c, &a));
	assert_int_equal(a.kind, ACTION_SNOOZE);
	assert_int_equal(a.incident_id, 12);
	assert_string_equal(a.note, "30m watching the recovery");
	op_action_done(&a);
	/* quiet for longer than CONSOLE_STILL_FAILING_MS: no warning */
	inc->last_ms = f->s->now_ms - CONSOLE_STILL_FAILING_MS - 1000;
	console_key(f->c, f->s, 'r');
	assert_int_equal(f->c->prompt_kind, PROMPT_RESOLVE);
	assert_string_equal(f->c->prompt_warn, "");
	console_key(f->c, f->s, TK_ESC);
}

static void test_selection_follows_incident(void **state)
{
	struct fx *f = *state;
	console_key(f->c, f->s, '4');
	console_key(f->c, f->s, 'j');
	console_key(f->c, f->s, 'j'); /* #15 */
	assert_int_equal(f->c->incidents.sel_id, 15);
	/* A new incident arrives at the top of the list. */
	struct snapshot *next = snapshot_new();
	memcpy(next, f->s, sizeof(*next));
	memmove(&next->incidents[1], &next->incidents[0],
	        (size_t)next->n_incidents * sizeof(next->incidents[0]));
	next->n_incidents++;
	next->incidents[0].id = 99;
	console_update(f->c, next);
	const struct snap_incident *inc = incidents_selected(&f->c->incidents, next, "");
	assert_int_equal(inc->id, 15);
	assert_int_equal(f->c->incidents.lv.sel, 3);
	/* It disappears: the cursor stays in place on whatever is there now. */
	next->n_incidents = 2;
	console_update(f->c, next);
	assert_int_equal(f->c->incidents.lv.sel, 1);
	snapshot_free(next);
}

static void test_wizard_records_path(void **state)
{
	struct fx *f = *state;
	struct op_action a;
	const int k[] = { '4', 't', 0 };
	keys(f, k);
	assert_int_equal(f->c->view, VIEW_WIZARD);
	assert_int_equal(f->c->wizard.incident_id, 12);
	assert_string_equal(f->c->wizard.walk.ev.scope, "openai");
	/* Accept every suggestion until the walk ends: exactly one action. */
	unsigned all = 0;
	for (int i = 0; i < 20 && !triage_done(&f->c->wizard.walk); i++)
		all |= console_key(f->c, f->s, TK_ENTER);
	assert_true(triage_done(&f->c->wizard.walk));
	assert_true(all & PANE_ACTION);
	assert_true(console_take_action(f->c, &a));
	assert_int_equal(a.kind, ACTION_TRIAGE);
	assert_int_equal(a.incident_id, 12);
	/* The incident's own evidence, from its first question (the label's
	 * branch, not "non-2xx?"), recorded as readable text, never JSON. */
	assert_non_null(a.payload);
	assert_int_not_equal(a.payload[0], '{');
	assert_string_equal(a.payload, "hard failures? yes (404 of 1204, 34%) > healthy fallback? "
	                               "no (10%) => provider/server_error");
	assert_non_null(strstr(a.note, "=> provider/server_error"));
	op_action_done(&a);
	assert_false(console_take_action(f->c, &a));
	/* Undo and finish again: recorded again (the latest path counts). */
	console_key(f->c, f->s, 'b');
	assert_false(triage_done(&f->c->wizard.walk));
	console_key(f->c, f->s, 'n');
	assert_true(console_take_action(f->c, &a));
	op_action_done(&a);
	/* Esc goes back to where the wizard was opened. */
	console_key(f->c, f->s, TK_ESC);
	assert_int_equal(f->c->view, VIEW_PANE);
	assert_int_equal(f->c->pane, PANE_INCIDENTS);
}

static void test_wizard_without_incident(void **state)
{
	struct fx *f = *state;
	struct op_action a;
	console_key(f->c, f->s, 't'); /* from the health pane */
	assert_int_equal(f->c->view, VIEW_WIZARD);
	assert_int_equal(f->c->wizard.incident_id, 0);
	assert_string_equal(f->c->wizard.walk.ev.scope, "");
	/* Tab with a single open thread keeps the focus. */
	console_key(f->c, f->s, TK_TAB);
	assert_int_equal(f->c->wizard.walk.active, 0);
	for (int i = 0; i < 20 && !triage_done(&f->c->wizard.walk); i++)
		console_key(f->c, f->s, 'n');
	assert_true(triage_done(&f->c->wizard.walk));
	assert_false(console_take_action(f->c, &a));
	/* Enter closes a finished walk. */
	console_key(f->c, f->s, TK_ENTER);
	assert_int_equal(f->c->view, VIEW_PANE);
}

static void test_prompt_editing(void **state)
{
	(void)state;
	struct prompt p;
	prompt_start(&p, "note:", "ab");
	assert_int_equal(p.cursor, 2);
	prompt_key(&p, 0xE9);   /* é */
	prompt_key(&p, 0x6771); /* 東 */
	assert_string_equal(p.text, "ab\xC3\xA9\xE6\x9D\xB1");
	prompt_key(&p, TK_BACKSPACE); /* a whole character goes */
	assert_string_equal(p.text, "ab\xC3\xA9");
	prompt_key(&p, TK_LEFT);
	prompt_key(&p, TK_LEFT);
	prompt_key(&p, 'X');
	assert_string_equal(p.text, "aXb\xC3\xA9");
	prompt_key(&p, TK_DELETE);
	assert_string_equal(p.text, "aX\xC3\xA9");
	/* Controls, C1 and bidi overrides are refused. */
	prompt_key(&p, 0x1B);
	prompt_key(&p, 0x9B);
	prompt_key(&p, 0x202E);
	prompt_key(&p, TK_END);
	assert_string_equal(p.text, "aX\xC3\xA9");
	prompt_key(&p, 0x15); /* Ctrl-U */
	assert_string_equal(p.text, "");
	assert_true(prompt_key(&p, TK_ENTER) & PROMPT_DONE);
	assert_true(prompt_key(&p, TK_ESC) & PROMPT_CANCEL);
	/* Full: typing stops, nothing overflows. */
	for (int i = 0; i < PROMPT_MAX * 2; i++)
		prompt_key(&p, 'z');
	assert_int_equal(strlen(p.text), PROMPT_MAX - 1);
}

static void test_resize_and_small(void **state)
{
	struct fx *f = *state;
	const int k[] = { '4', TK_ENTER, 0 };
	keys(f, k);
	assert_int_equal(grid_resize(f->g, 40, 120), 0);
	assert_true(console_key(f->c, f->s, TK_RESIZE) & PANE_REDRAW);
	console_draw(f->c, f->s, f->g);
	assert_int_equal(f->c->rows, 40);
	assert_true(grid_contains(f->g, "#12 critical"));
	assert_int_equal(grid_resize(f->g, 20, 70), 0);
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "vigil needs at least 80x24 (now 70x20)"));
	assert_int_equal(grid_resize(f->g, 24, 80), 0);
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "#12 critical"));
	assert_int_equal(grid_resize(f->g, 0, 80), VG_EINVAL);
}

static int setup_baselines(void **state)
{
	setup(state);
	struct fx *f = *state;
	char *cause = NULL;
	if (snapshot_load_file(f->s, VIGIL_TEST_DATA_DIR "/tui/baselines.json", &cause) != 0)
		fail_msg("%s", cause);
	console_draw(f->c, f->s, f->g);
	return 0;
}

static void test_review_view(void **state)
{
	struct fx *f = *state;
	console_key(f->c, f->s, '4');
	assert_true(console_key(f->c, f->s, 'b') & PANE_REDRAW);
	assert_int_equal(f->c->view, VIEW_REVIEW);
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "learning: 37% of slots warm (4 gateway series)"));
	assert_true(grid_contains(f->g, "probes: learning 12%, ~60 samples/h: warm more slowly"));
	assert_true(grid_contains(f->g, "p95 900ms -> 1.6s"));
	assert_int_equal(review_selected(&f->c->review, f->s)->id, 7);
	/* j moves; the selection follows the item when the list changes */
	console_key(f->c, f->s, 'j');
	assert_int_equal(review_selected(&f->c->review, f->s)->id, 8);
	struct snap_review first = f->s->reviews[0];
	memmove(&f->s->reviews[0], &f->s->reviews[1], 2 * sizeof(first));
	f->s->reviews[2] = first;
	console_update(f->c, f->s);
	assert_int_equal(review_selected(&f->c->review, f->s)->id, 8);
	assert_int_equal(f->c->review.lv.sel, 0);
	memmove(&f->s->reviews[1], &f->s->reviews[0], 2 * sizeof(first));
	f->s->reviews[0] = first;
	console_update(f->c, f->s);
	assert_int_equal(review_selected(&f->c->review, f->s)->id, 8);
	assert_int_equal(f->c->review.lv.sel, 1);
	/* #8's accept waits for the daemon: no second decision */
	console_key(f->c, f->s, 'a');
	assert_int_equal(f->c->prompt_kind, PROMPT_NONE);
	assert_string_equal(f->c->message, "a decision on review #8 waits for the daemon already");
	/* #5 was decided */
	console_key(f->c, f->s, 'j');
	assert_int_equal(review_selected(&f->c->review, f->s)->id, 5);
	console_key(f->c, f->s, 'r');
	assert_string_equal(f->c->message, "review #5 was rejected already");
	assert_int_equal(f->c->n_actions, 0);
	/* reject #7, Esc at the prompt cancels; then with a note */
	console_key(f->c, f->s, 'g');
	assert_int_equal(review_selected(&f->c->review, f->s)->id, 7);
	console_key(f->c, f->s, 'r');
	assert_int_equal(f->c->prompt_kind, PROMPT_REJECT);
	assert_non_null(strstr(f->c->prompt.label, "reject review #7 (keep the old baseline)"));
	console_key(f->c, f->s, TK_ESC);
	assert_int_equal(f->c->n_actions, 0);
	assert_int_equal(f->c->view, VIEW_REVIEW);
	console_key(f->c, f->s, 'r');
	type(f, "noise");
	assert_true(console_key(f->c, f->s, TK_ENTER) & PANE_ACTION);
	struct op_action a;
	assert_true(console_take_action(f->c, &a));
	assert_int_equal(a.kind, ACTION_REJECT);
	assert_int_equal(a.review_id, 7);
	assert_int_equal(a.incident_id, 0);
	assert_string_equal(a.by, "alice");
	assert_string_equal(a.note, "noise");
	op_action_done(&a);
	assert_false(console_take_action(f->c, &a));
	/* Esc goes back to the pane it came from; b toggles too */
	console_key(f->c, f->s, TK_ESC);
	assert_int_equal(f->c->view, VIEW_PANE);
	assert_int_equal(f->c->pane, PANE_INCIDENTS);
	console_key(f->c, f->s, 'b');
	console_key(f->c, f->s, 'b');
	assert_int_equal(f->c->view, VIEW_PANE);
	/* a pane key leaves the view */
	console_key(f->c, f->s, 'b');
	console_key(f->c, f->s, '1');
	assert_int_equal(f->c->view, VIEW_PANE);
	assert_int_equal(f->c->pane, PANE_HEALTH);
}

/* The status line says reviews wait and how warm the baselines are; the
 * health detail has the selected row's warmth, probes said to warm more
 * slowly. */
static void test_learning_shown(void **state)
{
	struct fx *f = *state;
	console_draw(f->c, f->s, f->g);
	/* at 80 columns the status line has room for the reviews only */
	assert_true(grid_contains(f->g, "2 reviews waiting (b)"));
	assert_false(grid_contains(f->g, "learning: 37%"));
	assert_true(grid_contains(
	        f->g,
	        "learning: 88% of slots warm (~1.2k/h)   probes: learning 12%, ~60 samples/h"));
	/* the model's row: its alias series, no probes */
	console_key(f->c, f->s, 'j');
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "learning: 86% of slots warm (~1.0k/h)"));
	assert_false(grid_contains(f->g, "probes: learning"));
	/* a row without a model */
	console_key(f->c, f->s, 'j');
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "baseline: nothing learned for this row yet"));
	/* no review waits: the status line says how warm */
	f->s->n_reviews_waiting = 0;
	console_draw(f->c, f->s, f->g);
	assert_true(grid_contains(f->g, "learning: 37% of slots warm"));
	assert_false(grid_contains(f->g, "waiting (b)"));
	/* all warm: it no longer says learning */
	f->s->learning.warm[0] = 1;
	console_draw(f->c, f->s, f->g);
	assert_false(grid_contains(f->g, "37%"));
	/* no baselines at all: no baseline line either */
	memset(&f->s->learning, 0, sizeof(f->s->learning));
	console_draw(f->c, f->s, f->g);
	assert_false(grid_contains(f->g, "baseline: nothing learned"));
}

static void test_snapshot_json_errors(void **state)
{
	(void)state;
	struct snapshot *s = snapshot_new();
	char *cause = NULL;
	json_t *doc = json_loads(
	        "{\"now\": 5, \"incidents\": [{\"id\": 1, \"severity\": \"urgent\"}]}", 0, NULL);
	assert_int_equal(snapshot_from_json(s, doc, &cause), VG_EINVAL);
	assert_string_equal(cause, "incidents[0].severity: unknown value 'urgent'");
	free(cause);
	json_decref(doc);
	doc = json_loads("{\"providers\": []}", 0, NULL);
	assert_int_equal(snapshot_from_json(s, doc, &cause), VG_EINVAL);
	assert_non_null(strstr(cause, "now: required"));
	free(cause);
	json_decref(doc);
	assert_int_not_equal(snapshot_load_file(s, "/nonexistent/x.json", &cause), 0);
	assert_non_null(strstr(cause, "/nonexistent/x.json"));
	free(cause);
	snapshot_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listview),
		cmocka_unit_test_setup_teardown(test_pane_switching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_selection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_prompt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_taxonomy_enter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acknowledge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_about, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_still_failing_snooze, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selection_follows_incident, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wizard_records_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wizard_without_incident, setup, teardown),
		cmocka_unit_test(test_prompt_editing),
		cmocka_unit_test_setup_teardown(test_resize_and_small, setup, teardown),
		cmocka_unit_test(test_snapshot_json_errors),
		cmocka_unit_test_setup_teardown(test_review_view, setup_baselines, teardown),
		cmocka_unit_test_setup_teardown(test_learning_shown, setup_baselines, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
