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
	if (cap > s->cap) {
		uint64_t *sl = malloc(cap * sizeof(*sl));
		if (!sl)
			return VG_ENOMEM;
		free(s->slots);
		s->slots = sl;
		s->cap = cap;
	} else {
		cap = s->cap;
	}
	memset(s->slots, 0, cap * sizeof(*s->slots));
	s->n = 0;
	return 0;
}

bool ts_set_add(struct ts_set *s, uint64_t h)
{
	if (!s->cap || s->n * 4 >= s->cap * 3)
		return false;
	size_t mask = s->cap - 1;
	for (size_t i = (size_t)(h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
		if (s->slots[i] == h)
			return false;
		if (!s->slots[i]) {
			s->slots[i] = h;
			s->n++;
			return true;
		}
	}
}

bool ts_set_has(const struct ts_set *s, uint64_t h)
{
	if (!s->cap)
		return false;
	size_t mask = s->cap - 1;
	for (size_t i = (size_t)(h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
		if (s->slots[i] == h)
			return true;
		if (!s->slots[i])
			return false;
	}
}

static bool starts_ci(const char *t, size_t len, size_t pos, const char *w)
{
	size_t n = strlen(w);
	if (len - pos < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (ts_lower(t[pos + i]) != w[i])
			return false;
	}
	return true;
}

static bool url_char(char c)
{
	return (unsigned char)c > ' ' && c != '"' && c != '\'' && c != '<' && c != '>' &&
	       c != ')' && c != ']' && c != '}' && c != '|' && c != '`';
}

bool ts_next(const char *t, size_t len, size_t *pos, struct ts_token *tok)
{
	size_t i = *pos;
	while (i < len) {
		char c = t[i];
		if (c == 'h' || c == 'H' || c == 'w' || c == 'W') {
			bool url =
			        (i == 0 || !ts_is_alpha(t[i - 1])) &&
			        (starts_ci(t, len, i, "http://") ||
			         starts_ci(t, len, i, "https://") || starts_ci(t, len, i, "www."));
			if (url) {
				size_t e = i;
				while (e < len && url_char(t[e]))
					e++;
				while (e > i && strchr(".,;:!?", t[e - 1]))
					e--;
				uint64_t h = TS_SEED ^ 0x55;
				for (size_t k = i; k < e; k++) {
					char l = ts_lower(t[k]);
					h = ts_hash(h, &l, 1);
				}
				tok->kind = TS_URL;
				tok->start = i;
				tok->end = e;
				tok->hash = h;
				*pos = e;
				return true;
			}
		}
		if (c == '[' && i + 2 < len && ts_is_digit(t[i + 1])) {
			size_t e = i + 1;
			while (e < len && ts_is_digit(t[e]) && e - i < 6)
				e++;
			if (e < len && t[e] == ']') {
				uint64_t h = ts_hash(TS_SEED ^ 0x5b, t + i + 1, e - i - 1);
				tok->kind = TS_CITE;
				tok->start = i;
				tok->end = e + 1;
				tok->hash = h;
				*pos = e + 1;
				return true;
			}
		}
		if (ts_is_digit(c)) {
			uint64_t h = TS_SEED ^ 0x23;
			size_t e = i;
			while (e < len) {
				char d = t[e];
				if (ts_is_digit(d)) {
					h = ts_hash(h, &d, 1);
				} else if ((d == '.' || d == ',') && e + 1 < len &&
				           ts_is_digit(t[e + 1])) {
					if (d == '.')
						h = ts_hash(h, &d, 1);
				} else {
					break;
				}
				e++;
			}
			tok->kind = TS_NUMBER;
			tok->start = i;
			tok->end = e;
			tok->hash = h;
			*pos = e;
			return true;
		}
		if ((unsigned char)c >= 0x80 && ts_symbol_len(t, len, i)) {
			i += ts_symbol_len(t, len, i);
			continue;
		}
		if (ts_is_alpha(c)) {
			uint64_t h = TS_SEED;
			size_t e = i;
			while (e < len && (ts_is_alpha(t[e]) || ts_is_digit(t[e])) &&
			       !((unsigned char)t[e] >= 0x80 && ts_symbol_len(t, len, e))) {
				char l = ts_lower(t[e]);
				h ^= (unsigned char)l;
				h *= 0x100000001b3ull;
				e++;
			}
			tok->kind = TS_WORD;
			tok->start = i;
			tok->end = e;
			tok->hash = h ? h : 1;
			*pos = e;
			return true;
		}
		i++;
	}
	*pos = len;
	return false;
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
