/* test_metrics_genai.c: the model cap (data/metrics_cap: the busiest N keep
 * their name, the rest are "other", an evicted name folds into "other") and
 * the GenAI families (app/metrics_genai): which bucket a value lands in,
 * which observations count, and that sums over models stay whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/metrics_genai.h"
#include "core/vgerr.h"
#include "data/metrics.h"
#include "data/metrics_cap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *use(struct metrics_cap *c, const char *v, char *ev)
{
	return metrics_cap_use(c, v, ev);
}

static void test_cap_busiest(void **state)
{
	(void)state;
	struct metrics_cap c;
	char ev[METRICS_CAP_VALUE_MAX];
	metrics_cap_init(&c, 2);
	/* the first two names take the two slots */
	assert_string_equal(use(&c, "a", ev), "a");
	assert_string_equal(ev, "");
	assert_string_equal(use(&c, "b", ev), "b");
	assert_string_equal(use(&c, "a", ev), "a"); /* a:2 b:1 */
	/* a third is "other" until it is used more than the least used holder */
	assert_string_equal(use(&c, "c", ev), METRICS_CAP_OTHER); /* c:1, not > b:1 */
	assert_string_equal(ev, "");
	assert_false(metrics_cap_has(&c, "c"));
	assert_string_equal(use(&c, "c", ev), "c"); /* c:2 > b:1: b is evicted */
	assert_string_equal(ev, "b");
	assert_true(metrics_cap_has(&c, "a"));
	assert_true(metrics_cap_has(&c, "c"));
	assert_false(metrics_cap_has(&c, "b"));
	assert_string_equal(use(&c, "b", ev), METRICS_CAP_OTHER); /* b:2, not > a:2 nor c:2 */
	assert_string_equal(use(&c, "b", ev), "b");               /* b:3 > a:2 (first least) */
	assert_string_equal(ev, "a");
	/* no slots: everything is other */
	metrics_cap_init(&c, 0);
	for (int i = 0; i < 5; i++)
		assert_string_equal(use(&c, "a", ev), METRICS_CAP_OTHER);
	assert_string_equal(ev, "");
	/* the cap is bounded */
	metrics_cap_init(&c, 1000);
	assert_int_equal(c.max, METRICS_CAP_MAX);
}

/* More names than candidates: the table keeps the heavy ones (Space-Saving)
 * and never grows; a busy name that comes late still gets a slot. */
static void test_cap_many_names(void **state)
{
	(void)state;
	struct metrics_cap c;
	char ev[METRICS_CAP_VALUE_MAX], name[32];
	metrics_cap_init(&c, 3);
	for (int r = 0; r < 50; r++)
		use(&c, "busy", ev);
	int evictions = 0;
	for (int i = 0; i < 4 * METRICS_CAP_TRACK; i++) {
		snprintf(name, sizeof(name), "junk-%d", i);
		use(&c, name, ev);
		evictions += ev[0] != '\0';
		assert_true(c.n <= METRICS_CAP_TRACK);
	}
	assert_true(metrics_cap_has(&c, "busy")); /* 50 uses: never the least used */
	for (int r = 0; r < 60; r++)
		use(&c, "late", ev);
	assert_true(metrics_cap_has(&c, "late"));
	assert_true(metrics_cap_has(&c, "busy"));
	size_t slots = 0;
	for (size_t i = 0; i < c.n; i++)
		slots += c.e[i].slot;
	assert_int_equal(slots, 3);
	assert_int_equal(c.n_slots, 3);
	(void)evictions;
	/* a long name is cut, and the cut name is one value */
	char longname[200];
	memset(longname, 'm', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	metrics_cap_init(&c, 1);
	assert_int_equal(strlen(use(&c, longname, ev)), METRICS_CAP_VALUE_MAX - 1);
	use(&c, longname, ev);
	assert_int_equal(c.n, 1);
}

/* The past fades: a name that was busy and stopped loses its slot to one in
 * use now (without halving, "late" would need more than 1000 uses); and a
 * challenger needs a quarter more than the holder, so names of about the
 * same traffic do not trade the slot at every request. */
static void test_cap_fades_and_holds(void **state)
{
	(void)state;
	struct metrics_cap c;
	char ev[METRICS_CAP_VALUE_MAX];
	metrics_cap_init(&c, 1);
	assert_int_equal(c.halve_every, METRICS_CAP_HALVE_EVERY);
	c.halve_every = 100;
	for (int i = 0; i < 1000; i++)
		use(&c, "old", ev);
	int took = -1;
	for (int i = 0; i < 300 && took < 0; i++)
		if (strcmp(use(&c, "late", ev), "late") == 0)
			took = i;
	assert_true(took > 0 && took < 300);
	assert_string_equal(ev, "old");
	assert_false(metrics_cap_has(&c, "old"));
	/* the holder y at 100: x at 110 is not enough (a quarter more: > 125) */
	metrics_cap_init(&c, 1);
	c.halve_every = 0;
	for (int i = 0; i < 100; i++)
		use(&c, "y", ev);
	for (int i = 0; i < 110; i++)
		assert_string_equal(use(&c, "x", ev), METRICS_CAP_OTHER);
	assert_true(metrics_cap_has(&c, "y"));
	for (int i = 0; i < 15; i++)
		use(&c, "x", ev); /* 125: still not */
	assert_true(metrics_cap_has(&c, "y"));
	assert_string_equal(use(&c, "x", ev), "x"); /* 126 */
	assert_string_equal(ev, "y");
}

struct fx {
	struct metrics *m;
	struct metrics_genai g;
};

static void gw(struct observation *o, const char *provider, const char *model, double total_ms)
{
	observation_init(o);
	o->source = OBS_GATEWAY;
	o->ts_ms = 1767225600000LL;
	snprintf(o->pid.provider, sizeof(o->pid.provider), "%s", provider);
	snprintf(o->pid.model, sizeof(o->pid.model), "%s", model);
	o->http_status = 200;
	o->norm.error_class = EC_OK;
	o->total_ms = total_ms;
}

static bool has(const char *text, const char *line)
{
	return strstr(text, line) != NULL;
}

/* The conventions' bounds, and a value on a bound counts in that bucket
 * (le is "less than or equal"). */
static void test_buckets(void **state)
{
	(void)state;
	size_t n;
	const double *d = metrics_genai_buckets(GENAI_DURATION, &n);
	assert_int_equal(n, 14);
	assert_true(d[0] == 0.01 && d[6] == 0.64 && d[13] == 81.92);
	for (size_t i = 1; i < n; i++)
		assert_true(fabs(d[i] - 2 * d[i - 1]) < 1e-9); /* doubling from 10 ms */
	const double *t = metrics_genai_buckets(GENAI_TTFT, &n);
	assert_int_equal(n, 16);
	assert_true(t[0] == 0.001 && t[7] == 0.1 && t[15] == 10.0);
	const double *k = metrics_genai_buckets(GENAI_TOKENS, &n);
	assert_int_equal(n, 14);
	for (size_t i = 1; i < n; i++)
		assert_true(k[i] == 4 * k[i - 1]);
	assert_true(k[13] == 67108864);

	struct fx f = { .m = metrics_new() };
	assert_int_equal(metrics_genai_register(f.m, &f.g, 10), 0);
	struct observation o;
	gw(&o, "openai", "gpt-4o", 640); /* exactly 0.64 s */
	o.stream = VG_TRI_TRUE;
	o.ttfb_ms = 100; /* exactly 0.1 s */
	o.input_tokens = 16;
	o.output_tokens = 17;
	o.cost_usd = 0.25;
	metrics_genai_observe(&f.g, &o);
	gw(&o, "openai", "gpt-4o", 650); /* just over 0.64 */
	o.stream = VG_TRI_FALSE;         /* no time to first token */
	o.ttfb_ms = 90;
	o.cost_usd = 0.5;
	metrics_genai_observe(&f.g, &o);
	char *text = metrics_render(f.m, NULL);
	if (getenv("VIGIL_TEST_VERBOSE"))
		fputs(text, stderr);
#define D                                                                                          \
	"gen_ai_client_operation_duration_seconds_bucket{gen_ai_operation_name=\"chat\","          \
	"gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\",error_type=\"\","
	assert_true(has(text, D "le=\"0.32\"} 0\n"));
	assert_true(has(text, D "le=\"0.64\"} 1\n"));
	assert_true(has(text, D "le=\"1.28\"} 2\n"));
	assert_true(has(text, D "le=\"+Inf\"} 2\n"));
#define T                                                                                          \
	"gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_operation_name=\"chat\","         \
	"gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\","
	assert_true(has(text, T "le=\"0.08\"} 0\n"));
	assert_true(has(text, T "le=\"0.1\"} 1\n"));
	assert_true(has(text, T "le=\"+Inf\"} 1\n")); /* the unstreamed one is not counted */
#define K                                                                                          \
	"gen_ai_client_token_usage_bucket{gen_ai_operation_name=\"chat\","                         \
	"gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\","
	assert_true(has(text, K "gen_ai_token_type=\"input\",le=\"16\"} 1\n"));
	assert_true(has(text, K "gen_ai_token_type=\"output\",le=\"16\"} 0\n"));
	assert_true(has(text, K "gen_ai_token_type=\"output\",le=\"64\"} 1\n"));
	assert_true(has(text, "vigil_gen_ai_spend_usd_total{gen_ai_operation_name=\"chat\","
	                      "gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\"} "
	                      "0.75\n"));
	free(text);
	metrics_free(f.m);
}

/* Errors carry error_type; probes are not gateway traffic; a request
 * without a model is "unknown", never model="". */
static void test_what_counts(void **state)
{
	(void)state;
	struct fx f = { .m = metrics_new() };
	assert_int_equal(metrics_genai_register(f.m, &f.g, 10), 0);
	struct observation o;
	gw(&o, "anthropic", "haiku", 2000);
	o.http_status = 529;
	o.norm.error_class = EC_OVERLOADED;
	o.stream = VG_TRI_TRUE;
	o.ttfb_ms = 50; /* a failure: no time to first token */
	metrics_genai_observe(&f.g, &o);
	gw(&o, "anthropic", "haiku", 30000);
	o.http_status = -1;
	o.transport_error = TE_TIMEOUT;
	o.norm.error_class = EC_TRANSPORT;
	metrics_genai_observe(&f.g, &o);
	gw(&o, "anthropic", "haiku", 10);
	o.source = OBS_PROBE;
	metrics_genai_observe(&f.g, &o);
	gw(&o, "anthropic", "", 10);
	metrics_genai_observe(&f.g, &o);
	char *text = metrics_render(f.m, NULL);
	assert_true(has(text, "error_type=\"overloaded\",le=\"+Inf\"} 1\n"));
	assert_true(has(text, "error_type=\"timeout\",le=\"+Inf\"} 1\n"));
	assert_true(has(text, "gen_ai_request_model=\"unknown\",error_type=\"\",le=\"0.01\"} 1\n"));
	assert_false(has(text, "gen_ai_server_time_to_first_token_seconds_bucket"));
	assert_false(has(text, "model=\"\""));
	/* the probe: only the unknown-model request succeeded in 10 ms */
	assert_false(has(text, "gen_ai_request_model=\"haiku\",error_type=\"\""));
	free(text);
	metrics_free(f.m);
}

/* Sum of the _count series over all label values of a family in text. */
static double sum_of(const char *text, const char *prefix)
{
	double sum = 0;
	size_t n = strlen(prefix);
	for (const char *p = text; (p = strstr(p, prefix)); p += n) {
		if (p != text && p[-1] != '\n')
			continue;
		const char *sp = strchr(p, ' ');
		sum += strtod(sp + 1, NULL);
	}
	return sum;
}

/* The cap on the families: two slots, a third model busier than one
 * holder takes its slot and the holder's series fold into "other"; at every
 * step the counts over models add up to the requests fed. */
static void test_cap_in_families(void **state)
{
	(void)state;
	struct fx f = { .m = metrics_new() };
	assert_int_equal(metrics_genai_register(f.m, &f.g, 2), 0);
	struct observation o;
	const char *seq[] = { "a", "a", "a", "b", "c", "c", "d" };
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		gw(&o, "openai", seq[i], 100);
		o.cost_usd = 1;
		metrics_genai_observe(&f.g, &o);
		char *text = metrics_render(f.m, NULL);
		assert_true(sum_of(text, "gen_ai_client_operation_duration_seconds_count{") ==
		            (double)(i + 1));
		assert_true(sum_of(text, "vigil_gen_ai_spend_usd_total{") == (double)(i + 1));
		free(text);
	}
	char *text = metrics_render(f.m, NULL);
	if (getenv("VIGIL_TEST_VERBOSE"))
		fputs(text, stderr);
	/* a:3 and c:2 hold the slots. c's first request went to other (it had
	 * no slot yet), b's one was folded there when c took its slot, d's one
	 * went there: other = 3, and c's own series counts from its slot on. */
	assert_true(has(text, "vigil_gen_ai_spend_usd_total{gen_ai_operation_name=\"chat\","
	                      "gen_ai_provider_name=\"openai\",gen_ai_request_model=\"a\"} 3\n"));
	assert_true(has(text, "vigil_gen_ai_spend_usd_total{gen_ai_operation_name=\"chat\","
	                      "gen_ai_provider_name=\"openai\",gen_ai_request_model=\"c\"} 1\n"));
	assert_true(has(text,
	                "vigil_gen_ai_spend_usd_total{gen_ai_operation_name=\"chat\","
	                "gen_ai_provider_name=\"openai\",gen_ai_request_model=\"other\"} 3\n"));
	assert_false(has(text, "gen_ai_request_model=\"b\""));
	assert_false(has(text, "gen_ai_request_model=\"d\""));
	free(text);
	metrics_free(f.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_busiest),         cmocka_unit_test(test_cap_many_names),
		cmocka_unit_test(test_cap_fades_and_holds), cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_what_counts),         cmocka_unit_test(test_cap_in_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
