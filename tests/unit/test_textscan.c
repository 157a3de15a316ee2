/*
 * test_textscan.c: the normalising tokenizer. The word path hashes eight
 * bytes at a time and tests URL prefixes on a whole chunk; this test keeps
 * a plain byte-at-a-time tokenizer as the reference and checks
 * that both cut the same tokens with the same hashes, on seeded random text
 * made of words of every length, numbers, citations, URLs, UTF-8 letters and
 * symbols and random bytes, cut at every length (so chunks end anywhere).
 * Plus the documented normalisations, case by case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/textscan.h"

#include <stdio.h>
#include <string.h>

/* ---- the reference: plain byte-at-a-time loops --------------------------------- */

static bool ref_url_at(const char *t, size_t len, size_t i)
{
	size_t n = len - i;
	const char *p = t + i;
	if (n >= 4 && (p[0] | 0x20) == 'w' && (p[1] | 0x20) == 'w' && (p[2] | 0x20) == 'w' &&
	    p[3] == '.')
		return true;
	if (n < 7 || (p[0] | 0x20) != 'h' || (p[1] | 0x20) != 't' || (p[2] | 0x20) != 't' ||
	    (p[3] | 0x20) != 'p')
		return false;
	if (p[4] == ':')
		return p[5] == '/' && p[6] == '/';
	return n >= 8 && (p[4] | 0x20) == 's' && p[5] == ':' && p[6] == '/' && p[7] == '/';
}

static bool ref_url_char(char c)
{
	return (unsigned char)c > ' ' && c != '"' && c != '\'' && c != '<' && c != '>' &&
	       c != ')' && c != ']' && c != '}' && c != '|' && c != '`';
}

static bool ref_next(const char *t, size_t len, size_t *pos, struct ts_token *tok)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t i = *pos;
	for (;;) {
		while (i < len && !ts_cls[u[i]])
			i++;
		if (i >= len)
			break;
		uint8_t cl = ts_cls[u[i]];
		char c = t[i];
		if (cl & TS_C_OPEN) {
			size_t e = i + 1;
			while (e < len && ts_is_digit(t[e]) && e - i < 6)
				e++;
			if (e > i + 1 && e < len && t[e] == ']') {
				*tok = (struct ts_token){ TS_CITE, i, e + 1,
					                  ts_hash(TS_SEED ^ 0x5b, t + i + 1,
					                          e - i - 1) };
				*pos = e + 1;
				return true;
			}
			i++;
			continue;
		}
		if (cl & TS_C_DIGIT) {
			uint64_t h = TS_SEED ^ 0x23;
			size_t e = i;
			for (; e < len; e++) {
				unsigned char d = u[e];
				if (ts_cls[d] & TS_C_DIGIT)
					h = (h ^ d) * 0x100000001b3ull;
				else if ((d == '.' || d == ',') && e + 1 < len &&
				         (ts_cls[u[e + 1]] & TS_C_DIGIT)) {
					if (d == '.')
						h = (h ^ d) * 0x100000001b3ull;
				} else
					break;
			}
			*tok = (struct ts_token){ TS_NUMBER, i, e, h ? h : 1 };
			*pos = e;
			return true;
		}
		if ((cl & TS_C_HIGH) && ts_symbol_len(t, len, i)) {
			i += ts_symbol_len(t, len, i);
			continue;
		}
		if (((c | 0x20) == 'h' || (c | 0x20) == 'w') && ref_url_at(t, len, i)) {
			size_t e = i;
			while (e < len && ref_url_char(t[e]))
				e++;
			while (e > i && strchr(".,;:!?", t[e - 1]))
				e--;
			uint64_t h = TS_SEED ^ 0x55;
			for (size_t k = i; k < e; k++)
				h = (h ^ (unsigned char)ts_lower(t[k])) * 0x100000001b3ull;
			*tok = (struct ts_token){ TS_URL, i, e, h ? h : 1 };
			*pos = e;
			return true;
		}
		uint64_t h = TS_WORD_SEED;
		size_t e = i;
		for (;;) {
			while (e < len && (ts_cls[u[e]] & (TS_C_ALPHA | TS_C_DIGIT)) &&
			       !(ts_cls[u[e]] & TS_C_HIGH))
				h = ts_word_step(h, ts_lower_tab[u[e++]]);
			if (e >= len || !(ts_cls[u[e]] & TS_C_HIGH) || ts_symbol_len(t, len, e))
				break;
			h = ts_word_step(h, u[e++]);
		}
		*tok = (struct ts_token){ TS_WORD, i, e, ts_word_final(h) };
		*pos = e;
		return true;
	}
	*pos = len;
	return false;
}

/* ---- random text ------------------------------------------------------------------ */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const pieces[] = {
	"a",
	"Z",
	"hello",
	"World",
	"x1",
	"abcdefg",
	"abcdefgh",
	"abcdefghi",
	"ABCDEFGHIJKLMNOP",
	"ABCDEFGHIJKLMNOPQ",
	"abcdefghijklmnopqrstuvwxyz0123456789",
	"Supercalifragilistic",
	"15",
	"1,000",
	"3.14",
	"1.",
	",5",
	"[",
	"]",
	"[12]",
	"[1234567]",
	"[x]",
	" ",
	"  ",
	"\n",
	".",
	",",
	"!",
	"?",
	"-",
	"'",
	"\"",
	"@",
	"`",
	"{",
	"~",
	"_",
	"$",
	"%",
	"\t",
	":",
	"/",
	"http://a.b/c?d=1.",
	"https://X.y/Z)",
	"HTTP://x",
	"www.q.r,",
	"WwW.a",
	"www",
	"http",
	"https:/",
	"htt",
	"\xc2\xa0",
	"\xc2\xa7",
	"\xc2\xb5",
	"\xc3\xa9",
	"caf\xc3\xa9",
	"\xe2\x80\x94",
	"\xe2\x82\xac",
	"\xe2\x84\xa2",
	"\xff",
	"\x80",
	"A1b2C3d4E5f6",
};

static size_t random_text(char *buf, size_t cap)
{
	size_t len = 0;
	int n = (int)(next_rand() % 60);
	for (int k = 0; k < n; k++) {
		if (next_rand() % 5 == 0) {
			buf[len++] = (char)(next_rand() & 0xff);
			continue;
		}
		const char *p = pieces[next_rand() % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t l = strlen(p);
		if (len + l >= cap)
			break;
		memcpy(buf + len, p, l);
		len += l;
	}
	return len;
}

static void test_same_tokens_as_the_byte_loops(void **state)
{
	(void)state;
	static char buf[4096];
	static struct ts_token many[2048];
	size_t tokens = 0;
	for (int it = 0; it < 6000; it++) {
		size_t full = random_text(buf, sizeof(buf));
		for (size_t len = full > 24 ? full - 24 : 0; len <= full; len++) {
			size_t p1 = 0, p2 = 0, p3 = 0, k = 0;
			size_t n = ts_tokenize(buf, len, &p3, many, 2048);
			struct ts_token a, b;
			for (;;) {
				bool ra = ref_next(buf, len, &p1, &a),
				     rb = ts_next(buf, len, &p2, &b);
				assert_int_equal(ra, rb);
				assert_int_equal(p1, p2);
				if (!ra)
					break;
				assert_int_equal(a.kind, b.kind);
				assert_int_equal(a.start, b.start);
				assert_int_equal(a.end, b.end);
				assert_true(a.hash == b.hash);
				assert_true(k < n && many[k].hash == a.hash &&
				            many[k].end == a.end);
				k++;
				tokens++;
			}
			assert_int_equal(k, n);
		}
	}
	assert_true(tokens > 100000);
}

static size_t cut(const char *text, struct ts_token *tok, size_t cap)
{
	size_t pos = 0;
	return ts_tokenize(text, strlen(text), &pos, tok, cap);
}

static void test_normalisations(void **state)
{
	(void)state;
	struct ts_token a[8], b[8];
	/* case folds; "1,000" is "1000"; "15mg" is a number then a word */
	assert_int_equal(cut("Hello WORLD", a, 8), 2);
	assert_int_equal(cut("hello world", b, 8), 2);
	assert_true(a[0].hash == b[0].hash && a[1].hash == b[1].hash);
	assert_true(a[0].hash == ts_word_hash("hello", 5));
	assert_int_equal(cut("1,000 1000", a, 8), 2);
	assert_true(a[0].hash == a[1].hash && a[0].kind == TS_NUMBER);
	assert_int_equal(cut("15mg", a, 8), 2);
	assert_int_equal(a[0].kind, TS_NUMBER);
	assert_int_equal(a[1].kind, TS_WORD);
	/* a citation is not its number; a URL is one token without the final dot */
	assert_int_equal(cut("[12] 12", a, 8), 2);
	assert_int_equal(a[0].kind, TS_CITE);
	assert_true(a[0].hash != a[1].hash);
	assert_int_equal(cut("see HTTPS://Example.org/x.", a, 8), 2);
	assert_int_equal(a[1].kind, TS_URL);
	assert_int_equal(a[1].end, strlen("see HTTPS://Example.org/x"));
	/* long words hash the same whichever path cut them */
	static const char w[] = "Pneumonoultramicroscopicsilicovolcanoconiosis";
	assert_int_equal(cut(w, a, 8), 1);
	assert_true(a[0].hash == ts_word_hash(w, strlen(w)));
	char padded[80];
	snprintf(padded, sizeof(padded), "%s and more text after it", w);
	assert_int_equal(cut(padded, b, 8), 6);
	assert_true(b[0].hash == a[0].hash);
	/* a resumed cut continues where the last one stopped */
	size_t pos = 0;
	assert_int_equal(ts_tokenize(padded, strlen(padded), &pos, a, 2), 2);
	assert_int_equal(ts_tokenize(padded, strlen(padded), &pos, a + 2, 8), 4);
	assert_true(a[5].hash == b[5].hash);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_tokens_as_the_byte_loops),
		cmocka_unit_test(test_normalisations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
