/*
 * panes.h: the console's panes, one source file each:
 *   pane_health.c     per-provider health (1)
 *   pane_breakers.c   breaker states and the transition log (2)
 *   pane_taxonomy.c   failure counts, 5 categories (+ monitor) x 4 severities x 3 windows (3)
 *   pane_incidents.c  the incident list (4)
 *   pane_detail.c     one incident: signals, timeline, triage path
 *   pane_review.c     baselines: how warm, and the review items (b)
 *   pane_wizard.c     the triage wizard (the tree is core/triage)
 *   pane_help.c       the help overlay
 *   pane_prompt.c     the one-line prompt (filter, acknowledgement note)
 *   pane_status.c     the title bar, the status line and the key hints
 *
 * Each model is a value type the console embeds. `x_key(model, snapshot,
 * ..., key, rect)` gets the rectangle the pane was last laid out in (to
 * know its page size) and returns PANE_* flags; `x_draw()` draws only from
 * the model and the snapshot. A filter is a case-insensitive substring that
 * a row must contain to be listed ("" keeps all).
 */
#ifndef VIGIL_TUI_PANES_H
#define VIGIL_TUI_PANES_H

#include "core/triage.h"
#include "tui/pane.h"

/* ---- health ---- */
struct health_pane {
	struct listview lv;
};
/* Indices of the snapshot's providers the filter keeps (idx holds
 * SNAP_MAX_PROVIDERS); returns the count. */
int health_rows(const struct snapshot *s, const char *filter, int *idx);
/* The provider row selected, or NULL when none is listed. */
const struct snap_provider *health_selected(const struct health_pane *m, const struct snapshot *s,
                                            const char *filter);
unsigned health_key(struct health_pane *m, const struct snapshot *s, const char *filter, int key,
                    struct rect r);
void health_draw(const struct health_pane *m, const struct snapshot *s, const char *filter,
                 struct surface *surf, struct rect r);

/* ---- breakers ---- */
struct breakers_pane {
	struct listview lv; /* over the transition log */
};
int breakers_rows(const struct snapshot *s, const char *filter, int *idx);
unsigned breakers_key(struct breakers_pane *m, const struct snapshot *s, const char *filter,
                      int key, struct rect r);
void breakers_draw(const struct breakers_pane *m, const struct snapshot *s, const char *filter,
                   struct surface *surf, struct rect r);

/* ---- taxonomy ---- */
struct taxonomy_pane {
	int sel; /* selected category row (enum category, CAT_MONITOR last) */
};
unsigned taxonomy_key(struct taxonomy_pane *m, const struct snapshot *s, int key, struct rect r);
void taxonomy_draw(const struct taxonomy_pane *m, const struct snapshot *s, struct surface *surf,
                   struct rect r);

/* ---- incidents ---- */
struct incidents_pane {
	struct listview lv;
	int64_t sel_id; /* the selected incident's id, kept across refreshes */
};
/* Indices of the snapshot's incidents the filter keeps (idx holds
 * SNAP_MAX_INCIDENTS); returns the count. The filter matches severity,
 * category, subtype, provider, model, state, who acknowledged, summary, "#id". */
int incidents_rows(const struct snapshot *s, const char *filter, int *idx);
/* The selected incident, or NULL. */
const struct snap_incident *incidents_selected(const struct incidents_pane *m,
                                               const struct snapshot *s, const char *filter);
/* After a new snapshot: keep the same incident selected when it is still listed. */
void incidents_follow(struct incidents_pane *m, const struct snapshot *s, const char *filter,
                      struct rect r);
/* Enter returns PANE_OPEN (the console opens the detail of incidents_selected()). */
unsigned incidents_key(struct incidents_pane *m, const struct snapshot *s, const char *filter,
                       int key, struct rect r);
void incidents_draw(const struct incidents_pane *m, const struct snapshot *s, const char *filter,
                    struct surface *surf, struct rect r);

/* ---- incident detail ---- */
struct detail_pane {
	int64_t incident_id;
	int scroll; /* first line shown */
};
unsigned detail_key(struct detail_pane *m, const struct snapshot *s, int key, struct rect r);
void detail_draw(const struct detail_pane *m, const struct snapshot *s, struct surface *surf,
                 struct rect r);

/* ---- baselines: learning and the review list ---- */
struct review_pane {
	struct listview lv;
	int64_t sel_id; /* the selected item's id, kept across refreshes */
};
/* The selected review item, or NULL when there is none. */
const struct snap_review *review_selected(const struct review_pane *m, const struct snapshot *s);
/* After a new snapshot: keep the same item selected when it is still listed. */
void review_follow(struct review_pane *m, const struct snapshot *s, struct rect r);
/* Movement keys; the console handles accept and reject. */
unsigned review_key(struct review_pane *m, const struct snapshot *s, int key, struct rect r);
void review_draw(const struct review_pane *m, const struct snapshot *s, struct surface *surf,
                 struct rect r);
/* What changed, in the metric's unit: "p95 900ms -> 1.6s after
 * gpt-4o-2024-11-20", "errors 0.4% -> 3.1%" ("latency +78%" when the values
 * are unknown; the model only when `with_model`). */
void review_change_text(const struct snap_review *r, bool with_model, char *buf, size_t size);
/* "openai/gpt-4o gateway", "openai probes" (the aggregate: no model). */
void review_series_text(const struct snap_review *r, char *buf, size_t size);
/* How warm a source's baselines are: "learning: 37% of slots warm"; for
 * probes "probes: learning 12%, ~60 samples/h". False (buf "") when the
 * snapshot knows no series of that source. */
bool learning_text(const struct snapshot *s, int source, char *buf, size_t size);
/* The phrase alone for a share of warm slots: "learning: 37% of slots warm"
 * ("baselines: 100% ..." once all are), "probes: learning 12%". */
void learning_phrase(int source, double warm, char *buf, size_t size);

/* ---- triage wizard ---- */
#define WIZARD_RUNBOOK_MAX 1200
struct wizard_pane {
	struct triage walk;
	int64_t incident_id;        /* 0: not about one incident */
	char provider[VG_NAME_MAX]; /* the evidence's scope, "" = all providers */
	char title[SNAP_TEXT_MAX];
	enum category category; /* the incident's label */
	enum subtype subtype;
	bool scoped; /* the incident's own evidence has arrived */
	bool full;   /* walking the whole tree from "non-2xx?" (key f) */
	/* Runbook text per thread, filled by the console when a thread ends. */
	char runbook[TRIAGE_MAX_THREADS][WIZARD_RUNBOOK_MAX];
	bool loaded[TRIAGE_MAX_THREADS];
	bool recorded; /* the finished path was handed over for recording */
	int scroll;    /* findings view scroll */
};
/* Start a walk about an incident (NULL: all providers): at the question of
 * its own branch, with its own evidence (the snapshot's detail of it, which
 * the console asks for while the wizard is open). */
void wizard_start(struct wizard_pane *m, const struct snapshot *s, const struct snap_incident *inc);
/* Refresh the live evidence from a new snapshot. */
void wizard_update(struct wizard_pane *m, const struct snapshot *s);
/*
 * Keys: y/n answer, Enter accepts the suggestion, b or Backspace undoes,
 * Tab/shift-Tab switch threads, f restarts on the whole tree from "non-2xx?"
 * (and back to the incident's branch), j/k scroll the findings, Esc or q closes
 * (returns PANE_HANDLED with m->incident_id untouched; the console closes it).
 * Returns PANE_ACTION once when the walk completes (the console records it).
 */
#define WIZARD_CLOSE 0x100u
unsigned wizard_key(struct wizard_pane *m, const struct snapshot *s, int key, struct rect r);
void wizard_draw(const struct wizard_pane *m, const struct snapshot *s, struct surface *surf,
                 struct rect r);

/* ---- help overlay ---- */
#define HELP_ABOUT_MAX 4
struct help_pane {
	int scroll;
	/* Lines the shell adds on top of the keys (the demo's files): label, text. */
	int n_about;
	char about[HELP_ABOUT_MAX][2][SNAP_TEXT_MAX];
};
#define HELP_CLOSE 0x100u
unsigned help_key(struct help_pane *m, int key, struct rect r);
void help_draw(const struct help_pane *m, struct surface *surf, struct rect r);

/* ---- one-line prompt ---- */
#define PROMPT_MAX 200
struct prompt {
	char label[96];
	char text[PROMPT_MAX]; /* UTF-8 */
	int cursor;            /* byte offset in text */
};
#define PROMPT_DONE   0x100u /* Enter: text is final */
#define PROMPT_CANCEL 0x200u /* Esc */
void prompt_start(struct prompt *p, const char *label, const char *initial);
/* Printable keys insert (as UTF-8), Backspace/Delete/Left/Right/Home/End
 * edit; Enter gives PROMPT_DONE, Esc PROMPT_CANCEL. */
unsigned prompt_key(struct prompt *p, int key);
void prompt_draw(const struct prompt *p, struct surface *surf, int row);

/* ---- title bar, status line, hints ---- */
enum pane_id { PANE_HEALTH, PANE_BREAKERS, PANE_TAXONOMY, PANE_INCIDENTS, PANE__COUNT };
const char *pane_name(enum pane_id id); /* "Health", ... */
/* The title bar; `tag` (may be NULL) is shown before the clock (READ-ONLY). */
void status_title_draw(const struct snapshot *s, enum pane_id active, const char *tag,
                       struct surface *surf, int row);
/* The status line: an alert (monitor incidents, or no data from the daemon)
 * that cannot be missed, else a one-line summary. Returns true when it is an alert. */
bool status_line_draw(const struct snapshot *s, struct surface *surf, int row);
/* Data older than this (ms) makes the status line an alert. */
#define STATUS_STALE_MS 30000
/* Key hints ("key", "what", ..., NULL) on `row`, within the first `cols` columns. */
void status_hints_draw(struct surface *surf, int row, int cols, const char *const *pairs);

#endif
