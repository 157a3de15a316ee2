/*
 * console_detail.c: the console's detail of one incident (part of
 * console_read, see console_read.h): its row, timeline, samples of its
 * events' causal signals, the recorded triage paths as steps, and its own
 * evidence for the wizard.
 */
#include "data/console_read_internal.h"

#include "core/incident.h"
#include "core/sanitize.h"
#include "core/semantic.h"
#include "core/triage.h"
#include "core/vgerr.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the open incident's detail ---- */

static void add(char *buf, size_t size, size_t *n, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	if (*n + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w < size - *n ? (size_t)w : size - *n - 1;
}

/* The causal signals of one sampled event, in one line. */
static void causal_line(json_t *ev, char *buf, size_t size)
{
	json_t *c = json_object_get(ev, "causal");
	const char *sub = json_string_value(json_object_get(ev, "subtype"));
	bool latency = sub && strcmp(sub, "latency") == 0;
	size_t n = 0;
	buf[0] = '\0';
#define NUM(k) json_number_value(json_object_get(c, k))
#define HAS(k) (json_object_get(c, k) != NULL)
#define STR(k) json_string_value(json_object_get(c, k))
	if (HAS("http_status"))
		add(buf, size, &n, "status %lld ",
		    (long long)json_integer_value(json_object_get(c, "http_status")));
	if (HAS("transport"))
		add(buf, size, &n, "transport %s ", STR("transport"));
	if (HAS("error_type"))
		add(buf, size, &n, "%s ", STR("error_type"));
	if (HAS("error_code"))
		add(buf, size, &n, "(%s) ", STR("error_code"));
	if (HAS("finish_reason"))
		add(buf, size, &n, "finish %s ", STR("finish_reason"));
	if (HAS("latency_ms")) {
		long long pct =
		        (long long)json_integer_value(json_object_get(c, "latency_percentile"));
		if (pct)
			add(buf, size, &n, "p%lld ", pct);
		add(buf, size, &n, "latency %.0f ms ", NUM("latency_ms"));
		if (HAS("threshold") && latency)
			add(buf, size, &n, "> %.0f ms ", NUM("threshold"));
	}
	/* Other thresholds are in their own signal's unit (a headroom share,
	 * a similarity): shown beside the value they judged. */
	if (HAS("threshold") && HAS("value") && !latency)
		add(buf, size, &n, "value %.3g (threshold %.3g) ", NUM("value"), NUM("threshold"));
	if (HAS("error_rate")) {
		add(buf, size, &n, "error rate %.0f%% ", NUM("error_rate") * 100.0);
		if (HAS("window_count"))
			add(buf, size, &n, "of %lld ",
			    (long long)json_integer_value(json_object_get(c, "window_count")));
	}
	if (HAS("retry_after_ms"))
		add(buf, size, &n, "retry-after %.1fs ", NUM("retry_after_ms") / 1000.0);
	if (HAS("ratelimit_remaining"))
		add(buf, size, &n, "rate-limit remaining %lld ",
		    (long long)json_integer_value(json_object_get(c, "ratelimit_remaining")));
	if (HAS("token_delta_pct"))
		add(buf, size, &n, "tokens %+.0f%% ", NUM("token_delta_pct"));
	long long in = (long long)json_integer_value(json_object_get(c, "input_tokens"));
	long long pred =
	        (long long)json_integer_value(json_object_get(c, "predicted_input_tokens"));
	if (HAS("input_tokens") && HAS("predicted_input_tokens") && in != pred)
		add(buf, size, &n, "(%lld tokens vs %lld predicted) ", in, pred);
	long long retries = (long long)json_integer_value(json_object_get(c, "retry_count"));
	if (retries > 0)
		add(buf, size, &n, "retries %lld ", retries);
	if (HAS("similarity"))
		add(buf, size, &n, "similarity %.2f ", NUM("similarity"));
	if (HAS("doc_age_s"))
		add(buf, size, &n, "doc age %.0fh ", NUM("doc_age_s") / 3600.0);
	if (HAS("detail"))
		add(buf, size, &n, "\"%s\" ", STR("detail"));
#undef NUM
#undef HAS
#undef STR
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	if (n == 0)
		snprintf(buf, size, "(no causal signal recorded)");
}

/* The summary, sanitised; when it does not fit, cut after a whole word with
 * " ..." rather than inside one ("latency 213 m"). */
static void fit_summary(char *dst, size_t size, const char *text)
{
	char clean[SNAP_TEXT_MAX * 4];
	sanitize_str(clean, sizeof(clean), text, 0);
	size_t n = strlen(clean);
	if (n < size) {
		memcpy(dst, clean, n + 1);
		return;
	}
	size_t cut = size - 5; /* room for " ..." and the NUL */
	while (cut > 0 && clean[cut] != ' ')
		cut--;
	snprintf(dst, size, "%.*s ...", (int)(cut ? cut : size - 5), clean);
}

static void read_samples(struct snap_detail *d, struct snap_incident *inc, const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	if (!o)
		return;
	static const char *const which[] = { "first", "worst", "latest" };
	json_t *samples = json_object_get(o, "samples");
	for (int k = 0; k < 3 && d->n_samples < SNAP_MAX_SAMPLES; k++) {
		json_t *ev = json_object_get(samples, which[k]);
		if (!json_is_object(ev))
			continue;
		struct snap_sample *sm = &d->samples[d->n_samples++];
		snprintf(sm->label, sizeof(sm->label), "%s", which[k]);
		sm->time_ms = (int64_t)json_integer_value(json_object_get(ev, "time_ms"));
		char raw[SNAP_TEXT_MAX * 2];
		causal_line(ev, raw, sizeof(raw));
		sanitize_str(sm->text, sizeof(sm->text), raw, 0);
		if (k == 2 && inc) {
			char sum[SNAP_TEXT_MAX * 2];
			snprintf(sum, sizeof(sum), "%s on %s%s%s: %s",
			         model_subtype_name(inc->subtype), inc->provider,
			         inc->model[0] ? "/" : "", inc->model, raw);
			fit_summary(inc->summary, sizeof(inc->summary), sum);
		}
	}
	json_decref(o);
}

static enum snap_tl_kind tl_kind(const char *what)
{
	static const struct {
		const char *what;
		enum snap_tl_kind kind;
	} map[] = {
		{ "opened", SNAP_TL_OPENED },
		{ "escalated", SNAP_TL_ESCALATED },
		{ "acknowledged", SNAP_TL_ACK },
		{ "resolved", SNAP_TL_RESOLVED },
		{ "auto_resolved", SNAP_TL_RESOLVED },
		{ "ticketed", SNAP_TL_NOTIFIED },
		{ "note", SNAP_TL_NOTE },
		{ "related", SNAP_TL_EVENT },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].what, what) == 0)
			return map[i].kind;
	return SNAP_TL_EVENT;
}

int console_read__detail(struct console_read *db, struct snapshot *s, int64_t id)
{
	struct snap_detail *d = &s->detail;
	struct snap_incident *inc = NULL;
	for (int i = 0; i < s->n_incidents; i++)
		if (s->incidents[i].id == id)
			inc = &s->incidents[i];
	sqlite3_stmt *st = db->st[Q_INC_DETAIL];
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	struct console_scope sc = { .category = CAT_PROVIDER };
	bool scoped = false;
	if (rc == SQLITE_ROW) {
		const unsigned char *j = sqlite3_column_text(st, 0);
		if (j)
			read_samples(d, inc, (const char *)j);
		sc.category = (enum category)console_read__col_enum(st, 1, model_category_parse,
		                                                    CAT_PROVIDER);
		console_read__col_str(st, 2, sc.provider, sizeof(sc.provider));
		sc.first_ms = sqlite3_column_int64(st, 3);
		sc.last_ms = sqlite3_column_int64(st, 4);
		scoped = sc.category != CAT_MONITOR;
		if (scoped)
			console_scope_from_detail(&sc, (const char *)j);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && scoped) {
		struct console_evidence_q q = console_read__evidence_q(db);
		rc = console_evidence_incident(&q, &sc, &d->evidence);
		d->has_evidence = rc == 0;
		rc = rc == 0 ? SQLITE_DONE : rc;
	}
	console_scope_free(&sc);
	if (rc != SQLITE_DONE)
		return rc;
	d->incident_id = id;
	st = db->st[Q_INC_HISTORY];
	sqlite3_bind_int64(st, 1, id);
	/* Keep the newest SNAP_MAX_TIMELINE entries: shift when full. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char what[32], actor[64], state[24], sev[16];
		char note[INCIDENT_NOTE_MAX];
		console_read__col_str(st, 1, what, sizeof(what));
		console_read__col_str(st, 2, state, sizeof(state));
		console_read__col_str(st, 3, sev, sizeof(sev));
		console_read__col_str(st, 6, actor, sizeof(actor));
		console_read__col_str(st, 7, note, sizeof(note));
		bool triage = strcmp(what, "note") == 0 &&
		              strncmp(note, TRIAGE_NOTE_PREFIX, strlen(TRIAGE_NOTE_PREFIX)) == 0;
		if (triage) {
			/* Readable steps, one a line, whatever console recorded it. */
			char steps[sizeof(d->triage_path)];
			triage_note_readable(note + strlen(TRIAGE_NOTE_PREFIX), steps,
			                     sizeof(steps));
			snprintf(d->triage_path, sizeof(d->triage_path), "%s%s%s",
			         actor[0] ? "by " : "", actor, actor[0] ? ":\n" : "");
			size_t at = strlen(d->triage_path);
			snprintf(d->triage_path + at, sizeof(d->triage_path) - at, "%s", steps);
		}
		if (d->n_timeline == SNAP_MAX_TIMELINE) {
			memmove(&d->timeline[0], &d->timeline[1],
			        (SNAP_MAX_TIMELINE - 1) * sizeof(d->timeline[0]));
			d->n_timeline--;
		}
		struct snap_timeline *t = &d->timeline[d->n_timeline++];
		t->time_ms = sqlite3_column_int64(st, 0);
		t->kind = tl_kind(what);
		if (strcmp(what, "related") == 0)
			snprintf(t->text, sizeof(t->text), "related to #%lld",
			         (long long)sqlite3_column_int64(st, 5));
		else if (strcmp(what, "escalated") == 0 || strcmp(what, "opened") == 0)
			snprintf(t->text, sizeof(t->text), "%s, %lld event(s)", sev,
			         (long long)sqlite3_column_int64(st, 4));
		else if (triage)
			snprintf(t->text, sizeof(t->text), "%s%striage path recorded (below)",
			         actor, actor[0] ? ": " : "");
		else if (actor[0] || note[0])
			snprintf(t->text, sizeof(t->text), "%s%s%s", actor,
			         actor[0] && note[0] ? ": " : "", note);
		else
			snprintf(t->text, sizeof(t->text), "%s (%s)", what, state);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}
