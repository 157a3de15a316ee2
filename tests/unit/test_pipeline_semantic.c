/*
 * test_pipeline_semantic.c: the semantic checks as stage 2 of the pipeline.
 * Verdicts the checks produce become the taxonomy's failure events (the
 * taxonomy names the categories); deferred text work comes back through
 * pipeline_feed_text() and fires once; a blind spot goes through
 * pipeline_monitor().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/schemas.h"
#include "core/pipeline.h"
#include "core/vgerr.h"
#include "tests/support/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#define T0 1700000000000LL

struct fixture {
	struct jschema_set *schemas;
	struct pipeline *p;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *cause = NULL;
	if (schemas_load_dir(VIGIL_TEST_DATA_DIR "/semantic/schemas", &f->schemas, &cause)) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	struct core_settings cs;
	settings_defaults(&cs);
	f->p = pipeline_new(&cs, NULL, 0);
	struct semantic_settings ss;
	semantic_defaults(&ss);
	if (!f->p || pipeline_set_semantic(f->p, &ss, f->schemas) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pipeline_free(f->p);
	jschema_set_free(f->schemas);
	free(f);
	return 0;
}

static void base_obs(struct observation *obs, const char *id, const char *text)
{
	observation_init(obs);
	obs->ts_ms = T0;
	obs->http_status = 200;
	obs->total_ms = 800;
	snprintf(obs->request_id, sizeof(obs->request_id), "%s", id);
	snprintf(obs->pid.provider, sizeof(obs->pid.provider), "openai");
	snprintf(obs->pid.model, sizeof(obs->pid.model), "gpt-4o-mini");
	snprintf(obs->template_id, sizeof(obs->template_id), "support");
	obs->text = text;
	obs->text_len = text ? strlen(text) : 0;
}

static const struct failure_event *find(const struct effects *e, enum subtype sub)
{
	for (size_t i = 0; i < e->n_events; i++) {
		if (e->events[i].subtype == sub)
			return &e->events[i];
	}
	return NULL;
}

static void test_schema_violation_event(void **state)
{
	struct fixture *f = *state;
	struct observation obs;
	base_obs(&obs, "r1", "{\"answer\": \"42\", \"sources\": [\"three\"]}");
	snprintf(obs.schema_id, sizeof(obs.schema_id), "answer");
	struct effects e;
	assert_int_equal(pipeline_feed(f->p, &obs, T0, &e), 0);
	const struct failure_event *ev = find(&e, SUB_FORMAT_VIOLATION);
	assert_non_null(ev);
	assert_int_equal(ev->category, CAT_QUALITY);
	assert_string_equal(ev->causal.detail, "/sources/0");
	assert_false(e.semantic_deferred);

	/* A valid answer: no quality event. */
	base_obs(&obs, "r2", "{\"answer\": \"42\", \"sources\": [3]}");
	snprintf(obs.schema_id, sizeof(obs.schema_id), "answer");
	assert_int_equal(pipeline_feed(f->p, &obs, T0 + 1, &e), 0);
	assert_null(find(&e, SUB_FORMAT_VIOLATION));
}

static void test_pii_event_is_masked(void **state)
{
	struct fixture *f = *state;
	struct observation obs;
	base_obs(&obs, "r3", "Sure, her card is 4111 1111 1111 1111 and mail is eve@corp.example.");
	struct effects e;
	assert_int_equal(pipeline_feed(f->p, &obs, T0, &e), 0);
	const struct failure_event *ev = find(&e, SUB_PII_LEAK);
	assert_non_null(ev);
	assert_int_equal(ev->category, CAT_SECURITY);
	assert_non_null(strstr(ev->causal.detail, "card"));
	assert_null(strstr(ev->causal.detail, "4111 1111"));
	assert_null(strstr(ev->causal.detail, "eve@"));
}

static const char *const SUPPORTED = "Our refund policy allows returns within 30 days.";
static const char *const INVENTED =
        "According to Jane Porter of Initech Labs [4], see https://x.example/y.";

/* Feed n answers of model at one a second from *now; every k-th (k > 0)
 * invents entities. Returns the hallucination events among them. */
static size_t feed_answers(struct pipeline *p, const char *model, int n, int k, int64_t *now)
{
	size_t events = 0;
	for (int i = 0; i < n; i++) {
		struct observation obs;
		char id[32];
		snprintf(id, sizeof(id), "h%lld", (long long)*now);
		bool bad = k > 0 && i % k == k - 1;
		base_obs(&obs, id, bad ? INVENTED : SUPPORTED);
		snprintf(obs.pid.model, sizeof(obs.pid.model), "%s", model);
		obs.ts_ms = *now;
		obs.context_text = SUPPORTED;
		obs.context_len = strlen(SUPPORTED);
		struct effects e;
		assert_int_equal(pipeline_feed(p, &obs, *now, &e), 0);
		events += find(&e, SUB_HALLUCINATION) != NULL;
		*now += 1000;
	}
	return events;
}

/* On a model whose answers have been clean, one hallucination is an event
 * with its entities and the rate behind it. */
static void test_hallucination_event(void **state)
{
	struct fixture *f = *state;
	int64_t now = T0;
	assert_int_equal(feed_answers(f->p, "gpt-4o-mini", 300, 0, &now), 0);
	struct observation obs;
	base_obs(&obs, "r4", INVENTED);
	obs.ts_ms = now;
	obs.context_text = SUPPORTED;
	obs.context_len = strlen(SUPPORTED);
	struct effects e;
	assert_int_equal(pipeline_feed(f->p, &obs, now, &e), 0);
	const struct failure_event *ev = find(&e, SUB_HALLUCINATION);
	assert_non_null(ev);
	assert_true(ev->causal.value == 3); /* "Jane Porter of Initech Labs", [4], the URL */
	assert_non_null(strstr(ev->causal.detail, "Jane Porter"));
	/* The last minute's answers (the window's buckets are 5 s) */
	assert_true(ev->causal.window_count >= 55 && ev->causal.window_count <= 61);
	assert_true(fabs(ev->causal.error_rate - 1.0 / (double)ev->causal.window_count) < 1e-9);
	assert_true(ev->causal.threshold <= 0.005); /* the clean baseline */
}

/* The screen's steady background (one answer in twenty) is no event, from
 * the cold start on; a version of the model answering with three times as
 * many is, within seconds of the change. */
static void test_hallucination_background_and_step(void **state)
{
	struct fixture *f = *state;
	int64_t now = T0;
	assert_int_equal(feed_answers(f->p, "gpt-4o-2024-08-06", 1200, 20, &now), 0);
	int64_t change = now;
	size_t events = 0;
	int64_t first = -1;
	for (int i = 0; i < 30 && first < 0; i++) {
		if (feed_answers(f->p, "gpt-4o-2024-11-20", 1, i % 3 == 2 ? 1 : 0, &now)) {
			events++;
			first = now - 1000 - change;
		}
	}
	assert_int_equal(events, 1);
	assert_true(first >= 0 && first <= 10000);
	/* The same step on another model alias is not judged as a change:
	 * without one it takes the window test. */
	now += 3600 * 1000;
	assert_int_equal(feed_answers(f->p, "claude-3-5-haiku-20241022", 1200, 20, &now), 0);
	size_t later = feed_answers(f->p, "claude-3-5-haiku-20241022", 10, 3, &now);
	assert_int_equal(later, 0);
	later = feed_answers(f->p, "claude-3-5-haiku-20241022", 120, 3, &now);
	assert_true(later > 0);
}

/* Text over the budget is deferred, then joined through pipeline_feed_text
 * (as the sidecar would deliver it) and fires exactly once. */
static void test_deferred_round_trip(void **state)
{
	struct fixture *f = *state;
	semantic_allow_defer(pipeline_semantic(f->p), true);
	size_t n = 6000;
	char *text = malloc(n + 1);
	memset(text, ' ', n);
	memcpy(text, "not json at all", 15);
	text[n] = '\0';
	struct observation obs;
	base_obs(&obs, "r5", text);
	snprintf(obs.schema_id, sizeof(obs.schema_id), "answer");
	struct effects e;
	assert_int_equal(pipeline_feed(f->p, &obs, T0, &e), 0);
	assert_true(e.semantic_deferred);
	assert_null(find(&e, SUB_FORMAT_VIOLATION));

	/* The sidecar's work: pure, on its own scratch. */
	struct semantic_worker *w = semantic_worker_new();
	struct semantic_text *t = malloc(sizeof(*t));
	assert_int_equal(semantic_text_run(semantic_text_cfg(pipeline_semantic(f->p)), w, &obs, t),
	                 0);
	assert_int_equal(t->v.schema_valid, VG_TRI_FALSE);
	assert_int_equal(pipeline_feed_text(f->p, &obs, t, T0 + 5, &e), 0);
	assert_false(e.semantic_deferred);
	const struct failure_event *ev = find(&e, SUB_FORMAT_VIOLATION);
	assert_non_null(ev);
	assert_string_equal(ev->request_id, "r5");
	size_t quality = 0;
	for (size_t i = 0; i < e.n_events; i++)
		quality += e.events[i].category == CAT_QUALITY;
	assert_int_equal(quality, 1);
	/* The request was counted once: the late feed does not count it again. */
	int row = pipeline_health_find(f->p, "openai", "");
	assert_true(row >= 0);
	struct health_view hv;
	assert_int_equal(pipeline_health_view(f->p, (size_t)row, T0 + 5, &hv), 0);
	assert_int_equal(hv.window_requests, 1);

	assert_int_equal(pipeline_feed_text(f->p, NULL, t, T0 + 6, &e), VG_EINVAL);
	semantic_worker_free(w);
	free(t);
	free(text);
}

static void test_set_semantic_only_before_feeding(void **state)
{
	struct fixture *f = *state;
	struct observation obs;
	base_obs(&obs, "r6", NULL);
	struct effects e;
	assert_int_equal(pipeline_feed(f->p, &obs, T0, &e), 0);
	struct semantic_settings ss;
	semantic_defaults(&ss);
	assert_int_equal(pipeline_set_semantic(f->p, &ss, NULL), VG_ESTATE);
}

/* A reload after feeding: new settings and schemas apply to the running
 * checks, which keep what they learnt (the centroid), and the old schema set
 * is no longer used. */
static void test_update_semantic_keeps_state(void **state)
{
	struct fixture *f = *state;
	struct observation obs;
	struct effects e;
	base_obs(&obs, "u1", "{\"answer\": \"42\", \"sources\": [\"three\"]}");
	snprintf(obs.schema_id, sizeof(obs.schema_id), "answer");
	assert_int_equal(pipeline_feed(f->p, &obs, T0, &e), 0);
	assert_non_null(find(&e, SUB_FORMAT_VIOLATION));
	struct semantic *before = pipeline_semantic(f->p);
	struct semantic_stats st;
	semantic_stats(before, &st);
	assert_int_equal(st.centroids, 1);

	struct semantic_settings ss;
	semantic_defaults(&ss);
	ss.pii.enabled = false;
	ss.max_keys = 1; /* needs a restart: stays */
	ss.jailbreak.window_ms = 60000;
	assert_int_equal(pipeline_update_semantic(f->p, &ss, NULL), 0);
	assert_ptr_equal(pipeline_semantic(f->p), before);
	jschema_set_free(f->schemas); /* nothing refers to it any more */
	f->schemas = NULL;
	assert_int_equal(semantic_text_cfg(before)->settings.max_keys, 4096);
	assert_false(semantic_text_cfg(before)->settings.pii.enabled);

	base_obs(&obs, "u2", "{\"answer\": \"42\", \"sources\": [\"three\"]}");
	snprintf(obs.schema_id, sizeof(obs.schema_id), "answer");
	assert_int_equal(pipeline_feed(f->p, &obs, T0 + 1, &e), 0);
	assert_null(find(&e, SUB_FORMAT_VIOLATION)); /* no schemas now */
	base_obs(&obs, "u3", "Mail eve@corp.example for the refund.");
	assert_int_equal(pipeline_feed(f->p, &obs, T0 + 2, &e), 0);
	assert_null(find(&e, SUB_PII_LEAK)); /* pii off now */
	semantic_stats(before, &st);
	assert_int_equal(st.centroids, 1); /* the same key, kept and folded into */
}

/* The sidecar's blind spot as a monitor incident through the pipeline. */
static void test_blind_spot_through_pipeline(void **state)
{
	struct fixture *f = *state;
	struct failure_event ev;
	assert_int_equal(semantic_blind_spot_event(&ev, 0, T0, 256, 256, 3), 0);
	struct effects e;
	assert_int_equal(pipeline_monitor(f->p, ev.subtype, ev.pid.model, ev.causal.detail,
	                                  ev.causal.value, ev.time_ms, &e),
	                 0);
	assert_int_equal(e.n_events, 1);
	assert_int_equal(e.events[0].category, CAT_MONITOR);
	assert_int_equal(e.events[0].subtype, SUB_SIDECAR_BLIND_SPOT);
	assert_non_null(strstr(e.events[0].causal.detail, "blind spot"));
	assert_true(e.n_incident_changes >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_violation_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pii_event_is_masked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hallucination_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hallucination_background_and_step, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_deferred_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_semantic_only_before_feeding, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_update_semantic_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blind_spot_through_pipeline, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
