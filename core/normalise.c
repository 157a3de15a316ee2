/*
 * normalise.c: the three providers' error envelopes, rate-limit headers,
 * retry hints, finish reasons and safety blocks, mapped onto struct
 * norm_signals, as each provider's API reference documents them; every
 * shape relied on here has a case in tests/data/normalise/<provider>.json.
 *
 * Order of work: headers first (rate limits, retry hints), then the body
 * (error envelope, or the success shape, or an SSE stream), then the class
 * from the most specific signal available, falling back to the status.
 */
#include "core/normalise.h"

#include "core/timeparse.h"

#include <jansson.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------- */

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		if (lower((unsigned char)a[i]) != b[i])
			return false;
	}
	return true;
}

static const struct norm_header *find_header(const struct norm_input *in, const char *name)
{
	for (size_t i = 0; i < in->nheaders; i++) {
		const struct norm_header *h = &in->headers[i];
		if (h->name && name_eq(h->name, h->name_len, name))
			return h;
	}
	return NULL;
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
	                    (*s)[*len - 1] == '\r' || (*s)[*len - 1] == '\n'))
		(*len)--;
}

/* A plain decimal number ("12", "-1", "0.5"); locale-free. */
static bool parse_number(const char *s, size_t len, double *out)
{
	trim(&s, &len);
	size_t i = 0;
	double sign = 1, v = 0, scale = 1;
	int nd = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		sign = s[i++] == '-' ? -1 : 1;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (s[i++] - '0');
		nd++;
		if (v > 1e15)
			return false;
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			scale /= 10;
			v += (s[i++] - '0') * scale;
			nd++;
		}
	}
	if (nd == 0 || i != len)
		return false;
	*out = sign * v;
	return true;
}

static int64_t header_int(const struct norm_input *in, const char *name)
{
	const struct norm_header *h = find_header(in, name);
	double v;
	if (!h || !h->value || !parse_number(h->value, h->value_len, &v))
		return VG_NONE;
	return (int64_t)v;
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= -9e15 && json_real_value(v) <= 9e15)
		return (int64_t)json_real_value(v);
	return VG_NONE;
}

static void set_str(char *dst, size_t size, const char *src)
{
	if (src)
		model_copy_str(dst, size, src, (size_t)-1);
}

/* ---- headers ------------------------------------------------------------ */

/* OpenAI: integers, and Go durations for the resets. */
static void openai_ratelimits(const struct norm_input *in, struct norm_signals *out)
{
	out->rl_requests.limit = header_int(in, "x-ratelimit-limit-requests");
	out->rl_requests.remaining = header_int(in, "x-ratelimit-remaining-requests");
	out->rl_tokens.limit = header_int(in, "x-ratelimit-limit-tokens");
	out->rl_tokens.remaining = header_int(in, "x-ratelimit-remaining-tokens");
	static const char *const resets[] = { "x-ratelimit-reset-requests",
		                              "x-ratelimit-reset-tokens" };
	struct ratelimit *rls[] = { &out->rl_requests, &out->rl_tokens };
	for (int k = 0; k < 2; k++) {
		const struct norm_header *h = find_header(in, resets[k]);
		int64_t ms;
		if (!h || !h->value)
			continue;
		const char *v = h->value;
		size_t vl = h->value_len;
		trim(&v, &vl);
		if (timeparse_go_duration(v, vl, &ms) == 0 && ms >= 0)
			rls[k]->reset_ms = ms;
	}
}

/* Anthropic: RFC 3339 timestamps of full replenishment. */
static int64_t anthropic_reset(const struct norm_input *in, const char *name)
{
	const struct norm_header *h = find_header(in, name);
	int64_t at;
	if (!h || !h->value)
		return VG_NONE;
	const char *v = h->value;
	size_t vl = h->value_len;
	trim(&v, &vl);
	if (timeparse_rfc3339(v, vl, &at) != 0)
		return VG_NONE;
	return at > in->now_ms ? at - in->now_ms : 0;
}

static void anthropic_ratelimits(const struct norm_input *in, struct norm_signals *out)
{
	out->rl_requests.limit = header_int(in, "anthropic-ratelimit-requests-limit");
	out->rl_requests.remaining = header_int(in, "anthropic-ratelimit-requests-remaining");
	out->rl_requests.reset_ms = anthropic_reset(in, "anthropic-ratelimit-requests-reset");
	/* tokens-* shows the most restrictive limit; input-tokens-* when it is absent. */
	const char *prefix = find_header(in, "anthropic-ratelimit-tokens-remaining")
	                             ? "anthropic-ratelimit-tokens-"
	                             : "anthropic-ratelimit-input-tokens-";
	char name[64];
	size_t pl = strlen(prefix);
	memcpy(name, prefix, pl);
	memcpy(name + pl, "limit", 6);
	out->rl_tokens.limit = header_int(in, name);
	memcpy(name + pl, "remaining", 10);
	out->rl_tokens.remaining = header_int(in, name);
	memcpy(name + pl, "reset", 6);
	out->rl_tokens.reset_ms = anthropic_reset(in, name);
}

/* retry-after-ms (float ms) wins over retry-after (seconds or an HTTP date). */
static void retry_hints(const struct norm_input *in, struct norm_signals *out)
{
	const struct norm_header *h = find_header(in, "retry-after-ms");
	double v;
	if (h && h->value && parse_number(h->value, h->value_len, &v) && v >= 0) {
		out->retry_after_ms = (int64_t)(v + 0.5);
		return;
	}
	h = find_header(in, "retry-after");
	if (!h || !h->value)
		return;
	const char *s = h->value;
	size_t sl = h->value_len;
	trim(&s, &sl);
	int64_t at;
	if (parse_number(s, sl, &v) && v >= 0)
		out->retry_after_ms = (int64_t)(v * 1000 + 0.5);
	else if (timeparse_http_date(s, sl, &at) == 0)
		out->retry_after_ms = at > in->now_ms ? at - in->now_ms : 0;
}

/* ---- body --------------------------------------------------------------- */

enum finish_reason normalise_finish_reason(const char *raw, size_t len)
{
	static const struct {
		const char *raw;
		enum finish_reason fr;
	} map[] = {
		/* OpenAI */
		{ "stop", FR_STOP },
		{ "length", FR_LENGTH },
		{ "tool_calls", FR_TOOL },
		{ "function_call", FR_TOOL },
		{ "content_filter", FR_CONTENT_FILTER },
		/* OpenAI Responses incomplete_details.reason */
		{ "max_output_tokens", FR_LENGTH },
		/* Anthropic */
		{ "end_turn", FR_STOP },
		{ "stop_sequence", FR_STOP },
		{ "max_tokens", FR_LENGTH },
		{ "tool_use", FR_TOOL },
		{ "refusal", FR_REFUSAL },
		{ "model_context_window_exceeded", FR_LENGTH },
		{ "pause_turn", FR_OTHER },
		/* Gemini */
		{ "STOP", FR_STOP },
		{ "MAX_TOKENS", FR_LENGTH },
		{ "SAFETY", FR_CONTENT_FILTER },
		{ "RECITATION", FR_CONTENT_FILTER },
		{ "BLOCKLIST", FR_CONTENT_FILTER },
		{ "PROHIBITED_CONTENT", FR_CONTENT_FILTER },
		{ "SPII", FR_CONTENT_FILTER },
		{ "IMAGE_SAFETY", FR_CONTENT_FILTER },
		{ "IMAGE_PROHIBITED_CONTENT", FR_CONTENT_FILTER },
		{ "IMAGE_RECITATION", FR_CONTENT_FILTER },
	};
	if (!raw)
		return FR_UNSET;
	if (len == (size_t)-1)
		len = strlen(raw);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strlen(map[i].raw) == len && memcmp(map[i].raw, raw, len) == 0)
			return map[i].fr;
	}
	return FR_OTHER;
}

static void set_finish(struct norm_signals *out, const char *raw)
{
	if (!raw || !*raw)
		return;
	set_str(out->finish_raw, sizeof(out->finish_raw), raw);
	out->finish = normalise_finish_reason(raw, (size_t)-1);
	if (out->finish == FR_CONTENT_FILTER || out->finish == FR_REFUSAL)
		out->safety_block = true;
}

/* Usage in any of the three shapes, whichever keys are present. */
static void read_usage(json_t *root, struct norm_signals *out)
{
	json_t *u = json_object_get(root, "usage");
	if (json_is_object(u)) {
		int64_t v;
		if (vg_has(v = jint(u, "prompt_tokens")) || vg_has(v = jint(u, "input_tokens")))
			out->input_tokens = v;
		if (vg_has(v = jint(u, "completion_tokens")) ||
		    vg_has(v = jint(u, "output_tokens")))
			out->output_tokens = v;
		json_t *d = json_object_get(u, "prompt_tokens_details");
		if (!json_is_object(d))
			d = json_object_get(u, "input_tokens_details");
		if (json_is_object(d) && vg_has(v = jint(d, "cached_tokens")))
			out->cached_tokens = v;
		if (vg_has(v = jint(u, "cache_read_input_tokens")))
			out->cached_tokens = v;
	}
	json_t *m = json_object_get(root, "usageMetadata");
	if (json_is_object(m)) {
		int64_t v;
		if (vg_has(v = jint(m, "promptTokenCount")))
			out->input_tokens = v;
		if (vg_has(v = jint(m, "candidatesTokenCount")))
			out->output_tokens = v;
		if (vg_has(v = jint(m, "cachedContentTokenCount")))
			out->cached_tokens = v;
	}
}

/* Gemini details[]: ErrorInfo.reason, RetryInfo.retryDelay, QuotaFailure. */
static void google_details(json_t *err, struct norm_signals *out)
{
	json_t *details = json_object_get(err, "details");
	size_t i;
	json_t *d;
	if (!json_is_array(details))
		return;
	json_array_foreach (details, i, d) {
		const char *type = jstr(d, "@type");
		if (!type)
			continue;
		if (strstr(type, "google.rpc.ErrorInfo")) {
			set_str(out->error_code, sizeof(out->error_code), jstr(d, "reason"));
		} else if (strstr(type, "google.rpc.RetryInfo")) {
			const char *delay = jstr(d, "retryDelay");
			int64_t ms;
			if (delay && timeparse_go_duration(delay, strlen(delay), &ms) == 0 &&
			    ms >= 0)
				out->retry_after_ms = ms;
		} else if (strstr(type, "google.rpc.QuotaFailure")) {
			/* A per-day quota is spent until tomorrow (quota_exhausted,
			 * not a rate limit): its quotaId wins over a reason. */
			json_t *viols = json_object_get(d, "violations");
			size_t j;
			json_t *viol;
			json_array_foreach (viols, j, viol) {
				const char *id = jstr(viol, "quotaId");
				if (id && strstr(id, "PerDay")) {
					set_str(out->error_code, sizeof(out->error_code), id);
					break;
				}
			}
			if (!out->error_code[0])
				set_str(out->error_code, sizeof(out->error_code),
				        jstr(json_array_get(viols, 0), "quotaId"));
		}
	}
}

/* An error object of any provider: fills error_type / error_code. */
static void read_error(json_t *root, json_t *err, struct norm_signals *out)
{
	const char *type = jstr(err, "type");
	if (!type)
		type = jstr(err, "status"); /* Gemini */
	set_str(out->error_type, sizeof(out->error_type), type);
	json_t *code = json_object_get(err, "code");
	if (json_is_string(code))
		set_str(out->error_code, sizeof(out->error_code), json_string_value(code));
	json_t *details = json_object_get(err, "details");
	if (json_is_object(details)) /* Anthropic spend cap */
		set_str(out->error_code, sizeof(out->error_code), jstr(details, "error_code"));
	else if (json_is_array(details))
		google_details(err, out);
	(void)root;
}

/* The success shapes: chat completions, Responses, Messages, generateContent. */
static void read_success(json_t *root, struct norm_signals *out)
{
	json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
	if (json_is_object(choice))
		set_finish(out, jstr(choice, "finish_reason"));
	if (jstr(root, "stop_reason"))
		set_finish(out, jstr(root, "stop_reason"));
	const char *status = jstr(root, "status");
	if (status && strcmp(status, "incomplete") == 0) {
		json_t *inc = json_object_get(root, "incomplete_details");
		set_finish(out, jstr(inc, "reason"));
	} else if (status && strcmp(status, "completed") == 0 && out->finish == FR_UNSET) {
		set_finish(out, "stop");
	}
	json_t *pf = json_object_get(root, "promptFeedback");
	const char *block = jstr(pf, "blockReason");
	if (block) {
		out->safety_block = true;
		set_str(out->block_reason, sizeof(out->block_reason), block);
	}
	json_t *cand = json_array_get(json_object_get(root, "candidates"), 0);
	if (json_is_object(cand))
		set_finish(out, jstr(cand, "finishReason"));
	read_usage(root, out);
}

/* One parsed JSON document of a non-stream body or an SSE data payload. */
static void read_json(json_t *root, struct norm_signals *out)
{
	/* Vertex streaming without alt=sse wraps the envelope in an array. */
	if (json_is_array(root))
		root = json_array_get(root, 0);
	if (!json_is_object(root))
		return;
	json_t *err = json_object_get(root, "error");
	if (json_is_object(err)) {
		read_error(root, err, out);
		/* The Responses API reports a failed response inside a 200. */
		const char *status = jstr(root, "status");
		if (status && strcmp(status, "failed") == 0)
			out->stream_error = true;
		return;
	}
	read_success(root, out);
}

/* SSE: OpenAI chunks ending in [DONE], Anthropic typed events ending in
 * message_stop; an error event (or a chunk with an error object) after the
 * 200 is a failure mid-stream. A stream without its end marker was cut short. */
static void read_sse(const char *body, size_t len, struct norm_signals *out)
{
	bool done = false, saw_data = false;
	char event[32] = "";
	size_t i = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && body[e] != '\n')
			e++;
		const char *line = body + i;
		size_t ll = e - i;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		i = e + 1;
		if (ll == 0) {
			event[0] = '\0';
			continue;
		}
		if (ll >= 6 && memcmp(line, "event:", 6) == 0) {
			const char *v = line + 6;
			size_t vl = ll - 6;
			trim(&v, &vl);
			model_copy_str(event, sizeof(event), v, vl);
			continue;
		}
		if (ll < 5 || memcmp(line, "data:", 5) != 0)
			continue;
		const char *v = line + 5;
		size_t vl = ll - 5;
		trim(&v, &vl);
		saw_data = true;
		if (vl == 6 && memcmp(v, "[DONE]", 6) == 0) {
			done = true;
			continue;
		}
		json_t *root = json_loadb(v, vl, JSON_DECODE_ANY, NULL);
		if (!root)
			continue;
		json_t *err = json_object_get(root, "error");
		const char *type = jstr(root, "type");
		if (strcmp(event, "error") == 0 || json_is_object(err)) {
			if (json_is_object(err))
				read_error(root, err, out);
			out->stream_error = true;
			done = true;
		} else if (type && strcmp(type, "message_start") == 0) {
			read_usage(json_object_get(root, "message"), out);
		} else if (type && strcmp(type, "message_delta") == 0) {
			set_finish(out, jstr(json_object_get(root, "delta"), "stop_reason"));
			int64_t o = jint(json_object_get(root, "usage"), "output_tokens");
			if (vg_has(o))
				out->output_tokens = o;
		} else if (type && strcmp(type, "message_stop") == 0) {
			done = true;
		} else {
			json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
			json_t *fr = json_object_get(choice, "finish_reason");
			if (json_is_string(fr))
				set_finish(out, json_string_value(fr));
			if (json_is_object(json_object_get(root, "usage")))
				read_usage(root, out);
		}
		json_decref(root);
	}
	if (saw_data && !done)
		out->body_truncated = true;
}

static bool looks_like_sse(const char *body, size_t len)
{
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\r' || body[i] == '\n'))
		i++;
	return (len - i >= 6 && memcmp(body + i, "event:", 6) == 0) ||
	       (len - i >= 5 && memcmp(body + i, "data:", 5) == 0) ||
	       (len - i >= 1 && body[i] == ':');
}

static void read_body(const struct norm_input *in, struct norm_signals *out)
{
	if (!in->body || in->body_len == 0)
		return;
	if (looks_like_sse(in->body, in->body_len)) {
		read_sse(in->body, in->body_len, out);
		return;
	}
	json_error_t jerr;
	json_t *root = json_loadb(in->body, in->body_len, JSON_DECODE_ANY, &jerr);
	if (!root) {
		out->body_not_json = true;
		size_t i = 0;
		while (i < in->body_len && (in->body[i] == ' ' || in->body[i] == '\n' ||
		                            in->body[i] == '\r' || in->body[i] == '\t'))
			i++;
		bool json_start = i < in->body_len && (in->body[i] == '{' || in->body[i] == '[');
		if (json_start && json_error_code(&jerr) == json_error_premature_end_of_input) {
			out->body_truncated = true;
			out->body_not_json = false;
		}
		return;
	}
	read_json(root, out);
	json_decref(root);
}

/* ---- classification ------------------------------------------------------ */

enum err_class normalise_status_class(int status)
{
	if (status < 0)
		return EC_TRANSPORT;
	if (status >= 200 && status < 300)
		return EC_OK;
	switch (status) {
	case 400: return EC_INVALID_REQUEST;
	case 401: return EC_AUTH;
	case 402: return EC_QUOTA_EXHAUSTED;
	case 403: return EC_PERMISSION;
	case 404: return EC_NOT_FOUND;
	case 408: return EC_TIMEOUT;
	case 409: return EC_OTHER;
	case 413: return EC_TOO_LARGE;
	case 429: return EC_RATE_LIMIT;
	case 503: return EC_OVERLOADED;
	case 529: return EC_OVERLOADED;
	case 504: return EC_TIMEOUT;
	}
	if (status >= 500 && status < 600)
		return EC_SERVER_ERROR;
	if (status >= 400 && status < 500)
		return EC_INVALID_REQUEST;
	return EC_OTHER;
}

int normalise_class_retryable(enum err_class c, int status)
{
	switch (c) {
	case EC_RATE_LIMIT:
	case EC_OVERLOADED:
	case EC_SERVER_ERROR:
	case EC_TIMEOUT:
	case EC_TRANSPORT: return VG_TRI_TRUE;
	case EC_QUOTA_EXHAUSTED:
	case EC_SPEND_CAP:
	case EC_AUTH:
	case EC_PERMISSION:
	case EC_INVALID_REQUEST:
	case EC_CONTEXT_LENGTH:
	case EC_NOT_FOUND:
	case EC_TOO_LARGE:
	case EC_CONTENT_FILTER: return VG_TRI_FALSE;
	case EC_OTHER: return status == 409 ? VG_TRI_TRUE : VG_TRI_UNSET;
	default: return VG_TRI_UNSET;
	}
}

static bool is(const char *a, const char *b)
{
	return a[0] && strcmp(a, b) == 0;
}

/* Error types and codes that name their class, whatever the provider. The
 * type spellings do not collide across providers, so one table serves all. */
static int class_from_error(const struct norm_signals *s, int status)
{
	static const struct {
		const char *type;
		enum err_class c;
	} types[] = {
		/* OpenAI error.type */
		{ "insufficient_quota", EC_QUOTA_EXHAUSTED },
		{ "server_error", EC_SERVER_ERROR },
		{ "invalid_request_error", EC_INVALID_REQUEST },
		{ "requests", EC_RATE_LIMIT },
		{ "tokens", EC_RATE_LIMIT },
		/* Anthropic error.type */
		{ "rate_limit_error", EC_RATE_LIMIT },
		{ "overloaded_error", EC_OVERLOADED },
		{ "api_error", EC_SERVER_ERROR },
		{ "timeout_error", EC_TIMEOUT },
		{ "authentication_error", EC_AUTH },
		{ "permission_error", EC_PERMISSION },
		{ "billing_error", EC_QUOTA_EXHAUSTED },
		{ "not_found_error", EC_NOT_FOUND },
		{ "request_too_large", EC_TOO_LARGE },
		/* Gemini error.status */
		{ "RESOURCE_EXHAUSTED", EC_RATE_LIMIT },
		{ "UNAVAILABLE", EC_OVERLOADED },
		{ "INTERNAL", EC_SERVER_ERROR },
		{ "DEADLINE_EXCEEDED", EC_TIMEOUT },
		{ "UNAUTHENTICATED", EC_AUTH },
		{ "PERMISSION_DENIED", EC_PERMISSION },
		{ "INVALID_ARGUMENT", EC_INVALID_REQUEST },
		{ "FAILED_PRECONDITION", EC_INVALID_REQUEST },
		{ "NOT_FOUND", EC_NOT_FOUND },
	};
	/* Codes first: they are the most specific. */
	if (is(s->error_code, "enforced_spend_limit_reached"))
		return EC_SPEND_CAP;
	if (is(s->error_code, "insufficient_quota"))
		return EC_QUOTA_EXHAUSTED;
	/* Gemini: billing disabled (ErrorInfo.reason, on a 400
	 * FAILED_PRECONDITION or a 403) is a spend cap; a RESOURCE_EXHAUSTED
	 * whose QuotaFailure is per day is the day's quota, spent. */
	if (is(s->error_code, "BILLING_DISABLED"))
		return EC_SPEND_CAP;
	if (is(s->error_type, "RESOURCE_EXHAUSTED") && strstr(s->error_code, "PerDay"))
		return EC_QUOTA_EXHAUSTED;
	if (is(s->error_code, "API_KEY_INVALID") || is(s->error_code, "invalid_api_key"))
		return EC_AUTH;
	if (is(s->error_code, "context_length_exceeded"))
		return EC_CONTEXT_LENGTH;
	if (is(s->error_code, "model_not_found"))
		return EC_NOT_FOUND;
	if (is(s->error_code, "rate_limit_exceeded"))
		return EC_RATE_LIMIT;
	if (is(s->error_code, "invalid_prompt"))
		return EC_INVALID_REQUEST;
	if (!s->error_type[0]) {
		if (is(s->error_code, "server_error"))
			return status == 504 ? EC_TIMEOUT : EC_SERVER_ERROR;
		return -1;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(types[i].type, s->error_type) == 0) {
			enum err_class c = types[i].c;
			/* OpenAI's 503 is "server_error" too, but means overloaded;
			 * its 504 a timeout, as every provider's 504 is. */
			if (c == EC_SERVER_ERROR && status == 503)
				return EC_OVERLOADED;
			if (c == EC_SERVER_ERROR && status == 504)
				return EC_TIMEOUT;
			/* OpenAI sends invalid_request_error on 401/404 as well. */
			if (c == EC_INVALID_REQUEST && status >= 400 && status != 400 &&
			    status != 422)
				return (int)normalise_status_class(status);
			return (int)c;
		}
	}
	return -1;
}

static void classify(const struct norm_input *in, struct norm_signals *out)
{
	int status = in->status;
	if (in->transport != TE_NONE || status < 0) {
		out->error_class = EC_TRANSPORT;
	} else if (status >= 200 && status < 300 && !out->stream_error) {
		out->error_class = out->safety_block ? EC_CONTENT_FILTER : EC_OK;
	} else {
		int c = class_from_error(out, status);
		out->error_class = c >= 0 ? (enum err_class)c : normalise_status_class(status);
		/* A mid-stream error whose type we do not know is still a failure. */
		if (out->stream_error && out->error_class == EC_OK)
			out->error_class = EC_OTHER;
	}
	out->retryable = (int8_t)normalise_class_retryable(out->error_class, status);
	/* x-should-retry overrides, except where a retry can never succeed. */
	const struct norm_header *h = find_header(in, "x-should-retry");
	if (h && h->value && out->error_class != EC_OK && out->error_class != EC_QUOTA_EXHAUSTED &&
	    out->error_class != EC_SPEND_CAP) {
		const char *v = h->value;
		size_t vl = h->value_len;
		trim(&v, &vl);
		if (vl == 4 && memcmp(v, "true", 4) == 0)
			out->retryable = VG_TRI_TRUE;
		else if (vl == 5 && memcmp(v, "false", 5) == 0)
			out->retryable = VG_TRI_FALSE;
	}
	/* The spend cap resets at the month boundary: no retry hint applies. */
	if (out->error_class == EC_SPEND_CAP || out->error_class == EC_QUOTA_EXHAUSTED)
		out->retry_after_ms = VG_NONE;
}

void normalise_response(const struct norm_input *in, struct norm_signals *out)
{
	norm_signals_init(out);
	if (!in)
		return;
	switch (in->kind) {
	case PK_OPENAI: openai_ratelimits(in, out); break;
	case PK_ANTHROPIC: anthropic_ratelimits(in, out); break;
	default:
		/* Unknown gateways often forward OpenAI-style headers. */
		openai_ratelimits(in, out);
		if (!vg_has(out->rl_requests.remaining) && !vg_has(out->rl_tokens.remaining))
			anthropic_ratelimits(in, out);
		break;
	}
	retry_hints(in, out);
	if (in->transport == TE_NONE && in->status >= 0)
		read_body(in, out);
	classify(in, out);
}
