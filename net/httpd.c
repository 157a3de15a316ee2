/*
 * httpd.c: the server of httpd.h. Each connection reads until it holds a
 * whole request, stops reading, calls the handler, writes the answer and
 * closes. Connections are kept in a list so httpd_close() can close them.
 */
#include "net/httpd.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX    (16 * 1024)
#define BODY_MAX    (1024 * 1024)
#define HEADERS_MAX 64

struct httpd_reply {
	struct conn *conn;
};

struct conn {
	uv_tcp_t tcp;
	struct httpd *h;
	struct conn *next, *prev;
	char *buf;
	size_t len, cap;
	size_t head_len; /* bytes of the head, CRLFCRLF included; 0 until known */
	size_t body_len;
	bool dispatched, answered, closing;
	struct httpd_request req;
	struct httpd_header headers[HEADERS_MAX];
	struct httpd_reply reply;
	uv_write_t wr;
	char *out;
	char *pathbuf; /* req.path and req.query point into it */
};

struct httpd {
	uv_tcp_t listener;
	uv_loop_t *loop;
	httpd_handler handler;
	void *data;
	struct conn *conns;
	int port;
	bool closing;
	int open_handles;
	uint64_t requests;
};

static void maybe_free(struct httpd *h)
{
	if (h->closing && h->open_handles == 0)
		free(h);
}

static void on_conn_closed(uv_handle_t *hd)
{
	struct conn *c = hd->data;
	struct httpd *h = c->h;
	free(c->buf);
	free(c->out);
	free(c->pathbuf);
	free(c);
	h->open_handles--;
	maybe_free(h);
}

static void conn_close(struct conn *c, bool reset)
{
	if (c->closing)
		return;
	c->closing = true;
	struct httpd *h = c->h;
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if (reset && uv_tcp_close_reset(&c->tcp, on_conn_closed) == 0)
		return;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

static void on_written(uv_write_t *wr, int status)
{
	(void)status;
	struct conn *c = wr->data;
	conn_close(c, false);
}

void httpd_respond(struct httpd_reply *r, int status, const char *content_type, const void *body,
                   size_t len, const char *const *headers, size_t n_headers)
{
	struct conn *c = r->conn;
	if (c->answered || c->closing)
		return;
	c->answered = true;
	c->h->requests++;
	size_t extra = 0;
	for (size_t i = 0; i < n_headers; i++)
		extra += strlen(headers[i]) + 2;
	size_t cap = 256 + extra + (content_type ? strlen(content_type) : 0) + len;
	c->out = malloc(cap);
	if (!c->out) {
		conn_close(c, false);
		return;
	}
	int n = snprintf(c->out, cap,
	                 "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n", status,
	                 reason(status), len);
	size_t at = n > 0 ? (size_t)n : 0;
	if (content_type)
		at += (size_t)snprintf(c->out + at, cap - at, "Content-Type: %s\r\n", content_type);
	for (size_t i = 0; i < n_headers; i++)
		at += (size_t)snprintf(c->out + at, cap - at, "%s\r\n", headers[i]);
	at += (size_t)snprintf(c->out + at, cap - at, "\r\n");
	if (len)
		memcpy(c->out + at, body, len);
	at += len;
	uv_buf_t b = uv_buf_init(c->out, (unsigned)at);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0)
		conn_close(c, false);
}

void httpd_drop(struct httpd_reply *r)
{
	struct conn *c = r->conn;
	if (c->answered)
		return;
	c->answered = true;
	conn_close(c, true);
}

const struct httpd_request *httpd_reply_request(const struct httpd_reply *r)
{
	return &r->conn->req;
}

const char *httpd_header(const struct httpd_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static void fail_request(struct conn *c, int status, const char *msg)
{
	c->dispatched = true;
	httpd_respond(&c->reply, status, "text/plain; charset=utf-8", msg, strlen(msg), NULL, 0);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Parse the head in place (it is NUL-split). Returns 0 or the error status. */
static int parse_head(struct conn *c)
{
	char *p = c->buf;
	char *end = c->buf + c->head_len - 4;
	*end = '\0';
	char *line_end = strstr(p, "\r\n");
	if (line_end)
		*line_end = '\0';
	char *sp1 = strchr(p, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 400;
	*sp1 = *sp2 = '\0';
	c->req.method = p;
	c->req.target = sp1 + 1;
	if (c->req.target[0] != '/')
		return 400;
	size_t n = 0;
	char *line = line_end ? line_end + 2 : end;
	while (line < end) {
		char *le = strstr(line, "\r\n");
		if (le)
			*le = '\0';
		char *colon = strchr(line, ':');
		if (!colon)
			return 400;
		if (n == HEADERS_MAX)
			return 431;
		*colon = '\0';
		for (char *q = line; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		c->headers[n].name = trim(line);
		c->headers[n].value = trim(colon + 1);
		n++;
		line = le ? le + 2 : end;
	}
	c->req.headers = c->headers;
	c->req.n_headers = n;
	const char *te = httpd_header(&c->req, "transfer-encoding");
	if (te && strcasecmp(te, "identity") != 0)
		return 411;
	const char *cl = httpd_header(&c->req, "content-length");
	if (cl) {
		char *e;
		unsigned long long v = strtoull(cl, &e, 10);
		if (*e || e == cl)
			return 400;
		if (v > BODY_MAX)
			return 413;
		c->body_len = (size_t)v;
	}
	return 0;
}

static void dispatch(struct conn *c)
{
	c->dispatched = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	char *target = (char *)c->req.target;
	size_t tl = strlen(target);
	/* Split a copy into path and query, so target stays as sent. */
	char *path = malloc(tl + 2);
	if (!path) {
		fail_request(c, 500, "out of memory\n");
		return;
	}
	memcpy(path, target, tl + 1);
	char *q = strchr(path, '?');
	if (q)
		*q = '\0';
	c->pathbuf = path;
	c->req.path = path;
	c->req.query = q ? q + 1 : path + tl + 1;
	path[tl + 1] = '\0';
	c->req.body = c->buf + c->head_len;
	c->req.body_len = c->body_len;
	c->buf[c->head_len + c->body_len] = '\0';
	struct httpd *h = c->h;
	h->handler(h->data, &c->req, &c->reply);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *b)
{
	(void)suggested;
	struct conn *c = hd->data;
	if (vg_grow((void **)&c->buf, &c->cap, c->len + 16384 + 1, 1, 16384 + 1) != 0) {
		*b = uv_buf_init(NULL, 0);
		return;
	}
	*b = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len - 1));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct conn *c = s->data;
	if (n < 0) {
		conn_close(c, false);
		return;
	}
	if (n == 0 || c->dispatched)
		return;
	c->len += (size_t)n;
	if (!c->head_len) {
		c->buf[c->len] = '\0';
		char *e = strstr(c->buf, "\r\n\r\n");
		if (!e) {
			if (c->len > HEAD_MAX)
				fail_request(c, 431, "request head too large\n");
			return;
		}
		c->head_len = (size_t)(e - c->buf) + 4;
		if (c->head_len > HEAD_MAX) {
			fail_request(c, 431, "request head too large\n");
			return;
		}
		int st = parse_head(c);
		if (st) {
			fail_request(c, st, st == 413 ? "body too large\n" : "bad request\n");
			return;
		}
	}
	if (c->len >= c->head_len + c->body_len) {
		if (c->head_len + c->body_len + 1 > c->cap) {
			fail_request(c, 500, "out of memory\n");
			return;
		}
		dispatch(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct httpd *h = server->data;
	if (status < 0 || h->closing)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->h = h;
	c->reply.conn = c;
	uv_tcp_init(h->loop, &c->tcp);
	c->tcp.data = c;
	h->open_handles++;
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c, false);
		return;
	}
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		char ip[48] = "";
		int port = 0;
		if (ss.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		} else {
			uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		}
		snprintf(c->req.peer, sizeof(c->req.peer), "%s:%d", ip, port);
	}
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static int fail_start(char **cause, int code, const char *what, const char *host, int port,
                      int uverr)
{
	return vg_cause(cause, code, "%s %s:%d: %s", what, host, port, uv_strerror(uverr));
}

static void on_listener_closed(uv_handle_t *hd)
{
	struct httpd *h = hd->data;
	h->open_handles--;
	maybe_free(h);
}

int httpd_start(uv_loop_t *loop, const char *host, int port, httpd_handler handler, void *data,
                struct httpd **out, char **cause)
{
	if (cause)
		*cause = NULL;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	int err = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss)
	                            : uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
	if (err)
		return fail_start(cause, VG_EINVAL, "not an IP address:", host, port, err);
	struct httpd *h = calloc(1, sizeof(*h));
	if (!h)
		return VG_ENOMEM;
	h->loop = loop;
	h->handler = handler;
	h->data = data;
	uv_tcp_init(loop, &h->listener);
	h->listener.data = h;
	h->open_handles = 1;
	err = uv_tcp_bind(&h->listener, (struct sockaddr *)&ss, 0);
	if (!err)
		err = uv_listen((uv_stream_t *)&h->listener, 128, on_connection);
	if (err) {
		int rc = fail_start(cause, VG_EIO, "cannot listen on", host, port, err);
		h->closing = true;
		uv_close((uv_handle_t *)&h->listener, on_listener_closed);
		return rc;
	}
	struct sockaddr_storage bound;
	int len = sizeof(bound);
	uv_tcp_getsockname(&h->listener, (struct sockaddr *)&bound, &len);
	h->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
	                                      : ntohs(((struct sockaddr_in *)&bound)->sin_port);
	*out = h;
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

uint64_t httpd_requests(const struct httpd *h)
{
	return h->requests;
}

void httpd_close(struct httpd *h)
{
	if (!h || h->closing)
		return;
	h->closing = true;
	while (h->conns)
		conn_close(h->conns, false);
	uv_close((uv_handle_t *)&h->listener, on_listener_closed);
}
