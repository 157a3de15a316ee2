/*
 * test_semantic.c: the semantic checks, driven by data files in
 * tests/data/semantic/checks/<check>.json.
 *
 * A file holds cases; each case runs on a fresh struct semantic (with
 * "settings" overrides) and is a list of steps. A step is an observation
 * ("obs"), fed "repeat" times "every_ms" apart (texts, embeddings and
 * top_similarity values can cycle through lists), with expectations on the
 * verdicts of the last repetition ("expect") or of every one ("expect_all").
 * A case without "steps" is one step. Only the expected keys are checked;
 * null means "not measured".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/schemas.h"
#include "core/pii.h"
#include "core/semantic.h"
#include "core/vgerr.h"
#include "tests/support/testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000000LL

static struct jschema_set *schemas;
static int failures;

__attribute__((format(printf, 5, 6))) static void
bad(const char *file, const char *name, size_t step, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "FAIL %s: \"%s\" step %zu: %s: %s\n", file, name, step, key, msg);
	failures++;
}

/* ---- settings overrides ---------------------------------------------------- */

static void apply_settings(json_t *o, struct semantic_settings *ss, struct core_settings *cs,
                           bool *defer)
{
	const char *k;
	json_t *v;
	json_object_foreach (o, k, v) {
		double d = json_number_value(v);
		if (!strcmp(k, "similarity.warmup"))
			ss->similarity.warmup = (int32_t)d;
		else if (!strcmp(k, "similarity.step_drop"))
			ss->similarity.step_drop = d;
		else if (!strcmp(k, "similarity.quality_drop"))
			ss->similarity.quality_drop = d;
		else if (!strcmp(k, "similarity.change_min_samples"))
			ss->similarity.change_min_samples = (int32_t)d;
		else if (!strcmp(k, "similarity.dims"))
			ss->similarity.dims = (int32_t)d;
		else if (!strcmp(k, "tokens.stuffing_min_samples"))
			ss->tokens.stuffing_min_samples = (int32_t)d;
		else if (!strcmp(k, "tokens.stuffing_recent_ms"))
			ss->tokens.stuffing_recent_ms = (int64_t)d;
		else if (!strcmp(k, "jailbreak.min_samples"))
			ss->jailbreak.min_samples = (int32_t)d;
		else if (!strcmp(k, "jailbreak.recent_ms"))
			ss->jailbreak.recent_ms = (int64_t)d;
		else if (!strcmp(k, "jailbreak.rate"))
			ss->jailbreak.rate = d;
		else if (!strcmp(k, "drift.warmup"))
			ss->drift.warmup = (int32_t)d;
		else if (!strcmp(k, "hallucination.max_unsupported"))
			ss->hallucination.max_unsupported = (int32_t)d;
		else if (!strcmp(k, "coherence.repeat_ratio"))
			ss->coherence.repeat_ratio = d;
		else if (!strcmp(k, "budget.inline_max_bytes"))
			ss->budget.inline_max_bytes = (int64_t)d;
		else if (!strcmp(k, "pii.enabled"))
			ss->pii.enabled = json_is_true(v);
		else if (!strcmp(k, "max_keys"))
			ss->max_keys = (int32_t)d;
		else if (!strcmp(k, "defer"))
			*defer = json_is_true(v);
		else if (!strcmp(k, "thresholds.token_inflation_pct"))
			cs->token_inflation_pct = d;
		else if (!strcmp(k, "thresholds.stale_context_s"))
			cs->stale_context_s = d;
		else
			bad("settings", k, 0, k, "unknown setting in test data");
	}
}

/* ---- observations ----------------------------------------------------------- */

struct built {
	struct observation obs;
	float emb[64];
};

static json_t *cycle(json_t *step, const char *key, size_t rep)
{
	json_t *list = json_object_get(step, key);
	if (!json_is_array(list) || !json_array_size(list))
		return NULL;
	return json_array_get(list, rep % json_array_size(list));
}

static void set_str(char *dst, size_t cap, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		model_copy_str(dst, cap, json_string_value(v), (size_t)-1);
}

static void build(struct built *b, json_t *step, size_t rep)
{
	json_t *o = json_object_get(step, "obs");
	struct observation *obs = &b->obs;
	observation_init(obs);
	obs->http_status = 200;
	model_copy_str(obs->pid.provider, sizeof(obs->pid.provider), "openai", (size_t)-1);
	model_copy_str(obs->pid.model, sizeof(obs->pid.model), "gpt-4o-mini", (size_t)-1);
	set_str(obs->pid.provider, sizeof(obs->pid.provider), o, "provider");
	set_str(obs->pid.model, sizeof(obs->pid.model), o, "model");
	set_str(obs->pid.key_alias, sizeof(obs->pid.key_alias), o, "key_alias");
	set_str(obs->template_id, sizeof(obs->template_id), o, "template");
	set_str(obs->schema_id, sizeof(obs->schema_id), o, "schema_id");
	set_str(obs->norm.block_reason, sizeof(obs->norm.block_reason), o, "block_reason");
	json_t *v;
	json_t *text = cycle(step, "texts", rep);
	if (!text)
		text = json_object_get(o, "text");
	if (json_is_string(text)) {
		obs->text = json_string_value(text);
		obs->text_len = json_string_length(text);
	}
	if ((v = json_object_get(o, "context")) && json_is_string(v)) {
		obs->context_text = json_string_value(v);
		obs->context_len = json_string_length(v);
	}
	if ((v = json_object_get(o, "http_status")))
		obs->http_status = (int32_t)json_integer_value(v);
	if ((v = json_object_get(o, "input_tokens")))
		obs->input_tokens = json_integer_value(v);
	if ((v = json_object_get(o, "predicted_input_tokens")))
		obs->predicted_input_tokens = json_integer_value(v);
	if ((v = json_object_get(o, "finish")))
		obs->norm.finish = (enum finish_reason)model_finish_reason_parse(
		        json_string_value(v), (size_t)-1);
	if ((v = json_object_get(o, "safety_block")))
		obs->norm.safety_block = json_is_true(v);
	if ((v = json_object_get(o, "doc_age_s")))
		obs->doc_age_s = json_number_value(v);
	if ((v = cycle(step, "top_similarities", rep)) ||
	    (v = json_object_get(o, "top_similarity")))
		obs->top_similarity = json_number_value(v);
	if ((v = json_object_get(o, "schema_valid")))
		obs->verdicts.schema_valid = json_is_true(v) ? VG_TRI_TRUE : VG_TRI_FALSE;
	json_t *emb = cycle(step, "embeddings", rep);
	if (!emb)
		emb = json_object_get(o, "embedding");
	if (json_is_array(emb)) {
		size_t n = json_array_size(emb);
		assert_true(n <= 64);
		for (size_t i = 0; i < n; i++)
			b->emb[i] = (float)json_number_value(json_array_get(emb, i));
		obs->embedding = b->emb;
		obs->embedding_len = n;
	}
}

/* ---- expectations ------------------------------------------------------------ */

static const char *tri_name(int8_t t)
{
	return t == VG_TRI_UNSET ? "not measured" : t == VG_TRI_TRUE ? "true" : "false";
}

struct tri_field {
	const char *key;
	size_t off;
};

#define TRI(m)                                                                                     \
	{                                                                                          \
#m, offsetof(struct semantic_verdicts, m)                                          \
	}
static const struct tri_field tris[] = {
	TRI(schema_valid),    TRI(hallucination),    TRI(regression), TRI(coherence),
	TRI(token_inflation), TRI(context_stuffing), TRI(pii_leak),   TRI(jailbreak),
	TRI(stale_context),   TRI(embedding_drift),
};

static void check_double(const char *file, const char *name, size_t step, const char *key,
                         json_t *want, double got)
{
	if (json_is_null(want)) {
		if (vg_has_d(got))
			bad(file, name, step, key, "expected not measured, got %g", got);
	} else if (!vg_has_d(got) || fabs(got - json_number_value(want)) > 1e-6) {
		bad(file, name, step, key, "expected %g, got %g", json_number_value(want), got);
	}
}

static void check(const char *file, const char *name, size_t step, json_t *exp,
                  const struct semantic_verdicts *v)
{
	const char *k;
	json_t *w;
	json_object_foreach (exp, k, w) {
		bool done = false;
		for (size_t i = 0; i < sizeof(tris) / sizeof(tris[0]); i++) {
			if (strcmp(tris[i].key, k) != 0)
				continue;
			int8_t got = *(const int8_t *)((const char *)v + tris[i].off);
			int8_t want = json_is_null(w)   ? VG_TRI_UNSET
			              : json_is_true(w) ? VG_TRI_TRUE
			                                : VG_TRI_FALSE;
			if (got != want)
				bad(file, name, step, k, "expected %s, got %s (%s %s %s)",
				    tri_name(want), tri_name(got), v->pii_kind, v->pii_sample,
				    v->hallucination_sample);
			done = true;
		}
		if (done)
			continue;
		const char *ws = json_string_value(w);
		double wd = json_number_value(w);
		if (!strcmp(k, "schema_pointer") && strcmp(ws, v->schema_pointer))
			bad(file, name, step, k, "expected '%s', got '%s'", ws, v->schema_pointer);
		else if (!strcmp(k, "schema_keyword") && strcmp(ws, v->schema_keyword))
			bad(file, name, step, k, "expected '%s', got '%s'", ws, v->schema_keyword);
		else if (!strcmp(k, "pii_kind") && strcmp(ws, v->pii_kind))
			bad(file, name, step, k, "expected '%s', got '%s'", ws, v->pii_kind);
		else if (!strcmp(k, "pii_sample") && strcmp(ws, v->pii_sample))
			bad(file, name, step, k, "expected '%s', got '%s'", ws, v->pii_sample);
		else if (!strcmp(k, "pii_sample_not_contains") && strstr(v->pii_sample, ws))
			bad(file, name, step, k, "the sample '%s' shows '%s'", v->pii_sample, ws);
		else if (!strcmp(k, "hallucination_sample_contains") &&
		         !strstr(v->hallucination_sample, ws))
			bad(file, name, step, k, "'%s' not in '%s'", ws, v->hallucination_sample);
		else if (!strcmp(k, "unsupported_entities") &&
		         v->unsupported_entities != (int32_t)wd)
			bad(file, name, step, k, "expected %d, got %d (%s)", (int)wd,
			    (int)v->unsupported_entities, v->hallucination_sample);
		else if (!strcmp(k, "contradictions_min") && v->contradictions < (int32_t)wd)
			bad(file, name, step, k, "expected at least %d, got %d", (int)wd,
			    (int)v->contradictions);
		else if (!strcmp(k, "contradictions") && v->contradictions != (int32_t)wd)
			bad(file, name, step, k, "expected %d, got %d", (int)wd,
			    (int)v->contradictions);
		else if (!strcmp(k, "token_delta_pct"))
			check_double(file, name, step, k, w, v->token_delta_pct);
		else if (!strcmp(k, "similarity"))
			check_double(file, name, step, k, w, v->similarity);
		else if (!strcmp(k, "repeat_ratio"))
			check_double(file, name, step, k, w, v->repeat_ratio);
		else if (!strcmp(k, "stuffing_ratio"))
			check_double(file, name, step, k, w, v->stuffing_ratio);
		else if (!strcmp(k, "jailbreak_rate"))
			check_double(file, name, step, k, w, v->jailbreak_rate);
		else if (!strcmp(k, "similarity_min") && !(v->similarity >= wd))
			bad(file, name, step, k, "expected at least %g, got %g", wd, v->similarity);
		else if (!strcmp(k, "similarity_max") && !(v->similarity <= wd))
			bad(file, name, step, k, "expected at most %g, got %g", wd, v->similarity);
		else if (!strcmp(k, "repeat_ratio_min") && !(v->repeat_ratio >= wd))
			bad(file, name, step, k, "expected at least %g, got %g", wd,
			    v->repeat_ratio);
		else if (!strcmp(k, "repeat_ratio_max") && !(v->repeat_ratio <= wd))
			bad(file, name, step, k, "expected at most %g, got %g", wd,
			    v->repeat_ratio);
		else if (!strcmp(k, "stuffing_ratio_min") && !(v->stuffing_ratio >= wd))
			bad(file, name, step, k, "expected at least %g, got %g", wd,
			    v->stuffing_ratio);
		else if (!strcmp(k, "jailbreak_rate_min") && !(v->jailbreak_rate >= wd))
			bad(file, name, step, k, "expected at least %g, got %g", wd,
			    v->jailbreak_rate);
		else if (!strcmp(k, "drift_baseline_min") && !(v->drift_baseline >= wd))
			bad(file, name, step, k, "expected at least %g, got %g", wd,
			    v->drift_baseline);
		else if (!strcmp(k, "model_changed") && v->model_changed != json_is_true(w))
			bad(file, name, step, k, "expected %s", json_is_true(w) ? "true" : "false");
		else if (!strcmp(k, "deferred") && v->deferred != json_is_true(w))
			bad(file, name, step, k, "expected %s", json_is_true(w) ? "true" : "false");
		else if (!strstr(" schema_pointer schema_keyword pii_kind pii_sample "
		                 "pii_sample_not_contains hallucination_sample_contains "
		                 "unsupported_entities contradictions_min contradictions "
		                 "token_delta_pct similarity repeat_ratio stuffing_ratio "
		                 "jailbreak_rate similarity_min similarity_max repeat_ratio_min "
		                 "repeat_ratio_max stuffing_ratio_min jailbreak_rate_min "
		                 "drift_baseline_min model_changed deferred ",
		                 k))
			bad(file, name, step, k, "unknown expectation in test data");
	}
}

static size_t run_case(const char *file, json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	bool defer = false;
	json_t *set = json_object_get(c, "settings");
	if (set)
		apply_settings(set, &ss, &cs, &defer);
	struct semantic *sem = semantic_new(&ss, &cs, schemas);
	assert_non_null(sem);
	semantic_allow_defer(sem, defer);
	json_t *steps = json_object_get(c, "steps");
	json_t *single = NULL;
	if (!steps) {
		single = json_array();
		json_array_append(single, c);
		steps = single;
	}
	int64_t now = T0;
	size_t i, checks = 0;
	json_t *step;
	struct built *b = malloc(sizeof(*b));
	json_array_foreach (steps, i, step) {
		json_t *rj = json_object_get(step, "repeat");
		size_t repeat = rj ? (size_t)json_integer_value(rj) : 1;
		json_t *ej = json_object_get(step, "every_ms");
		int64_t every = ej ? json_integer_value(ej) : 1000;
		json_t *gap = json_object_get(step, "after_ms");
		if (gap)
			now += json_integer_value(gap);
		for (size_t r = 0; r < repeat; r++) {
			build(b, step, r);
			struct semantic_verdicts v = b->obs.verdicts;
			assert_int_equal(semantic_inline(sem, &b->obs, now, &v), 0);
			json_t *all = json_object_get(step, "expect_all");
			if (all) {
				check(file, name, i, all, &v);
				checks++;
			}
			if (r + 1 == repeat && json_object_get(step, "expect")) {
				check(file, name, i, json_object_get(step, "expect"), &v);
				checks++;
			}
			now += every;
		}
	}
	free(b);
	json_decref(single);
	semantic_free(sem);
	return checks;
}

static void test_check_files(void **state)
{
	(void)state;
	const char *dir = VIGIL_TEST_DATA_DIR "/semantic/checks";
	size_t n, checks = 0, cases = 0;
	char **files = tu_list_dir(dir, ".json", &n);
	assert_true(n >= 8);
	for (size_t f = 0; f < n; f++) {
		json_error_t jerr;
		json_t *doc = json_load_file(tu_path(dir, files[f]), 0, &jerr);
		if (!doc) {
			fprintf(stderr, "FAIL %s: %s (line %d)\n", files[f], jerr.text, jerr.line);
			failures++;
			continue;
		}
		size_t i;
		json_t *c;
		json_array_foreach (json_object_get(doc, "cases"), i, c) {
			checks += run_case(files[f], c);
			cases++;
		}
		json_decref(doc);
	}
	tu_free_list(files, n);
	fprintf(stderr, "%zu cases, %zu checked steps\n", cases, checks);
	assert_true(cases >= 50);
	assert_int_equal(failures, 0);
}

static void test_luhn(void **state)
{
	(void)state;
	assert_true(pii_luhn("4111111111111111", 16));
	assert_true(pii_luhn("79927398713", 11));
	assert_false(pii_luhn("4111111111111112", 16));
	assert_false(pii_luhn("79927398710", 11));
}

/* The blind-spot event is a valid monitor event that survives JSON. */
static void test_blind_spot_event(void **state)
{
	(void)state;
	struct failure_event ev;
	assert_int_equal(semantic_blind_spot_event(&ev, 7, T0, 256, 256, 31), 0);
	assert_int_equal(ev.category, CAT_MONITOR);
	assert_int_equal(ev.subtype, SUB_SIDECAR_BLIND_SPOT);
	assert_string_equal(ev.pid.provider, "vigil");
	assert_non_null(strstr(ev.causal.detail, "semantic monitoring blind spot"));
	json_t *j = event_to_json(&ev);
	assert_non_null(j);
	struct failure_event back;
	assert_int_equal(event_from_json(j, &back, NULL), 0);
	assert_int_equal(back.subtype, SUB_SIDECAR_BLIND_SPOT);
	assert_int_equal(back.causal.window_count, 31);
	json_decref(j);
}

/* Keys beyond max_keys are not tracked (and counted), never a failure. */
static void test_max_keys(void **state)
{
	(void)state;
	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	ss.max_keys = 2;
	struct semantic *sem = semantic_new(&ss, &cs, NULL);
	for (int i = 0; i < 5; i++) {
		struct observation obs;
		observation_init(&obs);
		obs.http_status = 200;
		snprintf(obs.pid.provider, sizeof(obs.pid.provider), "p");
		snprintf(obs.template_id, sizeof(obs.template_id), "t%d", i);
		obs.text = "A short answer about nothing in particular.";
		obs.text_len = strlen(obs.text);
		obs.top_similarity = 0.8;
		struct semantic_verdicts v = obs.verdicts;
		assert_int_equal(semantic_inline(sem, &obs, T0 + i, &v), 0);
	}
	struct semantic_stats st;
	semantic_stats(sem, &st);
	assert_int_equal(st.centroids, 2);
	assert_int_equal(st.drift, 2);
	assert_true(st.untracked >= 6);
	semantic_free(sem);
}

/* The schema folder: every *.json compiles, ids are file names, errors name
 * the file and the JSON pointer. */
static void test_schema_folder(void **state)
{
	(void)state;
	assert_int_equal(jschema_set_count(schemas), 2);
	assert_non_null(jschema_set_get(schemas, "ticket"));
	assert_non_null(jschema_set_get(schemas, "answer"));
	struct jschema_set *set = (struct jschema_set *)&failures;
	char *cause = NULL;
	assert_int_equal(
	        schemas_load_dir(VIGIL_TEST_DATA_DIR "/semantic/schemas_bad", &set, &cause),
	        VG_EINVAL);
	assert_null(set);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "schemas_bad/b_broken.json: /properties/total/minimum: "
	                              "expected a number"));
	free(cause);
	assert_int_equal(
	        schemas_load_dir(VIGIL_TEST_DATA_DIR "/semantic/no_such_dir", &set, &cause),
	        VG_EIO);
	assert_non_null(strstr(cause, "no_such_dir: cannot open schema folder"));
	free(cause);
	char out[256];
	assert_int_equal(schemas_resolve_dir("/etc/vigil/vigil.yaml", "schemas", out, sizeof(out)),
	                 0);
	assert_string_equal(out, "/etc/vigil/schemas");
	assert_int_equal(schemas_resolve_dir("/etc/vigil/vigil.yaml", "/srv/s", out, sizeof(out)),
	                 0);
	assert_string_equal(out, "/srv/s");
	assert_int_equal(schemas_resolve_dir("vigil.yaml", "schemas", out, sizeof(out)), 0);
	assert_string_equal(out, "schemas");
	assert_int_equal(schemas_resolve_dir("/a/vigil.yaml", "schemas", out, 8), VG_ETOOBIG);
}

/* The `semantic:` section of vigil.yaml lands in the settings. */
static void test_config_section(void **state)
{
	(void)state;
	const char *yaml = "semantic:\n"
	                   "  schemas_dir: s\n"
	                   "  sidecar_queue: 9\n"
	                   "  enabled: false\n"
	                   "  budget: { inline_max_bytes: 1000 }\n"
	                   "  similarity: { warmup: 7, step_drop: 0.25, change_window: 5m }\n"
	                   "  jailbreak: { window: 30s, rate: 0.5 }\n"
	                   "  pii: { enabled: false }\n";
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	config_defaults(cfg);
	assert_int_equal(cfg->semantic.sidecar_queue, 256);
	assert_true(cfg->semantic.checks.enabled);
	char *cause = NULL;
	assert_int_equal(config_load_string(cfg, yaml, strlen(yaml), "t.yaml", &cause), 0);
	assert_string_equal(cfg->semantic.schemas_dir, "s");
	assert_int_equal(cfg->semantic.sidecar_queue, 9);
	assert_false(cfg->semantic.checks.enabled);
	assert_int_equal(cfg->semantic.checks.budget.inline_max_bytes, 1000);
	assert_int_equal(cfg->semantic.checks.budget.inline_context_max_bytes, 16384);
	assert_int_equal(cfg->semantic.checks.similarity.warmup, 7);
	assert_true(cfg->semantic.checks.similarity.step_drop == 0.25);
	assert_int_equal(cfg->semantic.checks.similarity.change_window_ms, 300000);
	assert_int_equal(cfg->semantic.checks.jailbreak.window_ms, 30000);
	assert_false(cfg->semantic.checks.pii.enabled);
	free(cfg);
}

static int setup(void **state)
{
	(void)state;
	char *cause = NULL;
	if (schemas_load_dir(VIGIL_TEST_DATA_DIR "/semantic/schemas", &schemas, &cause) != 0) {
		fprintf(stderr, "schemas: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	jschema_set_free(schemas);
	return 0;
}

static void test_model_alias(void **state)
{
	(void)state;
	static const struct {
		const char *model, *alias;
	} cases[] = {
		{ "gpt-4o-2024-08-06", "gpt-4o" },
		{ "gpt-4o-2024-11-20", "gpt-4o" },
		{ "gpt-4o-mini-2024-07-18", "gpt-4o-mini" },
		{ "claude-3-5-haiku-20241022", "claude-3-5-haiku" },
		{ "claude-sonnet-4-20250514", "claude-sonnet-4" },
		{ "gemini-2.0-flash-001", "gemini-2.0-flash" },
		{ "claude-3-5-sonnet@20240620", "claude-3-5-sonnet" },
		{ "gpt-4o", "gpt-4o" },
		{ "o1", "o1" },
		{ "model-12", "model-12" },               /* two digits: a name, not a version */
		{ "model-2024-8-06", "model-2024-8-06" }, /* not a date */
		{ "20241022", "20241022" },               /* digits alone */
		{ "-001", "-001" },                       /* nothing before the revision */
		{ "@v1", "@v1" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = semantic_model_alias_len(cases[i].model);
		if (n != strlen(cases[i].alias) || strncmp(cases[i].model, cases[i].alias, n) != 0)
			fail_msg("%s: alias of length %zu, want %s", cases[i].model, n,
			         cases[i].alias);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_files),      cmocka_unit_test(test_luhn),
		cmocka_unit_test(test_blind_spot_event), cmocka_unit_test(test_max_keys),
		cmocka_unit_test(test_schema_folder),    cmocka_unit_test(test_config_section),
		cmocka_unit_test(test_model_alias),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
