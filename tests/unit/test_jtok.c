/*
 * test_jtok.c: data/jtok, the strict JSON tokenizer of the events-v1 path.
 * Every token kind and its layout (start, end, size, escaped), nesting of
 * any depth (200k levels), string escapes and raw bytes at every offset of the
 * eight- and sixteen-byte string scan, number and literal syntax, text
 * after the value, every proper prefix of a valid line (always JTOK_EPART,
 * parsed from an exact-size copy so that a read past the end shows under
 * ASan), a growing token array, and agreement with jansson on the lines of
 * tests/data/decode and on seeded one-byte mutations of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "data/decode.h"
#include "data/jtok.h"
#include "tests/support/testutil.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

struct parsed {
	int rc;
	struct jtok *t;
	size_t cap;
	struct jtok_error err;
};

/* Parse js[0..len) from an exact-size heap copy (ASan sees any read past it). */
static void parse_n(struct parsed *p, const char *js, size_t len)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, js, len);
	p->t = NULL;
	p->cap = 0;
	p->rc = jtok_parse(copy, len, &p->t, &p->cap, &p->err);
	free(copy);
}

static void parse(struct parsed *p, const char *js)
{
	parse_n(p, js, strlen(js));
}

static void done(struct parsed *p)
{
	free(p->t);
	p->t = NULL;
}

/* Expect js to tokenize into n tokens. */
static void expect_ok(const char *js, int n)
{
	struct parsed p;
	parse(&p, js);
	if (p.rc != n)
		fprintf(stderr, "for %s: expected %d tokens, got %d (%s at %d)\n", js, n, p.rc,
		        p.rc < 0 ? p.err.what : "", p.rc < 0 ? (int)p.err.pos : -1);
	assert_int_equal(p.rc, n);
	done(&p);
}

/* Expect js to be refused with code; pos >= 0 also checks the error offset. */
static void expect_err(const char *js, int code, int pos)
{
	struct parsed p;
	parse(&p, js);
	if (p.rc != code || (pos >= 0 && p.err.pos != pos))
		fprintf(stderr, "for %s: expected %d at %d, got %d at %d (%s)\n", js, code, pos,
		        p.rc, (int)p.err.pos, p.rc < 0 ? p.err.what : "");
	assert_int_equal(p.rc, code);
	if (pos >= 0)
		assert_int_equal(p.err.pos, pos);
	assert_non_null(p.err.what);
	assert_true(p.err.what[0] != '\0');
	done(&p);
}

static void expect_tok(const struct jtok *t, int type, int start, int end, int size)
{
	assert_int_equal(t->type, type);
	assert_int_equal(t->start, start);
	assert_int_equal(t->end, end);
	assert_int_equal(t->size, size);
}

/* ---- token kinds and layout ------------------------------------------------------------- */

static void test_kinds_and_layout(void **state)
{
	(void)state;
	struct parsed p;
	/*           0123456789012345678901234567890123456789012 */
	parse(&p, "{\"a\":[1,\"s\",true,false,null,{},[]],\"b\":-2.5}");
	assert_int_equal(p.rc, 12);
	expect_tok(&p.t[0], JTOK_OBJECT, 0, 44, 2);
	expect_tok(&p.t[1], JTOK_STRING, 2, 3, 1); /* key "a" */
	expect_tok(&p.t[2], JTOK_ARRAY, 5, 34, 7);
	expect_tok(&p.t[3], JTOK_PRIMITIVE, 6, 7, 0);
	expect_tok(&p.t[4], JTOK_STRING, 9, 10, 0);
	expect_tok(&p.t[5], JTOK_PRIMITIVE, 12, 16, 0);
	expect_tok(&p.t[6], JTOK_PRIMITIVE, 17, 22, 0);
	expect_tok(&p.t[7], JTOK_PRIMITIVE, 23, 27, 0);
	expect_tok(&p.t[8], JTOK_OBJECT, 28, 30, 0);
	expect_tok(&p.t[9], JTOK_ARRAY, 31, 33, 0);
	expect_tok(&p.t[10], JTOK_STRING, 36, 37, 1); /* key "b" */
	expect_tok(&p.t[11], JTOK_PRIMITIVE, 39, 43, 0);
	for (int i = 0; i < p.rc; i++)
		assert_int_equal(p.t[i].escaped, 0);
	done(&p);
}

static void test_top_level_values(void **state)
{
	(void)state;
	struct parsed p;
	parse(&p, "  \"x\"\t");
	assert_int_equal(p.rc, 1);
	expect_tok(&p.t[0], JTOK_STRING, 3, 4, 0);
	done(&p);
	parse(&p, "\r\n-0.5e+3\n");
	assert_int_equal(p.rc, 1);
	expect_tok(&p.t[0], JTOK_PRIMITIVE, 2, 9, 0);
	done(&p);
	parse(&p, "null");
	assert_int_equal(p.rc, 1);
	expect_tok(&p.t[0], JTOK_PRIMITIVE, 0, 4, 0);
	done(&p);
	parse(&p, " [ ] ");
	assert_int_equal(p.rc, 1);
	expect_tok(&p.t[0], JTOK_ARRAY, 1, 4, 0);
	done(&p);
	parse(&p, "{ }");
	assert_int_equal(p.rc, 1);
	expect_tok(&p.t[0], JTOK_OBJECT, 0, 3, 0);
	done(&p);
	/* whitespace everywhere the grammar allows it */
	expect_ok(" { \"a\" : [ 1 , 2 ] , \"b\" : { } } ", 7);
	/* nothing at all, or only whitespace: the value is still to come */
	expect_err("", JTOK_EPART, 0);
	expect_err(" \t\r\n", JTOK_EPART, 4);
	/* whitespace JSON does not allow */
	expect_err("\f{}", JTOK_EINVAL, 0);
	expect_err("\v1", JTOK_EINVAL, 0);
	expect_err("\xc2\xa0{}", JTOK_EINVAL, 0); /* U+00A0 */
	expect_err("{}\f", JTOK_EINVAL, 2);
}

static void test_object_grammar(void **state)
{
	(void)state;
	expect_ok("{\"a\":{\"b\":{\"c\":1}}}", 7);
	expect_ok("{\"\":\"\"}", 3); /* empty key and value */
	expect_err("{1:2}", JTOK_EINVAL, 1);
	expect_err("{a:1}", JTOK_EINVAL, 1);
	expect_err("{'a':1}", JTOK_EINVAL, 1);
	expect_err("{\"a\" 1}", JTOK_EINVAL, 5);
	expect_err("{\"a\":}", JTOK_EINVAL, 5);
	expect_err("{\"a\":1,}", JTOK_EINVAL, 7);
	expect_err("{\"a\":1 \"b\":2}", JTOK_EINVAL, 7);
	expect_err("{\"a\":1;\"b\":2}", JTOK_EINVAL, 6);
	expect_err("{,}", JTOK_EINVAL, 1);
	expect_err("{\"a\":1]", JTOK_EINVAL, 6);
	expect_err("{\"a\"}", JTOK_EINVAL, 4);
	expect_err("{\"a\"::1}", JTOK_EINVAL, 5);
	/* the key's size is 1, the object's the number of keys */
	struct parsed p;
	parse(&p, "{\"k\":[1,2,3],\"l\":{}}");
	assert_int_equal(p.rc, 8);
	assert_int_equal(p.t[0].size, 2);
	assert_int_equal(p.t[1].size, 1);
	assert_int_equal(p.t[2].size, 3);
	assert_int_equal(p.t[6].size, 1);
	expect_tok(&p.t[7], JTOK_OBJECT, 17, 19, 0);
	done(&p);
}

static void test_array_grammar(void **state)
{
	(void)state;
	expect_ok("[[],[[]],{}]", 5);
	expect_err("[1,]", JTOK_EINVAL, 3);
	expect_err("[,1]", JTOK_EINVAL, 1);
	expect_err("[1 2]", JTOK_EINVAL, 3);
	expect_err("[1,,2]", JTOK_EINVAL, 3);
	expect_err("[1}", JTOK_EINVAL, 2);
	expect_err("[\"a\":1]", JTOK_EINVAL, 4);
	expect_err("]", JTOK_EINVAL, 0);
	expect_err("}", JTOK_EINVAL, 0);
}

/* ---- nesting ------------------------------------------------------------------------------ */

static char *nested(int depth, bool objects)
{
	/* "[[[...]]]" or {"a":{"a":...{}}} */
	size_t cap = (size_t)depth * 6 + 8;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t n = 0;
	for (int i = 0; i < depth; i++) {
		if (objects && i + 1 < depth) {
			memcpy(s + n, "{\"a\":", 5);
			n += 5;
		} else {
			s[n++] = objects ? '{' : '[';
		}
	}
	for (int i = 0; i < depth; i++)
		s[n++] = objects ? '}' : ']';
	s[n] = '\0';
	return s;
}

static void test_depth_any(void **state)
{
	(void)state;
	/* no depth limit: a gateway's unknown fields may nest as deep as the
	 * line is long, and the explicit stack never touches the C stack
	 * (64 levels on it, then the heap) */
	const int depths[] = { 1, 63, 64, 65, 128, 129, 10000, 200000 };
	for (int obj = 0; obj < 2; obj++) {
		for (size_t k = 0; k < sizeof(depths) / sizeof(depths[0]); k++) {
			char *s = nested(depths[k], obj);
			expect_ok(s, obj ? 2 * depths[k] - 1 : depths[k]);
			free(s);
		}
	}
	/* depth counts open containers only: many siblings at depth 1 are fine */
	char buf[4096];
	size_t n = 0;
	buf[n++] = '[';
	for (int i = 0; i < 1000; i++) {
		memcpy(buf + n, "[],", 3);
		n += 3;
	}
	buf[n - 1] = ']';
	buf[n] = '\0';
	expect_ok(buf, 1001);
	/* a truncated deep text is partial */
	char *ok = nested(1000, false);
	struct parsed p;
	parse_n(&p, ok, 1000);
	assert_int_equal(p.rc, JTOK_EPART);
	done(&p);
	free(ok);
}

/* ---- strings ------------------------------------------------------------------------------ */

static void expect_str(const char *js, int escaped)
{
	struct parsed p;
	parse(&p, js);
	if (p.rc != 1)
		fprintf(stderr, "for %s: %d (%s at %d)\n", js, p.rc, p.rc < 0 ? p.err.what : "",
		        (int)p.err.pos);
	assert_int_equal(p.rc, 1);
	assert_int_equal(p.t[0].type, JTOK_STRING);
	assert_int_equal(p.t[0].start, 1);
	assert_int_equal(p.t[0].end, (int)strlen(js) - 1);
	assert_int_equal(p.t[0].escaped, escaped);
	done(&p);
}

static void test_string_escapes(void **state)
{
	(void)state;
	expect_str("\"\"", 0);
	expect_str("\"plain\"", 0);
	expect_str("\"\\\"\"", 1);
	expect_str("\"\\\\\"", 1);
	expect_str("\"\\/\"", 1);
	expect_str("\"\\b\\f\\n\\r\\t\"", 1);
	expect_str("\"a\\u0041b\"", 1);
	expect_str("\"\\u00e9\\u00E9\\uFFFF\\u0000\"", 1);
	expect_str("\"\\ud83d\\ude00\"", 1); /* a surrogate pair */
	/* lone and reversed surrogates follow the grammar (four hex digits);
	 * jansson refuses them, data/decode turns them into U+FFFD */
	expect_str("\"\\ud83d\"", 1);
	expect_str("\"\\ude00\"", 1);
	expect_str("\"\\ude00\\ud83d\"", 1);
	expect_str("\"\\ud83dx\"", 1);
	/* a backslash escapes the quote, then the string goes on */
	expect_str("\"a\\\"b\\\\\"", 1);
	/* non-ASCII bytes and DEL are not control characters */
	expect_str("\"\xc3\xa9\xe6\x97\xa5\x7f\xf0\x9f\x98\x80\"", 0);

	expect_err("\"\\q\"", JTOK_EINVAL, 1);
	expect_err("\"\\x41\"", JTOK_EINVAL, 1);
	expect_err("\"\\U0041\"", JTOK_EINVAL, 1);
	expect_err("\"\\u12G4\"", JTOK_EINVAL, 1);
	expect_err("\"\\u-123\"", JTOK_EINVAL, 1);
	expect_err("\"\\u12\"", JTOK_EINVAL, 1);
	expect_err("\"\\ \"", JTOK_EINVAL, 1);
	expect_err("\"\\\'\"", JTOK_EINVAL, 1);
	/* single quotes are not strings */
	expect_err("'a'", JTOK_EINVAL, 0);
	/* the text ends inside the string or its escape */
	expect_err("\"abc", JTOK_EPART, 4);
	expect_err("\"abc\\", JTOK_EPART, 4);
	expect_err("\"\\u", JTOK_EPART, 1);
	expect_err("\"\\u00e", JTOK_EPART, 1);
	expect_err("\"\\u00e9", JTOK_EPART, 7);
	/* a \u escape already wrong before the text ends is wrong, not partial */
	expect_err("\"\\uZ", JTOK_EINVAL, 1);
	expect_err("\"\\u0Z", JTOK_EINVAL, 1);
	expect_err("\"\\u00eZ", JTOK_EINVAL, 1);
}

static void test_string_control_characters(void **state)
{
	(void)state;
	for (int c = 0; c < 0x20; c++) {
		char js[8] = { '"', 'a', (char)c, 'b', '"' };
		struct parsed p;
		parse_n(&p, js, 5);
		assert_int_equal(p.rc, JTOK_EINVAL);
		assert_int_equal(p.err.pos, 2);
		done(&p);
	}
	/* escaped, they are fine */
	expect_str("\"\\u0001\\u001f\"", 1);
}

/*
 * The string scan looks at sixteen bytes (SSE2) and then eight at a time:
 * put each kind of special byte at every offset in the first 48 bytes of a
 * string and check that it is found exactly there.
 */
static void test_string_scan_offsets(void **state)
{
	(void)state;
	char js[128];
	for (int off = 0; off < 48; off++) {
		/* the closing quote at off, then more text in the array */
		size_t n = 0;
		js[n++] = '[';
		js[n++] = '"';
		memset(js + n, 'a', (size_t)off);
		n += (size_t)off;
		js[n++] = '"';
		memcpy(js + n, ",\"tail-of-more-than-sixteen-bytes\"]", 35);
		n += 35;
		struct parsed p;
		parse_n(&p, js, n);
		assert_int_equal(p.rc, 3);
		expect_tok(&p.t[1], JTOK_STRING, 2, 2 + off, 0);
		assert_int_equal(p.t[2].end, (int)n - 2);
		done(&p);

		/* an escape at off, in a 60-byte string */
		const char *escs[] = { "\\n", "\\\"", "\\\\", "\\u0041", "\\ud83d\\ude00" };
		for (size_t e = 0; e < sizeof(escs) / sizeof(escs[0]); e++) {
			n = 0;
			js[n++] = '"';
			memset(js + n, 'b', (size_t)off);
			n += (size_t)off;
			memcpy(js + n, escs[e], strlen(escs[e]));
			n += strlen(escs[e]);
			memset(js + n, 'c', 60 - (size_t)off);
			n += 60 - (size_t)off;
			js[n++] = '"';
			parse_n(&p, js, n);
			assert_int_equal(p.rc, 1);
			expect_tok(&p.t[0], JTOK_STRING, 1, (int)n - 1, 0);
			assert_int_equal(p.t[0].escaped, 1);
			done(&p);
		}

		/* a raw control byte at off, with non-ASCII text around it */
		for (int c = 0; c < 0x20; c += 0x1f) {
			n = 0;
			js[n++] = '"';
			for (int k = 0; k < off; k++)
				js[n++] = (char)(k % 2 ? 0xa9 : 0xc3); /* é */
			if (off % 2)
				js[n - 1] = 'x'; /* whole characters only (not that jtok checks) */
			js[n++] = (char)c;
			memset(js + n, 'd', 40);
			n += 40;
			js[n++] = '"';
			parse_n(&p, js, n);
			assert_int_equal(p.rc, JTOK_EINVAL);
			assert_int_equal(p.err.pos, 1 + off);
			done(&p);
		}

		/* a string cut off after off bytes: partial, found at the end */
		n = 0;
		js[n++] = '"';
		memset(js + n, 'e', (size_t)off);
		n += (size_t)off;
		parse_n(&p, js, n);
		assert_int_equal(p.rc, JTOK_EPART);
		assert_int_equal(p.err.pos, (int)n);
		done(&p);
	}
}

/* ---- numbers and literals ---------------------------------------------------------------- */

static void test_numbers(void **state)
{
	(void)state;
	static const char *const good[] = {
		"0",
		"-0",
		"1",
		"-1",
		"10",
		"1234567890",
		"1.5",
		"-0.5",
		"0.0001",
		"1e5",
		"1E5",
		"1e+5",
		"1e-5",
		"0e0",
		"-0E-0",
		"1.0e-10",
		"2.5E+3",
		"1e999",
		"-1e-999",
		"123456789012345678901234567890123456789",
		"0.000000000000000000000000000001",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct parsed p;
		parse(&p, good[i]);
		if (p.rc != 1)
			fprintf(stderr, "number %s refused: %s\n", good[i], p.err.what);
		assert_int_equal(p.rc, 1);
		expect_tok(&p.t[0], JTOK_PRIMITIVE, 0, (int)strlen(good[i]), 0);
		done(&p);
		/* and as an element */
		char buf[128];
		snprintf(buf, sizeof(buf), "[%s,%s]", good[i], good[i]);
		expect_ok(buf, 3);
	}
	/* leading zeros: the number ends after the 0, and what follows is refused */
	expect_err("01", JTOK_EINVAL, 1);
	expect_err("-01", JTOK_EINVAL, 2);
	expect_err("00", JTOK_EINVAL, 1);
	expect_err("[01]", JTOK_EINVAL, 2);
	expect_err("{\"a\":007}", JTOK_EINVAL, 6);
	/* signs, points and exponents need digits */
	expect_err("+1", JTOK_EINVAL, 0);
	expect_err(".5", JTOK_EINVAL, 0);
	expect_err("[1.]", JTOK_EINVAL, 3);
	expect_err("[1.e5]", JTOK_EINVAL, 3);
	expect_err("[1e]", JTOK_EINVAL, 3);
	expect_err("[1e+]", JTOK_EINVAL, 4);
	expect_err("[-]", JTOK_EINVAL, 2);
	expect_err("--1", JTOK_EINVAL, 1);
	expect_err("-+1", JTOK_EINVAL, 1);
	expect_err("1.5.5", JTOK_EINVAL, 3);
	expect_err("1e5e5", JTOK_EINVAL, 3);
	expect_err("0x10", JTOK_EINVAL, 1);
	expect_err("1_000", JTOK_EINVAL, 1);
	expect_err("Infinity", JTOK_EINVAL, 0);
	expect_err("-Infinity", JTOK_EINVAL, 1);
	expect_err("NaN", JTOK_EINVAL, 0);
	/* and at the very end of the text they are partial */
	expect_err("-", JTOK_EPART, 1);
	expect_err("1.", JTOK_EPART, 2);
	expect_err("1e", JTOK_EPART, 2);
	expect_err("1E-", JTOK_EPART, 3);
	expect_err("[1", JTOK_EPART, 2);
}

static void test_literals(void **state)
{
	(void)state;
	expect_ok("[true,false,null]", 4);
	expect_err("True", JTOK_EINVAL, 0);
	expect_err("nul", JTOK_EPART, 0);
	expect_err("[tru", JTOK_EPART, 1);
	expect_err("[fals", JTOK_EPART, 1);
	expect_err("[trux]", JTOK_EINVAL, 1);
	expect_err("[nil]", JTOK_EINVAL, 1);
	expect_err("[tx", JTOK_EINVAL, 1);
	expect_err("[truefalse]", JTOK_EINVAL, 5);
	expect_err("nulll", JTOK_EINVAL, 4);
	expect_err("[undefined]", JTOK_EINVAL, 1);
}

static void test_trailing_garbage(void **state)
{
	(void)state;
	expect_ok("{}  \t\r\n", 1);
	expect_err("{} x", JTOK_EINVAL, 3);
	expect_err("{}}", JTOK_EINVAL, 2);
	expect_err("{} {}", JTOK_EINVAL, 3);
	expect_err("[]]", JTOK_EINVAL, 2);
	expect_err("1 2", JTOK_EINVAL, 2);
	expect_err("\"a\"\"b\"", JTOK_EINVAL, 3);
	expect_err("true,", JTOK_EINVAL, 4);
	expect_err("{}\n{}", JTOK_EINVAL, 3);
	/* a NUL byte after the value is text after the value too */
	struct parsed p;
	parse_n(&p, "{}\0", 3);
	assert_int_equal(p.rc, JTOK_EINVAL);
	assert_int_equal(p.err.pos, 2);
	done(&p);
}

/* ---- the token array ----------------------------------------------------------------------- */

static void test_token_array_growth(void **state)
{
	(void)state;
	/* no fixed limit: the caller's array grows to fit, from nothing or from
	 * a small one, and stays the caller's */
	enum { N = 100000 };
	char *js = malloc(2 * N + 2);
	assert_non_null(js);
	size_t n = 0;
	js[n++] = '[';
	for (int i = 0; i < N; i++) {
		js[n++] = (char)('0' + i % 10);
		js[n++] = ',';
	}
	js[n - 1] = ']';
	struct jtok *t = NULL;
	size_t cap = 0;
	struct jtok_error err;
	int rc = jtok_parse(js, n, &t, &cap, &err);
	assert_int_equal(rc, N + 1);
	assert_true(cap >= (size_t)N + 1);
	assert_int_equal(t[0].size, N);
	expect_tok(&t[N], JTOK_PRIMITIVE, (int)n - 2, (int)n - 1, 0);
	/* reused: no growth needed, same answer */
	struct jtok *before = t;
	size_t cap_before = cap;
	rc = jtok_parse(js, n, &t, &cap, &err);
	assert_int_equal(rc, N + 1);
	assert_ptr_equal(t, before);
	assert_int_equal(cap, cap_before);
	/* a short line after a long one leaves the array as it is */
	rc = jtok_parse("[1]", 3, &t, &cap, &err);
	assert_int_equal(rc, 2);
	assert_int_equal(cap, cap_before);
	free(t);

	/* from a one-token array */
	t = malloc(sizeof(*t));
	assert_non_null(t);
	cap = 1;
	rc = jtok_parse("{\"a\":[1,2,{\"b\":null}]}", 22, &t, &cap, &err);
	assert_int_equal(rc, 8);
	assert_true(cap >= 8);
	assert_int_equal(t[0].size, 1);
	assert_int_equal(t[2].size, 3);
	assert_int_equal(t[5].size, 1);
	free(t);

	/* an error after the array grew still hands the grown array back */
	t = NULL;
	cap = 0;
	js[n - 1] = ',';
	rc = jtok_parse(js, n, &t, &cap, &err);
	assert_int_equal(rc, JTOK_EPART);
	assert_non_null(t);
	assert_true(cap >= (unsigned)N);
	free(t);
	free(js);
}

/* ---- against the data files and jansson ------------------------------------------------ */

struct line {
	char *s;
	size_t len;
	const char *file;
	int lineno;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The '>' lines of tests/data/decode/<name>.cases, appended to *lines. */
static void load_lines(const char *name, struct line **lines, size_t *n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/decode/%s.cases", VIGIL_TEST_DATA_DIR, name);
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	int lineno = 0;
	for (char *p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		char *e = nl ? nl : text + len;
		lineno++;
		struct line l = { NULL, 0, name, lineno };
		if (e - p >= 2 && p[0] == '>' && p[1] == ' ') {
			l.len = (size_t)(e - p - 2);
			l.s = malloc(l.len + 1);
			assert_non_null(l.s);
			memcpy(l.s, p + 2, l.len);
		} else if (e - p >= 3 && p[0] == '>' && p[1] == 'x' && p[2] == ' ') {
			l.s = malloc((size_t)(e - p));
			assert_non_null(l.s);
			for (char *q = p + 3; q + 1 < e; q += 3)
				l.s[l.len++] = (char)(hexval(q[0]) * 16 + hexval(q[1]));
		}
		if (l.s) {
			*lines = realloc(*lines, (*n + 1) * sizeof(**lines));
			assert_non_null(*lines);
			(*lines)[(*n)++] = l;
		}
		p = e + 1;
	}
	free(text);
}

static void free_lines(struct line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i].s);
	free(lines);
}

/* jansson's verdict, with the cases where the two differ on purpose. */
enum verdict { V_JSON, V_NOT_JSON, V_EXCUSED };

static enum verdict jansson_verdict(const char *s, size_t len)
{
	json_error_t je;
	json_t *j =
	        json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
	if (j) {
		json_decref(j);
		return V_JSON;
	}
	/* jansson refuses lone surrogates and numbers it cannot hold; a repeated
	 * key is JSON to both, but jansson's tree keeps one of the two */
	if (strstr(je.text, "nicode") || strstr(je.text, "too big") ||
	    strstr(je.text, "overflow") || strstr(je.text, "duplicate"))
		return V_EXCUSED;
	return V_NOT_JSON;
}

/* jansson's value of the text of token i. */
static json_t *token_value(const char *js, const struct jtok *t)
{
	int a = t->start, b = t->end;
	if (t->type == JTOK_STRING)
		a--, b++;
	json_error_t je;
	return json_loadb(js + a, (size_t)(b - a), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
}

/*
 * Walk the tokens from i alongside jansson's tree j: the same kinds, the
 * same sizes, and each token's own text (start..end) parsed alone by jansson
 * equal to the subtree. Returns the index after the subtree.
 */
static int walk(const char *js, const struct jtok *t, int n, int i, const json_t *j)
{
	assert_true(i < n);
	json_t *own = token_value(js, &t[i]);
	assert_non_null(own);
	assert_true(json_equal(own, (json_t *)j));
	json_decref(own);
	switch (t[i].type) {
	case JTOK_OBJECT: {
		assert_true(json_is_object(j));
		assert_int_equal((size_t)t[i].size, json_object_size(j));
		int k = i + 1;
		for (int c = 0; c < t[i].size; c++) {
			assert_int_equal(t[k].type, JTOK_STRING);
			assert_int_equal(t[k].size, 1);
			json_t *key = token_value(js, &t[k]);
			assert_non_null(key);
			const json_t *v = json_object_getn(j, json_string_value(key),
			                                   json_string_length(key));
			json_decref(key);
			assert_non_null(v);
			k = walk(js, t, n, k + 1, v);
		}
		return k;
	}
	case JTOK_ARRAY: {
		assert_true(json_is_array(j));
		assert_int_equal((size_t)t[i].size, json_array_size(j));
		int k = i + 1;
		for (int c = 0; c < t[i].size; c++)
			k = walk(js, t, n, k, json_array_get(j, (size_t)c));
		return k;
	}
	case JTOK_STRING:
		assert_true(json_is_string(j));
		assert_int_equal(t[i].size, 0);
		assert_int_equal(t[i].escaped, memchr(js + t[i].start, '\\',
		                                      (size_t)(t[i].end - t[i].start)) != NULL);
		return i + 1;
	default:
		assert_int_equal(t[i].type, JTOK_PRIMITIVE);
		assert_int_equal(t[i].size, 0);
		assert_true(json_is_number(j) || json_is_boolean(j) || json_is_null(j));
		return i + 1;
	}
}

static bool usable(const struct line *l)
{
	/* jansson stops at a NUL and checks UTF-8, which jtok leaves to data/decode */
	return !memchr(l->s, 0, l->len) && decode_utf8_valid(l->s, l->len);
}

static void test_agrees_with_jansson(void **state)
{
	(void)state;
	struct line *lines = NULL;
	size_t n = 0;
	load_lines("v1", &lines, &n);
	load_lines("otlp", &lines, &n);
	load_lines("bad", &lines, &n);
	size_t compared = 0, valid = 0;
	for (size_t i = 0; i < n; i++) {
		const struct line *l = &lines[i];
		if (!usable(l))
			continue;
		struct parsed p;
		parse_n(&p, l->s, l->len);
		enum verdict v = jansson_verdict(l->s, l->len);
		if (v != V_EXCUSED && (p.rc >= 0) != (v == V_JSON)) {
			fprintf(stderr, "%s.cases:%d: jtok %d (%s), jansson %s\n", l->file,
			        l->lineno, p.rc, p.rc < 0 ? p.err.what : "ok",
			        v == V_JSON ? "ok" : "refuses");
			fail();
		}
		if (v == V_JSON) {
			json_error_t je;
			json_t *j = json_loadb(l->s, l->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
			assert_int_equal(walk(l->s, p.t, p.rc, 0, j), p.rc);
			json_decref(j);
			valid++;
		}
		compared++;
		done(&p);
	}
	/* the files hold the lines we think they hold */
	assert_true(compared >= 70);
	assert_true(valid >= 50);
	free_lines(lines, n);
}

/*
 * Seeded one-byte mutations of the valid lines: jtok and jansson agree on
 * which are JSON (a small, deterministic cousin of fuzz_decode_v1).
 */
static void test_mutations_agree_with_jansson(void **state)
{
	(void)state;
	struct line *lines = NULL;
	size_t n = 0;
	load_lines("v1", &lines, &n);
	load_lines("otlp", &lines, &n);
	static const char subst[] = "\"\\{}[],:. 01-eEtfnu\t/x";
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	size_t tried = 0, json = 0;
	char *buf = malloc(DECODE_MAX_LINE);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		const struct line *l = &lines[i];
		if (!usable(l) || l->len == 0 || l->len > DECODE_MAX_LINE)
			continue;
		for (int m = 0; m < 400; m++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			size_t at = (size_t)(rng % l->len);
			memcpy(buf, l->s, l->len);
			size_t len = l->len;
			switch ((rng >> 32) % 3) {
			case 0: buf[at] = subst[(rng >> 40) % (sizeof(subst) - 1)]; break;
			case 1: /* delete a byte */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			default: /* cut the line */ len = at; break;
			}
			struct line ml = { buf, len, l->file, l->lineno };
			if (!usable(&ml))
				continue;
			struct parsed p;
			parse_n(&p, buf, len);
			enum verdict v = jansson_verdict(buf, len);
			if (v != V_EXCUSED && (p.rc >= 0) != (v == V_JSON)) {
				fprintf(stderr,
				        "%s.cases:%d mutated: %.*s\njtok %d (%s), jansson %s\n",
				        l->file, l->lineno, (int)len, buf, p.rc,
				        p.rc < 0 ? p.err.what : "ok",
				        v == V_JSON ? "ok" : "refuses");
				fail();
			}
			json += v == V_JSON;
			tried++;
			done(&p);
		}
	}
	free(buf);
	assert_true(tried > 10000);
	assert_true(json > 100); /* some mutations stay JSON (a digit for a digit, ...) */
	free_lines(lines, n);
}

/*
 * Every proper prefix of every valid line from the data files is partial
 * (JTOK_EPART, never EINVAL, never a token count), and is parsed from an
 * exact-size copy so that a read past the end shows under ASan.
 */
static void test_truncated_at_every_offset(void **state)
{
	(void)state;
	struct line *lines = NULL;
	size_t n = 0;
	load_lines("v1", &lines, &n);
	load_lines("otlp", &lines, &n);
	size_t prefixes = 0;
	for (size_t i = 0; i < n; i++) {
		const struct line *l = &lines[i];
		size_t len = l->len;
		while (len > 0 && (l->s[len - 1] == ' ' || l->s[len - 1] == '\t' ||
		                   l->s[len - 1] == '\r' || l->s[len - 1] == '\n'))
			len--;
		struct parsed p;
		parse_n(&p, l->s, len);
		bool container = len > 0 && (l->s[0] == '{' || l->s[0] == '[');
		if (p.rc < 0 || !container) {
			done(&p);
			continue;
		}
		done(&p);
		for (size_t k = 0; k < len; k++) {
			parse_n(&p, l->s, k);
			if (p.rc != JTOK_EPART)
				fprintf(stderr, "%s.cases:%d cut at %zu: %d (%s at %d)\n", l->file,
				        l->lineno, k, p.rc, p.rc < 0 ? p.err.what : "",
				        (int)p.err.pos);
			assert_int_equal(p.rc, JTOK_EPART);
			assert_true(p.err.pos >= 0 && (size_t)p.err.pos <= k);
			done(&p);
			prefixes++;
		}
	}
	assert_true(prefixes > 5000);
	free_lines(lines, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_and_layout),
		cmocka_unit_test(test_top_level_values),
		cmocka_unit_test(test_object_grammar),
		cmocka_unit_test(test_array_grammar),
		cmocka_unit_test(test_depth_any),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_string_control_characters),
		cmocka_unit_test(test_string_scan_offsets),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_token_array_growth),
		cmocka_unit_test(test_agrees_with_jansson),
		cmocka_unit_test(test_mutations_agree_with_jansson),
		cmocka_unit_test(test_truncated_at_every_offset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
