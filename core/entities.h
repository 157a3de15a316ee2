/*
 * entities.h: the hallucination screen. It finds the checkable things an
 * answer asserts and looks for each in the retrieved context:
 *   - capitalised multi-word names ("Acme Robotics", "Bank of America"),
 *     not counting the capital that starts a sentence;
 *   - numbers with a unit or currency ("42 mg", "17%", "$3.2 million");
 *   - dates ("2024-03-15", "March 3, 2024", "3 March 2024", "June 2023");
 *   - URLs;
 *   - citation markers ("[3]", "Section 12.4", "Table 2", "§ 4").
 * An entity is supported when its normalised tokens occur in the context in
 * the same order (every adjacent pair does; a single token occurs at all),
 * case-insensitively. Pure, no state between calls but the scratch memory,
 * and no allocation: the context is scanned once for the lookups of all the
 * answer's entities, and no further than until every one is found.
 */
#ifndef VIGIL_CORE_ENTITIES_H
#define VIGIL_CORE_ENTITIES_H

#include "core/textscan.h"

#include <stddef.h>

#define ENTITIES_MAX 64 /* distinct entities considered per answer */

/* The word lists (units, months, citation words, name connectors) as word
 * hashes; entities_scratch_init() fills them. */
enum { ENT_UNITS, ENT_MONTHS, ENT_CITERS, ENT_CONNECTORS, ENT_LIST__COUNT };
#define ENT_LIST_MAX   96
#define ENT_LIST_SLOTS 256 /* a power of two, at least 2 * ENT_LIST_MAX */
struct entities_lists {
	uint64_t h[ENT_LIST__COUNT][ENT_LIST_MAX];
	size_t n[ENT_LIST__COUNT];
	uint64_t mask[ENT_LIST__COUNT]; /* one bit per member: a cheap "surely not" */
	uint64_t slot[ENT_LIST__COUNT][ENT_LIST_SLOTS]; /* the members, open addressing */
};

void entities_lists_init(struct entities_lists *l);

#define ENTITIES_QUERIES (ENTITIES_MAX * 15) /* context lookups per answer, at most */
#define ENTITIES_QTAB    2048                /* a power of two, at least 2 * ENTITIES_QUERIES */

struct entities_scratch {
	uint64_t seen[ENTITIES_MAX];
	struct entities_lists lists;
	/* The entities of the answer, then what the context must hold for each:
	 * its token (one-token entities) or its adjacent token pairs. */
	struct {
		size_t s, e;  /* the span in the answer */
		size_t q, nq; /* its lookups in q[] */
	} ent[ENTITIES_MAX];
	uint64_t q[ENTITIES_QUERIES];
	uint64_t qtab[ENTITIES_QTAB]; /* the distinct lookups (open addressing, 0 = free) */
	uint8_t qhit[ENTITIES_QTAB];  /* ... found in the context */
	uint64_t qbits[64];           /* a bit per lookup's top 12 hash bits: "surely not" */
	struct ts_token tok[128];     /* the context, a slice at a time */
};

void entities_scratch_init(struct entities_scratch *s);
void entities_scratch_done(struct entities_scratch *s);

struct entities_result {
	int found;       /* distinct entities in the answer */
	int unsupported; /* of those, not in the context */
	char sample[96]; /* the first few unsupported ones, "; "-separated */
};

/*
 * Screen answer[0..alen) against context[0..clen). Returns 0, or VG_ENOMEM
 * (then *r is zeroed).
 */
int entities_screen(const char *answer, size_t alen, const char *context, size_t clen,
                    struct entities_scratch *s, struct entities_result *r);

/* The same on the answer's tokens already cut by ts_next() (all of them, in
 * order): what semantic_text_run() uses, sharing one tokenizer pass. */
int entities_screen_tokens(const char *answer, size_t alen, const struct ts_token *tok, size_t n,
                           const char *context, size_t clen, struct entities_scratch *s,
                           struct entities_result *r);

/* Only extract: calls fn(start, end, data) for each entity span, in order.
 * For tests and tools; returns the number of spans, or VG_ENOMEM. */
int entities_extract(const char *answer, size_t alen,
                     void (*fn)(size_t start, size_t end, void *data), void *data);
int entities_extract_tokens(const char *answer, size_t alen, const struct ts_token *tok, size_t n,
                            void (*fn)(size_t start, size_t end, void *data), void *data);

#endif
