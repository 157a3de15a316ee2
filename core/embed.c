/*
 * embed.c: hashed word, word-pair and character-trigram features (see
 * embed.h), in one pass over the text. A character trigram is the three
 * bytes packed into an integer and multiplied by an odd constant: no loop
 * per feature, so a 2 KB answer costs a few microseconds.
 */
#include "core/embed.h"

#include "core/textscan.h"

#include <math.h>
#include <string.h>

#define W_WORD 1.0f
#define W_PAIR 1.0f
#define W_TRI  0.5f

static inline void add(float *out, size_t dims, uint64_t h, float w)
{
	size_t b = (size_t)(((h >> 32) * (uint64_t)dims) >> 32);
	out[b] += (h & 1) ? w : -w;
}

static inline uint64_t tri_hash(uint32_t w)
{
	uint64_t h = (uint64_t)w * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

size_t embed_text(const char *text, size_t len, float *out, size_t dims)
{
	if (dims < 8)
		dims = 8;
	if (dims > EMBED_MAX_DIMS)
		dims = EMBED_MAX_DIMS;
	memset(out, 0, dims * sizeof(*out));
	size_t features = 0;
	uint64_t prev = 0;
	size_t i = 0;
	while (i < len) {
		char c = text[i];
		size_t sym = (unsigned char)c >= 0x80 ? ts_symbol_len(text, len, i) : 0;
		if (sym) {
			i += sym;
			continue;
		}
		if (!(ts_is_alpha(c) || ts_is_digit(c))) {
			/* Punctuation between words does not break a pair; a sentence
			 * end does. */
			if (c == '.' || c == '!' || c == '?' || c == '\n')
				prev = 0;
			i++;
			continue;
		}
		uint64_t h = TS_SEED;
		uint32_t win = ' ';
		size_t n = 0;
		while (i < len && (ts_is_alpha(text[i]) || ts_is_digit(text[i])) &&
		       !((unsigned char)text[i] >= 0x80 && ts_symbol_len(text, len, i))) {
			unsigned char l = (unsigned char)ts_lower(text[i]);
			h ^= l;
			h *= 0x100000001b3ull;
			win = ((win << 8) | l) & 0xFFFFFF;
			if (n >= 1)
				add(out, dims, tri_hash(win), W_TRI);
			n++;
			i++;
		}
		win = ((win << 8) | ' ') & 0xFFFFFF;
		add(out, dims, tri_hash(win), W_TRI);
		h = h ? h : 1;
		add(out, dims, h, W_WORD);
		if (prev)
			add(out, dims, ts_mix(prev, h), W_PAIR);
		prev = h;
		features += n + 1;
	}
	if (features)
		embed_normalise(out, dims);
	return features;
}

double embed_dot(const float *a, const float *b, size_t n)
{
	/* Four accumulators: independent chains the compiler can vectorise. */
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (double)s0 + (double)s1 + (double)s2 + (double)s3;
}

double embed_normalise(float *a, size_t n)
{
	double norm = sqrt(embed_dot(a, a, n));
	if (norm > 0) {
		float inv = (float)(1.0 / norm);
		for (size_t i = 0; i < n; i++)
			a[i] *= inv;
	}
	return norm;
}

double embed_cosine(const float *a, const float *b, size_t n)
{
	double na = embed_dot(a, a, n), nb = embed_dot(b, b, n);
	if (na <= 0 || nb <= 0)
		return 0;
	return embed_dot(a, b, n) / sqrt(na * nb);
}
