/* sim_http.c: HTTP/1.1 request parsing for the simulator (see sim_http.h). */
#include "sim/sim_http.h"

#include <string.h>
#include <strings.h>

void sim_http_req_init(struct sim_http_req *req)
{
	memset(req, 0, sizeof(*req));
	sim_buf_init(&req->decoded);
}

void sim_http_req_done(struct sim_http_req *req)
{
	sim_buf_free(&req->decoded);
}

static bool is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return strchr("!#$%&'*+-.^_`|~", c) != NULL && c != '\0';
}

/* Finds "\r\n" (or a bare "\n") from p; returns the line end or NULL. */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl;
}

static bool token_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* True when the comma-separated list value contains token tok. */
static bool list_has(const char *v, size_t n, const char *tok)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && token_eq(v + s, e - s, tok))
			return true;
	}
	return false;
}

static int parse_chunked(struct sim_http_req *req, const char *p, const char *end, size_t max_body)
{
	sim_buf_reset(&req->decoded);
	const char *start = p;
	for (;;) {
		const char *nl = line_end(p, end);
		if (!nl)
			return (size_t)(end - p) > 1024 ? SIM_HTTP_BAD : SIM_HTTP_INCOMPLETE;
		size_t size = 0;
		const char *q = p;
		int digits = 0;
		while (q < nl) {
			char c = *q;
			int d = c >= '0' && c <= '9'   ? c - '0'
			        : c >= 'a' && c <= 'f' ? c - 'a' + 10
			        : c >= 'A' && c <= 'F' ? c - 'A' + 10
			                               : -1;
			if (d < 0)
				break;
			if (++digits > 8)
				return SIM_HTTP_TOO_LARGE;
			size = size * 16 + (size_t)d;
			q++;
		}
		if (digits == 0)
			return SIM_HTTP_BAD;
		/* chunk extensions (";...") are allowed and ignored */
		if (q < nl && *q != ';' && *q != '\r')
			return SIM_HTTP_BAD;
		p = nl + 1;
		if (size == 0) {
			/* trailers until an empty line */
			for (;;) {
				const char *tl = line_end(p, end);
				if (!tl)
					return SIM_HTTP_INCOMPLETE;
				bool empty = tl == p || (tl == p + 1 && *p == '\r');
				p = tl + 1;
				if (empty)
					break;
			}
			req->body = req->decoded.p ? req->decoded.p : "";
			req->body_len = req->decoded.len;
			if (req->decoded.failed)
				return SIM_HTTP_TOO_LARGE;
			return (int)(p - start);
		}
		if (req->decoded.len + size > max_body)
			return SIM_HTTP_TOO_LARGE;
		if ((size_t)(end - p) < size + 1)
			return SIM_HTTP_INCOMPLETE;
		sim_buf_add(&req->decoded, p, size);
		p += size;
		if (*p == '\r') {
			if (end - p < 2)
				return SIM_HTTP_INCOMPLETE;
			p++;
		}
		if (*p != '\n')
			return SIM_HTTP_BAD;
		p++;
	}
}

int sim_http_parse(struct sim_http_req *req, const char *buf, size_t len, size_t max_body)
{
	struct sim_buf keep = req->decoded;
	memset(req, 0, sizeof(*req));
	req->decoded = keep;
	const char *p = buf, *end = buf + len;
	/* Tolerate empty lines before a request (RFC 9112, 2.2). */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	/* Refuse what cannot be a method at once (a TLS hello, binary junk)
	 * instead of waiting for a line end that may never come. */
	for (const char *q = p; q < end && *q != ' '; q++)
		if (!is_tchar(*q))
			return SIM_HTTP_BAD;
	const char *nl = line_end(p, end);
	if (!nl)
		return (size_t)(end - buf) > SIM_HTTP_MAX_HEAD ? SIM_HTTP_TOO_LARGE
		                                               : SIM_HTTP_INCOMPLETE;
	/* request line: method SP target SP HTTP/1.x */
	const char *le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	const char *sp1 = memchr(p, ' ', (size_t)(le - p));
	if (!sp1 || sp1 == p)
		return SIM_HTTP_BAD;
	for (const char *q = p; q < sp1; q++)
		if (!is_tchar(*q))
			return SIM_HTTP_BAD;
	const char *t = sp1 + 1;
	const char *sp2 = memchr(t, ' ', (size_t)(le - t));
	if (!sp2 || sp2 == t || le - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return SIM_HTTP_BAD;
	if (sp2[8] != '0' && sp2[8] != '1')
		return SIM_HTTP_BAD;
	for (const char *q = t; q < sp2; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return SIM_HTTP_BAD;
	req->method = p;
	req->method_len = (size_t)(sp1 - p);
	req->target = t;
	req->target_len = (size_t)(sp2 - t);
	req->minor = sp2[8] - '0';
	req->keep_alive = req->minor == 1;
	p = nl + 1;
	bool has_cl = false;
	for (;;) {
		nl = line_end(p, end);
		if (!nl)
			return (size_t)(end - buf) > SIM_HTTP_MAX_HEAD ? SIM_HTTP_TOO_LARGE
			                                               : SIM_HTTP_INCOMPLETE;
		le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (le == p) {
			p = nl + 1;
			break;
		}
		if (*p == ' ' || *p == '\t')
			return SIM_HTTP_BAD; /* obsolete line folding */
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (!colon || colon == p)
			return SIM_HTTP_BAD;
		for (const char *q = p; q < colon; q++)
			if (!is_tchar(*q))
				return SIM_HTTP_BAD;
		const char *v = colon + 1, *ve = le;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *q = v; q < ve; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				return SIM_HTTP_BAD;
		if (req->n_headers >= SIM_HTTP_MAX_HEADERS)
			return SIM_HTTP_TOO_LARGE;
		struct sim_http_hdr *h = &req->headers[req->n_headers++];
		h->name = p;
		h->name_len = (size_t)(colon - p);
		h->value = v;
		h->value_len = (size_t)(ve - v);
		if (token_eq(h->name, h->name_len, "content-length")) {
			size_t cl = 0;
			if (h->value_len == 0 || h->value_len > 12)
				return SIM_HTTP_BAD;
			for (size_t i = 0; i < h->value_len; i++) {
				if (h->value[i] < '0' || h->value[i] > '9')
					return SIM_HTTP_BAD;
				cl = cl * 10 + (size_t)(h->value[i] - '0');
			}
			if (has_cl && cl != req->content_length)
				return SIM_HTTP_BAD;
			has_cl = true;
			req->content_length = cl;
		} else if (token_eq(h->name, h->name_len, "transfer-encoding")) {
			if (!token_eq(h->value, h->value_len, "chunked"))
				return SIM_HTTP_BAD;
			req->chunked = true;
		} else if (token_eq(h->name, h->name_len, "connection")) {
			if (list_has(h->value, h->value_len, "close"))
				req->keep_alive = false;
			else if (list_has(h->value, h->value_len, "keep-alive"))
				req->keep_alive = true;
		} else if (token_eq(h->name, h->name_len, "expect")) {
			if (token_eq(h->value, h->value_len, "100-continue"))
				req->expect_continue = true;
		}
		p = nl + 1;
	}
	if (req->chunked && has_cl)
		return SIM_HTTP_BAD; /* request smuggling shape: refuse */
	req->head_done = true;
	req->head_len = (size_t)(p - buf);
	if (req->chunked) {
		int rc = parse_chunked(req, p, end, max_body);
		if (rc <= 0)
			return rc;
		return (int)req->head_len + rc;
	}
	if (req->content_length > max_body)
		return SIM_HTTP_TOO_LARGE;
	if ((size_t)(end - p) < req->content_length)
		return SIM_HTTP_INCOMPLETE;
	req->body = p;
	req->body_len = req->content_length;
	return (int)(req->head_len + req->content_length);
}

const char *sim_http_header(const struct sim_http_req *req, const char *name, size_t *len)
{
	for (int i = 0; i < req->n_headers; i++) {
		const struct sim_http_hdr *h = &req->headers[i];
		if (token_eq(h->name, h->name_len, name)) {
			if (len)
				*len = h->value_len;
			return h->value;
		}
	}
	return NULL;
}
