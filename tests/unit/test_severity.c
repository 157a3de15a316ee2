/*
 * test_severity.c: the severity classifier. The four reference cases
 * (docs/severity.md), the
 * recoverability rules, the default table as a table of expectations, config
 * overrides, blast radius, MEDIUM -> HIGH escalation, and the evidence
 * HIGH and CRITICAL need (Wilson lower bound, count, proof by itself).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/severity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const int64_t NOW = 1795773600000LL;

static struct failure_event event(enum subtype sub, enum traffic_class tc)
{
	struct failure_event ev;
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	model_copy_str(pid.provider, sizeof(pid.provider), "openai", (size_t)-1);
	assert_int_equal(event_init(&ev, 1, NOW, model_subtype_category(sub), sub, SEV_LOW, &pid),
	                 0);
	ev.traffic_class = tc;
	return ev;
}

static struct severity_table table(void)
{
	struct core_settings s;
	settings_defaults(&s);
	struct severity_table t;
	severity_table_init(&t, &s);
	return t;
}

/* Case 1: primary outage, no healthy fallback = CRITICAL. */
static void test_case_outage_no_fallback(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct failure_event ev = event(SUB_SERVER_ERROR, TC_REVENUE);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_REVENUE;
	s.breaker = BRK_OPEN;
	s.provider_availability = 0.05;
	s.affected_rate = 0.95;
	s.window_count = 200;
	s.blast_radius = 0.3;
	s.failover_working = false;
	struct severity_why why;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_CRITICAL);
	assert_int_equal(why.recoverability, REC_NONE);
	/* Unknown traffic counts as the configured default (revenue). */
	s.traffic_class = TC_UNSET;
	ev.traffic_class = TC_UNSET;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_CRITICAL);
	assert_int_equal(why.traffic_class, TC_REVENUE);
}

/* Slow answers are still answers: a latency degradation with no fallback
 * is judged like failover (HIGH on revenue), never an outage's CRITICAL. */
static void test_latency_not_outage(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct failure_event ev = event(SUB_LATENCY, TC_REVENUE);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_REVENUE;
	s.affected_rate = 0.4;
	s.window_count = 200;
	s.blast_radius = 0.9; /* would raise an unrecoverable failure */
	s.failover_working = false;
	struct severity_why why;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_HIGH);
	assert_int_equal(why.recoverability, REC_FAILOVER);
	assert_false(why.raised_by_blast);
	s.traffic_class = TC_INTERNAL;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_MEDIUM);
	/* A server error in the same state is the outage. */
	struct failure_event se = event(SUB_SERVER_ERROR, TC_REVENUE);
	s.traffic_class = TC_REVENUE;
	assert_int_equal(severity_classify(&se, &s, &t, &why), SEV_CRITICAL);
	/* Isolated slowness stays isolated. */
	s.affected_rate = 0.01;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_LOW);
}

/* Case 2: the same outage with failover working = HIGH. */
static void test_case_outage_failover(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct failure_event ev = event(SUB_SERVER_ERROR, TC_REVENUE);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_REVENUE;
	s.breaker = BRK_OPEN;
	s.provider_availability = 0.05;
	s.affected_rate = 0.95;
	s.window_count = 200;
	s.blast_radius = 0.9; /* a big blast radius does not raise a recovered failure */
	s.failover_working = true;
	struct severity_why why;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_HIGH);
	assert_int_equal(why.recoverability, REC_FAILOVER);
	assert_false(why.raised_by_blast);
}

/* Case 3: quality regression on a low-traffic experimental feature = MEDIUM. */
static void test_case_experimental_regression(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct failure_event ev = event(SUB_REGRESSION, TC_EXPERIMENTAL);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_EXPERIMENTAL;
	s.affected_rate = 0.4; /* most of the feature's requests regressed ... */
	s.window_count = 30;
	s.blast_radius = 0.01; /* ... but it is 1% of all traffic */
	s.provider_availability = 1.0;
	assert_int_equal(severity_classify(&ev, &s, &t, NULL), SEV_MEDIUM);
	/* The same regression on revenue traffic is HIGH. */
	s.traffic_class = TC_REVENUE;
	assert_int_equal(severity_classify(&ev, &s, &t, NULL), SEV_HIGH);
}

/* Case 4: drift trending toward, but below, its threshold = LOW. */
static void test_case_drift_trending(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct failure_event ev = event(SUB_EMBEDDING_DRIFT, TC_COMPLIANCE);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_COMPLIANCE;
	s.affected_rate = 0.5;
	s.blast_radius = 0.6;
	s.early_warning = true;
	struct severity_why why;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_LOW);
	assert_true(why.early_warning);
	/* Once it crosses the threshold it is judged by the table. */
	s.early_warning = false;
	assert_true(severity_classify(&ev, &s, &t, NULL) < SEV_LOW);
}

/* Recoverability from the snapshot. */
static void test_recoverability(void **state)
{
	(void)state;
	struct severity_table t = table();
	static const struct {
		enum category cat;
		enum breaker_state brk;
		double affected;
		bool failover;
		enum recoverability want;
	} rows[] = {
		{ CAT_PROVIDER, BRK_CLOSED, 0.01, false, REC_ISOLATED },
		{ CAT_PROVIDER, BRK_CLOSED, 0.05, false, REC_NONE }, /* at the bar: not isolated */
		{ CAT_PROVIDER, BRK_OPEN, 0.01, false, REC_NONE },   /* open breaker: an outage */
		{ CAT_PROVIDER, BRK_HALF_OPEN, 0.01, true, REC_FAILOVER },
		{ CAT_PROVIDER, BRK_CLOSED, 0.5, true, REC_FAILOVER },
		{ CAT_QUALITY, BRK_OPEN, 0.01, false, REC_ISOLATED }, /* breaker is provider's */
		{ CAT_COST, BRK_CLOSED, NAN, false, REC_NONE },       /* unknown rate */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct severity_snapshot s;
		severity_snapshot_init(&s, NOW);
		s.breaker = rows[i].brk;
		s.affected_rate = rows[i].affected;
		s.failover_working = rows[i].failover;
		enum recoverability got = severity_recoverability(rows[i].cat, &s, &t);
		if (got != rows[i].want)
			fail_msg("row %zu: expected %s, got %s", i,
			         severity_recoverability_name(rows[i].want),
			         severity_recoverability_name(got));
	}
}

/* The default table, stated as policy: [category][traffic] = "ifn" letters
 * for isolated, failover, none (C, H, M, L). */
static void test_default_table(void **state)
{
	(void)state;
	static const char *const want[CAT_TAXONOMY_COUNT][TC__COUNT] = {
		[CAT_PROVIDER] = { "LHC", "LHC", "LMH", "LLM" },
		[CAT_QUALITY] = { "MHH", "MHH", "LMM", "LMM" },
		[CAT_COST] = { "LMH", "LMH", "LMM", "LLM" },
		[CAT_SECURITY] = { "MHH", "HCC", "LMM", "LMM" },
		[CAT_DATA] = { "LMH", "MHH", "LLM", "LLM" },
	};
	static const char letters[] = "CHML";
	struct severity_table t = table();
	for (int c = 0; c < CAT_TAXONOMY_COUNT; c++)
		for (int tc = 0; tc < TC__COUNT; tc++)
			for (int r = 0; r < REC__COUNT; r++) {
				enum severity d =
				        severity_default((enum category)c, (enum traffic_class)tc,
				                         (enum recoverability)r);
				if (letters[d] != want[c][tc][r] || t.cell[c][tc][r] != d)
					fail_msg("%s/%s/%s: expected %c, got %c",
					         model_category_name((enum category)c),
					         model_traffic_class_name((enum traffic_class)tc),
					         severity_recoverability_name(
					                 (enum recoverability)r),
					         want[c][tc][r], letters[d]);
			}
	assert_int_equal(severity_default(CAT_MONITOR, TC_REVENUE, REC_NONE), SEV_HIGH);
}

static void test_overrides(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	s.severity.overrides[0] =
	        (struct severity_override){ CAT_QUALITY, TC_EXPERIMENTAL, SEV_ANY_REC, SEV_LOW };
	s.severity.overrides[1] = (struct severity_override){ SEV_ANY_CATEGORY, TC_COMPLIANCE,
		                                              REC_NONE, SEV_CRITICAL };
	/* A later row wins over an earlier one. */
	s.severity.overrides[2] =
	        (struct severity_override){ CAT_DATA, TC_COMPLIANCE, REC_NONE, SEV_MEDIUM };
	/* Out-of-range rows are skipped. */
	s.severity.overrides[3] = (struct severity_override){ 9, TC_REVENUE, REC_NONE, SEV_LOW };
	s.severity.overrides[4] = (struct severity_override){ CAT_COST, TC_REVENUE, REC_NONE, 7 };
	s.severity.n_overrides = 5;
	struct severity_table t;
	severity_table_init(&t, &s);
	for (int r = 0; r < REC__COUNT; r++)
		assert_int_equal(t.cell[CAT_QUALITY][TC_EXPERIMENTAL][r], SEV_LOW);
	assert_int_equal(t.cell[CAT_QUALITY][TC_INTERNAL][REC_NONE], SEV_MEDIUM);
	assert_int_equal(t.cell[CAT_COST][TC_COMPLIANCE][REC_NONE], SEV_CRITICAL);
	assert_int_equal(t.cell[CAT_PROVIDER][TC_COMPLIANCE][REC_NONE], SEV_CRITICAL);
	assert_int_equal(t.cell[CAT_DATA][TC_COMPLIANCE][REC_NONE], SEV_MEDIUM);
	assert_int_equal(t.cell[CAT_COST][TC_REVENUE][REC_NONE], SEV_HIGH);

	struct failure_event ev = event(SUB_REGRESSION, TC_EXPERIMENTAL);
	struct severity_snapshot snap;
	severity_snapshot_init(&snap, NOW);
	snap.affected_rate = 0.4;
	snap.window_count = 100;
	snap.traffic_class = TC_EXPERIMENTAL;
	assert_int_equal(severity_classify(&ev, &snap, &t, NULL), SEV_LOW);

	/* The configured default traffic class applies to unset traffic. */
	s.severity.n_overrides = 0;
	s.severity.default_traffic_class = TC_EXPERIMENTAL;
	severity_table_init(&t, &s);
	ev = event(SUB_SERVER_ERROR, TC_UNSET);
	snap.traffic_class = TC_UNSET;
	snap.breaker = BRK_OPEN;
	assert_int_equal(severity_classify(&ev, &snap, &t, NULL), SEV_MEDIUM);
	/* The event's own class is used when the snapshot has none. */
	ev.traffic_class = TC_REVENUE;
	assert_int_equal(severity_classify(&ev, &snap, &t, NULL), SEV_CRITICAL);
}

static void test_blast_radius(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct failure_event ev = event(SUB_SERVER_ERROR, TC_INTERNAL);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_INTERNAL;
	s.breaker = BRK_OPEN;
	s.affected_rate = 0.9;
	s.window_count = 100;
	s.blast_radius = 0.2;
	assert_int_equal(severity_classify(&ev, &s, &t, NULL), SEV_HIGH);
	s.blast_radius = 0.5;
	struct severity_why why;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_CRITICAL);
	assert_true(why.raised_by_blast);
	assert_int_equal(why.base, SEV_HIGH);
	/* Never above CRITICAL. */
	s.traffic_class = TC_REVENUE;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_CRITICAL);
	assert_false(why.raised_by_blast);
}

static void test_escalation(void **state)
{
	(void)state;
	struct severity_table t = table(); /* escalation after 15 min */
	struct failure_event ev = event(SUB_HALLUCINATION, TC_INTERNAL);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_INTERNAL;
	s.affected_rate = 0.3;
	assert_int_equal(severity_classify(&ev, &s, &t, NULL), SEV_MEDIUM);
	s.medium_since_ms = NOW - 15 * 60 * 1000 + 1;
	assert_int_equal(severity_classify(&ev, &s, &t, NULL), SEV_MEDIUM);
	s.medium_since_ms = NOW - 15 * 60 * 1000;
	struct severity_why why;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_HIGH);
	assert_true(why.escalated);
	assert_int_equal(why.base, SEV_MEDIUM);
	/* Only MEDIUM escalates: LOW stays LOW however long it lasts. */
	s.affected_rate = 0.01;
	assert_int_equal(severity_classify(&ev, &s, &t, NULL), SEV_LOW);
	/* Monitor events are HIGH. */
	struct failure_event m;
	struct provider_id pid = { .provider = "vigil" };
	assert_int_equal(event_init(&m, 2, NOW, CAT_MONITOR, SUB_SIDECAR_BLIND_SPOT, SEV_LOW, &pid),
	                 0);
	assert_int_equal(severity_classify(&m, &s, &t, NULL), SEV_HIGH);
}

/* The Wilson lower bound, against values worked by hand. */
static void test_wilson(void **state)
{
	(void)state;
	assert_true(isnan(severity_wilson_lower(0, 0)));
	assert_true(fabs(severity_wilson_lower(0, 10)) < 1e-12);
	assert_true(fabs(severity_wilson_lower(1, 1) - 1.0 / (1.0 + 1.96 * 1.96)) < 1e-9);
	assert_true(fabs(severity_wilson_lower(10, 10) - 10.0 / (10.0 + 1.96 * 1.96)) < 1e-9);
	/* 1 of 3: (1/3 + z^2/6 - z sqrt(2/27 + z^2/36)) / (1 + z^2/3) */
	double z2 = 1.96 * 1.96;
	double want = (1.0 / 3 + z2 / 6 - 1.96 * sqrt(2.0 / 27 + z2 / 36)) / (1 + z2 / 3);
	assert_true(fabs(severity_wilson_lower(1, 3) - want) < 1e-9);
	assert_true(want > 0.06 && want < 0.07);
	/* More requests at the same share: a tighter, higher bound. */
	assert_true(severity_wilson_lower(30, 100) > severity_wilson_lower(3, 10));
}

/* HIGH and CRITICAL need evidence: one 500 among three requests is not an
 * outage (its share's lower bound, 6%, passes isolated_rate, but one
 * request is not evidence_count), the third failure is. */
static void test_evidence(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct failure_event ev = event(SUB_SERVER_ERROR, TC_REVENUE);
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_REVENUE;
	s.affected_rate = 1.0 / 3;
	s.window_count = 3;
	s.affected = 1;
	struct severity_why why;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_MEDIUM);
	assert_true(why.capped);
	assert_int_equal(why.base, SEV_CRITICAL);
	assert_true(why.evidence_lb > 0.06 && why.evidence_lb < 0.07);
	/* With a healthy fallback (HIGH by the table): still MEDIUM. */
	s.failover_working = true;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_MEDIUM);
	assert_true(why.capped);
	/* Three failures among five: evidence. */
	s.failover_working = false;
	s.affected_rate = 3.0 / 5;
	s.window_count = 5;
	s.affected = 3;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_CRITICAL);
	assert_false(why.capped);
	/* Many requests, a share whose lower bound is under isolated_rate:
	 * 12 of 200 (6%, bound 3.5%) is held at MEDIUM ... */
	s.affected_rate = 12.0 / 200;
	s.window_count = 200;
	s.affected = 12;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_MEDIUM);
	assert_true(why.capped && why.evidence_lb < 0.05);
	/* ... until the provider's breaker opens (its own count of failures in
	 * a row: the gateway then stops sending it traffic, and the share in a
	 * window of earlier healthy requests would never catch up). */
	s.breaker = BRK_OPEN;
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_CRITICAL);
	assert_false(why.capped);
	/* Unknown numbers are no evidence, and an open breaker is the provider's:
	 * a quality failure is still held. */
	severity_snapshot_init(&s, NOW);
	assert_int_equal(severity_classify(&ev, &s, &t, &why), SEV_MEDIUM);
	s.breaker = BRK_OPEN;
	struct failure_event hq = event(SUB_HALLUCINATION, TC_REVENUE);
	assert_int_equal(severity_classify(&hq, &s, &t, &why), SEV_MEDIUM);
	assert_true(why.capped);
	s.breaker = BRK_CLOSED;
	/* The count is a setting. */
	struct core_settings cs;
	settings_defaults(&cs);
	cs.severity.evidence_count = 1;
	struct severity_table t1;
	severity_table_init(&t1, &cs);
	s.affected_rate = 1.0 / 3;
	s.window_count = 3;
	s.affected = 1;
	s.breaker = BRK_CLOSED;
	assert_int_equal(severity_classify(&ev, &s, &t1, &why), SEV_CRITICAL);
	/* The first schema failure at start-up: one of one, MEDIUM at most. */
	struct failure_event fv = event(SUB_FORMAT_VIOLATION, TC_REVENUE);
	severity_snapshot_init(&s, NOW);
	s.affected_rate = 1.0;
	s.window_count = 1;
	s.affected = 1;
	assert_int_equal(severity_classify(&fv, &s, &t, &why), SEV_MEDIUM);
	assert_true(why.capped);
}

/* Single cases that are proof by themselves need no evidence. */
static void test_proof_by_itself(void **state)
{
	(void)state;
	struct severity_table t = table();
	struct severity_snapshot s;
	severity_snapshot_init(&s, NOW);
	s.traffic_class = TC_COMPLIANCE;
	s.affected_rate = 1.0;
	s.window_count = 1;
	s.affected = 1;
	struct severity_why why;
	/* A planted canary in an answer. */
	struct failure_event ex = event(SUB_EXTRACTION, TC_COMPLIANCE);
	assert_int_equal(severity_classify(&ex, &s, &t, &why), SEV_CRITICAL);
	assert_true(why.proof);
	/* A leaked key, but not any PII. */
	struct failure_event key = event(SUB_PII_LEAK, TC_COMPLIANCE);
	snprintf(key.causal.detail, sizeof(key.causal.detail), "secret: sk-****");
	assert_int_equal(severity_classify(&key, &s, &t, &why), SEV_CRITICAL);
	assert_true(why.proof);
	snprintf(key.causal.detail, sizeof(key.causal.detail), "email: a***@example.com");
	assert_int_equal(severity_classify(&key, &s, &t, &why), SEV_MEDIUM);
	assert_false(why.proof);
	assert_true(why.capped);
	/* An auth failure of every request in the scope; not of one among many. */
	struct failure_event au = event(SUB_AUTH, TC_REVENUE);
	s.traffic_class = TC_REVENUE;
	assert_int_equal(severity_classify(&au, &s, &t, &why), SEV_CRITICAL);
	assert_true(why.proof);
	s.affected_rate = 1.0 / 2;
	s.window_count = 2;
	assert_int_equal(severity_classify(&au, &s, &t, &why), SEV_MEDIUM);
	assert_false(why.proof);
}

static void test_names(void **state)
{
	(void)state;
	for (int r = 0; r < REC__COUNT; r++)
		assert_int_equal(
		        severity_recoverability_parse(
		                severity_recoverability_name((enum recoverability)r), (size_t)-1),
		        r);
	assert_int_equal(severity_recoverability_parse("sometimes", (size_t)-1), -1);
	assert_string_equal(severity_recoverability_name(REC__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_outage_no_fallback),
		cmocka_unit_test(test_latency_not_outage),
		cmocka_unit_test(test_case_outage_failover),
		cmocka_unit_test(test_case_experimental_regression),
		cmocka_unit_test(test_case_drift_trending),
		cmocka_unit_test(test_recoverability),
		cmocka_unit_test(test_default_table),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_blast_radius),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_wilson),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_proof_by_itself),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
