/*
 * dedupe.h: a bounded "seen recently" set of (request_id, attempt) pairs, so
 * that the pipeline counts a repeated pair once (a gateway that logs a line
 * twice, a copy left by copytruncate read again). It remembers the last
 * `capacity` distinct pairs by a 64-bit hash; older ones are forgotten. The
 * database is the authority on exactly-once (observations are unique on the
 * pair); this only keeps the live verdicts from counting twice.
 *
 * Loop thread only. dedupe_new/dedupe_free own the memory.
 */
#ifndef VIGIL_DATA_DEDUPE_H
#define VIGIL_DATA_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dedupe;

/* A set remembering up to `capacity` pairs (rounded up to a power of two);
 * NULL when out of memory. */
struct dedupe *dedupe_new(size_t capacity);
void dedupe_free(struct dedupe *d);

/* The 64-bit key of a pair (FNV-1a of the id, mixed with the attempt). */
uint64_t dedupe_key(const char *request_id, int32_t attempt);

/* True when the key was seen within the window; otherwise remembers it
 * (forgetting the oldest when full) and returns false. */
bool dedupe_seen(struct dedupe *d, uint64_t key);

#endif
