/*
 * console.c: key routing and layout of the console (see console.h). Keys
 * go, in order, to the prompt, the help overlay, the wizard, then to the
 * global keys (1-4, Tab, b), the baselines view when it is up (its a and r
 * accept and reject review items), the global a, r, t, the detail view
 * when it is up, q and /, then to the active pane.
 */
#include "tui/console.h"

#include "core/runbook.h"
#include "core/sanitize.h"
#include "tui/keys.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void op_action_done(struct op_action *a)
{
	if (!a)
		return;
	free(a->payload);
	a->payload = NULL;
}

void console_init(struct console *c, const char *operator_name, const struct console_hooks *hooks)
{
	memset(c, 0, sizeof(*c));
	sanitize_str(c->operator_name, sizeof(c->operator_name),
	             operator_name && *operator_name ? operator_name : "operator", 0);
	if (hooks)
		c->hooks = *hooks;
	c->rows = CONSOLE_MIN_ROWS;
	c->cols = CONSOLE_MIN_COLS;
	c->taxonomy.sel = 0;
}

void console_done(struct console *c)
{
	for (int i = 0; i < c->n_actions; i++)
		op_action_done(&c->actions[i]);
	c->n_actions = 0;
}

struct rect console_body(int rows, int cols)
{
	struct rect r = { 2, 0, rows - 3, cols };
	if (r.rows < 1)
		r.rows = 1;
	return r;
}

static void say(struct console *c, bool bad, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(struct console *c, bool bad, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	c->message_bad = bad;
}

static const struct snap_incident *current_incident(const struct console *c,
                                                    const struct snapshot *s)
{
	if (c->view == VIEW_DETAIL)
		return snapshot_find_incident(s, c->detail.incident_id);
	if (c->view == VIEW_PANE && c->pane == PANE_INCIDENTS)
		return incidents_selected(&c->incidents, s, c->filter[PANE_INCIDENTS]);
	return NULL;
}

static unsigned queue(struct console *c, enum action_kind kind, int64_t id, const char *note,
                      char *payload)
{
	if (c->n_actions >= CONSOLE_MAX_ACTIONS) {
		free(payload);
		say(c, true, "too many actions waiting to be written; try again");
		return PANE_HANDLED | PANE_REDRAW | PANE_ACTION;
	}
	struct op_action *a = &c->actions[c->n_actions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	/* accept and reject name a review item, the others an incident */
	if (action_is_review(kind))
		a->review_id = id;
	else
		a->incident_id = id;
	snprintf(a->by, sizeof(a->by), "%s", c->operator_name);
	sanitize_str(a->note, sizeof(a->note), note ? note : "", 0);
	a->payload = payload;
	return PANE_HANDLED | PANE_REDRAW | PANE_ACTION;
}

bool console_take_action(struct console *c, struct op_action *out)
{
	if (c->n_actions == 0)
		return false;
	*out = c->actions[0];
	memmove(&c->actions[0], &c->actions[1], (size_t)(c->n_actions - 1) * sizeof(c->actions[0]));
	c->n_actions--;
	memset(&c->actions[c->n_actions], 0, sizeof(c->actions[0]));
	return true;
}

int64_t console_detail_wanted(const struct console *c)
{
	if (c->view == VIEW_DETAIL)
		return c->detail.incident_id;
	/* The wizard's evidence is the incident's own: it comes with the detail. */
	if (c->view == VIEW_WIZARD)
		return c->wizard.incident_id;
	/* The incidents pane shows the selected incident's summary under the
	 * list: it comes with the detail. */
	if (c->view == VIEW_PANE && c->pane == PANE_INCIDENTS)
		return c->incidents.sel_id;
	return 0;
}

/* Join a runbook's hard-wrapped continuation lines ("   for the extra
 * load") to their item, so the wizard can wrap them to the screen. */
static void reflow(char *t)
{
	char *w = t;
	for (const char *r = t; *r;) {
		if (*r == '\n' && r[1] == ' ') {
			while (*r == '\n' || *r == ' ')
				r++;
			*w++ = ' ';
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

static void load_runbooks(struct console *c)
{
	struct wizard_pane *w = &c->wizard;
	for (int i = 0; i < w->walk.n_threads && i < TRIAGE_MAX_THREADS; i++) {
		struct triage_thread_info info;
		if (triage_thread_info(&w->walk, i, &info) != 0 || !info.done || w->loaded[i])
			continue;
		w->loaded[i] = true;
		w->runbook[i][0] = '\0';
		if (info.category < 0 || !info.runbook || !c->hooks.read_runbook)
			continue;
		size_t len = 0;
		char *md = c->hooks.read_runbook(c->hooks.ud, info.runbook, &len);
		if (!md)
			continue;
		char raw[WIZARD_RUNBOOK_MAX];
		if (runbook_section(md, len, info.section, raw, sizeof(raw)) > 0) {
			reflow(raw);
			sanitize_str(w->runbook[i], sizeof(w->runbook[i]), raw,
			             SANITIZE_KEEP_NEWLINES);
		}
		free(md);
	}
}

static unsigned open_wizard(struct console *c, const struct snapshot *s,
                            const struct snap_incident *inc)
{
	c->wizard_return = c->view;
	wizard_start(&c->wizard, s, inc);
	c->view = VIEW_WIZARD;
	return PANE_HANDLED | PANE_REDRAW;
}

static unsigned wizard_keys(struct console *c, const struct snapshot *s, int key, struct rect body)
{
	unsigned f = wizard_key(&c->wizard, s, key, body);
	load_runbooks(c);
	if (f & WIZARD_CLOSE) {
		c->view = c->wizard_return;
		return (f & ~WIZARD_CLOSE) | PANE_REDRAW;
	}
	if (f & PANE_ACTION) {
		f &= ~PANE_ACTION;
		if (c->wizard.incident_id && c->read_only[0]) {
			say(c, true, "read-only: the triage path was not recorded (%s)",
			    c->read_only);
		} else if (c->wizard.incident_id) {
			char line[500]; /* "triage: " + this fits a note */
			triage_path_text(&c->wizard.walk, line, sizeof(line));
			/* The daemon records the payload as the incident's note
			 * ("triage: ..."): the readable one-line path, which the
			 * detail shows as steps (a note holds 512 bytes; the JSON
			 * form was cut short there). */
			char *text = strdup(line);
			if (!text) {
				say(c, true, "out of memory: the triage path was not recorded");
				return f;
			}
			f |= queue(c, ACTION_TRIAGE, c->wizard.incident_id, line, text);
			say(c, false, "triage path recorded on #%lld",
			    (long long)c->wizard.incident_id);
		}
	}
	return f;
}

/* a / r: prompt for the optional note; n: for the note itself. */
static unsigned start_action(struct console *c, const struct snapshot *s, int key)
{
	if (c->read_only[0]) {
		say(c, true, "read-only: %s", c->read_only);
		return PANE_HANDLED | PANE_REDRAW;
	}
	const struct snap_incident *inc = current_incident(c, s);
	if (!inc) {
		say(c, true, "select an incident first (4 lists them)");
		return PANE_HANDLED | PANE_REDRAW;
	}
	char label[96];
	if (inc->state == SNAP_INC_RESOLVED) {
		say(c, true, "#%lld is already resolved", (long long)inc->id);
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (key == 'a' && inc->state == SNAP_INC_ACKED) {
		say(c, false, "#%lld is already acknowledged by %s (n adds a note)",
		    (long long)inc->id, inc->acked_by[0] ? inc->acked_by : "someone");
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (key == 'n') {
		snprintf(label, sizeof(label), "note on #%lld:", (long long)inc->id);
		c->prompt_kind = PROMPT_NOTE;
	} else if (key == 'a') {
		snprintf(label, sizeof(label),
		         "acknowledge #%lld, note (optional):", (long long)inc->id);
		c->prompt_kind = PROMPT_ACK;
	} else if (key == 'z') {
		snprintf(label, sizeof(label),
		         "snooze #%lld for (30m, 2h; 1h), note:", (long long)inc->id);
		c->prompt_kind = PROMPT_SNOOZE;
	} else {
		snprintf(label, sizeof(label),
		         "resolve #%lld, note (optional):", (long long)inc->id);
		c->prompt_kind = PROMPT_RESOLVE;
	}
	c->prompt_warn[0] = '\0';
	int64_t ago = s->now_ms - inc->last_ms;
	if (key == 'r' && vg_has(s->now_ms) && ago >= 0 && ago <= CONSOLE_STILL_FAILING_MS)
		snprintf(c->prompt_warn, sizeof(c->prompt_warn),
		         "#%lld is still failing (last event %llds ago): resolving re-pages at "
		         "once; Esc, then z snoozes it instead",
		         (long long)inc->id, (long long)(ago / 1000));
	prompt_start(&c->prompt, label, "");
	c->prompt_incident = inc->id;
	c->message[0] = '\0';
	return PANE_HANDLED | PANE_REDRAW;
}

static unsigned prompt_keys(struct console *c, int key)
{
	unsigned f = prompt_key(&c->prompt, key);
	enum prompt_kind kind = c->prompt_kind;
	char *filter = c->filter[c->pane];
	if (kind == PROMPT_FILTER) {
		/* Filter as you type; Esc puts the old filter back. */
		if (f & PROMPT_CANCEL)
			snprintf(filter, PROMPT_MAX, "%s", c->filter_before);
		else
			snprintf(filter, PROMPT_MAX, "%s", c->prompt.text);
	}
	if (!(f & (PROMPT_DONE | PROMPT_CANCEL)))
		return f;
	c->prompt_kind = PROMPT_NONE;
	c->prompt_warn[0] = '\0';
	f &= ~(PROMPT_DONE | PROMPT_CANCEL);
	if (kind == PROMPT_FILTER || !(f & PANE_HANDLED))
		return f | PANE_REDRAW;
	if (key == TK_ESC) {
		say(c, false, "cancelled");
		return f | PANE_REDRAW;
	}
	if (kind == PROMPT_ACCEPT || kind == PROMPT_REJECT) {
		bool accept = kind == PROMPT_ACCEPT;
		f |= queue(c, accept ? ACTION_ACCEPT : ACTION_REJECT, c->prompt_incident,
		           c->prompt.text, NULL);
		say(c, false, "%s review #%lld: the daemon applies it within a second",
		    accept ? "accepted" : "rejected", (long long)c->prompt_incident);
		return f;
	}
	enum action_kind op = kind == PROMPT_ACK       ? ACTION_ACK
	                      : kind == PROMPT_RESOLVE ? ACTION_RESOLVE
	                      : kind == PROMPT_SNOOZE  ? ACTION_SNOOZE
	                                               : ACTION_NOTE;
	if (op == ACTION_NOTE && !c->prompt.text[0]) {
		say(c, false, "empty note: nothing recorded");
		return f | PANE_REDRAW;
	}
	f |= queue(c, op, c->prompt_incident, c->prompt.text, NULL);
	static const char *const done[ACTION__COUNT] = {
		[ACTION_ACK] = "acknowledged", [ACTION_RESOLVE] = "resolved",
		[ACTION_NOTE] = "noted on",    [ACTION_TRIAGE] = "triaged",
		[ACTION_SNOOZE] = "snoozed",
	};
	say(c, false, "%s #%lld (the daemon applies it within a second)", done[op],
	    (long long)c->prompt_incident);
	return f;
}

/* a / r in the baselines view: accept or reject the selected review item,
 * with an optional note. */
static unsigned start_review(struct console *c, const struct snapshot *s, int key)
{
	if (c->read_only[0]) {
		say(c, true, "read-only: %s", c->read_only);
		return PANE_HANDLED | PANE_REDRAW;
	}
	const struct snap_review *rv = review_selected(&c->review, s);
	if (!rv) {
		say(c, true, "no review item to decide");
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (rv->state != SNAP_REV_WAITING) {
		say(c, true, "review #%lld was %s already", (long long)rv->id,
		    snapshot_review_state_name(rv->state));
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (rv->pending) {
		say(c, true, "a decision on review #%lld waits for the daemon already",
		    (long long)rv->id);
		return PANE_HANDLED | PANE_REDRAW;
	}
	char label[96];
	snprintf(label, sizeof(label),
	         "%s review #%lld (%s), note (optional):", key == 'a' ? "accept" : "reject",
	         (long long)rv->id, key == 'a' ? "absorb the step" : "keep the old baseline");
	prompt_start(&c->prompt, label, "");
	c->prompt_kind = key == 'a' ? PROMPT_ACCEPT : PROMPT_REJECT;
	c->prompt_incident = rv->id;
	c->message[0] = '\0';
	return PANE_HANDLED | PANE_REDRAW;
}

static unsigned switch_pane(struct console *c, enum pane_id p)
{
	c->pane = p;
	c->view = VIEW_PANE;
	return PANE_HANDLED | PANE_REDRAW;
}

static unsigned open_detail(struct console *c, const struct snap_incident *inc)
{
	c->detail.incident_id = inc->id;
	c->detail.scroll = 0;
	c->view = VIEW_DETAIL;
	return PANE_HANDLED | PANE_REDRAW | PANE_REFRESH;
}

static unsigned pane_keys(struct console *c, const struct snapshot *s, int key, struct rect body)
{
	const char *filter = c->filter[c->pane];
	switch (c->pane) {
	case PANE_HEALTH: return health_key(&c->health, s, filter, key, body);
	case PANE_BREAKERS: return breakers_key(&c->breakers, s, filter, key, body);
	case PANE_TAXONOMY: {
		unsigned f = taxonomy_key(&c->taxonomy, s, key, body);
		if (f & PANE_OPEN) {
			/* A category's incidents: the incident list, filtered. */
			snprintf(c->filter[PANE_INCIDENTS], PROMPT_MAX, "%s",
			         model_category_name((enum category)c->taxonomy.sel));
			c->incidents.lv.sel = 0;
			c->incidents.sel_id = 0;
			return switch_pane(c, PANE_INCIDENTS);
		}
		return f;
	}
	case PANE_INCIDENTS: {
		unsigned f = incidents_key(&c->incidents, s, filter, key, body);
		if (f & PANE_OPEN) {
			const struct snap_incident *inc =
			        incidents_selected(&c->incidents, s, filter);
			return inc ? open_detail(c, inc) : PANE_HANDLED;
		}
		return f;
	}
	default: return 0;
	}
}

unsigned console_key(struct console *c, const struct snapshot *s, int key)
{
	struct rect body = console_body(c->rows, c->cols);
	if (key == TK_RESIZE || key == TK_CTRL_L)
		return PANE_HANDLED | PANE_REDRAW;
	if (c->prompt_kind != PROMPT_NONE)
		return prompt_keys(c, key);
	c->message[0] = '\0';
	if (c->help_open) {
		unsigned f = help_key(&c->help, key, body);
		if (f & HELP_CLOSE)
			c->help_open = false;
		return (f & ~HELP_CLOSE) | PANE_REDRAW;
	}
	if (key == '?') {
		c->help_open = true;
		c->help.scroll = 0;
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (c->view == VIEW_WIZARD)
		return wizard_keys(c, s, key, body);
	if (key >= '1' && key <= '4')
		return switch_pane(c, (enum pane_id)(key - '1'));
	if (key == TK_TAB)
		return switch_pane(c, (enum pane_id)((c->pane + 1) % PANE__COUNT));
	if (key == TK_BTAB)
		return switch_pane(c, (enum pane_id)((c->pane + PANE__COUNT - 1) % PANE__COUNT));
	if (key == 'b' && c->view != VIEW_REVIEW) {
		c->view = VIEW_REVIEW;
		review_follow(&c->review, s, body);
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (c->view == VIEW_REVIEW) {
		if (key == 'a' || key == 'r')
			return start_review(c, s, key);
		if (key == TK_ESC || key == 'q' || key == TK_LEFT || key == 'b')
			return switch_pane(c, c->pane);
		if (key != 't')
			return review_key(&c->review, s, key, body);
	}
	if (key == 'a' || key == 'r' || key == 'n' || key == 'z')
		return start_action(c, s, key);
	if (key == 't')
		return open_wizard(c, s, current_incident(c, s));
	if (c->view == VIEW_DETAIL) {
		if (key == TK_ESC || key == 'q' || key == TK_LEFT)
			return switch_pane(c, c->pane);
		return detail_key(&c->detail, s, key, body);
	}
	switch (key) {
	case 'q': return PANE_HANDLED | PANE_QUIT;
	case '/':
		snprintf(c->filter_before, sizeof(c->filter_before), "%s", c->filter[c->pane]);
		prompt_start(&c->prompt, "filter /", c->filter[c->pane]);
		c->prompt_kind = PROMPT_FILTER;
		return PANE_HANDLED | PANE_REDRAW;
	case TK_ESC:
		if (c->filter[c->pane][0]) {
			c->filter[c->pane][0] = '\0';
			return PANE_HANDLED | PANE_REDRAW;
		}
		return PANE_HANDLED;
	default: return pane_keys(c, s, key, body);
	}
}

void console_update(struct console *c, const struct snapshot *s)
{
	incidents_follow(&c->incidents, s, c->filter[PANE_INCIDENTS],
	                 console_body(c->rows, c->cols));
	review_follow(&c->review, s, console_body(c->rows, c->cols));
	if (c->view == VIEW_WIZARD)
		wizard_update(&c->wizard, s);
}

static void draw_bottom(const struct console *c, struct surface *surf)
{
	int row = surf->rows - 1;
	if (c->prompt_kind != PROMPT_NONE) {
		if (c->prompt_warn[0] && row > 0) {
			surf_fill(surf, row - 1, 0, -1, ROLE_NORMAL, 0);
			surf_put(surf, row - 1, 1, -1, c->prompt_warn, ROLE_WARN, SA_BOLD);
		}
		prompt_draw(&c->prompt, surf, row);
		return;
	}
	if (c->message[0]) {
		surf_fill(surf, row, 0, -1, ROLE_NORMAL, 0);
		surf_put(surf, row, 1, -1, c->message, c->message_bad ? ROLE_WARN : ROLE_OK,
		         SA_BOLD);
		return;
	}
	static const char *const pane_hints[] = { "?",    "help",    "/",    "filter", "Tab",
		                                  "pane", "Enter",   "open", "a",      "ack",
		                                  "r",    "resolve", "t",    "triage", "q",
		                                  "quit", NULL };
	static const char *const detail_hints[] = { "Esc", "back",   "j/k",     "scroll", "a",
		                                    "ack", "r",      "resolve", "n",      "note",
		                                    "t",   "triage", "?",       "help",   NULL };
	static const char *const review_hints[] = { "Esc", "back",   "j/k", "move", "a", "accept",
		                                    "r",   "reject", "?",   "help", NULL };
	static const char *const wizard_hints[] = { "y",     "yes",       "n",   "no",
		                                    "Enter", "accept",    "b",   "back",
		                                    "f",     "full tree", "Tab", "thread",
		                                    "Esc",   "close",     NULL };
	const char *const *h = c->view == VIEW_WIZARD   ? wizard_hints
	                       : c->view == VIEW_DETAIL ? detail_hints
	                       : c->view == VIEW_REVIEW ? review_hints
	                                                : pane_hints;
	const char *filter = c->filter[c->pane];
	int badge = 0;
	if (c->view == VIEW_PANE && filter[0]) {
		char b[PROMPT_MAX + 16];
		snprintf(b, sizeof(b), " /%s ", filter);
		badge = surf_text_width(b);
		if (badge > surf->cols / 3)
			badge = surf->cols / 3;
		surf_put(surf, row, surf->cols - badge, badge, b, ROLE_TAB, 0);
	}
	status_hints_draw(surf, row, surf->cols - badge, h);
}

void console_draw(struct console *c, const struct snapshot *s, struct surface *surf)
{
	c->rows = surf->rows;
	c->cols = surf->cols;
	surf_clear(surf);
	if (surf->rows < CONSOLE_MIN_ROWS || surf->cols < CONSOLE_MIN_COLS) {
		char b[96];
		snprintf(b, sizeof(b), "vigil needs at least %dx%d (now %dx%d)", CONSOLE_MIN_COLS,
		         CONSOLE_MIN_ROWS, surf->cols, surf->rows);
		int w = surf_text_width(b);
		surf_put(surf, surf->rows / 2, w < surf->cols ? (surf->cols - w) / 2 : 0, -1, b,
		         ROLE_WARN, SA_BOLD);
		/* The alert must be seen even then. */
		status_line_draw(s, surf, 0);
		surf_flush(surf);
		return;
	}
	status_title_draw(s, c->pane, c->read_only[0] ? "READ-ONLY" : NULL, surf, 0);
	status_line_draw(s, surf, 1);
	struct rect body = console_body(surf->rows, surf->cols);
	const char *filter = c->filter[c->pane];
	switch (c->view) {
	case VIEW_WIZARD: wizard_draw(&c->wizard, s, surf, body); break;
	case VIEW_DETAIL: detail_draw(&c->detail, s, surf, body); break;
	case VIEW_REVIEW: review_draw(&c->review, s, surf, body); break;
	default:
		switch (c->pane) {
		case PANE_HEALTH: health_draw(&c->health, s, filter, surf, body); break;
		case PANE_BREAKERS: breakers_draw(&c->breakers, s, filter, surf, body); break;
		case PANE_TAXONOMY: taxonomy_draw(&c->taxonomy, s, surf, body); break;
		default: incidents_draw(&c->incidents, s, filter, surf, body); break;
		}
	}
	if (c->help_open)
		help_draw(&c->help, surf, body);
	draw_bottom(c, surf);
	surf_flush(surf);
}

void console_set_read_only(struct console *c, const char *why)
{
	sanitize_str(c->read_only, sizeof(c->read_only), why && *why ? why : "read-only", 0);
	say(c, true, "read-only: actions are unavailable (%s)", c->read_only);
}

void console_add_about(struct console *c, const char *label, const char *text)
{
	struct help_pane *h = &c->help;
	if (h->n_about >= HELP_ABOUT_MAX)
		return;
	sanitize_str(h->about[h->n_about][0], sizeof(h->about[0][0]), label ? label : "", 0);
	sanitize_str(h->about[h->n_about][1], sizeof(h->about[0][1]), text ? text : "", 0);
	h->n_about++;
}
