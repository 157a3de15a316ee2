/*
 * embed.h: a local, deterministic text embedding for the similarity check
 * when the gateway sends none, so that similarity works without a model.
 *
 * Feature hashing (the "hashing trick"): every token (core/textscan: word,
 * number, URL, citation), every pair of adjacent tokens within a sentence
 * and every character trigram of a word or number (padded with a space at
 * each end) is hashed to one of `dims` buckets with a sign taken
 * from the same hash; the vector is then L2-normalised. Two answers in the
 * same style about the same things share most features and land close
 * together; a change of topic, language or format moves the vector. The
 * same text always gives the same vector, on every machine.
 */
#ifndef VIGIL_CORE_EMBED_H
#define VIGIL_CORE_EMBED_H

#include "core/textscan.h"

#include <stddef.h>
#include <stdint.h>

#define EMBED_MAX_DIMS 4096

/*
 * Embed text[0..len) into out[0..dims) (dims in 8..EMBED_MAX_DIMS), L2-
 * normalised. Returns the number of features hashed: 0 means the text has no
 * words (or memory ran out) and out is all zero (treat as not measured).
 */
size_t embed_text(const char *text, size_t len, float *out, size_t dims);

/*
 * The same from the text's tokens already cut by ts_next() (all of them, in
 * order), so one tokenizer pass serves several checks. Also writes each
 * token's hash to words[0..n) when words is not NULL (the coherence check
 * reads them).
 */
size_t embed_tokens(const char *text, const struct ts_token *tok, size_t n, float *out, size_t dims,
                    uint64_t *words);

/* The dot product of a and b. */
double embed_dot(const float *a, const float *b, size_t n);

/* Scale a to unit length; returns its former length (0: left unchanged). */
double embed_normalise(float *a, size_t n);

/* Cosine similarity of a and b (0 when either is all zero). */
double embed_cosine(const float *a, const float *b, size_t n);

#endif
