/* test_event.c: failure event construction, names, and the JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/event.h"
#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

static struct provider_id pid(void)
{
	struct provider_id p;
	memset(&p, 0, sizeof(p));
	strcpy(p.provider, "openai");
	strcpy(p.model, "gpt-4o-mini-2024-07-18");
	strcpy(p.region, "us-east-1");
	strcpy(p.key_alias, "prod-main");
	return p;
}

static void test_init_refuses_invalid(void **state)
{
	(void)state;
	struct failure_event ev;
	struct provider_id p = pid();
	assert_int_equal(event_init(&ev, 1, 1000, CAT_PROVIDER, SUB_RATE_LIMIT, SEV_HIGH, &p), 0);
	assert_int_equal(ev.schema_version, EVENT_SCHEMA_VERSION);
	/* subtype of another category */
	assert_int_equal(event_init(&ev, 1, 1000, CAT_QUALITY, SUB_RATE_LIMIT, SEV_HIGH, &p),
	                 VG_EINVAL);
	assert_int_equal(ev.schema_version, 0);
	/* out-of-range category and severity */
	assert_int_equal(event_init(&ev, 1, 1000, (enum category)99, SUB_RATE_LIMIT, SEV_HIGH, &p),
	                 VG_EINVAL);
	assert_int_equal(
	        event_init(&ev, 1, 1000, (enum category) - 1, SUB_RATE_LIMIT, SEV_HIGH, &p),
	        VG_EINVAL);
	assert_int_equal(
	        event_init(&ev, 1, 1000, CAT_PROVIDER, SUB_RATE_LIMIT, (enum severity)4, &p),
	        VG_EINVAL);
	assert_int_equal(
	        event_init(&ev, 1, 1000, CAT_PROVIDER, (enum subtype)SUB__COUNT, SEV_LOW, &p),
	        VG_EINVAL);
	/* no provider */
	assert_int_equal(event_init(&ev, 1, 1000, CAT_PROVIDER, SUB_RATE_LIMIT, SEV_HIGH, NULL),
	                 VG_EINVAL);
	p.provider[0] = '\0';
	assert_int_equal(event_init(&ev, 1, 1000, CAT_PROVIDER, SUB_RATE_LIMIT, SEV_HIGH, &p),
	                 VG_EINVAL);
}

static void test_names_roundtrip(void **state)
{
	(void)state;
	for (int s = 0; s < SUB__COUNT; s++) {
		const char *n = model_subtype_name((enum subtype)s);
		assert_int_equal(model_subtype_parse(n, (size_t)-1), s);
		assert_true(model_subtype_category((enum subtype)s) < CAT__COUNT);
	}
	for (int c = 0; c < CAT__COUNT; c++)
		assert_int_equal(
		        model_category_parse(model_category_name((enum category)c), (size_t)-1), c);
	for (int s = 0; s < SEV__COUNT; s++)
		assert_int_equal(
		        model_severity_parse(model_severity_name((enum severity)s), (size_t)-1), s);
	assert_int_equal(model_category_parse("nope", (size_t)-1), -1);
	assert_string_equal(model_category_name((enum category)77), "unknown");
	assert_int_equal(model_subtype_category(SUB_PII_LEAK), CAT_SECURITY);
	assert_int_equal(model_subtype_category(SUB_STALE_CONTEXT), CAT_DATA);
	assert_true(model_subtype_is_hard(SUB_DNS));
	assert_false(model_subtype_is_hard(SUB_RATE_LIMIT));
	assert_true(model_subtype_retry_pointless(SUB_SPEND_CAP));
	assert_true(model_subtype_retry_pointless(SUB_QUOTA_EXHAUSTED));
	assert_false(model_subtype_retry_pointless(SUB_RATE_LIMIT));
	assert_int_equal(model_provider_kind_from_name("gcp.gemini", (size_t)-1), PK_GOOGLE);
	assert_int_equal(model_provider_kind_from_name("mistral", (size_t)-1), PK_OTHER);
}

static void test_json_roundtrip(void **state)
{
	(void)state;
	struct failure_event ev, back;
	struct provider_id p = pid();
	assert_int_equal(
	        event_init(&ev, 42, 1795773600123LL, CAT_COST, SUB_TOKEN_INFLATION, SEV_MEDIUM, &p),
	        0);
	strcpy(ev.request_id, "req_abc");
	strcpy(ev.template_id, "support-answer");
	ev.traffic_class = TC_REVENUE;
	ev.retryable = VG_TRI_FALSE;
	ev.causal.token_delta_pct = 37.5;
	ev.causal.input_tokens = 1375;
	ev.causal.predicted_input_tokens = 1000;
	ev.causal.http_status = 200;
	ev.causal.transport = TE_TLS;
	strcpy(ev.causal.detail, "injected \"quoted\" text");

	json_t *j = event_to_json(&ev);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "category")), "cost");
	assert_string_equal(json_string_value(json_object_get(j, "time")),
	                    "2026-11-27T10:00:00.123Z");
	/* unset signals are absent, not zero */
	assert_null(json_object_get(json_object_get(j, "causal"), "latency_ms"));
	assert_null(json_object_get(json_object_get(j, "causal"), "retry_count"));
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);

	json_t *j2 = json_loads(text, 0, NULL);
	char *cause = NULL;
	assert_int_equal(event_from_json(j2, &back, &cause), 0);
	json_t *j3 = event_to_json(&back);
	char *text2 = json_dumps(j3, JSON_COMPACT);
	assert_string_equal(text, text2);
	assert_int_equal(back.id, 42);
	assert_int_equal(back.causal.input_tokens, 1375);
	assert_false(vg_has(back.causal.retry_count));
	assert_true(isnan(back.causal.latency_ms));
	assert_int_equal(back.traffic_class, TC_REVENUE);
	assert_int_equal(back.retryable, VG_TRI_FALSE);
	free(text);
	free(text2);
	json_decref(j2);
	json_decref(j3);
}

static void test_json_refusals(void **state)
{
	(void)state;
	struct failure_event ev;
	char *cause = NULL;
	static const struct {
		const char *json;
		int rc;
		const char *needle;
	} t[] = {
		{ "{\"schema_version\":2,\"category\":\"cost\",\"subtype\":\"retry_storm\","
		  "\"severity\":\"low\","
		  "\"provider\":{\"provider\":\"x\"},\"time_ms\":1}",
		  VG_EVERSION, "newer" },
		{ "{\"category\":\"cost\"}", VG_EINVAL, "schema_version" },
		{ "{\"schema_version\":1,\"category\":\"weather\",\"subtype\":\"retry_storm\","
		  "\"severity\":\"low\","
		  "\"provider\":{\"provider\":\"x\"},\"time_ms\":1}",
		  VG_EINVAL, "category" },
		{ "{\"schema_version\":1,\"category\":\"cost\",\"subtype\":\"dns\",\"severity\":"
		  "\"low\","
		  "\"provider\":{\"provider\":\"x\"},\"time_ms\":1}",
		  VG_EINVAL, "not of category" },
		{ "{\"schema_version\":1,\"category\":\"cost\",\"subtype\":\"retry_storm\","
		  "\"severity\":\"urgent\","
		  "\"provider\":{\"provider\":\"x\"},\"time_ms\":1}",
		  VG_EINVAL, "severity" },
		{ "{\"schema_version\":1,\"category\":\"cost\",\"subtype\":\"retry_storm\","
		  "\"severity\":\"low\","
		  "\"provider\":{},\"time_ms\":1}",
		  VG_EINVAL, "provider" },
		{ "[1,2]", VG_EPARSE, "object" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *j = json_loads(t[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		assert_int_equal(event_from_json(j, &ev, &cause), t[i].rc);
		assert_non_null(cause);
		if (!strstr(cause, t[i].needle))
			fail_msg("case %zu: '%s' does not mention '%s'", i, cause, t[i].needle);
		free(cause);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_refuses_invalid),
		cmocka_unit_test(test_names_roundtrip),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
