/*
 * price.h: what a model costs. The one rule for both halves of pricing,
 * shared by every part that prices a request: the pipeline's expected cost
 * (core/pipeline, cost efficiency) and the canary's spend (probes/canary,
 * the daily probe budget).
 *
 *  - Lookup. A configured model name prices an observed model when it is
 *    the same name or the same name plus a version suffix ("gpt-4o" prices
 *    "gpt-4o-2024-08-06", not "gpt-4o-mini"); of several, the longest name
 *    wins, and of equally long ones the first.
 *  - Cost. input tokens x the input price + output tokens x the output
 *    price, prices in USD per 1k tokens. A price <= 0 is unknown. Without a
 *    known input price or a known, non-negative input count the cost is
 *    unknown (VG_NONE_D); an unknown output count or price adds nothing.
 *
 * Pure: no state, no allocation.
 */
#ifndef VIGIL_CORE_PRICE_H
#define VIGIL_CORE_PRICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether configured model name `configured` names the observed `model`:
 * exactly, or followed by '-' and a digit. An empty configured name names
 * nothing. */
bool price_model_matches(const char *configured, const char *model);

/*
 * The entry that prices `model` in a table of n entries of `size` bytes
 * each, whose configured name (a NUL-terminated char array) lies
 * `name_offset` bytes into every entry (the bsearch(3) idiom, so that every
 * table of configured models shares this rule): the longest matching name,
 * the first of equals. Returns a pointer into the table, or NULL when no
 * name matches (or n is 0).
 */
const void *price_find(const char *model, const void *table, size_t n, size_t size,
                       size_t name_offset);

/*
 * The cost in USD of in_tokens input and out_tokens output tokens (VG_NONE
 * when unknown) at the given prices (USD per 1k tokens; <= 0 unknown), by
 * the rule above: VG_NONE_D when the input price or the input count is
 * unknown or the count negative.
 */
double price_cost(double in_per_1k, double out_per_1k, int64_t in_tokens, int64_t out_tokens);

#endif
