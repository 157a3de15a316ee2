/*
 * test_decode.c: the event decoders, driven by data files
 * tests/data/decode/<name>.cases. A case is:
 *
 *   # comment
 *   > LINE              the input line, as raw bytes (or >x 7b 22 ... in hex)
 *   = key=value ...     expected fields of observation 0 (=N for observation N)
 *   ! reason [detail]   expected quarantine reason, and a substring of the detail
 *   n=N                 expected number of observations (default: 1, or 0 with !)
 *
 * Only the keys given are checked; "-" means "not measured". A value with
 * spaces is written in double quotes. A case ends at the next '>' line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/timeparse.h"
#include "data/decode.h"
#include "tests/support/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int cases;

struct ctx {
	const char *file;
	int line; /* of the '>' line */
};

static void fail_case(const struct ctx *c, const char *key, const char *want, const char *got)
{
	fprintf(stderr, "FAIL %s:%d: %s: expected %s, got %s\n", c->file, c->line, key, want, got);
	failures++;
}

static void check_i64(const struct ctx *c, const char *key, const char *want, int64_t got)
{
	char g[64];
	if (vg_has(got))
		snprintf(g, sizeof(g), "%lld", (long long)got);
	else
		snprintf(g, sizeof(g), "-");
	if (strcmp(want, g) != 0)
		fail_case(c, key, want, g);
}

static void check_dbl(const struct ctx *c, const char *key, const char *want, double got)
{
	char g[64];
	if (strcmp(want, "-") == 0) {
		if (!isnan(got)) {
			snprintf(g, sizeof(g), "%g", got);
			fail_case(c, key, want, g);
		}
		return;
	}
	double w = strtod(want, NULL);
	if (isnan(got) || fabs(w - got) > 1e-9 * (fabs(w) + 1)) {
		snprintf(g, sizeof(g), "%.17g", got);
		fail_case(c, key, want, g);
	}
}

static void check_str(const struct ctx *c, const char *key, const char *want, const char *got,
                      size_t len)
{
	char g[512];
	if (!got) {
		snprintf(g, sizeof(g), "-");
	} else {
		size_t n = len < sizeof(g) - 1 ? len : sizeof(g) - 1;
		memcpy(g, got, n);
		g[n] = '\0';
	}
	if (strcmp(want, g) != 0)
		fail_case(c, key, want, g);
}

static const char *tri(int v)
{
	return v == VG_TRI_TRUE ? "true" : v == VG_TRI_FALSE ? "false" : "-";
}

static void check_field(const struct ctx *c, const struct observation *o, const char *key,
                        const char *want)
{
	const struct norm_signals *n = &o->norm;
	if (strcmp(key, "ts") == 0) {
		int64_t ms;
		if (timeparse_rfc3339(want, strlen(want), &ms) != 0) {
			fail_case(c, key, "a valid time in the case file", want);
			return;
		}
		char w[32];
		snprintf(w, sizeof(w), "%lld", (long long)ms);
		check_i64(c, key, w, o->ts_ms);
	} else if (strcmp(key, "ts_ms") == 0) {
		check_i64(c, key, want, o->ts_ms);
	} else if (strcmp(key, "request_id") == 0) {
		check_str(c, key, want, o->request_id, strlen(o->request_id));
	} else if (strcmp(key, "attempt") == 0) {
		check_i64(c, key, want, o->attempt < 0 ? VG_NONE : o->attempt);
	} else if (strcmp(key, "provider") == 0) {
		check_str(c, key, want, o->pid.provider, strlen(o->pid.provider));
	} else if (strcmp(key, "kind") == 0) {
		const char *k = model_provider_kind_name(o->kind);
		check_str(c, key, want, k, strlen(k));
	} else if (strcmp(key, "model") == 0) {
		check_str(c, key, want, o->pid.model, strlen(o->pid.model));
	} else if (strcmp(key, "region") == 0) {
		check_str(c, key, want, o->pid.region, strlen(o->pid.region));
	} else if (strcmp(key, "key_alias") == 0) {
		check_str(c, key, want, o->pid.key_alias, strlen(o->pid.key_alias));
	} else if (strcmp(key, "template") == 0) {
		check_str(c, key, want, o->template_id, strlen(o->template_id));
	} else if (strcmp(key, "traffic_class") == 0) {
		const char *s =
		        o->traffic_class < 0 ? "-" : model_traffic_class_name(o->traffic_class);
		check_str(c, key, want, s, strlen(s));
	} else if (strcmp(key, "selection") == 0) {
		const char *s = o->selection_reason < 0
		                        ? "-"
		                        : model_selection_reason_name(o->selection_reason);
		check_str(c, key, want, s, strlen(s));
	} else if (strcmp(key, "after_failure_of") == 0) {
		check_str(c, key, want, o->after_failure_of, strlen(o->after_failure_of));
	} else if (strcmp(key, "stream") == 0) {
		check_str(c, key, want, tri(o->stream), strlen(tri(o->stream)));
	} else if (strcmp(key, "dns_ms") == 0) {
		check_dbl(c, key, want, o->dns_ms);
	} else if (strcmp(key, "connect_ms") == 0) {
		check_dbl(c, key, want, o->connect_ms);
	} else if (strcmp(key, "tls_ms") == 0) {
		check_dbl(c, key, want, o->tls_ms);
	} else if (strcmp(key, "ttfb_ms") == 0) {
		check_dbl(c, key, want, o->ttfb_ms);
	} else if (strcmp(key, "total_ms") == 0) {
		check_dbl(c, key, want, o->total_ms);
	} else if (strcmp(key, "transport_error") == 0) {
		const char *s = model_transport_error_name(o->transport_error);
		check_str(c, key, want, s, strlen(s));
	} else if (strcmp(key, "http_status") == 0) {
		check_i64(c, key, want, o->http_status < 0 ? VG_NONE : o->http_status);
	} else if (strcmp(key, "body_bytes") == 0) {
		check_i64(c, key, want, o->body_bytes);
	} else if (strcmp(key, "error_class") == 0) {
		const char *s = model_err_class_name(n->error_class);
		check_str(c, key, want, s, strlen(s));
	} else if (strcmp(key, "retryable") == 0) {
		check_str(c, key, want, tri(n->retryable), strlen(tri(n->retryable)));
	} else if (strcmp(key, "retry_after_ms") == 0) {
		check_i64(c, key, want, n->retry_after_ms);
	} else if (strcmp(key, "finish") == 0) {
		const char *s = n->finish < 0 ? "-" : model_finish_reason_name(n->finish);
		check_str(c, key, want, s, strlen(s));
	} else if (strcmp(key, "finish_raw") == 0) {
		check_str(c, key, want, n->finish_raw, strlen(n->finish_raw));
	} else if (strcmp(key, "block_reason") == 0) {
		check_str(c, key, want, n->block_reason, strlen(n->block_reason));
	} else if (strcmp(key, "safety_block") == 0) {
		const char *s = n->safety_block ? "true" : "false";
		check_str(c, key, want, s, strlen(s));
	} else if (strcmp(key, "error_type") == 0) {
		check_str(c, key, want, n->error_type, strlen(n->error_type));
	} else if (strcmp(key, "rl_requests_remaining") == 0) {
		check_i64(c, key, want, n->rl_requests.remaining);
	} else if (strcmp(key, "input_tokens") == 0) {
		check_i64(c, key, want, o->input_tokens);
	} else if (strcmp(key, "output_tokens") == 0) {
		check_i64(c, key, want, o->output_tokens);
	} else if (strcmp(key, "body_input_tokens") == 0) {
		check_i64(c, key, want, n->input_tokens);
	} else if (strcmp(key, "cached_input_tokens") == 0) {
		check_i64(c, key, want, o->cached_input_tokens);
	} else if (strcmp(key, "predicted_input_tokens") == 0) {
		check_i64(c, key, want, o->predicted_input_tokens);
	} else if (strcmp(key, "cost_usd") == 0) {
		check_dbl(c, key, want, o->cost_usd);
	} else if (strcmp(key, "retry_count") == 0) {
		check_i64(c, key, want, o->retry_count < 0 ? VG_NONE : o->retry_count);
	} else if (strcmp(key, "text") == 0) {
		check_str(c, key, want, o->text, o->text_len);
	} else if (strcmp(key, "context_text") == 0) {
		check_str(c, key, want, o->context_text, o->context_len);
	} else if (strcmp(key, "doc_age_s") == 0) {
		check_dbl(c, key, want, o->doc_age_s);
	} else if (strcmp(key, "top_similarity") == 0) {
		check_dbl(c, key, want, o->top_similarity);
	} else if (strcmp(key, "schema_id") == 0) {
		check_str(c, key, want, o->schema_id, strlen(o->schema_id));
	} else if (strcmp(key, "schema_valid") == 0) {
		const char *s = tri(o->verdicts.schema_valid);
		check_str(c, key, want, s, strlen(s));
	} else if (strcmp(key, "embedding_len") == 0) {
		check_i64(c, key, want, (int64_t)o->embedding_len);
	} else if (strcmp(key, "embedding_0") == 0) {
		check_dbl(c, key, want, o->embedding_len ? (double)o->embedding[0] : NAN);
	} else {
		fail_case(c, key, "a known key", "an unknown key in the case file");
	}
}

/* Split "k=v k2=\"v 2\"" in place; calls check_field for each pair. */
static void check_fields(const struct ctx *c, const struct observation *o, char *s)
{
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		char *key = s;
		char *eq = strchr(s, '=');
		if (!eq) {
			fail_case(c, s, "key=value", "no '='");
			return;
		}
		*eq = '\0';
		char *val = eq + 1, *end;
		if (*val == '"') {
			val++;
			end = strchr(val, '"');
			if (!end) {
				fail_case(c, key, "a closing quote", "none");
				return;
			}
		} else {
			end = val + strcspn(val, " \t");
		}
		char save = *end;
		*end = '\0';
		check_field(c, o, key, val);
		s = save ? end + 1 : end;
	}
}

static size_t unhex(const char *s, char *out)
{
	size_t n = 0;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!s[0] || !s[1])
			break;
		char b[3] = { s[0], s[1], 0 };
		out[n++] = (char)strtol(b, NULL, 16);
		s += 2;
	}
	return n;
}

struct pending {
	char *line;
	size_t len;
	int lineno;
	char *expect[8]; /* "=..." lines by observation index */
	char *quar;      /* "! reason detail" */
	long n_obs;      /* -1: default */
};

static void run_case(struct decoder *d, const char *file, struct pending *p)
{
	if (!p->line)
		return;
	cases++;
	struct ctx c = { file, p->lineno };
	enum decode_format fmt = DECODE_AUTO;
	struct decode_result r;
	int rc = decode_line(d, fmt, p->line, p->len, &r);
	if (rc != 0) {
		fail_case(&c, "return", "0", "an error");
		return;
	}
	if (p->quar) {
		char reason[64] = "", detail[256] = "";
		sscanf(p->quar, "%63s %255[^\n]", reason, detail);
		const char *got = decode_reason_name(r.reason);
		if (strcmp(reason, got) != 0)
			fail_case(&c, "reason", reason, got);
		if (detail[0] && !strstr(r.detail, detail))
			fail_case(&c, "detail", detail, r.detail);
	} else if (r.reason != DR_NONE) {
		char got[300];
		snprintf(got, sizeof(got), "%s (%s)", decode_reason_name(r.reason), r.detail);
		fail_case(&c, "reason", "none", got);
	}
	long want_n = p->n_obs >= 0 ? p->n_obs : (p->quar ? 0 : 1);
	if ((long)r.n_obs != want_n) {
		char w[32], g[32];
		snprintf(w, sizeof(w), "%ld", want_n);
		snprintf(g, sizeof(g), "%zu", r.n_obs);
		fail_case(&c, "n_obs", w, g);
		return;
	}
	for (size_t i = 0; i < 8; i++) {
		if (p->expect[i] && i < r.n_obs)
			check_fields(&c, &r.obs[i], p->expect[i]);
	}
}

static void clear_pending(struct pending *p)
{
	free(p->line);
	memset(p, 0, sizeof(*p));
	p->n_obs = -1;
}

static void run_file(const char *dir, const char *name)
{
	size_t len;
	char *text = tu_read_file(tu_path(dir, name), &len);
	assert_non_null(text);
	struct decoder *d = decoder_new();
	assert_non_null(d);
	struct pending p;
	memset(&p, 0, sizeof(p));
	clear_pending(&p);
	int lineno = 0;
	char *s = text, *end = text + len;
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		*nl = '\0';
		lineno++;
		if (s[0] == '>') {
			run_case(d, name, &p);
			clear_pending(&p);
			p.lineno = lineno;
			if (s[1] == 'x') {
				p.line = malloc(strlen(s) + 1);
				assert_non_null(p.line);
				p.len = unhex(s + 2, p.line);
			} else {
				const char *body = s[1] == ' ' ? s + 2 : s + 1;
				p.len = strlen(body);
				p.line = malloc(p.len + 1);
				assert_non_null(p.line);
				memcpy(p.line, body, p.len + 1);
			}
		} else if (s[0] == '=') {
			char *rest = s + 1;
			long idx = 0;
			if (*rest >= '0' && *rest <= '9')
				idx = strtol(rest, &rest, 10);
			if (idx >= 0 && idx < 8)
				p.expect[idx] = rest;
		} else if (s[0] == '!') {
			p.quar = s + 1;
			while (*p.quar == ' ')
				p.quar++;
		} else if (strncmp(s, "n=", 2) == 0) {
			p.n_obs = strtol(s + 2, NULL, 10);
		}
		s = nl + 1;
	}
	run_case(d, name, &p);
	clear_pending(&p);
	decoder_free(d);
	free(text);
}

static void test_case_files(void **state)
{
	(void)state;
	const char *dir = VIGIL_TEST_DATA_DIR "/decode";
	size_t n;
	char **names = tu_list_dir(dir, ".cases", &n);
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++)
		run_file(dir, names[i]);
	tu_free_list(names, n);
	fprintf(stderr, "%d decoder cases, %d failures\n", cases, failures);
	assert_true(cases >= 40);
	assert_int_equal(failures, 0);
}

/* Lines built in code: what a case file cannot hold conveniently. */
static void test_long_and_edge_lines(void **state)
{
	(void)state;
	struct decoder *d = decoder_new();
	struct decode_result r;
	/* over the limit */
	size_t big = DECODE_MAX_LINE + 10;
	char *line = malloc(big);
	assert_non_null(line);
	memset(line, 'a', big);
	line[0] = '{';
	assert_int_equal(decode_line(d, DECODE_AUTO, line, big, &r), 0);
	assert_int_equal(r.reason, DR_TOO_LONG);
	/* just under the limit, a valid event padded with a long text */
	const char *pre = "{\"schema_version\":1,\"ts\":\"2026-11-27T10:00:00.000Z\","
	                  "\"request_id\":\"r\",\"provider\":\"openai\",\"response\":{\"text\":\"";
	size_t pl = strlen(pre);
	size_t n = DECODE_MAX_LINE - 3;
	memcpy(line, pre, pl);
	memset(line + pl, 'x', n - pl);
	memcpy(line + n, "\"}}", 3);
	assert_int_equal(decode_line(d, DECODE_AUTO, line, n + 3, &r), 0);
	assert_int_equal(r.reason, DR_NONE);
	assert_int_equal(r.n_obs, 1);
	assert_int_equal(r.obs[0].text_len, n - pl);
	free(line);
	/* UTF-8 validity on its own */
	assert_true(decode_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15));
	assert_false(decode_utf8_valid("\xc0\xaf", 2));         /* overlong */
	assert_false(decode_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(decode_utf8_valid("abc\xe2\x82", 5));      /* cut short */
	assert_false(decode_utf8_valid("\xf4\x90\x80\x80", 4)); /* over U+10FFFF */
	decoder_free(d);
}

/* An events-v1 line with an unknown field nested `depth` levels deep
 * ({"x":{"x":...}} or [[...]]) before the required fields. */
static char *deep_line(size_t depth, bool objects, bool otlp)
{
	size_t cap = depth * 6 + 1024;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t n = 0;
	const char *head = otlp ? "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"future\":"
	                        : "{\"future\":";
	memcpy(s + n, head, strlen(head));
	n += strlen(head);
	for (size_t i = 0; i < depth; i++) {
		if (objects) {
			memcpy(s + n, "{\"x\":", 5);
			n += 5;
		} else {
			s[n++] = '[';
		}
	}
	s[n++] = '1';
	for (size_t i = 0; i < depth; i++)
		s[n++] = objects ? '}' : ']';
	const char *tail =
	        otlp ? ",\"traceId\":\"t\",\"spanId\":\"s\",\"startTimeUnixNano\":"
	               "\"1795773600000000000\",\"attributes\":[{\"key\":\"gen_ai.provider.name\","
	               "\"value\":{\"stringValue\":\"openai\"}}]}]}]}]}"
	             : ",\"schema_version\":1,\"ts\":\"2026-11-27T10:00:00.000Z\","
	               "\"request_id\":\"deep\",\"provider\":\"openai\"}";
	memcpy(s + n, tail, strlen(tail) + 1);
	return s;
}

/* Unknown fields are ignored at any depth, in both formats: 500 levels
 * (quarantined before) and 100k, of objects and of arrays. */
static void test_deep_unknown_fields(void **state)
{
	(void)state;
	struct decoder *d = decoder_new();
	assert_non_null(d);
	const size_t depths[] = { 500, 100000 };
	for (int otlp = 0; otlp < 2; otlp++) {
		for (int obj = 0; obj < 2; obj++) {
			for (size_t k = 0; k < 2; k++) {
				char *line = deep_line(depths[k], obj, otlp);
				struct decode_result r;
				for (int fmt = 0; fmt < 2; fmt++) {
					enum decode_format f =
					        fmt ? (otlp ? DECODE_OTLP : DECODE_VIGIL)
					            : DECODE_AUTO;
					assert_int_equal(decode_line(d, f, line, strlen(line), &r),
					                 0);
					if (r.reason != DR_NONE)
						fprintf(stderr, "depth %zu obj %d otlp %d: %s\n",
						        depths[k], obj, otlp, r.detail);
					assert_int_equal(r.reason, DR_NONE);
					assert_int_equal(r.n_obs, 1);
					assert_string_equal(r.obs[0].pid.provider, "openai");
				}
				free(line);
			}
		}
	}
	decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_files),
		cmocka_unit_test(test_long_and_edge_lines),
		cmocka_unit_test(test_deep_unknown_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
