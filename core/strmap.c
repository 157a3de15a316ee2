/*
 * strmap.c: open addressing with linear probing. Keys are hashed eight bytes
 * a step (the semantic checks look up three keys per observation; a byte-wise
 * FNV-1a cost more than the probe); only slot positions depend on the hash.
 */
#include "core/strmap.h"

#include "core/vgerr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t hash; /* 0 = empty */
	char *key;
	size_t len;
	void *value;
};

struct strmap {
	struct slot *slots;
	size_t cap, n, max;
	strmap_free_fn free_value;
};

struct strmap *strmap_new(size_t max_keys, strmap_free_fn free_value)
{
	struct strmap *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	m->max = max_keys ? max_keys : 1;
	m->free_value = free_value ? free_value : free;
	return m;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].hash) {
			free(m->slots[i].key);
			m->free_value(m->slots[i].value);
		}
	}
	free(m->slots);
	free(m);
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

uint64_t strmap_hash(const char *key, size_t len)
{
	uint64_t h = 0x243f6a8885a308d3ull ^ len, w;
	size_t n = len;
	const char *p = key;
	for (; n > 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = mix(h, w);
	}
	/* The last 1..8 bytes as two overlapping 4-byte reads, or byte by byte. */
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		h = mix(h, a | (uint64_t)b << 32);
	} else if (n > 0) {
		const unsigned char *u = (const unsigned char *)p;
		h = mix(h, u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16);
	}
	return h ? h : 1;
}

static struct slot *find(const struct strmap *m, uint64_t h, const char *key, size_t len)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)(h ^ (h >> 31)) & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];
		if (!s->hash || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

void *strmap_get(const struct strmap *m, const char *key, size_t len)
{
	struct slot *s = find(m, strmap_hash(key, len), key, len);
	return s->hash ? s->value : NULL;
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap * 2;
	struct slot *old = m->slots, *ns = calloc(cap, sizeof(*ns));
	if (!ns)
		return VG_ENOMEM;
	size_t oldcap = m->cap;
	m->slots = ns;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].hash)
			*find(m, old[i].hash, old[i].key, old[i].len) = old[i];
	}
	free(old);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t len, void *value)
{
	if (m->n >= m->max)
		return VG_EFULL;
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m))
		return VG_ENOMEM;
	uint64_t h = strmap_hash(key, len);
	struct slot *s = find(m, h, key, len);
	if (s->hash)
		return VG_EINVAL;
	char *k = malloc(len + 1);
	if (!k)
		return VG_ENOMEM;
	memcpy(k, key, len);
	k[len] = '\0';
	s->hash = h;
	s->key = k;
	s->len = len;
	s->value = value;
	m->n++;
	return 0;
}

size_t strmap_count(const struct strmap *m)
{
	return m->n;
}
