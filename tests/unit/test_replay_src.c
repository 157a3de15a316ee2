/*
 * test_replay_src.c: data/replay_src's file reader, which decodes on a
 * thread of its own: the callbacks see every line and observation in input
 * order, the same values (response text, context and embedding included)
 * as decoding the lines one by one, across many batches and files; bad and
 * blank lines; a missing file after a good one; a callback that stops the
 * reading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vgerr.h"
#include "data/decode.h"
#include "data/replay_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the callbacks saw, one string per call. */
struct seen {
	char **rows;
	size_t n, cap;
	size_t stop_after; /* obs callback returns VG_EIO after this many (0: never) */
	size_t n_obs;
};

static void push(struct seen *s, char *row)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->rows = realloc(s->rows, s->cap * sizeof(*s->rows));
		assert_non_null(s->rows);
	}
	s->rows[s->n++] = row;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	assert_true(n >= 0);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

static char *obs_row(const struct observation *o)
{
	double emb = 0;
	for (size_t i = 0; i < o->embedding_len; i++)
		emb += (double)o->embedding[i] * (double)(i + 1);
	return fmt("obs %s %s %lld %d text=%s%.*s ctx=%s%.*s emb=%zu/%.4f", o->request_id,
	           o->pid.provider, (long long)o->ts_ms, o->http_status, o->text ? "" : "(null)",
	           (int)(o->text ? o->text_len : 0), o->text ? o->text : "",
	           o->context_text ? "" : "(null)", (int)(o->context_text ? o->context_len : 0),
	           o->context_text ? o->context_text : "", o->embedding_len, emb);
}

static int on_obs(void *data, const struct observation *o)
{
	struct seen *s = data;
	push(s, obs_row(o));
	if (s->stop_after && ++s->n_obs >= s->stop_after)
		return VG_EIO;
	return 0;
}

static void on_line(void *data, bool bad, const char *file, uint64_t no, const char *why)
{
	struct seen *s = data;
	const char *base = strrchr(file, '/');
	push(s, fmt("line %s:%llu %s %s", base ? base + 1 : file, (unsigned long long)no,
	            bad ? "bad" : "ok", why));
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rows[i]);
	free(s->rows);
}

/* Line i of a test file: mostly good events-v1 lines (some with text,
 * context, embedding, escapes), some bad, some blank. */
static void write_line(FILE *f, int i)
{
	if (i % 97 == 13) {
		fputs("{\"schema_version\":1,\"ts\":\"nope\"}\n", f);
		return;
	}
	if (i % 89 == 7) {
		fputs("\n", f);
		return;
	}
	if (i % 101 == 50) {
		fputs("not json at all\n", f);
		return;
	}
	fprintf(f,
	        "{\"schema_version\":1,\"ts\":\"2026-11-27T10:%02d:%02d.%03dZ\","
	        "\"request_id\":\"req-%d\",\"provider\":\"%s\",\"model\":\"m-1\","
	        "\"template\":\"support\",\"transport\":{\"total_ms\":%d},"
	        "\"http\":{\"status\":%d}",
	        (i / 60) % 60, i % 60, i % 1000, i, i % 3 ? "openai" : "anthropic", 100 + i % 900,
	        i % 17 == 0 ? 500 : 200);
	if (i % 4 == 0) {
		fprintf(f, ",\"response\":{\"text\":\"answer %d: line\\nwith \\\"escapes\\\" ", i);
		for (int k = 0; k < i % 50; k++)
			fputs("and more words ", f);
		fputs("\"", f);
		if (i % 8 == 0)
			fprintf(f, ",\"embedding\":[%d.5,-1.25,0.125]", i % 10);
		fputs("}", f);
	}
	if (i % 6 == 0)
		fprintf(f, ",\"context\":{\"text\":\"doc %d\",\"doc_age_s\":3}", i);
	fputs("}\n", f);
}

static char *make_file(int from, int to)
{
	char *path = strdup("/tmp/vigil_test_replay_src_XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = from; i < to; i++)
		write_line(f, i);
	fclose(f);
	return path;
}

/* What the callbacks should see: the lines decoded one by one. */
static void expected(char *const *paths, size_t n, struct seen *s)
{
	struct decoder *d = decoder_new();
	assert_non_null(d);
	for (size_t p = 0; p < n; p++) {
		FILE *f = fopen(paths[p], "r");
		assert_non_null(f);
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		uint64_t no = 0;
		while ((len = getline(&line, &cap, f)) >= 0) {
			no++;
			size_t l = (size_t)len;
			if (l && line[l - 1] == '\n')
				l--;
			struct decode_result res;
			assert_int_equal(decode_line(d, DECODE_AUTO, line, l, &res), 0);
			if (l == 0 && res.n_obs == 0)
				continue;
			on_line(s, res.reason != DR_NONE, paths[p], no, res.detail);
			for (size_t i = 0; i < res.n_obs; i++)
				on_obs(s, &res.obs[i]);
		}
		free(line);
		fclose(f);
	}
	decoder_free(d);
}

static void assert_same(const struct seen *a, const struct seen *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(a->rows[i], b->rows[i]) != 0)
			fail_msg("row %zu differs:\n  %s\n  %s", i, a->rows[i], b->rows[i]);
	}
	assert_int_equal(a->n, b->n);
}

static void test_order_and_values(void **state)
{
	(void)state;
	/* 5000 + 3000 lines: many batches, two files */
	char *paths[2] = { make_file(0, 5000), make_file(5000, 8000) };
	struct seen want = { 0 }, got = { 0 };
	expected(paths, 2, &want);
	struct replay_src_cb cb = { .obs = on_obs, .line = on_line, .data = &got };
	char *cause = NULL;
	assert_int_equal(replay_src_files(paths, 2, DECODE_AUTO, &cb, &cause), 0);
	assert_null(cause);
	assert_true(want.n > 8000);
	assert_same(&want, &got);
	seen_free(&want);
	seen_free(&got);
	for (int i = 0; i < 2; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	char *good = make_file(0, 700);
	char *paths[2] = { good, "/nonexistent/vigil-replay-src.jsonl" };
	struct seen want = { 0 }, got = { 0 };
	expected(paths, 1, &want);
	struct replay_src_cb cb = { .obs = on_obs, .line = on_line, .data = &got };
	char *cause = NULL;
	assert_int_equal(replay_src_files(paths, 2, DECODE_AUTO, &cb, &cause), VG_EIO);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/nonexistent/vigil-replay-src.jsonl"));
	free(cause);
	/* everything of the first file came first */
	assert_same(&want, &got);
	seen_free(&want);
	seen_free(&got);
	unlink(good);
	free(good);
}

static void test_callback_stops(void **state)
{
	(void)state;
	char *path = make_file(0, 5000);
	struct seen got = { .stop_after = 1234 };
	struct replay_src_cb cb = { .obs = on_obs, .line = on_line, .data = &got };
	assert_int_equal(replay_src_files(&path, 1, DECODE_AUTO, &cb, NULL), VG_EIO);
	assert_int_equal(got.n_obs, 1234);
	/* the last thing seen is the observation that stopped it */
	assert_non_null(strstr(got.rows[got.n - 1], "obs "));
	seen_free(&got);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_values),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_callback_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
