/*
 * decode.c: the events-v1 fast path (data/jtok tokens walked against per-section
 * field tables), the OTLP/JSON path (jansson) and the UTF-8 check both share.
 *
 * The fast path never allocates per line: tokens, unescaped strings, header
 * views and embedding floats live in buffers the decoder grows and reuses.
 * Unescaping never makes a string longer, so a scratch of the line's length
 * holds every unescaped string of the line at once and pointers into it stay
 * valid while the line is being decoded.
 */
#include "data/decode.h"

#include "core/normalise.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include "data/jtok.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADERS 64

struct decoder {
	struct jtok *tok;
	unsigned ntok_cap;
	char *scratch; /* unescaped strings of the current line */
	size_t scratch_cap, scratch_used;
	float *floats; /* response.embedding */
	size_t floats_cap;
	struct norm_header headers[MAX_HEADERS];
	struct observation *obs; /* results (one for events-v1, many for OTLP) */
	size_t obs_cap;
};

static const char *const reason_names[DR__COUNT] = {
	"none",       "not_utf8",      "too_long",  "not_json",
	"not_object", "missing_field", "bad_field", "unknown_schema_version",
};

const char *decode_reason_name(enum decode_reason r)
{
	return (unsigned)r < DR__COUNT ? reason_names[r] : "unknown";
}

int decode_format_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "auto") == 0)
		return DECODE_AUTO;
	if (strcmp(s, "vigil") == 0)
		return DECODE_VIGIL;
	if (strcmp(s, "otlp") == 0)
		return DECODE_OTLP;
	return -1;
}

struct decoder *decoder_new(void)
{
	struct decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ntok_cap = 256;
	d->tok = malloc(d->ntok_cap * sizeof(*d->tok));
	/* jtok_parse() grows it as lines need */
	d->obs_cap = 1;
	d->obs = malloc(sizeof(*d->obs));
	if (!d->tok || !d->obs) {
		decoder_free(d);
		return NULL;
	}
	return d;
}

void decoder_free(struct decoder *d)
{
	if (!d)
		return;
	free(d->tok);
	free(d->scratch);
	free(d->floats);
	free(d->obs);
	free(d);
}

/* ---- UTF-8 ------------------------------------------------------------------ */

bool decode_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;
	/* ASCII fast path: 32 bytes at a time while there is no high bit (most
	 * lines are all ASCII), then eight at a time around the rest. */
	while (i + 32 <= len) {
		uint64_t w[4];
		memcpy(w, s + i, 32);
		if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) != 0)
			break;
		i += 32;
	}
	while (i < len) {
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned min;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			unsigned cc = s[i + k];
			if ((cc & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (cc & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* ---- small parsers ------------------------------------------------------------ */

static const double pow10_tab[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
	                            1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	                            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/*
 * A JSON number, locale-free. Exact for up to 19 significant digits and small
 * exponents (the numbers gateways write); otherwise within a rounding step.
 * *is_int tells whether it had neither fraction nor exponent.
 */
static bool parse_json_number(const char *s, size_t len, double *out, int64_t *iout, bool *is_int)
{
	/* The common case first: [-]digits[.digits], 18 digits at most, no
	 * exponent; exact, and the same value the general path gives. */
	{
		const char *p = s, *e = s + len;
		bool fneg = p < e && *p == '-';
		p += fneg;
		const char *d0 = p;
		uint64_t m = 0;
		while (p < e && (unsigned)(*p - '0') < 10)
			m = m * 10 + (uint64_t)(*p++ - '0');
		size_t nint = (size_t)(p - d0), nfrac = 0;
		bool ok = nint > 0 && !(nint > 1 && *d0 == '0');
		if (ok && p < e && *p == '.') {
			const char *f0 = ++p;
			while (p < e && (unsigned)(*p - '0') < 10)
				m = m * 10 + (uint64_t)(*p++ - '0');
			nfrac = (size_t)(p - f0);
			ok = nfrac > 0;
		}
		if (ok && p == e && nint + nfrac <= 18) {
			double v = (double)m;
			if (nfrac)
				v /= pow10_tab[nfrac];
			*out = fneg ? -v : v;
			*is_int = nfrac == 0;
			if (*is_int)
				*iout = fneg ? -(int64_t)m : (int64_t)m;
			return true;
		}
	}
	size_t i = 0;
	bool neg = false;
	uint64_t mant = 0;
	int digits = 0, exp10 = 0, dropped = 0;
	if (i < len && s[i] == '-') {
		neg = true;
		i++;
	}
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
		return false; /* leading zero */
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (digits < 19) {
			mant = mant * 10 + (uint64_t)(s[i] - '0');
			if (mant)
				digits++;
		} else {
			dropped++;
		}
	}
	bool integral = true;
	if (i < len && s[i] == '.') {
		integral = false;
		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return false;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(s[i] - '0');
				if (mant)
					digits++;
				exp10--;
			}
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		integral = false;
		i++;
		bool eneg = false;
		int e = 0;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= len || s[i] < '0' || s[i] > '9')
			return false;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (e < 10000)
				e = e * 10 + (s[i] - '0');
		}
		exp10 += eneg ? -e : e;
	}
	if (i != len)
		return false;
	exp10 += dropped;
	double v = (double)mant;
	if (exp10 < 0 && exp10 >= -22)
		v /= pow10_tab[-exp10];
	else if (exp10 > 0 && exp10 <= 22)
		v *= pow10_tab[exp10];
	else if (exp10 != 0)
		v *= pow(10.0, exp10);
	*out = neg ? -v : v;
	*is_int = integral && dropped == 0 && mant <= (uint64_t)INT64_MAX;
	if (*is_int)
		*iout = neg ? -(int64_t)mant : (int64_t)mant;
	return true;
}

static void put_utf8(char *dst, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		dst[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		dst[(*n)++] = (char)(0xC0 | (cp >> 6));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		dst[(*n)++] = (char)(0xE0 | (cp >> 12));
		dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		dst[(*n)++] = (char)(0xF0 | (cp >> 18));
		dst[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *s, size_t len, size_t i, uint32_t *out)
{
	if (i + 4 > len)
		return false;
	uint32_t v = 0;
	for (size_t k = 0; k < 4; k++) {
		int h = hexval(s[i + k]);
		if (h < 0)
			return false;
		v = (v << 4) | (uint32_t)h;
	}
	*out = v;
	return true;
}

/* Unescape a JSON string body into dst (room for len bytes); returns the length or -1. */
static long unescape(const char *s, size_t len, char *dst)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((unsigned char)c < 0x20)
			return -1;
		if (c != '\\') {
			dst[n++] = c;
			continue;
		}
		if (++i >= len)
			return -1;
		switch (s[i]) {
		case '"': dst[n++] = '"'; break;
		case '\\': dst[n++] = '\\'; break;
		case '/': dst[n++] = '/'; break;
		case 'b': dst[n++] = '\b'; break;
		case 'f': dst[n++] = '\f'; break;
		case 'n': dst[n++] = '\n'; break;
		case 'r': dst[n++] = '\r'; break;
		case 't': dst[n++] = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (!hex4(s, len, i + 1, &cp))
				return -1;
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (i + 2 < len && s[i + 1] == '\\' && s[i + 2] == 'u' &&
				    hex4(s, len, i + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					i += 6;
				} else {
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			put_utf8(dst, &n, cp);
			break;
		}
		default: return -1;
		}
	}
	return (long)n;
}

/* ---- the events-v1 field tables ---------------------------------------------------- */

enum ftype {
	F_VERSION,
	F_TS,
	F_ID,   /* request_id: string into a fixed buffer, required */
	F_PROV, /* provider: string, required; sets kind */
	F_STR,
	F_INT32,
	F_STATUS, /* http.status: an HTTP status code, 100..599 */
	F_INT64,
	F_DOUBLE,
	F_TRI,
	F_TRAFFIC,
	F_SELECTION,
	F_TRANSPORT,
	F_HEADERS,
	F_BODY,
	F_FINISH,
	F_BLOCK,
	F_TEXT,
	F_CONTEXT,
	F_EMBEDDING,
	F_SECTION, /* a nested object with its own table */
	F_OTLP,    /* resourceSpans at the top: the line is OTLP */
};

struct field {
	const char *name;
	uint8_t name_len;
	uint8_t type;
	uint16_t size; /* strings: the buffer's size; F_INT32: the smallest valid value */
	size_t offset;
	const struct field *sub; /* F_SECTION */
	const char *path;        /* dotted name for messages */
};

#define O(m) offsetof(struct observation, m)
#define S(m) sizeof(((struct observation *)0)->m)
#define FLD(n, t, off, sz, p)                                                                      \
	{                                                                                          \
		n, sizeof(n) - 1, t, sz, off, NULL, p                                              \
	}
#define END                                                                                        \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL, NULL                                                       \
	}

static const struct field selection_fields[] = {
	FLD("reason", F_SELECTION, O(selection_reason), 0, "selection.reason"),
	FLD("after_failure_of", F_STR, O(after_failure_of), S(after_failure_of),
	    "selection.after_failure_of"),
	FLD("attempt", F_INT32, O(attempt), 1, "selection.attempt"),
	END,
};

static const struct field transport_fields[] = {
	FLD("dns_ms", F_DOUBLE, O(dns_ms), 0, "transport.dns_ms"),
	FLD("connect_ms", F_DOUBLE, O(connect_ms), 0, "transport.connect_ms"),
	FLD("tls_ms", F_DOUBLE, O(tls_ms), 0, "transport.tls_ms"),
	FLD("ttfb_ms", F_DOUBLE, O(ttfb_ms), 0, "transport.ttfb_ms"),
	FLD("total_ms", F_DOUBLE, O(total_ms), 0, "transport.total_ms"),
	FLD("error", F_TRANSPORT, O(transport_error), 0, "transport.error"),
	END,
};

static const struct field http_fields[] = {
	FLD("status", F_STATUS, O(http_status), 0, "http.status"),
	FLD("headers", F_HEADERS, 0, 0, "http.headers"),
	FLD("body_bytes", F_INT64, O(body_bytes), 0, "http.body_bytes"),
	FLD("body", F_BODY, 0, 0, "http.body"),
	END,
};

static const struct field response_fields[] = {
	FLD("finish_reason", F_FINISH, 0, 0, "response.finish_reason"),
	FLD("block_reason", F_BLOCK, 0, 0, "response.block_reason"),
	FLD("text", F_TEXT, 0, 0, "response.text"),
	FLD("schema_id", F_STR, O(schema_id), S(schema_id), "response.schema_id"),
	FLD("schema_valid", F_TRI, O(verdicts.schema_valid), 0, "response.schema_valid"),
	FLD("embedding", F_EMBEDDING, 0, 0, "response.embedding"),
	END,
};

static const struct field usage_fields[] = {
	FLD("input_tokens", F_INT64, O(input_tokens), 0, "usage.input_tokens"),
	FLD("output_tokens", F_INT64, O(output_tokens), 0, "usage.output_tokens"),
	FLD("cached_input_tokens", F_INT64, O(cached_input_tokens), 0, "usage.cached_input_tokens"),
	FLD("predicted_input_tokens", F_INT64, O(predicted_input_tokens), 0,
	    "usage.predicted_input_tokens"),
	END,
};

static const struct field context_fields[] = {
	FLD("text", F_CONTEXT, 0, 0, "context.text"),
	FLD("doc_age_s", F_DOUBLE, O(doc_age_s), 0, "context.doc_age_s"),
	FLD("top_similarity", F_DOUBLE, O(top_similarity), 1, "context.top_similarity"),
	END,
};

#define SEC(n, t)                                                                                  \
	{                                                                                          \
		n, sizeof(n) - 1, F_SECTION, 0, 0, t, n                                            \
	}

static const struct field top_fields[] = {
	FLD("schema_version", F_VERSION, 0, 0, "schema_version"),
	FLD("ts", F_TS, O(ts_ms), 0, "ts"),
	FLD("request_id", F_ID, O(request_id), S(request_id), "request_id"),
	FLD("provider", F_PROV, O(pid.provider), S(pid.provider), "provider"),
	FLD("model", F_STR, O(pid.model), S(pid.model), "model"),
	FLD("region", F_STR, O(pid.region), S(pid.region), "region"),
	FLD("key_alias", F_STR, O(pid.key_alias), S(pid.key_alias), "key_alias"),
	FLD("template", F_STR, O(template_id), S(template_id), "template"),
	FLD("traffic_class", F_TRAFFIC, O(traffic_class), 0, "traffic_class"),
	SEC("selection", selection_fields),
	FLD("stream", F_TRI, O(stream), 0, "stream"),
	SEC("transport", transport_fields),
	SEC("http", http_fields),
	SEC("response", response_fields),
	SEC("usage", usage_fields),
	FLD("cost_usd", F_DOUBLE, O(cost_usd), 0, "cost_usd"),
	FLD("retry_count", F_INT32, O(retry_count), 0, "retry_count"),
	SEC("context", context_fields),
	FLD("resourceSpans", F_OTLP, 0, 0, "resourceSpans"),
	END,
};

static const struct field *find_field(const struct field *tab, const char *k, size_t kl)
{
	for (const struct field *f = tab; f->name; f++) {
		if (f->name_len == kl && f->name[0] == k[0] && memcmp(f->name, k, kl) == 0)
			return f;
	}
	return NULL;
}

/* find_field() starting after the previous match: gateways write keys in
 * the documented order, which is the tables' order, so the first try hits. */
static const struct field *find_field_from(const struct field *tab, const char *k, size_t kl,
                                           const struct field **cursor)
{
	const struct field *start = *cursor ? *cursor : tab;
	for (const struct field *f = start; f->name; f++) {
		if (f->name_len == kl && f->name[0] == k[0] && memcmp(f->name, k, kl) == 0) {
			*cursor = f + 1;
			return f;
		}
	}
	for (const struct field *f = tab; f != start; f++) {
		if (f->name_len == kl && f->name[0] == k[0] && memcmp(f->name, k, kl) == 0) {
			*cursor = f + 1;
			return f;
		}
	}
	return NULL;
}

/* ---- the walk --------------------------------------------------------------------- */

enum { REQ_VERSION = 1, REQ_TS = 2, REQ_ID = 4, REQ_PROV = 8, REQ_ALL = 15 };

struct v1 {
	struct decoder *d;
	const char *js;
	size_t len;
	int ntok;
	struct observation *obs;
	struct decode_result *res;
	unsigned seen;
	/* raw material for normalise, collected during the walk */
	const char *body;
	size_t body_len;
	size_t nheaders;
	const char *finish; /* flat response.finish_reason, unescaped */
	size_t finish_len;
	const char *block;
	size_t block_len;
	bool auto_format; /* DECODE_AUTO: resourceSpans switches to OTLP */
};

static int fail(struct v1 *v, enum decode_reason r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct v1 *v, enum decode_reason r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->res->detail, sizeof(v->res->detail), fmt, ap);
	va_end(ap);
	v->res->reason = r;
	return -1;
}

/* Index of the token after the subtree rooted at i. */
static inline int skip(const struct v1 *v, int i)
{
	if (v->d->tok[i].type == JTOK_STRING || v->d->tok[i].type == JTOK_PRIMITIVE)
		return i + 1; /* no children */
	int end = v->d->tok[i].end;
	int j = i + 1;
	while (j < v->ntok && v->d->tok[j].start < end)
		j++;
	return j;
}

/* A string token, unescaped when it has escapes. Returns false when malformed. */
static bool tok_string(struct v1 *v, int i, const char **s, size_t *len)
{
	const struct jtok *t = &v->d->tok[i];
	const char *p = v->js + t->start;
	size_t n = (size_t)(t->end - t->start);
	if (!t->escaped) {
		/* the tokenizer has checked it: no escape, no control character */
		*s = p;
		*len = n;
		return true;
	}
	/* each string is unescaped once and shrinks: the scratch (line length)
	 * holds them all; refuse rather than overflow if that ever fails */
	if (v->d->scratch_used + n > v->d->scratch_cap)
		return false;
	char *dst = v->d->scratch + v->d->scratch_used;
	long m = unescape(p, n, dst);
	if (m < 0)
		return false;
	v->d->scratch_used += (size_t)m;
	*s = dst;
	*len = (size_t)m;
	return true;
}

#define is_literal(p, n, lit) ((n) == sizeof(lit) - 1 && memcmp(p, lit, sizeof(lit) - 1) == 0)

static bool tok_is_null(const struct v1 *v, int i)
{
	const struct jtok *t = &v->d->tok[i];
	return t->type == JTOK_PRIMITIVE &&
	       is_literal(v->js + t->start, (size_t)(t->end - t->start), "null");
}

static int bad_type(struct v1 *v, const struct field *f, const char *want)
{
	return fail(v, DR_BAD_FIELD, "field '%s' must be %s", f->path, want);
}

static int tok_number(struct v1 *v, int i, const struct field *f, double *d, int64_t *iv,
                      bool *is_int)
{
	const struct jtok *t = &v->d->tok[i];
	if (t->type != JTOK_PRIMITIVE ||
	    !parse_json_number(v->js + t->start, (size_t)(t->end - t->start), d, iv, is_int))
		return bad_type(v, f, "a number");
	return 0;
}

static int set_field(struct v1 *v, const struct field *f, int i);

/* Walk the object at token i against table tab. Returns the next token or -1. */
static int walk_object(struct v1 *v, int i, const struct field *tab, const char *section)
{
	const struct jtok *o = &v->d->tok[i];
	int nkeys = o->size;
	int j = i + 1;
	const struct field *cursor = NULL;
	for (int k = 0; k < nkeys; k++) {
		if (j >= v->ntok)
			return fail(v, DR_NOT_JSON, "truncated object");
		const struct jtok *key = &v->d->tok[j];
		if (key->type != JTOK_STRING || key->size != 1 || j + 1 >= v->ntok)
			return fail(v, DR_NOT_JSON, "malformed object at byte %d", key->start);
		const char *kn = v->js + key->start;
		size_t kl = (size_t)(key->end - key->start);
		const struct field *f = find_field_from(tab, kn, kl, &cursor);
		if (!f && !section) {
			/* a flat dotted key at the top: "selection.attempt" */
			const char *dot = memchr(kn, '.', kl);
			if (dot) {
				const struct field *sec =
				        find_field(top_fields, kn, (size_t)(dot - kn));
				if (sec && sec->type == F_SECTION)
					f = find_field(sec->sub, dot + 1,
					               kl - (size_t)(dot - kn) - 1);
			}
		}
		int vi = j + 1;
		int next;
		if (!f) {
			next = skip(v, vi);
		} else if (f->type == F_SECTION) {
			if (v->d->tok[vi].type != JTOK_OBJECT) {
				if (tok_is_null(v, vi)) {
					next = vi + 1;
				} else {
					return fail(v, DR_BAD_FIELD, "field '%s' must be an object",
					            f->path);
				}
			} else {
				next = walk_object(v, vi, f->sub, f->name);
			}
		} else {
			int src = set_field(v, f, vi);
			if (src < 0)
				return src;
			next = skip(v, vi);
		}
		if (next < 0)
			return -1;
		j = next;
	}
	return j;
}

static int set_headers(struct v1 *v, const struct field *f, int i)
{
	const struct jtok *o = &v->d->tok[i];
	if (o->type != JTOK_OBJECT)
		return tok_is_null(v, i) ? 0 : bad_type(v, f, "an object");
	int end = skip(v, i);
	int j = i + 1;
	for (int k = 0; k < o->size; k++) {
		if (j + 1 >= end)
			return fail(v, DR_NOT_JSON, "truncated http.headers");
		const struct jtok *key = &v->d->tok[j];
		int vi = j + 1;
		if (key->type != JTOK_STRING || key->size != 1)
			return fail(v, DR_NOT_JSON, "malformed http.headers at byte %d",
			            key->start);
		if (v->d->tok[vi].type == JTOK_STRING && v->nheaders < MAX_HEADERS) {
			struct norm_header *h = &v->d->headers[v->nheaders];
			if (!tok_string(v, j, &h->name, &h->name_len) ||
			    !tok_string(v, vi, &h->value, &h->value_len))
				return fail(v, DR_NOT_JSON, "bad string in http.headers");
			if ((v->d->tok[j].escaped && memchr(h->name, 0, h->name_len)) ||
			    (v->d->tok[vi].escaped && memchr(h->value, 0, h->value_len)))
				return fail(
				        v, DR_BAD_FIELD,
				        "field 'http.headers' contains a NUL character (\\u0000)");
			v->nheaders++;
		}
		j = skip(v, vi);
	}
	if (j != end)
		return fail(v, DR_NOT_JSON, "malformed http.headers");
	return 0;
}

static int set_embedding(struct v1 *v, const struct field *f, int i)
{
	const struct jtok *a = &v->d->tok[i];
	if (a->type != JTOK_ARRAY)
		return tok_is_null(v, i) ? 0 : bad_type(v, f, "an array of numbers");
	size_t n = (size_t)a->size;
	if (n > v->d->floats_cap) {
		float *nf = realloc(v->d->floats, n * sizeof(float));
		if (!nf)
			return -2;
		v->d->floats = nf;
		v->d->floats_cap = n;
	}
	for (size_t k = 0; k < n; k++) {
		double d;
		int64_t iv;
		bool ii;
		if (tok_number(v, i + 1 + (int)k, f, &d, &iv, &ii) < 0)
			return -1;
		v->d->floats[k] = (float)d;
	}
	v->obs->embedding = n ? v->d->floats : NULL;
	v->obs->embedding_len = n;
	return 0;
}

static int set_field(struct v1 *v, const struct field *f, int i)
{
	const struct jtok *t = &v->d->tok[i];
	char *base = (char *)v->obs;
	const char *s;
	size_t sl;
	double d;
	int64_t iv;
	bool is_int;

	/* null means "not measured" for every optional field */
	if (tok_is_null(v, i) && f->type != F_VERSION && f->type != F_TS && f->type != F_ID &&
	    f->type != F_PROV)
		return 0;
	switch ((enum ftype)f->type) {
	case F_VERSION:
		if (tok_number(v, i, f, &d, &iv, &is_int) < 0 || !is_int)
			return bad_type(v, f, "an integer");
		if (iv > 1)
			return fail(v, DR_UNKNOWN_VERSION,
			            "schema_version %lld is newer than this vigil knows (1)",
			            (long long)iv);
		if (iv < 1)
			return fail(v, DR_BAD_FIELD, "schema_version %lld is not valid",
			            (long long)iv);
		v->seen |= REQ_VERSION;
		return 0;
	case F_TS:
		if (t->type != JTOK_STRING || !tok_string(v, i, &s, &sl))
			return bad_type(v, f, "an RFC 3339 string");
		if (timeparse_rfc3339(s, sl, &v->obs->ts_ms) != 0)
			return fail(v, DR_BAD_FIELD, "field 'ts' is not an RFC 3339 time");
		v->seen |= REQ_TS;
		return 0;
	case F_ID:
	case F_PROV:
	case F_STR:
		if (t->type != JTOK_STRING || !tok_string(v, i, &s, &sl))
			return bad_type(v, f, "a string");
		if ((f->type == F_ID || f->type == F_PROV) && sl == 0)
			return fail(v, DR_BAD_FIELD, "field '%s' is empty", f->path);
		/* kept whole or not at all: a string cut at a NUL, or an id cut at
		 * the buffer's end, would merge two requests (or providers) into one.
		 * Longer descriptive names (a Vertex model's resource path) are cut
		 * at a character boundary: documented in docs/events.md. */
		if (v->d->tok[i].escaped && memchr(s, 0, sl))
			return fail(v, DR_BAD_FIELD,
			            "field '%s' contains a NUL character (\\u0000)", f->path);
		if ((f->type == F_ID || f->type == F_PROV) && sl >= f->size)
			return fail(v, DR_BAD_FIELD, "field '%s' is longer than %u bytes", f->path,
			            (unsigned)f->size - 1);
		model_copy_str(base + f->offset, f->size, s, sl);
		if (f->type == F_ID)
			v->seen |= REQ_ID;
		if (f->type == F_PROV) {
			v->seen |= REQ_PROV;
			v->obs->kind = model_provider_kind_from_name(s, sl);
		}
		return 0;
	case F_STATUS:
		if (tok_number(v, i, f, &d, &iv, &is_int) < 0 || !is_int)
			return bad_type(v, f, "an integer");
		if (iv < 100 || iv > 599)
			return fail(v, DR_BAD_FIELD,
			            "field '%s' out of range (%lld; an HTTP status is 100 to 599)",
			            f->path, (long long)iv);
		*(int32_t *)(void *)(base + f->offset) = (int32_t)iv;
		return 0;
	case F_INT32:
	case F_INT64:
		if (tok_number(v, i, f, &d, &iv, &is_int) < 0 || !is_int)
			return bad_type(v, f, "an integer");
		if (f->type == F_INT32) {
			if (iv < (int64_t)f->size || iv > INT32_MAX)
				return fail(v, DR_BAD_FIELD, "field '%s' out of range (%lld)",
				            f->path, (long long)iv);
			*(int32_t *)(void *)(base + f->offset) = (int32_t)iv;
		} else {
			if (iv < 0)
				return fail(v, DR_BAD_FIELD, "field '%s' is negative", f->path);
			*(int64_t *)(void *)(base + f->offset) = iv;
		}
		return 0;
	case F_DOUBLE:
		if (tok_number(v, i, f, &d, &iv, &is_int) < 0)
			return -1;
		/* durations, ages and costs are not negative (size 1 marks the
		 * similarity, which may be); nothing real comes near 1e12 */
		if (!isfinite(d) || d > 1e12 || d < (f->size == 1 ? -1e12 : 0))
			return fail(v, DR_BAD_FIELD, "field '%s' out of range", f->path);
		*(double *)(void *)(base + f->offset) = d;
		return 0;
	case F_TRI:
		if (t->type != JTOK_PRIMITIVE ||
		    (!is_literal(v->js + t->start, (size_t)(t->end - t->start), "true") &&
		     !is_literal(v->js + t->start, (size_t)(t->end - t->start), "false")))
			return bad_type(v, f, "true or false");
		*(int8_t *)(base + f->offset) = v->js[t->start] == 't' ? VG_TRI_TRUE : VG_TRI_FALSE;
		return 0;
	case F_TRAFFIC:
	case F_SELECTION:
	case F_TRANSPORT: {
		if (t->type != JTOK_STRING || !tok_string(v, i, &s, &sl))
			return bad_type(v, f, "a string");
		if (v->d->tok[i].escaped && memchr(s, 0, sl))
			return fail(v, DR_BAD_FIELD,
			            "field '%s' contains a NUL character (\\u0000)", f->path);
		int e = f->type == F_TRAFFIC     ? model_traffic_class_parse(s, sl)
		        : f->type == F_SELECTION ? model_selection_reason_parse(s, sl)
		                                 : model_transport_error_parse(s, sl);
		if (e < 0) {
			/* An unknown class or reason is "not given"; an unknown transport
			 * error would count a failed request as a success: refuse it. */
			if (f->type != F_TRANSPORT)
				return 0;
			return fail(v, DR_BAD_FIELD,
			            "field 'transport.error' has unknown value '%.*s'",
			            (int)(sl > 40 ? 40 : sl), s);
		}
		*(int *)(void *)(base + f->offset) = e;
		return 0;
	}
	case F_HEADERS: return set_headers(v, f, i);
	case F_BODY:
		if (t->type == JTOK_STRING) {
			if (!tok_string(v, i, &v->body, &v->body_len))
				return fail(v, DR_NOT_JSON, "bad string in http.body");
		} else {
			v->body = v->js + t->start;
			v->body_len = (size_t)(t->end - t->start);
		}
		return 0;
	case F_FINISH:
	case F_BLOCK:
		if (t->type != JTOK_STRING || !tok_string(v, i, &s, &sl))
			return bad_type(v, f, "a string");
		if (v->d->tok[i].escaped && memchr(s, 0, sl))
			return fail(v, DR_BAD_FIELD,
			            "field '%s' contains a NUL character (\\u0000)", f->path);
		if (f->type == F_FINISH) {
			v->finish = s;
			v->finish_len = sl;
		} else {
			v->block = s;
			v->block_len = sl;
		}
		return 0;
	case F_TEXT:
	case F_CONTEXT:
		if (t->type != JTOK_STRING || !tok_string(v, i, &s, &sl))
			return bad_type(v, f, "a string");
		if (f->type == F_TEXT) {
			v->obs->text = s;
			v->obs->text_len = sl;
		} else {
			v->obs->context_text = s;
			v->obs->context_len = sl;
		}
		return 0;
	case F_EMBEDDING: return set_embedding(v, f, i);
	case F_OTLP: return v->auto_format ? -3 : 0;
	case F_SECTION: break;
	}
	return 0;
}

static const char *const required_names[] = { "schema_version", "ts", "request_id", "provider" };

/* Fill norm from the collected status, headers and body, then the flat fields. */
static void v1_normalise(struct v1 *v)
{
	struct observation *o = v->obs;
	struct norm_input in;
	memset(&in, 0, sizeof(in));
	in.kind = o->kind;
	in.status = o->http_status;
	in.transport = o->transport_error;
	in.headers = v->d->headers;
	in.nheaders = v->nheaders;
	in.body = v->body;
	in.body_len = v->body_len;
	in.now_ms = observation_end_ms(o);
	/* With neither a status nor a transport error the outcome was not
	 * reported: leave the signals unset rather than call it a failure. */
	if (o->http_status >= 0 || o->transport_error != TE_NONE)
		normalise_response(&in, &o->norm);
	if (v->finish) {
		model_copy_str(o->norm.finish_raw, sizeof(o->norm.finish_raw), v->finish,
		               v->finish_len);
		o->norm.finish = normalise_finish_reason(v->finish, v->finish_len);
	}
	if (v->block && v->block_len) {
		model_copy_str(o->norm.block_reason, sizeof(o->norm.block_reason), v->block,
		               v->block_len);
		o->norm.safety_block = true;
		if (o->norm.error_class == EC_OK)
			o->norm.error_class = EC_CONTENT_FILTER;
	}
}

static int decode_otlp(struct decoder *d, const char *js, int ntok, struct decode_result *res);

static int decode_v1(struct decoder *d, const char *js, size_t len, int ntok, bool auto_format,
                     struct decode_result *res)
{
	struct v1 v;
	memset(&v, 0, sizeof(v));
	v.d = d;
	v.js = js;
	v.len = len;
	v.ntok = ntok;
	v.obs = &d->obs[0];
	v.res = res;
	v.auto_format = auto_format;
	observation_init(v.obs);
	v.obs->source = OBS_GATEWAY;
	int r = walk_object(&v, 0, top_fields, NULL);
	if (r == -2)
		return VG_ENOMEM;
	if (r == -3) {
		/* a top-level resourceSpans: an OTLP line */
		memset(res, 0, sizeof(*res));
		d->scratch_used = 0;
		return decode_otlp(d, js, ntok, res);
	}
	if (r < 0)
		return 0;
	if ((v.seen & REQ_ALL) != REQ_ALL) {
		for (unsigned k = 0; k < 4; k++) {
			if (!(v.seen & (1u << k))) {
				fail(&v, DR_MISSING_FIELD, "missing required field '%s'",
				     required_names[k]);
				return 0;
			}
		}
	}
	v1_normalise(&v);
	res->obs = d->obs;
	res->n_obs = 1;
	return 0;
}

/* ---- OTLP/JSON ---------------------------------------------------------------------- */

static int grow_obs(struct decoder *d, size_t need)
{
	if (need <= d->obs_cap)
		return 0;
	size_t ncap = d->obs_cap * 2 > need ? d->obs_cap * 2 : need;
	struct observation *no = realloc(d->obs, ncap * sizeof(*no));
	if (!no)
		return VG_ENOMEM;
	d->obs = no;
	d->obs_cap = ncap;
	return 0;
}

/* The value of an OTLP AnyValue as a string / integer / string array element 0. */
static const char *any_string(json_t *val)
{
	return json_string_value(json_object_get(val, "stringValue"));
}

static bool any_int(json_t *val, int64_t *out)
{
	json_t *iv = json_object_get(val, "intValue");
	if (json_is_integer(iv)) {
		*out = (int64_t)json_integer_value(iv);
		return true;
	}
	/* proto3 JSON writes int64 as a string */
	const char *s = json_string_value(iv);
	if (!s) {
		json_t *dv = json_object_get(val, "doubleValue");
		if (json_is_number(dv)) {
			/* a whole number within int64 only (a cast of 1e300 is undefined) */
			double x = json_number_value(dv);
			if (!(x >= -9.2e18 && x <= 9.2e18) || x != floor(x))
				return false;
			*out = (int64_t)x;
			return true;
		}
		s = any_string(val);
	}
	double d;
	bool ii;
	return s && parse_json_number(s, strlen(s), &d, out, &ii) && ii;
}

static const char *any_first_string(json_t *val)
{
	json_t *arr = json_object_get(json_object_get(val, "arrayValue"), "values");
	if (json_is_array(arr) && json_array_size(arr) > 0)
		return any_string(json_array_get(arr, 0));
	return any_string(val);
}

static bool nanos(json_t *v, int64_t *ms, int64_t *sub_ns)
{
	if (json_is_integer(v)) {
		int64_t n = (int64_t)json_integer_value(v);
		*ms = n / 1000000;
		*sub_ns = n % 1000000;
		return n > 0;
	}
	const char *s = json_string_value(v);
	if (!s)
		return false;
	/* up to 19 digits: a uint64 of nanoseconds */
	uint64_t n = 0;
	size_t l = strlen(s);
	if (l == 0 || l > 19)
		return false;
	for (size_t k = 0; k < l; k++) {
		if (s[k] < '0' || s[k] > '9')
			return false;
		n = n * 10 + (uint64_t)(s[k] - '0');
	}
	if (n == 0 || n > (uint64_t)INT64_MAX)
		return false;
	*ms = (int64_t)(n / 1000000);
	*sub_ns = (int64_t)(n % 1000000);
	return true;
}

struct otlp_attr {
	const char *provider, *system, *req_model, *resp_model, *finish, *error_type, *server;
	json_t *in_tok, *out_tok, *cached_tok, *status; /* validated in otlp_span() */
	const char *in_key, *out_key, *cached_key;
};

static void otlp_attrs(json_t *attrs, struct otlp_attr *a)
{
	size_t k;
	json_t *kv;
	json_array_foreach (attrs, k, kv) {
		const char *key = json_string_value(json_object_get(kv, "key"));
		json_t *val = json_object_get(kv, "value");
		if (!key || !json_is_object(val))
			continue;
		if (strcmp(key, "gen_ai.provider.name") == 0)
			a->provider = any_string(val);
		else if (strcmp(key, "gen_ai.system") == 0)
			a->system = any_string(val);
		else if (strcmp(key, "gen_ai.request.model") == 0)
			a->req_model = any_string(val);
		else if (strcmp(key, "gen_ai.response.model") == 0)
			a->resp_model = any_string(val);
		else if (strcmp(key, "gen_ai.response.finish_reasons") == 0)
			a->finish = any_first_string(val);
		else if (strcmp(key, "error.type") == 0)
			a->error_type = any_string(val);
		else if (strcmp(key, "server.address") == 0)
			a->server = any_string(val);
		else if (strcmp(key, "gen_ai.usage.input_tokens") == 0 ||
		         strcmp(key, "gen_ai.usage.prompt_tokens") == 0)
			a->in_tok = val, a->in_key = key;
		else if (strcmp(key, "gen_ai.usage.output_tokens") == 0 ||
		         strcmp(key, "gen_ai.usage.completion_tokens") == 0)
			a->out_tok = val, a->out_key = key;
		else if (strcmp(key, "gen_ai.usage.cache_read.input_tokens") == 0 ||
		         strcmp(key, "gen_ai.usage.cached_input_tokens") == 0)
			a->cached_tok = val, a->cached_key = key;
		else if (strcmp(key, "http.response.status_code") == 0 ||
		         strcmp(key, "http.status_code") == 0)
			a->status = val;
	}
}

static void otlp_note(struct decode_result *res, size_t *nbad, size_t ri, size_t si, size_t pi,
                      const char *what)
{
	if ((*nbad)++ == 0) {
		res->reason = DR_BAD_FIELD;
		snprintf(res->detail, sizeof(res->detail),
		         "resourceSpans[%zu].scopeSpans[%zu].spans[%zu]: %s", ri, si, pi, what);
	}
}

/* A token count attribute: absent (VG_NONE), or a non-negative integer;
 * anything else is a bad span, as in events-v1 (never read as absent). */
static bool otlp_count(json_t *val, const char *key, int64_t *out, char *why, size_t whysz)
{
	*out = VG_NONE;
	if (!val)
		return true;
	int64_t n;
	if (!any_int(val, &n)) {
		snprintf(why, whysz, "attribute '%s' must be an integer", key);
		return false;
	}
	if (n < 0) {
		snprintf(why, whysz, "attribute '%s' is negative", key);
		return false;
	}
	*out = n;
	return true;
}

/* One span -> obs. Returns 1 decoded, 0 not a GenAI span, -1 bad (noted). */
static int otlp_span(json_t *span, struct observation *o, struct decode_result *res, size_t *nbad,
                     size_t ri, size_t si, size_t pi)
{
	if (!json_is_object(span)) {
		otlp_note(res, nbad, ri, si, pi, "a span must be an object");
		return -1;
	}
	struct otlp_attr a;
	memset(&a, 0, sizeof(a));
	json_t *attrs = json_object_get(span, "attributes");
	if (attrs && !json_is_array(attrs) && !json_is_null(attrs)) {
		otlp_note(res, nbad, ri, si, pi, "field 'attributes' must be an array");
		return -1;
	}
	otlp_attrs(attrs, &a);
	const char *prov = a.provider ? a.provider : a.system;
	if (!prov)
		return 0;
	observation_init(o);
	o->source = OBS_GATEWAY;
	int64_t start_ms, end_ms, sub_s, sub_e;
	if (!nanos(json_object_get(span, "startTimeUnixNano"), &start_ms, &sub_s)) {
		otlp_note(res, nbad, ri, si, pi, "missing or bad startTimeUnixNano");
		return -1;
	}
	const char *trace = json_string_value(json_object_get(span, "traceId"));
	const char *sid = json_string_value(json_object_get(span, "spanId"));
	if (!sid || !*sid) {
		otlp_note(res, nbad, ri, si, pi, "missing spanId");
		return -1;
	}
	if (!*prov) {
		otlp_note(res, nbad, ri, si, pi, "empty gen_ai.provider.name");
		return -1;
	}
	o->ts_ms = start_ms;
	if (nanos(json_object_get(span, "endTimeUnixNano"), &end_ms, &sub_e) &&
	    (end_ms > start_ms || (end_ms == start_ms && sub_e >= sub_s)))
		o->total_ms = (double)(end_ms - start_ms) + (double)(sub_e - sub_s) / 1e6;
	snprintf(o->request_id, sizeof(o->request_id), "%s%s%s", trace ? trace : "",
	         trace ? "/" : "", sid);
	o->attempt = 1;
	model_copy_str(o->pid.provider, sizeof(o->pid.provider), prov, (size_t)-1);
	o->kind = model_provider_kind_from_name(prov, (size_t)-1);
	const char *model = a.req_model ? a.req_model : a.resp_model;
	if (model)
		model_copy_str(o->pid.model, sizeof(o->pid.model), model, (size_t)-1);
	if (a.server)
		model_copy_str(o->pid.region, sizeof(o->pid.region), a.server, (size_t)-1);
	char why[96];
	if (!otlp_count(a.in_tok, a.in_key, &o->input_tokens, why, sizeof(why)) ||
	    !otlp_count(a.out_tok, a.out_key, &o->output_tokens, why, sizeof(why)) ||
	    !otlp_count(a.cached_tok, a.cached_key, &o->cached_input_tokens, why, sizeof(why))) {
		otlp_note(res, nbad, ri, si, pi, why);
		return -1;
	}
	if (a.status) {
		int64_t st;
		if (!any_int(a.status, &st) || st < 100 || st > 599) {
			otlp_note(res, nbad, ri, si, pi,
			          "attribute 'http.response.status_code' out of range (an HTTP "
			          "status is 100 to 599)");
			return -1;
		}
		o->http_status = (int32_t)st;
	}
	if (a.error_type) {
		int te = model_transport_error_parse(a.error_type, (size_t)-1);
		if (te > 0 && o->http_status < 0)
			o->transport_error = (enum transport_error)te;
	}
	struct norm_input in;
	memset(&in, 0, sizeof(in));
	in.kind = o->kind;
	in.status = o->http_status;
	in.transport = o->transport_error;
	in.now_ms = observation_end_ms(o);
	if (o->http_status >= 0 || o->transport_error != TE_NONE)
		normalise_response(&in, &o->norm);
	if (a.error_type)
		model_copy_str(o->norm.error_type, sizeof(o->norm.error_type), a.error_type,
		               (size_t)-1);
	/* status.code 2 is ERROR: a failure even when no status or type says which */
	json_t *st = json_object_get(json_object_get(span, "status"), "code");
	bool err = (json_is_integer(st) && json_integer_value(st) == 2) ||
	           (json_is_string(st) && strcmp(json_string_value(st), "STATUS_CODE_ERROR") == 0);
	if ((err || a.error_type) && o->norm.error_class == EC_OK && o->http_status < 0 &&
	    o->transport_error == TE_NONE)
		o->norm.error_class = EC_OTHER;
	if (a.finish) {
		model_copy_str(o->norm.finish_raw, sizeof(o->norm.finish_raw), a.finish,
		               (size_t)-1);
		o->norm.finish = normalise_finish_reason(a.finish, strlen(a.finish));
	}
	return 1;
}

/*
 * The line as a jansson tree, built from its jtok tokens (the text is
 * tokenized once). Subtrees deeper than OTLP_MAX_DEPTH become null: the
 * deepest field vigil reads (resourceSpans[].scopeSpans[].spans[]
 * .attributes[].value.arrayValue.values[].stringValue) is at depth 10, so
 * unknown fields of any depth are skipped, never refused, and the building
 * recursion stays short. Strings holding a NUL are refused (bad_field), as
 * in events-v1; a repeated key is not JSON, as jansson's loader said before.
 */
#define OTLP_MAX_DEPTH 24

struct tree {
	struct decoder *d;
	const char *js;
	int ntok;
	int i; /* the next token */
	struct decode_result *res;
	bool nomem;
};

static json_t *tree_fail(struct tree *t, enum decode_reason r, const char *what)
{
	if (!t->res->reason) {
		t->res->reason = r;
		snprintf(t->res->detail, sizeof(t->res->detail), "%s at byte %d", what,
		         (int)t->d->tok[t->i].start);
	}
	return NULL;
}

/* Token t->i as a NUL-terminated string in the scratch (valid until the next call). */
static const char *tree_string(struct tree *t, size_t *len)
{
	const struct jtok *k = &t->d->tok[t->i];
	size_t n = (size_t)(k->end - k->start);
	long m = unescape(t->js + k->start, n, t->d->scratch);
	if (m < 0)
		return NULL;
	t->d->scratch[m] = '\0';
	*len = (size_t)m;
	return t->d->scratch;
}

static json_t *tree_build(struct tree *t, int depth)
{
	const struct jtok *k = &t->d->tok[t->i];
	json_t *v = NULL;
	if (depth > OTLP_MAX_DEPTH) {
		int end = k->end, j = t->i + 1;
		while (j < t->ntok && t->d->tok[j].start < end)
			j++;
		t->i = j;
		if (!(v = json_null()))
			t->nomem = true;
		return v;
	}
	switch ((enum jtok_type)k->type) {
	case JTOK_STRING: {
		size_t n;
		const char *str = tree_string(t, &n);
		if (!str)
			return tree_fail(t, DR_NOT_JSON, "a bad string");
		if (memchr(str, 0, n))
			return tree_fail(t, DR_BAD_FIELD,
			                 "a string contains a NUL character (\\u0000)");
		v = json_stringn(str, n);
		t->i++;
		break;
	}
	case JTOK_PRIMITIVE: {
		const char *p = t->js + k->start;
		size_t n = (size_t)(k->end - k->start);
		double d;
		int64_t iv;
		bool is_int;
		if (is_literal(p, n, "true"))
			v = json_true();
		else if (is_literal(p, n, "false"))
			v = json_false();
		else if (is_literal(p, n, "null"))
			v = json_null();
		else if (parse_json_number(p, n, &d, &iv, &is_int))
			v = is_int ? json_integer((json_int_t)iv) : json_real(d);
		else
			return tree_fail(t, DR_NOT_JSON, "a bad value");
		t->i++;
		break;
	}
	case JTOK_ARRAY: {
		int n = k->size;
		v = json_array();
		t->i++;
		for (int e = 0; v && e < n; e++) {
			json_t *c = tree_build(t, depth + 1);
			if (!c || json_array_append_new(v, c) != 0) {
				json_decref(v);
				return NULL;
			}
		}
		break;
	}
	case JTOK_OBJECT: {
		int n = k->size;
		v = json_object();
		t->i++;
		for (int e = 0; v && e < n; e++) {
			size_t kl;
			const char *key = tree_string(t, &kl);
			if (!key || memchr(key, 0, kl)) {
				json_decref(v);
				return tree_fail(t, key ? DR_BAD_FIELD : DR_NOT_JSON,
				                 key ? "a key contains a NUL character (\\u0000)"
				                     : "a bad key");
			}
			if (json_object_get(v, key)) {
				json_decref(v);
				return tree_fail(t, DR_NOT_JSON, "not JSON: duplicate object key");
			}
			char *kcopy = strdup(key);
			t->i++;
			json_t *c = kcopy ? tree_build(t, depth + 1) : NULL;
			if (!kcopy)
				t->nomem = true;
			if (!c || json_object_set_new(v, kcopy, c) != 0) {
				free(kcopy);
				json_decref(v);
				return NULL;
			}
			free(kcopy);
		}
		break;
	}
	}
	if (!v)
		t->nomem = true;
	return v;
}

static int otlp_bad(struct decode_result *res, const char *what)
{
	res->reason = DR_BAD_FIELD;
	snprintf(res->detail, sizeof(res->detail), "%s", what);
	return 0;
}

static int decode_otlp(struct decoder *d, const char *js, int ntok, struct decode_result *res)
{
	struct tree t = { .d = d, .js = js, .ntok = ntok, .res = res };
	json_t *root = tree_build(&t, 0);
	if (!root) {
		if (t.nomem && !res->reason)
			return VG_ENOMEM;
		return 0;
	}
	int rc = 0;
	size_t n = 0, nbad = 0;
	json_t *rs = json_object_get(root, "resourceSpans");
	if (!json_is_object(root)) {
		res->reason = DR_NOT_OBJECT;
		snprintf(res->detail, sizeof(res->detail), "a JSON value but not an object");
		goto out;
	}
	if (!json_is_array(rs)) {
		res->reason = rs ? DR_BAD_FIELD : DR_MISSING_FIELD;
		snprintf(res->detail, sizeof(res->detail), "%s",
		         rs ? "field 'resourceSpans' must be an array"
		            : "missing required field 'resourceSpans'");
		goto out;
	}
	/* A container of the wrong type is refused, as events-v1 refuses a
	 * field of the wrong type: silently reading it as empty would hide the
	 * spans a broken exporter meant to send. */
	size_t ri, si, pi;
	json_t *r, *ss, *span;
	char where[96];
	json_array_foreach (rs, ri, r) {
		json_t *sss = json_is_object(r) ? json_object_get(r, "scopeSpans") : NULL;
		if (!json_is_object(r) || (sss && !json_is_array(sss) && !json_is_null(sss))) {
			snprintf(where, sizeof(where), "resourceSpans[%zu]%s", ri,
			         json_is_object(r) ? ".scopeSpans must be an array"
			                           : " must be an object");
			n = 0;
			otlp_bad(res, where);
			goto out;
		}
		json_array_foreach (sss, si, ss) {
			json_t *spans = json_is_object(ss) ? json_object_get(ss, "spans") : NULL;
			if (!json_is_object(ss) ||
			    (spans && !json_is_array(spans) && !json_is_null(spans))) {
				snprintf(where, sizeof(where),
				         "resourceSpans[%zu].scopeSpans[%zu]%s", ri, si,
				         json_is_object(ss) ? ".spans must be an array"
				                            : " must be an object");
				n = 0;
				otlp_bad(res, where);
				goto out;
			}
			json_array_foreach (spans, pi, span) {
				if ((rc = grow_obs(d, n + 1)) != 0)
					goto out;
				int got = otlp_span(span, &d->obs[n], res, &nbad, ri, si, pi);
				if (got > 0)
					n++;
				else if (got == 0)
					res->n_ignored++;
			}
		}
	}
	if (nbad > 1) {
		size_t l = strlen(res->detail);
		snprintf(res->detail + l, sizeof(res->detail) - l, " (and %zu more spans)",
		         nbad - 1);
	}
	res->obs = d->obs;
	res->n_obs = n;
out:
	json_decref(root);
	return rc;
}

/* ---- entry ----------------------------------------------------------------------------- */

int decode_line(struct decoder *d, enum decode_format fmt, const char *line, size_t len,
                struct decode_result *out)
{
	memset(out, 0, sizeof(*out));
	/* trim whitespace around the value (a CRLF file leaves a '\r') */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t' ||
	                   line[len - 1] == '\n'))
		len--;
	while (len > 0 && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	if (len == 0)
		return 0;
	if (len > DECODE_MAX_LINE) {
		out->reason = DR_TOO_LONG;
		snprintf(out->detail, sizeof(out->detail),
		         "line of %zu bytes is over the %zu-byte limit", len, DECODE_MAX_LINE);
		return 0;
	}
	if (!decode_utf8_valid(line, len)) {
		out->reason = DR_NOT_UTF8;
		snprintf(out->detail, sizeof(out->detail), "not valid UTF-8");
		return 0;
	}
	if (d->scratch_cap < len + 16) {
		char *ns = realloc(d->scratch, len + 16);
		if (!ns)
			return VG_ENOMEM;
		d->scratch = ns;
		d->scratch_cap = len + 16;
	}
	d->scratch_used = 0;
	struct jtok_error jerr;
	int ntok = jtok_parse(line, len, &d->tok, &d->ntok_cap, &jerr);
	if (ntok == JTOK_ENOMEM)
		return VG_ENOMEM;
	if (ntok < 0) {
		out->reason = DR_NOT_JSON;
		if (ntok == JTOK_EPART)
			snprintf(out->detail, sizeof(out->detail),
			         "not JSON: the line ends inside a value (%s)", jerr.what);
		else
			snprintf(out->detail, sizeof(out->detail), "not JSON: %s at byte %d",
			         jerr.what, (int)jerr.pos);
		return 0;
	}
	if (d->tok[0].type != JTOK_OBJECT) {
		out->reason = DR_NOT_OBJECT;
		snprintf(out->detail, sizeof(out->detail), "a JSON value but not an object");
		return 0;
	}
	if (fmt == DECODE_OTLP)
		return decode_otlp(d, line, ntok, out);
	return decode_v1(d, line, len, ntok, fmt == DECODE_AUTO, out);
}
