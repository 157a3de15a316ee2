/*
 * embed.c: hashed word, word-pair and character-trigram features (see
 * embed.h), in one pass over the text. A character trigram is the three
 * bytes packed into an integer and multiplied by an odd constant: no loop
 * per feature, so a 2 KB answer costs a few microseconds.
 */
#include "core/embed.h"

#include "core/textscan.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Weights in half units, summed as integers: every feature adds +-1 (a word
 * or a pair) or +-0.5 (a trigram), so each bucket's float sum is a multiple
 * of 0.5 far below 2^23, exact in any order: the integer sum times 0.5 is
 * bit for bit what float additions would give, at the cost of an integer
 * add. (A float add is four cycles of latency on the bucket's chain.)
 */
#define W_WORD 2
#define W_PAIR 2
#define W_TRI  1

static inline void add(int32_t *acc, size_t dims, uint64_t h, int32_t w)
{
	/* Branch-free sign: a branch on a random bit mispredicts half the time. */
	size_t b = (size_t)(((h >> 32) * (uint64_t)dims) >> 32);
	acc[b] += w * ((int32_t)((h & 1) << 1) - 1);
}

/* A character trigram (three bytes in an int): one multiply gives the
 * bucket (high bits) and the sign (a middle bit). */
static inline void add_tri(int32_t *acc, size_t dims, uint32_t win)
{
	uint32_t m = win * 0x9e3779b1u;
	size_t b = (size_t)(((uint64_t)m * dims) >> 32);
	acc[b] += W_TRI * ((int32_t)((m >> 12) & 2) - 1);
}

/* The bytes that end a sentence between two tokens. */
static const bool sentence_end[256] = { ['.'] = true, ['!'] = true, ['?'] = true, ['\n'] = true };

size_t embed_tokens(const char *text, const struct ts_token *tok, size_t n, float *out, size_t dims,
                    uint64_t *words)
{
	if (dims < 8)
		dims = 8;
	if (dims > EMBED_MAX_DIMS)
		dims = EMBED_MAX_DIMS;
	int32_t acc[EMBED_MAX_DIMS];
	memset(acc, 0, dims * sizeof(*acc));
	const unsigned char *u = (const unsigned char *)text;
	size_t features = 0;
	uint64_t prev = 0;
	size_t last_end = 0;
	for (size_t k = 0; k < n; k++) {
		const struct ts_token *t = &tok[k];
		/* A sentence end between two tokens breaks the pair. */
		for (size_t g = last_end; g < t->start; g++) {
			if (sentence_end[u[g]]) {
				prev = 0;
				break;
			}
		}
		last_end = t->end;
		uint64_t h = t->hash;
		if (words)
			words[k] = h;
		add(acc, dims, h, W_WORD);
		if (prev)
			add(acc, dims, ts_mix(prev, h), W_PAIR);
		prev = h;
		features++;
		if (t->kind != TS_WORD && t->kind != TS_NUMBER)
			continue;
		/* Words and numbers have a byte at least: the first trigram is
		 * " c0c1", the last "cLc ". */
		uint32_t win = ((uint32_t)' ' << 8) | ts_lower_tab[u[t->start]];
		for (size_t b = t->start + 1; b < t->end; b++) {
			win = ((win << 8) | ts_lower_tab[u[b]]) & 0xFFFFFF;
			add_tri(acc, dims, win);
		}
		win = ((win << 8) | ' ') & 0xFFFFFF;
		add_tri(acc, dims, win);
		features += t->end - t->start;
	}
	for (size_t i = 0; i < dims; i++)
		out[i] = (float)acc[i] * 0.5f;
	if (features)
		embed_normalise(out, dims);
	return features;
}

size_t embed_text(const char *text, size_t len, float *out, size_t dims)
{
	size_t cap = len / 2 + 2, n = 0, pos = 0;
	struct ts_token *tok = malloc(cap * sizeof(*tok));
	if (!tok) {
		memset(out, 0,
		       (dims < 8                ? 8
		        : dims > EMBED_MAX_DIMS ? EMBED_MAX_DIMS
		                                : dims) *
		               sizeof(*out));
		return 0;
	}
	while (n < cap && ts_next(text, len, &pos, &tok[n]))
		n++;
	size_t f = embed_tokens(text, tok, n, out, dims, NULL);
	free(tok);
	return f;
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
