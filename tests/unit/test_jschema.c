/*
 * test_jschema.c: the JSON Schema validator, driven by data files.
 *
 * tests/data/semantic/schema/<keyword>.json: a schema and cases, each with a
 * response (a JSON value in "response", or raw text in "text"), whether it is
 * valid and, for invalid ones, the expected JSON pointer and keyword.
 * tests/data/semantic/schema_bad.json: malformed schemas ("schema" or raw
 * "schema_text") and a text the compile error must contain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/jschema.h"
#include "core/vgerr.h"
#include "tests/support/testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_file(const char *dir, const char *file, size_t *ncases)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s", tu_path(dir, file));
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	if (!doc) {
		fprintf(stderr, "FAIL %s: %s\n", file, jerr.text);
		return 1;
	}
	int bad = 0;
	char *stext = json_dumps(json_object_get(doc, "schema"), JSON_ENCODE_ANY);
	struct jschema *s = NULL;
	char *cause = NULL;
	if (jschema_compile(stext, strlen(stext), file, &s, &cause) != 0) {
		fprintf(stderr, "FAIL %s: schema does not compile: %s\n", file, cause);
		free(cause);
		free(stext);
		json_decref(doc);
		return 1;
	}
	struct jschema_scratch scratch;
	jschema_scratch_init(&scratch);
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(doc, "cases"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		json_t *text = json_object_get(c, "text");
		char *resp = text ? strdup(json_string_value(text))
		                  : json_dumps(json_object_get(c, "response"), JSON_ENCODE_ANY);
		struct jschema_result res;
		assert_int_equal(jschema_validate(s, resp, strlen(resp), &scratch, &res), 0);
		bool want = json_is_true(json_object_get(c, "valid"));
		const char *ptr = json_string_value(json_object_get(c, "pointer"));
		const char *kw = json_string_value(json_object_get(c, "keyword"));
		if (res.valid != want) {
			fprintf(stderr, "FAIL %s: \"%s\": expected %s, got %s (at '%s', %s)\n",
			        file, name, want ? "valid" : "invalid",
			        res.valid ? "valid" : "invalid", res.pointer, res.keyword);
			bad++;
		} else if (!want && ptr && strcmp(ptr, res.pointer) != 0) {
			fprintf(stderr, "FAIL %s: \"%s\": pointer '%s', expected '%s'\n", file,
			        name, res.pointer, ptr);
			bad++;
		} else if (!want && kw && strcmp(kw, res.keyword) != 0) {
			fprintf(stderr, "FAIL %s: \"%s\": keyword '%s', expected '%s'\n", file,
			        name, res.keyword, kw);
			bad++;
		}
		if (want && (res.pointer[0] || res.keyword[0])) {
			fprintf(stderr, "FAIL %s: \"%s\": a valid response carries a failure\n",
			        file, name);
			bad++;
		}
		free(resp);
		(*ncases)++;
	}
	jschema_scratch_done(&scratch);
	jschema_free(s);
	free(stext);
	json_decref(doc);
	return bad;
}

static void test_keyword_files(void **state)
{
	(void)state;
	const char *dir = VIGIL_TEST_DATA_DIR "/semantic/schema";
	size_t n, ncases = 0;
	char **files = tu_list_dir(dir, ".json", &n);
	assert_true(n >= 14);
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += run_file(dir, files[i], &ncases);
	tu_free_list(files, n);
	assert_true(ncases >= 80);
	assert_int_equal(bad, 0);
}

static void test_malformed_schemas(void **state)
{
	(void)state;
	json_error_t jerr;
	json_t *doc = json_load_file(VIGIL_TEST_DATA_DIR "/semantic/schema_bad.json", 0, &jerr);
	assert_non_null(doc);
	int bad = 0;
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(doc, "cases"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *want = json_string_value(json_object_get(c, "error"));
		json_t *raw = json_object_get(c, "schema_text");
		char *text = raw ? strdup(json_string_value(raw))
		                 : json_dumps(json_object_get(c, "schema"), JSON_ENCODE_ANY);
		struct jschema *s = (struct jschema *)&bad; /* must be reset to NULL */
		char *cause = NULL;
		int rc = jschema_compile(text, strlen(text), "bad.json", &s, &cause);
		if (rc == 0 || s != NULL || !cause || !strstr(cause, want)) {
			fprintf(stderr,
			        "FAIL \"%s\": expected an error containing '%s', got rc %d: %s\n",
			        name, want, rc, cause ? cause : "(no message)");
			bad++;
		}
		if (rc == 0)
			jschema_free(s);
		free(cause);
		free(text);
	}
	assert_true(i >= 20);
	json_decref(doc);
	assert_int_equal(bad, 0);
}

static void test_set(void **state)
{
	(void)state;
	struct jschema_set *set = jschema_set_new();
	char *cause = NULL;
	assert_int_equal(jschema_set_add(set, "b", "{\"type\":\"string\"}", 17, "b.json", &cause),
	                 0);
	assert_int_equal(jschema_set_add(set, "a", "{\"type\":\"integer\"}", 18, "a.json", &cause),
	                 0);
	assert_int_equal(jschema_set_add(set, "a", "{}", 2, "a2.json", &cause), VG_EINVAL);
	assert_non_null(strstr(cause, "duplicate schema id 'a'"));
	free(cause);
	cause = NULL;
	assert_int_equal(jschema_set_add(set, "c", "{\"type\":1}", 10, "c.json", &cause),
	                 VG_EINVAL);
	assert_non_null(strstr(cause, "c.json: /type"));
	free(cause);
	assert_int_equal(jschema_set_count(set), 2);
	assert_null(jschema_set_get(set, "c"));
	const struct jschema *a = jschema_set_get(set, "a");
	assert_non_null(a);
	struct jschema_scratch sc;
	jschema_scratch_init(&sc);
	struct jschema_result r;
	assert_int_equal(jschema_validate(a, "42", 2, &sc, &r), 0);
	assert_true(r.valid);
	assert_int_equal(jschema_validate(jschema_set_get(set, "b"), "42", 2, &sc, &r), 0);
	assert_false(r.valid);
	assert_string_equal(r.keyword, "type");
	jschema_scratch_done(&sc);
	jschema_set_free(set);
}

/* A self-reference that never consumes the response must stop, not recurse forever. */
static void test_ref_cycle(void **state)
{
	(void)state;
	const char *schema = "{\"$ref\": \"#\"}";
	struct jschema *s;
	char *cause = NULL;
	assert_int_equal(jschema_compile(schema, strlen(schema), "cycle.json", &s, &cause), 0);
	struct jschema_scratch sc;
	jschema_scratch_init(&sc);
	struct jschema_result r;
	assert_int_equal(jschema_validate(s, "{}", 2, &sc, &r), 0);
	assert_false(r.valid);
	assert_string_equal(r.keyword, "$ref");
	jschema_scratch_done(&sc);
	jschema_free(s);
}

/* Deep nesting in a response is refused as not JSON rather than overflowing. */
static void test_deep_response(void **state)
{
	(void)state;
	const char *schema = "{}";
	struct jschema *s;
	assert_int_equal(jschema_compile(schema, 2, "any.json", &s, NULL), 0);
	size_t n = 100000;
	char *deep = malloc(2 * n);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	struct jschema_scratch sc;
	jschema_scratch_init(&sc);
	struct jschema_result r;
	assert_int_equal(jschema_validate(s, deep, 2 * n, &sc, &r), 0);
	assert_false(r.valid);
	assert_string_equal(r.keyword, "json");
	assert_int_equal(jschema_validate(s, deep + n - 100, 200, &sc, &r), 0);
	assert_true(r.valid);
	free(deep);
	jschema_scratch_done(&sc);
	jschema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyword_files), cmocka_unit_test(test_malformed_schemas),
		cmocka_unit_test(test_set),           cmocka_unit_test(test_ref_cycle),
		cmocka_unit_test(test_deep_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
