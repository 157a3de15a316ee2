/*
 * strmap.h: a map from byte-string keys to owned values, for the per-key
 * state of the semantic checks (a centroid per provider/model/template, a
 * window per key alias, ...). Open addressing, grows by doubling up to a
 * fixed number of keys; past that, new keys are refused (the caller treats
 * them as not measured) so that hostile key churn cannot eat memory.
 *
 * Ownership: the map copies keys; values are heap pointers the map owns and
 * releases with the free function given at creation (NULL: free()).
 */
#ifndef VIGIL_CORE_STRMAP_H
#define VIGIL_CORE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap;

typedef void (*strmap_free_fn)(void *value);

/* A map for at most max_keys keys (>= 1). NULL when out of memory. */
struct strmap *strmap_new(size_t max_keys, strmap_free_fn free_value);

/* Free the map, its keys and its values; NULL does nothing. */
void strmap_free(struct strmap *m);

/* The map's hash of key[0..len): eight bytes a step, never 0. Also for
 * other tables of short names. */
uint64_t strmap_hash(const char *key, size_t len);

/* The value under key[0..len), or NULL. */
void *strmap_get(const struct strmap *m, const char *key, size_t len);

/*
 * Store value under key[0..len) (the key must not be present yet). The map
 * takes ownership of value on success only. Returns 0, VG_EFULL (max_keys
 * reached) or VG_ENOMEM.
 */
int strmap_put(struct strmap *m, const char *key, size_t len, void *value);

/* Number of keys. */
size_t strmap_count(const struct strmap *m);

#endif
