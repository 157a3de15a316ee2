/*
 * textscan.h: the pieces the semantic scanners share: 64-bit hashing, a
 * reusable open-addressing set of hashes, the normalising tokenizer that
 * the hallucination screen applies to responses and contexts alike, and a
 * byte search.
 *
 * Normalised tokens: a word is a run of letters, digits and UTF-8 bytes that
 * starts with a letter, lower-cased (ASCII); a number starts with a digit and
 * keeps internal '.' and ',' before a digit, with ',' dropped ("1,000" and
 * "1000" are the same token, "15mg" is "15" then "mg"); a URL (http://,
 * https://, www.) is one token without trailing punctuation; "[12]" is a
 * citation token distinct from the number 12. Everything else separates.
 */
#ifndef VIGIL_CORE_TEXTSCAN_H
#define VIGIL_CORE_TEXTSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_SEED 0xcbf29ce484222325ull

/* FNV-1a over n bytes, continuing from h (start with TS_SEED). Never 0. */
uint64_t ts_hash(uint64_t h, const void *p, size_t n);

/*
 * Word hashes, built a byte at a time while scanning: a cheap step (a shift
 * and an add, no multiply in the chain) and one finishing mix per word.
 * Every word hash in vigil (tokens, embedding words, the coherence lists)
 * is ts_word_final() over ts_word_step() of its lower-cased bytes.
 */
#define TS_WORD_SEED 5381u
static inline uint64_t ts_word_step(uint64_t h, unsigned char c)
{
	return (h << 5) + h + c;
}

static inline uint64_t ts_word_final(uint64_t h)
{
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return h ? h : 1;
}

/* The word hash of w[0..n) (lower-cased ASCII), as the tokenizer computes it. */
uint64_t ts_word_hash(const char *w, size_t n);

/* Combine two hashes into one (order matters). Never 0. */
static inline uint64_t ts_mix(uint64_t a, uint64_t b)
{
	uint64_t h =
	        (a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2))) * 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

/* Byte classes (a constant table; see textscan.c). */
enum {
	TS_C_ALPHA = 1, /* a letter, or any byte of a multi-byte UTF-8 sequence */
	TS_C_DIGIT = 2,
	TS_C_UPPER = 4, /* A-Z */
	TS_C_HIGH = 8,  /* >= 0x80 */
	TS_C_OPEN = 16, /* '[' (a citation marker may start) */
};
extern const uint8_t ts_cls[256];
extern const unsigned char ts_lower_tab[256]; /* ASCII lower case */

static inline char ts_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static inline bool ts_is_alpha(char c)
{
	return ts_cls[(unsigned char)c] & TS_C_ALPHA;
}

static inline bool ts_is_digit(char c)
{
	return ts_cls[(unsigned char)c] & TS_C_DIGIT;
}

/*
 * The length of a UTF-8 punctuation or symbol sequence at t[i] (Latin-1
 * symbols such as the non-breaking space, section and pound signs; general
 * punctuation such as dashes, curly quotes and ellipses; currency signs), or
 * 0. These separate words like ASCII punctuation does.
 */
static inline size_t ts_symbol_len(const char *t, size_t len, size_t i)
{
	unsigned char c = (unsigned char)t[i];
	if (c == 0xC2 && i + 1 < len) {
		unsigned char d = (unsigned char)t[i + 1];
		return d >= 0xA0 && d <= 0xBF && d != 0xAA && d != 0xB5 && d != 0xBA ? 2 : 0;
	}
	if (c == 0xE2 && i + 2 < len) {
		unsigned char d = (unsigned char)t[i + 1];
		return d == 0x80 || d == 0x81 || d == 0x82 ? 3 : 0;
	}
	return 0;
}

/* A set of non-zero 64-bit hashes. Zero-initialise, or ts_set_init(). */
struct ts_set {
	uint64_t *slots;
	size_t cap;   /* slots in use, a power of two */
	size_t alloc; /* slots allocated (kept across resets) */
	size_t n;
	bool oom; /* an add failed for want of memory since the last reset */
};

void ts_set_init(struct ts_set *s);
void ts_set_done(struct ts_set *s);

/* Empty the set and size it for about `expected` members (it grows past
 * that as needed): only that much is cleared, whatever an earlier, larger
 * use left allocated. 0 or VG_ENOMEM. */
int ts_set_reset(struct ts_set *s, size_t expected);

/* Double the table (for ts_set_add); false, with s->oom set, when out of
 * memory (the set stays as it was). */
bool ts__set_grow(struct ts_set *s);

/* Add h; true when it was not there yet. The set doubles when three
 * quarters full; when that fails for want of memory, h is dropped, false is
 * returned and s->oom is set. Inline: the scanners add a few per word. */
static inline bool ts_set_add(struct ts_set *s, uint64_t h)
{
	if ((!s->cap || s->n * 4 >= s->cap * 3) && !ts__set_grow(s))
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

static inline bool ts_set_has(const struct ts_set *s, uint64_t h)
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

/* One normalised token. */
enum ts_kind { TS_WORD, TS_NUMBER, TS_URL, TS_CITE };
struct ts_token {
	enum ts_kind kind;
	size_t start, end; /* the raw span in the text */
	uint64_t hash;     /* of the normalised form */
};

/* The next token at or after *pos; false at the end. Advances *pos. */
bool ts_next(const char *t, size_t len, size_t *pos, struct ts_token *tok);

/* At most cap tokens at or after *pos, as that many ts_next() calls would
 * cut them (fewer only at the end); returns how many. Advances *pos. */
size_t ts_tokenize(const char *t, size_t len, size_t *pos, struct ts_token *tok, size_t cap);

/* Where needle occurs in hay, or (size_t)-1. */
size_t ts_find(const char *hay, size_t hlen, const char *needle, size_t nlen);

/* Case-insensitive (ASCII) version of ts_find. */
size_t ts_find_ci(const char *hay, size_t hlen, const char *needle, size_t nlen);

#endif
