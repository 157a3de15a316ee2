/*
 * test_console_evidence.c: the triage wizard's evidence about one incident
 * (data/console_evidence through console_read_build's detail) on a
 * database the real pipeline filled (tests/support/consoledb): every number
 * a step of the walk shows equals a count over the incident's scope that
 * this test computes with its own SQL; an incident whose label its evidence
  * contradicts ends at what the evidence says and says why; a path an older
 * console recorded as JSON reads as steps in the detail; a baseline model
 * shows beside the hour before, an incident a warm baseline raised has its
 * alias's requests and the baseline's comparison, and a database without
 * baselines opens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/baseline.h"
#include "core/triage.h"
#include "core/vgerr.h"
#include "data/console_read.h"
#include "tests/support/consoledb.h"
#include "tests/support/testutil.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END_MS 1795773600000LL

struct fx {
	char *dir;
	char path[512];
	struct consoledb_result r;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = tu_mkdtemp("evidb");
	snprintf(f->path, sizeof(f->path), "%s/vigil.db", f->dir);
	struct consoledb_opts o = {
		.observations = 30000,
		.span_ms = 2 * 3600000LL,
		.end_ms = END_MS,
		.seed = 11,
		.background_error_rate = 0.02,
		.health_every_ms = 5000,
	};
	assert_int_equal(consoledb_fill(f->path, &o, &f->r), 0);
	assert_true(f->r.outage_incident > 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static double sql_num(sqlite3 *db, const char *q)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(db));
	double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : NAN;
	sqlite3_finalize(st);
	return v;
}

static void exec(sqlite3 *db, const char *q)
{
	char *err = NULL;
	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
}

/* A copy of incident `from` as incident `id`, with its category and
 * subtype and its first time given as SQL over the original row. */
static void copy_incident(sqlite3 *db, int64_t from, int id, const char *cat_sub, const char *first)
{
	char q[768];
	snprintf(q, sizeof(q),
	         "INSERT INTO incidents (id, key, category, subtype, provider, model, severity, "
	         "state, count, first_ms, last_ms, detail) SELECT %d, key, %s, provider, model, "
	         "severity, state, count, %s, last_ms, detail FROM incidents WHERE id = %lld",
	         id, cat_sub, first, (long long)from);
	exec(db, q);
}

/* The failure subtypes behind each metric, as the chapter's tree reads
 * them: this test's own table, not core/triage's. */
static const char *subtypes_of(enum triage_metric m)
{
	switch (m) {
	case TM_HARD_FAIL_RATE:
		return "'dns','connect','tls','timeout','reset','server_error','overloaded','auth'";
	case TM_RATE_LIMIT_RATE: return "'rate_limit'";
	case TM_QUOTA_RATE: return "'quota_exhausted','spend_cap'";
	case TM_TRUNCATION_RATE: return "'truncation'";
	case TM_OTHER_RATE: return "'invalid_request','content_filter','provider_other'";
	case TM_SLOW_RATE: return "'latency'";
	case TM_FLAPS: return "'oscillation'";
	case TM_SCHEMA_INVALID_RATE: return "'format_violation'";
	case TM_HALLUCINATION_RATE: return "'hallucination'";
	case TM_REGRESSION_RATE: return "'regression','coherence'";
	case TM_TOKEN_INFLATION_RATE: return "'token_inflation'";
	case TM_RETRY_STORM_RATE: return "'retry_storm'";
	case TM_CONTEXT_STUFFING_RATE: return "'context_stuffing'";
	case TM_INJECTION_RATE: return "'prompt_injection'";
	case TM_PII_RATE: return "'pii_leak'";
	case TM_JAILBREAK_RATE: return "'jailbreak','extraction'";
	case TM_DATA_RATE: return "'stale_context','embedding_drift'";
	case TM_STALE_RATE: return "'stale_context'";
	case TM_DRIFT_RATE: return "'embedding_drift'";
	default: return NULL;
	}
}

/* An incident's scope as SQL conditions, from its row: provider, the
 * models it involved, its templates (not for a provider incident), the
 * minutes it spans. */
struct scope {
	char where[2048]; /* "provider = 'x' AND model IN (...) AND template IN (...)" */
	long long from, to;
	char category[24], subtype[40], provider[48];
};

static void scope_of(sqlite3 *db, int64_t id, struct scope *sc)
{
	sqlite3_stmt *st;
	char q[128];
	snprintf(q, sizeof(q),
	         "SELECT provider, category, subtype, first_ms, last_ms, detail FROM incidents "
	         "WHERE id = %lld",
	         (long long)id);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *prov = (const char *)sqlite3_column_text(st, 0);
	snprintf(sc->provider, sizeof(sc->provider), "%s", prov);
	snprintf(sc->category, sizeof(sc->category), "%s", sqlite3_column_text(st, 1));
	snprintf(sc->subtype, sizeof(sc->subtype), "%s", sqlite3_column_text(st, 2));
	long long first = sqlite3_column_int64(st, 3), last = sqlite3_column_int64(st, 4);
	sc->from = first / 60000 * 60000;
	sc->to = last / 60000 * 60000 + 60000;
	json_t *d = json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL);
	assert_non_null(d);
	size_t n = (size_t)snprintf(sc->where, sizeof(sc->where), "provider = '%s'", prov);
	char list[1024] = "";
	size_t ln = 0, i;
	json_t *v;
	json_array_foreach (json_object_get(d, "involved"), i, v) {
		const char *p = json_string_value(json_object_get(v, "provider"));
		const char *m = json_string_value(json_object_get(v, "model"));
		if (!m || !*m || strcmp(p, prov) != 0 || strstr(list, m))
			continue;
		ln += (size_t)snprintf(list + ln, sizeof(list) - ln, "%s'%s'", ln ? "," : "", m);
	}
	if (ln)
		n += (size_t)snprintf(sc->where + n, sizeof(sc->where) - n, " AND model IN (%s)",
		                      list);
	ln = 0;
	list[0] = '\0';
	json_array_foreach (json_object_get(d, "templates"), i, v)
		ln += (size_t)snprintf(list + ln, sizeof(list) - ln, "%s'%s'", ln ? "," : "",
		                       json_string_value(v));
	if (ln && strcmp(sc->category, "provider") != 0)
		snprintf(sc->where + n, sizeof(sc->where) - n, " AND template IN (%s)", list);
	json_decref(d);
	sqlite3_finalize(st);
}

/* What a metric counts over [from, to) in the scope, by this test's SQL. */
static double count_of(sqlite3 *db, const struct scope *sc, enum triage_metric m, long long from,
                       long long to)
{
	char q[4096];
	if (m == TM_NON2XX_RATE)
		snprintf(q, sizeof(q),
		         "SELECT count(*) FROM observations WHERE ts_ms >= %lld AND ts_ms < %lld "
		         "AND %s AND NOT (coalesce(http_status, 0) BETWEEN 200 AND 299 AND "
		         "transport_error IS NULL)",
		         from, to, sc->where);
	else if (m == TM_FALLBACK_SERVING)
		snprintf(q, sizeof(q),
		         "SELECT count(*) FROM observations WHERE ts_ms >= %lld AND ts_ms < %lld "
		         "AND selection = 'fallback' AND provider != '%s' AND http_status "
		         "BETWEEN 200 AND 299 AND transport_error IS NULL",
		         from, to, sc->provider);
	else
		snprintf(q, sizeof(q),
		         "SELECT count(*) FROM failure_events WHERE time_ms >= %lld AND time_ms < "
		         "%lld AND %s AND subtype IN (%s)",
		         from, to, sc->where, subtypes_of(m));
	return sql_num(db, q);
}

static double requests_of(sqlite3 *db, const struct scope *sc, long long from, long long to)
{
	char q[4096];
	snprintf(q, sizeof(q),
	         "SELECT count(*) FROM observations WHERE ts_ms >= %lld AND ts_ms < %lld AND %s",
	         from, to, sc->where);
	return sql_num(db, q);
}

/* Walk one incident accepting every suggestion; check every step's numbers. */
static int check_incident(sqlite3 *db, struct console_read *cr, struct snapshot *s, int64_t id)
{
	char *cause = NULL;
	assert_int_equal(console_read_build(cr, s, END_MS + 60000, id, &cause), 0);
	const struct snap_incident *inc = snapshot_find_incident(s, id);
	if (!inc || inc->category == CAT_MONITOR)
		return 0;
	assert_true(s->detail.has_evidence);
	struct scope sc;
	scope_of(db, id, &sc);
	const struct triage_evidence *ev = &s->detail.evidence;
	assert_int_equal(ev->from_ms, sc.from);
	assert_int_equal(ev->to_ms, sc.to);
	double req = requests_of(db, &sc, sc.from, sc.to);
	assert_true(req > 0);
	assert_int_equal(ev->requests, (int64_t)req);
	double before_req = requests_of(db, &sc, sc.from - 3600000, sc.from);
	assert_int_equal(ev->before_requests, (int64_t)before_req);
	struct triage t;
	triage_start_incident(&t, ev, inc->category, inc->subtype);
	for (int k = 0; k < TRIAGE_MAX_STEPS && !triage_done(&t); k++) {
		struct triage_question q;
		assert_int_equal(triage_question(&t, &q), 0);
		double cnt = count_of(db, &sc, q.metric, sc.from, sc.to);
		if (q.metric == TM_FLAPS) {
			assert_true(fabs(q.value - cnt) < 1e-9);
		} else if (q.metric == TM_FALLBACK_SERVING) {
			char fq[512];
			snprintf(
			        fq, sizeof(fq),
			        "SELECT count(*) FROM observations WHERE ts_ms >= %lld AND ts_ms < "
			        "%lld AND selection = 'fallback' AND provider != '%s'",
			        sc.from, sc.to, inc->provider);
			double over = sql_num(db, fq);
			assert_int_equal(ev->failed_over, (int64_t)over);
			assert_true(fabs(ev->n[TM_FALLBACK_SERVING] - cnt) < 1e-9);
			/* The text the engineer reads carries the same two numbers. */
			char want[64];
			snprintf(want, sizeof(want), "%.0f of %.0f requests", cnt, over);
			assert_non_null(strstr(q.evidence, want));
		} else {
			double rate = cnt / req > 1.0 ? 1.0 : cnt / req;
			assert_true(fabs(q.value - rate) < 1e-9);
			char want[64];
			snprintf(want, sizeof(want), "%.0f of %.0f requests", cnt, req);
			if (!strstr(q.evidence, want))
				fail_msg("#%lld %s: '%s' lacks '%s'", (long long)id, q.node_id,
				         q.evidence, want);
			/* The hour before, by the same count. */
			if (before_req > 0) {
				double b = count_of(db, &sc, q.metric, sc.from - 3600000, sc.from);
				double br = b / before_req > 1.0 ? 1.0 : b / before_req;
				assert_true(fabs(ev->before[q.metric] - br) < 1e-9);
			}
		}
		if (getenv("VIGIL_TRIAGE_SHOW"))
			printf("#%lld %s: %s\n", (long long)id, q.node_id, q.evidence);
		if (triage_accept(&t) != 0)
			break;
	}
	/* The recorded steps keep those numbers. */
	for (int k = 0; k < t.n_steps; k++) {
		char e[160];
		triage_step_evidence(&t, k, e, sizeof(e));
		assert_true(strlen(e) > 0);
	}
	return 1;
}

static void test_numbers_are_counts_over_the_scope(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	struct console_read *cr = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &cr, &cause), 0);
	struct snapshot *s = snapshot_new();
	int checked = 0;
	int64_t n = (int64_t)sql_num(db, "SELECT max(id) FROM incidents");
	for (int64_t id = 1; id <= n; id++)
		checked += check_incident(db, cr, s, id);
	assert_true(checked >= 3);
	snapshot_free(s);
	console_read_close(cr);
	sqlite3_close(db);
}

/* Labelled quality/hallucination, its scope all 5xx: the walk goes on
 * through the whole screening, ends at the provider's hard failures (the
 * most frequent in the scope) and says why. */
static void test_contradicted_label(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	copy_incident(db, f->r.outage_incident, 9000, "'quality', 'hallucination'", "first_ms");
	struct scope sc;
	scope_of(db, 9000, &sc);
	char cq[4096];
	snprintf(cq, sizeof(cq),
	         "SELECT count(*) FROM failure_events WHERE time_ms >= %lld AND time_ms < %lld AND "
	         "%s AND subtype = 'hallucination'",
	         sc.from, sc.to, sc.where);
	assert_true(sql_num(db, cq) == 0); /* its own signal is not there */
	char top[40];
	snprintf(cq, sizeof(cq),
	         "SELECT subtype FROM failure_events WHERE time_ms >= %lld AND time_ms < %lld AND "
	         "%s AND category = 'provider' GROUP BY subtype ORDER BY count(*) DESC LIMIT 1",
	         sc.from, sc.to, sc.where);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, cq, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(top, sizeof(top), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);

	struct console_read *cr = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &cr, &cause), 0);
	struct snapshot *s = snapshot_new();
	assert_int_equal(console_read_build(cr, s, END_MS + 60000, 9000, &cause), 0);
	assert_true(s->detail.has_evidence);
	struct triage t;
	triage_start_incident(&t, &s->detail.evidence, CAT_QUALITY, SUB_HALLUCINATION);
	struct triage_question qu;
	assert_int_equal(triage_question(&t, &qu), 0);
	assert_string_equal(qu.node_id, "screening.content"); /* its own branch first */
	assert_int_equal(qu.suggested, TA_NO);
	while (!triage_done(&t))
		assert_int_equal(triage_accept(&t), 0);
	bool provider = false, quality = false;
	for (int i = 0; i < t.n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(&t, i, &info);
		if (info.category == CAT_PROVIDER &&
		    strcmp(model_subtype_name(info.subtype), top) == 0)
			provider = true;
		quality |= info.category == CAT_QUALITY;
	}
	assert_true(provider);
	assert_false(quality);
	char why[320], path[600];
	triage_verdict(&t, why, sizeof(why));
	assert_non_null(strstr(why, "labelled quality/hallucination, but its own signal is not in "
	                            "its scope (hallucination screen failures 0 of"));
	char says[64];
	snprintf(says, sizeof(says), "the evidence says provider/%s", top);
	assert_non_null(strstr(why, says));
	triage_path_text(&t, path, sizeof(path));
	assert_non_null(
	        strstr(path, "(not quality/hallucination: its signal is not in its scope)"));
	snapshot_free(s);
	console_read_close(cr);
}

/* The detail shows recorded paths as steps: the one-line form, and the
 * JSON an older console recorded (here cut at the note's 512 bytes). */
static void test_recorded_paths_read_as_steps(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	long long id = (long long)f->r.outage_incident;
	char q[1400];
	const char *old =
	        "triage: {\"scope\":\"openai\",\"steps\":[{\"thread\":\"screening\","
	        "\"node\":\"screening.status\",\"question\":\"Are requests failing "
	        "with a non-2xx status, or no HTTP answer at all?\",\"evidence\":"
	        "\"non-2xx: 4.8%\",\"suggested\":\"no\",\"answer\":\"no\","
	        "\"overridden\":false},{\"thread\":\"screening\",\"node\":"
	        "\"screening.schema\",\"question\":\"Do 2xx answers fail schema "
	        "validation?\",\"evidence\":\"schema-invalid 2xx answers: 0%\","
	        "\"suggested\":\"no\",\"answer\":\"no\",\"overridden\":false},{\"thread\":"
	        "\"screening\",\"node\":\"screening.content\",\"question\":\"Is the sch";
	snprintf(
	        q, sizeof(q),
	        "INSERT INTO incident_history (incident_id, time_ms, what, state, severity, count, "
	        "actor, note) VALUES (%lld, %lld, 'note', 'open', 'high', 1, 'dave', '%s')",
	        id, END_MS, old);
	exec(db, q);
	sqlite3_close(db);
	struct console_read *cr = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &cr, &cause), 0);
	struct snapshot *s = snapshot_new();
	assert_int_equal(console_read_build(cr, s, END_MS + 60000, id, &cause), 0);
	const char *p = s->detail.triage_path;
	assert_null(strchr(p, '{'));
	assert_null(strstr(p, "\"node\""));
	assert_non_null(strstr(p, "by dave:\n1. Are requests failing with a non-2xx status, or no "
	                          "HTTP answer at all? no: non-2xx: 4.8%\n2. Do 2xx answers fail "
	                          "schema validation? no: schema-invalid 2xx answers: 0%"));
	assert_non_null(strstr(p, "cut short"));
	/* The timeline names it without the JSON either. */
	bool seen = false;
	for (int i = 0; i < s->detail.n_timeline; i++) {
		assert_null(strchr(s->detail.timeline[i].text, '{'));
		seen |= strstr(s->detail.timeline[i].text, "triage path recorded") != NULL;
	}
	assert_true(seen);
	snapshot_free(s);
	console_read_close(cr);
}

/* Against the baseline where one exists: the provider's model says 1.2%
 * of its requests usually fail; the first question shows it beside the
 * hour before. */
static void test_baseline_beside_the_hour_before(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	struct scope sc;
	scope_of(db, f->r.outage_incident, &sc);
	struct baseline_model *m = calloc(1, sizeof(*m));
	struct rollup_series key = { .source = OBS_GATEWAY };
	snprintf(key.provider, sizeof(key.provider), "%s", sc.provider);
	baseline_model_init(m, &key);
	m->cnt[BC_REQ].total = 1000;
	for (int r = 0; r < BL_RATES; r++)
		m->rate[r].total = 3 + r; /* a different rate for each metric */
	double usual = baseline_series_rate(m, BM_AVAILABILITY);
	assert_true(usual > 0.001 && usual < 0.02);
	size_t size = baseline_blob_size(m);
	uint8_t *blob = malloc(size);
	assert_true(baseline_model_encode(m, blob, size) > 0);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "INSERT INTO baseline_models (provider, alias, source, "
	                                    "refreshes, review, updated_ms, model) VALUES (?1, '', "
	                                    "'gateway', 1, 0, 0, ?2)",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, sc.provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, blob, (int)size, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(blob);

	struct console_read *cr = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &cr, &cause), 0);
	struct snapshot *s = snapshot_new();
	assert_int_equal(console_read_build(cr, s, END_MS + 60000, f->r.outage_incident, &cause),
	                 0);
	const struct triage_evidence *ev = &s->detail.evidence;
	assert_true(fabs(ev->baseline[TM_NON2XX_RATE] - usual) < 1e-12);
	assert_true(fabs(ev->baseline[TM_RATE_LIMIT_RATE] -
	                 baseline_series_rate(m, BM_RATE_LIMIT)) < 1e-12);
	assert_string_equal(ev->baseline_of, sc.provider);
	/* The whole tree's first question (non-2xx) shows it. */
	struct triage t;
	triage_start(&t, ev);
	struct triage_question q;
	assert_int_equal(triage_question(&t, &q), 0);
	char want[96], pct[24];
	triage_metric_format(TM_NON2XX_RATE, usual, pct, sizeof(pct));
	snprintf(want, sizeof(want), "baseline (%s): %s", sc.provider, pct);
	if (!strstr(q.reference, want))
		fail_msg("'%s' lacks '%s'", q.reference, want);
	free(m);
	snapshot_free(s);
	console_read_close(cr);
}

/* An incident a warm baseline raised: its event names the series' alias
 * ("gemini-2.0-flash"), its requests the versions; under the static bar,
 * the latency question's evidence is its own alert, shown as the baseline
 * compares ("p95 6.7 s vs usual 2.9 s (2.4-3.5) ..."), over the window
 * the alert judged (the six minutes ending at it). */
static void test_baseline_latency_incident(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	const long long t0 = END_MS - 40 * 60000LL; /* a minute's start */
	char q[1024];
	static const struct {
		int min_before;
		const char *model;
	} req[] = {
		{ 5, "gemini-2.0-flash-001" },      { 4, "gemini-2.0-flash-001" },
		{ 2, "gemini-2.0-flash-002" },      { 0, "gemini-2.0-flash-001" },
		{ 0, "gemini-2.0-flash-002" },      { 3, "gemini-2.0-flash-lite-001" },
		{ 0, "gemini-2.0-flash-lite-001" }, { 9, "gemini-2.0-flash-001" },
	};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		snprintf(
		        q, sizeof(q),
		        "INSERT INTO observations (ts_ms, request_id, attempt, source, provider, "
		        "model, http_status) VALUES (%lld, 'bl-%zu', 1, 'gateway', 'google', '%s', "
		        "200)",
		        t0 - req[i].min_before * 60000LL + 1000 * (long long)i, i, req[i].model);
		exec(db, q);
	}
	const char *causal = "{\"latency_ms\":6700,\"latency_percentile\":95,"
	                     "\"window_count\":43,\"baseline_expected\":2900,"
	                     "\"baseline_lo\":2400,\"baseline_hi\":3500,\"detail\":\"p95 6.7 s, "
	                     "usual 2.9 s (2.4-3.5) for Fri 15:00 UTC, 43 requests\"}";
	snprintf(q, sizeof(q),
	         "INSERT INTO failure_events (event_id, time_ms, category, subtype, severity, "
	         "provider, model, detail) VALUES (9100, %lld, 'provider', 'latency', 'low', "
	         "'google', 'gemini-2.0-flash', '{\"causal\":%s}')",
	         t0 + 30000, causal);
	exec(db, q);
	snprintf(q, sizeof(q),
	         "INSERT INTO incidents (id, key, category, subtype, provider, model, severity, "
	         "state, count, first_ms, last_ms, detail) VALUES (9100, "
	         "'provider/google/latency', 'provider', 'latency', 'google', "
	         "'gemini-2.0-flash', 'low', 'resolved', 1, %lld, %lld, "
	         "'{\"involved\":[{\"provider\":\"google\",\"model\":\"gemini-2.0-flash\"}]}')",
	         t0 + 30000, t0 + 30000);
	exec(db, q);
	const long long from = t0 - 5 * 60000LL, to = t0 + 60000;
	snprintf(q, sizeof(q),
	         "SELECT count(*) FROM observations WHERE ts_ms >= %lld AND ts_ms < %lld AND "
	         "provider = 'google' AND model IN ('gemini-2.0-flash-001', "
	         "'gemini-2.0-flash-002')",
	         from, to);
	double want_req = sql_num(db, q);
	snprintf(q, sizeof(q),
	         "SELECT count(*) FROM failure_events WHERE time_ms >= %lld AND time_ms < %lld "
	         "AND provider = 'google' AND model = 'gemini-2.0-flash' AND subtype = 'latency'",
	         from, to);
	double want_slow = sql_num(db, q);
	sqlite3_close(db);
	assert_true(want_req == 5.0 && want_slow == 1.0); /* the rows above, the lite excluded */

	struct console_read *cr = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &cr, &cause), 0);
	struct snapshot *s = snapshot_new();
	assert_int_equal(console_read_build(cr, s, END_MS + 60000, 9100, &cause), 0);
	assert_true(s->detail.has_evidence);
	const struct triage_evidence *ev = &s->detail.evidence;
	assert_int_equal(ev->from_ms, from);
	assert_int_equal(ev->to_ms, to);
	assert_int_equal(ev->requests, (int64_t)want_req);
	assert_true(fabs(ev->n[TM_SLOW_RATE] - want_slow) < 1e-9);
	assert_int_equal(ev->baseline_events, 1);
	struct triage t;
	triage_start_incident(&t, ev, CAT_PROVIDER, SUB_LATENCY);
	struct triage_question tq;
	assert_int_equal(triage_question(&t, &tq), 0);
	assert_string_equal(tq.node_id, "provider.latency");
	char want[96];
	snprintf(want, sizeof(want), "%.0f of %.0f requests", want_slow, want_req);
	if (!strstr(tq.evidence, want) ||
	    !strstr(tq.evidence, "p95 6.7 s vs usual 2.9 s (2.4-3.5) for Fri 15:00 UTC"))
		fail_msg("'%s' lacks '%s' or the baseline's comparison", tq.evidence, want);
	assert_int_equal(tq.suggested, TA_YES);
	while (!triage_done(&t))
		assert_int_equal(triage_accept(&t), 0);
	struct triage_thread_info info;
	assert_int_equal(triage_thread_info(&t, 0, &info), 0);
	assert_int_equal(info.category, CAT_PROVIDER);
	assert_int_equal(info.subtype, SUB_LATENCY);
	snapshot_free(s);
	console_read_close(cr);
}

/* An incident longer than six hours is read over its latest six. */
static void test_long_incident_reads_its_latest_hours(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	copy_incident(db, f->r.outage_incident, 9001, "category, subtype", "last_ms - 8 * 3600000");
	struct scope sc;
	scope_of(db, 9001, &sc);
	long long from = sc.to - 6 * 3600000LL;
	double req = requests_of(db, &sc, from, sc.to);
	sqlite3_close(db);
	struct console_read *cr = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &cr, &cause), 0);
	struct snapshot *s = snapshot_new();
	assert_int_equal(console_read_build(cr, s, END_MS + 60000, 9001, &cause), 0);
	assert_int_equal(s->detail.evidence.to_ms, sc.to);
	assert_int_equal(s->detail.evidence.from_ms, from);
	assert_true(sc.from < from);
	assert_int_equal(s->detail.evidence.requests, (int64_t)req);
	snapshot_free(s);
	console_read_close(cr);
}

/* A database from before baselines (schema 3, no baseline_models) still opens: its
 * incidents have their evidence, without a baseline. Last: it drops the
 * table from the fixture. */
static void test_database_without_baselines(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	exec(db, "DROP TABLE baseline_models");
	exec(db, "PRAGMA user_version = 3"); /* as such a database says */
	sqlite3_close(db);
	struct console_read *cr = NULL;
	char *cause = NULL;
	assert_int_equal(console_read_open(f->path, &cr, &cause), 0);
	struct snapshot *s = snapshot_new();
	assert_int_equal(console_read_build(cr, s, END_MS + 60000, f->r.outage_incident, &cause),
	                 0);
	assert_true(s->detail.has_evidence);
	assert_true(s->detail.evidence.requests > 0);
	assert_true(isnan(s->detail.evidence.baseline[TM_NON2XX_RATE]));
	assert_string_equal(s->detail.evidence.baseline_of, "");
	snapshot_free(s);
	console_read_close(cr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_are_counts_over_the_scope),
		cmocka_unit_test(test_contradicted_label),
		cmocka_unit_test(test_recorded_paths_read_as_steps),
		cmocka_unit_test(test_baseline_beside_the_hour_before),
		cmocka_unit_test(test_long_incident_reads_its_latest_hours),
		cmocka_unit_test(test_baseline_latency_incident),
		cmocka_unit_test(test_database_without_baselines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
