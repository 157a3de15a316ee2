/*
 * decode_otlp.c: the OTLP/JSON path: OpenTelemetry GenAI spans (the
 * Collector's file exporter, docs/events.md) read from a jansson tree built
 * from the line's jtok tokens, one observation per span; the attribute
 * names of the current and the older semantic conventions.
 */
#include "data/decode_internal.h"

#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- OTLP/JSON ---------------------------------------------------------------------- */

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
	return s && decode__parse_json_number(s, strlen(s), &d, out, &ii) && ii;
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
	decode__redact_ids(o);
	return 1;
}

/*
 * The line as a jansson tree, built from its jtok tokens (the text is
 * tokenized once). Subtrees deeper than OTLP_MAX_DEPTH become null: the
 * deepest field vigil reads (resourceSpans[].scopeSpans[].spans[]
 * .attributes[].value.arrayValue.values[].stringValue) is at depth 10, so
 * unknown fields of any depth are skipped, never refused, and the building
 * recursion stays short. Strings holding a NUL are refused (bad_field), as
 * in events-v1; a repeated key makes the line DR_NOT_JSON ("duplicate
 * object key"), as jansson's JSON_REJECT_DUPLICATES would.
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
	long m = decode__unescape(t->js + k->start, n, t->d->scratch);
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
		if (decode__is_literal(p, n, "true"))
			v = json_true();
		else if (decode__is_literal(p, n, "false"))
			v = json_false();
		else if (decode__is_literal(p, n, "null"))
			v = json_null();
		else if (decode__parse_json_number(p, n, &d, &iv, &is_int))
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

int decode__decode_otlp(struct decoder *d, const char *js, int ntok, struct decode_result *res)
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
				if ((rc = vg_grow((void **)&d->obs, &d->obs_cap, n + 1,
				                  sizeof(*d->obs), 8)) != 0)
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
