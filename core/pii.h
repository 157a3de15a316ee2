/*
 * pii.h: personal data and secrets in an answer that the context did not
 * contain (the model leaked them from elsewhere: training data, another
 * user's conversation, a system prompt):
 *   - e-mail addresses;
 *   - phone numbers: '+' and 8-15 digits, or 10-11 digits in at least three
 *     groups ("(555) 123-4567", "555.123.4567"); bare digit runs are IDs;
 *   - payment card numbers: 13-19 digits in one run or in groups split by
 *     spaces or dashes, with a card network's leading digit (2-6), that pass
 *     the Luhn check;
 *   - key-shaped secrets: "sk-" and 20 or more key characters (OpenAI,
 *     Anthropic), "AKIA" and 16 upper-case letters or digits (AWS).
 * Phones and cards are compared with the context by their digits, so a
 * different layout of the same number is not a leak. What leaves this
 * module is the kind and a masked sample, never the value.
 */
#ifndef VIGIL_CORE_PII_H
#define VIGIL_CORE_PII_H

#include "core/textscan.h"

#include <stddef.h>

enum pii_kind { PII_EMAIL, PII_PHONE, PII_CARD, PII_SECRET, PII__COUNT };

/* "email", "phone", "card", "secret". */
const char *pii_kind_name(enum pii_kind k);

struct pii_scratch {
	char *digits; /* the context's number runs, digits only, '|'-separated */
	size_t cap, len;
};

void pii_scratch_init(struct pii_scratch *s);
void pii_scratch_done(struct pii_scratch *s);

struct pii_result {
	int found[PII__COUNT];  /* in the answer */
	int leaked[PII__COUNT]; /* of those, absent from the context */
	int leaks;              /* the sum of leaked[] */
	char kind[16];          /* kind of the first leak, "" when none */
	char sample[32];        /* the first leak, masked */
};

/*
 * Scan answer[0..alen) and compare with context[0..clen) (context may be
 * NULL: then everything found is a leak). Returns 0 or VG_ENOMEM (then *r
 * is zeroed).
 */
int pii_scan(const char *answer, size_t alen, const char *context, size_t clen,
             struct pii_scratch *s, struct pii_result *r);

/* The same with the answer's tokens already cut by ts_next() (all of them,
 * in order): number runs are looked for only where numbers are. */
int pii_scan_tokens(const char *answer, size_t alen, const struct ts_token *tok, size_t n,
                    const char *context, size_t clen, struct pii_scratch *s, struct pii_result *r);

/* True when the digits d[0..n) pass the Luhn check. */
int pii_luhn(const char *d, size_t n);

#endif
