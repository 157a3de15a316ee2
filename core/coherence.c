/*
 * coherence.c: one tokenizer pass collects word hashes; repetition and the
 * negation test then work on hashes only (see coherence.h).
 */
#include "core/coherence.h"

#include "core/model.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phrases[] = {
	"i was wrong",
	"that is incorrect",
	"that was incorrect",
	"this is incorrect",
	"contrary to what i said",
	"contrary to my previous",
	"i contradicted myself",
	"wait no",
	"actually no",
	"scratch that",
	"disregard my previous",
	"disregard what i said",
	"the opposite is true",
	"let me correct myself",
	"i misspoke",
	"ignore my previous answer",
	NULL,
};

static const char *const copulas[] = { "is", "are",    "was", "were", "will", "can", "does",
	                               "do", "should", "has", "have", "did",  NULL };
static const char *const negations[] = { "not", "never", NULL };
static const char *const stops[] = { "a",    "an",   "the",  "to",     "be",     "been", "in",
	                             "on",   "at",   "of",   "for",    "it",     "this", "that",
	                             "also", "only", "just", "very",   "so",     "as",   "by",
	                             "with", "and",  "or",   "but",    "i",      "we",   "you",
	                             "they", "he",   "she",  "there",  "here",   "all",  "any",
	                             "some", "more", "less", "always", "really", NULL };

static uint64_t word_hash(const char *w, size_t n)
{
	return ts_word_hash(w, n);
}

static size_t fill(const char *const *list, uint64_t *out, size_t max)
{
	size_t n = 0;
	for (; list[n] && n < max; n++)
		out[n] = word_hash(list[n], strlen(list[n]));
	return n;
}

static void mask_set(uint64_t m[4], uint64_t h)
{
	m[h >> 62] |= 1ull << ((h >> 56) & 63);
}

static bool mask_has(const uint64_t m[4], uint64_t h)
{
	return (m[h >> 62] >> ((h >> 56) & 63)) & 1;
}

_Static_assert(COH_MAX_PHRASES <= 32, "phrase sets are 32-bit masks");

static size_t first_slot(uint64_t h)
{
	return (size_t)(h ^ (h >> 29)) & 63;
}

/* The phrases that start with word h (bit k: phrase k). */
static uint32_t phrases_from(const struct coherence_cfg *c, uint64_t h)
{
	for (size_t j = first_slot(h); c->first_word[j]; j = (j + 1) & 63) {
		if (c->first_word[j] == h)
			return c->first_phrases[j];
	}
	return 0;
}

void coherence_cfg_init(struct coherence_cfg *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; phrases[i] && i < COH_MAX_PHRASES; i++) {
		const char *p = phrases[i];
		size_t w = 0;
		while (*p && w < COH_PHRASE_WORDS - 1) {
			const char *e = strchr(p, ' ');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			c->phrase[i][w++] = word_hash(p, n);
			p += n;
			while (*p == ' ')
				p++;
		}
		c->phrase_text[i] = phrases[i];
		c->n_phrases = i + 1;
	}
	c->n_copula = fill(copulas, c->copula, 16);
	c->n_negation = fill(negations, c->negation, 4);
	c->n_stop = fill(stops, c->stop, COH_MAX_WORDS);
	for (size_t i = 0; i < c->n_phrases; i++) {
		uint64_t h = c->phrase[i][0];
		mask_set(c->phrase_mask, h);
		size_t j = first_slot(h);
		while (c->first_word[j] && c->first_word[j] != h)
			j = (j + 1) & 63;
		c->first_word[j] = h;
		c->first_phrases[j] |= 1u << i;
	}
	for (size_t i = 0; i < c->n_copula; i++)
		mask_set(c->copula_mask, c->copula[i]);
	for (size_t i = 0; i < c->n_negation; i++)
		mask_set(c->negation_mask, c->negation[i]);
	for (size_t i = 0; i < c->n_stop; i++)
		mask_set(c->stop_mask, c->stop[i]);
}

void coherence_scratch_init(struct coherence_scratch *s)
{
	memset(s, 0, sizeof(*s));
}

void coherence_scratch_done(struct coherence_scratch *s)
{
	free(s->words);
	ts_set_done(&s->tri);
	ts_set_done(&s->pos);
	ts_set_done(&s->neg);
	memset(s, 0, sizeof(*s));
}

/* A key for three word hashes (already well mixed): rotations and xor. */
static inline uint64_t key3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t k = a ^ ((b << 21) | (b >> 43)) ^ ((c << 42) | (c >> 22));
	return k ? k : 1;
}

static bool in(const uint64_t *list, size_t n, const uint64_t *mask, uint64_t h)
{
	if (!mask_has(mask, h))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (list[i] == h)
			return true;
	}
	return false;
}

static void note(struct coherence_result *r, const char *what)
{
	if (!r->contradictions)
		snprintf(r->marker, sizeof(r->marker), "%s", what);
	r->contradictions++;
}

int coherence_scan(const struct coherence_cfg *cfg, const char *text, size_t len,
                   size_t min_trigrams, struct coherence_scratch *s, struct coherence_result *r)
{
	/* Tokens are at least one byte plus a separator. */
	size_t need = len / 2 + 2;
	if (need > s->cap) {
		uint64_t *w = realloc(s->words, need * sizeof(*w));
		if (!w) {
			memset(r, 0, sizeof(*r));
			r->repeat_ratio = VG_NONE_D;
			return VG_ENOMEM;
		}
		s->words = w;
		s->cap = need;
	}
	size_t n = 0, pos = 0;
	struct ts_token tok;
	while (n < s->cap && ts_next(text, len, &pos, &tok))
		s->words[n++] = tok.hash;
	return coherence_scan_words(cfg, s->words, n, min_trigrams, s, r);
}

int coherence_scan_words(const struct coherence_cfg *cfg, const uint64_t *w, size_t n,
                         size_t min_trigrams, struct coherence_scratch *s,
                         struct coherence_result *r)
{
	memset(r, 0, sizeof(*r));
	r->repeat_ratio = VG_NONE_D;
	if (ts_set_reset(&s->tri, n) || ts_set_reset(&s->pos, n / 4 + 8) ||
	    ts_set_reset(&s->neg, n / 8 + 8))
		return VG_ENOMEM;
	size_t repeated = 0;
	for (size_t i = 0; i + 2 < n; i++) {
		r->trigrams++;
		if (!ts_set_add(&s->tri, key3(w[i], w[i + 1], w[i + 2])))
			repeated++;
	}
	if (s->tri.oom) {
		r->trigrams = 0;
		return VG_ENOMEM;
	}
	if (r->trigrams >= min_trigrams && r->trigrams > 0)
		r->repeat_ratio = (double)repeated / (double)r->trigrams;
	for (size_t i = 0; i < n; i++) {
		uint32_t starts = mask_has(cfg->phrase_mask, w[i]) ? phrases_from(cfg, w[i]) : 0;
		if (starts) {
			/* in list order, as the first match wins */
			for (uint32_t set = starts; set; set &= set - 1) {
				size_t k = (size_t)__builtin_ctz(set);
				const uint64_t *ph = cfg->phrase[k];
				size_t j = 0;
				while (j < COH_PHRASE_WORDS && ph[j] && i + j < n &&
				       w[i + j] == ph[j])
					j++;
				if (j < COH_PHRASE_WORDS && !ph[j]) {
					note(r, cfg->phrase_text[k]);
					break;
				}
			}
		}
		if (i + 2 >= n || !in(cfg->copula, cfg->n_copula, cfg->copula_mask, w[i + 1]) ||
		    in(cfg->stop, cfg->n_stop, cfg->stop_mask, w[i]))
			continue;
		if (in(cfg->negation, cfg->n_negation, cfg->negation_mask, w[i + 2])) {
			if (i + 3 < n && !in(cfg->stop, cfg->n_stop, cfg->stop_mask, w[i + 3]))
				ts_set_add(&s->neg, key3(w[i], w[i + 1], w[i + 3]));
		} else if (!in(cfg->stop, cfg->n_stop, cfg->stop_mask, w[i + 2])) {
			ts_set_add(&s->pos, key3(w[i], w[i + 1], w[i + 2]));
		}
	}
	for (size_t i = 0; i < s->neg.cap && s->neg.n; i++) {
		if (s->neg.slots[i] && ts_set_has(&s->pos, s->neg.slots[i]))
			note(r, "a statement negated later");
	}
	return 0;
}
