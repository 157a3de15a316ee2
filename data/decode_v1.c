/*
 * decode_v1.c: the events-v1 fast path (docs/events.md): the line's jtok
 * tokens walked once against per-section field tables, each value checked
 * and stored into the observation as it is met, strings unescaped into the
 * decoder's scratch; then the provider's status, headers and body through
 * core/normalise. Never allocates per line.
 */
#include "data/decode_internal.h"

#include "core/timeparse.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	long m = decode__unescape(p, n, dst);
	if (m < 0)
		return false;
	v->d->scratch_used += (size_t)m;
	*s = dst;
	*len = (size_t)m;
	return true;
}

static bool tok_is_null(const struct v1 *v, int i)
{
	const struct jtok *t = &v->d->tok[i];
	return t->type == JTOK_PRIMITIVE &&
	       decode__is_literal(v->js + t->start, (size_t)(t->end - t->start), "null");
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
	    !decode__parse_json_number(v->js + t->start, (size_t)(t->end - t->start), d, iv,
	                               is_int))
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
		    (!decode__is_literal(v->js + t->start, (size_t)(t->end - t->start), "true") &&
		     !decode__is_literal(v->js + t->start, (size_t)(t->end - t->start), "false")))
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

int decode__decode_v1(struct decoder *d, const char *js, size_t len, int ntok, bool auto_format,
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
		return decode__decode_otlp(d, js, ntok, res);
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
	decode__redact_ids(v.obs);
	res->obs = d->obs;
	res->n_obs = 1;
	return 0;
}
