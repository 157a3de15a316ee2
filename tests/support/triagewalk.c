/*
 * triagewalk.c: see triagewalk.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/triagewalk.h"

#include "core/triage.h"
#include "core/vgerr.h"
#include "data/console_read.h"
#include "tests/support/proc.h"
#include "tests/support/testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const triagewalk_half[TRIAGEWALK_PARTS][6] = {
	{ "calm", "latency-ramp", "silent-update", "injection", "faults", NULL },
	{ "oncall-day", "openai-dec-2024", "google-jun-2025", "anthropic-529-waves", NULL },
	{ "baseline-weeks", NULL }, /* four weeks: tests/soak/test_triage_weeks.c */
};

/* Cut like tests/integration/replay_scenarios.bash cuts them. */
static const char *duration_of(const char *scenario)
{
	static const char *const cut[][2] = { { "calm", "30m" },
		                              { "openai-dec-2024", "55m" },
		                              { "google-jun-2025", "30m" },
		                              { "faults", "5m" } };
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
		if (strcmp(cut[i][0], scenario) == 0)
			return cut[i][1];
	return NULL;
}

static void make_db(const char *dir, const char *scenario, char *db, size_t size)
{
	const char *bin = getenv("VIGIL_BIN");
	assert_non_null(bin);
	char out[512], truth[512], log[512], cfg[512];
	snprintf(out, sizeof(out), "%s/%s.jsonl", dir, scenario);
	snprintf(truth, sizeof(truth), "%s/%s.truth.json", dir, scenario);
	snprintf(log, sizeof(log), "%s/%s.log", dir, scenario);
	/* a scenario's own config where it has one (baseline-weeks: its holiday) */
	snprintf(cfg, sizeof(cfg), "%s/replay/%s.vigil.yaml", VIGIL_TEST_DATA_DIR, scenario);
	if (access(cfg, R_OK) != 0)
		snprintf(cfg, sizeof(cfg), "%s/replay/vigil.yaml", VIGIL_TEST_DATA_DIR);
	snprintf(db, size, "%s/%s.db", dir, scenario);
	const char *dur = duration_of(scenario);
	char *sim[] = { (char *)bin,
		        "sim",
		        "gateway",
		        "--scenario",
		        (char *)scenario,
		        "--speed",
		        "max",
		        "--out",
		        out,
		        "--truth",
		        truth,
		        dur ? "--duration" : NULL,
		        (char *)dur,
		        NULL };
	assert_int_equal(tp_run(sim, NULL, log), 0);
	char *ing[] = { (char *)bin, "ingest", "--db", db, "--config", cfg, out, NULL };
	assert_int_equal(tp_run(ing, NULL, log), 0);
}

/* Walk incident `id` accepting every suggestion; 0 when it ends at its label. */
/* The label of an incident, from its row (the snapshot lists only the
 * latest ones: every incident is walked, whenever it happened). */
struct walk_inc {
	enum category category;
	enum subtype subtype;
	char provider[VG_NAME_MAX], model[VG_MODEL_MAX];
	long long count;
};

static int walk_one(struct console_read *cr, struct snapshot *s, int64_t now, int64_t id,
                    const struct walk_inc *inc, const char *scenario)
{
	if (inc->category == CAT_MONITOR)
		return 0;
	char *cause = NULL;
	assert_int_equal(console_read_build(cr, s, now, id, &cause), 0);
	assert_int_equal(s->detail.incident_id, id);
	assert_true(s->detail.has_evidence);
	struct triage t;
	triage_start_incident(&t, &s->detail.evidence, inc->category, inc->subtype);
	for (int i = 0; i < TRIAGE_MAX_STEPS && !triage_done(&t); i++) {
		if (triage_accept(&t) != 0)
			break; /* no data: the engineer would have to answer */
	}
	char path[600], why[320];
	triage_path_text(&t, path, sizeof(path));
	triage_verdict(&t, why, sizeof(why));
	bool found = false;
	for (int i = 0; i < t.n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(&t, i, &info);
		found |= info.done && info.category == (int)inc->category &&
		         info.subtype == inc->subtype;
	}
	if (getenv("VIGIL_TRIAGE_SHOW")) /* every path, for a human to read */
		printf("%s #%lld %s/%s: %s\n", scenario, (long long)id,
		       model_category_name(inc->category), model_subtype_name(inc->subtype), path);
	if (found && triage_done(&t))
		return 0;
	printf("%s #%lld %s/%s %s/%s (%lld events): %s\n  why: %s\n", scenario, (long long)id,
	       model_category_name(inc->category), model_subtype_name(inc->subtype), inc->provider,
	       inc->model, inc->count, path, why);
	return 1;
}

/* Every file in sim/scenarios is in one half. */
static void check_halves(void)
{
	size_t n = 0;
	char **names = tu_list_dir(VIGIL_SOURCE_DIR "/sim/scenarios", ".yaml", &n);
	assert_true(n >= 5);
	for (size_t k = 0; k < n; k++) {
		names[k][strlen(names[k]) - 5] = '\0';
		bool in = false;
		for (int h = 0; h < TRIAGEWALK_PARTS; h++)
			for (int i = 0; triagewalk_half[h][i]; i++)
				in |= strcmp(triagewalk_half[h][i], names[k]) == 0;
		if (!in)
			fail_msg("scenario %s is in no part of test_triage_scenarios_a/_b, "
			         "test_triage_weeks",
			         names[k]);
	}
	tu_free_list(names, n);
}

void triagewalk_check(int h)
{
	check_halves();
	char *dir = tu_mkdtemp("triage-scen");
	int bad = 0, walked = 0;
	for (int k = 0; triagewalk_half[h][k]; k++) {
		const char *scenario = triagewalk_half[h][k];
		char db[512];
		make_db(dir, scenario, db, sizeof(db));
		sqlite3 *raw;
		assert_int_equal(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		sqlite3_stmt *st;
		assert_int_equal(
		        sqlite3_prepare_v2(raw,
		                           "SELECT id, last_ms, category, subtype, provider, "
		                           "coalesce(model, ''), count FROM incidents ORDER BY id",
		                           -1, &st, NULL),
		        SQLITE_OK);
		struct console_read *cr = NULL;
		char *cause = NULL;
		assert_int_equal(console_read_open(db, &cr, &cause), 0);
		struct snapshot *s = snapshot_new();
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);
			int64_t now = sqlite3_column_int64(st, 1) + 60000;
			struct walk_inc inc;
			const char *c = (const char *)sqlite3_column_text(st, 2);
			const char *sub = (const char *)sqlite3_column_text(st, 3);
			int ci = model_category_parse(c, (size_t)-1);
			int si = model_subtype_parse(sub, (size_t)-1);
			assert_true(ci >= 0 && si >= 0);
			inc.category = (enum category)ci;
			inc.subtype = (enum subtype)si;
			snprintf(inc.provider, sizeof(inc.provider), "%s",
			         (const char *)sqlite3_column_text(st, 4));
			snprintf(inc.model, sizeof(inc.model), "%s",
			         (const char *)sqlite3_column_text(st, 5));
			inc.count = sqlite3_column_int64(st, 6);
			bad += walk_one(cr, s, now, id, &inc, scenario);
			walked++;
		}
		sqlite3_finalize(st);
		sqlite3_close(raw);
		snapshot_free(s);
		console_read_close(cr);
	}
	printf("%d incident(s) walked, %d not at their label\n", walked, bad);
	tu_rmtree(dir);
	free(dir);
	assert_true(walked > 5);
	assert_int_equal(bad, 0);
}
