/*
 * jsonlite.h: a small JSON reader that parses a response text into a flat
 * array of values in preorder, for the schema validator's hot path.
 *
 * jansson allocates every node and hashes every object; a 2 KB structured
 * output read that way costs more than all the other inline checks together.
 * This reader allocates nothing per value: the nodes and the decoded strings
 * live in a struct jl_doc that the caller keeps and reuses between texts.
 *
 * Layout: node 0 is the root. A container's children follow it directly;
 * node[i].next is the index just past i's subtree, so the children of i are
 * i+1, node[i+1].next, ... (node[i].len of them). An object's children
 * alternate key (a JL_STRING) and value. Strings are decoded (escapes
 * resolved, UTF-8 checked) and NUL-terminated in the document's own buffer.
 *
 * The grammar is RFC 8259's, strictly: no comments, no trailing commas, no
 * NaN, nothing after the value but whitespace; nesting deeper than
 * JL_MAX_DEPTH is an error. Duplicate object keys are kept as they come.
 */
#ifndef VIGIL_CORE_JSONLITE_H
#define VIGIL_CORE_JSONLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JL_MAX_DEPTH 128

enum jl_type { JL_NULL, JL_FALSE, JL_TRUE, JL_NUMBER, JL_STRING, JL_ARRAY, JL_OBJECT };

struct jl_node {
	uint8_t type;  /* enum jl_type */
	bool integral; /* JL_NUMBER: the value has no fractional part */
	uint32_t len;  /* JL_STRING: bytes; JL_ARRAY/JL_OBJECT: children (members for objects) */
	uint32_t next; /* index just past this subtree */
	uint32_t str;  /* JL_STRING: offset of the decoded text in doc->chars */
	double num;    /* JL_NUMBER */
};

/* A parsed document; reusable. Zero-initialise it, or call jl_doc_init(). */
struct jl_doc {
	struct jl_node *nodes;
	uint32_t n;
	size_t cap;
	char *chars; /* decoded strings, each NUL-terminated */
	size_t chars_len, chars_cap;
	size_t err_offset; /* byte offset of a parse error */
};

void jl_doc_init(struct jl_doc *d);

/* Free the document's buffers (the struct itself belongs to the caller). */
void jl_doc_done(struct jl_doc *d);

/*
 * Parse text[0..len) into *d, replacing what it held. Returns 0, VG_EPARSE
 * (d->err_offset says where), VG_ETOOBIG (over 2^31 bytes or nesting over
 * JL_MAX_DEPTH) or VG_ENOMEM. The buffers grow as needed and are kept.
 */
int jl_parse(struct jl_doc *d, const char *text, size_t len);

/* The decoded text of string node i (NUL-terminated; node.len bytes). */
static inline const char *jl_str(const struct jl_doc *d, uint32_t i)
{
	return d->chars + d->nodes[i].str;
}

/* Unicode code points in a UTF-8 string of len bytes (already validated). */
size_t jl_utf8_count(const char *s, size_t len);

#endif
