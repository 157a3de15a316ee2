/*
 * test_sim_gateway.c: the gateway traffic generator. Its lines parse as
 * events-v1 (jansson, field by field), follow the scenario's timeline (each
 * fault of the truth file shows in its window and nowhere in the calm
 * minutes before), fail over with after_failure_of during an outage, are
 * byte-identical for a seed however they are advanced, keep every timing,
 * status, id and token count when a scenario changes only what the models
 * write (one random stream per concern), rotate by rename and
 * by copytruncate without losing a line, and are written live by the uv
 * driver with ts on the wall clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim.h"
#include "sim/sim_timeline.h"
#include "tests/support/testutil.h"

#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE 60000LL

struct lines {
	char **v;
	size_t n, cap;
	size_t bytes;
};

static int collect(void *ud, const char *line, size_t len)
{
	struct lines *l = ud;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = strndup(line, len);
	l->bytes += len;
	return 0;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int64_t start_ms(void)
{
	int64_t t;
	assert_int_equal(sim_time_parse_rfc3339("2026-11-27T10:00:00Z", &t), 0);
	return t;
}

static struct sim_scenario *load(const char *name)
{
	struct sim_scenario *s = NULL;
	char *cause = NULL;
	int rc = sim_scenario_load(name, &s, &cause);
	if (rc)
		fprintf(stderr, "%s\n", cause);
	free(cause);
	assert_int_equal(rc, 0);
	return s;
}

static void generate_scn(const struct sim_scenario *s, double rate, uint64_t seed, int64_t duration,
                         struct lines *out)
{
	struct sim_gateway_opts o = { .scenario = s,
		                      .rate = rate,
		                      .seed = seed,
		                      .start_ms = start_ms(),
		                      .duration_ms = duration };
	char *cause = NULL;
	struct sim_gateway *g = sim_gateway_new(&o, &cause);
	assert_non_null(g);
	memset(out, 0, sizeof(*out));
	assert_int_equal(sim_gateway_advance(g, INT64_MAX, collect, out), 0);
	assert_true(sim_gateway_done(g));
	assert_int_equal(sim_gateway_lines(g), out->n);
	sim_gateway_free(g);
}

static void generate(const char *scenario, double rate, uint64_t seed, int64_t duration,
                     struct lines *out)
{
	struct sim_scenario *s = load(scenario);
	generate_scn(s, rate, seed, duration, out);
	free(s);
}

/* ---- reading lines ---- */

static json_t *get(json_t *o, const char *a, const char *b)
{
	json_t *x = json_object_get(o, a);
	return b ? json_object_get(x, b) : x;
}

static const char *gs(json_t *o, const char *a, const char *b)
{
	return json_string_value(get(o, a, b));
}

static int64_t scn_t(json_t *e)
{
	int64_t t;
	assert_int_equal(sim_time_parse_rfc3339(gs(e, "ts", NULL), &t), 0);
	return t - start_ms();
}

static int status(json_t *e)
{
	return (int)json_integer_value(get(e, "http", "status"));
}

static const char *text(json_t *e)
{
	const char *t = gs(e, "response", "text");
	return t ? t : "";
}

static bool body_has(json_t *e, const char *needle)
{
	json_t *b = get(e, "http", "body");
	if (!b)
		return false;
	char *s = json_dumps(b, JSON_ENCODE_ANY);
	bool hit = s && strstr(s, needle);
	free(s);
	return hit;
}

static bool any_of(const char *s, const char *const *needles)
{
	for (; *needles; needles++)
		if (strstr(s, *needles))
			return true;
	return false;
}

static const char *const hallucination_markers[] = { "Globex",      "Helena Marsh", "kb.example",
	                                             "30 February", "[3]",          "Orion",
	                                             "Lisbon",      "1,250",        "Meridian",
	                                             NULL };
static const char *const pii_markers[] = { "@example.", "4111 1111", "5500 0000", "AKIA",
	                                   "sk-proj-",  "+1 415",    "+44 20",    NULL };

static double ratio(json_t *e)
{
	json_t *in = get(e, "usage", "input_tokens"),
	       *pred = get(e, "usage", "predicted_input_tokens");
	if (!json_is_integer(in) || !json_is_integer(pred) || json_integer_value(pred) == 0)
		return NAN;
	return (double)json_integer_value(in) / (double)json_integer_value(pred);
}

/* Does line e show fault `fault` (for provider/template when given)? */
static bool shows(json_t *e, const char *fault, const char *provider, const char *tmpl)
{
	if (provider && strcmp(gs(e, "provider", NULL), provider) != 0)
		return false;
	if (tmpl && strcmp(gs(e, "template", NULL), tmpl) != 0)
		return false;
	int st = status(e);
	if (!strcmp(fault, "rate_limit"))
		return st == 429 && body_has(e, "rate_limit") && !body_has(e, "spend_limit");
	if (!strcmp(fault, "overloaded"))
		return st == 529 || (st == 200 && body_has(e, "overloaded_error"));
	if (!strcmp(fault, "unavailable"))
		return st == 503;
	if (!strcmp(fault, "latency"))
		return json_number_value(get(e, "transport", "total_ms")) > 10000;
	if (!strcmp(fault, "prompt_injection"))
		return ratio(e) > 2.0 && strstr(text(e), "system prompt");
	if (!strcmp(fault, "hallucination"))
		return any_of(text(e), hallucination_markers);
	if (!strcmp(fault, "pii_leak"))
		return any_of(text(e), pii_markers);
	if (!strcmp(fault, "stale_context"))
		return json_number_value(get(e, "context", "doc_age_s")) > 604800;
	if (!strcmp(fault, "embedding_drift"))
		return get(e, "context", "top_similarity") &&
		       json_number_value(get(e, "context", "top_similarity")) < 0.7;
	if (!strcmp(fault, "format_violation"))
		return json_is_false(get(e, "response", "schema_valid"));
	if (!strcmp(fault, "auth"))
		return st == 400 && body_has(e, "API_KEY_INVALID");
	if (!strcmp(fault, "retry_storm"))
		return json_integer_value(get(e, "retry_count", NULL)) > 3;
	if (!strcmp(fault, "quota"))
		return st == 429 && body_has(e, "insufficient_quota");
	if (!strcmp(fault, "context_stuffing"))
		return ratio(e) > 1.12 && ratio(e) < 1.5;
	if (!strcmp(fault, "spend_cap"))
		return st == 429 && body_has(e, "enforced_spend_limit_reached");
	if (!strcmp(fault, "jailbreak")) {
		const char *fr = gs(e, "response", "finish_reason");
		return fr && (!strcmp(fr, "content_filter") || !strcmp(fr, "refusal") ||
		              !strcmp(fr, "SAFETY"));
	}
	if (!strcmp(fault, "truncated")) {
		const char *cl =
		        json_string_value(get(get(e, "http", "headers"), "content-length", NULL));
		return st == 200 && cl &&
		       json_integer_value(get(e, "http", "body_bytes")) < strtoll(cl, NULL, 10);
	}
	fail_msg("no predicate for fault %s", fault);
	return false;
}

/* ---- tests ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static bool is_number(json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

/* oncall-day at 5/s, generated once for the tests that only read it */
static struct lines oncall;

static int group_setup(void **state)
{
	(void)state;
	generate("oncall-day", 5, 0, 0, &oncall);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	lines_free(&oncall);
	return 0;
}

static void test_lines_are_events_v1(void **state)
{
	(void)state;
	struct lines l = oncall;
	assert_true(l.n > 10000);
	regex_t ts_re, hname_re;
	assert_int_equal(
	        regcomp(&ts_re,
	                "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
	                REG_EXTENDED | REG_NOSUB),
	        0);
	assert_int_equal(regcomp(&hname_re, "^[a-z0-9-]+$", REG_EXTENDED | REG_NOSUB), 0);
	double last_end = -1;
	size_t non2xx = 0, fallback = 0, streams = 0;
	char **keys = malloc(l.n * sizeof(*keys));
	for (size_t i = 0; i < l.n; i++) {
		json_error_t err;
		json_t *e = json_loads(l.v[i], 0, &err);
		if (!e)
			fail_msg("line %zu is not JSON: %s", i + 1, err.text);
		char key[128];
		snprintf(key, sizeof(key), "%s#%lld", gs(e, "request_id", NULL),
		         (long long)json_integer_value(get(e, "selection", "attempt")));
		keys[i] = strdup(key);
		assert_int_equal(json_integer_value(get(e, "schema_version", NULL)), 1);
		assert_int_equal(regexec(&ts_re, gs(e, "ts", NULL), 0, NULL, 0), 0);
		assert_non_null(gs(e, "request_id", NULL));
		const char *p = gs(e, "provider", NULL);
		assert_true(!strcmp(p, "openai") || !strcmp(p, "anthropic") ||
		            !strcmp(p, "google"));
		assert_non_null(gs(e, "model", NULL));
		assert_non_null(gs(e, "key_alias", NULL));
		assert_non_null(gs(e, "template", NULL));
		const char *tc = gs(e, "traffic_class", NULL);
		assert_true(!strcmp(tc, "revenue") || !strcmp(tc, "compliance") ||
		            !strcmp(tc, "internal") || !strcmp(tc, "experimental"));
		const char *reason = gs(e, "selection", "reason");
		assert_true(!strcmp(reason, "primary") || !strcmp(reason, "fallback"));
		int64_t attempt = json_integer_value(get(e, "selection", "attempt"));
		assert_true(attempt >= 1);
		assert_int_equal(json_integer_value(get(e, "retry_count", NULL)), attempt - 1);
		json_t *after = get(e, "selection", "after_failure_of");
		if (!strcmp(reason, "fallback")) {
			fallback++;
			assert_true(json_is_string(after));
			assert_string_not_equal(json_string_value(after), p);
		} else {
			assert_null(after);
		}
		assert_true(json_is_boolean(get(e, "stream", NULL)));
		streams += json_is_true(get(e, "stream", NULL));
		json_t *tr = get(e, "transport", NULL);
		assert_true(is_number(json_object_get(tr, "total_ms")));
		double total = json_number_value(json_object_get(tr, "total_ms"));
		const char *terr = json_string_value(json_object_get(tr, "error"));
		json_t *http = get(e, "http", NULL);
		/* exactly one of: an HTTP answer, or a transport error */
		assert_true((terr == NULL) == (http != NULL));
		if (terr)
			assert_true(!strcmp(terr, "dns") || !strcmp(terr, "connect") ||
			            !strcmp(terr, "tls") || !strcmp(terr, "timeout") ||
			            !strcmp(terr, "reset"));
		if (http) {
			int st = status(e);
			assert_true(st >= 200 && st < 600);
			json_t *h = json_object_get(http, "headers");
			assert_true(json_is_object(h));
			const char *k;
			json_t *v;
			json_object_foreach (h, k, v) {
				assert_int_equal(regexec(&hname_re, k, 0, NULL, 0), 0);
				assert_true(json_is_string(v));
			}
			assert_true(json_is_integer(json_object_get(http, "body_bytes")));
			if (st != 200) {
				non2xx++;
				assert_non_null(json_object_get(http, "body"));
				assert_null(get(e, "response", NULL));
			}
			/* the ttfb comes before the end */
			json_t *ttfb = json_object_get(tr, "ttfb_ms");
			if (ttfb)
				assert_true(json_number_value(ttfb) <= total + 0.05);
		}
		json_t *u = get(e, "usage", NULL);
		assert_true(json_is_integer(json_object_get(u, "predicted_input_tokens")));
		if (get(e, "response", "finish_reason") || get(e, "response", "block_reason")) {
			assert_true(json_is_integer(json_object_get(u, "input_tokens")));
			assert_true(json_is_integer(json_object_get(u, "output_tokens")));
		}
		json_t *sv = get(e, "response", "schema_valid");
		if (sv)
			assert_non_null(gs(e, "response", "schema_id"));
		assert_true(is_number(get(e, "cost_usd", NULL)));
		assert_true(json_number_value(get(e, "cost_usd", NULL)) >= 0);
		json_t *ctx = get(e, "context", NULL);
		if (ctx) {
			assert_true(json_is_string(json_object_get(ctx, "text")));
			assert_true(is_number(json_object_get(ctx, "doc_age_s")));
			double sim = json_number_value(json_object_get(ctx, "top_similarity"));
			assert_true(sim >= 0 && sim <= 1);
		}
		/* lines come in completion order */
		double end = (double)scn_t(e) + total;
		assert_true(end >= last_end - 1.5);
		if (end > last_end)
			last_end = end;
		json_decref(e);
	}
	assert_true(non2xx > 50);
	assert_true(fallback > 50);
	assert_true(streams > 100);
	/* (request_id, attempt) names one line */
	qsort(keys, l.n, sizeof(*keys), cmp_str);
	for (size_t i = 1; i < l.n; i++)
		assert_string_not_equal(keys[i - 1], keys[i]);
	for (size_t i = 0; i < l.n; i++)
		free(keys[i]);
	free(keys);
	regfree(&ts_re);
	regfree(&hname_re);
}

static void test_follows_the_timeline(void **state)
{
	(void)state;
	struct lines l = oncall;
	struct sim_scenario *s = load("oncall-day");
	struct sim_buf tb;
	sim_buf_init(&tb);
	sim_truth_json(s, start_ms(), 1, &tb);
	json_t *truth = json_loads(sim_buf_cstr(&tb), 0, NULL);
	assert_non_null(truth);
	json_t **ev = malloc(l.n * sizeof(*ev));
	for (size_t i = 0; i < l.n; i++)
		ev[i] = json_loads(l.v[i], 0, NULL);
	size_t fi;
	json_t *f;
	int failures = 0;
	json_array_foreach (json_object_get(truth, "faults"), fi, f) {
		const char *fault = gs(f, "fault", NULL);
		const char *prov = gs(f, "provider", NULL), *tmpl = gs(f, "template", NULL);
		int64_t on = json_integer_value(get(f, "onset_ms", NULL));
		int64_t off = json_integer_value(get(f, "end_ms", NULL));
		size_t in = 0, early = 0;
		for (size_t i = 0; i < l.n; i++) {
			int64_t t = scn_t(ev[i]);
			if (!shows(ev[i], fault, prov, tmpl))
				continue;
			if (t >= on && t < off + 60000)
				in++;
			if (t < 3 * MINUTE)
				early++;
		}
		fprintf(stderr, "  %-24s %-17s %6zu line(s) show it in its window\n",
		        gs(f, "name", NULL), fault, in);
		if (in < 3 || early > 0) {
			fprintf(stderr,
			        "FAIL %s (%s): %zu lines in its window, %zu in the calm start\n",
			        gs(f, "name", NULL), fault, in, early);
			failures++;
		}
	}
	/* and nothing at all goes wrong in the first three minutes */
	for (size_t i = 0; i < l.n; i++) {
		if (scn_t(ev[i]) >= 3 * MINUTE)
			continue;
		assert_int_equal(status(ev[i]), 200);
		assert_int_equal(json_integer_value(get(ev[i], "retry_count", NULL)), 0);
	}
	for (size_t i = 0; i < l.n; i++)
		json_decref(ev[i]);
	free(ev);
	json_decref(truth);
	sim_buf_free(&tb);
	free(s);
	assert_int_equal(failures, 0);
}

static void test_outage_fails_over(void **state)
{
	(void)state;
	struct lines l;
	generate("openai-dec-2024", 3, 0, 66 * MINUTE, &l);
	size_t before_bad = 0, openai = 0, openai_bad = 0, fb = 0, fb_ok = 0, after_attempt2 = 0;
	for (size_t i = 0; i < l.n; i++) {
		json_t *e = json_loads(l.v[i], 0, NULL);
		int64_t t = scn_t(e);
		const char *p = gs(e, "provider", NULL);
		if (t < 10 * MINUTE && status(e) != 200)
			before_bad++;
		if (t >= 55 * MINUTE && t < 65 * MINUTE) {
			if (!strcmp(p, "openai")) {
				openai++;
				openai_bad += status(e) != 200;
			} else {
				assert_string_equal(p, "anthropic");
				assert_string_equal(gs(e, "selection", "reason"), "fallback");
				assert_string_equal(gs(e, "selection", "after_failure_of"),
				                    "openai");
				fb++;
				fb_ok += status(e) == 200;
				after_attempt2 +=
				        json_integer_value(get(e, "selection", "attempt")) > 1;
			}
		}
		json_decref(e);
	}
	assert_int_equal(before_bad, 0);
	/* the gateway's breaker keeps probing openai, and it keeps failing */
	assert_true(openai > 10);
	assert_true(openai_bad * 100 >= openai * 90);
	/* most traffic runs on the healthy fallback, successfully */
	assert_true(fb > 1200);
	assert_int_equal(fb_ok, fb);
	assert_true(after_attempt2 > 0);
	lines_free(&l);
}

static void test_no_healthy_fallback(void **state)
{
	(void)state;
	struct lines l;
	generate("google-jun-2025", 3, 0, 31 * MINUTE, &l);
	size_t in = 0, ok = 0, retries = 0;
	for (size_t i = 0; i < l.n; i++) {
		json_t *e = json_loads(l.v[i], 0, NULL);
		int64_t t = scn_t(e);
		if (t >= 20 * MINUTE && t < 30 * MINUTE) {
			in++;
			ok += status(e) == 200;
			retries += json_integer_value(get(e, "retry_count", NULL)) > 0;
			assert_string_equal(gs(e, "provider", NULL), "google");
			assert_string_equal(gs(e, "selection", "reason"), "primary");
			if (status(e) == 503) {
				json_t *err = json_object_get(get(e, "http", "body"), "error");
				assert_string_equal(
				        json_string_value(json_object_get(err, "status")),
				        "UNAVAILABLE");
			}
		}
		json_decref(e);
	}
	assert_true(in > 2000);
	assert_int_equal(ok, 0);
	assert_true(retries * 2 > in);
	lines_free(&l);
}

static void test_calm_is_calm(void **state)
{
	(void)state;
	struct lines l;
	generate("calm", 5, 0, 30 * MINUTE, &l);
	assert_true(l.n > 7500);
	double *lat = malloc(l.n * sizeof(*lat));
	for (size_t i = 0; i < l.n; i++) {
		json_t *e = json_loads(l.v[i], 0, NULL);
		assert_int_equal(status(e), 200);
		assert_null(get(e, "transport", "error"));
		assert_int_equal(json_integer_value(get(e, "retry_count", NULL)), 0);
		assert_string_equal(gs(e, "selection", "reason"), "primary");
		assert_false(json_is_false(get(e, "response", "schema_valid")));
		double r = ratio(e);
		assert_true(r > 0.96 && r < 1.04);
		assert_false(any_of(text(e), hallucination_markers));
		assert_false(any_of(text(e), pii_markers));
		json_t *ctx = get(e, "context", NULL);
		if (ctx) {
			assert_true(json_number_value(json_object_get(ctx, "doc_age_s")) < 604800);
			assert_true(json_number_value(json_object_get(ctx, "top_similarity")) >
			            0.65);
		}
		const char *fr = gs(e, "response", "finish_reason");
		assert_true(!strcmp(fr, "stop") || !strcmp(fr, "end_turn") || !strcmp(fr, "STOP"));
		lat[i] = json_number_value(get(e, "transport", "total_ms"));
		json_decref(e);
	}
	qsort(lat, l.n, sizeof(*lat), cmp_double);
	assert_true(lat[l.n * 95 / 100] < 5000);
	assert_true(lat[l.n / 2] > 300);
	free(lat);
	lines_free(&l);
}

static char *join(const struct lines *l)
{
	struct sim_buf b;
	sim_buf_init(&b);
	for (size_t i = 0; i < l->n; i++) {
		sim_buf_puts(&b, l->v[i]);
		sim_buf_add(&b, "\n", 1);
	}
	return sim_buf_take(&b, NULL);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct lines a, b, c;
	generate("anthropic-529-waves", 5, 99, 15 * MINUTE, &a);
	generate("anthropic-529-waves", 5, 99, 15 * MINUTE, &b);
	generate("anthropic-529-waves", 5, 100, 15 * MINUTE, &c);
	char *ja = join(&a), *jb = join(&b), *jc = join(&c);
	assert_string_equal(ja, jb);
	assert_string_not_equal(ja, jc);
	/* advancing in small steps, as the live writer does, gives the same bytes */
	struct sim_scenario *s = load("anthropic-529-waves");
	struct sim_gateway_opts o = { .scenario = s,
		                      .rate = 5,
		                      .seed = 99,
		                      .start_ms = start_ms(),
		                      .duration_ms = 15 * MINUTE };
	struct sim_gateway *g = sim_gateway_new(&o, NULL);
	struct lines d;
	memset(&d, 0, sizeof(d));
	for (int64_t t = 0; !sim_gateway_done(g); t += 7321)
		assert_int_equal(sim_gateway_advance(g, t, collect, &d), 0);
	char *jd = join(&d);
	assert_string_equal(ja, jd);
	sim_gateway_free(g);
	free(s);
	free(ja);
	free(jb);
	free(jc);
	free(jd);
	lines_free(&a);
	lines_free(&b);
	lines_free(&c);
	lines_free(&d);
}

/* A line without what depends on the response's words: the text, its
 * schema verdict, the retrieval context's text, and a 200's body and size. */
static char *without_words(const char *line, json_t **words)
{
	json_t *e = json_loads(line, 0, NULL);
	assert_non_null(e);
	json_t *w = json_object();
	json_t *resp = json_object_get(e, "response"), *ctx = json_object_get(e, "context");
	json_t *http = json_object_get(e, "http");
	if (resp) {
		json_object_set(w, "text", json_object_get(resp, "text"));
		json_object_del(resp, "text");
		json_object_del(resp, "schema_valid");
	}
	if (ctx) {
		json_object_set(w, "context", json_object_get(ctx, "text"));
		json_object_del(ctx, "text");
	}
	if (http && json_integer_value(json_object_get(http, "status")) == 200) {
		json_object_del(http, "body");
		json_object_del(http, "body_bytes");
		json_object_del(json_object_get(http, "headers"), "content-length");
	}
	char *out = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(e);
	*words = w;
	return out;
}

/* Lines of a and b are the same but for their words; returns how many
 * lines' words differ (what key, "text" or "context"). */
static size_t same_but_words(const struct lines *a, const struct lines *b, const char *key)
{
	assert_int_equal(a->n, b->n);
	size_t differ = 0;
	for (size_t i = 0; i < a->n; i++) {
		json_t *wa, *wb;
		char *la = without_words(a->v[i], &wa), *lb = without_words(b->v[i], &wb);
		if (strcmp(la, lb) != 0)
			fail_msg("line %zu differs beyond its words:\n%s\n%s", i, la, lb);
		json_t *xa = json_object_get(wa, key), *xb = json_object_get(wb, key);
		differ += (xa || xb) && !(xa && xb && json_equal(xa, xb));
		free(la);
		free(lb);
		json_decref(wa);
		json_decref(wb);
	}
	return differ;
}

/*
 * One random stream per concern, through the generator: a scenario that
 * differs only in what the models write (a hallucination phase added; a
 * template's content kind changed, so its facts take another number of
 * draws) gives the same lines but for their words: every arrival, retry,
 * failover, status, latency, id, token count and retrieval score stays.
 * Before the streams were split, the added phase's draw shifted every later
 * draw of the requests it matched, and the text's draws the retries'.
 */
static void test_words_move_nothing_else(void **state)
{
	(void)state;
	struct sim_scenario *s = load("oncall-day");
	struct lines base, again, hall, kind;
	/* the whole day (every phase plays) at 2/s, to stay short under ASan */
	generate_scn(s, 2, 0, 0, &base);
	generate_scn(s, 2, 0, 0, &again);
	char *jb = join(&base), *ja = join(&again);
	assert_string_equal(jb, ja); /* same seed, same bytes */
	free(jb);
	free(ja);

	struct sim_scenario *h = malloc(sizeof(*h));
	assert_non_null(h);
	memcpy(h, s, sizeof(*h));
	assert_true(h->n_phases < SIM_MAX_PHASES);
	struct sim_phase *ph = &h->phases[h->n_phases++];
	memset(ph, 0, sizeof(*ph));
	snprintf(ph->name, sizeof(ph->name), "extra-hallucination");
	ph->fault = SIM_F_HALLUCINATION;
	ph->provider = -1;
	ph->template_idx = -1;
	ph->at_ms = MINUTE;
	ph->end_ms = SIM_TIME_END;
	ph->share.n = 1;
	ph->share.v[0] = 0.5;
	ph->detect_after_ms = -1;
	generate_scn(h, 2, 0, 0, &hall);
	size_t texts = same_but_words(&base, &hall, "text");
	assert_true(texts > base.n / 20);

	int ti = sim_scenario_template(s, "internal-search");
	assert_true(ti >= 0);
	struct sim_scenario *k = h;
	memcpy(k, s, sizeof(*k));
	snprintf(k->traffic.templates[ti].content, sizeof(k->traffic.templates[ti].content),
	         "support");
	generate_scn(k, 2, 0, 0, &kind);
	size_t contexts = same_but_words(&base, &kind, "context");
	assert_true(contexts > base.n / 20);

	free(k);
	free(s);
	lines_free(&base);
	lines_free(&again);
	lines_free(&hall);
	lines_free(&kind);
}

static size_t count_lines(const char *path)
{
	char *t = tu_read_file(path, NULL);
	if (!t)
		return 0;
	size_t n = 0;
	for (char *p = t; *p; p++)
		n += *p == '\n';
	free(t);
	return n;
}

static void rotation(enum sim_rotate mode)
{
	char *dir = tu_mkdtemp("simrot");
	char path[512];
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	struct sim_scenario *s = load("calm");
	struct sim_gateway_opts o = {
		.scenario = s, .rate = 5, .start_ms = start_ms(), .duration_ms = 10 * MINUTE
	};
	struct sim_gateway *g = sim_gateway_new(&o, NULL);
	struct sim_out_opts oo = { .path = path, .rotate = mode, .rotate_every = 1000, .keep = 10 };
	char *cause = NULL;
	struct sim_out *out = sim_out_open(&oo, &cause);
	assert_non_null(out);
	assert_int_equal(sim_gateway_advance(g, INT64_MAX, sim_out_cb, out), 0);
	assert_int_equal(sim_out_close(out), 0);
	size_t n = (size_t)sim_gateway_lines(g);
	assert_true(n > 2000 && n < 10000);
	size_t total = count_lines(path);
	assert_int_equal(total, n % 1000);
	for (size_t k = 1; k <= n / 1000; k++) {
		char rp[600];
		snprintf(rp, sizeof(rp), "%s.%zu", path, k);
		assert_int_equal(count_lines(rp), 1000);
		total += 1000;
	}
	assert_int_equal(total, n);
	sim_gateway_free(g);
	free(s);
	tu_rmtree(dir);
	free(dir);
}

static void test_rotation_rename(void **state)
{
	(void)state;
	rotation(SIM_ROTATE_RENAME);
}

static void test_rotation_copytruncate(void **state)
{
	(void)state;
	rotation(SIM_ROTATE_COPYTRUNCATE);
}

struct live_run {
	struct sim_live *live;
	uv_timer_t stop;
};

static void on_stop(uv_timer_t *t)
{
	struct live_run *r = t->data;
	sim_live_stop(r->live);
	uv_close((uv_handle_t *)&r->stop, NULL);
}

static void test_live_writer(void **state)
{
	(void)state;
	char *dir = tu_mkdtemp("simlive");
	char path[512];
	snprintf(path, sizeof(path), "%s/live.jsonl", dir);
	struct sim_scenario *s = load("oncall-day");
	struct sim_clock clk;
	int64_t wall0 = sim_time_wall_ms();
	sim_clock_init(&clk, wall0, 0, 600); /* 10 scenario minutes per wall second */
	struct sim_gateway_opts o = { .scenario = s,
		                      .start_ms = clk.wall0_ms,
		                      .ts_scale = 1.0 / 600 };
	struct sim_gateway *g = sim_gateway_new(&o, NULL);
	struct sim_out_opts oo = { .path = path };
	struct sim_out *out = sim_out_open(&oo, NULL);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct live_run run;
	assert_int_equal(sim_live_start(&loop, g, out, &clk, 50, &run.live), 0);
	uv_timer_init(&loop, &run.stop);
	run.stop.data = &run;
	uv_timer_start(&run.stop, on_stop, 400, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	int64_t wall1 = sim_time_wall_ms();
	/* what was written is a prefix of the scenario, stamped on the wall clock
	 * (each line ends when it is written) */
	char *t = tu_read_file(path, NULL);
	assert_non_null(t);
	size_t n = 0;
	for (char *line = t; line && *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		json_t *e = json_loadb(line, (size_t)(nl - line), 0, NULL);
		assert_non_null(e);
		int64_t ts;
		assert_int_equal(sim_time_parse_rfc3339(gs(e, "ts", NULL), &ts), 0);
		/* its end: after the start, and never ahead of the wall clock */
		int64_t end =
		        ts + (int64_t)llround(json_number_value(get(e, "transport", "total_ms")));
		assert_true(end >= wall0 - 1 && end <= wall1 + 1);
		json_decref(e);
		n++;
		line = nl + 1;
	}
	assert_true(n > 0);
	free(t);
	free(s);
	tu_rmtree(dir);
	free(dir);
}

/* A compressed clock (ts_scale < 1, the demo's and `vigil sim`'s live
 * mode): every line is released by scenario time until_ms, so written at
 * wall time start + until_ms * scale; its end, ts + total_ms, must not be
 * later (a gateway writes a line when its request has ended). Durations
 * keep their real length; ts moves back instead. */
struct ends {
	int64_t limit; /* start + until * scale of the advance in progress */
	size_t n, ahead;
	int64_t worst; /* ms the latest end ran ahead of its write */
	double longest;
};

static int check_end(void *ud, const char *line, size_t len)
{
	struct ends *x = ud;
	json_t *e = json_loadb(line, len, 0, NULL);
	assert_non_null(e);
	int64_t ts;
	assert_int_equal(sim_time_parse_rfc3339(gs(e, "ts", NULL), &ts), 0);
	double total = json_number_value(get(e, "transport", "total_ms"));
	int64_t end = ts + (int64_t)llround(total);
	if (end > x->limit + 1) {
		x->ahead++;
		if (end - x->limit > x->worst)
			x->worst = end - x->limit;
	}
	if (total > x->longest)
		x->longest = total;
	x->n++;
	json_decref(e);
	return 0;
}

static void test_compressed_ends_not_ahead(void **state)
{
	(void)state;
	struct sim_scenario *s = load("oncall-day");
	const double scale = 1.0 / 10;
	struct sim_gateway_opts o = {
		.scenario = s, .start_ms = start_ms(), .ts_scale = scale, .duration_ms = 40 * MINUTE
	};
	struct sim_gateway *g = sim_gateway_new(&o, NULL);
	assert_non_null(g);
	struct ends x = { 0 };
	for (int64_t until = 0; !sim_gateway_done(g); until += 1000) {
		x.limit = start_ms() + (int64_t)llround((double)until * scale);
		assert_int_equal(sim_gateway_advance(g, until, check_end, &x), 0);
	}
	sim_gateway_free(g);
	free(s);
	assert_true(x.n > 100);
	assert_true(x.longest > 5000); /* there are long requests to get wrong */
	if (x.ahead)
		fail_msg("%zu of %zu lines end after they are written (up to %lld ms)", x.ahead,
		         x.n, (long long)x.worst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_are_events_v1),
		cmocka_unit_test(test_follows_the_timeline),
		cmocka_unit_test(test_outage_fails_over),
		cmocka_unit_test(test_no_healthy_fallback),
		cmocka_unit_test(test_calm_is_calm),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_words_move_nothing_else),
		cmocka_unit_test(test_rotation_rename),
		cmocka_unit_test(test_rotation_copytruncate),
		cmocka_unit_test(test_live_writer),
		cmocka_unit_test(test_compressed_ends_not_ahead),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
