/*
 * sim_fmt_openai.c: OpenAI Chat Completions as api.openai.com writes it:
 * chat.completion bodies, chat.completion.chunk streams ending in
 * "data: [DONE]", the {"error":{message,type,param,code}} envelope,
 * x-ratelimit-* headers with Go-style reset durations, x-request-id and
 * openai-processing-ms.
 */
#include "sim/sim_format.h"

#include "sim/sim_text.h"
#include "sim/sim_time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void common_headers(const struct sim_fmt_in *in, struct sim_response *out, bool sse)
{
	char date[40], rid[64];
	sim_response_header(out, "date", "%s", sim_time_http_date(in->now_ms, date, sizeof(date)));
	sim_response_header(out, "content-type", "%s",
	                    sse ? "text/event-stream; charset=utf-8" : "application/json");
	sim_response_header(out, "openai-organization", "vigil-sim");
	double ms = in->a && in->a->ttfb_ms > 0 ? in->a->ttfb_ms : 1;
	sim_response_header(out, "openai-processing-ms", "%lld", (long long)llround(ms));
	sim_response_header(out, "openai-version", "2020-10-01");
	sim_fmt__id(rid, sizeof(rid), "req_", 32, sim_fmt__hex, in->id_seed);
	sim_response_header(out, "x-request-id", "%s", rid);
}

static void ratelimit_headers(const struct sim_fmt_in *in, struct sim_response *out)
{
	const struct sim_answer *a = in->a;
	char d[32];
	sim_response_header(out, "x-ratelimit-limit-requests", "%lld", (long long)a->rl_limit_req);
	sim_response_header(out, "x-ratelimit-limit-tokens", "%lld", (long long)a->rl_limit_tok);
	sim_response_header(out, "x-ratelimit-remaining-requests", "%lld",
	                    (long long)a->rl_rem_req);
	sim_response_header(out, "x-ratelimit-remaining-tokens", "%lld", (long long)a->rl_rem_tok);
	/* Time until the window is full again, in reported time. */
	int64_t rr = (int64_t)llround((double)a->rl_reset_req_ms * in->scale);
	int64_t rt = (int64_t)llround((double)a->rl_reset_tok_ms * in->scale);
	/* A bucket refills over the window: time to full is proportional to use;
	 * an empty bucket waits for the window's end. */
	if (a->rl_rem_req > 0 && a->rl_limit_req > 0)
		rr = (int64_t)llround(60000.0 * in->scale *
		                      (double)(a->rl_limit_req - a->rl_rem_req) /
		                      (double)a->rl_limit_req);
	if (a->rl_rem_tok > 0 && a->rl_limit_tok > 0)
		rt = (int64_t)llround(60000.0 * in->scale *
		                      (double)(a->rl_limit_tok - a->rl_rem_tok) /
		                      (double)a->rl_limit_tok);
	sim_response_header(out, "x-ratelimit-reset-requests", "%s",
	                    sim_time_go_duration(rr, d, sizeof(d)));
	sim_response_header(out, "x-ratelimit-reset-tokens", "%s",
	                    sim_time_go_duration(rt, d, sizeof(d)));
}

static void error_json(struct sim_buf *b, const char *message, const char *type, const char *param,
                       const char *code)
{
	struct sim_jw w;
	sim_jw_init(&w, b);
	sim_jw_obj(&w);
	sim_jw_key(&w, "error");
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "message", message);
	sim_jw_kstr(&w, "type", type);
	sim_jw_kstr(&w, "param", param);
	sim_jw_kstr(&w, "code", code);
	sim_jw_obj_end(&w);
	sim_jw_obj_end(&w);
}

static void error_body(struct sim_response *out, const char *message, const char *type,
                       const char *param, const char *code)
{
	out->json = true;
	error_json(&out->body, message, type, param, code);
}

static void usage(struct sim_jw *w, const struct sim_answer *a)
{
	sim_jw_key(w, "usage");
	sim_jw_obj(w);
	sim_jw_kint(w, "prompt_tokens", a->input_tokens);
	sim_jw_kint(w, "completion_tokens", a->output_tokens);
	sim_jw_kint(w, "total_tokens", a->input_tokens + a->output_tokens);
	sim_jw_key(w, "prompt_tokens_details");
	sim_jw_obj(w);
	sim_jw_kint(w, "cached_tokens", a->cached_tokens);
	sim_jw_kint(w, "audio_tokens", 0);
	sim_jw_obj_end(w);
	sim_jw_key(w, "completion_tokens_details");
	sim_jw_obj(w);
	sim_jw_kint(w, "reasoning_tokens", 0);
	sim_jw_kint(w, "audio_tokens", 0);
	sim_jw_kint(w, "accepted_prediction_tokens", 0);
	sim_jw_kint(w, "rejected_prediction_tokens", 0);
	sim_jw_obj_end(w);
	sim_jw_obj_end(w);
}

static const char *finish(const struct sim_answer *a)
{
	if (a->outcome == SIM_F_LENGTH)
		return "length";
	if (a->outcome == SIM_F_SAFETY_BLOCK)
		return "content_filter";
	return "stop";
}

static void chunk_head(struct sim_jw *w, const char *id, int64_t created, const char *model)
{
	sim_jw_obj(w);
	sim_jw_kstr(w, "id", id);
	sim_jw_kstr(w, "object", "chat.completion.chunk");
	sim_jw_kint(w, "created", created);
	sim_jw_kstr(w, "model", model);
	sim_jw_kstr(w, "system_fingerprint", "fp_sim0c0ffee");
}

static void stream(const struct sim_fmt_in *in, struct sim_response *out, const char *id,
                   int64_t created)
{
	const struct sim_answer *a = in->a;
	struct sim_jw w;
	struct sim_buf *b = &out->body;
	const char *text = a->outcome == SIM_F_SAFETY_BLOCK ? "" : in->text;
	size_t st[24], ln[24];
	int np = sim_fmt__pieces(text, 24, st, ln);
	int cut = a->outcome == SIM_F_STREAM_ERROR ? a->stream_events_before_error : -1;
	out->stream = true;
	for (int i = -1; i <= np; i++) {
		if (cut >= 0 && i == cut) {
			sim_buf_puts(b, "data: ");
			error_json(b,
			           "The server had an error while processing your request. Sorry "
			           "about "
			           "that!",
			           "server_error", NULL, NULL);
			sim_buf_puts(b, "\n\n");
			sim_fmt__event_end(out);
			return;
		}
		sim_buf_puts(b, "data: ");
		sim_jw_init(&w, b);
		chunk_head(&w, id, created, a->version);
		sim_jw_key(&w, "choices");
		sim_jw_arr(&w);
		sim_jw_obj(&w);
		sim_jw_kint(&w, "index", 0);
		sim_jw_key(&w, "delta");
		sim_jw_obj(&w);
		if (i < 0) {
			sim_jw_kstr(&w, "role", "assistant");
			sim_jw_kstr(&w, "content", "");
			sim_jw_knull(&w, "refusal");
		} else if (i < np) {
			sim_jw_key(&w, "content");
			sim_jw_strn(&w, text + st[i], ln[i]);
		}
		sim_jw_obj_end(&w);
		sim_jw_knull(&w, "logprobs");
		if (i == np)
			sim_jw_kstr(&w, "finish_reason", finish(a));
		else
			sim_jw_knull(&w, "finish_reason");
		sim_jw_obj_end(&w);
		sim_jw_arr_end(&w);
		if (in->stream_usage)
			sim_jw_knull(&w, "usage");
		sim_jw_obj_end(&w);
		sim_buf_puts(b, "\n\n");
		sim_fmt__event_end(out);
	}
	if (in->stream_usage) {
		sim_buf_puts(b, "data: ");
		sim_jw_init(&w, b);
		chunk_head(&w, id, created, a->version);
		sim_jw_key(&w, "choices");
		sim_jw_arr(&w);
		sim_jw_arr_end(&w);
		usage(&w, a);
		sim_jw_obj_end(&w);
		sim_buf_puts(b, "\n\n");
		sim_fmt__event_end(out);
	}
	sim_buf_puts(b, "data: [DONE]\n\n");
	sim_fmt__event_end(out);
}

void sim_fmt__openai(const struct sim_fmt_in *in, struct sim_response *out)
{
	const struct sim_answer *a = in->a;
	char msg[512], d[32];
	out->status = a->status;
	int64_t reset_ms = (int64_t)llround(
	        (double)(a->rl_tokens ? a->rl_reset_tok_ms : a->rl_reset_req_ms) * in->scale);
	switch (a->outcome) {
	case SIM_F_RATE_LIMIT:
		common_headers(in, out, false);
		ratelimit_headers(in, out);
		if (a->rl_tokens)
			snprintf(msg, sizeof(msg),
			         "Rate limit reached for %s in organization org-vigilsim on tokens "
			         "per min (TPM): Limit %lld, Used %lld, Requested %d. Please try "
			         "again "
			         "in %s. Visit https://platform.openai.com/account/rate-limits to "
			         "learn more.",
			         in->model, (long long)a->rl_limit_tok,
			         (long long)(a->rl_limit_tok - a->rl_rem_tok), a->input_tokens + 1,
			         sim_time_go_duration(reset_ms, d, sizeof(d)));
		else
			snprintf(msg, sizeof(msg),
			         "Rate limit reached for %s in organization org-vigilsim on "
			         "requests "
			         "per min (RPM): Limit %lld, Used %lld, Requested 1. Please try "
			         "again "
			         "in %s. Visit https://platform.openai.com/account/rate-limits to "
			         "learn more.",
			         in->model, (long long)a->rl_limit_req, (long long)a->rl_limit_req,
			         sim_time_go_duration(reset_ms, d, sizeof(d)));
		error_body(out, msg, a->rl_tokens ? "tokens" : "requests", NULL,
		           "rate_limit_exceeded");
		return;
	case SIM_F_QUOTA:
	case SIM_F_SPEND_CAP:
		common_headers(in, out, false);
		error_body(out,
		           "You exceeded your current quota, please check your plan and billing "
		           "details. For more information on this error, read the docs: "
		           "https://platform.openai.com/docs/guides/error-codes/api-errors.",
		           "insufficient_quota", NULL, "insufficient_quota");
		return;
	case SIM_F_SERVER_ERROR:
		common_headers(in, out, false);
		error_body(out,
		           "The server had an error while processing your request. Sorry about "
		           "that!",
		           "server_error", NULL, NULL);
		return;
	case SIM_F_UNAVAILABLE:
		common_headers(in, out, false);
		error_body(out, "The server is overloaded or not ready yet.", "server_error", NULL,
		           NULL);
		return;
	case SIM_F_OVERLOADED:
		common_headers(in, out, false);
		error_body(out, "The engine is currently overloaded, please try again later.",
		           "server_error", NULL, NULL);
		return;
	case SIM_F_TIMEOUT:
		common_headers(in, out, false);
		error_body(out, "Request timed out.", "server_error", NULL, "timeout");
		return;
	case SIM_F_AUTH:
		common_headers(in, out, false);
		snprintf(msg, sizeof(msg),
		         "Incorrect API key provided: sk-****%s. You can find your API key at "
		         "https://platform.openai.com/account/api-keys.",
		         in->key_tail ? in->key_tail : "****");
		error_body(out, msg, "invalid_request_error", NULL, "invalid_api_key");
		return;
	default: break;
	}
	/* 200 answers */
	char id[64];
	sim_fmt__id(id, sizeof(id), "chatcmpl-", 29, sim_fmt__b62, in->id_seed ^ 0x5a5a);
	int64_t created = in->now_ms / 1000;
	out->status = 200;
	common_headers(in, out, in->stream);
	ratelimit_headers(in, out);
	if (in->stream) {
		stream(in, out, id, created);
		return;
	}
	struct sim_jw w;
	out->json = true;
	sim_jw_init(&w, &out->body);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "id", id);
	sim_jw_kstr(&w, "object", "chat.completion");
	sim_jw_kint(&w, "created", created);
	sim_jw_kstr(&w, "model", a->version);
	sim_jw_key(&w, "choices");
	sim_jw_arr(&w);
	sim_jw_obj(&w);
	sim_jw_kint(&w, "index", 0);
	sim_jw_key(&w, "message");
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "role", "assistant");
	if (a->outcome == SIM_F_SAFETY_BLOCK)
		sim_jw_knull(&w, "content");
	else
		sim_jw_kstr(&w, "content", in->text);
	sim_jw_knull(&w, "refusal");
	sim_jw_key(&w, "annotations");
	sim_jw_arr(&w);
	sim_jw_arr_end(&w);
	sim_jw_obj_end(&w);
	sim_jw_knull(&w, "logprobs");
	sim_jw_kstr(&w, "finish_reason", finish(a));
	sim_jw_obj_end(&w);
	sim_jw_arr_end(&w);
	usage(&w, a);
	sim_jw_kstr(&w, "service_tier", "default");
	sim_jw_kstr(&w, "system_fingerprint", "fp_sim0c0ffee");
	sim_jw_obj_end(&w);
}

void sim_fmt__openai_cerr(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                          int64_t n, int64_t limit, struct sim_response *out)
{
	char msg[700];
	common_headers(in, out, false);
	switch (e) {
	case SIM_CERR_BAD_JSON:
		out->status = 400;
		error_body(out,
		           "We could not parse the JSON body of your request. (HINT: This likely "
		           "means you aren't using your HTTP library correctly. The OpenAI API "
		           "expects a JSON payload, but what was sent was not valid JSON. If you "
		           "have trouble figuring out how to fix this, please contact us through "
		           "our help center at help.openai.com.)",
		           "invalid_request_error", NULL, NULL);
		break;
	case SIM_CERR_MISSING:
		out->status = 400;
		snprintf(msg, sizeof(msg), "Missing required parameter: '%s'.", param);
		error_body(out, msg, "invalid_request_error", param, "missing_required_parameter");
		break;
	case SIM_CERR_INVALID:
		out->status = 400;
		snprintf(msg, sizeof(msg), "Invalid value for '%s'.", param);
		error_body(out, msg, "invalid_request_error", param, "invalid_value");
		break;
	case SIM_CERR_NO_KEY:
	case SIM_CERR_NO_VERSION:
		out->status = 401;
		error_body(
		        out,
		        "You didn't provide an API key. You need to provide your API key in an "
		        "Authorization header using Bearer auth (i.e. Authorization: Bearer "
		        "YOUR_KEY), or as the password field (with blank username) if you're "
		        "accessing the API from your browser and are prompted for a username and "
		        "password. You can obtain an API key from "
		        "https://platform.openai.com/account/api-keys.",
		        "invalid_request_error", NULL, NULL);
		break;
	case SIM_CERR_MODEL:
		out->status = 404;
		snprintf(msg, sizeof(msg),
		         "The model `%s` does not exist or you do not have access to it.", param);
		error_body(out, msg, "invalid_request_error", NULL, "model_not_found");
		break;
	case SIM_CERR_CONTEXT:
		out->status = 400;
		snprintf(msg, sizeof(msg),
		         "This model's maximum context length is %lld tokens. However, your "
		         "messages resulted in %lld tokens. Please reduce the length of the "
		         "messages.",
		         (long long)limit, (long long)n);
		error_body(out, msg, "invalid_request_error", "messages",
		           "context_length_exceeded");
		break;
	case SIM_CERR_METHOD:
		out->status = 405;
		snprintf(msg, sizeof(msg), "Invalid method for URL (%s)", param);
		error_body(out, msg, "invalid_request_error", NULL, NULL);
		break;
	default:
		out->status = 404;
		snprintf(msg, sizeof(msg), "Invalid URL (%s)", param ? param : "");
		error_body(out, msg, "invalid_request_error", NULL, NULL);
		break;
	}
}
