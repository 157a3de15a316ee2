/*
 * test_taxonomy.c: the decision tree, as a table: each row builds one
 * observation and names the signals it must give, in order, as
 * "category/subtype" with a trailing "~" for a soft (windowed) signal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/taxonomy.h"

#include <stdio.h>
#include <string.h>

/* Verdicts in the table: 0 = unset, T = true, F = false (mapped by tri()). */
#define T 1
#define F 2

struct tcase {
	const char *name;
	enum transport_error te;
	int status; /* 0 = not given (-1 in the observation) */
	enum err_class ec;
	bool stream_error, safety_block, body_truncated;
	enum finish_reason finish;
	double total_ms; /* 0 = not measured */
	int8_t schema_valid, hallucination, regression, coherence;
	int64_t input, predicted; /* 0 = not measured */
	int8_t token_inflation;
	int retry_count;  /* 0 = not given */
	double doc_age_s; /* 0 = not measured */
	int8_t stale, drift, pii, jailbreak, extraction, stuffing;
	const char *want;
};

/* Defaults: a plain 200 with nothing wrong. Rows set only what they test. */
static const struct tcase cases[] = {
	{ .name = "healthy 200", .status = 200, .want = "" },
	{ .name = "dns", .te = TE_DNS, .want = "provider/dns" },
	{ .name = "connect", .te = TE_CONNECT, .want = "provider/connect" },
	{ .name = "tls", .te = TE_TLS, .want = "provider/tls" },
	{ .name = "transport timeout",
	  .te = TE_TIMEOUT,
	  .total_ms = 30000,
	  .want = "provider/timeout" }, /* no latency signal without an answer */
	{ .name = "reset", .te = TE_RESET, .want = "provider/reset" },
	{ .name = "500 by class",
	  .status = 500,
	  .ec = EC_SERVER_ERROR,
	  .want = "provider/server_error" },
	{ .name = "502 class unknown: status decides",
	  .status = 502,
	  .ec = EC_OTHER,
	  .want = "provider/server_error" },
	{ .name = "529 overloaded",
	  .status = 529,
	  .ec = EC_OVERLOADED,
	  .want = "provider/overloaded" },
	{ .name = "503 overloaded",
	  .status = 503,
	  .ec = EC_OVERLOADED,
	  .want = "provider/overloaded" },
	{ .name = "504", .status = 504, .ec = EC_TIMEOUT, .want = "provider/timeout" },
	{ .name = "401", .status = 401, .ec = EC_AUTH, .want = "provider/auth" },
	{ .name = "403", .status = 403, .ec = EC_PERMISSION, .want = "provider/auth" },
	{ .name = "429 rate limit is soft",
	  .status = 429,
	  .ec = EC_RATE_LIMIT,
	  .want = "provider/rate_limit~" },
	{ .name = "429 quota: retry pointless, hard",
	  .status = 429,
	  .ec = EC_QUOTA_EXHAUSTED,
	  .want = "provider/quota_exhausted" },
	{ .name = "spend cap", .status = 429, .ec = EC_SPEND_CAP, .want = "provider/spend_cap" },
	{ .name = "400 invalid",
	  .status = 400,
	  .ec = EC_INVALID_REQUEST,
	  .want = "provider/invalid_request~" },
	{ .name = "context length",
	  .status = 400,
	  .ec = EC_CONTEXT_LENGTH,
	  .want = "provider/invalid_request~" },
	{ .name = "404 model",
	  .status = 404,
	  .ec = EC_NOT_FOUND,
	  .want = "provider/invalid_request~" },
	{ .name = "400 content filter",
	  .status = 400,
	  .ec = EC_CONTENT_FILTER,
	  .want = "provider/content_filter~" },
	{ .name = "200 safety block",
	  .status = 200,
	  .safety_block = true,
	  .want = "provider/content_filter~" },
	{ .name = "200 finish content_filter",
	  .status = 200,
	  .finish = FR_CONTENT_FILTER,
	  .want = "provider/content_filter~" },
	{ .name = "200 stream error overloaded",
	  .status = 200,
	  .stream_error = true,
	  .ec = EC_OVERLOADED,
	  .want = "provider/overloaded" },
	{ .name = "200 truncated body",
	  .status = 200,
	  .body_truncated = true,
	  .want = "provider/truncation~" },
	{ .name = "200 finish length",
	  .status = 200,
	  .finish = FR_LENGTH,
	  .want = "provider/truncation~" },
	{ .name = "slow 200", .status = 200, .total_ms = 12000, .want = "provider/latency~" },
	{ .name = "at threshold is not slow", .status = 200, .total_ms = 10000, .want = "" },
	{ .name = "slow 500: both",
	  .status = 500,
	  .ec = EC_SERVER_ERROR,
	  .total_ms = 11000,
	  .want = "provider/server_error provider/latency~" },
	{ .name = "schema invalid",
	  .status = 200,
	  .schema_valid = F,
	  .want = "quality/format_violation" },
	{ .name = "schema valid", .status = 200, .schema_valid = T, .want = "" },
	{ .name = "schema verdict ignored on 500",
	  .status = 500,
	  .ec = EC_SERVER_ERROR,
	  .schema_valid = F,
	  .want = "provider/server_error" },
	{ .name = "hallucination",
	  .status = 200,
	  .hallucination = T,
	  .want = "quality/hallucination" },
	{ .name = "regression and coherence",
	  .status = 200,
	  .regression = T,
	  .coherence = T,
	  .want = "quality/regression quality/coherence" },
	{ .name = "inflation 20% > 15%",
	  .status = 200,
	  .input = 1200,
	  .predicted = 1000,
	  .want = "cost/token_inflation security/prompt_injection" },
	{ .name = "inflation 15% is not over",
	  .status = 200,
	  .input = 1150,
	  .predicted = 1000,
	  .want = "" },
	{ .name = "inflation verdict false wins",
	  .status = 200,
	  .input = 2000,
	  .predicted = 1000,
	  .token_inflation = F,
	  .want = "" },
	{ .name = "inflation verdict true",
	  .status = 200,
	  .token_inflation = T,
	  .want = "cost/token_inflation security/prompt_injection" },
	{ .name = "retry storm 4 > 3",
	  .status = 200,
	  .retry_count = 4,
	  .want = "cost/retry_storm" },
	{ .name = "3 retries is not a storm", .status = 200, .retry_count = 3, .want = "" },
	{ .name = "retry storm on a failure too",
	  .status = 503,
	  .ec = EC_OVERLOADED,
	  .retry_count = 9,
	  .want = "provider/overloaded cost/retry_storm" },
	{ .name = "context stuffing",
	  .status = 200,
	  .stuffing = T,
	  .want = "cost/context_stuffing" },
	{ .name = "pii, jailbreak, extraction",
	  .status = 200,
	  .pii = T,
	  .jailbreak = T,
	  .extraction = T,
	  .want = "security/pii_leak security/jailbreak security/extraction" },
	{ .name = "stale by age",
	  .status = 200,
	  .doc_age_s = 8 * 86400.0,
	  .want = "data/stale_context" },
	{ .name = "fresh by age", .status = 200, .doc_age_s = 86400.0, .want = "" },
	{ .name = "stale verdict false wins",
	  .status = 200,
	  .doc_age_s = 9e6,
	  .stale = F,
	  .want = "" },
	{ .name = "drift verdict", .status = 200, .drift = T, .want = "data/embedding_drift" },
	{ .name = "cascade: slow, retries, inflated, hallucinated",
	  .status = 200,
	  .total_ms = 15000,
	  .retry_count = 5,
	  .input = 3000,
	  .predicted = 1000,
	  .hallucination = T,
	  .want = "provider/latency~ quality/hallucination cost/token_inflation "
	          "security/prompt_injection cost/retry_storm" },
	{ .name = "no status, gateway named an error",
	  .ec = EC_SERVER_ERROR,
	  .want = "provider/server_error" },
};

static int8_t tri(int8_t x)
{
	return x == T ? VG_TRI_TRUE : x == F ? VG_TRI_FALSE : VG_TRI_UNSET;
}

static void build(const struct tcase *c, struct observation *o)
{
	observation_init(o);
	o->ts_ms = 1795773600000LL;
	model_copy_str(o->pid.provider, sizeof(o->pid.provider), "openai", (size_t)-1);
	o->transport_error = c->te;
	o->http_status = c->status ? c->status : -1;
	o->norm.error_class = c->ec;
	o->norm.stream_error = c->stream_error;
	o->norm.safety_block = c->safety_block;
	o->norm.body_truncated = c->body_truncated;
	o->norm.finish = c->finish == 0 ? FR_UNSET : c->finish;
	if (c->total_ms > 0)
		o->total_ms = c->total_ms;
	struct semantic_verdicts *v = &o->verdicts;
	v->schema_valid = tri(c->schema_valid);
	v->hallucination = tri(c->hallucination);
	v->regression = tri(c->regression);
	v->coherence = tri(c->coherence);
	v->token_inflation = tri(c->token_inflation);
	v->stale_context = tri(c->stale);
	v->embedding_drift = tri(c->drift);
	v->pii_leak = tri(c->pii);
	v->jailbreak = tri(c->jailbreak);
	v->extraction = tri(c->extraction);
	v->context_stuffing = tri(c->stuffing);
	if (c->input)
		o->input_tokens = c->input;
	if (c->predicted)
		o->predicted_input_tokens = c->predicted;
	if (c->retry_count)
		o->retry_count = c->retry_count;
	if (c->doc_age_s > 0)
		o->doc_age_s = c->doc_age_s;
}

static void test_table(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct observation o;
		build(&cases[i], &o);
		struct tax_signal sg[TAXONOMY_MAX_SIGNALS];
		size_t n = taxonomy_classify(&o, &o.verdicts, &s, sg, TAXONOMY_MAX_SIGNALS);
		char got[512] = "";
		size_t len = 0;
		for (size_t j = 0; j < n; j++)
			len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s/%s%s",
			                        j ? " " : "", model_category_name(sg[j].category),
			                        model_subtype_name(sg[j].subtype),
			                        sg[j].soft ? "~" : "");
		if (strcmp(got, cases[i].want) != 0) {
			fprintf(stderr, "FAIL \"%s\": expected \"%s\", got \"%s\"\n", cases[i].name,
			        cases[i].want, got);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_causal_and_retryable(void **state)
{
	(void)state;
	struct core_settings s;
	settings_defaults(&s);
	struct observation o;
	struct tax_signal sg[TAXONOMY_MAX_SIGNALS];

	/* A spend cap: retrying is pointless even when the provider's hint says otherwise. */
	build(&(struct tcase){ .status = 429, .ec = EC_SPEND_CAP }, &o);
	o.norm.retryable = VG_TRI_TRUE;
	o.norm.retry_after_ms = 60000;
	model_copy_str(o.norm.error_code, sizeof(o.norm.error_code), "spend_cap", (size_t)-1);
	assert_int_equal(taxonomy_classify(&o, &o.verdicts, &s, sg, 16), 1);
	assert_int_equal(sg[0].retryable, VG_TRI_FALSE);
	assert_int_equal(sg[0].causal.http_status, 429);
	assert_int_equal(sg[0].causal.retry_after_ms, 60000);
	assert_string_equal(sg[0].causal.error_code, "spend_cap");

	/* A 429 with a retry hint stays retryable and carries the headroom. */
	build(&(struct tcase){ .status = 429, .ec = EC_RATE_LIMIT }, &o);
	o.norm.rl_requests.limit = 500;
	o.norm.rl_requests.remaining = 0;
	assert_int_equal(taxonomy_classify(&o, &o.verdicts, &s, sg, 16), 1);
	assert_int_equal(sg[0].retryable, VG_TRI_TRUE);
	assert_int_equal(sg[0].causal.ratelimit_limit, 500);
	assert_int_equal(sg[0].causal.ratelimit_remaining, 0);

	/* Inflation carries the delta and the threshold; injection is a suspicion. */
	build(&(struct tcase){ .status = 200, .input = 1500, .predicted = 1000 }, &o);
	assert_int_equal(taxonomy_classify(&o, &o.verdicts, &s, sg, 16), 2);
	assert_true(sg[0].causal.token_delta_pct == 50.0);
	assert_true(sg[0].causal.threshold == 15.0);
	assert_false(sg[0].suspicion);
	assert_true(sg[1].suspicion);
	assert_int_equal(sg[1].causal.input_tokens, 1500);

	/* Thresholds come from the settings. */
	s.token_inflation_pct = 60;
	assert_int_equal(taxonomy_classify(&o, &o.verdicts, &s, sg, 16), 0);
	s.latency_ms = 500;
	build(&(struct tcase){ .status = 200, .total_ms = 600 }, &o);
	assert_int_equal(taxonomy_classify(&o, &o.verdicts, &s, sg, 16), 1);
	assert_true(sg[0].causal.value == 600 && sg[0].causal.threshold == 500);

	/* PII detail: kind and masked sample. */
	build(&(struct tcase){ .status = 200, .pii = T }, &o);
	model_copy_str(o.verdicts.pii_kind, sizeof(o.verdicts.pii_kind), "email", (size_t)-1);
	model_copy_str(o.verdicts.pii_sample, sizeof(o.verdicts.pii_sample), "j***@e***.com",
	               (size_t)-1);
	assert_int_equal(taxonomy_classify(&o, &o.verdicts, &s, sg, 16), 1);
	assert_string_equal(sg[0].causal.detail, "email: j***@e***.com");

	/* max bounds the output. */
	build(&(struct tcase){ .status = 200, .pii = T, .jailbreak = T, .extraction = T }, &o);
	assert_int_equal(taxonomy_classify(&o, &o.verdicts, &s, sg, 2), 2);
	assert_true(taxonomy_has_hard(sg, 0) == false);
}

static void test_helpers(void **state)
{
	(void)state;
	assert_int_equal(taxonomy_err_class_subtype(EC_OK, 503), SUB_OVERLOADED);
	assert_int_equal(taxonomy_err_class_subtype(EC_OTHER, 418), SUB_INVALID_REQUEST);
	assert_int_equal(taxonomy_err_class_subtype(EC_OTHER, 302), SUB_PROVIDER_OTHER);
	assert_int_equal(taxonomy_transport_subtype(TE_TLS), SUB_TLS);
	assert_int_equal(taxonomy_transport_subtype((enum transport_error)99), SUB_PROVIDER_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_causal_and_retryable),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
