/*
 * jsonlite.c: a strict, allocation-free-per-value JSON reader into a flat
 * preorder array (see jsonlite.h). Recursive descent, with the nesting depth
 * bounded by JL_MAX_DEPTH so that hostile input cannot exhaust the stack.
 */
#include "core/jsonlite.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct jl_doc *d;
	const unsigned char *s;
	size_t pos, len;
	int err;
};

void jl_doc_init(struct jl_doc *d)
{
	memset(d, 0, sizeof(*d));
}

void jl_doc_done(struct jl_doc *d)
{
	free(d->nodes);
	free(d->chars);
	jl_doc_init(d);
}

static int fail(struct parser *p, int err)
{
	if (!p->err) {
		p->err = err;
		p->d->err_offset = p->pos;
	}
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int64_t new_node(struct parser *p, enum jl_type t)
{
	struct jl_doc *d = p->d;
	/* Every node takes at least one byte of the text (under 2^31), so n
	 * never outgrows its uint32_t. */
	if (d->n == d->cap &&
	    vg_grow((void **)&d->nodes, &d->cap, (size_t)d->n + 1, sizeof(*d->nodes), 64) != 0)
		return fail(p, VG_ENOMEM);
	struct jl_node *n = &d->nodes[d->n];
	n->type = (uint8_t)t;
	n->integral = false;
	n->len = 0;
	n->str = 0;
	n->num = 0;
	n->next = d->n + 1;
	return d->n++;
}

static bool match(struct parser *p, const char *word, size_t n)
{
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

/* Length of a valid UTF-8 sequence starting at s[0] (0 when invalid). */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return avail >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0;
		if (c == 0xF4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

static int hex4(const unsigned char *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* At an opening quote: decode the string into d->chars. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define B8(c) (0x0101010101010101ull * (uint64_t)(c))

/* The high bit of every byte of x that ends a plain run in a string: '"',
 * '\\', a control character (below 0x20) or a byte of 0x80 and above. */
static inline uint64_t plain_stop(uint64_t x)
{
	uint64_t y = x & B8(0x7f);
	uint64_t q = y ^ B8('"'), b = y ^ B8('\\');
	uint64_t is_q = ~(((q & B8(0x7f)) + B8(0x7f)) | q);
	uint64_t is_b = ~(((b & B8(0x7f)) + B8(0x7f)) | b);
	uint64_t ctl = ~((y | B8(0x80)) - B8(0x20));
	return (x | is_q | is_b | ctl) & B8(0x80);
}
#endif

static int parse_string(struct parser *p, uint32_t node)
{
	struct jl_doc *d = p->d;
	size_t start = d->chars_len;
	char *o = d->chars + start;
	size_t k = 0;
	p->pos++; /* the quote */
	for (;;) {
		size_t run = p->pos;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* Plain bytes eight at a time (the bulk of a long answer). */
		while (run + 8 <= p->len) {
			uint64_t x;
			memcpy(&x, p->s + run, 8);
			uint64_t stop = plain_stop(x);
			if (stop) {
				run += (size_t)__builtin_ctzll(stop) >> 3;
				break;
			}
			run += 8;
		}
#endif
		while (run < p->len) {
			unsigned char c = p->s[run];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			run++;
		}
		memcpy(o + k, p->s + p->pos, run - p->pos);
		k += run - p->pos;
		p->pos = run;
		if (p->pos >= p->len)
			return fail(p, VG_EPARSE);
		unsigned char c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return fail(p, VG_EPARSE);
		if (c >= 0x80) {
			size_t n = utf8_seq(p->s + p->pos, p->len - p->pos);
			if (!n)
				return fail(p, VG_EPARSE);
			memcpy(o + k, p->s + p->pos, n);
			k += n;
			p->pos += n;
			continue;
		}
		/* backslash */
		if (p->pos + 1 >= p->len)
			return fail(p, VG_EPARSE);
		unsigned char e = p->s[p->pos + 1];
		p->pos += 2;
		switch (e) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (p->len - p->pos < 4 || hex4(p->s + p->pos, &cp) != 0)
				return fail(p, VG_EPARSE);
			p->pos += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (p->len - p->pos < 6 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u' || hex4(p->s + p->pos + 2, &lo) != 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return fail(p, VG_EPARSE);
				p->pos += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return fail(p, VG_EPARSE);
			}
			k += put_utf8(o + k, cp);
			break;
		}
		default: return fail(p, VG_EPARSE);
		}
	}
	o[k] = '\0';
	d->nodes[node].str = (uint32_t)start;
	d->nodes[node].len = (uint32_t)k;
	d->chars_len = start + k + 1;
	return 0;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int parse_number(struct parser *p, uint32_t node)
{
	size_t start = p->pos;
	const unsigned char *s = p->s;
	bool neg = false, simple = true;
	if (p->pos < p->len && s[p->pos] == '-') {
		neg = true;
		p->pos++;
	}
	if (p->pos >= p->len || !is_digit(s[p->pos]))
		return fail(p, VG_EPARSE);
	size_t int_start = p->pos;
	if (s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	size_t int_end = p->pos;
	if (p->pos < p->len && s[p->pos] == '.') {
		simple = false;
		p->pos++;
		if (p->pos >= p->len || !is_digit(s[p->pos]))
			return fail(p, VG_EPARSE);
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		simple = false;
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !is_digit(s[p->pos]))
			return fail(p, VG_EPARSE);
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	}
	struct jl_node *n = &p->d->nodes[node];
	if (simple && int_end - int_start <= 15) {
		int64_t v = 0;
		for (size_t i = int_start; i < int_end; i++)
			v = v * 10 + (s[i] - '0');
		n->num = (double)(neg ? -v : v);
		n->integral = true;
		return 0;
	}
	/* strtod needs a terminated copy: use the free tail of the string
	 * buffer, which always has room for one token (see jl_parse). */
	char *tmp = p->d->chars + p->d->chars_len;
	size_t k = p->pos - start;
	memcpy(tmp, s + start, k);
	tmp[k] = '\0';
	double v = strtod(tmp, NULL);
	n->num = v;
	n->integral = isfinite(v) && v == floor(v);
	return 0;
}

static int parse_value(struct parser *p, int depth);

static int parse_container(struct parser *p, int depth, bool object)
{
	int64_t node = new_node(p, object ? JL_OBJECT : JL_ARRAY);
	if (node < 0)
		return -1;
	if (depth >= JL_MAX_DEPTH)
		return fail(p, VG_ETOOBIG);
	p->pos++; /* [ or { */
	uint32_t count = 0;
	char close = object ? '}' : ']';
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		goto done;
	}
	for (;;) {
		skip_ws(p);
		if (object) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, VG_EPARSE);
			int64_t key = new_node(p, JL_STRING);
			if (key < 0 || parse_string(p, (uint32_t)key) != 0)
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, VG_EPARSE);
			p->pos++;
		}
		if (parse_value(p, depth + 1) != 0)
			return -1;
		count++;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, VG_EPARSE);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == close) {
			p->pos++;
			break;
		}
		return fail(p, VG_EPARSE);
	}
done:
	p->d->nodes[node].len = count;
	p->d->nodes[node].next = p->d->n;
	return 0;
}

static int parse_value(struct parser *p, int depth)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, VG_EPARSE);
	int64_t node;
	switch (p->s[p->pos]) {
	case '{': return parse_container(p, depth, true);
	case '[': return parse_container(p, depth, false);
	case '"':
		node = new_node(p, JL_STRING);
		return node < 0 ? -1 : parse_string(p, (uint32_t)node);
	case 't':
		if (!match(p, "true", 4))
			return fail(p, VG_EPARSE);
		return new_node(p, JL_TRUE) < 0 ? -1 : 0;
	case 'f':
		if (!match(p, "false", 5))
			return fail(p, VG_EPARSE);
		return new_node(p, JL_FALSE) < 0 ? -1 : 0;
	case 'n':
		if (!match(p, "null", 4))
			return fail(p, VG_EPARSE);
		return new_node(p, JL_NULL) < 0 ? -1 : 0;
	default:
		node = new_node(p, JL_NUMBER);
		return node < 0 ? -1 : parse_number(p, (uint32_t)node);
	}
}

int jl_parse(struct jl_doc *d, const char *text, size_t len)
{
	if (len >= (size_t)INT32_MAX)
		return VG_ETOOBIG;
	/* Decoded strings never outgrow their source (quotes pay for the NUL),
	 * so len + 1 bytes hold them all, plus one number token at the end. */
	if (d->chars_cap < len + 16) {
		size_t cap = len + 16;
		char *c = realloc(d->chars, cap);
		if (!c)
			return VG_ENOMEM;
		d->chars = c;
		d->chars_cap = cap;
	}
	d->n = 0;
	d->chars_len = 0;
	d->err_offset = 0;
	struct parser p = { .d = d, .s = (const unsigned char *)text, .pos = 0, .len = len };
	if (parse_value(&p, 0) != 0)
		return p.err ? p.err : VG_EPARSE;
	skip_ws(&p);
	if (p.pos != len) {
		fail(&p, VG_EPARSE);
		return VG_EPARSE;
	}
	return 0;
}

size_t jl_utf8_count(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}
