/*
 * jtok.h: a strict JSON tokenizer for the events-v1 fast path. It turns one
 * JSON text into a flat array of tokens laid out like jsmn's (an object or
 * array token, then its children; a key token whose size is 1, then its
 * value), and unlike jsmn it checks the whole grammar as it goes: separators,
 * number syntax, literals, escapes, raw control characters. Strings are
 * scanned eight bytes at a time, and a string token says whether it holds an
 * escape, so that readers without escapes can point into the text.
 *
 * It does not check UTF-8 (data/decode does, for the whole line first).
 * Nesting is limited only by the text's length (a gateway may log unknown
 * fields of any depth; they are skipped, never refused). Pure and
 * thread-compatible: the caller owns the token array.
 */
#ifndef VIGIL_DATA_JTOK_H
#define VIGIL_DATA_JTOK_H

#include <stddef.h>
#include <stdint.h>

enum jtok_type { JTOK_OBJECT = 1, JTOK_ARRAY, JTOK_STRING, JTOK_PRIMITIVE };

struct jtok {
	uint8_t type;    /* enum jtok_type */
	uint8_t escaped; /* a string with at least one backslash escape */
	int32_t start;   /* first byte (for strings: after the opening quote) */
	int32_t end;     /* one past the last byte (for strings: the closing quote) */
	int32_t size;    /* children: keys of an object, elements of an array, 1 for a key */
};

enum jtok_err {
	JTOK_ENOMEM = -1, /* the token array could not grow */
	JTOK_EINVAL = -2, /* not JSON: err->pos and err->what say where and why */
	JTOK_EPART = -3,  /* the text ends inside a value */
};

struct jtok_error {
	int32_t pos;      /* byte offset */
	const char *what; /* static text: "expected ',' or '}'", ... */
};

/*
 * Tokenize js[0..len): exactly one JSON value with optional whitespace
 * around it. *toks (may be NULL with *cap 0) is grown with realloc as
 * needed and stays the caller's to free. Returns the number of tokens, or a
 * negative enum jtok_err (err filled for all but JTOK_ENOMEM). Texts longer
 * than INT32_MAX are refused as JTOK_EINVAL.
 */
int jtok_parse(const char *js, size_t len, struct jtok **toks, size_t *cap, struct jtok_error *err);

#endif
