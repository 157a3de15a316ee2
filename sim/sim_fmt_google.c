/*
 * sim_fmt_google.c: the Gemini API (and Vertex AI) generateContent as Google
 * writes it: candidates with finishReason, usageMetadata, 200-status safety
 * blocks (promptFeedback.blockReason with no candidates, or a candidate with
 * no content and finishReason SAFETY), SSE chunks for streamGenerateContent
 * with alt=sse, and the {"error":{code,message,status,details[]}} envelope
 * with google.rpc ErrorInfo / QuotaFailure / RetryInfo / Help details. The
 * retry hint lives in the body, not in a header; Google sends no rate-limit
 * headers.
 */
#include "sim/sim_format.h"

#include "sim/sim_time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void common_headers(const struct sim_fmt_in *in, struct sim_response *out, bool sse)
{
	char date[40];
	sim_response_header(out, "content-type", "%s",
	                    sse ? "text/event-stream" : "application/json; charset=UTF-8");
	sim_response_header(out, "vary", "Origin, X-Origin, Referer");
	sim_response_header(out, "date", "%s", sim_time_http_date(in->now_ms, date, sizeof(date)));
	sim_response_header(out, "server", "scaffolding on HTTPServer2");
	sim_response_header(out, "x-xss-protection", "0");
	sim_response_header(out, "x-frame-options", "SAMEORIGIN");
	sim_response_header(out, "x-content-type-options", "nosniff");
	double ms = in->a && in->a->ttfb_ms > 0 ? in->a->ttfb_ms : 1;
	sim_response_header(out, "server-timing", "gfet4t7; dur=%lld", (long long)llround(ms));
}

/* Opens {"error":{code,message,status,"details":[ and leaves the details
 * array open for the caller; close with error_close(). */
static void error_open(struct sim_jw *w, struct sim_response *out, int code, const char *message,
                       const char *status)
{
	out->status = code;
	out->json = true;
	sim_jw_init(w, &out->body);
	sim_jw_obj(w);
	sim_jw_key(w, "error");
	sim_jw_obj(w);
	sim_jw_kint(w, "code", code);
	sim_jw_kstr(w, "message", message);
	sim_jw_kstr(w, "status", status);
}

static void error_close(struct sim_jw *w)
{
	sim_jw_obj_end(w);
	sim_jw_obj_end(w);
}

static void simple_error(struct sim_response *out, int code, const char *message,
                         const char *status)
{
	struct sim_jw w;
	error_open(&w, out, code, message, status);
	error_close(&w);
}

static void error_info(struct sim_jw *w, const char *reason, const char *domain)
{
	sim_jw_obj(w);
	sim_jw_kstr(w, "@type", "type.googleapis.com/google.rpc.ErrorInfo");
	sim_jw_kstr(w, "reason", reason);
	sim_jw_kstr(w, "domain", domain);
	sim_jw_key(w, "metadata");
	sim_jw_obj(w);
	sim_jw_kstr(w, "service", "generativelanguage.googleapis.com");
	sim_jw_obj_end(w);
	sim_jw_obj_end(w);
}

static void quota_error(const struct sim_fmt_in *in, struct sim_response *out, bool daily)
{
	const struct sim_answer *a = in->a;
	struct sim_jw w;
	char delay[32], limit[32];
	int64_t secs;
	if (daily)
		secs = 3600 + (int64_t)(in->id_seed % 1800);
	else
		secs = (int64_t)ceil((double)(a->retry_after_ms > 0 ? a->retry_after_ms : 1000) *
		                     in->scale / 1000.0);
	if (secs < 1)
		secs = 1;
	snprintf(delay, sizeof(delay), "%llds", (long long)secs);
	snprintf(limit, sizeof(limit), "%lld", (long long)(daily ? 1500 : a->rl_limit_req));
	error_open(&w, out, 429,
	           "You exceeded your current quota, please check your plan and billing details. "
	           "For more information on this error, head to: "
	           "https://ai.google.dev/gemini-api/docs/rate-limits.",
	           "RESOURCE_EXHAUSTED");
	sim_jw_key(&w, "details");
	sim_jw_arr(&w);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "@type", "type.googleapis.com/google.rpc.QuotaFailure");
	sim_jw_key(&w, "violations");
	sim_jw_arr(&w);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "quotaMetric",
	            daily ? "generativelanguage.googleapis.com/generate_content_requests_per_day"
	                  : "generativelanguage.googleapis.com/generate_content_requests");
	sim_jw_kstr(&w, "quotaId",
	            daily ? "GenerateRequestsPerDayPerProjectPerModel"
	                  : "GenerateRequestsPerMinutePerProjectPerModel");
	sim_jw_key(&w, "quotaDimensions");
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "location", "global");
	sim_jw_kstr(&w, "model", in->model);
	sim_jw_obj_end(&w);
	sim_jw_kstr(&w, "quotaValue", limit);
	sim_jw_obj_end(&w);
	sim_jw_arr_end(&w);
	sim_jw_obj_end(&w);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "@type", "type.googleapis.com/google.rpc.Help");
	sim_jw_key(&w, "links");
	sim_jw_arr(&w);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "description", "Learn more about Gemini API quotas");
	sim_jw_kstr(&w, "url", "https://ai.google.dev/gemini-api/docs/rate-limits");
	sim_jw_obj_end(&w);
	sim_jw_arr_end(&w);
	sim_jw_obj_end(&w);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "@type", "type.googleapis.com/google.rpc.RetryInfo");
	sim_jw_kstr(&w, "retryDelay", delay);
	sim_jw_obj_end(&w);
	sim_jw_arr_end(&w);
	error_close(&w);
}

static void safety_ratings(struct sim_jw *w, bool blocked)
{
	static const char *const cats[] = { "HARM_CATEGORY_SEXUALLY_EXPLICIT",
		                            "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_HARASSMENT",
		                            "HARM_CATEGORY_DANGEROUS_CONTENT" };
	sim_jw_key(w, "safetyRatings");
	sim_jw_arr(w);
	for (int i = 0; i < 4; i++) {
		sim_jw_obj(w);
		sim_jw_kstr(w, "category", cats[i]);
		bool hit = blocked && i == 3;
		sim_jw_kstr(w, "probability", hit ? "HIGH" : "NEGLIGIBLE");
		if (hit)
			sim_jw_kbool(w, "blocked", true);
		sim_jw_obj_end(w);
	}
	sim_jw_arr_end(w);
}

static void usage(struct sim_jw *w, const struct sim_answer *a, bool candidates)
{
	sim_jw_key(w, "usageMetadata");
	sim_jw_obj(w);
	sim_jw_kint(w, "promptTokenCount", a->input_tokens);
	if (candidates)
		sim_jw_kint(w, "candidatesTokenCount", a->output_tokens);
	sim_jw_kint(w, "totalTokenCount", a->input_tokens + (candidates ? a->output_tokens : 0));
	if (a->cached_tokens)
		sim_jw_kint(w, "cachedContentTokenCount", a->cached_tokens);
	sim_jw_key(w, "promptTokensDetails");
	sim_jw_arr(w);
	sim_jw_obj(w);
	sim_jw_kstr(w, "modality", "TEXT");
	sim_jw_kint(w, "tokenCount", a->input_tokens);
	sim_jw_obj_end(w);
	sim_jw_arr_end(w);
	sim_jw_obj_end(w);
}

/* One generateContent response object (a whole body, or one SSE chunk). */
static void body(struct sim_jw *w, const struct sim_fmt_in *in, const char *text, size_t len,
                 const char *finish, bool with_usage, const char *rid)
{
	const struct sim_answer *a = in->a;
	sim_jw_obj(w);
	if (a->outcome == SIM_F_SAFETY_BLOCK && a->prompt_block) {
		sim_jw_key(w, "promptFeedback");
		sim_jw_obj(w);
		sim_jw_kstr(w, "blockReason", "SAFETY");
		safety_ratings(w, true);
		sim_jw_obj_end(w);
		usage(w, a, false);
	} else {
		sim_jw_key(w, "candidates");
		sim_jw_arr(w);
		sim_jw_obj(w);
		if (a->outcome != SIM_F_SAFETY_BLOCK) {
			sim_jw_key(w, "content");
			sim_jw_obj(w);
			sim_jw_key(w, "parts");
			sim_jw_arr(w);
			sim_jw_obj(w);
			sim_jw_key(w, "text");
			sim_jw_strn(w, text, len);
			sim_jw_obj_end(w);
			sim_jw_arr_end(w);
			sim_jw_kstr(w, "role", "model");
			sim_jw_obj_end(w);
		}
		if (finish)
			sim_jw_kstr(w, "finishReason", finish);
		if (a->outcome == SIM_F_SAFETY_BLOCK)
			safety_ratings(w, true);
		sim_jw_kint(w, "index", 0);
		sim_jw_obj_end(w);
		sim_jw_arr_end(w);
		if (with_usage)
			usage(w, a, true);
	}
	sim_jw_kstr(w, "modelVersion", a->version);
	sim_jw_kstr(w, "responseId", rid);
	sim_jw_obj_end(w);
}

void sim_fmt__google(const struct sim_fmt_in *in, struct sim_response *out)
{
	const struct sim_answer *a = in->a;
	common_headers(in, out, in->stream && a->status == 200);
	switch (a->outcome) {
	case SIM_F_RATE_LIMIT: quota_error(in, out, false); return;
	case SIM_F_QUOTA: quota_error(in, out, true); return;
	case SIM_F_SPEND_CAP: {
		struct sim_jw w;
		error_open(&w, out, 400,
		           "Gemini API free tier is not available in your country. Please enable "
		           "billing on your project in Google AI Studio.",
		           "FAILED_PRECONDITION");
		sim_jw_key(&w, "details");
		sim_jw_arr(&w);
		error_info(&w, "BILLING_DISABLED", "googleapis.com");
		sim_jw_arr_end(&w);
		error_close(&w);
		return;
	}
	case SIM_F_SERVER_ERROR:
		simple_error(out, 500,
		             "An internal error has occurred. Please retry or report in "
		             "https://developers.generativeai.google/guide/troubleshooting",
		             "INTERNAL");
		return;
	case SIM_F_UNAVAILABLE:
		simple_error(out, 503, "The service is currently unavailable.", "UNAVAILABLE");
		return;
	case SIM_F_OVERLOADED:
		simple_error(out, 503, "The model is overloaded. Please try again later.",
		             "UNAVAILABLE");
		return;
	case SIM_F_TIMEOUT:
		simple_error(out, 504, "Deadline expired before operation could complete.",
		             "DEADLINE_EXCEEDED");
		return;
	case SIM_F_AUTH: {
		struct sim_jw w;
		const char *m = "API key not valid. Please pass a valid API key.";
		error_open(&w, out, 400, m, "INVALID_ARGUMENT");
		sim_jw_key(&w, "details");
		sim_jw_arr(&w);
		error_info(&w, "API_KEY_INVALID", "googleapis.com");
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "@type", "type.googleapis.com/google.rpc.LocalizedMessage");
		sim_jw_kstr(&w, "locale", "en-US");
		sim_jw_kstr(&w, "message", m);
		sim_jw_obj_end(&w);
		sim_jw_arr_end(&w);
		error_close(&w);
		return;
	}
	default: break;
	}
	char rid[40];
	sim_fmt__id(rid, sizeof(rid), "", 22, sim_fmt__b62, in->id_seed ^ 0x6006);
	const char *finish = a->outcome == SIM_F_LENGTH         ? "MAX_TOKENS"
	                     : a->outcome == SIM_F_SAFETY_BLOCK ? "SAFETY"
	                                                        : "STOP";
	out->status = 200;
	struct sim_jw w;
	if (!in->stream) {
		out->json = true;
		sim_jw_init(&w, &out->body);
		body(&w, in, in->text, strlen(in->text), finish, true, rid);
		return;
	}
	out->stream = true;
	size_t st[24], ln[24];
	int np = a->outcome == SIM_F_SAFETY_BLOCK ? 0 : sim_fmt__pieces(in->text, 24, st, ln);
	if (np == 0) {
		sim_buf_puts(&out->body, "data: ");
		sim_jw_init(&w, &out->body);
		body(&w, in, "", 0, finish, true, rid);
		sim_buf_puts(&out->body, "\r\n\r\n");
		sim_fmt__event_end(out);
		return;
	}
	for (int i = 0; i < np; i++) {
		bool last = i == np - 1;
		sim_buf_puts(&out->body, "data: ");
		sim_jw_init(&w, &out->body);
		body(&w, in, in->text + st[i], ln[i], last ? finish : NULL, last, rid);
		sim_buf_puts(&out->body, "\r\n\r\n");
		sim_fmt__event_end(out);
	}
}

void sim_fmt__google_cerr(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                          int64_t n, int64_t limit, struct sim_response *out)
{
	char msg[512];
	common_headers(in, out, false);
	switch (e) {
	case SIM_CERR_BAD_JSON: {
		struct sim_jw w;
		error_open(&w, out, 400, "Invalid JSON payload received. Unexpected token.",
		           "INVALID_ARGUMENT");
		sim_jw_key(&w, "details");
		sim_jw_arr(&w);
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "@type", "type.googleapis.com/google.rpc.BadRequest");
		sim_jw_key(&w, "fieldViolations");
		sim_jw_arr(&w);
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "description", "Invalid JSON payload received. Unexpected token.");
		sim_jw_obj_end(&w);
		sim_jw_arr_end(&w);
		sim_jw_obj_end(&w);
		sim_jw_arr_end(&w);
		error_close(&w);
		break;
	}
	case SIM_CERR_MISSING:
		snprintf(msg, sizeof(msg), "* GenerateContentRequest.%s: %s is not specified\n",
		         param, param);
		simple_error(out, 400, msg, "INVALID_ARGUMENT");
		break;
	case SIM_CERR_INVALID:
		snprintf(msg, sizeof(msg),
		         "Invalid value at '%s', expected a different type or value.", param);
		simple_error(out, 400, msg, "INVALID_ARGUMENT");
		break;
	case SIM_CERR_NO_KEY:
	case SIM_CERR_NO_VERSION:
		simple_error(
		        out, 403,
		        "Method doesn't allow unregistered callers (callers without established "
		        "identity). Please use API Key or other form of API consumer identity "
		        "to call this API.",
		        "PERMISSION_DENIED");
		break;
	case SIM_CERR_MODEL:
		snprintf(msg, sizeof(msg),
		         "models/%s is not found for API version v1beta, or is not supported for "
		         "generateContent. Call ListModels to see the list of available models and "
		         "their supported methods.",
		         param);
		simple_error(out, 404, msg, "NOT_FOUND");
		break;
	case SIM_CERR_CONTEXT:
		snprintf(msg, sizeof(msg),
		         "The input token count (%lld) exceeds the maximum number of tokens "
		         "allowed (%lld).",
		         (long long)n, (long long)limit);
		simple_error(out, 400, msg, "INVALID_ARGUMENT");
		break;
	case SIM_CERR_METHOD:
		simple_error(out, 405, "Method Not Allowed", "INVALID_ARGUMENT");
		break;
	default:
		snprintf(msg, sizeof(msg), "Requested entity was not found.");
		simple_error(out, 404, msg, "NOT_FOUND");
		break;
	}
}
