/*
 * redact.c: the secrets of a set (plain substring search) and the key
 * shapes (one pass that looks at the few bytes that can start a shape).
 * See redact.h.
 */
#include "core/redact.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct secret {
	char *text;
	size_t len;
};

struct redact {
	struct secret *v;
	size_t n, cap;
	size_t min_len; /* the shortest secret held (0: none) */
};

/* The shortest text a key shape can be ("sk-" or "Bearer " and its body):
 * anything shorter needs no look at all (most names and codes). */
#define SHAPE_MIN_LEN 23

struct redact *redact_new(void)
{
	return calloc(1, sizeof(struct redact));
}

void redact_free(struct redact *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].text);
	free(r->v);
	free(r);
}

int redact_add(struct redact *r, const char *secret)
{
	if (!r || !secret)
		return VG_EINVAL;
	size_t len = strlen(secret);
	if (len < REDACT_MIN_SECRET)
		return VG_EINVAL;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].len == len && memcmp(r->v[i].text, secret, len) == 0)
			return 0; /* already there */
	if (vg_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v), 4) != 0)
		return VG_ENOMEM;
	char *copy = malloc(len + 1);
	if (!copy)
		return VG_ENOMEM;
	memcpy(copy, secret, len + 1);
	r->v[r->n++] = (struct secret){ copy, len };
	if (r->min_len == 0 || len < r->min_len)
		r->min_len = len;
	return 0;
}

size_t redact_count(const struct redact *r)
{
	return r ? r->n : 0;
}

static bool alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Characters of a key's body: [A-Za-z0-9_-], plus '.' for OAuth tokens and
 * the base64 and token68 ones (RFC 7235) for bearer credentials. */
enum body { BODY_KEY, BODY_DOTTED, BODY_TOKEN };

static bool body_char(unsigned char c, enum body b)
{
	if (alnum(c) || c == '_' || c == '-')
		return true;
	if (b == BODY_DOTTED)
		return c == '.';
	if (b == BODY_TOKEN)
		return c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
	return false;
}

struct shape {
	const char *prefix;
	size_t prefix_len;
	bool any_case; /* "Bearer" is case-insensitive (RFC 7235) */
	enum body body;
	size_t min_body;
};

static const struct shape shapes[] = {
	{ "sk-", 3, false, BODY_KEY, 20 },
	{ "AIza", 4, false, BODY_KEY, 30 },
	{ "ya29.", 5, false, BODY_DOTTED, 20 },
	{ "bearer ", 7, true, BODY_TOKEN, 16 },
};

static bool prefix_at(const char *t, size_t len, size_t i, const struct shape *s)
{
	if (len - i < s->prefix_len)
		return false;
	if (!s->any_case)
		return memcmp(t + i, s->prefix, s->prefix_len) == 0;
	for (size_t k = 0; k < s->prefix_len; k++) {
		unsigned char c = (unsigned char)t[i + k];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)s->prefix[k])
			return false;
	}
	return true;
}

/* The length of a key shape's body starting a word at t[i], or 0. */
static size_t shape_at(const char *t, size_t len, size_t i, size_t *prefix_len)
{
	/* "task-force-..." holds "sk-" inside a word; "r1-AIza..." or
	 * "key=sk-..." start a key after punctuation */
	if (i > 0 && alnum((unsigned char)t[i - 1]))
		return 0;
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		const struct shape *s = &shapes[k];
		if (!prefix_at(t, len, i, s))
			continue;
		size_t j = i + s->prefix_len;
		while (j < len && body_char((unsigned char)t[j], s->body))
			j++;
		size_t body = j - i - s->prefix_len;
		if (body >= s->min_body) {
			*prefix_len = s->prefix_len;
			return body;
		}
	}
	return 0;
}

/* Could a shape start with this byte? One load per byte of text. */
static const bool may_start[256] = {
	['s'] = true, ['A'] = true, ['y'] = true, ['b'] = true, ['B'] = true
};

static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0 || nlen > hlen)
		return NULL;
	const char *end = hay + hlen - nlen;
	for (const char *p = hay; p <= end; p++) {
		p = memchr(p, needle[0], (size_t)(end - p) + 1);
		if (!p)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
	}
	return NULL;
}

static size_t scan(const struct redact *r, char *text, size_t len, bool mask)
{
	size_t hits = 0;
	size_t shortest = r && r->n && r->min_len < SHAPE_MIN_LEN ? r->min_len : SHAPE_MIN_LEN;
	if (len < shortest)
		return 0; /* too short to hold a key of either kind */
	for (size_t s = 0; r && s < r->n; s++) {
		const struct secret *sec = &r->v[s];
		const char *p = text;
		while ((p = find(p, len - (size_t)(p - text), sec->text, sec->len)) != NULL) {
			hits++;
			if (!mask)
				return hits;
			memset((char *)p, '*', sec->len);
			p += sec->len;
		}
	}
	for (size_t i = 0; i < len; i++) {
		if (!may_start[(unsigned char)text[i]])
			continue;
		size_t plen = 0;
		size_t body = shape_at(text, len, i, &plen);
		if (!body)
			continue;
		hits++;
		if (!mask)
			return hits;
		memset(text + i + plen, '*', body);
		i += plen + body - 1;
	}
	return hits;
}

size_t redact_buf(const struct redact *r, char *text, size_t len)
{
	if (!text)
		return 0;
	return scan(r, text, len, true);
}

size_t redact_str(const struct redact *r, char *text)
{
	return text ? redact_buf(r, text, strlen(text)) : 0;
}

bool redact_found(const struct redact *r, const char *text, size_t len)
{
	if (!text)
		return false;
	/* scan() does not write when mask is false */
	return scan(r, (char *)(uintptr_t)text, len, false) > 0;
}
