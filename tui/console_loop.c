/*
 * console_loop.c: the console driven by a libuv loop (see console_loop.h).
 * Four handles: a poll on stdin (keys), a signal handle for SIGWINCH, a
 * timer for the periodic rebuild, and nothing else; all callbacks run on the
 * loop thread. The struct is freed when the last handle's close callback
 * has run.
 */
#include "tui/console_loop.h"

#include "core/runbook.h"
#include "core/sanitize.h"
#include "core/vgerr.h"
#include "tui/keys.h"
#include "tui/surface_curses.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct console_loop {
	uv_poll_t input;
	uv_signal_t winch;
	uv_timer_t tick;
	int open_handles;
	struct console_source src;
	struct surface *surf;
	struct snapshot *snap;
	struct snapshot *next;
	struct console console;
	char build_error[160];
	bool stopping;
};

char *console_read_runbook(void *ud, const char *path, size_t *len)
{
	(void)ud;
	const struct runbook_doc *d = runbook_find(path);
	char *buf = d ? malloc(d->len + 1) : NULL;
	if (!buf)
		return NULL;
	memcpy(buf, d->data, d->len + 1);
	if (len)
		*len = d->len;
	return buf;
}

static void draw(struct console_loop *cl)
{
	if (cl->stopping)
		return;
	console_draw(&cl->console, cl->snap, cl->surf);
	if (cl->build_error[0]) {
		/* The snapshot is old: say why on the bottom row. */
		surf_fill(cl->surf, cl->surf->rows - 1, 0, -1, ROLE_ALERT, 0);
		surf_put(cl->surf, cl->surf->rows - 1, 1, -1, cl->build_error, ROLE_ALERT, SA_BOLD);
		surf_flush(cl->surf);
	}
}

static void rebuild(struct console_loop *cl)
{
	if (cl->src.request) {
		cl->src.request(cl->src.ud, console_detail_wanted(&cl->console));
		return;
	}
	char *cause = NULL;
	snapshot_reset(cl->next);
	int rc = cl->src.build(cl->src.ud, cl->next, console_detail_wanted(&cl->console), &cause);
	if (rc == 0) {
		struct snapshot *t = cl->snap;
		cl->snap = cl->next;
		cl->next = t;
		cl->build_error[0] = '\0';
		console_update(&cl->console, cl->snap);
	} else {
		snprintf(cl->build_error, sizeof(cl->build_error), "cannot refresh: %s",
		         cause ? cause : vg_strerror(rc));
	}
	free(cause);
}

static void flush_actions(struct console_loop *cl)
{
	struct op_action a;
	while (console_take_action(&cl->console, &a)) {
		char *cause = NULL;
		int rc = cl->src.act ? cl->src.act(cl->src.ud, &a, &cause) : VG_ESTATE;
		if (rc != 0)
			snprintf(cl->console.message, sizeof(cl->console.message),
			         "not recorded: %s", cause ? cause : "this console is read-only");
		cl->console.message_bad = rc != 0;
		free(cause);
		op_action_done(&a);
	}
}

static void handle_flags(struct console_loop *cl, unsigned f)
{
	if (f & PANE_ACTION) {
		flush_actions(cl);
		f |= PANE_REFRESH; /* show the action as pending at once */
	}
	if (f & PANE_REFRESH)
		rebuild(cl);
	if (f & PANE_QUIT) {
		if (cl->src.on_quit)
			cl->src.on_quit(cl->src.quit_ud);
		return;
	}
	if (f & (PANE_REDRAW | PANE_REFRESH))
		draw(cl);
}

static void on_input(uv_poll_t *h, int status, int events)
{
	struct console_loop *cl = h->data;
	(void)events;
	if (status < 0 || cl->stopping)
		return;
	unsigned f = 0;
	int key;
	while (!(f & PANE_QUIT) && (key = curses_getkey(cl->surf)) != TK_NONE) {
		f |= console_key(&cl->console, cl->snap, key);
		if (key == TK_RESIZE)
			f |= PANE_REDRAW;
		/* Actions are written in the order they were made. */
		if (f & PANE_ACTION) {
			handle_flags(cl, f & (PANE_ACTION | PANE_REFRESH));
			f &= ~(PANE_ACTION | PANE_REFRESH);
			f |= PANE_REDRAW;
		}
	}
	handle_flags(cl, f);
}

static void on_winch(uv_signal_t *h, int signum)
{
	struct console_loop *cl = h->data;
	(void)signum;
	if (curses_check_resize(cl->surf))
		draw(cl);
}

static void on_tick(uv_timer_t *h)
{
	struct console_loop *cl = h->data;
	rebuild(cl);
	draw(cl);
}

int console_loop_start(uv_loop_t *loop, const struct console_source *src,
                       const struct console_loop_options *opt, struct console_loop **out,
                       char **cause)
{
	struct console_loop *cl = calloc(1, sizeof(*cl));
	if (!cl || !(cl->snap = snapshot_new()) || !(cl->next = snapshot_new())) {
		if (cl) {
			snapshot_free(cl->snap);
			free(cl);
		}
		if (cause)
			*cause = strdup("out of memory");
		return VG_ENOMEM;
	}
	cl->src = *src;
	struct console_hooks hooks = { console_read_runbook, NULL };
	console_init(&cl->console, opt ? opt->operator_name : NULL, &hooks);
	for (int i = 0; opt && opt->about && opt->about[i] && opt->about[i + 1]; i += 2)
		console_add_about(&cl->console, opt->about[i], opt->about[i + 1]);
	if (opt && opt->message)
		sanitize_str(cl->console.message, sizeof(cl->console.message), opt->message, 0);
	if (opt && opt->read_only)
		console_set_read_only(&cl->console, opt->read_only);
	/* The first snapshot before taking the terminal, so a bad snapshot is a
	 * plain error message rather than a blank screen (a database source has
	 * opened its file already). */
	int rc = 0;
	if (src->build) {
		rc = src->build(src->ud, cl->snap, 0, cause);
		if (rc != 0)
			goto fail;
	} else {
		snprintf(cl->snap->source, sizeof(cl->snap->source), "loading...");
	}
	struct curses_options co = { opt && opt->force_ascii, opt && opt->no_color,
		                     opt && opt->mouse };
	cl->surf = curses_open(&co, cause);
	if (!cl->surf) {
		rc = VG_EIO;
		goto fail;
	}
	console_update(&cl->console, cl->snap);
	int64_t period = opt && opt->refresh_ms > 0 ? opt->refresh_ms : 1000;
	uv_poll_init(loop, &cl->input, STDIN_FILENO);
	uv_signal_init(loop, &cl->winch);
	uv_timer_init(loop, &cl->tick);
	cl->input.data = cl->winch.data = cl->tick.data = cl;
	cl->open_handles = 3;
	uv_poll_start(&cl->input, UV_READABLE, on_input);
	uv_signal_start(&cl->winch, on_winch, SIGWINCH);
	uv_timer_start(&cl->tick, on_tick, (uint64_t)period, (uint64_t)period);
	*out = cl;
	if (src->request)
		src->request(src->ud, 0);
	draw(cl);
	return 0;
fail:
	console_done(&cl->console);
	snapshot_free(cl->snap);
	snapshot_free(cl->next);
	free(cl);
	return rc;
}

static void on_closed(uv_handle_t *h)
{
	struct console_loop *cl = h->data;
	if (--cl->open_handles > 0)
		return;
	console_done(&cl->console);
	snapshot_free(cl->snap);
	snapshot_free(cl->next);
	free(cl);
}

void console_loop_stop(struct console_loop *cl)
{
	if (!cl || cl->stopping)
		return;
	cl->stopping = true;
	/* Actions made just before quitting are not lost. */
	flush_actions(cl);
	curses_close(cl->surf);
	cl->surf = NULL;
	uv_close((uv_handle_t *)&cl->input, on_closed);
	uv_close((uv_handle_t *)&cl->winch, on_closed);
	uv_close((uv_handle_t *)&cl->tick, on_closed);
}

void console_loop_refresh(struct console_loop *cl)
{
	if (!cl || cl->stopping)
		return;
	rebuild(cl);
	draw(cl);
}

void console_loop_deliver(struct console_loop *cl, const struct snapshot *s, int err,
                          const char *cause)
{
	if (!cl || cl->stopping)
		return;
	if (err == 0) {
		memcpy(cl->snap, s, sizeof(*cl->snap));
		cl->build_error[0] = '\0';
		console_update(&cl->console, cl->snap);
	} else {
		snprintf(cl->build_error, sizeof(cl->build_error), "cannot refresh: %s",
		         cause ? cause : vg_strerror(err));
	}
	draw(cl);
}

void console_loop_say(struct console_loop *cl, bool bad, const char *text)
{
	if (!cl || cl->stopping)
		return;
	snprintf(cl->console.message, sizeof(cl->console.message), "%s", text);
	cl->console.message_bad = bad;
	draw(cl);
}
