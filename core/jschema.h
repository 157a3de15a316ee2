/*
 * jschema.h: JSON Schema for structured outputs, compiled once at load and
 * checked against each response without re-reading the schema.
 *
 * Keywords: type (string or list; "integer" accepts 1.0), properties,
 * required, additionalProperties (bool or schema), items (one schema),
 * enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (number,
 * or draft-4 boolean), multipleOf, minLength, maxLength (code points),
 * minItems, maxItems, uniqueItems, pattern, anyOf, oneOf, allOf, not, and
 * $ref to a JSON pointer within the same document ("#", "#/$defs/x",
 * "#/definitions/x"). Boolean schemas (true/false) are accepted anywhere a
 * schema is. Annotations ($schema, $id, $defs, definitions, title,
 * description, default, examples, format, $comment, deprecated, readOnly,
 * writeOnly) are ignored. Any other keyword that would constrain a value
 * (patternProperties, if/then/else, prefixItems, ...) is refused at compile
 * time rather than silently not checked.
 *
 * pattern is ECMA-262 syntax translated to POSIX extended regular
 * expressions (\d \w \s and their negations, non-capturing groups, lazy
 * quantifiers); lookaround and back-references are refused. Matching is a
 * search, as the standard says (anchor with ^ and $).
 *
 * A compiled schema is immutable: several threads may validate against the
 * same schema at once, each with its own struct jschema_scratch.
 */
#ifndef VIGIL_CORE_JSCHEMA_H
#define VIGIL_CORE_JSCHEMA_H

#include "core/jsonlite.h"
#include "core/observation.h"

#include <stdbool.h>
#include <stddef.h>

struct jschema;
struct jschema_set;

/* Per-caller working memory for validation; reusable. */
struct jschema_scratch {
	struct jl_doc doc;
};

void jschema_scratch_init(struct jschema_scratch *s);
void jschema_scratch_done(struct jschema_scratch *s);

/* The outcome of one validation. */
struct jschema_result {
	bool valid;
	/* JSON pointer into the response of the first failure ("" = the root,
	 * truncated to fit). For a missing required property it is the pointer
	 * the property would have. */
	char pointer[VG_SHORT_MAX];
	char keyword[24]; /* the keyword that failed: "required", "type", ...;
	                   * "json" when the response is not JSON at all */
};

/*
 * Compile a schema from JSON text. `name` names the file in messages.
 * Returns 0 and a new schema in *out (free with jschema_free()), or
 * VG_EPARSE (not JSON) / VG_EINVAL (not a valid schema) / VG_ENOMEM with a
 * malloc'd message in *cause (caller frees; may be NULL) of the form
 * "orders.json: /properties/total/minimum: expected a number". Nothing is
 * allocated on error.
 */
int jschema_compile(const char *text, size_t len, const char *name, struct jschema **out,
                    char **cause);

/* Free a compiled schema; NULL does nothing. */
void jschema_free(struct jschema *s);

/*
 * Validate text[0..len) against s. Fills *res; returns 0, or VG_ENOMEM
 * (then *res says valid = false, keyword "memory"). A text that is not JSON
 * is invalid with keyword "json" and pointer "".
 */
int jschema_validate(const struct jschema *s, const char *text, size_t len,
                     struct jschema_scratch *scratch, struct jschema_result *res);

/* ---- a set of schemas by id ---------------------------------------------- */

/* An empty set; NULL when out of memory. */
struct jschema_set *jschema_set_new(void);

/* Free the set and every schema in it; NULL does nothing. */
void jschema_set_free(struct jschema_set *set);

/*
 * Compile text and add it under `id` (e.g. the file name without ".json").
 * Returns 0, VG_EINVAL for a duplicate id (message in *cause), or what
 * jschema_compile() returns; the set is unchanged on error.
 */
int jschema_set_add(struct jschema_set *set, const char *id, const char *text, size_t len,
                    const char *name, char **cause);

/* The schema with this id, or NULL. Borrowed from the set. */
const struct jschema *jschema_set_get(const struct jschema_set *set, const char *id);

/* Number of schemas in the set. */
size_t jschema_set_count(const struct jschema_set *set);

#endif
