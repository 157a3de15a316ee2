/*
 * sim_format.c: the response value, the helpers every provider format uses,
 * and the dispatch to sim_fmt_openai.c, sim_fmt_anthropic.c and
 * sim_fmt_google.c.
 */
#include "sim/sim_format.h"

#include "sim/sim_rng.h"
#include "sim/sim_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char sim_fmt__b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const char sim_fmt__hex[] = "0123456789abcdef";

void sim_response_init(struct sim_response *r)
{
	memset(r, 0, sizeof(*r));
	sim_buf_init(&r->body);
}

void sim_response_free(struct sim_response *r)
{
	sim_buf_free(&r->body);
	r->n_headers = 0;
	r->n_events = 0;
}

void sim_response_header(struct sim_response *r, const char *name, const char *fmt, ...)
{
	if (r->n_headers >= SIM_MAX_HEADERS)
		return;
	struct sim_header *h = &r->headers[r->n_headers++];
	h->name = name;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->value, sizeof(h->value), fmt, ap);
	va_end(ap);
}

const char *sim_response_get(const struct sim_response *r, const char *name)
{
	for (int i = 0; i < r->n_headers; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

const char *sim_format_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Request Entity Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return "Site Overloaded";
	default: return "Unknown";
	}
}

void sim_fmt__id(char *dst, size_t size, const char *prefix, int n, const char *alphabet,
                 uint64_t seed)
{
	struct sim_rng r;
	sim_rng_init(&r, seed, 0x1d);
	size_t alen = strlen(alphabet);
	size_t p = strlen(prefix);
	if (p >= size) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, prefix, p);
	for (int i = 0; i < n && p + 1 < size; i++)
		dst[p++] = alphabet[sim_rng_below(&r, (uint32_t)alen)];
	dst[p] = '\0';
}

int sim_fmt__pieces(const char *text, int max, size_t *start, size_t *len)
{
	size_t n = strlen(text);
	if (n == 0 || max <= 0)
		return 0;
	size_t words = 1;
	for (size_t i = 0; i < n; i++)
		words += text[i] == ' ';
	size_t per = (words + (size_t)max - 1) / (size_t)max;
	if (per == 0)
		per = 1;
	int k = 0;
	size_t s = 0, w = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || text[i] == ' ') {
			w++;
			if (w == per || i == n) {
				size_t end = i < n ? i + 1 : n;
				start[k] = s;
				len[k] = end - s;
				k++;
				s = end;
				w = 0;
				if (k == max - 1 && s < n) {
					start[k] = s;
					len[k] = n - s;
					return k + 1;
				}
			}
		}
	}
	return k;
}

void sim_fmt__event_end(struct sim_response *r)
{
	if (r->n_events < SIM_MAX_EVENTS)
		r->event_end[r->n_events++] = r->body.len;
	else
		r->event_end[SIM_MAX_EVENTS - 1] = r->body.len;
}

void sim_fmt__html_413(struct sim_response *out, enum sim_kind kind)
{
	out->status = 413;
	out->json = false;
	if (kind == SIM_GOOGLE) {
		sim_response_header(out, "content-type", "text/html; charset=UTF-8");
		sim_buf_puts(&out->body,
		             "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
		             "  <title>Error 413 (Request Entity Too Large)!!1</title>\n"
		             "  <p><b>413.</b> <ins>That\xe2\x80\x99s an error.</ins>\n"
		             "  <p>Your client issued a request that was too large.\n"
		             "  <ins>That\xe2\x80\x99s all we know.</ins>\n");
	} else {
		sim_response_header(out, "content-type", "text/html");
		sim_response_header(out, "server", "cloudflare");
		sim_buf_puts(
		        &out->body,
		        "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n"
		        "<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n"
		        "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n");
	}
}

void sim_format_answer(const struct sim_fmt_in *in, struct sim_response *out)
{
	enum sim_fault o = in->a->outcome;
	if (o == SIM_F_DNS || o == SIM_F_CONNECT || o == SIM_F_RESET || o == SIM_F_HANG) {
		out->status = 0;
		return;
	}
	if (o == SIM_F_HTML_413) {
		char date[40];
		sim_response_header(out, "date", "%s",
		                    sim_time_http_date(in->now_ms, date, sizeof(date)));
		sim_fmt__html_413(out, in->kind);
		return;
	}
	switch (in->kind) {
	case SIM_OPENAI: sim_fmt__openai(in, out); break;
	case SIM_ANTHROPIC: sim_fmt__anthropic(in, out); break;
	default: sim_fmt__google(in, out); break;
	}
}

void sim_format_client_error(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                             int64_t n, int64_t limit, struct sim_response *out)
{
	if (e == SIM_CERR_TOO_LARGE) {
		char date[40];
		sim_response_header(out, "date", "%s",
		                    sim_time_http_date(in->now_ms, date, sizeof(date)));
		sim_fmt__html_413(out, in->kind);
		return;
	}
	switch (in->kind) {
	case SIM_OPENAI: sim_fmt__openai_cerr(in, e, param, n, limit, out); break;
	case SIM_ANTHROPIC: sim_fmt__anthropic_cerr(in, e, param, n, limit, out); break;
	default: sim_fmt__google_cerr(in, e, param, n, limit, out); break;
	}
}

void sim_format_models(const struct sim_fmt_in *in, const struct sim_provider *p,
                       struct sim_response *out)
{
	struct sim_jw w;
	char date[40];
	out->status = 200;
	out->json = true;
	sim_response_header(out, "date", "%s", sim_time_http_date(in->now_ms, date, sizeof(date)));
	sim_jw_init(&w, &out->body);
	sim_jw_obj(&w);
	if (in->kind == SIM_OPENAI) {
		char rid[64];
		sim_fmt__id(rid, sizeof(rid), "req_", 32, sim_fmt__hex, in->id_seed);
		sim_response_header(out, "content-type", "application/json");
		sim_response_header(out, "x-request-id", "%s", rid);
		sim_response_header(out, "openai-processing-ms", "%d", 12);
		sim_response_header(out, "openai-version", "2020-10-01");
		sim_jw_kstr(&w, "object", "list");
		sim_jw_key(&w, "data");
		sim_jw_arr(&w);
		for (int i = 0; i < p->n_models; i++) {
			sim_jw_obj(&w);
			sim_jw_kstr(&w, "id", p->models[i].version);
			sim_jw_kstr(&w, "object", "model");
			sim_jw_kint(&w, "created", 1721172741);
			sim_jw_kstr(&w, "owned_by", "system");
			sim_jw_obj_end(&w);
		}
		sim_jw_arr_end(&w);
	} else if (in->kind == SIM_ANTHROPIC) {
		char rid[64];
		sim_fmt__id(rid, sizeof(rid), "req_011C", 20, sim_fmt__b62, in->id_seed);
		sim_response_header(out, "content-type", "application/json");
		sim_response_header(out, "request-id", "%s", rid);
		sim_jw_key(&w, "data");
		sim_jw_arr(&w);
		for (int i = 0; i < p->n_models; i++) {
			sim_jw_obj(&w);
			sim_jw_kstr(&w, "type", "model");
			sim_jw_kstr(&w, "id", p->models[i].version);
			sim_jw_kstr(&w, "display_name", p->models[i].name);
			sim_jw_kstr(&w, "created_at", "2024-10-22T00:00:00Z");
			sim_jw_obj_end(&w);
		}
		sim_jw_arr_end(&w);
		sim_jw_kbool(&w, "has_more", false);
		sim_jw_kstr(&w, "first_id", p->n_models ? p->models[0].version : NULL);
		sim_jw_kstr(&w, "last_id", p->n_models ? p->models[p->n_models - 1].version : NULL);
	} else {
		sim_response_header(out, "content-type", "application/json; charset=UTF-8");
		sim_response_header(out, "server", "scaffolding on HTTPServer2");
		sim_jw_key(&w, "models");
		sim_jw_arr(&w);
		for (int i = 0; i < p->n_models; i++) {
			char nm[96];
			snprintf(nm, sizeof(nm), "models/%s", p->models[i].name);
			sim_jw_obj(&w);
			sim_jw_kstr(&w, "name", nm);
			sim_jw_kstr(&w, "version", p->models[i].version);
			sim_jw_kstr(&w, "displayName", p->models[i].name);
			sim_jw_kint(&w, "inputTokenLimit", p->models[i].context_tokens);
			sim_jw_kint(&w, "outputTokenLimit", 8192);
			sim_jw_key(&w, "supportedGenerationMethods");
			sim_jw_arr(&w);
			sim_jw_str(&w, "generateContent");
			sim_jw_str(&w, "countTokens");
			sim_jw_arr_end(&w);
			sim_jw_obj_end(&w);
		}
		sim_jw_arr_end(&w);
	}
	sim_jw_obj_end(&w);
}
