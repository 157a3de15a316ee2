/*
 * sim_fmt_anthropic.c: Anthropic Messages as api.anthropic.com writes it:
 * message bodies with content blocks and stop_reason, the SSE event
 * sequence (message_start .. message_stop, ping, and `event: error` after
 * a 200), the {"type":"error","error":{type,message},"request_id"} envelope,
 * anthropic-ratelimit-* headers with RFC 3339 resets (token counts rounded
 * to the thousand), request-id and retry-after.
 */
#include "sim/sim_format.h"

#include "sim/sim_time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void request_id(const struct sim_fmt_in *in, char *rid, size_t size)
{
	sim_fmt__id(rid, size, "req_011C", 20, sim_fmt__b62, in->id_seed);
}

static void common_headers(const struct sim_fmt_in *in, struct sim_response *out, bool sse)
{
	char date[40], rid[64];
	sim_response_header(out, "date", "%s", sim_time_http_date(in->now_ms, date, sizeof(date)));
	sim_response_header(out, "content-type", "%s",
	                    sse ? "text/event-stream; charset=utf-8" : "application/json");
	request_id(in, rid, sizeof(rid));
	sim_response_header(out, "request-id", "%s", rid);
	sim_response_header(out, "anthropic-organization-id",
	                    "5c1d7e2a-0b7f-4a55-9d3e-51a6c0ffee00");
}

static int64_t round_k(int64_t v)
{
	return (v + 500) / 1000 * 1000;
}

static void ratelimit_headers(const struct sim_fmt_in *in, struct sim_response *out)
{
	const struct sim_answer *a = in->a;
	char ts[40];
	int64_t rr = in->now_ms + (int64_t)llround((double)a->rl_reset_req_ms * in->scale);
	int64_t rt = in->now_ms + (int64_t)llround((double)a->rl_reset_tok_ms * in->scale);
	/* Input and output token limits split the token limit 4:1. */
	int64_t in_lim = a->rl_limit_tok * 4 / 5, out_lim = a->rl_limit_tok / 5;
	int64_t in_rem = a->rl_rem_tok * 4 / 5, out_rem = a->rl_rem_tok / 5;
	sim_response_header(out, "anthropic-ratelimit-requests-limit", "%lld",
	                    (long long)a->rl_limit_req);
	sim_response_header(out, "anthropic-ratelimit-requests-remaining", "%lld",
	                    (long long)a->rl_rem_req);
	sim_response_header(out, "anthropic-ratelimit-requests-reset", "%s",
	                    sim_time_rfc3339(rr, false, ts, sizeof(ts)));
	sim_response_header(out, "anthropic-ratelimit-tokens-limit", "%lld",
	                    (long long)a->rl_limit_tok);
	sim_response_header(out, "anthropic-ratelimit-tokens-remaining", "%lld",
	                    (long long)round_k(a->rl_rem_tok));
	sim_response_header(out, "anthropic-ratelimit-tokens-reset", "%s",
	                    sim_time_rfc3339(rt, false, ts, sizeof(ts)));
	sim_response_header(out, "anthropic-ratelimit-input-tokens-limit", "%lld",
	                    (long long)in_lim);
	sim_response_header(out, "anthropic-ratelimit-input-tokens-remaining", "%lld",
	                    (long long)round_k(in_rem));
	sim_response_header(out, "anthropic-ratelimit-input-tokens-reset", "%s",
	                    sim_time_rfc3339(rt, false, ts, sizeof(ts)));
	sim_response_header(out, "anthropic-ratelimit-output-tokens-limit", "%lld",
	                    (long long)out_lim);
	sim_response_header(out, "anthropic-ratelimit-output-tokens-remaining", "%lld",
	                    (long long)round_k(out_rem));
	sim_response_header(out, "anthropic-ratelimit-output-tokens-reset", "%s",
	                    sim_time_rfc3339(rt, false, ts, sizeof(ts)));
}

/* The error envelope; details_code != NULL adds details.error_code, and
 * details_null adds "details": null (as 529s do). */
static void error_json(struct sim_buf *b, const char *type, const char *message,
                       const char *details_code, bool details_null, const char *rid)
{
	struct sim_jw w;
	sim_jw_init(&w, b);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "type", "error");
	sim_jw_key(&w, "error");
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "type", type);
	sim_jw_kstr(&w, "message", message);
	if (details_code) {
		sim_jw_key(&w, "details");
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "error_code", details_code);
		sim_jw_obj_end(&w);
	} else if (details_null) {
		sim_jw_knull(&w, "details");
	}
	sim_jw_obj_end(&w);
	if (rid)
		sim_jw_kstr(&w, "request_id", rid);
	sim_jw_obj_end(&w);
}

static void error_body(const struct sim_fmt_in *in, struct sim_response *out, const char *type,
                       const char *message, const char *details_code, bool details_null)
{
	char rid[64];
	request_id(in, rid, sizeof(rid));
	out->json = true;
	error_json(&out->body, type, message, details_code, details_null, rid);
}

static const char *stop_reason(const struct sim_answer *a)
{
	if (a->outcome == SIM_F_LENGTH)
		return "max_tokens";
	if (a->outcome == SIM_F_SAFETY_BLOCK)
		return "refusal";
	return "end_turn";
}

static void usage(struct sim_jw *w, const struct sim_answer *a, int output_tokens)
{
	sim_jw_key(w, "usage");
	sim_jw_obj(w);
	sim_jw_kint(w, "input_tokens", a->input_tokens - a->cached_tokens);
	sim_jw_kint(w, "cache_creation_input_tokens", 0);
	sim_jw_kint(w, "cache_read_input_tokens", a->cached_tokens);
	sim_jw_kint(w, "output_tokens", output_tokens);
	sim_jw_kstr(w, "service_tier", "standard");
	sim_jw_obj_end(w);
}

static void event(struct sim_response *out, const char *name)
{
	sim_buf_printf(&out->body, "event: %s\ndata: ", name);
}

static void event_end(struct sim_response *out)
{
	sim_buf_puts(&out->body, "\n\n");
	sim_fmt__event_end(out);
}

static void stream(const struct sim_fmt_in *in, struct sim_response *out, const char *id)
{
	const struct sim_answer *a = in->a;
	struct sim_jw w;
	struct sim_buf *b = &out->body;
	size_t st[24], ln[24];
	int np = sim_fmt__pieces(in->text, 24, st, ln);
	int cut = a->outcome == SIM_F_STREAM_ERROR ? a->stream_events_before_error : -1;
	out->stream = true;

	event(out, "message_start");
	sim_jw_init(&w, b);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "type", "message_start");
	sim_jw_key(&w, "message");
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "id", id);
	sim_jw_kstr(&w, "type", "message");
	sim_jw_kstr(&w, "role", "assistant");
	sim_jw_key(&w, "content");
	sim_jw_arr(&w);
	sim_jw_arr_end(&w);
	sim_jw_kstr(&w, "model", a->version);
	sim_jw_knull(&w, "stop_reason");
	sim_jw_knull(&w, "stop_sequence");
	usage(&w, a, 1);
	sim_jw_obj_end(&w);
	sim_jw_obj_end(&w);
	event_end(out);

	event(out, "content_block_start");
	sim_buf_puts(b, "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
	                "{\"type\":\"text\",\"text\":\"\"}}");
	event_end(out);
	event(out, "ping");
	sim_buf_puts(b, "{\"type\": \"ping\"}");
	event_end(out);
	for (int i = 0; i < np; i++) {
		if (i == cut) {
			event(out, "error");
			error_json(b, "overloaded_error", "Overloaded", NULL, false, NULL);
			event_end(out);
			return;
		}
		event(out, "content_block_delta");
		sim_jw_init(&w, b);
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "type", "content_block_delta");
		sim_jw_kint(&w, "index", 0);
		sim_jw_key(&w, "delta");
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "type", "text_delta");
		sim_jw_key(&w, "text");
		sim_jw_strn(&w, in->text + st[i], ln[i]);
		sim_jw_obj_end(&w);
		sim_jw_obj_end(&w);
		event_end(out);
	}
	if (cut >= 0) {
		event(out, "error");
		error_json(b, "overloaded_error", "Overloaded", NULL, false, NULL);
		event_end(out);
		return;
	}
	event(out, "content_block_stop");
	sim_buf_puts(b, "{\"type\":\"content_block_stop\",\"index\":0}");
	event_end(out);
	event(out, "message_delta");
	sim_jw_init(&w, b);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "type", "message_delta");
	sim_jw_key(&w, "delta");
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "stop_reason", stop_reason(a));
	sim_jw_knull(&w, "stop_sequence");
	sim_jw_obj_end(&w);
	sim_jw_key(&w, "usage");
	sim_jw_obj(&w);
	sim_jw_kint(&w, "output_tokens", a->output_tokens);
	sim_jw_obj_end(&w);
	sim_jw_obj_end(&w);
	event_end(out);
	event(out, "message_stop");
	sim_buf_puts(b, "{\"type\":\"message_stop\"}");
	event_end(out);
}

static void next_month(int64_t now_ms, char *buf, size_t size)
{
	char ts[40];
	sim_time_rfc3339(now_ms, false, ts, sizeof(ts));
	int y = 0, m = 0;
	sscanf(ts, "%4d-%2d", &y, &m);
	m++;
	if (m > 12) {
		m = 1;
		y++;
	}
	snprintf(buf, size, "%04d-%02d-01", y, m);
}

void sim_fmt__anthropic(const struct sim_fmt_in *in, struct sim_response *out)
{
	const struct sim_answer *a = in->a;
	char msg[512];
	out->status = a->status;
	switch (a->outcome) {
	case SIM_F_RATE_LIMIT: {
		common_headers(in, out, false);
		ratelimit_headers(in, out);
		int64_t ra = (int64_t)ceil((double)a->retry_after_ms * in->scale / 1000.0);
		sim_response_header(out, "retry-after", "%lld", (long long)(ra < 1 ? 1 : ra));
		snprintf(msg, sizeof(msg),
		         "This request would exceed the rate limit for your organization "
		         "(5c1d7e2a-0b7f-4a55-9d3e-51a6c0ffee00) of %lld %s per minute. For "
		         "details, refer to: https://docs.anthropic.com/en/api/rate-limits. You "
		         "can see the response headers for current usage. Please reduce the prompt "
		         "length or the maximum tokens requested, or try again later.",
		         (long long)(a->rl_tokens ? a->rl_limit_tok * 4 / 5 : a->rl_limit_req),
		         a->rl_tokens ? "input tokens" : "requests");
		error_body(in, out, "rate_limit_error", msg, NULL, false);
		return;
	}
	case SIM_F_SPEND_CAP: {
		char day[16];
		common_headers(in, out, false);
		next_month(in->now_ms, day, sizeof(day));
		snprintf(msg, sizeof(msg),
		         "You have reached your specified API usage limits. You will regain "
		         "access on %s at 00:00 UTC.",
		         day);
		error_body(in, out, "rate_limit_error", msg, "enforced_spend_limit_reached", false);
		return;
	}
	case SIM_F_QUOTA:
		common_headers(in, out, false);
		error_body(in, out, "billing_error",
		           "Your credit balance is too low to access the Anthropic API. Please go "
		           "to Plans & Billing to upgrade or purchase credits.",
		           NULL, false);
		return;
	case SIM_F_SERVER_ERROR:
		common_headers(in, out, false);
		error_body(in, out, "api_error", "Internal server error", NULL, false);
		return;
	case SIM_F_UNAVAILABLE:
		common_headers(in, out, false);
		error_body(in, out, "api_error", "Service unavailable", NULL, false);
		return;
	case SIM_F_OVERLOADED:
		common_headers(in, out, false);
		error_body(in, out, "overloaded_error", "Overloaded", NULL, true);
		return;
	case SIM_F_TIMEOUT:
		common_headers(in, out, false);
		error_body(in, out, "timeout_error", "Request timed out", NULL, false);
		return;
	case SIM_F_AUTH:
		common_headers(in, out, false);
		error_body(in, out, "authentication_error", "invalid x-api-key", NULL, false);
		return;
	default: break;
	}
	char id[64];
	sim_fmt__id(id, sizeof(id), "msg_01", 22, sim_fmt__b62, in->id_seed ^ 0xa5a5);
	out->status = 200;
	common_headers(in, out, in->stream);
	ratelimit_headers(in, out);
	if (in->stream) {
		stream(in, out, id);
		return;
	}
	struct sim_jw w;
	out->json = true;
	sim_jw_init(&w, &out->body);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "id", id);
	sim_jw_kstr(&w, "type", "message");
	sim_jw_kstr(&w, "role", "assistant");
	sim_jw_kstr(&w, "model", a->version);
	sim_jw_key(&w, "content");
	sim_jw_arr(&w);
	if (in->text[0]) {
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "type", "text");
		sim_jw_kstr(&w, "text", in->text);
		sim_jw_obj_end(&w);
	}
	sim_jw_arr_end(&w);
	sim_jw_kstr(&w, "stop_reason", stop_reason(a));
	sim_jw_knull(&w, "stop_sequence");
	usage(&w, a, a->output_tokens);
	sim_jw_obj_end(&w);
}

void sim_fmt__anthropic_cerr(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                             int64_t n, int64_t limit, struct sim_response *out)
{
	char msg[512];
	common_headers(in, out, false);
	switch (e) {
	case SIM_CERR_BAD_JSON:
		out->status = 400;
		error_body(in, out, "invalid_request_error",
		           "There was an issue with the format or content of your request.", NULL,
		           false);
		break;
	case SIM_CERR_MISSING:
		out->status = 400;
		snprintf(msg, sizeof(msg), "%s: Field required", param);
		error_body(in, out, "invalid_request_error", msg, NULL, false);
		break;
	case SIM_CERR_INVALID:
		out->status = 400;
		snprintf(msg, sizeof(msg), "%s: Input should be a valid value", param);
		error_body(in, out, "invalid_request_error", msg, NULL, false);
		break;
	case SIM_CERR_NO_KEY:
		out->status = 401;
		error_body(in, out, "authentication_error", "x-api-key header is required", NULL,
		           false);
		break;
	case SIM_CERR_NO_VERSION:
		out->status = 400;
		error_body(in, out, "invalid_request_error",
		           "anthropic-version: header is required", NULL, false);
		break;
	case SIM_CERR_MODEL:
		out->status = 404;
		snprintf(msg, sizeof(msg), "model: %s", param);
		error_body(in, out, "not_found_error", msg, NULL, false);
		break;
	case SIM_CERR_CONTEXT:
		out->status = 400;
		snprintf(msg, sizeof(msg), "prompt is too long: %lld tokens > %lld maximum",
		         (long long)n, (long long)limit);
		error_body(in, out, "invalid_request_error", msg, NULL, false);
		break;
	case SIM_CERR_METHOD:
		out->status = 405;
		error_body(in, out, "invalid_request_error", "Method Not Allowed", NULL, false);
		break;
	default:
		out->status = 404;
		error_body(in, out, "not_found_error", "Not Found", NULL, false);
		break;
	}
}
