/* textscan.c: hashing, the hash set, the normalising tokenizer, byte search. */
#include "core/textscan.h"

#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

uint64_t ts_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

uint64_t ts_word_hash(const char *w, size_t n)
{
	uint64_t h = TS_WORD_SEED;
	for (size_t i = 0; i < n; i++)
		h = ts_word_step(h, (unsigned char)ts_lower(w[i]));
	return ts_word_final(h);
}

void ts_set_init(struct ts_set *s)
{
	memset(s, 0, sizeof(*s));
}

void ts_set_done(struct ts_set *s)
{
	free(s->slots);
	ts_set_init(s);
}

int ts_set_reset(struct ts_set *s, size_t expected)
{
	size_t cap = 64;
	while (cap < expected * 2 && cap < ((size_t)1 << 30))
		cap *= 2;
	if (cap > s->alloc) {
		uint64_t *sl = malloc(cap * sizeof(*sl));
		if (!sl)
			return VG_ENOMEM;
		free(s->slots);
		s->slots = sl;
		s->alloc = cap;
	}
	s->cap = cap;
	memset(s->slots, 0, cap * sizeof(*s->slots));
	s->n = 0;
	s->oom = false;
	return 0;
}

static void set_put(uint64_t *slots, size_t mask, uint64_t h)
{
	size_t i = (size_t)(h ^ (h >> 29)) & mask;
	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = h;
}

bool ts__set_grow(struct ts_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	uint64_t *sl = calloc(cap, sizeof(*sl));
	if (!sl) {
		s->oom = true;
		return false;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i])
			set_put(sl, cap - 1, s->slots[i]);
	}
	free(s->slots);
	s->slots = sl;
	s->cap = cap;
	s->alloc = cap;
	return true;
}

/* Byte classes: what may start or continue a token. */
const uint8_t ts_cls[256] = {
	['0' ... '9'] = TS_C_DIGIT, ['A' ... 'Z'] = TS_C_ALPHA | TS_C_UPPER,
	['a' ... 'z'] = TS_C_ALPHA, [0x80 ... 0xFF] = TS_C_ALPHA | TS_C_HIGH,
	['['] = TS_C_OPEN,
};

/* ASCII lower case, byte for byte. */
const unsigned char ts_lower_tab[256] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
	0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
	0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c,
	0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b,
	0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
	0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
	0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
	0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
	0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
	0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4,
	0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
	0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1, 0xc2,
	0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1,
	0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0,
	0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe,
	0xff,
};

/* "http://", "https://" or "www." at t[i], case-insensitively. */
static bool url_at(const char *t, size_t len, size_t i)
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

static bool url_char(char c)
{
	return (unsigned char)c > ' ' && c != '"' && c != '\'' && c != '<' && c != '>' &&
	       c != ')' && c != ']' && c != '}' && c != '|' && c != '`';
}

/*
 * Eight bytes at a time (little-endian only; elsewhere the byte loops do
 * everything). For a chunk x of text:
 *   swar_alnum(x)  the high bit of every byte that is an ASCII letter or
 *                  digit (7-bit range tests that cannot borrow across bytes);
 *   swar_sum(z, L) sum(c_i * 33^(L-1-i)) over the first L bytes of z, which
 *                  must be lower-cased, so that h*33^L + swar_sum(z, L) is
 *                  exactly what L calls of ts_word_step() give: computed as
 *                  S = sum(c_i * 33^(7-i)) in 16-, 32- and 64-bit lanes,
 *                  times the inverse of 33^(8-L) (33 is odd, so invertible
 *                  modulo 2^64), with no branch on the word's length.
 * Word boundaries mispredict less this way; the tokens and hashes are the
 * byte loops' to the bit (tests/unit/test_textscan compares them).
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TS_SWAR 1
#define B8(c)   (0x0101010101010101ull * (uint64_t)(c))

static inline uint64_t load8(const unsigned char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* High bit of each byte in [lo, hi] (bytes of y below 0x80). */
static inline uint64_t swar_between(uint64_t y, unsigned lo, unsigned hi)
{
	uint64_t ge = (y | B8(0x80)) - B8(lo);
	uint64_t le = B8(0x80 + hi) - y;
	return ge & le & B8(0x80);
}

static inline uint64_t swar_alnum(uint64_t x)
{
	uint64_t y = x & B8(0x7f);
	uint64_t w = swar_between(y, '0', '9') | swar_between(y | B8(0x20), 'a', 'z');
	return w & ~x & B8(0x80);
}

/* 33^k and (33^-1)^k modulo 2^64, k = 0..8. */
static const uint64_t pow33[9] = {
	0x0000000000000001ull, 0x0000000000000021ull, 0x0000000000000441ull,
	0x0000000000008c61ull, 0x0000000000121881ull, 0x00000000025528a1ull,
	0x000000004cfa3cc1ull, 0x00000009ec41d4e1ull, 0x00000147747c7101ull,
};
static const uint64_t inv33[9] = {
	0x0000000000000001ull, 0x0f83e0f83e0f83e1ull, 0xca2ac8c1b44e0bc1ull,
	0x8a014be6d6eb17a1ull, 0xbe5d215492262781ull, 0x24cc84e3884ebb61ull,
	0x65f6aeb18fc45341ull, 0x8eb9e64370f66f21ull, 0x4262b966e4648f01ull,
};

/* The first L bytes of a chunk (L = 0..8). */
static const uint64_t first_bytes[9] = {
	0,
	0xffull,
	0xffffull,
	0xffffffull,
	0xffffffffull,
	0xffffffffffull,
	0xffffffffffffull,
	0xffffffffffffffull,
	~0ull,
};

/* sum(c_i * 33^(L-1-i)) over the first L bytes of z (lower-cased). */
static inline uint64_t swar_sum(uint64_t z, unsigned L)
{
	z &= first_bytes[L];
	const uint64_t m16 = 0x00ff00ff00ff00ffull, m32 = 0x0000ffff0000ffffull;
	uint64_t p = (z & m16) * 33 + ((z >> 8) & m16);         /* c0*33+c1 per 16 bits */
	uint64_t q = (p & m32) * 1089 + ((p >> 16) & m32);      /* per 32 bits */
	uint64_t S = (q & 0xffffffffull) * 1185921 + (q >> 32); /* sum c_i 33^(7-i) */
	return S * inv33[8 - L];
}

/* The number of leading ASCII letters and digits in a chunk (0..8). */
static inline unsigned swar_run(uint64_t x)
{
	uint64_t stop = ~swar_alnum(x) & B8(0x80);
	return stop ? (unsigned)__builtin_ctzll(stop) >> 3 : 8;
}

/* The eight bytes of s as a little-endian chunk. */
static inline uint64_t le8(const char *s)
{
	uint64_t x;
	memcpy(&x, s, 8);
	return x;
}

/* url_at() for a chunk x at the token's start: the same byte tests, no
 * branch (the first letter alone mispredicts on every word starting with h
 * or w). */
static inline bool swar_url(uint64_t x)
{
	uint64_t http = (x | 0x20202020ull) & 0x00ffffffffffffffull;
	uint64_t https = x | 0x2020202020ull;
	uint64_t www = (x | 0x202020ull) & 0xffffffffull;
	/* | rather than ||: all three are cheap, and no branch */
	return ((int)(http == (le8("http://\0") & 0x00ffffffffffffffull)) |
	        (int)(https == le8("https://")) |
	        (int)(www == (le8("www.\0\0\0\0") & 0xffffffffull))) != 0;
}
#endif

/* The body of ts_next (inlined into ts_tokenize's loop too). */
static inline __attribute__((always_inline)) bool next_token(const char *t, size_t len, size_t *pos,
                                                             struct ts_token *tok)
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
				tok->kind = TS_CITE;
				tok->start = i;
				tok->end = e + 1;
				tok->hash = ts_hash(TS_SEED ^ 0x5b, t + i + 1, e - i - 1);
				*pos = e + 1;
				return true;
			}
			i++;
			continue;
		}
		if (cl & TS_C_DIGIT) {
			uint64_t h = TS_SEED ^ 0x23;
			size_t e = i;
			while (e < len) {
				unsigned char d = u[e];
				if (ts_cls[d] & TS_C_DIGIT) {
					h = (h ^ d) * 0x100000001b3ull;
				} else if ((d == '.' || d == ',') && e + 1 < len &&
				           (ts_cls[u[e + 1]] & TS_C_DIGIT)) {
					if (d == '.')
						h = (h ^ d) * 0x100000001b3ull;
				} else {
					break;
				}
				e++;
			}
			tok->kind = TS_NUMBER;
			tok->start = i;
			tok->end = e;
			tok->hash = h ? h : 1;
			*pos = e;
			return true;
		}
		if ((cl & TS_C_HIGH) && ts_symbol_len(t, len, i)) {
			i += ts_symbol_len(t, len, i);
			continue;
		}
#ifdef TS_SWAR
		bool url = i + 8 <= len
		                   ? swar_url(load8(u + i))
		                   : ((c | 0x20) == 'h' || (c | 0x20) == 'w') && url_at(t, len, i);
#else
		bool url = ((c | 0x20) == 'h' || (c | 0x20) == 'w') && url_at(t, len, i);
#endif
		if (url) {
			size_t e = i;
			while (e < len && url_char(t[e]))
				e++;
			while (e > i && strchr(".,;:!?", t[e - 1]))
				e--;
			uint64_t h = TS_SEED ^ 0x55;
			for (size_t k = i; k < e; k++)
				h = (h ^ (unsigned char)ts_lower(t[k])) * 0x100000001b3ull;
			tok->kind = TS_URL;
			tok->start = i;
			tok->end = e;
			tok->hash = h ? h : 1;
			*pos = e;
			return true;
		}
		uint64_t h = TS_WORD_SEED;
		size_t e = i;
		for (;;) {
			/* The common case, ASCII letters and digits. */
#ifdef TS_SWAR
			/* Eight bytes at a time: one chunk for most words. */
			while (e + 8 <= len) {
				uint64_t x = load8(u + e);
				unsigned k = swar_run(x);
				h = h * pow33[k] + swar_sum(x | B8(0x20), k);
				e += k;
				if (k < 8)
					break;
			}
#endif
			while (e < len && (ts_cls[u[e]] & (TS_C_ALPHA | TS_C_DIGIT | TS_C_HIGH)) &&
			       !(ts_cls[u[e]] & TS_C_HIGH)) {
				h = ts_word_step(h, ts_lower_tab[u[e]]);
				e++;
			}
			if (e >= len || !(ts_cls[u[e]] & TS_C_HIGH) || ts_symbol_len(t, len, e))
				break;
			h = ts_word_step(h, u[e]); /* part of a UTF-8 letter */
			e++;
		}
		tok->kind = TS_WORD;
		tok->start = i;
		tok->end = e;
		tok->hash = ts_word_final(h);
		*pos = e;
		return true;
	}
	*pos = len;
	return false;
}

bool ts_next(const char *t, size_t len, size_t *pos, struct ts_token *tok)
{
	return next_token(t, len, pos, tok);
}

size_t ts_tokenize(const char *t, size_t len, size_t *pos, struct ts_token *tok, size_t cap)
{
	size_t n = 0;
	while (n < cap && next_token(t, len, pos, &tok[n]))
		n++;
	return n;
}

size_t ts_find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return 0;
	if (nlen > hlen)
		return (size_t)-1;
	const char *p = hay, *end = hay + hlen - nlen + 1;
	while (p < end) {
		p = memchr(p, needle[0], (size_t)(end - p));
		if (!p)
			return (size_t)-1;
		if (memcmp(p, needle, nlen) == 0)
			return (size_t)(p - hay);
		p++;
	}
	return (size_t)-1;
}

size_t ts_find_ci(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return 0;
	if (nlen > hlen)
		return (size_t)-1;
	char first = ts_lower(needle[0]);
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if (ts_lower(hay[i]) != first)
			continue;
		size_t k = 1;
		while (k < nlen && ts_lower(hay[i + k]) == ts_lower(needle[k]))
			k++;
		if (k == nlen)
			return i;
	}
	return (size_t)-1;
}
