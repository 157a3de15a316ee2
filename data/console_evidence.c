/*
 * console_evidence.c: the triage wizard's numbers from the database (see
 * console_evidence.h). Counts go through core/triage (triage_evidence_add,
 * triage_evidence_rates) so the live and the incident's evidence mean the
 * same thing by a metric.
 */
#include "data/console_evidence.h"

#include "core/baseline.h"
#include "core/sanitize.h"
#include "core/semantic.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE       60000LL
#define HOUR_MS      3600000LL
#define SPAN_MAX_MS  (6 * HOUR_MS)
#define BL_WINDOW_MS (BL_WIN_BUCKETS * MINUTE) /* a gateway series' window */

static int64_t minute_floor(int64_t ms)
{
	return ms - ((ms % MINUTE) + MINUTE) % MINUTE;
}

static void text_col(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (t)
		sanitize_text(dst, size, (const char *)t, (size_t)sqlite3_column_bytes(st, i), 0);
	else if (size)
		dst[0] = '\0';
}

static int provider_index(const struct snapshot *s, const char *provider)
{
	for (int i = 0; i < s->n_providers; i++)
		if (!s->providers[i].model[0] && strcmp(s->providers[i].provider, provider) == 0)
			return i;
	return -1;
}

/* Rates over the last five minutes: counts from the rollups divided by the
 * requests in the same minutes; the fallback share from health. */
int console_evidence_live(const struct console_evidence_q *q, struct snapshot *s, int64_t now)
{
	int64_t from = minute_floor(now) - 4 * MINUTE;
	const int ALL = SNAP_MAX_PROVIDERS;
	double req[SNAP_MAX_PROVIDERS + 1] = { 0 }, err[SNAP_MAX_PROVIDERS + 1] = { 0 };
	struct triage_evidence *evs[SNAP_MAX_PROVIDERS + 1];
	for (int i = 0; i < ALL; i++)
		evs[i] = i < s->n_providers && !s->providers[i].model[0] ? &s->provider_evidence[i]
		                                                         : NULL;
	evs[ALL] = &s->evidence;
	char prov[VG_NAME_MAX];
	sqlite3_stmt *st = q->obs;
	sqlite3_bind_int64(st, 1, from);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		text_col(st, 0, prov, sizeof(prov));
		int i = provider_index(s, prov);
		double r = sqlite3_column_double(st, 1), e = sqlite3_column_double(st, 2);
		req[ALL] += r;
		err[ALL] += e;
		if (i >= 0) {
			req[i] += r;
			err[i] += e;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	st = q->evt;
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		text_col(st, 0, prov, sizeof(prov));
		char sub[40];
		text_col(st, 1, sub, sizeof(sub));
		int k = model_subtype_parse(sub, (size_t)-1);
		if (k < 0)
			continue;
		double n = sqlite3_column_double(st, 2);
		int i = provider_index(s, prov);
		triage_evidence_add(evs[ALL], (enum subtype)k, n);
		if (i >= 0)
			triage_evidence_add(evs[i], (enum subtype)k, n);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	/* The fallback: the best availability among configured fallbacks. */
	double fallback = VG_NONE_D;
	double worst_p99 = VG_NONE_D;
	for (int i = 0; i < s->n_providers; i++) {
		const struct snap_provider *p = &s->providers[i];
		if (p->model[0])
			continue;
		if (p->fallback && !isnan(p->availability) &&
		    (isnan(fallback) || p->availability > fallback))
			fallback = p->availability;
		double r = s->provider_evidence[i].v[TM_P99_RATIO];
		if (!isnan(r) && (isnan(worst_p99) || r > worst_p99))
			worst_p99 = r;
	}
	for (int i = 0; i <= ALL; i++) {
		struct triage_evidence *ev = evs[i];
		if (!ev)
			continue;
		ev->window_ms = 5 * MINUTE;
		ev->requests = (int64_t)req[i];
		ev->v[TM_FALLBACK_SERVING] = fallback;
		if (i == ALL)
			ev->v[TM_P99_RATIO] = worst_p99;
		ev->n[TM_NON2XX_RATE] = err[i];
		triage_evidence_rates(ev);
	}
	return 0;
}

static void bind_scope(sqlite3_stmt *st, const struct console_scope *sc, int64_t from, int64_t to)
{
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_text(st, 3, sc->provider, -1, SQLITE_TRANSIENT);
	if (sc->models)
		sqlite3_bind_text(st, 4, sc->models, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 4);
	if (sc->templates)
		sqlite3_bind_text(st, 5, sc->templates, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 5);
}

/* Requests, non-2xx and events per subtype over [from, to). */
static int count_scope(const struct console_evidence_q *q, const struct console_scope *sc,
                       int64_t from, int64_t to, struct triage_evidence *ev)
{
	sqlite3_stmt *st = q->scope_obs;
	bind_scope(st, sc, from, to);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ev->requests = sqlite3_column_int64(st, 0);
		ev->n[TM_NON2XX_RATE] = sqlite3_column_double(st, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	st = q->scope_evt;
	bind_scope(st, sc, from, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char sub[40];
		text_col(st, 0, sub, sizeof(sub));
		int k = model_subtype_parse(sub, (size_t)-1);
		if (k >= 0)
			triage_evidence_add(ev, (enum subtype)k, sqlite3_column_double(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc;
	triage_evidence_rates(ev);
	return 0;
}

/* Failed-over requests in [from, to) and the share the fallback answered. */
static int fallback_scope(const struct console_evidence_q *q, const struct console_scope *sc,
                          int64_t from, int64_t to, struct triage_evidence *ev)
{
	sqlite3_stmt *st = q->scope_fallback;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_text(st, 3, sc->provider, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ev->failed_over = sqlite3_column_int64(st, 0);
		ev->n[TM_FALLBACK_SERVING] = sqlite3_column_double(st, 1);
		/* Nothing failed over: no fallback is serving. */
		ev->v[TM_FALLBACK_SERVING] =
		        ev->failed_over > 0 ? ev->n[TM_FALLBACK_SERVING] / (double)ev->failed_over
		                            : 0.0;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* The usual rates of (provider, alias) from its baseline model: 0 with
 * ev->baseline filled, -1 when there is no (decodable) model, or an SQLite
 * code. The model's rates map onto the questions' metrics where they count
 * the same failures over the same requests. */
static int baseline_rates(sqlite3_stmt *st, const char *provider, const char *alias,
                          struct triage_evidence *ev)
{
	sqlite3_bind_text(st, 1, provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, alias, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	int out = -1;
	if (rc == SQLITE_ROW) {
		struct baseline_model *m = malloc(sizeof(*m));
		const void *blob = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		if (m && blob && baseline_model_decode(blob, (size_t)len, m, NULL) == 0) {
			double err = baseline_series_rate(m, BM_AVAILABILITY);
			double rl = baseline_series_rate(m, BM_RATE_LIMIT);
			double inv = baseline_series_rate(m, BM_INVALID_REQUEST);
			double cf = baseline_series_rate(m, BM_CONTENT_FILTER);
			ev->baseline[TM_NON2XX_RATE] = err;
			ev->baseline[TM_RATE_LIMIT_RATE] = rl;
			ev->baseline[TM_OTHER_RATE] = inv + cf;
			snprintf(ev->baseline_of, sizeof(ev->baseline_of), "%s%s%s", provider,
			         alias[0] ? "/" : "", alias);
			out = 0;
		}
		free(m);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? out : rc;
}

/* The first model of the scope's JSON array, or "". */
static void first_model(const struct console_scope *sc, char *buf, size_t size)
{
	json_t *a = sc->models ? json_loads(sc->models, 0, NULL) : NULL;
	const char *m = json_string_value(json_array_get(a, 0));
	snprintf(buf, size, "%s", m ? m : "");
	json_decref(a);
}

/* "anthropic claude-3-5-haiku, template faq". */
static void describe(const struct console_scope *sc, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "%s", sc->provider);
	static const char *const what[2] = { "model", "template" };
	const char *arrays[2] = { sc->models, sc->templates };
	for (int k = 0; k < 2; k++) {
		json_t *a = arrays[k] ? json_loads(arrays[k], 0, NULL) : NULL;
		size_t i;
		json_t *v;
		json_array_foreach (a, i, v) {
			if (n >= size)
				break;
			n += (size_t)snprintf(
			        buf + n, size - n, "%s%s%s %s", i ? "" : ", ", i ? "/" : what[k],
			        i ? "" : (json_array_size(a) > 1 ? "s" : ""), json_string_value(v));
		}
		json_decref(a);
	}
	char clean[sizeof(((struct triage_evidence *)0)->where)];
	sanitize_str(clean, sizeof(clean), buf, 0);
	snprintf(buf, size, "%s", clean);
}

/* The scope's models with the versions its requests named in [from, to):
 * a baseline event names its series' alias ("gemini-2.0-flash"), its
 * requests the versions ("gemini-2.0-flash-001"). *out is malloc'd JSON
 * array text, or NULL (every model) as sc->models is. 0 or an SQLite code. */
static int with_versions(const struct console_evidence_q *q, const struct console_scope *sc,
                         int64_t from, int64_t to, char **out)
{
	*out = NULL;
	json_t *a = sc->models ? json_loads(sc->models, 0, NULL) : NULL;
	if (!a)
		return 0;
	int rc = SQLITE_DONE;
	sqlite3_stmt *st = q->scope_models;
	if (st) {
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, to);
		sqlite3_bind_text(st, 3, sc->provider, -1, SQLITE_TRANSIENT);
		size_t n = json_array_size(a);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *m = (const char *)sqlite3_column_text(st, 0);
			size_t alen = m ? semantic_model_alias_len(m) : 0;
			if (!m || alen == strlen(m))
				continue; /* unversioned: matched as it is */
			for (size_t i = 0; i < n; i++) {
				const char *want = json_string_value(json_array_get(a, i));
				if (want && strlen(want) == alen && strncmp(want, m, alen) == 0) {
					json_array_append_new(a, json_string(m));
					break;
				}
			}
		}
		sqlite3_reset(st);
	}
	*out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (rc != SQLITE_DONE)
		return rc;
	return *out ? 0 : SQLITE_NOMEM;
}

/* The scope's latest baseline event, shown as "p95 6.7 s vs usual 2.9 s
 * (2.4-3.5) for Fri 15:00 UTC, 43 requests" (its detail reads ", usual"). */
static int baseline_seen(const struct console_evidence_q *q, const struct console_scope *sc,
                         int64_t from, int64_t to, struct triage_evidence *ev)
{
	sqlite3_stmt *st = q->scope_bl_evt;
	if (!st)
		return 0;
	bind_scope(st, sc, from, to);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		char sub[40], text[sizeof(ev->baseline_seen)];
		text_col(st, 0, sub, sizeof(sub));
		text_col(st, 1, text, sizeof(text));
		int k = model_subtype_parse(sub, (size_t)-1);
		const char *cut = strstr(text, ", usual ");
		if (k >= 0 && text[0]) {
			ev->baseline_seen_sub = (enum subtype)k;
			ev->baseline_events = sqlite3_column_int64(st, 2);
			if (cut)
				snprintf(ev->baseline_seen, sizeof(ev->baseline_seen), "%.*s vs %s",
				         (int)(cut - text), text, cut + 2);
			else
				snprintf(ev->baseline_seen, sizeof(ev->baseline_seen), "%s", text);
		}
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

int console_evidence_incident(const struct console_evidence_q *q, const struct console_scope *sc,
                              struct triage_evidence *out)
{
	triage_evidence_init(out);
	int64_t from = minute_floor(sc->first_ms);
	int64_t to = minute_floor(sc->last_ms) + MINUTE;
	/* A refresh reads this every second while the incident is selected:
	 * an incident longer than SPAN_MAX_MS is read over its latest part
	 * (the header shows the minutes read). */
	if (to - from > SPAN_MAX_MS)
		from = to - SPAN_MAX_MS;
	model_copy_str(out->scope, sizeof(out->scope), sc->provider, (size_t)-1);
	describe(sc, out->where, sizeof(out->where));
	struct console_scope vs = *sc;
	int rc = with_versions(q, sc, from - HOUR_MS - BL_WINDOW_MS, to, &vs.models);
	if (rc == 0)
		rc = baseline_seen(q, &vs, from, to, out);
	/* A warm baseline's alert judges the window that ends at it (a
	 * quiet hour's alert may have no request in its own minute): the
	 * evidence covers that window too. */
	if (out->baseline_events > 0 && to - from + BL_WINDOW_MS - MINUTE <= SPAN_MAX_MS)
		from -= BL_WINDOW_MS - MINUTE;
	out->from_ms = from;
	out->to_ms = to;
	out->window_ms = to - from;
	if (rc == 0)
		rc = count_scope(q, &vs, from, to, out);
	if (rc == 0)
		rc = fallback_scope(q, &vs, from, to, out);
	/* The reference: the same scope over the hour before. */
	struct triage_evidence before;
	triage_evidence_init(&before);
	if (rc == 0)
		rc = count_scope(q, &vs, from - HOUR_MS, from, &before);
	free(vs.models);
	if (rc != 0)
		return rc;
	out->before_requests = before.requests;
	if (q->baseline) {
		char alias[VG_MODEL_MAX];
		first_model(sc, alias, sizeof(alias));
		rc = alias[0] ? baseline_rates(q->baseline, sc->provider, alias, out) : -1;
		if (rc == -1)
			rc = baseline_rates(q->baseline, sc->provider, "", out);
		if (rc > 0)
			return rc;
	}
	if (before.requests > 0)
		for (int m = 0; m < TM__COUNT; m++)
			if (!isnan(before.n[m]))
				out->before[m] = before.v[m];
	return 0;
}

static char *array_text(json_t *a)
{
	return json_array_size(a) ? json_dumps(a, JSON_COMPACT) : NULL;
}

void console_scope_from_detail(struct console_scope *sc, const char *detail_json)
{
	sc->models = sc->templates = NULL;
	json_t *o = detail_json ? json_loads(detail_json, 0, NULL) : NULL;
	if (!o)
		return;
	json_t *models = json_array();
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(o, "involved"), i, v) {
		const char *p = json_string_value(json_object_get(v, "provider"));
		json_t *m = json_object_get(v, "model");
		if (!json_is_string(m) || !json_string_length(m) || !p ||
		    strcmp(p, sc->provider) != 0)
			continue;
		bool seen = false;
		size_t k;
		json_t *w;
		json_array_foreach (models, k, w)
			seen |= json_equal(w, m);
		if (!seen)
			json_array_append(models, m);
	}
	sc->models = array_text(models);
	json_decref(models);
	if (sc->category != CAT_PROVIDER)
		sc->templates = array_text(json_object_get(o, "templates"));
	json_decref(o);
}

void console_scope_free(struct console_scope *sc)
{
	free(sc->models);
	free(sc->templates);
	sc->models = sc->templates = NULL;
}
