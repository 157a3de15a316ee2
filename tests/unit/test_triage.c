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

/* Counted evidence about one scope: n events of `sub` among 1000 requests. */
static void counted(struct triage_evidence *ev, enum subtype sub, double n)
{
	triage_evidence_init(ev);
	ev->requests = 1000;
	ev->from_ms = 1795773600000LL;
	ev->to_ms = ev->from_ms + 7 * 60000;
	ev->window_ms = 7 * 60000;
	ev->n[TM_NON2XX_RATE] = 0;
	if (sub >= 0)
		triage_evidence_add(ev, sub, n);
	ev->failed_over = 200;
	ev->n[TM_FALLBACK_SERVING] = 190;
	ev->v[TM_FALLBACK_SERVING] = 0.95;
	triage_evidence_rates(ev);
}

static bool ends_at(const struct triage *t, int cat, enum subtype sub)
{
	for (int i = 0; i < t->n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(t, i, &info);
		if (info.done && info.category == cat && info.subtype == sub)
			return true;
	}
	return false;
}

/* The walk about an incident starts at its own branch's question, with the
 * incident's counts, and accepting the suggestions ends at its label. */
static void test_incident_starts_at_its_branch(void **state)
{
	(void)state;
	struct triage_evidence ev;
	counted(&ev, SUB_HALLUCINATION, 29);
	triage_evidence_add(&ev, SUB_REGRESSION, 3);
	triage_evidence_rates(&ev);
	ev.before[TM_HALLUCINATION_RATE] = 0.004;
	struct triage t;
	struct triage_question q;
	triage_start_incident(&t, &ev, CAT_QUALITY, SUB_HALLUCINATION);
	assert_string_equal(ask(&t, &q), "screening.content");
	assert_string_equal(q.evidence,
	                    "hallucination screen failures in the incident's scope: 29 of 1000 "
	                    "requests (2.9%)");
	assert_string_equal(q.reference, "the hour before: 0.4%");
	/* 2.9% is under the 5% screen, but over the hour before: yes. */
	assert_int_equal(q.suggested, TA_YES);
	assert_int_equal(triage_accept(&t), 0);
	assert_string_equal(ask(&t, &q), "quality.regression");
	assert_int_equal(q.suggested, TA_NO); /* 3 drops: under the threshold */
	assert_int_equal(triage_accept(&t), 0);
	assert_true(triage_done(&t));
	assert_true(ends_at(&t, CAT_QUALITY, SUB_HALLUCINATION));
	char b[600];
	triage_verdict(&t, b, sizeof(b));
	assert_string_equal(b,
	                    "the evidence in its scope supports its label quality/hallucination");
	triage_path_text(&t, b, sizeof(b));
	assert_string_equal(b, "content wrong? yes (29 of 1000, 2.9%) > similarity drops? no (3 of "
	                       "1000, 0.3%) => quality/hallucination");
	/* Back to the first question keeps the label and its branch. */
	assert_int_equal(triage_back(&t), 0);
	assert_int_equal(triage_back(&t), 0);
	assert_string_equal(ask(&t, &q), "screening.content");
	/* Without an incident the same numbers start at non-2xx. */
	triage_start(&t, &ev);
	assert_string_equal(ask(&t, &q), "screening.status");
}

/* 529s find "overloaded", not "server_error"; the incident's own subtype
 * wins when its events are in the scope, the most frequent one otherwise. */
static void test_finding_subtype_from_evidence(void **state)
{
	(void)state;
	struct triage_evidence ev;
	counted(&ev, SUB_OVERLOADED, 219);
	triage_evidence_add(&ev, SUB_SERVER_ERROR, 12);
	ev.n[TM_NON2XX_RATE] = 231;
	triage_evidence_rates(&ev);
	struct triage t;
	triage_start_incident(&t, &ev, CAT_PROVIDER, SUB_OVERLOADED);
	while (!triage_done(&t))
		assert_int_equal(triage_accept(&t), 0);
	assert_true(ends_at(&t, CAT_PROVIDER, SUB_OVERLOADED));
	/* The whole tree, no label: the most frequent hard failure. */
	triage_start(&t, &ev);
	while (!triage_done(&t))
		assert_int_equal(triage_accept(&t), 0);
	assert_true(ends_at(&t, CAT_PROVIDER, SUB_OVERLOADED));
	assert_false(ends_at(&t, CAT_PROVIDER, SUB_SERVER_ERROR));
	/* A server_error incident in the same scope keeps its own subtype. */
	triage_start_incident(&t, &ev, CAT_PROVIDER, SUB_SERVER_ERROR);
	while (!triage_done(&t))
		assert_int_equal(triage_accept(&t), 0);
	assert_true(ends_at(&t, CAT_PROVIDER, SUB_SERVER_ERROR));
}

/* Labelled quality, evidence all 5xx: the label's question says no, the
 * whole screening finds the provider failure, and the walk says why. */
static void test_contradicted_label_follows_evidence(void **state)
{
	(void)state;
	struct triage_evidence ev;
	counted(&ev, SUB_SERVER_ERROR, 400);
	ev.n[TM_NON2XX_RATE] = 400;
	ev.requests = 400;
	ev.v[TM_FALLBACK_SERVING] = 0.0;
	ev.n[TM_FALLBACK_SERVING] = 0;
	ev.failed_over = 0;
	triage_evidence_rates(&ev);
	struct triage t;
	struct triage_question q;
	triage_start_incident(&t, &ev, CAT_QUALITY, SUB_HALLUCINATION);
	assert_string_equal(ask(&t, &q), "screening.content");
	assert_int_equal(q.suggested, TA_NO);
	assert_int_equal(triage_accept(&t), 0);
	assert_string_equal(ask(&t, &q), "screening.status");
	int asked_content = 0;
	while (!triage_done(&t)) {
		asked_content += strcmp(ask(&t, &q), "screening.content") == 0;
		assert_int_equal(triage_accept(&t), 0);
	}
	assert_int_equal(asked_content, 0); /* not asked twice */
	assert_true(ends_at(&t, CAT_PROVIDER, SUB_SERVER_ERROR));
	assert_false(ends_at(&t, CAT_QUALITY, SUB_HALLUCINATION));
	char b[600];
	triage_verdict(&t, b, sizeof(b));
	assert_string_equal(b, "labelled quality/hallucination, but its own signal is not in its "
	                       "scope (hallucination screen failures 0 of 400 requests (0%)); the "
	                       "evidence says provider/server_error");
	json_t *j = triage_path_json(&t);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), b);
	json_decref(j);
}

/* Every label the tree can find: given its own events, accepting every
 * suggestion ends at it. (Ground-truth corruption has no live signal.) */
static void test_every_label_is_reachable(void **state)
{
	(void)state;
	int checked = 0;
	for (int s = 0; s < SUB__COUNT; s++) {
		enum category cat = model_subtype_category((enum subtype)s);
		if (cat == CAT_MONITOR || s == SUB_GROUND_TRUTH_CORRUPTION)
			continue;
		struct triage_evidence ev;
		counted(&ev, (enum subtype)s, 300);
		if (triage_subtype_metric((enum subtype)s) == TM_HARD_FAIL_RATE ||
		    s == SUB_RATE_LIMIT || s == SUB_QUOTA_EXHAUSTED || s == SUB_SPEND_CAP)
			ev.n[TM_NON2XX_RATE] = 300;
		triage_evidence_rates(&ev);
		struct triage t;
		triage_start_incident(&t, &ev, cat, (enum subtype)s);
		for (int k = 0; k < TRIAGE_MAX_STEPS && !triage_done(&t); k++)
			assert_int_equal(triage_accept(&t), 0);
		if (!ends_at(&t, cat, (enum subtype)s)) {
			char b[600];
			triage_path_text(&t, b, sizeof(b));
			fail_msg("%s: %s", model_subtype_name((enum subtype)s), b);
		}
		checked++;
		/* The whole tree (key f) finds a provider failure from non-2xx?
		 * too: a spend cap that is not a 429 included. */
		if (cat != CAT_PROVIDER || s == SUB_LATENCY || s == SUB_TRUNCATION ||
		    s == SUB_OSCILLATION)
			continue;
		ev.n[TM_NON2XX_RATE] = 300;
		triage_evidence_rates(&ev);
		triage_start(&t, &ev);
		for (int k = 0; k < TRIAGE_MAX_STEPS && !triage_done(&t); k++)
			assert_int_equal(triage_accept(&t), 0);
		if (!ends_at(&t, cat, (enum subtype)s)) {
			char b[600];
			triage_path_text(&t, b, sizeof(b));
			fail_msg("whole tree, %s: %s", model_subtype_name((enum subtype)s), b);
		}
	}
	assert_true(checked >= 28);
}

static void test_note_readable(void **state)
{
	(void)state;
	char b[900];
	triage_note_readable("hard failures? yes (219 of 5506, 4.0%) > healthy fallback? yes (3660 "
	                     "of 3660, 100%) => provider/overloaded",
	                     b, sizeof(b));
	assert_string_equal(b,
	                    "1. hard failures? yes (219 of 5506, 4.0%)\n2. healthy fallback? yes "
	                    "(3660 of 3660, 100%)\n=> provider/overloaded");
	/* A whole JSON path from an older console. */
	triage_note_readable("{\"scope\":\"openai\",\"steps\":[{\"thread\":\"screening\","
	                     "\"node\":\"screening.status\",\"question\":\"Non-2xx?\","
	                     "\"evidence\":\"non-2xx: 38%\",\"suggested\":\"yes\",\"answer\":"
	                     "\"yes\",\"overridden\":false}],\"findings\":[{\"branch\":"
	                     "\"provider\",\"category\":\"provider\",\"subtype\":"
	                     "\"server_error\"}],\"complete\":true}",
	                     b, sizeof(b));
	assert_string_equal(b, "1. Non-2xx? yes: non-2xx: 38%\n=> provider/server_error");
	assert_int_equal(triage_note_readable(NULL, b, sizeof(b)), 0);
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
		cmocka_unit_test(test_incident_starts_at_its_branch),
		cmocka_unit_test(test_finding_subtype_from_evidence),
		cmocka_unit_test(test_contradicted_label_follows_evidence),
		cmocka_unit_test(test_every_label_is_reachable),
		cmocka_unit_test(test_note_readable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
