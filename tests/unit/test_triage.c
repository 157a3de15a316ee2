/*
 * test_triage.c: the triage wizard's tree and walk (core/triage): the
 * tree's branches with live evidence, suggestions and overrides, the
 * overlapping threads (tokens high -> cost and security), undo, focus, the
 * recorded path, and an exhaustive walk of every yes/no combination that
 * checks every finding is reachable and has its runbook section on disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/runbook.h"
#include "core/triage.h"
#include "core/vgerr.h"
#include "tests/support/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void zero_evidence(struct triage_evidence *ev)
{
	triage_evidence_init(ev);
	for (int i = 0; i < TM__COUNT; i++)
		ev->v[i] = 0.0;
	ev->requests = 1000;
}

static const char *ask(const struct triage *t, struct triage_question *q)
{
	assert_int_equal(triage_question(t, q), 0);
	return q->node_id;
}

static void test_outage_without_fallback(void **state)
{
	(void)state;
	struct triage_evidence ev;
	zero_evidence(&ev);
	ev.v[TM_NON2XX_RATE] = 0.38;
	ev.v[TM_HARD_FAIL_RATE] = 0.35;
	ev.v[TM_FALLBACK_SERVING] = 0.10;
	struct triage t;
	struct triage_question q;
	triage_start(&t, &ev);
	assert_string_equal(ask(&t, &q), "screening.status");
	assert_string_equal(q.evidence, "non-2xx in the last 5 min: 38%");
	assert_int_equal(q.suggested, TA_YES);
	assert_int_equal(triage_accept(&t), 0);
	/* The provider branch is asked next (depth first). */
	assert_string_equal(ask(&t, &q), "provider.hard");
	assert_string_equal(q.branch, "provider");
	assert_int_equal(t.n_threads, 2);
	assert_int_equal(triage_accept(&t), 0);
	assert_string_equal(ask(&t, &q), "provider.fallback");
	assert_int_equal(q.suggested, TA_NO);
	assert_int_equal(triage_accept(&t), 0);
	/* Back to screening. */
	assert_string_equal(ask(&t, &q), "screening.schema");
	assert_int_equal(q.suggested, TA_NO);
	while (!triage_done(&t))
		assert_int_equal(triage_accept(&t), 0);
	struct triage_thread_info info;
	assert_int_equal(triage_thread_info(&t, 1, &info), 0);
	assert_true(info.done);
	assert_int_equal(info.category, CAT_PROVIDER);
	assert_string_equal(info.finding, "hard failures, no healthy fallback (CRITICAL)");
	assert_string_equal(info.runbook, "docs/runbooks/provider.md");
	char path[512];
	triage_path_text(&t, path, sizeof(path));
	assert_non_null(strstr(
	        path,
	        "non-2xx? yes (38%) > hard failures? yes (35%) > healthy fallback? no (10%)"));
	assert_non_null(strstr(path, "=> provider/server_error"));
	assert_int_equal(triage_answer(&t, TA_YES), VG_ESTATE);
}

/* The injection scenario: an injection attack, cost spike with quality loss. */
static void test_injection_opens_cost_and_security(void **state)
{
	(void)state;
	struct triage_evidence ev;
	zero_evidence(&ev);
	ev.v[TM_NON2XX_RATE] = 0.01;
	ev.v[TM_HALLUCINATION_RATE] = 0.12;
	ev.v[TM_TOKEN_INFLATION_RATE] = 0.30;
	ev.v[TM_INJECTION_RATE] = 0.08;
	struct triage t;
	struct triage_question q;
	triage_start(&t, &ev);
	const char *expect[] = { "screening.status",   "screening.schema",   "screening.content",
		                 "quality.regression", "screening.tokens",   "cost.retry",
		                 "cost.stuffing",      "security.injection", "screening.context" };
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_string_equal(ask(&t, &q), expect[i]);
		if (strcmp(expect[i], "cost.retry") == 0) {
			/* Both branches are open at once. */
			struct triage_thread_info a, b;
			triage_thread_info(&t, t.active, &a);
			triage_thread_info(&t, t.active + 1, &b);
			assert_string_equal(a.branch, "cost");
			assert_string_equal(b.branch, "security");
			assert_false(a.done);
			assert_false(b.done);
		}
		assert_int_equal(triage_accept(&t), 0);
	}
	assert_true(triage_done(&t));
	int found[CAT__COUNT] = { 0 };
	for (int i = 1; i < t.n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(&t, i, &info);
		assert_true(info.done);
		if (info.category >= 0)
			found[info.category]++;
	}
	assert_int_equal(found[CAT_QUALITY], 1);
	assert_int_equal(found[CAT_COST], 1);
	assert_int_equal(found[CAT_SECURITY], 1);
	assert_int_equal(found[CAT_PROVIDER], 0);
	char path[1024];
	triage_path_text(&t, path, sizeof(path));
	assert_non_null(strstr(path, "quality/hallucination"));
	assert_non_null(strstr(path, "cost/token_inflation"));
	assert_non_null(strstr(path, "security/prompt_injection"));
}

static void test_override_and_path_json(void **state)
{
	(void)state;
	struct triage_evidence ev;
	zero_evidence(&ev);
	ev.v[TM_NON2XX_RATE] = 0.38;
	snprintf(ev.scope, sizeof(ev.scope), "openai");
	struct triage t;
	triage_start(&t, &ev);
	/* The engineer disagrees with the suggestion. */
	assert_int_equal(triage_answer(&t, TA_NO), 0);
	assert_int_equal(t.n_threads, 1);
	json_t *j = triage_path_json(&t);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "scope")), "openai");
	json_t *s0 = json_array_get(json_object_get(j, "steps"), 0);
	assert_string_equal(json_string_value(json_object_get(s0, "node")), "screening.status");
	assert_string_equal(json_string_value(json_object_get(s0, "suggested")), "yes");
	assert_string_equal(json_string_value(json_object_get(s0, "answer")), "no");
	assert_true(json_is_true(json_object_get(s0, "overridden")));
	assert_string_equal(json_string_value(json_object_get(s0, "evidence")), "non-2xx: 38%");
	assert_true(json_is_false(json_object_get(j, "complete")));
	json_decref(j);
	assert_int_equal(triage_answer(&t, (enum triage_answer)7), VG_EINVAL);
}

static void test_no_data_means_no_suggestion(void **state)
{
	(void)state;
	struct triage t;
	struct triage_question q;
	triage_start(&t, NULL);
	assert_int_equal(triage_question(&t, &q), 0);
	assert_int_equal(q.suggested, TA_NONE);
	assert_string_equal(q.evidence, "non-2xx in the last 5 min: no data");
	assert_int_equal(triage_accept(&t), VG_ENOTFOUND);
	assert_int_equal(t.n_steps, 0);
	/* Live numbers arrive while the question is open. */
	struct triage_evidence ev;
	zero_evidence(&ev);
	ev.v[TM_NON2XX_RATE] = 0.004;
	triage_update_evidence(&t, &ev);
	triage_question(&t, &q);
	assert_int_equal(q.suggested, TA_NO);
	assert_string_equal(q.evidence, "non-2xx in the last 5 min: 0.4%");
}

static void test_back_and_focus(void **state)
{
	(void)state;
	struct triage_evidence ev;
	zero_evidence(&ev);
	struct triage t;
	struct triage_question q;
	triage_start(&t, &ev);
	assert_int_equal(triage_back(&t), VG_ESTATE);
	assert_int_equal(triage_answer(&t, TA_YES), 0); /* opens provider */
	assert_int_equal(t.n_threads, 2);
	assert_int_equal(triage_back(&t), 0);
	assert_int_equal(t.n_threads, 1);
	assert_int_equal(t.n_steps, 0);
	assert_string_equal(ask(&t, &q), "screening.status");

	/* Open cost and security at once, then switch between them. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(triage_answer(&t, TA_NO), 0);
	assert_string_equal(ask(&t, &q), "screening.tokens");
	assert_int_equal(triage_answer(&t, TA_YES), 0);
	assert_string_equal(ask(&t, &q), "cost.retry");
	int cost = t.active, sec = t.active + 1;
	assert_int_equal(triage_focus(&t, sec), 0);
	assert_string_equal(ask(&t, &q), "security.injection");
	assert_int_equal(triage_answer(&t, TA_YES), 0); /* security done */
	/* Focus goes to the latest thread still asking: cost. */
	assert_int_equal(t.active, cost);
	assert_int_equal(triage_focus(&t, sec), VG_EINVAL);
	assert_int_equal(triage_focus(&t, 99), VG_EINVAL);
	/* Undo the security answer: security asks again, cost keeps its place. */
	assert_int_equal(triage_back(&t), 0);
	assert_int_equal(t.active, sec);
	assert_string_equal(ask(&t, &q), "security.injection");
	assert_false(t.threads[cost].done);
}

/* Every combination of answers: each walk ends, and every finding is reached. */
struct reach {
	char seen[64][64];
	int n;
	int walks;
	int max_steps;
};

static void note(struct reach *r, const char *what)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->seen[i], what) == 0)
			return;
	assert_true(r->n < 64);
	snprintf(r->seen[r->n++], sizeof(r->seen[0]), "%s", what);
}

static void walk_all(const struct triage *t, struct reach *r)
{
	if (triage_done(t)) {
		r->walks++;
		if (t->n_steps > r->max_steps)
			r->max_steps = t->n_steps;
		for (int i = 0; i < t->n_threads; i++) {
			struct triage_thread_info info;
			triage_thread_info(t, i, &info);
			assert_true(info.done);
			note(r, info.finding);
			if (info.category < 0)
				continue;
			/* The finding's runbook file has its section. */
			char path[512];
			snprintf(path, sizeof(path), "%s/%s", VIGIL_SOURCE_DIR, info.runbook);
			size_t len;
			char *md = tu_read_file(path, &len);
			if (!md)
				fail_msg("cannot read %s", path);
			char out[2048];
			int rc = runbook_section(md, len, info.section, out, sizeof(out));
			if (rc <= 0)
				fail_msg("%s: no section '%s'", info.runbook, info.section);
			free(md);
		}
		return;
	}
	for (int a = 0; a < 2; a++) {
		struct triage next = *t;
		assert_int_equal(triage_answer(&next, a ? TA_YES : TA_NO), 0);
		walk_all(&next, r);
	}
}

static void test_every_walk(void **state)
{
	(void)state;
	struct triage_evidence ev;
	zero_evidence(&ev);
	struct triage t;
	triage_start(&t, &ev);
	struct reach *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	walk_all(&t, r);
	/* Each finding node's text, plus the screening end. */
	int findings = 0;
	for (int i = 0; i < triage_node_count(); i++)
		if (strstr(triage_node_id(i), ".found.") || strstr(triage_node_id(i), ".end"))
			findings++;
	assert_int_equal(r->n, findings);
	assert_true(r->max_steps < TRIAGE_MAX_STEPS);
	assert_true(r->walks > 100);
	free(r);
	assert_null(triage_node_id(-1));
	assert_null(triage_node_id(triage_node_count()));
}

static void test_metric_format(void **state)
{
	(void)state;
	char b[32];
	triage_metric_format(TM_NON2XX_RATE, 0.38, b, sizeof(b));
	assert_string_equal(b, "38%");
	triage_metric_format(TM_NON2XX_RATE, 0.0, b, sizeof(b));
	assert_string_equal(b, "0%");
	triage_metric_format(TM_NON2XX_RATE, 0.0123, b, sizeof(b));
	assert_string_equal(b, "1.2%");
	triage_metric_format(TM_P99_RATIO, 1.74, b, sizeof(b));
	assert_string_equal(b, "1.7x");
	triage_metric_format(TM_P99_RATIO, VG_NONE_D, b, sizeof(b));
	assert_string_equal(b, "no data");
	assert_string_equal(triage_metric_label(TM_NONE), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outage_without_fallback),
		cmocka_unit_test(test_injection_opens_cost_and_security),
		cmocka_unit_test(test_override_and_path_json),
		cmocka_unit_test(test_no_data_means_no_suggestion),
		cmocka_unit_test(test_back_and_focus),
		cmocka_unit_test(test_every_walk),
		cmocka_unit_test(test_metric_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
