/*
 * jschema.c: compiling JSON Schema documents (read with jansson, once) into
 * flat arrays of nodes, and validating response texts (read with jsonlite)
 * against them.
 *
 * A compiled node holds every constraint of one schema object: a type mask,
 * numeric and length bounds, a contiguous block of properties sorted by
 * name (required names that have no schema of their own are in the block
 * too, with node -1), index lists for anyOf/oneOf/allOf, and indices for
 * items, additionalProperties, not and $ref. Everything refers to other
 * nodes by index, so the arrays may grow while compiling recursive schemas.
 *
 * Validation walks the response once and stops at the first failure. Inside
 * anyOf, oneOf and not, failures are expected and not recorded; the
 * combinator itself is reported when it fails.
 */
#include "core/jschema.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	T_NULL = 1,
	T_BOOL = 2,
	T_OBJECT = 4,
	T_ARRAY = 8,
	T_NUMBER = 16,
	T_INTEGER = 32,
	T_STRING = 64,
};

enum {
	H_MIN = 1 << 0,
	H_MAX = 1 << 1,
	H_XMIN = 1 << 2,
	H_XMAX = 1 << 3,
	H_MULT = 1 << 4,
	H_MINLEN = 1 << 5,
	H_MAXLEN = 1 << 6,
	H_MINIT = 1 << 7,
	H_MAXIT = 1 << 8,
	H_UNIQUE = 1 << 9,
	H_ENUM = 1 << 10,
};

enum { A_NONE, A_TRUE, A_FALSE };

/* Schema recursion without consuming the response ($ref cycles) stops here. */
#define MAX_STEPS 600

struct js_node {
	uint8_t always;
	uint8_t types; /* 0 = any type */
	uint16_t has;
	double min, max, xmin, xmax, mult;
	uint32_t minlen, maxlen, minit, maxit;
	uint32_t props, n_props;
	bool any_required;
	int32_t additional; /* -1: anything is allowed */
	int32_t items;      /* -1: anything */
	uint32_t enums, n_enum;
	int32_t konst;   /* index into values, -1 */
	int32_t pattern; /* index into regexes, -1 */
	uint32_t any, n_any, one, n_one, all, n_all;
	int32_t not_, ref;
};

struct js_prop {
	char *name;
	uint32_t len;
	int32_t node; /* -1: a required name without a schema */
	bool required;
};

struct jschema {
	struct js_node *nodes;
	uint32_t n_nodes;
	size_t cap_nodes;
	struct js_prop *props;
	uint32_t n_props;
	size_t cap_props;
	int32_t *lists;
	uint32_t n_lists;
	size_t cap_lists;
	json_t **values;
	uint32_t n_values;
	size_t cap_values;
	regex_t **regexes;
	uint32_t n_regexes;
	size_t cap_regexes;
	uint32_t root;
};

void jschema_free(struct jschema *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n_props; i++)
		free(s->props[i].name);
	for (uint32_t i = 0; i < s->n_values; i++)
		json_decref(s->values[i]);
	for (uint32_t i = 0; i < s->n_regexes; i++) {
		regfree(s->regexes[i]);
		free(s->regexes[i]);
	}
	free(s->nodes);
	free(s->props);
	free(s->lists);
	free(s->values);
	free(s->regexes);
	free(s);
}

/* ---- compiling ------------------------------------------------------------ */

struct memo {
	json_t *target;
	int32_t node;
};

struct cctx {
	struct jschema *s;
	json_t *root;
	const char *name;
	char ptr[512];
	size_t plen;
	char *cause;
	int err;
	struct memo *memo;
	uint32_t n_memo;
	size_t cap_memo;
};

__attribute__((format(printf, 3, 4))) static int cerr(struct cctx *c, int err, const char *fmt, ...)
{
	if (c->err)
		return -1;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vg_cause(&c->cause, err, "%s: %s: %s", c->name, c->plen ? c->ptr : "/", msg);
	c->err = err;
	return -1;
}

/* Append one reference token (escaped per RFC 6901); returns the old length. */
static size_t push_ptr(struct cctx *c, const char *tok)
{
	size_t old = c->plen;
	size_t o = c->plen;
	if (o + 1 < sizeof(c->ptr))
		c->ptr[o++] = '/';
	for (const char *t = tok; *t && o + 2 < sizeof(c->ptr); t++) {
		if (*t == '~' || *t == '/') {
			c->ptr[o++] = '~';
			c->ptr[o++] = *t == '~' ? '0' : '1';
		} else {
			c->ptr[o++] = *t;
		}
	}
	c->ptr[o] = '\0';
	c->plen = o;
	return old;
}

static size_t push_idx(struct cctx *c, size_t i)
{
	char b[24];
	snprintf(b, sizeof(b), "%zu", i);
	return push_ptr(c, b);
}

static void pop_ptr(struct cctx *c, size_t old)
{
	c->plen = old;
	c->ptr[old] = '\0';
}

static int32_t new_node(struct cctx *c)
{
	struct jschema *s = c->s;
	if (vg_grow((void **)&s->nodes, &s->cap_nodes, s->n_nodes + 1, sizeof(*s->nodes), 8))
		return cerr(c, VG_ENOMEM, "out of memory");
	struct js_node *n = &s->nodes[s->n_nodes];
	memset(n, 0, sizeof(*n));
	n->additional = n->items = n->konst = n->pattern = n->not_ = n->ref = -1;
	return (int32_t)s->n_nodes++;
}

static int32_t compile(struct cctx *c, json_t *j);

static const char *const annotations[] = {
	"$schema",
	"$id",
	"id",
	"$defs",
	"definitions",
	"title",
	"description",
	"default",
	"examples",
	"format",
	"$comment",
	"deprecated",
	"readOnly",
	"writeOnly",
	"propertyOrdering",
	"$anchor",
	"contentEncoding",
	"contentMediaType",
	NULL,
};

static const char *const unsupported[] = {
	"patternProperties",
	"if",
	"then",
	"else",
	"dependentRequired",
	"dependentSchemas",
	"dependencies",
	"prefixItems",
	"additionalItems",
	"contains",
	"minContains",
	"maxContains",
	"propertyNames",
	"minProperties",
	"maxProperties",
	"unevaluatedProperties",
	"unevaluatedItems",
	"$dynamicRef",
	"$recursiveRef",
	NULL,
};

static bool in_list(const char *const *list, const char *k)
{
	for (size_t i = 0; list[i]; i++) {
		if (strcmp(list[i], k) == 0)
			return true;
	}
	return false;
}

static int type_bit(const char *t)
{
	static const struct {
		const char *name;
		int bit;
	} names[] = {
		{ "null", T_NULL },     { "boolean", T_BOOL },  { "object", T_OBJECT },
		{ "array", T_ARRAY },   { "number", T_NUMBER }, { "integer", T_INTEGER },
		{ "string", T_STRING },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, t) == 0)
			return names[i].bit;
	}
	return 0;
}

static int compile_type(struct cctx *c, json_t *v, struct js_node *n)
{
	if (json_is_string(v)) {
		int b = type_bit(json_string_value(v));
		if (!b)
			return cerr(c, VG_EINVAL, "unknown type '%s'", json_string_value(v));
		n->types |= (uint8_t)b;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cerr(c, VG_EINVAL, "expected a type name or a non-empty list of them");
	size_t i;
	json_t *e;
	json_array_foreach (v, i, e) {
		size_t old = push_idx(c, i);
		int b = json_is_string(e) ? type_bit(json_string_value(e)) : 0;
		if (!b)
			return cerr(c, VG_EINVAL, "expected a type name");
		pop_ptr(c, old);
		n->types |= (uint8_t)b;
	}
	return 0;
}

static int get_number(struct cctx *c, json_t *v, double *out)
{
	if (!json_is_number(v))
		return cerr(c, VG_EINVAL, "expected a number");
	*out = json_number_value(v);
	return 0;
}

static int get_count(struct cctx *c, json_t *v, uint32_t *out)
{
	double d;
	if (!json_is_number(v) || (d = json_number_value(v)) < 0 || d != floor(d) ||
	    d > 4294967295.0)
		return cerr(c, VG_EINVAL, "expected a non-negative integer");
	*out = (uint32_t)d;
	return 0;
}

static int add_value(struct cctx *c, json_t *v, uint32_t *idx)
{
	struct jschema *s = c->s;
	if (vg_grow((void **)&s->values, &s->cap_values, s->n_values + 1, sizeof(*s->values), 8))
		return cerr(c, VG_ENOMEM, "out of memory");
	s->values[s->n_values] = json_incref(v);
	*idx = s->n_values++;
	return 0;
}

/* ECMA-262 pattern -> POSIX ERE. Returns NULL on success, or why not. */
/*
 * glibc's regcomp copies a sub-expression once per count of a bounded
 * repetition, so "(a{1,1000}){1,1000}" or "a++++..." would take gigabytes at
 * load time. Refuse what ECMA-262 refuses anyway (a quantifier on a
 * quantifier) and keep the product of nested repetition bounds small.
 */
#define PATTERN_MAX_LEN   1024
#define PATTERN_MAX_BOUND 1000
#define PATTERN_MAX_DEPTH 32

static const char *pattern_limits(const char *src)
{
	if (strlen(src) > PATTERN_MAX_LEN)
		return "pattern longer than 1024 characters";
	unsigned long prod[PATTERN_MAX_DEPTH + 1]; /* the largest nested bound per level */
	int depth = 0;
	unsigned long last_group = 1; /* bound product inside the group just closed */
	bool have_atom = false, after_quant = false, atom_is_group = false;
	prod[0] = 1;
	for (const char *p = src; *p; p++) {
		char ch = *p;
		if (ch == '\\') {
			if (!*++p)
				break;
			have_atom = true;
			atom_is_group = after_quant = false;
			continue;
		}
		if (ch == '[') {
			for (p++; *p && *p != ']'; p++) {
				if (*p == '\\' && p[1])
					p++;
			}
			if (!*p)
				break;
			have_atom = true;
			atom_is_group = after_quant = false;
			continue;
		}
		if (ch == '(') {
			if (depth >= PATTERN_MAX_DEPTH)
				return "groups nested too deeply";
			prod[++depth] = 1;
			have_atom = atom_is_group = after_quant = false;
			if (p[1] == '?' && p[2])
				p += 2; /* (?: and friends: not a quantifier */
			continue;
		}
		if (ch == ')') {
			if (depth == 0)
				return "unbalanced parenthesis";
			last_group = prod[depth--];
			if (last_group > prod[depth])
				prod[depth] = last_group;
			have_atom = atom_is_group = true;
			after_quant = false;
			continue;
		}
		if (ch == '*' || ch == '+' || ch == '?' || ch == '{') {
			if (ch == '?' && after_quant) {
				after_quant = false; /* lazy */
				continue;
			}
			if (after_quant || !have_atom)
				return "nothing to repeat (a quantifier must follow an atom)";
			unsigned long bound = 1;
			if (ch == '{') {
				char *end;
				unsigned long lo = strtoul(p + 1, &end, 10), hi = lo;
				if (*end == ',')
					hi = end[1] == '}' ? lo : strtoul(end + 1, &end, 10);
				if (lo > PATTERN_MAX_BOUND || hi > PATTERN_MAX_BOUND)
					return "repetition bound over 1000";
				bound = hi > 1 ? hi : 1;
				const char *close = strchr(p, '}');
				if (close)
					p = close;
			}
			unsigned long w = bound * (atom_is_group ? last_group : 1);
			if (w > PATTERN_MAX_BOUND)
				return "nested repetition bounds multiply to over 1000";
			if (w > prod[depth])
				prod[depth] = w;
			after_quant = true;
			continue;
		}
		have_atom = ch != '|' && ch != '^';
		atom_is_group = after_quant = false;
	}
	return NULL;
}

static const char *translate_pattern(const char *src, char *out, size_t cap)
{
	size_t o = 0;
	bool after_quant = false;
#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (o + 1 >= cap)                                                                  \
			return "pattern too long";                                                 \
		out[o++] = (ch);                                                                   \
	} while (0)
#define PUTS(str)                                                                                  \
	do {                                                                                       \
		for (const char *q_ = (str); *q_; q_++)                                            \
			PUT(*q_);                                                                  \
	} while (0)
	for (const char *p = src; *p; p++) {
		char ch = *p;
		bool quant = false;
		if (ch == '\\') {
			char e = *++p;
			switch (e) {
			case 'd': PUTS("[0-9]"); break;
			case 'D': PUTS("[^0-9]"); break;
			case 'w': PUTS("[A-Za-z0-9_]"); break;
			case 'W': PUTS("[^A-Za-z0-9_]"); break;
			case 's': PUTS("[[:space:]]"); break;
			case 'S': PUTS("[^[:space:]]"); break;
			case 'n': PUT('\n'); break;
			case 't': PUT('\t'); break;
			case 'r': PUT('\r'); break;
			case 'b':
			case 'B': /* glibc extension */
				PUT('\\');
				PUT(e);
				break;
			case '\0': return "pattern ends with a backslash";
			default:
				if (e >= '0' && e <= '9')
					return "back-references are not supported";
				if (strchr(".\\+*?()[]{}|^$", e)) {
					PUT('\\');
					PUT(e);
				} else if (strchr("/-:=!<>,'\"#&~@%", e)) {
					PUT(e);
				} else {
					return "unsupported escape in pattern";
				}
			}
		} else if (ch == '[') {
			/* A bracket expression: backslash is literal inside POSIX
			 * brackets, so ECMA escapes are rewritten; ']' and '-' are
			 * moved to where POSIX reads them literally. */
			char body[256];
			size_t b = 0;
			bool neg = false, rbr = false, dash = false;
			p++;
			if (*p == '^') {
				neg = true;
				p++;
			}
			for (; *p && *p != ']'; p++) {
				const char *add = NULL;
				char one[2] = { *p, '\0' };
				if (*p == '\\') {
					char e = *++p;
					switch (e) {
					case 'd': add = "0-9"; break;
					case 'w': add = "A-Za-z0-9_"; break;
					case 's': add = "[:space:]"; break;
					case 'n': add = "\n"; break;
					case 't': add = "\t"; break;
					case 'r': add = "\r"; break;
					case ']': rbr = true; break;
					case '-': dash = true; break;
					case '\0': return "unterminated character class";
					default:
						if (strchr("\\.^$[/+*?(){}|", e)) {
							one[0] = e;
							add = one;
						} else {
							return "unsupported escape in character "
							       "class";
						}
					}
				} else {
					add = one;
				}
				for (; add && *add; add++) {
					if (b + 1 >= sizeof(body))
						return "character class too long";
					body[b++] = *add;
				}
			}
			if (!*p)
				return "unterminated character class";
			body[b] = '\0';
			PUT('[');
			if (neg)
				PUT('^');
			if (rbr)
				PUT(']');
			PUTS(body);
			if (dash)
				PUT('-');
			PUT(']');
		} else if (ch == '(' && p[1] == '?') {
			if (p[2] == ':') {
				PUT('(');
				p += 2;
			} else {
				return "lookaround and named groups are not supported";
			}
		} else if (ch == '?' && after_quant) {
			/* a lazy quantifier: the same match/no-match as greedy */
		} else {
			quant = ch == '*' || ch == '+' || ch == '?' || ch == '}';
			PUT(ch);
		}
		after_quant = quant;
	}
	out[o] = '\0';
	return NULL;
#undef PUT
#undef PUTS
}

static int compile_pattern(struct cctx *c, json_t *v, int32_t *idx)
{
	if (!json_is_string(v))
		return cerr(c, VG_EINVAL, "expected a string");
	const char *src = json_string_value(v);
	size_t cap = strlen(src) * 12 + 16;
	char *ere = malloc(cap);
	if (!ere)
		return cerr(c, VG_ENOMEM, "out of memory");
	const char *why = pattern_limits(src);
	if (!why)
		why = translate_pattern(src, ere, cap);
	if (why) {
		free(ere);
		return cerr(c, VG_EINVAL, "%s: '%s'", why, src);
	}
	struct jschema *s = c->s;
	regex_t *re = malloc(sizeof(*re));
	if (!re || vg_grow((void **)&s->regexes, &s->cap_regexes, s->n_regexes + 1,
	                   sizeof(*s->regexes), 8)) {
		free(re);
		free(ere);
		return cerr(c, VG_ENOMEM, "out of memory");
	}
	int rc = regcomp(re, ere, REG_EXTENDED | REG_NOSUB);
	free(ere);
	if (rc) {
		char msg[128];
		regerror(rc, re, msg, sizeof(msg));
		free(re);
		return cerr(c, VG_EINVAL, "invalid pattern '%s': %s", src, msg);
	}
	s->regexes[s->n_regexes] = re;
	*idx = (int32_t)s->n_regexes++;
	return 0;
}

/* Compile a non-empty array of schemas into a contiguous index list. */
static int compile_list(struct cctx *c, json_t *v, uint32_t *start, uint32_t *count)
{
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cerr(c, VG_EINVAL, "expected a non-empty list of schemas");
	struct jschema *s = c->s;
	uint32_t n = (uint32_t)json_array_size(v);
	if (vg_grow((void **)&s->lists, &s->cap_lists, s->n_lists + n, sizeof(*s->lists), 8))
		return cerr(c, VG_ENOMEM, "out of memory");
	uint32_t base = s->n_lists;
	s->n_lists += n;
	for (uint32_t i = 0; i < n; i++) {
		size_t old = push_idx(c, i);
		int32_t ni = compile(c, json_array_get(v, i));
		if (ni < 0)
			return -1;
		pop_ptr(c, old);
		s->lists[base + i] = ni;
	}
	*start = base;
	*count = n;
	return 0;
}

static int prop_cmp(const void *a, const void *b)
{
	const struct js_prop *x = a, *y = b;
	uint32_t m = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->name, y->name, m);
	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int compile_props(struct cctx *c, json_t *props, json_t *req, struct js_node *n)
{
	struct jschema *s = c->s;
	size_t np = 0, nr = 0;
	if (props) {
		size_t old = push_ptr(c, "properties");
		if (!json_is_object(props))
			return cerr(c, VG_EINVAL, "expected an object of schemas");
		pop_ptr(c, old);
		np = json_object_size(props);
	}
	if (req) {
		size_t old = push_ptr(c, "required");
		if (!json_is_array(req))
			return cerr(c, VG_EINVAL, "expected a list of property names");
		size_t i;
		json_t *e;
		json_array_foreach (req, i, e) {
			size_t o2 = push_idx(c, i);
			if (!json_is_string(e))
				return cerr(c, VG_EINVAL, "expected a property name");
			pop_ptr(c, o2);
		}
		pop_ptr(c, old);
		nr = json_array_size(req);
	}
	if (np + nr > UINT32_MAX / 2)
		return cerr(c, VG_EINVAL, "too many properties");
	if (vg_grow((void **)&s->props, &s->cap_props, s->n_props + (uint32_t)(np + nr),
	            sizeof(*s->props), 8))
		return cerr(c, VG_ENOMEM, "out of memory");
	uint32_t base = s->n_props, k = 0;
	const char *key;
	size_t klen;
	json_t *v;
	if (props) {
		json_object_keylen_foreach(props, key, klen, v)
		{
			struct js_prop *pr = &s->props[base + k];
			pr->name = malloc(klen + 1);
			if (!pr->name)
				return cerr(c, VG_ENOMEM, "out of memory");
			memcpy(pr->name, key, klen);
			pr->name[klen] = '\0';
			pr->len = (uint32_t)klen;
			pr->node = -1;
			pr->required = false;
			k++;
			s->n_props = base + k; /* owned from here on, for jschema_free */
		}
	}
	for (size_t i = 0; i < nr; i++) {
		json_t *e = json_array_get(req, i);
		const char *name = json_string_value(e);
		size_t len = json_string_length(e);
		uint32_t j;
		for (j = 0; j < k; j++) {
			if (s->props[base + j].len == len &&
			    memcmp(s->props[base + j].name, name, len) == 0)
				break;
		}
		if (j < k) {
			s->props[base + j].required = true;
			continue;
		}
		struct js_prop *pr = &s->props[base + k];
		pr->name = malloc(len + 1);
		if (!pr->name)
			return cerr(c, VG_ENOMEM, "out of memory");
		memcpy(pr->name, name, len);
		pr->name[len] = '\0';
		pr->len = (uint32_t)len;
		pr->node = -1;
		pr->required = true;
		k++;
		s->n_props = base + k;
	}
	n->props = base;
	n->n_props = k;
	n->any_required = nr > 0;
	/* The child schemas come after the block, which stays contiguous. */
	for (uint32_t j = 0; j < k && props; j++) {
		json_t *child =
		        json_object_getn(props, s->props[base + j].name, s->props[base + j].len);
		if (!child)
			continue;
		size_t o1 = push_ptr(c, "properties");
		push_ptr(c, s->props[base + j].name);
		int32_t ni = compile(c, child);
		if (ni < 0)
			return -1;
		pop_ptr(c, o1);
		s->props[base + j].node = ni;
	}
	if (k > 1)
		qsort(s->props + base, k, sizeof(*s->props), prop_cmp);
	return 0;
}

/* Resolve "#/a/b" (RFC 6901 in a URI fragment) within the document. */
static json_t *resolve(json_t *root, const char *ref)
{
	if (ref[0] != '#')
		return NULL;
	json_t *cur = root;
	const char *p = ref + 1;
	if (*p == '\0')
		return root;
	if (*p != '/')
		return NULL;
	while (*p == '/' && cur) {
		p++;
		char tok[256];
		size_t t = 0;
		while (*p && *p != '/') {
			char ch = *p++;
			if (ch == '%' && p[0] && p[1]) {
				char hx[3] = { p[0], p[1], '\0' };
				char *end;
				long v = strtol(hx, &end, 16);
				if (*end)
					return NULL;
				ch = (char)v;
				p += 2;
			} else if (ch == '~') {
				if (*p == '0')
					ch = '~';
				else if (*p == '1')
					ch = '/';
				else
					return NULL;
				p++;
			}
			if (t + 1 >= sizeof(tok))
				return NULL;
			tok[t++] = ch;
		}
		tok[t] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, tok, t);
		} else if (json_is_array(cur)) {
			char *end;
			long i = strtol(tok, &end, 10);
			if (*end || t == 0 || i < 0)
				return NULL;
			cur = json_array_get(cur, (size_t)i);
		} else {
			return NULL;
		}
	}
	return cur;
}

static int compile_into(struct cctx *c, json_t *j, int32_t idx);

static int compile_ref(struct cctx *c, json_t *v, int32_t *out)
{
	if (!json_is_string(v))
		return cerr(c, VG_EINVAL, "expected a string");
	const char *ref = json_string_value(v);
	if (ref[0] != '#')
		return cerr(c, VG_EINVAL,
		            "only references within the document (#/...) are supported, "
		            "not '%s'",
		            ref);
	json_t *target = resolve(c->root, ref);
	if (!target)
		return cerr(c, VG_EINVAL, "unresolvable $ref '%s'", ref);
	for (uint32_t i = 0; i < c->n_memo; i++) {
		if (c->memo[i].target == target) {
			*out = c->memo[i].node;
			return 0;
		}
	}
	int32_t idx = new_node(c);
	if (idx < 0)
		return -1;
	if (vg_grow((void **)&c->memo, &c->cap_memo, c->n_memo + 1, sizeof(*c->memo), 8))
		return cerr(c, VG_ENOMEM, "out of memory");
	c->memo[c->n_memo].target = target;
	c->memo[c->n_memo].node = idx;
	c->n_memo++;
	/* Errors inside the target name the target's own pointer. */
	char saved[sizeof(c->ptr)];
	size_t saved_len = c->plen;
	memcpy(saved, c->ptr, sizeof(saved));
	size_t l = strlen(ref + 1);
	if (l >= sizeof(c->ptr))
		l = sizeof(c->ptr) - 1;
	memcpy(c->ptr, ref + 1, l);
	c->ptr[l] = '\0';
	c->plen = l;
	int rc = compile_into(c, target, idx);
	memcpy(c->ptr, saved, sizeof(saved));
	c->plen = saved_len;
	if (rc)
		return -1;
	*out = idx;
	return 0;
}

static int compile_into(struct cctx *c, json_t *j, int32_t idx)
{
	struct js_node n;
	memset(&n, 0, sizeof(n));
	n.additional = n.items = n.konst = n.pattern = n.not_ = n.ref = -1;
	if (json_is_true(j)) {
		n.always = A_TRUE;
		goto done;
	}
	if (json_is_false(j)) {
		n.always = A_FALSE;
		goto done;
	}
	if (!json_is_object(j))
		return cerr(c, VG_EINVAL, "a schema must be an object or a boolean");
	bool xmin_bool = false, xmax_bool = false, nullable = false;
	const char *key;
	json_t *v;
	json_object_foreach (j, key, v) {
		size_t old = push_ptr(c, key);
		int rc = 0;
		if (strcmp(key, "type") == 0) {
			rc = compile_type(c, v, &n);
		} else if (strcmp(key, "nullable") == 0) {
			if (!json_is_boolean(v))
				rc = cerr(c, VG_EINVAL, "expected true or false");
			nullable = json_is_true(v);
		} else if (strcmp(key, "properties") == 0 || strcmp(key, "required") == 0) {
			/* both at once, below */
		} else if (strcmp(key, "additionalProperties") == 0) {
			rc = (n.additional = compile(c, v)) < 0 ? -1 : 0;
		} else if (strcmp(key, "items") == 0) {
			if (json_is_array(v))
				rc = cerr(c, VG_EINVAL,
				          "items as a list (tuple form) is not supported");
			else
				rc = (n.items = compile(c, v)) < 0 ? -1 : 0;
		} else if (strcmp(key, "enum") == 0) {
			if (!json_is_array(v)) {
				rc = cerr(c, VG_EINVAL, "expected a list of values");
			} else {
				n.has |= H_ENUM;
				n.n_enum = (uint32_t)json_array_size(v);
				for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
					uint32_t vi;
					rc = add_value(c, json_array_get(v, i), &vi);
					if (i == 0)
						n.enums = vi;
				}
			}
		} else if (strcmp(key, "const") == 0) {
			uint32_t vi;
			rc = add_value(c, v, &vi);
			n.konst = (int32_t)vi;
		} else if (strcmp(key, "minimum") == 0) {
			rc = get_number(c, v, &n.min);
			n.has |= H_MIN;
		} else if (strcmp(key, "maximum") == 0) {
			rc = get_number(c, v, &n.max);
			n.has |= H_MAX;
		} else if (strcmp(key, "exclusiveMinimum") == 0) {
			if (json_is_boolean(v))
				xmin_bool = json_is_true(v);
			else if ((rc = get_number(c, v, &n.xmin)) == 0)
				n.has |= H_XMIN;
		} else if (strcmp(key, "exclusiveMaximum") == 0) {
			if (json_is_boolean(v))
				xmax_bool = json_is_true(v);
			else if ((rc = get_number(c, v, &n.xmax)) == 0)
				n.has |= H_XMAX;
		} else if (strcmp(key, "multipleOf") == 0) {
			rc = get_number(c, v, &n.mult);
			if (!rc && !(n.mult > 0))
				rc = cerr(c, VG_EINVAL, "expected a number greater than 0");
			n.has |= H_MULT;
		} else if (strcmp(key, "minLength") == 0) {
			rc = get_count(c, v, &n.minlen);
			n.has |= H_MINLEN;
		} else if (strcmp(key, "maxLength") == 0) {
			rc = get_count(c, v, &n.maxlen);
			n.has |= H_MAXLEN;
		} else if (strcmp(key, "minItems") == 0) {
			rc = get_count(c, v, &n.minit);
			n.has |= H_MINIT;
		} else if (strcmp(key, "maxItems") == 0) {
			rc = get_count(c, v, &n.maxit);
			n.has |= H_MAXIT;
		} else if (strcmp(key, "uniqueItems") == 0) {
			if (!json_is_boolean(v))
				rc = cerr(c, VG_EINVAL, "expected true or false");
			else if (json_is_true(v))
				n.has |= H_UNIQUE;
		} else if (strcmp(key, "pattern") == 0) {
			rc = compile_pattern(c, v, &n.pattern);
		} else if (strcmp(key, "anyOf") == 0) {
			rc = compile_list(c, v, &n.any, &n.n_any);
		} else if (strcmp(key, "oneOf") == 0) {
			rc = compile_list(c, v, &n.one, &n.n_one);
		} else if (strcmp(key, "allOf") == 0) {
			rc = compile_list(c, v, &n.all, &n.n_all);
		} else if (strcmp(key, "not") == 0) {
			rc = (n.not_ = compile(c, v)) < 0 ? -1 : 0;
		} else if (strcmp(key, "$ref") == 0) {
			rc = compile_ref(c, v, &n.ref);
		} else if (in_list(unsupported, key)) {
			rc = cerr(c, VG_EINVAL,
			          "keyword '%s' is not supported by vigil's validator", key);
		} else if (in_list(annotations, key)) {
			/* annotations and definitions (compiled when referenced) */
		}
		/* Other keys are unknown keywords: ignored, as the standard says. */
		if (rc)
			return -1;
		pop_ptr(c, old);
	}
	json_t *props = json_object_get(j, "properties");
	json_t *req = json_object_get(j, "required");
	if ((props || req) && compile_props(c, props, req, &n) != 0)
		return -1;
	if (xmin_bool) {
		if (!(n.has & H_MIN)) {
			size_t old = push_ptr(c, "exclusiveMinimum");
			cerr(c, VG_EINVAL, "boolean exclusiveMinimum needs minimum");
			pop_ptr(c, old);
			return -1;
		}
		n.has = (uint16_t)((n.has & ~H_MIN) | H_XMIN);
		n.xmin = n.min;
	}
	if (xmax_bool) {
		if (!(n.has & H_MAX)) {
			size_t old = push_ptr(c, "exclusiveMaximum");
			cerr(c, VG_EINVAL, "boolean exclusiveMaximum needs maximum");
			pop_ptr(c, old);
			return -1;
		}
		n.has = (uint16_t)((n.has & ~H_MAX) | H_XMAX);
		n.xmax = n.max;
	}
	if (nullable && n.types)
		n.types |= T_NULL;
done:
	c->s->nodes[idx] = n;
	return 0;
}

static int32_t compile(struct cctx *c, json_t *j)
{
	int32_t idx = new_node(c);
	if (idx < 0)
		return -1;
	if (compile_into(c, j, idx) != 0)
		return -1;
	return idx;
}

int jschema_compile(const char *text, size_t len, const char *name, struct jschema **out,
                    char **cause)
{
	json_error_t jerr;
	*out = NULL;
	json_t *root = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	if (!root)
		return vg_cause(cause, VG_EPARSE, "%s:%d:%d: not JSON: %s", name, jerr.line,
		                jerr.column, jerr.text);
	struct jschema *s = calloc(1, sizeof(*s));
	struct cctx c = { .s = s, .root = root, .name = name };
	int rc = 0;
	if (!s) {
		rc = VG_ENOMEM;
		goto out;
	}
	int32_t r = compile(&c, root);
	if (r < 0) {
		rc = c.err ? c.err : VG_EINVAL;
		jschema_free(s);
		s = NULL;
		if (cause)
			*cause = c.cause ? c.cause : strdup(vg_strerror(rc));
		else
			free(c.cause);
		c.cause = NULL;
		goto out;
	}
	s->root = (uint32_t)r;
	*out = s;
out:
	if (rc == VG_ENOMEM && cause && !*cause)
		*cause = strdup("out of memory");
	free(c.memo);
	json_decref(root);
	return rc;
}

/* ---- validating ----------------------------------------------------------- */

struct seg {
	const char *s; /* a key (NULL for an array index) */
	uint32_t len;
	uint32_t index;
};

struct vctx {
	const struct jschema *s;
	const struct jl_doc *d;
	struct seg segs[JL_MAX_DEPTH + 4];
	int nseg;
	int suppress;
	int steps;
	bool recorded;
	struct jschema_result *res;
};

static void render_pointer(struct vctx *c)
{
	char *o = c->res->pointer;
	size_t cap = sizeof(c->res->pointer), k = 0;
	for (int i = 0; i < c->nseg; i++) {
		char num[16];
		const char *t = c->segs[i].s;
		size_t len = c->segs[i].len;
		if (!t) {
			snprintf(num, sizeof(num), "%u", c->segs[i].index);
			t = num;
			len = strlen(num);
		}
		if (k + 1 >= cap)
			break;
		o[k++] = '/';
		for (size_t j = 0; j < len && k + 2 < cap; j++) {
			if (t[j] == '~' || t[j] == '/') {
				o[k++] = '~';
				o[k++] = t[j] == '~' ? '0' : '1';
			} else {
				o[k++] = t[j];
			}
		}
	}
	o[k] = '\0';
}

static bool fail_at(struct vctx *c, const char *kw)
{
	if (!c->suppress && !c->recorded) {
		c->recorded = true;
		render_pointer(c);
		snprintf(c->res->keyword, sizeof(c->res->keyword), "%s", kw);
	}
	return false;
}

static int value_type(const struct jl_node *v)
{
	switch (v->type) {
	case JL_NULL: return T_NULL;
	case JL_TRUE:
	case JL_FALSE: return T_BOOL;
	case JL_NUMBER: return v->integral ? (T_NUMBER | T_INTEGER) : T_NUMBER;
	case JL_STRING: return T_STRING;
	case JL_ARRAY: return T_ARRAY;
	default: return T_OBJECT;
	}
}

static bool equal_json(const struct jl_doc *d, uint32_t vi, const json_t *j)
{
	const struct jl_node *v = &d->nodes[vi];
	switch (v->type) {
	case JL_NULL: return json_is_null(j);
	case JL_TRUE: return json_is_true(j);
	case JL_FALSE: return json_is_false(j);
	case JL_NUMBER: return json_is_number(j) && json_number_value(j) == v->num;
	case JL_STRING:
		return json_is_string(j) && json_string_length(j) == v->len &&
		       memcmp(json_string_value(j), jl_str(d, vi), v->len) == 0;
	case JL_ARRAY: {
		if (!json_is_array(j) || json_array_size(j) != v->len)
			return false;
		uint32_t ci = vi + 1;
		for (uint32_t i = 0; i < v->len; i++, ci = d->nodes[ci].next) {
			if (!equal_json(d, ci, json_array_get(j, i)))
				return false;
		}
		return true;
	}
	default: {
		if (!json_is_object(j) || json_object_size(j) != v->len)
			return false;
		uint32_t ki = vi + 1;
		for (uint32_t i = 0; i < v->len; i++) {
			uint32_t vv = ki + 1;
			const json_t *m = json_object_getn(j, jl_str(d, ki), d->nodes[ki].len);
			if (!m || !equal_json(d, vv, m))
				return false;
			ki = d->nodes[vv].next;
		}
		return true;
	}
	}
}

static bool equal_doc(const struct jl_doc *d, uint32_t a, uint32_t b)
{
	const struct jl_node *x = &d->nodes[a], *y = &d->nodes[b];
	if (x->type != y->type)
		return false;
	switch (x->type) {
	case JL_NULL:
	case JL_TRUE:
	case JL_FALSE: return true;
	case JL_NUMBER: return x->num == y->num;
	case JL_STRING: return x->len == y->len && memcmp(jl_str(d, a), jl_str(d, b), x->len) == 0;
	case JL_ARRAY: {
		if (x->len != y->len)
			return false;
		uint32_t i = a + 1, k = b + 1;
		for (uint32_t n = 0; n < x->len; n++) {
			if (!equal_doc(d, i, k))
				return false;
			i = d->nodes[i].next;
			k = d->nodes[k].next;
		}
		return true;
	}
	default: {
		if (x->len != y->len)
			return false;
		uint32_t ki = a + 1;
		for (uint32_t n = 0; n < x->len; n++) {
			bool found = false;
			uint32_t kj = b + 1;
			for (uint32_t m = 0; m < y->len; m++) {
				if (d->nodes[kj].len == d->nodes[ki].len &&
				    memcmp(jl_str(d, kj), jl_str(d, ki), d->nodes[ki].len) == 0) {
					found = equal_doc(d, ki + 1, kj + 1);
					break;
				}
				kj = d->nodes[kj + 1].next;
			}
			if (!found)
				return false;
			ki = d->nodes[ki + 1].next;
		}
		return true;
	}
	}
}

static int32_t find_prop(const struct jschema *s, const struct js_node *n, const char *k,
                         uint32_t klen)
{
	uint32_t lo = 0, hi = n->n_props;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct js_prop *p = &s->props[n->props + mid];
		uint32_t m = p->len < klen ? p->len : klen;
		int r = memcmp(p->name, k, m);
		if (!r)
			r = p->len < klen ? -1 : p->len > klen;
		if (!r)
			return (int32_t)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool validate(struct vctx *c, int32_t ni, uint32_t vi);

static bool check_number(struct vctx *c, const struct js_node *n, double x)
{
	if ((n->has & H_MIN) && x < n->min)
		return fail_at(c, "minimum");
	if ((n->has & H_MAX) && x > n->max)
		return fail_at(c, "maximum");
	if ((n->has & H_XMIN) && x <= n->xmin)
		return fail_at(c, "exclusiveMinimum");
	if ((n->has & H_XMAX) && x >= n->xmax)
		return fail_at(c, "exclusiveMaximum");
	if (n->has & H_MULT) {
		double q = x / n->mult;
		if (!isfinite(q) || fabs(q - round(q)) > 1e-9 * fmax(1.0, fabs(q)))
			return fail_at(c, "multipleOf");
	}
	return true;
}

static bool check_string(struct vctx *c, const struct js_node *n, uint32_t vi)
{
	const struct jl_node *v = &c->d->nodes[vi];
	if (n->has & (H_MINLEN | H_MAXLEN)) {
		/* Code points are between bytes/4 and bytes: count only when
		 * the bytes do not decide. */
		size_t cps = v->len;
		bool need = ((n->has & H_MAXLEN) && v->len > n->maxlen) ||
		            ((n->has & H_MINLEN) && v->len >= n->minlen && v->len / 4 < n->minlen);
		if (need)
			cps = jl_utf8_count(jl_str(c->d, vi), v->len);
		if ((n->has & H_MINLEN) && cps < n->minlen)
			return fail_at(c, "minLength");
		if ((n->has & H_MAXLEN) && cps > n->maxlen)
			return fail_at(c, "maxLength");
	}
	if (n->pattern >= 0 &&
	    regexec(c->s->regexes[n->pattern], jl_str(c->d, vi), 0, NULL, 0) != 0)
		return fail_at(c, "pattern");
	return true;
}

static bool push_seg(struct vctx *c, const char *s, uint32_t len, uint32_t index)
{
	if (c->nseg >= (int)(sizeof(c->segs) / sizeof(c->segs[0])))
		return false;
	c->segs[c->nseg].s = s;
	c->segs[c->nseg].len = len;
	c->segs[c->nseg].index = index;
	c->nseg++;
	return true;
}

static bool check_array(struct vctx *c, const struct js_node *n, uint32_t vi)
{
	const struct jl_doc *d = c->d;
	const struct jl_node *v = &d->nodes[vi];
	if ((n->has & H_MINIT) && v->len < n->minit)
		return fail_at(c, "minItems");
	if ((n->has & H_MAXIT) && v->len > n->maxit)
		return fail_at(c, "maxItems");
	if (n->items >= 0) {
		uint32_t ci = vi + 1;
		for (uint32_t i = 0; i < v->len; i++, ci = d->nodes[ci].next) {
			push_seg(c, NULL, 0, i);
			bool ok = validate(c, n->items, ci);
			c->nseg--;
			if (!ok)
				return false;
		}
	}
	if (n->has & H_UNIQUE) {
		uint32_t a = vi + 1;
		for (uint32_t i = 0; i < v->len; i++, a = d->nodes[a].next) {
			uint32_t b = d->nodes[a].next;
			for (uint32_t j = i + 1; j < v->len; j++, b = d->nodes[b].next) {
				if (equal_doc(d, a, b)) {
					push_seg(c, NULL, 0, j);
					fail_at(c, "uniqueItems");
					c->nseg--;
					return false;
				}
			}
		}
	}
	return true;
}

static bool has_member(const struct jl_doc *d, uint32_t vi, const char *k, uint32_t klen)
{
	uint32_t ki = vi + 1;
	for (uint32_t i = 0; i < d->nodes[vi].len; i++) {
		if (d->nodes[ki].len == klen && memcmp(jl_str(d, ki), k, klen) == 0)
			return true;
		ki = d->nodes[ki + 1].next;
	}
	return false;
}

static bool check_object(struct vctx *c, const struct js_node *n, uint32_t vi)
{
	const struct jl_doc *d = c->d;
	const struct jschema *s = c->s;
	uint64_t seen[4] = { 0, 0, 0, 0 };
	bool track = n->any_required && n->n_props <= 256;
	uint32_t ki = vi + 1;
	for (uint32_t i = 0; i < d->nodes[vi].len; i++) {
		uint32_t val = ki + 1;
		const char *k = jl_str(d, ki);
		uint32_t klen = d->nodes[ki].len;
		int32_t pi = n->n_props ? find_prop(s, n, k, klen) : -1;
		int32_t sub = -1;
		if (pi >= 0) {
			if (track)
				seen[pi >> 6] |= 1ull << (pi & 63);
			sub = s->props[n->props + (uint32_t)pi].node;
		} else if (n->additional >= 0) {
			sub = n->additional;
			if (s->nodes[sub].always == A_FALSE) {
				push_seg(c, k, klen, 0);
				fail_at(c, "additionalProperties");
				c->nseg--;
				return false;
			}
		}
		if (sub >= 0) {
			push_seg(c, k, klen, 0);
			bool ok = validate(c, sub, val);
			c->nseg--;
			if (!ok)
				return false;
		}
		ki = d->nodes[val].next;
	}
	if (!n->any_required)
		return true;
	for (uint32_t j = 0; j < n->n_props; j++) {
		const struct js_prop *p = &s->props[n->props + j];
		if (!p->required)
			continue;
		bool present =
		        track ? (seen[j >> 6] >> (j & 63)) & 1 : has_member(d, vi, p->name, p->len);
		if (!present) {
			push_seg(c, p->name, p->len, 0);
			fail_at(c, "required");
			c->nseg--;
			return false;
		}
	}
	return true;
}

static bool validate_node(struct vctx *c, const struct js_node *n, uint32_t vi)
{
	const struct jschema *s = c->s;
	const struct jl_node *v = &c->d->nodes[vi];
	if (n->always == A_TRUE)
		return true;
	if (n->always == A_FALSE)
		return fail_at(c, "false");
	if (n->types && !(n->types & value_type(v)))
		return fail_at(c, "type");
	if (n->konst >= 0 && !equal_json(c->d, vi, s->values[n->konst]))
		return fail_at(c, "const");
	if (n->has & H_ENUM) {
		uint32_t i;
		for (i = 0; i < n->n_enum; i++) {
			if (equal_json(c->d, vi, s->values[n->enums + i]))
				break;
		}
		if (i == n->n_enum)
			return fail_at(c, "enum");
	}
	switch (v->type) {
	case JL_NUMBER:
		if (!check_number(c, n, v->num))
			return false;
		break;
	case JL_STRING:
		if (!check_string(c, n, vi))
			return false;
		break;
	case JL_ARRAY:
		if (!check_array(c, n, vi))
			return false;
		break;
	case JL_OBJECT:
		if ((n->n_props || n->additional >= 0) && !check_object(c, n, vi))
			return false;
		break;
	default: break;
	}
	for (uint32_t i = 0; i < n->n_all; i++) {
		if (!validate(c, s->lists[n->all + i], vi))
			return false;
	}
	if (n->n_any) {
		bool ok = false;
		c->suppress++;
		for (uint32_t i = 0; i < n->n_any && !ok; i++)
			ok = validate(c, s->lists[n->any + i], vi);
		c->suppress--;
		if (!ok)
			return fail_at(c, "anyOf");
	}
	if (n->n_one) {
		int passed = 0;
		c->suppress++;
		for (uint32_t i = 0; i < n->n_one && passed < 2; i++)
			passed += validate(c, s->lists[n->one + i], vi);
		c->suppress--;
		if (passed != 1)
			return fail_at(c, "oneOf");
	}
	if (n->not_ >= 0) {
		c->suppress++;
		bool ok = validate(c, n->not_, vi);
		c->suppress--;
		if (ok)
			return fail_at(c, "not");
	}
	if (n->ref >= 0 && !validate(c, n->ref, vi))
		return false;
	return true;
}

static bool validate(struct vctx *c, int32_t ni, uint32_t vi)
{
	if (c->steps >= MAX_STEPS)
		return fail_at(c, "$ref");
	c->steps++;
	bool ok = validate_node(c, &c->s->nodes[ni], vi);
	c->steps--;
	return ok;
}

void jschema_scratch_init(struct jschema_scratch *s)
{
	jl_doc_init(&s->doc);
}

void jschema_scratch_done(struct jschema_scratch *s)
{
	jl_doc_done(&s->doc);
}

int jschema_validate(const struct jschema *s, const char *text, size_t len,
                     struct jschema_scratch *scratch, struct jschema_result *res)
{
	memset(res, 0, sizeof(*res));
	int rc = jl_parse(&scratch->doc, text ? text : "", text ? len : 0);
	if (rc == VG_ENOMEM) {
		snprintf(res->keyword, sizeof(res->keyword), "memory");
		return rc;
	}
	if (rc) {
		snprintf(res->keyword, sizeof(res->keyword), "json");
		return 0;
	}
	struct vctx c = { .s = s, .d = &scratch->doc, .res = res };
	res->valid = validate(&c, (int32_t)s->root, 0);
	return 0;
}

/* ---- the set ---------------------------------------------------------------- */

struct set_entry {
	char *id;
	struct jschema *schema;
};

struct jschema_set {
	struct set_entry *e;
	uint32_t n;
	size_t cap;
};

struct jschema_set *jschema_set_new(void)
{
	return calloc(1, sizeof(struct jschema_set));
}

void jschema_set_free(struct jschema_set *set)
{
	if (!set)
		return;
	for (uint32_t i = 0; i < set->n; i++) {
		free(set->e[i].id);
		jschema_free(set->e[i].schema);
	}
	free(set->e);
	free(set);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct set_entry *)a)->id, ((const struct set_entry *)b)->id);
}

int jschema_set_add(struct jschema_set *set, const char *id, const char *text, size_t len,
                    const char *name, char **cause)
{
	if (jschema_set_get(set, id))
		return vg_cause(cause, VG_EINVAL, "%s: duplicate schema id '%s'", name, id);
	struct jschema *s;
	int rc = jschema_compile(text, len, name, &s, cause);
	if (rc)
		return rc;
	char *idc = strdup(id);
	if (!idc || vg_grow((void **)&set->e, &set->cap, set->n + 1, sizeof(*set->e), 8)) {
		free(idc);
		jschema_free(s);
		if (cause)
			*cause = strdup("out of memory");
		return VG_ENOMEM;
	}
	set->e[set->n].id = idc;
	set->e[set->n].schema = s;
	set->n++;
	qsort(set->e, set->n, sizeof(*set->e), entry_cmp);
	return 0;
}

const struct jschema *jschema_set_get(const struct jschema_set *set, const char *id)
{
	if (!set || !id || !set->n)
		return NULL;
	struct set_entry key = { .id = (char *)id };
	const struct set_entry *e = bsearch(&key, set->e, set->n, sizeof(*set->e), entry_cmp);
	return e ? e->schema : NULL;
}

size_t jschema_set_count(const struct jschema_set *set)
{
	return set ? set->n : 0;
}
