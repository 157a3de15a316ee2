/*
 * coherence.h: cheap signs that an answer has lost the thread: repetition
 * (the share of word trigrams that occurred earlier in the same answer) and
 * contradiction (self-correction phrases like "I was wrong" or "scratch
 * that", and a statement made and then negated: "the bridge is open" ...
 * "the bridge is not open").
 *
 * struct coherence_cfg holds the hashed phrase lists; build it once with
 * coherence_cfg_init() and share it read-only (threads included).
 */
#ifndef VIGIL_CORE_COHERENCE_H
#define VIGIL_CORE_COHERENCE_H

#include "core/textscan.h"

#include <stddef.h>
#include <stdint.h>

#define COH_MAX_PHRASES  24
#define COH_PHRASE_WORDS 5
#define COH_MAX_WORDS    48

struct coherence_cfg {
	uint64_t phrase[COH_MAX_PHRASES][COH_PHRASE_WORDS]; /* word hashes, 0-terminated */
	const char *phrase_text[COH_MAX_PHRASES];
	size_t n_phrases;
	/* first word -> the phrases it starts (bit k: phrase k), open addressing */
	uint64_t first_word[64];
	uint32_t first_phrases[64];
	uint64_t copula[16];
	size_t n_copula;
	uint64_t negation[4];
	size_t n_negation;
	uint64_t stop[COH_MAX_WORDS];
	size_t n_stop;
	/* one bit per list member (top 8 bits of its hash): a cheap "surely not" */
	uint64_t phrase_mask[4], copula_mask[4], negation_mask[4], stop_mask[4];
};

void coherence_cfg_init(struct coherence_cfg *c);

/* Working memory for one caller; reusable. Zero-initialise or _init(). */
struct coherence_scratch {
	uint64_t *words;
	size_t cap;
	struct ts_set tri, pos, neg;
};

void coherence_scratch_init(struct coherence_scratch *s);
void coherence_scratch_done(struct coherence_scratch *s);

struct coherence_result {
	size_t trigrams;     /* word trigrams in the text */
	double repeat_ratio; /* repeated trigrams / trigrams; NaN under min_trigrams */
	int contradictions;  /* phrases found + statements negated later */
	char marker[48];     /* the first one found ("i was wrong", "is/is not open") */
};

/*
 * Scan text[0..len). min_trigrams: fewer trigrams than this leave the ratio
 * NaN (too short to judge). Returns 0 or VG_ENOMEM (then *r is zeroed, with
 * the ratio NaN).
 */
int coherence_scan(const struct coherence_cfg *cfg, const char *text, size_t len,
                   size_t min_trigrams, struct coherence_scratch *s, struct coherence_result *r);

/*
 * The same on token hashes already computed (embed_tokens() passes them on,
 * or ts_next() token hashes): words[0..n).
 */
int coherence_scan_words(const struct coherence_cfg *cfg, const uint64_t *words, size_t n,
                         size_t min_trigrams, struct coherence_scratch *s,
                         struct coherence_result *r);

#endif
