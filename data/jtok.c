/*
 * jtok.c: one pass over the text, appending tokens; open containers are kept
 * on an explicit stack (no recursion, so no nesting depth can exhaust the C
 * stack: depth costs four bytes of heap a level). Strings are the
 * bulk of an event line, so their scan looks at eight bytes at once for a
 * quote, a backslash or a control character and only steps byte by byte
 * around those.
 */
#include "data/jtok.h"

#include "core/vgmem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct jt {
	const char *js;
	size_t len;
	size_t i;
	struct jtok *t;
	unsigned n;
	size_t cap;
	struct jtok_error *err;
};

/* Any byte of x below n (n <= 128), the classic bit trick. */
#define ONES           0x0101010101010101ULL
#define HIGHS          0x8080808080808080ULL
#define HAS_LESS(x, n) (((x)-ONES * (n)) & ~(x)&HIGHS)
#define HAS_BYTE(x, b) HAS_LESS((x) ^ (ONES * (b)), 1)

static int fail(struct jt *p, int code, const char *what)
{
	p->err->pos = (int32_t)p->i;
	p->err->what = what;
	return code;
}

static inline int add(struct jt *p, uint8_t type, size_t start)
{
	/* vg_grow() is out of line: add() is on every token */
	if (p->n == p->cap && vg_grow((void **)&p->t, &p->cap, (size_t)p->n + 1, sizeof(*p->t), 64))
		return JTOK_ENOMEM;
	struct jtok *k = &p->t[p->n];
	k->type = type;
	k->escaped = 0;
	k->start = (int32_t)start;
	k->end = -1;
	k->size = 0;
	return (int)p->n++;
}

static inline void ws(struct jt *p)
{
	/* compact JSON has no whitespace: the common case returns at once */
	if (p->i < p->len && (unsigned char)p->js[p->i] > ' ')
		return;
	while (p->i < p->len) {
		char c = p->js[p->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->i++;
	}
}

static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int string(struct jt *p)
{
	p->i++; /* the opening quote */
	int k = add(p, JTOK_STRING, p->i);
	if (k < 0)
		return k;
	const char *js = p->js;
	size_t i = p->i, len = p->len;
	uint8_t escaped = 0;
	for (;;) {
#if defined(__SSE2__)
		/* sixteen bytes at a time: a quote, a backslash, or a byte below 0x20 */
		const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
		const __m128i ctl = _mm_set1_epi8(0x1f);
		while (i + 16 <= len) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(js + i));
			__m128i hit =
			        _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
			unsigned mask = (unsigned)_mm_movemask_epi8(hit);
			if (mask) {
				/* i is at the byte: no need to look for it again */
				i += (size_t)__builtin_ctz(mask);
				goto at_byte;
			}
			i += 16;
		}
#endif
		while (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, js + i, 8);
			if (HAS_BYTE(w, '"') | HAS_BYTE(w, '\\') | HAS_LESS(w, 0x20))
				break;
			i += 8;
		}
#if defined(__SSE2__)
	at_byte:
#endif
		if (i >= len) {
			p->i = i;
			return fail(p, JTOK_EPART, "the text ends inside a string");
		}
		unsigned char c = (unsigned char)js[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			p->i = i;
			return fail(p, JTOK_EINVAL, "a control character inside a string");
		}
		if (c != '\\') {
			i++;
			continue;
		}
		escaped = 1;
		if (i + 1 >= len) {
			p->i = i;
			return fail(p, JTOK_EPART, "the text ends inside a string");
		}
		switch (js[i + 1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't': i += 2; break;
		case 'u':
			/* a digit that is not hex is an error even when the text
			 * ends before all four ("\\uZ" can never become JSON) */
			for (size_t h = i + 2; h < i + 6; h++) {
				if (h >= len) {
					p->i = i;
					return fail(p, JTOK_EPART, "the text ends inside a string");
				}
				if (!hex(js[h])) {
					p->i = i;
					return fail(p, JTOK_EINVAL, "a bad \\u escape");
				}
			}
			i += 6;
			break;
		default: p->i = i; return fail(p, JTOK_EINVAL, "a bad escape");
		}
	}
	p->t[k].end = (int32_t)i;
	p->t[k].escaped = escaped;
	p->i = i + 1;
	return k;
}

static int literal(struct jt *p, const char *lit, size_t n)
{
	if (p->i + n > p->len)
		return fail(
		        p, memcmp(p->js + p->i, lit, p->len - p->i) == 0 ? JTOK_EPART : JTOK_EINVAL,
		        "a bad literal");
	if (memcmp(p->js + p->i, lit, n) != 0)
		return fail(p, JTOK_EINVAL, "a bad literal");
	int k = add(p, JTOK_PRIMITIVE, p->i);
	if (k < 0)
		return k;
	p->i += n;
	p->t[k].end = (int32_t)p->i;
	return k;
}

static bool digit(const struct jt *p)
{
	return p->i < p->len && p->js[p->i] >= '0' && p->js[p->i] <= '9';
}

static int number(struct jt *p)
{
	size_t start = p->i;
	if (p->js[p->i] == '-')
		p->i++;
	if (!digit(p))
		return fail(p, p->i >= p->len ? JTOK_EPART : JTOK_EINVAL, "a bad number");
	if (p->js[p->i] == '0') {
		p->i++;
	} else {
		while (digit(p))
			p->i++;
	}
	if (p->i < p->len && p->js[p->i] == '.') {
		p->i++;
		if (!digit(p))
			return fail(p, p->i >= p->len ? JTOK_EPART : JTOK_EINVAL, "a bad number");
		while (digit(p))
			p->i++;
	}
	if (p->i < p->len && (p->js[p->i] == 'e' || p->js[p->i] == 'E')) {
		p->i++;
		if (p->i < p->len && (p->js[p->i] == '+' || p->js[p->i] == '-'))
			p->i++;
		if (!digit(p))
			return fail(p, p->i >= p->len ? JTOK_EPART : JTOK_EINVAL, "a bad number");
		while (digit(p))
			p->i++;
	}
	int k = add(p, JTOK_PRIMITIVE, start);
	if (k < 0)
		return k;
	p->t[k].end = (int32_t)p->i;
	return k;
}

/* A scalar at p->i (string, literal or number). */
static int scalar(struct jt *p)
{
	switch (p->js[p->i]) {
	case '"': return string(p);
	case 't': return literal(p, "true", 4);
	case 'f': return literal(p, "false", 5);
	case 'n': return literal(p, "null", 4);
	default:
		if (p->js[p->i] == '-' || (p->js[p->i] >= '0' && p->js[p->i] <= '9'))
			return number(p);
		return fail(p, JTOK_EINVAL, "expected a value");
	}
}

/* The open containers around the innermost one: their token indexes, the
 * sign bit set for an object. Sixty-four levels live on the C stack; deeper
 * text grows a heap copy, so nesting is bounded by the text's length alone. */
struct nest {
	uint32_t *at;
	size_t n, cap;
	uint32_t local[64];
};

#define NEST_OBJECT 0x80000000u
#define NEST_NONE   0xFFFFFFFFu

__attribute__((noinline)) static int nest_grow(struct nest *s)
{
	size_t ncap = s->cap * 2;
	uint32_t *na =
	        s->at == s->local ? malloc(ncap * sizeof(*na)) : realloc(s->at, ncap * sizeof(*na));
	if (!na)
		return JTOK_ENOMEM;
	if (s->at == s->local)
		memcpy(na, s->local, sizeof(s->local));
	s->at = na;
	s->cap = ncap;
	return 0;
}

/* An object's key and its ':' (p->i at the key's quote), then whitespace. */
static inline int key(struct jt *p)
{
	if (p->i >= p->len)
		return fail(p, JTOK_EPART, "the text ends inside an object");
	if (p->js[p->i] != '"')
		return fail(p, JTOK_EINVAL, "expected a key");
	int k = string(p);
	if (k < 0)
		return k;
	p->t[k].size = 1;
	ws(p);
	if (p->i >= p->len)
		return fail(p, JTOK_EPART, "the text ends inside an object");
	if (p->js[p->i] != ':')
		return fail(p, JTOK_EINVAL, "expected ':'");
	p->i++;
	ws(p);
	return 0;
}

/*
 * One value, iteratively: a container becomes the innermost open one (its
 * parent goes on the stack) and its members follow in the same loop, so
 * hostile nesting costs heap, never C stack. After each complete value the
 * innermost open container counts it and expects ',' or its closing bracket.
 */
static int value(struct jt *p, struct nest *s)
{
	uint32_t cur = NEST_NONE; /* the innermost open container */
	int rc;
	for (;;) {
		/* a value starts at p->i */
		if (p->i >= p->len)
			return fail(p, JTOK_EPART, "expected a value");
		char c = p->js[p->i];
		if (c == '{' || c == '[') {
			bool object = c == '{';
			int k = add(p, object ? JTOK_OBJECT : JTOK_ARRAY, p->i);
			if (k < 0)
				return k;
			p->i++;
			ws(p);
			if (p->i < p->len && p->js[p->i] == (object ? '}' : ']')) {
				p->i++;
				p->t[k].end = (int32_t)p->i;
			} else {
				if (cur != NEST_NONE) {
					if (s->n == s->cap && (rc = nest_grow(s)) != 0)
						return rc;
					s->at[s->n++] = cur;
				}
				cur = (uint32_t)k | (object ? NEST_OBJECT : 0);
				if (object && (rc = key(p)) != 0)
					return rc;
				continue; /* the first member */
			}
		} else if ((rc = scalar(p)) < 0) {
			return rc;
		}
		/* a value is complete: close what it completes */
		for (;;) {
			if (cur == NEST_NONE)
				return 0;
			bool object = (cur & NEST_OBJECT) != 0;
			struct jtok *t = &p->t[cur & ~NEST_OBJECT];
			t->size++;
			ws(p);
			if (p->i >= p->len)
				return fail(p, JTOK_EPART,
				            object ? "the text ends inside an object"
				                   : "the text ends inside an array");
			c = p->js[p->i];
			if (c == ',') {
				p->i++;
				ws(p);
				if (object && (rc = key(p)) != 0)
					return rc;
				break; /* the next member */
			}
			if (c != (object ? '}' : ']'))
				return fail(p, JTOK_EINVAL,
				            object ? "expected ',' or '}'" : "expected ',' or ']'");
			p->i++;
			t->end = (int32_t)p->i;
			cur = s->n ? s->at[--s->n] : NEST_NONE;
		}
	}
}

int jtok_parse(const char *js, size_t len, struct jtok **toks, size_t *cap, struct jtok_error *err)
{
	struct jt p = { .js = js, .len = len, .t = *toks, .cap = *cap, .err = err };
	err->pos = 0;
	err->what = "";
	if (len > (size_t)INT32_MAX)
		return fail(&p, JTOK_EINVAL, "too long");
	ws(&p);
	struct nest s = { .cap = 64 };
	s.at = s.local;
	int rc = value(&p, &s);
	if (s.at != s.local)
		free(s.at);
	if (rc >= 0) {
		ws(&p);
		if (p.i != len)
			rc = fail(&p, JTOK_EINVAL, "text after the value");
	}
	*toks = p.t;
	*cap = p.cap;
	return rc < 0 ? rc : (int)p.n;
}
