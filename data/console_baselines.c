/*
 * console_baselines.c: the console's baselines (part of console_read, see
 * console_read.h): the review items waiting and decided, with the size of
 * a waiting step read from its model, and how warm the series are
 * ("learning: 37% of slots warm"). Models are decoded again only when the
 * Q_BL_MODELS fingerprint changes.
 */
#include "data/console_read_internal.h"

#include "core/baseline.h"
#include "core/sanitize.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- baselines ---- */

static int bl_rc(int vg)
{
	return vg == 0 ? SQLITE_OK : vg == VG_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
}

/* Whether health row p shows series (provider, alias): its provider's row
 * shows the aggregate (alias ""), a model's row its alias series. */
static bool row_shows(const struct snap_provider *p, const char *provider, const char *alias)
{
	if (strcmp(p->provider, provider) != 0)
		return false;
	if (!p->model[0] || !alias[0])
		return !p->model[0] && !alias[0];
	size_t n = semantic_model_alias_len(p->model);
	return strlen(alias) == n && strncmp(p->model, alias, n) == 0;
}

/* The model's values of each waiting review, and the warmth of every series:
 * decoded again only when a model changed (or a new review waits). */
static int fill_cache(struct console_read *db, const struct baseline_db_review *r, size_t n)
{
	free(db->warmth);
	db->warmth = NULL;
	db->n_warmth = 0;
	db->n_steps = 0;
	int e = baseline_db_warmth(db->bl, &db->bls, &db->warmth, &db->n_warmth);
	if (e)
		return bl_rc(e);
	struct baseline_model *m = malloc(sizeof(*m));
	struct baseline_ctx *c = malloc(sizeof(*c));
	/* the static bars and the budget do not move a usual value: any will do */
	struct baseline_static bars = { 10000, 95, 0.1 };
	if (!m || !c) {
		free(m);
		free(c);
		return SQLITE_NOMEM;
	}
	/* settings it refuses (none a config passes) leave the values unknown */
	bool ctx = baseline_ctx_init(c, &db->bls, &bars, 1, 0) == 0;
	for (size_t i = 0; i < n && db->n_steps < SNAP_MAX_REVIEWS; i++) {
		if (r[i].state != PRV_WAITING)
			continue;
		struct bl_step *st = &db->steps[db->n_steps++];
		st->id = r[i].id;
		st->before = st->after = VG_NONE_D;
		/* a model that is gone or does not decode shows no values */
		if (ctx && baseline_db_model(db->bl, &r[i].key, m, NULL, NULL) == 0)
			baseline_db_review_values(m, c, &r[i], &st->before, &st->after);
	}
	free(m);
	free(c);
	return SQLITE_OK;
}

static void review_to_snap(const struct baseline_db_review *r, struct snap_review *o)
{
	memset(o, 0, sizeof(*o));
	o->id = r->id;
	sanitize_str(o->provider, sizeof(o->provider), r->key.provider, 0);
	sanitize_str(o->alias, sizeof(o->alias), r->key.alias, 0);
	o->probe = r->key.source == OBS_PROBE;
	sanitize_str(o->metric, sizeof(o->metric), r->metric, 0);
	o->before = o->after = VG_NONE_D;
	o->delta = r->delta;
	o->z = r->z;
	o->near_marker = r->near_marker;
	sanitize_str(o->model, sizeof(o->model), r->model, 0);
	sanitize_str(o->detail, sizeof(o->detail), r->detail, 0);
	o->at_ms = r->at_ms;
	o->created_ms = r->created_ms;
	o->state = r->state == PRV_ACCEPTED   ? SNAP_REV_ACCEPTED
	           : r->state == PRV_REJECTED ? SNAP_REV_REJECTED
	                                      : SNAP_REV_WAITING;
	sanitize_str(o->actor, sizeof(o->actor), r->actor, 0);
	o->decided_ms = r->decided_ms;
}

/* Decided items shown under the waiting ones: the outcome of the latest. */
#define DECIDED_SHOWN 8

static int read_reviews(struct console_read *db, struct snapshot *s,
                        const struct baseline_db_review *r, size_t n)
{
	int decided = 0;
	/* every waiting item counts, listed or not */
	for (size_t i = 0; i < n; i++)
		s->n_reviews_waiting += r[i].state == PRV_WAITING;
	for (size_t i = 0; i < n && s->n_reviews < SNAP_MAX_REVIEWS; i++) {
		if (r[i].state != PRV_WAITING && decided++ >= DECIDED_SHOWN)
			continue;
		struct snap_review *o = &s->reviews[s->n_reviews++];
		review_to_snap(&r[i], o);
		for (int k = 0; k < db->n_steps; k++)
			if (db->steps[k].id == o->id) {
				o->before = db->steps[k].before;
				o->after = db->steps[k].after;
			}
	}
	sqlite3_stmt *st = db->st[Q_BL_PENDING];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		for (int i = 0; i < s->n_reviews; i++)
			s->reviews[i].pending |= s->reviews[i].id == id;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int read_learning(struct console_read *db, struct snapshot *s)
{
	struct snap_learning *l = &s->learning;
	double sum[2] = { 0, 0 };
	for (size_t i = 0; i < db->n_warmth; i++) {
		const struct baseline_db_warmth *w = &db->warmth[i];
		int src = w->key.source == OBS_PROBE;
		l->series[src]++;
		sum[src] += w->overall;
		for (int k = 0; k < s->n_providers; k++)
			if (row_shows(&s->providers[k], w->key.provider, w->key.alias))
				s->providers[k].warm[src] = w->overall;
	}
	double hourly[2] = { 0, 0 };
	int aggregates[2] = { 0, 0 };
	sqlite3_stmt *st = db->st[Q_BL_HOURLY];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *prov = sqlite3_column_text(st, 0);
		const unsigned char *alias = sqlite3_column_text(st, 1);
		const unsigned char *source = sqlite3_column_text(st, 2);
		int64_t hours = sqlite3_column_int64(st, 4);
		if (!prov || !alias || !source || hours <= 0)
			continue;
		int src = strcmp((const char *)source, "probe") == 0;
		double per_hour = sqlite3_column_double(st, 3) / (double)hours;
		for (int k = 0; k < s->n_providers; k++)
			if (row_shows(&s->providers[k], (const char *)prov, (const char *)alias))
				s->providers[k].per_hour[src] = per_hour;
		/* a source's rate is its providers' aggregates' */
		if (!alias[0]) {
			hourly[src] += per_hour;
			aggregates[src]++;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	for (int src = 0; src < 2; src++) {
		if (l->series[src])
			l->warm[src] = sum[src] / l->series[src];
		if (aggregates[src]) {
			l->per_hour[src] = hourly[src] / aggregates[src];
			l->weeks_to_warm[src] = baseline_weeks_to_warm(&db->bls, l->per_hour[src]);
		}
	}
	return SQLITE_OK;
}

int console_read__baselines(struct console_read *db, struct snapshot *s)
{
	if (!db->bl)
		return SQLITE_OK;
	sqlite3_stmt *st = db->st[Q_BL_MODELS];
	int64_t print[4];
	int rc = sqlite3_step(st);
	for (int i = 0; i < 4; i++)
		print[i] = rc == SQLITE_ROW ? console_read__col_i(st, i) : VG_NONE;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc;
	struct baseline_db_review *r = NULL;
	size_t n = 0;
	rc = bl_rc(baseline_db_reviews(db->bl, true, &r, &n));
	bool stale = !db->bl_valid || memcmp(print, db->bl_print, sizeof(print)) != 0;
	for (size_t i = 0; rc == SQLITE_OK && !stale && i < n; i++) {
		bool known = r[i].state != PRV_WAITING;
		for (int k = 0; !known && k < db->n_steps; k++)
			known = db->steps[k].id == r[i].id;
		stale = !known;
	}
	if (rc == SQLITE_OK && stale) {
		db->bl_valid = false;
		rc = fill_cache(db, r, n);
		if (rc == SQLITE_OK) {
			memcpy(db->bl_print, print, sizeof(print));
			db->bl_valid = true;
		}
	}
	if (rc == SQLITE_OK)
		rc = read_reviews(db, s, r, n);
	free(r);
	if (rc == SQLITE_OK)
		rc = read_learning(db, s);
	return rc;
}
